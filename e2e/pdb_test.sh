#!/usr/bin/env bash
# policy/v1 PodDisruptionBudgets with the real kubectl: `kubectl create pdb` (protobuf),
# kubectl's columns, validation in Kubernetes' words, `kubectl explain`, the status
# subresource; the disruption controller's status, pods/eviction (201 / 429 / 404) and
# `kubectl drain` honouring a budget. There is no kubelet: the test makes its pods Running
# and Ready through the status subresource, with terminationGracePeriodSeconds 0 so that a
# delete removes them at once. The node lifecycle controllers are off: the hand-made node
# never reports, and its pods must not be marked unready or evicted meanwhile.
source "$(dirname "$0")/lib.sh"
trap finish EXIT

# wait_output_of SECONDS REGEX command...: runs the command until its output matches (or the
# time is up) and prints its last output.
wait_output_of() {
  local secs=$1 pattern=$2 end out
  shift 2
  end=$(($(date +%s) + secs))
  while :; do
    out=$("$@" 2>&1)
    if grep -Eq -- "$pattern" <<<"$out" || [ "$(date +%s)" -ge "$end" ]; then break; fi
    sleep 0.5
  done
  echo "$out"
}

start_server --controllers='*,-nodelifecycle,-taint-eviction-controller'
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
expect_output "the disruption controller observes the PDB (no pods: InsufficientPods)" \
  '^1 False InsufficientPods$' wait_output_of 20 '^1 False InsufficientPods$' \
  $K get pdb web -o 'jsonpath={.status.observedGeneration} {.status.conditions[0].status} {.status.conditions[0].reason}'
check "a spec change bumps the generation" bash -c "$K patch pdb web --type=merge -p '{\"spec\":{\"maxUnavailable\":2}}' &&
  test \"\$($K get pdb web -o 'jsonpath={.metadata.generation}')\" = 2"
expect_output "and the controller observes generation 2" '^2$' \
  wait_output_of 20 '^2$' $K get pdb web -o 'jsonpath={.status.observedGeneration}'

# --- the disruption controller and pods/eviction, with a node and two ready pods -----------
API=http://127.0.0.1:$PORT
cat >"$WORK/n1.json" <<'JSON'
{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}
JSON
check "a node n1" $K create -f "$WORK/n1.json"
make_pod() {  # make_pod NAME: app=drain on n1, then Running and Ready
  echo '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"'"$1"'","labels":{"app":"drain"}},
    "spec":{"nodeName":"n1","terminationGracePeriodSeconds":0,
            "containers":[{"name":"c","image":"busybox"}]}}' | $K create -f - &&
  $K patch pod "$1" --subresource=status --type=merge \
    -p '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}'
}
check "pods d1 and d2 on n1, Running and Ready" bash -c "$(declare -f make_pod); K='$K'; make_pod d1 && make_pod d2"
check "a PDB: minAvailable 1 of app=drain" $K create pdb drain --selector=app=drain --min-available=1
expect_output "the controller allows one disruption (kubectl get pdb)" '^drain +1 +N/A +1 +[0-9]+s$' \
  wait_output_of 20 '^drain +1 +N/A +1 ' $K get pdb drain --no-headers
expect_output "and its status counts" '^2 2 1 1 SufficientPods$' $K get pdb drain -o \
  'jsonpath={.status.expectedPods} {.status.currentHealthy} {.status.desiredHealthy} {.status.disruptionsAllowed} {.status.conditions[0].reason}'
expect_output "GET /api/v1 lists pods/eviction as kubectl drain looks for it" '^ok$' bash -c "curl -sS $API/api/v1 |
  python3 -c 'import json,sys; r=[x for x in json.load(sys.stdin)[\"resources\"] if x[\"name\"]==\"pods/eviction\"];
print(\"ok\" if r==[{\"name\":\"pods/eviction\",\"singularName\":\"\",\"namespaced\":True,\"group\":\"policy\",
\"version\":\"v1\",\"kind\":\"Eviction\",\"verbs\":[\"create\"]}] else r)'"
evict() {  # evict POD: POST an Eviction, prints the HTTP code and the body
  curl -sS -o "$WORK/evict.out" -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' \
    -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"'"$1"'","namespace":"default"}}' \
    "$API/api/v1/namespaces/default/pods/$1/eviction"
  cat "$WORK/evict.out"; echo
}
expect_output "an eviction of a pod that does not exist: 404" '^404$' evict nope
expect_output "kubectl drain --dry-run=server: both pods evicted as a server dry run, n1 'drained'" \
  'evicting pod default/d1 \(server dry run\).*node/n1 drained \(server dry run\)' \
  bash -c "$K drain n1 --ignore-daemonsets --force --dry-run=server 2>&1 | sort | tr '\n' ' '"
expect_output "  both pods are still there" '^2$' bash -c "$K get pods -l app=drain --no-headers | wc -l"
expect_output "  the budget still allows one, and n1 is not cordoned" '^1$' \
  bash -c "echo \$($K get pdb drain -o 'jsonpath={.status.disruptionsAllowed}') \$($K get node n1 -o 'jsonpath={.spec.unschedulable}')"

start=$(date +%s)
expect_error_output "kubectl drain evicts one pod, then the budget refuses the other (429, retry) until --timeout" \
  "will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget" \
  $K drain n1 --ignore-daemonsets --force --timeout=8s
grep -E 'evicting pod|error|drained' "$WORK/out" | sort -u | sed 's/^/       /'
expect_output "one of the two pods was evicted" '^1$' bash -c "$K get pods -l app=drain --no-headers | wc -l"
left=$($K get pods -l app=drain -o 'jsonpath={.items[0].metadata.name}')
expect_output "a direct eviction of the last pod: 429 TooManyRequests with a DisruptionBudget cause" \
  '^429$' evict "$left"
expect_output "  its Status" '"causes":\[\{.*"reason":"DisruptionBudget".*"reason":"TooManyRequests"' cat "$WORK/evict.out"
expect_output "the controller settles at 1 healthy, 0 allowed" '^1 0$' wait_output_of 20 '^1 0$' \
  $K get pdb drain -o 'jsonpath={.status.currentHealthy} {.status.disruptionsAllowed}'
check "the budget deleted" $K delete pdb drain
expect_output "kubectl drain now completes" 'node/n1 drained' \
  $K drain n1 --ignore-daemonsets --force --timeout=30s
echo "       drains took $(($(date +%s) - start)) s"
check "no app=drain pod is left" bash -c "test -z \"\$($K get pods -l app=drain -o name)\""

check "a pod d3 and a budget that allows its disruption (minAvailable 0)" bash -c \
  "$(declare -f make_pod); K='$K'; make_pod d3 && $K create pdb zero --selector=app=drain --min-available=0"
expect_output "  allowed" '^1$' wait_output_of 20 '^1$' $K get pdb zero -o 'jsonpath={.status.disruptionsAllowed}'
expect_output "a direct eviction: 201 with a Success Status" \
  '^201$' evict d3
expect_output "  its body" '"code":201.*"kind":"Status".*"status":"Success"' cat "$WORK/evict.out"
expect_error_output "and the pod is gone" 'NotFound|not found' $K get pod d3
