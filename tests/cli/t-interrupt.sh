#!/bin/bash
# Rule 12 (interruption): a killed vfioctl, a write that blocks, a signal.
# The helper that makes a blocked write is in the journal before the wait,
# recover never writes behind a write still in flight, --timeout bounds
# every write that can block, and SIGINT/SIGTERM/SIGHUP roll back. Also
# who is blamed for a blocked unbind, and the progress lines while waiting.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount workstation

# ms_since START: milliseconds since START (date +%s%N).
ms_since() {
        echo $(( ($(date +%s%N) - $1) / 1000000 ))
}

# release_and_recover ADDR: lets the held write on ADDR go, then recover.
release_and_recover() {
        echo "$1" >"$SIM/.sim/release"
        fault clear
        for _ in $(seq 1 30); do
                pgrep -x vfioctl-write >/dev/null || break
                sleep 0.1
        done
        run V recover
}

# journal_unbind_step: "STATUS HELPER_PID" of the e1000e unbind in the journal.
journal_unbind_step() {
        sqlite3 -readonly "$T/state/state.db" \
                "SELECT status, helper_pid FROM op_steps WHERE path LIKE '%/e1000e/unbind'" | tr '|' ' '
}

# --- Rule 12, issue 8 #1: vfioctl killed while an unbind blocks.
fault 0000:05:00.0 unbind block=held
log_reset
"$VFIOCTL" --root "$SIM" --state-dir "$T/state" detach --group --timeout 30 05:00.0 \
        >"$T/killed.out" 2>&1 &
pid=$!
sleep 1
kill -KILL $pid
wait $pid 2>/dev/null
step=$(journal_unbind_step)
like "rule 12: killed during a blocked unbind: the journal has the helper's pid before the wait" \
        "$step" "^intended [1-9][0-9]*$"
check "rule 12: ... and that helper still waits" kill -0 "${step#* }"
writes_before=$(log_get | wc -l)
start=$(date +%s%N)
run V recover --timeout 1
elapsed=$(ms_since "$start")
is "rule 12: recover while the write is in flight: exit 3" "$RC" 3
check "rule 12: ... at once, not after a wait ($elapsed ms)" test "$elapsed" -lt 4000
like "rule 12: ... says the write has not finished" "$ERR" \
        "0000:05:00.0 still waiting: writing '0000:05:00.0' to /sys/bus/pci/drivers/e1000e/unbind.*has not finished"
like "rule 12: ... and to recover again once it has" "$ERR" \
        "has not finished .*; run 'vfioctl recover' again once it has$"
is "rule 12: ... under one heading (the operation, interrupted; not rolled back)" \
        "$(grep -c 'interrupted\|rolled back yet' <<<"$ERR")" 1
is "rule 12: ... writes nothing behind the blocked write" \
        "$(log_get | tail -n +$((writes_before + 1)) | grep -c 0000:05:00.0)" 0
is "rule 12: ... the members that were not blocked are put back" \
        "$(drv 0000:00:1f.3) $(drv 0000:00:1f.4)" "i801_smbus intel-spi"
start=$(date +%s%N)
run V detach --group --timeout 1 01:00.0
is "rule 12: the lock is free: another group can be detached meanwhile" "$RC" 0
run V reattach --group 01:00.0
release_and_recover 0000:05:00.0
is "rule 12: once the unbind completes, recover: exit 0" "$RC" 0
is "rule 12: ... every driver back" "$(ws_drivers)" "$WS_PRISTINE"
is "rule 12: ... state empty" "$(state_rows)" "0 0"

# --- Rule 12, issue 8 #2: --timeout bounds a blocked driver_override write.
fault 0000:00:1f.4 override block=held
start=$(date +%s%N)
run V detach --group --timeout 1 05:00.0
elapsed=$(ms_since "$start")
is "rule 12: blocked driver_override: exit 3" "$RC" 3
check "rule 12: ... gave up after about --timeout ($elapsed ms)" \
        test "$elapsed" -ge 900 -a "$elapsed" -lt 8000
like "rule 12: ... names the write" "$ERR" \
        "writing 'vfio-pci' to /sys/bus/pci/devices/0000:00:1f.4/driver_override did not finish within 1.0 s"
like "rule 12: ... and says to recover once it is done" "$ERR" \
        "still running\); run 'vfioctl recover' once it is done$"
is "rule 12: ... the member before it is put back" "$(drv 0000:00:1f.3)" i801_smbus
release_and_recover 0000:00:1f.4
is "rule 12: ... recover after the write completed: exit 0" "$RC" 0
is "rule 12: ... every driver back" "$(ws_drivers)" "$WS_PRISTINE"

# --- Rule 12, issue 8 #2: --timeout bounds a blocked drivers_probe.
fault 0000:00:1f.3 probe block=held
start=$(date +%s%N)
run V detach --group --timeout 1 05:00.0
elapsed=$(ms_since "$start")
is "rule 12: blocked drivers_probe: exit 3" "$RC" 3
check "rule 12: ... gave up after about --timeout ($elapsed ms)" \
        test "$elapsed" -ge 900 -a "$elapsed" -lt 8000
like "rule 12: ... names the write" "$ERR" \
        "writing '0000:00:1f.3' to /sys/bus/pci/drivers_probe did not finish within 1.0 s"
