#!/bin/bash
# Boot-time reservations (DESIGN §3 rule 13): reserve / unreserve and the
# reservations file (group rule, safety, stubs only, atomic writes,
# malformed files naming file and line, untrusted or unwritable folders).
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"
. "$(dirname "$0")/reserve-lib.sh"

sim_mount workstation
CFG_FILE=$CFG/reservations

# --- Rule 1 at reserve: the GPU's audio function is on a host driver.
run V reserve 01:00.0
is "GPU alone: refused (exit 1)" "$RC" 1
like "GPU alone: names the audio function, its driver and what it is" "$ERR" \
        "^  0000:01:00.1 \(audio, snd_hda_intel\): NVIDIA Corporation GP104 High Definition Audio Controller$"
like "GPU alone: says why (VFIO takes whole groups)" "$ERR" "cannot reserve 0000:01:00.0 alone: IOMMU group 1"
like "GPU alone: offers --group" "$ERR" "--group +reserve them too"
like "GPU alone: offers the pci-stub hold" "$ERR" "--driver kvm"
like "GPU alone: offers another slot" "$ERR" "another slot|move the card"
check "GPU alone: no reservations file written" test ! -e "$CFG_FILE"
is "GPU alone: nothing written to sysfs" "$(log_get)" ""

run V reserve --group 01:00.0
is "GPU --group: exit 0" "$RC" 0
like "GPU --group: the GPU is reserved" "$OUT" "0000:01:00.0 reserved for vfio-pci from boot on \(now on nouveau\)"
like "GPU --group: and its audio function" "$OUT" "0000:01:00.1 reserved for vfio-pci"
is "GPU --group: nothing written to sysfs (not --now)" "$(log_get)" ""
is "GPU --group: drivers untouched" "$(ws_drivers)" "$WS_PRISTINE"
is "GPU --group: the file, by address and ids, with the group's members" "$(cat "$CFG_FILE")" \
"$RES_HEADER

[0000:01:00.0]
id = 10de:1b81
subsystem = 1462:3302
driver = vfio-pci
member = 0000:00:01.0 8086:1901
member = 0000:01:00.1 10de:10f0

[0000:01:00.1]
id = 10de:10f0
subsystem = 1462:3302
driver = vfio-pci
member = 0000:00:01.0 8086:1901
member = 0000:01:00.0 10de:1b81"
is "GPU --group: file mode 0644, owned by root" "$(stat -c '%a %u' "$CFG_FILE")" "644 0"
is "GPU --group: no temporary file left" "$(ls -A "$CFG" | tr '\n' ' ')" "reservations "

# Atomic: a new file is renamed over the old one, never rewritten in place.
ino=$(stat -c %i "$CFG_FILE")
run V reserve --group 01:00.1
is "reserve again: exit 0" "$RC" 0
like "reserve again: says it was reserved already" "$OUT" "0000:01:00.1 reserved for vfio-pci.*was reserved already"
check "reserve again: the file was replaced by rename (new inode)" test "$(stat -c %i "$CFG_FILE")" != "$ino"
is "reserve again: still two entries" "$(grep -c '^\[' "$CFG_FILE")" 2

# --- Rule 11: stubs only.
before=$(cat "$CFG_FILE")
run V reserve --driver e1000e 00:14.0
is "host driver: refused as input (exit 2)" "$RC" 2
like "host driver: says it is not a stub and lists the stubs" "$ERR" \
        "'e1000e' is not a stub driver.*vfio-pci \(vfio\), pci-stub \(kvm\), xen-pciback \(xen\)"
is "host driver: file unchanged" "$(cat "$CFG_FILE")" "$before"
run V reserve --driver nosuchdrv 00:14.0
is "unknown driver: exit 2" "$RC" 2
like "unknown driver: says no such driver is loaded" "$ERR" "not a stub driver \(no such driver is loaded\)"

# --- Rule 9: safety at reserve.
run V reserve 00:1f.6
is "default-route NIC: refused (exit 1)" "$RC" 1
like "default-route NIC: says what depends on it" "$ERR" "eno1 holds the default route"
like "default-route NIC: says why it matters at boot" "$ERR" "from the next boot on it would be taken"
run V reserve 02:00.0
is "boot disk: refused (exit 1)" "$RC" 1
like "boot disk: names the mounts" "$ERR" "nvme0n1 is mounted on /"
run V reserve 00:02.0
is "boot VGA with console: refused" "$RC" 1
like "boot VGA: says so" "$ERR" "boot VGA"
is "safety refusals: file unchanged" "$(cat "$CFG_FILE")" "$before"

