#!/bin/bash
# Crash and full-disk sweeps (DESIGN §7.4) at every write and fsync of the
# process, SQLite's included (libfaultshim.so, LD_PRELOAD), of every
# changing command: killed at the k-th call, then `recover` (or, every
# other point, another changing command, which recovers first), then the
# invariants and all-or-nothing (drivers as before the command, or as
# after it). A double fault kills recover too. ENOSPC: every write to the
# state folder from the k-th on fails; the command succeeds or refuses,
# and after a plain recover nothing is lost.
# The sysfs-write-index sweeps are t-detach-crash.sh and t-assign-crash.sh.
# SWEEP_POINTS (default 12): kill points per command, spread evenly over
# its calls; SWEEP_ENOSPC_POINTS (24) likewise. A large value sweeps every call.
. "$(dirname "$0")/../testlib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
POINTS=${SWEEP_POINTS:-12}
ENOSPC_POINTS=${SWEEP_ENOSPC_POINTS:-24}
OUTDIR=${STRESS_OUT:-$T}
mkdir -p "$OUTDIR"
SHIM=${FAULTSHIM:?FAULTSHIM names libfaultshim.so}

sim_mount workstation
WS=$SIM
ST=$T/state
V() { "$VFIOCTL" --root "$WS" --state-dir "$ST" "$@"; }
FV() { # FAULT ARGS...: vfioctl with the shim
        local f=$1; shift
        VFIOCTL_FAULT=$f VFIOCTL_FAULT_DIR=$ST LD_PRELOAD=$SHIM "$VFIOCTL" --root "$WS" \
                --state-dir "$ST" "$@"
}
drivers() {
        python3 -c '
import os, sys
d = os.path.join(sys.argv[1], "sys/bus/pci/devices")
for a in sorted(os.listdir(d)):
    l = os.path.join(d, a, "driver")
    o = open(os.path.join(d, a, "driver_override")).read().strip()
    print(a, os.path.basename(os.readlink(l)) if os.path.islink(l) else "-", o)' "$WS"
}
python3 -c '
import json, os, sys
d = os.path.join(sys.argv[1], "sys/bus/pci/devices")
print(json.dumps({a: (os.path.basename(os.readlink(os.path.join(d, a, "driver")))
                      if os.path.islink(os.path.join(d, a, "driver")) else None)
                  for a in os.listdir(d)}))' "$WS" >"$T/pristine.json"
PRISTINE=$(drivers)
invariants() {
        python3 "$HERE/invariants.py" "$VFIOCTL" "$WS" "$ST" "$T/pristine.json"
}

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

# name | setup (plain vfioctl args, ';'-separated) | the command | cleanup
CASES=(
        "detach-group||detach --group 05:00.0|reattach --group 05:00.0"
        "reattach-group|detach --group 05:00.0|reattach --group 05:00.0|reattach --group 05:00.0"
        "assign-auto||assign gb --xml $T/gb.xml|release gb"
        "assign-short||assign ga 01:00.0 01:00.1|release ga"
        "assign-partial-mf||assign gp --xml $T/gp.xml|release gp"
        "release|assign ga 01:00.0 01:00.1|release ga|release ga"
)
points=0 recovered=0 doubles=0 enospc=0
start=$(date +%s)
for c in "${CASES[@]}"; do
        IFS='|' read -r name setup cmd cleanup <<<"$c"
        # Size the sweep: the calls one undisturbed run makes.
        [ -z "$setup" ] || V $setup >/dev/null 2>&1
        before=$(drivers)
        VFIOCTL_FAULT_COUNT=$T/count LD_PRELOAD=$SHIM "$VFIOCTL" --root "$WS" --state-dir "$ST" \
                $cmd >/dev/null 2>&1
        after=$(drivers)
        total=$(cat "$T/count")
        V $cleanup >/dev/null 2>&1
        is "$name: back to pristine after a plain run ($total calls)" "$(drivers)" "$PRISTINE"
        stride=$(( (total + POINTS - 1) / POINTS ))
        [ $stride -ge 1 ] || stride=1
        for k in $(seq 1 "$stride" "$total"); do
                [ -z "$setup" ] || V $setup >/dev/null 2>&1
                FV kill:$k $cmd >/dev/null 2>&1
                died=$?
                if [ $((k / stride % 2)) = 0 ]; then
                        how=recover
                        V recover >"$T/rec" 2>&1
                else
                        how="another command (detach 00:14.0)"
                        V detach 00:14.0 >"$T/rec" 2>&1
                        V reattach 00:14.0 >>"$T/rec" 2>&1
                fi
                rc=$?
                now=$(drivers)
                points=$((points + 1))
                ok=0
                [ "$now" = "$before" ] || [ "$now" = "$after" ] || ok=1
                inv=$(invariants)
                [ -z "$inv" ] || ok=1
                [ $ok = 0 ] && recovered=$((recovered + 1))
                _report $ok "$name killed at call $k/$total (exit $died), then $how: all or nothing, invariants hold"
                [ $ok = 0 ] || { echo "$inv" | sed 's/^/#   /'; sed 's/^/#   /' "$T/rec"; }
                V $cleanup >/dev/null 2>&1
                [ "$(drivers)" = "$PRISTINE" ] || V recover >/dev/null 2>&1
        done
