/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the host uses a device for, as far as sysfs and procfs show it:
 * network interfaces (up? default route?) and block devices (mounted?).
 * This is what `show` explains and what the safety rule (DESIGN §3.9)
 * protects: detaching the NIC that carries the default route or the disk
 * holding / takes the host down with it.
 */
#include <errno.h>
#include <stdio.h>

#include "driver.h"

void usage_free(vfioctl_device *dev)
{
        for (size_t i = 0; i < dev->n_netifs; i++) {
                free((char *) dev->netifs[i].name);
                free((char *) dev->netifs[i].operstate);
        }
        free(dev->netifs);
        dev->netifs = NULL;
        dev->n_netifs = 0;
        for (size_t i = 0; i < dev->n_blockdevs; i++) {
                free((char *) dev->blockdevs[i].name);
                strv_free((char **) dev->blockdevs[i].mounts);
        }
        free(dev->blockdevs);
        dev->blockdevs = NULL;
        dev->n_blockdevs = 0;
        dev->usage_loaded = false;
}

/* Lists dev/<sub>; a missing folder is an empty list. */
static int list_subdir(vfioctl_device *dev, const char *sub, char ***ret, size_t *ret_n)
{
        vfioctl_ctx *ctx = dev->host->ctx;
        _cleanup_close_ int fd = -EBADF;
        char path[VFIOCTL_PCI_ADDR_MAX + 64];
        int r;

        snprintf(path, sizeof(path), "%s/%s", dev->name, sub);
        r = sysfs_open_subdir(ctx, dev->host->devices_fd, path, &fd);
        if (r == -ENOENT || r == -ENOTDIR) {
                *ret = calloc(1, sizeof(char *));
                *ret_n = 0;
                return *ret ? 0 : -ENOMEM;
        }
        if (r < 0)
                return ctx_error(ctx, r, "%s: cannot read %s/: %s", dev->name, sub, strerror(-r));
        return sysfs_list_dir(ctx, fd, path, ret, ret_n);
}

static int load_netifs(vfioctl_device *dev)
{
        vfioctl_ctx *ctx = dev->host->ctx;
        _cleanup_strv_free_ char **names = NULL;
        char **default_ifs;
        size_t n;
        int r;

        r = list_subdir(dev, "net", &names, &n);
        if (r < 0)
                return r;
        if (n == 0)
                return 0;
        r = host_default_route_ifs(dev->host, &default_ifs);
        if (r < 0)
                return r;
        dev->netifs = calloc(n, sizeof(*dev->netifs));
        if (!dev->netifs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct vfioctl_netif *nif = &dev->netifs[i];
                char path[VFIOCTL_PCI_ADDR_MAX + 300];
                char *state = NULL;

                snprintf(path, sizeof(path), "%s/net/%s/operstate", dev->name, names[i]);
                r = sysfs_read_str(ctx, dev->host->devices_fd, SYSFS_PCI_DEVICES, path, &state);
                if (r < 0)
                        return r;
                nif->operstate = state;
                nif->name = strdup(names[i]);
                if (!nif->name)
                        return -ENOMEM;
                dev->n_netifs++;
                for (char **d = default_ifs; *d; d++)
                        if (streq(*d, names[i]))
                                nif->default_route = true;
        }
        return 0;
}

/* "nvme0n1" is mounted when /dev/nvme0n1 or one of its partitions
 * (/dev/nvme0n1p2, /dev/sda1) is the source of a mount. */
static bool source_is_on(const char *source, const char *name)
{
        size_t len = strlen(name);
        const char *rest;

        if (strncmp(source, "/dev/", 5) != 0 || strncmp(source + 5, name, len) != 0)
                return false;
        rest = source + 5 + len;
        if (*rest == 'p')
                rest++;
        else if (!*rest)
                return true;
        if (!*rest)
                return false;
        for (; *rest; rest++)
                if (*rest < '0' || *rest > '9')
                        return false;
        return true;
}

/* Appends s to the NULL-terminated l of n entries. */
static int strv_append(char ***l, size_t *n, const char *s)
{
        char **nl = realloc(*l, (*n + 2) * sizeof(char *));

        if (!nl)
                return -ENOMEM;
        *l = nl;
        nl[*n] = strdup(s);
        if (!nl[*n])
                return -ENOMEM;
        nl[++*n] = NULL;
        return 0;
}

