/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The planners (DESIGN §6, §7.1): a host snapshot and the state's rows in,
 * a plan out, nothing written. Each test names the rule of DESIGN §3 it
 * pins and asserts the plan: the changes in the order they are made, the
 * rows and owners recorded, or the refusal with its outcome, errno and
 * report entries. The host is a small sysfs tree built in a scratch
 * folder; the state is rows built by hand.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "assign.h"

static char root[] = "/tmp/vfioctl-unit-plan-XXXXXX";

#include "sysfs-tree.h"

static int setup(void **state)
{
        (void) state;
        tree_new();
        /* Group 8: a NIC beside its root port (bridges aside, alone). */
        add("0000:00:1c.0", 0x8086, 0xa33c, 0x060400, 1, "pcieport", 8);
        add("0000:05:00.0", 0x8086, 0x10d3, 0x020000, 0, "e1000e", 8);
        /* Group 9: two NICs on host drivers. */
        add("0000:06:00.0", 0x8086, 0x1533, 0x020000, 0, "igb", 9);
        add("0000:06:01.0", 0x8086, 0x1533, 0x020000, 0, "igb", 9);
        /* Group 10: a NIC beside a function already on vfio-pci (not ours). */
        add("0000:07:00.0", 0x8086, 0x10d3, 0x020000, 0, "e1000e", 10);
        add("0000:07:01.0", 0x10de, 0x10f0, 0x040300, 0, "vfio-pci", 10);
        /* In no IOMMU group (behind a bridge the IOMMU does not cover). */
        add("0000:0a:00.0", 0x8086, 0x10d3, 0x020000, 0, "e1000e", -1);
        /* Group 11: a NIC whose interface is up. */
        add("0000:0b:00.0", 0x8086, 0x10d3, 0x020000, 0, "e1000e", 11);
        mkpath("sys/devices/pci0000:00/0000:0b:00.0/net/eth7");
        put("sys/devices/pci0000:00/0000:0b:00.0/net/eth7/operstate", "up\n", 3);
        /* Group 12: a NIC an earlier detach put on vfio-pci. */
        add("0000:0c:00.0", 0x8086, 0x10d3, 0x020000, 0, "vfio-pci", 12);
        /* Group 13: two NICs a guest has (their host driver was igb). */
        add("0000:0d:00.0", 0x8086, 0x1533, 0x020000, 0, "vfio-pci", 13);
        add("0000:0d:01.0", 0x8086, 0x1533, 0x020000, 0, "vfio-pci", 13);
        /* Group 14: a NIC held on pci-stub (legacy KVM assignment). */
        add("0000:0e:00.0", 0x8086, 0x10d3, 0x020000, 0, "pci-stub", 14);
        return 0;
}

