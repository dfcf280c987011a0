//! `confgate monitor`: the health and metrics of the deployed configuration, per namespace,
//! and confgate's own lifecycle (the last deploy and rollback of every set, from the
//! revision store).
//!
//! One monitoring pass ([`collect`]) reads the namespaces' pods, workloads and Events (one
//! cluster-wide list per type when many namespaces are watched, else one list per
//! namespace, a few at a time), scans the live workloads once with the same rules as
//! `confgate scan`, and summarises each namespace with a pure function ([`summarise`]):
//! the shared health score ([`crate::health`]), pods by phase, replicas, restarts, live
//! findings and the security/compliance scores. [`expose`] renders a [`Snapshot`] as
//! Prometheus text, JSON or CSV.

pub mod alert;
pub mod chart;
pub mod expose;
pub mod history;
pub mod serve;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::catalog::Severity;
use crate::cluster::{Cluster, ResourceType};
use crate::diag::{Code, Diagnostic};
use crate::finding::Finding;
use crate::gate::Gate;
use crate::health::{Health, Weights};
use crate::scan::Scanner;

/// The pod phases, always all exported (a phase with no pod is a 0, not a missing series).
pub const PHASES: [&str; 5] = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];

/// The window (seconds) restarts and Warning Events count in.
pub const WINDOW_SECS: i64 = 300;

/// Desired and ready replicas of one workload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replicas {
    pub name: String,
    pub desired: u64,
    pub ready: u64,
}

/// One namespace at one moment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamespaceStatus {
    pub namespace: String,
    pub health: Health,
    pub pods_by_phase: BTreeMap<String, u64>,
    pub deployments: Vec<Replicas>,
    pub statefulsets: Vec<Replicas>,
    pub daemonsets: Vec<Replicas>,
    /// Container restarts of the namespace's pods (their restart counts summed).
    pub container_restarts: u64,
    /// Live findings of the namespace's workloads, by severity (every severity present).
    pub findings: BTreeMap<Severity, usize>,
    pub security_score: u32,
    /// Per framework, the share of checked controls that pass (0–100).
    pub compliance: BTreeMap<String, u32>,
}

/// A deployed set as its revision store says.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SetStatus {
    pub set: String,
    pub namespace: String,
    /// The newest complete revision.
    pub revision: u64,
    /// Seconds since the epoch.
    pub deployed_at: i64,
    /// `succeeded`, `failed`, `timed-out`, `interrupted`, `pending`.
    pub rollout: String,
    pub health: Option<u32>,
    /// Findings at or above the gate when it was deployed.
    pub blocking_findings: usize,
    pub revisions: usize,
    /// The newest revision that rolled back (`roll forward to the content of N`), with its
    /// time.
    pub last_rollback: Option<(u64, i64)>,
}

/// One monitoring pass.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Snapshot {
    /// Seconds since the epoch.
    pub taken_at: i64,
    pub seconds: f64,
    pub context: String,
    /// Whether the cluster answered.
    pub reachable: bool,
    pub namespaces: Vec<NamespaceStatus>,
    pub sets: Vec<SetStatus>,
    /// What could not be read (one line each); the pass goes on without it.
    pub errors: Vec<String>,
}

impl Snapshot {
    /// The lowest health score (100 when no namespace is watched).
    pub fn lowest_health(&self) -> u32 {
        self.namespaces
            .iter()
            .map(|n| n.health.score)
            .min()
            .unwrap_or(100)
    }
}

fn str_at<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

fn replicas(w: &Value) -> Replicas {
    let int = |p: &str| w.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    let (desired, ready) = match str_at(w, "/kind") {
        "DaemonSet" => (
            int("/status/desiredNumberScheduled"),
            int("/status/numberReady"),
        ),
        _ => (
            w.pointer("/spec/replicas")
                .and_then(Value::as_u64)
                .unwrap_or(1),
            int("/status/readyReplicas"),
        ),
    };
    Replicas {
        name: str_at(w, "/metadata/name").to_string(),
        desired,
        ready,
    }
}

