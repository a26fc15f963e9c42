/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Devices by the names users know them by (DESIGN §4): a PCI address
 * ("0000:03:00.0", "03:00.0"), a slot ("03:00", "0000:03:00": every
 * function of it, as Proxmox's host=03:00), or a network interface
 * ("enp5s0", the function behind sys/class/net/IF/device). Also the
 * interfaces of the host and the PF of a VF, read cheaply enough for a
 * listing: one directory and a link per interface, one link per device.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"


/* "BB:DD" or "DDDD:BB:DD", hex, strictly. */
static int slot_parse(const char *s, struct vfioctl_pci_addr *ret)
{
        char buf[VFIOCTL_PCI_ADDR_MAX + 2];

        if (strlen(s) + 3 > sizeof(buf))
                return -EINVAL;
        /* A slot is an address without its function. */
        snprintf(buf, sizeof(buf), "%s.0", s);
        return vfioctl_pci_addr_parse(buf, ret);
}

static int interface_device(vfioctl_host *host, int net_fd, const char *ifname,
                            struct vfioctl_pci_addr *ret)
{
        _cleanup_free_ char *target = NULL;
        char link[SYSFS_PATH_MAX];
        int r;

        sysfs_entry_attr(link, ifname, "device");
        r = sysfs_read_link_name(host->ctx, net_fd, SYSFS_CLASS_NET, link, &target);
        if (r < 0)
                return r;
        if (vfioctl_pci_addr_parse(target, ret) < 0)
                return -ENODEV; /* a USB or virtual device's interface */
        return 0;
}

static int resolve_interface(vfioctl_host *host, const char *ifname, struct vfioctl_pci_addr *ret)
{
        _cleanup_close_ int fd = -EBADF;
        char ifdir[VFIOCTL_IFNAME_MAX];
        int r;

        r = sysfs_open_dir(host->ctx, SYSFS_CLASS_NET, &fd);
        if (r < 0)
                return r;
        snprintf(ifdir, sizeof(ifdir), "%s", ifname);
        if (sysfs_exists(host->ctx, fd, ifdir) <= 0)
                return ctx_error(host->ctx, -ENODEV,
                                 "'%s' is not a PCI address (DDDD:BB:DD.F or BB:DD.F), a slot "
                                 "(BB:DD), nor a network interface on this host "
                                 "(no /sys/class/net/%s)",
                                 ifname, ifname);
        r = interface_device(host, fd, ifname, ret);
        if (r == -ENOENT || r == -ENODEV)
                return ctx_error(host->ctx, -ENODEV, "network interface %s is not on a PCI "
                                                     "device", ifname);
        return r;
}

/* Every function of a slot there is, in order. */
static int resolve_slot(vfioctl_host *host, const struct vfioctl_pci_addr *slot,
                        struct vfioctl_pci_addr **ret, size_t *ret_n)
{
        struct vfioctl_pci_addr *a;
        size_t n = 0;

        a = calloc(8, sizeof(*a));
        if (!a)
                return -ENOMEM;
        for (uint8_t f = 0; f < 8; f++) {
                char name[VFIOCTL_PCI_ADDR_MAX];
                struct vfioctl_pci_addr fn = *slot;

                fn.function = f;
                if (sysfs_exists(host->ctx, host->devices_fd, vfioctl_pci_addr_format(&fn, name)) > 0)
                        a[n++] = fn;
        }
        if (n == 0) {
                char name[VFIOCTL_PCI_ADDR_MAX];

                free(a);
                vfioctl_pci_addr_format(slot, name);
                return ctx_error(host->ctx, -ENODEV, "no PCI device in slot %.10s on this host",
                                 name);
        }
        *ret = a;
        *ret_n = n;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_host_resolve_device(vfioctl_host *host, const char *spec,
                                               struct vfioctl_pci_addr **ret, size_t *ret_n)
{
        struct vfioctl_pci_addr addr, *a;
        int r;

        if (!(host && spec && ret && ret_n))
                return -EINVAL;

        if (vfioctl_pci_addr_parse(spec, &addr) == 0)
                ;
        else if (slot_parse(spec, &addr) == 0)
                return resolve_slot(host, &addr, ret, ret_n);
        else if (ifname_is_valid(spec)) {
                r = resolve_interface(host, spec, &addr);
                if (r < 0)
                        return r;
        } else
                return ctx_error(host->ctx, -EINVAL,
                                 "'%.40s%s' is not a PCI address (DDDD:BB:DD.F or BB:DD.F), a "
                                 "slot (BB:DD) or a network interface name",
                                 spec, strlen(spec) > 40 ? "..." : "");
        a = malloc(sizeof(*a));
        if (!a)
                return -ENOMEM;
        *a = addr;
        *ret = a;
        *ret_n = 1;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_host_get_interfaces(vfioctl_host *host, struct vfioctl_interface **ret,
                                               size_t *ret_n)
{
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct vfioctl_interface *ifs;
        size_t n = 0, n_names = 0;
        int r;

        if (!(host && ret && ret_n))
                return -EINVAL;

        r = sysfs_open_dir(host->ctx, SYSFS_CLASS_NET, &fd);
        if (r == -ENOENT) {
                ctx_clear_error(host->ctx);
                *ret = NULL;
                *ret_n = 0;
                return 0; /* no network class: no interfaces */
        }
        if (r < 0)
                return r;
        r = sysfs_list_dir(host->ctx, fd, SYSFS_CLASS_NET, &names, &n_names);
        if (r < 0)
                return r;
        ifs = calloc(n_names + 1, sizeof(*ifs));
        if (!ifs)
                return -ENOMEM;
        for (size_t i = 0; i < n_names; i++) {
                if (!ifname_is_valid(names[i]) ||
                    interface_device(host, fd, names[i], &ifs[n].address) < 0)
                        continue; /* lo, bridges, USB: no PCI function */
                snprintf(ifs[n].name, sizeof(ifs[n].name), "%s", names[i]);
                n++;
        }
        ctx_clear_error(host->ctx);
        *ret = ifs;
        *ret_n = n;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_device_get_parent_pf(vfioctl_device *dev, struct vfioctl_pci_addr *ret)
{
        _cleanup_free_ char *target = NULL;
        char link[SYSFS_PATH_MAX];
        int r;

        if (!(dev && ret))
                return -EINVAL;

        sysfs_device_attr(link, dev->name, "physfn");
        r = sysfs_read_link_name(dev->host->ctx, dev->host->devices_fd, SYSFS_PCI_DEVICES, link,
                                 &target);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (vfioctl_pci_addr_parse(target, ret) < 0)
                return ctx_error(dev->host->ctx, -EBADMSG, "%s/physfn points to %s, not a PCI "
                                                           "function", dev->name, target);
        return 1;
}
