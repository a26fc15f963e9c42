#!/bin/bash
# assign / release / qemu-args on the workstation: GPU + audio together,
# the NIC in the chipset group with and without group='auto', group-wise
# release, two guests competing for one group, managed='no', dry run,
# JSON, ownership in list/show/status, a dead --pid released by recover.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount workstation

hostdev() { # ADDR [EXTRA-ATTRS] [CHILDREN]
        local bus=${1:5:2} slot=${1:8:2} fn=${1:11:1}
        echo "    <hostdev mode='subsystem' type='pci' ${2:-managed='yes'}>
      ${3:-}<source><address domain='0x0000' bus='0x$bus' slot='0x$slot' function='0x$fn'/></source>
    </hostdev>"
}
domain() { # NAME BODY
        printf "<domain type='kvm'>\n  <name>%s</name>\n  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n  <devices>\n%s\n    <hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/><product id='0xc52b'/></source></hostdev>\n  </devices>\n</domain>\n" "$1" "$2"
}
domain win10 "$(hostdev 0000:01:00.0 "managed='yes'")
$(hostdev 0000:01:00.1 "managed='yes'")" >"$T/win10.xml"
domain nicvm "$(hostdev 0000:05:00.0 "managed='yes'")" >"$T/nicvm.xml"
domain nicvm "$(hostdev 0000:05:00.0 "managed='yes'" "<driver name='vfio' group='auto'/>")" \
        >"$T/nicvm-auto.xml"
guests() {
        V --json status | python3 -c 'import json,sys; print(" ".join(g["guest"] for g in json.load(sys.stdin)["guests"]) or "-")'
}

# --- Dry run: the writes and the arguments, nothing changed, no state.
run "$VFIOCTL" --root "$SIM" --state-dir "$T/dry" --dry-run assign win10 --xml "$T/win10.xml"
is "dry run: exit 0" "$RC" 0
is "dry run: the writes, in order" "$(printf '%s\n' "$OUT" | grep '^echo')" \
"echo 'vfio-pci' > /sys/bus/pci/devices/0000:01:00.0/driver_override
echo '0000:01:00.0' > /sys/bus/pci/drivers/nouveau/unbind
echo '0000:01:00.0' > /sys/bus/pci/drivers_probe
echo 'vfio-pci' > /sys/bus/pci/devices/0000:01:00.1/driver_override
echo '0000:01:00.1' > /sys/bus/pci/drivers/snd_hda_intel/unbind
echo '0000:01:00.1' > /sys/bus/pci/drivers_probe"
like "dry run: the QEMU arguments" "$OUT" \
        "QEMU arguments: -device vfio-pci,host=0000:01:00.0,id=hostdev0 -device vfio-pci,host=0000:01:00.1,id=hostdev1"
is "dry run: nothing written" "$(log_get)" ""
check "dry run: no state folder created" test ! -e "$T/dry"

# --- GPU + audio, managed, one group.
run V assign win10 --xml "$T/win10.xml" --print-qemu-args
is "GPU+audio: exit 0" "$RC" 0
is "GPU+audio: stdout is the arguments only" "$OUT" \
        "-device vfio-pci,host=0000:01:00.0,id=hostdev0 -device vfio-pci,host=0000:01:00.1,id=hostdev1"
like "GPU+audio: the USB hostdev is reported unsupported" "$ERR" \
        "line [0-9]+: <hostdev mode='subsystem' type='usb'>: not a PCI device: unsupported"
is "GPU+audio: exact writes (3 per device)" "$(log_get)" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override vfio-pci ok
sys/bus/pci/drivers/nouveau/unbind 0000:01:00.0 ok
sys/bus/pci/drivers_probe 0000:01:00.0 ok
sys/devices/pci0000:00/0000:01:00.1/driver_override vfio-pci ok
sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1 ok
sys/bus/pci/drivers_probe 0000:01:00.1 ok"
echo "# writes per assign of GPU+audio: $(log_get | wc -l)"
is "GPU+audio: on vfio-pci, root port untouched" \
        "$(drv 0000:01:00.0) $(drv 0000:01:00.1) $(drv 0000:00:01.0)" "vfio-pci vfio-pci pcieport"
like "list: assigned, owned by win10" "$(V list)" "0000:01:00.1 +audio +vfio-pci +assigned +win10"
like "list: the root port shows the group's owner" "$(V list --all)" "0000:00:01.0 +PCI bridge +pcieport +host +win10"
is "list --json: group 1 owned by win10, devices assigned" "$(V --json list | python3 -c '
import json,sys
g=[g for g in json.load(sys.stdin)["groups"] if g["group"]==1][0]
print(g["owner"], [(d["state"], d["owner"]) for d in g["devices"]])')" \
        "win10 [('host', 'win10'), ('assigned', 'win10'), ('assigned', 'win10')]"
like "show: owner line" "$(V show 01:00.0)" "owner: +guest 'win10'"
like "status: the guest" "$(V status)" "win10 +- +2 "
run V qemu-args win10
is "qemu-args: the same line later, from the state" "$OUT" \
        "-device vfio-pci,host=0000:01:00.0,id=hostdev0 -device vfio-pci,host=0000:01:00.1,id=hostdev1"
