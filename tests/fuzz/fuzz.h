/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the libFuzzer harnesses: one context for the whole run (the
 * parsers only use it for their error messages), and the input as a
 * NUL-terminated string.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static vfioctl_ctx *fuzz_ctx;

static inline vfioctl_ctx *fuzz_get_ctx(void)
{
        if (!fuzz_ctx && vfioctl_ctx_new("/", &fuzz_ctx) < 0)
                abort();
        return fuzz_ctx;
}

static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);

        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

/* A finding: say what, then crash so libFuzzer keeps the input. */
#define fuzz_assert(cond, ...)                                                 \
        do {                                                                   \
                if (!(cond)) {                                                 \
                        fprintf(stderr, "fuzz: %s:%d: %s: ", __FILE__, __LINE__, #cond); \
                        fprintf(stderr, __VA_ARGS__);                          \
                        fputc('\n', stderr);                                   \
                        abort();                                               \
                }                                                              \
        } while (0)
