/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The model's data: devices, drivers, IOMMU groups, and lookups over them.
 * Device objects are never freed before exit (removed ones only lose
 * `present`), so a thread that slept with the lock released can still look
 * at the device it was working on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

struct sim sim = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .cond = PTHREAD_COND_INITIALIZER,
        .drivers_autoprobe = true,
};

static void oom(void)
{
        fputs("pcisim: out of memory\n", stderr);
        abort();
}

char *xstrdup(const char *s)
{
        char *r;

        if (!s)
                return NULL;
        r = strdup(s);
        if (!r)
                oom();
        return r;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *r;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&r, fmt, ap);
        va_end(ap);
        if (n < 0)
                oom();
        return r;
}

void *xrealloc(void *p, size_t n, size_t size)
{
        void *r;

        if (size && n > SIZE_MAX / size)
                oom();
        r = realloc(p, n * size ?: 1);
        if (!r)
                oom();
        return r;
}

/* The kernel's sysfs_streq(): equal, ignoring one trailing newline on buf. */
bool sysfs_streq(const char *buf, size_t len, const char *s)
{
        size_t n = strlen(s);

        if (len > 0 && buf[len - 1] == '\n')
                len--;
        return len == n && memcmp(buf, s, n) == 0;
}

/* A copy of buf up to the first newline or NUL. */
char *strndup_line(const char *buf, size_t len)
{
        size_t n = 0;
        char *r;

        while (n < len && buf[n] != '\n' && buf[n] != '\0')
                n++;
        r = strndup(buf, n);
        if (!r)
                oom();
        return r;
}

