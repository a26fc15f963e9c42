/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl list [--all] [GROUP|DEV|CLASS...]: devices by IOMMU group. A
 * group is listed when it holds anything a guest could take; groups of
 * plumbing only (host bridges, ports, system peripherals) appear with
 * --all, or when asked for by number, by a member, or by class.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

const char iommu_off_help[] =
        "The IOMMU is off: this host has no IOMMU groups, so no device can be given to a guest "
        "through VFIO.\n"
        "To turn it on, enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup and add "
        "intel_iommu=on (Intel) or amd_iommu=on (AMD) to the kernel command line, then reboot.";

/* Class words users type (lspci's and driverctl's names), by PCI class. */
static const struct {
        const char *word;
        uint32_t class, mask;
} class_words[] = {
        { "nic", 0x020000, 0xff0000 },     { "net", 0x020000, 0xff0000 },
        { "network", 0x020000, 0xff0000 }, { "gpu", 0x030000, 0xff0000 },
        { "display", 0x030000, 0xff0000 }, { "vga", 0x030000, 0xffff00 },
        { "audio", 0x040100, 0xfffe00 },   { "sound", 0x040100, 0xfffe00 },
        { "multimedia", 0x040000, 0xff0000 }, { "storage", 0x010000, 0xff0000 },
        { "disk", 0x010000, 0xff0000 },    { "usb", 0x0c0300, 0xffff00 },
        { "bridge", 0x060000, 0xff0000 },  { "serial", 0x0c0000, 0xff0000 },
        { "crypto", 0x100000, 0xff0000 },  { "accelerator", 0x120000, 0xff0000 },
};

struct filter {
        bool any;                          /* arguments were given */
        unsigned *groups;
        size_t n_groups;
        struct vfioctl_pci_addr *addrs;
        size_t n_addrs;
        const char **classes;              /* class words, as typed */
        size_t n_classes;
};

static void filter_done(struct filter *f)
{
        free(f->groups);
        free(f->addrs);
        free(f->classes);
}

static bool class_word_known(const char *w)
{
        for (size_t i = 0; i < ELEMENTSOF(class_words); i++)
                if (strcasecmp(class_words[i].word, w) == 0)
                        return true;
        return false;
}

static bool device_has_class(vfioctl_device *dev, const char *w)
{
        uint32_t class = vfioctl_device_get_class(dev);

        /* The word list and show print ("NVMe", "SMBus") works too. */
        if (strcasecmp(vfioctl_device_get_class_word(dev), w) == 0)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(class_words); i++)
                if (strcasecmp(class_words[i].word, w) == 0 &&
                    (class & class_words[i].mask) == class_words[i].class)
                        return true;
        return false;
}

static bool is_number(const char *s)
{
        if (!*s || strlen(s) > 7)
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char) *s))
                        return false;
        return true;
}

/* A class word the host's devices call themselves ("NVMe", "SATA"). */
static bool class_word_on_host(vfioctl_host *host, const char *w)
{
        for (size_t i = 0; i < vfioctl_host_n_devices(host); i++)
                if (strcasecmp(vfioctl_device_get_class_word(vfioctl_host_device_at(host, i)),
                               w) == 0)
                        return true;
        return false;
}

static int filter_parse(struct cli *cli, vfioctl_host *host, int argc, char **argv,
                        struct filter *f)
{
        size_t n = (size_t) (argc - optind);

        f->any = n > 0;
        f->groups = calloc(n + 1, sizeof(*f->groups));
        f->classes = calloc(n + 1, sizeof(*f->classes));
        if (!f->groups || !f->classes)
                return -ENOMEM;
        for (int i = optind; i < argc; i++) {
                const char *arg = argv[i];

                if (is_number(arg)) {
                        vfioctl_group *g;
                        f->groups[f->n_groups++] = (unsigned) strtoul(arg, NULL, 10);
                        if (vfioctl_host_get_group(host, (unsigned) strtoul(arg, NULL, 10), &g) < 0) {
                                usage_error(NULL, "no IOMMU group %s on this host", arg);
                                return -EINVAL;
                        }
                } else if (class_word_known(arg) || class_word_on_host(host, arg))
                        f->classes[f->n_classes++] = arg;
                else {
                        _cleanup_free_ struct vfioctl_pci_addr *a = NULL;
                        struct vfioctl_pci_addr *na;
                        size_t m = 0;
                        int r;

                        r = vfioctl_host_resolve_device(host, arg, &a, &m);
                        if (r == -EINVAL && !strchr(arg, ':'))
                                return usage_error(NULL, "'%.40s' is not a group number, a device "
                                                         "(address, slot, interface) or a class "
                                                         "(nic, gpu, audio, usb, storage, ...)",
                                                   arg),
                                       -EINVAL;
                        if (r == -ENODEV && !strchr(arg, ':'))
                                return usage_error(NULL, "'%.40s' is not a group number, a class "
                                                         "(nic, gpu, audio, usb, storage, ...), "
                                                         "or an interface on this host",
                                                   arg),
                                       -EINVAL;
                        if (r < 0)
                                return lib_error(cli, r, EXIT_USAGE, "device"), -EINVAL;
                        for (size_t j = 0; j < m; j++) {
                                vfioctl_device *dev;
                                if (vfioctl_host_get_device(host, &a[j], &dev) < 0)
                                        return lib_error(cli, -ENODEV, EXIT_USAGE, "device"),
                                               -EINVAL;
                        }
                        na = realloc(f->addrs, (f->n_addrs + m) * sizeof(*na));
                        if (!na)
                                return -ENOMEM;
                        f->addrs = na;
                        memcpy(f->addrs + f->n_addrs, a, m * sizeof(*a));
                        f->n_addrs += m;
                }
        }
        return 0;
}

