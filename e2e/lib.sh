# Shared helpers for the end-to-end scripts: start a throwaway control plane (its own
# data dir, managed etcd and ports), point the real kubectl at it through a kubeconfig in
# a private HOME, assertions with a pass/fail count, and cleanup by PID.
# shellcheck shell=bash
set -euo pipefail

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$E2E_ROOT/scripts/lib.sh"
MINIK8S=${MINIK8S:-$E2E_ROOT/build/cmd/minik8s/minik8s}
SEEDS=${SEEDS:-$E2E_ROOT/e2e/seed-manifests}
PASSED=0
FAILED=0
SERVER_PID=""
WORK=$(mktemp -d /tmp/minik8s-e2e.XXXXXX)
export HOME=$WORK/home
mkdir -p "$HOME"
export KUBECONFIG=$WORK/kubeconfig

# The leak guard. Our clusters program the host (service rules, pod routes); an address
# with no local route leaves through the default gateway, so a ClusterIP before its rules
# exist, or a pod IP of a node in another namespace, would reach the network. While an e2e
# script runs, a chain of its own drops private destinations leaving through the
# default-route interface; finish (or the exit trap) removes it. It sits in mangle
# POSTROUTING, the one place that sees both the final destination (after the proxy's
# DNAT) and the final interface: filter OUTPUT still sees the route chosen before DNAT.
NET_GUARD_CHAIN=""
net_guard_on() {
  local dev
  dev=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
  [ -n "$dev" ] || return 0
  NET_GUARD_CHAIN=MK8S-GUARD-$$
  iptables -w -t mangle -N "$NET_GUARD_CHAIN"
  local range
  for range in 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 169.254.0.0/16; do
    iptables -w -t mangle -A "$NET_GUARD_CHAIN" -o "$dev" -d "$range" -j DROP
  done
  iptables -w -t mangle -I POSTROUTING 1 -j "$NET_GUARD_CHAIN"
}
net_guard_off() {
  [ -n "$NET_GUARD_CHAIN" ] || return 0
  iptables -w -t mangle -D POSTROUTING -j "$NET_GUARD_CHAIN" 2>/dev/null || true
  iptables -w -t mangle -F "$NET_GUARD_CHAIN" 2>/dev/null || true
  iptables -w -t mangle -X "$NET_GUARD_CHAIN" 2>/dev/null || true
  NET_GUARD_CHAIN=""
}
if [ "$(id -u)" = 0 ]; then
  net_guard_on
  trap net_guard_off EXIT  # scripts replace it with a cleanup that calls finish
fi

# rule_for IP: the ClusterIP has its KUBE-SERVICES rule (send to it only then). grep reads
# all of iptables-save's output: with -q it would quit at the first match, and under
# pipefail the SIGPIPE that iptables-save then gets would fail the check.
rule_for() { iptables-save -t nat | grep -- "-A KUBE-SERVICES -d $1/32 .*-j KUBE-SVC-" >/dev/null; }

pass() { PASSED=$((PASSED + 1)); echo "  ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "  FAIL $*"; }

# check "description" command...   (passes when the command exits 0)
check() {
  local what=$1
  shift
  if "$@" >"$WORK/out" 2>&1; then pass "$what"; else fail "$what"; sed 's/^/       /' "$WORK/out" | head -20; fi
}
# expect_output "description" "regex" command...   (must exit 0, and stdout+stderr must match)
expect_output() { expect_status_and_output 0 "$@"; }
# expect_error_output "description" "regex" command...   (must exit non-zero, and match)
expect_error_output() { expect_status_and_output 1 "$@"; }
expect_status_and_output() {
  local want_error=$1 what=$2 pattern=$3 rc=0
  shift 3
  "$@" >"$WORK/out" 2>&1 || rc=$?
  if [ "$want_error" = 0 ] && [ "$rc" != 0 ]; then
    fail "$what (exit $rc)"
  elif [ "$want_error" = 1 ] && [ "$rc" = 0 ]; then
    fail "$what (it succeeded; a failure was expected)"
  elif ! grep -Eq -- "$pattern" "$WORK/out"; then
    fail "$what (wanted /$pattern/)"
  else
    pass "$what"
    return 0
  fi
  sed 's/^/       /' "$WORK/out" | head -20
}
# expect_fail "description" command...   (must exit non-zero)
expect_fail() {
  local what=$1
  shift
  if "$@" >"$WORK/out" 2>&1; then fail "$what (it succeeded)"; sed 's/^/       /' "$WORK/out" | head -10; else pass "$what"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_server() {
  # free_port only finds a port that was free a moment ago (the managed etcd may take it
  # first): try again with another one when the server cannot listen.
  local _
  for _ in 1 2 3; do
    PORT=$(free_port)
    "$MINIK8S" server --port "$PORT" --data-dir "$WORK/data" --log-level warn "$@" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    if wait_ready "http://127.0.0.1:$PORT/readyz" 30 "$SERVER_PID"; then
      write_kubeconfig "$KUBECONFIG" "http://127.0.0.1:$PORT"
      return 0
    fi
    stop_server
    grep -q "already in use" "$WORK/server.log" || break
  done
  echo "server did not start:"; cat "$WORK/server.log"; exit 1
}

# start_tls_server [flag...]: `minik8s server --tls` on a free port, its PKI in
# $WORK/data/pki; sets PORT, SERVER_PID, PKI and URL (the admin kubeconfig is
# $PKI/admin.kubeconfig). Tries another port when the one found is taken meanwhile.
start_tls_server() {
  PKI=$WORK/data/pki
  local _
  for _ in 1 2 3; do
    PORT=$(free_port)
    "$MINIK8S" server --tls --port "$PORT" --data-dir "$WORK/data" --log-level warn "$@" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    # /readyz is one of the paths anonymous requests may read.
    if wait_until 30 curl -fsS -m 1 --cacert "$PKI/ca.crt" "https://127.0.0.1:$PORT/readyz"; then
      URL=https://127.0.0.1:$PORT
      return 0
    fi
    stop_server
    grep -q "already in use" "$WORK/server.log" || break
  done
  echo "server did not start:"; cat "$WORK/server.log"; exit 1
}

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    local deadline=$((SECONDS + 15))
    while kill -0 "$SERVER_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

finish() {
  stop_server
  net_guard_off
  rm -rf "$WORK"
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# api_credentials: $API, the server of $KUBECONFIG's current context, and api_curl, curl
# with that context's CA and client certificate (what `minik8s up` writes), for reading the
# API as JSON. Exported, so that `bash -c` checks can use them.
api_credentials() {
  local view="kubectl config view --raw --minify -o jsonpath"
  API=$($view='{.clusters[0].cluster.server}')
  export API_CA=$WORK/api-ca.crt API_CERT=$WORK/api-client.crt API_KEY=$WORK/api-client.key
  $view='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$API_CA"
  $view='{.users[0].user.client-certificate-data}' | base64 -d >"$API_CERT"
  $view='{.users[0].user.client-key-data}' | base64 -d >"$API_KEY"
  chmod 600 "$API_KEY"
  export API
}
api_curl() { curl --cacert "$API_CA" --cert "$API_CERT" --key "$API_KEY" "$@"; }
export -f api_curl

# Polls "command" until it succeeds or the deadline (seconds) passes.
wait_until() {
  local timeout=$1
  shift
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -gt $deadline ] && return 1
    sleep 0.1
  done
}
