//! Which pods and Events belong to a workload: label selectors (matchLabels and
//! matchExpressions), Job names, a Deployment's ReplicaSets, the claims its pods mount, and
//! `involvedObject` / `regarding` of both Event APIs.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{at, labels, list, text};

pub(super) fn name(v: &Value) -> Option<&str> {
    text(v, &["metadata", "name"]).filter(|n| !n.is_empty())
}

/// The namespace of a namespaced object; a missing one is `default`.
pub(super) fn namespace(v: &Value) -> &str {
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
pub(super) fn event_object(e: &Value) -> Option<(&str, &str, Option<&str>, Option<&str>)> {
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

pub(super) fn is_warning(e: &Value) -> bool {
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
