/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcisim: a simulated kernel for the vfioctl tests. It models the PCI
 * driver-binding ABI of sysfs, IOMMU groups and /dev/vfio (see
 * reference/kernel-semantics.md §1-§3) and serves it through FUSE.
 *
 * Everything below is protected by one global mutex (sim.lock); operations
 * that block like the kernel does (a held unbind) wait on sim.cond with the
 * lock released, marking their device busy as device_lock() would.
 *
 * This is an independent model of the kernel: it must never use libvfioctl.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "macro.h"

#define PCI_ANY_ID 0xffffffffu

/* One matching rule of a driver: a static id or a new_id dynamic id. */
struct sim_id {
        uint32_t vendor, device, subvendor, subdevice, class, class_mask;
};

struct sim_driver {
        char *name;
        struct sim_id *ids;             /* static id table */
        size_t n_ids;
        struct sim_id *dynids;          /* added through new_id */
        size_t n_dynids;
        bool vfio;                      /* vfio-pci or a vfio variant */
        bool override_only;             /* static ids match only with override */
        bool dma_managed;               /* .driver_managed_dma */
        bool sriov_configure;           /* can enable VFs */
};

struct sim_net {
        char *name;
        char *operstate;
        char *mac;
        bool default_route;
};

struct sim_block {
        char *name;
        char **mounts;                  /* one partition each; NULL: a partition nothing mounts */
        size_t n_mounts;
};

/* A device-mapper or md device (sys/devices/virtual/block/NAME) stacked
 * on block devices of the topology (or on another one of these). */
struct sim_vblock {
        char *name;                     /* "dm-0", "md0" */
        char *dm_name;                  /* dm/name ("vg-root"); NULL for md */
        char **slaves;                  /* what it is made of: "nvme0n1p3", "md0" */
        size_t n_slaves;
        char **mounts;                  /* "/", "[SWAP]" */
        size_t n_mounts;
};

/* One mounted file system or active swap, as procfs lists them. */
struct sim_mount {
        char source[160];               /* "/dev/nvme0n1p2", "/dev/mapper/vg-root" */
        const char *target;             /* "/"; "[SWAP]" for swap */
        unsigned major, minor;
        char name[128];                 /* the block device: "nvme0n1p2", "dm-0" */
};

/* How long the kernel takes, in ms: what a driver's remove() and probe() cost. */
struct sim_latency {
        int unbind;                     /* an unbind, before the link goes */
        int probe;                      /* a driver's probe (drivers_probe, bind) */
        int sriov_vf;                   /* per VF that sriov_numvfs creates */
};

struct sim_device {
        char address[16];               /* "0000:03:00.0" */
        unsigned domain, bus, slot, func;
        uint16_t vendor, device, subsystem_vendor, subsystem_device;
        uint8_t revision;
        uint32_t class;
        uint8_t header_type;            /* layout, without the multifunction bit */
        bool multifunction;
        bool pcie;
        int pcie_type;                  /* PCIe capability port type */
        bool boot_vga;
        int numa_node;
        unsigned secondary_bus, subordinate_bus; /* bridges: the subtree */
        char *reset_method;             /* topology's reset_method ("" none), NULL: derived */

        /* IOMMU group: current number, and the topology's for rescan. */
        int group;
        int topo_group;

        /* Mutable kernel state. */
        bool present;                   /* false once removed (kept for rescan) */
        char *driver_override;          /* NULL when unset */
        struct sim_driver *driver;      /* bound driver or NULL */
        int vfio_index;                 /* vfio-dev/vfioX while on vfio, else -1 */
        bool busy;                      /* device_lock held by a blocked op */
        bool adding;                    /* a VF between its virtfnN link and
                                         * pci_bus_add_device(): no driver matches it */
        bool enabled;

        /* Topology initial state, restored by rescan. */
        struct sim_driver *topo_driver;
        char *topo_override;

