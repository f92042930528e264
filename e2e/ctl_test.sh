#!/usr/bin/env bash
# mkctl (`minik8s ctl`) against a throwaway `minik8s server`: the original project's
# scenarios (create, get, get all, update, delete) for every seed manifest with the stored
# state checked through the API; objects made by mkctl and by the real kubectl look the
# same to both; apply, describe, watch, scale, selectors and output formats; and bad input
# (missing file, broken YAML, kind mismatch, unknown kind, server down) as one-line errors.
# kubectl's tables are checked through `minik8s ctl`, whose default they are; `mkctl`'s
# default, the original's tables, in mkctl_original_test.sh.
source "$(dirname "$0")/lib.sh"
trap finish EXIT
start_server
API="http://127.0.0.1:$PORT"
mkdir -p "$WORK/bin"
ln -s "$MINIK8S" "$WORK/bin/mkctl"  # argv[0] = mkctl
MK="$WORK/bin/mkctl --request-timeout=20s"
# `minik8s ctl` prints kubectl's tables; `mkctl` the original's (e2e/mkctl_original_test.sh).
CTL="$MINIK8S ctl --request-timeout=20s"
K="kubectl --request-timeout=20s"
echo "mkctl e2e against port $PORT"

# stored PATH JQ: prints a field of the object stored at PATH (read through the API).
stored() { curl -fsS "$API$1" | jq -r "$2"; }
# expect_stored "description" PATH JQ VALUE
expect_stored() {
  local what=$1 path=$2 filter=$3 want=$4 got
  got=$(stored "$path" "$filter" 2>&1 || true)
  if [ "$got" = "$want" ]; then pass "$what"; else fail "$what (stored $filter = '$got', want '$want')"; fi
}
expect_gone() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "$API$2")
  if [ "$code" = 404 ]; then pass "$1"; else fail "$1 (GET $2 answered $code)"; fi
}
# expect_one_line_error "description" "regex" command...: non-zero exit, exactly one line
# on stderr, matching.
expect_one_line_error() {
  local what=$1 pattern=$2
  shift 2
  if "$@" >"$WORK/out" 2>"$WORK/err"; then
    fail "$what (exit 0)"
  elif [ "$(wc -l <"$WORK/err")" -eq 1 ] && grep -Eq -- "$pattern" "$WORK/err"; then
    pass "$what"
  else
    fail "$what (wanted one line /$pattern/)"
    sed 's/^/       /' "$WORK/err" | head -5
  fi
}
# same_json "description" cmd1 -- cmd2: both print JSON objects that are equal.
same_json() {
  local what=$1
  shift
  local a=() b=()
  while [ "$1" != "--" ]; do a+=("$1"); shift; done
  shift
  b=("$@")
  if "${a[@]}" >"$WORK/a.json" 2>&1 && "${b[@]}" >"$WORK/b.json" 2>&1 &&
     [ "$(jq -S . "$WORK/a.json")" = "$(jq -S . "$WORK/b.json")" ]; then
    pass "$what"
  else
    fail "$what"
    diff <(jq -S . "$WORK/a.json" 2>&1) <(jq -S . "$WORK/b.json" 2>&1) | head -10 | sed 's/^/       /'
  fi
}

