/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The FUSE operations: path in, model lookup or store, answer out. Each
 * takes the model lock; a store that blocks releases it while it waits.
 *
 * Writes act in write(): open(O_TRUNC) and truncate() are no-ops on
 * attributes, so `echo x > file` reaches the store exactly once. Every
 * write outside .sim/ is logged as "PATH VALUE RESULT", PATH being the
 * path FUSE sees (relative to the mount, symlinks already resolved by the
 * kernel).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fs.h"
#include "sim.h"

static time_t start_time;

struct lock_guard {
        bool locked;
};

static void unlockp(struct lock_guard *g)
{
        if (g->locked)
                pthread_mutex_unlock(&sim.lock);
}

#define LOCK_MODEL() \
        _cleanup_(unlockp) _unused_ struct lock_guard _guard_ = { (pthread_mutex_lock(&sim.lock), true) }

static bool interrupted(void)
{
        return fuse_interrupted() != 0;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
        /* The tree changes under the kernel's feet: cache nothing. */
        cfg->entry_timeout = 0;
        cfg->attr_timeout = 0;
        cfg->negative_timeout = 0;
        cfg->direct_io = 1;
        /*
         * No cfg->intr: its signal would kill us (the handler is set up
         * in fuse_new() only). The interrupted flag is set anyway, and
         * blocked stores poll it (sim_cond_wait).
         */
        sim_interrupted = interrupted;
        return NULL;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
        struct node n;
        int r;

        LOCK_MODEL();
        r = tree_resolve(path, &n);
        if (r < 0)
                return r;
        memset(st, 0, sizeof(*st));
        st->st_mode = node_mode(&n);
        st->st_nlink = n.type == NODE_DIR ? 2 : 1;
        st->st_atime = st->st_mtime = st->st_ctime = start_time;
        if (n.type == NODE_LINK)
                st->st_size = strlen(n.target);
        else if (n.type == NODE_FILE && node_readable(&n) && !node_show_locks(&n)) {
                size_t len;

                free(node_render(&n, &len));
                st->st_size = len;
        } else if (n.type == NODE_FILE)
                st->st_size = 4096;
        return 0;
}

static int fs_readlink(const char *path, char *buf, size_t size)
{
        struct node n;
        int r;

        LOCK_MODEL();
        r = tree_resolve(path, &n);
        if (r < 0)
                return r;
        if (n.type != NODE_LINK)
                return -EINVAL;
        snprintf(buf, size, "%s", n.target);
        return 0;
}

struct fill_ctx {
        void *buf;
        fuse_fill_dir_t filler;
};

static void fill_one(void *userdata, const char *name, const struct node *n)
{
        struct fill_ctx *c = userdata;
        struct stat st = { .st_mode = node_mode(n) };

        c->filler(c->buf, name, &st, 0, 0);
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
        struct fill_ctx c = { buf, filler };
        struct node n;
        int r;

        LOCK_MODEL();
        r = tree_resolve(path, &n);
        if (r < 0)
                return r;
        if (n.type != NODE_DIR)
                return -ENOTDIR;
        filler(buf, ".", NULL, 0, 0);
        filler(buf, "..", NULL, 0, 0);
        tree_list(&n, fill_one, &c);
        return 0;
}

/* kernfs: opening for a direction the attribute lacks is EACCES. */
static int fs_open(const char *path, struct fuse_file_info *fi)
{
        int acc = fi->flags & O_ACCMODE;
        struct node n;
        int r;

        LOCK_MODEL();
        r = tree_resolve(path, &n);
        if (r < 0)
                return r;
        if (n.type == NODE_DIR)
                return acc == O_RDONLY ? 0 : -EISDIR;
        if (acc != O_WRONLY && !node_readable(&n))
                return -EACCES;
        if (acc != O_RDONLY && !node_writable(&n))
                return -EACCES;
        fi->direct_io = 1;
#if FUSE_VERSION >= FUSE_MAKE_VERSION(3, 15)
        fi->parallel_direct_writes = 1; /* else fs-open.c adds it */
#endif
        if (node_vfio_group(&n) >= 0) {
                /* Opening the group is what claims it for VFIO (see dma_configure). */
                r = group_opens_add(node_vfio_group(&n), 1);
                if (r < 0)
                        return r;
                fi->fh = (uint64_t) node_vfio_group(&n) + 1;
                return 0;
        }
        if (fi->flags & O_TRUNC)
                return node_truncate(&n);
        return 0;
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
        LOCK_MODEL();
        if (fi->fh)
                (void) group_opens_add((int) (fi->fh - 1), -1);
        return 0;
}

