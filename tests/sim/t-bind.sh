#!/bin/bash
# bind, unbind and drivers_probe with the kernel's errors (reference §1).
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/simlib.sh"

sim_mount workstation
B=$SIM/sys/bus/pci
DRV=$B/drivers
NIC=0000:05:00.0

# unbind
w "$DRV/i915/unbind" $NIC
like "unbind from a driver it is not bound to: ENODEV" "$WERR" "No such device"
is "logged" "$(last_log)" "sys/bus/pci/drivers/i915/unbind $NIC ENODEV"
w "$DRV/e1000e/unbind" 0000:09:00.0
is "unbind of an unknown device: ENODEV" "$(last_log)" "sys/bus/pci/drivers/e1000e/unbind 0000:09:00.0 ENODEV"
w "$DRV/e1000e/unbind" 05:00.0
is "short addresses are not device names" "$(last_log)" "sys/bus/pci/drivers/e1000e/unbind 05:00.0 ENODEV"
w "$B/devices/$NIC/driver/unbind" $NIC
is "unbind through the driver link" "$WRC" 0
is "logged under the driver's real path" "$(last_log)" "sys/bus/pci/drivers/e1000e/unbind $NIC ok"
check "driver link gone" test ! -e "$B/devices/$NIC/driver"
check "driver no longer lists it" test ! -e "$DRV/e1000e/$NIC"
check "the interface went with the driver" test ! -e "$B/devices/$NIC/net"
w "$DRV/e1000e/unbind" $NIC
like "second unbind: ENODEV" "$WERR" "No such device"

# bind
w "$DRV/e1000e/bind" 0000:09:00.0
is "bind of an unknown device: ENODEV" "$(last_log)" "sys/bus/pci/drivers/e1000e/bind 0000:09:00.0 ENODEV"
w "$DRV/nvme/bind" $NIC
is "bind to a driver without a matching id: ENODEV" "$(last_log)" "sys/bus/pci/drivers/nvme/bind $NIC ENODEV"
w "$DRV/vfio-pci/bind" $NIC
is "vfio-pci matches only through the override: ENODEV" "$(last_log)" \
        "sys/bus/pci/drivers/vfio-pci/bind $NIC ENODEV"
w "$B/devices/$NIC/driver_override" pci-stub
w "$DRV/e1000e/bind" $NIC
is "an override naming another driver hides the id match: ENODEV" "$(last_log)" \
        "sys/bus/pci/drivers/e1000e/bind $NIC ENODEV"
w "$DRV/pci-stub/bind" $NIC
is "the override driver binds anything" "$(last_log)" "sys/bus/pci/drivers/pci-stub/bind $NIC ok"
is "bound to pci-stub" "$(drv $NIC)" pci-stub
is "driver lists it" "$(readlink "$DRV/pci-stub/$NIC")" ../../../../devices/pci0000:00/$NIC
w "$DRV/pci-stub/bind" $NIC
is "bind while bound: EBUSY" "$(last_log)" "sys/bus/pci/drivers/pci-stub/bind $NIC EBUSY"
w "$DRV/pci-stub/unbind" $NIC
w "$B/devices/$NIC/driver_override" ""
w "$DRV/e1000e/bind" $NIC
is "after clearing, the id match binds" "$(drv $NIC)" e1000e
check "and the interface is back" test -e "$B/devices/$NIC/net/enp5s0/operstate"
w "$DRV/i801_smbus/bind" 0000:00:1f.3
is "bind to its own driver while bound: EBUSY" "$(last_log)" \
        "sys/bus/pci/drivers/i801_smbus/bind 0000:00:1f.3 EBUSY"

# vfio-pci probe refusals
BR=0000:04:00.0
w "$B/devices/$BR/driver_override" vfio-pci
w "$DRV/vfio-pci/bind" $BR
is "vfio-pci refuses a bridge: EINVAL" "$(last_log)" "sys/bus/pci/drivers/vfio-pci/bind $BR EINVAL"
w "$B/drivers_probe" $BR
is "drivers_probe still succeeds" "$(last_log)" "sys/bus/pci/drivers_probe $BR ok"
is "but nothing bound" "$(drv $BR)" -

# drivers_probe
w "$B/drivers_probe" 0000:09:00.0
is "drivers_probe of an unknown device: ENODEV" "$(last_log)" "sys/bus/pci/drivers_probe 0000:09:00.0 ENODEV"
w "$B/drivers_probe" $NIC
is "drivers_probe of a bound device is a no-op" "$(last_log)" "sys/bus/pci/drivers_probe $NIC ok"
is "still e1000e" "$(drv $NIC)" e1000e

# The recommended sequence (Williamson): override, unbind, drivers_probe.
w "$B/devices/$NIC/driver_override" vfio-pci
w "$B/devices/$NIC/driver/unbind" $NIC
w "$B/drivers_probe" $NIC
is "override + unbind + drivers_probe binds vfio-pci" "$(drv $NIC)" vfio-pci
check "vfio-dev appears" test -e "$B/devices/$NIC/vfio-dev/vfio0/dev"
check "/dev/vfio/8 appears" test -e "$SIM/dev/vfio/8"
check "/dev/vfio/devices/vfio0 appears" test -e "$SIM/dev/vfio/devices/vfio0"
# ... and back.
w "$B/devices/$NIC/driver_override" ""
w "$B/devices/$NIC/driver/unbind" $NIC
check "/dev/vfio/8 disappears with the last vfio member" test ! -e "$SIM/dev/vfio/8"
check "vfio-dev disappears" test ! -e "$B/devices/$NIC/vfio-dev"
w "$B/drivers_probe" $NIC
is "drivers_probe brings the native driver back" "$(drv $NIC)" e1000e

# An override naming a driver that does not exist: nothing binds, success.
X=0000:00:1f.4
w "$B/devices/$X/driver_override" no-such-driver
w "$DRV/intel-spi/unbind" $X
w "$B/drivers_probe" $X
is "drivers_probe with an unloaded override driver succeeds" "$(last_log)" "sys/bus/pci/drivers_probe $X ok"
is "and binds nothing" "$(drv $X)" -
w "$B/devices/$X/driver_override" ""
w "$B/drivers_probe" $X
is "cleared: native driver again" "$(drv $X)" intel-spi

# drivers_probe on a device nothing matches.
w "$B/drivers_probe" 0000:00:1f.0
is "drivers_probe with no matching driver: ok" "$(last_log)" "sys/bus/pci/drivers_probe 0000:00:1f.0 ok"
is "nothing bound" "$(drv 0000:00:1f.0)" -

# reset, enable
w "$B/devices/$NIC/reset" 1
is "reset 1" "$(last_log)" "sys/devices/pci0000:00/$NIC/reset 1 ok"
w "$B/devices/$NIC/reset" 2
is "reset 2: EINVAL" "$(last_log)" "sys/devices/pci0000:00/$NIC/reset 2 EINVAL"
is "bound device is enabled" "$(cat "$B/devices/$NIC/enable")" 1
is "unbound device is not" "$(cat "$B/devices/0000:00:1f.0/enable")" 0
w "$B/devices/0000:00:1f.0/enable" 0
is "disabling a disabled device: EIO" "$(last_log)" "sys/devices/pci0000:00/0000:00:1f.0/enable 0 EIO"

# bus-wide autoprobe switch
w "$B/drivers_autoprobe" 0
is "drivers_autoprobe off" "$(cat "$B/drivers_autoprobe")" 0
w "$B/drivers_autoprobe" 1
is "drivers_autoprobe on" "$(cat "$B/drivers_autoprobe")" 1

sim_done
