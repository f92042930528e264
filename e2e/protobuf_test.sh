#!/usr/bin/env bash
# The clients that speak protobuf, against `minik8s server`: kubectl's generators
# (`kubectl create deployment|configmap|secret|namespace|service|job|cronjob|ingress|
# serviceaccount|role|rolebinding|clusterrole|clusterrolebinding`) post
# application/vnd.kubernetes.protobuf bodies, and what the server stores must be exactly
# what the generator built (its --dry-run=client object); helm keeps its releases in
# Secrets written and deleted through protobuf bodies.
source "$(dirname "$0")/lib.sh"
trap finish EXIT
start_server
K="kubectl --request-timeout=20s"
echo "protobuf e2e against port $PORT"

# Every field of $1 (the generator's object; null and empty values aside) is in $2 with the
# same value, arrays element by element.
cat >"$WORK/subset.jq" <<'JQ'
def sub($a; $b):
  if ($a|type) == "object" then
    all($a|to_entries[]; . as $e | $e.value == null or $e.value == {} or
        (($b|type) == "object" and sub($e.value; $b[$e.key])))
  elif ($a|type) == "array" then
    ($b|type) == "array" and ($a|length) == ($b|length) and
    all(range($a|length); . as $i | sub($a[$i]; $b[$i]))
  else $a == $b end;
del(.status, .metadata.creationTimestamp) as $want | sub($want; $got[0])
JQ

# created_as_generated KIND NAME GENERATOR-ARGS...: `kubectl create` sends protobuf; the
# stored object holds every field of the same command's --dry-run=client -o json.
created_as_generated() {
  local kind=$1 name=$2 args=() arg
  shift 2
  for arg in "$@"; do  # the dry-run flags go before a container command's `--`
    [ "$arg" = -- ] && args+=(--dry-run=client -o json)
    args+=("$arg")
  done
  [[ " ${args[*]} " == *" --dry-run=client "* ]] || args+=(--dry-run=client -o json)
  $K create "${args[@]}" >"$WORK/want.json" || return 1
  $K create "$@" >/dev/null || return 1
  $K get "$kind" "$name" -o json >"$WORK/got.json" || return 1
  if ! jq -e --slurpfile got "$WORK/got.json" -f "$WORK/subset.jq" "$WORK/want.json" >/dev/null; then
    echo "generated:"; cat "$WORK/want.json"; echo "stored:"; cat "$WORK/got.json"
    return 1
  fi
}

echo "== kubectl's generators"
check "create namespace" created_as_generated namespace proto-ns namespace proto-ns
check "create configmap --from-literal" created_as_generated configmap proto-cm \
  configmap proto-cm --from-literal=a=b --from-literal=greeting='hello, world'
check "create secret generic" created_as_generated secret proto-secret \
  secret generic proto-secret --from-literal=user=admin --from-literal=pass='s3cr3t!'
expect_output "the secret's bytes are kept" '^s3cr3t!$' \
  bash -c "$K get secret proto-secret -o jsonpath='{.data.pass}' | base64 -d"
expect_output "a generic secret defaults to Opaque" '^Opaque$' $K get secret proto-secret -o jsonpath='{.type}'
check "create secret docker-registry" created_as_generated secret proto-reg \
  secret docker-registry proto-reg --docker-server=registry.local:5000 --docker-username=u --docker-password=p
check "create deployment --replicas --port" created_as_generated deployment proto-web \
  deployment proto-web --image=nginx:1.25 --replicas=3 --port=8080
check "create deployment with two images" created_as_generated deployment proto-two \
  deployment proto-two --image=busybox:1.36 --image=nginx:1.25
expect_output "create deployment --replicas=0 keeps zero (a pointer field on the wire)" '^0$' \
  bash -c "$K create deployment proto-zero --image=busybox --replicas=0 >/dev/null && $K get deployment proto-zero -o jsonpath='{.spec.replicas}'"
check "create service clusterip" created_as_generated service proto-svc service clusterip proto-svc --tcp=80:8080
check "create service nodeport" created_as_generated service proto-np \
  service nodeport proto-np --tcp=81:8081 --node-port=30081
check "create job" created_as_generated job proto-job job proto-job --image=busybox -- echo hi
check "create cronjob" created_as_generated cronjob proto-cron \
  cronjob proto-cron --image=busybox --schedule='*/5 * * * *' -- date
