#!/usr/bin/env bash
# A node's life on `minik8s up --nodes 3`: a 4th node joins the running cluster from a
# manifest in the original's node.yaml format (`up --node-config`: its name, labels and
# spec.ip, in a network namespace of its own, through the bootstrap token path), and node 2
# dies (its agent and containerd killed by PID): the node lifecycle controller marks it
# Unknown and taints it, taint eviction removes its pods and the Deployment's replacements
# run on the other nodes. The times from the kill to Unknown and to the replacement are
# printed. Short timings come from flags: the kubelets post status every second, the
# controller looks every 500 ms and allows 5 s of silence, pods tolerate unreachable 1 s.
# Then down leaves nothing (no namespace, bridge, veth, cgroup, mount or process). Only the
# image the test runs is loaded into the nodes (--stock-images myip): each import costs.
# Needs root, containerd, runc and the CNI plugins. Its subnets (10.236/10.237) differ from
# multinode_test.sh's; lib.sh's guard drops private destinations leaving by the default route.
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  fail "the multinode lifecycle e2e needs root: it did not run"
  finish || exit 1
fi

D=$WORK/data
PORT=$(free_port)
NODE=ml-$$
NODE4=w4-$$
CGROOT=minik8s-ml-$$
BRIDGE=mkml$(($$ % 100000))
UNDERLAY=mklb$(($$ % 100000))
SUB=10.236.$(($$ % 200 + 20))
NET=10.237.$(($$ % 200 + 20))
UP=("$MINIK8S" up --nodes 3 --data-dir "$D" --port "$PORT" --node-name "$NODE"
    --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" --node-bridge "$UNDERLAY"
    --node-subnet "$SUB.0/24" --agent-arg=--kubelet-port=0
    --agent-arg=--node-status-update-frequency=1s
    "--server-arg=--cluster-cidr=$NET.0/24" --server-arg=--node-cidr-mask-size=26
    --server-arg=--node-monitor-period=500ms --server-arg=--node-monitor-grace-period=5s
    --server-arg=--default-unreachable-toleration-seconds=1
    --server-arg=--default-not-ready-toleration-seconds=1
    --stock-images myip --timeout 240s)
DOWN=("$MINIK8S" down --data-dir "$D")
K="kubectl --request-timeout=20s"

cleanup() {
  "${DOWN[@]}" >/dev/null 2>&1 || true
  finish
}
trap cleanup EXIT
echo "multinode lifecycle e2e: data $D, port $PORT, nodes $NODE, $NODE-2, $NODE-3 + $NODE4 on $UNDERLAY ($SUB.0/24)"

gone() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null || true); [ -z "$s" ] || [[ $s == Z* ]]; }
no_process() { ! pgrep -f -- "$1" >/dev/null; }
all_gone() { local p; for p in "$@"; do gone "$p" || { echo "pid $p: $(ps -o pid=,stat=,cmd= -p "$p")"; return 1; }; done; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print('%.1f' % ($2 - $1))"; }
netns_before=$(ip netns list | sort)

# --- up --nodes 3
if "${UP[@]}" >"$WORK/up.out" 2>&1; then pass "up --nodes 3"; else fail "up --nodes 3"; sed 's/^/       /' "$WORK/up.out" | tail -30; fi
grep -E '^minik8s is up in|loaded' "$WORK/up.out" | sed 's/^/       /'
for n in "$NODE" "$NODE-2" "$NODE-3"; do
  expect_output "node $n is Ready" "^$n +Ready" $K get nodes --no-headers
done

# --- a 4th node from the original's node.yaml, on the running cluster
cat >"$WORK/node.yaml" <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $NODE4
  labels:
    zone: b
    role: worker
spec:
  ip: $SUB.44
YAML
if "${UP[@]}" --node-config "$WORK/node.yaml" >"$WORK/up4.out" 2>&1; then
  pass "up --node-config node.yaml on the running cluster"
else
  fail "up --node-config node.yaml on the running cluster"; sed 's/^/       /' "$WORK/up4.out" | tail -30
fi
grep -E '^minik8s is up in|loaded' "$WORK/up4.out" | sed 's/^/       /'
check "it says 4 nodes are Ready" \
  grep -qE "^minik8s is up in [0-9.]+s: 4 nodes are Ready \($NODE, $NODE-2, $NODE-3, $NODE4;" "$WORK/up4.out"
check "the running nodes were left alone" grep -q "agent of node $NODE-3 is already running" "$WORK/up4.out"
expect_output "node $NODE4 is Ready" "^$NODE4 +Ready" $K get nodes --no-headers
expect_output "it has the manifest's labels" "^b worker$NODE4\$" \
  $K get node "$NODE4" -o 'jsonpath={.metadata.labels.zone} {.metadata.labels.role}{.metadata.labels.kubernetes\.io/hostname}'
expect_output "its InternalIP is the manifest's spec.ip" "^$SUB\.44\$" \
  $K get node "$NODE4" -o 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}'
