#!/bin/bash
# Stress (DESIGN §7.4): rounds of concurrent vfioctl processes on
# overlapping groups of the workstation (GPU group 1, chipset group 8) and
# the SR-IOV server (PF group 2, pool VFs), with the invariant checker
# (invariants.py) after every round. On the SR-IOV server the PFs' VFs are
# toggled (`sriov PF N`, to a stub or the host driver, and `sriov PF 0`)
# while pool assigns, detaches and releases of those very VFs run: a VF
# that is owned or detached is never removed (the toggle is refused), and
# one that is gone is never recorded. Lock timeouts are counted, not
# failures: a command that gives up waiting changed nothing.
# STRESS_ROUNDS (default 12), STRESS_N processes per host and round (5).
. "$(dirname "$0")/../testlib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${STRESS_ROUNDS:-12}
N=${STRESS_N:-5}
OUTDIR=${STRESS_OUT:-$T}
mkdir -p "$OUTDIR"
RANDOM=${STRESS_SEED:-14}

sim_mount workstation
WS=$SIM
sim_mount sriov-server
SR=$SIM
echo 3 >"$SR/sys/bus/pci/devices/0000:41:00.0/sriov_numvfs"
# Slow probes keep the lock held long enough for the others to queue, and
# some to give up (--timeout 1).
echo "0000:05:00.0 probe block=150" >"$WS/.sim/faults"
echo "0000:01:00.1 probe block=100" >"$WS/.sim/faults"
echo "0000:03:00.1 probe block=150" >"$SR/.sim/faults"

# pristine ROOT FILE: every device's driver now, as JSON.
pristine() {
        python3 - "$1" >"$2" <<'PY'
import json, os, sys
d = os.path.join(sys.argv[1], "sys/bus/pci/devices")
out = {}
for a in sorted(os.listdir(d)):
    l = os.path.join(d, a, "driver")
    out[a] = os.path.basename(os.readlink(l)) if os.path.islink(l) else None
print(json.dumps(out))
PY
}
pristine "$WS" "$T/ws.json"
pristine "$SR" "$T/sr.json"

mkdir -p "$T/nets"
cat >"$T/nets/vfpool.xml" <<'XML'
<network><name>vfpool</name><forward mode='hostdev' managed='yes'><driver name='vfio'/><pf dev='enp65s0f0'/></forward></network>
XML
for g in pa pb pc; do
        cat >"$T/$g.xml" <<XML
<domain><name>$g</name><devices><interface type='network'><source network='vfpool'/></interface></devices></domain>
XML
done
cat >"$T/gb.xml" <<'XML'
<domain><name>gb</name><devices><hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio' group='auto'/><source><address domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></source></hostdev></devices></domain>
XML

W() { "$VFIOCTL" --root "$WS" --state-dir "$T/ws-state" "$@" --timeout 1; }
S() { "$VFIOCTL" --root "$SR" --state-dir "$T/sr-state" "$@" --timeout 1; }
WS_OPS=("detach --group 05:00.0" "reattach --group 05:00.0" "detach --group 01:00.0"
        "reattach --group 01:00.0" "assign ga 01:00.0 01:00.1" "assign gb --xml $T/gb.xml"
        "assign gc 01:00.0 01:00.1" "release ga" "release gb" "release gc" "detach 00:1f.3 --group")
SR_OPS=("assign pa --xml $T/pa.xml --network-dir $T/nets" "assign pb --xml $T/pb.xml --network-dir $T/nets"
        "assign pc --xml $T/pc.xml --network-dir $T/nets" "release pa" "release pb" "release pc"
        "detach --group 03:00.0" "reattach --group 03:00.0" "assign pd 03:00.0 03:00.1"
        "release pd"
        # The VFs themselves, and their PFs' VF count changing under them.
        "detach 41:02.0" "reattach 41:02.0" "detach 41:02.1" "reattach 41:02.1"
        "sriov 41:00.0 0" "sriov 41:00.0 3" "sriov 41:00.0 2 --driver vfio" "sriov 41:00.0 4"
        "sriov 03:00.1 2 --driver vfio" "sriov 03:00.1 0")

