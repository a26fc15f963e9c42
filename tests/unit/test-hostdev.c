/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt XML parsing (xml.c, guestdef.c, netdef.c): every element and attribute vfioctl
 * reads, and every error with its message.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "assign.h"
#include "hostdev.h"

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

/* A domain whose <devices> are DEVS; <name> on line 2, devices from line 6. */
#define DOMAIN(machine, devs)                                  \
        "<domain type='kvm'>\n"                                \
        "  <name>guest1</name>\n"                              \
        "  <os><type arch='x86_64' machine='" machine "'>hvm</type></os>\n" \
        "  <memory unit='KiB'>1048576</memory>\n"              \
        "  <devices>\n"                                        \
        devs                                                   \
        "  </devices>\n"                                       \
        "</domain>\n"

#define SRC(d, b, s, f) "<source><address domain='" d "' bus='" b "' slot='" s "' function='" f "'/></source>"

static vfioctl_guest_def *parse_ok(const char *xml, const char *name, unsigned flags)
{
        vfioctl_guest_def *def = NULL;
        int r = vfioctl_guest_def_new_from_string(ctx, xml, name, flags, &def);

        if (r < 0)
                print_error("unexpected error %d: %s\n", r, vfioctl_ctx_errmsg(ctx));
        assert_int_equal(r, 0);
        assert_non_null(def);
        return def;
}

/* Fails with error and exactly msg. */
static void parse_fail(const char *xml, const char *name, unsigned flags, int error,
                       const char *msg)
{
        vfioctl_guest_def *def = NULL;
        int r = vfioctl_guest_def_new_from_string(ctx, xml, name, flags, &def);

        assert_null(def);
        if (r != error || (msg && strcmp(vfioctl_ctx_errmsg(ctx), msg) != 0))
                print_error("got %d \"%s\"\nwant %d \"%s\"\n", r, vfioctl_ctx_errmsg(ctx), error,
                            msg ? msg : "(any)");
        assert_int_equal(r, error);
        if (msg)
                assert_string_equal(vfioctl_ctx_errmsg(ctx), msg);
}

/* One device on line 6 of a pc domain. */
static void fail_dev(const char *dev, const char *msg)
{
        char xml[4096];

        snprintf(xml, sizeof(xml), DOMAIN("pc", "%s\n"), dev);
        parse_fail(xml, NULL, 0, -EINVAL, msg);
}

static void test_full_hostdev(void **state)
{
        static const char xml[] = DOMAIN("pc-q35-8.2",
                "    <controller type='pci' index='0' model='pcie-root'/>\n"
                "    <controller type='pci' index='1' model='pcie-root-port'/>\n"
                "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
                "      <driver name='vfio' group='auto' model='mlx5_vfio_pci'/>\n"
                "      " SRC("0x0000", "0x06", "0x12", "0x5") "\n"
                "      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x1' multifunction='on'/>\n"
                "      <rom bar='off' file='/usr/share/rom.bin'/>\n"
                "      <boot order='2'/>\n"
                "      <alias name='ua-gpu'/>\n"
                "      <teaming type='transient' persistent='ua-net0'/>\n"
                "    </hostdev>\n");
        vfioctl_guest_def *def = parse_ok(xml, "guest1", 0);
        vfioctl_guest_hostdev *h;
        const struct vfioctl_pci_addr *a;
        int index;
        const char *model;

        assert_string_equal(vfioctl_guest_def_get_name(def), "guest1");
        assert_string_equal(vfioctl_guest_def_get_machine(def), "pc-q35-8.2");
        assert_true(vfioctl_guest_def_is_pcie(def));
        assert_int_equal(vfioctl_guest_def_n_pci_controllers(def), 2);
        assert_int_equal(vfioctl_guest_def_pci_controller_at(def, 1, &index, &model), 0);
        assert_int_equal(index, 1);
        assert_string_equal(model, "pcie-root-port");
        assert_int_equal(vfioctl_guest_def_pci_controller_at(def, 2, &index, &model), -EINVAL);
        assert_int_equal(vfioctl_guest_def_n_skipped(def), 0);
        assert_int_equal(vfioctl_guest_def_n_hostdevs(def), 1);
        assert_null(vfioctl_guest_def_hostdev_at(def, 1));

        h = vfioctl_guest_def_hostdev_at(def, 0);
        assert_non_null(h);
        assert_int_equal(vfioctl_guest_hostdev_get_kind(h), VFIOCTL_HOSTDEV_PCI);
        assert_int_equal(vfioctl_guest_hostdev_get_index(h), 0);
        assert_int_equal(vfioctl_guest_hostdev_get_line(h), 8);
        assert_string_equal(vfioctl_guest_hostdev_get_element(h), "<hostdev>");
        a = vfioctl_guest_hostdev_get_addr(h);
        assert_non_null(a);
        assert_int_equal(a->domain, 0);
        assert_int_equal(a->bus, 6);
        assert_int_equal(a->slot, 0x12);
        assert_int_equal(a->function, 5);
        assert_null(vfioctl_guest_hostdev_get_network(h));
        assert_true(vfioctl_guest_hostdev_is_resolved(h));
        assert_false(vfioctl_guest_hostdev_is_ignored(h));
        assert_true(vfioctl_guest_hostdev_is_managed(h));
        assert_int_equal(vfioctl_guest_hostdev_get_driver(h), VFIOCTL_HOSTDEV_DRIVER_VFIO);
        assert_string_equal(vfioctl_guest_hostdev_get_driver_model(h), "mlx5_vfio_pci");
        assert_string_equal(vfioctl_guest_hostdev_get_stub_driver(h), "mlx5_vfio_pci");
        assert_int_equal(vfioctl_guest_hostdev_get_group_mode(h), VFIOCTL_GROUP_AUTO);
        assert_true(vfioctl_guest_hostdev_is_assigned(h));
        a = vfioctl_guest_hostdev_get_guest_addr(h);
        assert_non_null(a);
        assert_int_equal(a->bus, 1);
        assert_int_equal(a->slot, 0);
        assert_int_equal(a->function, 1);
        assert_int_equal(vfioctl_guest_hostdev_get_multifunction(h), VFIOCTL_SWITCH_ON);
        assert_int_equal(vfioctl_guest_hostdev_get_rom_bar(h), VFIOCTL_SWITCH_OFF);
        assert_string_equal(vfioctl_guest_hostdev_get_rom_file(h), "/usr/share/rom.bin");
        assert_true(vfioctl_guest_hostdev_is_rom_enabled(h));
        assert_int_equal(vfioctl_guest_hostdev_get_boot_order(h), 2);
        assert_string_equal(vfioctl_guest_hostdev_get_alias(h), "ua-gpu");
        assert_string_equal(vfioctl_guest_hostdev_get_id(h), "ua-gpu");
        assert_string_equal(vfioctl_guest_hostdev_get_failover_pair(h), "ua-net0");
        assert_null(vfioctl_guest_hostdev_get_mac(h));

        assert_ptr_equal(vfioctl_guest_def_find_hostdev(def, vfioctl_guest_hostdev_get_addr(h)), h);
        assert_ptr_equal(vfioctl_guest_def_ref(def), def);
        assert_null(vfioctl_guest_def_unref(def));
        assert_null(vfioctl_guest_def_unref(def));
        assert_null(vfioctl_guest_def_unref(NULL));
}

static void test_defaults(void **state)
{
        static const char xml[] = DOMAIN("pc-i440fx-8.2",
                "    <hostdev mode='subsystem' type='pci'>\n"
                "      <source><address bus='0x06' slot='0x12'/></source>\n"
                "    </hostdev>\n");
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);
        vfioctl_guest_hostdev *h = vfioctl_guest_def_hostdev_at(def, 0);
        const struct vfioctl_pci_addr *a = vfioctl_guest_hostdev_get_addr(h);

        assert_false(vfioctl_guest_def_is_pcie(def));
        assert_int_equal(a->domain, 0);
        assert_int_equal(a->function, 0);
        assert_false(vfioctl_guest_hostdev_is_managed(h));
        assert_int_equal(vfioctl_guest_hostdev_get_driver(h), VFIOCTL_HOSTDEV_DRIVER_DEFAULT);
        assert_null(vfioctl_guest_hostdev_get_driver_model(h));
        assert_string_equal(vfioctl_guest_hostdev_get_stub_driver(h), "vfio-pci");
        assert_int_equal(vfioctl_guest_hostdev_get_group_mode(h), VFIOCTL_GROUP_NONE);
        assert_true(vfioctl_guest_hostdev_is_assigned(h));
        assert_null(vfioctl_guest_hostdev_get_guest_addr(h));
        assert_int_equal(vfioctl_guest_hostdev_get_multifunction(h), VFIOCTL_SWITCH_DEFAULT);
        assert_int_equal(vfioctl_guest_hostdev_get_rom_bar(h), VFIOCTL_SWITCH_DEFAULT);
        assert_null(vfioctl_guest_hostdev_get_rom_file(h));
        assert_true(vfioctl_guest_hostdev_is_rom_enabled(h));
        assert_int_equal(vfioctl_guest_hostdev_get_boot_order(h), 0);
        assert_null(vfioctl_guest_hostdev_get_alias(h));
        assert_string_equal(vfioctl_guest_hostdev_get_id(h), "hostdev0");
        assert_null(vfioctl_guest_hostdev_get_failover_pair(h));
        vfioctl_guest_def_unref(def);
}

