#!/bin/bash
# DMA ownership (reference §3): while VFIO owns a group (a user has
# /dev/vfio/N open), a driver that does its own DMA cannot bind into it;
# driver_managed_dma drivers (vfio-pci, pci-stub, pcieport) can. A member
# merely bound to vfio-pci claims nothing. /dev/vfio/N follows vfio.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/simlib.sh"

sim_mount workstation
B=$SIM/sys/bus/pci
DRV=$B/drivers
NIC=0000:05:00.0
SMB=0000:00:1f.3

to_vfio() {
        w "$B/devices/$1/driver_override" vfio-pci
        [ "$(drv "$1")" = - ] || w "$B/devices/$1/driver/unbind" "$1"
        w "$B/drivers_probe" "$1"
}

check "no /dev/vfio/8 yet" test ! -e "$SIM/dev/vfio/8"
w "$DRV/i801_smbus/unbind" $SMB
to_vfio $NIC
is "NIC on vfio-pci" "$(drv $NIC)" vfio-pci
check "/dev/vfio/8 exists" test -e "$SIM/dev/vfio/8"
check "other groups have no node" test ! -e "$SIM/dev/vfio/1"

# Bound to vfio-pci but nobody has the group open: no DMA owner yet.
w "$DRV/i801_smbus/bind" $SMB
is "native bind beside an unopened vfio member: binds" "$(drv $SMB)" i801_smbus
w "$DRV/i801_smbus/unbind" $SMB

exec 7<"$SIM/dev/vfio/8" # a VFIO user claims the group
w "$DRV/i801_smbus/bind" $SMB
like "native bind into an opened vfio group: EBUSY" "$WERR" "Device or resource busy"
is "logged EBUSY" "$(last_log)" "sys/bus/pci/drivers/i801_smbus/bind $SMB EBUSY"
w "$B/drivers_probe" $SMB
is "drivers_probe into a vfio group: EINVAL" "$(last_log)" "sys/bus/pci/drivers_probe $SMB EINVAL"
is "nothing bound" "$(drv $SMB)" -

w "$B/devices/$SMB/driver_override" pci-stub
w "$B/drivers_probe" $SMB
is "pci-stub is driver_managed_dma: binds" "$(drv $SMB)" pci-stub
w "$DRV/pci-stub/unbind" $SMB
w "$DRV/pcieport/unbind" 0000:00:1c.0
w "$DRV/pcieport/bind" 0000:00:1c.0
is "pcieport rebinds into the vfio group" "$(drv 0000:00:1c.0)" pcieport

to_vfio $SMB
is "a second member on vfio" "$(drv $SMB)" vfio-pci
w "$DRV/vfio-pci/unbind" $NIC
check "/dev/vfio/8 stays while one member is on vfio" test -e "$SIM/dev/vfio/8"
w "$B/devices/$NIC/driver_override" ""
w "$B/drivers_probe" $NIC
is "still no native driver while the group is vfio's" "$(drv $NIC)" -
exec 7<&- # the user lets go
w "$DRV/vfio-pci/unbind" $SMB
check "/dev/vfio/8 goes with the last vfio member" test ! -e "$SIM/dev/vfio/8"
w "$B/drivers_probe" $NIC
is "then the native driver binds" "$(drv $NIC)" e1000e

# vfio does not care what the rest of the group runs (viability is
# checked when the group is opened, not at bind).
to_vfio 0000:01:00.1
is "vfio binds beside a native sibling" "$(drv 0000:01:00.1)" vfio-pci
is "the GPU keeps nouveau" "$(drv 0000:01:00.0)" nouveau
check "/dev/vfio/1 exists" test -e "$SIM/dev/vfio/1"
is "vfio-dev index" "$(ls "$B/devices/0000:01:00.1/vfio-dev")" vfio0
is "vfio-dev dev file" "$(cat "$B/devices/0000:01:00.1/vfio-dev/vfio0/dev")" "511:0"

# A vfio variant driver ("vfio_variant": true) counts as vfio everywhere.
cat >"$T/variant.json" <<'JSON'
{"iommu": true,
 "drivers": [{"name": "mlx5_core", "ids": ["15b3:101d"]},
             {"name": "mlx5_vfio_pci", "ids": ["15b3:101e"], "vfio_variant": true},
             {"name": "vfio-pci"}],
 "devices": [
   {"address": "0000:17:00.0", "vendor": "0x15b3", "device": "0x101d", "class": "0x020000",
    "pcie": true, "driver": "mlx5_core", "group": 30,
    "sriov_totalvfs": 4, "sriov_numvfs": 2, "vf_device": "0x101e", "vf_offset": 2, "vf_group": 30}]}
JSON
sim_mount "$T/variant.json"
B=$SIM/sys/bus/pci
is "VFs from sriov_numvfs at start, in the PF's group (vf_group)" "$(ls "$SIM/sys/kernel/iommu_groups/30/devices" | tr '\n' ' ')" \
        "0000:17:00.0 0000:17:00.2 0000:17:00.3 "
is "variant ids are override-only: VFs stay unbound" "$(drv 0000:17:00.2)" -
w "$B/devices/0000:17:00.2/driver_override" mlx5_vfio_pci
w "$B/drivers_probe" 0000:17:00.2
is "variant binds through the override" "$(drv 0000:17:00.2)" mlx5_vfio_pci
check "variant gets vfio-dev" test -d "$B/devices/0000:17:00.2/vfio-dev"
check "variant makes /dev/vfio/30" test -e "$SIM/dev/vfio/30"
# The group opened (claimed), then the PF unbound (which takes its VFs
# away, rule 10): the claim stays while the file is open.
exec 7<"$SIM/dev/vfio/30"
w "$B/drivers/mlx5_core/unbind" 0000:17:00.0
w "$B/drivers/mlx5_core/bind" 0000:17:00.0
is "native PF driver cannot rejoin the opened group: EBUSY" "$(last_log)" "sys/bus/pci/drivers/mlx5_core/bind 0000:17:00.0 EBUSY"
exec 7<&-

sim_done
