/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library context: where the tree is (--root), how to log, the last
 * error message and the dry-run recorder.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <pci/pci.h>

#include "internal.h"

static int normalize_root(const char *root, char **ret)
{
        size_t len;
        char *r;

        if (!root || !*root)
                root = "/";
        r = strdup(root);
        if (!r)
                return -ENOMEM;
        len = strlen(r);
        while (len > 1 && r[len - 1] == '/')
                r[--len] = '\0';
        *ret = r;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_ctx_new(const char *root, vfioctl_ctx **ret)
{
        _cleanup_free_ vfioctl_ctx *ctx = NULL;
        struct stat st;
        int r;

        assert_return(ret, -EINVAL);

        ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return -ENOMEM;
        ctx->n_ref = 1;
        ctx->root_fd = -EBADF;
        ctx->log_priority = VFIOCTL_LOG_ERR;

        r = normalize_root(root, &ctx->root);
        if (r < 0)
                return r;

        ctx->root_fd = open(ctx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (ctx->root_fd < 0) {
                r = negative_errno();
                free(ctx->root);
                return r;
        }
        if (fstat(ctx->root_fd, &st) < 0) {
                r = negative_errno();
                close(ctx->root_fd);
                free(ctx->root);
                return r;
        }

        *ret = TAKE_PTR(ctx);
        return 0;
}

static void ctx_free(vfioctl_ctx *ctx)
{
        if (ctx->pacc)
                pci_cleanup(ctx->pacc);
        if (ctx->root_fd >= 0)
                close(ctx->root_fd);
        free(ctx->root);
        free(ctx);
}

DEFINE_PUBLIC_REF_UNREF(vfioctl_ctx, vfioctl_ctx, ctx_free)

VFIOCTL_EXPORT const char *vfioctl_ctx_get_root(vfioctl_ctx *ctx)
{
        assert_return(ctx, NULL);
        return ctx->root;
}

VFIOCTL_EXPORT const char *vfioctl_ctx_errmsg(vfioctl_ctx *ctx)
{
        assert_return(ctx, "");
        return ctx->errmsg;
}

VFIOCTL_EXPORT void vfioctl_ctx_set_log_fn(vfioctl_ctx *ctx, vfioctl_log_fn fn, void *userdata)
{
        assert_return_void(ctx);
        ctx->log_fn = fn;
        ctx->log_data = userdata;
}

VFIOCTL_EXPORT void vfioctl_ctx_set_log_priority(vfioctl_ctx *ctx, int priority)
{
        assert_return_void(ctx);
        ctx->log_priority = priority;
}

VFIOCTL_EXPORT void vfioctl_ctx_set_dry_run(vfioctl_ctx *ctx, vfioctl_write_fn fn, void *userdata)
{
        assert_return_void(ctx);
        ctx->dry_run_fn = fn;
        ctx->dry_run_data = userdata;
}

VFIOCTL_EXPORT bool vfioctl_ctx_is_dry_run(vfioctl_ctx *ctx)
{
        assert_return(ctx, false);
        return ctx->dry_run_fn != NULL;
}

VFIOCTL_EXPORT void vfioctl_ctx_set_progress_fn(vfioctl_ctx *ctx, vfioctl_progress_fn fn,
                                                void *userdata)
{
        assert_return_void(ctx);
        ctx->progress_fn = fn;
        ctx->progress_data = userdata;
}

/* Async-signal-safe: one store to a sig_atomic_t, nothing else. */
VFIOCTL_EXPORT void vfioctl_ctx_interrupt(vfioctl_ctx *ctx)
{
        assert_return_void(ctx);
        ctx->interrupted = 1;
}

VFIOCTL_EXPORT bool vfioctl_ctx_is_interrupted(vfioctl_ctx *ctx)
{
        assert_return(ctx, false);
        return ctx->interrupted;
}

void ctx_log(vfioctl_ctx *ctx, int priority, const char *file, int line, const char *fn,
             const char *format, ...)
{
        char msg[1024];
        va_list ap;

        if (!ctx->log_fn || priority > ctx->log_priority)
                return;
        va_start(ap, format);
        vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);
        ctx->log_fn(ctx->log_data, priority, file, line, fn, msg);
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return m > 0 && n >= m && streq(s + n - m, suffix);
}

int ctx_verror(vfioctl_ctx *ctx, int error, const char *format, va_list ap)
{
        char msg[sizeof(ctx->errmsg)];

        /* Through a copy: callers wrap the previous message ("…: %s", errmsg). */
        vsnprintf(msg, sizeof(msg), format, ap);
        /* A wrapper that ends in the cause keeps the cause's reason: the
         * advice that goes with it still follows its words. */
        if (!ends_with(msg, ctx->errmsg)) {
                ctx->reason = VFIOCTL_REASON_NONE;
                ctx->reason_subject[0] = '\0';
        }
        memcpy(ctx->errmsg, msg, sizeof(msg));
        log_debug(ctx, "%s (%s)", ctx->errmsg, strerror(-error));
        return error;
}

int ctx_error(vfioctl_ctx *ctx, int error, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        ctx_verror(ctx, error, format, ap);
        va_end(ap);
        return error;
}

int ctx_error_reason(vfioctl_ctx *ctx, enum vfioctl_reason reason, int error, const char *format,
                     ...)
{
        va_list ap;

        va_start(ap, format);
        ctx_verror(ctx, error, format, ap);
        va_end(ap);
        ctx->reason = reason;
        return error;
}

void ctx_clear_error(vfioctl_ctx *ctx)
{
        ctx->errmsg[0] = '\0';
        ctx->reason = VFIOCTL_REASON_NONE;
        ctx->reason_subject[0] = '\0';
}

int ctx_set_reason(vfioctl_ctx *ctx, int error, enum vfioctl_reason reason, const char *subject)
{
        ctx->reason = reason;
        snprintf(ctx->reason_subject, sizeof(ctx->reason_subject), "%s", strempty(subject));
        return error;
}

void ctx_save_error(vfioctl_ctx *ctx, struct ctx_saved_error *ret)
{
        memcpy(ret->msg, ctx->errmsg, sizeof(ret->msg));
        ret->reason = ctx->reason;
        memcpy(ret->subject, ctx->reason_subject, sizeof(ret->subject));
}

int ctx_restore_error(vfioctl_ctx *ctx, int error, const struct ctx_saved_error *s)
{
        ctx_error(ctx, error, "%s", s->msg);
        return ctx_set_reason(ctx, error, s->reason, s->subject);
}

VFIOCTL_EXPORT const char *vfioctl_ctx_get_reason_subject(vfioctl_ctx *ctx)
{
        assert_return(ctx, NULL);
        return ctx->errmsg[0] && ctx->reason_subject[0] ? ctx->reason_subject : NULL;
}

VFIOCTL_EXPORT enum vfioctl_reason vfioctl_ctx_get_reason(vfioctl_ctx *ctx)
{
        assert_return(ctx, VFIOCTL_REASON_NONE);
        return ctx->errmsg[0] ? ctx->reason : VFIOCTL_REASON_NONE;
}
