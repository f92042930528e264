#!/usr/bin/env bash
# Pod startup and agent memory on a real node: `minik8s up` in a private temp data dir
# (free port, cgroup root mk-bench-$$, bridge mkbench$$, its own pod CIDR), then
# pod_startup_bench against it, then `minik8s down` (always) and a check that nothing of
# it is left (processes, shims of its containerd, cgroups, the bridge). Builds nothing.
# Run as root, by hand (not part of scripts/test.sh):
#
#   bench/pod_startup_bench.sh [BUILD_DIR] [-- extra pod_startup_bench flags]
#
# BUILD_DIR (default build) holds cmd/minik8s/minik8s and bench/pod_startup_bench; the
# results are appended to bench/results.jsonl (RESULTS=... to change).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
MINIK8S=${MINIK8S:-$BUILD/cmd/minik8s/minik8s}
BENCH=${BENCH:-$BUILD/bench/pod_startup_bench}
RESULTS=${RESULTS:-$ROOT/bench/results.jsonl}
for f in "$MINIK8S" "$BENCH"; do
  [ -x "$f" ] || { echo "missing $f (build it first)"; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 2; }

WORK=$(mktemp -d /tmp/minik8s-bench.XXXXXX)
D=$WORK/data
SOCK=$D/node/containerd/containerd.sock
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
CGROOT=mk-bench-$$
BRIDGE=mkbench$$
BRIDGE=${BRIDGE:0:15}
NET=10.252.$(($$ % 200 + 20))

leftovers() {
  local bad=0
  if pgrep -f -- "containerd-shim.*-address $SOCK" >/dev/null; then
    echo "LEFTOVER: shims of $SOCK:"; pgrep -af -- "containerd-shim.*-address $SOCK"; bad=1
  fi
  if pgrep -f -- "$D" >/dev/null; then
    echo "LEFTOVER: processes naming $D:"; pgrep -af -- "$D"; bad=1
  fi
  if ip link show "$BRIDGE" >/dev/null 2>&1; then echo "LEFTOVER: bridge $BRIDGE"; bad=1; fi
  if ls -d /sys/fs/cgroup/*/"$CGROOT" >/dev/null 2>&1; then
    echo "LEFTOVER: cgroups:"; ls -d /sys/fs/cgroup/*/"$CGROOT"; bad=1
  fi
  if grep -q " $D" /proc/self/mounts; then echo "LEFTOVER: mounts under $D"; bad=1; fi
  return $bad
}

cleanup() {
  local rc=$?
  trap - EXIT
  echo "== minik8s down"
  "$MINIK8S" down --data-dir "$D" >"$WORK/down.log" 2>&1 || { cat "$WORK/down.log"; rc=1; }
  if leftovers; then echo "nothing left behind"; else rc=1; fi
  # The agent's log: warnings and errors only, for the report.
  if [ -f "$D/logs/agent.log" ]; then
    local n
    local pat='\[(warning|error|critical)\]'
    echo "agent.log: $(wc -l <"$D/logs/agent.log") lines, $(grep -Ec "$pat" "$D/logs/agent.log" || true) warnings/errors"
    grep -E "$pat" "$D/logs/agent.log" | cut -c1-300 | head -20 || true
  fi
  if [ "${KEEP_LOGS:-}" = 1 ]; then
    echo "logs kept in $D/logs"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== minik8s up (data $D, port $PORT, cgroup root $CGROOT, bridge $BRIDGE, pods $NET.0/24)"
if ! "$MINIK8S" up --data-dir "$D" --port "$PORT" --node-name bench-node \
    --kubeconfig "$WORK/kubeconfig" --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" \
    --agent-arg=--kubelet-port=0 "--agent-arg=--pod-cidr=$NET.0/24" --timeout 120s \
    >"$WORK/up.log" 2>&1; then
  cat "$WORK/up.log"; tail -30 "$D/logs/agent.log" 2>/dev/null || true; exit 1
fi
tail -1 "$WORK/up.log"

echo "== pod_startup_bench"
"$BENCH" --data-dir "$D" --server "http://127.0.0.1:$PORT" --cgroup-root "$CGROOT" \
  --results "$RESULTS" "$@"
