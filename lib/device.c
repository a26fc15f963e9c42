/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One PCI function. Identity comes from config space, not from the
 * separate vendor/device/class attributes: one read gives all of it plus
 * the header type and the multifunction bit, and keeps a listing of
 * thousands of functions within a few syscalls each. Everything `list`
 * does not show is read on first use.
 */
#include <errno.h>
#include <stdio.h>

#include "internal.h"

/* Config space offsets (PCI Local Bus spec; kernel-semantics.md §4). */
#define CFG_VENDOR 0x00
#define CFG_DEVICE 0x02
#define CFG_REVISION 0x08
#define CFG_CLASS 0x09
#define CFG_HEADER_TYPE 0x0e
#define CFG_SUBSYS_VENDOR 0x2c
#define CFG_SUBSYS_DEVICE 0x2e
/* Without CAP_SYS_ADMIN the kernel shows only the standard header. */
#define CFG_HEADER_SIZE 64

static uint16_t le16(const uint8_t *p)
{
        return (uint16_t) (p[0] | (p[1] << 8));
}

static void device_mark(vfioctl_device *dev, int error, const char *msg)
{
        /* Keep the first reason: it is usually the cause of the others. */
        if (dev->error)
                return;
        dev->error = error;
        dev->errmsg = strdup(msg);
}

/*
 * Rule 10: a VF's own config space reads 0xffff for vendor and device (the
 * SR-IOV spec says so, and real VFs do it); the kernel knows the ids from
 * the PF and shows them in sysfs `vendor`/`device`. Only a function without
 * a `physfn` link that reads all ones is gone or powered off.
 */
static int device_read_vf_ids(vfioctl_device *dev)
{
        vfioctl_ctx *ctx = dev->host->ctx;
        int fd = dev->host->devices_fd;
        char path[SYSFS_PATH_MAX];
        uint64_t v;
        int r;

        sysfs_device_attr(path, dev->name, "physfn");
        r = sysfs_exists(ctx, fd, path);
        if (r < 0)
                return r;
        if (r == 0)
                return ctx_error(ctx, -EBADMSG,
                                 "%s: config space reads all ones (device gone or powered off)",
                                 dev->name);
        sysfs_device_attr(path, dev->name, "vendor");
        r = sysfs_read_hex(ctx, fd, SYSFS_PCI_DEVICES, path, 0xffff, &v);
        if (r < 0)
                return r;
        dev->vendor_id = (uint16_t) v;
        sysfs_device_attr(path, dev->name, "device");
        r = sysfs_read_hex(ctx, fd, SYSFS_PCI_DEVICES, path, 0xffff, &v);
        if (r < 0)
                return r;
        dev->device_id = (uint16_t) v;
        return 0;
}

static int device_read_config(vfioctl_device *dev, const char *dirname)
{
        vfioctl_ctx *ctx = dev->host->ctx;
        uint8_t cfg[CFG_HEADER_SIZE];
        char attr[SYSFS_PATH_MAX];
        size_t len;
        int r;

        sysfs_device_attr(attr, dev->name, "config");
        r = sysfs_read_bin(ctx, dev->host->devices_fd, SYSFS_PCI_DEVICES, attr, cfg, sizeof(cfg),
                           &len);
        if (r < 0)
                return r;
        if (len < CFG_HEADER_SIZE) {
                char msg[160];
                snprintf(msg, sizeof(msg),
                         "config space is truncated (%zu bytes, the header needs %d)", len,
                         CFG_HEADER_SIZE);
                return ctx_error(ctx, -EBADMSG, "%s: %s", dev->name, msg);
        }
        dev->vendor_id = le16(cfg + CFG_VENDOR);
        dev->device_id = le16(cfg + CFG_DEVICE);
        if (dev->vendor_id == 0xffff) {
                r = device_read_vf_ids(dev);
                if (r < 0)
                        return r;
        }
        dev->revision = cfg[CFG_REVISION];
        dev->class = (uint32_t) cfg[CFG_CLASS] | (uint32_t) cfg[CFG_CLASS + 1] << 8 |
                     (uint32_t) cfg[CFG_CLASS + 2] << 16;
        dev->header_type = cfg[CFG_HEADER_TYPE] & 0x7f;
        dev->multifunction = cfg[CFG_HEADER_TYPE] & 0x80;
        if (dev->header_type == 0) {
                dev->subsys_vendor_id = le16(cfg + CFG_SUBSYS_VENDOR);
                dev->subsys_device_id = le16(cfg + CFG_SUBSYS_DEVICE);
        }
        return 0;
}

