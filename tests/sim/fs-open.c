/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Concurrent writes to one file, as sysfs allows them. kernfs serializes
 * writes per open file, not per attribute, and the store takes the lock of
 * the device it names: two unbinds through one drivers/X/unbind, or two
 * drivers_probe writes for different devices, run at once in the kernel.
 * A FUSE client takes the inode lock around every direct write unless the
 * server answers open with FOPEN_PARALLEL_DIRECT_WRITES (kernel 6.0+).
 *
 * libfuse 3.15 sets it from fuse_file_info.parallel_direct_writes; 3.14
 * (Debian 12) has no such field, so this program defines libfuse's
 * fuse_reply_open itself: libfuse's high-level layer calls it through the
 * PLT, and the executable's definition (exported, see meson.build) wins.
 * It builds the same fuse_open_out libfuse 3.14 builds, plus that flag.
 */
#include "fs.h"

#if FUSE_VERSION < FUSE_MAKE_VERSION(3, 15)
#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <string.h>

int fuse_reply_open(fuse_req_t req, const struct fuse_file_info *f);

int fuse_reply_open(fuse_req_t req, const struct fuse_file_info *f)
{
        struct fuse_open_out arg;

        memset(&arg, 0, sizeof(arg));
        arg.fh = f->fh;
        if (f->direct_io)
                arg.open_flags |= FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES;
        if (f->keep_cache)
                arg.open_flags |= FOPEN_KEEP_CACHE;
        if (f->cache_readdir)
                arg.open_flags |= FOPEN_CACHE_DIR;
        if (f->nonseekable)
                arg.open_flags |= FOPEN_NONSEEKABLE;
        if (f->noflush)
                arg.open_flags |= FOPEN_NOFLUSH;
        return fuse_reply_buf(req, (const char *) &arg, sizeof(arg));
}
#endif
