/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt XML, the helpers the guest (guestdef.c) and network (netdef.c)
 * definitions share: reading and parsing a document with libxml2 (no
 * network, no entities, no DTD; libxml2's diagnostics captured into the
 * message, never printed), errors that name the line and the element,
 * attributes, and the values libvirt's schemas spell one way everywhere:
 * numbers, yes/no, on/off, PCI addresses, <driver>, <vlan>.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "xml.h"

/* Largest XML document we read. Domain XMLs are a few KiB. */
#define XML_SIZE_MAX (16u * 1024 * 1024)

#if LIBXML_VERSION >= 21200
#define XMLERR_CONST const
#else
#define XMLERR_CONST
#endif

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

void xml_free_docp(xmlDoc **doc)
{
        if (*doc)
                xmlFreeDoc(*doc);
}

/*
 * Parses len bytes of buf. No network access, no entity substitution, no
 * DTD loading; a document with a DOCTYPE is refused outright since libvirt
 * XML never has one.
 */
int xml_parse(vfioctl_ctx *ctx, const char *buf, size_t len, const char *what,
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

static int xml_read_file(vfioctl_ctx *ctx, const char *path, char **ret, size_t *ret_len)
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


static int xml_errv(struct xml_parser *p, int error, xmlNode *n, const char *format, va_list ap)
        _printf_(4, 0);
static int xml_errv(struct xml_parser *p, int error, xmlNode *n, const char *format, va_list ap)
{
        char msg[768];

        vsnprintf(msg, sizeof(msg), format, ap);
        return ctx_error(p->ctx, error, "%sline %ld: %s: %s", p->prefix, xmlGetLineNo(n),
                         p->elem, msg);
}

int xml_err(struct xml_parser *p, xmlNode *n, const char *format, ...)
{
        va_list ap;
        int r;

        va_start(ap, format);
        r = xml_errv(p, -EINVAL, n, format, ap);
        va_end(ap);
        return r;
}

int xml_err_errno(struct xml_parser *p, int error, xmlNode *n, const char *format, ...)
{
        va_list ap;
        int r;

        va_start(ap, format);
        r = xml_errv(p, error, n, format, ap);
        va_end(ap);
        return r;
}

int xml_take_once(struct xml_parser *p, xmlNode *n, xmlNode **seen)
{
        if (*seen)
                return xml_err(p, n, "<%s>: given twice (also at line %ld)", (const char *) n->name,
                               xmlGetLineNo(*seen));
        *seen = n;
        return 0;
}

bool xml_is_elem(const xmlNode *n, const char *name)
{
        return n && n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name);
}

xmlNode *xml_first_child(xmlNode *parent, const char *name)
{
        for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
                if (xml_is_elem(c, name))
                        return c;
        return NULL;
}

/*
 * The value of an attribute, borrowed from the document: NULL when absent,
 * "" when empty. Without a DOCTYPE there are no entity references, so the
 * value is a single text node.
 */
const char *xml_attr(xmlNode *n, const char *name)
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
int xml_elem_text(xmlNode *n, char **ret)
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

int xml_strdup_to(const char *s, char **ret)
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
int xml_parse_number(const char *s, unsigned long max, unsigned long *ret)
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
int xml_parse_yesno(struct xml_parser *p, xmlNode *n, const char *where, const char *name,
                       bool *ret)
{
        const char *v = xml_attr(n, name);

        if (!v)
                return 0;
        if (streq(v, "yes"))
                *ret = true;
        else if (streq(v, "no"))
                *ret = false;
        else
                return xml_err(p, n, "%s %s='%s'>: %s must be 'yes' or 'no'", where, name, v, name);
        return 0;
}

int xml_parse_onoff(struct xml_parser *p, xmlNode *n, const char *where, const char *name,
                       enum vfioctl_switch *ret)
{
        const char *v = xml_attr(n, name);

        if (!v)
                *ret = VFIOCTL_SWITCH_DEFAULT;
        else if (streq(v, "on"))
                *ret = VFIOCTL_SWITCH_ON;
        else if (streq(v, "off"))
                *ret = VFIOCTL_SWITCH_OFF;
        else
                return xml_err(p, n, "%s %s='%s'>: %s must be 'on' or 'off'", where, name, v, name);
        return 0;
}

