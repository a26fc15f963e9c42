#!/bin/bash
# Every topology in tests/hosts mounts, and its tree is consistent: links
# resolve to what lists them back, config space agrees with the files.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/simlib.sh"

# Little-endian u16/u24 from config space at OFFSET.
cfg16() { od -An -tx2 -j "$2" -N2 --endian=little "$1" | tr -d ' '; }
cfg8() { od -An -tx1 -j "$2" -N1 "$1" | tr -d ' '; }

check_tree() {
        local name=$1 bad=0 dev bdf g cls v size pcie root
        for dev in "$SIM"/sys/bus/pci/devices/*; do
                bdf=${dev##*/}
                root=pci${bdf%%:*}:00   # each PCI domain has its root folder
                [ "$(resolve "$dev")" = "sys/devices/$root/$bdf" ] || { echo "# $bdf: bus link"; bad=1; }
                if [ -L "$dev/iommu_group" ]; then
                        g=$(resolve "$dev/iommu_group")
                        [ "$(resolve "$SIM/$g/devices/$bdf")" = "sys/devices/$root/$bdf" ] ||
                                { echo "# $bdf: group $g does not list it"; bad=1; }
                fi
                if [ -L "$dev/driver" ]; then
                        [ "$(resolve "$(resolve "$dev/driver" | sed "s|^|$SIM/|")/$bdf")" = "sys/devices/$root/$bdf" ] ||
                                { echo "# $bdf: driver does not list it"; bad=1; }
                fi
                if [ -L "$dev/physfn" ]; then
                        # Rule 10: a VF's config space reads 0xffff for both.
                        [ "$(cfg16 "$dev/config" 0)$(cfg16 "$dev/config" 2)" = ffffffff ] ||
                                { echo "# $bdf: VF ids in config"; bad=1; }
                else
                        [ "0x$(cfg16 "$dev/config" 0)" = "$(cat "$dev/vendor")" ] || { echo "# $bdf: vendor"; bad=1; }
                        [ "0x$(cfg16 "$dev/config" 2)" = "$(cat "$dev/device")" ] || { echo "# $bdf: device"; bad=1; }
                fi
                cls=$(cat "$dev/class")
                [ "0x$(cfg8 "$dev/config" 11)$(cfg8 "$dev/config" 10)$(cfg8 "$dev/config" 9)" = "$cls" ] ||
                        { echo "# $bdf: class"; bad=1; }
                [ "0x$(cfg8 "$dev/config" 8)" = "$(cat "$dev/revision")" ] || { echo "# $bdf: revision"; bad=1; }
                size=$(wc -c <"$dev/config")
                [ "$size" = 64 ] || [ "$size" = 256 ] || { echo "# $bdf: config is $size bytes"; bad=1; }
                case $cls in
                0x03*) [ -e "$dev/boot_vga" ] || { echo "# $bdf: no boot_vga"; bad=1; } ;;
                *) [ ! -e "$dev/boot_vga" ] || { echo "# $bdf: boot_vga on non-VGA"; bad=1; } ;;
                esac
                [ "$(cat "$dev/driver_override")" != "" ] || { echo "# $bdf: override"; bad=1; }
        done
        for g in "$SIM"/sys/kernel/iommu_groups/*/devices/*; do
                [ -e "$g" ] || continue
                bdf=${g##*/}
                [ "$(resolve "$SIM/sys/bus/pci/devices/$bdf/iommu_group")" = "$(resolve "${g%/devices/*}")" ] ||
                        { echo "# group member $bdf: link back"; bad=1; }
        done
        is "$name: tree is consistent" "$bad" 0
}

for topo in "$HOSTS"/*.json; do
        name=$(basename "$topo" .json)
        sim_mount "$topo"
        check_tree "$name"
        ls "$SIM/.sim" >"$T/ls"
        is "$name: control folder" "$(tr '\n' ' ' <"$T/ls")" "crash_after faults log pid release "
        is "$name: log starts empty" "$(cat "$SIM/.sim/log")" ""
        if [ "$(ls "$SIM/sys/kernel/iommu_groups" | wc -l)" -gt 0 ]; then
                check "$name: /dev/vfio/vfio with an IOMMU" test -e "$SIM/dev/vfio/vfio"
        else
                check "$name: no /dev/vfio/vfio without IOMMU" test ! -e "$SIM/dev/vfio/vfio"
        fi
        run head -1 "$SIM/proc/net/route"
        like "$name: route header" "$OUT" '^Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT +$'
        is "$name: route lines are 127 wide" "$(awk '{ print length($0) }' "$SIM/proc/net/route" | sort -u)" 127
        if command -v lspci >/dev/null; then
                run lspci -A linux-sysfs -O "sysfs.path=$SIM/sys/bus/pci" -D -k
                is "$name: lspci lists every device" "$(grep -cE '^[0-9a-f]{4}:' <<<"$OUT")" \
                        "$(ls "$SIM/sys/bus/pci/devices" | wc -l)"
        fi
done

# Details of the workstation.
sim_mount workstation
D=$SIM/sys/devices/pci0000:00
is "GPU is not the boot VGA" "$(cat "$D/0000:01:00.0/boot_vga")" 0
is "iGPU is the boot VGA" "$(cat "$D/0000:00:02.0/boot_vga")" 1
is "vendor format" "$(cat "$D/0000:05:00.0/vendor")" 0x8086
is "class format" "$(cat "$D/0000:05:00.0/class")" 0x020000
is "subsystem ids" "$(cat "$D/0000:05:00.0/subsystem_vendor") $(cat "$D/0000:05:00.0/subsystem_device")" "0x8086 0xa01f"
is "override unset reads (null)" "$(cat "$D/0000:05:00.0/driver_override")" "(null)"
is "driver link" "$(readlink "$D/0000:05:00.0/driver")" ../../../bus/pci/drivers/e1000e
is "iommu_group link" "$(readlink "$D/0000:05:00.0/iommu_group")" ../../../kernel/iommu_groups/8
is "bus devices link" "$(readlink "$SIM/sys/bus/pci/devices/0000:05:00.0")" ../../../devices/pci0000:00/0000:05:00.0
is "group devices link" "$(readlink "$SIM/sys/kernel/iommu_groups/8/devices/0000:05:00.0")" \
        ../../../../devices/pci0000:00/0000:05:00.0
is "group 8 is the trap" "$(ls "$SIM/sys/kernel/iommu_groups/8/devices" | tr '\n' ' ')" \
        "0000:00:1c.0 0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:04:00.0 0000:05:00.0 "
check "unbound bridge has no driver link" test ! -e "$D/0000:04:00.0/driver"
is "multifunction bit in config" "$(cfg8 "$D/0000:01:00.0/config" 14)" 80
is "bridge header type" "$(cfg8 "$D/0000:00:01.0/config" 14)" 01
is "PCIe config is 256 bytes" "$(wc -c <"$D/0000:01:00.0/config")" 256
is "conventional config is 64 bytes" "$(wc -c <"$D/0000:00:00.0/config")" 64
is "bridge secondary bus" "$(cfg8 "$D/0000:00:1c.0/config" 25)" 04
is "PCIe capability" "$(cfg8 "$D/0000:04:00.0/config" 64) $(cfg8 "$D/0000:04:00.0/config" 66)" "10 72"
is "interface state" "$(cat "$D/0000:05:00.0/net/enp5s0/operstate")" down
is "interface address" "$(cat "$D/0000:05:00.0/net/enp5s0/address")" 00:1b:21:3a:4c:5d
check "NVMe disk under nvme/" test -d "$D/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p2"
check "NVMe has no block/" test ! -e "$D/0000:02:00.0/block"
like "root mount" "$(cat "$SIM/proc/self/mounts")" '^/dev/nvme0n1p1 / ext4 rw,relatime 0 0$'
like "boot mount" "$(cat "$SIM/proc/self/mounts")" '^/dev/nvme0n1p2 /boot ext4 '
like "pseudo filesystems" "$(cat "$SIM/proc/self/mounts")" '^sysfs /sys sysfs '
like "IPv4 default route on eno1" "$(cat "$SIM/proc/net/route")" $'^eno1\t00000000\t[0-9A-F]{8}\t0003\t'
like "IPv6 default route on eno1" "$(cat "$SIM/proc/net/ipv6_route")" \
        '^0{32} 00 0{32} 00 fe80[0-9a-f]{28} 00000400 00000001 00000000 00000003     eno1$'
check "no route for a down interface" bash -c "! grep -q enp5s0 '$SIM/proc/net/route'"
is "drivers folder" "$(ls "$SIM/sys/bus/pci/drivers/e1000e" | tr '\n' ' ')" \
        "0000:00:1f.6 0000:05:00.0 bind new_id remove_id uevent unbind "
check "dev/vfio has no group while nothing is on vfio" test ! -e "$SIM/dev/vfio/8"
is "drivers_autoprobe" "$(cat "$SIM/sys/bus/pci/drivers_autoprobe")" 1
run cat "$SIM/sys/bus/pci/drivers/e1000e/bind"
like "write-only files cannot be read" "$ERR" "Permission denied"
w "$D/0000:05:00.0/vendor" 0x1234
like "read-only files cannot be written" "$WERR" "Permission denied"
w "$D/0000:05:00.0/nonexistent" 1
like "no new files" "$WERR" "Permission denied"

# Without an IOMMU.
sim_mount no-iommu
is "no groups" "$(ls "$SIM/sys/kernel/iommu_groups")" ""
check "iommu_groups folder still exists" test -d "$SIM/sys/kernel/iommu_groups"
check "no iommu_group link" test ! -e "$SIM/sys/bus/pci/devices/0000:03:00.0/iommu_group"
is "no /dev/vfio entries" "$(ls "$SIM/dev/vfio")" ""
like "sda mounted" "$(cat "$SIM/proc/self/mounts")" '^/dev/sda1 / ext4'
check "non-NVMe disk under block/" test -d "$SIM/sys/bus/pci/devices/0000:00:17.0/block/sda/sda1"

# sys/class/net: one link per interface shown, to its net/ folder, whose
# `device` link leads back to the PCI function (a hostdev pool's <pf dev>).
sim_mount workstation
is "class/net lists the interfaces" "$(ls "$SIM/sys/class/net" | tr '\n' ' ')" "eno1 enp5s0 "
is "class/net link" "$(readlink "$SIM/sys/class/net/enp5s0")" \
        "../../devices/pci0000:00/0000:05:00.0/net/enp5s0"
is "net/IF/device leads to the function" "$(resolve "$SIM/sys/class/net/enp5s0/device")" \
        "sys/devices/pci0000:00/0000:05:00.0"
echo 0000:05:00.0 >"$SIM/sys/bus/pci/drivers/e1000e/unbind"
is "unbinding the driver takes the interface away" "$(ls "$SIM/sys/class/net" | tr '\n' ' ')" "eno1 "

# sys/class/vtconsole: the dummy console, and the frame buffer console bound
# while the boot VGA device has its host driver.
V=$SIM/sys/class/vtconsole
is "vtconsole entries" "$(ls "$V" | tr '\n' ' ')" "vtcon0 vtcon1 "
is "vtcon0 is the dummy, never bound" "$(cat "$V/vtcon0/name")/$(cat "$V/vtcon0/bind")" "(S) dummy device/0"
is "vtcon1 is bound while i915 drives the boot VGA" "$(cat "$V/vtcon1/name")/$(cat "$V/vtcon1/bind")" \
        "(M) frame buffer device/1"
echo 0000:00:02.0 >"$SIM/sys/bus/pci/drivers/i915/unbind"
is "unbinding the boot VGA's driver lets the console go" "$(cat "$V/vtcon1/bind")" 0

sim_done
