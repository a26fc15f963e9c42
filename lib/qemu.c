/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU arguments for a guest's host devices, with the values libvirt
 * gives them (qemuBuildPCIHostdevDevProps), written in QEMU's classic
 * key=value form:
 *
 *   -device vfio-pci,host=0000:06:12.5,id=hostdev0,bus=pci.0,addr=0x2,rombar=0
 *
 * ids and numbering are the guest definition's (guestdef.c); bus names are
 * libvirt's controller aliases: "pcie.0" for the root of a PCIe machine,
 * "pci.0" for the i440FX root, "pci.N" for every other controller.
 */
#include <errno.h>
#include <stdio.h>

#include "qemu.h"

#define IOMMUFD_ID "iommufd0"

/* QEMU's option syntax: a comma inside a value is written twice. */
static void put_escaped(FILE *f, const char *s)
{
        for (; *s; s++) {
                if (*s == ',')
                        fputc(',', f);
                fputc(*s, f);
        }
}

int qemu_hostdev_device(vfioctl_guest_hostdev *h, unsigned flags, char **ret)
{
        vfioctl_guest_def *def = h->def;
        const char *elem = hostdev_kind_element(h->kind);
        char host[VFIOCTL_PCI_ADDR_MAX];
        const char *id;
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        if (!h->has_addr)
                return ctx_error(def->ctx, -EINVAL,
                                 "line %u: %s: network '%s' has not been resolved to a device",
                                 h->line, elem, strempty(h->network));
        if (h->driver == VFIOCTL_HOSTDEV_DRIVER_KVM || h->driver == VFIOCTL_HOSTDEV_DRIVER_XEN)
                return ctx_error(def->ctx, -EOPNOTSUPP,
                                 "line %u: %s %s: <driver name='%s'> holds the device with %s, "
                                 "which QEMU cannot use; use <driver name='vfio'/>",
                                 h->line, elem, vfioctl_pci_addr_format(&h->addr, host),
                                 h->driver == VFIOCTL_HOSTDEV_DRIVER_KVM ? "kvm" : "xen",
                                 h->driver == VFIOCTL_HOSTDEV_DRIVER_KVM ? "pci-stub" :
                                                                           "xen-pciback");
        id = vfioctl_guest_hostdev_get_id(h);

        f = open_memstream(&buf, &size);
        if (!f)
                return ctx_error(def->ctx, -ENOMEM, "out of memory");

        fprintf(f, "vfio-pci,host=%s,id=%s", vfioctl_pci_addr_format(&h->addr, host), id);
        if (h->has_guest_addr) {
                const struct vfioctl_pci_addr *g = &h->guest_addr;

                if (g->bus == 0)
                        fprintf(f, ",bus=%s", vfioctl_guest_def_is_pcie(def) ? "pcie.0" : "pci.0");
                else
                        fprintf(f, ",bus=pci.%u", g->bus);
                if (g->function)
                        fprintf(f, ",addr=0x%x.0x%x", g->slot, g->function);
                else
                        fprintf(f, ",addr=0x%x", g->slot);
                if (h->multifunction == VFIOCTL_SWITCH_ON)
                        fputs(",multifunction=on", f);
        }
        if (h->rom_bar != VFIOCTL_SWITCH_DEFAULT)
                fprintf(f, ",rombar=%d", h->rom_bar == VFIOCTL_SWITCH_ON ? 1 : 0);
        if (h->rom_file) {
                fputs(",romfile=", f);
                put_escaped(f, h->rom_file);
        }
        if (h->boot_order)
                fprintf(f, ",bootindex=%u", h->boot_order);
        if (h->failover_pair)
                fprintf(f, ",failover_pair_id=%s", h->failover_pair);
        if (flags & VFIOCTL_QEMU_IOMMUFD)
                fputs(",iommufd=" IOMMUFD_ID, f);

        if (ferror(f) | (fclose(f) != 0)) {
                free(buf);
                return ctx_error(def->ctx, -ENOMEM, "out of memory");
        }
        *ret = buf;
        return 0;
}

VFIOCTL_EXPORT char **vfioctl_qemu_args_free(char **args)
{
        if (args) {
                for (char **a = args; *a; a++)
                        free(*a);
                free(args);
        }
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, vfioctl_qemu_args_free);

VFIOCTL_EXPORT int vfioctl_guest_def_qemu_args(vfioctl_guest_def *def, unsigned flags,
                                               char ***ret)
{
        _cleanup_(vfioctl_qemu_args_freep) char **v = NULL;
        size_t n = 0, n_devices = 0;
        int r;

        if (!def || !ret)
                return -EINVAL;
        if (flags & ~VFIOCTL_QEMU_IOMMUFD)
                return ctx_error(def->ctx, -EINVAL, "unknown QEMU argument flags 0x%x", flags);

        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (def->hostdevs[i]->assigned && !def->hostdevs[i]->ignored)
                        n_devices++;

        /* At most "-object" "iommufd,…" plus two per device, plus NULL. */
        v = calloc(2 + 2 * n_devices + 1, sizeof(char *));
        if (!v)
                return ctx_error(def->ctx, -ENOMEM, "out of memory");

        if ((flags & VFIOCTL_QEMU_IOMMUFD) && n_devices > 0) {
                if (!(v[n++] = strdup("-object")) ||
                    !(v[n++] = strdup("iommufd,id=" IOMMUFD_ID)))
                        return ctx_error(def->ctx, -ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < def->n_hostdevs; i++) {
                vfioctl_guest_hostdev *h = def->hostdevs[i];

                if (!h->assigned || h->ignored)
                        continue;
                if (!(v[n++] = strdup("-device")))
                        return ctx_error(def->ctx, -ENOMEM, "out of memory");
                r = qemu_hostdev_device(h, flags, &v[n]);
                if (r < 0)
                        return r;
                n++;
        }

        *ret = TAKE_PTR(v);
        return 0;
}
