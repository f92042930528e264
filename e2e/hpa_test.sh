#!/usr/bin/env bash
# End to end on real containerd: autoscaling driven by real load from the stand-in
# flask-stress-app. The original's podhpa.yaml, service4hpa.yaml and hpa.yaml go in
# unchanged through the real kubectl: with no load the seed Hpa rises to minReplicas (2);
# `POST /setload` (first through the Service's ClusterIP, then to each new pod's IP) raises
# it one replica per interval (15 s) to maxReplicas (5); when the load ends it comes back to
# 2, one per interval; the timeline (count vs time) is printed. Memory as the second metric:
# memory held by one pod scales up while CPU idles. Deleting the Hpa leaves the original pod
# alone. Then `kubectl autoscale` on a Deployment (behavior patched through v2), with the controller
# manager's sync period at 10 s: under load it scales up within two sync periods, and with a
# 5 s scale-down stabilization window set in `behavior` it scales down after the load stops.
# Traffic goes only to the ClusterIP once its rule exists and to pod IPs on this node's
# bridge; lib.sh's guard drops private ranges on the default route meanwhile. About 5 min.
# Run as root, alone:
#   flock /tmp/minik8s-e2e.lock bash e2e/hpa_test.sh
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  fail "the hpa e2e needs root: it did not run"
  finish || exit 1
fi

CLUSTER=$WORK/cluster
CGROOT=mk-hpa-$$
BRIDGE=mkhpa$$
BRIDGE=${BRIDGE:0:15}
POD_CIDR=10.247.$((RANDOM % 200 + 20)).0/24
# The kubelet samples usage every 2 s here (--housekeeping-interval; 10 s by default): with a
# sync period of 10 s, "within two sync periods" leaves room for one sample plus one sync.
SYNC_PERIOD=10
SAMPLER_PID=""
LOADER_PID=""
stop_bg() {
  local pid
  for pid in "$SAMPLER_PID" "$LOADER_PID"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
  SAMPLER_PID=""
  LOADER_PID=""
}
cleanup() {
  stop_bg
  "$MINIK8S" down --data-dir "$CLUSTER" >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
  finish
}
trap cleanup EXIT

echo "== minik8s up (HPA sync period ${SYNC_PERIOD}s)"
for attempt in 1 2 3; do
  PORT=$(free_port)
  if "$MINIK8S" up --data-dir "$CLUSTER" --port "$PORT" --node-name hpa-node --kubeconfig "$KUBECONFIG" \
      --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" --agent-arg=--kubelet-port=0 \
      "--agent-arg=--pod-cidr=$POD_CIDR" --agent-arg=--housekeeping-interval=2s \
      "--server-arg=--horizontal-pod-autoscaler-sync-period=${SYNC_PERIOD}s" >"$WORK/up.log" 2>&1; then
    break
  fi
  if [ "$attempt" = 3 ] || ! grep -q "in use" "$WORK/up.log" "$CLUSTER/logs/server.log" 2>/dev/null; then
    cat "$WORK/up.log"; tail -30 "$CLUSTER/logs/agent.log" 2>/dev/null; exit 1
  fi
  "$MINIK8S" down --data-dir "$CLUSTER" >/dev/null 2>&1 || true
done
api_credentials  # $API and api_curl: HTTPS with the kubeconfig's CA and admin certificate
expect_output "node hpa-node is Ready" "hpa-node +Ready" kubectl get nodes

