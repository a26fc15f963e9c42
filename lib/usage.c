/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the host uses a device for, as far as sysfs and procfs show it:
 * network interfaces (up? default route?) and block devices (mounted?).
 * This is what `show` explains and what the safety rule (DESIGN §3.9)
 * protects: detaching the NIC that carries the default route or the disk
 * holding / takes the host down with it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                if (dev->blockdev_via)
                        strv_free(dev->blockdev_via[i]);
        }
        free(dev->blockdevs);
        free(dev->blockdev_via);
        dev->blockdevs = NULL;
        dev->blockdev_via = NULL;
        dev->n_blockdevs = 0;
        dev->usage_loaded = false;
}

/* Lists dev/<sub>; a missing folder is an empty list. */
static int list_subdir(vfioctl_device *dev, const char *sub, char ***ret, size_t *ret_n)
{
        vfioctl_ctx *ctx = dev->host->ctx;
        _cleanup_close_ int fd = -EBADF;
        char path[SYSFS_PATH_MAX];
        int r;

        sysfs_device_attr(path, dev->name, sub);
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
                char path[SYSFS_PATH_MAX];
                char *state = NULL;

                sysfs_device_netif_attr(path, dev->name, names[i], "operstate");
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

/*
 * A block device a disk carries: the disk, one of its partitions, or a
 * device stacked on them (device-mapper: LVM, dm-crypt; md RAID), found
 * through sysfs holders/. A mount of any of them needs the disk.
 */
struct stacked {
        char name[64];          /* "nvme0n1p3", "dm-1" */
        char dm_name[128];      /* dm/name ("vg-root"), "" when none */
        unsigned major, minor;  /* from its dev attribute; 0:0 unknown */
        char *chain;            /* "dm-1 (vg-root) on nvme0n1p3"; NULL for the disk's own */
};

struct stack {
        struct stacked *e;
        size_t n;
};

static void stack_clear(struct stack *st)
{
        for (size_t i = 0; i < st->n; i++)
                free(st->e[i].chain);
        free(st->e);
        *st = (struct stack) {};
}

static void read_dev(vfioctl_ctx *ctx, int fd, const char *dir, const char *name,
                     struct stacked *e)
{
        _cleanup_free_ char *dev = NULL;
        char attr[SYSFS_PATH_MAX];

        sysfs_entry_attr(attr, name, "dev");
        if (sysfs_read_str(ctx, fd, dir, attr, &dev) < 0 ||
            sscanf(dev, "%u:%u", &e->major, &e->minor) != 2)
                e->major = e->minor = 0;
        ctx_clear_error(ctx);
}

static int stack_add(struct stack *st, const char *name, const char *chain, struct stacked **ret)
{
        struct stacked *n;

        for (size_t i = 0; i < st->n; i++)
                if (streq(st->e[i].name, name)) {
                        *ret = NULL; /* seen on another path (md over two partitions) */
                        return 0;
                }
        n = realloc(st->e, (st->n + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        st->e = n;
        n = &st->e[st->n];
        *n = (struct stacked) {};
        snprintf(n->name, sizeof(n->name), "%s", name);
        if (chain) {
                n->chain = strdup(chain);
                if (!n->chain)
                        return -ENOMEM;
        }
        st->n++;
        *ret = n;
        return 0;
}

/* Stacks deeper than this are not followed (a loop in a damaged tree). */
#define STACK_DEPTH_MAX 8

/*
 * The holders of the block device whose folder is holders_dir (relative
 * to dirfd): each is sys/block/H, with its dm/name, and its own holders in
 * turn. below is what H sits on, as said in the chain.
 */
static int follow_holders(vfioctl_ctx *ctx, struct stack *st, int dirfd, const char *dir,
                          const char *holders_dir, const char *below, int depth)
{
        _cleanup_strv_free_ char **holders = NULL;
        _cleanup_close_ int fd = -EBADF, block_fd = -EBADF;
        int r;

        if (depth > STACK_DEPTH_MAX || sysfs_open_subdir(ctx, dirfd, holders_dir, &fd) < 0 ||
            sysfs_list_dir(ctx, fd, holders_dir, &holders, NULL) < 0 ||
            sysfs_open_dir(ctx, "sys/block", &block_fd) < 0) {
                ctx_clear_error(ctx); /* no holders/ (an old kernel, a test tree): none */
                return 0;
        }
        for (char **h = holders; *h; h++) {
                _cleanup_free_ char *chain = NULL, *label = NULL, *dm_name = NULL;
                struct stacked *e;
                char attr[SYSFS_PATH_MAX];

                if (strchr(*h, '/') || (*h)[0] == '.')
                        continue;
                sysfs_entry_attr(attr, *h, "dm/name");
                if (sysfs_read_str(ctx, block_fd, "sys/block", attr, &dm_name) < 0)
                        ctx_clear_error(ctx); /* md, or no dm/ folder: no name */
                if (asprintf(&label, "%s%s%s%s", *h, dm_name ? " (" : "", dm_name ? dm_name : "",
                             dm_name ? ")" : "") < 0 ||
                    asprintf(&chain, "%s on %s", label, below) < 0)
                        return -ENOMEM;
                r = stack_add(st, *h, chain, &e);
                if (r < 0)
                        return r;
                if (!e)
                        continue;
                snprintf(e->dm_name, sizeof(e->dm_name), "%s", dm_name ? dm_name : "");
                read_dev(ctx, block_fd, "sys/block", *h, e);
                sysfs_entry_attr(attr, *h, "holders");
                r = follow_holders(ctx, st, block_fd, "sys/block", attr, chain, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A partition of disk: "nvme0n1p2" of "nvme0n1", "sda1" of "sda". */
static bool is_partition_of(const char *entry, const char *disk)
{
        size_t len = strlen(disk);
        const char *rest = entry + len;

        if (strncmp(entry, disk, len) != 0)
                return false;
        if (*rest == 'p')
                rest++;
        if (!*rest)
                return false;
        for (; *rest; rest++)
                if (*rest < '0' || *rest > '9')
                        return false;
        return true;
}

/* The disk at path (relative to the devices folder), its partitions and
 * every device stacked on any of them. */
static int load_stack(vfioctl_device *dev, const char *path, const char *disk, struct stack *st)
{
        vfioctl_ctx *ctx = dev->host->ctx;
        _cleanup_strv_free_ char **entries = NULL;
        _cleanup_close_ int fd = -EBADF;
        char sub[SYSFS_PATH_MAX], part[SYSFS_PATH_MAX];
        struct stacked *e;
        int r;

        r = stack_add(st, disk, NULL, &e);
        if (r < 0)
                return r;
        read_dev(ctx, dev->host->devices_fd, SYSFS_PCI_DEVICES, path, e);
        sysfs_entry_attr(sub, path, "holders");
        r = follow_holders(ctx, st, dev->host->devices_fd, SYSFS_PCI_DEVICES, sub, disk, 0);
        if (r < 0)
                return r;
        if (sysfs_open_subdir(ctx, dev->host->devices_fd, path, &fd) < 0 ||
            sysfs_list_dir(ctx, fd, path, &entries, NULL) < 0) {
                ctx_clear_error(ctx);
                return 0;
        }
        for (char **p = entries; *p; p++) {
                if (!is_partition_of(*p, disk))
                        continue;
                r = stack_add(st, *p, NULL, &e);
                if (r < 0)
                        return r;
                if (!e)
                        continue;
                sysfs_entry_attr(part, path, *p);
                read_dev(ctx, dev->host->devices_fd, SYSFS_PCI_DEVICES, part, e);
                sysfs_entry_attr(sub, part, "holders");
                r = follow_holders(ctx, st, dev->host->devices_fd, SYSFS_PCI_DEVICES, sub, *p, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * Which entry of the stack a mount or swap source is: by MAJ:MIN when the
 * mount table gives one (the only way to know "/dev/root"), else by name
 * (/dev/NAME, /dev/mapper/DMNAME; /dev/DISK[p]N without sysfs partitions).
 */
static const struct stacked *stack_match(const struct stack *st, const char *source,
                                         unsigned major, unsigned minor)
{
        for (size_t i = 0; i < st->n; i++) {
                const struct stacked *e = &st->e[i];

                if (major != 0 && e->major == major && e->minor == minor)
                        return e;
                if (strncmp(source, "/dev/", 5) == 0 && streq(source + 5, e->name))
                        return e;
                if (e->dm_name[0] && strncmp(source, "/dev/mapper/", 12) == 0 &&
                    streq(source + 12, e->dm_name))
                        return e;
        }
        return st->n > 0 && source_is_on(source, st->e[0].name) ? &st->e[0] : NULL;
}

/* Mount tables escape " \t\n\\" as \ooo. */
static void unescape_octal(char *s)
{
        char *w = s;

        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *w++ = (char) ((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
                        s += 3;
                } else
                        *w++ = *s;
        }
        *w = '\0';
}

struct found_mounts {
        char **targets;         /* "/", "[SWAP]" */
        char **via;             /* per target: the chain, "" for the disk's own */
        size_t n;
};

static int found_add(struct found_mounts *f, const char *target, const struct stacked *e)
{
        size_t n = f->n;
        int r;

        r = strv_append(&f->targets, &n, target);
        if (r < 0)
                return r;
        n = f->n;
        r = strv_append(&f->via, &n, e->chain ? e->chain : "");
        if (r < 0)
                return r;
        f->n = n;
        return 0;
}

/* One mount table line: the source, the target and, where the table has it, MAJ:MIN (else 0:0).
 * False for a line that is not one. */
typedef bool (*mount_line_parse)(const char *line, char source[static 256], char target[static 1024],
                                 unsigned *major, unsigned *minor);

/* proc/self/mountinfo: "ID PARENT MAJ:MIN ROOT TARGET OPTS [OPT...] - FSTYPE SOURCE ...". */
static bool parse_mountinfo_line(const char *line, char source[static 256], char target[static 1024],
                                 unsigned *major, unsigned *minor)
{
        const char *sep = strstr(line, " - ");

        return sep && sscanf(line, "%*u %*u %u:%u %*s %1023s", major, minor, target) == 3 &&
               sscanf(sep + 3, "%*s %255s", source) == 1;
}

/* proc/self/mounts, where there is no mountinfo (sources by name only). */
static bool parse_mounts_line(const char *line, char source[static 256], char target[static 1024],
                              unsigned *major, unsigned *minor)
{
        *major = *minor = 0;
        return sscanf(line, "%255s %1023s", source, target) == 2;
}

static int mounts_from_table(const char *text, mount_line_parse parse, const struct stack *st,
                             struct found_mounts *f)
{
        _cleanup_free_ char *copy = strdup(text);
        char *save = NULL;
        int r;

        if (!copy)
                return -ENOMEM;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char source[256], target[1024];
                unsigned major, minor;
                const struct stacked *e;

                if (!parse(line, source, target, &major, &minor))
                        continue;
                unescape_octal(target);
                e = stack_match(st, source, major, minor);
                if (e && (r = found_add(f, target, e)) < 0)
                        return r;
        }
        return 0;
}

/* Active swap (proc/swaps) on the stack: "[SWAP]", as lsblk says. */
static int swaps_of(vfioctl_host *host, const struct stack *st, struct found_mounts *f)
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
                const struct stacked *e;

                if (sscanf(line, "%255s", source) != 1)
                        continue;
                unescape_octal(source);
                e = stack_match(st, source, 0, 0);
                if (e && (r = found_add(f, "[SWAP]", e)) < 0)
                        return r;
        }
        return 0;
}

static int mounts_of(vfioctl_device *dev, const struct stack *st, struct found_mounts *f)
{
        vfioctl_host *host = dev->host;
        _cleanup_free_ char *info = NULL;
        const char *mounts;
        int r;

        /* mountinfo gives MAJ:MIN, the one field that names the device for
         * sure ("/dev/root", a by-uuid path); mounts only has the names. */
        if (sysfs_read_text(host->ctx, host->ctx->root_fd, NULL, "proc/self/mountinfo", 1 << 20,
                            &info) >= 0)
                r = mounts_from_table(info, parse_mountinfo_line, st, f);
        else {
                ctx_clear_error(host->ctx);
                r = host_read_mounts(host, &mounts);
                if (r >= 0)
                        r = mounts_from_table(mounts, parse_mounts_line, st, f);
        }
        if (r < 0)
                return r;
        return swaps_of(host, st, f);
}

static int add_blockdev(vfioctl_device *dev, const char *path, const char *name)
{
        struct found_mounts f = {};
        struct stack st = {};
        struct vfioctl_blockdev *n;
        char ***via;
        int r;

        r = load_stack(dev, path, name, &st);
        if (r >= 0 && (f.targets = calloc(1, sizeof(char *))) && (f.via = calloc(1, sizeof(char *))))
                r = mounts_of(dev, &st, &f);
        else if (r >= 0)
                r = -ENOMEM;
        stack_clear(&st);
        if (r < 0)
                goto fail;
        n = realloc(dev->blockdevs, (dev->n_blockdevs + 1) * sizeof(*n));
        if (!n) {
                r = -ENOMEM;
                goto fail;
        }
        dev->blockdevs = n;
        via = realloc(dev->blockdev_via, (dev->n_blockdevs + 1) * sizeof(*via));
        if (!via) {
                r = -ENOMEM;
                goto fail;
        }
        dev->blockdev_via = via;
        n[dev->n_blockdevs].name = strdup(name);
        n[dev->n_blockdevs].mounts = (const char *const *) f.targets;
        via[dev->n_blockdevs] = f.via;
        dev->n_blockdevs++;
        return n[dev->n_blockdevs - 1].name ? 0 : -ENOMEM;
fail:
        strv_free(f.targets);
        strv_free(f.via);
        return r;
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
        char path[SYSFS_PATH_MAX], sub[SYSFS_PATH_MAX];
        size_t n;
        int r;

        r = list_subdir(dev, "block", &names, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                sysfs_device_attr(path, dev->name, sysfs_entry_attr(sub, "block", names[i]));
                r = add_blockdev(dev, path, names[i]);
                if (r < 0)
                        return r;
        }
        r = list_subdir(dev, "nvme", &ctrls, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_strv_free_ char **entries = NULL;
                char ctrl[SYSFS_PATH_MAX];
                size_t m;

                sysfs_entry_attr(ctrl, "nvme", ctrls[i]);
                r = list_subdir(dev, ctrl, &entries, &m);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < m; j++) {
                        if (!is_nvme_namespace(ctrls[i], entries[j]))
                                continue;
                        sysfs_device_attr(path, dev->name,
                                          sysfs_entry_attr(sub, ctrl, entries[j]));
                        r = add_blockdev(dev, path, entries[j]);
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
        if (sysfs_open_dir(ctx, SYSFS_CLASS_VTCONSOLE, &fd) < 0 ||
            sysfs_list_dir(ctx, fd, SYSFS_CLASS_VTCONSOLE, &cons, NULL) < 0) {
                ctx_clear_error(ctx);
                return false;
        }
        for (char **c = cons; *c && !bound; c++) {
                _cleanup_free_ char *name = NULL, *bind = NULL;
                char attr[SYSFS_PATH_MAX];

                if (sysfs_read_str(ctx, fd, SYSFS_CLASS_VTCONSOLE, sysfs_entry_attr(attr, *c, "name"),
                                   &name) < 0)
                        continue;
                if (sysfs_read_str(ctx, fd, SYSFS_CLASS_VTCONSOLE, sysfs_entry_attr(attr, *c, "bind"),
                                   &bind) < 0)
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
                for (size_t j = 0; bdevs[i].mounts && bdevs[i].mounts[j]; j++) {
                        const char *m = bdevs[i].mounts[j];
                        /* Through LVM, dm-crypt or md: the chain down to this disk. */
                        const char *via = dev->blockdev_via && dev->blockdev_via[i][j][0]
                                                  ? dev->blockdev_via[i][j]
                                                  : NULL;

                        if (streq(m, "[SWAP]") && via)
                                report_add(report, addr, VFIOCTL_ACTION_IN_USE, drv, NULL,
                                           "swap is on %s", via);
                        else if (streq(m, "[SWAP]"))
                                report_add(report, addr, VFIOCTL_ACTION_IN_USE, drv, NULL,
                                           "%s is in use as swap", bdevs[i].name);
                        else if (via)
                                report_add(report, addr, VFIOCTL_ACTION_IN_USE, drv, NULL,
                                           "%s is on %s", m, via);
                        else
                                report_add(report, addr, VFIOCTL_ACTION_IN_USE, drv, NULL,
                                           "%s is mounted on %s", bdevs[i].name, m);
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
