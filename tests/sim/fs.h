/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse.h>

const struct fuse_operations *fs_operations(void);
