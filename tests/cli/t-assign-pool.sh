#!/bin/bash
# Rule 8 on the SR-IOV server: a pool by <pf dev='enp65s0f0'/> (found
# through sys/class/net) hands out the X710's VFs to three guests in turn,
# says clearly when it is exhausted, takes a VF back at release, and the
# guests' arguments come back later without the network files.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount sriov-server

mkdir -p "$T/nets"
cat >"$T/nets/vfpool.xml" <<'XML'
<network>
  <name>vfpool</name>
  <forward mode='hostdev' managed='yes'>
    <driver name='vfio'/>
    <pf dev='enp65s0f0'/>
  </forward>
</network>
XML
cat >"$T/nets/default.xml" <<'XML'
<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/></network>
XML
cat >"$T/list.xml" <<'XML'
<network>
  <name>list</name>
  <forward mode='hostdev' managed='yes'>
    <driver name='vfio' group='auto'/>
    <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x1'/>
  </forward>
</network>
XML
guest() { # NAME MAC-BYTE
        cat >"$T/$1.xml" <<XML
<domain>
  <name>$1</name>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <interface type='network'><source network='default'/><model type='virtio'/></interface>
    <interface type='network'>
      <mac address='52:54:00:00:00:$2'/>
      <source network='vfpool'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x06' function='0x0'/>
    </interface>
  </devices>
</domain>
XML
}
for g in a:01 b:02 c:03 d:04; do guest "${g%:*}" "${g#*:}"; done
vfs() {
        echo "$(drv 0000:41:02.0) $(drv 0000:41:02.1) $(drv 0000:41:02.2)"
}

run V assign a --xml "$T/a.xml" --network "$T/nets/vfpool.xml" --network "$T/nets/default.xml"
is "no VFs yet: exit 1" "$RC" 1
like "no VFs yet: says how to enable them" "$ERR" \
        "network vfpool: <pf dev='enp65s0f0'>: 0000:41:00.0 has no VFs enabled: enable some with 'echo N > /sys/bus/pci/devices/0000:41:00.0/sriov_numvfs'"
echo 3 >"$SIM/sys/bus/pci/devices/0000:41:00.0/sriov_numvfs"
is "3 VFs on iavf" "$(vfs)" "iavf iavf iavf"
log_reset

want=(0000:41:02.0 0000:41:02.1 0000:41:02.2)
i=0
for g in a b c; do
        run V assign $g --xml "$T/$g.xml" --network-dir "$T/nets" --print-qemu-args
        is "guest $g: exit 0" "$RC" 0
        is "guest $g takes ${want[$i]}, the ordinary network left alone" "$OUT" \
                "-device vfio-pci,host=${want[$i]},id=hostdev0,bus=pcie.0,addr=0x6"
        i=$((i + 1))
done
is "the three VFs on vfio-pci" "$(vfs)" "vfio-pci vfio-pci vfio-pci"
is "9 writes, 3 per VF" "$(log_get | wc -l)" 9
run V assign d --xml "$T/d.xml" --network-dir "$T/nets"
is "pool exhausted: exit 1" "$RC" 1
like "pool exhausted: says so, and who has them" "$ERR" \
        "network 'vfpool' has no free function left: all 3 are taken: 0000:41:02.0 \(a\), 0000:41:02.1 \(b\), 0000:41:02.2 \(c\)"

rm -r "$T/nets.gone" 2>/dev/null; mv "$T/nets" "$T/nets.gone"
is "qemu-args without the network files" "$(V qemu-args b)" \
        "-device vfio-pci,host=0000:41:02.1,id=hostdev0,bus=pcie.0,addr=0x6"
mv "$T/nets.gone" "$T/nets"
like "status: b owns its VF" "$(V status b)" "0000:41:02.1 +[0-9]+ +assigned +vfio-pci +iavf +b"

run V release b
is "release b: its VF back on iavf" "$RC $(vfs)" "0 vfio-pci iavf vfio-pci"
run V assign d --xml "$T/d.xml" --network-dir "$T/nets" --print-qemu-args
is "d now takes the VF b gave back" "$OUT" "-device vfio-pci,host=0000:41:02.1,id=hostdev0,bus=pcie.0,addr=0x6"
for g in a c d; do V release $g >/dev/null 2>&1; done
is "all released: every VF on iavf, nothing recorded" "$(vfs) $(state_rows)" "iavf iavf iavf 0 0"

# --- An address-list pool naming one port of the dual-port I350: rule 7
# holds for pools too (the port is a function of a multifunction device).
cat >"$T/e.xml" <<'XML'
<domain><name>e</name><devices>
  <interface type='network'><source network='list'/></interface>
</devices></domain>
XML
log_reset
run V assign e --xml "$T/e.xml" --network "$T/list.xml"
is "address pool with half a multifunction device: exit 2" "$RC" 2
like "address pool with half a multifunction device: names the other port" "$ERR" \
        "line 2: <interface type='network'>: 0000:03:00.1 is a function of multifunction device 0000:03:00, and its other function 0000:03:00.0 is not in the definition"
is "nothing written" "$(log_get)" ""
run V assign e --xml "$T/e.xml"
is "a network nobody defined is an ordinary one (issue 10 item 10): exit 0" "$RC" 0
like "a network nobody defined: a note says how to give a pool" "$ERR" \
        "note: line 2: <interface type='network'>: network 'list' is an ordinary network or is not defined here, so vfioctl gives this interface no device \(libvirt connects it\); if it is a hostdev pool, give its XML with --network FILE"
is "a network nobody defined: nothing written, nothing owned" "$(log_get) $(state_rows)" " 0 0"
cat >"$T/dump.xml" <<'XML'
<domain type='kvm'><name>dump</name><devices>
  <interface type='network'><mac address='52:54:00:6b:3c:58'/><source network='default'/><model type='virtio'/><address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></interface>
  <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></hostdev>
  <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x1'/></source></hostdev>
</devices></domain>
XML
run V --dry-run assign dump --xml "$T/dump.xml" --print-qemu-args
is "virsh dumpxml with network 'default' (issue 10 item 10): exit 0" "$RC" 0
like "... the hostdevs get their devices" "$OUT" "vfio-pci,host=0000:03:00.0,id=hostdev0 -device vfio-pci,host=0000:03:00.1,id=hostdev1"

done_testing
