/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioctl status [GUEST]: every device vfioctl detached, found detached or
 * gave to a guest, with the driver it had and who detached it when; and
 * any operation left unfinished. Reads only: no lock is taken.
 */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"

static const char *row_state(const struct vfioctl_state_device *d)
{
        switch (d->role) {
        case VFIOCTL_ROLE_HELD:
                return "held";
        case VFIOCTL_ROLE_ASSIGNED:
                return "assigned";
        default:
                return d->found_detached ? "found" : "detached";
        }
}

/* A recorded device that is on a driver other than its stub now: the
 * kernel or someone else took it back (remove + rescan, a manual bind). */
static bool left_its_stub(const char *cur, bool gone, const struct vfioctl_state_device *d)
{
        return !gone && !streq_ptr(cur, d->stub_driver);
}

/* What the device is now: the record's word, unless it left its stub. */
static const char *state_now(const char *cur, bool gone, const struct vfioctl_state_device *d)
{
        return left_its_stub(cur, gone, d) ? (cur ? "host" : "unbound") : row_state(d);
}

static const char *when(int64_t t, char *buf, size_t size)
{
        time_t tt = (time_t) t;
        struct tm tm;

        if (!localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
                snprintf(buf, size, "%lld", (long long) t);
        return buf;
}

/* The driver the device is on now, NULL when unbound or gone. */
static const char *current_driver(vfioctl_host *host, const char *address, bool *gone)
{
        struct vfioctl_pci_addr a;
        vfioctl_device *dev;

        *gone = true;
        if (!host || vfioctl_pci_addr_parse(address, &a) < 0 ||
            vfioctl_host_get_device(host, &a, &dev) < 0)
                return NULL;
        *gone = false;
        return vfioctl_device_get_driver(dev);
}

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *device_row_json(vfioctl_host *host, const struct vfioctl_state_device *d)
{
        json_t *o = json_object();
        bool gone;
        const char *cur = current_driver(host, d->address, &gone);

        json_object_set_new(o, "address", json_string(d->address));
        json_object_set_new(o, "group", d->group >= 0 ? json_integer(d->group) : json_null());
        json_object_set_new(o, "state", json_string(state_now(cur, gone, d)));
        json_object_set_new(o, "recorded_state", json_string(row_state(d)));
        json_object_set_new(o, "driver", str_or_null(cur));
        json_object_set_new(o, "present", json_boolean(!gone));
        json_object_set_new(o, "original_driver", str_or_null(d->original_driver));
        json_object_set_new(o, "stub_driver", str_or_null(d->stub_driver));
        json_object_set_new(o, "found_detached", json_boolean(d->found_detached));
        json_object_set_new(o, "detached_by", str_or_null(d->detached_by));
        json_object_set_new(o, "detached_at", json_integer(d->detached_at));
        json_object_set_new(o, "owner", str_or_null(d->owner));
        json_object_set_new(o, "role", d->owner ? json_string(row_state(d)) : json_null());
        json_object_set_new(o, "managed", json_boolean(d->managed));
        return o;
}

static json_t *op_json(vfioctl_state_op *op)
{
        json_t *o = json_object(), *devs = json_array(), *steps = json_array();

        json_object_set_new(o, "id", json_integer(vfioctl_state_op_get_id(op)));
        json_object_set_new(o, "kind", json_string(vfioctl_state_op_get_kind(op)));
        json_object_set_new(o, "command", json_string(vfioctl_state_op_get_command(op)));
        json_object_set_new(o, "pid", json_integer(vfioctl_state_op_get_pid(op)));
        json_object_set_new(o, "started_at", json_integer(vfioctl_state_op_get_started_at(op)));
        for (size_t i = 0; i < vfioctl_state_op_n_changes(op); i++) {
                const char *address = NULL, *before = NULL, *target = NULL;
                json_t *d = json_object();

                (void) vfioctl_state_op_get_change(op, i, &address, &before, &target);
                json_object_set_new(d, "address", json_string(address));
                json_object_set_new(d, "before_driver", str_or_null(before));
                json_object_set_new(d, "target_driver", str_or_null(target));
                json_array_append_new(devs, d);
        }
        for (size_t i = 0; i < vfioctl_state_op_n_steps(op); i++) {
                const char *address = NULL, *path = NULL, *value = NULL, *status = NULL;
                json_t *d = json_object();

                (void) vfioctl_state_op_get_step(op, i, &address, &path, &value, &status);
                json_object_set_new(d, "address", json_string(address));
                json_object_set_new(d, "path", json_sprintf("/%s", path));
                json_object_set_new(d, "value", json_string(value));
                json_object_set_new(d, "status", json_string(status));
                json_array_append_new(steps, d);
        }
        json_object_set_new(o, "devices", devs);
        json_object_set_new(o, "steps", steps);
        return o;
}

/* Each device whose record no longer matches sysfs: what happened, what to do. */
static void print_left_stub(vfioctl_host *host, const struct vfioctl_state_device *rows, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const struct vfioctl_state_device *d = &rows[i];
                bool gone;
                const char *cur = current_driver(host, d->address, &gone);

                if (!left_its_stub(cur, gone, d))
                        continue;
                printf("%s is recorded as %s%s%s%s but is %s%s now, not on %s (removed and "
                       "rescanned, or bound by hand?): ",
                       d->address, row_state(d),
                       !d->owner                       ? ""
                       : d->role == VFIOCTL_ROLE_HELD ? " for guest '"
                                                      : " to guest '",
                       d->owner ? d->owner : "", d->owner ? "'" : "", cur ? "on " : "unbound",
                       cur ? cur : "", d->stub_driver ? d->stub_driver : "its stub");
                if (d->owner)
                        printf("'vfioctl release %s' ends the record\n", d->owner);
                else
                        printf("'vfioctl reattach %s' ends the record\n", d->address);
        }
}

