/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every command that changes devices does around its work: open the
 * state, take the lock (saying who holds it if we give up), roll back
 * whatever an earlier run left half done, print the dry-run writes, the
 * report, and map the outcome to an exit code (DESIGN §4).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* The context a signal interrupts, and which signal it was (rule 12). */
static vfioctl_ctx *signal_ctx;
static volatile sig_atomic_t signal_caught;

static void on_signal(int sig)
{
        signal_caught = sig;
        vfioctl_ctx_interrupt(signal_ctx);
}

/*
 * Rule 12: SIGINT, SIGTERM and SIGHUP during a changing command ask the
 * library to roll back, as after a failure; the command then says so and
 * exits. No SA_RESTART: the signal must cut a wait short.
 */
static void signals_catch(vfioctl_ctx *ctx)
{
        struct sigaction sa = { .sa_handler = on_signal };
        static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

        signal_ctx = ctx;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
                sigaddset(&sa.sa_mask, sigs[i]);
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
                sigaction(sigs[i], &sa, NULL);
}

/* "(3 s of 10)" */
static void progress_clock(const struct vfioctl_progress *p, char *buf, size_t size)
{
        snprintf(buf, size, "(%u s of %g)", p->elapsed_ms / 1000, p->timeout_ms / 1000.0);
}

/* What the library waits on, about once a second, on stderr (issue 10 item 6). */
static void print_progress(void *userdata, const struct vfioctl_progress *p)
{
        struct cli *cli = userdata;
        char clock[64];

        if (cli->verbosity < 0)
                return;
        progress_clock(p, clock, sizeof(clock));
        switch (p->wait) {
        case VFIOCTL_WAIT_UNBIND:
                if (!p->driver_is_vfio)
                        fprintf(stderr, "waiting for %s to let go of %s %s\n", p->driver,
                                p->address, clock);
                else
                        fprintf(stderr, "waiting for %s to let go of %s: %s %s\n", p->driver,
                                p->address,
                                p->holder ? p->holder : "its IOMMU group is held open", clock);
                break;
        case VFIOCTL_WAIT_WRITE:
                fprintf(stderr, "waiting for the kernel to take '%s' in /%s %s\n", p->value,
                        p->path, clock);
                break;
        case VFIOCTL_WAIT_DRIVER:
                fprintf(stderr, "waiting for %s to bind to %s %s\n", p->address, p->driver,
                        clock);
                break;
        }
        if (cli->verbosity > 0 && p->path)
                fprintf(stderr, "  (pid %d writes '%s' to /%s)\n", p->helper_pid, p->value,
                        p->path);
}

static void print_write(void *userdata, const char *path, const char *value)
{
        struct session *s = userdata;

        if (s->writes) {
                json_t *w = json_object();

                json_object_set_new(w, "path", json_sprintf("/%s", path));
                json_object_set_new(w, "value", json_string(value));
                json_array_append_new(s->writes, w);
                return;
        }
        /* Exactly what is written, as a line a shell would run. */
        if (s->cli->stdout_is_data)
                fflush(stdout);
        fprintf(s->cli->stdout_is_data ? stderr : stdout, "echo '%s' > /%s\n", value, path);
}

int parse_timeout(const char *arg, unsigned *ret_ms)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(arg, &end);
        /* Written so that NaN fails too: every comparison with it is false. */
        if (errno || end == arg || *end || !(v >= 0 && v <= 3600))
                return usage_error(NULL, "--timeout takes seconds (0 to 3600), not '%.20s'", arg);
        *ret_ms = (unsigned) (v * 1000 + 0.5);
        return 0;
}

static int state_error(struct session *s, int r)
{
        lib_error(s->cli, r, EXIT_REFUSED, "cannot open the state");
        return EXIT_REFUSED;
}

