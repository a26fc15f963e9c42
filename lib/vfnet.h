/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to libvfioctl: a VF's MAC and VLAN for a guest (vfnet.c, rule
 * 10), for assign, release, recover and the guest records.
 */
#pragma once

#include "assign.h"

struct vfnet_plan {
        struct vfioctl_vf_net *e; /* one per interface with a <mac> or <vlan> */
        size_t n;
};

enum vfnet_status {
        VFNET_INTENDED,    /* recorded, maybe sent: put it back to be sure */
        VFNET_SET,         /* the kernel took it */
        VFNET_NOT_APPLIED, /* not this machine's tree: nothing was sent */
};

struct vfnet_row {
        struct vfioctl_vf_net e;
        char owner[256];
        enum vfnet_status status;
};

void vfnet_plan_clear(struct vfnet_plan *plan);
/*
 * Assign, before anything is written: each resolved interface of def with
 * a <mac> or <vlan> must be a VF whose PF has a network interface; what
 * the VF has now is read from the kernel (when the root is this
 * machine's). Errors name the definition's line.
 */
int vfnet_plan(vfioctl_host *host, vfioctl_guest_def *def, vfioctl_report *report,
               struct vfnet_plan *ret);
/*
 * Assign, once the VFs are on their stub and before the guest is
 * recorded: records the rows, then sets each VF through its PF. On a
 * failure every VF is put back and the rows go (the caller rolls its
 * drivers back). A dry run only reports.
 */
int vfnet_apply(vfioctl_host *host, vfioctl_state *st, const char *guest,
                struct vfnet_plan *plan, vfioctl_report *report);
/* Puts back every VF of guest's rows and drops them; returns error. */
int vfnet_undo(vfioctl_state *st, const char *guest, vfioctl_report *report, int error);
/*
 * Release, before the VFs go back to the host: puts back the rows of the
 * selected devices (a dry run reports what it would put back). What the
 * guest had is kept in *ret_undo (may be NULL), for vfnet_apply() when
 * the release fails and the guest keeps its VFs.
 */
int vfnet_restore(vfioctl_state *st, const char *guest, const struct vfioctl_state_device *devs,
                  const bool *selected, size_t n, vfioctl_report *report,
                  struct vfnet_plan *ret_undo);
/* Recover: puts back the rows no guest owns the VF of (an assign that failed or died). */
int vfnet_recover(vfioctl_state *st, vfioctl_report *report);
/* A guest's rows, for vfioctl_guest_load(); *ret freed with free(). */
int vfnet_load(vfioctl_state *st, const char *guest, struct vfioctl_vf_net **ret, size_t *ret_n);
/* The guest assign returns: what the plan set (or would set). */
int vfnet_guest_set(vfioctl_guest *g, const struct vfnet_plan *plan);
