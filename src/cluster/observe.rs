//! What the health score ([`crate::health`]) is computed from, read from the cluster: a
//! set's workloads (Deployments, StatefulSets, DaemonSets), the pods their selectors pick,
//! and the Events about them. Which pods and Events belong to a workload is decided by pure
//! functions, tested on literal YAML; the reads around them are thin.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Cluster;
use crate::diag::Diagnostic;
use crate::health::{self, Health, Weights};

/// A workload whose health counts: `(namespace, kind, name)`.
pub type WorkloadRef = (String, String, String);

/// The kinds the health score looks at.
pub fn is_scored(kind: &str) -> bool {
    matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet")
}

/// The live objects behind a health score.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub workloads: Vec<Value>,
    pub pods: Vec<Value>,
    pub events: Vec<Value>,
}

impl Observed {
    /// The health score of what was observed, counting restarts and Warning Events of the
    /// last `window` seconds.
    pub fn health(&self, security: Option<f64>, weights: &Weights, window: i64) -> Health {
        health::score(
            &health::Inputs {
                workloads: &self.workloads,
                pods: &self.pods,
                events: &self.events,
                security_score: security,
                now: jiff::Timestamp::now().as_second(),
                window: window.max(1),
            },
            weights,
        )
    }
}

fn str_at<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