static int device_read_driver(vfioctl_device *dev)
{
        vfioctl_host *host = dev->host;
        char link[SYSFS_PATH_MAX];
        int r;

        sysfs_device_attr(link, dev->name, "driver");
        r = sysfs_read_link_name(host->ctx, host->devices_fd, SYSFS_PCI_DEVICES, link,
                                 &dev->driver);
        if (r == -ENOENT)
                return 0; /* unbound */
        if (r < 0)
                return r;
        r = host_driver_exists(host, dev->driver);
        if (r < 0)
                return r;
        if (r == 0)
                return ctx_error(host->ctx, -EBADMSG,
                                 "%s: driver link points to '%s', which is not a loaded driver",
                                 dev->name, dev->driver);
        return 0;
}

int group_number_parse(const char *name)
{
        unsigned long n;
        char *end;

        errno = 0;
        n = strtoul(name, &end, 10);
        if (errno || *end || !*name || name[0] == '-' || n > INT32_MAX)
                return -EBADMSG;
        return (int) n;
}

static int device_read_group(vfioctl_device *dev)
{
        vfioctl_ctx *ctx = dev->host->ctx;
        _cleanup_free_ char *name = NULL;
        char link[SYSFS_PATH_MAX];
        int r;

        sysfs_device_attr(link, dev->name, "iommu_group");
        r = sysfs_read_link_name(ctx, dev->host->devices_fd, SYSFS_PCI_DEVICES, link, &name);
        if (r == -ENOENT) {
                dev->group = -1;
                return 0;
        }
        if (r < 0)
                return r;
        r = group_number_parse(name);
        if (r < 0)
                return ctx_error(ctx, r, "%s: iommu_group link points to '%s', not a group",
                                 dev->name, name);
        dev->group = r;
        return 0;
}

static vfioctl_device *device_free(vfioctl_device *dev);

int device_new(vfioctl_host *host, const struct vfioctl_pci_addr *addr, int group,
               vfioctl_device **ret)
{
        vfioctl_device *dev;
        int r;

        dev = calloc(1, sizeof(*dev));
        if (!dev)
                return -ENOMEM;
        dev->n_ref = 1;
        dev->host = host;
        dev->addr = *addr;
        dev->group = group;
        vfioctl_pci_addr_format(addr, dev->name);

        /* A damaged entry does not fail the listing: the device is marked
         * with the reason and shown as such, and is never viable. */
        r = device_read_config(dev, SYSFS_PCI_DEVICES);
        if (r == -ENOMEM)
                goto fail;
        if (r < 0)
                device_mark(dev, r, vfioctl_ctx_errmsg(host->ctx));
        r = device_read_driver(dev);
        if (r == -ENOMEM)
                goto fail;
        if (r < 0)
                device_mark(dev, r, vfioctl_ctx_errmsg(host->ctx));
        if (group == -2) {
                r = device_read_group(dev);
                if (r == -ENOMEM)
                        goto fail;
                if (r < 0) {
                        dev->group = -1;
                        device_mark(dev, r, vfioctl_ctx_errmsg(host->ctx));
                }
        }
        if (dev->error)
                ctx_clear_error(host->ctx);
        *ret = dev;
        return 0;
fail:
        device_free(dev);
        return r;
}

