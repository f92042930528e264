# Shell helpers shared by scripts/ and e2e/ (sourced, not run).
# shellcheck shell=bash

# write_kubeconfig FILE SERVER_URL: a kubeconfig with one cluster, context and user, all
# named "minik8s", the current context.
write_kubeconfig() {
  cat >"$1" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: minik8s
  cluster:
    server: $2
contexts:
- name: minik8s
  context:
    cluster: minik8s
    user: minik8s
current-context: minik8s
users:
- name: minik8s
  user: {}
KCFG
}

# wait_ready URL SECONDS [PID]: polls URL until it answers 2xx; fails early if PID dies.
wait_ready() {
  local url=$1 deadline=$((SECONDS + $2)) pid=${3:-}
  until curl -fsS -m 1 "$url" >/dev/null 2>&1; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    [ $SECONDS -gt $deadline ] && return 1
    sleep 0.1
  done
}

# run_ctest DIR [CTEST_ARGS...]: runs the tests of a build tree; returns only when every one
# passed, else exits 1. A test that fails fails the run even when it passes on a second
# try: the failed tests are run once more, alone, only to say whether the failure
# reproduces. A test that did not run (ctest's "Skipped": a gtest case called GTEST_SKIP,
# e.g. for a missing kubectl or containerd) fails the run as well.
run_ctest() {
  local dir=$1 log failed=0 skipped=0
  shift
  log=$(mktemp /tmp/minik8s-ctest.XXXXXX)
  # pipefail here too: ctest's status, not tee's, also where the caller did not set it.
  (set -o pipefail; ctest --test-dir "$dir" --output-on-failure --no-tests=error -j2 "$@" 2>&1 |
    tee "$log") || failed=1
  if grep -q '^The following tests did not run:' "$log"; then
    skipped=1
    echo "FAIL: tests of $dir did not run (listed above); a skipped test is a failure. Why:"
    grep -h -A1 ': Skipped$' "$dir/Testing/Temporary/LastTest.log" 2>/dev/null | sed 's/^/  /' || true
  fi
  [ "$failed$skipped" != 00 ] || { rm -f "$log"; return 0; }
  if grep -q '^The following tests FAILED:' "$log"; then
    echo "== running the failed tests of $dir once more, alone (to tell a flake from a failure)"
    if ctest --test-dir "$dir" --output-on-failure --rerun-failed "$@"; then
      echo "FLAKY: the tests that failed above passed when run again alone (their failing" \
        "output is above); the run fails all the same"
    else
      echo "the failure reproduces when the tests run alone"
    fi
  fi
  rm -f "$log"
  echo "== tests failed in $dir"
  exit 1
}

# The sanitizer tree, build-asan: one clang tree (ASan+UBSan; LSan at run time) for the unit
# and integration tests and the libFuzzer targets, so the libraries compile once for both
# (scripts/test.sh, scripts/fuzz.sh; bench/README.md, "CI build"). configure_sanitizer_tree
# (re)configures it; a build-asan left by another compiler (GCC, before) is started afresh.
MINIK8S_FUZZ_TARGETS=(codec_fuzz dns_fuzz protobuf_body_fuzz)
configure_sanitizer_tree() {
  if [ -f build-asan/CMakeCache.txt ] &&
    ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++$' build-asan/CMakeCache.txt; then
    rm -rf build-asan
  fi
  cmake -S . -B build-asan -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
    -DMINIK8S_SANITIZE=ON -DMINIK8S_FUZZ=ON -DMINIK8S_BENCH=OFF -DCMAKE_CXX_FLAGS_DEBUG=-g1 >/dev/null
}