/* Strict DDDD:BB:DD.F, lowercase hex, as the kernel names devices. */
int parse_address(const char *s, unsigned *domain, unsigned *bus, unsigned *slot, unsigned *func)
{
        static const char pattern[] = "xxxx:xx:xx.x";
        unsigned v[4] = {};
        int field = 0;

        if (strlen(s) != sizeof(pattern) - 1)
                return -EINVAL;
        for (size_t i = 0; pattern[i]; i++) {
                char c = s[i];

                if (pattern[i] != 'x') {
                        if (c != pattern[i])
                                return -EINVAL;
                        field++;
                        continue;
                }
                if (c >= '0' && c <= '9')
                        v[field] = v[field] * 16 + (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v[field] = v[field] * 16 + (unsigned) (c - 'a' + 10);
                else
                        return -EINVAL;
        }
        if (v[2] > 0x1f || v[3] > 7)
                return -EINVAL;
        *domain = v[0];
        *bus = v[1];
        *slot = v[2];
        *func = v[3];
        return 0;
}

struct sim_device *device_find(const char *address)
{
        for (size_t i = 0; i < sim.n_devices; i++)
                if (sim.devices[i]->present && streq(sim.devices[i]->address, address))
                        return sim.devices[i];
        return NULL;
}

/* bus_find_device_by_name() on a written buffer. */
struct sim_device *device_find_buf(const char *buf, size_t len)
{
        for (size_t i = 0; i < sim.n_devices; i++)
                if (sim.devices[i]->present && sysfs_streq(buf, len, sim.devices[i]->address))
                        return sim.devices[i];
        return NULL;
}

struct sim_driver *driver_find(const char *name)
{
        for (size_t i = 0; i < sim.n_drivers; i++)
                if (streq(sim.drivers[i]->name, name))
                        return sim.drivers[i];
        return NULL;
}

/* Index of the first device whose address is not below `address`. */
size_t device_lower_bound(const char *address)
{
        size_t lo = 0, hi = sim.n_devices;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (strcmp(sim.devices[mid]->address, address) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* Takes ownership of d; keeps the array sorted by address. */
struct sim_device *device_add(struct sim_device *d)
{
        size_t i;

        sim.devices = xrealloc(sim.devices, sim.n_devices + 1, sizeof(*sim.devices));
        for (i = sim.n_devices; i > 0 && strcmp(sim.devices[i - 1]->address, d->address) > 0; i--)
                sim.devices[i] = sim.devices[i - 1];
        sim.devices[i] = d;
        sim.n_devices++;
        return d;
}

static void device_free(struct sim_device *d)
{
        if (!d)
                return;
        free(d->driver_override);
        free(d->topo_override);
        free(d->reset_method);
        for (size_t i = 0; i < d->n_net; i++) {
                free(d->net[i].name);
                free(d->net[i].operstate);
                free(d->net[i].mac);
        }
        free(d->net);
        for (size_t i = 0; i < d->n_block; i++) {
                free(d->block[i].name);
                for (size_t j = 0; j < d->block[i].n_mounts; j++)
                        free(d->block[i].mounts[j]);
                free(d->block[i].mounts);
        }
        free(d->block);
        free(d);
}

static void driver_free(struct sim_driver *drv)
{
        free(drv->name);
        free(drv->ids);
        free(drv->dynids);
        free(drv);
}

unsigned group_opens(int group)
{
        return group >= 0 && (size_t) group < sim.n_group_opens ? sim.group_opens[group] : 0;
}

int group_opens_add(int group, int delta)
{
        if (group < 0)
                return -EINVAL;
        if ((size_t) group >= sim.n_group_opens) {
                size_t n = (size_t) group + 1;
                unsigned *a = realloc(sim.group_opens, n * sizeof(*a));

                if (!a)
                        return -ENOMEM;
                memset(a + sim.n_group_opens, 0, (n - sim.n_group_opens) * sizeof(*a));
                sim.group_opens = a;
                sim.n_group_opens = n;
        }
        if (delta < 0 && sim.group_opens[group] < (unsigned) -delta)
                return -EINVAL;
        sim.group_opens[group] += (unsigned) delta;
        return 0;
}

void model_free(void)
{
        for (size_t i = 0; i < sim.n_devices; i++)
                device_free(sim.devices[i]);
        free(sim.devices);
        for (size_t i = 0; i < sim.n_drivers; i++)
                driver_free(sim.drivers[i]);
        free(sim.drivers);
        free(sim.log);
        free(sim.group_opens);
        sim.group_opens = NULL;
        sim.n_group_opens = 0;
        faults_free();
        vblocks_free();
        sim.devices = NULL;
        sim.drivers = NULL;
        sim.log = NULL;
        sim.n_devices = sim.n_drivers = 0;
}

static bool group_exists(int group)
{
        if (group < 0)
                return false;
        for (size_t i = 0; i < sim.n_devices; i++)
                if (sim.devices[i]->present && sim.devices[i]->group == group)
                        return true;
        return false;
}

/* ida_alloc(): group numbers are reused lowest first. */
int group_lowest_free(void)
{
        int g = 0;

        while (group_exists(g))
                g++;
        return g;
}

int vfio_index_alloc(void)
{
        for (int x = 0;; x++) {
                bool used = false;

                for (size_t i = 0; i < sim.n_devices && !used; i++)
                        used = sim.devices[i]->present && sim.devices[i]->vfio_index == x;
                if (!used)
                        return x;
        }
}

/* Bind (drv != NULL) or unbind, with what follows from it. */
void device_set_driver(struct sim_device *d, struct sim_driver *drv)
{
        d->driver = drv;
        d->vfio_index = drv && drv->vfio ? vfio_index_alloc() : -1;
        d->enabled = drv != NULL;
}

bool device_is_bridge(const struct sim_device *d)
{
        return d->header_type != 0;
}

bool device_is_vf(const struct sim_device *d)
{
        return d->pf != NULL;
}

/* VF i's routing ID is the PF's plus offset + i * stride (PCIe SR-IOV). */
int vf_address(const struct sim_device *pf, unsigned i, char *out, size_t outlen)
{
        unsigned rid = (pf->bus << 8 | pf->slot << 3 | pf->func) + pf->vf_offset + i * pf->vf_stride;

        if (rid > 0xffff)
                return -ERANGE;
        snprintf(out, outlen, "%04x:%02x:%02x.%x", pf->domain, rid >> 8, (rid >> 3) & 0x1f, rid & 7);
        return 0;
}

/* The VF object for index i of pf (present or not), or NULL. */
struct sim_device *device_vf(const struct sim_device *pf, unsigned i)
{
        for (size_t k = 0; k < sim.n_devices; k++)
                if (sim.devices[k]->pf == pf && sim.devices[k]->vf_index == i)
                        return sim.devices[k];
        return NULL;
}

/*
 * A device's interfaces and disks are the driver's creation: they exist
 * while the topology's (native) driver is bound, and vanish on unbind.
 */
bool device_children_visible(const struct sim_device *d)
{
        return d->present && d->driver && d->driver == d->topo_driver;
}
