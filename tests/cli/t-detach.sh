#!/bin/bash
# detach / reattach / status on the workstation: the three cases of the
# group rule with their exact write logs, reattach to the original
# drivers, safety refusals, driver names, dry run.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount workstation
is "pristine drivers" "$(ws_drivers)" "$WS_PRISTINE"

# --- Case 1: GPU + its audio function, alone in group 1 with the root port.
run V detach 01:00.0
is "GPU alone: refused (exit 1)" "$RC" 1
like "GPU alone: names the audio function, its driver and what it is" "$ERR" \
        "^  0000:01:00.1 \(audio, snd_hda_intel\): NVIDIA Corporation GP104 High Definition Audio Controller$"
like "GPU alone: offers --group" "$ERR" "--group"
like "GPU alone: offers the pci-stub hold" "$ERR" "--driver kvm"
like "GPU alone: offers another slot" "$ERR" "another slot|move the card"
is "GPU alone: nothing written" "$(log_get)" ""

log_reset
run V detach --group 01:00.0
is "GPU --group: exit 0" "$RC" 0
is "GPU --group: exact writes" "$(log_get)" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override vfio-pci ok
sys/bus/pci/drivers/nouveau/unbind 0000:01:00.0 ok
sys/bus/pci/drivers_probe 0000:01:00.0 ok
sys/devices/pci0000:00/0000:01:00.1/driver_override vfio-pci ok
sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1 ok
sys/bus/pci/drivers_probe 0000:01:00.1 ok"
is "GPU --group: both on vfio-pci, root port untouched" \
        "$(drv 0000:01:00.0) $(drv 0000:01:00.1) $(drv 0000:00:01.0)" "vfio-pci vfio-pci pcieport"
check "GPU --group: /dev/vfio/1 exists" test -e "$SIM/dev/vfio/1"

run V detach --group 01:00.0
is "detach again: exit 0" "$RC" 0
like "detach again: already detached" "$OUT" "0000:01:00.0 already detached"

log_reset
run V reattach --group 01:00.1
is "reattach GPU group: exit 0" "$RC" 0
is "reattach GPU group: exact writes (all off vfio-pci, then each bound by name)" "$(log_get)" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.0 ok
sys/devices/pci0000:00/0000:01:00.1/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.1 ok
sys/bus/pci/drivers/nouveau/bind 0000:01:00.0 ok
sys/bus/pci/drivers/snd_hda_intel/bind 0000:01:00.1 ok"
is "reattach GPU group: original drivers, no override" "$(ws_drivers)" "$WS_PRISTINE"

# --- Case 2: the NIC in the chipset group.
log_reset
run V detach 05:00.0
is "NIC alone: refused (exit 1)" "$RC" 1
like "NIC alone: names the SMBus function" "$ERR" "^  0000:00:1f.3 \(SMBus, i801_smbus\): Intel Corporation Cannon Lake PCH SMBus Controller$"
like "NIC alone: names the SPI function" "$ERR" "^  0000:00:1f.4 \(serial bus, intel-spi\): Intel"
is "NIC alone: does not list viable members (pcieport, unbound)" \
        "$(printf '%s\n' "$ERR" | grep -cE '0000:00:1c.0|0000:04:00.0|0000:00:1f.0')" 0
is "NIC alone: nothing written" "$(log_get)" ""

run V --dry-run detach --group 05:00.0
is "NIC --group --dry-run: exit 0" "$RC" 0
is "NIC --group --dry-run: prints the writes in order" \
        "$(printf '%s\n' "$OUT" | grep '^echo')" \
"echo 'vfio-pci' > /sys/bus/pci/devices/0000:00:1f.3/driver_override
echo '0000:00:1f.3' > /sys/bus/pci/drivers/i801_smbus/unbind
echo '0000:00:1f.3' > /sys/bus/pci/drivers_probe
echo 'vfio-pci' > /sys/bus/pci/devices/0000:00:1f.4/driver_override
echo '0000:00:1f.4' > /sys/bus/pci/drivers/intel-spi/unbind
echo '0000:00:1f.4' > /sys/bus/pci/drivers_probe
echo 'vfio-pci' > /sys/bus/pci/devices/0000:05:00.0/driver_override
echo '0000:05:00.0' > /sys/bus/pci/drivers/e1000e/unbind
echo '0000:05:00.0' > /sys/bus/pci/drivers_probe"
is "NIC --group --dry-run: nothing written" "$(log_get)" ""
is "NIC --group --dry-run: nothing recorded" "$(state_rows)" "0 0"

