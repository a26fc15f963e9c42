/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Deciding what detach and reattach do, before anything is written
 * (DESIGN §3 rules 1, 2 and 9). This is where the IOMMU group is the unit
 * of the decision: a device is detached alone only when nothing else in
 * its group stands in VFIO's way; otherwise the user chooses (--group, a
 * pci-stub hold, another slot) and we change nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "plan.h"
#include "reserve.h"
#include "vfnet.h"

static const struct {
        const char *word, *driver;
} stub_words[] = {
        { "vfio", "vfio-pci" },
        { "kvm", "pci-stub" },
        { "xen", "xen-pciback" },
};

VFIOCTL_EXPORT const char *vfioctl_stub_driver_name(const char *word)
{
        if (!word || !*word)
                return "vfio-pci";
        for (size_t i = 0; i < ELEMENTSOF(stub_words); i++)
                if (streq(word, stub_words[i].word))
                        return stub_words[i].driver;
        return word;
}

static bool is_stub_word(const char *word)
{
        if (!word)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(stub_words); i++)
                if (streq(word, stub_words[i].word))
                        return true;
        return false;
}

/* pci-stub and xen-pciback only hold a device; VFIO's group rule is for the rest. */
static bool stub_is_hold_only(vfioctl_host *host, const char *driver)
{
        return driver_stub_kind(host, driver, NULL) == DRIVER_STUB_HOLD;
}

void plan_clear(struct plan *p)
{
        for (size_t i = 0; i < p->n_changes; i++) {
                free(p->changes[i].before_driver);
                free(p->changes[i].before_override);
                free(p->changes[i].target_driver);
                free(p->changes[i].target_override);
        }
        free(p->changes);
        vfioctl_state_devices_free(p->rows, p->n_rows);
        free(p->forget);
        free(p->owners);
        free(p->guest);
        free(p->guest_definition);
        free(p->guest_qemu_args);
        free(p->viable_groups);
        if (p->vfnet)
                vfnet_plan_clear(p->vfnet);
        free(p->vfnet);
        free(p->vfnet_restore);
        free(p->detail);
        *p = (struct plan) {};
}

bool plan_is_empty(const struct plan *p)
{
        return p->n_changes == 0 && p->n_rows == 0 && p->n_forget == 0 && p->n_owners == 0 &&
               p->guest_op == PLAN_GUEST_KEEP && p->n_vfnet_restore == 0 && !p->record_more &&
               !p->feed;
}

int plan_add_vfnet_restore(struct plan *p, const char *address)
{
        char (*n)[VFIOCTL_PCI_ADDR_MAX] = reallocarray(p->vfnet_restore, p->n_vfnet_restore + 1,
                                                       sizeof(*n));

        if (!n)
                return -ENOMEM;
        p->vfnet_restore = n;
        snprintf(n[p->n_vfnet_restore++], VFIOCTL_PCI_ADDR_MAX, "%s", address);
        return 0;
}

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

static bool plan_has_change(const struct plan *p, const char *address)
{
        for (size_t i = 0; i < p->n_changes; i++)
                if (streq(p->changes[i].address, address))
                        return true;
        return false;
}

