/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Moving a device from one driver to another, the way the kernel wants it
 * (kernel-semantics.md §1, DESIGN §3.3):
 *
 *   driver_override <- target   (only the target may now bind it)
 *   drivers/CUR/unbind <- BDF   (may block while a user holds the device)
 *   drivers_probe <- BDF        (reports success even when nothing bound)
 *   then wait, bounded, for the driver link to name the target.
 *
 * Never new_id: it binds every matching device, not the one asked for.
 *
 * Every step is one "converge" towards a wanted (driver, override) pair,
 * decided from what sysfs says now. The same function detaches, gives
 * back and rolls back, and because it starts from the device as it is,
 * running it again after a crash at any point finishes the job: that is
 * what makes recovery simple. Each write is journaled as intended before
 * it is made and marked done once verified.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "driver.h"
#include "op.h"

/*
 * Rule 15: the reads run with the executor's lock dropped, as the
 * kernel's answer is what a group waits for most after its writes; what
 * they found is judged (and a message made) once the lock is back.
 */
int driver_read(struct op_run *run, const char *address, char **ret_driver, char **ret_override)
{
        _cleanup_free_ char *driver = NULL, *override = NULL;
        _cleanup_(sysfs_fetch_done) struct sysfs_fetch fo = {};
        struct sysfs_fetch fl;
        char link[SYSFS_PATH_MAX], attr[SYSFS_PATH_MAX], buf[SYSFS_PATH_MAX];
        const char *name;
        int dir, r;

        sysfs_device_attr(link, address, "driver");
        sysfs_device_attr(attr, address, "driver_override");
        op_wait_begin(run);
        name = op_device_attr(run, address, "driver", &dir, buf);
        sysfs_fetch_link(dir, name, &fl);
        if (ret_override) {
                name = op_device_attr(run, address, "driver_override", &dir, buf);
                sysfs_fetch_text(dir, name, SYSFS_ATTR_MAX, &fo);
        }
        op_wait_end(run);

        r = sysfs_fetched_link_name(run->ctx, SYSFS_PCI_DEVICES, link, &fl, &driver);
        if (r < 0 && r != -ENOENT)
                return r;
        if (ret_override) {
                r = sysfs_fetched_override(run->ctx, SYSFS_PCI_DEVICES, attr, &fo, &override);
                if (r < 0)
                        return r;
                *ret_override = TAKE_PTR(override);
        }
        *ret_driver = TAKE_PTR(driver);
        return 0;
}

/* Waits, bounded, until the driver link names want (or shows some other driver). */
static int wait_for_driver(struct op_run *run, const char *address, const char *want,
                           char **ret_driver)
{
        struct wait_info w = { .wait = VFIOCTL_WAIT_DRIVER, .address = address, .driver = want };
        int64_t start = op_now_ms(), deadline = start + run->timeout_ms;
        int64_t next_tick = start + PROGRESS_TICK_MS;
        unsigned pause_us = 1000;

        for (;;) {
                _cleanup_free_ char *driver = NULL;
                int64_t t;
                int r = driver_read(run, address, &driver, NULL);

                if (r < 0)
                        return r;
                t = op_now_ms();
                /* Any driver settles it: the kernel binds synchronously on
                 * drivers_probe, so only "nothing yet" is worth waiting for. */
                if (driver || t >= deadline || op_interrupted(run)) {
                        *ret_driver = TAKE_PTR(driver);
                        return streq_ptr(*ret_driver, want) ? 0 : -ENXIO;
                }
                if (t >= next_tick) {
                        op_progress(run, &w, NULL, NULL, 0, t - start);
                        next_tick = t + PROGRESS_TICK_MS;
                }
                op_wait_begin(run);
                usleep(pause_us);
                op_wait_end(run);
                if (pause_us < 50000)
                        pause_us *= 2;
        }
}

/* ------------------------------------------------------------------ */
/* Converging one device                                              */


/*
 * One journaled write of a converge step, marked done once the kernel
 * answered. A write left waiting in its helper (timeout, interruption)
 * marks the device blocked: rollback must not touch it, since any write
 * to it would queue behind the blocked one.
 */
