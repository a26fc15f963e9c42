/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A guest as the state records it: name, QEMU pid, the definition it was
 * assigned with and the devices it owns. The definition is recorded with
 * every pool choice written into it (an <interface type='network'> that
 * took a VF becomes the <interface type='hostdev'> it amounts to), so
 * `qemu-args` and `status` work later from the state alone, without the
 * network files and without reading sysfs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "assign.h"
#include "qemu.h"
#include "vfnet.h"

int guest_new(vfioctl_ctx *ctx, const char *name, vfioctl_guest **ret)
{
        vfioctl_guest *g = calloc(1, sizeof(*g));

        if (!g)
                return -ENOMEM;
        g->n_ref = 1;
        g->ctx = vfioctl_ctx_ref(ctx);
        g->name = strdup(name);
        if (!g->name) {
                vfioctl_guest_unref(g);
                return -ENOMEM;
        }
        *ret = g;
        return 0;
}

static void guest_free(vfioctl_guest *g)
{
        for (size_t i = 0; i < g->n_devices; i++) {
                free((char *) g->devices[i].stub_driver);
                free((char *) g->devices[i].id);
        }
        free(g->devices);
        free(g->vf_nets);
        vfioctl_guest_def_unref(g->def);
        free(g->definition);
        free(g->name);
        vfioctl_ctx_unref(g->ctx);
        free(g);
}

DEFINE_PUBLIC_REF_UNREF(vfioctl_guest, vfioctl_guest, guest_free)

int guest_add_device(vfioctl_guest *g, const char *address, int group, enum vfioctl_role role,
                     bool managed, const char *stub_driver)
{
        struct vfioctl_guest_device *n, *d;

        n = reallocarray(g->devices, g->n_devices + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        g->devices = n;
        d = &n[g->n_devices];
        *d = (struct vfioctl_guest_device) { .group = group, .role = role, .managed = managed };
        snprintf(d->address, sizeof(d->address), "%s", address);
        if (stub_driver && !(d->stub_driver = strdup(stub_driver)))
                return -ENOMEM;
        g->n_devices++;
        return 0;
}

static int cmp_device(const void *a, const void *b)
{
        const struct vfioctl_guest_device *x = a, *y = b;

        return strcmp(x->address, y->address);
}

int guest_finish(vfioctl_guest *g)
{
        qsort_safe(g->devices, g->n_devices, sizeof(*g->devices), cmp_device);
        for (size_t i = 0; i < g->n_devices && g->def; i++) {
                struct vfioctl_guest_device *d = &g->devices[i];
                vfioctl_guest_hostdev *h;
                struct vfioctl_pci_addr a;
                const char *id;

                if (d->role != VFIOCTL_ROLE_ASSIGNED || vfioctl_pci_addr_parse(d->address, &a) < 0)
                        continue;
                h = vfioctl_guest_def_find_hostdev(g->def, &a);
                id = h && vfioctl_guest_hostdev_is_assigned(h) ? vfioctl_guest_hostdev_get_id(h)
                                                                : NULL;
                if (id && !(d->id = strdup(id)))
                        return -ENOMEM;
        }
        return 0;
}

bool guest_pid_alive(int pid)
{
        /* EPERM: it exists, it is just not ours to signal. */
        return pid <= 0 || kill(pid, 0) == 0 || errno == EPERM;
}

/* ------------------------------------------------------------------ */
/* The recorded definition                                             */

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDoc *, xmlFreeDoc);

static xmlNode *child_element(xmlNode *n, const char *name)
{
        for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST name))
                        return c;
        return NULL;
}

static void remove_children(xmlNode *n, const char *name)
{
        xmlNode *c;

        while ((c = child_element(n, name))) {
                xmlUnlinkNode(c);
                xmlFreeNode(c);
        }
}

static const char *driver_word(enum vfioctl_hostdev_driver d)
{
        return d == VFIOCTL_HOSTDEV_DRIVER_KVM ? "kvm" : d == VFIOCTL_HOSTDEV_DRIVER_XEN ? "xen" : "vfio";
}

