#!/usr/bin/env python3
"""Writes a large simulated host as a plain folder tree shaped like sysfs:
PFS physical functions with VFS virtual functions each (16 x 255 = 4,096
VFs plus PFs and plumbing, like a big SR-IOV host), every function in its
own IOMMU group. Plain files rather than the FUSE simulator so that the
benchmark measures vfioctl, not the simulator.

usage: gen-host.py DIR [PFS] [VFS]
"""
import os
import struct
import sys

root = sys.argv[1]
pfs = int(sys.argv[2]) if len(sys.argv) > 2 else 16
vfs = int(sys.argv[3]) if len(sys.argv) > 3 else 255

devdir = os.path.join(root, "sys/devices/pci0000:00")
busdev = os.path.join(root, "sys/bus/pci/devices")
drivers = os.path.join(root, "sys/bus/pci/drivers")
groups = os.path.join(root, "sys/kernel/iommu_groups")
for d in (devdir, busdev, groups, os.path.join(root, "proc/self"), os.path.join(root, "proc/net")):
    os.makedirs(d, exist_ok=True)
for drv in ("i40e", "iavf", "vfio-pci", "pci-stub", "pcieport"):
    os.makedirs(os.path.join(drivers, drv), exist_ok=True)
open(os.path.join(root, "proc/self/mounts"), "w").write("sysfs /sys sysfs rw 0 0\n")
open(os.path.join(root, "proc/net/route"), "w").write(
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n")

next_group = 0


def config(vendor, device, cls, header=0, mf=False):
    c = bytearray(256)
    struct.pack_into("<HH", c, 0, vendor, device)
    c[8] = 1
    c[9], c[10], c[11] = cls & 0xff, (cls >> 8) & 0xff, (cls >> 16) & 0xff
    c[0x0e] = header | (0x80 if mf else 0)
    if header == 0:
        struct.pack_into("<HH", c, 0x2c, vendor, 0x0001)
    return bytes(c)


def add(bus, slot, fn, vendor, device, cls, driver, header=0, mf=False):
    global next_group
    name = "0000:%02x:%02x.%x" % (bus, slot, fn)
    d = os.path.join(devdir, name)
    os.makedirs(d)
    open(os.path.join(d, "config"), "wb").write(config(vendor, device, cls, header, mf))
    for attr, val in (("vendor", "0x%04x" % vendor), ("device", "0x%04x" % device),
                      ("class", "0x%06x" % cls), ("driver_override", "(null)"),
                      ("numa_node", "0")):
        open(os.path.join(d, attr), "w").write(val + "\n")
    if driver:
        os.symlink("../../../bus/pci/drivers/" + driver, os.path.join(d, "driver"))
    g = next_group
    next_group += 1
    os.makedirs(os.path.join(groups, str(g), "devices"))
    os.symlink("../../../kernel/iommu_groups/%d" % g, os.path.join(d, "iommu_group"))
    os.symlink("../../../../devices/pci0000:00/" + name,
               os.path.join(groups, str(g), "devices", name))
    os.symlink("../../../devices/pci0000:00/" + name, os.path.join(busdev, name))
    return name


add(0, 0, 0, 0x8086, 0x3e30, 0x060000, None)
for p in range(pfs):
    bus = 0x10 + p * 2
    add(0, 1 + p // 8, p % 8, 0x8086, 0x1901, 0x060400, "pcieport", header=1, mf=True)
    add(bus, 0, 0, 0x8086, 0x1572, 0x020000, "i40e")
    for v in range(vfs):
        # VFs fill bus+1 (and beyond) 8 functions a slot.
        add(bus + 1 + v // 256, (v // 8) % 32, v % 8, 0x8086, 0x154c, 0x020000, "iavf")
print(next_group)