static void test_machine_types(void **state)
{
        static const struct {
                const char *xml;
                bool pcie;
        } cases[] = {
                { DOMAIN("q35", ""), true },
                { DOMAIN("pc-q35-2.12", ""), true },
                { DOMAIN("pc", ""), false },
                { DOMAIN("pc-i440fx-9.0", ""), false },
                { DOMAIN("pc", "<controller type='pci' index='0' model='pcie-root'/>"), true },
                { DOMAIN("q35", "<controller type='pci' index='0' model='pci-root'/>"), false },
                { "<domain><name>g</name><devices/></domain>", false },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                vfioctl_guest_def *def = parse_ok(cases[i].xml, NULL, 0);

                assert_int_equal(vfioctl_guest_def_is_pcie(def), cases[i].pcie);
                vfioctl_guest_def_unref(def);
        }
}

static void test_numbers(void **state)
{
        /* libvirt reads these with strtoul base 0: hex, decimal and octal. */
        static const char xml[] = DOMAIN("pc",
                "<hostdev mode='subsystem' type='pci'>" SRC("0x0021", "222", "31", "1") "</hostdev>\n"
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "010", "0X1f", "07") "</hostdev>\n");
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);
        const struct vfioctl_pci_addr *a;

        a = vfioctl_guest_hostdev_get_addr(vfioctl_guest_def_hostdev_at(def, 0));
        assert_int_equal(a->domain, 0x21);
        assert_int_equal(a->bus, 0xde);
        assert_int_equal(a->slot, 0x1f);
        assert_int_equal(a->function, 1);
        a = vfioctl_guest_hostdev_get_addr(vfioctl_guest_def_hostdev_at(def, 1));
        assert_int_equal(a->bus, 8);
        assert_int_equal(a->slot, 0x1f);
        assert_int_equal(a->function, 7);
        vfioctl_guest_def_unref(def);
}

static void test_address_errors(void **state)
{
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "0x06", "0x12", "0x8") "</hostdev>",
                 "line 6: <hostdev>: <source><address function='0x8'>: function must be 0-7");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "0x06", "0x20", "0") "</hostdev>",
                 "line 6: <hostdev>: <source><address slot='0x20'>: slot must be 0-0x1f");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "256", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <source><address bus='256'>: bus must be 0-0xff");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0x10000", "1", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <source><address domain='0x10000'>: domain must be 0-0xffff");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "0xzz", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <source><address bus='0xzz'>: bus is not a number");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "-1", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <source><address bus='-1'>: bus is not a number");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", " 1", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <source><address bus=' 1'>: bus is not a number");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "08", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <source><address bus='08'>: bus is not a number");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <source><address bus=''>: bus is not a number");
        fail_dev("<hostdev mode='subsystem' type='pci'><source><address slot='1'/></source></hostdev>",
                 "line 6: <hostdev>: <source><address>: bus is missing");
        fail_dev("<hostdev mode='subsystem' type='pci'><source><address bus='1'/></source></hostdev>",
                 "line 6: <hostdev>: <source><address>: slot is missing");
        fail_dev("<hostdev mode='subsystem' type='pci'/>",
                 "line 6: <hostdev>: <source> is missing");
        fail_dev("<hostdev mode='subsystem' type='pci'><source/></hostdev>",
                 "line 6: <hostdev>: <source>: <address> is missing");
        fail_dev("<hostdev mode='subsystem' type='pci'><source/><source/></hostdev>",
                 "line 6: <hostdev>: <source>: given twice (also at line 6)");
        fail_dev("<interface type='hostdev'><source/><source/></interface>",
                 "line 6: <interface type='hostdev'>: <source>: given twice (also at line 6)");
}

static void test_attribute_errors(void **state)
{
        fail_dev("<hostdev mode='subsystem' type='pci' managed='maybe'>" SRC("0", "1", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <hostdev managed='maybe'>: managed must be 'yes' or 'no'");
        fail_dev("<hostdev mode='subsystem' type='pci' assigned='1'>" SRC("0", "1", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <hostdev assigned='1'>: assigned must be 'yes' or 'no'");
        fail_dev("<hostdev mode='subsystem' type='pci'><driver name='vfio-pci'/>" SRC("0", "1", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <driver name='vfio-pci'>: name must be 'vfio', 'kvm' or 'xen' "
                 "(a vfio variant driver goes in model='…')");
        fail_dev("<hostdev mode='subsystem' type='pci'><driver group='never'/>" SRC("0", "1", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <driver group='never'>: group must be 'auto' or 'allow'");
        fail_dev("<hostdev mode='subsystem' type='pci'><driver model='../vfio'/>" SRC("0", "1", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <driver model='../vfio'>: not a kernel driver name (letters, digits, '-' and '_')");
        fail_dev("<hostdev mode='subsystem' type='pci'><driver/><driver/>" SRC("0", "1", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <driver>: given twice (also at line 6)");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<address type='drive'/></hostdev>",
                 "line 6: <hostdev>: <address type='drive'>: PCI host devices must use 'pci' or 'unassigned' address type");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<address type='pci' slot='2' multifunction='yes'/></hostdev>",
                 "line 6: <hostdev>: <address multifunction='yes'>: multifunction must be 'on' or 'off'");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<address type='pci' bus='0'/></hostdev>",
                 "line 6: <hostdev>: <address>: slot is missing");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<address type='pci' domain='1' slot='2'/></hostdev>",
                 "line 6: <hostdev>: <address domain='1'>: the guest has only PCI domain 0");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<address type='pci' bus='0' slot='0'/></hostdev>",
                 "line 6: <hostdev>: <address bus='0' slot='0'>: slot 0 of bus 0 is the host bridge");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0")
                 "<address type='pci' slot='2'/><address type='pci' slot='3'/></hostdev>",
                 "line 6: <hostdev>: <address>: given twice (also at line 6)");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<rom bar='1'/></hostdev>",
                 "line 6: <hostdev>: <rom bar='1'>: bar must be 'on' or 'off'");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<rom enabled='no' bar='on'/></hostdev>",
                 "line 6: <hostdev>: <rom enabled='no'>: ROM tuning is not supported when ROM is disabled");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<rom file='rom.bin'/></hostdev>",
                 "line 6: <hostdev>: <rom file='rom.bin'>: the ROM file must be an absolute path");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<boot order='0'/></hostdev>",
                 "line 6: <hostdev>: <boot order='0'>: order must be a positive decimal number");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<boot/></hostdev>",
                 "line 6: <hostdev>: <boot>: order is missing");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<alias name='a,b'/></hostdev>",
                 "line 6: <hostdev>: <alias name='a,b'>: an alias starts with a letter and has only "
                 "letters, digits, '-', '.' and '_'");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<teaming type='persistent'/></hostdev>",
                 "line 6: <hostdev>: <teaming type='persistent'>: teaming hostdev devices must have type='transient'");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<teaming type='transient'/></hostdev>",
                 "line 6: <hostdev>: <teaming>: missing required persistent attribute in hostdev teaming element");
}

