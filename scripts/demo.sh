#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, starts a whole local
# cluster with `minik8s up` (control plane + this machine as a node with its own
# containerd, the stock images, a kubeconfig), runs the original project's pod
# (e2e/seed-manifests/pod.yaml) with the real kubectl, waits until it is Running, shows it
# and asks its greeting container for a greeting on the pod IP; then applies the original's
# deployment.yaml (3 pods), deletes one and shows its replacement Running, exposes it with
# service4depl.yaml (ClusterIP, NodePort, by name from a pod), and fetches
# http://vahag.com/test through the original's dns.yaml and the nginx add-on. Run as root.
# `--nodes N` makes the cluster N nodes on this machine (`minik8s up --nodes N`: node 1 is
# this machine, the others network namespaces on a bridge, joined over the VXLAN pod
# network), and the Deployment's pods are then spread one per node.
set -euo pipefail
NODES=1
while [ $# -gt 0 ]; do
  case $1 in
    --nodes) NODES=${2:?--nodes needs a number}; shift 2 ;;
    --nodes=*) NODES=${1#--nodes=}; shift ;;
    *) echo "usage: bash scripts/demo.sh [--nodes N]" >&2; exit 2 ;;
  esac
done
[[ $NODES =~ ^[1-9][0-9]*$ ]] || { echo "demo: --nodes wants a positive number, not $NODES" >&2; exit 2; }
cd "$(dirname "$0")/.."
# Builds only what the demo runs (the test command builds the rest). MINIK8S_DEMO_NO_SETUP is
# set by tests that bring their own build.
[ -n "${MINIK8S_DEMO_NO_SETUP:-}" ] || SETUP_TARGETS=minik8s bash scripts/setup.sh
source scripts/lib.sh

STATE=${MINIK8S_STATE:-/var/lib/minik8s}
PORT=${MINIK8S_PORT:-6443}
NODE=${MINIK8S_NODE:-$(hostname | tr '[:upper:]' '[:lower:]')}
DOWN="minik8s down"
[ "$STATE" = /var/lib/minik8s ] || DOWN="minik8s down --data-dir $STATE"

# An earlier version of this demo ran a bare `minik8s server` with $STATE/server.pid.
if [ -f "$STATE/server.pid" ] && kill -0 "$(cat "$STATE/server.pid")" 2>/dev/null &&
   grep -q "minik8s" "/proc/$(cat "$STATE/server.pid")/cmdline" 2>/dev/null; then
  echo "demo: stopping the control plane an earlier demo started (pid $(cat "$STATE/server.pid"))"
  kill -TERM "$(cat "$STATE/server.pid")"
  for _ in $(seq 1 150); do kill -0 "$(cat "$STATE/server.pid")" 2>/dev/null || break; sleep 0.1; done
  rm -f "$STATE/server.pid"
fi

UP=(minik8s up --data-dir "$STATE" --port "$PORT" --node-name "$NODE")
[ "$NODES" = 1 ] || UP+=(--nodes "$NODES")
echo "== ${UP[*]}"
"${UP[@]}"
echo

echo "== kubectl apply -f e2e/seed-manifests/pod.yaml (nodeName set to this node, $NODE)"
# The manifest pins the pod to the original project's node (vahag-node); here the node is
# this machine. A greet-pod left on another node by an earlier run is replaced.
bound=$(kubectl get pod greet-pod -o jsonpath='{.spec.nodeName}' 2>/dev/null || true)
if [ -n "$bound" ] && [ "$bound" != "$NODE" ]; then
  kubectl delete pod greet-pod --wait=true
fi
sed "s/^\(  nodeName:\).*/\1 $NODE/" e2e/seed-manifests/pod.yaml | kubectl apply -f -

echo "== waiting for greet-pod to be Running"
deadline=$((SECONDS + 120))
until [ "$(kubectl get pod greet-pod -o jsonpath='{.status.phase}')" = Running ]; do
  if [ $SECONDS -gt $deadline ]; then
    echo "demo: greet-pod is not Running after 120 s:"
    kubectl describe pod greet-pod | tail -20
    echo "(agent log: $STATE/logs/agent.log)"
    exit 1
  fi
  sleep 0.5
