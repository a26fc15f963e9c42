/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl show DEV: one device in full, its IOMMU group, and what giving
 * it to a guest costs: which other members must leave the host with it,
 * which are fine as they are, and what the host uses each of them for.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* "interface enp5s0 (up, default route); block device nvme0n1 mounted at /" */
static int usage_text(vfioctl_device *dev, char *buf, size_t size)
{
        const struct vfioctl_netif *nifs;
        const struct vfioctl_blockdev *blks;
        size_t n_nifs, n_blks, len = 0;
        bool boot_vga = false, console = false;
        int r;

        buf[0] = '\0';
        r = vfioctl_device_get_netifs(dev, &nifs, &n_nifs);
        if (r < 0)
                return r;
        r = vfioctl_device_get_blockdevs(dev, &blks, &n_blks);
        if (r < 0)
                return r;
        r = vfioctl_device_get_boot_vga(dev, &boot_vga);
        if (r < 0)
                return r;

#define APPEND(...)                                                             \
        do {                                                                    \
                if (len < size)                                                 \
                        len += (size_t) snprintf(buf + len, size - len, __VA_ARGS__); \
        } while (0)
        for (size_t i = 0; i < n_nifs; i++)
                APPEND("%sinterface %s (%s%s)", len ? "; " : "", nifs[i].name, nifs[i].operstate,
                       nifs[i].default_route ? ", default route" : "");
        for (size_t i = 0; i < n_blks; i++) {
                APPEND("%sblock device %s", len ? "; " : "", blks[i].name);
                for (size_t j = 0; blks[i].mounts[j]; j++)
                        APPEND("%s%s", j == 0 ? " mounted at " : ", ", blks[i].mounts[j]);
        }
        if (boot_vga)
                APPEND("%sboot VGA%s", len ? "; " : "",
                       vfioctl_device_get_console_bound(dev, &console) == 0 && console
                               ? " with the console on it"
                               : " (no console bound to it)");
#undef APPEND
        return 0;
}

static json_t *usage_json(vfioctl_device *dev)
{
        const struct vfioctl_netif *nifs;
        const struct vfioctl_blockdev *blks;
        size_t n_nifs = 0, n_blks = 0;
        bool boot_vga = false, console = false;
        json_t *o = json_object(), *net = json_array(), *block = json_array();

        if (vfioctl_device_get_netifs(dev, &nifs, &n_nifs) < 0)
                n_nifs = 0;
        if (vfioctl_device_get_blockdevs(dev, &blks, &n_blks) < 0)
                n_blks = 0;
        (void) vfioctl_device_get_boot_vga(dev, &boot_vga);
        (void) vfioctl_device_get_console_bound(dev, &console);
        for (size_t i = 0; i < n_nifs; i++)
                json_array_append_new(net, json_pack("{s:s, s:s, s:b}", "name", nifs[i].name,
                                                     "operstate", nifs[i].operstate,
                                                     "default_route", nifs[i].default_route));
        for (size_t i = 0; i < n_blks; i++) {
                json_t *mounts = json_array();
                for (size_t j = 0; blks[i].mounts[j]; j++)
                        json_array_append_new(mounts, json_string(blks[i].mounts[j]));
                json_array_append_new(block,
                                      json_pack("{s:s, s:o}", "name", blks[i].name, "mounts", mounts));
        }
        json_object_set_new(o, "net", net);
        json_object_set_new(o, "block", block);
        json_object_set_new(o, "boot_vga", json_boolean(boot_vga));
        json_object_set_new(o, "console", json_boolean(console));
        return o;
}

/* What DESIGN §3.9 protects: a mounted file system, an interface that is
 * up or holds the default route, the boot VGA with the console on it. */
/* Rule 9, the same function detach asks. */
static bool host_depends_on(vfioctl_device *dev)
{
        return vfioctl_device_check_host_use(dev, NULL) > 0;
}

/* A member of the device's group that keeps the group from being viable. */
static bool must_leave(vfioctl_device *member, vfioctl_device *dev)
{
        return member != dev && !vfioctl_device_is_viable_member(member);
}

/*
 * What a secondary bus reset would reach besides the device: every other
 * function on its bus. VFIO falls back to such a "hot reset" when the
 * device has no reset of its own, and needs all of them owned by the same
 * user. Returns false for a device on a root bus (bus 00), which no bridge
 * can reset.
 */