# live_pods SELECTOR: "name ip" of the selector's Running pods that are not terminating.
live_pods() {
  kubectl get pods -l "$1" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.phase}{" "}{.status.podIP}{" "}{.metadata.deletionTimestamp}{"\n"}{end}' |
    awk '$2 == "Running" && $3 != "" && $4 == "" { print $1, $3 }'
}
running_count() { live_pods "$1" | wc -l; }
# replicas URL: the object's spec.replicas, from the API.
replicas() { api_curl -fsS -m 2 "$API$1" | jq -r '.spec.replicas // "-"'; }
# sample URL SELECTOR FILE: about twice a second, "seconds replicas running" while it runs
# (replicas: the object's spec.replicas; running: Running pods of the selector not being
# deleted), from the API.
sample() {
  local start=$EPOCHREALTIME r n
  while :; do
    r=$(replicas "$1" 2>/dev/null || echo -)
    n=$(api_curl -fsS -m 2 -G --data-urlencode "labelSelector=$2" "$API/api/v1/namespaces/default/pods" |
      jq '[.items[] | select(.status.phase == "Running" and .metadata.deletionTimestamp == null)] | length' 2>/dev/null || echo -)
    echo "$(awk -v a="$EPOCHREALTIME" -v b="$start" 'BEGIN { printf "%.1f", a - b }') $r $n" >>"$3"
    sleep 0.5
  done
}
# sampled FILE REPLICAS RUNNING: the sampler's last line has these counts.
sampled() { tail -1 "$1" | grep -q " $2 $3\$"; }
# load_pods SELECTOR END CPU MEMORY: until END (epoch seconds), every pod of the selector that
# answers and has no load yet gets one to END (pod IPs on this node only).
load_pods() {
  local name ip now
  while now=$(date +%s) && [ "$now" -lt "$2" ]; do
    while read -r name ip; do
      [ -n "$ip" ] || continue
      if curl -fsS -m 1 "http://$ip:5000/getparams" 2>/dev/null | jq -e '.cpu | tostring == "0"' >/dev/null; then
        curl -fsS -m 2 -X POST "http://$ip:5000/setload?cpu=$3&memory=$4&duration=$(($2 - now))" >/dev/null 2>&1 &&
          echo "$(date +%T) loaded $name" >>"$WORK/loader.log"
      fi
    done < <(live_pods "$1")
    sleep 1
  done
}
# print_timeline FILE: the lines where the counts changed.
print_timeline() {
  echo "  timeline (seconds, replicas wanted, pods running):"
  awk '{ key = $2 " " $3 } key != last { printf "    %6.1fs  replicas=%s running=%s\n", $1, $2, $3; last = key }' "$1"
}
# steps FILE: "second replicas" at each change of spec.replicas.
steps() { awk '$2 != last && $2 != "-" { print $1, $2; last = $2 }' "$1"; }
hpa_json() { api_curl -fsS -m 2 "$API/api/v1/namespaces/default/hpas/test-hpa"; }
rs_replicas_is() { [ "$(replicas /apis/apps/v1/namespaces/default/replicasets/test-hpa)" = "$1" ]; }
seed_running_is() { [ "$(running_count app=hpa)" = "$1" ]; }

echo "== the original's podhpa.yaml, service4hpa.yaml and hpa.yaml, unchanged"
check "apply podhpa.yaml" kubectl apply -f "$SEEDS/podhpa.yaml"
check "apply service4hpa.yaml" kubectl apply -f "$SEEDS/service4hpa.yaml"
check "pod-hpa is Ready" kubectl wait --for=condition=Ready pod/pod-hpa --timeout=180s
SVC_IP=$(kubectl get service hpa-service -o jsonpath='{.spec.clusterIP}')
check "hpa-service's ClusterIP $SVC_IP has its rule" wait_until 15 rule_for "$SVC_IP"
POD_IP=$(kubectl get pod pod-hpa -o jsonpath='{.status.podIP}')
check "the stress app listens on its pod IP" wait_until 120 curl -fsS -m 2 "http://$POD_IP:5000/getparams"
check "apply hpa.yaml (kind Hpa)" kubectl apply -f "$SEEDS/hpa.yaml"
sample /apis/apps/v1/namespaces/default/replicasets/test-hpa app=hpa "$WORK/seed.timeline" &
SAMPLER_PID=$!
check "the Hpa's ReplicaSet adopts pod-hpa" wait_until 30 bash -c \
  "kubectl get pod pod-hpa -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}' | grep -qx ReplicaSet/test-hpa"
check "with no load the count rises to minReplicas (2 pods running)" wait_until 60 seed_running_is 2
check "the second pod answers" wait_until 60 bash -c \
  "[ \$(kubectl get pods -l app=hpa -o jsonpath='{range .items[*]}{.status.podIP}{\"\\n\"}{end}' | while read -r ip; do curl -fsS -m 1 http://\$ip:5000/getparams >/dev/null && echo up; done | wc -l) = 2 ]"
kubectl top pods -l app=hpa 2>&1 | sed 's/^/    /' || true
check "idle, it stays at 2 for an interval" bash -c "sleep 16; [ \$(api_curl -fsS $API/apis/apps/v1/namespaces/default/replicasets/test-hpa | jq .spec.replicas) = 2 ]"
expect_output "the Hpa's status has currentReplicas and the usage" '^2 [0-9]+ [0-9]+$' \
  bash -c "api_curl -fsS $API/api/v1/namespaces/default/hpas/test-hpa | jq -r '\"\\(.status.currentReplicas) \\(.status.currentCPUPercent) \\(.status.currentMemPercent)\"'"

