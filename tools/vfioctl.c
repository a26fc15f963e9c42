/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl: global options, then one command. Each command lives in its own
 * cmd-*.c file and parses its own options.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct command commands[] = {
        { "list", cmd_list, "[--all]", "devices by IOMMU group, with driver, state, owner" },
        { "show", cmd_show, "DEV", "one device, its group, and what assigning it costs" },
        { "detach", cmd_detach, "DEV... [--driver NAME] [--group] [--force] [--timeout S]",
          "take devices from the host for VFIO (their group's rule applies)" },
        { "reattach", cmd_reattach, "DEV... [--group] [--timeout S]",
          "give detached devices back to their drivers" },
        { "assign", cmd_assign,
          "GUEST (--xml FILE|- [--network FILE]... [--network-dir DIR] | DEV... [--group auto] "
          "[--unmanaged]) [--pid PID] [--force] [--print-qemu-args [--iommufd]] [--timeout S]",
          "give a guest its devices, whole IOMMU groups at a time" },
        { "release", cmd_release, "GUEST [DEV...] [--timeout S]",
          "take devices back from a guest" },
        { "qemu-args", cmd_qemu_args, "GUEST [--iommufd]", "-device arguments for a guest" },
        { "status", cmd_status, "[GUEST]", "devices detached or owned, and by what command" },
        { "recover", cmd_recover, "[--timeout S]", "roll back an interrupted operation" },
};

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: vfioctl [--root DIR] [--state-dir DIR] [--json] [--dry-run] [-v|-q] "
                "COMMAND ...\n\n"
                "Hands PCI devices to virtual machines through VFIO, a whole IOMMU group at a "
                "time.\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                char left[256];
                snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].usage);
                /* A long synopsis gets a line of its own. */
                if (strlen(left) > 36)
                        fprintf(f, "  %s\n  %-36s %s\n", left, "", commands[i].help);
                else
                        fprintf(f, "  %-36s %s\n", left, commands[i].help);
        }
        fprintf(f, "\nOptions:\n"
                   "  --root DIR       prefix for every /sys, /dev and /proc path (VFIOCTL_ROOT)\n"
                   "  --state-dir DIR  where state is kept (VFIOCTL_STATE_DIR, default "
                   "/run/vfioctl)\n"
                   "  --json           one JSON document on standard output\n"
                   "  --dry-run        print the sysfs writes, change nothing\n"
                   "  -v, -q           more or less output\n"
                   "\nSee vfioctl(8).\n");
}

static const struct command *find_command(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name))
                        return &commands[i];
        return NULL;
}

static void log_to_stderr(void *userdata, int priority, const char *file, int line,
                          const char *fn, const char *msg)
{
        fprintf(stderr, "vfioctl: debug: %s\n", msg);
}

enum { OPT_ROOT = 0x100, OPT_STATE_DIR, OPT_JSON, OPT_DRY_RUN, OPT_VERSION };

static int parse_global(struct cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                { "root", required_argument, NULL, OPT_ROOT },
                { "state-dir", required_argument, NULL, OPT_STATE_DIR },
                { "json", no_argument, NULL, OPT_JSON },
                { "dry-run", no_argument, NULL, OPT_DRY_RUN },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {}
        };
        int c;

        /* "+": stop at the command name; the command parses the rest. */
        while ((c = getopt_long(argc, argv, "+vqh", options, NULL)) >= 0) {
                switch (c) {
                case OPT_ROOT:
                        cli->root = optarg;
                        break;
                case OPT_STATE_DIR:
                        cli->state_dir = optarg;
                        break;
                case OPT_JSON:
                        cli->json = true;
                        break;
                case OPT_DRY_RUN:
                        cli->dry_run = true;
                        break;
                case 'v':
                        cli->verbosity++;
                        break;
                case 'q':
                        cli->verbosity = -1;
                        break;
                case 'h':
                        usage(stdout);
                        exit(EXIT_OK);
                case OPT_VERSION:
                        printf("vfioctl %s\n", VFIOCTL_VERSION);
                        exit(EXIT_OK);
                default:
                        fprintf(stderr, "Try 'vfioctl --help'.\n");
                        return -EINVAL;
                }
        }
        return 0;
}

int main(int argc, char **argv)
{
        struct cli cli = {
                .root = getenv("VFIOCTL_ROOT"),
                .state_dir = getenv("VFIOCTL_STATE_DIR"),
        };
        const struct command *cmd;
        int r;

        if (parse_global(&cli, argc, argv) < 0)
                return EXIT_USAGE;
        if (!cli.root || !*cli.root)
                cli.root = "/";
        if (!cli.state_dir || !*cli.state_dir)
                cli.state_dir = "/run/vfioctl";

        if (optind >= argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        cmd = find_command(argv[optind]);
        if (!cmd)
                return usage_error(NULL, "unknown command '%s'; 'vfioctl --help' lists them",
                                   argv[optind]);

        /* "vfioctl COMMAND --help" answers from the table, for every command. */
        for (int i = optind + 1; i < argc && !streq(argv[i], "--"); i++)
                if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
                        printf("Usage: vfioctl [OPTIONS] %s %s\n%s.\nSee vfioctl(8) for details.\n",
                               cmd->name, cmd->usage, cmd->help);
                        return EXIT_OK;
                }

        r = vfioctl_ctx_new(cli.root, &cli.ctx);
        if (r < 0) {
                print_error("cannot use root folder '%s': %s; --root must name the folder "
                            "holding sys/ (and dev/, proc/) of the host to manage",
                            cli.root, strerror(-r));
                return EXIT_USAGE;
        }
        if (cli.verbosity > 1) {
                vfioctl_ctx_set_log_fn(cli.ctx, log_to_stderr, NULL);
                vfioctl_ctx_set_log_priority(cli.ctx, VFIOCTL_LOG_DEBUG);
        }

        /* The command sees its own name as argv[0]; optind = 0 makes getopt
         * start afresh on the command's arguments. */
        argc -= optind;
        argv += optind;
        optind = 0;
        r = cmd->run(&cli, argc, argv);
        cli_free_owners(&cli);
        vfioctl_ctx_unref(cli.ctx);
        return r;
}
