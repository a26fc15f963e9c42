/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's reactions to sysfs writes (kernel-semantics.md §1, §3):
 * matching, probing, binding, DMA ownership, SR-IOV, remove and rescan.
 * Every store returns 0 or -errno; the FUSE layer turns 0 into the byte
 * count, as a sysfs store returns `count`.
 *
 * Injected faults (control.c) fire only once an operation reaches the
 * driver, after the kernel's own argument checks: a `fail=EBUSY` bind on a
 * device that does not match still gives ENODEV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

/* kstrtoul(buf, 0): one trailing newline allowed, nothing else. */
static int kstrtoul(const char *buf, size_t len, unsigned long long *out)
{
        _cleanup_free_ char *s = strndup(buf, len);
        size_t n;
        char *p, *end;

        if (!s)
                return -ENOMEM;
        n = strlen(s);
        if (n > 0 && s[n - 1] == '\n')
                s[--n] = '\0';
        p = s[0] == '+' ? s + 1 : s;
        if (!(*p >= '0' && *p <= '9'))
                return -EINVAL;
        errno = 0;
        *out = strtoull(p, &end, 0);
        if (*end)
                return -EINVAL;
        if (errno == ERANGE)
                return -ERANGE;
        return 0;
}

/* kstrtobool(): y/Y/1/on true, n/N/0/off false. */
static int kstrtobool(const char *buf, size_t len, bool *out)
{
        if (len == 0)
                return -EINVAL;
        switch (buf[0]) {
        case 'y': case 'Y': case '1':
                *out = true;
                return 0;
        case 'n': case 'N': case '0':
                *out = false;
                return 0;
        case 'o': case 'O':
                if (len > 1 && (buf[1] == 'n' || buf[1] == 'N')) {
                        *out = true;
                        return 0;
                }
                if (len > 1 && (buf[1] == 'f' || buf[1] == 'F')) {
                        *out = false;
                        return 0;
                }
                return -EINVAL;
        default:
                return -EINVAL;
        }
}

/*
 * device_lock(): wait while an op on this device is blocked (a held
 * unbind). Fails when the device went away meanwhile.
 */
int device_lock_wait(struct sim_device *d)
{
        while (d->busy) {
                int r = sim_cond_wait(NULL);

                if (r == -EINTR)
                        return r;
        }
        return d->present ? 0 : -ENODEV;
}

static bool id_matches(const struct sim_id *id, const struct sim_device *d)
{
        return (id->vendor == PCI_ANY_ID || id->vendor == d->vendor) &&
               (id->device == PCI_ANY_ID || id->device == d->device) &&
               (id->subvendor == PCI_ANY_ID || id->subvendor == d->subsystem_vendor) &&
               (id->subdevice == PCI_ANY_ID || id->subdevice == d->subsystem_device) &&
               ((id->class ^ d->class) & id->class_mask) == 0;
}

/*
 * pci_bus_match() (not before the device is added: match_driver), then
 * pci_match_device(): the override decides alone; else dynids, then ids.
 */
bool driver_matches(const struct sim_driver *drv, const struct sim_device *d)
{
        if (d->adding)
                return false;
        if (d->driver_override)
                return streq(d->driver_override, drv->name);
        for (size_t i = 0; i < drv->n_dynids; i++)
                if (id_matches(&drv->dynids[i], d))
                        return true;
        if (drv->override_only)
                return false;
        for (size_t i = 0; i < drv->n_ids; i++)
                if (id_matches(&drv->ids[i], d))
                        return true;
        return false;
}

/*
 * pci_dma_configure(): a driver that does its own DMA (not
 * driver_managed_dma) cannot join a group that has a DMA owner
 * (iommu_device_use_default_domain() -> -EBUSY). VFIO claims the group
 * when a user opens it, so the sim counts the group as owned while
 * /dev/vfio/N is open; a member merely bound to vfio-pci claims nothing.
 */
static int dma_configure(const struct sim_driver *drv, const struct sim_device *d)
{
        if (drv->dma_managed || d->group < 0)
                return 0;
        return group_opens(d->group) > 0 ? -EBUSY : 0;
}

/* really_probe() after dma_configure: pci_device_probe and the driver's probe. */
static int driver_probe(struct sim_driver *drv, struct sim_device *d, bool nobind)
{
        if (device_is_vf(d) && !d->pf->sriov_drivers_autoprobe && !d->driver_override)
                return -ENODEV;         /* pci_device_can_probe() */
        if (nobind)
                return -ENODEV;
        if (drv->vfio) {
                if (device_is_bridge(d))
                        return -EINVAL;
                if (d->numvfs > 0)
                        return -EBUSY;  /* "Cannot bind to PF with SR-IOV enabled" */
                if (d->group < 0)
                        return -EINVAL; /* no IOMMU group, no noiommu mode */
        }
        device_set_driver(d, drv);
        return 0;
}

