//! The rollback flow against a cluster: [`analyse`] (the impact: a server-side dry run of
//! the target, the policy delta, risks, API versions the cluster no longer serves),
//! [`execute`] (one of the three [`Strategy`]s, under the set's lock, with health before
//! and after and a live re-scan), [`create_restore_point`] (`--create-backup`) and
//! [`watch_and_roll_back`] (`--auto-rollback`). Rendering is the command's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{DeltaFinding, PolicyDelta, Strategy, Target};
use crate::cluster::observe::{self, WorkloadRef};
use crate::cluster::{Cluster, live};
use crate::deploy::{
    self, DeployOptions, Outcome, Stopped, apply::Types, plan, wait::WaitProgress,
};
use crate::diag::{Code, Diagnostic};
use crate::document::Document;
use crate::gate::Gate;
use crate::health::{Health, Weights};
use crate::revision::{Revision, RevisionStore, Rollout, SecretMode, lock};
use crate::scan::{ScanOutcome, Scanner};

/// What "healthy" means for a rollback and how often it is measured.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthCheck {
    /// The score (0–100) a set must reach.
    pub threshold: u32,
    pub weights: Weights,
    /// Time between two measurements.
    pub interval: Duration,
    /// `--auto-rollback`: consecutive measurements under the threshold that trigger it.
    pub consecutive: usize,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            threshold: 60,
            weights: Weights::default(),
            interval: Duration::from_secs(15),
            consecutive: 3,
        }
    }
}

/// Everything a rollback needs besides the cluster, the scanner and the gate.
#[derive(Clone, Debug)]
pub struct RollbackOptions {
    pub set: String,
    pub namespace: String,
    pub strategy: Strategy,
    pub allow_findings: bool,
    /// How long the rollout (and, for `atomic`, the health) may take; each incremental step
    /// gets this much.
    pub timeout: Duration,
    pub health: HealthCheck,
    pub revision_key: Option<crate::seal::Key>,
    pub author: String,
}

/// An object of the target whose API version the cluster does not serve.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Unserved {
    pub object: String,
    pub api_version: String,
    pub kind: String,
    /// The API versions the cluster serves this kind under.
    pub served: Vec<String>,
    pub fix: String,
}

/// What a rollback would do, before it runs.
#[derive(Debug)]
pub struct Impact {
    pub set: String,
    pub namespace: String,
    pub current: Option<u64>,
    pub target: u64,
    /// The server-side dry run of the target (what is created, changed, pruned).
    pub dry_run: Outcome,
    pub delta: PolicyDelta,
    /// Re-introduced findings at or above the gate.
    pub refused: Vec<DeltaFinding>,
    pub risks: Vec<String>,
    pub restarts: u64,
    pub unserved: Vec<Unserved>,
    /// Secrets of the target recorded as references only: their live values stay.
    pub kept_secrets: usize,
    /// The target revision scanned with today's rules (the HTML report shows it).
    pub target_scan: ScanOutcome,
    pub seconds: f64,
    /// The target as documents, in the revision's order.
    docs: Vec<Document>,
    fail_on: crate::catalog::Severity,
}

impl Impact {
    /// Whether the rollback may run: nothing unserved, no dry-run error, and no refused
    /// finding unless `allow_findings`.
    pub fn blocked(&self, allow_findings: bool) -> Option<&'static str> {
        if !self.unserved.is_empty() {
            Some("unserved")
        } else if !self.dry_run.errors.is_empty() || !self.dry_run.conflicts.is_empty() {
            Some("error")
        } else if !self.refused.is_empty() && !allow_findings {
            Some("refused")
        } else {
            None
        }
    }

    /// The impact as JSON (`rollback --format json`, the HTML report's section).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "set": self.set,
            "namespace": self.namespace,
            "current": self.current,
            "target": self.target,
            "objects": self.dry_run.diffs,
            "pruned": self.dry_run.pruned,
            "policy_delta": self.delta,
            "refused": self.refused.len(),
            "fail_on": self.fail_on.as_str(),
            "risks": self.risks,
            "restarts": self.restarts,
            "unserved": self.unserved,
            "kept_secrets": self.kept_secrets,
            "errors": self.dry_run.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            "seconds": self.seconds,
        })
    }

    /// The objects the health of the set is measured on: the target's workloads.
    pub fn workloads(&self) -> Vec<WorkloadRef> {
        workload_refs(&self.docs, &self.namespace)
    }
}

