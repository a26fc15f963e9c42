# shellcheck shell=bash
# Scenario 8 (README.md "Scenarios"): VFs of the igb PFs, made by hand with
# sriov_numvfs, as vfioctl sees them (issue 9 defect 1: a VF's config space
# reads 0xffff for vendor and device; its ids come from sysfs), and one VF
# detached, started in a nested QEMU and given back.
SCENARIO_TITLE="SR-IOV: VFs made by hand are listed with their ids and groups; one runs in a nested QEMU"
SCENARIO_REQUIRES=igb
SCENARIO_TIMEOUT=180

S8_PF_IDS=0x8086:0x10c9 # 82576 (QEMU's igb)
S8_VF_IDS=0x8086:0x10ca # 82576 virtual function
S8_NUMVFS=2

s8_pfs() {
        local d
        for d in $(all_devices); do
                [ "$(vendev "$d")" = "$S8_PF_IDS" ] && echo "$d"
        done
}
# s8_vfs PF: its VFs, from the virtfnN links, in order.
s8_vfs() {
        local l n=0
        while [ -e "$SYS/devices/$1/virtfn$n" ]; do
                l=$(readlink "$SYS/devices/$1/virtfn$n")
                echo "${l##*/}"
                n=$((n + 1))
        done
}

scenario() {
        local pfs pf vfs vf0 v t0 total j g want got
        mapfile -t pfs < <(s8_pfs)
        is "s8: two igb PFs ($S8_PF_IDS)" "${#pfs[@]}" 2
        [ ${#pfs[@]} -ge 1 ] || return 0
        note "igb PFs: ${pfs[*]} (drivers: $(for pf in "${pfs[@]}"; do drv "$pf"; done | tr '\n' ' '))"
        for pf in "${pfs[@]}"; do
                is "s8: $pf is on igb" "$(drv "$pf")" igb
                total=$(attr "$pf" sriov_totalvfs)
                note "$pf: sriov_totalvfs $total"
                check "s8: $pf offers at least $S8_NUMVFS VFs (sriov_totalvfs $total)" test "${total:-0}" -ge $S8_NUMVFS
                t0=$(now)
                if echo $S8_NUMVFS >"$SYS/devices/$pf/sriov_numvfs"; then
                        pass "s8: $S8_NUMVFS VFs enabled on $pf by hand (sriov_numvfs; $(elapsed "$t0")s)"
                else
                        fail "s8: $S8_NUMVFS VFs enabled on $pf by hand (sriov_numvfs)"
                fi
        done

        vfs=()
        for pf in "${pfs[@]}"; do
                mapfile -t -O ${#vfs[@]} vfs < <(s8_vfs "$pf")
        done
        is "s8: $((S8_NUMVFS * ${#pfs[@]})) VFs appeared" "${#vfs[@]}" $((S8_NUMVFS * ${#pfs[@]}))
        [ ${#vfs[@]} -ge 1 ] || return 0
        for v in "${vfs[@]}"; do
                note "VF $v: sysfs ids $(vendev "$v"), config space vendor" \
                        "0x$(od -An -tx2 -N2 "$SYS/devices/$v/config" | tr -d ' '), group $(grp "$v"), driver $(drv "$v")"
        done

        # list: every VF with the ids sysfs gives, its group, its driver
        if ! vf --json list --all; then
                fail "s8: vfioctl --json list --all exits 0 with VFs present"
                vf_show
                return 0
        fi
        j=$OUT/s8-list.json
        cp "$OUT/vf.out" "$j"
        want=$(for v in "${vfs[@]}"; do
                echo "$v $(vendev "$v" | tr ':' ' ') $(grp "$v") $(drv "$v") host"
        done)
        got=$(for v in "${vfs[@]}"; do
                jq -r --arg a "$v" '.groups[] | .group as $g | .devices[] | select(.address == $a) |
                        "\(.address) \(.vendor) \(.device) \($g) \(.driver // "none") \(.state)"' "$j"
        done)
        is "s8: list: each VF with vendor:device $S8_VF_IDS from sysfs, its IOMMU group, its driver, state host" \
                "$got" "$want"
        is "s8: list: no VF has an error" \
                "$(jq -r --arg l "${vfs[*]}" '[.groups[].devices[] | select(.address as $a | ($l | split(" ") | index($a))) | .error // empty] | length' "$j")" 0
        is "s8: list: groups and members equal sysfs, VFs included" \
                "$(jq -r '.groups[] | .group as $g | .devices[] | "\($g) \(.address)"' "$j" | sort)" \
                "$(for g in $(ls /sys/kernel/iommu_groups); do for v in $(members "$g"); do echo "$g $v"; done; done | sort)"

        # show: the VF, its PF, no "all ones"
        vf0=${vfs[0]}
        vf show "$vf0"
        is "s8: show $vf0 exits 0" "$VF_RC" 0
        if grep -q "all ones" "$OUT/vf.out" "$OUT/vf.err"; then
                fail "s8: show $vf0 does not call the VF gone (config space all ones)"
                vf_show
        else
                pass "s8: show $vf0 does not call the VF gone (config space all ones)"
        fi
        grep -q "virtual function of ${pfs[0]}" "$OUT/vf.out" &&
                pass "s8: show $vf0 names its PF ${pfs[0]}" || { fail "s8: show $vf0 names its PF ${pfs[0]}"; vf_show; }
        if vf --json show "$vf0"; then
                is "s8: show --json $vf0: ids, group, no error" \
                        "$(jq -r '.device | "\(.vendor):\(.device) \(.group) \(.error // "none")"' "$OUT/vf.out")" \
                        "$S8_VF_IDS $(grp "$vf0") none"
        else
                fail "s8: show --json $vf0 exits 0"
                vf_show
        fi
        vf --json show "${pfs[0]}"
        is "s8: show --json ${pfs[0]}: sriov_totalvfs and sriov_numvfs" \
                "$(jq -r '.device | "\(.sriov_totalvfs) \(.sriov_numvfs)"' "$OUT/vf.out")" \
                "$(attr "${pfs[0]}" sriov_totalvfs) $S8_NUMVFS"

        # one VF to vfio-pci, a nested QEMU on it, and back
        g=$(grp "$vf0")
        vf detach "$vf0"
        is "s8: detach $vf0 exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        is "s8: $vf0 is on vfio-pci" "$(drv "$vf0")" vfio-pci
        check "s8: /dev/vfio/$g exists" test -c "/dev/vfio/$g"
        nested_qemu s8 2 -device "vfio-pci,host=$vf0"
        note "nested QEMU for VF $vf0: $NQ_RESULT after ${NQ_SECS}s"
        is "s8: nested QEMU ($QEMU) with vfio-pci,host=$vf0 stays up" "$NQ_RESULT" up
        [ "$NQ_RESULT" = up ] || note_file "$OUT/s8.err"
        vf reattach "$vf0"
        is "s8: reattach $vf0 exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        is "s8: $vf0 is back on igbvf with driver_override (null)" "$(drv "$vf0") $(override "$vf0")" "igbvf (null)"
}

# The VFs go away with the PFs' sriov_numvfs back at 0.
scenario_cleanup() {
        local pf v
        for pf in $(s8_pfs); do
                for v in $(s8_vfs "$pf"); do
                        echo >"$SYS/devices/$v/driver_override" 2>/dev/null
                done
                [ "$(attr "$pf" sriov_numvfs)" = 0 ] || echo 0 >"$SYS/devices/$pf/sriov_numvfs" ||
                        note "s8 clean-up: sriov_numvfs of $pf not reset"
        done
}
