/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The command line the changing commands share: DEV... (or GUEST [DEV...])
 * with --driver, --group, --force, --now, --all and --timeout, each command
 * taking the ones it names. One parser, so that an option means the same,
 * and is refused the same way, in detach, reattach, release, reserve and
 * unreserve.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const struct {
        unsigned flag;
        struct option option;
} shared_options[] = {
        { ARG_ALL, { "all", no_argument, NULL, 'a' } },
        { ARG_DRIVER, { "driver", required_argument, NULL, 'd' } },
        { ARG_GROUP, { "group", no_argument, NULL, 'g' } },
        { ARG_NOW, { "now", no_argument, NULL, 'N' } },
        { ARG_FORCE, { "force", no_argument, NULL, 'f' } },
        { ARG_TIMEOUT, { "timeout", required_argument, NULL, 't' } },
};

static int parse_options(struct cli *cli, int argc, char **argv, unsigned takes,
                         struct device_command *dc)
{
        struct option longopts[ELEMENTSOF(shared_options) + 1] = {};
        char shortopts[2 * ELEMENTSOF(shared_options) + 1] = "";
        size_t n = 0, len = 0;
        int c;

        for (size_t i = 0; i < ELEMENTSOF(shared_options); i++) {
                const struct option *o = &shared_options[i].option;

                if (!(takes & shared_options[i].flag))
                        continue;
                longopts[n++] = *o;
                shortopts[len++] = (char) o->val;
                if (o->has_arg == required_argument)
                        shortopts[len++] = ':';
        }
        shortopts[len] = '\0';
        while ((c = cli_getopt(cli, argc, argv, shortopts, longopts)) >= 0) {
                switch (c) {
                case 'a':
                        dc->all = true;
                        break;
                case 'd':
                        dc->opts.driver = optarg;
                        break;
                case 'g':
                        dc->opts.flags |= VFIOCTL_OP_GROUP;
                        break;
                case 'N':
                        dc->now = true;
                        break;
                case 'f':
                        dc->opts.flags |= VFIOCTL_OP_FORCE;
                        break;
                case 't':
                        if (parse_timeout(optarg, &dc->opts.timeout_ms) != 0)
                                return EXIT_USAGE;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        return EXIT_OK;
}

int parse_device_command(struct cli *cli, int argc, char **argv, unsigned takes,
                         struct device_command *dc)
{
        const char *cmd = cli->cmd ? cli->cmd->name : "vfioctl";
        int r;

        *dc = (struct device_command) { .opts.timeout_ms = DEFAULT_TIMEOUT_MS };
        r = parse_options(cli, argc, argv, takes, dc);
        if (r != EXIT_OK)
                return r;
        if (dc->all && optind < argc)
                return usage_error(NULL, "give %s or --all, not both",
                                   takes & ARG_GUEST ? "a guest" : "devices");
        if (dc->all)
                return EXIT_OK;
        if (takes & ARG_GUEST) {
                if (optind >= argc)
                        return usage_error(cmd, "%s needs the guest's name%s", cmd,
                                           takes & ARG_ALL ? " (or --all)" : "");
                dc->guest = argv[optind++];
                /* The devices are optional after a guest: none means all of its. */
                if (optind < argc && parse_device_args(argc, argv, &dc->addrs, &dc->n) < 0)
                        return EXIT_USAGE;
                return EXIT_OK;
        }
        r = parse_device_args(argc, argv, &dc->addrs, &dc->n);
        if (r == -EINVAL && optind >= argc)
                return usage_error(cmd, "%s needs at least one device address%s", cmd,
                                   takes & ARG_ALL ? " (or --all)" : "");
        return r < 0 ? EXIT_USAGE : EXIT_OK;
}

void device_command_clear(struct device_command *dc)
{
        free(dc->addrs);
        dc->addrs = NULL;
        dc->n = 0;
}