static vfioctl_device *device_free(vfioctl_device *dev)
{
        if (!dev)
                return NULL;
        usage_free(dev);
        free(dev->errmsg);
        free(dev->driver);
        free(dev->vendor_name);
        free(dev->device_name);
        free(dev->driver_override);
        free(dev->virtfns);
        free(dev->reset_methods);
        free(dev);
        return NULL;
}

vfioctl_device *device_ref(vfioctl_device *dev)
{
        if (dev)
                dev->n_ref++;
        return dev;
}

vfioctl_device *device_unref(vfioctl_device *dev)
{
        if (dev && --dev->n_ref == 0)
                device_free(dev);
        return NULL;
}

VFIOCTL_EXPORT vfioctl_device *vfioctl_device_ref(vfioctl_device *dev)
{
        if (!dev)
                return NULL;
        vfioctl_host_ref(dev->host);
        return device_ref(dev);
}

VFIOCTL_EXPORT vfioctl_device *vfioctl_device_unref(vfioctl_device *dev)
{
        vfioctl_host *host;

        if (!dev)
                return NULL;
        /* The device first: the host's last reference may free the cache,
         * which drops the cache's reference to it. */
        host = dev->host;
        device_unref(dev);
        vfioctl_host_unref(host);
        return NULL;
}

VFIOCTL_EXPORT const struct vfioctl_pci_addr *vfioctl_device_get_addr(vfioctl_device *dev)
{
        assert_return(dev, NULL);
        return &dev->addr;
}

VFIOCTL_EXPORT const char *vfioctl_device_get_address(vfioctl_device *dev)
{
        assert_return(dev, NULL);
        return dev->name;
}

VFIOCTL_EXPORT int vfioctl_device_get_error(vfioctl_device *dev, const char **ret_msg)
{
        assert_return(dev, -EINVAL);
        if (ret_msg)
                *ret_msg = dev->errmsg;
        return dev->error;
}

VFIOCTL_EXPORT uint16_t vfioctl_device_get_vendor_id(vfioctl_device *dev)
{
        assert_return(dev, 0);
        return dev->vendor_id;
}

VFIOCTL_EXPORT uint16_t vfioctl_device_get_device_id(vfioctl_device *dev)
{
        assert_return(dev, 0);
        return dev->device_id;
}

VFIOCTL_EXPORT uint16_t vfioctl_device_get_subsys_vendor_id(vfioctl_device *dev)
{
        assert_return(dev, 0);
        return dev->subsys_vendor_id;
}

VFIOCTL_EXPORT uint16_t vfioctl_device_get_subsys_device_id(vfioctl_device *dev)
{
        assert_return(dev, 0);
        return dev->subsys_device_id;
}

VFIOCTL_EXPORT uint32_t vfioctl_device_get_class(vfioctl_device *dev)
{
        assert_return(dev, 0);
        return dev->class;
}

VFIOCTL_EXPORT uint8_t vfioctl_device_get_revision(vfioctl_device *dev)
{
        assert_return(dev, 0);
        return dev->revision;
}

VFIOCTL_EXPORT uint8_t vfioctl_device_get_header_type(vfioctl_device *dev)
{
        assert_return(dev, 0);
        return dev->header_type;
}

VFIOCTL_EXPORT bool vfioctl_device_is_multifunction(vfioctl_device *dev)
{
        struct vfioctl_pci_addr f0;
        vfioctl_device *first;

        assert_return(dev, false);
        /* Only function 0 has to carry the multifunction bit: the kernel
         * looks for functions 1-7 only when it does, and QEMU sets it on
         * function 0 alone. Another function belongs to a multifunction
         * device when its function 0 says so. */
        if (dev->multifunction || dev->addr.function == 0)
                return dev->multifunction;
        f0 = dev->addr;
        f0.function = 0;
        if (host_find_device(dev->host, &f0, &first) < 0)
                return false;
        return first->multifunction;
}

