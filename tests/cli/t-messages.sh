#!/bin/bash
# The smaller defects of issue 8, item 16: what the commands say (show of an
# owned device, the refusal of a multi-device detach, a held sibling, the
# rollback lines, the order of stdout and stderr).
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount workstation

# --- show of a device a guest owns names the guest, not the host's cost
run V assign g1 05:00.0 --group auto
is "assign g1 05:00.0 --group auto: exit 0" "$RC" 0
run V show 05:00.0
like "show of an assigned device: names its guest and how to free it" "$OUT" \
        "^0000:05:00.0 is assigned to guest 'g1': no other guest can have it, or any device of IOMMU group 8, until 'vfioctl release g1'.$"
is "show of an assigned device: no host cost" "$(grep -c 'has to leave the host' <<<"$OUT")" 0
run V show 00:1f.3
like "show of a held sibling: held for the guest" "$OUT" \
        "^0000:00:1f.3 is held for guest 'g1': no other guest can have it, or any device of IOMMU group 8, until 'vfioctl release g1'.$"
run V show 00:1f.0
like "show of an untouched member of an owned group: the group's guest" "$OUT" \
        "^0000:00:1f.0 is in IOMMU group 8, which belongs to guest 'g1': no other guest can have it until 'vfioctl release g1'.$"

# --- a held device's refusal reads "held for guest", not "held for to guest"
run V reattach 00:1f.3
is "reattach of a held sibling: exit 1" "$RC" 1
like "reattach of a held sibling: held for guest 'g1'" "$ERR" "^  0000:00:1f.3 \(vfio-pci\): held for guest 'g1'$"
run V reattach 05:00.0
like "reattach of an assigned device: assigned to guest 'g1'" "$ERR" "^  0000:05:00.0 \(vfio-pci\): assigned to guest 'g1'$"

# --- stdout and stderr in the order they were written (one pipe, as a log or the libvirt hook has them)
out=$( { V release g1; V status; } 2>&1)
is "release then status, both streams in one pipe: in program order" "$out" \
"0000:00:1f.3 given back: vfio-pci -> i801_smbus
0000:00:1f.4 given back: vfio-pci -> intel-spi
0000:05:00.0 given back: vfio-pci -> e1000e
guest 'g1' released
No devices detached or owned, and nothing unfinished."
is "everything back after release" "$(ws_drivers)" "$WS_PRISTINE"

# --- issue 11: the library says why, the tool words the way out (vfioctl_ctx_get_reason())
run V detach --force --driver kvm 00:1f.6
is "detach --driver kvm 00:1f.6: exit 0" "$RC" 0
run V assign g2 00:1f.6
is "assign of a device on pci-stub: exit 1" "$RC" 1
is "assign of a device on pci-stub: the reason, then the tool's way out" "$ERR" \
        "vfioctl: 0000:00:1f.6 is on pci-stub, not vfio-pci: give it back to the host first ('vfioctl reattach 0000:00:1f.6', or by hand if vfioctl did not detach it)"
run V reattach 00:1f.6
is "reattach 00:1f.6: exit 0" "$RC" 0
run V assign g2 00:1f.6 --unmanaged
is "unmanaged assign of a device on its host driver: exit 1" "$RC" 1
is "unmanaged assign of a device on its host driver: the reason, then the tool's way out" "$ERR" \
        "vfioctl: 0000:00:1f.6 is managed='no' but still on e1000e, not detached, and an unmanaged device's driver is left alone. Detach it first ('vfioctl detach 0000:00:1f.6', --group if its group needs it), or make it managed='yes'"
is "both refusals change nothing" "$(ws_drivers)" "$WS_PRISTINE"


# --- a detach of several devices names the one whose group refuses, not the first given
log_reset
run V detach 00:14.0 05:00.0
is "detach 00:14.0 05:00.0: exit 1" "$RC" 1
like "detach 00:14.0 05:00.0: names 05:00.0, the device whose group is shared" "$ERR" \
        "^vfioctl: cannot detach 0000:05:00.0 alone: IOMMU group 8 also holds 2 devices"
