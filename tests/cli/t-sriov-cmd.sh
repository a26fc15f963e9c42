#!/bin/bash
# vfioctl sriov PF N [--driver NAME] (rule 10): autoprobe off first with a
# stub, sriov_numvfs set (via 0 when changing) through the bounded helper,
# the new VFs bound to the stub through the engine and recorded, rollback on
# failure, recover after a crash, and `sriov PF 0` / `reattach PF` removing
# them. Exact write sequences from the sim's log.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount sriov-server
PF=0000:41:00.0
D=sys/devices/pci0000:00
P=$SIM/sys/bus/pci/devices
vfs() { ls "$P/$PF" | grep -c '^virtfn'; }
ap() { cat "$P/$PF/sriov_drivers_autoprobe"; }

log_reset
run V sriov $PF 2 --driver vfio
is "sriov PF 2 --driver vfio: exit 0" "$RC:$ERR" "0:2 of 2 VFs there"
is "sriov: autoprobe off, numvfs, then override+probe per VF" "$(log_by_device)" \
"$D/$PF/sriov_drivers_autoprobe 0 ok
$D/$PF/sriov_numvfs 2 ok
$D/0000:41:02.0/driver_override vfio-pci ok
sys/bus/pci/drivers_probe 0000:41:02.0 ok
$D/0000:41:02.1/driver_override vfio-pci ok
sys/bus/pci/drivers_probe 0000:41:02.1 ok"
is "sriov: VFs on vfio-pci, autoprobe off" "$(vfs) $(drv 0000:41:02.0) $(drv 0000:41:02.1) $(ap)" \
        "2 vfio-pci vfio-pci 0"
like "sriov: progress on stderr while VFs appear" "$ERR" "2 of 2 VFs there"
is "sriov: the VFs recorded, nothing pending" "$(state_rows)" "2 0"
run V status
like "status: the VFs detached by sriov" "$OUT" "0000:41:02.1 .*detached .*vfio-pci .*sriov $PF 2"

log_reset
run V sriov $PF 2 --driver vfio
is "the same again: exit 0, nothing written" "$RC:$(log_get)" "0:"

log_reset
run V sriov $PF 3 --driver vfio
is "changing the count: exit 0" "$RC" 0
like "changing the count: via 0" "$(log_get)" "^$D/$PF/sriov_numvfs 0 ok
$D/$PF/sriov_numvfs 3 ok"
is "changing the count: 3 VFs recorded" "$(vfs) $(state_rows)" "3 3 0"

log_reset
run V sriov $PF 0
is "sriov PF 0: exit 0" "$RC" 0
is "sriov PF 0: numvfs 0, autoprobe back" "$(log_get)" \
"$D/$PF/sriov_numvfs 0 ok
$D/$PF/sriov_drivers_autoprobe 1 ok"
is "sriov PF 0: no VFs, nothing recorded" "$(vfs) $(ap) $(state_rows)" "0 1 0 0"

log_reset
run V --dry-run sriov $PF 2 --driver vfio
is "--dry-run: exit 0, nothing written" "$RC:$(log_get)" "0:"
like "--dry-run: the writes, VFs predicted" "$OUT" "sriov_drivers_autoprobe.*
.*sriov_numvfs.*
.*0000:41:02.0/driver_override.*
.*drivers_probe"

run V --json sriov $PF 1 --driver vfio
is "--json: exit 0" "$RC" 0
is "--json: the VF detached" "$(printf '%s' "$OUT" | python3 -c 'import json,sys
d=json.load(sys.stdin); print(" ".join("%s:%s" % (e["address"], e["action"]) for e in d["devices"]))' 2>&1)" \
        "0000:41:02.0:detached"
log_reset
run V reattach $PF
is "reattach PF: exit 0" "$RC" 0
is "reattach PF: removes the VFs sriov made" "$(log_get)" \
"$D/$PF/sriov_numvfs 0 ok
$D/$PF/sriov_drivers_autoprobe 1 ok"
is "reattach PF: nothing recorded" "$(vfs) $(state_rows)" "0 0 0"

