# Helpers for the guest-side scenarios (sourced by guest-scenarios.sh).
# Runs inside the guest, chrooted into the host's root (read-only 9p) with
# the guest's own /sys, /proc and /dev, tmpfs on /tmp and /run.
#
# Output is TAP without numbers ("ok - ...", "not ok - ...", "# ...");
# the host-side runner numbers the lines.

SYS=/sys/bus/pci
QEMU=${VMTEST_QEMU:-qemu-system-x86_64}
VFIOCTL=$VMTEST_VFIOCTL
STATE_DIR=/run/vfioctl
OUT=/tmp/vmtest/out
mkdir -p "$OUT"

# --- TAP ---------------------------------------------------------------------
# tap_line LINE: a result line, on the console and in the results file
# that /init counts.
tap_line() {
        echo "$1"
        echo "$1" >>/tmp/vmtest/results
}
pass() { tap_line "ok - $*"; }
fail() {
        tap_line "not ok - $1"
        shift
        local l
        for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}
note() { printf '%s\n' "$*" | sed 's/^/# /'; }
# note_file FILE: a file's content as TAP comments (at most 40 lines).
note_file() { [ -s "$1" ] && head -n 40 "$1" | sed 's/^/#   | /'; return 0; }

# check DESCRIPTION CONDITION-COMMAND...: ok when the command succeeds.
check() {
        local desc=$1
        shift
        if "$@"; then pass "$desc"; else fail "$desc" "failed: $*"; fi
}
# is DESCRIPTION GOT EXPECTED
is() {
        if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "got:      $2" "expected: $3"; fi
}

# Expected failures: a check of a known, filed defect that is not fixed yet.
# While it fails: "not ok - DESC # TODO REASON" (TAP: an expected failure,
# not counted as failed). Once the fix lands it passes: "ok - DESC # TODO
# REASON", which meson reports as an unexpected pass (a failure): then turn
# the xfail back into a check/is. README.md "Expected failures".
#   xfail DESCRIPTION REASON COMMAND...
#   xfail_is DESCRIPTION REASON GOT EXPECTED
xfail() {
        local desc=$1 why=$2
        shift 2
        if "$@"; then
                tap_line "ok - $desc # TODO $why"
        else
                tap_line "not ok - $desc # TODO $why"
                printf '%s\n' "failed: $*" | sed 's/^/#   /'
        fi
}
xfail_is() {
        if [ "$3" == "$4" ]; then
                tap_line "ok - $1 # TODO $2"
        else
                tap_line "not ok - $1 # TODO $2"
                printf '%s\n' "got:      $3" "expected: $4" | sed 's/^/#   /'
        fi
}

now() { cut -d' ' -f1 /proc/uptime; }
# leg_has FEATURE: the leg has it (legs.sh: bridge-group, igb, ...).
leg_has() { case " $VMTEST_LEG_FEATURES " in *" $1 "*) return 0 ;; esac; return 1; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- modules ------------------------------------------------------------------
# guest_modprobe NAME [PARAM=VALUE...]: load a module of the leg's kernel
# that /init did not load (e.g. a host driver a scenario wants to appear
# late), its dependencies first. The modules come from the unpacked
# package in the cache over 9p ($VMTEST_MODULE_TREE); the package has no
# modules.dep, so each module's own "depends=" field says what it needs.
# This machine may have no kmod: the initramfs's busybox insmod loads them,
# decompressed first (it reads plain .ko only).
guest_modprobe() {
        local name=${1//-/_} rel f d ko
        shift
        grep -qE "^$name " /proc/modules && return 0
        rel=$VMTEST_MODULE_TREE/lib/modules/$VMTEST_KERNEL_RELEASE
        f=$(grep -E "/${name//_/[-_]}\.ko(\.[a-z]+)?\$" "$rel/modules.order" | head -n1)
        if [ -z "$f" ]; then
                grep -qE "/${name//_/[-_]}\.ko\$" "$rel/modules.builtin" 2>/dev/null && return 0
                note "guest_modprobe: no module $name in $rel"
                return 1
        fi
        f=$(ls "$rel/${f%.ko*}".ko* 2>/dev/null | head -n1)
        [ -n "$f" ] || { note "guest_modprobe: $name listed but not found under $rel"; return 1; }
        ko=/tmp/vmtest/$name.ko
        case $f in
        *.ko.xz) xz -dc "$f" >"$ko" ;;
        *.ko.zst) zstd -q -dc "$f" >"$ko" ;;
        *.ko.gz) gzip -dc "$f" >"$ko" ;;
        *) cp "$f" "$ko" ;;
        esac || return 1
        for d in $(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | head -n1 | tr ',' ' '); do
                guest_modprobe "$d" || return 1
        done
        /tmp/vmtest/busybox insmod "$ko" "$@"
}

