/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Output helpers shared by the commands: errors, device labels and the
 * JSON form of a device, so `list` and `show` describe devices alike.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static json_t *string_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

/* One tool, one command: what the helpers below need to know of it. */
static struct {
        struct cli *cli;
        bool printed;      /* a JSON document went to standard output */
        char *first_error; /* for the error document */
} out;

/* Whether standard output and standard error are one file (2>&1 into a
 * pipe or a log, as the libvirt hook and journald have them). */
static bool streams_shared(void)
{
        struct stat a, b;

        return fstat(STDOUT_FILENO, &a) == 0 && fstat(STDERR_FILENO, &b) == 0 &&
               a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void output_init(struct cli *cli)
{
        out.cli = cli;
        /* stdout is block-buffered into a pipe, stderr is not: into one file
         * the lines would come out of order (a note before the lines it sums
         * up). Line by line then; alone, stdout keeps its buffer (big lists). */
        if (streams_shared())
                setvbuf(stdout, NULL, _IOLBF, 0);
}

/* The first error, its first line only: JSON readers get no layout. */
_printf_(1, 0) static void remember_error(const char *format, va_list ap)
{
        char *msg = NULL;

        if (out.first_error || !out.cli || !out.cli->json)
                return;
        if (vasprintf(&msg, format, ap) < 0)
                return;
        msg[strcspn(msg, "\n")] = '\0';
        out.first_error = msg;
}

void print_error(const char *format, ...)
{
        va_list ap;

        fputs("vfioctl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        va_start(ap, format);
        remember_error(format, ap);
        va_end(ap);
}

static const char *exit_word(int code)
{
        switch (code) {
        case EXIT_OK:
                return "done";
        case EXIT_REFUSED:
                return "refused";
        case EXIT_USAGE:
                return "invalid";
        default:
                return "attention";
        }
}

int output_done(struct cli *cli, int code)
{
        if (cli->json && !out.printed && code != EXIT_OK) {
                json_t *doc = json_object();

                json_object_set_new(doc, "outcome", json_string(exit_word(code)));
                json_object_set_new(doc, "error",
                                    json_string(out.first_error ? out.first_error : "failed"));
                json_object_set_new(doc, "exit_code", json_integer(code));
                json_print(doc);
                json_decref(doc);
        }
        free(out.first_error);
        out.first_error = NULL;
        return code;
}

void print_note(struct cli *cli, const char *format, ...)
{
        va_list ap;

        if (cli->verbosity < 0)
                return;
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int usage_error(const char *cmd, const char *format, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        if (!cmd && out.cli && out.cli->cmd)
                cmd = out.cli->cmd->name;
        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                msg = NULL;
        if (cmd)
                print_error("%s (see 'vfioctl %s --help')", msg ? msg : "usage error", cmd);
        else
                print_error("%s", msg ? msg : "usage error");
        return EXIT_USAGE;
}

/*
 * The library says what is wrong; what to do about it on the command line
 * is ours, chosen by the reason it gives (vfioctl_ctx_get_reason()).
 */
/* "line 2: <hostdev>: 0000:05:00.0 is ..." -> "0000:05:00.0 is ...". */
static const char *without_position(const char *msg)
{
        const char *p = msg;

        if (strncmp(p, "line ", 5) != 0)
                return msg;
        p += 5 + strspn(p + 5, "0123456789");
        if (strncmp(p, ": ", 2) != 0)
                return msg;
        p += 2;
        if (*p == '<' && strchr(p, '>') && strncmp(strchr(p, '>'), ">: ", 3) == 0)
                p = strchr(p, '>') + 3;
        return p;
}

const char *cli_errmsg(struct cli *cli)
{
        static char buf[2048];
        const char *msg = vfioctl_ctx_errmsg(cli->ctx);
        const char *subject = strempty(vfioctl_ctx_get_reason_subject(cli->ctx));
        bool assign = cli->cmd && streq(cli->cmd->name, "assign");
        size_t len;

        if (cli->errmsg_without_position)
                msg = without_position(msg);
        len = strlen(msg);

        switch (vfioctl_ctx_get_reason(cli->ctx)) {
        case VFIOCTL_REASON_ROOT:
                snprintf(buf, sizeof(buf), "%s (--root)", msg);
                break;
        case VFIOCTL_REASON_NO_DEVICE:
                snprintf(buf, sizeof(buf), "%s; 'vfioctl list --all' shows the addresses there are",
                         msg);
                break;
        case VFIOCTL_REASON_NO_GUEST:
                /* Inside a closing parenthesis when the message ends in one. */
                if (len > 0 && msg[len - 1] == ')')
                        snprintf(buf, sizeof(buf), "%.*s; 'vfioctl status' lists the guests)",
                                 (int) len - 1, msg);
                else
                        snprintf(buf, sizeof(buf), "%s ('vfioctl status' lists the guests)", msg);
                break;
        case VFIOCTL_REASON_RECOVER:
                snprintf(buf, sizeof(buf), "%s; run 'vfioctl recover' to put them back", msg);
                break;
        case VFIOCTL_REASON_TIMEOUT:
                snprintf(buf, sizeof(buf), "%s (--timeout)", msg);
                break;
        case VFIOCTL_REASON_STATE_DAMAGED:
                snprintf(buf, sizeof(buf), "%s: check 'vfioctl list', then move the file aside",
                         msg);
                break;
        case VFIOCTL_REASON_STATE_FOREIGN:
                snprintf(buf, sizeof(buf), "%s (use another --state-dir, or move the file aside)",
                         msg);
                break;
        case VFIOCTL_REASON_IN_USE:
                snprintf(buf, sizeof(buf), "%s. Stop using it first, or pass --force%s", msg,
                         assign ? "" : " to detach anyway");
                break;
        case VFIOCTL_REASON_UNFINISHED:
                snprintf(buf, sizeof(buf), "%s; run 'vfioctl recover'%s first", msg,
                         cli->dry_run ? " (without --dry-run)" : "");
                break;
        case VFIOCTL_REASON_RECOVER_LATER:
                snprintf(buf, sizeof(buf), "%s; run 'vfioctl recover' once it is done", msg);
                break;
        case VFIOCTL_REASON_OWNED:
                if (assign)
                        snprintf(buf, sizeof(buf),
                                 "%s. Release it first ('vfioctl release %s') or choose another "
                                 "device",
                                 msg, subject);
                else
                        snprintf(buf, sizeof(buf), "%s: release it first with 'vfioctl release %s'",
                                 msg, subject);
                break;
        case VFIOCTL_REASON_NOT_OWNED:
                snprintf(buf, sizeof(buf), "%s ('vfioctl status %s' lists what it owns)", msg,
                         subject);
                break;
        case VFIOCTL_REASON_NO_NETWORK:
                snprintf(buf, sizeof(buf),
                         "%s: give its XML with --network FILE (or --network-dir DIR holding "
                         "%s.xml)",
                         msg, subject);
                break;
        case VFIOCTL_REASON_ON_OTHER_STUB:
                snprintf(buf, sizeof(buf),
                         "%s: give it back to the host first ('vfioctl reattach %s', or by hand "
                         "if vfioctl did not detach it)",
                         msg, subject);
                break;
        case VFIOCTL_REASON_UNMANAGED:
                snprintf(buf, sizeof(buf),
                         "%s. Detach it first ('vfioctl detach %s', --group if its group needs "
                         "it), or make it managed='yes'",
                         msg, subject);
                break;
        case VFIOCTL_REASON_UNMANAGED_GROUP:
                /* After the members the message lists (print_failure()). */
                snprintf(buf, sizeof(buf),
                         "%s\nDetach them first ('vfioctl detach --group %s'), or make the "
                         "hostdev managed='yes' with <driver name='vfio' group='auto'/>",
                         msg, subject);
                break;
        case VFIOCTL_REASON_GUEST_EXISTS:
                /* Inside the closing parenthesis of the count. */
                snprintf(buf, sizeof(buf),
                         "%.*s; 'vfioctl status %s' lists them): release it first ('vfioctl "
                         "release %s')",
                         (int) (len > 0 && msg[len - 1] == ')' ? len - 1 : len), msg, subject,
                         subject);
                break;
        case VFIOCTL_REASON_GROUP:
                /* After the members the message lists (print_failure()). */
                snprintf(buf, sizeof(buf), "%s\nWays out:\n%s  or move the card to a slot with an "
                         "IOMMU group of its own", msg,
                         assign
                                 ? "  <driver name='vfio' group='auto'/> in the <hostdev> (--group "
                                   "auto): detach them too and hold them for this guest\n"
                                   "  list them in the definition (assigned='no' holds one "
                                   "without giving it to the guest)\n"
                                 : "  --group        detach them too, in this one call (they "
                                   "leave the host)\n"
                                   "  --driver kvm   only hold the device with pci-stub (legacy; "
                                   "it cannot be given to a guest through VFIO while the group is "
                                   "shared)\n");
                break;
        default:
                snprintf(buf, sizeof(buf), "%s", msg);
                break;
        }
        return buf;
}

int lib_error(struct cli *cli, int r, int code, const char *what)
{
        const char *msg = cli_errmsg(cli);

        if (msg && *msg)
                print_error("%s", msg);
        else
                print_error("%s: %s", what, strerror(-r));
        return code;
}

/* A host of its own for resolving DEV arguments: resolving reads a few
 * links, not the whole host. */
static int resolve_host_new(vfioctl_host **ret)
{
        int r;

        if (!out.cli || !out.cli->ctx)
                return -EINVAL;
        r = vfioctl_host_new(out.cli->ctx, ret);
        if (r < 0)
                return lib_error(out.cli, r, EXIT_USAGE, "reading the host"), -EINVAL;
        return 0;
}

/* What a DEV argument stands for (an address, a slot, an interface). */
static int resolve_arg(vfioctl_host *host, const char *arg, struct vfioctl_pci_addr **ret,
                       size_t *ret_n)
{
        int r;

        r = vfioctl_host_resolve_device(host, arg, ret, ret_n);
        if (r == -EINVAL) {
                print_error("%s; as 'vfioctl list' shows them (for example 0000:03:00.0, "
                            "03:00.0, 03:00 or enp3s0)", cli_errmsg(out.cli));
                return r;
        }
        if (r < 0) {
                lib_error(out.cli, r, EXIT_USAGE, "resolving the device");
                return -EINVAL;
        }
        return 0;
}

int parse_device_arg(const char *arg, struct vfioctl_pci_addr *ret)
{
        _cleanup_(vfioctl_host_unrefp) vfioctl_host *host = NULL;
        _cleanup_free_ struct vfioctl_pci_addr *a = NULL;
        size_t n = 0;
        int r;

        r = resolve_host_new(&host);
        if (r >= 0)
                r = resolve_arg(host, arg, &a, &n);
        if (r < 0)
                return r;
        if (n > 1) {
                char first[VFIOCTL_PCI_ADDR_MAX], last[VFIOCTL_PCI_ADDR_MAX];

                print_error("'%s' is a slot of %zu functions (%s to %s); name one of them", arg,
                            n, vfioctl_pci_addr_format(&a[0], first),
                            vfioctl_pci_addr_format(&a[n - 1], last));
                return -EINVAL;
        }
        *ret = a[0];
        return 0;
}

/* Parses DEV... into addresses, each named once, in the order given;
 * prints why on error. */
int parse_device_args(int argc, char **argv, struct vfioctl_pci_addr **ret, size_t *ret_n)
{
        _cleanup_(vfioctl_host_unrefp) vfioctl_host *host = NULL;
        _cleanup_free_ struct vfioctl_pci_addr *all = NULL;
        size_t n = 0;

        if (optind >= argc || resolve_host_new(&host) < 0)
                return -EINVAL;
        for (int i = optind; i < argc; i++) {
                _cleanup_free_ struct vfioctl_pci_addr *a = NULL;
                struct vfioctl_pci_addr *na;
                size_t m = 0;

                if (resolve_arg(host, argv[i], &a, &m) < 0)
                        return -EINVAL;
                na = realloc(all, (n + m) * sizeof(*all));
                if (!na)
                        return -ENOMEM;
                all = na;
                for (size_t j = 0; j < m; j++) {
                        bool dup = false;
                        for (size_t k = 0; k < n && !dup; k++)
                                dup = vfioctl_pci_addr_compare(&all[k], &a[j]) == 0;
                        if (!dup)
                                all[n++] = a[j];
                }
        }
        *ret = TAKE_PTR(all);
        *ret_n = n;
        return 0;
}

int json_print(json_t *doc)
{
        int r;

        if (json_is_object(doc) && !json_object_get(doc, "dry_run"))
                json_object_set_new(doc, "dry_run",
                                    json_boolean(out.cli && out.cli->dry_run));
        r = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        out.printed = true;
        return r;
}

const char *device_line(vfioctl_device *dev, char *buf, size_t size)
{
        char name[512];

        snprintf(buf, size, "%s (%s, %s): %s", vfioctl_device_get_address(dev),
                 vfioctl_device_get_class_word(dev), vfioctl_device_get_driver(dev) ?: "unbound",
                 device_full_name(dev, name, sizeof(name)));
        return buf;
}

const char *device_line_of(vfioctl_host *host, const char *address, char *buf, size_t size)
{
        struct vfioctl_pci_addr a;
        vfioctl_device *dev;

        if (!host || vfioctl_pci_addr_parse(address, &a) < 0 ||
            vfioctl_host_get_device(host, &a, &dev) < 0)
                return NULL;
        return device_line(dev, buf, size);
}

const char *device_full_name(vfioctl_device *dev, char *buf, size_t size)
{
        const char *vendor = vfioctl_device_get_vendor_name(dev);
        const char *device = vfioctl_device_get_device_name(dev);

        if (vfioctl_device_get_error(dev, NULL))
                snprintf(buf, size, "(unreadable)");
        else if (vendor && device)
                snprintf(buf, size, "%s %s", vendor, device);
        else if (vendor)
                snprintf(buf, size, "%s device %04x", vendor, vfioctl_device_get_device_id(dev));
        else
                snprintf(buf, size, "unknown device %04x:%04x", vfioctl_device_get_vendor_id(dev),
                         vfioctl_device_get_device_id(dev));
        return buf;
}

/*
 * Who owns what, read once from the state. Read-only: listing never
 * creates the state folder, and a missing state means nothing is owned.
 * An unreadable one (damaged, newer, untrusted) means owners are unknown,
 * which the command must say: owner null would read as "free".
 */
static void owners_load(struct cli *cli)
{
        vfioctl_state *st = NULL;

        if (cli->owners_loaded)
                return;
        cli->owners_loaded = true;
        if (vfioctl_state_open(cli->ctx, cli->state_dir, VFIOCTL_STATE_READONLY, &st) < 0 ||
            vfioctl_state_get_devices(st, NULL, &cli->owner_rows, &cli->n_owner_rows) < 0) {
                cli->owner_rows = NULL;
                cli->n_owner_rows = 0;
                cli->owners_error = strdup(cli_errmsg(cli));
                if (!cli->owners_error)
                        cli->owners_error = strdup("out of memory");
        }
        vfioctl_state_unref(st);
}

const char *owners_error(struct cli *cli)
{
        owners_load(cli);
        return cli->owners_error;
}

/* The host's interfaces, read once: one directory and a link each. */
static void interfaces_load(struct cli *cli)
{
        _cleanup_(vfioctl_host_unrefp) vfioctl_host *host = NULL;

        if (cli->interfaces_loaded)
                return;
        cli->interfaces_loaded = true;
        if (vfioctl_host_new(cli->ctx, &host) < 0 ||
            vfioctl_host_get_interfaces(host, &cli->interfaces, &cli->n_interfaces) < 0) {
                cli->interfaces = NULL;
                cli->n_interfaces = 0;
        }
}

const char *device_interfaces(struct cli *cli, vfioctl_device *dev, char *buf, size_t size)
{
        const struct vfioctl_pci_addr *a = vfioctl_device_get_addr(dev);
        size_t len = 0;

        interfaces_load(cli);
        buf[0] = '\0';
        for (size_t i = 0; i < cli->n_interfaces; i++)
                if (vfioctl_pci_addr_compare(&cli->interfaces[i].address, a) == 0 && len < size)
                        len += (size_t) snprintf(buf + len, size - len, "%s%s", len ? "," : "",
                                                 cli->interfaces[i].name);
        return buf[0] ? buf : NULL;
}

static void pending_load(struct cli *cli)
{
        vfioctl_state *st = NULL;

        if (cli->pending_loaded)
                return;
        cli->pending_loaded = true;
        if (vfioctl_state_open(cli->ctx, cli->state_dir, VFIOCTL_STATE_READONLY, &st) < 0 ||
            vfioctl_state_get_journal(st, &cli->pending) < 0)
                cli->pending = NULL;
        vfioctl_state_unref(st);
}

static const char *when_text(int64_t t, char *buf, size_t size)
{
        time_t tt = (time_t) t;
        struct tm tm;

        if (!localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
                snprintf(buf, size, "%lld", (long long) t);
        return buf;
}

void print_unfinished(struct cli *cli, bool blank_line)
{
        char when[64];

        pending_load(cli);
        for (size_t i = 0; i < vfioctl_journal_n_ops(cli->pending); i++) {
                vfioctl_state_op *op = vfioctl_journal_op_at(cli->pending, i);

                printf("%sUnfinished: '%s' (pid %d, started %s) was interrupted.\n",
                       blank_line || i > 0 ? "\n" : "", vfioctl_state_op_get_command(op),
                       vfioctl_state_op_get_pid(op),
                       when_text(vfioctl_state_op_get_started_at(op), when, sizeof(when)));
                if (!vfioctl_state_op_has_written(op)) {
                        printf("It had written nothing; 'vfioctl recover' (or the next command "
                               "that changes anything) only clears its record.\n");
                        continue;
                }
                printf("'vfioctl recover' (or the next command that changes anything) puts "
                       "back:\n");
                for (size_t j = 0; j < vfioctl_state_op_n_changes(op); j++) {
                        const char *address = NULL, *before = NULL;

                        (void) vfioctl_state_op_get_change(op, j, &address, &before, NULL);
                        printf("  %s -> %s\n", address, before ?: "unbound, as it was");
                }
        }
}

json_t *unfinished_json(struct cli *cli)
{
        json_t *a = json_array();

        pending_load(cli);
        for (size_t i = 0; i < vfioctl_journal_n_ops(cli->pending); i++) {
                vfioctl_state_op *op = vfioctl_journal_op_at(cli->pending, i);
                json_t *o = json_object(), *back = json_array();

                for (size_t j = 0; j < vfioctl_state_op_n_changes(op) &&
                                   vfioctl_state_op_has_written(op);
                     j++) {
                        const char *address = NULL, *before = NULL;

                        (void) vfioctl_state_op_get_change(op, j, &address, &before, NULL);
                        json_array_append_new(back, json_pack("{s:s, s:o}", "address", address,
                                                              "driver", string_or_null(before)));
                }
                json_object_set_new(o, "id", json_integer(vfioctl_state_op_get_id(op)));
                json_object_set_new(o, "kind", json_string(vfioctl_state_op_get_kind(op)));
                json_object_set_new(o, "command", json_string(vfioctl_state_op_get_command(op)));
                json_object_set_new(o, "pid", json_integer(vfioctl_state_op_get_pid(op)));
                json_object_set_new(o, "started_at",
                                    json_integer(vfioctl_state_op_get_started_at(op)));
                json_object_set_new(o, "recover_puts_back", back);
                json_array_append_new(a, o);
        }
        return a;
}

void cli_free_owners(struct cli *cli)
{
        cli->pending = vfioctl_journal_unref(cli->pending);
        free(cli->interfaces);
        cli->interfaces = NULL;
        cli->n_interfaces = 0;
        vfioctl_state_devices_free(cli->owner_rows, cli->n_owner_rows);
        cli->owner_rows = NULL;
        cli->n_owner_rows = 0;
        free(cli->owners_error);
        cli->owners_error = NULL;
}

static const struct vfioctl_state_device *state_row(struct cli *cli, vfioctl_device *dev)
{
        owners_load(cli);
        for (size_t i = 0; i < cli->n_owner_rows; i++)
                if (streq(cli->owner_rows[i].address, vfioctl_device_get_address(dev)))
                        return &cli->owner_rows[i];
        return NULL;
}

const char *group_owner(struct cli *cli, int group)
{
        owners_load(cli);
        for (size_t i = 0; i < cli->n_owner_rows && group >= 0; i++)
                if (cli->owner_rows[i].group == group && cli->owner_rows[i].owner)
                        return cli->owner_rows[i].owner;
        return NULL;
}

/* A member of an owned group belongs to that guest (DESIGN rule 4). */
const char *device_owner(struct cli *cli, vfioctl_device *dev)
{
        const struct vfioctl_state_device *row = state_row(cli, dev);

        if (row && row->owner)
                return row->owner;
        return group_owner(cli, vfioctl_device_get_group_number(dev));
}

const char *device_state_word(struct cli *cli, vfioctl_device *dev)
{
        const struct vfioctl_state_device *row;

        if (vfioctl_device_get_error(dev, NULL))
                return "error";
        if (!vfioctl_device_is_on_stub(dev))
                return "host";
        row = state_row(cli, dev);
        if (row && row->role == VFIOCTL_ROLE_ASSIGNED)
                return "assigned";
        if (row && row->role == VFIOCTL_ROLE_HELD)
                return "held";
        return "detached";
}

static json_t *hex_string(unsigned v, int width)
{
        char buf[16];
        snprintf(buf, sizeof(buf), "0x%0*x", width, v);
        return json_string(buf);
}


static json_t *interfaces_json(struct cli *cli, vfioctl_device *dev)
{
        const struct vfioctl_pci_addr *a = vfioctl_device_get_addr(dev);
        json_t *l = json_array();

        interfaces_load(cli);
        for (size_t i = 0; i < cli->n_interfaces; i++)
                if (vfioctl_pci_addr_compare(&cli->interfaces[i].address, a) == 0)
                        json_array_append_new(l, json_string(cli->interfaces[i].name));
        return l;
}

static json_t *parent_pf_json(vfioctl_device *dev)
{
        struct vfioctl_pci_addr pf;
        char buf[VFIOCTL_PCI_ADDR_MAX];

        if (vfioctl_device_get_parent_pf(dev, &pf) <= 0)
                return json_null();
        return json_string(vfioctl_pci_addr_format(&pf, buf));
}

json_t *device_json(struct cli *cli, vfioctl_device *dev)
{
        const char *errmsg;
        char name[512];
        int group = vfioctl_device_get_group_number(dev);
        json_t *o, *reserved;

        o = json_object();
        json_object_set_new(o, "address", json_string(vfioctl_device_get_address(dev)));
        json_object_set_new(o, "vendor", hex_string(vfioctl_device_get_vendor_id(dev), 4));
        json_object_set_new(o, "device", hex_string(vfioctl_device_get_device_id(dev), 4));
        json_object_set_new(o, "class", json_string(vfioctl_device_get_class_word(dev)));
        json_object_set_new(o, "class_code", hex_string(vfioctl_device_get_class(dev), 6));
        json_object_set_new(o, "name", json_string(device_full_name(dev, name, sizeof(name))));
        json_object_set_new(o, "driver", string_or_null(vfioctl_device_get_driver(dev)));
        json_object_set_new(o, "state", json_string(device_state_word(cli, dev)));
        json_object_set_new(o, "owner", string_or_null(device_owner(cli, dev)));
        json_object_set_new(o, "group", group >= 0 ? json_integer(group) : json_null());
        json_object_set_new(o, "multifunction",
                            json_boolean(vfioctl_device_is_multifunction(dev)));
        json_object_set_new(o, "bridge", json_boolean(vfioctl_device_is_bridge(dev)));
        json_object_set_new(o, "viable_member",
                            json_boolean(vfioctl_device_is_viable_member(dev)));
        json_object_set_new(o, "interfaces", interfaces_json(cli, dev));
        json_object_set_new(o, "physfn", parent_pf_json(dev));
        if (vfioctl_device_get_error(dev, &errmsg))
                json_object_set_new(o, "error", json_string(errmsg));
        /* Only reserved devices carry it (vfioctl(8), RESERVATIONS). */
        reserved = reservation_json(cli, dev);
        if (reserved)
                json_object_set_new(o, "reserved", reserved);
        return o;
}

/* ------------------------------------------------------------------ */
/* Aligned text tables: every column as wide as its widest cell, the
 * last one left ragged so long device names do not pad lines. */

struct table {
        size_t n_cols;
        size_t n_cells, allocated;
        char **cells;
};

struct table *table_new(size_t n_cols, ...)
{
        struct table *t = calloc(1, sizeof(*t));
        va_list ap;

        if (!t)
                return NULL;
        t->n_cols = n_cols;
        va_start(ap, n_cols);
        for (size_t i = 0; i < n_cols; i++)
                table_add(t, va_arg(ap, const char *));
        va_end(ap);
        return t;
}

void table_add(struct table *t, const char *cell)
{
        if (t->n_cells == t->allocated) {
                size_t na = t->allocated ? t->allocated * 2 : 64;
                char **n = realloc(t->cells, na * sizeof(char *));
                if (!n)
                        abort();
                t->cells = n;
                t->allocated = na;
        }
        t->cells[t->n_cells++] = strdup(cell ? cell : "");
}

void table_print(struct table *t, FILE *f)
{
        size_t width[16] = {};

        for (size_t i = 0; i < t->n_cells; i++) {
                size_t c = i % t->n_cols, len = strlen(t->cells[i]);
                if (c < ELEMENTSOF(width) && len > width[c])
                        width[c] = len;
        }
        for (size_t i = 0; i < t->n_cells; i++) {
                size_t c = i % t->n_cols;
                if (c + 1 == t->n_cols)
                        fprintf(f, "%s\n", t->cells[i]);
                else
                        fprintf(f, "%-*s  ", (int) width[c], t->cells[i]);
        }
}

void table_free(struct table *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
}
