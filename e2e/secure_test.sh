#!/usr/bin/env bash
# The API over HTTPS with authentication and authorization (`minik8s server --tls`): the
# real kubectl, helm and Python client use the admin kubeconfig the server writes;
# anonymous requests and wrong credentials get 401; a node's certificate may change only
# its own Node, Lease and the pods bound to it, and read only the Secrets those pods use
# (403 otherwise); static tokens work; bootstrap tokens authenticate until they expire or
# their Secret is deleted; a certificate from another CA cannot connect; plain HTTP is
# refused off loopback.
source "$(dirname "$0")/lib.sh"
trap finish EXIT

PKI=$WORK/data/pki
cat >"$WORK/tokens.csv" <<'CSV'
# token,user,uid,"groups"
static-admin-token,token-admin,1001,"system:masters"
CSV
start_tls_server --token-auth-file "$WORK/tokens.csv"
echo "secure e2e against https://127.0.0.1:$PORT"
URL=https://127.0.0.1:$PORT
export KUBECONFIG=$PKI/admin.kubeconfig
K="kubectl --request-timeout=20s"
# A client of the server's CA but with no credentials of its own.
BARE="kubectl --request-timeout=20s --kubeconfig=/dev/null --server=$URL --certificate-authority=$PKI/ca.crt"

echo "== the cluster CA and the admin kubeconfig"
expect_output "the serving certificate is the CA's, for 127.0.0.1 and the kubernetes Service" \
  'IP Address:127.0.0.1.*IP Address:10.96.0.1|IP Address:10.96.0.1.*IP Address:127.0.0.1' \
  bash -c "openssl x509 -in '$PKI/apiserver.crt' -noout -ext subjectAltName | tr -d '\n'"
check "it verifies against the CA" openssl verify -CAfile "$PKI/ca.crt" "$PKI/apiserver.crt"
expect_output "keys and the kubeconfig are private (0600)" '^600 600 600 600$' \
  bash -c "echo \$(stat -c %a '$PKI/ca.key' '$PKI/apiserver.key' '$PKI/admin.key' '$PKI/admin.kubeconfig')"
expect_output "kubectl with the admin kubeconfig" '^kube-system[[:space:]]+Active' $K get namespaces
check "kubectl creates through it" $K create namespace secure-e2e
expect_output "the Python client with the admin kubeconfig" "secure-e2e" /usr/bin/python3 -c '
from kubernetes import client, config
config.load_kube_config()
print([n.metadata.name for n in client.CoreV1Api().list_namespace().items])'
mkdir -p "$WORK/chart/templates"
printf 'apiVersion: v2\nname: tiny\nversion: 0.1.0\n' >"$WORK/chart/Chart.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  a: "1"\n' \
  >"$WORK/chart/templates/cm.yaml"
expect_output "helm installs with it" 'STATUS: deployed' helm install tiny "$WORK/chart" -n secure-e2e
check "helm uninstalls with it" helm uninstall tiny -n secure-e2e

echo "== anonymous requests and wrong credentials: 401"
expect_output "anonymous GET /api/v1/namespaces is 401 Unauthorized" '"code":401.*|"reason":"Unauthorized"' \
  curl -sS --cacert "$PKI/ca.crt" "$URL/api/v1/namespaces"
expect_output "anonymous GET /api is 401 too" '^401$' \
  curl -sS -o /dev/null -w '%{http_code}' --cacert "$PKI/ca.crt" "$URL/api"
expect_output "anonymous /readyz and /version are open" '^200 200$' bash -c \
  "echo \$(curl -sS -o /dev/null -w '%{http_code}' --cacert '$PKI/ca.crt' '$URL/readyz') \$(curl -sS -o /dev/null -w '%{http_code}' --cacert '$PKI/ca.crt' '$URL/version')"
expect_error_output "kubectl with a wrong token: Unauthorized" 'Unauthorized' $BARE --token=wrong-token get pods
expect_error_output "a wrong token is refused even on /readyz" '401' \
  curl -fsS --cacert "$PKI/ca.crt" -H 'Authorization: Bearer wrong-token' "$URL/readyz"
expect_output "a static token from --token-auth-file works" '^secure-e2e' \
  $BARE --token=static-admin-token get namespace secure-e2e --no-headers
