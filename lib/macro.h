/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers shared by the library and the tool: cleanup attributes in
 * the style of systemd and kmod, so that every early return frees what it
 * owns without goto chains.
 */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _must_check_ __attribute__((warn_unused_result))
#define _nonnull_(...) __attribute__((nonnull(__VA_ARGS__)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p)
{
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

/* Hand ownership of a pointer (or fd) out of a cleanup scope. */
#define TAKE_PTR(p)                          \
        ({                                   \
                __typeof__(p) _tp_ = (p);    \
                (p) = NULL;                  \
                _tp_;                        \
        })
#define TAKE_FD(fd)                          \
        ({                                   \
                int _tfd_ = (fd);            \
                (fd) = -EBADF;               \
                _tfd_;                       \
        })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)        \
        static inline void func##p(type *p)            \
        {                                              \
                if (*p)                                \
                        func(*p);                      \
        }

/* qsort() of NULL with no elements is undefined behaviour (UBSan says so);
 * an empty or one-element list is sorted already. */
static inline void qsort_safe(void *base, size_t n, size_t size,
                              int (*cmp)(const void *, const void *))
{
        if (n > 1)
                qsort(base, n, size, cmp);
}

static inline int negative_errno(void)
{
        /* For callers that saw a libc failure: never return 0 by accident. */
        return errno > 0 ? -errno : -EIO;
}

static inline const char *strempty(const char *s)
{
        return s ? s : "";
}

static inline int streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

static inline int streq_ptr(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}