/// Whether `labels` satisfy a LabelSelector (`matchLabels` and `matchExpressions`). An
/// empty or missing selector selects nothing (a workload always has one; an empty one
/// would select every pod of the namespace).
pub fn selects(selector: &Value, labels: &Value) -> bool {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    let mut any = false;
    if let Some(m) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in m {
            any = true;
            if label(k) != v.as_str() {
                return false;
            }
        }
    }
    if let Some(exprs) = selector.get("matchExpressions").and_then(Value::as_array) {
        for e in exprs {
            any = true;
            let key = str_at(e, "/key");
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .map(|vs| vs.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let ok = match str_at(e, "/operator") {
                "In" => label(key).is_some_and(|l| values.contains(&l)),
                "NotIn" => label(key).is_none_or(|l| !values.contains(&l)),
                "Exists" => label(key).is_some(),
                "DoesNotExist" => label(key).is_none(),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    any
}

/// The pods of `workloads` among `pods` (same namespace, picked by the selector).
pub fn pods_of(workloads: &[Value], pods: &[Value]) -> Vec<Value> {
    pods.iter()
        .filter(|p| {
            let ns = str_at(p, "/metadata/namespace");
            let labels = p.pointer("/metadata/labels").unwrap_or(&Value::Null);
            workloads.iter().any(|w| {
                str_at(w, "/metadata/namespace") == ns
                    && w.pointer("/spec/selector")
                        .is_some_and(|s| selects(s, labels))
            })
        })
        .cloned()
        .collect()
}

/// The Events about `workloads`, their ReplicaSets (`<deployment>-<hash>`) and `pods`.
pub fn events_of(workloads: &[Value], pods: &[Value], events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| {
            let kind = str_at(e, "/involvedObject/kind");
            let name = str_at(e, "/involvedObject/name");
            let ns = str_at(e, "/involvedObject/namespace");
            let ns = if ns.is_empty() {
                str_at(e, "/metadata/namespace")
            } else {
                ns
            };
            let same = |o: &Value| str_at(o, "/metadata/namespace") == ns;
            match kind {
                "Pod" => pods
                    .iter()
                    .any(|p| same(p) && str_at(p, "/metadata/name") == name),
                "ReplicaSet" => workloads.iter().any(|w| {
                    same(w)
                        && str_at(w, "/kind") == "Deployment"
                        && name
                            .strip_prefix(str_at(w, "/metadata/name"))
                            .is_some_and(|rest| rest.starts_with('-'))
                }),
                _ => workloads.iter().any(|w| {
                    same(w) && str_at(w, "/kind") == kind && str_at(w, "/metadata/name") == name
                }),
            }
        })
        .cloned()
        .collect()
}

/// A workload that should exist and does not: it counts as wanted and unavailable.
fn missing(ns: &str, kind: &str, name: &str) -> Value {
    json!({"kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": {"replicas": 1}, "status": {}})
}

/// Reads the workloads named in `refs`, their pods and the Events about them.
pub async fn observe(cluster: &Cluster, refs: &[WorkloadRef]) -> Result<Observed, Diagnostic> {
    let mut out = Observed::default();
    let mut by_ns: BTreeMap<&str, Vec<&WorkloadRef>> = BTreeMap::new();
    for r in refs.iter().filter(|r| is_scored(&r.1)) {
        by_ns.entry(r.0.as_str()).or_default().push(r);
    }
    if by_ns.is_empty() {
        return Ok(out);
    }
    let pod_t = cluster.resource_type("v1", "Pod").await?;
    let event_t = cluster.resource_type("v1", "Event").await?;
    let mut types = BTreeMap::new();
    for (ns, refs) in by_ns {
        let mut workloads = Vec::new();
        for (_, kind, name) in refs {
            let t = match types.get(kind.as_str()) {
                Some(t) => t,
                None => {
                    let t = cluster.resource_type("apps/v1", kind).await?;
                    types.entry(kind.as_str()).or_insert(t)
                }
            };
            match cluster.get_object(t, Some(ns), name).await? {
                Some(w) => workloads.push(w),
                None => workloads.push(missing(ns, kind, name)),
            }
        }
        let pods = pods_of(
            &workloads,
            &cluster.list_objects(&pod_t, Some(ns), None).await?,
        );
        let events = events_of(
            &workloads,
            &pods,
            &cluster.list_objects(&event_t, Some(ns), None).await?,
        );
        out.workloads.extend(workloads);
        out.pods.extend(pods);
        out.events.extend(events);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap_or(Value::Null)
    }

    #[test]
    fn selectors_match_labels_and_expressions_and_an_empty_one_nothing() {
        let labels = v("{app: web, tier: front}");
        assert!(selects(&v("matchLabels: {app: web}"), &labels));
        assert!(!selects(&v("matchLabels: {app: api}"), &labels));
        assert!(selects(
            &v("matchExpressions: [{key: tier, operator: In, values: [front, back]}]"),
            &labels
        ));
        assert!(!selects(
            &v("matchExpressions: [{key: tier, operator: NotIn, values: [front]}]"),
            &labels
        ));
        assert!(selects(
            &v("matchExpressions: [{key: canary, operator: DoesNotExist}]"),
            &labels
        ));
        assert!(!selects(&v("{}"), &labels));
        assert!(!selects(
            &v("matchExpressions: [{key: app, operator: Weird}]"),
            &labels
        ));
    }

    #[test]
    fn pods_and_events_belong_to_their_workload_in_its_namespace() {
        let w = [v(
            "kind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: {selector: {matchLabels: {app: web}}}",
        )];
        let pods = [
            v("kind: Pod\nmetadata: {name: web-7f-abc, namespace: shop, labels: {app: web}}"),
            v("kind: Pod\nmetadata: {name: web-7f-def, namespace: other, labels: {app: web}}"),
            v("kind: Pod\nmetadata: {name: api-1, namespace: shop, labels: {app: api}}"),
        ];
        let mine = pods_of(&w, &pods);
        assert_eq!(mine.len(), 1);
        let events = [
            v("involvedObject: {kind: Pod, name: web-7f-abc, namespace: shop}\ntype: Warning"),
            v("involvedObject: {kind: ReplicaSet, name: web-7f, namespace: shop}\ntype: Warning"),
            v(
                "involvedObject: {kind: ReplicaSet, name: webhook-1, namespace: shop}\ntype: Warning",
            ),
            v("involvedObject: {kind: Deployment, name: web, namespace: shop}\ntype: Normal"),
            v("involvedObject: {kind: Pod, name: api-1, namespace: shop}\ntype: Warning"),
            v("metadata: {namespace: shop}\ninvolvedObject: {kind: Deployment, name: web}"),
        ];
        assert_eq!(events_of(&w, &mine, &events).len(), 4);
    }

    #[test]
    fn a_missing_workload_counts_as_unavailable() {
        let o = Observed {
            workloads: vec![missing("shop", "Deployment", "web")],
            ..Observed::default()
        };
        let h = o.health(None, &Weights::default(), 60);
        assert_eq!((h.desired_replicas, h.ready_replicas), (1, 0));
        assert!(h.score < 60, "{h:?}");
    }
}
