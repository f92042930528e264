#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for a bounded time
# (FUZZ_SECONDS, default 60) from a seed corpus of the project's manifests.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DMINIK8S_FUZZ=ON -DMINIK8S_TESTS=OFF -DMINIK8S_BENCH=OFF >/dev/null
ninja -C build-fuzz -j2 codec_fuzz
corpus=$(mktemp -d /tmp/minik8s-fuzz.XXXXXX)
trap 'rm -rf "$corpus"' EXIT
cp e2e/seed-manifests/*.yaml "$corpus/"
printf '%s' '{"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}' >"$corpus/pod.json"
printf '%s' 'app in (a,b),tier!=x,!gone' >"$corpus/selector.txt"
ASAN_OPTIONS=detect_leaks=0 ./build-fuzz/fuzz/codec_fuzz -max_total_time="$seconds" -max_len=65536 \
  -rss_limit_mb=2048 -timeout=10 -detect_leaks=0 -print_final_stats=1 "$corpus" 2>&1 | tail -15
echo "fuzz: codec_fuzz ran ${seconds}s without a crash"