int plan_add_change_from(struct plan *p, const struct vfioctl_state_change *before,
                         const char *target_driver, const char *target_override)
{
        struct vfioctl_state_change *n, *c;

        n = realloc(p->changes, (p->n_changes + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        p->changes = n;
        c = &n[p->n_changes++];
        *c = (struct vfioctl_state_change) { .group = before->group };
        snprintf(c->address, sizeof(c->address), "%s", before->address);
        c->before_driver = dup_or_null(before->before_driver);
        c->before_override = dup_or_null(before->before_override);
        c->target_driver = dup_or_null(target_driver);
        c->target_override = dup_or_null(target_override);
        if ((before->before_driver && !c->before_driver) ||
            (before->before_override && !c->before_override) ||
            (target_driver && !c->target_driver) || (target_override && !c->target_override))
                return -ENOMEM;
        return 0;
}

int plan_add_change(struct plan *p, vfioctl_device *dev, const char *target_driver,
                    const char *target_override)
{
        struct vfioctl_state_change before = {
                .group = vfioctl_device_get_group_number(dev),
                .before_driver = (char *) vfioctl_device_get_driver(dev),
        };
        const char *override = NULL;
        int r;

        r = vfioctl_device_get_driver_override(dev, &override);
        if (r < 0)
                return r;
        before.before_override = (char *) override;
        snprintf(before.address, sizeof(before.address), "%s", vfioctl_device_get_address(dev));
        return plan_add_change_from(p, &before, target_driver, target_override);
}

int plan_add_row(struct plan *p, const struct vfioctl_state_device *row)
{
        struct vfioctl_state_device *n, *d;

        n = realloc(p->rows, (p->n_rows + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        p->rows = n;
        d = &n[p->n_rows++];
        *d = *row;
        d->original_driver = dup_or_null(row->original_driver);
        d->original_override = dup_or_null(row->original_override);
        d->stub_driver = dup_or_null(row->stub_driver);
        d->detached_by = dup_or_null(row->detached_by);
        d->owner = NULL;
        return 0;
}

int plan_add_forget(struct plan *p, const char *address)
{
        char (*n)[VFIOCTL_PCI_ADDR_MAX] = realloc(p->forget, (p->n_forget + 1) * sizeof(*n));

        if (!n)
                return -ENOMEM;
        p->forget = n;
        snprintf(n[p->n_forget++], VFIOCTL_PCI_ADDR_MAX, "%s", address);
        return 0;
}

int plan_add_owner(struct plan *p, const char *address, enum vfioctl_role role, bool managed)
{
        struct plan_owner *n = reallocarray(p->owners, p->n_owners + 1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        p->owners = n;
        n = &n[p->n_owners++];
        *n = (struct plan_owner) { .role = role, .managed = managed };
        snprintf(n->address, sizeof(n->address), "%s", address);
        return 0;
}

int plan_add_viable_group(struct plan *p, int group)
{
        int *n;

        if (group < 0)
                return 0;
        for (size_t i = 0; i < p->n_viable_groups; i++)
                if (p->viable_groups[i] == group)
                        return 0;
        n = reallocarray(p->viable_groups, p->n_viable_groups + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        p->viable_groups = n;
        n[p->n_viable_groups++] = group;
        return 0;
}

static int cmp_change(const void *a, const void *b)
{
        const struct vfioctl_state_change *x = a, *y = b;

        return strcmp(x->address, y->address);
}

void plan_sort_changes(struct plan *p)
{
        qsort_safe(p->changes, p->n_changes, sizeof(*p->changes), cmp_change);
}

/* "NIC: Intel Corporation 82574L Gigabit Network Connection" or "NIC 8086:10d3". */
const char *plan_describe(vfioctl_device *dev, char *buf, size_t size)
{
        const char *vendor = vfioctl_device_get_vendor_name(dev);
        const char *device = vfioctl_device_get_device_name(dev);
        const char *word = vfioctl_device_get_class_word(dev);

        if (vendor && device)
                snprintf(buf, size, "%s: %s %s", word, vendor, device);
        else
                snprintf(buf, size, "%s %04x:%04x", word, vfioctl_device_get_vendor_id(dev),
                         vfioctl_device_get_device_id(dev));
        return buf;
}

const struct vfioctl_state_device *plan_row_find(const struct plan_state *s, const char *address)
{
        for (size_t i = 0; i < s->n_rows; i++)
                if (streq(s->rows[i].address, address))
                        return &s->rows[i];
        return NULL;
}

const struct vfioctl_state_op *plan_pending_find(const struct plan_state *s, const char *address)
{
        for (size_t i = 0; i < s->n_ops; i++)
                for (size_t j = 0; j < s->ops[i].n_changes; j++)
                        if (streq(s->ops[i].changes[j].address, address))
                                return &s->ops[i];
        return NULL;
}

bool plan_guest_exists(const struct plan_state *s, const char *name)
{
        for (char **g = s->guests; g && *g; g++)
                if (streq(*g, name))
                        return true;
        return false;
}

void plan_state_clear(struct plan_state *s)
{
        vfioctl_state_devices_free(s->rows, s->n_rows);
        state_ops_free(s->ops, s->n_ops);
        strv_free(s->guests);
        *s = (struct plan_state) {};
}

int plan_state_load(vfioctl_state *st, struct plan_state *ret)
{
        struct plan_state s = {};
        int r;

        r = vfioctl_state_get_devices(st, NULL, &s.rows, &s.n_rows);
        if (r >= 0)
                r = state_get_pending(st, &s.ops, &s.n_ops);
        if (r >= 0)
                r = state_guest_names(st, &s.guests);
        if (r < 0) {
                plan_state_clear(&s);
                return r;
        }
        *ret = s;
        return 0;
}

int plan_vrefuse(vfioctl_ctx *ctx, vfioctl_report *report, enum vfioctl_outcome outcome,
                 int error, const char *format, va_list ap)
{
        report_set_outcome(report, outcome);
        ctx_verror(ctx, error, format, ap);
        return error;
}

int plan_refuse(vfioctl_ctx *ctx, vfioctl_report *report, enum vfioctl_outcome outcome,
                int error, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        plan_vrefuse(ctx, report, outcome, error, format, ap);
        va_end(ap);
        return error;
}

int plan_refuse_pending(vfioctl_ctx *ctx, vfioctl_report *report, const char *address,
                        const struct vfioctl_state_op *op)
{
        return ctx_set_reason(ctx,
                              plan_refuse(ctx, report, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                                          "%s is part of an unfinished operation ('%s', pid %d)",
                                          address, op->command, op->pid),
                              VFIOCTL_REASON_UNFINISHED, NULL);
}

/* ------------------------------------------------------------------ */
/* Detach                                                             */

/* The loaded drivers that are stubs, for messages: "vfio-pci, pci-stub". */
static void loaded_stubs(vfioctl_host *host, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (char **d = host->drivers; d && *d && len < size; d++)
                if (driver_stub_kind(host, *d, NULL) >= DRIVER_STUB_VFIO)
                        len += snprintf(buf + len, size - len, "%s%s", len ? ", " : "", *d);
        if (!len)
                snprintf(buf, size, "none (modprobe vfio-pci)");
}

/* Rule 11: a device only ever goes to a stub driver, and one that is loaded. */
int plan_check_stub(vfioctl_host *host, const char *word, const char *stub,
                    vfioctl_report *report)
{
        vfioctl_ctx *ctx = vfioctl_host_get_ctx(host);
        char avail[512];
        int r;

        r = host_driver_exists(host, stub);
        if (r < 0)
                return r;
        if (r > 0 && driver_stub_kind(host, stub, NULL) >= DRIVER_STUB_VFIO)
                return 0;
        loaded_stubs(host, avail, sizeof(avail));
        if (r > 0)
                return plan_refuse(ctx, report, VFIOCTL_OUTCOME_INVALID, -EINVAL,
                              "%s is a host driver, not a stub: a device leaves the host only "
                              "for a driver that holds it away from the host: vfio (vfio-pci), "
                              "a vfio variant driver, kvm (pci-stub) or xen (xen-pciback). "
                              "Loaded stub drivers: %s",
                              stub, avail);
        if (is_stub_word(word))
                return plan_refuse(ctx, report, VFIOCTL_OUTCOME_REFUSED, -ENOENT,
                              "driver %s is not loaded (no sys/bus/pci/drivers/%s): run "
                              "'modprobe %s'; loaded stub drivers: %s",
                              stub, stub, stub, avail);
        return plan_refuse(ctx, report, VFIOCTL_OUTCOME_INVALID, -ENOENT,
                      "unknown driver '%s': there is no sys/bus/pci/drivers/%s. Use vfio "
                      "(vfio-pci), kvm (pci-stub), xen (xen-pciback) or a loaded vfio variant "
                      "driver; loaded stub drivers: %s",
                      word, word, avail);
}

static bool addr_requested(const struct vfioctl_pci_addr *addrs, size_t n,
                           const struct vfioctl_pci_addr *a)
{
        for (size_t i = 0; i < n; i++)
                if (vfioctl_pci_addr_compare(&addrs[i], a) == 0)
                        return true;
        return false;
}

struct detach_ctx {
        vfioctl_host *host;
        vfioctl_ctx *ctx;
        const struct vfioctl_op_options *opts;
        const char *stub;
        const char *command;
        vfioctl_report *report;
        const struct plan_state *k;
        struct plan *p;
        vfioctl_device **targets; /* what will be changed, for the safety check */
        size_t n_targets;
        int n_blockers;
        unsigned blocker_group;
        const char *blocked; /* the first device named whose group holds the blockers */
};

/* A device already on a stub that we did not put there: remember, do not touch. */
static int note_found(struct detach_ctx *d, vfioctl_device *dev)
{
        const char *addr = vfioctl_device_get_address(dev);
        const struct vfioctl_state_device *row = plan_row_find(d->k, addr);
        struct vfioctl_state_device nrow = {
                .group = vfioctl_device_get_group_number(dev),
                .stub_driver = (char *) vfioctl_device_get_driver(dev),
                .original_driver = (char *) vfioctl_device_get_driver(dev),
                .found_detached = true,
                .detached_by = (char *) d->command,
                .managed = true,
        };

        if (row && streq_ptr(row->stub_driver, vfioctl_device_get_driver(dev)))
                return report_add(d->report, addr,
                                  row->found_detached ? VFIOCTL_ACTION_FOUND_DETACHED
                                                      : VFIOCTL_ACTION_ALREADY_DETACHED,
                                  row->original_driver, row->stub_driver, "by '%s'",
                                  row->detached_by);
        snprintf(nrow.address, sizeof(nrow.address), "%s", addr);
        report_add(d->report, addr, VFIOCTL_ACTION_FOUND_DETACHED, vfioctl_device_get_driver(dev),
                   vfioctl_device_get_driver(dev), "already on %s; left alone",
                   vfioctl_device_get_driver(dev));
        return plan_add_row(d->p, &nrow);
}

static int add_target(struct detach_ctx *d, vfioctl_device *dev)
{
        vfioctl_device **n;
        const struct vfioctl_state_op *op;

        for (size_t i = 0; i < d->n_targets; i++)
                if (d->targets[i] == dev)
                        return 0;
        op = plan_pending_find(d->k, vfioctl_device_get_address(dev));
        if (op)
                return plan_refuse_pending(d->ctx, d->report, vfioctl_device_get_address(dev), op);
        n = realloc(d->targets, (d->n_targets + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        d->targets = n;
        n[d->n_targets++] = dev;
        return 0;
}

/* The group rule for one requested device. */
static int detach_group_members(struct detach_ctx *d, vfioctl_device *dev,
                                const struct vfioctl_pci_addr *addrs, size_t n)
{
        bool take = d->opts->flags & VFIOCTL_OP_GROUP;
        vfioctl_group *group;
        int r = 0;

        if (vfioctl_device_get_group_number(dev) < 0 || stub_is_hold_only(d->host, d->stub))
                return 0;
        r = vfioctl_host_get_group(d->host, vfioctl_device_get_group_number(dev), &group);
        if (r < 0)
                return r;
        for (size_t i = 0; i < vfioctl_group_n_devices(group) && r >= 0; i++) {
                vfioctl_device *m = vfioctl_group_device_at(group, i);

                if (m == dev || addr_requested(addrs, n, vfioctl_device_get_addr(m)))
                        continue;
                switch (group_member_verdict(m)) { /* Rule 1 */
                case GROUP_MEMBER_STAYS:
                        break;
                case GROUP_MEMBER_ON_STUB:
                        /* Remembered as found, so that reattach leaves it. */
                        if (take && !plan_row_find(d->k, vfioctl_device_get_address(m)))
                                r = note_found(d, m);
                        break;
                case GROUP_MEMBER_IN_THE_WAY:
                        if (take) {
                                /* Rule 10 for a PF that comes along, as for one named. */
                                r = sriov_check_detach(d->host, m, d->k->rows, d->k->n_rows,
                                                       d->opts->flags & VFIOCTL_OP_FORCE,
                                                       d->report);
                                if (r >= 0)
                                        r = add_target(d, m);
                                break;
                        }
                        if (!d->blocked) {
                                d->blocker_group = vfioctl_group_get_number(group);
                                d->blocked = vfioctl_device_get_address(dev);
                        }
                        /* One group's refusal: its count and the members listed under it. */
                        if (vfioctl_group_get_number(group) != d->blocker_group)
                                break;
                        d->n_blockers++;
                        r = group_member_blocks(m, d->report);
                        break;
                }
        }
        return r;
}

static int detach_requested(struct detach_ctx *d, vfioctl_device *dev,
                            const struct vfioctl_pci_addr *addrs, size_t n)
{
        const struct vfioctl_state_device *o;
        const char *addr = vfioctl_device_get_address(dev);
        const char *msg;
        int r;

        r = vfioctl_device_get_error(dev, &msg);
        if (r < 0)
                return plan_refuse(d->ctx, d->report, VFIOCTL_OUTCOME_REFUSED, r,
                              "%s cannot be detached: its sysfs entry is damaged (%s)", addr, msg);
        if (vfioctl_device_is_bridge(dev))
                return plan_refuse(d->ctx, d->report, VFIOCTL_OUTCOME_REFUSED, -EINVAL,
                              "%s is a bridge: bridges are never assigned to guests and never "
                              "bound to a stub (vfio-pci refuses them); leave it on %s",
                              addr, vfioctl_device_get_driver(dev) ?: "no driver");
        r = sriov_check_detach(d->host, dev, d->k->rows, d->k->n_rows,
                               d->opts->flags & VFIOCTL_OP_FORCE, d->report); /* Rule 10 */
        if (r < 0)
                return r;
        o = group_owner_row(d->host, d->k, dev, NULL);
        if (o)
                return plan_refuse(d->ctx, d->report, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                              "%s is in IOMMU group %d, which belongs to guest '%s' (it holds %s, "
                              "%s): nothing in a guest's group is changed until the guest "
                              "releases it",
                              addr, vfioctl_device_get_group_number(dev), o->owner, o->address,
                              o->role == VFIOCTL_ROLE_HELD ? "held" : "assigned");
        if (vfioctl_device_is_on_stub(dev))
                return note_found(d, dev);
        r = plan_check_group_exists(d->host, dev, d->stub, d->report);
        if (r < 0)
                return r;
        r = add_target(d, dev);
        if (r < 0)
                return r;
        return detach_group_members(d, dev, addrs, n);
}

/* Rule 11: vfio takes a device through its IOMMU group only; a device in
 * none is refused before anything is written (never written and waited on). */
int plan_check_group_exists(vfioctl_host *host, vfioctl_device *dev, const char *stub,
                            vfioctl_report *report)
{
        if (vfioctl_device_get_group_number(dev) >= 0 || stub_is_hold_only(host, stub))
                return 0;
        return plan_refuse(vfioctl_host_get_ctx(host), report, VFIOCTL_OUTCOME_REFUSED, -ENODEV,
                      "%s is in no IOMMU group: the IOMMU does not cover it (an IOMMU such as "
                      "virtio-iommu leaves the devices behind a PCIe-to-PCI bridge without "
                      "one), so %s cannot take it and nothing was changed. Move it to a slot "
                      "the IOMMU covers, or only hold it with pci-stub",
                      vfioctl_device_get_address(dev), stub);
}

static int build_changes(struct detach_ctx *d)
{
        time_t now = time(NULL);
        int r;

        for (size_t i = 0; i < d->n_targets; i++) {
                vfioctl_device *dev = d->targets[i];
                bool bridge = vfioctl_device_is_bridge(dev);
                const char *override = NULL;
                struct vfioctl_state_device row = {
                        .group = vfioctl_device_get_group_number(dev),
                        .original_driver = (char *) vfioctl_device_get_driver(dev),
                        .detached_by = (char *) d->command,
                        .detached_at = now,
                        .managed = true,
                };

                r = vfioctl_device_get_driver_override(dev, &override);
                if (r < 0)
                        return r;
                /* A bridge in the group cannot go to a stub: it is only unbound. */
                r = plan_add_change(d->p, dev, bridge ? NULL : d->stub,
                                    bridge ? override : d->stub);
                if (r < 0)
                        return r;
                snprintf(row.address, sizeof(row.address), "%s", vfioctl_device_get_address(dev));
                row.original_override = (char *) override;
                row.stub_driver = bridge ? NULL : (char *) d->stub;
                r = plan_add_row(d->p, &row);
                if (r < 0)
                        return r;
        }
        plan_sort_changes(d->p);
        return 0;
}

int plan_detach(vfioctl_host *host, const struct plan_state *s,
                const struct vfioctl_pci_addr *addrs, size_t n,
                const struct vfioctl_op_options *opts, vfioctl_report *report, struct plan *ret)
{
        struct detach_ctx d = {
                .host = host,
                .ctx = vfioctl_host_get_ctx(host),
                .opts = opts,
                .stub = vfioctl_stub_driver_name(opts->driver),
                .command = opts->command ? opts->command : state_default_command(),
                .report = report,
                .k = s,
                .p = ret,
        };
        int unsafe = 0, r;

        *ret = (struct plan) {
                .kind = "detach",
                .action = VFIOCTL_ACTION_DETACHED,
                .pf_vfs = true, /* Rule 10: a PF's VFs come back */
        };
        r = plan_check_stub(host, opts->driver, d.stub, report);
        if (r < 0)
                return r;
        if (!stub_is_hold_only(host, d.stub) && !vfioctl_host_has_iommu(host))
                return plan_refuse(d.ctx, report, VFIOCTL_OUTCOME_REFUSED, -ENODEV,
                              "this host has no IOMMU groups, so VFIO cannot isolate devices and "
                              "nothing was detached. Enable the IOMMU: turn on VT-d (Intel) or "
                              "AMD-Vi/IOMMU (AMD) in the firmware setup, add intel_iommu=on or "
                              "amd_iommu=on to the kernel command line, and reboot");
        for (size_t i = 0; i < n && r >= 0; i++) {
                vfioctl_device *dev;

                if (addr_requested(addrs, i, &addrs[i]))
                        continue; /* named twice */
                r = vfioctl_host_get_device(host, &addrs[i], &dev);
                if (r < 0) {
                        report_set_outcome(report, VFIOCTL_OUTCOME_INVALID);
                        break;
                }
                r = detach_requested(&d, dev, addrs, n);
        }
        if (r < 0)
                goto out;
        if (d.n_blockers > 0) {
                r = group_refuse(d.ctx, report, GROUP_ASKER_DETACH, d.blocked, 0,
                                 (int) d.blocker_group, d.n_blockers);
                goto out;
        }
        for (size_t i = 0; i < d.n_targets && !(opts->flags & VFIOCTL_OP_FORCE); i++) {
                r = plan_check_safety(host, d.targets[i], report);
                if (r < 0)
                        goto out;
                unsafe += r;
        }
        if (unsafe > 0) {
                r = plan_refuse(d.ctx, report, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                           "refusing to detach what the host is using (%d use%s below); nothing "
                           "was changed",
                           unsafe, unsafe == 1 ? "" : "s");
                d.ctx->reason = VFIOCTL_REASON_IN_USE;
                goto out;
        }
        r = build_changes(&d);
out:
        free(d.targets);
        if (r < 0)
                plan_clear(ret);
        return r;
}

/* ------------------------------------------------------------------ */
/* Reattach                                                           */

struct reattach_ctx {
        vfioctl_host *host;
        vfioctl_ctx *ctx;
        vfioctl_report *report;
        const struct plan_state *k;
        struct plan *p;
        int *groups;
        size_t n_groups;
        int n_owned;
        const char *owner;
        bool force; /* also what vfioctl did not detach: the kernel picks its driver */
};

static int give_back(struct reattach_ctx *c, const struct vfioctl_state_device *row)
{
        const struct vfioctl_state_op *op;
        vfioctl_device *dev;
        struct vfioctl_pci_addr a;
        int r;

        if (plan_has_change(c->p, row->address))
                return 0;
        for (size_t i = 0; i < c->p->n_forget; i++)
                if (streq(c->p->forget[i], row->address))
                        return 0;
        if (row->owner) {
                c->n_owned++;
                c->owner = row->owner;
                return report_add(c->report, row->address, VFIOCTL_ACTION_OWNED, row->stub_driver,
                                  NULL, "%s guest '%s'",
                                  row->role == VFIOCTL_ROLE_HELD ? "held for" : "assigned to",
                                  row->owner);
        }
        op = plan_pending_find(c->k, row->address);
        if (op)
                return plan_refuse_pending(c->ctx, c->report, row->address, op);
        if (row->found_detached && c->force) {
                /* As driverctl unset-override: no override, the kernel's choice. */
                r = vfioctl_pci_addr_parse(row->address, &a);
                if (r >= 0)
                        r = vfioctl_host_get_device(c->host, &a, &dev);
                if (r >= 0)
                        r = plan_add_change(c->p, dev, DRIVER_KERNEL_CHOICE, NULL);
                if (r < 0)
                        return r;
                return plan_add_forget(c->p, row->address);
        }
        if (row->found_detached) {
                report_add(c->report, row->address, VFIOCTL_ACTION_LEFT_ALONE, row->stub_driver,
                           row->stub_driver, "was already on %s when vfioctl found it; left alone",
                           row->stub_driver);
                return plan_add_forget(c->p, row->address);
        }
        /* Rule 13: taken at boot before any driver had it: the kernel chooses. */
        return plan_give_back(c->p, c->host, row,
                              !row->original_driver && reserve_row_is_boot(row)
                                      ? DRIVER_KERNEL_CHOICE
                                      : row->original_driver,
                              c->report);
}

int plan_give_back(struct plan *p, vfioctl_host *host, const struct vfioctl_state_device *row,
                   const char *target_driver, vfioctl_report *report)
{
        struct vfioctl_pci_addr a;
        vfioctl_device *dev;
        int r;

        r = vfioctl_pci_addr_parse(row->address, &a);
        if (r >= 0)
                r = vfioctl_host_get_device(host, &a, &dev);
        if (r == -ENODEV) {
                ctx_clear_error(vfioctl_host_get_ctx(host));
                report_add(report, row->address, VFIOCTL_ACTION_NOT_DETACHED, NULL, NULL,
                           "no longer on the host; forgotten");
                return plan_add_forget(p, row->address);
        }
        if (r < 0)
                return r;
        r = plan_add_change(p, dev, target_driver, plan_reattach_override(row));
        if (r < 0)
                return r;
        return plan_add_forget(p, row->address);
}

/*
 * Rule 2 and rule 11: giving a device back clears driver_override, also
 * one that was already there when vfioctl detached it (a stale
 * "vfio-pci" left on a device on its host driver would make the host
 * driver's bind fail with ENODEV forever). The recorded override is only
 * what a rollback of the detach itself puts back.
 */
const char *plan_reattach_override(const struct vfioctl_state_device *row)
{
        (void) row;
        return NULL;
}

static int add_group(struct reattach_ctx *c, int group)
{
        int *n;

        if (group < 0)
                return 0;
        for (size_t i = 0; i < c->n_groups; i++)
                if (c->groups[i] == group)
                        return 0;
        n = realloc(c->groups, (c->n_groups + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        c->groups = n;
        n[c->n_groups++] = group;
        return 0;
}

/* Rule 4: a group goes back whole: every member with a row, as sysfs shows the group now. */
static int give_back_group(struct reattach_ctx *c, int group)
{
        const struct vfioctl_state_device *row;
        vfioctl_group *g;
        int r;

        r = vfioctl_host_get_group(c->host, (unsigned) group, &g);
        if (r < 0)
                return r;
        for (size_t i = 0; i < vfioctl_group_n_devices(g) && r >= 0; i++) {
                row = plan_row_find(c->k, vfioctl_device_get_address(vfioctl_group_device_at(g, i)));
                if (row)
                        r = give_back(c, row);
        }
        return r;
}

/* A device named on the command line that has no row of ours. */
static int not_ours(struct reattach_ctx *c, const struct vfioctl_pci_addr *a, bool group)
{
        vfioctl_device *dev;
        const char *drv;
        int r;

        r = vfioctl_host_get_device(c->host, a, &dev);
        if (r < 0) {
                report_set_outcome(c->report, VFIOCTL_OUTCOME_INVALID);
                return r;
        }
        drv = vfioctl_device_get_driver(dev);
        if (group) {
                r = add_group(c, vfioctl_device_get_group_number(dev));
                if (r < 0)
                        return r;
        }
        if (c->force && vfioctl_device_is_on_stub(dev))
                return plan_add_change(c->p, dev, DRIVER_KERNEL_CHOICE, NULL);
        if (vfioctl_device_is_on_stub(dev))
                return report_add(c->report, vfioctl_device_get_address(dev),
                                  VFIOCTL_ACTION_LEFT_ALONE, drv, drv,
                                  "on %s, but not detached by vfioctl; left alone", drv);
        return report_add(c->report, vfioctl_device_get_address(dev), VFIOCTL_ACTION_NOT_DETACHED,
                          drv, drv, "not detached (on %s)", drv ? drv : "no driver");
}

int plan_reattach(vfioctl_host *host, const struct plan_state *s,
                  const struct vfioctl_pci_addr *addrs, size_t n,
                  const struct vfioctl_op_options *opts, vfioctl_report *report,
                  struct plan *ret)
{
        bool group = opts->flags & VFIOCTL_OP_GROUP;
        struct reattach_ctx c = {
                .host = host,
                .ctx = vfioctl_host_get_ctx(host),
                .report = report,
                .k = s,
                .p = ret,
                .force = opts->flags & VFIOCTL_OP_FORCE,
        };
        int r = 0;

        *ret = (struct plan) {
                .kind = "reattach",
                .action = VFIOCTL_ACTION_REATTACHED,
                .two_pass = true,
        };
        for (size_t i = 0; i < n && r >= 0; i++) {
                char addr[VFIOCTL_PCI_ADDR_MAX];
                const struct vfioctl_state_device *row;

                vfioctl_pci_addr_format(&addrs[i], addr);
                row = plan_row_find(c.k, addr);
                if (!row)
                        r = not_ours(&c, &addrs[i], group);
                else if (group && group_of_row(host, row) >= 0)
                        r = add_group(&c, group_of_row(host, row));
                else
                        r = give_back(&c, row);
        }
        for (size_t g = 0; g < c.n_groups && r >= 0; g++)
                r = give_back_group(&c, c.groups[g]);
        if (r >= 0 && c.n_owned > 0)
                r = ctx_set_reason(c.ctx,
                                   plan_refuse(c.ctx, report, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                                               "refusing to give back what a guest owns (guest "
                                               "'%s'); nothing was changed",
                                               c.owner),
                                   VFIOCTL_REASON_OWNED, c.owner);
        free(c.groups);
        if (r < 0)
                plan_clear(ret);
        return r;
}
