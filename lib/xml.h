/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to libvfioctl: the libvirt XML helpers (xml.c) that the guest
 * (guestdef.c) and network (netdef.c) definitions are read with.
 */
#pragma once

#include <libxml/tree.h>

#include "internal.h"

void xml_free_docp(xmlDoc **doc);
#define _cleanup_xml_doc_ _cleanup_(xml_free_docp)

/* len bytes of buf (what: how messages name it), or a whole file (at
 * most 16 MiB, no NUL byte): no network, no entities, no DOCTYPE. */
int xml_parse(vfioctl_ctx *ctx, const char *buf, size_t len, const char *what, xmlDoc **ret);
int xml_parse_file(vfioctl_ctx *ctx, const char *path, xmlDoc **ret);

/* Where errors are said: "PREFIXline N: ELEM: what is wrong". */
struct xml_parser {
        vfioctl_ctx *ctx;
        const char *prefix;     /* "network NAME: " for network XML, else "" */
        const char *elem;       /* the device element being read, for messages */
};
int xml_err(struct xml_parser *p, xmlNode *n, const char *format, ...) _printf_(3, 4);
int xml_err_errno(struct xml_parser *p, int error, xmlNode *n, const char *format, ...)
        _printf_(4, 5);

bool xml_is_elem(const xmlNode *n, const char *name);
/* Keeps n in *seen as its parent's one such child; a second is an error naming both lines. */
int xml_take_once(struct xml_parser *p, xmlNode *n, xmlNode **seen);
xmlNode *xml_first_child(xmlNode *parent, const char *name);
/* An attribute without a namespace, borrowed: NULL when absent, "" when empty. */
const char *xml_attr(xmlNode *n, const char *name);
/* Text content, malloc'ed into *ret. */
int xml_elem_text(xmlNode *n, char **ret);
/* *ret = strdup(s) (NULL for NULL), the old value freed. */
int xml_strdup_to(const char *s, char **ret);

/* Numbers as libvirt reads them (strtoul base 0), at most max. */
int xml_parse_number(const char *s, unsigned long max, unsigned long *ret);
/* yes/no (*ret untouched when absent) and on/off attributes; where: "<rom" */
int xml_parse_yesno(struct xml_parser *p, xmlNode *n, const char *where, const char *name,
                    bool *ret);
int xml_parse_onoff(struct xml_parser *p, xmlNode *n, const char *where, const char *name,
                    enum vfioctl_switch *ret);
/* <address domain bus slot function/>: host addresses need bus and slot. */
int xml_parse_pci_address(struct xml_parser *p, xmlNode *n, const char *where, bool host,
                          struct vfioctl_pci_addr *ret);
/* QEMU device ids (libvirt aliases); interface names: ifname_is_valid(). */
bool xml_id_valid(const char *s);
/* <driver name='vfio|kvm|xen' model='…' group='auto|allow'/>, hostdevs and pools. */
int xml_parse_driver(struct xml_parser *p, xmlNode *n, enum vfioctl_hostdev_driver *ret_driver,
                     char **ret_model, enum vfioctl_group_mode *ret_group);
/* <vlan><tag id='…'/></vlan>: the first tag, and whether it is a trunk. */
int xml_parse_vlan(struct xml_parser *p, xmlNode *n, int *vlan, bool *vlan_trunk);
