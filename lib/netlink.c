/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VF's MAC address and VLAN, set through its PF by rtnetlink (DESIGN §3
 * rule 10), as libvirt does (virNetDevSetVfConfig): one RTM_SETLINK on
 * the PF's interface carrying IFLA_VFINFO_LIST > IFLA_VF_INFO with
 * IFLA_VF_MAC and IFLA_VF_VLAN, built with libmnl.
 *
 * The message is built apart from sending it, so that it is unit-tested
 * byte for byte; sending opens a NETLINK_ROUTE socket in the caller's
 * network namespace (tests run it in one they made with unshare -n, never
 * against this machine's interfaces).
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Room for one request and the kernel's answer (libmnl's MNL_SOCKET_BUFFER_SIZE is a page). */
#define NL_BUF_SIZE 8192

int netlink_vf_msg(void *buf, size_t size, int pf_ifindex, unsigned vf, const uint8_t *mac,
                   int vlan, uint32_t seq, struct nlmsghdr **ret)
{
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;
        struct nlattr *list, *info;

        if (!buf || size < 256 || pf_ifindex <= 0 || (!mac && vlan < 0) ||
            vlan > 4095)
                return -EINVAL;
        memset(buf, 0, size);
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_SETLINK;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
        nlh->nlmsg_seq = seq;
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = pf_ifindex;

        list = mnl_attr_nest_start(nlh, IFLA_VFINFO_LIST);
        info = mnl_attr_nest_start(nlh, IFLA_VF_INFO);
        if (mac) {
                struct ifla_vf_mac m = { .vf = vf };

                memcpy(m.mac, mac, 6);
                mnl_attr_put(nlh, IFLA_VF_MAC, sizeof(m), &m);
        }
        if (vlan >= 0) {
                struct ifla_vf_vlan v = { .vf = vf, .vlan = (uint32_t) vlan, .qos = 0 };

                mnl_attr_put(nlh, IFLA_VF_VLAN, sizeof(v), &v);
        }
        mnl_attr_nest_end(nlh, info);
        mnl_attr_nest_end(nlh, list);
        *ret = nlh;
        return 0;
}

int netlink_parse_mac(const char *s, uint8_t mac[6])
{
        unsigned v[6];
        int n = -1;

        if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &n) != 6 ||
            n != 17 || s[n])
                return -EINVAL;
        for (int i = 0; i < 6; i++)
                mac[i] = (uint8_t) v[i];
        return 0;
}

int netlink_vf_set(vfioctl_ctx *ctx, const char *pf_ifname, unsigned vf, const uint8_t *mac,
                   int vlan)
{
        char buf[NL_BUF_SIZE];
        struct mnl_socket *nl;
        struct nlmsghdr *nlh;
        uint32_t seq = (uint32_t) time(NULL), portid;
        unsigned ifindex;
        ssize_t n;
        int r;

        ifindex = if_nametoindex(pf_ifname);
        if (ifindex == 0)
                return ctx_error(ctx, -ENODEV, "no network interface %s for the PF", pf_ifname);
        r = netlink_vf_msg(buf, sizeof(buf), (int) ifindex, vf, mac, vlan, seq, &nlh);
        if (r < 0)
                return r;
        nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!nl)
                return ctx_error(ctx, negative_errno(), "netlink: %m");
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                r = negative_errno();
                mnl_socket_close(nl);
                return ctx_error(ctx, r, "netlink: %s", strerror(-r));
        }
        portid = mnl_socket_get_portid(nl);
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
                r = negative_errno();
                mnl_socket_close(nl);
                return ctx_error(ctx, r, "netlink: %s", strerror(-r));
        }
        n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
        r = n < 0 ? negative_errno() : mnl_cb_run(buf, (size_t) n, seq, portid, NULL, NULL);
        if (r < 0 && n >= 0)
                r = negative_errno(); /* mnl_cb_run leaves the kernel's answer in errno */
        mnl_socket_close(nl);
        if (r < 0)
                return ctx_error(ctx, r, "setting VF %u of %s (MAC, VLAN) failed: %s", vf,
                                 pf_ifname, strerror(-r));
        return 0;
}
