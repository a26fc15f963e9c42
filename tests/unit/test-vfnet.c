/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule 10, a VF's MAC and VLAN (lib/vfnet.c): what happens when the kernel
 * refuses them. Run against the kernel in a network namespace this test
 * makes for itself (unshare), where lo is the only link and has no VFs, so
 * every set fails as a driver's refusal would; never on this machine's
 * own interfaces (without the namespace every test skips).
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "state.h"
#include "vfnet.h"

struct fixture {
        char dir[64];
        vfioctl_ctx *ctx;
        vfioctl_host *host;
        vfioctl_state *st;
        vfioctl_report *report;
};

static bool in_own_netns;

static int setup_group(void **state)
{
        /* Once for the process: every test after this runs in the namespace. */
        in_own_netns = unshare(CLONE_NEWNET) == 0;
        return 0;
}

static int setup_root(struct fixture *f, const char *root)
{
        snprintf(f->dir, sizeof(f->dir), "/tmp/test-vfnet.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        assert_int_equal(vfioctl_ctx_new(root ? root : f->dir, &f->ctx), 0);
        /* The host opens its tree's devices folder, nothing more (and apply
         * only takes its context); recover needs none. A machine without
         * PCI skips the test that needs it. */
        if (root && vfioctl_host_new(f->ctx, &f->host) < 0)
                f->host = NULL;
        assert_int_equal(vfioctl_state_open(f->ctx, f->dir, 0, &f->st), 0);
        assert_int_equal(vfioctl_state_lock(f->st, "test-vfnet", 1000), 0);
        assert_int_equal(vfioctl_report_new(&f->report), 0);
        return 0;
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        *state = f;
        if (!in_own_netns)
                return 0;
        return setup_root(f, "/");
}

/* The same, with a root that is not this machine's (the simulated host's case). */
static int setup_other_root(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        *state = f;
        if (!in_own_netns)
                return 0;
        return setup_root(f, NULL);
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        char cmd[128];

        if (f->ctx) {
                vfioctl_report_free(f->report);
                vfioctl_state_unref(f->st);
                vfioctl_host_unref(f->host);
                vfioctl_ctx_unref(f->ctx);
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
                assert_int_equal(system(cmd), 0);
        }
        free(f);
        return 0;
}

static int count_rows(vfioctl_state *st)
{
        sqlite3_stmt *s = NULL;
        int n;

        assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT count(*) FROM vf_net", -1, &s, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        n = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
        return n;
}

static void plant(vfioctl_state *st, const char *address, const char *pf)
{
        char sql[512];

        snprintf(sql, sizeof(sql),
                 "INSERT INTO vf_net VALUES ('%s', 'ghost', '%s', 0, '52:54:00:00:00:07', 7, "
                 "'02:00:00:00:00:01', 0, 'set', 0)",
                 address, pf);
        assert_int_equal(sqlite3_exec(st->db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static const struct vfioctl_report_entry *entry(vfioctl_report *r, const char *address)
{
        for (size_t i = 0; i < vfioctl_report_n_entries(r); i++)
                if (streq(vfioctl_report_entry_at(r, i)->address, address))
                        return vfioctl_report_entry_at(r, i);
        return NULL;
}

/* The kernel refuses the guest's settings: nothing stays recorded, the
 * assign gets the kernel's reason, and the put-back was tried. */
static void test_apply_refused(void **state)
{
        struct fixture *f = *state;
        struct vfioctl_vf_net e = {
                .address = "0000:41:02.0", .pf = "lo", .vf = 0, .mac = "52:54:00:12:34:56",
                .vlan = 42, .original_mac = "02:00:00:00:00:01", .original_vlan = 0,
        };
        struct vfnet_plan plan = { .e = &e, .n = 1 };
        const struct vfioctl_report_entry *re;

        if (!in_own_netns || !f->host)
                skip();
        assert_int_equal(vfnet_apply(f->host, f->st, "g", &plan, f->report), -EOPNOTSUPP);
        assert_string_equal(vfioctl_ctx_errmsg(f->ctx),
                            "0000:41:02.0: setting VF 0 of lo (MAC, VLAN) failed: Operation not "
                            "supported");
        assert_false(e.applied);
        assert_int_equal(count_rows(f->st), 0);
        /* lo refuses the originals too: said, with the command that fixes it. */
        re = entry(f->report, "0000:41:02.0");
        assert_non_null(re);
        assert_int_equal(re->action, VFIOCTL_ACTION_STUCK);
        assert_non_null(strstr(re->detail, "ip link set lo vf 0 mac 02:00:00:00:00:01 vlan 0"));
        assert_int_equal(vfioctl_report_get_outcome(f->report), VFIOCTL_OUTCOME_ATTENTION);
}

/* recover: rows no guest owns the VF of are put back once and forgotten. */
static void test_recover(void **state)
{
        struct fixture *f = *state;
        const struct vfioctl_report_entry *re;

        if (!in_own_netns)
                skip();
        plant(f->st, "0000:41:02.0", "nosuch0");
        plant(f->st, "0000:41:02.1", "lo");
        assert_int_equal(vfnet_recover(f->st, f->report), 0);
        assert_int_equal(count_rows(f->st), 0);
        re = entry(f->report, "0000:41:02.0");
        assert_int_equal(re->action, VFIOCTL_ACTION_NET_RESTORED);
        assert_non_null(strstr(re->detail, "the interface is gone, and the VF with it"));
        re = entry(f->report, "0000:41:02.1");
        assert_int_equal(re->action, VFIOCTL_ACTION_STUCK);
        assert_non_null(strstr(re->detail, "setting VF 0 of lo (MAC, VLAN) failed"));
}

/* Under any other root nothing is ever sent, whatever the row says. */
static void test_other_root_sends_nothing(void **state)
{
        struct fixture *f = *state;
        const struct vfioctl_report_entry *re;

        if (!in_own_netns)
                skip();
        plant(f->st, "0000:41:02.1", "lo");
        assert_int_equal(vfnet_recover(f->st, f->report), 0);
        assert_int_equal(count_rows(f->st), 0);
        re = entry(f->report, "0000:41:02.1");
        assert_int_equal(re->action, VFIOCTL_ACTION_STUCK);
        assert_non_null(strstr(re->detail, "were not sent: the device tree is not this "
                                           "machine's own"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_apply_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
                cmocka_unit_test_setup_teardown(test_other_root_sends_nothing, setup_other_root,
                                                teardown),
        };

        return cmocka_run_group_tests(tests, setup_group, NULL);
}
