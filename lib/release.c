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
        const struct plan_state *k;
        vfioctl_report *report;
        const char *name;
        const struct vfioctl_state_device **rows; /* the guest's, by address */
        size_t n_rows;
        int *group;                        /* parallel to rows: the group in sysfs now */
        bool *selected;                    /* parallel to rows */
        bool *back;                        /* leaves the guest now */
        struct plan *plan;
};

static void release_clear(struct release *c)
{
        free(c->rows);
        free(c->group);
        free(c->selected);
        free(c->back);
}

/* DEV...: each must be the guest's. */
static int select_devices(struct release *c, const struct vfioctl_pci_addr *addrs, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                char addr[VFIOCTL_PCI_ADDR_MAX];
                const struct vfioctl_state_device *row;
                bool found = false;

                vfioctl_pci_addr_format(&addrs[i], addr);
                for (size_t j = 0; j < c->n_rows && !found; j++)
                        if (streq(c->rows[j]->address, addr))
                                found = c->selected[j] = true;
                if (found)
                        continue;
                report_set_outcome(c->report, VFIOCTL_OUTCOME_INVALID);
                row = plan_row_find(c->k, addr);
                if (row && row->owner)
                        return ctx_error(c->ctx, -EINVAL, "%s is not guest '%s''s: guest '%s' "
                                                          "owns it",
                                         addr, c->name, row->owner);
                return ctx_set_reason(c->ctx,
                                      ctx_error(c->ctx, -EINVAL, "%s is not guest '%s''s", addr,
                                                c->name),
                                      VFIOCTL_REASON_NOT_OWNED, c->name);
        }
        return 0;
}

/* Whether a device of this group stays assigned to the guest after the release. */
static const char *group_keeps(struct release *c, int group)
{
        for (size_t i = 0; i < c->n_rows; i++)
                if (c->group[i] == group && !c->selected[i] &&
                    c->rows[i]->role == VFIOCTL_ROLE_ASSIGNED)
                        return c->rows[i]->address;
        return NULL;
}

static int give_back(struct release *c, const struct vfioctl_state_device *row)
{
        if (!row->managed) {
                const char *stub = strempty(row->stub_driver);

                if (row->found_detached) {
                        report_add(c->report, row->address, VFIOCTL_ACTION_LEFT_ALONE, stub, stub,
                                   "released from guest '%s'; stays on %s (it was there before "
                                   "the guest)", c->name, stub);
                        return plan_add_forget(c->plan, row->address);
                }
                report_add(c->report, row->address, VFIOCTL_ACTION_LEFT_ALONE, stub, stub,
                           "released from guest '%s'; stays detached (detached before, by '%s')",
                           c->name, row->detached_by);
                return plan_add_owner(c->plan, row->address, VFIOCTL_ROLE_NONE, true);
        }
        return plan_give_back(c->plan, c->host, row, row->original_driver, c->report);
}

