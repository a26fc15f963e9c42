#!/bin/bash
# Rule 10: a VF's MAC and VLAN from <interface type='hostdev'> (or a <pf
# dev> pool's interface), set through its PF. On the simulated host
# nothing is sent (netlink reaches this machine's own interfaces, never a
# --root tree): the step is planned, shown, recorded and reported as not
# applied. Bad values in the XML are refused with nothing changed. The
# real kernel's side is tests/vm scenario 21.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount sriov-server
P=$SIM/sys/bus/pci/devices
echo 2 >"$P/0000:41:00.0/sriov_numvfs"
DB=$T/state/state.db
rows() { sqlite3 "$DB" "SELECT address, owner, pf, vf, mac, vlan, quote(orig_mac), quote(orig_vlan), status FROM vf_net ORDER BY address" 2>&1; }
links_before=$(ip -o link show 2>&1)

mkdir -p "$T/nets"
cat >"$T/nets/vfpool.xml" <<'XML'
<network><name>vfpool</name>
  <forward mode='hostdev' managed='yes'><driver name='vfio'/><pf dev='enp65s0f0'/></forward>
</network>
XML
# guest_xml NAME INTERFACE-BODY: a domain with one interface.
guest_xml() {
        cat >"$T/$1.xml" <<XML
<domain><name>$1</name><os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
$2
  </devices>
</domain>
XML
}
guest_xml g "    <interface type='network'>
      <mac address='52:54:00:12:34:56'/>
      <source network='vfpool'/>
      <vlan><tag id='42'/></vlan>
    </interface>"

# --- dry run: the step is shown, nothing written or recorded
log_reset
run V --dry-run assign g --xml "$T/g.xml" --network "$T/nets/vfpool.xml"
is "dry run: exit 0" "$RC:$ERR" "0:"
is "dry run: nothing written" "$(log_get)" ""
like "dry run: the MAC/VLAN step, through the PF's interface and the VF's index" "$OUT" \
        "^0000:41:02.0 MAC/VLAN would be set: mac 52:54:00:12:34:56, vlan 42 \(through enp65s0f0 VF 0\)$"
like "dry run: right after the detach" "$(printf '%s\n' "$OUT" | grep -A1 'would detach' | tail -n 1)" "^0000:41:02.0 MAC/VLAN would be set"
run V --dry-run --json assign g --xml "$T/g.xml" --network "$T/nets/vfpool.xml"
is "dry run --json: exit 0" "$RC" 0
is "dry run --json: vf_net" "$(printf '%s' "$OUT" | jq -c '.vf_net')" \
        '[{"address":"0000:41:02.0","pf":"enp65s0f0","vf":0,"mac":"52:54:00:12:34:56","vlan":42,"original_mac":null,"original_vlan":null,"applied":false}]'
is "dry run: no row" "$(test -f "$DB" && rows)" ""

# --- assign: recorded, reported as not applied
log_reset
run V assign g --xml "$T/g.xml" --network "$T/nets/vfpool.xml"
is "assign: exit 0" "$RC:$ERR" "0:"
is "assign: the VF is on vfio-pci" "$(drv 0000:41:02.0)" vfio-pci
is "assign: only the three driver writes" "$(log_get | cut -d' ' -f1 | tr '\n' ' ')" \
        "sys/devices/pci0000:00/0000:41:02.0/driver_override sys/bus/pci/drivers/iavf/unbind sys/bus/pci/drivers_probe "
like "assign: says the MAC/VLAN were not applied, and why" "$OUT" \
        "^0000:41:02.0 MAC/VLAN set: mac 52:54:00:12:34:56, vlan 42 \(through enp65s0f0 VF 0; not applied: the device tree is not this machine's own, and netlink reaches only this machine's interfaces \(recorded only\)\)$"
is "assign: the row (what was set, originals not known, not applied)" "$(rows)" \
        "0000:41:02.0|g|enp65s0f0|0|52:54:00:12:34:56|42|NULL|NULL|not_applied"
run V status g
like "status: the VF's MAC and VLAN, and that they were not applied" "$OUT" \
        "g +0000:41:02.0 +enp65s0f0 VF 0 +52:54:00:12:34:56 +42 +not applied \(not this machine's tree\)"
