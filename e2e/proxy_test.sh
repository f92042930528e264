#!/usr/bin/env bash
# End to end: the real `minik8s proxy` binary beside a real `minik8s server`, both inside a
# "node" network namespace this script creates, with two "pod" namespaces (busybox httpd
# answering pod-a / pod-b) joined to it by veths. Services and EndpointSlices go in through
# the real kubectl; traffic is real curl from the node namespace. Nothing runs in, or is
# sent out of, the host's own namespace: the node's default route ends in a bridge without
# ports. Run as root:
#   bash e2e/proxy_test.sh
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  fail "the proxy e2e needs root: it did not run"
  finish || exit 1
fi

TAG=mkpe$$
NODE=${TAG}n
POD_A=${TAG}a
POD_B=${TAG}b
PROXY_PID=""
HTTPD_PIDS=()
cleanup() {
  [ -n "$PROXY_PID" ] && kill -KILL "$PROXY_PID" 2>/dev/null || true
  for pid in "${HTTPD_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  stop_server
  for ns in "$NODE" "$POD_A" "$POD_B"; do ip netns del "$ns" 2>/dev/null || true; done
  finish
}
trap cleanup EXIT

on_node() { ip netns exec "$NODE" "$@"; }
k() { on_node kubectl "$@"; }
# get IP PORT: the body curl fetched from the node namespace (curl's exit code on failure).
get() { on_node curl -sS -m 2 "http://$1:$2/" 2>&1; }

echo "== namespaces"
for ns in "$NODE" "$POD_A" "$POD_B"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
i=1
for pod in "$POD_A" "$POD_B"; do
  ip -n "$NODE" link add "v$i" type veth peer name eth0 netns "$pod"
  ip -n "$NODE" addr add "10.250.$i.1/24" dev "v$i"
  ip -n "$NODE" link set "v$i" up
  ip -n "$pod" addr add "10.250.$i.2/24" dev eth0
  ip -n "$pod" link set eth0 up
  ip -n "$pod" route add default via "10.250.$i.1"
  mkdir -p "$WORK/www$i"
  echo "pod-$([ $i = 1 ] && echo a || echo b)" >"$WORK/www$i/index.html"
  ip netns exec "$pod" busybox httpd -f -p 8080 -h "$WORK/www$i" &
  HTTPD_PIDS+=($!)
  i=$((i + 1))
done
ip -n "$NODE" link add nowhere type bridge
ip -n "$NODE" addr add 10.250.0.1/32 dev nowhere
ip -n "$NODE" link set nowhere up
ip -n "$NODE" route add default dev nowhere
on_node sysctl -q -w net.ipv4.ip_forward=1
check "pod-a answers on its own address" wait_until 10 on_node curl -fsS -m 1 http://10.250.1.2:8080/

echo "== minik8s server and minik8s proxy in the node namespace"
PORT=6443
# Started with `ip netns exec` itself, not through on_node: a backgrounded shell function
# would leave $! the subshell's PID, and stopping that would leave the server running.
ip netns exec "$NODE" "$MINIK8S" server --port "$PORT" --data-dir "$WORK/data" --log-level warn \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
if ! wait_until 30 on_node curl -fsS -m 1 "http://127.0.0.1:$PORT/readyz"; then
  fail "minik8s server did not start in the node namespace"
  cat "$WORK/server.log"; exit 1
fi
write_kubeconfig "$KUBECONFIG" "http://127.0.0.1:$PORT"
start_proxy() {
  ip netns exec "$NODE" "$MINIK8S" proxy --server "http://127.0.0.1:$PORT" --hostname-override node-a \
    --balance round-robin --min-sync-period 100ms --log-level debug >>"$WORK/proxy.log" 2>&1 &
  PROXY_PID=$!
}
start_proxy

