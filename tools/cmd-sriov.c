/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl sriov PF N [--driver NAME] [--timeout S]   (DESIGN §3 rule 10)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* The kernel can take seconds per VF: say how far it got, on stderr. */
static void vfs_appearing(void *userdata, unsigned have, unsigned want)
{
        struct cli *cli = userdata;

        if (cli->verbosity >= 0)
                fprintf(stderr, "%u of %u VFs there\n", have, want);
}

static int parse_count(const char *arg, unsigned *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(arg, &end, 10);
        if (errno || end == arg || *end || arg[0] == '-' || arg[0] == '+' || v > 0xffff)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

int cmd_sriov(struct cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                { "driver", required_argument, NULL, 'd' },
                { "timeout", required_argument, NULL, 't' },
                {}
        };
        struct vfioctl_op_options opts = { .timeout_ms = DEFAULT_TIMEOUT_MS };
        struct vfioctl_pci_addr pf;
        struct session s;
        unsigned n;
        int c, r;

        while ((c = cli_getopt(cli, argc, argv, "d:t:", options)) >= 0) {
                switch (c) {
                case 'd':
                        opts.driver = optarg;
                        break;
                case 't':
                        if (parse_timeout(optarg, &opts.timeout_ms) != 0)
                                return EXIT_USAGE;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind + 2 != argc)
                return usage_error("sriov", "'sriov' takes a PF and a number of VFs "
                                            "(vfioctl sriov 0000:41:00.0 8 --driver vfio)");
        if (parse_device_arg(argv[optind], &pf) < 0)
                return EXIT_USAGE;
        if (parse_count(argv[optind + 1], &n) < 0)
                return usage_error("sriov", "'%s' is not a number of VFs (0 removes them)",
                                   argv[optind + 1]);

        r = session_begin_change(cli, &s, opts.timeout_ms);
        if (r != EXIT_OK)
                return r;
        r = vfioctl_sriov_set_numvfs(s.host, s.st, &pf, n, &opts, vfs_appearing, cli, s.report);
        r = session_finish(&s, r);
        session_end(&s);
        return r;
}
