/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to libvfioctl: the vfioctl policy a libvirt domain keeps in its
 * <metadata> (metadata.c), applied to the parsed definition (guestdef.c),
 * and what `assign --libvirt` changes in a definition (assign.c).
 */
#pragma once

#include <libxml/tree.h>

#include "hostdev.h"

#define VFIOCTL_METADATA_NS "urn:vfioctl:domain:1"

/*
 * Reads <metadata><vfioctl:assign> of the <domain> element and applies it
 * to def's host devices: the group mode on <vfioctl:assign> to every entry
 * that sets none (networks get it when they are resolved), a
 * <vfioctl:hostdev address=…> element's group and assigned to that entry.
 * Metadata of other namespaces is ignored. -EINVAL with a message naming
 * the line and the element for anything vfioctl cannot take as it is.
 */
int metadata_apply(vfioctl_guest_def *def, xmlNode *domain);

/*
 * Rule 14: under libvirt's hook the domain's hostdevs are managed='no'
 * (libvirt only checks they are detached) and vfioctl detaches and owns
 * them as if they were managed='yes'. Every entry that takes a host
 * device becomes managed; call it once the network entries are resolved.
 */
void metadata_libvirt_take_drivers(vfioctl_guest_def *def);
