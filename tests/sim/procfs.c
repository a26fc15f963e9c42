/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * proc/self/mounts, proc/net/route and proc/net/ipv6_route in the kernel's
 * formats, made from the topology's block and net entries, so that the
 * host-dependency checks (DESIGN §3.9) read something real parsers accept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

struct buf {
        char *s;
        size_t n;
        FILE *f;
};

static FILE *buf_open(struct buf *b)
{
        *b = (struct buf) {};
        b->f = open_memstream(&b->s, &b->n);
        if (!b->f)
                abort();
        return b->f;
}

static char *buf_close(struct buf *b)
{
        fclose(b->f);
        return b->s;
}

/* Mount points as /proc/self/mounts escapes them (mangle_path " \t\n\\"). */
static void put_escaped(FILE *f, const char *s)
{
        for (; *s; s++)
                if (strchr(" \t\n\\", *s))
                        fprintf(f, "\\%03o", (unsigned char) *s);
                else
                        fputc(*s, f);
}

static const char *fstype(const char *target)
{
        return streq(target, "/boot/efi") ? "vfat" : "ext4";
}

static void put_mounts(FILE *f, bool root)
{
        struct sim_mount *m = NULL;
        size_t n = block_mounts(&m);

        for (size_t i = 0; i < n; i++) {
                if (streq(m[i].target, "/") != root || streq(m[i].target, "[SWAP]"))
                        continue;
                fprintf(f, "%s ", m[i].source);
                put_escaped(f, m[i].target);
                fprintf(f, " %s rw,relatime 0 0\n", fstype(m[i].target));
        }
        free(m);
}

char *proc_mounts(void)
{
        struct buf b;
        FILE *f = buf_open(&b);

        fputs("sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
              "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
              "udev /dev devtmpfs rw,nosuid,relatime,size=8131488k,nr_inodes=2032872,mode=755,inode64 0 0\n"
              "devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000 0 0\n"
              "tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=1631388k,mode=755,inode64 0 0\n", f);
        put_mounts(f, true);
        fputs("securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0\n"
              "tmpfs /dev/shm tmpfs rw,nosuid,nodev,inode64 0 0\n"
              "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0\n", f);
        put_mounts(f, false);
        fputs("tmpfs /tmp tmpfs rw,nosuid,nodev,size=4194304k,inode64 0 0\n"
              "binfmt_misc /proc/sys/fs/binfmt_misc binfmt_misc rw,nosuid,nodev,noexec,relatime 0 0\n", f);
        return buf_close(&b);
}

/*
 * proc/self/mountinfo (show_mountinfo()): "ID PARENT MAJ:MIN ROOT TARGET
 * OPTIONS OPTIONAL... - FSTYPE SOURCE SUPER_OPTIONS". MAJ:MIN is the
 * device's, whatever the source is called ("/dev/root", "/dev/mapper/..."):
 * the one field that names the block device for sure.
 */
char *proc_mountinfo(void)
{
        static const char *const pseudo[][3] = {
                { "/sys", "sysfs", "sysfs" }, { "/proc", "proc", "proc" },
                { "/dev", "devtmpfs", "udev" }, { "/run", "tmpfs", "tmpfs" },
        };
        struct sim_mount *m = NULL;
        size_t n = block_mounts(&m);
        struct buf b;
        FILE *f = buf_open(&b);
        unsigned id = 21, root_id = 1;

        for (size_t i = 0; i < n; i++)
                if (streq(m[i].target, "/")) {
                        fprintf(f, "%u 1 %u:%u / / rw,relatime shared:1 - %s %s rw\n", root_id = id++,
                                m[i].major, m[i].minor, fstype("/"), m[i].source);
                        break;
                }
        for (size_t i = 0; i < ELEMENTSOF(pseudo); i++)
                fprintf(f, "%u %u 0:%zu / %s rw,nosuid,nodev,noexec,relatime shared:%zu - %s %s rw\n",
                        id++, root_id, 20 + i, pseudo[i][0], i + 2, pseudo[i][1], pseudo[i][2]);
        for (size_t i = 0; i < n; i++) {
                if (streq(m[i].target, "/") || streq(m[i].target, "[SWAP]"))
                        continue;
                fprintf(f, "%u %u %u:%u / ", id++, root_id, m[i].major, m[i].minor);
                put_escaped(f, m[i].target);
                fprintf(f, " rw,relatime shared:%u - %s %s rw\n", id, fstype(m[i].target),
                        m[i].source);
        }
        free(m);
        return buf_close(&b);
}

/* Each interface k gets 192.168.(10+k).0/24 with .1 as its gateway. */
#define NET_BASE 10

/* /proc/net/route prints the network-order u32 as a host (LE) integer. */
static unsigned ipv4_hex(unsigned a, unsigned b, unsigned c, unsigned d)
{
        return d << 24 | c << 16 | b << 8 | a;
}

/* fib_route_seq_show(): every line padded to 127 columns. */
static void route_line(FILE *f, const char *line)
{
        fprintf(f, "%-127s\n", line);
}

