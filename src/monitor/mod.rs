//! `confgate monitor`: the health and metrics of the deployed configuration, per namespace,
//! and confgate's own lifecycle (the last deploy and rollback of every set, from the
//! revision store).
//!
//! One monitoring pass ([`collect`]) reads the namespaces' pods, workloads and Warning
//! Events (the kinds side by side; one cluster-wide list per kind when many namespaces are
//! watched, else one list per namespace), scans the live workloads once with the same
//! rules as `confgate scan`, and summarises each namespace with a pure function ([`summarise`]):
//! the shared health score ([`crate::health`]), pods by phase, replicas, restarts, live
//! findings and the security/compliance scores. [`expose`] renders a [`Snapshot`] as
//! Prometheus text, JSON or CSV. `--watch` and `serve --metrics` read through a [`Feed`]
//! (list once, then watch streams) and reuse the last live scan while the workloads stay
//! the same ([`ScanCache`]).

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
    fields: Option<&str>,
    keep: Option<fn(Value) -> Value>,
) -> Result<BTreeMap<String, Vec<Value>>, Diagnostic> {
    let sel = crate::cluster::ops::Selectors::fields(fields);
    let keep = keep.unwrap_or(|v| v);
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    if opts.all_namespaces || opts.namespaces.len() > 4 {
        for o in cluster.list_mapped(t, None, &sel, keep).await?.0 {
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
                .map(|ns| cluster.list_mapped(t, Some(ns.as_str()), &sel, keep)),
        )
        .await;
        for (ns, r) in opts.namespaces.iter().zip(lists) {
            out.insert(ns.clone(), r?.0);
        }
    }
    Ok(out)
}

/// The kinds a pass reads, in the order of [`Lists`]: pods, the workloads, and the
/// Warning Events (the only Events the health score counts, selected by the server).
const KINDS: [(&str, &str, Option<&str>); 5] = [
    ("v1", "Pod", None),
    ("apps/v1", "Deployment", None),
    ("apps/v1", "StatefulSet", None),
    ("apps/v1", "DaemonSet", None),
    ("v1", "Event", Some("type=Warning")),
];

/// What a pass keeps of an object of kind `i` of [`KINDS`]: of a pod, its metadata and
/// status (the health score and the pod counts read nothing else; a pod's spec is most of
/// its size); of an Event, what [`crate::health`] reads; workloads whole (they are scanned).
fn keep_for(i: usize) -> Option<fn(Value) -> Value> {
    match i {
        0 => Some(pod_view),
        4 => Some(event_view),
        _ => None,
    }
}

/// The `keys` of an object, moved out of it.
fn pick(v: Option<&mut Value>, keys: &[&str]) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(m) = v.and_then(Value::as_object_mut) {
        for k in keys {
            if let Some(x) = m.remove(*k) {
                out.insert((*k).to_string(), x);
            }
        }
    }
    Value::Object(out)
}

fn pod_view(mut v: Value) -> Value {
    let mut out = pick(Some(&mut v), &["apiVersion", "kind"]);
    out["metadata"] = pick(
        v.get_mut("metadata"),
        &[
            "name",
            "namespace",
            "labels",
            "ownerReferences",
            "resourceVersion",
        ],
    );
    let status = v.get_mut("status");
    let mut kept = serde_json::Map::new();
    if let Some(st) = status.and_then(Value::as_object_mut) {
        if let Some(phase) = st.remove("phase") {
            kept.insert("phase".into(), phase);
        }
        for key in ["containerStatuses", "initContainerStatuses"] {
            if let Some(Value::Array(cs)) = st.remove(key) {
                let cs = cs.into_iter().map(container_view).collect();
                kept.insert(key.into(), Value::Array(cs));
            }
        }
    }
    out["status"] = Value::Object(kept);
    out
}

