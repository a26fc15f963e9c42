/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hostdev pools (DESIGN rule 8): the libvirt networks an assign was
 * given, the PCI functions a pool hands out, and which of them an
 * interface takes: the first one no guest has (the state's rows say who).
 *
 * A <pf dev='IF'/> pool is found the way the kernel names it:
 * sys/class/net/IF/device is the PF, its virtfnN links the VFs. That is
 * one lookup, not a walk over every device's net/ folder, so an assign
 * still reads only what it touches on a host of thousands of functions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include <libxml/parser.h>

#include "assign.h"

void networks_clear(struct networks *nets)
{
        for (size_t i = 0; i < nets->n; i++) {
                free(nets->names[i]);
                vfioctl_network_def_unref(nets->defs[i]);
        }
        free(nets->names);
        free(nets->defs);
        *nets = (struct networks) {};
}

static int networks_add(struct networks *nets, const char *name, vfioctl_network_def *def)
{
        char **names = reallocarray(nets->names, nets->n + 1, sizeof(char *));
        vfioctl_network_def **defs;

        if (!names)
                return -ENOMEM;
        nets->names = names;
        defs = reallocarray(nets->defs, nets->n + 1, sizeof(*defs));
        if (!defs)
                return -ENOMEM;
        nets->defs = defs;
        names[nets->n] = strdup(name);
        if (!names[nets->n])
                return -ENOMEM;
        defs[nets->n++] = vfioctl_network_def_ref(def);
        return 0;
}

/*
 * The <name> of a network that is no hostdev pool: the parser refuses to
 * make a pool of it, but an interface may still name it (and is then an
 * ordinary NIC vfioctl leaves alone).
 */
static int network_name(vfioctl_ctx *ctx, const char *path, char **ret)
{
        xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                     XML_PARSE_NOWARNING);
        xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
        xmlChar *text = NULL;

        for (xmlNode *c = root ? root->children : NULL; c && !text; c = c->next)
                if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST "name"))
                        text = xmlNodeGetContent(c);
        *ret = text ? strdup((const char *) text) : NULL;
        xmlFree(text);
        xmlFreeDoc(doc);
        if (!*ret)
                return ctx_error(ctx, -EINVAL, "%s: a network XML without a <name>", path);
        return 0;
}

/* Loads one network file; a network that is not a pool is kept as NULL. */
static int network_load(vfioctl_ctx *ctx, const char *path, char **ret_name,
                        vfioctl_network_def **ret)
{
        int r;

        *ret = NULL;
        r = vfioctl_network_def_new_from_file(ctx, path, ret);
        if (r == -EMEDIUMTYPE)
                return network_name(ctx, path, ret_name);
        if (r < 0) {
                /* The parser names the line; say which file too. */
                char msg[sizeof(ctx->errmsg)];

                snprintf(msg, sizeof(msg), "%s", vfioctl_ctx_errmsg(ctx));
                if (strstr(msg, path))
                        return r;
                return ctx_error(ctx, r, "%s: %s", path, msg);
        }
        *ret_name = strdup(vfioctl_network_def_get_name(*ret));
        return *ret_name ? 0 : -ENOMEM;
}

int networks_load(vfioctl_ctx *ctx, const char *const *files, size_t n_files, const char *dir,
                  struct networks *ret)
{
        struct networks nets = {};
        int r = 0;

        for (size_t i = 0; i < n_files && r >= 0; i++) {
                _cleanup_free_ char *name = NULL;
                vfioctl_network_def *def = NULL;
                vfioctl_network_def *old;

                r = network_load(ctx, files[i], &name, &def);
                if (r < 0)
                        break;
                if (networks_find(ctx, &nets, name, &old) >= 0)
                        r = ctx_error(ctx, -EINVAL, "%s: network '%s' is given twice", files[i],
                                      name);
                else
                        r = networks_add(&nets, name, def);
                vfioctl_network_def_unref(def);
        }
        if (r < 0) {
                networks_clear(&nets);
                return r;
        }
        ctx_clear_error(ctx);
        nets.dir = dir;
        *ret = nets;
        return 0;
}