/// A namespace's status from its live objects (workloads: Deployments, StatefulSets,
/// DaemonSets) and the live findings of its workloads among `scanned` documents.
#[allow(clippy::too_many_arguments)]
pub fn summarise(
    namespace: &str,
    workloads: &[Value],
    pods: &[Value],
    events: &[Value],
    findings: &[&Finding],
    scanned: usize,
    compliance: BTreeMap<String, u32>,
    weights: &Weights,
    now: i64,
) -> NamespaceStatus {
    let counted: Vec<Finding> = findings
        .iter()
        .filter(|f| Gate::counts(f))
        .map(|f| (*f).clone())
        .collect();
    let security_score = crate::finding::security_score(&counted, scanned);
    let health = crate::health::score(
        &crate::health::Inputs {
            workloads,
            pods,
            events,
            security_score: (scanned > 0).then_some(f64::from(security_score)),
            now,
            window: WINDOW_SECS,
        },
        weights,
    );
    let mut pods_by_phase: BTreeMap<String, u64> =
        PHASES.iter().map(|p| (p.to_string(), 0)).collect();
    let mut container_restarts = 0;
    for p in pods {
        let phase = match str_at(p, "/status/phase") {
            ph if PHASES.contains(&ph) => ph,
            _ => "Unknown",
        };
        *pods_by_phase.entry(phase.to_string()).or_default() += 1;
        if let Some(cs) = p
            .pointer("/status/containerStatuses")
            .and_then(Value::as_array)
        {
            container_restarts += cs
                .iter()
                .filter_map(|c| c.get("restartCount").and_then(Value::as_u64))
                .sum::<u64>();
        }
    }
    let of = |kind: &str| -> Vec<Replicas> {
        let mut v: Vec<Replicas> = workloads
            .iter()
            .filter(|w| str_at(w, "/kind") == kind)
            .map(replicas)
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    };
    let mut by_severity: BTreeMap<Severity, usize> =
        Severity::ALL.iter().map(|s| (*s, 0)).collect();
    for f in &counted {
        *by_severity.entry(f.severity).or_default() += 1;
    }
    NamespaceStatus {
        namespace: namespace.to_string(),
        health,
        pods_by_phase,
        deployments: of("Deployment"),
        statefulsets: of("StatefulSet"),
        daemonsets: of("DaemonSet"),
        container_restarts,
        findings: by_severity,
        security_score,
        compliance,
    }
}

/// The sets whose revision chunk 0s are among `chunk0s`, each at its newest complete
/// revision.
pub fn sets_of(chunk0s: &[Value]) -> Vec<SetStatus> {
    let mut by_set: BTreeMap<(String, String), Vec<crate::revision::RevisionSummary>> =
        BTreeMap::new();
    for c in chunk0s {
        if let Ok(s) = crate::revision::encode::summary_of(c)
            && s.complete
        {
            by_set
                .entry((s.namespace.clone(), s.set.clone()))
                .or_default()
                .push(s);
        }
    }
    let mut out = Vec::new();
    for ((namespace, set), mut revs) in by_set {
        revs.sort_by_key(|r| r.number);
        let Some(last) = revs.last() else { continue };
        let last_rollback = revs
            .iter()
            .rev()
            .find(|r| {
                r.description
                    .as_deref()
                    .is_some_and(|d| d.starts_with("roll forward to the content of"))
            })
            .map(|r| (r.number, r.created.as_second()));
        out.push(SetStatus {
            set,
            namespace,
            revision: last.number,
            deployed_at: last.created.as_second(),
            rollout: last.rollout.state().to_string(),
            health: last.health,
            blocking_findings: last.scan.blocking,
            revisions: revs.len(),
            last_rollback,
        });
    }
    out
}

/// What a monitoring pass looks at.
#[derive(Clone, Debug, Default)]
pub struct MonitorOptions {
    /// The namespaces; empty with `all_namespaces` false means none.
    pub namespaces: Vec<String>,
    pub all_namespaces: bool,
    pub weights: Weights,
    /// Where the backup lifecycle is recorded (`backup-state.json`): its series are
    /// exposed with the others.
    pub state_dir: Option<std::path::PathBuf>,
}

