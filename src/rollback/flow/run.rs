//! Running a rollback ([`execute`]): under the set's lock, the health before, the chosen
//! [`Strategy`](crate::rollback::Strategy), the health after and what it did ([`Executed`]).

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::impact::{Impact, documents};
use super::strategies::{incremental, whole};
use super::{HealthCheck, RollbackOptions, base_options, scan};
use crate::cluster::Cluster;
use crate::cluster::observe::{self, WorkloadRef};
use crate::deploy::{self, Outcome, wait::WaitProgress};
use crate::diag::Diagnostic;
use crate::gate::Gate;
use crate::health::{Health, Weights};
use crate::revision::{RevisionStore, SecretMode, lock};
use crate::rollback::Strategy;
use crate::scan::Scanner;

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
pub(super) async fn wait_healthy(
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

pub(super) fn stopped_why(o: &Outcome) -> String {
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
pub(super) async fn settle(
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
pub(super) async fn apply_target(
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
        impact.docs.to_vec(),
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
