#!/usr/bin/env bash
# End to end on real containerd: the Endpoints and EndpointSlice controllers of the server's
# controller manager follow the original deployment.yaml's pods behind service4depl.yaml,
# checked with the real kubectl (`get endpointslices`, `get endpoints`, JSON paths). No
# packet is sent to a ClusterIP or a pod IP: only the API is read. Run as root, alone:
#   flock /tmp/minik8s-e2e.lock bash e2e/endpoints_test.sh
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  fail "the endpoints e2e needs root: it did not run"
  finish || exit 1
fi

CLUSTER=$WORK/cluster
CGROOT=mk-ep-$$
BRIDGE=mkep$$
BRIDGE=${BRIDGE:0:15}
POD_CIDR=10.251.$((RANDOM % 200 + 20)).0/24
cleanup() {
  "$MINIK8S" down --data-dir "$CLUSTER" >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
  finish
}
trap cleanup EXIT

echo "== minik8s up"
for attempt in 1 2 3; do
  PORT=$(free_port)
  if "$MINIK8S" up --data-dir "$CLUSTER" --port "$PORT" --node-name ep-node --kubeconfig "$KUBECONFIG" \
      --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" --agent-arg=--kubelet-port=0 \
      "--agent-arg=--pod-cidr=$POD_CIDR" >"$WORK/up.log" 2>&1; then
    break
  fi
  if [ "$attempt" = 3 ] || ! grep -q "in use" "$WORK/up.log" "$CLUSTER/logs/server.log" 2>/dev/null; then
    cat "$WORK/up.log"; tail -30 "$CLUSTER/logs/server.log" 2>/dev/null; exit 1
  fi
  "$MINIK8S" down --data-dir "$CLUSTER" >/dev/null 2>&1 || true
done
expect_output "node ep-node is Ready" "ep-node +Ready" kubectl get nodes
expect_output "discovery lists discovery.k8s.io/v1" "discovery.k8s.io/v1" kubectl api-versions
expect_output "kubectl api-resources knows endpointslices" "endpointslices +discovery.k8s.io/v1 +true +EndpointSlice" \
  kubectl api-resources --api-group=discovery.k8s.io

SVC=echo-service
SEL="kubernetes.io/service-name=$SVC"
echo "== the original deployment.yaml behind service4depl.yaml ($SVC selects app=echo_server)"
check "apply deployment.yaml" kubectl apply -f "$SEEDS/deployment.yaml"
check "apply service4depl.yaml" kubectl apply -f "$SEEDS/service4depl.yaml"

# The live (not terminating) pods' IPs, sorted, comma-separated.
pod_ips() {
  kubectl get pods -l app=echo_server -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{":"}{.status.podIP}{"\n"}{end}' |
    sed -n 's/^:\(..*\)$/\1/p' | sort | paste -sd, -
}
# The slices' endpoints as "ip:ready" lines, sorted, comma-separated.
slice_endpoints() {
  kubectl get endpointslices -l "$SEL" -o jsonpath='{range .items[*].endpoints[*]}{.addresses[0]}{":"}{.conditions.ready}{"\n"}{end}' |
    sort | paste -sd, -
}
# The Endpoints' ready addresses, sorted, comma-separated.
endpoints_ready() {
  kubectl get endpoints "$SVC" -o jsonpath='{range .subsets[*].addresses[*]}{.ip}{"\n"}{end}' | sort | paste -sd, -
}
ready_ips() { pod_ips | tr ',' '\n' | sed '/^$/d' | sed 's/$/:true/' | paste -sd, -; }
three_ips() { [ "$(pod_ips | tr ',' '\n' | sed '/^$/d' | wc -l)" = 3 ]; }
slices_follow() { [ -n "$(pod_ips)" ] && [ "$(slice_endpoints)" = "$(ready_ips)" ]; }
endpoints_follow() { [ -n "$(pod_ips)" ] && [ "$(endpoints_ready)" = "$(pod_ips)" ]; }
all_ready() {
  [ "$(kubectl get pods -l app=echo_server -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{":"}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
      grep -c '^:True$')" = 3 ]
}

three_ready() { three_ips && all_ready; }
check "3 pods Ready with IPs" wait_until 180 three_ready
check "the slices list the 3 pod IPs, ready=true" wait_until 30 slices_follow
echo "       pods: $(pod_ips)"
echo "       slice endpoints: $(slice_endpoints)"
kubectl get endpointslices -l "$SEL" | sed 's/^/       /'
expect_output "kubectl get endpointslices prints ADDRESSTYPE PORTS ENDPOINTS" \
  "^$SVC-[a-z0-9]+ +IPv4 +5000 +[0-9.]+,[0-9.]+,[0-9.]+ +[0-9]+[smh]" kubectl get endpointslices -l "$SEL" --no-headers
