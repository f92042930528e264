#!/usr/bin/env bash
# End to end on real containerd: Services carry traffic. `minik8s up` runs the agent with
# its service proxy (round-robin); the original's manifests go in unchanged through the
# real kubectl, and real curl (from the node) and busybox wget (from a pod) reach them:
# the ClusterIP, the NodePorts that replace the original's out-of-range ones, exact
# round-robin over the Deployment's three pods, a deleted pod leaving the rules, scaling
# to 0 refusing at once, and traffic that keeps flowing through kill -9 of the agent and
# of the server. Cluster DNS from a pod (busybox nslookup): short names, FQDN, headless,
# SRV, PTR, NXDOMAIN, and an outside name answered by a dnsmasq upstream the test runs on
# loopback. Then `minik8s down` leaves no rule, chain or conntrack entry. Traffic goes
# only to addresses of this host (ClusterIPs once their rules exist, pods on its bridge);
# lib.sh's guard rejects private ranges on the default route meanwhile. Run as root:
#   flock /tmp/minik8s-e2e.lock bash e2e/services_test.sh
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  fail "the services e2e needs root: it did not run"
  finish || exit 1
fi

CLUSTER=$WORK/cluster
CGROOT=mk-svc-$$
BRIDGE=mksvc$$
BRIDGE=${BRIDGE:0:15}
POD_CIDR=10.249.$((RANDOM % 200 + 20)).0/24
SAMPLER_PID=""
UPSTREAM_PID=""
cleanup() {
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null && wait "$SAMPLER_PID" 2>/dev/null || true
  [ -n "$UPSTREAM_PID" ] && kill "$UPSTREAM_PID" 2>/dev/null && wait "$UPSTREAM_PID" 2>/dev/null || true
  "$MINIK8S" down --data-dir "$CLUSTER" >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
  finish
}
trap cleanup EXIT

# The cluster DNS's upstream: a dnsmasq of ours on loopback that knows one outside name.
UPSTREAM_PORT=$(free_port)
dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.1 \
  --port="$UPSTREAM_PORT" --pid-file= --address=/outside.test/203.0.113.7 --address=/outside.test/2001:db8::7 2>"$WORK/dnsmasq.log" &
UPSTREAM_PID=$!

up() {
  "$MINIK8S" up --data-dir "$CLUSTER" --port "$PORT" --node-name svc-node --kubeconfig "$KUBECONFIG" \
    --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" --agent-arg=--kubelet-port=0 \
    "--agent-arg=--pod-cidr=$POD_CIDR" --agent-arg=--proxy-balance=round-robin \
    "--agent-arg=--dns-upstream=127.0.0.1:$UPSTREAM_PORT" "$@"
}

echo "== minik8s up (the agent runs the service proxy, round-robin)"
for attempt in 1 2 3; do
  PORT=$(free_port)
  if up >"$WORK/up.log" 2>&1; then break; fi
  if [ "$attempt" = 3 ] || ! grep -q "in use" "$WORK/up.log" "$CLUSTER/logs/server.log" 2>/dev/null; then
    cat "$WORK/up.log"; tail -30 "$CLUSTER/logs/agent.log" 2>/dev/null; exit 1
  fi
  "$MINIK8S" down --data-dir "$CLUSTER" >/dev/null 2>&1 || true
done
expect_output "node svc-node is Ready" "svc-node +Ready" kubectl get nodes
check "the proxy programmed KUBE-SERVICES" wait_until 10 bash -c "iptables-save -t nat | grep -q '^:KUBE-SERVICES'"

cluster_ip() { kubectl get service "$1" -o jsonpath='{.spec.clusterIP}'; }
node_port() { kubectl get service "$1" -o jsonpath="{.spec.ports[?(@.port==$2)].nodePort}"; }

echo "== the original's pod.yaml behind service.yaml"
check "apply pod.yaml" kubectl apply -f "$SEEDS/pod.yaml"
expect_output "apply service.yaml replaces its out-of-range nodePorts" "nodePort.*outside the node port range" \
  kubectl apply -f "$SEEDS/service.yaml"
expect_output "simple-service is a NodePort service" "^NodePort$" kubectl get service simple-service -o jsonpath='{.spec.type}'
check "greet-pod is Running" kubectl wait --for=condition=Ready pod/greet-pod --timeout=180s
GREET_IP=$(cluster_ip simple-service)
check "simple-service's ClusterIP $GREET_IP has its rule" wait_until 10 rule_for "$GREET_IP"
# Ready only says the containers run (the pod has no readiness probe); the apps take a
# moment to listen, under a 30m CPU limit.
GREET_POD_IP=$(kubectl get pod greet-pod -o jsonpath='{.status.podIP}')
check "the greeting app listens on its pod IP" wait_until 120 curl -fsS -m 2 "http://$GREET_POD_IP:5000/"
check "the welcome app listens on its pod IP" wait_until 120 curl -fsS -m 2 "http://$GREET_POD_IP:80/"
expect_output "the greeting answers on the ClusterIP from the node" "Nice to meet you, Node!" \
  curl -fsS -m 3 "http://$GREET_IP:5000/?name=Node"
