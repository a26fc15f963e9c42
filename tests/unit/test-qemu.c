/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU arguments (qemu.c): exact vectors for the guest definitions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "qemu.h"

static vfioctl_ctx *ctx;

static int setup(void **state)
{
        return vfioctl_ctx_new("/", &ctx) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        ctx = vfioctl_ctx_unref(ctx);
        return 0;
}

#define DOMAIN(machine, devs)                                           \
        "<domain type='kvm'>\n"                                         \
        "  <name>guest1</name>\n"                                       \
        "  <os><type arch='x86_64' machine='" machine "'>hvm</type></os>\n" \
        "  <devices>\n" devs "  </devices>\n"                           \
        "</domain>\n"

#define SRC(d, b, s, f) "<source><address domain='" d "' bus='" b "' slot='" s "' function='" f "'/></source>"

static vfioctl_guest_def *parse(const char *xml)
{
        vfioctl_guest_def *def = NULL;
        int r = vfioctl_guest_def_new_from_string(ctx, xml, NULL, 0, &def);

        if (r < 0)
                print_error("parse: %s\n", vfioctl_ctx_errmsg(ctx));
        assert_int_equal(r, 0);
        return def;
}

/* The vector for def with flags is exactly want (NULL-terminated). */
static void check_args(vfioctl_guest_def *def, unsigned flags, const char *const *want)
{
        char **args = NULL;
        size_t i;
        int r = vfioctl_guest_def_qemu_args(def, flags, &args);

        if (r < 0)
                print_error("qemu args: %s\n", vfioctl_ctx_errmsg(ctx));
        assert_int_equal(r, 0);
        assert_non_null(args);
        for (i = 0; want[i]; i++) {
                if (!args[i] || strcmp(args[i], want[i]) != 0)
                        print_error("argument %zu: got \"%s\", want \"%s\"\n", i,
                                    args[i] ? args[i] : "(end)", want[i]);
                assert_non_null(args[i]);
                assert_string_equal(args[i], want[i]);
        }
        if (args[i])
                print_error("extra argument %zu: \"%s\"\n", i, args[i]);
        assert_null(args[i]);
        assert_null(vfioctl_qemu_args_free(args));
}

static const char pc_xml[] = DOMAIN("pc-i440fx-8.2",
        "<hostdev mode='subsystem' type='pci' managed='yes'>" SRC("0x0000", "0x06", "0x12", "0x5") "</hostdev>\n"
        "<hostdev mode='subsystem' type='pci'>" SRC("0", "6", "18", "6")
        "  <address type='pci' domain='0' bus='0' slot='5' function='0' multifunction='on'/>"
        "  <rom bar='off'/><boot order='2'/></hostdev>\n"
        "<hostdev mode='subsystem' type='pci'>" SRC("0", "6", "18", "7") "<address type='unassigned'/></hostdev>\n"
        "<hostdev mode='subsystem' type='pci'>" SRC("0", "7", "0", "0")
        "  <address type='pci' bus='0' slot='5' function='1' multifunction='off'/><rom enabled='no'/></hostdev>\n"
        "<hostdev mode='subsystem' type='pci'>" SRC("0x0021", "0xde", "0x1f", "0x1")
        "  <address type='pci' bus='2' slot='0x1f'/><rom bar='on' file='/roms/a,b.rom'/>"
        "  <teaming type='transient' persistent='ua-backup0'/></hostdev>\n"
        "<hostdev mode='subsystem' type='pci'>" SRC("0", "8", "0", "0") "<rom file=''/><alias name='ua-gpu'/></hostdev>\n");

static void test_pc(void **state)
{
        vfioctl_guest_def *def = parse(pc_xml);
        static const char *const want[] = {
                "-device", "vfio-pci,host=0000:06:12.5,id=hostdev0",
                "-device", "vfio-pci,host=0000:06:12.6,id=hostdev1,bus=pci.0,addr=0x5,multifunction=on,rombar=0,bootindex=2",
                /* hostdev2 is unassigned: no device, but it keeps its number. */
                "-device", "vfio-pci,host=0000:07:00.0,id=hostdev3,bus=pci.0,addr=0x5.0x1,romfile=",
                "-device", "vfio-pci,host=0021:de:1f.1,id=hostdev4,bus=pci.2,addr=0x1f,rombar=1,romfile=/roms/a,,b.rom,failover_pair_id=ua-backup0",
                "-device", "vfio-pci,host=0000:08:00.0,id=ua-gpu,romfile=",
                NULL,
        };

        check_args(def, 0, want);
        vfioctl_guest_def_unref(def);
}

