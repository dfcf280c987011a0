//! Readiness of live objects and the diagnosis of a stuck rollout, for
//! `deploy --wait-for-rollout`.
//!
//! Pure functions over objects as `serde_json::Value` (as the cluster client hands them
//! over): no I/O, no clock. The wait loop watches the applied objects, asks [`readiness`] of
//! each new version, and when a rollout stalls or fails explains it with [`pods_of`],
//! [`events_for`] and [`pod_problems`].
//!
//! The rules are kubectl's `rollout status` and the kstatus library's: a workload is ready
//! once its controller has observed the current generation and the new replicas are
//! updated and available; a Deployment past its progress deadline and a failed Job are
//! [`Readiness::Failed`]. A malformed value (a string where a number belongs, a missing
//! field) never panics: it counts as absent. Text that came from the cluster (names,
//! condition and event messages) is returned with control characters escaped.
//!
//! Readiness per kind is in `kinds.rs`, which pods and Events belong to a workload in
//! `matching.rs`, why pods are not ready in `diagnosis.rs`; the tolerant value readers they
//! share are here.

use serde_json::{Map, Value};

use crate::report::escape;

mod diagnosis;
mod kinds;
mod matching;

pub use diagnosis::pod_problems;
use kinds::{crd, daemon_set, deployment, job, pod, pvc, replica_set, service, stateful_set};
pub use matching::{events_for, pods_of};

/// Whether an object is ready.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Readiness {
    /// Ready: the rollout is complete.
    Ready,
    /// Still converging, with why (e.g. "2 of 3 updated replicas are available").
    Progressing(String),
    /// Will not become ready without a change (e.g. "ProgressDeadlineExceeded: ...", a
    /// Job's Failed condition).
    Failed(String),
}

/// What confgate waits for beyond the kubectl defaults.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadyOptions {
    /// Services of type LoadBalancer wait for status.loadBalancer.ingress.
    pub load_balancer: bool,
}

/// The message of an object whose controller has not written a status yet.
const UNOBSERVED: &str = "waiting for the controller to observe it";

/// The kinds confgate waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    ReplicationController,
    Job,
    Pod,
    PersistentVolumeClaim,
    Service,
    CustomResourceDefinition,
}

fn kind_of(api_version: &str, kind: &str) -> Option<Kind> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    Some(match (group, kind) {
        ("apps" | "extensions", "Deployment") => Kind::Deployment,
        ("apps", "StatefulSet") => Kind::StatefulSet,
        ("apps" | "extensions", "DaemonSet") => Kind::DaemonSet,
        ("apps" | "extensions", "ReplicaSet") => Kind::ReplicaSet,
        ("", "ReplicationController") => Kind::ReplicationController,
        ("batch", "Job") => Kind::Job,
        ("", "Pod") => Kind::Pod,
        ("", "PersistentVolumeClaim") => Kind::PersistentVolumeClaim,
        ("", "Service") => Kind::Service,
        ("apiextensions.k8s.io", "CustomResourceDefinition") => Kind::CustomResourceDefinition,
        _ => return None,
    })
}

/// Whether confgate waits for objects of this kind at all (Deployment, StatefulSet,
/// DaemonSet, Job, PersistentVolumeClaim, CustomResourceDefinition, Service, ReplicaSet,
/// ReplicationController, Pod). Everything else (a CronJob, a ConfigMap, a custom
/// resource) is ready when applied. A Service is waited for only when it is of type
/// LoadBalancer and [`ReadyOptions::load_balancer`] is set; [`readiness`] decides that from
/// the object, so this answers `true` for every Service.
pub fn waits_for(api_version: &str, kind: &str) -> bool {
    kind_of(api_version, kind).is_some()
}

/// The readiness of one live object (with its status), as kubectl rollout status /
/// kstatus decide it.
pub fn readiness(obj: &Value, opts: ReadyOptions) -> Readiness {
    let api_version = text(obj, &["apiVersion"]).unwrap_or("");
    let kind = text(obj, &["kind"]).unwrap_or("");
    let Some(kind) = kind_of(api_version, kind) else {
        return Readiness::Ready;
    };
    if kind == Kind::Service {
        return service(obj, opts);
    }
    let has_status = obj
        .get("status")
        .and_then(Value::as_object)
        .is_some_and(|s| !s.is_empty());
    if !has_status {
        return Readiness::Progressing(UNOBSERVED.to_string());
    }
    let r = match kind {
        Kind::Deployment => deployment(obj),
        Kind::StatefulSet => stateful_set(obj),
        Kind::DaemonSet => daemon_set(obj),
        Kind::ReplicaSet | Kind::ReplicationController => replica_set(obj),
        Kind::Job => job(obj),
        Kind::Pod => pod(obj),
        Kind::PersistentVolumeClaim => pvc(obj),
        Kind::CustomResourceDefinition => crd(obj),
        Kind::Service => service(obj, opts),
    };
    match r {
        Readiness::Ready => Readiness::Ready,
        Readiness::Progressing(m) => Readiness::Progressing(escape::control(&m).into_owned()),
        Readiness::Failed(m) => Readiness::Failed(escape::control(&m).into_owned()),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading values that may be malformed
// ---------------------------------------------------------------------------------------------

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

/// An integer field; anything else (a string, a float, null) is absent.
fn int(v: &Value, path: &[&str]) -> Option<i64> {
    let x = at(v, path)?;
    x.as_i64()
        .or_else(|| x.as_u64().map(|u| i64::try_from(u).unwrap_or(i64::MAX)))
}

/// A status counter: absent (the API server omits zeros) or malformed is 0.
fn count(v: &Value, field: &str) -> i64 {
    int(v, &["status", field]).unwrap_or(0)
}

fn list<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn labels(v: &Value) -> Option<&Map<String, Value>> {
    at(v, &["metadata", "labels"]).and_then(Value::as_object)
}

struct Condition<'a> {
    status: &'a str,
    reason: &'a str,
    message: &'a str,
}

impl Condition<'_> {
    fn is_true(&self) -> bool {
        self.status == "True"
    }

    /// "Reason: message", or whichever of the two there is.
    fn describe(&self, fallback: &str) -> String {
        reason_message(self.reason, self.message, fallback)
    }
}

fn reason_message(reason: &str, message: &str, fallback: &str) -> String {
    match (reason.is_empty(), message.is_empty()) {
        (false, false) => format!("{reason}: {message}"),
        (false, true) => reason.to_string(),
        (true, false) => message.to_string(),
        (true, true) => fallback.to_string(),
    }
}

fn condition<'a>(obj: &'a Value, ty: &str) -> Option<Condition<'a>> {
    list(obj, &["status", "conditions"])
        .iter()
        .find(|c| text(c, &["type"]) == Some(ty))
        .map(|c| Condition {
            status: text(c, &["status"]).unwrap_or(""),
            reason: text(c, &["reason"]).unwrap_or(""),
            message: text(c, &["message"]).unwrap_or(""),
        })
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests;
