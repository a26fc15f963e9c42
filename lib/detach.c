/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The node-level half of device assignment: detach, reattach and recover
 * (DESIGN §3, §5). plan.c decides, op.c writes and rolls back; this
 * file ties them to the state: a change is recorded in the same
 * transaction that closes its journal entry, so the state never claims a
 * device that is not where it says, and never forgets one that is.
 */
#include <errno.h>
#include <stdio.h>

#include "plan.h"
#include "vfnet.h"

static int require_lock(vfioctl_ctx *ctx, vfioctl_state *st)
{
        if (vfioctl_ctx_is_dry_run(ctx) || (st && st->lock_fd >= 0))
                return 0;
        return ctx_error(ctx, -ENOLCK, "the state must be locked (vfioctl_state_lock) first");
}

static void report_changes(struct op_run *run, vfioctl_report *report, const struct plan *p,
                           enum vfioctl_action action)
{
        for (size_t i = 0; i < p->n_changes; i++) {
                const char *to = p->changes[i].target_driver;
                _cleanup_free_ char *got = NULL;
                bool kernel = streq_ptr(to, DRIVER_KERNEL_CHOICE);

                /* The kernel chose: say what it chose (NULL: nothing took it). */
                if (kernel) {
                        if (vfioctl_ctx_is_dry_run(run->ctx) ||
                            driver_read(run, p->changes[i].address, &got, NULL) < 0)
                                got = NULL;
                        to = got;
                }
                report_add(report, p->changes[i].address, action, p->changes[i].before_driver,
                           to, kernel ? "the kernel's choice" : NULL);
        }
}

/* Records the result and closes the journal entry, in one transaction. */
static int record(struct op_run *run, vfioctl_state *st, const struct plan *p)
{
        int r;

        r = state_begin(st);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_rows && r >= 0; i++)
                r = state_device_put(st, &p->rows[i]);
        for (size_t i = 0; i < p->n_forget && r >= 0; i++)
                r = state_device_delete(st, p->forget[i]);
        if (r >= 0 && p->n_changes > 0)
                r = state_op_end(st, run->op_id);
        if (r >= 0)
                r = state_commit(st);
        if (r < 0)
                state_rollback(st);
        return r;
}

int detach_run_plan(vfioctl_host *host, vfioctl_state *st, const char *kind,
                    const struct vfioctl_op_options *opts, const struct plan *p,
                    enum vfioctl_action action, vfioctl_report *report)
{
        vfioctl_ctx *ctx = vfioctl_host_get_ctx(host);
        struct op_run run;
        int r;

        if (p->n_changes == 0 && p->n_rows == 0 && p->n_forget == 0)
                return 0;
        r = op_run_init(&run, ctx, st, opts->timeout_ms, report);
        if (r < 0)
                return r;
        if (p->n_changes > 0 && run.st && action == VFIOCTL_ACTION_DETACHED)
                r = sriov_before_detach(host, st, p); /* Rule 10: a PF's VFs come back */
        if (r >= 0 && p->n_changes > 0)
                r = op_apply(&run, kind, opts->command, p->changes, p->n_changes,
                             action == VFIOCTL_ACTION_REATTACHED);
        if (p->n_changes > 0)
                vfioctl_host_invalidate(host);
        if (r < 0 && run.st && action == VFIOCTL_ACTION_DETACHED)
                (void) sriov_after_detach_failed(host, st, p, opts, report);
        if (r < 0)
                goto out;
        report_changes(&run, report, p, action);
        if (!run.st)
                goto out; /* dry run */
        r = record(&run, st, p);
        if (r < 0) {
                /* The devices moved but the state could not say so: the
                 * journal still holds the operation, recover undoes it. */
                report_set_outcome(report, VFIOCTL_OUTCOME_ATTENTION);
                ctx_error(ctx, r, "the devices were changed but %s/state.db could not record it "
                          "(%s); run 'vfioctl recover' to put them back",
                          vfioctl_state_get_dir(st), vfioctl_ctx_errmsg(ctx));
        }
out:
        op_run_done(&run);
        return r;
}

static const struct vfioctl_op_options default_opts;

typedef int (*planner_fn)(vfioctl_host *host, vfioctl_state *st,
                          const struct vfioctl_pci_addr *addrs, size_t n,
                          const struct vfioctl_op_options *opts, vfioctl_report *report,
                          struct plan *ret);

/* Detach and reattach differ only in how they plan: plan, then run it. */
static int plan_and_run(vfioctl_host *host, vfioctl_state *st, const struct vfioctl_pci_addr *addrs,
                        size_t n, const struct vfioctl_op_options *opts, vfioctl_report *report,
                        const char *kind, planner_fn planner, enum vfioctl_action action)
{
        struct plan p;
        int r;

        if (!host || !st || (!addrs && n > 0))
                return -EINVAL;
        opts = opts ? opts : &default_opts;
        r = require_lock(vfioctl_host_get_ctx(host), st);
        if (r < 0)
                return r;
        r = planner(host, st, addrs, n, opts, report, &p);
        if (r < 0)
                return r;
        r = detach_run_plan(host, st, kind, opts, &p, action, report);
        plan_clear(&p);
        return r;
}

