# shellcheck shell=bash
# Scenario 1 (tests/vm/README.md "Scenarios"): list --json equals the kernel's truth
SCENARIO_TITLE="list --json equals the kernel's truth"
SCENARIO_LEGS=all

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
scenario() {
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
