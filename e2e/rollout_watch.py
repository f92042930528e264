"""Watches a Deployment's pods with the official Python client and records the fewest
Ready pods (not terminating) seen at any moment once `--expect` were Ready, until the
file `--stop` exists. Prints `min_ready=N events=M`. Used by controllers_test.sh to check
that a rolling update never drops below replicas - maxUnavailable."""
import argparse
import os
import threading

from kubernetes import client, config, watch


def ready(pod):
    if pod.metadata.deletion_timestamp:
        return False
    for c in pod.status.conditions or []:
        if c.type == "Ready":
            return c.status == "True"
    return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--namespace", default="default")
    p.add_argument("--selector", required=True)
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--stop", required=True)
    p.add_argument("--started", required=True)
    a = p.parse_args()
    config.load_kube_config()
    v1 = client.CoreV1Api()
    state = {}
    armed = False
    min_ready = None
    events = 0
    w = watch.Watch()

    def stopper():
        while not os.path.exists(a.stop):
            threading.Event().wait(0.1)
        w.stop()

    threading.Thread(target=stopper, daemon=True).start()
    listed = v1.list_namespaced_pod(a.namespace, label_selector=a.selector)
    for pod in listed.items:
        state[pod.metadata.name] = ready(pod)
    open(a.started, "w").close()
    for ev in w.stream(v1.list_namespaced_pod, a.namespace, label_selector=a.selector,
                       resource_version=listed.metadata.resource_version, timeout_seconds=600):
        events += 1
        pod = ev["object"]
        if ev["type"] == "DELETED":
            state.pop(pod.metadata.name, None)
        else:
            state[pod.metadata.name] = ready(pod)
        n = sum(1 for r in state.values() if r)
        if not armed and n >= a.expect:
            armed = True
        if armed:
            min_ready = n if min_ready is None else min(min_ready, n)
    if not armed:
        n = sum(1 for r in state.values() if r)
        min_ready = n
    print(f"min_ready={min_ready} events={events}")


if __name__ == "__main__":
    main()
