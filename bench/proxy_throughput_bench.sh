#!/usr/bin/env bash
# Throughput through a ClusterIP against straight to the pod IP (issue 10; goal >= 0.95), on a
# real node: `minik8s up` in a private temp dir (e2e/lib.sh: free port, its own cgroup root,
# bridge and pod CIDR, the leak guard on the default-route interface while it runs, cleanup
# by PID and `minik8s down`). Debian's iperf3 in an image our builder makes from the Debian
# package (`minik8s image build --package iperf3`; the package must be installed on the host,
# as nginx is for the stock image: the builder takes its files and library closure from
# dpkg), loaded into the node's containerd. Two pods run `iperf3 -s`; a ClusterIP Service
# selects the server. ROUNDS rounds (default 5) alternate which goes first; each runs
# `iperf3 -c` for DURATION s (default 5, the first second omitted) from the client pod (kubectl
# exec) to the server's pod IP and to the ClusterIP, the latter only once its rule exists.
# Reports each round's Gbit/s and ratio ClusterIP / pod IP, and their median. Traffic goes
# only to the pod and Service addresses this script made. Appends one JSON line to RESULTS.
# Run as root, alone:
#   flock /tmp/minik8s-e2e.lock bash bench/proxy_throughput_bench.sh [MINIK8S] [RESULTS]
MINIK8S_ARG=${1:-}
source "$(dirname "$0")/../e2e/lib.sh"
source "$(dirname "$0")/iperf_lib.sh"
[ -n "$MINIK8S_ARG" ] && MINIK8S=$MINIK8S_ARG
RESULTS=${2:-$E2E_ROOT/bench/results.jsonl}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 2; }
command -v iperf3 >/dev/null || { echo "proxy_throughput_bench: iperf3 is missing: run scripts/setup.sh (the image is built from the installed package)"; exit 2; }

CLUSTER=$WORK/cluster
CGROOT=mk-tput-$$
BRIDGE=mktput$$
BRIDGE=${BRIDGE:0:15}
POD_CIDR=10.247.$((RANDOM % 200 + 20)).0/24
down_on_exit "$CLUSTER"

load_before=$(load)
iperf_image

echo "== minik8s up"
for attempt in 1 2 3; do
  PORT=$(free_port)
  if "$MINIK8S" up --data-dir "$CLUSTER" --port "$PORT" --node-name tput-node --kubeconfig "$KUBECONFIG" \
      --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" --agent-arg=--kubelet-port=0 \
      "--agent-arg=--pod-cidr=$POD_CIDR" --timeout 120s >"$WORK/up.log" 2>&1; then
    break
  fi
  if [ "$attempt" = 3 ] || ! grep -q "in use" "$WORK/up.log" "$CLUSTER/logs/server.log" 2>/dev/null; then
    cat "$WORK/up.log"; exit 1
  fi
  "$MINIK8S" down --data-dir "$CLUSTER" >/dev/null 2>&1 || true
done
SOCKET=$(find "$CLUSTER" -name containerd.sock | head -1)
"$MINIK8S" image load --address "$SOCKET" "$WORK/iperf3.tar" >"$WORK/load.log" 2>&1 || { cat "$WORK/load.log"; exit 1; }

cat >"$WORK/iperf.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: iperf-server, labels: {app: iperf-server}}
spec:
  containers: [{name: iperf3, image: iperf3:bench, ports: [{containerPort: 5201}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: iperf-client}
spec:
  containers: [{name: iperf3, image: iperf3:bench}]
---
apiVersion: v1
kind: Service
metadata: {name: iperf}
spec:
  selector: {app: iperf-server}
  ports: [{port: 5201, targetPort: 5201}]
YAML
kubectl apply -f "$WORK/iperf.yaml" >/dev/null
kubectl wait --for=condition=Ready pod/iperf-server pod/iperf-client --timeout=120s >/dev/null
POD_IP=$(kubectl get pod iperf-server -o jsonpath='{.status.podIP}')
CLUSTER_IP=$(kubectl get service iperf -o jsonpath='{.spec.clusterIP}')
# Send to the ClusterIP only once its rule, and the DNAT to the server, exist.
rule_ready() {
  rule_for "$CLUSTER_IP" && iptables-save -t nat | grep -- "--to-destination $POD_IP:5201" >/dev/null
}
wait_until 30 rule_ready || { echo "no rule for $CLUSTER_IP -> $POD_IP"; exit 1; }
iperf_wait_listening iperf-client "$POD_IP" || exit 1
echo "   server pod $POD_IP, ClusterIP $CLUSTER_IP"

iperf_rounds iperf-client "pod IP" "$POD_IP" ClusterIP "$CLUSTER_IP"
load_after=$(load)
python3 - "$RESULTS" "$(bench_commit)" "$ROUNDS" "$DURATION" "$load_before" "$load_after" \
  "$iperf_errors" "${a_runs[*]}" "${b_runs[*]}" <<'PY'
import datetime, json, statistics, sys
results, commit, rounds, duration, lb, la, errors, pods, clusters = sys.argv[1:10]
pods = [float(x) for x in pods.split()]; clusters = [float(x) for x in clusters.split()]
ratios = [round(c / p, 3) if p > 0 else 0 for p, c in zip(pods, clusters)]
rec = {"bench": "proxy_throughput",
       "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
       "commit": commit, "build_type": "RelWithDebInfo", "rounds": int(rounds),
       "duration_s": int(duration), "pod_ip_gbps": pods, "cluster_ip_gbps": clusters,
       "ratios": ratios, "median_ratio": statistics.median(ratios),
       "load_before": float(lb), "load_after": float(la), "quiet": float(lb) < 1.0,
       "errors": int(errors)}
print(json.dumps(rec, sort_keys=True))
with open(results, "a") as f:
    f.write(json.dumps(rec, sort_keys=True) + "\n")
PY
[ "$iperf_errors" = 0 ]
