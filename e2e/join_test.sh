#!/usr/bin/env bash
# Joining a cluster (kubeadm's token discovery and the kubelet's TLS bootstrap) against a
# real `minik8s server --tls`: `token create --print-join-command` prints the agent command
# with the CA pin; anonymous users may get kube-public/cluster-info and nothing else; an agent
# with a wrong pin is refused; with the right one it gets a certificate through a
# CertificateSigningRequest (approved and signed by the controller manager) and its
# kubeconfig authenticates as system:node:<name>, which reads a Secret or ConfigMap only by
# name (get, or list/watch with a metadata.name field selector) when a pod bound to the node
# uses it. cluster-info carries the bootstrapsigner's JWS made with the token, which the
# agent checks (a wrong token secret is refused at discovery); --token-file keeps the token
# out of the command line. The agent runs with --bootstrap-only: no containerd is needed.
source "$(dirname "$0")/lib.sh"
trap finish EXIT

PKI=$WORK/data/pki
start_tls_server
URL=https://127.0.0.1:$PORT
export KUBECONFIG=$PKI/admin.kubeconfig
K="kubectl --request-timeout=20s"
CI=$URL/api/v1/namespaces/kube-public/configmaps/cluster-info
echo "join e2e against $URL"

echo "== the join command"
JOIN=$("$MINIK8S" token create --print-join-command --kubeconfig "$KUBECONFIG" --ttl 1h 2>"$WORK/token.err") || cat "$WORK/token.err"
echo "  $JOIN"
check "it is an agent command with server, token and CA hash" bash -c \
  "[[ '$JOIN' =~ ^minik8s\ agent\ --server\ $URL\ --token\ [a-z0-9]{6}\.[a-z0-9]{16}\ --discovery-token-ca-cert-hash\ sha256:[0-9a-f]{64}$ ]]"
PIN=sha256:$(openssl x509 -pubkey -noout -in "$PKI/ca.crt" | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)
check "its hash is kubeadm's (openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum)" \
  bash -c "[[ '$JOIN' == *'$PIN' ]]"
TOKEN=$(sed -E 's/.*--token ([^ ]+).*/\1/' <<<"$JOIN")

echo "== cluster-info: anonymous users may get it and nothing else"
expect_output "anonymous GET of cluster-info (server not verified) has the server and the CA" \
  'certificate-authority-data' curl -fsS -k "$CI"
expect_output "its CA is the cluster's" '^ok$' bash -c \
  "curl -fsS -k '$CI' | python3 -c 'import sys,json,yaml,base64; k=yaml.safe_load(json.load(sys.stdin)[\"data\"][\"kubeconfig\"]); print(\"ok\" if base64.b64decode(k[\"clusters\"][0][\"cluster\"][\"certificate-authority-data\"]).decode()==open(\"$PKI/ca.crt\").read() else \"differs\")'"
expect_output "anonymous list of kube-public configmaps is 401" '^401$' \
  curl -sS -k -o /dev/null -w '%{http_code}' "$URL/api/v1/namespaces/kube-public/configmaps"
expect_output "anonymous watch of cluster-info is 401" '^401$' \
  curl -sS -k -o /dev/null -w '%{http_code}' "$URL/api/v1/watch/namespaces/kube-public/configmaps/cluster-info"
expect_output "anonymous DELETE of cluster-info is 403" '^403$' \
  curl -sS -k -o /dev/null -w '%{http_code}' -X DELETE "$CI"
expect_output "anonymous GET of another ConfigMap is 401" '^401$' \
  curl -sS -k -o /dev/null -w '%{http_code}' "$URL/api/v1/namespaces/kube-system/configmaps/cluster-info"

echo "== cluster-info is signed with the token (the bootstrapsigner's jws-kubeconfig-<id>)"
TOKEN_ID=${TOKEN%%.*}
TOKEN_SECRET=${TOKEN#*.}
# The detached JWS as kubeadm computes it: HS256 over base64url(header).base64url(kubeconfig).
JWS_CHECK="import sys,json,hmac,hashlib,base64
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b'=').decode()
d=json.load(sys.stdin)['data']; sig=d.get('jws-kubeconfig-$TOKEN_ID','')
h=b64(json.dumps({'alg':'HS256','kid':'$TOKEN_ID'},separators=(',',':')).encode())
mac=hmac.new(b'$TOKEN_SECRET',(h+'.'+b64(d['kubeconfig'].encode())).encode(),hashlib.sha256).digest()
print('valid' if sig==h+'..'+b64(mac) else 'invalid: '+sig)"
check "the signature appears for the new token" wait_until 20 bash -c \
  "curl -fsS -k '$CI' | grep -q 'jws-kubeconfig-$TOKEN_ID'"
