//! Readiness of the workload controllers: Deployment, StatefulSet, DaemonSet, ReplicaSet
//! and ReplicationController, Job.

use super::*;

// --- Deployment ------------------------------------------------------------------------

const DEPLOYMENT: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, generation: 4}
spec: {replicas: 3}
status:
  observedGeneration: 4
  replicas: 3
  updatedReplicas: 3
  readyReplicas: 3
  availableReplicas: 3
  conditions:
  - {type: Available, status: 'True', reason: MinimumReplicasAvailable}
  - {type: Progressing, status: 'True', reason: NewReplicaSetAvailable}
";

pub(super) fn deployment_with(edit: &str, by: &str) -> Readiness {
    assert!(DEPLOYMENT.contains(edit), "{edit}");
    ready(&DEPLOYMENT.replacen(edit, by, 1))
}

#[test]
fn deployment_ready() {
    assert_eq!(ready(DEPLOYMENT), Readiness::Ready);
    // spec.replicas defaults to 1.
    let one = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, generation: 1}\nspec: {}\nstatus: {observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1}\n";
    assert_eq!(ready(one), Readiness::Ready);
    assert_progressing(
        ready(&one.replace("updatedReplicas: 1", "updatedReplicas: 0")),
        "0 of 1 replicas updated",
    );
    let zero = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, generation: 2}\nspec: {replicas: 0}\nstatus: {observedGeneration: 2}\n";
    assert_eq!(ready(zero), Readiness::Ready);
}

#[test]
fn deployment_waits_for_the_observed_generation() {
    assert_progressing(
        deployment_with("observedGeneration: 4", "observedGeneration: 3"),
        "observe generation 4 (observed 3)",
    );
    assert_progressing(
        deployment_with("observedGeneration: 4", "x: 1"),
        "observe generation 4",
    );
}

#[test]
fn deployment_past_its_progress_deadline_failed() {
    let r = deployment_with(
        "{type: Progressing, status: 'True', reason: NewReplicaSetAvailable}",
        "{type: Progressing, status: 'False', reason: ProgressDeadlineExceeded, message: 'ReplicaSet \"web-5d4f\" has timed out progressing.'}",
    );
    assert_eq!(
        r,
        Readiness::Failed(
            "ProgressDeadlineExceeded: ReplicaSet \"web-5d4f\" has timed out progressing.".into()
        )
    );
}

#[test]
fn deployment_rollout_steps_are_progressing() {
    assert_progressing(
        deployment_with("updatedReplicas: 3", "updatedReplicas: 1"),
        "1 of 3 replicas updated",
    );
    assert_progressing(
        deployment_with("  replicas: 3\n  updated", "  replicas: 5\n  updated"),
        "2 old replicas pending termination",
    );
    assert_eq!(
        deployment_with("availableReplicas: 3", "availableReplicas: 2"),
        Readiness::Progressing("2 of 3 updated replicas are available".into())
    );
    assert_eq!(
        deployment_with("spec: {replicas: 3}", "spec: {replicas: 3, paused: true}"),
        Readiness::Progressing("paused".into())
    );
}

#[test]
fn deployment_replica_failure_is_explained() {
    let r = ready(
            &DEPLOYMENT.replace("updatedReplicas: 3", "updatedReplicas: 0").replace(
                "  conditions:\n",
                "  conditions:\n  - {type: ReplicaFailure, status: 'True', reason: FailedCreate, message: 'exceeded quota: compute'}\n",
            ),
        );
    assert_progressing(
        r,
        "0 of 3 replicas updated (FailedCreate: exceeded quota: compute)",
    );
}

#[test]
fn malformed_values_never_panic() {
    let r = ready(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, generation: 'two'}\nspec: {replicas: 'three', paused: 'yes'}\nstatus: {observedGeneration: [1], updatedReplicas: 'x', conditions: 'none'}\n",
    );
    // Malformed numbers count as absent: replicas 1, updated 0.
    assert_progressing(r, "0 of 1 replicas updated");
    for kind in [
        "apps/v1 StatefulSet",
        "apps/v1 DaemonSet",
        "apps/v1 ReplicaSet",
        "v1 ReplicationController",
        "batch/v1 Job",
        "v1 Pod",
        "v1 PersistentVolumeClaim",
        "v1 Service",
        "apiextensions.k8s.io/v1 CustomResourceDefinition",
    ] {
        let (api, kind) = kind.split_once(' ').unwrap();
        let y = format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata: 7\nspec: {{replicas: 1.5, selector: 3, updateStrategy: x, type: 9}}\nstatus: {{phase: 3, conditions: [1, {{type: 2}}], containerStatuses: [{{state: {{waiting: 1}}}}], loadBalancer: {{ingress: 1}}}}\n"
        );
        let o = obj(&y);
        let _ = readiness(
            &o,
            ReadyOptions {
                load_balancer: true,
            },
        );
        let pods = vec![o.clone(), obj("[1, 2]")];
        assert!(pods_of(&o, &pods).is_empty());
        let _ = events_for(&o, &[&o], &pods);
        let _ = pod_problems(&pods, &pods, 10);
    }
}

