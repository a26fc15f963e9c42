/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reads a topology file (tests/hosts/README.md) into the model. Parsing is
 * strict: a typo in a test host must fail loudly, not silently give a
 * different machine.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

struct ctx {
        char *err;
        size_t errlen;
        char where[96];         /* "devices[3] (0000:03:00.0)" */
};

static int fail(struct ctx *c, const char *fmt, ...) _printf_(2, 3);
static int fail(struct ctx *c, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (c->where[0])
                snprintf(c->err, c->errlen, "%s: %s", c->where, msg);
        else
                snprintf(c->err, c->errlen, "%s", msg);
        return -EINVAL;
}

/* Keys starting with '_' are comments. */
static int check_keys(struct ctx *c, json_t *obj, const char *const *known)
{
        const char *key;
        json_t *v;

        if (!json_is_object(obj))
                return fail(c, "expected an object");
        json_object_foreach(obj, key, v) {
                bool ok = key[0] == '_';

                for (size_t i = 0; known[i] && !ok; i++)
                        ok = streq(key, known[i]);
                if (!ok)
                        return fail(c, "unknown key \"%s\"", key);
        }
        return 0;
}

static int get_bool(struct ctx *c, json_t *obj, const char *key, bool def, bool *out)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v)) {
                *out = def;
                return 0;
        }
        if (!json_is_boolean(v))
                return fail(c, "\"%s\" must be true or false", key);
        *out = json_is_true(v);
        return 0;
}

static int get_int(struct ctx *c, json_t *obj, const char *key, long long min, long long max,
                   long long def, long long *out)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v)) {
                *out = def;
                return 0;
        }
        if (!json_is_integer(v))
                return fail(c, "\"%s\" must be an integer", key);
        *out = json_integer_value(v);
        if (*out < min || *out > max)
                return fail(c, "\"%s\" is %lld, out of range %lld..%lld", key, *out, min, max);
        return 0;
}

/* A hex id: a string "0x8086" (as sysfs prints it) or an integer. */
static int parse_hex(const char *s, unsigned long max, unsigned long *out)
{
        char *end;

        if (strncmp(s, "0x", 2) != 0 || !s[2])
                return -EINVAL;
        errno = 0;
        *out = strtoul(s + 2, &end, 16);
        if (errno || *end || *out > max)
                return -EINVAL;
        return 0;
}

static int get_hex(struct ctx *c, json_t *obj, const char *key, bool required, unsigned long max,
                   unsigned long def, unsigned long *out)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v)) {
                if (required)
                        return fail(c, "missing \"%s\"", key);
                *out = def;
                return 0;
        }
        if (json_is_integer(v) && json_integer_value(v) >= 0 && (unsigned long) json_integer_value(v) <= max) {
                *out = json_integer_value(v);
                return 0;
        }
        if (!json_is_string(v) || parse_hex(json_string_value(v), max, out) < 0)
                return fail(c, "\"%s\" must be a hex string like \"0x%0*lx\"", key,
                            max > 0xffff ? 6 : 4, def);
        return 0;
}

static int get_string(struct ctx *c, json_t *obj, const char *key, bool required, char **out)
{
        json_t *v = json_object_get(obj, key);

        *out = NULL;
        if (!v || json_is_null(v)) {
                if (required)
                        return fail(c, "missing \"%s\"", key);
                return 0;
        }
        if (!json_is_string(v) || !json_string_value(v)[0])
                return fail(c, "\"%s\" must be a non-empty string", key);
        *out = xstrdup(json_string_value(v));
        return 0;
}

/* "vvvv:dddd" */
static int parse_id(const char *s, struct sim_id *id)
{
        unsigned v, d;
        int n = -1;

        if (sscanf(s, "%4x:%4x%n", &v, &d, &n) != 2 || n != 9 || s[n])
                return -EINVAL;
        *id = (struct sim_id) {
                .vendor = v, .device = d,
                .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID,
        };
        return 0;
}