static bool filter_device(const struct filter *f, vfioctl_device *dev)
{
        for (size_t i = 0; i < f->n_addrs; i++)
                if (vfioctl_pci_addr_compare(&f->addrs[i], vfioctl_device_get_addr(dev)) == 0)
                        return true;
        for (size_t i = 0; i < f->n_classes; i++)
                if (device_has_class(dev, f->classes[i]))
                        return true;
        return false;
}

static bool filter_group(const struct filter *f, vfioctl_group *group)
{
        for (size_t i = 0; i < f->n_groups; i++)
                if (f->groups[i] == vfioctl_group_get_number(group))
                        return true;
        for (size_t i = 0; i < vfioctl_group_n_devices(group); i++)
                if (filter_device(f, vfioctl_group_device_at(group, i)))
                        return true;
        return false;
}

static bool group_is_interesting(vfioctl_group *group)
{
        for (size_t i = 0; i < vfioctl_group_n_devices(group); i++)
                if (!vfioctl_device_is_plumbing(vfioctl_group_device_at(group, i)))
                        return true;
        return false;
}

/* Whether a group (NULL: a device in no group) is listed. */
static bool group_shown(const struct filter *f, bool all, vfioctl_group *group)
{
        if (f->any)
                return filter_group(f, group);
        return all || group_is_interesting(group);
}

static bool ungrouped_shown(const struct filter *f, bool all, vfioctl_device *dev)
{
        if (f->any)
                return filter_device(f, dev);
        return all || !vfioctl_device_is_plumbing(dev);
}

/* PF -> VF relations, from the VFs' physfn links (one link per device). */
struct relations {
        struct vfioctl_pci_addr *pf_of; /* per host device index; domain 0xffff: none */
        size_t n;
};

static void relations_load(vfioctl_host *host, struct relations *rel)
{
        rel->n = vfioctl_host_n_devices(host);
        rel->pf_of = calloc(rel->n + 1, sizeof(*rel->pf_of));
        if (!rel->pf_of) {
                rel->n = 0;
                return;
        }
        for (size_t i = 0; i < rel->n; i++)
                if (vfioctl_device_get_parent_pf(vfioctl_host_device_at(host, i), &rel->pf_of[i]) <= 0)
                        rel->pf_of[i].domain = 0xffff;
}

static size_t relations_n_vfs(vfioctl_host *host, const struct relations *rel, vfioctl_device *dev)
{
        size_t n = 0;

        for (size_t i = 0; i < rel->n; i++)
                if (rel->pf_of[i].domain != 0xffff &&
                    vfioctl_pci_addr_compare(&rel->pf_of[i], vfioctl_device_get_addr(dev)) == 0)
                        n++;
        return n;
}

static const struct vfioctl_pci_addr *relations_pf(vfioctl_host *host, const struct relations *rel,
                                                   vfioctl_device *dev)
{
        for (size_t i = 0; i < rel->n; i++)
                if (vfioctl_host_device_at(host, i) == dev)
                        return rel->pf_of[i].domain != 0xffff ? &rel->pf_of[i] : NULL;
        return NULL;
}

struct listing {
        struct cli *cli;
        vfioctl_host *host;
        struct relations rel;
        bool interfaces; /* the IFACE column */
};

