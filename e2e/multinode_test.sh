#!/usr/bin/env bash
# `minik8s up --nodes 3`: a multi-node cluster on one machine (like kind), on a private
# data dir, port, cgroup root, CNI bridge, underlay bridge and subnets. Node 1 runs in the
# host's network namespace, nodes 2 and 3 each in a namespace of their own on the underlay
# bridge, joined with a bootstrap token (node-csr-* CSRs) as a remote machine joins. Checks:
# 3 Ready nodes with distinct podCIDRs and the underlay addresses; the agents run inside
# their namespaces; up again is idempotent; the seed Deployment's 3 replicas run one per
# node (RoundRobin); kubectl logs and exec reach the pod on node 3 (the API server dials
# that kubelet over the bridge); down leaves no namespace, bridge, veth, cgroup, mount,
# pid file or process; pods reach pods on other nodes by pod IP (VXLAN).
# Needs root, containerd, runc and the CNI plugins. Traffic stays on the bridge this test
# makes; lib.sh's guard drops private destinations leaving through the default route.
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  fail "the multinode e2e needs root: it did not run"
  finish || exit 1
fi

D=$WORK/data
PORT=$(free_port)
NODE=mn-$$
CGROOT=minik8s-mn-$$
BRIDGE=mkmn$(($$ % 100000))
UNDERLAY=mkbr$(($$ % 100000))
SUB=10.252.$(($$ % 200 + 20))
NET=10.253.$(($$ % 200 + 20))
UP=("$MINIK8S" up --nodes 3 --data-dir "$D" --port "$PORT" --node-name "$NODE"
    --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" --node-bridge "$UNDERLAY"
    --node-subnet "$SUB.0/24" --agent-arg=--kubelet-port=0
    "--server-arg=--cluster-cidr=$NET.0/24" --server-arg=--node-cidr-mask-size=26
    --timeout 240s)
DOWN=("$MINIK8S" down --data-dir "$D")
K="kubectl --request-timeout=20s"

cleanup() {
  "${DOWN[@]}" >/dev/null 2>&1 || true
  finish
}
trap cleanup EXIT
echo "multinode e2e: data $D, port $PORT, nodes $NODE, $NODE-2, $NODE-3 on $UNDERLAY ($SUB.0/24)"

gone() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null || true); [ -z "$s" ] || [[ $s == Z* ]]; }
no_process() { ! pgrep -f -- "$1" >/dev/null; }  # pgrep never matches itself
all_gone() { local p; for p in "$@"; do gone "$p" || { echo "pid $p: $(ps -o pid=,stat=,cmd= -p "$p")"; return 1; }; done; }
netns_before=$(ip netns list | sort)

# --- up
if "${UP[@]}" >"$WORK/up.out" 2>&1; then
  pass "up --nodes 3"
else
  fail "up --nodes 3"; sed 's/^/       /' "$WORK/up.out" | tail -30
fi
grep -E '^minik8s is up in' "$WORK/up.out" | sed 's/^/       /'
check "it says the 3 nodes are Ready and how long it took" \
  grep -qE "^minik8s is up in [0-9.]+s: 3 nodes are Ready \($NODE, $NODE-2, $NODE-3;" "$WORK/up.out"
check "the kubeconfig points at the API server on the bridge" \
  bash -c "kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}' | grep -qx 'https://$SUB.1:$PORT'"
for n in "$NODE" "$NODE-2" "$NODE-3"; do
  expect_output "node $n is Ready" "^$n +Ready" $K get nodes --no-headers
done
expect_output "node k has the underlay address .k" "^$NODE $SUB\.1,$NODE-2 $SUB\.2,$NODE-3 $SUB\.3,\$" \
  $K get nodes -o 'jsonpath={range .items[*]}{.metadata.name} {.status.addresses[?(@.type=="InternalIP")].address},{end}'
CIDRS=$($K get nodes -o 'jsonpath={range .items[*]}{.spec.podCIDR}{"\n"}{end}')
check "node IPAM gave 3 distinct podCIDRs in the cluster CIDR" \
  bash -c "[ \$(grep -c '^$NET\.[0-9]*/26\$' <<<'$CIDRS') = 3 ] && [ \$(sort -u <<<'$CIDRS' | wc -l) = 3 ]"
echo "$CIDRS" | sed 's/^/       podCIDR /'

