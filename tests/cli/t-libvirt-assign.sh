#!/bin/bash
# assign --libvirt (DESIGN rule 14) on the workstation with `virsh
# dumpxml`-shaped domains (tests/cli/libvirt/): managed='no' hostdevs are
# detached and owned as if managed='yes'; the group policy comes from the
# domain's <metadata> in urn:vfioctl:domain:1, other namespaces ignored;
# ordinary networks ignored with a note, hostdev networks read from the
# network folder; a second domain asking for a member of an owned group is
# refused; bad metadata is an input error (exit 2) that changes nothing.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

L=$(dirname "$0")/libvirt
NETS=$L/networks

sim_mount workstation

# LV NAME [FILE] [ARGS...]: assign --libvirt of a domain, as the hook runs it (XML on stdin).
LV() {
        local name=$1 file=${2:-$L/$1.xml}
        shift; [ $# -gt 0 ] && shift
        V assign "$name" --xml - --libvirt --network-dir "$NETS" "$@" <"$file"
}
# meta FILE METADATA: nas.xml with its vfioctl metadata line replaced.
meta() {
        python3 - "$L/nas.xml" "$2" >"$1" <<'PY'
import sys
src, repl = open(sys.argv[1]).read(), sys.argv[2]
old = '    <vfioctl:assign xmlns:vfioctl="urn:vfioctl:domain:1" group="auto"/>\n'
assert old in src
sys.stdout.write(src.replace(old, repl + "\n" if repl else ""))
PY
}
nothing_changed() { # DESCRIPTION
        is "$1: nothing written" "$(log_get)" ""
        is "$1: the host as it was, no state rows" "$(ws_drivers) $(state_rows)" "$WS_PRISTINE 0 0"
}
NS="xmlns:vfioctl='urn:vfioctl:domain:1'"

# --- Without --libvirt a managed='no' hostdev is the admin's to detach (rule 5).
run V assign win10 --xml "$L/win10.xml" --network-dir "$NETS"
is "win10 without --libvirt: refused (exit 1)" "$RC" 1
like "win10 without --libvirt: managed='no' means detach first" "$ERR" \
        "0000:01:00.0 is managed='no' but still on nouveau, not detached"
nothing_changed "win10 without --libvirt"

# --- --dry-run: the writes it would make.
run LV win10 "" --dry-run
is "dry run: exit 0" "$RC" 0
is "dry run: the writes" "$(printf '%s\n' "$OUT" | grep -c '^echo')" 6
nothing_changed "dry run"

# --- GPU + audio (managed='no'): detached and owned as if managed='yes'.
run LV win10
is "win10: exit 0" "$RC" 0
is "win10: exact writes" "$(log_get)" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override vfio-pci ok
sys/bus/pci/drivers/nouveau/unbind 0000:01:00.0 ok
sys/bus/pci/drivers_probe 0000:01:00.0 ok
sys/devices/pci0000:00/0000:01:00.1/driver_override vfio-pci ok
sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1 ok
sys/bus/pci/drivers_probe 0000:01:00.1 ok"
is "win10: stderr: the USB hostdev left to libvirt, the NAT network noted" "$ERR" \
"vfioctl: warning: line 155: <hostdev mode='subsystem' type='usb'>: not a PCI device: unsupported by vfioctl, not assigned (libvirt handles it itself)
vfioctl: note: line 108: <interface type='network'>: network 'default' is no hostdev pool, so libvirt connects this interface itself"
like "win10: both assigned" "$OUT" "0000:01:00.1  1      assigned  hostdev1"
like "list: owned by win10" "$(V list)" "0000:01:00.0 +GPU +vfio-pci +assigned +win10"
is "qemu-args from the record: libvirt's ids and guest addresses, the ordinary NIC takes none" "$(V qemu-args win10)" \
        "-device vfio-pci,host=0000:01:00.0,id=hostdev0,bus=pci.5,addr=0x0 -device vfio-pci,host=0000:01:00.1,id=hostdev1,bus=pci.6,addr=0x0"

# --- A second domain asking for a member of win10's group.
log_reset
run LV htpc
is "htpc (audio of win10's group): refused (exit 1)" "$RC" 1
is "htpc: vfioctl's message" "$ERR" \
        "vfioctl: 0000:01:00.1 cannot be given to guest 'htpc': its IOMMU group 1 belongs to guest 'win10', which holds 0000:01:00.0 (assigned); a group belongs to one guest at a time. Release it first ('vfioctl release win10') or choose another device"
is "htpc: nothing written" "$(log_get)" ""

# --- The NIC in the chipset group: the policy is in the metadata.
meta "$T/nas-none.xml" ""
run LV nas "$T/nas-none.xml"
is "nas without vfioctl metadata: refused (exit 1)" "$RC" 1
like "nas without metadata: names the members in the way" "$ERR" \
        "^  0000:00:1f.3 \(SMBus, i801_smbus\): Intel Corporation Cannon Lake PCH SMBus Controller$"
like "nas without metadata: the advice is the metadata, not <driver group>" "$ERR" \
        "<vfioctl:assign xmlns:vfioctl='urn:vfioctl:domain:1' group='auto'/> in the domain's <metadata>"
like "nas without metadata: no command-line advice" "$ERR" "^vfioctl: cannot assign 0000:05:00.0: IOMMU group 8"
is "nas without metadata: nothing written" "$(log_get)" ""

meta "$T/nas-over.xml" "    <vfioctl:assign $NS group='auto'><vfioctl:hostdev address='0000:05:00.0' group='none'/></vfioctl:assign>"
run LV nas "$T/nas-over.xml"
is "nas: a <vfioctl:hostdev group='none'> overrides the default: refused (exit 1)" "$RC" 1
is "nas, overridden: nothing written" "$(log_get)" ""

run LV nas
is "nas with group='auto' (libosinfo, cockpit metadata beside it): exit 0" "$RC" 0
is "nas: exact writes (SMBus, SPI, then the NIC)" "$(log_get)" \
"sys/devices/pci0000:00/0000:00:1f.3/driver_override vfio-pci ok
sys/bus/pci/drivers/i801_smbus/unbind 0000:00:1f.3 ok
sys/bus/pci/drivers_probe 0000:00:1f.3 ok
sys/devices/pci0000:00/0000:00:1f.4/driver_override vfio-pci ok
sys/bus/pci/drivers/intel-spi/unbind 0000:00:1f.4 ok
sys/bus/pci/drivers_probe 0000:00:1f.4 ok
sys/devices/pci0000:00/0000:05:00.0/driver_override vfio-pci ok
sys/bus/pci/drivers/e1000e/unbind 0000:05:00.0 ok
sys/bus/pci/drivers_probe 0000:05:00.0 ok"
like "nas: SMBus held" "$(V list)" "0000:00:1f.3 +SMBus +vfio-pci +held +nas"
is "nas: qemu-args from the record" "$(V qemu-args nas)" "-device vfio-pci,host=0000:05:00.0,id=hostdev0,bus=pci.6,addr=0x0"

log_reset
run LV sensors
is "sensors (SMBus, held for nas): refused (exit 1)" "$RC" 1
is "sensors: vfioctl's message" "$ERR" \
        "vfioctl: 0000:00:1f.3 cannot be given to guest 'sensors': its IOMMU group 8 belongs to guest 'nas', which holds 0000:00:1f.3 (held); a group belongs to one guest at a time. Release it first ('vfioctl release nas') or choose another device"
is "sensors: nothing written" "$(log_get)" ""

run V release nas
run V release win10
is "both released: the host as it was" "$(ws_drivers) $(state_rows)" "$WS_PRISTINE 0 0"

# --- The same policy per device, without a default.
log_reset
meta "$T/nas-dev.xml" "    <vfioctl:assign $NS><vfioctl:hostdev address='05:00.0' group='auto'/></vfioctl:assign>"
run LV nas "$T/nas-dev.xml"
is "<vfioctl:hostdev address='05:00.0' group='auto'> alone: exit 0" "$RC" 0
is "per device: 9 writes" "$(log_get | wc -l)" 9
run V release nas
log_reset
meta "$T/nas-ns.xml" "    <fleet:assign xmlns:fleet='urn:example:fleet:1' group='never'><fleet:hostdev address='bogus'/></fleet:assign>
    <vfioctl:assign $NS group='allow'/>"
run LV nas "$T/nas-ns.xml"
is "an 'assign' of another namespace is ignored; group='allow' is 'auto': exit 0" "$RC" 0
run V release nas
is "released again" "$(ws_drivers) $(state_rows)" "$WS_PRISTINE 0 0"

# --- The metadata is the domain's policy without --libvirt too (managed='yes' here).
sed "s/managed='no'/managed='yes'/" "$L/nas.xml" >"$T/nas-managed.xml"
log_reset
run V assign nas --xml "$T/nas-managed.xml" --network-dir "$NETS"
is "metadata without --libvirt, managed='yes': exit 0" "$RC" 0
is "metadata without --libvirt: the group held (9 writes)" "$(log_get | wc -l)" 9
run V release nas
is "released" "$(ws_drivers) $(state_rows)" "$WS_PRISTINE 0 0"

# --- Hostdev networks come from the network folder; the metadata's group
# applies to the function a pool hands out.
python3 - "$L/nas.xml" >"$T/pool.xml" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r"    <hostdev mode='subsystem' type='pci' managed='no'>.*?</hostdev>\n", "", s, flags=re.S)
s = s.replace("    <serial type='pty'>", """    <interface type='network'>
      <mac address='52:54:00:3b:77:e0'/>
      <source network='storage'/>
      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>
    </interface>
    <interface type='network'>
      <mac address='52:54:00:3b:77:e1'/>
      <source network='lab'/>
      <model type='virtio'/>
      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>
    </interface>
    <serial type='pty'>""", 1)