VFIOCTL_EXPORT bool vfioctl_device_is_bridge(vfioctl_device *dev)
{
        assert_return(dev, false);
        return !dev->error && dev->header_type != 0;
}

VFIOCTL_EXPORT bool vfioctl_device_is_plumbing(vfioctl_device *dev)
{
        unsigned base;

        assert_return(dev, false);
        if (dev->error)
                return false;
        base = dev->class >> 16;
        /* Bridges of every kind, system peripherals (IOMMUs, root complex
         * event collectors, timers) and processors: nothing a guest takes.
         * But an "other bridge" (0x0680) with a type 0 header is an endpoint
         * that only calls itself a bridge, and guests do take it: NVIDIA's
         * NVSwitches go to the guest with their GPUs (HGX). */
        if ((dev->class >> 8) == 0x0680 && !vfioctl_device_is_bridge(dev))
                return false;
        return vfioctl_device_is_bridge(dev) || base == 0x06 || base == 0x08 || base == 0x0b;
}

struct class_word {
        uint32_t value, mask;
        const char *word;
};

/* Most specific first; matched against the 24-bit class code. */
static const struct class_word class_words[] = {
        { 0x010800, 0xffff00, "NVMe" },
        { 0x010600, 0xffff00, "SATA" },
        { 0x010700, 0xffff00, "SAS" },
        { 0x010400, 0xffff00, "RAID" },
        { 0x010000, 0xff0000, "storage" },
        { 0x020000, 0xffff00, "NIC" },
        { 0x028000, 0xffff00, "wireless" },
        { 0x020000, 0xff0000, "network" },
        { 0x030000, 0xff0000, "GPU" },
        { 0x040100, 0xffff00, "audio" },
        { 0x040300, 0xffff00, "audio" },
        { 0x040000, 0xff0000, "multimedia" },
        { 0x050000, 0xff0000, "memory" },
        { 0x060000, 0xffff00, "host bridge" },
        { 0x060100, 0xffff00, "ISA bridge" },
        { 0x060400, 0xffff00, "PCI bridge" },
        { 0x060000, 0xff0000, "bridge" },
        { 0x070000, 0xff0000, "serial" },
        { 0x080000, 0xff0000, "system" },
        { 0x0c0300, 0xffff00, "USB" },
        { 0x0c0500, 0xffff00, "SMBus" },
        { 0x0c0000, 0xff0000, "serial bus" },
        { 0x0d0000, 0xff0000, "wireless" },
        { 0x110000, 0xff0000, "signal processing" },
        { 0x120000, 0xff0000, "accelerator" },
};

VFIOCTL_EXPORT const char *vfioctl_device_get_class_word(vfioctl_device *dev)
{
        assert_return(dev, NULL);
        if (dev->error)
                return "unknown";
        for (size_t i = 0; i < ELEMENTSOF(class_words); i++)
                if ((dev->class & class_words[i].mask) == class_words[i].value)
                        return class_words[i].word;
        return "other";
}

static void device_load_names(vfioctl_device *dev)
{
        char buf[256];
        const char *s;

        if (dev->names_loaded || dev->error)
                return;
        dev->names_loaded = true;
        s = names_vendor(dev->host->ctx, dev->vendor_id, buf, sizeof(buf));
        dev->vendor_name = s ? strdup(s) : NULL;
        s = names_device(dev->host->ctx, dev->vendor_id, dev->device_id, buf, sizeof(buf));
        dev->device_name = s ? strdup(s) : NULL;
}

VFIOCTL_EXPORT const char *vfioctl_device_get_vendor_name(vfioctl_device *dev)
{
        assert_return(dev, NULL);
        device_load_names(dev);
        return dev->vendor_name;
}

VFIOCTL_EXPORT const char *vfioctl_device_get_device_name(vfioctl_device *dev)
{
        assert_return(dev, NULL);
        device_load_names(dev);
        return dev->device_name;
}

