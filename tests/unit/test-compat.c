/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt's own hostdev test corpus (shared/compat/libvirt, see its
 * README.md) through our parser and QEMU argument builder:
 *
 *  - NAME.xml with NAME.x86_64-latest.args: our vfio-pci devices must be
 *    libvirt's, compared per device on host, id, multifunction, rombar,
 *    romfile, bootindex, failover_pair_id, and on bus/addr where the XML
 *    gives a guest address (without one we let QEMU place the device,
 *    libvirt picks a slot itself);
 *  - NAME.xml with NAME[.x86_64-latest].err: must fail, with libvirt's
 *    message inside ours;
 *  - cases whose only hostdevs are USB/SCSI/mdev are skipped and counted;
 *  - every network XML in network/: each hostdev pool must parse.
 *
 * Usage: test-compat DIR (or VFIOCTL_COMPAT_DIR). A missing folder is a
 * failure, not a skip: CI keeps shared/ beside the checkout.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "hostdev.h"

static vfioctl_ctx *ctx;
static unsigned tap_n; /* TAP-style numbering, so scripts/count-tests.py counts cases */

static char *read_text(const char *path)
{
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t size = 0;
        ssize_t n;

        if (!f)
                return NULL;
        n = getdelim(&buf, &size, '\0', f);
        fclose(f);
        if (n < 0) {
                free(buf);
                return strdup("");
        }
        return buf;
}

static bool exists(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names in dir ending in suffix, sorted. */
static char **list_dir(const char *dir, const char *suffix, size_t *ret_n)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char **l = NULL;
        size_t n = 0;

        if (!d)
                return NULL;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name), slen = strlen(suffix);

                if (len <= slen || strcmp(de->d_name + len - slen, suffix) != 0)
                        continue;
                l = realloc(l, (n + 2) * sizeof(*l));
                l[n++] = strdup(de->d_name);
                l[n] = NULL;
        }
        closedir(d);
        if (!l)
                l = calloc(1, sizeof(*l));
        qsort(l, n, sizeof(*l), cmp_str);
        *ret_n = n;
        return l;
}

static void free_list(char **l)
{
        for (char **p = l; p && *p; p++)
                free(*p);
        free(l);
}

/* ---------------------------------------------------------------- */
/* Our "-device vfio-pci,k=v,..." values, split into keys            */

#define MAX_KEYS 16

struct device {
        size_t n;
        char *key[MAX_KEYS];
        char *value[MAX_KEYS];
};

static void argdev_free(struct device *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->key[i]);
                free(d->value[i]);
        }
        d->n = 0;
}

/* "vfio-pci,host=…,romfile=a,,b" (",," is a literal comma). */
static int argdev_split(const char *s, struct device *d)
{
        const char *p = s;
        bool first = true;

        *d = (struct device){};
        while (*p) {
                char buf[4096];
                size_t len = 0;
                char *eq;

                while (*p && len < sizeof(buf) - 1) {
                        if (p[0] == ',' && p[1] == ',') {
                                buf[len++] = ',';
                                p += 2;
                        } else if (p[0] == ',')
                                break;
                        else
                                buf[len++] = *p++;
                }
                buf[len] = '\0';
                if (*p == ',')
                        p++;
                if (first) {
                        if (strcmp(buf, "vfio-pci") != 0)
                                return -1;
                        first = false;
                        continue;
                }
                eq = strchr(buf, '=');
                if (!eq || d->n >= MAX_KEYS)
                        return -1;
                *eq = '\0';
                d->key[d->n] = strdup(buf);
                d->value[d->n] = strdup(eq + 1);
                d->n++;
        }
        return first ? -1 : 0;
}

static const char *argdev_get(const struct device *d, const char *key)
{
        for (size_t i = 0; i < d->n; i++)
                if (strcmp(d->key[i], key) == 0)
                        return d->value[i];
        return NULL;
}

/* ---------------------------------------------------------------- */
/* libvirt's expected -device '{"driver":"vfio-pci",...}' objects     */

static json_t *expected_devices(const char *args)
{
        json_t *list = json_array();
        const char *line = args;

        while (line && *line) {
                const char *end = strchr(line, '\n'), *p = line;
                size_t len = end ? (size_t) (end - line) : strlen(line);

                while (*p == ' ')
                        p++;
                if (strncmp(p, "-device '", 9) == 0) {
                        const char *start = p + 9, *q = line + len;
                        json_error_t err;
                        json_t *o;

                        while (q > start && *q != '\'')
                                q--;
                        o = json_loadb(start, (size_t) (q - start), 0, &err);
                        if (!o) {
                                fprintf(stderr, "compat: bad JSON in -device: %s\n", err.text);
                                json_decref(list);
                                return NULL;
                        }
                        if (json_is_string(json_object_get(o, "driver")) &&
                            strcmp(json_string_value(json_object_get(o, "driver")), "vfio-pci") == 0)
                                json_array_append(list, o);
                        json_decref(o);
                }
                line = end ? end + 1 : NULL;
        }
        return list;
}