int session_begin(struct cli *cli, struct session *s, unsigned timeout_ms, bool mutate)
{
        unsigned flags = mutate && !cli->dry_run ? 0 : VFIOCTL_STATE_READONLY;
        int r;

        *s = (struct session) { .cli = cli, .timeout_ms = timeout_ms };
        if (cli->dry_run && cli->json)
                s->writes = json_array();
        if (cli->dry_run)
                vfioctl_ctx_set_dry_run(cli->ctx, print_write, s);

        r = vfioctl_host_new(cli->ctx, &s->host);
        if (r < 0)
                return lib_error(cli, r, EXIT_USAGE, "cannot read the host");
        r = vfioctl_state_open(cli->ctx, cli->state_dir, flags, &s->st);
        if (r < 0)
                return state_error(s, r);
        r = vfioctl_report_new(&s->report);
        if (r < 0)
                return lib_error(cli, r, EXIT_REFUSED, "out of memory");
        if (!mutate || cli->dry_run)
                return EXIT_OK;

        vfioctl_ctx_set_progress_fn(cli->ctx, print_progress, cli);
        signals_catch(cli->ctx);
        r = vfioctl_state_lock(s->st, NULL, timeout_ms);
        if (r < 0)
                return lib_error(cli, r, EXIT_REFUSED, "cannot lock the state");
        return EXIT_OK;
}

void session_end(struct session *s)
{
        if (s->writes)
                json_decref(s->writes);
        if (s->undone)
                json_decref(s->undone);
        vfioctl_report_free(s->report);
        vfioctl_state_unref(s->st);
        vfioctl_host_unref(s->host);
        *s = (struct session) {};
}

static const char *drv(const char *d)
{
        return d ? d : "no driver";
}

/*
 * Rule 10: "0000:03:10.0 MAC/VLAN set: mac 52:54:00:12:34:56, vlan 42
 * (through eth5 VF 0; was mac 00:00:00:00:00:00, vlan 0)".
 */
void print_net_entry(FILE *f, struct cli *cli, const struct vfioctl_report_entry *e)
{
        bool set = e->action == VFIOCTL_ACTION_NET_SET;
        const char *what = set ? e->to : e->to ? e->to : "as it was";

        fprintf(f, "%s MAC/VLAN %s: %s (through %s%s%s)\n", e->address,
                cli->dry_run ? (set ? "would be set" : "would be put back")
                             : (set ? "set" : "put back"),
                what, e->detail ? e->detail : "its PF",
                set && e->from ? "; was " : "", set && e->from ? e->from : "");
}

