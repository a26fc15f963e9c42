#!/bin/bash
# Rule 10, a PF with VFs enabled: VFs are counted from the virtfnN links,
# never from sriov_numvfs (its read takes the PF's device lock and hangs
# while an unbind of the PF is blocked: the sim models that).
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount sriov-server
PF=0000:41:00.0
P=$SIM/sys/bus/pci/devices
echo 2 >"$P/$PF/sriov_numvfs"

# An unbind of the PF blocked (a user holds it): sriov_numvfs reads wait.
fault "$PF unbind block=held"
(echo $PF >"$P/$PF/driver/unbind") 2>/dev/null &
unbinder=$!
for _ in $(seq 50); do grep -q "^$PF waiting=1" "$SIM/.sim/release" && break; sleep 0.1; done
like "the sim: an unbind of the PF is blocked" "$(cat "$SIM/.sim/release")" "^$PF waiting=1"
run timeout 1 cat "$P/$PF/sriov_numvfs"
is "the sim: reading sriov_numvfs waits behind it (device lock)" "$RC" 124
run timeout 5 "$VFIOCTL" --root "$SIM" --state-dir "$T/state" show $PF
is "show PF during the blocked unbind: does not hang" "$RC" 0
like "show PF: VFs counted from virtfn links" "$OUT" "2 of 8 VFs enabled: 0000:41:02.0, 0000:41:02.1"
run timeout 5 "$VFIOCTL" --root "$SIM" --state-dir "$T/state" --json show $PF
is "show --json PF: does not hang" "$RC" 0
is "show --json PF: sriov_numvfs from the links" \
        "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"]["sriov_numvfs"])' 2>&1)" 2
run timeout 5 "$VFIOCTL" --root "$SIM" --state-dir "$T/state" list --all
is "list --all during the blocked unbind: does not hang" "$RC" 0
echo $PF >"$SIM/.sim/release"
wait $unbinder
fault clear
is "after the release the unbind completed" "$(drv $PF)" -



# Rule 10, detaching a PF: its VFs leave the host with it. (A copy of the
# server whose X710 interface is down, so that only rule 10 stands in the way.)
sim_unmount "$SIM"
sed 's/"operstate": "up", "address": "3c:fd/"operstate": "down", "address": "3c:fd/' \
        "$HOSTS/sriov-server.json" >"$T/server.json"
sim_mount "$T/server.json"
rm -rf "$T/state"
P=$SIM/sys/bus/pci/devices
echo 2 >"$P/$PF/sriov_numvfs"
vfs() { ls "$P/$PF" | grep -c '^virtfn'; }

run V show $PF
like "show PF: its VFs leave the host" "$OUT" "Detaching $PF removes its 2 VFs .* unless --force"
like "show PF: names them" "$OUT" "0000:41:02.1: VF of $PF \(on iavf\): removed with it"
run V --json show $PF
is "show --json PF: verdict and VFs" "$(printf '%s' "$OUT" | python3 -c 'import json,sys
d=json.load(sys.stdin); print(d["sriov_verdict"], " ".join(v["address"] for v in d["sriov_vfs_leave"]))')" \
        "force 0000:41:02.0 0000:41:02.1"

log_reset
run V detach $PF
is "detach PF with VFs: refused (exit 1)" "$RC" 1
like "detach PF: says the VFs go" "$ERR" "detaching $PF removes its 2 VFs"
is "detach PF: nothing written" "$(log_get)" ""

run V detach 41:02.1
is "a VF detached" "$RC $(drv 0000:41:02.1)" "0 vfio-pci"
log_reset
run V detach --force $PF
is "detach --force PF while a VF is detached: refused" "$RC" 1
like "detach --force PF: names the VF" "$OUT$ERR" "0000:41:02.1.*VF of $PF, detached"
is "detach --force PF: nothing written" "$(log_get)" ""
show_out=$(V show $PF)
like "show PF: the detached VF stands in the way" "$show_out" "refuses while one is owned, detached or in use"
V reattach 41:02.1 >/dev/null

log_reset
run V detach --force $PF
is "detach --force PF: exit 0" "$RC:$ERR" "0:"
is "detach --force PF: the three writes, nothing else" "$(log_get)" \
"sys/devices/pci0000:00/$PF/driver_override vfio-pci ok
sys/bus/pci/drivers/i40e/unbind $PF ok
sys/bus/pci/drivers_probe $PF ok"
is "detach --force PF: on vfio-pci, its VFs gone" "$(drv $PF) $(vfs)" "vfio-pci 0"

log_reset
run V reattach $PF
is "reattach PF: exit 0" "$RC:$ERR" "0:"
like "reattach PF: sriov_numvfs restored through the kernel" "$(log_get)" \
        "sys/devices/pci0000:00/$PF/sriov_numvfs 2 ok"
is "reattach PF: on i40e with its 2 VFs on iavf" "$(drv $PF) $(vfs) $(drv 0000:41:02.0) $(drv 0000:41:02.1)" \
        "i40e 2 iavf iavf"
is "reattach PF: nothing left in the state" "$(state_rows)" "0 0"

# A VF owned by a guest: the PF is refused even with --force.
cat >"$T/g.xml" <<'XML'
<domain><name>g</name><os><type arch='x86_64' machine='q35'>hvm</type></os><devices>
  <hostdev mode='subsystem' type='pci' managed='yes'><source>
    <address domain='0x0000' bus='0x41' slot='0x02' function='0x0'/></source></hostdev>
</devices></domain>
XML
run V assign g --xml "$T/g.xml"
is "a VF assigned" "$RC $(drv 0000:41:02.0)" "0 vfio-pci"
log_reset
run V detach --force $PF
is "detach --force PF with a VF owned: refused" "$RC" 1
like "detach --force PF: names the guest" "$OUT$ERR" "0000:41:02.0.*assigned to guest 'g'"
is "detach --force PF: nothing written" "$(log_get)" ""
V release g >/dev/null


done_testing