# --- sysfs truth, read with plain shell ---------------------------------------
# (Bash builtins and globs where possible: every exec in a TCG guest costs
# tens of milliseconds.)
# drv BDF: the bound driver's name, or "none".
drv() {
        local p
        for p in "$SYS"/drivers/*/"$1"; do
                if [ -e "$p" ]; then
                        p=${p%/*}
                        echo "${p##*/}"
                        return
                fi
        done
        echo none
}
# grp BDF: the IOMMU group number.
grp() {
        local p
        p=$(cd -P "$SYS/devices/$1/iommu_group" 2>/dev/null && pwd) || return 1
        echo "${p##*/}"
}
# members N: the addresses in group N, sorted.
members() {
        local f
        for f in /sys/kernel/iommu_groups/"$1"/devices/*; do echo "${f##*/}"; done
}
# attr BDF NAME: one sysfs attribute of the device.
attr() {
        local v
        read -r v <"$SYS/devices/$1/$2" || return 1
        echo "$v"
}
override() { attr "$1" driver_override; }
vendev() { echo "$(attr "$1" vendor):$(attr "$1" device)"; }
# hdrtype BDF: the header type byte (config offset 0x0e), two hex digits.
hdrtype() { od -An -tx1 -j14 -N1 "$SYS/devices/$1/config" | tr -d ' \n'; }
is_bridge() { [ $((0x$(hdrtype "$1") & 0x7f)) -ne 0 ]; }
is_multifunction() { [ $((0x$(hdrtype "$1") & 0x80)) -ne 0 ]; }
# in_multifunction BDF: part of a multifunction device: its own bit, or the
# bit of function 0 of its slot (the only function that must carry it).
in_multifunction() {
        is_multifunction "$1" || { [ -e "$SYS/devices/${1%.*}.0" ] && is_multifunction "${1%.*}.0"; }
}

# The kernel's own viability (reference §3): every member unbound or on a
# driver_managed_dma driver (vfio-pci or a vfio variant, pci-stub, pcieport).
dev_viable() {
        local d
        d=$(drv "$1")
        case $d in
        none | vfio-pci | pci-stub | pcieport) return 0 ;;
        esac
        [ -d "$SYS/devices/$1/vfio-dev" ]
}
group_viable() {
        local m
        for m in $(members "$1"); do dev_viable "$m" || return 1; done
}

all_devices() {
        local f
        for f in "$SYS"/devices/*; do echo "${f##*/}"; done
}
# drivers_snapshot: "BDF driver override" for every device, to compare.
drivers_snapshot() {
        local d
        for d in $(all_devices); do
                echo "$d $(drv "$d") $(override "$d" 2>/dev/null)"
        done
}

# --- binding by hand (harness self-check and clean-up only) ------------------
# bind_by_hand BDF DRIVER: the driver_override sequence (reference §1).
bind_by_hand() {
        local b=$1 d=$2
        echo "$d" >"$SYS/devices/$b/driver_override" || return 1
        if [ -e "$SYS/devices/$b/driver" ]; then
                echo "$b" >"$SYS/devices/$b/driver/unbind" || return 1
        fi
        echo "$b" >"$SYS/drivers_probe" || return 1
        [ "$(drv "$b")" = "$d" ]
}
# restore_by_hand BDF NATIVE: clear the override and give it back to NATIVE
# (or leave it unbound when NATIVE is "none").
restore_by_hand() {
        local b=$1 n=$2
        echo >"$SYS/devices/$b/driver_override" || return 1
        if [ "$(drv "$b")" = "$n" ]; then return 0; fi
        if [ -e "$SYS/devices/$b/driver" ]; then
                echo "$b" >"$SYS/devices/$b/driver/unbind" || return 1
        fi
        [ "$n" = none ] && return 0
        echo "$b" >"$SYS/drivers_probe" || return 1
        [ "$(drv "$b")" = "$n" ]
}

