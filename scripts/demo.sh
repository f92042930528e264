#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, starts the control plane
# (managed etcd + apiserver) in the background, creates the original project's seed
# manifests with the real kubectl and shows them. Until the node lands (kubelet,
# containerd), pods stay Pending. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/lib.sh

STATE=${MINIK8S_STATE:-/var/lib/minik8s}
PORT=${MINIK8S_PORT:-6443}
mkdir -p "$STATE"
if [ -f "$STATE/server.pid" ] && kill -0 "$(cat "$STATE/server.pid")" 2>/dev/null; then
  echo "demo: a minik8s server is already running (pid $(cat "$STATE/server.pid"))"
else
  nohup minik8s server --port "$PORT" --data-dir "$STATE" >"$STATE/server.log" 2>&1 &
  echo $! >"$STATE/server.pid"
  wait_ready "http://127.0.0.1:$PORT/readyz" 30 "$(cat "$STATE/server.pid")" || { cat "$STATE/server.log"; exit 1; }
fi

mkdir -p "$HOME/.kube"
if [ -f "$HOME/.kube/config" ] && ! grep -q "server: http://127.0.0.1:$PORT" "$HOME/.kube/config"; then
  cp "$HOME/.kube/config" "$HOME/.kube/config.before-minik8s"
  echo "demo: your previous ~/.kube/config is saved as ~/.kube/config.before-minik8s"
fi
write_kubeconfig "$HOME/.kube/config" "http://127.0.0.1:$PORT"

echo "== creating the original project's manifests with kubectl"
for f in e2e/seed-manifests/*.yaml; do
  kubectl create -f "$f" 2>&1 | grep -v AlreadyExists || true
done
echo
echo "== kubectl get all -A"
kubectl get all -A
echo
echo "== kubectl get dnses,hpas,endpoints"
kubectl get dnses,hpas,endpoints
cat <<TXT

The minik8s control plane is running (pid $(cat "$STATE/server.pid"), log $STATE/server.log).
kubectl is configured through ~/.kube/config (context "minik8s", http://127.0.0.1:$PORT):
  kubectl get pods -o wide
  kubectl apply -f e2e/seed-manifests/deployment.yaml
  kubectl describe pod greet-pod
Stop it with: kill \$(cat $STATE/server.pid)
TXT
