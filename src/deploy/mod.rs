//! `confgate deploy`: the pre-deploy gate, then server-side apply in dependency order,
//! rollout wait, verification and a revision per apply.
//!
//! Pure decisions (the plan and its order, ApplySet membership, readiness, drift) live in
//! `plan.rs`, `ready.rs` and `verify.rs` and are tested on literal YAML; `apply.rs` and
//! `wait.rs` wrap them thinly around a `cluster::Cluster` passed in. Nothing changes in the
//! cluster before the gate passed, every permission the deploy needs was confirmed, and a
//! server-side dry run of every object succeeded.

pub mod apply;
pub mod plan;
pub mod ready;
pub mod state;
pub mod verify;
pub mod wait;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::cluster::Cluster;
use crate::cluster::access::{self, Permission};
use crate::cluster::diff::{Change, ObjectDiff};
use crate::cluster::ops::ApplyOptions;
use crate::diag::{Code, Diagnostic};
use crate::document::Document;
use crate::gate::Gate;
use crate::scan::{ScanOutcome, Scanner};

use apply::{Conflict, Types};
use plan::Item;
use wait::{Rollout, WaitProgress};

/// How to deploy.
#[derive(Clone, Debug)]
pub struct DeployOptions {
    /// The set's name: what its ApplySet and its revisions are called.
    pub set: String,
    /// Where objects without a namespace go, and where the set's records live.
    pub namespace: String,
    pub create_namespace: bool,
    /// `--apply`: change the cluster. Without it, everything runs as a server-side dry run.
    pub apply: bool,
    pub wait: bool,
    pub timeout: Duration,
    pub verify: bool,
    pub prune: bool,
    pub force_conflicts: bool,
    pub rollback_on_failure: bool,
    pub description: Option<String>,
    /// Revisions kept.
    pub history_max: usize,
    /// Wait for LoadBalancer Services to get an address.
    pub wait_load_balancer: bool,
    /// Who deploys, when the cluster does not say (`SelfSubjectReview`).
    pub author: String,
    /// The git commit of the manifests, when they are in a repository.
    pub commit: Option<String>,
    /// Encrypts Secret values in revisions; without it they are kept as SHA-256
    /// references only.
    pub revision_key: Option<crate::seal::Key>,
    /// The caller gated the set itself (a rollback gates on the findings it
    /// re-introduces): the scan still runs and is recorded, but does not block.
    pub gated_by_caller: bool,
    /// Record the deploy as a revision (a rollback's intermediate steps are not).
    pub record: bool,
    /// Take the set's lock while changing the cluster (a rollback holds it itself).
    pub lock: bool,
    /// A rollout whose health (0–100) is under this is a failed rollout (for
    /// `--rollback-on-failure`).
    pub health_threshold: Option<u32>,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            set: String::new(),
            namespace: "default".into(),
            create_namespace: false,
            apply: false,
            wait: false,
            timeout: Duration::from_secs(600),
            verify: false,
            prune: false,
            force_conflicts: false,
            rollback_on_failure: false,
            description: None,
            history_max: 10,
            wait_load_balancer: false,
            author: "unknown".into(),
            commit: None,
            revision_key: None,
            gated_by_caller: false,
            record: true,
            lock: true,
            health_threshold: None,
        }
    }
}

impl DeployOptions {
    /// These options as a drift check: a server-side dry run that changes nothing, records
    /// nothing, takes no lock and does not gate (what `status` and the disaster drills use
    /// to see which objects differ from the files).
    pub fn drift_check(&self) -> DeployOptions {
        DeployOptions {
            apply: false,
            wait: false,
            verify: false,
            gated_by_caller: true,
            record: false,
            lock: false,
            rollback_on_failure: false,
            ..self.clone()
        }
    }
}

/// How long the set lock outlives the deploy's timeout before another process may take it
/// over (a killed deploy leaves its lock to expire).
pub const LOCK_MARGIN: Duration = Duration::from_secs(300);

/// Where a deploy stopped, if it did not finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stopped {
    /// The set does not load or plan (duplicates, names).
    Plan,
    /// Findings at or above the gate, or files the scan could not read.
    Gate,
    /// Permissions missing.
    Permissions,
    /// The server-side dry run refused objects (invalid, conflicts, missing namespace).
    Check,
    /// An object failed while applying; the rest was not applied.
    Apply,
    /// The rollout failed or timed out.
    Rollout,
    /// The wait was interrupted (Ctrl-C).
    Interrupted,
}

