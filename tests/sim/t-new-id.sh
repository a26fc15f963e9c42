#!/bin/bash
# new_id and remove_id (reference §1): dynamic ids match like static ones
# and probe every unbound matching device at once.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/simlib.sh"

sim_mount bcm5719
B=$SIM/sys/bus/pci
DRV=$B/drivers

w "$DRV/pci-stub/new_id" "14e4"
is "one field: EINVAL" "$(last_log)" "sys/bus/pci/drivers/pci-stub/new_id 14e4 EINVAL"
w "$DRV/tg3/new_id" "14e4 1657"
is "an id the driver already matches: EEXIST" "$(last_log)" "sys/bus/pci/drivers/tg3/new_id 14e4 1657 EEXIST"

w "$DRV/tg3/unbind" 0000:03:00.2
w "$DRV/tg3/unbind" 0000:03:00.3
w "$DRV/pci-stub/new_id" "14e4 1657"
is "new_id succeeds" "$(last_log)" "sys/bus/pci/drivers/pci-stub/new_id 14e4 1657 ok"
is "it probed the unbound devices" "$(drv 0000:03:00.2) $(drv 0000:03:00.3)" "pci-stub pci-stub"
is "and left the bound ones alone" "$(drv 0000:03:00.0)" tg3
w "$DRV/pci-stub/new_id" "14e4 1657"
is "again: EEXIST" "$(last_log)" "sys/bus/pci/drivers/pci-stub/new_id 14e4 1657 EEXIST"

# Dynamic ids are checked before the static table: on drivers_probe the
# first driver in the list that matches wins (tg3 is listed first here).
w "$DRV/tg3/unbind" 0000:03:00.0
w "$B/drivers_probe" 0000:03:00.0
is "drivers_probe takes the first matching driver" "$(drv 0000:03:00.0)" tg3

# vfio-pci via new_id (what vfioctl must never do): works, non-deterministically.
w "$DRV/pci-stub/unbind" 0000:03:00.2
w "$DRV/vfio-pci/new_id" "14e4 1657"
is "vfio-pci new_id is not EEXIST (its table is override-only)" "$(last_log)" \
        "sys/bus/pci/drivers/vfio-pci/new_id 14e4 1657 ok"
is "it bound the unbound function" "$(drv 0000:03:00.2)" vfio-pci
w "$DRV/vfio-pci/new_id" "14e4 1657 ffffffff ffffffff 0 0 1"
is "driver_data not in the table: EINVAL" "$(last_log)" \
        "sys/bus/pci/drivers/vfio-pci/new_id 14e4 1657 ffffffff ffffffff 0 0 1 EINVAL"

w "$DRV/vfio-pci/remove_id" "14e4"
is "remove_id with one field: EINVAL" "$(last_log)" "sys/bus/pci/drivers/vfio-pci/remove_id 14e4 EINVAL"
w "$DRV/vfio-pci/remove_id" "14e4 1657"
is "remove_id succeeds" "$(last_log)" "sys/bus/pci/drivers/vfio-pci/remove_id 14e4 1657 ok"
is "and does not unbind" "$(drv 0000:03:00.2)" vfio-pci
w "$DRV/vfio-pci/remove_id" "14e4 1657"
is "absent id: ENODEV" "$(last_log)" "sys/bus/pci/drivers/vfio-pci/remove_id 14e4 1657 ENODEV"
w "$DRV/tg3/remove_id" "14e4 1657"
is "static ids cannot be removed: ENODEV" "$(last_log)" "sys/bus/pci/drivers/tg3/remove_id 14e4 1657 ENODEV"
w "$DRV/vfio-pci/unbind" 0000:03:00.2
w "$B/drivers_probe" 0000:03:00.2
is "without the dynamic id vfio-pci no longer matches" "$(drv 0000:03:00.2)" tg3

sim_done
