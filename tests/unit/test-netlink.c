/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule 10, VF MAC and VLAN by netlink (lib/netlink.c): the RTM_SETLINK
 * message libvirt sends, byte for byte, and one round trip to the kernel in
 * a network namespace this test makes for itself (unshare), never on this
 * machine's own interfaces.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static struct nlattr *only_child(const struct nlattr *nest, uint16_t type)
{
        struct nlattr *a, *found = NULL;
        int n = 0;

        mnl_attr_for_each_nested(a, nest) {
                n++;
                if (mnl_attr_get_type(a) == type)
                        found = a;
        }
        assert_int_equal(n, 1);
        assert_non_null(found);
        return found;
}

static void test_message(void **state)
{
        char buf[8192];
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;
        struct nlattr *a, *list = NULL, *info, *vmac = NULL, *vvlan = NULL;
        const struct ifla_vf_mac *m;
        const struct ifla_vf_vlan *v;

        assert_int_equal(netlink_vf_msg(buf, sizeof(buf), 7, 3, mac, 42, 99, &nlh), 0);
        assert_int_equal(nlh->nlmsg_type, RTM_SETLINK);
        assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
        assert_int_equal(nlh->nlmsg_seq, 99);
        /* header 16 + ifinfomsg 16 + list 4 + info 4 + MAC 4+36 + VLAN 4+12 */
        assert_int_equal(nlh->nlmsg_len, 96);
        ifi = mnl_nlmsg_get_payload(nlh);
        assert_int_equal(ifi->ifi_family, AF_UNSPEC);
        assert_int_equal(ifi->ifi_index, 7);

        mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
                assert_int_equal(mnl_attr_get_type(a), IFLA_VFINFO_LIST);
                list = a;
        }
        assert_non_null(list);
        info = only_child(list, IFLA_VF_INFO);
        mnl_attr_for_each_nested(a, info) {
                if (mnl_attr_get_type(a) == IFLA_VF_MAC)
                        vmac = a;
                else if (mnl_attr_get_type(a) == IFLA_VF_VLAN)
                        vvlan = a;
                else
                        fail_msg("unexpected attribute %u", mnl_attr_get_type(a));
        }
        assert_non_null(vmac);
        assert_non_null(vvlan);
        assert_int_equal(mnl_attr_get_payload_len(vmac), sizeof(struct ifla_vf_mac));
        m = mnl_attr_get_payload(vmac);
        assert_int_equal(m->vf, 3);
        assert_memory_equal(m->mac, mac, 6);
        assert_int_equal(mnl_attr_get_payload_len(vvlan), sizeof(struct ifla_vf_vlan));
        v = mnl_attr_get_payload(vvlan);
        assert_int_equal(v->vf, 3);
        assert_int_equal(v->vlan, 42);
        assert_int_equal(v->qos, 0);
}

static void test_message_parts(void **state)
{
        char buf[8192];
        struct nlmsghdr *nlh;

        /* MAC only (no <vlan>), VLAN only (no <mac>), VLAN 0 clears the tag. */
        assert_int_equal(netlink_vf_msg(buf, sizeof(buf), 2, 0, mac, -1, 1, &nlh), 0);
        assert_int_equal(nlh->nlmsg_len, 80);
        assert_int_equal(netlink_vf_msg(buf, sizeof(buf), 2, 0, NULL, 0, 1, &nlh), 0);
        assert_int_equal(nlh->nlmsg_len, 56);
        assert_int_equal(netlink_vf_msg(buf, sizeof(buf), 2, 0, NULL, -1, 1, &nlh), -EINVAL);
        assert_int_equal(netlink_vf_msg(buf, sizeof(buf), 2, 0, mac, 4096, 1, &nlh), -EINVAL);
        assert_int_equal(netlink_vf_msg(buf, sizeof(buf), 0, 0, mac, 1, 1, &nlh), -EINVAL);
}

static void test_parse_mac(void **state)
{
        uint8_t m[6];

        assert_int_equal(netlink_parse_mac("52:54:00:12:34:56", m), 0);
        assert_memory_equal(m, mac, 6);
        assert_int_equal(netlink_parse_mac("52:54:00:12:34", m), -EINVAL);
        assert_int_equal(netlink_parse_mac("52:54:00:12:34:56:78", m), -EINVAL);
        assert_int_equal(netlink_parse_mac("52-54-00-12-34-56", m), -EINVAL);
}

