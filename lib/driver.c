/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Moving a device from one driver to another, the way the kernel wants it
 * (kernel-semantics.md §1, DESIGN §3.3):
 *
 *   driver_override <- target   (only the target may now bind it)
 *   drivers/CUR/unbind <- BDF   (may block while a user holds the device)
 *   drivers_probe <- BDF        (reports success even when nothing bound)
 *   then wait, bounded, for the driver link to name the target.
 *
 * Never new_id: it binds every matching device, not the one asked for.
 *
 * Every step is one "converge" towards a wanted (driver, override) pair,
 * decided from what sysfs says now. The same function detaches, gives
 * back and rolls back, and because it starts from the device as it is,
 * running it again after a crash at any point finishes the job: that is
 * what makes recovery simple. Each write is journaled as intended before
 * it is made and marked done once verified.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "driver.h"

#define DEFAULT_TIMEOUT_MS 10000
#define HELPER_COMM "vfioctl-unbind"

int op_run_init(struct op_run *run, vfioctl_ctx *ctx, vfioctl_state *st, unsigned timeout_ms,
                vfioctl_report *report)
{
        *run = (struct op_run) {
                .ctx = ctx,
                .st = vfioctl_ctx_is_dry_run(ctx) ? NULL : st,
                .timeout_ms = timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS,
                .report = report,
                .next_seq = 1,
        };
        return sysfs_open_dir(ctx, SYSFS_PCI_DEVICES, &run->devices_fd);
}

void op_run_done(struct op_run *run)
{
        if (run->devices_fd >= 0)
                close(run->devices_fd);
        run->devices_fd = -EBADF;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int driver_read(struct op_run *run, const char *address, char **ret_driver, char **ret_override)
{
        _cleanup_free_ char *driver = NULL, *override = NULL;
        char path[VFIOCTL_PCI_ADDR_MAX + 32];
        int r;

        snprintf(path, sizeof(path), "%s/driver", address);
        r = sysfs_read_link_name(run->ctx, run->devices_fd, SYSFS_PCI_DEVICES, path, &driver);
        if (r < 0 && r != -ENOENT)
                return r;
        if (ret_override) {
                snprintf(path, sizeof(path), "%s/driver_override", address);
                r = sysfs_read_str(run->ctx, run->devices_fd, SYSFS_PCI_DEVICES, path, &override);
                if (r < 0)
                        return r;
                /* The kernel shows an unset override as "(null)". */
                if (streq(override, "(null)") || !*override) {
                        free(override);
                        override = NULL;
                }
                *ret_override = TAKE_PTR(override);
        }
        *ret_driver = TAKE_PTR(driver);
        return 0;
}

/* ------------------------------------------------------------------ */
/* Journaled writes                                                   */

static int journal_intended(struct op_run *run, const char *address, const char *path,
                            const char *value, int *ret_seq)
{
        int seq = run->next_seq++;

        *ret_seq = seq;
        if (!run->st)
                return 0;
        return state_op_step_intended(run->st, run->op_id, seq, address, path, value);
}

static int journal_set(struct op_run *run, int seq, const char *status, int helper_pid)
{
        if (!run->st)
                return 0;
        return state_op_step_set(run->st, run->op_id, seq, status, helper_pid);
}

/* Closes every descriptor but the ones in keep (sorted, all >= 3). */
static void close_all_but(const int *keep, size_t n)
{
        unsigned from = 3;

        for (size_t i = 0; i < n; i++) {
                if ((unsigned) keep[i] > from)
                        close_range(from, keep[i] - 1, 0);
                from = keep[i] + 1;
        }
        close_range(from, ~0U, 0);
}

static void helper_run(vfioctl_ctx *ctx, int result_fd, const char *path, const char *value)
{
        int keep[2] = { result_fd, ctx->root_fd };
        int devnull, r;

        /* The helper outlives us when the write blocks: it must not keep
         * our lock, our database or the caller's pipes open. */
        prctl(PR_SET_NAME, HELPER_COMM);
        if (keep[0] > keep[1]) {
                keep[0] = ctx->root_fd;
                keep[1] = result_fd;
        }
        close_all_but(keep, 2);
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull >= 0) {
                dup2(devnull, 0);
                dup2(devnull, 1);
                dup2(devnull, 2);
        }
        ctx->log_fn = NULL;
        r = sysfs_write(ctx, path, value);
        if (write(result_fd, &r, sizeof(r)) != sizeof(r))
                _exit(2);
        _exit(0);
}