static bool bus_reset_reach(vfioctl_host *host, vfioctl_device *dev, vfioctl_device ***ret,
                            size_t *ret_n)
{
        const struct vfioctl_pci_addr *a = vfioctl_device_get_addr(dev);
        vfioctl_device **l = NULL;
        size_t n = 0;

        *ret = NULL;
        *ret_n = 0;
        if (a->bus == 0 || vfioctl_host_scan(host) < 0)
                return false;
        for (size_t i = 0; i < vfioctl_host_n_devices(host); i++) {
                vfioctl_device *o = vfioctl_host_device_at(host, i);
                const struct vfioctl_pci_addr *b = vfioctl_device_get_addr(o);
                vfioctl_device **nl;

                if (o == dev || b->domain != a->domain || b->bus != a->bus)
                        continue;
                nl = realloc(l, (n + 1) * sizeof(*l));
                if (!nl)
                        break;
                l = nl;
                l[n++] = o;
        }
        *ret = l;
        *ret_n = n;
        return true;
}

/* "flr, bus" from the kernel's "flr bus". */
static void methods_text(const char *methods, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (const char *p = methods; p && *p;) {
                size_t w = strcspn(p, " ");
                if (w && len < size)
                        len += (size_t) snprintf(buf + len, size - len, "%s%.*s",
                                                 len ? ", " : "", (int) w, p);
                p += w;
                p += strspn(p, " ");
        }
}

static bool has_reset(vfioctl_device *dev)
{
        const char *methods = NULL;
        bool flr = false;

        if (vfioctl_device_get_reset(dev, &methods, &flr) < 0)
                return true; /* unreadable: not known to lack one */
        return flr || (methods && *methods);
}

static void print_reset(struct cli *cli, vfioctl_host *host, vfioctl_device *dev)
{
        _cleanup_free_ vfioctl_device **reach = NULL;
        const char *methods = NULL;
        char buf[256], line[1024];
        bool flr = false, bus;
        size_t n = 0;

        if (vfioctl_device_get_reset(dev, &methods, &flr) < 0) {
                printf("  reset:      unknown (%s)\n", cli_errmsg(cli));
                return;
        }
        methods_text(methods, buf, sizeof(buf));
        if (buf[0])
                printf("  reset:      %s (the kernel's reset_method)%s\n", buf,
                       flr ? "; the PCIe capability advertises FLR" : "");
        else if (flr)
                printf("  reset:      FLR (the PCIe capability advertises it)\n");
        else
                printf("  reset:      none: the kernel knows no way to reset it\n");
        bus = bus_reset_reach(host, dev, &reach, &n);
        if (!bus)
                printf("  bus reset:  none (on a root bus)\n");
        else if (n == 0)
                printf("  bus reset:  reaches no other device\n");
        else {
                printf("  bus reset:  would also reset:\n");
                for (size_t i = 0; i < n; i++)
                        printf("    %s\n", device_line(reach[i], line, sizeof(line)));
        }
}

static void print_sriov(vfioctl_device *dev, unsigned total, unsigned num)
{
        const struct vfioctl_pci_addr *vfs;
        char buf[VFIOCTL_PCI_ADDR_MAX];
        size_t n = 0;

        printf("  SR-IOV:     physical function, %u of %u VFs enabled", num, total);
        if (vfioctl_device_get_virtfns(dev, &vfs, &n) == 0)
                for (size_t i = 0; i < n && i < 8; i++)
                        printf("%s%s", i == 0 ? ": " : ", ", vfioctl_pci_addr_format(&vfs[i], buf));
        printf("%s\n", n > 8 ? ", ..." : "");
}

/* Rule 13: whether it is reserved, and whether this boot honoured it. */
static void print_reservation(struct cli *cli, vfioctl_device *dev)
{
        const struct vfioctl_reservation *e;
        bool honoured = false;
        char why[512];

        e = device_reservation(cli, dev, &honoured, why, sizeof(why));
        if (!e)
                return;
        printf("  reserved:   for %s from boot on (%s); %s%s\n", e->driver,
               vfioctl_reservations_get_path(cli_reservations(cli)),
               honoured ? "honoured this boot" : "NOT honoured this boot: ", honoured ? "" : why);
}