static void test_unassigned(void **state)
{
        static const char xml[] = DOMAIN("pc",
                "<hostdev mode='subsystem' type='pci' managed='yes'>" SRC("0x0005", "0x90", "0x01", "0x0") "</hostdev>\n"
                "<hostdev mode='subsystem' type='pci' managed='yes'>" SRC("0x0005", "0x90", "0x01", "0x1")
                "<address type='unassigned'/></hostdev>\n"
                "<hostdev mode='subsystem' type='pci' managed='yes' assigned='no'>" SRC("0x0005", "0x90", "0x01", "0x2") "</hostdev>\n"
                "<hostdev mode='subsystem' type='pci' managed='yes' assigned='yes'>" SRC("0x0005", "0x90", "0x01", "0x3") "</hostdev>\n");
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);
        static const bool assigned[] = { true, false, false, true };

        assert_int_equal(vfioctl_guest_def_n_hostdevs(def), 4);
        for (size_t i = 0; i < 4; i++) {
                vfioctl_guest_hostdev *h = vfioctl_guest_def_hostdev_at(def, i);
                char id[16];

                snprintf(id, sizeof(id), "hostdev%zu", i);
                assert_int_equal(vfioctl_guest_hostdev_is_assigned(h), assigned[i]);
                /* Unassigned entries keep their number. */
                assert_string_equal(vfioctl_guest_hostdev_get_id(h), id);
                assert_null(vfioctl_guest_hostdev_get_guest_addr(h));
        }
        vfioctl_guest_def_unref(def);

        fail_dev("<hostdev mode='subsystem' type='pci' assigned='no'>" SRC("0", "1", "1", "1")
                 "<address type='pci' slot='3'/></hostdev>",
                 "line 6: <hostdev>: an unassigned hostdev (assigned='no') cannot have a guest <address type='pci'>");
        fail_dev("<hostdev mode='subsystem' type='pci' assigned='yes'>" SRC("0", "1", "1", "1")
                 "<address type='unassigned'/></hostdev>",
                 "line 6: <hostdev>: assigned='yes' contradicts <address type='unassigned'/>");
        fail_dev("<hostdev mode='subsystem' type='pci' assigned='no'>" SRC("0", "1", "1", "1")
                 "<boot order='1'/></hostdev>",
                 "line 6: <hostdev>: an unassigned hostdev (assigned='no') gets no QEMU device: "
                 "<boot>, <rom> and <teaming> cannot be used");
}

static void test_drivers(void **state)
{
        static const char xml[] = DOMAIN("pc",
                "<hostdev mode='subsystem' type='pci'><driver name='kvm'/>" SRC("0", "1", "0", "0") "</hostdev>\n"
                "<hostdev mode='subsystem' type='pci'><driver name='xen'/>" SRC("0", "1", "0", "1") "</hostdev>\n"
                "<hostdev mode='subsystem' type='pci'><driver model='vfio-pci-igb'/>" SRC("0", "1", "0", "2") "</hostdev>\n"
                "<hostdev mode='subsystem' type='pci'><driver name='vfio' group='allow'/>" SRC("0", "1", "0", "3") "</hostdev>\n");
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);
        vfioctl_guest_hostdev *h;

        h = vfioctl_guest_def_hostdev_at(def, 0);
        assert_int_equal(vfioctl_guest_hostdev_get_driver(h), VFIOCTL_HOSTDEV_DRIVER_KVM);
        assert_string_equal(vfioctl_guest_hostdev_get_stub_driver(h), "pci-stub");
        h = vfioctl_guest_def_hostdev_at(def, 1);
        assert_int_equal(vfioctl_guest_hostdev_get_driver(h), VFIOCTL_HOSTDEV_DRIVER_XEN);
        assert_string_equal(vfioctl_guest_hostdev_get_stub_driver(h), "xen-pciback");
        h = vfioctl_guest_def_hostdev_at(def, 2);
        assert_int_equal(vfioctl_guest_hostdev_get_driver(h), VFIOCTL_HOSTDEV_DRIVER_DEFAULT);
        assert_string_equal(vfioctl_guest_hostdev_get_stub_driver(h), "vfio-pci-igb");
        h = vfioctl_guest_def_hostdev_at(def, 3);
        assert_int_equal(vfioctl_guest_hostdev_get_driver(h), VFIOCTL_HOSTDEV_DRIVER_VFIO);
        assert_int_equal(vfioctl_guest_hostdev_get_group_mode(h), VFIOCTL_GROUP_AUTO);
        vfioctl_guest_def_unref(def);
}

static void test_rom(void **state)
{
        static const char xml[] = DOMAIN("pc",
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "<rom enabled='no'/></hostdev>\n"
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "1") "<rom file=''/></hostdev>\n"
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "2") "<rom bar='on' enabled='yes'/></hostdev>\n"
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "3") "<rom file='/a b,c.rom'/></hostdev>\n");
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);
        vfioctl_guest_hostdev *h;

        for (size_t i = 0; i < 2; i++) {
                h = vfioctl_guest_def_hostdev_at(def, i);
                assert_string_equal(vfioctl_guest_hostdev_get_rom_file(h), "");
                assert_false(vfioctl_guest_hostdev_is_rom_enabled(h));
                assert_int_equal(vfioctl_guest_hostdev_get_rom_bar(h), VFIOCTL_SWITCH_DEFAULT);
        }
        h = vfioctl_guest_def_hostdev_at(def, 2);
        assert_null(vfioctl_guest_hostdev_get_rom_file(h));
        assert_true(vfioctl_guest_hostdev_is_rom_enabled(h));
        assert_int_equal(vfioctl_guest_hostdev_get_rom_bar(h), VFIOCTL_SWITCH_ON);
        h = vfioctl_guest_def_hostdev_at(def, 3);
        assert_string_equal(vfioctl_guest_hostdev_get_rom_file(h), "/a b,c.rom");
        vfioctl_guest_def_unref(def);

        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<rom file='' enabled='yes'/></hostdev>",
                 "line 6: <hostdev>: <rom file='' enabled='yes'>: an empty file disables the ROM");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "1", "0") "<rom file='' bar='off'/></hostdev>",
                 "line 6: <hostdev>: <rom enabled='no'>: ROM tuning is not supported when ROM is disabled");
}

static void test_duplicate(void **state)
{
        /* libvirt's hostdev-pci-duplicate. */
        static const char xml[] = DOMAIN("pc",
                "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
                "      " SRC("0x0000", "0x06", "0x12", "0x5") "\n"
                "    </hostdev>\n"
                "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
                "      " SRC("0", "6", "18", "5") "\n"
                "    </hostdev>\n");

        parse_fail(xml, NULL, 0, -EINVAL,
                   "line 9: <hostdev>: Hostdev already exists in the domain configuration: "
                   "0000:06:12.5 is also used at line 6");
}

static void test_names(void **state)
{
        static const char devices[] =
                "<devices>\n"
                "  <hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "</hostdev>\n"
                "</devices>\n";
        vfioctl_guest_def *def;

        def = parse_ok(devices, "vm7", 0);
        assert_string_equal(vfioctl_guest_def_get_name(def), "vm7");
        assert_null(vfioctl_guest_def_get_machine(def));
        assert_false(vfioctl_guest_def_is_pcie(def));
        assert_int_equal(vfioctl_guest_def_n_hostdevs(def), 1);
        vfioctl_guest_def_unref(def);

        parse_fail(devices, NULL, 0, -EINVAL,
                   "no guest name: the XML has no <name> and none was given");
        parse_fail(devices, "a/b", 0, -EINVAL,
                   "guest name 'a/b' cannot contain '/' or control characters");
        parse_fail(DOMAIN("pc", ""), "other", 0, -EINVAL,
                   "guest name 'other' does not match the XML's <name>guest1</name> (line 2)");
        parse_fail("<domain><name></name></domain>", NULL, 0, -EINVAL,
                   "line 1: <name>: the guest name is empty");
        parse_fail("<guest/>", "g", 0, -EINVAL,
                   "line 1: <guest>: the document is neither a <domain> nor a <devices>");
}

