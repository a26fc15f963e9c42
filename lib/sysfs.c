/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sysfs access layer: the only file that builds paths under the root
 * and does I/O on the tree. Every value is read strictly, because a
 * truncated or garbled attribute must surface as an error the caller sees,
 * never as a silent zero. Reads go through directory fds and openat() so a
 * listing costs few syscalls; writes go through sysfs_write(), the single
 * choke point that also implements dry runs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "internal.h"

static const char *relname(const char *dirname, const char *name, char *buf, size_t size)
{
        if (!dirname || !*dirname)
                snprintf(buf, size, "%s", name);
        else
                snprintf(buf, size, "%s/%s", dirname, name);
        return buf;
}

/* Error messages name the file as the user would look for it. */
static int file_error(vfioctl_ctx *ctx, int error, const char *dirname, const char *name,
                      const char *what)
{
        char rel[512];
        const char *root = ctx->root;

        relname(dirname, name, rel, sizeof(rel));
        return ctx_error(ctx, error, "%s%s%s: %s", streq(root, "/") ? "/" : root,
                         streq(root, "/") ? "" : "/", rel, what ? what : strerror(-error));
}

int sysfs_open_dir(vfioctl_ctx *ctx, const char *relpath, int *ret_fd)
{
        int fd;

        fd = openat(ctx->root_fd, relpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return file_error(ctx, negative_errno(), NULL, relpath, NULL);
        *ret_fd = fd;
        return 0;
}

int sysfs_open_subdir(vfioctl_ctx *ctx, int dirfd, const char *name, int *ret_fd)
{
        int fd;

        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}

/* Reads at most max bytes; a file that has more is refused, not cut. */
static int read_limited(int dirfd, const char *attr, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        fd = openat(dirfd, attr, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        buf = malloc(max + 2);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, max + 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

void sysfs_fetch_text(int dirfd, const char *attr, size_t max, struct sysfs_fetch *f)
{
        *f = (struct sysfs_fetch) {};
        f->error = read_limited(dirfd, attr, max, &f->buf, &f->len);
}

void sysfs_fetch_link(int dirfd, const char *link, struct sysfs_fetch *f)
{
        *f = (struct sysfs_fetch) {};
        f->error = sysfs_read_link(dirfd, link, f->target, sizeof(f->target));
}

void sysfs_fetch_done(struct sysfs_fetch *f)
{
        free(f->buf);
        f->buf = NULL;
}

/* The checks of sysfs_read_text() on what sysfs_fetch_text() got. */
static int fetched_text(vfioctl_ctx *ctx, const char *dirname, const char *attr,
                        struct sysfs_fetch *f, char **ret)
{
        if (f->error == -EFBIG)
                return file_error(ctx, f->error, dirname, attr, "too large");
        if (f->error < 0)
                return file_error(ctx, f->error, dirname, attr, NULL);
        if (memchr(f->buf, '\0', f->len))
                return file_error(ctx, -EBADMSG, dirname, attr, "contains a NUL byte");
        *ret = TAKE_PTR(f->buf);
        return 0;
}

int sysfs_read_text(vfioctl_ctx *ctx, int dirfd, const char *dirname, const char *attr,
                    size_t max, char **ret)
{
        _cleanup_(sysfs_fetch_done) struct sysfs_fetch f;

        sysfs_fetch_text(dirfd, attr, max, &f);
        return fetched_text(ctx, dirname, attr, &f, ret);
}

int sysfs_fetched_str(vfioctl_ctx *ctx, const char *dirname, const char *attr,
                      struct sysfs_fetch *f, char **ret)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        r = fetched_text(ctx, dirname, attr, f, &buf);
        if (r < 0)
                return r;
        len = strlen(buf);
        /* The kernel ends every attribute with one newline; without it the
         * value may have been cut short. */
        if (len == 0 || buf[len - 1] != '\n')
                return file_error(ctx, -EBADMSG, dirname, attr,
                                  "truncated value (no final newline)");
        buf[--len] = '\0';
        if (strchr(buf, '\n'))
                return file_error(ctx, -EBADMSG, dirname, attr, "more than one line");
        *ret = TAKE_PTR(buf);
        return 0;
}

int sysfs_fetched_override(vfioctl_ctx *ctx, const char *dirname, const char *attr,
                           struct sysfs_fetch *f, char **ret)
{
        int r = sysfs_fetched_str(ctx, dirname, attr, f, ret);

        /* The kernel prints an unset override with printk's "(null)". */
        if (r >= 0 && (streq(*ret, "(null)") || !**ret)) {
                free(*ret);
                *ret = NULL;
        }
        return r;
}

int sysfs_read_str(vfioctl_ctx *ctx, int dirfd, const char *dirname, const char *attr,
                   char **ret)
{
        _cleanup_(sysfs_fetch_done) struct sysfs_fetch f;

        sysfs_fetch_text(dirfd, attr, SYSFS_ATTR_MAX, &f);
        return sysfs_fetched_str(ctx, dirname, attr, &f, ret);
}

int sysfs_read_bin(vfioctl_ctx *ctx, int dirfd, const char *dirname, const char *attr,
                   void *buf, size_t size, size_t *ret_len)
{
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0;

        fd = openat(dirfd, attr, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return file_error(ctx, negative_errno(), dirname, attr, NULL);
        while (len < size) {
                ssize_t n = read(fd, (char *) buf + len, size - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return file_error(ctx, negative_errno(), dirname, attr, NULL);
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        *ret_len = len;
        return 0;
}

/* Strict unsigned parse: "0x" prefix means hex, otherwise decimal. */
static int parse_u64(const char *s, uint64_t *ret)
{
        int base = 10;
        uint64_t v = 0;

        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                base = 16;
                s += 2;
        }
        if (!*s)
                return -EINVAL;
        for (; *s; s++) {
                unsigned d;
                if (*s >= '0' && *s <= '9')
                        d = (unsigned) (*s - '0');
                else if (base == 16 && *s >= 'a' && *s <= 'f')
                        d = (unsigned) (*s - 'a' + 10);
                else if (base == 16 && *s >= 'A' && *s <= 'F')
                        d = (unsigned) (*s - 'A' + 10);
                else
                        return -EINVAL;
                if (v > (UINT64_MAX - d) / (uint64_t) base)
                        return -ERANGE;
                v = v * (uint64_t) base + d;
        }
        *ret = v;
        return 0;
}

int sysfs_read_hex(vfioctl_ctx *ctx, int dirfd, const char *dirname, const char *attr,
                   uint64_t max, uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        uint64_t v;
        int r;

        r = sysfs_read_str(ctx, dirfd, dirname, attr, &s);
        if (r < 0)
                return r;
        if (parse_u64(s, &v) < 0 || v > max)
                return file_error(ctx, -EBADMSG, dirname, attr, "not a valid number");
        *ret = v;
        return 0;
}

int sysfs_read_int(vfioctl_ctx *ctx, int dirfd, const char *dirname, const char *attr,
                   int64_t min, int64_t max, int64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        bool neg;
        uint64_t v;
        int64_t val;
        int r;

        r = sysfs_read_str(ctx, dirfd, dirname, attr, &s);
        if (r < 0)
                return r;
        neg = s[0] == '-';
        if (parse_u64(s + neg, &v) < 0 || v > INT64_MAX)
                return file_error(ctx, -EBADMSG, dirname, attr, "not a valid number");
        val = neg ? -(int64_t) v : (int64_t) v;
        if (val < min || val > max)
                return file_error(ctx, -EBADMSG, dirname, attr, "number out of range");
        *ret = val;
        return 0;
}

int sysfs_fetched_link_name(vfioctl_ctx *ctx, const char *dirname, const char *link,
                            struct sysfs_fetch *f, char **ret)
{
        const char *base;

        if (f->error == -ENOENT)
                return -ENOENT;
        if (f->error == -ENAMETOOLONG)
                return file_error(ctx, f->error, dirname, link, "link target too long");
        if (f->error < 0)
                return file_error(ctx, f->error, dirname, link, NULL);
        base = strrchr(f->target, '/');
        base = base ? base + 1 : f->target;
        if (!*base || streq(base, ".") || streq(base, ".."))
                return file_error(ctx, -EBADMSG, dirname, link, "link points nowhere");
        *ret = strdup(base);
        return *ret ? 0 : -ENOMEM;
}

int sysfs_read_link_name(vfioctl_ctx *ctx, int dirfd, const char *dirname, const char *link,
                         char **ret)
{
        struct sysfs_fetch f;

        sysfs_fetch_link(dirfd, link, &f);
        return sysfs_fetched_link_name(ctx, dirname, link, &f, ret);
}

int sysfs_read_link(int dirfd, const char *name, char *buf, size_t size)
{
        ssize_t n = readlinkat(dirfd, name, buf, size);

        if (n < 0)
                return negative_errno();
        if ((size_t) n >= size)
                return -ENAMETOOLONG;
        buf[n] = '\0';
        return 0;
}

int sysfs_exists(vfioctl_ctx *ctx, int dirfd, const char *name)
{
        if (faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return 1;
        if (errno == ENOENT || errno == ENOTDIR)
                return 0;
        return negative_errno();
}

void strv_free(char **l)
{
        if (!l)
                return;
        for (char **p = l; *p; p++)
                free(*p);
        free(l);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int sysfs_list_dir(vfioctl_ctx *ctx, int dirfd, const char *dirname, char ***ret, size_t *ret_n)
{
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0, allocated = 0;
        DIR *d;
        int fd;

        /* fdopendir takes the fd; keep the caller's. */
        fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return file_error(ctx, negative_errno(), dirname, "", NULL);
        d = fdopendir(fd);
        if (!d) {
                int r = negative_errno();
                close(fd);
                return file_error(ctx, r, dirname, "", NULL);
        }
        for (;;) {
                struct dirent *de;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno) {
                                int r = negative_errno();
                                closedir(d);
                                return file_error(ctx, r, dirname, "", NULL);
                        }
                        break;
                }
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (n + 2 > allocated) {
                        size_t na = allocated ? allocated * 2 : 16;
                        char **nl = realloc(l, na * sizeof(char *));
                        if (!nl) {
                                closedir(d);
                                return -ENOMEM;
                        }
                        l = nl;
                        allocated = na;
                }
                l[n] = strdup(de->d_name);
                if (!l[n]) {
                        closedir(d);
                        return -ENOMEM;
                }
                l[++n] = NULL;
        }
        closedir(d);
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        qsort_safe(l, n, sizeof(char *), cmp_str);
        *ret = TAKE_PTR(l);
        if (ret_n)
                *ret_n = n;
        return 0;
}

int sysfs_dir_is_empty(vfioctl_ctx *ctx, const char *relpath)
{
        struct dirent *de;
        DIR *d;
        int fd, r = 1;

        fd = openat(ctx->root_fd, relpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        d = fdopendir(fd);
        if (!d) {
                r = negative_errno();
                close(fd);
                return r;
        }
        /* Stop at the first entry: on a big SR-IOV host iommu_groups has
         * thousands, and the question is only whether there is one. */
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        r = 0;
                        break;
                }
        closedir(d);
        return r;
}

static const char *after_prefix(const char *s, const char *prefix)
{
        size_t n = strlen(prefix);

        return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/* One path component of an attribute name: "driver_override", "sriov_numvfs". */
static bool attr_name_is_valid(const char *s, size_t len)
{
        if (len == 0 || len > 64)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
                        return false;
        return true;
}

/* "NAME/ATTR" with NAME passing is_valid and ATTR one attribute name. */
static bool object_attr_is_valid(const char *s, bool (*is_valid)(const char *))
{
        const char *slash = strchr(s, '/');
        char name[80];

        if (!slash || (size_t) (slash - s) >= sizeof(name))
                return false;
        memcpy(name, s, slash - s);
        name[slash - s] = '\0';
        return is_valid(name) && attr_name_is_valid(slash + 1, strlen(slash + 1));
}

/*
 * Whatever a caller computed (and part of it may come from the state
 * database), a write only ever goes to an attribute of one PCI device,
 * of one PCI driver, or of the PCI bus itself.
 */
static bool write_path_is_allowed(const char *relpath)
{
        const char *p;

        if ((p = after_prefix(relpath, SYSFS_PCI_DEVICES "/")))
                return object_attr_is_valid(p, pci_addr_is_canonical);
        if ((p = after_prefix(relpath, SYSFS_PCI_DRIVERS "/")))
                return object_attr_is_valid(p, driver_name_is_valid);
        return streq(relpath, SYSFS_PCI_BUS "/drivers_probe") ||
               streq(relpath, SYSFS_PCI_BUS "/rescan");
}

int sysfs_write_check(vfioctl_ctx *ctx, const char *relpath)
{
        if (!write_path_is_allowed(relpath))
                return ctx_error(ctx, -EPERM,
                                 "refusing to write to %s: not an attribute of a PCI device or "
                                 "driver (a damaged state or a bug; nothing was written)",
                                 relpath);
        return 0;
}

const char *sysfs_bus_relpath(const char *relpath)
{
        const char *p = after_prefix(relpath, SYSFS_PCI_BUS "/");

        return p ? p : "";
}

int sysfs_write_raw(int dirfd, const char *relpath, const char *value)
{
        size_t len = strlen(value);
        ssize_t n;
        int fd, r = 0;

        /* O_NOFOLLOW: the final component of a sysfs attribute is never a
         * link; refusing one keeps a confused tree from redirecting us. */
        fd = openat(dirfd, relpath, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* The kernel takes the whole value in one write; an empty value is
         * written as a lone newline, which is how sysfs clears a value. */
        if (len == 0) {
                value = "\n";
                len = 1;
        }
        n = write(fd, value, len);
        if (n < 0)
                r = -errno;
        else if ((size_t) n != len)
                r = -EMSGSIZE;
        close(fd);
        return r;
}

int sysfs_write(vfioctl_ctx *ctx, const char *relpath, const char *value)
{
        int r;

        r = sysfs_write_check(ctx, relpath);
        if (r < 0)
                return r;
        if (ctx->dry_run_fn) {
                ctx->dry_run_fn(ctx->dry_run_data, relpath, value);
                return 0;
        }
        log_debug(ctx, "write '%s' to %s", value, relpath);
        r = sysfs_write_raw(ctx->root_fd, relpath, value);
        if (r == -EMSGSIZE)
                return file_error(ctx, -EIO, NULL, relpath, "short write");
        if (r < 0)
                return file_error(ctx, r, NULL, relpath, NULL);
        return 0;
}

/* ------------------------------------------------------------------ */
/* Paths: every path into the tree is made here, so the layout of sysfs
 * (where a device's attributes, a driver's files, a group's members are)
 * is written down once. */

static const char *path_join(char buf[SYSFS_PATH_MAX], const char *a, const char *b,
                             const char *c, const char *d)
{
        const char *parts[] = { a, b, c, d };
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                int n;

                if (!parts[i])
                        continue;
                n = snprintf(buf + len, SYSFS_PATH_MAX - len, "%s%s", len ? "/" : "", parts[i]);
                if (n < 0 || (size_t) n >= SYSFS_PATH_MAX - len) {
                        /* Too long for any sysfs path: "" opens nothing and
                         * sysfs_write_check() refuses it. */
                        buf[0] = '\0';
                        return buf;
                }
                len += (size_t) n;
        }
        return buf;
}

const char *sysfs_device_attr(char buf[SYSFS_PATH_MAX], const char *address, const char *attr)
{
        return path_join(buf, address, attr, NULL, NULL);
}

const char *sysfs_device_netif_attr(char buf[SYSFS_PATH_MAX], const char *address,
                                    const char *ifname, const char *attr)
{
        return path_join(buf, address, "net", ifname, attr);
}

const char *sysfs_device_path(char buf[SYSFS_PATH_MAX], const char *address, const char *attr)
{
        return path_join(buf, SYSFS_PCI_DEVICES, address, attr, NULL);
}

const char *sysfs_driver_path(char buf[SYSFS_PATH_MAX], const char *driver, const char *attr)
{
        return path_join(buf, SYSFS_PCI_DRIVERS, driver, attr, NULL);
}

const char *sysfs_group_devices_path(char buf[SYSFS_PATH_MAX], unsigned number)
{
        char n[16];

        snprintf(n, sizeof(n), "%u", number);
        return path_join(buf, SYSFS_IOMMU_GROUPS, n, "devices", NULL);
}

const char *sysfs_entry_attr(char buf[SYSFS_PATH_MAX], const char *entry, const char *attr)
{
        return path_join(buf, entry, attr, NULL, NULL);
}