LOAD_SECONDS=80
LOAD_END=$(($(date +%s) + LOAD_SECONDS))
echo "== load: cpu=1 for ${LOAD_SECONDS}s, first through the ClusterIP, then to each new pod"
UP_START=$(awk 'END { print $1 }' "$WORK/seed.timeline")
expect_output "POST /setload through hpa-service's ClusterIP" "load started" \
  curl -fsS -m 3 -X POST "http://$SVC_IP:80/setload?cpu=1&duration=$LOAD_SECONDS"
load_pods app=hpa "$LOAD_END" 1 0 &
LOADER_PID=$!
check "the count reaches maxReplicas (5 pods running)" wait_until 120 seed_running_is 5
check "kubectl get hpa shows 5 current" wait_until 20 bash -c "kubectl get hpa test-hpa --no-headers | grep -Eq '^test-hpa +2 +5 +5 '"
echo "== the load ends"
check "the count comes back to 2" wait_until 150 rs_replicas_is 2
check "2 pods running" wait_until 60 seed_running_is 2
wait_until 10 sampled "$WORK/seed.timeline" 2 2 || true
stop_bg
print_timeline "$WORK/seed.timeline"
sed 's/^/    loader: /' "$WORK/loader.log" 2>/dev/null || true
# Up and down one replica at a time, at least an interval (15 s, less the 1 s sampling)
# apart: 2 3 4 5 4 3 2 after the load started.
steps "$WORK/seed.timeline" | awk -v s="$UP_START" '$1 >= s' >"$WORK/steps"
expect_output "up and down one replica at a time: 2 3 4 5 4 3 2" '^2 3 4 5 4 3 2$' \
  bash -c "awk -v s=$UP_START '\$1 >= s - 1' $WORK/seed.timeline | awk '\$2 != last && \$2 != \"-\" { printf \"%s%s\", sep, \$2; sep = \" \"; last = \$2 }'; echo"
echo "  steps (second replicas): $(paste -sd, "$WORK/steps")"
check "the steps are an interval apart (>= 14 s)" \
  awk 'NR > 1 && $1 - prev < 14 { bad = 1 } { prev = $1 } END { exit bad }' "$WORK/steps"

echo "== memory as the second metric: one pod holds 45M while CPU idles"
sample /apis/apps/v1/namespaces/default/replicasets/test-hpa app=hpa "$WORK/mem.timeline" &
SAMPLER_PID=$!
expect_output "POST /setload?cpu=0&memory=45M through the ClusterIP" "load started" \
  curl -fsS -m 3 -X POST "http://$SVC_IP:80/setload?cpu=0&memory=45M&duration=60"
check "memory scales up to 3" wait_until 60 rs_replicas_is 3
wait_until 30 sampled "$WORK/mem.timeline" 3 3 || true
expect_output "the Hpa saw memory above its 40% and cpu below its 60%" '^ok$' \
  bash -c "api_curl -fsS $API/api/v1/namespaces/default/hpas/test-hpa | jq -r 'if .status.currentMemPercent > 40 and .status.currentCPUPercent < 60 then \"ok\" else . end'"
stop_bg
print_timeline "$WORK/mem.timeline"

echo "== deleting the Hpa returns to the original pod alone"
check "delete hpa test-hpa" kubectl delete -f "$SEEDS/hpa.yaml" --wait=false
check "the Hpa is gone" wait_until 60 bash -c "! api_curl -fsS $API/api/v1/namespaces/default/hpas/test-hpa"
check "its ReplicaSet is gone" wait_until 30 bash -c "! api_curl -fsS $API/apis/apps/v1/namespaces/default/replicasets/test-hpa"
check "only pod-hpa is left" wait_until 60 bash -c "[ \"\$(kubectl get pods -l app=hpa -o jsonpath='{.items[*].metadata.name}')\" = pod-hpa ]"
check "pod-hpa has no owner" wait_until 30 bash -c "[ -z \"\$(kubectl get pod pod-hpa -o jsonpath='{.metadata.ownerReferences}')\" ]"
check "delete the seed pod and service" kubectl delete -f "$SEEDS/service4hpa.yaml" -f "$SEEDS/podhpa.yaml" --wait=false

