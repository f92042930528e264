# Shell helpers of the iperf3 benchmarks (cross_node_bench.sh, proxy_throughput_bench.sh),
# sourced after e2e/lib.sh (kubectl's kubeconfig, wait_until, E2E_ROOT). Not run.
# shellcheck shell=bash

load() { cut -d' ' -f1 /proc/loadavg; }

# iperf_image: builds the iperf3 image from Debian's package into $WORK/iperf3.tar (the
# `minik8s image` builder, offline); exits with the builder's log on failure.
iperf_image() {
  echo "== iperf3 image from the Debian package"
  "$MINIK8S" image build --name iperf3:bench --package iperf3 --entrypoint iperf3 --cmd -s \
    --port 5201 --out "$WORK/iperf3.tar" >"$WORK/image.log" 2>&1 || { cat "$WORK/image.log"; exit 1; }
  tail -1 "$WORK/image.log"
}

# down_on_exit DATA_DIR: on exit, `minik8s down` the cluster (its log shown if it fails),
# then lib.sh's finish.
down_on_exit() {
  DOWN_DATA_DIR=$1
  trap '"$MINIK8S" down --data-dir "$DOWN_DATA_DIR" >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"; finish' EXIT
}

# bench_commit: HEAD's short hash, "+dirty" when src/ or cmd/ differ from it.
bench_commit() {
  local commit
  commit=$(git -C "$E2E_ROOT" rev-parse --short=12 HEAD)
  git -C "$E2E_ROOT" diff --quiet HEAD -- src cmd 2>/dev/null || commit="$commit+dirty"
  echo "$commit"
}

# iperf_wait_listening CLIENT_POD TARGET: until `iperf3 -s` answers on TARGET (30 s).
iperf_wait_listening() {
  local client=$1 target=$2
  listening() { kubectl exec "$client" -- iperf3 -c "$target" -t 1 >/dev/null 2>&1; }
  wait_until 30 listening || { echo "iperf3 -s does not answer on $target"; return 1; }
}

# iperf_gbps CLIENT_POD TARGET: received Gbit/s of one `iperf3 -c` run of DURATION s (the
# first second omitted) from the client pod ("0" when it failed).
iperf_gbps() {
  kubectl exec "$1" -- iperf3 -c "$2" -p 5201 -t "$DURATION" -O 1 -J 2>/dev/null |
    jq -r '.end.sum_received.bits_per_second // 0 | . / 1e9' 2>/dev/null || echo 0
}

# iperf_rounds CLIENT_POD LABEL_A TARGET_A LABEL_B TARGET_B: ROUNDS rounds, alternating which
# target goes first; fills the arrays a_runs and b_runs (Gbit/s) and counts failed runs in
# iperf_errors. Prints each round.
iperf_rounds() {
  local client=$1 label_a=$2 target_a=$3 label_b=$4 target_b=$5 r who v
  a_runs=(); b_runs=(); iperf_errors=0
  for r in $(seq 1 "$ROUNDS"); do
    local order=(a b); [ $((r % 2)) = 0 ] && order=(b a)
    for who in "${order[@]}"; do
      if [ "$who" = a ]; then v=$(iperf_gbps "$client" "$target_a"); a_runs+=("$v")
      else v=$(iperf_gbps "$client" "$target_b"); b_runs+=("$v"); fi
      [ "$v" = 0 ] && iperf_errors=$((iperf_errors + 1))
    done
    printf '  round %d: %s %.2f Gbit/s, %s %.2f Gbit/s\n' "$r" "$label_a" "${a_runs[-1]}" \
      "$label_b" "${b_runs[-1]}"
  done
}
