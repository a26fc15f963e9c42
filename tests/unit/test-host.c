/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host cache: groups and devices are read when asked for, and only
 * those; viability follows DESIGN §2. Runs on a small tree built in a
 * scratch folder.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "internal.h"

static char root[] = "/tmp/vfioctl-unit-host-XXXXXX";

#include "sysfs-tree.h"

static int setup(void **state)
{
        tree_new();
        add("0000:00:1c.0", 0x8086, 0xa33c, 0x060400, 1, "pcieport", 8);
        add("0000:05:00.0", 0x8086, 0x10d3, 0x020000, 0, "e1000e", 8);
        add("0000:00:1f.3", 0x8086, 0xa323, 0x0c0500, 0x80, "i801_smbus", 8);
        add("0000:01:00.0", 0x10de, 0x1b81, 0x030000, 0x80, "vfio-pci", 1);
        add("0000:01:00.1", 0x10de, 0x10f0, 0x040300, 0x80, NULL, 1);
        add("0000:02:00.0", 0x144d, 0xa808, 0x010802, 0, "mlx5_vfio_pci", 6);
        mkpath("sys/devices/pci0000:00/0000:02:00.0/vfio-dev/vfio0");
        /* QEMU's pcie-pci-bridge: a vendor pci.ids knows, a device it does not. */
        add("0000:07:00.0", 0x1b36, 0x000e, 0x060400, 1, NULL, 9);
        /* As QEMU builds a multifunction slot: the bit on function 0 only. */
        add("0000:08:00.0", 0x8086, 0x100e, 0x020000, 0x80, "e1000", 10);
        add("0000:08:00.1", 0x8086, 0x100e, 0x020000, 0, "e1000", 10);
        return 0;
}