# The original's scenarios, for every seed manifest: create, then the stored object.
kind_word() { awk '/^kind:/ {print tolower($2); exit}' "$1"; }
name_of() { awk '/^  name:/ {print $2; exit}' "$1"; }
for f in "$SEEDS"/*.yaml; do
  kind=$(awk '/^kind:/ {print $2; exit}' "$f")
  expect_output "create $(kind_word "$f") -f $(basename "$f")" "^$kind created: $(name_of "$f")\$" \
    $MK create "$(kind_word "$f")" -f "$f"
done
expect_stored "pod stored with its three containers" /api/v1/namespaces/default/pods/greet-pod \
  '[.spec.containers[].image] | join(",")' "greeting-app,welcome-app,busybox:1.36.1"
expect_stored "pod keeps the seed's pod-level limits" /api/v1/namespaces/default/pods/greet-pod \
  '.spec.resources.limits.cpu' "30m"
expect_stored "pod-hpa stored" /api/v1/namespaces/default/pods/pod-hpa '.metadata.labels.app' "hpa"
expect_stored "service stored with both ports" /api/v1/namespaces/default/services/simple-service \
  '[.spec.ports[].port] | join(",")' "5000,80"
expect_stored "service got a cluster IP" /api/v1/namespaces/default/services/echo-service \
  '.spec.clusterIP | test("^10\\.")' "true"
expect_stored "deployment stored with 3 replicas" /apis/apps/v1/namespaces/default/deployments/simple-deployment \
  '.spec.replicas' "3"
expect_stored "seed Dns stored" /api/v1/namespaces/default/dnses/test-dns '.spec.hostname' "vahag.com"
expect_stored "seed Hpa stored" /api/v1/namespaces/default/hpas/test-hpa '.spec.maxReplicas' "5"
expect_error_output "create again is AlreadyExists" '^Error from server \(AlreadyExists\): pods "greet-pod" already exists' \
  $MK create pod -f "$SEEDS/pod.yaml"

# get NAME: the whole object, YAML by default (`minik8s ctl`), -o json equal to the stored
# object.
expect_output "get pod NAME prints YAML" '^kind: Pod$' $CTL get pod greet-pod
expect_output "get pod NAME YAML has the containers" 'image: welcome-app' $CTL get pod greet-pod
# stored_unmanaged URL: the object as stored, without metadata.managedFields (kubectl leaves them out too).
stored_unmanaged() { curl -fsS "$API$1" | jq 'del(.metadata.managedFields)'; }
same_json "get pod NAME -o json is the stored object" $MK get pod greet-pod -o json -- \
  stored_unmanaged /api/v1/namespaces/default/pods/greet-pod
same_json "get hpa NAME finds the seed Hpa" $MK get hpa test-hpa -o json -- \
  stored_unmanaged /api/v1/namespaces/default/hpas/test-hpa
expect_output "the stored pod has managedFields (the server records who wrote it)" '"manager"' \
  curl -fsS "$API/api/v1/namespaces/default/pods/greet-pod"
expect_output "get dns NAME" 'hostname: vahag.com' $CTL get dns test-dns

# get KIND: tables like kubectl's (`minik8s ctl`).
expect_output "get pods table (the original's columns: IP and NODE too)" '^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE$' $CTL get pods
expect_output "get pods row" '^greet-pod +0/3 +Pending +0 ' $CTL get pods
expect_output "get po -o wide adds IP and NODE" '^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE' $CTL get po -o wide
expect_output "get services table (with the original's ENDPOINTS)" '^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +ENDPOINTS +AGE$' $CTL get services
expect_output "get services row" '^simple-service +NodePort +10\.[0-9.]+ +<none> +5000:3[0-9]+/TCP,80:3[0-9]+/TCP ' $CTL get services
expect_output "get deployments table" '^simple-deployment +0/3 ' $CTL get deployments
expect_output "get dns table" 'test-dns' $CTL get dns
expect_output "get hpa table (seed kind)" 'test-hpa' $CTL get hpa
expect_output "get endpoints -A table" '^NAMESPACE +NAME +ENDPOINTS +AGE$' $CTL get endpoints -A
expect_output "get endpoints -A lists the apiserver's own" "^default +kubernetes +127\\.0\\.0\\.1:$PORT " $CTL get endpoints -A
expect_output "get -A adds NAMESPACE" '^default +greet-pod ' $CTL get pods -A
expect_output "get -l filters" '^pod-hpa ' $CTL get pods -l app=hpa
expect_fail "get -l filters out the others" bash -c "$CTL get pods -l app=hpa | grep -q greet-pod"
expect_output "get -l with no match" '^No resources found in default namespace\.$' $CTL get pods -l app=none
expect_output "get -o name" '^service/simple-service$' $MK get svc -o name
# (kube-system holds the Dns add-on's nginx once the seed Dns exists; kube-public stays empty.)
expect_output "-n selects the namespace" '^No resources found in kube-public namespace\.$' $CTL get pods -n kube-public
expect_output "get svc,po (two kinds)" '^pod/greet-pod ' $CTL get svc,po

# get all: every kind's table, including the seed dns and hpa.
$CTL get all >"$WORK/all" 2>&1 || true
for want in '^pod/greet-pod ' '^service/simple-service ' '^deployment\.apps/simple-deployment ' '^dns/test-dns' '^hpa/test-hpa'; do
  if grep -Eq -- "$want" "$WORK/all"; then pass "get all shows /$want/"; else fail "get all shows /$want/"; sed 's/^/       /' "$WORK/all" | head -30; fi
done

# The same objects seen by the real kubectl and mkctl.
same_json "kubectl sees the mkctl-created pod as mkctl does" $K get pod greet-pod -o json -- $MK get pod greet-pod -o json
same_json "kubectl sees the mkctl-created deployment as mkctl does" $K get deploy simple-deployment -o json -- \
  $MK get deployment simple-deployment -o json
cat >"$WORK/kpod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: from-kubectl, labels: {made-by: kubectl}}
spec:
  containers: [{name: c, image: busybox:1.36.1, command: [sleep, "3600"]}]
YAML
check "kubectl create" $K create -f "$WORK/kpod.yaml"
same_json "mkctl sees the kubectl-created pod as kubectl does" $MK get pod from-kubectl -o json -- $K get pod from-kubectl -o json
$K get pods --no-headers 2>&1 | awk '{print $1, $2, $3, $4}' >"$WORK/k.txt"
$CTL get pods --no-headers 2>&1 | awk '{print $1, $2, $3, $4}' >"$WORK/m.txt"
if diff "$WORK/k.txt" "$WORK/m.txt" >/dev/null; then pass "get pods rows match kubectl's"; else fail "get pods rows match kubectl's"; diff "$WORK/k.txt" "$WORK/m.txt" | head; fi
$K get svc --no-headers 2>&1 | awk '{print $1, $2, $3, $4, $5}' >"$WORK/k.txt"
$CTL get svc --no-headers 2>&1 | awk '{print $1, $2, $3, $4, $5}' >"$WORK/m.txt"
if diff "$WORK/k.txt" "$WORK/m.txt" >/dev/null; then pass "get svc rows match kubectl's"; else fail "get svc rows match kubectl's"; diff "$WORK/k.txt" "$WORK/m.txt" | head; fi
check "mkctl delete of the kubectl pod" $MK delete pod from-kubectl
expect_error_output "kubectl sees it gone" '^Error from server \(NotFound\): pods "from-kubectl" not found$' $K get pod from-kubectl

# update: replace from a file, check the stored object changed.
# A pod's spec is immutable but for images, so labels and an image change in place (an
# untagged image defaults imagePullPolicy to Always, as :latest does; another tag would
# default it to IfNotPresent, a change that cannot be made in place)...
sed -e 's/app: hpa/app: hpa\n    tier: v2/' -e 's/image: flask-stress-app/image: flask-stress-app:latest/' \
  "$SEEDS/podhpa.yaml" >"$WORK/podhpa2.yaml"
uid_before=$(stored /api/v1/namespaces/default/pods/pod-hpa '.metadata.uid')
rv_before=$(stored /api/v1/namespaces/default/pods/pod-hpa '.metadata.resourceVersion')
expect_output "update pod -f (labels, image)" '^Pod updated: pod-hpa$' $MK update pod -f "$WORK/podhpa2.yaml"
if grep -q replaced "$WORK/out"; then fail "labels and image change in place (it said: $(cat "$WORK/out"))"; else pass "labels and image change in place"; fi
expect_stored "update in place kept the pod (same uid)" /api/v1/namespaces/default/pods/pod-hpa '.metadata.uid' "$uid_before"
expect_stored "update stored the new label" /api/v1/namespaces/default/pods/pod-hpa '.metadata.labels.tier' "v2"
expect_stored "update stored the new image" /api/v1/namespaces/default/pods/pod-hpa '.spec.containers[0].image' "flask-stress-app:latest"
rv_after=$(stored /api/v1/namespaces/default/pods/pod-hpa '.metadata.resourceVersion')
if [ "$rv_before" != "$rv_after" ]; then pass "update bumped resourceVersion"; else fail "update bumped resourceVersion"; fi
# ...while an env change cannot: the pod is replaced (deleted, waited for, created again).
# greet-pod's seed names a node that does not exist (vahag-node): admission cleared it at
# create, and clears it again when the pod is created anew.
sed -e 's/value: "World"/value: "Everyone"/' -e 's/app: greet-server/app: greet-server\n    tier: v2/' \
  "$SEEDS/pod.yaml" >"$WORK/pod2.yaml"
uid_before=$(stored /api/v1/namespaces/default/pods/greet-pod '.metadata.uid')
expect_output "update pod -f (env) replaces the pod and says so" \
  '^pod/greet-pod replaced \(its spec cannot change in place\)$' $MK update pod -f "$WORK/pod2.yaml"
if grep -q '^Pod updated: greet-pod$' "$WORK/out"; then pass "a replace still prints the original's message"; else fail "a replace still prints the original's message"; sed 's/^/       /' "$WORK/out"; fi
expect_stored "replace stored the new env" /api/v1/namespaces/default/pods/greet-pod '.spec.containers[0].env[0].value' "Everyone"
expect_stored "replace stored the new label" /api/v1/namespaces/default/pods/greet-pod '.metadata.labels.tier' "v2"
uid_after=$(stored /api/v1/namespaces/default/pods/greet-pod '.metadata.uid')
if [ -n "$uid_after" ] && [ "$uid_before" != "$uid_after" ]; then pass "replace made a new pod (new uid)"; else fail "replace made a new pod (uid '$uid_before' -> '$uid_after')"; fi
expect_stored "the new pod was admitted again (nodeName of a missing node cleared)" \
  /api/v1/namespaces/default/pods/greet-pod '.spec.nodeName // ""' ""
sed -e 's/value: "World"/value: "Again"/' -e 's/name: greet-container/name: Greet_Container/' \
  "$SEEDS/pod.yaml" >"$WORK/pod3.yaml"
expect_error_output "update with a bad value is refused" '^The Pod "greet-pod" is invalid:' $MK update pod -f "$WORK/pod3.yaml"
expect_stored "a refused update deleted nothing" /api/v1/namespaces/default/pods/greet-pod '.metadata.uid' "$uid_after"
sed 's/replicas: 3/replicas: 5/' "$SEEDS/deployment.yaml" >"$WORK/deploy2.yaml"
expect_output "update deployment -f" '^Deployment updated: simple-deployment$' $MK update deployment -f "$WORK/deploy2.yaml"
expect_stored "update stored 5 replicas" /apis/apps/v1/namespaces/default/deployments/simple-deployment '.spec.replicas' "5"
ip_before=$(stored /api/v1/namespaces/default/services/echo-service '.spec.clusterIP')
sed 's/port: 80/port: 8080/' "$SEEDS/service4depl.yaml" >"$WORK/svc2.yaml"
expect_output "update service -f" '^Service updated: echo-service$' $MK update service -f "$WORK/svc2.yaml"
expect_stored "update stored the new port" /api/v1/namespaces/default/services/echo-service '.spec.ports[0].port' "8080"
expect_stored "update kept the cluster IP" /api/v1/namespaces/default/services/echo-service '.spec.clusterIP' "$ip_before"
sed 's/maxReplicas: 5/maxReplicas: 7/' "$SEEDS/hpa.yaml" >"$WORK/hpa2.yaml"
expect_output "update hpa -f (seed Hpa)" '^Hpa updated: test-hpa$' $MK update hpa -f "$WORK/hpa2.yaml"
expect_stored "update stored maxReplicas" /api/v1/namespaces/default/hpas/test-hpa '.spec.maxReplicas' "7"
expect_error_output "update of a missing object" '^Error from server \(NotFound\): pods "ghost" not found' \
  $MK update pod -f <(sed 's/name: greet-pod/name: ghost/' "$SEEDS/pod.yaml")

# scale, describe (with events), watch.
expect_output "scale deployment" '^Deployment scaled: simple-deployment$' $MK scale deployment simple-deployment --replicas 2
expect_stored "scale stored 2 replicas" /apis/apps/v1/namespaces/default/deployments/simple-deployment '.spec.replicas' "2"
cat >"$WORK/event.yaml" <<'YAML'
apiVersion: v1
kind: Event
metadata: {name: greet-pod.e2e}
involvedObject: {kind: Pod, name: greet-pod, namespace: default}
reason: Testing
message: an event for describe
type: Normal
source: {component: e2e}
YAML
check "create event" $MK create event -f "$WORK/event.yaml"
expect_output "describe pod shows its name" '^Name: +greet-pod$' $MK describe pod greet-pod
expect_output "describe pod shows its events" 'Normal +Testing +.* e2e +an event for describe' $MK describe pod greet-pod
$MK get pods -w >"$WORK/watch.out" 2>&1 &
WATCH_PID=$!
wait_until 10 grep -q greet-pod "$WORK/watch.out" || true
cat >"$WORK/watched.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: watched}
spec:
  containers: [{name: c, image: busybox:1.36.1}]
YAML
$MK create pod -f "$WORK/watched.yaml" >/dev/null 2>&1
if wait_until 10 grep -q '^watched ' "$WORK/watch.out"; then pass "get -w prints a new pod"; else fail "get -w prints a new pod"; sed 's/^/       /' "$WORK/watch.out"; fi
kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true

# apply: multi-document from stdin, then again with a change.
cat >"$WORK/app.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {mode: one}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: applied}
spec:
  replicas: 1
  selector: {matchLabels: {app: applied}}
  template:
    metadata: {labels: {app: applied}}
    spec:
      containers: [{name: c, image: busybox:1.36.1}]
YAML
expect_output "apply -f - creates" '^Deployment created: applied$' $MK apply -f - <"$WORK/app.yaml"
expect_stored "apply stored the configmap" /api/v1/namespaces/default/configmaps/app-config '.data.mode' "one"
sed -i 's/mode: one/mode: two/' "$WORK/app.yaml"
expect_output "apply again configures" '^ConfigMap configured: app-config$' $MK apply -f "$WORK/app.yaml"
expect_stored "apply stored the change" /api/v1/namespaces/default/configmaps/app-config '.data.mode' "two"
mkdir -p "$WORK/dir" && cp "$SEEDS/dns.yaml" "$SEEDS/service.yaml" "$WORK/dir/"
expect_output "apply -f DIR" '^Service configured: simple-service$' $MK apply -f "$WORK/dir"
expect_output "delete -f" '^ConfigMap deleted: app-config$' $MK delete -f "$WORK/app.yaml"
expect_gone "delete -f removed the deployment" /apis/apps/v1/namespaces/default/deployments/applied

# delete every seed object by kind and name; the store no longer has them.
for f in "$SEEDS"/*.yaml; do
  kind=$(awk '/^kind:/ {print $2; exit}' "$f")
  expect_output "delete $(kind_word "$f") $(name_of "$f")" "^$kind deleted: $(name_of "$f")\$" \
    $MK delete "$(kind_word "$f")" "$(name_of "$f")"
done
# No node exists here, so the scheduler bound no pod, and a pod never bound is deleted at
# once: greet-pod too, whose seed names a node that does not exist (admission cleared it,
# also when `update` replaced the pod).
expect_gone "deleted pod greet-pod (never bound) is gone at once" /api/v1/namespaces/default/pods/greet-pod
expect_gone "deleted pod pod-hpa (never bound) is gone at once" /api/v1/namespaces/default/pods/pod-hpa
expect_gone "deleted service is gone" /api/v1/namespaces/default/services/simple-service
expect_gone "deleted deployment is gone" /apis/apps/v1/namespaces/default/deployments/simple-deployment
expect_gone "deleted dns is gone" /api/v1/namespaces/default/dnses/test-dns
# The seed Hpa's controller holds the deletion with a finalizer until its ReplicaSet and the
# extra pods are gone: wait for it to let go.
wait_until 30 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$API/api/v1/namespaces/default/hpas/test-hpa')\" = 404 ]" || true
expect_gone "deleted hpa is gone once its controller let go" /api/v1/namespaces/default/hpas/test-hpa

# Bad input: one line on stderr and a non-zero exit.
expect_one_line_error "missing file" '^error: the path "/no/such.yaml" does not exist$' $MK create pod -f /no/such.yaml
printf 'apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n' >"$WORK/broken.yaml"
expect_one_line_error "unparsable YAML" '^error: error parsing .*broken.yaml: ' $MK create pod -f "$WORK/broken.yaml"
expect_one_line_error "kind mismatch" '^error: the kind in .*service.yaml is Service, not pod$' $MK create pod -f "$SEEDS/service.yaml"
expect_one_line_error "unknown kind" "^error: the server doesn't have a resource type \"widgets\"$" $MK get widgets
expect_one_line_error "not found" '^Error from server \(NotFound\): pods "nothere" not found$' $MK get pod nothere
expect_one_line_error "delete not found" '^Error from server \(NotFound\): services "nothere" not found$' $MK delete service nothere
cat >"$WORK/invalid.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers: [{name: c}]
YAML
expect_one_line_error "invalid object names the field" '^The Pod "bad" is invalid: spec\.containers\[0\]\.image: Required value' \
  $MK create pod -f "$WORK/invalid.yaml"
DEAD=$(free_port)
start=$SECONDS
expect_one_line_error "server down" "^The connection to the server 127.0.0.1:$DEAD was refused" \
  $WORK/bin/mkctl get pods -s "http://127.0.0.1:$DEAD"
if [ $((SECONDS - start)) -le 5 ]; then pass "server down fails fast"; else fail "server down fails fast"; fi
expect_one_line_error "bad output format" '^error: unable to match a printer' $MK get pods -o xml

# Completion, and the two spellings' default tables.
check "completion bash is valid bash" bash -c "source <(\"$MINIK8S\" completion bash) && complete -p mkctl"
expect_output "minik8s ctl get pods prints kubectl's table" '^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE$' $CTL get pods
expect_output "mkctl get pods prints the original's table" '^Name +Status +IP +Runtime +Node$' $MK get pods
expect_output "minik8s ctl get pods -o original" '^Name +Status +IP +Runtime +Node$' $CTL get pods -o original