static void print_details(struct cli *cli, vfioctl_host *host, vfioctl_device *dev)
{
        const char *override = NULL, *errmsg;
        char name[512], uses[2048], ifs[256];
        unsigned total = 0, num = 0;
        int node = -1;
        bool is_vf = false;
        struct vfioctl_pci_addr pf;

        printf("%s  %s\n", vfioctl_device_get_address(dev), device_full_name(dev, name, sizeof(name)));
        if (vfioctl_device_get_error(dev, &errmsg)) {
                printf("  error:      %s\n", errmsg);
                return;
        }
        printf("  class:      %s (0x%06x), revision 0x%02x%s%s\n",
               vfioctl_device_get_class_word(dev), vfioctl_device_get_class(dev),
               vfioctl_device_get_revision(dev),
               vfioctl_device_is_multifunction(dev) ? ", multifunction" : "",
               vfioctl_device_is_bridge(dev) ? ", bridge (cannot be assigned)" : "");
        printf("  ids:        %04x:%04x", vfioctl_device_get_vendor_id(dev),
               vfioctl_device_get_device_id(dev));
        if (vfioctl_device_get_subsys_vendor_id(dev))
                printf(", subsystem %04x:%04x", vfioctl_device_get_subsys_vendor_id(dev),
                       vfioctl_device_get_subsys_device_id(dev));
        printf("\n");
        if (vfioctl_device_get_driver_override(dev, &override) < 0)
                printf("  unreadable: %s\n", cli_errmsg(cli));
        printf("  driver:     %s%s%s\n", vfioctl_device_get_driver(dev) ?: "unbound",
               override ? ", driver_override " : "", override ?: "");
        printf("  state:      %s\n", device_state_word(cli, dev));
        if (device_owner(cli, dev))
                printf("  owner:      guest '%s'\n", device_owner(cli, dev));
        print_reservation(cli, dev);
        if (device_interfaces(cli, dev, ifs, sizeof(ifs)))
                printf("  interface:  %s\n", ifs);
        if (vfioctl_device_get_numa_node(dev, &node) == 0 && node >= 0)
                printf("  NUMA node:  %d\n", node);
        if (vfioctl_device_get_sriov(dev, &total, &num) == 0 && total > 0)
                print_sriov(dev, total, num);
        if (vfioctl_device_get_physfn(dev, &pf, &is_vf) == 0 && is_vf) {
                char buf[VFIOCTL_PCI_ADDR_MAX];
                printf("  SR-IOV:     virtual function of %s\n", vfioctl_pci_addr_format(&pf, buf));
        }
        print_reset(cli, host, dev);
        if (usage_text(dev, uses, sizeof(uses)) == 0 && uses[0])
                printf("  host uses:  %s\n", uses);
}

/* A member of a list: "0000:00:1f.3 (SMBus, i801_smbus): Intel ...", the
 * form every command uses, then what the host uses it for. */
static void print_member(vfioctl_device *member, vfioctl_device *dev)
{
        char line[1024], uses[2048];

        printf("    %s", device_line(member, line, sizeof(line)));
        if (usage_text(member, uses, sizeof(uses)) == 0 && uses[0])
                printf("; host uses it: %s", uses);
        printf("%s\n", member == dev ? "  <- this device" : "");
}

/* Rule 10: a PF's VFs leave the host with it; NULL when it has none. */
static vfioctl_report *sriov_cost(vfioctl_host *host, vfioctl_device *dev,
                                  enum vfioctl_sriov_verdict *ret)
{
        vfioctl_report *r = NULL;

        *ret = VFIOCTL_SRIOV_NO_VFS;
        if (vfioctl_report_new(&r) < 0)
                return NULL;
        if (vfioctl_sriov_pf_verdict(host, NULL, dev, r, ret) <= 0 ||
            *ret == VFIOCTL_SRIOV_NO_VFS)
                return vfioctl_report_free(r);
        return r;
}

