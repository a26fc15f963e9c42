/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl: one command and its options. Global options may stand before or
 * after the command (as git, virsh and systemctl users type them); each
 * command parses its own with cli_getopt(), which takes the global ones
 * too. Each command lives in its own cmd-*.c file; add it to the table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int cmd_help(struct cli *cli, int argc, char **argv);
static int cmd_version(struct cli *cli, int argc, char **argv);

/*
 * The commands: name, function, synopsis (after the name), one line of
 * what it does, then each of its own options with its default (for
 * 'vfioctl CMD --help'), and NO_HOST for commands that read no host.
 */
static const struct command commands[] = {
        { "list", cmd_list, "[--all] [GROUP|DEV|CLASS...]",
          "devices by IOMMU group, with driver, state, owner",
          "  --all            also groups of bridges and system devices only (default: hidden)\n"
          "  GROUP            an IOMMU group number: that group\n"
          "  DEV              an address, slot or interface name: that device's group\n"
          "  CLASS            nic, gpu, audio, usb, storage, ... (see vfioctl(8)): groups\n"
          "                   holding a device of that class\n" },
        { "show", cmd_show, "DEV", "one device, its group, and what assigning it costs",
          "  DEV              0000:03:00.0, 03:00.0, or an interface name (enp5s0)\n" },
        { "detach", cmd_detach, "DEV... [--driver NAME] [--group] [--force] [--timeout S]",
          "take devices from the host for VFIO (their group's rule applies)",
          "  DEV              an address, a slot 03:00 (all its functions), or an interface\n"
          "  --driver NAME    the stub to bind: vfio (vfio-pci, the default), kvm (pci-stub),\n"
          "                   xen (xen-pciback) or a vfio variant driver's name\n"
          "  --group          also detach every other member of the devices' IOMMU groups\n"
          "                   that keeps them from being viable (default: refuse instead)\n"
          "  --force          detach even what the host visibly uses (a mounted disk, an\n"
          "                   interface that is up, the console) (default: refuse)\n"
          "  --timeout S      seconds to wait for each unbind, bind and the lock (default 10)\n" },
        { "reattach", cmd_reattach, "(DEV...|--all) [--group] [--force] [--timeout S]",
          "give detached devices back to their drivers",
          "  DEV              an address, a slot 03:00 (all its functions), or an interface\n"
          "  --all            every device vfioctl detached and no guest owns\n"
          "  --group          also reattach the other members of the devices' groups\n"
          "  --force          also give back a device vfioctl did not detach: clear its\n"
          "                   driver_override and let the kernel pick its driver\n"
          "                   (default: such a device is left alone)\n"
          "  --timeout S      seconds to wait for each unbind, bind and the lock (default 10)\n" },
        { "assign", cmd_assign,
          "GUEST (--xml FILE|- [--libvirt] [--network FILE]... [--network-dir DIR] | DEV... [--group auto] "
          "[--unmanaged]) [--pid PID] [--force] [--print-qemu-args [--iommufd]] [--timeout S]",
          "give a guest its devices, whole IOMMU groups at a time",
          "  --xml FILE|-     the guest's libvirt domain XML (- reads standard input)\n"
          "  --libvirt        as libvirt's hook runs it: managed='no' hostdevs are detached\n"
          "                   and owned as if managed='yes', and a network without a\n"
          "                   definition is an ordinary one (default: off)\n"
          "  --network FILE   a libvirt network definition for <interface type='network'>\n"
          "                   (repeatable)\n"
          "  --network-dir D  a folder of network definitions NAME.xml\n"
          "                   (default /etc/libvirt/qemu/networks)\n"
          "  DEV...           the short form: these devices, managed, no XML\n"
          "  --group auto     short form: detach and hold the other members of their groups\n"
          "                   (default: refuse a group that is not viable)\n"
          "  --unmanaged      short form: the devices are already detached; only verify\n"
          "  --pid PID        QEMU's process id: when it is gone, 'vfioctl recover' releases\n"
          "                   the guest; on a guest that already owns its devices, only\n"
          "                   records the pid (default: none)\n"
          "  --force          detach even what the host visibly uses (default: refuse)\n"
          "  --print-qemu-args  QEMU's -device arguments on standard output, the rest on\n"
          "                   standard error\n"
          "  --iommufd        with --print-qemu-args: the -object iommufd form\n"
          "  --timeout S      seconds to wait for each unbind, bind and the lock (default 10)\n" },
        { "release", cmd_release, "(GUEST [DEV...]|--all) [--timeout S]",
          "take devices back from a guest",
          "  GUEST            the guest; with DEV..., only those devices (whole groups)\n"
          "  --all            every guest\n"
          "  --timeout S      seconds to wait for each unbind, bind and the lock (default 10)\n" },
        { "qemu-args", cmd_qemu_args, "GUEST [--iommufd]", "-device arguments for a guest",
          "  --iommufd        -object iommufd,id=iommufd0 and iommufd= on each device\n"
          "                   (default: the legacy VFIO container form)\n" },
        { "status", cmd_status, "[GUEST]",
          "devices detached or owned, by what command, and unfinished work",
          "  GUEST            only what this guest owns\n" },
        { "recover", cmd_recover, "[--timeout S]",
          "roll back an interrupted operation, release guests whose QEMU is gone",
          "  --timeout S      seconds to wait for each unbind, bind and the lock (default 10)\n" },
        { "reserve", cmd_reserve, "DEV... [--group] [--driver NAME] [--now] [--force] [--timeout S]",
          "keep devices on a stub driver from boot on",
          "  DEV...           the devices; their IOMMU group's rule applies as in detach\n"
          "  --group          reserve the group's other members on host drivers too\n"
          "                   (default: refuse, naming them)\n"
          "  --driver NAME    vfio (vfio-pci, default), kvm (pci-stub), xen (xen-pciback)\n"
          "                   or a vfio variant driver\n"
          "  --now            also detach them now, as detach does\n"
          "  --force          reserve even what the host visibly uses (default: refuse)\n"
          "  --timeout S      with --now: seconds to wait for each unbind, bind and the lock\n"
          "                   (default 10)\n" },
        { "unreserve", cmd_unreserve, "DEV... [--now] [--timeout S]",
          "drop reservations; --now gives the devices back too",
          "  --now            also give them back now, as reattach does\n"
          "  --timeout S      with --now: seconds to wait for each unbind, bind and the lock\n"
          "                   (default 10)\n" },
        { "boot", cmd_boot, "[DEV] [--timeout S]",
          "apply the reservations (run by the udev rule and the systemd unit)",
          "  DEV              only this device (and the reservations of its IOMMU group);\n"
          "                   a device that is not reserved: nothing is done\n"
          "  --timeout S      seconds to wait for each unbind, bind and the lock (default 10)\n" },
        { "sriov", cmd_sriov, "PF N [--driver NAME] [--timeout S]",
          "set a PF's number of VFs; with --driver, bound to that stub and recorded",
          "  PF               the physical function (address or interface name)\n"
          "  N                the number of VFs; 0 removes them (as 'reattach PF' does)\n"
          "  --driver NAME    bind the new VFs to this stub: vfio (vfio-pci), kvm (pci-stub),\n"
          "                   xen or a vfio variant; sriov_drivers_autoprobe is turned off\n"
          "                   first so no host VF driver takes them (default: the host's)\n"
          "  --timeout S      seconds to wait for each write, for the VFs and the lock\n"
          "                   (default 10)\n" },
        { "help", cmd_help, "[COMMAND]", "this list, or one command's options", NULL, true },
        { "version", cmd_version, "", "the version of vfioctl", NULL, true },
};

