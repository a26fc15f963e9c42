#!/bin/bash
# The command line as users type it (issue 10, items 1 and 14): global
# options before or after the command, "--" ending them, one-line usage
# errors that name the command's own help, "did you mean", help and
# version, per-command help that explains each option and its default.
. "$(dirname "$0")/../testlib.sh"

V() { "$VFIOCTL" --root "$SIM" --state-dir "$T/state" "$@"; }
sim_mount workstation

# Global options after the command mean the same as before it.
run V --json list
before=$OUT
run "$VFIOCTL" list --json --root "$SIM" --state-dir "$T/state"
is "list --json --root after the command: exit 0" "$RC" 0
is "list --json after the command: the same document" "$OUT" "$before"
run "$VFIOCTL" list --root="$SIM" --json --state-dir="$T/state"
is "--root=DIR form: the same document" "$OUT" "$before"
run V show 05:00.0 --json
is "show DEV --json: exit 0" "$RC" 0
like "show DEV --json: a JSON document" "$OUT" '"must_leave_host"'
run V recover --json
is "recover --json: exit 0" "$RC" 0
like "recover --json: a JSON document" "$OUT" '"outcome": "done"'
run V detach 00:14.0 --dry-run --json
is "detach DEV --dry-run --json: exit 0" "$RC" 0
like "detach --dry-run --json: the writes" "$OUT" '"path": "/sys/bus/pci/devices/0000:00:14.0/driver_override"'
is "detach --dry-run after the device: nothing written" "$(sim_log "$SIM")" ""
run V detach 00:14.0 -q
is "detach DEV -q: exit 0" "$RC" 0
is "detach -q: says nothing" "$OUT$ERR" ""
run V reattach -q 00:14.0
is "reattach -q DEV: exit 0" "$RC" 0
run V status --json
is "status --json: exit 0" "$RC" 0
run V -v list
is "-v before the command: exit 0" "$RC" 0

# "--" ends the options: what follows is an argument.
run V list -- --json
is "list -- --json: exit 2" "$RC" 2
is "list -- --json: not taken as an option" "$OUT" ""
like "list -- --json: the argument is named" "$ERR" "'--json'"

# Usage errors: one line, the command's own help named, no getopt prefix.
for args in "list --bogus" "show" "detach" "detach --timeout" "detach 05:00.0 --timeout x" \
        "list --all=3" "reattach --frob 05:00.0" "assign" "status a b"; do
        cmd=${args%% *}
        run V $args
        is "'$args': exit 2" "$RC" 2
        is "'$args': one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
        like "'$args': names 'vfioctl $cmd --help'" "$ERR" "^vfioctl: .*\(see 'vfioctl $cmd --help'\)$"
        case $ERR in
        *"$VFIOCTL"* | *"$cmd: "*) _report 1 "'$args': no binary path, no getopt prefix"; echo "# $ERR" ;;
        *) _report 0 "'$args': no binary path, no getopt prefix" ;;
        esac
done
run V list --bogus
is "unknown option: the message" "$ERR" "vfioctl: unknown option '--bogus' (see 'vfioctl list --help')"
run V detach --timeout
is "missing value: the message" "$ERR" "vfioctl: option '--timeout' needs a value (see 'vfioctl detach --help')"
run V list --all=3
is "value for a flag: the message" "$ERR" "vfioctl: option '--all' takes no value (see 'vfioctl list --help')"
run V --bogus list
is "unknown global option before the command: exit 2" "$RC" 2
is "unknown global option: one line" "$ERR" "vfioctl: unknown option '--bogus'"
is "usage errors wrote nothing" "$(sim_log "$SIM" | grep -vc 0000:00:14.0)" 0

# A mistyped command: a guess.
run V lsit
is "mistyped command: exit 2" "$RC" 2
is "mistyped command: did you mean" "$ERR" \
        "vfioctl: unknown command 'lsit'; did you mean 'list'? ('vfioctl --help' lists the commands)"
run V reatach 05:00.0
like "reatach: did you mean 'reattach'" "$ERR" "did you mean 'reattach'\?"
run V frobnicate
is "no close command: no guess" "$ERR" "vfioctl: unknown command 'frobnicate'; 'vfioctl --help' lists the commands"
run V --json lsit
is "--json unknown command: exit 2" "$RC" 2
like "--json unknown command: an error document" "$OUT" '"outcome": "invalid"'

# help, version.
run "$VFIOCTL" help
is "help: exit 0" "$RC" 0
like "help: lists the commands" "$OUT" "^  list "
like "help: --version in it" "$OUT" "--version"
run "$VFIOCTL" --help
is "--help: the same as help" "$OUT" "$(V help)"
run "$VFIOCTL" help detach
is "help detach: exit 0" "$RC" 0
is "help detach = detach --help" "$OUT" "$("$VFIOCTL" detach --help)"
run "$VFIOCTL" --root /no/such detach --help
is "detach --help needs no host: exit 0" "$RC" 0
run "$VFIOCTL" help frob
is "help of an unknown command: exit 2" "$RC" 2
run "$VFIOCTL" version
like "version: the version" "$OUT" "^vfioctl [0-9]+\.[0-9]+"
is "--version = version" "$("$VFIOCTL" --version)" "$OUT"
run "$VFIOCTL" --json version
like "version --json: a document" "$OUT" '"version": "[0-9]'

# Per-command help: every option explained, with its default.
run "$VFIOCTL" detach --help
for opt in --driver --group --force --timeout --json --dry-run --root --state-dir --version; do
        like "detach --help explains $opt" "$OUT" "^  $opt"
done
like "detach --help: the default driver" "$OUT" "vfio-pci, the default"
like "detach --help: the default timeout" "$OUT" "--timeout S .*\(default 10\)"
for cmd in list show detach reattach assign release qemu-args status recover; do
        run "$VFIOCTL" "$cmd" --help
        is "$cmd --help: exit 0" "$RC" 0
        like "$cmd --help: synopsis" "$OUT" "^Usage: vfioctl \[OPTIONS\] $cmd"
        like "$cmd --help: global options" "$OUT" "^Global options"
done
run "$VFIOCTL" assign --help
for opt in --xml --network --network-dir --pid --force --print-qemu-args --iommufd --unmanaged; do
        like "assign --help explains $opt" "$OUT" "^  $opt"
done

done_testing