static void print_sriov_cost(vfioctl_host *host, vfioctl_device *dev)
{
        enum vfioctl_sriov_verdict v;
        vfioctl_report *r = sriov_cost(host, dev, &v);

        if (!r)
                return;
        printf("Detaching %s removes its %zu VF%s (its driver disables SR-IOV; vfio-pci refuses "
               "a PF with VFs), so vfioctl refuses %s:\n",
               vfioctl_device_get_address(dev), vfioctl_report_n_entries(r),
               vfioctl_report_n_entries(r) == 1 ? "" : "s",
               v == VFIOCTL_SRIOV_VFS_BUSY ? "while one is owned, detached or in use"
                                           : "unless --force (reattach makes them again)");
        for (size_t i = 0; i < vfioctl_report_n_entries(r); i++)
                printf("    %s: %s\n", vfioctl_report_entry_at(r, i)->address,
                       vfioctl_report_entry_at(r, i)->detail);
        vfioctl_report_free(r);
}

static void print_cost(struct cli *cli, vfioctl_host *host, vfioctl_group *group,
                       vfioctl_device *dev)
{
        const char *owner = device_owner(cli, dev);
        char uses[2048];
        size_t n_leave = 0, n_fine = 0, n_vfs = 0;

        if (vfioctl_device_is_bridge(dev)) {
                printf("\n%s is a bridge: bridges cannot be given to a guest (vfio-pci refuses "
                       "them); give the devices behind it instead.\n",
                       vfioctl_device_get_address(dev));
                return;
        }
        for (size_t i = 0; i < vfioctl_group_n_devices(group); i++) {
                vfioctl_device *m = vfioctl_group_device_at(group, i);
                if (must_leave(m, dev))
                        n_leave++;
                else if (m != dev)
                        n_fine++;
        }
        if (owner) {
                /* Rule 4: the group is the guest's; the host's cost is paid already. */
                const char *state = device_state_word(cli, dev);

                if (streq(state, "assigned") || streq(state, "held"))
                        printf("\n%s is %s guest '%s': no other guest can have it, or any "
                               "device of IOMMU group %u, until 'vfioctl release %s'.\n",
                               vfioctl_device_get_address(dev),
                               streq(state, "held") ? "held for" : "assigned to", owner,
                               vfioctl_group_get_number(group), owner);
                else
                        printf("\n%s is in IOMMU group %u, which belongs to guest '%s': no "
                               "other guest can have it until 'vfioctl release %s'.\n",
                               vfioctl_device_get_address(dev), vfioctl_group_get_number(group),
                               owner, owner);
        } else if (n_leave == 0 && vfioctl_device_get_virtfns(dev, &(const struct vfioctl_pci_addr *){ NULL },
                                                       &n_vfs) == 0 && n_vfs > 0)
                printf("\nTo give %s to a guest, no other device of its group has to leave the "
                       "host, but its VFs do:\n",
                       vfioctl_device_get_address(dev));
        else if (n_leave == 0)
                printf("\nTo give %s to a guest, no other device has to leave the host.\n",
                       vfioctl_device_get_address(dev));
        else {
                printf("\nTo give %s to a guest, these devices must leave the host too "
                       "(vfioctl detach --group):\n",
                       vfioctl_device_get_address(dev));
                for (size_t i = 0; i < vfioctl_group_n_devices(group); i++) {
                        vfioctl_device *m = vfioctl_group_device_at(group, i);
                        if (must_leave(m, dev))
                                print_member(m, NULL);
                }
        }
        if (n_fine) {
                printf("Already fine as they are (bridges on pcieport or unbound, devices on "
                       "a stub):\n");
                for (size_t i = 0; i < vfioctl_group_n_devices(group); i++) {
                        vfioctl_device *m = vfioctl_group_device_at(group, i);
                        char l[1024];
                        if (m == dev || must_leave(m, dev))
                                continue;
                        printf("    %s\n", device_line(m, l, sizeof(l)));
                }
        }
        if (!has_reset(dev))
                printf("Warning: %s has no reset method: after a guest it may not come back "
                       "clean (a GPU may need a host reboot); VFIO can only fall back to a bus "
                       "reset of every device on its bus, if all of them are given to the same "
                       "guest.\n",
                       vfioctl_device_get_address(dev));
        if (usage_text(dev, uses, sizeof(uses)) == 0 && uses[0])
                printf("The host itself uses %s: %s%s.\n", vfioctl_device_get_address(dev), uses,
                       host_depends_on(dev) ? "; detaching it takes that away, so vfioctl "
                                              "refuses unless --force"
                                            : "");
}