static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
        return -EACCES;
}

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
        struct node n;
        int r;

        LOCK_MODEL();
        r = tree_resolve(path, &n);
        if (r < 0)
                return r;
        return node_truncate(&n);
}

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
        _cleanup_free_ char *content = NULL;
        struct node n;
        size_t len;
        int r;

        LOCK_MODEL();
        r = tree_resolve(path, &n);
        if (r < 0)
                return -ENODEV;         /* kernfs: the attribute went away */
        if (node_show_locks(&n)) {
                r = device_lock_wait(n.dev);
                if (r < 0)
                        return r;
        }
        content = node_render(&n, &len);
        if (!content)
                return -EACCES;
        if (off < 0 || (size_t) off >= len)
                return 0;
        if (size > len - off)
                size = len - off;
        memcpy(buf, content + off, size);
        return size;
}

/* The writer's process (FUSE gives the thread id). */
static pid_t writer_tgid(pid_t tid)
{
        _cleanup_free_ char *p = xasprintf("/proc/%d/status", tid);
        _cleanup_free_ char *line = NULL;
        size_t n = 0;
        FILE *f = fopen(p, "re");
        pid_t tgid = tid;

        if (!f)
                return tid;
        while (getline(&line, &n, f) > 0)
                if (sscanf(line, "Tgid: %d", &tgid) == 1)
                        break;
        fclose(f);
        return tgid;
}

/*
 * The parent of a vfioctl write helper (comm "vfioctl-write", the child
 * vfioctl forks for each write that may block), else 0. A crash point is
 * meant for the command: the helper is only its hand.
 */
static pid_t helper_parent(pid_t pid)
{
        char path[64], buf[512], *p;
        FILE *f;
        size_t n;
        int ppid = 0;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* "PID (COMM) STATE PPID ..." */
        p = strrchr(buf, ')');
        if (!strstr(buf, "(vfioctl-write)") || !p || sscanf(p + 2, "%*c %d", &ppid) != 1)
                return 0;
        return ppid > 1 ? ppid : 0;
}

/* .sim/crash_after: the k-th write to sys/ kills its writer instead (and
 * the command behind a vfioctl write helper). */
static bool crash_now(const char *path)
{
        pid_t writer, parent;

        if (strncmp(path, "/sys/", 5) != 0 || sim.crash_after <= 0)
                return false;
        if (--sim.crash_after > 0)
                return false;
        writer = writer_tgid(fuse_get_context()->pid);
        parent = helper_parent(writer);
        if (parent > 0)
                kill(parent, SIGKILL);
        kill(writer, SIGKILL);
        return true;
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
        const char *rel = path + 1;
        struct node n;
        int r;

        LOCK_MODEL();
        r = tree_resolve(path, &n);
        if (r < 0) {
                log_write(rel, buf, size, "ENODEV");
                return -ENODEV;
        }
        if (!node_logged(&n))
                return (r = node_store(&n, buf, size)) < 0 ? r : (int) size;
        if (crash_now(path)) {
                log_write(rel, buf, size, "KILLED");
                return -EINTR;
        }
        r = node_store(&n, buf, size);
        log_write(rel, buf, size, r < 0 ? errno_name(-r) : "ok");
        pthread_cond_broadcast(&sim.cond);
        return r < 0 ? r : (int) size;
}

static const struct fuse_operations ops = {
        .init = fs_init,
        .getattr = fs_getattr,
        .readlink = fs_readlink,
        .readdir = fs_readdir,
        .open = fs_open,
        .release = fs_release,
        .create = fs_create,
        .truncate = fs_truncate,
        .read = fs_read,
        .write = fs_write,
};

const struct fuse_operations *fs_operations(void)
{
        start_time = time(NULL);
        return &ops;
}
