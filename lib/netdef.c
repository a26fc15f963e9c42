/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network definition: a libvirt <network> with <forward
 * mode='hostdev'> parsed into the pool of PCI functions it hands out
 * (a <pf dev=…> or <address> entries), the driver they go to and the
 * VLAN they get. Anything else is no hostdev pool (-EMEDIUMTYPE).
 */
#include <errno.h>
#include <stdio.h>

#include "hostdev.h"
#include "xml.h"

/*
 * A pool's own <vlan> (libvirt's networkAllocatePort: the interface's
 * tag first, then the network's). A portgroup's would apply only to the
 * interfaces that name it, which vfioctl does not follow: refused rather
 * than left out, since the guest would be on the wrong VLAN.
 */
static int network_parse_vlan(struct xml_parser *p, xmlNode *root, vfioctl_network_def *net)
{
        xmlNode *n = xml_first_child(root, "vlan");
        bool trunk = false;
        int r;

        for (xmlNode *c = root->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && xml_is_elem(c, "portgroup") &&
                    xml_first_child(c, "vlan")) {
                        p->elem = "<portgroup>";
                        return xml_err(p, c, "name='%s': its <vlan> is not supported (vfioctl does "
                                          "not follow portgroups); give the <vlan> to the "
                                          "network or to the guest's <interface>",
                                    strempty(xml_attr(c, "name")));
                }
        if (!n)
                return 0;
        p->elem = "<vlan>";
        r = xml_parse_vlan(p, n, &net->vlan, &trunk);
        if (r >= 0 && trunk)
                r = xml_err(p, n, "vlan trunking is not supported by SR-IOV network devices: "
                               "give one <tag id='…'/>");
        return r;
}

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
        struct xml_parser p = { .ctx = ctx, .prefix = prefix, .elem = "<forward>" };
        const char *mode;
        int r;

        if (!xml_is_elem(root, "network"))
                return ctx_error(ctx, -EINVAL, "line %ld: <%s>: a network XML has a <network> "
                                               "root element",
                                 xmlGetLineNo(root), (const char *) root->name);

        net = calloc(1, sizeof(*net));
        if (!net)
                return -ENOMEM;
        net->n_ref = 1;
        net->ctx = vfioctl_ctx_ref(ctx);
        net->vlan = -1;

        nn = xml_first_child(root, "name");
        if (!nn)
                return ctx_error(ctx, -EINVAL, "line %ld: <network>: <name> is missing",
                                 xmlGetLineNo(root));
        r = xml_elem_text(nn, &net->name);
        if (r < 0)
                return ctx_error(ctx, r, "out of memory");
        if (!*net->name || strchr(net->name, '/'))
                return ctx_error(ctx, -EINVAL, "line %ld: <name>: '%s' is not a network name",
                                 xmlGetLineNo(nn), net->name);
        snprintf(prefix, sizeof(prefix), "network %s: ", net->name);

        fwd = xml_first_child(root, "forward");
        if (!fwd)
                return ctx_error(ctx, -EMEDIUMTYPE,
                                 "network %s: no <forward> (an isolated network) is not a "
                                 "hostdev pool",
                                 net->name);
        mode = xml_attr(fwd, "mode");
        if (!mode)
                mode = "nat";
        if (!streq(mode, "hostdev"))
                return ctx_error(ctx, -EMEDIUMTYPE,
                                 "network %s: forward mode '%s' is not a hostdev pool", net->name,
                                 mode);
        r = xml_parse_yesno(&p, fwd, "<forward", "managed", &net->managed);
        if (r < 0)
                return r;

        for (xmlNode *c = fwd->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (xml_is_elem(c, "driver")) {
                        r = xml_parse_driver(&p, c, &net->driver, &net->driver_model, &net->group);
                        if (r < 0)
                                return r;
                } else if (xml_is_elem(c, "pf")) {
                        const char *dev = xml_attr(c, "dev");

                        if (pf)
                                return xml_err(&p, c, "<pf>: only one <pf> element is allowed "
                                                   "(also at line %ld)",
                                            xmlGetLineNo(pf));
                        pf = c;
                        if (!ifname_is_valid(dev))
                                return xml_err(&p, c, "<pf dev='%s'>: not a network interface name",
                                            strempty(dev));
                        if (xml_strdup_to(dev, &net->pf) < 0)
                                return -ENOMEM;
                } else if (xml_is_elem(c, "address")) {
                        const char *type = xml_attr(c, "type");
                        struct vfioctl_pci_addr a, *l;

                        if (!type || !streq(type, "pci"))
                                return xml_err(&p, c, "<address type='%s'>: type must be 'pci'",
                                            strempty(type));
                        r = xml_parse_pci_address(&p, c, "<address", true, &a);
                        if (r < 0)
                                return r;
                        for (size_t i = 0; i < net->n_addrs; i++)
                                if (vfioctl_pci_addr_compare(&net->addrs[i], &a) == 0) {
                                        char buf[VFIOCTL_PCI_ADDR_MAX];

                                        return xml_err(&p, c, "<address>: %s is listed twice",
                                                    vfioctl_pci_addr_format(&a, buf));
                                }
                        l = reallocarray(net->addrs, net->n_addrs + 1, sizeof(*l));
                        if (!l)
                                return -ENOMEM;
                        net->addrs = l;
                        l[net->n_addrs++] = a;
                        if (!first_addr)
                                first_addr = c;
                } else if (xml_is_elem(c, "interface"))
                        return xml_err(&p, c, "<interface>: a hostdev pool lists PCI functions: "
                                           "use <pf dev='…'/> or <address type='pci' …/>");
        }
        if (pf && first_addr)
                return xml_err(&p, first_addr, "a hostdev pool has either a <pf> (line %ld) or "
                                            "<address> entries, not both",
                            xmlGetLineNo(pf));
        if (!pf && !first_addr)
                return xml_err(&p, fwd, "a hostdev pool needs a <pf dev='…'/> or <address "
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
