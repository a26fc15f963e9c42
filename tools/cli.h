/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the command files of the tool share: the parsed global options,
 * exit codes (DESIGN §4) and output helpers.
 */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "macro.h"
#include "vfioctl.h"

enum {
        EXIT_OK = 0,
        EXIT_REFUSED = 1,   /* refused or failed, nothing changed (rolled back) */
        EXIT_USAGE = 2,     /* usage or input error */
        EXIT_ATTENTION = 3, /* something was left that needs attention */
};

struct cli {
        const char *root;      /* --root or VFIOCTL_ROOT, default "/" */
        const char *state_dir; /* --state-dir or VFIOCTL_STATE_DIR */
        const char *config_dir; /* --config-dir or VFIOCTL_CONFIG_DIR, default /etc/vfioctl */
        bool json;
        bool dry_run;
        int verbosity;         /* -1 quiet, 0 normal, 1+ verbose */
        bool stdout_is_data;   /* stdout carries a result alone (assign --print-qemu-args):
                                  the dry run's writes go to stderr with the rest */
        vfioctl_ctx *ctx;
        const struct command *cmd;          /* the command running */
        const struct option *cmd_options;   /* its options, for messages */
        /* Ownership for list/show (output.c), read-only, on first use. */
        bool owners_loaded;
        /* Unfinished operations for list/status (output.c), on first use. */
        bool pending_loaded;
        vfioctl_journal *pending;
        /* assign GUEST DEV...: the library's "line N: <hostdev>: " prefix is
         * left out of messages, as the definition is ours (cli_errmsg()). */
        bool errmsg_without_position;
        /* Interfaces for list/show (output.c), on first use. */
        bool interfaces_loaded;
        struct vfioctl_interface *interfaces;
        size_t n_interfaces;
        struct vfioctl_state_device *owner_rows;
        size_t n_owner_rows;
        char *owners_error;    /* why the state could not be read; owners unknown */
        /* Reservations for list/show/status (cmd-reserve.c), read-only, on first use. */
        bool reservations_loaded;
        vfioctl_reservations *reservations;
        vfioctl_host *res_host; /* the host those commands read, to check them against */
};

struct command {
        const char *name;
        int (*run)(struct cli *cli, int argc, char **argv);
        const char *usage;     /* one line: arguments after the name */
        const char *help;      /* one line: what it does */
        const char *options;   /* "  --opt  what it does (default ...)\n" lines, or NULL */
        bool no_host;          /* runs without a context (help, version) */
};

/*
 * getopt_long() for a command's own options (shortopts/longopts as
 * getopt_long takes them, without the global ones): the global options
 * (--json, --dry-run, -v, -q, --root, --state-dir, --config-dir) are taken
 * wherever they stand and applied to cli, --help prints the command's help
 * and exits, "--" ends the options. Returns the command option's value, -1
 * at the end, or '?' after printing a one-line usage error: the caller
 * then returns EXIT_USAGE.
 */