/* Compares one expected JSON value with our key's value; 0 when equal. */
static int compare_key(size_t idx, json_t *want, const char *key, const char *got)
{
        char buf[4096];
        const char *w = NULL;

        if (!want) {
                if (!got)
                        return 0;
                printf("    device %zu: %s: libvirt has none, we have '%s'\n", idx, key, got);
                return -1;
        }
        if (json_is_string(want))
                w = json_string_value(want);
        else if (json_is_integer(want)) {
                snprintf(buf, sizeof(buf), "%lld", (long long) json_integer_value(want));
                w = buf;
        } else if (json_is_true(want))
                w = "on";
        else if (json_is_false(want))
                w = NULL; /* multifunction=off is QEMU's default: we leave it out */
        if (w && got && strcmp(w, got) == 0)
                return 0;
        if (!w && !got)
                return 0;
        printf("    device %zu: %s: libvirt '%s', we '%s'\n", idx, key, w ? w : "(none)",
                got ? got : "(none)");
        return -1;
}

static const char *const compared_keys[] = {
        "host", "id", "multifunction", "rombar", "romfile", "bootindex", "failover_pair_id",
};

static int compare_case(vfioctl_guest_def *def, char **args, json_t *want)
{
        size_t n_got = 0, k = 0, j = 0;
        int bad = 0;

        for (char **a = args; *a; a++)
                if (strcmp(*a, "-device") == 0)
                        n_got++;
        if (n_got != json_array_size(want)) {
                printf("    libvirt has %zu vfio-pci device(s), we have %zu\n",
                        json_array_size(want), n_got);
                return -1;
        }

        for (size_t i = 0; i < vfioctl_guest_def_n_hostdevs(def); i++) {
                vfioctl_guest_hostdev *h = vfioctl_guest_def_hostdev_at(def, i);
                struct device d;
                const char *key;
                json_t *o, *value;

                if (!vfioctl_guest_hostdev_is_assigned(h) || vfioctl_guest_hostdev_is_ignored(h))
                        continue;
                while (args[k] && strcmp(args[k], "-device") != 0)
                        k++;
                if (!args[k] || !args[k + 1] || argdev_split(args[k + 1], &d) < 0) {
                        printf("    cannot read our argument for entry %zu\n", i);
                        return -1;
                }
                o = json_array_get(want, j);

                for (size_t c = 0; c < sizeof(compared_keys) / sizeof(compared_keys[0]); c++)
                        if (compare_key(j, json_object_get(o, compared_keys[c]), compared_keys[c],
                                        argdev_get(&d, compared_keys[c])) < 0)
                                bad = -1;

                if (vfioctl_guest_hostdev_get_guest_addr(h)) {
                        if (compare_key(j, json_object_get(o, "bus"), "bus", argdev_get(&d, "bus")) < 0 ||
                            compare_key(j, json_object_get(o, "addr"), "addr", argdev_get(&d, "addr")) < 0)
                                bad = -1;
                } else if (argdev_get(&d, "bus") || argdev_get(&d, "addr")) {
                        printf("    device %zu: bus/addr without a guest <address>\n", j);
                        bad = -1;
                }

                /* Anything libvirt sets that we do not know is a difference too. */
                json_object_foreach(o, key, value) {
                        bool known = strcmp(key, "driver") == 0 || strcmp(key, "bus") == 0 ||
                                     strcmp(key, "addr") == 0;

                        for (size_t c = 0; c < sizeof(compared_keys) / sizeof(compared_keys[0]); c++)
                                known = known || strcmp(key, compared_keys[c]) == 0;
                        if (!known) {
                                printf("    device %zu: libvirt sets '%s', we do not know it\n", j, key);
                                bad = -1;
                        }
                }
                for (size_t c = 0; c < d.n; c++) {
                        bool known = strcmp(d.key[c], "bus") == 0 || strcmp(d.key[c], "addr") == 0;

                        for (size_t e = 0; e < sizeof(compared_keys) / sizeof(compared_keys[0]); e++)
                                known = known || strcmp(d.key[c], compared_keys[e]) == 0;
                        if (!known) {
                                printf("    device %zu: we set '%s', libvirt does not\n", j, d.key[c]);
                                bad = -1;
                        }
                }
                argdev_free(&d);
                k += 2;
                j++;
        }
        return bad;
}