/* One line per device, on stdout for what was done, stderr for what went wrong. */
static void print_entry(struct session *s, const struct vfioctl_report_entry *e)
{
        const char *detail = e->detail ? e->detail : "";
        struct cli *cli = s->cli;
        char line[1024];

        /* A dry run speaks in the conditional: nothing happened. */
        switch (e->action) {
        case VFIOCTL_ACTION_DETACHED:
                if (cli->verbosity >= 0)
                        printf("%s %s: %s -> %s\n", e->address,
                               cli->dry_run ? "would detach" : "detached", drv(e->from),
                               drv(e->to));
                break;
        case VFIOCTL_ACTION_REATTACHED:
                if (cli->verbosity >= 0)
                        printf("%s %s: %s -> %s\n", e->address,
                               cli->dry_run ? "would give back" : "given back", drv(e->from),
                               e->to       ? e->to
                               : e->detail ? e->detail
                                           : "unbound, as it was");
                break;
        case VFIOCTL_ACTION_FOUND_DETACHED:
                if (cli->verbosity >= 0)
                        printf("%s %s: %s\n", e->address,
                               cli->dry_run ? "would be kept as found detached"
                                            : "found detached",
                               detail);
                break;
        case VFIOCTL_ACTION_ALREADY_DETACHED:
                if (cli->verbosity >= 0)
                        printf("%s already detached (%s -> %s) %s\n", e->address, drv(e->from),
                               drv(e->to), detail);
                break;
        case VFIOCTL_ACTION_NOT_DETACHED:
        case VFIOCTL_ACTION_LEFT_ALONE:
                if (cli->verbosity >= 0)
                        printf("%s %s\n", e->address, detail);
                break;
        case VFIOCTL_ACTION_ROLLED_BACK:
                fprintf(stderr, "  %s put back: %s\n", e->address, drv(e->to));
                break;
        case VFIOCTL_ACTION_STUCK:
                fprintf(stderr, "  %s could NOT be put back on %s: %s\n", e->address, drv(e->to),
                        detail);
                break;
        case VFIOCTL_ACTION_BLOCKED:
                fprintf(stderr, "  %s still waiting: %s%s\n", e->address, detail,
                        e->reason == VFIOCTL_REASON_RECOVER_LATER
                                ? "; run 'vfioctl recover' again once it has"
                                : "");
                break;
        case VFIOCTL_ACTION_IN_USE:
        case VFIOCTL_ACTION_OWNED:
                fprintf(stderr, "  %s (%s): %s\n", e->address, e->from ? e->from : "unbound",
                        detail);
                break;
        case VFIOCTL_ACTION_GROUP_MEMBER:
                /* The member as list and show name it. */
                if (device_line_of(s->host, e->address, line, sizeof(line)))
                        fprintf(stderr, "  %s\n", line);
                else
                        fprintf(stderr, "  %s (%s): %s\n", e->address,
                                e->from ? e->from : "unbound", detail);
                break;
        case VFIOCTL_ACTION_RESERVED:
                if (cli->verbosity >= 0)
                        printf("%s reserved for %s from boot on (now on %s)%s%s\n", e->address,
                               drv(e->to), drv(e->from), *detail ? "; " : "", detail);
                break;
        case VFIOCTL_ACTION_UNRESERVED:
                if (cli->verbosity >= 0)
                        printf("%s no longer reserved (was for %s)\n", e->address, drv(e->from));
                break;
        case VFIOCTL_ACTION_NOT_APPLIED:
                fprintf(stderr, "  %s %s\n", e->address, detail);
                break;
        case VFIOCTL_ACTION_NET_SET:
        case VFIOCTL_ACTION_NET_RESTORED:
                if (cli->verbosity >= 0)
                        print_net_entry(stdout, cli, e);
                break;
        }
}

static bool is_put_back(enum vfioctl_action a)
{
        return a == VFIOCTL_ACTION_ROLLED_BACK;
}

static bool is_not_put_back(enum vfioctl_action a)
{
        return a == VFIOCTL_ACTION_STUCK || a == VFIOCTL_ACTION_BLOCKED;
}

/* Whether a rollback in the report left something behind. */
static bool report_has_stuck(vfioctl_report *report)
{
        for (size_t i = 0; i < vfioctl_report_n_entries(report); i++)
                if (is_not_put_back(vfioctl_report_entry_at(report, i)->action))
                        return true;
        return false;
}

static bool report_has_put_back(vfioctl_report *report)
{
        for (size_t i = 0; i < vfioctl_report_n_entries(report); i++)
                if (is_put_back(vfioctl_report_entry_at(report, i)->action))
                        return true;
        return false;
}

/*
 * Every entry of the report. A rollback that put some devices back and not
 * others gets two headings, so no "could NOT be put back" line stands under
 * a "rolled back:" that is not true of it.
 */
static void print_entries(struct session *s, vfioctl_report *report)
{
        size_t n = vfioctl_report_n_entries(report);
        bool split = report_has_put_back(report) && report_has_stuck(report);
        for (size_t i = 0; i < n; i++) {
                const struct vfioctl_report_entry *e = vfioctl_report_entry_at(report, i);

                if (!split || (!is_put_back(e->action) && !is_not_put_back(e->action)))
                        print_entry(s, e);
        }
        if (!split)
                return;
        fflush(stdout);
        fputs("rolled back:\n", stderr);
        for (size_t i = 0; i < n; i++)
                if (is_put_back(vfioctl_report_entry_at(report, i)->action))
                        print_entry(s, vfioctl_report_entry_at(report, i));
        fputs("not rolled back:\n", stderr);
        for (size_t i = 0; i < n; i++)
                if (is_not_put_back(vfioctl_report_entry_at(report, i)->action))
                        print_entry(s, vfioctl_report_entry_at(report, i));
}