# --- Bad input.
run V reserve 00:1c.0
is "bridge: refused (exit 1)" "$RC" 1
like "bridge: says bridges are never reserved" "$ERR" "0000:00:1c.0 is a bridge"
run V reserve 0000:09:00.0
is "no such device: exit 2" "$RC" 2
like "no such device: names it" "$ERR" "0000:09:00.0"
run V reserve 9:0
is "not an address: exit 2" "$RC" 2
run V reserve
is "no device: exit 2" "$RC" 2
is "bad input: file unchanged" "$(cat "$CFG_FILE")" "$before"

# --- pci-stub only holds: no group rule.
run V reserve --driver kvm 05:00.0
is "pci-stub hold of the NIC in the chipset group: exit 0" "$RC" 0
like "pci-stub hold: reserved for pci-stub" "$OUT" "0000:05:00.0 reserved for pci-stub"
is "pci-stub hold: driver recorded" "$(sed -n '/^\[0000:05:00.0\]/,/^$/p' "$CFG_FILE" | grep '^driver')" "driver = pci-stub"

# --- unreserve
run V unreserve 05:00.0
is "unreserve: exit 0" "$RC" 0
like "unreserve: says so" "$OUT" "0000:05:00.0 no longer reserved \(was for pci-stub\)"
is "unreserve: entry gone, the others kept" "$(cat "$CFG_FILE")" "$before"
run V unreserve 05:00.0
is "unreserve of a device not reserved: exit 2" "$RC" 2
like "unreserve not reserved: says so and where it looked" "$ERR" "0000:05:00.0 is not reserved \($CFG_FILE"

# --- dry run and JSON
run V --dry-run reserve --group 05:00.0
is "dry run: exit 0" "$RC" 0
like "dry run: says what would be reserved (the whole trap group)" "$OUT" "0000:00:1f.3 reserved.*
0000:00:1f.4 reserved.*
0000:05:00.0 reserved"
like "dry run: says the file was not written" "$ERR" "dry run: $CFG_FILE was not written"
is "dry run: file unchanged" "$(cat "$CFG_FILE")" "$before"
run V reserve --json --group 05:00.0
is "json: exit 0" "$RC" 0
is "json: outcome and actions" \
        "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["outcome"], " ".join(e["address"]+"="+e["action"]+"/"+e["to"] for e in d["devices"]))')" \
        "done 0000:00:1f.3=reserved/vfio-pci 0000:00:1f.4=reserved/vfio-pci 0000:05:00.0=reserved/vfio-pci"
check "json: LPC (plumbing, unbound) is a member, not reserved" \
        sh -c "! grep -q '^\[0000:00:1f.0\]' '$CFG_FILE' && grep -q '^member = 0000:00:1f.0 8086:a305' '$CFG_FILE'"
run V unreserve 05:00.0
is "unreserve of one of a group: exit 0" "$RC" 0
like "unreserve of one of a group: says the rest of the group stays reserved" "$ERR" \
        "Note: 0000:00:1f.3, in the same IOMMU group 8, stays reserved; at boot it is left alone"
V unreserve 00:1f.3 00:1f.4 >/dev/null
is "unreserve of the rest: back to the GPU group" "$(cat "$CFG_FILE")" "$before"

# --- list / show / status mark reserved devices (not honoured: no boot yet).
run V list
like "list: the GPU is marked reserved, not honoured" "$OUT" "0000:01:00.0 .*GTX 1070\] \[reserved, NOT honoured\]"
check "list: an unreserved device is not marked" sh -c "printf '%s\n' \"\$1\" | grep '0000:02:00.0' | grep -vq reserved" _ "$OUT"
run V show 01:00.0
like "show: says reserved and why not honoured" "$OUT" "reserved: +for vfio-pci from boot on \($CFG_FILE\); NOT honoured this boot: not applied"
run V --json list
is "list --json: reserved key on reserved devices only" \
        "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(x["address"]+"="+str(x["reserved"]["honoured"]) for g in d["groups"] for x in g["devices"] if "reserved" in x))')" \
        "0000:01:00.0=False 0000:01:00.1=False"
