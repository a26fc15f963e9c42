/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state store (state.c): rows, ownership, journal, lock, schema checks. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "state.h"

struct fixture {
        char dir[64];
        vfioctl_ctx *ctx;
        vfioctl_state *st;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        snprintf(f->dir, sizeof(f->dir), "/tmp/test-state.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        assert_int_equal(vfioctl_ctx_new("/", &f->ctx), 0);
        assert_int_equal(vfioctl_state_open(f->ctx, f->dir, 0, &f->st), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        char cmd[128];

        vfioctl_state_unref(f->st);
        vfioctl_ctx_unref(f->ctx);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        assert_int_equal(system(cmd), 0);
        free(f);
        return 0;
}

static void put_row(vfioctl_state *st, const char *addr, const char *orig)
{
        struct vfioctl_state_device d = {
                .group = 8,
                .original_driver = (char *) orig,
                .stub_driver = (char *) "vfio-pci",
                .detached_by = (char *) "vfioctl detach --group 05:00.0",
                .detached_at = 1700000000,
                .managed = true,
        };

        snprintf(d.address, sizeof(d.address), "%s", addr);
        assert_int_equal(state_device_put(st, &d), 0);
}

static void test_rows(void **state)
{
        struct fixture *f = *state;
        struct vfioctl_state_device *l, *one;
        size_t n;

        put_row(f->st, "0000:05:00.0", "e1000e");
        put_row(f->st, "0000:00:1f.3", NULL);
        assert_int_equal(vfioctl_state_get_devices(f->st, NULL, &l, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(l[0].address, "0000:00:1f.3"); /* sorted */
        assert_null(l[0].original_driver);                  /* was unbound */
        assert_string_equal(l[1].original_driver, "e1000e");
        assert_string_equal(l[1].detached_by, "vfioctl detach --group 05:00.0");
        assert_int_equal(l[1].detached_at, 1700000000);
        assert_int_equal(l[1].role, VFIOCTL_ROLE_NONE);
        vfioctl_state_devices_free(l, n);

        assert_int_equal(state_device_get(f->st, "0000:05:00.0", &one), 0);
        assert_string_equal(one->stub_driver, "vfio-pci");
        vfioctl_state_devices_free(one, 1);
        assert_int_equal(state_device_delete(f->st, "0000:05:00.0"), 0);
        assert_int_equal(state_device_get(f->st, "0000:05:00.0", &one), -ENOENT);

        /* A new handle (a new invocation) sees the same rows. */
        {
                vfioctl_state *again;

                assert_int_equal(vfioctl_state_open(f->ctx, f->dir, VFIOCTL_STATE_READONLY,
                                                    &again), 0);
                assert_int_equal(vfioctl_state_get_devices(again, NULL, &l, &n), 0);
                assert_int_equal(n, 1);
                vfioctl_state_devices_free(l, n);
                vfioctl_state_unref(again);
        }
}

static void test_owner(void **state)
{
        struct fixture *f = *state;
        struct vfioctl_state_device *l;
        size_t n;

        put_row(f->st, "0000:01:00.0", "nouveau");
        put_row(f->st, "0000:01:00.1", "snd_hda_intel");
        /* The guest must exist first: ownership refers to it. */
        assert_int_not_equal(state_device_set_owner(f->st, "0000:01:00.0", "win10",
                                                    VFIOCTL_ROLE_ASSIGNED, true), 0);
        assert_int_equal(state_guest_put(f->st, "win10", 4242, "<hostdev/>", "[]"), 0);
        assert_int_equal(state_device_set_owner(f->st, "0000:01:00.0", "win10",
                                                VFIOCTL_ROLE_ASSIGNED, true), 0);
        assert_int_equal(state_device_set_owner(f->st, "0000:01:00.1", "win10",
                                                VFIOCTL_ROLE_HELD, true), 0);
        assert_int_equal(state_device_set_owner(f->st, "0000:09:00.0", "win10",
                                                VFIOCTL_ROLE_HELD, true), -ENOENT);
        assert_int_equal(vfioctl_state_get_devices(f->st, "win10", &l, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(l[0].role, VFIOCTL_ROLE_ASSIGNED);
        assert_int_equal(l[1].role, VFIOCTL_ROLE_HELD);
        assert_string_equal(l[1].owner, "win10");
        vfioctl_state_devices_free(l, n);
        /* A guest that still owns devices cannot be dropped. */
        assert_int_not_equal(state_guest_delete(f->st, "win10"), 0);
}

static void test_journal(void **state)
{
        struct fixture *f = *state;
        struct vfioctl_state_change ch = {
                .address = "0000:05:00.0",
                .group = 8,
                .before_driver = (char *) "e1000e",
                .target_driver = (char *) "vfio-pci",
                .target_override = (char *) "vfio-pci",
        };
        struct vfioctl_state_op *ops;
        int64_t id;
        size_t n;

        assert_int_equal(state_op_begin(f->st, "detach", "test", &ch, 1, &id), 0);
        assert_int_equal(state_op_step_intended(f->st, id, 1, ch.address,
                                                "sys/bus/pci/devices/0000:05:00.0/driver_override",
                                                "vfio-pci", 0), 0);
        assert_int_equal(state_op_step_set(f->st, id, 1, "done", 0), 0);
        assert_int_equal(state_op_step_intended(f->st, id, 2, ch.address,
                                                "sys/bus/pci/drivers/e1000e/unbind", ch.address,
                                                4242),
                         0);
        /* Rule 12: the helper's pid is in the journal with the intended step, before the write may block. */

        assert_int_equal(state_get_pending(f->st, &ops, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(ops[0].kind, "detach");
        assert_int_equal(ops[0].n_changes, 1);
        assert_string_equal(ops[0].changes[0].before_driver, "e1000e");
        assert_null(ops[0].changes[0].before_override);
        assert_int_equal(ops[0].n_steps, 2);
        assert_string_equal(ops[0].steps[0].status, "done");
        assert_string_equal(ops[0].steps[1].status, "intended");
        assert_int_equal(ops[0].steps[1].helper_pid, 4242);
        state_ops_free(ops, n);

        /* The same through the public snapshot. */
        {
                _vfioctl_cleanup_(vfioctl_journal_unrefp) vfioctl_journal *j = NULL;
                const char *address, *before, *target, *path, *value, *status;
                vfioctl_state_op *op;

                assert_int_equal(vfioctl_state_get_journal(f->st, &j), 0);
                assert_int_equal(vfioctl_journal_n_ops(j), 1);
                assert_null(vfioctl_journal_op_at(j, 1));
                op = vfioctl_journal_op_at(j, 0);
                assert_int_equal(vfioctl_state_op_get_id(op), id);
                assert_string_equal(vfioctl_state_op_get_kind(op), "detach");
                assert_string_equal(vfioctl_state_op_get_command(op), "test");
                assert_int_equal(vfioctl_state_op_get_pid(op), getpid());
                assert_true(vfioctl_state_op_get_started_at(op) > 0);
                assert_true(vfioctl_state_op_has_written(op));
                assert_int_equal(vfioctl_state_op_n_changes(op), 1);
                assert_int_equal(vfioctl_state_op_get_change(op, 0, &address, &before, &target), 0);
                assert_string_equal(address, "0000:05:00.0");
                assert_string_equal(before, "e1000e");
                assert_string_equal(target, "vfio-pci");
                assert_int_equal(vfioctl_state_op_get_change(op, 1, &address, NULL, NULL), -EINVAL);
                assert_int_equal(vfioctl_state_op_n_steps(op), 2);
                assert_int_equal(vfioctl_state_op_get_step(op, 1, &address, &path, &value, &status), 0);
                assert_string_equal(path, "sys/bus/pci/drivers/e1000e/unbind");
                assert_string_equal(value, "0000:05:00.0");
                assert_string_equal(status, "intended");
                assert_int_equal(vfioctl_state_op_get_step(op, 2, NULL, NULL, NULL, NULL), -EINVAL);
        }

        assert_int_equal(state_op_end(f->st, id), 0);
        assert_int_equal(state_get_pending(f->st, &ops, &n), 0);
        assert_int_equal(n, 0);
        state_ops_free(ops, n);
}

static void test_lock(void **state)
{
        struct fixture *f = *state;
        int p[2], status;
        char c;
        pid_t pid;

        assert_int_equal(pipe(p), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                vfioctl_state *st;

                if (vfioctl_state_open(f->ctx, f->dir, 0, &st) < 0 ||
                    vfioctl_state_lock(st, "holder-command", 1000) < 0)
                        _exit(1);
                (void) !write(p[1], "x", 1);
                sleep(2);
                _exit(0);
        }
        assert_int_equal(read(p[0], &c, 1), 1);
        assert_int_equal(vfioctl_state_lock(f->st, "waiter", 100), -EBUSY);
        assert_non_null(strstr(vfioctl_ctx_errmsg(f->ctx), "(holder-command)"));
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        /* The holder died: the kernel dropped its lock. */
        assert_int_equal(vfioctl_state_lock(f->st, "waiter", 1000), 0);
        close(p[0]);
        close(p[1]);
}

static void write_file(const char *path, const char *text)
{
        FILE *fp = fopen(path, "we");

        assert_non_null(fp);
        fputs(text, fp);
        fclose(fp);
}

static void test_damaged(void **state)
{
        struct fixture *f = *state;
        char dir[128], path[160];
        vfioctl_state *st = NULL;

        snprintf(dir, sizeof(dir), "%s/bad", f->dir);
        assert_int_equal(mkdir(dir, 0700), 0);
        snprintf(path, sizeof(path), "%s/state.db", dir);
        write_file(path, "garbage garbage garbage garbage garbage garbage garbage garbage!\n");
        assert_int_equal(vfioctl_state_open(f->ctx, dir, 0, &st), -EBADMSG);
        assert_null(st);
        assert_non_null(strstr(vfioctl_ctx_errmsg(f->ctx), "damaged"));
}

static void test_newer(void **state)
{
        struct fixture *f = *state;
        char cmd[256];
        vfioctl_state *st = NULL;

        /* The fixture's database, bumped to a future schema. */
        vfioctl_state_unref(f->st);
        f->st = NULL;
        snprintf(cmd, sizeof(cmd), "sqlite3 '%s/state.db' 'PRAGMA user_version = 99'", f->dir);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(vfioctl_state_open(f->ctx, f->dir, 0, &st), -EPROTONOSUPPORT);
        assert_non_null(strstr(vfioctl_ctx_errmsg(f->ctx), "schema version 99"));
}

static void sql(const char *dir, const char *query, char *out, size_t size)
{
        char cmd[512];
        FILE *p;
        size_t n;

        snprintf(cmd, sizeof(cmd), "sqlite3 '%s/state.db' \"%s\"", dir, query);
        p = popen(cmd, "r");
        assert_non_null(p);
        n = fread(out, 1, size - 1, p);
        out[n] = 0;
        if (n > 0 && out[n - 1] == '\n')
                out[n - 1] = 0;
        assert_int_equal(pclose(p), 0);
}

/* A new database is made at version 1 and taken through every migration. */
static void test_schema_new(void **state)
{
        struct fixture *f = *state;
        char out[256];

        sql(f->dir, "PRAGMA user_version", out, sizeof(out));
        assert_string_equal(out, "2");
        sql(f->dir, "SELECT group_concat(name) FROM pragma_table_info('vf_net')", out, sizeof(out));
        assert_string_equal(out, "address,owner,pf,vf,mac,vlan,orig_mac,orig_vlan,status,set_at");
}

/*
 * A version-1 database (what vfioctl wrote before rule 10's MAC/VLAN) is
 * upgraded by the first command that writes, keeping every row; read-only
 * opens leave it as it is.
 */
static void test_schema_upgrade(void **state)
{
        struct fixture *f = *state;
        struct vfioctl_state_device *rows = NULL;
        vfioctl_state *st = NULL;
        size_t n = 0;
        char out[256];

        put_row(f->st, "0000:05:00.0", "e1000e");
        vfioctl_state_unref(f->st);
        f->st = NULL;
        /* As version 1 left it. */
        sql(f->dir, "DROP TABLE vf_net; PRAGMA user_version = 1", out, sizeof(out));

        assert_int_equal(vfioctl_state_open(f->ctx, f->dir, VFIOCTL_STATE_READONLY, &st), 0);
        assert_int_equal(st->version, 1);
        assert_int_equal(vfioctl_state_get_devices(st, NULL, &rows, &n), 0);
        assert_int_equal(n, 1);
        vfioctl_state_devices_free(rows, n);
        st = vfioctl_state_unref(st);
        sql(f->dir, "PRAGMA user_version", out, sizeof(out));
        assert_string_equal(out, "1");

        assert_int_equal(vfioctl_state_open(f->ctx, f->dir, 0, &f->st), 0);
        assert_int_equal(f->st->version, 2);
        sql(f->dir, "PRAGMA user_version", out, sizeof(out));
        assert_string_equal(out, "2");
        sql(f->dir, "SELECT count(*) FROM vf_net", out, sizeof(out));
        assert_string_equal(out, "0");
        assert_int_equal(vfioctl_state_get_devices(f->st, NULL, &rows, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(rows[0].original_driver, "e1000e");
        vfioctl_state_devices_free(rows, n);

        /* Opening it again changes nothing. */
        f->st = vfioctl_state_unref(f->st);
        assert_int_equal(vfioctl_state_open(f->ctx, f->dir, 0, &f->st), 0);
        sql(f->dir, "PRAGMA user_version", out, sizeof(out));
        assert_string_equal(out, "2");
}

/* A step that fails leaves the database at its old version, rows and all. */
static void test_schema_upgrade_fails(void **state)
{
        struct fixture *f = *state;
        vfioctl_state *st = NULL;
        char out[256];

        put_row(f->st, "0000:05:00.0", "e1000e");
        vfioctl_state_unref(f->st);
        f->st = NULL;
        /* Version 1 with a table in the way of the migration's CREATE TABLE. */
        sql(f->dir, "DROP TABLE vf_net; CREATE TABLE vf_net (x); PRAGMA user_version = 1", out,
            sizeof(out));
        assert_int_equal(vfioctl_state_open(f->ctx, f->dir, 0, &st), -EIO);
        assert_null(st);
        assert_non_null(strstr(vfioctl_ctx_errmsg(f->ctx),
                               "upgrading the schema from version 1 (left as it was)"));
        sql(f->dir, "PRAGMA user_version", out, sizeof(out));
        assert_string_equal(out, "1");
        sql(f->dir, "SELECT count(*) FROM devices", out, sizeof(out));
        assert_string_equal(out, "1");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
                cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
                cmocka_unit_test_setup_teardown(test_journal, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
                cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
                cmocka_unit_test_setup_teardown(test_newer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_schema_new, setup, teardown),
                cmocka_unit_test_setup_teardown(test_schema_upgrade, setup, teardown),
                cmocka_unit_test_setup_teardown(test_schema_upgrade_fails, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