/* <interface type='network'> -> the <interface type='hostdev'> it resolved to. */
static int rewrite_interface(xmlNode *n, vfioctl_guest_hostdev *h)
{
        char domain[8], bus[8], slot[8], function[8], note[300];
        xmlNode *driver, *source, *address;

        snprintf(domain, sizeof(domain), "0x%04x", h->addr.domain);
        snprintf(bus, sizeof(bus), "0x%02x", h->addr.bus);
        snprintf(slot, sizeof(slot), "0x%02x", h->addr.slot);
        snprintf(function, sizeof(function), "0x%x", h->addr.function);
        snprintf(note, sizeof(note), " taken from network '%s' ", h->network);

        remove_children(n, "driver");
        remove_children(n, "source");
        if (!xmlSetProp(n, BAD_CAST "type", BAD_CAST "hostdev") ||
            !xmlSetProp(n, BAD_CAST "managed", BAD_CAST(h->managed ? "yes" : "no")))
                return -ENOMEM;
        if (!xmlAddChild(n, xmlNewComment(BAD_CAST note)))
                return -ENOMEM;
        driver = xmlNewChild(n, NULL, BAD_CAST "driver", NULL);
        if (!driver || !xmlSetProp(driver, BAD_CAST "name", BAD_CAST driver_word(h->driver)))
                return -ENOMEM;
        if (h->driver_model && !xmlSetProp(driver, BAD_CAST "model", BAD_CAST h->driver_model))
                return -ENOMEM;
        if (h->group == VFIOCTL_GROUP_AUTO && !xmlSetProp(driver, BAD_CAST "group", BAD_CAST "auto"))
                return -ENOMEM;
        source = xmlNewChild(n, NULL, BAD_CAST "source", NULL);
        address = source ? xmlNewChild(source, NULL, BAD_CAST "address", NULL) : NULL;
        if (!address || !xmlSetProp(address, BAD_CAST "type", BAD_CAST "pci") ||
            !xmlSetProp(address, BAD_CAST "domain", BAD_CAST domain) ||
            !xmlSetProp(address, BAD_CAST "bus", BAD_CAST bus) ||
            !xmlSetProp(address, BAD_CAST "slot", BAD_CAST slot) ||
            !xmlSetProp(address, BAD_CAST "function", BAD_CAST function))
                return -ENOMEM;
        return 0;
}

/*
 * The recorder writes into a copy of the document the parser read, and
 * does not read the attributes again to find the entries: each
 * network entry knows which element of <devices> it was parsed from, so
 * the record is what the parser understood (issue 14 item 7: a
 * namespaced x:type= once made the two disagree).
 */
int guest_resolved_xml(vfioctl_guest_def *def, char **ret)
{
        _cleanup_(xmlFreeDocp) xmlDoc *doc = NULL;
        xmlNode *root, *devices;
        xmlChar *out = NULL;
        size_t k = 0, pos = 0;
        int len, r;

        if (!def->doc)
                return ctx_error(def->ctx, -EINVAL, "the guest definition has no document");
        doc = xmlCopyDoc(def->doc, 1);
        root = doc ? xmlDocGetRootElement(doc) : NULL;
        if (!root)
                return ctx_error(def->ctx, -ENOMEM, "out of memory");
        devices = xmlStrEqual(root->name, BAD_CAST "devices") ? root : child_element(root, "devices");

        /* Network entries come in document order (interfaces are parsed first). */
        for (xmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                for (; k < def->n_hostdevs; k++) {
                        vfioctl_guest_hostdev *h = def->hostdevs[k];

                        if (h->kind != VFIOCTL_HOSTDEV_NETWORK)
                                continue;
                        if (h->elem_pos != pos)
                                break;
                        if (h->ignored || !h->has_addr)
                                continue;
                        r = rewrite_interface(c, h);
                        if (r < 0)
                                return ctx_error(def->ctx, r, "out of memory");
                }
                pos++;
        }
        xmlDocDumpMemory(doc, &out, &len);
        if (!out)
                return ctx_error(def->ctx, -ENOMEM, "out of memory");
        *ret = strdup((const char *) out);
        xmlFree(out);
        return *ret ? 0 : -ENOMEM;
}