static void test_iommufd(void **state)
{
        vfioctl_guest_def *def = parse(pc_xml);
        static const char *const want[] = {
                "-object", "iommufd,id=iommufd0",
                "-device", "vfio-pci,host=0000:06:12.5,id=hostdev0,iommufd=iommufd0",
                "-device", "vfio-pci,host=0000:06:12.6,id=hostdev1,bus=pci.0,addr=0x5,multifunction=on,rombar=0,bootindex=2,iommufd=iommufd0",
                "-device", "vfio-pci,host=0000:07:00.0,id=hostdev3,bus=pci.0,addr=0x5.0x1,romfile=,iommufd=iommufd0",
                "-device", "vfio-pci,host=0021:de:1f.1,id=hostdev4,bus=pci.2,addr=0x1f,rombar=1,romfile=/roms/a,,b.rom,failover_pair_id=ua-backup0,iommufd=iommufd0",
                "-device", "vfio-pci,host=0000:08:00.0,id=ua-gpu,romfile=,iommufd=iommufd0",
                NULL,
        };

        check_args(def, VFIOCTL_QEMU_IOMMUFD, want);
        vfioctl_guest_def_unref(def);
}

static void test_q35(void **state)
{
        vfioctl_guest_def *def = parse(DOMAIN("pc-q35-9.0",
                "<hostdev mode='subsystem' type='pci' managed='yes'>" SRC("0", "1", "0", "0")
                "<address type='pci' bus='0' slot='0x10' function='0' multifunction='on'/></hostdev>\n"
                "<hostdev mode='subsystem' type='pci' managed='yes'>" SRC("0", "1", "0", "1")
                "<address type='pci' bus='0' slot='0x10' function='1'/></hostdev>\n"
                "<hostdev mode='subsystem' type='pci' managed='yes'>" SRC("0", "2", "0", "0")
                "<address type='pci' bus='3' slot='0'/></hostdev>\n"));
        static const char *const want[] = {
                "-device", "vfio-pci,host=0000:01:00.0,id=hostdev0,bus=pcie.0,addr=0x10,multifunction=on",
                "-device", "vfio-pci,host=0000:01:00.1,id=hostdev1,bus=pcie.0,addr=0x10.0x1",
                "-device", "vfio-pci,host=0000:02:00.0,id=hostdev2,bus=pci.3,addr=0x0",
                NULL,
        };

        check_args(def, 0, want);
        vfioctl_guest_def_unref(def);
}

static void test_empty(void **state)
{
        static const char *const want[] = { NULL };
        vfioctl_guest_def *def = parse(DOMAIN("q35", ""));

        check_args(def, 0, want);
        check_args(def, VFIOCTL_QEMU_IOMMUFD, want);
        vfioctl_guest_def_unref(def);

        /* Only unassigned functions: nothing for QEMU either, not even the iommufd object. */
        def = parse(DOMAIN("q35", "<hostdev mode='subsystem' type='pci' assigned='no'>" SRC("0", "1", "0", "0") "</hostdev>\n"));
        check_args(def, VFIOCTL_QEMU_IOMMUFD, want);
        vfioctl_guest_def_unref(def);
}

