#!/bin/bash
# Rule 7 on the BCM5719 (four functions, one group): functions 0 and 3
# assigned, 1 and 2 held (assigned='no', <address type='unassigned'/>);
# and each of the rule's errors.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount bcm5719

fn() { # FUNCTION [ATTRS] [CHILDREN]
        echo "    <hostdev mode='subsystem' type='pci' managed='yes' ${2:-}>
      <source><address domain='0x0000' bus='0x03' slot='0x00' function='0x$1'/></source>${3:-}
    </hostdev>"
}
domain() {
        printf "<domain>\n  <name>%s</name>\n  <devices>\n%s\n  </devices>\n</domain>\n" "$1" "$2"
}
bcm_drivers() {
        echo "$(drv 0000:03:00.0) $(drv 0000:03:00.1) $(drv 0000:03:00.2) $(drv 0000:03:00.3)"
}

domain fw "$(fn 0)
$(fn 1 "assigned='no'")
$(fn 2 "" "
      <address type='unassigned'/>")
$(fn 3)" >"$T/fw.xml"

run V assign fw --xml "$T/fw.xml" --print-qemu-args
is "0 and 3 assigned, 1 and 2 held: exit 0" "$RC" 0
is "arguments for 0 and 3 only, ids hostdev0 and hostdev3" "$OUT" \
        "-device vfio-pci,host=0000:03:00.0,id=hostdev0 -device vfio-pci,host=0000:03:00.3,id=hostdev3"
is "all four detached (12 writes)" "$(log_get | wc -l)" 12
is "all four on vfio-pci" "$(bcm_drivers)" "vfio-pci vfio-pci vfio-pci vfio-pci"
is "status: roles" "$(V --json status | python3 -c '
import json,sys
print(" ".join(d["role"] for d in json.load(sys.stdin)["devices"]))')" "assigned held held assigned"
is "qemu-args later: the same" "$(V qemu-args fw)" \
        "-device vfio-pci,host=0000:03:00.0,id=hostdev0 -device vfio-pci,host=0000:03:00.3,id=hostdev3"
log_reset
run V release fw
is "release: all four back to tg3" "$RC $(bcm_drivers)" "0 tg3 tg3 tg3 tg3"
is "release: 12 writes" "$(log_get | wc -l)" 12
log_reset

# --- assigned='no' on a single-function device (the host bridge is one).
domain one "    <hostdev mode='subsystem' type='pci' managed='yes' assigned='no'>
      <source><address domain='0x0000' bus='0x00' slot='0x00' function='0x0'/></source>
    </hostdev>" >"$T/single.xml"
run V assign one --xml "$T/single.xml"
is "assigned='no' on a single-function device: exit 2" "$RC" 2
like "assigned='no' on a single-function device: says why" "$ERR" \
        "line 4: <hostdev>: assigned='no' is only for a function of a multifunction device, and 0000:00:00.0 is a single-function device"

# --- assigned='no' with a guest address.
domain guestaddr "$(fn 0)
$(fn 1 "assigned='no'" "
      <address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/>")
$(fn 2)
$(fn 3)" >"$T/guestaddr.xml"
run V assign guestaddr --xml "$T/guestaddr.xml"
is "assigned='no' with a guest address: exit 2" "$RC" 2
like "assigned='no' with a guest address: names the element and line" "$ERR" \
        "line [0-9]+: <hostdev>.*unassigned hostdev \(assigned='no'\) cannot have a guest <address type='pci'>"

# --- A function missing from the definition.
domain missing "$(fn 0)
$(fn 3)" >"$T/missing.xml"
run V assign missing --xml "$T/missing.xml"
is "functions missing: exit 2" "$RC" 2
like "functions missing: names them" "$ERR" \
        "0000:03:00.0 is a function of multifunction device 0000:03:00, and its other functions 0000:03:00.1, 0000:03:00.2 are not in the definition"
domain unmanaged "    <hostdev mode='subsystem' type='pci' managed='no'>
      <source><address domain='0x0000' bus='0x03' slot='0x00' function='0x2'/></source>
    </hostdev>" >"$T/unmanaged.xml"
run V assign unmanaged --xml "$T/unmanaged.xml"
like "functions missing, managed='no' too" "$ERR" \
        "other functions 0000:03:00.0, 0000:03:00.1, 0000:03:00.3 are not in the definition"
is "no writes from the errors" "$(log_get)" ""
is "no state from the errors" "$(state_rows)" "0 0"

done_testing
