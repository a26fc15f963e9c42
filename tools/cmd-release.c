/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl release GUEST [DEV...] [--timeout S]: the guest gives back its
 * devices (all, or the ones named); what vfioctl detached for it goes
 * back to the host, a group at a time.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* Whether the guest owns anything now (a missing guest owns nothing). */
static bool owns_something(struct session *s, const char *guest)
{
        vfioctl_guest *g = NULL;
        bool some;

        if (vfioctl_guest_load(s->st, guest, &g) < 0)
                return false;
        some = vfioctl_guest_n_devices(g) > 0;
        vfioctl_guest_unref(g);
        return some;
}

/* --all: every guest the state knows, one after the other, under one lock. */
static int release_all(struct cli *cli, struct session *s, const struct vfioctl_op_options *opts)
{
        _cleanup_(names_freep) char **names = NULL;
        size_t n = 0;
        int r;

        r = vfioctl_guest_list(s->st, &names);
        if (r < 0)
                return r;
        for (char **g = names; g && *g; g++, n++) {
                r = vfioctl_release(s->host, s->st, *g, NULL, 0, opts, s->report);
                if (r < 0)
                        return r;
                if (!cli->json && !cli->dry_run)
                        print_note(cli, "guest '%s' released", *g);
        }
        if (n == 0 && !cli->json)
                print_note(cli, "no guest owns anything; nothing to release");
        return 0;
}

int cmd_release(struct cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { "timeout", required_argument, NULL, 't' },
                {}
        };
        struct vfioctl_op_options opts = { .timeout_ms = DEFAULT_TIMEOUT_MS };
        _cleanup_free_ struct vfioctl_pci_addr *addrs = NULL;
        const char *guest;
        struct session s;
        size_t n = 0;
        bool some, all = false;
        int c, r;

        while ((c = cli_getopt(cli, argc, argv, "at:", options)) >= 0) {
                switch (c) {
                case 'a':
                        all = true;
                        break;
                case 't':
                        if (parse_timeout(optarg, &opts.timeout_ms) != 0)
                                return EXIT_USAGE;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        if (all) {
                if (optind < argc)
                        return usage_error(NULL, "give a guest or --all, not both");
                r = session_begin_change(cli, &s, opts.timeout_ms);
                if (r != EXIT_OK)
                        return r;
                r = session_finish(&s, release_all(cli, &s, &opts));
                session_end(&s);
                return r;
        }
        if (optind >= argc)
                return usage_error("release", "release needs the guest's name (or --all)");
        guest = argv[optind++];
        if (optind < argc && parse_device_args(argc, argv, &addrs, &n) < 0)
                return EXIT_USAGE;

        r = session_begin_change(cli, &s, opts.timeout_ms);
        if (r != EXIT_OK)
                return r;
        some = owns_something(&s, guest);
        r = vfioctl_release(s.host, s.st, guest, addrs, n, &opts, s.report);
        if (r >= 0 && !some && n == 0 && !cli->json)
                print_note(cli, "guest '%s' owns nothing; nothing to release", guest);
        r = session_finish(&s, r);
        if (r == EXIT_OK && some && !cli->json && !cli->dry_run && !owns_something(&s, guest))
                print_note(cli, "guest '%s' released", guest);
        session_end(&s);
        return r;
}
