#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit and integration tests
# (real etcd), the same under ASan+UBSan, end-to-end tests with the real kubectl and the
# Python client, and a bounded fuzz run of the codecs. Run as root. The first failed stage
# ends the run with a non-zero exit; a skipped test counts as failed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each stage and each e2e script says how long it took (CI's 45-minute budget).
run_started=$SECONDS
stage_started=$SECONDS
stage() {
  echo "   ($(( SECONDS - stage_started )) s)"
  stage_started=$SECONDS
  echo "== $1"
}

echo "== set-up and build"
bash scripts/setup.sh

source scripts/lib.sh  # run_ctest: a failed or skipped test fails the run

stage "unit and integration tests"
run_ctest build

stage "build under ASan+UBSan+LSan"
# Line tables only (-g1): the sanitizers' reports keep file and line, and compiling costs
# less (29% less CPU for one test batch than with full debug info, -g).
BUILD_DIR=build-asan BUILD_TYPE=Debug CMAKE_EXTRA_ARGS="-DMINIK8S_SANITIZE=ON -DMINIK8S_BENCH=OFF -DCMAKE_CXX_FLAGS_DEBUG=-g1" \
  bash -c 'cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=$BUILD_TYPE $CMAKE_EXTRA_ARGS >/dev/null && ninja -C "$BUILD_DIR" -j2'
stage "unit and integration tests under ASan+UBSan+LSan"
# LeakSanitizer is on: a leak fails the test that leaked (none are suppressed).
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run_ctest build-asan

if [ -d e2e ] && ls e2e/*.sh >/dev/null 2>&1; then
  stage "end-to-end tests"
  for t in e2e/*_test.sh; do
    [ -e "$t" ] || continue
    echo "-- $t"
    script_started=$SECONDS
    bash "$t"
    echo "-- $t took $(( SECONDS - script_started )) s"
  done
fi

if [ -d fuzz ]; then
  stage "fuzzing the codecs (bounded)"
  bash scripts/fuzz.sh
fi
stage "all tests passed in $(( SECONDS - run_started )) s"
