/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The folder tree under MOUNTDIR, modelled on sysfs. Nothing is stored: a
 * path is resolved against the model on every call, by walking each
 * folder's children (the same code lists a folder and looks a name up), so
 * the tree can never disagree with the model.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim.h"

enum dir_kind {
        D_ROOT,
        D_SYS,
        D_SYS_CLASS,
        D_CLASS_NET,
        D_CLASS_VTCONSOLE,
        D_VTCON,
        D_SYS_DEVICES,
        D_PCI_ROOT,
        D_DEVICE,
        D_NET,
        D_NET_IF,
        D_BLOCK,
        D_DISK,
        D_PART,
        D_NVME,
        D_NVME_CTRL,
        D_BLOCK_HOLDERS,                /* holders/ of a disk (sub -1) or partition */
        D_EMPTY,                        /* a folder with nothing in it (a disk's slaves/) */
        D_SYS_BLOCK,
        D_VIRTUAL,
        D_VIRTUAL_BLOCK,
        D_VBLOCK,
        D_VBLOCK_DM,
        D_VBLOCK_MD,
        D_VBLOCK_SLAVES,
        D_VBLOCK_HOLDERS,
        D_VFIO_DEV,
        D_VFIO_DEV_X,
        D_BUS,
        D_BUS_PCI,
        D_BUS_DEVICES,
        D_BUS_DRIVERS,
        D_DRIVER,
        D_KERNEL,
        D_GROUPS,
        D_GROUP,
        D_GROUP_DEVICES,
        D_DEV,
        D_DEV_VFIO,
        D_DEV_VFIO_DEVICES,
        D_PROC,
        D_PROC_SELF,
        D_PROC_NET,
        D_PROC_SYS,
        D_PROC_SYS_KERNEL,
        D_LIB,
        D_LIB_MODULES,
        D_LIB_MODULES_RELEASE,
        D_SIM,
};

typedef void (*show_fn)(const struct node *n, FILE *f);
typedef int (*store_fn)(const struct node *n, const char *buf, size_t len);

struct attr {
        const char *name;
        mode_t mode;
        show_fn show;
        store_fn store;
        bool (*visible)(const struct sim_device *d);
        bool control;                   /* .sim/: not logged, not counted */
        bool device_lock;               /* show takes device_lock() */
};

/* ---- showing attributes ---- */

static void show_vendor(const struct node *n, FILE *f) { fprintf(f, "0x%04x\n", n->dev->vendor); }
static void show_device(const struct node *n, FILE *f) { fprintf(f, "0x%04x\n", n->dev->device); }
static void show_subvendor(const struct node *n, FILE *f) { fprintf(f, "0x%04x\n", n->dev->subsystem_vendor); }
static void show_subdevice(const struct node *n, FILE *f) { fprintf(f, "0x%04x\n", n->dev->subsystem_device); }
static void show_class(const struct node *n, FILE *f) { fprintf(f, "0x%06x\n", n->dev->class); }
static void show_revision(const struct node *n, FILE *f) { fprintf(f, "0x%02x\n", n->dev->revision); }
static void show_numa(const struct node *n, FILE *f) { fprintf(f, "%d\n", n->dev->numa_node); }
static void show_boot_vga(const struct node *n, FILE *f) { fprintf(f, "%d\n", n->dev->boot_vga); }
static void show_enable(const struct node *n, FILE *f) { fprintf(f, "%d\n", n->dev->enabled); }
static void show_totalvfs(const struct node *n, FILE *f) { fprintf(f, "%u\n", n->dev->totalvfs); }
static void show_numvfs(const struct node *n, FILE *f) { fprintf(f, "%u\n", n->dev->numvfs); }
static void show_vf_offset(const struct node *n, FILE *f) { fprintf(f, "%u\n", n->dev->vf_offset); }
static void show_vf_stride(const struct node *n, FILE *f) { fprintf(f, "%u\n", n->dev->vf_stride); }
static void show_vf_device(const struct node *n, FILE *f) { fprintf(f, "%x\n", n->dev->vf_device); }
static void show_autoprobe(const struct node *n, FILE *f) { fprintf(f, "%d\n", n->dev->sriov_drivers_autoprobe); }

/* sysfs_emit("%s\n", NULL) prints "(null)". */
static void show_override(const struct node *n, FILE *f)
{
        fprintf(f, "%s\n", n->dev->driver_override ?: "(null)");
}

static void show_modalias(const struct node *n, FILE *f)
{
        const struct sim_device *d = n->dev;

        fprintf(f, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", d->vendor, d->device,
                d->subsystem_vendor, d->subsystem_device, d->class >> 16, (d->class >> 8) & 0xff,
                d->class & 0xff);
}

static void show_uevent(const struct node *n, FILE *f)
{
        const struct sim_device *d = n->dev;

        if (d->driver)
                fprintf(f, "DRIVER=%s\n", d->driver->name);
        fprintf(f, "PCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\nMODALIAS=",
                d->class, d->vendor, d->device, d->subsystem_vendor, d->subsystem_device, d->address);
        show_modalias(n, f);
}

static void put16(uint8_t *c, size_t off, uint16_t v)
{
        c[off] = v & 0xff;
        c[off + 1] = v >> 8;
}

