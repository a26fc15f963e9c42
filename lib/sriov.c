/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SR-IOV (DESIGN §3 rule 10). A PF's VFs live only as long as its host
 * driver keeps SR-IOV enabled: unbinding the PF disables SR-IOV (the VFs
 * vanish) and vfio-pci refuses a PF with VFs, so detaching a PF takes its
 * VFs from the host too. This file decides what that costs (the rule-10
 * verdict, shared by show and detach), remembers how many VFs a PF had so
 * that reattach can make them again, and sets the number of VFs for
 * `vfioctl sriov`, binding new VFs to a stub through the operation engine.
 *
 * VFs are counted from the PF's virtfnN links: reading sriov_numvfs takes
 * the PF's device lock, and hangs while an unbind of the PF is blocked.
 *
 * What vfioctl did to a PF's SR-IOV lives in the state database, table
 * sriov_pfs (created on first use, under the state lock): the count and
 * sriov_drivers_autoprobe it had before vfioctl touched it, how many VFs
 * `vfioctl sriov` made (0: a detached PF whose VFs are to come back), and
 * the journaled operation that is changing it, if one is.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "workers.h"

struct sriov_row {
        char address[VFIOCTL_PCI_ADDR_MAX];
        unsigned orig_numvfs;   /* VFs before vfioctl changed them */
        int orig_autoprobe;     /* sriov_drivers_autoprobe before */
        unsigned made;          /* VFs `sriov` made and recorded; 0: restore orig_numvfs */
        char *stub_driver;      /* what `sriov` bound them to, NULL: host driver */
        int64_t pending_op;     /* the journaled operation changing it, 0: none */
};

static void sriov_row_clear(struct sriov_row *row)
{
        free(row->stub_driver);
        *row = (struct sriov_row) {};
}

static const char sriov_schema[] =
        "CREATE TABLE IF NOT EXISTS sriov_pfs ("
        "  address TEXT PRIMARY KEY,"
        "  orig_numvfs INTEGER NOT NULL,"
        "  orig_autoprobe INTEGER NOT NULL,"
        "  made INTEGER NOT NULL DEFAULT 0,"
        "  stub_driver TEXT,"
        "  recorded_by TEXT NOT NULL,"
        "  pending_op INTEGER NOT NULL DEFAULT 0)";

static int sql_error(vfioctl_state *st, int rc)
{
        return ctx_error(st->ctx, rc == SQLITE_BUSY ? -EBUSY : -EIO, "%s/state.db: %s", st->dir,
                         sqlite3_errmsg(st->db));
}

/* The table exists once a changing command made it; readers without it see no rows. */
static bool sriov_table_exists(vfioctl_state *st)
{
        sqlite3_stmt *s = NULL;
        bool found;

        if (!st || !st->db)
                return false;
        if (sqlite3_prepare_v2(st->db,
                               "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
                               "'sriov_pfs'",
                               -1, &s, NULL) != SQLITE_OK)
                return false;
        found = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_finalize(s);
        return found;
}

static int sriov_row_get(vfioctl_state *st, const char *address, struct sriov_row *ret)
{
        sqlite3_stmt *s = NULL;
        const unsigned char *stub;
        int rc;

        *ret = (struct sriov_row) {};
        if (!sriov_table_exists(st))
                return -ENOENT;
        rc = sqlite3_prepare_v2(st->db,
                                "SELECT orig_numvfs, orig_autoprobe, made, stub_driver, pending_op "
                                "FROM sriov_pfs WHERE address = ?1",
                                -1, &s, NULL);
        if (rc != SQLITE_OK)
                return sql_error(st, rc);
        sqlite3_bind_text(s, 1, address, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW) {
                sqlite3_finalize(s);
                return rc == SQLITE_DONE ? -ENOENT : sql_error(st, rc);
        }
        snprintf(ret->address, sizeof(ret->address), "%s", address);
        ret->orig_numvfs = (unsigned) sqlite3_column_int(s, 0);
        ret->orig_autoprobe = sqlite3_column_int(s, 1);
        ret->made = (unsigned) sqlite3_column_int(s, 2);
        stub = sqlite3_column_text(s, 3);
        ret->stub_driver = stub ? strdup((const char *) stub) : NULL;
        ret->pending_op = sqlite3_column_int64(s, 4);
        sqlite3_finalize(s);
        return stub && !ret->stub_driver ? -ENOMEM : 0;
}