static void route_entry(FILE *f, const char *ifname, unsigned dst, unsigned gw, unsigned flags,
                        unsigned mask)
{
        char line[256];

        snprintf(line, sizeof(line), "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u",
                 ifname, dst, gw, flags, 0, 0u, 100, mask, 0, 0u, 0u);
        route_line(f, line);
}

typedef void (*net_fn)(FILE *f, const struct sim_net *n, unsigned k);

static void each_net(FILE *f, net_fn fn)
{
        unsigned k = 0;

        for (size_t i = 0; i < sim.n_devices; i++) {
                const struct sim_device *d = sim.devices[i];

                for (size_t j = 0; j < d->n_net; j++, k++)
                        if (device_children_visible(d))
                                fn(f, &d->net[j], k);
        }
}

static void route4_default(FILE *f, const struct sim_net *n, unsigned k)
{
        if (n->default_route)
                route_entry(f, n->name, 0, ipv4_hex(192, 168, NET_BASE + k, 1), 0x0003, 0);
}

static void route4_link(FILE *f, const struct sim_net *n, unsigned k)
{
        if (streq(n->operstate, "up"))
                route_entry(f, n->name, ipv4_hex(192, 168, NET_BASE + k, 0), 0, 0x0001,
                            ipv4_hex(255, 255, 255, 0));
}

char *proc_net_route(void)
{
        struct buf b;
        FILE *f = buf_open(&b);

        route_line(f, "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT");
        each_net(f, route4_default);
        each_net(f, route4_link);
        return buf_close(&b);
}

#define ZERO6 "00000000000000000000000000000000"

/* ipv6_route_native_seq_show(): dst plen src plen gw metric ref use flags dev */
static void route6_entry(FILE *f, const char *dst, unsigned plen, const char *gw, unsigned metric,
                         unsigned flags, const char *dev)
{
        fprintf(f, "%s %02x %s %02x %s %08x %08x %08x %08x %8s\n",
                dst, plen, ZERO6, 0u, gw, metric, 1u, 0u, flags, dev);
}

static void route6_default(FILE *f, const struct sim_net *n, unsigned k)
{
        if (n->default_route)
                route6_entry(f, ZERO6, 0, "fe800000000000000000000000000001", 1024, 0x0003, n->name);
}

static void route6_link(FILE *f, const struct sim_net *n, unsigned k)
{
        if (streq(n->operstate, "up"))
                route6_entry(f, "fe800000000000000000000000000000", 64, ZERO6, 256, 0x0001, n->name);
}

char *proc_net_ipv6_route(void)
{
        struct buf b;
        FILE *f = buf_open(&b);

        each_net(f, route6_default);
        route6_entry(f, "00000000000000000000000000000001", 128, ZERO6, 0, 0x80200001, "lo");
        each_net(f, route6_link);
        return buf_close(&b);
}

/* The release the sim's "kernel" reports; lib/modules/RELEASE holds its aliases. */
const char *const proc_osrelease = "6.1.0-pcisim";

/* A module's name as modules.alias has it: '-' becomes '_'. */
static void put_module(FILE *f, const char *driver)
{
        for (; *driver; driver++)
                fputc(*driver == '-' ? '_' : *driver, f);
}

/*
 * lib/modules/RELEASE/modules.alias as depmod writes it: a "pci:" alias
 * per id of a host driver, and the "vfio_pci:" aliases that mark a vfio
 * variant driver (what libvirt reads to recognize one). vfio-pci itself
 * has none: it binds through driver_override only.
 */
char *modules_alias(void)
{
        struct buf b;
        FILE *f = buf_open(&b);

        fputs("# Aliases extracted from modules themselves.\n", f);
        for (size_t i = 0; i < sim.n_drivers; i++) {
                const struct sim_driver *d = sim.drivers[i];
                const char *kind = d->vfio ? "vfio_pci" : "pci";

                if (streq(d->name, "vfio-pci"))
                        continue;
                if (d->n_ids == 0 && d->vfio) {
                        fprintf(f, "alias vfio_pci:v*d*sv*sd*bc*sc*i* ");
                        put_module(f, d->name);
                        fputc('\n', f);
                }
                for (size_t k = 0; k < d->n_ids; k++) {
                        fprintf(f, "alias %s:v%08Xd%08Xsv*sd*bc*sc*i* ", kind, d->ids[k].vendor,
                                d->ids[k].device);
                        put_module(f, d->name);
                        fputc('\n', f);
                }
        }
        return buf_close(&b);
}

/* proc/swaps: every "[SWAP]" of a partition or a stacked device is active swap. */
char *proc_swaps(void)
{
        struct sim_mount *m = NULL;
        size_t n = block_mounts(&m);
        struct buf b;
        FILE *f = buf_open(&b);

        fputs("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n", f);
        for (size_t i = 0; i < n; i++)
                if (streq(m[i].target, "[SWAP]"))
                        fprintf(f, "%s\t\t\t\tpartition\t8388604\t\t0\t\t-2\n", m[i].source);
        free(m);
        return buf_close(&b);
}
