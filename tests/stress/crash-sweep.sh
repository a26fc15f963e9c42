#!/bin/bash
# Crash and full-disk sweeps (DESIGN §7.4) of every changing command:
# detach, reattach, assign (group='auto', short form, partial
# multifunction, a hostdev network pool), release, reserve (with and
# without --now), boot (the systemd and the udev form) and sriov (VFs on a
# stub, on the host driver, and back to 0), on the workstation and the
# SR-IOV server sims.
#  - At every write and fsync of the command (its write helpers' included:
#    one count through fork), SQLite's too: libfaultshim.so (LD_PRELOAD)
#    SIGKILLs the command at the k-th call (a helper making that call
#    kills the command; every other helper point it kills itself too, so
#    the write is not made, the others it makes the write after the
#    command died, as a helper outliving a killed vfioctl does).
#  - At every sysfs write index: the sim's .sim/crash_after kills the
#    command before its k-th write.
# After each kill: `recover`, or (every other point) another changing
# command, which recovers first; then all or nothing (drivers, overrides,
# VFs and the reservations file as before the command, or as after it)
# and the invariants (invariants.py). Double faults kill recover too.
# ENOSPC: every write to the state folder from the k-th on fails (detach,
# assign, release, sriov); the command succeeds or refuses, and after a
# plain recover nothing is lost.
# SWEEP_POINTS (default 10): shim kill points per command, spread evenly
# over its calls (a large value sweeps every call); SWEEP_SYSFS (all): the
# sysfs write indexes per command; SWEEP_ENOSPC_POINTS (24) likewise.
. "$(dirname "$0")/../testlib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
POINTS=${SWEEP_POINTS:-10}
SYSFS_POINTS=${SWEEP_SYSFS:-1000}
ENOSPC_POINTS=${SWEEP_ENOSPC_POINTS:-24}
OUTDIR=${STRESS_OUT:-$T}
mkdir -p "$OUTDIR"
SHIM=${FAULTSHIM:?FAULTSHIM names libfaultshim.so}
# Under ASan (CI's build-asan) a preloaded library comes before the ASan
# runtime; the shim is built with it and only wraps write calls.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# Two hosts, each with its own sim, state and configuration folder.
declare -A ROOT
sim_mount workstation
ROOT[ws]=$SIM
sim_mount sriov-server
ROOT[sr]=$SIM
# The X710 with 3 VFs on iavf (as its host would have them), the pool's.
echo 3 >"${ROOT[sr]}/sys/bus/pci/devices/0000:41:00.0/sriov_numvfs"
for h in ws sr; do mkdir -m 0755 "$T/cfg-$h"; done

V() { # HOST ARGS...
        local h=$1; shift
        "$VFIOCTL" --root "${ROOT[$h]}" --state-dir "$T/state-$h" --config-dir "$T/cfg-$h" "$@"
}
FV() { # HOST FAULT ARGS...: vfioctl with the shim
        local h=$1 f=$2; shift 2
        VFIOCTL_FAULT=$f VFIOCTL_FAULT_DIR=$T/state-$h LD_PRELOAD=$SHIM V "$h" "$@"
}
CV() { # HOST ARGS...: counts the calls of an undisturbed run into $T/count
        local h=$1; shift
        VFIOCTL_FAULT_COUNT=$T/count LD_PRELOAD=$SHIM V "$h" "$@"
}
# snapshot HOST: every device with its driver and override, the PFs' VF
# counts and autoprobe, the reservations: what all or nothing compares.
snapshot() {
        python3 "$HERE/invariants.py" "$VFIOCTL" "${ROOT[$1]}" "$T/state-$1" - \
                --snapshot "$T/snap" --reservations "$T/cfg-$1/reservations"
        cat "$T/snap"
}
declare -A PRISTINE
for h in ws sr; do
        python3 -c '
import json, os, sys
d = os.path.join(sys.argv[1], "sys/bus/pci/devices")
print(json.dumps({a: (os.path.basename(os.readlink(os.path.join(d, a, "driver")))
                      if os.path.islink(os.path.join(d, a, "driver")) else None)
                  for a in os.listdir(d)}))' "${ROOT[$h]}" >"$T/pristine-$h.json"
        PRISTINE[$h]=$(snapshot $h)