static bool probe_fault_stops(const struct sim_device *d)
{
        const struct sim_fault *f = fault_get(d, OP_PROBE);

        return f && (f->kind == FAULT_FAIL || f->kind == FAULT_NOBIND);
}

/*
 * device_attach(): try every matching driver in order until one binds.
 * Probe errors are swallowed; only a DMA-ownership refusal makes the
 * caller see -EINVAL.
 */
static int device_attach(struct sim_device *d, bool nobind)
{
        bool conflict = false;

        for (size_t i = 0; i < sim.n_drivers && !d->driver; i++) {
                struct sim_driver *drv = sim.drivers[i];

                if (!driver_matches(drv, d))
                        continue;
                if (dma_configure(drv, d) < 0) {
                        conflict = true;
                        continue;
                }
                (void) driver_probe(drv, d, nobind);
        }
        return !d->driver && conflict ? -EINVAL : 0;
}

/* The probe a new device gets (rescan, VF creation) when autoprobe is on. */
void device_autoprobe(struct sim_device *d)
{
        if (!sim.drivers_autoprobe || d->driver || d->busy)
                return;
        (void) device_attach(d, probe_fault_stops(d));
}

/* Applies a fault's block and fail; returns -errno to fail the op. */
static int fault_apply(struct sim_device *d, enum sim_op op, bool *nobind)
{
        const struct sim_fault *f = fault_get(d, op);
        int r;

        if (nobind)
                *nobind = false;
        if (!f)
                return 0;
        if (f->kind == FAULT_BLOCK_MS || f->kind == FAULT_BLOCK_HELD) {
                r = fault_block(d, f);
                if (r < 0)
                        return r;
                if (!d->present)
                        return -ENODEV;
                /* The fault list may have changed while we slept. */
                f = fault_get(d, op);
                if (!f)
                        return 0;
        }
        if (f->kind == FAULT_FAIL)
                return -f->arg;
        if (f->kind == FAULT_NOBIND && nobind)
                *nobind = true;
        return 0;
}

int store_driver_override(struct sim_device *d, const char *buf, size_t len)
{
        int r;

        len = strnlen(buf, len);        /* NUL padding is ignored */
        if (len >= 4095)                /* PAGE_SIZE - 1 */
                return -EINVAL;
        r = device_lock_wait(d);
        if (r < 0)
                return r;
        r = fault_apply(d, OP_OVERRIDE, NULL);
        if (r < 0)
                return r;
        free(d->driver_override);
        d->driver_override = NULL;
        if (len > 0 && buf[0] != '\n')
                d->driver_override = strndup_line(buf, len);
        return 0;
}

int store_bind(struct sim_driver *drv, const char *buf, size_t len)
{
        struct sim_device *d = device_find_buf(buf, len);
        bool nobind;
        int r;

        if (!d)
                return -ENODEV;
        r = device_lock_wait(d);
        if (r < 0)
                return r;
        if (!driver_matches(drv, d))
                return -ENODEV;
        if (d->driver)
                return -EBUSY;
        r = fault_apply(d, OP_BIND, &nobind);
        if (r < 0)
                return r;
        r = device_sleep(d, d->lat.probe);      /* the driver's probe() */
        if (r < 0)
                return r;
        if (d->driver)
                return -EBUSY;
        r = dma_configure(drv, d);
        if (r < 0)
                return r;
        return driver_probe(drv, d, nobind);
}

static void sriov_disable(struct sim_device *pf);

/*
 * A PF driver's remove() disables SR-IOV (igb_disable_sriov(),
 * i40e_free_vfs()): the VFs vanish, also one on vfio-pci. The drivers keep
 * them only while pci_vfs_assigned(), a flag xen-pciback sets and vfio
 * never does.
 */
static void pf_driver_remove(struct sim_device *pf)
{
        if (!pf->numvfs || !pf->driver->sriov_configure)
                return;
        for (unsigned i = 0; i < pf->numvfs; i++) {
                const struct sim_device *vf = device_vf(pf, i);

                if (vf && vf->present && vf->driver && streq(vf->driver->name, "xen-pciback"))
                        return;
        }
        sriov_disable(pf);
}

