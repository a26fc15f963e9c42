/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfioctl policy in a libvirt domain's <metadata> (metadata.c, DESIGN
 * rule 14), applied to the parsed definition: the default group mode on
 * <vfioctl:assign>, a <vfioctl:hostdev> overriding one device, networks
 * taking the default when resolved, other namespaces ignored, and what
 * --libvirt makes of managed='no'.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "metadata.h"

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

/* <metadata> on line 3, devices from line 6. */
#define DOMAIN(meta)                                                                   \
        "<domain type='kvm'>\n"                                                        \
        "  <name>g</name>\n"                                                           \
        "  <metadata>" meta "</metadata>\n"                                            \
        "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n"                    \
        "  <devices>\n"                                                                \
        "    <hostdev mode='subsystem' type='pci' managed='no'><source><address "      \
        "domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></source></hostdev>\n" \
        "    <hostdev mode='subsystem' type='pci' managed='no'><driver name='vfio' "   \
        "group='auto'/><source><address domain='0x0000' bus='0x01' slot='0x00' "       \
        "function='0x1'/></source><address type='unassigned'/></hostdev>\n"            \
        "    <interface type='hostdev' managed='no'><source><address type='pci' "      \
        "domain='0x0000' bus='0x06' slot='0x10' function='0x2'/></source></interface>\n" \
        "    <interface type='network'><source network='pool'/></interface>\n"        \
        "  </devices>\n"                                                               \
        "</domain>\n"
#define NS "xmlns:v='urn:vfioctl:domain:1'"

static vfioctl_guest_def *parse(const char *xml)
{
        vfioctl_guest_def *def = NULL;
        int r = vfioctl_guest_def_new_from_string(ctx, xml, NULL, 0, &def);

        if (r < 0)
                print_error("unexpected error %d: %s\n", r, vfioctl_ctx_errmsg(ctx));
        assert_int_equal(r, 0);
        return def;
}

/* Entries: 0 the hostdev interface, 1 the network, 2 05:00.0, 3 01:00.1 (libvirt's order). */
static enum vfioctl_group_mode group_of(vfioctl_guest_def *def, size_t i)
{
        return vfioctl_guest_hostdev_get_group_mode(vfioctl_guest_def_hostdev_at(def, i));
}

static void test_no_metadata(void **state)
{
        vfioctl_guest_def *def = parse(DOMAIN("<other:x xmlns:other='urn:example:1' group='auto'/>"));

        assert_int_equal(group_of(def, 0), VFIOCTL_GROUP_NONE);
        assert_int_equal(group_of(def, 2), VFIOCTL_GROUP_NONE);
        assert_int_equal(group_of(def, 3), VFIOCTL_GROUP_AUTO); /* its own <driver group> */
        vfioctl_guest_def_unref(def);
}

static void test_default_and_override(void **state)
{
        const struct vfioctl_pci_addr vf = { .bus = 0x41, .slot = 2, .function = 0 };
        vfioctl_guest_def *def = parse(DOMAIN(
                "<v:assign " NS " group='auto'>"
                "<v:hostdev address='01:00.1' group='none'/></v:assign>"));

        assert_int_equal(group_of(def, 0), VFIOCTL_GROUP_AUTO);
        assert_int_equal(group_of(def, 2), VFIOCTL_GROUP_AUTO);
        /* the override beats the hostdev's own group='auto' */
        assert_int_equal(group_of(def, 3), VFIOCTL_GROUP_NONE);
        /* a network's function takes the default when the pool sets none */
        assert_int_equal(vfioctl_guest_def_resolve_network(def, 1, &vf, true, VFIOCTL_GROUP_NONE), 0);
        assert_int_equal(group_of(def, 1), VFIOCTL_GROUP_AUTO);
        /* metadata changes no managed= by itself */
        assert_false(vfioctl_guest_hostdev_is_managed(vfioctl_guest_def_hostdev_at(def, 2)));
        vfioctl_guest_def_unref(def);
}

static void test_assigned(void **state)
{
        vfioctl_guest_def *def = parse(DOMAIN(
                "<v:assign " NS "><v:hostdev address='0000:01:00.1' assigned='no'/></v:assign>"));

        assert_false(vfioctl_guest_hostdev_is_assigned(vfioctl_guest_def_hostdev_at(def, 3)));
        assert_true(vfioctl_guest_hostdev_is_assigned(vfioctl_guest_def_hostdev_at(def, 2)));
        vfioctl_guest_def_unref(def);
}

static void test_libvirt_takes_drivers(void **state)
{
        const struct vfioctl_pci_addr vf = { .bus = 0x41, .slot = 2, .function = 0 };
        vfioctl_guest_def *def = parse(DOMAIN(""));

        assert_int_equal(vfioctl_guest_def_resolve_network(def, 1, &vf, false, VFIOCTL_GROUP_NONE), 0);
        metadata_libvirt_take_drivers(def);
        for (size_t i = 0; i < vfioctl_guest_def_n_hostdevs(def); i++)
                assert_true(vfioctl_guest_hostdev_is_managed(vfioctl_guest_def_hostdev_at(def, i)));
        vfioctl_guest_def_unref(def);
}

static void parse_fail(const char *xml, const char *msg)
{
        vfioctl_guest_def *def = NULL;
        int r = vfioctl_guest_def_new_from_string(ctx, xml, NULL, 0, &def);

        if (r != -EINVAL || strcmp(vfioctl_ctx_errmsg(ctx), msg) != 0)
                print_error("got %d \"%s\"\nwant \"%s\"\n", r, vfioctl_ctx_errmsg(ctx), msg);
        assert_null(def);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(vfioctl_ctx_errmsg(ctx), msg);
}

static void test_errors(void **state)
{
        parse_fail(DOMAIN("<v:assign " NS "><v:hostdev address='0000:06:10.2' assigned='no'/></v:assign>"),
             "line 3: <v:hostdev>: assigned='no': line 8 is an <interface type='hostdev'>, a NIC "
             "the guest uses; only a <hostdev> can be held without being given to the guest");
        parse_fail(DOMAIN("<v:assign " NS "><v:hostdev address='0000:41:02.0' group='auto'/></v:assign>"),
             "line 3: <v:hostdev>: address='0000:41:02.0': the domain has no <hostdev> of that "
             "host address (it has 0000:06:10.2, 0000:05:00.0, 0000:01:00.1); the functions a "
             "hostdev network hands out take the group of <assign>");
        parse_fail(DOMAIN("<v:assign " NS "><v:hostdev address='0000:05:00.0'><v:x/></v:hostdev></v:assign>"),
             "line 3: <v:x>: vfioctl's <hostdev> has no child elements");
        parse_fail(DOMAIN("<v:assign " NS " group=''/>"),
             "line 3: <v:assign>: group='': group must be 'auto' (detach and hold the other "
             "members of the device's IOMMU group; 'allow' is the same) or 'none'");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_metadata),
                cmocka_unit_test(test_default_and_override),
                cmocka_unit_test(test_assigned),
                cmocka_unit_test(test_libvirt_takes_drivers),
                cmocka_unit_test(test_errors),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
