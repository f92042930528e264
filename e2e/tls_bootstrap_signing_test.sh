#!/usr/bin/env bash
# TLS bootstrapping's controller side on `minik8s server --tls`: a bootstrap-token user
# posts a node's CertificateSigningRequest (made with openssl), csrapproving approves it
# (AutoApproved) and csrsigning issues a certificate of the cluster CA; with that certificate
# the node acts as system:node:<name> under the Node authorizer (its own Node yes, another
# node's 403). The node then renews through a CSR of its own (approved as selfnodeclient);
# a request for another node's name, or with a wrong subject, is never approved.
# csrapproving runs in the server; csrsigning in a `minik8s controller-manager` of its own
# with kube-controller-manager's --cluster-signing-cert-file/-key-file/-duration flags.
source "$(dirname "$0")/lib.sh"
CM_PID=""
stop_controller_manager() {
  if [ -n "$CM_PID" ] && kill -0 "$CM_PID" 2>/dev/null; then
    kill -TERM "$CM_PID"
    wait "$CM_PID" 2>/dev/null || true
  fi
  CM_PID=""
}
trap 'stop_controller_manager; finish' EXIT

PKI=$WORK/data/pki
start_tls_server --controllers='*,-csrsigning'
echo "tls bootstrap signing e2e against https://127.0.0.1:$PORT"
URL=https://127.0.0.1:$PORT
export KUBECONFIG=$PKI/admin.kubeconfig
K="kubectl --request-timeout=20s"
BARE="kubectl --request-timeout=20s --kubeconfig=/dev/null --server=$URL --certificate-authority=$PKI/ca.crt"
"$MINIK8S" controller-manager --kubeconfig "$KUBECONFIG" --leader-elect=false --controllers=csrsigning \
  --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
  --cluster-signing-duration 2h --log-level warn >"$WORK/controller-manager.log" 2>&1 &
CM_PID=$!

# csr_request NAME SUBJECT: a P-256 key and a PKCS#10 request in $WORK/NAME.{key,csr}.
csr_request() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$2" \
    -keyout "$WORK/$1.key" -out "$WORK/$1.csr" 2>/dev/null
}
# csr_object NAME [USAGES [EXPIRATION]]: the CertificateSigningRequest of $WORK/NAME.csr, as
# kubelet sends it (expirationSeconds 3600 unless EXPIRATION is "none").
csr_object() {
  local usages=${2:-'"digital signature","client auth"'} expiration='"expirationSeconds":3600,'
  [ "${3:-}" = none ] && expiration=""
  printf '{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"%s"},"spec":{"request":"%s","signerName":"kubernetes.io/kube-apiserver-client-kubelet",%s"usages":[%s]}}' \
    "$1" "$(base64 -w0 "$WORK/$1.csr")" "$expiration" "$usages"
}
# seconds_left FILE: how long the certificate in FILE is still valid.
seconds_left() {
  echo $(($(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)))
}
cert_of() { $K get csr "$1" -o jsonpath='{.status.certificate}'; }
has_cert() { [ -n "$(cert_of "$1")" ]; }
# "[]" while a CSR has neither a condition nor a certificate.
undecided() { echo "[$($K get csr "$1" -o jsonpath='{.status.conditions}{.status.certificate}')]"; }

echo "== a bootstrap token buys node boot-1 a client certificate"
TOKEN=$("$MINIK8S" token create --kubeconfig "$KUBECONFIG" --ttl 1h --description "e2e csr" 2>"$WORK/token.err") ||
  cat "$WORK/token.err"
BOOT="$BARE --token=$TOKEN"
# Requests that must never be approved go in first: one worker takes CSRs in order, so they
# have been looked at by the time the good one is approved.
csr_request wrong-o "/O=system:masters/CN=system:node:boot-1"
csr_request server-usage "/O=system:nodes/CN=system:node:boot-1"
check "the bootstrapper asks for O=system:masters" bash -c "echo '$(csr_object wrong-o)' | $BOOT create -f -"
check "the bootstrapper asks with a server usage" \
  bash -c "echo '$(csr_object server-usage '"digital signature","client auth","server auth"')' | $BOOT create -f -"
csr_request boot-1 "/O=system:nodes/CN=system:node:boot-1"
expect_output "the bootstrapper creates boot-1's CSR" 'certificatesigningrequest.certificates.k8s.io/boot-1 created' \
  bash -c "echo '$(csr_object boot-1)' | $BOOT create -f -"
