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
