#!/bin/bash
# `vfioctl boot` (DESIGN §3 rule 13) on a new boot of the same machine: a
# fresh mount of the topology (drivers bound as built-in or initramfs
# drivers would have bound them, or not yet) and an empty /run. Reserved
# devices converge to their stub with the exact writes of a detach; a
# moved card or a device that joined the group is left alone with the
# reason, exit 3.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"
. "$(dirname "$0")/reserve-lib.sh"

sim_mount workstation
V reserve --group 01:00.0 >/dev/null || echo "Bail out! reserve failed"
reservations=$(cat "$CFG/reservations")

# --- The udev rule: `boot DEV` for every PCI device that appears.
new_boot workstation
run V boot 0000:00:02.0
is "udev, device not reserved: exit 0" "$RC" 0
is "udev, device not reserved: silent" "$OUT$ERR" ""
is "udev, device not reserved: nothing written" "$(log_get)" ""
check "udev, device not reserved: no state opened (no /run/vfioctl)" test ! -e "$T/state"

run V boot 0000:01:00.1
is "udev, the audio function's event: exit 0" "$RC" 0
is "udev: the whole reserved group converges, driver_override first (3 writes each)" "$(log_get)" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override vfio-pci ok
sys/bus/pci/drivers/nouveau/unbind 0000:01:00.0 ok
sys/bus/pci/drivers_probe 0000:01:00.0 ok
sys/devices/pci0000:00/0000:01:00.1/driver_override vfio-pci ok
sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1 ok
sys/bus/pci/drivers_probe 0000:01:00.1 ok"
like "udev: says what it did" "$OUT" "0000:01:00.0 detached: nouveau -> vfio-pci"
is "udev: both on vfio-pci with the override, root port untouched" \
        "$(drv 0000:01:00.0)/$(ovr 0000:01:00.0) $(drv 0000:01:00.1)/$(ovr 0000:01:00.1) $(drv 0000:00:01.0)" \
        "vfio-pci/vfio-pci vfio-pci/vfio-pci pcieport"
is "udev: recorded, as detach records" "$(state_rows)" "2 0"
run V --json status
is "udev: recorded with the boot command and the original drivers" \
        "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(x["address"]+"="+x["original_driver"]+"/"+x["detached_by"] for x in d["devices"]))')" \
        "0000:01:00.0=nouveau/vfioctl boot 0000:01:00.1 0000:01:00.1=snd_hda_intel/vfioctl boot 0000:01:00.1"
is "status --json: reservations honoured" \
        "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(x["address"]+"="+str(x["honoured"]) for x in d["reservations"]))')" \
        "0000:01:00.0=True 0000:01:00.1=True"
run V list
like "list: marked reserved (honoured)" "$OUT" "0000:01:00.0 +GPU +vfio-pci +detached .*\[reserved\]"
run V show 01:00.1
like "show: honoured this boot" "$OUT" "reserved: +for vfio-pci from boot on \($CFG/reservations\); honoured this boot"

log_reset
run V boot 0000:01:00.0
is "udev, the GPU's own event after: exit 0" "$RC" 0
is "udev, again: nothing written" "$(log_get)" ""
like "udev, again: already detached by the boot" "$OUT" "0000:01:00.0 already detached .*by 'vfioctl boot 0000:01:00.1'"

# A driver module loaded afterwards (its probe of the device) finds the override.
echo 0000:01:00.0 >"$SIM/sys/bus/pci/drivers_probe"
is "a later probe leaves the GPU on vfio-pci" "$(drv 0000:01:00.0)" vfio-pci

# Reattach of a device bound at boot: the original driver (rule 2).
log_reset
run V reattach --group 01:00.0
is "reattach: exit 0" "$RC" 0
is "reattach: original drivers back, overrides cleared" "$(ws_drivers)" "$WS_PRISTINE"

# --- The systemd unit: `boot` without a device, once, for everything.
new_boot workstation
run V boot
is "systemd, all reservations: exit 0" "$RC" 0
is "systemd: the same exact writes" "$(log_get)" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override vfio-pci ok
sys/bus/pci/drivers/nouveau/unbind 0000:01:00.0 ok
sys/bus/pci/drivers_probe 0000:01:00.0 ok
sys/devices/pci0000:00/0000:01:00.1/driver_override vfio-pci ok
sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1 ok
sys/bus/pci/drivers_probe 0000:01:00.1 ok"
run V --dry-run boot
is "dry run after: exit 0, nothing to print" "$RC/$(printf '%s\n' "$OUT" | grep -c '^echo')" "0/0"

# --- udev before any driver: the GPU has no driver yet when its event runs.
topo_edit unbound 'dev("0000:01:00.0")["driver"] = None; dev("0000:01:00.1")["driver"] = None'
new_boot "$T/unbound.json"
run V boot 0000:01:00.0
is "before any driver: exit 0" "$RC" 0
is "before any driver: override and probe only (nothing to unbind)" "$(log_get)" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override vfio-pci ok
sys/bus/pci/drivers_probe 0000:01:00.0 ok
sys/devices/pci0000:00/0000:01:00.1/driver_override vfio-pci ok
sys/bus/pci/drivers_probe 0000:01:00.1 ok"
# nouveau and snd_hda_intel "load": the kernel probes the devices.
echo 0000:01:00.0 >"$SIM/sys/bus/pci/drivers_probe"
echo 0000:01:00.1 >"$SIM/sys/bus/pci/drivers_probe"
is "before any driver: the host drivers never get them" "$(drv 0000:01:00.0) $(drv 0000:01:00.1)" \
        "vfio-pci vfio-pci"
