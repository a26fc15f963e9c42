#!/bin/bash
# The boot-time integration in contrib/ as meson configures it (DESIGN
# rule 13): the udev rule, the systemd unit and the initramfs-tools hook.
# Nothing here runs udev, systemd or update-initramfs: the files are read,
# and the hook runs against stand-in hook functions into a scratch folder.
. "$(dirname "$0")/../testlib.sh"

rule=$CONTRIB/40-vfioctl.rules
unit=$CONTRIB/vfioctl-boot.service
hook=$CONTRIB/initramfs-tools-hook
script=$CONTRIB/initramfs-tools-init-top

# udev: on PCI add, before 80-drivers.rules loads driver modules.
num=$(basename "$rule" | cut -d- -f1)
check "udev rule: numbered before 80-drivers.rules ($num)" test "$num" -lt 80
rules=$(grep -v '^#' "$rule" | sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*//; ta')
like "udev rule: PCI add events" "$rules" '^ACTION=="add", SUBSYSTEM=="pci",'
like "udev rule: runs vfioctl boot for the device" "$rules" 'RUN\+="/[^"]*/bin/vfioctl boot \$kernel"'
like "udev rule: only when something is reserved" "$rules" 'TEST=="/etc/vfioctl/reservations"'
is "udev rule: one rule" "$(printf '%s\n' "$rules" | grep -c .)" 1

# systemd: once, early, before the display manager and libvirt.
like "unit: runs vfioctl boot once" "$(cat "$unit")" $'Type=oneshot\nRemainAfterExit=yes'
like "unit: ExecStart is vfioctl boot for all reservations" "$(cat "$unit")" 'ExecStart=/[^ ]*/bin/vfioctl boot$'
like "unit: before the display manager and libvirtd" "$(grep '^Before=' "$unit")" 'display-manager.service.*libvirtd.service'
like "unit: early (no default dependencies, before sysinit)" "$(cat "$unit")" $'DefaultDependencies=no'
like "unit: exit 3 (a reservation left alone) does not fail the boot" "$(cat "$unit")" 'SuccessExitStatus=3'
like "unit: loads vfio-pci first" "$(cat "$unit")" 'ExecStartPre=-/sbin/modprobe -q vfio-pci'

# initramfs-tools: the hook puts binary, rule and reservations in.
check "hook: sh -n" sh -n "$hook"
check "init-top script: sh -n" sh -n "$script"
is "hook: prereqs" "$(sh "$hook" prereqs)" "udev"
mkdir -p "$T/cfg" "$T/initrd"
cat >"$T/hook-functions" <<'FN'
copy_exec() { mkdir -p "$DESTDIR$(dirname "$2")"; cp "$1" "$DESTDIR$2"; echo "copy_exec $2" >>"$LOG"; }
manual_add_modules() { echo "modules $*" >>"$LOG"; }
FN
hookrun() {
        env DESTDIR="$T/initrd" LOG="$T/hook.log" VFIOCTL_HOOK_FUNCTIONS="$T/hook-functions" \
                VFIOCTL_CONFIG_DIR="$T/cfg" VFIOCTL_UDEV_RULE="$rule" VFIOCTL_BINARY="$VFIOCTL" \
                sh "$hook"
}
: >"$T/hook.log"
run hookrun
is "hook, nothing reserved: exit 0" "$RC" 0
is "hook, nothing reserved: adds nothing" "$(cat "$T/hook.log"; ls -A "$T/initrd")" ""
printf '[0000:01:00.0]\nid = 10de:1b81\ndriver = vfio-pci\n\n[0000:05:00.0]\nid = 8086:10d3\ndriver = pci-stub\n' \
        >"$T/cfg/reservations"
run hookrun
is "hook: exit 0" "$RC" 0
bindir=$(sed -n 's|^ExecStart=\(.*\)/vfioctl boot$|\1|p' "$unit")
check "hook: the tool, where the rule runs it" cmp "$VFIOCTL" "$T/initrd$bindir/vfioctl"
check "hook: the rule" cmp "$rule" "$T/initrd/lib/udev/rules.d/40-vfioctl.rules"
check "hook: the reservations" cmp "$T/cfg/reservations" "$T/initrd/etc/vfioctl/reservations"
is "hook: the reservations are root's, 0644" "$(stat -c '%a %u' "$T/initrd/etc/vfioctl/reservations")" "644 0"
like "hook: the stub modules the reservations name" "$(cat "$T/hook.log")" \
        $'modules vfio-pci vfio_iommu_type1\nmodules pci-stub\nmodules vfio-pci'

done_testing
