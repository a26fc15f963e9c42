/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl assign GUEST (--xml FILE|-) [--libvirt] [--network FILE]... [--network-dir DIR]
 *                      [--pid PID] [--print-qemu-args] [--iommufd] [--force]
 * vfioctl assign GUEST DEV... [--group auto] [--unmanaged] [...]
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define XML_MAX (16u << 20)

/* Where libvirt keeps the definitions of its persistent networks. */
#define LIBVIRT_NETWORK_DIR "/etc/libvirt/qemu/networks"

struct assign_args {
        const char *guest;
        const char *xml_file;
        const char **networks;
        size_t n_networks;
        bool print_args;
        bool iommufd;
        bool libvirt;
        const char *network_dir;
        unsigned flags; /* VFIOCTL_ASSIGN_* for the short form */
};

/* A whole file (or standard input for "-") as a string. */
static int read_xml(const char *path, char **ret)
{
        FILE *f = streq(path, "-") ? stdin : fopen(path, "re");
        char *buf = NULL;
        size_t size = 0, len = 0;

        if (!f) {
                print_error("cannot read %s: %m", path);
                return -errno;
        }
        for (;;) {
                size_t n;

                if (len + 1 >= size) {
                        char *nb = size >= XML_MAX ? NULL : realloc(buf, size ? size * 2 : 65536);

                        if (!nb) {
                                print_error("%s: too large for a guest definition (at most "
                                            "16 MiB)", path);
                                free(buf);
                                if (f != stdin)
                                        fclose(f);
                                return -EFBIG;
                        }
                        buf = nb;
                        size = size ? size * 2 : 65536;
                }
                n = fread(buf + len, 1, size - len - 1, f);
                len += n;
                if (n == 0)
                        break;
        }
        buf[len] = '\0';
        if (ferror(f)) {
                print_error("cannot read %s", path);
                free(buf);
                buf = NULL;
        }
        if (f != stdin)
                fclose(f);
        if (!buf)
                return -EIO;
        /* The parser would stop at a NUL and silently drop the rest. */
        if (memchr(buf, '\0', len)) {
                print_error("%s: contains a NUL byte (at offset %zu): a guest definition is "
                            "XML text; give the domain XML itself (virsh dumpxml GUEST)",
                            path, (size_t) ((char *) memchr(buf, '\0', len) - buf));
                free(buf);
                return -EBADMSG;
        }
        *ret = buf;
        return 0;
}

/* The line `$(vfioctl qemu-args GUEST)` splits into the arguments again. */
int print_qemu_args(FILE *f, char **args)
{
        for (char **a = args; a && *a; a++)
                for (const char *c = *a; *c; c++)
                        if (isspace((unsigned char) *c)) {
                                print_error("argument '%s' holds whitespace, so it cannot be "
                                            "given on one line: use --json", *a);
                                return -EINVAL;
                        }
        for (char **a = args; a && *a; a++)
                fprintf(f, "%s%s", a == args ? "" : " ", *a);
        if (args && *args)
                fputc('\n', f);
        return 0;
}

json_t *qemu_args_json(char **args)
{
        json_t *a = json_array();

        for (char **s = args; s && *s; s++)
                json_array_append_new(a, json_string(*s));
        return a;
}

static const char *role_word(enum vfioctl_role role)
{
        return role == VFIOCTL_ROLE_ASSIGNED ? "assigned" : "held";
}

static void print_done(struct cli *cli, FILE *f, vfioctl_report *report)
{
        for (size_t i = 0; i < vfioctl_report_n_entries(report) && cli->verbosity >= 0; i++) {
                const struct vfioctl_report_entry *e = vfioctl_report_entry_at(report, i);

                if (e->action == VFIOCTL_ACTION_DETACHED)
                        fprintf(f, "%s %s: %s -> %s\n", e->address,
                                cli->dry_run ? "would detach" : "detached",
                                e->from ? e->from : "no driver", e->to ? e->to : "unbound");
        }
        /* Rule 10: after the detaches, as they happened. */
        for (size_t i = 0; i < vfioctl_report_n_entries(report) && cli->verbosity >= 0; i++) {
                const struct vfioctl_report_entry *e = vfioctl_report_entry_at(report, i);

                if (e->action == VFIOCTL_ACTION_NET_SET)
                        print_net_entry(f, cli, e);
                else if (e->action == VFIOCTL_ACTION_NOT_APPLIED)
                        print_note(cli, "vfioctl: note: %s", e->detail);
        }
}

