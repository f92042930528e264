#!/usr/bin/env bash
# policy/v1 PodDisruptionBudgets with the real kubectl: `kubectl create pdb` (protobuf),
# kubectl's columns, validation in Kubernetes' words, `kubectl explain`, the status
# subresource. (The disruption controller and pods/eviction are not there yet.)
source "$(dirname "$0")/lib.sh"
trap finish EXIT

start_server
echo "pdb e2e against http://127.0.0.1:$PORT"
K="kubectl --request-timeout=20s"

expect_output "api-resources lists poddisruptionbudgets (pdb, namespaced)" \
  '^poddisruptionbudgets +pdb +policy/v1 +true +PodDisruptionBudget' $K api-resources --api-group=policy
expect_output "kubectl create pdb --max-unavailable" 'poddisruptionbudget.policy/web created' \
  $K create pdb web --selector=app=web --max-unavailable=1
expect_output "kubectl create pdb --min-available as a percent" 'poddisruptionbudget.policy/half created' \
  $K create pdb half --selector=app=web --min-available=50%
expect_output "kubectl get pdb prints kubectl's columns" \
  '^NAME +MIN AVAILABLE +MAX UNAVAILABLE +ALLOWED DISRUPTIONS +AGE$' bash -c "$K get pdb | head -1"
expect_output "the max-unavailable row" '^web +N/A +1 +0 +[0-9]+s$' $K get pdb web --no-headers
expect_output "the min-available row" '^half +50% +N/A +0 +[0-9]+s$' $K get pdb half --no-headers
expect_output "the selector is stored" '^\{"app":"web"\}$' \
  $K get pdb web -o 'jsonpath={.spec.selector.matchLabels}'
expect_error_output "both bounds: 422 in Kubernetes' words" \
  'minAvailable and maxUnavailable cannot be both set' bash -c "echo '{\"apiVersion\":\"policy/v1\",
  \"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\"both\"},\"spec\":{\"minAvailable\":1,
  \"maxUnavailable\":1}}' | $K create -f -"
expect_error_output "over 100%: 422" 'spec.maxUnavailable: Invalid value: "150%": must not be greater than 100%' \
  $K create pdb over --selector=app=web --max-unavailable=150%
expect_output "kubectl explain pdb.spec lists its fields" 'maxUnavailable' $K explain pdb.spec
check "the status subresource takes a status" bash -c "$K patch pdb web --subresource=status \
  --type=merge -p '{\"status\":{\"disruptionsAllowed\":1,\"currentHealthy\":3,\"desiredHealthy\":2,\"expectedPods\":3}}'"
expect_output "and the table shows it" '^web +N/A +1 +1 +[0-9]+s$' $K get pdb web --no-headers
check "a spec write keeps that status" bash -c "$K patch pdb web --type=merge \
  -p '{\"spec\":{\"maxUnavailable\":2},\"status\":{\"disruptionsAllowed\":7}}'"
expect_output "disruptionsAllowed is still 1" '^1$' $K get pdb web -o 'jsonpath={.status.disruptionsAllowed}'
