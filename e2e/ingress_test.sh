#!/usr/bin/env bash
# End to end on real containerd: the original's `Dns` kind through the nginx add-on. The
# original's pod.yaml and service.yaml give simple-service; the original's dns.yaml routes
# vahag.com/test to its port 80 (the prefix stripped). The ingress controller makes the
# add-on (Deployment and Service kube-system/minik8s-nginx, the stock nginx image) and
# the Dns goes Live; vahag.com resolves on the node only through the agent's /etc/hosts
# block and in pods only through the cluster DNS. A second Dns with two paths arrives
# while nginx runs (a reload), a Dns naming a missing Service is Pending and answers 503,
# and after deletion nothing answers for the host and the hosts block is gone; `down`
# leaves no hosts line. Then networking.k8s.io/v1 Ingresses through the same nginx: Exact
# and Prefix paths (the path kept, a named port), the defaultBackend, the address in
# `kubectl get ingress`, a missing Service as an Event, another class left alone, no DNS
# name or hosts line for their hosts, and deletion removing their routes. Traffic goes
# only to this host's ClusterIPs and pods. Run as root:
#   flock /tmp/minik8s-e2e.lock bash e2e/ingress_test.sh
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  fail "the ingress e2e needs root: it did not run"
  finish || exit 1
fi

CLUSTER=$WORK/cluster
CGROOT=mk-ing-$$
BRIDGE=mking$$
BRIDGE=${BRIDGE:0:15}
POD_CIDR=10.249.$((RANDOM % 200 + 20)).0/24
UPSTREAM_PID=""
cleanup() {
  [ -n "$UPSTREAM_PID" ] && kill "$UPSTREAM_PID" 2>/dev/null && wait "$UPSTREAM_PID" 2>/dev/null || true
  "$MINIK8S" down --data-dir "$CLUSTER" >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
  finish
}
trap cleanup EXIT

# The cluster DNS's upstream: a dnsmasq of ours on loopback that knows nothing, so no
# query of this test leaves the host.
UPSTREAM_PORT=$(free_port)
dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.1 \
  --port="$UPSTREAM_PORT" --pid-file= 2>"$WORK/dnsmasq.log" &
UPSTREAM_PID=$!

echo "== minik8s up"
for attempt in 1 2 3; do
  PORT=$(free_port)
  if "$MINIK8S" up --data-dir "$CLUSTER" --port "$PORT" --node-name ing-node --kubeconfig "$KUBECONFIG" \
    --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" --agent-arg=--kubelet-port=0 \
    "--agent-arg=--pod-cidr=$POD_CIDR" "--agent-arg=--dns-upstream=127.0.0.1:$UPSTREAM_PORT" \
    >"$WORK/up.log" 2>&1; then break; fi
  if [ "$attempt" = 3 ] || ! grep -q "in use" "$WORK/up.log" "$CLUSTER/logs/server.log" 2>/dev/null; then
    cat "$WORK/up.log"; tail -30 "$CLUSTER/logs/agent.log" 2>/dev/null; exit 1
  fi
  "$MINIK8S" down --data-dir "$CLUSTER" >/dev/null 2>&1 || true
done
expect_output "node ing-node is Ready" "ing-node +Ready" kubectl get nodes
check "no minik8s block in /etc/hosts before any Dns" bash -c "! grep -q '# BEGIN minik8s' /etc/hosts"

# (No early exit in the pipeline: under pipefail the writer's SIGPIPE would fail the check.)
hosts_line() { sed -n '/^# BEGIN minik8s$/,/^# END minik8s$/p' /etc/hosts | grep " $1\$" >/dev/null; }
phase() { kubectl get dns "$1" -o jsonpath='{.status.phase}'; }
# Five passes in a row, 0.2 s apart: a reload has finished only when every nginx worker
# serves the new configuration (after SIGHUP the old workers take new connections for a
# moment, longer on a busy machine, and one pass may meet an old worker).
steadily() { local i; for i in 1 2 3 4 5; do "$@" >/dev/null 2>&1 || return 1; sleep 0.2; done; }

