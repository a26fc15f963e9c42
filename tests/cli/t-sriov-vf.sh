#!/bin/bash
# Rule 10, VF identity: a VF's own config space reads 0xffff for vendor and
# device (the sim serves it so, as real VFs do); vfioctl takes the ids from
# sysfs vendor/device and never takes the VF for a vanished device: list,
# show, detach (and --dry-run) and a <pf dev> pool all work on it.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount sriov-server
P=$SIM/sys/bus/pci/devices
echo 2 >"$P/0000:41:00.0/sriov_numvfs"
is "the sim: the VF's config space reads ffff ffff" \
        "$(od -An -tx1 -N4 "$P/0000:41:02.0/config" | tr -d ' ')" ffffffff
is "the sim: its sysfs ids are the kernel's" "$(cat "$P/0000:41:02.0/vendor") $(cat "$P/0000:41:02.0/device")" \
        "0x8086 0x154c"

run V list
is "list VF: exit 0" "$RC" 0
unlike "list VF: not 'all ones'" "$OUT$ERR" "all ones|error"
like "list VF: its ids and driver" "$OUT" "0000:41:02.0 .*iavf"
run V --json list
ids=$(printf '%s' "$OUT" | python3 -c 'import json,sys
d=json.load(sys.stdin)
print(" ".join("%s=%s:%s/%s" % (x["address"], x["vendor"], x["device"], x["state"]) for g in d["groups"] for x in g["devices"] if x["address"].startswith("0000:41:02")))')
is "list --json: VF ids from sysfs, state host" "$ids" \
        "0000:41:02.0=0x8086:0x154c/host 0000:41:02.1=0x8086:0x154c/host"

run V show 41:02.1
is "show VF: exit 0" "$RC" 0
unlike "show VF: not 'all ones'" "$OUT$ERR" "all ones|damaged"
like "show VF: names its PF" "$OUT" "virtual function of 0000:41:00.0"

log_reset
run V --dry-run detach 41:02.0
is "detach --dry-run VF: exit 0" "$RC" 0
is "detach --dry-run VF: wrote nothing" "$(log_get)" ""
like "detach --dry-run VF: the three writes" "$OUT" "0000:41:02.0/driver_override"

log_reset
run V detach 41:02.0
is "detach VF: exit 0" "$RC:$ERR" "0:"
is "detach VF: override, unbind, probe" "$(log_get)" \
"sys/devices/pci0000:00/0000:41:02.0/driver_override vfio-pci ok
sys/bus/pci/drivers/iavf/unbind 0000:41:02.0 ok
sys/bus/pci/drivers_probe 0000:41:02.0 ok"
is "detach VF: on vfio-pci" "$(drv 0000:41:02.0)" vfio-pci
run V reattach 41:02.0
is "reattach VF: back on iavf" "$RC $(drv 0000:41:02.0)" "0 iavf"

# A <pf dev> pool hands out a VF.
mkdir -p "$T/nets"
cat >"$T/nets/vfpool.xml" <<'XML'
<network><name>vfpool</name>
  <forward mode='hostdev' managed='yes'><driver name='vfio'/><pf dev='enp65s0f0'/></forward>
</network>
XML
cat >"$T/g.xml" <<'XML'
<domain><name>g</name><os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><interface type='network'><source network='vfpool'/></interface></devices>
</domain>
XML
run V assign g --xml "$T/g.xml" --network "$T/nets/vfpool.xml"
is "pool of VFs: assign exit 0" "$RC:$ERR" "0:"
is "pool of VFs: first VF taken" "$(drv 0000:41:02.0)" vfio-pci
run V release g
is "pool of VFs: released" "$RC $(drv 0000:41:02.0)" "0 iavf"

done_testing
