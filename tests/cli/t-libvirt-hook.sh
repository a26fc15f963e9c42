#!/bin/bash
# libvirt's QEMU hook (contrib/libvirt/qemu, as meson configures and
# installs it) driven the way libvirt drives it: "GUEST OP SUBOP -" with the
# domain XML on standard input, on the workstation sim. prepare begin
# assigns (exit code and stderr are what libvirt shows), started begin
# records QEMU's pid from libvirt's run folder, release end releases (also
# for a guest whose start was refused: it owns nothing), every other
# operation does nothing. Every path comes from the environment, so the
# hook never touches the machine's /sys, /run or /etc.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

L=$(dirname "$0")/libvirt

sim_mount workstation
mkdir -p "$T/qemu-run"
export VFIOCTL VFIOCTL_ROOT=$SIM VFIOCTL_STATE_DIR=$T/state VFIOCTL_NETWORK_DIR=$L/networks \
       VFIOCTL_LIBVIRT_RUN_DIR=$T/qemu-run

# hook GUEST OP SUBOP [XML-FILE]: as libvirt runs qemu.d/vfioctl.
hook() {
        local in=${4:-/dev/null}
        run "$HOOK" "$1" "$2" "$3" - <"$in"
}
guests() {
        V --json status | python3 -c 'import json,sys; print(" ".join("%s:%s" % (g["guest"], g["pid"]) for g in json.load(sys.stdin)["guests"]) or "-")'
}

check "the configured hook names the installed vfioctl" grep -q "^vfioctl=\${VFIOCTL:-/.*/vfioctl}$" "$HOOK"
check "the configured hook is executable" test -x "$HOOK"

# --- Operations vfioctl has no part in: exit 0, nothing said, nothing written.
quiet=0
for op in "start begin" "stopped end" "migrate begin" "restore begin" "reconnect begin" \
          "attach begin" "prepare end" "release begin" "started end" "unknown-op begin"; do
        hook win10 $op "$L/win10.xml"
        [ "$RC" = 0 ] && [ -z "$OUT$ERR" ] || { quiet=1; echo "# $op: rc=$RC out=$OUT err=$ERR"; }
done
is "other operations: exit 0, no output" "$quiet" 0
is "other operations: nothing written, no state" "$(log_get)$(ls "$T/state" 2>/dev/null)" ""

# --- prepare begin: the devices of a managed='no' domain detached and owned.
hook win10 prepare begin "$L/win10.xml"
is "prepare win10: exit 0" "$RC" 0
is "prepare win10: exact writes" "$(log_get)" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override vfio-pci ok
sys/bus/pci/drivers/nouveau/unbind 0000:01:00.0 ok
sys/bus/pci/drivers_probe 0000:01:00.0 ok
sys/devices/pci0000:00/0000:01:00.1/driver_override vfio-pci ok
sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1 ok
sys/bus/pci/drivers_probe 0000:01:00.1 ok"
like "prepare win10: the NAT network read from VFIOCTL_NETWORK_DIR" "$ERR" \
        "network 'default' is no hostdev pool, so libvirt connects this interface itself"
is "prepare win10: owned, no pid yet" "$(guests)" "win10:None"

# --- started begin: QEMU's pid from libvirt's pid file.
sleep 600 &
qemu_pid=$!
printf '%s' "$qemu_pid" >"$T/qemu-run/win10.pid"
log_reset
hook win10 started begin "$L/win10.xml"
is "started win10: exit 0" "$RC" 0
is "started win10: the pid recorded" "$(guests)" "win10:$qemu_pid"
is "started win10: nothing written" "$(log_get)" ""
rm "$T/qemu-run/win10.pid"
hook win10 started begin "$L/win10.xml"
is "started without a pid file: exit 0 (libvirt would stop the guest)" "$RC" 0
like "started without a pid file: a warning" "$ERR" "vfioctl hook: no pid in $T/qemu-run/win10.pid"
is "started without a pid file: the pid stays" "$(guests)" "win10:$qemu_pid"

run V assign ghost --pid "$qemu_pid"
is "assign --pid on a guest that owns nothing: exit 2" "$RC" 2
is "assign --pid on a guest that owns nothing: says so" "$ERR" \
        "vfioctl: there is no guest 'ghost' to record a pid for: it owns nothing ('vfioctl status' lists the guests)"
run V assign win10 --pid 1 --dry-run
is "assign --pid --dry-run: exit 0, the pid unchanged" "$RC $(guests)" "0 win10:$qemu_pid"

