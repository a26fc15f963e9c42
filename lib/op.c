/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The step executor: one operation's changes journaled, applied through
 * the bind protocol (driver.c), rolled back on the first failure, and
 * recovered from the journal after a crash. Every write runs in a bounded
 * helper process (rule 12), journaled as intended before it is made and
 * marked done once the kernel answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "driver.h"
#include "holder.h"
#include "op.h"
#include "plan.h"
#include "vfnet.h"
#include "workers.h"

#define DEFAULT_TIMEOUT_MS 10000
#define HELPER_COMM "vfioctl-write"
/* How long an interrupted write may still take to answer before we leave it. */
#define INTERRUPT_GRACE_MS 200
/* Rule 15: groups at once (they wait for the kernel, not for a CPU:
 * 64 VFs go fastest in two rounds, bench/sriov.sh), and how often a
 * waiting one looks for an interruption (a signal wakes only the thread
 * it lands on). */
#define DEFAULT_JOBS 32
#define PARALLEL_POLL_MS 100

static int group_set_add(struct op_run *run, int group);
static int helper_end(struct helper *h);

int op_run_init(struct op_run *run, vfioctl_ctx *ctx, vfioctl_state *st, unsigned timeout_ms,
                vfioctl_report *report)
{
        int r;

        *run = (struct op_run) {
                .ctx = ctx,
                .st = vfioctl_ctx_is_dry_run(ctx) ? NULL : st,
                .timeout_ms = timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS,
                .report = report,
                .next_seq = 1,
                .jobs = DEFAULT_JOBS,
                .devices_fd = -EBADF,
                .bus_fd = -EBADF,
                .helper = { .fd = -EBADF },
        };
        devdirs_init(&run->own_dirs);
        run->dirs = &run->own_dirs;
        r = sysfs_open_dir(ctx, SYSFS_PCI_BUS, &run->bus_fd);
        if (r >= 0)
                r = sysfs_open_dir(ctx, SYSFS_PCI_DEVICES, &run->devices_fd);
        if (r < 0)
                op_run_done(run);
        return r;
}

void op_run_done(struct op_run *run)
{
        if (run->st && run->reserved_end > 0)
                state_op_unreserve(run->st, run->reserved_end);
        run->reserved_end = 0;
        free(run->groups);
        run->groups = NULL;
        run->n_groups = 0;
        free(run->forget);
        run->forget = NULL;
        run->n_forget = 0;
        if (run->devices_fd >= 0)
                close(run->devices_fd);
        run->devices_fd = -EBADF;
        if (run->bus_fd >= 0)
                close(run->bus_fd);
        run->bus_fd = -EBADF;
        (void) helper_end(&run->helper);
        devdirs_done(&run->own_dirs);
}

/* A device's own folder (borrowed from run->dirs), or -errno when it has none. */
static int op_device_dir(struct op_run *run, const char *address)
{
        return devdirs_get(run->dirs, run->devices_fd, address);
}

const char *op_device_attr(struct op_run *run, const char *address, const char *attr,
                           int *ret_dirfd, char buf[SYSFS_PATH_MAX])
{
        int dir = op_device_dir(run, address);

        if (dir >= 0) {
                *ret_dirfd = dir;
                return attr;
        }
        *ret_dirfd = run->devices_fd;
        return sysfs_device_attr(buf, address, attr);
}

/* ------------------------------------------------------------------ */
/* Journaled, bounded writes                                          */

int op_journal_set(struct op_run *run, int seq, const char *status, int helper_pid)
{
        int r;

        if (!run->st)
                return 0;
        r = state_op_step_set(run->st, run->op_id, seq, status, helper_pid);
        /* A rollback goes on when it cannot journal (a full state file
         * system): the changes recorded before the first write are what
         * recover needs; the steps only say how far it got. */
        if (r < 0 && run->rolling_back) {
                log_debug(run->ctx, "rolling back without a journal step: %s",
                          vfioctl_ctx_errmsg(run->ctx));
                return 0;
        }
        return r;
}

static void sort_ints(int *v, size_t n)
{
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
                        int t = v[j];

                        v[j] = v[j - 1];
                        v[j - 1] = t;
                }
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

/*
 * Rule 12's helper. It is forked on a group's first write (a fork is the
 * dearest part of a step: every page of a process with threads becomes
 * copy-on-write) and makes that group's writes one after the other, each
 * told over its socket once the journal holds it. A write that does not
 * answer in time is left to finish in it, and the next one gets a new
 * helper.
 */
#define HELPER_VALUE_MAX 256

struct helper_request {
        char path[SYSFS_PATH_MAX]; /* relative to sys/bus/pci */
        char value[HELPER_VALUE_MAX];
};

/* Rule 15: the helper of the group this thread runs (NULL: the operation's own). */
static __thread struct helper *unit_helper;

/* A request, and the folder its path is relative to when one came with it. */
static ssize_t helper_receive(int fd, struct helper_request *req, int *ret_dir)
{
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control;
        struct iovec iov = { .iov_base = req, .iov_len = sizeof(*req) };
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        struct cmsghdr *c;
        ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);

        c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
                memcpy(ret_dir, CMSG_DATA(c), sizeof(int));
        return n;
}

/* Sends a request, with the folder its path is relative to (dir < 0: sys/bus/pci). */
static bool helper_send(int fd, const struct helper_request *req, int dir)
{
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (void *) req, .iov_len = sizeof(*req) };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (dir >= 0) {
                struct cmsghdr *c = &control.h;

                msg.msg_control = &control;
                msg.msg_controllen = sizeof(control);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &dir, sizeof(int));
        }
        return sendmsg(fd, &msg, MSG_NOSIGNAL) == sizeof(*req);
}

/*
 * The helper's side: only async-signal-safe calls (it is a fork of a
 * caller that may have threads), and it writes nothing it was not asked
 * to after the parent journaled it: a parent killed before that leaves a
 * helper that reads the end of its socket and exits, never an unrecorded
 * write.
 */
static __attribute__((noreturn)) void helper_run(int bus_fd, int fd)
{
        struct sigaction ign = { .sa_handler = SIG_IGN }, dfl = { .sa_handler = SIG_DFL };
        int keep[2] = { fd, bus_fd };
        int devnull;

        /* The helper outlives us when the write blocks: it must not keep
         * our lock, our database or the caller's pipes open, and a Ctrl-C
         * meant for vfioctl must not reach it (the kernel would abandon
         * the write half way, or the sim would). */
        prctl(PR_SET_NAME, HELPER_COMM);
        setpgid(0, 0);
        sigaction(SIGINT, &ign, NULL);
        sigaction(SIGHUP, &ign, NULL);
        sigaction(SIGTERM, &dfl, NULL);
        sigaction(SIGPIPE, &dfl, NULL);
        sort_ints(keep, 2);
        close_all_but(keep, 2);
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull >= 0) {
                dup2(devnull, 0);
                dup2(devnull, 1);
                dup2(devnull, 2);
        }
        for (;;) {
                struct helper_request req;
                int dir = -EBADF, r;
                ssize_t n = helper_receive(fd, &req, &dir);

                if (n == 0)
                        _exit(0); /* the parent is done, or gone */
                if (n != sizeof(req))
                        _exit(3);
                req.path[sizeof(req.path) - 1] = req.value[sizeof(req.value) - 1] = '\0';
                r = sysfs_write_raw(dir >= 0 ? dir : bus_fd, req.path, req.value);
                if (dir >= 0)
                        close(dir);
                if (write(fd, &r, sizeof(r)) != sizeof(r))
                        _exit(2);
        }
}

static int helper_start(struct op_run *run, struct helper *h)
{
        int sv[2];
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0) {
                int r = negative_errno();

                close(sv[0]);
                close(sv[1]);
                return r;
        }
        if (pid == 0)
                helper_run(run->bus_fd, sv[1]);
        close(sv[1]);
        *h = (struct helper) { .pid = pid, .fd = sv[0] };
        return 0;
}

/* A helper whose write still waits: it finishes alone, and exits on the closed socket. */
static void helper_leave(struct helper *h)
{
        if (h->fd >= 0)
                close(h->fd);
        *h = (struct helper) { .fd = -EBADF };
}

