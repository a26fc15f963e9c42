/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal: who holds an IOMMU group open (holder.c). */
#pragma once

#include "internal.h"

/*
 * Who holds one of the groups open, read under the root:
 * "pid 123 (qemu) holds /dev/vfio/8 open". 1 and buf set when found, 0 when not.
 */
int holder_find(vfioctl_ctx *ctx, const int *groups, size_t n, char *buf, size_t size);
