# shellcheck shell=bash
# Scenario 0 (tests/vm/README.md "Scenarios"): harness self-check
SCENARIO_TITLE="harness self-check"
SCENARIO_LEGS=all

scenario() {
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
        if [ -n "$BRIDGE" ] && ! leg_has bridge-group; then
                # virtio-iommu: nothing behind the PCIe-to-PCI bridge is
                # translated, so those devices have no IOMMU group at all
                for m in "${BR_KIDS[@]}"; do
                        check "s0: $m behind the bridge has no IOMMU group (leg $VMTEST_LEG)" \
                                test ! -e "$SYS/devices/$m/iommu_group"
                done
                note "bridge $BRIDGE: group $(grp "$BRIDGE" || echo none), driver $(drv "$BRIDGE")"
        elif [ -n "$BRIDGE" ]; then
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
        if [ -n "$BRIDGE" ] && [ ${#BR_KIDS[@]} -ge 2 ] && leg_has bridge-group; then
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