static void add_device_row(struct listing *l, struct table *t, vfioctl_device *dev)
{
        struct cli *cli = l->cli;
        char name[512], ifs[256], buf[1024];
        const struct vfioctl_pci_addr *pf;
        const char *errmsg, *reserved;
        size_t n_vfs;

        table_add(t, vfioctl_device_get_address(dev));
        table_add(t, vfioctl_device_get_class_word(dev));
        table_add(t, vfioctl_device_get_driver(dev) ?: "-");
        table_add(t, device_state_word(cli, dev));
        table_add(t, device_owner(cli, dev) ?: owners_error(cli) ? "?" : "-");
        if (l->interfaces)
                table_add(t, device_interfaces(cli, dev, ifs, sizeof(ifs)) ?: "-");
        device_full_name(dev, name, sizeof(name));
        if (vfioctl_device_get_error(dev, &errmsg)) {
                snprintf(buf, sizeof(buf), "(unreadable: %s)", errmsg);
                table_add(t, buf);
                return;
        }
        if (vfioctl_device_is_bridge(dev))
                strncat(name, " [bridge]", sizeof(name) - strlen(name) - 1);
        reserved = reservation_word(cli, dev);
        if (reserved)
                snprintf(name + strlen(name), sizeof(name) - strlen(name), " [%s]", reserved);
        pf = relations_pf(l->host, &l->rel, dev);
        n_vfs = relations_n_vfs(l->host, &l->rel, dev);
        if (pf) {
                char a[VFIOCTL_PCI_ADDR_MAX];
                snprintf(buf, sizeof(buf), "%s [VF of %s]", name, vfioctl_pci_addr_format(pf, a));
        } else if (n_vfs)
                snprintf(buf, sizeof(buf), "%s [PF: %zu VF%s]", name, n_vfs, n_vfs == 1 ? "" : "s");
        else
                snprintf(buf, sizeof(buf), "%s", name);
        table_add(t, buf);
}

