/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to libvfioctl: QEMU arguments for a guest's host devices.
 */
#pragma once

#include "hostdev.h"

/*
 * The -device value for one entry ("vfio-pci,host=…,id=…"), malloc'ed.
 * The entry must be assigned and have a host address; flags as for
 * vfioctl_guest_def_qemu_args().
 */
int qemu_hostdev_device(vfioctl_guest_hostdev *h, unsigned flags, char **ret);