s = s.replace("bus='0x07' slot='0x00' function='0x0'/>\n    </disk>", "bus='0x09' slot='0x00' function='0x0'/>\n    </disk>")
sys.stdout.write(s)
PY
log_reset
run LV nas "$T/pool.xml"
is "pool 'storage' with the metadata's group='auto': exit 0" "$RC" 0
is "pool: the NIC taken, its group held (9 writes)" "$(log_get | wc -l)" 9
like "pool: the function is assigned" "$OUT" "0000:05:00.0  8      assigned  hostdev0"
like "pool: a network without a definition (transient) is noted and left to libvirt" "$ERR" \
        "line 1[0-9][0-9]: <interface type='network'>: network 'lab' has no definition in the network folder \(a transient network\?\), so libvirt connects this interface itself"
run V release nas
python3 - "$T/pool.xml" >"$T/pool-none.xml" <<'PY'
import sys
sys.stdout.write(open(sys.argv[1]).read().replace('    <vfioctl:assign xmlns:vfioctl="urn:vfioctl:domain:1" group="auto"/>\n', ""))
PY
log_reset
run LV nas "$T/pool-none.xml"
is "pool without the metadata: refused (exit 1)" "$RC" 1
nothing_changed "pool without the metadata"
run V assign nas --xml "$T/pool.xml" --network-dir "$NETS"
is "without --libvirt a network with no definition is ignored with a note (issue 10 item 10)" "$RC" 0
like "... the note says how to give a pool" "$ERR" "network 'lab' is an ordinary network or is not defined here"
run V release nas