static void print_text(vfioctl_host *host, const struct vfioctl_state_device *rows, size_t n,
                       vfioctl_journal *ops)
{
        _cleanup_(table_freep) struct table *t = NULL;
        char buf[64];

        /* Unfinished work first: it is what needs the admin now. */
        if (n == 0 && vfioctl_journal_n_ops(ops) == 0)
                printf("No devices detached or owned, and nothing unfinished.\n");
        else if (n > 0) {
                t = table_new(8, "DEVICE", "GROUP", "STATE", "DRIVER", "ORIGINAL", "OWNER",
                              "SINCE", "BY");
                for (size_t i = 0; i < n; i++) {
                        const struct vfioctl_state_device *d = &rows[i];
                        bool gone;
                        const char *cur = current_driver(host, d->address, &gone);

                        table_add(t, d->address);
                        snprintf(buf, sizeof(buf), "%d", d->group);
                        table_add(t, d->group >= 0 ? buf : "-");
                        table_add(t, state_now(cur, gone, d));
                        table_add(t, gone ? "(gone)" : cur ? cur : "(none)");
                        table_add(t, d->original_driver ? d->original_driver : "(none)");
                        table_add(t, d->owner ? d->owner : "-");
                        table_add(t, when(d->detached_at, buf, sizeof(buf)));
                        table_add(t, d->detached_by);
                }
                table_print(t, stdout);
                print_left_stub(host, rows, n);
        }
}

/* The journal's writes of each unfinished operation, for -v. */
static void print_steps(vfioctl_journal *ops)
{
        for (size_t i = 0; i < vfioctl_journal_n_ops(ops); i++) {
                vfioctl_state_op *op = vfioctl_journal_op_at(ops, i);

                printf("\nWrites of '%s':\n", vfioctl_state_op_get_command(op));
                for (size_t j = 0; j < vfioctl_state_op_n_steps(op); j++) {
                        const char *path = NULL, *value = NULL, *status = NULL;

                        (void) vfioctl_state_op_get_step(op, j, NULL, &path, &value, &status);
                        printf("  %-8s echo '%s' > /%s\n", status, value, path);
                }
        }
}

