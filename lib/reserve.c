/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Boot-time reservations (DESIGN §3 rule 13). Runtime state lives in /run
 * and is gone at boot; a reservation is configuration: CONFIG_DIR/
 * reservations, plain text an admin reads and edits, saying which devices
 * belong to a stub from boot on. A device is keyed by its address and its
 * ids, never by IOMMU group number (groups renumber across boots and
 * kernels), and the entry keeps the other members its group had, so that
 * at boot a moved card or a device that joined the group is noticed and
 * left alone instead of taken.
 *
 *   [0000:01:00.0]
 *   id = 10de:1b81
 *   subsystem = 1462:3302
 *   driver = vfio-pci
 *   member = 0000:00:01.0 8086:1901
 *
 * Applying a reservation is a detach (plan_detach(), run by the executor
 * of op.c): driver_override first, so that a driver loaded later never
 * probes the device, then off whatever driver took it already.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "reserve.h"

struct vfioctl_reservations {
        int n_ref;
        vfioctl_ctx *ctx;
        char *dir;
        char *path;
        int lock_fd; /* flock on the folder while the set may be written */
        struct vfioctl_reservation *entries; /* sorted by address */
        size_t n;
};

bool reserve_row_is_boot(const struct vfioctl_state_device *row)
{
        size_t len = strlen(RESERVE_BOOT_COMMAND);

        return row->detached_by && strncmp(row->detached_by, RESERVE_BOOT_COMMAND, len) == 0 &&
               (row->detached_by[len] == '\0' || row->detached_by[len] == ' ');
}

static void entry_clear(struct vfioctl_reservation *e)
{
        free(e->driver);
        free(e->members);
        *e = (struct vfioctl_reservation) {};
}

void reservation_entries_free(struct vfioctl_reservation *e, size_t n)
{
        for (size_t i = 0; i < n; i++)
                entry_clear(&e[i]);
        free(e);
}

static int cmp_entry(const void *a, const void *b)
{
        const struct vfioctl_reservation *x = a, *y = b;

        return strcmp(x->address, y->address);
}

static int cmp_member(const void *a, const void *b)
{
        const struct vfioctl_reservation_member *x = a, *y = b;

        return strcmp(x->address, y->address);
}

/* ------------------------------------------------------------------ */
/* The file format                                                    */

struct parser {
        vfioctl_ctx *ctx;
        const char *path;
        unsigned line;
        struct vfioctl_reservation *entries;
        size_t n;
        unsigned section_line; /* of the current entry's [ADDRESS] */
};

static int parse_error(struct parser *p, const char *format, ...) _printf_(2, 3);
static int parse_error(struct parser *p, const char *format, ...)
{
        char what[512];
        va_list ap;

        va_start(ap, format);
        vsnprintf(what, sizeof(what), format, ap);
        va_end(ap);
        return ctx_error(p->ctx, -EBADMSG,
                         "%s:%u: %s; fix or remove that line (the format is in vfioctl(8), "
                         "RESERVATIONS); nothing was changed",
                         p->path, p->line, what);
}

/* "10de:1b81": exactly four hex digits, a colon, four hex digits. */
static bool parse_ids(const char *s, uint16_t *ret_a, uint16_t *ret_b)
{
        unsigned a, b;
        int end = 0;

        if (strlen(s) != 9 || strspn(s, "0123456789abcdefABCDEF") != 4 || s[4] != ':' ||
            strspn(s + 5, "0123456789abcdefABCDEF") != 4)
                return false;
        if (sscanf(s, "%4x:%4x%n", &a, &b, &end) != 2 || end != 9)
                return false;
        *ret_a = (uint16_t) a;
        *ret_b = (uint16_t) b;
        return true;
}

static bool parse_address(const char *s, char buf[VFIOCTL_PCI_ADDR_MAX])
{
        struct vfioctl_pci_addr a;

        if (vfioctl_pci_addr_parse(s, &a) < 0)
                return false;
        vfioctl_pci_addr_format(&a, buf);
        return true;
}

static struct vfioctl_reservation *current(struct parser *p)
{
        return p->n > 0 ? &p->entries[p->n - 1] : NULL;
}

/* The entry just read is complete. */
static int finish_entry(struct parser *p)
{
        struct vfioctl_reservation *e = current(p);
        unsigned line = p->line;
        int r = 0;

        if (!e)
                return 0;
        p->line = p->section_line;
        if (!e->vendor_id && !e->device_id)
                r = parse_error(p, "[%s] has no 'id = VENDOR:DEVICE' line", e->address);
        else if (!e->driver)
                r = parse_error(p, "[%s] has no 'driver = NAME' line", e->address);
        p->line = line;
        qsort_safe(e->members, e->n_members, sizeof(*e->members), cmp_member);
        return r;
}

