/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IOMMU groups: the smallest set of devices the IOMMU can isolate, and so
 * the unit of every decision vfioctl makes. A group is viable when VFIO
 * may hand it to a guest: every member unbound or on a driver that leaves
 * DMA ownership to VFIO (kernel-semantics.md §3).
 */
#include <errno.h>

#include "internal.h"

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