static int teardown(void **state)
{
        char cmd[300];

        (void) state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

/* A fresh host (nothing cached), context and report per test. */
struct fixture {
        vfioctl_ctx *ctx;
        vfioctl_host *host;
        vfioctl_report *report;
        struct plan plan;
};

static void fixture_open(struct fixture *f)
{
        *f = (struct fixture) {};
        assert_int_equal(vfioctl_ctx_new(root, &f->ctx), 0);
        assert_int_equal(vfioctl_host_new(f->ctx, &f->host), 0);
        assert_int_equal(vfioctl_report_new(&f->report), 0);
}

static void fixture_close(struct fixture *f)
{
        plan_clear(&f->plan);
        vfioctl_report_free(f->report);
        vfioctl_host_unref(f->host);
        vfioctl_ctx_unref(f->ctx);
}

static struct vfioctl_pci_addr addr(const char *s)
{
        struct vfioctl_pci_addr a;

        assert_int_equal(vfioctl_pci_addr_parse(s, &a), 0);
        return a;
}

/* A row as detach records it: detached from driver to stub by an earlier command. */
static struct vfioctl_state_device row(const char *address, int group, const char *driver,
                                       const char *stub, const char *owner, enum vfioctl_role role)
{
        struct vfioctl_state_device d = {
                .group = group,
                .original_driver = (char *) driver,
                .stub_driver = (char *) stub,
                .detached_by = (char *) "vfioctl detach",
                .owner = (char *) owner,
                .role = owner ? role : VFIOCTL_ROLE_NONE,
                .managed = true,
        };

        snprintf(d.address, sizeof(d.address), "%s", address);
        return d;
}

static const struct vfioctl_report_entry *entry_for(vfioctl_report *r, const char *address,
                                                    enum vfioctl_action action)
{
        for (size_t i = 0; i < vfioctl_report_n_entries(r); i++) {
                const struct vfioctl_report_entry *e = vfioctl_report_entry_at(r, i);

                if (streq(e->address, address) && e->action == action)
                        return e;
        }
        return NULL;
}

static void assert_change(const struct plan *p, size_t i, const char *address,
                          const char *before, const char *target, const char *override)
{
        assert_true(i < p->n_changes);
        assert_string_equal(p->changes[i].address, address);
        if (before)
                assert_string_equal(p->changes[i].before_driver, before);
        else
                assert_null(p->changes[i].before_driver);
        if (target)
                assert_string_equal(p->changes[i].target_driver, target);
        else
                assert_null(p->changes[i].target_driver);
        if (override)
                assert_string_equal(p->changes[i].target_override, override);
        else
                assert_null(p->changes[i].target_override);
}

/* A refusal changes nothing: no plan at all, and says why in the report. */
static void assert_refused(struct fixture *f, int r, int error, enum vfioctl_outcome outcome)
{
        assert_int_equal(r, error);
        assert_int_equal(vfioctl_report_get_outcome(f->report), outcome);
        assert_true(plan_is_empty(&f->plan));
        assert_true(*vfioctl_ctx_errmsg(f->ctx) != '\0');
}

/* The library says why; the advice, in the tool's words, is the tool's. */
static void assert_reason(struct fixture *f, enum vfioctl_reason reason, const char *subject)
{
        const char *msg = vfioctl_ctx_errmsg(f->ctx);

        assert_int_equal(vfioctl_ctx_get_reason(f->ctx), reason);
        if (subject)
                assert_string_equal(vfioctl_ctx_get_reason_subject(f->ctx), subject);
        /* No advice: "run 'vfioctl recover'", "first ('vfioctl release g1')", "--group". */
        assert_null(strstr(msg, "run '"));
        assert_null(strstr(msg, "first ("));
        assert_null(strstr(msg, " --"));
}

static int detach(struct fixture *f, const struct plan_state *s, const char *const *addrs,
                  size_t n, const struct vfioctl_op_options *opts)
{
        struct vfioctl_pci_addr a[8];
        static const struct vfioctl_op_options none;

        for (size_t i = 0; i < n; i++)
                a[i] = addr(addrs[i]);
        return plan_detach(f->host, s, a, n, opts ? opts : &none, f->report, &f->plan);
}

/* ------------------------------------------------------------------ */
/* Detach                                                             */

static void test_rule1_alone_in_group_beside_bridge_is_detached(void **state)
{
        static const struct plan_state s;
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(detach(&f, &s, (const char *[]) { "05:00.0" }, 1, NULL), 0);
        assert_string_equal(f.plan.kind, "detach");
        assert_int_equal(f.plan.action, VFIOCTL_ACTION_DETACHED);
        assert_false(f.plan.two_pass);
        /* Only the NIC: the root port stays on pcieport. */
        assert_int_equal(f.plan.n_changes, 1);
        assert_change(&f.plan, 0, "0000:05:00.0", "e1000e", "vfio-pci", "vfio-pci");
        /* Rule 2: the original driver is in the row recorded with the change. */
        assert_int_equal(f.plan.n_rows, 1);
        assert_string_equal(f.plan.rows[0].original_driver, "e1000e");
        assert_string_equal(f.plan.rows[0].stub_driver, "vfio-pci");
        assert_false(f.plan.rows[0].found_detached);
        assert_int_equal(f.plan.rows[0].group, 8);
        fixture_close(&f);
}

static void test_rule1_group_member_on_host_driver_refuses(void **state)
{
        static const struct plan_state s;
        const struct vfioctl_report_entry *e;
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = detach(&f, &s, (const char *[]) { "06:00.0" }, 1, NULL);
        assert_refused(&f, r, -EBUSY, VFIOCTL_OUTCOME_REFUSED);
        /* The member in the way, its driver and what it is. */
        e = entry_for(f.report, "0000:06:01.0", VFIOCTL_ACTION_GROUP_MEMBER);
        assert_non_null(e);
        assert_string_equal(e->from, "igb");
        assert_non_null(e->detail);
        assert_null(entry_for(f.report, "0000:06:00.0", VFIOCTL_ACTION_GROUP_MEMBER));
        fixture_close(&f);
}

static void test_rule1_group_flag_detaches_every_member_in_address_order(void **state)
{
        static const struct plan_state s;
        struct vfioctl_op_options o = { .flags = VFIOCTL_OP_GROUP };
        struct fixture f;

        (void) state;
        fixture_open(&f);
        /* Asked for the second member: the plan still goes in address order. */
        assert_int_equal(detach(&f, &s, (const char *[]) { "06:01.0" }, 1, &o), 0);
        assert_int_equal(f.plan.n_changes, 2);
        assert_change(&f.plan, 0, "0000:06:00.0", "igb", "vfio-pci", "vfio-pci");
        assert_change(&f.plan, 1, "0000:06:01.0", "igb", "vfio-pci", "vfio-pci");
        assert_int_equal(f.plan.n_rows, 2);
        fixture_close(&f);
}

static void test_rule1_rule11_group_keeps_found_sibling_untouched(void **state)
{
        static const struct plan_state s;
        struct vfioctl_op_options o = { .flags = VFIOCTL_OP_GROUP };
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(detach(&f, &s, (const char *[]) { "07:00.0" }, 1, &o), 0);
        /* One write for the NIC; the function already on vfio-pci is remembered only. */
        assert_int_equal(f.plan.n_changes, 1);
        assert_change(&f.plan, 0, "0000:07:00.0", "e1000e", "vfio-pci", "vfio-pci");
        assert_int_equal(f.plan.n_rows, 2);
        assert_string_equal(f.plan.rows[0].address, "0000:07:01.0");
        assert_true(f.plan.rows[0].found_detached);
        assert_string_equal(f.plan.rows[0].stub_driver, "vfio-pci");
        assert_non_null(entry_for(f.report, "0000:07:01.0", VFIOCTL_ACTION_FOUND_DETACHED));
        fixture_close(&f);
}

static void test_rule1_kvm_hold_ignores_the_group(void **state)
{
        static const struct plan_state s;
        struct vfioctl_op_options o = { .driver = "kvm" };
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(detach(&f, &s, (const char *[]) { "06:00.0" }, 1, &o), 0);
        assert_int_equal(f.plan.n_changes, 1);
        assert_change(&f.plan, 0, "0000:06:00.0", "igb", "pci-stub", "pci-stub");
        fixture_close(&f);
}

static void test_rule4_detach_in_a_guests_group_refuses(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:07:01.0", 10, NULL, "vfio-pci", "g1", VFIOCTL_ROLE_HELD),
        };
        struct plan_state s = { .rows = rows, .n_rows = 1 };
        struct vfioctl_op_options o = { .flags = VFIOCTL_OP_GROUP };
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = detach(&f, &s, (const char *[]) { "07:00.0" }, 1, &o);
        assert_refused(&f, r, -EBUSY, VFIOCTL_OUTCOME_REFUSED);
        assert_non_null(strstr(vfioctl_ctx_errmsg(f.ctx), "'g1'"));
        fixture_close(&f);
}

