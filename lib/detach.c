/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The node-level half of device assignment: detach, reattach and recover
 * (DESIGN §3, §5). plan.c decides, op.c carries the plan out and
 * records it; recover rolls back what the journal says was interrupted.
 */
#include <errno.h>
#include <stdio.h>

#include "plan.h"
#include "vfnet.h"

static const struct vfioctl_op_options default_opts;

typedef int (*addrs_planner_fn)(vfioctl_host *host, const struct plan_state *s,
                                const struct vfioctl_pci_addr *addrs, size_t n,
                                const struct vfioctl_op_options *opts, vfioctl_report *report,
                                struct plan *ret);

struct addrs_request {
        addrs_planner_fn planner;
        const struct vfioctl_pci_addr *addrs;
        size_t n;
        const struct vfioctl_op_options *opts;
};

static int addrs_planner(vfioctl_host *host, const struct plan_state *s, void *userdata,
                         vfioctl_report *report, struct plan *ret)
{
        struct addrs_request *rq = userdata;

        return rq->planner(host, s, rq->addrs, rq->n, rq->opts, report, ret);
}

/* Detach and reattach differ only in how they plan: plan, then run it. */
static int plan_and_run(vfioctl_host *host, vfioctl_state *st, const struct vfioctl_pci_addr *addrs,
                        size_t n, const struct vfioctl_op_options *opts, vfioctl_report *report,
                        addrs_planner_fn planner)
{
        struct addrs_request rq = { .planner = planner, .addrs = addrs, .n = n };

        if (!host || !st || (!addrs && n > 0))
                return -EINVAL;
        rq.opts = opts ? opts : &default_opts;
        return plan_run(host, st, rq.opts, report, addrs_planner, &rq);
}

VFIOCTL_EXPORT int vfioctl_detach(vfioctl_host *host, vfioctl_state *st,
                                  const struct vfioctl_pci_addr *addrs, size_t n,
                                  const struct vfioctl_op_options *opts, vfioctl_report *report)
{
        return plan_and_run(host, st, addrs, n, opts, report, plan_detach);
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
        r = plan_and_run(host, st, addrs, n, opts, report, plan_reattach);
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
        int done = 0, r;

        if (!host || !st)
                return -EINVAL;
        ctx = vfioctl_host_get_ctx(host);
        r = vfnet_recover(st, report);
        if (r >= 0)
                r = state_get_pending(st, &ops, &n);
        if (r < 0 || n == 0)
                return r;
        if (vfioctl_ctx_is_dry_run(ctx))
                return ctx_error_reason(ctx, VFIOCTL_REASON_UNFINISHED, -EOPNOTSUPP,
                                        "an unfinished operation is in the journal");
        r = op_require_lock(ctx, st);
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
                        r = 0;
                        break;
                }
                if (r >= 0)
                        r = op_recover(&run, &ops[i - 1]);
                done += r > 0;
        }
        op_run_done(&run);
        vfioctl_host_invalidate(host);
out:
        state_ops_free(ops, n);
        return r < 0 ? r : done;
}
