#!/usr/bin/python3
"""The official Python client (Debian python3-kubernetes) against a running minik8s.

Usage: python_client_test.py KUBECONFIG. Creates, lists, watches, patches and deletes a
pod, and prints 'N passed, N failed'.
"""
import sys
import threading

from kubernetes import client, config, watch

passed = 0
failed = 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"  ok   {what}")
    else:
        failed += 1
        print(f"  FAIL {what} {detail}")


def main():
    config.load_kube_config(config_file=sys.argv[1])
    v1 = client.CoreV1Api()
    ns = "default"
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="py-pod", labels={"app": "py"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]),
    )

    events = []
    started = threading.Event()

    def watcher():
        w = watch.Watch()
        started.set()
        for ev in w.stream(v1.list_namespaced_pod, ns, label_selector="app=py", timeout_seconds=15):
            events.append((ev["type"], ev["object"].metadata.name))
            if ev["type"] == "DELETED":
                w.stop()

    t = threading.Thread(target=watcher)
    t.start()
    started.wait()

    created = v1.create_namespaced_pod(ns, pod)
    check("create returns the pod", created.metadata.name == "py-pod" and created.metadata.uid)
    pods = v1.list_namespaced_pod(ns)
    check("list sees it", any(p.metadata.name == "py-pod" for p in pods.items))
    selected = v1.list_namespaced_pod(ns, label_selector="app=py")
    check("list with a label selector", [p.metadata.name for p in selected.items] == ["py-pod"])
    all_pods = v1.list_pod_for_all_namespaces()
    check("list across namespaces", any(p.metadata.name == "py-pod" for p in all_pods.items))
    patched = v1.patch_namespaced_pod("py-pod", ns, {"metadata": {"labels": {"patched": "yes"}}})
    check("patch (strategic merge) applies", patched.metadata.labels.get("patched") == "yes"
          and patched.metadata.labels.get("app") == "py")
    read = v1.read_namespaced_pod("py-pod", ns)
    check("read sees the patch", read.metadata.labels.get("patched") == "yes")
    deleted = v1.delete_namespaced_pod("py-pod", ns)
    check("delete returns the pod", deleted.metadata.name == "py-pod")
    try:
        v1.read_namespaced_pod("py-pod", ns)
        check("read after delete is 404", False)
    except client.exceptions.ApiException as e:
        check("read after delete is 404", e.status == 404, str(e.status))

    t.join(20)
    types = [e[0] for e in events]
    check("watch saw ADDED then DELETED", "ADDED" in types and "DELETED" in types
          and types.index("ADDED") < types.index("DELETED"), str(events))

    try:
        v1.create_namespaced_config_map(ns, {"metadata": {"name": "Bad_Name"}})
        check("invalid name is refused", False)
    except client.exceptions.ApiException as e:
        check("invalid name is refused with 422", e.status == 422, str(e.status))

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