static void test_rule9_detach_of_an_interface_that_is_up_refuses(void **state)
{
        static const struct plan_state s;
        struct vfioctl_op_options force = { .flags = VFIOCTL_OP_FORCE };
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = detach(&f, &s, (const char *[]) { "0b:00.0" }, 1, NULL);
        assert_refused(&f, r, -EBUSY, VFIOCTL_OUTCOME_REFUSED);
        assert_non_null(entry_for(f.report, "0000:0b:00.0", VFIOCTL_ACTION_IN_USE));
        fixture_close(&f);

        /* Forced: planned like any other. */
        fixture_open(&f);
        assert_int_equal(detach(&f, &s, (const char *[]) { "0b:00.0" }, 1, &force), 0);
        assert_int_equal(f.plan.n_changes, 1);
        fixture_close(&f);
}

static void test_rule11_host_driver_as_stub_is_invalid(void **state)
{
        static const struct plan_state s;
        struct vfioctl_op_options o = { .driver = "igb" };
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = detach(&f, &s, (const char *[]) { "05:00.0" }, 1, &o);
        assert_refused(&f, r, -EINVAL, VFIOCTL_OUTCOME_INVALID);
        fixture_close(&f);
}

static void test_rule11_no_iommu_group_refuses_vfio(void **state)
{
        static const struct plan_state s;
        struct vfioctl_op_options kvm = { .driver = "kvm" };
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = detach(&f, &s, (const char *[]) { "0a:00.0" }, 1, NULL);
        assert_refused(&f, r, -ENODEV, VFIOCTL_OUTCOME_REFUSED);
        fixture_close(&f);

        /* A pci-stub hold needs no group. */
        fixture_open(&f);
        assert_int_equal(detach(&f, &s, (const char *[]) { "0a:00.0" }, 1, &kvm), 0);
        assert_int_equal(f.plan.n_changes, 1);
        assert_change(&f.plan, 0, "0000:0a:00.0", "e1000e", "pci-stub", "pci-stub");
        fixture_close(&f);
}

static void test_rule12_device_of_an_unfinished_operation_refuses(void **state)
{
        struct vfioctl_state_change ch = { .address = "0000:05:00.0", .group = 8 };
        struct vfioctl_state_op op = {
                .id = 3,
                .kind = (char *) "detach",
                .command = (char *) "vfioctl detach 05:00.0",
                .pid = 4242,
                .changes = &ch,
                .n_changes = 1,
        };
        struct plan_state s = { .ops = &op, .n_ops = 1 };
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = detach(&f, &s, (const char *[]) { "05:00.0" }, 1, NULL);
        assert_refused(&f, r, -EBUSY, VFIOCTL_OUTCOME_REFUSED);
        assert_non_null(strstr(vfioctl_ctx_errmsg(f.ctx), "pid 4242"));
        assert_reason(&f, VFIOCTL_REASON_UNFINISHED, NULL);
        fixture_close(&f);
}

