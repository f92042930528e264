#!/usr/bin/env bash
# End to end on real containerd: batch/v1 Jobs and CronJobs driven by the controllers of
# `minik8s up`'s server (job, cronjob, ttl-after-finished, garbagecollector), checked
# with the real kubectl. A Job of 2 completions runs to Complete on the node, a failing
# Job ends Failed with BackoffLimitExceeded, deleting a Job takes its pods, a finished
# Job with ttlSecondsAfterFinished goes away, and a CronJob makes a Job for its schedule.
# Run as root, one e2e at a time: flock /tmp/minik8s-e2e.lock bash e2e/workloads_test.sh
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  fail "the workloads e2e needs root: it did not run"
  finish || exit 1
fi

CLUSTER=$WORK/cluster
CGROOT=mk-wl-$$
BRIDGE=mkwl$$
BRIDGE=${BRIDGE:0:15}
POD_CIDR=10.253.$((RANDOM % 200 + 20)).0/24
cleanup() {
  "$MINIK8S" down --data-dir "$CLUSTER" >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
  finish
}
trap cleanup EXIT

echo "== minik8s up"
for attempt in 1 2 3; do
  PORT=$(free_port)
  if "$MINIK8S" up --data-dir "$CLUSTER" --port "$PORT" --node-name wl-node --kubeconfig "$KUBECONFIG" \
      --cgroup-root "$CGROOT" --cni-bridge "$BRIDGE" --agent-arg=--kubelet-port=0 \
      "--agent-arg=--pod-cidr=$POD_CIDR" >"$WORK/up.log" 2>&1; then
    break
  fi
  if [ "$attempt" = 3 ] || ! grep -q "in use" "$WORK/up.log" "$CLUSTER/logs/server.log" 2>/dev/null; then
    cat "$WORK/up.log"; tail -30 "$CLUSTER/logs/server.log" 2>/dev/null; exit 1
  fi
  "$MINIK8S" down --data-dir "$CLUSTER" >/dev/null 2>&1 || true
done
expect_output "node wl-node is Ready" "wl-node +Ready" kubectl get nodes
expect_output "kubectl api-resources lists jobs and cronjobs (cj)" "cronjobs +cj +batch/v1 +true +CronJob" \
  kubectl api-resources --api-group=batch

# job NAME COMPLETIONS BACKOFF_LIMIT SCRIPT [EXTRA_SPEC]: a busybox Job.
job() {
  cat <<YAML
apiVersion: batch/v1
kind: Job
metadata: {name: $1}
spec:
  completions: $2
  backoffLimit: $3
  ${5:-}
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: "busybox:1.36.1", command: ["sh", "-c", "$4"]}]
YAML
}
pod_phases() { kubectl get pods -l "job-name=$1" -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | sort | tr '\n' ' '; }

echo "== a Job of 2 completions runs to Complete"
job two 2 6 "echo done" >"$WORK/two.yaml"
check "kubectl apply the Job" kubectl apply -f "$WORK/two.yaml"
expect_output "the apiserver generated its selector" "batch.kubernetes.io/controller-uid" \
  kubectl get job two -o 'jsonpath={.spec.selector.matchLabels}'
check "kubectl wait --for=condition=complete" kubectl wait --for=condition=complete job/two --timeout=120s
expect_output "kubectl get job shows Complete 2/2" "^two +Complete +2/2 +[0-9]+s" kubectl get job two --no-headers
expect_output "its two pods Succeeded" "^Succeeded Succeeded $" pod_phases two
expect_output "status counts succeeded 2, none active or failed" "^2::$" \
  kubectl get job two -o 'jsonpath={.status.succeeded}:{.status.active}:{.status.failed}'
expect_output "the pods carry a controller reference to the Job" "^Job:true:true" \
  kubectl get pods -l job-name=two -o 'jsonpath={.items[0].metadata.ownerReferences[0].kind}:{.items[0].metadata.ownerReferences[0].controller}:{.items[0].metadata.ownerReferences[0].blockOwnerDeletion}'
expect_output "events: SuccessfulCreate and Completed" "Completed" \
  kubectl get events --field-selector involvedObject.kind=Job,involvedObject.name=two
expect_output "kubectl describe job shows the pod statuses" "0 Active .* 2 Succeeded .* 0 Failed" \
  bash -c "kubectl describe job two | tr '\n' ' '"

echo "== a failing Job ends Failed with BackoffLimitExceeded"
job fails 1 1 "exit 3" >"$WORK/fails.yaml"
check "kubectl apply the failing Job" kubectl apply -f "$WORK/fails.yaml"
# Two failures (the second after the 10 s back-off) exceed backoffLimit 1.
check "kubectl wait --for=condition=failed" kubectl wait --for=condition=failed job/fails --timeout=120s
expect_output "the Failed condition says BackoffLimitExceeded" "^BackoffLimitExceeded$" \
  kubectl get job fails -o 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}'
expect_output "kubectl get job shows Failed" "^fails +Failed +0/1" kubectl get job fails --no-headers
expect_output "two pods failed" "^2$" kubectl get job fails -o 'jsonpath={.status.failed}'
expect_output "a BackoffLimitExceeded event" "BackoffLimitExceeded" \
  kubectl get events --field-selector involvedObject.kind=Job,involvedObject.name=fails

echo "== activeDeadlineSeconds ends a Job with DeadlineExceeded"
job slow 1 6 "exec sleep 3600" "activeDeadlineSeconds: 3" >"$WORK/slow.yaml"
check "kubectl apply a Job with a 3 s deadline" kubectl apply -f "$WORK/slow.yaml"
check "kubectl wait --for=condition=failed" kubectl wait --for=condition=failed job/slow --timeout=60s
expect_output "the Failed condition says DeadlineExceeded" "^DeadlineExceeded$" \
  kubectl get job slow -o 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}'