/// A revision's manifests as documents named `revision-N/Kind/name`. Secrets whose values
/// were recorded as references only are left out (their live values stay); their number
/// is returned.
pub fn documents(
    label: &str,
    manifests: Vec<Value>,
    mode: SecretMode,
    load: &crate::source::LoadOptions,
) -> (Vec<Document>, usize) {
    let mut docs = Vec::new();
    let mut skipped = 0;
    for m in manifests {
        if mode == SecretMode::Referenced && crate::revision::secrets::is_secret(&m) {
            skipped += 1;
            continue;
        }
        let s = |p: &str| {
            m.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let name = format!("{label}/{}/{}", s("/kind"), s("/metadata/name"));
        if let Ok(text) = live::to_yaml(&m) {
            docs.extend(crate::source::load_text(name, text, load, false).documents);
        }
    }
    (docs, skipped)
}

fn clone_docs(docs: &[Document]) -> Vec<Document> {
    docs.iter()
        .map(|d| Document {
            file: d.file.clone(),
            index: d.index,
            item: d.item,
            tree: d.tree.clone(),
            source: d.source.clone(),
            resource: d.resource.clone(),
        })
        .collect()
}

fn workload_refs(docs: &[Document], namespace: &str) -> Vec<WorkloadRef> {
    let mut out: Vec<WorkloadRef> = docs
        .iter()
        .filter(|d| observe::is_scored(&d.resource.kind))
        .map(|d| {
            (
                d.resource
                    .namespace
                    .clone()
                    .unwrap_or_else(|| namespace.to_string()),
                d.resource.kind.clone(),
                d.resource.name.clone(),
            )
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

async fn scan(scanner: &Arc<Scanner>, docs: Vec<Document>) -> Result<ScanOutcome, Diagnostic> {
    let s = scanner.clone();
    tokio::task::spawn_blocking(move || s.scan_documents(docs))
        .await
        .map_err(|e| Diagnostic::new(Code::System, format!("the scan stopped: {e}")))?
}

/// The objects of `manifests` whose API version the cluster does not serve (a CRD of the
/// set itself counts as serving its group).
pub fn unserved(manifests: &[Value], types: &Types) -> Vec<Unserved> {
    let s = |m: &Value, p: &str| {
        m.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let crd_groups: Vec<String> = manifests
        .iter()
        .filter(|m| s(m, "/kind") == "CustomResourceDefinition")
        .map(|m| s(m, "/spec/group"))
        .collect();
    let mut out = Vec::new();
    for m in manifests {
        let (api_version, kind) = (s(m, "/apiVersion"), s(m, "/kind"));
        if api_version.is_empty() || kind.is_empty() || types.get(&api_version, &kind).is_some() {
            continue;
        }
        let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        if crd_groups.iter().any(|g| g == group) {
            continue;
        }
        let mut served: Vec<String> = types
            .all()
            .filter(|t| t.kind == kind)
            .map(|t| t.api_version.clone())
            .collect();
        served.sort();
        served.dedup();
        let name = s(m, "/metadata/name");
        let object = format!("{kind}/{name}");
        let fix = match served.first() {
            Some(v) => format!(
                "migrate {kind} {name} to {v} (what the cluster serves), deploy that as a new revision of the set, and roll back to it instead; the recorded {api_version} cannot be applied"
            ),
            None => format!(
                "the cluster serves no {kind} at all: install the API (its CRD or operator) first, or roll back to a revision without it"
            ),
        };
        out.push(Unserved {
            object,
            api_version,
            kind,
            served,
            fix,
        });
    }
    out
}

fn base_options(opts: &RollbackOptions) -> DeployOptions {
    DeployOptions {
        set: opts.set.clone(),
        namespace: opts.namespace.clone(),
        prune: true,
        force_conflicts: true,
        gated_by_caller: true,
        timeout: opts.timeout,
        revision_key: opts.revision_key.clone(),
        author: opts.author.clone(),
        lock: false,
        ..DeployOptions::default()
    }
}

/// The impact of rolling `store`'s set back to revision `number`. Changes nothing.
pub async fn analyse(
    cluster: &Cluster,
    store: &RevisionStore<'_>,
    scanner: Arc<Scanner>,
    gate: Gate,
    opts: &RollbackOptions,
    number: u64,
) -> Result<Impact, Diagnostic> {
    let started = Instant::now();
    let rev = store.get(number).await?;
    let current = store.latest().await?;
    let load = scanner.options().load.clone();
    let label = format!("revision-{}", rev.number);
    let (docs, kept_secrets) = documents(&label, store.restore(&rev)?, rev.secrets, &load);
    // The policy delta (both revisions scanned with today's rules) and the dry run run
    // side by side: the scans on the blocking pool, the dry run on the cluster.
    let target_docs = documents(&label, rev.manifests.clone(), SecretMode::Encrypted, &load).0;
    let current_docs = current.as_ref().map(|cur| {
        documents(
            &format!("revision-{}", cur.number),
            cur.manifests.clone(),
            SecretMode::Encrypted,
            &load,
        )
        .0
    });
    let scans = async {
        let target_scan = scan(&scanner, target_docs).await?;
        let current_scan = match current_docs {
            Some(docs) => scan(&scanner, docs).await?,
            None => ScanOutcome::default(),
        };
        Ok::<_, Diagnostic>((target_scan, current_scan))
    };
    let dry = async {
        let types = Types::discover(cluster).await?;
        let unserved = unserved(&rev.manifests, &types);
        let dry_run = if unserved.is_empty() {
            deploy::deploy(
                cluster,
                scanner.clone(),
                gate,
                clone_docs(&docs),
                &base_options(opts),
                &deploy::wait::NoWaitProgress,
            )
            .await
        } else {
            Outcome::default()
        };
        Ok::<_, Diagnostic>((unserved, dry_run))
    };
    let (scans, dry) = tokio::join!(scans, dry);
    let (target_scan, current_scan) = scans?;
    let (unserved, dry_run) = dry?;
    let delta = super::policy_delta(&current_scan.findings, &target_scan.findings);
    let refused: Vec<DeltaFinding> = super::refused(&delta, &gate).into_iter().cloned().collect();
    let mut risks = Vec::new();
    let mut restarts = 0;
    for d in &dry_run.diffs {
        let kind = d.object.split('/').next().unwrap_or("");
        let r = super::risks_of(&d.object, kind, d.before.as_ref(), Some(&d.after));
        risks.extend(r.risks);
        restarts += r.restarts;
    }
    for p in &dry_run.pruned {
        let kind = p.split('/').next().unwrap_or("");
        // A pruned object: what it was matters only for its kind.
        risks.extend(super::risks_of(p, kind, Some(&Value::Null), None).risks);
    }
    Ok(Impact {
        set: opts.set.clone(),
        namespace: opts.namespace.clone(),
        current: current.map(|c| c.number),
        target: rev.number,
        dry_run,
        delta,
        refused,
        risks,
        restarts,
        unserved,
        kept_secrets,
        target_scan,
        seconds: started.elapsed().as_secs_f64(),
        docs,
        fail_on: gate.fail_on,
    })
}

/// One step of a rollback.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Step {
    pub what: String,
    /// `applied`, `healthy`, `unhealthy`, `failed`, `restored`, `restore-failed`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub seconds: f64,
}

/// How a rollback ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ended {
    /// Applied, rolled out, and the health reached the threshold.
    #[default]
    Healthy,
    /// Applied and rolled out (or not), but the health stayed under the threshold.
    Unhealthy,
    /// `incremental`: stopped at a failed step; what was applied before it stays.
    Stopped,
    /// `atomic`: the health did not reach the threshold and the state from before the
    /// rollback was put back.
    Restored,
    /// `atomic`: putting back the state from before failed too.
    RestoreFailed,
    /// Nothing or only part was applied: an error (lock, cluster, apply).
    Error,
}

/// What a rollback did.
#[derive(Debug, Default)]
pub struct Executed {
    pub strategy: Strategy,
    pub ended: Ended,
    pub steps: Vec<Step>,
    /// The revision recording the rollback.
    pub revision: Option<u64>,
    /// The revision recording the restored pre-rollback state (`atomic`).
    pub restored: Option<u64>,
    pub health_before: Option<Health>,
    pub health_after: Option<Health>,
    /// The live re-scan and drift check after the rollout.
    pub verified: Option<deploy::verify::Verified>,
    /// The deploys the rollback ran, in order (for the report).
    pub deploys: Vec<Outcome>,
    pub errors: Vec<Diagnostic>,
    pub seconds: f64,
}

impl Executed {
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "strategy": self.strategy,
            "ended": self.ended,
            "steps": self.steps,
            "revision": self.revision,
            "restored": self.restored,
            "health_before": self.health_before,
            "health_after": self.health_after,
            "verified": self.verified,
            "errors": self.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            "seconds": self.seconds,
        })
    }
}

