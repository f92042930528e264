#!/usr/bin/env bash
# HPA reaction time on a real node: from load start to the scale decision to the new pod
# Running (issue 9, "Benchmarks"). `minik8s up` in a private temp dir (e2e/lib.sh: free
# port, its leak guard, cleanup by PID) with --horizontal-pod-autoscaler-sync-period
# SYNC_PERIOD; a Deployment of the stand-in flask-stress-app (cpu request 50m, limit 100m)
# under an autoscaling/v2 HPA (cpu 50%, 1..2, scale-down window 0). ROUNDS times: POST
# /setload?cpu=1 to the single pod's IP (t0), poll the API every 0.1 s for the Deployment's
# spec.replicas > 1 (the decision) and for a second pod Running, then wait for the load to
# end and the count to come back to 1. The goal: one sync period plus pod startup; the
# kubelet's usage samples come every 10 s (the metrics' window), so a sample's delay adds
# up to 10 s. Appends one JSON line to RESULTS. Traffic only to pod IPs on the node's
# bridge. Run as root, alone, by hand:
#   flock /tmp/minik8s-e2e.lock bash bench/hpa_reaction_bench.sh [MINIK8S] [RESULTS]
MINIK8S_ARG=${1:-}
source "$(dirname "$0")/../e2e/lib.sh"
[ -n "$MINIK8S_ARG" ] && MINIK8S=$MINIK8S_ARG
RESULTS=${2:-$E2E_ROOT/bench/results.jsonl}
SYNC_PERIOD=${SYNC_PERIOD:-15}
ROUNDS=${ROUNDS:-3}
LOAD_SECONDS=${LOAD_SECONDS:-30}
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 2; }

CLUSTER=$WORK/cluster
CGROOT=mk-hpab-$$
BRIDGE=mkhpab$$
BRIDGE=${BRIDGE:0:15}
POD_CIDR=10.246.$((RANDOM % 200 + 20)).0/24
cleanup() {
  "$MINIK8S" down --data-dir "$CLUSTER" >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
  finish
}
trap cleanup EXIT

load() { cut -d' ' -f1 /proc/loadavg; }
load_before=$(load)
echo "== minik8s up (HPA sync period ${SYNC_PERIOD}s)"
for attempt in 1 2 3; do
  PORT=$(free_port)
  if "$MINIK8S" up --data-dir "$CLUSTER" --port "$PORT" --node-name hpab-node --kubeconfig "$KUBECONFIG" \
      --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" --agent-arg=--kubelet-port=0 \
      "--agent-arg=--pod-cidr=$POD_CIDR" --timeout 120s \
      "--server-arg=--horizontal-pod-autoscaler-sync-period=${SYNC_PERIOD}s" >"$WORK/up.log" 2>&1; then
    break
  fi
  if [ "$attempt" = 3 ] || ! grep -q "in use" "$WORK/up.log" "$CLUSTER/logs/server.log" 2>/dev/null; then
    cat "$WORK/up.log"; exit 1
  fi
  "$MINIK8S" down --data-dir "$CLUSTER" >/dev/null 2>&1 || true
done
API=http://127.0.0.1:$PORT

cat >"$WORK/react.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: react}
spec:
  replicas: 1
  selector: {matchLabels: {app: react}}
  template:
    metadata: {labels: {app: react}}
    spec:
      containers:
      - name: app
        image: flask-stress-app
        resources:
          requests: {cpu: 50m, memory: 50Mi}
          limits: {cpu: 100m, memory: 100Mi}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: react}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: react}
  minReplicas: 1
  maxReplicas: 2
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 0}
EOF
kubectl apply -f "$WORK/react.yaml" >/dev/null
now() { echo "$EPOCHREALTIME"; }
replicas() { curl -fsS -m 2 "$API/apis/apps/v1/namespaces/default/deployments/react" | jq -r '.spec.replicas'; }
running_ips() {
  curl -fsS -m 2 "$API/api/v1/namespaces/default/pods?labelSelector=app%3Dreact" |
    jq -r '.items[] | select(.status.phase == "Running" and .metadata.deletionTimestamp == null and .status.podIP != null) | .status.podIP'
}
running() { running_ips | wc -l; }
idle_one() {
  [ "$(replicas)" = 1 ] && [ "$(running)" = 1 ] || return 1
  curl -fsS -m 1 "http://$(running_ips):5000/getparams" >/dev/null
}
# The HPA has read the idle pod's cpu (its samples are past the readiness window).
hpa_reads() {
  curl -fsS -m 2 "$API/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/react" |
    jq -e '.status.currentMetrics[0].resource.current.averageUtilization != null' >/dev/null
}

errors=0
decisions=()
runnings=()
for round in $(seq 1 "$ROUNDS"); do
  if ! wait_until 180 idle_one || ! wait_until 60 hpa_reads; then
    echo "round $round: not back to one idle pod read by the HPA (replicas $(replicas), running $(running))"
    curl -fsS -m 2 "$API/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/react" | jq -c .status
    errors=$((errors + 1)); break
  fi
  ip=$(running_ips)
  t0=$(now)
  if ! curl -fsS -m 3 -X POST "http://$ip:5000/setload?cpu=1&duration=$LOAD_SECONDS" >/dev/null; then
    echo "round $round: setload failed"; errors=$((errors + 1)); continue
  fi
  t_decision="" t_running=""
  deadline=$((SECONDS + 90))
  while [ -z "$t_running" ] && [ $SECONDS -lt $deadline ]; do
    if [ -z "$t_decision" ] && [ "$(replicas)" -gt 1 ]; then t_decision=$(now); fi
    if [ -n "$t_decision" ] && [ "$(running)" -gt 1 ]; then t_running=$(now); fi
    sleep 0.1
  done
  if [ -z "$t_running" ]; then
    echo "round $round: no second pod Running within 90 s"; errors=$((errors + 1)); continue
  fi
  d=$(awk -v a="$t_decision" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')
  r=$(awk -v a="$t_running" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')
  decisions+=("$d")
  runnings+=("$r")
  echo "round $round: decision after ${d}s, new pod Running after ${r}s (startup $(awk -v a="$r" -v b="$d" 'BEGIN { printf "%.2f", a - b }')s)"
done
load_after=$(load)
commit=$(git -C "$E2E_ROOT" rev-parse --short=12 HEAD)
git -C "$E2E_ROOT" diff --quiet HEAD -- src/controller 2>/dev/null || commit="$commit+dirty"
python3 - "$RESULTS" "$commit" "$SYNC_PERIOD" "$load_before" "$load_after" "$errors" \
  "${decisions[*]:-}" "${runnings[*]:-}" <<'EOF'
import datetime, json, statistics, sys
results, commit, period, lb, la, errors, decisions, runnings = sys.argv[1:]
d = [float(x) for x in decisions.split()]
r = [float(x) for x in runnings.split()]
rec = {
    "bench": "hpa_reaction", "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    "commit": commit, "build_type": "RelWithDebInfo", "sync_period_s": int(period),
    "metrics_sample_interval_s": 10, "rounds": len(d),
    "decision_s": d, "running_s": r, "startup_s": [round(b - a, 2) for a, b in zip(d, r)],
    "decision_p50_s": statistics.median(d) if d else None,
    "running_p50_s": statistics.median(r) if r else None,
    "load_before": float(lb), "load_after": float(la), "quiet": float(lb) < 1.0,
    "errors": int(errors),
}
print(json.dumps(rec, sort_keys=True))
with open(results, "a") as f:
    f.write(json.dumps(rec, sort_keys=True) + "\n")
EOF
[ "$errors" = 0 ] || FAILED=$((FAILED + errors))
