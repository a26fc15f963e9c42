#!/bin/bash
# Real-kernel tests: boot a Debian kernel under QEMU (TCG, an emulated
# IOMMU) with one topology of emulated devices, run the scenarios of
# scenarios.d/ inside the guest with the freshly built vfioctl, and print
# their results as TAP. One run is one leg of the matrix (legs.sh).
#
#   run-vm-tests.sh VFIOCTL [--leg A|B|amd|viommu] [--scenarios "all"|"0 3 ..."]
#
# VFIOCTL is the absolute path of the built tool (the guest reaches it over
# the read-only 9p export of this machine's root). The scenarios to run are,
# in order of precedence: $VM_SCENARIOS, --scenarios, "all"; each word is a
# scenario's number (3), its name (assign-auto) or its file name
# (03-assign-auto). The others, and those that do not run on this leg,
# print a TAP SKIP line. See README.md.
#
# Environment:
#   VM_LEG              the leg, overrides --leg (A)
#   VM_SCENARIOS        scenarios to run (see above)
#   VM_TIMEOUT          hard limit for the whole guest run, seconds (540)
#   VM_SCENARIO_TIMEOUT limit for one scenario inside the guest (120)
#   VM_GUEST_TIMEOUT    limit of all scenarios inside the guest (VM_TIMEOUT - 20)
#   VM_LOG              keep the full serial console log in this file
#   VM_FETCH=1          fetch the leg's kernel (and QEMU) when not cached;
#                       set by scripts/check.sh, implied by CI
#   VFIOCTL_VM_CACHE    the kernel cache folder (cache-dir.sh)
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
scenarios="all"
leg=A
while [ $# -gt 0 ]; do
        case $1 in
        --scenarios) scenarios=$2; shift 2 ;;
        --leg) leg=$2; shift 2 ;;
        *) echo "Bail out! run-vm-tests.sh: unknown argument '$1'"; exit 1 ;;
        esac
done
scenarios=${VM_SCENARIOS:-$scenarios}
leg=${VM_LEG:-$leg}
limit=${VM_TIMEOUT:-540}

bail() {
        echo "Bail out! $*"
        exit 1
}