run V --json status g
is "status --json: the guest's vf_net" "$(printf '%s' "$OUT" | jq -c '.guests[0].vf_net[0] | [.address, .pf, .vf, .mac, .vlan, .applied]')" \
        '["0000:41:02.0","enp65s0f0",0,"52:54:00:12:34:56",42,false]'

# --- a release that fails keeps the guest its VF, and its MAC/VLAN row
fault 0000:41:02.0 bind nobind
run V release g --timeout 1
is "failed release: exit 1" "$RC" 1
is "failed release: the VF is still the guest's, on vfio-pci" "$(drv 0000:41:02.0)" vfio-pci
is "failed release: the row is back as it was, for the next release" "$(rows)" \
        "0000:41:02.0|g|enp65s0f0|0|52:54:00:12:34:56|42|NULL|NULL|not_applied"
like "failed release: the message is the bind's failure" "$ERR" "^vfioctl: 0000:41:02.0 cannot go back to iavf"
like "failed release: the guest's MAC/VLAN set again after the rollback" "$OUT$ERR" \
        "^0000:41:02.0 MAC/VLAN set: mac 52:54:00:12:34:56, vlan 42"
fault clear

# --- release: the row goes; nothing was applied, so nothing is sent
log_reset
run V release g
is "release: exit 0" "$RC" 0
like "release: says there was nothing to put back" "$OUT" \
        "^0000:41:02.0 MAC/VLAN put back: as it was \(through enp65s0f0 VF 0; nothing to put back: it was not applied\)$"
is "release: the VF is back on iavf" "$(drv 0000:41:02.0)" iavf
is "release: no row left" "$(rows)" ""

# --- <interface type='hostdev'> with a MAC only: untagged, as libvirt does
guest_xml h "    <interface type='hostdev' managed='yes'>
      <mac address='52:54:00:AA:00:02'/>
      <source><address type='pci' domain='0x0000' bus='0x41' slot='0x02' function='0x1'/></source>
    </interface>"
run V --json assign h --xml "$T/h.xml"
is "hostdev interface: exit 0" "$RC:$ERR" "0:"
is "hostdev interface: VF 1, MAC in lower case, vlan 0 (untagged)" \
        "$(printf '%s' "$OUT" | jq -c '.vf_net[0] | [.address, .vf, .mac, .vlan]')" '["0000:41:02.1",1,"52:54:00:aa:00:02",0]'
is "hostdev interface: recorded" "$(rows)" "0000:41:02.1|h|enp65s0f0|1|52:54:00:aa:00:02|0|NULL|NULL|not_applied"
run V --json release h
is "hostdev interface: release --json exit 0" "$RC" 0
is "release --json: the net_restored entry" \
        "$(printf '%s' "$OUT" | jq -c '[.devices[] | select(.action == "net_restored") | [.address, .from, .to]]')" \
        '[["0000:41:02.1","mac 52:54:00:aa:00:02, vlan 0",null]]'
is "hostdev interface: no row left" "$(rows)" ""

# --- a pool's own <vlan> tags an interface that gives none (libvirt's order)
cat >"$T/nets/tagged.xml" <<'XML'
<network><name>tagged</name>
  <forward mode='hostdev' managed='yes'><driver name='vfio'/><pf dev='enp65s0f0'/></forward>
  <vlan><tag id='100'/></vlan>
</network>
XML
guest_xml k "<interface type='network'><mac address='52:54:00:00:00:0a'/><source network='tagged'/></interface>"
run V assign k --xml "$T/k.xml" --network "$T/nets/tagged.xml"
is "the network's vlan: exit 0" "$RC:$ERR" "0:"
is "the network's vlan: recorded for the VF" "$(rows)" "0000:41:02.0|k|enp65s0f0|0|52:54:00:00:00:0a|100|NULL|NULL|not_applied"
run V release k
is "the network's vlan: released" "$RC $(rows)" "0 "