run V qemu-args win10 --iommufd
is "qemu-args --iommufd" "$OUT" \
        "-object iommufd,id=iommufd0 -device vfio-pci,host=0000:01:00.0,id=hostdev0,iommufd=iommufd0 -device vfio-pci,host=0000:01:00.1,id=hostdev1,iommufd=iommufd0"
is "qemu-args --json: the vector" "$(V --json qemu-args win10 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 4
run V qemu-args nosuch
is "qemu-args of an unknown guest: exit 2" "$RC" 2
like "qemu-args of an unknown guest: says so" "$ERR" "no guest 'nosuch'"

# --- Rule 4: a second guest for any member of the owned group.
log_reset
domain other "$(hostdev 0000:01:00.1)" >"$T/other.xml"
run V assign other --xml "$T/other.xml"
is "second guest: refused (exit 1)" "$RC" 1
like "second guest: names the owner and the device it holds" "$ERR" \
        "0000:01:00.1 cannot be given to guest 'other': its IOMMU group 1 belongs to guest 'win10', which holds 0000:01:00.0"
is "second guest: nothing written" "$(log_get)" ""
run V assign win10 --xml "$T/win10.xml"
is "the same guest again: refused (exit 1)" "$RC" 1
like "the same guest again: release first" "$ERR" "already has its devices.*vfioctl release win10"
run V reattach 01:00.0
is "reattach of an owned device: refused" "$RC" 1

# --- The NIC in the chipset group.
run V assign nicvm --xml "$T/nicvm.xml"
is "NIC without group='auto': refused (exit 1)" "$RC" 1
like "NIC: names the SMBus member" "$ERR" "^  0000:00:1f.3 \(SMBus, i801_smbus\): Intel Corporation Cannon Lake PCH SMBus Controller$"
like "NIC: names the SPI member" "$ERR" "^  0000:00:1f.4 \(serial bus, intel-spi\): Intel"
like "NIC: suggests group='auto'" "$ERR" "group='auto'"
is "NIC: nothing written" "$(log_get)" ""
run V assign nicvm 05:00.0
like "NIC, short form: suggests --group auto" "$ERR" "--group auto"
like "NIC, short form: no line numbers of a definition the user never wrote" "$ERR" \
        "^vfioctl: cannot assign 0000:05:00.0: IOMMU group 8"

run V assign nicvm --xml "$T/nicvm-auto.xml" --json
is "NIC with group='auto': exit 0" "$RC" 0
is "NIC: 9 writes (SMBus, SPI, NIC)" "$(log_get | wc -l)" 9
is "NIC: chipset functions held, bridges and LPC untouched" "$(ws_drivers)" \
        "0000:01:00.0=vfio-pci/vfio-pci 0000:01:00.1=vfio-pci/vfio-pci 0000:02:00.0=nvme/(null) 0000:05:00.0=vfio-pci/vfio-pci 0000:00:1f.3=vfio-pci/vfio-pci 0000:00:1f.4=vfio-pci/vfio-pci 0000:00:1f.0=-/(null) 0000:04:00.0=-/(null) 0000:00:1c.0=pcieport/(null)"
is "assign --json: guest, devices (address, group, assigned, state), qemu_args" \
        "$(printf '%s' "$OUT" | python3 -c '
import json,sys
d=json.load(sys.stdin)
print(d["guest"]); print([(x["address"],x["group"],x["assigned"],x["state"]) for x in d["devices"]]); print(d["qemu_args"])')" \
"nicvm
[('0000:00:1f.3', 8, False, 'held'), ('0000:00:1f.4', 8, False, 'held'), ('0000:05:00.0', 8, True, 'assigned')]
['-device', 'vfio-pci,host=0000:05:00.0,id=hostdev0']"
like "list: SMBus held for nicvm" "$(V list)" "0000:00:1f.3 +SMBus +vfio-pci +held +nicvm"
is "qemu-args: the NIC only" "$(V qemu-args nicvm)" "-device vfio-pci,host=0000:05:00.0,id=hostdev0"

# --- Release: the group goes back whole, and only then.
log_reset
run V release win10 01:00.0
is "release GPU alone: exit 0" "$RC" 0
like "release GPU alone: held until the audio function goes" "$OUT" \
        "0000:01:00.0 released, but held for guest 'win10' until the rest of IOMMU group 1 \(0000:01:00.1\)"
is "release GPU alone: nothing written" "$(log_get)" ""
like "release GPU alone: list says held" "$(V list)" "0000:01:00.0 +GPU +vfio-pci +held +win10"
is "release GPU alone: qemu-args has the audio only" "$(V qemu-args win10)" \
        "-device vfio-pci,host=0000:01:00.1,id=hostdev1"
