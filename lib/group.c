/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IOMMU groups: the smallest set of devices the IOMMU can isolate, and so
 * the unit of every decision vfioctl makes. A group is viable when VFIO
 * may hand it to a guest: every member unbound or on a driver that leaves
 * DMA ownership to VFIO (kernel-semantics.md §3).
 *
 * The group verdict of DESIGN §3 lives here, one function per rule, for
 * every command that takes devices from the host (detach, assign, reserve):
 * what each other member of a device's group is (rule 1, and rule 6 for a
 * guest), the refusal that names the ways out, and who owns the group as
 * sysfs shows it now (rule 4).
 */
#include <errno.h>

#include <stdio.h>

#include "metadata.h"
#include "plan.h"

int group_new(vfioctl_host *host, unsigned number, vfioctl_group **ret)
{
        vfioctl_group *group = calloc(1, sizeof(*group));

        if (!group)
                return -ENOMEM;
        group->n_ref = 1;
        group->host = host;
        group->number = number;
        *ret = group;
        return 0;
}

static void group_free(vfioctl_group *group)
{
        for (size_t i = 0; i < group->n_devices; i++)
                device_unref(group->devices[i]);
        free(group->devices);
        free(group);
}

vfioctl_group *group_unref(vfioctl_group *group)
{
        if (group && --group->n_ref == 0)
                group_free(group);
        return NULL;
}

/* As vfioctl_device_ref(): a caller's reference pins the host too. */
VFIOCTL_EXPORT vfioctl_group *vfioctl_group_ref(vfioctl_group *group)
{
        if (!group)
                return NULL;
        vfioctl_host_ref(group->host);
        group->n_ref++;
        return group;
}

VFIOCTL_EXPORT vfioctl_group *vfioctl_group_unref(vfioctl_group *group)
{
        vfioctl_host *host;

        if (!group)
                return NULL;
        host = group->host;
        group_unref(group);
        vfioctl_host_unref(host);
        return NULL;
}