/// Of a container status: its name, readiness, restart count, why it waits and when it
/// last terminated (what the pod counts and the health score read).
fn container_view(mut c: Value) -> Value {
    let mut out = pick(Some(&mut c), &["name", "ready", "restartCount"]);
    let at = |c: &Value, p: &str| c.pointer(p).cloned();
    if let Some(reason) = at(&c, "/state/waiting/reason") {
        out["state"] = serde_json::json!({"waiting": {"reason": reason}});
    }
    if let Some(t) = at(&c, "/lastState/terminated/finishedAt") {
        out["lastState"] = serde_json::json!({"terminated": {"finishedAt": t}});
    }
    out
}

fn event_view(mut v: Value) -> Value {
    let mut out = pick(
        Some(&mut v),
        &[
            "apiVersion",
            "kind",
            "type",
            "reason",
            "involvedObject",
            "lastTimestamp",
            "eventTime",
            "series",
            "firstTimestamp",
            "count",
        ],
    );
    out["metadata"] = pick(
        v.get_mut("metadata"),
        &["name", "namespace", "creationTimestamp", "resourceVersion"],
    );
    out
}

/// What a pass read, per kind of [`KINDS`], grouped by namespace.
type Lists = Vec<BTreeMap<String, Vec<Value>>>;

/// The watched namespaces' objects, kept current by watch streams for `--watch` and
/// `serve --metrics`: each kind of a pass is listed once, then followed (a re-list only
/// after the server expires a watch or the connection is lost), so a pass reads memory
/// instead of re-listing every pod.
pub struct Feed {
    mirror: Arc<crate::cluster::mirror::Mirror>,
    /// The mirror's names of each kind of [`KINDS`] (one per followed namespace; none when
    /// the kind is not served or cannot be watched).
    names: Vec<Vec<String>>,
    task: tokio::task::JoinHandle<()>,
}

impl Feed {
    /// Starts following the kinds of a pass (the served ones) in the background: in each
    /// watched namespace when a few are watched (what namespace-scoped permissions allow),
    /// cluster-wide otherwise. An error when the cluster's API cannot be discovered (try
    /// again on a later pass).
    pub async fn start(cluster: &Cluster, opts: &MonitorOptions) -> Result<Feed, Diagnostic> {
        use crate::cluster::mirror::{Follow, Mirror, run_selected};
        let served = crate::cluster::discovery::discover(cluster).await?;
        let scopes: Vec<Option<String>> = if opts.all_namespaces || opts.namespaces.len() > 4 {
            vec![None]
        } else {
            opts.namespaces.iter().cloned().map(Some).collect()
        };
        let mut follows = Vec::new();
        let mut names = Vec::new();
        for (i, (v, k, fields)) in KINDS.into_iter().enumerate() {
            let mut of_kind = Vec::new();
            if let Some(t) = served
                .iter()
                .find(|t| t.api_version == v && t.kind == k)
                .filter(|t| t.can("list") && t.can("watch"))
            {
                for ns in &scopes {
                    let f = Follow {
                        t: t.clone(),
                        namespace: ns.clone(),
                        fields: fields.map(str::to_string),
                        keep: keep_for(i),
                    };
                    of_kind.push(f.name());
                    follows.push(f);
                }
            }
            names.push(of_kind);
        }
        let mirror = Mirror::new(follows.len());
        let task = tokio::spawn(run_selected(cluster.clone(), follows, mirror.clone()));
        Ok(Feed {
            mirror,
            names,
            task,
        })
    }