/*
 * A write that may block for as long as a user holds the device (an
 * unbind from vfio-pci waits in the kernel for the last close, and cannot
 * be interrupted). It runs in a child process so that we can stop
 * waiting; the child finishes the write whenever the kernel lets it.
 * Returns the kernel's answer, or -ETIMEDOUT with the child's pid.
 */
static int write_bounded(struct op_run *run, const char *path, const char *value,
                         pid_t *ret_helper)
{
        _cleanup_close_ int rfd = -EBADF;
        int p[2], result = 0, status = 0;
        struct pollfd pfd;
        ssize_t n;
        pid_t pid;

        *ret_helper = 0;
        if (vfioctl_ctx_is_dry_run(run->ctx))
                return sysfs_write(run->ctx, path, value);
        if (pipe2(p, O_CLOEXEC) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0) {
                close(p[0]);
                close(p[1]);
                return negative_errno();
        }
        if (pid == 0) {
                close(p[0]);
                helper_run(run->ctx, p[1], path, value);
        }
        close(p[1]);
        rfd = p[0];

        pfd = (struct pollfd) { .fd = rfd, .events = POLLIN };
        for (;;) {
                int k = poll(&pfd, 1, (int) run->timeout_ms);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k == 0) {
                        *ret_helper = pid;
                        return -ETIMEDOUT;
                }
                break;
        }
        n = read(rfd, &result, sizeof(result));
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (n != sizeof(result))
                /* The helper died before answering (killed): the write may
                 * or may not have happened; the caller reads sysfs to see. */
                return ctx_error(run->ctx, -ECHILD, "the process writing %s died (%s)", path,
                                 WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "no answer");
        return result;
}

static int do_write(struct op_run *run, const char *address, const char *path,
                    const char *value, bool may_block, int *ret_seq)
{
        pid_t helper = 0;
        int seq, r;

        r = journal_intended(run, address, path, value, &seq);
        if (r < 0)
                return r;
        *ret_seq = seq;
        r = may_block ? write_bounded(run, path, value, &helper) : sysfs_write(run->ctx, path, value);
        if (r == -ETIMEDOUT && helper > 0) {
                /* Stays "intended": it has not completed, and may yet. */
                (void) journal_set(run, seq, "intended", helper);
                return r;
        }
        if (r < 0) {
                ctx_error(run->ctx, r, "writing '%s' to %s failed: %s", value, path,
                          r == -ECHILD ? "the writing process was killed" : strerror(-r));
                (void) journal_set(run, seq, "failed", 0);
                return r;
        }
        return 0;
}

/* Waits, bounded, until the driver link names want (or shows some other driver). */
static int wait_for_driver(struct op_run *run, const char *address, const char *want,
                           char **ret_driver)
{
        int64_t deadline = now_ms() + run->timeout_ms;
        unsigned pause_us = 1000;

        for (;;) {
                _cleanup_free_ char *driver = NULL;
                int r = driver_read(run, address, &driver, NULL);

                if (r < 0)
                        return r;
                /* Any driver settles it: the kernel binds synchronously on
                 * drivers_probe, so only "nothing yet" is worth waiting for. */
                if (driver || now_ms() >= deadline) {
                        *ret_driver = TAKE_PTR(driver);
                        return streq_ptr(*ret_driver, want) ? 0 : -ENXIO;
                }
                usleep(pause_us);
                if (pause_us < 50000)
                        pause_us *= 2;
        }
}