static int parse_section(struct parser *p, char *s)
{
        struct vfioctl_reservation *n, *e;
        size_t len = strlen(s);
        char addr[VFIOCTL_PCI_ADDR_MAX];
        int r;

        if (s[len - 1] != ']')
                return parse_error(p, "'%.40s' is not a [ADDRESS] line", s);
        s[len - 1] = '\0';
        if (!parse_address(s + 1, addr))
                return parse_error(p, "'[%.40s]' does not name a PCI address (like "
                                   "[0000:01:00.0])", s + 1);
        r = finish_entry(p);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n; i++)
                if (streq(p->entries[i].address, addr))
                        return parse_error(p, "%s is reserved twice", addr);
        n = realloc(p->entries, (p->n + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        p->entries = n;
        e = &n[p->n++];
        *e = (struct vfioctl_reservation) {};
        snprintf(e->address, sizeof(e->address), "%s", addr);
        p->section_line = p->line;
        return 0;
}

static int parse_member(struct parser *p, struct vfioctl_reservation *e, const char *value)
{
        struct vfioctl_reservation_member *n, m = {};
        char addr[64] = "", ids[64] = "";
        int end = 0;

        if (sscanf(value, "%63s %63s%n", addr, ids, &end) != 2 || value[end] != '\0')
                return parse_error(p, "'member = %.60s': expected 'member = ADDRESS "
                                   "VENDOR:DEVICE'", value);
        if (!parse_address(addr, m.address))
                return parse_error(p, "member '%.40s' is not a PCI address", addr);
        if (!parse_ids(ids, &m.vendor_id, &m.device_id))
                return parse_error(p, "member %s: '%.40s' is not VENDOR:DEVICE (like 8086:10d3)",
                                   m.address, ids);
        if (streq(m.address, e->address))
                return parse_error(p, "%s is listed as a member of its own group", m.address);
        for (size_t i = 0; i < e->n_members; i++)
                if (streq(e->members[i].address, m.address))
                        return parse_error(p, "member %s is listed twice", m.address);
        n = realloc(e->members, (e->n_members + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        e->members = n;
        n[e->n_members++] = m;
        return 0;
}

static int parse_setting(struct parser *p, char *s)
{
        struct vfioctl_reservation *e = current(p);
        char *eq = strchr(s, '='), *key = s, *value;
        size_t klen;

        if (!eq)
                return parse_error(p, "'%.40s' is neither [ADDRESS] nor KEY = VALUE", s);
        if (!e)
                return parse_error(p, "'%.40s' comes before the first [ADDRESS] line", s);
        *eq = '\0';
        klen = strlen(key);
        while (klen > 0 && (key[klen - 1] == ' ' || key[klen - 1] == '\t'))
                key[--klen] = '\0';
        value = eq + 1;
        value += strspn(value, " \t");
        if (!*value)
                return parse_error(p, "'%s' has no value", key);

        if (streq(key, "id")) {
                if (e->vendor_id || e->device_id)
                        return parse_error(p, "[%s] has two id lines", e->address);
                if (!parse_ids(value, &e->vendor_id, &e->device_id) ||
                    (!e->vendor_id && !e->device_id))
                        return parse_error(p, "id '%.40s' is not VENDOR:DEVICE (like 10de:1b81)",
                                           value);
                return 0;
        }
        if (streq(key, "subsystem")) {
                if (e->has_subsys)
                        return parse_error(p, "[%s] has two subsystem lines", e->address);
                if (!parse_ids(value, &e->subsys_vendor_id, &e->subsys_device_id))
                        return parse_error(p, "subsystem '%.40s' is not VENDOR:DEVICE (like "
                                           "1462:3302)", value);
                e->has_subsys = true;
                return 0;
        }
        if (streq(key, "driver")) {
                if (e->driver)
                        return parse_error(p, "[%s] has two driver lines", e->address);
                if (!driver_name_is_valid(value))
                        return parse_error(p, "driver '%.40s' is not a driver name", value);
                e->driver = strdup(value);
                return e->driver ? 0 : -ENOMEM;
        }
        if (streq(key, "member"))
                return parse_member(p, e, value);
        return parse_error(p, "unknown key '%.40s' (expected id, subsystem, driver or member)",
                           key);
}

static int parse_line(struct parser *p, char *s)
{
        size_t len;

        s += strspn(s, " \t");
        len = strlen(s);
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
                s[--len] = '\0';
        if (len == 0 || s[0] == '#')
                return 0;
        if (s[0] == '[')
                return parse_section(p, s);
        return parse_setting(p, s);
}

int reservations_parse(vfioctl_ctx *ctx, const char *path, const char *text,
                       struct vfioctl_reservation **ret, size_t *ret_n)
{
        _cleanup_free_ char *copy = strdup(text);
        struct parser p = { .ctx = ctx, .path = path };
        char *line, *next;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        for (line = copy; line && r >= 0; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (!next && !*line)
                        break; /* the newline that ends the file */
                p.line++;
                r = parse_line(&p, line);
        }
        if (r >= 0)
                r = finish_entry(&p);
        if (r < 0) {
                reservation_entries_free(p.entries, p.n);
                return r;
        }
        qsort_safe(p.entries, p.n, sizeof(*p.entries), cmp_entry);
        *ret = p.entries;
        *ret_n = p.n;
        return 0;
}

int reservations_format(const struct vfioctl_reservation *e, size_t n, char **ret)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fputs("# vfioctl boot-time reservations: each device below belongs to its stub driver\n"
              "# from boot on. Written by 'vfioctl reserve' and 'vfioctl unreserve'; it may be\n"
              "# edited by hand (vfioctl(8), RESERVATIONS). 'member' lines are the rest of the\n"
              "# device's IOMMU group when it was reserved: a group that changed is left alone.\n",
              f);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "\n[%s]\nid = %04x:%04x\n", e[i].address, e[i].vendor_id,
                        e[i].device_id);
                if (e[i].has_subsys)
                        fprintf(f, "subsystem = %04x:%04x\n", e[i].subsys_vendor_id,
                                e[i].subsys_device_id);
                fprintf(f, "driver = %s\n", e[i].driver);
                for (size_t j = 0; j < e[i].n_members; j++)
                        fprintf(f, "member = %s %04x:%04x\n", e[i].members[j].address,
                                e[i].members[j].vendor_id, e[i].members[j].device_id);
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

/* ------------------------------------------------------------------ */
/* The folder and the file                                            */

static void reservations_free(vfioctl_reservations *res)
{
        reservation_entries_free(res->entries, res->n);
        if (res->lock_fd >= 0)
                close(res->lock_fd);
        vfioctl_ctx_unref(res->ctx);
        free(res->dir);
        free(res->path);
        free(res);
}

DEFINE_PUBLIC_REF_UNREF(vfioctl_reservations, vfioctl_reservations, reservations_free)


/* The file steers root's sysfs writes at boot: as private as the folder. */
static int check_file_trusted(vfioctl_ctx *ctx, const char *path, const struct stat *st)
{
        if (!S_ISREG(st->st_mode))
                return ctx_error(ctx, -EBADMSG, "%s is not a regular file", path);
        if (st->st_uid != 0 && st->st_uid != geteuid())
                return ctx_error(ctx, -EPERM,
                                 "%s is owned by uid %u, not by root: another user could choose "
                                 "which devices are taken at boot. Check its contents, then "
                                 "'chown root:root %s'",
                                 path, (unsigned) st->st_uid, path);
        if (st->st_mode & (S_IWGRP | S_IWOTH))
                return ctx_error(ctx, -EPERM,
                                 "%s can be written by %s (mode %04o): another user could "
                                 "choose which devices are taken at boot. Check its contents, "
                                 "then 'chmod go-w %s'",
                                 path, st->st_mode & S_IWOTH ? "every user" : "its group",
                                 (unsigned) (st->st_mode & 07777), path);
        if (st->st_size > RESERVATIONS_MAX)
                return ctx_error(ctx, -EFBIG, "%s is larger than %d bytes: not a reservations "
                                 "file", path, RESERVATIONS_MAX);
        return 0;
}

static int read_file(vfioctl_reservations *res)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        fd = open(res->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0 && errno == ENOENT)
                return 0;
        if (fd < 0)
                return ctx_error(res->ctx, negative_errno(), "cannot read %s: %m", res->path);
        if (fstat(fd, &st) < 0)
                return ctx_error(res->ctx, negative_errno(), "cannot read %s: %m", res->path);
        r = check_file_trusted(res->ctx, res->path, &st);
        if (r < 0)
                return r;
        text = malloc(RESERVATIONS_MAX + 1);
        if (!text)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, text + len, RESERVATIONS_MAX + 1 - len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return ctx_error(res->ctx, negative_errno(), "cannot read %s: %m",
                                         res->path);
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > RESERVATIONS_MAX)
                        return ctx_error(res->ctx, -EFBIG, "%s is larger than %d bytes: not a "
                                         "reservations file", res->path, RESERVATIONS_MAX);
        }
        if (memchr(text, '\0', len))
                return ctx_error(res->ctx, -EBADMSG, "%s holds a NUL byte: not a text file; "
                                 "nothing was changed", res->path);
        text[len] = '\0';
        return reservations_parse(res->ctx, res->path, text, &res->entries, &res->n);
}

