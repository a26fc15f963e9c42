#!/bin/bash
# libvfioctl as other programs use it: linked against libvfioctl.so with
# only <vfioctl.h>. A device and a group kept by reference stay valid
# across an operation (which invalidates the host's cache) and after the
# host is unreferenced (DESIGN §6); ASan in the sanitizer run catches a
# use after free.
. "$(dirname "$0")/../testlib.sh"

sim_mount workstation
run "$KEEP_DEVICE" "$SIM" "$T/state" 01:00.0
is "keep-device: exit 0" "$RC" 0
[ -z "$ERR" ] || printf '%s\n' "$ERR" | head -30 | sed 's/^/#   /'
is "the kept device reads as it was, the new one as it is" "$OUT" \
"before 0000:01:00.0 nouveau
kept 0000:01:00.0 nouveau
group 1 members 3 first 0000:00:01.0
now 0000:01:00.0 vfio-pci"
like "it links the shared library" "$(ldd "$KEEP_DEVICE")" "libvfioctl\.so\.0 => "
done_testing