/* Guests: owners with their QEMU pid, and whether it still runs. */
static json_t *guests_json(vfioctl_state *st, const char *only)
{
        _cleanup_(names_freep) char **names = NULL;
        json_t *a = json_array();

        if (vfioctl_guest_list(st, &names) < 0)
                return a;
        for (char **n = names; *n; n++) {
                vfioctl_guest *g = NULL;
                json_t *o;

                if ((only && !streq(only, *n)) || vfioctl_guest_load(st, *n, &g) < 0)
                        continue;
                o = json_object();
                json_object_set_new(o, "guest", json_string(*n));
                json_object_set_new(o, "pid", vfioctl_guest_get_pid(g)
                                                      ? json_integer(vfioctl_guest_get_pid(g))
                                                      : json_null());
                /* Without a pid nobody knows: null, not true. */
                json_object_set_new(o, "alive", vfioctl_guest_get_pid(g)
                                                        ? json_boolean(vfioctl_guest_is_alive(g))
                                                        : json_null());
                json_object_set_new(o, "devices", json_integer(vfioctl_guest_n_devices(g)));
                json_object_set_new(o, "vf_net", vf_net_json(g));
                json_object_set_new(o, "created_at", json_integer(vfioctl_guest_get_created_at(g)));
                json_array_append_new(a, o);
                vfioctl_guest_unref(g);
        }
        return a;
}

static void print_guests(json_t *guests)
{
        _cleanup_(table_freep) struct table *t = NULL;
        size_t i;
        json_t *o;
        char buf[128];

        if (json_array_size(guests) == 0)
                return;
        printf("\nGuests:\n");
        t = table_new(4, "GUEST", "PID", "DEVICES", "SINCE");
        json_array_foreach(guests, i, o) {
                json_t *pid = json_object_get(o, "pid");

                table_add(t, json_string_value(json_object_get(o, "guest")));
                if (!json_is_integer(pid))
                        snprintf(buf, sizeof(buf), "-");
                else if (json_is_true(json_object_get(o, "alive")))
                        snprintf(buf, sizeof(buf), "%lld", (long long) json_integer_value(pid));
                else
                        snprintf(buf, sizeof(buf), "%lld (dead: 'vfioctl recover' releases it)",
                                 (long long) json_integer_value(pid));
                table_add(t, buf);
                snprintf(buf, sizeof(buf), "%lld",
                         (long long) json_integer_value(json_object_get(o, "devices")));
                table_add(t, buf);
                table_add(t, when(json_integer_value(json_object_get(o, "created_at")), buf,
                                  sizeof(buf)));
        }
        table_print(t, stdout);
}

/* Rule 10: the MAC and VLAN each guest's VFs were given through their PF. */
static void print_vf_nets(json_t *guests)
{
        _cleanup_(table_freep) struct table *t = NULL;
        size_t i, j;
        json_t *o, *n;
        char buf[128];

        json_array_foreach(guests, i, o)
                json_array_foreach(json_object_get(o, "vf_net"), j, n) {
                        const char *mac = json_string_value(json_object_get(n, "mac"));
                        const char *was = json_string_value(json_object_get(n, "original_mac"));

                        if (!t) {
                                printf("\nVF MAC and VLAN (set through the PF):\n");
                                t = table_new(6, "GUEST", "VF", "THROUGH", "MAC", "VLAN",
                                              "BEFORE");
                        }
                        table_add(t, json_string_value(json_object_get(o, "guest")));
                        table_add(t, json_string_value(json_object_get(n, "address")));
                        snprintf(buf, sizeof(buf), "%s VF %lld",
                                 json_string_value(json_object_get(n, "pf")),
                                 (long long) json_integer_value(json_object_get(n, "vf")));
                        table_add(t, buf);
                        table_add(t, mac ? mac : "-");
                        snprintf(buf, sizeof(buf), "%lld",
                                 (long long) json_integer_value(json_object_get(n, "vlan")));
                        table_add(t, buf);
                        if (!json_is_true(json_object_get(n, "applied")))
                                snprintf(buf, sizeof(buf), "not applied (not this machine's "
                                                           "tree)");
                        else
                                snprintf(buf, sizeof(buf), "mac %s, vlan %lld", was ? was : "?",
                                         (long long) json_integer_value(
                                                 json_object_get(n, "original_vlan")));
                        table_add(t, buf);
                }
        if (t)
                table_print(t, stdout);
}

/* One reservation: the device there now and whether this boot honoured it. */
static json_t *reservation_entry_json(struct cli *cli, vfioctl_host *host,
                                      const struct vfioctl_reservation *e)
{
        json_t *o = json_object(), *r = NULL;
        struct vfioctl_pci_addr a;
        vfioctl_device *dev;
        char ids[16];

        json_object_set_new(o, "address", json_string(e->address));
        snprintf(ids, sizeof(ids), "%04x:%04x", e->vendor_id, e->device_id);
        json_object_set_new(o, "id", json_string(ids));
        json_object_set_new(o, "driver", json_string(e->driver));
        if (host && vfioctl_pci_addr_parse(e->address, &a) == 0 &&
            vfioctl_host_get_device(host, &a, &dev) == 0)
                r = reservation_json(cli, dev);
        json_object_set_new(o, "honoured", json_boolean(r && json_is_true(json_object_get(r, "honoured"))));
        json_object_set_new(o, "why", r ? json_incref(json_object_get(r, "why"))
                                        : json_string("there is no device at that address"));
        json_decref(r);
        return o;
}