is "detach 00:14.0 05:00.0: nothing written" "$(log_get)" ""

# --- a detach refused in two groups at once: the count and the list are the named group's
# (they added up both groups' blockers under one group's heading)
log_reset
run V detach 01:00.0 05:00.0
is "detach 01:00.0 05:00.0: exit 1" "$RC" 1
like "detach 01:00.0 05:00.0: counts group 1's blocker only" "$ERR" \
        "^vfioctl: cannot detach 0000:01:00.0 alone: IOMMU group 1 also holds 1 device the host still uses"
is "detach 01:00.0 05:00.0: lists group 1's blocker, not group 8's" "$(grep -Ec '^  0000:00:1f\.[34] ' <<<"$ERR")" 0
like "detach 01:00.0 05:00.0: lists group 1's blocker" "$ERR" "^  0000:01:00\.1 \(audio, snd_hda_intel\)"
is "detach 01:00.0 05:00.0: nothing written" "$(log_get)" ""


# --- --dry-run assign --print-qemu-args: standard output holds the QEMU arguments alone
log_reset
run V --dry-run assign g1 05:00.0 --group auto --print-qemu-args
is "--dry-run assign --print-qemu-args: exit 0" "$RC" 0
is "--dry-run assign --print-qemu-args: stdout is the arguments alone" "$OUT" "-device vfio-pci,host=0000:05:00.0,id=hostdev0"
like "--dry-run assign --print-qemu-args: the writes on stderr" "$ERR" \
        "^echo 'vfio-pci' > /sys/bus/pci/devices/0000:05:00.0/driver_override$"
like "--dry-run assign --print-qemu-args: what it would do on stderr" "$ERR" "^0000:05:00.0 would detach: e1000e -> vfio-pci$"
run V --dry-run assign g1 05:00.0 --group auto
like "--dry-run assign without it: the writes stay on stdout" "$OUT" \
        "^echo 'vfio-pci' > /sys/bus/pci/devices/0000:05:00.0/driver_override$"
is "--dry-run assign: nothing written" "$(log_get)" ""

# --- an assign rolled back after its writes (the group not viable once they were done)
# prints what it put back, and no "detached:" line for what is no longer detached
fault "0000:05:00.0 probe block=held"
V assign g1 05:00.0 --group auto >"$T/race.out" 2>"$T/race.err" &
apid=$!
for _ in $(seq 1200); do grep -q "^0000:05:00.0 waiting=1" "$SIM/.sim/release" && break; sleep 0.05; done
# Meanwhile something binds the group's LPC bridge (unbound, so viable until now) to a host driver.
echo "8086 a305" >"$SIM/sys/bus/pci/drivers/e1000e/new_id"
echo 0000:05:00.0 >"$SIM/.sim/release"
wait $apid
is "assign whose group became non-viable meanwhile: exit 1" "$?" 1
is "rolled-back assign: no 'detached:' line on stdout" "$(cat "$T/race.out")" ""
like "rolled-back assign: says why" "$(cat "$T/race.err")" \
        "^vfioctl: IOMMU group 8 is still not viable after detaching: 0000:00:1f.0 is on e1000e .*everything was rolled back$"
like "rolled-back assign: what it put back" "$(cat "$T/race.err")" "^  0000:05:00.0 put back: e1000e$"
is "rolled-back assign: the rest back on their drivers" "$(drv 0000:05:00.0) $(drv 0000:00:1f.3) $(drv 0000:00:1f.4)" "e1000e i801_smbus intel-spi"
is "rolled-back assign: nothing recorded" "$(state_rows)" "0 0"
fault clear

