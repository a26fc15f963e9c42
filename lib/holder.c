/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who holds an IOMMU group open: the processes under the root's /proc
 * with /dev/vfio/N among their descriptors. Named when an unbind from a
 * vfio driver waits for its users (rule 12).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "holder.h"

/* The group of /dev/vfio/N a link target names (with or without the root), or -1. */
static int vfio_target_group(const char *target, const char *root)
{
        const char *p = target;
        unsigned long v;
        char *end;

        if (!streq(root, "/") && strncmp(p, root, strlen(root)) == 0)
                p += strlen(root);
        if (strncmp(p, "/dev/vfio/", 10) != 0)
                return -1;
        p += 10;
        errno = 0;
        v = strtoul(p, &end, 10);
        return errno || end == p || *end || v > INT_MAX ? -1 : (int) v;
}

/* Whether pid has one of the groups open; its number in *ret_group. */
static bool pid_holds(vfioctl_ctx *ctx, int proc_fd, const char *pid, const int *groups,
                      size_t n, int *ret_group)
{
        _cleanup_strv_free_ char **fds = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *root = vfioctl_ctx_get_root(ctx);
        char sub[SYSFS_PATH_MAX], target[PATH_MAX];

        sysfs_entry_attr(sub, pid, "fd");
        if (sysfs_open_subdir(ctx, proc_fd, sub, &fd) < 0 ||
            sysfs_list_dir(ctx, fd, sub, &fds, NULL) < 0)
                return false;
        for (char **f = fds; *f; f++) {
                int g;

                if (sysfs_read_link(fd, *f, target, sizeof(target)) < 0)
                        continue;
                g = vfio_target_group(target, root);
                for (size_t i = 0; g >= 0 && i < n; i++)
                        if (groups[i] == g) {
                                *ret_group = g;
                                return true;
                        }
        }
        return false;
}

int holder_find(vfioctl_ctx *ctx, const int *groups, size_t n, char *buf, size_t size)
{
        _cleanup_strv_free_ char **pids = NULL;
        _cleanup_close_ int proc_fd = -EBADF;
        char errmsg[sizeof(ctx->errmsg)];
        int found = 0, group = -1;

        if (n == 0)
                return 0;
        /* Looking is best effort: keep the caller's error message. */
        memcpy(errmsg, ctx->errmsg, sizeof(errmsg));
        if (sysfs_open_dir(ctx, "proc", &proc_fd) < 0 ||
            sysfs_list_dir(ctx, proc_fd, "proc", &pids, NULL) < 0)
                goto out;
        for (char **p = pids; *p; p++) {
                _cleanup_free_ char *comm = NULL;
                char sub[SYSFS_PATH_MAX];

                if (strspn(*p, "0123456789") != strlen(*p) ||
                    !pid_holds(ctx, proc_fd, *p, groups, n, &group))
                        continue;
                sysfs_entry_attr(sub, *p, "comm");
                if (sysfs_read_str(ctx, proc_fd, "proc", sub, &comm) < 0)
                        comm = NULL;
                snprintf(buf, size, "pid %s (%s) holds /dev/vfio/%d open", *p,
                         comm ? comm : "?", group);
                found = 1;
                break;
        }
out:
        memcpy(ctx->errmsg, errmsg, sizeof(errmsg));
        return found;
}
