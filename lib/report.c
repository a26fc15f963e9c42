/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A report: what an operation did to each device. It outlives failures on
 * purpose: after a rollback the caller still has to say what was put back
 * and, worse, what could not be.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "driver.h"

struct vfioctl_report {
        struct vfioctl_report_entry *entries;
        size_t n;
        enum vfioctl_outcome outcome;
};

VFIOCTL_EXPORT int vfioctl_report_new(vfioctl_report **ret)
{
        if (!ret)
                return -EINVAL;
        *ret = calloc(1, sizeof(**ret));
        return *ret ? 0 : -ENOMEM;
}

static void entry_clear(struct vfioctl_report_entry *e)
{
        free((char *) e->from);
        free((char *) e->to);
        free((char *) e->detail);
}

VFIOCTL_EXPORT vfioctl_report *vfioctl_report_free(vfioctl_report *r)
{
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n; i++)
                entry_clear(&r->entries[i]);
        free(r->entries);
        free(r);
        return NULL;
}

VFIOCTL_EXPORT size_t vfioctl_report_n_entries(vfioctl_report *r)
{
        return r ? r->n : 0;
}

VFIOCTL_EXPORT const struct vfioctl_report_entry *vfioctl_report_entry_at(vfioctl_report *r,
                                                                         size_t i)
{
        return r && i < r->n ? &r->entries[i] : NULL;
}

VFIOCTL_EXPORT enum vfioctl_outcome vfioctl_report_get_outcome(vfioctl_report *r)
{
        return r ? r->outcome : VFIOCTL_OUTCOME_DONE;
}

void report_set_outcome(vfioctl_report *r, enum vfioctl_outcome outcome)
{
        /* Attention wins: once something is left changed, that is the news. */
        if (r && r->outcome != VFIOCTL_OUTCOME_ATTENTION)
                r->outcome = outcome;
}

static char *strdup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

int report_add(vfioctl_report *r, const char *address, enum vfioctl_action action,
               const char *from, const char *to, const char *detail_format, ...)
{
        struct vfioctl_report_entry *n, *e;
        va_list ap;

        if (!r)
                return 0;
        n = realloc(r->entries, (r->n + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        r->entries = n;
        e = &n[r->n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->address, sizeof(e->address), "%s", address);
        e->action = action;
        e->from = strdup_or_null(from);
        e->to = strdup_or_null(to);
        if (detail_format) {
                char *d = NULL;

                va_start(ap, detail_format);
                if (vasprintf(&d, detail_format, ap) < 0)
                        d = NULL;
                va_end(ap);
                e->detail = d;
        }
        return 0;
}

void report_set_reason(vfioctl_report *r, enum vfioctl_reason reason)
{
        if (r && r->n > 0)
                r->entries[r->n - 1].reason = reason;
}

int report_move(vfioctl_report *dst, vfioctl_report *src)
{
        struct vfioctl_report_entry *n;

        if (!dst || !src || src->n == 0)
                return 0;
        n = realloc(dst->entries, (dst->n + src->n) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        dst->entries = n;
        memcpy(n + dst->n, src->entries, src->n * sizeof(*n));
        dst->n += src->n;
        free(src->entries);
        src->entries = NULL;
        src->n = 0;
        return 0;
}

/* The most recent entry for an address, to turn DETACHED into ROLLED_BACK. */
struct vfioctl_report_entry *report_find(vfioctl_report *r, const char *address)
{
        if (!r)
                return NULL;
        for (size_t i = r->n; i > 0; i--)
                if (streq(r->entries[i - 1].address, address))
                        return &r->entries[i - 1];
        return NULL;
}
