#!/bin/bash
# The main job on the bundled simulated host 'workstation': mounts the
# simulated kernel, lists the devices by IOMMU group, shows what giving the
# Intel NIC to a guest would cost, and unmounts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null

work=$(mktemp -d /tmp/vfioctl-demo.XXXXXX)
mnt=$work/sim
mkdir "$mnt"
trap 'fusermount3 -u "$mnt" 2>/dev/null; rm -rf "$work"' EXIT
build/tests/sim/pcisim tests/hosts/workstation.json "$mnt"

run() {
        echo "\$ vfioctl $*"
        build/tools/vfioctl --root "$mnt" --state-dir "$work/state" "$@"
        echo
}
run list
run show 0000:05:00.0
