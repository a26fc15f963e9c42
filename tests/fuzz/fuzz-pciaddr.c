/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI addresses, as typed and as read back from the state: whatever
 * parses formats to a canonical form that parses to the same address, and
 * what is canonical is exactly what the formatter writes.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vfioctl_pci_addr a, b;
        char buf[VFIOCTL_PCI_ADDR_MAX];
        char *s = fuzz_strndup(data, size);

        if (vfioctl_pci_addr_parse(s, &a) == 0) {
                fuzz_assert(a.slot <= 0x1f && a.function <= 7, "%s", s);
                vfioctl_pci_addr_format(&a, buf);
                fuzz_assert(strlen(buf) == 12, "%s -> %s", s, buf);
                fuzz_assert(vfioctl_pci_addr_parse(buf, &b) == 0, "%s -> %s", s, buf);
                fuzz_assert(vfioctl_pci_addr_compare(&a, &b) == 0, "%s -> %s", s, buf);
                fuzz_assert(pci_addr_is_canonical(buf), "%s", buf);
                fuzz_assert(!strchr(buf, '/') && !strstr(buf, ".."), "%s", buf);
        }
        if (pci_addr_is_canonical(s))
                fuzz_assert(vfioctl_pci_addr_parse(s, &a) == 0 &&
                                    streq(vfioctl_pci_addr_format(&a, buf), s),
                            "%s", s);
        /* Driver names end up in sysfs paths too. */
        if (driver_name_is_valid(s))
                fuzz_assert(!strchr(s, '/') && s[0] != '.' && strlen(s) <= 64, "%s", s);
        free(s);
        return 0;
}
