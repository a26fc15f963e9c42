#!/bin/bash
# Builds vfioctl and runs every test: unit, simulated kernel, CLI and the
# real kernel under QEMU; then the unit, sim and CLI suites once more under
# ASan+UBSan. Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

# A step that fails before the tests can run still ends with the count
# line, so CI and people see a failure, not a silent stop.
give_up() {
        echo "check: $1 failed; nothing was tested (its output is above)" >&2
        echo "0 passed, 1 failed"
        exit 1
}

bash scripts/setup.sh || give_up "setup (installing packages, configuring build/)"
# The real-kernel legs fetch their kernel and QEMU when not cached; a
# failed fetch is a failed test (tests/vm/README.md), not an early exit.
export VM_FETCH=1

# The sanitizer build also measures coverage (gcc --coverage beside ASan).
[ -d build-asan ] || meson setup build-asan --werror -Db_sanitize=address,undefined -Db_lundef=false \
        -Db_coverage=true
ninja -C build-asan || give_up "the ASan+UBSan build (build-asan)"
# clang must build it clean too (it warns about things gcc does not).
[ -d build-clang ] || CC=clang meson setup build-clang --werror
clang_ok=1
ninja -C build-clang || clang_ok=0

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1

status=0
failed_steps=0 # checks that are no test program: each counts as one failed test
if [ $clang_ok = 0 ]; then
        echo "clang: the build failed (above)"
        failed_steps=$((failed_steps + 1))
# clang-tidy's bug-finding checks (.clang-tidy) on the library and the tool.
elif run-clang-tidy -p build-clang -quiet "$PWD/(lib|tools)/" >build-clang/clang-tidy.log 2>&1; then
        echo "clang-tidy: no findings in lib/ and tools/"
else
        sed 's/\x1b\[[0-9;]*m//g' build-clang/clang-tidy.log | grep -E 'error:|warning:' | sort -u
        echo "clang-tidy: findings (above); .clang-tidy says which checks run"
        failed_steps=$((failed_steps + 1))
fi
meson test -C build --print-errorlogs --num-processes 2 --no-suite vm || status=1
# The real-kernel matrix on its own: two legs at a time (one TCG guest per
# core), its own log (meson-logs/vm.json).
meson test -C build --print-errorlogs --num-processes 2 --suite vm --logbase vm || status=1
# Coverage counts this run only; an older build's counters would also make
# every instrumented program complain on stderr when it exits.
find build-asan -name '*.gcda' -delete
meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite vm --no-suite package || status=1

# Line coverage of the library and the tool by the unit, sim and CLI
# suites (the sanitizer run), a figure, not a gate.
if command -v gcovr >/dev/null && ls build-asan/lib/*.p/*.gcda >/dev/null 2>&1; then
        # Never -o /dev/null: gcovr 5.2 checks an output path by creating
        # and unlinking it, which as root deletes the machine's /dev/null.
        gcovr -r . --object-directory build-asan --filter lib/ --filter tools/ \
                --print-summary -o build-asan/coverage.txt 2>/dev/null | sed 's/^/coverage: /'
fi

# Reliability (DESIGN §7.4): libFuzzer harnesses, concurrent stress and
# crash sweeps, each bounded (a few minutes in all); then their tables.
# (meson adds the setup's name to the log's base: reliability-reliability.json)
meson test -C build --setup reliability --suite fuzz --suite stress --logbase reliability \
        --print-errorlogs --num-processes 1 || status=1
for t in build/fuzz/table build/stress/table build/stress/sweep-table; do
        [ -f "$t" ] && sed "s|^|$(basename "$(dirname "$t")"): |" "$t"
done

# The parallel benchmark (DESIGN §8, rule 15): numbers for the log, not a
# gate; a run that breaks says so here.
bash bench/sriov.sh 2>&1 | sed 's/^/bench: /'
[ "${PIPESTATUS[0]}" = 0 ] || echo "bench: bench/sriov.sh did not finish (above)"

CHECK_FAILED_STEPS=$failed_steps python3 scripts/count-tests.py build/meson-logs/testlog.json \
        build/meson-logs/vm.json build-asan/meson-logs/testlog.json \
        build/meson-logs/reliability*.json ||
        status=1
exit $status