check "create job --from=cronjob" created_as_generated job proto-from-cron job proto-from-cron --from=cronjob/proto-cron
check "create ingress" created_as_generated ingress proto-ing \
  ingress proto-ing --class=minik8s-nginx --rule='foo.example/bar*=proto-svc:80' --rule='foo.example/=proto-svc:80'
expect_output "the ingress' inlined http rule came through" '^/bar Prefix proto-svc$' \
  $K get ingress proto-ing -o jsonpath='{.spec.rules[0].http.paths[0].path} {.spec.rules[0].http.paths[0].pathType} {.spec.rules[0].http.paths[0].backend.service.name}'
check "create configmap in the new namespace" $K -n proto-ns create configmap inside --from-literal=x=y
expect_error_output "a duplicate is the usual 409" 'configmaps "proto-cm" already exists' $K create configmap proto-cm --from-literal=a=b
expect_error_output "an invalid object is the usual 422 naming the field" 'spec.replicas' \
  $K create deployment proto-bad --image=nginx --replicas=-1

echo "== service accounts and RBAC (stored, not enforced)"
check "create serviceaccount" created_as_generated serviceaccount build-bot serviceaccount build-bot
check "create role" created_as_generated role pod-reader role pod-reader --verb=get,list,watch --resource=pods
check "create rolebinding" created_as_generated rolebinding read-pods \
  rolebinding read-pods --role=pod-reader --serviceaccount=default:build-bot
check "create clusterrole" created_as_generated clusterrole node-reader clusterrole node-reader --verb=get --resource=nodes
check "create clusterrolebinding" created_as_generated clusterrolebinding read-nodes \
  clusterrolebinding read-nodes --clusterrole=node-reader --user=alice
expect_output "kubectl get sa" '^build-bot[[:space:]]+0[[:space:]]+[0-9]+[sm]$' bash -c "$K get sa build-bot --no-headers"
expect_output "kubectl get roles shows CREATED AT" '^pod-reader[[:space:]]+20[0-9-]+T[0-9:]+Z$' \
  bash -c "$K get roles pod-reader --no-headers"
expect_output "kubectl get rolebindings -o wide" \
  '^read-pods[[:space:]]+Role/pod-reader[[:space:]]+[0-9]+[sm][[:space:]]+default/build-bot$' \
  bash -c "$K get rolebindings read-pods -o wide --no-headers"
expect_output "kubectl get clusterrolebindings -o wide" \
  '^read-nodes[[:space:]]+ClusterRole/node-reader[[:space:]]+[0-9]+[sm][[:space:]]+alice' \
  bash -c "$K get clusterrolebindings read-nodes -o wide --no-headers"
expect_output "kubectl get clusterroles" '^node-reader[[:space:]]+20' bash -c "$K get clusterroles node-reader --no-headers"
expect_output "kubectl describe role" 'pods[[:space:]]+\[\][[:space:]]+\[\][[:space:]]+\[get list watch\]' $K describe role pod-reader
expect_output "kubectl describe rolebinding" 'ServiceAccount[[:space:]]+build-bot[[:space:]]+default' $K describe rolebinding read-pods
expect_output "kubectl describe clusterrolebinding" 'User[[:space:]]+alice' $K describe clusterrolebinding read-nodes
expect_output "kubectl describe serviceaccount" 'Name:[[:space:]]+build-bot' $K describe serviceaccount build-bot
cat >"$WORK/rbac.yaml" <<'YAML'
apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer}
automountServiceAccountToken: false
imagePullSecrets: [{name: regcred}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deploy-editor}
rules:
- {apiGroups: [apps], resources: [deployments], verbs: [get, update, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer-edits}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deploy-editor}
subjects: [{kind: ServiceAccount, name: deployer, namespace: default}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: aggregate-view}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rbac.example.com/aggregate-to-view: "true"}}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: devs-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: aggregate-view}
subjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]
YAML
expect_output "apply -f of all five" 'clusterrolebinding.rbac.authorization.k8s.io/devs-view created' $K apply -f "$WORK/rbac.yaml"
expect_output "apply -f again is unchanged" 'rolebinding.rbac.authorization.k8s.io/deployer-edits unchanged' $K apply -f "$WORK/rbac.yaml"
expect_output "the service account kept its fields" '^false regcred$' \
  $K get sa deployer -o jsonpath='{.automountServiceAccountToken} {.imagePullSecrets[0].name}'
expect_output "the aggregation rule is stored" 'rbac.example.com/aggregate-to-view":"true"' \
  $K get clusterrole aggregate-view -o jsonpath='{.aggregationRule.clusterRoleSelectors[0].matchLabels}'