static void test_xml_errors(void **state)
{
        vfioctl_guest_def *def = NULL;
        int r;

        r = vfioctl_guest_def_new_from_string(ctx, "<domain>\n<name>x</name>\n<devices>\n</domain>\n",
                                              NULL, 0, &def);
        assert_int_equal(r, -EINVAL);
        assert_null(def);
        assert_non_null(strstr(vfioctl_ctx_errmsg(ctx), "guest XML: line 4: XML syntax error: "));
        assert_null(strchr(vfioctl_ctx_errmsg(ctx), '\n'));

        parse_fail("", "g", 0, -EINVAL, NULL);
        parse_fail("<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY x 'guest'>]>\n"
                   "<domain><name>&x;</name></domain>\n",
                   NULL, 0, -EINVAL, "guest XML: <!DOCTYPE> is not allowed in libvirt XML");
        parse_fail("<!DOCTYPE domain SYSTEM 'http://example.com/x.dtd'><domain/>", "g", 0, -EINVAL,
                   "guest XML: <!DOCTYPE> is not allowed in libvirt XML");

        r = vfioctl_guest_def_new_from_file(ctx, "/nonexistent/guest.xml", NULL, 0, &def);
        assert_int_equal(r, -ENOENT);
        assert_string_equal(vfioctl_ctx_errmsg(ctx),
                            "cannot open /nonexistent/guest.xml: No such file or directory");
        assert_int_equal(vfioctl_guest_def_new_from_string(ctx, "<domain/>", "g", 0x80, &def), -EINVAL);
        assert_int_equal(vfioctl_guest_def_new_from_string(NULL, "<domain/>", "g", 0, &def), -EINVAL);
}

static void test_from_file(void **state)
{
        char path[] = "/tmp/test-hostdev-XXXXXX";
        static const char xml[] = DOMAIN("q35",
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "3", "0", "0") "</hostdev>\n");
        vfioctl_guest_def *def = NULL;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, xml, strlen(xml)), (ssize_t) strlen(xml));
        close(fd);
        assert_int_equal(vfioctl_guest_def_new_from_file(ctx, path, "guest1", 0, &def), 0);
        assert_int_equal(vfioctl_guest_def_n_hostdevs(def), 1);
        vfioctl_guest_def_unref(def);

        /* Errors in a file are reported the same way. */
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "<domain>", 8), 8);
        close(fd);
        def = NULL;
        assert_int_equal(vfioctl_guest_def_new_from_file(ctx, path, "guest1", 0, &def), -EINVAL);
        assert_null(def);
        assert_non_null(strstr(vfioctl_ctx_errmsg(ctx), path));
        unlink(path);
}

static void test_non_pci(void **state)
{
        static const char xml[] = DOMAIN("pc",
                "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev>\n"
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "</hostdev>\n"
                "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>\n"
                "<hostdev mode='capabilities' type='storage'><source><block>/dev/sdf1</block></source></hostdev>\n");
        vfioctl_guest_def *def;

        parse_fail(xml, NULL, 0, -EOPNOTSUPP,
                   "line 6: <hostdev mode='subsystem' type='usb'>: only PCI host devices "
                   "(mode='subsystem' type='pci') are supported");

        def = parse_ok(xml, NULL, VFIOCTL_GUEST_PARSE_SKIP_NON_PCI);
        assert_int_equal(vfioctl_guest_def_n_hostdevs(def), 1);
        assert_int_equal(vfioctl_guest_def_n_skipped(def), 3);
        assert_string_equal(vfioctl_guest_def_skipped_at(def, 0), "line 6: <hostdev mode='subsystem' type='usb'>");
        assert_string_equal(vfioctl_guest_def_skipped_at(def, 1), "line 8: <hostdev mode='subsystem' type='mdev'>");
        assert_string_equal(vfioctl_guest_def_skipped_at(def, 2), "line 9: <hostdev mode='capabilities' type='storage'>");
        assert_null(vfioctl_guest_def_skipped_at(def, 3));
        vfioctl_guest_def_unref(def);
}

static void test_ignored_elements(void **state)
{
        static const char xml[] = DOMAIN("pc",
                "<disk type='file' device='disk'><source file='/x.img'/><target dev='vda'/><boot order='1'/></disk>\n"
                "<interface type='user'><mac address='52:54:00:00:00:01'/><model type='virtio'/><rom bar='on'/></interface>\n"
                "<interface type='bridge'><source bridge='br0'/></interface>\n"
                "<controller type='usb' index='0'/>\n"
                "<memballoon model='virtio'/>\n"
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "<origstates><unbind/></origstates></hostdev>\n");
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);

        assert_int_equal(vfioctl_guest_def_n_hostdevs(def), 1);
        assert_int_equal(vfioctl_guest_def_n_pci_controllers(def), 0);
        vfioctl_guest_def_unref(def);
}

static void test_cross_device_checks(void **state)
{
        /* Boot orders are unique over all devices. */
        fail_dev("<disk type='file'><boot order='1'/></disk>\n"
                 "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "<boot order='1'/></hostdev>",
                 "line 7: <hostdev>: boot order 1 is used by more than one device (also at line 6)");
        /* ... and cannot be mixed with <os><boot>. */
        parse_fail("<domain>\n<name>g</name>\n<os><boot dev='hd'/></os>\n<devices>\n"
                   "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "\n<boot order='1'/></hostdev>\n"
                   "</devices></domain>",
                   NULL, 0, -EINVAL,
                   "line 6: <hostdev>: per-device boot elements cannot be used together with "
                   "os/boot elements (<os><boot> at line 3)");
        /* Aliases are unique. */
        fail_dev("<interface type='user'><alias name='ua-x'/></interface>\n"
                 "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "<alias name='ua-x'/></hostdev>",
                 "line 7: <hostdev>: non unique alias detected: ua-x (also at line 6)");
        /* Guest addresses are not used twice. */
        fail_dev("<memballoon model='virtio'><address type='pci' domain='0' bus='0' slot='5' function='0'/></memballoon>\n"
                 "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0")
                 "<address type='pci' bus='0' slot='0x05'/></hostdev>",
                 "line 7: <hostdev>: Attempted double use of PCI Address 0000:00:05.0 (also at line 6)");
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "<address type='pci' bus='0' slot='5'/></hostdev>\n"
                 "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "1") "<address type='pci' bus='0' slot='5'/></hostdev>",
                 "line 7: <hostdev>: Attempted double use of PCI Address 0000:00:05.0 (also at line 6)");
}

static void test_interface_hostdev(void **state)
{
        static const char xml[] = DOMAIN("pc",
                "    <hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "</hostdev>\n"
                "    <interface type='hostdev' managed='yes'>\n"
                "      <mac address='00:11:22:33:44:55'/>\n"
                "      <driver name='vfio' group='auto'/>\n"
                "      <source><address type='pci' domain='0x0000' bus='0x03' slot='0x07' function='0x1'/></source>\n"
                "      <vlan><tag id='42'/></vlan>\n"
                "      <virtualport type='802.1Qbg'><parameters managerid='11'/></virtualport>\n"
                "      <model type='rtl8139'/>\n"
                "      <boot order='1'/>\n"
                "      <rom bar='off'/>\n"
                "      <address type='pci' bus='0' slot='9'/>\n"
                "    </interface>\n");
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);
        vfioctl_guest_hostdev *h;

        /* Interfaces come first: libvirt gives them hostdevN before <hostdev>s. */
        assert_int_equal(vfioctl_guest_def_n_hostdevs(def), 2);
        h = vfioctl_guest_def_hostdev_at(def, 0);
        assert_int_equal(vfioctl_guest_hostdev_get_kind(h), VFIOCTL_HOSTDEV_INTERFACE);
        assert_string_equal(vfioctl_guest_hostdev_get_element(h), "<interface type='hostdev'>");
        assert_int_equal(vfioctl_guest_hostdev_get_line(h), 7);
        assert_int_equal(vfioctl_guest_hostdev_get_addr(h)->bus, 3);
        assert_int_equal(vfioctl_guest_hostdev_get_addr(h)->function, 1);
        assert_true(vfioctl_guest_hostdev_is_managed(h));
        assert_int_equal(vfioctl_guest_hostdev_get_group_mode(h), VFIOCTL_GROUP_AUTO);
        assert_string_equal(vfioctl_guest_hostdev_get_mac(h), "00:11:22:33:44:55");
        assert_int_equal(h->vlan, 42);
        assert_false(h->vlan_trunk);
        assert_int_equal(vfioctl_guest_hostdev_get_boot_order(h), 1);
        assert_int_equal(vfioctl_guest_hostdev_get_rom_bar(h), VFIOCTL_SWITCH_OFF);
        assert_int_equal(vfioctl_guest_hostdev_get_guest_addr(h)->slot, 9);
        assert_string_equal(vfioctl_guest_hostdev_get_id(h), "hostdev0");
        h = vfioctl_guest_def_hostdev_at(def, 1);
        assert_int_equal(vfioctl_guest_hostdev_get_kind(h), VFIOCTL_HOSTDEV_PCI);
        assert_int_equal(vfioctl_guest_hostdev_get_line(h), 6);
        assert_string_equal(vfioctl_guest_hostdev_get_id(h), "hostdev1");
        vfioctl_guest_def_unref(def);
}