static int converge_write(struct op_run *run, struct converge *c, struct wait_info *w,
                          const char *path, const char *value, int *ret_seq)
{
        char why[512];
        pid_t helper;
        int r;

        c->writes++;
        r = op_do_write(run, w, path, value, ret_seq, &helper);
        if (r != -ETIMEDOUT && r != -EINTR)
                return r;
        c->blocked = true;
        c->blocked_pid = helper;
        if (w->wait == VFIOCTL_WAIT_UNBIND)
                snprintf(c->blocked_what, sizeof(c->blocked_what), "the unbind from %s",
                         w->driver);
        else
                snprintf(c->blocked_what, sizeof(c->blocked_what), "writing '%s' to /%s", value,
                         path);
        op_waiting_on(run, w, why, sizeof(why));
        if (r == -EINTR)
                return ctx_error(run->ctx, -EINTR, "interrupted while %s %s: %s",
                                 w->wait == VFIOCTL_WAIT_UNBIND ? "unbinding" : "writing to",
                                 w->address, why);
        if (w->wait == VFIOCTL_WAIT_UNBIND)
                return ctx_error_reason(run->ctx, VFIOCTL_REASON_RECOVER_LATER, -ETIMEDOUT,
                                        "unbinding %s from %s did not finish within %.1f s: %s",
                                        c->address, w->driver, run->timeout_ms / 1000.0, why);
        return ctx_error_reason(run->ctx, VFIOCTL_REASON_RECOVER_LATER, -ETIMEDOUT,
                                "writing '%s' to /%s did not finish within %.1f s: %s", value,
                                path, run->timeout_ms / 1000.0, why);
}

static int converge_unbind(struct op_run *run, struct converge *c, const char *from)
{
        struct wait_info w = { .wait = VFIOCTL_WAIT_UNBIND, .address = c->address, .driver = from };
        char path[SYSFS_PATH_MAX];
        int seq, r;

        /* A vfio driver waits for the users of the group; any other driver's
         * remove is what waits (decided now: the entry goes with the driver). */
        w.driver_is_vfio = streq(from, "vfio-pci");
        if (!w.driver_is_vfio) {
                char buf[SYSFS_PATH_MAX];
                int dir;
                const char *vfio_dev = op_device_attr(run, c->address, "vfio-dev", &dir, buf);

                w.driver_is_vfio = sysfs_exists(run->ctx, dir, vfio_dev) > 0;
        }
        sysfs_driver_path(path, from, "unbind");
        r = converge_write(run, c, &w, path, c->address, &seq);
        if (r < 0)
                return r;
        return op_journal_set(run, seq, "done", 0);
}

/* A bind, a drivers_probe or an override: bounded too, for the device lock. */
static int converge_plain_write(struct op_run *run, struct converge *c, const char *path,
                                const char *value, int *ret_seq)
{
        struct wait_info w = { .wait = VFIOCTL_WAIT_WRITE, .address = c->address, .driver = c->driver };

        return converge_write(run, c, &w, path, value, ret_seq);
}

/* drivers_probe, then the link must name the wanted driver. */
static int converge_probe(struct op_run *run, struct converge *c)
{
        _cleanup_free_ char *got = NULL;
        char path[PATH_MAX];
        int seq, r;

        r = converge_plain_write(run, c, "sys/bus/pci/drivers_probe", c->address, &seq);
        if (r < 0)
                return r;
        if (vfioctl_ctx_is_dry_run(run->ctx))
                return 0;
        r = wait_for_driver(run, c->address, c->driver, &got);
        if (r == 0)
                return op_journal_set(run, seq, "done", 0);
        if (r != -ENXIO)
                return r;
        if (!got) {
                (void) op_journal_set(run, seq, "failed", 0);
                if (op_interrupted(run))
                        return ctx_error(run->ctx, -EINTR, "interrupted while waiting for %s "
                                         "to bind to %s", c->address, c->driver);
                return ctx_error(run->ctx, -ENXIO,
                                 "%s did not bind to %s: drivers_probe bound nothing within "
                                 "%.1f s (the driver's probe refused it; see the kernel log)",
                                 c->address, c->driver, run->timeout_ms / 1000.0);
        }
        /* Another driver won the probe (the original one was bound by hand,
         * or a dynamic id matched first): take it off, bind the one asked for. */
        (void) op_journal_set(run, seq, "done", 0);
        r = converge_unbind(run, c, got);
        if (r < 0)
                return r;
        sysfs_driver_path(path, c->driver, "bind");
        r = converge_plain_write(run, c, path, c->address, &seq);
        if (r < 0)
                return r;
        free(got);
        got = NULL;
        r = wait_for_driver(run, c->address, c->driver, &got);
        if (r < 0)
                return ctx_error(run->ctx, -ENXIO, "%s did not bind to %s (driver: %s)",
                                 c->address, c->driver, got ? got : "none");
        return op_journal_set(run, seq, "done", 0);
}

/*
 * Giving a device back to the driver it had: drivers/NAME/bind names the
 * driver, where drivers_probe would take whichever matches first. The
 * override was restored before, so the kernel's matching agrees.
 */
