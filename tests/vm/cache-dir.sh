#!/bin/bash
# Print the cache folder shared by fetch-kernel.sh and run-vm-tests.sh.
if [ -n "${VFIOCTL_VM_CACHE:-}" ]; then
        echo "$VFIOCTL_VM_CACHE"
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
        echo "$XDG_CACHE_HOME/vfioctl-vm"
else
        echo "${HOME:-/root}/.cache/vfioctl-vm"
fi
