/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt domain XML: parse; then the round trip assign makes, where the
 * definition is recorded in the state (with the pool functions written
 * in) and parsed again by release and qemu-args. Both readings must agree
 * on every entry and on the QEMU arguments: a guest that owns two devices
 * is never given one (issue 14, item 7).
 */
#include "fuzz.h"
#include "assign.h"
#include "hostdev.h"

static bool str_eq(const char *a, const char *b)
{
        return streq_ptr(a, b);
}

/* Not given means vfio; the record may spell it out. */
static enum vfioctl_hostdev_driver driver_of(const vfioctl_guest_hostdev *h)
{
        return h->driver == VFIOCTL_HOSTDEV_DRIVER_DEFAULT ? VFIOCTL_HOSTDEV_DRIVER_VFIO : h->driver;
}

static void same_entry(const vfioctl_guest_hostdev *a, const vfioctl_guest_hostdev *b, size_t i)
{
        char x[VFIOCTL_PCI_ADDR_MAX], y[VFIOCTL_PCI_ADDR_MAX];

        fuzz_assert(a->has_addr == b->has_addr, "entry %zu: address given once", i);
        if (a->has_addr)
                fuzz_assert(vfioctl_pci_addr_compare(&a->addr, &b->addr) == 0,
                            "entry %zu: %s recorded as %s", i, vfioctl_pci_addr_format(&a->addr, x),
                            vfioctl_pci_addr_format(&b->addr, y));
        fuzz_assert(a->managed == b->managed, "entry %zu: managed", i);
        fuzz_assert(driver_of(a) == driver_of(b), "entry %zu: driver %d vs %d", i, a->driver,
                    b->driver);
        fuzz_assert(str_eq(a->driver_model, b->driver_model), "entry %zu: model", i);
        fuzz_assert(a->group == b->group, "entry %zu: group mode", i);
        fuzz_assert(a->assigned == b->assigned, "entry %zu: assigned", i);
        fuzz_assert(a->has_guest_addr == b->has_guest_addr, "entry %zu: guest address", i);
        if (a->has_guest_addr)
                fuzz_assert(vfioctl_pci_addr_compare(&a->guest_addr, &b->guest_addr) == 0,
                            "entry %zu: guest address", i);
        fuzz_assert(a->rom_bar == b->rom_bar && str_eq(a->rom_file, b->rom_file),
                    "entry %zu: rom", i);
        fuzz_assert(a->boot_order == b->boot_order, "entry %zu: boot order", i);
        fuzz_assert(str_eq(a->alias, b->alias), "entry %zu: alias", i);
        fuzz_assert(str_eq(a->mac, b->mac), "entry %zu: mac", i);
}

static void same_args(char **a, char **b)
{
        size_t i = 0;

        for (; a && b && a[i] && b[i]; i++)
                fuzz_assert(streq(a[i], b[i]), "argument %zu: '%s' recorded as '%s'", i, a[i], b[i]);
        fuzz_assert((!a || !a[i]) && (!b || !b[i]), "argument %zu: only one reading has it", i);
}

/* Pool functions as assign takes them, then the definition as recorded. */
static void round_trip(vfioctl_guest_def *def)
{
        vfioctl_guest_def *again = NULL;
        char **args = NULL, **args_again = NULL;
        char *recorded = NULL;
        int r;

        for (size_t i = 0; i < def->n_hostdevs; i++) {
                struct vfioctl_pci_addr a = { .bus = 0xf0, .slot = (i / 8) % 32, .function = i % 8 };

                if (def->hostdevs[i]->kind != VFIOCTL_HOSTDEV_NETWORK)
                        continue;
                if (vfioctl_guest_def_resolve_network(def, i, &a, true, VFIOCTL_GROUP_NONE) < 0)
                        (void) vfioctl_guest_def_ignore_network(def, i);
        }
        r = guest_resolved_xml(def, &recorded);
        fuzz_assert(r == 0, "the parsed definition cannot be recorded: %s",
                    vfioctl_ctx_errmsg(def->ctx));
        r = guest_def_from_record(def->ctx, def->name, recorded, &again);
        fuzz_assert(r == 0, "the recorded definition does not parse: %s\n%s",
                    vfioctl_ctx_errmsg(def->ctx), recorded);
        for (size_t i = 0, j = 0; i < def->n_hostdevs; i++) {
                const vfioctl_guest_hostdev *h = def->hostdevs[i];

                if (h->kind == VFIOCTL_HOSTDEV_NETWORK && (h->ignored || !h->has_addr)) {
                        /* Not taken from a pool: recorded as the network it was. */
                        fuzz_assert(j < again->n_hostdevs &&
                                            again->hostdevs[j]->kind == VFIOCTL_HOSTDEV_NETWORK,
                                    "entry %zu: an ordinary network recorded as a device", i);
                        j++;
                        continue;
                }
                fuzz_assert(j < again->n_hostdevs, "entry %zu is not in the record", i);
                same_entry(h, again->hostdevs[j++], i);
                if (i + 1 == def->n_hostdevs)
                        fuzz_assert(j == again->n_hostdevs, "the record has %zu entries, not %zu",
                                    again->n_hostdevs, j);
        }
        if (def->n_hostdevs == 0)
                fuzz_assert(again->n_hostdevs == 0, "the record has entries the definition has not");
        if (vfioctl_guest_def_qemu_args(def, 0, &args) == 0) {
                r = vfioctl_guest_def_qemu_args(again, 0, &args_again);
                fuzz_assert(r == 0, "the record gives no QEMU arguments: %s",
                            vfioctl_ctx_errmsg(def->ctx));
                same_args(args, args_again);
        }
        vfioctl_qemu_args_free(args);
        vfioctl_qemu_args_free(args_again);
        vfioctl_guest_def_unref(again);
        free(recorded);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        vfioctl_guest_def *def = NULL;
        char *s = fuzz_strndup(data, size);

        if (vfioctl_guest_def_new_from_string(fuzz_get_ctx(), s, NULL,
                                              VFIOCTL_GUEST_PARSE_SKIP_NON_PCI, &def) == 0)
                round_trip(def);
        vfioctl_guest_def_unref(def);
        free(s);
        return 0;
}
