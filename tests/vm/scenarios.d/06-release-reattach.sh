# shellcheck shell=bash
# Scenario 6 (tests/vm/README.md "Scenarios"): release and reattach give every device back
SCENARIO_TITLE="release and reattach give every device back"
SCENARIO_LEGS=all
# the group of the bridge and the two e1000s behind it (none on virtio-iommu)
SCENARIO_REQUIRES=bridge-group

all_back() {
        local tag=$1 m
        for m in $(test_devices); do
                is "s6: $tag: $m is on ${NATIVE[$m]} with driver_override (null)" \
                        "$(drv "$m") $(override "$m")" "${NATIVE[$m]} (null)"
        done
}
scenario() {
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