# --- bad values: exit 2, nothing written, nothing recorded
refused() { # DESC XML-NAME MESSAGE-REGEX
        log_reset
        run V assign "$2" --xml "$T/$2.xml" --network "$T/nets/vfpool.xml"
        is "$1: exit 2" "$RC" 2
        like "$1: says why" "$ERR" "$3"
        is "$1: nothing written" "$(log_get)" ""
        is "$1: nothing recorded" "$(rows)$(sqlite3 "$DB" 'SELECT name FROM guests')" ""
}
guest_xml m "<interface type='network'><mac address='01:00:5e:00:00:01'/><source network='vfpool'/></interface>"
refused "multicast MAC" m "<mac address='01:00:5e:00:00:01'>: expected a unicast MAC address, found a multicast one"
guest_xml z "<interface type='network'><mac address='00:00:00:00:00:00'/><source network='vfpool'/></interface>"
refused "all-zero MAC" z "the all-zero address is no address a network card can have"
guest_xml x "<interface type='network'><mac address='52:54:00:12:34'/><source network='vfpool'/></interface>"
refused "short MAC" x "not a MAC address"
guest_xml v "<interface type='network'><source network='vfpool'/><vlan><tag id='4096'/></vlan></interface>"
refused "VLAN 4096" v "vlan tag id 4096 too large \(maximum 4095\)"
guest_xml t "<interface type='network'><source network='vfpool'/><vlan trunk='yes'><tag id='4'/><tag id='5'/></vlan></interface>"
refused "VLAN trunk on a hostdev pool" t "vlan trunking is not supported for hostdev interfaces"
# A VLAN for a device that is no VF: there is no PF to set it through.
guest_xml p "<interface type='hostdev' managed='yes'><vlan><tag id='7'/></vlan>
<source><address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></interface>
<interface type='hostdev' managed='yes'>
<source><address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x1'/></source></interface>"
refused "VLAN on a device that is no VF" p "line 3: <interface type='hostdev'>: 0000:03:00.0 is not an SR-IOV VF: a <vlan> is set through a VF's PF, and only VFs have one"
is "no device left on vfio-pci" "$(drv 0000:41:02.0) $(drv 0000:41:02.1) $(drv 0000:03:00.0)" "iavf iavf igb"
# A MAC alone on a whole NIC (libvirt writes one into every interface): noted, not set.
guest_xml n "<interface type='hostdev' managed='yes'><mac address='52:54:00:00:00:09'/>
<source><address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></interface>
<interface type='hostdev' managed='yes'>
<source><address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x1'/></source></interface>"
run V assign n --xml "$T/n.xml"
is "MAC on a whole NIC: assigned (exit 0)" "$RC" 0
is "MAC on a whole NIC: a note says it is not set, and why" "$ERR" \
        "vfioctl: note: line 3: <interface type='hostdev'>: <mac address='52:54:00:00:00:09'> is not set: 0000:03:00.0 is not an SR-IOV VF, so there is no PF to set it through, and the guest's driver uses the card's own address"
is "MAC on a whole NIC: no row" "$(rows)" ""
run V release n
is "MAC on a whole NIC: released" "$RC $(drv 0000:03:00.0)" "0 igb"

# --- recover: a row no guest owns the VF of (an assign that died after
# recording it) goes. One that says 'set' is never sent under --root: it
# is reported with the command that fixes it, and forgotten.
sqlite3 "$DB" "INSERT INTO vf_net VALUES ('0000:41:02.0', 'ghost', 'enp65s0f0', 0, '52:54:00:00:00:07', 7, NULL, NULL, 'not_applied', 0)"
run V recover
is "recover: a not-applied orphan: exit 0" "$RC:$ERR" "0:"
is "recover: the orphan row went" "$(rows)" ""
sqlite3 "$DB" "INSERT INTO vf_net VALUES ('0000:41:02.0', 'ghost', 'eth0', 0, '52:54:00:00:00:07', 7, '02:00:00:00:00:01', 0, 'set', 0)"
log_reset
run V recover
is "recover: a 'set' orphan under --root: exit 3 (attention)" "$RC" 3
like "recover: says it was not sent, and how to fix it by hand" "$ERR" \
        "0000:41:02.0 could NOT be put back .*were not sent: the device tree is not this machine's own.*ip link set eth0 vf 0 mac 02:00:00:00:00:01 vlan 0"
is "recover: the row went" "$(rows)" ""
is "recover: nothing written" "$(log_get)" ""
is "this machine's links are as they were" "$(ip -o link show 2>&1)" "$links_before"

done_testing
