#!/bin/bash
# Real-kernel tests: boot Debian's kernel under QEMU (TCG, emulated Intel
# IOMMU) with one topology of emulated devices, run the scenarios inside the
# guest with the freshly built vfioctl, and print their results as TAP.
#
#   run-vm-tests.sh VFIOCTL [--scenarios "0 1 2"]
#
# VFIOCTL is the absolute path of the built tool (the guest reaches it over
# the read-only 9p export of this machine's root). The scenarios to run are,
# in order of precedence: $VM_SCENARIOS, --scenarios, "0". The others print
# a TAP SKIP line. See README.md.
#
# Environment:
#   VM_SCENARIOS        scenarios to run (space separated, 0-7)
#   VM_TIMEOUT          hard limit for the whole guest run, seconds (280)
#   VM_SCENARIO_TIMEOUT limit for one scenario inside the guest (120)
#   VM_GUEST_TIMEOUT    limit of all scenarios inside the guest (VM_TIMEOUT - 20)
#   VM_LOG              keep the full serial console log in this file
#   VFIOCTL_VM_CACHE    the kernel cache folder (see fetch-kernel.sh)
#   VM_SMP              guest CPUs (1)
#   VM_GUEST_CMD        a shell snippet run in the guest after the scenarios
#                       (debugging; its output shows as TAP comments)
#
# Never touches this machine's /sys or /dev: every driver change happens
# inside the guest.

set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
vfioctl=${1:-}
shift || true
scenarios="0"
while [ $# -gt 0 ]; do
        case $1 in
        --scenarios) scenarios=$2; shift 2 ;;
        *) echo "Bail out! run-vm-tests.sh: unknown argument '$1'"; exit 1 ;;
        esac
done
scenarios=${VM_SCENARIOS:-$scenarios}
limit=${VM_TIMEOUT:-280}

bail() {
        echo "Bail out! $*"
        exit 1
}