run V detach --group 05:00.0
is "NIC --group: exit 0" "$RC" 0
is "NIC --group: exact writes, 3 per device" "$(log_get)" \
"sys/devices/pci0000:00/0000:00:1f.3/driver_override vfio-pci ok
sys/bus/pci/drivers/i801_smbus/unbind 0000:00:1f.3 ok
sys/bus/pci/drivers_probe 0000:00:1f.3 ok
sys/devices/pci0000:00/0000:00:1f.4/driver_override vfio-pci ok
sys/bus/pci/drivers/intel-spi/unbind 0000:00:1f.4 ok
sys/bus/pci/drivers_probe 0000:00:1f.4 ok
sys/devices/pci0000:00/0000:05:00.0/driver_override vfio-pci ok
sys/bus/pci/drivers/e1000e/unbind 0000:05:00.0 ok
sys/bus/pci/drivers_probe 0000:05:00.0 ok"
is "NIC --group: bridges and the LPC function untouched" \
        "$(drv 0000:00:1c.0) $(drv 0000:04:00.0) $(drv 0000:00:1f.0)" "pcieport - -"

run V status
like "status: NIC with its original driver" "$OUT" "0000:05:00.0 +8 +detached +vfio-pci +e1000e"
like "status: by what command" "$OUT" "detach --group 05:00.0"
run V status --json
like "status --json: original_driver" "$OUT" '"original_driver": "i801_smbus"'
like "status --json: detached_by" "$OUT" '"detached_by": ".*detach --group 05:00.0"'

log_reset
run V reattach 0000:05:00.0 --group
is "reattach chipset group: exit 0" "$RC" 0
is "reattach chipset group: original drivers back, no override" "$(ws_drivers)" "$WS_PRISTINE"
is "reattach chipset group: 3 writes per device" "$(log_get | wc -l)" 9
is "reattach chipset group: state empty" "$(state_rows)" "0 0"

# --- Case 3: the NVMe alone in its group, carrying /.
log_reset
run V detach 02:00.0
is "NVMe: refused without --force (exit 1)" "$RC" 1
like "NVMe: says / is mounted from it" "$ERR" "nvme0n1 is mounted on /$"
like "NVMe: mentions --force" "$ERR" "--force"
is "NVMe: nothing written" "$(log_get)" ""
run V detach --force 02:00.0
is "NVMe --force: exit 0" "$RC" 0
is "NVMe --force: exact writes" "$(log_get)" \
"sys/devices/pci0000:00/0000:02:00.0/driver_override vfio-pci ok
sys/bus/pci/drivers/nvme/unbind 0000:02:00.0 ok
sys/bus/pci/drivers_probe 0000:02:00.0 ok"
log_reset
run V reattach 02:00.0
is "NVMe reattach: exit 0" "$RC" 0
is "NVMe reattach: exact writes" "$(log_get)" \
"sys/devices/pci0000:00/0000:02:00.0/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:02:00.0 ok
sys/bus/pci/drivers/nvme/bind 0000:02:00.0 ok"
is "NVMe reattach: nvme again" "$(drv 0000:02:00.0)/$(ovr 0000:02:00.0)" "nvme/(null)"

# --- Safety: the NIC that holds the default route.
run V detach 00:1f.6
is "default-route NIC: refused" "$RC" 1
like "default-route NIC: says why" "$ERR" "eno1 holds the default route"
run V --dry-run detach --force 00:1f.6
is "default-route NIC --force --dry-run: allowed" "$RC" 0

# --- Safety: the boot VGA with the console bound to it.
VTCON=$SIM/sys/class/vtconsole/vtcon1
is "frame buffer console bound to the boot GPU" "$(cat "$VTCON/name")/$(cat "$VTCON/bind")" \
        "(M) frame buffer device/1"
