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

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::report::escape;

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

// ---------------------------------------------------------------------------------------------
// The kinds
// ---------------------------------------------------------------------------------------------

/// `Some(Progressing)` while the controller has not observed `metadata.generation`.
fn unobserved(obj: &Value) -> Option<Readiness> {
    let generation = int(obj, &["metadata", "generation"]).unwrap_or(0);
    let observed = int(obj, &["status", "observedGeneration"]).unwrap_or(0);
    (observed < generation).then(|| {
        Readiness::Progressing(format!(
            "waiting for the controller to observe generation {generation} (observed {observed})"
        ))
    })
}

/// The desired replicas: `spec.replicas`, 1 when absent.
fn desired(obj: &Value) -> i64 {
    int(obj, &["spec", "replicas"]).unwrap_or(1).max(0)
}

fn on_delete(obj: &Value) -> bool {
    text(obj, &["spec", "updateStrategy", "type"]) == Some("OnDelete")
}

/// `msg`, with the ReplicaFailure condition's reason when it is True (quota, admission).
fn with_replica_failure(obj: &Value, msg: String) -> Readiness {
    match condition(obj, "ReplicaFailure") {
        Some(c) if c.is_true() => {
            Readiness::Progressing(format!("{msg} ({})", c.describe("ReplicaFailure")))
        }
        _ => Readiness::Progressing(msg),
    }
}

fn deployment(obj: &Value) -> Readiness {
    if let Some(r) = unobserved(obj) {
        return r;
    }
    if let Some(c) = condition(obj, "Progressing")
        && c.reason == "ProgressDeadlineExceeded"
    {
        return Readiness::Failed(reason_message(c.reason, c.message, ""));
    }
    if at(obj, &["spec", "paused"]).and_then(Value::as_bool) == Some(true) {
        return Readiness::Progressing("paused".to_string());
    }
    let want = desired(obj);
    let updated = count(obj, "updatedReplicas");
    let replicas = count(obj, "replicas");
    let available = count(obj, "availableReplicas");
    if updated < want {
        return with_replica_failure(obj, format!("{updated} of {want} replicas updated"));
    }
    if replicas > updated {
        return Readiness::Progressing(format!(
            "{} pending termination",
            plural(replicas - updated, "old replica", "old replicas")
        ));
    }
    if available < updated {
        return Readiness::Progressing(format!(
            "{available} of {updated} updated replicas are available"
        ));
    }
    Readiness::Ready
}

fn stateful_set(obj: &Value) -> Readiness {
    if let Some(r) = unobserved(obj) {
        return r;
    }
    if on_delete(obj) {
        // kubectl cannot wait for an OnDelete rollout: pods change only when deleted.
        return Readiness::Ready;
    }
    let want = desired(obj);
    let replicas = count(obj, "replicas");
    let ready = count(obj, "readyReplicas");
    let updated = count(obj, "updatedReplicas");
    if replicas > want {
        return Readiness::Progressing(format!(
            "{} pending termination",
            plural(replicas - want, "pod", "pods")
        ));
    }
    if ready < want {
        return Readiness::Progressing(format!("{ready} of {want} pods are ready"));
    }
    let partition = int(
        obj,
        &["spec", "updateStrategy", "rollingUpdate", "partition"],
    )
    .unwrap_or(0)
    .max(0);
    if partition > 0 {
        let target = (want - partition).max(0);
        if updated < target {
            return Readiness::Progressing(format!(
                "partitioned rollout: {updated} of {target} new pods updated (partition {partition})"
            ));
        }
        return Readiness::Ready;
    }
    if updated < want {
        return Readiness::Progressing(format!("{updated} of {want} pods updated"));
    }
    let current = text(obj, &["status", "currentRevision"]);
    if let Some(update) = text(obj, &["status", "updateRevision"])
        && current != Some(update)
    {
        return Readiness::Progressing(format!(
            "waiting for the rolling update to complete: {} at revision {update}",
            plural(updated, "pod", "pods")
        ));
    }
    Readiness::Ready
}

fn daemon_set(obj: &Value) -> Readiness {
    if let Some(r) = unobserved(obj) {
        return r;
    }
    if on_delete(obj) {
        return Readiness::Ready;
    }
    let want = count(obj, "desiredNumberScheduled");
    let updated = count(obj, "updatedNumberScheduled");
    let available = count(obj, "numberAvailable");
    if updated < want {
        return Readiness::Progressing(format!("{updated} of {want} pods updated"));
    }
    if available < want {
        return Readiness::Progressing(format!("{available} of {want} updated pods are available"));
    }
    Readiness::Ready
}

fn replica_set(obj: &Value) -> Readiness {
    if let Some(r) = unobserved(obj) {
        return r;
    }
    let want = desired(obj);
    let replicas = count(obj, "replicas");
    let ready = count(obj, "readyReplicas");
    let available = count(obj, "availableReplicas");
    if replicas > want {
        return Readiness::Progressing(format!(
            "{} pending termination",
            plural(replicas - want, "pod", "pods")
        ));
    }
    if ready < want {
        return with_replica_failure(obj, format!("{ready} of {want} pods are ready"));
    }
    if available < want {
        return Readiness::Progressing(format!("{available} of {want} pods are available"));
    }
    Readiness::Ready
}

