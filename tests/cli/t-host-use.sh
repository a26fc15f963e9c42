#!/bin/bash
# Rule 9 through stacked block devices (issue 8 item 17): a root file system
# or swap on LVM, dm-crypt, md or /dev/root still pins the disk under it.
# vfioctl follows sysfs holders/ and matches proc/self/mountinfo's MAJ:MIN.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

# topo NAME PYTHON: workstation.json edited by PYTHON (d is the topology).
topo() {
        python3 - "$HOSTS/workstation.json" "$T/$1.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
dev = {x["address"]: x for x in d["devices"]}
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
}

# --- / on LVM on dm-crypt on nvme0n1p3, swap on LVM too
topo lvm '
dev["0000:02:00.0"]["block"] = [{"name": "nvme0n1", "mounts": ["/boot/efi", "/boot", None]}]
d["virtual_block"] = [
    {"name": "dm-0", "dm_name": "luks-7f3a", "slaves": ["nvme0n1p3"]},
    {"name": "dm-1", "dm_name": "vg-root", "slaves": ["dm-0"], "mounts": ["/"]},
    {"name": "dm-2", "dm_name": "vg-swap", "slaves": ["dm-0"], "mounts": ["[SWAP]"]}]'
sim_mount "$T/lvm.json"
log_reset
run V detach 02:00.0
is "rule 9: detach of the NVMe under an LVM root: exit 1" "$RC" 1
is "rule 9: each use named, the stack down to the partition" "$ERR" \
"vfioctl: refusing to detach what the host is using (4 uses below); nothing was changed. Stop using it first, or pass --force to detach anyway
  0000:02:00.0 (nvme): / is on dm-1 (vg-root) on dm-0 (luks-7f3a) on nvme0n1p3
  0000:02:00.0 (nvme): nvme0n1 is mounted on /boot/efi
  0000:02:00.0 (nvme): nvme0n1 is mounted on /boot
  0000:02:00.0 (nvme): swap is on dm-2 (vg-swap) on dm-0 (luks-7f3a) on nvme0n1p3"
is "rule 9: refused, nothing written" "$(log_get)" ""
run V --dry-run detach 02:00.0
is "rule 9: the dry run refuses too" "$RC" 1
run V show 02:00.0
like "rule 9: show says detaching it needs --force" "$OUT" "detaching it takes that away, so vfioctl refuses unless --force"
run V detach --force 02:00.0
is "rule 9: --force detaches as for a plain mount: exit 0" "$RC" 0
is "rule 9: --force: detached" "$OUT" "0000:02:00.0 detached: nvme -> vfio-pci"
is "rule 9: --force: on vfio-pci" "$(drv 0000:02:00.0)" vfio-pci
run V reattach 02:00.0
is "rule 9: reattach gives it back" "$RC $(drv 0000:02:00.0)" "0 nvme"

# --- / on md RAID1 over a partition of the NVMe and the whole SATA disk
topo md '
dev["0000:02:00.0"]["block"] = [{"name": "nvme0n1", "mounts": ["/boot/efi", None]}]
dev["0000:00:17.0"]["block"] = [{"name": "sda"}]
d["virtual_block"] = [{"name": "md0", "slaves": ["nvme0n1p2", "sda"], "mounts": ["/"]}]'
sim_mount "$T/md.json"
run V detach 02:00.0
is "rule 9: NVMe half of an md root: exit 1" "$RC" 1
like "rule 9: / is on md0 on the NVMe's partition" "$ERR" "^  0000:02:00.0 \(nvme\): / is on md0 on nvme0n1p2$"
run V detach 00:17.0
is "rule 9: SATA half of an md root: exit 1" "$RC" 1
like "rule 9: / is on md0 on the whole SATA disk" "$ERR" "^  0000:00:17.0 \(ahci\): / is on md0 on sda$"

# --- / on /dev/root (root=MAJ:MIN without an initramfs): only MAJ:MIN tells
topo devroot 'd["root_source"] = "/dev/root"'
sim_mount "$T/devroot.json"
like "sim: the root is /dev/root in mounts" "$(cat "$SIM/proc/self/mounts")" "^/dev/root / "
run V detach 02:00.0
is "rule 9: /dev/root on the NVMe: exit 1" "$RC" 1
like "rule 9: /dev/root found by MAJ:MIN" "$ERR" "^  0000:02:00.0 \(nvme\): nvme0n1 is mounted on /$"

# --- a whole-disk PV, and a mount that is not on this disk
topo pv '
dev["0000:02:00.0"]["block"] = [{"name": "nvme0n1"}]
dev["0000:00:17.0"]["block"] = [{"name": "sda", "mounts": ["/"]}]
d["virtual_block"] = [{"name": "dm-0", "dm_name": "data-vol", "slaves": ["nvme0n1"], "mounts": ["/srv/data"]}]'
sim_mount "$T/pv.json"
run V detach 02:00.0
like "rule 9: LV on a whole-disk PV" "$ERR" "^  0000:02:00.0 \(nvme\): /srv/data is on dm-0 \(data-vol\) on nvme0n1$"
is "rule 9: the other disk's / is not this disk's" "$(grep -c ' / ' <<<"$ERR")" 0

done_testing