static void print_guest(struct cli *cli, FILE *f, vfioctl_guest *g)
{
        _cleanup_(table_freep) struct table *t = NULL;
        char group[16];

        if (cli->verbosity < 0)
                return;
        if (vfioctl_guest_n_devices(g) == 0) {
                fprintf(f, "guest '%s': no PCI host devices to assign; nothing changed\n",
                        vfioctl_guest_get_name(g));
                return;
        }
        fprintf(f, "guest '%s' %s:\n", vfioctl_guest_get_name(g),
                cli->dry_run ? "would own (dry run: nothing was changed)" : "owns");
        t = table_new(4, "  DEVICE", "GROUP", "ROLE", "ID");
        for (size_t i = 0; i < vfioctl_guest_n_devices(g); i++) {
                const struct vfioctl_guest_device *d = vfioctl_guest_device_at(g, i);
                char dev[32];

                snprintf(dev, sizeof(dev), "  %s", d->address);
                snprintf(group, sizeof(group), "%d", d->group);
                table_add(t, dev);
                table_add(t, d->group >= 0 ? group : "-");
                table_add(t, role_word(d->role));
                table_add(t, d->id ? d->id : "-");
        }
        table_print(t, f);
}

static void warn_skipped(struct cli *cli, vfioctl_guest *g)
{
        vfioctl_guest_def *def = vfioctl_guest_get_def(g);

        for (size_t i = 0; i < vfioctl_guest_def_n_skipped(def); i++)
                print_note(cli, "vfioctl: warning: %s: not a PCI device: unsupported by vfioctl, "
                                "not assigned (libvirt handles it itself)",
                           vfioctl_guest_def_skipped_at(def, i));
}

/* The interfaces on networks that are no hostdev pool, which libvirt connects. */
static void note_ignored_networks(struct cli *cli, const struct assign_args *a, vfioctl_guest *g)
{
        vfioctl_guest_def *def = vfioctl_guest_get_def(g);

        for (size_t i = 0; i < vfioctl_guest_def_n_hostdevs(def); i++) {
                vfioctl_guest_hostdev *h = vfioctl_guest_def_hostdev_at(def, i);
                const char *net = vfioctl_guest_hostdev_get_network(h);
                _cleanup_free_ char *path = NULL;
                bool defined;

                if (!net || !vfioctl_guest_hostdev_is_ignored(h))
                        continue;
                defined = false;
                if (a->network_dir) {
                        if (asprintf(&path, "%s/%s.xml", a->network_dir, net) < 0)
                                continue;
                        defined = access(path, F_OK) == 0;
                }
                if (defined && !a->libvirt)
                        continue; /* the user gave it: an ordinary network, as expected */
                if (a->libvirt)
                        print_note(cli, "vfioctl: note: line %u: <interface type='network'>: "
                                        "network '%s' %s, so libvirt connects this interface "
                                        "itself",
                                   vfioctl_guest_hostdev_get_line(h), net,
                                   defined ? "is no hostdev pool"
                                           : "has no definition in the network folder "
                                             "(a transient network?)");
                else
                        print_note(cli, "vfioctl: note: line %u: <interface type='network'>: "
                                        "network '%s' is an ordinary network or is not defined "
                                        "here, so vfioctl gives this interface no device "
                                        "(libvirt connects it); if it is a hostdev pool, give "
                                        "its XML with --network FILE or --network-dir DIR",
                                   vfioctl_guest_hostdev_get_line(h), net);
        }
}

static json_t *int_or_null(int v)
{
        return v >= 0 ? json_integer(v) : json_null();
}

static json_t *mac_or_null(const char *mac)
{
        return *mac ? json_string(mac) : json_null();
}

