/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: deciding what a changing command will do (plan.c and the
 * planners of assign.c and release.c), before anything is written, and the
 * one executor that does it (op.c). A plan is a list of driver changes
 * plus what the state records once they are made.
 */
#pragma once

#include <stdarg.h>

#include "driver.h"

/* A row whose owner changes and nothing else (assign of a device detached
 * before, release of one that stays detached or held). */
struct plan_owner {
        char address[VFIOCTL_PCI_ADDR_MAX];
        enum vfioctl_role role; /* VFIOCTL_ROLE_NONE: the owner is dropped */
        bool managed;
};

enum plan_guest_op {
        PLAN_GUEST_KEEP = 0, /* the guests row is not touched */
        PLAN_GUEST_PUT,      /* recorded, with its definition and QEMU arguments */
        PLAN_GUEST_DELETE,   /* forgotten: it owns nothing any more */
};

/*
 * What a changing command does, decided before anything is written (DESIGN
 * §6): the driver changes in order, then what the state records about them
 * in the transaction that closes the journal entry. plan_execute() is the
 * one executor of every plan.
 */
struct plan {
        const char *kind;            /* the journal's name for it: "detach", "assign", ... */
        enum vfioctl_action action;  /* what the report calls each change */
        bool two_pass;               /* back to host drivers: all off first, then all bound */
        bool pf_vfs;                 /* rule 10: a PF's VFs are recorded first, remade on failure */
        struct vfioctl_state_change *changes; /* in the order they are made */
        size_t n_changes;
        struct vfioctl_state_device *rows;    /* rows to record (changed and found) */
        size_t n_rows;
        char (*forget)[VFIOCTL_PCI_ADDR_MAX]; /* rows to drop */
        size_t n_forget;
        struct plan_owner *owners;            /* rows that only change owner */
        size_t n_owners;
        char *guest;                 /* rows and owners are this guest's; NULL: no guest */
        enum plan_guest_op guest_op;
        int guest_pid;
        char *guest_definition;      /* PLAN_GUEST_PUT: the XML and QEMU arguments recorded */
        char *guest_qemu_args;
        int *viable_groups;          /* groups that must be viable once the writes are done */
        size_t n_viable_groups;
        /* Rule 10 (vfnet.c): the VFs' MAC and VLAN, set once the VFs are on their stub
         * (assign), or put back before any write for the devices named (release). */
        struct vfnet_plan *vfnet;
        char (*vfnet_restore)[VFIOCTL_PCI_ADDR_MAX];
        size_t n_vfnet_restore;
        char *detail;                /* what the report says of every change; NULL: nothing */
        /* Recorded too, in the same transaction (sriov.c: the PF's row and the end of
         * its own journal entry). */
        int (*record_more)(vfioctl_state *st, void *userdata);
        void *record_userdata;
        struct helpers *ahead;       /* helpers the caller forked while it waited (op_run.ahead) */
        /* Changes (and rows) that come while it runs: the feed adds them to this plan. */
        const struct op_feed *feed;
};

void plan_clear(struct plan *p);
bool plan_is_empty(const struct plan *p);
int plan_add_vfnet_restore(struct plan *p, const char *address);

/* What a planner knows of the state, read once under the lock. */
struct plan_state {
        struct vfioctl_state_device *rows; /* sorted by address */
        size_t n_rows;
        struct vfioctl_state_op *ops;      /* unfinished operations */
        size_t n_ops;
        char **guests;                     /* the guests rows, NULL-terminated */
};

int plan_state_load(vfioctl_state *st, struct plan_state *ret);
void plan_state_clear(struct plan_state *s);
const struct vfioctl_state_device *plan_row_find(const struct plan_state *s, const char *address);
const struct vfioctl_state_op *plan_pending_find(const struct plan_state *s, const char *address);
bool plan_guest_exists(const struct plan_state *s, const char *name);

