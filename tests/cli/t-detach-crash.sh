#!/bin/bash
# Crash sweep: a vfioctl killed before its k-th write, for every k, then
# `recover`: everything is as before the command. And two commands at once.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount workstation

DETACHED="0000:01:00.0=nouveau/(null) 0000:01:00.1=snd_hda_intel/(null) 0000:02:00.0=nvme/(null) 0000:05:00.0=vfio-pci/vfio-pci 0000:00:1f.3=vfio-pci/vfio-pci 0000:00:1f.4=vfio-pci/vfio-pci 0000:00:1f.0=-/(null) 0000:04:00.0=-/(null) 0000:00:1c.0=pcieport/(null)"

log_reset
run V detach --group 05:00.0
n_detach=$(log_get | wc -l)
is "detach --group of the chipset group makes 9 writes" "$n_detach" 9
log_reset
run V reattach --group 05:00.0
n_reattach=$(log_get | wc -l)
is "reattach --group makes 9 writes" "$n_reattach" 9

start=$(date +%s%N)
for k in $(seq 1 "$n_detach"); do
        echo "$k" >"$SIM/.sim/crash_after"
        run V detach --group 05:00.0
        died=$RC
        run V recover
        is "detach killed at write $k (exit $died), recover: exit 0" "$RC" 0
        is "detach killed at write $k: drivers as before" "$(ws_drivers)" "$WS_PRISTINE"
        is "detach killed at write $k: state empty" "$(state_rows)" "0 0"
done

for k in $(seq 1 "$n_reattach"); do
        run V detach --group 05:00.0
        echo "$k" >"$SIM/.sim/crash_after"
        run V reattach --group 05:00.0
        died=$RC
        run V recover
        is "reattach killed at write $k (exit $died), recover: exit 0" "$RC" 0
        is "reattach killed at write $k: rolled back to detached" "$(ws_drivers)" "$DETACHED"
        is "reattach killed at write $k: still recorded, journal empty" "$(state_rows)" "3 0"
        run V reattach --group 05:00.0
        is "reattach killed at write $k: a new reattach gives all back" "$(ws_drivers)" \
                "$WS_PRISTINE"
        is "reattach killed at write $k: state empty" "$(state_rows)" "0 0"
done
echo 0 >"$SIM/.sim/crash_after"
echo "# crash sweep: $(( ($(date +%s%N) - start) / 1000000 )) ms"

# --- Two detach --group of the same group at once: one waits for the other.
fault 0000:05:00.0 probe block=300
log_reset
V detach --group 05:00.0 >"$T/a.out" 2>&1 &
a=$!
V detach --group 05:00.0 >"$T/b.out" 2>&1 &
b=$!
wait $a; ra=$?
wait $b; rb=$?
fault clear
is "concurrent detach: both exit 0" "$ra $rb" "0 0"
is "concurrent detach: 9 writes, none twice" "$(log_get | sort | uniq -d | wc -l) $(log_get | wc -l)" "0 9"
like "concurrent detach: the later one found it already detached" "$(cat "$T/a.out" "$T/b.out")" \
        "already detached"
run V reattach --group 05:00.0

# --- A second command gives up after --timeout and says who holds the lock.
fault 0000:05:00.0 unbind block=held
V detach --group --timeout 3 05:00.0 >/dev/null 2>&1 &
a=$!
sleep 0.5
run V detach --timeout 0.2 01:00.0 --group
is "lock held: exit 1" "$RC" 1
like "lock held: says who holds it" "$ERR" "pid [0-9]+ \(.*detach --group --timeout 3 05:00.0\)"
echo 0000:05:00.0 >"$SIM/.sim/release"
fault clear
wait $a
is "the holder finished once released" "$?" 0
is "the holder's detach is complete" "$(ws_drivers)" "$DETACHED"
run V reattach --group 05:00.0
is "and everything goes back" "$(ws_drivers)" "$WS_PRISTINE"

done_testing