expect_output "one slice" "^1$" bash -c "kubectl get endpointslices -l '$SEL' --no-headers | wc -l"
expect_output "it is managed by the endpointslice controller" "endpointslice-controller.k8s.io" \
  kubectl get endpointslices -l "$SEL" -o 'jsonpath={.items[0].metadata.labels.endpointslice\.kubernetes\.io/managed-by}'
SVC_UID=$(kubectl get service "$SVC" -o jsonpath='{.metadata.uid}')
expect_output "it is owned by the Service (controller)" "^Service:$SVC_UID:true$" \
  kubectl get endpointslices -l "$SEL" -o 'jsonpath={.items[0].metadata.ownerReferences[0].kind}:{.items[0].metadata.ownerReferences[0].uid}:{.items[0].metadata.ownerReferences[0].controller}'
expect_output "its port is the resolved targetPort" "^:TCP:5000$" \
  kubectl get endpointslices -l "$SEL" -o 'jsonpath={.items[0].ports[0].name}:{.items[0].ports[0].protocol}:{.items[0].ports[0].port}'
expect_output "each endpoint names its pod and node" "^(Pod:simple-deployment-[a-z0-9-]+:ep-node ?){3}$" \
  kubectl get endpointslices -l "$SEL" -o 'jsonpath={range .items[0].endpoints[*]}{.targetRef.kind}:{.targetRef.name}:{.nodeName} {end}'
check "kubectl get endpoints lists the 3 pod IPs" wait_until 30 endpoints_follow
expect_output "kubectl get endpoints prints NAME ENDPOINTS AGE" \
  "^$SVC +[0-9.]+:5000,[0-9.]+:5000,[0-9.]+:5000 +[0-9]+[smh]" kubectl get endpoints "$SVC" --no-headers
expect_output "the Endpoints carry skip-mirror" "^true$" \
  kubectl get endpoints "$SVC" -o 'jsonpath={.metadata.labels.endpointslice\.kubernetes\.io/skip-mirror}'
SLICE=$(kubectl get endpointslices -l "$SEL" -o jsonpath='{.items[0].metadata.name}')

echo "== a deleted pod: the slice follows"
VICTIM=$(kubectl get pods -l app=echo_server -o jsonpath='{.items[0].metadata.name}')
VICTIM_IP=$(kubectl get pod "$VICTIM" -o jsonpath='{.status.podIP}')
check "delete pod $VICTIM ($VICTIM_IP)" kubectl delete pod "$VICTIM" --wait=false
victim_not_ready() { ! slice_endpoints | tr ',' '\n' | grep -qx "$VICTIM_IP:true"; }
check "the terminating pod's endpoint stops being ready (or goes)" wait_until 30 victim_not_ready
healed() { three_ready && slices_follow && ! slice_endpoints | grep -q "$VICTIM_IP:"; }
check "the replacement's IP appears and the old one goes" wait_until 180 healed
echo "       pods: $(pod_ips)"
echo "       slice endpoints: $(slice_endpoints)"
expect_output "the same slice was updated in place" "^$SLICE$" \
  kubectl get endpointslices -l "$SEL" -o 'jsonpath={.items[*].metadata.name}'
check "the Endpoints follow too" wait_until 30 endpoints_follow

echo "== scale to 0: the slice empties"
check "kubectl scale --replicas=0" kubectl scale deployment simple-deployment --replicas=0
slice_empty() { [ -z "$(slice_endpoints)" ]; }
check "the slice has no endpoints" wait_until 120 slice_empty
expect_output "kubectl prints <unset> endpoints" "^$SVC-[a-z0-9]+ +IPv4 +<unset> +<unset> " \
  kubectl get endpointslices -l "$SEL" --no-headers
endpoints_empty() { [ -z "$(kubectl get endpoints "$SVC" -o jsonpath='{.subsets}')" ]; }
check "the Endpoints have no subsets" wait_until 60 endpoints_empty
expect_output "kubectl get endpoints prints <none>" "^$SVC +<none> " kubectl get endpoints "$SVC" --no-headers

echo "== a Service deleted: its slices and Endpoints go"
check "delete the Service" kubectl delete service "$SVC"
no_slices() { [ "$(kubectl get endpointslices -l "$SEL" --no-headers 2>/dev/null | wc -l)" = 0 ]; }
check "its slices are gone" wait_until 60 no_slices
no_endpoints() { ! kubectl get endpoints "$SVC" >/dev/null 2>&1; }
check "its Endpoints are gone" wait_until 60 no_endpoints
check "delete deployment.yaml" kubectl delete -f "$SEEDS/deployment.yaml"
