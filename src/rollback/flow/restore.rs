//! Restore points (`--create-backup`) and `--auto-rollback` ([`watch_and_roll_back`]):
//! the set's health watched after a deploy, and a rollback when it stays under the
//! threshold.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::impact::{Impact, analyse, documents};
use super::run::{Executed, execute, measure};
use super::{RollbackOptions, workload_refs};
use crate::cluster::Cluster;
use crate::deploy::{self, wait::WaitProgress};
use crate::diag::{Code, Diagnostic};
use crate::gate::Gate;
use crate::health::Health;
use crate::revision::{Revision, RevisionStore, Rollout, SecretMode, lock};
use crate::rollback::Target;
use crate::scan::Scanner;

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
    let number = match crate::rollback::choose(&history, Target::LastHealthy) {
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