# --- the underlay and the namespaces
check "the underlay bridge has $SUB.1/24" bash -c "ip -4 addr show dev $UNDERLAY | grep -q 'inet $SUB.1/24'"
for k in 2 3; do
  NS=minik8s-$NODE-$k
  check "namespace $NS exists" bash -c "ip netns list | grep -q '^$NS\\b'"
  check "$NS has eth0 $SUB.$k/24 and a default route via $SUB.1" bash -c \
    "ip -n $NS -4 addr show dev eth0 | grep -q 'inet $SUB.$k/24' && ip -n $NS route | grep -q 'default via $SUB.1 dev eth0'"
  PID=$(cat "$D/run/agent-$NODE-$k.pid")
  expect_output "the agent of node $k (pid $PID) runs inside $NS" "^$NS\$" ip netns identify "$PID"
  CPID=$(cat "$D/nodes/$NODE-$k/containerd/containerd.pid")
  expect_output "its containerd (pid $CPID) too" "^$NS\$" ip netns identify "$CPID"
done
VETHS=$(ip -o link show master "$UNDERLAY" | awk -F': ' '{print $2}' | cut -d@ -f1 | tr '\n' ' ')
check "two veths are ports of the bridge ($VETHS)" test "$(wc -w <<<"$VETHS")" = 2
check "the agent of node 1 runs in the host's namespace" \
  test -z "$(ip netns identify "$(cat "$D/run/agent.pid")")"

# --- joined as a remote machine joins
expect_output "nodes 2 and 3 joined with a bootstrap token (their node-csr-* CSRs are issued)" \
  "^2\$" bash -c "$K get csr --no-headers | grep -E 'system:bootstrap:[a-z0-9]{6} .*Approved,Issued' | wc -l"
expect_output "the token is listed" "minik8s up --nodes" "$MINIK8S" token list
expect_output "node 3's kubeconfig is its own (system:node:$NODE-3)" "CN ?= ?system:node:$NODE-3" bash -c \
  "kubectl --kubeconfig $D/nodes/$NODE-3/kubeconfig config view --raw -o jsonpath='{.users[0].user.client-certificate-data}' | base64 -d | openssl x509 -noout -subject"

