#!/usr/bin/env bash
# CertificateSigningRequests (certificates.k8s.io/v1), the first half of TLS bootstrapping,
# over HTTPS with authentication: a bootstrap-token user creates a CSR made by openssl and
# the server records it as the requester (spec.username system:bootstrap:<id>, whatever the
# body said); the admin lists them with the real kubectl (kubectl's columns), describes
# one, denies one and approves another (`kubectl certificate deny|approve`, the /approval
# subresource) and the conditions are stored with kubectl's reasons; the Python client
# reads and watches them; a node and a bootstrap user may create but not approve (403); an
# invalid request is refused with Kubernetes' field paths. Signing is the controllers' part
# and is not tested here: the approved and denied requests use a signer no controller
# serves (example.com/e2e).
source "$(dirname "$0")/lib.sh"
trap finish EXIT

PKI=$WORK/data/pki
start_tls_server
echo "csr e2e against https://127.0.0.1:$PORT"
URL=https://127.0.0.1:$PORT
export KUBECONFIG=$PKI/admin.kubeconfig
K="kubectl --request-timeout=20s"
BARE="kubectl --request-timeout=20s --kubeconfig=/dev/null --server=$URL --certificate-authority=$PKI/ca.crt"

# csr_yaml NAME SIGNER REQUEST_FILE [EXTRA_SPEC_LINES]
csr_yaml() {
  cat <<YAML
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: $1
spec:
  request: $(base64 -w0 "$3")
  signerName: $2
  usages: ["digital signature", "client auth"]
  username: mallory
  groups: ["system:masters"]
${4:-}
YAML
}
export -f csr_yaml
new_csr() {  # name subject
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$2" \
    -keyout "$WORK/$1.key" -out "$WORK/$1.csr" 2>/dev/null
}

echo "== discovery"
expect_output "kubectl api-resources lists certificatesigningrequests (csr, cluster-scoped)" \
  '^certificatesigningrequests +csr +certificates\.k8s\.io/v1 +false +CertificateSigningRequest' \
  $K api-resources --api-group=certificates.k8s.io

echo "== a bootstrap-token user creates a CSR; the server records who asked"
TOKEN=$("$MINIK8S" token create --kubeconfig "$KUBECONFIG" --ttl 1h 2>"$WORK/token.err") || cat "$WORK/token.err"
TOKEN_ID=${TOKEN%%.*}
BOOT="$BARE --token=$TOKEN"
new_csr boot "/O=system:nodes/CN=system:node:e2e-n1"
expect_output "the bootstrap user creates it" 'certificatesigningrequest.certificates.k8s.io/e2e-boot created' \
  bash -c "csr_yaml e2e-boot kubernetes.io/kube-apiserver-client-kubelet '$WORK/boot.csr' | $BOOT create -f -"
expect_output "spec.username is system:bootstrap:<id>, not the body's" "^system:bootstrap:$TOKEN_ID\$" \
  $K get csr e2e-boot -o 'jsonpath={.spec.username}'
expect_output "spec.groups are the token's, not the body's" '^\["system:bootstrappers","system:authenticated"\]$' \
  $K get csr e2e-boot -o 'jsonpath={.spec.groups}'
expect_output "the bootstrap user reads it back" '^e2e-boot$' $BOOT get csr e2e-boot -o 'jsonpath={.metadata.name}'
# (e2e-boot itself may be approved at once by the server's csrapproving controller, which
# approves bootstrap users' kubelet client requests: approve a custom signer's instead.)
new_csr boot-custom "/CN=e2e-boot-custom"
check "the bootstrap user creates a request for a custom signer" \
  bash -c "csr_yaml e2e-boot-custom example.com/e2e '$WORK/boot-custom.csr' | $BOOT create -f -"
expect_error_output "the bootstrap user cannot approve it (403)" \
  "forbidden: User \"system:bootstrap:$TOKEN_ID\" cannot update resource \"certificatesigningrequests/approval\"" \
  $BOOT certificate approve e2e-boot-custom

echo "== the admin: kubectl get, describe, deny and approve"
new_csr deny "/CN=e2e-deny"
new_csr approve "/O=e2e/CN=e2e-approve"
check "the admin creates two requests for a custom signer" bash -c "
  csr_yaml e2e-deny example.com/e2e '$WORK/deny.csr' | $K create -f - &&
  csr_yaml e2e-approve example.com/e2e '$WORK/approve.csr' '  expirationSeconds: 3600' | $K create -f -"
expect_output "kubectl get csr prints kubectl's columns" \
  '^NAME +AGE +SIGNERNAME +REQUESTOR +REQUESTEDDURATION +CONDITION$' bash -c "$K get csr | head -1"
expect_output "a pending request's row" '^e2e-approve +[0-9]+s +example\.com/e2e +minik8s-admin +60m +Pending$' \
  $K get csr e2e-approve --no-headers
