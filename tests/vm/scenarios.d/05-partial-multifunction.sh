# shellcheck shell=bash
# Scenario 5 (tests/vm/README.md "Scenarios"): partial multifunction: function 1 assigned='no'
SCENARIO_TITLE="partial multifunction: function 1 assigned='no'"
SCENARIO_LEGS=all

scenario() {
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