static int converge_bind_exact(struct op_run *run, struct converge *c)
{
        _cleanup_free_ char *got = NULL;
        char path[PATH_MAX];
        int seq, r;

        sysfs_driver_path(path, c->driver, "bind");
        r = converge_plain_write(run, c, path, c->address, &seq);
        /* bind_store() says ENODEV when the driver matches no id of the
         * device (the device itself is there: it was just unbound). */
        if (r == -ENODEV)
                return ctx_error(run->ctx, -ENODEV,
                                 "%s cannot go back to %s: the kernel found none of its ids in "
                                 "%s's id table, static or dynamic. It was bound there by a "
                                 "dynamic id (new_id) or a driver_override that is gone since "
                                 "(the driver was reloaded, say)",
                                 c->address, c->driver, c->driver);
        if (r < 0)
                return r;
        if (vfioctl_ctx_is_dry_run(run->ctx))
                return 0;
        r = wait_for_driver(run, c->address, c->driver, &got);
        if (r == -ENXIO) {
                (void) op_journal_set(run, seq, "failed", 0);
                return ctx_error(run->ctx, -ENXIO, "%s did not bind to %s (driver now: %s)",
                                 c->address, c->driver, got ? got : "none");
        }
        if (r < 0)
                return r;
        return op_journal_set(run, seq, "done", 0);
}

/*
 * First half of a move: the wanted override, and off the current driver
 * if that is not the wanted one. Writes only what differs from sysfs now.
 * Returns 1 with *ret_left the driver still bound (NULL: none) when it
 * unbound nothing, as an override write binds and unbinds nothing; 0 after
 * an unbind, whose outcome only a read can tell.
 */
static int release(struct op_run *run, struct converge *c, char **ret_left)
{
        _cleanup_free_ char *driver = NULL, *override = NULL;
        char path[SYSFS_PATH_MAX];
        int seq, r;

        r = driver_read(run, c->address, &driver, &override);
        if (r < 0)
                return r;
        if (!streq_ptr(override, c->override)) {
                sysfs_device_path(path, c->address, "driver_override");
                r = converge_plain_write(run, c, path, c->override ? c->override : "", &seq);
                if (r < 0)
                        return r;
                r = op_journal_set(run, seq, "done", 0);
                if (r < 0)
                        return r;
        }
        if (!driver || streq_ptr(driver, c->driver)) {
                *ret_left = TAKE_PTR(driver);
                return 1;
        }
        r = converge_unbind(run, c, driver);
        return r < 0 ? r : 0;
}

int converge_release(struct op_run *run, struct converge *c)
{
        _cleanup_free_ char *left = NULL;
        int r = release(run, c, &left);

        return r < 0 ? r : 0;
}

/*
 * The kernel's choice: drivers_probe binds whichever driver matches, or
 * none (a device no loaded driver wants stays unbound, which is no
 * failure). The probe runs synchronously, so the link is read once.
 */
static int converge_probe_any(struct op_run *run, struct converge *c)
{
        _cleanup_free_ char *got = NULL;
        int seq, r;

        r = converge_plain_write(run, c, "sys/bus/pci/drivers_probe", c->address, &seq);
        if (r < 0)
                return r;
        if (vfioctl_ctx_is_dry_run(run->ctx))
                return 0;
        r = driver_read(run, c->address, &got, NULL);
        if (r < 0)
                return r;
        log_debug(run->ctx, "%s: the kernel bound %s", c->address, got ? got : "nothing");
        return op_journal_set(run, seq, "done", 0);
}

/* Second half, from the driver bound now: probe for the wanted one unless it is that. */
static int bind_from(struct op_run *run, struct converge *c, const char *driver)
{
        if (streq(c->driver, DRIVER_KERNEL_CHOICE))
                return driver && !vfioctl_ctx_is_dry_run(run->ctx) ? 0
                                                                   : converge_probe_any(run, c);
        /* In a dry run the old driver is still bound: the probe would follow. */
        if (streq_ptr(driver, c->driver))
                return 0;
        return c->exact ? converge_bind_exact(run, c) : converge_probe(run, c);
}

int converge_bind(struct op_run *run, struct converge *c)
{
        _cleanup_free_ char *driver = NULL;
        int r;

        if (!c->driver)
                return 0;
        r = driver_read(run, c->address, &driver, NULL);
        if (r < 0)
                return r;
        return bind_from(run, c, driver);
}

/* Both halves; the second reads the driver again only after an unbind. */
int converge(struct op_run *run, struct converge *c)
{
        _cleanup_free_ char *left = NULL;
        int r = release(run, c, &left);

        if (r < 0)
                return r;
        if (r == 0)
                return converge_bind(run, c);
        return c->driver ? bind_from(run, c, left) : 0;
}

void converge_for_change(const struct vfioctl_state_change *ch, bool before,
                         struct converge *c)
{
        *c = (struct converge) {
                .address = ch->address,
                .group = ch->group,
                .driver = before ? ch->before_driver : ch->target_driver,
                .override = before ? ch->before_override : ch->target_override,
        };
        /* A stub is reached through its override and drivers_probe (DESIGN
         * §3.3); a host driver is named, as drivers_probe would take
         * whichever driver matches first. */
        c->exact = c->driver && !streq_ptr(c->override, c->driver);
}

