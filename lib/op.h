/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: the step executor (op.c): an operation's changes journaled,
 * applied through the bind protocol (driver.c), rolled back, recovered;
 * and the report of what happened (report.c).
 */
#pragma once

#include <pthread.h>
#include <time.h>

#include "state.h"

/* report.c */
void report_set_outcome(vfioctl_report *r, enum vfioctl_outcome outcome);
int report_add(vfioctl_report *r, const char *address, enum vfioctl_action action,
               const char *from, const char *to, const char *detail_format, ...) _printf_(6, 7);
struct vfioctl_report_entry *report_find(vfioctl_report *r, const char *address);
/* The way out of the entry added last. */
void report_set_reason(vfioctl_report *r, enum vfioctl_reason reason);
/* Appends src's entries to dst, leaving src empty. */
int report_move(vfioctl_report *dst, vfioctl_report *src);

/*
 * Rule 12's helper: the process that makes a group's writes, one at a
 * time, for as long as none of them blocks, and then the next group's
 * (op.c).
 */
struct helper {
        pid_t pid; /* 0: none yet, or left alone with a blocked write */
        int fd;    /* our end of its socket */
};

/* Idle helpers, for groups to take one each (rule 15). */
struct helpers {
        struct helper *v;
        size_t n, size;
};

/*
 * Changes that come while an operation runs (sriov: the VFs, as the kernel
 * makes them). next() runs holding the run's lock, dropped only in waits
 * (op_wait_begin); it returns the next changes in *ret (each of a device in
 * an IOMMU group no other change of the operation has, or none yet), and
 * *ret_last once no more come; negative stops the operation, which fails
 * with it. At most `most` changes come.
 */
struct op_run;
struct op_feed {
        int (*next)(struct op_run *run, void *userdata, const struct vfioctl_state_change **ret,
                    size_t *ret_n, bool *ret_last);
        void *userdata;
        size_t most;
};

/*
 * One operation in progress: the journal it writes to (none in a dry run)
 * and the bound on anything that waits.
 */
struct op_run {
        vfioctl_ctx *ctx;
        vfioctl_state *st;   /* NULL: dry run, nothing journaled */
        int64_t op_id;
        int next_seq;        /* next journal step */
        unsigned timeout_ms;
        int devices_fd;      /* sys/bus/pci/devices */
        int bus_fd;          /* sys/bus/pci: the helpers write relative to it */
        vfioctl_report *report;
        bool rolling_back;   /* an interruption no longer stops waits */
        int *groups;         /* the IOMMU groups involved (a PF's VFs' too), for the holder */
        size_t n_groups;
        bool has_pf;         /* a change is to a function that can have VFs */
        char (*forget)[VFIOCTL_PCI_ADDR_MAX]; /* rolled back: devices no longer on the host */
        size_t n_forget;
        off_t reserved_end;  /* journal space reserved up to here (state_op_reserve) */
        unsigned jobs;       /* rule 15: at most this many groups at once */
        pthread_mutex_t *lock; /* while groups run at once: held but in waits (workers.h) */
        struct helper helper;  /* the writes when groups run one at a time (else each worker's) */
        struct helpers *ahead; /* forked by the caller while it waited, for the groups to take */
        const struct op_feed *feed; /* more changes while it runs (plan.feed), or NULL */
        struct devdirs *dirs;  /* the devices' folders: the host's (plan_execute), else own_dirs */
        struct devdirs own_dirs;
};

int op_run_init(struct op_run *run, vfioctl_ctx *ctx, vfioctl_state *st, unsigned timeout_ms,
                vfioctl_report *report);
void op_run_done(struct op_run *run);

/*
 * Where a device's attribute is read: *ret_dirfd and the name returned,
 * in its own folder, or through bus/pci/devices (in buf) when it has none.
 */
const char *op_device_attr(struct op_run *run, const char *address, const char *attr,
                           int *ret_dirfd, char buf[SYSFS_PATH_MAX]);

/* Forks idle helpers for run's writes until hs holds want (fewer when a fork fails). */
void helpers_fill(struct op_run *run, struct helpers *hs, size_t want);
/* The idle helpers end together: each reads the end of its socket at once. */
void helpers_end(struct helpers *hs);