static void test_interface_errors(void **state)
{
        /* libvirt's net-hostdev-fail. */
        static const char xml[] = DOMAIN("pc",
                "    <interface type='hostdev' managed='yes'>\n"
                "      <mac address='00:11:22:33:44:55'/>\n"
                "      <source>\n"
                "        <address type='pci' domain='0x0000' bus='0x06' slot='0x12' function='0x1'/>\n"
                "      </source>\n"
                "      <model type='virtio'/>\n"
                "      <filterref filter='myfilter'/>\n"
                "      <backend tap='/dev/mytap'/>\n"
                "      <driver queues='4'/>\n"
                "    </interface>\n");

        parse_fail(xml, NULL, 0, -EINVAL,
                   "line 13: <interface type='hostdev'>: interface 00:11:22:33:44:55 - custom tap "
                   "device path is not supported for network interfaces of type hostdev");
        fail_dev("<interface type='hostdev'><mac address='52:54:00:00:00:02'/>" SRC("0", "1", "0", "0") "<filterref filter='f'/></interface>",
                 "line 6: <interface type='hostdev'>: interface 52:54:00:00:00:02 - filterref is not "
                 "supported for network interfaces of type hostdev");
        fail_dev("<interface type='hostdev'>" SRC("0", "1", "0", "0") "<driver name='vfio' queues='2'/></interface>",
                 "line 6: <interface type='hostdev'>: interface (no <mac>) - multiqueue is not "
                 "supported for network interfaces of type hostdev");
        fail_dev("<interface type='hostdev'>" SRC("0", "1", "0", "0") "<bandwidth><inbound average='1'/></bandwidth></interface>",
                 "line 6: <interface type='hostdev'>: interface (no <mac>) - bandwidth settings are "
                 "not supported for hostdev interfaces");
        fail_dev("<interface type='hostdev'><source><address type='usb' bus='1' slot='1'/></source></interface>",
                 "line 6: <interface type='hostdev'>: <source><address type='usb'>: type must be 'pci'");
        fail_dev("<interface type='hostdev'><source/></interface>",
                 "line 6: <interface type='hostdev'>: <source>: <address type='pci'> is missing");
        fail_dev("<interface type='hostdev'/>",
                 "line 6: <interface type='hostdev'>: <source> is missing");
        fail_dev("<interface type='hostdev' managed='true'>" SRC("0", "1", "0", "0") "</interface>",
                 "line 6: <interface type='hostdev'>: <interface managed='true'>: managed must be 'yes' or 'no'");
        fail_dev("<interface type='hostdev'>" SRC("0", "1", "0", "0") "<address type='unassigned'/></interface>",
                 "line 6: <interface type='hostdev'>: <address type='unassigned'>: PCI host devices "
                 "must use 'pci' or 'unassigned' address type");
        fail_dev("<interface type='network'><source/></interface>",
                 "line 6: <interface type='network'>: <source>: network is missing");
        /* An interface and a hostdev for the same function. */
        fail_dev("<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "</hostdev>\n"
                 "<interface type='hostdev'>" SRC("0", "1", "0", "0") "</interface>",
                 "line 7: <interface type='hostdev'>: Hostdev already exists in the domain "
                 "configuration: 0000:01:00.0 is also used at line 6");
}

/* Rule 10: what the VF gets through its PF must be something a NIC can have. */
static void test_interface_mac_vlan(void **state)
{
        static const char xml[] = DOMAIN("pc",
                "<interface type='hostdev'><mac address='52:54:00:AB:cd:0E'/>" SRC("0", "1", "0", "0") "<vlan trunk='no'><tag id='0'/></vlan></interface>\n"
                "<interface type='hostdev'>" SRC("0", "1", "0", "1") "<vlan><tag id='4095'/></vlan></interface>\n"
                "<interface type='hostdev'>" SRC("0", "1", "0", "2") "</interface>\n");
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);
        vfioctl_guest_hostdev *h;

        h = vfioctl_guest_def_hostdev_at(def, 0);
        assert_string_equal(vfioctl_guest_hostdev_get_mac(h), "52:54:00:ab:cd:0e");
        assert_int_equal(h->vlan, 0);
        h = vfioctl_guest_def_hostdev_at(def, 1);
        assert_null(vfioctl_guest_hostdev_get_mac(h));
        assert_int_equal(h->vlan, 4095);
        h = vfioctl_guest_def_hostdev_at(def, 2);
        assert_int_equal(h->vlan, -1);
        vfioctl_guest_def_unref(def);

        fail_dev("<interface type='hostdev'><mac address='01:00:5e:00:00:01'/>" SRC("0", "1", "0", "0") "</interface>",
                 "line 6: <interface type='hostdev'>: <mac address='01:00:5e:00:00:01'>: expected "
                 "a unicast MAC address, found a multicast one (the lowest bit of the first byte "
                 "is set)");
        fail_dev("<interface type='hostdev'><mac address='00:00:00:00:00:00'/>" SRC("0", "1", "0", "0") "</interface>",
                 "line 6: <interface type='hostdev'>: <mac address='00:00:00:00:00:00'>: the "
                 "all-zero address is no address a network card can have");
        fail_dev("<interface type='hostdev'><mac address='52:54:00:12:34'/>" SRC("0", "1", "0", "0") "</interface>",
                 "line 6: <interface type='hostdev'>: <mac address='52:54:00:12:34'>: not a MAC "
                 "address (six hex bytes with colons, as 52:54:00:12:34:56)");
        /* An ordinary network interface is refused too: libvirt's parser does. */
        fail_dev("<interface type='network'><mac address='ff:ff:ff:ff:ff:ff'/><source network='default'/></interface>",
                 "line 6: <interface type='network'>: <mac address='ff:ff:ff:ff:ff:ff'>: expected "
                 "a unicast MAC address, found a multicast one (the lowest bit of the first byte "
                 "is set)");
        fail_dev("<interface type='hostdev'>" SRC("0", "1", "0", "0") "<vlan><tag id='4096'/></vlan></interface>",
                 "line 6: <interface type='hostdev'>: <vlan><tag id='4096'>: vlan tag id 4096 too "
                 "large (maximum 4095)");
        fail_dev("<interface type='hostdev'>" SRC("0", "1", "0", "0") "<vlan><tag id='x'/></vlan></interface>",
                 "line 6: <interface type='hostdev'>: <vlan><tag id='x'>: missing or invalid vlan "
                 "tag id");
        fail_dev("<interface type='hostdev'>" SRC("0", "1", "0", "0") "<vlan/></interface>",
                 "line 6: <interface type='hostdev'>: <vlan>: missing <tag id='…'/> (a VLAN needs "
                 "its id)");
        fail_dev("<interface type='hostdev'>" SRC("0", "1", "0", "0") "<vlan trunk='yes'><tag id='4'/></vlan></interface>",
                 "line 6: <interface type='hostdev'>: interface (no <mac>) - vlan trunking is not "
                 "supported by SR-IOV network devices: give one <tag id='…'/>");
        fail_dev("<interface type='hostdev'>" SRC("0", "1", "0", "0") "<vlan><tag id='4'/><tag id='5'/></vlan></interface>",
                 "line 6: <interface type='hostdev'>: interface (no <mac>) - vlan trunking is not "
                 "supported by SR-IOV network devices: give one <tag id='…'/>");
}

/* A trunk is fine on an ordinary network, not once the network is a hostdev pool. */
static void test_network_interface_vlan_trunk(void **state)
{
        static const char xml[] = DOMAIN("pc",
                "<interface type='network'><source network='pool'/><vlan trunk='yes'><tag id='4'/><tag id='5'/></vlan></interface>\n");
        struct vfioctl_pci_addr vf = { .bus = 3, .slot = 0x10, .function = 2 };
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);

        assert_int_equal(vfioctl_guest_def_resolve_network(def, 0, &vf, false, VFIOCTL_GROUP_NONE), -EINVAL);
        assert_string_equal(vfioctl_ctx_errmsg(ctx),
                            "line 6: <interface type='network'>: network 'pool' is a hostdev pool: "
                            "interface (no <mac>) - vlan trunking is not supported for hostdev "
                            "interfaces");
        assert_int_equal(vfioctl_guest_def_ignore_network(def, 0), 0);
        vfioctl_guest_def_unref(def);
}