expect_output "and is the HS256 detached JWS of the kubeconfig keyed with the token secret" '^valid$' \
  bash -c "curl -fsS -k '$CI' | python3 -c \"$JWS_CHECK\""
GONE=$("$MINIK8S" token create --kubeconfig "$KUBECONFIG" --ttl 1h 2>/dev/null)
check "another token is signed too" wait_until 20 bash -c "curl -fsS -k '$CI' | grep -q 'jws-kubeconfig-${GONE%%.*}'"
"$MINIK8S" token delete "${GONE%%.*}" --kubeconfig "$KUBECONFIG" >/dev/null 2>&1
check "and its signature goes when it is deleted" wait_until 20 bash -c \
  "! curl -fsS -k '$CI' | grep -q 'jws-kubeconfig-${GONE%%.*}'"

echo "== discovery refuses a wrong token and a wrong CA hash"
expect_error_output "a wrong secret for the token id is refused at discovery (JWS does not verify)" \
  "jws-kubeconfig-$TOKEN_ID does not verify with the token" \
  "$MINIK8S" agent --server "$URL" --token "$TOKEN_ID.0000000000000000" --discovery-token-ca-cert-hash "$PIN" \
  --node-name join-e2e --data-dir "$WORK/node" --bootstrap-only
check "and wrote no kubeconfig" test ! -e "$WORK/node/kubeconfig"
(umask 077; echo "abcdef.0123456789abcdef" >"$WORK/unknown-token")
"$MINIK8S" agent --server "$URL" --token-file "$WORK/unknown-token" --discovery-token-ca-cert-hash "$PIN" \
  --node-name join-e2e --data-dir "$WORK/node" --bootstrap-only >"$WORK/unknown.out" 2>&1 &
UNKNOWN_PID=$!
check "with --token-file the token is not in the agent's command line (/proc/PID/cmdline)" wait_until 5 bash -c \
  "tr '\\0' ' ' </proc/$UNKNOWN_PID/cmdline | grep -q -- '--token-file $WORK/unknown-token' && ! grep -q 0123456789abcdef /proc/$UNKNOWN_PID/cmdline"
wait $UNKNOWN_PID || true  # it fails, as it should
expect_output "a token id the cluster does not know is refused at discovery" \
  'no JWS signed by token id "abcdef"' cat "$WORK/unknown.out"
chmod 644 "$WORK/unknown-token"
expect_error_output "a --token-file others can read is refused" 'chmod 600' \
  "$MINIK8S" agent --server "$URL" --token-file "$WORK/unknown-token" --discovery-token-ca-cert-hash "$PIN" \
  --node-name join-e2e --data-dir "$WORK/node" --bootstrap-only
WRONG=sha256:$(printf '0%.0s' $(seq 64))
expect_error_output "an agent with a wrong hash is refused, naming the actual hash" "$PIN" \
  "$MINIK8S" agent --server "$URL" --token "$TOKEN" --discovery-token-ca-cert-hash "$WRONG" \
  --node-name join-e2e --data-dir "$WORK/node" --bootstrap-only
check "and wrote no kubeconfig" test ! -e "$WORK/node/kubeconfig"
expect_error_output "an agent without a hash is refused unless told it is unsafe" \
  'discovery-token-unsafe-skip-ca-verification' \
  "$MINIK8S" agent --server "$URL" --token "$TOKEN" --node-name join-e2e --data-dir "$WORK/node" --bootstrap-only

