/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program outside the project, built against the installed libvfioctl
 * with nothing but <vfioctl.h> and pkg-config: prints "GROUP ADDRESS
 * DRIVER" for every device of a root (a simulated kernel in the tests).
 */
#include <stdio.h>
#include <vfioctl.h>

int main(int argc, char **argv)
{
        vfioctl_ctx *ctx = NULL;
        vfioctl_host *host = NULL;
        int r;

        if (argc != 2) {
                fprintf(stderr, "usage: %s ROOT\n", argv[0]);
                return 2;
        }
        r = vfioctl_ctx_new(argv[1], &ctx);
        if (r < 0) {
                fprintf(stderr, "vfioctl_ctx_new: %d\n", r);
                return 1;
        }
        r = vfioctl_host_new(ctx, &host);
        if (r >= 0)
                r = vfioctl_host_scan(host);
        if (r < 0) {
                fprintf(stderr, "%s\n", vfioctl_ctx_errmsg(ctx));
                vfioctl_host_unref(host);
                vfioctl_ctx_unref(ctx);
                return 1;
        }
        for (size_t i = 0; i < vfioctl_host_n_devices(host); i++) {
                vfioctl_device *dev = vfioctl_host_device_at(host, i);
                const char *driver = vfioctl_device_get_driver(dev);

                printf("%d %s %s\n", vfioctl_device_get_group_number(dev),
                       vfioctl_device_get_address(dev), driver ? driver : "-");
        }
        vfioctl_host_unref(host);
        vfioctl_ctx_unref(ctx);
        return 0;
}