static void test_network_interface(void **state)
{
        static const char xml[] = DOMAIN("pc",
                "    <hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "</hostdev>\n"
                "    <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/><model type='virtio'/></interface>\n"
                "    <interface type='network'><source network='sriov-pool'/><boot order='3'/></interface>\n"
                "    <interface type='hostdev'>" SRC("0", "2", "0", "0") "</interface>\n");
        struct vfioctl_pci_addr vf = { .domain = 0, .bus = 3, .slot = 0x10, .function = 2 };
        struct vfioctl_pci_addr dup = { .domain = 0, .bus = 1, .slot = 0, .function = 0 };
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);
        vfioctl_guest_hostdev *h0, *h1, *h2, *h3;

        assert_int_equal(vfioctl_guest_def_n_hostdevs(def), 4);
        h0 = vfioctl_guest_def_hostdev_at(def, 0);
        h1 = vfioctl_guest_def_hostdev_at(def, 1);
        h2 = vfioctl_guest_def_hostdev_at(def, 2);
        h3 = vfioctl_guest_def_hostdev_at(def, 3);
        assert_int_equal(vfioctl_guest_hostdev_get_kind(h0), VFIOCTL_HOSTDEV_NETWORK);
        assert_string_equal(vfioctl_guest_hostdev_get_network(h0), "default");
        assert_string_equal(vfioctl_guest_hostdev_get_element(h0), "<interface type='network'>");
        assert_null(vfioctl_guest_hostdev_get_addr(h0));
        assert_false(vfioctl_guest_hostdev_is_resolved(h0));
        assert_string_equal(vfioctl_guest_hostdev_get_network(h1), "sriov-pool");
        assert_int_equal(vfioctl_guest_hostdev_get_kind(h2), VFIOCTL_HOSTDEV_INTERFACE);
        assert_int_equal(vfioctl_guest_hostdev_get_kind(h3), VFIOCTL_HOSTDEV_PCI);
        /* Unresolved networks count as hostdevs until told otherwise. */
        assert_string_equal(vfioctl_guest_hostdev_get_id(h3), "hostdev3");

        /* "default" is a NAT network: an ordinary NIC, no id. */
        assert_int_equal(vfioctl_guest_def_ignore_network(def, 0), 0);
        assert_true(vfioctl_guest_hostdev_is_ignored(h0));
        assert_true(vfioctl_guest_hostdev_is_resolved(h0));
        assert_null(vfioctl_guest_hostdev_get_id(h0));
        assert_string_equal(vfioctl_guest_hostdev_get_id(h1), "hostdev0");
        assert_string_equal(vfioctl_guest_hostdev_get_id(h2), "hostdev1");
        assert_string_equal(vfioctl_guest_hostdev_get_id(h3), "hostdev2");

        /* The pool's function cannot be one the guest already has. */
        assert_int_equal(vfioctl_guest_def_resolve_network(def, 1, &dup, true, VFIOCTL_GROUP_AUTO), -EINVAL);
        assert_string_equal(vfioctl_ctx_errmsg(ctx),
                            "line 8: <interface type='network'>: Hostdev already exists in the domain "
                            "configuration: 0000:01:00.0 is also used at line 6");
        assert_false(vfioctl_guest_hostdev_is_resolved(h1));
        assert_int_equal(vfioctl_guest_def_resolve_network(def, 1, &vf, true, VFIOCTL_GROUP_AUTO), 0);
        assert_true(vfioctl_guest_hostdev_is_resolved(h1));
        assert_int_equal(vfioctl_pci_addr_compare(vfioctl_guest_hostdev_get_addr(h1), &vf), 0);
        assert_true(vfioctl_guest_hostdev_is_managed(h1));
        assert_int_equal(vfioctl_guest_hostdev_get_group_mode(h1), VFIOCTL_GROUP_AUTO);
        assert_int_equal(vfioctl_guest_hostdev_get_boot_order(h1), 3);
        assert_ptr_equal(vfioctl_guest_def_find_hostdev(def, &vf), h1);

        /* Only network entries resolve. */
        assert_int_equal(vfioctl_guest_def_resolve_network(def, 2, &vf, true, VFIOCTL_GROUP_AUTO), -EINVAL);
        assert_string_equal(vfioctl_ctx_errmsg(ctx),
                            "line 9: <interface type='hostdev'>: entry 2 is not an <interface type='network'>");
        assert_int_equal(vfioctl_guest_def_ignore_network(def, 9), -EINVAL);
        vfioctl_guest_def_unref(def);
}

static void test_network_interface_unsupported(void **state)
{
        /* Settings a hostdev interface cannot use fail once the network turns out a pool. */
        static const char xml[] = DOMAIN("pc",
                "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='pool'/><backend tap='/dev/tap0'/></interface>\n"
                "<interface type='network'><source network='pool'/><driver queues='4'/></interface>\n");
        struct vfioctl_pci_addr vf = { .bus = 3, .slot = 0x10, .function = 2 };
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);

        assert_int_equal(vfioctl_guest_def_resolve_network(def, 0, &vf, false, VFIOCTL_GROUP_NONE), -EINVAL);
        assert_string_equal(vfioctl_ctx_errmsg(ctx),
                            "line 6: <interface type='network'>: network 'pool' is a hostdev pool: "
                            "interface 52:54:00:00:00:01 - custom tap device path is not supported "
                            "for network interfaces of type hostdev");
        assert_int_equal(vfioctl_guest_def_resolve_network(def, 1, &vf, false, VFIOCTL_GROUP_NONE), -EINVAL);
        assert_string_equal(vfioctl_ctx_errmsg(ctx),
                            "line 7: <interface type='network'>: network 'pool' is a hostdev pool: "
                            "interface (no <mac>) - multiqueue is not supported for hostdev interfaces");
        /* As ordinary NICs they are fine. */
        assert_int_equal(vfioctl_guest_def_ignore_network(def, 0), 0);
        assert_int_equal(vfioctl_guest_def_ignore_network(def, 1), 0);
        vfioctl_guest_def_unref(def);
}

static void test_ids(void **state)
{
        /* An alias hostdevN moves the numbering past it, as in libvirt. */
        static const char xml[] = DOMAIN("pc",
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "</hostdev>\n"
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "1") "<alias name='ua-x'/></hostdev>\n"
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "2") "</hostdev>\n"
                "<hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "3") "<alias name='hostdev5'/></hostdev>\n");
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);

        assert_string_equal(vfioctl_guest_hostdev_get_id(vfioctl_guest_def_hostdev_at(def, 0)), "hostdev6");
        assert_string_equal(vfioctl_guest_hostdev_get_id(vfioctl_guest_def_hostdev_at(def, 1)), "ua-x");
        assert_string_equal(vfioctl_guest_hostdev_get_id(vfioctl_guest_def_hostdev_at(def, 2)), "hostdev7");
        assert_string_equal(vfioctl_guest_hostdev_get_id(vfioctl_guest_def_hostdev_at(def, 3)), "hostdev5");
        vfioctl_guest_def_unref(def);
}

/* ---------------------------------------------------------------- */
/* Network pools                                                     */

static vfioctl_network_def *net_ok(const char *xml)
{
        vfioctl_network_def *net = NULL;
        int r = vfioctl_network_def_new_from_string(ctx, xml, &net);

        if (r < 0)
                print_error("unexpected error %d: %s\n", r, vfioctl_ctx_errmsg(ctx));
        assert_int_equal(r, 0);
        return net;
}

static void net_fail(const char *xml, int error, const char *msg)
{
        vfioctl_network_def *net = NULL;
        int r = vfioctl_network_def_new_from_string(ctx, xml, &net);

        if (r != error || strcmp(vfioctl_ctx_errmsg(ctx), msg) != 0)
                print_error("got %d \"%s\"\nwant %d \"%s\"\n", r, vfioctl_ctx_errmsg(ctx), error, msg);
        assert_int_equal(r, error);
        assert_null(net);
        assert_string_equal(vfioctl_ctx_errmsg(ctx), msg);
}

