#!/bin/bash
# Fault injection through .sim/faults and .sim/release (DESIGN §7.2).
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/simlib.sh"

sim_mount workstation
B=$SIM/sys/bus/pci
F=$SIM/.sim/faults
NIC=0000:05:00.0
O=$B/devices/$NIC/driver_override

now_ms() { date +%s%3N; }

# wait_for COMMAND...: polls up to 5 s.
wait_for() {
        local i
        for i in $(seq 100); do
                "$@" && return 0
                sleep 0.05
        done
        return 1
}
held() { grep -q "^$1 waiting=1" "$SIM/.sim/release"; }
export -f held; export SIM

# Bad lines are refused and change nothing.
for bad in "05:00.0 bind nobind" "$NIC bind" "$NIC attach nobind" "$NIC unbind nobind" \
           "$NIC bind fail=ENOTANERRNO" "$NIC bind block=-1" "$NIC bind block=soon" "$NIC bind nobind extra"; do
        w "$F" "$bad"
        is "refused: $bad" "$WRC" 1
done
is "nothing stored" "$(cat "$F")" ""

# fail=
wraw "$F" "$NIC override fail=EBUSY\n$NIC unbind fail=EIO\n$NIC bind fail=EAGAIN\n0000:00:1f.3 probe fail=ENOSPC\n"
is "several lines in one write" "$WRC" 0
is "faults read back" "$(cat "$F")" "$NIC override fail=EBUSY
$NIC unbind fail=EIO
$NIC bind fail=EAGAIN
0000:00:1f.3 probe fail=ENOSPC"
w "$O" vfio-pci
like "override fail=EBUSY" "$WERR" "Device or resource busy"
is "logged" "$(last_log)" "sys/devices/pci0000:00/$NIC/driver_override vfio-pci EBUSY"
is "override unchanged" "$(cat "$O")" "(null)"
w "$B/drivers/e1000e/unbind" $NIC
is "unbind fail=EIO" "$(last_log)" "sys/bus/pci/drivers/e1000e/unbind $NIC EIO"
is "still bound" "$(drv $NIC)" e1000e
w "$B/drivers/i915/unbind" $NIC
is "kernel checks come first: ENODEV, not the fault" "$(last_log)" "sys/bus/pci/drivers/i915/unbind $NIC ENODEV"
w "$F" "$NIC unbind none"
w "$B/drivers/e1000e/unbind" $NIC
is "none removes one fault" "$(drv $NIC)" -
w "$B/drivers/e1000e/bind" $NIC
is "bind fail=EAGAIN" "$(last_log)" "sys/bus/pci/drivers/e1000e/bind $NIC EAGAIN"
w "$B/drivers/i801_smbus/unbind" 0000:00:1f.3
w "$B/drivers_probe" 0000:00:1f.3
is "probe fail=ENOSPC" "$(last_log)" "sys/bus/pci/drivers_probe 0000:00:1f.3 ENOSPC"
w "$F" clear
is "clear" "$(cat "$F")" ""
w "$B/drivers_probe" 0000:00:1f.3
w "$B/drivers_probe" $NIC
is "cleared faults no longer fire" "$(drv $NIC) $(drv 0000:00:1f.3)" "e1000e i801_smbus"

# nobind: probe binds nothing and says ok; bind says ENODEV.
wraw "$F" "$NIC probe nobind\n$NIC bind nobind\n"
w "$O" vfio-pci
w "$B/drivers/e1000e/unbind" $NIC
w "$B/drivers_probe" $NIC
is "drivers_probe with nobind: ok" "$(last_log)" "sys/bus/pci/drivers_probe $NIC ok"
is "nothing bound" "$(drv $NIC)" -
w "$B/drivers/vfio-pci/bind" $NIC
is "bind with nobind: ENODEV" "$(last_log)" "sys/bus/pci/drivers/vfio-pci/bind $NIC ENODEV"
w "$F" clear
w "$B/drivers/vfio-pci/bind" $NIC
is "bound after clear" "$(drv $NIC)" vfio-pci