static const char global_options_help[] =
        "  --root DIR       prefix for every /sys, /dev and /proc path (VFIOCTL_ROOT,\n"
        "                   default /)\n"
        "  --state-dir DIR  where state is kept (VFIOCTL_STATE_DIR, default /run/vfioctl)\n"
        "  --config-dir DIR where reservations are kept (VFIOCTL_CONFIG_DIR,\n"
        "                   default /etc/vfioctl)\n"
        "  --json           one JSON document on standard output, errors too\n"
        "  --dry-run        print the sysfs writes it would make, change nothing\n"
        "  -v, --verbose    more output (twice: the library's debug log)\n"
        "  -q, --quiet      only errors\n"
        "  -h, --help       this help; 'vfioctl COMMAND --help' for a command's\n"
        "  --version        the version\n"
        "  --               ends the options\n";

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: vfioctl [OPTIONS] COMMAND [ARGS...]\n\n"
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
        fprintf(f, "\nOptions (before or after the command):\n%s"
                   "\nExit codes: 0 done, 1 refused or failed (nothing changed), 2 usage error,\n"
                   "3 something was left that needs attention.\n"
                   "See vfioctl(8).\n",
                global_options_help);
}

static void command_usage(const struct command *cmd, FILE *f)
{
        fprintf(f, "Usage: vfioctl [OPTIONS] %s %s\n%s.\n", cmd->name, cmd->usage, cmd->help);
        if (cmd->options)
                fprintf(f, "\nOptions of '%s':\n%s", cmd->name, cmd->options);
        fprintf(f, "\nGlobal options (before or after the command):\n%s\nSee vfioctl(8).\n",
                global_options_help);
}