        /* SR-IOV: on a PF. */
        unsigned totalvfs, numvfs, topo_numvfs;
        unsigned vf_offset, vf_stride;
        uint16_t vf_device;
        int vf_group;                   /* all VFs in this group, or -1 */
        int vf_group_start;             /* VF i in group start+i, or -1 */
        bool sriov_drivers_autoprobe;
        /* On a VF. */
        struct sim_device *pf;
        unsigned vf_index;

        struct sim_net *net;
        size_t n_net;
        struct sim_block *block;
        size_t n_block;

        /* Realistic kernel latencies (tests/hosts/README.md "latency"). */
        struct sim_latency lat;
};

enum sim_op {
        OP_BIND,
        OP_UNBIND,
        OP_PROBE,
        OP_OVERRIDE,
        _OP_MAX,
};

enum fault_kind {
        FAULT_NONE,
        FAULT_FAIL,                     /* fail=ERRNO */
        FAULT_NOBIND,                   /* probe binds nothing */
        FAULT_BLOCK_MS,                 /* block=MS */
        FAULT_BLOCK_HELD,               /* block=held until .sim/release */
};

struct sim_fault {
        char address[16];
        enum sim_op op;
        enum fault_kind kind;
        int arg;                        /* errno for FAIL, ms for BLOCK_MS */
};

struct sim_held {
        char address[16];
        unsigned waiting;               /* ops currently held on it */
        unsigned tokens;                /* releases not yet consumed */
};

struct sim {
        pthread_mutex_t lock;
        pthread_cond_t cond;

        bool iommu;
        struct sim_latency lat;         /* the topology's default, VFs made later too */
        struct sim_driver **drivers;
        size_t n_drivers;
        struct sim_device **devices;    /* sorted by address, removed ones too */
        size_t n_devices;
        bool drivers_autoprobe;

        /* Control folder state. */
        char *log;
        size_t log_len, log_alloc;
        struct sim_fault *faults;
        size_t n_faults;
        struct sim_held *held;
        size_t n_held;
        long crash_after;               /* writes left before the kill, 0 off */

        /* Stacked block devices (dm, md) and what the root mount is called. */
        struct sim_vblock *vblocks;
        size_t n_vblocks;
        char *root_source;              /* "/dev/root", or NULL: the device's own name */

        /* Open file handles of /dev/vfio/N per group: a group VFIO uses. */
        unsigned *group_opens;
        size_t n_group_opens;
};

extern struct sim sim;

/* topology.c */
int topology_load(const char *path, char *err, size_t errlen);

/* model.c */
void model_free(void);
int parse_address(const char *s, unsigned *domain, unsigned *bus, unsigned *slot, unsigned *func);
struct sim_device *device_find(const char *address);
struct sim_device *device_find_buf(const char *buf, size_t len);
struct sim_driver *driver_find(const char *name);
struct sim_device *device_add(struct sim_device *d);
size_t device_lower_bound(const char *address);
int group_lowest_free(void);
unsigned group_opens(int group);
int group_opens_add(int group, int delta);
int vfio_index_alloc(void);
void device_set_driver(struct sim_device *d, struct sim_driver *drv);
bool device_is_bridge(const struct sim_device *d);
bool device_is_vf(const struct sim_device *d);
bool device_children_visible(const struct sim_device *d);
struct sim_device *device_vf(const struct sim_device *pf, unsigned i);
int vf_address(const struct sim_device *pf, unsigned i, char *out, size_t outlen);

/* kernel.c: the sysfs stores; each returns 0 or -errno. */
bool driver_matches(const struct sim_driver *drv, const struct sim_device *d);
/* device_lock(): waits (model lock released) while an op on d is blocked. */
int device_lock_wait(struct sim_device *d);
int store_driver_override(struct sim_device *d, const char *buf, size_t len);
int store_bind(struct sim_driver *drv, const char *buf, size_t len);
int store_unbind(struct sim_driver *drv, const char *buf, size_t len);
int store_new_id(struct sim_driver *drv, const char *buf, size_t len);
int store_remove_id(struct sim_driver *drv, const char *buf, size_t len);
int store_drivers_probe(const char *buf, size_t len);
int store_drivers_autoprobe(const char *buf, size_t len);
int store_bus_rescan(const char *buf, size_t len);
int store_dev_rescan(struct sim_device *d, const char *buf, size_t len);
int store_remove(struct sim_device *d, const char *buf, size_t len);
int store_reset(struct sim_device *d, const char *buf, size_t len);
int store_enable(struct sim_device *d, const char *buf, size_t len);
int store_sriov_numvfs(struct sim_device *d, const char *buf, size_t len);
int store_sriov_autoprobe(struct sim_device *d, const char *buf, size_t len);
int sriov_enable(struct sim_device *pf, unsigned n);
void device_autoprobe(struct sim_device *d);