# --- up again: idempotent
PIDS_BEFORE=$(cat "$D"/run/*.pid | sort | tr '\n' ' ')
expect_output "up again says the server is already running" "server is already running" "${UP[@]}"
check "up again keeps every process" test "$(cat "$D"/run/*.pid | sort | tr '\n' ' ')" = "$PIDS_BEFORE"

# --- the seed Deployment: one replica per node
check "kubectl apply the seed deployment (3 replicas)" $K apply -f "$SEEDS/deployment.yaml"
three_running() {
  [ "$($K get pods -l app=echo_server --field-selector=status.phase=Running --no-headers | wc -l)" = 3 ]
}
check "3 pods are Running" wait_until 180 three_running
$K get pods -o wide | sed 's/^/       /'
expect_output "RoundRobin put one on each node" "^$NODE $NODE-2 $NODE-3 \$" bash -c \
  "$K get pods -l app=echo_server -o jsonpath='{range .items[*]}{.spec.nodeName}{\"\\n\"}{end}' | sort | tr '\n' ' '"
POD3=$($K get pods -l app=echo_server --field-selector=spec.nodeName=$NODE-3 -o jsonpath='{.items[0].metadata.name}')
IP3=$($K get pod "$POD3" -o jsonpath='{.status.podIP}')
CIDR3=$($K get node "$NODE-3" -o jsonpath='{.spec.podCIDR}')
check "the pod on node 3 ($IP3) has an address of node 3's podCIDR ($CIDR3)" \
  python3 -c "import ipaddress,sys; sys.exit(ipaddress.ip_address('$IP3') not in ipaddress.ip_network('$CIDR3'))"
check "node 3's pod cgroups are under $CGROOT-3" bash -c "ls -d /sys/fs/cgroup/$CGROOT-3* /sys/fs/cgroup/*/$CGROOT-3* 2>/dev/null | grep -q ."
check "node 3's CNI bridge lives in its namespace" ip -n "minik8s-$NODE-3" link show "${BRIDGE%%[0-9]*}3"
expect_output "kubectl logs of the pod on node 3 (over the bridge to its kubelet)" "listening on :5000" \
  $K logs "$POD3"
expect_output "kubectl exec into the pod on node 3" "^$POD3\$" $K exec "$POD3" -- hostname
# --- the pod network across nodes (the agents' VXLAN controller)
POD1=$($K get pods -l app=echo_server --field-selector=spec.nodeName=$NODE -o jsonpath='{.items[0].metadata.name}')
POD2=$($K get pods -l app=echo_server --field-selector=spec.nodeName=$NODE-2 -o jsonpath='{.items[0].metadata.name}')
IP2=$($K get pod "$POD2" -o jsonpath='{.status.podIP}')
fetch() {  # fetch POD URL: an HTTP GET from inside the pod (its image has python3)
  $K exec "$1" -- python3 -c "import urllib.request; print(urllib.request.urlopen('$2', timeout=3).read().decode())"
}
for target in "$IP2" "$IP3"; do
  answers_from() { fetch "$POD1" "http://$target:5000/" | grep -q "IP Address: $target"; }
  check "the pod on node 1 reaches the pod at $target on another node by pod IP" wait_until 60 answers_from
done
answers_2_to_3() { fetch "$POD2" "http://$IP3:5000/" | grep -q "IP Address: $IP3"; }
check "the pod on node 2 reaches the pod on node 3 by pod IP" wait_until 30 answers_2_to_3
host_reaches() { curl -fsS -m 3 "http://$IP3:5000/" | grep -q "IP Address: $IP3"; }
check "the host (node 1) reaches the pod on node 3 over VXLAN" wait_until 30 host_reaches
check "node 1 has its VXLAN device minik8s.1" ip link show minik8s.1

SHIMS=$(for k in "" -2 -3; do
  S=$D/node/containerd/containerd.sock; [ -n "$k" ] && S=$D/nodes/$NODE$k/containerd/containerd.sock
  pgrep -f -- "containerd-shim.*-address $S" || true
done | tr '\n' ' ')
check "each node runs shims ($SHIMS)" test "$(wc -w <<<"$SHIMS")" -ge 3
ALL_PIDS="$(cat "$D"/run/*.pid "$D"/node/containerd/containerd.pid "$D"/nodes/*/containerd/containerd.pid | tr '\n' ' ') $SHIMS"

# --- down: nothing left
expect_output "down stops everything" "minik8s is down" "${DOWN[@]}"
check "no process we started is left (server, agents, containerds, shims)" all_gone $ALL_PIDS
check "no process of the data dir is left" no_process "$D/"
check "no network namespace is left" test "$(ip netns list | sort)" = "$netns_before"
check "the underlay bridge is gone" bash -c "! ip link show $UNDERLAY 2>/dev/null"
for v in $VETHS; do check "veth $v is gone" bash -c "! ip link show $v 2>/dev/null"; done
check "no address of the underlay is left" bash -c "! ip -4 addr | grep -q 'inet $SUB\.'"
check "no route to the pod network is left" bash -c "! ip route | grep -q '$NET\.'"
check "no VXLAN device of ours is left" bash -c "! ip link show minik8s.1 2>/dev/null"
check "no masquerade chain of the pod network is left" bash -c "! iptables -w 5 -t nat -S | grep -q MINIK8S-POD-MASQ"
check "no cgroup of ours is left" bash -c "! ls -d /sys/fs/cgroup/$CGROOT* /sys/fs/cgroup/*/$CGROOT* 2>/dev/null | grep -q ."
check "nothing is mounted under the data dir" bash -c "! mount | grep -q -- '$D'"
check "pid files are removed" bash -c "! ls $D/run/*.pid 2>/dev/null | grep -q ."
check "the extra nodes' state is removed (their images stay)" bash -c \
  "[ \"\$(ls $D/nodes/$NODE-2)\" = containerd ] && [ \"\$(ls $D/nodes/$NODE-3)\" = containerd ]"
expect_output "down again is a no-op" "nothing is running" "${DOWN[@]}"

# --- errors
expect_error_output "more nodes than the subnet holds is refused" "do not fit" \
  "$MINIK8S" up --nodes 7 --node-subnet 10.252.0.0/29 --data-dir "$WORK/small" --timeout 5s
expect_error_output "--nodes without TLS is refused" "needs --tls" \
  "$MINIK8S" up --nodes 2 --tls=false --data-dir "$WORK/plain" --timeout 5s
