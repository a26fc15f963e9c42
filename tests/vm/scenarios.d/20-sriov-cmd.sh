# shellcheck shell=bash
# Scenario 20 (README.md "Scenarios"): vfioctl sriov on QEMU's igb (issue 9,
# rule 10): VFs made and bound to vfio-pci by vfioctl, listed with their
# ids; the PF's detach refused while a VF is detached, then --force and
# reattach making the VFs again; the time of 7 VFs made and bound, by
# vfioctl and by the shell loop users write; 7 VFs detached one per
# command against one command (rule 15: groups at once).
SCENARIO_TITLE="SR-IOV: vfioctl sriov makes and binds igb VFs; PF detach and reattach keep the VFs' count"
SCENARIO_REQUIRES=igb
SCENARIO_TIMEOUT=360

S20_PF_IDS=0x8086:0x10c9

s20_pf() {
        local d
        for d in $(all_devices); do
                [ "$(vendev "$d")" = "$S20_PF_IDS" ] && { echo "$d"; return; }
        done
}
s20_nvfs() { ls "$SYS/devices/$1" | grep -c '^virtfn'; }
s20_vfs() {
        local n=0 l
        while [ -e "$SYS/devices/$1/virtfn$n" ]; do
                l=$(readlink "$SYS/devices/$1/virtfn$n"); echo "${l##*/}"; n=$((n + 1))
        done
}

scenario() {
        local pf v t0 n_ok vfs
        pf=$(s20_pf)
        check "s20: an igb PF" test -n "$pf"
        [ -n "$pf" ] || return 0

        t0=$(now)
        vf sriov "$pf" 2 --driver vfio
        is "s20: sriov $pf 2 --driver vfio exits 0 ($(elapsed "$t0")s)" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        is "s20: 2 VFs" "$(s20_nvfs "$pf")" 2
        is "s20: autoprobe off" "$(attr "$pf" sriov_drivers_autoprobe)" 0
        for v in $(s20_vfs "$pf"); do
                is "s20: VF $v on vfio-pci, never on igbvf" "$(drv "$v")" vfio-pci
        done

        vf detach "$pf"
        is "s20: detach $pf refused while its VFs are detached (exit 1)" "$VF_RC" 1
        is "s20: the PF stays on igb with its VFs" "$(drv "$pf") $(s20_nvfs "$pf")" "igb 2"
        vf sriov "$pf" 0
        is "s20: sriov $pf 0 exits 0" "$VF_RC" 0
        is "s20: no VFs, autoprobe back on" "$(s20_nvfs "$pf") $(attr "$pf" sriov_drivers_autoprobe)" "0 1"

        echo 2 >"$SYS/devices/$pf/sriov_numvfs"
        vf detach --force "$pf"
        is "s20: detach --force $pf exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        is "s20: PF on vfio-pci, its VFs gone (the kernel removed them)" "$(drv "$pf") $(s20_nvfs "$pf")" "vfio-pci 0"
        vf reattach "$pf"
        is "s20: reattach $pf exits 0" "$VF_RC" 0
        is "s20: PF back on igb with its 2 VFs" "$(drv "$pf") $(s20_nvfs "$pf")" "igb 2"
        echo 0 >"$SYS/devices/$pf/sriov_numvfs"

        # The igb figures: 7 VFs made and bound to vfio-pci.
        t0=$(now)
        vf sriov "$pf" 7 --driver vfio
        note "s20: vfioctl sriov $pf 7 --driver vfio: $(elapsed "$t0")s (exit $VF_RC)"
        n_ok=0
        for v in $(s20_vfs "$pf"); do [ "$(drv "$v")" = vfio-pci ] && n_ok=$((n_ok + 1)); done
        is "s20: 7 VFs on vfio-pci" "$n_ok" 7
        vf sriov "$pf" 0
        t0=$(now)
        echo 0 >"$SYS/devices/$pf/sriov_drivers_autoprobe"
        echo 7 >"$SYS/devices/$pf/sriov_numvfs"
        for v in $(s20_vfs "$pf"); do
                echo vfio-pci >"$SYS/devices/$v/driver_override"
                echo "$v" >/sys/bus/pci/drivers_probe
        done
        note "s20: the shell loop (autoprobe 0, numvfs 7, override+probe per VF): $(elapsed "$t0")s"

        # Rule 15 on the real kernel: 7 VFs on igbvf to vfio-pci, one
        # group per command against one command for all (groups at once).
        for v in $(s20_vfs "$pf"); do echo >"$SYS/devices/$v/driver_override"; done
        echo 0 >"$SYS/devices/$pf/sriov_numvfs"
        echo 1 >"$SYS/devices/$pf/sriov_drivers_autoprobe"
        vf sriov "$pf" 7
        vfs=$(s20_vfs "$pf")
        t0=$(now)
        for v in $vfs; do vf detach "$v"; done
        note "s20: 7 VFs igbvf -> vfio-pci, one detach per VF: $(elapsed "$t0")s"
        vf reattach $vfs
        t0=$(now)
        vf detach $vfs
        note "s20: 7 VFs igbvf -> vfio-pci, one detach of all (groups at once): $(elapsed "$t0")s (exit $VF_RC)"
        n_ok=0
        for v in $vfs; do [ "$(drv "$v")" = vfio-pci ] && n_ok=$((n_ok + 1)); done
        is "s20: one detach of 7 VFs: all on vfio-pci" "$n_ok" 7
        # One per command: a reattach of all 7 at once (vfio-pci -> igbvf,
        # groups at once) runs past the default 10 s timeout here under TCG
        # (exit 3): the kernel probes igbvf one VF at a time (below).
        t0=$(now)
        n_ok=0
        for v in $vfs; do vf reattach "$v" && n_ok=$((n_ok + 1)); done
        note "s20: 7 VFs vfio-pci -> igbvf, one reattach per VF: $(elapsed "$t0")s"
        is "s20: the 7 VFs reattached one by one" "$n_ok" 7
        # All at once again, with room for the probes to queue: does the
        # kernel let igbvf probe several VFs of one PF at the same time?
        vf detach $vfs
        t0=$(now)
        vf reattach --timeout 60 $vfs
        note "s20: 7 VFs vfio-pci -> igbvf, one reattach of all (--timeout 60): $(elapsed "$t0")s (exit $VF_RC)"
        n_ok=0
        for v in $vfs; do [ "$(drv "$v")" = igbvf ] && n_ok=$((n_ok + 1)); done
        is "s20: one reattach of 7 VFs (--timeout 60): all on igbvf" "$n_ok" 7
        vf sriov "$pf" 0
        is "s20: sriov $pf 0 exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        return 0
}

scenario_cleanup() {
        local pf v
        pf=$(s20_pf)
        [ -n "$pf" ] || return 0
        for v in $(s20_vfs "$pf"); do echo >"$SYS/devices/$v/driver_override" 2>/dev/null; done
        echo 0 >"$SYS/devices/$pf/sriov_numvfs" 2>/dev/null
        echo 1 >"$SYS/devices/$pf/sriov_drivers_autoprobe" 2>/dev/null
        return 0
}