int store_unbind(struct sim_driver *drv, const char *buf, size_t len)
{
        struct sim_device *d = device_find_buf(buf, len);
        int r;

        if (!d)
                return -ENODEV;
        r = device_lock_wait(d);
        if (r < 0)
                return r;
        if (d->driver != drv)
                return -ENODEV;
        r = fault_apply(d, OP_UNBIND, NULL);
        if (r < 0)
                return r;
        r = device_sleep(d, d->lat.unbind);     /* the driver's remove() */
        if (r < 0)
                return r;
        if (d->driver != drv)
                return -ENODEV;
        pf_driver_remove(d);
        device_set_driver(d, NULL);
        return 0;
}

int store_drivers_probe(const char *buf, size_t len)
{
        struct sim_device *d = device_find_buf(buf, len);
        bool nobind;
        int r;

        if (!d)
                return -ENODEV;
        r = device_lock_wait(d);
        if (r < 0)
                return r;
        if (d->driver || d->adding)
                return 0;       /* an added VF not yet on the bus: nothing matches it */
        r = fault_apply(d, OP_PROBE, &nobind);
        if (r < 0)
                return r;
        r = device_sleep(d, d->lat.probe);      /* the driver's probe() */
        if (r < 0)
                return r;
        if (d->driver)
                return 0;
        return device_attach(d, nobind);
}

int store_drivers_autoprobe(const char *buf, size_t len)
{
        sim.drivers_autoprobe = !(len > 0 && buf[0] == '0');
        return 0;
}

/* "VVVV DDDD [SV SD CCCC MMMM [DATA]]", hex; returns the field count. */
static int parse_id_fields(const char *buf, size_t len, struct sim_id *id, unsigned long *data)
{
        _cleanup_free_ char *s = strndup(buf, len);
        int n;

        if (!s)
                return -ENOMEM;
        *id = (struct sim_id) {
                .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID,
        };
        *data = 0;
        n = sscanf(s, "%x %x %x %x %x %x %lx", &id->vendor, &id->device, &id->subvendor,
                   &id->subdevice, &id->class, &id->class_mask, data);
        return n < 0 ? 0 : n;
}

int store_new_id(struct sim_driver *drv, const char *buf, size_t len)
{
        struct sim_device fake = {};
        unsigned long data;
        struct sim_id id;
        int n;

        n = parse_id_fields(buf, len, &id, &data);
        if (n < 2)
                return -EINVAL;
        if (n != 7) {
                /* Already matched by the driver: the id would add nothing. */
                fake.vendor = id.vendor;
                fake.device = id.device;
                fake.subsystem_vendor = id.subvendor;
                fake.subsystem_device = id.subdevice;
                fake.class = id.class;
                if (driver_matches(drv, &fake))
                        return -EEXIST;
        } else if (data != 0)
                return -EINVAL;         /* every id_table entry has driver_data 0 */

        drv->dynids = xrealloc(drv->dynids, drv->n_dynids + 1, sizeof(*drv->dynids));
        drv->dynids[drv->n_dynids++] = id;

        /* driver_attach(): every unbound device that now matches is probed. */
        for (size_t i = 0; i < sim.n_devices; i++) {
                struct sim_device *d = sim.devices[i];

                if (!d->present || d->driver || d->busy || !driver_matches(drv, d))
                        continue;
                if (dma_configure(drv, d) < 0)
                        continue;
                (void) driver_probe(drv, d, probe_fault_stops(d));
        }
        return 0;
}

int store_remove_id(struct sim_driver *drv, const char *buf, size_t len)
{
        unsigned long data;
        struct sim_id id;
        int n;

        n = parse_id_fields(buf, len, &id, &data);
        if (n < 2)
                return -EINVAL;
        if (n < 5)
                id.class = id.class_mask = 0;
        for (size_t i = 0; i < drv->n_dynids; i++) {
                struct sim_id *e = &drv->dynids[i];

                if (e->vendor != id.vendor || e->device != id.device)
                        continue;
                if (id.subvendor != PCI_ANY_ID && e->subvendor != id.subvendor)
                        continue;
                if (id.subdevice != PCI_ANY_ID && e->subdevice != id.subdevice)
                        continue;
                if (id.class_mask && (e->class != id.class || e->class_mask != id.class_mask))
                        continue;
                memmove(e, e + 1, (drv->n_dynids - i - 1) * sizeof(*e));
                drv->n_dynids--;
                return 0;
        }
        return -ENODEV;
}

/* Gone from the bus: unbound, out of its group, VFs with it. */
static void device_unplug(struct sim_device *d)
{
        if (!d->present)
                return;
        for (unsigned i = 0; i < d->numvfs; i++) {
                struct sim_device *vf = device_vf(d, i);

                if (vf)
                        device_unplug(vf);
        }
        d->numvfs = 0;
        device_set_driver(d, NULL);
        free(d->driver_override);
        d->driver_override = NULL;
        d->present = false;
        d->group = -1;
}