/// Everything a deploy did, for the report and the exit code.
#[derive(Debug, Default)]
pub struct Outcome {
    pub set: String,
    pub namespace: String,
    pub dry_run: bool,
    pub stopped: Option<Stopped>,
    /// The gate's scan of the set.
    pub scan: ScanOutcome,
    pub missing: Vec<Permission>,
    /// Per object, what applying does (dry run) or did.
    pub diffs: Vec<ObjectDiff>,
    pub conflicts: Vec<Conflict>,
    pub applied: Vec<(String, Change)>,
    pub not_applied: Vec<String>,
    pub pruned: Vec<String>,
    pub rollout: Option<Rollout>,
    pub verified: Option<verify::Verified>,
    /// The revision this deploy recorded.
    pub revision: Option<u64>,
    /// The revision re-applied by `--rollback-on-failure`.
    pub restored: Option<u64>,
    /// How the rollout of the re-applied revision ended (it may fail too).
    pub restored_rollout: Option<crate::revision::Rollout>,
    pub errors: Vec<Diagnostic>,
}

impl Outcome {
    fn stop(mut self, at: Stopped) -> Outcome {
        self.stopped = Some(at);
        self
    }
}

/// The permissions a deploy of `items` needs (`reads_namespace`: it reads the set's
/// namespace to see whether it exists).
fn needed(
    items: &[Item],
    types: &Types,
    opts: &DeployOptions,
    reads_namespace: bool,
) -> Vec<Permission> {
    let mut out = Vec::new();
    if reads_namespace {
        out.push(Permission::new("get", "", "namespaces", None));
    }
    for i in items {
        if let Some(t) = types.get(&i.api_version, &i.kind) {
            let ns = i.namespace.as_deref();
            for verb in ["get", "create", "patch"] {
                out.push(Permission::new(verb, &t.group, &t.plural, ns));
            }
            if opts.prune {
                out.push(Permission::new("list", &t.group, &t.plural, ns));
                out.push(Permission::new("delete", &t.group, &t.plural, ns));
            }
            if opts.wait && ready::waits_for(&i.api_version, &i.kind) {
                out.push(Permission::new("watch", &t.group, &t.plural, ns));
            }
        }
    }
    let ns = Some(opts.namespace.as_str());
    // The ApplySet parent and the revision records are Secrets in the set's namespace.
    for verb in ["get", "list", "create", "patch", "update", "delete"] {
        out.push(Permission::new(verb, "", "secrets", ns));
    }
    if opts.wait {
        out.push(Permission::new("list", "", "pods", ns));
        out.push(Permission::new("list", "", "events", ns));
    }
    out
}

/// Asks for `needed` at once: the missing ones go to `out.missing` (or the failure to ask
/// to `out.errors`) and the deploy stops there.
async fn preflight(
    cluster: &Cluster,
    needed: &[Permission],
    out: &mut Outcome,
) -> Result<(), Stopped> {
    match access::missing(cluster, needed).await {
        Ok(m) if m.is_empty() => Ok(()),
        Ok(m) => {
            out.missing = m;
            Err(Stopped::Permissions)
        }
        Err(e) => {
            out.errors.push(e);
            Err(Stopped::Permissions)
        }
    }
}

/// Applies the set's ApplySet parent listing the kinds of `items` (`what`: apply/update).
async fn apply_parent(
    cluster: &Cluster,
    secret: &crate::cluster::ResourceType,
    opts: &DeployOptions,
    items: &[Item],
    what: &str,
) -> Result<(), Diagnostic> {
    let parent = plan::parent_object(&opts.set, &opts.namespace, items);
    let force = ApplyOptions {
        force: true,
        ..ApplyOptions::default()
    };
    cluster
        .apply_object(secret, Some(&opts.namespace), &parent, &force)
        .await
        .map(|_| ())
        .map_err(|e| e.diagnostic(&format!("{what} the set's ApplySet parent")))
}

