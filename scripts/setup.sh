#!/bin/bash
# Installs what vfioctl needs to build and test on Debian, then configures
# the build folders. Safe to run again: installed packages are skipped.
# With --build-deps only what building it and running the simulated kernel
# needs (scripts/demo.sh on a fresh machine).
set -euo pipefail
cd "$(dirname "$0")/.."

build_packages=(
        gcc meson ninja-build pkgconf
        libpci-dev pci.ids libsqlite3-dev libxml2-dev libjansson-dev libmnl-dev
        libfuse3-dev fuse3 libcmocka-dev
)
packages=(
        "${build_packages[@]}"
        python3 sqlite3
        # CI's other checks: the clang build, coverage, the Debian package
        clang clang-tidy gcovr debhelper dpkg-dev lintian git
        # the fuzzers (tests/fuzz): clang's libFuzzer and sanitizer runtimes
        libclang-rt-14-dev
        # the parallel benchmark CI prints (bench/sriov.sh)
        bc
        # real-kernel tests (tests/vm): Debian's kernel under QEMU
        qemu-system-x86 busybox-static jq xz-utils zstd
        # systemd-udevd in the guest (tests/vm scenario 30, the udev rule);
        # never started on this machine itself
        udev
        # libvirt in the real-kernel guest (tests/vm scenario 40, the hook);
        # never started on this machine itself
        libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
)

[ "${1:-}" = --build-deps ] && packages=("${build_packages[@]}")

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing ${missing[*]}"
        if [ "$(id -u)" -ne 0 ]; then
                echo "setup: need root to install packages (or install them yourself)" >&2
                exit 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

[ -d build ] || meson setup build --werror
ninja -C build
