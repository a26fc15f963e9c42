#!/bin/bash
# The main job on the bundled simulated host 'workstation': mounts the
# simulated kernel, lists the devices by IOMMU group, shows what giving the
# Intel NIC to a guest would cost, tries it as a dry run, and unmounts.
# Needs the build dependencies only: no QEMU, busybox or jq, and no root or
# network where they are installed (as root on a fresh machine it installs
# them with 'scripts/setup.sh --build-deps'). VFIOCTL_BUILD_DIR names another
# build folder than build/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${VFIOCTL_BUILD_DIR:-build}

if [ ! -x "$build/tools/vfioctl" ] || [ ! -x "$build/tests/sim/pcisim" ]; then
        if ! command -v meson >/dev/null || ! command -v ninja >/dev/null ||
           ! pkg-config --exists fuse3 libpci sqlite3 libxml-2.0 jansson cmocka 2>/dev/null; then
                # A fresh machine: as root, install the build dependencies
                # (only those: no QEMU, busybox or jq); otherwise say how.
                if [ "$(id -u)" -ne 0 ]; then
                        echo "demo: the build dependencies are missing: 'sudo bash" \
                             "scripts/setup.sh --build-deps' installs them" >&2
                        exit 1
                fi
                bash scripts/setup.sh --build-deps >/dev/null
        fi
        [ -d "$build" ] || meson setup "$build" >/dev/null
        ninja -C "$build" >/dev/null
fi
command -v fusermount3 >/dev/null ||
        { echo "demo: fusermount3 is missing (package fuse3): the simulated kernel needs it" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vfioctl-demo.XXXXXX")
mnt=$work/sim
mkdir "$mnt"
trap 'fusermount3 -u "$mnt" 2>/dev/null; rm -rf "$work"' EXIT
"$build/tests/sim/pcisim" tests/hosts/workstation.json "$mnt"

run() {
        echo "\$ vfioctl $*"
        "$build/tools/vfioctl" --root "$mnt" --state-dir "$work/state" "$@" || true
        echo
}
run list
run show enp5s0
run detach enp5s0 --dry-run
run detach enp5s0 --group --dry-run
