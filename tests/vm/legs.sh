# shellcheck shell=bash
# The legs of the real-kernel matrix (README.md "The matrix"), sourced by
# run-vm-tests.sh. leg_define NAME sets, for one leg:
#
#   LEG_KERNEL    the kernel's folder in the cache ($cache/$LEG_KERNEL, its
#                 release in $cache/$LEG_KERNEL.version); LEG_FETCH fetches it
#   LEG_QEMU      the QEMU binary for the guest and for the nested QEMU
#                 inside it (a path the guest reaches over 9p, or a name on
#                 PATH)
#   LEG_MACHINE   -machine/-device arguments of the machine and its IOMMU
#   LEG_APPEND    kernel command line beyond console and panic settings
#   LEG_MODULES   required guest modules beyond the common set (leaf names:
#                 their dependencies come with them)
#   LEG_MODPARAMS "module param=value ..." lines given to insmod
#   LEG_DEVICES   extra -device arguments (the base topology is the same
#                 on every leg)
#   LEG_FEATURES  words scenarios can require (SCENARIO_REQUIRES)
#   LEG_ABOUT     one line for the TAP output
#
# Features: intel-iommu, amd-iommu, virtio-iommu (the IOMMU); bridge-group
# (the devices behind the pcie-pci-bridge share an IOMMU group with it;
# virtio-iommu gives them none); igb (two igb PFs with SR-IOV); libvirt
# (the leg that runs libvirtd in the guest).

# shellcheck disable=SC2034  # the LEG_* variables are read by run-vm-tests.sh
leg_define() {
        LEG=$1
        LEG_KERNEL=kernel
        LEG_FETCH="fetch-kernel.sh"
        LEG_QEMU=qemu-system-x86_64
        LEG_MACHINE=(-machine q35,kernel-irqchip=split
                -device intel-iommu,intremap=on,caching-mode=on)
        LEG_APPEND="intel_iommu=on"
        LEG_MODULES=""
        LEG_MODPARAMS=""
        LEG_DEVICES=()
        LEG_FEATURES="intel-iommu bridge-group"
        case $LEG in
        A)
                LEG_ABOUT="Debian 12: kernel 6.1, QEMU 7.2 (system), Intel IOMMU"
                ;;
        libvirt)
                # Leg A's machine for the libvirt scenarios (40-49) only:
                # libvirtd in the guest takes a minute of its own, so it
                # gets a guest run (and time limit) of its own. meson runs
                # it with --scenarios naming those scenarios.
                LEG_ABOUT="Debian 12: kernel 6.1, QEMU 7.2 (system), Intel IOMMU; libvirtd 9.0 in the guest"
                LEG_FEATURES+=" libvirt"
                ;;
        B)
                leg_backports
                LEG_ABOUT="Debian 12 backports: kernel 6.12, QEMU 10.0, Intel IOMMU, igb SR-IOV PFs"
                leg_igb
                ;;
        amd)
                leg_backports
                LEG_ABOUT="AMD-Vi: kernel 6.12, QEMU 10.0, amd-iommu (intremap=off, noapic), igb SR-IOV PFs"
                # With intremap=on the guest panics; without noapic its
                # console dies. No interrupt remapping, so vfio_iommu_type1
                # must be told to accept that.
                LEG_MACHINE=(-machine q35 -device amd-iommu,intremap=off)
                LEG_APPEND="noapic"
                LEG_MODPARAMS="vfio_iommu_type1 allow_unsafe_interrupts=1"
                LEG_FEATURES="amd-iommu bridge-group"
                leg_igb
                ;;
        viommu)
                leg_backports
                LEG_ABOUT="virtio-iommu: kernel 6.12, QEMU 10.0, virtio-iommu-pci"
                LEG_MACHINE=(-machine q35 -device virtio-iommu-pci)
                LEG_APPEND=""
                LEG_MODULES="virtio_iommu"
                # virtio-iommu has no interrupt remapping either
                LEG_MODPARAMS="vfio_iommu_type1 allow_unsafe_interrupts=1"
                LEG_FEATURES="virtio-iommu"
                ;;
        *)
                return 1
                ;;
        esac
}

# Two igb PFs (82576, SR-IOV, 7 VFs each; QEMU 8.0 or later): one on the
# root bus, one behind a root port of its own. The kernel's igb binds them,
# igbvf their VFs.
leg_igb() {
        LEG_DEVICES+=(
                -device igb,bus=pcie.0,addr=0x6.0x0,romfile=
                -device pcie-root-port,id=rp2,bus=pcie.0,addr=0x7.0x0,chassis=2
                -device igb,bus=rp2,addr=0x0,romfile=
        )
        LEG_MODULES+=" igb igbvf"
        LEG_FEATURES+=" igb"
}

# Kernel 6.12 and QEMU 10.0 from bookworm-backports (fetch-backports.sh).
leg_backports() {
        LEG_KERNEL=kernel-bpo
        LEG_FETCH="fetch-backports.sh"
        LEG_QEMU=$cache/qemu-bpo/qemu-system-x86_64
}

LEGS_ALL="A B amd viommu libvirt"