# --- status after remove + rescan: the device is on its host driver again, not "held"
sim_mount workstation
run V assign g2 02:00.0 --force
is "assign g2 the NVMe (--force): exit 0" "$RC" 0
echo 1 >"$SIM/sys/bus/pci/devices/0000:02:00.0/remove"
echo 1 >"$SIM/sys/bus/pci/rescan"
is "remove + rescan: the NVMe is on nvme again" "$(drv 0000:02:00.0)" nvme
run V status
like "status: the state it is in now, with its driver" "$OUT" "^0000:02:00.0  6      host   nvme    nvme      g2 "
like "status: what the record says and what ends it" "$OUT" \
        "^0000:02:00.0 is recorded as assigned to guest 'g2' but is on nvme now, not on vfio-pci \(removed and rescanned, or bound by hand\?\): 'vfioctl release g2' ends the record$"
is "status --json: state now and as recorded" \
        "$(V --json status | python3 -c 'import json,sys; d=json.load(sys.stdin)["devices"][0]; print(d["state"], d["recorded_state"], d["driver"])')" "host assigned nvme"
log_reset
run V release g2
is "release ends the record: exit 0" "$RC" 0
is "release ends the record: nothing to write" "$(log_get)" ""
is "release ends the record: state empty" "$(state_rows)" "0 0"

# --- reattach to a driver that has no id for the device: why, and the two ways back
# An RTL8125 on an r8169 whose table lacks 10ec:8125: bound by a boot-time
# new_id, then the module was reloaded and the dynamic id went with it.
cat >"$T/rtl8125.json" <<'JSON'
{"iommu": true,
 "drivers": [{"name": "pcieport", "ids": ["8086:a33c"]}, {"name": "r8169", "ids": ["10ec:8168", "10ec:8161"]},
             {"name": "vfio-pci"}],
 "devices": [
  {"address": "0000:00:1c.0", "vendor": "0x8086", "device": "0xa33c", "class": "0x060400", "header_type": 1,
   "secondary_bus": 3, "subordinate_bus": 3, "driver": "pcieport", "group": 9, "pcie": true},
  {"address": "0000:03:00.0", "vendor": "0x10ec", "device": "0x8125", "class": "0x020000", "driver": "r8169",
   "group": 10, "pcie": true, "net": [{"name": "enp3s0", "operstate": "down", "address": "00:e0:4c:68:00:01"}]}]}
JSON
sim_mount "$T/rtl8125.json"
run V detach 03:00.0
is "RTL8125: detach: exit 0" "$RC" 0
run V reattach 03:00.0
is "RTL8125: reattach refused by the kernel: exit 1" "$RC" 1
like "RTL8125: says why (no id in the driver's tables)" "$ERR" \
        "^vfioctl: 0000:03:00.0 cannot go back to r8169: the kernel found none of its ids in r8169's id table, static or dynamic. It was bound there by a dynamic id \(new_id\) or a driver_override that is gone since"
like "RTL8125: way 1, new_id with the device's ids" "$ERR" "^  echo '10ec 8125' > $SIM/sys/bus/pci/drivers/r8169/new_id$"
like "RTL8125: way 2, a driver_override of the right driver" "$ERR" "^  echo r8169 > $SIM/sys/bus/pci/devices/0000:03:00.0/driver_override$"
is "RTL8125: still on vfio-pci, still recorded" "$(drv 0000:03:00.0) $(state_rows)" "vfio-pci 1 0"
# Way 1, as printed.
eval "$(grep -E "^  echo '10ec 8125'" <<<"$ERR")"
run V reattach 03:00.0
is "RTL8125: after new_id, reattach: exit 0" "$RC" 0
is "RTL8125: back on r8169, record ended" "$(drv 0000:03:00.0) $(ovr 0000:03:00.0) $(state_rows)" "r8169 (null) 0 0"
# Way 2, as printed (the dynamic id removed again first).
echo "10ec 8125" >"$SIM/sys/bus/pci/drivers/r8169/remove_id"
run V detach 03:00.0
run V reattach 03:00.0
is "RTL8125: refused again without the id" "$RC" 1
eval "$(grep -E '^  echo ' <<<"$ERR" | tail -3)"
is "RTL8125: the override way binds r8169" "$(drv 0000:03:00.0)" r8169
run V reattach 03:00.0
is "RTL8125: then reattach ends the record: exit 0" "$RC" 0
is "RTL8125: override cleared, record ended" "$(drv 0000:03:00.0) $(ovr 0000:03:00.0) $(state_rows)" "r8169 (null) 0 0"