static int sriov_row_put(vfioctl_state *st, const struct sriov_row *row)
{
        sqlite3_stmt *s = NULL;
        int rc;

        rc = sqlite3_exec(st->db, sriov_schema, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
                return sql_error(st, rc);
        rc = sqlite3_prepare_v2(st->db,
                                "INSERT OR REPLACE INTO sriov_pfs (address, orig_numvfs, "
                                "orig_autoprobe, made, stub_driver, recorded_by, pending_op) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                -1, &s, NULL);
        if (rc != SQLITE_OK)
                return sql_error(st, rc);
        sqlite3_bind_text(s, 1, row->address, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 2, (int) row->orig_numvfs);
        sqlite3_bind_int(s, 3, row->orig_autoprobe);
        sqlite3_bind_int(s, 4, (int) row->made);
        if (row->stub_driver)
                sqlite3_bind_text(s, 5, row->stub_driver, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(s, 5);
        sqlite3_bind_text(s, 6, state_default_command(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 7, row->pending_op);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
        return rc == SQLITE_DONE ? 0 : sql_error(st, rc);
}

static int sriov_row_delete(vfioctl_state *st, const char *address)
{
        sqlite3_stmt *s = NULL;
        int rc;

        if (!sriov_table_exists(st))
                return 0;
        rc = sqlite3_prepare_v2(st->db, "DELETE FROM sriov_pfs WHERE address = ?1", -1, &s, NULL);
        if (rc != SQLITE_OK)
                return sql_error(st, rc);
        sqlite3_bind_text(s, 1, address, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
        return rc == SQLITE_DONE ? 0 : sql_error(st, rc);
}

/* ------------------------------------------------------------------ */
/* The verdict                                                        */

static void report_freep(vfioctl_report **r)
{
        vfioctl_report_free(*r);
}

static const struct vfioctl_state_device *row_of(const struct vfioctl_state_device *rows,
                                                 size_t n, const char *address)
{
        for (size_t i = 0; i < n; i++)
                if (streq(rows[i].address, address))
                        return &rows[i];
        return NULL;
}

/* Rule 10 */
static int sriov_verdict_rows(vfioctl_host *host, vfioctl_device *pf,
                              const struct vfioctl_state_device *rows, size_t n_rows,
                              vfioctl_report *report, enum vfioctl_sriov_verdict *ret)
{
        const struct vfioctl_pci_addr *vfs;
        const char *pfname = vfioctl_device_get_address(pf);
        size_t n_vfs = 0;
        int busy = 0, r;

        *ret = VFIOCTL_SRIOV_NO_VFS;
        r = vfioctl_device_get_virtfns(pf, &vfs, &n_vfs);
        if (r < 0 || n_vfs == 0)
                return r;
        for (size_t i = 0; i < n_vfs; i++) {
                char name[VFIOCTL_PCI_ADDR_MAX];
                const struct vfioctl_state_device *row;
                vfioctl_device *vf;
                const char *drv;

                vfioctl_pci_addr_format(&vfs[i], name);
                row = row_of(rows, n_rows, name);
                if (row && row->owner) {
                        busy++;
                        report_add(report, name, VFIOCTL_ACTION_IN_USE, row->stub_driver, NULL,
                                   "VF of %s, %s guest '%s'", pfname,
                                   row->role == VFIOCTL_ROLE_HELD ? "held for" : "assigned to",
                                   row->owner);
                        continue;
                }
                if (row) {
                        busy++;
                        report_add(report, name, VFIOCTL_ACTION_IN_USE, row->stub_driver, NULL,
                                   "VF of %s, detached (on %s) by '%s'", pfname,
                                   row->stub_driver ? row->stub_driver : "no driver",
                                   row->detached_by);
                        continue;
                }
                r = host_find_device(host, &vfs[i], &vf);
                if (r == -ENODEV)
                        continue; /* went away meanwhile: nothing of it leaves */
                if (r < 0)
                        return r;
                drv = vfioctl_device_get_driver(vf);
                if (vfioctl_device_is_on_stub(vf)) {
                        busy++;
                        report_add(report, name, VFIOCTL_ACTION_IN_USE, drv, NULL,
                                   "VF of %s, detached (on %s)", pfname, drv);
                        continue;
                }
                r = plan_check_safety(host, vf, report);
                if (r < 0)
                        return r;
                if (r > 0) {
                        busy++;
                        continue;
                }
                report_add(report, name, VFIOCTL_ACTION_IN_USE, drv, NULL,
                           "VF of %s (on %s): removed with it", pfname, drv ? drv : "no driver");
        }
        *ret = busy ? VFIOCTL_SRIOV_VFS_BUSY : VFIOCTL_SRIOV_VFS_LEAVE;
        return (int) n_vfs;
}

VFIOCTL_EXPORT int vfioctl_sriov_pf_verdict(vfioctl_host *host, vfioctl_state *st,
                                            vfioctl_device *pf, vfioctl_report *report,
                                            enum vfioctl_sriov_verdict *ret)
{
        struct vfioctl_state_device *rows = NULL;
        size_t n_rows = 0;
        int r;

        if (!host || !pf || !ret)
                return -EINVAL;
        if (st) {
                r = vfioctl_state_get_devices(st, NULL, &rows, &n_rows);
                if (r < 0)
                        return r;
        }
        r = sriov_verdict_rows(host, pf, rows, n_rows, report, ret);
        vfioctl_state_devices_free(rows, n_rows);
        return r;
}

int sriov_check_detach(vfioctl_host *host, vfioctl_device *pf,
                       const struct vfioctl_state_device *rows, size_t n_rows, bool force,
                       vfioctl_report *report)
{
        vfioctl_ctx *ctx = vfioctl_host_get_ctx(host);
        enum vfioctl_sriov_verdict v;
        _cleanup_(report_freep) vfioctl_report *mine = NULL;
        int n, r;

        /* Collect into a report of our own: the entries count only when refused. */
        r = vfioctl_report_new(&mine);
        if (r < 0)
                return r;
        n = sriov_verdict_rows(host, pf, rows, n_rows, mine, &v);
        if (n < 0)
                return n;
        if (v == VFIOCTL_SRIOV_NO_VFS || (v == VFIOCTL_SRIOV_VFS_LEAVE && force))
                return 0;
        for (size_t i = 0; i < vfioctl_report_n_entries(mine); i++) {
                const struct vfioctl_report_entry *e = vfioctl_report_entry_at(mine, i);

                report_add(report, e->address, e->action, e->from, e->to, "%s", e->detail);
        }
        report_set_outcome(report, VFIOCTL_OUTCOME_REFUSED);
        if (v == VFIOCTL_SRIOV_VFS_BUSY)
                return ctx_error(ctx, -EBUSY,
                                 "cannot detach %s: it has %d VF%s enabled, and detaching a PF "
                                 "removes them (its driver disables SR-IOV, vfio-pci refuses a "
                                 "PF with VFs), but some are owned, detached or in use (below); "
                                 "nothing was changed. Release or reattach them first",
                                 vfioctl_device_get_address(pf), n, n == 1 ? "" : "s");
        return ctx_error(ctx, -EBUSY,
                         "detaching %s removes its %d VF%s (its driver disables SR-IOV, and "
                         "vfio-pci refuses a PF with VFs); nothing was changed. Force it to "
                         "detach anyway: reattach makes the VFs again",
                         vfioctl_device_get_address(pf), n, n == 1 ? "" : "s");
}

/* ------------------------------------------------------------------ */
/* Setting the number of VFs                                          */

static int read_autoprobe(vfioctl_host *host, vfioctl_device *pf, int *ret)
{
        char path[SYSFS_PATH_MAX];
        uint64_t v;
        int r;

        sysfs_device_attr(path, vfioctl_device_get_address(pf), "sriov_drivers_autoprobe");
        r = sysfs_read_hex(host->ctx, host->devices_fd, SYSFS_PCI_DEVICES, path, 1, &v);
        if (r < 0)
                return r;
        *ret = (int) v;
        return 0;
}

/* The VF addresses the kernel will create: PF routing id + offset + i * stride. */
static int predict_vfs(vfioctl_host *host, vfioctl_device *pf, unsigned n,
                       struct vfioctl_pci_addr *out)
{
        const struct vfioctl_pci_addr *a = vfioctl_device_get_addr(pf);
        char path[SYSFS_PATH_MAX];
        uint64_t offset, stride;
        int r;

        sysfs_device_attr(path, vfioctl_device_get_address(pf), "sriov_offset");
        r = sysfs_read_hex(host->ctx, host->devices_fd, SYSFS_PCI_DEVICES, path, 0xffff, &offset);
        if (r < 0)
                return r;
        sysfs_device_attr(path, vfioctl_device_get_address(pf), "sriov_stride");
        r = sysfs_read_hex(host->ctx, host->devices_fd, SYSFS_PCI_DEVICES, path, 0xffff, &stride);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++) {
                unsigned rid = (unsigned) (a->bus << 8 | a->slot << 3 | a->function) +
                               (unsigned) offset + i * (unsigned) stride;

                out[i] = (struct vfioctl_pci_addr) { .domain = a->domain, .bus = rid >> 8,
                                                     .slot = (rid >> 3) & 0x1f,
                                                     .function = rid & 7 };
        }
        return 0;
}

/* How many virtfnN links the PF has now (the VFs enabled). */
static int count_virtfns(vfioctl_ctx *ctx, int devices_fd, const char *pfname, unsigned *ret)
{
        _cleanup_strv_free_ char **entries = NULL;
        _cleanup_close_ int fd = -EBADF;
        unsigned have = 0;
        size_t k = 0;
        int r;

        r = sysfs_open_subdir(ctx, devices_fd, pfname, &fd);
        if (r < 0)
                return ctx_error(ctx, r, "%s: device is gone", pfname);
        r = sysfs_list_dir(ctx, fd, pfname, &entries, &k);
        if (r < 0)
                return r;
        for (size_t i = 0; i < k; i++)
                have += strncmp(entries[i], "virtfn", 6) == 0;
        *ret = have;
        return 0;
}

struct sriov_run {
        vfioctl_host *host;
        vfioctl_state *st;
        vfioctl_ctx *ctx;
        vfioctl_device *pf;
        char pfname[VFIOCTL_PCI_ADDR_MAX];
        const struct vfioctl_op_options *opts;
        vfioctl_report *report;
        vfioctl_sriov_progress_fn progress;
        void *userdata;
        struct op_run run;      /* the "sriov" operation on the PF */
        bool run_open;
        struct helpers ahead;   /* for the new VFs' groups, forked while the kernel makes them */
        size_t ahead_want;     /* how many: one per group that can run at once */
};

/*
 * Rule 12 for sriov_numvfs: the kernel makes or removes every VF inside
 * this one write, probing or unbinding each VF's driver as it goes (igbvf
 * under QEMU takes seconds a VF). --timeout bounds one device's bind, so
 * the write is given it once per VF it touches.
 */
static unsigned per_vf_timeout_ms(unsigned timeout_ms, unsigned vfs)
{
        if (vfs <= 1)
                return timeout_ms;
        return timeout_ms > UINT_MAX / vfs ? UINT_MAX : timeout_ms * vfs;
}

static int numvfs_op_write(struct op_run *run, const char *pfname, unsigned value,
                           unsigned vfs_touched)
{
        char path[SYSFS_PATH_MAX], text[16];
        unsigned timeout_ms = run->timeout_ms;
        int r;

        sysfs_device_path(path, pfname, "sriov_numvfs");
        snprintf(text, sizeof(text), "%u", value);
        run->timeout_ms = per_vf_timeout_ms(timeout_ms, vfs_touched);
        r = op_write(run, pfname, path, text, true);
        run->timeout_ms = timeout_ms;
        return r;
}

/* n VFs, from current ones (0 when n is 0, or when going via 0). */
static int numvfs_write(struct sriov_run *s, unsigned n, unsigned current)
{
        return numvfs_op_write(&s->run, s->pfname, n, n > 0 ? n : current);
}

static int autoprobe_write(struct sriov_run *s, int on)
{
        char path[SYSFS_PATH_MAX];

        sysfs_device_path(path, s->pfname, "sriov_drivers_autoprobe");
        return op_write(&s->run, s->pfname, path, on ? "1" : "0", false);
}

/* Opens the journaled "sriov" operation: one change, the PF staying on its driver. */
static int sriov_op_begin(struct sriov_run *s, const char *pf_driver, const char *pf_override)
{
        struct vfioctl_state_change ch = {
                .group = vfioctl_device_get_group_number(s->pf),
                .before_driver = (char *) pf_driver,
                .before_override = (char *) pf_override,
                .target_driver = (char *) pf_driver,
                .target_override = (char *) pf_override,
        };
        int r;

        r = op_run_init(&s->run, s->ctx, s->st, s->opts->timeout_ms, s->report);
        if (r < 0)
                return r;
        s->run_open = true;
        snprintf(ch.address, sizeof(ch.address), "%s", s->pfname);
        if (!s->run.st)
                return 0;
        return state_op_begin(s->run.st, "sriov", s->opts->command ? s->opts->command
                                                                    : state_default_command(),
                              &ch, 1, &s->run.op_id);
}

struct bind_record {
        struct sriov_run *s;
        const struct sriov_row *row;
};

/* The PF's row and the end of the "sriov" operation, with the VFs' rows. */
static int record_pf(vfioctl_state *st, void *userdata)
{
        struct bind_record *b = userdata;
        int r;

        r = sriov_row_put(st, b->row);
        if (r >= 0)
                r = state_op_end(st, b->s->run.op_id);
        return r;
}

/*
 * A new VF as binding it needs it: where its PF's virtfnN link points,
 * its group, and its driver and override (none, with autoprobe off).
 * Rule 15: the VFs are read at once, with no lock (each worker reads into
 * its own slot), and judged after.
 */
struct new_vf {
        char link[32]; /* virtfnN */
        int fd;        /* its folder, for the host to keep (devdirs); -errno: not opened */
        struct sysfs_fetch self, group, driver, override;
};

struct new_vfs {
        struct new_vf *vf;
        int pf_fd;
};

static void new_vf_fetch(void *data, size_t i)
{
        struct new_vfs *n = data;
        struct new_vf *v = &n->vf[i];

        sysfs_fetch_link(n->pf_fd, v->link, &v->self);
        v->fd = openat(n->pf_fd, v->link, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (v->fd < 0) {
                v->fd = -errno;
                return;
        }
        sysfs_fetch_link(v->fd, "iommu_group", &v->group);
        sysfs_fetch_link(v->fd, "driver", &v->driver);
        sysfs_fetch_text(v->fd, "driver_override", SYSFS_ATTR_MAX, &v->override);
}

static void new_vf_done(struct new_vf *v)
{
        if (v->fd >= 0)
                close(v->fd);
        sysfs_fetch_done(&v->self);
        sysfs_fetch_done(&v->group);
        sysfs_fetch_done(&v->driver);
        sysfs_fetch_done(&v->override);
}

/* The change that takes a fetched VF from how it is now to the stub. */
static int new_vf_change(vfioctl_ctx *ctx, const char *pfname, struct new_vf *v,
                         struct vfioctl_state_change *ret)
{
        _cleanup_free_ char *name = NULL, *group = NULL;
        struct vfioctl_pci_addr a;
        char pfdir[SYSFS_PATH_MAX], dir[SYSFS_PATH_MAX];
        int r;

        *ret = (struct vfioctl_state_change) { .group = -1 };
        sysfs_device_path(pfdir, pfname, NULL);
        r = sysfs_fetched_link_name(ctx, pfdir, v->link, &v->self, &name);
        if (r == -ENOENT || v->fd == -ENOENT)
                return ctx_error(ctx, -ENODEV, "%s: %s vanished while its VFs were made",
                                 pfname, v->link);
        if (r < 0)
                return r;
        if (vfioctl_pci_addr_parse(name, &a) < 0)
                return ctx_error(ctx, -EBADMSG, "%s: %s points to '%s', not a PCI device",
                                 pfname, v->link, name);
        vfioctl_pci_addr_format(&a, ret->address);
        sysfs_device_path(dir, ret->address, NULL);
        if (v->fd < 0)
                return ctx_error(ctx, v->fd, "new VF %s: cannot open %s: %s", ret->address,
                                 dir, strerror(-v->fd));
        r = sysfs_fetched_link_name(ctx, dir, "iommu_group", &v->group, &group);
        if (r >= 0) {
                ret->group = group_number_parse(group);
                if (ret->group < 0)
                        return ctx_error(ctx, -EBADMSG, "%s: iommu_group link points to '%s', "
                                         "not a group", ret->address, group);
        } else if (r != -ENOENT)
                return r;
        r = sysfs_fetched_link_name(ctx, dir, "driver", &v->driver, &ret->before_driver);
        if (r < 0 && r != -ENOENT)
                return r;
        if (v->override.error == -ENOENT)
                return 0; /* before 3.16 */
        return sysfs_fetched_override(ctx, dir, "driver_override", &v->override,
                                      &ret->before_override);
}

/*
 * A fetched VF as the change to the stub, with its row. Returns 1, adding
 * nothing, when only_own_group and an earlier change of p is in its group.
 */
static int plan_new_vf(struct sriov_run *s, struct plan *p, const char *stub, struct new_vf *v,
                       time_t now, bool only_own_group)
{
        struct vfioctl_state_change ch;
        struct vfioctl_state_device row = {
                .stub_driver = (char *) stub,
                .detached_by = (char *) (s->opts->command ? s->opts->command
                                                          : state_default_command()),
                .detached_at = now,
                .managed = true,
        };
        int r;

        r = new_vf_change(s->ctx, s->pfname, v, &ch);
        for (size_t j = 0; r >= 0 && only_own_group && j < p->n_changes; j++)
                if (p->changes[j].group == ch.group)
                        r = 1;
        if (r == 0) {
                /* The executor reads the VF through the folder opened here. */
                (void) devdirs_adopt(&s->host->dirs, ch.address, TAKE_FD(v->fd));
                r = plan_add_change_from(p, &ch, stub, stub);
                row.group = ch.group;
                row.original_driver = ch.before_driver;
                snprintf(row.address, sizeof(row.address), "%s", ch.address);
                if (r >= 0)
                        r = plan_add_row(p, &row);
        }
        free(ch.before_driver);
        free(ch.before_override);
        return r;
}

/* The PF's folder, for reading its new VFs: nothing of them is cached. */
static int pf_open_fresh(struct sriov_run *s, int *ret_fd)
{
        int r;

        vfioctl_host_invalidate(s->host);
        s->pf = NULL; /* the cache held it; the executor drops the cache again */
        r = sysfs_open_subdir(s->ctx, s->host->devices_fd, s->pfname, ret_fd);
        if (r < 0)
                return ctx_error(s->ctx, r, "%s: device is gone", s->pfname);
        return 0;
}

/* The PF's VFs from..to-1 as changes to the stub with their rows. */
static int plan_new_vfs(struct sriov_run *s, struct plan *p, const char *stub, unsigned from,
                        unsigned to)
{
        _cleanup_close_ int pf_fd = -EBADF;
        struct new_vfs n = {};
        size_t n_vfs = to - from;
        time_t now = time(NULL);
        int r;

        r = pf_open_fresh(s, &pf_fd);
        if (r < 0)
                return r;
        n.pf_fd = pf_fd;
        n.vf = calloc(n_vfs ? n_vfs : 1, sizeof(*n.vf));
        if (!n.vf)
                return -ENOMEM;
        for (size_t i = 0; i < n_vfs; i++) {
                snprintf(n.vf[i].link, sizeof(n.vf[i].link), "virtfn%zu", from + i);
                n.vf[i].fd = -EBADF;
        }
        workers_run(n_vfs, READ_JOBS, NULL, new_vf_fetch, &n);

        for (size_t i = 0; i < n_vfs && r >= 0; i++)
                r = plan_new_vf(s, p, stub, &n.vf[i], now, false);
        for (size_t i = 0; i < n_vfs; i++)
                new_vf_done(&n.vf[i]);
        free(n.vf);
        log_debug(s->ctx, "%s: binding %zu new VFs to %s (%d)", s->pfname, n_vfs, stub, r);
        return r;
}

/* Runs a plan that binds new VFs to the stub (the executor's "detach"), and clears it. */
static int bind_plan_execute(struct sriov_run *s, struct plan *p)
{
        struct vfioctl_op_options o = {
                .timeout_ms = s->opts->timeout_ms,
                .command = s->opts->command,
        };
        int r;

        p->kind = "detach";
        p->action = VFIOCTL_ACTION_DETACHED;
        p->ahead = &s->ahead;
        r = asprintf(&p->detail, "new VF of %s", s->pfname) < 0 ? -ENOMEM : 0;
        if (r >= 0)
                r = plan_execute(s->host, s->st, p, &o, s->report);
        plan_clear(p);
        return r;
}

/*
 * Binds new VFs from..to-1 to the stub through the executor and records
 * them; with the PF row (the last of them): the "sriov" operation ends.
 */
static int bind_new_vfs(struct sriov_run *s, const char *stub, unsigned from, unsigned to,
                        const struct sriov_row *row)
{
        struct bind_record b = { .s = s, .row = row };
        struct plan p = { .record_more = row ? record_pf : NULL, .record_userdata = &b };
        int r;

        r = plan_new_vfs(s, &p, stub, from, to);
        if (r < 0) {
                plan_clear(&p);
                return r;
        }
        r = bind_plan_execute(s, &p);
        if (r >= 0 && row)
                s->run.op_id = 0;
        return r;
}

static void *fill_ahead(void *data)
{
        struct sriov_run *s = data;

        helpers_fill(&s->run, &s->ahead, s->ahead_want);
        return NULL;
}

/* How long the write is waited for between looks at the VFs it made so far (while none comes). */
#define VF_POLL_MIN_MS 1
#define VF_POLL_MAX_MS 16

/* The sriov_numvfs write that makes the VFs, and what it made so far. */
struct vf_watch {
        struct sriov_run *s;
        unsigned n, have, pause_ms;
        struct op_pending_write pw;
        int write;              /* 0: still making VFs; 1: done; negative: failed, or left waiting */
};

/*
 * One look: the write waited for a slice (lock: the executor's, dropped
 * meanwhile), then the VFs counted, progress when there are more.
 */
static int vf_watch_look(struct vf_watch *v, pthread_mutex_t *lock)
{
        struct sriov_run *s = v->s;
        unsigned shown = v->have;
        int r;

        if (v->write == 0) {
                s->run.lock = lock;
                v->write = op_write_wait(&s->run, &v->pw, (int) v->pause_ms);
                s->run.lock = NULL;
                if (v->write < 0)
                        return v->write;
        }
        r = count_virtfns(s->ctx, s->host->devices_fd, s->pfname, &v->have);
        if (r < 0)
                return r;
        if (v->have == shown) {
                v->pause_ms = v->pause_ms < VF_POLL_MAX_MS ? v->pause_ms * 2 : v->pause_ms;
                return 0;
        }
        v->pause_ms = VF_POLL_MIN_MS;
        /* The VFs say how far the write is: its own tick only when they stop. */
        v->pw.next_tick = op_now_ms() + PROGRESS_TICK_MS;
        if (s->progress)
                s->progress(s->userdata, v->have, v->n);
        return 0;
}

/* Until the write returned, and then all n VFs are there (bounded). */
static int vf_watch_end(struct vf_watch *v)
{
        unsigned timeout_ms = v->s->run.timeout_ms;
        int64_t deadline = 0;

        for (;;) {
                int r = vf_watch_look(v, NULL);

                if (r < 0 || v->write < 0)
                        return r < 0 ? r : v->write;
                if (v->write == 0)
                        continue;
                if (v->have >= v->n)
                        return 0;
                if (deadline == 0)
                        deadline = op_now_ms() + (int64_t) timeout_ms;
                if (op_now_ms() >= deadline)
                        return ctx_error(v->s->ctx, -ETIMEDOUT,
                                         "%s: only %u of %u VFs appeared within %.1f s",
                                         v->s->pfname, v->have, v->n, timeout_ms / 1000.0);
                poll(NULL, 0, (int) v->pause_ms);
        }
}

/*
 * The VFs as the kernel makes them, for the executor (op_feed). A VF is
 * done once the next VF's virtfnN link is there (pci_iov_add_virtfn()
 * links a VF before it puts it on the bus, where drivers can bind it), the
 * last once the write returned. A VF in the group of one fed before ends
 * the feed: the executor runs a feed's VFs each on its own.
 */
struct vf_feed {
        struct vf_watch watch;
        struct plan *p;
        const char *stub;
        int pf_fd;
        unsigned fed;
        bool shared;            /* VF fed stopped at shares a group */
        time_t now;
};

static int vf_feed_one(struct op_run *run, struct vf_feed *f)
{
        struct new_vf v = { .fd = -EBADF };
        struct new_vfs one = { .vf = &v, .pf_fd = f->pf_fd };
        int r;

        snprintf(v.link, sizeof(v.link), "virtfn%u", f->fed);
        op_wait_begin(run);
        new_vf_fetch(&one, 0);
        op_wait_end(run);
        r = plan_new_vf(f->watch.s, f->p, f->stub, &v, f->now, true);
        new_vf_done(&v);
        if (r == 0)
                f->fed++;
        f->shared = r > 0;
        return r;
}

static int vf_feed_next(struct op_run *run, void *userdata,
                        const struct vfioctl_state_change **ret, size_t *ret_n, bool *ret_last)
{
        struct vf_feed *f = userdata;
        size_t first = f->p->n_changes;
        unsigned done;
        int r;

        r = vf_watch_look(&f->watch, run->lock);
        if (r < 0)
                return r;
        done = f->watch.write > 0 ? f->watch.have : f->watch.have > 0 ? f->watch.have - 1 : 0;
        while (f->fed < done && !f->shared && r >= 0)
                r = vf_feed_one(run, f);
        if (r < 0)
                return r;
        *ret_n = f->p->n_changes - first;
        *ret = *ret_n > 0 ? f->p->changes + first : NULL;
        *ret_last = f->shared || (f->watch.write > 0 && f->fed >= f->watch.have);
        if (*ret_last && f->fed == f->watch.n)
                f->p->record_more = record_pf; /* all of them: the PF's row with theirs */
        return 0;
}

/*
 * Binds the VFs to the stub as the kernel makes them (rule 15): one
 * operation the executor runs while the write still makes more; those
 * left (a VF sharing a group) once the write returned. Recorded with the
 * PF row, which ends the "sriov" operation.
 */
static int bind_vfs_as_made(struct sriov_run *s, struct vf_watch *w, const char *stub,
                            const struct sriov_row *row)
{
        struct bind_record b = { .s = s, .row = row };
        struct vf_feed f = { .watch = *w, .stub = stub, .now = time(NULL) };
        struct op_feed feed = { .next = vf_feed_next, .userdata = &f, .most = w->n };
        struct plan p = { .record_userdata = &b, .feed = &feed };
        _cleanup_close_ int pf_fd = -EBADF;
        int r;

        r = pf_open_fresh(s, &pf_fd);
        if (r < 0)
                return r;
        f.pf_fd = pf_fd;
        f.p = &p;
        r = bind_plan_execute(s, &p);
        *w = f.watch;
        if (r < 0) {
                struct ctx_saved_error failure;

                /* The kernel is let finish before anything is undone. */
                ctx_save_error(s->ctx, &failure);
                (void) vf_watch_end(w);
                return ctx_restore_error(s->ctx, r, &failure);
        }
        r = vf_watch_end(w);
        if (r >= 0 && f.fed == w->n)
                s->run.op_id = 0; /* ended with the VFs' record */
        else if (r >= 0)
                r = bind_new_vfs(s, stub, f.fed, w->n, row);
        return r;
}

/*
 * The one sriov_numvfs write that makes the VFs, bound to the stub (NULL:
 * none) as they come and recorded with the PF row. The kernel makes them
 * one after the other inside the write (100 ms to settle first; igbvf
 * under QEMU takes seconds a VF); the helpers for the binds are forked
 * while it makes the first: a fork is the dearest part of a step.
 */
static int make_vfs(struct sriov_run *s, unsigned n, const char *stub, const struct sriov_row *row)
{
        struct vf_watch w = { .s = s, .n = n, .pause_ms = VF_POLL_MIN_MS };
        unsigned timeout_ms = s->run.timeout_ms;
        char path[SYSFS_PATH_MAX], text[16];
        pthread_t t;
        bool filling;
        int r;

        s->ahead_want = n < s->run.jobs ? n : s->run.jobs;
        filling = stub && n > 1 && pthread_create(&t, NULL, fill_ahead, s) == 0;
        sysfs_device_path(path, s->pfname, "sriov_numvfs");
        snprintf(text, sizeof(text), "%u", n);
        s->run.timeout_ms = per_vf_timeout_ms(timeout_ms, n);
        r = op_write_begin(&s->run, s->pfname, path, text, &w.pw);
        if (filling)
                pthread_join(t, NULL);
        if (r >= 0)
                r = stub ? bind_vfs_as_made(s, &w, stub, row) : vf_watch_end(&w);
        s->run.timeout_ms = timeout_ms;
        return r;
}

/* Back to how the PF was before this command: its VFs and autoprobe (rollback, recover). */
static int sriov_undo(struct op_run *run, const char *pfname, unsigned numvfs, int autoprobe,
                      int autoprobe_now, unsigned numvfs_now)
{
        int r = 0, k;

        /* VFs off, autoprobe back (so that VFs made again find their host driver), VFs on. */
        if (numvfs_now != numvfs && numvfs_now > 0 &&
            (k = numvfs_op_write(run, pfname, 0, numvfs_now)) < 0)
                r = k;
        if (autoprobe >= 0 && autoprobe != autoprobe_now) {
                char ap[SYSFS_PATH_MAX];

                sysfs_device_path(ap, pfname, "sriov_drivers_autoprobe");
                if ((k = op_write(run, pfname, ap, autoprobe ? "1" : "0", false)) < 0)
                        r = k;
        }
        if (numvfs_now != numvfs && numvfs > 0 && (k = numvfs_op_write(run, pfname, numvfs, numvfs)) < 0)
                r = k;
        return r;
}

/* Whether a is one of the VFs pf can have: routing id pf + offset + i * stride, i < total. */
static bool is_vf_of(const struct vfioctl_pci_addr *pf, const struct vfioctl_pci_addr *a,
                     uint64_t offset, uint64_t stride, uint64_t total)
{
        unsigned pf_rid = (unsigned) (pf->bus << 8 | pf->slot << 3 | pf->function);
        unsigned rid = (unsigned) (a->bus << 8 | a->slot << 3 | a->function);
        uint64_t d;

        if (a->domain != pf->domain || rid < pf_rid + offset || stride == 0)
                return false;
        d = rid - pf_rid - offset;
        return d % stride == 0 && d / stride < total;
}

/*
 * Drops the rows of the PF's VFs that are gone. A rollback or recover does
 * not make VFs on a stub again, and a row for a device the host no longer
 * has would be listed as detached for ever. The VFs' addresses come from
 * the PF's offset and stride: their virtfn links went with them.
 */
static int forget_gone_vfs(vfioctl_ctx *ctx, vfioctl_state *st, int devices_fd,
                           const char *pfname)
{
        struct vfioctl_state_device *rows = NULL;
        struct vfioctl_pci_addr pf;
        char path[SYSFS_PATH_MAX];
        uint64_t offset, stride, total;
        size_t n_rows = 0;
        int r;

        r = vfioctl_pci_addr_parse(pfname, &pf);
        if (r < 0)
                return r;
        sysfs_device_attr(path, pfname, "sriov_offset");
        r = sysfs_read_hex(ctx, devices_fd, SYSFS_PCI_DEVICES, path, 0xffff, &offset);
        if (r >= 0) {
                sysfs_device_attr(path, pfname, "sriov_stride");
                r = sysfs_read_hex(ctx, devices_fd, SYSFS_PCI_DEVICES, path, 0xffff, &stride);
        }
        if (r >= 0) {
                sysfs_device_attr(path, pfname, "sriov_totalvfs");
                r = sysfs_read_hex(ctx, devices_fd, SYSFS_PCI_DEVICES, path, 0xffff, &total);
        }
        if (r >= 0)
                r = vfioctl_state_get_devices(st, NULL, &rows, &n_rows);
        for (size_t i = 0; i < n_rows && r >= 0; i++) {
                _cleanup_close_ int fd = -EBADF;
                struct vfioctl_pci_addr a;

                if (vfioctl_pci_addr_parse(rows[i].address, &a) < 0 ||
                    !is_vf_of(&pf, &a, offset, stride, total) ||
                    sysfs_open_subdir(ctx, devices_fd, rows[i].address, &fd) >= 0)
                        continue;
                r = state_device_delete(st, rows[i].address);
        }
        vfioctl_state_devices_free(rows, n_rows);
        return r;
}

int sriov_recover(struct op_run *run, const struct vfioctl_state_op *op)
{
        struct sriov_row row;
        const char *pfname;
        char path[SYSFS_PATH_MAX];
        _cleanup_free_ char *ap = NULL;
        unsigned have = 0, want;
        int r, now_ap = -1;

        if (op->n_changes < 1 || !run->st)
                return 0;
        pfname = op->changes[0].address;
        r = sriov_row_get(run->st, pfname, &row);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (row.pending_op != op->id) {
                sriov_row_clear(&row);
                return 0;
        }
        sysfs_device_attr(path, pfname, "sriov_drivers_autoprobe");
        if (sysfs_read_str(run->ctx, run->devices_fd, SYSFS_PCI_DEVICES, path, &ap) >= 0)
                now_ap = streq(ap, "0") ? 0 : 1;
        /* What the interrupted command found: the VFs it would have removed are gone. */
        /* As before the command: host VFs come back, VFs on a stub do not. */
        r = count_virtfns(run->ctx, run->devices_fd, pfname, &have);
        want = row.made ? 0 : row.orig_numvfs;
        if (r >= 0)
                r = sriov_undo(run, pfname, want, row.orig_autoprobe, now_ap, have);
        if (r >= 0 && (have != want || (row.orig_autoprobe >= 0 && row.orig_autoprobe != now_ap)))
                report_add(run->report, pfname, VFIOCTL_ACTION_ROLLED_BACK,
                           op->changes[0].before_driver, op->changes[0].before_driver,
                           "its VFs removed again");
        if (r >= 0 && row.made)
                r = forget_gone_vfs(run->ctx, run->st, run->devices_fd, pfname);
        if (r >= 0)
                r = sriov_row_delete(run->st, pfname);
        sriov_row_clear(&row);
        return r;
}

/* Refuses when a VF the change removes is owned, or detached by someone else. */
static int check_removable(struct sriov_run *s, const struct vfioctl_state_device *rows,
                           size_t n_rows, const struct sriov_row *row)
{
        const struct vfioctl_pci_addr *vfs;
        size_t n_vfs = 0;
        int busy = 0, r;

        r = vfioctl_device_get_virtfns(s->pf, &vfs, &n_vfs);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_vfs; i++) {
                char name[VFIOCTL_PCI_ADDR_MAX];
                const struct vfioctl_state_device *d;
                vfioctl_device *vf;

                vfioctl_pci_addr_format(&vfs[i], name);
                d = row_of(rows, n_rows, name);
                if (d && d->owner) {
                        busy++;
                        report_add(s->report, name, VFIOCTL_ACTION_IN_USE, d->stub_driver, NULL,
                                   "VF of %s, %s guest '%s'", s->pfname,
                                   d->role == VFIOCTL_ROLE_HELD ? "held for" : "assigned to",
                                   d->owner);
                        continue;
                }
                if (d && row && row->made > 0)
                        continue; /* ours, made by an earlier sriov: removed with the others */
                if (d) {
                        busy++;
                        report_add(s->report, name, VFIOCTL_ACTION_IN_USE, d->stub_driver, NULL,
                                   "VF of %s, detached by '%s'", s->pfname, d->detached_by);
                        continue;
                }
                if (host_find_device(s->host, &vfs[i], &vf) < 0)
                        continue;
                if (vfioctl_device_is_on_stub(vf)) {
                        busy++;
                        report_add(s->report, name, VFIOCTL_ACTION_IN_USE,
                                   vfioctl_device_get_driver(vf), NULL, "VF of %s, on %s",
                                   s->pfname, vfioctl_device_get_driver(vf));
                }
        }
        if (!busy)
                return 0;
        report_set_outcome(s->report, VFIOCTL_OUTCOME_REFUSED);
        return ctx_error(s->ctx, -EBUSY,
                         "cannot change the VFs of %s: %d of them %s owned or detached (below); "
                         "nothing was changed. Release or reattach them first",
                         s->pfname, busy, busy == 1 ? "is" : "are");
}

/* Drops the VF rows of an earlier sriov once the VFs are gone. */
static int forget_vfs(struct sriov_run *s, const struct vfioctl_state_device *rows, size_t n_rows)
{
        const struct vfioctl_pci_addr *vfs;
        size_t n_vfs = 0;
        int r;

        r = vfioctl_device_get_virtfns(s->pf, &vfs, &n_vfs);
        for (size_t i = 0; i < n_vfs && r >= 0; i++) {
                char name[VFIOCTL_PCI_ADDR_MAX];

                vfioctl_pci_addr_format(&vfs[i], name);
                if (row_of(rows, n_rows, name)) {
                        report_add(s->report, name, VFIOCTL_ACTION_REATTACHED, NULL, NULL,
                                   "VF of %s removed", s->pfname);
                        r = state_device_delete(s->st, name);
                }
        }
        return r;
}

static int sriov_invalid(struct sriov_run *s, int error, const char *format, ...) _printf_(3, 4);
static int sriov_invalid(struct sriov_run *s, int error, const char *format, ...)
{
        va_list ap;

        report_set_outcome(s->report, VFIOCTL_OUTCOME_INVALID);
        va_start(ap, format);
        ctx_verror(s->ctx, error, format, ap);
        va_end(ap);
        return error;
}

/* --dry-run: the writes, with the VFs' binding predicted from offset and stride. */
static int sriov_dry_run(struct sriov_run *s, unsigned n, const char *stub, unsigned current,
                         int autoprobe, int want_ap)
{
        _cleanup_free_ struct vfioctl_pci_addr *vfs = NULL;
        char path[SYSFS_PATH_MAX];
        int r;

        if (n > 0 && want_ap != autoprobe)
                (void) autoprobe_write(s, want_ap);
        if (current > 0)
                (void) numvfs_write(s, 0, current);
        if (n > 0)
                (void) numvfs_write(s, n, 0);
        if (n == 0 && want_ap != autoprobe)
                (void) autoprobe_write(s, want_ap);
        if (!stub || n == 0)
                return 0;
        vfs = calloc(n, sizeof(*vfs));
        if (!vfs)
                return -ENOMEM;
        r = predict_vfs(s->host, s->pf, n, vfs);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++) {
                char name[VFIOCTL_PCI_ADDR_MAX];

                vfioctl_pci_addr_format(&vfs[i], name);
                sysfs_device_path(path, name, "driver_override");
                (void) sysfs_write(s->ctx, path, stub);
                (void) sysfs_write(s->ctx, "sys/bus/pci/drivers_probe", name);
        }
        return 0;
}

static int sriov_set(struct sriov_run *s, unsigned n)
{
        const char *stub = s->opts->driver ? vfioctl_stub_driver_name(s->opts->driver) : NULL;
        struct vfioctl_state_device *rows = NULL;
        struct sriov_row row = {};
        /* Copies: binding the new VFs drops the host's cache, s->pf with it. */
        _cleanup_free_ char *pf_driver = vfioctl_device_get_driver(s->pf)
                                                 ? strdup(vfioctl_device_get_driver(s->pf))
                                                 : NULL;
        _cleanup_free_ char *override = NULL;
        const char *ovr = NULL;
        unsigned total = 0, current = 0, undo_numvfs;
        int autoprobe = 1, want_ap, r, k;
        size_t n_rows = 0;
        bool had_row;

        r = vfioctl_device_get_sriov(s->pf, &total, &current);
        if (r < 0)
                return r;
        if (total == 0)
                return sriov_invalid(s, -EINVAL, "%s is not an SR-IOV physical function (it has "
                                     "no sriov_totalvfs)", s->pfname);
        if (n > total)
                return sriov_invalid(s, -ERANGE, "%s can have at most %u VFs (sriov_totalvfs), "
                                     "not %u", s->pfname, total, n);
        if (n > 0 && (!pf_driver || vfioctl_device_is_on_stub(s->pf))) {
                report_set_outcome(s->report, VFIOCTL_OUTCOME_REFUSED);
                return ctx_error(s->ctx, -ENOENT,
                                 "%s is %s%s: only its host driver can enable SR-IOV; bind it "
                                 "back (vfioctl reattach %s) first",
                                 s->pfname, pf_driver ? "on " : "unbound",
                                 pf_driver ? pf_driver : "", s->pfname);
        }
        if (stub && n > 0) {
                r = plan_check_stub(s->host, s->opts->driver, stub, s->report);
                if (r < 0)
                        return r;
                if (!streq(stub, "pci-stub") && !vfioctl_host_has_iommu(s->host)) {
                        report_set_outcome(s->report, VFIOCTL_OUTCOME_REFUSED);
                        return ctx_error(s->ctx, -ENODEV,
                                         "this host has no IOMMU groups: VFs bound to %s could "
                                         "not be given to a guest, and nothing was changed",
                                         stub);
                }
        }
        if (vfioctl_device_get_driver(s->pf) && !pf_driver)
                return -ENOMEM;
        r = vfioctl_device_get_driver_override(s->pf, &ovr);
        if (r < 0)
                return r;
        if (ovr && !(override = strdup(ovr)))
                return -ENOMEM;
        r = read_autoprobe(s->host, s->pf, &autoprobe);
        if (r < 0)
                return r;
        if (s->st) {
                r = vfioctl_state_get_devices(s->st, NULL, &rows, &n_rows);
                if (r < 0)
                        return r;
        }
        had_row = s->st && sriov_row_get(s->st, s->pfname, &row) == 0;
        /* Nothing to do: the same count, and on the same stub (none: not on ours). */
        if (current == n && (stub ? had_row && row.made == n && streq_ptr(row.stub_driver, stub)
                                  : !(had_row && row.made > 0))) {
                r = 0; /* nothing to do */
                goto out;
        }
        if (current > 0) {
                r = check_removable(s, rows, n_rows, had_row ? &row : NULL);
                if (r < 0)
                        goto out;
        }
        /* A rollback gives host VFs back; VFs an earlier sriov bound to a stub are gone. */
        undo_numvfs = had_row && row.made ? 0 : current;
        if (!had_row) {
                snprintf(row.address, sizeof(row.address), "%s", s->pfname);
                row.orig_numvfs = current;
                row.orig_autoprobe = autoprobe;
        }
        want_ap = stub && n > 0 ? 0 : row.orig_autoprobe;

        if (vfioctl_ctx_is_dry_run(s->ctx)) {
                r = op_run_init(&s->run, s->ctx, NULL, s->opts->timeout_ms, s->report);
                if (r >= 0) {
                        s->run_open = true;
                        r = sriov_dry_run(s, n, stub, current, autoprobe, want_ap);
                }
                goto out;
        }

        r = sriov_op_begin(s, pf_driver, override);
        if (r < 0)
                goto out;
        /* The PF row says which operation changes it, before the first write. */
        row.pending_op = s->run.op_id;
        r = state_begin(s->st);
        if (r >= 0)
                r = sriov_row_put(s->st, &row);
        if (r >= 0)
                r = state_commit(s->st);
        else
                state_rollback(s->st);
        if (r < 0)
                goto out;

        /* The PF's row as the VFs' last bind records it. */
        free(row.stub_driver);
        row.stub_driver = stub && n > 0 ? strdup(stub) : NULL;
        row.made = stub ? n : 0;
        row.pending_op = 0;
        /* Autoprobe off before VFs appear with a stub, else as it was before vfioctl. */
        if (n > 0 && want_ap != autoprobe)
                r = autoprobe_write(s, want_ap);
        if (r >= 0 && current > 0)
                r = numvfs_write(s, 0, current);
        if (r >= 0 && n > 0)
                r = make_vfs(s, n, stub, &row);
        if (r >= 0 && n == 0 && want_ap != autoprobe)
                r = autoprobe_write(s, want_ap);
        if (r < 0)
                goto fail;
        if (stub && n > 0)
                goto out;
        /* Without a stub (or to 0): the VFs are the host's; the earlier ones are forgotten. */
        r = state_begin(s->st);
        if (r >= 0)
                r = forget_vfs(s, rows, n_rows);
        if (r >= 0)
                r = sriov_row_delete(s->st, s->pfname);
        if (r >= 0)
                r = state_op_end(s->st, s->run.op_id);
        if (r >= 0)
                r = state_commit(s->st);
        if (r < 0)
                state_rollback(s->st);
        goto out;

fail:
        /* Rollback: no VFs of this command, autoprobe as it was. */
        {
                char saved[1024];
                int ap_now = n > 0 ? want_ap : autoprobe;

                unsigned have = 0;

                snprintf(saved, sizeof(saved), "%s", vfioctl_ctx_errmsg(s->ctx));
                k = count_virtfns(s->ctx, s->run.devices_fd, s->pfname, &have);
                if (k >= 0)
                        k = sriov_undo(&s->run, s->pfname, undo_numvfs, row.orig_autoprobe,
                                       ap_now, have);
                if (k >= 0 && state_begin(s->st) >= 0) {
                        if (forget_gone_vfs(s->ctx, s->st, s->run.devices_fd, s->pfname) >= 0 &&
                            sriov_row_delete(s->st, s->pfname) >= 0 &&
                            state_op_end(s->st, s->run.op_id) >= 0)
                                (void) state_commit(s->st);
                        else
                                state_rollback(s->st);
                        report_add(s->report, s->pfname, VFIOCTL_ACTION_ROLLED_BACK, pf_driver,
                                   pf_driver, "its VFs removed again");
                        report_set_outcome(s->report, VFIOCTL_OUTCOME_REFUSED);
                } else
                        report_set_outcome(s->report, VFIOCTL_OUTCOME_ATTENTION);
                ctx_error(s->ctx, r, "%s", saved);
        }
out:
        vfioctl_state_devices_free(rows, n_rows);
        sriov_row_clear(&row);
        return r;
}

VFIOCTL_EXPORT int vfioctl_sriov_set_numvfs(vfioctl_host *host, vfioctl_state *st,
                                            const struct vfioctl_pci_addr *pf, unsigned n,
                                            const struct vfioctl_op_options *opts,
                                            vfioctl_sriov_progress_fn progress, void *userdata,
                                            vfioctl_report *report)
{
        static const struct vfioctl_op_options none;
        struct sriov_run s = {
                .host = host,
                .st = st,
                .opts = opts ? opts : &none,
                .report = report,
                .progress = progress,
                .userdata = userdata,
        };
        int r;

        if (!host || !pf || (!st && !vfioctl_ctx_is_dry_run(vfioctl_host_get_ctx(host))))
                return -EINVAL;
        s.ctx = vfioctl_host_get_ctx(host);
        if (!vfioctl_ctx_is_dry_run(s.ctx) && st->lock_fd < 0)
                return ctx_error(s.ctx, -ENOLCK, "the state must be locked (vfioctl_state_lock) first");
        r = vfioctl_host_get_device(host, pf, &s.pf);
        if (r < 0) {
                report_set_outcome(report, VFIOCTL_OUTCOME_INVALID);
                return r;
        }
        snprintf(s.pfname, sizeof(s.pfname), "%s", vfioctl_device_get_address(s.pf));
        r = sriov_set(&s, n);
        helpers_end(&s.ahead);
        if (s.run_open)
                op_run_done(&s.run);
        vfioctl_host_invalidate(host);
        return r;
}

/* ------------------------------------------------------------------ */
/* Detach and reattach of a PF (detach.c)                              */

int sriov_before_detach(vfioctl_host *host, vfioctl_state *st, const struct plan *p)
{
        int r = 0;

        for (size_t i = 0; i < p->n_changes && r >= 0; i++) {
                struct sriov_row row = {};
                struct vfioctl_pci_addr a;
                vfioctl_device *pf;
                unsigned total = 0, num = 0;
                int autoprobe = 1;

                if (vfioctl_pci_addr_parse(p->changes[i].address, &a) < 0 ||
                    host_find_device(host, &a, &pf) < 0 ||
                    vfioctl_device_get_sriov(pf, &total, &num) < 0 || num == 0)
                        continue;
                if (sriov_row_get(st, p->changes[i].address, &row) == 0) {
                        sriov_row_clear(&row);
                        continue; /* an earlier record knows better */
                }
                (void) read_autoprobe(host, pf, &autoprobe);
                snprintf(row.address, sizeof(row.address), "%s", p->changes[i].address);
                row.orig_numvfs = num;
                row.orig_autoprobe = autoprobe;
                /* Recorded before the first write: reattach makes the VFs again. */
                r = state_begin(st);
                if (r >= 0)
                        r = sriov_row_put(st, &row);
                if (r >= 0)
                        r = state_commit(st);
                else
                        state_rollback(st);
        }
        return r;
}

/* A PF back on its host driver gets the VFs it had when it was detached. */
static int restore_one(vfioctl_host *host, vfioctl_state *st, const char *address,
                       const struct vfioctl_op_options *opts, vfioctl_report *report)
{
        struct vfioctl_op_options o = *opts;
        struct sriov_row row;
        struct vfioctl_pci_addr a;
        vfioctl_device *pf;
        int r;

        if (sriov_row_get(st, address, &row) < 0)
                return 0;
        r = row.made == 0 && row.pending_op == 0 && vfioctl_pci_addr_parse(address, &a) >= 0;
        if (r && host_find_device(host, &a, &pf) >= 0 && vfioctl_device_get_driver(pf) &&
            !vfioctl_device_is_on_stub(pf)) {
                /* The call below drops the host's cache, pf with it. */
                _cleanup_free_ char *drv = strdup(vfioctl_device_get_driver(pf));

                o.driver = NULL;
                r = drv ? vfioctl_sriov_set_numvfs(host, st, &a, row.orig_numvfs, &o, NULL, NULL,
                                                   report)
                        : -ENOMEM;
                if (r >= 0)
                        report_add(report, address, VFIOCTL_ACTION_REATTACHED, drv, drv,
                                   "its %u VF%s made again", row.orig_numvfs,
                                   row.orig_numvfs == 1 ? "" : "s");
        } else
                r = 0;
        sriov_row_clear(&row);
        return r;
}

int sriov_after_detach_failed(vfioctl_host *host, vfioctl_state *st, const struct plan *p,
                              const struct vfioctl_op_options *opts, vfioctl_report *report)
{
        for (size_t i = 0; i < p->n_changes; i++)
                (void) restore_one(host, st, p->changes[i].address, opts, report);
        return 0;
}

/*
 * A VF `sriov` made on a stub appeared with its PF's autoprobe off, so it
 * was never on a host driver, and the kernel probes none for it while
 * autoprobe stays off (it is, for its siblings): given back on its own it
 * would be left with no driver and no record. Its PF's VF count is what
 * changes it. Returns 1 (refused, said why) or 0.
 */
static int refuse_made_vf(vfioctl_host *host, vfioctl_state *st, const struct vfioctl_pci_addr *a,
                          vfioctl_report *report)
{
        char name[VFIOCTL_PCI_ADDR_MAX], pfname[VFIOCTL_PCI_ADDR_MAX];
        struct vfioctl_pci_addr pfaddr;
        struct sriov_row row;
        vfioctl_device *dev;
        bool is_vf = false;
        int r;

        if (vfioctl_host_get_device(host, a, &dev) < 0 ||
            vfioctl_device_get_physfn(dev, &pfaddr, &is_vf) < 0 || !is_vf) {
                ctx_clear_error(vfioctl_host_get_ctx(host));
                return 0;
        }
        vfioctl_pci_addr_format(&pfaddr, pfname);
        if (sriov_row_get(st, pfname, &row) < 0)
                return 0;
        r = row.made > 0 && row.stub_driver && streq_ptr(vfioctl_device_get_driver(dev),
                                                         row.stub_driver);
        if (r) {
                vfioctl_pci_addr_format(a, name);
                report_add(report, name, VFIOCTL_ACTION_IN_USE, row.stub_driver, NULL,
                           "VF made on %s with %s's autoprobe off", row.stub_driver, pfname);
                report_set_outcome(report, VFIOCTL_OUTCOME_REFUSED);
                ctx_error(vfioctl_host_get_ctx(host), -EBUSY,
                          "%s is one of the %u VFs of %s made on %s: it never had a host driver, "
                          "and none probes it while %s's autoprobe is off; nothing was changed. "
                          "Set %s's VFs again without a stub driver to give them to the host, "
                          "or to 0 to remove them",
                          name, row.made, pfname, row.stub_driver, pfname, pfname);
        }
        sriov_row_clear(&row);
        return r;
}

int sriov_before_reattach(vfioctl_host *host, vfioctl_state *st,
                          const struct vfioctl_pci_addr *addrs, size_t n,
                          const struct vfioctl_op_options *opts, vfioctl_report *report)
{
        for (size_t i = 0; i < n; i++)
                if (refuse_made_vf(host, st, &addrs[i], report))
                        return -EBUSY;
        for (size_t i = 0; i < n; i++) {
                char name[VFIOCTL_PCI_ADDR_MAX];
                struct sriov_row row;
                bool made;
                int r;

                vfioctl_pci_addr_format(&addrs[i], name);
                if (sriov_row_get(st, name, &row) < 0)
                        continue;
                made = row.made > 0;
                sriov_row_clear(&row);
                if (!made)
                        continue;
                /* VFs `sriov` made: reattaching the PF removes them. */
                r = vfioctl_sriov_set_numvfs(host, st, &addrs[i], 0, opts, NULL, NULL, report);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sriov_after_reattach(vfioctl_host *host, vfioctl_state *st,
                         const struct vfioctl_pci_addr *addrs, size_t n,
                         const struct vfioctl_op_options *opts, vfioctl_report *report)
{
        int r = 0;

        for (size_t i = 0; i < n && r >= 0; i++) {
                char name[VFIOCTL_PCI_ADDR_MAX];

                vfioctl_pci_addr_format(&addrs[i], name);
                r = restore_one(host, st, name, opts, report);
        }
        return r;
}