expect_output "the welcome app answers on the ClusterIP's port 80" "." curl -fsS -m 3 "http://$GREET_IP:80/"
NP=$(node_port simple-service 5000)
expect_output "the NodePort $NP (was 5000) is in the range" "^3[0-9]{4}$" echo "$NP"
expect_output "the NodePort answers on 127.0.0.1" "Nice to meet you, NodePort!" \
  curl -fsS -m 3 "http://127.0.0.1:$NP/?name=NodePort"

echo "== from another pod"
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers:
  - {name: client, image: busybox:1.36.1, command: [sleep, "3600"]}
YAML
check "the client pod is Running" kubectl wait --for=condition=Ready pod/client --timeout=120s
# busybox nc, not wget: Debian 12's busybox-static wget crashes (SIGSEGV) on any URL.
expect_output "the greeting answers on the ClusterIP from a pod" "Nice to meet you, Pod!" \
  kubectl exec client -- sh -c "printf 'GET /?name=Pod HTTP/1.0\\r\\n\\r\\n' | nc -w 3 $GREET_IP 5000"

echo "== the original's deployment.yaml behind service4depl.yaml (myip)"
check "apply deployment.yaml" kubectl apply -f "$SEEDS/deployment.yaml"
check "apply service4depl.yaml" kubectl apply -f "$SEEDS/service4depl.yaml"
check "the Deployment is available" kubectl rollout status deployment/simple-deployment --timeout=180s
ECHO_IP=$(cluster_ip echo-service)
# ready_ips: the live pods' IPs, sorted; endpoints_in_rules: the SEP rules' pod IPs, sorted.
ready_ips() {
  kubectl get pods -l app=echo_server -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{":"}{.status.podIP}{":"}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
    sed -n 's/^:\(..*\):True$/\1/p' | sort | paste -sd, -
}
endpoints_in_rules() {
  iptables-save -t nat | grep -- '-A KUBE-SEP-.*echo-service' | grep -o -- '--to-destination [0-9.]*' |
    awk '{print $2}' | sort -u | paste -sd, -
}
rules_match_pods() { [ -n "$(ready_ips)" ] && [ "$(endpoints_in_rules)" = "$(ready_ips)" ]; }
check "the rules hold the three pods" wait_until 30 bash -c "$(declare -f ready_ips endpoints_in_rules rules_match_pods); rules_match_pods && [ \$(ready_ips | tr , '\n' | wc -l) = 3 ]"
check "echo-service's ClusterIP $ECHO_IP has its rule" wait_until 10 rule_for "$ECHO_IP"
# all_listen: every ready pod answers on its own IP (Ready only says the container runs).
all_listen() {
  local ip
  for ip in $(ready_ips | tr , ' '); do curl -fsS -m 2 "http://$ip:5000/" >/dev/null || return 1; done
}
check "the three myip pods listen" wait_until 120 all_listen
for i in $(seq 90); do curl -sS -m 3 "http://$ECHO_IP/" 2>&1 | sed -n 's/^IP Address: //p' || true; done >"$WORK/answers"
COUNTS=$(sort "$WORK/answers" | uniq -c | awk '{print $1}' | sort | paste -sd, -)
expect_output "90 requests: round-robin gives each of the three pods exactly 30" "^30,30,30$" echo "$COUNTS"
expect_output "the answers come from the pods' own IPs" "^$(ready_ips)$" bash -c "sort -u '$WORK/answers' | paste -sd, -"
EP=$(node_port echo-service 80)
expect_output "echo-service answers on its NodePort $EP" "IP Address: 10\\.249\\." curl -fsS -m 3 "http://127.0.0.1:$EP/"

echo "== cluster DNS from a pod (busybox nslookup; the upstream is the test's dnsmasq)"
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: echo-headless}
spec:
  clusterIP: None
  selector: {app: echo_server}
  ports: [{name: http, port: 5000}]
YAML
expect_output "the kube-dns Service is at 10.96.0.10" "^10\.96\.0\.10$" \
  kubectl -n kube-system get service kube-dns -o jsonpath='{.spec.clusterIP}'
check "kube-dns has its rule" wait_until 10 rule_for 10.96.0.10
lookup() { kubectl exec client -- nslookup -timeout=2 -retry=1 "$@" 2>&1; }
expect_output "a short name, through the pod's search path" "Address: $GREET_IP" \
  bash -c "kubectl exec client -- nslookup -type=A -timeout=2 -retry=1 simple-service 2>&1; true"  # busybox goes on through every search domain
expect_output "the FQDN" "Address: $ECHO_IP" lookup echo-service.default.svc.cluster.local
HEADLESS=$(ready_ips | tr , '\n' | wc -l)
expect_output "a headless Service: the $HEADLESS pod IPs" "^$HEADLESS$" \
  bash -c "kubectl exec client -- nslookup -timeout=2 -retry=1 echo-headless.default.svc.cluster.local 2>&1 | grep -c '^Address: 10\.249\.'"