cat >"$WORK/web.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  ports: [{name: http, port: 80, targetPort: 8080}]
YAML
slice() {  # slice IP...: the EndpointSlice of web with these endpoints
  local eps=""
  for ip in "$@"; do eps="$eps{addresses: [$ip], conditions: {ready: true}, nodeName: node-a},"; done
  cat <<YAML
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, protocol: TCP, port: 8080}]
endpoints: [${eps%,}]
YAML
}
check "a NodePort Service without a selector" k apply -f "$WORK/web.yaml"
slice 10.250.1.2 10.250.2.2 >"$WORK/slice.yaml"
check "its EndpointSlice with both pods" k apply -f "$WORK/slice.yaml"
IP=$(k get service web -o jsonpath='{.spec.clusterIP}')
NODE_PORT=$(k get service web -o jsonpath='{.spec.ports[0].nodePort}')
echo "   ClusterIP $IP, NodePort $NODE_PORT"

check "the ClusterIP answers" wait_until 10 on_node curl -fsS -m 1 "http://$IP/"
counts=$(for _ in $(seq 30); do get "$IP" 80; done | sort | uniq -c | tr -s ' ' | tr '\n' ';')
if [ "$counts" = " 15 pod-a; 15 pod-b;" ]; then pass "round-robin: 30 requests, 15 each ($counts)"
else fail "round-robin: 30 requests, wanted 15 each, got $counts"; fi
expect_output "the NodePort answers on the node's address" "pod-" get 10.250.1.1 "$NODE_PORT"
expect_output "the NodePort answers on 127.0.0.1" "pod-" get 127.0.0.1 "$NODE_PORT"
expect_error_output "an unowned service IP is refused" "Failed to connect|Connection refused" get 10.111.222.1 80

echo "== kill -9 of the proxy: traffic keeps flowing, a new proxy reconciles"
kill -KILL "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
ok=0; bad=0
for _ in $(seq 20); do
  if get "$IP" 80 | grep -q pod-; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
  sleep 0.1
done
if [ "$bad" = 0 ]; then pass "20 requests every 100 ms without a proxy process: all answered"
else fail "$bad of 20 requests failed after the proxy was killed"; fi
slice 10.250.2.2 >"$WORK/slice.yaml"
check "the slice shrinks to pod-b while no proxy runs" k apply -f "$WORK/slice.yaml"
ok=0; bad=0
start_proxy
for _ in $(seq 30); do
  if get "$IP" 80 | grep -q pod-; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
  sleep 0.1
done
if [ "$bad" = 0 ]; then pass "30 requests across the proxy's restart: all answered"
else fail "$bad of 30 requests failed across the proxy's restart"; fi
check "the restarted proxy sends everything to pod-b" \
  bash -c "for i in 1 2 3 4 5 6; do ip netns exec $NODE curl -sS -m 2 http://$IP/ | grep -qx pod-b || exit 1; done"

echo "== scaled to 0: refused at once"
slice >"$WORK/slice.yaml"
check "the slice is emptied" k apply -f "$WORK/slice.yaml"
check "the ClusterIP refuses" wait_until 10 bash -c "ip netns exec $NODE curl -sS -m 2 http://$IP/ 2>&1 | grep -q 'Connection refused\|Failed to connect'"
start=$(date +%s%N)
get "$IP" 80 >/dev/null || true
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$ms" -lt 500 ]; then pass "a refused request returns in $ms ms"; else fail "a refused request took $ms ms"; fi

echo "== --cleanup"
kill -TERM "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; PROXY_PID=""
expect_output "rules stay after the proxy stops" "KUBE-SERVICES" on_node iptables-save -t nat
check "minik8s proxy --cleanup" on_node "$MINIK8S" proxy --cleanup
# grep without -q: an early exit would SIGPIPE iptables-save, and under pipefail a match
# (the failure this looks for) would then read as no match.
if on_node iptables-save | grep KUBE- >/dev/null; then fail "KUBE-* chains remain after --cleanup"
else pass "no KUBE-* chain or rule remains"; fi
check "--cleanup again (nothing to do)" on_node "$MINIK8S" proxy --cleanup

echo "== nothing left running"
stop_server
SERVER_PID=""
check "no process of this test is left in the node namespace" test -z "$(ip netns pids "$NODE")"