/// The health of the workloads `refs`, with the live scan's security score of them.
pub async fn measure(
    cluster: &Cluster,
    scanner: &Arc<Scanner>,
    refs: &[WorkloadRef],
    weights: &Weights,
    window: i64,
) -> Result<Health, Diagnostic> {
    let observed = observe::observe(cluster, refs).await?;
    let security = if observed.workloads.is_empty() {
        None
    } else {
        let load = scanner.options().load.clone();
        let manifests: Vec<Value> = observed
            .workloads
            .iter()
            .cloned()
            .map(deploy::state::manifest_of)
            .collect();
        let n = manifests.len();
        let (docs, _) = documents("live", manifests, SecretMode::Encrypted, &load);
        let outcome = scan(scanner, docs).await?;
        let counted: Vec<crate::finding::Finding> =
            outcome.findings.into_iter().filter(Gate::counts).collect();
        Some(f64::from(crate::finding::security_score(&counted, n)))
    };
    Ok(observed.health(security, weights, window))
}

/// Measures the health every `interval` until it reaches the threshold (true) or
/// `deadline` passes (false). Returns the last health.
async fn wait_healthy(
    cluster: &Cluster,
    scanner: &Arc<Scanner>,
    refs: &[WorkloadRef],
    check: &HealthCheck,
    since: Instant,
    deadline: Instant,
) -> Result<(bool, Health), Diagnostic> {
    loop {
        let window = since.elapsed().as_secs() as i64 + 1;
        let h = measure(cluster, scanner, refs, &check.weights, window).await?;
        if h.score >= check.threshold {
            return Ok((true, h));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok((false, h));
        }
        tokio::time::sleep(check.interval.min(deadline - now)).await;
    }
}