/* Config space: the header agrees with the files; PCIe gets its capability. */
static void show_config(const struct node *n, FILE *f)
{
        const struct sim_device *d = n->dev;
        uint8_t c[256] = {};

        /* A VF's vendor and device read 0xffff (SR-IOV spec 3.4.1.1/2); sysfs
         * vendor/device show the ids the kernel took from the PF. */
        put16(c, 0x00, device_is_vf(d) ? 0xffff : d->vendor);
        put16(c, 0x02, device_is_vf(d) ? 0xffff : d->device);
        put16(c, 0x04, d->enabled ? 0x0406 : 0x0000);
        put16(c, 0x06, d->pcie ? 0x0010 : 0x0000);
        c[0x08] = d->revision;
        c[0x09] = d->class & 0xff;
        c[0x0a] = (d->class >> 8) & 0xff;
        c[0x0b] = d->class >> 16;
        c[0x0e] = d->header_type | (d->multifunction ? 0x80 : 0);
        if (d->header_type == 0) {
                put16(c, 0x2c, d->subsystem_vendor);
                put16(c, 0x2e, d->subsystem_device);
        } else if (d->header_type == 1) {
                c[0x18] = d->bus;
                c[0x19] = d->secondary_bus;
                c[0x1a] = d->subordinate_bus;
        }
        if (d->pcie) {
                c[0x34] = 0x40;
                c[0x40] = 0x10;                         /* PCI Express */
                c[0x41] = 0x00;                         /* last capability */
                put16(c, 0x42, 0x0002 | d->pcie_type << 4);
                if (d->pcie_type == 0 &&                /* DevCap: FLR */
                    (!d->reset_method || strstr(d->reset_method, "flr")))
                        c[0x47] = 0x10;
        }
        fwrite(c, 1, d->pcie ? 256 : 64, f);
}

static void show_net_operstate(const struct node *n, FILE *f)
{
        fprintf(f, "%s\n", n->dev->net[n->idx].operstate);
}

static void show_net_address(const struct node *n, FILE *f)
{
        fprintf(f, "%s\n", n->dev->net[n->idx].mac);
}

static void show_disk_dev(const struct node *n, FILE *f)
{
        unsigned major, minor;

        block_disk_dev(n->dev, n->idx, &major, &minor);
        fprintf(f, "%u:%u\n", major, minor);
}

static void show_disk_size(const struct node *n, FILE *f)
{
        fputs("1000215216\n", f);
}

static void show_part_dev(const struct node *n, FILE *f)
{
        unsigned major, minor;

        block_disk_dev(n->dev, n->idx, &major, &minor);
        fprintf(f, "%u:%u\n", major, minor + n->sub + 1);
}

static void show_vblock_dev(const struct node *n, FILE *f)
{
        unsigned major, minor;

        vblock_dev(&sim.vblocks[n->idx], &major, &minor);
        fprintf(f, "%u:%u\n", major, minor);
}

static void show_dm_name(const struct node *n, FILE *f)
{
        fprintf(f, "%s\n", sim.vblocks[n->idx].dm_name);
}

/* LVM's form, LVM-<vg uuid><lv uuid>; made up, stable per device. */
static void show_dm_uuid(const struct node *n, FILE *f)
{
        fprintf(f, "LVM-pcisim%022d\n", n->idx);
}

static void show_md_level(const struct node *n, FILE *f)
{
        fputs("raid1\n", f);
}

static void show_partition(const struct node *n, FILE *f)
{
        fprintf(f, "%d\n", n->sub + 1);
}

static void show_vfio_dev(const struct node *n, FILE *f)
{
        fprintf(f, "511:%d\n", n->dev->vfio_index);
}

static void show_drivers_autoprobe(const struct node *n, FILE *f)
{
        fprintf(f, "%d\n", sim.drivers_autoprobe);
}

static void show_group_type(const struct node *n, FILE *f)
{
        fputs("DMA-FQ\n", f);
}

static void show_reserved_regions(const struct node *n, FILE *f)
{
        fputs("0x00000000fee00000 0x00000000feefffff msi\n", f);
}

static void show_empty(const struct node *n, FILE *f)
{
}

static void show_log(const struct node *n, FILE *f)
{
        if (sim.log)
                fwrite(sim.log, 1, sim.log_len, f);
}

static void show_string(FILE *f, char *s)
{
        fputs(s, f);
        free(s);
}

static void show_faults(const struct node *n, FILE *f) { show_string(f, faults_show()); }
static void show_release(const struct node *n, FILE *f) { show_string(f, release_show()); }
static void show_crash_after(const struct node *n, FILE *f) { fprintf(f, "%ld\n", sim.crash_after); }
static void show_pid(const struct node *n, FILE *f) { fprintf(f, "%d\n", (int) getpid()); }
static void show_mounts(const struct node *n, FILE *f) { show_string(f, proc_mounts()); }
static void show_mountinfo(const struct node *n, FILE *f) { show_string(f, proc_mountinfo()); }
static void show_route(const struct node *n, FILE *f) { show_string(f, proc_net_route()); }
static void show_route6(const struct node *n, FILE *f) { show_string(f, proc_net_ipv6_route()); }
static void show_swaps(const struct node *n, FILE *f) { show_string(f, proc_swaps()); }
static void show_osrelease(const struct node *n, FILE *f) { fprintf(f, "%s\n", proc_osrelease); }
static void show_modules_alias(const struct node *n, FILE *f) { show_string(f, modules_alias()); }

/* ---- storing attributes ---- */

static int st_override(const struct node *n, const char *b, size_t l) { return store_driver_override(n->dev, b, l); }
static int st_remove(const struct node *n, const char *b, size_t l) { return store_remove(n->dev, b, l); }
static int st_dev_rescan(const struct node *n, const char *b, size_t l) { return store_dev_rescan(n->dev, b, l); }
static int st_reset(const struct node *n, const char *b, size_t l) { return store_reset(n->dev, b, l); }
static int st_enable(const struct node *n, const char *b, size_t l) { return store_enable(n->dev, b, l); }
static int st_numvfs(const struct node *n, const char *b, size_t l) { return store_sriov_numvfs(n->dev, b, l); }
static int st_autoprobe(const struct node *n, const char *b, size_t l) { return store_sriov_autoprobe(n->dev, b, l); }
static int st_bind(const struct node *n, const char *b, size_t l) { return store_bind(n->drv, b, l); }
static int st_unbind(const struct node *n, const char *b, size_t l) { return store_unbind(n->drv, b, l); }
static int st_new_id(const struct node *n, const char *b, size_t l) { return store_new_id(n->drv, b, l); }
static int st_remove_id(const struct node *n, const char *b, size_t l) { return store_remove_id(n->drv, b, l); }
static int st_drivers_probe(const struct node *n, const char *b, size_t l) { return store_drivers_probe(b, l); }
static int st_drivers_autoprobe(const struct node *n, const char *b, size_t l) { return store_drivers_autoprobe(b, l); }
static int st_bus_rescan(const struct node *n, const char *b, size_t l) { return store_bus_rescan(b, l); }
static int st_faults(const struct node *n, const char *b, size_t l) { return faults_store(b, l); }
static int st_release(const struct node *n, const char *b, size_t l) { return release_store(b, l); }
static int st_crash_after(const struct node *n, const char *b, size_t l) { return crash_after_store(b, l); }
static int st_nothing(const struct node *n, const char *b, size_t l) { return 0; }

