//! The three strategies as deploys of the target: `standard` and `atomic` apply it whole
//! (atomic puts back the live state read before when the target does not become healthy),
//! `incremental` goes config first and then one workload at a time.

use std::sync::Arc;
use std::time::Instant;

use super::impact::{Impact, documents};
use super::run::{Ended, Executed, Step, apply_target, measure, settle, stopped_why, wait_healthy};
use super::{RollbackOptions, base_options, workload_refs};
use crate::cluster::Cluster;
use crate::cluster::observe::WorkloadRef;
use crate::deploy::{self, Stopped, plan, wait::WaitProgress};
use crate::diag::{Code, Diagnostic};
use crate::document::Document;
use crate::gate::Gate;
use crate::revision::{Revision, RevisionStore, Rollout, SecretMode};
use crate::rollback::Strategy;
use crate::scan::Scanner;

/// `standard` and `atomic`: the whole target at once.
#[allow(clippy::too_many_arguments)]
pub(super) async fn whole(
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
pub(super) async fn incremental(
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
    let steps = crate::rollback::incremental_steps(&kinds);
    let total = steps.len();
    let mut applied_refs: Vec<WorkloadRef> = Vec::new();
    for (k, step) in steps.iter().enumerate() {
        let step_start = Instant::now();
        let docs: Vec<Document> = step
            .iter()
            .map(|&j| impact.docs[order[j]].clone())
            .collect();
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