/* ------------------------------------------------------------------ */
/* Reattach                                                           */

static int reattach(struct fixture *f, const struct plan_state *s, const char *a, unsigned flags)
{
        struct vfioctl_op_options o = { .flags = flags };
        struct vfioctl_pci_addr pa = addr(a);

        return plan_reattach(f->host, s, &pa, 1, &o, f->report, &f->plan);
}

static void test_rule2_reattach_restores_the_recorded_driver(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:07:01.0", 10, "snd_hda_intel", "vfio-pci", NULL, 0),
        };
        struct plan_state s = { .rows = rows, .n_rows = 1 };
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(reattach(&f, &s, "07:01.0", 0), 0);
        assert_string_equal(f.plan.kind, "reattach");
        assert_int_equal(f.plan.action, VFIOCTL_ACTION_REATTACHED);
        assert_true(f.plan.two_pass);
        /* Rule 2 and 11: back to exactly that driver, driver_override cleared. */
        assert_int_equal(f.plan.n_changes, 1);
        assert_change(&f.plan, 0, "0000:07:01.0", "vfio-pci", "snd_hda_intel", NULL);
        assert_int_equal(f.plan.n_forget, 1);
        assert_string_equal(f.plan.forget[0], "0000:07:01.0");
        fixture_close(&f);
}

static void test_rule2_reattach_leaves_what_vfioctl_did_not_detach(void **state)
{
        static const struct plan_state s;
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(reattach(&f, &s, "07:01.0", 0), 0);
        assert_true(plan_is_empty(&f.plan));
        assert_non_null(entry_for(f.report, "0000:07:01.0", VFIOCTL_ACTION_LEFT_ALONE));
        fixture_close(&f);
}

static void test_rule11_found_detached_is_forgotten_not_reattached(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:07:01.0", 10, "vfio-pci", "vfio-pci", NULL, 0),
        };
        struct plan_state s = { .rows = rows, .n_rows = 1 };
        struct fixture f;

        (void) state;
        rows[0].found_detached = true;
        fixture_open(&f);
        assert_int_equal(reattach(&f, &s, "07:01.0", 0), 0);
        assert_int_equal(f.plan.n_changes, 0);
        assert_int_equal(f.plan.n_forget, 1);
        assert_non_null(entry_for(f.report, "0000:07:01.0", VFIOCTL_ACTION_LEFT_ALONE));
        fixture_close(&f);
}

static void test_rule4_reattach_of_what_a_guest_owns_refuses(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:07:01.0", 10, "snd_hda_intel", "vfio-pci", "g1",
                    VFIOCTL_ROLE_ASSIGNED),
        };
        struct plan_state s = { .rows = rows, .n_rows = 1 };
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = reattach(&f, &s, "07:01.0", 0);
        assert_refused(&f, r, -EBUSY, VFIOCTL_OUTCOME_REFUSED);
        assert_non_null(entry_for(f.report, "0000:07:01.0", VFIOCTL_ACTION_OWNED));
        fixture_close(&f);
}

static void test_rule2_reattach_forgets_a_device_that_left_the_host(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:0f:00.0", 20, "e1000e", "vfio-pci", NULL, 0),
        };
        struct plan_state s = { .rows = rows, .n_rows = 1 };
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(reattach(&f, &s, "0f:00.0", 0), 0);
        assert_int_equal(f.plan.n_changes, 0);
        assert_int_equal(f.plan.n_forget, 1);
        assert_non_null(entry_for(f.report, "0000:0f:00.0", VFIOCTL_ACTION_NOT_DETACHED));
        fixture_close(&f);
}

/* Issue 14 item 5: the numbers recorded move (SR-IOV toggled, hotplug, a reboot). */
static void test_rule4_reattach_group_takes_the_members_sysfs_shows(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:0d:00.0", 13, "igb", "vfio-pci", NULL, 0),
                row("0000:0d:01.0", 77, "igb", "vfio-pci", NULL, 0), /* recorded elsewhere */
        };
        struct plan_state s = { .rows = rows, .n_rows = 2 };
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(reattach(&f, &s, "0d:00.0", VFIOCTL_OP_GROUP), 0);
        /* Both members of group 13 as it is now go back, together. */
        assert_int_equal(f.plan.n_changes, 2);
        assert_change(&f.plan, 0, "0000:0d:00.0", "vfio-pci", "igb", NULL);
        assert_change(&f.plan, 1, "0000:0d:01.0", "vfio-pci", "igb", NULL);
        fixture_close(&f);
}

/* ------------------------------------------------------------------ */
/* Assign                                                             */

