/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who holds an IOMMU group open (holder.c, rule 12 / issue 8 #14): the
 * search covers every group an operation involves (a PF's VFs' groups
 * too), through /proc/PID/fd under the root, with or without the root in
 * the link target.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "holder.h"

struct fixture {
        char root[64];
        vfioctl_ctx *ctx;
};

static void mkdirs(const char *root, const char *rel)
{
        char cmd[512];

        snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
        assert_int_equal(system(cmd), 0);
}

static void put(const char *root, const char *rel, const char *text)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void link_to(const char *root, const char *rel, const char *target)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        char target[256];

        snprintf(f->root, sizeof(f->root), "/tmp/test-holder.XXXXXX");
        assert_non_null(mkdtemp(f->root));
        /* pid 100: a shell with nothing of interest open. */
        mkdirs(f->root, "proc/100/fd");
        put(f->root, "proc/100/comm", "bash\n");
        link_to(f->root, "proc/100/fd/0", "/dev/pts/0");
        /* pid 200: QEMU with a VF's group (12) open, the PF's own is 8. */
        mkdirs(f->root, "proc/200/fd");
        put(f->root, "proc/200/comm", "qemu-system-x86\n");
        link_to(f->root, "proc/200/fd/3", "/dev/null");
        link_to(f->root, "proc/200/fd/7", "/dev/vfio/12");
        /* pid 300: a group seen through the root's own path. */
        mkdirs(f->root, "proc/300/fd");
        put(f->root, "proc/300/comm", "cloud-hypervisor\n");
        snprintf(target, sizeof(target), "%s/dev/vfio/9", f->root);
        link_to(f->root, "proc/300/fd/4", target);
        /* Not a pid. */
        mkdirs(f->root, "proc/self");
        assert_int_equal(vfioctl_ctx_new(f->root, &f->ctx), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        char cmd[128];

        vfioctl_ctx_unref(f->ctx);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
        assert_int_equal(system(cmd), 0);
        free(f);
        return 0;
}

/* Rule 12: a PF whose VF is open in QEMU: the VF's group is searched, and named. */
static void test_rule12_holder_of_any_group_involved(void **state)
{
        struct fixture *f = *state;
        const int groups[] = { 8, 12 };
        char buf[256] = "";

        assert_int_equal(holder_find(f->ctx, groups, 2, buf, sizeof(buf)), 1);
        assert_string_equal(buf, "pid 200 (qemu-system-x86) holds /dev/vfio/12 open");
}

/* Rule 12: only the PF's own group, which nobody holds: nobody is blamed. */
static void test_rule12_no_holder_no_blame(void **state)
{
        struct fixture *f = *state;
        const int groups[] = { 8 };
        char buf[256] = "unchanged";

        assert_int_equal(holder_find(f->ctx, groups, 1, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "unchanged");
        assert_int_equal(holder_find(f->ctx, NULL, 0, buf, sizeof(buf)), 0);
}

static void test_rule12_holder_through_root_path(void **state)
{
        struct fixture *f = *state;
        const int groups[] = { 9 };
        char buf[256] = "";

        assert_int_equal(holder_find(f->ctx, groups, 1, buf, sizeof(buf)), 1);
        assert_string_equal(buf, "pid 300 (cloud-hypervisor) holds /dev/vfio/9 open");
}

/* Looking is best effort and keeps the message of the failure being reported. */
static void test_holder_keeps_errmsg(void **state)
{
        struct fixture *f = *state;
        const int groups[] = { 1 };
        char buf[256];

        ctx_error(f->ctx, -ETIMEDOUT, "the cause");
        holder_find(f->ctx, groups, 1, buf, sizeof(buf));
        assert_string_equal(vfioctl_ctx_errmsg(f->ctx), "the cause");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_rule12_holder_of_any_group_involved, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_rule12_no_holder_no_blame, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rule12_holder_through_root_path, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_holder_keeps_errmsg, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
