/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LD_PRELOAD fault injection for the crash sweeps: counts the calls that
 * make data durable (write, pwrite, writev, fsync, fdatasync) of the
 * command it is loaded into, SQLite's included, and those of its write
 * helpers (the children vfioctl forks for each sysfs write, lib/driver.c),
 * in one count shared across fork. At the k-th call
 *   VFIOCTL_FAULT=kill:K    the command is sent SIGKILL before the call
 *                           takes effect; a helper making the call kills
 *                           the command, then itself (the write is not
 *                           made: as the sim's crash_after does);
 *   VFIOCTL_FAULT=orphan:K  as kill, but a helper making the call only
 *                           kills the command and then makes its write,
 *                           as a helper outliving a killed vfioctl does;
 *   VFIOCTL_FAULT=enospc:K  fails it and every later one with ENOSPC, for
 *                           files under VFIOCTL_FAULT_DIR only (a full
 *                           state file system; sysfs and stdout go on).
 * Killing only the helper would not be a crash of the command: vfioctl
 * sees its helper die and rolls back by itself.
 * VFIOCTL_FAULT_COUNT=FILE receives the number of calls at the command's
 * exit, to size a sweep; VFIOCTL_FAULT_TRACE=FILE gets one line per call,
 * "N cmd|helper CALL TARGET" (TARGET: the file the descriptor names).
 */
/* Both pwrite and pwrite64 are wrapped: neither may be renamed to the other. */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

enum { COUNT, KILL, ORPHAN, ENOSPC_FROM };

static long *calls;   /* shared with the helpers: MAP_SHARED survives fork */
static long own_calls; /* when the mapping failed */
static long at;
static int mode;
static pid_t self;
static const char *dir;
static const char *trace_path;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

__attribute__((constructor)) static void shim_init(void)
{
        const char *f = getenv("VFIOCTL_FAULT"), *t = getenv("VFIOCTL_FAULT_TRACE");
        void *m;

        /* Resolved once, here: a helper is a fork and may only do simple calls. */
        real_write = (__typeof__(real_write)) dlsym(RTLD_NEXT, "write");
        real_pwrite = (__typeof__(real_pwrite)) dlsym(RTLD_NEXT, "pwrite");
        real_pwrite64 = (__typeof__(real_pwrite64)) dlsym(RTLD_NEXT, "pwrite64");
        real_writev = (__typeof__(real_writev)) dlsym(RTLD_NEXT, "writev");
        real_fsync = (__typeof__(real_fsync)) dlsym(RTLD_NEXT, "fsync");
        real_fdatasync = (__typeof__(real_fdatasync)) dlsym(RTLD_NEXT, "fdatasync");
        self = getpid();
        dir = getenv("VFIOCTL_FAULT_DIR");
        m = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        calls = m == MAP_FAILED ? &own_calls : m;
        trace_path = t;
        if (t)
                close(open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (f && !strncmp(f, "kill:", 5)) {
                mode = KILL;
                at = atol(f + 5);
        } else if (f && !strncmp(f, "orphan:", 7)) {
                mode = ORPHAN;
                at = atol(f + 7);
        } else if (f && !strncmp(f, "enospc:", 7)) {
                mode = ENOSPC_FROM;
                at = atol(f + 7);
        }
}

__attribute__((destructor)) static void shim_fini(void)
{
        const char *c = getenv("VFIOCTL_FAULT_COUNT");
        FILE *f;

        if (!c || getpid() != self)
                return;
        f = fopen(c, "we");
        if (f) {
                fprintf(f, "%ld\n", __atomic_load_n(calls, __ATOMIC_SEQ_CST));
                fclose(f);
        }
}

static bool fd_target(int fd, char *target, size_t size)
{
        char link[64];
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, target, size - 1);
        if (n <= 0)
                return false;
        target[n] = '\0';
        return true;
}

static bool fd_in_dir(int fd)
{
        char target[PATH_MAX];

        return dir && fd_target(fd, target, sizeof(target)) && !strncmp(target, dir, strlen(dir));
}

/* Opened for each line: a helper closes every descriptor it did not make. */
static void trace(long n, bool helper, const char *call, int fd)
{
        char target[PATH_MAX] = "?", line[PATH_MAX + 64];
        int len, t;

        if (!trace_path)
                return;
        (void) fd_target(fd, target, sizeof(target));
        len = snprintf(line, sizeof(line), "%ld %s %s %s\n", n, helper ? "helper" : "cmd", call,
                       target);
        t = open(trace_path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (t < 0)
                return;
        if (len > 0)
                (void) real_write(t, line, (size_t) len < sizeof(line) ? (size_t) len
                                                                     : sizeof(line) - 1);
        close(t);
}

/* 0: go on; -1: fail with ENOSPC. */
static int fault(int fd, const char *call)
{
        bool helper = getpid() != self;
        long n;

        if (mode == ENOSPC_FROM) {
                /* The state file system is the command's; helpers write sysfs only. */
                if (helper || !fd_in_dir(fd))
                        return 0;
                n = __atomic_add_fetch(calls, 1, __ATOMIC_SEQ_CST);
                trace(n, helper, call, fd);
                if (n >= at) {
                        errno = ENOSPC;
                        return -1;
                }
                return 0;
        }
        n = __atomic_add_fetch(calls, 1, __ATOMIC_SEQ_CST);
        trace(n, helper, call, fd);
        if (n != at || mode == COUNT)
                return 0;
        kill(self, SIGKILL); /* the command: what the sweep is about */
        if (helper && mode == KILL)
                kill(getpid(), SIGKILL);
        return 0;
}

ssize_t write(int fd, const void *buf, size_t n)
{
        return fault(fd, "write") < 0 ? -1 : real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
        return fault(fd, "pwrite") < 0 ? -1 : real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
        return fault(fd, "pwrite64") < 0 ? -1 : real_pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
        return fault(fd, "writev") < 0 ? -1 : real_writev(fd, iov, n);
}

int fsync(int fd)
{
        return fault(fd, "fsync") < 0 ? -1 : real_fsync(fd);
}

int fdatasync(int fd)
{
        return fault(fd, "fdatasync") < 0 ? -1 : real_fdatasync(fd);
}
