/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl qemu-args GUEST [--iommufd]: the -device arguments for the
 * devices a guest has assigned, from the state alone (no sysfs, no XML
 * files), one line that `qemu-system-x86_64 ... $(vfioctl qemu-args G)`
 * splits into the arguments; --json gives the vector as an array.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

int cmd_qemu_args(struct cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                { "iommufd", no_argument, NULL, 'I' },
                {}
        };
        _cleanup_(vfioctl_qemu_args_freep) char **args = NULL;
        vfioctl_state *st = NULL;
        vfioctl_guest *g = NULL;
        unsigned flags = 0;
        int c, r;

        while ((c = cli_getopt(cli, argc, argv, "I", options)) >= 0) {
                switch (c) {
                case 'I':
                        flags |= VFIOCTL_QEMU_IOMMUFD;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 != argc)
                return usage_error("qemu-args", "qemu-args takes one guest name");

        r = vfioctl_state_open(cli->ctx, cli->state_dir, VFIOCTL_STATE_READONLY, &st);
        if (r < 0)
                return lib_error(cli, r, EXIT_REFUSED, "cannot open the state");
        r = vfioctl_guest_load(st, argv[optind], &g);
        if (r < 0) {
                r = lib_error(cli, r, r == -ENOENT ? EXIT_USAGE : EXIT_REFUSED, "guest");
                goto out;
        }
        r = vfioctl_guest_qemu_args(g, flags, &args);
        if (r < 0) {
                r = lib_error(cli, r, EXIT_REFUSED, "QEMU arguments");
                goto out;
        }
        if (cli->json) {
                json_t *a = qemu_args_json(args);

                json_print(a);
                json_decref(a);
                r = EXIT_OK;
        } else
                r = print_qemu_args(stdout, args) < 0 ? EXIT_REFUSED : EXIT_OK;
out:
        vfioctl_guest_unref(g);
        vfioctl_state_unref(st);
        return r;
}