fn job(obj: &Value) -> Readiness {
    if let Some(c) = condition(obj, "Complete")
        && c.is_true()
    {
        return Readiness::Ready;
    }
    for ty in ["Failed", "FailureTarget"] {
        if let Some(c) = condition(obj, ty)
            && c.is_true()
        {
            return Readiness::Failed(c.describe("the Job failed"));
        }
    }
    if let Some(c) = condition(obj, "Suspended")
        && c.is_true()
    {
        return Readiness::Progressing("suspended".to_string());
    }
    let succeeded = count(obj, "succeeded");
    let mut msg = match int(obj, &["spec", "completions"]) {
        Some(n) => format!("{succeeded} of {n} completions succeeded"),
        None => format!("{succeeded} succeeded"),
    };
    let active = count(obj, "active");
    if active > 0 {
        msg.push_str(&format!(", {active} active"));
    }
    let failed = count(obj, "failed");
    if failed > 0 {
        msg.push_str(&format!(", {failed} failed"));
    }
    Readiness::Progressing(msg)
}

fn pod(obj: &Value) -> Readiness {
    let phase = text(obj, &["status", "phase"]).unwrap_or("");
    match phase {
        "Succeeded" => return Readiness::Ready,
        "Failed" => {
            let reason = text(obj, &["status", "reason"]).unwrap_or("");
            let message = text(obj, &["status", "message"]).unwrap_or("");
            return Readiness::Failed(reason_message(reason, message, "phase Failed"));
        }
        _ => {}
    }
    if condition(obj, "Ready").is_some_and(|c| c.is_true()) {
        return Readiness::Ready;
    }
    if let Some(c) = condition(obj, "PodScheduled")
        && c.status == "False"
    {
        return Readiness::Progressing(format!("not scheduled: {}", c.describe("Unschedulable")));
    }
    let mut waiting = Vec::new();
    for (field, label) in [
        ("initContainerStatuses", "init container"),
        ("containerStatuses", "container"),
    ] {
        for cs in list(obj, &["status", field]) {
            if let Some(reason) = text(cs, &["state", "waiting", "reason"]) {
                let name = text(cs, &["name"]).unwrap_or("?");
                waiting.push(format!("{label} {name} {reason}"));
            }
        }
    }
    if waiting.is_empty() {
        let phase = if phase.is_empty() { "unknown" } else { phase };
        Readiness::Progressing(format!("phase {phase}, not ready"))
    } else {
        Readiness::Progressing(waiting.join(", "))
    }
}

fn pvc(obj: &Value) -> Readiness {
    match text(obj, &["status", "phase"]) {
        Some("Bound") => Readiness::Ready,
        Some("Lost") => {
            Readiness::Failed("Lost: the bound PersistentVolume no longer exists".to_string())
        }
        Some(phase) => Readiness::Progressing(format!("phase {phase}")),
        None => Readiness::Progressing(UNOBSERVED.to_string()),
    }
}

fn crd(obj: &Value) -> Readiness {
    if let Some(c) = condition(obj, "NamesAccepted")
        && c.status == "False"
    {
        return Readiness::Failed(c.describe("NamesAccepted is False"));
    }
    match condition(obj, "Established") {
        Some(c) if c.is_true() => Readiness::Ready,
        Some(c) => Readiness::Progressing(format!("not established: {}", c.describe(c.status))),
        None => Readiness::Progressing("not established yet".to_string()),
    }
}

fn service(obj: &Value, opts: ReadyOptions) -> Readiness {
    let load_balancer = text(obj, &["spec", "type"]) == Some("LoadBalancer");
    let waiting = load_balancer
        && opts.load_balancer
        && list(obj, &["status", "loadBalancer", "ingress"]).is_empty();
    if !waiting {
        return Readiness::Ready;
    }
    Readiness::Progressing("waiting for a load balancer address".to_string())
}

// ---------------------------------------------------------------------------------------------
// Pods and events of a workload
// ---------------------------------------------------------------------------------------------

fn name(v: &Value) -> Option<&str> {
    text(v, &["metadata", "name"]).filter(|n| !n.is_empty())
}

/// The namespace of a namespaced object; a missing one is `default`.
fn namespace(v: &Value) -> &str {
    text(v, &["metadata", "namespace"])
        .filter(|n| !n.is_empty())
        .unwrap_or("default")
}

/// The pods of a workload: pods in the same namespace matching the workload's
/// spec.selector (matchLabels and matchExpressions In/NotIn/Exists/DoesNotExist, or a
/// ReplicationController's plain map) — for Jobs, the `batch.kubernetes.io/job-name` /
/// `job-name` label (or the Job's selector); for a Pod, the pod itself. A missing or empty
/// selector selects nothing.
pub fn pods_of<'a>(workload: &Value, pods: &'a [Value]) -> Vec<&'a Value> {
    let ns = namespace(workload);
    let kind = text(workload, &["kind"]).unwrap_or("");
    let Some(workload_name) = name(workload) else {
        return Vec::new();
    };
    let selector = at(workload, &["spec", "selector"]);
    pods.iter()
        .filter(|p| namespace(p) == ns)
        .filter(|p| match kind {
            "Pod" => name(p) == Some(workload_name),
            "Job" => {
                let by_name = labels(p).is_some_and(|l| {
                    ["batch.kubernetes.io/job-name", "job-name"]
                        .iter()
                        .any(|k| l.get(*k).and_then(Value::as_str) == Some(workload_name))
                });
                by_name || selects(selector, labels(p))
            }
            _ => selects(selector, labels(p)),
        })
        .collect()
}

