# shellcheck shell=bash
# Scenario 9 (README.md "iommufd is not run here"): the leg's real QEMU
# parses `qemu-args --iommufd`. Debian's kernels have no CONFIG_IOMMUFD, so
# no guest can run them; but QEMU 10 takes every argument (creates the
# iommufd object, resolves each device's link to it) and must fail only at
# what the kernel lacks, not on their syntax.
# QEMU 7.2 has no iommufd backend at all (it came in 8.2).
SCENARIO_TITLE="qemu-args --iommufd: the leg's QEMU takes the arguments, fails only at the kernel's missing iommufd"

scenario() {
        local args ver
        ver=$("$QEMU" --version | sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p')
        check "s9: the guest kernel has no /dev/iommu (no CONFIG_IOMMUFD)" test ! -e /dev/iommu
        domain_xml g9 "$(hostdev_xml "$E1000E")" >"$OUT/g9.xml"
        vf assign g9 --xml "$OUT/g9.xml"
        is "s9: assign g9 ($E1000E) exits 0" "$VF_RC" 0
        [ "$VF_RC" = 0 ] || vf_show
        vf qemu-args g9 --iommufd
        is "s9: qemu-args g9 --iommufd exits 0" "$VF_RC" 0
        args=$(cat "$OUT/vf.out")
        note "qemu-args g9 --iommufd: $args"
        # shellcheck disable=SC2086
        nested_qemu_start s9 $args
        wait "$NQ_PID"
        note "QEMU $ver with those arguments: exit $?: $(head -n 3 "$OUT/s9.err" | tr '\n' ' ')"
        if [ "${ver:-0}" -ge 9 ]; then
                # QEMU creates the iommufd object, resolves the device's
                # iommufd= link to it, then needs what only an IOMMUFD
                # kernel has: the VFIO device cdev (vfio-dev/vfioN/dev,
                # CONFIG_VFIO_DEVICE_CDEV) and /dev/iommu.
                check "s9: QEMU $ver takes them and stops only at the kernel's missing iommufd (vfio-dev cdev or /dev/iommu)" \
                        grep -qE "vfio-dev|/dev/iommu" "$OUT/s9.err"
                # The control: a dangling iommufd= link is a different error,
                # so the one above really is past the syntax.
                nested_qemu_start s9-control ${args//iommufd=iommufd0/iommufd=nosuch0}
                wait "$NQ_PID"
                note "control with iommufd=nosuch0: $(head -n 2 "$OUT/s9-control.err" | tr '\n' ' ')"
                if grep -q "nosuch0" "$OUT/s9-control.err" && ! grep -q "nosuch0" "$OUT/s9.err" &&
                        ! grep -qE "vfio-dev|/dev/iommu" "$OUT/s9-control.err"; then
                        pass "s9: ... while a dangling iommufd=nosuch0 is refused as such (the link was resolved)"
                else
                        fail "s9: ... while a dangling iommufd=nosuch0 is refused as such (the link was resolved)"
                        note_file "$OUT/s9-control.err"
                fi
        else
                check "s9: QEMU $ver has no iommufd backend (QEMU 8.2 added it)" \
                        grep -q "does not accept value 'iommufd'" "$OUT/s9.err"
        fi
        vf release g9
        is "s9: release g9 exits 0" "$VF_RC" 0
        is "s9: $E1000E is back on e1000e" "$(drv "$E1000E")" e1000e
}
