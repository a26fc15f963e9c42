/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt XML: guest definitions (<domain> or a bare <devices>) and hostdev
 * network pools, parsed with libxml2 into plain data. No sysfs, no state.
 *
 * What is read follows libvirt's domain and network schemas for PCI
 * devices; everything else in the document is ignored. Every error names
 * the line, the element and what is wrong. libxml2's own diagnostics are
 * captured into the message; libxml2 never prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "hostdev.h"
#include "metadata.h"

/* Largest XML document we read. Domain XMLs are a few KiB. */
#define XML_SIZE_MAX (16u * 1024 * 1024)

#if LIBXML_VERSION >= 21200
#define XMLERR_CONST const
#else
#define XMLERR_CONST
#endif

/* ------------------------------------------------------------------ */
/* Reading and parsing the document                                    */

struct xml_error {
        bool set;
        int line;
        char msg[512];
};

static void xml_error_record(struct xml_error *e, XMLERR_CONST xmlError *error)
{
        size_t len;

        if (!e || !error || e->set || error->level < XML_ERR_ERROR)
                return;
        e->set = true;
        e->line = error->line;
        snprintf(e->msg, sizeof(e->msg), "%s", error->message ? error->message : "unknown error");
        len = strlen(e->msg);
        while (len > 0 && (e->msg[len - 1] == '\n' || e->msg[len - 1] == ' '))
                e->msg[--len] = '\0';
}

#if LIBXML_VERSION >= 21300
static void xml_error_handler(void *data, XMLERR_CONST xmlError *error)
{
        xml_error_record(data, error);
}
#else
/* Before 2.13 the structured handler of a parser context gets the context. */
static void xml_error_handler(void *data, XMLERR_CONST xmlError *error)
{
        xmlParserCtxtPtr pctxt = data;

        xml_error_record(pctxt ? pctxt->_private : NULL, error);
}
#endif

static void xml_free_docp(xmlDoc **doc)
{
        if (*doc)
                xmlFreeDoc(*doc);
}
#define _cleanup_xml_doc_ _cleanup_(xml_free_docp)

/*
 * Parses len bytes of buf. No network access, no entity substitution, no
 * DTD loading; a document with a DOCTYPE is refused outright since libvirt
 * XML never has one.
 */
static int xml_parse(vfioctl_ctx *ctx, const char *buf, size_t len, const char *what,
                     xmlDoc **ret)
{
        struct xml_error err = {};
        xmlParserCtxtPtr pctxt;
        xmlDoc *doc;

        if (len > XML_SIZE_MAX)
                return ctx_error(ctx, -EFBIG, "%s: larger than %u bytes", what, XML_SIZE_MAX);

        pctxt = xmlNewParserCtxt();
        if (!pctxt)
                return ctx_error(ctx, -ENOMEM, "%s: out of memory", what);
#if LIBXML_VERSION >= 21300
        xmlCtxtSetErrorHandler(pctxt, xml_error_handler, &err);
#else
        pctxt->_private = &err;
        pctxt->sax->serror = xml_error_handler;
#endif
        doc = xmlCtxtReadMemory(pctxt, buf, (int) len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES |
                                XML_PARSE_NOCDATA);
        if (!doc && !err.set) {
                XMLERR_CONST xmlError *last = xmlCtxtGetLastError(pctxt);
                xml_error_record(&err, last);
        }
        xmlFreeParserCtxt(pctxt);

        if (!doc) {
                if (err.set)
                        return ctx_error(ctx, -EINVAL, "%s: line %d: XML syntax error: %s", what,
                                         err.line, err.msg);
                return ctx_error(ctx, -EINVAL, "%s: not a well-formed XML document", what);
        }
        if (doc->intSubset || doc->extSubset) {
                xmlFreeDoc(doc);
                return ctx_error(ctx, -EINVAL, "%s: <!DOCTYPE> is not allowed in libvirt XML",
                                 what);
        }
        if (!xmlDocGetRootElement(doc)) {
                xmlFreeDoc(doc);
                return ctx_error(ctx, -EINVAL, "%s: empty document", what);
        }
        *ret = doc;
        return 0;
}