static const struct command *find_command(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name))
                        return &commands[i];
        return NULL;
}

/* Edit distance, for "did you mean". Names are short: a row of 64 is plenty. */
static size_t distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b), row[65];

        if (la > 64 || lb > 64)
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t diag = row[0];
                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
                        if (up + 1 < best)
                                best = up + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        diag = up;
                        row[j] = best;
                }
        }
        return row[lb];
}

/* The command a mistyped name most likely meant, or NULL. */
static const char *closest_command(const char *name)
{
        const char *best = NULL;
        size_t best_d = SIZE_MAX;

        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                size_t d = distance(name, commands[i].name);
                /* a prefix ("rea" for reattach) counts as close */
                if (strlen(name) >= 3 && strncmp(name, commands[i].name, strlen(name)) == 0)
                        d = 1;
                if (d < best_d) {
                        best_d = d;
                        best = commands[i].name;
                }
        }
        return best_d <= 2 ? best : NULL;
}

static int unknown_command(const char *name)
{
        const char *guess = closest_command(name);

        if (guess)
                return usage_error(NULL, "unknown command '%.40s'; did you mean '%s'? "
                                         "('vfioctl --help' lists the commands)",
                                   name, guess);
        return usage_error(NULL, "unknown command '%.40s'; 'vfioctl --help' lists the commands",
                           name);
}

static int cmd_help(struct cli *cli, int argc, char **argv)
{
        const struct command *cmd;
        int c;

        while ((c = cli_getopt(cli, argc, argv, "", NULL)) >= 0)
                return EXIT_USAGE;
        if (optind >= argc) {
                usage(stdout);
                return EXIT_OK;
        }
        if (optind + 1 < argc)
                return usage_error(NULL, "'help' takes at most one command name");
        cmd = find_command(argv[optind]);
        if (!cmd)
                return unknown_command(argv[optind]);
        command_usage(cmd, stdout);
        return EXIT_OK;
}

static int print_version(struct cli *cli)
{
        if (cli->json) {
                json_t *doc = json_pack("{s:s}", "version", VFIOCTL_VERSION);
                json_print(doc);
                json_decref(doc);
        } else
                printf("vfioctl %s\n", VFIOCTL_VERSION);
        return EXIT_OK;
}

static int cmd_version(struct cli *cli, int argc, char **argv)
{
        int c;

        while ((c = cli_getopt(cli, argc, argv, "", NULL)) >= 0)
                return EXIT_USAGE;
        if (optind < argc)
                return usage_error(NULL, "'version' takes no arguments");
        return print_version(cli);
}