done

# Double fault: kill the operation, then kill recover at each of its calls.
for k in 5 15 30; do
        FV kill:$k detach --group 05:00.0 >/dev/null 2>&1
        VFIOCTL_FAULT_COUNT=$T/count LD_PRELOAD=$SHIM "$VFIOCTL" --root "$WS" --state-dir "$ST" \
                status >/dev/null 2>&1
        for j in 1 2 4 8 16; do
                FV kill:$j recover >/dev/null 2>&1
        done
        V recover >"$T/rec" 2>&1
        doubles=$((doubles + 1))
        inv=$(invariants)
        now=$(drivers)
        ok=0
        [ -z "$inv" ] || ok=1
        [ "$now" = "$PRISTINE" ] || [ -n "$(V --json status | grep -c '"address"')" ] || ok=1
        _report $ok "double fault: detach killed at call $k, recover killed 5 times, a last recover: invariants hold"
        [ $ok = 0 ] || echo "$inv" | sed 's/^/#   /'
        V reattach --group 05:00.0 >/dev/null 2>&1
        is "double fault at $k: everything back" "$(drivers)" "$PRISTINE"
done

# ENOSPC: the state folder fills up at the k-th write.
VFIOCTL_FAULT_COUNT=$T/count VFIOCTL_FAULT=enospc:1000000 VFIOCTL_FAULT_DIR=$ST LD_PRELOAD=$SHIM \
        "$VFIOCTL" --root "$WS" --state-dir "$ST" detach --group 05:00.0 >/dev/null 2>&1
total=$(cat "$T/count")
V reattach --group 05:00.0 >/dev/null 2>&1
stride=$(( (total + ENOSPC_POINTS - 1) / ENOSPC_POINTS ))
for k in $(seq 1 "$stride" "$total"); do
        FV enospc:$k detach --group 05:00.0 >"$T/enospc" 2>&1
        rc=$?
        V recover >"$T/rec" 2>&1
        inv=$(invariants)
        now=$(drivers)
        enospc=$((enospc + 1))
        ok=0
        [ -z "$inv" ] || ok=1
        case $rc in 0|1|3) ;; *) ok=1 ;; esac
        _report $ok "ENOSPC from state write $k/$total of detach --group (exit $rc), then recover: invariants hold"
        [ $ok = 0 ] || { echo "$inv" | sed 's/^/#   /'; sed 's/^/#   /' "$T/enospc"; }
        V reattach --group 05:00.0 >/dev/null 2>&1
        [ "$(drivers)" = "$PRISTINE" ] || V recover >/dev/null 2>&1
done
is "after the sweeps: every device on its driver" "$(drivers)" "$PRISTINE"

secs=$(( $(date +%s) - start ))
{
        printf '%-12s %8s %10s %8s %8s %6s\n' sweep points recovered doubles enospc secs
        printf '%-12s %8s %10s %8s %8s %6s\n' write-fsync "$points" "$recovered" "$doubles" "$enospc" "$secs"
} | tee "$OUTDIR/sweep-table" | sed 's/^/# /'
done_testing