/*
 * The planners: a host snapshot and the state's rows in, a plan out, and
 * nothing written. Each returns 0 with a plan (possibly with nothing to
 * change), or a negative errno with the reason in the context's message,
 * the report's outcome set (REFUSED or INVALID) and entries (IN_USE,
 * GROUP_MEMBER, OWNED) for what stands in the way.
 */
int plan_detach(vfioctl_host *host, const struct plan_state *s,
                const struct vfioctl_pci_addr *addrs, size_t n,
                const struct vfioctl_op_options *opts, vfioctl_report *report, struct plan *ret);
int plan_reattach(vfioctl_host *host, const struct plan_state *s,
                  const struct vfioctl_pci_addr *addrs, size_t n,
                  const struct vfioctl_op_options *opts, vfioctl_report *report,
                  struct plan *ret);
/* assign.c: the guest's devices from its definition (pools resolved). */
int plan_assign(vfioctl_host *host, const struct plan_state *s, const char *name,
                vfioctl_guest_def *def, const struct vfioctl_assign_options *opts,
                vfioctl_report *report, struct plan *ret);
/* release.c: what goes back to the host when a guest lets go of addrs (all: n == 0). */
int plan_release(vfioctl_host *host, const struct plan_state *s, const char *name,
                 const struct vfioctl_pci_addr *addrs, size_t n, vfioctl_report *report,
                 struct plan *ret);

/*
 * The executor (op.c): journals the plan's changes, applies them
 * (op.c's op_apply), checks the groups it must leave viable, reports
 * each change, and records the rows, owners and guest in the transaction
 * that closes the journal entry. A dry run stops after the report.
 */
int plan_execute(vfioctl_host *host, vfioctl_state *st, const struct plan *p,
                 const struct vfioctl_op_options *opts, vfioctl_report *report);
/* Locks, loads the state, plans, executes: the body of every changing command. */
typedef int (*plan_fn)(vfioctl_host *host, const struct plan_state *s, void *userdata,
                       vfioctl_report *report, struct plan *ret);
int plan_run(vfioctl_host *host, vfioctl_state *st, const struct vfioctl_op_options *opts,
             vfioctl_report *report, plan_fn planner, void *userdata);
/* Changing commands run under the state's lock (a dry run needs none). */
int op_require_lock(vfioctl_ctx *ctx, vfioctl_state *st);

/* Sets the outcome and the context's message; returns error. */
int plan_refuse(vfioctl_ctx *ctx, vfioctl_report *report, enum vfioctl_outcome outcome, int error,
                const char *format, ...) _printf_(5, 6);
int plan_vrefuse(vfioctl_ctx *ctx, vfioctl_report *report, enum vfioctl_outcome outcome,
                 int error, const char *format, va_list ap) _printf_(5, 0);
/* Refuses a device an unfinished operation holds (REFUSED, -EBUSY). */
int plan_refuse_pending(vfioctl_ctx *ctx, vfioctl_report *report, const char *address,
                        const struct vfioctl_state_op *op);
/* Puts the changes in address order (the order they are made and reported). */
void plan_sort_changes(struct plan *p);

/* The pieces assign (assign.c) builds its own plans from. */
int plan_add_change(struct plan *p, vfioctl_device *dev, const char *target_driver,
                    const char *target_override);
/* The same, from the device's state as the caller read it (the change's before). */
int plan_add_change_from(struct plan *p, const struct vfioctl_state_change *before,
                         const char *target_driver, const char *target_override);
int plan_add_row(struct plan *p, const struct vfioctl_state_device *row);
int plan_add_forget(struct plan *p, const char *address);
int plan_add_owner(struct plan *p, const char *address, enum vfioctl_role role, bool managed);
int plan_add_viable_group(struct plan *p, int group);
/* The stub driver is loaded; else refuses (REFUSED, or INVALID for an unknown name). */
int plan_check_stub(vfioctl_host *host, const char *word, const char *stub,
                    vfioctl_report *report);
