# shellcheck shell=bash
# Scenario 7 (tests/vm/README.md "Scenarios"): a device held open by QEMU: reattach times out, recover completes
SCENARIO_TITLE="a device held open by QEMU: reattach times out, recover completes"
SCENARIO_LEGS=all
# the group of the bridge and the two e1000s behind it (none on virtio-iommu)
SCENARIO_REQUIRES=bridge-group

scenario() {
        local k0=${BR_KIDS[0]} m pid rc
        vf detach "$k0" --group
        is "s7: detach $k0 --group exits 0" "$VF_RC" 0
        nested_qemu_start s7 -device "vfio-pci,host=$k0,id=hostdev0"
        pid=$NQ_PID
        nested_qemu_wait_up "$pid" 1 "${VMTEST_NESTED_LIMIT:-30}"
        rc=$?
        is "s7: nested QEMU (pid $pid) holds $k0 open" "$rc" 0
        [ "$rc" = 0 ] || note_file "$OUT/s7.err"

        # The unbind blocks in the kernel while QEMU holds the device (the
        # vfio request loop); vfioctl must bound its wait and give up by
        # itself. Run it in the background: should it hang in an
        # uninterruptible write, killing QEMU below releases it.
        local limit=${VMTEST_REATTACH_LIMIT:-60} vfpid t0
        t0=$(now)
        "$VFIOCTL" --root / --state-dir "$STATE_DIR" reattach "$k0" --group \
                >"$OUT/vf.out" 2>"$OUT/vf.err" &
        vfpid=$!
        while kill -0 "$vfpid" 2>/dev/null &&
                [ "$(awk -v a="$t0" -v b="$(now)" -v l="$limit" 'BEGIN { print (b - a > l) }')" = 0 ]; do
                sleep 0.5
        done
        if kill -0 "$vfpid" 2>/dev/null; then
                fail "s7: reattach $k0 --group while QEMU holds it gives up within ${limit}s" \
                        "still running; killing QEMU to release it"
                kill -KILL "$pid" 2>/dev/null
                wait "$vfpid"
                VF_RC=$?
                vf_show
        else
                wait "$vfpid"
                VF_RC=$?
                note "reattach gave up after $(elapsed "$t0")s with exit $VF_RC:"
                note_file "$OUT/vf.err"
                if [ "$VF_RC" -ne 0 ]; then
                        pass "s7: reattach $k0 --group while QEMU holds it gives up (exit $VF_RC)"
                else
                        fail "s7: reattach $k0 --group while QEMU holds it gives up" "it exited 0"
                        vf_show
                fi
                if grep -qE "qemu-system-x86|\b$pid\b" "$OUT/vf.err" "$OUT/vf.out"; then
                        pass "s7: ... naming the holder (qemu-system-x86, pid $pid)"
                else
                        fail "s7: ... naming the holder (qemu-system-x86, pid $pid)"
                        vf_show
                fi
        fi
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        # the kernel finishes the blocked unbind once the last fd is closed
        sleep 2
        vf recover
        is "s7: after QEMU exits, recover exits 0" "$VF_RC" 0
        vf_show
        # recover may finish the reattach or roll it back (DESIGN §4): either
        # way the devices must be in one consistent state, and a reattach
        # then gives them back.
        local state
        state=$(for m in "${BR_KIDS[@]}"; do echo "$(drv "$m") $(override "$m")"; done | sort -u)
        case $state in
        "e1000 (null)")
                pass "s7: recover finished the reattach: the group is back on e1000" ;;
        "vfio-pci vfio-pci")
                pass "s7: recover rolled the reattach back: the group is on vfio-pci"
                vf reattach "$k0" --group
                is "s7: reattach $k0 --group now exits 0" "$VF_RC" 0
                [ "$VF_RC" = 0 ] || vf_show ;;
        *)
                fail "s7: after recover the group is in one consistent state" \
                        "$(for m in "${BR_KIDS[@]}"; do echo "$m: $(drv "$m") override $(override "$m")"; done)" ;;
        esac
        for m in "${BR_KIDS[@]}"; do
                is "s7: $m is on e1000 with driver_override (null)" "$(drv "$m") $(override "$m")" "e1000 (null)"
        done
}
