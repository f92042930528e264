#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: end-to-end tests with the real
# kubectl and the Python client on the -O2 build, unit and integration tests (real etcd)
# under ASan+UBSan+LSan, and a bounded fuzz run of the codecs. Run as root. The first failed stage
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

echo "== set-up and build (minik8s and the benchmarks, -O2)"
# The unit and integration tests build and run once, under the sanitizers, below.
SETUP_TARGETS="minik8s bench/all" bash scripts/setup.sh

source scripts/lib.sh  # run_ctest: a failed or skipped test fails the run

# The sanitizer build (every test) and the fuzz targets compile in the background while the
# end-to-end tests run, which mostly wait on containers: as SCHED_IDLE, the compilers only
# get CPU time nobody else wants, so they do not slow the e2e tests' components down.
# Both are one clang tree, build-asan (lib.sh, configure_sanitizer_tree), so the libraries
# compile once, and clang compiles them in about half the CPU time GCC takes under ASan
# (bench/README.md, "CI build"). Line tables only (-g1): the sanitizers' reports keep file
# and line, and compiling costs less (29% less CPU for one test batch than with full -g).
background_log=$(mktemp /tmp/minik8s-background-build.XXXXXX)
setsid chrt --idle 0 bash -c '
  set -euo pipefail
  source scripts/lib.sh
  configure_sanitizer_tree
  # The tests and what they link (not the minik8s binary), and the fuzz targets.
  ninja -C build-asan -j2 tests/all "${MINIK8S_FUZZ_TARGETS[@]}"
  echo "background build: done in $SECONDS s"' >"$background_log" 2>&1 &
background_build=$!
background_build_started=$SECONDS
# If a stage fails, the background build stops with the run (its own process group).
trap 'kill -- -"$background_build" 2>/dev/null || true; rm -f "$background_log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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

stage "build under ASan+UBSan+LSan, and the fuzz targets (started $(( SECONDS - background_build_started )) s ago)"
if ! wait "$background_build"; then
  tail -60 "$background_log"
  echo "FAIL: the sanitizer or fuzz build failed (above)"
  exit 1
fi
grep '^background build: done' "$background_log"  # compiled while the e2e tests ran

stage "unit and integration tests under ASan+UBSan+LSan"
# LeakSanitizer is on: a leak fails the test that leaked (none are suppressed).
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run_ctest build-asan

if [ -d fuzz ]; then
  stage "fuzzing the codecs (bounded)"
  bash scripts/fuzz.sh
fi
stage "all tests passed in $(( SECONDS - run_started )) s"