commands=0 timeouts=0 refused=0 attention=0 checks=0 violations=0 odd=0 toggles=0 toggled=0
start=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
        pids=() ops=() rcs=() i=0
        for _ in $(seq 1 "$N"); do
                op=${WS_OPS[$((RANDOM % ${#WS_OPS[@]}))]}
                W $op >"$T/out.$i" 2>&1 &
                pids+=($!); ops[$i]="ws: $op"; i=$((i + 1))
                op=${SR_OPS[$((RANDOM % ${#SR_OPS[@]}))]}
                S $op >"$T/out.$i" 2>&1 &
                pids+=($!); ops[$i]="sr: $op"; i=$((i + 1))
        done
        for j in "${!pids[@]}"; do
                wait "${pids[$j]}"
                rc=$?
                commands=$((commands + 1))
                rcs[$j]=$rc
                case ${ops[$j]} in
                "sr: sriov"*) toggles=$((toggles + 1)); [ $rc = 0 ] && toggled=$((toggled + 1)) ;;
                esac
                if grep -q "another vfioctl is changing devices" "$T/out.$j"; then
                        timeouts=$((timeouts + 1))
                elif [ $rc -eq 1 ]; then
                        refused=$((refused + 1))
                elif [ $rc -eq 2 ] && grep -q "no PCI device 0000:41:02" "$T/out.$j"; then
                        refused=$((refused + 1)) # a VF a toggle just removed
                elif [ $rc -eq 3 ]; then
                        attention=$((attention + 1))
                elif [ $rc -ne 0 ]; then
                        odd=$((odd + 1))
                        echo "# round $round: exit $rc:"; sed 's/^/#   /' "$T/out.$j"
                fi
        done
        for h in ws sr; do
                root=$WS; [ $h = sr ] && root=$SR
                checks=$((checks + 1))
                if ! python3 "$HERE/invariants.py" "$VFIOCTL" "$root" "$T/$h-state" "$T/$h.json" \
                        >"$T/inv" 2>&1; then
                        violations=$((violations + 1))
                fi
                _report $(test -s "$T/inv"; echo $((1 - $?))) "round $round, $h: invariants hold"
                sed 's/^/#   /' "$T/inv"
                if [ -s "$T/inv" ]; then # the round's commands on that host, for the why
                        for j in "${!ops[@]}"; do
                                case ${ops[$j]} in "$h: "*) ;; *) continue ;; esac
                                echo "#   ran: ${ops[$j]#*: } (exit ${rcs[$j]})"
                                sed 's/^/#     /' "$T/out.$j"
                        done
                fi
        done
done
is "no command crashed or was misused" "$odd" 0

# Everything back: release every guest, reattach every group.
for g in ga gb gc; do W release $g >/dev/null 2>&1; done
for g in pa pb pc pd; do S release $g >/dev/null 2>&1; done
W reattach --group 05:00.0 >/dev/null 2>&1; W reattach --group 01:00.0 >/dev/null 2>&1
S reattach 41:02.0 41:02.1 >/dev/null 2>&1
S reattach --group 03:00.0 >/dev/null 2>&1
S sriov 03:00.1 0 >/dev/null 2>&1; S sriov 03:00.0 0 >/dev/null 2>&1
# The X710 back to its 3 VFs on iavf: via 0 when another count or a stub has them.
S sriov 41:00.0 3 >/dev/null 2>&1
[ "$(cat "$SR/sys/bus/pci/devices/0000:41:00.0/sriov_numvfs")" = 3 ] || {
        S sriov 41:00.0 0 >/dev/null 2>&1; S sriov 41:00.0 3 >/dev/null 2>&1; }
is "workstation: every device back on its driver" "$(pristine "$WS" /dev/stdout)" "$(cat "$T/ws.json")"
is "sriov-server: every device back on its driver" "$(pristine "$SR" /dev/stdout)" "$(cat "$T/sr.json")"

secs=$(( $(date +%s) - start ))
{
        printf '%-10s %8s %8s %8s %8s %9s %8s %10s %9s %6s\n' rounds commands refused timeouts \
                attention checks broken violations vf-toggle secs
        printf '%-10s %8s %8s %8s %8s %9s %8s %10s %9s %6s\n' "$ROUNDS" "$commands" "$refused" "$timeouts" \
                "$attention" "$checks" "$odd" "$violations" "$toggled/$toggles" "$secs"
} | tee "$OUTDIR/table" | sed 's/^/# /'
done_testing
