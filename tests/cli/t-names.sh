#!/bin/bash
# Devices by the names users know (issue 10, items 2, 3, 4, 7, 11): DEV as
# an address, a slot (all functions) or an interface; list filters by
# group, device and class, its interface column and PF->VF relations; one
# name and one "(class, driver)" form in every command; --dry-run in the
# conditional and "dry_run" in every JSON document; reset methods in show;
# interrupted work in list, status and recover.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

G=$GOLDEN
golden() { # golden NAME COMMAND...: stdout must equal golden/NAME, exit 0
        local name=$1; shift
        run V "$@"
        is "$name: exit 0" "$RC" 0
        printf '%s\n' "$OUT" >"$T/got"
        same_file "$name: output" "$T/got" "$G/$name"
}
sim_mount workstation

# --- DEV forms.
run V show enp5s0
is "show IFACE: exit 0" "$RC" 0
is "show IFACE = show of its device" "$OUT" "$(V show 0000:05:00.0)"
run V show --json eno1
like "show IFACE --json: the device behind it" "$OUT" '"address": "0000:00:1f.6"'
run V show enp9s9
is "unknown interface: exit 2" "$RC" 2
is "unknown interface: says so" "$ERR" "vfioctl: 'enp9s9' is not a PCI address (DDDD:BB:DD.F or BB:DD.F), a slot (BB:DD), nor a network interface on this host (no /sys/class/net/enp9s9)"
run V show 01:00
is "show SLOT of two functions: exit 2" "$RC" 2
is "show SLOT: names them" "$ERR" "vfioctl: '01:00' is a slot of 2 functions (0000:01:00.0 to 0000:01:00.1); name one of them"
run V show 0000:02:00
is "show DDDD:BB:DD of one function: exit 0" "$RC" 0
like "show DDDD:BB:DD: that function" "$OUT" "^0000:02:00.0  Samsung"

log_reset
run V --dry-run detach 01:00
is "detach SLOT --dry-run: exit 0" "$RC" 0
is "detach SLOT --dry-run: both functions, in the conditional" "$OUT" "echo 'vfio-pci' > /sys/bus/pci/devices/0000:01:00.0/driver_override
echo '0000:01:00.0' > /sys/bus/pci/drivers/nouveau/unbind
echo '0000:01:00.0' > /sys/bus/pci/drivers_probe
echo 'vfio-pci' > /sys/bus/pci/devices/0000:01:00.1/driver_override
echo '0000:01:00.1' > /sys/bus/pci/drivers/snd_hda_intel/unbind
echo '0000:01:00.1' > /sys/bus/pci/drivers_probe
0000:01:00.0 would detach: nouveau -> vfio-pci
0000:01:00.1 would detach: snd_hda_intel -> vfio-pci"
is "detach --dry-run: says nothing changed" "$ERR" "(dry run: nothing was changed)"
is "detach --dry-run: nothing written" "$(log_get)" ""
run V detach 01:00
is "detach SLOT: exit 0" "$RC" 0
is "detach SLOT: past tense" "$OUT" "0000:01:00.0 detached: nouveau -> vfio-pci
0000:01:00.1 detached: snd_hda_intel -> vfio-pci"
is "detach SLOT: both on vfio-pci" "$(drv 0000:01:00.0) $(drv 0000:01:00.1)" "vfio-pci vfio-pci"
run V --dry-run reattach 01:00
like "reattach --dry-run: in the conditional" "$OUT" "^0000:01:00.0 would give back: vfio-pci -> nouveau$"
run V reattach 01:00.1 01:00 0000:01:00.0
is "reattach SLOT and its functions again: exit 0" "$RC" 0
is "each device once, in the order given" "$OUT" "0000:01:00.1 given back: vfio-pci -> snd_hda_intel
0000:01:00.0 given back: vfio-pci -> nouveau"
run V detach --dry-run enp5s0 --group
is "detach IFACE --group --dry-run: exit 0" "$RC" 0
like "detach IFACE: the NIC behind it" "$OUT" "^0000:05:00.0 would detach: e1000e -> vfio-pci$"

