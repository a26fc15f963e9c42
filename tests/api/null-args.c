/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every public function of <vfioctl.h> called with NULL handles and NULL
 * out-parameters (DESIGN §6, sd-device's assert_return): none may crash,
 * and each gives what the header promises: -EINVAL from functions that
 * return an errno, NULL/0/false/-1 from getters, nothing from a void
 * function. With ROOT (a simulated host with DEVICE) the same again with
 * real handles and only the out-parameters or the index wrong.
 *
 * usage: null-args [ROOT DEVICE]; prints each failed expectation and
 * exits 1 on any, 0 otherwise. t-api.sh checks that this file calls every
 * function the header declares.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <vfioctl.h>

static int failed, checked;

static void expect_long(const char *what, long got, long want)
{
        checked++;
        if (got != want) {
                failed++;
                fprintf(stderr, "%s: got %ld, want %ld\n", what, got, want);
        }
}

static void expect_ptr(const char *what, const void *got, const void *want)
{
        checked++;
        if (got != want) {
                failed++;
                fprintf(stderr, "%s: got %p, want %p\n", what, got, want);
        }
}

static void expect_str(const char *what, const char *got, const char *want)
{
        checked++;
        if (!got || strcmp(got, want) != 0) {
                failed++;
                fprintf(stderr, "%s: got '%s', want '%s'\n", what, got ? got : "(null)", want);
        }
}

#define INT(call, want) expect_long(#call, (long) (call), (long) (want))
#define EINVAL_(call) INT(call, -EINVAL)
#define NUL(call) expect_ptr(#call, (const void *) (call), NULL)
#define VOID(call) \
        do {       \
                call; \
                checked++; \
        } while (0)

static void null_handles(void)
{
        struct vfioctl_pci_addr a = { 0 }, *addrs = NULL;
        const struct vfioctl_pci_addr *caddrs = NULL;
        const struct vfioctl_netif *nifs = NULL;
        const struct vfioctl_blockdev *bdevs = NULL;
        struct vfioctl_interface *ifs = NULL;
        struct vfioctl_state_device *rows = NULL;
        vfioctl_journal *journal = NULL;
        enum vfioctl_sriov_verdict verdict;
        char buf[VFIOCTL_PCI_ADDR_MAX], why[64], **args = NULL, *xml = NULL;
        const char *s = NULL;
        unsigned u = 0;
        size_t n = 0;
        int i = 0;
        bool b = false;

        /* PCI addresses */
        EINVAL_(vfioctl_pci_addr_parse(NULL, &a));
        EINVAL_(vfioctl_pci_addr_parse("0000:00:00.0", NULL));
        NUL(vfioctl_pci_addr_format(NULL, buf));
        NUL(vfioctl_pci_addr_format(&a, NULL));
        INT(vfioctl_pci_addr_compare(NULL, NULL), 0);
        INT(vfioctl_pci_addr_compare(NULL, &a), -1);
        INT(vfioctl_pci_addr_compare(&a, NULL), 1);

        /* Context */
        EINVAL_(vfioctl_ctx_new("/", NULL));
        NUL(vfioctl_ctx_ref(NULL));
        NUL(vfioctl_ctx_unref(NULL));
        NUL(vfioctl_ctx_get_root(NULL));
        expect_str("vfioctl_ctx_errmsg(NULL)", vfioctl_ctx_errmsg(NULL), "");
        INT(vfioctl_ctx_get_reason(NULL), VFIOCTL_REASON_NONE);
        NUL(vfioctl_ctx_get_reason_subject(NULL));
        VOID(vfioctl_ctx_set_log_fn(NULL, NULL, NULL));
        VOID(vfioctl_ctx_set_log_priority(NULL, 7));
        VOID(vfioctl_ctx_set_dry_run(NULL, NULL, NULL));
        INT(vfioctl_ctx_is_dry_run(NULL), false);
        VOID(vfioctl_ctx_set_progress_fn(NULL, NULL, NULL));
        VOID(vfioctl_ctx_interrupt(NULL));
        INT(vfioctl_ctx_is_interrupted(NULL), false);

        /* Host */
        EINVAL_(vfioctl_host_new(NULL, NULL));
        NUL(vfioctl_host_ref(NULL));
        NUL(vfioctl_host_unref(NULL));
        NUL(vfioctl_host_get_ctx(NULL));
        INT(vfioctl_host_has_iommu(NULL), false);
        EINVAL_(vfioctl_host_scan(NULL));
        INT(vfioctl_host_n_devices(NULL), 0);
        NUL(vfioctl_host_device_at(NULL, 0));
        INT(vfioctl_host_n_groups(NULL), 0);
        NUL(vfioctl_host_group_at(NULL, 0));
        EINVAL_(vfioctl_host_get_device(NULL, &a, NULL));
        EINVAL_(vfioctl_host_get_group(NULL, 0, NULL));
        VOID(vfioctl_host_invalidate(NULL));
        EINVAL_(vfioctl_host_resolve_device(NULL, "01:00.0", &addrs, &n));
        EINVAL_(vfioctl_host_get_interfaces(NULL, &ifs, &n));

        /* Device */
        NUL(vfioctl_device_ref(NULL));
        NUL(vfioctl_device_unref(NULL));
        NUL(vfioctl_device_get_addr(NULL));
        NUL(vfioctl_device_get_address(NULL));
        EINVAL_(vfioctl_device_get_error(NULL, &s));
        INT(vfioctl_device_get_vendor_id(NULL), 0);
        INT(vfioctl_device_get_device_id(NULL), 0);
        INT(vfioctl_device_get_subsys_vendor_id(NULL), 0);
        INT(vfioctl_device_get_subsys_device_id(NULL), 0);
        INT(vfioctl_device_get_class(NULL), 0);
        INT(vfioctl_device_get_revision(NULL), 0);
        INT(vfioctl_device_get_header_type(NULL), 0);
        INT(vfioctl_device_is_multifunction(NULL), false);
        INT(vfioctl_device_is_bridge(NULL), false);
        INT(vfioctl_device_is_plumbing(NULL), false);
        NUL(vfioctl_device_get_class_word(NULL));
        NUL(vfioctl_device_get_vendor_name(NULL));
        NUL(vfioctl_device_get_device_name(NULL));
        NUL(vfioctl_device_get_driver(NULL));
        INT(vfioctl_device_get_group_number(NULL), -1);
        INT(vfioctl_device_is_on_stub(NULL), false);
        INT(vfioctl_device_is_on_vfio(NULL), false);
        INT(vfioctl_device_is_viable_member(NULL), false);
        EINVAL_(vfioctl_device_get_driver_override(NULL, &s));
        EINVAL_(vfioctl_device_get_numa_node(NULL, &i));
        EINVAL_(vfioctl_device_get_boot_vga(NULL, &b));
        EINVAL_(vfioctl_device_get_sriov(NULL, &u, &u));
        EINVAL_(vfioctl_device_get_physfn(NULL, &a, &b));
        EINVAL_(vfioctl_device_get_reset(NULL, &s, &b));
        EINVAL_(vfioctl_device_get_virtfns(NULL, &caddrs, &n));
        EINVAL_(vfioctl_device_get_parent_pf(NULL, &a));
        EINVAL_(vfioctl_device_get_netifs(NULL, &nifs, &n));
        EINVAL_(vfioctl_device_get_blockdevs(NULL, &bdevs, &n));
        EINVAL_(vfioctl_device_get_console_bound(NULL, &b));
        EINVAL_(vfioctl_device_check_host_use(NULL, NULL));

        /* Group */
        NUL(vfioctl_group_ref(NULL));
        NUL(vfioctl_group_unref(NULL));
        INT(vfioctl_group_get_number(NULL), 0);
        INT(vfioctl_group_n_devices(NULL), 0);
        NUL(vfioctl_group_device_at(NULL, 0));
        INT(vfioctl_group_is_viable(NULL), false);

        /* Guest definitions */
        EINVAL_(vfioctl_guest_def_new_from_file(NULL, "x.xml", "g", 0, NULL));
        EINVAL_(vfioctl_guest_def_new_from_string(NULL, "<domain/>", "g", 0, NULL));
        NUL(vfioctl_guest_def_ref(NULL));
        NUL(vfioctl_guest_def_unref(NULL));
        NUL(vfioctl_guest_def_get_name(NULL));
        NUL(vfioctl_guest_def_get_machine(NULL));
        INT(vfioctl_guest_def_is_pcie(NULL), false);
        INT(vfioctl_guest_def_n_pci_controllers(NULL), 0);
        EINVAL_(vfioctl_guest_def_pci_controller_at(NULL, 0, &i, &s));
        INT(vfioctl_guest_def_n_skipped(NULL), 0);
        NUL(vfioctl_guest_def_skipped_at(NULL, 0));
        INT(vfioctl_guest_def_n_hostdevs(NULL), 0);
        NUL(vfioctl_guest_def_hostdev_at(NULL, 0));
        NUL(vfioctl_guest_def_find_hostdev(NULL, &a));
        EINVAL_(vfioctl_guest_def_resolve_network(NULL, 0, &a, true, VFIOCTL_GROUP_NONE));
        EINVAL_(vfioctl_guest_def_resolve_network_from_pool(NULL, 0, NULL, &a));
        EINVAL_(vfioctl_guest_def_ignore_network(NULL, 0));
        EINVAL_(vfioctl_guest_def_qemu_args(NULL, 0, &args));
        NUL(vfioctl_qemu_args_free(NULL));

        /* Hostdev entries */
        INT(vfioctl_guest_hostdev_get_kind(NULL), 0);
        INT(vfioctl_guest_hostdev_get_index(NULL), 0);
        INT(vfioctl_guest_hostdev_get_line(NULL), 0);
        NUL(vfioctl_guest_hostdev_get_element(NULL));
        NUL(vfioctl_guest_hostdev_get_addr(NULL));
        NUL(vfioctl_guest_hostdev_get_network(NULL));
        INT(vfioctl_guest_hostdev_is_resolved(NULL), false);
        INT(vfioctl_guest_hostdev_is_ignored(NULL), false);
        INT(vfioctl_guest_hostdev_is_managed(NULL), false);
        INT(vfioctl_guest_hostdev_get_driver(NULL), 0);
        NUL(vfioctl_guest_hostdev_get_driver_model(NULL));
        NUL(vfioctl_guest_hostdev_get_stub_driver(NULL));
        INT(vfioctl_guest_hostdev_get_group_mode(NULL), 0);
        INT(vfioctl_guest_hostdev_is_assigned(NULL), false);
        NUL(vfioctl_guest_hostdev_get_guest_addr(NULL));
        INT(vfioctl_guest_hostdev_get_multifunction(NULL), 0);
        INT(vfioctl_guest_hostdev_get_rom_bar(NULL), 0);
        NUL(vfioctl_guest_hostdev_get_rom_file(NULL));
        INT(vfioctl_guest_hostdev_is_rom_enabled(NULL), false);
        INT(vfioctl_guest_hostdev_get_boot_order(NULL), 0);
        NUL(vfioctl_guest_hostdev_get_alias(NULL));
        NUL(vfioctl_guest_hostdev_get_id(NULL));
        NUL(vfioctl_guest_hostdev_get_failover_pair(NULL));
        NUL(vfioctl_guest_hostdev_get_mac(NULL));

        /* Network definitions */
        EINVAL_(vfioctl_network_def_new_from_file(NULL, "n.xml", NULL));
        EINVAL_(vfioctl_network_def_new_from_string(NULL, "<network/>", NULL));
        NUL(vfioctl_network_def_ref(NULL));
        NUL(vfioctl_network_def_unref(NULL));
        NUL(vfioctl_network_def_get_name(NULL));
        INT(vfioctl_network_def_is_managed(NULL), false);
        INT(vfioctl_network_def_get_driver(NULL), 0);
        NUL(vfioctl_network_def_get_driver_model(NULL));
        INT(vfioctl_network_def_get_group_mode(NULL), 0);
        NUL(vfioctl_network_def_get_pf(NULL));
        INT(vfioctl_network_def_n_addrs(NULL), 0);
        NUL(vfioctl_network_def_addr_at(NULL, 0));

        /* State */
        EINVAL_(vfioctl_state_open(NULL, "/nonexistent", 0, NULL));
        NUL(vfioctl_state_ref(NULL));
        NUL(vfioctl_state_unref(NULL));
        NUL(vfioctl_state_get_dir(NULL));
        EINVAL_(vfioctl_state_lock(NULL, "x", 0));
        VOID(vfioctl_state_unlock(NULL));
        EINVAL_(vfioctl_state_get_devices(NULL, NULL, &rows, &n));
        VOID(vfioctl_state_devices_free(NULL, 0));
        EINVAL_(vfioctl_state_get_journal(NULL, &journal));
        NUL(vfioctl_journal_ref(NULL));
        NUL(vfioctl_journal_unref(NULL));
        INT(vfioctl_journal_n_ops(NULL), 0);
        NUL(vfioctl_journal_op_at(NULL, 0));
        INT(vfioctl_state_op_get_id(NULL), 0);
        NUL(vfioctl_state_op_get_kind(NULL));
        NUL(vfioctl_state_op_get_command(NULL));
        INT(vfioctl_state_op_get_pid(NULL), 0);
        INT(vfioctl_state_op_get_started_at(NULL), 0);
        INT(vfioctl_state_op_has_written(NULL), false);
        INT(vfioctl_state_op_n_changes(NULL), 0);
        EINVAL_(vfioctl_state_op_get_change(NULL, 0, &s, &s, &s));
        INT(vfioctl_state_op_n_steps(NULL), 0);
        EINVAL_(vfioctl_state_op_get_step(NULL, 0, &s, &s, &s, &s));

        /* Reports and operations */
        EINVAL_(vfioctl_report_new(NULL));
        NUL(vfioctl_report_free(NULL));
        INT(vfioctl_report_n_entries(NULL), 0);
        NUL(vfioctl_report_entry_at(NULL, 0));
        INT(vfioctl_report_get_outcome(NULL), VFIOCTL_OUTCOME_DONE);
        expect_str("vfioctl_stub_driver_name(NULL)", vfioctl_stub_driver_name(NULL), "vfio-pci");
        EINVAL_(vfioctl_detach(NULL, NULL, &a, 1, NULL, NULL));
        EINVAL_(vfioctl_reattach(NULL, NULL, &a, 1, NULL, NULL));
        EINVAL_(vfioctl_recover(NULL, NULL, 0, NULL));
        EINVAL_(vfioctl_sriov_pf_verdict(NULL, NULL, NULL, NULL, &verdict));
        EINVAL_(vfioctl_sriov_set_numvfs(NULL, NULL, &a, 0, NULL, NULL, NULL, NULL));

        /* Guests */
        EINVAL_(vfioctl_assign(NULL, NULL, "g", "<domain/>", NULL, NULL, NULL));
        EINVAL_(vfioctl_assign_def(NULL, NULL, NULL, NULL, NULL, NULL));
        EINVAL_(vfioctl_guest_xml_for_devices(&a, 1, 0, NULL));
        EINVAL_(vfioctl_guest_xml_for_devices(NULL, 1, 0, &xml));
        EINVAL_(vfioctl_release(NULL, NULL, "g", NULL, 0, NULL, NULL));
        EINVAL_(vfioctl_release_dead(NULL, NULL, NULL, NULL));
        EINVAL_(vfioctl_guest_load(NULL, "g", NULL));
        EINVAL_(vfioctl_guest_list(NULL, &args));
        NUL(vfioctl_guest_ref(NULL));
        NUL(vfioctl_guest_unref(NULL));
        NUL(vfioctl_guest_get_name(NULL));
        INT(vfioctl_guest_get_pid(NULL), 0);
        EINVAL_(vfioctl_guest_set_pid(NULL, "g", 1));
        INT(vfioctl_guest_is_alive(NULL), false);
        INT(vfioctl_guest_get_created_at(NULL), 0);
        NUL(vfioctl_guest_get_def(NULL));
        NUL(vfioctl_guest_get_definition(NULL));
        INT(vfioctl_guest_n_devices(NULL), 0);
        NUL(vfioctl_guest_device_at(NULL, 0));
        INT(vfioctl_guest_n_vf_nets(NULL), 0);
        NUL(vfioctl_guest_vf_net_at(NULL, 0));
        EINVAL_(vfioctl_guest_qemu_args(NULL, 0, &args));

        /* Reservations */
        EINVAL_(vfioctl_reservations_load(NULL, "/nonexistent", 0, NULL));
        NUL(vfioctl_reservations_ref(NULL));
        NUL(vfioctl_reservations_unref(NULL));
        NUL(vfioctl_reservations_get_path(NULL));
        INT(vfioctl_reservations_n(NULL), 0);
        NUL(vfioctl_reservations_at(NULL, 0));
        NUL(vfioctl_reservations_find(NULL, &a));
        EINVAL_(vfioctl_reservation_check(NULL, NULL, NULL, why, sizeof(why)));
        EINVAL_(vfioctl_reserve(NULL, NULL, &a, 1, NULL, NULL));
        EINVAL_(vfioctl_unreserve(NULL, &a, 1, NULL));
        EINVAL_(vfioctl_boot(NULL, NULL, NULL, &a, NULL, NULL));
}

/* Real handles, wrong out-parameters and indexes. */
static int real_handles(const char *root, const char *address)
{
        _vfioctl_cleanup_(vfioctl_ctx_unrefp) vfioctl_ctx *ctx = NULL;
        _vfioctl_cleanup_(vfioctl_host_unrefp) vfioctl_host *host = NULL;
        _vfioctl_cleanup_(vfioctl_report_freep) vfioctl_report *report = NULL;
        struct vfioctl_pci_addr a, *addrs = NULL;
        vfioctl_device *dev = NULL;
        vfioctl_group *group = NULL;
        bool b;
        size_t n;

        if (vfioctl_ctx_new(root, &ctx) < 0 || vfioctl_host_new(ctx, &host) < 0 ||
            vfioctl_pci_addr_parse(address, &a) < 0 || vfioctl_host_get_device(host, &a, &dev) < 0 ||
            vfioctl_host_get_group(host, (unsigned) vfioctl_device_get_group_number(dev), &group) < 0 ||
            vfioctl_report_new(&report) < 0) {
                fprintf(stderr, "%s %s: %s\n", root, address, vfioctl_ctx_errmsg(ctx));
                return -1;
        }
        EINVAL_(vfioctl_host_get_device(host, NULL, &dev));
        EINVAL_(vfioctl_host_get_device(host, &a, NULL));
        EINVAL_(vfioctl_host_get_group(host, 0, NULL));
        EINVAL_(vfioctl_host_resolve_device(host, NULL, &addrs, &n));
        EINVAL_(vfioctl_host_resolve_device(host, address, NULL, &n));
        EINVAL_(vfioctl_host_get_interfaces(host, NULL, &n));
        INT(vfioctl_host_scan(host), 0);
        NUL(vfioctl_host_device_at(host, vfioctl_host_n_devices(host)));
        NUL(vfioctl_host_group_at(host, vfioctl_host_n_groups(host)));
        NUL(vfioctl_group_device_at(group, vfioctl_group_n_devices(group)));
        NUL(vfioctl_report_entry_at(report, 0));

        EINVAL_(vfioctl_device_get_driver_override(dev, NULL));
        EINVAL_(vfioctl_device_get_numa_node(dev, NULL));
        EINVAL_(vfioctl_device_get_boot_vga(dev, NULL));
        EINVAL_(vfioctl_device_get_physfn(dev, NULL, NULL));
        EINVAL_(vfioctl_device_get_reset(dev, NULL, &b));
        EINVAL_(vfioctl_device_get_virtfns(dev, NULL, &n));
        EINVAL_(vfioctl_device_get_parent_pf(dev, NULL));
        EINVAL_(vfioctl_device_get_netifs(dev, NULL, &n));
        EINVAL_(vfioctl_device_get_blockdevs(dev, NULL, &n));
        EINVAL_(vfioctl_device_get_console_bound(dev, NULL));
        EINVAL_(vfioctl_sriov_pf_verdict(host, NULL, dev, NULL, NULL));

        /* An operation without a state, or with addresses missing. */
        EINVAL_(vfioctl_detach(host, NULL, &a, 1, NULL, report));
        EINVAL_(vfioctl_detach(host, NULL, NULL, 1, NULL, report));
        EINVAL_(vfioctl_reattach(host, NULL, &a, 1, NULL, report));
        EINVAL_(vfioctl_recover(host, NULL, 0, report));
        EINVAL_(vfioctl_assign(host, NULL, NULL, "<domain/>", NULL, report, NULL));
        EINVAL_(vfioctl_assign_def(host, NULL, NULL, NULL, report, NULL));
        EINVAL_(vfioctl_release(host, NULL, "g", NULL, 0, NULL, report));
        EINVAL_(vfioctl_release_dead(host, NULL, NULL, report));
        EINVAL_(vfioctl_sriov_set_numvfs(host, NULL, NULL, 0, NULL, NULL, NULL, report));
        EINVAL_(vfioctl_boot(host, NULL, NULL, &a, NULL, report));
        INT(vfioctl_report_n_entries(report), 0);

        /* A failure says what is wrong in the library's words; the reason
         * says which way out applies (the tool words the advice). */
        INT(vfioctl_ctx_get_reason(ctx), VFIOCTL_REASON_NONE);
        a.bus = 0xfe;
        INT(vfioctl_host_get_device(host, &a, &dev), -ENODEV);
        INT(vfioctl_ctx_get_reason(ctx), VFIOCTL_REASON_NO_DEVICE);
        expect_str("the message of a missing device", vfioctl_ctx_errmsg(ctx),
                   "no PCI device 0000:fe:00.0 on this host");
        return 0;
}

int main(int argc, char **argv)
{
        null_handles();
        if (argc == 3 && real_handles(argv[1], argv[2]) < 0)
                return 2;
        printf("%d checks, %d failed\n", checked, failed);
        return failed ? 1 : 0;
}