/* .sim/log is cleared by truncation (": > .sim/log"); writes are refused. */
static int st_log(const struct node *n, const char *b, size_t l) { return -EINVAL; }

/* ---- attribute tables ---- */

static bool is_vga(const struct sim_device *d) { return (d->class >> 16) == 0x03; }

/*
 * The kernel's reset_method (5.15+) unless the topology says: FLR for
 * PCIe endpoints (the capability advertises it) and VFs, a bus reset for
 * a device alone on a bus that is not a root bus (pci_parent_bus_reset()
 * refuses when the bus has other devices). Empty: the file is absent.
 */
static void reset_methods(const struct sim_device *d, char *buf, size_t size)
{
        bool alone = d->bus != 0;

        if (d->reset_method) {
                snprintf(buf, size, "%s", d->reset_method);
                return;
        }
        for (size_t i = 0; i < sim.n_devices && alone; i++) {
                const struct sim_device *o = sim.devices[i];
                if (o != d && o->present && o->domain == d->domain && o->bus == d->bus)
                        alone = false;
        }
        snprintf(buf, size, "%s", device_is_vf(d) || (d->pcie && d->pcie_type == 0 &&
                                                       d->header_type == 0) ? "flr" : "");
        if (alone)
                snprintf(buf + strlen(buf), size - strlen(buf), "%sbus", buf[0] ? " " : "");
}

static bool has_reset(const struct sim_device *d)
{
        char buf[128];

        reset_methods(d, buf, sizeof(buf));
        return buf[0] != '\0';
}

static void show_reset_method(const struct node *n, FILE *f)
{
        char buf[128];

        reset_methods(n->dev, buf, sizeof(buf));
        fprintf(f, "%s\n", buf);
}
static bool is_pf(const struct sim_device *d) { return d->totalvfs > 0; }

static const struct attr device_attrs[] = {
        { "boot_vga",                   0444, show_boot_vga,    NULL,           is_vga },
        { "class",                      0444, show_class,       NULL,           NULL },
        { "config",                     0444, show_config,      NULL,           NULL },
        { "device",                     0444, show_device,      NULL,           NULL },
        { "driver_override",            0644, show_override,    st_override,    NULL },
        { "enable",                     0644, show_enable,      st_enable,      NULL },
        { "modalias",                   0444, show_modalias,    NULL,           NULL },
        { "numa_node",                  0444, show_numa,        NULL,           NULL },
        { "remove",                     0200, NULL,             st_remove,      NULL },
        { "rescan",                     0200, NULL,             st_dev_rescan,  NULL },
        { "reset",                      0200, NULL,             st_reset,       NULL },
        { "reset_method",               0444, show_reset_method, NULL,          has_reset },
        { "revision",                   0444, show_revision,    NULL,           NULL },
        { "sriov_drivers_autoprobe",    0644, show_autoprobe,   st_autoprobe,   is_pf },
        /* sriov_numvfs_show() takes device_lock() (iov.c): it waits behind a
         * blocked unbind of the PF, as `cat sriov_numvfs` hangs on a real host. */
        { "sriov_numvfs",               0644, show_numvfs,      st_numvfs,      is_pf, false, true },
        { "sriov_offset",               0444, show_vf_offset,   NULL,           is_pf },
        { "sriov_stride",               0444, show_vf_stride,   NULL,           is_pf },
        { "sriov_totalvfs",             0444, show_totalvfs,    NULL,           is_pf },
        { "sriov_vf_device",            0444, show_vf_device,   NULL,           is_pf },
        { "subsystem_device",           0444, show_subdevice,   NULL,           NULL },
        { "subsystem_vendor",           0444, show_subvendor,   NULL,           NULL },
        { "uevent",                     0644, show_uevent,      st_nothing,     NULL },
        { "vendor",                     0444, show_vendor,      NULL,           NULL },
};

/*
 * sys/class/vtconsole: vtcon0 is the dummy console, never holding
 * anything; vtcon1 the frame buffer console, bound while the boot VGA
 * device has a host (non-vfio) driver, as fbcon follows the GPU driver.
 */
static bool vtcon_bound(void)
{
        for (size_t i = 0; i < sim.n_devices; i++) {
                const struct sim_device *d = sim.devices[i];

                if (d->present && d->boot_vga && d->driver && !d->driver->vfio &&
                    !d->driver->dma_managed)
                        return true;
        }
        return false;
}

static void show_vtcon_name(const struct node *n, FILE *f)
{
        fprintf(f, "%s\n", n->idx == 0 ? "(S) dummy device" : "(M) frame buffer device");
}

static void show_vtcon_bind(const struct node *n, FILE *f)
{
        fprintf(f, "%d\n", n->idx == 1 && vtcon_bound());
}

static const struct attr vtcon_attrs[] = {
        { "name",       0444, show_vtcon_name },
        { "bind",       0444, show_vtcon_bind },
};

static const struct attr net_attrs[] = {
        { "address",    0444, show_net_address },
        { "operstate",  0444, show_net_operstate },
};

static const struct attr disk_attrs[] = {
        { "dev",        0444, show_disk_dev },
        { "size",       0444, show_disk_size },
};

static const struct attr part_attrs[] = {
        { "dev",        0444, show_part_dev },
        { "partition",  0444, show_partition },
};

static const struct attr vblock_attrs[] = {
        { "dev",        0444, show_vblock_dev },
        { "size",       0444, show_disk_size },
};

static const struct attr dm_attrs[] = {
        { "name",       0444, show_dm_name },
        { "uuid",       0444, show_dm_uuid },
};