release_and_recover 0000:00:1f.3
is "rule 12: ... recover after the probe completed: exit 0" "$RC" 0
is "rule 12: ... every driver back" "$(ws_drivers)" "$WS_PRISTINE"

# --- Rule 12: recover's own writes are bounded by its --timeout too.
echo 4 >"$SIM/.sim/crash_after"   # killed at 1f.4's override: 1f.3 is on vfio-pci
run V detach --group 05:00.0
fault 0000:00:1f.3 override block=held
start=$(date +%s%N)
run V recover --timeout 1
elapsed=$(ms_since "$start")
is "rule 12: recover whose own write blocks: exit 3" "$RC" 3
check "rule 12: ... gave up after about --timeout ($elapsed ms)" \
        test "$elapsed" -ge 900 -a "$elapsed" -lt 8000
release_and_recover 0000:00:1f.3
is "rule 12: ... then recover: exit 0" "$RC" 0
is "rule 12: ... every driver back" "$(ws_drivers)" "$WS_PRISTINE"

# --- Rule 12, issue 8 #14: a blocked unbind from a host driver blames that driver, once.
fault 0000:05:00.0 unbind block=held
run V detach --group --timeout 1 05:00.0
is "rule 12: blocked host-driver unbind: exit 3" "$RC" 3
like "rule 12: ... names the host driver as the holder" "$ERR" \
        "waiting for e1000e to let go of 0000:05:00.0"
unlike "rule 12: ... and not /dev/vfio (no member is on vfio-pci)" "$ERR" "/dev/vfio"
is "rule 12: ... the sentence is printed once" "$(grep -c 'did not finish' <<<"$ERR")" 1
release_and_recover 0000:05:00.0
is "... recovered" "$(ws_drivers)" "$WS_PRISTINE"

# --- Issue 10 #6: progress lines about once a second, -v adds the write.
fault 0000:05:00.0 unbind block=2500
run V -v detach --group --timeout 10 05:00.0
is "progress: the slow unbind completes: exit 0" "$RC" 0
like "progress: 'waiting for e1000e to let go of 0000:05:00.0 (1 s of 10)'" "$ERR" \
        "^waiting for e1000e to let go of 0000:05:00.0 \(1 s of 10\)$"
like "progress: ... and (2 s of 10)" "$ERR" "\(2 s of 10\)"
like "progress: -v names the helper and the write" "$ERR" \
        "pid [0-9]+ writes '0000:05:00.0' to /sys/bus/pci/drivers/e1000e/unbind"
is "progress: nothing on stdout but the result" "$(grep -c waiting <<<"$OUT")" 0
fault clear
run V reattach --group 05:00.0
fault 0000:05:00.0 unbind block=1500
run V -q detach --group --timeout 10 05:00.0
is "progress: -q prints none" "$(grep -c waiting <<<"$ERR")" 0
fault clear
run V reattach --group 05:00.0
is "... back" "$(ws_drivers)" "$WS_PRISTINE"

# --- Rule 12, issue 8 #13: SIGINT/SIGTERM/SIGHUP during a blocked unbind roll back.
for sig in INT TERM HUP; do
        fault 0000:05:00.0 unbind block=held
        "$VFIOCTL" --root "$SIM" --state-dir "$T/state" detach --group --timeout 30 05:00.0 \
                >"$T/sig.out" 2>"$T/sig.err" &
        pid=$!
        sleep 1
        start=$(date +%s%N)
        kill -$sig $pid
        wait $pid
        rc=$?
        elapsed=$(ms_since "$start")
        err=$(cat "$T/sig.err")
        is "rule 12: SIG$sig during a blocked unbind: exit 3 (the unbind still waits)" "$rc" 3
        check "rule 12: SIG$sig: ... stops at once ($elapsed ms)" test "$elapsed" -lt 4000
        like "rule 12: SIG$sig: ... says it stopped and rolled back" "$err" \
                "SIG$sig: stopped, and rolled back"
        like "rule 12: SIG$sig: ... names the write still in flight" "$err" \
                "0000:05:00.0 still waiting: the unbind from e1000e is still in progress"
        is "rule 12: SIG$sig: ... the other members are put back, no override" \
                "$(drv 0000:00:1f.3)/$(ovr 0000:00:1f.3) $(drv 0000:00:1f.4)/$(ovr 0000:00:1f.4)" \
                "i801_smbus/(null) intel-spi/(null)"
        release_and_recover 0000:05:00.0
        is "rule 12: SIG$sig: ... then recover puts the last one back" "$(ws_drivers)" "$WS_PRISTINE"
done

# --- Rule 12: a signal between writes (nothing blocked) rolls everything back: exit 1.
fault 0000:00:1f.4 probe block=1500
"$VFIOCTL" --root "$SIM" --state-dir "$T/state" detach --group --timeout 30 05:00.0 \
        >"$T/sig.out" 2>"$T/sig.err" &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
fault clear
for _ in $(seq 1 30); do
        pgrep -x vfioctl-write >/dev/null || break
        sleep 0.1
done
run V recover
is "rule 12: SIGTERM during a slow probe: everything back after recover" "$(ws_drivers)" \
        "$WS_PRISTINE"
is "rule 12: ... state empty" "$(state_rows)" "0 0"
like "rule 12: ... the command said it stopped (exit $rc)" "$(cat "$T/sig.err")" "SIGTERM: stopped"

done_testing
