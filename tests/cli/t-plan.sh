#!/bin/bash
# Planning defects of issue 8 (assign, detach and reattach decisions), each
# section named for the DESIGN §3 rule it pins.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

# admin_vfio ADDR DRIVER: what vfio-pci.ids= or driverctl leave behind.
admin_vfio() {
        echo vfio-pci >"$SIM/sys/bus/pci/devices/$1/driver_override"
        echo "$1" >"$SIM/sys/bus/pci/drivers/$2/unbind"
        echo "$1" >"$SIM/sys/bus/pci/drivers_probe"
}
# role ADDR: the role and found flag status --json gives a device row.
role() {
        V --json status | python3 -c '
import json,sys
d=[d for d in json.load(sys.stdin)["devices"] if d["address"]==sys.argv[1]]
print(d[0]["role"], d[0]["found_detached"]) if d else print("-")' "$1"
}

sim_mount workstation

# --- Rule 11: a sibling found on a stub vfioctl did not put there is held
# as "found": owned with the group, never detached or reattached.
admin_vfio 0000:00:1f.4 intel-spi
log_reset
run V --dry-run assign g1 05:00.0 --group auto
is "rule 11 found sibling: dry run exit 0" "$RC" 0
dry_writes=$(printf '%s\n' "$OUT" | grep -c '^echo')
run V assign g1 05:00.0 --group auto
is "rule 11 found sibling: assign exit 0" "$RC" 0
is "rule 11 found sibling: dry run and the real run make the same writes" \
        "$(log_get | wc -l)" "$dry_writes"
is "rule 11 found sibling: no write touches it" "$(log_get | grep -c 1f.4)" 0
is "rule 11 found sibling: held, recorded as found" "$(role 0000:00:1f.4)" "held True"
is "rule 11 found sibling: no operation left pending" "$(state_rows)" "3 0"
log_reset
run V release g1
is "rule 11 found sibling: release exit 0" "$RC" 0
is "rule 11 found sibling: release leaves it on vfio-pci" \
        "$(drv 0000:00:1f.4)/$(ovr 0000:00:1f.4)" "vfio-pci/vfio-pci"
is "rule 11 found sibling: release never writes to it" "$(log_get | grep -c 1f.4)" 0
is "rule 11 found sibling: the others are back" "$(drv 0000:05:00.0) $(drv 0000:00:1f.3)" \
        "e1000e i801_smbus"

# --unmanaged: the admin detached the rest; nothing is written at all.
run V detach 00:1f.3 05:00.0 --group
is "rule 11 found sibling, unmanaged: detach the rest first" "$RC" 0
log_reset
run V assign g2 05:00.0 --unmanaged
is "rule 11 found sibling, unmanaged: exit 0" "$RC" 0
is "rule 11 found sibling, unmanaged: nothing written" "$(log_get)" ""
is "rule 11 found sibling, unmanaged: no operation left pending" \
        "$(V --json status | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["pending"]))')" 0
run V release g2
run V reattach --group 05:00.0
is "rule 11 found sibling: host as before but the admin's device" "$(ws_drivers)" \
        "${WS_PRISTINE/0000:00:1f.4=intel-spi\/(null)/0000:00:1f.4=vfio-pci/vfio-pci}"

# --- Rule 6 refusal text names the device asked for, not freed memory
# (a sibling found on a stub moved the member list under the message).
run V assign g1 05:00.0
is "rule 6 refusal beside a found sibling: exit 1" "$RC" 1
like "rule 6 refusal beside a found sibling: names the device" "$ERR" \
        "^vfioctl: cannot assign 0000:05:00.0: IOMMU group 8 also holds 1 device"
run V assign g1 05:00.0 --unmanaged
is "rule 5 unmanaged refusal beside a found sibling: exit 1" "$RC" 1
like "rule 5 unmanaged refusal beside a found sibling: names the device" "$ERR" \
        "^vfioctl: 0000:05:00.0 is managed='no', but IOMMU group 8 is not viable"
like "rule 5 unmanaged refusal beside a found sibling: the blocking member below it" "$ERR" \
        "^  0000:00:1f.3 \(SMBus, i801_smbus\)"
like "rule 5 unmanaged refusal beside a found sibling: the way out after the members" "$ERR" \
        "^Detach them first \('vfioctl detach --group 0000:05:00.0'\), or make the hostdev managed='yes'"
is "refusals change nothing" "$(state_rows)" "0 0"