# --- dry_run in every JSON document.
for args in "list" "show 05:00.0" "status" "detach 00:14.0" "reattach 00:14.0" \
        "assign g1 00:14.0" "release g1" "version" "qemu-args nosuch" "detach zz"; do
        run V --json $args
        like "--json $args: dry_run false" "$OUT" '"dry_run": false'
        run V --json --dry-run $args
        like "--json --dry-run $args: dry_run true" "$OUT" '"dry_run": true'
done

# --- list filters, interface column, PF->VF.
golden workstation-list-nic-gpu.txt list nic gpu
golden workstation-list-8.txt list 8
is "list DEV = list of its group" "$(V list 0000:00:1f.3)" "$(V list 8)"
is "list IFACE = list of its device's group" "$(V list enp5s0)" "$(V list 8)"
is "list SLOT = its group" "$(V list 01:00)" "$(V list 1)"
run V list gpu
is "list gpu: no interface there, no IFACE column" "$(head -1 <<<"$OUT" | grep -c IFACE)" 0
run V list NVMe
like "list by the class word list shows: NVMe" "$OUT" "0000:02:00.0"
run V --json list 7
is "list 7 --json: that group only" "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print([g["group"] for g in d["groups"]], d["groups"][0]["devices"][0]["interfaces"])' <<<"$OUT")" "[7] ['eno1']"
run V list 99
is "list of a group that is not there: exit 2" "$RC" 2
is "list 99: says so" "$ERR" "vfioctl: no IOMMU group 99 on this host (see 'vfioctl list --help')"
run V list frob
is "list of a word that is nothing: exit 2" "$RC" 2
like "list frob: says what it takes" "$ERR" "is not a group number, a class \(nic, gpu"
run V list crypto
is "list of a class without devices: exit 0" "$RC" 0
is "list of a class without devices: says so" "$OUT" "(no device matches)"

sim_unmount "$SIM"
sim_mount sriov-server
echo 2 >"$SIM/sys/bus/pci/devices/0000:41:00.0/sriov_numvfs"
golden sriov-server-list-vfs.txt list
run V --json list 41:02.1
like "VF JSON: its PF" "$OUT" '"physfn": "0000:41:00.0"'
run V --json show 41:00.0
like "PF show --json: its VFs" "$(tr -d ' \n' <<<"$OUT")" '"vfs":\["0000:41:02.0","0000:41:02.1"\]'
like "show --json: subsystem ids" "$OUT" '"subsystem_vendor": "0x8086"'
like "show --json: revision" "$OUT" '"revision": "0x02"'
run V --json show 41:02.0
like "VF show --json: its PF" "$OUT" '"physfn": "0000:41:00.0"'

# --- One name for a device everywhere: show's member line is detach's.
sim_unmount "$SIM"
sim_mount workstation
show_line=$(V show 05:00.0 | grep -m1 '^    0000:00:1f.3' | sed 's/^    //')
run V detach 05:00.0
detach_line=$(grep '^  0000:00:1f.3' <<<"$ERR" | sed 's/^  //')
is "detach names a member as show does" "$detach_line" "$show_line"
list_name=$(V list 8 | grep '0000:00:1f.3' | sed 's/.*host   -      -       //')
like "list names it as show does" "$show_line" ": $list_name\$"
run V --json detach 05:00.0
is "refusal JSON: the members keep the group from being viable (needs --group)" \
        "$(python3 -c 'import json,sys; print(sorted({d["action"] for d in json.load(sys.stdin)["devices"]}))' <<<"$OUT")" \
        "['group_member']"
run V --json detach 00:1f.6
is "refusal JSON: the host uses it (needs --force)" \
        "$(python3 -c 'import json,sys; print(sorted({d["action"] for d in json.load(sys.stdin)["devices"]}))' <<<"$OUT")" \
        "['in_use']"
like "refusal JSON: the error is one line" "$(python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]; print("one" if "\n" not in e else "many")' <<<"$OUT")" one

# --- Errors as JSON documents.
run V --json detach zz
is "--json detach zz: exit 2" "$RC" 2
is "--json detach zz: an error document" "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["outcome"], d["exit_code"], d["error"][:30])' <<<"$OUT")" "invalid 2 'zz' is not a PCI address (DDD"
run V --json show 99:00.0
is "--json show 99:00.0: exit 2" "$RC" 2
like "--json show 99:00.0: an error document" "$OUT" '"error": "no PCI device 0000:99:00.0 on this host'
run V show 99:00.0 --json --bogus
like "--json usage error: an error document" "$OUT" "\"error\": \"unknown option '--bogus' \\(see"