static int assign(struct fixture *f, const struct plan_state *s, const char *a, unsigned flags)
{
        struct vfioctl_pci_addr pa = addr(a);
        struct vfioctl_assign_options o = { 0 };
        _cleanup_free_ char *xml = NULL;
        vfioctl_guest_def *def = NULL;
        int r;

        assert_int_equal(vfioctl_guest_xml_for_devices(&pa, 1, flags, &xml), 0);
        assert_int_equal(vfioctl_guest_def_new_from_string(f->ctx, xml, "g1",
                                                           VFIOCTL_GUEST_PARSE_SKIP_NON_PCI, &def),
                         0);
        r = plan_assign(f->host, s, "g1", def, &o, f->report, &f->plan);
        vfioctl_guest_def_unref(def);
        return r;
}

static const struct vfioctl_state_device *plan_row(const struct plan *p, const char *address)
{
        for (size_t i = 0; i < p->n_rows; i++)
                if (streq(p->rows[i].address, address))
                        return &p->rows[i];
        return NULL;
}

static void test_rule5_managed_assign_detaches_and_records_the_guest(void **state)
{
        static const struct plan_state s;
        const struct vfioctl_state_device *d;
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(assign(&f, &s, "05:00.0", 0), 0);
        assert_string_equal(f.plan.kind, "assign");
        assert_int_equal(f.plan.n_changes, 1);
        assert_change(&f.plan, 0, "0000:05:00.0", "e1000e", "vfio-pci", "vfio-pci");
        d = plan_row(&f.plan, "0000:05:00.0");
        assert_non_null(d);
        assert_int_equal(d->role, VFIOCTL_ROLE_ASSIGNED);
        assert_true(d->managed);
        assert_string_equal(f.plan.guest, "g1");
        assert_int_equal(f.plan.guest_op, PLAN_GUEST_PUT);
        /* What the guests row keeps of the QEMU arguments: JSON (jansson). */
        assert_string_equal(f.plan.guest_qemu_args,
                            "[\"-device\",\"vfio-pci,host=0000:05:00.0,id=hostdev0\"]");
        /* Checked again once written: the group must be viable. */
        assert_int_equal(f.plan.n_viable_groups, 1);
        assert_int_equal(f.plan.viable_groups[0], 8);
        fixture_close(&f);
}

static void test_rule6_group_member_without_group_auto_refuses(void **state)
{
        static const struct plan_state s;
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = assign(&f, &s, "06:00.0", 0);
        assert_refused(&f, r, -EBUSY, VFIOCTL_OUTCOME_REFUSED);
        assert_non_null(entry_for(f.report, "0000:06:01.0", VFIOCTL_ACTION_GROUP_MEMBER));
        /* The ways out (group='auto', ...) are the caller's to word: the reason says they apply. */
        assert_int_equal(vfioctl_ctx_get_reason(f.ctx), VFIOCTL_REASON_GROUP);
        assert_null(strstr(vfioctl_ctx_errmsg(f.ctx), "--group"));
        fixture_close(&f);
}

static void test_rule6_group_auto_detaches_and_holds_the_members(void **state)
{
        static const struct plan_state s;
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(assign(&f, &s, "06:00.0", VFIOCTL_ASSIGN_GROUP_AUTO), 0);
        assert_int_equal(f.plan.n_changes, 2);
        assert_change(&f.plan, 0, "0000:06:00.0", "igb", "vfio-pci", "vfio-pci");
        assert_change(&f.plan, 1, "0000:06:01.0", "igb", "vfio-pci", "vfio-pci");
        assert_int_equal(plan_row(&f.plan, "0000:06:00.0")->role, VFIOCTL_ROLE_ASSIGNED);
        assert_int_equal(plan_row(&f.plan, "0000:06:01.0")->role, VFIOCTL_ROLE_HELD);
        fixture_close(&f);
}

static void test_rule11_assign_holds_found_sibling_without_writing_it(void **state)
{
        static const struct plan_state s;
        const struct vfioctl_state_device *d;
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(assign(&f, &s, "07:00.0", 0), 0);
        assert_int_equal(f.plan.n_changes, 1);
        assert_change(&f.plan, 0, "0000:07:00.0", "e1000e", "vfio-pci", "vfio-pci");
        d = plan_row(&f.plan, "0000:07:01.0");
        assert_non_null(d);
        assert_true(d->found_detached);
        assert_false(d->managed); /* release never gives it back */
        assert_int_equal(d->role, VFIOCTL_ROLE_HELD);
        fixture_close(&f);
}

static void test_rule5_unmanaged_assign_of_a_device_on_its_host_driver_refuses(void **state)
{
        static const struct plan_state s;
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = assign(&f, &s, "05:00.0", VFIOCTL_ASSIGN_UNMANAGED);
        assert_refused(&f, r, -EBUSY, VFIOCTL_OUTCOME_REFUSED);
        assert_reason(&f, VFIOCTL_REASON_UNMANAGED, "0000:05:00.0");
        fixture_close(&f);
}