# --- Rule 11: a stale driver_override=vfio-pci on a device that is on its
# host driver is cleared when it goes back (reattach and release).
echo vfio-pci >"$SIM/sys/bus/pci/devices/0000:01:00.1/driver_override"
run V detach 01:00.0 01:00.1
is "rule 11 stale override: detach exit 0" "$RC" 0
log_reset
run V reattach 01:00.0 01:00.1
is "rule 11 stale override: reattach exit 0" "$RC" 0
is "rule 11 stale override: back on the host driver, override cleared" \
        "$(drv 0000:01:00.1)/$(ovr 0000:01:00.1)" "snd_hda_intel/(null)"
like "rule 11 stale override: the override is cleared before the bind" "$(log_get)" \
        "0000:01:00.1/driver_override  ok"
echo vfio-pci >"$SIM/sys/bus/pci/devices/0000:01:00.1/driver_override"
run V assign g3 01:00.0 01:00.1
is "rule 11 stale override: assign exit 0" "$RC" 0
run V release g3
is "rule 11 stale override: release exit 0" "$RC" 0
is "rule 11 stale override: release clears it too" \
        "$(drv 0000:01:00.1)/$(ovr 0000:01:00.1)" "snd_hda_intel/(null)"

# --- Rule 11: stubs only. A host driver is refused with the stubs loaded.
log_reset
run V detach --driver e1000e 05:00.0 --group
is "rule 11 host driver as --driver: exit 2" "$RC" 2
like "rule 11 host driver as --driver: says so, lists the stubs" "$ERR" \
        "e1000e is a host driver, not a stub.*Loaded stub drivers: pci-stub, vfio-pci"
is "rule 11 host driver as --driver: nothing written" "$(log_get)" ""
cat >"$T/model.xml" <<XML
<domain type='kvm'><name>m</name><devices>
  <hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio' model='nouveau'/>
    <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>
  <hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio' model='nouveau'/>
    <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source></hostdev>
</devices></domain>
XML
run V assign m --xml "$T/model.xml"
is "rule 11 host driver as <driver model>: exit 2" "$RC" 2
like "rule 11 host driver as <driver model>: says so" "$ERR" \
        "line 2: <hostdev>: <driver model='nouveau'>: nouveau is a host driver, not a stub"
sed -i "s/model='nouveau'/model='pci-stub'/" "$T/model.xml"
run V assign m --xml "$T/model.xml"
is "rule 11 hold-only stub as <driver model>: exit 2" "$RC" 2
like "rule 11 hold-only stub as <driver model>: QEMU needs vfio" "$ERR" \
        "pci-stub only holds a device; QEMU takes devices through VFIO"
is "rule 11 <driver model> refusals: nothing written, nothing recorded" "$(log_get) $(state_rows)" " 0 0"

# A vfio variant is known by its vfio_pci: module aliases before it binds anything.
sim_mount compat
run V --dry-run detach --driver vfio-pci-igb 0001:01:00.0 0001:01:00.1
is "rule 11 vfio variant (modules.alias) as --driver: exit 0" "$RC" 0
like "rule 11 vfio variant: the override names it" "$OUT" \
        "echo 'vfio-pci-igb' > /sys/bus/pci/devices/0001:01:00.0/driver_override"
run V detach --driver igb 0001:01:00.0 0001:01:00.1
is "rule 11 the variant's host twin igb: exit 2" "$RC" 2
like "rule 11 ... lists the variant among the stubs" "$ERR" "Loaded stub drivers: .*vfio-pci-igb"

# --- Rule 11: a device in no IOMMU group is refused for vfio up front.
cat >"$T/nogroup.json" <<'JSON'
{"iommu": true,
 "drivers": [{"name": "e1000", "ids": ["8086:100e"]}, {"name": "vfio-pci"}, {"name": "pci-stub"},
             {"name": "pcieport"}],
 "devices": [
  {"address": "0000:00:02.0", "vendor": "0x1b36", "device": "0x000c", "class": "0x060400",
   "header_type": 1, "driver": "pcieport", "group": 0, "secondary_bus": 1},
  {"address": "0000:01:00.0", "vendor": "0x1b36", "device": "0x000e", "class": "0x060400",
   "header_type": 1, "driver": null, "group": null, "secondary_bus": 2},
  {"address": "0000:02:01.0", "vendor": "0x8086", "device": "0x100e", "class": "0x020000",
   "driver": "e1000", "group": null},
  {"address": "0000:00:03.0", "vendor": "0x8086", "device": "0x100e", "class": "0x020000",
   "driver": "e1000", "group": 1}]}