/* control.c */
void log_write(const char *path, const char *buf, size_t len, const char *result);
const char *errno_name(int err);
int errno_from_name(const char *name);
int faults_store(const char *buf, size_t len);
char *faults_show(void);
int release_store(const char *buf, size_t len);
char *release_show(void);
int crash_after_store(const char *buf, size_t len);
const struct sim_fault *fault_get(const struct sim_device *d, enum sim_op op);
int fault_block(struct sim_device *d, const struct sim_fault *f);
void faults_free(void);
/* Sleeps ms with the model unlocked and d busy (its device lock held), as a slow driver. */
int device_sleep(struct sim_device *d, int ms);
int sim_cond_wait(const struct timespec *deadline);
extern bool (*sim_interrupted)(void);

/* block.c: disks, partitions and the devices stacked on them. */
void block_part_name(const struct sim_block *b, size_t part, char *buf, size_t len);
/* dev numbers: disk k of the host (all devices, in address order) is 259:16k,
 * its partition p 259:16k+p+1; dm-N is 254:N, mdN is 9:N. */
void block_disk_dev(const struct sim_device *d, size_t k, unsigned *major, unsigned *minor);
void vblock_dev(const struct sim_vblock *v, unsigned *major, unsigned *minor);
const struct sim_vblock *vblock_find(const char *name);
/* Whether the block device called name is there now (a disk or partition of
 * a bound device, or a stacked device); sets its dev number. */
bool block_find(const char *name, unsigned *major, unsigned *minor);
/* Every mount and swap: the PCI disks' partitions (always, as a host whose
 * disk driver left keeps its mounts), then the stacked devices'. */
size_t block_mounts(struct sim_mount **ret);
void vblocks_free(void);

/* procfs.c */
char *proc_mounts(void);
char *proc_net_route(void);
char *proc_net_ipv6_route(void);
extern const char *const proc_osrelease;
char *modules_alias(void);
char *proc_swaps(void);
char *proc_mountinfo(void);

/* Small string helpers (model.c). */
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
void *xrealloc(void *p, size_t n, size_t size);
bool sysfs_streq(const char *buf, size_t len, const char *s);
char *strndup_line(const char *buf, size_t len);

/* tree.c: the folder tree, resolved against the model on every call. */
enum node_type {
        NODE_DIR,
        NODE_FILE,
        NODE_LINK,
};

struct attr;

struct node {
        enum node_type type;
        int dir;                        /* which folder, for NODE_DIR */
        const struct attr *attr;        /* for NODE_FILE */
        struct sim_device *dev;
        struct sim_driver *drv;
        int group;
        int idx, sub;                   /* net/block entry, partition */
        char target[256];               /* for NODE_LINK */
};

typedef void (*tree_list_fn)(void *userdata, const char *name, const struct node *n);

int tree_resolve(const char *path, struct node *out);
/* The group of a /dev/vfio/N node, -1 for any other node. */
int node_vfio_group(const struct node *n);
void tree_list(const struct node *dir, tree_list_fn fn, void *userdata);
mode_t node_mode(const struct node *n);
bool node_readable(const struct node *n);
bool node_writable(const struct node *n);
char *node_render(const struct node *n, size_t *len);
int node_store(const struct node *n, const char *buf, size_t len);
int node_truncate(const struct node *n);
bool node_logged(const struct node *n);
/* Its show takes device_lock() (sriov_numvfs): a read waits for a blocked op. */
bool node_show_locks(const struct node *n);