int networks_find(vfioctl_ctx *ctx, struct networks *nets, const char *name,
                  vfioctl_network_def **ret)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ char *found = NULL;
        vfioctl_network_def *def = NULL;
        int r;

        for (size_t i = 0; i < nets->n; i++)
                if (streq(nets->names[i], name)) {
                        *ret = nets->defs[i];
                        return 0;
                }
        if (!nets->dir)
                return ctx_set_reason(ctx, ctx_error(ctx, -ENOENT, "network '%s' is not defined",
                                                     name),
                                      VFIOCTL_REASON_NO_NETWORK, name);
        if (asprintf(&path, "%s/%s.xml", nets->dir, name) < 0)
                return -ENOMEM;
        if (access(path, F_OK) < 0)
                return ctx_error(ctx, -ENOENT, "network '%s' is not defined: there is no %s "
                                               "(libvirt keeps networks as NAME.xml)", name, path);
        r = network_load(ctx, path, &found, &def);
        if (r < 0)
                return r;
        if (!streq(found, name)) {
                vfioctl_network_def_unref(def);
                return ctx_error(ctx, -EINVAL, "%s defines network '%s', not '%s'", path, found,
                                 name);
        }
        r = networks_add(nets, name, def);
        vfioctl_network_def_unref(def);
        if (r < 0)
                return r;
        *ret = nets->defs[nets->n - 1];
        return 0;
}

/* The PCI function behind a network interface: sys/class/net/IF/device. */
static int pf_of_interface(vfioctl_host *host, vfioctl_network_def *pool,
                           struct vfioctl_pci_addr *ret)
{
        vfioctl_ctx *ctx = vfioctl_host_get_ctx(host);
        const char *ifname = vfioctl_network_def_get_pf(pool);
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *addr = NULL;
        char link[SYSFS_PATH_MAX];
        int r;

        r = sysfs_open_dir(ctx, SYSFS_CLASS_NET, &fd);
        if (r >= 0) {
                sysfs_entry_attr(link, ifname, "device");
                r = sysfs_read_link_name(ctx, fd, SYSFS_CLASS_NET, link, &addr);
        }
        if (r == -ENOENT)
                return ctx_error(ctx, -ENODEV, "network %s: <pf dev='%s'>: there is no network "
                                               "interface %s on this host (sys/class/net/%s); "
                                               "is its driver loaded?",
                                 vfioctl_network_def_get_name(pool), ifname, ifname, ifname);
        if (r < 0)
                return r;
        if (vfioctl_pci_addr_parse(addr, ret) < 0)
                return ctx_error(ctx, -ENODEV, "network %s: <pf dev='%s'>: %s is not a PCI "
                                               "device (sys/class/net/%s/device is %s)",
                                 vfioctl_network_def_get_name(pool), ifname, ifname, ifname,
                                 addr);
        return 0;
}

static int pool_vfs(vfioctl_host *host, vfioctl_network_def *pool, struct vfioctl_pci_addr **ret,
                    size_t *ret_n)
{
        vfioctl_ctx *ctx = vfioctl_host_get_ctx(host);
        const struct vfioctl_pci_addr *vfs;
        struct vfioctl_pci_addr pf;
        vfioctl_device *dev;
        unsigned total = 0, num = 0;
        size_t n;
        int r;

        r = pf_of_interface(host, pool, &pf);
        if (r < 0)
                return r;
        r = vfioctl_host_get_device(host, &pf, &dev);
        if (r >= 0)
                r = vfioctl_device_get_sriov(dev, &total, &num);
        if (r >= 0)
                r = vfioctl_device_get_virtfns(dev, &vfs, &n);
        if (r < 0)
                return r;
        if (n == 0)
                return ctx_error(ctx, -ENODEV,
                                 "network %s: <pf dev='%s'>: %s has %s: enable some with 'echo N "
                                 "> /sys/bus/pci/devices/%s/sriov_numvfs' (at most %u)",
                                 vfioctl_network_def_get_name(pool), vfioctl_network_def_get_pf(pool),
                                 vfioctl_device_get_address(dev),
                                 total ? "no VFs enabled" : "no SR-IOV VFs (it is no PF)",
                                 vfioctl_device_get_address(dev), total);
        *ret = calloc(n, sizeof(**ret));
        if (!*ret)
                return -ENOMEM;
        memcpy(*ret, vfs, n * sizeof(**ret));
        *ret_n = n;
        return 0;
}

