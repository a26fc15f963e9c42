/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `qemu-args --iommufd` against QEMU's documented syntax. Debian's kernels
 * (6.1, 6.12) have no CONFIG_IOMMUFD, so the real-kernel suite cannot run
 * these arguments (tests/vm/README.md); this test parses them the way
 * QEMU's option parser does and checks them against what QEMU documents:
 *
 *   docs/devel/vfio-iommufd.rst (QEMU >= 8.2):
 *     -object iommufd,id=iommufd0
 *     -device vfio-pci,host=0000:02:00.0,iommufd=iommufd0
 *   qemu-options.hx: -object iommufd,id=id[,fd=fd]
 *   `qemu-system-x86_64 -device vfio-pci,help` (QEMU 10.0):
 *     host=<str>, iommufd=<link<iommufd>>, addr, multifunction, rombar,
 *     romfile, bootindex, failover_pair_id (id and bus are every device's)
 *
 * QemuOpts syntax (util/qemu-option.c): "VALUE,KEY=VALUE,...", the first
 * element without '=' is the implied key (the driver for -device, the
 * object type for -object), ",," is a comma inside a value, and a key may
 * appear once. Both paths are checked: a parsed definition
 * (vfioctl_guest_def_qemu_args, used by assign --print-qemu-args) and a
 * recorded guest (vfioctl_guest_qemu_args, used by qemu-args GUEST).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assign.h"
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

/* --- a QemuOpts reader ------------------------------------------------ */

#define MAX_OPTS 32

struct qopts {
        size_t n;
        char *key[MAX_OPTS];
        char *value[MAX_OPTS];
};

static void qopts_clear(struct qopts *o)
{
        for (size_t i = 0; i < o->n; i++) {
                free(o->key[i]);
                free(o->value[i]);
        }
        o->n = 0;
}

/* Split s as QEMU does; the first element without '=' gets implied_key. */
static void qopts_parse(const char *s, const char *implied_key, struct qopts *o)
{
        size_t len = strlen(s);
        char *elem = malloc(len + 1);

        assert_non_null(elem);
        o->n = 0;
        for (const char *p = s;;) {
                size_t k = 0;
                char *eq;

                /* one element, ",," unescaped */
                while (*p && !(*p == ',' && p[1] != ',')) {
                        if (*p == ',')
                                p++;
                        elem[k++] = *p++;
                }
                elem[k] = '\0';
                assert_true(o->n < MAX_OPTS);
                eq = strchr(elem, '=');
                if (!eq) {
                        if (o->n != 0 || !implied_key)
                                fail_msg("\"%s\": element \"%s\" has no '=' and is not the first", s, elem);
                        o->key[o->n] = strdup(implied_key);
                        o->value[o->n] = strdup(elem);
                } else {
                        o->key[o->n] = strndup(elem, (size_t) (eq - elem));
                        o->value[o->n] = strdup(eq + 1);
                }
                assert_non_null(o->key[o->n]);
                assert_non_null(o->value[o->n]);
                if (o->key[o->n][0] == '\0')
                        fail_msg("\"%s\": an empty key", s);
                for (size_t i = 0; i < o->n; i++)
                        if (strcmp(o->key[i], o->key[o->n]) == 0)
                                fail_msg("\"%s\": key %s given twice", s, o->key[i]);
                o->n++;
                if (!*p)
                        break;
                p++; /* the separating comma */
        }
        free(elem);
}

static const char *qopts_get(const struct qopts *o, const char *key)
{
        for (size_t i = 0; i < o->n; i++)
                if (strcmp(o->key[i], key) == 0)
                        return o->value[i];
        return NULL;
}

static bool in_list(const char *s, const char *const *list)
{
        for (; *list; list++)
                if (strcmp(s, *list) == 0)
                        return true;
        return false;
}

/* QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_'. */
static bool id_wellformed(const char *id)
{
        if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z')))
                return false;
        return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") ==
               strlen(id);
}

/* DDDD:BB:DD.F, lower-case hex, as host= takes it. */
static bool host_wellformed(const char *h)
{
        unsigned d, b, s, f;
        char end;

        return strlen(h) == 12 && sscanf(h, "%4x:%2x:%2x.%1x%c", &d, &b, &s, &f, &end) == 4 &&
               s < 32 && f < 8 && strspn(h, "0123456789abcdef:.") == 12;
}

static const char *const vfio_pci_keys[] = {
        "driver", "id", "bus", "host", "iommufd", "addr", "multifunction", "rombar",
        "romfile", "bootindex", "failover_pair_id", NULL,
};
static const char *const iommufd_object_keys[] = { "qom-type", "id", "fd", NULL };

/*
 * The vector against the syntax: with iommufd, one "-object iommufd,id=X"
 * before any device and every "-device vfio-pci,…" with iommufd=X; without,
 * neither. want_hosts lists the host= values in order. Returns nothing;
 * fails the test on the first deviation.
 */
static void check_syntax(char **args, bool iommufd, const char *const *want_hosts)
{
        struct qopts o = {};
        const char *object_id = NULL;
        char *ids[MAX_OPTS];
        size_t n_ids = 0, n_dev = 0, n_obj = 0;

        assert_non_null(args);
        for (size_t i = 0; args[i]; i += 2) {
                if (!args[i + 1])
                        fail_msg("argument %zu (%s) has no value", i, args[i]);
                if (strcmp(args[i], "-object") == 0) {
                        qopts_parse(args[i + 1], "qom-type", &o);
                        if (!iommufd)
                                fail_msg("-object %s without --iommufd", args[i + 1]);
                        assert_string_equal(qopts_get(&o, "qom-type"), "iommufd");
                        if (n_dev > 0)
                                fail_msg("-object %s after a -device that refers to it", args[i + 1]);
                        for (size_t k = 0; k < o.n; k++)
                                if (!in_list(o.key[k], iommufd_object_keys))
                                        fail_msg("-object iommufd has no option %s", o.key[k]);
                        assert_non_null(qopts_get(&o, "id"));
                        assert_true(id_wellformed(qopts_get(&o, "id")));
                        assert_null(object_id);
                        object_id = strdup(qopts_get(&o, "id"));
                        ids[n_ids++] = (char *) object_id;
                        n_obj++;
                } else if (strcmp(args[i], "-device") == 0) {
                        const char *id, *host, *fd;

                        qopts_parse(args[i + 1], "driver", &o);
                        assert_string_equal(qopts_get(&o, "driver"), "vfio-pci");
                        for (size_t k = 0; k < o.n; k++)
                                if (!in_list(o.key[k], vfio_pci_keys))
                                        fail_msg("vfio-pci has no property %s (%s)", o.key[k], args[i + 1]);
                        host = qopts_get(&o, "host");
                        assert_non_null(host);
                        if (!host_wellformed(host))
                                fail_msg("host=%s is not DDDD:BB:DD.F", host);
                        assert_non_null(want_hosts[n_dev]);
                        assert_string_equal(host, want_hosts[n_dev]);
                        id = qopts_get(&o, "id");
                        if (id) {
                                assert_true(id_wellformed(id));
                                for (size_t k = 0; k < n_ids; k++)
                                        if (strcmp(ids[k], id) == 0)
                                                fail_msg("id %s used twice", id);
                                ids[n_ids] = strdup(id);
                                assert_non_null(ids[n_ids]);
                                n_ids++;
                        }
                        fd = qopts_get(&o, "iommufd");
                        if (iommufd) {
                                if (!fd)
                                        fail_msg("-device %s has no iommufd=", args[i + 1]);
                                assert_non_null(object_id);
                                assert_string_equal(fd, object_id);
                        } else if (fd) {
                                fail_msg("-device %s has iommufd= without --iommufd", args[i + 1]);
                        }
                        n_dev++;
                } else {
                        fail_msg("argument %zu: %s is neither -object nor -device", i, args[i]);
                }
                qopts_clear(&o);
        }
        assert_null(want_hosts[n_dev]);
        assert_int_equal(n_obj, iommufd && n_dev > 0 ? 1 : 0);
        for (size_t k = 0; k < n_ids; k++)
                free(ids[k]);
}

/* --- the definitions ------------------------------------------------- */

#define SRC(d, b, s, f) "<source><address domain='" d "' bus='" b "' slot='" s "' function='" f "'/></source>"

/* Every option vfioctl writes for a device, a comma inside a ROM path,
 * an unassigned function and an alias of its own. */
static const char domain_xml[] =
        "<domain type='kvm'>\n"
        "  <name>g1</name>\n"
        "  <os><type arch='x86_64' machine='pc-q35-9.0'>hvm</type></os>\n"
        "  <devices>\n"
        "<hostdev mode='subsystem' type='pci' managed='yes'>" SRC("0x0000", "0x06", "0x12", "0x5") "</hostdev>\n"
        "<hostdev mode='subsystem' type='pci'>" SRC("0", "6", "18", "6")
        "  <address type='pci' domain='0' bus='0' slot='5' function='0' multifunction='on'/>"
        "  <rom bar='off'/><boot order='2'/></hostdev>\n"
        "<hostdev mode='subsystem' type='pci'>" SRC("0", "6", "18", "7") "<address type='unassigned'/></hostdev>\n"
        "<hostdev mode='subsystem' type='pci'>" SRC("0x0021", "0xde", "0x1f", "0x1")
        "  <address type='pci' bus='2' slot='0x1f'/><rom bar='on' file='/roms/a,b.rom'/>"
        "  <teaming type='transient' persistent='ua-backup0'/></hostdev>\n"
        "<hostdev mode='subsystem' type='pci'>" SRC("0", "8", "0", "0") "<rom file=''/><alias name='ua-gpu'/></hostdev>\n"
        "  </devices>\n"
        "</domain>\n";

static const char *const assigned_hosts[] = {
        "0000:06:12.5", "0000:06:12.6", "0021:de:1f.1", "0000:08:00.0", NULL,
};

static vfioctl_guest_def *parse(const char *xml)
{
        vfioctl_guest_def *def = NULL;
        int r = vfioctl_guest_def_new_from_string(ctx, xml, NULL, 0, &def);

        if (r < 0)
                print_error("parse: %s\n", vfioctl_ctx_errmsg(ctx));
        assert_int_equal(r, 0);
        return def;
}

/* assign --print-qemu-args [--iommufd]: from the parsed definition. */
static void test_definition(void **state)
{
        vfioctl_guest_def *def = parse(domain_xml);
        char **args = NULL;

        assert_int_equal(vfioctl_guest_def_qemu_args(def, VFIOCTL_QEMU_IOMMUFD, &args), 0);
        check_syntax(args, true, assigned_hosts);
        args = vfioctl_qemu_args_free(args);

        assert_int_equal(vfioctl_guest_def_qemu_args(def, 0, &args), 0);
        check_syntax(args, false, assigned_hosts);
        vfioctl_qemu_args_free(args);
        vfioctl_guest_def_unref(def);
}

/* qemu-args GUEST [--iommufd]: from a recorded guest, its held sibling
 * (06:12.7, unassigned) and a device released since (08:00.0) left out. */
static void test_recorded_guest(void **state)
{
        static const char *const hosts[] = { "0000:06:12.5", "0000:06:12.6", "0021:de:1f.1", NULL };
        vfioctl_guest *g = NULL;
        char **args = NULL;

        assert_int_equal(guest_new(ctx, "g1", &g), 0);
        g->def = parse(domain_xml);
        assert_int_equal(guest_add_device(g, "0000:06:12.5", 4, VFIOCTL_ROLE_ASSIGNED, true, NULL), 0);
        assert_int_equal(guest_add_device(g, "0000:06:12.6", 4, VFIOCTL_ROLE_ASSIGNED, false, NULL), 0);
        assert_int_equal(guest_add_device(g, "0000:06:12.7", 4, VFIOCTL_ROLE_HELD, false, NULL), 0);
        assert_int_equal(guest_add_device(g, "0021:de:1f.1", 9, VFIOCTL_ROLE_ASSIGNED, false, NULL), 0);
        assert_int_equal(guest_finish(g), 0);

        assert_int_equal(vfioctl_guest_qemu_args(g, VFIOCTL_QEMU_IOMMUFD, &args), 0);
        check_syntax(args, true, hosts);
        args = vfioctl_qemu_args_free(args);

        assert_int_equal(vfioctl_guest_qemu_args(g, 0, &args), 0);
        check_syntax(args, false, hosts);
        vfioctl_qemu_args_free(args);
        vfioctl_guest_unref(g);
}

/* Nothing assigned: no -object either (QEMU would open /dev/iommu for
 * nothing, and fail where the kernel has no iommufd). */
static void test_nothing_assigned(void **state)
{
        static const char *const none[] = { NULL };
        vfioctl_guest_def *def = parse(
                "<domain type='kvm'><name>g2</name><os><type arch='x86_64' machine='q35'>hvm</type></os>"
                "<devices><hostdev mode='subsystem' type='pci' assigned='no'>" SRC("0", "1", "0", "0")
                "</hostdev></devices></domain>\n");
        char **args = NULL;

        assert_int_equal(vfioctl_guest_def_qemu_args(def, VFIOCTL_QEMU_IOMMUFD, &args), 0);
        check_syntax(args, true, none);
        assert_null(args[0]);
        vfioctl_qemu_args_free(args);
        vfioctl_guest_def_unref(def);
}

/* The reader itself: a test that cannot fail proves nothing. */
static void test_reader(void **state)
{
        struct qopts o = {};

        qopts_parse("vfio-pci,host=0000:01:00.0,romfile=/a,,b.rom,iommufd=fd0", "driver", &o);
        assert_int_equal(o.n, 4);
        assert_string_equal(qopts_get(&o, "driver"), "vfio-pci");
        assert_string_equal(qopts_get(&o, "romfile"), "/a,b.rom");
        assert_string_equal(qopts_get(&o, "iommufd"), "fd0");
        qopts_clear(&o);
        qopts_parse("iommufd,id=iommufd0", "qom-type", &o);
        assert_string_equal(qopts_get(&o, "qom-type"), "iommufd");
        assert_string_equal(qopts_get(&o, "id"), "iommufd0");
        qopts_clear(&o);
        assert_true(host_wellformed("0021:de:1f.1"));
        assert_false(host_wellformed("21:de:1f.1"));
        assert_false(host_wellformed("0000:00:20.0"));
        assert_true(id_wellformed("iommufd0"));
        assert_false(id_wellformed("0fd"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reader),
                cmocka_unit_test(test_definition),
                cmocka_unit_test(test_recorded_guest),
                cmocka_unit_test(test_nothing_assigned),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
