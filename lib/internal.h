/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to libvfioctl: the context, error and log plumbing, and the
 * sysfs access layer. Nothing here is exported.
 */
#pragma once

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "vfioctl.h"

struct pci_access;

/*
 * The public ref/unref pair of a reference-counted handle (a struct with
 * an int n_ref): unref accepts NULL, returns NULL, and calls free_fn when
 * the last reference goes (systemd's DEFINE_TRIVIAL_REF_UNREF_FUNC).
 */
#define DEFINE_PUBLIC_REF_UNREF(type, name, free_fn)            \
        VFIOCTL_EXPORT type *name##_ref(type *p)                 \
        {                                                        \
                if (p)                                           \
                        p->n_ref++;                              \
                return p;                                        \
        }                                                        \
        VFIOCTL_EXPORT type *name##_unref(type *p)               \
        {                                                        \
                if (!p || --p->n_ref > 0)                        \
                        return NULL;                             \
                free_fn(p);                                      \
                return NULL;                                     \
        }

/*
 * Argument checks at the top of every public entry point (sd-device's
 * assert_return()): a caller's NULL handle, NULL out-parameter or index
 * out of range comes back as r (-EINVAL, or NULL/0/false for a getter, as
 * vfioctl.h says), never as a crash inside the library. Internal functions
 * use assert() and _nonnull_ instead.
 */
#define assert_return(expr, r)                       \
        do {                                         \
                if (__builtin_expect(!(expr), 0))    \
                        return (r);                  \
        } while (0)
#define assert_return_void(expr)                     \
        do {                                         \
                if (__builtin_expect(!(expr), 0))    \
                        return;                      \
        } while (0)

struct vfioctl_ctx {
        int n_ref;
        char *root;             /* absolute, no trailing slash except "/" */
        int root_fd;            /* O_PATH on root */
        char errmsg[1024];
        enum vfioctl_reason reason; /* what the caller may do about errmsg */
        char reason_subject[256];   /* whom it is about ("" none): the owning guest */
        vfioctl_log_fn log_fn;
        void *log_data;
        int log_priority;
        vfioctl_write_fn dry_run_fn;
        void *dry_run_data;
        struct pci_access *pacc; /* libpci, for names; loaded on first use */
        vfioctl_progress_fn progress_fn;
        void *progress_data;
        volatile sig_atomic_t interrupted; /* set by vfioctl_ctx_interrupt(), maybe in a handler */
};

/* A failure's message and way out, kept while later calls (a rollback's) set their own. */
struct ctx_saved_error {
        char msg[sizeof(((struct vfioctl_ctx *) 0)->errmsg)];
        enum vfioctl_reason reason;
        char subject[sizeof(((struct vfioctl_ctx *) 0)->reason_subject)];
};

/* Logging: debug output through the user's callback, nothing by default. */
void ctx_log(vfioctl_ctx *ctx, int priority, const char *file, int line, const char *fn,
             const char *format, ...) _printf_(6, 7);
