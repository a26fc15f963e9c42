/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal side of boot-time reservations (reserve.c, DESIGN §3 rule 13):
 * the file format, so the unit tests and the fuzzer reach the parser
 * without a folder, and what detach and reattach need to know of devices
 * the boot step took.
 */
#pragma once

#include "plan.h"

/* CONFIG_DIR/RESERVATIONS_FILE holds every reservation. */
#define RESERVATIONS_FILE "reservations"
/* Largest reservations file read (a line per attribute, a few per device). */
#define RESERVATIONS_MAX (1024 * 1024)

/*
 * What `vfioctl boot` records as detached_by (followed by the addresses):
 * a device it took before any driver had it has no original driver, and
 * giving it back means letting the kernel choose, not leaving it unbound.
 */
#define RESERVE_BOOT_COMMAND "vfioctl boot"
bool reserve_row_is_boot(const struct vfioctl_state_device *row);

/*
 * Parses the text of a reservations file. path only names the file in
 * messages ("PATH:LINE: ..."). Entries come back sorted by address.
 */
int reservations_parse(vfioctl_ctx *ctx, const char *path, const char *text,
                       struct vfioctl_reservation **ret, size_t *ret_n);
/* The file's text for these entries (malloc'ed). */
int reservations_format(const struct vfioctl_reservation *e, size_t n, char **ret);
void reservation_entries_free(struct vfioctl_reservation *e, size_t n);
