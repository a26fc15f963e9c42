#!/bin/bash
# Kernel latencies in the topology ("latency": unbind, probe, sriov_vf in
# ms; per device or for all): an unbind and a probe take that long with the
# device locked, devices go on in parallel, VFs made later inherit the
# topology's default, and sriov_numvfs takes sriov_vf per VF, making them
# one after the other.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/simlib.sh"

cat >"$T/lat.json" <<'JSON'
{"iommu": true, "latency": {"unbind": 300, "probe": 200, "sriov_vf": 100},
 "drivers": [{"name": "igb", "ids": ["8086:1533"]}, {"name": "igbvf", "ids": ["8086:1520"]},
             {"name": "e1000e", "ids": ["8086:10d3"]}, {"name": "vfio-pci"}],
 "devices": [
   {"address": "0000:03:00.0", "vendor": "0x8086", "device": "0x1533", "class": "0x020000",
    "driver": "igb", "group": 1},
   {"address": "0000:04:00.0", "vendor": "0x8086", "device": "0x1533", "class": "0x020000",
    "driver": "igb", "group": 2, "latency": {"unbind": 0}},
   {"address": "0000:05:00.0", "vendor": "0x8086", "device": "0x1533", "class": "0x020000",
    "driver": "igb", "group": 3, "sriov_totalvfs": 4, "vf_device": "0x1520"},
   {"address": "0000:07:00.0", "vendor": "0x8086", "device": "0x1533", "class": "0x020000",
    "driver": "igb", "group": 5, "sriov_totalvfs": 2, "vf_device": "0x1520",
    "latency": {"sriov_vf": 1000}},
   {"address": "0000:06:00.0", "vendor": "0x8086", "device": "0x10d3", "class": "0x020000",
    "driver": "e1000e", "group": 4}]}
JSON
sim_mount "$T/lat.json"
B=$SIM/sys/bus/pci
ms() { echo $(( $(date +%s%N) / 1000000 )); }

s=$(ms); w "$B/drivers/igb/unbind" 0000:03:00.0; e=$(ms)
check "unbind takes the topology's 300 ms" test $((e - s)) -ge 300
s=$(ms); w "$B/drivers/igb/unbind" 0000:04:00.0; e=$(ms)
check "a device's own latency overrides it (unbind 0)" test $((e - s)) -lt 250
s=$(ms); w "$B/drivers_probe" 0000:03:00.0; e=$(ms)
check "drivers_probe takes 200 ms" test $((e - s)) -ge 200
is "and binds" "$(drv 0000:03:00.0)" igb

# Two devices at once: in parallel, not one after the other.
s=$(ms)
w "$B/drivers/igb/unbind" 0000:03:00.0 &
w "$B/drivers/e1000e/unbind" 0000:06:00.0
wait
e=$(ms)
check "two unbinds of different devices overlap (< 550 ms)" test $((e - s)) -lt 550
is "both unbound" "$(drv 0000:03:00.0) $(drv 0000:06:00.0)" "- -"
w "$B/drivers/igb/unbind" 0000:05:00.0

w "$B/drivers_probe" 0000:05:00.0
s=$(ms); w "$B/devices/0000:05:00.0/sriov_numvfs" 2; e=$(ms)
check "sriov_numvfs 2 takes 2 x 100 ms (and the VFs' probes)" test $((e - s)) -ge 200
s=$(ms); w "$B/drivers/igbvf/unbind" 0000:05:02.0; e=$(ms)
check "a VF made later has the default unbind latency" test $((e - s)) -ge 300

# The kernel adds VF after VF inside the one sriov_numvfs write (PF locked):
# a VF's virtfnN link is there before the next VF's, and until the kernel
# has put the VF on the bus (half its 1000 ms later) nothing binds it.
P=$B/devices/0000:07:00.0
echo 0 >"$P/sriov_drivers_autoprobe"
w "$P/sriov_numvfs" 2 &
making=$!
until [ -L "$P/virtfn0" ]; do sleep 0.02; done
vf0=$(basename "$(readlink "$P/virtfn0")")
is "VF 0's link is there while the write makes VF 1" "$([ -L "$P/virtfn1" ] && echo both || echo one)" one
w "$B/devices/$vf0/driver_override" vfio-pci
w "$B/drivers_probe" "$vf0"
is "a VF whose link just appeared binds no driver yet" "$(drv "$vf0")" -
wait "$making"
is "the write then made both" "$(ls "$P" | grep -c '^virtfn')" 2
w "$B/drivers_probe" "$vf0"
is "and the VF binds once it is on the bus" "$(drv "$vf0")" vfio-pci

# Two devices through ONE file at once (sysfs serializes per device, not
# per attribute): with 0000:03:00.0's unbind held in drivers/igb/unbind,
# 0000:04:00.0's unbind through the same file finishes; likewise two
# drivers_probe writes. Ordering facts, no clock. (wnt: without O_TRUNC,
# whose i_size of 0 makes the FUSE client take the inode lock anyway.)
wnt() { printf '%s\n' "$2" | dd of="$1" conv=notrunc,nocreat status=none; }
w "$B/drivers_probe" 0000:03:00.0
w "$B/drivers_probe" 0000:04:00.0
printf '0000:03:00.0 unbind block=held\n0000:03:00.0 probe block=held\n' >"$SIM/.sim/faults"
wnt "$B/drivers/igb/unbind" 0000:03:00.0 &
held=$!
until grep -q '^0000:03:00.0 waiting=1' "$SIM/.sim/release"; do sleep 0.05; done
timeout 20 bash -c "$(declare -f wnt); wnt '$B/drivers/igb/unbind' 0000:04:00.0"
is "an unbind through the same drivers/X/unbind passes a held one" "$? $(drv 0000:04:00.0)" "0 -"
is "while the held one still waits" "$(drv 0000:03:00.0)" igb
echo 0000:03:00.0 >"$SIM/.sim/release"
wait "$held"
is "the held unbind then completes" "$(drv 0000:03:00.0)" -
wnt "$B/drivers_probe" 0000:03:00.0 &
held=$!
until grep -q '^0000:03:00.0 waiting=1' "$SIM/.sim/release"; do sleep 0.05; done
timeout 20 bash -c "$(declare -f wnt); wnt '$B/drivers_probe' 0000:04:00.0"
is "a drivers_probe passes a held drivers_probe of another device" "$? $(drv 0000:04:00.0)" "0 igb"
echo 0000:03:00.0 >"$SIM/.sim/release"
wait "$held"
is "the held probe then binds" "$(drv 0000:03:00.0)" igb
echo clear >"$SIM/.sim/faults"

cat >"$T/bad.json" <<'JSON'
{"iommu": true, "latency": {"unbind": -1}, "drivers": [], "devices": []}
JSON
run "$PCISIM" "$T/bad.json" "$T/m"
is "a negative latency is refused (exit 2)" "$RC" 2
like "naming the key" "$ERR" "unbind"

sim_done
