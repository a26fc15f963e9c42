# shellcheck shell=bash
# Scenario 40 (libvirt): Debian's libvirtd in the guest with vfioctl's hook
# (contrib/libvirt/qemu). virsh define + start of a domain with a
# managed='no' hostdev on one e1000 behind the pcie-pci-bridge and
# group='auto' in its <metadata>: the nested QEMU runs (TCG), the sibling
# e1000 is held; a second domain asking for the sibling does not start and
# virsh shows vfioctl's message; virsh destroy gives both e1000s back.
#
# libvirtd runs in a mount namespace of its own (unshare -m) with tmpfs on
# /etc/libvirt (its config and the hook), /var/lib, /var/cache and
# /var/log: the host's root is read-only here and has no /var/lib/libvirt.
# Its sockets and run state are in the guest's /run (tmpfs), which virsh
# shares.
SCENARIO_TITLE="libvirt: libvirtd with vfioctl's hook starts a managed='no' domain, refuses the sibling's"
# Its own leg (legs.sh "libvirt", meson test vm-libvirt): libvirtd takes a
# minute, more than the other legs' shared time limit leaves.
SCENARIO_LEGS="libvirt"
SCENARIO_REQUIRES="bridge-group libvirt"
SCENARIO_TIMEOUT=200

# OUT and VFIOCTL are set in the guest; the host-side runner also sources
# this file (under set -u) to read the declarations above.
S40_DIR=${OUT:-}/s40
# The hook as meson configured it, beside the vfioctl under test.
S40_HOOK=${VFIOCTL:-}
S40_HOOK=${S40_HOOK%/tools/vfioctl}/contrib/libvirt-qemu-hook

# s40_setup_etc DIR: what libvirtd reads from /etc/libvirt, written to DIR.
s40_setup_etc() {
        local etc=$1
        mkdir -p "$etc/hooks/qemu.d" "$etc/qemu/networks" "$etc/qemu/autostart"
        cp /etc/libvirt/libvirt.conf "$etc/" 2>/dev/null
        cat >"$etc/libvirtd.conf" <<EOF
auth_unix_ro = "none"
auth_unix_rw = "none"
unix_sock_rw_perms = "0770"
log_outputs = "2:file:$S40_DIR/libvirtd.log"
log_filters = "1:qemu.qemu_process 1:util.hook 1:hypervisor.virhostdev 3:util 3:rpc 3:object"
EOF
        cat >"$etc/qemu.conf" <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
EOF
        # libvirt starts hooks with a minimal environment: a wrapper names
        # the vfioctl under test and the harness's state folder.
        cat >"$etc/hooks/qemu.d/vfioctl" <<EOF
#!/bin/sh
VFIOCTL=$VFIOCTL VFIOCTL_STATE_DIR=$STATE_DIR
export VFIOCTL VFIOCTL_STATE_DIR
echo "\$(date +%s.%N) hook \$*" >>$S40_DIR/hook.log
exec $S40_HOOK "\$@"
EOF
        chmod 755 "$etc/hooks/qemu.d/vfioctl"
}