# --- Partial assignment: libvirt's own <address type='unassigned'/>; the
# metadata's assigned= must agree with what libvirt gives the guest.
python3 - "$L/win10.xml" "$T" <<'PY'
import sys
s = open(sys.argv[1]).read()
old = "<address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>\n    </hostdev>"
assert old in s
u = s.replace(old, "<address type='unassigned'/>\n    </hostdev>")
meta = """  <metadata>
    <vfioctl:assign xmlns:vfioctl='urn:vfioctl:domain:1'>
      <vfioctl:hostdev address='0000:01:00.1' assigned='%s'/>
    </vfioctl:assign>"""
open(sys.argv[2] + "/win10-unassigned.xml", "w").write(u.replace("  <metadata>", meta % "no", 1))
open(sys.argv[2] + "/win10-contra.xml", "w").write(u.replace("  <metadata>", meta % "yes", 1))
open(sys.argv[2] + "/win10-guestaddr.xml", "w").write(s.replace("  <metadata>", meta % "no", 1))
PY
log_reset
run LV win10 "$T/win10-unassigned.xml"
is "audio <address type='unassigned'/>, metadata assigned='no': exit 0" "$RC" 0
like "unassigned: the audio function held" "$OUT" "0000:01:00.1  1      held      -"
is "unassigned: qemu-args has the GPU only" "$(V qemu-args win10)" \
        "-device vfio-pci,host=0000:01:00.0,id=hostdev0,bus=pci.5,addr=0x0"
run V release win10

# --- Bad metadata: exit 2, a message naming the line and element, nothing changed.
bad() { # DESCRIPTION FILE REGEX
        log_reset
        run LV "$(sed -n 's:.*<name>\(.*\)</name>.*:\1:p' "$2" | head -1)" "$2"
        is "$1: exit 2" "$RC" 2
        like "$1: says what is wrong" "$ERR" "$3"
        nothing_changed "$1"
}
bad "assigned='no' where libvirt gives the guest the device" "$T/win10-guestaddr.xml" \
        "^vfioctl: line 6: <vfioctl:hostdev>: assigned='no': libvirt gives the <hostdev> at line 152 to the guest at guest address 0000:06:00.0; to hold it without giving it to the guest, replace its <address type='pci' …/> with <address type='unassigned'/>$"