/* ------------------------------------------------------------------ */
/* Converging one device                                              */

struct converge {
        const char *address;
        int group;
        const char *driver;   /* wanted driver, NULL: unbound */
        const char *override; /* wanted override, NULL: unset */
        bool exact;           /* bind the wanted driver by name, not through drivers_probe */
        bool blocked;         /* out: an unbind is left waiting */
};

static int converge_unbind(struct op_run *run, struct converge *c, const char *from)
{
        char path[PATH_MAX];
        int seq, r;

        snprintf(path, sizeof(path), SYSFS_PCI_DRIVERS "/%s/unbind", from);
        r = do_write(run, c->address, path, c->address, true, &seq);
        if (r == -ETIMEDOUT) {
                char holder[256] = "";
                char vfio[64] = "";

                c->blocked = true;
                if (c->group >= 0) {
                        snprintf(vfio, sizeof(vfio), "/dev/vfio/%d", c->group);
                        if (driver_find_holder(run->ctx, c->group, holder, sizeof(holder)) <= 0)
                                snprintf(holder, sizeof(holder), "a process vfioctl cannot see");
                }
                if (*vfio)
                        return ctx_error(run->ctx, -ETIMEDOUT,
                                         "unbinding %s from %s did not finish within %.1f s: the "
                                         "device is in use (%s is held open by %s). The unbind "
                                         "completes when it is closed; then run 'vfioctl "
                                         "recover'",
                                         c->address, from, run->timeout_ms / 1000.0, vfio, holder);
                return ctx_error(run->ctx, -ETIMEDOUT,
                                 "unbinding %s from %s did not finish within %.1f s: the device "
                                 "is in use. The unbind completes when it is released; then run "
                                 "'vfioctl recover'",
                                 c->address, from, run->timeout_ms / 1000.0);
        }
        if (r < 0)
                return r;
        return journal_set(run, seq, "done", 0);
}

/* drivers_probe, then the link must name the wanted driver. */
static int converge_probe(struct op_run *run, struct converge *c)
{
        _cleanup_free_ char *got = NULL;
        char path[PATH_MAX];
        int seq, r;

        r = do_write(run, c->address, "sys/bus/pci/drivers_probe", c->address, false, &seq);
        if (r < 0)
                return r;
        if (vfioctl_ctx_is_dry_run(run->ctx))
                return 0;
        r = wait_for_driver(run, c->address, c->driver, &got);
        if (r == 0)
                return journal_set(run, seq, "done", 0);
        if (r != -ENXIO)
                return r;
        if (!got) {
                (void) journal_set(run, seq, "failed", 0);
                return ctx_error(run->ctx, -ENXIO,
                                 "%s did not bind to %s: drivers_probe bound nothing within "
                                 "%.1f s (the driver's probe refused it; see the kernel log)",
                                 c->address, c->driver, run->timeout_ms / 1000.0);
        }
        /* Another driver won the probe (the original one was bound by hand,
         * or a dynamic id matched first): take it off, bind the one asked for. */
        (void) journal_set(run, seq, "done", 0);
        snprintf(path, sizeof(path), SYSFS_PCI_DRIVERS "/%s/unbind", got);
        r = do_write(run, c->address, path, c->address, true, &seq);
        if (r < 0)
                return r;
        (void) journal_set(run, seq, "done", 0);
        snprintf(path, sizeof(path), SYSFS_PCI_DRIVERS "/%s/bind", c->driver);
        r = do_write(run, c->address, path, c->address, false, &seq);
        if (r < 0)
                return r;
        free(got);
        got = NULL;
        r = wait_for_driver(run, c->address, c->driver, &got);
        if (r < 0)
                return ctx_error(run->ctx, -ENXIO, "%s did not bind to %s (driver: %s)",
                                 c->address, c->driver, got ? got : "none");
        return journal_set(run, seq, "done", 0);
}

