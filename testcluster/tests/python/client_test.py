"""Drives the test API server with the PyPI `kubernetes` client.

Usage: python3 client_test.py KUBECONFIG
Prints one line per check and "OK" at the end; exits non-zero on the first failure.
"""

import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def deployment(name, labels):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        },
    }


def main():
    config.load_kube_config(config_file=sys.argv[1])
    core = client.CoreV1Api()
    apps = client.AppsV1Api()

    names = [ns.metadata.name for ns in core.list_namespace().items]
    check("default" in names and "kube-system" in names, f"list namespaces {names}")

    core.create_namespace({"metadata": {"name": "py"}})
    for i in range(5):
        tier = "front" if i % 2 == 0 else "back"
        apps.create_namespaced_deployment("py", deployment(f"d{i}", {"tier": tier, "suite": "py"}))
    created = apps.read_namespaced_deployment("d0", "py")
    check(created.metadata.uid and created.metadata.resource_version, "create deployment has uid and resourceVersion")
    check(created.metadata.generation == 1, "generation 1")

    front = apps.list_namespaced_deployment("py", label_selector="tier=front")
    check(sorted(d.metadata.name for d in front.items) == ["d0", "d2", "d4"], "label_selector tier=front")
    notin = apps.list_namespaced_deployment("py", label_selector="tier notin (front),suite")
    check(sorted(d.metadata.name for d in notin.items) == ["d1", "d3"], "label_selector notin + exists")

    seen, cont, pages = [], None, 0
    while True:
        page = apps.list_namespaced_deployment("py", limit=2, _continue=cont)
        pages += 1
        seen += [d.metadata.name for d in page.items]
        cont = page.metadata._continue
        if not cont:
            break
        check(page.metadata.remaining_item_count is not None, "remainingItemCount on a page")
    check(seen == ["d0", "d1", "d2", "d3", "d4"] and pages == 3, f"limit/_continue pagination {seen} in {pages} pages")

    rv = apps.list_namespaced_deployment("py").metadata.resource_version
    apps.patch_namespaced_deployment("d1", "py", {"metadata": {"labels": {"patched": "yes"}}})
    events = []
    w = watch.Watch()
    for ev in w.stream(apps.list_namespaced_deployment, "py", resource_version=rv, timeout_seconds=1):
        events.append((ev["type"], ev["object"].metadata.name))
    check(("MODIFIED", "d1") in events, f"watch from resourceVersion sees the patch: {events}")

    events = []
    for ev in watch.Watch().stream(core.list_namespaced_config_map, "py", timeout_seconds=1):
        events.append((ev["type"], ev["object"].metadata.name))
    check(("ADDED", "kube-root-ca.crt") in events, f"watch without resourceVersion lists as ADDED: {events}")

    patched = apps.patch_namespaced_deployment("d2", "py", {"spec": {"replicas": 3}})
    check(patched.spec.replicas == 3 and patched.metadata.generation == 2, "patch spec.replicas bumps generation")
    json_patched = apps.patch_namespaced_deployment(
        "d3", "py", [{"op": "add", "path": "/metadata/annotations", "value": {"a": "b"}}]
    )
    check(json_patched.metadata.annotations == {"a": "b"}, "JSON patch")

    apps.delete_namespaced_deployment("d4", "py")
    try:
        apps.read_namespaced_deployment("d4", "py")
        check(False, "read after delete raises")
    except ApiException as e:
        check(e.status == 404, f"404 ApiException after delete ({e.reason})")
        check('"reason":"NotFound"' in e.body.replace(" ", ""), "404 body is a Status with reason NotFound")

    try:
        apps.create_namespaced_deployment("py", deployment("d0", {}))
        check(False, "duplicate create raises")
    except ApiException as e:
        check(e.status == 409, "409 AlreadyExists on duplicate create")

    try:
        core.create_namespaced_config_map("nope", {"metadata": {"name": "x"}})
        check(False, "create in a missing namespace raises")
    except ApiException as e:
        check(e.status == 404, "404 creating in a missing namespace")

    secret = core.create_namespaced_secret(
        "py", {"metadata": {"name": "s"}, "stringData": {"password": "hunter2"}}
    )
    check(secret.data == {"password": "aHVudGVyMg=="}, "secret stringData stored base64 in data")

    core.delete_namespace("py")
    try:
        apps.read_namespaced_deployment("d0", "py")
        check(False, "namespace delete removes its objects")
    except ApiException as e:
        check(e.status == 404, "namespace delete removes its objects")
    print("OK", flush=True)


if __name__ == "__main__":
    main()