/// `--rollback-on-failure`: re-applies revision `prev` (its Secrets only when their values
/// were kept encrypted), waits for it, and records it as a new revision.
#[allow(clippy::too_many_arguments)]
async fn restore(
    cluster: &Cluster,
    types: &mut Types,
    store: &crate::revision::RevisionStore<'_>,
    prev: &crate::revision::Revision,
    failed: u64,
    opts: &DeployOptions,
    progress: &dyn WaitProgress,
    out: &mut Outcome,
) {
    let manifests = match store.restore(prev) {
        Ok(m) => m,
        Err(e) => {
            out.errors.push(e);
            return;
        }
    };
    let mut items = Vec::new();
    for m in manifests {
        let s = |p: &str| m.pointer(p).and_then(Value::as_str).map(str::to_string);
        if prev.secrets == crate::revision::SecretMode::Referenced
            && crate::revision::secrets::is_secret(&m)
        {
            // Only references were kept: the live Secret stays as it is.
            continue;
        }
        let (Some(api_version), Some(kind), Some(name)) =
            (s("/apiVersion"), s("/kind"), s("/metadata/name"))
        else {
            continue;
        };
        items.push(Item {
            namespace: s("/metadata/namespace"),
            api_version,
            kind,
            name,
            object: m,
            file: format!("revision {}", prev.number),
            line: 0,
        });
    }
    items.sort_by_key(|i| plan::tier(&i.api_version, &i.kind));
    let applied = apply::apply(cluster, types, &items, true, opts.timeout).await;
    if !applied.errors.is_empty() {
        out.errors.extend(applied.errors);
        return;
    }
    let ready_opts = ready::ReadyOptions {
        load_balancer: opts.wait_load_balancer,
    };
    let state = match wait::wait(cluster, types, &items, opts.timeout, ready_opts, progress).await {
        Ok(r) if r.ready => crate::revision::Rollout::Succeeded,
        Ok(r) if r.timed_out => crate::revision::Rollout::TimedOut {
            reason: r.summary(),
        },
        Ok(r) => crate::revision::Rollout::Failed {
            reason: r.summary(),
        },
        Err(e) => crate::revision::Rollout::Failed {
            reason: e.to_string(),
        },
    };
    let mut rev = crate::revision::Revision::new(
        &opts.set,
        &opts.namespace,
        &prev.author,
        prev.manifests.clone(),
    );
    rev.sealed = prev.sealed.clone();
    rev.secrets = prev.secrets;
    rev.commit = prev.commit.clone();
    rev.description = Some(format!(
        "automatic rollback to revision {} after revision {failed} failed",
        prev.number
    ));
    rev.scan = prev.scan.clone();
    rev.rollout = state.clone();
    match store.record(rev).await {
        Ok(n) => {
            if let Err(e) = store.set_rollout(n, state.clone()).await {
                out.errors.push(e);
            }
            out.restored = Some(prev.number);
            out.restored_rollout = Some(state);
        }
        Err(e) => out.errors.push(e),
    }
}

/// Runs a deploy of `docs` to `cluster`, gated by `scanner` and `gate`.
pub async fn deploy(
    cluster: &Cluster,
    scanner: Arc<Scanner>,
    gate: Gate,
    docs: Vec<Document>,
    opts: &DeployOptions,
    progress: &dyn WaitProgress,
) -> Outcome {
    let mut held = None;
    let mut out = run(cluster, scanner, gate, docs, opts, progress, &mut held).await;
    if let Some(lock) = held
        && let Err(e) = lock.release().await
    {
        out.errors.push(e);
    }
    out
}

