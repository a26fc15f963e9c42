/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal side of the state store (state.c): the rows other parts of the
 * library change, and the journal of the operation in progress. The
 * public side (reading rows, the lock) is in vfioctl.h.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sqlite3.h>

#include "internal.h"

/* The journal's statements, compiled once a handle (db_prepare_kept(), state.c). */
enum state_stmt {
        STATE_STMT_STEP_INTENDED,
        STATE_STMT_STEP_SET,
        _STATE_STMT_MAX,
};

struct vfioctl_state {
        int n_ref;
        vfioctl_ctx *ctx;
        char *dir;
        sqlite3 *db;  /* NULL: opened read-only and there is no state yet */
        int lock_fd;  /* held while >= 0 */
        bool readonly;
        int64_t version; /* the schema: older than VFIOCTL_STATE_SCHEMA only when read-only */
        sqlite3_stmt *stmt[_STATE_STMT_MAX];
};

/* Explicit transactions; a failed body calls state_rollback(). */
int state_begin(vfioctl_state *st);
int state_commit(vfioctl_state *st);
void state_rollback(vfioctl_state *st);

/* Device rows. put replaces the row of the same address. */
int state_device_put(vfioctl_state *st, const struct vfioctl_state_device *d);
int state_device_delete(vfioctl_state *st, const char *address);
/* -ENOENT when there is no row; *ret is freed with vfioctl_state_devices_free(ret, 1). */
int state_device_get(vfioctl_state *st, const char *address, struct vfioctl_state_device **ret);

/* Guests and ownership (for assign/release). */
int state_guest_put(vfioctl_state *st, const char *name, int pid, const char *definition,
                    const char *qemu_args);
int state_guest_delete(vfioctl_state *st, const char *name);
/* A guests row; strings owned, freed by state_guest_clear(). */
struct state_guest {
        char *name;
        int pid;
        char *definition;
        char *qemu_args;
        int64_t created_at;
};
void state_guest_clear(struct state_guest *g);
/* -ENOENT when there is no such guest. */
int state_guest_get(vfioctl_state *st, const char *name, struct state_guest *ret);
/* Every guest's name, sorted, NULL-terminated (strv_free()). */
int state_guest_names(vfioctl_state *st, char ***ret);
/* owner NULL gives the device back to nobody (role ignored). */
int state_device_set_owner(vfioctl_state *st, const char *address, const char *owner,
                           enum vfioctl_role role, bool managed);

/*
 * The journal. An operation is recorded with every device it will change
 * and what that device was before (one transaction, before the first
 * write); each write is then recorded as intended before it is made and
 * marked done once verified. state_op_end() drops the operation: call it
 * in the transaction that records the operation's result.
 */
/*
 * Room in the journal for an operation over n devices and its rollback
 * (-ENOSPC said); *ret_end for state_op_unreserve() once it is over.
 */
int state_op_reserve(vfioctl_state *st, size_t n_devices, off_t *ret_end);
void state_op_unreserve(vfioctl_state *st, off_t end);
int state_op_begin(vfioctl_state *st, const char *kind, const char *command,
                   const struct vfioctl_state_change *changes, size_t n, int64_t *ret_id);
/* More changes of operation id, as seq first.., journaled before their first write. */
int state_op_add_changes(vfioctl_state *st, int64_t id, size_t first,
                         const struct vfioctl_state_change *changes, size_t n);
/* helper_pid: the process that makes the write, recorded before it may block (rule 12). */
int state_op_step_intended(vfioctl_state *st, int64_t op, int seq, const char *address,
                           const char *path, const char *value, int helper_pid);
int state_op_step_set(vfioctl_state *st, int64_t op, int seq, const char *status, int helper_pid);
int state_op_end(vfioctl_state *st, int64_t op);

/* Command line of the current process as one string, for detached_by. */
const char *state_default_command(void);
