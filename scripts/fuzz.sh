#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) in the sanitizer tree, build-asan (lib.sh,
# configure_sanitizer_tree: the one scripts/test.sh builds the tests in), and runs each for a
# bounded time (FUZZ_SECONDS, default 60) from a seed corpus of the project's manifests.
# `fuzz.sh build` only builds them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
seconds=${FUZZ_SECONDS:-60}
configure_sanitizer_tree
ninja -C build-asan -j2 "${MINIK8S_FUZZ_TARGETS[@]}"
[ "${1:-}" = build ] && exit 0
corpus=$(mktemp -d /tmp/minik8s-fuzz.XXXXXX)
trap 'rm -rf "$corpus"' EXIT
cp e2e/seed-manifests/*.yaml "$corpus/"
printf '%s' '{"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}' >"$corpus/pod.json"
printf '%s' 'app in (a,b),tier!=x,!gone' >"$corpus/selector.txt"
ASAN_OPTIONS=detect_leaks=0 ./build-asan/fuzz/codec_fuzz -max_total_time="$seconds" -max_len=65536 \
  -rss_limit_mb=2048 -timeout=10 -detect_leaks=0 -print_final_stats=1 "$corpus" 2>&1 | tail -15
echo "fuzz: codec_fuzz ran ${seconds}s without a crash"

# The DNS packet path (fuzz/dns_fuzz.cc) for DNS_FUZZ_SECONDS (default 20), seeded with a
# few packed queries (A, SRV, PTR, AAAA, SOA; with and without EDNS0).
dns_seconds=${DNS_FUZZ_SECONDS:-20}
dns_corpus=$(mktemp -d /tmp/minik8s-dns-fuzz.XXXXXX)
trap 'rm -rf "$corpus" "$dns_corpus"' EXIT
python3 - "$dns_corpus" <<'PY'
import struct, sys
def query(name, qtype, flags=0x0100, edns=None):
    q = struct.pack(">HHHHHH", 0x1234, flags, 1, 0, 0, 1 if edns else 0)
    for label in name.split("."):
        if label: q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    if edns: q += b"\0" + struct.pack(">HHIH", 41, edns, 0, 0)
    return q
seeds = [("web.default.svc.cluster.local", 1, None), ("_http._tcp.web.default.svc.cluster.local", 33, 1232),
         ("pg.default.svc.cluster.local", 1, None), ("20.0.96.10.in-addr.arpa", 12, None),
         ("nope.cluster.local", 28, 4096), ("example.com", 1, 1232), ("cluster.local", 6, None)]
for i, (name, qtype, edns) in enumerate(seeds):
    open(f"{sys.argv[1]}/q{i}", "wb").write(query(name, qtype, edns=edns))
PY
ASAN_OPTIONS=detect_leaks=0 ./build-asan/fuzz/dns_fuzz -max_total_time="$dns_seconds" -max_len=4096 \
  -rss_limit_mb=2048 -timeout=10 -detect_leaks=0 -print_final_stats=1 "$dns_corpus" 2>&1 | tail -15
echo "fuzz: dns_fuzz ran ${dns_seconds}s without a crash"

# The protobuf request-body decoder (fuzz/protobuf_body_fuzz.cc) for PROTOBUF_FUZZ_SECONDS
# (default 20), seeded with the bodies kubectl 1.32 posts for `kubectl autoscale` and
# `kubectl create namespace`.
pb_seconds=${PROTOBUF_FUZZ_SECONDS:-20}
pb_corpus=$(mktemp -d /tmp/minik8s-pb-fuzz.XXXXXX)
trap 'rm -rf "$corpus" "$dns_corpus" "$pb_corpus"' EXIT
python3 - "$pb_corpus" <<'PY'
import sys
autoscale = bytes.fromhex(
    "6b3873000a290a0e6175746f7363616c696e672f76311217486f72697a6f6e74616c506f"
    "644175746f7363616c6572125b0a210a1173696d706c652d6465706c6f796d656e741200"
    "1a0022002a0032003800420012300a280a0a4465706c6f796d656e74121173696d706c65"
    "2d6465706c6f796d656e741a07617070732f76311001180420321a04180020001a002200"
)
open(f"{sys.argv[1]}/autoscale", "wb").write(autoscale)
open(f"{sys.argv[1]}/truncated", "wb").write(autoscale[:60])
# kubectl create namespace x (wire-facts.md section 1)
namespace = bytes.fromhex("6b3873000a0f0a0276311209" + b"Namespace".hex() + "12190a110a017812001a0022002a003200380042001200" "1a020a001a002200")
open(f"{sys.argv[1]}/namespace", "wb").write(namespace)
PY
ASAN_OPTIONS=detect_leaks=0 ./build-asan/fuzz/protobuf_body_fuzz -max_total_time="$pb_seconds" \
  -max_len=4096 -rss_limit_mb=2048 -timeout=10 -detect_leaks=0 -print_final_stats=1 "$pb_corpus" 2>&1 | tail -15
echo "fuzz: protobuf_body_fuzz ran ${pb_seconds}s without a crash"
