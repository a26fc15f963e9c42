/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Giving a guest its host devices (DESIGN §3 rules 4-8). The order is
 * libvirt's virHostdevPreparePCIDevices (check everything, detach, mark
 * active, record the owner), with what it lacks:
 *
 *  - the IOMMU group is the unit: every member of a group the guest uses
 *    is checked, none may belong to another guest, and with group='auto'
 *    the members in VFIO's way are detached and held for the guest;
 *  - what was found on a stub is recorded as found, so release leaves it
 *    there (libvirt forgets its inactive list on restart);
 *  - the drivers are changed in one journaled operation, and ownership is
 *    recorded in the transaction that closes it: a crash at any point
 *    rolls back to the host as it was, with no owner left behind.
 *
 * Nothing is written before every check has passed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "assign.h"
#include "metadata.h"
#include "vfnet.h"

/* A device the guest will own: listed in its definition, or a group sibling. */
struct member {
        char address[VFIOCTL_PCI_ADDR_MAX];
        vfioctl_device *dev;           /* a reference: m->stub may be its driver, read
                                        * after apply() invalidated the host */
        int group;
        vfioctl_guest_hostdev *entry;  /* NULL: a sibling held for the guest */
        enum vfioctl_role role;
        const char *stub;              /* what will hold it; NULL: left unbound (bridge) */
        enum { KEEP, FOUND, DETACH } how; /* row already there / found on a stub / we detach */
        const struct vfioctl_state_device *row;
};

struct prep {
        vfioctl_host *host;
        vfioctl_ctx *ctx;
        const struct plan_state *k;     /* the state's rows, read before planning */
        const struct vfioctl_assign_options *opts;
        vfioctl_report *report;
        const char *name;
        const char *command;
        vfioctl_guest_def *def;
        struct networks nets;
        struct member *members;
        size_t n_members;
        struct plan plan;
        char *definition;               /* the XML to record */
};

static int refuse(struct prep *p, enum vfioctl_outcome outcome, int error, const char *format,
                  ...) _printf_(4, 5);
static int refuse(struct prep *p, enum vfioctl_outcome outcome, int error, const char *format,
                  ...)
{
        va_list ap;

        va_start(ap, format);
        plan_vrefuse(p->ctx, p->report, outcome, error, format, ap);
        va_end(ap);
        return error;
}

/* A row of another guest in dev's group: rule 4 says the group is theirs. */
static const struct vfioctl_state_device *group_taken(struct prep *p, vfioctl_device *dev)
{
        return group_owner_row(p->host, p->k, dev, p->name);
}

static struct member *member_find(struct prep *p, const char *address)
{
        for (size_t i = 0; i < p->n_members; i++)
                if (streq(p->members[i].address, address))
                        return &p->members[i];
        return NULL;
}

