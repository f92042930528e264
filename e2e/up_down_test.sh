#!/usr/bin/env bash
# `minik8s up` / `minik8s down` on a private data dir, port, cgroup root, CNI bridge and
# pod CIDR (never the user's /var/lib/minik8s or ~/.kube): up from nothing → node Ready;
# the kubeconfig it merges works with the real kubectl and keeps other contexts; up again
# is idempotent; a pod runs and answers on its IP; kill -9 of the agent and another up
# leave containerd and every container running (same PIDs and IDs); down leaves nothing
# behind (processes by their recorded PIDs, mounts, netns, iptables, cgroups, the bridge);
# down again is a no-op; the objects survive down/up; a port in use is a one-line error.
# Needs root, containerd, runc and the CNI plugins; without root it fails (it did not run).
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  fail "the up/down e2e needs root: it did not run"
  finish || exit 1
fi

D=$WORK/data
SOCK=$D/node/containerd/containerd.sock
PORT=$(free_port)
NODE=e2e-node-$$
CGROOT=minik8s-e2e-$$
BRIDGE=mke2e$(($$ % 100000))
NET=10.253.$(($$ % 200 + 20))
UP=("$MINIK8S" up --data-dir "$D" --port "$PORT" --node-name "$NODE" --cgroup-root "$CGROOT"
    --cni-bridge "$BRIDGE" --agent-arg=--kubelet-port=0
    # The node's podCIDR comes from the control plane's node IPAM, inside this test's range.
    "--server-arg=--cluster-cidr=$NET.0/24" --server-arg=--node-cidr-mask-size=25
    --timeout 90s)
DOWN=("$MINIK8S" down --data-dir "$D")
K="kubectl --request-timeout=20s"

cleanup() {
  "${DOWN[@]}" >/dev/null 2>&1 || true
  finish
}
trap cleanup EXIT
echo "up/down e2e: data $D, port $PORT, node $NODE"

# A process of ours is gone: no such PID, or a zombie waiting for init.
gone() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null || true); [ -z "$s" ] || [[ $s == Z* ]]; }
all_gone() { local p; for p in "$@"; do gone "$p" || { echo "pid $p: $(ps -o pid=,stat=,cmd= -p "$p")"; return 1; }; done; }
no_process() { ! pgrep -f -- "$1" >/dev/null; }  # pgrep never matches itself
tasks() { ctr -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null | sort | tr '\n' ' '; }
netns_before=$(ip netns list | sort)
hostport_chains_before=$(iptables -w 5 -t nat -S | grep -c '^-N CNI-HOSTPORT-' || true)

# A kubeconfig with someone else's context: up merges into it.
cat >"$KUBECONFIG" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: other
  cluster:
    server: https://other.example:6443
contexts:
- name: other
  context:
    cluster: other
    user: other
current-context: other
users:
- name: other
  user:
    token: abc
KCFG

# --- up from nothing
expect_output "up from nothing: the node is Ready" "node $NODE is Ready" "${UP[@]}"
SERVER_PID=$(cat "$D/run/server.pid")
AGENT_PID=$(cat "$D/run/agent.pid")
CONTAINERD_PID=$(cat "$D/node/containerd/containerd.pid")
ETCD_PID=$(pgrep -f -- "--data-dir=$D/server/etcd" | head -1 || true)
check "server, agent, containerd and etcd run" kill -0 "$SERVER_PID" "$AGENT_PID" "$CONTAINERD_PID" "$ETCD_PID"
check "logs and pid files are under the data dir" test -s "$D/logs/server.log" -a -s "$D/logs/agent.log" -a -f "$D/run/cluster.json"
expect_output "the agent runs in its own session" "^ *$AGENT_PID\$" ps -o sid= -p "$AGENT_PID"
expect_output "kubectl get nodes: Ready" "^$NODE +Ready" $K get nodes
expect_output "node IPAM gave the node its podCIDR" "^$NET\.0/25$" $K get node "$NODE" -o 'jsonpath={.spec.podCIDR}'
expect_output "current context is minik8s" "^minik8s$" kubectl config current-context
expect_output "the other context is kept" "other" kubectl config get-contexts -o name
expect_output "the stock images are loaded" "greeting-app" "$MINIK8S" image ls --address "$SOCK"

# --- up again: idempotent
expect_output "up again says it is already running" "server is already running \(pid $SERVER_PID\)" "${UP[@]}"
check "up again keeps the same agent" test "$(cat "$D/run/agent.pid")" = "$AGENT_PID"
check "up again keeps the same containerd" test "$(cat "$D/node/containerd/containerd.pid")" = "$CONTAINERD_PID"

# --- a pod
sed -e "s/^\(  nodeName:\).*/\1 $NODE/" -e "s#/root/shared_dir#$WORK/shared#" \
  "$SEEDS/pod.yaml" >"$WORK/pod.yaml"