NS4=minik8s-$NODE4
check "namespace $NS4 has eth0 $SUB.44/24" bash -c "ip -n $NS4 -4 addr show dev eth0 | grep -q 'inet $SUB.44/24'"
expect_output "its agent runs inside $NS4" "^$NS4\$" ip netns identify "$(cat "$D/run/agent-$NODE4.pid")"
expect_output "it joined with a bootstrap token (3 node-csr-* CSRs issued)" "^3\$" bash -c \
  "$K get csr --no-headers | grep -E 'system:bootstrap:[a-z0-9]{6} .*Approved,Issued' | wc -l"
CIDRS=$($K get nodes -o 'jsonpath={range .items[*]}{.spec.podCIDR}{"\n"}{end}')
check "4 distinct podCIDRs" bash -c "[ \$(grep -c '^$NET\.[0-9]*/26\$' <<<'$CIDRS') = 4 ] && [ \$(sort -u <<<'$CIDRS' | wc -l) = 4 ]"
PIDS_BEFORE=$(cat "$D"/run/*.pid | sort | tr '\n' ' ')
expect_output "up --node-config again is idempotent" "4 nodes are Ready" "${UP[@]}" --node-config "$WORK/node.yaml"
check "  and keeps every process" test "$(cat "$D"/run/*.pid | sort | tr '\n' ' ')" = "$PIDS_BEFORE"
expect_output "up without --node-config keeps the 4th node" "4 nodes are Ready" "${UP[@]}"
sed "s/$SUB\.44/$SUB.45/" "$WORK/node.yaml" >"$WORK/moved.yaml"
expect_error_output "the same node at another address is refused" "minik8s down" \
  "${UP[@]}" --node-config "$WORK/moved.yaml"
sed "s/name: $NODE4/name: x-$$/; s/$SUB\.44/$SUB.2/" "$WORK/node.yaml" >"$WORK/taken.yaml"
expect_error_output "a spec.ip another node has is refused" "is taken by node $NODE-2" \
  "${UP[@]}" --node-config "$WORK/taken.yaml"
sed "s/name: $NODE4/name: x-$$/; s/$SUB\.44/192.0.2.7/" "$WORK/node.yaml" >"$WORK/outside.yaml"
expect_error_output "a spec.ip outside --node-subnet is refused" "not in --node-subnet $SUB.0/24" \
  "${UP[@]}" --node-config "$WORK/outside.yaml"

# --- a Deployment over the 4 nodes
sed 's/replicas: 3/replicas: 4/' "$SEEDS/deployment.yaml" >"$WORK/deployment.yaml"
check "kubectl apply the seed deployment with 4 replicas" $K apply -f "$WORK/deployment.yaml"
available() { [ "$($K get deployment simple-deployment -o jsonpath='{.status.availableReplicas}')" = "$1" ]; }
check "4 replicas are available" wait_until 180 available 4
expect_output "RoundRobin put one on each node" "^$NODE $NODE-2 $NODE-3 $NODE4 \$" bash -c \
  "$K get pods -l app=echo_server -o jsonpath='{range .items[*]}{.spec.nodeName}{\"\\n\"}{end}' | sort | tr '\n' ' '"
POD2=$($K get pods -l app=echo_server --field-selector=spec.nodeName=$NODE-2 -o jsonpath='{.items[0].metadata.name}')

# --- node 2 dies: its agent and containerd, by PID
AGENT2=$(cat "$D/run/agent-$NODE-2.pid")
CONTAINERD2=$(cat "$D/nodes/$NODE-2/containerd/containerd.pid")
T0=$(now)
kill -KILL "$AGENT2" "$CONTAINERD2"
echo "       killed node $NODE-2: agent $AGENT2, containerd $CONTAINERD2"
ready_status() { $K get node "$NODE-2" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'; }
is_unknown() { [ "$(ready_status)" = Unknown ]; }
if wait_until 60 is_unknown; then
  T1=$(now)
  pass "node $NODE-2 becomes Unknown ($(since "$T0" "$T1") s after the kill)"
else
  fail "node $NODE-2 becomes Unknown (Ready is $(ready_status))"
fi
expect_output "  with the reason the node lifecycle controller gives" "NodeStatusUnknown" \
  $K get node "$NODE-2" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].reason}'
expect_output "  and the unreachable NoExecute taint" "node.kubernetes.io/unreachable:NoExecute" \
  $K get node "$NODE-2" -o 'jsonpath={range .spec.taints[*]}{.key}:{.effect}{"\n"}{end}'
# Replaced: 4 available again, every live pod off node 2, node 2's pod being deleted (its
# kubelet is gone, so it stays Terminating, as in Kubernetes).
live_pods() {  # the Deployment's pods not being deleted: "node phase" lines
  $K get pods -l app=echo_server -o json | python3 -c "import json,sys
for p in json.load(sys.stdin)['items']:
    if 'deletionTimestamp' not in p['metadata']:
        print(p['spec'].get('nodeName', ''), p['status'].get('phase', ''))"
}
replaced() {
  available 4 || return 1
  local live
  live=$(live_pods) || return 1
  [ "$(grep -c ' Running$' <<<"$live")" = 4 ] && ! grep -q "^$NODE-2 " <<<"$live"
}
if wait_until 90 replaced; then
  T2=$(now)
  pass "its pod is replaced on the other nodes: 4 available, none live on $NODE-2 ($(since "$T0" "$T2") s after the kill)"
else
  fail "its pod is replaced on the other nodes"
  $K get pods -o wide | sed 's/^/       /'
fi
$K get pods -l app=echo_server -o wide | sed 's/^/       /'
expect_output "the pod on $NODE-2 was evicted (DeletionByTaintManager) and is being deleted" \
  "^DeletionByTaintManager True\$" bash -c \
  "$K get pod $POD2 -o json | python3 -c \"import json,sys; p=json.load(sys.stdin); print(' '.join(c.get('reason','') for c in p['status']['conditions'] if c['type']=='DisruptionTarget'), 'deletionTimestamp' in p['metadata'])\""
if [ -n "${T1:-}" ] && [ -n "${T2:-}" ]; then
  echo "       TIMES: kill -> Unknown $(since "$T0" "$T1") s, kill -> replaced (4/4 available) $(since "$T0" "$T2") s"
fi

SHIMS=$(for s in "$D"/node/containerd/containerd.sock "$D"/nodes/*/containerd/containerd.sock; do
  pgrep -f -- "containerd-shim.*-address $s" || true
done | tr '\n' ' ')
ALL_PIDS="$(cat "$D"/run/*.pid "$D"/node/containerd/containerd.pid "$D"/nodes/*/containerd/containerd.pid 2>/dev/null | tr '\n' ' ') $SHIMS"
VETHS=$(ip -o link show master "$UNDERLAY" | awk -F': ' '{print $2}' | cut -d@ -f1 | tr '\n' ' ')
check "three veths are ports of the bridge ($VETHS)" test "$(wc -w <<<"$VETHS")" = 3

