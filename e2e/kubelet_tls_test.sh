#!/usr/bin/env bash
# End to end: on a `minik8s up` cluster (TLS) the kubelet endpoint serves HTTPS to the API
# server only. curl without a client certificate is refused, a node's certificate gets 403,
# the admin's (system:masters) is served, plain HTTP gets nothing; kubectl logs, exec and
# the metrics API (all through the API server's kubelet client certificate) work. Run as
# root.
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  fail "the kubelet TLS e2e needs root: it did not run"
  finish || exit 1
fi

CLUSTER=$WORK/cluster
CGROOT=mk-ktls-$$
BRIDGE=mkktls$$
BRIDGE=${BRIDGE:0:15}
PORT=$(free_port)
POD_CIDR=10.253.$((RANDOM % 200 + 20)).0/24
cleanup() {
  "$MINIK8S" down --data-dir "$CLUSTER" >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
  finish
}
trap cleanup EXIT

echo "== minik8s up"
for attempt in 1 2 3; do
  if "$MINIK8S" up --data-dir "$CLUSTER" --port "$PORT" --node-name ktls-node --kubeconfig "$KUBECONFIG" \
      --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" --agent-arg=--kubelet-port=0 \
      "--agent-arg=--pod-cidr=$POD_CIDR" >"$WORK/up.log" 2>&1; then
    break
  fi
  if [ "$attempt" = 3 ] || ! grep -q "in use" "$WORK/up.log" "$CLUSTER/logs/server.log" 2>/dev/null; then
    cat "$WORK/up.log"; tail -30 "$CLUSTER/logs/agent.log" 2>/dev/null; exit 1
  fi
  "$MINIK8S" down --data-dir "$CLUSTER" >/dev/null 2>&1 || true
  PORT=$(free_port)
done
expect_output "node ktls-node is Ready" "ktls-node +Ready" kubectl get nodes
api_credentials

KPORT=$(kubectl get node ktls-node -o jsonpath='{.status.daemonEndpoints.kubeletEndpoint.Port}')
KURL=https://127.0.0.1:$KPORT
echo "== the kubelet endpoint on $KURL"
NODE_CONFIG=$CLUSTER/node/kubeconfig
node_view() { kubectl --kubeconfig "$NODE_CONFIG" config view --raw --minify -o jsonpath="$1"; }
node_view '{.users[0].user.client-certificate-data}' | base64 -d >"$WORK/node.crt"
node_view '{.users[0].user.client-key-data}' | base64 -d >"$WORK/node.key"
chmod 600 "$WORK/node.key"
code() { curl -sk -o "$WORK/body" -w '%{http_code}' -m 5 "$@" || true; }

expect_fail "curl without a client certificate is refused" curl -sSfk -m 5 "$KURL/healthz"
expect_fail "plain HTTP to the kubelet port gets no answer" curl -sSf -m 5 "http://127.0.0.1:$KPORT/healthz"
expect_output "the serving certificate is the cluster CA's, for 127.0.0.1" "ok" \
  curl -sS -m 5 --cacert "$API_CA" --cert "$API_CERT" --key "$API_KEY" "$KURL/healthz"
check "a node's certificate gets 403" \
  test "$(code --cert "$WORK/node.crt" --key "$WORK/node.key" "$KURL/stats/summary")" = 403
expect_output "... as a Kubernetes Status naming the user" \
  'user=system:node:ktls-node.*"reason":"Forbidden"' cat "$WORK/body"
check "the admin's certificate (system:masters) is served" \
  test "$(code --cert "$API_CERT" --key "$API_KEY" "$KURL/stats/summary")" = 200

echo "== logs, exec and metrics through the API server"
cat >"$WORK/talker.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  containers:
  - name: talk
    image: busybox:1.36.1
    command: ["sh", "-c", "echo hello-from-ktls; sleep 3600"]
YAML
check "create talker" kubectl create -f "$WORK/talker.yaml"
running() { [ "$(kubectl get pod talker -o jsonpath='{.status.phase}')" = Running ]; }
check "talker runs" wait_until 120 running
logs_say() { kubectl logs talker | grep -q hello-from-ktls; }
check "kubectl logs reads the container's output over TLS" wait_until 30 logs_say
expect_output "kubectl exec runs a command over TLS" "^exec-ok$" kubectl exec talker -- echo exec-ok
expect_output "kubectl exec -i passes stdin" "^piped$" bash -c 'echo piped | kubectl exec -i talker -- cat'
metrics() { kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes | grep -q ktls-node; }
check "the metrics API reads the kubelet's summary over TLS" wait_until 60 metrics
check "delete talker" kubectl delete pod talker --grace-period=0 --wait=false
