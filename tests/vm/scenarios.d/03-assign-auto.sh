# shellcheck shell=bash
# Scenario 3 (tests/vm/README.md "Scenarios"): assign group='auto' on the bridge group; nested QEMU accepts it
SCENARIO_TITLE="assign group='auto' on the bridge group; nested QEMU accepts it"
SCENARIO_LEGS=all
# the group of the bridge and the two e1000s behind it (none on virtio-iommu)
SCENARIO_REQUIRES=bridge-group

scenario() {
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