/* The IFACE column is there when a listed device has an interface. */
static bool any_interface(struct listing *l, const struct filter *f, bool all)
{
        char ifs[256];

        for (size_t i = 0; i < vfioctl_host_n_devices(l->host); i++) {
                vfioctl_device *dev = vfioctl_host_device_at(l->host, i);
                int g = vfioctl_device_get_group_number(dev);
                vfioctl_group *group = NULL;

                if (!device_interfaces(l->cli, dev, ifs, sizeof(ifs)))
                        continue;
                if (g >= 0 && vfioctl_host_get_group(l->host, (unsigned) g, &group) == 0) {
                        if (group_shown(f, all, group))
                                return true;
                } else if (ungrouped_shown(f, all, dev))
                        return true;
        }
        return false;
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

static int list_json(struct listing *l, const struct filter *f, bool all)
{
        json_t *doc = json_object(), *groups = json_array(), *ungrouped = json_array();
        vfioctl_host *host = l->host;
        int r;

        json_object_set_new(doc, "iommu", json_boolean(vfioctl_host_has_iommu(host)));
        for (size_t i = 0; i < vfioctl_host_n_groups(host); i++) {
                vfioctl_group *group = vfioctl_host_group_at(host, i);
                if (group_shown(f, all, group))
                        json_array_append_new(groups, group_json(l->cli, group));
        }
        for (size_t i = 0; i < vfioctl_host_n_devices(host); i++) {
                vfioctl_device *dev = vfioctl_host_device_at(host, i);
                if (vfioctl_device_get_group_number(dev) < 0 && ungrouped_shown(f, all, dev))
                        json_array_append_new(ungrouped, device_json(l->cli, dev));
        }
        json_object_set_new(doc, "groups", groups);
        json_object_set_new(doc, "devices", ungrouped);
        if (owners_error(l->cli))
                json_object_set_new(doc, "state_error", json_string(owners_error(l->cli)));
        json_object_set_new(doc, "unfinished", unfinished_json(l->cli));
        r = json_print(doc);
        json_decref(doc);
        if (r < 0)
                return EXIT_ATTENTION;
        return owners_error(l->cli) ? EXIT_REFUSED : EXIT_OK;
}

static struct table *new_table(struct listing *l, bool groups)
{
        if (groups && l->interfaces)
                return table_new(9, "GROUP", "VIABLE", "ADDRESS", "CLASS", "DRIVER", "STATE",
                                 "OWNER", "IFACE", "DEVICE");
        if (groups)
                return table_new(8, "GROUP", "VIABLE", "ADDRESS", "CLASS", "DRIVER", "STATE",
                                 "OWNER", "DEVICE");
        if (l->interfaces)
                return table_new(7, "ADDRESS", "CLASS", "DRIVER", "STATE", "OWNER", "IFACE",
                                 "DEVICE");
        return table_new(6, "ADDRESS", "CLASS", "DRIVER", "STATE", "OWNER", "DEVICE");
}

static size_t list_groups_text(struct listing *l, const struct filter *f, bool all)
{
        _cleanup_(table_freep) struct table *t = NULL;
        vfioctl_host *host = l->host;
        size_t hidden = 0, shown = 0;

        t = new_table(l, true);
        for (size_t i = 0; i < vfioctl_host_n_groups(host); i++) {
                vfioctl_group *group = vfioctl_host_group_at(host, i);
                char num[16];

                if (!group_shown(f, all, group)) {
                        hidden += !f->any;
                        continue;
                }
                snprintf(num, sizeof(num), "%u", vfioctl_group_get_number(group));
                for (size_t j = 0; j < vfioctl_group_n_devices(group); j++) {
                        table_add(t, j == 0 ? num : "");
                        table_add(t, j == 0 ? (vfioctl_group_is_viable(group) ? "yes" : "no")
                                            : "");
                        add_device_row(l, t, vfioctl_group_device_at(group, j));
                }
                shown++;
        }
        if (shown)
                table_print(t, stdout);
        if (hidden)
                printf("(%zu group%s of bridges and system devices only not shown; --all shows "
                       "them)\n",
                       hidden, hidden == 1 ? "" : "s");
        return shown;
}

static size_t list_devices_text(struct listing *l, const struct filter *f, bool all)
{
        _cleanup_(table_freep) struct table *t = NULL;
        vfioctl_host *host = l->host;
        size_t hidden = 0, shown = 0;

        t = new_table(l, false);
        for (size_t i = 0; i < vfioctl_host_n_devices(host); i++) {
                vfioctl_device *dev = vfioctl_host_device_at(host, i);
                if (vfioctl_device_get_group_number(dev) >= 0)
                        continue;
                if (!ungrouped_shown(f, all, dev)) {
                        hidden += !f->any;
                        continue;
                }
                add_device_row(l, t, dev);
                shown++;
        }
        if (shown)
                table_print(t, stdout);
        if (hidden)
                printf("(%zu bridge%s and system device%s not shown; --all shows them)\n", hidden,
                       hidden == 1 ? "" : "s", hidden == 1 ? "" : "s");
        return shown;
}

static bool any_ungrouped(vfioctl_host *host, const struct filter *f, bool all)
{
        for (size_t i = 0; i < vfioctl_host_n_devices(host); i++) {
                vfioctl_device *dev = vfioctl_host_device_at(host, i);
                if (vfioctl_device_get_group_number(dev) < 0 && (!f->any || ungrouped_shown(f, all, dev)))
                        return true;
        }
        return false;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                {}
        };
        _cleanup_(vfioctl_host_unrefp) vfioctl_host *host = NULL;
        struct filter f = {};
        struct listing l = { .cli = cli };
        bool all = false;
        size_t shown = 0;
        int c, r;

        while ((c = cli_getopt(cli, argc, argv, "a", options)) >= 0) {
                if (c != 'a')
                        return EXIT_USAGE;
                all = true;
        }

        r = vfioctl_host_new(cli->ctx, &host);
        if (r < 0)
                return lib_error(cli, r, EXIT_USAGE, "reading the host");
        r = vfioctl_host_scan(host);
        if (r < 0)
                return lib_error(cli, r, EXIT_ATTENTION, "reading the host");
        cli->res_host = host;
        r = filter_parse(cli, host, argc, argv, &f);
        if (r < 0) {
                filter_done(&f);
                return r == -ENOMEM ? EXIT_ATTENTION : EXIT_USAGE;
        }
        l.host = host;
        relations_load(host, &l.rel);

        if (cli->json)
                r = list_json(&l, &f, all);
        else {
                l.interfaces = any_interface(&l, &f, all);
                if (vfioctl_host_has_iommu(host)) {
                        shown = list_groups_text(&l, &f, all);
                        /* Devices outside every group on an IOMMU host: say so. */
                        if (any_ungrouped(host, &f, all)) {
                                printf("\nDevices in no IOMMU group:\n");
                                shown += list_devices_text(&l, &f, all);
                        }
                } else {
                        printf("%s\n\n", iommu_off_help);
                        shown = list_devices_text(&l, &f, all);
                }
                if (f.any && shown == 0)
                        printf("(no device matches)\n");
                print_unfinished(cli, true);
                r = EXIT_OK;
        }
        free(l.rel.pf_of);
        filter_done(&f);
        if (r == EXIT_OK && owners_error(cli)) {
                fprintf(stderr, "vfioctl: owners unknown (shown as '?'): %s\n", owners_error(cli));
                return EXIT_REFUSED;
        }
        return r;
}