int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* One entry per command, each in its own cmd-*.c file. */
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_detach(struct cli *cli, int argc, char **argv);
int cmd_reattach(struct cli *cli, int argc, char **argv);
int cmd_sriov(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_recover(struct cli *cli, int argc, char **argv);
int cmd_assign(struct cli *cli, int argc, char **argv);
int cmd_release(struct cli *cli, int argc, char **argv);
int cmd_qemu_args(struct cli *cli, int argc, char **argv);
int cmd_reserve(struct cli *cli, int argc, char **argv);
int cmd_unreserve(struct cli *cli, int argc, char **argv);
int cmd_boot(struct cli *cli, int argc, char **argv);

/* cmd-reserve.c: what list, show and status say of reserved devices. */
vfioctl_reservations *cli_reservations(struct cli *cli);
void cli_free_reservations(struct cli *cli);
/* The device's reservation (NULL: none); whether this boot honoured it, else why not. */
const struct vfioctl_reservation *device_reservation(struct cli *cli, vfioctl_device *dev,
                                                     bool *ret_honoured, char *why, size_t size);
/* {"driver", "honoured", "why"}, NULL when not reserved. */
json_t *reservation_json(struct cli *cli, vfioctl_device *dev);
/* "reserved" or "reserved, NOT honoured"; NULL when not reserved. */
const char *reservation_word(struct cli *cli, vfioctl_device *dev);

/* cmd-assign.c: QEMU arguments on one line (refused when one holds whitespace), or as JSON. */
int print_qemu_args(FILE *f, char **args);
json_t *qemu_args_json(char **args);
/* Rule 10: a guest's VF MAC/VLAN settings, as assign --json and status --json give them. */
json_t *vf_net_json(vfioctl_guest *g);
void print_net_entry(FILE *f, struct cli *cli, const struct vfioctl_report_entry *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, vfioctl_qemu_args_free);
/* A NULL-terminated list of strings the library handed out (vfioctl_guest_list()). */
static inline void names_free(char **l)
{
        for (char **p = l; p && *p; p++)
                free(*p);
        free(l);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, names_free);

/* session.c: around every command that changes devices (open, lock, recover, report). */
struct session {
        struct cli *cli;
        vfioctl_host *host;
        vfioctl_state *st;
        vfioctl_report *report;
        unsigned timeout_ms;
        json_t *writes; /* --dry-run --json: the writes, collected */
        json_t *undone; /* the interrupted operations recover rolled back */
};
/* Each returns an exit code; session_end() is due whatever they return. */
int session_begin(struct cli *cli, struct session *s, unsigned timeout_ms, bool mutate);
int session_recover(struct session *s);
/* The operations recover is about to roll back (read before it runs), so
 * what it did can be named: NULL when there are none. */
vfioctl_journal *session_pending(struct session *s);
/* Says which operations were rolled back ("'vfioctl detach 01:00.0' (pid
 * 123, started ...)"), on stderr, and keeps them for the JSON "undone". */
void session_name_undone(struct session *s, vfioctl_journal *ops, vfioctl_report *report);
/* For commands that change anything: session_begin() with the lock, then
 * recover what an interrupted command left; on failure the session is
 * already ended and the exit code is returned. */
int session_begin_change(struct cli *cli, struct session *s, unsigned timeout_ms);
/* Prints the report (or JSON) for the library's return r; returns the exit code. */
int session_finish(struct session *s, int r);
void session_end(struct session *s);
/* --timeout S: seconds, fractions allowed. Returns 0 or EXIT_USAGE after saying why. */
int parse_timeout(const char *arg, unsigned *ret_ms);
/* What --timeout is when not given (vfioctl(8)): unbinds, verification, the lock. */
#define DEFAULT_TIMEOUT_MS 10000u

/* output.c */
/* Remembers cli for the helpers below (one tool, one command). */
void output_init(struct cli *cli);
/* At the end of main: with --json, a failure that printed no document
 * prints {"outcome", "error", "exit_code", "dry_run"}. Returns code. */
int output_done(struct cli *cli, int code);
/* On standard error; with --json, the first one is also the error document's. */
void print_error(const char *format, ...) _printf_(1, 2);
void print_note(struct cli *cli, const char *format, ...) _printf_(2, 3);
/* Usage error: prints "vfioctl: <msg> (see 'vfioctl CMD --help')" on one line,
 * CMD the running command when cmd is NULL; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *format, ...) _printf_(2, 3);
/* The library's last message with the command-line advice its reason calls for. */
const char *cli_errmsg(struct cli *cli);
/* Library failure: prints that message (or strerror) and returns code. */
int lib_error(struct cli *cli, int r, int code, const char *what);
/* Parses one DEV argument (an address, or a slot of one function, or an
 * interface name); on error prints why and returns -EINVAL. */
int parse_device_arg(const char *arg, struct vfioctl_pci_addr *ret);
/* DEV... from optind on (addresses, slots: every function, interface names),
 * each address once; -EINVAL (after saying why) on a bad or missing one. */
int parse_device_args(int argc, char **argv, struct vfioctl_pci_addr **ret, size_t *ret_n);
/* args.c: the command line of the changing commands (DEV... or GUEST [DEV...]). */
enum {
        ARG_DRIVER = 1 << 0,  /* --driver NAME */
        ARG_GROUP = 1 << 1,   /* --group */
        ARG_FORCE = 1 << 2,   /* --force */
        ARG_NOW = 1 << 3,     /* --now */
        ARG_ALL = 1 << 4,     /* --all, instead of the positional arguments */
        ARG_TIMEOUT = 1 << 5, /* --timeout S */
        ARG_GUEST = 1 << 6,   /* GUEST [DEV...], not DEV... */
};
struct device_command {
        struct vfioctl_op_options opts; /* --driver, --group, --force, --timeout */
        bool now, all;
        const char *guest;              /* with ARG_GUEST */
        struct vfioctl_pci_addr *addrs; /* each once, in the order given */
        size_t n;
};
/* Parses argv with the options takes names; EXIT_OK, or EXIT_USAGE after
 * saying why (a missing DEV, both DEV and --all, a bad --timeout). */
int parse_device_command(struct cli *cli, int argc, char **argv, unsigned takes,
                         struct device_command *dc);
void device_command_clear(struct device_command *dc);
/* Dumps a JSON document to stdout (sorted keys off: the order is ours); an
 * object gets "dry_run" when it has none, so every command's JSON says it. */
int json_print(json_t *doc);
/* The device state word: host, detached, held, assigned. */
const char *device_state_word(struct cli *cli, vfioctl_device *dev);
/* The guest owning a device, or its group (NULL: none); from the state, read-only. */
const char *device_owner(struct cli *cli, vfioctl_device *dev);
const char *group_owner(struct cli *cli, int group);
void cli_free_owners(struct cli *cli);
/* Why ownership could not be read from the state (NULL: it was read). */
const char *owners_error(struct cli *cli);
/* Operations an interruption left unfinished, and what recover will do
 * about them: text after a listing (nothing when there are none), or JSON. */
void print_unfinished(struct cli *cli, bool blank_line);
json_t *unfinished_json(struct cli *cli);
/* "enp3s0f0" (several: comma-separated) for a device with interfaces, else NULL. */
const char *device_interfaces(struct cli *cli, vfioctl_device *dev, char *buf, size_t size);
/* JSON object of one device as `list --json` shows it. */
json_t *device_json(struct cli *cli, vfioctl_device *dev);
/* "NVIDIA Corporation GP104 [GeForce GTX 1070]": the one name of a device,
 * in every command (pci.ids' vendor and device names, as lspci). */
const char *device_full_name(vfioctl_device *dev, char *buf, size_t size);
/* "0000:01:00.0 (GPU, nouveau): NVIDIA Corporation GP104 [GeForce GTX 1070]":
 * a device in a list of them, "unbound" for no driver, in every command. */
const char *device_line(vfioctl_device *dev, char *buf, size_t size);
/* The same for an address on host; NULL when it is not there. */
const char *device_line_of(vfioctl_host *host, const char *address, char *buf, size_t size);

/* Aligned text tables. */
struct table;
struct table *table_new(size_t n_cols, ...);
void table_add(struct table *t, const char *cell);
void table_print(struct table *t, FILE *f);
void table_free(struct table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct table *, table_free);

/* The how-to for hosts without IOMMU groups. */
extern const char iommu_off_help[];