check "it is approved and issued" wait_until 30 has_cert boot-1
expect_output "Approved by csrapproving (AutoApproved) as a kubelet client certificate" \
  '^Approved True AutoApproved Auto approving kubelet client certificate after SubjectAccessReview\.$' \
  $K get csr boot-1 -o jsonpath='{.status.conditions[0].type} {.status.conditions[0].status} {.status.conditions[0].reason} {.status.conditions[0].message}'
expect_output "the requestor is the bootstrap user" "^system:bootstrap:${TOKEN%%.*}$" \
  $K get csr boot-1 -o jsonpath='{.spec.username}'
expect_output "the bootstrapper reads its certificate" 'BEGIN CERTIFICATE' \
  bash -c "$BOOT get csr boot-1 -o jsonpath='{.status.certificate}' | base64 -d"
cert_of boot-1 | base64 -d >"$WORK/boot-1.crt"
check "the certificate verifies against the cluster CA" openssl verify -CAfile "$PKI/ca.crt" "$WORK/boot-1.crt"
expect_output "its subject is O=system:nodes, CN=system:node:boot-1" 'O ?= ?system:nodes, ?CN ?= ?system:node:boot-1' \
  openssl x509 -in "$WORK/boot-1.crt" -noout -subject
expect_output "it is a client certificate" 'TLS Web Client Authentication' \
  openssl x509 -in "$WORK/boot-1.crt" -noout -ext extendedKeyUsage
left=$(seconds_left "$WORK/boot-1.crt")
check "it lives expirationSeconds (1 h), not a year ($left s)" test "$left" -gt 3400 -a "$left" -le 3600
for name in wrong-o server-usage; do
  expect_output "$name got no decision and no certificate" '^\[\]$' undecided "$name"
done

echo "== the node acts as system:node:boot-1"
NODE="$BARE --client-certificate=$WORK/boot-1.crt --client-key=$WORK/boot-1.key"
node_json() { printf '{"apiVersion":"v1","kind":"Node","metadata":{"name":"%s"}}' "$1"; }
expect_output "boot-1 registers its own Node" 'node/boot-1 created' bash -c "echo '$(node_json boot-1)' | $NODE create -f -"
expect_output "boot-1 reads its Node over curl with the certificate" '^200$' \
  curl -sS -o /dev/null -w '%{http_code}' --cacert "$PKI/ca.crt" --cert "$WORK/boot-1.crt" \
  --key "$WORK/boot-1.key" "$URL/api/v1/nodes/boot-1"
expect_output "boot-1 cannot register another node: 403" '^403$' \
  curl -sS -o /dev/null -w '%{http_code}' --cacert "$PKI/ca.crt" --cert "$WORK/boot-1.crt" \
  --key "$WORK/boot-1.key" -H 'Content-Type: application/json' -X POST -d "$(node_json boot-2)" "$URL/api/v1/nodes"
expect_error_output "kubectl says who was refused" 'forbidden: User "system:node:boot-1"' \
  $NODE delete namespace default --wait=false

echo "== renewal: the node asks for itself, not for others"
csr_request other-node "/O=system:nodes/CN=system:node:boot-2"
check "boot-1 asks for boot-2's certificate" bash -c "echo '$(csr_object other-node)' | $NODE create -f -"
csr_request renew-1 "/O=system:nodes/CN=system:node:boot-1"
check "boot-1 asks to renew its own, with no expirationSeconds" \
  bash -c "echo '$(csr_object renew-1 '"digital signature","client auth"' none)' | $NODE create -f -"
check "the renewal is approved and issued" wait_until 30 has_cert renew-1
cert_of renew-1 | base64 -d >"$WORK/renew-1.crt"
left=$(seconds_left "$WORK/renew-1.crt")
check "it lives --cluster-signing-duration (2 h) ($left s)" test "$left" -gt 7000 -a "$left" -le 7200
expect_output "as a self kubelet client certificate" 'Auto approving self kubelet client certificate' \
  $K get csr renew-1 -o jsonpath='{.status.conditions[0].message}'
expect_output "boot-2's request by boot-1 is left for a human" '^\[\]$' undecided other-node

echo "== an administrator decides the rest"
check "the admin denies boot-2's request" $K certificate deny other-node
check "the admin approves the O=system:masters request" $K certificate approve wrong-o
check "csrsigning marks it Failed: the kubelet signer wants O=system:nodes" wait_until 30 bash -c \
  "[ \"\$($K get csr wrong-o -o jsonpath='{.status.conditions[?(@.type==\"Failed\")].message}')\" = 'subject organization is not system:nodes' ]"
expect_output "and issues nothing for it, nor for the denied one" '^$' \
  bash -c "echo \$($K get csr wrong-o other-node -o jsonpath='{.items[*].status.certificate}')"
