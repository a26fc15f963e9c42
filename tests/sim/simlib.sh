# Helpers for the pcisim tests, sourced after tests/testlib.sh.

# The background server keeps its stderr here: sanitizer reports land in
# it, and sim_done checks it stayed empty.
export PCISIM_STDERR="$T/pcisim.stderr"
: >"$PCISIM_STDERR"

# w FILE VALUE: writes VALUE and a newline in one write(2), as `echo` does;
# leaves the exit status in WRC and the shell's complaint in WERR.
w() {
        (printf '%s\n' "$2" >"$1") 2>"$T/.werr"
        WRC=$?
        WERR=$(cat "$T/.werr")
}

# wraw FILE DATA: writes DATA (printf format) to FILE in a single
# write(2) (printf alone may split at newlines); WRC and WERR as for w.
wraw() {
        printf "$2" | dd of="$1" bs=1M iflag=fullblock status=none 2>"$T/.werr"
        WRC=$?
        WERR=$(cat "$T/.werr")
}

# The last line the sim logged.
last_log() {
        tail -n 1 "$SIM/.sim/log"
}

# Where a link points, relative to the mount.
resolve() {
        local p
        p=$(realpath -e "$1" 2>/dev/null) || return 1
        printf '%s\n' "${p#"$SIM"/}"
}

# drv BDF: the bound driver's name, or "-".
drv() {
        local l
        if l=$(readlink "$SIM/sys/bus/pci/devices/$1/driver" 2>/dev/null); then
                basename "$l"
        else
                echo -
        fi
}

# Unmounts every sim this test made, waits for the servers to exit, and
# checks they said nothing (no sanitizer report, no leak).
sim_done() {
        local m pid pids=() n
        for m in "${_mounts[@]}"; do
                pid=$(cat "$m/.sim/pid" 2>/dev/null) && pids+=("$pid")
                fusermount3 -u "$m"
        done
        _mounts=()
        for pid in "${pids[@]}"; do
                for n in $(seq 100); do
                        kill -0 "$pid" 2>/dev/null || break
                        [ -r "/proc/$pid/stat" ] && [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ] && break
                        sleep 0.1
                done
        done
        is "the simulator exited cleanly" "$(cat "$PCISIM_STDERR")" ""
        done_testing
}