# Without a stub: the host's VF driver takes them, nothing is recorded.
run V sriov $PF 2
is "sriov PF 2: VFs on iavf, not recorded" "$RC $(drv 0000:41:02.1) $(state_rows)" "0 iavf 0 0"
V sriov $PF 0 >/dev/null 2>&1

# Rollback: the second VF binds nothing.
fault "0000:41:02.1 probe nobind"
log_reset
run V sriov $PF 2 --driver vfio --timeout 1
is "a VF that does not bind: exit 1" "$RC" 1
like "says which" "$ERR" "0000:41:02.1"
is "rolled back: no VFs, autoprobe back, nothing recorded" "$(vfs) $(ap) $(state_rows)" "0 1 0 0"
like "rollback writes numvfs 0 and autoprobe 1 last" "$(log_get | tail -2)" \
"$D/$PF/sriov_numvfs 0 ok
$D/$PF/sriov_drivers_autoprobe 1 ok"
fault clear

# Crash: killed at the first VF's override; recover removes the VFs.
echo 3 >"$SIM/.sim/crash_after"
run V sriov $PF 2 --driver vfio
is "killed mid-way" "$RC" 137
is "the journal holds it (the sriov operation and the VFs binding)" "$(state_rows)" "0 2"
run V recover
is "recover: exit 0" "$RC" 0
is "recover: no VFs, autoprobe back, nothing pending" "$(vfs) $(ap) $(state_rows)" "0 1 0 0"

# Crash of `sriov PF 0` while its VFs are on the stub (crash sweep finding):
# recover does not make stub VFs again, so it forgets their rows too
# (before, status listed the 2 gone VFs as detached for ever).
run V sriov $PF 2 --driver vfio
is "2 VFs on vfio-pci, recorded" "$(vfs) $(state_rows)" "2 2 0"
echo 1 >"$SIM/.sim/crash_after"
run V sriov $PF 0
is "sriov PF 0 killed at its first write" "$RC" 137
log_reset
run V recover
is "recover after sriov PF 0: exit 0" "$RC" 0
is "recover: the VFs removed, autoprobe back" "$(log_get)" \
"$D/$PF/sriov_numvfs 0 ok
$D/$PF/sriov_drivers_autoprobe 1 ok"
is "recover: the gone VFs' rows forgotten, nothing pending" "$(vfs) $(ap) $(state_rows)" "0 1 0 0"
like "recover says it rolled the PF back (not: before it changed anything)" "$ERR" \
        "interrupted; rolled back what it changed:
 +$PF put back: i40e"

# The same in a live rollback: 2 VFs on the stub, then 3 whose third will
# not bind: back to no VFs (stub VFs are not made again), and no rows left.
run V sriov $PF 2 --driver vfio
fault 0000:41:02.2 probe nobind
run V sriov $PF 3 --driver vfio --timeout 1
fault clear
is "2 -> 3 VFs, the third does not bind: refused" "$RC" 1
is "rolled back: no VFs, autoprobe back, the gone VFs' rows forgotten" \
        "$(vfs) $(ap) $(state_rows)" "0 1 0 0"

# One VF made on the stub given back on its own (stress finding): it never
# had a host driver and none probes it while autoprobe is off, so reattach
# left it unbound and unrecorded. Refused; the PF's count is what moves it.
run V sriov $PF 2 --driver vfio
log_reset
run V reattach 41:02.0
is "reattach of a VF sriov made on vfio-pci: refused" "$RC" 1
like "... says why and what to do" "$ERR" \
        "0000:41:02.0 is one of the 2 VFs of $PF made on vfio-pci: it never had a host driver.*nothing was changed"
is "... nothing written, still recorded" "$(log_get) $(drv 0000:41:02.0) $(state_rows)" " vfio-pci 2 0"
run V sriov $PF 2
is "sriov PF 2 without a stub: the VFs on iavf, nothing recorded" \
        "$RC $(drv 0000:41:02.0) $(drv 0000:41:02.1) $(ap) $(state_rows)" "0 iavf iavf 1 0 0"