# --- A guest without PCI host devices: nothing to do at any step.
python3 - "$L/htpc.xml" >"$T/plain.xml" <<'PY'
import re, sys
s = open(sys.argv[1]).read().replace("<name>htpc</name>", "<name>plain</name>")
sys.stdout.write(re.sub(r"    <hostdev .*?</hostdev>\n", "", s, flags=re.S))
PY
echo 4242 >"$T/qemu-run/plain.pid"
hook plain prepare begin "$T/plain.xml"
is "prepare plain (no hostdevs): exit 0" "$RC" 0
hook plain started begin "$T/plain.xml"
is "started plain: exit 0, silent" "$RC:$ERR" "0:"
hook plain release end "$T/plain.xml"
is "release plain: exit 0" "$RC" 0
is "plain: nothing written, not a guest" "$(log_get) $(guests)" " win10:$qemu_pid"

# --- A second domain asking for a member of win10's group: refused with
# vfioctl's message (libvirt shows it), then libvirt's release of it.
hook htpc prepare begin "$L/htpc.xml"
is "prepare htpc: refused (exit 1)" "$RC" 1
is "prepare htpc: vfioctl's message on stderr" "$ERR" \
        "vfioctl: 0000:01:00.1 cannot be given to guest 'htpc': its IOMMU group 1 belongs to guest 'win10', which holds 0000:01:00.0 (assigned); a group belongs to one guest at a time. Release it first ('vfioctl release win10') or choose another device"
is "prepare htpc: nothing written" "$(log_get)" ""
hook htpc release end "$L/htpc.xml"
is "release htpc (never prepared): exit 0" "$RC" 0
like "release htpc: says it owns nothing" "$ERR" "guest 'htpc' owns nothing; nothing to release"
is "release htpc: nothing written, win10 keeps its group" "$(log_get) $(drv 0000:01:00.1) $(guests)" \
        " vfio-pci win10:$qemu_pid"

# --- The chipset NIC with group='auto' in the metadata, and a domain
# asking for a sibling it holds.
hook nas prepare begin "$L/nas.xml"
is "prepare nas: exit 0" "$RC" 0
is "prepare nas: 9 writes (SMBus, SPI held; the NIC)" "$(log_get | wc -l)" 9
log_reset
hook sensors prepare begin "$L/sensors.xml"
is "prepare sensors: refused (exit 1)" "$RC" 1
like "prepare sensors: vfioctl's message" "$ERR" \
        "^vfioctl: 0000:00:1f.3 cannot be given to guest 'sensors': its IOMMU group 8 belongs to guest 'nas', which holds 0000:00:1f.3 \(held\)"
hook sensors release end "$L/sensors.xml"
is "release sensors: exit 0, nothing written" "$RC $(log_get | wc -l)" "0 0"

# --- Bad metadata: exit 2 and the line, nothing written.
sed 's|<vfioctl:assign xmlns:vfioctl="urn:vfioctl:domain:1" group="auto"/>|<vfioctl:assign xmlns:vfioctl="urn:vfioctl:domain:1" group="yes"/>|' \
        "$L/nas.xml" | sed 's|<name>nas</name>|<name>nas2</name>|' >"$T/nas2.xml"
hook nas2 prepare begin "$T/nas2.xml"
is "prepare with bad metadata: exit 2" "$RC" 2
like "prepare with bad metadata: names line and element" "$ERR" "^vfioctl: line 10: <vfioctl:assign>: group='yes'"
is "prepare with bad metadata: nothing written" "$(log_get)" ""

# --- release end: everything back to its driver.
hook win10 release end "$L/win10.xml"
is "release win10: exit 0" "$RC" 0
is "release win10: exact writes" "$(log_get)" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.0 ok
sys/devices/pci0000:00/0000:01:00.1/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.1 ok
sys/bus/pci/drivers/nouveau/bind 0000:01:00.0 ok
sys/bus/pci/drivers/snd_hda_intel/bind 0000:01:00.1 ok"
log_reset
hook win10 release end "$L/win10.xml"
is "release win10 again: exit 0, nothing written" "$RC $(log_get | wc -l)" "0 0"

# --- A QEMU that died without libvirt's release: recover gives the devices back.
sleep 600 &
dead_pid=$!
printf '%s\n' "$dead_pid" >"$T/qemu-run/nas.pid"
hook nas started begin "$L/nas.xml"
is "started nas: pid recorded" "$(guests)" "nas:$dead_pid"
kill "$dead_pid"; wait "$dead_pid" 2>/dev/null
run V recover
is "recover after QEMU died: exit 0" "$RC" 0
like "recover: releases the dead guest" "$OUT$ERR" "guest 'nas': its QEMU \(pid $dead_pid\) is gone"
is "recover: the host as it was" "$(ws_drivers) $(state_rows)" "$WS_PRISTINE 0 0"
kill "$qemu_pid" 2>/dev/null

done_testing
