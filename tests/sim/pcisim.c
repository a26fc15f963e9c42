/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcisim [-f] TOPOLOGY.json MOUNTDIR
 *
 * Mounts the simulated kernel for TOPOLOGY at MOUNTDIR and returns once the
 * tree is being served (the server goes to the background; -f keeps it in
 * the foreground). `fusermount3 -u MOUNTDIR` stops it. A bad topology is
 * reported and exits 2 without mounting (DESIGN §7.2).
 *
 * PCISIM_STDERR=FILE keeps the background server's stderr (sanitizer
 * reports) in FILE instead of /dev/null, so tests can check it.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "sim.h"

static void usage(FILE *f)
{
        fputs("Usage: pcisim [-f] TOPOLOGY.json MOUNTDIR\n"
              "Serve a simulated sysfs for TOPOLOGY at MOUNTDIR; stop with fusermount3 -u MOUNTDIR.\n"
              "  -f    stay in the foreground\n", f);
}

/* The condition variable runs on the monotonic clock (sim_cond_wait). */
static void init_cond(void)
{
        pthread_condattr_t a;

        pthread_condattr_init(&a);
        pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        pthread_cond_init(&sim.cond, &a);
        pthread_condattr_destroy(&a);
}

static void keep_stderr(void)
{
        const char *path = getenv("PCISIM_STDERR");
        int fd;

        if (!path || !*path)
                return;
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        dup2(fd, STDERR_FILENO);
        close(fd);
}

static int serve(const char *mountdir, bool foreground)
{
        char *argv[] = { (char *) "pcisim", (char *) "-o",
                         (char *) "fsname=pcisim,subtype=pcisim", NULL };
        struct fuse_args args = FUSE_ARGS_INIT(3, argv);
        struct fuse_loop_config *cfg;
        struct fuse *fuse;
        int r = 1;

        fuse = fuse_new(&args, fs_operations(), sizeof(struct fuse_operations), NULL);
        fuse_opt_free_args(&args);
        if (!fuse)
                return 1;
        if (fuse_mount(fuse, mountdir) < 0)
                goto out;
        if (fuse_daemonize(foreground) < 0)
                goto out_unmount;
        if (!foreground)
                keep_stderr();
        if (fuse_set_signal_handlers(fuse_get_session(fuse)) < 0)
                goto out_unmount;

        cfg = fuse_loop_cfg_create();
        fuse_loop_cfg_set_clone_fd(cfg, 0);
        fuse_loop_cfg_set_max_threads(cfg, 128);
        r = fuse_loop_mt(fuse, cfg) == 0 ? 0 : 1;
        fuse_loop_cfg_destroy(cfg);
        fuse_remove_signal_handlers(fuse_get_session(fuse));
out_unmount:
        fuse_unmount(fuse);
out:
        fuse_destroy(fuse);
        return r;
}

int main(int argc, char *argv[])
{
        bool foreground = false;
        char err[1024];
        int c, r;

        while ((c = getopt(argc, argv, "fh")) >= 0)
                switch (c) {
                case 'f':
                        foreground = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        if (argc - optind != 2) {
                usage(stderr);
                return 2;
        }

        init_cond();
        if (topology_load(argv[optind], err, sizeof(err)) < 0) {
                fprintf(stderr, "pcisim: %s: %s\n", argv[optind], err);
                model_free();
                return 2;
        }
        r = serve(argv[optind + 1], foreground);
        model_free();
        return r;
}