/*
 * Giving a device back to the driver it had: drivers/NAME/bind names the
 * driver, where drivers_probe would take whichever matches first. The
 * override was restored before, so the kernel's matching agrees.
 */
static int converge_bind_exact(struct op_run *run, struct converge *c)
{
        _cleanup_free_ char *got = NULL;
        char path[PATH_MAX];
        int seq, r;

        snprintf(path, sizeof(path), SYSFS_PCI_DRIVERS "/%s/bind", c->driver);
        r = do_write(run, c->address, path, c->address, false, &seq);
        if (r < 0)
                return r;
        if (vfioctl_ctx_is_dry_run(run->ctx))
                return 0;
        r = wait_for_driver(run, c->address, c->driver, &got);
        if (r == -ENXIO) {
                (void) journal_set(run, seq, "failed", 0);
                return ctx_error(run->ctx, -ENXIO, "%s did not bind to %s (driver now: %s)",
                                 c->address, c->driver, got ? got : "none");
        }
        if (r < 0)
                return r;
        return journal_set(run, seq, "done", 0);
}

/*
 * First half of a move: the wanted override, and off the current driver
 * if that is not the wanted one. Writes only what differs from sysfs now.
 */
static int converge_release(struct op_run *run, struct converge *c)
{
        _cleanup_free_ char *driver = NULL, *override = NULL;
        char path[VFIOCTL_PCI_ADDR_MAX + 64];
        int seq, r;

        r = driver_read(run, c->address, &driver, &override);
        if (r < 0)
                return r;
        if (!streq_ptr(override, c->override)) {
                snprintf(path, sizeof(path), SYSFS_PCI_DEVICES "/%s/driver_override", c->address);
                r = do_write(run, c->address, path, c->override ? c->override : "", false, &seq);
                if (r < 0)
                        return r;
                r = journal_set(run, seq, "done", 0);
                if (r < 0)
                        return r;
        }
        if (!driver || streq_ptr(driver, c->driver))
                return 0;
        return converge_unbind(run, c, driver);
}

/*
 * The kernel's choice: drivers_probe binds whichever driver matches, or
 * none (a device no loaded driver wants stays unbound, which is no
 * failure). The probe runs synchronously, so the link is read once.
 */
static int converge_probe_any(struct op_run *run, struct converge *c)
{
        _cleanup_free_ char *got = NULL;
        int seq, r;

        r = do_write(run, c->address, "sys/bus/pci/drivers_probe", c->address, false, &seq);
        if (r < 0)
                return r;
        if (vfioctl_ctx_is_dry_run(run->ctx))
                return 0;
        r = driver_read(run, c->address, &got, NULL);
        if (r < 0)
                return r;
        log_debug(run->ctx, "%s: the kernel bound %s", c->address, got ? got : "nothing");
        return journal_set(run, seq, "done", 0);
}

/* Second half: probe for the wanted driver unless it is already bound. */
static int converge_bind(struct op_run *run, struct converge *c)
{
        _cleanup_free_ char *driver = NULL;
        int r;

        if (!c->driver)
                return 0;
        r = driver_read(run, c->address, &driver, NULL);
        if (r < 0)
                return r;
        if (streq(c->driver, DRIVER_KERNEL_CHOICE))
                return driver && !vfioctl_ctx_is_dry_run(run->ctx) ? 0
                                                                   : converge_probe_any(run, c);
        /* In a dry run the old driver is still bound: the probe would follow. */
        if (streq_ptr(driver, c->driver))
                return 0;
        return c->exact ? converge_bind_exact(run, c) : converge_probe(run, c);
}

static int converge(struct op_run *run, struct converge *c)
{
        int r = converge_release(run, c);

        return r < 0 ? r : converge_bind(run, c);
}

/* ------------------------------------------------------------------ */
/* Operations: apply, roll back, recover                              */

