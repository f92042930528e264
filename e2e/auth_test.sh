#!/usr/bin/env bash
# `kubectl auth can-i` and `kubectl auth whoami` over HTTPS with authentication: the answers
# come from the server's own authorizer and authenticator (SelfSubjectAccessReview and
# SelfSubjectReview, which kubectl sends in protobuf). The admin (system:masters) may do
# anything; a node (a client certificate CN=system:node:e2e-n1, O=system:nodes, signed here
# by the cluster CA) gets the Node authorizer's answers, with its reasons; a bootstrap-token
# user may only ask for certificates. whoami prints each user's name and groups.
source "$(dirname "$0")/lib.sh"
trap finish EXIT

start_tls_server
echo "auth e2e against $URL"
export KUBECONFIG=$PKI/admin.kubeconfig
K="kubectl --request-timeout=20s"
BARE="kubectl --request-timeout=20s --kubeconfig=/dev/null --server=$URL --certificate-authority=$PKI/ca.crt"

echo "== discovery"
expect_output "api-resources lists selfsubjectaccessreviews (create only)" \
  '^selfsubjectaccessreviews +authorization\.k8s\.io/v1 +false +SelfSubjectAccessReview +create *$' \
  $K api-resources --api-group=authorization.k8s.io -o wide
expect_output "api-resources lists selfsubjectreviews" \
  '^selfsubjectreviews +authentication\.k8s\.io/v1 +false +SelfSubjectReview' \
  $K api-resources --api-group=authentication.k8s.io

echo "== the admin"
expect_output "can-i create pods: yes" '^yes$' $K auth can-i create pods
expect_output "can-i delete nodes: yes" '^yes$' $K auth can-i delete nodes
expect_output "can-i get /healthz: yes" '^yes$' $K auth can-i get /healthz
expect_output "whoami: minik8s-admin" '^Username +minik8s-admin$' $K auth whoami
expect_output "whoami: its groups" '^Groups +\[system:masters system:authenticated\]$' $K auth whoami
expect_output "whoami -o json is a SelfSubjectReview" '"kind": "SelfSubjectReview"' $K auth whoami -o json

echo "== a node (system:node:e2e-n1)"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/O=system:nodes/CN=system:node:e2e-n1" -keyout "$WORK/n1.key" -out "$WORK/n1.csr" 2>/dev/null
openssl x509 -req -in "$WORK/n1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
  -days 1 -out "$WORK/n1.crt" 2>/dev/null
NODE="$BARE --client-certificate=$WORK/n1.crt --client-key=$WORK/n1.key"
expect_output "whoami: system:node:e2e-n1" '^Username +system:node:e2e-n1$' $NODE auth whoami
expect_output "whoami: system:nodes" '^Groups +\[system:nodes system:authenticated\]$' $NODE auth whoami
expect_output "can-i get nodes/other: yes (nodes read the cluster)" '^yes$' $NODE auth can-i get nodes/other
expect_output "can-i update nodes/e2e-n1: yes (its own Node)" '^yes$' $NODE auth can-i update nodes/e2e-n1
expect_error_output "can-i update nodes/other: no, with the Node authorizer's reason" \
  '^no - node "e2e-n1" is not allowed to modify node "other"$' $NODE auth can-i update nodes/other
expect_error_output "can-i get secrets/x: no (no pod of the node uses it)" \
  '^no - no relationship found between node "e2e-n1" and this object$' $NODE auth can-i get secrets/x
expect_error_output "can-i create deployments: no" '^no$' $NODE auth can-i create deployments.apps
# The answer is what the request gets: the same refusal as a 403.
check "the admin creates Node other" bash -c \
  "echo '{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"other\"}}' | $K create -f -"
expect_error_output "and the update itself is refused (403)" \
  'nodes "other" is forbidden: User "system:node:e2e-n1" cannot patch resource "nodes"' \
  $NODE label node other a=b

echo "== a bootstrap-token user"
TOKEN=$("$MINIK8S" token create --kubeconfig "$KUBECONFIG" --ttl 1h 2>"$WORK/token.err") || cat "$WORK/token.err"
BOOT="$BARE --token=$TOKEN"
expect_output "whoami: system:bootstrap:<id>" "^Username +system:bootstrap:${TOKEN%%.*}\$" $BOOT auth whoami
expect_output "can-i create csr: yes" '^yes$' $BOOT auth can-i create certificatesigningrequests.certificates.k8s.io
expect_error_output "can-i list pods: no" '^no$' $BOOT auth can-i list pods

echo "== the API itself"
A="curl -sS --cacert $PKI/ca.crt --cert $WORK/n1.crt --key $WORK/n1.key"
expect_output "a review without attributes is 422 with Kubernetes' message" \
  'exactly one of nonResourceAttributes or resourceAttributes must be specified' \
  $A -H 'Content-Type: application/json' -X POST \
  -d '{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{}}' \
  "$URL/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
expect_output "reviews are not stored: GET is 405" '"code":405' \
  $A "$URL/apis/authentication.k8s.io/v1/selfsubjectreviews"
expect_output "an unauthenticated review is 401" '"code":401' \
  curl -sS --cacert "$PKI/ca.crt" -H 'Content-Type: application/json' -X POST -d '{}' \
  "$URL/apis/authentication.k8s.io/v1/selfsubjectreviews"