run V status
like "status: lists the reservations" "$OUT" "Reserved from boot on \($CFG_FILE\):
  0000:01:00.0  10de:1b81  vfio-pci +NOT honoured this boot"

# --- reserve --now: reserved and detached in one call, as detach does it.
log_reset
run V reserve --now --group 05:00.0
is "reserve --now: exit 0" "$RC" 0
is "reserve --now: exact writes, 3 per device" "$(log_get)" \
"sys/devices/pci0000:00/0000:00:1f.3/driver_override vfio-pci ok
sys/bus/pci/drivers/i801_smbus/unbind 0000:00:1f.3 ok
sys/bus/pci/drivers_probe 0000:00:1f.3 ok
sys/devices/pci0000:00/0000:00:1f.4/driver_override vfio-pci ok
sys/bus/pci/drivers/intel-spi/unbind 0000:00:1f.4 ok
sys/bus/pci/drivers_probe 0000:00:1f.4 ok
sys/devices/pci0000:00/0000:05:00.0/driver_override vfio-pci ok
sys/bus/pci/drivers/e1000e/unbind 0000:05:00.0 ok
sys/bus/pci/drivers_probe 0000:05:00.0 ok"
like "reserve --now: says both" "$OUT" "0000:05:00.0 detached: e1000e -> vfio-pci.*
.*0000:05:00.0 reserved for vfio-pci from boot on"
is "reserve --now: recorded as detached" "$(state_rows)" "3 0"
run V status
like "status: the NIC's reservation is honoured" "$OUT" "0000:05:00.0  8086:10d3  vfio-pci +honoured this boot"
log_reset
run V unreserve --now 00:1f.3 00:1f.4 05:00.0
is "unreserve --now: exit 0" "$RC" 0
is "unreserve --now: original drivers back (rule 2)" "$(ws_drivers)" "$WS_PRISTINE"
is "unreserve --now: entries gone" "$(cat "$CFG_FILE")" "$before"
is "unreserve --now: nothing recorded any more" "$(state_rows)" "0 0"

# reserve --now that cannot detach: nothing reserved either.
fault "0000:05:00.0 probe nobind"
run V reserve --now --group --timeout 0.2 05:00.0
is "reserve --now, bind fails: exit 1" "$RC" 1
like "reserve --now, bind fails: says why" "$ERR" "did not bind to vfio-pci"
like "reserve --now, bind fails: and that nothing was reserved" "$ERR" "Nothing was reserved either"
is "reserve --now, bind fails: file unchanged" "$(cat "$CFG_FILE")" "$before"
is "reserve --now, bind fails: drivers rolled back" "$(ws_drivers)" "$WS_PRISTINE"
fault clear

# reserve --now killed half way through its detach: recover puts the
# devices back, and the file never said they were reserved (it is written
# once they are detached).
echo 5 >"$SIM/.sim/crash_after"   # killed at 1f.4's unbind: 1f.3 is on vfio-pci
run V reserve --now --group 05:00.0
echo 0 >"$SIM/.sim/crash_after"
is "reserve --now killed during the detach: killed (SIGKILL)" "$RC" 137
is "... 1f.3 was detached when it died" "$(drv 0000:00:1f.3)" vfio-pci
is "... the file is unchanged" "$(cat "$CFG_FILE")" "$before"
run V recover
is "... recover: exit 0" "$RC" 0
is "... recover: drivers back" "$(ws_drivers)" "$WS_PRISTINE"
is "... and nothing is reserved" "$(cat "$CFG_FILE")" "$before"

# --- Malformed files: the message names the file and the line; nothing changes.
malformed() { # DESC LINE-NUMBER EXPECTED-REGEX, file content on stdin
        local desc=$1 line=$2 re=$3 content
        content=$(cat)
        printf '%s\n' "$content" >"$CFG_FILE"
        log_reset
        run V reserve --group 05:00.0
        is "$desc: reserve exits 2" "$RC" 2
        like "$desc: names file and line" "$ERR" "$CFG_FILE:$line: $re"
        is "$desc: file left as it was" "$(cat "$CFG_FILE")" "$content"
        run V boot
        is "$desc: boot exits 2" "$RC" 2
        is "$desc: nothing written" "$(log_get)" ""
}
malformed "unknown key" 4 "unknown key 'drivr'" <<'EOF'
[0000:01:00.0]
id = 10de:1b81
subsystem = 1462:3302
drivr = vfio-pci
EOF
malformed "bad id" 3 "id '10de:1b8' is not VENDOR:DEVICE" <<'EOF'
# hand edited
[0000:01:00.0]
id = 10de:1b8
driver = vfio-pci
EOF
malformed "setting before any section" 1 "'driver = vfio-pci' comes before the first \[ADDRESS\]" <<'EOF'
driver = vfio-pci
[0000:01:00.0]
EOF
malformed "duplicate device" 5 "0000:01:00.0 is reserved twice" <<'EOF'
[0000:01:00.0]
id = 10de:1b81
driver = vfio-pci

