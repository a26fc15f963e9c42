# shellcheck shell=bash
# Scenario 30: boot-time reservation (DESIGN rule 13) on the real kernel.
# The e1000 driver is taken out (as if its module had not been loaded yet
# at boot), the multifunction slot MF0/MF1 is reserved, systemd-udevd runs
# with vfioctl's udev rule (the one meson configured, contrib/), coldplug
# is replayed with `udevadm trigger --action=add`, and then the e1000
# module is loaded: the reserved NIC and its group sibling never bind to
# e1000 (no network interface) and end on vfio-pci, the unreserved e1000s
# behind the bridge bind normally, a nested QEMU starts on the reserved
# group, and `unreserve --now` gives both back to e1000.
SCENARIO_TITLE="boot-time reservation: udev keeps the reserved NICs off e1000"
SCENARIO_LEGS=all
SCENARIO_TIMEOUT=180

S30_CFG=/tmp/vmtest/s30-etc
S30_RULES=/run/udev/rules.d

s30_udevd() {
        local d
        for d in /lib/systemd/systemd-udevd /usr/lib/systemd/systemd-udevd; do
                [ -x "$d" ] && { echo "$d"; return 0; }
        done
        return 1
}

# The guest runs chrooted in the host's root: systemd's tools refuse to act
# in a chroot unless told that this one is the system.
export SYSTEMD_IGNORE_CHROOT=1

scenario() {
        local udevd rule m k g n
        udevd=$(s30_udevd) || { fail "s30: systemd-udevd is installed on the host root"; return; }
        rule=$(dirname "$VFIOCTL")/../contrib/40-vfioctl.rules
        [ -r "$rule" ] || { fail "s30: the configured udev rule is in the build tree ($rule)"; return; }
        g=$(grp "$MF0")

        # Boot before the host driver: e1000 is not loaded.
        rmmod e1000 2>"$OUT/s30.rmmod" || /tmp/vmtest/busybox rmmod e1000 2>>"$OUT/s30.rmmod"
        check "s30: e1000 unloaded (as at boot, before its module loads)" \
                sh -c '! grep -q "^e1000 " /proc/modules'
        is "s30: $MF0 and $MF1 have no driver" "$(drv "$MF0") $(drv "$MF1")" "none none"

        mkdir -p -m 0755 "$S30_CFG"
        vf --config-dir "$S30_CFG" reserve --group "$MF0"
        is "s30: reserve --group $MF0 exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        n=$(grep -c '^\[' "$S30_CFG/reservations" 2>/dev/null)
        is "s30: both functions reserved (the driverless sibling too)" "$n" 2
        note_file "$S30_CFG/reservations"

        # The shipped rule, pointed at this test's vfioctl, config and state.
        mkdir -p "$S30_RULES"
        sed -e "s|TEST==\"[^\"]*\"|TEST==\"$S30_CFG/reservations\"|" \
            -e "s|RUN+=\"[^\"]* boot \$kernel\"|RUN+=\"/usr/bin/env VFIOCTL_CONFIG_DIR=$S30_CFG VFIOCTL_STATE_DIR=$STATE_DIR $VFIOCTL boot \$kernel\"|" \
            "$rule" >"$S30_RULES/40-vfioctl.rules"
        note_file "$S30_RULES/40-vfioctl.rules"
        "$udevd" --daemon --resolve-names=never 2>"$OUT/s30.udevd"
        if udevadm control --ping --timeout=10; then
                pass "s30: systemd-udevd runs in the guest"
        else
                fail "s30: systemd-udevd runs in the guest"
                note_file "$OUT/s30.udevd"
                return
        fi
        udevadm trigger --action=add --subsystem-match=pci
        udevadm settle --timeout=60
        is "s30: after coldplug, $MF0 has driver_override vfio-pci" "$(override "$MF0")" vfio-pci
        is "s30: after coldplug, $MF1 has driver_override vfio-pci" "$(override "$MF1")" vfio-pci
        is "s30: after coldplug, the reserved pair is on vfio-pci" "$(drv "$MF0") $(drv "$MF1")" \
                "vfio-pci vfio-pci"
        for k in "${BR_KIDS[@]}"; do
                is "s30: unreserved $k has no override" "$(override "$k")" "(null)"
        done

        # Now the host driver's module loads.
        guest_modprobe e1000
        check "s30: e1000 loaded" grep -q "^e1000 " /proc/modules
        udevadm settle --timeout=60
        for m in "$MF0" "$MF1"; do
                is "s30: reserved $m never bound to e1000 (on vfio-pci)" "$(drv "$m")" vfio-pci
                check "s30: reserved $m has no network interface" test ! -e "$SYS/devices/$m/net"
        done
        for k in "${BR_KIDS[@]}"; do
                is "s30: unreserved $k binds e1000 normally" "$(drv "$k")" e1000
        done
        check "s30: /dev/vfio/$g exists" test -c "/dev/vfio/$g"

        vf --config-dir "$S30_CFG" --json status
        is "s30: status: both reservations honoured this boot" \
                "$(jq -r '[.reservations[] | .honoured] | map(tostring) | join(" ")' "$OUT/vf.out" 2>/dev/null)" \
                "true true"
        is "s30: status: recorded as taken by 'vfioctl boot'" \
                "$(jq -r '[.devices[] | .detached_by | split(" ")[0:2] | join(" ")] | unique | join(",")' "$OUT/vf.out" 2>/dev/null)" \
                "vfioctl boot"

        nested_qemu s30 3 -device "vfio-pci,host=$MF0" -device "vfio-pci,host=$MF1"
        note "nested QEMU on the reserved group: $NQ_RESULT after ${NQ_SECS}s"
        is "s30: a nested QEMU starts on the reserved group" "$NQ_RESULT" up
        [ "$NQ_RESULT" = up ] || note_file "$OUT/s30.err"

        vf --config-dir "$S30_CFG" unreserve --now "$MF0" "$MF1"
        is "s30: unreserve --now exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        udevadm settle --timeout=60
        is "s30: unreserve --now: the kernel gives both to e1000" "$(drv "$MF0") $(drv "$MF1")" \
                "e1000 e1000"
        is "s30: unreserve --now: overrides cleared" "$(override "$MF0") $(override "$MF1")" \
                "(null) (null)"
        check "s30: no reservations left" sh -c "! grep -q '^\[' '$S30_CFG/reservations'"

        # The systemd unit's case: a driver that was loaded already took the
        # devices before udev ran; `vfioctl boot` detaches them as detach does.
        vf --config-dir "$S30_CFG" reserve --group "$MF0"
        is "s30: reserve again (on e1000 now) exits 0" "$VF_RC" 0
        vf --config-dir "$S30_CFG" boot
        is "s30: boot (the systemd unit's run) exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        is "s30: boot: the pair taken off e1000 onto vfio-pci" "$(drv "$MF0") $(drv "$MF1")" \
                "vfio-pci vfio-pci"
        vf --config-dir "$S30_CFG" unreserve --now "$MF0" "$MF1"
        is "s30: unreserve --now: back on e1000, the driver they had" "$(drv "$MF0") $(drv "$MF1")" \
                "e1000 e1000"
}

scenario_cleanup() {
        udevadm control --exit --timeout=10 2>/dev/null
        rm -rf "$S30_RULES/40-vfioctl.rules" "$S30_CFG"
        grep -q "^e1000 " /proc/modules || guest_modprobe e1000
}