static int open_folder(vfioctl_reservations *res, bool write)
{
        struct stat st;
        int r;

        if (stat(res->dir, &st) < 0) {
                if (errno != ENOENT)
                        return ctx_error(res->ctx, negative_errno(),
                                         "cannot read the configuration folder %s: %m", res->dir);
                if (!write)
                        return 0; /* nothing reserved yet */
                if (mkdir(res->dir, 0755) < 0)
                        return ctx_error(res->ctx, negative_errno(),
                                         "cannot create the configuration folder %s: %m; "
                                         "reservations are kept there",
                                         res->dir);
        }
        r = trusted_dir_check(res->ctx, res->dir, "configuration folder");
        if (r < 0)
                return r;
        if (write) {
                if (access(res->dir, W_OK) < 0)
                        return ctx_error(res->ctx, negative_errno(),
                                         "the configuration folder %s is not writable (%m): "
                                         "reservations are kept there, so none can be changed",
                                         res->dir);
                res->lock_fd = open(res->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (res->lock_fd < 0 || flock(res->lock_fd, LOCK_EX) < 0)
                        return ctx_error(res->ctx, negative_errno(), "cannot lock %s: %m",
                                         res->dir);
        }
        return read_file(res);
}

VFIOCTL_EXPORT int vfioctl_reservations_load(vfioctl_ctx *ctx, const char *dir, unsigned flags,
                                             vfioctl_reservations **ret)
{
        _cleanup_(vfioctl_reservations_unrefp) vfioctl_reservations *res = NULL;
        int r;

        if (!ctx || !dir || !*dir || !ret)
                return -EINVAL;
        res = calloc(1, sizeof(*res));
        if (!res)
                return -ENOMEM;
        res->n_ref = 1;
        res->lock_fd = -EBADF;
        res->ctx = vfioctl_ctx_ref(ctx);
        res->dir = strdup(dir);
        if (!res->dir || asprintf(&res->path, "%s/%s", dir, RESERVATIONS_FILE) < 0)
                return -ENOMEM;
        r = open_folder(res, flags & VFIOCTL_RESERVATIONS_WRITE);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(res);
        return 0;
}

VFIOCTL_EXPORT const char *vfioctl_reservations_get_path(vfioctl_reservations *res)
{
        return res ? res->path : NULL;
}

VFIOCTL_EXPORT size_t vfioctl_reservations_n(vfioctl_reservations *res)
{
        return res ? res->n : 0;
}

VFIOCTL_EXPORT const struct vfioctl_reservation *
vfioctl_reservations_at(vfioctl_reservations *res, size_t i)
{
        return res && i < res->n ? &res->entries[i] : NULL;
}

static const struct vfioctl_reservation *find_entry(vfioctl_reservations *res, const char *address)
{
        for (size_t i = 0; res && i < res->n; i++)
                if (streq(res->entries[i].address, address))
                        return &res->entries[i];
        return NULL;
}

VFIOCTL_EXPORT const struct vfioctl_reservation *
vfioctl_reservations_find(vfioctl_reservations *res, const struct vfioctl_pci_addr *addr)
{
        char buf[VFIOCTL_PCI_ADDR_MAX];

        if (!res || !addr)
                return NULL;
        return find_entry(res, vfioctl_pci_addr_format(addr, buf));
}

/* Writes the set: a temporary file beside it, fsync, rename, fsync of the folder. */
static int reservations_save(vfioctl_reservations *res, const struct vfioctl_reservation *e,
                             size_t n)
{
        _cleanup_free_ char *text = NULL, *tmp = NULL;
        _cleanup_close_ int dfd = -EBADF;
        size_t len, done = 0;
        int fd, r;

        r = reservations_format(e, n, &text);
        if (r < 0)
                return r;
        if (asprintf(&tmp, "%s/.%s.XXXXXX", res->dir, RESERVATIONS_FILE) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return ctx_error(res->ctx, negative_errno(),
                                 "cannot write in the configuration folder %s (%m); the "
                                 "reservations were not changed",
                                 res->dir);
        len = strlen(text);
        while (done < len) {
                ssize_t k = write(fd, text + done, len - done);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        break;
                done += (size_t) k;
        }
        r = done == len && fchmod(fd, 0644) == 0 && fsync(fd) == 0 ? 0 : negative_errno();
        if (close(fd) < 0 && r == 0)
                r = negative_errno();
        if (r == 0 && rename(tmp, res->path) < 0)
                r = negative_errno();
        if (r < 0) {
                unlink(tmp);
                return ctx_error(res->ctx, r, "cannot write %s: %s; the reservations were not "
                                 "changed", res->path, strerror(-r));
        }
        /* The rename is only durable once the folder is. */
        dfd = open(res->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) < 0)
                return ctx_error(res->ctx, negative_errno(), "cannot sync %s: %m", res->dir);
        return 0;
}

/* Replaces the set with entries (taken over), after writing it. */
static int reservations_replace(vfioctl_reservations *res, struct vfioctl_reservation *entries,
                                size_t n)
{
        int r = 0;

        qsort_safe(entries, n, sizeof(*entries), cmp_entry);
        if (!vfioctl_ctx_is_dry_run(res->ctx)) {
                if (res->lock_fd < 0)
                        r = ctx_error(res->ctx, -ENOLCK, "the reservations were loaded for "
                                      "reading only");
                else
                        r = reservations_save(res, entries, n);
        }
        if (r < 0) {
                reservation_entries_free(entries, n);
                return r;
        }
        reservation_entries_free(res->entries, res->n);
        res->entries = entries;
        res->n = n;
        return 0;
}

static int entry_copy(const struct vfioctl_reservation *from, struct vfioctl_reservation *to)
{
        *to = *from;
        to->driver = strdup(from->driver);
        to->members = from->n_members ? malloc(from->n_members * sizeof(*from->members)) : NULL;
        if (!to->driver || (from->n_members && !to->members)) {
                entry_clear(to);
                return -ENOMEM;
        }
        if (from->n_members)
                memcpy(to->members, from->members, from->n_members * sizeof(*from->members));
        return 0;
}

/* ------------------------------------------------------------------ */
/* Does a reservation still fit the host?                             */

/* pci-stub and xen-pciback only hold a device: VFIO's group rule is not theirs. */
static bool stub_is_hold_only(const char *driver)
{
        return streq(driver, "pci-stub") || streq(driver, "xen-pciback") ||
               streq(driver, "pciback");
}

static const struct vfioctl_reservation_member *
find_member(const struct vfioctl_reservation *e, const char *address)
{
        for (size_t i = 0; i < e->n_members; i++)
                if (streq(e->members[i].address, address))
                        return &e->members[i];
        return NULL;
}

static bool ids_match(const struct vfioctl_reservation *e, vfioctl_device *dev)
{
        return vfioctl_device_get_vendor_id(dev) == e->vendor_id &&
               vfioctl_device_get_device_id(dev) == e->device_id &&
               (!e->has_subsys || (vfioctl_device_get_subsys_vendor_id(dev) == e->subsys_vendor_id &&
                                   vfioctl_device_get_subsys_device_id(dev) == e->subsys_device_id));
}

static int verdict(char *why, size_t size, int v, const char *format, ...) _printf_(4, 5);
static int verdict(char *why, size_t size, int v, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        if (why && size)
                vsnprintf(why, size, format, ap);
        va_end(ap);
        return v;
}

/* Rule 13: a reserved device whose ids or group changed is never touched. */
static int check_group(vfioctl_host *host, vfioctl_reservations *res,
                       const struct vfioctl_reservation *e, vfioctl_device *dev, char *why,
                       size_t size)
{
        vfioctl_group *group;
        char desc[256];
        int r;

        r = vfioctl_host_get_group(host, (unsigned) vfioctl_device_get_group_number(dev), &group);
        if (r < 0)
                return r;
        for (size_t i = 0; i < vfioctl_group_n_devices(group); i++) {
                vfioctl_device *m = vfioctl_group_device_at(group, i);
                const char *name = vfioctl_device_get_address(m);
                const struct vfioctl_reservation *other = find_entry(res, name);
                const struct vfioctl_reservation_member *was = find_member(e, name);

                if (m == dev || (other && ids_match(other, m)))
                        continue;
                plan_describe(m, desc, sizeof(desc));
                if (!was)
                        return verdict(why, size, VFIOCTL_RESERVATION_GROUP_CHANGED,
                                       "%s (%s, on %s) joined its IOMMU group %d since it was "
                                       "reserved",
                                       name, desc, vfioctl_device_get_driver(m) ?: "no driver",
                                       vfioctl_device_get_group_number(dev));
                if (was->vendor_id != vfioctl_device_get_vendor_id(m) ||
                    was->device_id != vfioctl_device_get_device_id(m))
                        return verdict(why, size, VFIOCTL_RESERVATION_GROUP_CHANGED,
                                       "the member %s of its IOMMU group is now %04x:%04x (%s), "
                                       "not the %04x:%04x it was when reserved",
                                       name, vfioctl_device_get_vendor_id(m),
                                       vfioctl_device_get_device_id(m), desc, was->vendor_id,
                                       was->device_id);
                if (!vfioctl_device_is_viable_member(m) && !vfioctl_device_is_bridge(m))
                        return verdict(why, size, VFIOCTL_RESERVATION_GROUP_CHANGED,
                                       "%s (%s) in its IOMMU group is on %s, a host driver, and "
                                       "is not reserved",
                                       name, desc, vfioctl_device_get_driver(m));
        }
        return VFIOCTL_RESERVATION_APPLIES;
}

VFIOCTL_EXPORT int vfioctl_reservation_check(vfioctl_host *host, vfioctl_reservations *res,
                                             const struct vfioctl_reservation *e, char *why,
                                             size_t why_size)
{
        struct vfioctl_pci_addr a;
        vfioctl_device *dev;
        char desc[256];
        int r;

        if (!host || !e)
                return -EINVAL;
        if (why && why_size)
                *why = '\0';
        r = vfioctl_pci_addr_parse(e->address, &a);
        if (r < 0)
                return r;
        r = host_find_device(host, &a, &dev);
        if (r == -ENODEV)
                return verdict(why, why_size, VFIOCTL_RESERVATION_MISSING,
                               "there is no device at %s any more (the card was removed or moved)",
                               e->address);
        if (r < 0)
                return r;
        if (!ids_match(e, dev)) {
                plan_describe(dev, desc, sizeof(desc));
                return verdict(why, why_size, VFIOCTL_RESERVATION_IDS_CHANGED,
                               "%s is now %04x:%04x subsystem %04x:%04x (%s), not the %04x:%04x "
                               "it was reserved as: the card moved or was replaced",
                               e->address, vfioctl_device_get_vendor_id(dev),
                               vfioctl_device_get_device_id(dev),
                               vfioctl_device_get_subsys_vendor_id(dev),
                               vfioctl_device_get_subsys_device_id(dev), desc, e->vendor_id,
                               e->device_id);
        }
        if (stub_is_hold_only(e->driver))
                return VFIOCTL_RESERVATION_APPLIES;
        if (vfioctl_device_get_group_number(dev) < 0)
                return verdict(why, why_size, VFIOCTL_RESERVATION_NO_IOMMU,
                               "%s is in no IOMMU group (is the IOMMU off?), so %s cannot take "
                               "it",
                               e->address, e->driver);
        return check_group(host, res, e, dev, why, why_size);
}

/* ------------------------------------------------------------------ */
/* reserve, unreserve                                                 */

/*
 * Rule 11: a reservation names a stub. vfio-pci, pci-stub and xen-pciback
 * need not be loaded yet (they may only be in the initramfs); any other
 * name must be a loaded vfio variant driver (mlx5_vfio_pci, ...).
 */
static int reserve_check_stub(vfioctl_host *host, const char *word, const char *stub,
                              vfioctl_report *report)
{
        vfioctl_ctx *ctx = vfioctl_host_get_ctx(host);
        int r;

        if (streq(stub, "vfio-pci") || stub_is_hold_only(stub))
                return 0;
        if (!driver_name_is_valid(stub))
                return plan_refuse(ctx, report, VFIOCTL_OUTCOME_INVALID, -EINVAL,
                              "'%.40s' is not a driver name", word);
        r = host_driver_exists(host, stub);
        if (r < 0)
                return r;
        if (r > 0 && strstr(stub, "vfio"))
                return 0;
        return plan_refuse(ctx, report, VFIOCTL_OUTCOME_INVALID, -EINVAL,
                      "'%s' is not a stub driver%s: a reservation hands a device to vfio-pci "
                      "(vfio), pci-stub (kvm), xen-pciback (xen) or a loaded vfio variant driver, "
                      "never to a host driver",
                      word, r > 0 ? "" : " (no such driver is loaded)");
}

struct reserve_ctx {
        vfioctl_host *host;
        vfioctl_ctx *ctx;
        vfioctl_reservations *res;
        const struct vfioctl_op_options *opts;
        const char *stub;
        vfioctl_report *report;
        vfioctl_device **targets;
        size_t n_targets;
        int n_blockers;
        int blocker_group;
        const char *first;
};

static int add_target(struct reserve_ctx *c, vfioctl_device *dev)
{
        vfioctl_device **n;

        for (size_t i = 0; i < c->n_targets; i++)
                if (c->targets[i] == dev)
                        return 0;
        n = realloc(c->targets, (c->n_targets + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        c->targets = n;
        n[c->n_targets++] = dev;
        return 0;
}

static bool requested(const struct vfioctl_pci_addr *addrs, size_t n, vfioctl_device *dev)
{
        for (size_t i = 0; i < n; i++)
                if (vfioctl_pci_addr_compare(&addrs[i], vfioctl_device_get_addr(dev)) == 0)
                        return true;
        return false;
}

/* Rule 1, as detach applies it: the rest of the group must be VFIO's, or come along. */
static int reserve_group_members(struct reserve_ctx *c, vfioctl_device *dev,
                                 const struct vfioctl_pci_addr *addrs, size_t n)
{
        vfioctl_group *group;
        int r;

        if (vfioctl_device_get_group_number(dev) < 0 || stub_is_hold_only(c->stub))
                return 0;
        r = vfioctl_host_get_group(c->host, (unsigned) vfioctl_device_get_group_number(dev), &group);
        if (r < 0)
                return r;
        for (size_t i = 0; i < vfioctl_group_n_devices(group); i++) {
                vfioctl_device *m = vfioctl_group_device_at(group, i);
                const struct vfioctl_reservation *other = find_entry(c->res, vfioctl_device_get_address(m));

                if (m == dev || requested(addrs, n, m) || vfioctl_device_is_bridge(m) ||
                    (other && ids_match(other, m)))
                        continue;
                switch (group_member_verdict(m)) { /* Rule 1 */
                case GROUP_MEMBER_ON_STUB:
                        continue;
                case GROUP_MEMBER_STAYS:
                        /* A device without a driver now (not plumbing such as an
                         * LPC bridge) may well have one after the next boot:
                         * with the group, it is reserved too. */
                        if (!(c->opts->flags & VFIOCTL_OP_GROUP) || vfioctl_device_is_plumbing(m))
                                continue;
                        break;
                case GROUP_MEMBER_IN_THE_WAY:
                        break;
                }
                if (c->opts->flags & VFIOCTL_OP_GROUP) {
                        r = add_target(c, m);
                        if (r < 0)
                                return r;
                        continue;
                }
                c->n_blockers++;
                c->blocker_group = vfioctl_device_get_group_number(dev);
                c->first = c->first ?: vfioctl_device_get_address(dev);
                r = group_member_blocks(m, c->report); /* Rules 1 and 13 */
                if (r < 0)
                        return r;
        }
        return 0;
}

static int reserve_requested(struct reserve_ctx *c, const struct vfioctl_pci_addr *addrs,
                             size_t n)
{
        for (size_t i = 0; i < n; i++) {
                vfioctl_device *dev;
                const char *msg;
                int r;

                r = vfioctl_host_get_device(c->host, &addrs[i], &dev);
                if (r < 0) {
                        report_set_outcome(c->report, VFIOCTL_OUTCOME_INVALID);
                        return r;
                }
                if (vfioctl_device_get_error(dev, &msg) < 0)
                        return plan_refuse(c->ctx, c->report, VFIOCTL_OUTCOME_REFUSED, -EIO,
                                      "%s cannot be reserved: its sysfs entry is damaged (%s)",
                                      vfioctl_device_get_address(dev), msg);
                if (vfioctl_device_is_bridge(dev))
                        return plan_refuse(c->ctx, c->report, VFIOCTL_OUTCOME_REFUSED, -EINVAL,
                                      "%s is a bridge: bridges are never given to guests and "
                                      "never bound to a stub, so it cannot be reserved",
                                      vfioctl_device_get_address(dev));
                if (!streq(c->stub, "pci-stub") && !stub_is_hold_only(c->stub) &&
                    vfioctl_device_get_group_number(dev) < 0)
                        return plan_refuse(c->ctx, c->report, VFIOCTL_OUTCOME_REFUSED, -ENODEV,
                                      "%s is in no IOMMU group, so VFIO cannot take it and "
                                      "nothing was reserved. Enable the IOMMU: VT-d or AMD-Vi in "
                                      "the firmware setup, intel_iommu=on or amd_iommu=on on the "
                                      "kernel command line",
                                      vfioctl_device_get_address(dev));
                r = add_target(c, dev);
                if (r < 0)
                        return r;
                r = reserve_group_members(c, dev, addrs, n);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The entry for a device: its ids and the rest of its group as it is now. */
static int make_entry(struct reserve_ctx *c, vfioctl_device *dev, struct vfioctl_reservation *e)
{
        vfioctl_group *group;
        int r;

        *e = (struct vfioctl_reservation) {
                .vendor_id = vfioctl_device_get_vendor_id(dev),
                .device_id = vfioctl_device_get_device_id(dev),
                .has_subsys = true,
                .subsys_vendor_id = vfioctl_device_get_subsys_vendor_id(dev),
                .subsys_device_id = vfioctl_device_get_subsys_device_id(dev),
                .driver = strdup(c->stub),
        };
        snprintf(e->address, sizeof(e->address), "%s", vfioctl_device_get_address(dev));
        if (!e->driver)
                return -ENOMEM;
        if (vfioctl_device_get_group_number(dev) < 0)
                return 0;
        r = vfioctl_host_get_group(c->host, (unsigned) vfioctl_device_get_group_number(dev), &group);
        if (r < 0)
                return r;
        e->members = calloc(vfioctl_group_n_devices(group) ?: 1, sizeof(*e->members));
        if (!e->members)
                return -ENOMEM;
        for (size_t i = 0; i < vfioctl_group_n_devices(group); i++) {
                vfioctl_device *m = vfioctl_group_device_at(group, i);
                struct vfioctl_reservation_member *mm;

                if (m == dev)
                        continue;
                mm = &e->members[e->n_members++];
                snprintf(mm->address, sizeof(mm->address), "%s", vfioctl_device_get_address(m));
                mm->vendor_id = vfioctl_device_get_vendor_id(m);
                mm->device_id = vfioctl_device_get_device_id(m);
        }
        return 0;
}

static int check_safety(struct reserve_ctx *c)
{
        int unsafe = 0, r;

        if (c->opts->flags & VFIOCTL_OP_FORCE)
                return 0;
        for (size_t i = 0; i < c->n_targets; i++) {
                r = plan_check_safety(c->host, c->targets[i], c->report);
                if (r < 0)
                        return r;
                unsafe += r;
        }
        if (unsafe == 0)
                return 0;
        return plan_refuse(c->ctx, c->report, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                      "refusing to reserve what the host is using (%d use%s below): from the "
                      "next boot on it would be taken before the host could use it; nothing was "
                      "reserved",
                      unsafe, unsafe == 1 ? "" : "s");
}

/* The new set: the old one with the targets' entries put in. */
static int reserve_build(struct reserve_ctx *c, struct vfioctl_reservation **ret, size_t *ret_n)
{
        struct vfioctl_reservation *all;
        size_t n = 0;
        int r = 0;

        all = calloc(c->res->n + c->n_targets + 1, sizeof(*all));
        if (!all)
                return -ENOMEM;
        for (size_t i = 0; i < c->res->n && r >= 0; i++) {
                bool replaced = false;

                for (size_t j = 0; j < c->n_targets; j++)
                        replaced |= streq(c->res->entries[i].address,
                                          vfioctl_device_get_address(c->targets[j]));
                if (!replaced)
                        r = entry_copy(&c->res->entries[i], &all[n++]);
        }
        for (size_t j = 0; j < c->n_targets && r >= 0; j++) {
                vfioctl_device *dev = c->targets[j];
                const struct vfioctl_reservation *old = find_entry(c->res, vfioctl_device_get_address(dev));

                r = make_entry(c, dev, &all[n++]);
                if (r < 0)
                        break;
                if (old && streq(old->driver, c->stub))
                        report_add(c->report, vfioctl_device_get_address(dev), VFIOCTL_ACTION_RESERVED,
                                   vfioctl_device_get_driver(dev), c->stub,
                                   "was reserved already; its entry is renewed");
                else if (old)
                        report_add(c->report, vfioctl_device_get_address(dev), VFIOCTL_ACTION_RESERVED,
                                   vfioctl_device_get_driver(dev), c->stub, "was reserved for %s",
                                   old->driver);
                else
                        report_add(c->report, vfioctl_device_get_address(dev), VFIOCTL_ACTION_RESERVED,
                                   vfioctl_device_get_driver(dev), c->stub, NULL);
        }
        if (r < 0) {
                reservation_entries_free(all, n);
                return r;
        }
        *ret = all;
        *ret_n = n;
        return 0;
}

static int cmp_device(const void *a, const void *b)
{
        vfioctl_device *const *x = a, *const *y = b;

        return vfioctl_pci_addr_compare(vfioctl_device_get_addr(*x), vfioctl_device_get_addr(*y));
}

VFIOCTL_EXPORT int vfioctl_reserve(vfioctl_host *host, vfioctl_reservations *res,
                                   const struct vfioctl_pci_addr *addrs, size_t n,
                                   const struct vfioctl_op_options *opts, vfioctl_report *report)
{
        static const struct vfioctl_op_options default_opts;
        struct reserve_ctx c;
        struct vfioctl_reservation *all = NULL;
        size_t n_all = 0;
        int r;

        if (!host || !res || (!addrs && n > 0))
                return -EINVAL;
        opts = opts ?: &default_opts;
        c = (struct reserve_ctx) {
                .host = host,
                .ctx = vfioctl_host_get_ctx(host),
                .res = res,
                .opts = opts,
                .stub = vfioctl_stub_driver_name(opts->driver),
                .report = report,
        };
        r = reserve_check_stub(host, opts->driver ?: "vfio", c.stub, report);
        if (r < 0)
                return r;
        r = reserve_requested(&c, addrs, n);
        if (r >= 0 && c.n_blockers > 0)
                r = group_refuse(c.ctx, report, GROUP_ASKER_RESERVE, c.first, 0, c.blocker_group,
                                 c.n_blockers);
        if (r >= 0)
                r = check_safety(&c);
        if (r >= 0) {
                qsort_safe(c.targets, c.n_targets, sizeof(*c.targets), cmp_device);
                r = reserve_build(&c, &all, &n_all);
        }
        if (r >= 0 && (opts->flags & VFIOCTL_OP_CHECK))
                reservation_entries_free(all, n_all);
        else if (r >= 0)
                r = reservations_replace(res, all, n_all);
        if (r < 0 && report && vfioctl_report_get_outcome(report) == VFIOCTL_OUTCOME_DONE)
                report_set_outcome(report, VFIOCTL_OUTCOME_REFUSED);
        free(c.targets);
        return r;
}

VFIOCTL_EXPORT int vfioctl_unreserve(vfioctl_reservations *res, const struct vfioctl_pci_addr *addrs,
                                     size_t n, vfioctl_report *report)
{
        struct vfioctl_reservation *keep;
        size_t n_keep = 0;
        int r = 0;

        if (!res || (!addrs && n > 0))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!vfioctl_reservations_find(res, &addrs[i])) {
                        char buf[VFIOCTL_PCI_ADDR_MAX];

                        return plan_refuse(res->ctx, report, VFIOCTL_OUTCOME_INVALID, -ENOENT,
                                      "%s is not reserved (%s has no [%s] entry); nothing was "
                                      "changed",
                                      vfioctl_pci_addr_format(&addrs[i], buf), res->path, buf);
                }
        keep = calloc(res->n + 1, sizeof(*keep));
        if (!keep)
                return -ENOMEM;
        for (size_t i = 0; i < res->n && r >= 0; i++) {
                const struct vfioctl_reservation *e = &res->entries[i];
                bool drop = false;

                for (size_t j = 0; j < n; j++) {
                        char buf[VFIOCTL_PCI_ADDR_MAX];

                        drop |= streq(e->address, vfioctl_pci_addr_format(&addrs[j], buf));
                }
                if (drop)
                        report_add(report, e->address, VFIOCTL_ACTION_UNRESERVED, e->driver, NULL,
                                   NULL);
                else
                        r = entry_copy(e, &keep[n_keep++]);
        }
        if (r < 0) {
                reservation_entries_free(keep, n_keep);
                return r;
        }
        r = reservations_replace(res, keep, n_keep);
        if (r < 0)
                report_set_outcome(report, VFIOCTL_OUTCOME_REFUSED);
        return r;
}

/* ------------------------------------------------------------------ */
/* boot                                                               */

struct boot_ctx {
        vfioctl_host *host;
        vfioctl_ctx *ctx;
        vfioctl_state *st;
        vfioctl_reservations *res;
        const struct vfioctl_op_options *opts;
        vfioctl_report *report;
        char command[256];
        int n_not_applied;
        bool attention;
};

static void copy_report(vfioctl_report *to, vfioctl_report *from)
{
        for (size_t i = 0; i < vfioctl_report_n_entries(from); i++) {
                const struct vfioctl_report_entry *e = vfioctl_report_entry_at(from, i);

                if (e->detail)
                        report_add(to, e->address, e->action, e->from, e->to, "%s", e->detail);
                else
                        report_add(to, e->address, e->action, e->from, e->to, NULL);
        }
}

static void not_applied(struct boot_ctx *b, const char *address, const char *why)
{
        b->n_not_applied++;
        report_add(b->report, address, VFIOCTL_ACTION_NOT_APPLIED, NULL, NULL,
                   "reservation not applied, device left alone: %s", why);
}

/* Only driver_override, when the stub is not loaded yet: it takes the device when it loads. */
static int plan_override_only(struct boot_ctx *b, vfioctl_device **devs, size_t n,
                              const char *stub, vfioctl_report *report, struct plan *p)
{
        time_t now = time(NULL);
        int unsafe = 0, r = 0;

        *p = (struct plan) {
                .kind = "boot",
                .action = VFIOCTL_ACTION_DETACHED,
                .pf_vfs = true,
        };
        for (size_t i = 0; i < n; i++) {
                r = plan_check_safety(b->host, devs[i], report);
                if (r < 0)
                        return r;
                unsafe += r;
        }
        if (unsafe > 0)
                return plan_refuse(b->ctx, report, VFIOCTL_OUTCOME_REFUSED, -EBUSY,
                              "the host is using it (%d use%s)", unsafe, unsafe == 1 ? "" : "s");
        for (size_t i = 0; i < n && r >= 0; i++) {
                const char *override = NULL;
                struct vfioctl_state_device row = {
                        .group = vfioctl_device_get_group_number(devs[i]),
                        .original_driver = (char *) vfioctl_device_get_driver(devs[i]),
                        .detached_by = b->command,
                        .detached_at = now,
                        .managed = true,
                };

                if (vfioctl_device_is_on_stub(devs[i]))
                        continue;
                r = vfioctl_device_get_driver_override(devs[i], &override);
                if (r < 0)
                        break;
                if (streq_ptr(override, stub) && !vfioctl_device_get_driver(devs[i]))
                        continue; /* done by an earlier event of this boot */
                snprintf(row.address, sizeof(row.address), "%s", vfioctl_device_get_address(devs[i]));
                row.original_override = (char *) override;
                /* Held for the stub: a later boot run finds it there, bound
                 * when the stub loaded, and leaves it (already detached). */
                row.stub_driver = (char *) stub;
                r = plan_add_change(p, devs[i], NULL, stub);
                if (r >= 0)
                        r = plan_add_row(p, &row);
        }
        if (r < 0)
                plan_clear(p);
        return r;
}

/* One IOMMU group's reservations that apply, all for one stub. */
static int boot_apply(struct boot_ctx *b, vfioctl_device **devs, size_t n, const char *stub)
{
        _cleanup_free_ struct vfioctl_pci_addr *addrs = calloc(n ?: 1, sizeof(*addrs));
        struct vfioctl_op_options o = {
                .driver = stub,
                .timeout_ms = b->opts->timeout_ms,
                .command = b->command,
        };
        vfioctl_report *tmp = NULL;
        struct plan_state known = {};
        struct plan p = {};
        int r;

        if (!addrs || vfioctl_report_new(&tmp) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                addrs[i] = *vfioctl_device_get_addr(devs[i]);
        r = plan_state_load(b->st, &known);
        if (r >= 0)
                r = host_driver_exists(b->host, stub);
        if (r > 0) {
                r = plan_detach(b->host, &known, addrs, n, &o, tmp, &p);
                p.kind = "boot";
        } else if (r == 0)
                r = plan_override_only(b, devs, n, stub, tmp, &p);
        if (r >= 0)
                r = plan_execute(b->host, b->st, &p, &o, tmp);
        plan_clear(&p);
        plan_state_clear(&known);
        copy_report(b->report, tmp);
        if (vfioctl_report_get_outcome(tmp) == VFIOCTL_OUTCOME_ATTENTION)
                b->attention = true;
        if (r < 0) {
                const char *msg = vfioctl_ctx_errmsg(b->ctx);
                char first[1024];

                snprintf(first, sizeof(first), "%.*s", (int) strcspn(msg, "\n"), msg);
                for (size_t i = 0; i < n; i++)
                        not_applied(b, vfioctl_device_get_address(devs[i]), first);
                ctx_clear_error(b->ctx);
        }
        vfioctl_report_free(tmp);
        return r == -ENOMEM ? r : 0;
}

/*
 * The reservations of one group (or of one device outside any group):
 * those that still fit are applied together, the rest left alone.
 */
static int boot_group(struct boot_ctx *b, const struct vfioctl_reservation **es, size_t n)
{
        _cleanup_free_ vfioctl_device **devs = calloc(n ?: 1, sizeof(*devs));
        size_t n_devs = 0;
        int r;

        if (!devs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct vfioctl_pci_addr a;
                char why[512];

                r = vfioctl_reservation_check(b->host, b->res, es[i], why, sizeof(why));
                if (r < 0)
                        return r;
                if (r != VFIOCTL_RESERVATION_APPLIES) {
                        not_applied(b, es[i]->address, why);
                        continue;
                }
                if (vfioctl_pci_addr_parse(es[i]->address, &a) < 0 ||
                    host_find_device(b->host, &a, &devs[n_devs]) < 0)
                        return -ENODEV;
                n_devs++;
        }
        /* A group reserved for two stubs: each stub's part on its own. */
        for (size_t i = 0; i < n_devs; i++) {
                const char *stub = NULL;
                size_t k = 0;
                _cleanup_free_ vfioctl_device **part = calloc(n_devs, sizeof(*part));

                if (!part)
                        return -ENOMEM;
                if (!devs[i])
                        continue;
                for (size_t j = 0; j < n; j++)
                        if (streq(es[j]->address, vfioctl_device_get_address(devs[i])))
                                stub = es[j]->driver;
                for (size_t j = i; j < n_devs; j++) {
                        const char *s = NULL;

                        if (!devs[j])
                                continue;
                        for (size_t e = 0; e < n; e++)
                                if (streq(es[e]->address, vfioctl_device_get_address(devs[j])))
                                        s = es[e]->driver;
                        if (streq_ptr(s, stub)) {
                                part[k++] = devs[j];
                                devs[j] = NULL;
                        }
                }
                r = boot_apply(b, part, k, stub);
                if (r < 0)
                        return r;
                vfioctl_host_invalidate(b->host);
        }
        return 0;
}

static int group_of(vfioctl_host *host, const struct vfioctl_reservation *e)
{
        struct vfioctl_pci_addr a;
        vfioctl_device *dev;

        if (vfioctl_pci_addr_parse(e->address, &a) < 0 || host_find_device(host, &a, &dev) < 0)
                return -1;
        return vfioctl_device_get_group_number(dev);
}

VFIOCTL_EXPORT int vfioctl_boot(vfioctl_host *host, vfioctl_state *st, vfioctl_reservations *res,
                                const struct vfioctl_pci_addr *addr,
                                const struct vfioctl_op_options *opts, vfioctl_report *report)
{
        static const struct vfioctl_op_options default_opts;
        _cleanup_free_ const struct vfioctl_reservation **todo = NULL;
        _cleanup_free_ bool *done = NULL;
        _cleanup_free_ int *groups = NULL;
        struct boot_ctx b;
        size_t n = 0;
        int r = 0, want_group = -1;

        if (!host || !st || !res)
                return -EINVAL;
        opts = opts ?: &default_opts;
        b = (struct boot_ctx) {
                .host = host,
                .ctx = vfioctl_host_get_ctx(host),
                .st = st,
                .res = res,
                .opts = opts,
                .report = report,
        };
        r = op_require_lock(b.ctx, st);
        if (r < 0)
                return r;
        if (addr) {
                const struct vfioctl_reservation *e = vfioctl_reservations_find(res, addr);

                if (!e)
                        return 0;
                want_group = group_of(host, e);
                snprintf(b.command, sizeof(b.command), RESERVE_BOOT_COMMAND " %s", e->address);
        } else
                snprintf(b.command, sizeof(b.command), RESERVE_BOOT_COMMAND);

        todo = calloc(res->n + 1, sizeof(*todo));
        done = calloc(res->n + 1, sizeof(*done));
        groups = calloc(res->n + 1, sizeof(*groups));
        if (!todo || !done || !groups)
                return -ENOMEM;
        for (size_t i = 0; i < res->n; i++)
                groups[i] = group_of(host, &res->entries[i]);
        /* Group by group, in address order of each group's first reservation. */
        for (size_t i = 0; i < res->n && r >= 0; i++) {
                const struct vfioctl_reservation *e = &res->entries[i];

                if (done[i])
                        continue;
                if (addr && (want_group < 0 ? vfioctl_reservations_find(res, addr) != e
                                            : groups[i] != want_group))
                        continue;
                n = 0;
                for (size_t j = i; j < res->n; j++)
                        if (!done[j] && (j == i || (groups[i] >= 0 && groups[j] == groups[i]))) {
                                todo[n++] = &res->entries[j];
                                done[j] = true;
                        }
                r = boot_group(&b, todo, n);
        }
        if (r < 0)
                return r;
        if (b.n_not_applied > 0 || b.attention) {
                report_set_outcome(report, VFIOCTL_OUTCOME_ATTENTION);
                if (b.n_not_applied == 0)
                        return ctx_error(b.ctx, -EIO, "a device could not be put back as it was:");
                return ctx_error(b.ctx, -EAGAIN,
                                 "%d reservation%s of %s could not be applied at this boot:",
                                 b.n_not_applied, b.n_not_applied == 1 ? "" : "s", res->path);
        }
        return 0;
}