log_reset
run V detach 00:02.0
is "boot VGA: refused (exit 1)" "$RC" 1
like "boot VGA: says the console is on it" "$ERR" "boot VGA device and the console is bound to it"
is "boot VGA: nothing written" "$(log_get)" ""
run V detach --force 00:02.0
is "boot VGA --force: exit 0" "$RC" 0
is "boot VGA --force: on vfio-pci" "$(drv 0000:00:02.0)" vfio-pci
is "boot VGA --force: the console let go" "$(cat "$VTCON/bind")" 0
run V reattach 00:02.0
is "boot VGA reattach: i915 and the console again" "$(drv 0000:00:02.0)/$(cat "$VTCON/bind")" "i915/1"

# --- Bridges, unknown devices and drivers.
run V detach 00:1c.0
is "bridge: refused" "$RC" 1
like "bridge: says why" "$ERR" "is a bridge"
run V detach 09:00.0
is "no such device: exit 2" "$RC" 2
run V detach nonsense
is "bad address: exit 2" "$RC" 2
run V detach --driver foo 01:00.0
is "unknown driver: exit 2" "$RC" 2
like "unknown driver: lists what is available" "$ERR" "pci-stub, vfio-pci"
run V detach --driver xen 01:00.0
is "xen-pciback not loaded: exit 1" "$RC" 1
like "xen-pciback not loaded: says so" "$ERR" "xen-pciback is not loaded"

# --- Legacy pci-stub hold: no group rule, and reattach gives it back.
log_reset
run V detach --driver kvm 05:00.0
is "kvm hold of the NIC alone: exit 0" "$RC" 0
is "kvm hold: on pci-stub" "$(drv 0000:05:00.0)/$(ovr 0000:05:00.0)" "pci-stub/pci-stub"
run V reattach 05:00.0
is "kvm hold reattach: exit 0" "$RC" 0
is "kvm hold reattach: e1000e again" "$(drv 0000:05:00.0)/$(ovr 0000:05:00.0)" "e1000e/(null)"

# --- Devices found on a stub are left alone: the admin's vfio-pci member
# stays while the others go back to host drivers beside it (the kernel only
# refuses that while a VFIO user has the group open).
echo vfio-pci >"$SIM/sys/bus/pci/devices/0000:00:1f.4/driver_override"
echo 0000:00:1f.4 >"$SIM/sys/bus/pci/drivers/intel-spi/unbind"
echo 0000:00:1f.4 >"$SIM/sys/bus/pci/drivers_probe"
is "admin put 1f.4 on vfio-pci" "$(drv 0000:00:1f.4)" vfio-pci
log_reset
run V detach --group 05:00.0
is "group with a member found on vfio-pci: exit 0" "$RC" 0
like "found member reported" "$OUT" "0000:00:1f.4 found detached"
is "found member: no write to it" "$(log_get | grep -c 1f.4)" 0
run V --json status
like "found member recorded as found" "$OUT" '"found_detached": true'
log_reset
run V reattach --group 05:00.0
is "reattach leaves the found member alone: exit 0" "$RC" 0
is "found member still on vfio-pci" "$(drv 0000:00:1f.4)/$(ovr 0000:00:1f.4)" "vfio-pci/vfio-pci"
is "others back" "$(drv 0000:05:00.0) $(drv 0000:00:1f.3)" "e1000e i801_smbus"
is "no write touched the found member" "$(log_get | grep -c 1f.4)" 0
run V reattach 00:1f.4
is "reattach of a device vfioctl did not detach: exit 0" "$RC" 0
like "... and says it is left alone" "$OUT" "not detached by vfioctl; left alone"
is "... still on vfio-pci" "$(drv 0000:00:1f.4)" vfio-pci

# --- A device that was unbound before detach ends unbound.
echo 0000:00:1f.3 >"$SIM/sys/bus/pci/drivers/i801_smbus/unbind"
run V detach --group 00:1f.3
is "detach with an unbound member: exit 0" "$RC" 0
like "unbound member detached from no driver" "$OUT" "0000:00:1f.3 detached: no driver -> vfio-pci"
run V reattach --group 05:00.0
is "reattach: exit 0" "$RC" 0
is "the unbound member ends unbound, no override" "$(drv 0000:00:1f.3)/$(ovr 0000:00:1f.3)" "-/(null)"

done_testing
