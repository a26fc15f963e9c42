/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfioctl: hand PCI devices from a Linux host to virtual machines through
 * VFIO, with the IOMMU group as the unit of every decision.
 *
 * Conventions (as kmod and sd-device):
 *  - functions return 0 (or a count) on success and a negative errno on
 *    failure; a human-readable reason is then available from
 *    vfioctl_ctx_errmsg() until the next failing call;
 *  - the library never prints or exits; debug output goes through the log
 *    callback of the context;
 *  - handles are opaque; _unref() accepts NULL and returns NULL; getters
 *    hand out borrowed pointers valid for the lifetime of the owner, and
 *    for devices and groups only until the host's cache is invalidated
 *    (every operation that changes drivers does that): take a reference
 *    with vfioctl_device_ref()/vfioctl_group_ref() to keep one longer;
 *  - output parameters come last and are untouched on failure;
 *  - names: vfioctl_X_is_Y()/has_Y() answer from what is read already and
 *    return bool, never an error; a question that needs a sysfs read that
 *    can fail is vfioctl_X_get_Y(X, bool *ret) returning 0 or a negative
 *    errno, as every other getter with an out-parameter;
 *  - every entry point checks its arguments (sd-device's assert_return):
 *    a NULL handle or out-parameter where one is required gives -EINVAL;
 *    a getter that returns its value directly gives NULL, 0 or false for
 *    a NULL handle or an index out of range (vfioctl_ctx_errmsg(): "",
 *    vfioctl_device_get_group_number(): -1), a void function does
 *    nothing; tests/api/null-args.c calls every function so;
 *  - threads: a context and everything made from it (hosts, devices,
 *    states, guests) belong to one thread at a time; use one context per
 *    thread. Nothing is global, so separate contexts need no locking. An
 *    operation over several IOMMU groups runs them at once on up to 32
 *    threads of its own (DESIGN rule 15), and reads many devices at once
 *    on up to 16, all ended when it returns; the
 *    log, progress and dry-run callbacks are then called one at a time,
 *    but possibly from those threads;
 *  - processes: an operation that writes to sysfs (detach, reattach,
 *    assign, release, recover) makes every write that can block (every
 *    write to a device: override, unbind, bind, drivers_probe) in a
 *    short-lived helper process, so that a write the kernel holds can be
 *    bounded and abandoned: one helper per group running at once (up
 *    to 32, forked before the threads start), each making one group's
 *    writes one after the other and then the next group's; they exit
 *    when the operation returns. The child (named "vfioctl-write") makes only
 *    async-signal-safe calls, so a caller with threads is safe: it moves
 *    to its own process group and ignores SIGINT/SIGHUP (a terminal's
 *    Ctrl-C is not for it), closes every file descriptor but its socket
 *    and the bus folder's (stdio on /dev/null), and for each write the
 *    journal names it in, writes the value (openat, write) and reports
 *    the result on the socket; it formats no message and allocates
 *    nothing. A write the kernel holds past the timeout leaves the child
 *    running after the call returns (the report names its pid). SIGCHLD
 *    handlers see these children; one that reaps them does no harm, as
 *    the result comes through the socket. Dry runs fork nothing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VFIOCTL_EXPORT __attribute__((visibility("default")))

/* ------------------------------------------------------------------ */
/* PCI addresses                                                      */

struct vfioctl_pci_addr {
        uint16_t domain;
        uint8_t bus;
        uint8_t slot;     /* 0..31 */
        uint8_t function; /* 0..7 */
};

/* "DDDD:BB:DD.F" plus the terminating NUL. */
#define VFIOCTL_PCI_ADDR_MAX 13

/*
 * Parses "DDDD:BB:DD.F" or the short "BB:DD.F" (domain 0000). Hex digits in
 * either case; nothing before or after. Returns -EINVAL for anything else.
 */
VFIOCTL_EXPORT int vfioctl_pci_addr_parse(const char *s, struct vfioctl_pci_addr *ret);
/* Writes the canonical lower-case "dddd:bb:dd.f" form into buf. */
VFIOCTL_EXPORT char *vfioctl_pci_addr_format(const struct vfioctl_pci_addr *a,
                                             char buf[VFIOCTL_PCI_ADDR_MAX]);
VFIOCTL_EXPORT int vfioctl_pci_addr_compare(const struct vfioctl_pci_addr *a,
                                            const struct vfioctl_pci_addr *b);

/* ------------------------------------------------------------------ */
/* Context                                                            */

typedef struct vfioctl_ctx vfioctl_ctx;

enum vfioctl_log_priority {
        VFIOCTL_LOG_ERR = 3,
        VFIOCTL_LOG_INFO = 6,
        VFIOCTL_LOG_DEBUG = 7,
};

typedef void (*vfioctl_log_fn)(void *userdata, int priority, const char *file, int line,
                               const char *fn, const char *msg);

/*
 * root: the folder every /sys, /dev and /proc path is taken relative to
 * (NULL or "/" for the real host). Fails with -ENOENT/-ENOTDIR/-EACCES
 * when the root is not a folder that can be opened, -ENOMEM, or -EINVAL
 * for a relative root or NULL ret. As there is no context yet to carry a
 * message, the errno is the whole answer: say "ROOT: strerror(-r)".
 */
VFIOCTL_EXPORT int vfioctl_ctx_new(const char *root, vfioctl_ctx **ret);
VFIOCTL_EXPORT vfioctl_ctx *vfioctl_ctx_ref(vfioctl_ctx *ctx);
VFIOCTL_EXPORT vfioctl_ctx *vfioctl_ctx_unref(vfioctl_ctx *ctx);
VFIOCTL_EXPORT const char *vfioctl_ctx_get_root(vfioctl_ctx *ctx);
/* Why the last failing call failed; "" when nothing failed yet. */
VFIOCTL_EXPORT const char *vfioctl_ctx_errmsg(vfioctl_ctx *ctx);
/*
 * What a caller may do about that failure, for one that gives advice: the
 * message says only what is wrong, in the library's words (it names no
 * command or option of any tool); this says which kind of way out applies,
 * and the caller words it for its users.
 */
enum vfioctl_reason {
        VFIOCTL_REASON_NONE = 0,
        VFIOCTL_REASON_ROOT,          /* the root shows no PCI devices: another root? */
        VFIOCTL_REASON_NO_DEVICE,     /* no PCI device at that address: list the host's */
        VFIOCTL_REASON_NO_GUEST,      /* no such guest: list the recorded ones */
        VFIOCTL_REASON_RECOVER,       /* devices are left changed: vfioctl_recover() puts them back */
        VFIOCTL_REASON_TIMEOUT,       /* the wait ran out: a longer timeout may do */
        VFIOCTL_REASON_STATE_DAMAGED, /* the state file is unreadable: check the devices it had */
        VFIOCTL_REASON_STATE_FOREIGN, /* the state folder holds another file: use another folder */
        VFIOCTL_REASON_GROUP,         /* its IOMMU group holds devices on host drivers: take them
                                       * along, only hold the device (pci-stub), or another slot */
        VFIOCTL_REASON_IN_USE,        /* the host uses it (report: IN_USE): stop that, or force */
        VFIOCTL_REASON_UNFINISHED,    /* an interrupted operation waits: vfioctl_recover() first */
        VFIOCTL_REASON_RECOVER_LATER, /* a write still waits in the kernel: recover once it ends */
        VFIOCTL_REASON_OWNED,         /* a guest owns it (the subject): release that guest first */
        VFIOCTL_REASON_NOT_OWNED,     /* the guest (the subject) does not own it: see what it does */
        VFIOCTL_REASON_NO_NETWORK,    /* no definition of the network (the subject) was given */
        VFIOCTL_REASON_ON_OTHER_STUB, /* the device (the subject) is on another stub than the
                                       * one asked for: give it back to the host first */
        VFIOCTL_REASON_UNMANAGED,     /* a managed='no' device (the subject) is not detached:
                                       * detach it (its group too if need be), or manage it */
        VFIOCTL_REASON_UNMANAGED_GROUP, /* a managed='no' device's (the subject's) group is not
                                         * viable: detach the whole group, or manage it with
                                         * <driver name='vfio' group='auto'/> */
        VFIOCTL_REASON_GUEST_EXISTS,  /* the guest (the subject) already has devices: release
                                       * it first */
};
VFIOCTL_EXPORT enum vfioctl_reason vfioctl_ctx_get_reason(vfioctl_ctx *ctx);
/* Whom the reason is about (OWNED: the guest), NULL when nobody in particular. */
VFIOCTL_EXPORT const char *vfioctl_ctx_get_reason_subject(vfioctl_ctx *ctx);
VFIOCTL_EXPORT void vfioctl_ctx_set_log_fn(vfioctl_ctx *ctx, vfioctl_log_fn fn, void *userdata);
VFIOCTL_EXPORT void vfioctl_ctx_set_log_priority(vfioctl_ctx *ctx, int priority);

/*
 * Dry run: sysfs writes are not made but handed to fn (path relative to
 * the root, value without trailing newline), in the order they would be
 * made. Reads still happen.
 */
typedef void (*vfioctl_write_fn)(void *userdata, const char *path, const char *value);
VFIOCTL_EXPORT void vfioctl_ctx_set_dry_run(vfioctl_ctx *ctx, vfioctl_write_fn fn, void *userdata);
VFIOCTL_EXPORT bool vfioctl_ctx_is_dry_run(vfioctl_ctx *ctx);

/*
 * Progress while an operation waits on the kernel: a write that has not
 * returned yet (an unbind waits for whoever holds the device; a bind or
 * drivers_probe waits for the driver's probe), or a driver link that has
 * not appeared yet. Called about once a second, never for waits shorter
 * than that, one call at a time, from the thread running the operation or
 * one of its group workers.
 */
enum vfioctl_wait {
        VFIOCTL_WAIT_UNBIND, /* holder: the driver, or the process holding the group */
        VFIOCTL_WAIT_WRITE,  /* any other write: override, bind, drivers_probe, sriov_numvfs */
        VFIOCTL_WAIT_DRIVER, /* the driver link to name the driver asked for */
};

struct vfioctl_progress {
        enum vfioctl_wait wait;
        const char *address;   /* the device waited on */
        const char *path;      /* the write, relative to the root (NULL for WAIT_DRIVER) */
        const char *value;
        const char *driver;    /* WAIT_UNBIND: the driver being unbound; WAIT_DRIVER: wanted */
        bool driver_is_vfio;   /* WAIT_UNBIND: the user of the device is whoever holds the group */
        const char *holder;    /* who holds the group ("pid 123 (qemu)"), NULL when unknown */
        int helper_pid;        /* the process making the write (0: none) */
        unsigned elapsed_ms;
        unsigned timeout_ms;
};
typedef void (*vfioctl_progress_fn)(void *userdata, const struct vfioctl_progress *p);
VFIOCTL_EXPORT void vfioctl_ctx_set_progress_fn(vfioctl_ctx *ctx, vfioctl_progress_fn fn,
                                                void *userdata);

/*
 * Asks the operation in progress to stop: it rolls back what it changed,
 * as after a failure, and returns -EINTR. Async-signal-safe (one store),
 * meant for a SIGINT/SIGTERM/SIGHUP handler. Stays set for the context.
 */
VFIOCTL_EXPORT void vfioctl_ctx_interrupt(vfioctl_ctx *ctx);
VFIOCTL_EXPORT bool vfioctl_ctx_is_interrupted(vfioctl_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Host, devices and IOMMU groups (read side)                          */

typedef struct vfioctl_host vfioctl_host;
typedef struct vfioctl_device vfioctl_device;
typedef struct vfioctl_group vfioctl_group;

/*
 * A host is a cache over sysfs: creating it reads nothing but whether the
 * tree exists; devices and groups are read the first time they are asked
 * for, so a command that touches two groups never reads the whole host.
 */
VFIOCTL_EXPORT int vfioctl_host_new(vfioctl_ctx *ctx, vfioctl_host **ret);
VFIOCTL_EXPORT vfioctl_host *vfioctl_host_ref(vfioctl_host *host);
VFIOCTL_EXPORT vfioctl_host *vfioctl_host_unref(vfioctl_host *host);
VFIOCTL_EXPORT vfioctl_ctx *vfioctl_host_get_ctx(vfioctl_host *host);
/* True when the kernel has IOMMU groups (sys/kernel/iommu_groups has any). */
VFIOCTL_EXPORT bool vfioctl_host_has_iommu(vfioctl_host *host);
/* Reads every device and every group. */
VFIOCTL_EXPORT int vfioctl_host_scan(vfioctl_host *host);
/* After vfioctl_host_scan(): all devices sorted by address, groups by number. */
VFIOCTL_EXPORT size_t vfioctl_host_n_devices(vfioctl_host *host);
VFIOCTL_EXPORT vfioctl_device *vfioctl_host_device_at(vfioctl_host *host, size_t i);
VFIOCTL_EXPORT size_t vfioctl_host_n_groups(vfioctl_host *host);
VFIOCTL_EXPORT vfioctl_group *vfioctl_host_group_at(vfioctl_host *host, size_t i);
/* One device (borrowed). -ENODEV with a message when there is no such device. */
VFIOCTL_EXPORT int vfioctl_host_get_device(vfioctl_host *host, const struct vfioctl_pci_addr *addr,
                                           vfioctl_device **ret);
/* One group and all its members (borrowed). -ENOENT when there is no such group. */
VFIOCTL_EXPORT int vfioctl_host_get_group(vfioctl_host *host, unsigned number, vfioctl_group **ret);
/*
 * Forget what was read, so the next lookup sees sysfs as it is now. The
 * cache drops its references: a device or group a caller holds a
 * reference to stays valid (with what it read then); borrowed ones do not.
 */
VFIOCTL_EXPORT void vfioctl_host_invalidate(vfioctl_host *host);

/*
 * A reference to a device or group keeps it, and its host, alive across
 * invalidations and after the caller's own vfioctl_host_unref().
 */
VFIOCTL_EXPORT vfioctl_device *vfioctl_device_ref(vfioctl_device *dev);
VFIOCTL_EXPORT vfioctl_device *vfioctl_device_unref(vfioctl_device *dev);
VFIOCTL_EXPORT vfioctl_group *vfioctl_group_ref(vfioctl_group *group);
VFIOCTL_EXPORT vfioctl_group *vfioctl_group_unref(vfioctl_group *group);

/* Device: what `list` shows is read eagerly, the rest on first use. */
VFIOCTL_EXPORT const struct vfioctl_pci_addr *vfioctl_device_get_addr(vfioctl_device *dev);
/* The address as text, "dddd:bb:dd.f" (the pci.ids name is vfioctl_device_get_device_name()). */
VFIOCTL_EXPORT const char *vfioctl_device_get_address(vfioctl_device *dev);
/* A device whose sysfs entry could not be read is kept and marked: errno and why. */
VFIOCTL_EXPORT int vfioctl_device_get_error(vfioctl_device *dev, const char **ret_msg);
VFIOCTL_EXPORT uint16_t vfioctl_device_get_vendor_id(vfioctl_device *dev);
VFIOCTL_EXPORT uint16_t vfioctl_device_get_device_id(vfioctl_device *dev);
VFIOCTL_EXPORT uint16_t vfioctl_device_get_subsys_vendor_id(vfioctl_device *dev);
VFIOCTL_EXPORT uint16_t vfioctl_device_get_subsys_device_id(vfioctl_device *dev);
VFIOCTL_EXPORT uint32_t vfioctl_device_get_class(vfioctl_device *dev); /* 0xCCSSPP */
VFIOCTL_EXPORT uint8_t vfioctl_device_get_revision(vfioctl_device *dev);
VFIOCTL_EXPORT uint8_t vfioctl_device_get_header_type(vfioctl_device *dev); /* without bit 7 */
/* Belongs to a multifunction device: function 0 of its slot has the
 * multifunction bit (functions other than 0 need not carry it). */
VFIOCTL_EXPORT bool vfioctl_device_is_multifunction(vfioctl_device *dev);
/* Header type other than 0: can never be bound to vfio-pci. */
VFIOCTL_EXPORT bool vfioctl_device_is_bridge(vfioctl_device *dev);
/* Host bridges, bridges and other plumbing that `list` hides without --all. */
VFIOCTL_EXPORT bool vfioctl_device_is_plumbing(vfioctl_device *dev);
/* Short class word: "GPU", "audio", "NIC", "NVMe", "USB", "bridge", ... */
VFIOCTL_EXPORT const char *vfioctl_device_get_class_word(vfioctl_device *dev);
/* From pci.ids through libpci; NULL when the database does not know the id. */
VFIOCTL_EXPORT const char *vfioctl_device_get_vendor_name(vfioctl_device *dev);
VFIOCTL_EXPORT const char *vfioctl_device_get_device_name(vfioctl_device *dev);
/* Bound driver, NULL when unbound. */
VFIOCTL_EXPORT const char *vfioctl_device_get_driver(vfioctl_device *dev);
/* IOMMU group number, or -1 without one. */
VFIOCTL_EXPORT int vfioctl_device_get_group_number(vfioctl_device *dev);
/* Bound to vfio-pci or a variant (a vfio-dev/ entry), pci-stub or xen-pciback. */
VFIOCTL_EXPORT bool vfioctl_device_is_on_stub(vfioctl_device *dev);
/* Bound to vfio-pci or a vfio variant driver. */
VFIOCTL_EXPORT bool vfioctl_device_is_on_vfio(vfioctl_device *dev);
/* Leaves DMA to VFIO: unbound, vfio driver, pci-stub or pcieport (DESIGN §2). */
VFIOCTL_EXPORT bool vfioctl_device_is_viable_member(vfioctl_device *dev);

/* Details read on first use; each returns a negative errno when sysfs is damaged. */
/* driver_override, NULL when unset (the kernel shows "(null)"). */
VFIOCTL_EXPORT int vfioctl_device_get_driver_override(vfioctl_device *dev, const char **ret);
VFIOCTL_EXPORT int vfioctl_device_get_numa_node(vfioctl_device *dev, int *ret);
/* sysfs boot_vga: the firmware's boot display (false when the file is absent). */
VFIOCTL_EXPORT int vfioctl_device_get_boot_vga(vfioctl_device *dev, bool *ret);
/* SR-IOV: total VFs (0 when not a PF), enabled VFs, and for a VF its PF. */
VFIOCTL_EXPORT int vfioctl_device_get_sriov(vfioctl_device *dev, unsigned *ret_total,
                                            unsigned *ret_num);
VFIOCTL_EXPORT int vfioctl_device_get_physfn(vfioctl_device *dev, struct vfioctl_pci_addr *ret,
                                             bool *ret_is_vf);
/*
 * How the device can be reset between guests: the kernel's methods from
 * sysfs reset_method ("flr bus", in the kernel's order of preference;
 * NULL when the file is absent: the kernel knows no method, or is older
 * than 5.15) and whether its PCIe capability advertises Function Level
 * Reset. Read on first use.
 */
VFIOCTL_EXPORT int vfioctl_device_get_reset(vfioctl_device *dev, const char **ret_methods,
                                            bool *ret_flr);
/* The VFs of a PF, sorted by VF index. */
VFIOCTL_EXPORT int vfioctl_device_get_virtfns(vfioctl_device *dev,
                                              const struct vfioctl_pci_addr **ret, size_t *ret_n);

/*
 * Devices as users name them (devspec.c): a PCI address ("0000:03:00.0",
 * "03:00.0"), a slot ("03:00", "0000:03:00": every function of it present,
 * in order) or a network interface name ("enp5s0": the PCI function behind
 * sys/class/net/NAME/device). Returns 0 and a malloc'd array of at least
 * one address; -EINVAL when spec is none of these forms, -ENODEV when
 * there is no such slot or interface (or the interface is not on a PCI
 * device), with the reason in vfioctl_ctx_errmsg(). Whether an address
 * exists is left to vfioctl_host_get_device().
 */
VFIOCTL_EXPORT int vfioctl_host_resolve_device(vfioctl_host *host, const char *spec,
                                               struct vfioctl_pci_addr **ret, size_t *ret_n);
/* IFNAMSIZ */
#define VFIOCTL_IFNAME_MAX 16
struct vfioctl_interface {
        char name[VFIOCTL_IFNAME_MAX];
        struct vfioctl_pci_addr address; /* the PCI function behind it */
};
/* The host's network interfaces that sit on a PCI function, sorted by
 * name, in one malloc'd array (free()); none is not an error. */
VFIOCTL_EXPORT int vfioctl_host_get_interfaces(vfioctl_host *host, struct vfioctl_interface **ret,
                                               size_t *ret_n);
/* For a VF, its PF (returns 1); 0 for a device that is no VF. One link
 * read, without the rest of the device's details. */
VFIOCTL_EXPORT int vfioctl_device_get_parent_pf(vfioctl_device *dev, struct vfioctl_pci_addr *ret);

/* What the host uses a device for (usage.c). */
struct vfioctl_netif {
        const char *name;
        const char *operstate;  /* "up", "down", ... as sysfs says */
        bool default_route;     /* holds an IPv4 or IPv6 default route */
};
struct vfioctl_blockdev {
        const char *name;       /* "nvme0n1", "sda" */
        const char *const *mounts; /* mount points of it and its partitions, NULL-terminated */
};
VFIOCTL_EXPORT int vfioctl_device_get_netifs(vfioctl_device *dev, const struct vfioctl_netif **ret,
                                             size_t *ret_n);
VFIOCTL_EXPORT int vfioctl_device_get_blockdevs(vfioctl_device *dev,
                                                const struct vfioctl_blockdev **ret, size_t *ret_n);
/* Whether dev is the boot VGA device with a (non-dummy) console bound
 * (sys/class/vtconsole): detaching it takes the console away. */
VFIOCTL_EXPORT int vfioctl_device_get_console_bound(vfioctl_device *dev, bool *ret);

/* Group */
VFIOCTL_EXPORT unsigned vfioctl_group_get_number(vfioctl_group *group);
VFIOCTL_EXPORT size_t vfioctl_group_n_devices(vfioctl_group *group);
/* Members sorted by address (borrowed). */
VFIOCTL_EXPORT vfioctl_device *vfioctl_group_device_at(vfioctl_group *group, size_t i);
/* Every member is a viable member (DESIGN §2). */
VFIOCTL_EXPORT bool vfioctl_group_is_viable(vfioctl_group *group);

/* ------------------------------------------------------------------ */
/* Guest definitions (libvirt XML)                                     */

/*
 * A guest definition is what vfioctl needs from a libvirt domain XML (or a
 * bare <devices> document): the guest's name, its machine type and, in
 * libvirt's order, every PCI device the guest takes from the host. It is
 * pure data: parsing reads no sysfs and no state.
 *
 * The entries ("hostdevs") are, as libvirt numbers them: first every
 * <interface type='hostdev'> and <interface type='network'> in document
 * order, then every <hostdev mode='subsystem' type='pci'> in document order.
 * Other devices are ignored. Every parse error names the line and the
 * element: "line 23: <hostdev>: <source><address function='0x8'>: function
 * must be 0-7".
 */
typedef struct vfioctl_guest_def vfioctl_guest_def;
typedef struct vfioctl_guest_hostdev vfioctl_guest_hostdev;
typedef struct vfioctl_network_def vfioctl_network_def;

enum vfioctl_guest_parse_flags {
        /*
         * USB, SCSI, scsi_host, mdev and capabilities-mode <hostdev>s are
         * skipped and listed by vfioctl_guest_def_skipped_at() instead of
         * failing the parse.
         */
        VFIOCTL_GUEST_PARSE_SKIP_NON_PCI = 1u << 0,
};

/*
 * Parses a libvirt <domain> or a <devices> document. name: the guest's
 * name; when the XML has a <name> too, both must agree. One of them must
 * be there. A file is read whole (at most 16 MiB); -ENOENT and friends
 * when it cannot be read, -EINVAL with a message for anything wrong in
 * it, -EOPNOTSUPP for a non-PCI hostdev without
 * VFIOCTL_GUEST_PARSE_SKIP_NON_PCI.
 */
VFIOCTL_EXPORT int vfioctl_guest_def_new_from_file(vfioctl_ctx *ctx, const char *path,
                                                   const char *name, unsigned flags,
                                                   vfioctl_guest_def **ret);
/* The same from a NUL-terminated string. */
VFIOCTL_EXPORT int vfioctl_guest_def_new_from_string(vfioctl_ctx *ctx, const char *xml,
                                                     const char *name, unsigned flags,
                                                     vfioctl_guest_def **ret);
VFIOCTL_EXPORT vfioctl_guest_def *vfioctl_guest_def_ref(vfioctl_guest_def *def);
VFIOCTL_EXPORT vfioctl_guest_def *vfioctl_guest_def_unref(vfioctl_guest_def *def);

VFIOCTL_EXPORT const char *vfioctl_guest_def_get_name(vfioctl_guest_def *def);
/* <os><type machine='…'>, NULL when not given. */
VFIOCTL_EXPORT const char *vfioctl_guest_def_get_machine(vfioctl_guest_def *def);
/* q35 or pc-q35-* machine, or a pcie-root controller: bus 0 is "pcie.0". */
VFIOCTL_EXPORT bool vfioctl_guest_def_is_pcie(vfioctl_guest_def *def);

/* <controller type='pci'>s in document order: index (-1 when not given) and model (or NULL). */
VFIOCTL_EXPORT size_t vfioctl_guest_def_n_pci_controllers(vfioctl_guest_def *def);
VFIOCTL_EXPORT int vfioctl_guest_def_pci_controller_at(vfioctl_guest_def *def, size_t i,
                                                       int *ret_index, const char **ret_model);

/* Non-PCI hostdevs skipped under VFIOCTL_GUEST_PARSE_SKIP_NON_PCI, e.g.
 * "line 12: <hostdev mode='subsystem' type='usb'>". */
VFIOCTL_EXPORT size_t vfioctl_guest_def_n_skipped(vfioctl_guest_def *def);
VFIOCTL_EXPORT const char *vfioctl_guest_def_skipped_at(vfioctl_guest_def *def, size_t i);

VFIOCTL_EXPORT size_t vfioctl_guest_def_n_hostdevs(vfioctl_guest_def *def);
/* Borrowed, valid as long as def; NULL when i is out of range. */
VFIOCTL_EXPORT vfioctl_guest_hostdev *
vfioctl_guest_def_hostdev_at(vfioctl_guest_def *def, size_t i);
/* The entry whose host address is addr (resolved networks included), or NULL. */
VFIOCTL_EXPORT vfioctl_guest_hostdev *
vfioctl_guest_def_find_hostdev(vfioctl_guest_def *def, const struct vfioctl_pci_addr *addr);

/*
 * Network entries: an <interface type='network'> names a network; the
 * caller (assign) reads that network and either takes a function from its
 * hostdev pool and records it here, or, when the network is not a hostdev
 * pool (vfioctl_network_def_new_from_file() returned -EMEDIUMTYPE), marks
 * the entry ignored: it then is an ordinary NIC, gets no QEMU argument
 * from vfioctl and no hostdevN id. Resolving checks the interface for
 * settings a hostdev interface cannot have (as libvirt does at start) and
 * for a host address another entry already uses; -EINVAL with a message.
 */
enum vfioctl_group_mode {
        VFIOCTL_GROUP_NONE = 0, /* a non-viable group is an error */
        VFIOCTL_GROUP_AUTO,     /* group='auto' (or 'allow'): detach and hold the members */
};
VFIOCTL_EXPORT int vfioctl_guest_def_resolve_network(vfioctl_guest_def *def, size_t i,
                                                     const struct vfioctl_pci_addr *addr,
                                                     bool managed, enum vfioctl_group_mode group);
/* The same, taking managed, group mode and <driver> from the pool. */
VFIOCTL_EXPORT int vfioctl_guest_def_resolve_network_from_pool(vfioctl_guest_def *def, size_t i,
                                                               vfioctl_network_def *pool,
                                                               const struct vfioctl_pci_addr *addr);
VFIOCTL_EXPORT int vfioctl_guest_def_ignore_network(vfioctl_guest_def *def, size_t i);

enum vfioctl_hostdev_kind {
        VFIOCTL_HOSTDEV_PCI,       /* <hostdev mode='subsystem' type='pci'> */
        VFIOCTL_HOSTDEV_INTERFACE, /* <interface type='hostdev'> */
        VFIOCTL_HOSTDEV_NETWORK,   /* <interface type='network'>: a pool's function */
};
/* <driver name='…'>; model='…' is separate. */
enum vfioctl_hostdev_driver {
        VFIOCTL_HOSTDEV_DRIVER_DEFAULT = 0, /* not given: vfio */
        VFIOCTL_HOSTDEV_DRIVER_VFIO,
        VFIOCTL_HOSTDEV_DRIVER_KVM, /* legacy: pci-stub, hold only */
        VFIOCTL_HOSTDEV_DRIVER_XEN, /* xen-pciback */
};
/* An on/off attribute that may be absent. */
enum vfioctl_switch {
        VFIOCTL_SWITCH_DEFAULT = 0,
        VFIOCTL_SWITCH_ON,
        VFIOCTL_SWITCH_OFF,
};

VFIOCTL_EXPORT enum vfioctl_hostdev_kind vfioctl_guest_hostdev_get_kind(vfioctl_guest_hostdev *h);
/* Position in the definition (what vfioctl_guest_def_hostdev_at() takes). */
VFIOCTL_EXPORT size_t vfioctl_guest_hostdev_get_index(vfioctl_guest_hostdev *h);
/* Line of the element in the XML, for messages. */
VFIOCTL_EXPORT unsigned vfioctl_guest_hostdev_get_line(vfioctl_guest_hostdev *h);
/* "<hostdev>", "<interface type='hostdev'>", "<interface type='network'>". */
VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_element(vfioctl_guest_hostdev *h);
/* Host address; NULL for a network entry not resolved yet or ignored. */
VFIOCTL_EXPORT const struct vfioctl_pci_addr *
vfioctl_guest_hostdev_get_addr(vfioctl_guest_hostdev *h);
/* Network entries: the network's name; NULL for the other kinds. */
VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_network(vfioctl_guest_hostdev *h);
VFIOCTL_EXPORT bool vfioctl_guest_hostdev_is_resolved(vfioctl_guest_hostdev *h);
VFIOCTL_EXPORT bool vfioctl_guest_hostdev_is_ignored(vfioctl_guest_hostdev *h);
/* managed='yes' (default no); for networks, the pool's setting once resolved. */
VFIOCTL_EXPORT bool vfioctl_guest_hostdev_is_managed(vfioctl_guest_hostdev *h);
VFIOCTL_EXPORT enum vfioctl_hostdev_driver
vfioctl_guest_hostdev_get_driver(vfioctl_guest_hostdev *h);
/* <driver model='…'> (a vfio variant such as mlx5_vfio_pci), NULL when not given. */
VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_driver_model(vfioctl_guest_hostdev *h);
/* The kernel driver to hold the device with: the model, else vfio-pci, pci-stub or xen-pciback. */
VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_stub_driver(vfioctl_guest_hostdev *h);
VFIOCTL_EXPORT enum vfioctl_group_mode
vfioctl_guest_hostdev_get_group_mode(vfioctl_guest_hostdev *h);
/*
 * False for assigned='no' or <address type='unassigned'/>: detached, reset
 * and owned, but no QEMU device (DESIGN rule 7). Whether the function
 * belongs to a multifunction device, and whether all its siblings are
 * listed, needs sysfs: assign checks it with these accessors.
 */
VFIOCTL_EXPORT bool vfioctl_guest_hostdev_is_assigned(vfioctl_guest_hostdev *h);
/* Guest <address type='pci'>, NULL when not given (QEMU places the device). */
VFIOCTL_EXPORT const struct vfioctl_pci_addr *
vfioctl_guest_hostdev_get_guest_addr(vfioctl_guest_hostdev *h);
VFIOCTL_EXPORT enum vfioctl_switch
vfioctl_guest_hostdev_get_multifunction(vfioctl_guest_hostdev *h);
/* <rom bar='on|off'>. */
VFIOCTL_EXPORT enum vfioctl_switch vfioctl_guest_hostdev_get_rom_bar(vfioctl_guest_hostdev *h);
/* <rom file='…'>: NULL when not given, "" when the ROM is disabled
 * (enabled='no', or the legacy file=''), else the path. */
VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_rom_file(vfioctl_guest_hostdev *h);
/* False for <rom enabled='no'/> or <rom file=''/>. */
VFIOCTL_EXPORT bool vfioctl_guest_hostdev_is_rom_enabled(vfioctl_guest_hostdev *h);
/* <boot order='N'/>, 0 when not given. */
VFIOCTL_EXPORT unsigned vfioctl_guest_hostdev_get_boot_order(vfioctl_guest_hostdev *h);
/* <alias name='…'/>, NULL when not given. */
VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_alias(vfioctl_guest_hostdev *h);
/*
 * The QEMU id: the alias when given, else "hostdevN" numbered as libvirt
 * does (past every hostdevN alias, in entry order; unassigned entries
 * keep theirs, ignored networks take none). NULL for an ignored network.
 * Final once every network entry is resolved or ignored.
 */
VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_id(vfioctl_guest_hostdev *h);
/* <teaming type='transient' persistent='ALIAS'/>: ALIAS, else NULL. */
VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_failover_pair(vfioctl_guest_hostdev *h);
/* Interfaces: <mac address='…'/>, NULL when not given. */
VFIOCTL_EXPORT const char *vfioctl_guest_hostdev_get_mac(vfioctl_guest_hostdev *h);

/*
 * A libvirt network XML that is a hostdev pool: <forward mode='hostdev'>
 * with either <pf dev='NAME'/> or <address type='pci' …/> entries.
 * -EMEDIUMTYPE with "network NAME: forward mode 'nat' is not a hostdev
 * pool" for any other network, -EINVAL for a broken one.
 */
VFIOCTL_EXPORT int vfioctl_network_def_new_from_file(vfioctl_ctx *ctx, const char *path,
                                                     vfioctl_network_def **ret);
VFIOCTL_EXPORT int vfioctl_network_def_new_from_string(vfioctl_ctx *ctx, const char *xml,
                                                       vfioctl_network_def **ret);
VFIOCTL_EXPORT vfioctl_network_def *vfioctl_network_def_ref(vfioctl_network_def *net);
VFIOCTL_EXPORT vfioctl_network_def *vfioctl_network_def_unref(vfioctl_network_def *net);
VFIOCTL_EXPORT const char *vfioctl_network_def_get_name(vfioctl_network_def *net);
VFIOCTL_EXPORT bool vfioctl_network_def_is_managed(vfioctl_network_def *net);
VFIOCTL_EXPORT enum vfioctl_hostdev_driver vfioctl_network_def_get_driver(vfioctl_network_def *net);
VFIOCTL_EXPORT const char *vfioctl_network_def_get_driver_model(vfioctl_network_def *net);
VFIOCTL_EXPORT enum vfioctl_group_mode vfioctl_network_def_get_group_mode(vfioctl_network_def *net);
/* <pf dev='…'/>: the PF's interface name (its VFs are the pool), NULL with an address list. */
VFIOCTL_EXPORT const char *vfioctl_network_def_get_pf(vfioctl_network_def *net);
/* The <address> list, in document order; empty with <pf>. */
VFIOCTL_EXPORT size_t vfioctl_network_def_n_addrs(vfioctl_network_def *net);
VFIOCTL_EXPORT const struct vfioctl_pci_addr *vfioctl_network_def_addr_at(vfioctl_network_def *net,
                                                                          size_t i);

/*
 * QEMU arguments for the guest's devices, as libvirt writes them: per
 * assigned entry "-device" and
 * "vfio-pci,host=DDDD:BB:DD.F,id=ID[,bus=B,addr=0xS[.0xF]][,multifunction=on]
 *  [,rombar=0|1][,romfile=PATH][,bootindex=N][,failover_pair_id=ALIAS]"
 * (commas inside values doubled). With VFIOCTL_QEMU_IOMMUFD the vector
 * starts with "-object" "iommufd,id=iommufd0" and each device ends in
 * ",iommufd=iommufd0". Every network entry must be resolved or ignored.
 * The NULL-terminated vector is the caller's: free it with
 * vfioctl_qemu_args_free(). An empty vector when nothing is assigned.
 */
enum vfioctl_qemu_flags {
        VFIOCTL_QEMU_IOMMUFD = 1u << 0,
};
VFIOCTL_EXPORT int vfioctl_guest_def_qemu_args(vfioctl_guest_def *def, unsigned flags,
                                               char ***ret);
VFIOCTL_EXPORT char **vfioctl_qemu_args_free(char **args);

/* ------------------------------------------------------------------ */
/* State: what vfioctl changed, who owns what, the operation journal   */

/*
 * The state lives in DIR/state.db (SQLite, WAL, synchronous FULL). It
 * records, for every device vfioctl detached (or found detached while
 * detaching its group), the driver it had, who detached it and when, and
 * which guest owns it; and the journal of the operation in progress, so
 * that an interrupted operation can be rolled back (vfioctl_recover()).
 */
typedef struct vfioctl_state vfioctl_state;

enum {
        /* Do not create the folder or the database: a missing one reads as
         * empty, and the state can be read but not locked or changed. */
        VFIOCTL_STATE_READONLY = 1 << 0,
};

/*
 * Opens DIR/state.db, creating DIR (0700) and the database unless
 * VFIOCTL_STATE_READONLY. A database that is damaged, not vfioctl's, or
 * of a newer schema is never changed: -EBADMSG / -EPROTONOSUPPORT with a
 * message saying what to do.
 */
VFIOCTL_EXPORT int vfioctl_state_open(vfioctl_ctx *ctx, const char *dir, unsigned flags,
                                      vfioctl_state **ret);
VFIOCTL_EXPORT vfioctl_state *vfioctl_state_ref(vfioctl_state *st);
/* Releases the lock if held. */
VFIOCTL_EXPORT vfioctl_state *vfioctl_state_unref(vfioctl_state *st);
VFIOCTL_EXPORT const char *vfioctl_state_get_dir(vfioctl_state *st);
/* The schema version this library writes. */
#define VFIOCTL_STATE_SCHEMA 2

/*
 * Takes the exclusive lock (flock on DIR/lock) that serializes commands
 * which change anything, waiting up to timeout_ms. The holder's pid and
 * command are written into the lock file, so that a waiter that gives up
 * (-EBUSY) can say who holds it.
 */
VFIOCTL_EXPORT int vfioctl_state_lock(vfioctl_state *st, const char *command,
                                      unsigned timeout_ms);
VFIOCTL_EXPORT void vfioctl_state_unlock(vfioctl_state *st);

enum vfioctl_role {
        VFIOCTL_ROLE_NONE = 0, /* detached, owned by no guest */
        VFIOCTL_ROLE_HELD,     /* reserved for a guest, not given to it */
        VFIOCTL_ROLE_ASSIGNED, /* given to a guest */
};

/* One device row. Strings are owned by the row. */
struct vfioctl_state_device {
        char address[VFIOCTL_PCI_ADDR_MAX];
        int group;               /* -1: no IOMMU group */
        char *original_driver;   /* NULL: it was unbound */
        char *original_override; /* driver_override before us, NULL: unset */
        char *stub_driver;       /* what holds it; NULL: left unbound (a bridge) */
        bool found_detached;     /* was on a stub already: never given back by us */
        char *detached_by;       /* the command line that detached (or found) it */
        int64_t detached_at;     /* seconds since the epoch */
        char *owner;             /* guest name, NULL: none */
        enum vfioctl_role role;
        bool managed;            /* owner's hostdev was managed='yes' */
};

/* All rows (owner NULL) or the rows owned by one guest, sorted by address. */
VFIOCTL_EXPORT int vfioctl_state_get_devices(vfioctl_state *st, const char *owner,
                                             struct vfioctl_state_device **ret, size_t *ret_n);
VFIOCTL_EXPORT void vfioctl_state_devices_free(struct vfioctl_state_device *d, size_t n);

/*
 * The journal: operations that were started and not finished (normally
 * none), as vfioctl_recover() will find them. A snapshot, read once;
 * operations, devices and writes are borrowed from it.
 */
typedef struct vfioctl_journal vfioctl_journal;
typedef struct vfioctl_state_op vfioctl_state_op;

/* An empty journal when there is no state yet. */
VFIOCTL_EXPORT int vfioctl_state_get_journal(vfioctl_state *st, vfioctl_journal **ret);
VFIOCTL_EXPORT vfioctl_journal *vfioctl_journal_ref(vfioctl_journal *j);
VFIOCTL_EXPORT vfioctl_journal *vfioctl_journal_unref(vfioctl_journal *j);
/* Oldest first. */
VFIOCTL_EXPORT size_t vfioctl_journal_n_ops(vfioctl_journal *j);
VFIOCTL_EXPORT vfioctl_state_op *vfioctl_journal_op_at(vfioctl_journal *j, size_t i);

VFIOCTL_EXPORT int64_t vfioctl_state_op_get_id(vfioctl_state_op *op);
/* "detach", "reattach", "assign", ... */
VFIOCTL_EXPORT const char *vfioctl_state_op_get_kind(vfioctl_state_op *op);
/* The command line that started it, its pid and when (seconds since the epoch). */
VFIOCTL_EXPORT const char *vfioctl_state_op_get_command(vfioctl_state_op *op);
VFIOCTL_EXPORT int vfioctl_state_op_get_pid(vfioctl_state_op *op);
VFIOCTL_EXPORT int64_t vfioctl_state_op_get_started_at(vfioctl_state_op *op);
/* Whether any of its writes was made (else recover only clears its record). */
VFIOCTL_EXPORT bool vfioctl_state_op_has_written(vfioctl_state_op *op);
/* The devices it changes, in order: each one's driver before (what recover
 * puts back) and the driver it was to get; NULL: unbound. Any out-parameter
 * may be NULL; -EINVAL when i is out of range. */
VFIOCTL_EXPORT size_t vfioctl_state_op_n_changes(vfioctl_state_op *op);
VFIOCTL_EXPORT int vfioctl_state_op_get_change(vfioctl_state_op *op, size_t i,
                                               const char **ret_address,
                                               const char **ret_before_driver,
                                               const char **ret_target_driver);
/* Its writes, in order: the device, the path (relative to the root), the
 * value and the status: "intended", "done", "failed" or "undone". */
VFIOCTL_EXPORT size_t vfioctl_state_op_n_steps(vfioctl_state_op *op);
VFIOCTL_EXPORT int vfioctl_state_op_get_step(vfioctl_state_op *op, size_t i,
                                             const char **ret_address, const char **ret_path,
                                             const char **ret_value, const char **ret_status);

/* ------------------------------------------------------------------ */
/* Detach, reattach, recover                                          */

/*
 * What an operation did, device by device, kept even when it fails so the
 * caller can say what was rolled back and what was left. Created by the
 * caller, filled by vfioctl_detach() and friends.
 */
typedef struct vfioctl_report vfioctl_report;

enum vfioctl_action {
        VFIOCTL_ACTION_DETACHED,         /* driver -> stub */
        VFIOCTL_ACTION_REATTACHED,       /* stub -> original driver (or unbound) */
        VFIOCTL_ACTION_FOUND_DETACHED,   /* already on a stub: recorded, not touched */
        VFIOCTL_ACTION_ALREADY_DETACHED, /* detached by an earlier command */
        VFIOCTL_ACTION_NOT_DETACHED,     /* reattach: nothing of ours to give back */
        VFIOCTL_ACTION_LEFT_ALONE,       /* reattach: found on a stub, not ours: untouched */
        VFIOCTL_ACTION_ROLLED_BACK,      /* changed, then put back as it was */
        VFIOCTL_ACTION_STUCK,            /* could not be put back: see fix */
        VFIOCTL_ACTION_BLOCKED,          /* an unbind still waits for a user of the device */
        VFIOCTL_ACTION_IN_USE,           /* refused: the host uses it (detail says how) */
        VFIOCTL_ACTION_RESERVED,         /* reserved for a stub from boot on */
        VFIOCTL_ACTION_UNRESERVED,       /* its reservation was dropped */
        VFIOCTL_ACTION_NOT_APPLIED,      /* boot: a reservation left alone (detail says why) */
        VFIOCTL_ACTION_GROUP_MEMBER,     /* refused: another member of the group, on a host
                                          * driver, keeps it from being viable (detail: what) */
        VFIOCTL_ACTION_OWNED,            /* refused: a guest owns it (detail names the guest) */
        /* Rule 10: a VF's MAC/VLAN set through its PF (from: what it had, NULL when not
         * known; to: what it got, "mac M, vlan V"; detail: "PF VF N", and why when it
         * was not applied), and put back at release or by recover. */
        VFIOCTL_ACTION_NET_SET,
        VFIOCTL_ACTION_NET_RESTORED,
};

enum vfioctl_outcome {
        VFIOCTL_OUTCOME_DONE = 0,
        VFIOCTL_OUTCOME_REFUSED,   /* refused or failed; nothing is changed */
        VFIOCTL_OUTCOME_INVALID,   /* bad input (no such device, unknown driver) */
        VFIOCTL_OUTCOME_ATTENTION, /* something was left changed: see the STUCK/BLOCKED entries */
};

struct vfioctl_report_entry {
        char address[VFIOCTL_PCI_ADDR_MAX];
        enum vfioctl_action action;
        const char *from;   /* driver before, NULL: unbound */
        const char *to;     /* driver after, NULL: unbound */
        const char *detail; /* why, or for STUCK/BLOCKED what to run; may be NULL */
        /* A way out for the caller to word, as vfioctl_ctx_get_reason() for
         * a failure: RECOVER_LATER on a BLOCKED entry of recover (recover
         * again once the write ends); NONE when the detail says it all. */
        enum vfioctl_reason reason;
};

/*
 * DESIGN rule 9: what the host visibly depends on the device for (an up
 * interface or one holding the default route, a mounted filesystem on it
 * or on what is built on it (LVM, dm-crypt, md), active swap, the boot VGA
 * with the console bound). Adds one VFIOCTL_ACTION_IN_USE entry per use to
 * report (may be NULL) and returns how many, or a negative errno.
 */
VFIOCTL_EXPORT int vfioctl_device_check_host_use(vfioctl_device *dev, vfioctl_report *report);

VFIOCTL_EXPORT int vfioctl_report_new(vfioctl_report **ret);
VFIOCTL_EXPORT vfioctl_report *vfioctl_report_free(vfioctl_report *r);
VFIOCTL_EXPORT size_t vfioctl_report_n_entries(vfioctl_report *r);
VFIOCTL_EXPORT const struct vfioctl_report_entry *vfioctl_report_entry_at(vfioctl_report *r,
                                                                         size_t i);
VFIOCTL_EXPORT enum vfioctl_outcome vfioctl_report_get_outcome(vfioctl_report *r);

enum {
        VFIOCTL_OP_GROUP = 1 << 0, /* act on every member of the devices' groups */
        VFIOCTL_OP_FORCE = 1 << 1, /* detach even what the host visibly uses; reattach: also
                                    * a device on a stub vfioctl did not put there (the
                                    * override is cleared, the kernel picks its driver) */
        /* 1 << 2 was VFIOCTL_OP_FROM_ADDRESSES (0.1), which only reshaped messages: a
         * caller that made the definition leaves out the "line N: <hostdev>: " itself */
        /* assign, from libvirt's hook (DESIGN rule 14): managed='no' host devices are
         * detached and owned as if managed='yes', a network with no definition is an
         * ordinary one, and the advice speaks of the domain's <metadata> */
        VFIOCTL_OP_LIBVIRT = 1 << 3,
        /* reserve: check and report as it would, but write (and keep) nothing, for a
         * caller that acts first (reserve --now detaches before the file says so) */
        VFIOCTL_OP_CHECK = 1 << 4,
};

struct vfioctl_op_options {
        const char *driver;   /* detach: "vfio" (NULL), "kvm", "xen" or a driver name */
        unsigned flags;       /* VFIOCTL_OP_* */
        unsigned timeout_ms;  /* bound on each unbind and each verification; 0: 10 s */
        const char *command;  /* recorded as detached_by; NULL: this process's argv */
};

/* Maps a user's driver word to the kernel driver ("vfio" -> "vfio-pci"). */
VFIOCTL_EXPORT const char *vfioctl_stub_driver_name(const char *word);

/*
 * Detaches devices from the host (DESIGN §3 rules 1-3, 9): the group
 * rule, the safety rule, then for each device driver_override, unbind,
 * drivers_probe and a verified driver link, journaled in st, which must
 * be locked. Any failure rolls back every device changed by the call.
 * Returns 0, or a negative errno with the reason in vfioctl_ctx_errmsg();
 * report (may be NULL) says what happened to each device.
 */
VFIOCTL_EXPORT int vfioctl_detach(vfioctl_host *host, vfioctl_state *st,
                                  const struct vfioctl_pci_addr *addrs, size_t n,
                                  const struct vfioctl_op_options *opts, vfioctl_report *report);
/*
 * Gives devices vfioctl detached back to the driver they had (or leaves
 * them unbound if they had none), clears driver_override and verifies the
 * driver link. Devices owned by a guest are refused.
 */
VFIOCTL_EXPORT int vfioctl_reattach(vfioctl_host *host, vfioctl_state *st,
                                    const struct vfioctl_pci_addr *addrs, size_t n,
                                    const struct vfioctl_op_options *opts, vfioctl_report *report);
/*
 * Rolls back every operation the journal holds unfinished, putting each
 * device back as it was before. Returns how many operations were rolled
 * back (0 when there was nothing to do), or a negative errno; an unbind
 * still blocked keeps its operation pending (report: BLOCKED).
 */
VFIOCTL_EXPORT int vfioctl_recover(vfioctl_host *host, vfioctl_state *st, unsigned timeout_ms,
                                   vfioctl_report *report);

/* ------------------------------------------------------------------ */
/* SR-IOV (DESIGN §3 rule 10)                                          */

/* What detaching a PF does to its VFs (they vanish with it). */
enum vfioctl_sriov_verdict {
        VFIOCTL_SRIOV_NO_VFS = 0, /* not a PF, or no VF enabled */
        VFIOCTL_SRIOV_VFS_LEAVE,  /* its VFs leave the host with it: a forced detach only */
        VFIOCTL_SRIOV_VFS_BUSY,   /* a VF is owned, detached or in use: refused */
};
/*
 * The rule-10 verdict for pf: returns how many VFs it has enabled (counted
 * from its virtfnN links, never from sriov_numvfs, whose read takes the
 * device lock), with an IN_USE entry in report (may be NULL) per VF saying
 * what it is and whether it stands in the way. st may be NULL.
 */
VFIOCTL_EXPORT int vfioctl_sriov_pf_verdict(vfioctl_host *host, vfioctl_state *st,
                                            vfioctl_device *pf, vfioctl_report *report,
                                            enum vfioctl_sriov_verdict *ret);
/* Called as VFs appear: have of want. */
typedef void (*vfioctl_sriov_progress_fn)(void *userdata, unsigned have, unsigned want);
/*
 * Sets the number of VFs of pf (sriov_numvfs, via 0 when changing, in the
 * bounded helper). With opts->driver (a stub), sriov_drivers_autoprobe is
 * turned off first so no host VF driver binds them, and the new VFs are
 * bound to the stub and recorded like detached devices; n 0 removes VFs
 * made so, restoring autoprobe. Journaled: a failure or an interrupted
 * run (recover) puts the PF back as it was. st must be locked.
 */
VFIOCTL_EXPORT int vfioctl_sriov_set_numvfs(vfioctl_host *host, vfioctl_state *st,
                                            const struct vfioctl_pci_addr *pf, unsigned n,
                                            const struct vfioctl_op_options *opts,
                                            vfioctl_sriov_progress_fn progress, void *userdata,
                                            vfioctl_report *report);

/* ------------------------------------------------------------------ */
/* Guests: assign and release (DESIGN §3 rules 4-8)                    */

/*
 * A guest, as vfioctl knows it: its name, the pid of its QEMU when given,
 * the definition it was assigned with (pool choices written in, so it
 * reads back without the network files) and the devices it owns, each
 * assigned or held. The IOMMU group is the unit of ownership: a group
 * belongs to at most one guest, and every member vfioctl detached or
 * found on a stub for it is assigned or held for that guest.
 */
typedef struct vfioctl_guest vfioctl_guest;

struct vfioctl_guest_device {
        char address[VFIOCTL_PCI_ADDR_MAX];
        int group;
        enum vfioctl_role role;  /* ASSIGNED, or HELD (a group sibling, an assigned='no' function) */
        bool managed;            /* release gives it back to its host driver */
        const char *stub_driver; /* what holds it; NULL: unbound */
        const char *id;          /* QEMU id ("hostdev0") when assigned, else NULL */
};

struct vfioctl_assign_options {
        int pid;                          /* QEMU's pid, recorded; 0: not known */
        /* Network XMLs the <interface type='network'>s name, read whole
         * (every one must parse); then NETWORK_DIR/NAME.xml. */
        const char *const *network_files;
        size_t n_network_files;
        const char *network_dir;
        unsigned flags;                   /* VFIOCTL_OP_FORCE, _LIBVIRT */
        unsigned timeout_ms;              /* 0: 10 s */
        const char *command;              /* recorded; NULL: this process's argv */
};

/*
 * Prepares a guest's host devices, in libvirt's order but a whole group at
 * a time: checks everything first (devices exist and are endpoints, no
 * member of their groups belongs to another guest, multifunction devices
 * are listed whole, managed='no' devices are already detached, groups can
 * be made viable), then detaches what is managed (with group='auto' also
 * the group members in VFIO's way, held for this guest), verifies every
 * group is viable and records the guest as owner of its groups, in one
 * journaled operation. Any failure rolls the whole call back.
 *
 * xml is a libvirt <domain> (its <name> must be name) or a <devices>
 * document. Non-PCI <hostdev>s are not assigned; the returned guest lists
 * them (vfioctl_guest_def_skipped_at() on its definition). In a dry run
 * (vfioctl_ctx_set_dry_run()) nothing is written or recorded and the
 * guest is what would be recorded. st must be locked unless dry run.
 * ret (may be NULL) receives the guest; a definition without PCI host
 * devices assigns nothing and returns 0 with an empty guest.
 * -EEXIST when the guest already owns devices.
 */
VFIOCTL_EXPORT int vfioctl_assign(vfioctl_host *host, vfioctl_state *st, const char *name,
                                  const char *xml, const struct vfioctl_assign_options *opts,
                                  vfioctl_report *report, vfioctl_guest **ret);
/*
 * The same with a definition already parsed (vfioctl_guest_def_new_from_*()
 * on the host's context, with VFIOCTL_GUEST_PARSE_SKIP_NON_PCI or not):
 * parse and check the XML before vfioctl_state_lock(), so that the lock is
 * held only for what needs the state. The guest is the definition's name.
 * def is taken by reference; its network entries are resolved in place.
 */
VFIOCTL_EXPORT int vfioctl_assign_def(vfioctl_host *host, vfioctl_state *st,
                                      vfioctl_guest_def *def,
                                      const struct vfioctl_assign_options *opts,
                                      vfioctl_report *report, vfioctl_guest **ret);

enum {
        VFIOCTL_ASSIGN_UNMANAGED = 1 << 0,  /* managed='no' */
        VFIOCTL_ASSIGN_GROUP_AUTO = 1 << 1, /* <driver name='vfio' group='auto'/> */
};
/* The <devices> document `assign GUEST DEV...` stands for: one managed PCI
 * <hostdev> per address. Malloc'ed into *ret. */
VFIOCTL_EXPORT int vfioctl_guest_xml_for_devices(const struct vfioctl_pci_addr *addrs, size_t n,
                                                 unsigned flags, char **ret);

/*
 * Releases devices of a guest (all of them when n is 0): drops ownership;
 * what assign detached goes back to its host driver, what it found on a
 * stub (managed='no', detached beforehand) stays there. A group goes back
 * only once no device of it is assigned to the guest any more, and then
 * all its members at once; a device released before that stays held.
 * A guest that owns nothing: 0, and nothing changes (its record, if any, goes).
 */
VFIOCTL_EXPORT int vfioctl_release(vfioctl_host *host, vfioctl_state *st, const char *name,
                                   const struct vfioctl_pci_addr *addrs, size_t n,
                                   const struct vfioctl_op_options *opts,
                                   vfioctl_report *report);
/* Releases every guest whose recorded pid is no longer running; returns how many. */
VFIOCTL_EXPORT int vfioctl_release_dead(vfioctl_host *host, vfioctl_state *st,
                                        const struct vfioctl_op_options *opts,
                                        vfioctl_report *report);

/*
 * Rule 10: the MAC and VLAN an <interface type='hostdev'> (or a pool's
 * interface) gave a VF, set through its PF by netlink, and what the VF had
 * before (put back at release). Netlink reaches the network namespace of
 * the process, never a --root tree: under a root other than "/" the
 * settings are recorded but not applied.
 */
struct vfioctl_vf_net {
        char address[VFIOCTL_PCI_ADDR_MAX]; /* the VF */
        char pf[16];                        /* its PF's network interface */
        unsigned vf;                        /* its index on the PF (virtfnN) */
        char mac[18];                       /* set; "": left as it was */
        int vlan;                           /* set (0: untagged) */
        char original_mac[18];              /* before; "": not known */
        int original_vlan;                  /* before; -1: not known */
        bool applied;                       /* false: recorded only (another root, dry run) */
};
VFIOCTL_EXPORT size_t vfioctl_guest_n_vf_nets(vfioctl_guest *g);
VFIOCTL_EXPORT const struct vfioctl_vf_net *vfioctl_guest_vf_net_at(vfioctl_guest *g, size_t i);

/* A recorded guest; -ENOENT with a message when there is none of that name. */
VFIOCTL_EXPORT int vfioctl_guest_load(vfioctl_state *st, const char *name, vfioctl_guest **ret);
/* Every recorded guest's name, sorted, NULL-terminated; free each and the array. */
VFIOCTL_EXPORT int vfioctl_guest_list(vfioctl_state *st, char ***ret);
VFIOCTL_EXPORT vfioctl_guest *vfioctl_guest_ref(vfioctl_guest *g);
VFIOCTL_EXPORT vfioctl_guest *vfioctl_guest_unref(vfioctl_guest *g);
VFIOCTL_EXPORT const char *vfioctl_guest_get_name(vfioctl_guest *g);
/* The QEMU pid given at assign, 0 when none was. */
VFIOCTL_EXPORT int vfioctl_guest_get_pid(vfioctl_guest *g);
/*
 * Records QEMU's pid for a guest that already owns its devices (assign
 * runs before QEMU exists, libvirt's "started" hook after). st must be
 * locked; -ENOENT with a message when there is no such guest.
 */
VFIOCTL_EXPORT int vfioctl_guest_set_pid(vfioctl_state *st, const char *name, int pid);
/* False only when a pid was given and no such process runs any more. */
VFIOCTL_EXPORT bool vfioctl_guest_is_alive(vfioctl_guest *g);
VFIOCTL_EXPORT int64_t vfioctl_guest_get_created_at(vfioctl_guest *g);
/* The definition, pools resolved; NULL for a guest that assigned nothing. */
VFIOCTL_EXPORT vfioctl_guest_def *vfioctl_guest_get_def(vfioctl_guest *g);
/* The XML recorded for it. */
VFIOCTL_EXPORT const char *vfioctl_guest_get_definition(vfioctl_guest *g);
VFIOCTL_EXPORT size_t vfioctl_guest_n_devices(vfioctl_guest *g);
VFIOCTL_EXPORT const struct vfioctl_guest_device *vfioctl_guest_device_at(vfioctl_guest *g,
                                                                         size_t i);
/*
 * QEMU arguments for the devices the guest has assigned now, as
 * vfioctl_guest_def_qemu_args() (hostdev order, libvirt's ids; released
 * and unassigned entries emit nothing).
 */
VFIOCTL_EXPORT int vfioctl_guest_qemu_args(vfioctl_guest *g, unsigned flags, char ***ret);

/* ------------------------------------------------------------------ */
/* Boot-time reservations (DESIGN §3 rule 13)                          */

/*
 * A reservation says a device belongs to a stub driver from boot on. The
 * set lives in CONFIG_DIR/reservations, plain text an admin can read and
 * edit (vfioctl(8), RESERVATIONS): one section per device, keyed by its
 * address and ids, never by IOMMU group number (groups renumber across
 * boots), with the other members its group had when it was reserved.
 */
typedef struct vfioctl_reservations vfioctl_reservations;

struct vfioctl_reservation_member {
        char address[VFIOCTL_PCI_ADDR_MAX];
        uint16_t vendor_id, device_id;
};

struct vfioctl_reservation {
        char address[VFIOCTL_PCI_ADDR_MAX];
        uint16_t vendor_id, device_id;
        bool has_subsys; /* a hand-written entry may leave the subsystem out */
        uint16_t subsys_vendor_id, subsys_device_id;
        char *driver; /* the stub: "vfio-pci", "pci-stub", a vfio variant */
        /* The rest of its IOMMU group when it was reserved, by address. */
        struct vfioctl_reservation_member *members;
        size_t n_members;
};

enum {
        /* The set will be written: the folder must exist (it is created
         * 0755 when missing) and be writable. */
        VFIOCTL_RESERVATIONS_WRITE = 1 << 0,
};

/*
 * Reads DIR/reservations (no file yet: an empty set). The folder (and
 * file) must be owned by root and writable by nobody else: -EPERM
 * otherwise. A file that does not parse: -EBADMSG, the message names the
 * file and the line. Without the folder: an empty set (-ENOENT with
 * VFIOCTL_RESERVATIONS_WRITE when it cannot be created).
 */
VFIOCTL_EXPORT int vfioctl_reservations_load(vfioctl_ctx *ctx, const char *dir, unsigned flags,
                                             vfioctl_reservations **ret);
VFIOCTL_EXPORT vfioctl_reservations *vfioctl_reservations_ref(vfioctl_reservations *res);
VFIOCTL_EXPORT vfioctl_reservations *vfioctl_reservations_unref(vfioctl_reservations *res);
/* The file, "DIR/reservations". */
VFIOCTL_EXPORT const char *vfioctl_reservations_get_path(vfioctl_reservations *res);
VFIOCTL_EXPORT size_t vfioctl_reservations_n(vfioctl_reservations *res);
/* Sorted by address; borrowed until the set changes. */
VFIOCTL_EXPORT const struct vfioctl_reservation *
vfioctl_reservations_at(vfioctl_reservations *res, size_t i);
/* NULL when addr is not reserved. */
VFIOCTL_EXPORT const struct vfioctl_reservation *
vfioctl_reservations_find(vfioctl_reservations *res, const struct vfioctl_pci_addr *addr);

enum vfioctl_reservation_verdict {
        VFIOCTL_RESERVATION_APPLIES = 0,   /* the device and its group are as reserved */
        VFIOCTL_RESERVATION_MISSING,       /* no device at that address */
        VFIOCTL_RESERVATION_IDS_CHANGED,   /* another card at that address */
        VFIOCTL_RESERVATION_GROUP_CHANGED, /* its group now holds a device that is neither
                                            * reserved nor left to VFIO, or a new one */
        VFIOCTL_RESERVATION_NO_IOMMU,      /* a vfio reservation on a host without groups */
};

/*
 * Whether a reservation may be applied to the host as it is now (rule 13:
 * a reserved device whose ids changed, or whose group holds a device on a
 * host driver that is not reserved, is never touched). Returns the
 * verdict (>= 0) and, unless APPLIES, why in why (e.g. "0000:00:1f.3
 * (SMBus 8086:a323, on i801_smbus) joined its IOMMU group").
 */
VFIOCTL_EXPORT int vfioctl_reservation_check(vfioctl_host *host, vfioctl_reservations *res,
                                             const struct vfioctl_reservation *e, char *why,
                                             size_t why_size);

/*
 * Reserves devices for opts->driver (a stub, rule 11; NULL: vfio-pci):
 * the group rule of detach applies (with VFIOCTL_OP_GROUP every member
 * that is not left to VFIO is reserved too; without it such a member
 * refuses the call, the report naming it) and so does safety (rule 9)
 * unless VFIOCTL_OP_FORCE. The set is then written atomically (a
 * temporary file, fsync, rename, fsync of the folder); in a dry run or
 * with VFIOCTL_OP_CHECK it is not. The report has a RESERVED entry per
 * device now reserved (with VFIOCTL_OP_CHECK: that would be).
 * Nothing is changed on any failure.
 */
VFIOCTL_EXPORT int vfioctl_reserve(vfioctl_host *host, vfioctl_reservations *res,
                                   const struct vfioctl_pci_addr *addrs, size_t n,
                                   const struct vfioctl_op_options *opts, vfioctl_report *report);
/* Drops the reservations of addrs (UNRESERVED entries); one not reserved is INVALID. */
VFIOCTL_EXPORT int vfioctl_unreserve(vfioctl_reservations *res, const struct vfioctl_pci_addr *addrs,
                                     size_t n, vfioctl_report *report);

/*
 * Applies reservations at boot: for addr (and the reservations of the
 * rest of its IOMMU group), or for all of them when addr is NULL. Each
 * group whose reservations apply is detached as vfioctl_detach() would
 * (driver_override first, so a driver loaded later never takes it;
 * journaled and recorded in st, which must be locked); when the stub is
 * not loaded yet only driver_override is written (the stub takes the
 * device when it loads). A group that does not apply, or that detach
 * refuses, is not touched: NOT_APPLIED entries say why and the outcome
 * is ATTENTION. A device that is not reserved: 0, nothing done.
 */
VFIOCTL_EXPORT int vfioctl_boot(vfioctl_host *host, vfioctl_state *st, vfioctl_reservations *res,
                                const struct vfioctl_pci_addr *addr,
                                const struct vfioctl_op_options *opts, vfioctl_report *report);
/* ------------------------------------------------------------------ */
/* Cleanup helpers, for callers that use the cleanup attribute:
 *      _vfioctl_cleanup_(vfioctl_host_unrefp) vfioctl_host *host = NULL;
 * (as sd-device's _SD_DEFINE_POINTER_CLEANUP_FUNC). */

#define _VFIOCTL_DEFINE_POINTER_CLEANUP_FUNC(type, func)  \
        static inline void func##p(type **p)              \
        {                                                 \
                if (*p)                                   \
                        func(*p);                         \
        }
#define _vfioctl_cleanup_(f) __attribute__((cleanup(f)))

_VFIOCTL_DEFINE_POINTER_CLEANUP_FUNC(vfioctl_ctx, vfioctl_ctx_unref)
_VFIOCTL_DEFINE_POINTER_CLEANUP_FUNC(vfioctl_host, vfioctl_host_unref)
_VFIOCTL_DEFINE_POINTER_CLEANUP_FUNC(vfioctl_device, vfioctl_device_unref)
_VFIOCTL_DEFINE_POINTER_CLEANUP_FUNC(vfioctl_group, vfioctl_group_unref)
_VFIOCTL_DEFINE_POINTER_CLEANUP_FUNC(vfioctl_state, vfioctl_state_unref)
_VFIOCTL_DEFINE_POINTER_CLEANUP_FUNC(vfioctl_journal, vfioctl_journal_unref)
_VFIOCTL_DEFINE_POINTER_CLEANUP_FUNC(vfioctl_report, vfioctl_report_free)
_VFIOCTL_DEFINE_POINTER_CLEANUP_FUNC(vfioctl_guest_def, vfioctl_guest_def_unref)
_VFIOCTL_DEFINE_POINTER_CLEANUP_FUNC(vfioctl_network_def, vfioctl_network_def_unref)
_VFIOCTL_DEFINE_POINTER_CLEANUP_FUNC(vfioctl_guest, vfioctl_guest_unref)
_VFIOCTL_DEFINE_POINTER_CLEANUP_FUNC(vfioctl_reservations, vfioctl_reservations_unref)

#ifdef __cplusplus
}
#endif