static const char *outcome_word(enum vfioctl_outcome o)
{
        switch (o) {
        case VFIOCTL_OUTCOME_DONE:
                return "done";
        case VFIOCTL_OUTCOME_REFUSED:
                return "refused";
        case VFIOCTL_OUTCOME_INVALID:
                return "invalid";
        case VFIOCTL_OUTCOME_ATTENTION:
                return "attention";
        }
        return "?";
}

static const char *action_word(enum vfioctl_action a)
{
        static const char *const words[] = {
                [VFIOCTL_ACTION_DETACHED] = "detached",
                [VFIOCTL_ACTION_REATTACHED] = "reattached",
                [VFIOCTL_ACTION_FOUND_DETACHED] = "found_detached",
                [VFIOCTL_ACTION_ALREADY_DETACHED] = "already_detached",
                [VFIOCTL_ACTION_NOT_DETACHED] = "not_detached",
                [VFIOCTL_ACTION_LEFT_ALONE] = "left_alone",
                [VFIOCTL_ACTION_ROLLED_BACK] = "rolled_back",
                [VFIOCTL_ACTION_STUCK] = "stuck",
                [VFIOCTL_ACTION_BLOCKED] = "blocked",
                [VFIOCTL_ACTION_IN_USE] = "in_use",
                [VFIOCTL_ACTION_RESERVED] = "reserved",
                [VFIOCTL_ACTION_UNRESERVED] = "unreserved",
                [VFIOCTL_ACTION_NOT_APPLIED] = "not_applied",
                [VFIOCTL_ACTION_GROUP_MEMBER] = "group_member",
                [VFIOCTL_ACTION_OWNED] = "owned",
                [VFIOCTL_ACTION_NET_SET] = "net_set",
                [VFIOCTL_ACTION_NET_RESTORED] = "net_restored",
        };

        return (size_t) a < ELEMENTSOF(words) && words[a] ? words[a] : "?";
}

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

static int session_json(struct session *s, int code)
{
        json_t *doc = json_object(), *devs = json_array();
        const char *msg = cli_errmsg(s->cli);

        for (size_t i = 0; i < vfioctl_report_n_entries(s->report); i++) {
                const struct vfioctl_report_entry *e = vfioctl_report_entry_at(s->report, i);
                json_t *o = json_object();

                json_object_set_new(o, "address", json_string(e->address));
                json_object_set_new(o, "action", json_string(action_word(e->action)));
                json_object_set_new(o, "from", str_or_null(e->from));
                json_object_set_new(o, "to", str_or_null(e->to));
                json_object_set_new(o, "detail", str_or_null(e->detail));
                json_array_append_new(devs, o);
        }
        json_object_set_new(doc, "outcome",
                            json_string(outcome_word(vfioctl_report_get_outcome(s->report))));
        json_object_set_new(doc, "error", code != EXIT_OK && *msg ? json_string(msg) : json_null());
        json_object_set_new(doc, "devices", devs);
        if (s->writes)
                json_object_set(doc, "writes", s->writes);
        if (s->undone)
                json_object_set(doc, "undone", s->undone);
        json_print(doc);
        json_decref(doc);
        return code;
}

/*
 * The library's message first line, then the per-device lines, then the
 * rest of the message (the ways out follow the list they refer to).
 */
static void print_failure(struct session *s)
{
        const char *msg = cli_errmsg(s->cli);
        const char *nl = strchr(msg, '\n');

        if (nl)
                print_error("%.*s", (int) (nl - msg), msg);
        else if (*msg)
                print_error("%s", msg);
        print_entries(s, s->report);
        if (nl)
                fprintf(stderr, "%s\n", nl + 1);
}

