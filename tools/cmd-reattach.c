/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl reattach (DEV...|--all) [--group] [--force] [--timeout S]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/*
 * --all: every device vfioctl detached that no guest owns (a guest's
 * devices go back with 'release'); with --force also those it found on a
 * stub. Read from the state after the lock, so the list is the one acted on.
 */
static int all_detached(struct session *s, bool force, struct vfioctl_pci_addr **ret, size_t *ret_n)
{
        struct vfioctl_state_device *rows = NULL;
        struct vfioctl_pci_addr *a;
        size_t n_rows = 0, n = 0;
        int r;

        r = vfioctl_state_get_devices(s->st, NULL, &rows, &n_rows);
        if (r < 0)
                return r;
        a = calloc(n_rows + 1, sizeof(*a));
        if (!a) {
                vfioctl_state_devices_free(rows, n_rows);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_rows; i++) {
                if (rows[i].owner)
                        continue;
                if (rows[i].found_detached && !force) {
                        print_note(s->cli, "%s was on %s when vfioctl found it; left alone "
                                           "(--force gives it back too)",
                                   rows[i].address, rows[i].stub_driver ?: "a stub");
                        continue;
                }
                if (vfioctl_pci_addr_parse(rows[i].address, &a[n]) == 0)
                        n++;
        }
        vfioctl_state_devices_free(rows, n_rows);
        *ret = a;
        *ret_n = n;
        return 0;
}

/*
 * The original driver would not take the device back (ENODEV: none of its
 * ids in the driver's tables, as after a boot-time new_id whose driver
 * reloaded): the two ways to give it back, as commands to run.
 */
static void advise_no_id(struct session *s, const struct vfioctl_pci_addr *addrs, size_t n)
{
        struct vfioctl_state_device *rows = NULL;
        const char *root = streq(s->cli->root, "/") ? "" : s->cli->root;
        size_t n_rows = 0;

        if (vfioctl_state_get_devices(s->st, NULL, &rows, &n_rows) < 0)
                return;
        vfioctl_host_invalidate(s->host);
        for (size_t i = 0; i < n; i++) {
                char name[VFIOCTL_PCI_ADDR_MAX];
                const struct vfioctl_state_device *row = NULL;
                vfioctl_device *dev;

                vfioctl_pci_addr_format(&addrs[i], name);
                for (size_t j = 0; j < n_rows && !row; j++)
                        if (streq(rows[j].address, name) && rows[j].original_driver)
                                row = &rows[j];
                if (!row || vfioctl_host_get_device(s->host, &addrs[i], &dev) < 0 ||
                    streq_ptr(vfioctl_device_get_driver(dev), row->original_driver))
                        continue;
                fflush(stdout);
                fprintf(stderr,
                        "To give %s back to %s, either add its id to the driver and run "
                        "reattach again:\n"
                        "  echo '%04x %04x' > %s/sys/bus/pci/drivers/%s/new_id\n"
                        "  vfioctl reattach %s\n"
                        "or bind it there with a driver_override, then let reattach end the "
                        "record:\n"
                        "  echo %s > %s/sys/bus/pci/devices/%s/driver_override\n"
                        "  echo %s > %s/sys/bus/pci/drivers/%s/unbind\n"
                        "  echo %s > %s/sys/bus/pci/drivers_probe\n"
                        "  vfioctl reattach %s\n",
                        name, row->original_driver, vfioctl_device_get_vendor_id(dev),
                        vfioctl_device_get_device_id(dev), root, row->original_driver, name,
                        row->original_driver, root, name, name, root,
                        vfioctl_device_get_driver(dev) ?: row->stub_driver, name, root, name);
        }
        vfioctl_state_devices_free(rows, n_rows);
}

int cmd_reattach(struct cli *cli, int argc, char **argv)
{
        _cleanup_(device_command_clear) struct device_command dc = {};
        struct session s;
        int r, lib_r;

        r = parse_device_command(cli, argc, argv, ARG_ALL | ARG_GROUP | ARG_FORCE | ARG_TIMEOUT,
                                 &dc);
        if (r != EXIT_OK)
                return r;
        r = session_begin_change(cli, &s, dc.opts.timeout_ms);
        if (r != EXIT_OK)
                return r;
        if (dc.all) {
                r = all_detached(&s, dc.opts.flags & VFIOCTL_OP_FORCE, &dc.addrs, &dc.n);
                if (r < 0) {
                        r = lib_error(cli, r, EXIT_REFUSED, "reading the state");
                        session_end(&s);
                        return r;
                }
                if (dc.n == 0)
                        print_note(cli, "nothing vfioctl detached is left to give back%s",
                                   dc.opts.flags & VFIOCTL_OP_FORCE
                                           ? ""
                                           : " (devices found on a stub need --force)");
        }
        r = dc.n == 0 && dc.all ? 0
                                : vfioctl_reattach(s.host, s.st, dc.addrs, dc.n, &dc.opts, s.report);
        lib_r = r;
        r = session_finish(&s, r);
        if (lib_r == -ENODEV && !cli->json)
                advise_no_id(&s, dc.addrs, dc.n);
        for (size_t i = 0; i < vfioctl_report_n_entries(s.report) && !cli->json; i++)
                if (vfioctl_report_entry_at(s.report, i)->action == VFIOCTL_ACTION_LEFT_ALONE) {
                        print_note(cli, "('vfioctl reattach --force DEV' gives such a device back: "
                                        "it clears driver_override and lets the kernel pick "
                                        "its driver)");
                        break;
                }
        session_end(&s);
        return r;
}
