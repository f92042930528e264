#!/usr/bin/env bash
# `mkctl` prints the original project's tables (issue 13), so scripts written in the
# original's style read them unchanged: grep `get pods` for `running`, column 3 of `get
# services` for the ClusterIP, column 3 of `get deployments`, column 4 of `get hpas`.
#
# By default this runs against a throwaway `minik8s server` with its controllers switched
# off: no node, kubelet, controllers or proxy. It checks every table's columns, its N/A cells and the states a server alone
# can reach; where a state needs a kubelet's or a controller's write (a running pod, a
# Ready node, a ready endpoint, a deployment's ready count, an Hpa's current count), that
# write is made through the API, as they make it or will, and says so.
#
# Then original_scenario_on_a_real_cluster runs the original's scenario on a real node
# (`minik8s up`, as root, real containerd): every seed manifest created through mkctl, the
# pod running, the Service's ClusterIP answering, the Deployment ready, the Hpa counting.
# It always runs (it was behind MKCTL_ORIGINAL_FULL=1 until the controllers, autoscaling
# and services issues had landed); without root it fails.
source "$(dirname "$0")/lib.sh"
FULL_CLUSTER=""
cleanup() {
  if [ -n "$FULL_CLUSTER" ]; then "$MINIK8S" down --data-dir "$FULL_CLUSTER" >/dev/null 2>&1 || true; fi
  finish
}
trap cleanup EXIT
# The controllers off: the status writes below stand in for theirs, and a real Deployment
# controller would overwrite them (it sees no pods: no node runs them here).
start_server --controllers=-deployment,-replicaset,-garbagecollector,-hpa
API="http://127.0.0.1:$PORT"
mkdir -p "$WORK/bin"
ln -s "$MINIK8S" "$WORK/bin/mkctl"  # argv[0] = mkctl
MK="$WORK/bin/mkctl --request-timeout=20s"
echo "mkctl (original tables) e2e against port $PORT"

stored() { curl -fsS "$API$1" | jq -r "$2"; }
# put_status PATH JQ: writes the object's status through its status subresource, as a
# kubelet (pods, nodes) does.
put_status() {
  curl -fsS "$API$1" | jq "$2" | curl -fsS -X PUT -H 'Content-Type: application/json' \
    --data-binary @- "$API$1/status" >/dev/null
}
# put_object PATH JQ: the same for a kind without a status subresource (the seed Hpa).
put_object() {
  curl -fsS "$API$1" | jq "$2" | curl -fsS -X PUT -H 'Content-Type: application/json' \
    --data-binary @- "$API$1" >/dev/null
}
# column N KIND NAME: column N of NAME's row in `mkctl get KIND`, as the original's scripts
# read it.
column() { $MK get "$2" | awk -v n="$1" -v name="$3" '$1 == name {print $n}'; }
# expect_equal "description" GOT WANT
expect_equal() {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (got '$2', want '$3')"; fi
}

for f in pod podhpa service service4depl deployment hpa dns; do
  check "create $f.yaml" $MK create "$(awk '/^kind:/ {print tolower($2); exit}' "$SEEDS/$f.yaml")" -f "$SEEDS/$f.yaml"
done

# get pods: Name Status IP Runtime Node, N/A for what a pod nobody runs does not have.
expect_output "get pods header" '^Name +Status +IP +Runtime +Node$' $MK get pods
expect_output "get pods: a pod no kubelet runs is pending, N/A elsewhere" '^greet-pod +pending +N/A +N/A +N/A$' $MK get pods
expect_equal "get pods column 2 of greet-pod (the original's grep)" "$(column 2 pods greet-pod)" pending