static void test_network_addresses(void **state)
{
        vfioctl_network_def *net = net_ok(
                "<network>\n"
                "  <name>hostdev</name>\n"
                "  <forward mode='hostdev' managed='yes'>\n"
                "    <driver name='vfio' group='auto'/>\n"
                "    <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x1'/>\n"
                "    <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x2'/>\n"
                "  </forward>\n"
                "</network>\n");

        assert_string_equal(vfioctl_network_def_get_name(net), "hostdev");
        assert_true(vfioctl_network_def_is_managed(net));
        assert_int_equal(vfioctl_network_def_get_driver(net), VFIOCTL_HOSTDEV_DRIVER_VFIO);
        assert_null(vfioctl_network_def_get_driver_model(net));
        assert_int_equal(vfioctl_network_def_get_group_mode(net), VFIOCTL_GROUP_AUTO);
        assert_null(vfioctl_network_def_get_pf(net));
        assert_int_equal(vfioctl_network_def_n_addrs(net), 2);
        assert_int_equal(vfioctl_network_def_addr_at(net, 1)->function, 2);
        assert_int_equal(vfioctl_network_def_addr_at(net, 1)->bus, 3);
        assert_null(vfioctl_network_def_addr_at(net, 2));
        assert_ptr_equal(vfioctl_network_def_ref(net), net);
        assert_null(vfioctl_network_def_unref(net));
        assert_null(vfioctl_network_def_unref(net));
        assert_null(vfioctl_network_def_unref(NULL));
}

static void test_network_pf(void **state)
{
        vfioctl_network_def *net = net_ok(
                "<network><name>pool</name><forward mode='hostdev'>"
                "<driver model='vfio-pci-igb'/><pf dev='eth2'/></forward></network>");

        assert_false(vfioctl_network_def_is_managed(net));
        assert_int_equal(vfioctl_network_def_get_driver(net), VFIOCTL_HOSTDEV_DRIVER_DEFAULT);
        assert_string_equal(vfioctl_network_def_get_driver_model(net), "vfio-pci-igb");
        assert_int_equal(vfioctl_network_def_get_group_mode(net), VFIOCTL_GROUP_NONE);
        assert_string_equal(vfioctl_network_def_get_pf(net), "eth2");
        assert_int_equal(vfioctl_network_def_n_addrs(net), 0);
        vfioctl_network_def_unref(net);
}

static void test_network_resolve_from_pool(void **state)
{
        static const char xml[] = DOMAIN("pc",
                "<interface type='network'><source network='pool'/><driver name='vfio'/></interface>\n");
        vfioctl_network_def *net = net_ok(
                "<network><name>pool</name><forward mode='hostdev' managed='yes'>"
                "<driver model='vfio-pci-igb' group='allow'/><pf dev='eth2'/></forward></network>");
        struct vfioctl_pci_addr vf = { .bus = 0x3b, .slot = 2, .function = 3 };
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);
        vfioctl_guest_hostdev *h = vfioctl_guest_def_hostdev_at(def, 0);

        assert_int_equal(vfioctl_guest_def_resolve_network_from_pool(def, 0, net, &vf), 0);
        assert_true(vfioctl_guest_hostdev_is_managed(h));
        assert_int_equal(vfioctl_guest_hostdev_get_group_mode(h), VFIOCTL_GROUP_AUTO);
        assert_int_equal(vfioctl_guest_hostdev_get_driver(h), VFIOCTL_HOSTDEV_DRIVER_VFIO);
        assert_string_equal(vfioctl_guest_hostdev_get_stub_driver(h), "vfio-pci-igb");
        assert_string_equal(vfioctl_guest_hostdev_get_id(h), "hostdev0");
        vfioctl_guest_def_unref(def);
        vfioctl_network_def_unref(net);
}

/* Rule 10: a pool's own <vlan> tags the interfaces that give none (libvirt's order). */
static void test_network_vlan(void **state)
{
        static const char xml[] = DOMAIN("pc",
                "<interface type='network'><source network='pool'/></interface>\n"
                "<interface type='network'><source network='pool'/><vlan><tag id='7'/></vlan></interface>\n");
        vfioctl_network_def *net = net_ok(
                "<network><name>pool</name><forward mode='hostdev' managed='yes'><pf dev='eth2'/></forward>"
                "<vlan><tag id='100'/></vlan></network>");
        struct vfioctl_pci_addr vf0 = { .bus = 0x3b, .slot = 2, .function = 0 };
        struct vfioctl_pci_addr vf1 = { .bus = 0x3b, .slot = 2, .function = 1 };
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0);

        assert_int_equal(vfioctl_guest_def_resolve_network_from_pool(def, 0, net, &vf0), 0);
        assert_int_equal(vfioctl_guest_def_hostdev_at(def, 0)->vlan, 100);
        assert_int_equal(vfioctl_guest_def_resolve_network_from_pool(def, 1, net, &vf1), 0);
        assert_int_equal(vfioctl_guest_def_hostdev_at(def, 1)->vlan, 7);
        vfioctl_guest_def_unref(def);
        vfioctl_network_def_unref(net);

        net = net_ok("<network><name>pool</name><forward mode='hostdev'><pf dev='eth2'/></forward></network>");
        assert_int_equal(net->vlan, -1);
        vfioctl_network_def_unref(net);
        net_fail("<network><name>pool</name><forward mode='hostdev'><pf dev='eth2'/></forward>\n"
                 "<vlan trunk='yes'><tag id='1'/><tag id='2'/></vlan></network>",
                 -EINVAL, "network pool: line 2: <vlan>: vlan trunking is not supported by SR-IOV "
                          "network devices: give one <tag id='…'/>");
        net_fail("<network><name>pool</name><forward mode='hostdev'><pf dev='eth2'/></forward>\n"
                 "<vlan><tag id='5000'/></vlan></network>",
                 -EINVAL, "network pool: line 2: <vlan>: <vlan><tag id='5000'>: vlan tag id 5000 "
                          "too large (maximum 4095)");
        net_fail("<network><name>pool</name><forward mode='hostdev'><pf dev='eth2'/></forward>\n"
                 "<portgroup name='eng'><vlan><tag id='5'/></vlan></portgroup></network>",
                 -EINVAL, "network pool: line 2: <portgroup>: name='eng': its <vlan> is not "
                          "supported (vfioctl does not follow portgroups); give the <vlan> to the "
                          "network or to the guest's <interface>");
}

static void test_network_errors(void **state)
{
        net_fail("<network><name>default</name><forward mode='nat'/></network>", -EMEDIUMTYPE,
                 "network default: forward mode 'nat' is not a hostdev pool");
        net_fail("<network><name>default</name><forward/></network>", -EMEDIUMTYPE,
                 "network default: forward mode 'nat' is not a hostdev pool");
        net_fail("<network><name>iso</name></network>", -EMEDIUMTYPE,
                 "network iso: no <forward> (an isolated network) is not a hostdev pool");
        net_fail("<network>\n<name>p</name>\n<forward mode='hostdev'/>\n</network>", -EINVAL,
                 "network p: line 3: <forward>: a hostdev pool needs a <pf dev='…'/> or <address type='pci' …/> entries");
        net_fail("<network>\n<name>p</name>\n<forward mode='hostdev'>\n<pf dev='eth0'/>\n"
                 "<address type='pci' bus='1' slot='0'/>\n</forward></network>", -EINVAL,
                 "network p: line 5: <forward>: a hostdev pool has either a <pf> (line 4) or <address> entries, not both");
        net_fail("<network>\n<name>p</name>\n<forward mode='hostdev'>\n<pf dev='eth0'/>\n<pf dev='eth1'/>\n</forward></network>", -EINVAL,
                 "network p: line 5: <forward>: <pf>: only one <pf> element is allowed (also at line 4)");
        net_fail("<network>\n<name>p</name>\n<forward mode='hostdev'>\n<pf dev='../eth0'/>\n</forward></network>", -EINVAL,
                 "network p: line 4: <forward>: <pf dev='../eth0'>: not a network interface name");
        net_fail("<network>\n<name>p</name>\n<forward mode='hostdev'>\n<pf/>\n</forward></network>", -EINVAL,
                 "network p: line 4: <forward>: <pf dev=''>: not a network interface name");
        net_fail("<network>\n<name>p</name>\n<forward mode='hostdev'>\n"
                 "<address type='pci' bus='1' slot='0' function='1'/>\n"
                 "<address type='pci' bus='0x1' slot='0' function='1'/>\n</forward></network>", -EINVAL,
                 "network p: line 5: <forward>: <address>: 0000:01:00.1 is listed twice");
        net_fail("<network>\n<name>p</name>\n<forward mode='hostdev'>\n"
                 "<address type='pci' bus='1' slot='0' function='9'/>\n</forward></network>", -EINVAL,
                 "network p: line 4: <forward>: <address function='9'>: function must be 0-7");
        net_fail("<network>\n<name>p</name>\n<forward mode='hostdev'>\n"
                 "<address bus='1' slot='0'/>\n</forward></network>", -EINVAL,
                 "network p: line 4: <forward>: <address type=''>: type must be 'pci'");
        net_fail("<network>\n<name>p</name>\n<forward mode='hostdev'>\n<interface dev='eth0'/>\n</forward></network>", -EINVAL,
                 "network p: line 4: <forward>: <interface>: a hostdev pool lists PCI functions: "
                 "use <pf dev='…'/> or <address type='pci' …/>");
        net_fail("<network>\n<name>p</name>\n<forward mode='hostdev' managed='1'><pf dev='e'/></forward></network>", -EINVAL,
                 "network p: line 3: <forward>: <forward managed='1'>: managed must be 'yes' or 'no'");
        net_fail("<network>\n<forward mode='hostdev'/></network>", -EINVAL,
                 "line 1: <network>: <name> is missing");
        net_fail("<domain/>", -EINVAL, "line 1: <domain>: a network XML has a <network> root element");
}