static void test_rule5_unmanaged_assign_in_a_group_not_viable_refuses(void **state)
{
        static const struct plan_state s;
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        /* 07:01.0 is on vfio-pci, its group's 07:00.0 still on e1000e. */
        r = assign(&f, &s, "07:01.0", VFIOCTL_ASSIGN_UNMANAGED);
        assert_refused(&f, r, -EBUSY, VFIOCTL_OUTCOME_REFUSED);
        assert_non_null(entry_for(f.report, "0000:07:00.0", VFIOCTL_ACTION_GROUP_MEMBER));
        assert_reason(&f, VFIOCTL_REASON_UNMANAGED_GROUP, "0000:07:01.0");
        fixture_close(&f);
}

static void test_rule5_assign_of_a_device_on_another_stub_refuses(void **state)
{
        static const struct plan_state s;
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = assign(&f, &s, "0e:00.0", 0);
        assert_refused(&f, r, -EBUSY, VFIOCTL_OUTCOME_REFUSED);
        assert_non_null(strstr(vfioctl_ctx_errmsg(f.ctx), "is on pci-stub, not vfio-pci"));
        assert_reason(&f, VFIOCTL_REASON_ON_OTHER_STUB, "0000:0e:00.0");
        fixture_close(&f);
}

static void test_rule5_unmanaged_assign_of_a_detached_device_only_records(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:0c:00.0", 12, "e1000e", "vfio-pci", NULL, 0),
        };
        struct plan_state s = { .rows = rows, .n_rows = 1 };
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(assign(&f, &s, "0c:00.0", VFIOCTL_ASSIGN_UNMANAGED), 0);
        /* vfioctl never touches an unmanaged device's driver: the row only changes owner. */
        assert_int_equal(f.plan.n_changes, 0);
        assert_int_equal(f.plan.n_rows, 0);
        assert_int_equal(f.plan.n_owners, 1);
        assert_string_equal(f.plan.owners[0].address, "0000:0c:00.0");
        assert_int_equal(f.plan.owners[0].role, VFIOCTL_ROLE_ASSIGNED);
        assert_false(f.plan.owners[0].managed);
        assert_int_equal(f.plan.guest_op, PLAN_GUEST_PUT);
        fixture_close(&f);
}

static void test_rule4_assign_in_another_guests_group_refuses(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:06:01.0", 9, "igb", "vfio-pci", "other", VFIOCTL_ROLE_HELD),
        };
        struct plan_state s = { .rows = rows, .n_rows = 1 };
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = assign(&f, &s, "06:00.0", VFIOCTL_ASSIGN_GROUP_AUTO);
        assert_refused(&f, r, -EBUSY, VFIOCTL_OUTCOME_REFUSED);
        assert_non_null(strstr(vfioctl_ctx_errmsg(f.ctx), "'other'"));
        fixture_close(&f);
}

static void test_rule4_assign_of_a_guest_that_has_devices_refuses(void **state)
{
        char *guests[] = { (char *) "g1", NULL };
        struct plan_state s = { .guests = guests };
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = assign(&f, &s, "05:00.0", 0);
        assert_refused(&f, r, -EEXIST, VFIOCTL_OUTCOME_REFUSED);
        assert_reason(&f, VFIOCTL_REASON_GUEST_EXISTS, "g1");
        fixture_close(&f);
}

/* ------------------------------------------------------------------ */
/* Release                                                            */

static int release(struct fixture *f, const struct plan_state *s, const char *a)
{
        struct vfioctl_pci_addr pa;

        if (!a)
                return plan_release(f->host, s, "g1", NULL, 0, f->report, &f->plan);
        pa = addr(a);
        return plan_release(f->host, s, "g1", &pa, 1, f->report, &f->plan);
}

static void test_rule4_release_gives_the_group_back_together(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:0d:00.0", 13, "igb", "vfio-pci", "g1", VFIOCTL_ROLE_ASSIGNED),
                row("0000:0d:01.0", 13, "igb", "vfio-pci", "g1", VFIOCTL_ROLE_HELD),
        };
        char *guests[] = { (char *) "g1", NULL };
        struct plan_state s = { .rows = rows, .n_rows = 2, .guests = guests };
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(release(&f, &s, "0d:00.0"), 0);
        assert_string_equal(f.plan.kind, "release");
        assert_true(f.plan.two_pass); /* off vfio-pci all, then bound all */
        assert_int_equal(f.plan.n_changes, 2);
        assert_change(&f.plan, 0, "0000:0d:00.0", "vfio-pci", "igb", NULL);
        assert_change(&f.plan, 1, "0000:0d:01.0", "vfio-pci", "igb", NULL);
        assert_int_equal(f.plan.n_forget, 2);
        assert_int_equal(f.plan.guest_op, PLAN_GUEST_DELETE);
        fixture_close(&f);
}

