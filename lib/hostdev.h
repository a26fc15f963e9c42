/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to libvfioctl: the guest (guestdef.c) and network (netdef.c)
 * definitions parsed from libvirt XML (with xml.c's helpers), read by the
 * QEMU argument builder (qemu.c) and by assign.
 */
#pragma once

#include <libxml/tree.h>

#include "internal.h"

struct vfioctl_guest_hostdev {
        vfioctl_guest_def *def;         /* owner, not referenced */
        size_t index;
        enum vfioctl_hostdev_kind kind;
        unsigned line;
        size_t elem_pos;                /* its place among <devices>' elements, for the record */

        bool has_addr;                  /* false for unresolved/ignored networks */
        struct vfioctl_pci_addr addr;
        char *network;                  /* VFIOCTL_HOSTDEV_NETWORK */
        bool ignored;                   /* network that is not a hostdev pool */

        bool managed;
        enum vfioctl_hostdev_driver driver;
        char *driver_model;
        enum vfioctl_group_mode group;
        bool assigned;

        bool has_guest_addr;
        struct vfioctl_pci_addr guest_addr;
        enum vfioctl_switch multifunction;

        enum vfioctl_switch rom_bar;
        char *rom_file;                 /* "" when the ROM is disabled */
        unsigned boot_order;
        char *alias;
        char *failover_pair;
        char *mac;                      /* <mac address>: checked unicast, lower case */
        int vlan;                       /* <vlan><tag id>: 0-4095, -1 when not given */
        bool vlan_trunk;                /* trunk='yes', several tags or nativeMode */

        /* Interface settings a hostdev interface cannot use; checked when
         * an <interface type='network'> turns out to be a hostdev. */
        bool has_tap;
        bool has_filterref;
        bool has_bandwidth;
        unsigned queues;

        char id[32];                    /* "hostdevN" when there is no alias */
};

struct guest_pci_controller {
        int index;
        char *model;
};

struct vfioctl_guest_def {
        int n_ref;
        vfioctl_ctx *ctx;
        xmlDoc *doc;                    /* as parsed: what the record is written from */
        char *name;
        char *machine;
        struct guest_pci_controller *controllers;
        size_t n_controllers;
        char **skipped;
        size_t n_skipped;
        /* Per skipped <hostdev>: how many entries come before it, and its
         * <alias name>: USB, SCSI and mdev hostdevs take hostdevN ids from
         * the same sequence as PCI ones (libvirt's qemuAssignDeviceHostdevAlias). */
        size_t *skipped_pos;
        char **skipped_alias;
        vfioctl_guest_hostdev **hostdevs;
        size_t n_hostdevs;
        bool ids_valid;
        /* <metadata><vfioctl:assign group='…'> (metadata.c): for entries that set none */
        enum vfioctl_group_mode default_group;
};

struct vfioctl_network_def {
        int n_ref;
        vfioctl_ctx *ctx;
        char *name;
        bool managed;
        enum vfioctl_hostdev_driver driver;
        char *driver_model;
        enum vfioctl_group_mode group;
        char *pf;
        struct vfioctl_pci_addr *addrs;
        size_t n_addrs;
        int vlan;                       /* <vlan><tag id>, -1: none (rule 10) */
};

/* The element name used in messages: "<hostdev>", "<interface type='hostdev'>", ... */
const char *hostdev_kind_element(enum vfioctl_hostdev_kind kind);
