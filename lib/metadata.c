/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfioctl policy of a libvirt domain (DESIGN rule 14). libvirt's schema
 * has no place for group='auto' or assigned='no' on a <hostdev>, and
 * `virsh define` drops attributes it does not know; what it keeps as it is
 * is any element of a foreign namespace under <metadata>:
 *
 *   <metadata>
 *     <vfioctl:assign xmlns:vfioctl='urn:vfioctl:domain:1' group='auto'>
 *       <vfioctl:hostdev address='0000:05:00.0' group='none' assigned='no'/>
 *     </vfioctl:assign>
 *   </metadata>
 *
 * group on <vfioctl:assign> is the default of every host device that says
 * none itself; a <vfioctl:hostdev> element overrides it for the device
 * whose host address it names. Elements of other namespaces are other
 * tools' business and ignored; anything in ours vfioctl does not know is
 * an error, since guessing at a policy could detach the wrong devices.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "metadata.h"

/* One <vfioctl:hostdev>, read before anything is applied. */
struct override {
        xmlNode *node;
        vfioctl_guest_hostdev *entry;
        bool has_group;
        enum vfioctl_group_mode group;
        bool has_assigned;
        bool assigned;
};

static bool in_namespace(const xmlNode *n, const char *href)
{
        return n->ns && n->ns->href && xmlStrEqual(n->ns->href, BAD_CAST href);
}

/* "<vfioctl:hostdev>" with the prefix the document uses. */
static const char *elem_name(const xmlNode *n, char *buf, size_t size)
{
        if (n->ns && n->ns->prefix)
                snprintf(buf, size, "%s:%s", (const char *) n->ns->prefix, (const char *) n->name);
        else
                snprintf(buf, size, "%s", (const char *) n->name);
        return buf;
}

static int merr(vfioctl_guest_def *def, xmlNode *n, const char *format, ...) _printf_(3, 4);
static int merr(vfioctl_guest_def *def, xmlNode *n, const char *format, ...)
{
        char name[128], msg[768];
        va_list ap;

        va_start(ap, format);
        vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);
        return ctx_error(def->ctx, -EINVAL, "line %ld: <%s>: %s", xmlGetLineNo(n),
                         elem_name(n, name, sizeof(name)), msg);
}

/* An attribute's value, borrowed; "" when empty. */
static const char *attr_value(const xmlAttr *a)
{
        if (a->children && a->children->type == XML_TEXT_NODE && a->children->content)
                return (const char *) a->children->content;
        return "";
}

/* Every attribute must be one vfioctl reads, without a namespace. */
static int check_attributes(vfioctl_guest_def *def, xmlNode *n, const char *const *known)
{
        for (xmlAttr *a = n->properties; a; a = a->next) {
                bool ok = false;

                for (const char *const *k = known; *k && !ok; k++)
                        ok = !a->ns && xmlStrEqual(a->name, BAD_CAST *k);
                if (!ok)
                        return merr(def, n,
                                    "unknown attribute '%s%s%s' (vfioctl reads group on "
                                    "<assign>, and address, group and assigned on <hostdev>)",
                                    a->ns && a->ns->prefix ? (const char *) a->ns->prefix : "",
                                    a->ns && a->ns->prefix ? ":" : "", (const char *) a->name);
        }
        return 0;
}

static int parse_group(vfioctl_guest_def *def, xmlNode *n, const char *value,
                       enum vfioctl_group_mode *ret)
{
        if (streq(value, "auto") || streq(value, "allow"))
                *ret = VFIOCTL_GROUP_AUTO;
        else if (streq(value, "none"))
                *ret = VFIOCTL_GROUP_NONE;
        else
                return merr(def, n,
                            "group='%s': group must be 'auto' (detach and hold the other "
                            "members of the device's IOMMU group; 'allow' is the same) or "
                            "'none'",
                            value);
        return 0;
}

/* The entry whose host address is addr: a <hostdev> or <interface type='hostdev'>. */
static vfioctl_guest_hostdev *fixed_entry(vfioctl_guest_def *def,
                                          const struct vfioctl_pci_addr *addr)
{
        for (size_t i = 0; i < def->n_hostdevs; i++) {
                vfioctl_guest_hostdev *h = def->hostdevs[i];

                if (h->kind != VFIOCTL_HOSTDEV_NETWORK && h->has_addr &&
                    vfioctl_pci_addr_compare(&h->addr, addr) == 0)
                        return h;
        }
        return NULL;
}