static void test_rule4_release_holds_a_member_until_its_group_goes(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:0d:00.0", 13, "igb", "vfio-pci", "g1", VFIOCTL_ROLE_ASSIGNED),
                row("0000:0d:01.0", 13, "igb", "vfio-pci", "g1", VFIOCTL_ROLE_ASSIGNED),
        };
        char *guests[] = { (char *) "g1", NULL };
        struct plan_state s = { .rows = rows, .n_rows = 2, .guests = guests };
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(release(&f, &s, "0d:01.0"), 0);
        /* 0d:00.0 stays assigned: nothing goes back, 0d:01.0 is held. */
        assert_int_equal(f.plan.n_changes, 0);
        assert_int_equal(f.plan.n_owners, 1);
        assert_string_equal(f.plan.owners[0].address, "0000:0d:01.0");
        assert_int_equal(f.plan.owners[0].role, VFIOCTL_ROLE_HELD);
        assert_int_equal(f.plan.guest_op, PLAN_GUEST_KEEP);
        assert_non_null(entry_for(f.report, "0000:0d:01.0", VFIOCTL_ACTION_LEFT_ALONE));
        fixture_close(&f);
}

static void test_rule4_release_reads_the_group_from_sysfs_not_the_record(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:0d:00.0", 13, "igb", "vfio-pci", "g1", VFIOCTL_ROLE_ASSIGNED),
                row("0000:0d:01.0", 77, "igb", "vfio-pci", "g1", VFIOCTL_ROLE_ASSIGNED),
        };
        char *guests[] = { (char *) "g1", NULL };
        struct plan_state s = { .rows = rows, .n_rows = 2, .guests = guests };
        struct fixture f;

        (void) state;
        fixture_open(&f);
        /* Recorded in another group, 0d:01.0 shares group 13 with 0d:00.0 now. */
        assert_int_equal(release(&f, &s, "0d:01.0"), 0);
        assert_int_equal(f.plan.n_changes, 0);
        assert_int_equal(f.plan.n_owners, 1);
        assert_int_equal(f.plan.owners[0].role, VFIOCTL_ROLE_HELD);
        fixture_close(&f);
}

static void test_rule5_release_leaves_unmanaged_detached(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:07:01.0", 10, "snd_hda_intel", "vfio-pci", "g1",
                    VFIOCTL_ROLE_ASSIGNED),
        };
        char *guests[] = { (char *) "g1", NULL };
        struct plan_state s = { .rows = rows, .n_rows = 1, .guests = guests };
        struct fixture f;

        (void) state;
        rows[0].managed = false;
        fixture_open(&f);
        assert_int_equal(release(&f, &s, NULL), 0);
        assert_int_equal(f.plan.n_changes, 0);
        /* The row stays (detached, as before the guest); only the owner goes. */
        assert_int_equal(f.plan.n_forget, 0);
        assert_int_equal(f.plan.n_owners, 1);
        assert_int_equal(f.plan.owners[0].role, VFIOCTL_ROLE_NONE);
        assert_int_equal(f.plan.guest_op, PLAN_GUEST_DELETE);
        fixture_close(&f);
}

static void test_rule4_release_of_another_guests_device_is_invalid(void **state)
{
        struct vfioctl_state_device rows[] = {
                row("0000:0d:00.0", 13, "igb", "vfio-pci", "g1", VFIOCTL_ROLE_ASSIGNED),
                row("0000:07:01.0", 10, "snd_hda_intel", "vfio-pci", "other",
                    VFIOCTL_ROLE_ASSIGNED),
        };
        struct plan_state s = { .rows = rows, .n_rows = 2 };
        struct fixture f;
        int r;

        (void) state;
        fixture_open(&f);
        r = release(&f, &s, "07:01.0");
        assert_refused(&f, r, -EINVAL, VFIOCTL_OUTCOME_INVALID);
        assert_non_null(strstr(vfioctl_ctx_errmsg(f.ctx), "'other'"));
        fixture_close(&f);
}

static void test_rule4_release_of_a_guest_without_devices_forgets_it(void **state)
{
        char *guests[] = { (char *) "g1", NULL };
        struct plan_state s = { .guests = guests };
        struct fixture f;

        (void) state;
        fixture_open(&f);
        assert_int_equal(release(&f, &s, NULL), 0);
        assert_int_equal(f.plan.n_changes, 0);
        assert_int_equal(f.plan.guest_op, PLAN_GUEST_DELETE);
        fixture_close(&f);
}

/* ------------------------------------------------------------------ */
/* The executor                                                       */

static void collect_write(void *userdata, const char *path, const char *value)
{
        char *buf = userdata;
        size_t len = strlen(buf);

        snprintf(buf + len, 2048 - len, "%s < %s\n", path, value);
}

