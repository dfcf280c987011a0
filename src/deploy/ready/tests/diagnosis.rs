//! Why pods are not ready.

use super::*;

// --- pod_problems ----------------------------------------------------------------------

fn pod(name: &str, status: &str) -> String {
    format!(
        "- metadata: {{name: {name}, namespace: shop}}\n  spec:\n    containers: [{{name: app, image: 'shop/web:1.4', resources: {{limits: {{memory: 64Mi}}}}}}]\n  status:\n{status}"
    )
}

const CRASHLOOP: &str = "    phase: Running
    containerStatuses:
    - name: app
      image: shop/web:1.4
      restartCount: 4
      state: {waiting: {reason: CrashLoopBackOff, message: back-off restarting failed container}}
      lastState: {terminated: {exitCode: 1, reason: Error}}
";

#[test]
fn crash_loop_back_off() {
    let pods = objs(&pod("web-abc-12345", CRASHLOOP));
    assert_eq!(
        pod_problems(&pods, &[], 10),
        [
            "pod web-abc-12345: container app CrashLoopBackOff (restarted 4 times: back-off restarting failed container; last exit code 1 (Error))"
        ]
    );
}

#[test]
fn oom_killed_last_state() {
    let crash = CRASHLOOP.replace(
        "{exitCode: 1, reason: Error}",
        "{exitCode: 137, reason: OOMKilled}",
    );
    let running = "    phase: Running
    containerStatuses:
    - {name: app, restartCount: 1, state: {running: {}}, lastState: {terminated: {exitCode: 137, reason: OOMKilled}}}
";
    let pods = objs(&format!(
        "{}{}",
        pod("web-1", &crash),
        pod("web-2", running)
    ));
    assert_eq!(
        pod_problems(&pods, &[], 10),
        [
            "pod web-1: container app CrashLoopBackOff (restarted 4 times: back-off restarting failed container; last terminated OOMKilled, memory limit 64Mi)",
            "pod web-2: container app OOMKilled, memory limit 64Mi (restarted 1 time)",
        ]
    );
}

#[test]
fn image_pull_back_off_names_the_image() {
    let status = "    phase: Pending
    containerStatuses:
    - {name: app, image: 'shop/web:nope', state: {waiting: {reason: ImagePullBackOff, message: 'Back-off pulling image \"shop/web:nope\"'}}}
    initContainerStatuses:
    - {name: init, state: {waiting: {reason: ErrImagePull, message: 'manifest unknown'}}}
";
    let pods = objs(&format!(
        "- metadata: {{name: web-1, namespace: shop}}\n  spec:\n    initContainers: [{{name: init, image: 'shop/init:2'}}]\n    containers: [{{name: app, image: 'shop/web:nope'}}]\n  status:\n{status}"
    ));
    assert_eq!(
        pod_problems(&pods, &[], 10),
        [
            "pod web-1: init container init ErrImagePull for image shop/init:2 (manifest unknown)",
            "pod web-1: container app ImagePullBackOff for image shop/web:nope (Back-off pulling image \"shop/web:nope\")",
        ]
    );
}

