#!/bin/bash
# The main job on the bundled simulated host 'workstation': mounts the
# simulated kernel, lists the devices by IOMMU group, shows what giving the
# Intel NIC to a guest would cost, tries it as a dry run, and unmounts.
# Needs the build dependencies only (scripts/setup.sh installs them): no
# root, no network, no QEMU, busybox or jq. VFIOCTL_BUILD_DIR names another
# build folder than build/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${VFIOCTL_BUILD_DIR:-build}

if [ ! -x "$build/tools/vfioctl" ] || [ ! -x "$build/tests/sim/pcisim" ]; then
        if ! command -v meson >/dev/null || ! command -v ninja >/dev/null; then
                echo "demo: meson and ninja are missing: 'sudo bash scripts/setup.sh' installs" \
                     "the build dependencies" >&2
                exit 1
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