# --- Reset: methods, FLR, what a bus reset reaches.
like "sim: reset_method of the NVMe" "$(cat "$SIM/sys/bus/pci/devices/0000:02:00.0/reset_method")" "^flr bus$"
check "sim: a GPU with no reset has no reset_method file" test ! -e "$SIM/sys/bus/pci/devices/0000:01:00.0/reset_method"
run V show 01:00.0
like "show: no reset method" "$OUT" "^  reset:      none: the kernel knows no way to reset it$"
like "show: a bus reset reaches the audio function" "$OUT" "^    0000:01:00.1 \(audio, snd_hda_intel\): NVIDIA"
like "show: warns" "$OUT" "^Warning: 0000:01:00.0 has no reset method"
run V show 02:00.0
like "show: methods and FLR" "$OUT" "^  reset:      flr, bus \(the kernel's reset_method\); the PCIe capability advertises FLR$"
like "show: bus reset alone on its bus" "$OUT" "^  bus reset:  reaches no other device$"
run V show 00:1f.6
like "show: root bus" "$OUT" "^  bus reset:  none \(on a root bus\)$"
run V --json show 01:00.0
is "show --json reset" "$(python3 -c 'import json,sys; r=json.load(sys.stdin)["device"]["reset"]; print(r["methods"], r["flr"], r["none"], r["bus_reset_reaches"])' <<<"$OUT")" \
        "[] False True ['0000:01:00.1']"

# --- Interrupted work: list, status, recover say what and what recover does.
echo 3 >"$SIM/.sim/crash_after"
run V detach 00:14.0
is "detach killed at its 3rd write" "$RC" 137
[ "$RC" = 137 ] || echo "# $ERR"
run V list 3
like "list: the unfinished operation" "$OUT" "^Unfinished: '[^']*vfioctl --root .* detach 00:14.0' \(pid [0-9]+, started .*\) was interrupted\.$"
like "list: what recover puts back" "$OUT" "^  0000:00:14.0 -> xhci_hcd$"
run V status
like "status: opens with the unfinished operation" "$(head -1 <<<"$OUT")" "^Unfinished: '[^']*vfioctl .*detach 00:14.0'"
like "status: what recover puts back" "$OUT" "^  0000:00:14.0 -> xhci_hcd$"
run V --json status
like "status --json: unfinished with what recover puts back" "$(tr -d ' \n' <<<"$OUT")" '"recover_puts_back":\[\{"address":"0000:00:14.0","driver":"xhci_hcd"\}\]'
run V recover
is "recover: exit 0" "$RC" 0
like "recover: names the operation it undid" "$ERR" "^vfioctl: '[^']*vfioctl .*detach 00:14.0' \(pid [0-9]+, started .*\) was interrupted; rolled back what it changed:$"
like "recover: what it put back" "$ERR" "^  0000:00:14.0 put back: xhci_hcd$"
is "recover: the device is back" "$(drv 0000:00:14.0)" xhci_hcd
run V status
is "status after recover" "$OUT" "No devices detached or owned, and nothing unfinished."
run V list 3
is "list after recover: no unfinished note" "$(grep -c Unfinished <<<"$OUT")" 0
echo 1 >"$SIM/.sim/crash_after"
run V detach 00:14.0
run V status
like "status: an operation killed before its first write" "$OUT" "It had written nothing"
run V recover
like "recover: one that changed nothing" "$ERR" "was interrupted before it changed anything; its record is cleared$"
is "recover: not also 'nothing to recover'" "$(grep -c 'nothing to recover' <<<"$ERR")" 0
echo 3 >"$SIM/.sim/crash_after"
run V detach 00:14.0
run V --json recover
like "recover --json: the undone operation" "$(tr -d ' \n' <<<"$OUT")" '"undone":\[\{"kind":"detach","command":"[^"]*vfioctl[^"]*detach00:14.0"'

done_testing