# --- list without --all shows NVSwitches (class 0x0680, header type 0: endpoints guests take)
sim_mount hgx
run V list
like "list: an NVSwitch is listed without --all" "$OUT" "^22 +no +0000:c2:00.0  bridge +nvidia .*NVIDIA Corporation GA100 \[A100 NVSwitch\]$"
is "list: all six NVSwitches" "$(grep -c 'A100 NVSwitch' <<<"$OUT")" 6
is "list: the PCIe switch ports stay hidden" "$(grep -c 'PEX880xx' <<<"$OUT")" 0
is "list --json: an NVSwitch is no bridge" \
        "$(V --json list 0000:c2:00.0 | python3 -c 'import json,sys; d=json.load(sys.stdin)["groups"][0]["devices"][0]; print(d["class"], d["bridge"])')" "bridge False"
run V --dry-run assign hgx1 03:00.0 c2:00.0
is "--dry-run assign of a GPU with an NVSwitch: exit 0" "$RC" 0
like "--dry-run assign: the NVSwitch goes too" "$OUT" "^0000:c2:00.0 would detach: nvidia -> vfio-pci$"

# --- a rollback that puts back some devices and not others says which is which
sim_mount sriov-server
log_reset
echo 6 >"$SIM/.sim/crash_after"
run V assign g1 03:00.0 03:00.1
is "assign killed at its last write: exit 137" "$RC" 137
fault "0000:03:00.1 bind fail=EIO"
run V recover --timeout 1
is "recover with a device that cannot go back: exit 3" "$RC" 3
like "recover: the interrupted command, only part of it rolled back" "$ERR" \
        "^vfioctl: '[^']*assign g1 03:00.0 03:00.1' \(pid [0-9]+, started [^)]*\) was interrupted; only part of what it changed was rolled back:$"
is "recover: 'rolled back:' over what went back, 'not rolled back:' over what did not" \
        "$(grep -E '^(rolled back:|not rolled back:|  0000:03:00.[01] )' <<<"$ERR" | sed 's/: writing.*//')" \
"rolled back:
  0000:03:00.0 put back: igb
not rolled back:
  0000:03:00.1 could NOT be put back on igb"
is "recover: never 'rolled back what it changed' when something stayed" "$(grep -c 'rolled back what it changed' <<<"$ERR")" 0
run V recover --timeout 1
like "recover again, nothing goes back: 'not rolled back:'" "$ERR" \
        "was interrupted; not rolled back:$"
fault "0000:03:00.1 bind none"
run V recover
is "recover once the fault is gone: exit 0" "$RC" 0
is "recover once the fault is gone: igb on both" "$(drv 0000:03:00.0) $(drv 0000:03:00.1)" "igb igb"

# --- one parser for the changing commands' DEV... / GUEST [DEV...] and options (tools/args.c):
# every usage error as each command said it before
: >"$T/usage.txt"
while read -r line; do
        read -ra args <<<"$line"
        V --config-dir "$T/config" "${args[@]}" >>"$T/usage.txt" 2>&1
        echo "rc=$?" >>"$T/usage.txt"
done <<'ARGS'
detach
detach --all
detach --now 01:00.0
detach --timeout x 01:00.0
detach zz
reattach
reattach --all 01:00.0
reattach --driver kvm 01:00.0
release
release --all g1
release g1 zz
release --group g1
reserve
reserve --now --timeout -1 01:00.0
unreserve
unreserve --group 01:00.0
unreserve --all
detach --timeout
ARGS
same_file "usage errors of detach, reattach, release, reserve, unreserve" "$T/usage.txt" "$GOLDEN/usage-errors.txt"

done_testing
