/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Taking devices back from a guest (DESIGN §3 rules 4 and 5), in
 * libvirt's virHostdevReAttachPCIDevices order (drop ownership, then give
 * back what is managed) but a group at a time: a group goes back to the
 * host only when no device of it is assigned to the guest any more, and
 * then all its members together (a host driver cannot bind into a group
 * while another member is on vfio-pci). What assign found on a stub
 * stays there; only what it detached is given back.
 */
#include <errno.h>
#include <stdio.h>

#include "assign.h"
#include "vfnet.h"

struct release {
        vfioctl_host *host;
        vfioctl_ctx *ctx;
        vfioctl_state *st;
        vfioctl_report *report;
        const char *name;
        struct vfioctl_state_device *rows; /* the guest's */
        size_t n_rows;
        bool *selected;                    /* parallel to rows */
        bool *back;                        /* leaves the guest now */
        struct plan plan;
        char (*unowned)[VFIOCTL_PCI_ADDR_MAX]; /* rows kept, owner dropped */
        size_t n_unowned;
        bool *hold;                            /* released, held until its group goes */
};

static int addr_list_add(char (**l)[VFIOCTL_PCI_ADDR_MAX], size_t *n, const char *address)
{
        char (*nl)[VFIOCTL_PCI_ADDR_MAX] = reallocarray(*l, *n + 1, sizeof(**l));

        if (!nl)
                return -ENOMEM;
        *l = nl;
        snprintf(nl[(*n)++], VFIOCTL_PCI_ADDR_MAX, "%s", address);
        return 0;
}

static void release_clear(struct release *c)
{
        vfioctl_state_devices_free(c->rows, c->n_rows);
        free(c->selected);
        free(c->back);
        plan_clear(&c->plan);
        free(c->unowned);
        free(c->hold);
}

/* DEV...: each must be the guest's. */
static int select_devices(struct release *c, const struct vfioctl_pci_addr *addrs, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                char addr[VFIOCTL_PCI_ADDR_MAX];
                struct vfioctl_state_device *row = NULL;
                bool found = false;

                vfioctl_pci_addr_format(&addrs[i], addr);
                for (size_t j = 0; j < c->n_rows && !found; j++)
                        if (streq(c->rows[j].address, addr))
                                found = c->selected[j] = true;
                if (found)
                        continue;
                report_set_outcome(c->report, VFIOCTL_OUTCOME_INVALID);
                if (state_device_get(c->st, addr, &row) >= 0 && row->owner) {
                        ctx_error(c->ctx, -EINVAL, "%s is not guest '%s''s: guest '%s' owns it",
                                  addr, c->name, row->owner);
                        vfioctl_state_devices_free(row, 1);
                        return -EINVAL;
                }
                vfioctl_state_devices_free(row, 1);
                return ctx_error(c->ctx, -EINVAL, "%s is not guest '%s''s ('vfioctl status %s' "
                                                  "lists what it owns)",
                                 addr, c->name, c->name);
        }
        return 0;
}

/* Whether a device of this group stays assigned to the guest after the release. */
static const char *group_keeps(struct release *c, int group)
{
        for (size_t i = 0; i < c->n_rows; i++)
                if (c->rows[i].group == group && !c->selected[i] &&
                    c->rows[i].role == VFIOCTL_ROLE_ASSIGNED)
                        return c->rows[i].address;
        return NULL;
}

static int give_back(struct release *c, const struct vfioctl_state_device *row)
{
        struct vfioctl_pci_addr a;
        vfioctl_device *dev;
        int r;

        if (!row->managed) {
                const char *stub = strempty(row->stub_driver);

                if (row->found_detached) {
                        report_add(c->report, row->address, VFIOCTL_ACTION_LEFT_ALONE, stub, stub,
                                   "released from guest '%s'; stays on %s (it was there before "
                                   "the guest)", c->name, stub);
                        return plan_add_forget(&c->plan, row->address);
                }
                report_add(c->report, row->address, VFIOCTL_ACTION_LEFT_ALONE, stub, stub,
                           "released from guest '%s'; stays detached (detached before, by '%s')",
                           c->name, row->detached_by);
                return addr_list_add(&c->unowned, &c->n_unowned, row->address);
        }
        r = vfioctl_pci_addr_parse(row->address, &a);
        if (r >= 0)
                r = vfioctl_host_get_device(c->host, &a, &dev);
        if (r == -ENODEV) {
                ctx_clear_error(c->ctx);
                report_add(c->report, row->address, VFIOCTL_ACTION_NOT_DETACHED, NULL, NULL,
                           "no longer on the host; forgotten");
                return plan_add_forget(&c->plan, row->address);
        }
        if (r < 0)
                return r;
        r = plan_add_change(&c->plan, dev, row->original_driver, plan_reattach_override(row));
        if (r < 0)
                return r;
        return plan_add_forget(&c->plan, row->address);
}