/* group.c: the group verdict (DESIGN §3 rules 1, 4, 6). */
enum group_member {
        GROUP_MEMBER_STAYS,     /* unbound, or a bridge on pcieport: left as it is */
        GROUP_MEMBER_ON_STUB,   /* on a stub already: owned with the group, never written */
        GROUP_MEMBER_IN_THE_WAY, /* on a host driver: VFIO cannot take the group with it */
};
enum group_member group_member_verdict(vfioctl_device *m);
/* A GROUP_MEMBER entry naming m, its driver and what it is. */
int group_member_blocks(vfioctl_device *m, vfioctl_report *report);
/* Who refuses a group with n members in the way, and so which ways out the message names. */
enum group_asker {
        GROUP_ASKER_DETACH,    /* detach without the group */
        GROUP_ASKER_ASSIGN,    /* a hostdev without group='auto' (line: where it is) */
        GROUP_ASKER_UNMANAGED, /* a managed='no' hostdev: the admin prepares its group */
        GROUP_ASKER_LIBVIRT,   /* a domain from libvirt's hook: the ways out are its metadata */
        GROUP_ASKER_RESERVE,   /* a boot-time reservation without the group (rule 13) */
};
int group_refuse(vfioctl_ctx *ctx, vfioctl_report *report, enum group_asker asker,
                 const char *first, unsigned line, int group, int n);
/* The row of another guest (not except) in dev's group as sysfs shows it, or NULL. */
const struct vfioctl_state_device *group_owner_row(vfioctl_host *host, const struct plan_state *s,
                                               vfioctl_device *dev, const char *except);
/* The group a recorded device is in now (sysfs); -1: none, or it left the host. */
int group_of_row(vfioctl_host *host, const struct vfioctl_state_device *row);
/* Rule 11: a device in no IOMMU group is refused for a vfio driver (REFUSED). */
int plan_check_group_exists(vfioctl_host *host, vfioctl_device *dev, const char *stub,
                            vfioctl_report *report);
/* Rule 9, in usage.c: an IN_USE entry per thing the host visibly uses; returns how many. */
static inline int plan_check_safety(vfioctl_host *host, vfioctl_device *dev,
                                    vfioctl_report *report)
{
        (void) host;
        return vfioctl_device_check_host_use(dev, report);
}
/* Rule 2: gives row's device back to target_driver, or forgets a row whose device left. */
int plan_give_back(struct plan *p, vfioctl_host *host, const struct vfioctl_state_device *row,
                   const char *target_driver, vfioctl_report *report);
/* The driver_override a reattach or release leaves (rules 2, 11): none. */
const char *plan_reattach_override(const struct vfioctl_state_device *row);
/* "NIC: Intel Corporation 82574L Gigabit Network Connection" or "NIC 8086:10d3". */
const char *plan_describe(vfioctl_device *dev, char *buf, size_t size);

/* Rule 10 (sriov.c): refuses to detach a PF whose VFs would vanish (REFUSED), unless forced
 * and none of them is owned, detached or in use. */
/* detach.c's hooks: the VF count of PFs it detaches, restored at reattach. */
int sriov_before_detach(vfioctl_host *host, vfioctl_state *st, const struct plan *p);
int sriov_after_detach_failed(vfioctl_host *host, vfioctl_state *st, const struct plan *p,
                              const struct vfioctl_op_options *opts, vfioctl_report *report);
int sriov_before_reattach(vfioctl_host *host, vfioctl_state *st,
                          const struct vfioctl_pci_addr *addrs, size_t n,
                          const struct vfioctl_op_options *opts, vfioctl_report *report);
int sriov_after_reattach(vfioctl_host *host, vfioctl_state *st,
                         const struct vfioctl_pci_addr *addrs, size_t n,
                         const struct vfioctl_op_options *opts, vfioctl_report *report);
int sriov_check_detach(vfioctl_host *host, vfioctl_device *pf,
                       const struct vfioctl_state_device *rows, size_t n_rows, bool force,
                       vfioctl_report *report);
