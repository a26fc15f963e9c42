/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl release GUEST [DEV...] [--timeout S]: the guest gives back its
 * devices (all, or the ones named); what vfioctl detached for it goes
 * back to the host, a group at a time.
 */
#include <errno.h>
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
        _cleanup_(device_command_clear) struct device_command dc = {};
        struct session s;
        bool some;
        int r;

        r = parse_device_command(cli, argc, argv, ARG_GUEST | ARG_ALL | ARG_TIMEOUT, &dc);
        if (r != EXIT_OK)
                return r;
        r = session_begin_change(cli, &s, dc.opts.timeout_ms);
        if (r != EXIT_OK)
                return r;
        if (dc.all) {
                r = session_finish(&s, release_all(cli, &s, &dc.opts));
                session_end(&s);
                return r;
        }
        some = owns_something(&s, dc.guest);
        r = vfioctl_release(s.host, s.st, dc.guest, dc.addrs, dc.n, &dc.opts, s.report);
        if (r >= 0 && !some && dc.n == 0 && !cli->json)
                print_note(cli, "guest '%s' owns nothing; nothing to release", dc.guest);
        r = session_finish(&s, r);
        if (r == EXIT_OK && some && !cli->json && !cli->dry_run && !owns_something(&s, dc.guest))
                print_note(cli, "guest '%s' released", dc.guest);
        session_end(&s);
        return r;
}