echo "== simple-service (the original's pod.yaml and service.yaml)"
check "apply pod.yaml" kubectl apply -f "$SEEDS/pod.yaml"
check "apply service.yaml" kubectl apply -f "$SEEDS/service.yaml"
check "greet-pod is Running" kubectl wait --for=condition=Ready pod/greet-pod --timeout=180s
GREET_POD_IP=$(kubectl get pod greet-pod -o jsonpath='{.status.podIP}')
check "the greeting app listens" wait_until 120 curl -fsS -m 2 "http://$GREET_POD_IP:5000/"
check "the welcome app listens" wait_until 120 curl -fsS -m 2 "http://$GREET_POD_IP:80/"
WELCOME=$(curl -fsS -m 2 "http://$GREET_POD_IP:80/" | head -c 60)

echo "== the original's dns.yaml"
check "apply dns.yaml" kubectl apply -f "$SEEDS/dns.yaml"
check "the add-on Deployment kube-system/minik8s-nginx exists" wait_until 30 kubectl -n kube-system get deployment minik8s-nginx
check "the add-on is available" kubectl -n kube-system rollout status deployment/minik8s-nginx --timeout=180s
check "test-dns is Live" wait_until 60 bash -c "[ \"\$(kubectl get dns test-dns -o jsonpath='{.status.phase}')\" = Live ]"
NGINX_IP=$(kubectl -n kube-system get service minik8s-nginx -o jsonpath='{.spec.clusterIP}')
expect_output "test-dns' status.address is the add-on's ClusterIP" "^$NGINX_IP\$" \
  kubectl get dns test-dns -o jsonpath='{.status.address}'
check "the add-on's ClusterIP $NGINX_IP has its rule" wait_until 10 rule_for "$NGINX_IP"
check "/etc/hosts has vahag.com in the minik8s block" wait_until 10 hosts_line vahag.com
expect_output "the block gives vahag.com the add-on's ClusterIP" "^$NGINX_IP vahag.com\$" grep ' vahag.com$' /etc/hosts
expect_output "curl http://vahag.com/test from the node: the welcome app at /" "^$(printf %s "$WELCOME" | head -c 20 | sed 's/[][\.*^$/]/\\&/g')" \
  curl -fsS -m 5 http://vahag.com/test
expect_output "http://vahag.com/test/ also" "." curl -fsS -m 5 http://vahag.com/test/
expect_output "a path outside the Dns is nginx's 404" "^404$" \
  curl -sS -m 5 -o /dev/null -w '%{http_code}' http://vahag.com/elsewhere

echo "== several paths, added while nginx runs (a reload)"
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Dns
metadata: {name: multi}
spec:
  hostname: multi.minik8s.test
  paths:
  - {serviceName: simple-service, servicePort: 5000, urlPath: /greet}
  - {serviceName: simple-service, servicePort: 80, urlPath: /welcome}
  - {serviceName: no-such-service, servicePort: 80, urlPath: /broken}
YAML
check "/etc/hosts has multi.minik8s.test" wait_until 10 hosts_line multi.minik8s.test
check "multi's status names the missing Service" wait_until 30 bash -c \
  "kubectl get dns multi -o jsonpath='{.status.message}' | grep -q 'service default/no-such-service not found'"
expect_output "its phase is Pending" "^Pending$" kubectl get dns multi -o jsonpath='{.status.phase}'
# The kubelet rewrites the mounted ConfigMap on its periodic pod sync (30 s); then nginx reloads.
check "nginx reloaded: /greet answers" wait_until 90 steadily curl -fsS -m 3 "http://multi.minik8s.test/greet?name=Dns"
expect_output "/greet reaches the greeting app with the prefix stripped" "Nice to meet you, Dns!" \
  curl -fsS -m 3 "http://multi.minik8s.test/greet?name=Dns"
expect_output "/welcome reaches the welcome app" "." curl -fsS -m 3 http://multi.minik8s.test/welcome
expect_output "/broken (a missing Service) answers 503" "^503$" \
  curl -sS -m 5 -o /dev/null -w '%{http_code}' http://multi.minik8s.test/broken
expect_output "vahag.com still answers after the reload" "." curl -fsS -m 5 http://vahag.com/test
expect_output "the nginx container logged the reload" "configuration reloaded" \
  kubectl -n kube-system logs deployment/minik8s-nginx

echo "== from a pod, through the cluster DNS"
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers:
  - {name: client, image: busybox:1.36.1, command: [sleep, "3600"]}
