#!/usr/bin/env bash
# Server-side apply with field ownership, with the real kubectl against `minik8s server`:
# an apply that changes a Service's port removes the old one, managedFields are recorded for
# Apply and Update (create) managers and shown by --show-managed-fields, an apply that
# changes a field another manager owns is a 409 naming field and manager, --force-conflicts
# takes the field over, and a field a manager stops applying goes unless another owns it.
source "$(dirname "$0")/lib.sh"
trap finish EXIT
start_server
K="kubectl --request-timeout=20s"
echo "apply e2e against port $PORT"

svc() {
  cat >"$WORK/svc.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: ssa}
spec:
  selector: {app: small}
  ports: [{port: $1, targetPort: 8080}]
YAML
}

svc 80
expect_output "apply --server-side creates a service" 'service/ssa serverside-applied' \
  $K apply --server-side -f "$WORK/svc.yaml"
svc 81
expect_output "apply --server-side with another port" 'service/ssa serverside-applied' \
  $K apply --server-side -f "$WORK/svc.yaml"
expect_output "the old port is gone, the new one is there" '^81 8080 TCP;$' \
  $K get svc ssa -o jsonpath='{range .spec.ports[*]}{.port} {.targetPort} {.protocol};{end}{"\n"}'
expect_output "the service kept its clusterIP" '^10\.' $K get svc ssa -o jsonpath='{.spec.clusterIP}'
expect_output "managedFields name kubectl's Apply" 'manager: kubectl' \
  $K get svc ssa -o yaml --show-managed-fields
expect_output "managedFields key the port by port and protocol" 'k:\{"port":81,"protocol":"TCP"\}' \
  $K get svc ssa -o yaml --show-managed-fields
expect_output "the Apply entry is FieldsV1 of operation Apply" \
  '^kubectl Apply v1 FieldsV1$' \
  $K get svc ssa -o jsonpath='{range .metadata.managedFields[*]}{.manager} {.operation} {.apiVersion} {.fieldsType}{"\n"}{end}'
if $K get svc ssa -o yaml | grep -q managedFields; then
  fail "get -o yaml hides managedFields without --show-managed-fields"
else
  pass "get -o yaml hides managedFields without --show-managed-fields"
fi

# kubectl create records an Update manager; an apply changing its field conflicts.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owned}\ndata: {a: "1", b: "2"}\n' >"$WORK/cm.yaml"
check "create -f a configmap" $K create -f "$WORK/cm.yaml"
expect_output "create records kubectl-create as an Update manager" '^kubectl-create Update;$' \
  $K get cm owned -o jsonpath='{range .metadata.managedFields[*]}{.manager} {.operation};{end}{"\n"}'
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owned}\ndata: {a: "1"}\n' >"$WORK/same.yaml"
expect_output "applying the same value shares the field" 'configmap/owned serverside-applied' \
  $K apply --server-side --field-manager=alice -f "$WORK/same.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owned}\ndata: {a: "9"}\n' >"$WORK/change.yaml"
expect_error_output "changing it conflicts with both owners" \
  'Apply failed with 2 conflicts: conflicts with "alice":' \
  $K apply --server-side --field-manager=bob -f "$WORK/change.yaml"
expect_error_output "the conflict names kubectl-create and the field" \
  'conflicts with "kubectl-create" using v1 at [0-9T:Z-]+:' \
  $K apply --server-side --field-manager=bob -f "$WORK/change.yaml"
expect_error_output "the conflict lists .data.a" '^- \.data\.a$' \
  $K apply --server-side --field-manager=bob -f "$WORK/change.yaml"
expect_output "the conflict left the value alone" '^1$' $K get cm owned -o jsonpath='{.data.a}{"\n"}'
curl -s -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
  --data-binary '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"owned"},"data":{"b":"7"}}' \
  "http://127.0.0.1:$PORT/api/v1/namespaces/default/configmaps/owned?fieldManager=carol" >"$WORK/409.json"
if python3 - "$WORK/409.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["code"] == 409 and s["reason"] == "Conflict", s
assert s["message"].startswith('Apply failed with 1 conflict: conflict with "kubectl-create" using v1 at '), s
assert s["message"].endswith(": .data.b"), s
c = s["details"]["causes"]
assert len(c) == 1 and c[0]["field"] == ".data.b" and c[0]["reason"] == "FieldManagerConflict", c
PY
then pass "a 409 Status with a FieldManagerConflict cause"; else fail "a 409 Status with a FieldManagerConflict cause"; cat "$WORK/409.json"; fi
expect_output "--force-conflicts takes the field" 'configmap/owned serverside-applied' \
  $K apply --server-side --force-conflicts --field-manager=bob -f "$WORK/change.yaml"
expect_output "the forced value is there" '^9$' $K get cm owned -o jsonpath='{.data.a}{"\n"}'
expect_output "bob owns .data.a now; alice owns nothing, kubectl-create keeps b" \
  '^kubectl-create Update \{"f:data":\{"f:b":\{\}\}\};bob Apply \{"f:data":\{"f:a":\{\}\}\};$' \
  $K get cm owned -o jsonpath='{range .metadata.managedFields[*]}{.manager} {.operation} {.fieldsV1};{end}{"\n"}'

# A field bob stops applying goes, unless someone else owns it.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owned}\ndata: {c: "3"}\n' >"$WORK/c.yaml"
check "bob applies c instead of a" $K apply --server-side --field-manager=bob -f "$WORK/c.yaml"
expect_output "a went, b (kubectl-create's) stayed, c came" '^\|2\|3$' \
  $K get cm owned -o jsonpath='{.data.a}|{.data.b}|{.data.c}{"\n"}'

# An Update after the apply (kubectl edit-like merge patch) is recorded too.
check "label it (a merge patch)" $K label cm owned tier=web
expect_output "kubectl-label is an Update manager of the label" 'kubectl-label Update \{"f:metadata":\{"f:labels":\{"f:tier":\{\}\}\}\}' \
  $K get cm owned -o jsonpath='{range .metadata.managedFields[*]}{.manager} {.operation} {.fieldsV1};{end}{"\n"}'

# Apply without a field manager is refused as kube-apiserver does.
code=$(curl -s -o "$WORK/422.json" -w '%{http_code}' -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
  --data-binary '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"owned"}}' \
  "http://127.0.0.1:$PORT/api/v1/namespaces/default/configmaps/owned")
if [ "$code" = 422 ] && grep -q 'fieldManager: Required value' "$WORK/422.json"; then
  pass "apply without fieldManager is a 422"
else
  fail "apply without fieldManager is a 422 (got $code)"; cat "$WORK/422.json"
fi
