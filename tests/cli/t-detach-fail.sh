#!/bin/bash
# Failures: a probe that fails on the 2nd member, a probe that binds
# nothing, an unbind that blocks. Every one rolls back what the call did.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount workstation

# --- The 2nd member's bind fails with EBUSY.
fault 0000:00:1f.4 probe fail=EBUSY
log_reset
run V detach --group 05:00.0
is "2nd member fails: exit 1" "$RC" 1
like "2nd member fails: names the failing write" "$ERR" "0000:00:1f.4.*drivers_probe.*busy"
like "2nd member fails: says the 1st was put back" "$ERR" "0000:00:1f.3 put back: i801_smbus"
is "2nd member fails: write log shows the undo" "$(log_get)" \
"sys/devices/pci0000:00/0000:00:1f.3/driver_override vfio-pci ok
sys/bus/pci/drivers/i801_smbus/unbind 0000:00:1f.3 ok
sys/bus/pci/drivers_probe 0000:00:1f.3 ok
sys/devices/pci0000:00/0000:00:1f.4/driver_override vfio-pci ok
sys/bus/pci/drivers/intel-spi/unbind 0000:00:1f.4 ok
sys/bus/pci/drivers_probe 0000:00:1f.4 EBUSY
sys/devices/pci0000:00/0000:00:1f.4/driver_override  ok
sys/devices/pci0000:00/0000:00:1f.3/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:00:1f.3 ok
sys/bus/pci/drivers/intel-spi/bind 0000:00:1f.4 ok
sys/bus/pci/drivers/i801_smbus/bind 0000:00:1f.3 ok"
is "2nd member fails: every driver back" "$(ws_drivers)" "$WS_PRISTINE"
is "2nd member fails: state empty" "$(state_rows)" "0 0"
fault clear

# --- The probe binds nothing (the last member).
fault 0000:05:00.0 probe nobind
log_reset
run V detach --group --timeout 0.5 05:00.0
is "nobind: exit 1" "$RC" 1
like "nobind: says nothing bound" "$ERR" "0000:05:00.0 did not bind to vfio-pci"
is "nobind: the undo, in reverse order" "$(log_get | tail -8)" \
"sys/devices/pci0000:00/0000:05:00.0/driver_override  ok
sys/devices/pci0000:00/0000:00:1f.4/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:00:1f.4 ok
sys/devices/pci0000:00/0000:00:1f.3/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:00:1f.3 ok
sys/bus/pci/drivers/e1000e/bind 0000:05:00.0 ok
sys/bus/pci/drivers/intel-spi/bind 0000:00:1f.4 ok
sys/bus/pci/drivers/i801_smbus/bind 0000:00:1f.3 ok"
is "nobind: every driver back" "$(ws_drivers)" "$WS_PRISTINE"
is "nobind: state empty" "$(state_rows)" "0 0"
fault clear

# --- A reattach that fails is rolled back to detached.
run V detach --group 01:00.0
fault 0000:01:00.1 bind fail=EBUSY
run V reattach --group 01:00.0
is "reattach fails: exit 1" "$RC" 1
is "reattach fails: both back on vfio-pci" "$(drv 0000:01:00.0) $(drv 0000:01:00.1)" \
        "vfio-pci vfio-pci"
is "reattach fails: still recorded" "$(state_rows)" "2 0"
fault clear
run V reattach --group 01:00.0
is "reattach after clearing the fault: exit 0" "$RC" 0
is "... every driver back" "$(ws_drivers)" "$WS_PRISTINE"

# --- An unbind that blocks: bounded by --timeout, then named.
fault 0000:05:00.0 unbind block=held
log_reset
start=$(date +%s%N)
run V detach --group --timeout 1 05:00.0
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
is "blocked unbind: exit 3" "$RC" 3
check "blocked unbind: gave up after about the timeout ($elapsed ms)" \
        test "$elapsed" -ge 900 -a "$elapsed" -lt 5000
like "blocked unbind: blames e1000e, the host driver (rule 12)" "$ERR" "waiting for e1000e to let go of 0000:05:00.0"
like "blocked unbind: says to run recover" "$ERR" "vfioctl recover"
is "blocked unbind: the others were put back" "$(drv 0000:00:1f.3) $(drv 0000:00:1f.4)" \
        "i801_smbus intel-spi"
is "blocked unbind: the journal knows the unbind did not complete" \
        "$(V --json status | python3 -c 'import json, sys
for op in json.load(sys.stdin)["pending"]:
    for s in op["steps"]:
        if s["path"].endswith("/e1000e/unbind"): print(s["status"])')" intended

run V recover
is "recover while still blocked: exit 3" "$RC" 3
like "recover while still blocked: says the unbind has not finished" "$ERR" "e1000e/unbind.*has not finished"
run V detach 05:00.0 --group
is "detach of the blocked device meanwhile: refused" "$RC" 1
like "... naming the unfinished operation" "$ERR" "unfinished operation"

echo 0000:05:00.0 >"$SIM/.sim/release"
fault clear
for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ "$(drv 0000:05:00.0)" = - ] && break
        sleep 0.1
done
is "after release: the unbind completed" "$(drv 0000:05:00.0)" -
run V recover
is "recover after release: exit 0" "$RC" 0
is "recover after release: every driver back, no override" "$(ws_drivers)" "$WS_PRISTINE"
is "recover after release: state empty" "$(state_rows)" "0 0"
run V recover
is "recover again: exit 0" "$RC" 0
like "recover again: nothing to do" "$ERR" "nothing to recover"

done_testing
