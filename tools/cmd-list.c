/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl list [--all]: devices by IOMMU group. A group is listed when it
 * holds anything a guest could take; groups of plumbing only (host
 * bridges, ports, system peripherals) appear with --all.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

const char iommu_off_help[] =
        "The IOMMU is off: this host has no IOMMU groups, so no device can be given to a guest "
        "through VFIO.\n"
        "To turn it on, enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup and add "
        "intel_iommu=on (Intel) or amd_iommu=on (AMD) to the kernel command line, then reboot.";

static bool group_is_interesting(vfioctl_group *group)
{
        for (size_t i = 0; i < vfioctl_group_n_devices(group); i++)
                if (!vfioctl_device_is_plumbing(vfioctl_group_device_at(group, i)))
                        return true;
        return false;
}

static void add_device_row(struct cli *cli, struct table *t, vfioctl_device *dev)
{
        char name[512];
        const char *errmsg;

        table_add(t, vfioctl_device_get_name(dev));
        table_add(t, vfioctl_device_get_class_word(dev));
        table_add(t, vfioctl_device_get_driver(dev) ?: "-");
        table_add(t, device_state_word(cli, dev));
        table_add(t, device_owner(cli, dev) ?: owners_error(cli) ? "?" : "-");
        device_full_name(dev, name, sizeof(name));
        if (vfioctl_device_get_error(dev, &errmsg)) {
                char buf[1024];
                snprintf(buf, sizeof(buf), "(unreadable: %s)", errmsg);
                table_add(t, buf);
        } else {
                const char *reserved = reservation_word(cli, dev);

                if (vfioctl_device_is_bridge(dev))
                        strncat(name, " [bridge]", sizeof(name) - strlen(name) - 1);
                if (reserved)
                        snprintf(name + strlen(name), sizeof(name) - strlen(name), " [%s]",
                                 reserved);
                table_add(t, name);
        }
}

static json_t *group_json(struct cli *cli, vfioctl_group *group)
{
        json_t *o = json_object(), *devices = json_array();
        const char *owner;

        json_object_set_new(o, "group", json_integer(vfioctl_group_get_number(group)));
        json_object_set_new(o, "viable", json_boolean(vfioctl_group_is_viable(group)));
        owner = group_owner(cli, (int) vfioctl_group_get_number(group));
        json_object_set_new(o, "owner", owner ? json_string(owner) : json_null());
        for (size_t i = 0; i < vfioctl_group_n_devices(group); i++)
                json_array_append_new(devices,
                                      device_json(cli, vfioctl_group_device_at(group, i)));
        json_object_set_new(o, "devices", devices);
        return o;
}

static int list_json(struct cli *cli, vfioctl_host *host, bool all)
{
        json_t *doc = json_object(), *groups = json_array(), *ungrouped = json_array();
        int r;

        json_object_set_new(doc, "iommu", json_boolean(vfioctl_host_has_iommu(host)));
        for (size_t i = 0; i < vfioctl_host_n_groups(host); i++) {
                vfioctl_group *group = vfioctl_host_group_at(host, i);
                if (all || group_is_interesting(group))
                        json_array_append_new(groups, group_json(cli, group));
        }
        for (size_t i = 0; i < vfioctl_host_n_devices(host); i++) {
                vfioctl_device *dev = vfioctl_host_device_at(host, i);
                if (vfioctl_device_get_group_number(dev) < 0 &&
                    (all || !vfioctl_device_is_plumbing(dev)))
                        json_array_append_new(ungrouped, device_json(cli, dev));
        }
        json_object_set_new(doc, "groups", groups);
        json_object_set_new(doc, "devices", ungrouped);
        if (owners_error(cli))
                json_object_set_new(doc, "state_error", json_string(owners_error(cli)));
        r = json_print(doc);
        json_decref(doc);
        if (r < 0)
                return EXIT_ATTENTION;
        return owners_error(cli) ? EXIT_REFUSED : EXIT_OK;
}

static void list_groups_text(struct cli *cli, vfioctl_host *host, bool all)
{
        _cleanup_(table_freep) struct table *t = NULL;
        size_t hidden = 0;

        t = table_new(8, "GROUP", "VIABLE", "ADDRESS", "CLASS", "DRIVER", "STATE", "OWNER",
                      "DEVICE");
        for (size_t i = 0; i < vfioctl_host_n_groups(host); i++) {
                vfioctl_group *group = vfioctl_host_group_at(host, i);
                char num[16];

                if (!all && !group_is_interesting(group)) {
                        hidden++;
                        continue;
                }
                snprintf(num, sizeof(num), "%u", vfioctl_group_get_number(group));
                for (size_t j = 0; j < vfioctl_group_n_devices(group); j++) {
                        table_add(t, j == 0 ? num : "");
                        table_add(t, j == 0 ? (vfioctl_group_is_viable(group) ? "yes" : "no")
                                            : "");
                        add_device_row(cli, t, vfioctl_group_device_at(group, j));
                }
        }
        table_print(t, stdout);
        if (hidden)
                printf("(%zu group%s of bridges and system devices only not shown; --all shows "
                       "them)\n",
                       hidden, hidden == 1 ? "" : "s");
}

static void list_devices_text(struct cli *cli, vfioctl_host *host, bool all)
{
        _cleanup_(table_freep) struct table *t = NULL;
        size_t hidden = 0;

        t = table_new(6, "ADDRESS", "CLASS", "DRIVER", "STATE", "OWNER", "DEVICE");
        for (size_t i = 0; i < vfioctl_host_n_devices(host); i++) {
                vfioctl_device *dev = vfioctl_host_device_at(host, i);
                if (vfioctl_device_get_group_number(dev) >= 0)
                        continue;
                if (!all && vfioctl_device_is_plumbing(dev)) {
                        hidden++;
                        continue;
                }
                add_device_row(cli, t, dev);
        }
        table_print(t, stdout);
        if (hidden)
                printf("(%zu bridge%s and system device%s not shown; --all shows them)\n", hidden,
                       hidden == 1 ? "" : "s", hidden == 1 ? "" : "s");
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                {}
        };
        _cleanup_(vfioctl_host_unrefp) vfioctl_host *host = NULL;
        bool all = false;
        int c, r;

        while ((c = cli_getopt(cli, argc, argv, "a", options)) >= 0) {
                if (c != 'a')
                        return EXIT_USAGE;
                all = true;
        }
        if (optind < argc)
                return usage_error("list", "'list' takes no arguments (got '%s')", argv[optind]);

        r = vfioctl_host_new(cli->ctx, &host);
        if (r < 0)
                return lib_error(cli, r, EXIT_USAGE, "reading the host");
        r = vfioctl_host_scan(host);
        if (r < 0)
                return lib_error(cli, r, EXIT_ATTENTION, "reading the host");
        cli->res_host = host;

        if (cli->json)
                return list_json(cli, host, all);
        if (vfioctl_host_has_iommu(host)) {
                list_groups_text(cli, host, all);
                /* Devices outside every group on an IOMMU host: say so. */
                for (size_t i = 0; i < vfioctl_host_n_devices(host); i++)
                        if (vfioctl_device_get_group_number(vfioctl_host_device_at(host, i)) < 0) {
                                printf("\nDevices in no IOMMU group:\n");
                                list_devices_text(cli, host, all);
                                break;
                        }
        } else {
                printf("%s\n\n", iommu_off_help);
                list_devices_text(cli, host, all);
        }
        if (owners_error(cli)) {
                fprintf(stderr, "vfioctl: owners unknown (shown as '?'): %s\n", owners_error(cli));
                return EXIT_REFUSED;
        }
        return EXIT_OK;
}
