#!/usr/bin/env bash
# `minik8s up --nodes 3`: a multi-node cluster on one machine (like kind), on a private
# data dir, port, cgroup root, CNI bridge, underlay bridge and subnets. Node 1 runs in the
# host's network namespace, nodes 2 and 3 each in a namespace of their own on the underlay
# bridge, joined with a bootstrap token (node-csr-* CSRs) as a remote machine joins. Checks:
# 3 Ready nodes with distinct podCIDRs and the underlay addresses; the agents run inside
# their namespaces; up again is idempotent; the seed Deployment's 3 replicas run one per
# node (RoundRobin); kubectl logs and exec reach the pod on node 3 (the API server dials
# that kubelet over the bridge); pods reach pods on other nodes by pod IP (VXLAN); the seed
# Service: every node's proxy has its rules, its ClusterIP reaches the 3 pods (one per node)
# from pods on nodes 1 and 2 and from node 3's namespace, its NodePort answers on each
# node's underlay address; the cluster DNS (each agent's, behind kube-dns) resolves its
# name and short name from pods on nodes 1 and 2, which reach it by name; security on the
# bridge address: anonymous is 401, node 2's certificate may not delete or patch the pod
# on node 3 nor read a Secret no pod of its uses (403), a wrong, an expired or a revoked
# (deleted) bootstrap token cannot join, a valid one can; down leaves no namespace,
# bridge, veth, cgroup, mount, pid file or process, and names nothing it could not undo.
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
VXLAN_MTU=$(cat /sys/class/net/minik8s.1/mtu)
expect_output "node 3's CNI bridge has the VXLAN device's MTU ($VXLAN_MTU), room for the encapsulation" \
  "mtu $VXLAN_MTU " ip -n "minik8s-$NODE-3" link show "${BRIDGE%%[0-9]*}3"
expect_output "so has the pod on node 3's eth0" "^$VXLAN_MTU\$" $K exec "$POD3" -- cat /sys/class/net/eth0/mtu
check "node 1 forwards the cluster CIDR whatever FORWARD's policy (MINIK8S-POD-FORWARD)" \
  bash -c "iptables -w 5 -S FORWARD | grep -q -- '-j MINIK8S-POD-FORWARD'"

T_SERVICES=$SECONDS
# --- a Service across nodes: ClusterIP, cluster DNS, NodePort (each node's proxy and DNS)
expect_output "apply the seed Service (its nodePort 80 is out of range and replaced)" "echo-service" \
  $K apply -f "$SEEDS/service4depl.yaml"
SVC_IP=$($K get service echo-service -o jsonpath='{.spec.clusterIP}')
NP=$($K get service echo-service -o jsonpath='{.spec.ports[0].nodePort}')
IP1=$($K get pod "$POD1" -o jsonpath='{.status.podIP}')
ALL_IPS=$(printf '%s\n' "$IP1" "$IP2" "$IP3" | sort | paste -sd, -)
echo "       echo-service: ClusterIP $SVC_IP, port 80, NodePort $NP; backends $ALL_IPS"
# rules_in NS: the ClusterIP's rule and the NodePort's rule exist in namespace NS ("" = host)
# with the three pods behind them (send to a Service only then).
rules_in() {
  local rules
  if [ -z "$1" ]; then rules=$(iptables-save -t nat); else rules=$(ip netns exec "$1" iptables-save -t nat); fi
  grep -q -- "-A KUBE-SERVICES -d $SVC_IP/32 .*-j KUBE-SVC-" <<<"$rules" &&
    grep -q -- "-A KUBE-NODEPORTS .*--dport $NP .*-j KUBE-" <<<"$rules" &&
    [ "$(grep -- '-A KUBE-SEP-.*echo-service' <<<"$rules" | grep -o -- '--to-destination [0-9.]*' | awk '{print $2}' | sort -u | paste -sd, -)" = "$ALL_IPS" ]
}
for k in 1 2 3; do
  NS=""; [ "$k" = 1 ] || NS=minik8s-$NODE-$k
  check "node $k's proxy has the ClusterIP and NodePort rules with the 3 pods" wait_until 30 rules_in "$NS"