static int load_driver(struct ctx *c, json_t *o)
{
        static const char *const keys[] = {
                "name", "ids", "vfio_variant", "driver_managed_dma", "sriov", NULL };
        struct sim_driver *drv;
        json_t *ids, *v;
        size_t i;
        int r;

        r = check_keys(c, o, keys);
        if (r < 0)
                return r;
        drv = calloc(1, sizeof(*drv));
        if (!drv)
                abort();
        sim.drivers = xrealloc(sim.drivers, sim.n_drivers + 1, sizeof(*sim.drivers));
        sim.drivers[sim.n_drivers++] = drv;

        r = get_string(c, o, "name", true, &drv->name);
        if (r < 0)
                return r;
        for (i = 0; i + 1 < sim.n_drivers; i++)
                if (streq(sim.drivers[i]->name, drv->name))
                        return fail(c, "duplicate driver \"%s\"", drv->name);

        ids = json_object_get(o, "ids");
        if (ids && !json_is_array(ids))
                return fail(c, "\"ids\" must be an array of \"vvvv:dddd\"");
        drv->ids = xrealloc(NULL, json_array_size(ids), sizeof(*drv->ids));
        json_array_foreach(ids, i, v) {
                if (!json_is_string(v) || parse_id(json_string_value(v), &drv->ids[i]) < 0)
                        return fail(c, "\"ids\"[%zu] must be \"vvvv:dddd\" (hex)", i);
                drv->n_ids++;
        }

        r = get_bool(c, o, "vfio_variant", false, &drv->vfio);
        if (r < 0)
                return r;
        /* vfio-pci's table is override-only; variants' tables are too. */
        if (streq(drv->name, "vfio-pci"))
                drv->vfio = true;
        drv->override_only = drv->vfio;
        r = get_bool(c, o, "driver_managed_dma",
                     drv->vfio || streq(drv->name, "pci-stub") || streq(drv->name, "pcieport"),
                     &drv->dma_managed);
        if (r < 0)
                return r;
        return get_bool(c, o, "sriov", !drv->dma_managed, &drv->sriov_configure);
}

