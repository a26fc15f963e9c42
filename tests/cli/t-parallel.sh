#!/bin/bash
# Rule 15: an operation over several IOMMU groups runs them at once, each
# group's steps in order; the journal stays exact (a kill mid-operation
# recovers every group); a failure rolls back every group. Ordering facts
# from held faults in the sim, never wall-clock bounds.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount sriov-server
PF=0000:41:00.0
A=0000:41:02.0 B=0000:41:02.1 C=0000:41:02.2
D=sys/devices/pci0000:00
run V sriov $PF 3
is "three VFs on iavf, each its own group" "$RC $(drv $A) $(drv $B) $(drv $C)" "0 iavf iavf iavf"
drivers() { echo "$(drv $A)/$(ovr $A) $(drv $B)/$(ovr $B) $(drv $C)/$(ovr $C)"; }
PRISTINE="iavf/(null) iavf/(null) iavf/(null)"
wait_held() { # ADDR: until an op on it waits in a held fault
        local n
        for n in $(seq 400); do
                grep -q "^$1 waiting=1" "$SIM/.sim/release" && return 0
                sleep 0.05
        done
        return 1
}
wait_for() { # CMD...: until it succeeds (10 s)
        local n
        for n in $(seq 200); do
                "$@" && return 0
                sleep 0.05
        done
        return 1
}
both_on_vfio() { [ "$(drv $B) $(drv $C)" = "vfio-pci vfio-pci" ]; }

# --- Overlap: with A's unbind held, B and C get to vfio-pci. One group at
# a time, nothing would touch B or C before A's unbind returned.
log_reset
fault $A unbind block=held
V detach $A $B $C >"$T/o" 2>"$T/e" &
cmd=$!
check "A's unbind is held" wait_held $A
check "B and C reach vfio-pci while A's unbind still waits" wait_for both_on_vfio
is "A still on iavf, its override already set" "$(drv $A) $(ovr $A)" "iavf vfio-pci"
echo $A >"$SIM/.sim/release"
wait $cmd
is "the command then finishes: exit 0" "$?" 0
is "all three on vfio-pci" "$(drivers)" "vfio-pci/vfio-pci vfio-pci/vfio-pci vfio-pci/vfio-pci"
is "each group's writes in order: override, unbind, probe" "$(log_by_device)" \
"$D/$A/driver_override vfio-pci ok
sys/bus/pci/drivers/iavf/unbind $A ok
sys/bus/pci/drivers_probe $A ok
$D/$B/driver_override vfio-pci ok
sys/bus/pci/drivers/iavf/unbind $B ok
sys/bus/pci/drivers_probe $B ok
$D/$C/driver_override vfio-pci ok
sys/bus/pci/drivers/iavf/unbind $C ok
sys/bus/pci/drivers_probe $C ok"
is "the report in address order" "$(grep -o '0000:41:02\.[0-9]' "$T/o" | uniq | tr '\n' ' ')" "$A $B $C "
is "recorded, nothing pending" "$(state_rows)" "3 0"
fault clear
run V reattach $A $B $C
is "reattach of the three: exit 0, back on iavf" "$RC $(drivers)" "0 $PRISTINE"

# --- Rollback of every group after one fails: C's probe binds nothing.
log_reset
fault $C probe nobind
run V detach $A $B $C --timeout 1
is "one group fails: exit 1" "$RC" 1
like "the message is that group's failure" "$ERR" "$C did not bind to vfio-pci"
is "every group put back" "$(drivers)" "$PRISTINE"
is "nothing recorded, nothing pending" "$(state_rows)" "0 0"
is "the report lists every group put back, last first as one rollback would" \
        "$(echo "$OUT$ERR" | grep -o '0000:41:02\.[0-9] put back: iavf' | tr '\n' ';')" \
        "$C put back: iavf;$B put back: iavf;$A put back: iavf;"
is "each device's rollback in order: override back, probe" \
        "$(log_by_device | grep -c "driver_override  ok")" 3
fault clear

# --- Two groups fail at once: the first group's message says the other failed too.
fault $B probe nobind
fault $C probe nobind
run V detach $A $B $C --timeout 1
is "two groups fail: exit 1" "$RC" 1
like "the message is the first group's failure, and counts the other" "$ERR" \
        "^vfioctl: $B did not bind to vfio-pci.* \(and 1 other group failed at the same time\)$"
is "... every group put back" "$(drivers)" "$PRISTINE"
fault clear

# --- A kill mid-operation: A's unbind held, B and C done, the command
# killed. The journal has every step: recover puts all three back once
# A's unbind returned.
log_reset
fault $A unbind block=held
V detach $A $B $C >"$T/o" 2>"$T/e" &
cmd=$!
check "A's unbind is held again" wait_held $A
check "B and C on vfio-pci" wait_for both_on_vfio
kill -9 $cmd
wait $cmd 2>/dev/null
is "killed: one operation pending" "$(state_rows)" "0 1"
steps=$(sqlite3 "$T/state/state.db" "SELECT address || ' ' || status FROM op_steps ORDER BY seq" |
        sort -s -k1,1 | uniq -c | awk '{print $2, $3, $1}' | tr '\n' ';')
is "the journal: B and C 3 steps done, A's override done and its unbind intended" "$steps" \
        "$A done 1;$A intended 1;$B done 3;$C done 3;"
run V recover
is "recover while A's unbind is in flight: B and C back on iavf" "$(drv $B) $(drv $C)" \
        "iavf iavf"
echo $A >"$SIM/.sim/release"
wait_for test "$(drv $A)" = - || true
fault clear
run V recover
is "recover once A's unbind returned: exit 0" "$RC" 0
is "every group as before" "$(drivers)" "$PRISTINE"
is "nothing recorded, nothing pending" "$(state_rows)" "0 0"

# --- Interrupted (rule 12): SIGINT with A held rolls back B and C at once.
log_reset
fault $A unbind block=held
V detach $A $B $C >"$T/o" 2>"$T/e" &
cmd=$!
check "A's unbind is held a third time" wait_held $A
check "B and C on vfio-pci a third time" wait_for both_on_vfio
kill -INT $cmd
wait $cmd
is "interrupted: exit 3 (A still blocked: attention)" "$?" 3
is "B and C rolled back, A left to its unbind" "$(drv $B)/$(ovr $B) $(drv $C)/$(ovr $C)" \
        "iavf/(null) iavf/(null)"
like "A named as still blocked" "$(cat "$T/o" "$T/e")" "$A"
echo $A >"$SIM/.sim/release"
fault clear
wait_for test "$(drv $A)" = - || true
run V recover
is "then recover: every group as before" "$RC $(drivers)" "0 $PRISTINE"

done_testing