static void log_to_stderr(void *userdata, int priority, const char *file, int line,
                          const char *fn, const char *msg)
{
        fprintf(stderr, "vfioctl: debug: %s\n", msg);
}

/* -vv: the library's debug log on standard error. */
static void set_logging(struct cli *cli)
{
        if (!cli->ctx || cli->verbosity < 2)
                return;
        vfioctl_ctx_set_log_fn(cli->ctx, log_to_stderr, NULL);
        vfioctl_ctx_set_log_priority(cli->ctx, VFIOCTL_LOG_DEBUG);
}

/* ------------------------------------------------------------------ */
/* Options                                                            */

enum {
        OPT_ROOT = 0x1000,
        OPT_STATE_DIR,
        OPT_CONFIG_DIR,
        OPT_JSON,
        OPT_DRY_RUN,
        OPT_VERBOSE,
        OPT_QUIET,
        OPT_HELP,
        OPT_VERSION,
};

static const struct option global_options[] = {
        { "root", required_argument, NULL, OPT_ROOT },
        { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "config-dir", required_argument, NULL, OPT_CONFIG_DIR },
        { "json", no_argument, NULL, OPT_JSON },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "verbose", no_argument, NULL, OPT_VERBOSE },
        { "quiet", no_argument, NULL, OPT_QUIET },
        { "help", no_argument, NULL, OPT_HELP },
        { "version", no_argument, NULL, OPT_VERSION },
        {}
};

/* Applies a global option; false when c is not one. */
static bool apply_global(struct cli *cli, int c)
{
        switch (c) {
        case OPT_ROOT:
                cli->root = optarg;
                return true;
        case OPT_STATE_DIR:
                cli->state_dir = optarg;
                return true;
        case OPT_CONFIG_DIR:
                cli->config_dir = optarg;
                return true;
        case OPT_JSON:
                cli->json = true;
                return true;
        case OPT_DRY_RUN:
                cli->dry_run = true;
                return true;
        case 'v':
        case OPT_VERBOSE:
                cli->verbosity = cli->verbosity < 0 ? 1 : cli->verbosity + 1;
                return true;
        case 'q':
        case OPT_QUIET:
                cli->verbosity = -1;
                return true;
        }
        return false;
}

/* "--timeout" from "--timeout=5" or "-x" from "-x5", for messages. */
static void option_name(const char *arg, int optopt_c, char *buf, size_t size)
{
        if (optopt_c && optopt_c < 0x100 && !(arg && arg[0] == '-' && arg[1] == '-'))
                snprintf(buf, size, "-%c", optopt_c);
        else
                snprintf(buf, size, "%.*s", (int) strcspn(arg ? arg : "?", "="), arg ? arg : "?");
}

static int option_error(struct cli *cli, int c, char **argv)
{
        char name[64];

        option_name(argv[optind - 1], optopt, name, sizeof(name));
        if (c == ':')
                return usage_error(NULL, "option '%.40s' needs a value", name);
        if (strchr(argv[optind - 1], '=') && strncmp(argv[optind - 1], "--", 2) == 0) {
                /* "--all=x": an option that takes no value */
                bool known = false;
                for (const struct option *o = cli->cmd_options; o && o->name; o++)
                        known |= strncmp(o->name, name + 2, strlen(name + 2)) == 0;
                for (const struct option *o = global_options; o->name; o++)
                        known |= strncmp(o->name, name + 2, strlen(name + 2)) == 0;
                if (known)
                        return usage_error(NULL, "option '%.40s' takes no value", name);
        }
        return usage_error(NULL, "unknown option '%.40s'", name);
}