static void sriov_disable(struct sim_device *pf)
{
        for (unsigned i = 0; i < pf->numvfs; i++) {
                struct sim_device *vf = device_vf(pf, i);

                if (vf)
                        device_unplug(vf);
        }
        pf->numvfs = 0;
}

static struct sim_device *vf_new(struct sim_device *pf, unsigned i)
{
        struct sim_device *vf = calloc(1, sizeof(*vf));

        if (!vf)
                abort();
        (void) vf_address(pf, i, vf->address, sizeof(vf->address));
        (void) parse_address(vf->address, &vf->domain, &vf->bus, &vf->slot, &vf->func);
        vf->vendor = pf->vendor;
        vf->device = pf->vf_device;
        vf->subsystem_vendor = pf->subsystem_vendor;
        vf->subsystem_device = pf->subsystem_device;
        vf->revision = pf->revision;
        vf->class = pf->class;
        vf->pcie = pf->pcie;
        vf->numa_node = pf->numa_node;
        vf->pf = pf;
        vf->vf_index = i;
        vf->lat = sim.lat;
        vf->topo_group = -1;
        vf->vf_group = vf->vf_group_start = -1;
        return device_add(vf);
}

/* pci_iov_add_virtfn(), up to its virtfnN link: VF i on the bus, in its group. */
static struct sim_device *vf_add(struct sim_device *pf, unsigned i)
{
        struct sim_device *vf = device_vf(pf, i) ?: vf_new(pf, i);

        vf->present = true;
        vf->adding = true;
        vf->driver = NULL;
        vf->vfio_index = -1;
        vf->busy = false;
        vf->enabled = false;
        if (!sim.iommu)
                vf->group = -1;
        else if (pf->vf_group >= 0)
                vf->group = pf->vf_group;
        else if (pf->vf_group_start >= 0)
                vf->group = pf->vf_group_start + (int) i;
        else
                vf->group = group_lowest_free();
        pf->numvfs = i + 1;
        return vf;
}

/* pci_bus_add_device(): drivers may match the VF now, and it may autoprobe. */
static void vf_added(struct sim_device *pf, struct sim_device *vf)
{
        vf->adding = false;
        if (pf->sriov_drivers_autoprobe)
                device_autoprobe(vf);
}

