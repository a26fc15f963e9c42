/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl detach DEV... [--driver NAME] [--group] [--force] [--timeout S]
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cmd_detach(struct cli *cli, int argc, char **argv)
{
        _cleanup_(device_command_clear) struct device_command dc = {};
        struct session s;
        int r;

        r = parse_device_command(cli, argc, argv, ARG_DRIVER | ARG_GROUP | ARG_FORCE | ARG_TIMEOUT,
                                 &dc);
        if (r != EXIT_OK)
                return r;
        r = session_begin_change(cli, &s, dc.opts.timeout_ms);
        if (r != EXIT_OK)
                return r;
        r = vfioctl_detach(s.host, s.st, dc.addrs, dc.n, &dc.opts, s.report);
        r = session_finish(&s, r);
        session_end(&s);
        return r;
}