// --- StatefulSet -----------------------------------------------------------------------

const STATEFULSET: &str = "
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop, generation: 2}
spec:
  replicas: 3
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 0}}
status:
  observedGeneration: 2
  replicas: 3
  readyReplicas: 3
  currentReplicas: 3
  updatedReplicas: 3
  currentRevision: db-7b9c
  updateRevision: db-7b9c
";

fn sts_with(edits: &[(&str, &str)]) -> Readiness {
    let mut y = STATEFULSET.to_string();
    for (a, b) in edits {
        assert!(y.contains(a), "{a}");
        y = y.replacen(a, b, 1);
    }
    ready(&y)
}

#[test]
fn statefulset_ready_and_progressing() {
    assert_eq!(ready(STATEFULSET), Readiness::Ready);
    assert_progressing(
        sts_with(&[("observedGeneration: 2", "observedGeneration: 1")]),
        "observe generation 2",
    );
    assert_progressing(
        sts_with(&[("readyReplicas: 3", "readyReplicas: 1")]),
        "1 of 3 pods are ready",
    );
    assert_progressing(
        sts_with(&[
            ("updatedReplicas: 3", "updatedReplicas: 2"),
            ("currentRevision: db-7b9c", "currentRevision: db-6a1f"),
        ]),
        "2 of 3 pods updated",
    );
    assert_progressing(
        sts_with(&[("currentRevision: db-7b9c", "currentRevision: db-6a1f")]),
        "waiting for the rolling update to complete: 3 pods at revision db-7b9c",
    );
    assert_progressing(
        sts_with(&[("  replicas: 3\n  ready", "  replicas: 4\n  ready")]),
        "1 pod pending termination",
    );
}

#[test]
fn statefulset_partitioned_rollout() {
    // Partition 2 of 3: one pod (ordinal 2) is updated, the others keep the old revision.
    let partitioned = [
        ("partition: 0", "partition: 2"),
        ("currentRevision: db-7b9c", "currentRevision: db-6a1f"),
    ];
    assert_progressing(
        sts_with(&[
            partitioned[0],
            partitioned[1],
            ("updatedReplicas: 3", "updatedReplicas: 0"),
        ]),
        "partitioned rollout: 0 of 1 new pods updated (partition 2)",
    );
    assert_eq!(
        sts_with(&[
            partitioned[0],
            partitioned[1],
            ("updatedReplicas: 3", "updatedReplicas: 1")
        ]),
        Readiness::Ready
    );
    // A partition larger than the replicas waits for nothing.
    assert_eq!(
        sts_with(&[
            ("partition: 0", "partition: 5"),
            ("updatedReplicas: 3", "updatedReplicas: 0")
        ]),
        Readiness::Ready
    );
}

#[test]
fn statefulset_on_delete_is_ready_once_observed() {
    let on_delete = (
        "updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 0}}",
        "updateStrategy: {type: OnDelete}",
    );
    assert_eq!(
        sts_with(&[
            on_delete,
            ("updatedReplicas: 3", "updatedReplicas: 0"),
            ("currentRevision: db-7b9c", "currentRevision: db-1")
        ]),
        Readiness::Ready
    );
    assert_progressing(
        sts_with(&[
            on_delete,
            ("observedGeneration: 2", "observedGeneration: 1"),
        ]),
        "observe generation 2",
    );
}

#[test]
fn kinds_without_a_failure_state_stay_progressing() {
    // kubectl and kstatus have no Failed state for a StatefulSet, DaemonSet or
    // ReplicaSet: crash-looping pods keep them Progressing; pod_problems says why.
    assert_progressing(
        sts_with(&[("readyReplicas: 3", "readyReplicas: 0")]),
        "0 of 3 pods are ready",
    );
}

// --- DaemonSet -------------------------------------------------------------------------