/* The commands that put a device back by hand, for a STUCK report. */
static void fix_commands(vfioctl_ctx *ctx, const struct vfioctl_state_change *ch, char *buf,
                         size_t size)
{
        const char *root = vfioctl_ctx_get_root(ctx);
        const char *sep = streq(root, "/") ? "" : root;
        int n;

        n = snprintf(buf, size, "echo '%s' > %s/" SYSFS_PCI_DEVICES "/%s/driver_override",
                     ch->before_override ? ch->before_override : "", sep, ch->address);
        if (n < 0 || (size_t) n >= size)
                return;
        n += snprintf(buf + n, size - n,
                      "; [ -e %s/" SYSFS_PCI_DEVICES "/%s/driver ] && echo %s > %s/" SYSFS_PCI_DEVICES
                      "/%s/driver/unbind",
                      sep, ch->address, ch->address, sep, ch->address);
        if (ch->before_driver && n > 0 && (size_t) n < size)
                snprintf(buf + n, size - n, "; echo %s > %s/" SYSFS_PCI_DRIVERS "/%s/bind",
                         ch->address, sep, ch->before_driver);
}

static void change_target(const struct vfioctl_state_change *ch, bool before,
                          struct converge *c)
{
        *c = (struct converge) {
                .address = ch->address,
                .group = ch->group,
                .driver = before ? ch->before_driver : ch->target_driver,
                .override = before ? ch->before_override : ch->target_override,
        };
        /* A stub is reached through its override and drivers_probe (DESIGN
         * §3.3); a host driver is named, as drivers_probe would take
         * whichever driver matches first. */
        c->exact = c->driver && !streq_ptr(c->override, c->driver);
}

static void report_stuck(struct op_run *run, const struct vfioctl_state_change *ch,
                         const struct converge *c)
{
        char fix[1024];

        fix_commands(run->ctx, ch, fix, sizeof(fix));
        report_add(run->report, ch->address,
                   c->blocked ? VFIOCTL_ACTION_BLOCKED : VFIOCTL_ACTION_STUCK, NULL,
                   ch->before_driver, "%s; to put it back by hand: %s",
                   vfioctl_ctx_errmsg(run->ctx), fix);
}

/*
 * Puts changes [0, n) back as they were, last first, in two passes: every
 * device off the driver it should not have, then every device probed.
 * A host driver cannot bind into a group while VFIO may use it, so no
 * member goes back to its host driver while another is still on vfio-pci.
 * skip (or -1) is a device whose unbind is still blocked: touching it
 * would block too (the kernel holds its device lock). Returns whether
 * everything was restored.
 */
static bool rollback(struct op_run *run, const struct vfioctl_state_change *changes, size_t n,
                     ssize_t skip)
{
        _cleanup_free_ bool *failed = calloc(n ? n : 1, sizeof(bool));
        _cleanup_free_ bool *touched = calloc(n ? n : 1, sizeof(bool));
        bool all = true;
        int seq, r;

        if (!failed || !touched)
                return false;
        for (size_t i = n; i > 0; i--) {
                struct converge c;

                if ((ssize_t) (i - 1) == skip)
                        continue;
                change_target(&changes[i - 1], true, &c);
                seq = run->next_seq;
                r = converge_release(run, &c);
                touched[i - 1] = run->next_seq != seq;
                if (r < 0) {
                        failed[i - 1] = true;
                        all = false;
                        report_stuck(run, &changes[i - 1], &c);
                }
        }
        for (size_t i = n; i > 0; i--) {
                const struct vfioctl_state_change *ch = &changes[i - 1];
                int seq_before_bind = run->next_seq;
                struct converge c;

                if ((ssize_t) (i - 1) == skip || failed[i - 1])
                        continue;
                change_target(ch, true, &c);
                if (converge_bind(run, &c) < 0) {
                        all = false;
                        report_stuck(run, ch, &c);
                        continue;
                }
                if (touched[i - 1] || run->next_seq != seq_before_bind)
                        report_add(run->report, ch->address, VFIOCTL_ACTION_ROLLED_BACK,
                                   ch->target_driver, ch->before_driver, NULL);
        }
        return all;
}