fn description(impact: &Impact, strategy: Strategy) -> String {
    let mut d = format!("roll forward to the content of revision {}", impact.target);
    if strategy != Strategy::Standard {
        d.push_str(&format!(" (strategy {})", strategy.as_str()));
    }
    if !impact.refused.is_empty() {
        d.push_str(&format!(
            " (--allow-findings: {} re-introduced findings at or above {})",
            impact.refused.len(),
            impact.fail_on.as_str()
        ));
    }
    d
}

fn stopped_why(o: &Outcome) -> String {
    if let Some(e) = o.errors.first() {
        return e.to_string();
    }
    if let Some(r) = &o.rollout {
        return r.summary();
    }
    match o.stopped {
        Some(s) => format!("stopped at {s:?}"),
        None => "failed".into(),
    }
}

/// Runs the rollback `impact` describes with `opts.strategy`, holding the set's lock.
/// The caller checked [`Impact::blocked`].
pub async fn execute(
    cluster: &Cluster,
    store: &RevisionStore<'_>,
    scanner: Arc<Scanner>,
    gate: Gate,
    opts: &RollbackOptions,
    impact: &Impact,
    progress: &dyn WaitProgress,
) -> Executed {
    let started = Instant::now();
    let mut ex = Executed {
        strategy: opts.strategy,
        ..Executed::default()
    };
    let lock = match lock::acquire(
        cluster,
        &opts.namespace,
        &opts.set,
        "rollback",
        &opts.author,
        opts.timeout * 2 + deploy::LOCK_MARGIN,
    )
    .await
    {
        Ok(l) => l,
        Err(e) => {
            ex.errors.push(e);
            ex.ended = Ended::Error;
            return ex;
        }
    };
    let refs = impact.workloads();
    match measure(cluster, &scanner, &refs, &opts.health.weights, 300).await {
        Ok(h) => ex.health_before = Some(h),
        Err(e) => tracing::warn!("health before the rollback: {e}"),
    }
    match opts.strategy {
        Strategy::Standard | Strategy::Atomic => {
            whole(
                cluster, store, &scanner, gate, opts, impact, progress, &refs, &mut ex,
            )
            .await
        }
        Strategy::Incremental => {
            incremental(
                cluster, store, &scanner, gate, opts, impact, progress, &refs, &mut ex,
            )
            .await
        }
    }
    if let Err(e) = lock.release().await {
        ex.errors.push(e);
    }
    if !ex.errors.is_empty() && ex.ended == Ended::Healthy {
        ex.ended = Ended::Error;
    }
    ex.seconds = started.elapsed().as_secs_f64();
    ex
}

