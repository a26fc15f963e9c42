# shellcheck shell=bash
# Scenario 4 (tests/vm/README.md "Scenarios"): non-viable group: nested QEMU fails, vfioctl refuses
SCENARIO_TITLE="non-viable group: nested QEMU fails, vfioctl refuses"
SCENARIO_LEGS=all
# the group of the bridge and the two e1000s behind it (none on virtio-iommu)
SCENARIO_REQUIRES=bridge-group

scenario() {
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