done
echo
echo "== kubectl get pods -o wide"
kubectl get pods -o wide
echo

IP=$(kubectl get pod greet-pod -o jsonpath='{.status.podIP}')
echo "== curl http://$IP:5000/   (the greet-container: greeting-app, NAME=World)"
# The pod's CPU limit is 30m, so Python takes a moment to start listening.
running_at=$(date +%s.%N)
deadline=$((SECONDS + 60))
until answer=$(curl -fsS -m 3 "http://$IP:5000/" 2>/dev/null); do
  if [ $SECONDS -gt $deadline ]; then
    echo "demo: the greeting container did not answer on $IP:5000 within 60 s"
    exit 1
  fi
  sleep 0.5
done
echo "$answer"
echo "(answered $(python3 -c "import time; print(f'{time.time() - $running_at:.1f}')") s after the pod was Running)"
echo "== curl http://$IP:5000/?name=minik8s"
curl -fsS -m 3 "http://$IP:5000/?name=minik8s"
echo
echo

echo "== kubectl apply -f e2e/seed-manifests/deployment.yaml (3 replicas of myip)"
kubectl apply -f e2e/seed-manifests/deployment.yaml
# live_pods: "name phase" of the Deployment's pods that are not being deleted.
live_pods() {
  kubectl get pods -l app=echo_server \
    -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{"|"}{.metadata.name}{" "}{.status.phase}{"\n"}{end}' |
    sed -n 's/^|//p'
}
wait_running() {  # wait_running N [except-pod]: N live pods Running, none of them named except-pod
  local deadline=$((SECONDS + 120))
  until [ "$(live_pods | grep -v "^${2:-none} " | grep -c ' Running$')" -ge "$1" ]; do
    if [ $SECONDS -gt $deadline ]; then
      echo "demo: the Deployment does not have $1 Running pods after 120 s:"
      kubectl get pods -l app=echo_server -o wide
      exit 1
    fi
    sleep 0.5
  done
}
wait_running 3
kubectl get deployment simple-deployment
kubectl get pods -l app=echo_server -o wide
if [ "$NODES" -gt 1 ]; then
  echo "   (the scheduler's RoundRobin policy spreads them over the nodes:"
  kubectl get nodes -o 'jsonpath={range .items[*]}{"    "}{.metadata.name}{" "}{.status.addresses[?(@.type=="InternalIP")].address}{" podCIDR "}{.spec.podCIDR}{"\n"}{end}'
  echo "   )"
fi
echo
victim=$(live_pods | head -1 | cut -d' ' -f1)
echo "== kubectl delete pod $victim   (the ReplicaSet replaces it)"
kubectl delete pod "$victim" --wait=false
wait_running 3 "$victim"
kubectl get pods -l app=echo_server -o wide
echo
echo "== kubectl apply -f e2e/seed-manifests/service4depl.yaml (echo-service, port 80 -> 5000)"
kubectl apply -f e2e/seed-manifests/service4depl.yaml
kubectl get service echo-service
CLUSTER_IP=$(kubectl get service echo-service -o jsonpath='{.spec.clusterIP}')
NODE_PORT=$(kubectl get service echo-service -o jsonpath='{.spec.ports[0].nodePort}')
# Ready pods only say their containers run: wait until the proxy's rules hold all three
# and each answers, then ask the Service.
all_three_answer() {
  [ "$(iptables-save -t nat | grep -c -- '-A KUBE-SEP-.*echo-service.* -j DNAT')" = 3 ] || return 1
  local ip
  for ip in $(kubectl get pods -l app=echo_server -o jsonpath='{.items[*].status.podIP}'); do
    curl -fsS -m 2 "http://$ip:5000/" >/dev/null 2>&1 || return 1
  done
}
deadline=$((SECONDS + 120))
until all_three_answer; do
  if [ $SECONDS -gt $deadline ]; then
    echo "demo: echo-service does not have its three pods behind it after 120 s"
    exit 1
  fi
  sleep 0.5
