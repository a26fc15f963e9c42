/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest definition: a libvirt <domain> (or a bare <devices>) parsed
 * into its PCI host devices, with libvirt's checks across devices, the
 * pool functions written in later and QEMU's ids. No sysfs, no state.
 *
 * What is read follows libvirt's domain schema for PCI devices;
 * everything else in the document is ignored. Every error names the
 * line, the element and what is wrong.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "hostdev.h"
#include "metadata.h"
#include "xml.h"

const char *hostdev_kind_element(enum vfioctl_hostdev_kind kind)
{
        switch (kind) {
        case VFIOCTL_HOSTDEV_PCI:
                return "<hostdev>";
        case VFIOCTL_HOSTDEV_INTERFACE:
                return "<interface type='hostdev'>";
        case VFIOCTL_HOSTDEV_NETWORK:
                return "<interface type='network'>";
        }
        return "<hostdev>";
}

static vfioctl_guest_hostdev *guest_hostdev_free(vfioctl_guest_hostdev *h)
{
        if (!h)
                return NULL;
        free(h->network);
        free(h->driver_model);
        free(h->rom_file);
        free(h->alias);
        free(h->failover_pair);
        free(h->mac);
        free(h);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(vfioctl_guest_hostdev *, guest_hostdev_free);

static void guest_def_free(vfioctl_guest_def *def)
{
        for (size_t i = 0; i < def->n_hostdevs; i++)
                guest_hostdev_free(def->hostdevs[i]);
        free(def->hostdevs);
        for (size_t i = 0; i < def->n_skipped; i++) {
                free(def->skipped[i]);
                free(def->skipped_alias[i]);
        }
        free(def->skipped);
        free(def->skipped_pos);
        free(def->skipped_alias);
        for (size_t i = 0; i < def->n_controllers; i++)
                free(def->controllers[i].model);
        free(def->controllers);
        free(def->name);
        free(def->machine);
        if (def->doc)
                xmlFreeDoc(def->doc);
        vfioctl_ctx_unref(def->ctx);
        free(def);
}

DEFINE_PUBLIC_REF_UNREF(vfioctl_guest_def, vfioctl_guest_def, guest_def_free)

static int guest_def_append(vfioctl_guest_def *def, vfioctl_guest_hostdev *h)
{
        vfioctl_guest_hostdev **n;

        n = reallocarray(def->hostdevs, def->n_hostdevs + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        def->hostdevs = n;
        h->def = def;
        h->index = def->n_hostdevs;
        def->hostdevs[def->n_hostdevs++] = h;
        def->ids_valid = false;
        return 0;
}

/* A device's <boot order>, <alias> and PCI <address>, for checks across devices. */
struct device_info {
        xmlNode *node;
        const char *elem;
        unsigned boot_order;
        xmlNode *boot_node;
        const char *alias;
        bool has_guest_addr;
        struct vfioctl_pci_addr guest_addr;
        vfioctl_guest_hostdev *hostdev; /* NULL for devices we do not take */
};

struct guest_parser {
        struct xml_parser p;
        vfioctl_guest_def *def;
        unsigned flags;
        bool os_boot;           /* <os><boot dev=…> */
        xmlNode *os_boot_node;
        struct device_info *devs;
        size_t n_devs;
};

/* <rom bar='on|off' file='…' enabled='yes|no'/> */
static int parse_rom(struct xml_parser *p, xmlNode *n, vfioctl_guest_hostdev *h)
{
        const char *file = xml_attr(n, "file");
        bool enabled = true;
        int r;

        r = xml_parse_onoff(p, n, "<rom", "bar", &h->rom_bar);
        if (r < 0)
                return r;
        r = xml_parse_yesno(p, n, "<rom", "enabled", &enabled);
        if (r < 0)
                return r;
        /* The legacy <rom file=''/> means what enabled='no' means. */
        if (file && !*file) {
                if (xml_attr(n, "enabled") && enabled)
                        return xml_err(p, n, "<rom file='' enabled='yes'>: an empty file disables "
                                          "the ROM");
                enabled = false;
                file = NULL;
        }
        if (!enabled) {
                if (h->rom_bar != VFIOCTL_SWITCH_DEFAULT || file)
                        return xml_err(p, n, "<rom enabled='no'>: ROM tuning is not supported when "
                                          "ROM is disabled");
                file = "";
        }
        if (file && *file && file[0] != '/')
                return xml_err(p, n, "<rom file='%s'>: the ROM file must be an absolute path", file);
        return xml_strdup_to(file, &h->rom_file);
}

static int parse_boot(struct xml_parser *p, xmlNode *n, unsigned *ret)
{
        const char *order = xml_attr(n, "order");
        unsigned long v;
        int r;

        if (!order)
                return xml_err(p, n, "<boot>: order is missing");
        r = xml_parse_number(order, INT_MAX, &v);
        if (r < 0 || v == 0 || order[0] == '0')
                return xml_err(p, n, "<boot order='%s'>: order must be a positive decimal number",
                            order);
        *ret = (unsigned) v;
        return 0;
}

static int parse_alias(struct xml_parser *p, xmlNode *n, char **ret)
{
        const char *name = xml_attr(n, "name");

        if (!name)
                return xml_err(p, n, "<alias>: name is missing");
        if (!xml_id_valid(name))
                return xml_err(p, n,
                            "<alias name='%s'>: an alias starts with a letter and has only "
                            "letters, digits, '-', '.' and '_'",
                            name);
        return xml_strdup_to(name, ret);
}

static int parse_teaming(struct xml_parser *p, xmlNode *n, vfioctl_guest_hostdev *h)
{
        const char *type = xml_attr(n, "type"), *persistent = xml_attr(n, "persistent");

        if (!type || !streq(type, "transient"))
                return xml_err(p, n, "<teaming type='%s'>: teaming hostdev devices must have "
                                  "type='transient'",
                            strempty(type));
        if (!persistent || !*persistent)
                return xml_err(p, n, "<teaming>: missing required persistent attribute in hostdev "
                                  "teaming element");
        if (!xml_id_valid(persistent))
                return xml_err(p, n, "<teaming persistent='%s'>: not a valid alias", persistent);
        return xml_strdup_to(persistent, &h->failover_pair);
}

/* Guest <address>: type='pci' or, for <hostdev>s, type='unassigned'. */
static int parse_guest_address(struct xml_parser *p, xmlNode *n, vfioctl_guest_hostdev *h,
                               bool *ret_unassigned)
{
        const char *type = xml_attr(n, "type");
        int r;

        if (type && streq(type, "unassigned") && h->kind == VFIOCTL_HOSTDEV_PCI) {
                *ret_unassigned = true;
                return 0;
        }
        if (!type || !streq(type, "pci"))
                return xml_err(p, n, "<address type='%s'>: PCI host devices must use 'pci' or "
                                  "'unassigned' address type",
                            strempty(type));
        r = xml_parse_pci_address(p, n, "<address", false, &h->guest_addr);
        if (r < 0)
                return r;
        r = xml_parse_onoff(p, n, "<address", "multifunction", &h->multifunction);
        if (r < 0)
                return r;
        if (h->guest_addr.domain != 0)
                return xml_err(p, n, "<address domain='%s'>: the guest has only PCI domain 0",
                            xml_attr(n, "domain"));
        if (h->guest_addr.bus == 0 && h->guest_addr.slot == 0)
                return xml_err(p, n, "<address bus='%s' slot='%s'>: slot 0 of bus 0 is the host "
                                  "bridge",
                            strempty(xml_attr(n, "bus")), xml_attr(n, "slot"));
        h->has_guest_addr = true;
        return 0;
}

/* Children that <hostdev> and <interface> have in common; 1 when taken. */
static int parse_common_child(struct xml_parser *p, xmlNode *c, vfioctl_guest_hostdev *h,
                              bool *unassigned, xmlNode **seen_address)
{
        int r;

        if (xml_is_elem(c, "address")) {
                r = xml_take_once(p, c, seen_address);
                if (r >= 0)
                        r = parse_guest_address(p, c, h, unassigned);
        } else if (xml_is_elem(c, "rom"))
                r = parse_rom(p, c, h);
        else if (xml_is_elem(c, "boot"))
                r = parse_boot(p, c, &h->boot_order);
        else if (xml_is_elem(c, "alias"))
                r = parse_alias(p, c, &h->alias);
        else if (xml_is_elem(c, "teaming"))
                r = parse_teaming(p, c, h);
        else
                return 0;
        return r < 0 ? r : 1;
}

static int guest_skip(struct guest_parser *gp, xmlNode *n, const char *mode, const char *type)
{
        char desc[256];
        char **l, *s, *a;
        xmlNode *alias;
        size_t *pos;

        snprintf(desc, sizeof(desc), "line %ld: <hostdev mode='%s' type='%s'>", xmlGetLineNo(n),
                 mode, type);
        if (!(gp->flags & VFIOCTL_GUEST_PARSE_SKIP_NON_PCI)) {
                char elem[128];

                snprintf(elem, sizeof(elem), "<hostdev mode='%s' type='%s'>", mode, type);
                gp->p.elem = elem;
                return xml_err_errno(&gp->p, -EOPNOTSUPP, n,
                                  "only PCI host devices (mode='subsystem' type='pci') are "
                                  "supported");
        }
        pos = reallocarray(gp->def->skipped_pos, gp->def->n_skipped + 1, sizeof(*pos));
        if (!pos)
                return -ENOMEM;
        gp->def->skipped_pos = pos;
        l = reallocarray(gp->def->skipped_alias, gp->def->n_skipped + 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        gp->def->skipped_alias = l;
        l = reallocarray(gp->def->skipped, gp->def->n_skipped + 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        gp->def->skipped = l;
        s = strdup(desc);
        alias = xml_first_child(n, "alias");
        a = alias && xml_attr(alias, "name") ? strdup(xml_attr(alias, "name")) : NULL;
        if (!s || (alias && xml_attr(alias, "name") && !a)) {
                free(s);
                free(a);
                return -ENOMEM;
        }
        pos[gp->def->n_skipped] = gp->def->n_hostdevs;
        gp->def->skipped_alias[gp->def->n_skipped] = a;
        l[gp->def->n_skipped++] = s;
        return 0;
}

/* A host device of the definition from element n, with libvirt's defaults. */
static vfioctl_guest_hostdev *hostdev_new(xmlNode *n, enum vfioctl_hostdev_kind kind)
{
        vfioctl_guest_hostdev *h = calloc(1, sizeof(*h));

        if (!h)
                return NULL;
        h->kind = kind;
        h->line = (unsigned) xmlGetLineNo(n);
        h->assigned = true;
        h->vlan = -1;
        return h;
}

static int parse_hostdev(struct guest_parser *gp, xmlNode *n, struct device_info *info)
{
        struct xml_parser *p = &gp->p;
        _cleanup_(guest_hostdev_freep) vfioctl_guest_hostdev *h = NULL;
        const char *mode = xml_attr(n, "mode"), *type = xml_attr(n, "type");
        xmlNode *source = NULL, *driver = NULL, *address = NULL;
        bool unassigned = false;
        int r;

        p->elem = "<hostdev>";
        if (!mode)
                mode = "subsystem";
        if (!streq(mode, "subsystem") || !type || !streq(type, "pci"))
                return guest_skip(gp, n, mode, strempty(type));

        h = hostdev_new(n, VFIOCTL_HOSTDEV_PCI);
        if (!h)
                return -ENOMEM;

        r = xml_parse_yesno(p, n, "<hostdev", "managed", &h->managed);
        if (r < 0)
                return r;
        r = xml_parse_yesno(p, n, "<hostdev", "assigned", &h->assigned);
        if (r < 0)
                return r;

        for (xmlNode *c = n->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (xml_is_elem(c, "source")) {
                        r = xml_take_once(p, c, &source);
                        if (r < 0)
                                return r;
                } else if (xml_is_elem(c, "driver")) {
                        r = xml_take_once(p, c, &driver);
                        if (r >= 0)
                                r = xml_parse_driver(p, c, &h->driver, &h->driver_model,
                                                     &h->group);
                        if (r < 0)
                                return r;
                } else {
                        r = parse_common_child(p, c, h, &unassigned, &address);
                        if (r < 0)
                                return r;
                }
        }

        if (!source)
                return xml_err(p, n, "<source> is missing");
        {
                xmlNode *a = xml_first_child(source, "address");

                if (!a)
                        return xml_err(p, source, "<source>: <address> is missing");
                r = xml_parse_pci_address(p, a, "<source><address", true, &h->addr);
                if (r < 0)
                        return r;
                h->has_addr = true;
        }

        /* DESIGN rule 7: assigned='no' is libvirt's <address type='unassigned'/>. */
        if (unassigned) {
                if (xml_attr(n, "assigned") && h->assigned)
                        return xml_err(p, n,
                                    "assigned='yes' contradicts <address type='unassigned'/>");
                h->assigned = false;
        }
        if (!h->assigned && h->has_guest_addr)
                return xml_err(p, address,
                            "an unassigned hostdev (assigned='no') cannot have a guest "
                            "<address type='pci'>");
        if (!h->assigned && (h->boot_order || h->failover_pair || h->rom_file ||
                             h->rom_bar != VFIOCTL_SWITCH_DEFAULT)) {
                return xml_err(p, n, "an unassigned hostdev (assigned='no') gets no QEMU device: "
                                  "<boot>, <rom> and <teaming> cannot be used");
        }

        info->hostdev = h;
        r = guest_def_append(gp->def, h);
        if (r < 0)
                return r;
        TAKE_PTR(h);
        return 0;
}

/*
 * <mac address='52:54:00:12:34:56'/>: the address the guest's VF gets
 * (rule 10, set through its PF). libvirt's virMacAddrParse and its
 * "expected unicast mac address": a multicast or all-zero address is no
 * address a NIC can have.
 */
static int parse_mac(struct xml_parser *p, xmlNode *n, vfioctl_guest_hostdev *h)
{
        const char *mac = xml_attr(n, "address");
        uint8_t b[6];

        if (!mac)
                return 0;
        if (netlink_parse_mac(mac, b) < 0)
                return xml_err(p, n, "<mac address='%s'>: not a MAC address (six hex bytes with "
                                  "colons, as 52:54:00:12:34:56)",
                            mac);
        if (b[0] & 1)
                return xml_err(p, n, "<mac address='%s'>: expected a unicast MAC address, found a "
                                  "multicast one (the lowest bit of the first byte is set)",
                            mac);
        if (!(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
                return xml_err(p, n, "<mac address='%s'>: the all-zero address is no address a "
                                  "network card can have",
                            mac);
        free(h->mac);
        h->mac = NULL;
        if (asprintf(&h->mac, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                     b[5]) < 0) {
                h->mac = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int parse_vlan(struct xml_parser *p, xmlNode *n, vfioctl_guest_hostdev *h)
{
        return xml_parse_vlan(p, n, &h->vlan, &h->vlan_trunk);
}

/* What libvirt refuses for a hostdev interface (qemuDomainValidateActualNetDef). */
static int check_hostdev_interface(struct xml_parser *p, vfioctl_guest_hostdev *h, xmlNode *n)
{
        char who[64];

        snprintf(who, sizeof(who), "interface %s", h->mac ? h->mac : "(no <mac>)");
        if (h->has_tap)
                return xml_err(p, n, "%s - custom tap device path is not supported for network "
                                  "interfaces of type hostdev",
                            who);
        if (h->has_filterref)
                return xml_err(p, n, "%s - filterref is not supported for network interfaces of "
                                  "type hostdev",
                            who);
        if (h->queues > 1)
                return xml_err(p, n, "%s - multiqueue is not supported for network interfaces of "
                                  "type hostdev",
                            who);
        if (h->has_bandwidth)
                return xml_err(p, n, "%s - bandwidth settings are not supported for hostdev "
                                  "interfaces",
                            who);
        if (h->vlan_trunk)
                return xml_err(p, n, "%s - vlan trunking is not supported by SR-IOV network "
                                  "devices: give one <tag id='…'/>",
                            who);
        return 0;
}

static int parse_interface(struct guest_parser *gp, xmlNode *n, struct device_info *info)
{
        struct xml_parser *p = &gp->p;
        _cleanup_(guest_hostdev_freep) vfioctl_guest_hostdev *h = NULL;
        const char *type = xml_attr(n, "type");
        xmlNode *source = NULL, *address = NULL, *unsupported = NULL;
        bool unassigned = false;
        int r;

        if (!type || (!streq(type, "hostdev") && !streq(type, "network")))
                return 0;

        h = hostdev_new(n, streq(type, "hostdev") ? VFIOCTL_HOSTDEV_INTERFACE
                                                  : VFIOCTL_HOSTDEV_NETWORK);
        if (!h)
                return -ENOMEM;
        p->elem = hostdev_kind_element(h->kind);

        if (h->kind == VFIOCTL_HOSTDEV_INTERFACE) {
                r = xml_parse_yesno(p, n, "<interface", "managed", &h->managed);
                if (r < 0)
                        return r;
        }

        for (xmlNode *c = n->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (xml_is_elem(c, "source")) {
                        r = xml_take_once(p, c, &source);
                        if (r < 0)
                                return r;
                } else if (xml_is_elem(c, "mac")) {
                        r = parse_mac(p, c, h);
                        if (r < 0)
                                return r;
                } else if (xml_is_elem(c, "vlan")) {
                        r = parse_vlan(p, c, h);
                        if (r < 0)
                                return r;
                } else if (xml_is_elem(c, "driver")) {
                        const char *queues = xml_attr(c, "queues");

                        /* One element carries both the hostdev backend and virtio-net settings. */
                        r = xml_parse_driver(p, c, &h->driver, &h->driver_model, &h->group);
                        if (r < 0)
                                return r;
                        if (queues) {
                                unsigned long v;

                                if (xml_parse_number(queues, UINT_MAX, &v) < 0)
                                        return xml_err(p, c, "<driver queues='%s'>: not a number",
                                                    queues);
                                h->queues = (unsigned) v;
                                if (v > 1 && !unsupported)
                                        unsupported = c;
                        }
                } else if (xml_is_elem(c, "backend")) {
                        if (xml_attr(c, "tap")) {
                                h->has_tap = true;
                                unsupported = c;
                        }
                } else if (xml_is_elem(c, "filterref")) {
                        h->has_filterref = true;
                        if (!unsupported)
                                unsupported = c;
                } else if (xml_is_elem(c, "bandwidth")) {
                        h->has_bandwidth = true;
                        if (!unsupported)
                                unsupported = c;
                } else {
                        r = parse_common_child(p, c, h, &unassigned, &address);
                        if (r < 0)
                                return r;
                }
        }

        if (!source)
                return xml_err(p, n, "<source> is missing");
        if (h->kind == VFIOCTL_HOSTDEV_INTERFACE) {
                xmlNode *a = xml_first_child(source, "address");
                const char *atype;

                if (!a)
                        return xml_err(p, source, "<source>: <address type='pci'> is missing");
                atype = xml_attr(a, "type");
                if (atype && !streq(atype, "pci"))
                        return xml_err(p, a, "<source><address type='%s'>: type must be 'pci'",
                                    atype);
                r = xml_parse_pci_address(p, a, "<source><address", true, &h->addr);
                if (r < 0)
                        return r;
                h->has_addr = true;
                r = check_hostdev_interface(p, h, unsupported ? unsupported : n);
                if (r < 0)
                        return r;
        } else {
                const char *network = xml_attr(source, "network");

                if (!network || !*network)
                        return xml_err(p, source, "<source>: network is missing");
                if (strchr(network, '/'))
                        return xml_err(p, source, "<source network='%s'>: not a network name",
                                    network);
                if (xml_strdup_to(network, &h->network) < 0)
                        return -ENOMEM;
        }

        info->hostdev = h;
        r = guest_def_append(gp->def, h);
        if (r < 0)
                return r;
        TAKE_PTR(h);
        return 0;
}

static int parse_controller(struct guest_parser *gp, xmlNode *n)
{
        struct guest_pci_controller *l;
        const char *type = xml_attr(n, "type"), *index = xml_attr(n, "index"), *model = xml_attr(n, "model");
        unsigned long v = 0;
        char *m = NULL;

        if (!type || !streq(type, "pci"))
                return 0;
        gp->p.elem = "<controller type='pci'>";
        if (index && xml_parse_number(index, 255, &v) < 0)
                return xml_err(&gp->p, n, "index='%s': index must be 0-255", index);
        if (model && !(m = strdup(model)))
                return -ENOMEM;
        l = reallocarray(gp->def->controllers, gp->def->n_controllers + 1, sizeof(*l));
        if (!l) {
                free(m);
                return -ENOMEM;
        }
        gp->def->controllers = l;
        l[gp->def->n_controllers++] = (struct guest_pci_controller){
                .index = index ? (int) v : -1,
                .model = m,
        };
        return 0;
}

/* <boot>, <alias> and <address type='pci'> of any device, for the checks across devices. */
static void collect_device_info(struct guest_parser *gp, xmlNode *n, struct device_info *info)
{
        xmlNode *boot = xml_first_child(n, "boot"), *alias = xml_first_child(n, "alias");
        xmlNode *address = xml_first_child(n, "address");
        const char *type;

        info->node = n;
        if (boot && xml_attr(boot, "order")) {
                unsigned long v;

                if (xml_parse_number(xml_attr(boot, "order"), INT_MAX, &v) == 0) {
                        info->boot_order = (unsigned) v;
                        info->boot_node = boot;
                }
        }
        if (alias)
                info->alias = xml_attr(alias, "name");
        type = address ? xml_attr(address, "type") : NULL;
        if (type && streq(type, "pci")) {
                struct xml_parser quiet = { .ctx = gp->p.ctx, .prefix = "", .elem = "" };
                char saved[sizeof(gp->p.ctx->errmsg)];

                /* Other devices' addresses are theirs to validate: ignore errors. */
                memcpy(saved, gp->p.ctx->errmsg, sizeof(saved));
                if (xml_parse_pci_address(&quiet, address, "<address", false, &info->guest_addr) == 0)
                        info->has_guest_addr = true;
                memcpy(gp->p.ctx->errmsg, saved, sizeof(saved));
        }
}

/*
 * The checks across devices compare every device with every other one;
 * done pairwise that is quadratic (a 6.8 MB definition took 15 s). Each
 * check sorts the devices by its key instead, and keeps per device the
 * first device (in document order) with the same key and the first such
 * device that is not one of ours: that is all the pairwise rules ask.
 */
enum device_key { KEY_BOOT, KEY_ALIAS, KEY_GUEST_ADDR, _KEY_MAX };

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

struct key_sort {
        const struct device_info *devs;
        enum device_key key;
};

static bool device_has_key(const struct device_info *d, enum device_key key)
{
        switch (key) {
        case KEY_BOOT:
                return d->boot_order != 0;
        case KEY_ALIAS:
                return d->alias != NULL;
        case KEY_GUEST_ADDR:
                return d->has_guest_addr;
        case _KEY_MAX:
                break;
        }
        return false;
}

static int device_key_compare(const struct device_info *x, const struct device_info *y,
                              enum device_key key)
{
        switch (key) {
        case KEY_BOOT:
                return CMP(x->boot_order, y->boot_order);
        case KEY_ALIAS:
                return strcmp(x->alias, y->alias);
        case KEY_GUEST_ADDR:
                return vfioctl_pci_addr_compare(&x->guest_addr, &y->guest_addr);
        case _KEY_MAX:
                break;
        }
        return 0;
}

/* By key, then document order. */
static int key_sort_compare(const void *a, const void *b, void *userdata)
{
        const struct key_sort *ks = userdata;
        size_t i = *(const size_t *) a, j = *(const size_t *) b;
        int c = device_key_compare(&ks->devs[i], &ks->devs[j], ks->key);

        return c != 0 ? c : CMP(i, j);
}

/*
 * For every device i with the key: first[i], the first device with the
 * same key; other[i], the first of those that is not ours (no hostdev).
 * SIZE_MAX when there is none.
 */
static int key_index(const struct device_info *devs, size_t n, enum device_key key, size_t *first,
                     size_t *other)
{
        _cleanup_free_ size_t *order = NULL;
        struct key_sort ks = { .devs = devs, .key = key };
        size_t m = 0;

        order = reallocarray(NULL, n ? n : 1, sizeof(*order));
        if (!order)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                first[i] = other[i] = SIZE_MAX;
                if (device_has_key(&devs[i], key))
                        order[m++] = i;
        }
        if (m > 1)
                qsort_r(order, m, sizeof(*order), key_sort_compare, &ks);
        for (size_t g = 0, e; g < m; g = e) {
                size_t o = SIZE_MAX;

                for (e = g; e < m && device_key_compare(&devs[order[g]], &devs[order[e]], key) == 0;
                     e++)
                        if (o == SIZE_MAX && !devs[order[e]].hostdev)
                                o = order[e];
                for (size_t k = g; k < e; k++) {
                        first[order[k]] = order[g];
                        other[order[k]] = o;
                }
        }
        return 0;
}

/*
 * The device a's key collides with, as the pairwise rule has it: any
 * other device that is not ours, or one of ours that comes before a.
 * The first such in document order; SIZE_MAX when none.
 */
static size_t key_conflict(size_t i, const size_t *first, const size_t *other)
{
        if (first[i] == SIZE_MAX)
                return SIZE_MAX;
        if (first[i] < i)
                return first[i];
        return other[i];
}

static int guest_check_devices(struct guest_parser *gp)
{
        struct xml_parser *p = &gp->p;
        _cleanup_free_ size_t *idx = NULL;
        size_t n = gp->n_devs, *first[_KEY_MAX], *other[_KEY_MAX];
        int r;

        idx = reallocarray(NULL, n ? n : 1, 2 * _KEY_MAX * sizeof(*idx));
        if (!idx)
                return -ENOMEM;
        for (int k = 0; k < _KEY_MAX; k++) {
                first[k] = idx + (size_t) (2 * k) * n;
                other[k] = idx + (size_t) (2 * k + 1) * n;
                r = key_index(gp->devs, n, k, first[k], other[k]);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < n; i++) {
                struct device_info *a = &gp->devs[i];
                size_t j = SIZE_MAX, c;
                enum device_key key = _KEY_MAX;

                if (!a->hostdev)
                        continue;
                p->elem = hostdev_kind_element(a->hostdev->kind);

                if (a->hostdev->boot_order && gp->os_boot)
                        return xml_err(p, a->boot_node,
                                    "per-device boot elements cannot be used together with "
                                    "os/boot elements (<os><boot> at line %ld)",
                                    xmlGetLineNo(gp->os_boot_node));
                /* The first device it collides with; at the same one, boot before alias
                 * before address. */
                for (int k = 0; k < _KEY_MAX; k++) {
                        if (k == KEY_GUEST_ADDR && !a->hostdev->has_guest_addr)
                                continue;
                        c = key_conflict(i, first[k], other[k]);
                        if (c < j) {
                                j = c;
                                key = k;
                        }
                }
                switch (key) {
                case KEY_BOOT:
                        return xml_err(p, a->boot_node,
                                    "boot order %u is used by more than one device "
                                    "(also at line %ld)",
                                    a->boot_order, xmlGetLineNo(gp->devs[j].boot_node));
                case KEY_ALIAS:
                        return xml_err(p, a->node, "non unique alias detected: %s (also at line %ld)",
                                    a->alias, xmlGetLineNo(gp->devs[j].node));
                case KEY_GUEST_ADDR: {
                        char buf[VFIOCTL_PCI_ADDR_MAX];

                        return xml_err(p, a->node,
                                    "Attempted double use of PCI Address %s (also at line %ld)",
                                    vfioctl_pci_addr_format(&a->guest_addr, buf),
                                    xmlGetLineNo(gp->devs[j].node));
                }
                case _KEY_MAX:
                        break;
                }
        }
        return 0;
}

/* Comes before b in the document. */
static bool hostdev_before(const vfioctl_guest_hostdev *a, const vfioctl_guest_hostdev *b)
{
        return a->line < b->line || (a->line == b->line && a->index < b->index);
}

static int hostdev_addr_compare(const void *a, const void *b)
{
        const vfioctl_guest_hostdev *x = *(vfioctl_guest_hostdev *const *) a;
        const vfioctl_guest_hostdev *y = *(vfioctl_guest_hostdev *const *) b;
        int c = vfioctl_pci_addr_compare(&x->addr, &y->addr);

        if (c != 0)
                return c;
        return hostdev_before(x, y) ? -1 : hostdev_before(y, x) ? 1 : 0;
}

static int duplicate_error(vfioctl_guest_def *def, vfioctl_guest_hostdev *dup,
                           vfioctl_guest_hostdev *orig)
{
        char buf[VFIOCTL_PCI_ADDR_MAX];

        return ctx_error(def->ctx, -EINVAL,
                         "line %u: %s: Hostdev already exists in the domain configuration: %s "
                         "is also used at line %u",
                         dup->line, hostdev_kind_element(dup->kind),
                         vfioctl_pci_addr_format(&dup->addr, buf), orig->line);
}

/*
 * The same host function twice, as libvirt says it. With h, whether h
 * repeats another entry (h is being resolved: one pass); without, the
 * first entry in document order that repeats an earlier one (sorted by
 * address, so that a large definition is not compared pair by pair).
 */
static int guest_check_duplicate(vfioctl_guest_def *def, vfioctl_guest_hostdev *h)
{
        _cleanup_free_ vfioctl_guest_hostdev **l = NULL;
        vfioctl_guest_hostdev *dup = NULL, *orig = NULL;
        size_t n = 0;

        if (h) {
                for (size_t i = 0; i < def->n_hostdevs; i++) {
                        vfioctl_guest_hostdev *b = def->hostdevs[i];

                        if (b != h && b->has_addr &&
                            vfioctl_pci_addr_compare(&h->addr, &b->addr) == 0)
                                return duplicate_error(def, h, b);
                }
                return 0;
        }

        l = reallocarray(NULL, def->n_hostdevs ? def->n_hostdevs : 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (def->hostdevs[i]->has_addr)
                        l[n++] = def->hostdevs[i];
        qsort_safe(l, n, sizeof(*l), hostdev_addr_compare);
        /* In each run of one address, the second is the first repeat. */
        for (size_t i = 1; i < n; i++) {
                if (vfioctl_pci_addr_compare(&l[i - 1]->addr, &l[i]->addr) != 0 ||
                    (i >= 2 && vfioctl_pci_addr_compare(&l[i - 2]->addr, &l[i]->addr) == 0))
                        continue;
                if (!dup || hostdev_before(l[i], dup)) {
                        dup = l[i];
                        orig = l[i - 1];
                }
        }
        return dup ? duplicate_error(def, dup, orig) : 0;
}

static int parse_devices(struct guest_parser *gp, xmlNode *devices)
{
        size_t n = 0;
        int r;

        for (xmlNode *c = devices->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE)
                        n++;
        gp->devs = calloc(n ? n : 1, sizeof(*gp->devs));
        if (!gp->devs)
                return -ENOMEM;

        /* libvirt's order: interfaces take hostdevN ids before <hostdev>s do. */
        for (int pass = 0; pass < 2; pass++) {
                size_t k = 0;

                for (xmlNode *c = devices->children; c; c = c->next) {
                        struct device_info *info;

                        if (c->type != XML_ELEMENT_NODE)
                                continue;
                        info = &gp->devs[k++];
                        r = 0;
                        if (pass == 0) {
                                collect_device_info(gp, c, info);
                                if (xml_is_elem(c, "interface"))
                                        r = parse_interface(gp, c, info);
                                else if (xml_is_elem(c, "controller"))
                                        r = parse_controller(gp, c);
                        } else if (xml_is_elem(c, "hostdev"))
                                r = parse_hostdev(gp, c, info);
                        if (r < 0)
                                return r;
                        if (info->hostdev)
                                info->hostdev->elem_pos = k - 1;
                }
        }
        gp->n_devs = n;

        r = guest_check_duplicate(gp->def, NULL);
        if (r < 0)
                return r;
        return guest_check_devices(gp);
}

static int guest_check_name(vfioctl_ctx *ctx, const char *name, xmlNode *n)
{
        if (!*name)
                return ctx_error(ctx, -EINVAL, "line %ld: <name>: the guest name is empty",
                                 n ? xmlGetLineNo(n) : 0L);
        /* The state refuses to read back a name that looks like a path. */
        if (streq(name, ".") || streq(name, ".."))
                return ctx_error(ctx, -EINVAL, "guest name '%s' is not a name: give another",
                                 name);
        for (const char *s = name; *s; s++)
                if (*s == '/' || (unsigned char) *s < 0x20 || *s == 0x7f)
                        return ctx_error(ctx, -EINVAL,
                                         "guest name '%s' cannot contain '/' or control "
                                         "characters",
                                         name);
        return 0;
}

static int guest_def_parse(vfioctl_ctx *ctx, xmlDoc *doc, const char *name, unsigned flags,
                           vfioctl_guest_def **ret)
{
        _cleanup_(vfioctl_guest_def_unrefp) vfioctl_guest_def *def = NULL;
        struct guest_parser gp = {
                .p = { .ctx = ctx, .prefix = "", .elem = "<domain>" },
                .flags = flags,
        };
        xmlNode *root = xmlDocGetRootElement(doc), *devices = NULL;
        int r;

        if (flags & ~VFIOCTL_GUEST_PARSE_SKIP_NON_PCI)
                return ctx_error(ctx, -EINVAL, "unknown guest parse flags 0x%x", flags);

        def = calloc(1, sizeof(*def));
        if (!def)
                return -ENOMEM;
        def->n_ref = 1;
        def->ctx = vfioctl_ctx_ref(ctx);

        if (xml_is_elem(root, "domain")) {
                xmlNode *nn = xml_first_child(root, "name"), *os = xml_first_child(root, "os");

                if (nn) {
                        r = xml_elem_text(nn, &def->name);
                        if (r < 0)
                                return r;
                        r = guest_check_name(ctx, def->name, nn);
                        if (r < 0)
                                return r;
                        if (name && !streq(name, def->name))
                                return ctx_error(ctx, -EINVAL,
                                                 "guest name '%s' does not match the XML's "
                                                 "<name>%s</name> (line %ld)",
                                                 name, def->name, xmlGetLineNo(nn));
                }
                if (os) {
                        xmlNode *type = xml_first_child(os, "type"), *boot = xml_first_child(os, "boot");
                        const char *machine = type ? xml_attr(type, "machine") : NULL;

                        if (machine && xml_strdup_to(machine, &def->machine) < 0)
                                return -ENOMEM;
                        if (boot) {
                                gp.os_boot = true;
                                gp.os_boot_node = boot;
                        }
                }
                devices = xml_first_child(root, "devices");
                for (xmlNode *c = devices ? devices->next : NULL; c; c = c->next)
                        if (xml_is_elem(c, "devices"))
                                return ctx_error(ctx, -EINVAL,
                                                 "line %ld: <devices>: a second <devices> "
                                                 "element (the first is at line %ld): a domain "
                                                 "has one; put every device in it",
                                                 xmlGetLineNo(c), xmlGetLineNo(devices));
        } else if (xml_is_elem(root, "devices"))
                devices = root;
        else
                return ctx_error(ctx, -EINVAL,
                                 "line %ld: <%s>: the document is neither a <domain> nor a "
                                 "<devices>",
                                 xmlGetLineNo(root), (const char *) root->name);

        if (!def->name) {
                if (!name)
                        return ctx_error(ctx, -EINVAL,
                                         "no guest name: the XML has no <name> and none was "
                                         "given");
                r = guest_check_name(ctx, name, NULL);
                if (r < 0)
                        return r;
                if (xml_strdup_to(name, &def->name) < 0)
                        return -ENOMEM;
        }

        gp.def = def;
        if (devices) {
                r = parse_devices(&gp, devices);
                free(gp.devs);
                if (r == -ENOMEM)
                        return ctx_error(ctx, r, "out of memory");
                if (r < 0)
                        return r;
        }
        if (xml_is_elem(root, "domain")) {
                r = metadata_apply(def, root);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(def);
        return 0;
}

VFIOCTL_EXPORT int vfioctl_guest_def_new_from_string(vfioctl_ctx *ctx, const char *xml,
                                                     const char *name, unsigned flags,
                                                     vfioctl_guest_def **ret)
{
        _cleanup_xml_doc_ xmlDoc *doc = NULL;
        int r;

        if (!ctx || !xml || !ret)
                return -EINVAL;
        r = xml_parse(ctx, xml, strlen(xml), "guest XML", &doc);
        if (r < 0)
                return r;
        r = guest_def_parse(ctx, doc, name, flags, ret);
        if (r >= 0)
                (*ret)->doc = TAKE_PTR(doc);
        return r;
}

VFIOCTL_EXPORT int vfioctl_guest_def_new_from_file(vfioctl_ctx *ctx, const char *path,
                                                   const char *name, unsigned flags,
                                                   vfioctl_guest_def **ret)
{
        _cleanup_xml_doc_ xmlDoc *doc = NULL;
        int r;

        if (!ctx || !path || !ret)
                return -EINVAL;
        r = xml_parse_file(ctx, path, &doc);
        if (r < 0)
                return r;
        r = guest_def_parse(ctx, doc, name, flags, ret);
        if (r >= 0)
                (*ret)->doc = TAKE_PTR(doc);
        return r;
}

VFIOCTL_EXPORT const char *vfioctl_guest_def_get_name(vfioctl_guest_def *def)
{
        return def ? def->name : NULL;
}

VFIOCTL_EXPORT const char *vfioctl_guest_def_get_machine(vfioctl_guest_def *def)
{
        return def ? def->machine : NULL;
}

VFIOCTL_EXPORT bool vfioctl_guest_def_is_pcie(vfioctl_guest_def *def)
{
        const char *m;

        if (!def)
                return false;
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].index == 0 && def->controllers[i].model)
                        return streq(def->controllers[i].model, "pcie-root");
        m = def->machine;
        return m && (streq(m, "q35") || strncmp(m, "pc-q35-", 7) == 0);
}

VFIOCTL_EXPORT size_t vfioctl_guest_def_n_pci_controllers(vfioctl_guest_def *def)
{
        return def ? def->n_controllers : 0;
}

VFIOCTL_EXPORT int vfioctl_guest_def_pci_controller_at(vfioctl_guest_def *def, size_t i,
                                                       int *ret_index, const char **ret_model)
{
        if (!def || i >= def->n_controllers)
                return -EINVAL;
        if (ret_index)
                *ret_index = def->controllers[i].index;
        if (ret_model)
                *ret_model = def->controllers[i].model;
        return 0;
}

VFIOCTL_EXPORT size_t vfioctl_guest_def_n_skipped(vfioctl_guest_def *def)
{
        return def ? def->n_skipped : 0;
}

VFIOCTL_EXPORT const char *vfioctl_guest_def_skipped_at(vfioctl_guest_def *def, size_t i)
{
        return def && i < def->n_skipped ? def->skipped[i] : NULL;
}

VFIOCTL_EXPORT size_t vfioctl_guest_def_n_hostdevs(vfioctl_guest_def *def)
{
        return def ? def->n_hostdevs : 0;
}

VFIOCTL_EXPORT vfioctl_guest_hostdev *vfioctl_guest_def_hostdev_at(vfioctl_guest_def *def,
                                                                   size_t i)
{
        return def && i < def->n_hostdevs ? def->hostdevs[i] : NULL;
}

VFIOCTL_EXPORT vfioctl_guest_hostdev *
vfioctl_guest_def_find_hostdev(vfioctl_guest_def *def, const struct vfioctl_pci_addr *addr)
{
        if (!def || !addr)
                return NULL;
        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (def->hostdevs[i]->has_addr &&
                    vfioctl_pci_addr_compare(&def->hostdevs[i]->addr, addr) == 0)
                        return def->hostdevs[i];
        return NULL;
}

static int network_entry(vfioctl_guest_def *def, size_t i, vfioctl_guest_hostdev **ret)
{
        if (!def)
                return -EINVAL;
        if (i >= def->n_hostdevs)
                return ctx_error(def->ctx, -EINVAL, "guest %s has no entry %zu", def->name, i);
        if (def->hostdevs[i]->kind != VFIOCTL_HOSTDEV_NETWORK)
                return ctx_error(def->ctx, -EINVAL,
                                 "line %u: %s: entry %zu is not an <interface type='network'>",
                                 def->hostdevs[i]->line,
                                 hostdev_kind_element(def->hostdevs[i]->kind), i);
        *ret = def->hostdevs[i];
        return 0;
}

VFIOCTL_EXPORT int vfioctl_guest_def_resolve_network(vfioctl_guest_def *def, size_t i,
                                                     const struct vfioctl_pci_addr *addr,
                                                     bool managed, enum vfioctl_group_mode group)
{
        struct xml_parser p;
        vfioctl_guest_hostdev *h = NULL;
        struct vfioctl_pci_addr saved;
        bool had;
        int r;

        r = network_entry(def, i, &h);
        if (r < 0)
                return r;
        if (!addr || addr->slot > 0x1f || addr->function > 7)
                return ctx_error(def->ctx, -EINVAL, "line %u: %s: invalid PCI address", h->line,
                                 hostdev_kind_element(h->kind));
        if (group != VFIOCTL_GROUP_NONE && group != VFIOCTL_GROUP_AUTO)
                return ctx_error(def->ctx, -EINVAL, "invalid group mode %d", (int) group);

        /* libvirt checks these once the interface's actual type is hostdev. */
        p = (struct xml_parser){ .ctx = def->ctx, .prefix = "", .elem = hostdev_kind_element(h->kind) };
        if (h->has_tap || h->has_filterref || h->queues > 1 || h->has_bandwidth ||
            h->vlan_trunk) {
                char who[64];

                snprintf(who, sizeof(who), "interface %s", h->mac ? h->mac : "(no <mac>)");
                if (h->has_tap)
                        return ctx_error(def->ctx, -EINVAL,
                                         "line %u: %s: network '%s' is a hostdev pool: %s - "
                                         "custom tap device path is not supported for network "
                                         "interfaces of type hostdev",
                                         h->line, p.elem, h->network, who);
                return ctx_error(def->ctx, -EINVAL,
                                 "line %u: %s: network '%s' is a hostdev pool: %s - %s is not "
                                 "supported for hostdev interfaces",
                                 h->line, p.elem, h->network, who,
                                 h->has_filterref ? "filterref" :
                                 h->queues > 1   ? "multiqueue" :
                                 h->has_bandwidth ? "bandwidth setting" :
                                                   "vlan trunking");
        }

        had = h->has_addr;
        saved = h->addr;
        h->addr = *addr;
        h->has_addr = true;
        r = guest_check_duplicate(def, h);
        if (r < 0) {
                h->addr = saved;
                h->has_addr = had;
                return r;
        }
        h->managed = managed;
        h->group = group != VFIOCTL_GROUP_NONE ? group : def->default_group;
        h->ignored = false;
        def->ids_valid = false;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_guest_def_resolve_network_from_pool(vfioctl_guest_def *def, size_t i,
                                                               vfioctl_network_def *pool,
                                                               const struct vfioctl_pci_addr *addr)
{
        vfioctl_guest_hostdev *h = NULL;
        char *model = NULL;
        int r;

        if (!pool)
                return -EINVAL;
        r = network_entry(def, i, &h);
        if (r < 0)
                return r;
        if (pool->driver_model && !(model = strdup(pool->driver_model)))
                return -ENOMEM;
        r = vfioctl_guest_def_resolve_network(def, i, addr, pool->managed, pool->group);
        if (r < 0) {
                free(model);
                return r;
        }
        if (pool->driver != VFIOCTL_HOSTDEV_DRIVER_DEFAULT)
                h->driver = pool->driver;
        if (h->vlan < 0)
                h->vlan = pool->vlan; /* the interface's own tag wins, as in libvirt */
        if (model) {
                free(h->driver_model);
                h->driver_model = model;
        }
        return 0;
}

VFIOCTL_EXPORT int vfioctl_guest_def_ignore_network(vfioctl_guest_def *def, size_t i)
{
        vfioctl_guest_hostdev *h = NULL;
        int r;

        r = network_entry(def, i, &h);
        if (r < 0)
                return r;
        h->ignored = true;
        h->has_addr = false;
        def->ids_valid = false;
        return 0;
}

/* The N of an alias "hostdevN", or -1. */
static long hostdev_alias_number(const char *a)
{
        unsigned long v;

        if (!a || strncmp(a, "hostdev", 7) != 0 || a[7] < '0' || a[7] > '9' ||
            xml_parse_number(a + 7, INT_MAX, &v) != 0)
                return -1;
        return (long) v;
}

/*
 * libvirt's numbering: every hostdev of any type (PCI, USB, SCSI, mdev)
 * takes the next hostdevN in document order, after the highest N an
 * alias already uses. The skipped non-PCI hostdevs take their numbers
 * too, so ours never collide with libvirt's usb-host,id=hostdev0.
 */
static void guest_def_compute_ids(vfioctl_guest_def *def)
{
        unsigned long next = 0;
        size_t k = 0;

        if (def->ids_valid)
                return;
        for (size_t i = 0; i < def->n_hostdevs; i++) {
                long v = hostdev_alias_number(def->hostdevs[i]->alias);

                if (!def->hostdevs[i]->ignored && v >= 0 && (unsigned long) v + 1 > next)
                        next = v + 1;
        }
        for (size_t i = 0; i < def->n_skipped; i++) {
                long v = hostdev_alias_number(def->skipped_alias[i]);

                if (v >= 0 && (unsigned long) v + 1 > next)
                        next = v + 1;
        }
        for (size_t i = 0; i <= def->n_hostdevs; i++) {
                vfioctl_guest_hostdev *h;

                for (; k < def->n_skipped && def->skipped_pos[k] == i; k++)
                        if (!def->skipped_alias[k])
                                next++;
                if (i == def->n_hostdevs)
                        break;
                h = def->hostdevs[i];
                h->id[0] = '\0';
                if (h->ignored || h->alias)
                        continue;
                snprintf(h->id, sizeof(h->id), "hostdev%lu", next++);
        }
        def->ids_valid = true;
}

VFIOCTL_EXPORT enum vfioctl_hostdev_kind vfioctl_guest_hostdev_get_kind(vfioctl_guest_hostdev *h)
{
        return h ? h->kind : VFIOCTL_HOSTDEV_PCI;
}

VFIOCTL_EXPORT size_t vfioctl_guest_hostdev_get_index(vfioctl_guest_hostdev *h)
{
        return h ? h->index : 0;
}

VFIOCTL_EXPORT unsigned vfioctl_guest_hostdev_get_line(vfioctl_guest_hostdev *h)
{
        return h ? h->line : 0;
}

VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_element(vfioctl_guest_hostdev *h)
{
        return h ? hostdev_kind_element(h->kind) : NULL;
}

VFIOCTL_EXPORT const struct vfioctl_pci_addr *
vfioctl_guest_hostdev_get_addr(vfioctl_guest_hostdev *h)
{
        return h && h->has_addr ? &h->addr : NULL;
}

VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_network(vfioctl_guest_hostdev *h)
{
        return h ? h->network : NULL;
}

VFIOCTL_EXPORT bool vfioctl_guest_hostdev_is_resolved(vfioctl_guest_hostdev *h)
{
        return h && (h->has_addr || h->ignored);
}

VFIOCTL_EXPORT bool vfioctl_guest_hostdev_is_ignored(vfioctl_guest_hostdev *h)
{
        return h && h->ignored;
}

VFIOCTL_EXPORT bool vfioctl_guest_hostdev_is_managed(vfioctl_guest_hostdev *h)
{
        return h && h->managed;
}

VFIOCTL_EXPORT enum vfioctl_hostdev_driver
vfioctl_guest_hostdev_get_driver(vfioctl_guest_hostdev *h)
{
        return h ? h->driver : VFIOCTL_HOSTDEV_DRIVER_DEFAULT;
}

VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_driver_model(vfioctl_guest_hostdev *h)
{
        return h ? h->driver_model : NULL;
}

VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_stub_driver(vfioctl_guest_hostdev *h)
{
        if (!h)
                return NULL;
        if (h->driver_model)
                return h->driver_model;
        /* The same words as --driver (DESIGN §2). */
        switch (h->driver) {
        case VFIOCTL_HOSTDEV_DRIVER_KVM:
                return vfioctl_stub_driver_name("kvm");
        case VFIOCTL_HOSTDEV_DRIVER_XEN:
                return vfioctl_stub_driver_name("xen");
        case VFIOCTL_HOSTDEV_DRIVER_DEFAULT:
        case VFIOCTL_HOSTDEV_DRIVER_VFIO:
                break;
        }
        return vfioctl_stub_driver_name("vfio");
}

VFIOCTL_EXPORT enum vfioctl_group_mode
vfioctl_guest_hostdev_get_group_mode(vfioctl_guest_hostdev *h)
{
        return h ? h->group : VFIOCTL_GROUP_NONE;
}

VFIOCTL_EXPORT bool vfioctl_guest_hostdev_is_assigned(vfioctl_guest_hostdev *h)
{
        return h && h->assigned;
}

VFIOCTL_EXPORT const struct vfioctl_pci_addr *
vfioctl_guest_hostdev_get_guest_addr(vfioctl_guest_hostdev *h)
{
        return h && h->has_guest_addr ? &h->guest_addr : NULL;
}

VFIOCTL_EXPORT enum vfioctl_switch vfioctl_guest_hostdev_get_multifunction(vfioctl_guest_hostdev *h)
{
        return h ? h->multifunction : VFIOCTL_SWITCH_DEFAULT;
}

VFIOCTL_EXPORT enum vfioctl_switch vfioctl_guest_hostdev_get_rom_bar(vfioctl_guest_hostdev *h)
{
        return h ? h->rom_bar : VFIOCTL_SWITCH_DEFAULT;
}

VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_rom_file(vfioctl_guest_hostdev *h)
{
        return h ? h->rom_file : NULL;
}

VFIOCTL_EXPORT bool vfioctl_guest_hostdev_is_rom_enabled(vfioctl_guest_hostdev *h)
{
        return h && !(h->rom_file && !*h->rom_file);
}

VFIOCTL_EXPORT unsigned vfioctl_guest_hostdev_get_boot_order(vfioctl_guest_hostdev *h)
{
        return h ? h->boot_order : 0;
}

VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_alias(vfioctl_guest_hostdev *h)
{
        return h ? h->alias : NULL;
}

VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_id(vfioctl_guest_hostdev *h)
{
        if (!h || h->ignored)
                return NULL;
        if (h->alias)
                return h->alias;
        guest_def_compute_ids(h->def);
        return h->id;
}

VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_failover_pair(vfioctl_guest_hostdev *h)
{
        return h ? h->failover_pair : NULL;
}

VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_mac(vfioctl_guest_hostdev *h)
{
        return h ? h->mac : NULL;
}
