/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control folder MOUNTDIR/.sim/: the write log, injected faults, held
 * operations and the crash point (DESIGN §7.2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

bool (*sim_interrupted)(void);

/* Bumped by `clear`: held operations let go. */
static unsigned held_generation;

static const char *const op_names[_OP_MAX] = {
        [OP_BIND] = "bind",
        [OP_UNBIND] = "unbind",
        [OP_PROBE] = "probe",
        [OP_OVERRIDE] = "override",
};

const char *errno_name(int err)
{
        const char *n = strerrorname_np(err);

        return n ?: "EIO";
}

int errno_from_name(const char *name)
{
        for (int e = 1; e < 256; e++) {
                const char *n = strerrorname_np(e);

                if (n && streq(n, name))
                        return e;
        }
        return -EINVAL;
}

static void log_append(const char *s, size_t n)
{
        if (sim.log_len + n + 1 > sim.log_alloc) {
                sim.log_alloc = (sim.log_len + n + 1) * 2;
                sim.log = xrealloc(sim.log, sim.log_alloc, 1);
        }
        memcpy(sim.log + sim.log_len, s, n);
        sim.log_len += n;
        sim.log[sim.log_len] = '\0';
}

/*
 * One line: "PATH VALUE RESULT". The value loses its trailing newlines and
 * NUL padding; other control bytes are escaped so a line stays a line.
 */
void log_write(const char *path, const char *buf, size_t len, const char *result)
{
        len = strnlen(buf, len);
        while (len > 0 && buf[len - 1] == '\n')
                len--;
        log_append(path, strlen(path));
        log_append(" ", 1);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = buf[i];
                char esc[8];

                if (c == '\n')
                        log_append("\\n", 2);
                else if (c == '\\')
                        log_append("\\\\", 2);
                else if (c < 0x20 || c == 0x7f) {
                        snprintf(esc, sizeof(esc), "\\x%02x", c);
                        log_append(esc, 4);
                } else
                        log_append((const char *) &c, 1);
        }
        log_append(" ", 1);
        log_append(result, strlen(result));
        log_append("\n", 1);
}

/*
 * Waits on cond (sim.lock released) in short slices, so that an interrupted
 * writer (the test killed it) is let go instead of hanging the unmount.
 */
static int cond_wait_slice(pthread_cond_t *cond, const struct timespec *deadline)
{
        struct timespec now, slice;

        clock_gettime(CLOCK_MONOTONIC, &now);
        slice = now;
        slice.tv_nsec += 100 * 1000 * 1000;
        if (slice.tv_nsec >= 1000000000) {
                slice.tv_sec++;
                slice.tv_nsec -= 1000000000;
        }
        if (deadline && (deadline->tv_sec < slice.tv_sec ||
                         (deadline->tv_sec == slice.tv_sec && deadline->tv_nsec < slice.tv_nsec)))
                slice = *deadline;
        pthread_cond_timedwait(cond, &sim.lock, &slice);
        if (sim_interrupted && sim_interrupted())
                return -EINTR;
        if (deadline) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec > deadline->tv_sec ||
                    (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec))
                        return -ETIMEDOUT;
        }
        return 0;
}

int sim_cond_wait(const struct timespec *deadline)
{
        return cond_wait_slice(&sim.cond, deadline);
}

const struct sim_fault *fault_get(const struct sim_device *d, enum sim_op op)
{
        for (size_t i = 0; i < sim.n_faults; i++)
                if (sim.faults[i].op == op && streq(sim.faults[i].address, d->address))
                        return &sim.faults[i];
        return NULL;
}

static struct sim_held *held_get(const char *address)
{
        for (size_t i = 0; i < sim.n_held; i++)
                if (streq(sim.held[i].address, address))
                        return &sim.held[i];
        sim.held = xrealloc(sim.held, sim.n_held + 1, sizeof(*sim.held));
        sim.held[sim.n_held] = (struct sim_held) {};
        snprintf(sim.held[sim.n_held].address, sizeof(sim.held[0].address), "%s", address);
        return &sim.held[sim.n_held++];
}

/*
 * A timed sleep waits on a condition of its own that nobody signals: on
 * sim.cond, every store's broadcast would wake each sleeping probe, and 64
 * probes at once would spend the sim's time waking each other.
 */
