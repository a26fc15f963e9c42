/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Boot-time reservations (DESIGN §3 rule 13):
 *
 *   vfioctl reserve DEV... [--group] [--driver NAME] [--now] [--force]
 *   vfioctl unreserve DEV... [--now]
 *   vfioctl boot [DEV]            (run by the udev rule and the systemd unit)
 *
 * and what list, show and status say about reserved devices.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cli.h"

static int reservations_error(struct cli *cli, int r)
{
        const char *msg = cli_errmsg(cli);

        print_error("%s", *msg ? msg : strerror(-r));
        if (r == -EACCES || r == -EROFS || r == -EPERM)
                fprintf(stderr, "Reservations are kept in %s: run as root, or name another "
                                "folder with --config-dir DIR (VFIOCTL_CONFIG_DIR).\n",
                        cli->config_dir);
        /* A file edited into nonsense is bad input; the rest is a refusal. */
        return r == -EBADMSG ? EXIT_USAGE : EXIT_REFUSED;
}

static int load(struct cli *cli, bool write, vfioctl_reservations **ret)
{
        int r = vfioctl_reservations_load(cli->ctx, cli->config_dir,
                                          write && !cli->dry_run ? VFIOCTL_RESERVATIONS_WRITE : 0,
                                          ret);

        return r < 0 ? reservations_error(cli, r) : EXIT_OK;
}

static bool report_has(vfioctl_report *report, enum vfioctl_action action)
{
        for (size_t i = 0; i < vfioctl_report_n_entries(report); i++)
                if (vfioctl_report_entry_at(report, i)->action == action)
                        return true;
        return false;
}

/* The ways out of the group rule: the library names the members, the tool the options. */
static void print_ways_out(struct cli *cli, vfioctl_report *report, bool group)
{
        if (cli->json || group || !report_has(report, VFIOCTL_ACTION_GROUP_MEMBER) ||
            !strstr(cli_errmsg(cli), "alone"))
                return;
        fprintf(stderr,
                "Ways out:\n"
                "  --group        reserve them too (at every boot they leave the host with it)\n"
                "  --driver kvm   only hold the device with pci-stub (legacy; no VFIO while the "
                "group is shared)\n"
                "  or move the card to a slot with an IOMMU group of its own\n");
}

/* The addresses the report says were reserved (the group's members included). */
static int reserved_addrs(vfioctl_report *report, struct vfioctl_pci_addr **ret, size_t *ret_n)
{
        size_t n = 0, total = vfioctl_report_n_entries(report);
        struct vfioctl_pci_addr *a = calloc(total ? total : 1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < total; i++) {
                const struct vfioctl_report_entry *e = vfioctl_report_entry_at(report, i);

                if (e->action == VFIOCTL_ACTION_RESERVED &&
                    vfioctl_pci_addr_parse(e->address, &a[n]) == 0)
                        n++;
        }
        *ret = a;
        *ret_n = n;
        return 0;
}

static void dry_run_note(struct cli *cli, vfioctl_reservations *res)
{
        if (cli->dry_run && !cli->json)
                print_note(cli, "(dry run: %s was not written)",
                           vfioctl_reservations_get_path(res));
}

/* A change (--now) or only the reservation file (a session for reading). */
static int begin(struct cli *cli, struct session *s, const struct device_command *dc)
{
        int r;

        if (dc->now)
                return session_begin_change(cli, s, dc->opts.timeout_ms);
        r = session_begin(cli, s, dc->opts.timeout_ms, false);
        if (r != EXIT_OK)
                session_end(s);
        return r;
}

/* What the check said would be reserved, now that it is detached: the
 * same devices by name (their group's members are on the stub now). */
static int write_checked(struct session *s, vfioctl_reservations *res,
                         const struct vfioctl_pci_addr *taken, size_t n,
                         const struct vfioctl_op_options *opts)
{
        struct vfioctl_op_options o = *opts;

        o.flags &= ~VFIOCTL_OP_GROUP;
        return vfioctl_reserve(s->host, res, taken, n, &o, NULL);
}