done
# invariants HOST: the violations (none: empty), and the snapshot in $T/snap.
invariants() {
        python3 "$HERE/invariants.py" "$VFIOCTL" "${ROOT[$1]}" "$T/state-$1" "$T/pristine-$1.json" \
                --snapshot "$T/snap" --reservations "$T/cfg-$1/reservations"
}
# back HOST: everything as at the start, whatever a failed point left.
back() {
        local h=$1 g
        V $h recover >/dev/null 2>&1
        for g in ga gb gp pa; do V $h release $g >/dev/null 2>&1; done
        if [ $h = ws ]; then
                V $h reattach --group 05:00.0 01:00.0 >/dev/null 2>&1
                V $h unreserve 01:00.0 01:00.1 >/dev/null 2>&1
        else
                V $h sriov 03:00.0 0 >/dev/null 2>&1
        fi
}
# run_list HOST 'ARGS;ARGS;...': plain vfioctl commands, one after another.
run_list() {
        local h=$1 c
        IFS=';' read -ra cs <<<"$2"
        for c in "${cs[@]}"; do V $h $c >/dev/null 2>&1; done
}
# The other command of "another command first": a change of its own on an
# unrelated device, which recovers the interrupted one first.
other() {
        if [ $1 = ws ]; then
                V ws detach 00:14.0 && V ws reattach 00:14.0
        else
                V sr detach 41:02.2 && V sr reattach 41:02.2
        fi
}

# The state exists before the sweeps are sized: a first command also
# creates the schema, and its extra calls would be points past the end.
for h in ws sr; do other $h >/dev/null 2>&1; done

cat >"$T/gb.xml" <<'XML'
<domain><name>gb</name><devices><hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio' group='auto'/><source><address domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></source></hostdev></devices></domain>
XML
# Partial multifunction: the GPU's audio function detached and owned, not given.
cat >"$T/gp.xml" <<'XML'
<domain><name>gp</name><devices>
<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>
<hostdev mode='subsystem' type='pci' managed='yes' assigned='no'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source></hostdev>
</devices></domain>
XML
# A pool: <interface type='network'> of a hostdev network with <pf dev>.
mkdir -p "$T/nets"
cat >"$T/nets/vfpool.xml" <<'XML'
<network><name>vfpool</name><forward mode='hostdev' managed='yes'><driver name='vfio'/><pf dev='enp65s0f0'/></forward></network>
XML
cat >"$T/pa.xml" <<'XML'
<domain><name>pa</name><devices><interface type='network'><mac address='52:54:00:00:00:0a'/><source network='vfpool'/></interface></devices></domain>
XML
POOL="assign pa --xml $T/pa.xml --network-dir $T/nets"

# host | name | setup (';'-separated) | the command | cleanup (';'-separated) | sysfs sweep | apart
# sysfs sweep: whether to sweep every sysfs write index here (detach,
# reattach, assign group='auto' and release have theirs in tests/cli).
# apart: the reservations file is judged apart from the devices. reserve
# --now writes it (configuration, atomically) before it detaches; killed
# in between, recover puts the devices back and the reservation stays, to
# be honoured at the next boot (status: "reserved, NOT honoured").
CASES=(
        "ws|detach-group||detach --group 05:00.0|reattach --group 05:00.0|"
        "ws|reattach-group|detach --group 05:00.0|reattach --group 05:00.0|reattach --group 05:00.0|"
        "ws|assign-auto||assign gb --xml $T/gb.xml|release gb|"
        "ws|assign-short||assign ga 01:00.0 01:00.1|release ga|yes"
        "ws|assign-partial-mf||assign gp --xml $T/gp.xml|release gp|yes"
        "ws|release|assign ga 01:00.0 01:00.1|release ga|release ga|"
        "ws|reserve||reserve --group 01:00.0|unreserve 01:00.0 01:00.1|"
        "ws|reserve-now||reserve --now --group 01:00.0|unreserve --now 01:00.0 01:00.1|yes|apart"
        "ws|boot|reserve --group 01:00.0|boot|reattach --group 01:00.0;unreserve 01:00.0 01:00.1|yes"
        "ws|boot-udev|reserve --group 01:00.0|boot 0000:01:00.1|reattach --group 01:00.0;unreserve 01:00.0 01:00.1|yes"
        "sr|pool-assign||$POOL|release pa|yes"
        "sr|pool-release|$POOL|release pa|release pa|yes"
        "sr|sriov-stub||sriov 03:00.0 4 --driver vfio|sriov 03:00.0 0|yes"
        "sr|sriov-host||sriov 03:00.0 2|sriov 03:00.0 0|yes"
        "sr|sriov-off|sriov 03:00.0 4 --driver vfio|sriov 03:00.0 0|sriov 03:00.0 0|yes"
)

