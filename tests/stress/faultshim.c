/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LD_PRELOAD fault injection for the crash sweeps: counts the calls that
 * make data durable (write, pwrite, writev, fsync, fdatasync) of the
 * process it is loaded into, SQLite's included, and at the k-th one
 *   VFIOCTL_FAULT=kill:K    sends SIGKILL before the call takes effect;
 *   VFIOCTL_FAULT=enospc:K  fails it and every later one with ENOSPC, for
 *                           files under VFIOCTL_FAULT_DIR only (a full
 *                           state file system; sysfs and stdout go on).
 * VFIOCTL_FAULT_COUNT=FILE receives the number of calls at exit, to size
 * a sweep. Children (the unbind helper) are not counted.
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
#include <sys/uio.h>
#include <unistd.h>

static long calls, at;
static int mode; /* 0 count only, 1 kill, 2 enospc */
static pid_t self;
static const char *dir;

__attribute__((constructor)) static void shim_init(void)
{
        const char *f = getenv("VFIOCTL_FAULT");

        self = getpid();
        dir = getenv("VFIOCTL_FAULT_DIR");
        if (f && !strncmp(f, "kill:", 5)) {
                mode = 1;
                at = atol(f + 5);
        } else if (f && !strncmp(f, "enospc:", 7)) {
                mode = 2;
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
                fprintf(f, "%ld\n", calls);
                fclose(f);
        }
}

static bool fd_in_dir(int fd)
{
        char link[64], target[PATH_MAX];
        ssize_t n;

        if (!dir)
                return false;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
                return false;
        target[n] = '\0';
        return !strncmp(target, dir, strlen(dir));
}

/* 0: go on; -1: fail with ENOSPC. */
static int fault(int fd)
{
        if (getpid() != self)
                return 0;
        if (mode == 2) {
                if (!fd_in_dir(fd))
                        return 0;
                if (++calls >= at) {
                        errno = ENOSPC;
                        return -1;
                }
                return 0;
        }
        if (++calls == at && mode == 1)
                kill(self, SIGKILL);
        return 0;
}

#define REAL(name) ((__typeof__(&name)) dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void *buf, size_t n)
{
        return fault(fd) < 0 ? -1 : REAL(write)(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
        return fault(fd) < 0 ? -1 : REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
        return fault(fd) < 0 ? -1 : REAL(pwrite64)(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
        return fault(fd) < 0 ? -1 : REAL(writev)(fd, iov, n);
}

int fsync(int fd)
{
        return fault(fd) < 0 ? -1 : REAL(fsync)(fd);
}

int fdatasync(int fd)
{
        return fault(fd) < 0 ? -1 : REAL(fdatasync)(fd);
}