expect_fail "plain HTTP on the HTTPS port gets no answer" curl -fsS -m 5 "http://127.0.0.1:$PORT/api"
expect_error_output "the server refuses plain HTTP off loopback" 'only on loopback' \
  "$MINIK8S" server --bind-address 0.0.0.0 --port "$(free_port)" --data-dir "$WORK/refused"

echo "== a client certificate from another CA cannot connect"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=rogue-ca \
  -keyout "$WORK/rogue-ca.key" -out "$WORK/rogue-ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/O=system:masters/CN=rogue" \
  -keyout "$WORK/rogue.key" -out "$WORK/rogue.csr" 2>/dev/null
openssl x509 -req -in "$WORK/rogue.csr" -CA "$WORK/rogue-ca.crt" -CAkey "$WORK/rogue-ca.key" \
  -CAcreateserial -days 1 -out "$WORK/rogue.crt" 2>/dev/null
expect_error_output "its handshake fails" 'certificate|tls|remote error' \
  $BARE --client-certificate="$WORK/rogue.crt" --client-key="$WORK/rogue.key" get pods

echo "== a node's certificate: its own Node, Lease and pods only"
# What TLS bootstrapping will hand a node: CN=system:node:<name>, O=system:nodes, signed
# by the cluster CA (here with openssl and the CA's key, as an administrator could).
node_cert() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/O=system:nodes/CN=system:node:$1" -keyout "$WORK/$1.key" -out "$WORK/$1.csr" 2>/dev/null
  openssl x509 -req -in "$WORK/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 1 -out "$WORK/$1.crt" 2>/dev/null
}
node_cert n1
N1="$BARE --client-certificate=$WORK/n1.crt --client-key=$WORK/n1.key"
node_json() { printf '{"apiVersion":"v1","kind":"Node","metadata":{"name":"%s"}}' "$1"; }
pod_json() {
  printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"secure-e2e"},"spec":{"nodeName":"%s","containers":[{"name":"c","image":"busybox","envFrom":[{"secretRef":{"name":"%s"}}]}]}}' "$1" "$2" "$3"
}
expect_output "n1 registers its own Node" 'node/n1 created' bash -c "echo '$(node_json n1)' | $N1 create -f -"
expect_error_output "n1 cannot register n2" 'nodes "n2" is forbidden: User "system:node:n1"' \
  bash -c "echo '$(node_json n2)' | $N1 create -f -"
check "the admin registers n2" bash -c "echo '$(node_json n2)' | $K create -f -"
expect_output "n1 labels its own Node" 'node/n1 (patched|labeled)' $N1 label node n1 e2e=yes
expect_error_output "n1 cannot label n2 (403)" 'forbidden: User "system:node:n1"' $N1 label node n2 e2e=yes
check "the admin creates pods bound to n1 and n2 and their Secrets" bash -c "
  $K -n secure-e2e create secret generic s1 --from-literal=k=v >/dev/null &&
  $K -n secure-e2e create secret generic s2 --from-literal=k=v >/dev/null &&
  echo '$(pod_json p1 n1 s1)' | $K create -f - && echo '$(pod_json p2 n2 s2)' | $K create -f -"
expect_output "n1 writes the status of its pod" 'pod/p1 patched' \
  $N1 -n secure-e2e patch pod p1 --subresource=status --type=merge -p '{"status":{"message":"from n1"}}'
expect_error_output "n1 cannot write the status of n2's pod" 'bound to node "n2"' \
  $N1 -n secure-e2e patch pod p2 --subresource=status --type=merge -p '{"status":{"message":"from n1"}}'
expect_error_output "n1 cannot delete n2's pod" 'forbidden' $N1 -n secure-e2e delete pod p2 --wait=false
expect_error_output "n1 cannot change its own pod's spec" 'forbidden' \
  $N1 -n secure-e2e label pod p1 changed=yes
