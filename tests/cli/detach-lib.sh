# Helpers shared by the detach/reattach CLI tests (sourced after testlib.sh).

# V ARGS...: vfioctl against the current sim mount and the test's state.
V() {
        "$VFIOCTL" --root "$SIM" --state-dir "$T/state" "$@"
}

# drv ADDR: the driver a device is bound to now, "-" when unbound.
drv() {
        local l
        l=$(readlink "$SIM/sys/bus/pci/devices/$1/driver" 2>/dev/null) || { echo -; return; }
        basename "$l"
}

# ovr ADDR: driver_override as the kernel shows it.
ovr() {
        cat "$SIM/sys/bus/pci/devices/$1/driver_override"
}

# log_reset / log_get: the sim's write log since the last reset.
log_reset() {
        : >"$SIM/.sim/log"
}
log_get() {
        cat "$SIM/.sim/log"
}
# log_by_device: the log with each device's writes together, in the order
# of the first address each line names, each device's own order kept.
# Rule 15 runs an operation's IOMMU groups at once: the order within a
# group is the contract, the interleaving of groups is not.
log_by_device() {
        awk '{ k = "~"; if (match($0, /[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7]/)) k = substr($0, RSTART, RLENGTH);
               printf "%s\t%s\n", k, $0 }' "$SIM/.sim/log" | sort -s -t "$(printf '\t')" -k1,1 | cut -f2-
}

fault() {
        echo "$*" >"$SIM/.sim/faults"
}

# The drivers of the workstation devices vfioctl may touch, one line.
ws_drivers() {
        local a out=""
        for a in 0000:01:00.0 0000:01:00.1 0000:02:00.0 0000:05:00.0 0000:00:1f.3 0000:00:1f.4 \
                 0000:00:1f.0 0000:04:00.0 0000:00:1c.0; do
                out="$out $a=$(drv $a)/$(ovr $a)"
        done
        echo "${out# }"
}

WS_PRISTINE="0000:01:00.0=nouveau/(null) 0000:01:00.1=snd_hda_intel/(null) 0000:02:00.0=nvme/(null) 0000:05:00.0=e1000e/(null) 0000:00:1f.3=i801_smbus/(null) 0000:00:1f.4=intel-spi/(null) 0000:00:1f.0=-/(null) 0000:04:00.0=-/(null) 0000:00:1c.0=pcieport/(null)"

# status_count: how many device rows and pending operations the state holds.
state_rows() {
        V --json status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["devices"]), len(d["pending"]))'
}
