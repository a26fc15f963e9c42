#!/bin/bash
# Benchmark for DESIGN §8 (rule 15): 64 VFs on the simulated kernel with
# realistic latencies (unbind 50 ms, probe 20 ms per device, tests/hosts
# README "latency"), all through --root on the sim (never this machine's
# /sys). Prints wall times and ratios (target >= 8x):
#   A  vfioctl detach VF... (all 64 in one command: groups in parallel)
#   B  vfioctl detach VF, 64 commands, one group at a time
#   C  a shell loop making driverctl's writes (override, unbind, probe)
#   D  vfioctl sriov PF 64 --driver vfio
#   E  the shell loop users write for D (autoprobe 0, numvfs, override+probe)
# D and E both wait for the kernel to make the VFs (one sriov_numvfs write,
# 2 ms a VF here, one VF after the other). D binds each VF while the kernel
# still makes the next ones, E once the write returned: E/D can never
# exceed E/(that + one probe), so what each adds to that wait is printed too.
# Numbers, not pass/fail.
set -euo pipefail
cd "$(dirname "$0")/.."
VFIOCTL=${VFIOCTL:-build/tools/vfioctl}
PCISIM=${PCISIM:-build/tests/sim/pcisim}
VFS=${VFS:-64} UNBIND_MS=${UNBIND_MS:-50} PROBE_MS=${PROBE_MS:-20} SRIOV_VF_MS=${SRIOV_VF_MS:-2}
PF=0000:41:00.0

dir=$(mktemp -d /tmp/vfioctl-bench-sriov.XXXXXX)
# The state where a host keeps it: /run/vfioctl is on tmpfs on Debian, so
# a journal commit costs no disk flush there (SQLite's FULL sync on ext4
# would be a third of vfioctl's time here and nothing of it on a host).
for t in /run /dev/shm /tmp; do
        [ "$(stat -f -c %T "$t" 2>/dev/null)" = tmpfs ] && break
done
state=$(mktemp -d "$t/vfioctl-bench-state.XXXXXX")
mnt=""
cleanup() { [ -z "$mnt" ] || fusermount3 -u "$mnt" 2>/dev/null || true; rm -rf "$dir" "$state"; }
trap cleanup EXIT
python3 bench/gen-sriov-host.py "$dir/on.json" "$VFS" "$VFS" "$UNBIND_MS" "$PROBE_MS" "$SRIOV_VF_MS"
python3 bench/gen-sriov-host.py "$dir/off.json" "$VFS" 0 "$UNBIND_MS" "$PROBE_MS" "$SRIOV_VF_MS"

fresh() { # TOPOLOGY: a new sim and a new state
        [ -z "$mnt" ] || fusermount3 -u "$mnt"
        mnt=$(mktemp -d "$dir/sim.XXXXXX")
        "$PCISIM" "$dir/$1.json" "$mnt"
        rm -rf "${state:?}"/*
}
vf_list() { ls "$mnt/sys/bus/pci/devices/$PF" | grep '^virtfn' | sort -V |
        while read -r l; do basename "$(readlink "$mnt/sys/bus/pci/devices/$PF/$l")"; done; }
V() { "$VFIOCTL" --root "$mnt" --state-dir "$state" -q "$@"; }
now() { date +%s.%N; }
on_vfio() { # how many VFs are on vfio-pci
        local n=0 v
        for v in $(vf_list); do
                [ "$(basename "$(readlink "$mnt/sys/bus/pci/devices/$v/driver" 2>/dev/null)")" = vfio-pci ] && n=$((n + 1))
        done
        echo $n
}

fresh on; vfs=$(vf_list)
s=$(now); V detach $vfs; e=$(now); ta=$(echo "$e - $s" | bc -l); ca=$(on_vfio)

fresh on; vfs=$(vf_list)
s=$(now); for v in $vfs; do V detach "$v"; done; e=$(now); tb=$(echo "$e - $s" | bc -l); cb=$(on_vfio)

fresh on; vfs=$(vf_list); B=$mnt/sys/bus/pci
s=$(now)
for v in $vfs; do
        echo vfio-pci >"$B/devices/$v/driver_override"
        echo "$v" >"$B/devices/$v/driver/unbind"
        echo "$v" >"$B/drivers_probe"
done
e=$(now); tc=$(echo "$e - $s" | bc -l); cc=$(on_vfio)

fresh off
s=$(now); V sriov $PF "$VFS" --driver vfio; e=$(now); td=$(echo "$e - $s" | bc -l); cd_=$(on_vfio)

fresh off; B=$mnt/sys/bus/pci
s=$(now)
echo 0 >"$B/devices/$PF/sriov_drivers_autoprobe"
sn=$(now); echo "$VFS" >"$B/devices/$PF/sriov_numvfs"; en=$(now); tn=$(echo "$en - $sn" | bc -l)
for v in $(vf_list); do
        echo vfio-pci >"$B/devices/$v/driver_override"
        echo "$v" >"$B/drivers_probe"
done
e=$(now); te=$(echo "$e - $s" | bc -l); ce=$(on_vfio)

echo "host: PF $PF with $VFS VFs, each in its own IOMMU group; latencies unbind ${UNBIND_MS} ms, probe ${PROBE_MS} ms, VF creation ${SRIOV_VF_MS} ms/VF"
echo "state: $state ($(stat -f -c %T "$state"), as /run/vfioctl on a host)"
printf 'A  vfioctl detach (%d VFs, one command):      %7.3fs  (%d on vfio-pci)\n' "$VFS" "$ta" "$ca"
printf 'B  vfioctl detach, one group per command:    %7.3fs  (%d on vfio-pci)\n' "$tb" "$cb"
printf 'C  shell loop of driverctl'"'"'s writes:           %7.3fs  (%d on vfio-pci)\n' "$tc" "$cc"
printf 'D  vfioctl sriov PF %d --driver vfio:         %7.3fs  (%d on vfio-pci)\n' "$VFS" "$td" "$cd_"
printf 'E  shell loop: autoprobe 0, numvfs, bind:    %7.3fs  (%d on vfio-pci)\n' "$te" "$ce"
echo "ratio B/A (one at a time / one command): $(echo "scale=2; $tb / $ta" | bc) (target >= 8)"
echo "ratio C/A (driverctl loop / one command): $(echo "scale=2; $tc / $ta" | bc) (target >= 8)"
echo "ratio E/D (shell loop / sriov):           $(echo "scale=2; $te / $td" | bc) (target >= 8)"
printf 'of D and E, %.3fs is the kernel making the VFs (the sriov_numvfs write, the same for both);\n' "$tn"
printf 'after it, E takes %.3fs more and D %.3fs (D binds VFs during it)\n' \
        "$(echo "$te - $tn" | bc -l)" "$(echo "$td - $tn" | bc -l)"
echo "(A and D run up to 32 groups at once, rule 15; the sim lets writes of different devices to one"
echo " file run at once, as sysfs does: tests/sim/README.md, Latencies)"
