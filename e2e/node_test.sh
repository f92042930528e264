#!/usr/bin/env bash
# End to end on real containerd: `minik8s up` in a private directory, the original
# project's pod.yaml and our own pods through the real kubectl, checked against the pod
# IPs, the cgroups and the runtime; then `minik8s down`. Run as root (without, it fails).
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  fail "the node e2e needs root: it did not run"
  finish || exit 1
fi

CLUSTER=$WORK/cluster
CGROOT=mk-e2e-$$
BRIDGE=mke2e$$
BRIDGE=${BRIDGE:0:15}
PORT=$(free_port)
POD_CIDR=10.253.$((RANDOM % 200 + 20)).0/24
REGISTRY_PID=""
cleanup() {
  "$MINIK8S" down --data-dir "$CLUSTER" >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
  if [ -n "$REGISTRY_PID" ]; then
    kill "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true  # its status is 143; the trap must go on
  fi
  finish
}
trap cleanup EXIT

echo "== a registry on loopback (Debian's docker-registry), fed by skopeo"
REG_PORT=$(free_port)
REGISTRY=127.0.0.1:$REG_PORT
mkdir -p "$WORK/registry"
cat >"$WORK/registry/config.yml" <<YAML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $WORK/registry/data}}
http: {addr: "$REGISTRY"}
YAML
docker-registry serve "$WORK/registry/config.yml" >"$WORK/registry/log" 2>&1 &
REGISTRY_PID=$!
check "the registry answers" wait_until 15 curl -fsS "http://$REGISTRY/v2/"
check "build the stock images" "$MINIK8S" image build-stock --out "$WORK/images"
check "push greeting-app to $REGISTRY/e2e/greeting:1" skopeo copy --quiet --dest-tls-verify=false \
  "oci-archive:$WORK/images/greeting-app.tar:latest" "docker://$REGISTRY/e2e/greeting:1"
# The node pulls from loopback registries (containerd speaks plain HTTP to them) and from
# those its registry config names (k3s's registries.yaml format). The config makes this
# registry the mirror of another name, a loopback port where nothing listens.
MIRRORED=127.0.0.1:$(free_port)
cat >"$WORK/registries.yaml" <<YAML
mirrors:
  "$MIRRORED":
    endpoint: ["http://$REGISTRY"]
YAML

echo "== minik8s up"
# A port free a moment ago may be taken by then: try another one when it is.
for attempt in 1 2 3; do
  if "$MINIK8S" up --data-dir "$CLUSTER" --port "$PORT" --node-name e2e-node --kubeconfig "$KUBECONFIG" \
      --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" --agent-arg=--kubelet-port=0 "--agent-arg=--pod-cidr=$POD_CIDR" \
      "--agent-arg=--registry-config=$WORK/registries.yaml" >"$WORK/up.log" 2>&1; then
    break
  fi
  if [ "$attempt" = 3 ] || ! grep -q "in use" "$WORK/up.log" "$CLUSTER/logs/server.log" 2>/dev/null; then
    cat "$WORK/up.log"; tail -30 "$CLUSTER/logs/agent.log" 2>/dev/null; exit 1
  fi
  "$MINIK8S" down --data-dir "$CLUSTER" >/dev/null 2>&1 || true
  PORT=$(free_port)
done
expect_output "node e2e-node is Ready" "e2e-node +Ready" kubectl get nodes