run V release win10 01:00.1
is "release audio: exit 0" "$RC" 0
is "release audio: both back at once (all off vfio-pci, then each bound)" "$(log_get)" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.0 ok
sys/devices/pci0000:00/0000:01:00.1/driver_override  ok
sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.1 ok
sys/bus/pci/drivers/nouveau/bind 0000:01:00.0 ok
sys/bus/pci/drivers/snd_hda_intel/bind 0000:01:00.1 ok"
is "guests left: nicvm" "$(guests)" nicvm
log_reset
run V release nicvm
is "release nicvm: exit 0" "$RC" 0
is "release nicvm: 9 writes" "$(log_get | wc -l)" 9
is "release nicvm: the host as it was" "$(ws_drivers)" "$WS_PRISTINE"
is "no rows, no guests" "$(state_rows) $(guests)" "0 0 -"
run V release nicvm
is "release of a guest owning nothing: exit 0" "$RC" 0
like "release of a guest owning nothing: a note" "$ERR" "guest 'nicvm' owns nothing; nothing to release"
run V release win10 05:00.0
is "release of a device the guest does not own: exit 2" "$RC" 2

# --- managed='no'.
domain manual "$(hostdev 0000:01:00.0 "managed='no'")
$(hostdev 0000:01:00.1 "managed='no'")" >"$T/manual.xml"
log_reset
run V assign manual --xml "$T/manual.xml"
is "managed='no', not detached: refused (exit 1)" "$RC" 1
like "managed='no', not detached: says to detach first" "$ERR" \
        "0000:01:00.0 is managed='no' but still on nouveau, not detached.*vfioctl detach 0000:01:00.0"
is "managed='no', not detached: nothing written" "$(log_get)" ""
run V detach --group 01:00.0
log_reset
run V assign manual --xml "$T/manual.xml"
is "managed='no', detached before: exit 0" "$RC" 0
is "managed='no': no writes" "$(log_get)" ""
run V release manual
is "release managed='no': exit 0, no writes" "$RC $(log_get | wc -l)" "0 0"
like "release managed='no': stays detached" "$OUT" "0000:01:00.0 released from guest 'manual'; stays detached"
is "release managed='no': still on vfio-pci, rows kept unowned" \
        "$(drv 0000:01:00.0) $(drv 0000:01:00.1) $(state_rows) $(guests)" "vfio-pci vfio-pci 2 0 -"
run V reattach --group 01:00.0
is "and reattach gives them back" "$(ws_drivers)" "$WS_PRISTINE"

# --- Input errors: exit 2, naming what is wrong.
log_reset
domain someoneelse "$(hostdev 0000:05:00.0)" >"$T/bad-name.xml"
run V assign nicvm --xml "$T/bad-name.xml"
is "GUEST not the XML's <name>: exit 2" "$RC" 2
like "GUEST not the XML's <name>: says both" "$ERR" "someoneelse"
printf "<domain><name>x</name><devices><hostdev mode='subsystem' type='pci'><source><address bus='0x05' slot='0x00' function='0x9'/></source></hostdev></devices></domain>\n" >"$T/bad.xml"
run V assign x --xml "$T/bad.xml"
is "bad function: exit 2" "$RC" 2
like "bad function: line and element" "$ERR" "line 1: <hostdev>.*function"
domain x "$(hostdev 0000:09:00.0)" >"$T/nodev.xml"
run V assign x --xml "$T/nodev.xml"
is "no such device: exit 2" "$RC" 2
like "no such device: names it" "$ERR" "line [0-9]+: <hostdev>: no PCI device 0000:09:00.0"
domain x "$(hostdev 0000:00:1c.0)" >"$T/bridge.xml"
run V assign x --xml "$T/bridge.xml"
is "a bridge: exit 2" "$RC" 2
like "a bridge: not an endpoint" "$ERR" "0000:00:1c.0 is a bridge, not an endpoint"
run V assign x 01:00.0
is "GPU without its audio function: exit 2" "$RC" 2
like "GPU without its audio function: names it" "$ERR" "other function 0000:01:00.1 is not in the definition"
run V assign x --xml "$T/win10.xml" 01:00.0
is "--xml and addresses: usage error" "$RC" 2
is "no writes from any of them" "$(log_get)" ""

# --- A guest whose QEMU died: status shows it, recover releases it.
sleep 60 & dead=$!
run V assign win10 --xml "$T/win10.xml" --pid "$dead"
is "assign with --pid: exit 0" "$RC" 0
kill $dead; wait $dead 2>/dev/null
like "status: the pid is dead" "$(V status)" "win10 +$dead \(dead: 'vfioctl recover' releases it\)"
is "status --json: alive false" "$(V --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["guests"][0]["alive"])')" False
run V recover
is "recover: exit 0" "$RC" 0
like "recover: says which guest" "$ERR" "guest 'win10': its QEMU \(pid $dead\) is gone"
is "recover: released, host as it was" "$(ws_drivers) $(guests)" "$WS_PRISTINE -"
run V assign win10 --xml "$T/win10.xml" --pid $$
run V recover
is "recover leaves a live guest alone" "$(guests)" win10
run V release win10
is "and release gives it back" "$(ws_drivers)" "$WS_PRISTINE"

done_testing
