/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl detach DEV... [--driver NAME] [--group] [--force] [--timeout S]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cmd_detach(struct cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                { "driver", required_argument, NULL, 'd' },
                { "group", no_argument, NULL, 'g' },
                { "force", no_argument, NULL, 'f' },
                { "timeout", required_argument, NULL, 't' },
                {}
        };
        struct vfioctl_op_options opts = { .timeout_ms = DEFAULT_TIMEOUT_MS };
        _cleanup_free_ struct vfioctl_pci_addr *addrs = NULL;
        struct session s;
        size_t n;
        int c, r;

        while ((c = cli_getopt(cli, argc, argv, "d:gft:", options)) >= 0) {
                switch (c) {
                case 'd':
                        opts.driver = optarg;
                        break;
                case 'g':
                        opts.flags |= VFIOCTL_OP_GROUP;
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
        r = parse_device_args(argc, argv, &addrs, &n);
        if (r == -EINVAL && optind >= argc)
                return usage_error("detach", "detach needs at least one device address");
        if (r < 0)
                return EXIT_USAGE;

        r = session_begin_change(cli, &s, opts.timeout_ms);
        if (r != EXIT_OK)
                return r;
        r = vfioctl_detach(s.host, s.st, addrs, n, &opts, s.report);
        r = session_finish(&s, r);
        session_end(&s);
        return r;
}
