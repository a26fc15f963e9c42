#!/bin/bash
# Giving back what vfioctl did not take (issue 10, item 8): reattach
# --force on a device another tool put on vfio-pci (vfio-pci.ids=,
# driverctl) clears the override and lets the kernel pick, as driverctl
# unset-override; reattach --all and release --all. And item 9: QEMU's pid
# recorded after QEMU started.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount workstation
D=$SIM/sys/bus/pci/devices/0000:00:14.0
# What driverctl set-override does: override, unbind, probe.
echo vfio-pci >"$D/driver_override"
echo 0000:00:14.0 >"$SIM/sys/bus/pci/drivers/xhci_hcd/unbind"
echo 0000:00:14.0 >"$SIM/sys/bus/pci/drivers_probe"
is "another tool put the USB controller on vfio-pci" "$(drv 0000:00:14.0)" vfio-pci

log_reset
run V reattach 00:14.0
is "reattach of what vfioctl did not detach: exit 0" "$RC" 0
is "reattach: left alone" "$OUT" "0000:00:14.0 on vfio-pci, but not detached by vfioctl; left alone"
like "reattach: says how to give it back anyway" "$ERR" "'vfioctl reattach --force DEV' gives such a device back"
is "reattach: nothing written" "$(log_get)" ""

run V --dry-run reattach --force 00:14.0
is "reattach --force --dry-run: the writes, in the conditional" "$OUT" "echo '' > /sys/bus/pci/devices/0000:00:14.0/driver_override
echo '0000:00:14.0' > /sys/bus/pci/drivers/vfio-pci/unbind
echo '0000:00:14.0' > /sys/bus/pci/drivers_probe
0000:00:14.0 would give back: vfio-pci -> the kernel's choice"
run V reattach --force 00:14.0
is "reattach --force: exit 0" "$RC" 0
is "reattach --force: the kernel picked xhci_hcd" "$OUT" "0000:00:14.0 given back: vfio-pci -> xhci_hcd"
is "reattach --force: exact writes" "$(log_get)" "sys/devices/pci0000:00/0000:00:14.0/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:00:14.0 ok
sys/bus/pci/drivers_probe 0000:00:14.0 ok"
is "reattach --force: no override left" "$(ovr 0000:00:14.0)" "(null)"
is "reattach --force: nothing recorded" "$(state_rows)" "0 0"

# A member found on a stub by detach --group: kept without --force, given back with it.
echo vfio-pci >"$SIM/sys/bus/pci/devices/0000:00:1f.3/driver_override"
echo 0000:00:1f.3 >"$SIM/sys/bus/pci/drivers/i801_smbus/unbind"
echo 0000:00:1f.3 >"$SIM/sys/bus/pci/drivers_probe"
run V detach --group 05:00.0
is "detach --group with a member found on vfio-pci: exit 0" "$RC" 0
run V reattach --all
is "reattach --all: exit 0" "$RC" 0
like "reattach --all: gives back what vfioctl detached" "$OUT" "^0000:05:00.0 given back: vfio-pci -> e1000e$"
like "reattach --all: the found member stays" "$ERR" "^0000:00:1f.3 was on vfio-pci when vfioctl found it; left alone \(--force gives it back too\)$"
is "reattach --all: found member still on vfio-pci" "$(drv 0000:00:1f.3)" vfio-pci
is "reattach --all: the rest back" "$(drv 0000:05:00.0) $(drv 0000:00:1f.4)" "e1000e intel-spi"
run V detach --group 05:00.0
run V reattach --all --force
is "reattach --all --force: exit 0" "$RC" 0
is "reattach --all --force: the found member goes to the kernel's choice" "$(drv 0000:00:1f.3) $(ovr 0000:00:1f.3)" "i801_smbus (null)"
is "reattach --all --force: state empty" "$(state_rows)" "0 0"
run V reattach --all
is "reattach --all with nothing: exit 0" "$RC" 0
like "reattach --all with nothing: says so" "$ERR" "nothing vfioctl detached is left to give back"
run V reattach --all 00:14.0
is "reattach --all DEV: exit 2" "$RC" 2

# release --all
run V assign g1 00:14.0
is "assign g1: exit 0" "$RC" 0
run V assign g2 02:00.0 --force
is "assign g2: exit 0" "$RC" 0
# Item 9: the pid after QEMU started, on a guest that owns its devices.
run V assign g1 --pid $$
is "assign GUEST --pid on an owning guest: exit 0" "$RC" 0
like "status: the pid is recorded" "$(V status)" "^g1 +$$ "
run V --dry-run release --all
is "release --all --dry-run: exit 0" "$RC" 0
is "release --all --dry-run: nothing changed" "$(drv 0000:00:14.0)" vfio-pci
run V release --all
is "release --all: exit 0" "$RC" 0
like "release --all: both guests" "$ERR" "guest 'g1' released"
like "release --all: both guests" "$ERR" "guest 'g2' released"
is "release --all: devices back" "$(drv 0000:00:14.0) $(drv 0000:02:00.0)" "xhci_hcd nvme"
run V release --all
is "release --all with no guests: exit 0" "$RC" 0
run V release --all g1
is "release --all GUEST: exit 2" "$RC" 2

done_testing
