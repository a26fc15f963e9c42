/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reservations file (CONFIG_DIR/reservations, lib/reserve.c): read at
 * boot by root, edited by hand. What parses names only canonical addresses
 * and valid driver names, and survives vfioctl writing it back: format,
 * parse again, format again gives the same text.
 */
#include "fuzz.h"
#include "reserve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vfioctl_reservation *e = NULL, *again = NULL;
        size_t n = 0, n_again = 0;
        char *text = fuzz_strndup(data, size), *out = NULL, *out_again = NULL;

        if (size <= RESERVATIONS_MAX && reservations_parse(fuzz_get_ctx(), "fuzz", text, &e, &n) == 0) {
                for (size_t i = 0; i < n; i++) {
                        fuzz_assert(pci_addr_is_canonical(e[i].address), "[%s]", e[i].address);
                        fuzz_assert(driver_name_is_valid(e[i].driver), "driver '%s'", e[i].driver);
                        for (size_t j = 0; j < e[i].n_members; j++)
                                fuzz_assert(pci_addr_is_canonical(e[i].members[j].address),
                                            "member %s", e[i].members[j].address);
                }
                fuzz_assert(reservations_format(e, n, &out) == 0, "cannot format");
                fuzz_assert(reservations_parse(fuzz_get_ctx(), "again", out, &again, &n_again) == 0,
                            "what vfioctl writes does not parse: %s\n%s",
                            vfioctl_ctx_errmsg(fuzz_get_ctx()), out);
                fuzz_assert(n == n_again, "%zu entries read back as %zu", n, n_again);
                fuzz_assert(reservations_format(again, n_again, &out_again) == 0, "cannot format");
                fuzz_assert(streq(out, out_again), "written twice, two texts:\n%s\n---\n%s", out,
                            out_again);
        }
        reservation_entries_free(e, n);
        reservation_entries_free(again, n_again);
        free(out);
        free(out_again);
        free(text);
        return 0;
}