#[test]
fn unschedulable_and_create_container_config_error() {
    let pending = "    phase: Pending
    conditions:
    - {type: PodScheduled, status: 'False', reason: Unschedulable, message: '0/3 nodes are available: insufficient cpu'}
";
    let config = "    phase: Pending
    conditions: [{type: PodScheduled, status: 'True'}]
    containerStatuses:
    - {name: app, state: {waiting: {reason: CreateContainerConfigError, message: 'couldn''t find key DB_URL in ConfigMap shop/web-config'}}}
";
    let pods = objs(&format!(
        "{}{}",
        pod("web-1", pending),
        pod("web-2", config)
    ));
    let events = objs("
- {type: Warning, reason: FailedScheduling, message: '0/3 nodes are available: insufficient cpu', involvedObject: {kind: Pod, name: web-1, namespace: shop}}
");
    assert_eq!(
        pod_problems(&pods, &events, 10),
        [
            "pod web-1: Unschedulable: 0/3 nodes are available: insufficient cpu",
            "pod web-2: container app CreateContainerConfigError: couldn't find key DB_URL in ConfigMap shop/web-config",
        ]
    );
}

#[test]
fn failed_mount_and_unhealthy_events() {
    let running = "    phase: Running\n    containerStatuses: [{name: app, ready: false, state: {running: {}}}]\n";
    let creating = "    phase: Pending\n    containerStatuses: [{name: app, state: {waiting: {reason: ContainerCreating}}}]\n";
    let pods = objs(&format!(
        "{}{}",
        pod("web-1", running),
        pod("web-2", creating)
    ));
    let events = objs("
- {type: Warning, reason: Unhealthy, count: 12, message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', involvedObject: {kind: Pod, name: web-1, namespace: shop, fieldPath: 'spec.containers{app}'}}
- {type: Warning, reason: FailedMount, message: 'MountVolume.SetUp failed for volume \"config\" : configmap \"web-config\" not found', involvedObject: {kind: Pod, name: web-2, namespace: shop}}
- {type: Normal, reason: Scheduled, message: 'assigned', involvedObject: {kind: Pod, name: web-2, namespace: shop}}
- {type: Warning, reason: FailedMount, message: 'unrelated', involvedObject: {kind: Pod, name: other-pod, namespace: shop}}
- {type: Warning, reason: FailedCreate, message: 'pods \"web-5d4f-\" is forbidden: exceeded quota: compute', involvedObject: {kind: ReplicaSet, name: web-5d4f, namespace: shop}}
");
    assert_eq!(
        pod_problems(&pods, &events, 10),
        [
            "ReplicaSet web-5d4f: FailedCreate: pods \"web-5d4f-\" is forbidden: exceeded quota: compute",
            "pod web-2: FailedMount: MountVolume.SetUp failed for volume \"config\" : configmap \"web-config\" not found",
            "pod web-1: container app Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503 (12 times)",
        ]
    );
}

#[test]
fn events_k8s_io_events_are_read_too() {
    let pods = objs(&pod("web-1", "    phase: Running\n"));
    let events = objs("
- {type: Warning, reason: FailedMount, note: 'secret \"tls\" not found', series: {count: 3}, regarding: {kind: Pod, name: web-1, namespace: shop}}
");
    assert_eq!(
        pod_problems(&pods, &events, 5),
        ["pod web-1: FailedMount: secret \"tls\" not found (3 times)"]
    );
}

#[test]
fn failed_pods_and_exited_containers() {
    let evicted = "    phase: Failed\n    reason: Evicted\n    message: 'The node was low on resource: memory.'\n";
    let exited = "    phase: Failed\n    containerStatuses: [{name: app, state: {terminated: {exitCode: 2, reason: Error}}}]\n";
    let pods = objs(&format!(
        "{}{}",
        pod("job-a", evicted),
        pod("job-b", exited)
    ));
    assert_eq!(
        pod_problems(&pods, &[], 10),
        [
            "pod job-a: failed: Evicted: The node was low on resource: memory.",
            "pod job-b: container app exited with code 2 (Error)",
        ]
    );
}

#[test]
fn problems_are_deduplicated_ranked_and_limited() {
    let unhealthy =
        "    phase: Running\n    containerStatuses: [{name: app, state: {running: {}}}]\n";
    let pods = objs(&format!(
        "{}{}{}{}",
        pod("web-1", unhealthy),
        pod("web-2", CRASHLOOP),
        pod(
            "web-3",
            &CRASHLOOP.replace("restartCount: 4", "restartCount: 7")
        ),
        pod("web-4", CRASHLOOP),
    ));
    let events = objs("
- {type: Warning, reason: Unhealthy, message: 'Readiness probe failed: dial tcp 10.0.0.5:8080: connect: connection refused', involvedObject: {kind: Pod, name: web-1, namespace: shop}}
- {type: Warning, reason: Unhealthy, message: 'Readiness probe failed: dial tcp 10.0.0.5:8080: connect: connection refused', involvedObject: {kind: Pod, name: web-1, namespace: shop}}
- {type: Warning, reason: BackOff, message: 'Back-off restarting failed container', involvedObject: {kind: Pod, name: web-2, namespace: shop}}
- {type: Warning, reason: FailedMount, message: 'secret \"tls\" not found', involvedObject: {kind: Pod, name: web-1, namespace: shop}}
- {type: Warning, reason: FailedMount, message: 'secret \"tls\" not found', involvedObject: {kind: Pod, name: web-1, namespace: shop}}
");
    let all = pod_problems(&pods, &events, 10);
    assert_eq!(
        all,
        [
            "pod web-2: container app CrashLoopBackOff (restarted 4 times: back-off restarting failed container; last exit code 1 (Error)) (and 2 more pods)",
            "pod web-1: FailedMount: secret \"tls\" not found",
            "pod web-1: Unhealthy: Readiness probe failed: dial tcp 10.0.0.5:8080: connect: connection refused",
        ]
    );
    assert_eq!(pod_problems(&pods, &events, 2), all[..2]);
    assert!(pod_problems(&pods, &events, 0).is_empty());
    assert!(pod_problems(&[], &[], 5).is_empty());
}

#[test]
fn problem_lines_escape_control_characters() {
    let status = "    phase: Pending\n    containerStatuses: [{name: app, state: {waiting: {reason: CreateContainerError, message: \"bad\\n::error::x\"}}}]\n";
    let pods = objs(&pod("web-1", status));
    assert_eq!(
        pod_problems(&pods, &[], 5),
        ["pod web-1: container app CreateContainerError: bad\\n::error::x"]
    );
}