run V reattach 41:02.0
is "a host VF: reattach says it is not detached" "$RC $(drv 0000:41:02.0)" "0 iavf"
run V sriov $PF 0

# Rule 10 for a PF that only comes along (stress finding): 03:00.1 shares
# group 2 with 03:00.0; detach --group 03:00.0 and assign of both removed
# 03:00.1's VFs made on vfio-pci and left their rows behind.
run V sriov 03:00.1 2 --driver vfio
log_reset
run V detach --group 03:00.0
is "detach --group with a member PF whose VFs are detached: refused" "$RC" 1
like "... names the PF and its VFs" "$ERR" "cannot detach 0000:03:00.1: it has 2 VFs enabled.*
.*0000:03:10.1 \(vfio-pci\): VF of 0000:03:00.1, detached"
run V assign pd 03:00.0 03:00.1
is "assign of the PFs: refused too" "$RC" 1
is "... nothing written, the VFs still there and recorded" \
        "$(log_get) $(ls "$P/0000:03:00.1" | grep -c '^virtfn') $(state_rows)" " 2 2 0"
run V sriov 03:00.1 0
is "sriov 03:00.1 0: nothing left" "$RC $(state_rows)" "0 0 0"

# Bad input changes nothing.
log_reset
run V sriov $PF 9 --driver vfio
is "more than sriov_totalvfs: exit 2" "$RC" 2
like "says the limit" "$ERR" "at most 8 VFs"
run V sriov 0000:04:00.0 1
is "not a PF: exit 2" "$RC" 2
run V sriov $PF many
is "not a number: exit 2" "$RC" 2
run V sriov $PF 1 --driver e1000e
is "a host driver as --driver: refused" "$RC" 2
is "bad input wrote nothing" "$(log_get)" ""

# Rule 12: the kernel makes every VF inside the one sriov_numvfs write
# (igbvf under QEMU: seconds a VF), so --timeout bounds it once per VF.
# 4 VFs at 400 ms each take 1.6 s: within 4 x 1 s, not within 1 s.
jq '.latency = {"sriov_vf": 400}' "$HOSTS/sriov-server.json" >"$T/slow-vfs.json"
sim_mount "$T/slow-vfs.json"
P=$SIM/sys/bus/pci/devices
rm -rf "$T/state"
run V sriov $PF 4 --timeout 1
is "rule 12: 4 slow VFs with --timeout 1: exit 0" "$RC:$(vfs)" "0:4"
run V sriov $PF 0 --timeout 1
is "rule 12: removing them again: exit 0" "$RC:$(vfs)" "0:0"

# Rule 15: a VF is bound while the write still makes the next ones, once
# the next VF's link is there (the sim, as pci_iov_add_virtfn(), links a VF
# half its 400 ms before drivers may bind it: binding it at once would bind
# nothing); the last once the write returned.
log_reset
run V sriov $PF 4 --driver vfio --timeout 1
is "rule 15: 4 slow VFs bound as they come: exit 0, progress per VF" "$RC:$ERR" "0:1 of 4 VFs there
2 of 4 VFs there
3 of 4 VFs there
4 of 4 VFs there"
is "rule 15: VFs 0-2 bound before the write returns, VF 3 after" "$(log_get)" \
"$D/$PF/sriov_drivers_autoprobe 0 ok
$D/0000:41:02.0/driver_override vfio-pci ok
sys/bus/pci/drivers_probe 0000:41:02.0 ok
$D/0000:41:02.1/driver_override vfio-pci ok
sys/bus/pci/drivers_probe 0000:41:02.1 ok
$D/0000:41:02.2/driver_override vfio-pci ok
sys/bus/pci/drivers_probe 0000:41:02.2 ok
$D/$PF/sriov_numvfs 4 ok
$D/0000:41:02.3/driver_override vfio-pci ok
sys/bus/pci/drivers_probe 0000:41:02.3 ok"
is "rule 15: all 4 on vfio-pci, recorded, nothing pending" \
        "$(drv 0000:41:02.0) $(drv 0000:41:02.3) $(state_rows)" "vfio-pci vfio-pci 4 0"