# --- topology ------------------------------------------------------------------
# discover: find the test devices by what they are, not by fixed addresses
# (bus numbers are the firmware's choice). Sets:
#   MF0 MF1      the two e1000 functions of one multifunction slot, bus 00
#   BRIDGE       the pcie-pci-bridge (1b36:000e)
#   BR_KIDS      the e1000s behind it (array)
#   E1000E       the e1000e alone on the root bus
#   CHIPSET      the q35 00:1f.* functions (LPC, SATA, SMBus) (array)
#   NATIVE[BDF]  the driver each test device had at boot
declare -A NATIVE=()
discover() {
        local d vd
        MF0= MF1= BRIDGE= E1000E=
        BR_KIDS=() CHIPSET=()
        for d in $(all_devices); do
                vd=$(vendev "$d")
                case $vd in
                0x1b36:0x000e) BRIDGE=$d ;;
                0x8086:0x10d3) E1000E=$d ;;
                esac
                case $d in 0000:00:1f.*) CHIPSET+=("$d") ;; esac
        done
        for d in $(all_devices); do
                [ "$(vendev "$d")" = 0x8086:0x100e ] || continue
                if [ -n "$BRIDGE" ] && [ -e "$SYS/devices/$BRIDGE/$d" ]; then
                        BR_KIDS+=("$d")
                elif [[ $d == 0000:00:*.0 ]] && is_multifunction "$d"; then
                        MF0=$d
                fi
        done
        [ -n "$MF0" ] && [ -e "$SYS/devices/${MF0%.0}.1" ] && MF1=${MF0%.0}.1
        for d in $MF0 $MF1 "${BR_KIDS[@]}" $E1000E $BRIDGE "${CHIPSET[@]}"; do
                [ -n "${NATIVE[$d]:-}" ] || NATIVE[$d]=$(cat "$OUT/native.$d" 2>/dev/null || drv "$d")
        done
}
# save_native: record the boot-time drivers once (scenario 0 or the first run).
save_native() {
        local d
        for d in "${!NATIVE[@]}"; do
                [ -e "$OUT/native.$d" ] || echo "${NATIVE[$d]}" >"$OUT/native.$d"
        done
}
test_devices() { echo $MF0 $MF1 "${BR_KIDS[@]}" $E1000E; }

# restore_all: put every test device back on its boot-time driver, by hand.
# Run after each scenario so the next one starts from a clean host.
restore_all() {
        local d changed=0
        local pid
        # nested QEMUs the scenarios started and did not stop
        for pid in $(cat "$OUT/qemu.pids" 2>/dev/null); do
                kill -KILL "$pid" 2>/dev/null && sleep 1
        done
        : >"$OUT/qemu.pids"
        for d in $(test_devices) $BRIDGE "${CHIPSET[@]}"; do
                if [ "$(drv "$d")" != "${NATIVE[$d]}" ] || [ "$(override "$d")" != "(null)" ]; then
                        changed=1
                        restore_by_hand "$d" "${NATIVE[$d]}" ||
                                note "clean-up: could not give $d back to ${NATIVE[$d]} (now $(drv "$d"))"
                fi
        done
        rm -rf "$STATE_DIR"
        return $changed
}