const DAEMONSET: &str = "
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system, generation: 5}
spec: {updateStrategy: {type: RollingUpdate}}
status:
  observedGeneration: 5
  desiredNumberScheduled: 4
  currentNumberScheduled: 4
  updatedNumberScheduled: 4
  numberReady: 4
  numberAvailable: 4
";

#[test]
fn daemonset_ready_and_progressing() {
    assert_eq!(ready(DAEMONSET), Readiness::Ready);
    assert_progressing(
        ready(&DAEMONSET.replace("observedGeneration: 5", "observedGeneration: 4")),
        "observe generation 5",
    );
    assert_progressing(
        ready(&DAEMONSET.replace("updatedNumberScheduled: 4", "updatedNumberScheduled: 1")),
        "1 of 4 pods updated",
    );
    assert_progressing(
        ready(&DAEMONSET.replace("numberAvailable: 4", "numberAvailable: 3")),
        "3 of 4 updated pods are available",
    );
    assert_progressing(
        ready(&DAEMONSET.replace("numberAvailable: 4", "numberUnavailable: 4")),
        "0 of 4",
    );
    assert_eq!(
        ready(
            &DAEMONSET
                .replace("type: RollingUpdate", "type: OnDelete")
                .replace("updatedNumberScheduled: 4", "updatedNumberScheduled: 0")
        ),
        Readiness::Ready
    );
}

// --- ReplicaSet, ReplicationController -------------------------------------------------

#[test]
fn replicaset_and_replication_controller() {
    let rs = "
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-5d4f, generation: 1}
spec: {replicas: 2}
status: {observedGeneration: 1, replicas: 2, readyReplicas: 2, availableReplicas: 2}
";
    assert_eq!(ready(rs), Readiness::Ready);
    assert_progressing(
        ready(&rs.replace("readyReplicas: 2", "readyReplicas: 1")),
        "1 of 2 pods are ready",
    );
    assert_progressing(
        ready(&rs.replace("availableReplicas: 2", "availableReplicas: 0")),
        "0 of 2 pods are available",
    );
    assert_progressing(
            ready(&rs.replace(
                "readyReplicas: 2",
                "readyReplicas: 0, conditions: [{type: ReplicaFailure, status: 'True', reason: FailedCreate, message: 'pods \"web-5d4f-x\" is forbidden'}]",
            )),
            "0 of 2 pods are ready (FailedCreate: pods \"web-5d4f-x\" is forbidden)",
        );
    let rc = rs
        .replace("apps/v1", "v1")
        .replace("kind: ReplicaSet", "kind: ReplicationController");
    assert_eq!(ready(&rc), Readiness::Ready);
    assert_progressing(
        ready(&rc.replace("spec: {replicas: 2}", "spec: {replicas: 3}")),
        "2 of 3 pods are ready",
    );
}

// --- Job -------------------------------------------------------------------------------

const JOB: &str = "
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
spec: {completions: 3, backoffLimit: 2}
status:
  startTime: '2026-12-02T13:00:00Z'
  active: 1
  succeeded: 2
";

#[test]
fn job_ready_progressing_failed() {
    assert_eq!(
        ready(&format!(
            "{JOB}  conditions:\n  - {{type: SuccessCriteriaMet, status: 'True'}}\n  - {{type: Complete, status: 'True'}}\n"
        )),
        Readiness::Ready
    );
    assert_eq!(
        ready(JOB),
        Readiness::Progressing("2 of 3 completions succeeded, 1 active".into())
    );
    assert_eq!(
        ready(
            &JOB.replace("spec: {completions: 3, backoffLimit: 2}", "spec: {}")
                .replace("active: 1", "failed: 1")
        ),
        Readiness::Progressing("2 succeeded, 1 failed".into())
    );
    assert_eq!(
        ready(&format!(
            "{JOB}  conditions:\n  - {{type: Failed, status: 'True', reason: BackoffLimitExceeded, message: Job has reached the specified backoff limit}}\n"
        )),
        Readiness::Failed(
            "BackoffLimitExceeded: Job has reached the specified backoff limit".into()
        )
    );
    assert_failed(
        ready(&format!(
            "{JOB}  conditions:\n  - {{type: FailureTarget, status: 'True', reason: DeadlineExceeded}}\n"
        )),
        "DeadlineExceeded",
    );
    assert_eq!(
        ready(&format!(
            "{JOB}  conditions:\n  - {{type: Failed, status: 'False'}}\n  - {{type: Suspended, status: 'True'}}\n"
        )),
        Readiness::Progressing("suspended".into())
    );
}
