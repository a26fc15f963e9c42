#!/bin/bash
# remove and rescan (reference §1): removal takes the device (and a
# bridge's subtree) away; rescan brings back new devices: override
# cleared, native drivers autoprobed, group ids the lowest free.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/simlib.sh"

sim_mount workstation
B=$SIM/sys/bus/pci
NIC=0000:05:00.0

w "$B/devices/$NIC/remove" abc
is "not a number: EINVAL" "$(last_log)" "sys/devices/pci0000:00/$NIC/remove abc EINVAL"
w "$B/devices/$NIC/remove" 0
is "0 is a no-op" "$(last_log)" "sys/devices/pci0000:00/$NIC/remove 0 ok"
check "still there" test -e "$B/devices/$NIC"

w "$B/devices/$NIC/driver_override" vfio-pci
w "$B/devices/$NIC/driver/unbind" $NIC
w "$B/drivers_probe" $NIC
check "on vfio" test -e "$SIM/dev/vfio/8"
w "$B/devices/$NIC/remove" 1
is "remove" "$(last_log)" "sys/devices/pci0000:00/$NIC/remove 1 ok"
check "device folder gone" test ! -e "$SIM/sys/devices/pci0000:00/$NIC"
check "bus link gone" test ! -e "$B/devices/$NIC"
check "group no longer lists it" test ! -e "$SIM/sys/kernel/iommu_groups/8/devices/$NIC"
check "driver no longer lists it" test ! -e "$B/drivers/vfio-pci/$NIC"
check "/dev/vfio/8 gone with its vfio member" test ! -e "$SIM/dev/vfio/8"
w "$B/drivers_probe" $NIC
is "drivers_probe of a removed device: ENODEV" "$(last_log)" "sys/bus/pci/drivers_probe $NIC ENODEV"

w "$B/rescan" 1
is "rescan" "$(last_log)" "sys/bus/pci/rescan 1 ok"
check "device back" test -e "$B/devices/$NIC"
is "override cleared" "$(cat "$B/devices/$NIC/driver_override")" "(null)"
is "native driver autoprobed" "$(drv $NIC)" e1000e
is "rejoins its group" "$(basename "$(readlink "$B/devices/$NIC/iommu_group")")" 8
w "$B/rescan" 0
is "rescan 0 does nothing" "$(last_log)" "sys/bus/pci/rescan 0 ok"

# A bridge takes its subtree: removing root port 00:1c.0 removes 04:00.0
# and 05:00.0 behind it. The rest of group 8 keeps the group.
w "$B/devices/0000:00:1c.0/remove" 1
check "bridge gone" test ! -e "$B/devices/0000:00:1c.0"
check "PCIe-to-PCI bridge behind it gone" test ! -e "$B/devices/0000:04:00.0"
check "NIC behind that gone" test ! -e "$B/devices/$NIC"
check "chipset functions stay" test -e "$B/devices/0000:00:1f.3"
w "$B/devices/0000:00:1f.0/rescan" 1
is "device rescan: its bus comes back" "$(drv 0000:00:1c.0)" pcieport
is "and what hangs below" "$(drv $NIC)" e1000e
is "the bridge has no driver" "$(drv 0000:04:00.0)" -

# A whole group removed: its number is free and reused lowest-first.
w "$B/devices/0000:02:00.0/remove" 1
check "group 6 gone" test ! -e "$SIM/sys/kernel/iommu_groups/6"
w "$B/rescan" 1
is "the NVMe gets the lowest free group" "$(basename "$(readlink "$B/devices/0000:02:00.0/iommu_group")")" 6

# Autoprobe off: rescanned devices come back unbound.
w "$B/drivers_autoprobe" 0
w "$B/devices/0000:00:14.0/remove" 1
w "$B/rescan" 1
is "with drivers_autoprobe 0 nothing binds" "$(drv 0000:00:14.0)" -
w "$B/drivers_probe" 0000:00:14.0
is "drivers_probe still works" "$(drv 0000:00:14.0)" xhci_hcd

sim_done
