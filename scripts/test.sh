#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit and integration tests
# (real etcd), the same under ASan+UBSan, end-to-end tests with the real kubectl and the
# Python client, and a bounded fuzz run of the codecs. Run as root. The first failed stage
# ends the run with a non-zero exit; a skipped test counts as failed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

source scripts/lib.sh  # run_ctest: a failed or skipped test fails the run

echo "== unit and integration tests"
run_ctest build

echo "== unit and integration tests under ASan+UBSan+LSan"
BUILD_DIR=build-asan BUILD_TYPE=Debug CMAKE_EXTRA_ARGS="-DMINIK8S_SANITIZE=ON -DMINIK8S_BENCH=OFF" \
  bash -c 'cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=$BUILD_TYPE $CMAKE_EXTRA_ARGS >/dev/null && ninja -C "$BUILD_DIR" -j2'
# LeakSanitizer is on: a leak fails the test that leaked (none are suppressed).
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run_ctest build-asan

if [ -d e2e ] && ls e2e/*.sh >/dev/null 2>&1; then
  echo "== end-to-end tests"
  for t in e2e/*_test.sh; do
    [ -e "$t" ] || continue
    echo "-- $t"
    bash "$t"
  done
fi

if [ -d fuzz ]; then
  echo "== fuzzing the codecs (bounded)"
  bash scripts/fuzz.sh
fi
echo "== all tests passed"
