/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sysfs and procfs value readers (lib/sysfs.c, the route tables in
 * lib/host.c) on whatever a damaged or hostile tree could hold: a value
 * either reads strictly or is an error, never a silent zero; a link name
 * is never a path.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char root[] = "/dev/shm/vfioctl-fuzz-sysfs-XXXXXX";
static int dirfd_ = -1;
static vfioctl_ctx *ctx;

/* libFuzzer exits through exit() at the end of a timed run. */
static void remove_root(void)
{
        char cmd[200];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        if (system(cmd) != 0)
                fprintf(stderr, "fuzz-sysfs: could not remove %s\n", root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        char cmd[200];

        if (!mkdtemp(root) || atexit(remove_root) != 0)
                abort();
        snprintf(cmd, sizeof(cmd), "mkdir -p %s/sys/bus/pci/devices %s/proc/net %s/d", root,
                 root, root);
        if (system(cmd) != 0 || vfioctl_ctx_new(root, &ctx) < 0)
                abort();
        snprintf(cmd, sizeof(cmd), "%s/d", root);
        dirfd_ = open(cmd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd_ < 0)
                abort();
        return 0;
}

static void put(const char *name, const uint8_t *data, size_t size)
{
        int fd = openat(dirfd_, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || write(fd, data, size) != (ssize_t) size)
                abort();
        close(fd);
}

static void values(const uint8_t *data, size_t size)
{
        char *s = NULL;
        uint64_t u;
        int64_t i;

        put("attr", data, size);
        if (sysfs_read_str(ctx, dirfd_, "d", "attr", &s) == 0) {
                fuzz_assert(!strchr(s, '\n'), "a newline in a one-line value");
                fuzz_assert(strlen(s) + 1 == size, "%zu bytes read as %zu", size, strlen(s));
                free(s);
        }
        if (sysfs_read_hex(ctx, dirfd_, "d", "attr", 0xffff, &u) == 0)
                fuzz_assert(u <= 0xffff, "%llu above the maximum", (unsigned long long) u);
        if (sysfs_read_int(ctx, dirfd_, "d", "attr", -1, 4096, &i) == 0)
                fuzz_assert(i >= -1 && i <= 4096, "%lld out of range", (long long) i);
        if (sysfs_read_text(ctx, dirfd_, "d", "attr", 1024, &s) == 0) {
                fuzz_assert(strlen(s) == size, "NUL byte let through");
                free(s);
        }
}

static void link_name(const uint8_t *data, size_t size)
{
        char target[PATH_MAX], *name = NULL;

        if (size == 0 || size >= sizeof(target) || memchr(data, '\0', size))
                return;
        memcpy(target, data, size);
        target[size] = '\0';
        unlinkat(dirfd_, "driver", 0);
        if (symlinkat(target, dirfd_, "driver") < 0)
                return;
        if (sysfs_read_link_name(ctx, dirfd_, "d", "driver", &name) == 0) {
                fuzz_assert(*name && !strchr(name, '/') && !streq(name, ".") && !streq(name, ".."),
                            "link %s read as driver '%s'", target, name);
                free(name);
        }
}

/* proc/net/route and ipv6_route: which interfaces hold the default route. */
static void routes(const uint8_t *data, size_t size)
{
        vfioctl_host *host = NULL;
        char path[PATH_MAX], **ifs = NULL;
        int fd;

        for (int v6 = 0; v6 <= 1; v6++) {
                snprintf(path, sizeof(path), "%s/proc/net/%s", root, v6 ? "ipv6_route" : "route");
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || write(fd, data, size) != (ssize_t) size)
                        abort();
                close(fd);
        }
        if (vfioctl_host_new(ctx, &host) < 0)
                abort();
        if (host_default_route_ifs(host, &ifs) == 0)
                for (char **p = ifs; p && *p; p++)
                        fuzz_assert(ifname_is_valid(*p) && !strchr(*p, '/'), "interface '%s'", *p);
        vfioctl_host_unref(host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 8192)
                return 0;
        /* The route tables cost two 1 MiB read buffers: only inputs that
         * start with 'R' go there, the rest to the cheap readers. */
        if (size > 0 && data[0] == 'R') {
                routes(data + 1, size - 1);
                return 0;
        }
        values(data, size);
        link_name(data, size);
        return 0;
}
