//! `confgate generate-maintenance-report` (the original suite's weekly report): per set its
//! revisions (how many, the newest, how many are beyond the history limit), the backups
//! (how many, the newest and its age, what the retention policy would remove, the last
//! verified restore), the waivers expiring soon, and everything `cleanup` would remove — a
//! dry run, so the report never changes anything.

use serde::Serialize;

use super::cleanup::CleanupReport;
use super::status::ExpiringWaiver;
use crate::backup::state::RestoreRun;
use crate::cluster::Cluster;
use crate::diag::Diagnostic;
use crate::revision::RevisionSummary;

/// The sets with revisions in `namespace` (from their chunk-0 Secrets), sorted.
pub async fn sets_in(c: &Cluster, namespace: &str) -> Result<Vec<String>, Diagnostic> {
    let t = c.resource_type("v1", "Secret").await?;
    let selector = format!(
        "{}=0,{}=confgate",
        crate::revision::encode::LABEL_CHUNK,
        crate::revision::encode::LABEL_MANAGED_BY
    );
    let chunk0s = c.list_objects(&t, Some(namespace), Some(&selector)).await?;
    let mut names: Vec<String> = crate::monitor::sets_of(&chunk0s)
        .into_iter()
        .map(|s| s.set)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// One set's revisions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SetRevisions {
    pub set: String,
    pub revisions: usize,
    pub newest: Option<u64>,
    /// RFC 3339.
    pub newest_at: Option<String>,
    pub newest_rollout: Option<String>,
    /// Complete revisions beyond the history limit (what `cleanup` prunes).
    pub beyond_limit: usize,
}

pub fn set_revisions(set: &str, list: &[RevisionSummary], history_max: usize) -> SetRevisions {
    let newest = list.iter().filter(|r| r.complete).max_by_key(|r| r.number);
    SetRevisions {
        set: set.to_string(),
        revisions: list.iter().filter(|r| r.complete).count(),
        newest: newest.map(|r| r.number),
        newest_at: newest.map(|r| r.created.to_string()),
        newest_rollout: newest.map(|r| r.rollout.state().to_string()),
        beyond_limit: super::cleanup::revisions_beyond(list, history_max).len(),
    }
}

/// The backups of the store.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BackupsOverview {
    pub store: String,
    pub complete: usize,
    pub incomplete: usize,
    pub newest: Option<String>,
    pub newest_age_seconds: Option<i64>,
    /// Removed by the retention policy at the next `cleanup --confirm` / `backup prune`.
    pub outside_retention: usize,
    pub last_verified_restore: Option<RestoreRun>,
}

/// Everything the maintenance report holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MaintenanceReport {
    /// RFC 3339.
    pub generated: String,
    pub namespace: String,
    pub history_max: usize,
    pub sets: Vec<SetRevisions>,
    pub backups: BackupsOverview,
    pub waivers_expiring: Vec<ExpiringWaiver>,
    /// What `cleanup` would remove (a dry run).
    pub cleanup: CleanupReport,
    pub errors: Vec<String>,
}

/// The text report.
pub fn text(r: &MaintenanceReport) -> String {
    let e = |s: &str| crate::report::escape::control(s).into_owned();
    let mut t = format!(
        "maintenance report: namespace {}, generated {}\n\n== revisions (history limit {})\n",
        e(&r.namespace),
        r.generated,
        r.history_max
    );
    if r.sets.is_empty() {
        t.push_str("no set has revisions in the namespace\n");
    }
    for s in &r.sets {
        t.push_str(&format!(
            "set {}: {} revisions, newest {} ({}, rollout {}), {} beyond the limit\n",
            e(&s.set),
            s.revisions,
            s.newest
                .map(|n| n.to_string())
                .unwrap_or_else(|| "-".into()),
            s.newest_at.as_deref().unwrap_or("-"),
            s.newest_rollout.as_deref().unwrap_or("-"),
            s.beyond_limit
        ));
    }
    let b = &r.backups;
    t.push_str(&format!(
        "\n== backups ({})\n{} complete, {} incomplete; newest {}{}; {} outside retention\n",
        e(&b.store),
        b.complete,
        b.incomplete,
        b.newest.as_deref().map(e).unwrap_or_else(|| "-".into()),
        b.newest_age_seconds
            .map(|a| format!(" ({} old)", super::status::human(a)))
            .unwrap_or_default(),
        b.outside_retention
    ));
    match &b.last_verified_restore {
        Some(v) => t.push_str(&format!("last verified restore: {}\n", e(&v.id))),
        None => {
            t.push_str("last verified restore: none (`confgate backup test-restore` makes one)\n")
        }
    }
    t.push_str("\n== waivers expiring soon\n");
    if r.waivers_expiring.is_empty() {
        t.push_str("none\n");
    }
    for w in &r.waivers_expiring {
        t.push_str(&format!(
            "{} ({}) expires {} ({} days), owner {}\n",
            e(w.rule.as_deref().unwrap_or("every rule")),
            e(&w.origin),
            e(&w.expires),
            w.days_left,
            e(&w.owner)
        ));
    }
    t.push_str("\n== cleanup candidates (dry run)\n");
    t.push_str(&super::cleanup::text(&r.cleanup));
    for x in &r.errors {
        t.push_str(&format!("error: {}\n", e(x)));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::{Rollout, ScanCounts, SecretMode};

    #[test]
    fn a_sets_revisions_name_the_newest_and_count_what_is_beyond_the_limit() {
        let rev = |n: u64, complete: bool| RevisionSummary {
            set: "web".into(),
            namespace: "shop".into(),
            number: n,
            created: jiff::Timestamp::UNIX_EPOCH,
            author: "a".into(),
            commit: None,
            description: None,
            scan: ScanCounts::default(),
            rollout: Rollout::Succeeded,
            health: None,
            secrets: SecretMode::Referenced,
            complete,
            chunks: 1,
            size: 1,
        };
        let s = set_revisions(
            "web",
            &[rev(1, true), rev(2, true), rev(3, true), rev(4, false)],
            2,
        );
        assert_eq!(s.revisions, 3);
        assert_eq!(s.newest, Some(3));
        assert_eq!(s.beyond_limit, 1);
        assert_eq!(s.newest_rollout.as_deref(), Some("succeeded"));
    }
}