sed -i 's/kind: Role, name: deploy-editor}/kind: Role, name: other-role}/' "$WORK/rbac.yaml"
expect_error_output "roleRef is immutable" 'cannot change roleRef' $K apply -f "$WORK/rbac.yaml"
cat >"$WORK/badbinding.yaml" <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bad-ref}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Pod, name: x}
YAML
expect_error_output "a roleRef.kind of Pod is a 422 naming roleRef.kind" \
  'roleRef.kind: Unsupported value: "Pod": supported values: "Role", "ClusterRole"' $K create -f "$WORK/badbinding.yaml"
for obj in rolebinding/read-pods role/pod-reader sa/build-bot clusterrolebinding/read-nodes clusterrole/node-reader; do
  check "kubectl delete $obj" $K delete "$obj"
done
expect_error_output "a deleted role is gone" 'NotFound' $K get role pod-reader

echo "== bad protobuf bodies are 400s, and the server keeps serving"
printf 'k8s\0\n\017\n\002v1\022\011ConfigMap\022\003\n\001' >"$WORK/truncated.pb"
printf 'k8s\0\n\015\n\002v1\022\007Flunder\022\000' >"$WORK/flunder.pb"
post_protobuf() {
  curl -sS -X POST -H 'Content-Type: application/vnd.kubernetes.protobuf' --data-binary "@$1" \
    "http://127.0.0.1:$PORT/api/v1/namespaces/default/configmaps"
}
expect_output "a truncated body is a 400" '"code": *400' post_protobuf "$WORK/truncated.pb"
expect_output "an unknown kind is a 415" '"code": *415' post_protobuf "$WORK/flunder.pb"
expect_output "the server still answers" 'proto-cm' $K get configmaps

echo "== helm keeps its releases in Secrets through protobuf"
mkdir -p "$WORK/chart/templates"
cat >"$WORK/chart/Chart.yaml" <<'YAML'
apiVersion: v2
name: greeter
version: 0.1.0
YAML
cat >"$WORK/chart/values.yaml" <<'YAML'
greeting: hello
replicas: 2
YAML
cat >"$WORK/chart/templates/all.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-settings}
data: {greeting: {{ .Values.greeting | quote }}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}-web}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}}}
    spec: {containers: [{name: web, image: greeting-app}]}
YAML
H=helm
expect_output "helm install" 'STATUS: deployed' $H install g1 "$WORK/chart"
expect_output "its release is a helm.sh/release.v1 Secret" '^sh.helm.release.v1.g1.v1 helm.sh/release.v1$' \
  $K get secrets -l owner=helm,name=g1 -o jsonpath='{range .items[*]}{.metadata.name} {.type}{"\n"}{end}'
expect_output "helm list" '^g1[[:space:]]+default[[:space:]]+1[[:space:]].*deployed[[:space:]]+greeter-0.1.0' $H list
expect_output "the chart's objects exist" '^hello 2$' \
  bash -c "echo \$($K get configmap g1-settings -o jsonpath='{.data.greeting}') \$($K get deployment g1-web -o jsonpath='{.spec.replicas}')"
expect_output "helm upgrade" 'STATUS: deployed' $H upgrade g1 "$WORK/chart" --set greeting=bye,replicas=3
expect_output "the upgrade took effect" '^bye 3$' \
  bash -c "echo \$($K get configmap g1-settings -o jsonpath='{.data.greeting}') \$($K get deployment g1-web -o jsonpath='{.spec.replicas}')"
expect_output "helm history has both revisions" 'superseded' $H history g1
expect_output "helm rollback" 'Rollback was a success' $H rollback g1 1
expect_output "the rollback took effect" '^hello 2$' \
  bash -c "echo \$($K get configmap g1-settings -o jsonpath='{.data.greeting}') \$($K get deployment g1-web -o jsonpath='{.spec.replicas}')"
expect_output "helm status says revision 3" 'REVISION: 3' $H status g1
expect_output "helm get values" 'greeting: bye' $H get values g1 --revision 2
expect_output "helm uninstall" 'release "g1" uninstalled' $H uninstall g1
check "no release Secret is left" bash -c "[ -z \"\$($K get secrets -l owner=helm -o name)\" ]"
expect_error_output "the chart's objects are gone" 'NotFound' $K get configmap g1-settings
expect_output "helm list is empty" '^NAME' $H list
