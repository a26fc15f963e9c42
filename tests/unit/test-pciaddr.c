/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Address parsing: what users type on the command line and in XML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "internal.h"

static void assert_parses(const char *s, const char *canonical)
{
        struct vfioctl_pci_addr a;
        char buf[VFIOCTL_PCI_ADDR_MAX];

        assert_int_equal(vfioctl_pci_addr_parse(s, &a), 0);
        assert_string_equal(vfioctl_pci_addr_format(&a, buf), canonical);
}

static void assert_refused(const char *s)
{
        struct vfioctl_pci_addr a = { .domain = 0x1234 };

        assert_int_equal(vfioctl_pci_addr_parse(s, &a), -EINVAL);
        /* Out-parameters are untouched on failure. */
        assert_int_equal(a.domain, 0x1234);
}

static void test_full_and_short_forms(void **state)
{
        assert_parses("0000:03:00.0", "0000:03:00.0");
        assert_parses("03:00.0", "0000:03:00.0");
        assert_parses("0021:DE:1f.7", "0021:de:1f.7");
        assert_parses("ffff:ff:1f.7", "ffff:ff:1f.7");
}

static void test_refused(void **state)
{
        assert_refused("0000:03:00.8");   /* function beyond 7 */
        assert_refused("0000:03:20.0");   /* slot beyond 31 */
        assert_refused("03:00");          /* no function */
        assert_refused("zz:00.0");
        assert_refused("0000:03:00.0 ");
        assert_refused(" 0000:03:00.0");
        assert_refused("0000:03:00.00");
        assert_refused("00000:03:00.0");
        assert_refused("../../../etc");
        assert_refused("0000:03:00.0/../..");
        assert_refused("");
        assert_refused("+0:03:00.0");
        assert_refused("0000-03:00.0");
        assert_refused("0000:03:00:0");
        assert_refused("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert_int_equal(vfioctl_pci_addr_parse(NULL, NULL), -EINVAL);
}

static void test_compare(void **state)
{
        struct vfioctl_pci_addr a, b;

        assert_int_equal(vfioctl_pci_addr_parse("0000:03:00.1", &a), 0);
        assert_int_equal(vfioctl_pci_addr_parse("0000:03:01.0", &b), 0);
        assert_true(vfioctl_pci_addr_compare(&a, &b) < 0);
        assert_true(vfioctl_pci_addr_compare(&b, &a) > 0);
        assert_int_equal(vfioctl_pci_addr_compare(&a, &a), 0);
        assert_int_equal(vfioctl_pci_addr_parse("0001:00:00.0", &b), 0);
        assert_true(vfioctl_pci_addr_compare(&a, &b) < 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_and_short_forms),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_compare),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