static int member_add(struct prep *p, vfioctl_device *dev, vfioctl_guest_hostdev *entry,
                      struct member **ret)
{
        struct member *n = reallocarray(p->members, p->n_members + 1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        p->members = n;
        n = &n[p->n_members++];
        *n = (struct member) {
                .dev = device_ref(dev),
                .group = vfioctl_device_get_group_number(dev),
                .entry = entry,
                .role = entry && vfioctl_guest_hostdev_is_assigned(entry) ? VFIOCTL_ROLE_ASSIGNED
                                                                          : VFIOCTL_ROLE_HELD,
                .row = plan_row_find(p->k, vfioctl_device_get_address(dev)),
        };
        snprintf(n->address, sizeof(n->address), "%s", vfioctl_device_get_address(dev));
        *ret = n;
        return 0;
}

/* An unfinished operation holds the device: recover first. */
static int check_pending(struct prep *p, const char *address)
{
        const struct vfioctl_state_op *op = plan_pending_find(p->k, address);

        return op ? plan_refuse_pending(p->ctx, p->report, address, op) : 0;
}

/* Rule 4: naming the owner and what it holds. */
static int refuse_owned(struct prep *p, vfioctl_device *dev, const struct vfioctl_state_device *o)
{
        int r = refuse(p, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                       "%s cannot be given to guest '%s': its IOMMU group %d belongs to guest "
                       "'%s', which holds %s (%s); a group belongs to one guest at a time",
                       vfioctl_device_get_address(dev), p->name,
                       vfioctl_device_get_group_number(dev), o->owner, o->address,
                       o->role == VFIOCTL_ROLE_HELD ? "held" : "assigned");

        return ctx_set_reason(p->ctx, r, VFIOCTL_REASON_OWNED, o->owner);
}

/* ------------------------------------------------------------------ */
/* Networks: an interface takes the first free function of its pool    */

static int resolve_networks(struct prep *p)
{
        int r = 0;

        for (size_t i = 0; i < vfioctl_guest_def_n_hostdevs(p->def) && r >= 0; i++) {
                vfioctl_guest_hostdev *h = vfioctl_guest_def_hostdev_at(p->def, i);
                vfioctl_network_def *pool;

                if (vfioctl_guest_hostdev_get_kind(h) != VFIOCTL_HOSTDEV_NETWORK)
                        continue;
                r = networks_find(p->ctx, &p->nets, vfioctl_guest_hostdev_get_network(h), &pool);
                /* A network no file defines is an ordinary one (libvirt's 'default',
                 * a transient network): libvirt connects it, vfioctl gives it no
                 * device. The tool says so, in case it was a pool left out. */
                if (r == -ENOENT) {
                        ctx_clear_error(p->ctx);
                        pool = NULL;
                } else if (r < 0)
                        return refuse(p, VFIOCTL_OUTCOME_INVALID, r, "line %u: %s: %s",
                                      vfioctl_guest_hostdev_get_line(h),
                                      vfioctl_guest_hostdev_get_element(h),
                                      vfioctl_ctx_errmsg(p->ctx));
                /* An ordinary network: a NIC QEMU makes, none of ours. */
                r = pool ? pool_take(p->host, p->k, p->name, p->def, i, pool, p->report)
                         : vfioctl_guest_def_ignore_network(p->def, i);
        }
        return r;
}

/* ------------------------------------------------------------------ */
/* Checks, entry by entry and group by group                           */

/* Rule 11: <driver model='…'/> names a vfio driver that is loaded (QEMU
 * takes a device through VFIO only; a host driver is never a "stub"). */
static int check_model(struct prep *p, vfioctl_guest_hostdev *h)
{
        const char *model = vfioctl_guest_hostdev_get_driver_model(h);
        int r;

        if (!model)
                return 0;
        r = plan_check_stub(p->host, model, model, p->report);
        if (r < 0)
                return refuse(p, vfioctl_report_get_outcome(p->report), r, "line %u: %s: "
                              "<driver model='%s'>: %s", vfioctl_guest_hostdev_get_line(h),
                              vfioctl_guest_hostdev_get_element(h), model,
                              vfioctl_ctx_errmsg(p->ctx));
        if (driver_stub_kind(p->host, model, NULL) != DRIVER_STUB_VFIO)
                return refuse(p, VFIOCTL_OUTCOME_INVALID, -EINVAL,
                              "line %u: %s: <driver model='%s'>: %s only holds a device; QEMU "
                              "takes devices through VFIO: name vfio-pci or a vfio variant",
                              vfioctl_guest_hostdev_get_line(h),
                              vfioctl_guest_hostdev_get_element(h), model, model);
        return 0;
}

static int check_entry(struct prep *p, vfioctl_guest_hostdev *h)
{
        const struct vfioctl_pci_addr *a = vfioctl_guest_hostdev_get_addr(h);
        unsigned line = vfioctl_guest_hostdev_get_line(h);
        const char *elem = vfioctl_guest_hostdev_get_element(h), *addr, *msg;
        const struct vfioctl_state_device *o;
        struct member *m;
        vfioctl_device *dev;
        int r;

        if (vfioctl_guest_hostdev_get_driver(h) == VFIOCTL_HOSTDEV_DRIVER_KVM ||
            vfioctl_guest_hostdev_get_driver(h) == VFIOCTL_HOSTDEV_DRIVER_XEN)
                return refuse(p, VFIOCTL_OUTCOME_INVALID, -EOPNOTSUPP,
                              "line %u: %s: <driver name='%s'>: vfioctl gives devices to QEMU "
                              "through VFIO only (legacy KVM assignment is gone, Xen has its "
                              "own tools): use <driver name='vfio'/>",
                              line, elem,
                              vfioctl_guest_hostdev_get_driver(h) == VFIOCTL_HOSTDEV_DRIVER_KVM
                                      ? "kvm" : "xen");
        r = vfioctl_host_get_device(p->host, a, &dev);
        if (r < 0)
                return refuse(p, VFIOCTL_OUTCOME_INVALID, r, "line %u: %s: %s", line, elem,
                              vfioctl_ctx_errmsg(p->ctx));
        addr = vfioctl_device_get_address(dev);
        r = vfioctl_device_get_error(dev, &msg);
        if (r < 0)
                return refuse(p, VFIOCTL_OUTCOME_REFUSED, r, "line %u: %s: %s cannot be "
                              "assigned: its sysfs entry is damaged (%s)", line, elem, addr, msg);
        if (vfioctl_device_is_bridge(dev))
                return refuse(p, VFIOCTL_OUTCOME_INVALID, -EINVAL,
                              "line %u: %s: %s is a bridge, not an endpoint: only endpoint "
                              "devices can be given to a guest", line, elem, addr);
        r = check_pending(p, addr);
        if (r < 0)
                return r;
        if (vfioctl_host_has_iommu(p->host)) {
                r = plan_check_group_exists(p->host, dev, vfioctl_guest_hostdev_get_stub_driver(h),
                                            p->report);
                if (r < 0)
                        return refuse(p, VFIOCTL_OUTCOME_REFUSED, r, "line %u: %s: %s", line,
                                      elem, vfioctl_ctx_errmsg(p->ctx));
        }
        o = group_taken(p, dev);
        if (o)
                return refuse_owned(p, dev, o);
        if (!vfioctl_guest_hostdev_is_assigned(h) && !vfioctl_device_is_multifunction(dev))
                return refuse(p, VFIOCTL_OUTCOME_INVALID, -EINVAL,
                              "line %u: %s: assigned='no' is only for a function of a "
                              "multifunction device, and %s is a single-function device: "
                              "assign it, or leave it out of the definition", line, elem, addr);
        r = check_model(p, h);
        if (r < 0)
                return r;
        r = member_add(p, dev, h, &m);
        if (r < 0)
                return r;
        m->stub = vfioctl_guest_hostdev_get_stub_driver(h);
        return 0;
}

static bool is_vf(vfioctl_device *dev)
{
        struct vfioctl_pci_addr pf;
        bool vf = false;

        return vfioctl_device_get_physfn(dev, &pf, &vf) >= 0 && vf;
}

/*
 * Rule 7: a multifunction device is listed whole within its IOMMU group
 * (functions that share a group share its fate: reset and ownership).
 * Functions of the slot in other groups, and SR-IOV VFs that happen to sit
 * in the slot (they have a physfn link), are not part of the rule.
 */
static int check_functions(struct prep *p, struct member *m)
{
        const struct vfioctl_pci_addr *a = vfioctl_device_get_addr(m->dev);
        char missing[128] = "";
        size_t len = 0;

        if (!vfioctl_device_is_multifunction(m->dev) || is_vf(m->dev))
                return 0;
        for (uint8_t f = 0; f < 8; f++) {
                struct vfioctl_pci_addr fa = *a;
                char name[VFIOCTL_PCI_ADDR_MAX];
                vfioctl_device *sib;

                fa.function = f;
                vfioctl_pci_addr_format(&fa, name);
                if (member_find(p, name))
                        continue;
                if (vfioctl_host_get_device(p->host, &fa, &sib) < 0) {
                        ctx_clear_error(p->ctx);
                        continue;
                }
                if (vfioctl_device_get_group_number(sib) != m->group || is_vf(sib))
                        continue;
                len += snprintf(missing + len, sizeof(missing) - len, "%s%s", len ? ", " : "",
                                name);
        }
        if (!len)
                return 0;
        return refuse(p, VFIOCTL_OUTCOME_INVALID, -EINVAL,
                      "line %u: %s: %s is a function of multifunction device %04x:%02x:%02x, "
                      "and its other function%s %s %s not in the definition: list every "
                      "function (assigned='no' or <address type='unassigned'/> holds one "
                      "without giving it to the guest)",
                      vfioctl_guest_hostdev_get_line(m->entry),
                      vfioctl_guest_hostdev_get_element(m->entry), m->address, a->domain, a->bus,
                      a->slot, strchr(missing, ',') ? "s" : "", missing,
                      strchr(missing, ',') ? "are" : "is");
}

struct group_info {
        bool auto_mode;       /* a managed entry asked for group='auto' */
        bool unmanaged;       /* an entry is managed='no': its group is the admin's to prepare */
        /* The first entry of the group, for messages: a copy, since siblings
         * added while the group is checked move p->members. */
        char first[VFIOCTL_PCI_ADDR_MAX];
        unsigned line;
};

static void group_info(struct prep *p, int group, struct group_info *gi)
{
        *gi = (struct group_info) {};
        for (size_t i = 0; i < p->n_members; i++) {
                struct member *m = &p->members[i];

                if (!m->entry || m->group != group)
                        continue;
                if (!gi->first[0]) {
                        snprintf(gi->first, sizeof(gi->first), "%s", m->address);
                        gi->line = vfioctl_guest_hostdev_get_line(m->entry);
                }
                if (!vfioctl_guest_hostdev_is_managed(m->entry))
                        gi->unmanaged = true;
                else if (vfioctl_guest_hostdev_get_group_mode(m->entry) == VFIOCTL_GROUP_AUTO)
                        gi->auto_mode = true;
        }
}

/* Rule 6: the group is not viable and the hostdev did not ask for group='auto'. */
static int refuse_group(struct prep *p, int group, const struct group_info *gi, int n)
{
        enum group_asker asker = gi->unmanaged                      ? GROUP_ASKER_UNMANAGED
                                 : p->opts->flags & VFIOCTL_OP_LIBVIRT ? GROUP_ASKER_LIBVIRT
                                                                       : GROUP_ASKER_ASSIGN;
        return group_refuse(p->ctx, p->report, asker, gi->first, gi->line, group, n);
}

/* The members of a group the definition does not list. */
static int check_sibling(struct prep *p, vfioctl_device *dev, const struct group_info *gi,
                         int *n_blockers)
{
        const char *addr = vfioctl_device_get_address(dev);
        struct member *m;
        int r;

        r = check_pending(p, addr);
        if (r < 0)
                return r;
        switch (group_member_verdict(dev)) { /* Rule 1, for a guest: rule 6 */
        case GROUP_MEMBER_STAYS:
                return 0; /* unbound members, bridges on pcieport */
        case GROUP_MEMBER_ON_STUB:
                /* Held, so the group's ownership is concrete. Rule 11: one
                 * vfioctl did not put there is held as found (recorded,
                 * never detached or reattached by vfioctl). */
                r = member_add(p, dev, NULL, &m);
                if (r < 0)
                        return r;
                m->stub = vfioctl_device_get_driver(dev);
                m->how = m->row ? KEEP : FOUND;
                return 0;
        case GROUP_MEMBER_IN_THE_WAY:
                break;
        }
        if (gi->auto_mode && !gi->unmanaged) {
                r = member_add(p, dev, NULL, &m);
                if (r < 0)
                        return r;
                /* A bridge cannot go to a stub: it is only unbound. */
                m->stub = vfioctl_device_is_bridge(dev) ? NULL : "vfio-pci";
                m->how = DETACH;
                return 0;
        }
        (*n_blockers)++;
        return group_member_blocks(dev, p->report);
}

static int check_group(struct prep *p, int group)
{
        struct group_info gi;
        vfioctl_group *g;
        int n_blockers = 0, r;

        r = vfioctl_host_get_group(p->host, (unsigned) group, &g);
        if (r < 0)
                return r;
        group_info(p, group, &gi);
        for (size_t i = 0; i < vfioctl_group_n_devices(g); i++) {
                vfioctl_device *dev = vfioctl_group_device_at(g, i);

                if (member_find(p, vfioctl_device_get_address(dev)))
                        continue;
                r = check_sibling(p, dev, &gi, &n_blockers);
                if (r < 0)
                        return r;
        }
        return n_blockers ? refuse_group(p, group, &gi, n_blockers) : 0;
}

static int check_groups(struct prep *p)
{
        size_t n_entries = p->n_members;
        int r;

        for (size_t i = 0; i < n_entries; i++) {
                bool seen = false;

                /* Each group once; siblings appended meanwhile are not entries. */
                for (size_t j = 0; j < i && !seen; j++)
                        seen = p->members[j].group == p->members[i].group;
                if (seen || p->members[i].group < 0)
                        continue;
                r = check_group(p, p->members[i].group);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Rules 5 and 3: what happens to each listed device. */
static int check_driver(struct prep *p, struct member *m)
{
        const char *drv = vfioctl_device_get_driver(m->dev);
        unsigned line = vfioctl_guest_hostdev_get_line(m->entry);
        bool on_it = drv && (streq(drv, m->stub) ||
                             (streq(m->stub, "vfio-pci") && vfioctl_device_is_on_vfio(m->dev)));

        if (on_it) {
                m->how = m->row ? KEEP : FOUND;
                return 0;
        }
        if (vfioctl_device_is_on_stub(m->dev))
                return ctx_set_reason(p->ctx,
                                      refuse(p, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                                             "line %u: %s is on %s, not %s", line, m->address,
                                             drv, m->stub),
                                      VFIOCTL_REASON_ON_OTHER_STUB, m->address);
        if (!vfioctl_guest_hostdev_is_managed(m->entry))
                return ctx_set_reason(p->ctx,
                                      refuse(p, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                                             "line %u: %s is managed='no' but %s%s, not "
                                             "detached, and an unmanaged device's driver is "
                                             "left alone",
                                             line, m->address, drv ? "still on " : "unbound",
                                             strempty(drv)),
                                      VFIOCTL_REASON_UNMANAGED, m->address);
        m->how = DETACH;
        return 0;
}

static int check_drivers(struct prep *p)
{
        int unsafe = 0, r;

        for (size_t i = 0; i < p->n_members; i++) {
                struct member *m = &p->members[i];

                if (m->entry) {
                        r = check_driver(p, m);
                        if (r < 0)
                                return r;
                }
                if (m->how != DETACH)
                        continue;
                /* Rule 10: a PF's VFs vanish with it, as for detach. */
                r = sriov_check_detach(p->host, m->dev, p->k->rows, p->k->n_rows,
                                       p->opts->flags & VFIOCTL_OP_FORCE, p->report);
                if (r < 0)
                        return r;
                if (m->stub) {
                        r = plan_check_stub(p->host, streq(m->stub, "vfio-pci") ? NULL : m->stub,
                                            m->stub, p->report);
                        if (r < 0)
                                return r;
                }
                /* Rule 10, as detach has it: a PF's VFs leave with it, and vfio-pci
                 * refuses (silently, after the whole timeout) a PF that keeps them. */
                r = sriov_check_detach(p->host, m->dev, p->k->rows, p->k->n_rows,
                                       p->opts->flags & VFIOCTL_OP_FORCE, p->report);
                if (r < 0)
                        return r;
                if (!(p->opts->flags & VFIOCTL_OP_FORCE)) {
                        r = plan_check_safety(p->host, m->dev, p->report);
                        if (r < 0)
                                return r;
                        unsafe += r;
                }
        }
        if (unsafe > 0) {
                refuse(p, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                       "refusing to detach what the host is using (%d use%s below); nothing was "
                       "changed",
                       unsafe, unsafe == 1 ? "" : "s");
                p->ctx->reason = VFIOCTL_REASON_IN_USE;
                return -EBUSY;
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* The plan                                                            */

static int build_plan(struct prep *p)
{
        time_t now = time(NULL);
        int r;

        for (size_t i = 0; i < p->n_members; i++) {
                struct member *m = &p->members[i];
                const char *drv = vfioctl_device_get_driver(m->dev), *override = NULL;
                struct vfioctl_state_device row = {
                        .group = m->group,
                        .detached_by = (char *) p->command,
                        .detached_at = now,
                };

                r = plan_add_viable_group(&p->plan, m->group);
                if (r < 0)
                        return r;
                if (m->how == KEEP) {
                        /* Its row only changes owner. */
                        r = plan_add_owner(&p->plan, m->address, m->role, false);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = vfioctl_device_get_driver_override(m->dev, &override);
                if (r < 0)
                        return r;
                snprintf(row.address, sizeof(row.address), "%s", m->address);
                row.original_driver = (char *) drv;
                row.original_override = (char *) override;
                row.stub_driver = (char *) (m->how == DETACH ? m->stub : drv);
                row.found_detached = m->how == FOUND;
                row.role = m->role;
                /* What release gives back: only what this assign took from the host. */
                row.managed = m->how == DETACH;
                if (m->how == DETACH) {
                        r = plan_add_change(&p->plan, m->dev, m->stub, m->stub ? m->stub : override);
                        if (r < 0)
                                return r;
                }
                r = plan_add_row(&p->plan, &row);
                if (r < 0)
                        return r;
        }
        plan_sort_changes(&p->plan);
        return 0;
}

/* ["-device","vfio-pci,…"]: what the guests row keeps of the arguments. */
static int qemu_args_json(struct prep *p, char **ret)
{
        _cleanup_(json_decrefp) json_t *a = NULL;
        char **args = NULL;
        int r;

        r = vfioctl_guest_def_qemu_args(p->def, 0, &args);
        if (r < 0)
                return r;
        a = json_array();
        for (size_t i = 0; a && args && args[i] && r >= 0; i++)
                /* nocheck: a romfile path need not be UTF-8; it is kept as given. */
                r = json_array_append_new(a, json_string_nocheck(args[i])) < 0 ? -ENOMEM : 0;
        vfioctl_qemu_args_free(args);
        if (!a || r < 0)
                return -ENOMEM;
        *ret = json_dumps(a, JSON_COMPACT);
        return *ret ? 0 : -ENOMEM;
}

/* Rule 10: the MAC and VLAN the guest's VFs get once they are on their stub. */
static int plan_vfnet(struct prep *p)
{
        p->plan.vfnet = calloc(1, sizeof(*p->plan.vfnet));
        if (!p->plan.vfnet)
                return -ENOMEM;
        return vfnet_plan(p->host, p->def, p->report, p->plan.vfnet);
}

/* The guest row the plan records, with what the guest needs of QEMU. */
static int plan_guest(struct prep *p)
{
        p->plan.kind = "assign";
        p->plan.action = VFIOCTL_ACTION_DETACHED;
        p->plan.guest_op = PLAN_GUEST_PUT;
        p->plan.guest_pid = p->opts->pid;
        p->plan.guest = strdup(p->name);
        p->plan.guest_definition = strdup(p->definition);
        if (!p->plan.guest || !p->plan.guest_definition)
                return -ENOMEM;
        return qemu_args_json(p, &p->plan.guest_qemu_args);
}

/* ------------------------------------------------------------------ */
/* vfioctl_assign                                                      */

static const struct vfioctl_assign_options default_assign_opts;

static void prep_clear(struct prep *p)
{
        networks_clear(&p->nets);
        for (size_t i = 0; i < p->n_members; i++)
                device_unref(p->members[i].dev);
        free(p->members);
        plan_clear(&p->plan);
        free(p->definition);
        vfioctl_guest_def_unref(p->def);
}

static int check_new_guest(struct prep *p)
{
        size_t n = 0;

        for (size_t i = 0; i < p->k->n_rows; i++)
                n += streq_ptr(p->k->rows[i].owner, p->name);
        if (n == 0 && !plan_guest_exists(p->k, p->name))
                return 0;
        return ctx_set_reason(p->ctx,
                              refuse(p, VFIOCTL_OUTCOME_REFUSED, -EEXIST,
                                     "guest '%s' already has its devices (%zu)", p->name, n),
                              VFIOCTL_REASON_GUEST_EXISTS, p->name);
}

/* Everything that is checked before anything is written. */
static int prepare(struct prep *p)
{
        size_t n_entries;
        int r;

        /* The pid is how a dead guest is found and released later: one
         * that names no process would make a live guest look dead. */
        if (p->opts->pid < 0 || (p->opts->pid > 0 && !guest_pid_alive(p->opts->pid)))
                return refuse(p, VFIOCTL_OUTCOME_INVALID, -ESRCH,
                              "there is no process %d: the pid is the guest's QEMU process, "
                              "running on this machine", p->opts->pid);
        r = check_new_guest(p);
        if (r < 0)
                return r;
        r = networks_load(p->ctx, p->opts->network_files, p->opts->n_network_files,
                          p->opts->network_dir, &p->nets);
        if (r < 0)
                return refuse(p, VFIOCTL_OUTCOME_INVALID, r, "%s", vfioctl_ctx_errmsg(p->ctx));
        r = resolve_networks(p);
        if (r < 0)
                return r;
        if (p->opts->flags & VFIOCTL_OP_LIBVIRT)
                metadata_libvirt_take_drivers(p->def);
        for (size_t i = 0; i < vfioctl_guest_def_n_hostdevs(p->def) && r >= 0; i++) {
                vfioctl_guest_hostdev *h = vfioctl_guest_def_hostdev_at(p->def, i);

                if (!vfioctl_guest_hostdev_is_ignored(h))
                        r = check_entry(p, h);
        }
        if (r < 0 || p->n_members == 0)
                return r;
        if (!vfioctl_host_has_iommu(p->host))
                return refuse(p, VFIOCTL_OUTCOME_REFUSED, -ENODEV,
                              "this host has no IOMMU groups, so VFIO cannot give devices to "
                              "guests and nothing was changed. Enable the IOMMU: turn on VT-d "
                              "(Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup, add "
                              "intel_iommu=on or amd_iommu=on to the kernel command line, and "
                              "reboot");
        n_entries = p->n_members;
        for (size_t i = 0; i < n_entries && r >= 0; i++)
                r = check_functions(p, &p->members[i]);
        if (r >= 0)
                r = check_groups(p);
        if (r >= 0)
                r = check_drivers(p);
        if (r >= 0)
                r = build_plan(p);
        if (r >= 0)
                r = plan_vfnet(p);
        if (r >= 0)
                r = guest_resolved_xml(p->def, &p->definition);
        if (r >= 0)
                r = plan_guest(p);
        return r;
}

/* The plan assigns what prepare() decided: the guest and where its devices go. */
static int plan_assign_prep(vfioctl_host *host, const struct plan_state *s, const char *name,
                            vfioctl_guest_def *def, const struct vfioctl_assign_options *opts,
                            vfioctl_report *report,
                            struct prep *p)
{
        *p = (struct prep) {
                .host = host,
                .ctx = vfioctl_host_get_ctx(host),
                .k = s,
                .opts = opts ? opts : &default_assign_opts,
                .report = report,
                .name = name,
                .def = vfioctl_guest_def_ref(def),
        };
        p->command = p->opts->command ? p->opts->command : state_default_command();
        return prepare(p);
}

int plan_assign(vfioctl_host *host, const struct plan_state *s, const char *name,
                vfioctl_guest_def *def, const struct vfioctl_assign_options *opts,
                vfioctl_report *report, struct plan *ret)
{
        struct prep p;
        int r;

        r = plan_assign_prep(host, s, name, def, opts, report, &p);
        *ret = r >= 0 ? p.plan : (struct plan) {};
        if (r >= 0)
                p.plan = (struct plan) {};
        prep_clear(&p);
        return r;
}

/* The guest as recorded (or, in a dry run, as it would be). */
static int result_guest(struct prep *p, vfioctl_guest **ret)
{
        vfioctl_guest *g = NULL;
        int r;

        r = guest_new(p->ctx, p->name, &g);
        if (r < 0)
                return r;
        g->pid = p->opts->pid;
        g->created_at = (int64_t) time(NULL);
        g->def = vfioctl_guest_def_ref(p->def);
        g->definition = TAKE_PTR(p->definition);
        for (size_t i = 0; i < p->n_members && r >= 0; i++)
                r = guest_add_device(g, p->members[i].address, p->members[i].group,
                                     p->members[i].role, p->members[i].how == DETACH,
                                     p->members[i].stub);
        if (r >= 0)
                r = guest_finish(g);
        if (r >= 0 && p->plan.vfnet) /* none: nothing to assign */
                r = vfnet_guest_set(g, p->plan.vfnet);
        if (r < 0) {
                vfioctl_guest_unref(g);
                return r;
        }
        *ret = g;
        return 0;
}


VFIOCTL_EXPORT int vfioctl_assign_def(vfioctl_host *host, vfioctl_state *st,
                                      vfioctl_guest_def *def,
                                      const struct vfioctl_assign_options *opts,
                                      vfioctl_report *report, vfioctl_guest **ret)
{
        struct plan_state known = {};
        struct vfioctl_op_options o;
        struct prep p = {};
        int r;

        if (!host || !st || !def || def->ctx != vfioctl_host_get_ctx(host))
                return -EINVAL;
        opts = opts ? opts : &default_assign_opts;
        r = op_require_lock(vfioctl_host_get_ctx(host), st);
        if (r < 0)
                return r;
        r = plan_state_load(st, &known);
        if (r >= 0)
                r = plan_assign_prep(host, &known, vfioctl_guest_def_get_name(def), def, opts,
                                     report, &p);
        o = (struct vfioctl_op_options) { .timeout_ms = opts->timeout_ms, .command = p.command };
        if (r >= 0)
                r = plan_execute(host, st, &p.plan, &o, report);
        if (r >= 0 && ret)
                r = result_guest(&p, ret);
        prep_clear(&p);
        plan_state_clear(&known);
        return r;
}

VFIOCTL_EXPORT int vfioctl_assign(vfioctl_host *host, vfioctl_state *st, const char *name,
                                  const char *xml, const struct vfioctl_assign_options *opts,
                                  vfioctl_report *report, vfioctl_guest **ret)
{
        _cleanup_(vfioctl_guest_def_unrefp) vfioctl_guest_def *def = NULL;
        int r;

        if (!host || !st || !name || !xml)
                return -EINVAL;
        r = op_require_lock(vfioctl_host_get_ctx(host), st);
        if (r < 0)
                return r;
        r = vfioctl_guest_def_new_from_string(vfioctl_host_get_ctx(host), xml, name,
                                              VFIOCTL_GUEST_PARSE_SKIP_NON_PCI, &def);
        if (r < 0) {
                report_set_outcome(report, VFIOCTL_OUTCOME_INVALID);
                return r;
        }
        return vfioctl_assign_def(host, st, def, opts, report, ret);
}

VFIOCTL_EXPORT int vfioctl_guest_xml_for_devices(const struct vfioctl_pci_addr *addrs, size_t n,
                                                 unsigned flags, char **ret)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        if ((!addrs && n > 0) || !ret)
                return -EINVAL;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("<devices>\n", f);
        for (size_t i = 0; i < n; i++)
                fprintf(f,
                        "  <hostdev mode='subsystem' type='pci' managed='%s'>\n"
                        "    <driver name='vfio'%s/>\n"
                        "    <source><address domain='0x%04x' bus='0x%02x' slot='0x%02x' "
                        "function='0x%x'/></source>\n"
                        "  </hostdev>\n",
                        flags & VFIOCTL_ASSIGN_UNMANAGED ? "no" : "yes",
                        flags & VFIOCTL_ASSIGN_GROUP_AUTO ? " group='auto'" : "",
                        addrs[i].domain, addrs[i].bus, addrs[i].slot, addrs[i].function);
        fputs("</devices>\n", f);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}