static int read_file(vfioctl_ctx *ctx, const char *path, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return ctx_error(ctx, negative_errno(), "cannot open %s: %m", path);

        for (;;) {
                ssize_t n;

                if (size - len < 4096) {
                        size_t nsize = size ? size * 2 : 16384;
                        char *nbuf;

                        if (nsize > XML_SIZE_MAX + 4096)
                                nsize = XML_SIZE_MAX + 4096;
                        if (nsize <= size)
                                return ctx_error(ctx, -EFBIG, "%s: larger than %u bytes", path,
                                                 XML_SIZE_MAX);
                        nbuf = realloc(buf, nsize);
                        if (!nbuf)
                                return ctx_error(ctx, -ENOMEM, "%s: out of memory", path);
                        buf = nbuf;
                        size = nsize;
                }
                n = read(fd, buf + len, size - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return ctx_error(ctx, negative_errno(), "cannot read %s: %m", path);
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > XML_SIZE_MAX)
                        return ctx_error(ctx, -EFBIG, "%s: larger than %u bytes", path,
                                         XML_SIZE_MAX);
        }
        buf[len] = '\0';
        if (memchr(buf, '\0', len))
                return ctx_error(ctx, -EINVAL, "%s: contains a NUL byte", path);
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Element helpers                                                     */

struct parser {
        vfioctl_ctx *ctx;
        const char *prefix;     /* "network NAME: " for network XML, else "" */
        const char *elem;       /* the device element being read, for messages */
};

static int perrv(struct parser *p, int error, xmlNode *n, const char *format, va_list ap)
        _printf_(4, 0);
static int perrv(struct parser *p, int error, xmlNode *n, const char *format, va_list ap)
{
        char msg[768];

        vsnprintf(msg, sizeof(msg), format, ap);
        return ctx_error(p->ctx, error, "%sline %ld: %s: %s", p->prefix, xmlGetLineNo(n),
                         p->elem, msg);
}

static int perr(struct parser *p, xmlNode *n, const char *format, ...) _printf_(3, 4);
static int perr(struct parser *p, xmlNode *n, const char *format, ...)
{
        va_list ap;
        int r;

        va_start(ap, format);
        r = perrv(p, -EINVAL, n, format, ap);
        va_end(ap);
        return r;
}

static int perr_errno(struct parser *p, int error, xmlNode *n, const char *format, ...)
        _printf_(4, 5);
static int perr_errno(struct parser *p, int error, xmlNode *n, const char *format, ...)
{
        va_list ap;
        int r;

        va_start(ap, format);
        r = perrv(p, error, n, format, ap);
        va_end(ap);
        return r;
}

static bool is_elem(const xmlNode *n, const char *name)
{
        return n && n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name);
}

static xmlNode *first_child(xmlNode *parent, const char *name)
{
        for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
                if (is_elem(c, name))
                        return c;
        return NULL;
}

/*
 * The value of an attribute, borrowed from the document: NULL when absent,
 * "" when empty. Without a DOCTYPE there are no entity references, so the
 * value is a single text node.
 */
static const char *attr(xmlNode *n, const char *name)
{
        xmlAttr *a = xmlHasNsProp(n, BAD_CAST name, NULL);

        if (!a)
                return NULL;
        if (!a->children)
                return "";
        if (a->children->type == XML_TEXT_NODE && a->children->content)
                return (const char *) a->children->content;
        return "";
}

/* Text content of an element; *ret is malloc'ed. */
static int elem_text(xmlNode *n, char **ret)
{
        xmlChar *s = xmlNodeGetContent(n);
        char *t;

        if (!s)
                return -ENOMEM;
        t = strdup((const char *) s);
        xmlFree(s);
        if (!t)
                return -ENOMEM;
        *ret = t;
        return 0;
}

static int strdup_to(const char *s, char **ret)
{
        char *t = NULL;

        if (s) {
                t = strdup(s);
                if (!t)
                        return -ENOMEM;
        }
        free(*ret);
        *ret = t;
        return 0;
}

/*
 * Unsigned numbers as libvirt reads them (strtoul base 0): "0x1f" hex,
 * "017" octal, "31" decimal. Nothing else: no sign, no spaces, no suffix.
 */
static int parse_number(const char *s, unsigned long max, unsigned long *ret)
{
        unsigned base = 10;
        unsigned long v = 0;
        const char *p = s;

        if (!s || !*s)
                return -EINVAL;
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
                base = 16;
                p += 2;
                if (!*p)
                        return -EINVAL;
        } else if (p[0] == '0' && p[1]) {
                base = 8;
                p++;
        }
        for (; *p; p++) {
                unsigned d;

                if (*p >= '0' && *p <= '9')
                        d = (unsigned) (*p - '0');
                else if (*p >= 'a' && *p <= 'f')
                        d = (unsigned) (*p - 'a' + 10);
                else if (*p >= 'A' && *p <= 'F')
                        d = (unsigned) (*p - 'A' + 10);
                else
                        return -EINVAL;
                if (d >= base)
                        return -EINVAL;
                if (v > (ULONG_MAX - d) / base)
                        return -ERANGE;
                v = v * base + d;
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* yes/no attributes; *ret untouched when absent. */
static int parse_yesno(struct parser *p, xmlNode *n, const char *where, const char *name,
                       bool *ret)
{
        const char *v = attr(n, name);

        if (!v)
                return 0;
        if (streq(v, "yes"))
                *ret = true;
        else if (streq(v, "no"))
                *ret = false;
        else
                return perr(p, n, "%s %s='%s'>: %s must be 'yes' or 'no'", where, name, v, name);
        return 0;
}

static int parse_onoff(struct parser *p, xmlNode *n, const char *where, const char *name,
                       enum vfioctl_switch *ret)
{
        const char *v = attr(n, name);

        if (!v)
                *ret = VFIOCTL_SWITCH_DEFAULT;
        else if (streq(v, "on"))
                *ret = VFIOCTL_SWITCH_ON;
        else if (streq(v, "off"))
                *ret = VFIOCTL_SWITCH_OFF;
        else
                return perr(p, n, "%s %s='%s'>: %s must be 'on' or 'off'", where, name, v, name);
        return 0;
}

struct addr_field {
        const char *name;
        unsigned long max;
        const char *range;
        bool required;
};

/*
 * A PCI <address domain bus slot function/>. where is how the element is
 * named in messages ("<source><address"). Host addresses need bus and
 * slot, guest addresses the slot; the rest default to 0 as in libvirt.
 */
static int parse_pci_address(struct parser *p, xmlNode *n, const char *where, bool host,
                             struct vfioctl_pci_addr *ret)
{
        const struct addr_field fields[] = {
                { "domain", 0xffff, "0-0xffff", false },
                { "bus", 0xff, "0-0xff", host },
                { "slot", 0x1f, "0-0x1f", true },
                { "function", 7, "0-7", false },
        };
        unsigned long v[4] = {};

        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                const char *s = attr(n, fields[i].name);
                int r;

                if (!s) {
                        if (fields[i].required)
                                return perr(p, n, "%s>: %s is missing", where, fields[i].name);
                        continue;
                }
                r = parse_number(s, fields[i].max, &v[i]);
                if (r == -ERANGE)
                        return perr(p, n, "%s %s='%s'>: %s must be %s", where, fields[i].name, s,
                                    fields[i].name, fields[i].range);
                if (r < 0)
                        return perr(p, n, "%s %s='%s'>: %s is not a number", where,
                                    fields[i].name, s, fields[i].name);
        }
        *ret = (struct vfioctl_pci_addr){
                .domain = (uint16_t) v[0],
                .bus = (uint8_t) v[1],
                .slot = (uint8_t) v[2],
                .function = (uint8_t) v[3],
        };
        return 0;
}