# --- nested QEMU ------------------------------------------------------------------
# nested_qemu NAME STAY ARGS...: start qemu-system-x86_64 -accel tcg -S
# -nodefaults -display none -monitor none ARGS... in the background.
# Result in NQ_RESULT: "up" when it got its VFIO device file descriptors and
# was still running STAY seconds later (then it is killed), "exited" when it
# stopped by itself (its stderr is in $OUT/NAME.err, its status in NQ_STATUS),
# "timeout" when it neither failed nor opened the devices within the limit
# ($VMTEST_NESTED_LIMIT, 30 s); "not started" when ARGS hold no vfio-pci.
# NQ_SECS: seconds until it was up or exited.
nested_qemu_start() {
        local name=$1
        shift
        "$QEMU" -accel tcg -S -nodefaults -display none -monitor none "$@" \
                </dev/null >"$OUT/$name.out" 2>"$OUT/$name.err" &
        NQ_PID=$!
        echo "$NQ_PID" >>"$OUT/qemu.pids"
}
# nested_qemu_vfio_fds PID: how many vfio device fds the process holds.
nested_qemu_vfio_fds() {
        local n=0 f
        for f in /proc/$1/fd/*; do
                case $(readlink "$f" 2>/dev/null) in
                *vfio-device* | /dev/vfio/devices/*) n=$((n + 1)) ;;
                esac
        done
        echo $n
}
# nested_qemu_wait_up PID NDEV LIMIT: wait until PID holds NDEV device fds
# (status 0), exits (1) or LIMIT seconds pass (2).
nested_qemu_wait_up() {
        local pid=$1 ndev=$2 limit=$3 t0
        t0=$(now)
        while :; do
                if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
                if [ "$(nested_qemu_vfio_fds "$pid")" -ge "$ndev" ]; then return 0; fi
                if [ "$(awk -v a="$t0" -v b="$(now)" -v l="$limit" 'BEGIN { print (b - a > l) }')" = 1 ]; then
                        return 2
                fi
                sleep 0.2
        done
}
nested_qemu() {
        local name=$1 stay=$2 ndev t0 rc
        shift 2
        ndev=$(printf '%s\n' "$@" | grep -c '^vfio-pci' || true)
        if [ "$ndev" -lt 1 ]; then
                # nothing to assign: a QEMU without devices would just run
                NQ_RESULT="not started (no vfio-pci device in the arguments)"
                NQ_SECS=0 NQ_STATUS=
                return
        fi
        t0=$(now)
        nested_qemu_start "$name" "$@"
        nested_qemu_wait_up "$NQ_PID" "$ndev" "${VMTEST_NESTED_LIMIT:-30}"
        rc=$?
        NQ_SECS=$(elapsed "$t0")
        case $rc in
        0)
                sleep "$stay"
                if kill -0 "$NQ_PID" 2>/dev/null; then
                        NQ_RESULT=up
                        kill -KILL "$NQ_PID" 2>/dev/null
                else
                        NQ_RESULT=exited
                fi
                ;;
        1) NQ_RESULT=exited ;;
        2)
                NQ_RESULT=timeout
                kill -KILL "$NQ_PID" 2>/dev/null
                ;;
        esac
        wait "$NQ_PID" 2>/dev/null
        NQ_STATUS=$?
}

# --- vfioctl ------------------------------------------------------------------------
# vf ARGS...: run vfioctl with the guest's root and state dir; stdout in
# $OUT/vf.out, stderr in $OUT/vf.err, status in VF_RC. Time-limited.
vf() {
        timeout -k 5 "${VMTEST_CMD_LIMIT:-60}" "$VFIOCTL" --root / --state-dir "$STATE_DIR" "$@" \
                >"$OUT/vf.out" 2>"$OUT/vf.err"
        VF_RC=$?
        return $VF_RC
}
# vf_show: the last vfioctl call's output as TAP comments.
vf_show() {
        note "exit $VF_RC"
        note_file "$OUT/vf.out"
        note_file "$OUT/vf.err"
}
# hostdev_xml BDF [extra]: one <hostdev> element for a domain XML.
hostdev_xml() {
        local b=$1 extra=${2:-} dom bus slot fn
        IFS=':.' read -r dom bus slot fn <<<"$b"
        cat <<EOF
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio'${GROUP_ATTR:+ group='$GROUP_ATTR'}/>
      <source>
        <address domain='0x$dom' bus='0x$bus' slot='0x$slot' function='0x$fn'/>
      </source>$extra
    </hostdev>
EOF
}
# domain_xml NAME BODY: a minimal libvirt domain with the given devices.
domain_xml() {
        cat <<EOF
<domain type='kvm'>
  <name>$1</name>
  <memory unit='KiB'>131072</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
$2
  </devices>
</domain>
EOF
}
