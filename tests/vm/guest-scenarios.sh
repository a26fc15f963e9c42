#!/bin/bash
# Guest side of the real-kernel tests: the scenarios, run inside the QEMU
# guest by /init (chrooted into the host's read-only root), one process per
# scenario with its own time limit.
#
#   guest-scenarios.sh              run every scenario in order; the enabled
#                                   ones ($VMTEST_SCENARIOS) run, the others
#                                   print a TAP SKIP line
#   guest-scenarios.sh --run N      run scenario N only (used by the above)
#
# Every scenario starts from the boot-time drivers and leaves them so: after
# each one the harness puts every test device back by hand (restore_all).

set -u
. /tmp/vmtest/vmtest.conf
. /tmp/vmtest/guest-lib.sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C

# Which vfioctl commands each scenario needs (for the SKIP line).
declare -A NEEDS=(
        [0]=""
        [1]="list"
        [2]="detach"
        [3]="assign, qemu-args, release"
        [4]="assign, list"
        [5]="assign, qemu-args, release"
        [6]="detach, reattach, assign, release"
        [7]="detach, reattach, recover"
)
declare -A TITLE=(
        [0]="harness self-check"
        [1]="list --json equals the kernel's truth"
        [2]="detach refuses a shared group, --group takes it whole"
        [3]="assign group='auto' on the bridge group; nested QEMU accepts it"
        [4]="non-viable group: nested QEMU fails, vfioctl refuses"
        [5]="partial multifunction: function 1 assigned='no'"
        [6]="release and reattach give every device back"
        [7]="a device held open by QEMU: reattach times out, recover completes"
)