/// Health after the rollout, recorded on `revision`; sets `ended`.
#[allow(clippy::too_many_arguments)]
async fn settle(
    cluster: &Cluster,
    store: &RevisionStore<'_>,
    scanner: &Arc<Scanner>,
    check: &HealthCheck,
    refs: &[WorkloadRef],
    since: Instant,
    deadline: Instant,
    ex: &mut Executed,
) -> bool {
    match wait_healthy(cluster, scanner, refs, check, since, deadline).await {
        Ok((ok, h)) => {
            if let Some(n) = ex.revision
                && let Err(e) = store.set_health(n, h.score).await
            {
                ex.errors.push(e);
            }
            ex.steps.push(Step {
                what: "health".into(),
                state: if ok { "healthy" } else { "unhealthy" }.into(),
                health: Some(h.score),
                detail: Some(format!("threshold {}", check.threshold)),
                seconds: since.elapsed().as_secs_f64(),
            });
            ex.health_after = Some(h);
            ok
        }
        Err(e) => {
            ex.errors.push(e);
            false
        }
    }
}

/// The whole target applied (pruned, waited for, verified, recorded as the rollback's
/// revision), as one step of `ex`. Returns the deploy and whether it rolled out.
#[allow(clippy::too_many_arguments)]
async fn apply_target(
    cluster: &Cluster,
    scanner: &Arc<Scanner>,
    gate: Gate,
    opts: &RollbackOptions,
    impact: &Impact,
    strategy: Strategy,
    what: String,
    progress: &dyn WaitProgress,
    ex: &mut Executed,
) -> (Outcome, bool) {
    let start = Instant::now();
    let mut d = base_options(opts);
    d.apply = true;
    d.wait = true;
    d.verify = true;
    d.description = Some(description(impact, strategy));
    let done = deploy::deploy(
        cluster,
        scanner.clone(),
        gate,
        clone_docs(&impact.docs),
        &d,
        progress,
    )
    .await;
    ex.revision = done.revision;
    ex.verified = done.verified.clone();
    let ok = done.stopped.is_none() && done.errors.is_empty();
    ex.steps.push(Step {
        what,
        state: if ok { "applied" } else { "failed" }.into(),
        health: None,
        detail: (!ok).then(|| stopped_why(&done)),
        seconds: start.elapsed().as_secs_f64(),
    });
    (done, ok)
}

/// `standard` and `atomic`: the whole target at once.
#[allow(clippy::too_many_arguments)]
async fn whole(
    cluster: &Cluster,
    store: &RevisionStore<'_>,
    scanner: &Arc<Scanner>,
    gate: Gate,
    opts: &RollbackOptions,
    impact: &Impact,
    progress: &dyn WaitProgress,
    refs: &[WorkloadRef],
    ex: &mut Executed,
) {
    let atomic = opts.strategy == Strategy::Atomic;
    // The state to put back: the set as it is live now, read before anything changes.
    let before = if atomic {
        match deploy::state::live_state(cluster, &opts.set, &opts.namespace).await {
            Ok(b) => Some(b),
            Err(e) => {
                ex.errors.push(Diagnostic::new(
                    e.code,
                    format!(
                        "atomic rollback: cannot read the state to put back, nothing was changed: {}",
                        e.message
                    ),
                ));
                ex.ended = Ended::Error;
                return;
            }
        }
    } else {
        None
    };
    let step_start = Instant::now();
    let what = format!("apply revision {}", impact.target);
    let (done, rolled_out) = apply_target(
        cluster,
        scanner,
        gate,
        opts,
        impact,
        opts.strategy,
        what,
        progress,
        ex,
    )
    .await;
    let applied_any = !done.applied.is_empty();
    let hard_error = matches!(
        done.stopped,
        Some(Stopped::Plan | Stopped::Gate | Stopped::Permissions | Stopped::Check)
    );
    ex.errors.extend(done.errors.iter().cloned());
    ex.deploys.push(done);
    if hard_error || (!applied_any && !rolled_out) {
        ex.ended = Ended::Error;
        return;
    }
    let deadline = step_start + opts.timeout;
    let healthy = if rolled_out {
        settle(
            cluster,
            store,
            scanner,
            &opts.health,
            refs,
            step_start,
            deadline,
            ex,
        )
        .await
    } else {
        false
    };
    if healthy {
        ex.ended = Ended::Healthy;
        return;
    }
    let Some(before) = before else {
        ex.ended = Ended::Unhealthy;
        return;
    };
    // atomic: put back exactly what was there.
    let why = match &ex.health_after {
        Some(h) if rolled_out => format!("health {} < {}", h.score, opts.health.threshold),
        _ => ex
            .steps
            .last()
            .and_then(|s| s.detail.clone())
            .unwrap_or_else(|| "the rollout failed".into()),
    };
    if let Some(n) = ex.revision
        && let Err(e) = store
            .set_rollout(
                n,
                Rollout::Failed {
                    reason: format!("atomic rollback: {why}"),
                },
            )
            .await
    {
        ex.errors.push(e);
    }
    let restore_start = Instant::now();
    let load = scanner.options().load.clone();
    let (docs, _) = documents("pre-rollback", before, SecretMode::Encrypted, &load);
    let mut r = base_options(opts);
    r.apply = true;
    r.wait = true;
    r.description = Some(format!(
        "atomic rollback to revision {} failed ({why}): the state from before it, put back",
        impact.target
    ));
    let restored = deploy::deploy(cluster, scanner.clone(), gate, docs, &r, progress).await;
    let ok = restored.stopped.is_none() && restored.errors.is_empty();
    ex.restored = restored.revision;
    ex.steps.push(Step {
        what: "restore the state from before the rollback".into(),
        state: if ok { "restored" } else { "restore-failed" }.into(),
        health: None,
        detail: Some(if ok {
            why
        } else {
            format!("{why}; the restore failed: {}", stopped_why(&restored))
        }),
        seconds: restore_start.elapsed().as_secs_f64(),
    });
    if !ok {
        ex.errors.extend(restored.errors.iter().cloned());
        if restored.errors.is_empty() {
            ex.errors.push(Diagnostic::new(
                Code::Cluster,
                format!(
                    "atomic rollback of set {}: the state from before the rollback was not restored: {}",
                    opts.set,
                    stopped_why(&restored)
                ),
            ));
        }
    }
    ex.deploys.push(restored);
    ex.ended = if ok {
        Ended::Restored
    } else {
        Ended::RestoreFailed
    };
    if ok {
        match measure(cluster, scanner, refs, &opts.health.weights, 60).await {
            Ok(h) => ex.health_after = Some(h),
            Err(e) => tracing::warn!("health after the restore: {e}"),
        }
    }
}