/* Members arrive in sorted order from a sorted listing; keep it so. */
int group_add_device(vfioctl_group *group, vfioctl_device *dev)
{
        vfioctl_device **n;
        size_t pos = group->n_devices;

        for (size_t i = 0; i < group->n_devices; i++)
                if (group->devices[i] == dev)
                        return 0;
        n = realloc(group->devices, (group->n_devices + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        group->devices = n;
        while (pos > 0 && vfioctl_pci_addr_compare(&n[pos - 1]->addr, &dev->addr) > 0) {
                n[pos] = n[pos - 1];
                pos--;
        }
        n[pos] = device_ref(dev);
        group->n_devices++;
        return 0;
}

VFIOCTL_EXPORT unsigned vfioctl_group_get_number(vfioctl_group *group)
{
        assert_return(group, 0);
        return group->number;
}

VFIOCTL_EXPORT size_t vfioctl_group_n_devices(vfioctl_group *group)
{
        assert_return(group, 0);
        return group->n_devices;
}

VFIOCTL_EXPORT vfioctl_device *vfioctl_group_device_at(vfioctl_group *group, size_t i)
{
        assert_return(group && i < group->n_devices, NULL);
        return group->devices[i];
}

VFIOCTL_EXPORT bool vfioctl_group_is_viable(vfioctl_group *group)
{
        assert_return(group, false);
        for (size_t i = 0; i < group->n_devices; i++)
                if (!vfioctl_device_is_viable_member(group->devices[i]))
                        return false;
        return true;
}

/* ------------------------------------------------------------------ */
/* The group verdict                                                  */

/* Rule 1 */
enum group_member group_member_verdict(vfioctl_device *m)
{
        /* Unbound members, bridges on pcieport and members on a stub leave
         * the group viable; a member on a host driver keeps VFIO out. */
        if (!vfioctl_device_is_viable_member(m))
                return GROUP_MEMBER_IN_THE_WAY;
        return vfioctl_device_is_on_stub(m) ? GROUP_MEMBER_ON_STUB : GROUP_MEMBER_STAYS;
}

/* Rules 1 and 6: a member in VFIO's way that does not come along, named in the report. */
int group_member_blocks(vfioctl_device *m, vfioctl_report *report)
{
        char desc[256];

        return report_add(report, vfioctl_device_get_address(m), VFIOCTL_ACTION_GROUP_MEMBER,
                          vfioctl_device_get_driver(m), NULL, "%s",
                          plan_describe(m, desc, sizeof(desc)));
}

/* The ways out (take the members along, only hold the device, another slot)
 * are the caller's to word: VFIOCTL_REASON_GROUP says they apply. */
static int refuse_with_reason(vfioctl_ctx *ctx, int r)
{
        ctx->reason = VFIOCTL_REASON_GROUP;
        return r;
}

/* Rules 1 and 6: the group is not viable and nothing asked for its members to come along. */
int group_refuse(vfioctl_ctx *ctx, vfioctl_report *report, enum group_asker asker,
                 const char *first, unsigned line, int group, int n)
{
        switch (asker) {
        case GROUP_ASKER_DETACH:
                return refuse_with_reason(
                        ctx, plan_refuse(ctx, report, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                                         "cannot detach %s alone: IOMMU group %d also holds %d "
                                         "device%s the host still uses, and VFIO can only take "
                                         "the whole group:",
                                         first, group, n, n == 1 ? "" : "s"));
        case GROUP_ASKER_UNMANAGED:
                return ctx_set_reason(
                        ctx,
                        plan_refuse(ctx, report, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                                    "line %u: %s is managed='no', but IOMMU group %d is not "
                                    "viable: %d other member%s still on host drivers (below), "
                                    "and the drivers of an unmanaged device's group are left "
                                    "alone",
                                    line, first, group, n, n == 1 ? " is" : "s are"),
                        VFIOCTL_REASON_UNMANAGED_GROUP, first);
        case GROUP_ASKER_LIBVIRT:
                return plan_refuse(ctx, report, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                                   "cannot assign %s: IOMMU group %d also holds %d device%s the "
                                   "host still uses (below), and VFIO takes whole groups only.\n"
                                   "Ways out:\n"
                                   "  <vfioctl:assign xmlns:vfioctl='" VFIOCTL_METADATA_NS "' "
                                   "group='auto'/> in the domain's <metadata> (or <vfioctl:hostdev "
                                   "address='%s' group='auto'/> inside it): detach them too and "
                                   "hold them for this domain\n"
                                   "  add them to the domain as <hostdev>s with <address "
                                   "type='unassigned'/>\n"
                                   "  or move the card to a slot with an IOMMU group of its own",
                                   first, group, n, n == 1 ? "" : "s", first);
        case GROUP_ASKER_RESERVE:
                return plan_refuse(ctx, report, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                                   "cannot reserve %s alone: IOMMU group %d also holds %d "
                                   "device%s on host drivers, and VFIO can only take the whole "
                                   "group; nothing was reserved",
                                   first, group, n, n == 1 ? "" : "s");
        case GROUP_ASKER_ASSIGN:
                break;
        }
        return refuse_with_reason(
                ctx, plan_refuse(ctx, report, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                                 "line %u: cannot assign %s: IOMMU group %d also holds %d "
                                 "device%s the host still uses (below), and VFIO takes whole "
                                 "groups only.",
                                 line, first, group, n, n == 1 ? "" : "s"));
}

/*
 * Rule 4: who owns the group dev is in, other than except (NULL: anyone).
 * A device's own row is authoritative, and the group is the one sysfs
 * shows now: group numbers move (SR-IOV toggled, hotplug, a reboot), so
 * the numbers recorded in the state are never trusted to find members.
 */
const struct vfioctl_state_device *group_owner_row(vfioctl_host *host, const struct plan_state *s,
                                               vfioctl_device *dev, const char *except)
{
        const struct vfioctl_state_device *row;
        vfioctl_group *g;

        if (vfioctl_device_get_group_number(dev) >= 0 &&
            vfioctl_host_get_group(host, (unsigned) vfioctl_device_get_group_number(dev), &g) >= 0)
                for (size_t i = 0; i < vfioctl_group_n_devices(g); i++) {
                        row = plan_row_find(s,
                                            vfioctl_device_get_address(vfioctl_group_device_at(g, i)));
                        if (row && row->owner && !streq_ptr(row->owner, except))
                                return row;
                }
        ctx_clear_error(vfioctl_host_get_ctx(host));
        row = plan_row_find(s, vfioctl_device_get_address(dev));
        return row && row->owner && !streq_ptr(row->owner, except) ? row : NULL;
}

/*
 * Rule 4: the group a recorded device is in now, as sysfs shows it, never
 * the number recorded with it (issue 14: numbers move); -1 for a device in
 * none or no longer on the host.
 */
int group_of_row(vfioctl_host *host, const struct vfioctl_state_device *row)
{
        struct vfioctl_pci_addr a;
        vfioctl_device *dev;

        if (vfioctl_pci_addr_parse(row->address, &a) < 0 || host_find_device(host, &a, &dev) < 0) {
                ctx_clear_error(vfioctl_host_get_ctx(host));
                return -1;
        }
        return vfioctl_device_get_group_number(dev);
}
