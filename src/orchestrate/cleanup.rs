//! `confgate cleanup`: what confgate itself left behind — revisions beyond the history
//! limit, backups outside retention (the backup module's rules, which never orphan an
//! incremental), stale generated files, finished restore-drill namespaces, and objects
//! still labelled as members of a set (ApplySet `part-of`) that the set's latest revision no
//! longer contains (a deploy without `--prune` leaves them). The choices are pure and here;
//! the command lists them and removes them only with `--confirm`.

use serde::Serialize;
use serde_json::Value;

use crate::revision::RevisionSummary;

/// What one removal is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum What {
    Revision,
    Backup,
    GeneratedFile,
    DrillNamespace,
    OrphanedObject,
}

impl What {
    pub fn as_str(self) -> &'static str {
        match self {
            What::Revision => "revision",
            What::Backup => "backup",
            What::GeneratedFile => "generated file",
            What::DrillNamespace => "drill namespace",
            What::OrphanedObject => "orphaned object",
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

/// An object's identity as `Kind.group/namespace/name` parts: (group-kind, namespace,
/// name), a namespaced object without a namespace placed in `default_ns`.
fn identity(o: &Value, default_ns: &str) -> (String, Option<String>, String) {
    let s = |p: &str| o.pointer(p).and_then(Value::as_str).unwrap_or("");
    let kind = s("/kind");
    let ns = if crate::k8s::cluster_scoped(kind) {
        None
    } else {
        Some(
            o.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .unwrap_or(default_ns)
                .to_string(),
        )
    };
    (
        crate::deploy::plan::group_kind(s("/apiVersion"), kind),
        ns,
        s("/metadata/name").to_string(),
    )
}

/// The live `members` of a set deployed into `set_ns` that its latest revision's
/// `manifests` do not contain, as `Kind/namespace/name` with the member itself.
pub fn orphans<'a>(
    members: &'a [Value],
    manifests: &[Value],
    set_ns: &str,
) -> Vec<(String, &'a Value)> {
    let contained: Vec<_> = manifests.iter().map(|m| identity(m, set_ns)).collect();
    members
        .iter()
        .filter(|m| !contained.contains(&identity(m, set_ns)))
        .map(|m| {
            let (_, ns, name) = identity(m, set_ns);
            let kind = m.get("kind").and_then(Value::as_str).unwrap_or("");
            let shown = match ns {
                Some(n) => format!("{kind}/{n}/{name}"),
                None => format!("{kind}/{name}"),
            };
            (shown, m)
        })
        .collect()
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
    fn members_the_latest_revision_does_not_contain_are_orphans() {
        use serde_json::json;
        let members = vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config", "namespace": "shop"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old", "namespace": "shop"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "gone"}}),
        ];
        // The revision's manifests may leave the namespace implicit.
        let manifests = vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}),
        ];
        let o: Vec<String> = orphans(&members, &manifests, "shop")
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(o, ["ConfigMap/shop/old", "ClusterRole/gone"]);
        // Same name, other kind or group: not the same object.
        let other = vec![
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web", "namespace": "shop"}}),
        ];
        assert_eq!(orphans(&other, &manifests, "shop").len(), 1);
    }

    #[test]
    fn only_drills_older_than_the_grace_are_finished() {
        assert!(drill_finished(Some(0), 7200, 3600));
        assert!(!drill_finished(Some(7000), 7200, 3600));
        assert!(!drill_finished(None, 7200, 3600));
    }
}