# --- down: nothing left, the 4th node included
expect_output "down stops everything" "minik8s is down" "${DOWN[@]}"
check "no process we started is left (server, agents, containerds, shims)" all_gone $ALL_PIDS
check "no process of the data dir is left" no_process "$D/"
check "no network namespace is left" test "$(ip netns list | sort)" = "$netns_before"
check "the underlay bridge is gone" bash -c "! ip link show $UNDERLAY 2>/dev/null"
for v in $VETHS; do check "veth $v is gone" bash -c "! ip link show $v 2>/dev/null"; done
check "no address of the underlay is left" bash -c "! ip -4 addr | grep -q 'inet $SUB\.'"
check "no route to the pod network is left" bash -c "! ip route | grep -q '$NET\.'"
check "no cgroup of ours is left" bash -c "! ls -d /sys/fs/cgroup/$CGROOT* /sys/fs/cgroup/*/$CGROOT* 2>/dev/null | grep -q ."
check "nothing is mounted under the data dir" bash -c "! mount | grep -q -- '$D'"
check "pid files are removed" bash -c "! ls $D/run/*.pid 2>/dev/null | grep -q ."
check "the 4th node's state is removed (its images stay)" bash -c "[ \"\$(ls $D/nodes/$NODE4)\" = containerd ]"
