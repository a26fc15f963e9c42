# shellcheck shell=bash
# Scenario 10 (README.md "Scenarios"): devices in no IOMMU group. Under
# virtio-iommu the e1000s behind the PCIe-to-PCI bridge are not translated
# and get no group: vfio-pci cannot take them, and vfioctl must refuse them
# before it writes anything (rule 11). A device the IOMMU does cover (the
# e1000e) still goes to vfio-pci and into a nested QEMU.
SCENARIO_TITLE="no IOMMU group (virtio-iommu): refused up front; a covered device still assigned"
SCENARIO_REQUIRES=virtio-iommu

scenario() {
        local k0=${BR_KIDS[0]} before m g args
        for m in "${BR_KIDS[@]}"; do
                check "s10: $m (behind the bridge) has no IOMMU group" test ! -e "$SYS/devices/$m/iommu_group"
        done

        if vf --json list --all; then
                # sysfs: every device without an iommu_group link (the
                # bridge's e1000s, and the virtio-iommu device itself)
                is "s10: list --json: the devices in no group are those sysfs gives no group" \
                        "$(jq -r '[.devices[] | select(.group == null) | .address] | sort | join(" ")' "$OUT/vf.out")" \
                        "$(for m in $(all_devices); do [ -e "$SYS/devices/$m/iommu_group" ] || echo "$m"; done | sort | tr '\n' ' ' | sed 's/ $//')"
                for m in "${BR_KIDS[@]}"; do
                        is "s10: list --json: $m is listed in no group" \
                                "$(jq -r --arg a "$m" '[.devices[] | select(.address == $a)] | length' "$OUT/vf.out")" 1
                done
        else
                fail "s10: vfioctl --json list --all exits 0"
                vf_show
        fi
        vf show "$k0"
        is "s10: show $k0 exits 0" "$VF_RC" 0
        grep -q "no IOMMU group" "$OUT/vf.out" &&
                pass "s10: show $k0 says it is in no IOMMU group" ||
                { fail "s10: show $k0 says it is in no IOMMU group"; vf_show; }

        # Refused before any write: same drivers, no state, no hang.
        before=$(drivers_snapshot)
        vf detach "$k0"
        if [ "$VF_RC" -ne 0 ] && [ "$VF_RC" -ne 124 ]; then
                pass "s10: detach $k0 is refused (exit $VF_RC)"
        else
                fail "s10: detach $k0 is refused" "exit $VF_RC"
        fi
        grep -q "no IOMMU group" "$OUT/vf.err" &&
                pass "s10: ... saying it is in no IOMMU group" ||
                { fail "s10: ... saying it is in no IOMMU group"; vf_show; }
        is "s10: ... and no driver changed" "$(drivers_snapshot)" "$before"
        is "s10: ... and $k0 is still on e1000 with driver_override (null)" \
                "$(drv "$k0") $(override "$k0")" "e1000 (null)"
        domain_xml g10 "$(hostdev_xml "$k0")" >"$OUT/g10.xml"
        vf assign g10 --xml "$OUT/g10.xml"
        if [ "$VF_RC" -ne 0 ] && [ "$VF_RC" -ne 124 ]; then
                pass "s10: assign g10 --xml ($k0) is refused (exit $VF_RC)"
        else
                fail "s10: assign g10 --xml ($k0) is refused" "exit $VF_RC"
        fi
        is "s10: ... and no driver changed" "$(drivers_snapshot)" "$before"
        vf status
        if grep -q g10 "$OUT/vf.out"; then
                fail "s10: ... and no guest g10 was recorded"
                vf_show
        else
                pass "s10: ... and no guest g10 was recorded"
        fi

        # The e1000e on the root bus is covered: a group, vfio-pci, QEMU.
        g=$(grp "$E1000E")
        check "s10: $E1000E has an IOMMU group under virtio-iommu" test -n "$g"
        domain_xml g10b "$(hostdev_xml "$E1000E")" >"$OUT/g10b.xml"
        vf assign g10b --xml "$OUT/g10b.xml"
        is "s10: assign g10b ($E1000E) exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        is "s10: $E1000E is on vfio-pci" "$(drv "$E1000E")" vfio-pci
        vf qemu-args g10b
        args=$(cat "$OUT/vf.out")
        # shellcheck disable=SC2086
        nested_qemu s10 2 $args
        note "nested QEMU for g10b: $NQ_RESULT after ${NQ_SECS}s"
        is "s10: nested QEMU with \$(vfioctl qemu-args g10b) stays up" "$NQ_RESULT" up
        [ "$NQ_RESULT" = up ] || note_file "$OUT/s10.err"
        vf release g10b
        is "s10: release g10b exits 0" "$VF_RC" 0
        is "s10: $E1000E is back on e1000e" "$(drv "$E1000E")" e1000e
}
