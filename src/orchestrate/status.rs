//! `confgate status`: one look at a namespace (and its set) for people and for cron —
//! is the cluster there, what is deployed and by whom, does it still hold what the files
//! say, how healthy is it, what do the live findings say, when was the last backup and the
//! last verified restore, and which waivers expire soon. [`attention`] decides (pure) what
//! needs someone; the command exits 1 when anything does.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::backup::state::{BackupRun, BackupState, RestoreRun};
use crate::catalog::Severity;
use crate::cluster::Cluster;
use crate::cluster::diff::Change;
use crate::deploy::DeployOptions;
use crate::document::Document;
use crate::monitor::MonitorOptions;
use crate::revision::RevisionSummary;
use crate::revision::store::RevisionStore;
use crate::scan::Scanner;
use crate::waiver::CompiledWaiver;

/// What `status` looks at.
#[derive(Clone, Debug, Default)]
pub struct StatusOptions {
    pub namespace: String,
    /// The deployed set whose revisions are shown (else every set of the namespace the
    /// monitor finds).
    pub set: Option<String>,
    /// The set's files, for the drift check (none: drift is not checked).
    pub documents: Option<Vec<Document>>,
    /// The deploy options of the drift check (a dry run: never applied, locked or recorded).
    pub deploy: DeployOptions,
    pub monitor: MonitorOptions,
    /// Health under this needs attention.
    pub threshold: u32,
    /// A backup older than this (seconds) needs attention; `None`: no freshness policy.
    pub backup_max_age: Option<i64>,
    /// The waivers in effect (those expiring within [`crate::waiver::EXPIRY_WARNING_DAYS`]
    /// are listed).
    pub waivers: Vec<CompiledWaiver>,
}

/// A waiver that stops applying soon (or already did).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpiringWaiver {
    pub rule: Option<String>,
    pub owner: String,
    pub expires: String,
    /// Negative when it already expired.
    pub days_left: i64,
    pub origin: String,
}

/// The last backup and restore drill, from the backup lifecycle state.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BackupStatus {
    pub last_backup: Option<BackupRun>,
    /// Seconds since the last backup finished.
    pub age_seconds: Option<i64>,
    pub max_age_seconds: Option<i64>,
    pub last_verified_restore: Option<RestoreRun>,
    pub last_failure: Option<i64>,
}

/// A set as its revisions say.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SetState {
    pub set: String,
    pub revision: u64,
    /// RFC 3339.
    pub deployed_at: String,
    /// Who deployed it (empty when the store does not say).
    pub deployed_by: String,
    pub commit: Option<String>,
    pub rollout: String,
    pub health_at_deploy: Option<u32>,
}

/// Everything `status` found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StatusReport {
    pub context: String,
    pub server: String,
    pub namespace: String,
    pub reachable: bool,
    pub version: Option<String>,
    pub sets: Vec<SetState>,
    /// `None` when no files were given; else the objects that differ from the files.
    pub drift: Option<Vec<String>>,
    pub health: Option<u32>,
    pub threshold: u32,
    /// Live findings of the namespace's workloads by severity.
    pub findings: BTreeMap<Severity, usize>,
    pub backup: BackupStatus,
    pub waivers_expiring: Vec<ExpiringWaiver>,
    /// What could not be read (one line each).
    pub errors: Vec<String>,
    /// Why someone should look (empty: all is well).
    pub attention: Vec<String>,
}

