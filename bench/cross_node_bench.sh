#!/usr/bin/env bash
# Pod-to-pod throughput across nodes against on one node (issue 11; goal for vxlan: cross-node
# >= 0.8 x same-node), on `minik8s up --nodes 3` in a private temp dir (e2e/lib.sh: free port,
# the leak guard on the default-route interface while it runs, cleanup by `minik8s down`).
# BACKEND=vxlan (default) or host-gw is passed to every agent. Debian's iperf3 in an image our
# builder makes from the installed package, loaded into the containerds of nodes 2 and 3 (both
# in network namespaces, so the two paths differ only in the crossing). Three pods pinned by
# nodeName: a server and a client on node 2, a server on node 3. ROUNDS rounds (default 5)
# alternate which path goes first; each runs `iperf3 -c` for DURATION s (default 5, the first
# second omitted) from the client to the same-node server and to the cross-node server, by
# pod IP. Reports each round's Gbit/s and ratio cross / same, and their median. Traffic goes
# only to the pod addresses this script made. Appends one JSON line to RESULTS.
# Run as root, alone:
#   [BACKEND=host-gw] flock /tmp/minik8s-e2e.lock bash bench/cross_node_bench.sh [MINIK8S] [RESULTS]
MINIK8S_ARG=${1:-}
source "$(dirname "$0")/../e2e/lib.sh"
source "$(dirname "$0")/iperf_lib.sh"
[ -n "$MINIK8S_ARG" ] && MINIK8S=$MINIK8S_ARG
RESULTS=${2:-$E2E_ROOT/bench/results.jsonl}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
BACKEND=${BACKEND:-vxlan}
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 2; }
command -v iperf3 >/dev/null || { echo "cross_node_bench: iperf3 is missing: run scripts/setup.sh"; exit 2; }

D=$WORK/cluster
NODE=xn-$$
SUB=10.252.$(($$ % 200 + 20))
NET=10.253.$(($$ % 200 + 20))
UP=("$MINIK8S" up --nodes 3 --data-dir "$D" --port "$(free_port)" --node-name "$NODE"
    --cgroup-root "minik8s-xn-$$" --cni-bridge "mkxn$(($$ % 100000))"
    --node-bridge "mkxu$(($$ % 100000))" --node-subnet "$SUB.0/24"
    --agent-arg=--kubelet-port=0 "--agent-arg=--network-backend=$BACKEND"
    "--server-arg=--cluster-cidr=$NET.0/24" --server-arg=--node-cidr-mask-size=26
    --timeout 240s)
down_on_exit "$D"

load_before=$(load)
iperf_image

echo "== minik8s up --nodes 3 ($BACKEND)"
"${UP[@]}" >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; exit 1; }
grep '^minik8s is up' "$WORK/up.log"
for k in 2 3; do
  "$MINIK8S" image load --address "$D/nodes/$NODE-$k/containerd/containerd.sock" "$WORK/iperf3.tar" \
    >"$WORK/load-$k.log" 2>&1 || { cat "$WORK/load-$k.log"; exit 1; }
done

pod() {  # pod NAME NODE
  printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  nodeName: %s\n  containers: [{name: iperf3, image: iperf3:bench, imagePullPolicy: Never, ports: [{containerPort: 5201}]}]\n' "$1" "$2"
}
{ pod client "$NODE-2"; pod same "$NODE-2"; pod cross "$NODE-3"; } >"$WORK/pods.yaml"
kubectl apply -f "$WORK/pods.yaml" >/dev/null
kubectl wait --for=condition=Ready pod/client pod/same pod/cross --timeout=120s >/dev/null
SAME_IP=$(kubectl get pod same -o jsonpath='{.status.podIP}')
CROSS_IP=$(kubectl get pod cross -o jsonpath='{.status.podIP}')
for ip in "$SAME_IP" "$CROSS_IP"; do
  case $ip in "$NET".*) ;; *) echo "pod IP '$ip' is not in the cluster CIDR $NET.0/24"; exit 1 ;; esac
  iperf_wait_listening client "$ip" || exit 1
done
echo "   client on $NODE-2; same-node server $SAME_IP, cross-node server $CROSS_IP on $NODE-3"

iperf_rounds client "same node" "$SAME_IP" "across nodes" "$CROSS_IP"
load_after=$(load)
python3 - "$RESULTS" "$(bench_commit)" "$BACKEND" "$ROUNDS" "$DURATION" "$load_before" \
  "$load_after" "$iperf_errors" "${a_runs[*]}" "${b_runs[*]}" <<'PY'
import datetime, json, statistics, sys
results, commit, backend, rounds, duration, lb, la, errors, same, cross = sys.argv[1:11]
same = [float(x) for x in same.split()]; cross = [float(x) for x in cross.split()]
ratios = [round(c / s, 3) if s > 0 else 0 for s, c in zip(same, cross)]
rec = {"bench": "cross_node_throughput", "backend": backend,
       "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
       "commit": commit, "build_type": "RelWithDebInfo", "rounds": int(rounds),
       "duration_s": int(duration), "same_node_gbps": same, "cross_node_gbps": cross,
       "ratios": ratios, "median_ratio": round(statistics.median(ratios), 3),
       "goal_ratio": 0.8, "load_before": float(lb), "load_after": float(la),
       "quiet": float(lb) < 1.0, "errors": int(errors)}
print(f"{backend}: cross-node / same-node median {rec['median_ratio']} (goal >= 0.8 for vxlan)")
print(json.dumps(rec, sort_keys=True))
with open(results, "a") as f:
    f.write(json.dumps(rec, sort_keys=True) + "\n")
PY
[ "$iperf_errors" = 0 ]