/* Rule 10: "vf_net": what each VF's MAC/VLAN were set to through its PF. */
json_t *vf_net_json(vfioctl_guest *g)
{
        json_t *a = json_array();

        for (size_t i = 0; i < vfioctl_guest_n_vf_nets(g); i++) {
                const struct vfioctl_vf_net *n = vfioctl_guest_vf_net_at(g, i);

                json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:o, s:i, s:o, s:o, s:b}",
                                                   "address", n->address, "pf", n->pf, "vf",
                                                   (int) n->vf, "mac", mac_or_null(n->mac),
                                                   "vlan", n->vlan, "original_mac",
                                                   mac_or_null(n->original_mac),
                                                   "original_vlan",
                                                   int_or_null(n->original_vlan), "applied",
                                                   n->applied));
        }
        return a;
}

static json_t *assign_json(struct session *s, vfioctl_guest *g, char **args)
{
        json_t *doc = json_object(), *devs = json_array(), *skipped = json_array();
        vfioctl_guest_def *def = vfioctl_guest_get_def(g);

        for (size_t i = 0; i < vfioctl_guest_n_devices(g); i++) {
                const struct vfioctl_guest_device *d = vfioctl_guest_device_at(g, i);
                json_t *o = json_object();

                json_object_set_new(o, "address", json_string(d->address));
                json_object_set_new(o, "group", d->group >= 0 ? json_integer(d->group)
                                                              : json_null());
                json_object_set_new(o, "assigned", json_boolean(d->role == VFIOCTL_ROLE_ASSIGNED));
                json_object_set_new(o, "state", json_string(role_word(d->role)));
                json_object_set_new(o, "id", d->id ? json_string(d->id) : json_null());
                json_array_append_new(devs, o);
        }
        for (size_t i = 0; i < vfioctl_guest_def_n_skipped(def); i++)
                json_array_append_new(skipped, json_string(vfioctl_guest_def_skipped_at(def, i)));
        json_object_set_new(doc, "guest", json_string(vfioctl_guest_get_name(g)));
        json_object_set_new(doc, "dry_run", json_boolean(s->cli->dry_run));
        json_object_set_new(doc, "devices", devs);
        json_object_set_new(doc, "qemu_args", qemu_args_json(args));
        json_object_set_new(doc, "vf_net", vf_net_json(g));
        json_object_set_new(doc, "unsupported", skipped);
        if (s->writes)
                json_object_set(doc, "writes", s->writes);
        return doc;
}

/* Prints what was done; returns the exit code. */
static int assign_output(struct session *s, const struct assign_args *a, vfioctl_guest *g)
{
        _cleanup_(vfioctl_qemu_args_freep) char **args = NULL;
        struct cli *cli = s->cli;
        FILE *f = a->print_args ? stderr : stdout;
        int r;

        r = vfioctl_guest_qemu_args(g, a->iommufd ? VFIOCTL_QEMU_IOMMUFD : 0, &args);
        if (r < 0)
                return lib_error(cli, r, EXIT_ATTENTION, "QEMU arguments");
        warn_skipped(cli, g);
        note_ignored_networks(cli, a, g);
        if (cli->json) {
                json_t *doc = assign_json(s, g, args);

                json_print(doc);
                json_decref(doc);
                return EXIT_OK;
        }
        print_done(cli, f, s->report);
        print_guest(cli, f, g);
        if (a->print_args)
                return print_qemu_args(stdout, args) < 0 ? EXIT_REFUSED : EXIT_OK;
        if (cli->dry_run && args && *args) {
                printf("QEMU arguments: ");
                if (print_qemu_args(stdout, args) < 0)
                        return EXIT_REFUSED;
        }
        return EXIT_OK;
}

/* A definition refused before the lock, said as a refused assign says it (exit 2). */
static int definition_invalid(struct cli *cli, const char *msg)
{
        json_t *doc;

        if (!cli->json) {
                print_error("%s", *msg ? msg : "the guest definition is not valid");
                return EXIT_USAGE;
        }
        doc = json_pack("{s:s, s:s?, s:[]}", "outcome", "invalid", "error", *msg ? msg : NULL,
                        "devices");
        if (doc && cli->dry_run)
                json_object_set_new(doc, "writes", json_array());
        json_print(doc);
        json_decref(doc);
        return EXIT_USAGE;
}

/*
 * What `vfioctl qemu-args` could not print later: it prints the arguments
 * on one line for $(...), so none may hold whitespace, and of what goes
 * into them only a <rom file> path can (issue 8 item 16).
 */
