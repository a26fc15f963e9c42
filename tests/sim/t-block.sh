#!/bin/bash
# The block-device model: disks of PCI devices, their partitions, and the
# device-mapper and md devices stacked on them, laid out as the kernel has
# them (sys/block/dm-0/{dev,dm/name,slaves/}, .../nvme0n1/nvme0n1p3/holders/dm-0),
# with dev numbers that proc/self/mountinfo agrees with.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/simlib.sh"

# Workstation with / on LVM on dm-crypt on nvme0n1p3, swap on LVM too, and
# the SATA disk a whole-disk PV of an md RAID1 with a partition of the NVMe.
python3 - "$HOSTS/workstation.json" "$T/stack.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["devices"]:
    if x["address"] == "0000:02:00.0":
        x["block"] = [{"name": "nvme0n1", "mounts": ["/boot/efi", "/boot", None, None]}]
    if x["address"] == "0000:00:17.0":
        x["block"] = [{"name": "sda"}]
d["virtual_block"] = [
    {"name": "dm-0", "dm_name": "luks-7f3a", "slaves": ["nvme0n1p3"]},
    {"name": "dm-1", "dm_name": "vg-root", "slaves": ["dm-0"], "mounts": ["/"]},
    {"name": "dm-2", "dm_name": "vg-swap", "slaves": ["dm-0"], "mounts": ["[SWAP]"]},
    {"name": "md0", "slaves": ["nvme0n1p4", "sda"], "mounts": ["/srv"]},
]
json.dump(d, open(sys.argv[2], "w"))
PY
sim_mount "$T/stack.json"
B=$SIM/sys/block
P=sys/devices/pci0000:00/0000:02:00.0/nvme/nvme0/nvme0n1

is "sys/block: the disks and the stacked devices" "$(ls "$B" | tr '\n' ' ')" "dm-0 dm-1 dm-2 md0 nvme0n1 sda "
is "sys/block/dm-0 -> the virtual device" "$(readlink "$B/dm-0")" "../devices/virtual/block/dm-0"
is "sys/block/nvme0n1 -> the namespace under its PCI device" "$(resolve "$B/nvme0n1")" "$P"
is "dm-0: dev, dm/name, dm/uuid" "$(cat "$B/dm-0/dev") $(cat "$B/dm-0/dm/name") $(cut -c1-10 "$B/dm-0/dm/uuid")" "254:0 luks-7f3a LVM-pcisim"
is "dm-0: slaves/ -> the partition" "$(resolve "$B/dm-0/slaves/nvme0n1p3")" "$P/nvme0n1p3"
is "dm-0: holders/ the two LVs" "$(ls "$B/dm-0/holders" | tr '\n' ' ')" "dm-1 dm-2 "
is "dm-1: slaves/dm-0 -> ../../dm-0" "$(readlink "$B/dm-1/slaves/dm-0")" "../../dm-0"
is "nvme0n1p3/holders/dm-0 -> the dm device" "$(resolve "$SIM/$P/nvme0n1p3/holders/dm-0")" "sys/devices/virtual/block/dm-0"
is "nvme0n1p3/holders/dm-0: the kernel's relative form" "$(readlink "$SIM/$P/nvme0n1p3/holders/dm-0")" "../../../../../../../virtual/block/dm-0"
is "a partition nothing holds: empty holders/" "$(ls "$SIM/$P/nvme0n1p1/holders" | wc -l)" 0
is "a whole-disk member: sda/holders/md0" "$(resolve "$B/sda/holders/md0")" "sys/devices/virtual/block/md0"
is "md0: md/level, no dm/" "$(cat "$B/md0/md/level") $(test -e "$B/md0/dm" && echo dm || echo no-dm)" "raid1 no-dm"
is "md0: slaves/ both members" "$(ls "$B/md0/slaves" | tr '\n' ' ')" "nvme0n1p4 sda "
is "dev numbers: disks 259:16k, partitions follow" "$(cat "$B/nvme0n1/dev") $(cat "$B/nvme0n1/nvme0n1p3/dev") $(cat "$B/sda/dev")" "259:16 259:19 259:0"

# procfs: mount names as mount(8) gave them, swap as swapon's d_path, MAJ:MIN in mountinfo.
like "mounts: / by its mapper name" "$(cat "$SIM/proc/self/mounts")" "^/dev/mapper/vg-root / ext4 "
like "mounts: the RAID" "$(cat "$SIM/proc/self/mounts")" "^/dev/md0 /srv ext4 "
like "swaps: the LV as /dev/dm-2" "$(cat "$SIM/proc/swaps")" "^/dev/dm-2[[:space:]]+partition"
like "mountinfo: / with dm-1's MAJ:MIN" "$(cat "$SIM/proc/self/mountinfo")" "^[0-9]+ 1 254:1 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw$"
like "mountinfo: /srv with md0's MAJ:MIN" "$(cat "$SIM/proc/self/mountinfo")" "^[0-9]+ [0-9]+ 9:0 / /srv .* - ext4 /dev/md0 rw$"
like "mountinfo: /boot with nvme0n1p2's" "$(cat "$SIM/proc/self/mountinfo")" " $(cat "$B/nvme0n1/nvme0n1p2/dev") / /boot .* /dev/nvme0n1p2 rw$"

# The disk driver unbound: the disk and its holders links go, the dm devices stay.
w "$SIM/sys/bus/pci/devices/0000:02:00.0/driver/unbind" 0000:02:00.0
check "unbound: nvme0n1 gone from sys/block" test ! -e "$B/nvme0n1"
check "unbound: dm-0 stays, its slave link dangles" test -L "$B/dm-0/slaves/nvme0n1p3" -o ! -e "$B/dm-0/slaves/nvme0n1p3"
check "unbound: dm-0 still there" test -e "$B/dm-0/dev"

# /dev/root: the kernel's name for a root given as root=MAJ:MIN without an initramfs.
python3 - "$HOSTS/workstation.json" "$T/devroot.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["root_source"] = "/dev/root"
json.dump(d, open(sys.argv[2], "w"))
PY
sim_mount "$T/devroot.json"
like "root_source: mounts say /dev/root" "$(cat "$SIM/proc/self/mounts")" "^/dev/root / ext4 "
like "root_source: mountinfo has the partition's MAJ:MIN" "$(cat "$SIM/proc/self/mountinfo")" \
        "^[0-9]+ 1 $(cat "$SIM/sys/block/nvme0n1/nvme0n1p1/dev") / / .* - ext4 /dev/root rw$"

# Malformed stacks are refused.
bad() {
        local dir
        python3 - "$HOSTS/workstation.json" "$T/$1.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["virtual_block"] = json.loads(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
        dir=$(mktemp -d "$T/mnt.XXXXXX")
        run "$PCISIM" "$T/$1.json" "$dir"
        is "$1: exit 2" "$RC" 2
        like "$1: message" "$ERR" "$3"
}
bad vblock-name '[{"name": "lvm0", "slaves": ["nvme0n1p1"]}]' 'no dm-N or mdN name'
bad vblock-slave '[{"name": "md0", "slaves": ["nvme9n1"]}]' 'slave "nvme9n1" is no disk, partition or earlier virtual_block'
bad vblock-loop '[{"name": "dm-0", "dm_name": "a", "slaves": ["dm-0"]}]' 'slave "dm-0" is no disk'
bad vblock-dmname '[{"name": "dm-0", "slaves": ["nvme0n1p1"]}]' '"dm_name" is for dm-N devices, and they need one'
bad vblock-noslaves '[{"name": "md1"}]' '"md1" needs "slaves"'

sim_done
