#!/bin/bash
# Bash completion (issue 10, item 12): addresses through bash's ':' word
# break, short addresses and slots, interfaces, guests read with the line's
# own --root/--state-dir, every command and option the tool has.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

COMPLETION=$(dirname "$0")/../../contrib/vfioctl.bash-completion
sim_mount workstation
# shellcheck disable=SC1090
. "$COMPLETION"

# comp LINE: what bash would show, each reply put back after the part of
# the word bash keeps (it splits words at ':'), one a line, sorted.
comp() {
        local line=$1 w cur keep
        COMP_LINE=$line
        COMP_POINT=${#line}
        COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
        # bash's own split: ':' is a word of its own
        read -ra COMP_WORDS <<<"${line//:/ : }"
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        _vfioctl
        cur=${line##* }
        keep=${cur%"${cur##*:}"}
        for w in "${COMPREPLY[@]}"; do printf '%s%s\n' "$keep" "$w"; done | sort
}
L="$VFIOCTL --root $SIM --state-dir $T/state"

is "commands" "$(comp "vfioctl re")" "reattach
recover
release
reserve"
is "every command the tool has is completed" "$(comp "vfioctl " | grep -v '^-' | sort)" \
        "$("$VFIOCTL" help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p' | sort -u)"
is "an address after its ':' (bash keeps '0000:0')" "$(comp "$L show 0000:05:0")" "0000:05:00
0000:05:00.0"
is "replies lose what bash keeps before the last ':'" \
        "$(COMP_LINE="$L show 0000:05:00." COMP_POINT=${#COMP_LINE} COMP_WORDBREAKS=$' \t\n:' _vfioctl; printf '%s\n' "${COMPREPLY[@]}")" "00.0"
is "short addresses and slots" "$(comp "$L detach 01:")" "01:00
01:00.0
01:00.1"
is "interfaces" "$(comp "$L show en")" "eno1
enp5s0"
like "list: groups and classes" "$(comp "$L list ")" $'^8$'
like "list: class words" "$(comp "$L list gp")" "^gpu$"
is "options after the command" "$(comp "$L reattach --a")" "--all"
like "global options after the command" "$(comp "$L list --j")" "^--json$"
is "--root=DIR form is read" "$(comp "vfioctl --root=$SIM show eno")" "eno1"
is "--driver words" "$(comp "$L detach --driver ")" "kvm
vfio
xen"
run V assign win10 00:14.0
is "assign for the guest test: exit 0" "$RC" 0
is "guests with the line's --root/--state-dir" "$(comp "$L release w")" "win10"
is "qemu-args GUEST" "$(comp "$L qemu-args ")" "win10"
is "no guests from another state dir" "$(comp "$VFIOCTL --root $SIM --state-dir $T/other release w")" ""
run V release win10

# Every option a command's --help names is completed for it.
for cmd in list show detach reattach assign release qemu-args status recover reserve unreserve boot; do
        want=$("$VFIOCTL" "$cmd" --help | sed -n "/^Options of/,/^\$/p" | grep -o '^  --[a-z-]*' | tr -d ' ' | sort -u)
        got=$(comp "$L $cmd --" | sort -u)
        missing=$(comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$got"))
        is "$cmd: every option of its --help completes" "$missing" ""
done

done_testing
