/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small sysfs tree built in a scratch folder, for the unit tests of
 * what reads one (host.c, the planners). The test defines
 *      static char root[] = "/tmp/vfioctl-unit-NAME-XXXXXX";
 * before including this, and mkdtemp()s it in its setup.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void mkpath(const char *rel)
{
        char cmd[512];

        snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
        assert_int_equal(system(cmd), 0);
}

static void put(const char *rel, const void *data, size_t len)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        fclose(f);
}

static void link_(const char *target, const char *rel)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        assert_int_equal(symlink(target, path), 0);
}

/* One device: config header, optional driver, group (-1: none). */
static void add(const char *bdf, uint16_t vendor, uint16_t device, uint32_t class, int header,
                const char *driver, int group)
{
        uint8_t cfg[64] = {};
        char rel[256], target[256];

        snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s", bdf);
        mkpath(rel);
        cfg[0] = vendor & 0xff, cfg[1] = vendor >> 8;
        cfg[2] = device & 0xff, cfg[3] = device >> 8;
        cfg[9] = class & 0xff, cfg[10] = (class >> 8) & 0xff, cfg[11] = class >> 16;
        cfg[0x0e] = (uint8_t) header;
        snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/config", bdf);
        put(rel, cfg, sizeof(cfg));
        snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/driver_override", bdf);
        put(rel, "(null)\n", 7);
        if (driver) {
                snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", driver);
                mkpath(rel);
                snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
                snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/driver", bdf);
                link_(target, rel);
        }
        if (group >= 0) {
                snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices", group);
                mkpath(rel);
                snprintf(target, sizeof(target), "../../../../devices/pci0000:00/%s", bdf);
                snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices/%s", group, bdf);
                link_(target, rel);
                snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%d", group);
                snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/iommu_group", bdf);
                link_(target, rel);
        }
        snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
        snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", bdf);
        link_(target, rel);
}

/* The scratch folder with an empty PCI bus and the two stub drivers loaded. */
static void tree_new(void)
{
        assert_non_null(mkdtemp(root));
        mkpath("sys/bus/pci/devices");
        mkpath("sys/bus/pci/drivers/vfio-pci");
        mkpath("sys/bus/pci/drivers/pci-stub");
}
