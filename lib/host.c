/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host: a cache of devices and IOMMU groups over sysfs. Nothing is read
 * until asked for, so a command touching two groups on a host with
 * thousands of functions reads two groups: looking up a group lists
 * sys/kernel/iommu_groups/N/devices and reads those members only. A full
 * scan lists sys/bus/pci/devices and reads each device's iommu_group link,
 * then files the devices into their groups.
 */
#include <errno.h>
#include <stdio.h>

#include "internal.h"

VFIOCTL_EXPORT int vfioctl_host_new(vfioctl_ctx *ctx, vfioctl_host **ret)
{
        vfioctl_host *host;
        int r;

        assert_return(ctx && ret, -EINVAL);
        host = calloc(1, sizeof(*host));
        if (!host)
                return -ENOMEM;
        host->n_ref = 1;
        host->has_iommu = -1;
        devdirs_init(&host->dirs);
        host->ctx = vfioctl_ctx_ref(ctx);
        r = sysfs_open_dir(ctx, SYSFS_PCI_DEVICES, &host->devices_fd);
        if (r < 0) {
                ctx_error_reason(ctx, VFIOCTL_REASON_ROOT, r,
                          "%s%s" SYSFS_PCI_DEVICES " cannot be read (%s): is this the root of a "
                          "Linux host with PCI?",
                          ctx->root, streq(ctx->root, "/") ? "" : "/", strerror(-r));
                host->devices_fd = -EBADF;
                vfioctl_host_unref(host);
                return r;
        }
        *ret = host;
        return 0;
}

static void host_clear(vfioctl_host *host)
{
        devdirs_clear(&host->dirs);
        for (size_t i = 0; i < host->n_groups; i++)
                group_unref(host->groups[i]);
        free(host->groups);
        host->groups = NULL;
        host->n_groups = 0;
        for (size_t i = 0; i < host->n_devices; i++)
                device_unref(host->devices[i]);
        free(host->devices);
        host->devices = NULL;
        host->n_devices = 0;
        host->scanned = false;
        host->has_iommu = -1;
        strv_free(host->drivers);
        host->drivers = NULL;
        strv_free(host->vfio_drivers);
        host->vfio_drivers = NULL;
        strv_free(host->other_drivers);
        host->other_drivers = NULL;
        strv_free(host->vfio_modules);
        host->vfio_modules = NULL;
        host->vfio_modules_loaded = false;
        free(host->mounts);
        host->mounts = NULL;
        strv_free(host->default_route_ifs);
        host->default_route_ifs = NULL;
        host->routes_loaded = false;
}

static void host_free(vfioctl_host *host)
{
        host_clear(host);
        devdirs_done(&host->dirs);
        if (host->devices_fd >= 0)
                close(host->devices_fd);
        vfioctl_ctx_unref(host->ctx);
        free(host);
}

DEFINE_PUBLIC_REF_UNREF(vfioctl_host, vfioctl_host, host_free)

VFIOCTL_EXPORT void vfioctl_host_invalidate(vfioctl_host *host)
{
        assert_return_void(host);
        host_clear(host);
}

VFIOCTL_EXPORT vfioctl_ctx *vfioctl_host_get_ctx(vfioctl_host *host)
{
        assert_return(host, NULL);
        return host->ctx;
}

VFIOCTL_EXPORT bool vfioctl_host_has_iommu(vfioctl_host *host)
{
        assert_return(host, false);
        if (host->has_iommu < 0) {
                /* No folder at all (a kernel without IOMMU support) is no IOMMU too. */
                host->has_iommu = sysfs_dir_is_empty(host->ctx, SYSFS_IOMMU_GROUPS) == 0;
                ctx_clear_error(host->ctx);
        }
        return host->has_iommu;
}

int host_driver_exists(vfioctl_host *host, const char *driver)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!host->drivers) {
                r = sysfs_open_dir(host->ctx, SYSFS_PCI_DRIVERS, &fd);
                if (r < 0)
                        return r;
                r = sysfs_list_dir(host->ctx, fd, SYSFS_PCI_DRIVERS, &host->drivers, NULL);
                if (r < 0)
                        return r;
        }
        for (char **d = host->drivers; *d; d++)
                if (streq(*d, driver))
                        return 1;
        return 0;
}

