#!/bin/bash
# Benchmark for DESIGN §8: `vfioctl list --all` against `lspci -D -k` on the
# same generated 16 x 255 SR-IOV host (4,000+ functions), in one run.
# Prints wall times, their ratio (target <= 0.3) and syscalls per function
# (target <= 8). Numbers, not a pass/fail: run it by hand or from CI logs.
set -euo pipefail
cd "$(dirname "$0")/.."
VFIOCTL=${VFIOCTL:-build/tools/vfioctl}
PFS=${PFS:-16} VFS=${VFS:-255} RUNS=${RUNS:-5}
command -v lspci >/dev/null || { echo "bench: needs lspci (apt-get install pciutils)"; exit 1; }
command -v strace >/dev/null || { echo "bench: needs strace (apt-get install strace)"; exit 1; }

dir=$(mktemp -d /tmp/vfioctl-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
groups=$(python3 bench/gen-host.py "$dir" "$PFS" "$VFS")
n=$(ls "$dir/sys/bus/pci/devices" | wc -l)
echo "host: $n functions, $groups IOMMU groups ($PFS PFs x $VFS VFs)"

best() { # best wall time of RUNS runs, in seconds
        local best=999 t s e
        for _ in $(seq "$RUNS"); do
                s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
                t=$(echo "$e - $s" | bc -l)
                best=$(echo "if ($t < $best) $t else $best" | bc -l)
        done
        printf '%.4f' "$best"
}
syscalls() {
        strace -f -c -o "$dir.strace" "$@" >/dev/null 2>&1
        awk '/total/ {print $4}' "$dir.strace"
        rm -f "$dir.strace"
}

# Warm the page cache for both.
"$VFIOCTL" --root "$dir" list --all >/dev/null
lspci -D -k -A linux-sysfs -O sysfs.path="$dir/sys/bus/pci" >/dev/null 2>&1 || true

tv=$(best "$VFIOCTL" --root "$dir" list --all)
tl=$(best lspci -D -k -A linux-sysfs -O sysfs.path="$dir/sys/bus/pci")
sv=$(syscalls "$VFIOCTL" --root "$dir" list --all)
sl=$(syscalls lspci -D -k -A linux-sysfs -O sysfs.path="$dir/sys/bus/pci")
echo "vfioctl list --all: ${tv}s, $sv syscalls ($(echo "scale=2; $sv / $n" | bc) per function)"
echo "lspci -D -k:        ${tl}s, $sl syscalls ($(echo "scale=2; $sl / $n" | bc) per function)"
echo "ratio vfioctl/lspci: $(echo "scale=3; $tv / $tl" | bc) (target <= 0.3)"
