#!/bin/bash
# .sim/crash_after: the process making the k-th write to sys/ is killed
# before the write takes effect; it fires once; 0 disarms it.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/simlib.sh"

sim_mount workstation
B=$SIM/sys/bus/pci
C=$SIM/.sim/crash_after
NIC=0000:05:00.0
O=$B/devices/$NIC/driver_override

is "disarmed at start" "$(cat "$C")" 0
w "$C" 3
is "armed" "$(cat "$C")" 3
w "$O" pci-stub
is "first write counts" "$(cat "$C")" 2
cat "$O" >/dev/null
w "$SIM/.sim/faults" clear
is "reads and control writes do not count" "$(cat "$C")" 2
w "$B/drivers/e1000e/unbind" 0000:09:00.0
is "failed writes count" "$(cat "$C")" 1

(echo vfio-pci >"$O"; echo "survived" >"$T/survived")
rc=$?
is "the writer is killed: 137" "$rc" 137
check "it did not go on" test ! -e "$T/survived"
is "the write did not take effect" "$(cat "$O")" pci-stub
is "logged KILLED" "$(last_log)" "sys/devices/pci0000:00/$NIC/driver_override vfio-pci KILLED"
is "fired: disarmed" "$(cat "$C")" 0
w "$O" vfio-pci
is "fires once" "$WRC" 0
is "next write takes effect" "$(cat "$O")" vfio-pci

w "$C" 2
w "$C" 0
w "$O" ""
w "$O" ""
is "0 disarms" "$WRC $(cat "$C")" "0 0"
w "$C" -1
is "negative refused" "$WRC" 1
w "$C" x
is "garbage refused" "$WRC" 1

# The kill hits the writer in the middle of a sequence, as a crash would.
w "$C" 2
bash -c "echo vfio-pci > '$O'; echo $NIC > '$B/drivers/e1000e/unbind'; echo $NIC > '$B/drivers_probe'"
is "sequence killed at its second write" "$?" 137
is "first write done" "$(cat "$O")" vfio-pci
is "second not done" "$(drv $NIC)" e1000e
is "log shows where it stopped" "$(tail -n 2 "$SIM/.sim/log")" \
        "sys/devices/pci0000:00/$NIC/driver_override vfio-pci ok
sys/bus/pci/drivers/e1000e/unbind $NIC KILLED"

sim_done