/* ------------------------------------------------------------------ */
/* Which drivers are stubs                                            */

/* A module's name as modules.alias writes it ("vfio-pci-igb" -> "vfio_pci_igb"). */
static void module_name(const char *driver, char *buf, size_t size)
{
        size_t i;

        for (i = 0; driver[i] && i + 1 < size; i++)
                buf[i] = driver[i] == '-' ? '_' : driver[i];
        buf[i] = '\0';
}

/*
 * The modules with "vfio_pci:" aliases in lib/modules/RELEASE/modules.alias
 * (as libvirt finds vfio variant drivers), read once per host. A host
 * without the file (no modules installed under the root) has none.
 */
static int load_vfio_modules(vfioctl_host *host)
{
        _cleanup_free_ char *release = NULL, *aliases = NULL, *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n = 0;

        if (host->vfio_modules_loaded)
                return 0;
        host->vfio_modules_loaded = true;
        if (sysfs_open_dir(host->ctx, "proc/sys/kernel", &fd) < 0 ||
            sysfs_read_str(host->ctx, fd, "proc/sys/kernel", "osrelease", &release) < 0 ||
            strchr(release, '/') || release[0] == '.') {
                ctx_clear_error(host->ctx);
                return 0;
        }
        close(fd);
        fd = -EBADF;
        if (asprintf(&dir, "lib/modules/%s", release) < 0)
                return -ENOMEM;
        if (sysfs_open_dir(host->ctx, dir, &fd) < 0 ||
            sysfs_read_text(host->ctx, fd, dir, "modules.alias", 64 << 20, &aliases) < 0) {
                ctx_clear_error(host->ctx);
                return 0;
        }
        for (char *line = aliases, *next; line && *line; line = next) {
                char *mod, **l;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strncmp(line, "alias vfio_pci:", 15) != 0)
                        continue;
                mod = strrchr(line, ' ');
                if (!mod || !mod[1])
                        continue;
                l = realloc(host->vfio_modules, (n + 2) * sizeof(*l));
                if (!l)
                        return -ENOMEM;
                host->vfio_modules = l;
                l[n] = strdup(mod + 1);
                if (!l[n])
                        return -ENOMEM;
                l[++n] = NULL;
        }
        return 0;
}

/* Whether a loaded driver registers its devices with vfio: a device it has
 * bound shows vfio-dev/, or its module has vfio_pci: aliases. */
static bool driver_is_vfio_variant(vfioctl_host *host, const char *driver, vfioctl_device *dev)
{
        char path[PATH_MAX], mod[NAME_MAX + 1];
        _cleanup_strv_free_ char **bound = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (dev && streq_ptr(dev->driver, driver)) {
                sysfs_device_attr(path, dev->name, "vfio-dev");
                return sysfs_exists(host->ctx, host->devices_fd, path) > 0;
        }
        sysfs_driver_path(path, driver, NULL);
        if (!strchr(driver, '/') && sysfs_open_dir(host->ctx, path, &fd) >= 0 &&
            sysfs_list_dir(host->ctx, fd, path, &bound, NULL) >= 0)
                for (char **b = bound; *b; b++) {
                        struct vfioctl_pci_addr a;
                        char p[SYSFS_PATH_MAX];

                        if (vfioctl_pci_addr_parse(*b, &a) < 0)
                                continue;
                        sysfs_device_attr(p, *b, "vfio-dev");
                        if (sysfs_exists(host->ctx, host->devices_fd, p) > 0)
                                return true;
                }
        ctx_clear_error(host->ctx);
        if (load_vfio_modules(host) < 0)
                return false;
        module_name(driver, mod, sizeof(mod));
        for (char **m = host->vfio_modules; m && *m; m++)
                if (streq(*m, mod))
                        return true;
        return false;
}

/* Rule 11 */
enum driver_stub driver_stub_kind(vfioctl_host *host, const char *driver, vfioctl_device *dev)
{
        bool vfio;
        int r;

        if (!driver)
                return DRIVER_NONE;
        if (streq(driver, "vfio-pci"))
                return DRIVER_STUB_VFIO;
        if (streq(driver, "pci-stub") || streq(driver, "xen-pciback") || streq(driver, "pciback"))
                return DRIVER_STUB_HOLD;
        /* Being a vfio driver is a property of the driver: learnt once per
         * name, so a listing of 4,000 VFs on one driver asks once. */
        r = host_driver_is_vfio(host, driver);
        if (r >= 0)
                return r ? DRIVER_STUB_VFIO : DRIVER_HOST;
        vfio = driver_is_vfio_variant(host, driver, dev);
        (void) host_remember_driver(host, driver, vfio);
        return vfio ? DRIVER_STUB_VFIO : DRIVER_HOST;
}