#define log_debug(ctx, ...) \
        ctx_log(ctx, VFIOCTL_LOG_DEBUG, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_info(ctx, ...) \
        ctx_log(ctx, VFIOCTL_LOG_INFO, __FILE__, __LINE__, __func__, __VA_ARGS__)

/*
 * Records why a call failed and returns error (a negative errno), so that
 * failure paths read `return ctx_error(ctx, -ENODEV, "...", ...);`. The
 * message should name the thing that is wrong and, where it helps, what
 * to do about it.
 */
int ctx_error(vfioctl_ctx *ctx, int error, const char *format, ...) _printf_(3, 4);
int ctx_verror(vfioctl_ctx *ctx, int error, const char *format, va_list ap) _printf_(3, 0);
/* The same, with what the caller may do about it (vfioctl_ctx_get_reason()). */
int ctx_error_reason(vfioctl_ctx *ctx, enum vfioctl_reason reason, int error, const char *format,
                     ...) _printf_(4, 5);
void ctx_clear_error(vfioctl_ctx *ctx);
/* After a failure already said: its reason, and whom it is about (may be NULL). */
int ctx_set_reason(vfioctl_ctx *ctx, int error, enum vfioctl_reason reason, const char *subject);
void ctx_save_error(vfioctl_ctx *ctx, struct ctx_saved_error *ret);
/* The saved failure as the context's again; returns error. */
int ctx_restore_error(vfioctl_ctx *ctx, int error, const struct ctx_saved_error *s);

/* pci.ids lookups through libpci (names.c). NULL when unknown. */
const char *names_vendor(vfioctl_ctx *ctx, uint16_t vendor, char *buf, size_t size);
const char *names_device(vfioctl_ctx *ctx, uint16_t vendor, uint16_t device, char *buf,
                         size_t size);

/* ------------------------------------------------------------------ */
/* sysfs.c: the only place that builds paths and does I/O on the tree. */

/* Largest attribute we accept: sysfs attributes are at most a page. */
#define SYSFS_ATTR_MAX 4096

/* Opens a folder under the root ("sys/bus/pci/devices"), O_DIRECTORY. */
int sysfs_open_dir(vfioctl_ctx *ctx, const char *relpath, int *ret_fd);
/* Opens a subfolder relative to dirfd. -ENOENT when it does not exist. */
int sysfs_open_subdir(vfioctl_ctx *ctx, int dirfd, const char *name, int *ret_fd);

/*
 * Reads a text attribute strictly: at most SYSFS_ATTR_MAX bytes, one
 * trailing newline removed, no NUL bytes or other newlines inside.
 * Errors carry a message naming the attribute (relative to the root).
 */
int sysfs_read_str(vfioctl_ctx *ctx, int dirfd, const char *dirname, const char *attr,
                   char **ret);
/* Whole lines (e.g. /proc/net/route); NUL bytes are refused. */
int sysfs_read_text(vfioctl_ctx *ctx, int dirfd, const char *dirname, const char *attr,
                    size_t max, char **ret);
/* Reads binary contents (config space): up to size bytes, count in ret_len. */
int sysfs_read_bin(vfioctl_ctx *ctx, int dirfd, const char *dirname, const char *attr,
                   void *buf, size_t size, size_t *ret_len);
/* "0x1234" style numbers and plain decimal ones, strictly. */
int sysfs_read_hex(vfioctl_ctx *ctx, int dirfd, const char *dirname, const char *attr,
                   uint64_t max, uint64_t *ret);
int sysfs_read_int(vfioctl_ctx *ctx, int dirfd, const char *dirname, const char *attr,
                   int64_t min, int64_t max, int64_t *ret);
/* The last path component of a symlink's target ("e1000e" for a driver link). */
int sysfs_read_link_name(vfioctl_ctx *ctx, int dirfd, const char *dirname, const char *link,
                         char **ret);
/* The whole target of a symlink (/proc/PID/fd/N -> /dev/vfio/12), where
 * the last component alone would not tell one file from another. */
int sysfs_read_link(int dirfd, const char *name, char *buf, size_t size);
/* Whether an entry exists (does not follow a final symlink). */
int sysfs_exists(vfioctl_ctx *ctx, int dirfd, const char *name);

/*
 * A read in two halves, for rule 15: sysfs_fetch_*() only ask the kernel
 * and touch nothing shared (a group drops the executor's lock around
 * them); sysfs_fetched_*() check the answer and say what was wrong, with
 * the lock held again. sysfs_read_str() and sysfs_read_link_name() are
 * both halves at once.
 */
struct sysfs_fetch {
        int error;              /* the read's -errno, or 0 */
        char *buf;              /* a text's contents */
        size_t len;
        char target[PATH_MAX];  /* a link's target */
};
void sysfs_fetch_text(int dirfd, const char *attr, size_t max, struct sysfs_fetch *f);
void sysfs_fetch_link(int dirfd, const char *link, struct sysfs_fetch *f);
void sysfs_fetch_done(struct sysfs_fetch *f);
int sysfs_fetched_str(vfioctl_ctx *ctx, const char *dirname, const char *attr,
                      struct sysfs_fetch *f, char **ret);
/* A driver_override: as sysfs_fetched_str(), an unset one ("(null)", "") as NULL. */
int sysfs_fetched_override(vfioctl_ctx *ctx, const char *dirname, const char *attr,
                           struct sysfs_fetch *f, char **ret);
/* -ENOENT (no message) when the link does not exist. */
int sysfs_fetched_link_name(vfioctl_ctx *ctx, const char *dirname, const char *link,
                            struct sysfs_fetch *f, char **ret);

/* 1 when a folder under the root has no entries, 0 when it has, <0 on error. */
int sysfs_dir_is_empty(vfioctl_ctx *ctx, const char *relpath);
/* Lists a folder's entries (without . and ..), sorted, NULL-terminated. */
int sysfs_list_dir(vfioctl_ctx *ctx, int dirfd, const char *dirname, char ***ret,
                   size_t *ret_n);
void strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/*
 * The one choke point for writes: relpath is relative to the root
 * ("sys/bus/pci/devices/0000:03:00.0/driver_override"). Opens with
 * O_WRONLY|O_NOFOLLOW on the final component, writes value in one write()
 * and returns the kernel's answer as a negative errno. In dry-run mode
 * nothing is written and the write is reported to the dry-run callback.
 */
int sysfs_write(vfioctl_ctx *ctx, const char *relpath, const char *value);
/*
 * The write alone: openat() and one write(), no message, no allocation,
 * so that a forked helper can make it. Returns 0 or -errno (-EMSGSIZE: short).
 */
int sysfs_write_raw(int dirfd, const char *relpath, const char *value);
/* Whether relpath is an attribute of a PCI device, driver or the bus (else -EPERM, said). */
int sysfs_write_check(vfioctl_ctx *ctx, const char *relpath);
/* A checked relpath relative to SYSFS_PCI_BUS, for sysfs_write_raw() there. */
const char *sysfs_bus_relpath(const char *relpath);

/* ------------------------------------------------------------------ */
/* trust.c: what vfioctl believes of its own folders and records.      */

/*
 * A folder whose contents steer root's sysfs writes (the state folder, the
 * configuration folder): it must be owned by root (or the effective uid)
 * and writable by nobody else. what names it in the message ("state
 * folder"), which says how to fix it. -EPERM when it is not trusted.
 */
int trusted_dir_check(vfioctl_ctx *ctx, const char *dir, const char *what);
/* A driver name fit for a sysfs path: [A-Za-z0-9_.:+-], no leading '.'. */
bool driver_name_is_valid(const char *name);
/* A network interface name as the kernel allows one (dev_valid_name()). */
bool ifname_is_valid(const char *name);
/* s is a PCI address in its canonical "0000:03:00.0" form. */
bool pci_addr_is_canonical(const char *s);

/* The folders of the tree, relative to the root. */
#define SYSFS_PCI_BUS "sys/bus/pci"
#define SYSFS_PCI_DEVICES "sys/bus/pci/devices"
#define SYSFS_PCI_DRIVERS "sys/bus/pci/drivers"
#define SYSFS_IOMMU_GROUPS "sys/kernel/iommu_groups"

/*
 * Paths (sysfs.c): every path into the tree is built by one of these, into
 * a caller's buffer of SYSFS_PATH_MAX, which they return. One that would
 * not fit comes out as "", which no open finds and sysfs_write_check()
 * refuses. "Device" paths are relative to the devices folder
 * (host->devices_fd, SYSFS_PCI_DEVICES in messages), the others to the
 * root unless said.
 */
#define SYSFS_PATH_MAX 512
#define SYSFS_CLASS_NET "sys/class/net"
#define SYSFS_CLASS_VTCONSOLE "sys/class/vtconsole"
/* "ADDRESS/ATTR" (attr may be a sub-path: "nvme/nvme0"). */
const char *sysfs_device_attr(char buf[SYSFS_PATH_MAX], const char *address, const char *attr);
/* "ADDRESS/net/IFNAME/ATTR". */
const char *sysfs_device_netif_attr(char buf[SYSFS_PATH_MAX], const char *address,
                                    const char *ifname, const char *attr);
/* From the root, for writes: "sys/bus/pci/devices/ADDRESS/ATTR". */
const char *sysfs_device_path(char buf[SYSFS_PATH_MAX], const char *address, const char *attr);
/* "sys/bus/pci/drivers/DRIVER", or ".../DRIVER/ATTR". */
const char *sysfs_driver_path(char buf[SYSFS_PATH_MAX], const char *driver, const char *attr);
/* "sys/kernel/iommu_groups/N/devices". */
const char *sysfs_group_devices_path(char buf[SYSFS_PATH_MAX], unsigned number);
/* "ENTRY/ATTR" inside a folder the caller has open (a class folder's
 * entries: "enp5s0/device", "vtcon0/bind"). */
const char *sysfs_entry_attr(char buf[SYSFS_PATH_MAX], const char *entry, const char *attr);

/* ------------------------------------------------------------------ */
/* host.c, device.c, group.c, usage.c                                  */

/*
 * Devices and groups are reference counted. The host's cache holds one
 * reference to each and does not pin the host; every reference a caller
 * takes (vfioctl_device_ref()) also pins the host, so dev->host stays
 * valid for as long as anybody but the cache holds the device.
 */
struct vfioctl_device {
        int n_ref;
        vfioctl_host *host; /* see above: alive while the device is */
        struct vfioctl_pci_addr addr;
        char name[VFIOCTL_PCI_ADDR_MAX];

        /* A device whose entry is damaged is kept, marked, and never viable. */
        int error;
        char *errmsg;

        /* Read eagerly: what `list` shows. */
        uint16_t vendor_id, device_id, subsys_vendor_id, subsys_device_id;
        uint32_t class;
        uint8_t revision, header_type;
        bool multifunction;
        char *driver;
        int group;       /* -1: none */

        bool names_loaded;
        char *vendor_name, *device_name;

        /* Read on first use. */
        bool details_loaded;
        int details_error;
        char *driver_override;
        int numa_node;
        bool boot_vga;
        unsigned sriov_total, sriov_num;
        bool is_vf;
        struct vfioctl_pci_addr physfn;
        struct vfioctl_pci_addr *virtfns;
        size_t n_virtfns;

        /* Reset (device.c), read on first use: sysfs reset_method, PCIe FLR. */
        bool reset_loaded;
        int reset_error;
        char *reset_methods; /* NULL: no reset_method file */
        bool flr;

        bool usage_loaded;
        int usage_error;
        struct vfioctl_netif *netifs;
        size_t n_netifs;
        struct vfioctl_blockdev *blockdevs;
        char ***blockdev_via; /* per blockdevs[i].mounts[j]: the stack it is on
                                 ("dm-0 (vg-root) on nvme0n1p3"), "" when direct */
        size_t n_blockdevs;
};

struct vfioctl_group {
        int n_ref;
        vfioctl_host *host;
        unsigned number;
        vfioctl_device **devices; /* a reference each, sorted */
        size_t n_devices;
};

/* devdirs.c: device folders opened once, shared by an operation's threads. */
struct devdir_slot;
struct devdirs {
        pthread_mutex_t lock;
        struct devdir_slot *slot; /* open addressing on the address */
        size_t n, size;
};
void devdirs_init(struct devdirs *d);
/* Closes every folder (the cache is invalidated); devdirs_done() ends it. */
void devdirs_clear(struct devdirs *d);
void devdirs_done(struct devdirs *d);
/* The device's folder, opened through devices_fd on first use: borrowed, or -errno
 * (-EMFILE: as many are kept as may be). */
int devdirs_get(struct devdirs *d, int devices_fd, const char *address);
/* Takes fd as address's folder (closed when it has one already): the folder, or -ENOMEM. */
int devdirs_adopt(struct devdirs *d, const char *address, int fd);

struct vfioctl_host {
        int n_ref;
        vfioctl_ctx *ctx;
        int devices_fd; /* sys/bus/pci/devices */
        int has_iommu;  /* -1 unknown */
        struct devdirs dirs; /* the devices' own folders, dropped with the rest */

        vfioctl_device **devices; /* sorted by address */
        size_t n_devices;
        vfioctl_group **groups;   /* sorted by number */
        size_t n_groups;
        bool scanned;

        char **drivers;           /* sys/bus/pci/drivers, read on first use */
        /* Whether a driver is a vfio driver, learnt once per driver name. */
        char **vfio_drivers, **other_drivers;
        char **vfio_modules;      /* modules with vfio_pci: aliases, read on first use */
        bool vfio_modules_loaded;
        char *mounts;             /* proc/self/mounts, read on first use */
        char **default_route_ifs; /* interfaces holding a default route */
        bool routes_loaded;
};

/*
 * The journal's rows (state.c), the engine's working data: the planner
 * builds changes, the executor journals steps, recover reads operations.
 * Callers outside the library read them through vfioctl_journal.
 */
/* A device an operation changes: what it was and what it is to become. */
struct vfioctl_state_change {
        char address[VFIOCTL_PCI_ADDR_MAX];
        int group;
        char *before_driver, *before_override; /* NULL: unbound / unset */
        char *target_driver, *target_override;
};
/* One journaled write. status: "intended", "done", "failed" or "undone". */
struct vfioctl_state_step {
        int seq;
        char address[VFIOCTL_PCI_ADDR_MAX];
        char *path;  /* relative to the root */
        char *value;
        char *status;
        int helper_pid; /* the process making a write that may block, 0: none */
};
struct vfioctl_state_op {
        int64_t id;
        char *kind;    /* "detach", "reattach", ... */
        char *command;
        int pid;
        int64_t started_at;
        struct vfioctl_state_change *changes;
        size_t n_changes;
        struct vfioctl_state_step *steps;
        size_t n_steps;
};
/* Operations that were started and not finished (normally none). */
int state_get_pending(vfioctl_state *st, struct vfioctl_state_op **ret, size_t *ret_n);
void state_ops_free(struct vfioctl_state_op *ops, size_t n);

/* device.c: an iommu_group link's last component ("12") as the group's number, or -EBADMSG. */
int group_number_parse(const char *name);
/* Orders "virtfnN" names (char **) by N: virtfn10 after virtfn9. */
int virtfn_cmp(const void *a, const void *b);
/* Reads one device's eager fields; group number given or -2 to read the link. */
int device_new(vfioctl_host *host, const struct vfioctl_pci_addr *addr, int group,
               vfioctl_device **ret);
/* The references the cache and groups hold: they do not pin the host. */
vfioctl_device *device_ref(vfioctl_device *dev);
vfioctl_device *device_unref(vfioctl_device *dev);
int device_load_details(vfioctl_device *dev);

/* host.c */
/* vfioctl_host_get_device() without a message: -ENODEV when there is none. */
int host_find_device(vfioctl_host *host, const struct vfioctl_pci_addr *addr,
                     vfioctl_device **ret);
int host_driver_exists(vfioctl_host *host, const char *driver);
/* 1/0 when the answer for this driver is known, -ENOENT when not yet. */
int host_driver_is_vfio(vfioctl_host *host, const char *driver);
int host_remember_driver(vfioctl_host *host, const char *driver, bool is_vfio);
int host_read_mounts(vfioctl_host *host, const char **ret);
int host_default_route_ifs(vfioctl_host *host, char ***ret);

/* driver.c: what a driver is to VFIO (DESIGN §3 rule 11). */
enum driver_stub {
        DRIVER_NONE,      /* no driver: unbound */
        DRIVER_HOST,      /* a host driver: it uses the device */
        DRIVER_STUB_VFIO, /* vfio-pci or a vfio variant (vfio_pci: aliases, or vfio-dev/) */
        DRIVER_STUB_HOLD, /* pci-stub, xen-pciback: hold the device, give it to no guest */
};
/* dev, when given and bound to driver, answers through its vfio-dev/. */
enum driver_stub driver_stub_kind(vfioctl_host *host, const char *driver, vfioctl_device *dev);

/* group.c */
int group_new(vfioctl_host *host, unsigned number, vfioctl_group **ret);
vfioctl_group *group_unref(vfioctl_group *group);
int group_add_device(vfioctl_group *group, vfioctl_device *dev);

/* netlink.c: a VF's MAC and VLAN through its PF (rule 10). vlan -1: none; mac NULL: none. */
struct nlmsghdr;
int netlink_vf_msg(void *buf, size_t size, int pf_ifindex, unsigned vf, const uint8_t *mac,
                   int vlan, uint32_t seq, struct nlmsghdr **ret);
int netlink_vf_set(vfioctl_ctx *ctx, const char *pf_ifname, unsigned vf, const uint8_t *mac,
                   int vlan);
int netlink_parse_mac(const char *s, uint8_t mac[6]);
/* RTM_GETLINK of one interface with its VFs' settings (RTEXT_FILTER_VF). */
int netlink_getlink_msg(void *buf, size_t size, int ifindex, uint32_t seq, struct nlmsghdr **ret);
/* VF vf's MAC and VLAN (0: untagged) in an RTM_NEWLINK; -ENXIO when it lists no such VF. */
int netlink_vf_parse(const struct nlmsghdr *nlh, unsigned vf, uint8_t mac[6], int *vlan);
/* What VF vf of pf_ifname has now, asked of the kernel. */
int netlink_vf_get(vfioctl_ctx *ctx, const char *pf_ifname, unsigned vf, uint8_t mac[6],
                   int *vlan);

/* usage.c */
int usage_load(vfioctl_device *dev);
void usage_free(vfioctl_device *dev);