expect_output "SRV of a named port" "service = [0-9]+ [0-9]+ 5000 simple-service\.default\.svc\.cluster\.local" \
  lookup -type=SRV _tcp-5000._tcp.simple-service.default.svc.cluster.local
expect_output "PTR of the ClusterIP" "name = simple-service\.default\.svc\.cluster\.local" lookup "$GREET_IP"
expect_error_output "NXDOMAIN for a missing Service" "NXDOMAIN" lookup nosuch.default.svc.cluster.local
expect_output "an outside name, answered by the upstream" "Address: 203\.0\.113\.7" lookup outside.test

echo "== a deleted pod leaves the rules, its replacement joins"
VICTIM=$(kubectl get pods -l app=echo_server -o jsonpath='{.items[0].metadata.name}')
VICTIM_IP=$(kubectl get pod "$VICTIM" -o jsonpath='{.status.podIP}')
T0=$(date +%s.%N)
kubectl delete pod "$VICTIM" --wait=false >/dev/null
if wait_until 10 bash -c "! iptables-save -t nat | grep -q -- '--to-destination $VICTIM_IP:'"; then
  GONE=$(python3 -c "import time; print(f'{time.time() - $T0:.2f}')")
  expect_output "the deleted pod's endpoint left the rules in ${GONE}s (at most 3 s)" "^True$" \
    python3 -c "print($GONE <= 3)"
else
  fail "the deleted pod's endpoint is still in the rules after 10 s"
fi
check "the replacement joins the rules" wait_until 60 bash -c "$(declare -f ready_ips endpoints_in_rules rules_match_pods); rules_match_pods && [ \$(ready_ips | tr , '\n' | wc -l) = 3 ]"

echo "== scaled to 0, the ClusterIP refuses at once"
check "scale to 0" kubectl scale deployment simple-deployment --replicas=0
check "the rules hold no endpoint" wait_until 60 bash -c "[ -z \"\$(iptables-save -t nat | grep -- '-A KUBE-SEP-.*echo-service')\" ]"
expect_output "the ClusterIP refuses (not a timeout)" "Connection refused|Failed to connect" \
  bash -c "curl -sS -m 5 http://$ECHO_IP/ 2>&1; true"
check "scale back to 3" kubectl scale deployment simple-deployment --replicas=3
check "the Deployment is available again" kubectl rollout status deployment/simple-deployment --timeout=180s
check "the rules hold the three new pods" wait_until 30 bash -c "$(declare -f ready_ips endpoints_in_rules rules_match_pods); rules_match_pods && [ \$(ready_ips | tr , '\n' | wc -l) = 3 ]"
check "the three new pods listen" wait_until 120 all_listen

# sample SECONDS: a request to the ClusterIP every 100 ms, one line per request (ok/FAIL).
sample() {
  local end=$((SECONDS + $1))
  while [ $SECONDS -lt $end ]; do
    if out=$(curl -fsS -m 1 "http://$ECHO_IP/" 2>&1); then echo ok; else echo "FAIL $(date +%T.%N | cut -c1-12) $out"; fi
    sleep 0.1
  done
}
through_restart() {
  local what=$1 pid_file=$2
  sample 20 >"$WORK/samples.$what" &
  SAMPLER_PID=$!
  sleep 2
  kill -9 "$(cat "$pid_file")"
  sleep 3
  check "minik8s up brings the $what back" up
  local pid
  pid=$(cat "$pid_file")
  sleep 3
  check "the restarted $what keeps running" kill -0 "$pid"
  wait "$SAMPLER_PID" || true
  SAMPLER_PID=""
  local total failed
  total=$(wc -l <"$WORK/samples.$what")
  failed=$(grep -c FAIL "$WORK/samples.$what" || true)
  expect_output "kill -9 of the $what: $total requests every 100 ms, none failed" "^0$" echo "$failed"
  grep FAIL "$WORK/samples.$what" | sed -n '1p;$p' | sed 's/^/       /' || true
}
echo "== kill -9 of the agent, then of the server: traffic keeps flowing"
through_restart agent "$CLUSTER/run/agent.pid"
through_restart server "$CLUSTER/run/server.pid"
check "the restarted proxy still serves the three pods" wait_until 30 bash -c "$(declare -f ready_ips endpoints_in_rules rules_match_pods); rules_match_pods"

echo "== minik8s down removes every rule, chain and conntrack entry"
check "minik8s down" "$MINIK8S" down --data-dir "$CLUSTER"
expect_output "no KUBE- chain or rule is left" "^0$" bash -c "iptables-save | grep -c KUBE- || true"
expect_output "no conntrack entry to the ClusterIPs is left" "^0$" \
  bash -c "{ conntrack -L -d $ECHO_IP 2>/dev/null; conntrack -L -d $GREET_IP 2>/dev/null; } | wc -l"
