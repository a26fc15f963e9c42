#!/bin/bash
# scripts/demo.sh on a fresh clone's terms (issue 10, item 13): no root, no
# network, no QEMU, busybox or jq (each is a trap here that fails the demo
# if called).
. "$(dirname "$0")/../testlib.sh"

mkdir -p "$T/bin"
for tool in qemu-system-x86_64 qemu-img busybox jq sudo apt-get; do
        printf '#!/bin/sh\necho "demo called %s" >&2\nexit 99\n' "$tool" >"$T/bin/$tool"
        chmod +x "$T/bin/$tool"
done
run env PATH="$T/bin:$PATH" VFIOCTL_BUILD_DIR="$BUILD_DIR" bash "$(dirname "$0")/../../scripts/demo.sh"
is "demo: exit 0" "$RC" 0
is "demo: called none of qemu, busybox, jq, sudo, apt-get" "$(grep -c 'demo called' <<<"$ERR")" 0
like "demo: lists the groups" "$OUT" "^8 +no +0000:00:1c.0"
like "demo: shows the NIC by its interface" "$OUT" "^0000:05:00.0  Intel Corporation 82574L"
like "demo: the dry run says what it would do" "$OUT" "^0000:05:00.0 would detach: e1000e -> vfio-pci$"
done_testing