static int teardown(void **state)
{
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_group_reads_only_its_members(void **state)
{
        vfioctl_ctx *ctx = NULL;
        vfioctl_host *host = NULL;
        vfioctl_group *group = NULL;

        assert_int_equal(vfioctl_ctx_new(root, &ctx), 0);
        assert_int_equal(vfioctl_host_new(ctx, &host), 0);
        assert_int_equal(vfioctl_host_n_devices(host), 0);

        assert_int_equal(vfioctl_host_get_group(host, 8, &group), 0);
        assert_int_equal(vfioctl_group_n_devices(group), 3);
        /* Sorted by address, whatever the directory order. */
        assert_string_equal(vfioctl_device_get_address(vfioctl_group_device_at(group, 0)),
                            "0000:00:1c.0");
        assert_string_equal(vfioctl_device_get_address(vfioctl_group_device_at(group, 2)),
                            "0000:05:00.0");
        /* Only group 8 was read. */
        assert_int_equal(vfioctl_host_n_devices(host), 3);
        assert_false(vfioctl_group_is_viable(group));

        assert_int_equal(vfioctl_host_get_group(host, 99, &group), -ENOENT);
        assert_non_null(strstr(vfioctl_ctx_errmsg(ctx), "no IOMMU group 99"));

        vfioctl_host_unref(host);
        vfioctl_ctx_unref(ctx);
}

static void test_viability(void **state)
{
        vfioctl_ctx *ctx = NULL;
        vfioctl_host *host = NULL;
        vfioctl_group *group = NULL;
        vfioctl_device *dev = NULL;
        struct vfioctl_pci_addr a;

        assert_int_equal(vfioctl_ctx_new(root, &ctx), 0);
        assert_int_equal(vfioctl_host_new(ctx, &host), 0);
        assert_int_equal(vfioctl_host_scan(host), 0);
        assert_int_equal(vfioctl_host_n_devices(host), 9);
        assert_int_equal(vfioctl_host_n_groups(host), 5);
        assert_true(vfioctl_host_has_iommu(host));

        /* vfio-pci and an unbound sibling: viable. */
        assert_int_equal(vfioctl_host_get_group(host, 1, &group), 0);
        assert_true(vfioctl_group_is_viable(group));
        /* A variant driver counts through vfio-dev/. */
        assert_int_equal(vfioctl_host_get_group(host, 6, &group), 0);
        assert_true(vfioctl_group_is_viable(group));
        dev = vfioctl_group_device_at(group, 0);
        assert_true(vfioctl_device_is_on_vfio(dev));
        assert_true(vfioctl_device_is_on_stub(dev));

        assert_int_equal(vfioctl_pci_addr_parse("00:1c.0", &a), 0);
        assert_int_equal(vfioctl_host_get_device(host, &a, &dev), 0);
        assert_true(vfioctl_device_is_bridge(dev));
        assert_true(vfioctl_device_is_viable_member(dev)); /* pcieport */
        assert_false(vfioctl_device_is_on_stub(dev));
        assert_int_equal(vfioctl_device_get_group_number(dev), 8);

        assert_int_equal(vfioctl_pci_addr_parse("00:1f.3", &a), 0);
        assert_int_equal(vfioctl_host_get_device(host, &a, &dev), 0);
        assert_true(vfioctl_device_is_multifunction(dev));
        assert_false(vfioctl_device_is_viable_member(dev));
        assert_string_equal(vfioctl_device_get_class_word(dev), "SMBus");

        assert_int_equal(vfioctl_pci_addr_parse("00:1f.7", &a), 0);
        assert_int_equal(vfioctl_host_get_device(host, &a, &dev), -ENODEV);
        assert_non_null(strstr(vfioctl_ctx_errmsg(ctx), "no PCI device 0000:00:1f.7"));

        vfioctl_host_unref(host);
        vfioctl_ctx_unref(ctx);
}

/* A function belongs to a multifunction device when its function 0 has
 * the bit, whatever its own header says (found by the real-kernel test). */
static void test_multifunction_from_function_0(void **state)
{
        vfioctl_ctx *ctx = NULL;
        vfioctl_host *host = NULL;
        vfioctl_device *dev = NULL;
        struct vfioctl_pci_addr a;

        assert_int_equal(vfioctl_ctx_new(root, &ctx), 0);
        assert_int_equal(vfioctl_host_new(ctx, &host), 0);
        assert_int_equal(vfioctl_pci_addr_parse("08:00.1", &a), 0);
        assert_int_equal(vfioctl_host_get_device(host, &a, &dev), 0);
        assert_true(vfioctl_device_is_multifunction(dev));
        /* A lone function 0 without the bit is single-function. */
        assert_int_equal(vfioctl_pci_addr_parse("05:00.0", &a), 0);
        assert_int_equal(vfioctl_host_get_device(host, &a, &dev), 0);
        assert_false(vfioctl_device_is_multifunction(dev));
        /* A function carrying the bit itself needs no look at function 0. */
        assert_int_equal(vfioctl_pci_addr_parse("01:00.1", &a), 0);
        assert_int_equal(vfioctl_host_get_device(host, &a, &dev), 0);
        assert_true(vfioctl_device_is_multifunction(dev));
        assert_string_equal(vfioctl_ctx_errmsg(ctx), "");
        vfioctl_host_unref(host);
        vfioctl_ctx_unref(ctx);
}

/* libpci calls its message callbacks for ids pci.ids lacks: this used to
 * crash (found by the real-kernel test on QEMU's bridge). */
static void test_unknown_ids(void **state)
{
        vfioctl_ctx *ctx = NULL;
        vfioctl_host *host = NULL;
        vfioctl_device *dev = NULL;
        struct vfioctl_pci_addr a;

        assert_int_equal(vfioctl_ctx_new(root, &ctx), 0);
        assert_int_equal(vfioctl_host_new(ctx, &host), 0);
        assert_int_equal(vfioctl_pci_addr_parse("07:00.0", &a), 0);
        assert_int_equal(vfioctl_host_get_device(host, &a, &dev), 0);
        assert_null(vfioctl_device_get_device_name(dev));
        assert_non_null(vfioctl_device_get_vendor_name(dev));
        assert_non_null(strstr(vfioctl_device_get_vendor_name(dev), "Red Hat"));
        vfioctl_host_unref(host);
        vfioctl_ctx_unref(ctx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_group_reads_only_its_members),
                cmocka_unit_test(test_viability),
                cmocka_unit_test(test_unknown_ids),
                cmocka_unit_test(test_multifunction_from_function_0),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