int pool_functions(vfioctl_host *host, vfioctl_network_def *pool, struct vfioctl_pci_addr **ret,
                   size_t *ret_n)
{
        size_t n = vfioctl_network_def_n_addrs(pool);

        if (vfioctl_network_def_get_pf(pool))
                return pool_vfs(host, pool, ret, ret_n);
        *ret = calloc(n ? n : 1, sizeof(**ret));
        if (!*ret)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                (*ret)[i] = *vfioctl_network_def_addr_at(pool, i);
        *ret_n = n;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Rule 8: an interface takes the first free function of its pool      */

/* Who has a pool function already, or NULL when it is free. */
static const char *function_taken(vfioctl_host *host, const struct plan_state *s,
                                  const char *guest, vfioctl_guest_def *def,
                                  const struct vfioctl_pci_addr *a)
{
        char name[VFIOCTL_PCI_ADDR_MAX];
        const struct vfioctl_state_device *row, *o;
        vfioctl_device *dev;

        if (vfioctl_guest_def_find_hostdev(def, a))
                return guest;
        vfioctl_pci_addr_format(a, name);
        row = plan_row_find(s, name);
        if (row && row->owner)
                return row->owner;
        if (vfioctl_host_get_device(host, a, &dev) < 0) {
                /* A missing one is refused when it is checked. */
                ctx_clear_error(vfioctl_host_get_ctx(host));
                return NULL;
        }
        o = group_owner_row(host, s, dev, guest); /* Rule 4 */
        return o ? o->owner : NULL;
}

int pool_take(vfioctl_host *host, const struct plan_state *s, const char *guest,
              vfioctl_guest_def *def, size_t i, vfioctl_network_def *pool, vfioctl_report *report)
{
        vfioctl_ctx *ctx = vfioctl_host_get_ctx(host);
        vfioctl_guest_hostdev *h = vfioctl_guest_def_hostdev_at(def, i);
        _cleanup_free_ struct vfioctl_pci_addr *fns = NULL;
        char taken[512] = "", name[VFIOCTL_PCI_ADDR_MAX];
        size_t n = 0, len = 0;
        int r;

        r = pool_functions(host, pool, &fns, &n);
        if (r < 0)
                return plan_refuse(ctx, report, VFIOCTL_OUTCOME_REFUSED, r, "line %u: %s: %s",
                                   vfioctl_guest_hostdev_get_line(h),
                                   vfioctl_guest_hostdev_get_element(h), vfioctl_ctx_errmsg(ctx));
        for (size_t k = 0; k < n; k++) {
                const char *who = function_taken(host, s, guest, def, &fns[k]);

                if (!who) {
                        r = vfioctl_guest_def_resolve_network_from_pool(def, i, pool, &fns[k]);
                        return r < 0 ? plan_refuse(ctx, report, VFIOCTL_OUTCOME_INVALID, r, "%s",
                                                   vfioctl_ctx_errmsg(ctx))
                                     : 0;
                }
                if (len < sizeof(taken))
                        len += snprintf(taken + len, sizeof(taken) - len, "%s%s (%s)",
                                        len ? ", " : "", vfioctl_pci_addr_format(&fns[k], name),
                                        streq(who, guest) ? "this guest" : who);
        }
        return plan_refuse(ctx, report, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                           "line %u: %s: network '%s' has no free function left: all %zu are "
                           "taken: %s. Release a guest that has one, or give the pool more "
                           "functions",
                           vfioctl_guest_hostdev_get_line(h), vfioctl_guest_hostdev_get_element(h),
                           vfioctl_network_def_get_name(pool), n, taken);
}
