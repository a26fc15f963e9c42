/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict sysfs parsing: a truncated, overlong or garbled attribute is an
 * error with a message, never a silent zero. Runs on a scratch folder.
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

#define DEV "sys/bus/pci/devices/0000:00:01.0"

static char root[] = "/tmp/vfioctl-unit-XXXXXX";
static vfioctl_ctx *ctx;
static int dirfd_;

static void put(const char *name, const void *data, size_t len)
{
        int fd = openat(dirfd_, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t) len);
        close(fd);
}

static int setup(void **state)
{
        char path[256];

        assert_non_null(mkdtemp(root));
        /* "d" in messages: the device folder, where writes may go. */
        snprintf(path, sizeof(path), "mkdir -p '%s/" DEV "'", root);
        assert_int_equal(system(path), 0);
        snprintf(path, sizeof(path), "%s/" DEV, root);
        assert_int_equal(vfioctl_ctx_new(root, &ctx), 0);
        dirfd_ = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dirfd_ >= 0);
        return 0;
}

static int teardown(void **state)
{
        char cmd[300];

        close(dirfd_);
        vfioctl_ctx_unref(ctx);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_str(void **state)
{
        char *s = NULL;
        char big[SYSFS_ATTR_MAX + 10];

        put("ok", "e1000e\n", 7);
        assert_int_equal(sysfs_read_str(ctx, dirfd_, "d", "ok", &s), 0);
        assert_string_equal(s, "e1000e");
        free(s);
        s = NULL;

        put("nonl", "e1000e", 6);
        assert_int_equal(sysfs_read_str(ctx, dirfd_, "d", "nonl", &s), -EBADMSG);
        assert_null(s);
        assert_non_null(strstr(vfioctl_ctx_errmsg(ctx), "d/nonl"));
        assert_non_null(strstr(vfioctl_ctx_errmsg(ctx), "truncated"));

        put("empty", "", 0);
        assert_int_equal(sysfs_read_str(ctx, dirfd_, "d", "empty", &s), -EBADMSG);

        put("two", "a\nb\n", 4);
        assert_int_equal(sysfs_read_str(ctx, dirfd_, "d", "two", &s), -EBADMSG);

        put("nul", "a\0b\n", 4);
        assert_int_equal(sysfs_read_str(ctx, dirfd_, "d", "nul", &s), -EBADMSG);
        assert_non_null(strstr(vfioctl_ctx_errmsg(ctx), "NUL"));

        memset(big, 'x', sizeof(big));
        big[sizeof(big) - 1] = '\n';
        put("big", big, sizeof(big));
        assert_int_equal(sysfs_read_str(ctx, dirfd_, "d", "big", &s), -EFBIG);
        assert_non_null(strstr(vfioctl_ctx_errmsg(ctx), "too large"));

        assert_int_equal(sysfs_read_str(ctx, dirfd_, "d", "missing", &s), -ENOENT);
        assert_non_null(strstr(vfioctl_ctx_errmsg(ctx), "d/missing"));
}

static void test_numbers(void **state)
{
        uint64_t v = 7;
        int64_t i = 7;

        put("hex", "0x8086\n", 7);
        assert_int_equal(sysfs_read_hex(ctx, dirfd_, "d", "hex", 0xffff, &v), 0);
        assert_int_equal(v, 0x8086);
        put("dec", "8\n", 2);
        assert_int_equal(sysfs_read_hex(ctx, dirfd_, "d", "dec", 0xffff, &v), 0);
        assert_int_equal(v, 8);

        v = 7;
        put("bad", "0x80z6\n", 7);
        assert_int_equal(sysfs_read_hex(ctx, dirfd_, "d", "bad", 0xffff, &v), -EBADMSG);
        put("big", "0x18086\n", 8);
        assert_int_equal(sysfs_read_hex(ctx, dirfd_, "d", "big", 0xffff, &v), -EBADMSG);
        put("neg", "-1\n", 3);
        assert_int_equal(sysfs_read_hex(ctx, dirfd_, "d", "neg", 0xffff, &v), -EBADMSG);
        put("bare", "0x\n", 3);
        assert_int_equal(sysfs_read_hex(ctx, dirfd_, "d", "bare", 0xffff, &v), -EBADMSG);
        put("sp", " 1\n", 3);
        assert_int_equal(sysfs_read_hex(ctx, dirfd_, "d", "sp", 0xffff, &v), -EBADMSG);
        assert_int_equal(v, 7);

        assert_int_equal(sysfs_read_int(ctx, dirfd_, "d", "neg", -1, 10, &i), 0);
        assert_int_equal(i, -1);
        put("range", "11\n", 3);
        assert_int_equal(sysfs_read_int(ctx, dirfd_, "d", "range", -1, 10, &i), -EBADMSG);
        put("huge", "99999999999999999999999\n", 24);
        assert_int_equal(sysfs_read_int(ctx, dirfd_, "d", "huge", -1, 10, &i), -EBADMSG);
}

static void test_links(void **state)
{
        char *s = NULL;

        assert_int_equal(symlinkat("../../../bus/pci/drivers/e1000e", dirfd_, "driver"), 0);
        assert_int_equal(sysfs_read_link_name(ctx, dirfd_, "d", "driver", &s), 0);
        assert_string_equal(s, "e1000e");
        free(s);
        s = NULL;
        assert_int_equal(symlinkat("../../../bus/pci/drivers/", dirfd_, "slash"), 0);
        assert_int_equal(sysfs_read_link_name(ctx, dirfd_, "d", "slash", &s), -EBADMSG);
        assert_int_equal(sysfs_read_link_name(ctx, dirfd_, "d", "nolink", &s), -ENOENT);
        assert_null(s);
}

static char *written_path, *written_value;

static void record(void *userdata, const char *path, const char *value)
{
        free(written_path);
        free(written_value);
        written_path = strdup(path);
        written_value = strdup(value);
}

static void test_write(void **state)
{
        char *s = NULL;

        put("attr", "(null)\n", 7);
        assert_int_equal(sysfs_write(ctx, DEV "/attr", "vfio-pci"), 0);
        assert_int_equal(sysfs_read_text(ctx, dirfd_, "d", "attr", 100, &s), 0);
        assert_string_equal(s, "vfio-pci");
        free(s);

        /* A final symlink is refused: writes never follow one. */
        assert_int_equal(symlinkat("attr", dirfd_, "alias"), 0);
        assert_int_equal(sysfs_write(ctx, DEV "/alias", "x"), -ELOOP);

        /* Only attributes of a PCI device, driver or the bus are written
         * (the path may come from the state database). */
        put("evil", "", 0);
        assert_int_equal(sysfs_write(ctx, DEV "/../0000:00:01.0/attr", "x"), -EPERM);
        assert_int_equal(sysfs_write(ctx, "sys/bus/pci/devices/../../../etc/passwd", "x"), -EPERM);
        assert_int_equal(sysfs_write(ctx, "sys/bus/pci/devices/0:1.0/attr", "x"), -EPERM);
        assert_int_equal(sysfs_write(ctx, "sys/bus/pci/drivers/../devices/0000:00:01.0/evil", "x"),
                         -EPERM);
        assert_int_equal(sysfs_write(ctx, "sys/bus/pci/drivers/.x/bind", "x"), -EPERM);
        assert_int_equal(sysfs_write(ctx, "sys/bus/pci/drivers/e1000e/bind/x", "x"), -EPERM);
        assert_int_equal(sysfs_write(ctx, "sys/kernel/iommu_groups/1/type", "x"), -EPERM);
        assert_non_null(strstr(vfioctl_ctx_errmsg(ctx), "not an attribute of a PCI device"));
        assert_int_equal(sysfs_write(ctx, DEV "/evil", "x"), 0);
        /* The refusal stands in a dry run too. */
        vfioctl_ctx_set_dry_run(ctx, record, NULL);
        assert_int_equal(sysfs_write(ctx, "etc/passwd", "x"), -EPERM);
        vfioctl_ctx_set_dry_run(ctx, NULL, NULL);

        /* Dry run records instead of writing. */
        vfioctl_ctx_set_dry_run(ctx, record, NULL);
        assert_int_equal(sysfs_write(ctx, DEV "/attr", "pci-stub"), 0);
        vfioctl_ctx_set_dry_run(ctx, NULL, NULL);
        assert_string_equal(written_path, DEV "/attr");
        assert_string_equal(written_value, "pci-stub");
        assert_int_equal(sysfs_read_text(ctx, dirfd_, "d", "attr", 100, &s), 0);
        assert_string_equal(s, "vfio-pci");
        free(s);
        free(written_path);
        free(written_value);
}

static void test_missing_root(void **state)
{
        vfioctl_ctx *c = NULL;

        assert_int_equal(vfioctl_ctx_new("/nonexistent/vfioctl-root", &c), -ENOENT);
        assert_null(c);
}

/* The layout of the tree, written down in sysfs.c alone. */
static void test_paths(void **state)
{
        char p[SYSFS_PATH_MAX], name[SYSFS_PATH_MAX];

        assert_string_equal(sysfs_device_attr(p, "0000:03:00.0", "driver_override"),
                            "0000:03:00.0/driver_override");
        assert_string_equal(sysfs_device_netif_attr(p, "0000:03:00.0", "enp3s0", "operstate"),
                            "0000:03:00.0/net/enp3s0/operstate");
        assert_string_equal(sysfs_device_path(p, "0000:03:00.0", "driver_override"),
                            "sys/bus/pci/devices/0000:03:00.0/driver_override");
        assert_string_equal(sysfs_driver_path(p, "e1000e", "unbind"),
                            "sys/bus/pci/drivers/e1000e/unbind");
        assert_string_equal(sysfs_driver_path(p, "vfio-pci", NULL), "sys/bus/pci/drivers/vfio-pci");
        assert_string_equal(sysfs_group_devices_path(p, 12), "sys/kernel/iommu_groups/12/devices");
        assert_string_equal(sysfs_entry_attr(p, "vtcon0", "bind"), "vtcon0/bind");
        /* A path that does not fit is "", which opens nothing and is never written. */
        memset(name, 'a', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        assert_string_equal(sysfs_driver_path(p, name, "bind"), "");
        assert_int_equal(sysfs_write_check(ctx, p), -EPERM);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_str),
                cmocka_unit_test(test_numbers),
                cmocka_unit_test(test_links),
                cmocka_unit_test(test_write),
                cmocka_unit_test(test_missing_root),
                cmocka_unit_test(test_paths),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