bad "assigned='yes' against <address type='unassigned'/>" "$T/win10-contra.xml" \
        "line 6: <vfioctl:hostdev>: assigned='yes' contradicts the <address type='unassigned'/> of the <hostdev> at line"
m() { meta "$T/bad.xml" "    $1"; }
m "<vfioctl:assign $NS group='always'/>"
bad "group='always'" "$T/bad.xml" \
        "^vfioctl: line 10: <vfioctl:assign>: group='always': group must be 'auto' \(detach and hold the other members of the device's IOMMU group; 'allow' is the same\) or 'none'$"
m "<vfioctl:assign $NS mode='auto'/>"
bad "an unknown attribute" "$T/bad.xml" "line 10: <vfioctl:assign>: unknown attribute 'mode'"
m "<vfioctl:assign $NS vfioctl:group='auto'/>"
bad "a namespaced attribute" "$T/bad.xml" "unknown attribute 'vfioctl:group'"
m "<vfioctl:assign $NS><vfioctl:device address='0000:05:00.0'/></vfioctl:assign>"
bad "an unknown element" "$T/bad.xml" \
        "line 10: <vfioctl:device>: not a vfioctl element: <vfioctl:assign> holds only <hostdev address='…'/> elements of namespace urn:vfioctl:domain:1"
m "<vfioctl:assign $NS><vfioctl:hostdev group='auto'/></vfioctl:assign>"
bad "a hostdev without address" "$T/bad.xml" "<vfioctl:hostdev>: address is missing"
m "<vfioctl:assign $NS><vfioctl:hostdev address='05:00' group='auto'/></vfioctl:assign>"
bad "a slot, not an address" "$T/bad.xml" \
        "<vfioctl:hostdev>: address='05:00': not a PCI address \(DDDD:BB:DD.F, such as '0000:05:00.0'\)"
m "<vfioctl:assign $NS><vfioctl:hostdev address='0000:02:00.0' group='auto'/></vfioctl:assign>"
bad "an address the domain does not have" "$T/bad.xml" \
        "address='0000:02:00.0': the domain has no <hostdev> of that host address \(it has 0000:05:00.0\)"
m "<vfioctl:assign $NS><vfioctl:hostdev address='0000:05:00.0'/><vfioctl:hostdev address='05:00.0' group='auto'/></vfioctl:assign>"
bad "the same device twice" "$T/bad.xml" "address='05:00.0': given twice \(also at line 10\)"
m "<vfioctl:assign $NS/><vfioctl:assign $NS group='auto'/>"
bad "two <vfioctl:assign>" "$T/bad.xml" "<vfioctl:assign>: given twice in <metadata> \(also at line 10\)"
m "<vfioctl:hostdev $NS address='0000:05:00.0' group='auto'/>"
bad "a <vfioctl:hostdev> outside <vfioctl:assign>" "$T/bad.xml" \
        "vfioctl's metadata is one <assign> element \(a <hostdev> goes inside it\), not <vfioctl:hostdev>"
m "<v:assign xmlns:v='urn:vfioctl:domain:2' group='auto'/>"
bad "a later format" "$T/bad.xml" \
        "<v:assign>: namespace urn:vfioctl:domain:2 is not one this vfioctl reads \(it reads urn:vfioctl:domain:1\)"
m "<vfioctl:assign $NS><vfioctl:hostdev address='0000:05:00.0' assigned='maybe'/></vfioctl:assign>"
bad "assigned='maybe'" "$T/bad.xml" "assigned='maybe': assigned must be 'yes' or 'no'"
m "<vfioctl:assign $NS><vfioctl:hostdev address='0000:05:00.0' assigned='no'/></vfioctl:assign>"
bad "assigned='no' on a hostdev libvirt places" "$T/bad.xml" "assigned='no': libvirt gives the <hostdev> at line"
m "<assign xmlns='urn:vfioctl:domain:1' group='sometimes'/>"
bad "the namespace as default namespace" "$T/bad.xml" "line 10: <assign>: group='sometimes'"

run V assign nas --libvirt 05:00.0
is "--libvirt without --xml: exit 2" "$RC" 2
like "--libvirt without --xml: says to give the XML" "$ERR" "--libvirt reads a libvirt domain: give its XML with --xml FILE"

done_testing