static int refuse_unknown_address(vfioctl_guest_def *def, xmlNode *n, const char *value)
{
        char list[256] = "", buf[VFIOCTL_PCI_ADDR_MAX];
        size_t len = 0;

        for (size_t i = 0; i < def->n_hostdevs && len < sizeof(list); i++)
                if (def->hostdevs[i]->kind != VFIOCTL_HOSTDEV_NETWORK)
                        len += snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "",
                                        vfioctl_pci_addr_format(&def->hostdevs[i]->addr, buf));
        return merr(def, n,
                    "address='%s': the domain has no <hostdev> of that host address (%s%s); "
                    "the functions a hostdev network hands out take the group of <assign>",
                    value, len ? "it has " : "it has none", list);
}

static int parse_override(vfioctl_guest_def *def, xmlNode *n, struct override *o)
{
        static const char *const known[] = { "address", "group", "assigned", NULL };
        const char *address = NULL, *group = NULL, *assigned = NULL;
        struct vfioctl_pci_addr addr;
        int r;

        r = check_attributes(def, n, known);
        if (r < 0)
                return r;
        for (xmlAttr *a = n->properties; a; a = a->next) {
                if (xmlStrEqual(a->name, BAD_CAST "address"))
                        address = attr_value(a);
                else if (xmlStrEqual(a->name, BAD_CAST "group"))
                        group = attr_value(a);
                else
                        assigned = attr_value(a);
        }
        for (xmlNode *c = n->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE)
                        return merr(def, c, "vfioctl's <hostdev> has no child elements");
        if (!address)
                return merr(def, n,
                            "address is missing: the host PCI address of one of the domain's "
                            "<hostdev>s, such as '0000:05:00.0'");
        if (vfioctl_pci_addr_parse(address, &addr) < 0)
                return merr(def, n, "address='%s': not a PCI address (DDDD:BB:DD.F, such as "
                                    "'0000:05:00.0')", address);
        o->node = n;
        o->entry = fixed_entry(def, &addr);
        if (!o->entry)
                return refuse_unknown_address(def, n, address);
        if (group) {
                r = parse_group(def, n, group, &o->group);
                if (r < 0)
                        return r;
                o->has_group = true;
        }
        if (assigned) {
                if (!streq(assigned, "yes") && !streq(assigned, "no"))
                        return merr(def, n, "assigned='%s': assigned must be 'yes' or 'no'",
                                    assigned);
                o->has_assigned = true;
                o->assigned = streq(assigned, "yes");
        }
        return 0;
}

/* Rule 7 as the <hostdev> parser has it, for an entry the metadata unassigns. */
static int check_assigned(vfioctl_guest_def *def, const struct override *o)
{
        vfioctl_guest_hostdev *h = o->entry;
        char buf[VFIOCTL_PCI_ADDR_MAX];

        if (o->assigned) {
                if (!h->assigned)
                        return merr(def, o->node,
                                    "assigned='yes' contradicts the <address "
                                    "type='unassigned'/> of the <hostdev> at line %u: drop "
                                    "one of them",
                                    h->line);
                return 0;
        }
        if (h->kind != VFIOCTL_HOSTDEV_PCI)
                return merr(def, o->node,
                            "assigned='no': line %u is an %s, a NIC the guest uses; only a "
                            "<hostdev> can be held without being given to the guest",
                            h->line, hostdev_kind_element(h->kind));
        if (h->has_guest_addr)
                return merr(def, o->node,
                            "assigned='no': libvirt gives the <hostdev> at line %u to the guest "
                            "at guest address %s; to hold it without giving it to the guest, "
                            "replace its <address type='pci' …/> with <address "
                            "type='unassigned'/>",
                            h->line, vfioctl_pci_addr_format(&h->guest_addr, buf));
        if (h->boot_order || h->failover_pair || h->rom_file ||
            h->rom_bar != VFIOCTL_SWITCH_DEFAULT)
                return merr(def, o->node,
                            "assigned='no': the <hostdev> at line %u has <boot>, <rom> or "
                            "<teaming>, which need a QEMU device an unassigned hostdev does "
                            "not get",
                            h->line);
        return 0;
}