static bool strv_contains(char **l, const char *s)
{
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

static int strv_push(char ***l, size_t *n, const char *s);

int host_driver_is_vfio(vfioctl_host *host, const char *driver)
{
        if (strv_contains(host->vfio_drivers, driver))
                return 1;
        if (strv_contains(host->other_drivers, driver))
                return 0;
        return -ENOENT;
}

int host_remember_driver(vfioctl_host *host, const char *driver, bool is_vfio)
{
        char ***l = is_vfio ? &host->vfio_drivers : &host->other_drivers;
        size_t n = 0;

        while (*l && (*l)[n])
                n++;
        return strv_push(l, &n, driver);
}

/* Inserts item at pos of a sorted pointer array, keeping it sorted. */
static int ptr_array_insert(void ***array, size_t *n, size_t pos, void *item)
{
        void **a = realloc(*array, (*n + 1) * sizeof(void *));

        if (!a)
                return -ENOMEM;
        memmove(a + pos + 1, a + pos, (*n - pos) * sizeof(void *));
        a[pos] = item;
        *array = a;
        (*n)++;
        return 0;
}

/* The index of addr in the sorted cache, or where it would go (an index,
 * not a pointer: the empty cache is a NULL array). */
static size_t device_slot(vfioctl_host *host, const struct vfioctl_pci_addr *addr, bool *found)
{
        size_t lo = 0, hi = host->n_devices;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = vfioctl_pci_addr_compare(&host->devices[mid]->addr, addr);
                if (c == 0) {
                        *found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return lo;
}

/* Loads a device into the cache unless it is there; group -2 reads its link. */
static int host_load_device(vfioctl_host *host, const struct vfioctl_pci_addr *addr, int group,
                            vfioctl_device **ret)
{
        vfioctl_device *dev;
        size_t slot;
        bool found;
        int r;

        slot = device_slot(host, addr, &found);
        if (found) {
                if (group >= 0)
                        host->devices[slot]->group = group;
                *ret = host->devices[slot];
                return 0;
        }
        r = device_new(host, addr, group, &dev);
        if (r < 0)
                return r;
        r = ptr_array_insert((void ***) &host->devices, &host->n_devices, slot, dev);
        if (r < 0) {
                device_unref(dev);
                return r;
        }
        *ret = dev;
        return 0;
}

int host_find_device(vfioctl_host *host, const struct vfioctl_pci_addr *addr,
                     vfioctl_device **ret)
{
        char name[VFIOCTL_PCI_ADDR_MAX];
        bool found;
        int r;

        device_slot(host, addr, &found);
        if (!found) {
                r = sysfs_exists(host->ctx, host->devices_fd, vfioctl_pci_addr_format(addr, name));
                if (r < 0)
                        return r;
                if (r == 0)
                        return -ENODEV;
        }
        return host_load_device(host, addr, -2, ret);
}

VFIOCTL_EXPORT int vfioctl_host_get_device(vfioctl_host *host, const struct vfioctl_pci_addr *addr,
                                           vfioctl_device **ret)
{
        char name[VFIOCTL_PCI_ADDR_MAX];
        int r;

        assert_return(host && addr && ret, -EINVAL);
        r = host_find_device(host, addr, ret);
        vfioctl_pci_addr_format(addr, name);
        if (r == -ENODEV)
                return ctx_error_reason(host->ctx, VFIOCTL_REASON_NO_DEVICE, -ENODEV,
                                        "no PCI device %s on this host", name);
        if (r < 0 && r != -ENOMEM)
                return ctx_error(host->ctx, r, "%s: cannot look up device: %s", name,
                                 strerror(-r));
        return r;
}

static size_t group_slot(vfioctl_host *host, unsigned number, bool *found)
{
        size_t lo = 0, hi = host->n_groups;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                unsigned g = host->groups[mid]->number;
                if (g == number) {
                        *found = true;
                        return mid;
                }
                if (g < number)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return lo;
}

/* The cached group of that number, created empty on first sight. */
static int host_add_group(vfioctl_host *host, unsigned number, vfioctl_group **ret)
{
        size_t slot;
        vfioctl_group *group;
        bool found;
        int r;

        slot = group_slot(host, number, &found);
        if (found) {
                *ret = host->groups[slot];
                return 0;
        }
        r = group_new(host, number, &group);
        if (r < 0)
                return r;
        r = ptr_array_insert((void ***) &host->groups, &host->n_groups,
                             slot, group);
        if (r < 0) {
                group_unref(group);
                return r;
        }
        *ret = group;
        return 0;
}

/* Reads sys/kernel/iommu_groups/N/devices and loads every member. */
static int host_load_group(vfioctl_host *host, unsigned number, vfioctl_group **ret)
{
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_close_ int fd = -EBADF;
        char rel[SYSFS_PATH_MAX];
        size_t slot;
        vfioctl_group *group;
        bool found;
        int r;

        slot = group_slot(host, number, &found);
        if (found) {
                *ret = host->groups[slot];
                return 0;
        }

        sysfs_group_devices_path(rel, number);
        r = sysfs_open_dir(host->ctx, rel, &fd);
        if (r == -ENOENT)
                return ctx_error(host->ctx, -ENOENT, "no IOMMU group %u on this host", number);
        if (r < 0)
                return r;
        r = sysfs_list_dir(host->ctx, fd, rel, &names, NULL);
        if (r < 0)
                return r;

        r = host_add_group(host, number, &group);
        if (r < 0)
                return r;
        for (char **name = names; *name; name++) {
                struct vfioctl_pci_addr addr;
                vfioctl_device *dev;

                if (vfioctl_pci_addr_parse(*name, &addr) < 0) {
                        log_debug(host->ctx, "%s: ignoring '%s', not a PCI address", rel, *name);
                        continue;
                }
                r = host_load_device(host, &addr, (int) number, &dev);
                if (r < 0)
                        return r;
                r = group_add_device(group, dev);
                if (r < 0)
                        return r;
        }
        *ret = group;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_host_get_group(vfioctl_host *host, unsigned number, vfioctl_group **ret)
{
        assert_return(host && ret, -EINVAL);
        return host_load_group(host, number, ret);
}

/* Puts a scanned device into its group, creating the group on first sight. */
static int host_file_device(vfioctl_host *host, vfioctl_device *dev)
{
        vfioctl_group *group;
        int r;

        if (dev->group < 0)
                return 0;
        r = host_add_group(host, (unsigned) dev->group, &group);
        if (r < 0)
                return r;
        return group_add_device(group, dev);
}

/*
 * A full scan reads each device's iommu_group link rather than walking
 * sys/kernel/iommu_groups: one readlink per function instead of an open,
 * two getdents and a close per group, and on SR-IOV hosts nearly every
 * function is a group of its own. Both are the kernel's truth.
 */
VFIOCTL_EXPORT int vfioctl_host_scan(vfioctl_host *host)
{
        _cleanup_strv_free_ char **names = NULL;
        int r;

        assert_return(host, -EINVAL);
        if (host->scanned)
                return 0;
        r = sysfs_list_dir(host->ctx, host->devices_fd, SYSFS_PCI_DEVICES, &names, NULL);
        if (r < 0)
                return r;
        for (char **name = names; *name; name++) {
                struct vfioctl_pci_addr addr;
                vfioctl_device *dev;

                if (vfioctl_pci_addr_parse(*name, &addr) < 0) {
                        log_debug(host->ctx, "ignoring '%s' in " SYSFS_PCI_DEVICES, *name);
                        continue;
                }
                r = host_load_device(host, &addr, -2, &dev);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < host->n_devices; i++) {
                r = host_file_device(host, host->devices[i]);
                if (r < 0)
                        return r;
        }
        if (host->n_groups > 0)
                host->has_iommu = true;
        host->scanned = true;
        return 0;
}

VFIOCTL_EXPORT size_t vfioctl_host_n_devices(vfioctl_host *host)
{
        assert_return(host, 0);
        return host->n_devices;
}

VFIOCTL_EXPORT vfioctl_device *vfioctl_host_device_at(vfioctl_host *host, size_t i)
{
        assert_return(host && i < host->n_devices, NULL);
        return host->devices[i];
}

VFIOCTL_EXPORT size_t vfioctl_host_n_groups(vfioctl_host *host)
{
        assert_return(host, 0);
        return host->n_groups;
}

VFIOCTL_EXPORT vfioctl_group *vfioctl_host_group_at(vfioctl_host *host, size_t i)
{
        assert_return(host && i < host->n_groups, NULL);
        return host->groups[i];
}

/* ------------------------------------------------------------------ */
/* What the host as a whole says about its use of devices (usage.c).   */

int host_read_mounts(vfioctl_host *host, const char **ret)
{
        int r;

        if (!host->mounts) {
                r = sysfs_read_text(host->ctx, host->ctx->root_fd, NULL, "proc/self/mounts",
                                    1024 * 1024, &host->mounts);
                if (r < 0)
                        return r;
        }
        *ret = host->mounts;
        return 0;
}

static int strv_push(char ***l, size_t *n, const char *s)
{
        char **nl;

        for (size_t i = 0; i < *n; i++)
                if (streq((*l)[i], s))
                        return 0;
        nl = realloc(*l, (*n + 2) * sizeof(char *));
        if (!nl)
                return -ENOMEM;
        *l = nl;
        nl[*n] = strdup(s);
        if (!nl[*n])
                return -ENOMEM;
        nl[++*n] = NULL;
        return 0;
}

/* proc/net/route: "Iface Destination Gateway Flags ..." with hex fields;
 * a default route has destination and mask 00000000. */
static int parse_route4(char *text, char ***l, size_t *n)
{
        char *save = NULL;
        bool header = true;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char iface[64], dest[16], gw[16], mask[16];
                unsigned flags, refcnt, use, metric;

                if (header) {
                        header = false;
                        continue;
                }
                if (sscanf(line, "%63s %15s %15s %x %u %u %u %15s", iface, dest, gw, &flags,
                           &refcnt, &use, &metric, mask) != 8)
                        continue;
                /* A line naming no possible interface is damage, not a route. */
                if (streq(dest, "00000000") && streq(mask, "00000000") && ifname_is_valid(iface) &&
                    strv_push(l, n, iface) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* proc/net/ipv6_route: "dest plen src splen nexthop metric ref use flags iface";
 * a default route has an all-zero destination with prefix length 00. */
static int parse_route6(char *text, char ***l, size_t *n)
{
        char *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char dest[40], plen[4], iface[64];
                int pos = 0;

                if (sscanf(line, "%39s %3s %*s %*s %*s %*s %*s %*s %*s %63s%n", dest, plen, iface,
                           &pos) != 3)
                        continue;
                if (streq(dest, "00000000000000000000000000000000") && streq(plen, "00") &&
                    !streq(iface, "lo") && ifname_is_valid(iface) && strv_push(l, n, iface) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int host_default_route_ifs(vfioctl_host *host, char ***ret)
{
        _cleanup_free_ char *v4 = NULL, *v6 = NULL;
        char **l = NULL;
        size_t n = 0;
        int r;

        if (host->routes_loaded) {
                *ret = host->default_route_ifs;
                return 0;
        }
        /* A host without IPv6 has no ipv6_route; without networking, no route. */
        r = sysfs_read_text(host->ctx, host->ctx->root_fd, NULL, "proc/net/route", 1024 * 1024,
                            &v4);
        if (r < 0 && r != -ENOENT)
                return r;
        r = sysfs_read_text(host->ctx, host->ctx->root_fd, NULL, "proc/net/ipv6_route",
                            1024 * 1024, &v6);
        if (r < 0 && r != -ENOENT)
                return r;
        ctx_clear_error(host->ctx);

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        if ((v4 && parse_route4(v4, &l, &n) < 0) || (v6 && parse_route6(v6, &l, &n) < 0)) {
                strv_free(l);
                return -ENOMEM;
        }
        host->default_route_ifs = l;
        host->routes_loaded = true;
        *ret = l;
        return 0;
}