unfired=0 points=0 recovered=0 spoints=0 srecovered=0 doubles=0 enospc=0 parity=0
declare -A BEFORE AFTER TOTAL NWRITES
# judge HOST NAME WHAT DIED HOW REC-FILE: all or nothing and the invariants,
# one TAP line; sets JUDGED (0 ok).
judge() {
        local h=$1 name=$2 what=$3 died=$4 how=$5 rec=$6 apart=${7:-} now inv ok=0 b a
        # A helper that outlived the command may still be writing: recover
        # says so (exit 3) and is run again once it is done.
        for _ in 1 2 3 4 5 6; do
                inv=$(invariants $h)
                case $inv in *"unfinished operation"*) ;; *) break ;; esac
                sleep 0.3
                V $h recover >>"$rec" 2>&1
        done
        now=$(cat "$T/snap")
        if [ -n "$apart" ]; then
                for part in "grep -v ^reservations:" "grep ^reservations:"; do
                        b=$(echo "${BEFORE[$name]}" | $part) a=$(echo "${AFTER[$name]}" | $part)
                        [ "$(echo "$now" | $part)" = "$b" ] || [ "$(echo "$now" | $part)" = "$a" ] ||
                                ok=1
                done
        else
                [ "$now" = "${BEFORE[$name]}" ] || [ "$now" = "${AFTER[$name]}" ] || ok=1
        fi
        [ -z "$inv" ] || ok=1
        # SIGKILL (137), or the command finished first: a point past its end.
        case $died in 137) ;; 0) unfired=$((unfired + 1)) ;; *) ok=1 ;; esac
        _report $ok "$name killed at $what (exit $died), then $how: all or nothing, invariants hold"
        if [ $ok != 0 ]; then
                echo "$inv" | sed 's/^/#   /'
                diff <(echo "${BEFORE[$name]}") <(echo "$now") | sed 's/^/#   before> /'
                diff <(echo "${AFTER[$name]}") <(echo "$now") | sed 's/^/#   after> /'
                sed 's/^/#   /' "$rec"
        fi
        JUDGED=$ok
}
# after_kill HOST: recover, or another command first (every other time).
after_kill() {
        parity=$((1 - parity))
        if [ $parity = 1 ]; then
                HOW=recover
                V $1 recover >"$T/rec" 2>&1
        else
                HOW="another command"
                other $1 >"$T/rec" 2>&1
        fi
}
reset_point() { # HOST NAME CLEANUP
        run_list $1 "$3"
        [ "$(snapshot $1)" = "${PRISTINE[$1]}" ] || back $1
}

start=$(date +%s)
for c in "${CASES[@]}"; do
        IFS='|' read -r h name setup cmd cleanup sysfs apart <<<"$c"
        # Size the sweeps: the calls and sysfs writes of one undisturbed run.
        run_list $h "$setup"
        BEFORE[$name]=$(snapshot $h)
        : >"${ROOT[$h]}/.sim/log"
        CV $h $cmd >/dev/null 2>"$T/plain.err"
        rc=$?
        AFTER[$name]=$(snapshot $h)
        TOTAL[$name]=$(cat "$T/count")
        NWRITES[$name]=$(grep -c '^sys/' "${ROOT[$h]}/.sim/log")
        is "$name: an undisturbed run succeeds" "$rc" 0
        [ $rc = 0 ] || sed 's/^/#   /' "$T/plain.err"
        run_list $h "$cleanup"
        is "$name: back to pristine after a plain run (${TOTAL[$name]} calls, ${NWRITES[$name]} sysfs writes)" \
                "$(snapshot $h)" "${PRISTINE[$h]}"
        [ "$(snapshot $h)" = "${PRISTINE[$h]}" ] || back $h

        total=${TOTAL[$name]}
        stride=$(( (total + POINTS - 1) / POINTS ))
        [ $stride -ge 1 ] || stride=1
        for k in $(seq 1 "$stride" "$total"); do
                run_list $h "$setup"
                fault=kill
                [ $(( (k / stride) % 4 )) = 3 ] && fault=orphan
                FV $h $fault:$k $cmd >/dev/null 2>&1
                died=$?
                after_kill $h
                points=$((points + 1))
                judge $h $name "call $k/$total ($fault)" $died "$HOW" "$T/rec" "$apart"
                [ $JUDGED = 0 ] && recovered=$((recovered + 1))
                reset_point $h $name "$cleanup"
        done

        [ "$sysfs" = yes ] || continue
        n=${NWRITES[$name]}
        stride=$(( (n + SYSFS_POINTS - 1) / SYSFS_POINTS ))
        [ $stride -ge 1 ] || stride=1
        for k in $(seq 1 "$stride" "$n"); do
                run_list $h "$setup"
                echo "$k" >"${ROOT[$h]}/.sim/crash_after"
                V $h $cmd >/dev/null 2>&1
                died=$?
                echo 0 >"${ROOT[$h]}/.sim/crash_after"
                after_kill $h
                spoints=$((spoints + 1))
                judge $h $name "sysfs write $k/$n" $died "$HOW" "$T/rec" "$apart"
                [ $JUDGED = 0 ] && srecovered=$((srecovered + 1))
                reset_point $h $name "$cleanup"
        done