int cmd_reserve(struct cli *cli, int argc, char **argv)
{
        _cleanup_free_ struct vfioctl_pci_addr *taken = NULL;
        _cleanup_(vfioctl_reservations_unrefp) vfioctl_reservations *res = NULL;
        vfioctl_report *reserved = NULL;
        struct session s;
        size_t n_taken = 0;
        _cleanup_(device_command_clear) struct device_command dc = {};
        struct vfioctl_op_options check;
        int r, code;

        r = parse_device_command(cli, argc, argv,
                                 ARG_DRIVER | ARG_GROUP | ARG_NOW | ARG_FORCE | ARG_TIMEOUT, &dc);
        if (r != EXIT_OK)
                return r;

        r = load(cli, true, &res);
        if (r != EXIT_OK)
                return r;
        r = begin(cli, &s, &dc);
        if (r != EXIT_OK)
                return r;
        if (!dc.now) {
                r = vfioctl_reserve(s.host, res, dc.addrs, dc.n, &dc.opts, s.report);
                r = session_finish(&s, r);
                print_ways_out(cli, s.report, dc.opts.flags & VFIOCTL_OP_GROUP);
                if (r == EXIT_OK)
                        dry_run_note(cli, res);
                session_end(&s);
                return r;
        }
        /* --now: checked first, detached, and only then written, so that a
         * detach that is killed half way leaves no reservation behind
         * (recover puts the devices back; the file never said otherwise). */
        check = dc.opts;
        check.flags |= VFIOCTL_OP_CHECK;
        r = vfioctl_report_new(&reserved);
        if (r >= 0)
                r = vfioctl_reserve(s.host, res, dc.addrs, dc.n, &check, reserved);
        if (r < 0) {
                /* The refusal, with its per-device lines, as reserve alone says it. */
                vfioctl_report_free(s.report);
                s.report = TAKE_PTR(reserved);
                r = session_finish(&s, r);
                print_ways_out(cli, s.report, dc.opts.flags & VFIOCTL_OP_GROUP);
                session_end(&s);
                return r;
        }
        r = reserved_addrs(reserved, &taken, &n_taken);
        if (r >= 0)
                r = vfioctl_detach(s.host, s.st, taken, n_taken, &dc.opts, s.report);
        code = session_finish(&s, r);
        if (r < 0) {
                /* Not taken now: not reserved either, as if nothing happened. */
                if (code != EXIT_ATTENTION && !cli->dry_run && !cli->json)
                        print_note(cli, "Nothing was reserved either.");
        } else if (write_checked(&s, res, taken, n_taken, &dc.opts) < 0) {
                print_error("detached now, but the reservation could not be written: %s; "
                            "'vfioctl reserve' again (without --now), or 'vfioctl reattach'",
                            cli_errmsg(cli));
                code = EXIT_ATTENTION;
        }
        if (code == EXIT_OK && !cli->json && cli->verbosity >= 0)
                for (size_t i = 0; i < vfioctl_report_n_entries(reserved); i++) {
                        const struct vfioctl_report_entry *e = vfioctl_report_entry_at(reserved, i);

                        printf("%s reserved for %s from boot on\n", e->address, e->to);
                }
        if (code == EXIT_OK)
                dry_run_note(cli, res);
        vfioctl_report_free(reserved);
        session_end(&s);
        return code;
}

static int group_now(vfioctl_host *host, const struct vfioctl_pci_addr *a)
{
        vfioctl_device *dev;

        return vfioctl_host_get_device(host, a, &dev) < 0 ? -1
                                                          : vfioctl_device_get_group_number(dev);
}

/* The rest of a group stays reserved: at boot it is left alone while the
 * devices just unreserved are on host drivers. Say so, and what to run. */