/* Active swap on name or its partitions (proc/swaps): "[SWAP]", as lsblk says. */
static int swaps_of(vfioctl_host *host, const char *name, char ***l, size_t *n)
{
        _cleanup_free_ char *swaps = NULL;
        _cleanup_close_ int fd = -EBADF;
        char *save = NULL;
        int r;

        if (sysfs_open_dir(host->ctx, "proc", &fd) < 0 ||
            sysfs_read_text(host->ctx, fd, "proc", "swaps", 1 << 20, &swaps) < 0) {
                ctx_clear_error(host->ctx); /* no swap support: no swap in use */
                return 0;
        }
        for (char *line = strtok_r(swaps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char source[256];

                if (sscanf(line, "%255s", source) != 1 || !source_is_on(source, name))
                        continue;
                r = strv_append(l, n, "[SWAP]");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int mounts_of(vfioctl_host *host, const char *name, char ***ret)
{
        _cleanup_free_ char *copy = NULL;
        const char *mounts;
        char **l;
        size_t n = 0;
        char *save = NULL;
        int r;

        r = host_read_mounts(host, &mounts);
        if (r < 0)
                return r;
        copy = strdup(mounts);
        l = calloc(1, sizeof(char *));
        if (!copy || !l) {
                free(l);
                return -ENOMEM;
        }
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char source[256], target[1024];

                if (sscanf(line, "%255s %1023s", source, target) != 2 ||
                    !source_is_on(source, name))
                        continue;
                char **nl = realloc(l, (n + 2) * sizeof(char *));
                if (!nl) {
                        strv_free(l);
                        return -ENOMEM;
                }
                l = nl;
                l[n] = strdup(target);
                if (!l[n]) {
                        strv_free(l);
                        return -ENOMEM;
                }
                l[++n] = NULL;
        }
        r = swaps_of(host, name, &l, &n);
        if (r < 0) {
                strv_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

static int add_blockdev(vfioctl_device *dev, const char *name)
{
        struct vfioctl_blockdev *n;
        char **mounts = NULL;
        int r;

        r = mounts_of(dev->host, name, &mounts);
        if (r < 0)
                return r;
        n = realloc(dev->blockdevs, (dev->n_blockdevs + 1) * sizeof(*n));
        if (!n) {
                strv_free(mounts);
                return -ENOMEM;
        }
        dev->blockdevs = n;
        n[dev->n_blockdevs].name = strdup(name);
        n[dev->n_blockdevs].mounts = (const char *const *) mounts;
        dev->n_blockdevs++;
        return n[dev->n_blockdevs - 1].name ? 0 : -ENOMEM;
}

/* NVMe namespaces sit below the controller: nvme/nvme0/nvme0n1. */
static bool is_nvme_namespace(const char *ctrl, const char *entry)
{
        size_t len = strlen(ctrl);

        return strncmp(entry, ctrl, len) == 0 && entry[len] == 'n' && entry[len + 1] >= '0' &&
               entry[len + 1] <= '9' && !strchr(entry + len, 'p');
}

static int load_blockdevs(vfioctl_device *dev)
{
        _cleanup_strv_free_ char **names = NULL, **ctrls = NULL;
        size_t n;
        int r;

        r = list_subdir(dev, "block", &names, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = add_blockdev(dev, names[i]);
                if (r < 0)
                        return r;
        }
        r = list_subdir(dev, "nvme", &ctrls, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_strv_free_ char **entries = NULL;
                char sub[300];
                size_t m;

                snprintf(sub, sizeof(sub), "nvme/%s", ctrls[i]);
                r = list_subdir(dev, sub, &entries, &m);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < m; j++) {
                        if (!is_nvme_namespace(ctrls[i], entries[j]))
                                continue;
                        r = add_blockdev(dev, entries[j]);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Whether a console is bound to a VGA/framebuffer console driver. */
static bool console_bound(vfioctl_host *host)
{
        vfioctl_ctx *ctx = host->ctx;
        _cleanup_strv_free_ char **cons = NULL;
        _cleanup_close_ int fd = -EBADF;
        bool bound = false;

        /* No vtconsole class (a test tree, a kernel without VT): no console to lose. */
        if (sysfs_open_dir(ctx, "sys/class/vtconsole", &fd) < 0 ||
            sysfs_list_dir(ctx, fd, "sys/class/vtconsole", &cons, NULL) < 0) {
                ctx_clear_error(ctx);
                return false;
        }
        for (char **c = cons; *c && !bound; c++) {
                _cleanup_free_ char *name = NULL, *bind = NULL;
                char attr[128];

                snprintf(attr, sizeof(attr), "%s/name", *c);
                if (sysfs_read_str(ctx, fd, "sys/class/vtconsole", attr, &name) < 0)
                        continue;
                snprintf(attr, sizeof(attr), "%s/bind", *c);
                if (sysfs_read_str(ctx, fd, "sys/class/vtconsole", attr, &bind) < 0)
                        continue;
                /* The dummy console holds nothing. */
                bound = streq(bind, "1") && !strstr(name, "dummy");
        }
        ctx_clear_error(ctx);
        return bound;
}

VFIOCTL_EXPORT int vfioctl_device_get_console_bound(vfioctl_device *dev, bool *ret)
{
        bool boot_vga = false;
        int r;

        assert_return(dev && ret, -EINVAL);
        r = vfioctl_device_get_boot_vga(dev, &boot_vga);
        if (r < 0)
                return r;
        *ret = boot_vga && console_bound(dev->host);
        return 0;
}

/* Rule 9 */
VFIOCTL_EXPORT int vfioctl_device_check_host_use(vfioctl_device *dev, vfioctl_report *report)
{
        const char *addr, *drv;
        const struct vfioctl_netif *nifs;
        const struct vfioctl_blockdev *bdevs;
        size_t n_nifs, n_bdevs;
        bool console = false;
        int found = 0, r;

        assert_return(dev, -EINVAL);
        addr = vfioctl_device_get_address(dev);
        drv = vfioctl_device_get_driver(dev);
        r = vfioctl_device_get_netifs(dev, &nifs, &n_nifs);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_nifs; i++) {
                if (nifs[i].default_route) {
                        report_add(report, addr, VFIOCTL_ACTION_IN_USE, drv, NULL,
                                   "network interface %s holds the default route", nifs[i].name);
                        found++;
                } else if (streq_ptr(nifs[i].operstate, "up")) {
                        report_add(report, addr, VFIOCTL_ACTION_IN_USE, drv, NULL,
                                   "network interface %s is up", nifs[i].name);
                        found++;
                }
        }
        r = vfioctl_device_get_blockdevs(dev, &bdevs, &n_bdevs);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_bdevs; i++)
                for (const char *const *m = bdevs[i].mounts; m && *m; m++) {
                        if (streq(*m, "[SWAP]"))
                                report_add(report, addr, VFIOCTL_ACTION_IN_USE, drv, NULL,
                                           "%s is in use as swap", bdevs[i].name);
                        else
                                report_add(report, addr, VFIOCTL_ACTION_IN_USE, drv, NULL,
                                           "%s is mounted on %s", bdevs[i].name, *m);
                        found++;
                }
        r = vfioctl_device_get_console_bound(dev, &console);
        if (r < 0)
                return r;
        if (console) {
                report_add(report, addr, VFIOCTL_ACTION_IN_USE, drv, NULL,
                           "it is the boot VGA device and the console is bound to it");
                found++;
        }
        return found;
}

int usage_load(vfioctl_device *dev)
{
        int r;

        if (dev->usage_loaded)
                return dev->usage_error;
        dev->usage_loaded = true;
        r = load_netifs(dev);
        if (r >= 0)
                r = load_blockdevs(dev);
        dev->usage_error = r < 0 ? r : 0;
        return dev->usage_error;
}

VFIOCTL_EXPORT int vfioctl_device_get_netifs(vfioctl_device *dev, const struct vfioctl_netif **ret,
                                             size_t *ret_n)
{
        int r;

        assert_return(dev && ret && ret_n, -EINVAL);
        r = usage_load(dev);
        if (r < 0)
                return r;
        *ret = dev->netifs;
        *ret_n = dev->n_netifs;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_device_get_blockdevs(vfioctl_device *dev,
                                                const struct vfioctl_blockdev **ret, size_t *ret_n)
{
        int r;

        assert_return(dev && ret && ret_n, -EINVAL);
        r = usage_load(dev);
        if (r < 0)
                return r;
        *ret = dev->blockdevs;
        *ret_n = dev->n_blockdevs;
        return 0;
}