static void test_interfaces_and_networks(void **state)
{
        vfioctl_guest_def *def = parse(DOMAIN("pc",
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "</hostdev>\n"
                "<interface type='network'><source network='default'/></interface>\n"
                "<interface type='hostdev'><mac address='00:11:22:33:44:55'/>" SRC("0", "3", "7", "1") "<boot order='1'/></interface>\n"
                "<interface type='network'><source network='pool'/><rom bar='off'/></interface>\n"));
        struct vfioctl_pci_addr vf = { .bus = 0x3b, .slot = 0x10, .function = 4 };
        static const char *const want[] = {
                "-device", "vfio-pci,host=0000:03:07.1,id=hostdev0,bootindex=1",
                "-device", "vfio-pci,host=0000:3b:10.4,id=hostdev1,rombar=0",
                "-device", "vfio-pci,host=0000:01:00.0,id=hostdev2",
                NULL,
        };
        char **args = NULL;

        /* Networks must be resolved first. */
        assert_int_equal(vfioctl_guest_def_qemu_args(def, 0, &args), -EINVAL);
        assert_null(args);
        assert_string_equal(vfioctl_ctx_errmsg(ctx),
                            "line 6: <interface type='network'>: network 'default' has not been "
                            "resolved to a device");

        assert_int_equal(vfioctl_guest_def_ignore_network(def, 0), 0);
        assert_int_equal(vfioctl_guest_def_resolve_network(def, 2, &vf, true, VFIOCTL_GROUP_NONE), 0);
        check_args(def, 0, want);
        vfioctl_guest_def_unref(def);
}

static void test_errors(void **state)
{
        vfioctl_guest_def *def = parse(DOMAIN("pc",
                "<hostdev mode='subsystem' type='pci'><driver name='kvm'/>" SRC("0", "1", "0", "0") "</hostdev>\n"));
        char **args = NULL;

        assert_int_equal(vfioctl_guest_def_qemu_args(def, 0, &args), -EOPNOTSUPP);
        assert_null(args);
        assert_string_equal(vfioctl_ctx_errmsg(ctx),
                            "line 5: <hostdev> 0000:01:00.0: <driver name='kvm'> holds the device "
                            "with pci-stub, which QEMU cannot use; use <driver name='vfio'/>");
        assert_int_equal(vfioctl_guest_def_qemu_args(def, 0x10, &args), -EINVAL);
        assert_int_equal(vfioctl_guest_def_qemu_args(NULL, 0, &args), -EINVAL);
        assert_int_equal(vfioctl_guest_def_qemu_args(def, 0, NULL), -EINVAL);
        assert_null(vfioctl_qemu_args_free(NULL));
        vfioctl_guest_def_unref(def);
}

static void test_single_device(void **state)
{
        vfioctl_guest_def *def = parse(DOMAIN("q35",
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "<address type='pci' bus='0' slot='2'/></hostdev>\n"));
        char *s = NULL;

        assert_int_equal(qemu_hostdev_device(vfioctl_guest_def_hostdev_at(def, 0), VFIOCTL_QEMU_IOMMUFD, &s), 0);
        assert_string_equal(s, "vfio-pci,host=0000:01:00.0,id=hostdev0,bus=pcie.0,addr=0x2,iommufd=iommufd0");
        free(s);
        vfioctl_guest_def_unref(def);
}

/* Issue 8 item 12: libvirt numbers every hostdev type in one hostdevN sequence. */
static void test_ids_across_hostdev_types(void **state)
{
        vfioctl_guest_def *def = NULL;
        static const char *const want[] = {
                "-device", "vfio-pci,host=0000:01:00.0,id=hostdev2",
                "-device", "vfio-pci,host=0000:02:00.0,id=hostdev5",
                NULL,
        };
        int r = vfioctl_guest_def_new_from_string(ctx, DOMAIN("q35",
                "<hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/><product id='0xc52b'/></source></hostdev>\n"
                "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>\n"
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "</hostdev>\n"
                "<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/><address bus='0' target='0' unit='0'/></source></hostdev>\n"
                "<hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/><product id='0xc52c'/></source></hostdev>\n"
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "2", "0", "0") "</hostdev>\n"),
                NULL, VFIOCTL_GUEST_PARSE_SKIP_NON_PCI, &def);

        assert_int_equal(r, 0);
        /* usb hostdev0, mdev hostdev1, PCI hostdev2, scsi hostdev3, usb hostdev4. */
        check_args(def, 0, want);
        vfioctl_guest_def_unref(def);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pc),
                cmocka_unit_test(test_iommufd),
                cmocka_unit_test(test_q35),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_interfaces_and_networks),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_single_device),
                cmocka_unit_test(test_ids_across_hostdev_types),
        };
        int r = cmocka_run_group_tests(tests, setup, teardown);

        xmlCleanupParser();
        return r;
}