static int op_end(struct op_run *run)
{
        return run->st ? state_op_end(run->st, run->op_id) : 0;
}

/* After a failure at changes[failed]: put back [0, upto) and say what is left. */
static int op_fail(struct op_run *run, const struct vfioctl_state_change *changes, size_t upto,
                   const struct converge *c, int error)
{
        char first_error[1024];
        bool restored;

        /* Keep the first failure as the message: it is the cause. */
        snprintf(first_error, sizeof(first_error), "%s", vfioctl_ctx_errmsg(run->ctx));
        if (c->blocked)
                report_add(run->report, c->address, VFIOCTL_ACTION_BLOCKED, NULL, NULL, "%s",
                           first_error);
        restored = rollback(run, changes, upto, c->blocked ? (ssize_t) (upto - 1) : -1);
        if (restored && !c->blocked) {
                (void) op_end(run);
                report_set_outcome(run->report, VFIOCTL_OUTCOME_REFUSED);
        } else
                report_set_outcome(run->report, VFIOCTL_OUTCOME_ATTENTION);
        ctx_error(run->ctx, error, "%s", first_error);
        return error;
}

int op_apply(struct op_run *run, const char *kind, const char *command,
             const struct vfioctl_state_change *changes, size_t n, bool two_pass)
{
        struct converge c;
        int r;

        if (run->st) {
                r = state_op_begin(run->st, kind, command, changes, n, &run->op_id);
                if (r < 0)
                        return r;
        }
        /* The failing device may be half changed: it is put back too,
         * unless its unbind still blocks (its device lock is held). */
        for (size_t i = 0; i < n; i++) {
                change_target(&changes[i], false, &c);
                r = two_pass ? converge_release(run, &c) : converge(run, &c);
                if (r < 0)
                        return op_fail(run, changes, i + 1, &c, r);
        }
        for (size_t i = 0; two_pass && i < n; i++) {
                change_target(&changes[i], false, &c);
                r = converge_bind(run, &c);
                if (r < 0)
                        return op_fail(run, changes, n, &c, r);
        }
        return 0;
}

static bool pid_is_helper(pid_t pid)
{
        char path[64], stat[256] = "", *close_paren;
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        if (pid <= 0)
                return false;
        /* Our own helper process, not under --root: "PID (COMM) STATE ...".
         * A recycled pid shows another name; a zombie has finished. */
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, stat, sizeof(stat) - 1);
        if (n <= 0)
                return false;
        stat[n] = '\0';
        close_paren = strrchr(stat, ')');
        if (!close_paren || close_paren[1] != ' ' || close_paren[2] == 'Z' ||
            close_paren[2] == 'X')
                return false;
        *close_paren = '\0';
        return strstr(stat, "(" HELPER_COMM) != NULL;
}

int op_recover(struct op_run *run, const struct vfioctl_state_op *op)
{
        ssize_t blocked = -1;
        bool restored;

        run->op_id = op->id;
        run->next_seq = 1;
        for (size_t i = 0; i < op->n_steps; i++)
                if (op->steps[i].seq >= run->next_seq)
                        run->next_seq = op->steps[i].seq + 1;

        /* An unbind still waiting in its helper cannot be undone yet. */
        for (size_t i = 0; i < op->n_steps && blocked < 0; i++) {
                const struct vfioctl_state_step *s = &op->steps[i];

                if (!streq(s->status, "intended") || !pid_is_helper(s->helper_pid))
                        continue;
                for (size_t j = 0; j < op->n_changes; j++)
                        if (streq(op->changes[j].address, s->address))
                                blocked = (ssize_t) j;
                if (blocked >= 0) {
                        char holder[256] = "a process vfioctl cannot see";
                        int group = op->changes[blocked].group;

                        if (group >= 0)
                                driver_find_holder(run->ctx, group, holder, sizeof(holder));
                        report_add(run->report, s->address, VFIOCTL_ACTION_BLOCKED, NULL, NULL,
                                   "the unbind started by '%s' still waits (helper pid %d); "
                                   "/dev/vfio/%d is held by %s; run 'vfioctl recover' once it "
                                   "is released",
                                   op->command, s->helper_pid, group, holder);
                }
        }

        restored = rollback(run, op->changes, op->n_changes, blocked);
        if (!restored || blocked >= 0) {
                report_set_outcome(run->report, VFIOCTL_OUTCOME_ATTENTION);
                return 0;
        }
        return op_end(run) < 0 ? -EIO : 1;
}