done
listens_1() { curl -fsS -m 3 "http://$IP1:5000/" | grep -q "IP Address: $IP1"; }
check "the pod on node 1 listens too (the pods on nodes 2 and 3 answered above)" wait_until 60 listens_1
# The proxy balances at random (its default): ask until the 3 pods have answered, at most
# 40 times (all 3 answer within 40 with probability 1 - 3(2/3)^40 > 0.99999).
# answers POD URL: from inside the pod, the pod IPs that answered, sorted.
answers() {
  $K exec "$1" -- python3 -c "
import urllib.request
seen = set()
for _ in range(40):
    seen.add(urllib.request.urlopen('$2', timeout=3).read().decode().split('IP Address: ')[1].strip())
    if len(seen) == 3: break
print(','.join(sorted(seen)))"
}
expect_output "from the pod on node 1, the ClusterIP reaches all 3 pods, one per node" "^$ALL_IPS\$" \
  answers "$POD1" "http://$SVC_IP/"
expect_output "from the pod on node 2 too" "^$ALL_IPS\$" answers "$POD2" "http://$SVC_IP/"
host_answers() {  # host_answers NS ADDRESS: the same from namespace NS ("" = the host)
  local i ip seen="" run=()
  [ -z "$1" ] || run=(ip netns exec "$1")
  for i in $(seq 40); do
    ip=$("${run[@]}" curl -fsS -m 3 "http://$2/" | sed -n 's/^IP Address: //p') && [ -n "$ip" ] || return 1
    seen=$(printf '%s\n' ${seen//,/ } "$ip" | sort -u | paste -sd, -)
    [ "$(tr , '\n' <<<"$seen" | wc -l)" -lt 3 ] || break
  done
  echo "$seen"
}
for k in 1 2 3; do
  expect_output "the NodePort answers on node $k's address $SUB.$k:$NP from the host, from all 3 pods" \
    "^$ALL_IPS\$" host_answers "" "$SUB.$k:$NP"
done
expect_output "node 3 (in its namespace) reaches the ClusterIP through its own proxy" "^$ALL_IPS\$" \
  host_answers "minik8s-$NODE-3" "$SVC_IP"

# Names through the cluster DNS, from the myip pods on nodes 1 and 2 (python3, the image's
# glibc resolver): their resolv.conf names kube-dns (10.96.0.10), whose endpoints are the
# DNS servers of the 3 agents.
resolve() {  # resolve POD NAME: the A record of NAME through the pod's resolv.conf
  $K exec "$1" -- python3 -c "import socket; print(socket.gethostbyname('$2'))"
}
dns_diagnosis() {  # dns_diagnosis POD: a query from POD to each DNS server of kube-dns
  local server
  for server in 10.96.0.10 $($K -n kube-system get endpointslices -o jsonpath='{.items[*].endpoints[*].addresses[0]}'); do
    echo "       query to $server: $($K exec "$1" -- python3 -c "
import socket, struct
q = struct.pack('>HHHHHH', 7, 0x100, 1, 0, 0, 0) + b''.join(bytes([len(l)]) + l.encode() for l in 'echo-service.default.svc.cluster.local'.split('.')) + b'\\0' + struct.pack('>HH', 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2); s.sendto(q, ('$server', 53))
try: print('answer, rcode', s.recv(512)[3] & 15)
except OSError as e: print('no answer:', e)" 2>&1)"
  done
}
for k in 1 2; do
  P=$POD1; [ "$k" = 1 ] || P=$POD2
  check "the resolv.conf of the pod on node $k names 10.96.0.10 and the cluster's search path" bash -c \
    "$K exec $P -- cat /etc/resolv.conf >$WORK/resolv.$k && grep -qx 'nameserver 10.96.0.10' $WORK/resolv.$k &&
     grep -q '^search default.svc.cluster.local svc.cluster.local cluster.local' $WORK/resolv.$k"
  failed_before=$FAILED
  expect_output "from node $k, echo-service.default.svc.cluster.local resolves to the ClusterIP" "^$SVC_IP\$" \
    resolve "$P" echo-service.default.svc.cluster.local
  [ "$FAILED" = "$failed_before" ] || dns_diagnosis "$P"
  expect_output "from node $k, the short name too (the search path)" "^$SVC_IP\$" resolve "$P" echo-service
  expect_output "from node $k, http://echo-service/ reaches all 3 pods" "^$ALL_IPS\$" \
    answers "$P" "http://echo-service/"
done

# --- security on the bridge address
API_URL=https://$SUB.1:$PORT
expect_output "an anonymous request to the API server is 401" '^401$' \
  curl -sS -k -o /dev/null -w '%{http_code}' "$API_URL/api/v1/pods"
N2="kubectl --request-timeout=20s --kubeconfig $D/nodes/$NODE-2/kubeconfig"
expect_output "node 2's certificate reads its own pod" "^$POD2\$" $N2 get pod "$POD2" -o 'jsonpath={.metadata.name}'
expect_error_output "node 2's certificate cannot delete the pod on node 3 (403)" \
  "Forbidden.*system:node:$NODE-2.* cannot delete resource \"pods\"" $N2 delete pod "$POD3" --wait=false
expect_error_output "nor patch it (403)" "Forbidden.*cannot patch resource \"pods\"" \
  $N2 patch pod "$POD3" --type=merge -p '{"metadata":{"labels":{"taken":"yes"}}}'
expect_output "the pod on node 3 is untouched" "^$POD3 \$" \
  $K get pod "$POD3" -o 'jsonpath={.metadata.name} {.metadata.labels.taken}{.metadata.deletionTimestamp}'
check "a Secret no pod uses" $K create secret generic mn-unreferenced --from-literal=k=v
expect_error_output "node 2's certificate cannot read it (403)" "Forbidden.*cannot get resource \"secrets\"" \
  $N2 get secret mn-unreferenced
no_token_in_argv() {  # the extra agents read the token from a file; no process shows one
  python3 - "$D" <<'PY'
import glob, sys
with_file, with_token = 0, 0
for path in glob.glob("/proc/[0-9]*/cmdline"):
    try:
        argv = open(path, "rb").read().split(b"\0")
    except OSError:
        continue
    if not any(sys.argv[1].encode() in a for a in argv):
        continue
    with_file += b"--token-file" in argv
    with_token += b"--token" in argv
sys.exit(0 if with_file >= 2 and with_token == 0 else 1)
PY
}
check "the extra agents get the token through --token-file, never on a command line" no_token_in_argv
# joining: the command `token create --print-join-command` prints, with a bad token.
PIN=sha256:$(openssl x509 -pubkey -noout -in "$D/server/pki/ca.crt" | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)
join() {  # join TOKEN: a TLS bootstrap with the token only (no containerd), into a fresh dir
  rm -rf "$WORK/joiner"
  timeout 60 "$MINIK8S" agent --server "$API_URL" --token "$1" --discovery-token-ca-cert-hash "$PIN" \
    --node-name mn-joiner --data-dir "$WORK/joiner" --bootstrap-only
}
expect_error_output "a wrong token cannot join (refused at discovery: cluster-info has no JWS by its id)" "no JWS signed by token id \"abcdef\"" join abcdef.0123456789abcdef
tail -1 "$WORK/out" | sed "s/^/       /"
check "and got no credentials" test ! -e "$WORK/joiner/kubeconfig"
EXPIRED=mnexp$((RANDOM % 10)).0123456789abcdef
check "an expired token (its Secret's expiration is an hour ago)" $K apply -f - <<YAML
apiVersion: v1
kind: Secret
metadata: {name: bootstrap-token-${EXPIRED%%.*}, namespace: kube-system}
type: bootstrap.kubernetes.io/token
stringData:
  token-id: ${EXPIRED%%.*}
  token-secret: ${EXPIRED#*.}
  expiration: $(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ)
  usage-bootstrap-authentication: "true"
  usage-bootstrap-signing: "true"
  auth-extra-groups: system:bootstrappers:kubeadm:default-node-token
YAML
expect_error_output "an expired token cannot join" "Unauthorized|401|expired" join "$EXPIRED"
tail -1 "$WORK/out" | sed "s/^/       /"
check "(refused for its expiry: its Secret is there)" $K -n kube-system get secret "bootstrap-token-${EXPIRED%%.*}"
check "and got no credentials" test ! -e "$WORK/joiner/kubeconfig"
REVOKED=$("$MINIK8S" token create --ttl 1h --description "multinode e2e: revoked")
check "a token, revoked (token delete)" "$MINIK8S" token delete "$REVOKED"
expect_error_output "a revoked token cannot join (its JWS is gone from cluster-info)" "no JWS signed by token id \"${REVOKED%%.*}\"" join "$REVOKED"
tail -1 "$WORK/out" | sed "s/^/       /"
check "and got no credentials" test ! -e "$WORK/joiner/kubeconfig"
VALID=$("$MINIK8S" token create --ttl 1h --description "multinode e2e: valid")
check "while a valid token joins with the same command" join "$VALID"
check "and gets credentials" test -s "$WORK/joiner/kubeconfig"
echo "       (the Service, DNS, NodePort and security checks took $((SECONDS - T_SERVICES)) s)"

SHIMS=$(for k in "" -2 -3; do
  S=$D/node/containerd/containerd.sock; [ -n "$k" ] && S=$D/nodes/$NODE$k/containerd/containerd.sock
  pgrep -f -- "containerd-shim.*-address $S" || true
done | tr '\n' ' ')
check "each node runs shims ($SHIMS)" test "$(wc -w <<<"$SHIMS")" -ge 3
ALL_PIDS="$(cat "$D"/run/*.pid "$D"/node/containerd/containerd.pid "$D"/nodes/*/containerd/containerd.pid | tr '\n' ' ') $SHIMS"

# --- down: nothing left
expect_output "down stops everything" "minik8s is down" bash -c "set -o pipefail; ${DOWN[*]} 2>&1 | tee $WORK/down.out"
check "and names nothing it could not undo" bash -c "! grep -E 'could not|minik8s: removing' $WORK/down.out"
check "no process we started is left (server, agents, containerds, shims)" all_gone $ALL_PIDS
check "no process of the data dir is left" no_process "$D/"
# (ours only: tests of others, e.g. the pod network's integration tests, add and remove
# namespaces of their own meanwhile)
check "no network namespace of ours is left" bash -c "! ip netns list | grep -q '^minik8s-$NODE-'"
check "the underlay bridge is gone" bash -c "! ip link show $UNDERLAY 2>/dev/null"
for v in $VETHS; do check "veth $v is gone" bash -c "! ip link show $v 2>/dev/null"; done
check "no address of the underlay is left" bash -c "! ip -4 addr | grep -q 'inet $SUB\.'"
check "no route to the pod network is left" bash -c "! ip route | grep -q '$NET\.'"
check "no VXLAN device of ours is left" bash -c "! ip link show minik8s.1 2>/dev/null"
check "no masquerade chain of the pod network is left" bash -c "! iptables -w 5 -t nat -S | grep -q MINIK8S-POD-MASQ"
check "no forward chain of the pod network is left" bash -c "! iptables -w 5 -S | grep -q MINIK8S-POD-FORWARD"
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