async fn run<'c>(
    cluster: &'c Cluster,
    scanner: Arc<Scanner>,
    gate: Gate,
    docs: Vec<Document>,
    opts: &DeployOptions,
    progress: &dyn WaitProgress,
    held: &mut Option<crate::revision::lock::SetLock<'c>>,
) -> Outcome {
    let mut out = Outcome {
        set: opts.set.clone(),
        namespace: opts.namespace.clone(),
        dry_run: !opts.apply,
        ..Outcome::default()
    };
    if let Err(e) = plan::check_set_name(&opts.set) {
        out.errors.push(e);
        return out.stop(Stopped::Plan);
    }
    let mut items = match plan::plan(&docs, &opts.namespace) {
        Ok(i) => i,
        Err(e) => {
            out.errors.push(e);
            return out.stop(Stopped::Plan);
        }
    };
    // 1. The gate, before anything touches the cluster. A caller that gated the set
    //    itself and only wants the dry run (a rollback's impact analysis) has its scan.
    let s = scanner.clone();
    let skip_scan = opts.gated_by_caller && !opts.apply;
    match tokio::task::spawn_blocking(move || {
        if skip_scan {
            Ok(ScanOutcome::default())
        } else {
            s.scan_documents(docs)
        }
    })
    .await
    {
        Ok(Ok(scan)) => out.scan = scan,
        Ok(Err(e)) => {
            out.errors.push(e);
            return out.stop(Stopped::Gate);
        }
        Err(e) => {
            out.errors.push(Diagnostic::new(
                Code::System,
                format!("the scan stopped: {e}"),
            ));
            return out.stop(Stopped::Gate);
        }
    }
    if !out.scan.errors.is_empty() || (!opts.gated_by_caller && !gate.passes(&out.scan.findings)) {
        return out.stop(Stopped::Gate);
    }
    let mut types = match Types::discover(cluster).await {
        Ok(t) => t,
        Err(e) => {
            out.errors.push(e);
            return out.stop(Stopped::Check);
        }
    };
    // 2. Every member is labelled with the set's ApplySet id.
    let parent_name = plan::parent_name(&opts.set);
    let id = plan::applyset_id(&parent_name, &opts.namespace);
    for i in &mut items {
        plan::label_member(&mut i.object, &id);
    }
    // 3. Permissions, all at once (reading the set's namespace included), before the
    //    cluster is read.
    let ns_type = types.get("v1", "Namespace").cloned();
    let has_ns_item = items
        .iter()
        .any(|i| i.kind == "Namespace" && i.name == opts.namespace);
    let reads_namespace = ns_type.is_some() && !has_ns_item;
    if let Err(stop) = preflight(
        cluster,
        &needed(&items, &types, opts, reads_namespace),
        &mut out,
    )
    .await
    {
        return out.stop(stop);
    }
    // 4. The namespace.
    if let Some(t) = &ns_type
        && reads_namespace
    {
        match cluster.get_object(t, None, &opts.namespace).await {
            Ok(Some(_)) => {}
            Ok(None) if opts.create_namespace => {
                let mut object = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": opts.namespace}});
                plan::label_member(&mut object, &id);
                items.insert(
                    0,
                    Item {
                        object,
                        api_version: "v1".into(),
                        kind: "Namespace".into(),
                        name: opts.namespace.clone(),
                        namespace: None,
                        file: "--create-namespace".into(),
                        line: 0,
                    },
                );
                let create: Vec<Permission> = ["create", "patch"]
                    .iter()
                    .map(|v| Permission::new(v, &t.group, &t.plural, None))
                    .collect();
                if let Err(stop) = preflight(cluster, &create, &mut out).await {
                    return out.stop(stop);
                }
            }
            Ok(None) => {
                out.errors.push(Diagnostic::new(
                    Code::InvalidObject,
                    format!(
                        "namespace {} does not exist in context {}: create it, add it to the set, or pass --create-namespace",
                        opts.namespace,
                        cluster.context()
                    ),
                ));
                return out.stop(Stopped::Check);
            }
            Err(e) => {
                out.errors.push(e);
                return out.stop(Stopped::Check);
            }
        }
    }
    // 5. A server-side dry run of everything.
    let checked = apply::check(cluster, &types, &items, opts.force_conflicts).await;
    out.diffs = checked.diffs;
    out.conflicts = checked.conflicts;
    out.errors.extend(checked.errors);
    if !out.conflicts.is_empty() || !out.errors.is_empty() {
        return out.stop(Stopped::Check);
    }
    let secret_t = types.get("v1", "Secret").cloned();
    let previous_parent = match &secret_t {
        Some(t) => cluster
            .get_object(t, Some(&opts.namespace), &parent_name)
            .await
            .unwrap_or(None),
        None => None,
    };
    if !opts.apply {
        if opts.prune {
            match apply::prune(
                cluster,
                &types,
                &items,
                previous_parent.as_ref(),
                &opts.namespace,
                &id,
                true,
            )
            .await
            {
                Ok(p) => out.pruned = p,
                Err(e) => out.errors.push(e),
            }
        }
        return out;
    }
    // 6. Apply: the parent first (with the union of kinds, so an interrupted deploy can
    //    still be pruned), then the members in order.
    let mut union_items = items.clone();
    if let Some(p) = &previous_parent {
        let (kinds, _) = plan::parent_members(p);
        for gk in kinds {
            if !union_items.iter().any(|i| i.group_kind() == gk) {
                let (kind, api_version) = match gk.split_once('.') {
                    Some((k, g)) => (k.to_string(), format!("{g}/v1")),
                    None => (gk.clone(), "v1".to_string()),
                };
                union_items.push(Item {
                    object: Value::Null,
                    api_version,
                    kind,
                    name: String::new(),
                    namespace: None,
                    file: String::new(),
                    line: 0,
                });
            }
        }
    }
    // Namespaces first: the parent lives in the set's namespace.
    let (namespaces, members): (Vec<Item>, Vec<Item>) = items
        .iter()
        .cloned()
        .partition(|i| i.kind == "Namespace" && i.api_version == "v1");
    let first = apply::apply(
        cluster,
        &mut types,
        &namespaces,
        opts.force_conflicts,
        opts.timeout,
    )
    .await;
    out.applied = first.applied;
    if !first.errors.is_empty() {
        out.not_applied = first.not_applied;
        out.not_applied.extend(members.iter().map(Item::shown));
        out.errors.extend(first.errors);
        return out.stop(Stopped::Apply);
    }
    // The set's namespace exists now: the set is locked against concurrent deploys and
    // rollbacks until this deploy ends.
    if opts.lock {
        match crate::revision::lock::acquire(
            cluster,
            &opts.namespace,
            &opts.set,
            "deploy",
            &opts.author,
            opts.timeout + LOCK_MARGIN,
        )
        .await
        {
            Ok(l) => *held = Some(l),
            Err(e) => {
                out.not_applied = members.iter().map(Item::shown).collect();
                out.errors.push(e);
                return out.stop(Stopped::Apply);
            }
        }
    }
    if let Some(t) = &secret_t
        && let Err(e) = apply_parent(cluster, t, opts, &union_items, "apply").await
    {
        out.errors.push(e);
        return out.stop(Stopped::Apply);
    }
    let applied = apply::apply(
        cluster,
        &mut types,
        &members,
        opts.force_conflicts,
        opts.timeout,
    )
    .await;
    out.applied.extend(applied.applied);
    out.not_applied = applied.not_applied;
    if !applied.errors.is_empty() {
        out.errors.extend(applied.errors);
        return out.stop(Stopped::Apply);
    }
    if opts.prune {
        match apply::prune(
            cluster,
            &types,
            &items,
            previous_parent.as_ref(),
            &opts.namespace,
            &id,
            false,
        )
        .await
        {
            Ok(p) => out.pruned = p,
            Err(e) => {
                out.errors.push(e);
                return out.stop(Stopped::Apply);
            }
        }
        if let Some(t) = &secret_t
            && let Err(e) = apply_parent(cluster, t, opts, &items, "update").await
        {
            out.errors.push(e);
        }
    }
    // 7. The revision, recorded before the wait so that an interrupted or failed rollout
    //    leaves a revision saying so, never a half-written one.
    let store = match crate::revision::RevisionStore::open(
        cluster,
        &opts.namespace,
        &opts.set,
        opts.history_max,
        opts.revision_key.clone(),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => {
            out.errors.push(e);
            return out.stop(Stopped::Apply);
        }
    };
    let previous = store.latest().await.ok().flatten();
    let author = match access::identity(cluster).await {
        Ok(Some(i)) if !i.username.is_empty() => i.username,
        _ => opts.author.clone(),
    };
    let mut rev = crate::revision::Revision::new(
        &opts.set,
        &opts.namespace,
        &author,
        items.iter().map(|i| i.object.clone()).collect(),
    );
    rev.commit = opts.commit.clone();
    rev.description = opts.description.clone();
    rev.scan = crate::revision::ScanSummary::from_findings(&out.scan.findings, &gate);
    let number = if opts.record {
        match store.record(rev).await {
            Ok(n) => Some(n),
            Err(e) => {
                out.errors.push(e);
                return out.stop(Stopped::Apply);
            }
        }
    } else {
        None
    };
    out.revision = number;
    // 8. Rollout.
    if opts.wait {
        let ready_opts = ready::ReadyOptions {
            load_balancer: opts.wait_load_balancer,
        };
        let waited = tokio::select! {
            r = wait::wait(cluster, &types, &items, opts.timeout, ready_opts, progress) => Some(r),
            _ = tokio::signal::ctrl_c() => None,
        };
        use crate::revision::Rollout as R;
        let (state, mut stop) = match waited {
            None => {
                out.errors.push(Diagnostic::new(
                    Code::Cluster,
                    match number {
                        Some(n) => format!("interrupted while waiting for the rollout (the objects were applied; revision {n} is marked interrupted)"),
                        None => "interrupted while waiting for the rollout (the objects were applied)".to_string(),
                    },
                ));
                (R::Interrupted, Some(Stopped::Interrupted))
            }
            Some(Err(e)) => {
                let reason = e.to_string();
                out.errors.push(e);
                (R::Failed { reason }, Some(Stopped::Rollout))
            }
            Some(Ok(r)) => {
                let state = if r.ready {
                    R::Succeeded
                } else if r.timed_out {
                    R::TimedOut {
                        reason: r.summary(),
                    }
                } else {
                    R::Failed {
                        reason: r.summary(),
                    }
                };
                let ok = r.ready;
                out.rollout = Some(r);
                (state, (!ok).then_some(Stopped::Rollout))
            }
        };
        let succeeded = state == crate::revision::Rollout::Succeeded;
        if let Some(number) = number
            && let Err(e) = store.set_rollout(number, state).await
        {
            out.errors.push(e);
        }
        // The health at the time, for `rollback --list` and `--to-last-healthy`.
        if succeeded && let Some(number) = number {
            let refs: Vec<crate::cluster::observe::WorkloadRef> = items
                .iter()
                .filter(|i| crate::cluster::observe::is_scored(&i.kind))
                .map(|i| {
                    (
                        i.namespace
                            .clone()
                            .unwrap_or_else(|| opts.namespace.clone()),
                        i.kind.clone(),
                        i.name.clone(),
                    )
                })
                .collect();
            // The security signal is the scan of the workloads, as `rollback` measures it.
            let counted: Vec<crate::finding::Finding> = out
                .scan
                .findings
                .iter()
                .filter(|f| Gate::counts(f) && crate::cluster::observe::is_scored(&f.resource.kind))
                .cloned()
                .collect();
            let security = crate::finding::security_score(&counted, refs.len());
            match crate::cluster::observe::observe(cluster, &refs).await {
                Ok(o) => {
                    let h = o.health(
                        Some(f64::from(security)),
                        &crate::health::Weights::default(),
                        opts.timeout.as_secs() as i64 + 60,
                    );
                    if let Err(e) = store.set_health(number, h.score).await {
                        tracing::warn!("{e}");
                    }
                    // `--health-threshold`: a rollout that finished unhealthy failed too
                    // (the decision `rollback --auto-rollback` takes, on one measurement).
                    if let Some(t) = opts.health_threshold
                        && crate::health::should_roll_back(&[h.score], t, 1)
                    {
                        let reason = format!(
                            "health {} is under the threshold {t} after the rollout",
                            h.score
                        );
                        if let Err(e) = store
                            .set_rollout(
                                number,
                                crate::revision::Rollout::Failed {
                                    reason: reason.clone(),
                                },
                            )
                            .await
                        {
                            out.errors.push(e);
                        }
                        match out.rollout.as_mut() {
                            Some(r) => {
                                r.ready = false;
                                r.problems.push(reason);
                            }
                            None => out.errors.push(Diagnostic::new(Code::Cluster, reason)),
                        }
                        stop = Some(Stopped::Rollout);
                    }
                }
                Err(e) => tracing::warn!("health after the rollout: {e}"),
            }
        }
        if let Some(at) = stop {
            if at == Stopped::Rollout && opts.rollback_on_failure {
                match (previous, number) {
                    (Some(prev), Some(number)) => {
                        restore(
                            cluster, &mut types, &store, &prev, number, opts, progress, &mut out,
                        )
                        .await
                    }
                    _ => out.errors.push(Diagnostic::new(
                        Code::Cluster,
                        format!(
                            "--rollback-on-failure: set {} has no earlier revision to return to",
                            opts.set
                        ),
                    )),
                }
            }
            return out.stop(at);
        }
    }
    // 9. Verification.
    if opts.verify {
        match verify::verify(cluster, &types, &items, scanner, &out.scan.findings).await {
            Ok(v) => out.verified = Some(v),
            Err(e) => out.errors.push(e),
        }
    }
    out
}