echo "== kubectl autoscale on a Deployment (sync period ${SYNC_PERIOD}s, scale-down window 5 s)"
cat >"$WORK/stress.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: stress}
spec:
  replicas: 1
  selector: {matchLabels: {app: stress}}
  template:
    metadata: {labels: {app: stress}}
    spec:
      containers:
      - name: app
        image: flask-stress-app
        ports: [{containerPort: 5000}]
        resources:
          requests: {cpu: 50m, memory: 50Mi}
          limits: {cpu: 100m, memory: 100Mi}
EOF
check "apply the Deployment" kubectl apply -f "$WORK/stress.yaml"
# kubectl autoscale posts an autoscaling/v1 object (protobuf); the scale-down window is set on
# the same object through its v2 view.
expect_output "kubectl autoscale deployment stress" 'horizontalpodautoscaler.autoscaling/stress autoscaled' \
  kubectl autoscale deployment stress --cpu-percent=50 --min=1 --max=4
check "a 5 s scale-down stabilization window through behavior (v2)" \
  kubectl patch horizontalpodautoscalers.v2.autoscaling stress --type=merge \
  -p '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":5}}}}'
expect_output "the HPA: cpu 50%, 1..4, window 5 s" '^cpu Utilization 50 1 4 5$' \
  kubectl get horizontalpodautoscalers.v2.autoscaling stress -o jsonpath='{.spec.metrics[0].resource.name} {.spec.metrics[0].resource.target.type} {.spec.metrics[0].resource.target.averageUtilization} {.spec.minReplicas} {.spec.maxReplicas} {.spec.behavior.scaleDown.stabilizationWindowSeconds}'
check "one stress pod answers" wait_until 120 bash -c \
  "ip=\$(kubectl get pods -l app=stress -o jsonpath='{.items[0].status.podIP}'); [ -n \"\$ip\" ] && curl -fsS -m 1 http://\$ip:5000/getparams"
check "the HPA reads the idle pod's cpu" wait_until 30 bash -c \
  "kubectl get horizontalpodautoscalers.autoscaling stress -o jsonpath='{.status.currentMetrics[0].resource.current.averageUtilization}' | grep -q '^[0-9]'"
expect_output "idle, it wants 1" '^1$' kubectl get deployment stress -o jsonpath='{.spec.replicas}'
sample /apis/apps/v1/namespaces/default/deployments/stress app=stress "$WORK/v2.timeline" &
SAMPLER_PID=$!
STRESS_IP=$(live_pods app=stress | awk 'NR == 1 { print $2 }')
V2_LOAD=25
T0=$SECONDS
expect_output "POST /setload?cpu=1 to the stress pod" "load started" \
  curl -fsS -m 3 -X POST "http://$STRESS_IP:5000/setload?cpu=1&duration=$V2_LOAD"
check "it scales up within two sync periods (${SYNC_PERIOD}s each)" wait_until $((2 * SYNC_PERIOD)) \
  bash -c "[ \$(api_curl -fsS $API/apis/apps/v1/namespaces/default/deployments/stress | jq .spec.replicas) -gt 1 ]"
echo "  scaled up $((SECONDS - T0)) s after the load started (to $(replicas /apis/apps/v1/namespaces/default/deployments/stress))"
expect_output "SuccessfulRescale event" "SuccessfulRescale.*New size: [2-4]; reason: cpu resource utilization" \
  kubectl get events --field-selector involvedObject.name=stress,involvedObject.kind=HorizontalPodAutoscaler
check "the new pods run" wait_until 90 bash -c "[ \$(kubectl get pods -l app=stress --field-selector=status.phase=Running -o name | wc -l) -gt 1 ]"
T1=$SECONDS
check "after the load it scales down to 1" wait_until 90 \
  bash -c "[ \$(api_curl -fsS $API/apis/apps/v1/namespaces/default/deployments/stress | jq .spec.replicas) = 1 ]"
echo "  back to 1 replica $((SECONDS - T0)) s after the load started (it lasted ${V2_LOAD}s)"
stop_bg
print_timeline "$WORK/v2.timeline"
expect_output "ScalingLimited / AbleToScale conditions are set" "AbleToScale" \
  kubectl get horizontalpodautoscalers.autoscaling stress -o jsonpath='{.status.conditions[*].type}'
check "delete the HPA" kubectl delete horizontalpodautoscalers.autoscaling stress
check "delete the Deployment" kubectl delete -f "$WORK/stress.yaml"
check "the stress pods go" wait_until 60 bash -c "[ -z \"\$(kubectl get pods -l app=stress -o name)\" ]"
