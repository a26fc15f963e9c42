/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VF's MAC address and VLAN, set through its PF by rtnetlink (DESIGN §3
 * rule 10), as libvirt does (virNetDevSetVfConfig): one RTM_SETLINK on
 * the PF's interface carrying IFLA_VFINFO_LIST > IFLA_VF_INFO with
 * IFLA_VF_MAC and IFLA_VF_VLAN, built with libmnl.
 *
 * What a VF has now is read the way `ip link show PF` reads it: one
 * RTM_GETLINK with IFLA_EXT_MASK RTEXT_FILTER_VF, whose answer carries an
 * IFLA_VF_INFO per VF.
 *
 * Messages are built and parsed apart from sending them, so that they are
 * unit-tested byte for byte; sending opens a NETLINK_ROUTE socket in the
 * caller's network namespace (tests run it in one they made with
 * unshare -n, never against this machine's interfaces; vfnet.c sends
 * nothing unless the root is the real one).
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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

int netlink_getlink_msg(void *buf, size_t size, int ifindex, uint32_t seq, struct nlmsghdr **ret)
{
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;

        if (!buf || size < 64 || ifindex <= 0)
                return -EINVAL;
        memset(buf, 0, size);
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_GETLINK;
        nlh->nlmsg_flags = NLM_F_REQUEST;
        nlh->nlmsg_seq = seq;
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_VF);
        *ret = nlh;
        return 0;
}

/* One IFLA_VF_INFO: 1 when it is VF vf's (and *mac, *vlan filled). */
static int vf_info_parse(const struct nlattr *info, unsigned vf, uint8_t mac[6], int *vlan)
{
        const struct ifla_vf_mac *m = NULL;
        const struct ifla_vf_vlan *v = NULL;
        const struct nlattr *a;

        mnl_attr_for_each_nested(a, info) {
                if (mnl_attr_get_type(a) == IFLA_VF_MAC &&
                    mnl_attr_get_payload_len(a) >= sizeof(*m))
                        m = mnl_attr_get_payload(a);
                else if (mnl_attr_get_type(a) == IFLA_VF_VLAN &&
                         mnl_attr_get_payload_len(a) >= sizeof(*v))
                        v = mnl_attr_get_payload(a);
        }
        if (!m || m->vf != vf)
                return 0;
        memcpy(mac, m->mac, 6);
        /* A driver without VLAN support answers no IFLA_VF_VLAN: untagged. */
        *vlan = v && v->vf == vf ? (int) v->vlan : 0;
        return 1;
}

int netlink_vf_parse(const struct nlmsghdr *nlh, unsigned vf, uint8_t mac[6], int *vlan)
{
        const struct nlattr *a, *info;

        if (!nlh || nlh->nlmsg_type != RTM_NEWLINK ||
            nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifinfomsg)))
                return -EBADMSG;
        mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg)) {
                if (mnl_attr_get_type(a) != IFLA_VFINFO_LIST)
                        continue;
                mnl_attr_for_each_nested(info, a)
                        if (mnl_attr_get_type(info) == IFLA_VF_INFO &&
                            vf_info_parse(info, vf, mac, vlan))
                                return 0;
        }
        return -ENXIO;
}

static int nl_open(vfioctl_ctx *ctx, struct mnl_socket **ret)
{
        struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        int r;

        if (!nl)
                return ctx_error(ctx, negative_errno(), "netlink: %m");
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                r = negative_errno();
                mnl_socket_close(nl);
                return ctx_error(ctx, r, "netlink: %s", strerror(-r));
        }
        *ret = nl;
        return 0;
}

/* The answer to a request, as large as the kernel made it (a PF with many VFs). */
static int nl_recv(struct mnl_socket *nl, void **ret, size_t *ret_n)
{
        char peek[16];
        ssize_t n;
        void *buf;

        n = recv(mnl_socket_get_fd(nl), peek, sizeof(peek), MSG_PEEK | MSG_TRUNC);
        if (n < 0)
                return negative_errno();
        buf = malloc((size_t) n + 1);
        if (!buf)
                return -ENOMEM;
        n = mnl_socket_recvfrom(nl, buf, (size_t) n + 1);
        if (n < 0) {
                n = negative_errno();
                free(buf);
                return (int) n;
        }
        *ret = buf;
        *ret_n = (size_t) n;
        return 0;
}

static int vf_answer(const struct nlmsghdr *nlh, void *data)
{
        struct { unsigned vf; uint8_t *mac; int *vlan; int r; } *q = data;

        q->r = netlink_vf_parse(nlh, q->vf, q->mac, q->vlan);
        return MNL_CB_OK;
}

int netlink_vf_get(vfioctl_ctx *ctx, const char *pf_ifname, unsigned vf, uint8_t mac[6],
                   int *vlan)
{
        char req[256];
        _cleanup_free_ void *buf = NULL;
        struct mnl_socket *nl = NULL;
        struct nlmsghdr *nlh;
        struct { unsigned vf; uint8_t *mac; int *vlan; int r; } q = { vf, mac, vlan, -EBADMSG };
        uint32_t seq = (uint32_t) time(NULL);
        unsigned ifindex;
        size_t n = 0;
        int r;

        ifindex = if_nametoindex(pf_ifname);
        if (ifindex == 0)
                return ctx_error(ctx, -ENODEV, "no network interface %s for the PF", pf_ifname);
        r = netlink_getlink_msg(req, sizeof(req), (int) ifindex, seq, &nlh);
        if (r < 0)
                return r;
        r = nl_open(ctx, &nl);
        if (r < 0)
                return r;
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                r = negative_errno();
        if (r >= 0)
                r = nl_recv(nl, &buf, &n);
        if (r >= 0) {
                r = mnl_cb_run(buf, n, seq, mnl_socket_get_portid(nl), vf_answer, &q);
                r = r < 0 ? negative_errno() : q.r;
        }
        mnl_socket_close(nl);
        if (r == -ENXIO)
                return ctx_error(ctx, r, "%s reports no VF %u (its driver gives no VF settings, "
                                         "or SR-IOV is off)",
                                 pf_ifname, vf);
        if (r < 0)
                return ctx_error(ctx, r, "reading VF %u of %s (MAC, VLAN) failed: %s", vf,
                                 pf_ifname, strerror(-r));
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
        r = nl_open(ctx, &nl);
        if (r < 0)
                return r;
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