expect_error_output "n1 cannot create pods" 'forbidden' bash -c "echo '$(pod_json p3 n1 s1)' | $N1 create -f -"
expect_output "n1 reads the Secret its pod uses" '^s1 ' $N1 -n secure-e2e get secret s1 --no-headers
expect_error_output "n1 cannot read n2's pod's Secret" 'no relationship found' $N1 -n secure-e2e get secret s2
expect_error_output "n1 cannot list Secrets" 'forbidden' $N1 -n secure-e2e get secrets
expect_output "n1 reads pods" 'p2' $N1 -n secure-e2e get pods
lease_json() {
  printf '{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"%s","namespace":"kube-node-lease"},"spec":{"holderIdentity":"%s"}}' "$1" "$1"
}
expect_output "n1 creates its own Lease" 'lease.coordination.k8s.io/n1 created' \
  bash -c "echo '$(lease_json n1)' | $N1 create -f -"
expect_error_output "n1 cannot create n2's Lease" 'forbidden' bash -c "echo '$(lease_json n2)' | $N1 create -f -"
expect_error_output "n1 cannot delete a namespace" 'forbidden' $N1 delete namespace secure-e2e --wait=false
check "the pod status n1 wrote is stored" bash -c "[ \"\$($K -n secure-e2e get pod p1 -o jsonpath='{.status.message}')\" = 'from n1' ]"
check "n2's pod kept its status" bash -c "[ -z \"\$($K -n secure-e2e get pod p2 -o jsonpath='{.status.message}')\" ]"

echo "== bootstrap tokens"
bootstrap_secret() {  # id secret expiration
  $K -n kube-system create secret generic "bootstrap-token-$1" --type=bootstrap.kubernetes.io/token \
    --from-literal=token-id="$1" --from-literal=token-secret="$2" \
    --from-literal=usage-bootstrap-authentication=true --from-literal=expiration="$3"
}
check "the admin stores a bootstrap token" bootstrap_secret abcdef 0123456789abcdef "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
expect_error_output "the token authenticates as system:bootstrap:abcdef (403 for pods, not 401)" \
  'User "system:bootstrap:abcdef" cannot list resource "pods"' $BARE --token=abcdef.0123456789abcdef get pods
expect_error_output "a wrong secret for that id is 401" 'Unauthorized' $BARE --token=abcdef.0123456789abcdee get pods
check "the admin stores an expired one" bootstrap_secret ghijkl 0123456789abcdef "$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)"
expect_error_output "an expired token is 401" 'Unauthorized' $BARE --token=ghijkl.0123456789abcdef get pods
check "the admin revokes the first (deletes its Secret)" $K -n kube-system delete secret bootstrap-token-abcdef
expect_error_output "a revoked token is 401" 'Unauthorized' $BARE --token=abcdef.0123456789abcdef get pods

echo "== minik8s token create|list|delete"
TOKEN=$("$MINIK8S" token create --kubeconfig "$KUBECONFIG" --ttl 1h --description "e2e join" 2>"$WORK/token.err") || cat "$WORK/token.err"
check "token create prints a token in Kubernetes' format" bash -c "[[ '$TOKEN' =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]]"
expect_output "token list shows it, with its TTL, usages and description" \
  "^${TOKEN//./\\.} +(59m|1h)[^ ]* +[0-9TZ:-]+ +authentication,signing +e2e join$" \
  "$MINIK8S" token list --kubeconfig "$KUBECONFIG"
expect_error_output "it authenticates as a bootstrapper" "User \"system:bootstrap:${TOKEN%%.*}\" cannot list" \
  $BARE --token="$TOKEN" get pods
N1CFG=$WORK/n1.kubeconfig
kubectl --kubeconfig "$N1CFG" config set-cluster e2e --server="$URL" --certificate-authority="$PKI/ca.crt" --embed-certs >/dev/null
kubectl --kubeconfig "$N1CFG" config set-credentials n1 --client-certificate="$WORK/n1.crt" --client-key="$WORK/n1.key" --embed-certs >/dev/null
kubectl --kubeconfig "$N1CFG" config set-context e2e --cluster=e2e --user=n1 >/dev/null
kubectl --kubeconfig "$N1CFG" config use-context e2e >/dev/null
expect_error_output "a node's credentials cannot create tokens (403)" 'Forbidden.*system:node:n1' \
  "$MINIK8S" token create --kubeconfig "$N1CFG"
expect_output "token delete revokes it" "bootstrap token \"${TOKEN%%.*}\" deleted" \
  "$MINIK8S" token delete "$TOKEN" --kubeconfig "$KUBECONFIG"
expect_error_output "the deleted token is 401" 'Unauthorized' $BARE --token="$TOKEN" get pods
