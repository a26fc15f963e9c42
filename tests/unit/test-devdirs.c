/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device folders opened once (devdirs.c): what the executor's reads and writes go through. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

#define N_DEVICES 300 /* more than devdirs keeps */

struct tree {
        char dir[64];
        int fd;
};

/* A devices folder of N_DEVICES device folders, each with a file naming it. */
static int tree_setup(void **state)
{
        struct tree *t = calloc(1, sizeof(*t));

        assert_non_null(t);
        snprintf(t->dir, sizeof(t->dir), "/tmp/test-devdirs.XXXXXX");
        assert_non_null(mkdtemp(t->dir));
        t->fd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(t->fd >= 0);
        for (int i = 0; i < N_DEVICES; i++) {
                char name[32];
                int fd;

                snprintf(name, sizeof(name), "0000:%02x:%02x.0", i / 32, i % 32);
                assert_int_equal(mkdirat(t->fd, name, 0755), 0);
                snprintf(name + strlen(name), sizeof(name) - strlen(name), "/id");
                fd = openat(t->fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                assert_true(fd >= 0);
                assert_int_equal(dprintf(fd, "%d\n", i), i < 10 ? 2 : i < 100 ? 3 : 4);
                close(fd);
        }
        *state = t;
        return 0;
}

static int tree_teardown(void **state)
{
        struct tree *t = *state;
        char cmd[128];

        close(t->fd);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
        assert_int_equal(system(cmd), 0);
        free(t);
        return 0;
}

static int read_id(int dir)
{
        char buf[16] = "";
        int fd = openat(dir, "id", O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
        close(fd);
        return atoi(buf);
}

static bool fd_is_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

/* A device's folder is opened once and handed out again; each device has its own. */
static void test_opened_once(void **state)
{
        struct tree *t = *state;
        struct devdirs d;
        int a, b;

        devdirs_init(&d);
        a = devdirs_get(&d, t->fd, "0000:00:05.0");
        b = devdirs_get(&d, t->fd, "0000:01:07.0");
        assert_true(a >= 0 && b >= 0 && a != b);
        assert_int_equal(devdirs_get(&d, t->fd, "0000:00:05.0"), a);
        assert_int_equal(read_id(a), 5);
        assert_int_equal(read_id(b), 39);
        devdirs_done(&d);
        assert_false(fd_is_open(a));
        assert_false(fd_is_open(b));
}

/* No folder for a device that is not there: the caller reads the path, which says so. */
static void test_missing_device(void **state)
{
        struct tree *t = *state;
        struct devdirs d;

        devdirs_init(&d);
        assert_int_equal(devdirs_get(&d, t->fd, "0000:7f:00.0"), -ENOENT);
        assert_int_equal(d.n, 0);
        devdirs_done(&d);
}

/* A folder opened elsewhere (sriov's new VFs) is adopted; a second one for it is closed. */
static void test_adopt(void **state)
{
        struct tree *t = *state;
        struct devdirs d;
        int fd = openat(t->fd, "0000:00:02.0", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int again = openat(t->fd, "0000:00:02.0", O_PATH | O_DIRECTORY | O_CLOEXEC);

        assert_true(fd >= 0 && again >= 0);
        devdirs_init(&d);
        assert_int_equal(devdirs_adopt(&d, "0000:00:02.0", fd), fd);
        assert_int_equal(devdirs_adopt(&d, "0000:00:02.0", again), fd);
        assert_false(fd_is_open(again));
        assert_int_equal(devdirs_get(&d, t->fd, "0000:00:02.0"), fd);
        devdirs_done(&d);
        assert_false(fd_is_open(fd));
}

/*
 * Each kept folder is a descriptor: past the most it keeps, a device gets
 * -EMFILE (read through bus/pci/devices then), and the ones kept still
 * answer, right ones, after the table grew several times.
 */
static void test_bounded(void **state)
{
        struct tree *t = *state;
        int fds[N_DEVICES];
        struct devdirs d;
        size_t kept = 0;

        devdirs_init(&d);
        for (int i = 0; i < N_DEVICES; i++) {
                char name[16];

                snprintf(name, sizeof(name), "0000:%02x:%02x.0", i / 32, i % 32);
                fds[i] = devdirs_get(&d, t->fd, name);
                if (fds[i] >= 0)
                        kept++;
                else
                        assert_int_equal(fds[i], -EMFILE);
        }
        assert_int_equal(kept, d.n);
        assert_true(kept >= 128 && kept < N_DEVICES);
        for (size_t i = 0; i < kept; i++)
                assert_int_equal(read_id(fds[i]), (int) i);
        /* Full, a device it keeps is still handed out, adopted again or not. */
        assert_int_equal(devdirs_get(&d, t->fd, "0000:00:00.0"), fds[0]);
        assert_int_equal(devdirs_adopt(&d, "0000:00:00.0",
                                       openat(t->fd, "0000:00:00.0", O_PATH | O_CLOEXEC)),
                         fds[0]);
        devdirs_clear(&d);
        assert_int_equal(d.n, 0);
        assert_false(fd_is_open(fds[0]));
        /* Cleared, it opens again (a host's cache invalidated). */
        assert_true(devdirs_get(&d, t->fd, "0000:09:0b.0") >= 0);
        devdirs_done(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_opened_once),
                cmocka_unit_test(test_missing_device),
                cmocka_unit_test(test_adopt),
                cmocka_unit_test(test_bounded),
        };

        return cmocka_run_group_tests(tests, tree_setup, tree_teardown);
}
