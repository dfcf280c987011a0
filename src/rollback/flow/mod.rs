//! The rollback flow against a cluster: [`analyse`] (the impact: a server-side dry run of
//! the target, the policy delta, risks, API versions the cluster no longer serves),
//! [`execute`] (one of the three [`Strategy`]s, under the set's lock, with health before
//! and after and a live re-scan), [`create_restore_point`] (`--create-backup`) and
//! [`watch_and_roll_back`] (`--auto-rollback`). Rendering is the command's.
//!
//! One file per stage: `impact.rs` (the analysis), `run.rs` (the lock, health before and
//! after), `strategies.rs` (standard, atomic, incremental), `restore.rs` (restore points,
//! `--auto-rollback`); the helpers they share are here.

use std::sync::Arc;
use std::time::Duration;

use super::Strategy;
use crate::cluster::observe::{self, WorkloadRef};
use crate::deploy::DeployOptions;
use crate::diag::{Code, Diagnostic};
use crate::document::Document;
use crate::health::Weights;
use crate::scan::{ScanOutcome, Scanner};

mod impact;
mod restore;
mod run;
mod strategies;

pub use impact::{Impact, Unserved, analyse, documents, unserved};
pub use restore::{Watched, create_restore_point, watch_and_roll_back};
pub use run::{Ended, Executed, Step, execute, measure};

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
