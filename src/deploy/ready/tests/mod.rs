//! Unit tests of readiness, pod and event matching, and the diagnosis of stuck pods.

use super::*;

mod diagnosis;
mod kinds;
mod matching;
mod workloads;

fn obj(yaml: &str) -> Value {
    serde_yaml::from_str(yaml).unwrap()
}

fn objs(yaml: &str) -> Vec<Value> {
    match obj(yaml) {
        Value::Array(items) => items,
        other => vec![other],
    }
}

fn ready(yaml: &str) -> Readiness {
    readiness(&obj(yaml), ReadyOptions::default())
}

#[track_caller]
fn assert_progressing(r: Readiness, part: &str) {
    match r {
        Readiness::Progressing(m) => assert!(m.contains(part), "{m:?} lacks {part:?}"),
        other => panic!("expected Progressing({part:?}), got {other:?}"),
    }
}

#[track_caller]
fn assert_failed(r: Readiness, part: &str) {
    match r {
        Readiness::Failed(m) => assert!(m.contains(part), "{m:?} lacks {part:?}"),
        other => panic!("expected Failed({part:?}), got {other:?}"),
    }
}

// --- waits_for -------------------------------------------------------------------------

#[test]
fn waits_for_workloads_and_the_listed_kinds_only() {
    for (api, kind) in [
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("apps/v1", "ReplicaSet"),
        ("v1", "ReplicationController"),
        ("batch/v1", "Job"),
        ("v1", "Pod"),
        ("v1", "PersistentVolumeClaim"),
        ("v1", "Service"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ] {
        assert!(waits_for(api, kind), "{api} {kind}");
    }
    for (api, kind) in [
        ("batch/v1", "CronJob"),
        ("v1", "ConfigMap"),
        ("v1", "Secret"),
        ("networking.k8s.io/v1", "Ingress"),
        ("example.com/v1", "Deployment"),
        ("", ""),
    ] {
        assert!(!waits_for(api, kind), "{api} {kind}");
    }
}

#[test]
fn other_kinds_and_cronjobs_are_ready_when_applied() {
    assert_eq!(
        ready("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\n"),
        Readiness::Ready
    );
    assert_eq!(
        ready("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
        Readiness::Ready
    );
    assert_eq!(ready("just a string"), Readiness::Ready);
}

#[test]
fn an_object_without_status_waits_for_its_controller() {
    for kind in [
        "apps/v1 Deployment",
        "apps/v1 StatefulSet",
        "batch/v1 Job",
        "v1 Pod",
    ] {
        let (api, kind) = kind.split_once(' ').unwrap();
        let y = format!("apiVersion: {api}\nkind: {kind}\nmetadata: {{name: x, generation: 1}}\n");
        assert_progressing(ready(&y), UNOBSERVED);
        assert_progressing(ready(&format!("{y}status: {{}}\n")), UNOBSERVED);
    }
}