static void note_group_left(struct cli *cli, vfioctl_host *host, vfioctl_reservations *res,
                            const struct vfioctl_pci_addr *addrs, size_t n)
{
        for (size_t i = 0; i < vfioctl_reservations_n(res) && !cli->json; i++) {
                const struct vfioctl_reservation *e = vfioctl_reservations_at(res, i);
                struct vfioctl_pci_addr a;
                int g;

                if (vfioctl_pci_addr_parse(e->address, &a) < 0 || (g = group_now(host, &a)) < 0)
                        continue;
                for (size_t j = 0; j < n; j++)
                        if (group_now(host, &addrs[j]) == g) {
                                print_note(cli, "Note: %s, in the same IOMMU group %d, stays "
                                                "reserved; at boot it is left alone while the "
                                                "group has devices on host drivers ('vfioctl "
                                                "unreserve %s' drops it too)",
                                           e->address, g, e->address);
                                break;
                        }
        }
}

int cmd_unreserve(struct cli *cli, int argc, char **argv)
{
        _cleanup_(vfioctl_reservations_unrefp) vfioctl_reservations *res = NULL;
        struct session s;
        _cleanup_(device_command_clear) struct device_command dc = {};
        int r;

        r = parse_device_command(cli, argc, argv, ARG_NOW | ARG_TIMEOUT, &dc);
        if (r != EXIT_OK)
                return r;

        r = load(cli, true, &res);
        if (r != EXIT_OK)
                return r;
        for (size_t i = 0; i < dc.n; i++)
                if (!vfioctl_reservations_find(res, &dc.addrs[i])) {
                        char buf[VFIOCTL_PCI_ADDR_MAX];

                        print_error("%s is not reserved (%s has no entry for it); nothing was "
                                    "changed. 'vfioctl status' lists the reservations",
                                    vfioctl_pci_addr_format(&dc.addrs[i], buf),
                                    vfioctl_reservations_get_path(res));
                        return EXIT_USAGE;
                }
        r = begin(cli, &s, &dc);
        if (r != EXIT_OK)
                return r;
        /* Given back first: a device that cannot go back stays reserved. */
        r = dc.now ? vfioctl_reattach(s.host, s.st, dc.addrs, dc.n, &dc.opts, s.report) : 0;
        if (r >= 0)
                r = vfioctl_unreserve(res, dc.addrs, dc.n, s.report);
        r = session_finish(&s, r);
        if (r == EXIT_OK) {
                dry_run_note(cli, res);
                note_group_left(cli, s.host, res, dc.addrs, dc.n);
        }
        session_end(&s);
        return r;
}

/*
 * Under udev (SEQNUM) or systemd (JOURNAL_STREAM) stderr is not read by a
 * person: what was left alone also goes to syslog, so the journal has it.
 */
static void log_not_applied(vfioctl_report *report)
{
        bool opened = false;

        if (!getenv("SEQNUM") && !getenv("JOURNAL_STREAM"))
                return;
        for (size_t i = 0; i < vfioctl_report_n_entries(report); i++) {
                const struct vfioctl_report_entry *e = vfioctl_report_entry_at(report, i);

                if (e->action != VFIOCTL_ACTION_NOT_APPLIED && e->action != VFIOCTL_ACTION_STUCK)
                        continue;
                if (!opened) {
                        openlog("vfioctl", LOG_PID, LOG_DAEMON);
                        opened = true;
                }
                syslog(LOG_WARNING, "boot: %s: %s", e->address, e->detail ? e->detail : "");
        }
        if (opened)
                closelog();
}