check "kubectl apply pod.yaml" $K apply -f "$WORK/pod.yaml"
pod_running() { [ "$($K get pod greet-pod -o jsonpath='{.status.phase}')" = Running ]; }
check "greet-pod is Running" wait_until 120 pod_running
IP=$($K get pod greet-pod -o jsonpath='{.status.podIP}')
greets() { curl -fsS -m 3 "http://$IP:5000/" | grep -q "Nice to meet you, World!"; }
check "the greeting container answers on $IP:5000" wait_until 60 greets
HOSTPORT=$(free_port)
cat >"$WORK/hostport.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: web-hostport}
spec:
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo hostport-ok >/www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: [{containerPort: 8080, hostPort: $HOSTPORT}]
YAML
check "a pod with a hostPort" $K apply -f "$WORK/hostport.yaml"
hostport_answers() { curl -fsS -m 3 "http://127.0.0.1:$HOSTPORT/" | grep -q hostport-ok; }
check "it answers on 127.0.0.1:$HOSTPORT (portmap)" wait_until 60 hostport_answers
TASKS=$(tasks)
check "containerd runs the pod's containers" test -n "$TASKS"
SHIMS=$(pgrep -f -- "containerd-shim.*-address $SOCK" | tr '\n' ' ')

# --- kill -9 of the agent, then up: every container keeps running
kill -KILL "$AGENT_PID"
check "the agent is gone after kill -9" wait_until 5 gone "$AGENT_PID"
check "containerd survives the agent's kill -9" kill -0 "$CONTAINERD_PID"
expect_output "up after the agent's kill -9 starts a new agent" "started agent" "${UP[@]}"
NEW_AGENT=$(cat "$D/run/agent.pid")
check "the new agent adopted containerd (same pid)" test "$(cat "$D/node/containerd/containerd.pid")" = "$CONTAINERD_PID"
check "the agent's log says so" wait_until 10 grep -q "containerd adopted" "$D/logs/agent.log"
sleep 3  # a few relist periods of the new kubelet
check "the same containers still run (same IDs)" test "$(tasks)" = "$TASKS"
check "the pod still answers" greets
expect_output "the pod is still Running with 0 restarts" "greet-pod +3/3 +Running +0 " $K get pods

# --- down: nothing left behind
expect_output "down stops everything" "minik8s is down" "${DOWN[@]}"
check "no process we started is left (server, agent, etcd, containerd, shims)" \
  all_gone "$SERVER_PID" "$NEW_AGENT" "$ETCD_PID" "$CONTAINERD_PID" $SHIMS
check "no containerd of the data dir runs" no_process "containerd --config $D/node/containerd/config.toml"
check "no shim of the data dir runs" no_process "containerd-shim.*-address $SOCK"
check "nothing is mounted under the data dir" bash -c "! mount | grep -q -- '$D'"
check "no network namespace is left" test "$(ip netns list | sort)" = "$netns_before"
check "no iptables rule for the pod network is left" bash -c "! iptables -w 5 -t nat -S | grep -q -- '$NET\.'"
check "no hostPort rule of ours is left" bash -c "! iptables -w 5 -t nat -S | grep -q -- '--dport $HOSTPORT '"
if [ "$hostport_chains_before" = 0 ] && ! iptables -w 5 -t nat -S | grep -q '^-A CNI-HOSTPORT-DNAT'; then
  check "portmap's CNI-HOSTPORT chains are removed" bash -c "! iptables -w 5 -t nat -S | grep -q CNI-HOSTPORT"
fi
check "no cgroup of ours is left" bash -c "! ls -d /sys/fs/cgroup/*/$CGROOT 2>/dev/null | grep -q ."
check "the CNI bridge is gone" bash -c "! ip link show $BRIDGE 2>/dev/null"
check "pid files are removed" bash -c "! ls $D/run/*.pid 2>/dev/null | grep -q ."

# --- down again: a no-op
expect_output "down when nothing runs is a no-op" "nothing is running" "${DOWN[@]}"
check "down when nothing runs exits 0" "${DOWN[@]}"

# --- up after down: the objects are still there and the pod comes back
expect_output "up after down: Ready again" "node $NODE is Ready" "${UP[@]}"
check "the pod object survived down" $K get pod greet-pod
check "the pod runs again" wait_until 120 pod_running
expect_output "down again" "minik8s is down" "${DOWN[@]}"

# --- errors: one line and the log's tail, non-zero exit
BPORT=$(free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(60)' "$BPORT" &
BLOCKER=$!
wait_until 10 python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$BPORT"
if "$MINIK8S" up --data-dir "$WORK/other" --port "$BPORT" --timeout 30s >"$WORK/out" 2>"$WORK/err"; then
  fail "up on a port in use fails"
elif head -1 "$WORK/err" | grep -q '^error: the server exited during start-up' &&
     grep -q -- '--- last lines of .*server.log' "$WORK/err"; then
  pass "up on a port in use: one-line error and the server log's tail"
else
  fail "up on a port in use: one-line error and the server log's tail"; sed 's/^/       /' "$WORK/err" | head -10
fi
kill "$BLOCKER" 2>/dev/null || true
wait "$BLOCKER" 2>/dev/null || true
"$MINIK8S" down --data-dir "$WORK/other" >/dev/null 2>&1 || true
expect_fail "up without root rights is refused" setpriv --reuid=65534 --regid=65534 --clear-groups "$MINIK8S" up --data-dir "$WORK/nobody"