/* An idle helper (or a dead one) ends: it reads the end of its socket. */
static int helper_end(struct helper *h)
{
        int status = 0;

        if (h->fd >= 0)
                close(h->fd);
        while (h->pid > 0 && waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
                ;
        *h = (struct helper) { .fd = -EBADF };
        return status;
}

/* The helper of the group this thread runs, or the operation's own. */
static struct helper *helper_for(struct op_run *run)
{
        return unit_helper ? unit_helper : &run->helper;
}

void op_progress(struct op_run *run, struct wait_info *w, const char *path,
                 const char *value, pid_t helper, int64_t elapsed)
{
        struct vfioctl_progress p;

        if (!run->ctx->progress_fn)
                return;
        if (w->wait == VFIOCTL_WAIT_UNBIND && w->driver_is_vfio && !w->holder_looked) {
                w->holder_looked = true;
                if (holder_find(run->ctx, run->groups, run->n_groups, w->holder,
                                       sizeof(w->holder)) <= 0)
                        w->holder[0] = '\0';
        }
        p = (struct vfioctl_progress) {
                .wait = w->wait,
                .address = w->address,
                .path = path,
                .value = value,
                .driver = w->driver,
                .driver_is_vfio = w->driver_is_vfio,
                .holder = w->holder[0] ? w->holder : NULL,
                .helper_pid = helper,
                .elapsed_ms = (unsigned) elapsed,
                .timeout_ms = run->timeout_ms,
        };
        run->ctx->progress_fn(run->ctx->progress_data, &p);
}

/* Whether an interruption should stop this wait: never while rolling back. */
bool op_interrupted(struct op_run *run)
{
        return run->ctx->interrupted && !run->rolling_back;
}

/*
 * A device's attribute is written in the device's own folder, sent along
 * with the request: one lookup for the helper instead of the walk through
 * bus/pci/devices' link. Anything else is relative to sys/bus/pci.
 */
static int device_attr_dir(struct op_run *run, const char *path, const char **ret_name)
{
        static const char prefix[] = SYSFS_PCI_DEVICES "/";
        char address[VFIOCTL_PCI_ADDR_MAX];
        const char *p, *slash;
        int dir;

        if (strncmp(path, prefix, strlen(prefix)) != 0)
                return -EBADF;
        p = path + strlen(prefix);
        slash = strchr(p, '/');
        if (!slash || strchr(slash + 1, '/') || (size_t) (slash - p) >= sizeof(address))
                return -EBADF;
        memcpy(address, p, slash - p);
        address[slash - p] = '\0';
        dir = op_device_dir(run, address);
        *ret_name = slash + 1;
        return dir;
}

/*
 * Every write that can block (rule 12): override, unbind, bind and
 * drivers_probe take the device lock, which a blocked unbind holds, and
 * an unbind from vfio-pci waits in the kernel for the last close and
 * cannot be interrupted. So each runs in a child process that we can stop
 * waiting for; the child finishes the write whenever the kernel lets it.
 * The step is journaled as intended, with the child's pid, before the
 * child may write: a later recover knows a write is still in flight and
 * never writes behind it. Returns the kernel's answer, or -ETIMEDOUT /
 * -EINTR with *ret_helper set while the child still waits.
 */
static int write_send(struct op_run *run, struct wait_info *w, const char *path,
                      const char *value, int seq, bool *ret_journal_failed)
{
        struct helper *h = helper_for(run);
        struct helper_request req = {};
        const char *name = NULL;
        int dir, r;

        r = sysfs_write_check(run->ctx, path);
        if (r < 0)
                return r;
        if (strlen(value) >= sizeof(req.value))
                return ctx_error(run->ctx, -E2BIG, "refusing to write %zu bytes to %s",
                                 strlen(value), path);
        dir = device_attr_dir(run, path, &name);
        snprintf(req.path, sizeof(req.path), "%s", dir >= 0 ? name : sysfs_bus_relpath(path));
        snprintf(req.value, sizeof(req.value), "%s", value);
        log_debug(run->ctx, "write '%s' to %s", value, path);
        if (h->pid <= 0) {
                /* Rule 15: the fork touches nothing the lock guards. */
                op_wait_begin(run);
                r = helper_start(run, h);
                op_wait_end(run);
                if (r < 0)
                        return r;
        }

        r = run->st ? state_op_step_intended(run->st, run->op_id, seq, w->address, path, value,
                                             (int) h->pid)
                    : 0;
        if (r < 0 && run->rolling_back) {
                log_debug(run->ctx, "rolling back without a journal step: %s",
                          vfioctl_ctx_errmsg(run->ctx));
                r = 0;
        }
        if (r < 0) {
                *ret_journal_failed = true;
                return r; /* not asked: the helper writes nothing */
        }
        if (!helper_send(h->fd, &req, dir)) {
                int status = helper_end(h);

                return ctx_error(run->ctx, -ECHILD, "the process to write %s died (%s)", path,
                                 WIFSIGNALED(status) ? strsignal(WTERMSIG(status))
                                                     : "it did not take the write");
        }
        return 0;
}

/*
 * Waits for the helper's answer to a write sent at start, until the run's
 * timeout, or for at most slice_ms (-1: no slice), then -EAGAIN. *next_tick
 * is when progress is due next.
 */
static int write_answer(struct op_run *run, struct wait_info *w, const char *path,
                        const char *value, int64_t start, int64_t *next_tick, int slice_ms,
                        pid_t *ret_helper)
{
        struct helper *h = helper_for(run);
        struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
        int64_t deadline = start + run->timeout_ms;
        int64_t give_back = slice_ms < 0 ? INT64_MAX : op_now_ms() + slice_ms;
        pid_t pid = h->pid;
        int result = 0;
        ssize_t n;

        *ret_helper = 0;
        for (;;) {
                int64_t t = op_now_ms();
                int64_t until = *next_tick < deadline ? *next_tick : deadline;
                int k;

                if (run->lock && until > t + PARALLEL_POLL_MS)
                        until = t + PARALLEL_POLL_MS;
                if (until > give_back)
                        until = give_back;
                op_wait_begin(run);
                k = poll(&pfd, 1, until > t ? (int) (until - t) : 0);
                op_wait_end(run);

                if (k > 0)
                        break;
                if (k < 0 && errno != EINTR)
                        return negative_errno();
                if (op_interrupted(run)) {
                        /* A write that answers at once is let finish: only
                         * one that really waits is left to its helper. */
                        bool answered;

                        op_wait_begin(run);
                        answered = poll(&pfd, 1, INTERRUPT_GRACE_MS) > 0;
                        op_wait_end(run);
                        if (answered)
                                break;
                        *ret_helper = pid;
                        helper_leave(h);
                        return -EINTR;
                }
                t = op_now_ms();
                if (t >= deadline) {
                        /* Rule 15: the answer may have come while another
                         * group held the lock; only a silent helper timed out. */
                        if (poll(&pfd, 1, 0) > 0)
                                break;
                        *ret_helper = pid;
                        helper_leave(h);
                        return -ETIMEDOUT;
                }
                if (t >= *next_tick) {
                        op_progress(run, w, path, value, pid, t - start);
                        /* Ticks missed while waiting for the lock are not repeated. */
                        *next_tick = t + PROGRESS_TICK_MS;
                }
                if (t >= give_back)
                        return -EAGAIN;
        }
        n = recv(h->fd, &result, sizeof(result), 0);
        if (n != sizeof(result)) {
                /* The helper died before answering (killed): the write may
                 * or may not have happened; the caller reads sysfs to see. */
                int status = helper_end(h);

                return ctx_error(run->ctx, -ECHILD, "the process writing %s died (%s)", path,
                                 WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "no answer");
        }
        return result == -EMSGSIZE ? -EIO : result;
}

static int write_bounded(struct op_run *run, struct wait_info *w, const char *path,
                         const char *value, int seq, pid_t *ret_helper, bool *ret_journal_failed)
{
        int64_t start, next_tick;
        int r;

        *ret_helper = 0;
        if (vfioctl_ctx_is_dry_run(run->ctx))
                return sysfs_write(run->ctx, path, value);
        r = write_send(run, w, path, value, seq, ret_journal_failed);
        if (r < 0)
                return r;
        start = op_now_ms();
        next_tick = start + PROGRESS_TICK_MS;
        return write_answer(run, w, path, value, start, &next_tick, -1, ret_helper);
}

/* After the kernel's answer (or none): a failed write is said and journaled as such. */
static int write_result(struct op_run *run, const char *path, const char *value, int seq,
                        int r, pid_t helper, pid_t *ret_blocked)
{
        if ((r == -ETIMEDOUT || r == -EINTR) && helper > 0) {
                *ret_blocked = helper;
                return r;
        }
        if (r < 0) {
                ctx_error(run->ctx, r, "writing '%s' to %s failed: %s", value, path,
                          r == -ECHILD ? "the writing process was killed" : strerror(-r));
                (void) op_journal_set(run, seq, "failed", 0);
                return r;
        }
        return 0;
}

/*
 * One journaled write. On -ETIMEDOUT/-EINTR the step stays "intended"
 * with its helper's pid (it has not completed, and may yet) and
 * *ret_blocked names the helper.
 */
int op_do_write(struct op_run *run, struct wait_info *w, const char *path,
                    const char *value, int *ret_seq, pid_t *ret_blocked)
{
        bool journal_failed = false;
        pid_t helper = 0;
        int seq = run->next_seq++, r;

        *ret_seq = seq;
        *ret_blocked = 0;
        r = write_bounded(run, w, path, value, seq, &helper, &journal_failed);
        if (journal_failed)
                return r; /* nothing written; the state said why */
        return write_result(run, path, value, seq, r, helper, ret_blocked);
}

/* An op_write that did not finish, said as such. */
static int write_unfinished(struct op_run *run, const char *path, const char *value, int r)
{
        if (r == -ETIMEDOUT)
                return ctx_error_reason(run->ctx, VFIOCTL_REASON_RECOVER_LATER, r,
                                        "writing '%s' to %s did not finish within %.1f s (the "
                                        "device is busy)",
                                        value, path, run->timeout_ms / 1000.0);
        return r;
}

int op_write(struct op_run *run, const char *address, const char *path, const char *value,
             bool may_block)
{
        struct wait_info w = { .wait = VFIOCTL_WAIT_WRITE, .address = address };
        pid_t blocked = 0;
        int seq, r;

        /* Every write runs in the bounded helper now; may_block says why it matters. */
        (void) may_block;
        r = op_do_write(run, &w, path, value, &seq, &blocked);
        if (r < 0)
                return write_unfinished(run, path, value, r);
        return op_journal_set(run, seq, "done", 0);
}

int op_write_begin(struct op_run *run, const char *address, const char *path, const char *value,
                   struct op_pending_write *ret)
{
        bool journal_failed = false;
        pid_t none = 0;
        int r;

        *ret = (struct op_pending_write) {
                .w = { .wait = VFIOCTL_WAIT_WRITE, .address = address },
                .seq = run->next_seq++,
        };
        snprintf(ret->path, sizeof(ret->path), "%s", path);
        snprintf(ret->value, sizeof(ret->value), "%s", value);
        r = write_send(run, &ret->w, path, value, ret->seq, &journal_failed);
        if (r < 0)
                return journal_failed ? r
                                      : write_result(run, path, value, ret->seq, r, 0, &none);
        ret->start = op_now_ms();
        ret->next_tick = ret->start + PROGRESS_TICK_MS;
        return 0;
}

int op_write_wait(struct op_run *run, struct op_pending_write *pw, int slice_ms)
{
        pid_t helper = 0, blocked = 0;
        int r;

        r = write_answer(run, &pw->w, pw->path, pw->value, pw->start, &pw->next_tick, slice_ms,
                         &helper);
        if (r == -EAGAIN)
                return 0;
        r = write_result(run, pw->path, pw->value, pw->seq, r, helper, &blocked);
        if (r < 0)
                return write_unfinished(run, pw->path, pw->value, r);
        r = op_journal_set(run, pw->seq, "done", 0);
        return r < 0 ? r : 1;
}

/* Why a write that did not return is still waiting, as one clause. */
void op_waiting_on(struct op_run *run, struct wait_info *w, char *buf, size_t size)
{
        if (w->wait != VFIOCTL_WAIT_UNBIND) {
                snprintf(buf, size, "the kernel has not finished with %s (another operation "
                         "holds its device lock, or the driver's probe is still running)",
                         w->address);
                return;
        }
        if (!w->driver_is_vfio) {
                /* Rule 12: blame who really holds it, a host driver's remove. */
                snprintf(buf, size, "still waiting for %s to let go of %s (its remove is still "
                         "running)", w->driver, w->address);
                return;
        }
        if (!w->holder_looked) {
                w->holder_looked = true;
                if (holder_find(run->ctx, run->groups, run->n_groups, w->holder,
                                       sizeof(w->holder)) <= 0)
                        w->holder[0] = '\0';
        }
        if (w->holder[0])
                snprintf(buf, size, "the device is in use: %s", w->holder);
        else
                snprintf(buf, size, "the device is in use by a process vfioctl cannot see "
                         "(its IOMMU group is held open)");
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


static void report_stuck(struct op_run *run, vfioctl_report *report,
                         const struct vfioctl_state_change *ch, const struct converge *c)
{
        char fix[1024];

        fix_commands(run->ctx, ch, fix, sizeof(fix));
        report_add(report, ch->address,
                   c->blocked ? VFIOCTL_ACTION_BLOCKED : VFIOCTL_ACTION_STUCK, NULL,
                   ch->before_driver, "%s; to put it back by hand: %s",
                   vfioctl_ctx_errmsg(run->ctx), fix);
}

/* A device whose sysfs entry is gone (hot-unplugged, removed): nothing to put back. */
static int vanished(struct op_run *run, const char *address)
{
        return sysfs_exists(run->ctx, run->devices_fd, address) == 0;
}

static int forget_add(struct op_run *run, const char *address)
{
        char (*l)[VFIOCTL_PCI_ADDR_MAX] = reallocarray(run->forget, run->n_forget + 1,
                                                       sizeof(*l));

        if (!l)
                return -ENOMEM;
        run->forget = l;
        snprintf(l[run->n_forget++], VFIOCTL_PCI_ADDR_MAX, "%s", address);
        return 0;
}

/*
 * Puts changes [0, n) back as they were, last first, in two passes: every
 * device off the driver it should not have, then every device probed.
 * A host driver cannot bind into a group while VFIO may use it, so no
 * member goes back to its host driver while another is still on vfio-pci.
 * skip[i] (skip may be NULL) marks a device with a write still blocked:
 * touching it would block too (the kernel holds its device lock). A
 * device that is no longer on the host is forgotten (run->forget), with
 * a note, in report. Returns whether everything was restored. An
 * interruption does not stop a rollback: it is what an interruption asks for.
 */
static bool rollback(struct op_run *run, vfioctl_report *report,
                     const struct vfioctl_state_change *changes, size_t n, const bool *skip)
{
        _cleanup_free_ bool *failed = calloc(n ? n : 1, sizeof(bool));
        _cleanup_free_ bool *touched = calloc(n ? n : 1, sizeof(bool));
        _cleanup_free_ bool *gone = calloc(n ? n : 1, sizeof(bool));
        bool all = true, was = run->rolling_back;
        int r;

        if (!failed || !touched || !gone)
                return false;
        run->rolling_back = true;
        for (size_t i = n; i > 0; i--) {
                struct converge c;

                if (skip && skip[i - 1])
                        continue;
                if (vanished(run, changes[i - 1].address)) {
                        gone[i - 1] = true;
                        report_add(report, changes[i - 1].address,
                                   VFIOCTL_ACTION_NOT_DETACHED, NULL, NULL,
                                   "no longer on the host; forgotten");
                        if (forget_add(run, changes[i - 1].address) < 0)
                                all = false;
                        continue;
                }
                converge_for_change(&changes[i - 1], true, &c);
                r = converge_release(run, &c);
                touched[i - 1] = c.writes > 0;
                if (r < 0) {
                        failed[i - 1] = true;
                        all = false;
                        report_stuck(run, report, &changes[i - 1], &c);
                }
        }
        for (size_t i = n; i > 0; i--) {
                const struct vfioctl_state_change *ch = &changes[i - 1];
                struct converge c;

                if ((skip && skip[i - 1]) || failed[i - 1] || gone[i - 1])
                        continue;
                converge_for_change(ch, true, &c);
                if (converge_bind(run, &c) < 0) {
                        all = false;
                        report_stuck(run, report, ch, &c);
                        continue;
                }
                if (touched[i - 1] || c.writes > 0)
                        report_add(report, ch->address, VFIOCTL_ACTION_ROLLED_BACK,
                                   ch->target_driver, ch->before_driver, NULL);
        }
        run->rolling_back = was;
        return all;
}

/* Drops the operation, and the rows of devices that left the host, in one transaction. */
static int op_end(struct op_run *run)
{
        int r;

        if (!run->st)
                return 0;
        r = state_begin(run->st);
        if (r < 0)
                return r;
        for (size_t i = 0; i < run->n_forget && r >= 0; i++)
                r = state_device_delete(run->st, run->forget[i]);
        if (r >= 0)
                r = state_op_end(run->st, run->op_id);
        if (r >= 0)
                r = state_commit(run->st);
        if (r < 0)
                state_rollback(run->st);
        return r;
}

struct pf_check {
        struct op_run *run;
        const struct vfioctl_state_change *changes;
        bool *is_pf;
};

/*
 * Only a function with sriov_totalvfs has virtfnN links (rule 15: all at
 * once, no lock). The folders opened here serve the groups' reads after.
 */
static void pf_check(void *data, size_t i)
{
        struct pf_check *c = data;
        char buf[SYSFS_PATH_MAX];
        int dir;
        const char *attr = op_device_attr(c->run, c->changes[i].address, "sriov_totalvfs", &dir,
                                          buf);

        c->is_pf[i] = sysfs_exists(NULL, dir, attr) > 0;
}

/* The groups whose holders may keep an unbind waiting: the devices' own, and their VFs'. */
static int collect_groups(struct op_run *run, const struct vfioctl_state_change *changes,
                          size_t n)
{
        _cleanup_free_ bool *is_pf = calloc(n ? n : 1, sizeof(bool));
        struct pf_check c = { .run = run, .changes = changes, .is_pf = is_pf };

        free(run->groups);
        run->groups = NULL;
        run->n_groups = 0;
        run->has_pf = false;
        if (!is_pf)
                return -ENOMEM;
        workers_run(n, READ_JOBS, NULL, pf_check, &c);
        for (size_t i = 0; i < n; i++) {
                _cleanup_strv_free_ char **entries = NULL;
                _cleanup_close_ int fd = -EBADF;

                if (changes[i].group >= 0 && group_set_add(run, changes[i].group) < 0)
                        return -ENOMEM;
                /* A PF's VFs may be open in a guest while the PF is unbound. */
                if (!is_pf[i])
                        continue;
                run->has_pf = true;
                if (sysfs_open_subdir(run->ctx, run->devices_fd, changes[i].address, &fd) < 0 ||
                    sysfs_list_dir(run->ctx, fd, changes[i].address, &entries, NULL) < 0)
                        continue;
                for (char **e = entries; *e; e++) {
                        _cleanup_free_ char *g = NULL;
                        char link[SYSFS_PATH_MAX];
                        int v;

                        if (strncmp(*e, "virtfn", 6) != 0)
                                continue;
                        sysfs_entry_attr(link, *e, "iommu_group");
                        if (sysfs_read_link_name(run->ctx, fd, changes[i].address, link, &g) < 0)
                                continue;
                        v = group_number_parse(g);
                        if (v >= 0 && group_set_add(run, v) < 0)
                                return -ENOMEM;
                }
        }
        ctx_clear_error(run->ctx);
        return 0;
}

/*
 * After the rollback: the journal, the outcome, and the first failure (its
 * message, then also, and its way out) as the context's again.
 */
static int op_fail_end(struct op_run *run, bool restored, bool blocked, int error,
                       const struct ctx_saved_error *cause, const char *also)
{
        if (restored && !blocked) {
                (void) op_end(run);
                report_set_outcome(run->report, VFIOCTL_OUTCOME_REFUSED);
        } else
                report_set_outcome(run->report, VFIOCTL_OUTCOME_ATTENTION);
        if (error == -EINTR)
                ctx_error(run->ctx, error, "%s%s; %s", cause->msg, also,
                          !restored ? "not everything it changed could be put back"
                          : blocked ? "everything else it changed was put back"
                                    : "everything it changed was put back");
        else
                ctx_error(run->ctx, error, "%s%s", cause->msg, also);
        return ctx_set_reason(run->ctx, error, cause->reason, cause->subject);
}

/* After a failure at changes[at]: put back [0, upto) and say what is left. */
static int op_fail(struct op_run *run, const struct vfioctl_state_change *changes, size_t upto,
                   size_t at, const struct converge *c, int error)
{
        _cleanup_free_ bool *skip = calloc(upto ? upto : 1, sizeof(bool));
        struct ctx_saved_error cause;
        bool restored;

        if (!skip)
                return -ENOMEM;
        /* Keep the first failure as the message: it is the cause. */
        ctx_save_error(run->ctx, &cause);
        /* The message tells the why; the entry only what is still in flight. */
        if (c->blocked) {
                report_add(run->report, c->address, VFIOCTL_ACTION_BLOCKED, NULL, NULL,
                           "%s is still in progress (pid %d)", c->blocked_what,
                           (int) c->blocked_pid);
                skip[at] = true;
        }
        restored = rollback(run, run->report, changes, upto, skip);
        return op_fail_end(run, restored, c->blocked, error, &cause, "");
}

static int interrupted_error(struct op_run *run, const char *address)
{
        return ctx_error(run->ctx, -EINTR, "interrupted before %s was changed", address);
}

/* ------------------------------------------------------------------ */
/* Groups at once                                                     */

/* One IOMMU group's changes (with a PF, its VFs' too), in plan order. */
struct unit {
        struct vfioctl_state_change *ch; /* shallow copies of the run's changes */
        size_t n;
        size_t upto;         /* [0, upto) were started */
        size_t at;           /* the one that failed */
        int error;           /* 0, or the failure */
        bool *skip;          /* rollback: a write to it is still blocked */
        bool restored;
        struct converge c;   /* the failing change's converge */
        struct ctx_saved_error failure; /* why, when error < 0 */
        vfioctl_report *report; /* what its rollback did, merged in order */
};

struct units {
        struct op_run *run;
        struct unit *u;
        size_t n;
        bool two_pass;
        bool stop;           /* a group failed: start nothing more */
        struct helpers idle; /* helpers between groups, for the next group to take */
        size_t cap;          /* units u has room for (a feed adds them while they run) */
};

void helpers_end(struct helpers *hs)
{
        for (size_t i = 0; i < hs->n; i++) {
                close(hs->v[i].fd);
                hs->v[i].fd = -EBADF;
        }
        for (size_t i = 0; i < hs->n; i++)
                (void) helper_end(&hs->v[i]);
        hs->n = 0;
        free(hs->v);
        hs->v = NULL;
        hs->size = 0;
}

void helpers_fill(struct op_run *run, struct helpers *hs, size_t want)
{
        if (want > hs->size) {
                struct helper *v = reallocarray(hs->v, want, sizeof(*v));

                if (!v)
                        return;
                hs->v = v;
                hs->size = want;
        }
        while (hs->n < want && helper_start(run, &hs->v[hs->n]) >= 0)
                hs->n++;
}

/* Moves up to most idle helpers of src to dst (fewer when dst cannot grow). */
static void helpers_move(struct helpers *dst, struct helpers *src, size_t most)
{
        size_t n = src->n < most ? src->n : most;

        if (dst->n + n > dst->size) {
                struct helper *v = reallocarray(dst->v, dst->n + n, sizeof(*v));

                if (!v)
                        return;
                dst->v = v;
                dst->size = dst->n + n;
        }
        while (n-- > 0)
                dst->v[dst->n++] = src->v[--src->n];
}

/*
 * The helpers for the first groups: those the caller forked ahead, then
 * forked before the workers start, as a fork from a process with one
 * thread is cheapest (no other thread's pages to fault in again, no other
 * thread kept from faulting meanwhile). One that cannot be forked now is
 * forked by its group, as any later one.
 */
static void units_helpers_start(struct units *p)
{
        struct helpers *ahead = p->run->ahead;
        size_t want = p->cap < p->run->jobs ? p->cap : p->run->jobs;

        if (ahead && p->idle.n < want)
                helpers_move(&p->idle, ahead, want - p->idle.n);
        helpers_fill(p->run, &p->idle, want);
}

static void units_free(struct units *p)
{
        /* The caller's, for its next operation (sriov binds VFs as the kernel makes them). */
        if (p->run && p->run->ahead)
                helpers_move(p->run->ahead, &p->idle, p->idle.n);
        helpers_end(&p->idle);
        for (size_t k = 0; k < p->n; k++) {
                free(p->u[k].ch);
                free(p->u[k].skip);
                vfioctl_report_free(p->u[k].report);
        }
        free(p->u);
        p->u = NULL;
        p->n = 0;
}

/* The PF a VF's physfn link names, into buf, or "" when it is no VF. */
static void physfn_of(struct op_run *run, const char *address, char *buf, size_t size)
{
        _cleanup_free_ char *pf = NULL;
        char link[SYSFS_PATH_MAX];

        if (sysfs_read_link_name(run->ctx, run->devices_fd, SYSFS_PCI_DEVICES,
                                 sysfs_device_attr(link, address, "physfn"), &pf) < 0)
                pf = NULL;
        snprintf(buf, size, "%s", pf ? pf : "");
}

/*
 * Rule 15: the changes by IOMMU group, each group's in plan order. A
 * device in no group goes with every other such device, and a VF with its
 * PF when both change (unbinding a PF removes its VFs): those stay one
 * sequence, as before.
 */
static int units_plan(struct units *p, struct op_run *run, const struct vfioctl_state_change *changes,
                      size_t n)
{
        _cleanup_free_ size_t *unit_of = calloc(n ? n : 1, sizeof(size_t)), *label = NULL;
        size_t n_units = 0;

        *p = (struct units) { .run = run };
        if (!unit_of)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                unit_of[i] = n_units;
                for (size_t j = 0; j < i; j++)
                        if (changes[j].group == changes[i].group) {
                                unit_of[i] = unit_of[j];
                                break;
                        }
                if (unit_of[i] == n_units)
                        n_units++;
        }
        /* collect_groups() saw whether any change is to a PF: only then can a VF's go with it. */
        for (size_t i = 0; i < n && run->has_pf; i++) {
                char pf[VFIOCTL_PCI_ADDR_MAX];

                physfn_of(run, changes[i].address, pf, sizeof(pf));
                for (size_t j = 0; pf[0] && j < n; j++) {
                        size_t from = unit_of[i], to = unit_of[j];

                        if (!streq(changes[j].address, pf) || from == to)
                                continue;
                        if (from < to) {
                                from = unit_of[j];
                                to = unit_of[i];
                        }
                        for (size_t k = 0; k < n; k++)
                                if (unit_of[k] == from)
                                        unit_of[k] = to;
                }
        }
        ctx_clear_error(run->ctx);
        p->cap = n_units;
        p->u = calloc(n_units ? n_units : 1, sizeof(*p->u));
        p->idle.v = calloc(n_units ? n_units : 1, sizeof(*p->idle.v));
        p->idle.size = n_units ? n_units : 1;
        label = calloc(n_units ? n_units : 1, sizeof(size_t));
        if (!p->u || !p->idle.v || !label)
                return -ENOMEM;
        /* Units in the order of their first change; labels merged away stay unused. */
        for (size_t i = 0; i < n; i++) {
                struct vfioctl_state_change *l;
                size_t k = 0;

                while (k < p->n && label[k] != unit_of[i])
                        k++;
                if (k == p->n)
                        label[p->n++] = unit_of[i];
                l = reallocarray(p->u[k].ch, p->u[k].n + 1, sizeof(*l));
                if (!l)
                        return -ENOMEM;
                p->u[k].ch = l;
                l[p->u[k].n++] = changes[i];
        }
        for (size_t k = 0; k < p->n; k++) {
                p->u[k].skip = calloc(p->u[k].n, sizeof(bool));
                if (!p->u[k].skip || vfioctl_report_new(&p->u[k].report) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Room for more units before the workers start: they keep pointers into p->u. */
static int units_reserve(struct units *p, size_t more)
{
        struct unit *u = reallocarray(p->u, p->cap + more ? p->cap + more : 1, sizeof(*u));
        struct helper *h;

        if (!u)
                return -ENOMEM;
        p->u = u;
        memset(u + p->cap, 0, more * sizeof(*u));
        p->cap += more;
        h = reallocarray(p->idle.v, p->cap ? p->cap : 1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        p->idle.v = h;
        p->idle.size = p->cap ? p->cap : 1;
        return 0;
}

/* The feed's changes as units of one change each (each in a group of its own), lock held. */
static int units_add(struct units *p, const struct vfioctl_state_change *changes, size_t n)
{
        if (p->n + n > p->cap)
                return -ENOBUFS;
        for (size_t i = 0; i < n; i++) {
                struct unit *u = &p->u[p->n];

                u->ch = malloc(sizeof(*u->ch));
                u->skip = calloc(1, sizeof(bool));
                if (!u->ch || !u->skip || vfioctl_report_new(&u->report) < 0) {
                        free(u->ch);
                        free(u->skip);
                        *u = (struct unit) {};
                        return -ENOMEM;
                }
                u->ch[0] = changes[i];
                u->n = 1;
                p->n++;
        }
        return 0;
}

/* Whether this operation runs its groups at once: several, and a real run. */
static bool units_parallel(const struct op_run *run, const struct units *p)
{
        return p->n > 1 && run->jobs > 1 && !vfioctl_ctx_is_dry_run(run->ctx);
}

static void unit_failed(struct units *p, struct unit *u, size_t at, int r)
{
        u->error = r;
        u->at = at;
        /* The context's message is this failure's until the lock is dropped. */
        ctx_save_error(p->run->ctx, &u->failure);
        p->stop = true;
}

/*
 * A group's writes go through one helper, taken from the idle ones when
 * an earlier group left one (a fork is the dearest part of a step) and
 * left idle for the next group after; the last ones end with the units.
 * A helper whose write still blocks was let go already (helper_leave).
 */
static void unit_helper_begin(struct units *p, struct helper *h)
{
        *h = p->idle.n > 0 ? p->idle.v[--p->idle.n] : (struct helper) { .fd = -EBADF };
        unit_helper = h;
}

static void unit_helper_end(struct units *p, struct helper *h)
{
        unit_helper = NULL;
        if (h->pid > 0)
                p->idle.v[p->idle.n++] = *h;
}

/* One group's changes in order, as op_apply does them one after the other. */
static void unit_changes(struct units *p, struct unit *u)
{
        struct op_run *run = p->run;
        int r;

        for (size_t i = 0; i < u->n && !p->stop; i++) {
                converge_for_change(&u->ch[i], false, &u->c);
                u->upto = i + 1;
                r = op_interrupted(run) ? interrupted_error(run, u->c.address)
                    : p->two_pass        ? converge_release(run, &u->c)
                                         : converge(run, &u->c);
                if (r < 0)
                        return unit_failed(p, u, i, r);
        }
        for (size_t i = 0; p->two_pass && i < u->n && !p->stop; i++) {
                converge_for_change(&u->ch[i], false, &u->c);
                r = op_interrupted(run) ? interrupted_error(run, u->c.address)
                                        : converge_bind(run, &u->c);
                if (r < 0)
                        return unit_failed(p, u, i, r);
        }
}

static void unit_apply(void *data, size_t k)
{
        struct units *p = data;
        struct helper h;

        unit_helper_begin(p, &h);
        unit_changes(p, &p->u[k]);
        unit_helper_end(p, &h);
}

static void unit_rollback(void *data, size_t k)
{
        struct units *p = data;
        struct unit *u = &p->u[k];
        struct helper h;

        unit_helper_begin(p, &h);
        u->restored = rollback(p->run, u->report, u->ch, u->upto, u->skip);
        unit_helper_end(p, &h);
}

/*
 * Every group's rollback at once. Their reports join the run's last group
 * first, as one rollback of all the changes would have listed them.
 */
static bool units_rollback(struct units *p)
{
        struct op_run *run = p->run;
        pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        bool restored = true, was = run->rolling_back;

        run->rolling_back = true;
        run->lock = &lock;
        workers_run(p->n, run->jobs, &lock, unit_rollback, p);
        run->lock = NULL;
        run->rolling_back = was;
        for (size_t k = p->n; k > 0; k--) {
                restored = restored && p->u[k - 1].restored;
                (void) report_move(run->report, p->u[k - 1].report);
        }
        return restored;
}

/* Rule 15: changes [0, n) put back, the groups at once (recover). */
static bool rollback_all(struct op_run *run, const struct vfioctl_state_change *changes,
                         size_t n, const bool *skip)
{
        _cleanup_(units_free) struct units p = {};

        if (units_plan(&p, run, changes, n) < 0 || !units_parallel(run, &p))
                return rollback(run, run->report, changes, n, skip);
        for (size_t k = 0; k < p.n; k++) {
                struct unit *u = &p.u[k];

                u->upto = u->n;
                for (size_t j = 0; j < u->n; j++)
                        for (size_t i = 0; skip && i < n; i++)
                                if (streq(changes[i].address, u->ch[j].address))
                                        u->skip[j] = skip[i];
        }
        return units_rollback(&p);
}

/* After the first group's failure: how many more failed beside it (they
 * ran at once: each may have its own cause), or "". */
static void failures_more(const struct units *p, const struct unit *first, char *buf,
                          size_t size)
{
        size_t more = 0;

        for (size_t k = 0; k < p->n; k++)
                more += &p->u[k] != first && p->u[k].error < 0;
        if (more == 0)
                buf[0] = '\0';
        else
                snprintf(buf, size, " (and %zu other group%s failed at the same time)", more,
                         more == 1 ? "" : "s");
}

/*
 * After the groups ran: 0 when all applied; else the first failure (a
 * group's, or the feed's) is the message, and every group puts back what
 * it changed, at once too.
 */
static int units_end(struct units *p, int feed_error, const struct ctx_saved_error *feed_failure)
{
        struct op_run *run = p->run;
        const struct unit *failed = NULL;
        struct ctx_saved_error interrupted = { .msg = "interrupted" };
        const struct ctx_saved_error *cause = &interrupted;
        char also[80] = "";
        bool blocked = false;
        int error;

        for (size_t k = 0; k < p->n && !failed; k++)
                if (p->u[k].error < 0)
                        failed = &p->u[k];
        if (!failed && feed_error >= 0 && !op_interrupted(run))
                return 0;
        if (failed) {
                error = failed->error;
                cause = &failed->failure;
                failures_more(p, failed, also, sizeof(also));
        } else if (feed_error < 0) {
                error = feed_error;
                cause = feed_failure;
        } else {
                /* Every write done, but the caller was told to stop: undo. */
                error = -EINTR;
                for (size_t k = 0; k < p->n; k++)
                        p->u[k].upto = p->u[k].n;
        }
        /* The message tells the why; the entry only what is still in flight. */
        for (size_t k = 0; k < p->n; k++) {
                struct unit *u = &p->u[k];

                if (u->error >= 0 || !u->c.blocked)
                        continue;
                report_add(run->report, u->c.address, VFIOCTL_ACTION_BLOCKED, NULL, NULL,
                           "%s is still in progress (pid %d)", u->c.blocked_what,
                           (int) u->c.blocked_pid);
                u->skip[u->at] = blocked = true;
        }
        return op_fail_end(run, units_rollback(p), blocked, error, cause, also);
}

/*
 * Rule 15: the groups at once, at most run->jobs of them, each group's
 * changes in order. A failure stops the groups from starting anything
 * more; then every group puts back what it changed.
 */
static int units_apply(struct units *p)
{
        struct op_run *run = p->run;
        pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

        units_helpers_start(p);
        run->lock = &lock;
        workers_run(p->n, run->jobs, &lock, unit_apply, p);
        run->lock = NULL;
        return units_end(p, 0, NULL);
}

/*
 * The feed's next changes journaled (before their first write) and
 * handed to the workers; lock held.
 */
static int units_feed(struct units *p, struct workers *w, const struct op_feed *feed,
                      bool *ret_last)
{
        struct op_run *run = p->run;
        const struct vfioctl_state_change *changes = NULL;
        size_t n = 0, seq = 0;
        int r;


        r = feed->next(run, feed->userdata, &changes, &n, ret_last);
        if (r < 0 || n == 0)
                return r;
        for (size_t k = 0; k < p->n; k++)
                seq += p->u[k].n;
        r = run->st ? state_op_add_changes(run->st, run->op_id, seq, changes, n) : 0;
        if (r >= 0)
                r = units_add(p, changes, n);
        if (r >= 0)
                workers_add(w, n);
        return r;
}

/*
 * Rule 15 for changes that come while the others run: the workers take
 * each group as the feed gives it, this thread feeding them until it says
 * there are no more, or a group failed.
 */
static int units_apply_fed(struct units *p, const struct op_feed *feed)
{
        struct op_run *run = p->run;
        pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        struct ctx_saved_error feed_failure = {};
        struct workers *w = NULL;
        bool last = false;
        int r;

        units_helpers_start(p);
        run->lock = &lock;
        pthread_mutex_lock(&lock);
        r = workers_open(&w, run->jobs, &lock, unit_apply, p);
        if (r < 0)
                ctx_error(run->ctx, r, "no thread could be started for the groups");
        else {
                workers_add(w, p->n);
                while (r >= 0 && !last && !p->stop)
                        r = units_feed(p, w, feed, &last);
                if (r < 0) {
                        ctx_save_error(run->ctx, &feed_failure);
                        p->stop = true;
                }
        }
        pthread_mutex_unlock(&lock);
        if (w)
                workers_close(w);
        run->lock = NULL;
        return units_end(p, r < 0 ? r : 0, &feed_failure);
}

int op_apply(struct op_run *run, const char *kind, const char *command,
             const struct vfioctl_state_change *changes, size_t n, bool two_pass)
{
        _cleanup_(units_free) struct units p = {};
        struct converge c;
        int r;

        if (op_interrupted(run))
                return ctx_error(run->ctx, -EINTR, "interrupted; nothing was changed");
        r = collect_groups(run, changes, n);
        if (r < 0)
                return r;
        if (run->st) {
                r = state_op_reserve(run->st, n + (run->feed ? run->feed->most : 0),
                                     &run->reserved_end);
                if (r < 0)
                        return r;
                r = state_op_begin(run->st, kind, command, changes, n, &run->op_id);
                if (r < 0)
                        return r;
        }
        r = units_plan(&p, run, changes, n);
        if (r < 0)
                return r;
        if (run->feed && !vfioctl_ctx_is_dry_run(run->ctx)) {
                r = units_reserve(&p, run->feed->most);
                if (r < 0)
                        return r;
                p.two_pass = two_pass;
                return units_apply_fed(&p, run->feed);
        }
        if (units_parallel(run, &p)) {
                p.two_pass = two_pass;
                return units_apply(&p);
        }
        /* The failing device may be half changed: it is put back too,
         * unless a write to it still blocks (its device lock is held). */
        for (size_t i = 0; i < n; i++) {
                converge_for_change(&changes[i], false, &c);
                /* Rule 12: a signal rolls back through the same path as a failure. */
                r = op_interrupted(run) ? interrupted_error(run, c.address)
                    : two_pass           ? converge_release(run, &c)
                                         : converge(run, &c);
                if (r < 0)
                        return op_fail(run, changes, i + 1, i, &c, r);
        }
        for (size_t i = 0; two_pass && i < n; i++) {
                converge_for_change(&changes[i], false, &c);
                r = op_interrupted(run) ? interrupted_error(run, c.address) : converge_bind(run, &c);
                if (r < 0)
                        return op_fail(run, changes, n, i, &c, r);
        }
        if (op_interrupted(run)) {
                /* Every write done, but the caller was told to stop: undo. */
                c = (struct converge) { .address = changes[n ? n - 1 : 0].address };
                ctx_error(run->ctx, -EINTR, "interrupted");
                return op_fail(run, changes, n, 0, &c, -EINTR);
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

/* The driver a journaled unbind step was taking the device from, or NULL. */
static const char *step_unbind_driver(const struct vfioctl_state_step *s, char *buf, size_t size)
{
        const char *p = s->path, *prefix = SYSFS_PCI_DRIVERS "/";
        size_t len;

        if (strncmp(p, prefix, strlen(prefix)) != 0)
                return NULL;
        p += strlen(prefix);
        len = strcspn(p, "/");
        if (!streq(p + len, "/unbind") || len == 0 || len >= size)
                return NULL;
        memcpy(buf, p, len);
        buf[len] = '\0';
        return buf;
}

/* A write of op still waiting in its helper: report it, in the words of the command path. */
static void report_in_flight(struct op_run *run, const struct vfioctl_state_op *op,
                             const struct vfioctl_state_step *s)
{
        struct wait_info w = { .address = s->address };
        char driver[64], why[512];

        w.driver = step_unbind_driver(s, driver, sizeof(driver));
        w.wait = w.driver ? VFIOCTL_WAIT_UNBIND : VFIOCTL_WAIT_WRITE;
        w.driver_is_vfio = w.driver && (streq(w.driver, "vfio-pci") || strstr(w.driver, "vfio"));
        op_waiting_on(run, &w, why, sizeof(why));
        report_add(run->report, s->address, VFIOCTL_ACTION_BLOCKED, NULL, NULL,
                   "writing '%s' to /%s, started by '%s', has not finished (pid %d): %s",
                   s->value, s->path, op->command, s->helper_pid, why);
        report_set_reason(run->report, VFIOCTL_REASON_RECOVER_LATER);
}

int op_recover(struct op_run *run, const struct vfioctl_state_op *op)
{
        _cleanup_free_ bool *skip = calloc(op->n_changes ? op->n_changes : 1, sizeof(bool));
        bool restored, in_flight = false;
        int r;

        if (!skip)
                return -ENOMEM;
        run->op_id = op->id;
        run->next_seq = 1;
        run->n_forget = 0;
        for (size_t i = 0; i < op->n_steps; i++)
                if (op->steps[i].seq >= run->next_seq)
                        run->next_seq = op->steps[i].seq + 1;
        r = collect_groups(run, op->changes, op->n_changes);
        if (r < 0)
                return r;

        /* Rule 12: a write still waiting in its helper (the command that
         * started it was killed, or gave up) cannot be undone yet, and
         * nothing may be written to that device behind it. */
        for (size_t i = 0; i < op->n_steps; i++) {
                const struct vfioctl_state_step *s = &op->steps[i];

                if (!streq(s->status, "intended") || !pid_is_helper(s->helper_pid))
                        continue;
                for (size_t j = 0; j < op->n_changes; j++)
                        if (streq(op->changes[j].address, s->address) && !skip[j]) {
                                skip[j] = in_flight = true;
                                report_in_flight(run, op, s);
                        }
        }

        restored = rollback_all(run, op->changes, op->n_changes, skip);
        if (restored && !in_flight && streq(op->kind, "sriov"))
                restored = sriov_recover(run, op) >= 0; /* Rule 10: the VFs it made */
        if (!restored || in_flight) {
                report_set_outcome(run->report, VFIOCTL_OUTCOME_ATTENTION);
                return 0;
        }
        return op_end(run) < 0 ? -EIO : 1;
}

static int group_set_add(struct op_run *run, int group)
{
        int *l;

        for (size_t i = 0; i < run->n_groups; i++)
                if (run->groups[i] == group)
                        return 0;
        l = reallocarray(run->groups, run->n_groups + 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        run->groups = l;
        l[run->n_groups++] = group;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Plans: the one executor of every changing command (DESIGN §6).      */
/*
 * detach, reattach, assign, release and boot plan (plan.c, assign.c,
 * release.c, reserve.c) and this runs the plan: it journals the changes
 * and applies them (op_apply above), checks what must hold once they are
 * made, says what each change did, and records the result in the
 * transaction that closes the journal entry: the state never claims a
 * device that is not where it says, and never forgets one that is.
 */

int op_require_lock(vfioctl_ctx *ctx, vfioctl_state *st)
{
        if (vfioctl_ctx_is_dry_run(ctx) || (st && st->lock_fd >= 0))
                return 0;
        return ctx_error(ctx, -ENOLCK, "the state must be locked (vfioctl_state_lock) first");
}

static void report_changes(struct op_run *run, const struct plan *p)
{
        for (size_t i = 0; i < p->n_changes; i++) {
                const char *to = p->changes[i].target_driver;
                _cleanup_free_ char *got = NULL;
                bool kernel = streq_ptr(to, DRIVER_KERNEL_CHOICE);

                /* The kernel chose: say what it chose (NULL: nothing took it). */
                if (kernel) {
                        if (vfioctl_ctx_is_dry_run(run->ctx) ||
                            driver_read(run, p->changes[i].address, &got, NULL) < 0)
                                got = NULL;
                        to = got;
                }
                if (kernel || p->detail)
                        report_add(run->report, p->changes[i].address, p->action,
                                   p->changes[i].before_driver, to, "%s",
                                   kernel ? "the kernel's choice" : p->detail);
                else
                        report_add(run->report, p->changes[i].address, p->action,
                                   p->changes[i].before_driver, to, NULL);
        }
}

/* After the writes: every group the plan takes must now be viable, whatever raced us. */
static int verify_groups(vfioctl_host *host, const struct plan *p, vfioctl_report *report)
{
        for (size_t i = 0; i < p->n_viable_groups; i++) {
                vfioctl_group *g;
                int r = vfioctl_host_get_group(host, (unsigned) p->viable_groups[i], &g);

                if (r < 0)
                        return r;
                for (size_t j = 0; j < vfioctl_group_n_devices(g); j++) {
                        vfioctl_device *dev = vfioctl_group_device_at(g, j);

                        if (!vfioctl_device_is_viable_member(dev))
                                return plan_refuse(vfioctl_host_get_ctx(host), report,
                                                   VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                                                   "IOMMU group %d is still not viable after "
                                                   "detaching: %s is on %s (did something bind "
                                                   "it meanwhile?); everything was rolled back",
                                                   p->viable_groups[i],
                                                   vfioctl_device_get_address(dev),
                                                   vfioctl_device_get_driver(dev));
                }
        }
        return 0;
}

/* Rolls back this run's journaled operation (any failure undoes the call). */
static void undo(vfioctl_host *host, struct op_run *run, const struct plan *p, int error)
{
        struct vfioctl_state_op *ops = NULL;
        struct ctx_saved_error why;
        size_t n = 0;

        ctx_save_error(run->ctx, &why);
        if (!run->st || p->n_changes == 0 || state_get_pending(run->st, &ops, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                if (ops[i].id == run->op_id)
                        (void) op_recover(run, &ops[i]);
        state_ops_free(ops, n);
        vfioctl_host_invalidate(host);
        /* The rollback's own reads and writes must not replace why it ran. */
        (void) ctx_restore_error(run->ctx, error, &why);
}

/* A failed step of the record says which step and why, whatever the
 * state layer said (or did not). */
static int record_failed(vfioctl_ctx *ctx, int r, const char *what, const char *address)
{
        if (!*vfioctl_ctx_errmsg(ctx))
                ctx_error(ctx, r, "%s%s%s: %s", what, address ? " " : "", strempty(address),
                          strerror(-r));
        return r;
}

/*
 * Rule 4 and issue 14: a device's own row is authoritative. Whatever the
 * planner saw, a row that another guest owns is never overwritten; the
 * transaction sees the rows as they are now.
 */
static int row_owned_by_other(vfioctl_state *st, const char *guest, const char *address)
{
        struct vfioctl_state_device *row = NULL;
        int r;

        if (!guest)
                return 0;
        r = state_device_get(st, address, &row);
        if (r == -ENOENT) {
                ctx_clear_error(st->ctx);
                return 0;
        }
        if (r < 0)
                return r;
        if (row->owner && !streq(row->owner, guest))
                r = ctx_error(st->ctx, -EBUSY, "device row %s belongs to guest '%s'", address,
                              row->owner);
        vfioctl_state_devices_free(row, 1);
        return r;
}

static int record_rows(vfioctl_state *st, const struct plan *p)
{
        int r = 0;

        for (size_t i = 0; i < p->n_rows && r >= 0; i++) {
                struct vfioctl_state_device row = p->rows[i];

                r = row_owned_by_other(st, p->guest, row.address);
                if (r < 0)
                        break;
                row.owner = p->guest;
                r = state_device_put(st, &row);
                if (r < 0)
                        record_failed(st->ctx, r, "the device row", row.address);
        }
        for (size_t i = 0; i < p->n_forget && r >= 0; i++) {
                r = state_device_delete(st, p->forget[i]);
                if (r < 0)
                        record_failed(st->ctx, r, "forgetting device row", p->forget[i]);
        }
        for (size_t i = 0; i < p->n_owners && r >= 0; i++) {
                const struct plan_owner *o = &p->owners[i];

                r = row_owned_by_other(st, p->guest, o->address);
                if (r >= 0)
                        r = state_device_set_owner(st, o->address,
                                                   o->role == VFIOCTL_ROLE_NONE ? NULL : p->guest,
                                                   o->role, o->managed);
                if (r < 0)
                        record_failed(st->ctx, r, "the owner of device row", o->address);
        }
        return r;
}

/* Guest row, device rows and the end of the journal entry: one transaction. */
static int record(struct op_run *run, vfioctl_state *st, const struct plan *p)
{
        int r;

        ctx_clear_error(st->ctx);
        r = state_begin(st);
        if (r < 0)
                return record_failed(st->ctx, r, "the transaction", NULL);
        if (p->guest_op == PLAN_GUEST_PUT) {
                r = state_guest_put(st, p->guest, p->guest_pid, p->guest_definition,
                                    p->guest_qemu_args);
                if (r < 0)
                        record_failed(st->ctx, r, "the guest row", NULL);
        }
        if (r >= 0)
                r = record_rows(st, p);
        if (r >= 0 && p->record_more)
                r = p->record_more(st, p->record_userdata);
        if (r >= 0 && p->guest_op == PLAN_GUEST_DELETE) {
                r = state_guest_delete(st, p->guest);
                if (r < 0)
                        record_failed(st->ctx, r, "forgetting the guest row", NULL);
        }
        if (r >= 0 && p->n_changes > 0) {
                r = state_op_end(st, run->op_id);
                if (r < 0)
                        record_failed(st->ctx, r, "the end of the journal entry", NULL);
        }
        if (r >= 0) {
                r = state_commit(st);
                if (r < 0)
                        record_failed(st->ctx, r, "the commit", NULL);
        }
        if (r < 0)
                state_rollback(st);
        return r;
}

/* Rule 10, libvirt's order: the VFs' MAC and VLAN go back before the VFs do. */
static int restore_vfnet(vfioctl_state *st, const struct plan *p, vfioctl_report *report,
                         struct vfnet_plan *ret_undo)
{
        _cleanup_free_ struct vfioctl_state_device *devs = NULL;
        _cleanup_free_ bool *selected = NULL;

        if (p->n_vfnet_restore == 0)
                return 0;
        devs = calloc(p->n_vfnet_restore, sizeof(*devs));
        selected = calloc(p->n_vfnet_restore, sizeof(*selected));
        if (!devs || !selected)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_vfnet_restore; i++) {
                snprintf(devs[i].address, sizeof(devs[i].address), "%s", p->vfnet_restore[i]);
                selected[i] = true;
        }
        return vfnet_restore(st, p->guest, devs, selected, p->n_vfnet_restore, report, ret_undo);
}

/* Writes, then what must hold after them; on failure everything written is undone. */
static int apply(vfioctl_host *host, vfioctl_state *st, struct op_run *run, const struct plan *p,
                 const struct vfioctl_op_options *opts, vfioctl_report *report)
{
        int r = 0;

        if (p->n_changes == 0 && !p->feed)
                return 0;
        if (p->pf_vfs && run->st)
                r = sriov_before_detach(host, st, p); /* Rule 10: a PF's VFs come back */
        if (r >= 0)
                r = op_apply(run, p->kind, opts->command, p->changes, p->n_changes, p->two_pass);
        /* Devices read before keep their references: what they read stays
         * valid, it is just no longer what sysfs says. */
        vfioctl_host_invalidate(host);
        if (r < 0 && p->pf_vfs && run->st)
                (void) sriov_after_detach_failed(host, st, p, opts, report);
        return r;
}

/*
 * Rule 10: a release that failed and was rolled back leaves the guest its
 * VFs, so it gets back the MAC and VLAN they had (and their rows, for the
 * next release). The failure stays the message.
 */
static int vfnet_give_back(vfioctl_host *host, vfioctl_state *st, const struct plan *p,
                           struct vfnet_plan *undo, vfioctl_report *report, int error)
{
        vfioctl_ctx *ctx = vfioctl_host_get_ctx(host);
        struct ctx_saved_error cause;

        if (undo->n == 0)
                return error;
        ctx_save_error(ctx, &cause);
        if (vfnet_apply(host, st, p->guest, undo, report) < 0)
                log_debug(ctx, "the guest's MAC/VLAN could not be set again: %s",
                          vfioctl_ctx_errmsg(ctx));
        return ctx_restore_error(ctx, error, &cause);
}

int plan_execute(vfioctl_host *host, vfioctl_state *st, const struct plan *p,
                 const struct vfioctl_op_options *opts, vfioctl_report *report)
{
        vfioctl_ctx *ctx = vfioctl_host_get_ctx(host);
        _cleanup_(vfnet_plan_clear) struct vfnet_plan vfnet_undo = {};
        struct op_run run;
        int r;

        if (plan_is_empty(p))
                return 0;
        r = op_require_lock(ctx, st);
        if (r >= 0)
                r = restore_vfnet(st, p, report, &vfnet_undo);
        if (r < 0)
                return r;
        r = op_run_init(&run, ctx, st, opts->timeout_ms, report);
        if (r < 0)
                return vfnet_give_back(host, st, p, &vfnet_undo, report, r);
        run.ahead = p->ahead;
        run.feed = p->feed;
        run.dirs = &host->dirs;
        r = apply(host, st, &run, p, opts, report);
        if (r < 0) {
                r = vfnet_give_back(host, st, p, &vfnet_undo, report, r);
                goto out;
        }
        if (run.st) {
                r = verify_groups(host, p, report);
                if (r >= 0 && p->vfnet)
                        r = vfnet_apply(host, st, p->guest, p->vfnet, report); /* Rule 10 */
                if (r < 0) {
                        undo(host, &run, p, r); /* nothing of it stays changed: say nothing of it */
                        r = vfnet_give_back(host, st, p, &vfnet_undo, report, r);
                        goto out;
                }
        }
        report_changes(&run, p);
        if (!run.st)
                goto out; /* dry run */
        r = record(&run, st, p);
        if (r < 0) {
                /* The devices moved but the state could not say so: the
                 * journal still holds the operation, recover undoes it. */
                report_set_outcome(report, VFIOCTL_OUTCOME_ATTENTION);
                if (p->guest)
                        ctx_error_reason(ctx, VFIOCTL_REASON_RECOVER, r,
                                         "the devices were changed but %s/state.db could not "
                                         "record guest '%s' (%s)",
                                         vfioctl_state_get_dir(st), p->guest,
                                         vfioctl_ctx_errmsg(ctx));
                else
                        ctx_error_reason(ctx, VFIOCTL_REASON_RECOVER, r,
                                         "the devices were changed but %s/state.db could not "
                                         "record it (%s)",
                                         vfioctl_state_get_dir(st), vfioctl_ctx_errmsg(ctx));
        }
out:
        op_run_done(&run);
        return r;
}

int plan_run(vfioctl_host *host, vfioctl_state *st, const struct vfioctl_op_options *opts,
             vfioctl_report *report, plan_fn planner, void *userdata)
{
        struct plan_state known;
        struct plan p;
        int r;

        r = op_require_lock(vfioctl_host_get_ctx(host), st);
        if (r < 0)
                return r;
        r = plan_state_load(st, &known);
        if (r < 0)
                return r;
        r = planner(host, &known, userdata, report, &p);
        if (r >= 0)
                r = plan_execute(host, st, &p, opts, report);
        plan_clear(&p);
        plan_state_clear(&known);
        return r;
}