static int show_text(struct cli *cli, vfioctl_host *host, vfioctl_device *dev, vfioctl_group *group)
{
        print_details(cli, host, dev);
        if (!group) {
                if (!vfioctl_host_has_iommu(host))
                        printf("\n%s\n", iommu_off_help);
                else
                        printf("\n%s is in no IOMMU group: the kernel will not let VFIO give it to "
                               "a guest.\n",
                               vfioctl_device_get_address(dev));
                return EXIT_OK;
        }
        printf("\nIOMMU group %u (%s), %zu device%s:\n", vfioctl_group_get_number(group),
               vfioctl_group_is_viable(group) ? "viable" : "not viable",
               vfioctl_group_n_devices(group), vfioctl_group_n_devices(group) == 1 ? "" : "s");
        for (size_t i = 0; i < vfioctl_group_n_devices(group); i++)
                print_member(vfioctl_group_device_at(group, i), dev);
        print_cost(cli, host, group, dev);
        print_sriov_cost(host, dev);
        return EXIT_OK;
}

static json_t *hex_json(unsigned v, int width)
{
        return json_sprintf("0x%0*x", width, v);
}

static json_t *reset_json(struct cli *cli, vfioctl_host *host, vfioctl_device *dev)
{
        _cleanup_free_ vfioctl_device **reach = NULL;
        json_t *o = json_object(), *methods = json_array(), *bus;
        const char *m = NULL;
        bool flr = false;
        size_t n = 0;

        if (vfioctl_device_get_reset(dev, &m, &flr) < 0) {
                json_object_set_new(o, "error", json_string(cli_errmsg(cli)));
                m = NULL;
        }
        for (const char *p = m; p && *p;) {
                size_t w = strcspn(p, " ");
                if (w)
                        json_array_append_new(methods, json_stringn(p, w));
                p += w;
                p += strspn(p, " ");
        }
        json_object_set_new(o, "methods", methods);
        json_object_set_new(o, "flr", json_boolean(flr));
        json_object_set_new(o, "none", json_boolean(!has_reset(dev)));
        if (bus_reset_reach(host, dev, &reach, &n)) {
                bus = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(bus, json_string(vfioctl_device_get_address(reach[i])));
        } else
                bus = json_null();
        json_object_set_new(o, "bus_reset_reaches", bus);
        return o;
}