[ -n "$vfioctl" ] || bail "usage: run-vm-tests.sh VFIOCTL [--leg NAME] [--scenarios LIST]"
case $vfioctl in /*) ;; *) vfioctl=$(pwd)/$vfioctl ;; esac
cache=$(bash "$here/cache-dir.sh")
. "$here/legs.sh"
leg_define "$leg" || bail "unknown leg '$leg' (legs: $LEGS_ALL)"
echo "# leg $leg: $LEG_ABOUT"
command -v busybox >/dev/null || bail "busybox not found (apt-get install busybox-static)"
command -v jq >/dev/null || bail "jq not found (apt-get install jq); the guest scenarios use the host's jq"

# --- the scenario plan ---------------------------------------------------------
# Every file of scenarios.d/ is one scenario (README.md "Adding a scenario").
# Its declarations are read in a subshell (the file only sets variables and
# defines functions); then: run it on this leg, or skip it saying why.
selected() {
        local id=$1 w
        for w in $scenarios; do matches "$w" "$id" && return 0; done
        return 1
}
# matches WORD ID: WORD (all, a number, a name or a file name) names ID.
matches() {
        case $1 in
        all | "$2" | "${2#*-}") return 0 ;;
        esac
        [[ $1 =~ ^[0-9]+$ ]] && [ $((10#$1)) = $((10#${2%%-*})) ]
}
# scenario_meta FILE: "skip REASON", "error: WHY", or "run" and its needs.
scenario_meta() {
        (
                SCENARIO_TITLE= SCENARIO_LEGS=all SCENARIO_REQUIRES= SCENARIO_MODULES=
                SCENARIO_OPTIONAL_MODULES= SCENARIO_APPEND= SCENARIO_TIMEOUT=
                SCENARIO_QEMU_ARGS=()
                # shellcheck disable=SC1090
                . "$1" >/dev/null 2>&1 || { echo "error: $1 cannot be sourced"; exit; }
                declare -F scenario >/dev/null || { echo "error: $1 defines no scenario()"; exit; }
                local on=no l r
                for l in $SCENARIO_LEGS; do
                        if [ "$l" = all ] || [ "$l" = "$LEG" ]; then on=yes; fi
                done
                [ $on = yes ] || { echo "skip runs on leg(s) $SCENARIO_LEGS, not on $LEG"; exit; }
                for r in $SCENARIO_REQUIRES; do
                        case " $LEG_FEATURES " in
                        *" $r "*) ;;
                        *) echo "skip needs $r, which leg $LEG lacks (it has: $LEG_FEATURES)"; exit ;;
                        esac
                done
                echo run
                echo "modules $SCENARIO_MODULES"
                echo "optional $SCENARIO_OPTIONAL_MODULES"
                echo "append $SCENARIO_APPEND"
                printf 'qemu'
                [ ${#SCENARIO_QEMU_ARGS[@]} -eq 0 ] || printf ' %q' "${SCENARIO_QEMU_ARGS[@]}"
                echo
        )
}
plan=
extra_modules=
extra_optional=
extra_append=
extra_qemu=()
known=
for f in "$here"/scenarios.d/[0-9][0-9]-*.sh; do
        [ -e "$f" ] || continue
        id=$(basename "$f" .sh)
        known+=" $id"
        if ! selected "$id"; then
                plan+="$id skip not selected (VM_SCENARIOS/--scenarios: $scenarios)"$'\n'
                continue
        fi
        meta=$(scenario_meta "$f")
        case $meta in
        "") bail "scenario $id: sourcing $f stopped the shell (an unset variable at its top level? the runner uses set -u)" ;;
        error:*) bail "scenario $id: ${meta#error: }" ;;
        skip*) plan+="$id $meta"$'\n'; continue ;;
        esac
        plan+="$id run"$'\n'
        while read -r key val; do
                case $key in
                modules) extra_modules+=" $val" ;;
                optional) extra_optional+=" $val" ;;
                append) extra_append+=" $val" ;;
                qemu) eval "extra_qemu+=($val)" ;;
                esac
        done <<<"$meta"
done
[ -n "$known" ] || bail "no scenario files in $here/scenarios.d"
for w in $scenarios; do
        hit=no
        for id in $known; do matches "$w" "$id" && hit=yes; done
        [ $hit = yes ] || bail "unknown scenario '$w' in VM_SCENARIOS/--scenarios (known:$known)"
done

# --- the leg's kernel and QEMU ---------------------------------------------------
# Cached after the first fetch. Without them a developer's machine skips
# (unless VM_FETCH=1); CI and scripts/check.sh fetch, and a failed fetch is
# a failed test that says why.
have_leg() {
        [ -s "$cache/$LEG_KERNEL.version" ] &&
                [ -f "$cache/$LEG_KERNEL/boot/vmlinuz-$(cat "$cache/$LEG_KERNEL.version")" ] &&
                command -v "$LEG_QEMU" >/dev/null
}
if ! have_leg; then
        if [ -z "${CI:-}" ] && [ "${VM_FETCH:-0}" != 1 ]; then
                echo "1..0 # SKIP leg $leg: no kernel/QEMU in $cache: run tests/vm/$LEG_FETCH (or set VM_FETCH=1)"
                exit 0
        fi
        t_fetch=$SECONDS
        mkdir -p "$cache"
        if ! bash "$here/$LEG_FETCH" >"$cache/.fetch-$leg.log" 2>&1 || ! have_leg; then
                echo "not ok 1 - leg $leg: fetch its kernel and QEMU (tests/vm/$LEG_FETCH)"
                sed 's/^/# /' "$cache/.fetch-$leg.log" | tail -n 30
                echo "# Is the Debian mirror reachable? See apt-get's messages above."
                echo "1..1"
                exit 1
        fi
        echo "# fetched with $LEG_FETCH in $((SECONDS - t_fetch))s"
fi
release=$(cat "$cache/$LEG_KERNEL.version")
kernel=$cache/$LEG_KERNEL/boot/vmlinuz-$release
qemu=$LEG_QEMU
command -v "$qemu" >/dev/null || bail "$qemu not found (apt-get install qemu-system-x86)"
echo "# $("$qemu" --version | head -n1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vfioctl-vm.XXXXXX")
qpid=
cleanup() {
        [ -n "$qpid" ] && kill -KILL "$qpid" 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat >"$work/vmtest.conf" <<EOF
VMTEST_LEG='$leg'
VMTEST_LEG_FEATURES='$LEG_FEATURES'
VMTEST_QEMU='$qemu'
VMTEST_MODULE_TREE='$cache/$LEG_KERNEL'
VMTEST_KERNEL_RELEASE='$release'
VMTEST_VFIOCTL='$vfioctl'
VMTEST_PLAN=$(printf '%q' "$plan")
VMTEST_SCENARIO_TIMEOUT=${VM_SCENARIO_TIMEOUT:-120}
VMTEST_GUEST_TIMEOUT=${VM_GUEST_TIMEOUT:-$((limit > 40 ? limit - 20 : limit / 2))}
VMTEST_GUEST_CMD=$(printf '%q' "${VM_GUEST_CMD:-}")
EOF

t_build=$SECONDS
if ! MKINITRAMFS_MODULES="$LEG_MODULES $extra_modules" \
        MKINITRAMFS_OPTIONAL="$extra_optional" \
        MKINITRAMFS_PARAMS="$LEG_MODPARAMS" \
        bash "$here/mkinitramfs.sh" "$cache/$LEG_KERNEL" "$release" "$work/initrd.gz" "$work/vmtest.conf" \
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
# plus the leg's devices (legs.sh) and those the scenarios ask for.
# romfile= keeps QEMU from looking for iPXE option ROMs.
topology=(
        -device e1000,bus=pcie.0,addr=0x3.0x0,multifunction=on,romfile=
        -device e1000,bus=pcie.0,addr=0x3.0x1,romfile=
        -device e1000e,bus=pcie.0,addr=0x4.0x0,romfile=
        -device pcie-root-port,id=rp1,bus=pcie.0,addr=0x5.0x0,chassis=1
        -device pcie-pci-bridge,id=br1,bus=rp1,addr=0x0
        -device e1000,bus=br1,addr=0x1,romfile=
        -device e1000,bus=br1,addr=0x2,romfile=
        "${LEG_DEVICES[@]}"
        "${extra_qemu[@]}"
)

# no_timer_check: on a loaded machine the TCG guest's timer can miss the
# kernel's boot-time IO-APIC check, and with interrupt remapping that is a
# panic ("timer doesn't work through Interrupt-remapped IO-APIC").
log=$work/console.log
t0=$(date +%s.%N)
timeout -k 5 "$limit" "$qemu" \
        -accel tcg -m 1024 -smp "${VM_SMP:-1}" -nodefaults -nographic -no-reboot \
        "${LEG_MACHINE[@]}" \
        -kernel "$kernel" -initrd "$work/initrd.gz" \
        -append "console=ttyS0 $LEG_APPEND$extra_append no_timer_check panic=-1 loglevel=3" \
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

# Number the guest's TAP lines. "not ok - ... # TODO why" is an expected
# failure (a known defect, README.md "Expected failures"): TAP does not
# count it as failed, and "ok - ... # TODO" (fixed) shows as an unexpected
# pass, so the mark is removed when the fix lands.
tr -d '\r' <"$log" >"$log.txt"
n=0
failed=0
notok=0
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
        "not ok - "*)
                n=$((n + 1))
                notok=$((notok + 1))
                case $line in
                *"# TODO"*) ;;
                *) failed=$((failed + 1)) ;;
                esac
                echo "not ok $n - ${line#not ok - }"
                ;;
        "#"*) echo "$line" ;;
        *) echo "# | $line" ;;
        esac
done <"$log.txt"

if [ -n "$g_total" ] && { [ "$g_total" != "$n" ] || [ "$g_failed" != "$notok" ]; }; then
        n=$((n + 1))
        failed=$((failed + 1))
        echo "not ok $n - console output intact: the guest reported $g_total results ($g_failed not ok), the runner read $((n - 1)) ($notok not ok)"
fi
echo "# leg $leg: guest run $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s wall, qemu exit status $qrc"
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
