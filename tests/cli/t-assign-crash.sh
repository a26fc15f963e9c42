#!/bin/bash
# Crash sweep over assign (and release) of the chipset group with
# group='auto': vfioctl killed before its k-th write, for every k, then
# `recover`: the host as before and no ownership left.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount workstation

cat >"$T/nicvm.xml" <<'XML'
<domain>
  <name>nicvm</name>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio' group='auto'/>
      <source><address domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></source>
    </hostdev>
  </devices>
</domain>
XML
ASSIGNED="0000:01:00.0=nouveau/(null) 0000:01:00.1=snd_hda_intel/(null) 0000:02:00.0=nvme/(null) 0000:05:00.0=vfio-pci/vfio-pci 0000:00:1f.3=vfio-pci/vfio-pci 0000:00:1f.4=vfio-pci/vfio-pci 0000:00:1f.0=-/(null) 0000:04:00.0=-/(null) 0000:00:1c.0=pcieport/(null)"
owners() {
        V --json status | python3 -c '
import json,sys
d=json.load(sys.stdin)
print(sum(1 for x in d["devices"] if x["owner"]), len(d["guests"]))'
}

log_reset
run V assign nicvm --xml "$T/nicvm.xml"
n_assign=$(log_get | wc -l)
is "assign of the chipset group makes 9 writes" "$n_assign" 9
log_reset
run V release nicvm
n_release=$(log_get | wc -l)
is "release makes 9 writes" "$n_release" 9

start=$(date +%s%N)
for k in $(seq 1 "$n_assign"); do
        echo "$k" >"$SIM/.sim/crash_after"
        run V assign nicvm --xml "$T/nicvm.xml"
        died=$RC
        run V recover
        is "assign killed at write $k (exit $died), recover: exit 0" "$RC" 0
        is "assign killed at write $k: drivers as before" "$(ws_drivers)" "$WS_PRISTINE"
        is "assign killed at write $k: no rows, no owner, no guest" "$(state_rows) $(owners)" "0 0 0 0"
done
echo "# assign crash sweep: $n_assign kills, $(( ($(date +%s%N) - start) / 1000000 )) ms"

start=$(date +%s%N)
for k in $(seq 1 "$n_release"); do
        run V assign nicvm --xml "$T/nicvm.xml"
        echo "$k" >"$SIM/.sim/crash_after"
        run V release nicvm
        died=$RC
        run V recover
        is "release killed at write $k (exit $died), recover: exit 0" "$RC" 0
        is "release killed at write $k: rolled back to assigned" "$(ws_drivers)" "$ASSIGNED"
        is "release killed at write $k: still owned by nicvm" "$(state_rows) $(owners)" "3 0 3 1"
        run V release nicvm
        is "release killed at write $k: a new release gives all back" "$(ws_drivers)" "$WS_PRISTINE"
done
echo "# release crash sweep: $n_release kills, $(( ($(date +%s%N) - start) / 1000000 )) ms"
echo 0 >"$SIM/.sim/crash_after"
is "in the end: nothing recorded" "$(state_rows) $(owners)" "0 0 0 0"

done_testing