static const struct attr md_attrs[] = {
        { "level",      0444, show_md_level },
};

static const struct attr vfio_dev_attrs[] = {
        { "dev",        0444, show_vfio_dev },
};

static const struct attr bus_pci_attrs[] = {
        { "drivers_autoprobe",  0644, show_drivers_autoprobe, st_drivers_autoprobe },
        { "drivers_probe",      0200, NULL, st_drivers_probe },
        { "rescan",             0200, NULL, st_bus_rescan },
};

static const struct attr driver_attrs[] = {
        { "bind",       0200, NULL, st_bind },
        { "new_id",     0200, NULL, st_new_id },
        { "remove_id",  0200, NULL, st_remove_id },
        { "uevent",     0200, NULL, st_nothing },
        { "unbind",     0200, NULL, st_unbind },
};

static const struct attr group_attrs[] = {
        { "reserved_regions",   0444, show_reserved_regions },
        { "type",               0444, show_group_type },
};

/* Not real character devices: a node on a FUSE mount must never open the host's. */
static const struct attr dev_node_attr = { "", 0600, show_empty };
static const struct attr dev_container_attr = { "vfio", 0666, show_empty };

static const struct attr proc_self_attrs[] = {
        { "mountinfo",  0444, show_mountinfo },
        { "mounts",     0444, show_mounts },
};

static const struct attr proc_attrs[] = {
        { "swaps",      0444, show_swaps },
};

static const struct attr proc_sys_kernel_attrs[] = {
        { "osrelease",  0444, show_osrelease },
};

static const struct attr lib_modules_attrs[] = {
        { "modules.alias", 0444, show_modules_alias },
};

static const struct attr proc_net_attrs[] = {
        { "ipv6_route", 0444, show_route6 },
        { "route",      0444, show_route },
};

static const struct attr sim_attrs[] = {
        { "crash_after",        0644, show_crash_after, st_crash_after, NULL, true },
        { "faults",             0644, show_faults,      st_faults,      NULL, true },
        { "log",                0644, show_log,         st_log,         NULL, true },
        { "pid",                0444, show_pid,         NULL,           NULL, true },
        { "release",            0644, show_release,     st_release,     NULL, true },
};

/* ---- walking folders ---- */

struct walker {
        const char *want;               /* lookup: the name wanted */
        struct node *found;
        tree_list_fn fn;                /* listing */
        void *userdata;
};

/* Returns true to stop the walk (the name was found). */
static bool emit(struct walker *w, const char *name, const struct node *n)
{
        if (w->want) {
                if (!streq(w->want, name))
                        return false;
                *w->found = *n;
                return true;
        }
        w->fn(w->userdata, name, n);
        return false;
}

#define EMIT(w, name, n)                        \
        do {                                    \
                if (emit((w), (name), (n)))     \
                        return true;            \
        } while (0)

static struct node sub_dir(const struct node *parent, int kind)
{
        struct node n = *parent;

        n.type = NODE_DIR;
        n.dir = kind;
        n.attr = NULL;
        n.target[0] = '\0';
        return n;
}

static bool emit_dir(struct walker *w, const struct node *parent, const char *name, int kind)
{
        struct node n = sub_dir(parent, kind);

        return emit(w, name, &n);
}

static bool emit_link(struct walker *w, const struct node *parent, const char *name, const char *fmt, ...)
        _printf_(4, 5);
static bool emit_link(struct walker *w, const struct node *parent, const char *name, const char *fmt, ...)
{
        struct node n = sub_dir(parent, -1);
        va_list ap;

        n.type = NODE_LINK;
        va_start(ap, fmt);
        vsnprintf(n.target, sizeof(n.target), fmt, ap);
        va_end(ap);
        return emit(w, name, &n);
}

static bool emit_attrs(struct walker *w, const struct node *parent, const struct attr *a, size_t n_attrs)
{
        for (size_t i = 0; i < n_attrs; i++) {
                struct node n = sub_dir(parent, -1);

                if (a[i].visible && !a[i].visible(parent->dev))
                        continue;
                n.type = NODE_FILE;
                n.attr = &a[i];
                EMIT(w, a[i].name, &n);
        }
        return false;
}

static void root_name(const struct sim_device *d, char *buf, size_t len)
{
        snprintf(buf, len, "pci%04x:00", d->domain);
}

static bool is_nvme(const struct sim_device *d)
{
        return (d->class >> 8) == 0x0108;
}

/* nvme0n1 -> nvme0: the controller the namespace belongs to. */
static void nvme_ctrl_name(const struct sim_device *d, char *buf, size_t len)
{
        const char *name = d->n_block ? d->block[0].name : "nvme0";
        /* Only an nvme name has a controller part to cut; others ("md0",
         * "sda") may be shorter than the "nvme" prefix itself. */
        size_t n = strncmp(name, "nvme", 4) == 0 ? strcspn(name + 4, "n") + 4 : 5;

        snprintf(buf, len, "%.*s", (int) n, name);
}

static bool children_device(struct walker *w, const struct node *dir)
{
        const struct sim_device *d = dir->dev;
        char name[64];

        if (emit_attrs(w, dir, device_attrs, ELEMENTSOF(device_attrs)))
                return true;
        if (d->driver)
                if (emit_link(w, dir, "driver", "../../../bus/pci/drivers/%s", d->driver->name))
                        return true;
        if (d->group >= 0)
                if (emit_link(w, dir, "iommu_group", "../../../kernel/iommu_groups/%d", d->group))
                        return true;
        if (emit_link(w, dir, "subsystem", "../../../bus/pci"))
                return true;
        if (d->pf)
                if (emit_link(w, dir, "physfn", "../%s", d->pf->address))
                        return true;
        for (unsigned i = 0; i < d->numvfs; i++) {
                const struct sim_device *vf = device_vf(d, i);

                /* VFs share the PF's domain: siblings under one root. */
                if (!vf || !vf->present)
                        continue;
                snprintf(name, sizeof(name), "virtfn%u", i);
                if (emit_link(w, dir, name, "../%s", vf->address))
                        return true;
        }
        if (d->n_net && device_children_visible(d) && emit_dir(w, dir, "net", D_NET))
                return true;
        if (d->n_block && device_children_visible(d) &&
            emit_dir(w, dir, is_nvme(d) ? "nvme" : "block", is_nvme(d) ? D_NVME : D_BLOCK))
                return true;
        if (d->vfio_index >= 0 && emit_dir(w, dir, "vfio-dev", D_VFIO_DEV))
                return true;
        return false;
}