field() { kubectl get pod "$1" -o jsonpath="$2" 2>/dev/null; }
pod_uid() { field "$1" '{.metadata.uid}'; }
pod_ip() { field "$1" '{.status.podIP}'; }
restarts() { field "$1" "{.status.containerStatuses[?(@.name==\"$2\")].restartCount}"; }
container_id() { field "$1" "{.status.containerStatuses[?(@.name==\"$2\")].containerID}" | sed 's|containerd://||'; }
is_running() { [ "$(field "$1" '{.status.phase}')" = Running ]; }
all_ready() { [ "$(field "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
cgroup_of() { echo "/sys/fs/cgroup/$1/$CGROOT/pod$(pod_uid "$2")"; }

echo "== the original project's pod.yaml"
check "create pod.yaml" kubectl create -f "$SEEDS/pod.yaml"
# 30m of CPU for three containers: python takes a while to come up.
check "greet-pod becomes Ready (3 containers)" wait_until 120 all_ready greet-pod
expect_output "greet-pod shows 3/3 Running on e2e-node" "greet-pod +3/3 +Running .*e2e-node" kubectl get pods -o wide
IP=$(pod_ip greet-pod)
greets() { curl -s -m 3 "http://$IP:5000/?name=E2E" | grep -q "Nice to meet you, E2E!"; }
check "the greeting container answers on the pod IP $IP" wait_until 60 greets
welcome() { curl -s -m 3 "http://$IP:80/" | grep -q "Welcome to My website version 2"; }
check "the welcome container answers with VERSION=2 from env" wait_until 60 welcome
check "the pod-level memory limit (30Mi) is on the pod cgroup" \
  grep -qx 31457280 "$(cgroup_of memory greet-pod)/memory.limit_in_bytes"
check "the pod-level cpu limit (30m) is on the pod cgroup" \
  grep -qx 3000 "$(cgroup_of cpu greet-pod)/cpu.cfs_quota_us"

echo "== localhost, hostPath, env and args"
SHARED=$WORK/shared
cat >"$WORK/duo.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  volumes:
  - {name: www, hostPath: {path: $SHARED/www}}
  containers:
  - name: web
    image: busybox:1.36.1
    command: ["httpd"]
    args: ["-f", "-p", "8080", "-h", "/www"]
    volumeMounts: [{name: www, mountPath: /www}]
    resources: {limits: {memory: 48Mi, cpu: 200m}}
  - name: writer
    image: busybox:1.36.1
    env: [{name: MSG, value: from-env}, {name: WHO, value: "\$(MSG)-expanded"}]
    command: ["sh", "-c"]
    args: ["echo \"\$WHO \$0\" > /data/index.html; exec sleep 3600", "from-args"]
    volumeMounts: [{name: www, mountPath: /data}]
  - name: client
    image: busybox:1.36.1
    command: ["sh", "-c", "while true; do wget -qO- http://127.0.0.1:8080/index.html; sleep 1; done"]
YAML
check "create a pod of three busybox containers" kubectl create -f "$WORK/duo.yaml"
check "duo becomes Ready" wait_until 60 all_ready duo
DUO_IP=$(pod_ip duo)
served() { curl -s -m 3 "http://$DUO_IP:8080/index.html" | grep -q "from-env-expanded from-args"; }
check "hostPath shared: the file one container wrote is served by another (env, \$(VAR), args)" wait_until 30 served
check "the hostPath directory was created on the host" test -f "$SHARED/www/index.html"
CLIENT_LOG=$(ls -d "$CLUSTER"/node/logs/default_duo_*)/client/0.log
local_fetch() { grep -q "from-env-expanded from-args" "$CLIENT_LOG"; }
check "one container reaches another on localhost (the client's log)" wait_until 30 local_fetch
WEB_ID=$(container_id duo web)
check "the memory limit (48Mi) is in the container's cgroup" \
  grep -qx 50331648 "$(cgroup_of memory duo)/$WEB_ID/memory.limit_in_bytes"
check "the cpu limit (200m) is in the container's cgroup" \
  grep -qx 20000 "$(cgroup_of cpu duo)/$WEB_ID/cpu.cfs_quota_us"

echo "== init containers"
cat >"$WORK/staged.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: staged}
spec:
  volumes: [{name: work, emptyDir: {}}]
  initContainers:
  - name: setup
    image: busybox:1.36.1
    command: ["sh", "-c", "sleep 1; echo prepared-by-init > /work/state"]
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: app
    image: busybox:1.36.1
    command: ["sh", "-c", "cat /work/state; exec sleep 3600"]
    volumeMounts: [{name: work, mountPath: /work}]
YAML
check "create a pod with an init container" kubectl create -f "$WORK/staged.yaml"
check "it becomes Ready after its init container" wait_until 60 all_ready staged
expect_output "the init container completed" "Completed" \
  kubectl get pod staged -o jsonpath='{.status.initContainerStatuses[0].state.terminated.reason}'
app_saw_init() { kubectl logs staged -c app 2>/dev/null | grep -q prepared-by-init; }
check "the app saw what the init container left in the emptyDir" wait_until 30 app_saw_init

echo "== kubectl logs, exec and top"
expect_output "kubectl logs shows what the client fetched over localhost" "from-env-expanded from-args" \
  kubectl logs duo -c client
expect_output "kubectl exec runs in the container (the hostPath file)" "^from-env-expanded from-args" \
  kubectl exec duo -c writer -- cat /data/index.html
expect_output "kubectl exec reaches the other container on localhost" "from-env-expanded from-args" \
  kubectl exec duo -c writer -- wget -qO- http://127.0.0.1:8080/index.html
exec_rc() { kubectl exec duo -c writer -- sh -c 'echo to-stderr >&2; exit 3'; }
exec_rc >"$WORK/exec.out" 2>&1 && RC=0 || RC=$?
check "kubectl exec passes the exit code through (3)" test "$RC" = 3
check "and stderr" grep -q to-stderr "$WORK/exec.out"
echo hello-stdin | kubectl exec -i duo -c writer -- cat >"$WORK/stdin.out" 2>&1 || true
check "kubectl exec -i carries stdin and its end" grep -qx hello-stdin "$WORK/stdin.out"
cat >"$WORK/counter.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: counter}
spec:
  restartPolicy: Never
  containers:
  - name: count
    image: busybox:1.36.1
    command: ["sh", "-c", "sleep 2; for i in 1 2 3 4; do echo line $i; sleep 1; done"]
YAML
check "create a pod that prints four lines and exits" kubectl create -f "$WORK/counter.yaml"
counter_started() { [ "$(field counter '{.status.phase}')" = Running ]; }
check "counter runs" wait_until 30 counter_started
follow() { timeout 30 kubectl logs -f counter >"$WORK/follow.out" 2>&1; }
check "kubectl logs -f follows until the container exits" follow
check "and it saw every line" grep -qx "line 4" "$WORK/follow.out"
top_pods() { kubectl top pods 2>&1 | grep -Eq "^duo +[0-9]+m +[0-9]+Mi"; }
check "kubectl top pods reports the pods" wait_until 40 top_pods
top_nodes() { kubectl top nodes 2>&1 | grep -Eq "^e2e-node +[0-9]+m +[0-9]+%"; }
check "kubectl top nodes reports the node" wait_until 40 top_nodes

echo "== pod DNS: resolv.conf from dnsPolicy and dnsConfig"
cat >"$WORK/dnsnone.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: dnsnone}
spec:
  dnsPolicy: "None"
  dnsConfig:
    nameservers: ["127.0.0.53"]
    searches: ["my.example", "other.example"]
    options: [{name: ndots, value: "2"}, {name: edns0}]
  containers:
  - name: app
    image: busybox:1.36.1
    command: ["sleep", "3600"]
YAML
check "create a pod with dnsPolicy None" kubectl create -f "$WORK/dnsnone.yaml"
check "it becomes Ready" wait_until 60 all_ready dnsnone
check "kubectl exec reads its /etc/resolv.conf" \
  bash -c "kubectl exec dnsnone -- cat /etc/resolv.conf >'$WORK/resolv.none'"
check "its resolv.conf has only its dnsConfig nameserver" \
  test "$(grep '^nameserver' "$WORK/resolv.none")" = "nameserver 127.0.0.53"
check "its searches" grep -qx "search my.example other.example" "$WORK/resolv.none"
check "its options" grep -qx "options ndots:2 edns0" "$WORK/resolv.none"
# `up` runs the agent with --cluster-dns=10.96.0.10: a ClusterFirst pod gets the cluster
# DNS and its search paths (the fallback without --cluster-dns is a kubelet unit test).
check "kubectl exec reads duo's /etc/resolv.conf" \
  bash -c "kubectl exec duo -c writer -- cat /etc/resolv.conf >'$WORK/resolv.duo'"
check "a ClusterFirst pod's nameserver is the kube-dns Service" \
  test "$(grep '^nameserver' "$WORK/resolv.duo")" = "nameserver 10.96.0.10"
check "its searches are the cluster's" \
  grep -q "^search default.svc.cluster.local svc.cluster.local cluster.local\( \|$\)" "$WORK/resolv.duo"
check "with ndots:5" grep -qx "options ndots:5" "$WORK/resolv.duo"
kubectl delete pod dnsnone --grace-period=0 >/dev/null 2>&1 || true

echo "== a killed container process is restarted"
BEFORE=$(restarts duo web)
for pid in $(cat "$(cgroup_of memory duo)/$WEB_ID/cgroup.procs"); do kill -9 "$pid" 2>/dev/null || true; done
START=$SECONDS
restarted() { [ "$(restarts duo web)" = $((BEFORE + 1)) ] && is_running duo && [ "$(container_id duo web)" != "$WEB_ID" ]; }
check "web is restarted with restartCount $((BEFORE + 1))" wait_until 3 restarted
echo "       (restart seen after about $((SECONDS - START)) s)"
expect_output "its lastState says it was killed (exit 137)" "137" \
  kubectl get pod duo -o jsonpath='{.status.containerStatuses[?(@.name=="web")].lastState.terminated.exitCode}'
check "and it serves again" wait_until 30 served

echo "== OOMKilled"
cat >"$WORK/hog.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  containers:
  - name: hog
    image: busybox:1.36.1
    command: ["sh", "-c", "sleep 2; exec tail -c 150m /dev/zero"]
    resources: {limits: {memory: 32Mi}}
YAML
check "create a pod that allocates past its 32Mi limit" kubectl create -f "$WORK/hog.yaml"
oomed() {
  [ "$(field hog '{.status.containerStatuses[0].lastState.terminated.reason}')" = OOMKilled ] &&
    [ "$(field hog '{.status.containerStatuses[0].restartCount}')" -ge 1 ]
}
check "it is OOMKilled and restarted (lastState.terminated.reason, restartCount)" wait_until 60 oomed

echo "== configMap and secret volumes, probes and CrashLoopBackOff on real containerd"
cat >"$WORK/probes.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: hello}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {token: s3cret}
---
apiVersion: v1
kind: Pod
metadata: {name: vols}
spec:
  volumes:
  - {name: cfg, configMap: {name: settings}}
  - {name: sec, secret: {secretName: creds}}
  containers:
  - name: c
    image: busybox:1.36.1
    command: ["sleep", "3600"]
    volumeMounts: [{name: cfg, mountPath: /cfg}, {name: sec, mountPath: /sec}]
---
apiVersion: v1
kind: Pod
metadata: {name: live}
spec:
  containers:
  - name: c
    image: busybox:1.36.1
    command: ["sh", "-c", "touch /tmp/healthy; sleep 3; rm /tmp/healthy; sleep 3600"]
    livenessProbe:
      exec: {command: ["cat", "/tmp/healthy"]}
      periodSeconds: 1
      failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata: {name: flip}
spec:
  containers:
  - name: c
    image: busybox:1.36.1
    command: ["sh", "-c", "touch /tmp/ready; sleep 3600"]
    readinessProbe:
      exec: {command: ["cat", "/tmp/ready"]}
      periodSeconds: 1
      failureThreshold: 1
      successThreshold: 1
YAML
check "create settings, creds, vols, live and flip" kubectl create -f "$WORK/probes.yaml"
check "vols runs" wait_until 60 is_running vols
expect_output "the configMap is a file in the container" '^hello$' kubectl exec vols -- cat /cfg/greeting
expect_output "the secret is a file in the container" '^s3cret$' kubectl exec vols -- cat /sec/token
check "update the configmap" kubectl patch configmap settings -p '{"data":{"greeting":"hello again"}}'
updated() { [ "$(kubectl exec vols -- cat /cfg/greeting 2>/dev/null)" = "hello again" ]; }
check "the update reaches the mounted file" wait_until 90 updated
check "a failing liveness probe restarts the container" wait_until 60 \
  sh -c "[ \"\$(kubectl get pod live -o jsonpath='{.status.containerStatuses[0].restartCount}')\" -ge 1 ]"
ready_is() { [ "$(field flip '{.status.conditions[?(@.type=="Ready")].status}')" = "$1" ]; }
check "flip turns Ready" wait_until 60 ready_is True
check "make flip's readiness probe fail" kubectl exec flip -- rm /tmp/ready
check "flip turns not Ready" wait_until 30 ready_is False
check "make it pass again" kubectl exec flip -- touch /tmp/ready
check "flip turns Ready again" wait_until 30 ready_is True
# CrashLoopBackOff: each restart waits longer than the one before (the back-off doubles
# from 1 s; the kubelet notices an exit within its 1 s relist, which blurs exact doubling).
check "create crash, a pod whose container exits 3" \
  kubectl run crash --image=busybox:1.36.1 --restart=Always -- sh -c 'exit 3'
crash_reason() { [ "$(field crash '{.status.containerStatuses[0].state.waiting.reason}')" = CrashLoopBackOff ]; }
check "crash goes to CrashLoopBackOff" wait_until 60 crash_reason
restart_times=()
last=-1
deadline=$((SECONDS + 90))
while [ ${#restart_times[@]} -lt 5 ] && [ $SECONDS -lt $deadline ]; do
  n=$(restarts crash crash)
  if [ -n "$n" ] && [ "$n" != "$last" ]; then restart_times+=("$(date +%s.%N)"); last=$n; fi
  sleep 0.1
done
gaps=$(python3 -c 'import sys; t=[float(x) for x in sys.argv[1:]]; print(" ".join("%.1f" % (b-a) for a,b in zip(t,t[1:])))' "${restart_times[@]}")
doubling() { python3 -c 'import sys; g=[float(x) for x in sys.argv[1:]]; sys.exit(0 if len(g) >= 3 and all(b > a for a, b in zip(g, g[1:])) and g[-1] >= 2 * g[0] else 1)' $gaps; }
check "the delays between restarts grow, the last at least twice the first (gaps: $gaps s)" doubling
check "delete vols, live, flip and crash" kubectl delete pod vols live flip crash --wait=false

echo "== images pulled from the registry, and one that exists nowhere"
check "create a pod with image $REGISTRY/e2e/greeting:1" \
  kubectl run pulled --image="$REGISTRY/e2e/greeting:1" --restart=Never
check "it is pulled and runs" wait_until 60 is_running pulled
expect_output "its events say the image was pulled" "Successfully pulled image \"$REGISTRY/e2e/greeting:1\"" \
  kubectl get events --field-selector involvedObject.name=pulled -o jsonpath='{.items[*].message}'
PULLED_IP=$(pod_ip pulled)
greets_pulled() { curl -s -m 3 "http://$PULLED_IP:5000/?name=Registry" | grep -q "Nice to meet you, Registry!"; }
check "the pulled greeting app answers on $PULLED_IP" wait_until 60 greets_pulled
check "create a pod with image $MIRRORED/e2e/greeting:1 (its registry config mirror)" \
  kubectl run mirrored --image="$MIRRORED/e2e/greeting:1" --restart=Never
check "it is pulled from the mirror and runs" wait_until 60 is_running mirrored
check "create a pod with image nosuch:1.0 (docker.io: not in the node's registry config)" \
  kubectl run ghost --image=nosuch:1.0 --restart=Never
back_off() { [ "$(field ghost '{.status.containerStatuses[0].state.waiting.reason}')" = ImagePullBackOff ]; }
check "its status goes to ImagePullBackOff" wait_until 30 back_off
expect_output "with a message naming the image and why" \
  'Back-off pulling image "nosuch:1.0": ErrImagePull: .*docker.io is not in this node.s registry config' \
  kubectl get pod ghost -o jsonpath='{.status.containerStatuses[0].state.waiting.message}'
check "delete the pulled pods" kubectl delete pod pulled mirrored --wait=false

echo "== kill -9 of the agent keeps every container"
IDS_BEFORE=$(kubectl get pods duo greet-pod -o jsonpath='{.items[*].status.containerStatuses[*].containerID}')
AGENT_PID=$(cat "$CLUSTER/run/agent.pid")
kill -9 "$AGENT_PID"
check "the agent is gone" wait_until 10 bash -c "! kill -0 $AGENT_PID"
check "minik8s up brings the agent back" "$MINIK8S" up --data-dir "$CLUSTER" --port "$PORT" --node-name e2e-node \
  --kubeconfig "$KUBECONFIG" --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" --agent-arg=--kubelet-port=0 \
  "--agent-arg=--pod-cidr=$POD_CIDR"
check "greet-pod still answers" greets
IDS_AFTER=$(kubectl get pods duo greet-pod -o jsonpath='{.items[*].status.containerStatuses[*].containerID}')
check "the same container IDs after the restart" test "$IDS_BEFORE" = "$IDS_AFTER"
CLIENT_ID=$(container_id duo client)
CLIENT_RESTARTS=$(restarts duo client)
for pid in $(cat "$(cgroup_of memory duo)/$CLIENT_ID/cgroup.procs"); do kill -9 "$pid" 2>/dev/null || true; done
client_restarted() { [ "$(restarts duo client)" = $((CLIENT_RESTARTS + 1)) ]; }
check "status still updates: a killed client is restarted and counted" wait_until 10 client_restarted

echo "== deleting a pod"
DUO_UID=$(pod_uid duo)
check "kubectl delete pod duo returns once the object is gone" kubectl delete pod duo --timeout=60s
expect_fail "duo is gone from the API" kubectl get pod duo
check "its pod cgroup is gone" test ! -e "/sys/fs/cgroup/memory/$CGROOT/pod$DUO_UID"
check "its log directory is gone" bash -c "! ls -d $CLUSTER/node/logs/default_duo_* 2>/dev/null"
check "delete the other pods" kubectl delete pod greet-pod hog ghost counter staged --timeout=60s
