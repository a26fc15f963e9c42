# shellcheck shell=bash
# Scenario 21 (README.md "Scenarios"): a VF's MAC and VLAN through its PF
# (issue 9, rule 10). A guest takes a VF of an igb PF from a <pf dev>
# pool with <mac address> and <vlan><tag id='42'/>: `ip link show PF`
# shows that VF with the MAC and vlan 42 once it is on vfio-pci; release
# gives it back with the MAC and VLAN it had.
SCENARIO_TITLE="SR-IOV: a VF from a <pf dev> pool gets its MAC and VLAN through the PF; release puts them back"
SCENARIO_REQUIRES=igb
SCENARIO_TIMEOUT=180

S21_PF_IDS=0x8086:0x10c9
S21_MAC=52:54:00:4a:21:01

s21_pf() {
        local d
        for d in $(all_devices); do
                [ "$(vendev "$d")" = "$S21_PF_IDS" ] && { echo "$d"; return; }
        done
}
s21_vf() { local l; l=$(readlink "$SYS/devices/$1/virtfn$2") && echo "${l##*/}"; }
# s21_vfline IF N: what `ip link show IF` says of VF N (its "vf N" line).
s21_vfline() { ip link show "$1" | sed -n "s/^ *vf $2 *//p"; }
s21_mac() { s21_vfline "$1" "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
# ip prints no "vlan" for an untagged VF: that is vlan 0.
s21_vlan() {
        local v
        v=$(s21_vfline "$1" "$2" | sed -n 's/.*, vlan \([0-9]*\).*/\1/p')
        echo "${v:-0}"
}

s21_write_xml() {
        mkdir -p /tmp/s21
        cat >/tmp/s21/pool.xml <<EOF
<network><name>s21pool</name>
  <forward mode='hostdev' managed='yes'><driver name='vfio'/><pf dev='$1'/></forward>
</network>
EOF
        cat >/tmp/s21/g.xml <<EOF
<domain type='kvm'><name>s21</name>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <interface type='network'>
      <mac address='$2'/>
      <source network='s21pool'/>
      <vlan><tag id='42'/></vlan>
    </interface>
  </devices>
</domain>
EOF
}

scenario() {
        local pf ifn vf0 mac0 vlan0 line
        pf=$(s21_pf)
        check "s21: an igb PF" test -n "$pf"
        [ -n "$pf" ] || return 0
        vf sriov "$pf" 2
        is "s21: sriov $pf 2 (host driver) exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || { vf_show; return 0; }
        ifn=$(ls "$SYS/devices/$pf/net" 2>/dev/null | head -n 1)
        check "s21: $pf has a network interface" test -n "$ifn"
        [ -n "$ifn" ] || return 0
        vf0=$(s21_vf "$pf" 0)
        # What the VF has before is the admin's: release must put exactly that back.
        ip link set "$ifn" vf 0 mac 52:54:00:4a:21:aa vlan 7
        is "s21: VF 0 set by hand first (ip link set $ifn vf 0 mac ... vlan 7)" "$?" 0
        mac0=$(s21_mac "$ifn" 0)
        vlan0=$(s21_vlan "$ifn" 0)
        note "s21: $ifn VF 0 ($vf0) before: $(s21_vfline "$ifn" 0)"
        is "s21: ip link show $ifn: VF 0 has it" "$mac0 $vlan0" "52:54:00:4a:21:aa 7"
        s21_write_xml "$ifn" "$S21_MAC"

        vf --json assign s21 --xml /tmp/s21/g.xml --network /tmp/s21/pool.xml
        is "s21: assign from the pool exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || { vf_show; return 0; }
        is "s21: the pool's first VF ($vf0) is on vfio-pci" "$(drv "$vf0")" vfio-pci
        line=$(s21_vfline "$ifn" 0)
        note "s21: $ifn VF 0 assigned: $line"
        is "s21: ip link show $ifn: VF 0 has the guest's MAC" "$(s21_mac "$ifn" 0)" "$S21_MAC"
        is "s21: ip link show $ifn: VF 0 is on vlan 42" "$(s21_vlan "$ifn" 0)" 42
        is "s21: assign --json vf_net: pf, vf, mac, vlan, applied, original" \
                "$(jq -c '.vf_net[0] | [.address, .pf, .vf, .mac, .vlan, .applied, .original_mac, .original_vlan]' "$OUT/vf.out")" \
                "[\"$vf0\",\"$ifn\",0,\"$S21_MAC\",42,true,\"$mac0\",$vlan0]"
        vf --json status s21
        is "s21: status --json: the guest's vf_net, applied" \
                "$(jq -c '.guests[0].vf_net[0] | [.address, .mac, .vlan, .applied]' "$OUT/vf.out")" \
                "[\"$vf0\",\"$S21_MAC\",42,true]"

        vf release s21
        is "s21: release exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        note "s21: $ifn VF 0 released: $(s21_vfline "$ifn" 0)"
        is "s21: VF 0 has its MAC back" "$(s21_mac "$ifn" 0)" "$mac0"
        is "s21: VF 0 has its VLAN back" "$(s21_vlan "$ifn" 0)" "$vlan0"
        is "s21: VF 0 is back on igbvf" "$(drv "$vf0")" igbvf
        is "s21: no vf_net row left" "$(sqlite3 "$STATE_DIR/state.db" 'SELECT count(*) FROM vf_net' 2>&1)" 0
}

scenario_cleanup() {
        local pf
        pf=$(s21_pf)
        [ -n "$pf" ] || return 0
        "$VFIOCTL" --root / --state-dir "$STATE_DIR" release s21 >/dev/null 2>&1
        "$VFIOCTL" --root / --state-dir "$STATE_DIR" sriov "$pf" 0 >/dev/null 2>&1
        echo 0 >"$SYS/devices/$pf/sriov_numvfs" 2>/dev/null
        return 0
}
