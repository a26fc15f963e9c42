/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reservations file (reserve.c, DESIGN §3 rule 13): what vfioctl writes
 * reads back the same, and what an admin's editor makes of it is read
 * strictly, every error naming the file and the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "reserve.h"

static vfioctl_ctx *ctx;

static int setup(void **state)
{
        return vfioctl_ctx_new("/", &ctx);
}

static int teardown(void **state)
{
        vfioctl_ctx_unref(ctx);
        return 0;
}

static void test_round_trip(void **state)
{
        struct vfioctl_reservation_member members[] = {
                { "0000:00:01.0", 0x8086, 0x1901 },
                { "0000:01:00.1", 0x10de, 0x10f0 },
        };
        struct vfioctl_reservation in[] = {
                { .address = "0000:01:00.0", .vendor_id = 0x10de, .device_id = 0x1b81,
                  .has_subsys = true, .subsys_vendor_id = 0x1462, .subsys_device_id = 0x3302,
                  .driver = (char *) "vfio-pci", .members = members, .n_members = 2 },
                { .address = "0000:05:00.0", .vendor_id = 0x8086, .device_id = 0x10d3,
                  .driver = (char *) "pci-stub" },
        };
        struct vfioctl_reservation *out = NULL;
        _cleanup_free_ char *text = NULL, *again = NULL;
        size_t n = 0;

        assert_int_equal(reservations_format(in, 2, &text), 0);
        assert_int_equal(reservations_parse(ctx, "r", text, &out, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(out[0].address, "0000:01:00.0");
        assert_int_equal(out[0].device_id, 0x1b81);
        assert_true(out[0].has_subsys);
        assert_int_equal(out[0].subsys_device_id, 0x3302);
        assert_string_equal(out[0].driver, "vfio-pci");
        assert_int_equal(out[0].n_members, 2);
        assert_string_equal(out[0].members[1].address, "0000:01:00.1");
        assert_int_equal(out[0].members[1].device_id, 0x10f0);
        assert_false(out[1].has_subsys);
        assert_string_equal(out[1].driver, "pci-stub");
        /* And writes the same text again: the format is a fixed point. */
        assert_int_equal(reservations_format(out, n, &again), 0);
        assert_string_equal(text, again);
        reservation_entries_free(out, n);
}

static void test_hand_edited(void **state)
{
        /* Short addresses, upper-case hex, blanks, CRLF, no final newline,
         * sections in any order: read, canonical and sorted. */
        const char *text = "  # mine\r\n[05:00.0]\r\n  id=8086:10D3 \r\ndriver =vfio-pci\r\n"
                           "\n[0000:01:00.0]\nid = 10de:1b81\ndriver = vfio-pci\n"
                           "member = 01:00.1 10DE:10F0";
        struct vfioctl_reservation *out = NULL;
        size_t n = 0;

        assert_int_equal(reservations_parse(ctx, "r", text, &out, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(out[0].address, "0000:01:00.0");
        assert_string_equal(out[0].members[0].address, "0000:01:00.1");
        assert_int_equal(out[0].members[0].vendor_id, 0x10de);
        assert_string_equal(out[1].address, "0000:05:00.0");
        assert_int_equal(out[1].device_id, 0x10d3);
        reservation_entries_free(out, n);
}

static void assert_error(const char *text, const char *message)
{
        struct vfioctl_reservation *out = (void *) 0x1;
        size_t n = 7;

        assert_int_equal(reservations_parse(ctx, "/etc/vfioctl/reservations", text, &out, &n),
                         -EBADMSG);
        if (!strstr(vfioctl_ctx_errmsg(ctx), message))
                fail_msg("wanted '%s' in '%s'", message, vfioctl_ctx_errmsg(ctx));
        /* Out-parameters are untouched on failure. */
        assert_ptr_equal(out, (void *) 0x1);
        assert_int_equal(n, 7);
}

static void test_errors_name_file_and_line(void **state)
{
        assert_error("[0000:01:00.0]\nid = 10de:1b81\ndriver = vfio-pci\nmodel = x\n",
                     "/etc/vfioctl/reservations:4: unknown key 'model'");
        assert_error("\n\n[0000:01:00.0]\ndriver = vfio-pci\n",
                     "/etc/vfioctl/reservations:3: [0000:01:00.0] has no 'id = VENDOR:DEVICE'");
        assert_error("[0000:01:00.0]\nid = 10de:1b81\nid = 10de:1b81\n", ":3: [0000:01:00.0] has two id lines");
        assert_error("[0000:01:00.0]\nid = 0000:0000\n", ":2: id '0000:0000' is not VENDOR:DEVICE");
        assert_error("[0000:01:00.0]\nid = 10de:1b81x\n", ":2: id '10de:1b81x'");
        assert_error("[0000:01:00.0]\nid = +0de:1b81\n", ":2: id '+0de:1b81'");
        assert_error("[0000:01:00.0\n", ":1: '[0000:01:00.0' is not a [ADDRESS] line");
        assert_error("[0000:01:00.8]\n", ":1: '[0000:01:00.8]' does not name a PCI address");
        assert_error("id = 10de:1b81\n", ":1: 'id = 10de:1b81' comes before the first [ADDRESS]");
        assert_error("[0000:01:00.0]\nid\n", ":2: 'id' is neither [ADDRESS] nor KEY = VALUE");
        assert_error("[0000:01:00.0]\nid =\n", ":2: 'id' has no value");
        assert_error("[0000:01:00.0]\nid = 10de:1b81\ndriver = vfio/pci\n",
                     ":3: driver 'vfio/pci' is not a driver name");
        assert_error("[0000:01:00.0]\nid = 10de:1b81\ndriver = vfio-pci\nmember = 0000:01:00.0 10de:1b81\n",
                     ":4: 0000:01:00.0 is listed as a member of its own group");
        assert_error("[0000:01:00.0]\nid = 10de:1b81\ndriver = vfio-pci\nmember = 01:00.1 10de:10f0\n"
                     "member = 0000:01:00.1 10de:10f0\n",
                     ":5: member 0000:01:00.1 is listed twice");
        assert_error("[0000:01:00.0]\nid = 10de:1b81\ndriver = vfio-pci\nmember = 01:00.1\n",
                     ":4: 'member = 01:00.1': expected 'member = ADDRESS VENDOR:DEVICE'");
        assert_error("[0000:01:00.0]\nid = 10de:1b81\ndriver = vfio-pci\n[01:00.0]\n",
                     ":4: 0000:01:00.0 is reserved twice");
}

static void test_boot_rows(void **state)
{
        struct vfioctl_state_device row = { .detached_by = (char *) "vfioctl boot 0000:01:00.0" };

        assert_true(reserve_row_is_boot(&row));
        row.detached_by = (char *) "vfioctl boot";
        assert_true(reserve_row_is_boot(&row));
        row.detached_by = (char *) "vfioctl bootleg";
        assert_false(reserve_row_is_boot(&row));
        row.detached_by = (char *) "vfioctl detach 01:00.0";
        assert_false(reserve_row_is_boot(&row));
        row.detached_by = NULL;
        assert_false(reserve_row_is_boot(&row));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_hand_edited),
                cmocka_unit_test(test_errors_name_file_and_line),
                cmocka_unit_test(test_boot_rows),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