    /// Every followed kind was listed, waiting for it up to `limit` (or until each kind
    /// not listed yet is failing).
    async fn ready(&self, limit: std::time::Duration) -> bool {
        let wait = async {
            while !self.mirror.settled() {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        };
        let _ = tokio::time::timeout(limit, wait).await;
        // A kind failing now may be stale (its watch is down): the pass lists instead.
        self.mirror.synced() && self.mirror.failing().is_empty()
    }

    fn lists(&self, opts: &MonitorOptions) -> Lists {
        self.names
            .iter()
            .map(|names| {
                let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
                for name in names {
                    for o in self.mirror.objects_of(name) {
                        let ns = str_at(&o, "/metadata/namespace").to_string();
                        if opts.all_namespaces || opts.namespaces.contains(&ns) {
                            out.entry(ns).or_default().push(o);
                        }
                    }
                }
                out
            })
            .collect()
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The live scan of the last pass, kept while the scanned workloads stay the same (a
/// watch pass over an unchanged cluster scans nothing).
#[derive(Default)]
pub struct ScanCache {
    last: Option<([u8; 32], Arc<LiveScan>)>,
}

/// What a pass keeps of a live scan.
pub struct LiveScan {
    rules: Vec<crate::catalog::Rule>,
    findings: Vec<Finding>,
}

/// Lists the kinds of a pass side by side. The cluster is unreachable when the pod list
/// fails for anything but a denial.
async fn list_all(
    cluster: &Cluster,
    served: &[ResourceType],
    opts: &MonitorOptions,
    snap: &mut Snapshot,
) -> Lists {
    let listed = futures::future::join_all(KINDS.iter().enumerate().map(
        |(i, (v, k, fields))| async move {
            let t = served
                .iter()
                .find(|t| t.api_version == *v && t.kind == *k)
                .ok_or_else(|| {
                    Diagnostic::new(
                        Code::InvalidObject,
                        format!(
                            "{v} {k} is not served by {} (context {})",
                            cluster.server(),
                            cluster.context()
                        ),
                    )
                })?;
            // Each object cut to what the pass reads as its page arrives.
            list_grouped(cluster, t, opts, *fields, keep_for(i)).await
        },
    ))
    .await;
    let mut lists = Vec::new();
    for (i, l) in listed.into_iter().enumerate() {
        match l {
            Ok(l) => lists.push(l),
            Err(e) => {
                if i == 0 && e.code != Code::Forbidden {
                    snap.reachable = false;
                }
                snap.errors.push(e.to_string());
                lists.push(BTreeMap::new());
            }
        }
    }
    lists
}

/// One monitoring pass over the namespaces of `opts`, listing everything it reads.
pub async fn collect(cluster: &Cluster, scanner: &Arc<Scanner>, opts: &MonitorOptions) -> Snapshot {
    collect_with(cluster, scanner, opts, None, &mut ScanCache::default()).await
}

/// One monitoring pass reading the workloads from `feed` when given (once it has listed
/// everything; a pass before that lists), and reusing the live scan of `cache` when the
/// workloads did not change.
pub async fn collect_with(
    cluster: &Cluster,
    scanner: &Arc<Scanner>,
    opts: &MonitorOptions,
    feed: Option<&Feed>,
    cache: &mut ScanCache,
) -> Snapshot {
    let started = Instant::now();
    let mut snap = Snapshot {
        taken_at: jiff::Timestamp::now().as_second(),
        context: cluster.context().to_string(),
        reachable: true,
        ..Snapshot::default()
    };
    let fed = match feed {
        Some(f) => f.ready(cluster.timeout()).await,
        None => false,
    };
    // One discovery per pass (the Secret type of the revision stores; the kinds listed).
    let served = match crate::cluster::discovery::discover(cluster).await {
        Ok(s) => s,
        Err(e) => {
            if e.code != Code::Forbidden {
                snap.reachable = false;
            }
            snap.errors.push(e.to_string());
            Vec::new()
        }
    };
    if !snap.reachable {
        snap.seconds = started.elapsed().as_secs_f64();
        return snap;
    }
    let mut lists = match feed {
        // The streams keep memory current but do not prove the cluster is there: the
        // pass's own reads (discovery above, the revision stores below) do.
        Some(f) if fed => f.lists(opts),
        _ => list_all(cluster, &served, opts, &mut snap).await,
    };
    let listed = started.elapsed();
    if !snap.reachable {
        snap.seconds = started.elapsed().as_secs_f64();
        return snap;
    }
    let names_seen = lists.iter().flat_map(|l| l.keys().cloned());
    let mut names: Vec<String> = if opts.all_namespaces {
        let mut n: Vec<String> = names_seen.collect();
        n.sort();
        n.dedup();
        n
    } else {
        opts.namespaces.clone()
    };
    names.dedup();
    // confgate's lifecycle: the revision stores of the watched namespaces.
    match served
        .iter()
        .find(|t| t.api_version == "v1" && t.kind == "Secret")
    {
        Some(t) => {
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
                match cluster.list_objects(t, ns, Some(&selector)).await {
                    Ok(l) => chunk0s.extend(l),
                    Err(e) => {
                        if fed && e.code != Code::Forbidden {
                            snap.reachable = false;
                        }
                        snap.errors.push(e.to_string());
                        break;
                    }
                }
            }
            snap.sets = sets_of(&chunk0s);
        }
        None => snap
            .errors
            .push(format!("v1 Secret is not served by {}", cluster.server())),
    }
    if !snap.reachable {
        snap.sets.clear();
        snap.seconds = started.elapsed().as_secs_f64();
        return snap;
    }
    let mut take = |i: usize, ns: &str| lists[i].remove(ns).unwrap_or_default();
    // One scan of every watched workload, its findings grouped by namespace afterwards.
    // (namespace, workloads, pods, Warning Events)
    type Objects = Vec<Value>;
    let mut per_ns: Vec<(String, Objects, Objects, Objects)> = Vec::new();
    let mut manifests = Vec::new();
    for ns in &names {
        let w: Vec<Value> = (1..4).flat_map(|i| take(i, ns)).collect();
        for o in &w {
            let mut m = o.clone();
            crate::cluster::clean::clean(&mut m);
            manifests.push(m);
        }
        per_ns.push((ns.clone(), w, take(0, ns), take(4, ns)));
    }
    tracing::debug!(
        manifests = manifests.len(),
        rss_mib = ?crate::diag::current_rss_mib(),
        "monitoring pass: state read"
    );
    let live = live_scan(scanner, &snap.context, &manifests, cache, &mut snap.errors).await;
    drop(manifests);
    let scanned_at = started.elapsed();
    let now = jiff::Timestamp::now().as_second();
    for (ns, workloads, pods, events) in per_ns {
        let findings: Vec<&Finding> = live
            .as_ref()
            .map(|o| {
                o.findings
                    .iter()
                    .filter(|f| f.resource.namespace.as_deref() == Some(ns.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        let compliance: BTreeMap<String, u32> = match &live {
            Some(o) if !workloads.is_empty() => {
                let owned: Vec<Finding> = findings.iter().map(|f| (*f).clone()).collect();
                crate::compliance::framework_scores(&o.rules, &owned)
                    .into_iter()
                    .map(|(f, s)| (f.to_string(), s.score))
                    .collect()
            }
            _ => BTreeMap::new(),
        };
        let scanned_n = if live.is_some() { workloads.len() } else { 0 };
        snap.namespaces.push(summarise(
            &ns,
            &workloads,
            &pods,
            &events,
            &findings,
            scanned_n,
            compliance,
            &opts.weights,
            now,
        ));
    }
    snap.seconds = started.elapsed().as_secs_f64();
    tracing::debug!(
        read_s = listed.as_secs_f64(),
        scan_s = (scanned_at - listed).as_secs_f64(),
        total_s = snap.seconds,
        watched = fed,
        rss_mib = ?crate::diag::current_rss_mib(),
        "monitoring pass"
    );
    snap
}

/// The live scan of `manifests` (cleaned workloads), or the cached one when they are the
/// same as last time.
async fn live_scan(
    scanner: &Arc<Scanner>,
    context: &str,
    manifests: &[Value],
    cache: &mut ScanCache,
    errors: &mut Vec<String>,
) -> Option<Arc<LiveScan>> {
    use sha2::Digest;
    let mut key = sha2::Sha256::new();
    let texts: Vec<(String, String)> = manifests
        .iter()
        .filter_map(|m| {
            let text = crate::cluster::live::to_yaml(m).ok()?;
            let name = format!(
                "cluster/{context}/{}/{}/{}",
                str_at(m, "/metadata/namespace"),
                str_at(m, "/kind"),
                str_at(m, "/metadata/name")
            );
            key.update(name.as_bytes());
            key.update([0]);
            key.update(text.as_bytes());
            key.update([0]);
            Some((name, text))
        })
        .collect();
    let key: [u8; 32] = key.finalize().into();
    if let Some((_, live)) = cache.last.as_ref().filter(|(k, _)| *k == key) {
        return Some(live.clone());
    }
    let s = scanner.clone();
    let scanned = tokio::task::spawn_blocking(move || {
        s.scan_texts(vec![texts], &s.bindings(), &crate::scan::NoProgress)
    })
    .await;
    match scanned {
        Ok(Ok(o)) => {
            let live = Arc::new(LiveScan {
                rules: o.rules,
                findings: o.findings,
            });
            cache.last = Some((key, live.clone()));
            Some(live)
        }
        Ok(Err(e)) => {
            errors.push(e.to_string());
            None
        }
        Err(e) => {
            errors.push(format!("the live scan stopped: {e}"));
            None
        }
    }
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
    fn a_pass_keeps_a_pods_status_and_an_events_times_and_scores_them_the_same() {
        let pod = v(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: api-1, namespace: a, uid: x, annotations: {big: text}}\nspec: {containers: [{name: c, image: nginx}]}\nstatus: {phase: Running, podIP: 10.0.0.1, conditions: [{type: Ready, status: 'False'}], containerStatuses: [{name: c, image: nginx, restartCount: 3, state: {waiting: {reason: CrashLoopBackOff, message: long}}, lastState: {terminated: {finishedAt: '2026-05-28T20:24:00Z', exitCode: 1}}}]}",
        );
        let event = v(
            "apiVersion: v1\nkind: Event\nmetadata: {name: e, namespace: a, uid: y}\ntype: Warning\nreason: BackOff\nmessage: long text\nlastTimestamp: '2026-05-28T20:25:00Z'\ninvolvedObject: {kind: Pod, name: api-1}",
        );
        let kept_pod = pod_view(pod.clone());
        assert!(kept_pod.get("spec").is_none());
        assert!(kept_pod["metadata"].get("annotations").is_none());
        assert!(kept_pod["status"].get("conditions").is_none());
        assert!(
            kept_pod["status"]["containerStatuses"][0]
                .get("image")
                .is_none()
        );
        assert_eq!(kept_pod["metadata"]["name"], "api-1");
        assert_eq!(kept_pod["status"]["phase"], "Running");
        assert_eq!(
            kept_pod.pointer("/status/containerStatuses/0/state/waiting/reason"),
            pod.pointer("/status/containerStatuses/0/state/waiting/reason")
        );
        let kept_event = event_view(event.clone());
        assert!(kept_event.get("message").is_none());
        assert_eq!(kept_event["lastTimestamp"], event["lastTimestamp"]);
        let score = |pods: &[Value], events: &[Value]| {
            summarise(
                "a",
                &[],
                pods,
                events,
                &[],
                0,
                BTreeMap::new(),
                &Weights::default(),
                1_780_000_000,
            )
        };
        let whole = score(std::slice::from_ref(&pod), std::slice::from_ref(&event));
        let kept = score(&[kept_pod], &[kept_event]);
        assert_eq!(whole.health.score, kept.health.score);
        assert!(whole.health.score < 100);
        assert_eq!(whole.container_restarts, kept.container_restarts);
        // Not an object: kept as an empty one, no panic.
        assert_eq!(pod_view(Value::Null)["metadata"], serde_json::json!({}));
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