run V status
like "status: the VFs bound early are detached by sriov too" "$OUT" \
        "0000:41:02.0 .*detached .*vfio-pci .*sriov $PF 4"
run V sriov $PF 0 --timeout 1

# A VF that does not bind while the kernel still makes the others: nothing
# more is started, the write is waited for, then everything is rolled back.
fault "0000:41:02.0 probe nobind"
log_reset
run V sriov $PF 4 --driver vfio --timeout 1
fault clear
is "rule 15: the first VF does not bind: exit 1" "$RC" 1
like "... says which" "$ERR" "0000:41:02.0"
is "... rolled back: no VFs, autoprobe back, nothing recorded" "$(vfs) $(ap) $(state_rows)" \
        "0 1 0 0"
is "... the write waited for, then numvfs 0 and autoprobe back, last" \
        "$(log_get | grep -c 'sriov_numvfs 4 ok') $(log_get | tail -2 | tr '\n' ' ')" \
        "1 $D/$PF/sriov_numvfs 0 ok $D/$PF/sriov_drivers_autoprobe 1 ok "

# The third VF fails after two were bound and recorded: those two go too.
fault "0000:41:02.2 probe nobind"
run V sriov $PF 4 --driver vfio --timeout 1
fault clear
is "rule 15: the third VF does not bind: exit 1, rolled back, the first two forgotten" \
        "$RC $(vfs) $(ap) $(state_rows)" "1 0 1 0 0"
run V status
unlike "... status lists no VF" "$OUT" "0000:41:02"

# Killed while the kernel still makes VFs and the first ones are bound
# (writes: autoprobe, numvfs, then VF 0's override and probe; the 5th is
# VF 1's override): recover puts VF 0 back at once, but not behind the
# sriov_numvfs write still in flight (rule 12); once that returned, recover
# removes the VFs and nothing is left recorded.
echo 5 >"$SIM/.sim/crash_after"
log_reset
run V sriov $PF 4 --driver vfio --timeout 1
is "rule 15: killed at VF 1's override" "$RC" 137
run V recover
is "... recover while the kernel still makes VFs: exit 3" "$RC" 3
like "... VF 0 put back, the write named as still waiting" "$ERR" \
        "0000:41:02.0 put back: no driver.*
not rolled back:
 +$PF still waiting: writing '4' to /sys/bus/pci/devices/$PF/sriov_numvfs"
for _ in $(seq 100); do log_get | grep -q "sriov_numvfs 4 ok" && break; sleep 0.1; done
run V recover
is "... recover once the write returned: exit 0" "$RC" 0
is "... no VFs, autoprobe back, nothing recorded or pending" "$(vfs) $(ap) $(state_rows)" "0 1 0 0"

# VFs that share an IOMMU group (no ACS below the PF): the executor runs
# a VF that comes as a group of its own, so only the first is bound while
# the kernel makes the others; the rest, one group, once the write returned.
jq '.latency = {"sriov_vf": 400} |
    (.devices[] | select(.address == "0000:41:00.0")).vf_group = 40' \
        "$HOSTS/sriov-server.json" >"$T/shared-vfs.json"
sim_mount "$T/shared-vfs.json"
P=$SIM/sys/bus/pci/devices
rm -rf "$T/state"
log_reset
run V sriov $PF 3 --driver vfio --timeout 1
is "VFs in one group: exit 0, all on vfio-pci, recorded" \
        "$RC $(drv 0000:41:02.0) $(drv 0000:41:02.2) $(state_rows)" "0 vfio-pci vfio-pci 3 0"
is "... the first bound as it came, the others once the write returned" "$(log_get)" \
"$D/$PF/sriov_drivers_autoprobe 0 ok
$D/0000:41:02.0/driver_override vfio-pci ok
sys/bus/pci/drivers_probe 0000:41:02.0 ok
$D/$PF/sriov_numvfs 3 ok
$D/0000:41:02.1/driver_override vfio-pci ok
sys/bus/pci/drivers_probe 0000:41:02.1 ok
$D/0000:41:02.2/driver_override vfio-pci ok
sys/bus/pci/drivers_probe 0000:41:02.2 ok"

done_testing