# ---------------------------------------------------------------------------
# Scenario 0: the mechanics, without vfioctl.
# ---------------------------------------------------------------------------
scenario_0() {
        local g m t0 dev_args

        check "s0: vfio, vfio_iommu_type1, vfio_pci and e1000 modules are loaded" \
                grep -qE '^vfio_pci ' /proc/modules
        grep -qE '^vfio_iommu_type1 ' /proc/modules || fail "s0: vfio_iommu_type1 not loaded"
        check "s0: the kernel has IOMMU groups" test -n "$(ls /sys/kernel/iommu_groups)"
        check "s0: /dev/vfio/vfio exists" test -c /dev/vfio/vfio

        note "IOMMU groups (group: address vendor:device class driver):"
        for g in $(ls /sys/kernel/iommu_groups | sort -n); do
                for m in $(members "$g"); do
                        note "  $g: $m $(vendev "$m") $(cat "$SYS/devices/$m/class") $(drv "$m")"
                done
        done

        # Groups per topology.
        check "s0: multifunction pair found (two e1000 functions of one slot on bus 00)" \
                test -n "$MF0" -a -n "$MF1"
        if [ -n "$MF0" ] && [ -n "$MF1" ]; then
                is "s0: multifunction pair $MF0 $MF1 is one group of two" \
                        "$(members "$(grp "$MF0")" | tr '\n' ' ')" "$MF0 $MF1 "
        fi
        check "s0: pcie-pci-bridge with at least two e1000s behind it found" \
                test -n "$BRIDGE" -a "${#BR_KIDS[@]}" -ge 2
        if [ -n "$BRIDGE" ]; then
                is "s0: bridge group is the bridge and its children" \
                        "$(members "$(grp "$BRIDGE")" | tr '\n' ' ')" \
                        "$(printf '%s\n' "$BRIDGE" "${BR_KIDS[@]}" | sort | tr '\n' ' ')"
                note "bridge $BRIDGE is on driver: $(drv "$BRIDGE")"
        fi
        check "s0: e1000e found" test -n "$E1000E"
        [ -n "$E1000E" ] && is "s0: e1000e $E1000E is alone in its group" \
                "$(members "$(grp "$E1000E")" | tr '\n' ' ')" "$E1000E "
        if [ ${#CHIPSET[@]} -ge 3 ]; then
                g=$(grp "${CHIPSET[0]}")
                local same=yes
                for m in "${CHIPSET[@]}"; do [ "$(grp "$m")" = "$g" ] || same=no; done
                is "s0: q35 chipset functions ${CHIPSET[*]} share one group" "$same" yes
        else
                fail "s0: q35 chipset functions 00:1f.* found" "found: ${CHIPSET[*]:-none}"
        fi
        for m in $MF0 $MF1 "${BR_KIDS[@]}"; do
                is "s0: $m is on e1000 at boot" "$(drv "$m")" e1000
        done
        [ -n "$E1000E" ] && is "s0: $E1000E is on e1000e at boot" "$(drv "$E1000E")" e1000e

        # By hand: e1000e alone -> vfio-pci -> /dev/vfio/N -> nested QEMU up.
        if [ -n "$E1000E" ]; then
                g=$(grp "$E1000E")
                check "s0: bind $E1000E to vfio-pci by hand (driver_override, unbind, drivers_probe)" \
                        bind_by_hand "$E1000E" vfio-pci
                check "s0: /dev/vfio/$g appears" test -c "/dev/vfio/$g"
                nested_qemu s0-e1000e 2 -device "vfio-pci,host=$E1000E"
                note "nested QEMU for $E1000E: $NQ_RESULT after ${NQ_SECS}s"
                is "s0: nested QEMU with vfio-pci,host=$E1000E stays up (viable group)" "$NQ_RESULT" up ||
                        true
                [ "$NQ_RESULT" = up ] || note_file "$OUT/s0-e1000e.err"
                check "s0: $E1000E back to e1000e by hand" restore_by_hand "$E1000E" e1000e
                check "s0: /dev/vfio/$g is gone again" test ! -e "/dev/vfio/$g"
        fi

        # By hand: one function of the pair on vfio-pci, its sibling still on
        # e1000 -> "not viable"; both on vfio-pci -> up.
        if [ -n "$MF0" ] && [ -n "$MF1" ]; then
                g=$(grp "$MF0")
                check "s0: bind $MF0 to vfio-pci by hand" bind_by_hand "$MF0" vfio-pci
                check "s0: /dev/vfio/$g appears with $MF1 still on e1000" test -c "/dev/vfio/$g"
                nested_qemu s0-mf-half 2 -device "vfio-pci,host=$MF0"
                note "nested QEMU for $MF0 (sibling on e1000): $NQ_RESULT after ${NQ_SECS}s"
                if [ "$NQ_RESULT" = exited ] && grep -q "group $g is not viable" "$OUT/s0-mf-half.err"; then
                        pass "s0: nested QEMU fails with 'group $g is not viable' while $MF1 is on e1000"
                else
                        fail "s0: nested QEMU fails with 'group $g is not viable' while $MF1 is on e1000" \
                                "result: $NQ_RESULT (status $NQ_STATUS)" "$(head -n 5 "$OUT/s0-mf-half.err")"
                fi
                check "s0: bind $MF1 to vfio-pci by hand" bind_by_hand "$MF1" vfio-pci
                nested_qemu s0-mf-both 2 -device "vfio-pci,host=$MF0" -device "vfio-pci,host=$MF1"
                note "nested QEMU for $MF0 + $MF1: $NQ_RESULT after ${NQ_SECS}s"
                is "s0: nested QEMU with both functions stays up" "$NQ_RESULT" up
                [ "$NQ_RESULT" = up ] || note_file "$OUT/s0-mf-both.err"
                check "s0: $MF0 back to e1000 by hand" restore_by_hand "$MF0" e1000
                check "s0: $MF1 back to e1000 by hand" restore_by_hand "$MF1" e1000
        fi

        # By hand: the bridge group. The children go to vfio-pci; the bridge
        # can't (header type 1). Viable only if the bridge is unbound or on
        # pcieport/pci-stub (shpchp is not driver_managed_dma).
        if [ -n "$BRIDGE" ] && [ ${#BR_KIDS[@]} -ge 2 ]; then
                g=$(grp "$BRIDGE")
                for m in "${BR_KIDS[@]}"; do
                        check "s0: bind $m (behind the bridge) to vfio-pci by hand" bind_by_hand "$m" vfio-pci
                done
                dev_args=()
                for m in "${BR_KIDS[@]}"; do dev_args+=(-device "vfio-pci,host=$m"); done
                nested_qemu s0-bridge 2 "${dev_args[@]}"
                note "nested QEMU for the bridge group (bridge on $(drv "$BRIDGE")): $NQ_RESULT after ${NQ_SECS}s"
                if dev_viable "$BRIDGE"; then
                        is "s0: nested QEMU with the bridge's children stays up (bridge on $(drv "$BRIDGE"))" "$NQ_RESULT" up
                        [ "$NQ_RESULT" = up ] || note_file "$OUT/s0-bridge.err"
                else
                        if [ "$NQ_RESULT" = exited ] && grep -q "not viable" "$OUT/s0-bridge.err"; then
                                pass "s0: bridge on $(drv "$BRIDGE") makes the group non-viable"
                        else
                                fail "s0: bridge on $(drv "$BRIDGE") makes the group non-viable" "result: $NQ_RESULT"
                        fi
                fi
                for m in "${BR_KIDS[@]}"; do
                        check "s0: $m back to e1000 by hand" restore_by_hand "$m" e1000
                done
        fi
}

# ---------------------------------------------------------------------------
# Scenario 1: `vfioctl list --json` equals the kernel's truth.
# ---------------------------------------------------------------------------
# truth_lines: "group address driver" for every device, from sysfs.
truth_lines() {
        local g m
        for g in $(ls /sys/kernel/iommu_groups); do
                for m in $(members "$g"); do echo "$g $m $(drv "$m")"; done
        done | sort
}
truth_viable() {
        local g
        for g in $(ls /sys/kernel/iommu_groups); do
                if group_viable "$g"; then echo "$g true"; else echo "$g false"; fi
        done | sort
}
truth_flags() {
        local g m
        for g in $(ls /sys/kernel/iommu_groups); do
                for m in $(members "$g"); do
                        echo "$m $(in_multifunction "$m" && echo true || echo false)" \
                                "$(is_bridge "$m" && echo true || echo false)"
                done
        done | sort
}
# compare_list TAG: one listing against the truth, as several assertions.
compare_list() {
        local tag=$1 j=$OUT/list.json
        if ! vf --json list --all; then
                fail "s1: $tag: vfioctl --json list --all exits 0"
                vf_show
                return 1
        fi
        cp "$OUT/vf.out" "$j"
        if ! jq -e . "$j" >/dev/null 2>&1; then
                fail "s1: $tag: output is one JSON document" "$(head -c 400 "$j")"
                return 1
        fi
        is "s1: $tag: iommu is true" "$(jq -r .iommu "$j")" true
        is "s1: $tag: groups, members and drivers equal sysfs" \
                "$(jq -r '.groups[] | .group as $g | .devices[] | "\($g) \(.address) \(.driver // "none")"' "$j" | sort)" \
                "$(truth_lines)"
        is "s1: $tag: viable of every group equals the kernel's rule" \
                "$(jq -r '.groups[] | "\(.group) \(.viable)"' "$j" | sort)" "$(truth_viable)"
        is "s1: $tag: multifunction and bridge flags equal config space" \
                "$(jq -r '.groups[].devices[] | "\(.address) \(.multifunction) \(.bridge)"' "$j" | sort)" \
                "$(truth_flags)"
        is "s1: $tag: no group and no device has an owner" \
                "$(jq -r '[.groups[] | .owner, (.devices[] | .owner)] | map(select(. != null)) | length' "$j")" 0
        is "s1: $tag: every device has vendor and device names" \
                "$(jq -r '[.groups[].devices[] | select((.vendor | type) != "string" or (.device | type) != "string" or .vendor == "" or .device == "")] | length' "$j")" 0
}
scenario_1() {
        compare_list "at boot" || return 0
        is "s1: at boot: every test device is in state host" \
                "$(jq -r --arg l "$(test_devices)" '[.groups[].devices[] | select(.address as $a | ($l | split(" ") | index($a))) | .state] | unique | join(",")' "$OUT/list.json")" host

        # Found detached: one function of the pair bound to vfio-pci by hand
        # (the group is then not viable), the e1000e alone on vfio-pci.
        if bind_by_hand "$MF0" vfio-pci && bind_by_hand "$E1000E" vfio-pci; then
                compare_list "after binding $MF0 and $E1000E to vfio-pci by hand" || return 0
                is "s1: $MF0 bound by hand shows state detached" \
                        "$(jq -r --arg a "$MF0" '.groups[].devices[] | select(.address == $a) | .state' "$OUT/list.json")" detached
                is "s1: group of $MF0 (sibling on e1000) is not viable" \
                        "$(jq -r --arg a "$MF0" '.groups[] | select(any(.devices[]; .address == $a)) | .viable' "$OUT/list.json")" false
                is "s1: group of $E1000E (alone, on vfio-pci) is viable" \
                        "$(jq -r --arg a "$E1000E" '.groups[] | select(any(.devices[]; .address == $a)) | .viable' "$OUT/list.json")" true
        else
                fail "s1: bind $MF0 and $E1000E to vfio-pci by hand"
        fi
}

# ---------------------------------------------------------------------------
# Scenario 2: detach of one e1000 behind the bridge.
# ---------------------------------------------------------------------------
scenario_2() {
        local k0=${BR_KIDS[0]} k1=${BR_KIDS[1]} g before after m bridge_drv
        g=$(grp "$k0")
        bridge_drv=$(drv "$BRIDGE")
        before=$(drivers_snapshot)
        vf detach "$k0"
        is "s2: detach $k0 without --group (sibling $k1 on e1000) exits 1" "$VF_RC" 1 || true
        [ "$VF_RC" = 1 ] || vf_show
        is "s2: ... and no driver changed" "$(drivers_snapshot)" "$before"
        if grep -q "$k1" "$OUT/vf.err" "$OUT/vf.out"; then
                pass "s2: ... and the refusal names the sibling $k1"
        else
                fail "s2: ... and the refusal names the sibling $k1"
                vf_show
        fi
        grep -q -- "--group" "$OUT/vf.err" "$OUT/vf.out" &&
                pass "s2: ... and suggests --group" || fail "s2: ... and suggests --group"

        vf detach "$k0" --group
        is "s2: detach $k0 --group exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        for m in "${BR_KIDS[@]}"; do
                is "s2: $m is on vfio-pci" "$(drv "$m")" vfio-pci
        done
        is "s2: the bridge $BRIDGE is untouched (still on $bridge_drv)" "$(drv "$BRIDGE")" "$bridge_drv"
        check "s2: /dev/vfio/$g exists" test -c "/dev/vfio/$g"
        after=$(drivers_snapshot | grep -vF -e "${BR_KIDS[0]} " -e "${BR_KIDS[1]} " ${BR_KIDS[2]:+-e "${BR_KIDS[2]} "})
        is "s2: no device outside the group changed" "$after" \
                "$(echo "$before" | grep -vF -e "${BR_KIDS[0]} " -e "${BR_KIDS[1]} " ${BR_KIDS[2]:+-e "${BR_KIDS[2]} "})"

        # The chipset group holds the guest's disk controller: never detached.
        before=$(drivers_snapshot)
        vf detach 0000:00:1f.2
        if [ "$VF_RC" -ne 0 ]; then
                pass "s2: detach of the chipset SATA 0000:00:1f.2 is refused (exit $VF_RC)"
        else
                fail "s2: detach of the chipset SATA 0000:00:1f.2 is refused" "it exited 0"
                vf_show
        fi
        is "s2: ... and no driver changed" "$(drivers_snapshot)" "$before"
}

# ---------------------------------------------------------------------------
# Scenario 3: assign from a domain XML with group='auto' on the bridge group.
# ---------------------------------------------------------------------------
scenario_3() {
        local k0=${BR_KIDS[0]} m g bridge_drv args
        g=$(grp "$k0")
        bridge_drv=$(drv "$BRIDGE")
        GROUP_ATTR=auto domain_xml g3 "$(GROUP_ATTR=auto hostdev_xml "$k0")" >"$OUT/g3.xml"
        vf assign g3 --xml "$OUT/g3.xml"
        is "s3: assign g3 --xml (hostdev $k0, group='auto') exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || { vf_show; note_file "$OUT/g3.xml"; }
        for m in "${BR_KIDS[@]}"; do
                is "s3: $m is on vfio-pci" "$(drv "$m")" vfio-pci
        done
        is "s3: the bridge is untouched (still on $bridge_drv)" "$(drv "$BRIDGE")" "$bridge_drv"
        if vf --json list --all; then
                is "s3: list: $k0 is assigned to g3" \
                        "$(jq -r --arg a "$k0" '.groups[].devices[] | select(.address == $a) | "\(.state) \(.owner)"' "$OUT/vf.out")" "assigned g3"
                is "s3: list: ${BR_KIDS[1]} is held for g3" \
                        "$(jq -r --arg a "${BR_KIDS[1]}" '.groups[].devices[] | select(.address == $a) | "\(.state) \(.owner)"' "$OUT/vf.out")" "held g3"
                is "s3: list: group $g is owned by g3" \
                        "$(jq -r --argjson g "$g" '.groups[] | select(.group == $g) | .owner' "$OUT/vf.out")" g3
        else
                fail "s3: vfioctl --json list --all"
                vf_show
        fi
        vf qemu-args g3
        is "s3: qemu-args g3 exits 0" "$VF_RC" 0
        args=$(cat "$OUT/vf.out")
        note "qemu-args g3: $args"
        case $args in
        *"vfio-pci,host=$k0"*) pass "s3: qemu-args has vfio-pci,host=$k0" ;;
        *) fail "s3: qemu-args has vfio-pci,host=$k0" "got: $args" ;;
        esac
        case $args in
        *"${BR_KIDS[1]}"*) fail "s3: qemu-args leaves out the held sibling ${BR_KIDS[1]}" "got: $args" ;;
        *) pass "s3: qemu-args leaves out the held sibling ${BR_KIDS[1]}" ;;
        esac
        # shellcheck disable=SC2086  # word splitting is the point: $(vfioctl qemu-args)
        nested_qemu s3 3 $args
        note "nested QEMU for g3: $NQ_RESULT after ${NQ_SECS}s"
        is "s3: nested QEMU with \$(vfioctl qemu-args g3) stays up: the group really is viable" "$NQ_RESULT" up
        [ "$NQ_RESULT" = up ] || note_file "$OUT/s3.err"

        vf release g3
        is "s3: release g3 exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        for m in "${BR_KIDS[@]}"; do
                is "s3: $m is back on e1000" "$(drv "$m")" e1000
        done
}

# ---------------------------------------------------------------------------
# Scenario 4: a non-viable group: QEMU fails, vfioctl refuses.
# ---------------------------------------------------------------------------
scenario_4() {
        local k0=${BR_KIDS[0]} k1=${BR_KIDS[1]} g before
        g=$(grp "$k0")
        # As an admin might: one child on vfio-pci by hand, its sibling left on e1000.
        check "s4: bind $k0 to vfio-pci by hand ($k1 stays on e1000)" bind_by_hand "$k0" vfio-pci
        if vf --json list --all; then
                is "s4: vfioctl reports group $g not viable" \
                        "$(jq -r --argjson g "$g" '.groups[] | select(.group == $g) | .viable' "$OUT/vf.out")" false
        else
                fail "s4: vfioctl --json list --all"
                vf_show
        fi
        nested_qemu s4 2 -device "vfio-pci,host=$k0,id=hostdev0"
        if [ "$NQ_RESULT" = exited ] && grep -q "group $g is not viable" "$OUT/s4.err"; then
                pass "s4: nested QEMU fails with 'group $g is not viable'"
        else
                fail "s4: nested QEMU fails with 'group $g is not viable'" "result: $NQ_RESULT" "$(head -n 5 "$OUT/s4.err")"
        fi

        before=$(drivers_snapshot)
        domain_xml g4 "$(hostdev_xml "$k0")" >"$OUT/g4.xml"
        vf assign g4 --xml "$OUT/g4.xml"
        is "s4: assign g4 --xml ($k0, no group='auto') is refused with exit 1" "$VF_RC" 1
        grep -q "$k1" "$OUT/vf.err" "$OUT/vf.out" &&
                pass "s4: ... naming the member $k1" || { fail "s4: ... naming the member $k1"; vf_show; }
        grep -q "auto" "$OUT/vf.err" "$OUT/vf.out" &&
                pass "s4: ... and suggesting group='auto'" || fail "s4: ... and suggesting group='auto'"
        vf assign g4 "$k0" --unmanaged
        is "s4: assign g4 $k0 --unmanaged is refused with exit 1" "$VF_RC" 1
        [ "$VF_RC" = 1 ] || vf_show
        vf assign g4 0000:00:1f.2
        if [ "$VF_RC" -ne 0 ]; then
                pass "s4: assign of the chipset SATA 0000:00:1f.2 is refused (exit $VF_RC)"
        else
                fail "s4: assign of the chipset SATA 0000:00:1f.2 is refused"
                vf_show
        fi
        is "s4: no driver changed by the refused assigns" "$(drivers_snapshot)" "$before"
}

# ---------------------------------------------------------------------------
# Scenario 5: partial multifunction.
# ---------------------------------------------------------------------------
scenario_5() {
        local args m
        domain_xml g5 "$(hostdev_xml "$MF0")
$(hostdev_xml "$MF1" "
      <address type='unassigned'/>")" >"$OUT/g5.xml"
        vf assign g5 --xml "$OUT/g5.xml"
        is "s5: assign g5 ($MF0 assigned, $MF1 unassigned) exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || { vf_show; note_file "$OUT/g5.xml"; }
        is "s5: $MF0 is on vfio-pci" "$(drv "$MF0")" vfio-pci
        is "s5: $MF1 is on vfio-pci" "$(drv "$MF1")" vfio-pci
        if vf --json list --all; then
                is "s5: list: $MF0 assigned to g5, $MF1 held for g5" \
                        "$(jq -r --arg a "$MF0" --arg b "$MF1" '[.groups[].devices[] | select(.address == $a or .address == $b) | "\(.address) \(.state) \(.owner)"] | join(", ")' "$OUT/vf.out")" \
                        "$MF0 assigned g5, $MF1 held g5"
        fi
        vf qemu-args g5
        is "s5: qemu-args g5 exits 0" "$VF_RC" 0
        args=$(cat "$OUT/vf.out")
        note "qemu-args g5: $args"
        is "s5: qemu-args has exactly one vfio-pci device, for $MF0" \
                "$(grep -o 'vfio-pci,host=[0-9a-f:.]*' <<<"$args" | tr '\n' ' ')" "vfio-pci,host=$MF0 "
        # shellcheck disable=SC2086
        nested_qemu s5 3 $args
        note "nested QEMU for g5: $NQ_RESULT after ${NQ_SECS}s"
        is "s5: nested QEMU starts with only function 0" "$NQ_RESULT" up
        [ "$NQ_RESULT" = up ] || note_file "$OUT/s5.err"
        vf release g5
        is "s5: release g5 exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        for m in $MF0 $MF1; do is "s5: $m is back on e1000" "$(drv "$m")" e1000; done
}

# ---------------------------------------------------------------------------
# Scenario 6: release and reattach give every device back.
# ---------------------------------------------------------------------------
all_back() {
        local tag=$1 m
        for m in $(test_devices); do
                is "s6: $tag: $m is on ${NATIVE[$m]} with driver_override (null)" \
                        "$(drv "$m") $(override "$m")" "${NATIVE[$m]} (null)"
        done
}
scenario_6() {
        local k0=${BR_KIDS[0]} bridge_drv
        bridge_drv=$(drv "$BRIDGE")
        vf detach "$k0" --group
        is "s6: detach $k0 --group exits 0" "$VF_RC" 0
        vf detach "$E1000E"
        is "s6: detach $E1000E exits 0" "$VF_RC" 0
        is "s6: $E1000E is on vfio-pci" "$(drv "$E1000E")" vfio-pci
        vf reattach "$k0" --group
        is "s6: reattach $k0 --group exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        vf reattach "$E1000E"
        is "s6: reattach $E1000E exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        all_back "after reattach"
        is "s6: the bridge is still on $bridge_drv" "$(drv "$BRIDGE")" "$bridge_drv"

        GROUP_ATTR=auto hostdev_xml "$k0" >"$OUT/g6.part"
        domain_xml g6 "$(cat "$OUT/g6.part")
$(hostdev_xml "$MF0")
$(hostdev_xml "$MF1")
$(hostdev_xml "$E1000E")" >"$OUT/g6.xml"
        vf assign g6 --xml "$OUT/g6.xml"
        is "s6: assign g6 (bridge group, pair, e1000e) exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        local m
        for m in $(test_devices); do is "s6: $m is on vfio-pci" "$(drv "$m")" vfio-pci; done
        vf release g6
        is "s6: release g6 exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        all_back "after release"
        if vf --json list --all; then
                is "s6: list: every test device is in state host with no owner" \
                        "$(jq -r --arg l "$(test_devices)" '[.groups[].devices[] | select(.address as $a | ($l | split(" ") | index($a))) | "\(.state) \(.owner)"] | unique | join(",")' "$OUT/vf.out")" "host null"
        fi
}

# ---------------------------------------------------------------------------
# Scenario 7: a device held open by the nested QEMU.
# ---------------------------------------------------------------------------
scenario_7() {
        local k0=${BR_KIDS[0]} m pid rc
        vf detach "$k0" --group
        is "s7: detach $k0 --group exits 0" "$VF_RC" 0
        nested_qemu_start s7 -device "vfio-pci,host=$k0,id=hostdev0"
        pid=$NQ_PID
        nested_qemu_wait_up "$pid" 1 "${VMTEST_NESTED_LIMIT:-30}"
        rc=$?
        is "s7: nested QEMU (pid $pid) holds $k0 open" "$rc" 0
        [ "$rc" = 0 ] || note_file "$OUT/s7.err"

        # The unbind blocks in the kernel while QEMU holds the device (the
        # vfio request loop); vfioctl must bound its wait and give up by
        # itself. Run it in the background: should it hang in an
        # uninterruptible write, killing QEMU below releases it.
        local limit=${VMTEST_REATTACH_LIMIT:-60} vfpid t0
        t0=$(now)
        "$VFIOCTL" --root / --state-dir "$STATE_DIR" reattach "$k0" --group \
                >"$OUT/vf.out" 2>"$OUT/vf.err" &
        vfpid=$!
        while kill -0 "$vfpid" 2>/dev/null &&
                [ "$(awk -v a="$t0" -v b="$(now)" -v l="$limit" 'BEGIN { print (b - a > l) }')" = 0 ]; do
                sleep 0.5
        done
        if kill -0 "$vfpid" 2>/dev/null; then
                fail "s7: reattach $k0 --group while QEMU holds it gives up within ${limit}s" \
                        "still running; killing QEMU to release it"
                kill -KILL "$pid" 2>/dev/null
                wait "$vfpid"
                VF_RC=$?
                vf_show
        else
                wait "$vfpid"
                VF_RC=$?
                note "reattach gave up after $(elapsed "$t0")s with exit $VF_RC:"
                note_file "$OUT/vf.err"
                if [ "$VF_RC" -ne 0 ]; then
                        pass "s7: reattach $k0 --group while QEMU holds it gives up (exit $VF_RC)"
                else
                        fail "s7: reattach $k0 --group while QEMU holds it gives up" "it exited 0"
                        vf_show
                fi
                if grep -qE "qemu-system-x86|\b$pid\b" "$OUT/vf.err" "$OUT/vf.out"; then
                        pass "s7: ... naming the holder (qemu-system-x86, pid $pid)"
                else
                        fail "s7: ... naming the holder (qemu-system-x86, pid $pid)"
                        vf_show
                fi
        fi
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        # the kernel finishes the blocked unbind once the last fd is closed
        sleep 2
        vf recover
        is "s7: after QEMU exits, recover exits 0" "$VF_RC" 0
        vf_show
        # recover may finish the reattach or roll it back (DESIGN §4): either
        # way the devices must be in one consistent state, and a reattach
        # then gives them back.
        local state
        state=$(for m in "${BR_KIDS[@]}"; do echo "$(drv "$m") $(override "$m")"; done | sort -u)
        case $state in
        "e1000 (null)")
                pass "s7: recover finished the reattach: the group is back on e1000" ;;
        "vfio-pci vfio-pci")
                pass "s7: recover rolled the reattach back: the group is on vfio-pci"
                vf reattach "$k0" --group
                is "s7: reattach $k0 --group now exits 0" "$VF_RC" 0
                [ "$VF_RC" = 0 ] || vf_show ;;
        *)
                fail "s7: after recover the group is in one consistent state" \
                        "$(for m in "${BR_KIDS[@]}"; do echo "$m: $(drv "$m") override $(override "$m")"; done)" ;;
        esac
        for m in "${BR_KIDS[@]}"; do
                is "s7: $m is on e1000 with driver_override (null)" "$(drv "$m") $(override "$m")" "e1000 (null)"
        done
}

