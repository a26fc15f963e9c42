#!/bin/bash
# Build the initramfs for the real-kernel tests.
#
#   mkinitramfs.sh KERNEL_TREE RELEASE OUTPUT.cpio.gz CONFIG_FILE
#
# KERNEL_TREE is the unpacked Debian kernel package (fetch-kernel.sh),
# RELEASE its kernel release. The image holds busybox (static), the modules
# listed below with everything they depend on, decompressed at build time
# (busybox insmod reads plain .ko only) and in dependency order, the init
# script, the guest-side scenario scripts (with scenarios.d/) and
# CONFIG_FILE (shell variables for init: the scenario plan, the vfioctl
# path, time limits).
#
# Environment (run-vm-tests.sh sets them from the leg and the scenarios):
#   MKINITRAMFS_MODULES   more required modules
#   MKINITRAMFS_OPTIONAL  more optional modules (missing: skipped)
#   MKINITRAMFS_PARAMS    "module param=value ..." lines for insmod
#
# The Debian package has no modules.dep (depmod runs at install time), so
# the dependencies are read from each module's own .modinfo "depends=".

set -euo pipefail

tree=$1 release=$2 out=$3 conf=$4
here=$(cd "$(dirname "$0")" && pwd)
moddir=$tree/lib/modules/$release

# Wanted modules, by module name: the leaves only. Their dependencies are
# pulled in automatically and loaded first, and one built into the kernel
# is no error: so one list serves 6.1 (fscache, vfio_virqfd and the virtio
# core are modules) and 6.12 (fscache is part of netfs, vfio_virqfd and
# the virtio core are built in). vfio_iommu_type1 is no dependency of
# vfio-pci (vfio loads it on demand) and is named here. The optional ones
# give the q35 chipset functions (LPC, SATA, SMBus) their real drivers, so
# that group is "in use" as on a real host; a missing optional module is
# not an error.
required="vfio_pci vfio_iommu_type1 pci_stub e1000 e1000e virtio_pci 9pnet_virtio 9p
          ${MKINITRAMFS_MODULES:-}"
optional="ahci lpc_ich i2c_i801 ${MKINITRAMFS_OPTIONAL:-}"

busybox=$(command -v busybox || true)
if [ -z "$busybox" ]; then
        echo "mkinitramfs: busybox not found (apt-get install busybox-static)" >&2
        exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vfioctl-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,host,tmp,etc,lib/modules,vmtest}

# --- modules -------------------------------------------------------------
declare -A path_of=()
while IFS= read -r -d '' f; do
        b=${f##*/}
        b=${b%%.ko*}
        path_of[${b//-/_}]=$f
done < <(find "$moddir" -name '*.ko' -print0 -o -name '*.ko.xz' -print0 -o -name '*.ko.zst' -print0 -o -name '*.ko.gz' -print0)

if [ ${#path_of[@]} -eq 0 ]; then
        echo "mkinitramfs: no modules under $moddir" >&2
        exit 1
fi

# Decompress one module into the image; print its depends= list.
declare -A done_mod=()
order=()
unpack() {
        local name=$1 src=${path_of[$1]} dst=$root/lib/modules/$1.ko
        case $src in
        *.ko.xz) xz -dc "$src" >"$dst" ;;
        *.ko.zst) zstd -q -dc "$src" >"$dst" ;;
        *.ko.gz) gzip -dc "$src" >"$dst" ;;
        *) cp "$src" "$dst" ;;
        esac
}
deps_of() {
        tr '\0' '\n' <"$root/lib/modules/$1.ko" | sed -n 's/^depends=//p' | head -n1 | tr ',' ' '
}
add() {
        local name=${1//-/_} d
        [ -n "${done_mod[$name]:-}" ] && return 0
        if [ -z "${path_of[$name]:-}" ]; then
                # built into the kernel, or absent
                [ -f "$moddir/modules.builtin" ] && grep -q "/${name//_/[-_]}.ko\$" "$moddir/modules.builtin" && return 0
                return 1
        fi
        done_mod[$name]=visiting
        unpack "$name"
        for d in $(deps_of "$name"); do
                add "$d" || { echo "mkinitramfs: $name needs $d, not found" >&2; return 1; }
        done
        done_mod[$name]=done
        order+=("$name")
}
for m in $required; do
        add "$m" || { echo "mkinitramfs: required module $m not found in $moddir" >&2; exit 1; }
done
n_required=${#order[@]}
for m in $optional; do
        add "$m" || echo "mkinitramfs: optional module $m not found, skipped" >&2
done
printf '%s\n' "${order[@]}" >"$root/lib/modules/load-order"
# init tolerates a failed insmod of a module only the optional ones need
printf '%s\n' "${order[@]:$n_required}" >"$root/lib/modules/optional"
printf '%s\n' "${MKINITRAMFS_PARAMS:-}" >"$root/lib/modules/params"

# --- userland --------------------------------------------------------------
cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list); do
        [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done
install -m 0755 "$here/init" "$root/init"
install -m 0755 "$here/guest-lib.sh" "$here/guest-scenarios.sh" "$root/vmtest/"
mkdir -p "$root/vmtest/scenarios.d"
install -m 0644 "$here"/scenarios.d/*.sh "$root/vmtest/scenarios.d/"
install -m 0644 "$conf" "$root/etc/vmtest.conf"

(cd "$root" && find . -print0 | LC_ALL=C sort -z | "$busybox" cpio -o -H newc -0 -R 0:0 2>/dev/null) | gzip -1 >"$out"
echo "mkinitramfs: $out (${#order[@]} modules: ${order[*]})" >&2
