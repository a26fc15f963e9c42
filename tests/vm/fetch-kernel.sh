#!/bin/bash
# Fetch Debian's kernel image package for the real-kernel tests and unpack it
# (with its modules) into a cache folder. Nothing is installed into /boot and
# the running kernel of this machine is never used.
#
#   tests/vm/fetch-kernel.sh            fetch if not cached; print the folder
#
# The cache folder is $VFIOCTL_VM_CACHE, else $XDG_CACHE_HOME/vfioctl-vm,
# else ~/.cache/vfioctl-vm. It holds:
#   kernel/           the unpacked package (boot/vmlinuz-*, lib/modules/*;
#                     the package ships no modules.dep: depmod runs at
#                     install time, so mkinitramfs.sh reads each module's
#                     own "depends=" field instead)
#   kernel.version    the kernel release (e.g. 6.1.0-56-amd64)
#   kernel.package    the package name and version that was unpacked
#
# Idempotent: when kernel.version names an unpacked kernel it does nothing
# (no network). Set VFIOCTL_VM_REFRESH=1 to look for a newer package.
# Only the Debian package mirror is used (apt-get download).

set -euo pipefail

cache=$(bash "$(dirname "$0")/cache-dir.sh")
mkdir -p "$cache"
# The legs run side by side and each fetches what it lacks: one fetch at a
# time, and the ones that waited find the cache filled.
exec 9>"$cache/.fetch.lock"
flock 9

have_kernel() {
        [ -s "$cache/kernel.version" ] || return 1
        local v
        v=$(cat "$cache/kernel.version")
        [ -f "$cache/kernel/boot/vmlinuz-$v" ] &&
                [ -d "$cache/kernel/lib/modules/$v/kernel" ]
}

if have_kernel && [ "${VFIOCTL_VM_REFRESH:-0}" != 1 ]; then
        echo "$cache"
        exit 0
fi

# linux-image-amd64 is a metapackage; its one dependency is the versioned
# image package (linux-image-6.1.0-NN-amd64). Prefer the -unsigned build
# when the mirror has it (same kernel, no signature wrapper).
meta=${VFIOCTL_VM_KERNEL_META:-linux-image-amd64}
pkg=$(apt-cache depends "$meta" 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
if [ -z "$pkg" ]; then
        echo "fetch-kernel: cannot resolve $meta (run 'apt-get update' first)" >&2
        exit 1
fi
if apt-cache show "$pkg-unsigned" >/dev/null 2>&1; then
        pkg="$pkg-unsigned"
fi
ver=$(apt-cache show "$pkg" | sed -n 's/^Version: //p' | head -n1)

if [ -s "$cache/kernel.package" ] && [ "$(cat "$cache/kernel.package")" = "$pkg $ver" ] && have_kernel; then
        echo "$cache"
        exit 0
fi

tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "fetch-kernel: downloading $pkg $ver" >&2
# apt-get download writes to the current folder; as root it warns that
# the _apt user cannot write there, which is harmless.
(cd "$tmp" && apt-get download -q "$pkg=$ver" >&2)
deb=$(ls "$tmp"/*.deb)
dpkg -x "$deb" "$tmp/kernel"
release=$(ls "$tmp/kernel/lib/modules" | head -n1)
if [ ! -f "$tmp/kernel/boot/vmlinuz-$release" ] || [ ! -d "$tmp/kernel/lib/modules/$release/kernel" ]; then
        echo "fetch-kernel: $deb has no vmlinuz-$release or modules" >&2
        exit 1
fi
rm -rf "$cache/kernel"
mv "$tmp/kernel" "$cache/kernel"
echo "$release" >"$cache/kernel.version"
echo "$pkg $ver" >"$cache/kernel.package"
echo "fetch-kernel: unpacked $release into $cache/kernel" >&2
echo "$cache"
