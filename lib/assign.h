/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to libvfioctl: guests (guest.c), hostdev pools (pool.c) and
 * the assign/release operations that tie them to the state (assign.c).
 */
#pragma once

#include "hostdev.h"
#include "plan.h"

struct vfioctl_guest {
        int n_ref;
        vfioctl_ctx *ctx;
        char *name;
        int pid;
        int64_t created_at;
        char *definition;             /* the XML recorded, pools resolved */
        vfioctl_guest_def *def;       /* parsed from it; NULL when there is none */
        struct vfioctl_guest_device *devices; /* sorted by address; strings owned */
        size_t n_devices;
        struct vfioctl_vf_net *vf_nets;       /* rule 10 (vfnet.c) */
        size_t n_vf_nets;
};

/* guest.c */
int guest_new(vfioctl_ctx *ctx, const char *name, vfioctl_guest **ret);
int guest_add_device(vfioctl_guest *g, const char *address, int group, enum vfioctl_role role,
                     bool managed, const char *stub_driver);
/* Sorts the devices and gives assigned ones their QEMU id from g->def. */
int guest_finish(vfioctl_guest *g);
/*
 * The XML to record for def: the document it was parsed from, with every <interface type='network'>
 * that took a pool function rewritten as the <interface type='hostdev'>
 * it became (address, managed, driver and group from the pool), so that
 * it parses back to the same entries without the network files. The
 * other network interfaces stay as they are and read back as ignored.
 */
int guest_resolved_xml(vfioctl_guest_def *def, char **ret);
/* Parses a recorded definition; network interfaces still there are ignored. */
int guest_def_from_record(vfioctl_ctx *ctx, const char *name, const char *xml,
                          vfioctl_guest_def **ret);
/* kill(pid, 0): whether a process of that pid exists (on this machine, not under --root). */
bool guest_pid_alive(int pid);

/* pool.c: the networks an assign was given, by name. */
struct networks {
        char **names;                /* parallel to defs */
        vfioctl_network_def **defs;  /* NULL: that network is no hostdev pool */
        size_t n;
        const char *dir;             /* NETWORK_DIR/NAME.xml for the rest; may be NULL */
};
int networks_load(vfioctl_ctx *ctx, const char *const *files, size_t n_files, const char *dir,
                  struct networks *ret);
void networks_clear(struct networks *nets);
/*
 * The network called name: *ret is its pool, or NULL when it is not a
 * hostdev pool (an ordinary libvirt network). -ENOENT with a message when
 * no file given defines it.
 */
int networks_find(vfioctl_ctx *ctx, struct networks *nets, const char *name,
                  vfioctl_network_def **ret);
/*
 * The functions of a pool, in the order they are handed out: the
 * <address> list, or the VFs of <pf dev='IF'/> in VF order (the PF found
 * through sys/class/net/IF/device). Errors name the network and say what
 * to do (no such interface, no VFs enabled).
 */
int pool_functions(vfioctl_host *host, vfioctl_network_def *pool,
                   struct vfioctl_pci_addr **ret, size_t *ret_n);
/*
 * Rule 8: hostdev i of def, an interface on pool, takes the first function
 * of the pool nobody has (listed by guest's own definition, owned by a row,
 * or in a group another guest owns). Refuses (REFUSED) when none is left,
 * naming who has each.
 */
int pool_take(vfioctl_host *host, const struct plan_state *s, const char *guest,
              vfioctl_guest_def *def, size_t i, vfioctl_network_def *pool, vfioctl_report *report);