done
# pod IP -> node, to say where each answer came from.
declare -A NODE_OF
while read -r ip node; do NODE_OF[$ip]=$node; done < <(kubectl get pods -l app=echo_server \
  -o jsonpath='{range .items[*]}{.status.podIP}{" "}{.spec.nodeName}{"\n"}{end}')
echo "== 6 requests to the ClusterIP http://$CLUSTER_IP/ from this machine (node $NODE; random balancing over the 3 pods)"
for i in 1 2 3 4 5 6; do
  ip=$(curl -fsS -m 3 "http://$CLUSTER_IP/" | sed -n 's/^IP Address: //p')
  echo "  answered by $ip (a pod on node ${NODE_OF[$ip]:-?})"
done
echo "== curl http://127.0.0.1:$NODE_PORT/ (the NodePort; the original's 80 is outside 30000-32767)"
curl -fsS -m 3 "http://127.0.0.1:$NODE_PORT/"
if [ "$NODES" -gt 1 ]; then
  NODE2_IP=$(kubectl get node "$NODE-2" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')
  echo "== curl http://$NODE2_IP:$NODE_PORT/ (the NodePort on node $NODE-2's address)"
  curl -fsS -m 3 "http://$NODE2_IP:$NODE_PORT/"
fi
client=$(live_pods | head -1 | cut -d' ' -f1)
echo "== from the pod $client, by name (cluster DNS at 10.96.0.10): http://echo-service/"
kubectl exec "$client" -- cat /etc/resolv.conf | sed 's/^/  /'
kubectl exec "$client" -- python3 -c \
  "import socket, urllib.request; print('  echo-service is', socket.gethostbyname('echo-service')); print(urllib.request.urlopen('http://echo-service/', timeout=5).read().decode())"

echo "== kubectl apply -f e2e/seed-manifests/service.yaml -f e2e/seed-manifests/dns.yaml (vahag.com/test -> simple-service:80)"
kubectl apply -f e2e/seed-manifests/service.yaml -f e2e/seed-manifests/dns.yaml
echo "   the ingress controller renders the Dns into the nginx add-on (kube-system/minik8s-nginx);"
echo "   the agent writes vahag.com into /etc/hosts; the cluster DNS answers it inside pods"
deadline=$((SECONDS + 180))
until [ "$(kubectl get dns test-dns -o jsonpath='{.status.phase}' 2>/dev/null)" = Live ] &&
      curl -fsS -m 3 -o /dev/null http://vahag.com/test 2>/dev/null; do
  if [ $SECONDS -ge $deadline ]; then
    echo "demo: http://vahag.com/test does not answer after 180 s"
    kubectl get dns test-dns -o yaml | sed -n '/^status:/,$p'
    kubectl get pods -n kube-system -o wide
    exit 1
  fi
  sleep 1
done
grep -A3 '^# BEGIN minik8s' /etc/hosts | sed 's/^/  \/etc\/hosts: /'
echo "== curl http://vahag.com/test   (from this machine, through nginx to simple-service's port 80)"
curl -fsS -m 3 http://vahag.com/test | head -5

cat <<TXT

minik8s is running on this machine (state, logs and pid files in $STATE).
kubectl talks to it through ~/.kube/config, context "minik8s" ($(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}'), the cluster CA and an admin client certificate):
  kubectl get nodes -o wide
  kubectl get pods -o wide
  kubectl describe pod greet-pod
  kubectl logs greet-pod -c greet-container
  kubectl exec greet-pod -c dir-creator -- ls /
  kubectl top pods
  kubectl get services,endpointslices
  curl http://$CLUSTER_IP/          # echo-service's ClusterIP, from this machine
  curl http://vahag.com/test        # the original's Dns, through the nginx add-on
  kubectl scale deployment simple-deployment --replicas=5
  kubectl rollout restart deployment simple-deployment
  kubectl rollout status deployment simple-deployment
  kubectl rollout history deployment simple-deployment
  kubectl delete deployment simple-deployment
  kubectl delete pod greet-pod
Stop it (pods are removed from the host; the cluster's objects stay for the next
\`minik8s up\`) with:
  $DOWN
TXT
