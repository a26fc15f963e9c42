/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt network XML (hostdev pools): parse, and read back everything a
 * pool gives an assign.
 */
#include "fuzz.h"
#include "hostdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        vfioctl_network_def *net = NULL;
        char *s = fuzz_strndup(data, size);

        if (vfioctl_network_def_new_from_string(fuzz_get_ctx(), s, &net) == 0) {
                fuzz_assert(vfioctl_network_def_get_name(net), "a network without a name");
                for (size_t i = 0; i < net->n_addrs; i++)
                        fuzz_assert(net->addrs[i].slot <= 0x1f && net->addrs[i].function <= 7,
                                    "address %zu out of range", i);
                if (net->pf)
                        fuzz_assert(*net->pf && !strchr(net->pf, '/') && !streq(net->pf, ".") &&
                                            !streq(net->pf, ".."),
                                    "pf '%s'", net->pf);
                if (net->driver_model)
                        fuzz_assert(driver_name_is_valid(net->driver_model), "model '%s'",
                                    net->driver_model);
                vfioctl_network_def_unref(net);
        }
        free(s);
        return 0;
}