static bool children_net(struct walker *w, const struct node *dir)
{
        for (size_t i = 0; i < dir->dev->n_net; i++) {
                struct node n = sub_dir(dir, D_NET_IF);

                n.idx = i;
                EMIT(w, dir->dev->net[i].name, &n);
        }
        return false;
}

/* net/<if>/: its attributes and the link back to the PCI function, as
 * sys/class/net/<if>/device resolves on a real host. */
static bool children_net_if(struct walker *w, const struct node *dir)
{
        if (emit_attrs(w, dir, net_attrs, ELEMENTSOF(net_attrs)))
                return true;
        return emit_link(w, dir, "device", "../../../%s", dir->dev->address);
}

/*
 * sys/class/net/<if> -> ../../devices/pciDDDD:00/<BDF>/net/<if>, for every
 * interface shown (only while its driver is bound, as net/ itself).
 * Tools find a PF by interface name this way (a hostdev pool's <pf dev>).
 */
static bool children_class_net(struct walker *w, const struct node *dir)
{
        for (size_t i = 0; i < sim.n_devices; i++) {
                const struct sim_device *d = sim.devices[i];
                char root[32];

                if (!d->present || !device_children_visible(d))
                        continue;
                root_name(d, root, sizeof(root));
                for (size_t j = 0; j < d->n_net; j++)
                        if (emit_link(w, dir, d->net[j].name, "../../devices/%s/%s/net/%s", root,
                                      d->address, d->net[j].name))
                                return true;
        }
        return false;
}

static bool children_vtconsole(struct walker *w, const struct node *dir)
{
        for (int i = 0; i < 2; i++) {
                struct node n = sub_dir(dir, D_VTCON);
                char name[16];

                n.idx = i;
                snprintf(name, sizeof(name), "vtcon%d", i);
                EMIT(w, name, &n);
        }
        return false;
}

static bool children_disks(struct walker *w, const struct node *dir)
{
        for (size_t i = 0; i < dir->dev->n_block; i++) {
                struct node n = sub_dir(dir, D_DISK);

                n.idx = i;
                EMIT(w, dir->dev->block[i].name, &n);
        }
        return false;
}

/* One partition per mount (or null): nvme0n1p1, sda1; and the disk's holders/. */
static bool children_disk(struct walker *w, const struct node *dir)
{
        const struct sim_block *b = &dir->dev->block[dir->idx];
        struct node h = sub_dir(dir, D_BLOCK_HOLDERS);

        if (emit_attrs(w, dir, disk_attrs, ELEMENTSOF(disk_attrs)))
                return true;
        h.sub = -1;
        EMIT(w, "holders", &h);
        if (emit_dir(w, dir, "slaves", D_EMPTY))
                return true;
        for (size_t i = 0; i < b->n_mounts; i++) {
                struct node n = sub_dir(dir, D_PART);
                char name[128];

                n.sub = i;
                block_part_name(b, i, name, sizeof(name));
                EMIT(w, name, &n);
        }
        return false;
}

static bool children_part(struct walker *w, const struct node *dir)
{
        return emit_attrs(w, dir, part_attrs, ELEMENTSOF(part_attrs)) ||
               emit_dir(w, dir, "holders", D_BLOCK_HOLDERS) || emit_dir(w, dir, "slaves", D_EMPTY);
}

/*
 * Where a block device lives under sys/devices: "pci0000:00/<BDF>/nvme/nvme0/
 * nvme0n1/nvme0n1p2" (or .../block/sda/sda1), "virtual/block/dm-0". False
 * when there is no such device now (its disk driver is not bound).
 */
static bool block_path(const char *name, char *buf, size_t len)
{
        if (vblock_find(name)) {
                snprintf(buf, len, "virtual/block/%s", name);
                return true;
        }
        for (size_t i = 0; i < sim.n_devices; i++) {
                const struct sim_device *d = sim.devices[i];
                char root[32], ctrl[32], dir[128], part[128];

                if (!d->present || !device_children_visible(d))
                        continue;
                root_name(d, root, sizeof(root));
                nvme_ctrl_name(d, ctrl, sizeof(ctrl));
                snprintf(dir, sizeof(dir), "%s/%s/%s%s", root, d->address,
                         is_nvme(d) ? "nvme/" : "block", is_nvme(d) ? ctrl : "");
                for (size_t k = 0; k < d->n_block; k++) {
                        const struct sim_block *b = &d->block[k];

                        if (streq(b->name, name))
                                return snprintf(buf, len, "%s/%s", dir, b->name) < (int) len;
                        for (size_t p = 0; p < b->n_mounts; p++) {
                                block_part_name(b, p, part, sizeof(part));
                                if (streq(part, name))
                                        return snprintf(buf, len, "%s/%s/%s", dir, b->name,
                                                        part) < (int) len;
                        }
                }
        }
        return false;
}

/* "../" as many times as a folder depth-deep below sys/devices needs to get there. */
static const char *up_to_devices(int depth)
{
        static const char ups[] = "../../../../../../../../../../../../";

        return ups + sizeof(ups) - 1 - 3 * (size_t) (depth < 12 ? depth : 12);
}

static int path_depth(const char *path)
{
        int n = 1;

        for (; *path; path++)
                n += *path == '/';
        return n;
}

