/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: moving one device between drivers the way the kernel wants
 * it (driver.c, the bind protocol), for the step executor (op.h).
 */
#pragma once

#include "op.h"

/*
 * A change's target_driver meaning "whatever the kernel binds": the
 * override is cleared and drivers_probe lets the kernel choose (a device
 * taken at boot before any driver had it; DESIGN §3 rule 13).
 */
#define DRIVER_KERNEL_CHOICE "*"

/* The driver (NULL: unbound) and driver_override (NULL: unset) of a device now. */
int driver_read(struct op_run *run, const char *address, char **ret_driver, char **ret_override);

/* One device's way to a wanted (driver, override) pair. */
struct converge {
        const char *address;
        int group;
        const char *driver;   /* wanted driver, NULL: unbound */
        const char *override; /* wanted override, NULL: unset */
        bool exact;           /* bind the wanted driver by name, not through drivers_probe */
        bool blocked;         /* out: a write is left waiting in its helper */
        pid_t blocked_pid;    /* out: that helper */
        char blocked_what[160]; /* out: "the unbind from e1000e" */
        unsigned writes;      /* out: how many writes it made (journal steps) */
};

/* The converge to a change's target (before: back to where it was). */
void converge_for_change(const struct vfioctl_state_change *ch, bool before, struct converge *c);

/*
 * First half of a move: the wanted override, and off the current driver
 * if that is not the wanted one. Writes only what differs from sysfs now.
 */
int converge_release(struct op_run *run, struct converge *c);

/* Second half: probe for the wanted driver unless it is already bound. */
int converge_bind(struct op_run *run, struct converge *c);

/* Both halves. */
int converge(struct op_run *run, struct converge *c);
