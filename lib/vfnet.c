/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VF's MAC address and VLAN for a guest (DESIGN §3 rule 10), set through
 * its PF as libvirt does (virHostdevSetNetConfig, after the VF is on its
 * stub and before the guest gets it) and put back at release
 * (virHostdevRestoreNetConfig, before the VF goes back to the host).
 *
 * What the VF had before is read from the kernel and recorded in table
 * vf_net before the first change (the order of rule 2 for drivers), so
 * that release, a failed assign and recover can put it back whatever
 * happens in between; a row says 'intended' until the kernel took the
 * change, 'set' after.
 *
 * Netlink acts on the network namespace of the process, not on --root.
 * Under any root but this machine's own "/" the interfaces the tree names
 * are not the ones netlink would reach (a simulated host has none, or
 * this machine's of the same name), so nothing is sent: the step is
 * planned, reported and recorded as 'not_applied'.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <time.h>

#include "state.h"
#include "vfnet.h"
#include "hostdev.h"

void vfnet_plan_clear(struct vfnet_plan *plan)
{
        free(plan->e);
        *plan = (struct vfnet_plan) {};
}

/* Only this machine's own tree is reached by netlink (see above). */
static bool vfnet_can_send(vfioctl_ctx *ctx)
{
        return streq(vfioctl_ctx_get_root(ctx), "/");
}

static void mac_format(const uint8_t m[6], char out[18])
{
        snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* "mac 52:54:00:12:34:56, vlan 42" for the report; NULL when unknown. */
static char *settings_text(const char *mac, int vlan, char *buf, size_t size)
{
        if (vlan < 0)
                return NULL;
        if (*mac)
                snprintf(buf, size, "mac %s, vlan %d", mac, vlan);
        else
                snprintf(buf, size, "vlan %d", vlan);
        return buf;
}

/*
 * The PF's network interface and the VF's index on it (its virtfnN link);
 * 0 for a function that is no VF (nothing to set it through).
 */
static int find_pf(vfioctl_host *host, vfioctl_device *vf, const char *where,
                   struct vfioctl_vf_net *e)
{
        vfioctl_ctx *ctx = vfioctl_host_get_ctx(host);
        const struct vfioctl_pci_addr *vfs = NULL;
        const struct vfioctl_netif *nifs = NULL;
        struct vfioctl_pci_addr pfa;
        vfioctl_device *pf;
        char pfname[VFIOCTL_PCI_ADDR_MAX];
        size_t n = 0, n_nifs = 0, i;
        bool is_vf = false;
        int r;

        r = vfioctl_device_get_physfn(vf, &pfa, &is_vf);
        if (r < 0)
                return r;
        if (!is_vf)
                return 0;
        vfioctl_pci_addr_format(&pfa, pfname);
        r = vfioctl_host_get_device(host, &pfa, &pf);
        if (r < 0)
                return r;
        r = vfioctl_device_get_virtfns(pf, &vfs, &n);
        if (r < 0)
                return r;
        for (i = 0; i < n; i++)
                if (vfioctl_pci_addr_compare(&vfs[i], vfioctl_device_get_addr(vf)) == 0)
                        break;
        if (i == n)
                return ctx_error(ctx, -ENODEV, "%s: PF %s lists no virtfn link to %s", where,
                                 pfname, e->address);
        e->vf = (unsigned) i;
        r = vfioctl_device_get_netifs(pf, &nifs, &n_nifs);
        if (r < 0)
                return r;
        if (n_nifs == 0 || strlen(nifs[0].name) >= sizeof(e->pf))
                return ctx_error(ctx, -ENODEV,
                                 "%s: the MAC and VLAN of %s are set through its PF %s, which "
                                 "has no network interface (it is %s%s): bind the PF to its "
                                 "network driver first",
                                 where, e->address, pfname,
                                 vfioctl_device_get_driver(pf) ? "on " : "unbound",
                                 strempty(vfioctl_device_get_driver(pf)));
        /* A PF with several ports names the first, as libvirt's virPCIGetNetName. */
        snprintf(e->pf, sizeof(e->pf), "%s", nifs[0].name);
        return 1;
}

/*
 * A whole NIC (no VF) has no PF to set its settings through. libvirt
 * writes a <mac> into every interface it defines, and a NIC the guest
 * owns whole uses its own address, so a MAC alone is only noted; a VLAN
 * the guest would silently be without is refused.
 */
static int no_pf(vfioctl_ctx *ctx, vfioctl_guest_hostdev *h, const char *where,
                 const char *address, vfioctl_report *report)
{
        if (h->vlan >= 0)
                return ctx_error(ctx, -EINVAL,
                                 "%s: %s is not an SR-IOV VF: a <vlan> is set through a VF's "
                                 "PF, and only VFs have one; leave <vlan> out (the guest tags "
                                 "its own traffic on a whole NIC) or give the guest a VF",
                                 where, address);
        return report_add(report, address, VFIOCTL_ACTION_NOT_APPLIED, NULL, NULL,
                          "%s: <mac address='%s'> is not set: %s is not an SR-IOV VF, so there "
                          "is no PF to set it through, and the guest's driver uses the card's "
                          "own address",
                          where, h->mac, address);
}

/* What the VF has now, when netlink reaches it; unknown otherwise. */
static int read_original(vfioctl_ctx *ctx, const char *where, struct vfioctl_vf_net *e)
{
        uint8_t mac[6];
        int vlan, r;

        e->original_mac[0] = '\0';
        e->original_vlan = -1;
        if (!vfnet_can_send(ctx))
                return 0;
        r = netlink_vf_get(ctx, e->pf, e->vf, mac, &vlan);
        if (r < 0)
                return ctx_error(ctx, r, "%s: %s: %s", where, e->address, vfioctl_ctx_errmsg(ctx));
        mac_format(mac, e->original_mac);
        e->original_vlan = vlan;
        return 0;
}

static void report_set(vfioctl_ctx *ctx, vfioctl_report *report, const struct vfioctl_vf_net *e,
                       bool applied);

static int plan_entry(vfioctl_host *host, vfioctl_guest_hostdev *h, struct vfnet_plan *plan,
                      vfioctl_report *report)
{
        vfioctl_ctx *ctx = vfioctl_host_get_ctx(host);
        struct vfioctl_vf_net *n, e = {};
        char where[96];
        vfioctl_device *dev;
        int r;

        snprintf(where, sizeof(where), "line %u: %s", h->line, hostdev_kind_element(h->kind));
        r = vfioctl_host_get_device(host, &h->addr, &dev);
        if (r < 0)
                return ctx_error(ctx, r, "%s: %s", where, vfioctl_ctx_errmsg(ctx));
        vfioctl_pci_addr_format(&h->addr, e.address);
        r = find_pf(host, dev, where, &e);
        if (r <= 0)
                return r < 0 ? r : no_pf(ctx, h, where, e.address, report);
        snprintf(e.mac, sizeof(e.mac), "%s", strempty(h->mac));
        /* libvirt's virHostdevNetConfigReplace: no <vlan> means untagged, so
         * a tag a VF kept from its last guest never leaks into this one. */
        e.vlan = h->vlan >= 0 ? h->vlan : 0;
        r = read_original(ctx, where, &e);
        if (r < 0)
                return r;
        n = reallocarray(plan->e, plan->n + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        plan->e = n;
        plan->e[plan->n++] = e;
        return 0;
}

int vfnet_plan(vfioctl_host *host, vfioctl_guest_def *def, vfioctl_report *report,
               struct vfnet_plan *ret)
{
        int r;

        for (size_t i = 0; i < def->n_hostdevs; i++) {
                vfioctl_guest_hostdev *h = def->hostdevs[i];

                if (h->ignored || !h->has_addr || h->kind == VFIOCTL_HOSTDEV_PCI ||
                    (!h->mac && h->vlan < 0))
                        continue;
                r = plan_entry(host, h, ret, report);
                if (r < 0) {
                        report_set_outcome(report, r == -EINVAL ? VFIOCTL_OUTCOME_INVALID
                                                                : VFIOCTL_OUTCOME_REFUSED);
                        return r;
                }
        }
        /* A dry run stops before the writes: the plan is what it shows. */
        for (size_t i = 0; i < ret->n && vfioctl_ctx_is_dry_run(vfioctl_host_get_ctx(host)); i++)
                report_set(vfioctl_host_get_ctx(host), report, &ret->e[i], false);
        return 0;
}

/* ------------------------------------------------------------------ */
/* The vf_net rows                                                     */

static int sql_error(vfioctl_state *st, int rc)
{
        return ctx_error(st->ctx, rc == SQLITE_BUSY ? -EBUSY : rc == SQLITE_FULL ? -ENOSPC : -EIO,
                         "%s/state.db: vf_net: %s", st->dir, sqlite3_errmsg(st->db));
}

static const char *status_word(enum vfnet_status s)
{
        return s == VFNET_SET ? "set" : s == VFNET_NOT_APPLIED ? "not_applied" : "intended";
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
        if (v && *v)
                sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(s, i);
}

static void bind_int_or_null(sqlite3_stmt *s, int i, int v)
{
        if (v >= 0)
                sqlite3_bind_int(s, i, v);
        else
                sqlite3_bind_null(s, i);
}

static int row_insert(vfioctl_state *st, const char *owner, const struct vfioctl_vf_net *e,
                      enum vfnet_status status)
{
        sqlite3_stmt *s = NULL;
        int rc;

        rc = sqlite3_prepare_v2(st->db,
                                "INSERT INTO vf_net (address, owner, pf, vf, mac, vlan, orig_mac, "
                                "orig_vlan, status, set_at) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                -1, &s, NULL);
        if (rc != SQLITE_OK)
                return sql_error(st, rc);
        sqlite3_bind_text(s, 1, e->address, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, owner, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 3, e->pf, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 4, (int) e->vf);
        bind_text_or_null(s, 5, e->mac);
        bind_int_or_null(s, 6, e->vlan);
        bind_text_or_null(s, 7, e->original_mac);
        bind_int_or_null(s, 8, e->original_vlan);
        sqlite3_bind_text(s, 9, status_word(status), -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 10, (int64_t) time(NULL));
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc == SQLITE_CONSTRAINT)
                return ctx_error(st->ctx, -EEXIST,
                                 "%s/state.db already records a MAC/VLAN for %s", st->dir,
                                 e->address);
        return rc == SQLITE_DONE ? 0 : sql_error(st, rc);
}

static int row_exec(vfioctl_state *st, const char *sql, const char *address, const char *arg)
{
        sqlite3_stmt *s = NULL;
        int rc;

        rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
        if (rc != SQLITE_OK)
                return sql_error(st, rc);
        sqlite3_bind_text(s, 1, address, -1, SQLITE_TRANSIENT);
        if (arg)
                sqlite3_bind_text(s, 2, arg, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
        return rc == SQLITE_DONE ? 0 : sql_error(st, rc);
}

static int row_set_status(vfioctl_state *st, const char *address, enum vfnet_status status)
{
        return row_exec(st, "UPDATE vf_net SET status = ?2 WHERE address = ?1", address,
                        status_word(status));
}

static int row_delete(vfioctl_state *st, const char *address)
{
        return row_exec(st, "DELETE FROM vf_net WHERE address = ?1", address, NULL);
}

static void row_read(sqlite3_stmt *s, struct vfnet_row *row)
{
        const char *t;

        *row = (struct vfnet_row) { .e.vlan = -1, .e.original_vlan = -1 };
        snprintf(row->e.address, sizeof(row->e.address), "%s", sqlite3_column_text(s, 0));
        snprintf(row->owner, sizeof(row->owner), "%s", sqlite3_column_text(s, 1));
        snprintf(row->e.pf, sizeof(row->e.pf), "%s", sqlite3_column_text(s, 2));
        row->e.vf = (unsigned) sqlite3_column_int(s, 3);
        if ((t = (const char *) sqlite3_column_text(s, 4)))
                snprintf(row->e.mac, sizeof(row->e.mac), "%s", t);
        if (sqlite3_column_type(s, 5) != SQLITE_NULL)
                row->e.vlan = sqlite3_column_int(s, 5);
        if ((t = (const char *) sqlite3_column_text(s, 6)))
                snprintf(row->e.original_mac, sizeof(row->e.original_mac), "%s", t);
        if (sqlite3_column_type(s, 7) != SQLITE_NULL)
                row->e.original_vlan = sqlite3_column_int(s, 7);
        t = (const char *) sqlite3_column_text(s, 8);
        row->status = streq(strempty(t), "set")           ? VFNET_SET
                      : streq(strempty(t), "not_applied") ? VFNET_NOT_APPLIED
                                                          : VFNET_INTENDED;
        row->e.applied = row->status == VFNET_SET;
}

/* The rows that match where (a condition on table v, ?1 bound to arg when given). */
static int rows_select(vfioctl_state *st, const char *where, const char *arg,
                       struct vfnet_row **ret, size_t *ret_n)
{
        _cleanup_free_ char *sql = NULL;
        _cleanup_free_ struct vfnet_row *rows = NULL;
        sqlite3_stmt *s = NULL;
        size_t n = 0;
        int rc;

        *ret = NULL;
        *ret_n = 0;
        /* Read-only on a database an older vfioctl wrote: it set nothing. */
        if (!st->db || st->version < 2)
                return 0;
        if (asprintf(&sql, "SELECT address, owner, pf, vf, mac, vlan, orig_mac, orig_vlan, "
                           "status FROM vf_net v WHERE %s ORDER BY address", where) < 0)
                return -ENOMEM;
        rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
        if (rc != SQLITE_OK)
                return sql_error(st, rc);
        if (arg)
                sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                struct vfnet_row *nr = reallocarray(rows, n + 1, sizeof(*nr));

                if (!nr) {
                        sqlite3_finalize(s);
                        return -ENOMEM;
                }
                rows = nr;
                row_read(s, &rows[n++]);
        }
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE)
                return sql_error(st, rc);
        *ret = TAKE_PTR(rows);
        *ret_n = n;
        return 0;
}

int vfnet_load(vfioctl_state *st, const char *guest, struct vfioctl_vf_net **ret, size_t *ret_n)
{
        _cleanup_free_ struct vfnet_row *rows = NULL;
        struct vfioctl_vf_net *l;
        size_t n = 0;
        int r;

        r = rows_select(st, "v.owner = ?1", guest, &rows, &n);
        if (r < 0)
                return r;
        l = calloc(n + 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                l[i] = rows[i].e;
        *ret = l;
        *ret_n = n;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Setting and putting back                                            */

static int send_settings(vfioctl_ctx *ctx, const char *pf, unsigned vf, const char *mac,
                         int vlan)
{
        uint8_t m[6];

        /* The one place that changes a link: never under another root. */
        if (!vfnet_can_send(ctx))
                return ctx_error(ctx, -EPERM, "the MAC/VLAN of VF %u of %s were not sent: the "
                                              "device tree is not this machine's own", vf, pf);
        if (*mac && netlink_parse_mac(mac, m) < 0)
                return ctx_error(ctx, -EINVAL, "'%s' is not a MAC address", mac);
        return netlink_vf_set(ctx, pf, vf, *mac ? m : NULL, vlan);
}

static void report_set(vfioctl_ctx *ctx, vfioctl_report *report, const struct vfioctl_vf_net *e,
                       bool applied)
{
        char from[48], to[48];

        report_add(report, e->address, VFIOCTL_ACTION_NET_SET,
                   settings_text(e->original_mac, e->original_vlan, from, sizeof(from)),
                   settings_text(e->mac, e->vlan, to, sizeof(to)), "%s VF %u%s", e->pf, e->vf,
                   applied || vfioctl_ctx_is_dry_run(ctx)
                           ? ""
                           : "; not applied: the device tree is not this machine's own, and "
                             "netlink reaches only this machine's interfaces (recorded only)");
}

/* Puts one VF back as the row says; 0 also when there was nothing to send. */
static int restore_one(vfioctl_ctx *ctx, const struct vfnet_row *row)
{
        const char *mac = *row->e.mac ? row->e.original_mac : "";

        if (row->status == VFNET_NOT_APPLIED || row->e.original_vlan < 0)
                return 0;
        if (!vfnet_can_send(ctx))
                return send_settings(ctx, row->e.pf, row->e.vf, mac, row->e.original_vlan);
        /* The PF's interface is gone (its driver unbound, the card removed):
         * so is the VF, and the settings with it. */
        if (if_nametoindex(row->e.pf) == 0)
                return 1;
        return send_settings(ctx, row->e.pf, row->e.vf, mac, row->e.original_vlan);
}

static void report_restored(vfioctl_report *report, const struct vfnet_row *row, int r,
                            const char *error)
{
        char from[48], to[48];
        const char *mac = *row->e.mac ? row->e.original_mac : "";

        if (r < 0) {
                report_set_outcome(report, VFIOCTL_OUTCOME_ATTENTION);
                report_add(report, row->e.address, VFIOCTL_ACTION_STUCK,
                           settings_text(row->e.mac, row->e.vlan, from, sizeof(from)),
                           settings_text(mac, row->e.original_vlan, to, sizeof(to)),
                           "its MAC/VLAN could not be put back (%s); set them by hand: "
                           "ip link set %s vf %u%s%s vlan %d",
                           error, row->e.pf, row->e.vf, *mac ? " mac " : "", mac,
                           row->e.original_vlan);
                return;
        }
        report_add(report, row->e.address, VFIOCTL_ACTION_NET_RESTORED,
                   settings_text(row->e.mac, row->e.vlan, from, sizeof(from)),
                   settings_text(mac, row->e.original_vlan, to, sizeof(to)), "%s VF %u%s",
                   row->e.pf, row->e.vf,
                   row->status == VFNET_NOT_APPLIED ? "; nothing to put back: it was not applied"
                   : r > 0 ? "; nothing to put back: the interface is gone, and the VF with it"
                           : "");
}

/*
 * Puts back and forgets rows. One try each: a VF the kernel would not take
 * its settings back for is reported STUCK with the command that fixes it,
 * and forgotten, so that its device still goes back to the host and no
 * later command trips over it. Returns only the state's errors.
 */
static int restore_rows(vfioctl_state *st, const struct vfnet_row *rows, size_t n,
                        vfioctl_report *report)
{
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                char error[256];
                int q;

                if (vfioctl_ctx_is_dry_run(st->ctx)) {
                        report_restored(report, &rows[i], 0, NULL);
                        continue;
                }
                q = restore_one(st->ctx, &rows[i]);
                snprintf(error, sizeof(error), "%s", vfioctl_ctx_errmsg(st->ctx));
                report_restored(report, &rows[i], q, error);
                q = row_delete(st, rows[i].e.address);
                if (q < 0 && r >= 0)
                        r = q;
        }
        if (r >= 0)
                ctx_clear_error(st->ctx);
        return r;
}

int vfnet_apply(vfioctl_host *host, vfioctl_state *st, const char *guest,
                struct vfnet_plan *plan, vfioctl_report *report)
{
        vfioctl_ctx *ctx = vfioctl_host_get_ctx(host);
        bool send = vfnet_can_send(ctx);
        size_t done;
        int r = 0;

        if (vfioctl_ctx_is_dry_run(ctx) || plan->n == 0)
                return 0; /* vfnet_plan() reported it */
        /* Recorded before the first change, so nothing set is ever forgotten. */
        r = state_begin(st);
        for (size_t i = 0; i < plan->n && r >= 0; i++)
                r = row_insert(st, guest, &plan->e[i], send ? VFNET_INTENDED : VFNET_NOT_APPLIED);
        r = r < 0 ? r : state_commit(st);
        if (r < 0) {
                state_rollback(st);
                report_set_outcome(report, VFIOCTL_OUTCOME_REFUSED);
                return r;
        }
        for (done = 0; done < plan->n && r >= 0; done++) {
                struct vfioctl_vf_net *e = &plan->e[done];

                if (send) {
                        r = send_settings(ctx, e->pf, e->vf, e->mac, e->vlan);
                        if (r < 0)
                                ctx_error(ctx, r, "%s: %s", e->address, vfioctl_ctx_errmsg(ctx));
                        if (r >= 0)
                                r = row_set_status(st, e->address, VFNET_SET);
                        if (r < 0)
                                break;
                        e->applied = true;
                }
                report_set(ctx, report, e, send);
        }
        if (r < 0)
                return vfnet_undo(st, guest, report, r);
        return 0;
}

int vfnet_undo(vfioctl_state *st, const char *guest, vfioctl_report *report, int error)
{
        _cleanup_free_ struct vfnet_row *rows = NULL;
        _cleanup_free_ char *msg = strdup(vfioctl_ctx_errmsg(st->ctx));
        size_t n = 0;

        report_set_outcome(report, VFIOCTL_OUTCOME_REFUSED);
        /* Every row goes back, 'intended' ones too: the one that failed may
         * have been half taken (a MAC without its VLAN). */
        if (rows_select(st, "v.owner = ?1", guest, &rows, &n) >= 0)
                (void) restore_rows(st, rows, n, report);
        if (msg)
                ctx_error(st->ctx, error, "%s", msg);
        return error;
}

int vfnet_restore(vfioctl_state *st, const char *guest, const struct vfioctl_state_device *devs,
                  const bool *selected, size_t n, vfioctl_report *report,
                  struct vfnet_plan *ret_undo)
{
        _cleanup_free_ struct vfnet_row *rows = NULL;
        size_t n_rows = 0, k = 0;
        int r;

        r = rows_select(st, "v.owner = ?1", guest, &rows, &n_rows);
        if (r < 0 || n_rows == 0)
                return r;
        for (size_t i = 0; i < n_rows; i++)
                for (size_t j = 0; j < n; j++)
                        if (selected[j] && streq(rows[i].e.address, devs[j].address)) {
                                rows[k++] = rows[i];
                                break;
                        }
        if (ret_undo && k > 0) {
                ret_undo->e = calloc(k, sizeof(*ret_undo->e));
                if (!ret_undo->e)
                        return -ENOMEM;
                for (size_t i = 0; i < k; i++)
                        ret_undo->e[i] = rows[i].e;
                ret_undo->n = k;
        }
        return restore_rows(st, rows, k, report);
}

int vfnet_recover(vfioctl_state *st, vfioctl_report *report)
{
        _cleanup_free_ struct vfnet_row *rows = NULL;
        size_t n = 0;
        int r;

        /* Rows whose guest never got (or no longer has) its VF: an assign
         * that failed or died after setting them. */
        r = rows_select(st,
                        "NOT EXISTS (SELECT 1 FROM devices d WHERE d.address = v.address AND "
                        "d.owner = v.owner)",
                        NULL, &rows, &n);
        if (r < 0 || n == 0 || vfioctl_ctx_is_dry_run(st->ctx) || st->lock_fd < 0)
                return r;
        return restore_rows(st, rows, n, report);
}

/* ------------------------------------------------------------------ */
/* Public: what a guest's VFs were given                               */

VFIOCTL_EXPORT size_t vfioctl_guest_n_vf_nets(vfioctl_guest *g)
{
        return g ? g->n_vf_nets : 0;
}

VFIOCTL_EXPORT const struct vfioctl_vf_net *vfioctl_guest_vf_net_at(vfioctl_guest *g, size_t i)
{
        return g && i < g->n_vf_nets ? &g->vf_nets[i] : NULL;
}

int vfnet_guest_set(vfioctl_guest *g, const struct vfnet_plan *plan)
{
        struct vfioctl_vf_net *l = calloc(plan->n + 1, sizeof(*l));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < plan->n; i++)
                l[i] = plan->e[i];
        free(g->vf_nets);
        g->vf_nets = l;
        g->n_vf_nets = plan->n;
        return 0;
}
