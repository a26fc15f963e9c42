#!/bin/bash
# Builds vfioctl and runs every test: unit, simulated kernel, CLI and the
# real kernel under QEMU; then the unit, sim and CLI suites once more under
# ASan+UBSan. Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
bash tests/vm/fetch-kernel.sh || exit 1

[ -d build-asan ] || meson setup build-asan --werror -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-asan || exit 1

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1

status=0
meson test -C build --print-errorlogs --num-processes 2 || status=1
meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite vm || status=1

python3 scripts/count-tests.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json ||
        status=1
exit $status