static void test_rule3_executor_dry_run_writes_the_plan_in_order_and_records_nothing(void **state)
{
        static const struct plan_state s;
        struct vfioctl_op_options o = { .flags = VFIOCTL_OP_GROUP };
        const struct vfioctl_report_entry *e;
        char writes[2048] = "";
        struct fixture f;
        const char *driver;
        vfioctl_device *dev;
        struct vfioctl_pci_addr a = addr("06:00.0");

        (void) state;
        fixture_open(&f);
        vfioctl_ctx_set_dry_run(f.ctx, collect_write, writes);
        assert_int_equal(detach(&f, &s, (const char *[]) { "06:01.0" }, 1, &o), 0);
        /* No state at all: a dry run needs neither the lock nor the database. */
        assert_int_equal(plan_execute(f.host, NULL, &f.plan, &o, f.report), 0);
        /* Rule 3, member by member in address order: override, unbind, drivers_probe. */
        assert_string_equal(writes,
                            "sys/bus/pci/devices/0000:06:00.0/driver_override < vfio-pci\n"
                            "sys/bus/pci/drivers/igb/unbind < 0000:06:00.0\n"
                            "sys/bus/pci/drivers_probe < 0000:06:00.0\n"
                            "sys/bus/pci/devices/0000:06:01.0/driver_override < vfio-pci\n"
                            "sys/bus/pci/drivers/igb/unbind < 0000:06:01.0\n"
                            "sys/bus/pci/drivers_probe < 0000:06:01.0\n");
        e = entry_for(f.report, "0000:06:00.0", VFIOCTL_ACTION_DETACHED);
        assert_non_null(e);
        assert_string_equal(e->from, "igb");
        assert_string_equal(e->to, "vfio-pci");
        assert_non_null(entry_for(f.report, "0000:06:01.0", VFIOCTL_ACTION_DETACHED));
        assert_int_equal(vfioctl_report_get_outcome(f.report), VFIOCTL_OUTCOME_DONE);
        /* Nothing was written: the tree still has the NIC on igb. */
        assert_int_equal(vfioctl_host_get_device(f.host, &a, &dev), 0);
        driver = vfioctl_device_get_driver(dev);
        assert_non_null(driver);
        assert_string_equal(driver, "igb");
        fixture_close(&f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rule1_alone_in_group_beside_bridge_is_detached),
                cmocka_unit_test(test_rule1_group_member_on_host_driver_refuses),
                cmocka_unit_test(test_rule1_group_flag_detaches_every_member_in_address_order),
                cmocka_unit_test(test_rule1_rule11_group_keeps_found_sibling_untouched),
                cmocka_unit_test(test_rule1_kvm_hold_ignores_the_group),
                cmocka_unit_test(test_rule4_detach_in_a_guests_group_refuses),
                cmocka_unit_test(test_rule9_detach_of_an_interface_that_is_up_refuses),
                cmocka_unit_test(test_rule11_host_driver_as_stub_is_invalid),
                cmocka_unit_test(test_rule11_no_iommu_group_refuses_vfio),
                cmocka_unit_test(test_rule12_device_of_an_unfinished_operation_refuses),
                cmocka_unit_test(test_rule2_reattach_restores_the_recorded_driver),
                cmocka_unit_test(test_rule2_reattach_leaves_what_vfioctl_did_not_detach),
                cmocka_unit_test(test_rule11_found_detached_is_forgotten_not_reattached),
                cmocka_unit_test(test_rule4_reattach_of_what_a_guest_owns_refuses),
                cmocka_unit_test(test_rule2_reattach_forgets_a_device_that_left_the_host),
                cmocka_unit_test(test_rule4_reattach_group_takes_the_members_sysfs_shows),
                cmocka_unit_test(test_rule5_managed_assign_detaches_and_records_the_guest),
                cmocka_unit_test(test_rule6_group_member_without_group_auto_refuses),
                cmocka_unit_test(test_rule6_group_auto_detaches_and_holds_the_members),
                cmocka_unit_test(test_rule11_assign_holds_found_sibling_without_writing_it),
                cmocka_unit_test(test_rule5_unmanaged_assign_of_a_device_on_its_host_driver_refuses),
                cmocka_unit_test(test_rule5_unmanaged_assign_of_a_detached_device_only_records),
                cmocka_unit_test(test_rule5_unmanaged_assign_in_a_group_not_viable_refuses),
                cmocka_unit_test(test_rule5_assign_of_a_device_on_another_stub_refuses),
                cmocka_unit_test(test_rule4_assign_in_another_guests_group_refuses),
                cmocka_unit_test(test_rule4_assign_of_a_guest_that_has_devices_refuses),
                cmocka_unit_test(test_rule4_release_gives_the_group_back_together),
                cmocka_unit_test(test_rule4_release_holds_a_member_until_its_group_goes),
                cmocka_unit_test(test_rule4_release_reads_the_group_from_sysfs_not_the_record),
                cmocka_unit_test(test_rule5_release_leaves_unmanaged_detached),
                cmocka_unit_test(test_rule4_release_of_another_guests_device_is_invalid),
                cmocka_unit_test(test_rule4_release_of_a_guest_without_devices_forgets_it),
                cmocka_unit_test(test_rule3_executor_dry_run_writes_the_plan_in_order_and_records_nothing),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