static void test_getlink_message(void **state)
{
        char buf[256];
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;
        struct nlattr *a;
        int n = 0;

        assert_int_equal(netlink_getlink_msg(buf, sizeof(buf), 5, 77, &nlh), 0);
        assert_int_equal(nlh->nlmsg_type, RTM_GETLINK);
        assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST);
        assert_int_equal(nlh->nlmsg_seq, 77);
        /* header 16 + ifinfomsg 16 + IFLA_EXT_MASK 4+4 */
        assert_int_equal(nlh->nlmsg_len, 40);
        ifi = mnl_nlmsg_get_payload(nlh);
        assert_int_equal(ifi->ifi_index, 5);
        mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
                assert_int_equal(mnl_attr_get_type(a), IFLA_EXT_MASK);
                assert_int_equal(mnl_attr_get_u32(a), RTEXT_FILTER_VF);
                n++;
        }
        assert_int_equal(n, 1);
        assert_int_equal(netlink_getlink_msg(buf, sizeof(buf), 0, 1, &nlh), -EINVAL);
}

/* An RTM_NEWLINK as the kernel answers with RTEXT_FILTER_VF: n VFs, VF i on vlan 10 + i. */
static struct nlmsghdr *newlink(char *buf, unsigned n, bool with_vlan)
{
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifinfomsg *ifi;
        struct nlattr *list;

        nlh->nlmsg_type = RTM_NEWLINK;
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        ifi->ifi_index = 5;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth5");
        mnl_attr_put_u32(nlh, IFLA_NUM_VF, n);
        list = mnl_attr_nest_start(nlh, IFLA_VFINFO_LIST);
        for (unsigned i = 0; i < n; i++) {
                struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_VF_INFO);
                struct ifla_vf_mac m = { .vf = i, .mac = { 0x02, 0, 0, 0, 0, (uint8_t) i } };
                struct ifla_vf_vlan v = { .vf = i, .vlan = 10 + i };
                struct ifla_vf_spoofchk sc = { .vf = i, .setting = 1 };

                mnl_attr_put(nlh, IFLA_VF_MAC, sizeof(m), &m);
                if (with_vlan)
                        mnl_attr_put(nlh, IFLA_VF_VLAN, sizeof(v), &v);
                mnl_attr_put(nlh, IFLA_VF_SPOOFCHK, sizeof(sc), &sc);
                mnl_attr_nest_end(nlh, info);
        }
        mnl_attr_nest_end(nlh, list);
        return nlh;
}

static void test_vf_parse(void **state)
{
        static char buf[16384];
        uint8_t m[6], want[6] = { 0x02, 0, 0, 0, 0, 3 };
        int vlan = -1;

        memset(buf, 0, sizeof(buf));
        assert_int_equal(netlink_vf_parse(newlink(buf, 8, true), 3, m, &vlan), 0);
        assert_memory_equal(m, want, 6);
        assert_int_equal(vlan, 13);
        /* No such VF, or no VF list at all (a NIC without SR-IOV, lo). */
        assert_int_equal(netlink_vf_parse(newlink(buf, 8, true), 8, m, &vlan), -ENXIO);
        assert_int_equal(netlink_vf_parse(newlink(buf, 0, true), 0, m, &vlan), -ENXIO);
        /* A driver that gives no VLAN: untagged. */
        assert_int_equal(netlink_vf_parse(newlink(buf, 2, false), 1, m, &vlan), 0);
        assert_int_equal(vlan, 0);
        /* Not an RTM_NEWLINK. */
        ((struct nlmsghdr *) buf)->nlmsg_type = NLMSG_ERROR;
        assert_int_equal(netlink_vf_parse((struct nlmsghdr *) buf, 0, m, &vlan), -EBADMSG);
}

/* The kernel's answer, in a namespace of our own: lo has no VFs. */
static void test_kernel_round_trip(void **state)
{
        vfioctl_ctx *ctx = NULL;

        if (unshare(CLONE_NEWNET) < 0)
                skip(); /* not root: no namespace to try it in */
        assert_int_equal(vfioctl_ctx_new(NULL, &ctx), 0);
        assert_int_equal(netlink_vf_set(ctx, "lo", 0, mac, 42), -EOPNOTSUPP);
        assert_non_null(strstr(vfioctl_ctx_errmsg(ctx), "setting VF 0 of lo"));
        assert_int_equal(netlink_vf_set(ctx, "nosuch0", 0, mac, 42), -ENODEV);
        {
                uint8_t m[6];
                int vlan;

                /* RTM_GETLINK with RTEXT_FILTER_VF: the kernel answers, and lists no VF. */
                assert_int_equal(netlink_vf_get(ctx, "lo", 0, m, &vlan), -ENXIO);
                assert_non_null(strstr(vfioctl_ctx_errmsg(ctx), "lo reports no VF 0"));
                assert_int_equal(netlink_vf_get(ctx, "nosuch0", 0, m, &vlan), -ENODEV);
        }
        vfioctl_ctx_unref(ctx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_message),
                cmocka_unit_test(test_message_parts),
                cmocka_unit_test(test_parse_mac),
                cmocka_unit_test(test_getlink_message),
                cmocka_unit_test(test_vf_parse),
                cmocka_unit_test(test_kernel_round_trip),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