static int block_ms(int ms)
{
        struct timespec deadline;
        pthread_condattr_t a;
        pthread_cond_t own;
        int r;

        pthread_condattr_init(&a);
        pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        pthread_cond_init(&own, &a);
        pthread_condattr_destroy(&a);

        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += ms / 1000;
        deadline.tv_nsec += (long) (ms % 1000) * 1000000;
        if (deadline.tv_nsec >= 1000000000) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000;
        }
        do
                r = cond_wait_slice(&own, &deadline);
        while (r == 0);
        pthread_cond_destroy(&own);
        return r == -EINTR ? r : 0;
}

/* held_get() may move the array while we sleep: look it up each time. */
static int block_held(const char *address)
{
        unsigned gen = held_generation;
        int r = 0;

        held_get(address)->waiting++;
        for (;;) {
                struct sim_held *h = held_get(address);

                if (h->tokens > 0) {
                        h->tokens--;
                        break;
                }
                if (gen != held_generation)
                        break;
                r = sim_cond_wait(NULL);
                if (r == -EINTR)
                        break;
        }
        held_get(address)->waiting--;
        return r == -EINTR ? r : 0;
}

int device_sleep(struct sim_device *d, int ms)
{
        int r;

        if (ms <= 0)
                return 0;
        d->busy = true;
        r = block_ms(ms);
        d->busy = false;
        pthread_cond_broadcast(&sim.cond);
        return r;
}

/* The device stays locked (busy) while its operation is blocked. */
int fault_block(struct sim_device *d, const struct sim_fault *f)
{
        enum fault_kind kind = f->kind;
        int ms = f->arg, r;

        d->busy = true;
        r = kind == FAULT_BLOCK_MS ? block_ms(ms) : block_held(d->address);
        d->busy = false;
        pthread_cond_broadcast(&sim.cond);
        return r;
}

static int parse_fault(char *line, struct sim_fault *f)
{
        char *addr, *op, *action, *extra, *save = NULL;
        unsigned dom, bus, slot, fn;
        char *end;
        long v;

        addr = strtok_r(line, " \t", &save);
        op = strtok_r(NULL, " \t", &save);
        action = strtok_r(NULL, " \t", &save);
        extra = strtok_r(NULL, " \t", &save);
        if (!addr || !op || !action || extra)
                return -EINVAL;
        if (parse_address(addr, &dom, &bus, &slot, &fn) < 0)
                return -EINVAL;
        *f = (struct sim_fault) {};
        snprintf(f->address, sizeof(f->address), "%s", addr);
        f->op = _OP_MAX;
        for (int i = 0; i < _OP_MAX; i++)
                if (streq(op, op_names[i]))
                        f->op = i;
        if (f->op == _OP_MAX)
                return -EINVAL;

        if (streq(action, "none"))
                f->kind = FAULT_NONE;
        else if (streq(action, "nobind")) {
                if (f->op != OP_BIND && f->op != OP_PROBE)
                        return -EINVAL;
                f->kind = FAULT_NOBIND;
        } else if (streq(action, "block=held"))
                f->kind = FAULT_BLOCK_HELD;
        else if (strncmp(action, "block=", 6) == 0) {
                errno = 0;
                v = strtol(action + 6, &end, 10);
                if (errno || *end || end == action + 6 || v < 0 || v > 3600 * 1000)
                        return -EINVAL;
                f->kind = FAULT_BLOCK_MS;
                f->arg = v;
        } else if (strncmp(action, "fail=", 5) == 0) {
                f->kind = FAULT_FAIL;
                f->arg = errno_from_name(action + 5);
                if (f->arg < 0)
                        return -EINVAL;
        } else
                return -EINVAL;
        return 0;
}

static void fault_set(const struct sim_fault *f)
{
        size_t i;

        for (i = 0; i < sim.n_faults; i++)
                if (sim.faults[i].op == f->op && streq(sim.faults[i].address, f->address))
                        break;
        if (f->kind == FAULT_NONE) {
                if (i < sim.n_faults) {
                        memmove(&sim.faults[i], &sim.faults[i + 1], (sim.n_faults - i - 1) * sizeof(*f));
                        sim.n_faults--;
                }
                return;
        }
        if (i == sim.n_faults)
                sim.faults = xrealloc(sim.faults, ++sim.n_faults, sizeof(*f));
        sim.faults[i] = *f;
}