/* ------------------------------------------------------------------ */
/* Who holds /dev/vfio/N                                              */

static bool pid_holds(vfioctl_ctx *ctx, int proc_fd, const char *pid, const char *want1,
                      const char *want2)
{
        _cleanup_strv_free_ char **fds = NULL;
        _cleanup_close_ int fd = -EBADF;
        char sub[64], target[PATH_MAX];

        snprintf(sub, sizeof(sub), "%s/fd", pid);
        if (sysfs_open_subdir(ctx, proc_fd, sub, &fd) < 0 ||
            sysfs_list_dir(ctx, fd, sub, &fds, NULL) < 0)
                return false;
        for (char **f = fds; *f; f++)
                if (sysfs_read_link(fd, *f, target, sizeof(target)) == 0 &&
                    (streq(target, want1) || streq(target, want2)))
                        return true;
        return false;
}

int driver_find_holder(vfioctl_ctx *ctx, int group, char *buf, size_t size)
{
        _cleanup_strv_free_ char **pids = NULL;
        _cleanup_close_ int proc_fd = -EBADF;
        const char *root = vfioctl_ctx_get_root(ctx);
        char want1[64], want2[PATH_MAX];
        char errmsg[sizeof(ctx->errmsg)];
        int found = 0;

        /* Looking is best effort: keep the caller's error message. */
        memcpy(errmsg, ctx->errmsg, sizeof(errmsg));
        snprintf(want1, sizeof(want1), "/dev/vfio/%d", group);
        snprintf(want2, sizeof(want2), "%s/dev/vfio/%d", streq(root, "/") ? "" : root, group);
        if (sysfs_open_dir(ctx, "proc", &proc_fd) < 0 ||
            sysfs_list_dir(ctx, proc_fd, "proc", &pids, NULL) < 0)
                goto out;
        for (char **p = pids; *p; p++) {
                _cleanup_free_ char *comm = NULL;
                char sub[64];

                if (strspn(*p, "0123456789") != strlen(*p) || !pid_holds(ctx, proc_fd, *p, want1, want2))
                        continue;
                snprintf(sub, sizeof(sub), "%s/comm", *p);
                if (sysfs_read_str(ctx, proc_fd, "proc", sub, &comm) < 0)
                        comm = NULL;
                snprintf(buf, size, "pid %s (%s)", *p, comm ? comm : "?");
                found = 1;
                break;
        }
out:
        memcpy(ctx->errmsg, errmsg, sizeof(errmsg));
        return found;
}

/* ------------------------------------------------------------------ */
/* Which drivers are stubs                                            */

/* A module's name as modules.alias writes it ("vfio-pci-igb" -> "vfio_pci_igb"). */
static void module_name(const char *driver, char *buf, size_t size)
{
        size_t i;

        for (i = 0; driver[i] && i + 1 < size; i++)
                buf[i] = driver[i] == '-' ? '_' : driver[i];
        buf[i] = '\0';
}

/*
 * The modules with "vfio_pci:" aliases in lib/modules/RELEASE/modules.alias
 * (as libvirt finds vfio variant drivers), read once per host. A host
 * without the file (no modules installed under the root) has none.
 */