/* <vfioctl:assign>: its default, then its <vfioctl:hostdev>s, all read before any applies. */
static int apply_assign(vfioctl_guest_def *def, xmlNode *n)
{
        static const char *const known[] = { "group", NULL };
        _cleanup_free_ struct override *overrides = NULL;
        enum vfioctl_group_mode def_group = VFIOCTL_GROUP_NONE;
        size_t n_overrides = 0, size = 0;
        int r;

        r = check_attributes(def, n, known);
        if (r < 0)
                return r;
        if (n->properties) {
                r = parse_group(def, n, attr_value(n->properties), &def_group);
                if (r < 0)
                        return r;
        }
        for (xmlNode *c = n->children; c; c = c->next)
                size += c->type == XML_ELEMENT_NODE;
        overrides = calloc(size ? size : 1, sizeof(*overrides));
        if (!overrides)
                return ctx_error(def->ctx, -ENOMEM, "out of memory");
        for (xmlNode *c = n->children; c; c = c->next) {
                struct override *o = &overrides[n_overrides];
                char name[128];

                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (!in_namespace(c, VFIOCTL_METADATA_NS) || !xmlStrEqual(c->name, BAD_CAST "hostdev"))
                        return merr(def, c,
                                    "not a vfioctl element: <%s> holds only <hostdev "
                                    "address='…'/> elements of namespace %s",
                                    elem_name(n, name, sizeof(name)), VFIOCTL_METADATA_NS);
                r = parse_override(def, c, o);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n_overrides; i++)
                        if (overrides[i].entry == o->entry)
                                return merr(def, c, "address='%s': given twice (also at line "
                                                    "%ld)",
                                            attr_value(xmlHasNsProp(c, BAD_CAST "address", NULL)),
                                            xmlGetLineNo(overrides[i].node));
                if (o->has_assigned) {
                        r = check_assigned(def, o);
                        if (r < 0)
                                return r;
                }
                n_overrides++;
        }

        def->default_group = def_group;
        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (def->hostdevs[i]->group == VFIOCTL_GROUP_NONE)
                        def->hostdevs[i]->group = def_group;
        for (size_t i = 0; i < n_overrides; i++) {
                if (overrides[i].has_group)
                        overrides[i].entry->group = overrides[i].group;
                if (overrides[i].has_assigned)
                        overrides[i].entry->assigned = overrides[i].assigned;
        }
        def->ids_valid = false;
        return 0;
}

int metadata_apply(vfioctl_guest_def *def, xmlNode *domain)
{
        xmlNode *metadata = NULL, *found = NULL;

        for (xmlNode *c = domain->children; c && !metadata; c = c->next)
                if (c->type == XML_ELEMENT_NODE && !c->ns && xmlStrEqual(c->name, BAD_CAST "metadata"))
                        metadata = c;
        for (xmlNode *c = metadata ? metadata->children : NULL; c; c = c->next) {
                char name[128];

                if (c->type != XML_ELEMENT_NODE || !c->ns || !c->ns->href)
                        continue;
                if (!in_namespace(c, VFIOCTL_METADATA_NS)) {
                        /* A later format would say things this one cannot: refuse, not guess. */
                        if (xmlStrncmp(c->ns->href, BAD_CAST "urn:vfioctl:", 12) == 0)
                                return merr(def, c,
                                            "namespace %s is not one this vfioctl reads (it "
                                            "reads %s)",
                                            (const char *) c->ns->href, VFIOCTL_METADATA_NS);
                        continue;
                }
                if (!xmlStrEqual(c->name, BAD_CAST "assign"))
                        return merr(def, c,
                                    "vfioctl's metadata is one <assign> element (a <hostdev> "
                                    "goes inside it), not <%s>",
                                    elem_name(c, name, sizeof(name)));
                if (found)
                        return merr(def, c, "given twice in <metadata> (also at line %ld)",
                                    xmlGetLineNo(found));
                found = c;
        }
        return found ? apply_assign(def, found) : 0;
}

void metadata_libvirt_take_drivers(vfioctl_guest_def *def)
{
        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (def->hostdevs[i]->has_addr && !def->hostdevs[i]->ignored)
                        def->hostdevs[i]->managed = true;
}