static int show_json(struct cli *cli, vfioctl_host *host, vfioctl_device *dev, vfioctl_group *group)
{
        json_t *doc = json_object(), *d = device_json(cli, dev);
        json_t *leave = json_array(), *fine = json_array(), *vfs = json_array();
        const struct vfioctl_pci_addr *vf_addrs = NULL;
        struct vfioctl_pci_addr pf;
        char buf[VFIOCTL_PCI_ADDR_MAX];
        const char *override = NULL;
        unsigned total = 0, num = 0;
        size_t n_vfs = 0;
        bool is_vf = false;
        int node = -1, r;

        if (vfioctl_device_get_driver_override(dev, &override) < 0)
                json_object_set_new(d, "details_error", json_string(cli_errmsg(cli)));
        (void) vfioctl_device_get_numa_node(dev, &node);
        (void) vfioctl_device_get_sriov(dev, &total, &num);
        if (total > 0 && vfioctl_device_get_virtfns(dev, &vf_addrs, &n_vfs) < 0)
                n_vfs = 0;
        for (size_t i = 0; i < n_vfs; i++)
                json_array_append_new(vfs, json_string(vfioctl_pci_addr_format(&vf_addrs[i], buf)));
        if (vfioctl_device_get_physfn(dev, &pf, &is_vf) < 0)
                is_vf = false;
        json_object_set_new(d, "revision", hex_json(vfioctl_device_get_revision(dev), 2));
        json_object_set_new(d, "subsystem_vendor",
                            hex_json(vfioctl_device_get_subsys_vendor_id(dev), 4));
        json_object_set_new(d, "subsystem_device",
                            hex_json(vfioctl_device_get_subsys_device_id(dev), 4));
        json_object_set_new(d, "driver_override", override ? json_string(override) : json_null());
        json_object_set_new(d, "numa_node", json_integer(node));
        json_object_set_new(d, "sriov_totalvfs", json_integer(total));
        json_object_set_new(d, "sriov_numvfs", json_integer(num));
        json_object_set_new(d, "vfs", vfs);
        json_object_set_new(d, "reset", reset_json(cli, host, dev));
        json_object_set_new(d, "uses", usage_json(dev));
        json_object_set_new(doc, "iommu", json_boolean(vfioctl_host_has_iommu(host)));
        json_object_set_new(doc, "device", d);
        if (group) {
                json_t *g = json_object(), *members = json_array();
                json_object_set_new(g, "group", json_integer(vfioctl_group_get_number(group)));
                const char *owner = group_owner(cli, (int) vfioctl_group_get_number(group));

                json_object_set_new(g, "viable", json_boolean(vfioctl_group_is_viable(group)));
                json_object_set_new(g, "owner", owner ? json_string(owner) : json_null());
                for (size_t i = 0; i < vfioctl_group_n_devices(group); i++) {
                        vfioctl_device *m = vfioctl_group_device_at(group, i);
                        json_t *mj = device_json(cli, m);
                        json_object_set_new(mj, "uses", usage_json(m));
                        json_array_append_new(members, mj);
                        if (m == dev)
                                continue;
                        json_array_append_new(must_leave(m, dev) ? leave : fine,
                                              json_string(vfioctl_device_get_address(m)));
                }
                json_object_set_new(g, "devices", members);
                json_object_set_new(doc, "group", g);
        } else
                json_object_set_new(doc, "group", json_null());
        if (total > 0) {
                /* Rule 10: a PF's VFs, each with why it leaves or stands in the way. */
                enum vfioctl_sriov_verdict v;
                vfioctl_report *sr = sriov_cost(host, dev, &v);
                json_t *leaving = json_array();

                for (size_t i = 0; sr && i < vfioctl_report_n_entries(sr); i++) {
                        const struct vfioctl_report_entry *e = vfioctl_report_entry_at(sr, i);
                        json_array_append_new(leaving, json_pack("{s:s, s:s}", "address", e->address,
                                                             "detail", e->detail));
                }
                json_object_set_new(doc, "sriov_vfs_leave", leaving);
                json_object_set_new(doc, "sriov_verdict",
                                    json_string(v == VFIOCTL_SRIOV_VFS_BUSY    ? "refused"
                                                : v == VFIOCTL_SRIOV_VFS_LEAVE ? "force"
                                                                               : "none"));
                vfioctl_report_free(sr);
        }
        json_object_set_new(doc, "must_leave_host", leave);
        json_object_set_new(doc, "already_fine", fine);
        json_object_set_new(doc, "host_depends_on", json_boolean(host_depends_on(dev)));
        r = json_print(doc);
        json_decref(doc);
        return r < 0 ? EXIT_ATTENTION : EXIT_OK;
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
        _cleanup_(vfioctl_host_unrefp) vfioctl_host *host = NULL;
        struct vfioctl_pci_addr addr;
        vfioctl_device *dev;
        vfioctl_group *group = NULL;
        int c, r;

        while ((c = cli_getopt(cli, argc, argv, "", NULL)) >= 0)
                return EXIT_USAGE;
        if (optind + 1 != argc)
                return usage_error("show", "'show' takes exactly one device address");
        if (parse_device_arg(argv[optind], &addr) < 0)
                return EXIT_USAGE;

        r = vfioctl_host_new(cli->ctx, &host);
        if (r < 0)
                return lib_error(cli, r, EXIT_USAGE, "reading the host");
        cli->res_host = host;
        r = vfioctl_host_get_device(host, &addr, &dev);
        if (r == -ENODEV)
                return lib_error(cli, r, EXIT_USAGE, "looking up the device");
        if (r < 0)
                return lib_error(cli, r, EXIT_ATTENTION, "looking up the device");
        if (vfioctl_device_get_group_number(dev) >= 0) {
                r = vfioctl_host_get_group(host, (unsigned) vfioctl_device_get_group_number(dev),
                                           &group);
                if (r < 0)
                        return lib_error(cli, r, EXIT_ATTENTION, "reading the IOMMU group");
        }
        return cli->json ? show_json(cli, host, dev, group) : show_text(cli, host, dev, group);
}
