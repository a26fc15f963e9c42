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

/*
 * Runs a plan through the executor (op.c) and records its rows, as
 * detach and reattach do; boot-time reservations (reserve.c) run theirs
 * the same way. action names what each change did in the report.
 */
int detach_run_plan(vfioctl_host *host, vfioctl_state *st, const char *kind,
                    const struct vfioctl_op_options *opts, const struct plan *p,
                    enum vfioctl_action action, vfioctl_report *report);

/* The pieces assign (assign.c) builds its own plans from. */
int plan_add_change(struct plan *p, vfioctl_device *dev, const char *target_driver,
                    const char *target_override);
int plan_add_row(struct plan *p, const struct vfioctl_state_device *row);
int plan_add_forget(struct plan *p, const char *address);
/* The stub driver is loaded; else refuses (REFUSED, or INVALID for an unknown name). */
int plan_check_stub(vfioctl_host *host, const char *word, const char *stub,
                    vfioctl_report *report);
/* Rule 4: the row of another guest (not except) in dev's group as sysfs shows it, or NULL. */
const struct vfioctl_state_device *plan_group_owner(vfioctl_host *host,
                                                    const struct vfioctl_state_device *rows,
                                                    size_t n_rows, vfioctl_device *dev,
                                                    const char *except);
/* Rule 11: a device in no IOMMU group is refused for a vfio driver (REFUSED). */
int plan_check_group_exists(vfioctl_host *host, vfioctl_device *dev, const char *stub,
                            vfioctl_report *report);
/* Rule 9, in usage.c: an IN_USE entry per thing the host visibly uses; returns how many. */
static inline int plan_check_safety(vfioctl_host *host, vfioctl_device *dev,
                                    vfioctl_report *report)
{
        (void) host;
        return vfioctl_device_check_host_use(dev, report);
}
/* The driver_override a reattach or release leaves (rules 2, 11): none. */
const char *plan_reattach_override(const struct vfioctl_state_device *row);
/* "NIC: Intel Corporation 82574L Gigabit Network Connection" or "NIC 8086:10d3". */
const char *plan_describe(vfioctl_device *dev, char *buf, size_t size);

/* Rule 10 (sriov.c): refuses to detach a PF whose VFs would vanish (REFUSED), unless forced
 * and none of them is owned, detached or in use. */
/* detach.c's hooks: the VF count of PFs it detaches, restored at reattach. */
int sriov_before_detach(vfioctl_host *host, vfioctl_state *st, const struct plan *p);
int sriov_after_detach_failed(vfioctl_host *host, vfioctl_state *st, const struct plan *p,
                              const struct vfioctl_op_options *opts, vfioctl_report *report);
int sriov_before_reattach(vfioctl_host *host, vfioctl_state *st,
                          const struct vfioctl_pci_addr *addrs, size_t n,
                          const struct vfioctl_op_options *opts, vfioctl_report *report);
int sriov_after_reattach(vfioctl_host *host, vfioctl_state *st,
                         const struct vfioctl_pci_addr *addrs, size_t n,
                         const struct vfioctl_op_options *opts, vfioctl_report *report);
int sriov_check_detach(vfioctl_host *host, vfioctl_device *pf,
                       const struct vfioctl_state_device *rows, size_t n_rows, bool force,
                       vfioctl_report *report);
