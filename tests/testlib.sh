# Shared helpers for the shell test suites (sim/ and cli/), sourced by each
# test script. Output is TAP, which meson reads (protocol: 'tap').
#
# Environment (set by meson): PCISIM (the simulator), VFIOCTL (the tool),
# HOSTS (tests/hosts), GOLDEN (expected outputs), TESTTMP (scratch space).

set -u

_tap_n=0
_tap_failed=0

# Every test gets its own scratch folder; mounts made by sim_mount are
# undone on exit, whatever happens.
T=$(mktemp -d "${TMPDIR:-/tmp}/vfioctl-test.XXXXXX")
_mounts=()
_cleanup() {
        local m
        for m in "${_mounts[@]}"; do
                fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null
        done
        rm -rf "$T"
}
trap _cleanup EXIT

# ok COND-EXIT-STATUS DESCRIPTION: one TAP line.
_report() {
        _tap_n=$((_tap_n + 1))
        if [ "$1" -eq 0 ]; then
                echo "ok $_tap_n - $2"
        else
                echo "not ok $_tap_n - $2"
                _tap_failed=$((_tap_failed + 1))
        fi
}

# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() {
        local desc=$1; shift
        "$@" >"$T/.check.out" 2>&1
        local rc=$?
        _report $rc "$desc"
        [ $rc -eq 0 ] || sed 's/^/#   /' "$T/.check.out"
        return 0
}

# is DESCRIPTION GOT EXPECTED: string equality, with a diff on failure.
is() {
        if [ "$2" == "$3" ]; then
                _report 0 "$1"
        else
                _report 1 "$1"
                diff <(printf '%s\n' "$3") <(printf '%s\n' "$2") | sed 's/^/#   /'
        fi
}

# like DESCRIPTION GOT REGEX (extended regex, whole-text grep).
like() {
        if printf '%s\n' "$2" | grep -Eq -- "$3"; then
                _report 0 "$1"
        else
                _report 1 "$1"
                printf 'wanted /%s/ in:\n%s\n' "$3" "$2" | sed 's/^/#   /'
        fi
}

# unlike DESCRIPTION GOT REGEX: GOT has no line matching REGEX (grep -E).
unlike() {
        if printf '%s\n' "$2" | grep -Eq -- "$3"; then
                _report 1 "$1"
                printf 'did not want /%s/ in:\n%s\n' "$3" "$2" | sed 's/^/#   /'
        else
                _report 0 "$1"
        fi
}

# same_file DESCRIPTION GOT-FILE EXPECTED-FILE: golden comparison.
# With UPDATE_GOLDEN=1 the expected file is rewritten instead.
same_file() {
        if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
                cp "$2" "$3"
        fi
        if cmp -s "$2" "$3"; then
                _report 0 "$1"
        else
                _report 1 "$1"
                diff -u "$3" "$2" | head -40 | sed 's/^/#   /'
        fi
}

# run CMD...: runs it, leaves stdout in $OUT, stderr in $ERR, exit code in $RC.
run() {
        "$@" >"$T/.out" 2>"$T/.err"
        RC=$?
        OUT=$(cat "$T/.out")
        ERR=$(cat "$T/.err")
}

# sim_mount TOPOLOGY [DIR]: mounts tests/hosts/TOPOLOGY.json (or a path to a
# .json file) and sets SIM to the mount folder. Call it directly, not in
# $(...), so the mount is remembered and removed when the test exits.
sim_mount() {
        local topo=$1 dir=${2:-}
        [ -n "$dir" ] || dir=$(mktemp -d "$T/sim.XXXXXX")
        case $topo in
        */*) ;;
        *) topo="$HOSTS/$topo.json" ;;
        esac
        "$PCISIM" "$topo" "$dir" || { echo "Bail out! pcisim failed on $topo"; exit 1; }
        _mounts+=("$dir")
        SIM=$dir
}

sim_unmount() {
        fusermount3 -u "$1"
}

# The writes the sim saw, one "path value result" a line.
sim_log() {
        cat "$1/.sim/log"
}

done_testing() {
        echo "1..$_tap_n"
        [ $_tap_failed -eq 0 ]
        exit $?
}