expect_output "kubectl certificate deny" 'certificatesigningrequest.certificates.k8s.io/e2e-deny denied' \
  $K certificate deny e2e-deny
expect_output "kubectl certificate approve" 'certificatesigningrequest.certificates.k8s.io/e2e-approve approved' \
  $K certificate approve e2e-approve
expect_output "the denied request has kubectl's Denied condition, stamped" \
  '^Denied True KubectlDeny [0-9TZ:-]+ [0-9TZ:-]+$' \
  $K get csr e2e-deny -o 'jsonpath={range .status.conditions[*]}{.type} {.status} {.reason} {.lastUpdateTime} {.lastTransitionTime}{end}'
expect_output "the approved request has kubectl's Approved condition, stamped" \
  '^Approved True KubectlApprove [0-9TZ:-]+ [0-9TZ:-]+$' \
  $K get csr e2e-approve -o 'jsonpath={range .status.conditions[*]}{.type} {.status} {.reason} {.lastUpdateTime} {.lastTransitionTime}{end}'
expect_output "kubectl get csr shows Denied and Approved" '^e2e-approve .* Approved +e2e-deny .* Denied$' \
  bash -c "$K get csr e2e-approve e2e-deny --no-headers | tr -s ' ' | tr '\n' ' ' | sed 's/ \$//'"
expect_error_output "a denied request cannot be approved (kubectl refuses, the server too)" 'already [Dd]enied|mutually exclusive' \
  $K certificate approve e2e-deny
expect_error_output "Approved beside Denied is refused by the server" 'Approved and Denied conditions are mutually exclusive' \
  bash -c "$K get csr e2e-deny -o json | python3 -c '
import json, sys
o = json.load(sys.stdin)
o[\"status\"][\"conditions\"].append({\"type\": \"Approved\", \"status\": \"True\"})
print(json.dumps(o))' | $K replace --raw /apis/certificates.k8s.io/v1/certificatesigningrequests/e2e-deny/approval -f -"
expect_output "kubectl describe csr shows the requester, signer, status and subject" \
  'Requesting User: +minik8s-admin.*Signer: +example\.com/e2e.*Requested Duration: +60m.*Status: +Approved.*Common Name: +e2e-approve.*Organization: +e2e' \
  bash -c "$K describe csr e2e-approve | tr '\n' ' '"

echo "== a node may create a CSR but not approve one"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/O=system:nodes/CN=system:node:n1" \
  -keyout "$WORK/n1.key" -out "$WORK/n1-cert.csr" 2>/dev/null
openssl x509 -req -in "$WORK/n1-cert.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
  -days 1 -out "$WORK/n1.crt" 2>/dev/null
N1="$BARE --client-certificate=$WORK/n1.crt --client-key=$WORK/n1.key"
new_csr serving "/O=system:nodes/CN=system:node:n1"
expect_output "the node creates a request; it is recorded as system:node:n1" '^system:node:n1$' bash -c "
  csr_yaml n1-serving example.com/e2e '$WORK/serving.csr' | $N1 create -f - >/dev/null &&
  $K get csr n1-serving -o 'jsonpath={.spec.username}'"
expect_error_output "the node cannot approve it (403)" \
  'forbidden: User "system:node:n1" cannot update resource "certificatesigningrequests/approval"' \
  $N1 certificate approve n1-serving
expect_output "it stays Pending" '^n1-serving .* Pending$' $K get csr n1-serving --no-headers

echo "== validation"
printf 'not a certificate request\n' >"$WORK/garbage.csr"
expect_error_output "a request that is not a PEM CERTIFICATE REQUEST is refused (422)" \
  'spec.request: Invalid value: .*PEM block type must be CERTIFICATE REQUEST' bash -c "
  csr_yaml bad example.com/e2e '$WORK/garbage.csr' | $K create -f -"
expect_error_output "a signer name without a domain is refused" \
  "spec.signerName: Invalid value: \"e2e\": must be a fully qualified domain and path" bash -c "
  csr_yaml bad e2e '$WORK/deny.csr' | $K create -f -"
expect_error_output "expirationSeconds under 600 is refused" \
  'spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds' bash -c "
  csr_yaml bad example.com/e2e '$WORK/deny.csr' '  expirationSeconds: 60' | $K create -f -"

echo "== the Python client"
expect_output "it reads and watches requests (CertificatesV1Api)" '^Approved system:bootstrap:[a-z0-9]{6} ADDED:e2e-approve$' \
  /usr/bin/python3 -c '
from kubernetes import client, config, watch
config.load_kube_config()
api = client.CertificatesV1Api()
csr = api.read_certificate_signing_request("e2e-approve")
boot = api.read_certificate_signing_request("e2e-boot")
seen = [e["type"] + ":" + e["object"].metadata.name
        for e in watch.Watch().stream(api.list_certificate_signing_request, timeout_seconds=2)
        if e["object"].metadata.name == "e2e-approve"]
print(csr.status.conditions[0].type, boot.spec.username, " ".join(seen))'
