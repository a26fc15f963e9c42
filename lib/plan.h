/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: deciding what a detach or reattach will do (plan.c), before
 * anything is written. A plan is a list of driver changes plus the state
 * rows to record once they are made.
 */
#pragma once

#include "driver.h"

struct plan {
        struct vfioctl_state_change *changes; /* in the order they are made */
        size_t n_changes;
        struct vfioctl_state_device *rows;    /* detach: rows to record (changed and found) */
        size_t n_rows;
        char (*forget)[VFIOCTL_PCI_ADDR_MAX]; /* reattach: rows to drop */
        size_t n_forget;
};

void plan_clear(struct plan *p);

/*
 * Each returns 0 with a plan (possibly with nothing to change), or a
 * negative errno with the reason in the context's message, the report's
 * outcome set (REFUSED or INVALID) and IN_USE entries for what stands in
 * the way.
 */
int plan_detach(vfioctl_host *host, vfioctl_state *st, const struct vfioctl_pci_addr *addrs,
                size_t n, const struct vfioctl_op_options *opts, vfioctl_report *report,
                struct plan *ret);
int plan_reattach(vfioctl_host *host, vfioctl_state *st, const struct vfioctl_pci_addr *addrs,
                  size_t n, const struct vfioctl_op_options *opts, vfioctl_report *report,
                  struct plan *ret);
