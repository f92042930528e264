# Shell helpers shared by scripts/ and e2e/ (sourced, not run).

# write_kubeconfig FILE SERVER_URL: a kubeconfig with one cluster, context and user, all
# named "minik8s", the current context.
write_kubeconfig() {
  cat >"$1" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: minik8s
  cluster:
    server: $2
contexts:
- name: minik8s
  context:
    cluster: minik8s
    user: minik8s
current-context: minik8s
users:
- name: minik8s
  user: {}
KCFG
}

# wait_ready URL SECONDS [PID]: polls URL until it answers 2xx; fails early if PID dies.
wait_ready() {
  local url=$1 deadline=$((SECONDS + $2)) pid=${3:-}
  until curl -fsS -m 1 "$url" >/dev/null 2>&1; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    [ $SECONDS -gt $deadline ] && return 1
    sleep 0.1
  done
}
