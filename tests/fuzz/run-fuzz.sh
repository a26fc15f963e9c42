#!/bin/bash
# Builds the libFuzzer harnesses with clang (ASan+UBSan, every finding
# fatal) straight from the library's sources, runs each from its committed
# seed corpus for a bounded time, and prints one line per harness:
# "fuzz: HARNESS RUNS FINDINGS". Exits 1 on any finding or build failure.
#
# Usage: [FUZZ_SECONDS=S] run-fuzz.sh [OUT-DIR]  (S per harness, default 60;
# OUT-DIR default build-fuzz). The table is also left in OUT-DIR/table.
# The same objects also build the unit tests once under clang's UBSan,
# which checks what gcc's does not (pointer arithmetic on NULL).
set -uo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
OUT=$(realpath -m "${1:-build-fuzz}")
SRC=tests/fuzz
COMPAT=../shared/compat/libvirt
CC=${FUZZ_CC:-clang}
HARNESSES="domain-xml network-xml pciaddr sysfs"
# Dictionaries per harness (several harnesses share one).
declare -A DICT=([domain-xml]=xml [network-xml]=xml [pciaddr]=pciaddr [sysfs]=sysfs)
# boot's reservation files: add "reserve" here once lib/reserve.c has a parser.
if [ -f lib/reserve.c ] && [ -f $SRC/fuzz-reserve.c ]; then
        HARNESSES="$HARNESSES reserve"
        DICT[reserve]=reserve
fi

command -v "$CC" >/dev/null || { echo "fuzz: $CC not found (apt-get install clang)"; exit 1; }
mkdir -p "$OUT/obj" "$OUT/artifacts"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-g -O1 -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE -Wall -Wno-unused-parameter"
CFLAGS="$CFLAGS -Ilib $(pkg-config --cflags libxml-2.0 sqlite3 libpci libmnl jansson)"
LIBS="$(pkg-config --libs libxml-2.0 sqlite3 libpci libmnl jansson)"

# --- Build: the library once (coverage-instrumented), then each harness.
build_start=$(date +%s)
objs=()
for c in lib/*.c; do
        objs+=("$OUT/obj/$(basename "${c%.c}").o")
done
for c in lib/*.c; do
        o="$OUT/obj/$(basename "${c%.c}").o"
        # Rebuild when the source or any header is newer than the object.
        if [ ! -e "$o" ] || [ -n "$(find "$c" lib/*.h -newer "$o" 2>/dev/null | head -1)" ]; then
                echo "$c $o"
        fi
done | xargs -r -P 2 -n 2 sh -c "$CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c \"\$0\" -o \"\$1\"" ||
        { echo "fuzz: building the library failed"; exit 1; }
build_harness() { # NAME [EXTRA-CFLAGS]
        $CC $CFLAGS $SAN -fsanitize=fuzzer -I$SRC ${2:-} "$SRC/fuzz-$1.c" "${objs[@]}" $LIBS \
                -o "$OUT/fuzz-$1" || { echo "fuzz: building fuzz-$1 failed"; exit 1; }
}
for h in $HARNESSES; do
        build_harness "$h"
done
# The unit tests under clang's sanitizers (UBSan's pointer-overflow check
# is clang's only).
units=0
for t in test-pciaddr test-sysfs test-host test-state; do
        $CC $CFLAGS $SAN tests/unit/$t.c "${objs[@]}" $LIBS -lcmocka -o "$OUT/$t" ||
                { echo "fuzz: building $t failed"; exit 1; }
        units=$((units + 1))
done
echo "fuzz: built $(echo $HARNESSES | wc -w) harnesses and $units unit tests in $(( $(date +%s) - build_start )) s"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
unit_failed=0
for t in test-pciaddr test-sysfs test-host test-state; do
        if ! "$OUT/$t" >"$OUT/$t.log" 2>&1; then
                echo "fuzz: $t failed under clang ASan+UBSan:"
                tail -20 "$OUT/$t.log" | sed 's/^/    /'
                unit_failed=$((unit_failed + 1))
                status=1
        fi
done

# --- Run each harness for a bounded time.
printf '%-14s %10s %9s\n' harness runs findings >"$OUT/table"
for h in $HARNESSES; do
        work="$OUT/corpus/$h"
        mkdir -p "$work"
        seeds=("$SRC/corpus/$h")
        # libvirt's own test XMLs as extra seeds, when the checkout has them.
        if [ "$h" = domain-xml ] && [ -d "$COMPAT" ]; then
                mkdir -p "$OUT/compat-seeds"
                cp "$COMPAT"/*.xml "$OUT/compat-seeds/" 2>/dev/null
                seeds+=("$OUT/compat-seeds")
        fi
        rm -f "$OUT/artifacts/$h-"*
        "$OUT/fuzz-$h" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2560 \
                -max_len=65536 -dict="$SRC/dict/${DICT[$h]}.dict" -print_final_stats=1 \
                -artifact_prefix="$OUT/artifacts/$h-" "$work" "${seeds[@]}" \
                >"$OUT/$h.log" 2>&1
        rc=$?
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$h.log" | tail -1)
        findings=$(ls "$OUT/artifacts/$h-"* 2>/dev/null | wc -l)
        if [ $rc -ne 0 ] && [ "$findings" -eq 0 ]; then
                findings=1
        fi
        printf '%-14s %10s %9s\n' "$h" "${runs:-0}" "$findings" >>"$OUT/table"
        if [ "$findings" -ne 0 ]; then
                status=1
                echo "fuzz: fuzz-$h found something (exit $rc); input in $OUT/artifacts/:"
                grep -E "ERROR|fuzz: |runtime error|SUMMARY" "$OUT/$h.log" | head -10 | sed 's/^/    /'
        fi
done
sed 's/^/fuzz: /' "$OUT/table"
echo "fuzz: clang unit tests: $units run, $unit_failed failed"
exit $status