/* QEMU device ids (and so libvirt aliases): a letter, then letters, digits, '-', '.', '_'. */
static bool id_valid(const char *s)
{
        if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
                return false;
        if (strlen(s) > 128)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_'))
                        return false;
        return true;
}

/* Kernel driver names end up in sysfs paths: keep them to [A-Za-z0-9_-]. */
static bool driver_name_valid(const char *s)
{
        if (!s || !*s || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
                        return false;
        return true;
}

/* As the kernel's dev_valid_name(). */
static bool ifname_valid(const char *s)
{
        if (!s || !*s || strlen(s) >= 16 || streq(s, ".") || streq(s, ".."))
                return false;
        for (; *s; s++)
                if (*s == '/' || *s == ':' || *s == ' ' || *s == '\t' || *s == '\n' ||
                    *s == '\r' || *s == '\f' || *s == '\v')
                        return false;
        return true;
}

/* <driver name='vfio|kvm|xen' model='…' group='auto|allow'/>, for hostdevs and pools. */
static int parse_driver(struct parser *p, xmlNode *n, enum vfioctl_hostdev_driver *ret_driver,
                        char **ret_model, enum vfioctl_group_mode *ret_group)
{
        const char *name = attr(n, "name"), *model = attr(n, "model"), *group = attr(n, "group");

        if (name) {
                if (streq(name, "vfio"))
                        *ret_driver = VFIOCTL_HOSTDEV_DRIVER_VFIO;
                else if (streq(name, "kvm"))
                        *ret_driver = VFIOCTL_HOSTDEV_DRIVER_KVM;
                else if (streq(name, "xen"))
                        *ret_driver = VFIOCTL_HOSTDEV_DRIVER_XEN;
                else
                        return perr(p, n,
                                    "<driver name='%s'>: name must be 'vfio', 'kvm' or 'xen' "
                                    "(a vfio variant driver goes in model='…')",
                                    name);
        }
        if (model) {
                if (!driver_name_valid(model))
                        return perr(p, n,
                                    "<driver model='%s'>: not a kernel driver name "
                                    "(letters, digits, '-' and '_')",
                                    model);
                if (strdup_to(model, ret_model) < 0)
                        return -ENOMEM;
        }
        if (group) {
                if (streq(group, "auto") || streq(group, "allow"))
                        *ret_group = VFIOCTL_GROUP_AUTO;
                else
                        return perr(p, n, "<driver group='%s'>: group must be 'auto' or 'allow'",
                                    group);
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* Guest definitions                                                   */

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
        struct parser p;
        vfioctl_guest_def *def;
        unsigned flags;
        bool os_boot;           /* <os><boot dev=…> */
        xmlNode *os_boot_node;
        struct device_info *devs;
        size_t n_devs;
};

/* <rom bar='on|off' file='…' enabled='yes|no'/> */
static int parse_rom(struct parser *p, xmlNode *n, vfioctl_guest_hostdev *h)
{
        const char *file = attr(n, "file");
        bool enabled = true;
        int r;

        r = parse_onoff(p, n, "<rom", "bar", &h->rom_bar);
        if (r < 0)
                return r;
        r = parse_yesno(p, n, "<rom", "enabled", &enabled);
        if (r < 0)
                return r;
        /* The legacy <rom file=''/> means what enabled='no' means. */
        if (file && !*file) {
                if (attr(n, "enabled") && enabled)
                        return perr(p, n, "<rom file='' enabled='yes'>: an empty file disables "
                                          "the ROM");
                enabled = false;
                file = NULL;
        }
        if (!enabled) {
                if (h->rom_bar != VFIOCTL_SWITCH_DEFAULT || file)
                        return perr(p, n, "<rom enabled='no'>: ROM tuning is not supported when "
                                          "ROM is disabled");
                file = "";
        }
        if (file && *file && file[0] != '/')
                return perr(p, n, "<rom file='%s'>: the ROM file must be an absolute path", file);
        return strdup_to(file, &h->rom_file);
}

static int parse_boot(struct parser *p, xmlNode *n, unsigned *ret)
{
        const char *order = attr(n, "order");
        unsigned long v;
        int r;

        if (!order)
                return perr(p, n, "<boot>: order is missing");
        r = parse_number(order, INT_MAX, &v);
        if (r < 0 || v == 0 || order[0] == '0')
                return perr(p, n, "<boot order='%s'>: order must be a positive decimal number",
                            order);
        *ret = (unsigned) v;
        return 0;
}

static int parse_alias(struct parser *p, xmlNode *n, char **ret)
{
        const char *name = attr(n, "name");

        if (!name)
                return perr(p, n, "<alias>: name is missing");
        if (!id_valid(name))
                return perr(p, n,
                            "<alias name='%s'>: an alias starts with a letter and has only "
                            "letters, digits, '-', '.' and '_'",
                            name);
        return strdup_to(name, ret);
}

static int parse_teaming(struct parser *p, xmlNode *n, vfioctl_guest_hostdev *h)
{
        const char *type = attr(n, "type"), *persistent = attr(n, "persistent");

        if (!type || !streq(type, "transient"))
                return perr(p, n, "<teaming type='%s'>: teaming hostdev devices must have "
                                  "type='transient'",
                            strempty(type));
        if (!persistent || !*persistent)
                return perr(p, n, "<teaming>: missing required persistent attribute in hostdev "
                                  "teaming element");
        if (!id_valid(persistent))
                return perr(p, n, "<teaming persistent='%s'>: not a valid alias", persistent);
        return strdup_to(persistent, &h->failover_pair);
}

/* Guest <address>: type='pci' or, for <hostdev>s, type='unassigned'. */
static int parse_guest_address(struct parser *p, xmlNode *n, vfioctl_guest_hostdev *h,
                               bool *ret_unassigned)
{
        const char *type = attr(n, "type");
        int r;

        if (type && streq(type, "unassigned") && h->kind == VFIOCTL_HOSTDEV_PCI) {
                *ret_unassigned = true;
                return 0;
        }
        if (!type || !streq(type, "pci"))
                return perr(p, n, "<address type='%s'>: PCI host devices must use 'pci' or "
                                  "'unassigned' address type",
                            strempty(type));
        r = parse_pci_address(p, n, "<address", false, &h->guest_addr);
        if (r < 0)
                return r;
        r = parse_onoff(p, n, "<address", "multifunction", &h->multifunction);
        if (r < 0)
                return r;
        if (h->guest_addr.domain != 0)
                return perr(p, n, "<address domain='%s'>: the guest has only PCI domain 0",
                            attr(n, "domain"));
        if (h->guest_addr.bus == 0 && h->guest_addr.slot == 0)
                return perr(p, n, "<address bus='%s' slot='%s'>: slot 0 of bus 0 is the host "
                                  "bridge",
                            strempty(attr(n, "bus")), attr(n, "slot"));
        h->has_guest_addr = true;
        return 0;
}

/* Children that <hostdev> and <interface> have in common; 1 when taken. */
static int parse_common_child(struct parser *p, xmlNode *c, vfioctl_guest_hostdev *h,
                              bool *unassigned, xmlNode **seen_address)
{
        int r;

        if (is_elem(c, "address")) {
                if (*seen_address)
                        return perr(p, c, "<address>: given twice (also at line %ld)",
                                    xmlGetLineNo(*seen_address));
                *seen_address = c;
                r = parse_guest_address(p, c, h, unassigned);
        } else if (is_elem(c, "rom"))
                r = parse_rom(p, c, h);
        else if (is_elem(c, "boot"))
                r = parse_boot(p, c, &h->boot_order);
        else if (is_elem(c, "alias"))
                r = parse_alias(p, c, &h->alias);
        else if (is_elem(c, "teaming"))
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
                return perr_errno(&gp->p, -EOPNOTSUPP, n,
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
        alias = first_child(n, "alias");
        a = alias && attr(alias, "name") ? strdup(attr(alias, "name")) : NULL;
        if (!s || (alias && attr(alias, "name") && !a)) {
                free(s);
                free(a);
                return -ENOMEM;
        }
        pos[gp->def->n_skipped] = gp->def->n_hostdevs;
        gp->def->skipped_alias[gp->def->n_skipped] = a;
        l[gp->def->n_skipped++] = s;
        return 0;
}

static int parse_hostdev(struct guest_parser *gp, xmlNode *n, struct device_info *info)
{
        struct parser *p = &gp->p;
        _cleanup_(guest_hostdev_freep) vfioctl_guest_hostdev *h = NULL;
        const char *mode = attr(n, "mode"), *type = attr(n, "type");
        xmlNode *source = NULL, *driver = NULL, *address = NULL;
        bool unassigned = false;
        int r;

        p->elem = "<hostdev>";
        if (!mode)
                mode = "subsystem";
        if (!streq(mode, "subsystem") || !type || !streq(type, "pci"))
                return guest_skip(gp, n, mode, strempty(type));

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->kind = VFIOCTL_HOSTDEV_PCI;
        h->line = (unsigned) xmlGetLineNo(n);
        h->assigned = true;
        h->vlan = -1;

        r = parse_yesno(p, n, "<hostdev", "managed", &h->managed);
        if (r < 0)
                return r;
        r = parse_yesno(p, n, "<hostdev", "assigned", &h->assigned);
        if (r < 0)
                return r;

        for (xmlNode *c = n->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (is_elem(c, "source")) {
                        if (source)
                                return perr(p, c, "<source>: given twice (also at line %ld)",
                                            xmlGetLineNo(source));
                        source = c;
                } else if (is_elem(c, "driver")) {
                        if (driver)
                                return perr(p, c, "<driver>: given twice (also at line %ld)",
                                            xmlGetLineNo(driver));
                        driver = c;
                        r = parse_driver(p, c, &h->driver, &h->driver_model, &h->group);
                        if (r < 0)
                                return r;
                } else {
                        r = parse_common_child(p, c, h, &unassigned, &address);
                        if (r < 0)
                                return r;
                }
        }

        if (!source)
                return perr(p, n, "<source> is missing");
        {
                xmlNode *a = first_child(source, "address");

                if (!a)
                        return perr(p, source, "<source>: <address> is missing");
                r = parse_pci_address(p, a, "<source><address", true, &h->addr);
                if (r < 0)
                        return r;
                h->has_addr = true;
        }

        /* DESIGN rule 7: assigned='no' is libvirt's <address type='unassigned'/>. */
        if (unassigned) {
                if (attr(n, "assigned") && h->assigned)
                        return perr(p, n,
                                    "assigned='yes' contradicts <address type='unassigned'/>");
                h->assigned = false;
        }
        if (!h->assigned && h->has_guest_addr)
                return perr(p, address,
                            "an unassigned hostdev (assigned='no') cannot have a guest "
                            "<address type='pci'>");
        if (!h->assigned && (h->boot_order || h->failover_pair || h->rom_file ||
                             h->rom_bar != VFIOCTL_SWITCH_DEFAULT)) {
                return perr(p, n, "an unassigned hostdev (assigned='no') gets no QEMU device: "
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
static int parse_mac(struct parser *p, xmlNode *n, vfioctl_guest_hostdev *h)
{
        const char *mac = attr(n, "address");
        uint8_t b[6];

        if (!mac)
                return 0;
        if (netlink_parse_mac(mac, b) < 0)
                return perr(p, n, "<mac address='%s'>: not a MAC address (six hex bytes with "
                                  "colons, as 52:54:00:12:34:56)",
                            mac);
        if (b[0] & 1)
                return perr(p, n, "<mac address='%s'>: expected a unicast MAC address, found a "
                                  "multicast one (the lowest bit of the first byte is set)",
                            mac);
        if (!(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
                return perr(p, n, "<mac address='%s'>: the all-zero address is no address a "
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

/*
 * <vlan><tag id='42'/></vlan> (libvirt's virNetDevVlanParse). A trunk is
 * legal on an ordinary network; a VF takes one tag, which is checked once
 * the interface is known to be a hostdev (check_hostdev_interface).
 */
static int parse_vlan_into(struct parser *p, xmlNode *n, int *vlan, bool *vlan_trunk)
{
        const char *trunk = attr(n, "trunk");
        unsigned n_tags = 0;

        if (*vlan >= 0 || *vlan_trunk)
                return perr(p, n, "<vlan>: given twice");
        if (trunk && !streq(trunk, "yes") && !streq(trunk, "no"))
                return perr(p, n, "<vlan trunk='%s'>: trunk must be 'yes' or 'no'", trunk);
        for (xmlNode *c = n->children; c; c = c->next) {
                const char *id = attr(c, "id");
                unsigned long v;

                if (c->type != XML_ELEMENT_NODE || !is_elem(c, "tag"))
                        continue;
                if (!id || parse_number(id, ULONG_MAX, &v) < 0)
                        return perr(p, c, "<vlan><tag id='%s'>: missing or invalid vlan tag id",
                                    strempty(id));
                if (v > 4095)
                        return perr(p, c, "<vlan><tag id='%s'>: vlan tag id %lu too large "
                                          "(maximum 4095)",
                                    id, v);
                if (attr(c, "nativeMode"))
                        *vlan_trunk = true;
                if (n_tags++ == 0)
                        *vlan = (int) v;
        }
        if (n_tags == 0)
                return perr(p, n, "<vlan>: missing <tag id='…'/> (a VLAN needs its id)");
        if (n_tags > 1 || (trunk && streq(trunk, "yes")))
                *vlan_trunk = true;
        return 0;
}

static int parse_vlan(struct parser *p, xmlNode *n, vfioctl_guest_hostdev *h)
{
        return parse_vlan_into(p, n, &h->vlan, &h->vlan_trunk);
}

/*
 * A pool's own <vlan> (libvirt's networkAllocatePort: the interface's
 * tag first, then the network's). A portgroup's would apply only to the
 * interfaces that name it, which vfioctl does not follow: refused rather
 * than left out, since the guest would be on the wrong VLAN.
 */
static int network_parse_vlan(struct parser *p, xmlNode *root, vfioctl_network_def *net)
{
        xmlNode *n = first_child(root, "vlan");
        bool trunk = false;
        int r;

        for (xmlNode *c = root->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && is_elem(c, "portgroup") &&
                    first_child(c, "vlan")) {
                        p->elem = "<portgroup>";
                        return perr(p, c, "name='%s': its <vlan> is not supported (vfioctl does "
                                          "not follow portgroups); give the <vlan> to the "
                                          "network or to the guest's <interface>",
                                    strempty(attr(c, "name")));
                }
        if (!n)
                return 0;
        p->elem = "<vlan>";
        r = parse_vlan_into(p, n, &net->vlan, &trunk);
        if (r >= 0 && trunk)
                r = perr(p, n, "vlan trunking is not supported by SR-IOV network devices: "
                               "give one <tag id='…'/>");
        return r;
}

/* What libvirt refuses for a hostdev interface (qemuDomainValidateActualNetDef). */
static int check_hostdev_interface(struct parser *p, vfioctl_guest_hostdev *h, xmlNode *n)
{
        char who[64];

        snprintf(who, sizeof(who), "interface %s", h->mac ? h->mac : "(no <mac>)");
        if (h->has_tap)
                return perr(p, n, "%s - custom tap device path is not supported for network "
                                  "interfaces of type hostdev",
                            who);
        if (h->has_filterref)
                return perr(p, n, "%s - filterref is not supported for network interfaces of "
                                  "type hostdev",
                            who);
        if (h->queues > 1)
                return perr(p, n, "%s - multiqueue is not supported for network interfaces of "
                                  "type hostdev",
                            who);
        if (h->has_bandwidth)
                return perr(p, n, "%s - bandwidth settings are not supported for hostdev "
                                  "interfaces",
                            who);
        if (h->vlan_trunk)
                return perr(p, n, "%s - vlan trunking is not supported by SR-IOV network "
                                  "devices: give one <tag id='…'/>",
                            who);
        return 0;
}

static int parse_interface(struct guest_parser *gp, xmlNode *n, struct device_info *info)
{
        struct parser *p = &gp->p;
        _cleanup_(guest_hostdev_freep) vfioctl_guest_hostdev *h = NULL;
        const char *type = attr(n, "type");
        xmlNode *source = NULL, *address = NULL, *unsupported = NULL;
        bool unassigned = false;
        int r;

        if (!type || (!streq(type, "hostdev") && !streq(type, "network")))
                return 0;

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->kind = streq(type, "hostdev") ? VFIOCTL_HOSTDEV_INTERFACE : VFIOCTL_HOSTDEV_NETWORK;
        p->elem = hostdev_kind_element(h->kind);
        h->line = (unsigned) xmlGetLineNo(n);
        h->assigned = true;
        h->vlan = -1;

        if (h->kind == VFIOCTL_HOSTDEV_INTERFACE) {
                r = parse_yesno(p, n, "<interface", "managed", &h->managed);
                if (r < 0)
                        return r;
        }

        for (xmlNode *c = n->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (is_elem(c, "source")) {
                        if (source)
                                return perr(p, c, "<source>: given twice (also at line %ld)",
                                            xmlGetLineNo(source));
                        source = c;
                } else if (is_elem(c, "mac")) {
                        r = parse_mac(p, c, h);
                        if (r < 0)
                                return r;
                } else if (is_elem(c, "vlan")) {
                        r = parse_vlan(p, c, h);
                        if (r < 0)
                                return r;
                } else if (is_elem(c, "driver")) {
                        const char *queues = attr(c, "queues");

                        /* One element carries both the hostdev backend and virtio-net settings. */
                        r = parse_driver(p, c, &h->driver, &h->driver_model, &h->group);
                        if (r < 0)
                                return r;
                        if (queues) {
                                unsigned long v;

                                if (parse_number(queues, UINT_MAX, &v) < 0)
                                        return perr(p, c, "<driver queues='%s'>: not a number",
                                                    queues);
                                h->queues = (unsigned) v;
                                if (v > 1 && !unsupported)
                                        unsupported = c;
                        }
                } else if (is_elem(c, "backend")) {
                        if (attr(c, "tap")) {
                                h->has_tap = true;
                                unsupported = c;
                        }
                } else if (is_elem(c, "filterref")) {
                        h->has_filterref = true;
                        if (!unsupported)
                                unsupported = c;
                } else if (is_elem(c, "bandwidth")) {
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
                return perr(p, n, "<source> is missing");
        if (h->kind == VFIOCTL_HOSTDEV_INTERFACE) {
                xmlNode *a = first_child(source, "address");
                const char *atype;

                if (!a)
                        return perr(p, source, "<source>: <address type='pci'> is missing");
                atype = attr(a, "type");
                if (atype && !streq(atype, "pci"))
                        return perr(p, a, "<source><address type='%s'>: type must be 'pci'",
                                    atype);
                r = parse_pci_address(p, a, "<source><address", true, &h->addr);
                if (r < 0)
                        return r;
                h->has_addr = true;
                r = check_hostdev_interface(p, h, unsupported ? unsupported : n);
                if (r < 0)
                        return r;
        } else {
                const char *network = attr(source, "network");

                if (!network || !*network)
                        return perr(p, source, "<source>: network is missing");
                if (strchr(network, '/'))
                        return perr(p, source, "<source network='%s'>: not a network name",
                                    network);
                if (strdup_to(network, &h->network) < 0)
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
        const char *type = attr(n, "type"), *index = attr(n, "index"), *model = attr(n, "model");
        unsigned long v = 0;
        char *m = NULL;

        if (!type || !streq(type, "pci"))
                return 0;
        gp->p.elem = "<controller type='pci'>";
        if (index && parse_number(index, 255, &v) < 0)
                return perr(&gp->p, n, "index='%s': index must be 0-255", index);
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
        xmlNode *boot = first_child(n, "boot"), *alias = first_child(n, "alias");
        xmlNode *address = first_child(n, "address");
        const char *type;

        info->node = n;
        if (boot && attr(boot, "order")) {
                unsigned long v;

                if (parse_number(attr(boot, "order"), INT_MAX, &v) == 0) {
                        info->boot_order = (unsigned) v;
                        info->boot_node = boot;
                }
        }
        if (alias)
                info->alias = attr(alias, "name");
        type = address ? attr(address, "type") : NULL;
        if (type && streq(type, "pci")) {
                struct parser quiet = { .ctx = gp->p.ctx, .prefix = "", .elem = "" };
                char saved[sizeof(gp->p.ctx->errmsg)];

                /* Other devices' addresses are theirs to validate: ignore errors. */
                memcpy(saved, gp->p.ctx->errmsg, sizeof(saved));
                if (parse_pci_address(&quiet, address, "<address", false, &info->guest_addr) == 0)
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
        struct parser *p = &gp->p;
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
                        return perr(p, a->boot_node,
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
                        return perr(p, a->boot_node,
                                    "boot order %u is used by more than one device "
                                    "(also at line %ld)",
                                    a->boot_order, xmlGetLineNo(gp->devs[j].boot_node));
                case KEY_ALIAS:
                        return perr(p, a->node, "non unique alias detected: %s (also at line %ld)",
                                    a->alias, xmlGetLineNo(gp->devs[j].node));
                case KEY_GUEST_ADDR: {
                        char buf[VFIOCTL_PCI_ADDR_MAX];

                        return perr(p, a->node,
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
                                if (is_elem(c, "interface"))
                                        r = parse_interface(gp, c, info);
                                else if (is_elem(c, "controller"))
                                        r = parse_controller(gp, c);
                        } else if (is_elem(c, "hostdev"))
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

        if (is_elem(root, "domain")) {
                xmlNode *nn = first_child(root, "name"), *os = first_child(root, "os");

                if (nn) {
                        r = elem_text(nn, &def->name);
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
                        xmlNode *type = first_child(os, "type"), *boot = first_child(os, "boot");
                        const char *machine = type ? attr(type, "machine") : NULL;

                        if (machine && strdup_to(machine, &def->machine) < 0)
                                return -ENOMEM;
                        if (boot) {
                                gp.os_boot = true;
                                gp.os_boot_node = boot;
                        }
                }
                devices = first_child(root, "devices");
                for (xmlNode *c = devices ? devices->next : NULL; c; c = c->next)
                        if (is_elem(c, "devices"))
                                return ctx_error(ctx, -EINVAL,
                                                 "line %ld: <devices>: a second <devices> "
                                                 "element (the first is at line %ld): a domain "
                                                 "has one; put every device in it",
                                                 xmlGetLineNo(c), xmlGetLineNo(devices));
        } else if (is_elem(root, "devices"))
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
                if (strdup_to(name, &def->name) < 0)
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
        if (is_elem(root, "domain")) {
                r = metadata_apply(def, root);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(def);
        return 0;
}

/* A whole XML file, read (bounded) and parsed; errors name the file. */
static int xml_parse_file(vfioctl_ctx *ctx, const char *path, xmlDoc **ret)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        r = read_file(ctx, path, &buf, &len);
        if (r < 0)
                return r;
        return xml_parse(ctx, buf, len, path, ret);
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
        struct parser p;
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
        p = (struct parser){ .ctx = def->ctx, .prefix = "", .elem = hostdev_kind_element(h->kind) };
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
            parse_number(a + 7, INT_MAX, &v) != 0)
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

/* ------------------------------------------------------------------ */
/* Network pools                                                       */

static void network_def_free(vfioctl_network_def *net)
{
        free(net->name);
        free(net->driver_model);
        free(net->pf);
        free(net->addrs);
        vfioctl_ctx_unref(net->ctx);
        free(net);
}

DEFINE_PUBLIC_REF_UNREF(vfioctl_network_def, vfioctl_network_def, network_def_free)

static int network_def_parse(vfioctl_ctx *ctx, xmlDoc *doc, vfioctl_network_def **ret)
{
        _cleanup_(vfioctl_network_def_unrefp) vfioctl_network_def *net = NULL;
        xmlNode *root = xmlDocGetRootElement(doc), *nn, *fwd, *pf = NULL, *first_addr = NULL;
        char prefix[128];
        struct parser p = { .ctx = ctx, .prefix = prefix, .elem = "<forward>" };
        const char *mode;
        int r;

        if (!is_elem(root, "network"))
                return ctx_error(ctx, -EINVAL, "line %ld: <%s>: a network XML has a <network> "
                                               "root element",
                                 xmlGetLineNo(root), (const char *) root->name);

        net = calloc(1, sizeof(*net));
        if (!net)
                return -ENOMEM;
        net->n_ref = 1;
        net->ctx = vfioctl_ctx_ref(ctx);
        net->vlan = -1;

        nn = first_child(root, "name");
        if (!nn)
                return ctx_error(ctx, -EINVAL, "line %ld: <network>: <name> is missing",
                                 xmlGetLineNo(root));
        r = elem_text(nn, &net->name);
        if (r < 0)
                return ctx_error(ctx, r, "out of memory");
        if (!*net->name || strchr(net->name, '/'))
                return ctx_error(ctx, -EINVAL, "line %ld: <name>: '%s' is not a network name",
                                 xmlGetLineNo(nn), net->name);
        snprintf(prefix, sizeof(prefix), "network %s: ", net->name);

        fwd = first_child(root, "forward");
        if (!fwd)
                return ctx_error(ctx, -EMEDIUMTYPE,
                                 "network %s: no <forward> (an isolated network) is not a "
                                 "hostdev pool",
                                 net->name);
        mode = attr(fwd, "mode");
        if (!mode)
                mode = "nat";
        if (!streq(mode, "hostdev"))
                return ctx_error(ctx, -EMEDIUMTYPE,
                                 "network %s: forward mode '%s' is not a hostdev pool", net->name,
                                 mode);
        r = parse_yesno(&p, fwd, "<forward", "managed", &net->managed);
        if (r < 0)
                return r;

        for (xmlNode *c = fwd->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (is_elem(c, "driver")) {
                        r = parse_driver(&p, c, &net->driver, &net->driver_model, &net->group);
                        if (r < 0)
                                return r;
                } else if (is_elem(c, "pf")) {
                        const char *dev = attr(c, "dev");

                        if (pf)
                                return perr(&p, c, "<pf>: only one <pf> element is allowed "
                                                   "(also at line %ld)",
                                            xmlGetLineNo(pf));
                        pf = c;
                        if (!ifname_valid(dev))
                                return perr(&p, c, "<pf dev='%s'>: not a network interface name",
                                            strempty(dev));
                        if (strdup_to(dev, &net->pf) < 0)
                                return -ENOMEM;
                } else if (is_elem(c, "address")) {
                        const char *type = attr(c, "type");
                        struct vfioctl_pci_addr a, *l;

                        if (!type || !streq(type, "pci"))
                                return perr(&p, c, "<address type='%s'>: type must be 'pci'",
                                            strempty(type));
                        r = parse_pci_address(&p, c, "<address", true, &a);
                        if (r < 0)
                                return r;
                        for (size_t i = 0; i < net->n_addrs; i++)
                                if (vfioctl_pci_addr_compare(&net->addrs[i], &a) == 0) {
                                        char buf[VFIOCTL_PCI_ADDR_MAX];

                                        return perr(&p, c, "<address>: %s is listed twice",
                                                    vfioctl_pci_addr_format(&a, buf));
                                }
                        l = reallocarray(net->addrs, net->n_addrs + 1, sizeof(*l));
                        if (!l)
                                return -ENOMEM;
                        net->addrs = l;
                        l[net->n_addrs++] = a;
                        if (!first_addr)
                                first_addr = c;
                } else if (is_elem(c, "interface"))
                        return perr(&p, c, "<interface>: a hostdev pool lists PCI functions: "
                                           "use <pf dev='…'/> or <address type='pci' …/>");
        }
        if (pf && first_addr)
                return perr(&p, first_addr, "a hostdev pool has either a <pf> (line %ld) or "
                                            "<address> entries, not both",
                            xmlGetLineNo(pf));
        if (!pf && !first_addr)
                return perr(&p, fwd, "a hostdev pool needs a <pf dev='…'/> or <address "
                                     "type='pci' …/> entries");
        r = network_parse_vlan(&p, root, net);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(net);
        return 0;
}

VFIOCTL_EXPORT int vfioctl_network_def_new_from_string(vfioctl_ctx *ctx, const char *xml,
                                                       vfioctl_network_def **ret)
{
        _cleanup_xml_doc_ xmlDoc *doc = NULL;
        int r;

        if (!ctx || !xml || !ret)
                return -EINVAL;
        r = xml_parse(ctx, xml, strlen(xml), "network XML", &doc);
        if (r < 0)
                return r;
        r = network_def_parse(ctx, doc, ret);
        if (r == -ENOMEM)
                return ctx_error(ctx, r, "out of memory");
        return r;
}

VFIOCTL_EXPORT int vfioctl_network_def_new_from_file(vfioctl_ctx *ctx, const char *path,
                                                     vfioctl_network_def **ret)
{
        _cleanup_xml_doc_ xmlDoc *doc = NULL;
        int r;

        if (!ctx || !path || !ret)
                return -EINVAL;
        r = xml_parse_file(ctx, path, &doc);
        if (r < 0)
                return r;
        r = network_def_parse(ctx, doc, ret);
        if (r == -ENOMEM)
                return ctx_error(ctx, r, "out of memory");
        return r;
}

VFIOCTL_EXPORT const char *vfioctl_network_def_get_name(vfioctl_network_def *net)
{
        return net ? net->name : NULL;
}

VFIOCTL_EXPORT bool vfioctl_network_def_is_managed(vfioctl_network_def *net)
{
        return net && net->managed;
}

VFIOCTL_EXPORT enum vfioctl_hostdev_driver vfioctl_network_def_get_driver(vfioctl_network_def *net)
{
        return net ? net->driver : VFIOCTL_HOSTDEV_DRIVER_DEFAULT;
}

VFIOCTL_EXPORT const char *vfioctl_network_def_get_driver_model(vfioctl_network_def *net)
{
        return net ? net->driver_model : NULL;
}

VFIOCTL_EXPORT enum vfioctl_group_mode vfioctl_network_def_get_group_mode(vfioctl_network_def *net)
{
        return net ? net->group : VFIOCTL_GROUP_NONE;
}

VFIOCTL_EXPORT const char *vfioctl_network_def_get_pf(vfioctl_network_def *net)
{
        return net ? net->pf : NULL;
}

VFIOCTL_EXPORT size_t vfioctl_network_def_n_addrs(vfioctl_network_def *net)
{
        return net ? net->n_addrs : 0;
}

VFIOCTL_EXPORT const struct vfioctl_pci_addr *vfioctl_network_def_addr_at(vfioctl_network_def *net,
                                                                          size_t i)
{
        return net && i < net->n_addrs ? &net->addrs[i] : NULL;
}