log_reset
run V unreserve --now 01:00.0 01:00.1
is "unreserve --now of devices bound at boot: exit 0" "$RC" 0
is "unreserve --now: override cleared, and the kernel picks the driver (drivers_probe)" "$(log_get)" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.0 ok
sys/devices/pci0000:00/0000:01:00.1/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.1 ok
sys/bus/pci/drivers_probe 0000:01:00.0 ok
sys/bus/pci/drivers_probe 0000:01:00.1 ok"
is "unreserve --now: on the drivers the kernel chose" "$(drv 0000:01:00.0)/$(ovr 0000:01:00.0) $(drv 0000:01:00.1)/$(ovr 0000:01:00.1)" \
        "nouveau/(null) snd_hda_intel/(null)"
like "unreserve --now: says which" "$OUT" "0000:01:00.0 given back: vfio-pci -> nouveau"
check "unreserve --now: no reservations left" sh -c "! grep -q '^\[' '$CFG/reservations'"
printf '%s\n' "$reservations" >"$CFG/reservations"

# --- vfio-pci not loaded yet: only the override (vfio-pci takes it when it loads).
topo_edit novfio 't["drivers"] = [d for d in t["drivers"] if d["name"] != "vfio-pci"]; dev("0000:01:00.0")["driver"] = None; dev("0000:01:00.1")["driver"] = None'
new_boot "$T/novfio.json"
run V boot 01:00.0
is "stub not loaded: exit 0" "$RC" 0
is "stub not loaded: driver_override only" "$(log_get)" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override vfio-pci ok
sys/devices/pci0000:00/0000:01:00.1/driver_override vfio-pci ok"
echo 0000:01:00.0 >"$SIM/sys/bus/pci/drivers_probe"
is "stub not loaded: nouveau still cannot take it" "$(drv 0000:01:00.0)" "-"
run V show 01:00.0
like "stub not loaded: show counts the override as honoured" "$OUT" "honoured this boot"

# --- The card moved: another card at the reserved address.
topo_edit moved 'dev("0000:01:00.0")["device"] = "0x1c82"; dev("0000:01:00.0")["subsystem_device"] = "0x8c96"; t["drivers"][1]["ids"].append("10de:1c82")'
new_boot "$T/moved.json"
run V boot 0000:01:00.0
is "card moved: exit 3" "$RC" 3
is "card moved: nothing written" "$(log_get)" ""
like "card moved: says why for the GPU" "$ERR" \
        "0000:01:00.0 reservation not applied, device left alone: 0000:01:00.0 is now 10de:1c82 .* not the 10de:1b81 it was reserved as: the card moved or was replaced"
like "card moved: and for its audio function (the GPU stays on a host driver)" "$ERR" \
        "0000:01:00.1 reservation not applied, device left alone: the member 0000:01:00.0 of its IOMMU group is now 10de:1c82 .*not the 10de:1b81 it was when reserved"
like "card moved: the summary names the file" "$ERR" "2 reservations of $CFG/reservations could not be applied at this boot"
is "card moved: drivers as they were" "$(drv 0000:01:00.0) $(drv 0000:01:00.1) $(ovr 0000:01:00.0)" "nouveau snd_hda_intel (null)"
check "card moved: nothing recorded" test "$(state_rows)" = "0 0"
run V boot
is "card moved, systemd unit: exit 3 too" "$RC" 3
run env SEQNUM=1 "$VFIOCTL" --root "$SIM" --state-dir "$T/state" --config-dir "$CFG" --json boot 0000:01:00.0
is "card moved, --json: outcome attention" \
        "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["outcome"], [e["action"] for e in d["devices"]])')" \
        "attention ['not_applied', 'not_applied']"
run V show 01:00.0
like "card moved: show says not honoured, and why" "$OUT" "NOT honoured this boot: 0000:01:00.0 is now 10de:1c82"

# --- A new device joined the group (a USB controller on the new card).
topo_edit joined 'dev("0000:01:00.0")["multifunction"] = True; t["devices"].append({"address": "0000:01:00.2", "vendor": "0x10de", "device": "0x1ad6", "class": "0x0c0330", "multifunction": True, "pcie": True, "driver": "xhci_hcd", "group": 1}); t["drivers"][7]["ids"].append("10de:1ad6")'
new_boot "$T/joined.json"
run V boot 0000:01:00.0
is "device joined: exit 3" "$RC" 3
is "device joined: nothing written" "$(log_get)" ""
like "device joined: names it, its driver and what it is" "$ERR" \
        "0000:01:00.0 reservation not applied, device left alone: 0000:01:00.2 \(USB.*, on xhci_hcd\) joined its IOMMU group 1 since it was reserved"
is "device joined: drivers as they were" "$(drv 0000:01:00.0) $(drv 0000:01:00.1) $(drv 0000:01:00.2)" "nouveau snd_hda_intel xhci_hcd"

# --- Rule 9 again at boot: the reserved NIC carries an interface that is up.
new_boot workstation
V reserve --group 05:00.0 >/dev/null
topo_edit netup 'dev("0000:05:00.0")["net"][0]["operstate"] = "up"'
new_boot "$T/netup.json"
log_reset
run V boot 0000:05:00.0
is "interface up at boot: exit 3" "$RC" 3
like "interface up at boot: says what depends on it" "$ERR" "0000:05:00.0 reservation not applied, device left alone: refusing to detach what the host is using"
is "interface up at boot: nothing written" "$(log_get)" ""
run V boot 0000:01:00.0
is "the GPU's group is independent of the NIC's: exit 0" "$RC" 0
is "the GPU's group still converges" "$(drv 0000:01:00.0) $(drv 0000:01:00.1)" "vfio-pci vfio-pci"

done_testing
