#!/usr/bin/env bash
# Time from `minik8s up` to node Ready with the stock images already loaded (goal ≤ 2 s;
# with NODES=3, `up --nodes 3` to all 3 Ready, goal ≤ 5 s): one warm-up `up` (it loads the
# images; `down` keeps them, also in the extra nodes' containerds), then RUNS × (`down`,
# timed `up`) on a private data dir, port, cgroup root, bridges and CIDRs; p50/min/max; then
# the RSS of node 1's idle agent (and of its containerd and the server) 10 s after the last
# up. Prints the numbers and appends one JSON line to the results file. Run as root after
# scripts/setup.sh, alone:
#   [NODES=3] bash bench/up_bench.sh [MINIK8S] [RESULTS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MINIK8S=${1:-$ROOT/build/cmd/minik8s/minik8s}
RESULTS=${2:-$ROOT/bench/results.jsonl}
RUNS=${RUNS:-5}
NODES=${NODES:-1}
[ "$(id -u)" = 0 ] || { echo "up_bench: needs root"; exit 1; }

WORK=$(mktemp -d /tmp/minik8s-upbench.XXXXXX)
D=$WORK/data
export HOME=$WORK/home KUBECONFIG=$WORK/kubeconfig
mkdir -p "$HOME"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
UP=("$MINIK8S" up --data-dir "$D" --port "$PORT" --node-name bench-node
    --cgroup-root "minik8s-bench-$$" --cni-bridge "mkb$(($$ % 100000))"
    --agent-arg=--kubelet-port=0 --timeout 240s)
if [ "$NODES" = 1 ]; then
  UP+=("--agent-arg=--pod-cidr=10.254.$(($$ % 200 + 20)).0/24")
else
  # As e2e/multinode_test.sh: a private underlay bridge and subnet, node IPAM's podCIDRs.
  UP+=(--nodes "$NODES" --node-bridge "mkbu$(($$ % 100000))"
       --node-subnet "10.252.$(($$ % 200 + 20)).0/24"
       "--server-arg=--cluster-cidr=10.253.$(($$ % 200 + 20)).0/24"
       --server-arg=--node-cidr-mask-size=26)
fi
DOWN=("$MINIK8S" down --data-dir "$D")
trap '"${DOWN[@]}" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

now() { date +%s.%N; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.3f", a - b }'; }
echo "up_bench: warm-up up (builds and loads the stock images)"
t0=$(now)
"${UP[@]}" >"$WORK/warm.log" 2>&1 || { cat "$WORK/warm.log"; exit 1; }
warm=$(since "$t0")
printf '  first up (images built and loaded): %.2f s\n' "$warm"

times=()
down_times=()
for i in $(seq 1 "$RUNS"); do
  t0=$(now)
  "${DOWN[@]}" >/dev/null
  down_times+=("$(since "$t0")")
  t0=$(now)
  "${UP[@]}" >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; exit 1; }
  t=$(since "$t0")
  times+=("$t")
  printf '  run %d: down %.2f s, up → node Ready %.2f s\n' "$i" "${down_times[-1]}" "$t"
done

sleep 10
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
agent_rss=$(rss_kb "$(cat "$D/run/agent.pid")")
containerd_rss=$(rss_kb "$(cat "$D/node/containerd/containerd.pid")")
server_rss=$(rss_kb "$(cat "$D/run/server.pid")")

python3 - "$RESULTS" "$warm" "$agent_rss" "$containerd_rss" "$server_rss" "${times[*]}" "${down_times[*]}" "$NODES" <<'PY'
import datetime, json, statistics, sys
results, warm, agent, containerd, server, ups, downs, nodes = sys.argv[1:9]
nodes = int(nodes)
ups = [float(x) for x in ups.split()]
downs = [float(x) for x in downs.split()]
rec = {
    "bench": "up",
    "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    "nodes": nodes,
    "runs": len(ups),
    "up_ready_p50_s": round(statistics.median(ups), 3),
    "up_ready_min_s": round(min(ups), 3),
    "up_ready_max_s": round(max(ups), 3),
    "down_p50_s": round(statistics.median(downs), 3),
    "first_up_with_images_s": round(float(warm), 3),
    "agent_rss_idle_kb": int(agent),
    "containerd_rss_idle_kb": int(containerd),
    "server_rss_idle_kb": int(server),
    "loadavg_1m": float(open("/proc/loadavg").read().split()[0]),
}
goal = "≤ 2 s" if nodes == 1 else "≤ 5 s"
print(f"up → {nodes} node(s) Ready (images loaded): p50 {rec['up_ready_p50_s']:.2f} s, "
      f"min {rec['up_ready_min_s']:.2f} s, max {rec['up_ready_max_s']:.2f} s (goal {goal})")
print(f"down: p50 {rec['down_p50_s']:.2f} s (load average {rec['loadavg_1m']})")
print(f"RSS idle: agent {int(agent) / 1024:.1f} MB, containerd {int(containerd) / 1024:.1f} MB, "
      f"server (apiserver + scheduler) {int(server) / 1024:.1f} MB")
with open(results, "a") as f:
    f.write(json.dumps(rec, sort_keys=True, separators=(",", ":")) + "\n")
print(f"appended to {results}")
PY
