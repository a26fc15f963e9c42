# shellcheck shell=bash
# Scenario 2 (tests/vm/README.md "Scenarios"): detach refuses a shared group, --group takes it whole
SCENARIO_TITLE="detach refuses a shared group, --group takes it whole"
SCENARIO_LEGS=all
# the group of the bridge and the two e1000s behind it (none on virtio-iommu)
SCENARIO_REQUIRES=bridge-group

scenario() {
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
