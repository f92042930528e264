#!/usr/bin/env bash
# End to end: the streaming subresources with the real kubectl on a `minik8s up` node.
# kubectl 1.32 tries WebSocket first and falls back to SPDY/3.1, which the API server and
# the kubelet pass on to containerd's streaming server (docs/kubelet_server.md): exec -i
# whose stdin ends (`| wc -l`), exit codes, `kubectl cp` both ways (tar through exec), and
# port-forward to a pod and to a service (curl on 127.0.0.1, two connections at once, a
# closed connection leaving the forward working). Run as root; traffic stays on loopback.
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  fail "the streams e2e needs root: it did not run"
  finish || exit 1
fi

CLUSTER=$WORK/cluster
CGROOT=mk-streams-$$
BRIDGE=mkstr$$
BRIDGE=${BRIDGE:0:15}
PORT=$(free_port)
POD_CIDR=10.253.$((RANDOM % 200 + 20)).0/24
PF_PIDS=()
cleanup() {
  local pid
  for pid in "${PF_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  "$MINIK8S" down --data-dir "$CLUSTER" >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
  finish
}
trap cleanup EXIT
K="kubectl --request-timeout=30s"

echo "== minik8s up"
for attempt in 1 2 3; do
  if "$MINIK8S" up --data-dir "$CLUSTER" --port "$PORT" --node-name streams-node --kubeconfig "$KUBECONFIG" \
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

cat >"$WORK/streamer.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: streamer, labels: {app: streamer}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: web
    image: busybox:1.36.1
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-pod >/www/index.html && exec httpd -f -p 8080 -h /www"]
---
apiVersion: v1
kind: Service
metadata: {name: streamer}
spec:
  selector: {app: streamer}
  ports: [{port: 80, targetPort: 8080}]
YAML
check "create the streamer pod and service" $K create -f "$WORK/streamer.yaml"
running() { [ "$($K get pod streamer -o jsonpath='{.status.phase}')" = Running ]; }
check "streamer runs" wait_until 60 running

echo "== exec"
expect_output "echo hi | exec -i wc -l counts one line (stdin's end reaches the command)" '^ *1$' \
  bash -c "echo hi | $K exec -i streamer -- wc -l"
printf 'one\ntwo\nthree\n' >"$WORK/lines"
check "exec -i cat returns its stdin unchanged" \
  bash -c "$K exec -i streamer -- cat <'$WORK/lines' >'$WORK/lines.out' && cmp '$WORK/lines' '$WORK/lines.out'"
check "exec without stdin still works" bash -c "[ \"\$($K exec streamer -- echo plain)\" = plain ]"
exit_code() { local rc=0; $K exec streamer -- sh -c 'exit 3' >/dev/null 2>&1 || rc=$?; [ "$rc" = 3 ]; }
check "exec passes the exit code on" exit_code

echo "== cp"
head -c 300000 /dev/urandom >"$WORK/payload.bin"
check "cp a local file into the pod" $K cp "$WORK/payload.bin" streamer:/tmp/payload.bin
LOCAL_SUM=$(md5sum <"$WORK/payload.bin" | cut -d' ' -f1)
expect_output "the copy in the pod has the same content" "^$LOCAL_SUM " $K exec streamer -- md5sum /tmp/payload.bin
check "cp the file back out of the pod" $K cp streamer:/tmp/payload.bin "$WORK/back.bin"
check "the file copied out equals the original" cmp "$WORK/payload.bin" "$WORK/back.bin"

echo "== port-forward"
# start_forward TARGET: `kubectl port-forward TARGET L:R` in the background; sets LPORT.
start_forward() {
  local target=$1 remote=$2
  LPORT=$(free_port)
  $K port-forward "$target" "$LPORT:$remote" >"$WORK/pf-$LPORT.log" 2>&1 &
  PF_PIDS+=("$!")
}
fetch() { curl -fsS -m 10 "http://127.0.0.1:$1/"; }
start_forward pod/streamer 8080
POD_PORT=$LPORT
pf_ready() { fetch "$POD_PORT" | grep -qx hello-from-pod; }
check "port-forward pod/streamer answers from the pod on 127.0.0.1:$POD_PORT" wait_until 20 pf_ready
parallel() {
  fetch "$POD_PORT" >"$WORK/p1" & local a=$!
  fetch "$POD_PORT" >"$WORK/p2" & local b=$!
  wait "$a" && wait "$b" && grep -qx hello-from-pod "$WORK/p1" && grep -qx hello-from-pod "$WORK/p2"
}
check "two connections at once are both answered" parallel
# A client that connects and closes without a request: the forward must go on serving.
check "a connection closed early" bash -c "exec 3<>/dev/tcp/127.0.0.1/$POD_PORT; exec 3>&-"
check "the forward still answers after connections closed" pf_ready
check "the port-forward process is still running" kill -0 "${PF_PIDS[0]}"
start_forward svc/streamer 80
SVC_PORT=$LPORT
svc_ready() { fetch "$SVC_PORT" | grep -qx hello-from-pod; }
check "port-forward svc/streamer reaches the pod behind it" wait_until 20 svc_ready
expect_error_output "port-forward to a port nothing listens on reports the failure" \
  'error|refused|failed' bash -c "
    L=\$(python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])')
    $K port-forward pod/streamer \$L:9 >'$WORK/pf-dead.log' 2>&1 & P=\$!
    for i in \$(seq 50); do curl -s -m 2 http://127.0.0.1:\$L/ >/dev/null 2>&1 && break; grep -q Forwarding '$WORK/pf-dead.log' && break; sleep 0.1; done
    curl -sS -m 5 http://127.0.0.1:\$L/; rc=\$?; kill \$P; wait \$P 2>/dev/null; cat '$WORK/pf-dead.log'; exit \$rc"

check "delete the streamer" $K delete pod streamer --grace-period=0 --wait=false