/// Lists `t` in every namespace of `opts` (one cluster-wide list when many or all are
/// watched), grouped by namespace.
async fn list_grouped(
    cluster: &Cluster,
    t: &ResourceType,
    opts: &MonitorOptions,
) -> Result<BTreeMap<String, Vec<Value>>, Diagnostic> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    if opts.all_namespaces || opts.namespaces.len() > 4 {
        for o in cluster.list_objects(t, None, None).await? {
            let ns = str_at(&o, "/metadata/namespace").to_string();
            if opts.all_namespaces || opts.namespaces.contains(&ns) {
                out.entry(ns).or_default().push(o);
            }
        }
    } else {
        // At most four namespaces here: listed side by side.
        let lists = futures::future::join_all(
            opts.namespaces
                .iter()
                .map(|ns| cluster.list_objects(t, Some(ns.as_str()), None)),
        )
        .await;
        for (ns, r) in opts.namespaces.iter().zip(lists) {
            out.insert(ns.clone(), r?);
        }
    }
    Ok(out)
}

/// One monitoring pass over the namespaces of `opts`.
pub async fn collect(cluster: &Cluster, scanner: &Arc<Scanner>, opts: &MonitorOptions) -> Snapshot {
    let started = Instant::now();
    let mut snap = Snapshot {
        taken_at: jiff::Timestamp::now().as_second(),
        context: cluster.context().to_string(),
        reachable: true,
        ..Snapshot::default()
    };
    let kinds = [
        ("v1", "Pod"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("v1", "Event"),
    ];
    let mut lists: Vec<BTreeMap<String, Vec<Value>>> = Vec::new();
    for (v, k) in kinds {
        let listed = match cluster.resource_type(v, k).await {
            Ok(t) => list_grouped(cluster, &t, opts).await,
            Err(e) => Err(e),
        };
        match listed {
            Ok(l) => lists.push(l),
            Err(e) => {
                // The first read failing for anything but a denial: the cluster is lost.
                if e.code != Code::Forbidden && lists.is_empty() {
                    snap.reachable = false;
                }
                snap.errors.push(e.to_string());
                lists.push(BTreeMap::new());
            }
        }
    }
    if !snap.reachable {
        snap.seconds = started.elapsed().as_secs_f64();
        return snap;
    }
    let mut names: Vec<String> = if opts.all_namespaces {
        let mut n: Vec<String> = lists.iter().flat_map(|l| l.keys().cloned()).collect();
        n.sort();
        n.dedup();
        n
    } else {
        opts.namespaces.clone()
    };
    names.dedup();
    let take = |i: usize, ns: &str| lists[i].get(ns).cloned().unwrap_or_default();
    // One scan of every watched workload, its findings grouped by namespace afterwards.
    let mut workloads_by_ns: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut manifests = Vec::new();
    for ns in &names {
        let w: Vec<Value> = (1..4).flat_map(|i| take(i, ns)).collect();
        for o in &w {
            let mut m = o.clone();
            crate::cluster::clean::clean(&mut m);
            manifests.push(m);
        }
        workloads_by_ns.insert(ns.clone(), w);
    }
    let load = scanner.options().load.clone();
    let docs: Vec<crate::document::Document> = manifests
        .iter()
        .filter_map(|m| {
            let text = crate::cluster::live::to_yaml(m).ok()?;
            let name = format!(
                "cluster/{}/{}/{}/{}",
                snap.context,
                str_at(m, "/metadata/namespace"),
                str_at(m, "/kind"),
                str_at(m, "/metadata/name")
            );
            Some(crate::source::load_text(name, text, &load, true).documents)
        })
        .flatten()
        .collect();
    let s = scanner.clone();
    let scanned = tokio::task::spawn_blocking(move || s.scan_documents(docs)).await;
    let outcome = match scanned {
        Ok(Ok(o)) => Some(o),
        Ok(Err(e)) => {
            snap.errors.push(e.to_string());
            None
        }
        Err(e) => {
            snap.errors.push(format!("the live scan stopped: {e}"));
            None
        }
    };
    let now = jiff::Timestamp::now().as_second();
    for ns in &names {
        let workloads = workloads_by_ns.remove(ns).unwrap_or_default();
        let findings: Vec<&Finding> = outcome
            .as_ref()
            .map(|o| {
                o.findings
                    .iter()
                    .filter(|f| f.resource.namespace.as_deref() == Some(ns.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        let compliance: BTreeMap<String, u32> = match &outcome {
            Some(o) if !workloads.is_empty() => {
                let owned: Vec<Finding> = findings.iter().map(|f| (*f).clone()).collect();
                crate::compliance::framework_scores(&o.rules, &owned)
                    .into_iter()
                    .map(|(f, s)| (f.to_string(), s.score))
                    .collect()
            }
            _ => BTreeMap::new(),
        };
        let scanned_n = if outcome.is_some() {
            workloads.len()
        } else {
            0
        };
        snap.namespaces.push(summarise(
            ns,
            &workloads,
            &take(0, ns),
            &take(4, ns),
            &findings,
            scanned_n,
            compliance,
            &opts.weights,
            now,
        ));
    }
    // confgate's lifecycle: the revision stores of the watched namespaces.
    match cluster.resource_type("v1", "Secret").await {
        Ok(t) => {
            let selector = format!(
                "{}=0,{}=confgate",
                crate::revision::encode::LABEL_CHUNK,
                crate::revision::encode::LABEL_MANAGED_BY
            );
            let mut chunk0s = Vec::new();
            let scopes: Vec<Option<&str>> = if opts.all_namespaces {
                vec![None]
            } else {
                names.iter().map(|n| Some(n.as_str())).collect()
            };
            for ns in scopes {
                match cluster.list_objects(&t, ns, Some(&selector)).await {
                    Ok(l) => chunk0s.extend(l),
                    Err(e) => {
                        snap.errors.push(e.to_string());
                        break;
                    }
                }
            }
            snap.sets = sets_of(&chunk0s);
        }
        Err(e) => snap.errors.push(e.to_string()),
    }
    snap.seconds = started.elapsed().as_secs_f64();
    snap
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap_or(Value::Null)
    }

    #[test]
    fn a_namespace_is_summarised_from_literal_objects() {
        let workloads = [
            v(
                "kind: Deployment\nmetadata: {name: api, namespace: a}\nspec: {replicas: 3}\nstatus: {readyReplicas: 2, conditions: [{type: Available, status: 'True'}]}",
            ),
            v(
                "kind: StatefulSet\nmetadata: {name: db, namespace: a}\nspec: {replicas: 1}\nstatus: {readyReplicas: 1}",
            ),
        ];
        let pods = [
            v(
                "kind: Pod\nmetadata: {name: api-1}\nstatus: {phase: Running, containerStatuses: [{restartCount: 2}]}",
            ),
            v("kind: Pod\nmetadata: {name: api-2}\nstatus: {phase: Pending}"),
            v("kind: Pod\nmetadata: {name: x}\nstatus: {phase: Weird}"),
        ];
        let s = summarise(
            "a",
            &workloads,
            &pods,
            &[],
            &[],
            2,
            BTreeMap::new(),
            &Weights::default(),
            1_780_000_000,
        );
        assert_eq!(s.pods_by_phase["Running"], 1);
        assert_eq!(s.pods_by_phase["Pending"], 1);
        assert_eq!(s.pods_by_phase["Unknown"], 1);
        assert_eq!(s.pods_by_phase["Failed"], 0);
        assert_eq!(s.container_restarts, 2);
        assert_eq!(
            s.deployments,
            vec![Replicas {
                name: "api".into(),
                desired: 3,
                ready: 2
            }]
        );
        assert_eq!(s.statefulsets[0].ready, 1);
        assert_eq!(s.security_score, 100);
        assert!(
            s.health.score < 100 && s.health.score > 50,
            "{:?}",
            s.health
        );
        assert_eq!(s.findings.len(), Severity::ALL.len());
    }

    #[test]
    fn sets_come_from_complete_chunk0s_with_the_last_rollback() {
        use crate::revision::{Revision, Rollout, encode};
        let chunk = |n: u64, desc: Option<&str>, complete: bool| {
            let mut r = Revision::new("web", "shop", "me", vec![]);
            r.number = n;
            r.description = desc.map(str::to_string);
            r.rollout = Rollout::Succeeded;
            let mut c = encode::encode(&r).unwrap_or_default().remove(0);
            if !complete {
                c["metadata"]["annotations"]["confgate.dev/complete"] = "false".into();
            }
            c
        };
        let sets = sets_of(&[
            chunk(1, None, true),
            chunk(2, Some("roll forward to the content of revision 1"), true),
            chunk(3, None, true),
            chunk(4, None, false),
        ]);
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].revision, 3);
        assert_eq!(sets[0].revisions, 3);
        assert_eq!(sets[0].last_rollback.map(|r| r.0), Some(2));
        assert_eq!(sets[0].rollout, "succeeded");
    }
}