[ -n "$vfioctl" ] || bail "usage: run-vm-tests.sh VFIOCTL [--scenarios LIST]"
case $vfioctl in /*) ;; *) vfioctl=$(pwd)/$vfioctl ;; esac
for s in $scenarios; do
        case $s in [0-7]) ;; *) bail "unknown scenario '$s' in VM_SCENARIOS/--scenarios (0-7)" ;; esac
done
command -v qemu-system-x86_64 >/dev/null || bail "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
command -v busybox >/dev/null || bail "busybox not found (apt-get install busybox-static)"
command -v jq >/dev/null || bail "jq not found (apt-get install jq); the guest scenarios use the host's jq"

cache=$(bash "$here/cache-dir.sh")
if [ ! -s "$cache/kernel.version" ]; then
        # On a developer's machine without the kernel: skip, saying why. In
        # CI (CI set) the fetch step must have run: fail.
        if [ -z "${CI:-}" ]; then
                echo "1..0 # SKIP no kernel in $cache: run tests/vm/fetch-kernel.sh"
                exit 0
        fi
        bail "no kernel in $cache: run tests/vm/fetch-kernel.sh first (.ci/run does)"
fi
release=$(cat "$cache/kernel.version")
kernel=$cache/kernel/boot/vmlinuz-$release
[ -f "$kernel" ] || bail "$kernel missing: rerun tests/vm/fetch-kernel.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/vfioctl-vm.XXXXXX")
qpid=
cleanup() {
        [ -n "$qpid" ] && kill -KILL "$qpid" 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat >"$work/vmtest.conf" <<EOF
VMTEST_VFIOCTL='$vfioctl'
VMTEST_SCENARIOS='$scenarios'
VMTEST_SCENARIO_TIMEOUT=${VM_SCENARIO_TIMEOUT:-120}
VMTEST_GUEST_TIMEOUT=${VM_GUEST_TIMEOUT:-$((limit > 40 ? limit - 20 : limit / 2))}
VMTEST_GUEST_CMD=$(printf '%q' "${VM_GUEST_CMD:-}")
VMTEST_OPTIONAL_MODULES='ahci libahci libata scsi_mod scsi_common lpc_ich mfd_core i2c_i801 i2c_smbus i2c_core'
EOF

t_build=$SECONDS
if ! bash "$here/mkinitramfs.sh" "$cache/kernel" "$release" "$work/initrd.gz" "$work/vmtest.conf" \
        2>"$work/mkinitramfs.log"; then
        sed 's/^/# /' "$work/mkinitramfs.log"
        bail "building the initramfs failed"
fi
echo "# initramfs built in $((SECONDS - t_build))s ($(du -k "$work/initrd.gz" | cut -f1) KiB); kernel $release"

# One guest with every topology at once:
#   00:03.0/.1  two e1000 functions of one multifunction slot (one group of two)
#   00:04.0     e1000e alone on the root bus
#   00:05.0     pcie-root-port -> pcie-pci-bridge -> two e1000s (one group with the bridge)
#   00:1f.*     the q35 chipset (LPC, SATA, SMBus), always present
# romfile= keeps QEMU from looking for iPXE option ROMs.
topology=(
        -device e1000,bus=pcie.0,addr=0x3.0x0,multifunction=on,romfile=
        -device e1000,bus=pcie.0,addr=0x3.0x1,romfile=
        -device e1000e,bus=pcie.0,addr=0x4.0x0,romfile=
        -device pcie-root-port,id=rp1,bus=pcie.0,addr=0x5.0x0,chassis=1
        -device pcie-pci-bridge,id=br1,bus=rp1,addr=0x0
        -device e1000,bus=br1,addr=0x1,romfile=
        -device e1000,bus=br1,addr=0x2,romfile=
)

log=$work/console.log
t0=$(date +%s.%N)
timeout -k 5 "$limit" qemu-system-x86_64 \
        -accel tcg -m 1024 -smp "${VM_SMP:-1}" -nodefaults -nographic -no-reboot \
        -machine q35,kernel-irqchip=split \
        -device intel-iommu,intremap=on,caching-mode=on \
        -kernel "$kernel" -initrd "$work/initrd.gz" \
        -append "console=ttyS0 intel_iommu=on panic=-1 loglevel=3" \
        -serial stdio \
        -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
        "${topology[@]}" \
        </dev/null >"$log" 2>"$work/qemu.err" &
qpid=$!
wait "$qpid"
qrc=$?
qpid=
t1=$(date +%s.%N)
[ -n "${VM_LOG:-}" ] && cp "$log" "$VM_LOG"

tr -d '\r' <"$log" >"$log.txt"
n=0
failed=0
inside=0
ended=0
g_total= g_failed=
while IFS= read -r line; do
        case $line in
        *@@VMTEST-BEGIN@@*) inside=1; continue ;;
        *@@VMTEST-END@@*) ended=1; inside=0; continue ;;
        @@VMTEST-COUNT\ *@@) read -r _ g_total g_failed <<<"${line//@/ }"; continue ;;
        esac
        [ $inside = 1 ] || continue
        case $line in
        "ok - #"*) n=$((n + 1)); echo "ok $n ${line#ok - }" ;;
        "ok - "*) n=$((n + 1)); echo "ok $n - ${line#ok - }" ;;
        "not ok - "*) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - ${line#not ok - }" ;;
        "#"*) echo "$line" ;;
        *) echo "# | $line" ;;
        esac
done <"$log.txt"

if [ -n "$g_total" ] && { [ "$g_total" != "$n" ] || [ "$g_failed" != "$failed" ]; }; then
        n=$((n + 1))
        failed=$((failed + 1))
        echo "not ok $n - console output intact: the guest reported $g_total results ($g_failed failed), the runner read $((n - 1)) ($((failed - 1)) failed)"
fi
echo "# guest run: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s wall, qemu exit status $qrc"
if [ $ended = 0 ]; then
        n=$((n + 1))
        failed=$((failed + 1))
        if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
                echo "not ok $n - guest finished within ${limit}s (hung: killed by the time limit)"
        else
                echo "not ok $n - guest reached the end marker (crashed or powered off early; qemu status $qrc)"
        fi
        echo "# --- qemu stderr ---"
        sed 's/^/# /' "$work/qemu.err" | tail -n 20
        echo "# --- serial console (last 60 lines) ---"
        tail -n 60 "$log.txt" | sed 's/^/# /'
elif [ $failed -gt 0 ] && [ -s "$work/qemu.err" ]; then
        echo "# --- qemu stderr ---"
        sed 's/^/# /' "$work/qemu.err" | tail -n 20
fi
echo "1..$n"
[ $failed -eq 0 ]
