#!/bin/bash
# Benchmark for DESIGN §8: `assign` of 8 devices costs the same on a
# 16,384-function host as on a 256-function one (it reads the groups it
# touches, not the whole host), and a command's start-up (library init,
# state open) stays under 2 ms. Prints numbers; run by hand.
# The assign runs with --dry-run: the generated tree is plain files that do
# not react to writes, and the reads are what this measures.
set -euo pipefail
cd "$(dirname "$0")/.."
VFIOCTL=${VFIOCTL:-build/tools/vfioctl}
RUNS=${RUNS:-5}
command -v strace >/dev/null || { echo "bench: needs strace (apt-get install strace)"; exit 1; }

work=$(mktemp -d /tmp/vfioctl-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

best_ms() { # best wall time of RUNS runs, in milliseconds
        local best=999999 s e t
        for _ in $(seq "$RUNS"); do
                s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
                t=$(( (e - s) / 1000 ))
                [ "$t" -lt "$best" ] && best=$t
        done
        printf '%d.%03d' $((best / 1000)) $((best % 1000))
}
syscalls() {
        strace -f -c -o "$work/strace" "$@" >/dev/null 2>&1 || true
        awk '/total/ {print $4}' "$work/strace"
}

# 8 VFs of the first PF: 0000:11:00.0 - 0000:11:00.7, each in its own group.
devs="0000:11:00.0 0000:11:00.1 0000:11:00.2 0000:11:00.3 0000:11:00.4 0000:11:00.5 0000:11:00.6 0000:11:00.7"
for size in "1 254" "64 255"; do
        set -- $size
        host=$work/host-$1x$2
        python3 bench/gen-host.py "$host" "$1" "$2" >/dev/null
        n=$(ls "$host/sys/bus/pci/devices" | wc -l)
        V=("$VFIOCTL" --root "$host" --state-dir "$work/state-$1")
        "${V[@]}" --dry-run assign bench $devs >/dev/null
        t=$(best_ms "${V[@]}" --dry-run assign bench $devs)
        c=$(syscalls "${V[@]}" --dry-run assign bench $devs)
        echo "assign of 8 devices, $n-function host: ${t} ms, $c syscalls"
done

# Start-up: a command that opens the library and the state and reads
# nothing else (status of an empty state).
V=("$VFIOCTL" --root "$work/host-1x254" --state-dir "$work/state-1")
"${V[@]}" status >/dev/null
s=$(date +%s%N)
for _ in $(seq 200); do "${V[@]}" status >/dev/null; done
e=$(date +%s%N)
echo "start-up (status, empty state, process spawn included): $(( (e - s) / 200000 )) us per run"
s=$(date +%s%N)
for _ in $(seq 200); do "$VFIOCTL" --version >/dev/null; done
e=$(date +%s%N)
echo "  the same binary doing nothing (--version: exec and dynamic linking only): $(( (e - s) / 200000 )) us per run"
