#!/bin/bash
# A damaged sysfs tree never crashes vfioctl or silently reads as zero:
# each damaged device is marked with the reason, its group is not viable,
# and the rest of the host is listed as usual. The tree is a plain copy of
# the simulated 'workstation', damaged by hand.
. "$(dirname "$0")/../testlib.sh"

sim_mount workstation
mkdir -p "$T/root"
cp -a "$SIM/sys" "$SIM/proc" "$T/root/" 2>/dev/null # write-only files cannot be copied
sim_unmount "$SIM"
R=$T/root
D=$R/sys/devices/pci0000:00
V() { "$VFIOCTL" --root "$R" --state-dir "$T/state" "$@"; }

run V list
is "intact copy lists like the sim" "$RC" 0
like "intact copy: group 8 has the NIC" "$OUT" "0000:05:00.0  NIC +e1000e"

# 1. config space of 3 bytes.
head -c 3 "$D/0000:05:00.0/config" >"$T/c" && cp "$T/c" "$D/0000:05:00.0/config"
# 2. a driver link pointing nowhere.
ln -sfn ../../../bus/pci/drivers/ghost "$D/0000:00:1f.3/driver"
# 3. a group link missing.
rm "$D/0000:01:00.1/iommu_group"
# 4. a group link that names no group.
ln -sfn ../../../kernel/iommu_groups/abc "$D/0000:00:14.0/iommu_group"
# 5. config space of all ones (a device that fell off the bus).
head -c 64 /dev/zero | tr '\0' '\377' >"$D/0000:00:17.0/config"
# 6. a garbled attribute read only by show.
printf 'zero\n' >"$D/0000:02:00.0/numa_node"
# 7. an entry that is not a PCI address.
ln -s ../../../devices/pci0000:00/0000:02:00.0 "$R/sys/bus/pci/devices/garbage"

run V list
is "damaged tree: list exits 0" "$RC" 0
like "3-byte config: marked with the reason" "$OUT" \
        "0000:05:00.0 .*\(unreadable: 0000:05:00.0: config space is truncated \(3 bytes, the header needs 64\)\)"
like "group of the damaged device: not viable" "$OUT" "^8 +no +0000:00:1c.0"
like "dangling driver link: marked" "$OUT" \
        "0000:00:1f.3 .*driver link points to 'ghost', which is not a loaded driver"
like "missing group link: the device is listed in no group" "$OUT" \
        "Devices in no IOMMU group:(.|$)*"
like "missing group link: the device still shows" "$OUT" "0000:01:00.1 +audio +snd_hda_intel"
like "garbled group link: marked" "$OUT" "0000:00:14.0 .*iommu_group link points to 'abc', not a group"
like "all-ones config: marked" "$OUT" "0000:00:17.0 .*config space reads all ones"
run V --json list
is "damaged tree: list --json exits 0" "$RC" 0
errs=$(printf '%s' "$OUT" | python3 -c 'import json,sys
d=json.load(sys.stdin)
devs=[x for g in d["groups"] for x in g["devices"]]+d["devices"]
print(" ".join(sorted(x["address"]+":"+x["state"] for x in devs if "error" in x)))')
is "JSON marks exactly the damaged devices" "$errs" \
        "0000:00:14.0:error 0000:00:17.0:error 0000:00:1f.3:error 0000:05:00.0:error"

run V show 0000:05:00.0
is "show of a damaged device: exit 0" "$RC" 0
like "show of a damaged device: says why" "$OUT" "error: +0000:05:00.0: config space is truncated"
run V show 0000:01:00.1
like "show of a device without group link: says so" "$OUT" \
        "0000:01:00.1 is in no IOMMU group: the kernel will not let VFIO give it to a guest"
run V show 0000:02:00.0
is "garbled numa_node: show exits 0" "$RC" 0
like "garbled numa_node: reported with the file" "$OUT" \
        "unreadable: $D/0000:02:00.0/numa_node: not a valid number|unreadable: .*numa_node: not a valid number"

# The IOMMU groups folder gone entirely: the host reads as IOMMU off.
rm -rf "$R/sys/kernel/iommu_groups"
find "$D" -name iommu_group -delete
run V list
is "no iommu_groups folder: exit 0" "$RC" 0
like "no iommu_groups folder: IOMMU-off advice" "$OUT" "intel_iommu=on"

# Drivers folder gone: every bound device is marked, nothing crashes.
rm -rf "$R/sys/bus/pci/drivers"
run V list --all
is "no drivers folder: exit 0" "$RC" 0
like "no drivers folder: bound devices marked" "$OUT" "sys/bus/pci/drivers: No such file or directory"

done_testing