/* libvirt's message without its error class ("XML error: "). */
static const char *libvirt_message(char *text)
{
        static const char *const classes[] = {
                "XML error: ", "unsupported configuration: ", "internal error: ",
                "operation failed: ", "invalid argument: ", "Requested operation is not valid: ",
        };
        size_t len = strlen(text);

        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
                text[--len] = '\0';
        for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
                if (strncmp(text, classes[i], strlen(classes[i])) == 0)
                        return text + strlen(classes[i]);
        return text;
}

struct counts {
        unsigned matched, matched_empty, skipped, failures_reproduced, networks, failed;
};

static void run_error_case(const char *dir, const char *base, const char *errfile,
                           struct counts *c)
{
        char path[4096];
        vfioctl_guest_def *def = NULL;
        char **args = NULL;
        char *text;
        const char *want;
        int r;

        snprintf(path, sizeof(path), "%s/%s.xml", dir, base);
        r = vfioctl_guest_def_new_from_file(ctx, path, NULL, 0, &def);
        if (r >= 0) {
                r = vfioctl_guest_def_qemu_args(def, 0, &args);
                vfioctl_qemu_args_free(args);
                vfioctl_guest_def_unref(def);
        }
        snprintf(path, sizeof(path), "%s/%s", dir, errfile);
        text = read_text(path);
        if (!text) {
                printf("not ok %u - %s: cannot read %s\n", ++tap_n, base, errfile);
                c->failed++;
                return;
        }
        want = libvirt_message(text);
        if (r >= 0) {
                printf("not ok %u - %s: libvirt fails, we accept it\n    libvirt: %s\n", ++tap_n, base, text);
                c->failed++;
        } else if (!strstr(vfioctl_ctx_errmsg(ctx), want)) {
                printf("not ok %u - %s: both fail, with different messages\n    libvirt: %s\n    we:      %s\n",
                       ++tap_n, base, text, vfioctl_ctx_errmsg(ctx));
                c->failed++;
        } else {
                printf("ok %u - %s: expected failure reproduced\n    libvirt: %s\n    we:      %s\n",
                       ++tap_n, base, text, vfioctl_ctx_errmsg(ctx));
                c->failures_reproduced++;
        }
        free(text);
}

static void run_args_case(const char *dir, const char *base, const char *argsfile,
                          struct counts *c)
{
        char path[4096];
        vfioctl_guest_def *def = NULL;
        char **args = NULL;
        json_t *want = NULL;
        char *text = NULL;
        int r;

        snprintf(path, sizeof(path), "%s/%s.xml", dir, base);
        r = vfioctl_guest_def_new_from_file(ctx, path, NULL, VFIOCTL_GUEST_PARSE_SKIP_NON_PCI, &def);
        if (r < 0) {
                printf("not ok %u - %s: %s\n", ++tap_n, base, vfioctl_ctx_errmsg(ctx));
                c->failed++;
                return;
        }
        if (vfioctl_guest_def_n_hostdevs(def) == 0 && vfioctl_guest_def_n_skipped(def) > 0) {
                printf("ok %u - %s # SKIP only non-PCI hostdevs (%s, ...)\n", ++tap_n, base,
                       vfioctl_guest_def_skipped_at(def, 0));
                c->skipped++;
                goto out;
        }
        for (size_t i = 0; i < vfioctl_guest_def_n_hostdevs(def); i++)
                if (!vfioctl_guest_hostdev_is_resolved(vfioctl_guest_def_hostdev_at(def, i))) {
                        printf("not ok %u - %s: <interface type='network'> needs a network pool\n", ++tap_n, base);
                        c->failed++;
                        goto out;
                }
        r = vfioctl_guest_def_qemu_args(def, 0, &args);
        if (r < 0) {
                printf("not ok %u - %s: %s\n", ++tap_n, base, vfioctl_ctx_errmsg(ctx));
                c->failed++;
                goto out;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, argsfile);
        text = read_text(path);
        want = text ? expected_devices(text) : NULL;
        if (!want) {
                printf("not ok %u - %s: cannot read %s\n", ++tap_n, base, argsfile);
                c->failed++;
                goto out;
        }
        fflush(stdout);
        if (compare_case(def, args, want) < 0) {
                printf("not ok %u - %s: arguments differ from libvirt's (above)\n", ++tap_n, base);
                c->failed++;
                goto out;
        }
        if (json_array_size(want) == 0) {
                printf("ok %u - %s: no PCI hostdev; libvirt has no vfio-pci device, nor do we\n", ++tap_n, base);
                c->matched_empty++;
        } else {
                printf("ok %u - %s: %zu vfio-pci device(s) match\n", ++tap_n, base, json_array_size(want));
                for (char **a = args; *a; a++)
                        printf("%s%s", a == args ? "    " : " ", *a);
                printf("\n");
        }
        c->matched++;
out:
        json_decref(want);
        free(text);
        vfioctl_qemu_args_free(args);
        vfioctl_guest_def_unref(def);
}