JSON
sim_mount "$T/nogroup.json"
run V --dry-run detach 02:01.0
is "rule 11 no IOMMU group: dry run refused, exit 1" "$RC" 1
like "rule 11 no IOMMU group: says why" "$ERR" \
        "0000:02:01.0 is in no IOMMU group: the IOMMU does not cover it"
log_reset
SECONDS=0
run V detach 02:01.0
is "rule 11 no IOMMU group: detach refused, exit 1" "$RC" 1
is "rule 11 no IOMMU group: nothing written" "$(log_get)" ""
check "rule 11 no IOMMU group: refused at once, not after a timeout" test "$SECONDS" -lt 3
run V assign ng 02:01.0
is "rule 11 no IOMMU group: assign refused, exit 1" "$RC" 1
like "rule 11 no IOMMU group: assign says why" "$ERR" "0000:02:01.0 is in no IOMMU group"
run V detach --driver kvm 02:01.0
is "rule 11 no IOMMU group: a pci-stub hold still works" "$RC.$(drv 0000:02:01.0)" "0.pci-stub"
run V detach 00:03.0
is "rule 11 no IOMMU group: a device with a group is not affected" "$RC.$(drv 0000:00:03.0)" "0.vfio-pci"

# --- Rule 7 is scoped to the IOMMU group.
sim_mount workstation
run V --dry-run assign onboard 00:1f.6
is "rule 7 scoped to the group: 00:1f.6 (group 7) is not refused for 1f.0-.4 (group 8)" \
        "$(printf '%s' "$ERR" | grep -c 'not in the definition')" 0
like "rule 7 scoped to the group: only the safety rule stands in its way (eno1)" "$ERR" \
        "eno1 holds the default route"
run V --dry-run assign half 00:1f.3 --group auto
is "rule 7 within the group still holds: exit 2" "$RC" 2
like "rule 7 within the group: names the missing functions of the group only" "$ERR" \
        "its other functions 0000:00:1f.0, 0000:00:1f.4 are not in the definition"

# A PF whose VFs sit in its own slot (41:00.2-.5), each VF in its own group.
python3 - "$HOSTS/sriov-server.json" "$T/vfslot.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
for d in t["devices"]:
    if d["address"] == "0000:41:00.0":
        d.update(vf_offset=2, vf_stride=1, multifunction=True, vf_group_start=20)
        d["net"][0]["operstate"] = "down"
    if d["address"] == "0000:03:00.1":
        d["group"] = 8          # the I350's ports, each in its own group (ACS)
json.dump(t, open(sys.argv[2], "w"))
PY
sim_mount "$T/vfslot.json"
echo 4 >"$SIM/sys/bus/pci/devices/0000:41:00.0/sriov_numvfs"
check "rule 7: VFs 41:00.2-.5 sit in the PF's slot" test -e "$SIM/sys/bus/pci/devices/0000:41:00.5/physfn"
run V --dry-run assign vf 41:00.3
is "rule 7: a VF in the PF's slot is assigned alone" "$RC" 0
run V --dry-run assign pf 41:00.0
unlike_rule7=$(printf '%s' "$ERR" | grep -c "not in the definition")
is "rule 7: the PF is not refused because of its VFs" "$unlike_rule7" 0

# A pool of multifunction ports, each in its own group, hands them out.
cat >"$T/ports.xml" <<'XML'
<network><name>ports</name><forward mode='hostdev' managed='yes'><driver name='vfio'/>
  <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>
  <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x1'/>
</forward></network>
XML
for g in p1 p2; do
        printf "<domain><name>%s</name><devices><interface type='network'><source network='ports'/></interface></devices></domain>\n" $g >"$T/$g.xml"
done
run V assign p1 --xml "$T/p1.xml" --network "$T/ports.xml"
is "rule 7: pool of ports in their own groups: the first guest gets one" "$RC" 0
run V assign p2 --xml "$T/p2.xml" --network "$T/ports.xml"
is "rule 7: ... and the second guest the other" "$RC" 0
is "rule 7: both ports on vfio-pci" "$(drv 0000:03:00.0) $(drv 0000:03:00.1)" "vfio-pci vfio-pci"
V release p1 >/dev/null 2>&1; V release p2 >/dev/null 2>&1

