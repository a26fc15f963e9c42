#!/bin/bash
# SR-IOV (reference §1, §4): sriov_numvfs errors, VF creation and removal,
# virtfn/physfn links, VF groups, sriov_drivers_autoprobe, and a PF driver's
# unbind disabling SR-IOV.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/simlib.sh"

sim_mount sriov-server
B=$SIM/sys/bus/pci
PF=0000:41:00.0
P=$B/devices/$PF
NUM=sys/devices/pci0000:00/$PF/sriov_numvfs

is "totalvfs" "$(cat "$P/sriov_totalvfs")" 8
is "numvfs" "$(cat "$P/sriov_numvfs")" 0
is "offset and stride" "$(cat "$P/sriov_offset") $(cat "$P/sriov_stride")" "16 1"
is "VF device id" "$(cat "$P/sriov_vf_device")" 154c
is "autoprobe defaults to 1" "$(cat "$P/sriov_drivers_autoprobe")" 1
check "no SR-IOV files on a non-PF" test ! -e "$B/devices/0000:04:00.0/sriov_numvfs"

w "$P/sriov_numvfs" abc
is "not a number: EINVAL" "$(last_log)" "$NUM abc EINVAL"
w "$P/sriov_numvfs" 9
is "more than totalvfs: ERANGE" "$(last_log)" "$NUM 9 ERANGE"
w "$P/sriov_numvfs" 0
is "same value: ok" "$(last_log)" "$NUM 0 ok"

w "$B/drivers/i40e/unbind" $PF
w "$P/sriov_numvfs" 2
is "no PF driver: ENOENT" "$(last_log)" "$NUM 2 ENOENT"
w "$B/drivers/i40e/bind" $PF

w "$P/sriov_numvfs" 4
is "create 4 VFs" "$(last_log)" "$NUM 4 ok"
is "numvfs reads back" "$(cat "$P/sriov_numvfs")" 4
is "VFs at PF + offset + i*stride" "$(ls -d "$B"/devices/0000:41:02.* | xargs -n1 basename | tr '\n' ' ')" \
        "0000:41:02.0 0000:41:02.1 0000:41:02.2 0000:41:02.3 "
is "virtfn links" "$(readlink "$P/virtfn0") $(readlink "$P/virtfn3")" "../0000:41:02.0 ../0000:41:02.3"
is "physfn link" "$(readlink "$B/devices/0000:41:02.1/physfn")" ../$PF
is "VF ids" "$(cat "$B/devices/0000:41:02.1/vendor") $(cat "$B/devices/0000:41:02.1/device")" "0x8086 0x154c"
is "a VF's config space reads 0xffff for vendor and device (rule 10)" \
        "$(od -An -tx1 -N4 "$B/devices/0000:41:02.1/config" | tr -d ' ')" ffffffff
is "its class in config space is the PF's" "$(od -An -tx1 -j9 -N3 "$B/devices/0000:41:02.1/config" | tr -d ' ')" 000002
is "the PF's config space has its ids" "$(od -An -tx1 -N4 "$P/config" | tr -d ' ')" 86807215
is "VFs autoprobed to the VF driver" "$(drv 0000:41:02.0) $(drv 0000:41:02.3)" "iavf iavf"
is "each VF in a new group, lowest free first" \
        "$(for i in 0 1 2 3; do basename "$(readlink "$B/devices/0000:41:02.$i/iommu_group")"; done | tr '\n' ' ')" \
        "8 9 10 11 "
is "the groups list them" "$(ls "$SIM/sys/kernel/iommu_groups/10/devices")" 0000:41:02.2

w "$P/sriov_numvfs" 2
is "change while enabled: EBUSY" "$(last_log)" "$NUM 2 EBUSY"
w "$P/sriov_numvfs" 4
is "same count: ok" "$(last_log)" "$NUM 4 ok"

# Unbinding the PF driver disables SR-IOV: every VF vanishes, also one on
# vfio-pci (vfio never sets the "assigned" flag the drivers check).
w "$B/devices/0000:41:02.3/driver_override" vfio-pci
w "$B/drivers/iavf/unbind" 0000:41:02.3
w "$B/drivers_probe" 0000:41:02.3
is "a VF on vfio-pci" "$(drv 0000:41:02.3)" vfio-pci
w "$B/drivers/i40e/unbind" $PF
is "unbinding the PF driver disables SR-IOV (rule 10)" "$(cat "$P/sriov_numvfs")" 0
check "VFs gone, the one on vfio-pci too" test ! -e "$B/devices/0000:41:02.3"
check "virtfn links gone" test ! -e "$P/virtfn0"
w "$B/drivers/i40e/bind" $PF
w "$P/sriov_numvfs" 4

w "$P/sriov_numvfs" 0
is "disable VFs" "$(last_log)" "$NUM 0 ok"
check "VFs gone" test ! -e "$B/devices/0000:41:02.0"
check "virtfn links gone" test ! -e "$P/virtfn0"
check "their groups gone" test ! -e "$SIM/sys/kernel/iommu_groups/8"

# The vfio recipe: autoprobe off, create, override per VF, drivers_probe.
w "$P/sriov_drivers_autoprobe" 0
is "autoprobe off" "$(cat "$P/sriov_drivers_autoprobe")" 0
w "$P/sriov_numvfs" 2
is "VFs are not probed" "$(drv 0000:41:02.0) $(drv 0000:41:02.1)" "- -"
w "$B/drivers_probe" 0000:41:02.1
is "drivers_probe without override cannot probe a VF" "$(drv 0000:41:02.1)" -
w "$B/drivers/iavf/bind" 0000:41:02.1
is "nor can bind: ENODEV" "$(last_log)" "sys/bus/pci/drivers/iavf/bind 0000:41:02.1 ENODEV"
w "$B/devices/0000:41:02.0/driver_override" vfio-pci
w "$B/drivers_probe" 0000:41:02.0
is "with an override it binds" "$(drv 0000:41:02.0)" vfio-pci
check "/dev/vfio for the VF's group" test -e "$SIM/dev/vfio/8"
w "$P/sriov_numvfs" 0
check "disabling removes VFs bound to vfio too" test ! -e "$SIM/dev/vfio/8"
w "$P/sriov_drivers_autoprobe" 1

# The I350: VFs of .0 and .1 interleave (offset 128, stride 4).
w "$B/devices/0000:03:00.0/sriov_numvfs" 2
w "$B/devices/0000:03:00.1/sriov_numvfs" 2
is "interleaved VFs" "$(ls "$B/devices" | grep '^0000:03:1' | tr '\n' ' ')" \
        "0000:03:10.0 0000:03:10.1 0000:03:10.4 0000:03:10.5 "
is "their driver" "$(drv 0000:03:10.5)" igbvf

# Removing a PF removes its VFs; rescan brings the PF back without them.
w "$P/sriov_numvfs" 3
w "$P/remove" 1
check "PF gone" test ! -e "$P"
check "VFs gone with it" test ! -e "$B/devices/0000:41:02.0"
w "$B/rescan" 1
is "PF back, driver autoprobed" "$(drv $PF)" i40e
is "without VFs" "$(cat "$P/sriov_numvfs")" 0

sim_done