YAML
check "the client pod is Running" kubectl wait --for=condition=Ready pod/client --timeout=120s
expect_output "vahag.com resolves in the pod to the add-on's ClusterIP" "Address: $NGINX_IP" \
  kubectl exec client -- nslookup -type=A -timeout=2 -retry=1 vahag.com.
# busybox nc, not wget: Debian 12's busybox-static wget crashes on any URL. stdin stays
# open a moment: nginx takes a half-closed connection for a client gone (499, no reply).
# (The check above showed the name resolves to the add-on's ClusterIP: nc goes there.)
expect_output "GET /test with Host vahag.com from the pod" "HTTP/1.1 200" \
  kubectl exec client -- sh -c "{ printf 'GET /test HTTP/1.0\\r\\nHost: vahag.com\\r\\n\\r\\n'; sleep 2; } | nc -w 3 $NGINX_IP 80"
expect_output "GET /greet with Host multi.minik8s.test from the pod" "Nice to meet you, Pod!" \
  kubectl exec client -- sh -c "{ printf 'GET /greet?name=Pod HTTP/1.0\\r\\nHost: multi.minik8s.test\\r\\n\\r\\n'; sleep 2; } | nc -w 3 $NGINX_IP 80"

echo "== networking.k8s.io/v1 Ingress (kubectl apply -f), through the same nginx"
expect_output "the IngressClass minik8s-nginx is there" "minik8s-nginx +minik8s.io/ingress-nginx +<none>" \
  kubectl get ingressclass
expect_output "it is the default class" "^true$" kubectl get ingressclass minik8s-nginx \
  -o jsonpath='{.metadata.annotations.ingressclass\.kubernetes\.io/is-default-class}'
# busybox httpd serves files named by the request path: a route that kept the path finds
# /www/shop/a.txt, one that stripped it would find /www/a.txt ("stripped").
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: files, labels: {app: ing-files}}
spec:
  containers:
  - name: httpd
    image: busybox:1.36.1
    command: [sh, -c, "mkdir -p /www/shop && echo exact-file > /www/exact && echo shop-a > /www/shop/a.txt && echo shop-index > /www/shop/index.html && echo stripped > /www/a.txt && exec httpd -f -p 8080 -h /www"]
---
apiVersion: v1
kind: Service
metadata: {name: files}
spec:
  selector: {app: ing-files}
  ports:
  - {name: http, port: 80, targetPort: 8080}
YAML
cat >"$WORK/shop-ingress.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  ingressClassName: minik8s-nginx
  defaultBackend:
    service: {name: simple-service, port: {number: 5000}}
  rules:
  - host: shop.minik8s.test
    http:
      paths:
      - {path: /exact, pathType: Exact, backend: {service: {name: files, port: {number: 80}}}}
      - {path: /shop, pathType: Prefix, backend: {service: {name: files, port: {name: http}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: broken}
spec:
  rules:
  - host: broken.minik8s.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: no-such-service, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: elsewhere}
spec:
  ingressClassName: some-other-class
  rules:
  - host: elsewhere.minik8s.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: files, port: {number: 80}}}}
YAML
check "kubectl apply -f three Ingresses" kubectl apply -f "$WORK/shop-ingress.yaml"
check "the files pod is Running" kubectl wait --for=condition=Ready pod/files --timeout=120s
check "shop gets the add-on's ClusterIP as its address" wait_until 30 bash -c \
  "[ \"\$(kubectl get ingress shop -o jsonpath='{.status.loadBalancer.ingress[0].ip}')\" = $NGINX_IP ]"
expect_output "kubectl get ingress: CLASS minik8s-nginx, HOSTS, ADDRESS, PORTS" \
  "shop +minik8s-nginx +shop\.minik8s\.test +$NGINX_IP +80 " kubectl get ingress
check "a classless Ingress is ours (the default class) and gets the address too" wait_until 30 bash -c \
  "[ \"\$(kubectl get ingress broken -o jsonpath='{.status.loadBalancer.ingress[0].ip}')\" = $NGINX_IP ]"
expect_output "DefaultIngressClass admission gave the classless Ingress our class" "^minik8s-nginx$" \
  kubectl get ingress broken -o 'jsonpath={.spec.ingressClassName}'
expect_output "another class' Ingress is left alone (no address)" "elsewhere +some-other-class +elsewhere\.minik8s\.test +80 " \
  kubectl get ing elsewhere
