#!/usr/bin/env bash
# The real kubectl against `minik8s server`: discovery, tables, output formats, create,
# apply (client- and server-side), replace, delete, watch, describe, scale, label,
# annotate, every seed manifest, and readable errors.
source "$(dirname "$0")/lib.sh"
trap finish EXIT
start_server
K="kubectl --request-timeout=20s"
echo "kubectl e2e against port $PORT"

expect_output "version reports the server" 'Server Version: v1\.32' $K version
expect_output "api-resources lists pods with short names" 'pods +po +v1 +true +Pod' $K api-resources
expect_output "api-resources lists the seed kinds" 'dnses.*Dns' $K api-resources
expect_output "api-resources lists deployments" 'deployments +deploy +apps/v1' $K api-resources
expect_output "cluster-info" 'control plane is running' $K cluster-info

# Every seed manifest, created unchanged.
for f in "$SEEDS"/*.yaml; do
  check "create -f seed $(basename "$f")" $K create -f "$f"
done
expect_output "seed pod.yaml keeps its pod-level resources" '"cpu":"30m"' $K get pod greet-pod -o jsonpath='{.spec.resources.limits}'
expect_output "seed service warns about nodePort" 'Warning' $K create -f - <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: warned}
spec:
  ports: [{port: 80, nodePort: 80}]
YAML
expect_output "get pods table has real columns" 'NAME +READY +STATUS +RESTARTS +AGE' $K get pods
expect_output "get pods shows the seed pod pending" 'greet-pod +0/3 +Pending' $K get pods
expect_output "get pods -o wide adds IP and NODE" 'NAME +READY +STATUS +RESTARTS +AGE +IP +NODE' $K get pods -o wide
expect_output "get deployments table" 'NAME +READY +UP-TO-DATE +AVAILABLE +AGE' $K get deployments
expect_output "get services table" 'echo-service +NodePort +10\.' $K get svc
cat >"$WORK/rs.yaml" <<'YAML'
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs-table}
spec:
  replicas: 2
  selector: {matchLabels: {app: rs-table}}
  template:
    metadata: {labels: {app: rs-table}}
    spec: {containers: [{name: c, image: busybox}]}
YAML
check "create a replicaset" $K create -f "$WORK/rs.yaml"
expect_output "get replicasets table" 'NAME +DESIRED +CURRENT +READY +AGE' $K get rs
expect_output "get replicasets -o wide" 'CONTAINERS +IMAGES +SELECTOR' $K get rs -o wide
expect_output "get endpoints table" 'NAME +ENDPOINTS +AGE' $K get endpoints -A
expect_output "get dnses (seed kind) table" 'test-dns' $K get dnses
expect_output "get hpas (seed kind)" 'test-hpa' $K get hpas
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-table}\ndata: {a: "1", b: "2"}\n' >"$WORK/cm-table.yaml"
check "create a configmap" $K create -f "$WORK/cm-table.yaml"
expect_output "get configmaps table" '^NAME +DATA +AGE$' $K get configmaps
expect_output "get configmaps row counts the data" '^cm-table +2 +' $K get configmaps
expect_output "get -A shows namespaces" '^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE$' $K get pods -A
expect_output "get services -A includes kubernetes" 'default +kubernetes +ClusterIP +10\.96\.0\.1' $K get svc -A
expect_output "get -o yaml" 'kind: Pod' $K get pod greet-pod -o yaml
expect_output "get -o json" '"kind": "Pod"' $K get pod greet-pod -o json
expect_output "get -o name" 'pod/greet-pod' $K get pods -o name
expect_output "get -l filters on the server" 'greet-pod' $K get pods -l app=greet-server
expect_output "get -l with no match" 'No resources found' $K get pods -l app=nothing
expect_output "get all" 'service/echo-service' $K get all

# Nodes and events tables (created through the API like a kubelet and a controller would).
cat >"$WORK/node.yaml" <<'YAML'
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels: {kubernetes.io/hostname: node-1}
status:
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: ready}
  nodeInfo: {kubeletVersion: v1.32.0-minik8s, osImage: Debian, kernelVersion: "6", containerRuntimeVersion: containerd://1.6,
             machineID: m, systemUUID: s, bootID: b, kubeProxyVersion: v, operatingSystem: linux, architecture: amd64}
YAML
check "create a node" $K create -f "$WORK/node.yaml"
expect_output "get nodes table" 'NAME +STATUS +ROLES +AGE +VERSION' $K get nodes
POD_UID=$($K get pod greet-pod -o jsonpath='{.metadata.uid}')
cat >"$WORK/event.yaml" <<YAML
apiVersion: v1
kind: Event
metadata: {name: greet-pod.1}
involvedObject: {kind: Pod, name: greet-pod, namespace: default, uid: "$POD_UID"}
reason: Testing
message: an event for describe
type: Normal
source: {component: e2e}
count: 1
YAML
check "create an event" $K create -f "$WORK/event.yaml"
expect_output "get events table" 'Testing' $K get events
expect_output "describe pod shows its events" 'an event for describe' $K describe pod greet-pod

# apply twice: the second run changes one field and removes another.
cat >"$WORK/app.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo
  labels: {app: demo, remove-me: "yes"}
spec:
  replicas: 2
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      containers:
      - name: app
        image: nginx
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
YAML
expect_output "apply creates" 'deployment.apps/demo created' $K apply -f "$WORK/app.yaml"
sed -i -e 's/replicas: 2/replicas: 3/' -e 's/, remove-me: "yes"//' -e 's/, {name: B, value: "2"}//' "$WORK/app.yaml"
expect_output "apply again configures" 'deployment.apps/demo configured' $K apply -f "$WORK/app.yaml"
expect_output "apply changed replicas" '^3$' $K get deploy demo -o jsonpath='{.spec.replicas}{"\n"}'
expect_output "apply removed the label" '^\{"app":"demo"\}$' $K get deploy demo -o jsonpath='{.metadata.labels}{"\n"}'
expect_output "apply removed the env var" '^A$' $K get deploy demo -o jsonpath='{.spec.template.spec.containers[0].env[*].name}{"\n"}'
expect_output "apply unchanged" 'deployment.apps/demo unchanged' $K apply -f "$WORK/app.yaml"
expect_output "describe deployment" 'Replicas:' $K describe deployment demo
expect_output "scale" 'deployment.apps/demo scaled' $K scale deployment demo --replicas=5
expect_output "scale took effect" '^5$' $K get deploy demo -o jsonpath='{.spec.replicas}{"\n"}'
expect_output "label" 'labeled' $K label deployment demo tier=web
expect_output "label took effect" 'web' $K get deploy demo -o jsonpath='{.metadata.labels.tier}'
expect_output "annotate" 'annotated' $K annotate deployment demo note=hello
expect_output "annotate took effect" 'hello' $K get deploy demo -o jsonpath='{.metadata.annotations.note}'

# Server-side apply.
cat >"$WORK/cm.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: ssa}
data: {a: "1"}
YAML
expect_output "apply --server-side creates" 'configmap/ssa serverside-applied' $K apply --server-side -f "$WORK/cm.yaml"
sed -i 's/a: "1"/a: "2"/' "$WORK/cm.yaml"
expect_output "apply --server-side updates" 'configmap/ssa serverside-applied' $K apply --server-side -f "$WORK/cm.yaml"
expect_output "server-side apply took effect" '^2$' $K get cm ssa -o jsonpath='{.data.a}{"\n"}'

# replace
$K get cm ssa -o yaml | sed 's/a: "2"/a: "3"/' >"$WORK/cm-replace.yaml"
expect_output "replace" 'configmap/ssa replaced' $K replace -f "$WORK/cm-replace.yaml"
expect_output "replace took effect" '^3$' $K get cm ssa -o jsonpath='{.data.a}{"\n"}'

# get -w prints additions, changes and deletions.
$K get configmaps -w --output-watch-events >"$WORK/watch.out" 2>&1 &
WATCH_PID=$!
wait_until 10 grep -q ssa "$WORK/watch.out" || true  # the list part is printed: the watch is open
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\ndata: {x: "1"}\n' | $K create -f - >/dev/null
$K label configmap watched changed=yes >/dev/null
$K delete configmap watched >/dev/null
wait_until 10 grep -q 'DELETED.*watched' "$WORK/watch.out" || true
kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
expect_output "get -w shows the addition" 'ADDED +watched' cat "$WORK/watch.out"
expect_output "get -w shows the change" 'MODIFIED +watched' cat "$WORK/watch.out"
expect_output "get -w shows the deletion" 'DELETED +watched' cat "$WORK/watch.out"

# delete by name and by file
expect_output "delete by name" 'deployment.apps "demo" deleted' $K delete deployment demo
expect_output "delete -f" 'service "echo-service" deleted' $K delete -f "$SEEDS/service4depl.yaml"
expect_error_output "delete of a missing object" '^Error from server \(NotFound\): pods "nosuch" not found$' $K delete pod nosuch

# Errors are readable.
cat >"$WORK/bad.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers:
  - name: c
    image: busybox
    ports: [{containerPort: 99999}]
YAML
expect_error_output "invalid field gives a readable 422 naming it" 'is invalid: spec.containers\[0\]\.ports\[0\]\.containerPort' $K create -f "$WORK/bad.yaml"
cat >"$WORK/unknown.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: unknownfield}
spec:
  containers: [{name: c, image: busybox}]
  bogus: 1
YAML
expect_error_output "unknown field is refused under kubectl's strict validation" 'unknown field "spec.bogus"' $K create -f "$WORK/unknown.yaml"
expect_output "unknown field is a warning without validation" 'Warning: unknown field "spec.bogus"' $K create --validate=false -f "$WORK/unknown.yaml"

# HorizontalPodAutoscalers: kubectl autoscale, and autoscaling/v1 served as a view of the
# stored autoscaling/v2 object. (kubectl 1.32 reads a bare `hpa` as the seed Hpa kind,
# whose singular name it is, before the short name; so the group is named.)
cat >"$WORK/web-deploy.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: busybox, resources: {requests: {cpu: 100m}}}]}
YAML
expect_output "discovery serves autoscaling/v1 beside v2" 'autoscaling/v1' $K api-versions
expect_output "v2 stays the preferred version" '"preferredVersion":\{"groupVersion":"autoscaling/v2"' \
  curl -s "http://127.0.0.1:$PORT/apis/autoscaling"
check "create the deployment to autoscale" $K create -f "$WORK/web-deploy.yaml"
expect_output "kubectl autoscale" 'horizontalpodautoscaler.autoscaling/web autoscaled' \
  $K autoscale deployment web --cpu-percent=50 --min=1 --max=4
expect_output "get hpa shows the TARGETS column" \
  '^web +Deployment/web +cpu: <unknown>/50% +1 +4 +' $K get hpa.autoscaling
expect_output "get hpa has kubectl's columns" '^NAME +REFERENCE +TARGETS +MINPODS +MAXPODS +REPLICAS +AGE$' $K get hpa.autoscaling
expect_output "v1: targetCPUUtilizationPercentage" '^autoscaling/v1 50 1 4$' \
  $K get horizontalpodautoscalers.v1.autoscaling web -o jsonpath='{.apiVersion} {.spec.targetCPUUtilizationPercentage} {.spec.minReplicas} {.spec.maxReplicas}'
expect_output "v1 -o yaml" 'targetCPUUtilizationPercentage: 50' $K get horizontalpodautoscalers.v1.autoscaling web -o yaml
expect_output "v2: the same object as a Resource cpu metric" '^autoscaling/v2 cpu Utilization 50$' \
  $K get horizontalpodautoscalers.v2.autoscaling web -o jsonpath='{.apiVersion} {.spec.metrics[0].resource.name} {.spec.metrics[0].resource.target.type} {.spec.metrics[0].resource.target.averageUtilization}'
expect_output "v2 -o yaml" 'averageUtilization: 50' $K get horizontalpodautoscalers.v2.autoscaling web -o yaml
expect_output "v1 table (TARGETS from the stored v2 object)" '^web +Deployment/web +cpu: <unknown>/50% +1 +4 +' \
  $K get horizontalpodautoscalers.v1.autoscaling
cat >"$WORK/hpa-v2.yaml" <<'YAML'
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web2}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: 100Mi}}}
  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 30}
YAML
check "create a v2 HPA with memory and behavior" $K create -f "$WORK/hpa-v2.yaml"
expect_output "its v1 view keeps memory in the metrics annotation" 'targetAverageValue.*100Mi' \
  $K get horizontalpodautoscalers.v1.autoscaling web2 -o jsonpath='{.metadata.annotations.autoscaling\.alpha\.kubernetes\.io/metrics}'
expect_output "its v1 view keeps behavior in its annotation" '"StabilizationWindowSeconds":30' \
  $K get horizontalpodautoscalers.v1.autoscaling web2 -o jsonpath='{.metadata.annotations.autoscaling\.alpha\.kubernetes\.io/behavior}'
check "a v1 replace of the view" bash -c \
  "$K get horizontalpodautoscalers.v1.autoscaling web2 -o json | sed 's/\"targetCPUUtilizationPercentage\": 60/\"targetCPUUtilizationPercentage\": 70/' | $K replace -f -"
expect_output "the v1 write kept memory and behavior, and changed cpu" '^memory cpu 70 30$' \
  $K get horizontalpodautoscalers.v2.autoscaling web2 -o jsonpath='{.spec.metrics[0].resource.name} {.spec.metrics[1].resource.name} {.spec.metrics[1].resource.target.averageUtilization} {.spec.behavior.scaleDown.stabilizationWindowSeconds}'
expect_output "a v1 merge patch" 'patched' \
  $K patch horizontalpodautoscalers.v1.autoscaling web2 --type=merge -p '{"spec":{"maxReplicas":8}}'
expect_output "seen in v2" '^8$' $K get horizontalpodautoscalers.v2.autoscaling web2 -o jsonpath='{.spec.maxReplicas}'
expect_output "a v1 list shows both" '^web web2$' \
  $K get horizontalpodautoscalers.v1.autoscaling -o jsonpath='{.items[*].metadata.name}'
expect_output "the v1 watch sends v1 objects" 'autoscaling/v1' bash -c \
  "curl -s -m 2 'http://127.0.0.1:$PORT/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers?watch=true' || true"
expect_error_output "a v1 body with a malformed annotation is refused" 'autoscaling.alpha.kubernetes.io/metrics' \
  $K create -f - <<'YAML'
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  name: broken
  annotations: {autoscaling.alpha.kubernetes.io/metrics: "not json"}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 2
YAML
expect_output "delete through v1" 'deleted' $K delete horizontalpodautoscalers.v1.autoscaling web2
expect_output "delete the autoscaled one" 'deleted' $K delete hpa.autoscaling web
check "the HPAs are gone" bash -c "[ -z \"\$($K get hpa.autoscaling -o name)\" ]"
check "delete the deployment" $K delete deployment web

# Namespaces
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: e2e-ns}\n' >"$WORK/ns.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inside}\ndata: {a: b}\n' >"$WORK/inside.yaml"
check "create namespace" $K create -f "$WORK/ns.yaml"
check "create in namespace" $K -n e2e-ns create -f "$WORK/inside.yaml"
# kubectl's generators send protobuf bodies (e2e/protobuf_test.sh covers them all).
check "create configmap (a protobuf body) in the namespace" $K -n e2e-ns create configmap proto --from-literal=a=b
# Deleting it: the namespace controller (in the server's controller manager) deletes the
# contents, waits for the pods (bound to node-1, whose kubelet never confirms) and for the
# configmap a finalizer holds, and says so in the conditions.
expect_output "a namespace gets the kubernetes finalizer" '^\["kubernetes"\]$' \
  $K get namespace e2e-ns -o 'jsonpath={.spec.finalizers}'
for p in p1 p2; do
  printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec: {nodeName: node-1, containers: [{name: c, image: busybox}]}\n' "$p" >"$WORK/$p.yaml"
  check "pod $p in the namespace" $K -n e2e-ns create -f "$WORK/$p.yaml"
done
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, finalizers: [e2e.minik8s.io/hold]}\n' >"$WORK/held.yaml"
check "a configmap held by a finalizer" $K -n e2e-ns create -f "$WORK/held.yaml"
expect_output "delete namespace" 'namespace "e2e-ns" deleted' $K delete namespace e2e-ns --wait=false
expect_output "it shows Terminating" 'e2e-ns +Terminating' $K get namespace e2e-ns
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late}\n' >"$WORK/late.yaml"
expect_error_output "new content is refused (403)" \
  'configmaps "late" is forbidden: unable to create new content in namespace e2e-ns because it is being terminated' \
  $K -n e2e-ns create -f "$WORK/late.yaml"
ns_condition() {  # TYPE: "status: message" of the namespace's condition
  $K get namespace e2e-ns -o "jsonpath={.status.conditions[?(@.type==\"$1\")].status}: {.status.conditions[?(@.type==\"$1\")].message}"
}
check "its pods are being deleted" wait_until 30 bash -c \
  "[ \"\$($K -n e2e-ns get pods -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{\"\\n\"}{end}' | grep -c .)\" = 2 ]"
check "the finalizer's configmap is reported" wait_until 30 bash -c \
  "$K get namespace e2e-ns -o jsonpath='{.status.conditions}' | grep -q 'e2e.minik8s.io/hold in 1 resource instances'"
expect_output "condition NamespaceContentRemaining" \
  '^True: Some resources are remaining: configmaps. has 1 resource instances, pods. has 2 resource instances$' \
  ns_condition NamespaceContentRemaining
expect_output "condition NamespaceFinalizersRemaining" \
  '^True: Some content in the namespace has finalizers remaining: e2e.minik8s.io/hold in 1 resource instances$' \
  ns_condition NamespaceFinalizersRemaining
expect_output "condition NamespaceDeletionContentFailure" \
  '^False: All content successfully deleted, may be waiting on finalization$' ns_condition NamespaceDeletionContentFailure
check "force the pods out (as their kubelet would confirm)" $K -n e2e-ns delete pod p1 p2 --grace-period=0 --force
check "release the finalizer" $K -n e2e-ns patch configmap held --type=merge -p '{"metadata":{"finalizers":null}}'
check "the namespace disappears" wait_until 60 bash -c "! $K get namespace e2e-ns"
expect_error_output "the namespace is gone" '^Error from server \(NotFound\): namespaces "e2e-ns" not found$' \
  $K get namespace e2e-ns
# Asked through the API: kubectl 1.32 reports a get in a missing namespace as the namespace's 404.
check "its contents are gone" test "$(curl -s -o /dev/null -w '%{http_code}' \
  "http://127.0.0.1:$PORT/api/v1/namespaces/e2e-ns/configmaps/inside")" = 404

# networking.k8s.io/v1: Ingress and IngressClass (kubectl create ingress sends protobuf: apply -f).
expect_output "api-resources lists ingresses" 'ingresses +ing +networking\.k8s\.io/v1 +true +Ingress' $K api-resources
expect_output "api-resources lists ingressclasses" 'ingressclasses +networking\.k8s\.io/v1 +false +IngressClass' $K api-resources
check "the ingress controller makes the IngressClass minik8s-nginx" wait_until 30 $K get ingressclass minik8s-nginx
expect_output "get ingressclass" 'NAME +CONTROLLER +PARAMETERS +AGE' $K get ingressclass
expect_output "get ingressclass row" 'minik8s-nginx +minik8s\.io/ingress-nginx +<none>' $K get ingressclass
expect_error_output "the class' controller is immutable" 'spec\.controller: Invalid value: "example\.com/other": field is immutable' \
  $K patch ingressclass minik8s-nginx --type=merge -p '{"spec":{"controller":"example.com/other"}}'
expect_error_output "an IngressClass needs a controller" \
  'The IngressClass ".*" is invalid: spec\.controller: Required value' $K apply -f - <<'YAML'
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: no-controller}
spec: {}
YAML
cat >"$WORK/ingress.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: minik8s-nginx
  defaultBackend: {service: {name: fallback, port: {number: 80}}}
  rules:
  - host: web.example.com
    http:
      paths:
      - {path: /, pathType: Exact, backend: {service: {name: home, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
YAML
expect_output "apply -f an Ingress" 'ingress.networking.k8s.io/web created' $K apply -f "$WORK/ingress.yaml"
expect_output "get ingress columns" 'NAME +CLASS +HOSTS +ADDRESS +PORTS +AGE' $K get ingress
expect_output "get ing row" 'web +minik8s-nginx +web\.example\.com +80 ' $K get ing web
expect_output "describe ingress" 'Default backend: +fallback:80' $K describe ingress web
expect_output "describe ingress lists the rule's paths" '/api +api:http' $K describe ingress web
expect_error_output "an Ingress path without pathType is refused (422)" \
  'The Ingress ".*" is invalid: spec\.rules\[0\]\.http\.paths\[0\]\.pathType: Required value: pathType must be specified' \
  $K apply -f - <<'YAML'
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad}
spec:
  rules:
  - http:
      paths:
      - {path: /, backend: {service: {name: s, port: {number: 80}}}}
YAML
expect_error_output "a wildcard only as the whole leftmost label" \
  'spec\.rules\[0\]\.host: Invalid value: "a\.\*\.example\.com": a wildcard DNS-1123 subdomain' $K apply -f - <<'YAML'
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad}
spec:
  rules:
  - host: a.*.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}
YAML
check "delete the Ingress" $K delete -f "$WORK/ingress.yaml"

# OpenAPI v3 schemas, generated from the protobuf messages: kubectl explain reads them.
expect_output "explain pod.spec.containers lists real fields with their types" 'image	<string>' \
  $K explain pod.spec.containers
expect_output "explain shows a container's keyed lists" 'ports	<\[\]ContainerPort>' $K explain pod.spec.containers
expect_output "explain deployment.spec.strategy" 'rollingUpdate	<RollingUpdateDeployment>' \
  $K explain deployment.spec.strategy
expect_output "explain shows IntOrString" 'maxSurge	<IntOrString>' $K explain deployment.spec.strategy.rollingUpdate
expect_output "explain through an inlined member (IngressRule.http)" 'pathType	<string>' \
  $K explain ingress.spec.rules.http.paths
expect_output "explain --recursive walks nested schemas" 'creationTimestamp	<string>' $K explain pod --recursive