static void faults_clear(void)
{
        free(sim.faults);
        sim.faults = NULL;
        sim.n_faults = 0;
        for (size_t i = 0; i < sim.n_held; i++)
                sim.held[i].tokens = 0;
        held_generation++;
        pthread_cond_broadcast(&sim.cond);
}

/* All lines are checked before any is applied: a bad line changes nothing. */
int faults_store(const char *buf, size_t len)
{
        _cleanup_free_ char *copy = strndup(buf, len);
        _cleanup_free_ struct sim_fault *parsed = NULL;
        size_t n = 0;
        bool clear = false;
        char *line, *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *p = line + strspn(line, " \t");

                if (!*p || *p == '#')
                        continue;
                if (strncmp(p, "clear", 5) == 0 && p[5 + strspn(p + 5, " \t")] == '\0') {
                        clear = true;
                        continue;
                }
                parsed = xrealloc(parsed, n + 1, sizeof(*parsed));
                if (parse_fault(p, &parsed[n]) < 0)
                        return -EINVAL;
                n++;
        }
        if (clear)
                faults_clear();
        for (size_t i = 0; i < n; i++)
                fault_set(&parsed[i]);
        return 0;
}

char *faults_show(void)
{
        char *s = xstrdup("");

        for (size_t i = 0; i < sim.n_faults; i++) {
                const struct sim_fault *f = &sim.faults[i];
                char *t;

                switch (f->kind) {
                case FAULT_FAIL:
                        t = xasprintf("%s%s %s fail=%s\n", s, f->address, op_names[f->op], errno_name(f->arg));
                        break;
                case FAULT_NOBIND:
                        t = xasprintf("%s%s %s nobind\n", s, f->address, op_names[f->op]);
                        break;
                case FAULT_BLOCK_MS:
                        t = xasprintf("%s%s %s block=%d\n", s, f->address, op_names[f->op], f->arg);
                        break;
                default:
                        t = xasprintf("%s%s %s block=held\n", s, f->address, op_names[f->op]);
                        break;
                }
                free(s);
                s = t;
        }
        return s;
}

/*
 * A release lets one held operation on that address go; written before the
 * operation got there, it is kept and the operation passes straight on.
 */
int release_store(const char *buf, size_t len)
{
        _cleanup_free_ char *copy = strndup(buf, len);
        char *line, *save = NULL;
        unsigned d, b, s, f;

        if (!copy)
                return -ENOMEM;
        for (line = strtok_r(copy, " \t\n", &save); line; line = strtok_r(NULL, " \t\n", &save))
                if (parse_address(line, &d, &b, &s, &f) < 0)
                        return -EINVAL;
        free(copy);
        copy = strndup(buf, len);
        if (!copy)
                return -ENOMEM;
        save = NULL;
        for (line = strtok_r(copy, " \t\n", &save); line; line = strtok_r(NULL, " \t\n", &save))
                held_get(line)->tokens++;
        pthread_cond_broadcast(&sim.cond);
        return 0;
}

char *release_show(void)
{
        char *s = xstrdup("");

        for (size_t i = 0; i < sim.n_held; i++) {
                const struct sim_held *h = &sim.held[i];
                char *t;

                if (!h->waiting && !h->tokens)
                        continue;
                t = xasprintf("%s%s waiting=%u pending=%u\n", s, h->address, h->waiting, h->tokens);
                free(s);
                s = t;
        }
        return s;
}

int crash_after_store(const char *buf, size_t len)
{
        _cleanup_free_ char *s = strndup(buf, len);
        char *end;
        long v;

        if (!s)
                return -ENOMEM;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || (*end && !streq(end, "\n")) || v < 0)
                return -EINVAL;
        sim.crash_after = v;
        return 0;
}

void faults_free(void)
{
        free(sim.faults);
        free(sim.held);
        sim.faults = NULL;
        sim.held = NULL;
        sim.n_faults = sim.n_held = 0;
}