/// Whether a selector (a LabelSelector, or a plain map of labels) selects these labels.
fn selects(selector: Option<&Value>, labels: Option<&Map<String, Value>>) -> bool {
    let Some(sel) = selector.and_then(Value::as_object) else {
        return false;
    };
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    let equal = |m: &Map<String, Value>| {
        m.iter()
            .all(|(k, v)| v.as_str().is_some_and(|v| label(k) == Some(v)))
    };
    if !sel.contains_key("matchLabels") && !sel.contains_key("matchExpressions") {
        return !sel.is_empty() && equal(sel);
    }
    let match_labels = sel.get("matchLabels").and_then(Value::as_object);
    let expressions = sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    if match_labels.is_none_or(Map::is_empty) && expressions.is_empty() {
        return false;
    }
    match_labels.is_none_or(equal)
        && expressions.iter().all(|e| {
            let Some(key) = text(e, &["key"]) else {
                return false;
            };
            let values: Vec<&str> = list(e, &["values"])
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let value = label(key);
            match text(e, &["operator"]).unwrap_or("") {
                "In" => value.is_some_and(|v| values.contains(&v)),
                "NotIn" => value.is_none_or(|v| !values.contains(&v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
}

/// An object events can be about.
struct Subject<'a> {
    kind: &'a str,
    name: &'a str,
    /// `None` for a cluster-scoped object (a CRD, a node).
    namespace: Option<&'a str>,
    uid: Option<&'a str>,
}

impl<'a> Subject<'a> {
    fn of(v: &'a Value) -> Option<Self> {
        Some(Subject {
            kind: text(v, &["kind"]).unwrap_or("Pod"),
            name: name(v)?,
            namespace: text(v, &["metadata", "namespace"]).filter(|n| !n.is_empty()),
            uid: text(v, &["metadata", "uid"]).filter(|u| !u.is_empty()),
        })
    }
}

/// What an event is about: (kind, name, namespace, uid), from `involvedObject` (core/v1) or
/// `regarding` (events.k8s.io/v1); the namespace falls back to the event's own.
fn event_object(e: &Value) -> Option<(&str, &str, Option<&str>, Option<&str>)> {
    let o = e.get("involvedObject").or_else(|| e.get("regarding"))?;
    let ns = text(o, &["namespace"])
        .or_else(|| text(e, &["metadata", "namespace"]))
        .filter(|n| !n.is_empty());
    Some((
        text(o, &["kind"])?,
        text(o, &["name"])?,
        ns,
        text(o, &["uid"]).filter(|u| !u.is_empty()),
    ))
}

fn is_about(e: &Value, s: &Subject<'_>) -> bool {
    let Some((kind, name, ns, uid)) = event_object(e) else {
        return false;
    };
    kind == s.kind
        && name == s.name
        && (s.namespace.is_none() || ns.is_none() || ns == s.namespace)
        && !matches!((uid, s.uid), (Some(a), Some(b)) if a != b)
}

fn is_warning(e: &Value) -> bool {
    text(e, &["type"]) == Some("Warning")
}

/// Whether `rs` is a name the Deployment `deployment` gives its ReplicaSets:
/// `<deployment>-<pod-template-hash>`.
fn replica_set_of(deployment: &str, rs: &str) -> bool {
    rs.strip_prefix(deployment)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hash| !hash.is_empty() && hash.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Events about an object or its pods (involvedObject kind/name/namespace, and the uid when
/// both have one), Warning first, otherwise in the given order. Events about the
/// PersistentVolumeClaims the pods mount count too (a claim that cannot be provisioned
/// keeps a pod Pending), and for a Deployment those about its ReplicaSets (a quota or
/// admission refusal is reported on the ReplicaSet as FailedCreate).
pub fn events_for<'a>(obj: &Value, pods: &[&Value], events: &'a [Value]) -> Vec<&'a Value> {
    let mut subjects: Vec<Subject<'_>> = Subject::of(obj).into_iter().collect();
    for p in pods {
        let Some(pod) = Subject::of(p) else {
            continue;
        };
        let ns = Some(namespace(p));
        subjects.extend(
            list(p, &["spec", "volumes"])
                .iter()
                .filter_map(|v| text(v, &["persistentVolumeClaim", "claimName"]))
                .map(|claim| Subject {
                    kind: "PersistentVolumeClaim",
                    name: claim,
                    namespace: ns,
                    uid: None,
                }),
        );
        subjects.push(Subject {
            kind: "Pod",
            namespace: ns,
            ..pod
        });
    }
    let deployment = Subject::of(obj).filter(|s| s.kind == "Deployment");
    let owners: BTreeSet<&str> = pods
        .iter()
        .flat_map(|p| list(p, &["metadata", "ownerReferences"]))
        .filter(|o| text(o, &["kind"]) == Some("ReplicaSet"))
        .filter_map(|o| text(o, &["name"]))
        .collect();
    let mut out: Vec<&Value> = events
        .iter()
        .filter(|e| {
            if subjects.iter().any(|s| is_about(e, s)) {
                return true;
            }
            let Some(d) = &deployment else {
                return false;
            };
            matches!(event_object(e), Some(("ReplicaSet", rs, ns, _))
                if (ns.is_none() || ns == d.namespace)
                    && (owners.contains(rs) || replica_set_of(d.name, rs)))
        })
        .collect();
    out.sort_by_key(|e| !is_warning(e));
    out
}

// ---------------------------------------------------------------------------------------------
// Why pods are not ready
// ---------------------------------------------------------------------------------------------

/// Severity ranks, most severe first.
const BLOCKING: u8 = 0;
const WARNING: u8 = 1;
const PROBE: u8 = 2;

/// One problem before deduplication.
struct Problem {
    rank: u8,
    /// "pod web-abc-12345", "ReplicaSet web-abc".
    subject: String,
    /// What identifies the problem across pods (no pod name, no counts).
    key: String,
    detail: String,
}

/// Waiting reasons of a container that is stuck on its image.
const IMAGE_REASONS: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "ErrImageNeverPull",
    "InvalidImageName",
    "ImageInspectError",
    "RegistryUnavailable",
    "SignatureValidationFailed",
];

/// Waiting reasons of a container the kubelet could not create or start.
const CREATE_REASONS: &[&str] = &[
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "ContainerCannotRun",
    "PreCreateHookError",
    "PreStartHookError",
    "PostStartHookError",
];

/// Waiting reasons that are normal while a pod starts.
const NORMAL_WAITING: &[&str] = &["ContainerCreating", "PodInitializing"];

/// Pod event reasons that repeat what the pod's status already says.
const STATUS_EVENT_REASONS: &[&str] = &["BackOff", "Failed", "FailedScheduling", "InspectFailed"];

fn times(n: i64) -> String {
    plural(n, "time", "times")
}

/// The image of container `name` of a pod: from its status, else its spec.
fn image_of<'a>(pod: &'a Value, cs: &'a Value, name: &str) -> &'a str {
    text(cs, &["image"])
        .filter(|i| !i.is_empty())
        .or_else(|| {
            ["containers", "initContainers"]
                .iter()
                .flat_map(|f| list(pod, &["spec", f]))
                .find(|c| text(c, &["name"]) == Some(name))
                .and_then(|c| text(c, &["image"]))
        })
        .unwrap_or("?")
}

fn memory_limit<'a>(pod: &'a Value, name: &str) -> Option<&'a str> {
    ["containers", "initContainers"]
        .iter()
        .flat_map(|f| list(pod, &["spec", f]))
        .find(|c| text(c, &["name"]) == Some(name))
        .and_then(|c| text(c, &["resources", "limits", "memory"]))
}

/// The problems of one container status.
fn container_problems(pod: &Value, cs: &Value, init: bool, out: &mut Vec<(u8, String, String)>) {
    let label = if init { "init container" } else { "container" };
    let name = text(cs, &["name"]).unwrap_or("?");
    let restarts = int(cs, &["restartCount"]).unwrap_or(0);
    let last = at(cs, &["lastState", "terminated"]);
    let current = at(cs, &["state", "terminated"]);
    let oom = [last, current]
        .iter()
        .flatten()
        .any(|t| text(t, &["reason"]) == Some("OOMKilled"));
    let oom_note = || match memory_limit(pod, name) {
        Some(limit) => format!("OOMKilled, memory limit {limit}"),
        None => "OOMKilled".to_string(),
    };
    if let Some(w) = at(cs, &["state", "waiting"]) {
        let reason = text(w, &["reason"]).unwrap_or("");
        let message = text(w, &["message"]).unwrap_or("");
        let key = format!("{label}|{name}|{reason}");
        if reason == "CrashLoopBackOff" {
            let mut detail = format!(
                "{label} {name} CrashLoopBackOff (restarted {}",
                times(restarts)
            );
            if !message.is_empty() {
                detail.push_str(&format!(": {message}"));
            }
            if oom {
                detail.push_str(&format!("; last terminated {}", oom_note()));
            } else if let Some(t) = last {
                let code = int(t, &["exitCode"]).unwrap_or(0);
                let why = text(t, &["reason"]).unwrap_or("");
                detail.push_str(&format!("; last exit code {code}"));
                if !why.is_empty() {
                    detail.push_str(&format!(" ({why})"));
                }
            }
            detail.push(')');
            out.push((BLOCKING, key, detail));
            return;
        }
        if IMAGE_REASONS.contains(&reason) {
            let image = image_of(pod, cs, name);
            let mut detail = format!("{label} {name} {reason} for image {image}");
            if !message.is_empty() {
                detail.push_str(&format!(" ({message})"));
            }
            out.push((BLOCKING, format!("{key}|{image}"), detail));
            return;
        }
        if CREATE_REASONS.contains(&reason) {
            let detail = format!("{label} {name} {}", reason_message(reason, message, ""));
            out.push((BLOCKING, format!("{key}|{message}"), detail));
            return;
        }
        if !reason.is_empty() && !NORMAL_WAITING.contains(&reason) {
            let detail = format!("{label} {name} {}", reason_message(reason, message, ""));
            out.push((WARNING, key, detail));
        }
    }
    if oom {
        let detail = format!(
            "{label} {name} {} (restarted {})",
            oom_note(),
            times(restarts)
        );
        out.push((BLOCKING, format!("{label}|{name}|OOMKilled"), detail));
        return;
    }
    if let Some(t) = current {
        let code = int(t, &["exitCode"]).unwrap_or(0);
        if code != 0 {
            let why = reason_message(
                text(t, &["reason"]).unwrap_or(""),
                text(t, &["message"]).unwrap_or(""),
                "",
            );
            let mut detail = format!("{label} {name} exited with code {code}");
            if !why.is_empty() {
                detail.push_str(&format!(" ({why})"));
            }
            out.push((BLOCKING, format!("{label}|{name}|exit|{code}"), detail));
        }
    }
}

/// The problems pod status shows: (rank, key, detail).
fn status_problems(pod: &Value) -> Vec<(u8, String, String)> {
    let mut out = Vec::new();
    if let Some(c) = condition(pod, "PodScheduled")
        && c.status == "False"
    {
        let reason = if c.reason.is_empty() {
            "Unschedulable"
        } else {
            c.reason
        };
        out.push((
            BLOCKING,
            format!("unschedulable|{}", c.message),
            reason_message(reason, c.message, ""),
        ));
    }
    for cs in list(pod, &["status", "initContainerStatuses"]) {
        container_problems(pod, cs, true, &mut out);
    }
    for cs in list(pod, &["status", "containerStatuses"]) {
        container_problems(pod, cs, false, &mut out);
    }
    if text(pod, &["status", "phase"]) == Some("Failed") {
        // An evicted pod, a pod past its activeDeadlineSeconds; a pod whose containers
        // failed is explained by them.
        let reason = text(pod, &["status", "reason"]).unwrap_or("");
        let message = text(pod, &["status", "message"]).unwrap_or("");
        if !reason.is_empty() || out.is_empty() {
            out.push((
                BLOCKING,
                format!("failed|{reason}"),
                format!(
                    "failed: {}",
                    reason_message(reason, message, "phase Failed")
                ),
            ));
        }
    }
    out
}

/// How many times an event happened: `count` (core/v1) or `series.count`.
fn event_count(e: &Value) -> i64 {
    int(e, &["count"])
        .or_else(|| int(e, &["series", "count"]))
        .unwrap_or(1)
}

/// The container an event is about, from `fieldPath` ("spec.containers{app}").
fn event_container(e: &Value) -> Option<&str> {
    let path = e
        .get("involvedObject")
        .or_else(|| e.get("regarding"))
        .and_then(|o| text(o, &["fieldPath"]))?;
    let start = path.find('{')?;
    path.get(start + 1..)?.strip_suffix('}')
}

fn event_problem(e: &Value, subject: String, is_pod: bool) -> Problem {
    let reason = text(e, &["reason"]).unwrap_or("");
    let message = text(e, &["message"])
        .or_else(|| text(e, &["note"]))
        .unwrap_or("");
    let n = event_count(e);
    let seen = if n > 1 {
        format!(" ({})", times(n))
    } else {
        String::new()
    };
    let container = event_container(e);
    let on = container.map_or(String::new(), |c| format!("container {c} "));
    if reason == "Unhealthy" {
        // "Readiness probe failed: ..." with a pod IP in it: the probe is the key.
        let probe = message.split(':').next().unwrap_or("");
        return Problem {
            rank: PROBE,
            subject,
            key: format!("event|Unhealthy|{}|{probe}", container.unwrap_or("")),
            detail: format!("{on}Unhealthy: {message}{seen}"),
        };
    }
    let rank = if reason == "FailedCreate" {
        BLOCKING
    } else {
        WARNING
    };
    let key = if is_pod {
        format!("event|{reason}|{message}")
    } else {
        format!("event|{subject}|{reason}|{message}")
    };
    Problem {
        rank,
        subject,
        key,
        detail: format!("{on}{}{seen}", reason_message(reason, message, "Warning")),
    }
}

/// Why pods are not ready, one line each, from pod status and Events:
/// "pod web-abc-12345: container app CrashLoopBackOff (restarted 4 times: back-off
/// restarting failed container)", image pull failures with the image, Unschedulable (the
/// PodScheduled condition's message), CreateContainerConfigError (a missing ConfigMap or
/// Secret key), OOMKilled (with the memory limit), init containers, failed pods, readiness
/// probes failing (Warning Unhealthy events), FailedMount and other Warning events about
/// the pods, and Warning events about the workload itself or its ReplicaSets (FailedCreate
/// when a quota or admission refuses pods; pass `events` from [`events_for`]). Events of
/// pods not in `pods` are left out.
///
/// Deduplicated: the same problem on several pods is one line, of the first pod, ending
/// "(and N more pods)". At most `limit` lines, most severe first (what blocks the pods,
/// then other warnings, then failing probes).
pub fn pod_problems(pods: &[Value], events: &[Value], limit: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let mut with_status: BTreeSet<(&str, &str)> = BTreeSet::new();
    for p in pods {
        let Some(pod_name) = name(p) else {
            continue;
        };
        let found = status_problems(p);
        if !found.is_empty() {
            with_status.insert((namespace(p), pod_name));
        }
        problems.extend(found.into_iter().map(|(rank, key, detail)| Problem {
            rank,
            subject: format!("pod {pod_name}"),
            key,
            detail,
        }));
    }
    let pod_names: BTreeSet<(&str, &str)> = pods
        .iter()
        .filter_map(|p| Some((namespace(p), name(p)?)))
        .collect();
    for e in events.iter().filter(|e| is_warning(e)) {
        let Some((kind, obj_name, ns, _)) = event_object(e) else {
            continue;
        };
        if kind == "Pod" {
            let id = (ns.unwrap_or("default"), obj_name);
            let known = pod_names.contains(&id)
                || (ns.is_none() && pod_names.iter().any(|(_, n)| *n == obj_name));
            if !known {
                continue;
            }
            let reason = text(e, &["reason"]).unwrap_or("");
            let covered = with_status.contains(&id)
                || (ns.is_none() && with_status.iter().any(|(_, n)| *n == obj_name));
            if covered && STATUS_EVENT_REASONS.contains(&reason) {
                continue;
            }
            problems.push(event_problem(e, format!("pod {obj_name}"), true));
        } else {
            problems.push(event_problem(e, format!("{kind} {obj_name}"), false));
        }
    }
    problems.sort_by_key(|p| p.rank);

    // Merge by key, keeping the first line and counting the other subjects.
    let mut merged: Vec<(String, String, BTreeSet<String>)> = Vec::new();
    for p in problems {
        let line = format!("{}: {}", p.subject, p.detail);
        match merged.iter_mut().find(|(key, _, _)| *key == p.key) {
            Some((_, _, subjects)) => {
                subjects.insert(p.subject);
            }
            None => merged.push((p.key, line, BTreeSet::from([p.subject]))),
        }
    }
    merged
        .into_iter()
        .take(limit)
        .map(|(_, line, subjects)| {
            let more = subjects.len().saturating_sub(1);
            let line = match more {
                0 => line,
                1 => format!("{line} (and 1 more pod)"),
                n => format!("{line} (and {n} more pods)"),
            };
            escape::control(&line).into_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let y =
                format!("apiVersion: {api}\nkind: {kind}\nmetadata: {{name: x, generation: 1}}\n");
            assert_progressing(ready(&y), UNOBSERVED);
            assert_progressing(ready(&format!("{y}status: {{}}\n")), UNOBSERVED);
        }
    }

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

    fn deployment_with(edit: &str, by: &str) -> Readiness {
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
                "ProgressDeadlineExceeded: ReplicaSet \"web-5d4f\" has timed out progressing."
                    .into()
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

    // --- Pod -------------------------------------------------------------------------------

    #[test]
    fn pod_ready_progressing_failed() {
        let running = "
apiVersion: v1
kind: Pod
metadata: {name: web-abc-12345}
status:
  phase: Running
  conditions: [{type: PodScheduled, status: 'True'}, {type: Ready, status: 'True'}]
";
        assert_eq!(ready(running), Readiness::Ready);
        assert_eq!(
            ready("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Succeeded}\n"),
            Readiness::Ready
        );
        assert_eq!(
            ready(
                "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Failed, reason: Evicted, message: 'The node was low on resource: memory.'}\n"
            ),
            Readiness::Failed("Evicted: The node was low on resource: memory.".into())
        );
        assert_eq!(
            ready(&running.replace("{type: Ready, status: 'True'}]", "{type: Ready, status: 'False'}]\n  containerStatuses: [{name: app, state: {waiting: {reason: CrashLoopBackOff}}}]")),
            Readiness::Progressing("container app CrashLoopBackOff".into())
        );
        assert_progressing(
            ready(
                "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus:\n  phase: Pending\n  conditions: [{type: PodScheduled, status: 'False', reason: Unschedulable, message: '0/3 nodes are available: insufficient cpu'}]\n",
            ),
            "not scheduled: Unschedulable: 0/3 nodes are available: insufficient cpu",
        );
        assert_eq!(
            ready("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Pending}\n"),
            Readiness::Progressing("phase Pending, not ready".into())
        );
    }

    // --- PersistentVolumeClaim, CRD, Service ----------------------------------------------

    #[test]
    fn pvc_bound_pending_lost() {
        let pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec: {accessModes: [ReadWriteOnce]}\nstatus: {phase: PHASE}\n";
        assert_eq!(ready(&pvc.replace("PHASE", "Bound")), Readiness::Ready);
        assert_eq!(
            ready(&pvc.replace("PHASE", "Pending")),
            Readiness::Progressing("phase Pending".into())
        );
        assert_failed(ready(&pvc.replace("PHASE", "Lost")), "Lost");
    }

    #[test]
    fn crd_established_names_not_accepted() {
        let crd = "
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
status:
  conditions:
  - {type: NamesAccepted, status: 'True', reason: NoConflicts}
  - {type: Established, status: 'True', reason: InitialNamesAccepted}
";
        assert_eq!(ready(crd), Readiness::Ready);
        assert_progressing(
            ready(&crd.replace(
                "{type: Established, status: 'True', reason: InitialNamesAccepted}",
                "{type: Established, status: 'False', reason: Installing}",
            )),
            "not established: Installing",
        );
        assert_failed(
            ready(&crd.replace(
                "{type: NamesAccepted, status: 'True', reason: NoConflicts}",
                "{type: NamesAccepted, status: 'False', reason: ListKindConflict, message: '\"WidgetList\" is already in use'}",
            )),
            "ListKindConflict: \"WidgetList\" is already in use",
        );
    }

    #[test]
    fn services_wait_for_a_load_balancer_only_when_asked() {
        let lb = "apiVersion: v1\nkind: Service\nmetadata: {name: front}\nspec: {type: LoadBalancer}\nstatus: {loadBalancer: {}}\n";
        let on = ReadyOptions {
            load_balancer: true,
        };
        assert_eq!(ready(lb), Readiness::Ready);
        assert_progressing(readiness(&obj(lb), on), "load balancer");
        let with_ip = lb.replace(
            "loadBalancer: {}",
            "loadBalancer: {ingress: [{ip: 203.0.113.7}]}",
        );
        assert_eq!(readiness(&obj(&with_ip), on), Readiness::Ready);
        let cluster_ip =
            "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {type: ClusterIP}\n";
        assert_eq!(readiness(&obj(cluster_ip), on), Readiness::Ready);
        // A Service never fails: an unallocated address stays Progressing.
        assert_progressing(
            readiness(&obj(&lb.replace("status: {loadBalancer: {}}\n", "")), on),
            "load balancer",
        );
    }

    #[test]
    fn messages_from_the_cluster_are_escaped() {
        let r = deployment_with(
            "{type: Progressing, status: 'True', reason: NewReplicaSetAvailable}",
            "{type: Progressing, status: 'False', reason: ProgressDeadlineExceeded, message: \"evil\\n::error::x\\e[31m\"}",
        );
        assert_eq!(
            r,
            Readiness::Failed("ProgressDeadlineExceeded: evil\\n::error::x\\x1b[31m".into())
        );
    }

    #[test]
    fn readiness_serializes_for_json_reports() {
        assert_eq!(
            serde_json::to_string(&Readiness::Ready).unwrap(),
            "\"Ready\""
        );
        assert_eq!(
            serde_json::to_string(&Readiness::Progressing("paused".into())).unwrap(),
            "{\"Progressing\":\"paused\"}"
        );
    }

    // --- pods_of ---------------------------------------------------------------------------

    const PODS: &str = "
- metadata: {name: web-1, namespace: shop, labels: {app: web, tier: front, track: stable}}
- metadata: {name: web-2, namespace: shop, labels: {app: web, tier: front, track: canary}}
- metadata: {name: web-3, namespace: shop, labels: {app: web, tier: back}}
- metadata: {name: web-4, namespace: other, labels: {app: web, tier: front}}
- metadata: {name: api-1, namespace: shop, labels: {app: api}}
- metadata: {name: migrate-x7k2p, namespace: shop, labels: {batch.kubernetes.io/job-name: migrate, job-name: migrate}}
- metadata: {name: old-job-pod, namespace: shop, labels: {job-name: migrate}}
- metadata: {name: unlabelled, namespace: shop}
";

    fn names(pods: &[&Value]) -> Vec<String> {
        pods.iter()
            .map(|p| name(p).unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn pods_of_match_labels_and_expressions() {
        let pods = objs(PODS);
        let d = obj("
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector:
    matchLabels: {app: web}
    matchExpressions:
    - {key: tier, operator: In, values: [front, edge]}
    - {key: track, operator: NotIn, values: [canary]}
");
        assert_eq!(names(&pods_of(&d, &pods)), ["web-1"]);
        let exists = obj("
kind: StatefulSet
metadata: {name: web, namespace: shop}
spec:
  selector:
    matchExpressions:
    - {key: app, operator: Exists}
    - {key: track, operator: DoesNotExist}
");
        assert_eq!(names(&pods_of(&exists, &pods)), ["web-3", "api-1"]);
        let bad_op = obj(
            "kind: DaemonSet\nmetadata: {name: w, namespace: shop}\nspec: {selector: {matchExpressions: [{key: app, operator: Gt, values: ['1']}]}}\n",
        );
        assert!(pods_of(&bad_op, &pods).is_empty());
    }

    #[test]
    fn pods_of_jobs_rcs_pods_and_empty_selectors() {
        let pods = objs(PODS);
        let job = obj(
            "kind: Job\nmetadata: {name: migrate, namespace: shop}\nspec: {selector: {matchLabels: {batch.kubernetes.io/controller-uid: 1234}}}\n",
        );
        assert_eq!(
            names(&pods_of(&job, &pods)),
            ["migrate-x7k2p", "old-job-pod"]
        );
        let rc = obj(
            "kind: ReplicationController\nmetadata: {name: api, namespace: shop}\nspec: {selector: {app: api}}\n",
        );
        assert_eq!(names(&pods_of(&rc, &pods)), ["api-1"]);
        let pod = obj("kind: Pod\nmetadata: {name: web-2, namespace: shop}\n");
        assert_eq!(names(&pods_of(&pod, &pods)), ["web-2"]);
        // A missing or empty selector selects nothing (not everything).
        for spec in ["{}", "{selector: {}}", "{selector: {matchLabels: {}}}"] {
            let d = obj(&format!(
                "kind: Deployment\nmetadata: {{name: web, namespace: shop}}\nspec: {spec}\n"
            ));
            assert!(pods_of(&d, &pods).is_empty(), "{spec}");
        }
        // A workload without a namespace is in `default`.
        let d = obj(
            "kind: Deployment\nmetadata: {name: web}\nspec: {selector: {matchLabels: {app: web}}}\n",
        );
        assert!(pods_of(&d, &pods).is_empty());
    }

    // --- events_for ------------------------------------------------------------------------

    #[test]
    fn events_for_the_object_its_pods_and_replicasets_warning_first() {
        let events = objs("
- {metadata: {name: e1}, type: Normal, reason: ScalingReplicaSet, involvedObject: {kind: Deployment, name: web, namespace: shop, uid: d-1}}
- {metadata: {name: e2}, type: Warning, reason: FailedCreate, involvedObject: {kind: ReplicaSet, name: web-5d4f8, namespace: shop}}
- {metadata: {name: e3}, type: Normal, reason: Pulled, involvedObject: {kind: Pod, name: web-5d4f8-abcde, namespace: shop}}
- {metadata: {name: e4}, type: Warning, reason: BackOff, involvedObject: {kind: Pod, name: web-5d4f8-abcde, namespace: shop}}
- {metadata: {name: e5}, type: Warning, reason: BackOff, involvedObject: {kind: Pod, name: web-5d4f8-abcde, namespace: other}}
- {metadata: {name: e6}, type: Warning, reason: FailedCreate, involvedObject: {kind: ReplicaSet, name: web-api-7c9, namespace: shop}}
- {metadata: {name: e7}, type: Normal, reason: ScalingReplicaSet, involvedObject: {kind: Deployment, name: web, namespace: shop, uid: d-0}}
- {metadata: {name: e8, namespace: shop}, type: Warning, reason: Unhealthy, regarding: {kind: Pod, name: web-5d4f8-abcde}}
- {metadata: {name: e9}, type: Warning, reason: FailedCreate, involvedObject: {kind: ReplicaSet, name: frontend-x, namespace: shop}}
");
        let d = obj("kind: Deployment\nmetadata: {name: web, namespace: shop, uid: d-1}\n");
        let pod = obj(
            "metadata: {name: web-5d4f8-abcde, namespace: shop, ownerReferences: [{kind: ReplicaSet, name: frontend-x}]}\n",
        );
        let got: Vec<&str> = events_for(&d, &[&pod], &events)
            .iter()
            .map(|e| text(e, &["metadata", "name"]).unwrap())
            .collect();
        assert_eq!(got, ["e2", "e4", "e8", "e9", "e1", "e3"]);
        // Events about the claims the pods mount, in the pods' namespace.
        let sts_pod = obj(
            "metadata: {name: db-0, namespace: shop}\nspec: {volumes: [{name: data, persistentVolumeClaim: {claimName: data-db-0}}, {name: tmp, emptyDir: {}}]}\n",
        );
        let sts = obj("kind: StatefulSet\nmetadata: {name: db, namespace: shop}\n");
        let ev = objs("
- {metadata: {name: p1}, type: Warning, reason: ProvisioningFailed, involvedObject: {kind: PersistentVolumeClaim, name: data-db-0, namespace: shop}}
- {metadata: {name: p2}, type: Warning, reason: ProvisioningFailed, involvedObject: {kind: PersistentVolumeClaim, name: data-db-0, namespace: other}}
- {metadata: {name: p3}, type: Warning, reason: ProvisioningFailed, involvedObject: {kind: PersistentVolumeClaim, name: data-db-1, namespace: shop}}
");
        let got = events_for(&sts, &[&sts_pod], &ev);
        assert_eq!(got.len(), 1);
        assert_eq!(text(got[0], &["metadata", "name"]), Some("p1"));
        // A cluster-scoped object matches events whatever their namespace.
        let crd = obj("kind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n");
        let ev = objs(
            "- {metadata: {name: c, namespace: default}, type: Warning, involvedObject: {kind: CustomResourceDefinition, name: widgets.example.com}}\n",
        );
        assert_eq!(events_for(&crd, &[], &ev).len(), 1);
    }

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
}