# block=MS: the op takes that long, then happens; others are not held up.
w "$F" "$NIC unbind block=600"
t0=$(now_ms)
w "$B/drivers/vfio-pci/unbind" $NIC &
sleep 0.2
t1=$(now_ms)
cat "$B/devices/0000:00:1f.3/vendor" >/dev/null
w "$B/drivers/i801_smbus/unbind" 0000:00:1f.3
t2=$(now_ms)
wait
t3=$(now_ms)
check "other devices' writes go on meanwhile ($((t2 - t1)) ms)" test $((t2 - t1)) -lt 300
check "the blocked unbind took ~600 ms ($((t3 - t0)) ms)" test $((t3 - t0)) -ge 580 -a $((t3 - t0)) -lt 3000
is "then unbound" "$(drv $NIC)" -
is "logged ok" "$(grep unbind "$SIM/.sim/log" | tail -1)" "sys/bus/pci/drivers/vfio-pci/unbind $NIC ok"
w "$F" clear
w "$B/drivers/vfio-pci/bind" $NIC

# block=held: waits for .sim/release from another process.
w "$F" "$NIC unbind block=held"
(w "$B/drivers/vfio-pci/unbind" $NIC; echo "$WRC" >"$T/held.rc") &
writer=$!
check "the unbind is held" wait_for held $NIC
check "writer still waiting" kill -0 $writer
is "reads go on (driver still bound)" "$(drv $NIC)" vfio-pci
is "override reads go on" "$(cat "$O")" vfio-pci
w "$B/drivers/i801_smbus/bind" 0000:00:1f.3
is "other devices go on" "$(last_log)" "sys/bus/pci/drivers/i801_smbus/bind 0000:00:1f.3 ok"
w "$B/drivers/i801_smbus/unbind" 0000:00:1f.3
# A second op on the same device waits for the device lock.
(w "$O" ""; echo "$WRC" >"$T/second.rc") &
second=$!
sleep 0.3
check "a write to the same device waits behind it" kill -0 $second
bash -c "echo $NIC > '$SIM/.sim/release'"
wait $writer
is "released unbind succeeds" "$(cat "$T/held.rc")" 0
wait $second
is "the waiting write then completes" "$(cat "$T/second.rc")" 0
is "unbound" "$(drv $NIC)" -
is "nothing held" "$(cat "$SIM/.sim/release")" ""

# A release written before the op gets there is kept for it.
w "$O" vfio-pci
w "$B/drivers/vfio-pci/bind" $NIC
is "bound for the pending test" "$(drv $NIC)" vfio-pci
w "$SIM/.sim/release" $NIC
is "pending release shows" "$(cat "$SIM/.sim/release")" "$NIC waiting=0 pending=1"
w "$B/drivers/vfio-pci/unbind" $NIC
is "the op passes straight on" "$(drv $NIC)" -
w "$SIM/.sim/release" "not-an-address"
is "release wants an address" "$WRC" 1

# clear lets held ops go.
w "$B/devices/$NIC/driver_override" vfio-pci
w "$B/drivers_probe" $NIC
w "$F" "$NIC unbind block=held"
(w "$B/drivers/vfio-pci/unbind" $NIC) &
writer=$!
check "held again" wait_for held $NIC
w "$F" clear
check "clear releases it" wait_for bash -c "! kill -0 $writer 2>/dev/null"
wait $writer
is "and it completed" "$(drv $NIC)" -

# A held writer that is killed is let go (the op fails with EINTR).
w "$B/drivers_probe" $NIC
w "$F" "$NIC unbind block=held"
bash -c "echo $NIC > '$B/drivers/vfio-pci/unbind'" &
writer=$!
check "held for the kill" wait_for held $NIC
kill -KILL $writer
check "the killed writer goes away" wait_for bash -c "! held $NIC"
wait $writer 2>/dev/null
is "the op did not happen" "$(drv $NIC)" vfio-pci
is "logged EINTR" "$(grep unbind "$SIM/.sim/log" | tail -1)" "sys/bus/pci/drivers/vfio-pci/unbind $NIC EINTR"

# block on override and probe too.
w "$F" clear
wraw "$F" "$NIC override block=300\n0000:00:14.0 probe block=300\n"
t0=$(now_ms); w "$O" ""; t1=$(now_ms)
check "override block=300 ($((t1 - t0)) ms)" test $((t1 - t0)) -ge 280
is "then stored" "$(cat "$O")" "(null)"
w "$B/drivers/xhci_hcd/unbind" 0000:00:14.0
t0=$(now_ms); w "$B/drivers_probe" 0000:00:14.0; t1=$(now_ms)
check "probe block=300 ($((t1 - t0)) ms)" test $((t1 - t0)) -ge 280
is "then probed" "$(drv 0000:00:14.0)" xhci_hcd

sim_done
