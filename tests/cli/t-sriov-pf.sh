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

done_testing
