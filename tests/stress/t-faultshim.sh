#!/bin/bash
# The crash sweeps' fault shim (faultshim.c) itself: vfioctl makes its
# sysfs writes in forked helpers (lib/driver.c), and a kill point must be
# a crash of the command, not of the helper only (vfioctl sees a dead
# helper and rolls back by itself: no crash at all). Quick: suite cli.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/../cli/detach-lib.sh"
SHIM=${FAULTSHIM:?FAULTSHIM names libfaultshim.so}
# Under ASan (CI's build-asan) a preloaded library comes before the ASan
# runtime; the shim is built with it and only wraps write calls.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

sim_mount workstation
run V detach --group 05:00.0
run V reattach --group 05:00.0
log_reset
VFIOCTL_FAULT_TRACE=$T/trace VFIOCTL_FAULT_COUNT=$T/count LD_PRELOAD=$SHIM V detach --group 05:00.0 \
        >/dev/null 2>&1
is "counting: the command runs as without the shim" "$(ws_drivers | cut -d' ' -f4-6)" \
        "0000:05:00.0=vfio-pci/vfio-pci 0000:00:1f.3=vfio-pci/vfio-pci 0000:00:1f.4=vfio-pci/vfio-pci"
is "the count file has every traced call" "$(cat "$T/count")" "$(wc -l <"$T/trace")"
is "the helpers' sysfs writes are counted, one each (9)" \
        "$(grep -c '^[0-9]* helper write .*/sys/' "$T/trace")" 9
is "... as many as the sim logged" "$(log_get | wc -l)" 9
check "the command's own SQLite writes are counted" grep -q '^[0-9]* cmd .*state.db' "$T/trace"
run V reattach --group 05:00.0

# The first sysfs write: made by a helper.
k=$(grep -m1 '^[0-9]* helper write .*/sys/' "$T/trace" | cut -d' ' -f1)
log_reset
VFIOCTL_FAULT=kill:$k LD_PRELOAD=$SHIM V detach --group 05:00.0 >/dev/null 2>&1
is "kill at the helper's first sysfs write: the command died of SIGKILL" "$?" 137
is "... and the write was not made" "$(log_get)" ""
is "... the journal holds the operation (nothing finished it)" "$(state_rows)" "0 1"
run V recover
is "... recover: exit 0, drivers as before" "$RC $(ws_drivers)" "0 $WS_PRISTINE"

# orphan: the command dies, the helper makes its write (as a helper
# outliving a killed vfioctl does); recover undoes it.
k=$(grep '^[0-9]* helper write .*/sys/' "$T/trace" | sed -n 2p | cut -d' ' -f1)
log_reset
VFIOCTL_FAULT=orphan:$k LD_PRELOAD=$SHIM V detach --group 05:00.0 >/dev/null 2>&1
is "orphan at the helper's second sysfs write: the command died of SIGKILL" "$?" 137
for _ in 1 2 3 4 5 6 7 8 9 10; do [ "$(log_get | wc -l)" -ge 2 ] && break; sleep 0.1; done
is "... the helper made its write after" "$(log_get | sed -n 2p)" \
        "sys/bus/pci/drivers/i801_smbus/unbind 0000:00:1f.3 ok"
run V recover
is "... recover: exit 0, drivers as before" "$RC $(ws_drivers)" "0 $WS_PRISTINE"
is "... nothing left" "$(state_rows)" "0 0"

# A kill at one of the command's own calls (its first: SQLite).
VFIOCTL_FAULT=kill:1 LD_PRELOAD=$SHIM V detach --group 05:00.0 >/dev/null 2>&1
is "kill at call 1: SIGKILL" "$?" 137
run V recover
is "... recover: drivers as before" "$(ws_drivers)" "$WS_PRISTINE"

done_testing
