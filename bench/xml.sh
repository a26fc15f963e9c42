#!/bin/bash
# Benchmark for issue 14 item 9: a large guest definition (default 23,000
# <hostdev>s with alias, boot order and guest address, about 6.8 MB) is
# parsed and checked in linear time, before the state lock is taken.
# Prints: the wall time of a dry-run assign (parse + checks, then refused:
# the devices do not exist), and how long a real assign holds the state
# lock before it refuses. Run by hand; VFIOCTL picks the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
VFIOCTL=${VFIOCTL:-build/tools/vfioctl}
N=${N:-23000}
command -v strace >/dev/null || { echo "bench: needs strace (apt-get install strace)"; exit 1; }

work=$(mktemp -d /tmp/vfioctl-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 bench/gen-host.py "$work/host" 1 16 >/dev/null
python3 - "$N" >"$work/big.xml" <<'PY'
import sys
n = int(sys.argv[1])
print("<domain type='kvm'>\n  <name>big</name>\n  <devices>")
for i in range(n):
    # Host functions 0001:00:00.0 on; guest slots on buses 1-255.
    bus, slot, fn = (i >> 8) & 0xff, (i >> 3) & 0x1f, i & 7
    gbus, gslot = 1 + i // 32 % 255, i % 32
    print(f"    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
          f"      <source><address domain='0x{0x100 + (i >> 16):04x}' bus='0x{bus:02x}' slot='0x{slot:02x}' function='0x{fn:x}'/></source>\n"
          f"      <alias name='ua-dev{i}'/>\n      <boot order='{i + 1}'/>\n"
          f"      <address type='pci' domain='0x0000' bus='0x{gbus:02x}' slot='0x{gslot:02x}' function='0x{i // 8160:x}'/>\n"
          f"    </hostdev>")
print("  </devices>\n</domain>")
PY
V=("$VFIOCTL" --root "$work/host" --state-dir "$work/state")
"${V[@]}" status >/dev/null
echo "definition: $N hostdevs, $(( $(stat -c %s "$work/big.xml") / 1024 )) KiB"
s=$(date +%s%N)
"${V[@]}" --dry-run assign big --xml "$work/big.xml" >"$work/out" 2>&1 || true
e=$(date +%s%N)
echo "dry-run assign (parse, checks, refused): $(( (e - s) / 1000000 )) ms ($(head -c 100 "$work/out"))"
# The lock is a flock() on STATE_DIR/lock, held until the process exits.
strace -f -ttt -e trace=flock,exit_group -o "$work/strace" \
        "${V[@]}" assign big --xml "$work/big.xml" >/dev/null 2>&1 || true
awk '/flock\(.*LOCK_EX.*= 0/ && !t { t = $2 } /exit_group/ { e = $2 }
     END { if (t) printf "from taking the state lock to exit: %.0f ms\n", (e - t) * 1000;
           else print "state lock: not taken" }' "$work/strace"