static int plan_release(struct release *c)
{
        int r;

        for (size_t i = 0; i < c->n_rows; i++) {
                const char *keeps;

                if (!c->selected[i])
                        continue;
                keeps = c->rows[i].group >= 0 ? group_keeps(c, c->rows[i].group) : NULL;
                if (keeps) {
                        report_add(c->report, c->rows[i].address, VFIOCTL_ACTION_LEFT_ALONE,
                                   c->rows[i].stub_driver, c->rows[i].stub_driver,
                                   "released, but held for guest '%s' until the rest of IOMMU "
                                   "group %d (%s) is released: the group goes back whole",
                                   c->name, c->rows[i].group, keeps);
                        c->hold[i] = true;
                        continue;
                }
                /* The whole group leaves the guest: its held members too. */
                for (size_t j = 0; j < c->n_rows; j++)
                        if (j == i || (c->rows[i].group >= 0 && c->rows[j].group == c->rows[i].group))
                                c->back[j] = true;
        }
        for (size_t i = 0; i < c->n_rows; i++) {
                if (!c->back[i])
                        continue;
                r = give_back(c, &c->rows[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int release_record(struct release *c, struct op_run *run)
{
        size_t left = 0;
        int r;

        for (size_t i = 0; i < c->n_rows; i++)
                left += !c->back[i];
        r = state_begin(c->st);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->plan.n_forget && r >= 0; i++)
                r = state_device_delete(c->st, c->plan.forget[i]);
        for (size_t i = 0; i < c->n_unowned && r >= 0; i++)
                r = state_device_set_owner(c->st, c->unowned[i], NULL, VFIOCTL_ROLE_NONE, true);
        for (size_t i = 0; i < c->n_rows && r >= 0; i++)
                if (c->hold[i])
                        r = state_device_set_owner(c->st, c->rows[i].address, c->name,
                                                   VFIOCTL_ROLE_HELD, c->rows[i].managed);
        if (r >= 0 && left == 0)
                r = state_guest_delete(c->st, c->name);
        if (r >= 0 && c->plan.n_changes > 0)
                r = state_op_end(c->st, run->op_id);
        if (r >= 0)
                r = state_commit(c->st);
        if (r < 0)
                state_rollback(c->st);
        return r;
}

static int release_apply(struct release *c, const struct vfioctl_op_options *opts)
{
        struct op_run run;
        int r;

        /* Rule 10, libvirt's order: the VFs' MAC/VLAN go back before the VFs do. */
        r = vfnet_restore(c->st, c->name, c->rows, c->selected, c->n_rows, c->report);
        if (r < 0)
                return r;
        r = op_run_init(&run, c->ctx, c->st, opts->timeout_ms, c->report);
        if (r < 0)
                return r;
        if (c->plan.n_changes > 0) {
                r = op_apply(&run, "release", opts->command, c->plan.changes, c->plan.n_changes,
                             true);
                vfioctl_host_invalidate(c->host);
        }
        if (r < 0)
                goto out;
        for (size_t i = 0; i < c->plan.n_changes; i++)
                report_add(c->report, c->plan.changes[i].address, VFIOCTL_ACTION_REATTACHED,
                           c->plan.changes[i].before_driver, c->plan.changes[i].target_driver,
                           NULL);
        if (!run.st)
                goto out;
        r = release_record(c, &run);
        if (r < 0) {
                report_set_outcome(c->report, VFIOCTL_OUTCOME_ATTENTION);
                ctx_error(c->ctx, r, "the devices were given back but %s/state.db could not "
                          "record it (%s); run 'vfioctl recover' to put them back",
                          vfioctl_state_get_dir(c->st), vfioctl_ctx_errmsg(c->ctx));
        }
out:
        op_run_done(&run);
        return r;
}

static int pending_check(struct release *c)
{
        struct vfioctl_state_op *ops = NULL;
        size_t n = 0;
        int r;

        r = vfioctl_state_get_pending(c->st, &ops, &n);
        for (size_t i = 0; i < n && r >= 0; i++)
                for (size_t j = 0; j < ops[i].n_changes && r >= 0; j++)
                        for (size_t k = 0; k < c->n_rows && r >= 0; k++)
                                if (streq(ops[i].changes[j].address, c->rows[k].address)) {
                                        report_set_outcome(c->report, VFIOCTL_OUTCOME_REFUSED);
                                        r = ctx_error(c->ctx, -EBUSY,
                                                      "%s is part of an unfinished operation "
                                                      "('%s', pid %d); run 'vfioctl recover' "
                                                      "first",
                                                      c->rows[k].address, ops[i].command,
                                                      ops[i].pid);
                                }
        vfioctl_state_ops_free(ops, n);
        return r;
}

/* A guest row without devices (it assigned nothing that stayed): just forget it. */
static int release_nothing(struct release *c)
{
        struct state_guest sg;
        int r;

        r = state_guest_get(c->st, c->name, &sg);
        if (r >= 0) {
                state_guest_clear(&sg);
                if (!vfioctl_ctx_is_dry_run(c->ctx))
                        r = state_guest_delete(c->st, c->name);
        } else if (r == -ENOENT)
                r = 0;
        return r;
}

static const struct vfioctl_op_options default_opts;

VFIOCTL_EXPORT int vfioctl_release(vfioctl_host *host, vfioctl_state *st, const char *name,
                                   const struct vfioctl_pci_addr *addrs, size_t n,
                                   const struct vfioctl_op_options *opts,
                                   vfioctl_report *report)
{
        struct release c = {
                .host = host,
                .st = st,
                .report = report,
                .name = name,
        };
        int r;

        if (!host || !st || !name || (!addrs && n > 0))
                return -EINVAL;
        c.ctx = vfioctl_host_get_ctx(host);
        opts = opts ? opts : &default_opts;
        if (!vfioctl_ctx_is_dry_run(c.ctx) && st->lock_fd < 0)
                return ctx_error(c.ctx, -ENOLCK, "the state must be locked (vfioctl_state_lock) "
                                                 "first");
        r = vfioctl_state_get_devices(st, name, &c.rows, &c.n_rows);
        if (r < 0)
                return r;
        if (c.n_rows == 0 && n == 0) {
                r = release_nothing(&c);
                goto out;
        }
        c.selected = calloc(c.n_rows + 1, sizeof(bool));
        c.back = calloc(c.n_rows + 1, sizeof(bool));
        c.hold = calloc(c.n_rows + 1, sizeof(bool));
        if (!c.selected || !c.back || !c.hold) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < c.n_rows && n == 0; i++)
                c.selected[i] = true;
        r = select_devices(&c, addrs, n);
        if (r >= 0)
                r = pending_check(&c);
        if (r >= 0)
                r = plan_release(&c);
        if (r >= 0)
                r = release_apply(&c, opts);
out:
        release_clear(&c);
        return r;
}

VFIOCTL_EXPORT int vfioctl_release_dead(vfioctl_host *host, vfioctl_state *st,
                                        const struct vfioctl_op_options *opts,
                                        vfioctl_report *report)
{
        _cleanup_strv_free_ char **names = NULL;
        int done = 0, r;

        if (!host || !st)
                return -EINVAL;
        r = vfioctl_guest_list(st, &names);
        if (r < 0)
                return r;
        for (char **name = names; *name; name++) {
                vfioctl_guest *g = NULL;
                bool dead;

                r = vfioctl_guest_load(st, *name, &g);
                if (r < 0)
                        return r;
                dead = !vfioctl_guest_is_alive(g);
                vfioctl_guest_unref(g);
                if (!dead)
                        continue;
                r = vfioctl_release(host, st, *name, NULL, 0, opts, report);
                if (r < 0)
                        return r;
                done++;
        }
        return done;
}
