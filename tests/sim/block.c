/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The block-device model: the disks of PCI devices (block/ and nvme/ in
 * the topology), their partitions, and the device-mapper and md devices
 * stacked on them (LVM, dm-crypt, software RAID), with dev numbers as the
 * kernel gives them, so that holders/, slaves/ and proc/self/mountinfo
 * agree with each other as they do on a real host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* "nvme0n1" + 2 -> "nvme0n1p3", "sda" + 0 -> "sda1" (disk_name()). */
void block_part_name(const struct sim_block *b, size_t part, char *buf, size_t len)
{
        size_t l = strlen(b->name);
        bool digit = l > 0 && b->name[l - 1] >= '0' && b->name[l - 1] <= '9';

        snprintf(buf, len, "%s%s%zu", b->name, digit ? "p" : "", part + 1);
}

void block_disk_dev(const struct sim_device *d, size_t k, unsigned *major, unsigned *minor)
{
        unsigned n = 0;

        for (size_t i = 0; i < sim.n_devices && sim.devices[i] != d; i++)
                n += sim.devices[i]->n_block;
        *major = 259;
        *minor = (n + k) * 16;
}

void vblock_dev(const struct sim_vblock *v, unsigned *major, unsigned *minor)
{
        bool md = strncmp(v->name, "md", 2) == 0;

        *major = md ? 9 : 254;
        *minor = (unsigned) strtoul(v->name + (md ? 2 : 3), NULL, 10);
}

const struct sim_vblock *vblock_find(const char *name)
{
        for (size_t i = 0; i < sim.n_vblocks; i++)
                if (streq(sim.vblocks[i].name, name))
                        return &sim.vblocks[i];
        return NULL;
}

bool block_find(const char *name, unsigned *major, unsigned *minor)
{
        const struct sim_vblock *v = vblock_find(name);

        if (v) {
                vblock_dev(v, major, minor);
                return true;
        }
        for (size_t i = 0; i < sim.n_devices; i++) {
                const struct sim_device *d = sim.devices[i];

                if (!d->present || !device_children_visible(d))
                        continue;
                for (size_t k = 0; k < d->n_block; k++) {
                        const struct sim_block *b = &d->block[k];
                        char part[128];

                        block_disk_dev(d, k, major, minor);
                        if (streq(b->name, name))
                                return true;
                        for (size_t p = 0; p < b->n_mounts; p++) {
                                block_part_name(b, p, part, sizeof(part));
                                if (streq(part, name)) {
                                        *minor += p + 1;
                                        return true;
                                }
                        }
                }
        }
        return false;
}

static void add_mount(struct sim_mount **l, size_t *n, const struct sim_mount *m)
{
        *l = xrealloc(*l, *n + 1, sizeof(**l));
        (*l)[(*n)++] = *m;
}

size_t block_mounts(struct sim_mount **ret)
{
        struct sim_mount *l = NULL;
        size_t n = 0;

        for (size_t i = 0; i < sim.n_devices; i++) {
                const struct sim_device *d = sim.devices[i];

                for (size_t k = 0; k < d->n_block; k++) {
                        const struct sim_block *b = &d->block[k];

                        for (size_t p = 0; p < b->n_mounts; p++) {
                                struct sim_mount m = { .target = b->mounts[p] };

                                if (!b->mounts[p])
                                        continue;
                                block_part_name(b, p, m.name, sizeof(m.name));
                                snprintf(m.source, sizeof(m.source), "/dev/%s", m.name);
                                block_disk_dev(d, k, &m.major, &m.minor);
                                m.minor += p + 1;
                                add_mount(&l, &n, &m);
                        }
                }
        }
        for (size_t i = 0; i < sim.n_vblocks; i++) {
                const struct sim_vblock *v = &sim.vblocks[i];

                for (size_t j = 0; j < v->n_mounts; j++) {
                        struct sim_mount m = { .target = v->mounts[j] };

                        snprintf(m.name, sizeof(m.name), "%s", v->name);
                        /* mount(8) keeps the name it was given; swapon's d_path
                         * resolves /dev/mapper/X to /dev/dm-N. */
                        if (v->dm_name && !streq(v->mounts[j], "[SWAP]"))
                                snprintf(m.source, sizeof(m.source), "/dev/mapper/%s", v->dm_name);
                        else
                                snprintf(m.source, sizeof(m.source), "/dev/%s", v->name);
                        vblock_dev(v, &m.major, &m.minor);
                        add_mount(&l, &n, &m);
                }
        }
        /* Booted without an initramfs from root=MAJ:MIN, the kernel names it so. */
        for (size_t i = 0; i < n && sim.root_source; i++)
                if (streq(l[i].target, "/"))
                        snprintf(l[i].source, sizeof(l[i].source), "%s", sim.root_source);
        *ret = l;
        return n;
}

void vblocks_free(void)
{
        for (size_t i = 0; i < sim.n_vblocks; i++) {
                struct sim_vblock *v = &sim.vblocks[i];

                free(v->name);
                free(v->dm_name);
                for (size_t j = 0; j < v->n_slaves; j++)
                        free(v->slaves[j]);
                free(v->slaves);
                for (size_t j = 0; j < v->n_mounts; j++)
                        free(v->mounts[j]);
                free(v->mounts);
        }
        free(sim.vblocks);
        free(sim.root_source);
        sim.vblocks = NULL;
        sim.n_vblocks = 0;
        sim.root_source = NULL;
}