/* holders/H of the block device called name: each stacked device made of it. */
static bool emit_holders(struct walker *w, const struct node *dir, const char *name)
{
        char path[256];

        if (!block_path(name, path, sizeof(path)))
                return false;
        for (size_t i = 0; i < sim.n_vblocks; i++)
                for (size_t j = 0; j < sim.vblocks[i].n_slaves; j++)
                        if (streq(sim.vblocks[i].slaves[j], name) &&
                            emit_link(w, dir, sim.vblocks[i].name, "%svirtual/block/%s",
                                      up_to_devices(path_depth(path) + 1), sim.vblocks[i].name))
                                return true;
        return false;
}

static bool children_block_holders(struct walker *w, const struct node *dir)
{
        const struct sim_block *b = &dir->dev->block[dir->idx];
        char name[128];

        if (dir->sub < 0)
                return emit_holders(w, dir, b->name);
        block_part_name(b, dir->sub, name, sizeof(name));
        return emit_holders(w, dir, name);
}

/* sys/block/NAME -> ../devices/...: every disk there now and every stacked device. */
static bool children_sys_block(struct walker *w, const struct node *dir)
{
        char path[256];

        for (size_t i = 0; i < sim.n_devices; i++) {
                const struct sim_device *d = sim.devices[i];

                if (!d->present || !device_children_visible(d))
                        continue;
                for (size_t k = 0; k < d->n_block; k++)
                        if (block_path(d->block[k].name, path, sizeof(path)) &&
                            emit_link(w, dir, d->block[k].name, "../devices/%s", path))
                                return true;
        }
        for (size_t i = 0; i < sim.n_vblocks; i++)
                if (emit_link(w, dir, sim.vblocks[i].name, "../devices/virtual/block/%s",
                              sim.vblocks[i].name))
                        return true;
        return false;
}

static bool children_virtual_block(struct walker *w, const struct node *dir)
{
        for (size_t i = 0; i < sim.n_vblocks; i++) {
                struct node n = sub_dir(dir, D_VBLOCK);

                n.idx = i;
                EMIT(w, sim.vblocks[i].name, &n);
        }
        return false;
}

static bool children_vblock(struct walker *w, const struct node *dir)
{
        const struct sim_vblock *v = &sim.vblocks[dir->idx];

        if (emit_attrs(w, dir, vblock_attrs, ELEMENTSOF(vblock_attrs)))
                return true;
        if (v->dm_name ? emit_dir(w, dir, "dm", D_VBLOCK_DM) : emit_dir(w, dir, "md", D_VBLOCK_MD))
                return true;
        return emit_dir(w, dir, "holders", D_VBLOCK_HOLDERS) ||
               emit_dir(w, dir, "slaves", D_VBLOCK_SLAVES);
}

/* slaves/S -> ../../../../pci0000:00/... (dangling while S's disk driver is unbound). */
static bool children_vblock_slaves(struct walker *w, const struct node *dir)
{
        const struct sim_vblock *v = &sim.vblocks[dir->idx];
        char path[256];

        for (size_t i = 0; i < v->n_slaves; i++) {
                if (vblock_find(v->slaves[i])) {
                        if (emit_link(w, dir, v->slaves[i], "../../%s", v->slaves[i]))
                                return true;
                        continue;
                }
                if (!block_path(v->slaves[i], path, sizeof(path)))
                        continue;
                if (emit_link(w, dir, v->slaves[i], "../../../../%s", path))
                        return true;
        }
        return false;
}

static bool children_vfio_dev(struct walker *w, const struct node *dir)
{
        char name[32];

        snprintf(name, sizeof(name), "vfio%d", dir->dev->vfio_index);
        return emit_dir(w, dir, name, D_VFIO_DEV_X);
}

/*
 * The devices a folder of device entries has to walk: all of them to list
 * it, only the one named to look a name up (big hosts have thousands, and
 * every path is looked up again on every access).
 */
static void device_range(const struct walker *w, size_t *from, size_t *to)
{
        size_t i;

        if (!w->want) {
                *from = 0;
                *to = sim.n_devices;
                return;
        }
        i = device_lower_bound(w->want);
        *from = i;
        *to = i < sim.n_devices && streq(sim.devices[i]->address, w->want) ? i + 1 : i;
}

static bool children_pci_root(struct walker *w, const struct node *dir)
{
        size_t from, to;

        device_range(w, &from, &to);
        for (size_t i = from; i < to; i++) {
                struct sim_device *d = sim.devices[i];
                struct node n = sub_dir(dir, D_DEVICE);

                if (!d->present || (int) d->domain != dir->idx)
                        continue;
                n.dev = d;
                EMIT(w, d->address, &n);
        }
        return false;
}

/* Each PCI domain present gets its root folder (devices are sorted). */
static bool children_sys_devices(struct walker *w, const struct node *dir)
{
        int last = -1;

        for (size_t i = 0; i < sim.n_devices; i++) {
                struct sim_device *d = sim.devices[i];
                struct node n = sub_dir(dir, D_PCI_ROOT);
                char name[32];

                if (!d->present || (int) d->domain == last)
                        continue;
                last = n.idx = d->domain;
                root_name(d, name, sizeof(name));
                EMIT(w, name, &n);
        }
        return false;
}

static bool children_bus_devices(struct walker *w, const struct node *dir)
{
        size_t from, to;

        device_range(w, &from, &to);
        for (size_t i = from; i < to; i++) {
                const struct sim_device *d = sim.devices[i];
                char root[32];

                if (!d->present)
                        continue;
                root_name(d, root, sizeof(root));
                if (emit_link(w, dir, d->address, "../../../devices/%s/%s", root, d->address))
                        return true;
        }
        return false;
}

static bool children_drivers(struct walker *w, const struct node *dir)
{
        for (size_t i = 0; i < sim.n_drivers; i++) {
                struct node n = sub_dir(dir, D_DRIVER);

                n.drv = sim.drivers[i];
                EMIT(w, n.drv->name, &n);
        }
        return false;
}

static bool children_driver(struct walker *w, const struct node *dir)
{
        size_t from, to;

        device_range(w, &from, &to);
        if (emit_attrs(w, dir, driver_attrs, ELEMENTSOF(driver_attrs)))
                return true;
        for (size_t i = from; i < to; i++) {
                const struct sim_device *d = sim.devices[i];
                char root[32];

                if (!d->present || d->driver != dir->drv)
                        continue;
                root_name(d, root, sizeof(root));
                if (emit_link(w, dir, d->address, "../../../../devices/%s/%s", root, d->address))
                        return true;
        }
        return false;
}

