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
like "it links the shared library" "$(ldd "$KEEP_DEVICE")" "libvfioctl\.so\.1 => "

# Every public entry checks its arguments (DESIGN §6, assert_return): NULL
# handles and out-parameters give -EINVAL (NULL/0/false for getters), and
# the program runs under ASan in the sanitizer build.
run "$NULL_ARGS"
is "null-args without a host: exit 0" "$RC" 0
[ -z "$ERR" ] || printf '%s\n' "$ERR" | head -30 | sed 's/^/#   /'
run "$NULL_ARGS" "$SIM" 01:00.0
is "null-args with real handles: exit 0" "$RC" 0
[ -z "$ERR" ] || printf '%s\n' "$ERR" | head -30 | sed 's/^/#   /'
like "null-args counts its checks" "$OUT" "^[0-9]+ checks, 0 failed$"

# The library's messages are neutral; the tool adds the command-line advice
# that goes with their reason (vfioctl_ctx_get_reason()), so what users read
# is as before.
run "$VFIOCTL" --root "$SIM" --state-dir "$T/state" show 0000:fe:00.0
is "no such device: the advice is the tool's" "$ERR" \
"vfioctl: no PCI device 0000:fe:00.0 on this host; 'vfioctl list --all' shows the addresses there are"
mkdir -p "$T/empty"
run "$VFIOCTL" --root "$T/empty" --state-dir "$T/state" list
is "no host under the root: the tool names --root" "$ERR" \
"vfioctl: $T/empty/sys/bus/pci/devices cannot be read (No such file or directory): is this the root of a Linux host with PCI? (--root)"
mkdir -p "$T/foreign"
python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("create table t(x)")' "$T/foreign/state.db"
run "$VFIOCTL" --root "$SIM" --state-dir "$T/foreign" status
is "a foreign state file: the tool names --state-dir" "$ERR" \
"vfioctl: $T/foreign/state.db is not a vfioctl state database; it was left as it is (use another --state-dir, or move the file aside)"
mkdir -p "$T/damaged" && printf 'not a database, not at all, really not' > "$T/damaged/state.db"
run "$VFIOCTL" --root "$SIM" --state-dir "$T/damaged" status
like "a damaged state file: the tool says to check list" "$ERR" \
"is damaged or not a database .*; it was left as it is. Devices it lists may still be detached: check 'vfioctl list', then move the file aside$"
run "$VFIOCTL" --root "$SIM" --state-dir "$T/state" qemu-args noguest
is "no such guest: the tool says where the guests are" "$ERR" \
"vfioctl: there is no guest 'noguest' (nothing was assigned to it; 'vfioctl status' lists the guests)"
run "$VFIOCTL" --root "$SIM" --state-dir "$T/st2" assign g1 05:00.0 --group auto
is "assign g1 05:00.0 --group auto: exit 0" "$RC" 0
run "$VFIOCTL" --root "$SIM" --state-dir "$T/st2" reattach 05:00.0
is "reattach of what a guest owns: the tool names the release (reason OWNED)" "$ERR" \
"vfioctl: refusing to give back what a guest owns (guest 'g1'); nothing was changed: release it first with 'vfioctl release g1'
  0000:05:00.0 (vfio-pci): assigned to guest 'g1'"
run "$VFIOCTL" --root "$SIM" --state-dir "$T/st2" release g1 00:02.0
is "release of a device the guest does not own: the tool names status (reason NOT_OWNED)" "$ERR" \
"vfioctl: 0000:00:02.0 is not guest 'g1''s ('vfioctl status g1' lists what it owns)"
run "$VFIOCTL" --root "$SIM" --state-dir "$T/st2" release g1
is "release g1: exit 0" "$RC" 0
header=$(dirname "$0")/../../lib/vfioctl.h
uncalled=$(python3 - "$header" "$(dirname "$0")/null-args.c" <<'PY'
import re, sys
declared = set(re.findall(r"VFIOCTL_EXPORT\s[^;{]*?\b(vfioctl_\w+)\s*\(", open(sys.argv[1]).read()))
called = set(re.findall(r"\b(vfioctl_\w+)\s*\(", open(sys.argv[2]).read()))
print("\n".join(sorted(declared - called)))
PY
)
is "null-args.c calls every function vfioctl.h declares" "$uncalled" ""
done_testing