/// `incremental`: config first, then one workload at a time, health checked between steps;
/// stops at the first failure (recording the live state as a failed revision).
#[allow(clippy::too_many_arguments)]
async fn incremental(
    cluster: &Cluster,
    store: &RevisionStore<'_>,
    scanner: &Arc<Scanner>,
    gate: Gate,
    opts: &RollbackOptions,
    impact: &Impact,
    progress: &dyn WaitProgress,
    refs: &[WorkloadRef],
    ex: &mut Executed,
) {
    let mut order: Vec<usize> = (0..impact.docs.len()).collect();
    order.sort_by_key(|&i| {
        let r = &impact.docs[i].resource;
        plan::tier(&r.api_version, &r.kind)
    });
    let kinds: Vec<(&str, &str)> = order
        .iter()
        .map(|&i| {
            let r = &impact.docs[i].resource;
            (r.api_version.as_str(), r.kind.as_str())
        })
        .collect();
    let steps = super::incremental_steps(&kinds);
    let total = steps.len();
    let mut applied_refs: Vec<WorkloadRef> = Vec::new();
    for (k, step) in steps.iter().enumerate() {
        let step_start = Instant::now();
        let docs: Vec<Document> = clone_docs(
            &step
                .iter()
                .map(|&j| {
                    let d = &impact.docs[order[j]];
                    Document {
                        file: d.file.clone(),
                        index: d.index,
                        item: d.item,
                        tree: d.tree.clone(),
                        source: d.source.clone(),
                        resource: d.resource.clone(),
                    }
                })
                .collect::<Vec<_>>(),
        );
        let what = if step.len() == 1 {
            let r = &impact.docs[order[step[0]]].resource;
            format!("step {}/{total}: {}/{}", k + 1, r.kind, r.name)
        } else {
            format!("step {}/{total}: {} config objects", k + 1, step.len())
        };
        applied_refs.extend(workload_refs(&docs, &opts.namespace));
        let mut d = base_options(opts);
        d.apply = true;
        d.wait = true;
        d.prune = false;
        d.record = false;
        let done = deploy::deploy(cluster, scanner.clone(), gate, docs, &d, progress).await;
        let mut ok = done.stopped.is_none() && done.errors.is_empty();
        let mut detail = (!ok).then(|| stopped_why(&done));
        let mut health = None;
        if ok && !applied_refs.is_empty() {
            match wait_healthy(
                cluster,
                scanner,
                &applied_refs,
                &opts.health,
                step_start,
                step_start + opts.timeout,
            )
            .await
            {
                Ok((healthy, h)) => {
                    health = Some(h.score);
                    if !healthy {
                        ok = false;
                        detail = Some(format!("health {} < {}", h.score, opts.health.threshold));
                    }
                    ex.health_after = Some(h);
                }
                Err(e) => {
                    ok = false;
                    detail = Some(e.to_string());
                }
            }
        }
        ex.errors.extend(done.errors.iter().cloned());
        ex.deploys.push(done);
        ex.steps.push(Step {
            what: what.clone(),
            state: if ok { "healthy" } else { "failed" }.into(),
            health,
            detail: detail.clone(),
            seconds: step_start.elapsed().as_secs_f64(),
        });
        if !ok {
            let why = format!(
                "incremental rollback to revision {} stopped at {what}: {}",
                impact.target,
                detail.unwrap_or_default()
            );
            record_live_state(cluster, store, opts, &why, ex).await;
            ex.ended = Ended::Stopped;
            return;
        }
    }
    // Every step healthy: the whole target once more, now pruning and recorded.
    let final_start = Instant::now();
    let (done, ok) = apply_target(
        cluster,
        scanner,
        gate,
        opts,
        impact,
        Strategy::Incremental,
        "prune and record".into(),
        progress,
        ex,
    )
    .await;
    ex.errors.extend(done.errors.iter().cloned());
    ex.deploys.push(done);
    if !ok {
        ex.ended = Ended::Error;
        return;
    }
    let healthy = settle(
        cluster,
        store,
        scanner,
        &opts.health,
        refs,
        final_start,
        final_start + opts.timeout,
        ex,
    )
    .await;
    ex.ended = if healthy {
        Ended::Healthy
    } else {
        Ended::Unhealthy
    };
}