/* Issue 14 item 8: a hostdev in a second <devices> would be ignored: refused. */
static void test_second_devices(void **state)
{
        parse_fail("<domain type='kvm'>\n"
                   "  <name>guest1</name>\n"
                   "  <devices></devices>\n"
                   "  <devices>\n"
                   "    <hostdev mode='subsystem' type='pci'>" SRC("0", "1", "0", "0") "</hostdev>\n"
                   "  </devices>\n"
                   "</domain>\n",
                   NULL, 0, -EINVAL,
                   "line 4: <devices>: a second <devices> element (the first is at line 3): a "
                   "domain has one; put every device in it");
}

/*
 * Issue 14 item 7: one reading of the XML. An <interface x:type='network'
 * type='hostdev'> is a hostdev interface; the record keeps it one and
 * writes the pool's function into the network interface that took it.
 */
static void test_record_namespaced_type(void **state)
{
        static const char xml[] =
                "<domain type='kvm' xmlns:x='urn:x'>\n"
                "  <name>nsvm</name>\n"
                "  <devices>\n"
                "    <interface x:type='network' type='hostdev' managed='yes'>\n"
                "      " SRC("0x0000", "0x03", "0x10", "0x0") "\n"
                "    </interface>\n"
                "    <interface x:type='hostdev' type='network'><source network='vfpool'/></interface>\n"
                "  </devices>\n"
                "</domain>\n";
        struct vfioctl_pci_addr vf = { .bus = 0x3b, .slot = 2, .function = 3 };
        vfioctl_guest_def *def = parse_ok(xml, NULL, 0), *again = NULL;
        char **args = NULL, *recorded = NULL;

        assert_int_equal(vfioctl_guest_def_n_hostdevs(def), 2);
        assert_int_equal(vfioctl_guest_hostdev_get_kind(vfioctl_guest_def_hostdev_at(def, 0)),
                         VFIOCTL_HOSTDEV_INTERFACE);
        assert_int_equal(vfioctl_guest_hostdev_get_kind(vfioctl_guest_def_hostdev_at(def, 1)),
                         VFIOCTL_HOSTDEV_NETWORK);
        assert_int_equal(vfioctl_guest_def_resolve_network(def, 1, &vf, true, VFIOCTL_GROUP_NONE), 0);
        assert_int_equal(guest_resolved_xml(def, &recorded), 0);
        assert_int_equal(guest_def_from_record(ctx, "nsvm", recorded, &again), 0);

        assert_int_equal(vfioctl_guest_def_n_hostdevs(again), 2);
        for (size_t i = 0; i < 2; i++) {
                vfioctl_guest_hostdev *h = vfioctl_guest_def_hostdev_at(again, i);
                char buf[VFIOCTL_PCI_ADDR_MAX];

                assert_int_equal(vfioctl_guest_hostdev_get_kind(h), VFIOCTL_HOSTDEV_INTERFACE);
                assert_non_null(vfioctl_guest_hostdev_get_addr(h));
                assert_string_equal(vfioctl_pci_addr_format(vfioctl_guest_hostdev_get_addr(h), buf),
                                    i == 0 ? "0000:03:10.0" : "0000:3b:02.3");
        }
        assert_int_equal(vfioctl_guest_def_qemu_args(again, 0, &args), 0);
        assert_non_null(args[0]);
        assert_non_null(strstr(args[1], "host=0000:03:10.0"));
        assert_non_null(args[2]);
        assert_non_null(strstr(args[3], "host=0000:3b:02.3"));
        assert_null(args[4]);
        vfioctl_qemu_args_free(args);
        free(recorded);
        vfioctl_guest_def_unref(again);
        vfioctl_guest_def_unref(def);
}

/*
 * One check for driver names (trust.c), the kernel's PCI driver names:
 * the XML's <driver model>, --driver, the state and the reservations.
 */
static void test_driver_name_valid(void **state)
{
        static const char *const good[] = {
                "vfio-pci", "snd_hda_intel", "xen-pciback", "pci-stub", "mlx5_vfio_pci", "i915",
                "8250_pci", "e1000e", "nvme", "A",
                "a234567890123456789012345678901234567890123456789012345678901234", /* 64 */
        };
        static const char *const bad[] = {
                "", ".", "..", "../vfio", "a/b", "vfio.pci", "a:b", "a+b", "a b", "vfio-pci\n",
                "\xc3\xa9", "a2345678901234567890123456789012345678901234567890123456789012345", /* 65 */
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                assert_true(driver_name_is_valid(good[i]));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_false(driver_name_is_valid(bad[i]));
        assert_false(driver_name_is_valid(NULL));
        fail_dev("<hostdev mode='subsystem' type='pci'><driver model='vfio.pci'/>" SRC("0", "1", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <driver model='vfio.pci'>: not a kernel driver name (letters, digits, '-' and '_')");
        fail_dev("<hostdev mode='subsystem' type='pci'><driver model='vfio:pci'/>" SRC("0", "1", "1", "0") "</hostdev>",
                 "line 6: <hostdev>: <driver model='vfio:pci'>: not a kernel driver name (letters, digits, '-' and '_')");
}

/* One check of an interface name for the host, DEV arguments and definitions. */
static void test_ifname_valid(void **state)
{
        static const char *const good[] = {
                "eth0", "enp3s0f1", "eno1.42", "br-lan", "wlan_0", "a",
                "\xc3\xa9th0", /* UTF-8: the kernel takes it */
                "abcdefghijklmno", /* 15 */
        };
        static const char *const bad[] = {
                "", ".", "..", "a/b", "a:b", "a b", "a\tb", "eth0\n", "a\x01", "a\x7f",
                "abcdefghijklmnop", /* 16 */
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                assert_true(ifname_is_valid(good[i]));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_false(ifname_is_valid(bad[i]));
        assert_false(ifname_is_valid(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_hostdev),
                cmocka_unit_test(test_ifname_valid),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_machine_types),
                cmocka_unit_test(test_numbers),
                cmocka_unit_test(test_address_errors),
                cmocka_unit_test(test_attribute_errors),
                cmocka_unit_test(test_unassigned),
                cmocka_unit_test(test_drivers),
                cmocka_unit_test(test_rom),
                cmocka_unit_test(test_duplicate),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_xml_errors),
                cmocka_unit_test(test_from_file),
                cmocka_unit_test(test_non_pci),
                cmocka_unit_test(test_ignored_elements),
                cmocka_unit_test(test_cross_device_checks),
                cmocka_unit_test(test_interface_hostdev),
                cmocka_unit_test(test_interface_errors),
                cmocka_unit_test(test_interface_mac_vlan),
                cmocka_unit_test(test_network_interface_vlan_trunk),
                cmocka_unit_test(test_network_interface),
                cmocka_unit_test(test_network_interface_unsupported),
                cmocka_unit_test(test_ids),
                cmocka_unit_test(test_network_addresses),
                cmocka_unit_test(test_network_pf),
                cmocka_unit_test(test_network_resolve_from_pool),
                cmocka_unit_test(test_network_vlan),
                cmocka_unit_test(test_network_errors),
                cmocka_unit_test(test_second_devices),
                cmocka_unit_test(test_record_namespaced_type),
                cmocka_unit_test(test_driver_name_valid),
        };
        int r = cmocka_run_group_tests(tests, setup, teardown);

        xmlCleanupParser();
        return r;
}