static int plan_groups(struct release *c)
{
        size_t left = 0;
        int r;

        for (size_t i = 0; i < c->n_rows; i++) {
                const struct vfioctl_state_device *row = c->rows[i];
                const char *keeps;

                if (!c->selected[i])
                        continue;
                keeps = c->group[i] >= 0 ? group_keeps(c, c->group[i]) : NULL;
                if (keeps) {
                        report_add(c->report, row->address, VFIOCTL_ACTION_LEFT_ALONE,
                                   row->stub_driver, row->stub_driver,
                                   "released, but held for guest '%s' until the rest of IOMMU "
                                   "group %d (%s) is released: the group goes back whole",
                                   c->name, c->group[i], keeps);
                        r = plan_add_owner(c->plan, row->address, VFIOCTL_ROLE_HELD,
                                           row->managed);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* The whole group leaves the guest: its held members too. */
                for (size_t j = 0; j < c->n_rows; j++)
                        if (j == i || (c->group[i] >= 0 && c->group[j] == c->group[i]))
                                c->back[j] = true;
        }
        for (size_t i = 0; i < c->n_rows; i++) {
                if (!c->back[i]) {
                        left++;
                        continue;
                }
                r = give_back(c, c->rows[i]);
                if (r < 0)
                        return r;
        }
        if (left == 0)
                c->plan->guest_op = PLAN_GUEST_DELETE;
        return 0;
}

/* A device of the guest in an unfinished operation: recover first. */
static int pending_check(struct release *c)
{
        for (size_t i = 0; i < c->n_rows; i++) {
                const struct vfioctl_state_op *op = plan_pending_find(c->k, c->rows[i]->address);

                if (op)
                        return plan_refuse_pending(c->ctx, c->report, c->rows[i]->address, op);
        }
        return 0;
}

static int guest_rows(struct release *c)
{
        c->rows = calloc(c->k->n_rows + 1, sizeof(*c->rows));
        if (!c->rows)
                return -ENOMEM;
        for (size_t i = 0; i < c->k->n_rows; i++)
                if (streq_ptr(c->k->rows[i].owner, c->name))
                        c->rows[c->n_rows++] = &c->k->rows[i];
        c->group = calloc(c->n_rows + 1, sizeof(int));
        c->selected = calloc(c->n_rows + 1, sizeof(bool));
        c->back = calloc(c->n_rows + 1, sizeof(bool));
        if (!c->group || !c->selected || !c->back)
                return -ENOMEM;
        /* Rule 4: the groups as sysfs shows them now, not as recorded (numbers move). */
        for (size_t i = 0; i < c->n_rows; i++)
                c->group[i] = group_of_row(c->host, c->rows[i]);
        return 0;
}

int plan_release(vfioctl_host *host, const struct plan_state *s, const char *name,
                 const struct vfioctl_pci_addr *addrs, size_t n, vfioctl_report *report,
                 struct plan *ret)
{
        struct release c = {
                .host = host,
                .ctx = vfioctl_host_get_ctx(host),
                .k = s,
                .report = report,
                .name = name,
                .plan = ret,
        };
        int r;

        *ret = (struct plan) {
                .kind = "release",
                .action = VFIOCTL_ACTION_REATTACHED,
                .two_pass = true,
                .guest = strdup(name),
        };
        r = ret->guest ? guest_rows(&c) : -ENOMEM;
        if (r >= 0 && c.n_rows == 0 && n == 0) {
                /* A guest row without devices (it assigned nothing that stayed): forget it. */
                if (plan_guest_exists(s, name))
                        ret->guest_op = PLAN_GUEST_DELETE;
                goto out;
        }
        for (size_t i = 0; r >= 0 && i < c.n_rows && n == 0; i++)
                c.selected[i] = true;
        if (r >= 0)
                r = select_devices(&c, addrs, n);
        /* Rule 10: the MAC and VLAN of the devices named go back first. */
        for (size_t i = 0; r >= 0 && i < c.n_rows; i++)
                if (c.selected[i])
                        r = plan_add_vfnet_restore(ret, c.rows[i]->address);
        if (r >= 0)
                r = pending_check(&c);
        if (r >= 0)
                r = plan_groups(&c);
out:
        release_clear(&c);
        if (r < 0)
                plan_clear(ret);
        return r;
}

static const struct vfioctl_op_options default_opts;

struct release_request {
        const char *name;
        const struct vfioctl_pci_addr *addrs;
        size_t n;
};

static int release_planner(vfioctl_host *host, const struct plan_state *s, void *userdata,
                           vfioctl_report *report, struct plan *ret)
{
        struct release_request *rq = userdata;

        return plan_release(host, s, rq->name, rq->addrs, rq->n, report, ret);
}

VFIOCTL_EXPORT int vfioctl_release(vfioctl_host *host, vfioctl_state *st, const char *name,
                                   const struct vfioctl_pci_addr *addrs, size_t n,
                                   const struct vfioctl_op_options *opts,
                                   vfioctl_report *report)
{
        struct release_request rq = { .name = name, .addrs = addrs, .n = n };

        if (!host || !st || !name || (!addrs && n > 0))
                return -EINVAL;
        return plan_run(host, st, opts ? opts : &default_opts, report, release_planner, &rq);
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