echo "== TLS bootstrap with the join command"
# shellcheck disable=SC2086
check "the printed command (with --bootstrap-only) gets node credentials" \
  timeout 120 "$MINIK8S" ${JOIN#minik8s } --node-name join-e2e --data-dir "$WORK/node" --bootstrap-only
NODECFG=$WORK/node/kubeconfig
expect_output "the kubeconfig is private (0600)" '^600$' stat -c %a "$NODECFG"
expect_output "a CertificateSigningRequest node-csr-* was approved and issued" '^node-csr-.*Approved,Issued' \
  $K get csr --no-headers
kubectl --kubeconfig "$NODECFG" config view --raw -o jsonpath='{.users[0].user.client-certificate-data}' | base64 -d >"$WORK/node.crt"
expect_output "its certificate is CN=system:node:join-e2e, O=system:nodes" \
  'O ?= ?system:nodes, CN ?= ?system:node:join-e2e' openssl x509 -in "$WORK/node.crt" -noout -subject
check "signed by the cluster CA" openssl verify -CAfile "$PKI/ca.crt" "$WORK/node.crt"
expect_output "the kubeconfig reads the API as the node" '^default' \
  kubectl --request-timeout=20s --kubeconfig "$NODECFG" get namespaces --no-headers
expect_error_output "and is held by the Node authorizer as system:node:join-e2e" \
  'User "system:node:join-e2e" cannot create resource "namespaces"' \
  kubectl --request-timeout=20s --kubeconfig "$NODECFG" create namespace by-a-node
echo "== a node reads the Secrets and ConfigMaps of its pods by name (get, list, watch), no others"
$K create configmap join-used --from-literal=k=v >/dev/null
$K create configmap join-other --from-literal=k=v >/dev/null
$K create secret generic join-secret --from-literal=k=v >/dev/null
$K apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata: {name: join-e2e}
---
apiVersion: v1
kind: Pod
metadata: {name: join-user}
spec:
  nodeName: join-e2e
  volumes: [{name: cfg, configMap: {name: join-used}}]
  containers:
  - name: c
    image: busybox
    env: [{name: K, valueFrom: {secretKeyRef: {name: join-secret, key: k}}}]
YAML
NK="kubectl --request-timeout=20s --kubeconfig $NODECFG -n default"
expect_output "a list with fieldSelector metadata.name=<a ConfigMap its pod uses> is allowed" \
  '^join-used ' $NK get configmaps --field-selector metadata.name=join-used --no-headers
expect_output "so is one of the Secret its pod uses" \
  '^join-secret ' $NK get secrets --field-selector metadata.name=join-secret --no-headers
kubectl --kubeconfig "$NODECFG" config view --raw -o jsonpath='{.users[0].user.client-key-data}' | base64 -d >"$WORK/node.key"
expect_output "and a watch of it (metadata.name field selector)" '^200$' \
  curl -sS --cacert "$PKI/ca.crt" --cert "$WORK/node.crt" --key "$WORK/node.key" -o /dev/null -w '%{http_code}' \
  "$URL/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Djoin-used"
expect_error_output "a list of every ConfigMap is refused" 'can only get individual configmaps' \
  $NK get configmaps
expect_error_output "a named list of a ConfigMap no pod of the node uses is refused" 'no relationship found' \
  $NK get configmaps --field-selector metadata.name=join-other
expect_error_output "a named list across namespaces is refused" 'can only read namespaced object' \
  kubectl --request-timeout=20s --kubeconfig "$NODECFG" get secrets -A --field-selector metadata.name=join-secret
$K delete pod join-user --wait=false >/dev/null
$K delete node join-e2e --wait=false >/dev/null
expect_output "a restart reuses the credentials without the network (even with a dead token)" \
  'using the node credentials' "$MINIK8S" agent --server "https://127.0.0.1:1" --token abcdef.0123456789abcdef \
  --discovery-token-ca-cert-hash "$PIN" --node-name join-e2e --data-dir "$WORK/node" --bootstrap-only

echo "== --node-config"
cat >"$WORK/node.yaml" <<YAML
apiVersion: v1
kind: Node
metadata:
  name: from-file
  labels: {zone: a}
spec:
  ip: 127.0.0.1
YAML
(umask 077; echo "$TOKEN" >"$WORK/token")
check "the agent joins under the file's name (token from --token-file)" timeout 120 "$MINIK8S" agent --server "$URL" --token-file "$WORK/token" \
  --discovery-token-ca-cert-hash "$PIN" --node-config "$WORK/node.yaml" --data-dir "$WORK/node2" --bootstrap-only
kubectl --kubeconfig "$WORK/node2/kubeconfig" config view --raw -o jsonpath='{.users[0].user.client-certificate-data}' | base64 -d >"$WORK/node2.crt"
expect_output "its certificate is system:node:from-file" 'CN ?= ?system:node:from-file' \
  openssl x509 -in "$WORK/node2.crt" -noout -subject
expect_error_output "a --node-name that contradicts the file is an error" 'conflicts' \
  "$MINIK8S" agent --server "$URL" --token "$TOKEN" --discovery-token-ca-cert-hash "$PIN" \
  --node-config "$WORK/node.yaml" --node-name other --data-dir "$WORK/node3" --bootstrap-only
