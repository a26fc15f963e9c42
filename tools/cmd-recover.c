/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl recover [--timeout S]: roll back whatever an interrupted
 * command left half done. Every changing command does this first too.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

/* Guests whose QEMU is gone give their devices back (DESIGN §5). */
static int release_dead(struct cli *cli, struct session *s, unsigned timeout_ms)
{
        struct vfioctl_op_options opts = { .timeout_ms = timeout_ms };
        _cleanup_(names_freep) char **names = NULL;
        int r;

        if (vfioctl_guest_list(s->st, &names) < 0)
                return 0;
        for (char **n = names; *n; n++) {
                vfioctl_guest *g = NULL;

                if (vfioctl_guest_load(s->st, *n, &g) < 0)
                        continue;
                if (!vfioctl_guest_is_alive(g) && !cli->json)
                        print_note(cli, "guest '%s': its QEMU (pid %d) is gone; releasing it", *n,
                                   vfioctl_guest_get_pid(g));
                vfioctl_guest_unref(g);
        }
        r = vfioctl_release_dead(s->host, s->st, &opts, s->report);
        return r < 0 ? r : 0;
}

int cmd_recover(struct cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                { "timeout", required_argument, NULL, 't' },
                {}
        };
        unsigned timeout_ms = DEFAULT_TIMEOUT_MS;
        vfioctl_journal *ops;
        struct session s;
        bool undone;
        int c, r;

        while ((c = cli_getopt(cli, argc, argv, "t:", options)) >= 0) {
                if (c != 't')
                        return EXIT_USAGE;
                if (parse_timeout(optarg, &timeout_ms) != 0)
                        return EXIT_USAGE;
        }
        if (optind < argc)
                return usage_error("recover", "recover takes no arguments");
        if (cli->dry_run)
                return usage_error("recover", "recover has no --dry-run: 'vfioctl status' shows "
                                              "what is unfinished");

        r = session_begin(cli, &s, timeout_ms, true);
        if (r != EXIT_OK) {
                session_end(&s);
                return r;
        }
        ops = session_pending(&s);
        r = vfioctl_recover(s.host, s.st, timeout_ms, s.report);
        undone = r > 0 || (r == 0 && vfioctl_report_n_entries(s.report) > 0);
        if (undone)
                session_name_undone(&s, ops, s.report);
        vfioctl_journal_unref(ops);
        if (r >= 0)
                r = release_dead(cli, &s, timeout_ms);
        if (r == 0 && !undone && vfioctl_report_n_entries(s.report) == 0 && !cli->json)
                print_note(cli, "nothing to recover");
        r = session_finish(&s, r < 0 ? r : 0);
        session_end(&s);
        return r;
}
