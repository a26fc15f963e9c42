#!/bin/bash
# driver_override: store, clear, (null), truncation at the first newline,
# the PAGE_SIZE limit, and how each write is logged (reference §1).
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/simlib.sh"

sim_mount workstation
O=$SIM/sys/bus/pci/devices/0000:05:00.0/driver_override
LOGPATH=sys/devices/pci0000:00/0000:05:00.0/driver_override

is "unset reads (null)" "$(cat "$O")" "(null)"
w "$O" vfio-pci
is "store succeeds" "$WRC" 0
is "stored" "$(cat "$O")" vfio-pci
is "logged with the real path" "$(last_log)" "$LOGPATH vfio-pci ok"
is "storing does not unbind" "$(drv 0000:05:00.0)" e1000e

wraw "$O" '\0'
is "an empty string (NUL) clears" "$(cat "$O")" "(null)"
w "$O" vfio-pci
(echo >"$O")
is "a lone newline clears" "$(cat "$O")" "(null)"
is "clearing is logged with an empty value" "$(last_log)" "$LOGPATH  ok"

wraw "$O" 'pci-stub\nvfio-pci\n'
is "truncated at the first newline" "$(cat "$O")" pci-stub
is "log escapes inner newlines" "$(last_log)" "$LOGPATH pci-stub\\nvfio-pci ok"

(printf 'vfio-pci' >"$O")
is "no newline needed" "$(cat "$O")" vfio-pci

(printf 'none\n' >"$O")
is "none is just a name" "$(cat "$O")" none

long=$(printf '%4094s' '' | tr ' ' x)
(printf '%s' "$long" >"$O")
is "4094 bytes are accepted" "$(wc -c <"$O")" 4095
(printf '%sx' "$long" >"$O") 2>"$T/err"
like "4095 bytes are EINVAL" "$(cat "$T/err")" "Invalid argument"
like "and logged as EINVAL" "$(last_log)" " EINVAL$"
is "the old value stays" "$(wc -c <"$O")" 4095

w "$SIM/sys/bus/pci/devices/0000:00:1f.3/driver_override" pci-stub
is "each device has its own" "$(cat "$SIM/sys/bus/pci/devices/0000:00:1f.3/driver_override") $(cat "$O" | cut -c1-4)" \
        "pci-stub xxxx"

: >"$SIM/.sim/log"
is "truncating the log clears it" "$(cat "$SIM/.sim/log")" ""
cat "$O" >/dev/null
is "reads are not logged" "$(cat "$SIM/.sim/log")" ""
w "$SIM/.sim/faults" clear
is "control writes are not logged" "$(cat "$SIM/.sim/log")" ""

sim_done