# A node and a pod on it; their status written as the kubelet writes it. The node is
# unschedulable, so the scheduler leaves the seed pods pending (and deletable at once).
cat >"$WORK/node.yaml" <<'YAML'
apiVersion: v1
kind: Node
metadata: {name: e2e-node}
spec: {unschedulable: true}
YAML
check "create node" $MK create node -f "$WORK/node.yaml"
expect_output "get nodes: a node with no status is Unknown" '^N/A +e2e-node +Unknown +0 +N/A +N/A$' $MK get nodes
check "node status written (Ready, addresses, allocatable)" put_status /api/v1/nodes/e2e-node \
  '.status = {conditions: [{type: "Ready", status: "True"}],
              addresses: [{type: "InternalIP", address: "192.0.2.10"}, {type: "Hostname", address: "e2e-host"}],
              capacity: {cpu: "2", memory: "4Gi", pods: "110"}, allocatable: {cpu: "2", memory: "4Gi", pods: "110"}}'
cat >"$WORK/running.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: live-pod, labels: {app: greet-server}}
spec:
  nodeName: e2e-node
  containers: [{name: c, image: busybox:1.36.1, command: [sleep, "3600"]}]
YAML
check "create a pod on e2e-node" $MK create pod -f "$WORK/running.yaml"
started=$(date -u -d '-65 seconds' +%Y-%m-%dT%H:%M:%SZ)
check "pod status written (Running, started 65 s ago)" put_status /api/v1/namespaces/default/pods/live-pod \
  ".status = {phase: \"Running\", podIP: \"10.244.9.9\", hostIP: \"192.0.2.10\",
              containerStatuses: [{name: \"c\", ready: true, restartCount: 0, image: \"busybox:1.36.1\", imageID: \"\",
                                   state: {running: {startedAt: \"$started\"}}}]}"
is_running() { $MK get pods | grep '^live-pod ' | grep -qw running; }
check "poll get pods for running (the original's scripts)" wait_until 10 is_running
expect_output "get pods: a running pod's IP, Runtime and Node" \
  '^live-pod +running +10\.244\.9\.9 +1m[0-9]+s +e2e-node$' $MK get pods
expect_output "get nodes: IP HostName Condition NumPods; N/A with no metrics" \
  '^192\.0\.2\.10 +e2e-host +Ready +1 +N/A +N/A$' $MK get nodes
expect_output "get nodes header" '^IP +HostName +Condition +NumPods +CpuPercent +MemPercent$' $MK get nodes

# get services: Name Phase ClusterIP Endpoints; running once there is a ready endpoint.
expect_output "get services header" '^Name +Phase +ClusterIP +Endpoints$' $MK get services
expect_output "get services: the apiserver's own is running" "^kubernetes +running +10\\.[0-9.]+ +127\\.0\\.0\\.1/$PORT\$" $MK get services
expect_output "get services: no endpoints yet, pending" '^simple-service +pending +10\.[0-9.]+$' $MK get services
expect_equal "column 3 of get services is the ClusterIP" "$(column 3 services simple-service)" \
  "$(stored /api/v1/namespaces/default/services/simple-service .spec.clusterIP)"
cat >"$WORK/endpoints.yaml" <<'YAML'
apiVersion: v1
kind: Endpoints
metadata: {name: simple-service}
subsets:
- addresses: [{ip: 10.244.9.9}]
  notReadyAddresses: [{ip: 10.244.9.10}]
  ports: [{name: first, port: 5000}, {name: second, port: 80}]
YAML
check "endpoints of simple-service written (as the endpoints controller will)" $MK create endpoints -f "$WORK/endpoints.yaml"
expect_output "get services: a ready endpoint makes it running, endpoints as IP/port" \
  '^simple-service +running +10\.[0-9.]+ +10\.244\.9\.9/5000 10\.244\.9\.9/80$' $MK get services

# deployments, hpas, dns.
expect_output "get deployments" '^Name +Replicas +ReadyReplicas$' $MK get deployments
expect_output "get deployments: no controller, nothing ready" '^simple-deployment +3 +0$' $MK get deployments
expect_equal "column 3 of get deployments" "$(column 3 deployments simple-deployment)" 0
check "deployment status written (2 ready, as its controller will)" put_status \
  /apis/apps/v1/namespaces/default/deployments/simple-deployment \
  '.status = {replicas: 3, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 3}'
expect_equal "column 3 of get deployments is the ready count" "$(column 3 deployments simple-deployment)" 2
expect_output "get hpas header" '^Name +Min +Max +Current +cpu\(%\) +memory\(%\)$' $MK get hpas
expect_output "get hpas: no controller, N/A" '^test-hpa +2 +5 +N/A +N/A +N/A$' $MK get hpas
check "hpa status written (3 replicas at 45% CPU, as its controller will)" put_object \
  /api/v1/namespaces/default/hpas/test-hpa '.status = {currentReplicas: 3, currentCPUPercent: 45, currentMemPercent: 20}'
expect_output "get hpas: Current, cpu(%), memory(%) from the status" '^test-hpa +2 +5 +3 +45 +20$' $MK get hpas
expect_equal "column 4 of get hpas is the current count" "$(column 4 hpas test-hpa)" 3
expect_output "get hpa (both HPA kinds)" '^test-hpa +2 +5 ' $MK get hpa
expect_output "get dnss (the original's word)" '^Name +Host +Phase +Paths$' $MK get dnss
expect_output "get dns" '^test-dns +vahag\.com +pending +simple-service/80$' $MK get dns

# -A, --no-headers, get NAME, get all.
expect_output "get pods -A adds Namespace" '^Namespace +Name +Status ' $MK get pods -A
expect_output "get pods -A row" '^default +greet-pod +pending ' $MK get pods -A
expect_output "--no-headers: rows only" '^greet-pod +pending ' $MK get pods --no-headers
expect_fail "--no-headers drops the header" bash -c "$MK get pods --no-headers | grep -q '^Name '"
$MK get pod greet-pod >"$WORK/pod.json" 2>&1 || true
if jq -e '.metadata.name == "greet-pod" and (.status | type == "object")' "$WORK/pod.json" >/dev/null 2>&1 &&
   grep -q '^    "metadata": {' "$WORK/pod.json"; then
  pass "get pod NAME is the object as indented JSON, status included"
else
  fail "get pod NAME is the object as indented JSON, status included"; head -5 "$WORK/pod.json" | sed 's/^/       /'
fi
$MK get all >"$WORK/all" 2>&1 || fail "get all exits 0"
grep -E '^(Name|IP) ' "$WORK/all" | awk '{print $2}' | tr '\n' ' ' >"$WORK/headers"
expect_equal "get all: pods, services, deployments, hpas, nodes, dns tables in turn" \
  "$(cat "$WORK/headers")" "Status Phase Replicas Min HostName Host "
$MK get all -n kube-system >"$WORK/empty" 2>&1 || fail "get all -n kube-system exits 0"
expect_equal "get all of an empty namespace: every header, the node row" \
  "$(grep -cE '^(Name|IP) ' "$WORK/empty") $(grep -c e2e-host "$WORK/empty")" "6 1"

# delete: the original's messages; a pod bound to a node no kubelet runs stays terminating.
expect_output "delete pod" '^Pod deleted: live-pod$' $MK delete pod live-pod
expect_output "get pods: a pod being deleted is terminating" '^live-pod +terminating ' $MK get pods
expect_output "delete pod (unbound)" '^Pod deleted: greet-pod$' $MK delete pod greet-pod
expect_output "delete service" '^Service deleted: simple-service$' $MK delete service simple-service
expect_output "delete deployment" '^Deployment deleted: simple-deployment$' $MK delete deployment simple-deployment
expect_output "delete hpa" '^Hpa deleted: test-hpa$' $MK delete hpa test-hpa
expect_output "delete dns" '^Dns deleted: test-dns$' $MK delete dns test-dns
expect_fail "greet-pod is gone from get pods" bash -c "$MK get pods | grep -q '^greet-pod '"

# The original's scenario on a real node. Each step waits with a deadline and, when it
# fails, says which issue delivers what it needs.
original_scenario_on_a_real_cluster() {
  echo "== the original's scenario on a real node"
  if [ "$(id -u)" != 0 ]; then
    fail "the original's scenario needs root (minik8s up with containerd): it did not run"
    return
  fi
  local cluster=$WORK/cluster port kubeconfig=$WORK/full.kubeconfig attempt
  FULL_CLUSTER=$cluster
  port=$(free_port)
  for attempt in 1 2 3; do
    if "$MINIK8S" up --data-dir "$cluster" --port "$port" --node-name original-node --kubeconfig "$kubeconfig" \
        --cgroup-root "mk-orig-$$" --cni-bridge "mkorig$$" --agent-arg=--kubelet-port=0 \
        "--agent-arg=--pod-cidr=10.252.$((RANDOM % 200 + 20)).0/24" >"$WORK/up.log" 2>&1; then
      break
    fi
    "$MINIK8S" down --data-dir "$cluster" >/dev/null 2>&1 || true
    if [ "$attempt" = 3 ]; then
      fail "minik8s up"; tail -20 "$WORK/up.log" | sed 's/^/       /'; return
    fi
    port=$(free_port)
  done
  local RK="$WORK/bin/mkctl --kubeconfig $kubeconfig --request-timeout=20s" f
  for f in pod service deployment service4depl podhpa service4hpa hpa dns; do
    check "create $f.yaml" $RK create "$(awk '/^kind:/ {print tolower($2); exit}' "$SEEDS/$f.yaml")" -f "$SEEDS/$f.yaml"
  done
  real_column() { $RK get "$2" | awk -v n="$1" -v name="$3" '$1 == name {print $n}'; }
  is_running() { [ "$(real_column 2 pods greet-pod)" = running ]; }
  if wait_until 180 is_running; then pass "poll get pods for running (greet-pod)"
  else fail "poll get pods for running (greet-pod): $($RK get pods 2>&1 | grep greet-pod)"; fi
  local ip
  ip=$(real_column 3 services simple-service)
  check "column 3 of get services ($ip) has its proxy rule" wait_until 30 rule_for "$ip"
  answers() { curl -fsS -m 3 "http://$ip:5000/?name=E2E" | grep "Nice to meet you, E2E!" >/dev/null; }
  if rule_for "$ip" && wait_until 60 answers; then pass "column 3 of get services answers with curl ($ip:5000)"
  else fail "column 3 of get services ($ip:5000) does not answer: a ClusterIP carries traffic only with the proxy (services issue, 10)"; fi
  ready() { [ "$(real_column 3 deployments simple-deployment)" -gt 0 ] 2>/dev/null; }
  if wait_until 120 ready; then pass "column 3 of get deployments > 0"
  else fail "column 3 of get deployments is '$(real_column 3 deployments simple-deployment)', not > 0: the Deployment needs its controllers (controllers issue, 8)"; fi
  current() { [ "$(real_column 4 hpas test-hpa)" -gt 0 ] 2>/dev/null; }
  if wait_until 120 current; then pass "column 4 of get hpas > 0"
  else fail "column 4 of get hpas is '$(real_column 4 hpas test-hpa)', not > 0: the Hpa needs its controller (autoscaling issue, 9)"; fi
  expect_output "delete pod (real node)" '^Pod deleted: greet-pod$' $RK delete pod greet-pod
  expect_output "delete service (real node)" '^Service deleted: simple-service$' $RK delete service simple-service
  expect_output "delete deployment (real node)" '^Deployment deleted: simple-deployment$' $RK delete deployment simple-deployment
  expect_output "delete hpa (real node)" '^Hpa deleted: test-hpa$' $RK delete hpa test-hpa
  expect_output "delete dns (real node)" '^Dns deleted: test-dns$' $RK delete dns test-dns
  "$MINIK8S" down --data-dir "$cluster" >"$WORK/down.log" 2>&1 || { fail "minik8s down"; cat "$WORK/down.log"; }
  FULL_CLUSTER=""
}
original_scenario_on_a_real_cluster