done

# Double fault: kill the operation, then kill recover at several of its
# calls, then a last recover: all or nothing still.
# NAME:P: the operation killed at P % of its calls.
DOUBLE=("detach-group:10" "detach-group:40" "detach-group:70" "pool-assign:50" "sriov-stub:60"
        "boot:50")
for d in "${DOUBLE[@]}"; do
        name=${d%:*} k=$(( ${TOTAL[${d%:*}]} * ${d#*:} / 100 ))
        for c in "${CASES[@]}"; do
                IFS='|' read -r h n setup cmd cleanup sysfs apart <<<"$c"
                [ "$n" = "$name" ] && break
        done
        run_list $h "$setup"
        FV $h kill:$k $cmd >/dev/null 2>&1
        died=$?
        for j in 1 2 4 8 16 32; do
                FV $h kill:$j recover >/dev/null 2>&1
        done
        V $h recover >"$T/rec" 2>&1
        doubles=$((doubles + 1))
        judge $h $name "call $k, recover killed 6 times, a last recover" $died "recover" "$T/rec"
        reset_point $h $name "$cleanup"
        is "double fault $name at $k: everything back" "$(snapshot $h)" "${PRISTINE[$h]}"
done

# ENOSPC: the state folder fills up at the k-th write, for the commands
# that write the most state: a detach, an assign (guest and owners), its
# release, and an sriov that records its VFs.
ENOSPC_CASES=(
        "ws||detach --group 05:00.0|reattach --group 05:00.0"
        "ws||assign gb --xml $T/gb.xml|release gb"
        "ws|assign ga 01:00.0 01:00.1|release ga|release ga"
        "sr||sriov 03:00.0 4 --driver vfio|sriov 03:00.0 0"
)
for e in "${ENOSPC_CASES[@]}"; do
        IFS='|' read -r h setup cmd undo <<<"$e"
        run_list $h "$setup"
        VFIOCTL_FAULT_COUNT=$T/count VFIOCTL_FAULT=enospc:1000000 VFIOCTL_FAULT_DIR=$T/state-$h \
                LD_PRELOAD=$SHIM V $h $cmd >/dev/null 2>&1
        total=$(cat "$T/count")
        run_list $h "$undo"
        stride=$(( (total + ENOSPC_POINTS - 1) / ENOSPC_POINTS ))
        for k in $(seq 1 "$stride" "$total"); do
                run_list $h "$setup"
                FV $h enospc:$k $cmd >"$T/enospc" 2>&1
                rc=$?
                V $h recover >"$T/rec" 2>&1
                inv=$(invariants $h)
                enospc=$((enospc + 1))
                ok=0
                [ -z "$inv" ] || ok=1
                case $rc in 0|1|3) ;; *) ok=1 ;; esac
                _report $ok "ENOSPC from state write $k/$total of $cmd (exit $rc), then recover: invariants hold"
                [ $ok = 0 ] || { echo "$inv" | sed 's/^/#   /'; sed 's/^/#   /' "$T/enospc"; }
                run_list $h "$undo"
                [ "$(snapshot $h)" = "${PRISTINE[$h]}" ] || back $h
        done
done
for h in ws sr; do
        is "after the sweeps, $h: every device on its driver" "$(snapshot $h)" "${PRISTINE[$h]}"
done

secs=$(( $(date +%s) - start ))
{
        printf '%-12s %8s %10s %8s %8s %6s\n' sweep points recovered doubles enospc secs
        printf '%-12s %8s %10s %8s %8s %6s\n' write-fsync "$points" "$recovered" "$doubles" "$enospc" "$secs"
        printf '%-12s %8s %10s %8s %8s %6s\n' sysfs-index "$spoints" "$srecovered" - - -
        printf '# %d points past the end of their command (it finished first)\n' "$unfired"
        printf '# %d commands: %s\n' "${#CASES[@]}" "$(for c in "${CASES[@]}"; do
                IFS='|' read -r _ n _ <<<"$c"; printf '%s ' "$n"; done)"
} | tee "$OUTDIR/sweep-table" | sed 's/^/# /'
done_testing
