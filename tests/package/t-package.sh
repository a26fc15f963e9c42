#!/bin/bash
# The Debian package: dpkg-buildpackage builds it from this tree, lintian
# accepts it, it installs, and the installed vfioctl and libvfioctl (not
# the build tree's) work against the simulated kernel.
#
# It installs packages on the machine, so it runs only where that is
# wanted: in CI (CI=true) or with VFIOCTL_TEST_PACKAGE=1. SRCDIR is the
# source tree.
. "$(dirname "$0")/../testlib.sh"

if [ "${CI:-}" != true ] && [ "${VFIOCTL_TEST_PACKAGE:-0}" != 1 ]; then
        echo "1..0 # SKIP installs a package on this machine: set VFIOCTL_TEST_PACKAGE=1 (CI does)"
        exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
        echo "1..0 # SKIP installing the package needs root"
        exit 0
fi

# A copy of the tree as git sees it (tracked and new files, not ignored
# ones), so the build folders of the checkout do not leak into the package.
mkdir -p "$T/src/vfioctl"
(cd "$SRCDIR" && git ls-files -z -co --exclude-standard | xargs -0 cp --parents -t "$T/src/vfioctl")
run bash -c "cd '$T/src/vfioctl' && dpkg-buildpackage -us -uc -b"
check "dpkg-buildpackage -us -uc -b succeeds" test "$RC" -eq 0
[ "$RC" -eq 0 ] || printf '%s\n' "$ERR" | tail -30 | sed 's/^/#   /'
debs=("$T"/src/*.deb)
is "three binary packages (tool, library, headers)" \
        "$(cd "$T/src" && ls ./*.deb | grep -v dbgsym | sed 's|./||; s|_.*||' | sort | tr '\n' ' ')" \
        "libvfioctl-dev libvfioctl1 vfioctl "

run lintian --fail-on error,warning "$T"/src/*.changes
is "lintian: no errors or warnings" "$RC" 0
[ "$RC" -eq 0 ] && [ -z "$OUT" ] || printf '%s\n' "$OUT" | sed 's/^/#   /'

# Install them as a user would (apt resolves the dependencies).
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        $(printf '%s\n' "${debs[@]}" | grep -v dbgsym)
is "the packages install" "$RC" 0
[ "$RC" -eq 0 ] || printf '%s\n' "$ERR" | tail -10 | sed 's/^/#   /'
remove_packages() {
        DEBIAN_FRONTEND=noninteractive dpkg -P vfioctl libvfioctl-dev libvfioctl1 libvfioctl0 >/dev/null 2>&1
}
trap 'remove_packages; _cleanup' EXIT

is "/usr/bin/vfioctl comes from the package" "$(dpkg -S /usr/bin/vfioctl 2>/dev/null)" \
        "vfioctl: /usr/bin/vfioctl"
check "the man page is installed" test -e /usr/share/man/man8/vfioctl.8.gz
check "the bash completion is installed" test -e /usr/share/bash-completion/completions/vfioctl
check "pkg-config knows libvfioctl" pkg-config --exists libvfioctl
like "the header is installed" "$(dpkg -L libvfioctl-dev)" "^/usr/include/vfioctl.h$"

# The installed tool on the simulated workstation: list as the build
# tree's tool prints it, then a detach --group and a reattach with their
# exact writes.
sim_mount workstation
IV() { /usr/bin/vfioctl --root "$SIM" --state-dir "$T/state" "$@"; }
run IV list
is "installed vfioctl list: exit 0" "$RC" 0
is "installed vfioctl list: as the build tree's" "$OUT" "$("$VFIOCTL" --root "$SIM" list)"
: >"$SIM/.sim/log"
run IV detach --group 01:00.0
is "installed vfioctl detach --group: exit 0" "$RC" 0
is "installed vfioctl detach --group: exact writes" "$(cat "$SIM/.sim/log")" \
"sys/devices/pci0000:00/0000:01:00.0/driver_override vfio-pci ok
sys/bus/pci/drivers/nouveau/unbind 0000:01:00.0 ok
sys/bus/pci/drivers_probe 0000:01:00.0 ok
sys/devices/pci0000:00/0000:01:00.1/driver_override vfio-pci ok
sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1 ok
sys/bus/pci/drivers_probe 0000:01:00.1 ok"
run IV reattach --group 01:00.0
is "installed vfioctl reattach --group: exit 0" "$RC" 0
is "installed vfioctl reattach: GPU back on nouveau" \
        "$(basename "$(readlink "$SIM/sys/bus/pci/devices/0000:01:00.0/driver")")" nouveau

# A program of someone else's, built against the installed library only.
run bash -c "cc -o '$T/list-groups' '$(dirname "$0")/list-groups.c' \$(pkg-config --cflags --libs libvfioctl)"
is "a program builds against the installed library with pkg-config" "$RC" 0
[ "$RC" -eq 0 ] || printf '%s\n' "$ERR" | sed 's/^/#   /'
like "it links the installed libvfioctl.so.1" "$(ldd "$T/list-groups" 2>/dev/null)" \
        "libvfioctl\.so\.1 => (/usr)?/lib/[^ ]*/libvfioctl\.so\.1"
run "$T/list-groups" "$SIM"
is "it lists the simulated host" "$(printf '%s\n' "$OUT" | grep -c .)" \
        "$(ls "$SIM/sys/bus/pci/devices" | wc -l)"
like "it sees the GPU in group 1 on nouveau" "$OUT" "^1 0000:01:00.0 nouveau$"

done_testing