# --- --pid names a live process; without one "alive" is unknown.
sim_mount workstation
sleep 0 & gone=$!
wait $gone
log_reset
run V assign g 01:00.0 01:00.1 --pid "$gone"
is "--pid of a process that does not exist: exit 2" "$RC" 2
like "--pid of a process that does not exist: says so" "$ERR" "there is no process $gone"
is "--pid of a process that does not exist: nothing written" "$(log_get)" ""
run V assign g 01:00.0 01:00.1
is "status --json without a pid: \"alive\" is null, not true" \
        "$(V --json status | python3 -c 'import json,sys; g=json.load(sys.stdin)["guests"][0]; print(g["pid"], g["alive"])')" \
        "None None"
V release g >/dev/null 2>&1

# --- Issue 14 item 8: --xml with a NUL byte is refused, not cut short.
printf "<domain><name>nul</name><devices>\n<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>\0<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source></hostdev></devices></domain>\n" >"$T/nul.xml"
log_reset
run V assign nul --xml "$T/nul.xml"
is "--xml with a NUL byte: exit 2" "$RC" 2
like "--xml with a NUL byte: says where" "$ERR" "nul.xml: contains a NUL byte \(at offset [0-9]+\)"
is "--xml with a NUL byte: nothing written" "$(log_get)" ""

# --- Rule 4: nothing in a group another guest owns is changed by detach.
run V assign A 05:00.0 --group auto
is "rule 4: guest A owns group 8" "$RC" 0
log_reset
run V detach 00:1f.0
is "rule 4: detach of a member of A's group: refused, exit 1" "$RC" 1
like "rule 4: ... names the group and its owner" "$ERR" \
        "0000:00:1f.0 is in IOMMU group 8, which belongs to guest 'A'"
run V detach --driver e1000e 00:1f.0
is "rule 4/11: a host driver into A's group: refused" "$RC" 2
is "rule 4: nothing written, A's group still viable" "$(log_get)|$(drv 0000:00:1f.0)" "|-"
V release A >/dev/null 2>&1

# --- Rule 4 (issue 14 item 5): a device's own row is authoritative and
# group numbers come from sysfs, not from the state.
sim_mount sriov-server
D=$SIM/sys/bus/pci/devices
echo 2 >"$D/0000:03:00.0/sriov_numvfs"
run V assign A 03:10.0
is "rule 4 moved groups: A has VF 03:10.0 (group 8)" "$RC.$(basename "$(readlink "$D/0000:03:10.0/iommu_group")")" "0.8"
echo 0 >"$D/0000:03:00.0/sriov_numvfs"
echo 1 >"$D/0000:03:00.1/sriov_numvfs"
echo 2 >"$D/0000:03:00.0/sriov_numvfs"
is "rule 4 moved groups: the numbers moved (03:10.1 now in 8, 03:10.0 in 9)" \
        "$(basename "$(readlink "$D/0000:03:10.1/iommu_group")") $(basename "$(readlink "$D/0000:03:10.0/iommu_group")")" "8 9"
run V assign C 03:10.0
is "rule 4 moved groups: C cannot take the VF A's row owns: exit 1" "$RC" 1
like "rule 4 moved groups: ... named with its group now" "$ERR" \
        "0000:03:10.0 cannot be given to guest 'C': its IOMMU group 9 belongs to guest 'A'"
run V assign B 03:10.1
is "rule 4 moved groups: B takes 03:10.1, whose group A's stale number names" "$RC" 0
is "rule 4 moved groups: A's row survives" \
        "$(V --json status | python3 -c 'import json,sys; print(sorted((d["address"], d["owner"]) for d in json.load(sys.stdin)["devices"] if d["owner"]))')" \
        "[('0000:03:10.0', 'A'), ('0000:03:10.1', 'B')]"

# --- Rule 9: active swap counts, in detach and in show alike.
python3 - "$HOSTS/workstation.json" "$T/swap.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
for d in t["devices"]:
    if d["address"] == "0000:00:17.0":      # the SATA controller: a disk with swap only
        d["block"] = [{"name": "sda", "mounts": ["[SWAP]"]}]
json.dump(t, open(sys.argv[2], "w"))
PY
sim_mount "$T/swap.json"
like "rule 9 swap: the sim lists it in proc/swaps" "$(cat "$SIM/proc/swaps")" "^/dev/sda1[[:space:]]+partition"
log_reset
run V detach 00:17.0
is "rule 9 swap: detach of the disk holding active swap refused, exit 1" "$RC" 1
like "rule 9 swap: says so" "$OUT$ERR" "sda is in use as swap"
is "rule 9 swap: nothing written" "$(log_get)" ""
like "rule 9 swap: show says the host depends on it (the same function)" "$(V show 00:17.0)" \
        "vfioctl refuses unless --force"

done_testing