# s40_domain NAME BDF: a small TCG domain with one managed='no' hostdev and
# the vfioctl metadata; no disks, so SeaBIOS just idles.
s40_domain() {
        local dom bus slot fn
        IFS=':.' read -r dom bus slot fn <<<"$2"
        cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <metadata>
    <vfioctl:assign xmlns:vfioctl="urn:vfioctl:domain:1" group="auto"/>
    <test:note xmlns:test="urn:example:vmtest:1">scenario 40</test:note>
  </metadata>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>$S40_QEMU</emulator>
    <controller type='usb' model='none'/>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source>
        <address domain='0x$dom' bus='0x$bus' slot='0x$slot' function='0x$fn'/>
      </source>
    </hostdev>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

# s40_virsh ARGS...: virsh against the guest's libvirtd; output in
# $S40_DIR/virsh.out and .err, status in S40_RC.
s40_virsh() {
        timeout -k 5 90 virsh -c qemu:///system "$@" >"$S40_DIR/virsh.out" 2>"$S40_DIR/virsh.err"
        S40_RC=$?
        return $S40_RC
}
s40_show() {
        note "virsh exit $S40_RC"
        note_file "$S40_DIR/virsh.out"
        note_file "$S40_DIR/virsh.err"
}
s40_logs() {
        note "hook calls:"
        note_file "$S40_DIR/hook.log"
        note "libvirtd log (tail):"
        [ -s "$S40_DIR/libvirtd.log" ] && tail -n 25 "$S40_DIR/libvirtd.log" | sed 's/^/#   | /'
        return 0
}

scenario() {
        local k0=${BR_KIDS[0]} k1=${BR_KIDS[1]} t0 t1 i state pid rec

        mkdir -p "$S40_DIR"
        S40_QEMU=$(command -v "$QEMU")
        check "s40: the hook script is there ($S40_HOOK)" test -x "$S40_HOOK" || return
        check "s40: libvirtd and virsh are installed" command -v libvirtd virsh || return
        s40_setup_etc "$S40_DIR/etc"

        t0=$(now)
        # Its own mount namespace: tmpfs where libvirtd writes, /etc/libvirt ours.
        unshare -m --propagation private sh -c '
                set -e
                mount -t tmpfs tmpfs /etc/libvirt
                cp -a "$1"/. /etc/libvirt/
                # libvirt resolves its default QEMU user before it reads
                # qemu.conf; this root may lack the package-made accounts.
                for f in passwd group; do
                        cp /etc/$f "$1/../$f"
                done
                getent passwd libvirt-qemu >/dev/null ||
                        echo "libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin" >>"$1/../passwd"
                for g in libvirt-qemu kvm libvirt; do
                        getent group $g >/dev/null || echo "$g:x:$((64000 + ${#g})):" >>"$1/../group"
                done
                mount --bind "$1/../passwd" /etc/passwd
                mount --bind "$1/../group" /etc/group
                for d in /var/lib /var/cache /var/log; do mount -t tmpfs tmpfs $d; done
                mkdir -p /var/lib/libvirt/qemu /var/cache/libvirt/qemu /var/log/libvirt/qemu
                exec libvirtd -f /etc/libvirt/libvirtd.conf
        ' s40 "$S40_DIR/etc" >"$S40_DIR/libvirtd.out" 2>&1 &
        S40_LIBVIRTD=$!
        echo "$S40_LIBVIRTD" >"$S40_DIR/libvirtd.pid"
        for i in $(seq 1 150); do
                [ -S /run/libvirt/libvirt-sock ] && s40_virsh version && break
                kill -0 "$S40_LIBVIRTD" 2>/dev/null || break
                sleep 0.2
        done
        t1=$(now)
        is "s40: libvirtd answers virsh" "$S40_RC" 0
        if [ "$S40_RC" != 0 ]; then
                note_file "$S40_DIR/libvirtd.out"; s40_logs; return
        fi
        note "libvirtd up in $(elapsed "$t0")s: $(tr '\n' ' ' <"$S40_DIR/virsh.out")"

        s40_domain lv1 "$k0" >"$S40_DIR/lv1.xml"
        s40_domain lv2 "$k1" >"$S40_DIR/lv2.xml"
        t0=$(now)
        s40_virsh define "$S40_DIR/lv1.xml"
        is "s40: virsh define lv1 (managed='no' hostdev $k0, group='auto' in metadata)" "$S40_RC" 0
        if [ "$S40_RC" != 0 ]; then
                s40_show; s40_logs; return
        fi
        s40_virsh define "$S40_DIR/lv2.xml"
        is "s40: virsh define lv2 (hostdev $k1, the sibling)" "$S40_RC" 0
        [ "$S40_RC" = 0 ] || s40_show
        note "define (QEMU capabilities probed): $(elapsed "$t0")s"

        t0=$(now)
        s40_virsh start lv1
        is "s40: virsh start lv1 exits 0" "$S40_RC" 0
        if [ "$S40_RC" != 0 ]; then
                s40_show; s40_logs; return
        fi
        note "virsh start lv1: $(elapsed "$t0")s"
        s40_virsh domstate lv1
        is "s40: lv1 is running (nested QEMU, TCG)" "$(head -n1 "$S40_DIR/virsh.out")" running
        is "s40: $k0 (lv1's hostdev) is on vfio-pci" "$(drv "$k0")" vfio-pci
        is "s40: $k1 (the sibling) is on vfio-pci" "$(drv "$k1")" vfio-pci
        if vf --json list --all; then
                is "s40: list: $k0 assigned to lv1, $k1 held for lv1" \
                        "$(jq -r --arg a "$k0" --arg b "$k1" '[.groups[].devices[] | select(.address == $a or .address == $b) | "\(.address) \(.state) \(.owner)"] | join(", ")' "$OUT/vf.out")" \
                        "$k0 assigned lv1, $k1 held lv1"
        else
                fail "s40: vfioctl --json list --all"; vf_show
        fi
        pid=$(cat /run/libvirt/qemu/lv1.pid 2>/dev/null)
        vf --json status
        rec=$(jq -r '.guests[] | select(.guest == "lv1") | .pid' "$OUT/vf.out" 2>/dev/null)
        is "s40: the started hook recorded QEMU's pid ($pid)" "$rec" "$pid"
        case $(readlink "/proc/$pid/exe" 2>/dev/null) in
        *qemu-system*) pass "s40: pid $pid is the QEMU libvirt started" ;;
        *) fail "s40: pid $pid is the QEMU libvirt started" "exe: $(readlink "/proc/$pid/exe" 2>&1)" ;;
        esac
        check "s40: that QEMU holds $k0's VFIO device" nested_qemu_wait_up "$pid" 1 10

        # The sibling belongs to lv1's group: lv2 must not start.
        s40_snap=$(drivers_snapshot)
        t0=$(now)
        s40_virsh start lv2
        note "virsh start lv2: $(elapsed "$t0")s"
        check "s40: virsh start lv2 (the sibling of lv1's group) fails" test "$S40_RC" -ne 0
        note_file "$S40_DIR/virsh.err"
        check "s40: virsh shows vfioctl's message" grep -q \
                "$k1 cannot be given to guest 'lv2': its IOMMU group [0-9]* belongs to guest 'lv1'" \
                "$S40_DIR/virsh.err"
        s40_virsh domstate lv2
        is "s40: lv2 is shut off" "$(head -n1 "$S40_DIR/virsh.out")" "shut off"
        is "s40: no driver changed by the refused start (and its release)" "$(drivers_snapshot)" "$s40_snap"
        s40_virsh domstate lv1
        is "s40: lv1 still runs" "$(head -n1 "$S40_DIR/virsh.out")" running

        t0=$(now)
        s40_virsh destroy lv1
        is "s40: virsh destroy lv1 exits 0" "$S40_RC" 0
        [ "$S40_RC" = 0 ] || s40_show
        note "virsh destroy lv1: $(elapsed "$t0")s"
        for i in "$k0" "$k1"; do
                is "s40: $i is back on e1000, driver_override cleared" "$(drv "$i") $(override "$i")" "e1000 (null)"
        done
        vf --json status
        is "s40: vfioctl owns nothing any more" "$(jq -r '[.guests[].guest] | join(" ")' "$OUT/vf.out")" ""
        grep -q "hook lv1 release end" "$S40_DIR/hook.log" || s40_logs
        note "hook calls: $(awk '{print $3, $4, $5}' "$S40_DIR/hook.log" | tr '\n' ';')"
}

scenario_cleanup() {
        local pid qemu
        pid=$(cat "$S40_DIR/libvirtd.pid" 2>/dev/null)
        qemu=$(cat /run/libvirt/qemu/lv1.pid 2>/dev/null)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                timeout 20 virsh -c qemu:///system destroy lv1 >/dev/null 2>&1
                kill "$pid"
                for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$pid" 2>/dev/null
        fi
        [ -n "$qemu" ] && kill -KILL "$qemu" 2>/dev/null
        rm -rf /run/libvirt "$S40_DIR/libvirtd.pid"
        return 0
}
