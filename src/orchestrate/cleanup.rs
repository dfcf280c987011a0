//! `confgate cleanup`: what confgate itself left behind — revisions beyond the history
//! limit, backups outside retention (the backup module's rules, which never orphan an
//! incremental), stale generated files, finished restore-drill namespaces. The choices
//! are pure and here; the command lists them and removes them only with `--confirm`.

use serde::Serialize;

use crate::revision::RevisionSummary;

/// What one removal is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum What {
    Revision,
    Backup,
    GeneratedFile,
    DrillNamespace,
}

impl What {
    pub fn as_str(self) -> &'static str {
        match self {
            What::Revision => "revision",
            What::Backup => "backup",
            What::GeneratedFile => "generated file",
            What::DrillNamespace => "drill namespace",
        }
    }
}

/// One thing cleanup removes (or would).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Removal {
    pub what: What,
    pub name: String,
    pub reason: String,
    /// Done (with `--confirm`), else only listed.
    pub removed: bool,
}

/// Everything cleanup found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CleanupReport {
    pub dry_run: bool,
    pub removals: Vec<Removal>,
    pub errors: Vec<String>,
}

/// The complete revisions of one set beyond the newest `history_max` (oldest first),
/// as `RevisionStore::prune` deletes them; incomplete ones are left to it.
pub fn revisions_beyond(list: &[RevisionSummary], history_max: usize) -> Vec<u64> {
    let mut complete: Vec<u64> = list
        .iter()
        .filter(|r| r.complete)
        .map(|r| r.number)
        .collect();
    complete.sort_unstable();
    let excess = complete.len().saturating_sub(history_max.max(1));
    complete.truncate(excess);
    complete
}

/// Whether a drill namespace created at `created` (seconds) is finished and old enough to
/// remove at `now`: drills that ran longer ago than `grace` (a running drill is younger).
pub fn drill_finished(created: Option<i64>, now: i64, grace: i64) -> bool {
    created.is_some_and(|c| now - c >= grace)
}

/// The text listing.
pub fn text(r: &CleanupReport) -> String {
    let e = |s: &str| crate::report::escape::control(s).into_owned();
    let mut t = String::new();
    for x in &r.removals {
        t.push_str(&format!(
            "{} {} {}  ({})\n",
            if x.removed { "removed" } else { "would remove" },
            x.what.as_str(),
            e(&x.name),
            e(&x.reason)
        ));
    }
    if r.removals.is_empty() {
        t.push_str("nothing to clean up\n");
    } else if r.dry_run {
        t.push_str(&format!(
            "dry run: {} items listed, nothing removed; pass --confirm to remove them\n",
            r.removals.len()
        ));
    } else {
        t.push_str(&format!(
            "{} items removed\n",
            r.removals.iter().filter(|x| x.removed).count()
        ));
    }
    for x in &r.errors {
        t.push_str(&format!("error: {}\n", e(x)));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::{Rollout, ScanCounts, SecretMode};

    fn rev(n: u64, complete: bool) -> RevisionSummary {
        RevisionSummary {
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
        }
    }

    #[test]
    fn the_oldest_complete_revisions_beyond_the_limit_go() {
        let list = [
            rev(3, true),
            rev(1, true),
            rev(2, true),
            rev(4, false),
            rev(5, true),
        ];
        assert_eq!(revisions_beyond(&list, 2), [1, 2]);
        assert!(revisions_beyond(&list, 10).is_empty());
        // At least one is always kept.
        assert_eq!(revisions_beyond(&list, 0), [1, 2, 3]);
    }

    #[test]
    fn only_drills_older_than_the_grace_are_finished() {
        assert!(drill_finished(Some(0), 7200, 3600));
        assert!(!drill_finished(Some(7000), 7200, 3600));
        assert!(!drill_finished(None, 7200, 3600));
    }
}
