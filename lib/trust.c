/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which files vfioctl may believe. It runs as root and what it reads from
 * its state and configuration folders decides what it writes to sysfs
 * next, so those folders must be as private as the sysfs writes they
 * steer: a folder another user can write lets that user choose which
 * device root unbinds. And the names read back from them end up in sysfs
 * paths, so they are checked as strictly as the user's own input.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "internal.h"

int trusted_dir_check(vfioctl_ctx *ctx, const char *dir, const char *what)
{
        struct stat st;

        if (stat(dir, &st) < 0)
                return ctx_error(ctx, negative_errno(), "cannot read %s %s: %m", what, dir);
        if (!S_ISDIR(st.st_mode))
                return ctx_error(ctx, -ENOTDIR, "%s %s is not a folder", what, dir);
        if (st.st_uid != 0 && st.st_uid != geteuid())
                return ctx_error(ctx, -EPERM,
                                 "%s %s is owned by uid %u, not by root: another user could "
                                 "choose what vfioctl does to devices. Check its contents, "
                                 "then 'chown root:root %s && chmod 0700 %s'",
                                 what, dir, (unsigned) st.st_uid, dir, dir);
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return ctx_error(ctx, -EPERM,
                                 "%s %s can be written by %s (mode %04o): another user could "
                                 "choose what vfioctl does to devices. Check its contents, then "
                                 "'chmod go-w %s'",
                                 what, dir, st.st_mode & S_IWOTH ? "every user" : "its group",
                                 (unsigned) (st.st_mode & 07777), dir);
        return 0;
}

/*
 * A driver name as the kernel's PCI drivers are called: "vfio-pci",
 * "snd_hda_intel", "xen-pciback", "mlx5_vfio_pci": letters, digits, '-'
 * and '_', at most 64. The one check for every driver name vfioctl reads
 * (the user's, the XML's, the state's, a reservation's): it ends up in a
 * sysfs path, so no '/', no '.', nothing a shell or a path reads twice.
 */
bool driver_name_is_valid(const char *name)
{
        size_t len;

        if (!name)
                return false;
        len = strlen(name);
        if (len == 0 || len > 64)
                return false;
        return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
               len;
}

/*
 * As the kernel's dev_valid_name(), and no control characters: what a
 * network interface can be called (UTF-8 included). The one check for a
 * name from the user, a definition or the host.
 */
bool ifname_is_valid(const char *name)
{
        size_t len = name ? strlen(name) : 0;

        if (len == 0 || len >= VFIOCTL_IFNAME_MAX || streq(name, ".") || streq(name, ".."))
                return false;
        for (const char *s = name; *s; s++)
                if (*s == '/' || *s == ':' || (unsigned char) *s <= ' ' || *s == 0x7f)
                        return false;
        return true;
}

/* The canonical "DDDD:BB:DD.F" form, and nothing else. */
bool pci_addr_is_canonical(const char *s)
{
        struct vfioctl_pci_addr a;
        char buf[VFIOCTL_PCI_ADDR_MAX];

        return s && vfioctl_pci_addr_parse(s, &a) == 0 &&
               streq(vfioctl_pci_addr_format(&a, buf), s);
}
