#!/usr/bin/env bash
# CustomResourceDefinitions with the real kubectl and the Python client against
# `minik8s server`: a CRD with a structural schema becomes Established and its resource
# appears in discovery (kubectl api-resources, short names, categories); objects are
# created, listed with the CRD's printer columns, patched, validated (an invalid object is
# refused naming the field), defaulted and pruned; the status and scale subresources work
# (kubectl scale); the Python client watches the objects; a second served version reads the
# same objects; deleting the CRD deletes its objects and the resource leaves discovery; helm
# installs a chart whose crds/ define the kind its templates use.
source "$(dirname "$0")/lib.sh"
trap finish EXIT
start_server
K="kubectl --request-timeout=20s"
echo "crd e2e against port $PORT"

cat >"$WORK/crd.yaml" <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wg], categories: [all]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1, maximum: 10}
              color: {type: string, enum: [red, green, blue], default: green}
              replicas: {type: integer, default: 1}
          status:
            type: object
            properties:
              replicas: {type: integer}
              phase: {type: string}
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Color, type: string, jsonPath: .spec.color}
    - {name: Phase, type: string, jsonPath: .status.phase}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
YAML

expect_output "kubectl apply creates the CRD" \
  'customresourcedefinition.apiextensions.k8s.io/widgets.example.com created' \
  $K apply -f "$WORK/crd.yaml"
expect_output "the CRD is Established and its names accepted" '^True True$' \
  $K get crd widgets.example.com \
  -o jsonpath='{.status.conditions[?(@.type=="Established")].status} {.status.conditions[?(@.type=="NamesAccepted")].status}'
expect_output "kubectl get crd lists it" '^widgets\.example\.com +[0-9T:Z-]+$' \
  $K get crd --no-headers
expect_output "api-resources lists widgets with its short name" \
  '^widgets +wg +example\.com/v1 +true +Widget$' $K api-resources --api-group=example.com

expect_output "kubectl explain reads the schema" 'size.*<integer>' $K explain widget.spec
expect_output "kubectl explain names the kind and version" 'KIND: +Widget' $K explain widget

cat >"$WORK/w1.yaml" <<'YAML'
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec: {size: 3, unknownField: dropped}
YAML
expect_output "kubectl create -f makes a widget" 'widget.example.com/w1 created' \
  $K create -f "$WORK/w1.yaml" --validate=false
expect_output "the schema's default is applied" '^green$' \
  $K get widget w1 -o jsonpath='{.spec.color}'
expect_output "unknown fields are pruned" '^\{"color":"green","replicas":1,"size":3\}$' \
  $K get wg w1 -o jsonpath='{.spec}'
expect_output "kubectl get shows the printer columns" \
  '^NAME +SIZE +COLOR +PHASE +AGE$' $K get widgets
expect_output "a row carries the column values (no phase yet: blank)" '^w1 +3 +green +[0-9]+s$' \
  $K get widgets --no-headers
expect_output "the 'all' category includes widgets" 'widget.example.com/w1' $K get all

printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: big}\nspec: {size: 11, color: pink}\n' \
  >"$WORK/bad.yaml"
expect_error_output "an invalid widget is refused naming its fields" \
  'spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10' \
  $K create -f "$WORK/bad.yaml"
expect_error_output "an enum violation names the allowed values" \
  'spec.color: Unsupported value: "pink": supported values: "red", "green", "blue"' \
  $K create -f "$WORK/bad.yaml"
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: nosize}\nspec: {color: red}\n' \
  >"$WORK/nosize.yaml"
expect_error_output "a missing required field is refused" 'spec.size: Required value' \
  $K create -f "$WORK/nosize.yaml"

expect_output "a merge patch changes the spec" 'widget.example.com/w1 patched' \
  $K patch widget w1 --type=merge -p '{"spec":{"size":5}}'
expect_output "the patched size is stored" '^5$' $K get widget w1 -o jsonpath='{.spec.size}'
check "a status written with the main resource is ignored" \
  $K patch widget w1 --type=merge -p '{"status":{"phase":"Ignored"}}'
expect_output "... so no phase" '^none$' \
  bash -c "echo \"\$($K get widget w1 -o jsonpath='{.status.phase}')\"none"
expect_output "the status subresource writes the status" 'widget.example.com/w1 patched' \
  $K patch widget w1 --subresource=status --type=merge -p '{"status":{"phase":"Ready","replicas":1}}'
expect_output "... and the printer column shows it" '^w1 +5 +green +Ready ' \
  $K get widgets --no-headers
expect_output "kubectl scale uses the scale subresource" 'widget.example.com/w1 scaled' \
  $K scale widget w1 --replicas=4
expect_output "the scale wrote specReplicasPath" '^4$' $K get widget w1 -o jsonpath='{.spec.replicas}'
expect_output "the scale subresource reads the paths" '"replicas":4' \
  $K get --raw /apis/example.com/v1/namespaces/default/widgets/w1/scale
