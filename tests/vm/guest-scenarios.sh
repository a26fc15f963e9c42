#!/bin/bash
# Guest side of the real-kernel tests: the scenarios, run inside the QEMU
# guest by /init (chrooted into the host's read-only root), one process per
# scenario with its own time limit.
#
#   guest-scenarios.sh              run the plan ($VMTEST_PLAN): each scenario
#                                   of scenarios.d/ in order, or its SKIP line
#   guest-scenarios.sh --run ID     run scenario ID only (used by the above)
#   guest-scenarios.sh --cleanup ID its scenario_cleanup, then restore_all
#
# Every scenario starts from the boot-time drivers and leaves them so: after
# each one the harness puts every test device back by hand (restore_all).

set -u
. /tmp/vmtest/vmtest.conf
. /tmp/vmtest/guest-lib.sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C

# The scenarios are the files in scenarios.d/ (README.md "Adding a
# scenario"); the host-side runner decided which run on this leg and wrote
# the plan into vmtest.conf: one line per scenario, "ID run" or
# "ID skip REASON".
SCENARIO_DIR=/tmp/vmtest/scenarios.d

# load_scenario ID: source its file (defines scenario, maybe scenario_cleanup).
load_scenario() {
        SCENARIO_TITLE= SCENARIO_TIMEOUT=
        # shellcheck disable=SC1090
        . "$SCENARIO_DIR/$1.sh"
}

run_one() {
        discover
        load_scenario "$1"
        scenario
}

# The scenario's own clean-up (it may have been killed half way), then the
# harness puts the test devices back.
cleanup_one() {
        discover
        load_scenario "$1"
        if declare -F scenario_cleanup >/dev/null; then
                scenario_cleanup || note "scenario $1: its clean-up failed"
        fi
        restore_all || note "scenario $1 left devices off their boot drivers (restored by hand)"
}

run_all() {
        local id what reason t0 rc limit
        discover
        save_native
        note "test devices: pair $MF0 $MF1; bridge $BRIDGE with ${BR_KIDS[*]}; e1000e $E1000E; chipset ${CHIPSET[*]}"
        while read -r id what reason; do
                [ -n "$id" ] || continue
                if [ "$what" != run ]; then
                        tap_line "ok - # SKIP scenario $id: $reason"
                        continue
                fi
                if [ ! -f "$SCENARIO_DIR/$id.sh" ]; then
                        fail "scenario $id: its file is in the initramfs"
                        continue
                fi
                limit=$( (load_scenario "$id" && echo "${SCENARIO_TIMEOUT:-}") 2>/dev/null)
                limit=${limit:-$VMTEST_SCENARIO_TIMEOUT}
                note "--- scenario $id: $( (load_scenario "$id" && echo "$SCENARIO_TITLE") 2>/dev/null)"
                t0=$(now)
                timeout -k 5 "$limit" bash /tmp/vmtest/guest-scenarios.sh --run "$id"
                rc=$?
                if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
                        fail "scenario $id: finished within ${limit}s" "killed by the time limit"
                elif [ $rc -ne 0 ]; then
                        fail "scenario $id: ran to its end" "exit status $rc"
                fi
                note "scenario $id took $(elapsed "$t0")s"
                timeout -k 5 60 bash /tmp/vmtest/guest-scenarios.sh --cleanup "$id"
        done <<<"$VMTEST_PLAN"
}

# VM_GUEST_CMD (host environment): a shell snippet run in the guest after
# the scenarios, its output as TAP comments; for debugging, e.g.
#   VM_GUEST_CMD='$VFIOCTL --root / list --all; dmesg | tail' run-vm-tests.sh ...
guest_cmd() {
        [ -n "${VMTEST_GUEST_CMD:-}" ] || return 0
        discover
        note "--- VM_GUEST_CMD: $VMTEST_GUEST_CMD"
        (cd /tmp && eval "$VMTEST_GUEST_CMD") 2>&1 | sed 's/^/# /'
}

case ${1:-} in
--run) run_one "$2" ;;
--cleanup) cleanup_one "$2" ;;
*)
        run_all
        guest_cmd
        ;;
esac
