#!/bin/bash
# list and show on every bundled topology: exact text and JSON (golden
# files), the no-IOMMU advice, errors and exit codes, and proof that the
# read-only commands write nothing to sysfs.
. "$(dirname "$0")/../testlib.sh"

G=$GOLDEN
V() { "$VFIOCTL" --root "$SIM" --state-dir "$T/state" "$@"; }

golden() { # golden NAME COMMAND...: stdout must equal golden/NAME, exit 0
        local name=$1; shift
        run V "$@"
        is "$name: exit 0" "$RC" 0
        printf '%s\n' "$OUT" >"$T/got"
        same_file "$name: output" "$T/got" "$G/$name"
}

# topology -> devices worth a 'show'
declare -A shows=(
        [workstation]="0000:05:00.0 0000:01:00.0 0000:02:00.0 0000:00:1f.6 0000:00:02.0 0000:04:00.0"
        [sriov-server]="0000:41:00.0 0000:03:00.1"
        [bcm5719]="0000:03:00.2"
        [no-iommu]=""
        [hgx]="0000:c2:00.0 0000:03:00.0"
)
# Devices to show on the topologies whose addresses the file itself gives.
first_endpoint() {
        python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for x in d["devices"]:
    if not x.get("header_type") and not x["class"].startswith("0x06"):
        print(x["address"]); break' "$HOSTS/$1.json"
}

for topo in workstation sriov-server bcm5719 no-iommu hgx; do
        sim_mount "$topo"
        golden "$topo-list.txt" list
        golden "$topo-list-all.txt" list --all
        golden "$topo-list.json" --json list
        devs=${shows[$topo]}
        [ -n "$devs" ] || devs=$(first_endpoint "$topo")
        for d in $devs; do
                golden "$topo-show-$d.txt" show "$d"
                golden "$topo-show-$d.json" --json show "$d"
        done
        is "$topo: list and show wrote nothing to sysfs" "$(sim_log "$SIM")" ""
        sim_unmount "$SIM"
done

# Viability and membership straight from the JSON, not only the goldens.
sim_mount workstation
run V --json list
grp8=$(printf '%s' "$OUT" | python3 -c 'import json,sys
d=json.load(sys.stdin)
g=[g for g in d["groups"] if g["group"]==8][0]
print(g["viable"], " ".join(x["address"]+"="+str(x["driver"]) for x in g["devices"]))')
is "workstation: group 8 members, drivers, not viable" "$grp8" \
        "False 0000:00:1c.0=pcieport 0000:00:1f.0=None 0000:00:1f.3=i801_smbus 0000:00:1f.4=intel-spi 0000:04:00.0=None 0000:05:00.0=e1000e"

# Short addresses mean domain 0000.
run V show 05:00.0
is "short address accepted" "$RC" 0
like "short address is the same device" "$OUT" "^0000:05:00.0  Intel Corporation 82574L"

# Usage errors: exit 2, a message naming the problem, nothing written.
for bad in 0000:03:00.8 zz:00.0 ../../etc 0000:05:00.0/../.. \
        aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; do
        run V show "$bad"
        is "show '$bad': exit 2" "$RC" 2
        like "show '$bad': says it is not a PCI address" "$ERR" \
                "is not a PCI address \(DDDD:BB:DD.F or BB:DD.F\), a slot \(BB:DD\) or a network interface name"
done
run V show 03:00
is "show of an empty slot: exit 2" "$RC" 2
is "show of an empty slot: says so" "$ERR" "vfioctl: no PCI device in slot 0000:03:00 on this host"
run V show 0000:42:00.0
is "unknown device: exit 2" "$RC" 2
like "unknown device: named, with what to do" "$ERR" "no PCI device 0000:42:00.0 on this host; 'vfioctl list --all'"
run V show
is "show without a device: exit 2" "$RC" 2
run V list extra
is "list with an argument: exit 2" "$RC" 2
run V frobnicate
is "unknown command: exit 2" "$RC" 2
like "unknown command: named" "$ERR" "unknown command 'frobnicate'"
run "$VFIOCTL" --root "$T/no/such/folder" list
is "missing --root: exit 2" "$RC" 2
like "missing --root: path in the message" "$ERR" "$T/no/such/folder"
mkdir -p "$T/empty"
run "$VFIOCTL" --root "$T/empty" list
is "--root without sys/: exit 2" "$RC" 2
like "--root without sys/: says what is missing" "$ERR" "$T/empty/sys/bus/pci/devices cannot be read"
VFIOCTL_ROOT=$SIM run "$VFIOCTL" --state-dir "$T/state" show 05:00.0
is "VFIOCTL_ROOT works like --root" "$RC" 0
is "errors wrote nothing" "$(sim_log "$SIM")" ""

# SR-IOV: VFs created through sysfs show up with their PF, each in its group.
sim_unmount "$SIM"
sim_mount sriov-server
echo 2 >"$SIM/sys/bus/pci/devices/0000:41:00.0/sriov_numvfs"
run V show 0000:41:00.0
like "PF lists its enabled VFs" "$OUT" "SR-IOV: +physical function, 2 of 8 VFs enabled: 0000:41:02.0, 0000:41:02.1"
run V show 41:02.1
like "VF names its PF" "$OUT" "SR-IOV: +virtual function of 0000:41:00.0"
run V --json list
vfs=$(printf '%s' "$OUT" | python3 -c 'import json,sys
d=json.load(sys.stdin)
print(" ".join("%d:%s" % (g["group"], x["address"]) for g in d["groups"] for x in g["devices"] if x["device"]=="0x154c"))')
is "VFs listed, one group each" "$vfs" "8:0000:41:02.0 9:0000:41:02.1"

done_testing