static bool group_present(int group)
{
        for (size_t i = 0; i < sim.n_devices; i++)
                if (sim.devices[i]->present && sim.devices[i]->group == group)
                        return true;
        return false;
}

/* Groups in ascending order, each once; a lookup goes straight there. */
static bool children_groups(struct walker *w, const struct node *dir)
{
        int last = -1;

        if (w->want) {
                struct node n = sub_dir(dir, D_GROUP);
                char *end, name[32];
                long g;

                errno = 0;
                g = strtol(w->want, &end, 10);
                if (errno || *end || g < 0 || g > INT_MAX || !group_present(g))
                        return false;
                n.group = g;
                snprintf(name, sizeof(name), "%ld", g);
                return emit(w, name, &n);       /* "08" is not "8" */
        }

        for (;;) {
                int next = -1;
                struct node n;
                char name[32];

                for (size_t i = 0; i < sim.n_devices; i++) {
                        const struct sim_device *d = sim.devices[i];

                        if (d->present && d->group > last && (next < 0 || d->group < next))
                                next = d->group;
                }
                if (next < 0)
                        return false;
                n = sub_dir(dir, D_GROUP);
                n.group = next;
                snprintf(name, sizeof(name), "%d", next);
                EMIT(w, name, &n);
                last = next;
        }
}

static bool children_group_devices(struct walker *w, const struct node *dir)
{
        size_t from, to;

        device_range(w, &from, &to);
        for (size_t i = from; i < to; i++) {
                const struct sim_device *d = sim.devices[i];
                char root[32];

                if (!d->present || d->group != dir->group)
                        continue;
                root_name(d, root, sizeof(root));
                if (emit_link(w, dir, d->address, "../../../../devices/%s/%s", root, d->address))
                        return true;
        }
        return false;
}

/* /dev/vfio/N while a member is on vfio; /dev/vfio/vfio with an IOMMU. */
static bool children_dev_vfio(struct walker *w, const struct node *dir)
{
        struct node n = sub_dir(dir, -1);
        int last = -1;

        if (!sim.iommu)
                return false;
        n.type = NODE_FILE;
        n.attr = &dev_container_attr;
        EMIT(w, "vfio", &n);
        if (emit_dir(w, dir, "devices", D_DEV_VFIO_DEVICES))
                        return true;
        for (;;) {
                int next = -1;
                char name[32];

                for (size_t i = 0; i < sim.n_devices; i++) {
                        const struct sim_device *d = sim.devices[i];

                        if (d->present && d->group > last && (next < 0 || d->group < next) &&
                            d->driver && d->driver->vfio)
                                next = d->group;
                }
                if (next < 0)
                        return false;
                n.attr = &dev_node_attr;
                n.group = next;
                snprintf(name, sizeof(name), "%d", next);
                EMIT(w, name, &n);
                last = next;
        }
}

int node_vfio_group(const struct node *n)
{
        return n->type == NODE_FILE && n->attr == &dev_node_attr && !n->dev ? n->group : -1;
}

static bool children_dev_vfio_devices(struct walker *w, const struct node *dir)
{
        for (size_t i = 0; i < sim.n_devices; i++) {
                struct node n = sub_dir(dir, -1);
                char name[32];

                if (!sim.devices[i]->present || sim.devices[i]->vfio_index < 0)
                        continue;
                n.type = NODE_FILE;
                n.attr = &dev_node_attr;
                n.dev = sim.devices[i];
                snprintf(name, sizeof(name), "vfio%d", n.dev->vfio_index);
                EMIT(w, name, &n);
        }
        return false;
}