/// Records what is live now as a failed revision (a stopped incremental rollback leaves
/// a mix; the history says so instead of pretending either side).
async fn record_live_state(
    cluster: &Cluster,
    store: &RevisionStore<'_>,
    opts: &RollbackOptions,
    why: &str,
    ex: &mut Executed,
) {
    let manifests = match deploy::state::live_state(cluster, &opts.set, &opts.namespace).await {
        Ok(m) => m,
        Err(e) => {
            ex.errors.push(e);
            return;
        }
    };
    let mut rev = Revision::new(&opts.set, &opts.namespace, &opts.author, manifests);
    rev.description = Some(why.to_string());
    rev.rollout = Rollout::Failed {
        reason: why.to_string(),
    };
    match store.record(rev).await {
        Ok(n) => ex.revision = Some(n),
        Err(e) => ex.errors.push(e),
    }
}

/// `--create-backup DESCRIPTION`: records the set's live state as a revision without
/// deploying anything (a restore point). Returns its number.
pub async fn create_restore_point(
    cluster: &Cluster,
    store: &RevisionStore<'_>,
    opts: &RollbackOptions,
    description: &str,
) -> Result<u64, Diagnostic> {
    let lock = lock::acquire(
        cluster,
        &opts.namespace,
        &opts.set,
        "restore point",
        &opts.author,
        Duration::from_secs(120),
    )
    .await?;
    let result = async {
        let manifests = deploy::state::live_state(cluster, &opts.set, &opts.namespace).await?;
        let mut rev = Revision::new(&opts.set, &opts.namespace, &opts.author, manifests);
        rev.description = Some(format!("restore point: {description}"));
        rev.rollout = Rollout::Succeeded;
        store.record(rev).await
    }
    .await;
    let released = lock.release().await;
    let n = result?;
    released?;
    Ok(n)
}

/// What `--auto-rollback` saw and did.
#[derive(Debug, Default)]
pub struct Watched {
    /// The revision watched.
    pub watched: Option<u64>,
    /// Every health measurement, in order.
    pub scores: Vec<u32>,
    /// The revision rolled back to, when the health stayed under the threshold.
    pub target: Option<u64>,
    pub impact: Option<Impact>,
    /// The rollback, when it ran (`confirm`).
    pub executed: Option<Executed>,
    pub errors: Vec<Diagnostic>,
}