expect_output "the missing Service is a Warning event on the Ingress" \
  "Warning +BackendProblem .*path /: service default/no-such-service not found" kubectl describe ingress broken
expect_output "kubectl describe ingress shows the rules and the default backend" "Default backend: +simple-service:5000" \
  kubectl describe ingress shop
check "the add-on's ClusterIP $NGINX_IP still has its rule" rule_for "$NGINX_IP"
shop() { curl -sS -m 3 -H 'Host: shop.minik8s.test' "http://$NGINX_IP$1"; }
code() { curl -sS -m 3 -o /dev/null -w '%{http_code}' -H "Host: $1" "http://$NGINX_IP$2"; }
check "nginx reloaded: Exact /exact answers" wait_until 90 steadily bash -c \
  "[ \"\$(curl -sS -m 3 -H 'Host: shop.minik8s.test' http://$NGINX_IP/exact)\" = exact-file ]"
expect_output "Prefix /shop keeps the path: /shop/a.txt" "^shop-a$" shop /shop/a.txt
expect_output "Prefix /shop/ (the directory's index)" "^shop-index$" shop /shop/
expect_output "Exact /exact does not match /exact/more: the defaultBackend answers" "Nice to meet you" shop /exact/more
expect_output "Prefix matches whole path elements: /shopping is the defaultBackend's" "Nice to meet you" shop /shopping
expect_output "a host no rule names is the defaultBackend's" "Nice to meet you" \
  curl -sS -m 3 -H 'Host: unknown.minik8s.test' "http://$NGINX_IP/anything"
expect_output "the missing Service answers 503" "^503$" code broken.minik8s.test /
expect_output "another class' host is not routed by us (the default server)" "Nice to meet you" \
  curl -sS -m 3 -H 'Host: elsewhere.minik8s.test' "http://$NGINX_IP/"
expect_output "vahag.com (the Dns) still answers" "." curl -fsS -m 5 http://vahag.com/test
check "Ingress hosts are not in /etc/hosts" bash -c "! grep -Eq '(shop|broken|elsewhere)\.minik8s\.test' /etc/hosts"
check "nor in the cluster DNS" bash -c \
  "! kubectl exec client -- nslookup -type=A -timeout=2 -retry=1 shop.minik8s.test. 2>&1 | grep -q 'Address: $NGINX_IP'"
check "delete the Ingresses" kubectl delete -f "$WORK/shop-ingress.yaml"
check "shop's routes are gone once reloaded: /exact is nginx's 404" wait_until 90 steadily bash -c \
  "[ \"\$(curl -sS -m 3 -o /dev/null -w '%{http_code}' -H 'Host: shop.minik8s.test' http://$NGINX_IP/exact)\" = 404 ]"
expect_output "and so is any host without a rule" "^404$" code unknown.minik8s.test /anything
expect_output "the Dns still answers after the Ingresses left" "." curl -fsS -m 5 http://vahag.com/test

echo "== deletion"
check "delete dns test-dns" kubectl delete dns test-dns
check "vahag.com left /etc/hosts" wait_until 10 bash -c "! grep -q ' vahag.com\$' /etc/hosts"
check "multi.minik8s.test stays" hosts_line multi.minik8s.test
check "vahag.com no longer resolves in pods" wait_until 10 bash -c \
  "! kubectl exec client -- nslookup -type=A -timeout=2 -retry=1 vahag.com. 2>&1 | grep -q 'Address: $NGINX_IP'"
check "nothing answers for vahag.com (nginx's 404 once reloaded)" wait_until 90 steadily bash -c \
  "[ \"\$(curl -sS -m 3 -o /dev/null -w '%{http_code}' --resolve vahag.com:80:$NGINX_IP http://vahag.com/test)\" = 404 ]"
check "delete dns multi" kubectl delete dns multi
check "/etc/hosts has no minik8s block left" wait_until 10 bash -c "! grep -q '# BEGIN minik8s' /etc/hosts"

echo "== down leaves no hosts line"
kubectl apply -f "$SEEDS/dns.yaml" >/dev/null
check "the block is back with a new Dns" wait_until 10 hosts_line vahag.com
check "minik8s down" "$MINIK8S" down --data-dir "$CLUSTER"
check "/etc/hosts has no minik8s line after down" bash -c "! grep -q '# BEGIN minik8s' /etc/hosts"