/*
 * Journals the changes, applies them in order (each device to its target
 * driver and override; with two_pass, first every device off its driver,
 * then every device bound to its driver by name: needed to give a group back to host drivers,
 * which cannot bind while a member is on vfio-pci), and on the first failure puts every device
 * changed so far back in reverse order. Returns 0 when all applied; on
 * failure the negative errno of the first failure, with the report saying
 * what was rolled back, stuck or blocked, and the operation left in the
 * journal only when something could not be put back.
 */
int op_apply(struct op_run *run, const char *kind, const char *command,
             const struct vfioctl_state_change *changes, size_t n, bool two_pass);

/*
 * Rolls back one unfinished operation from the journal. Returns 1 when
 * it was rolled back and dropped, 0 when it has to stay (an unbind still
 * blocked, or a device that could not be restored), negative on error.
 */
int op_recover(struct op_run *run, const struct vfioctl_state_op *op);

/*
 * One journaled write outside a driver change (sriov_numvfs, sriov_drivers_autoprobe),
 * marked done once the kernel took it; may_block runs it in the bounded helper (rule 12).
 */
int op_write(struct op_run *run, const char *address, const char *path, const char *value,
             bool may_block);

/* sriov.c: undoes what an interrupted "sriov" operation did to its PF (recover). */
int sriov_recover(struct op_run *run, const struct vfioctl_state_op *op);

/* ------------------------------------------------------------------ */
/* For the bind protocol (driver.c): its writes and waits go through here. */

#define PROGRESS_TICK_MS 1000

/* What a write or a wait is waiting on: for progress, and for the message
 * when it gives up. */
struct wait_info {
        enum vfioctl_wait wait;
        const char *address;
        const char *driver;  /* unbind: the driver that has to let go; probe: the one wanted */
        bool driver_is_vfio; /* then whoever holds one of the groups is the user to name */
        char holder[256];    /* looked up once, on the first tick */
        bool holder_looked;
};

static inline int64_t op_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Marks journal step seq (no journal in a dry run; best effort while rolling back). */
int op_journal_set(struct op_run *run, int seq, const char *status, int helper_pid);

/*
 * One journaled write in the bounded helper. On -ETIMEDOUT/-EINTR the step
 * stays "intended" with its helper's pid (it has not completed, and may
 * yet) and *ret_blocked names the helper.
 */
int op_do_write(struct op_run *run, struct wait_info *w, const char *path, const char *value,
                int *ret_seq, pid_t *ret_blocked);

/*
 * An op_write in two halves, for a caller with something to do while the
 * kernel takes its time: op_write_begin() journals the step and hands the
 * write to the helper; op_write_wait() waits for the answer, at most
 * slice_ms (-1: until the run's timeout). Returns 1 once the write is done
 * (journaled so), 0 while it still waits, negative as op_write fails.
 */
struct op_pending_write {
        struct wait_info w;
        char path[SYSFS_PATH_MAX];
        char value[32];
        int seq;
        int64_t start, next_tick;
};

int op_write_begin(struct op_run *run, const char *address, const char *path, const char *value,
                   struct op_pending_write *ret);
int op_write_wait(struct op_run *run, struct op_pending_write *pw, int slice_ms);

/* Tells the caller's progress callback how long w has been waiting. */
void op_progress(struct op_run *run, struct wait_info *w, const char *path, const char *value,
                 pid_t helper, int64_t elapsed);

/* Whether an interruption should stop this wait: never while rolling back. */
bool op_interrupted(struct op_run *run);

/* Rule 15: while it waits for the kernel, a group lets the others run. */
static inline void op_wait_begin(struct op_run *run)
{
        if (run->lock)
                pthread_mutex_unlock(run->lock);
}

static inline void op_wait_end(struct op_run *run)
{
        if (run->lock)
                pthread_mutex_lock(run->lock);
}

/* Why a write that did not return is still waiting, as one clause. */
void op_waiting_on(struct op_run *run, struct wait_info *w, char *buf, size_t size);