static int check_printable(struct cli *cli, vfioctl_guest_def *def)
{
        char msg[1024];

        for (size_t i = 0; i < vfioctl_guest_def_n_hostdevs(def); i++) {
                vfioctl_guest_hostdev *h = vfioctl_guest_def_hostdev_at(def, i);
                const char *rom = vfioctl_guest_hostdev_get_rom_file(h);

                if (!rom || !vfioctl_guest_hostdev_is_assigned(h))
                        continue;
                for (const char *c = rom; *c; c++)
                        if (isspace((unsigned char) *c)) {
                                snprintf(msg, sizeof(msg),
                                         "line %u: %s: <rom file='%s'>: the path holds "
                                         "whitespace, which the QEMU arguments ('vfioctl "
                                         "qemu-args', one line for $(...)) cannot carry; "
                                         "nothing was changed. Give the ROM a path without "
                                         "spaces (a symbolic link to it will do)",
                                         vfioctl_guest_hostdev_get_line(h),
                                         vfioctl_guest_hostdev_get_element(h), rom);
                                return definition_invalid(cli, msg);
                        }
        }
        return EXIT_OK;
}

/*
 * The definition is parsed and checked before the state is locked: a
 * large one takes a while, and a concurrent command should not wait for
 * it (nor give up waiting).
 */
static int run_assign(struct cli *cli, const struct assign_args *a, const char *xml,
                      struct vfioctl_assign_options *opts)
{
        _cleanup_(vfioctl_guest_def_unrefp) vfioctl_guest_def *def = NULL;
        vfioctl_guest *g = NULL;
        struct session s;
        int r;

        r = vfioctl_guest_def_new_from_string(cli->ctx, xml, a->guest,
                                              VFIOCTL_GUEST_PARSE_SKIP_NON_PCI, &def);
        if (r < 0)
                return definition_invalid(cli, vfioctl_ctx_errmsg(cli->ctx));
        r = check_printable(cli, def);
        if (r != EXIT_OK)
                return r;
        r = session_begin_change(cli, &s, opts->timeout_ms);
        if (r != EXIT_OK)
                return r;
        r = vfioctl_assign_def(s.host, s.st, def, opts, s.report, &g);
        if (r < 0 || vfioctl_report_get_outcome(s.report) != VFIOCTL_OUTCOME_DONE)
                r = session_finish(&s, r);
        else
                r = assign_output(&s, a, g);
        vfioctl_guest_unref(g);
        session_end(&s);
        return r;
}

/* assign GUEST --pid PID on a guest that owns its devices: the pid, nothing else. */
static int run_set_pid(struct cli *cli, const char *guest, int pid)
{
        struct session s;
        int r;

        r = session_begin_change(cli, &s, DEFAULT_TIMEOUT_MS);
        if (r != EXIT_OK)
                return r;
        if (cli->dry_run) {
                print_note(cli, "guest '%s': would record QEMU's pid %d (dry run: nothing was "
                                "changed)", guest, pid);
                r = EXIT_OK;
        } else {
                r = vfioctl_guest_set_pid(s.st, guest, pid);
                r = r == -ENOENT ? lib_error(cli, r, EXIT_USAGE, "pid")
                    : r < 0      ? lib_error(cli, r, EXIT_REFUSED, "pid")
                                 : EXIT_OK;
        }
        if (r == EXIT_OK && cli->json) {
                json_t *doc = json_pack("{s:s, s:i, s:b}", "guest", guest, "pid", pid,
                                        "dry_run", cli->dry_run);

                json_print(doc);
                json_decref(doc);
        } else if (r == EXIT_OK && !cli->dry_run)
                print_note(cli, "guest '%s': QEMU's pid %d recorded", guest, pid);
        session_end(&s);
        return r;
}

static int parse_pid(const char *arg, int *ret)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(arg, &end, 10);
        if (errno || end == arg || *end || v <= 0 || v > 4194304)
                return usage_error("assign", "--pid takes a process id, not '%.20s'", arg);
        *ret = (int) v;
        return 0;
}