VFIOCTL_EXPORT const char *vfioctl_device_get_driver(vfioctl_device *dev)
{
        assert_return(dev, NULL);
        return dev->driver;
}

VFIOCTL_EXPORT int vfioctl_device_get_group_number(vfioctl_device *dev)
{
        assert_return(dev, -1);
        return dev->group;
}

VFIOCTL_EXPORT bool vfioctl_device_is_on_vfio(vfioctl_device *dev)
{
        assert_return(dev, false);
        return driver_stub_kind(dev->host, dev->driver, dev) == DRIVER_STUB_VFIO;
}

VFIOCTL_EXPORT bool vfioctl_device_is_on_stub(vfioctl_device *dev)
{
        enum driver_stub k;

        assert_return(dev, false);
        k = driver_stub_kind(dev->host, dev->driver, dev);
        return k == DRIVER_STUB_VFIO || k == DRIVER_STUB_HOLD;
}

VFIOCTL_EXPORT bool vfioctl_device_is_viable_member(vfioctl_device *dev)
{
        assert_return(dev, false);
        if (dev->error)
                return false;
        if (!dev->driver)
                return true;
        /* pci-stub and pcieport are driver_managed_dma: they leave DMA
         * ownership to VFIO (kernel-semantics.md §3). xen-pciback is not. */
        return streq(dev->driver, "pci-stub") || streq(dev->driver, "pcieport") ||
               vfioctl_device_is_on_vfio(dev);
}

/* ------------------------------------------------------------------ */
/* Details, read on first use                                         */

/*
 * The details are read relative to the device's own folder: through
 * devices/ADDRESS every read would walk the link to the device again.
 */
struct devdir {
        int fd;
        char name[SYSFS_PATH_MAX]; /* for messages */
};

static int read_optional_uint(vfioctl_device *dev, const struct devdir *d, const char *attr,
                              uint64_t max, uint64_t *ret)
{
        int r;

        r = sysfs_exists(dev->host->ctx, d->fd, attr);
        if (r <= 0) {
                *ret = 0;
                return r;
        }
        r = sysfs_read_hex(dev->host->ctx, d->fd, d->name, attr, max, ret);
        return r < 0 ? r : 1;
}

static int read_link_addr(vfioctl_device *dev, const struct devdir *d, const char *link,
                          struct vfioctl_pci_addr *ret)
{
        vfioctl_ctx *ctx = dev->host->ctx;
        _cleanup_free_ char *name = NULL;
        int r;

        r = sysfs_read_link_name(ctx, d->fd, d->name, link, &name);
        if (r < 0)
                return r;
        if (vfioctl_pci_addr_parse(name, ret) < 0)
                return ctx_error(ctx, -EBADMSG, "%s: %s points to '%s', not a PCI device",
                                 dev->name, link, name);
        return 0;
}

int virtfn_cmp(const void *a, const void *b)
{
        /* "virtfn10" after "virtfn9": compare the index, not the text. */
        unsigned long x = strtoul(*(char *const *) a + 6, NULL, 10);
        unsigned long y = strtoul(*(char *const *) b + 6, NULL, 10);
        return x < y ? -1 : x > y;
}

