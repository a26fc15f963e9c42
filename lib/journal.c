/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal as callers read it: the operations that were started and
 * not finished, each with the devices it changes and the writes it made.
 * The rows themselves (struct vfioctl_state_op and its changes and steps)
 * are the engine's working data and stay internal (internal.h); callers
 * get a reference-counted snapshot and accessors, so the engine can change
 * its structs without changing the ABI.
 */
#include <errno.h>

#include "state.h"

struct vfioctl_journal {
        int n_ref;
        struct vfioctl_state_op *ops;
        size_t n_ops;
};

static void journal_free(vfioctl_journal *j)
{
        state_ops_free(j->ops, j->n_ops);
        free(j);
}

DEFINE_PUBLIC_REF_UNREF(vfioctl_journal, vfioctl_journal, journal_free)

VFIOCTL_EXPORT int vfioctl_state_get_journal(vfioctl_state *st, vfioctl_journal **ret)
{
        vfioctl_journal *j;
        int r;

        assert_return(st && ret, -EINVAL);
        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        j->n_ref = 1;
        r = state_get_pending(st, &j->ops, &j->n_ops);
        if (r < 0) {
                free(j);
                return r;
        }
        *ret = j;
        return 0;
}

VFIOCTL_EXPORT size_t vfioctl_journal_n_ops(vfioctl_journal *j)
{
        assert_return(j, 0);
        return j->n_ops;
}

VFIOCTL_EXPORT vfioctl_state_op *vfioctl_journal_op_at(vfioctl_journal *j, size_t i)
{
        assert_return(j && i < j->n_ops, NULL);
        return &j->ops[i];
}

VFIOCTL_EXPORT int64_t vfioctl_state_op_get_id(vfioctl_state_op *op)
{
        assert_return(op, 0);
        return op->id;
}

VFIOCTL_EXPORT const char *vfioctl_state_op_get_kind(vfioctl_state_op *op)
{
        assert_return(op, NULL);
        return op->kind;
}

VFIOCTL_EXPORT const char *vfioctl_state_op_get_command(vfioctl_state_op *op)
{
        assert_return(op, NULL);
        return op->command;
}

VFIOCTL_EXPORT int vfioctl_state_op_get_pid(vfioctl_state_op *op)
{
        assert_return(op, 0);
        return op->pid;
}

VFIOCTL_EXPORT int64_t vfioctl_state_op_get_started_at(vfioctl_state_op *op)
{
        assert_return(op, 0);
        return op->started_at;
}

VFIOCTL_EXPORT bool vfioctl_state_op_has_written(vfioctl_state_op *op)
{
        assert_return(op, false);
        /* A step leaves "intended" only once its write was made (or failed). */
        for (size_t i = 0; i < op->n_steps; i++)
                if (!streq(op->steps[i].status, "intended"))
                        return true;
        return false;
}

VFIOCTL_EXPORT size_t vfioctl_state_op_n_changes(vfioctl_state_op *op)
{
        assert_return(op, 0);
        return op->n_changes;
}

VFIOCTL_EXPORT int vfioctl_state_op_get_change(vfioctl_state_op *op, size_t i,
                                               const char **ret_address,
                                               const char **ret_before_driver,
                                               const char **ret_target_driver)
{
        const struct vfioctl_state_change *c;

        assert_return(op && i < op->n_changes, -EINVAL);
        c = &op->changes[i];
        if (ret_address)
                *ret_address = c->address;
        if (ret_before_driver)
                *ret_before_driver = c->before_driver;
        if (ret_target_driver)
                *ret_target_driver = c->target_driver;
        return 0;
}

VFIOCTL_EXPORT size_t vfioctl_state_op_n_steps(vfioctl_state_op *op)
{
        assert_return(op, 0);
        return op->n_steps;
}

VFIOCTL_EXPORT int vfioctl_state_op_get_step(vfioctl_state_op *op, size_t i,
                                             const char **ret_address, const char **ret_path,
                                             const char **ret_value, const char **ret_status)
{
        const struct vfioctl_state_step *s;

        assert_return(op && i < op->n_steps, -EINVAL);
        s = &op->steps[i];
        if (ret_address)
                *ret_address = s->address;
        if (ret_path)
                *ret_path = s->path;
        if (ret_value)
                *ret_value = s->value;
        if (ret_status)
                *ret_status = s->status;
        return 0;
}
