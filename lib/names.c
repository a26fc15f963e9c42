/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Vendor and device names from pci.ids through libpci. The database is
 * loaded on the first lookup only, so commands that print no names do not
 * pay for parsing it. pci_init() is never called: it would probe access
 * methods on the real machine, and names need none of them.
 */
#include <errno.h>

#include <pci/pci.h>

#include "internal.h"

/*
 * pci_alloc() leaves libpci's message callbacks NULL (pci_init() would set
 * them), and a lookup of an id pci.ids does not know calls them: set our
 * own. Names are a nicety, so warnings are dropped; libpci's errors are
 * out-of-memory conditions it cannot return from.
 */
static void names_quiet(char *msg, ...)
{
}

/* noreturn as an attribute, not _Noreturn: clang makes it part of the
 * function's type only in this form, and libpci's field has that type. */
__attribute__((noreturn)) static void names_fatal(char *msg, ...)
{
        abort();
}

static struct pci_access *names_access(vfioctl_ctx *ctx)
{
        if (!ctx->pacc) {
                ctx->pacc = pci_alloc();
                if (!ctx->pacc)
                        return NULL;
                ctx->pacc->error = names_fatal;
                ctx->pacc->warning = names_quiet;
                ctx->pacc->debug = names_quiet;
        }
        return ctx->pacc;
}

/* Names only from the pci.ids file: hwdb answers differ between hosts and
 * would make the output of --root runs depend on the machine. */
#define LOOKUP_FLAGS (PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB)

const char *names_vendor(vfioctl_ctx *ctx, uint16_t vendor, char *buf, size_t size)
{
        struct pci_access *a = names_access(ctx);

        if (!a)
                return NULL;
        return pci_lookup_name(a, buf, (int) size, PCI_LOOKUP_VENDOR | LOOKUP_FLAGS, vendor);
}

const char *names_device(vfioctl_ctx *ctx, uint16_t vendor, uint16_t device, char *buf,
                         size_t size)
{
        struct pci_access *a = names_access(ctx);

        if (!a)
                return NULL;
        return pci_lookup_name(a, buf, (int) size, PCI_LOOKUP_DEVICE | LOOKUP_FLAGS, vendor,
                               device);
}