/// `--auto-rollback`: measures the set's health every `interval` for `duration`; when
/// `consecutive` measurements in a row are under the threshold, rolls back to the last
/// revision recorded healthy (only with `confirm`; without it, the impact of that
/// rollback is analysed and nothing changes). `report` is called after each measurement.
#[allow(clippy::too_many_arguments)]
pub async fn watch_and_roll_back(
    cluster: &Cluster,
    store: &RevisionStore<'_>,
    scanner: Arc<Scanner>,
    gate: Gate,
    opts: &RollbackOptions,
    duration: Duration,
    confirm: bool,
    report: &(dyn Fn(usize, &Health) + Send + Sync),
    progress: &dyn WaitProgress,
) -> Watched {
    let mut w = Watched::default();
    let current = match store.latest().await {
        Ok(Some(c)) => c,
        Ok(None) => {
            w.errors.push(Diagnostic::new(
                Code::Settings,
                format!(
                    "set {} in namespace {} has no revisions to watch",
                    opts.set, opts.namespace
                ),
            ));
            return w;
        }
        Err(e) => {
            w.errors.push(e);
            return w;
        }
    };
    w.watched = Some(current.number);
    let load = scanner.options().load.clone();
    let (docs, _) = documents(
        "watched",
        current.manifests.clone(),
        SecretMode::Referenced,
        &load,
    );
    let refs = workload_refs(&docs, &opts.namespace);
    let started = Instant::now();
    let end = started + duration;
    loop {
        match measure(cluster, &scanner, &refs, &opts.health.weights, 300).await {
            Ok(h) => {
                w.scores.push(h.score);
                report(w.scores.len(), &h);
            }
            Err(e) => {
                w.errors.push(e);
                return w;
            }
        }
        if crate::health::should_roll_back(
            &w.scores,
            opts.health.threshold,
            opts.health.consecutive,
        ) {
            break;
        }
        let now = Instant::now();
        if now + opts.health.interval > end {
            return w;
        }
        tokio::time::sleep(opts.health.interval).await;
    }
    let history = match store.list().await {
        Ok(h) => h,
        Err(e) => {
            w.errors.push(e);
            return w;
        }
    };
    let number = match super::choose(&history, Target::LastHealthy) {
        Ok(n) => n,
        Err(m) => {
            w.errors.push(Diagnostic::new(
                Code::Cluster,
                format!(
                    "--auto-rollback: the health of set {} stayed under {} for {} checks, and {m}",
                    opts.set, opts.health.threshold, opts.health.consecutive
                ),
            ));
            return w;
        }
    };
    w.target = Some(number);
    let impact = match analyse(cluster, store, scanner.clone(), gate, opts, number).await {
        Ok(i) => i,
        Err(e) => {
            w.errors.push(e);
            return w;
        }
    };
    if confirm && impact.blocked(opts.allow_findings).is_none() {
        w.executed = Some(execute(cluster, store, scanner, gate, opts, &impact, progress).await);
    }
    w.impact = Some(impact);
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ResourceType;

    fn types(list: &[(&str, &str)]) -> Types {
        Types::from_types(
            list.iter()
                .map(|(v, k)| ResourceType {
                    api_version: v.to_string(),
                    group: v
                        .rsplit_once('/')
                        .map(|(g, _)| g.to_string())
                        .unwrap_or_default(),
                    version: v.rsplit('/').next().unwrap_or("").to_string(),
                    kind: k.to_string(),
                    plural: format!("{}s", k.to_ascii_lowercase()),
                    namespaced: true,
                    verbs: vec!["get".into(), "list".into()],
                })
                .collect(),
        )
    }

    #[test]
    fn unserved_versions_are_found_with_what_the_cluster_serves_instead() {
        let t = types(&[("networking.k8s.io/v1", "Ingress"), ("v1", "ConfigMap")]);
        let m = |s: &str| serde_yaml::from_str::<Value>(s).unwrap_or(Value::Null);
        let manifests = [
            m("apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web}"),
            m("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}"),
            m("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: p}"),
            m("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}"),
            m(
                "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {group: example.com}",
            ),
        ];
        let u = unserved(&manifests[..4], &t);
        assert_eq!(u.len(), 3, "{u:?}");
        assert_eq!(u[0].object, "Ingress/web");
        assert_eq!(u[0].served, vec!["networking.k8s.io/v1".to_string()]);
        assert!(
            u[0].fix
                .contains("migrate Ingress web to networking.k8s.io/v1")
        );
        assert!(u[1].fix.contains("serves no PodSecurityPolicy"));
        // A CRD of the set serves its group (the CRD itself is unserved here only because
        // the test's discovery lacks apiextensions).
        let with_crd = unserved(&manifests, &t);
        assert!(!with_crd.iter().any(|x| x.kind == "Widget"));
    }
}
