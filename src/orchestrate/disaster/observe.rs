//! How a drill looks at the set in the scratch namespace: which of its objects exist, what
//! they hold, how ready its workloads are, whether it drifts from the files (a deploy dry
//! run), and the extended validation (every object compared with before the failure, the
//! namespace scanned through the gate).

use serde::Serialize;
use serde_json::Value;

use super::{Drill, DrillResult, run_deploy};
use crate::cluster::diff::Change;

/// The readiness of one workload (`Kind/name`) at a moment of the drill.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WorkloadHealth {
    pub workload: String,
    pub ready: i64,
    pub desired: i64,
}

impl WorkloadHealth {
    pub fn healthy(&self) -> bool {
        self.ready >= self.desired
    }

    pub(super) fn shown(&self) -> String {
        format!("{} {}/{} ready", self.workload, self.ready, self.desired)
    }
}

/// (ready, desired) replicas of a live Deployment, StatefulSet or DaemonSet.
pub fn readiness(live: &Value) -> (i64, i64) {
    let n = |p: &str| live.pointer(p).and_then(Value::as_i64);
    match live.get("kind").and_then(Value::as_str) {
        Some("DaemonSet") => (
            n("/status/numberReady").unwrap_or(0),
            n("/status/desiredNumberScheduled").unwrap_or(0),
        ),
        _ => (
            n("/status/readyReplicas").unwrap_or(0),
            n("/spec/replicas").unwrap_or(1),
        ),
    }
}

/// How many of `objects` (apiVersion, kind, name) exist in the scratch namespace.
pub(super) async fn present(d: &Drill<'_>, objects: &[(String, String, String)]) -> usize {
    let ns = d.deploy.namespace.as_str();
    let mut n = 0;
    for (v, k, name) in objects {
        if let Ok(t) = d.cluster.resource_type(v, k).await
            && let Ok(Some(_)) = d.cluster.get_object(&t, Some(ns), name).await
        {
            n += 1;
        }
    }
    n
}

/// The `spec` and `data` of each of `objects` as live now (absent ones left out).
pub(super) async fn contents(
    d: &Drill<'_>,
    objects: &[(String, String, String)],
) -> std::collections::BTreeMap<String, (Value, Value)> {
    let ns = d.deploy.namespace.as_str();
    let mut out = std::collections::BTreeMap::new();
    for (v, k, name) in objects {
        if let Ok(t) = d.cluster.resource_type(v, k).await
            && let Ok(Some(o)) = d.cluster.get_object(&t, Some(ns), name).await
        {
            let part = |p: &str| o.get(p).cloned().unwrap_or(Value::Null);
            out.insert(format!("{k}/{name}"), (part("spec"), part("data")));
        }
    }
    out
}