int session_finish(struct session *s, int r)
{
        enum vfioctl_outcome o = vfioctl_report_get_outcome(s->report);
        int code = EXIT_OK;

        if (o == VFIOCTL_OUTCOME_ATTENTION)
                code = EXIT_ATTENTION;
        else if (r < 0)
                code = o == VFIOCTL_OUTCOME_INVALID ? EXIT_USAGE : EXIT_REFUSED;
        if (s->cli->json)
                return session_json(s, code);
        if (signal_caught && r == -EINTR)
                print_error("SIG%s: stopped, and rolled back what was changed:",
                            sigabbrev_np(signal_caught) ? sigabbrev_np(signal_caught) : "signal");
        if (code == EXIT_OK) {
                print_entries(s, s->report);
                if (s->cli->dry_run)
                        print_note(s->cli, "(dry run: nothing was changed)");
                return code;
        }
        print_failure(s);
        return code;
}

vfioctl_journal *session_pending(struct session *s)
{
        vfioctl_journal *ops = NULL;

        if (vfioctl_state_get_journal(s->st, &ops) < 0)
                return NULL;
        return ops;
}

void session_name_undone(struct session *s, vfioctl_journal *ops, vfioctl_report *report)
{
        bool changed = vfioctl_report_n_entries(report) > 0, stuck = report_has_stuck(report);
        bool back = report_has_put_back(report);

        for (size_t i = 0; i < vfioctl_journal_n_ops(ops); i++) {
                vfioctl_state_op *op = vfioctl_journal_op_at(ops, i);
                int64_t started = vfioctl_state_op_get_started_at(op);
                char when[64];
                time_t t = (time_t) started;
                struct tm tm;

                if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
                        snprintf(when, sizeof(when), "%lld", (long long) started);
                if (!s->cli->json)
                        print_note(s->cli, "vfioctl: '%s' (pid %d, started %s) was interrupted%s",
                                   vfioctl_state_op_get_command(op), vfioctl_state_op_get_pid(op),
                                   when,
                                   !changed ? " before it changed anything; its record is "
                                              "cleared"
                                   : stuck && back ? "; only part of what it changed was "
                                                     "rolled back:"
                                   : stuck ? "; not rolled back:"
                                           : "; rolled back what it changed:");
                if (!s->undone)
                        s->undone = json_array();
                json_array_append_new(s->undone,
                                      json_pack("{s:s, s:s, s:i, s:I}", "kind",
                                                vfioctl_state_op_get_kind(op), "command",
                                                vfioctl_state_op_get_command(op), "pid",
                                                vfioctl_state_op_get_pid(op), "started_at",
                                                (json_int_t) started));
        }
}

int session_recover(struct session *s)
{
        _cleanup_(vfioctl_journal_unrefp) vfioctl_journal *ops = NULL;
        vfioctl_report *report = NULL;
        int r;

        if (s->cli->dry_run)
                return EXIT_OK;
        r = vfioctl_report_new(&report);
        if (r < 0)
                return EXIT_REFUSED;
        ops = session_pending(s);
        r = vfioctl_recover(s->host, s->st, s->timeout_ms, report);
        if (r == 0 && vfioctl_report_n_entries(report) == 0) {
                vfioctl_report_free(report);
                return EXIT_OK; /* nothing to do: say nothing */
        }
        if (r > 0 || vfioctl_report_n_entries(report) > 0) {
                if (vfioctl_journal_n_ops(ops))
                        session_name_undone(s, ops, report);
                else
                        print_note(s->cli, "vfioctl: an earlier operation was interrupted%s",
                                   !report_has_stuck(report)    ? "; rolled back:"
                                   : report_has_put_back(report) ? ":"
                                                                 : "; not rolled back:");
                print_entries(s, report);
        }
        if (r < 0)
                lib_error(s->cli, r, EXIT_ATTENTION, "recover");
        vfioctl_report_free(report);
        return r < 0 ? EXIT_ATTENTION : EXIT_OK;
}

int session_begin_change(struct cli *cli, struct session *s, unsigned timeout_ms)
{
        int r;

        r = session_begin(cli, s, timeout_ms, true);
        if (r == EXIT_OK)
                r = session_recover(s);
        if (r != EXIT_OK)
                session_end(s);
        return r;
}