int guest_def_from_record(vfioctl_ctx *ctx, const char *name, const char *xml,
                          vfioctl_guest_def **ret)
{
        vfioctl_guest_def *def = NULL;
        int r;

        r = vfioctl_guest_def_new_from_string(ctx, xml, name, VFIOCTL_GUEST_PARSE_SKIP_NON_PCI,
                                              &def);
        if (r < 0)
                return r;
        /* Pool choices were written in; what is left were ordinary networks. */
        for (size_t i = 0; i < vfioctl_guest_def_n_hostdevs(def); i++)
                if (vfioctl_guest_hostdev_get_kind(vfioctl_guest_def_hostdev_at(def, i)) ==
                    VFIOCTL_HOSTDEV_NETWORK)
                        (void) vfioctl_guest_def_ignore_network(def, i);
        *ret = def;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Reading guests back                                                 */

VFIOCTL_EXPORT int vfioctl_guest_load(vfioctl_state *st, const char *name, vfioctl_guest **ret)
{
        struct vfioctl_state_device *rows = NULL;
        struct state_guest sg = {};
        vfioctl_guest *g = NULL;
        size_t n = 0;
        int r;

        if (!st || !name || !ret)
                return -EINVAL;
        r = state_guest_get(st, name, &sg);
        if (r == -ENOENT)
                return ctx_error_reason(st->ctx, VFIOCTL_REASON_NO_GUEST, -ENOENT,
                                        "there is no guest '%s' (nothing was assigned to it)",
                                        name);
        if (r < 0)
                return r;
        r = guest_new(st->ctx, name, &g);
        if (r < 0)
                goto out;
        g->pid = sg.pid;
        g->created_at = sg.created_at;
        g->definition = TAKE_PTR(sg.definition);
        if (g->definition) {
                r = guest_def_from_record(st->ctx, name, g->definition, &g->def);
                if (r < 0) {
                        ctx_error(st->ctx, r, "guest '%s': its recorded definition does not "
                                              "parse: %s", name, vfioctl_ctx_errmsg(st->ctx));
                        goto out;
                }
        }
        r = vfioctl_state_get_devices(st, name, &rows, &n);
        for (size_t i = 0; i < n && r >= 0; i++)
                r = guest_add_device(g, rows[i].address, rows[i].group, rows[i].role,
                                     rows[i].managed, rows[i].stub_driver);
        if (r >= 0)
                r = guest_finish(g);
        if (r >= 0)
                r = vfnet_load(st, name, &g->vf_nets, &g->n_vf_nets);
out:
        vfioctl_state_devices_free(rows, n);
        state_guest_clear(&sg);
        if (r < 0) {
                vfioctl_guest_unref(g);
                return r;
        }
        *ret = g;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_guest_list(vfioctl_state *st, char ***ret)
{
        if (!st || !ret)
                return -EINVAL;
        return state_guest_names(st, ret);
}

VFIOCTL_EXPORT const char *vfioctl_guest_get_name(vfioctl_guest *g)
{
        return g ? g->name : NULL;
}

VFIOCTL_EXPORT int vfioctl_guest_get_pid(vfioctl_guest *g)
{
        return g ? g->pid : 0;
}

VFIOCTL_EXPORT int vfioctl_guest_set_pid(vfioctl_state *st, const char *name, int pid)
{
        struct state_guest sg = {};
        int r;

        if (!st || !name || pid <= 0)
                return -EINVAL;
        if (st->lock_fd < 0)
                return ctx_error(st->ctx, -ENOLCK, "the state must be locked (vfioctl_state_lock) "
                                                   "first");
        r = state_guest_get(st, name, &sg);
        if (r == -ENOENT)
                return ctx_error_reason(st->ctx, VFIOCTL_REASON_NO_GUEST, -ENOENT,
                                        "there is no guest '%s' to record a pid for: it owns "
                                        "nothing",
                                        name);
        if (r < 0)
                return r;
        r = state_guest_put(st, name, pid, sg.definition, sg.qemu_args);
        state_guest_clear(&sg);
        return r;
}

VFIOCTL_EXPORT bool vfioctl_guest_is_alive(vfioctl_guest *g)
{
        assert_return(g, false);
        return guest_pid_alive(g->pid);
}

VFIOCTL_EXPORT int64_t vfioctl_guest_get_created_at(vfioctl_guest *g)
{
        return g ? g->created_at : 0;
}

VFIOCTL_EXPORT vfioctl_guest_def *vfioctl_guest_get_def(vfioctl_guest *g)
{
        return g ? g->def : NULL;
}

VFIOCTL_EXPORT const char *vfioctl_guest_get_definition(vfioctl_guest *g)
{
        return g ? g->definition : NULL;
}

VFIOCTL_EXPORT size_t vfioctl_guest_n_devices(vfioctl_guest *g)
{
        return g ? g->n_devices : 0;
}

VFIOCTL_EXPORT const struct vfioctl_guest_device *vfioctl_guest_device_at(vfioctl_guest *g,
                                                                         size_t i)
{
        return g && i < g->n_devices ? &g->devices[i] : NULL;
}

static bool guest_has_assigned(vfioctl_guest *g, const struct vfioctl_pci_addr *a)
{
        char name[VFIOCTL_PCI_ADDR_MAX];

        vfioctl_pci_addr_format(a, name);
        for (size_t i = 0; i < g->n_devices; i++)
                if (streq(g->devices[i].address, name))
                        return g->devices[i].role == VFIOCTL_ROLE_ASSIGNED;
        return false;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(char **, vfioctl_qemu_args_free);

VFIOCTL_EXPORT int vfioctl_guest_qemu_args(vfioctl_guest *g, unsigned flags, char ***ret)
{
        _cleanup_(vfioctl_qemu_args_freep) char **v = NULL;
        size_t n = 0, n_hostdevs;
        int r;

        if (!g || !ret)
                return -EINVAL;
        n_hostdevs = g->def ? g->def->n_hostdevs : 0;
        v = calloc(2 + 2 * n_hostdevs + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n_hostdevs; i++) {
                vfioctl_guest_hostdev *h = g->def->hostdevs[i];

                /* Unassigned entries and what was released since emit nothing. */
                if (!h->assigned || h->ignored || !h->has_addr || !guest_has_assigned(g, &h->addr))
                        continue;
                if ((flags & VFIOCTL_QEMU_IOMMUFD) && n == 0 &&
                    (!(v[n++] = strdup("-object")) || !(v[n++] = strdup("iommufd,id=iommufd0"))))
                        return -ENOMEM;
                if (!(v[n++] = strdup("-device")))
                        return -ENOMEM;
                r = qemu_hostdev_device(h, flags, &v[n]);
                if (r < 0)
                        return r;
                n++;
        }
        *ret = TAKE_PTR(v);
        return 0;
}