no_pods() { [ "$(kubectl get pods -l "job-name=$1" --no-headers 2>/dev/null | wc -l)" = 0 ]; }
check "its running pod was deleted" wait_until 60 no_pods slow

echo "== an Indexed Job gives each pod its completion index"
cat >"$WORK/indexed.yaml" <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: idx}
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: "busybox:1.36.1", command: ["sh", "-c", "echo index=$JOB_COMPLETION_INDEX host=$(hostname)"]}]
YAML
check "kubectl apply the Indexed Job" kubectl apply -f "$WORK/indexed.yaml"
check "kubectl wait --for=condition=complete" kubectl wait --for=condition=complete job/idx --timeout=120s
expect_output "completedIndexes is 0-2" "^0-2$" kubectl get job idx -o 'jsonpath={.status.completedIndexes}'
index_log() {
  local pod
  pod=$(kubectl get pods -l "job-name=idx,batch.kubernetes.io/job-completion-index=$1" -o 'jsonpath={.items[0].metadata.name}')
  kubectl logs "$pod"
}
expect_output "the pod of index 2 saw JOB_COMPLETION_INDEX=2 and hostname idx-2" "^index=2 host=idx-2$" index_log 2

echo "== kubectl create job (a protobuf body) runs to Complete"
check "kubectl create job imperative" kubectl create job imperative --image=busybox:1.36.1 -- sh -c 'echo imperative'
check "it completes" kubectl wait --for=condition=complete job/imperative --timeout=120s
expect_output "its pod said so" "^imperative$" kubectl logs job/imperative

echo "== deleting a Job takes its pods"
check "kubectl delete job two" kubectl delete job two
check "its pods are gone" wait_until 60 no_pods two

echo "== ttlSecondsAfterFinished deletes a finished Job"
job short 1 6 "true" "ttlSecondsAfterFinished: 2" >"$WORK/short.yaml"
check "kubectl apply a Job with a 2 s TTL" kubectl apply -f "$WORK/short.yaml"
job_gone() { ! kubectl get job "$1" >/dev/null 2>&1; }
check "the Job is deleted after it finished" wait_until 90 job_gone short
check "and its pod with it" wait_until 60 no_pods short

echo "== a CronJob makes a Job for its schedule"
cat >"$WORK/cron.yaml" <<'YAML'
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "* * * * *"
  successfulJobsHistoryLimit: 1
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          terminationGracePeriodSeconds: 1
          containers: [{name: c, image: "busybox:1.36.1", command: ["sh", "-c", "echo tick"]}]
YAML
check "kubectl apply the CronJob" kubectl apply -f "$WORK/cron.yaml"
expect_output "kubectl get cj shows its schedule" "^tick +\* \* \* \* \* +<none> +False +0 +<none>" kubectl get cj tick --no-headers
cron_job_done() {
  kubectl get jobs -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.succeeded}{"\n"}{end}' |
    grep -Eq '^tick-[0-9]+ 1$'
}
check "within 75 s a Job tick-<minutes> succeeds" wait_until 75 cron_job_done
scheduled_stamp() {
  local job
  job=$(kubectl get jobs -o name | grep '^job.batch/tick-' | head -1)
  kubectl get "$job" -o 'jsonpath={.metadata.annotations.batch\.kubernetes\.io/cronjob-scheduled-timestamp}'
}
expect_output "the Job is annotated with its scheduled time" "^[0-9-]+T[0-9:]+:00Z$" scheduled_stamp
expect_output "the CronJob reports lastScheduleTime" "^[0-9-]+T[0-9:]+:00Z$" \
  kubectl get cj tick -o 'jsonpath={.status.lastScheduleTime}'
has_last_success() { [ -n "$(kubectl get cj tick -o 'jsonpath={.status.lastSuccessfulTime}')" ]; }
check "and lastSuccessfulTime once the Job completed" wait_until 30 has_last_success
check "kubectl delete cronjob" kubectl delete cronjob tick
no_cron_jobs() { ! kubectl get jobs --no-headers 2>/dev/null | grep -q '^tick-'; }
check "its Jobs go with it" wait_until 60 no_cron_jobs

echo "== a DaemonSet: one pod on the node, rolled to a new template"
cat >"$WORK/ds.yaml" <<'YAML'
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: c, image: "busybox:1.36.1", command: ["sh", "-c", "exec sleep 3600"], env: [{name: V, value: "1"}]}
YAML
check "kubectl apply the DaemonSet" kubectl apply -f "$WORK/ds.yaml"
ds_pods_running() {
  [ "$(kubectl get pods -l app=agent -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{":"}{.spec.nodeName}{":"}{.status.phase}{":"}{.spec.containers[0].env[0].value}{"\n"}{end}' |
    grep -c "^:wl-node:Running:$1\$")" = 1 ]
}
check "one daemon pod Running on wl-node" wait_until 90 ds_pods_running 1
check "kubectl get ds: desired, current, ready, up-to-date, available all 1" wait_until 30 \
  bash -c "kubectl get ds agent --no-headers | grep -Eq '^agent +1 +1 +1 +1 +1 +<none> '"
check "kubectl set env V=2" kubectl set env daemonset/agent V=2
check "kubectl rollout status daemonset completes" kubectl rollout status daemonset/agent --timeout=120s
check "the node runs exactly one pod, with V=2" wait_until 60 ds_pods_running 2
check "kubectl delete daemonset" kubectl delete daemonset agent
no_daemon_pods() { [ "$(kubectl get pods -l app=agent --no-headers 2>/dev/null | wc -l)" = 0 ]; }
check "its pod goes with it" wait_until 60 no_daemon_pods