static json_t *reservations_json(struct cli *cli, vfioctl_host *host)
{
        vfioctl_reservations *res = cli_reservations(cli);
        json_t *a = json_array();

        for (size_t i = 0; i < vfioctl_reservations_n(res); i++)
                json_array_append_new(a, reservation_entry_json(cli, host,
                                                                vfioctl_reservations_at(res, i)));
        return a;
}

static void print_reservations(struct cli *cli, vfioctl_host *host)
{
        json_t *a = reservations_json(cli, host), *o;
        size_t i;

        if (json_array_size(a) > 0)
                printf("\nReserved from boot on (%s):\n",
                       vfioctl_reservations_get_path(cli_reservations(cli)));
        json_array_foreach(a, i, o) {
                json_t *why = json_object_get(o, "why");

                printf("  %s  %s  %-10s %s%s\n", json_string_value(json_object_get(o, "address")),
                       json_string_value(json_object_get(o, "id")),
                       json_string_value(json_object_get(o, "driver")),
                       json_is_true(json_object_get(o, "honoured")) ? "honoured this boot"
                                                                    : "NOT honoured this boot: ",
                       json_is_string(why) ? json_string_value(why) : "");
        }
        json_decref(a);
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
        _cleanup_(vfioctl_host_unrefp) vfioctl_host *host = NULL;
        struct vfioctl_state_device *rows = NULL;
        _cleanup_(vfioctl_journal_unrefp) vfioctl_journal *ops = NULL;
        vfioctl_state *st = NULL;
        const char *guest = NULL;
        size_t n = 0;
        int c, r;

        while ((c = cli_getopt(cli, argc, argv, "", NULL)) >= 0)
                return EXIT_USAGE;
        if (optind < argc)
                guest = argv[optind++];
        if (optind < argc)
                return usage_error("status", "status takes at most one guest name");

        r = vfioctl_state_open(cli->ctx, cli->state_dir, VFIOCTL_STATE_READONLY, &st);
        if (r < 0)
                return lib_error(cli, r, EXIT_REFUSED, "cannot open the state");
        r = vfioctl_state_get_devices(st, guest, &rows, &n);
        if (r >= 0)
                r = vfioctl_state_get_journal(st, &ops);
        if (r < 0) {
                r = lib_error(cli, r, EXIT_REFUSED, "cannot read the state");
                goto out;
        }
        /* The current drivers are a courtesy: a missing tree does not stop status. */
        if (vfioctl_host_new(cli->ctx, &host) < 0)
                host = NULL;
        cli->res_host = host;

        if (cli->json) {
                json_t *doc = json_object(), *devs = json_array(), *pend = json_array();

                for (size_t i = 0; i < n; i++)
                        json_array_append_new(devs, device_row_json(host, &rows[i]));
                for (size_t i = 0; i < vfioctl_journal_n_ops(ops); i++)
                        json_array_append_new(pend, op_json(vfioctl_journal_op_at(ops, i)));
                json_object_set_new(doc, "devices", devs);
                json_object_set_new(doc, "pending", pend);
                json_object_set_new(doc, "unfinished", unfinished_json(cli));
                json_object_set_new(doc, "guests", guests_json(st, guest));
                json_object_set_new(doc, "reservations", reservations_json(cli, host));
                json_print(doc);
                json_decref(doc);
        } else {
                json_t *guests = guests_json(st, guest);

                print_text(host, rows, n, ops);
                print_unfinished(cli, n > 0);
                if (cli->verbosity > 0)
                        print_steps(ops);
                print_guests(guests);
                print_vf_nets(guests);
                json_decref(guests);
                print_reservations(cli, host);
        }
        r = EXIT_OK;
out:
        vfioctl_state_devices_free(rows, n);
        vfioctl_state_unref(st);
        return r;
}