int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
        struct option merged[64];
        char shorts[64];
        size_t n = 0;
        int c;

        /* ':' first: a missing value is reported as such, not as an unknown option. */
        snprintf(shorts, sizeof(shorts), ":%svq", shortopts ? shortopts : "");
        for (const struct option *o = longopts; o && o->name && n < ELEMENTSOF(merged) - 12; o++)
                merged[n++] = *o;
        for (const struct option *o = global_options; o->name; o++)
                merged[n++] = *o;
        merged[n] = (struct option) {};
        cli->cmd_options = longopts;

        opterr = 0;
        for (;;) {
                c = getopt_long(argc, argv, shorts, merged, NULL);
                if (c < 0) {
                        set_logging(cli);
                        return c;
                }
                if (apply_global(cli, c))
                        continue;
                if (c == OPT_HELP) {
                        command_usage(cli->cmd, stdout);
                        exit(EXIT_OK);
                }
                if (c == OPT_VERSION)
                        exit(print_version(cli));
                if (c == '?' || c == ':')
                        return option_error(cli, c, argv), '?';
                return c;
        }
}

/*
 * --root, --json and --help wherever they stand, before parsing: the
 * context needs the root before the command runs, an error document needs
 * to know it is wanted, and help needs neither. A value that merely looks
 * like one of them ("--xml --json") is not worth a second parse.
 */
static void prescan(struct cli *cli, int argc, char **argv, bool *help)
{
        for (int i = 1; i < argc && !streq(argv[i], "--"); i++) {
                if (streq(argv[i], "--json"))
                        cli->json = true;
                else if (streq(argv[i], "--help") || streq(argv[i], "-h"))
                        *help = true;
                else if (streq(argv[i], "--root") && i + 1 < argc)
                        cli->root = argv[++i];
                else if (strncmp(argv[i], "--root=", 7) == 0)
                        cli->root = argv[i] + 7;
        }
}

int main(int argc, char **argv)
{
        struct cli cli = {
                .root = getenv("VFIOCTL_ROOT"),
                .state_dir = getenv("VFIOCTL_STATE_DIR"),
                .config_dir = getenv("VFIOCTL_CONFIG_DIR"),
        };
        const struct command *cmd;
        bool help = false;
        int c, r;

        prescan(&cli, argc, argv, &help);
        output_init(&cli);

        /* Options before the command: "+" stops at its name. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:vqh", global_options, NULL)) >= 0) {
                if (apply_global(&cli, c))
                        continue;
                if (c == 'h' || c == OPT_HELP) {
                        usage(stdout);
                        return EXIT_OK;
                }
                if (c == OPT_VERSION)
                        return print_version(&cli);
                r = option_error(&cli, c, argv);
                return output_done(&cli, r);
        }
        if (!cli.root || !*cli.root)
                cli.root = "/";
        if (!cli.state_dir || !*cli.state_dir)
                cli.state_dir = "/run/vfioctl";
        if (!cli.config_dir || !*cli.config_dir)
                cli.config_dir = "/etc/vfioctl";

        if (optind >= argc) {
                if (cli.json)
                        return output_done(&cli, usage_error(NULL, "no command given; "
                                                                   "'vfioctl --help' lists them"));
                usage(stderr);
                return EXIT_USAGE;
        }
        cmd = find_command(argv[optind]);
        if (!cmd)
                return output_done(&cli, unknown_command(argv[optind]));
        cli.cmd = cmd;

        /* "vfioctl COMMAND --help" answers from the table, for every command. */
        if (help) {
                command_usage(cmd, stdout);
                return EXIT_OK;
        }

        if (!cmd->no_host) {
                r = vfioctl_ctx_new(cli.root, &cli.ctx);
                if (r < 0) {
                        print_error("cannot use root folder '%s': %s; --root must name the "
                                    "folder holding sys/ (and dev/, proc/) of the host to manage",
                                    cli.root, strerror(-r));
                        return output_done(&cli, EXIT_USAGE);
                }
        }

        /* The command sees its own name as argv[0]; optind = 0 makes getopt
         * start afresh on the command's arguments. */
        argc -= optind;
        argv += optind;
        optind = 0;
        set_logging(&cli);
        r = cmd->run(&cli, argc, argv);
        r = output_done(&cli, r);
        cli_free_owners(&cli);
        cli_free_reservations(&cli);
        vfioctl_ctx_unref(cli.ctx);
        return r;
}