int cmd_boot(struct cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                { "timeout", required_argument, NULL, 't' },
                {}
        };
        struct vfioctl_op_options opts = { .timeout_ms = DEFAULT_TIMEOUT_MS };
        _cleanup_(vfioctl_reservations_unrefp) vfioctl_reservations *res = NULL;
        struct vfioctl_pci_addr addr;
        bool one = false;
        struct session s;
        int c, r;

        while ((c = cli_getopt(cli, argc, argv, "t:", options)) >= 0) {
                switch (c) {
                case 't':
                        if (parse_timeout(optarg, &opts.timeout_ms) != 0)
                                return EXIT_USAGE;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        if (argc - optind > 1)
                return usage_error("boot", "boot takes at most one device (got %d)", argc - optind);
        if (optind < argc) {
                if (parse_device_arg(argv[optind], &addr) < 0)
                        return EXIT_USAGE;
                one = true;
        }

        r = load(cli, false, &res);
        if (r != EXIT_OK)
                return r;
        /* udev runs this for every PCI device: one that is not reserved costs
         * a file read, and neither the state nor the lock. */
        if ((one && !vfioctl_reservations_find(res, &addr)) || vfioctl_reservations_n(res) == 0) {
                if (cli->json)
                        printf("{\n  \"outcome\": \"done\",\n  \"error\": null,\n  \"devices\": []\n}\n");
                else if (cli->verbosity > 0)
                        print_note(cli, "nothing reserved%s", one ? " at that address" : "");
                return EXIT_OK;
        }
        r = session_begin_change(cli, &s, opts.timeout_ms);
        if (r != EXIT_OK)
                return r;
        r = vfioctl_boot(s.host, s.st, res, one ? &addr : NULL, &opts, s.report);
        log_not_applied(s.report);
        r = session_finish(&s, r);
        session_end(&s);
        return r;
}

/* ------------------------------------------------------------------ */
/* What list, show and status say                                      */

vfioctl_reservations *cli_reservations(struct cli *cli)
{
        if (!cli->reservations_loaded) {
                cli->reservations_loaded = true;
                if (vfioctl_reservations_load(cli->ctx, cli->config_dir, 0, &cli->reservations) < 0) {
                        /* Listing still works; say once why reservations are missing. */
                        print_error("warning: reservations not shown: %s",
                                    cli_errmsg(cli));
                        cli->reservations = NULL;
                }
        }
        return cli->reservations;
}

void cli_free_reservations(struct cli *cli)
{
        cli->reservations = vfioctl_reservations_unref(cli->reservations);
}

const struct vfioctl_reservation *device_reservation(struct cli *cli, vfioctl_device *dev,
                                                     bool *ret_honoured, char *why, size_t size)
{
        vfioctl_reservations *res = cli_reservations(cli);
        const struct vfioctl_reservation *e;
        const char *override = NULL;
        int v;

        e = res ? vfioctl_reservations_find(res, vfioctl_device_get_addr(dev)) : NULL;
        if (!e)
                return NULL;
        *why = '\0';
        (void) vfioctl_device_get_driver_override(dev, &override);
        /* Honoured: on its stub, or held for it by driver_override until the stub loads. */
        *ret_honoured = streq_ptr(vfioctl_device_get_driver(dev), e->driver) ||
                        (!vfioctl_device_get_driver(dev) && streq_ptr(override, e->driver));
        if (*ret_honoured || !cli->res_host)
                return e;
        v = vfioctl_reservation_check(cli->res_host, res, e, why, size);
        if (v == VFIOCTL_RESERVATION_APPLIES)
                snprintf(why, size, "not applied ('vfioctl boot' has not run for it)");
        else if (v < 0)
                snprintf(why, size, "%s", cli_errmsg(cli));
        return e;
}

json_t *reservation_json(struct cli *cli, vfioctl_device *dev)
{
        const struct vfioctl_reservation *e;
        bool honoured = false;
        char why[512];
        json_t *o;

        e = device_reservation(cli, dev, &honoured, why, sizeof(why));
        if (!e)
                return NULL;
        o = json_object();
        json_object_set_new(o, "driver", json_string(e->driver));
        json_object_set_new(o, "honoured", json_boolean(honoured));
        json_object_set_new(o, "why", !honoured && *why ? json_string(why) : json_null());
        return o;
}

const char *reservation_word(struct cli *cli, vfioctl_device *dev)
{
        bool honoured = false;
        char why[512];

        if (!device_reservation(cli, dev, &honoured, why, sizeof(why)))
                return NULL;
        return honoured ? "reserved" : "reserved, NOT honoured";
}