static int device_load_sriov(vfioctl_device *dev, const struct devdir *d)
{
        vfioctl_ctx *ctx = dev->host->ctx;
        _cleanup_strv_free_ char **entries = NULL;
        _cleanup_free_ char **vfs = NULL;
        size_t n, n_vfs = 0;
        uint64_t v;
        int r;

        r = read_link_addr(dev, d, "physfn", &dev->physfn);
        if (r == 0)
                dev->is_vf = true;
        else if (r != -ENOENT)
                return r;

        r = read_optional_uint(dev, d, "sriov_totalvfs", 0xffff, &v);
        if (r < 0)
                return r;
        dev->sriov_total = (unsigned) v;

        /* Only a function that can have VFs has virtfnN links to list. */
        if (r == 0)
                return 0;
        r = sysfs_list_dir(ctx, d->fd, dev->name, &entries, &n);
        if (r < 0)
                return r;
        vfs = calloc(n + 1, sizeof(char *));
        if (!vfs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (strncmp(entries[i], "virtfn", 6) == 0 && entries[i][6])
                        vfs[n_vfs++] = entries[i];
        qsort_safe(vfs, n_vfs, sizeof(char *), virtfn_cmp);
        dev->virtfns = calloc(n_vfs ? n_vfs : 1, sizeof(struct vfioctl_pci_addr));
        if (!dev->virtfns)
                return -ENOMEM;
        for (size_t i = 0; i < n_vfs; i++) {
                r = read_link_addr(dev, d, vfs[i], &dev->virtfns[i]);
                if (r < 0)
                        return r;
        }
        dev->n_virtfns = n_vfs;
        /* Rule 10: the VFs enabled are the virtfnN links. sriov_numvfs
         * would say the same, but reading it takes the PF's device lock
         * and hangs for as long as an unbind of the PF is blocked. */
        dev->sriov_num = (unsigned) n_vfs;
        return 0;
}

static int device_load_override(vfioctl_device *dev, const struct devdir *d)
{
        _cleanup_(sysfs_fetch_done) struct sysfs_fetch f;

        sysfs_fetch_text(d->fd, "driver_override", SYSFS_ATTR_MAX, &f);
        if (f.error == -ENOENT)
                return 0; /* before 3.16 */
        return sysfs_fetched_override(dev->host->ctx, d->name, "driver_override", &f,
                                      &dev->driver_override);
}

static int device_load_numa_node(vfioctl_device *dev, const struct devdir *d)
{
        int64_t node;
        int r;

        dev->numa_node = -1;
        if (sysfs_exists(dev->host->ctx, d->fd, "numa_node") <= 0)
                return 0;
        r = sysfs_read_int(dev->host->ctx, d->fd, d->name, "numa_node", -1, 4095, &node);
        if (r < 0)
                return r;
        dev->numa_node = (int) node;
        return 0;
}

int device_load_details(vfioctl_device *dev)
{
        vfioctl_ctx *ctx = dev->host->ctx;
        _cleanup_close_ int dirfd = -EBADF;
        struct devdir d;
        uint64_t v;
        int r;

        if (dev->details_loaded)
                return dev->details_error;
        dev->details_loaded = true;

        r = sysfs_open_subdir(ctx, dev->host->devices_fd, dev->name, &dirfd);
        if (r < 0)
                return dev->details_error = ctx_error(ctx, r, "%s: device is gone", dev->name);
        d.fd = dirfd;
        sysfs_device_path(d.name, dev->name, NULL);

        r = device_load_override(dev, &d);
        if (r >= 0)
                r = device_load_numa_node(dev, &d);
        if (r >= 0)
                r = read_optional_uint(dev, &d, "boot_vga", 1, &v);
        if (r < 0)
                return dev->details_error = r;
        dev->boot_vga = v == 1;

        r = device_load_sriov(dev, &d);
        if (r < 0)
                return dev->details_error = r;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_device_get_driver_override(vfioctl_device *dev, const char **ret)
{
        int r;

        assert_return(dev && ret, -EINVAL);
        r = device_load_details(dev);
        if (r < 0)
                return r;
        *ret = dev->driver_override;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_device_get_numa_node(vfioctl_device *dev, int *ret)
{
        int r;

        assert_return(dev && ret, -EINVAL);
        r = device_load_details(dev);
        if (r < 0)
                return r;
        *ret = dev->numa_node;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_device_get_boot_vga(vfioctl_device *dev, bool *ret)
{
        int r;

        assert_return(dev && ret, -EINVAL);
        r = device_load_details(dev);
        if (r < 0)
                return r;
        *ret = dev->boot_vga;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_device_get_sriov(vfioctl_device *dev, unsigned *ret_total,
                                            unsigned *ret_num)
{
        int r;

        assert_return(dev, -EINVAL);
        r = device_load_details(dev);
        if (r < 0)
                return r;
        if (ret_total)
                *ret_total = dev->sriov_total;
        if (ret_num)
                *ret_num = dev->sriov_num;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_device_get_physfn(vfioctl_device *dev, struct vfioctl_pci_addr *ret,
                                             bool *ret_is_vf)
{
        int r;

        assert_return(dev && ret_is_vf, -EINVAL);
        r = device_load_details(dev);
        if (r < 0)
                return r;
        if (ret && dev->is_vf)
                *ret = dev->physfn;
        *ret_is_vf = dev->is_vf;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_device_get_virtfns(vfioctl_device *dev,
                                              const struct vfioctl_pci_addr **ret, size_t *ret_n)
{
        int r;

        assert_return(dev && ret && ret_n, -EINVAL);
        r = device_load_details(dev);
        if (r < 0)
                return r;
        *ret = dev->virtfns;
        *ret_n = dev->n_virtfns;
        return 0;
}

/*
 * Whether the PCIe capability's Device Capabilities register advertises
 * Function Level Reset (bit 28). The capability list is walked with a
 * bound, so a looping or garbled list ends the walk instead of the program.
 */
#define CFG_STATUS 0x06
#define CFG_STATUS_CAP_LIST 0x10
#define CFG_CAP_PTR 0x34
#define CAP_ID_EXP 0x10
#define EXP_DEVCAP 0x04
#define EXP_DEVCAP_FLR (1u << 28)

static bool config_has_flr(const uint8_t *cfg, size_t len)
{
        unsigned pos;

        if (len < CFG_HEADER_SIZE || !(le16(cfg + CFG_STATUS) & CFG_STATUS_CAP_LIST))
                return false;
        pos = cfg[CFG_CAP_PTR] & ~3u;
        for (int i = 0; i < 48 && pos >= CFG_HEADER_SIZE && pos + 8 <= len; i++) {
                if (cfg[pos] == CAP_ID_EXP) {
                        uint32_t devcap = (uint32_t) le16(cfg + pos + EXP_DEVCAP) |
                                          (uint32_t) le16(cfg + pos + EXP_DEVCAP + 2) << 16;
                        return devcap & EXP_DEVCAP_FLR;
                }
                pos = cfg[pos + 1] & ~3u;
        }
        return false;
}

static int device_load_reset(vfioctl_device *dev)
{
        vfioctl_ctx *ctx = dev->host->ctx;
        char path[SYSFS_PATH_MAX];
        uint8_t cfg[256];
        size_t len = 0;
        int r;

        if (dev->reset_loaded)
                return dev->reset_error;
        dev->reset_loaded = true;

        /* The kernel hides reset_method when it knows no method (and before 5.15). */
        sysfs_device_attr(path, dev->name, "reset_method");
        if (sysfs_exists(ctx, dev->host->devices_fd, path) > 0) {
                r = sysfs_read_str(ctx, dev->host->devices_fd, SYSFS_PCI_DEVICES, path,
                                   &dev->reset_methods);
                if (r < 0)
                        return dev->reset_error = r;
        }
        sysfs_device_attr(path, dev->name, "config");
        r = sysfs_read_bin(ctx, dev->host->devices_fd, SYSFS_PCI_DEVICES, path, cfg, sizeof(cfg),
                           &len);
        if (r < 0)
                return dev->reset_error = r;
        dev->flr = config_has_flr(cfg, len);
        return 0;
}

VFIOCTL_EXPORT int vfioctl_device_get_reset(vfioctl_device *dev, const char **ret_methods,
                                            bool *ret_flr)
{
        int r;

        assert_return(dev && ret_methods && ret_flr, -EINVAL);
        r = device_load_reset(dev);
        if (r < 0)
                return r;
        *ret_methods = dev->reset_methods;
        *ret_flr = dev->flr;
        return 0;
}
