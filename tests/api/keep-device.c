/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program as a libvirt hook or a device plugin would write it, using
 * nothing but <vfioctl.h> and libvfioctl.so: it keeps a device (and its
 * group) across vfioctl_detach(), which invalidates the host's cache, and
 * after its own vfioctl_host_unref(). Under ASan a use after free fails it.
 *
 * usage: keep-device ROOT STATE_DIR ADDRESS; prints what it read before
 * and after, one "key value" a line.
 */
#include <stdio.h>
#include <vfioctl.h>

static int fail(vfioctl_ctx *ctx, const char *what)
{
        fprintf(stderr, "%s: %s\n", what, vfioctl_ctx_errmsg(ctx));
        return 1;
}

int main(int argc, char **argv)
{
        struct vfioctl_op_options opts = { .flags = VFIOCTL_OP_GROUP, .timeout_ms = 2000 };
        struct vfioctl_pci_addr addr;
        vfioctl_ctx *ctx = NULL;
        vfioctl_host *host = NULL;
        vfioctl_state *st = NULL;
        vfioctl_device *dev, *kept;
        vfioctl_group *group, *kept_group;
        int r;

        if (argc != 4 || vfioctl_pci_addr_parse(argv[3], &addr) < 0) {
                fprintf(stderr, "usage: %s ROOT STATE_DIR ADDRESS\n", argv[0]);
                return 2;
        }
        if (vfioctl_ctx_new(argv[1], &ctx) < 0)
                return 1;
        if (vfioctl_host_new(ctx, &host) < 0 || vfioctl_host_get_device(host, &addr, &dev) < 0)
                return fail(ctx, "device");
        if (vfioctl_host_get_group(host, (unsigned) vfioctl_device_get_group_number(dev), &group) < 0)
                return fail(ctx, "group");
        kept = vfioctl_device_ref(dev);
        kept_group = vfioctl_group_ref(group);
        printf("before %s %s\n", vfioctl_device_get_address(kept), vfioctl_device_get_driver(kept));

        if (vfioctl_state_open(ctx, argv[2], 0, &st) < 0 ||
            vfioctl_state_lock(st, "keep-device", 2000) < 0)
                return fail(ctx, "state");
        r = vfioctl_detach(host, st, &addr, 1, &opts, NULL);
        if (r < 0)
                return fail(ctx, "detach");
        vfioctl_state_unref(st);

        /* The host is gone for this program; the references keep what it read. */
        vfioctl_host_unref(host);
        printf("kept %s %s\n", vfioctl_device_get_address(kept), vfioctl_device_get_driver(kept));
        printf("group %u members %zu first %s\n", vfioctl_group_get_number(kept_group),
               vfioctl_group_n_devices(kept_group),
               vfioctl_device_get_address(vfioctl_group_device_at(kept_group, 0)));
        vfioctl_group_unref(kept_group);
        vfioctl_device_unref(kept);

        /* A new host reads the device as it is now. */
        if (vfioctl_host_new(ctx, &host) < 0 || vfioctl_host_get_device(host, &addr, &dev) < 0)
                return fail(ctx, "device again");
        printf("now %s %s\n", vfioctl_device_get_address(dev), vfioctl_device_get_driver(dev));
        vfioctl_host_unref(host);
        vfioctl_ctx_unref(ctx);
        return 0;
}