# ---------------------------------------------------------------------------
run_one() {
        local n=$1
        discover
        "scenario_$n"
}

run_all() {
        local n t0 rc enabled
        discover
        save_native
        note "test devices: pair $MF0 $MF1; bridge $BRIDGE with ${BR_KIDS[*]}; e1000e $E1000E; chipset ${CHIPSET[*]}"
        for n in 0 1 2 3 4 5 6 7; do
                enabled=no
                for e in $VMTEST_SCENARIOS; do [ "$e" = "$n" ] && enabled=yes; done
                if [ $enabled = no ]; then
                        if [ -n "${NEEDS[$n]}" ]; then
                                tap_line "ok - # SKIP scenario $n: needs vfioctl ${NEEDS[$n]} (not built yet)"
                        else
                                tap_line "ok - # SKIP scenario $n: not enabled"
                        fi
                        continue
                fi
                note "--- scenario $n: ${TITLE[$n]}"
                t0=$(now)
                timeout -k 5 "$VMTEST_SCENARIO_TIMEOUT" bash /tmp/vmtest/guest-scenarios.sh --run "$n"
                rc=$?
                if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
                        fail "scenario $n: finished within ${VMTEST_SCENARIO_TIMEOUT}s" "killed by the time limit"
                elif [ $rc -ne 0 ]; then
                        fail "scenario $n: ran to its end" "exit status $rc"
                fi
                note "scenario $n took $(elapsed "$t0")s"
                restore_all || note "scenario $n left devices off their boot drivers (restored by hand)"
        done
}

# VM_GUEST_CMD (host environment): a shell snippet run in the guest after
# the scenarios, its output as TAP comments; for debugging, e.g.
#   VM_GUEST_CMD='$VFIOCTL --root / list --all; dmesg | tail' run-vm-tests.sh ...
guest_cmd() {
        [ -n "${VMTEST_GUEST_CMD:-}" ] || return 0
        discover
        note "--- VM_GUEST_CMD: $VMTEST_GUEST_CMD"
        (cd /tmp && eval "$VMTEST_GUEST_CMD") 2>&1 | sed 's/^/# /'
}

if [ "${1:-}" = --run ]; then
        run_one "$2"
else
        run_all
        guest_cmd
fi