/* The topology's VFs, there at once. */
int sriov_enable(struct sim_device *pf, unsigned n)
{
        for (unsigned i = 0; i < n; i++)
                vf_added(pf, vf_add(pf, i));
        return 0;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Sleeps, d busy, until t on the monotonic clock: the kernel's pace is its
 * own, whatever time the sim's other threads keep us from the model lock.
 */
static int device_sleep_until(struct sim_device *d, int64_t t)
{
        int64_t left = t - now_ms();
        int r;

        r = device_sleep(d, left > 0 ? (int) left : 0);
        if (r >= 0 && !d->present)
                r = -ENODEV;
        return r;
}

/*
 * The PF driver's sriov_configure(pf, n), its lock held throughout: the
 * kernel adds one VF after the other, each taking its time, half of it
 * before the VF's virtfnN link appears (pci_device_add()) and half before
 * drivers may bind it (pci_bus_add_device()). A VF is in sysfs, and can
 * be read, while the write still makes the next ones.
 */
static int sriov_enable_slowly(struct sim_device *pf, unsigned n)
{
        int64_t start = now_ms(), ms = pf->lat.sriov_vf;
        int r;

        for (unsigned i = 0; i < n; i++) {
                struct sim_device *vf;

                r = device_sleep_until(pf, start + (int64_t) i * ms + ms / 2);
                if (r < 0)
                        return r;
                vf = vf_add(pf, i);
                r = device_sleep_until(pf, start + (int64_t) (i + 1) * ms);
                if (r < 0)
                        return r;
                vf_added(pf, vf);
        }
        return 0;
}

int store_sriov_numvfs(struct sim_device *d, const char *buf, size_t len)
{
        unsigned long long n;
        int r;

        r = kstrtoul(buf, len, &n);
        if (r < 0)
                return r;
        if (n > 0xffff)
                return -ERANGE;         /* kstrtou16 */
        if (n > d->totalvfs)
                return -ERANGE;
        r = device_lock_wait(d);
        if (r < 0)
                return r;
        if (n == d->numvfs)
                return 0;
        if (!d->driver || !d->driver->sriov_configure)
                return -ENOENT;         /* "no driver bound to device; cannot configure SR-IOV" */
        if (n == 0) {
                sriov_disable(d);
                return 0;
        }
        if (d->numvfs)
                return -EBUSY;
        return sriov_enable_slowly(d, n);
}

int store_sriov_autoprobe(struct sim_device *d, const char *buf, size_t len)
{
        bool b;
        int r;

        r = kstrtobool(buf, len, &b);
        if (r < 0)
                return r;
        d->sriov_drivers_autoprobe = b;
        return 0;
}

/* A bridge's subtree: the devices on its secondary..subordinate buses. */
static bool device_behind(const struct sim_device *bridge, const struct sim_device *d)
{
        return bridge->secondary_bus && d->domain == bridge->domain &&
               d->bus >= bridge->secondary_bus && d->bus <= bridge->subordinate_bus;
}

int store_remove(struct sim_device *d, const char *buf, size_t len)
{
        unsigned long long v;
        int r;

        r = kstrtoul(buf, len, &v);
        if (r < 0)
                return r;
        if (v == 0)
                return 0;
        r = device_lock_wait(d);
        if (r < 0)
                return r == -ENODEV ? 0 : r;
        for (size_t i = 0; i < sim.n_devices; i++)
                if (device_behind(d, sim.devices[i]))
                        device_unplug(sim.devices[i]);
        device_unplug(d);
        return 0;
}

/* A new pci_dev for a removed topology device: nothing of the old one. */
static bool device_replug(struct sim_device *d)
{
        if (d->present || device_is_vf(d))
                return false;
        d->present = true;
        d->driver = NULL;
        d->vfio_index = -1;
        d->busy = false;
        d->enabled = false;
        d->numvfs = 0;
        d->sriov_drivers_autoprobe = true;
        d->group = -1;
        if (sim.iommu && d->topo_group >= 0) {
                /* Join what is left of its group, else a fresh lowest id. */
                for (size_t i = 0; i < sim.n_devices && d->group < 0; i++) {
                        struct sim_device *m = sim.devices[i];

                        if (m != d && m->present && m->topo_group == d->topo_group && m->group >= 0)
                                d->group = m->group;
                }
                if (d->group < 0)
                        d->group = group_lowest_free();
        }
        return true;
}

static void rescan_range(unsigned domain, unsigned lo, unsigned hi)
{
        _cleanup_free_ struct sim_device **added = xrealloc(NULL, sim.n_devices, sizeof(*added));
        size_t n = 0;

        for (size_t i = 0; i < sim.n_devices; i++) {
                struct sim_device *d = sim.devices[i];

                if (d->domain == domain && d->bus >= lo && d->bus <= hi && device_replug(d))
                        added[n++] = d;
        }
        /* Probed after all are back, as pci_bus_add_devices() does. */
        for (size_t i = 0; i < n; i++)
                device_autoprobe(added[i]);
}

int store_bus_rescan(const char *buf, size_t len)
{
        unsigned long long v;
        int r;

        r = kstrtoul(buf, len, &v);
        if (r < 0)
                return r;
        if (v)
                rescan_range(0, 0, 0xff);
        for (size_t i = 0; v && i < sim.n_devices; i++)
                if (sim.devices[i]->domain != 0)
                        rescan_range(sim.devices[i]->domain, 0, 0xff);
        return 0;
}

/* devices/<B>/rescan: that device's bus and what hangs below it. */
int store_dev_rescan(struct sim_device *d, const char *buf, size_t len)
{
        unsigned long long v;
        int r;

        r = kstrtoul(buf, len, &v);
        if (r < 0)
                return r;
        if (!v)
                return 0;
        rescan_range(d->domain, d->bus, d->bus);
        for (size_t i = 0; i < sim.n_devices; i++) {
                struct sim_device *b = sim.devices[i];

                if (b->present && b->domain == d->domain && b->bus == d->bus && b->secondary_bus)
                        rescan_range(b->domain, b->secondary_bus, b->subordinate_bus);
        }
        return 0;
}

int store_reset(struct sim_device *d, const char *buf, size_t len)
{
        unsigned long long v;
        int r;

        r = kstrtoul(buf, len, &v);
        if (r < 0)
                return r;
        if (v != 1)
                return -EINVAL;
        return device_lock_wait(d);
}

int store_enable(struct sim_device *d, const char *buf, size_t len)
{
        bool b;
        int r;

        r = kstrtobool(buf, len, &b);
        if (r < 0)
                return r;
        r = device_lock_wait(d);
        if (r < 0)
                return r;
        if (!b && !d->enabled)
                return -EIO;
        d->enabled = b;
        return 0;
}