int cmd_assign(struct cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                { "xml", required_argument, NULL, 'x' },
                { "libvirt", no_argument, NULL, 'L' },
                { "network", required_argument, NULL, 'N' },
                { "network-dir", required_argument, NULL, 'D' },
                { "pid", required_argument, NULL, 'p' },
                { "group", required_argument, NULL, 'g' },
                { "unmanaged", no_argument, NULL, 'u' },
                { "print-qemu-args", no_argument, NULL, 'P' },
                { "iommufd", no_argument, NULL, 'I' },
                { "force", no_argument, NULL, 'f' },
                { "timeout", required_argument, NULL, 't' },
                {}
        };
        struct vfioctl_assign_options opts = { .timeout_ms = DEFAULT_TIMEOUT_MS };
        _cleanup_free_ struct vfioctl_pci_addr *addrs = NULL;
        _cleanup_free_ const char **networks = NULL;
        _cleanup_free_ char *xml = NULL;
        struct assign_args a = {};
        size_t n_networks = 0, n = 0;
        int c, r;

        networks = calloc(argc + 1, sizeof(char *));
        if (!networks)
                return EXIT_REFUSED;
        while ((c = cli_getopt(cli, argc, argv, "x:LN:D:p:g:uPIft:", options)) >= 0) {
                switch (c) {
                case 'x':
                        a.xml_file = optarg;
                        break;
                case 'L':
                        a.libvirt = true;
                        opts.flags |= VFIOCTL_OP_LIBVIRT;
                        break;
                case 'N':
                        networks[n_networks++] = optarg;
                        break;
                case 'D':
                        opts.network_dir = optarg;
                        break;
                case 'p':
                        if (parse_pid(optarg, &opts.pid) != 0)
                                return EXIT_USAGE;
                        break;
                case 'g':
                        if (!streq(optarg, "auto") && !streq(optarg, "allow"))
                                return usage_error("assign", "--group takes 'auto' (detach and "
                                                   "hold the group members in VFIO's way), not "
                                                   "'%.20s'", optarg);
                        a.flags |= VFIOCTL_ASSIGN_GROUP_AUTO;
                        break;
                case 'u':
                        a.flags |= VFIOCTL_ASSIGN_UNMANAGED;
                        break;
                case 'P':
                        a.print_args = true;
                        cli->stdout_is_data = true;
                        break;
                case 'I':
                        a.iommufd = true;
                        break;
                case 'f':
                        opts.flags |= VFIOCTL_OP_FORCE;
                        break;
                case 't':
                        if (parse_timeout(optarg, &opts.timeout_ms) != 0)
                                return EXIT_USAGE;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc)
                return usage_error("assign", "assign needs the guest's name");
        a.guest = argv[optind++];
        if (!*a.guest)
                return usage_error("assign", "the guest's name is empty");
        if (a.xml_file && optind < argc)
                return usage_error("assign", "give the devices either in --xml or as addresses, "
                                             "not both");
        if (!a.xml_file && optind >= argc && opts.pid && !a.libvirt && !a.flags &&
            !n_networks && !opts.network_dir && !a.print_args)
                return run_set_pid(cli, a.guest, opts.pid);
        if (!a.xml_file && optind >= argc)
                return usage_error("assign", "assign needs --xml FILE (or -), or device "
                                             "addresses");
        if (a.libvirt && !a.xml_file)
                return usage_error("assign", "--libvirt reads a libvirt domain: give its XML "
                                             "with --xml FILE (or - for standard input, as "
                                             "libvirt's hook does)");
        if (a.libvirt && !opts.network_dir)
                opts.network_dir = LIBVIRT_NETWORK_DIR;
        a.network_dir = opts.network_dir;
        if (a.xml_file && a.flags)
                return usage_error("assign", "--group and --unmanaged are for the short form "
                                             "(devices as addresses); in XML use "
                                             "<driver name='vfio' group='auto'/> and "
                                             "managed='no'");
        if (a.xml_file)
                r = read_xml(a.xml_file, &xml);
        else {
                r = parse_device_args(argc, argv, &addrs, &n);
                if (r >= 0)
                        r = vfioctl_guest_xml_for_devices(addrs, n, a.flags, &xml);
                /* We wrote that definition: its line numbers mean nothing to the user. */
                cli->errmsg_without_position = true;
        }
        if (r < 0)
                return EXIT_USAGE;
        opts.network_files = networks;
        opts.n_network_files = n_networks;
        return run_assign(cli, &a, xml, &opts);
}