static void run_networks(const char *dir, struct counts *c)
{
        char ndir[4096];
        char **files;
        size_t n;

        snprintf(ndir, sizeof(ndir), "%s/network", dir);
        files = list_dir(ndir, ".xml", &n);
        if (!files) {
                printf("not ok %u - network/: cannot read %s: %m\n", ++tap_n, ndir);
                c->failed++;
                return;
        }
        for (size_t i = 0; i < n; i++) {
                char path[8192];
                vfioctl_network_def *net = NULL;

                snprintf(path, sizeof(path), "%s/%s", ndir, files[i]);
                if (vfioctl_network_def_new_from_file(ctx, path, &net) < 0) {
                        printf("not ok %u - network/%s: %s\n", ++tap_n, files[i], vfioctl_ctx_errmsg(ctx));
                        c->failed++;
                        continue;
                }
                printf("ok %u - network/%s: pool '%s', %s, %zu address(es)%s%s\n", ++tap_n, files[i],
                       vfioctl_network_def_get_name(net),
                       vfioctl_network_def_is_managed(net) ? "managed" : "unmanaged",
                       vfioctl_network_def_n_addrs(net),
                       vfioctl_network_def_get_pf(net) ? ", pf " : "",
                       vfioctl_network_def_get_pf(net) ? vfioctl_network_def_get_pf(net) : "");
                c->networks++;
                vfioctl_network_def_unref(net);
        }
        free_list(files);
}

int main(int argc, char **argv)
{
        const char *dir = argc > 1 ? argv[1] : getenv("VFIOCTL_COMPAT_DIR");
        struct counts c = {};
        struct stat st;
        char **files;
        size_t n;

        if (!dir || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                /* A clone outside this project's layout has no corpus: skip (77, meson's
                 * code for it) and say why; CI sets VFIOCTL_REQUIRE_COMPAT to fail instead. */
                bool required = getenv("VFIOCTL_REQUIRE_COMPAT");

                fprintf(stderr,
                        "compat: %s: libvirt corpus folder %s not found: it belongs at "
                        "../shared/compat/libvirt beside the checkout (or pass it as the "
                        "argument / VFIOCTL_COMPAT_DIR)\n",
                        required ? "failed" : "skipped", dir ? dir : "(none given)");
                return required ? 1 : 77;
        }
        if (vfioctl_ctx_new("/", &ctx) < 0) {
                fprintf(stderr, "compat: cannot create a context\n");
                return 1;
        }

        files = list_dir(dir, ".xml", &n);
        if (!files || n == 0) {
                fprintf(stderr, "compat: no *.xml in %s\n", dir);
                return 1;
        }
        for (size_t i = 0; i < n; i++) {
                char base[1024], file[2048], path[4096];

                snprintf(base, sizeof(base), "%.*s", (int) (strlen(files[i]) - 4), files[i]);
                snprintf(file, sizeof(file), "%s.x86_64-latest.err", base);
                snprintf(path, sizeof(path), "%s/%s", dir, file);
                if (!exists(path)) {
                        snprintf(file, sizeof(file), "%s.err", base);
                        snprintf(path, sizeof(path), "%s/%s", dir, file);
                }
                if (exists(path)) {
                        run_error_case(dir, base, file, &c);
                        continue;
                }
                snprintf(file, sizeof(file), "%s.x86_64-latest.args", base);
                snprintf(path, sizeof(path), "%s/%s", dir, file);
                if (!exists(path)) {
                        printf("not ok %u - %s: neither .args nor .err\n", ++tap_n, base);
                        c.failed++;
                        continue;
                }
                run_args_case(dir, base, file, &c);
        }
        free_list(files);
        run_networks(dir, &c);

        printf("1..%u\n", tap_n);
        printf("compat: %u cases matched, %u skipped (non-PCI), %u expected failures reproduced\n",
               c.matched, c.skipped, c.failures_reproduced);
        printf("compat: (%u of the matched cases have no PCI hostdev and no vfio-pci device); "
               "%u network pools parsed; %u failed\n",
               c.matched_empty, c.networks, c.failed);

        vfioctl_ctx_unref(ctx);
        xmlCleanupParser();
        return c.failed ? 1 : 0;
}