VFIOCTL_EXPORT int vfioctl_detach(vfioctl_host *host, vfioctl_state *st,
                                  const struct vfioctl_pci_addr *addrs, size_t n,
                                  const struct vfioctl_op_options *opts, vfioctl_report *report)
{
        return plan_and_run(host, st, addrs, n, opts, report, "detach", plan_detach,
                            VFIOCTL_ACTION_DETACHED);
}

VFIOCTL_EXPORT int vfioctl_reattach(vfioctl_host *host, vfioctl_state *st,
                                    const struct vfioctl_pci_addr *addrs, size_t n,
                                    const struct vfioctl_op_options *opts, vfioctl_report *report)
{
        int r;

        opts = opts ? opts : &default_opts;
        /* Rule 10: VFs made by `sriov` go with their PF; a detached PF's come back. */
        if (host && st && addrs && !vfioctl_ctx_is_dry_run(vfioctl_host_get_ctx(host))) {
                r = sriov_before_reattach(host, st, addrs, n, opts, report);
                if (r < 0)
                        return r;
        }
        r = plan_and_run(host, st, addrs, n, opts, report, "reattach", plan_reattach,
                         VFIOCTL_ACTION_REATTACHED);
        if (r >= 0 && !vfioctl_ctx_is_dry_run(vfioctl_host_get_ctx(host)))
                r = sriov_after_reattach(host, st, addrs, n, opts, report);
        return r;
}

/*
 * Rule 9 holds for recover too: the journal says what a device was, but
 * putting it back must not take a device the host now visibly uses off
 * its driver (the journal may be wrong, or the admin may have given the
 * device back by hand since). Returns how many devices are in use.
 */
static int recover_check_safety(vfioctl_host *host, const struct vfioctl_state_op *op,
                                vfioctl_report *report)
{
        int found = 0;

        for (size_t i = 0; i < op->n_changes; i++) {
                const struct vfioctl_state_change *ch = &op->changes[i];
                struct vfioctl_pci_addr a;
                vfioctl_device *dev;
                int r;

                if (vfioctl_pci_addr_parse(ch->address, &a) < 0 ||
                    host_find_device(host, &a, &dev) < 0)
                        continue;
                /* Only a rollback that unbinds the driver it is on now can hurt. */
                if (!vfioctl_device_get_driver(dev) ||
                    streq_ptr(vfioctl_device_get_driver(dev), ch->before_driver))
                        continue;
                r = plan_check_safety(host, dev, report);
                if (r < 0)
                        return r;
                found += r;
        }
        return found;
}

VFIOCTL_EXPORT int vfioctl_recover(vfioctl_host *host, vfioctl_state *st, unsigned timeout_ms,
                                   vfioctl_report *report)
{
        vfioctl_ctx *ctx;
        struct vfioctl_state_op *ops = NULL;
        struct op_run run;
        size_t n = 0;
        int done = 0, left = 0, r;

        if (!host || !st)
                return -EINVAL;
        ctx = vfioctl_host_get_ctx(host);
        r = vfnet_recover(st, report);
        if (r >= 0)
                r = vfioctl_state_get_pending(st, &ops, &n);
        if (r < 0 || n == 0)
                return r;
        if (vfioctl_ctx_is_dry_run(ctx))
                return ctx_error(ctx, -EOPNOTSUPP,
                                 "an unfinished operation is in the journal; run 'vfioctl "
                                 "recover' (without --dry-run) first");
        r = require_lock(ctx, st);
        if (r < 0)
                goto out;
        r = op_run_init(&run, ctx, st, timeout_ms, report);
        if (r < 0)
                goto out;
        /* Newest first: a later operation may have built on an earlier one. */
        for (size_t i = n; i > 0 && r >= 0; i--) {
                r = recover_check_safety(host, &ops[i - 1], report);
                if (r > 0) {
                        /* Older operations may be built on this one: stop here. */
                        report_set_outcome(report, VFIOCTL_OUTCOME_ATTENTION);
                        left++;
                        r = 0;
                        break;
                }
                if (r >= 0)
                        r = op_recover(&run, &ops[i - 1]);
                done += r > 0;
                if (r == 0)
                        left++;
        }
        if (r >= 0 && left > 0)
                ctx_error(ctx, -EBUSY, "%d interrupted operation%s could not be rolled back yet:",
                          left, left == 1 ? "" : "s");
        op_run_done(&run);
        vfioctl_host_invalidate(host);
out:
        vfioctl_state_ops_free(ops, n);
        return r < 0 ? r : done;
}