[01:00.0]
id = 10de:1b81
driver = vfio-pci
EOF
malformed "missing driver (the section's line)" 2 "\[0000:01:00.0\] has no 'driver = NAME' line" <<'EOF'

[0000:01:00.0]
id = 10de:1b81

[0000:01:00.1]
id = 10de:10f0
driver = vfio-pci
EOF
malformed "bad section" 1 "'\[gpu\]' does not name a PCI address" <<'EOF'
[gpu]
EOF
malformed "bad member" 4 "member 0000:00:01.0: 'x' is not VENDOR:DEVICE" <<'EOF'
[0000:01:00.0]
id = 10de:1b81
driver = vfio-pci
member = 0000:00:01.0 x
EOF
malformed "driver name with a slash" 3 "driver '../vfio' is not a driver name" <<'EOF'
[0000:01:00.0]
id = 10de:1b81
driver = ../vfio
EOF
run V list
is "malformed: list still works (exit 0)" "$RC" 0
like "malformed: list warns why reservations are not shown" "$ERR" "warning: reservations not shown: $CFG_FILE:3:"
printf '%s\n' "$before" >"$CFG_FILE"

# --- The folder must be trusted: root's, writable by nobody else.
chmod 0777 "$CFG"
run V reserve --group 05:00.0
is "world-writable folder: refused (exit 1)" "$RC" 1
like "world-writable folder: says so and how to fix it" "$ERR" \
        "configuration folder $CFG can be written by every user \(mode 0777\).*chmod go-w $CFG"
run V boot
is "world-writable folder: boot refuses too (exit 1)" "$RC" 1
chmod 0755 "$CFG"
chown 65534 "$CFG"
run V reserve --group 05:00.0
is "folder of another user: refused (exit 1)" "$RC" 1
like "folder of another user: names the owner" "$ERR" "configuration folder $CFG is owned by uid 65534, not by root"
chown 0 "$CFG"
chmod 0666 "$CFG_FILE"
run V reserve --group 05:00.0
is "group/world-writable file: refused (exit 1)" "$RC" 1
like "writable file: says so" "$ERR" "$CFG_FILE can be written by every user"
chmod 0644 "$CFG_FILE"
is "untrusted: file unchanged" "$(cat "$CFG_FILE")" "$before"

# Not writable (root without CAP_DAC_OVERRIDE, as a confined admin tool would be).
chmod 0555 "$CFG"
run setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search -- \
        "$VFIOCTL" --root "$SIM" --state-dir "$T/state" --config-dir "$CFG" reserve --group 05:00.0
is "unwritable folder: refused (exit 1)" "$RC" 1
like "unwritable folder: clear error" "$ERR" "the configuration folder $CFG is not writable \(Permission denied\)"
like "unwritable folder: says where else" "$ERR" "--config-dir DIR"
chmod 0755 "$CFG"
is "unwritable: file unchanged" "$(cat "$CFG_FILE")" "$before"

# A configuration folder that does not exist yet is created on first reserve.
run "$VFIOCTL" --root "$SIM" --state-dir "$T/state" --config-dir "$T/new-etc" reserve --group 01:00.0
is "missing folder: created on reserve (exit 0)" "$RC" 0
is "missing folder: created 0755" "$(stat -c %a "$T/new-etc")" 755
run "$VFIOCTL" --root "$SIM" --state-dir "$T/state2" --config-dir "$T/none" boot
is "boot without any folder: nothing to do (exit 0)" "$RC" 0
check "boot without any folder: no state created" test ! -e "$T/state2"
run env VFIOCTL_CONFIG_DIR="$CFG" "$VFIOCTL" --root "$SIM" --state-dir "$T/state" status
like "VFIOCTL_CONFIG_DIR names the folder" "$OUT" "Reserved from boot on \($CFG_FILE\)"

done_testing
