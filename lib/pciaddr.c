/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI addresses: "DDDD:BB:DD.F" and the short "BB:DD.F". Parsed by hand
 * rather than with sscanf() because sscanf accepts signs, spaces, short
 * fields and trailing garbage, and an address ends up in sysfs paths.
 */
#include <errno.h>
#include <stdio.h>

#include "internal.h"

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Exactly n hex digits followed by sep (or the end when sep is 0). */
static int parse_field(const char **p, unsigned n, char sep, unsigned *ret)
{
        unsigned v = 0;

        for (unsigned i = 0; i < n; i++) {
                int d = hexval((*p)[i]);
                if (d < 0)
                        return -EINVAL;
                v = v * 16 + (unsigned) d;
        }
        if ((*p)[n] != sep)
                return -EINVAL;
        *p += n + (sep ? 1 : 0);
        *ret = v;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_pci_addr_parse(const char *s, struct vfioctl_pci_addr *ret)
{
        unsigned domain = 0, bus, slot, function;
        size_t len;
        const char *p = s;

        assert_return(s && ret, -EINVAL);
        len = strlen(s);
        if (len == 12) {
                if (parse_field(&p, 4, ':', &domain) < 0)
                        return -EINVAL;
        } else if (len != 7)
                return -EINVAL;

        if (parse_field(&p, 2, ':', &bus) < 0 || parse_field(&p, 2, '.', &slot) < 0 ||
            parse_field(&p, 1, '\0', &function) < 0)
                return -EINVAL;
        if (slot > 0x1f || function > 7)
                return -EINVAL;

        *ret = (struct vfioctl_pci_addr){
                .domain = (uint16_t) domain,
                .bus = (uint8_t) bus,
                .slot = (uint8_t) slot,
                .function = (uint8_t) function,
        };
        return 0;
}

VFIOCTL_EXPORT char *vfioctl_pci_addr_format(const struct vfioctl_pci_addr *a,
                                             char buf[VFIOCTL_PCI_ADDR_MAX])
{
        assert_return(a && buf, NULL);
        snprintf(buf, VFIOCTL_PCI_ADDR_MAX, "%04x:%02x:%02x.%x", a->domain, a->bus,
                 a->slot & 0x1fu, a->function & 7u);
        return buf;
}

VFIOCTL_EXPORT int vfioctl_pci_addr_compare(const struct vfioctl_pci_addr *a,
                                            const struct vfioctl_pci_addr *b)
{
        /* NULL sorts first, so a NULL never crashes a qsort() either. */
        if (!a || !b)
                return !!a - !!b;
        if (a->domain != b->domain)
                return a->domain < b->domain ? -1 : 1;
        if (a->bus != b->bus)
                return a->bus < b->bus ? -1 : 1;
        if (a->slot != b->slot)
                return a->slot < b->slot ? -1 : 1;
        if (a->function != b->function)
                return a->function < b->function ? -1 : 1;
        return 0;
}