/* One attribute of a PCI <address>. */
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
int xml_parse_pci_address(struct xml_parser *p, xmlNode *n, const char *where, bool host,
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
                const char *s = xml_attr(n, fields[i].name);
                int r;

                if (!s) {
                        if (fields[i].required)
                                return xml_err(p, n, "%s>: %s is missing", where, fields[i].name);
                        continue;
                }
                r = xml_parse_number(s, fields[i].max, &v[i]);
                if (r == -ERANGE)
                        return xml_err(p, n, "%s %s='%s'>: %s must be %s", where, fields[i].name, s,
                                    fields[i].name, fields[i].range);
                if (r < 0)
                        return xml_err(p, n, "%s %s='%s'>: %s is not a number", where,
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
bool xml_id_valid(const char *s)
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

/* As the kernel's dev_valid_name(). */
/* <driver name='vfio|kvm|xen' model='…' group='auto|allow'/>, for hostdevs and pools. */
int xml_parse_driver(struct xml_parser *p, xmlNode *n, enum vfioctl_hostdev_driver *ret_driver,
                        char **ret_model, enum vfioctl_group_mode *ret_group)
{
        const char *name = xml_attr(n, "name"), *model = xml_attr(n, "model"), *group = xml_attr(n, "group");

        if (name) {
                if (streq(name, "vfio"))
                        *ret_driver = VFIOCTL_HOSTDEV_DRIVER_VFIO;
                else if (streq(name, "kvm"))
                        *ret_driver = VFIOCTL_HOSTDEV_DRIVER_KVM;
                else if (streq(name, "xen"))
                        *ret_driver = VFIOCTL_HOSTDEV_DRIVER_XEN;
                else
                        return xml_err(p, n,
                                    "<driver name='%s'>: name must be 'vfio', 'kvm' or 'xen' "
                                    "(a vfio variant driver goes in model='…')",
                                    name);
        }
        if (model) {
                if (!driver_name_is_valid(model))
                        return xml_err(p, n,
                                    "<driver model='%s'>: not a kernel driver name "
                                    "(letters, digits, '-' and '_')",
                                    model);
                if (xml_strdup_to(model, ret_model) < 0)
                        return -ENOMEM;
        }
        if (group) {
                if (streq(group, "auto") || streq(group, "allow"))
                        *ret_group = VFIOCTL_GROUP_AUTO;
                else
                        return xml_err(p, n, "<driver group='%s'>: group must be 'auto' or 'allow'",
                                    group);
        }
        return 0;
}

/*
 * <vlan><tag id='42'/></vlan> (libvirt's virNetDevVlanParse). A trunk is
 * legal on an ordinary network; a VF takes one tag, which is checked once
 * the interface is known to be a hostdev (check_hostdev_interface).
 */
int xml_parse_vlan(struct xml_parser *p, xmlNode *n, int *vlan, bool *vlan_trunk)
{
        const char *trunk = xml_attr(n, "trunk");
        unsigned n_tags = 0;

        if (*vlan >= 0 || *vlan_trunk)
                return xml_err(p, n, "<vlan>: given twice");
        if (trunk && !streq(trunk, "yes") && !streq(trunk, "no"))
                return xml_err(p, n, "<vlan trunk='%s'>: trunk must be 'yes' or 'no'", trunk);
        for (xmlNode *c = n->children; c; c = c->next) {
                const char *id = xml_attr(c, "id");
                unsigned long v;

                if (c->type != XML_ELEMENT_NODE || !xml_is_elem(c, "tag"))
                        continue;
                if (!id || xml_parse_number(id, ULONG_MAX, &v) < 0)
                        return xml_err(p, c, "<vlan><tag id='%s'>: missing or invalid vlan tag id",
                                    strempty(id));
                if (v > 4095)
                        return xml_err(p, c, "<vlan><tag id='%s'>: vlan tag id %lu too large "
                                          "(maximum 4095)",
                                    id, v);
                if (xml_attr(c, "nativeMode"))
                        *vlan_trunk = true;
                if (n_tags++ == 0)
                        *vlan = (int) v;
        }
        if (n_tags == 0)
                return xml_err(p, n, "<vlan>: missing <tag id='…'/> (a VLAN needs its id)");
        if (n_tags > 1 || (trunk && streq(trunk, "yes")))
                *vlan_trunk = true;
        return 0;
}

/* A whole XML file, read (bounded) and parsed; errors name the file. */
int xml_parse_file(vfioctl_ctx *ctx, const char *path, xmlDoc **ret)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        r = xml_read_file(ctx, path, &buf, &len);
        if (r < 0)
                return r;
        return xml_parse(ctx, buf, len, path, ret);
}