expect_output "label selectors work on widgets" '^w1$' \
  bash -c "$K label widget w1 tier=front >/dev/null && $K get widgets -l tier=front -o name | cut -d/ -f2"
expect_output "the v1beta1 version reads the same object" '^example\.com/v1beta1 5$' \
  $K get widgets.v1beta1.example.com w1 -o jsonpath='{.apiVersion} {.spec.size}'
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w4}\nspec: {size: 2}\n' >"$WORK/w4.yaml"
expect_output "kubectl apply (client-side) creates a widget" 'widget.example.com/w4 created' \
  $K apply -f "$WORK/w4.yaml"
sed -i 's/size: 2/size: 6/' "$WORK/w4.yaml"
expect_output "... and configures it" 'widget.example.com/w4 configured' $K apply -f "$WORK/w4.yaml"
expect_output "... to the new size" '^6$' $K get widget w4 -o jsonpath='{.spec.size}'
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w5}\nspec: {size: 2, bogus: 1}\n' \
  >"$WORK/w5.yaml"
expect_error_output "strict validation names an unknown field" 'unknown field "spec.bogus"' \
  $K apply -f "$WORK/w5.yaml"
expect_output "apply --server-side works on a widget" 'widget.example.com/w2 serverside-applied' \
  bash -c "printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: 2}\n' | $K apply --server-side -f -"

# The Python client watches widgets: it sees w3 added and then deleted.
cat >"$WORK/watch.py" <<'PY'
import sys, threading
from kubernetes import client, config, watch
config.load_kube_config(sys.argv[1])
api = client.CustomObjectsApi()
seen = []
def watcher():
    w = watch.Watch()
    for ev in w.stream(api.list_namespaced_custom_object, "example.com", "v1", "default", "widgets",
                       timeout_seconds=20):
        seen.append((ev["type"], ev["object"]["metadata"]["name"]))
        if (ev["type"], ev["object"]["metadata"]["name"]) == ("DELETED", "w3"):
            w.stop()
t = threading.Thread(target=watcher)
t.start()
import time; time.sleep(1)
api.create_namespaced_custom_object("example.com", "v1", "default", "widgets",
    {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w3"}, "spec": {"size": 1}})
api.delete_namespaced_custom_object("example.com", "v1", "default", "widgets", "w3")
t.join(30)
names = [s for s in seen if s[1] == "w3"]
print(" ".join(f"{t}:{n}" for t, n in names))
PY
expect_output "the Python client watches widgets being added and deleted" '^ADDED:w3 DELETED:w3$' \
  timeout 40 /usr/bin/python3 "$WORK/watch.py" "$KUBECONFIG"

expect_output "deleting the CRD" 'customresourcedefinition.apiextensions.k8s.io "widgets.example.com" deleted' \
  $K delete crd widgets.example.com
expect_error_output "its resource is no longer served" \
  'the server could not find the requested resource|the server doesn.t have a resource type "widgets"' \
  $K get widgets
expect_output "... nor in discovery" '^none$' \
  bash -c "echo \"\$($K api-resources --api-group=example.com --no-headers)\"none"
expect_output "its objects are gone from etcd with it" '"items":\[\]' \
  bash -c "$K apply -f '$WORK/crd.yaml' >/dev/null && sleep 1 && $K get --raw /apis/example.com/v1/widgets"
check "the CRD is deleted again" $K delete crd widgets.example.com

# helm installs a chart's crds/ first, then its templates, which use the new kind.
mkdir -p "$WORK/chart/crds" "$WORK/chart/templates"
printf 'apiVersion: v2\nname: gadgets\nversion: 0.1.0\n' >"$WORK/chart/Chart.yaml"
printf 'size: 2\n' >"$WORK/chart/values.yaml"
sed -e 's/widgets/gadgets/g; s/widget/gadget/g; s/Widget/Gadget/g; s/shortNames: \[wg\], //' \
  "$WORK/crd.yaml" >"$WORK/chart/crds/gadgets.yaml"
cat >"$WORK/chart/templates/gadget.yaml" <<'YAML'
apiVersion: example.com/v1
kind: Gadget
metadata: {name: {{ .Release.Name }}-gadget}
spec: {size: {{ .Values.size }}}
YAML
expect_output "helm installs a chart with a CRD and an object of it" 'STATUS: deployed' \
  helm install g1 "$WORK/chart"
expect_output "the chart's gadget exists" '^g1-gadget +2 +green ' $K get gadgets --no-headers
expect_output "helm upgrade --set changes it" 'STATUS: deployed' helm upgrade g1 "$WORK/chart" --set size=4
expect_output "... to the new size" '^4$' $K get gadget g1-gadget -o jsonpath='{.spec.size}'
expect_output "helm uninstall" 'release "g1" uninstalled' helm uninstall g1
expect_error_output "its gadget is gone" 'NotFound' $K get gadget g1-gadget
expect_output "the CRD stays, as helm leaves CRDs" 'gadgets.example.com' $K get crd
check "the CRD is deleted" $K delete crd gadgets.example.com