static int load_net(struct ctx *c, struct sim_device *d, json_t *arr)
{
        static const char *const keys[] = { "name", "operstate", "address", "default_route", NULL };
        static const char *const states[] = {
                "up", "down", "unknown", "dormant", "lowerlayerdown", "notpresent", "testing", NULL };
        json_t *o;
        size_t i;
        int r;

        if (!json_is_array(arr))
                return fail(c, "\"net\" must be an array");
        d->net = xrealloc(NULL, json_array_size(arr), sizeof(*d->net));
        json_array_foreach(arr, i, o) {
                struct sim_net *n = &d->net[d->n_net++];
                bool ok = false;

                *n = (struct sim_net) {};
                r = check_keys(c, o, keys);
                if (r < 0)
                        return r;
                r = get_string(c, o, "name", true, &n->name);
                if (r < 0)
                        return r;
                r = get_string(c, o, "operstate", false, &n->operstate);
                if (r < 0)
                        return r;
                if (!n->operstate)
                        n->operstate = xstrdup("up");
                for (size_t k = 0; states[k] && !ok; k++)
                        ok = streq(states[k], n->operstate);
                if (!ok)
                        return fail(c, "net \"%s\": bad operstate \"%s\"", n->name, n->operstate);
                r = get_string(c, o, "address", false, &n->mac);
                if (r < 0)
                        return r;
                if (!n->mac)
                        n->mac = xasprintf("52:54:00:%02x:%02x:%02x", d->bus, d->slot << 3 | d->func,
                                           (unsigned) i);
                r = get_bool(c, o, "default_route", false, &n->default_route);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_block(struct ctx *c, struct sim_device *d, json_t *arr)
{
        static const char *const keys[] = { "name", "mounts", NULL };
        json_t *o, *m, *v;
        size_t i, j;
        int r;

        if (!json_is_array(arr))
                return fail(c, "\"block\" must be an array");
        d->block = xrealloc(NULL, json_array_size(arr), sizeof(*d->block));
        json_array_foreach(arr, i, o) {
                struct sim_block *b = &d->block[d->n_block++];

                *b = (struct sim_block) {};
                r = check_keys(c, o, keys);
                if (r < 0)
                        return r;
                r = get_string(c, o, "name", true, &b->name);
                if (r < 0)
                        return r;
                if (strchr(b->name, '/'))
                        return fail(c, "block name \"%s\" contains '/'", b->name);
                m = json_object_get(o, "mounts");
                if (m && !json_is_array(m))
                        return fail(c, "block \"%s\": \"mounts\" must be an array of paths", b->name);
                b->mounts = xrealloc(NULL, json_array_size(m), sizeof(char *));
                json_array_foreach(m, j, v) {
                        /* null: a partition nothing mounts (an LVM PV, a RAID member). */
                        if (json_is_null(v)) {
                                b->mounts[b->n_mounts++] = NULL;
                                continue;
                        }
                        if (!json_is_string(v) || (json_string_value(v)[0] != '/' &&
                                                   strcmp(json_string_value(v), "[SWAP]") != 0))
                                return fail(c, "block \"%s\": mounts must be absolute paths "
                                               "(or \"[SWAP]\", or null)", b->name);
                        b->mounts[b->n_mounts++] = xstrdup(json_string_value(v));
                }
        }
        return 0;
}

static int load_sriov(struct ctx *c, struct sim_device *d, json_t *o)
{
        unsigned long ul;
        long long ll;
        int r;

        r = get_int(c, o, "sriov_totalvfs", 0, 255, 0, &ll);
        if (r < 0)
                return r;
        d->totalvfs = ll;
        r = get_int(c, o, "sriov_numvfs", 0, d->totalvfs, 0, &ll);
        if (r < 0)
                return r;
        d->topo_numvfs = ll;
        r = get_hex(c, o, "vf_device", d->totalvfs > 0, 0xffff, 0, &ul);
        if (r < 0)
                return r;
        d->vf_device = ul;
        r = get_int(c, o, "vf_offset", 1, 0xffff, 16, &ll);
        if (r < 0)
                return r;
        d->vf_offset = ll;
        r = get_int(c, o, "vf_stride", 1, 0xff, 1, &ll);
        if (r < 0)
                return r;
        d->vf_stride = ll;
        r = get_int(c, o, "vf_group", -1, 1 << 20, -1, &ll);
        if (r < 0)
                return r;
        d->vf_group = ll;
        r = get_int(c, o, "vf_group_start", -1, 1 << 20, -1, &ll);
        if (r < 0)
                return r;
        d->vf_group_start = ll;
        if (d->vf_group >= 0 && d->vf_group_start >= 0)
                return fail(c, "\"vf_group\" and \"vf_group_start\" exclude each other");
        if (d->totalvfs == 0 && (json_object_get(o, "vf_device") || json_object_get(o, "vf_offset") ||
                                 json_object_get(o, "vf_stride")))
                return fail(c, "VF keys given but \"sriov_totalvfs\" is 0");
        d->sriov_drivers_autoprobe = true;
        return 0;
}

/* "latency": {"unbind": MS, "probe": MS, "sriov_vf": MS}, each optional. */
static int load_latency(struct ctx *c, json_t *o, const struct sim_latency *def, struct sim_latency *out)
{
        static const char *const keys[] = { "unbind", "probe", "sriov_vf", NULL };
        long long v;
        int r;

        *out = *def;
        if (!o)
                return 0;
        r = check_keys(c, o, keys);
        if (r < 0)
                return r;
        if ((r = get_int(c, o, "unbind", 0, 60000, def->unbind, &v)) < 0)
                return r;
        out->unbind = (int) v;
        if ((r = get_int(c, o, "probe", 0, 60000, def->probe, &v)) < 0)
                return r;
        out->probe = (int) v;
        if ((r = get_int(c, o, "sriov_vf", 0, 60000, def->sriov_vf, &v)) < 0)
                return r;
        out->sriov_vf = (int) v;
        return 0;
}

static int load_device(struct ctx *c, json_t *o, size_t index)
{
        static const char *const keys[] = {
                "address", "vendor", "device", "class", "subsystem_vendor", "subsystem_device",
                "revision", "header_type", "multifunction", "pcie", "pcie_type", "driver",
                "driver_override", "group", "boot_vga", "numa_node", "sriov_totalvfs",
                "sriov_numvfs", "vf_device", "vf_offset", "vf_stride", "vf_group",
                "vf_group_start", "secondary_bus", "subordinate_bus", "net", "block",
                "reset_method", "latency", NULL };
        _cleanup_free_ char *address = NULL, *driver = NULL;
        struct sim_device *d;
        unsigned long ul;
        long long ll;
        json_t *v;
        int r;

        snprintf(c->where, sizeof(c->where), "devices[%zu]", index);
        r = check_keys(c, o, keys);
        if (r < 0)
                return r;
        r = get_string(c, o, "address", true, &address);
        if (r < 0)
                return r;
        snprintf(c->where, sizeof(c->where), "devices[%zu] (%.20s)", index, address);
        d = calloc(1, sizeof(*d));
        if (!d)
                abort();
        if (parse_address(address, &d->domain, &d->bus, &d->slot, &d->func) < 0) {
                free(d);
                return fail(c, "bad address \"%s\" (want DDDD:BB:DD.F, lowercase hex)", address);
        }
        if (device_find(address)) {
                free(d);
                return fail(c, "duplicate address %s", address);
        }
        snprintf(d->address, sizeof(d->address), "%s", address);
        d->present = true;
        d->vfio_index = -1;
        d->vf_group = d->vf_group_start = -1;
        device_add(d);

        if ((r = get_hex(c, o, "vendor", true, 0xffff, 0, &ul)) < 0)
                return r;
        d->vendor = ul;
        if ((r = get_hex(c, o, "device", true, 0xffff, 0, &ul)) < 0)
                return r;
        d->device = ul;
        if ((r = get_hex(c, o, "class", true, 0xffffff, 0, &ul)) < 0)
                return r;
        d->class = ul;
        if ((r = get_hex(c, o, "subsystem_vendor", false, 0xffff, d->vendor, &ul)) < 0)
                return r;
        d->subsystem_vendor = ul;
        if ((r = get_hex(c, o, "subsystem_device", false, 0xffff, d->device, &ul)) < 0)
                return r;
        d->subsystem_device = ul;
        if ((r = get_hex(c, o, "revision", false, 0xff, 0, &ul)) < 0)
                return r;
        d->revision = ul;
        if ((r = get_int(c, o, "header_type", 0, 2, 0, &ll)) < 0)
                return r;
        d->header_type = ll;
        if ((r = get_bool(c, o, "multifunction", false, &d->multifunction)) < 0)
                return r;
        if ((r = get_bool(c, o, "pcie", false, &d->pcie)) < 0)
                return r;
        /* Root port for a bridge, endpoint otherwise (§4 port types). */
        if ((r = get_int(c, o, "pcie_type", 0, 0xa, d->header_type == 1 ? 4 : 0, &ll)) < 0)
                return r;
        d->pcie_type = ll;
        if ((r = get_bool(c, o, "boot_vga", false, &d->boot_vga)) < 0)
                return r;
        if (d->boot_vga && (d->class >> 16) != 0x03)
                return fail(c, "\"boot_vga\" on a device that is not a display controller");
        if ((r = get_int(c, o, "numa_node", -1, 1024, -1, &ll)) < 0)
                return r;
        d->numa_node = ll;
        /* The kernel's reset methods; "" is a device with none (the file is then absent). */
        v = json_object_get(o, "reset_method");
        if (v && !json_is_null(v)) {
                if (!json_is_string(v) || strchr(json_string_value(v), '\n'))
                        return fail(c, "\"reset_method\" must be a string of method names "
                                       "(\"flr bus\"), or \"\" for none");
                d->reset_method = xstrdup(json_string_value(v));
        }
        if ((r = get_int(c, o, "secondary_bus", 0, 255, 0, &ll)) < 0)
                return r;
        d->secondary_bus = ll;
        if ((r = get_int(c, o, "subordinate_bus", 0, 255, d->secondary_bus, &ll)) < 0)
                return r;
        d->subordinate_bus = ll;
        if (d->secondary_bus && !device_is_bridge(d))
                return fail(c, "\"secondary_bus\" on a device that is not a bridge (header_type 0)");
        if (d->subordinate_bus < d->secondary_bus)
                return fail(c, "\"subordinate_bus\" below \"secondary_bus\"");

        v = json_object_get(o, "group");
        if (sim.iommu && !v)
                return fail(c, "missing \"group\" (\"iommu\" is true)");
        if (!sim.iommu && v)
                return fail(c, "\"group\" given but \"iommu\" is false");
        /* null: a device the IOMMU does not cover (virtio-iommu leaves the
         * devices behind a pcie-pci-bridge without a group). */
        if (v && json_is_null(v))
                ll = -1;
        else if ((r = get_int(c, o, "group", 0, 1 << 20, -1, &ll)) < 0)
                return r;
        d->group = d->topo_group = ll;

        if ((r = get_string(c, o, "driver", false, &driver)) < 0)
                return r;
        if (driver) {
                d->topo_driver = driver_find(driver);
                if (!d->topo_driver)
                        return fail(c, "driver \"%s\" is not in \"drivers\"", driver);
                if (d->topo_driver->vfio && device_is_bridge(d))
                        return fail(c, "a bridge cannot be bound to %s", driver);
                if (d->topo_driver->vfio && !sim.iommu)
                        return fail(c, "%s needs \"iommu\": true", driver);
        }
        if ((r = get_string(c, o, "driver_override", false, &d->topo_override)) < 0)
                return r;
        d->driver_override = xstrdup(d->topo_override);

        if ((r = load_sriov(c, d, o)) < 0)
                return r;
        if (d->topo_numvfs && !(d->topo_driver && d->topo_driver->sriov_configure))
                return fail(c, "\"sriov_numvfs\" needs a bound driver that can enable SR-IOV");
        if ((v = json_object_get(o, "net")) && (r = load_net(c, d, v)) < 0)
                return r;
        if ((v = json_object_get(o, "block")) && (r = load_block(c, d, v)) < 0)
                return r;

        if ((r = load_latency(c, json_object_get(o, "latency"), &sim.lat, &d->lat)) < 0)
                return r;
        if ((d->n_net || d->n_block) && !d->topo_driver)
                return fail(c, "\"net\" and \"block\" need a \"driver\" (the driver creates them)");

        device_set_driver(d, d->topo_driver);
        return 0;
}

/* VF address ranges must not hit another device or another PF's VFs. */
static int check_vf_ranges(struct ctx *c)
{
        c->where[0] = '\0';
        for (size_t i = 0; i < sim.n_devices; i++) {
                struct sim_device *pf = sim.devices[i];

                for (unsigned k = 0; k < pf->totalvfs; k++) {
                        char a[16];

                        if (vf_address(pf, k, a, sizeof(a)) < 0)
                                return fail(c, "%s: VF %u is past bus ff", pf->address, k);
                        if (device_find(a))
                                return fail(c, "%s: VF %u would be at %s, which is taken", pf->address, k, a);
                        for (size_t j = 0; j < i; j++)
                                for (unsigned l = 0; l < sim.devices[j]->totalvfs; l++) {
                                        char b[16];

                                        vf_address(sim.devices[j], l, b, sizeof(b));
                                        if (streq(a, b))
                                                return fail(c, "VFs of %s and %s overlap at %s",
                                                            pf->address, sim.devices[j]->address, a);
                                }
                }
        }
        return 0;
}

static int check_net_names(struct ctx *c)
{
        c->where[0] = '\0';
        for (size_t i = 0; i < sim.n_devices; i++)
                for (size_t k = 0; k < sim.devices[i]->n_net; k++)
                        for (size_t j = 0; j <= i; j++)
                                for (size_t l = 0; l < (j == i ? k : sim.devices[j]->n_net); l++)
                                        if (streq(sim.devices[i]->net[k].name, sim.devices[j]->net[l].name))
                                                return fail(c, "interface \"%s\" is listed twice",
                                                            sim.devices[i]->net[k].name);
        return 0;
}

/* Whether a disk or partition of the topology is called name. */
static bool topology_block_exists(const char *name)
{
        for (size_t i = 0; i < sim.n_devices; i++)
                for (size_t k = 0; k < sim.devices[i]->n_block; k++) {
                        const struct sim_block *b = &sim.devices[i]->block[k];
                        char part[128];

                        if (streq(b->name, name))
                                return true;
                        for (size_t p = 0; p < b->n_mounts; p++) {
                                block_part_name(b, p, part, sizeof(part));
                                if (streq(part, name))
                                        return true;
                        }
                }
        return false;
}

static int load_strings(struct ctx *c, json_t *arr, const char *what, char ***ret, size_t *ret_n)
{
        json_t *v;
        size_t i;

        if (arr && !json_is_array(arr))
                return fail(c, "\"%s\" must be an array of strings", what);
        *ret = xrealloc(NULL, json_array_size(arr) + 1, sizeof(char *));
        *ret_n = 0;
        json_array_foreach(arr, i, v) {
                if (!json_is_string(v))
                        return fail(c, "\"%s\" must be an array of strings", what);
                (*ret)[(*ret_n)++] = xstrdup(json_string_value(v));
        }
        return 0;
}

/* "dm-N" (device-mapper: LVM, dm-crypt) or "mdN" (software RAID). */
static bool vblock_name_ok(const char *name)
{
        const char *digits = strncmp(name, "dm-", 3) == 0 ? name + 3
                             : strncmp(name, "md", 2) == 0 ? name + 2
                                                           : NULL;

        if (!digits || !*digits)
                return false;
        for (; *digits; digits++)
                if (*digits < '0' || *digits > '9')
                        return false;
        return true;
}

static int load_vblock(struct ctx *c, json_t *o, size_t idx)
{
        static const char *const keys[] = { "name", "dm_name", "slaves", "mounts", NULL };
        struct sim_vblock *v = &sim.vblocks[sim.n_vblocks];
        int r;

        snprintf(c->where, sizeof(c->where), "virtual_block[%zu]", idx);
        *v = (struct sim_vblock) {};
        sim.n_vblocks++;
        if (!json_is_object(o))
                return fail(c, "must be an object");
        r = check_keys(c, o, keys);
        if (r >= 0)
                r = get_string(c, o, "name", true, &v->name);
        if (r >= 0)
                r = get_string(c, o, "dm_name", false, &v->dm_name);
        if (r >= 0)
                r = load_strings(c, json_object_get(o, "slaves"), "slaves", &v->slaves, &v->n_slaves);
        if (r >= 0)
                r = load_strings(c, json_object_get(o, "mounts"), "mounts", &v->mounts, &v->n_mounts);
        if (r < 0)
                return r;
        if (!vblock_name_ok(v->name))
                return fail(c, "\"%s\" is no dm-N or mdN name", v->name);
        if ((v->dm_name != NULL) != (strncmp(v->name, "dm-", 3) == 0))
                return fail(c, "\"dm_name\" is for dm-N devices, and they need one");
        for (size_t i = 0; i + 1 < sim.n_vblocks; i++)
                if (streq(sim.vblocks[i].name, v->name))
                        return fail(c, "\"%s\" is listed twice", v->name);
        if (v->n_slaves == 0)
                return fail(c, "\"%s\" needs \"slaves\"", v->name);
        /* On disks, partitions or devices listed before it: no cycles. */
        for (size_t i = 0; i < v->n_slaves; i++) {
                const struct sim_vblock *under = vblock_find(v->slaves[i]);

                if ((!under || under == v) && !topology_block_exists(v->slaves[i]))
                        return fail(c, "slave \"%s\" is no disk, partition or earlier "
                                       "virtual_block", v->slaves[i]);
        }
        for (size_t i = 0; i < v->n_mounts; i++)
                if (v->mounts[i][0] != '/' && !streq(v->mounts[i], "[SWAP]"))
                        return fail(c, "mounts must be absolute paths (or \"[SWAP]\")");
        return 0;
}

static int load_vblocks(struct ctx *c, json_t *arr)
{
        json_t *v;
        size_t i;
        int r;

        if (!arr)
                return 0;
        if (!json_is_array(arr))
                return fail(c, "\"virtual_block\" must be an array");
        sim.vblocks = xrealloc(NULL, json_array_size(arr), sizeof(*sim.vblocks));
        json_array_foreach(arr, i, v) {
                r = load_vblock(c, v, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load(struct ctx *c, json_t *root)
{
        static const char *const keys[] = { "iommu", "drivers", "devices", "latency",
                                            "virtual_block", "root_source", NULL };
        static const struct sim_latency none;
        json_t *drivers, *devices, *v;
        size_t i;
        int r;

        r = check_keys(c, root, keys);
        if (r < 0)
                return r;
        r = get_bool(c, root, "iommu", true, &sim.iommu);
        if (r < 0)
                return r;
        r = load_latency(c, json_object_get(root, "latency"), &none, &sim.lat);
        if (r < 0)
                return r;
        drivers = json_object_get(root, "drivers");
        devices = json_object_get(root, "devices");
        if (!json_is_array(drivers))
                return fail(c, "\"drivers\" must be an array");
        if (!json_is_array(devices))
                return fail(c, "\"devices\" must be an array");
        json_array_foreach(drivers, i, v) {
                snprintf(c->where, sizeof(c->where), "drivers[%zu]", i);
                r = load_driver(c, v);
                if (r < 0)
                        return r;
        }
        json_array_foreach(devices, i, v) {
                r = load_device(c, v, i);
                if (r < 0)
                        return r;
        }
        r = check_vf_ranges(c);
        if (r < 0)
                return r;
        r = check_net_names(c);
        if (r < 0)
                return r;
        r = load_vblocks(c, json_object_get(root, "virtual_block"));
        if (r < 0)
                return r;
        c->where[0] = '\0';
        r = get_string(c, root, "root_source", false, &sim.root_source);
        if (r < 0)
                return r;

        /* VFs the topology starts with, created as the PF driver would. */
        for (i = 0; i < sim.n_devices; i++)
                if (sim.devices[i]->topo_numvfs && !device_is_vf(sim.devices[i]))
                        sriov_enable(sim.devices[i], sim.devices[i]->topo_numvfs);
        return 0;
}

int topology_load(const char *path, char *err, size_t errlen)
{
        struct ctx c = { .err = err, .errlen = errlen };
        json_error_t jerr;
        json_t *root;
        int r;

        root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                snprintf(err, errlen, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
                return -EINVAL;
        }
        r = load(&c, root);
        json_decref(root);
        return r;
}