static bool children(struct walker *w, const struct node *dir)
{
        switch ((enum dir_kind) dir->dir) {
        case D_ROOT:
                return emit_dir(w, dir, ".sim", D_SIM) || emit_dir(w, dir, "dev", D_DEV) ||
                       emit_dir(w, dir, "lib", D_LIB) || emit_dir(w, dir, "proc", D_PROC) ||
                       emit_dir(w, dir, "sys", D_SYS);
        case D_SYS:
                return emit_dir(w, dir, "block", D_SYS_BLOCK) ||
                       emit_dir(w, dir, "bus", D_BUS) || emit_dir(w, dir, "class", D_SYS_CLASS) ||
                       emit_dir(w, dir, "devices", D_SYS_DEVICES) ||
                       emit_dir(w, dir, "kernel", D_KERNEL);
        case D_SYS_CLASS:
                return emit_dir(w, dir, "net", D_CLASS_NET) ||
                       emit_dir(w, dir, "vtconsole", D_CLASS_VTCONSOLE);
        case D_CLASS_NET:
                return children_class_net(w, dir);
        case D_CLASS_VTCONSOLE:
                return children_vtconsole(w, dir);
        case D_VTCON:
                return emit_attrs(w, dir, vtcon_attrs, ELEMENTSOF(vtcon_attrs));
        case D_SYS_DEVICES:
                return children_sys_devices(w, dir) || emit_dir(w, dir, "virtual", D_VIRTUAL);
        case D_PCI_ROOT:
                return children_pci_root(w, dir);
        case D_DEVICE:
                return children_device(w, dir);
        case D_NET:
                return children_net(w, dir);
        case D_NET_IF:
                return children_net_if(w, dir);
        case D_BLOCK:
                return children_disks(w, dir);
        case D_DISK:
                return children_disk(w, dir);
        case D_PART:
                return children_part(w, dir);
        case D_BLOCK_HOLDERS:
                return children_block_holders(w, dir);
        case D_EMPTY:
                return false;
        case D_SYS_BLOCK:
                return children_sys_block(w, dir);
        case D_VIRTUAL:
                return emit_dir(w, dir, "block", D_VIRTUAL_BLOCK);
        case D_VIRTUAL_BLOCK:
                return children_virtual_block(w, dir);
        case D_VBLOCK:
                return children_vblock(w, dir);
        case D_VBLOCK_DM:
                return emit_attrs(w, dir, dm_attrs, ELEMENTSOF(dm_attrs));
        case D_VBLOCK_MD:
                return emit_attrs(w, dir, md_attrs, ELEMENTSOF(md_attrs));
        case D_VBLOCK_SLAVES:
                return children_vblock_slaves(w, dir);
        case D_VBLOCK_HOLDERS:
                return emit_holders(w, dir, sim.vblocks[dir->idx].name);
        case D_NVME: {
                char name[32];

                nvme_ctrl_name(dir->dev, name, sizeof(name));
                return emit_dir(w, dir, name, D_NVME_CTRL);
        }
        case D_NVME_CTRL:
                return children_disks(w, dir);
        case D_VFIO_DEV:
                return children_vfio_dev(w, dir);
        case D_VFIO_DEV_X:
                return emit_attrs(w, dir, vfio_dev_attrs, ELEMENTSOF(vfio_dev_attrs));
        case D_BUS:
                return emit_dir(w, dir, "pci", D_BUS_PCI);
        case D_BUS_PCI:
                return emit_dir(w, dir, "devices", D_BUS_DEVICES) ||
                       emit_dir(w, dir, "drivers", D_BUS_DRIVERS) ||
                       emit_attrs(w, dir, bus_pci_attrs, ELEMENTSOF(bus_pci_attrs));
        case D_BUS_DEVICES:
                return children_bus_devices(w, dir);
        case D_BUS_DRIVERS:
                return children_drivers(w, dir);
        case D_DRIVER:
                return children_driver(w, dir);
        case D_KERNEL:
                return emit_dir(w, dir, "iommu_groups", D_GROUPS);
        case D_GROUPS:
                return children_groups(w, dir);
        case D_GROUP:
                return emit_dir(w, dir, "devices", D_GROUP_DEVICES) ||
                       emit_attrs(w, dir, group_attrs, ELEMENTSOF(group_attrs));
        case D_GROUP_DEVICES:
                return children_group_devices(w, dir);
        case D_DEV:
                return emit_dir(w, dir, "vfio", D_DEV_VFIO);
        case D_DEV_VFIO:
                return children_dev_vfio(w, dir);
        case D_DEV_VFIO_DEVICES:
                return children_dev_vfio_devices(w, dir);
        case D_PROC:
                return emit_link(w, dir, "mounts", "self/mounts") || emit_dir(w, dir, "net", D_PROC_NET) ||
                       emit_dir(w, dir, "self", D_PROC_SELF) || emit_dir(w, dir, "sys", D_PROC_SYS) ||
                       emit_attrs(w, dir, proc_attrs, ELEMENTSOF(proc_attrs));
        case D_PROC_SYS:
                return emit_dir(w, dir, "kernel", D_PROC_SYS_KERNEL);
        case D_PROC_SYS_KERNEL:
                return emit_attrs(w, dir, proc_sys_kernel_attrs, ELEMENTSOF(proc_sys_kernel_attrs));
        case D_LIB:
                return emit_dir(w, dir, "modules", D_LIB_MODULES);
        case D_LIB_MODULES:
                return emit_dir(w, dir, proc_osrelease, D_LIB_MODULES_RELEASE);
        case D_LIB_MODULES_RELEASE:
                return emit_attrs(w, dir, lib_modules_attrs, ELEMENTSOF(lib_modules_attrs));
        case D_PROC_SELF:
                return emit_attrs(w, dir, proc_self_attrs, ELEMENTSOF(proc_self_attrs));
        case D_PROC_NET:
                return emit_attrs(w, dir, proc_net_attrs, ELEMENTSOF(proc_net_attrs));
        case D_SIM:
                return emit_attrs(w, dir, sim_attrs, ELEMENTSOF(sim_attrs));
        }
        return false;
}

/* ---- the interface to the FUSE layer ---- */

int tree_resolve(const char *path, struct node *out)
{
        _cleanup_free_ char *copy = xstrdup(path);
        char *comp, *save = NULL;
        struct node cur = { .type = NODE_DIR, .dir = D_ROOT, .group = -1 };

        for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
                struct node next;
                struct walker w = { .want = comp, .found = &next };

                if (cur.type != NODE_DIR)
                        return -ENOTDIR;
                if (!children(&w, &cur))
                        return -ENOENT;
                cur = next;
        }
        *out = cur;
        return 0;
}

void tree_list(const struct node *dir, tree_list_fn fn, void *userdata)
{
        struct walker w = { .fn = fn, .userdata = userdata };

        (void) children(&w, dir);
}

mode_t node_mode(const struct node *n)
{
        switch (n->type) {
        case NODE_DIR:
                return S_IFDIR | 0755;
        case NODE_LINK:
                return S_IFLNK | 0777;
        default:
                return S_IFREG | n->attr->mode;
        }
}

bool node_readable(const struct node *n)
{
        return n->type == NODE_FILE && n->attr->show;
}

bool node_writable(const struct node *n)
{
        return n->type == NODE_FILE && n->attr->store;
}

bool node_show_locks(const struct node *n)
{
        return n->type == NODE_FILE && n->attr->device_lock && n->dev;
}

/* Writes to the control folder are neither logged nor counted. */
bool node_logged(const struct node *n)
{
        return n->type == NODE_FILE && !n->attr->control;
}

char *node_render(const struct node *n, size_t *len)
{
        char *s = NULL;
        FILE *f;

        if (!node_readable(n))
                return NULL;
        f = open_memstream(&s, len);
        if (!f)
                abort();
        n->attr->show(n, f);
        fclose(f);
        return s;
}

int node_store(const struct node *n, const char *buf, size_t len)
{
        if (!node_writable(n))
                return -EACCES;
        return n->attr->store(n, buf, len);
}

/* open(O_TRUNC) on an attribute does nothing; on .sim/log it clears it. */
int node_truncate(const struct node *n)
{
        if (!node_writable(n))
                return -EACCES;
        if (n->attr->store == st_log)
                sim.log_len = 0;
        return 0;
}