/// The waivers that expire within `days` of `today` (days since the epoch), soonest first.
pub fn expiring(waivers: &[CompiledWaiver], today: i64, days: i64) -> Vec<ExpiringWaiver> {
    let mut out: Vec<ExpiringWaiver> = waivers
        .iter()
        .filter_map(|w| {
            let d = crate::waiver::parse_date(&w.waiver.expires)?;
            (d - today <= days).then(|| ExpiringWaiver {
                rule: w.waiver.rule.clone(),
                owner: w.waiver.owner.clone(),
                expires: w.waiver.expires.clone(),
                days_left: d - today,
                origin: w.origin.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.days_left.cmp(&b.days_left).then(a.origin.cmp(&b.origin)));
    out
}

/// The backup part of the report at `now` (seconds since the epoch).
pub fn backup_status(s: &BackupState, max_age: Option<i64>, now: i64) -> BackupStatus {
    BackupStatus {
        age_seconds: s.last_backup.as_ref().map(|b| (now - b.finished).max(0)),
        last_backup: s.last_backup.clone(),
        max_age_seconds: max_age,
        last_verified_restore: s.last_verified_restore.clone(),
        last_failure: s.last_failure,
    }
}

/// The report on a cluster that could not be reached (`error` says why).
pub fn unreachable(namespace: String, error: String) -> StatusReport {
    let mut r = StatusReport {
        namespace,
        errors: vec![error],
        ..StatusReport::default()
    };
    r.attention = attention(&r);
    r
}

/// What needs attention, one line each (pure).
pub fn attention(r: &StatusReport) -> Vec<String> {
    let mut out = Vec::new();
    if !r.reachable {
        out.push("the cluster cannot be reached".to_string());
        return out;
    }
    match r.health {
        Some(h) if h < r.threshold => {
            out.push(format!("health {h} is under the threshold {}", r.threshold))
        }
        _ => {}
    }
    for s in &r.sets {
        if s.rollout != "succeeded" {
            out.push(format!(
                "set {} revision {}: rollout {}",
                s.set, s.revision, s.rollout
            ));
        }
    }
    if let Some(d) = &r.drift
        && !d.is_empty()
    {
        out.push(format!("{} objects differ from the files", d.len()));
    }
    if let Some(max) = r.backup.max_age_seconds {
        match r.backup.age_seconds {
            None => out.push("no backup has been recorded".to_string()),
            Some(age) if age > max => out.push(format!(
                "the last backup is {} old (policy: {})",
                human(age),
                human(max)
            )),
            _ => {}
        }
    }
    if let (Some(f), Some(b)) = (r.backup.last_failure, &r.backup.last_backup)
        && f > b.finished
    {
        out.push("the last backup attempt failed".to_string());
    }
    out
}

/// A duration as the largest whole unit (`3d`, `5h`, `12m`, `40s`).
pub fn human(secs: i64) -> String {
    match secs {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3_600 => format!("{}h", s / 3_600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn set_state(r: &RevisionSummary) -> SetState {
    SetState {
        set: r.set.clone(),
        revision: r.number,
        deployed_at: r.created.to_string(),
        deployed_by: r.author.clone(),
        commit: r.commit.clone(),
        rollout: r.rollout.state().to_string(),
        health_at_deploy: r.health,
    }
}

/// Looks at the cluster: version, the set's newest revision (or every set of the namespace),
/// health and live findings (one monitoring pass), drift (a deploy dry run of the files),
/// the backup state of `state_dir` and the waivers.
pub async fn collect(
    cluster: &Cluster,
    scanner: Arc<Scanner>,
    gate: crate::gate::Gate,
    opts: StatusOptions,
) -> StatusReport {
    let now = jiff::Timestamp::now().as_second();
    let mut r = StatusReport {
        context: cluster.context().to_string(),
        server: cluster.server().to_string(),
        namespace: opts.namespace.clone(),
        threshold: opts.threshold,
        waivers_expiring: expiring(
            &opts.waivers,
            crate::waiver::today(),
            crate::waiver::EXPIRY_WARNING_DAYS,
        ),
        ..StatusReport::default()
    };
    match cluster.version().await {
        Ok(v) => {
            r.reachable = true;
            r.version = Some(v.git_version);
        }
        Err(e) => {
            r.errors.push(e.to_string());
            r.attention = attention(&r);
            return r;
        }
    }
    let snap = crate::monitor::collect(cluster, &scanner, &opts.monitor).await;
    r.errors.extend(snap.errors.iter().cloned());
    if let Some(ns) = snap
        .namespaces
        .iter()
        .find(|n| n.namespace == opts.namespace)
    {
        r.health = Some(ns.health.score);
        r.findings = ns.findings.clone();
    }
    match &opts.set {
        Some(set) => match RevisionStore::open(cluster, &opts.namespace, set, 0, None).await {
            Ok(store) => match store.list().await {
                Ok(list) => {
                    if let Some(newest) =
                        list.iter().filter(|s| s.complete).max_by_key(|s| s.number)
                    {
                        r.sets.push(set_state(newest));
                    }
                }
                Err(e) => r.errors.push(e.to_string()),
            },
            Err(e) => r.errors.push(e.to_string()),
        },
        None => {
            for s in snap.sets.iter().filter(|s| s.namespace == opts.namespace) {
                r.sets.push(SetState {
                    set: s.set.clone(),
                    revision: s.revision,
                    deployed_at: jiff::Timestamp::from_second(s.deployed_at)
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                    deployed_by: String::new(),
                    commit: None,
                    rollout: s.rollout.clone(),
                    health_at_deploy: s.health,
                });
            }
        }
    }
    if let Some(docs) = opts.documents {
        let d = opts.deploy.drift_check();
        let o = crate::deploy::deploy(
            cluster,
            scanner,
            gate,
            docs,
            &d,
            &crate::deploy::wait::NoWaitProgress,
        )
        .await;
        r.errors.extend(o.errors.iter().map(|e| e.to_string()));
        if o.stopped.is_none() {
            r.drift = Some(
                o.diffs
                    .iter()
                    .filter(|x| x.change != Change::Unchanged)
                    .map(|x| x.object.clone())
                    .collect(),
            );
        }
    }
    if let Some(dir) = &opts.monitor.state_dir {
        match crate::backup::state::read(dir) {
            Ok(s) => r.backup = backup_status(&s, opts.backup_max_age, now),
            Err(e) => r.errors.push(e.to_string()),
        }
    }
    if opts.backup_max_age.is_some() && r.backup.max_age_seconds.is_none() {
        r.backup.max_age_seconds = opts.backup_max_age;
    }
    r.attention = attention(&r);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> StatusReport {
        StatusReport {
            reachable: true,
            health: Some(95),
            threshold: 80,
            drift: Some(vec![]),
            ..StatusReport::default()
        }
    }

    #[test]
    fn a_healthy_namespace_needs_nothing() {
        assert!(attention(&healthy()).is_empty());
    }

    #[test]
    fn unreachable_low_health_drift_and_a_stale_backup_need_attention() {
        let mut r = healthy();
        r.reachable = false;
        assert_eq!(attention(&r), ["the cluster cannot be reached"]);
        let mut r = healthy();
        r.health = Some(40);
        assert_eq!(attention(&r), ["health 40 is under the threshold 80"]);
        let mut r = healthy();
        r.drift = Some(vec!["ConfigMap/shop/web".into()]);
        assert_eq!(attention(&r), ["1 objects differ from the files"]);
        let mut r = healthy();
        r.backup = backup_status(
            &BackupState {
                last_backup: Some(BackupRun {
                    finished: 1_000,
                    ..Default::default()
                }),
                ..Default::default()
            },
            Some(3_600),
            1_000 + 2 * 86_400,
        );
        assert_eq!(attention(&r), ["the last backup is 2d old (policy: 1h)"]);
        r.backup.max_age_seconds = None;
        assert!(attention(&r).is_empty(), "no policy, no attention");
        let mut r = healthy();
        r.backup.max_age_seconds = Some(60);
        assert_eq!(attention(&r), ["no backup has been recorded"]);
    }

    #[test]
    fn a_failed_rollout_needs_attention() {
        let mut r = healthy();
        r.sets.push(SetState {
            set: "web".into(),
            revision: 3,
            deployed_at: String::new(),
            deployed_by: "ci".into(),
            commit: None,
            rollout: "timed-out".into(),
            health_at_deploy: None,
        });
        assert_eq!(attention(&r), ["set web revision 3: rollout timed-out"]);
    }

    #[test]
    fn waivers_expiring_within_the_window_are_listed_soonest_first() {
        let w = |rule: &str, expires: &str| {
            CompiledWaiver::new(
                crate::waiver::Waiver {
                    rule: Some(rule.into()),
                    resource: None,
                    file: None,
                    fingerprint: None,
                    justification: "j".into(),
                    owner: "o".into(),
                    expires: expires.into(),
                    ticket: None,
                    allow_wildcard_critical: false,
                },
                format!("w#{rule}"),
            )
            .unwrap()
        };
        let today = crate::waiver::parse_date("2026-01-10").unwrap();
        let list = [
            w("CG1001", "2026-01-20"),
            w("CG1002", "2026-03-01"),
            w("CG1003", "2026-01-12"),
        ];
        let e = expiring(&list, today, 14);
        let rules: Vec<_> = e.iter().map(|x| x.rule.clone().unwrap()).collect();
        assert_eq!(rules, ["CG1003", "CG1001"]);
        assert_eq!(e[0].days_left, 2);
    }
}