/// (apiVersion, kind, name) of each of `objects`.
pub(super) fn watched_objects(objects: &[Value]) -> Vec<(String, String, String)> {
    objects
        .iter()
        .filter_map(|o| {
            Some((
                o.get("apiVersion")?.as_str()?.to_string(),
                o.get("kind")?.as_str()?.to_string(),
                o.pointer("/metadata/name")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The keys of `before` whose value differs in `after` (or is missing there).
pub(super) fn compare(
    before: &std::collections::BTreeMap<String, (Value, Value)>,
    after: &std::collections::BTreeMap<String, (Value, Value)>,
) -> Vec<String> {
    before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// The live readiness of each of `workloads` (apiVersion, kind, name); one that cannot be
/// read counts as 0 ready.
pub(super) async fn health_of(
    d: &Drill<'_>,
    workloads: &[(String, String, String)],
) -> Vec<WorkloadHealth> {
    let ns = d.deploy.namespace.as_str();
    let mut out = Vec::new();
    for (v, k, name) in workloads {
        let live = match d.cluster.resource_type(v, k).await {
            Ok(t) => d
                .cluster
                .get_object(&t, Some(ns), name)
                .await
                .ok()
                .flatten(),
            Err(_) => None,
        };
        let (ready, desired) = live.as_ref().map(readiness).unwrap_or((0, 1));
        out.push(WorkloadHealth {
            workload: format!("{k}/{name}"),
            ready,
            desired,
        });
    }
    out
}

/// The health of `workloads` as one step line.
pub(super) fn health_line(h: &[WorkloadHealth]) -> String {
    if h.is_empty() {
        return "none".into();
    }
    h.iter()
        .map(WorkloadHealth::shown)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--extended-validation`: every object of the set holds (spec and data) what it held
/// before the failure, and the recovered namespace passes the gate. Either failing
/// withdraws the verification.
pub(super) async fn extended_validation(
    d: &Drill<'_>,
    r: &mut DrillResult,
    watched: &[(String, String, String)],
    before: &std::collections::BTreeMap<String, (Value, Value)>,
) {
    r.extended_validation = true;
    let after = contents(d, watched).await;
    let differ = compare(before, &after);
    if before.len() != watched.len() {
        r.verified = false;
        r.errors.push(format!(
            "extended validation: only {} of the set's {} objects could be read before the failure",
            before.len(),
            watched.len()
        ));
    } else if !differ.is_empty() {
        r.verified = false;
        r.errors.push(format!(
            "extended validation: these objects differ from before the failure: {}",
            differ.join(", ")
        ));
    } else {
        r.steps.push(format!(
            "extended validation: the {} objects of the set hold what they held before the failure (spec and data)",
            before.len()
        ));
    }
    // The scan of what runs in the namespace now, through the gate of the deploy.
    let opts = crate::cluster::ReadOptions {
        namespaces: vec![d.deploy.namespace.clone()],
        ..Default::default()
    };
    let mut live = Vec::new();
    let read = crate::cluster::read::read(d.cluster, &opts, &mut |page| live.extend(page)).await;
    if let Err(e) = read {
        r.verified = false;
        r.errors.push(format!(
            "extended validation: cannot read the namespace: {e}"
        ));
        return;
    }
    let load = d.scanner.options().load.clone();
    let (documents, _) =
        tokio::task::block_in_place(|| crate::cluster::live::to_documents(live, &load));
    let scanner = d.scanner.clone();
    let gate = d.gate;
    let n = documents.len();
    let outcome = tokio::task::spawn_blocking(move || scanner.scan_documents(documents)).await;
    match outcome
        .map_err(|e| e.to_string())
        .and_then(|o| o.map_err(|e| e.to_string()))
    {
        Ok(o) => {
            let verdict = gate.verdict(&o.findings, o.errors.len());
            if verdict == crate::gate::Verdict::Pass {
                r.steps.push(format!(
                    "extended validation: scanned the {n} objects of the recovered namespace: {} findings, the gate passes",
                    o.findings.len()
                ));
            } else {
                r.verified = false;
                r.errors.push(format!(
                    "extended validation: the recovered namespace fails the gate ({} findings)",
                    o.findings.len()
                ));
            }
        }
        Err(e) => {
            r.verified = false;
            r.errors
                .push(format!("extended validation: the scan did not finish: {e}"));
        }
    }
}

/// A deploy dry run of the set: whether it stopped, and the objects it would change.
pub(super) async fn drift_of(d: &Drill<'_>) -> (bool, Vec<String>) {
    let check = d.deploy.drift_check();
    let o = run_deploy(d, &d.objects, &check).await;
    let drift = o
        .diffs
        .iter()
        .filter(|x| x.change != Change::Unchanged)
        .map(|x| x.object.clone())
        .collect();
    (o.stopped.is_some(), drift)
}

/// The set in the scratch namespace holds what the files say again (a deploy dry run finds
/// nothing to change).
pub(super) async fn verify(d: &Drill<'_>, r: &mut DrillResult) -> bool {
    let (stopped, drift) = drift_of(d).await;
    if !stopped && drift.is_empty() {
        r.steps
            .push("verified: the live objects hold what the files say".into());
        true
    } else {
        r.errors.push(format!(
            "after recovery the live objects differ from the files: {}",
            drift.join(", ")
        ));
        false
    }
}