static int load_vfio_modules(vfioctl_host *host)
{
        _cleanup_free_ char *release = NULL, *aliases = NULL, *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n = 0;

        if (host->vfio_modules_loaded)
                return 0;
        host->vfio_modules_loaded = true;
        if (sysfs_open_dir(host->ctx, "proc/sys/kernel", &fd) < 0 ||
            sysfs_read_str(host->ctx, fd, "proc/sys/kernel", "osrelease", &release) < 0 ||
            strchr(release, '/') || release[0] == '.') {
                ctx_clear_error(host->ctx);
                return 0;
        }
        close(fd);
        fd = -EBADF;
        if (asprintf(&dir, "lib/modules/%s", release) < 0)
                return -ENOMEM;
        if (sysfs_open_dir(host->ctx, dir, &fd) < 0 ||
            sysfs_read_text(host->ctx, fd, dir, "modules.alias", 64 << 20, &aliases) < 0) {
                ctx_clear_error(host->ctx);
                return 0;
        }
        for (char *line = aliases, *next; line && *line; line = next) {
                char *mod, **l;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strncmp(line, "alias vfio_pci:", 15) != 0)
                        continue;
                mod = strrchr(line, ' ');
                if (!mod || !mod[1])
                        continue;
                l = realloc(host->vfio_modules, (n + 2) * sizeof(*l));
                if (!l)
                        return -ENOMEM;
                host->vfio_modules = l;
                l[n] = strdup(mod + 1);
                if (!l[n])
                        return -ENOMEM;
                l[++n] = NULL;
        }
        return 0;
}

/* Whether a loaded driver registers its devices with vfio: a device it has
 * bound shows vfio-dev/, or its module has vfio_pci: aliases. */
static bool driver_is_vfio_variant(vfioctl_host *host, const char *driver, vfioctl_device *dev)
{
        char path[PATH_MAX], mod[NAME_MAX + 1];
        _cleanup_strv_free_ char **bound = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (dev && streq_ptr(dev->driver, driver)) {
                snprintf(path, sizeof(path), "%s/vfio-dev", dev->name);
                return sysfs_exists(host->ctx, host->devices_fd, path) > 0;
        }
        snprintf(path, sizeof(path), SYSFS_PCI_DRIVERS "/%s", driver);
        if (!strchr(driver, '/') && sysfs_open_dir(host->ctx, path, &fd) >= 0 &&
            sysfs_list_dir(host->ctx, fd, path, &bound, NULL) >= 0)
                for (char **b = bound; *b; b++) {
                        struct vfioctl_pci_addr a;
                        char p[VFIOCTL_PCI_ADDR_MAX + 16];

                        if (vfioctl_pci_addr_parse(*b, &a) < 0)
                                continue;
                        snprintf(p, sizeof(p), "%s/vfio-dev", *b);
                        if (sysfs_exists(host->ctx, host->devices_fd, p) > 0)
                                return true;
                }
        ctx_clear_error(host->ctx);
        if (load_vfio_modules(host) < 0)
                return false;
        module_name(driver, mod, sizeof(mod));
        for (char **m = host->vfio_modules; m && *m; m++)
                if (streq(*m, mod))
                        return true;
        return false;
}

/* Rule 11 */
enum driver_stub driver_stub_kind(vfioctl_host *host, const char *driver, vfioctl_device *dev)
{
        bool vfio;
        int r;

        if (!driver)
                return DRIVER_NONE;
        if (streq(driver, "vfio-pci"))
                return DRIVER_STUB_VFIO;
        if (streq(driver, "pci-stub") || streq(driver, "xen-pciback") || streq(driver, "pciback"))
                return DRIVER_STUB_HOLD;
        /* Being a vfio driver is a property of the driver: learnt once per
         * name, so a listing of 4,000 VFs on one driver asks once. */
        r = host_driver_is_vfio(host, driver);
        if (r >= 0)
                return r ? DRIVER_STUB_VFIO : DRIVER_HOST;
        vfio = driver_is_vfio_variant(host, driver, dev);
        (void) host_remember_driver(host, driver, vfio);
        return vfio ? DRIVER_STUB_VFIO : DRIVER_HOST;
}
