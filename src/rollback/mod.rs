//! `confgate rollback`: return a set to a recorded revision, seeing first what it changes
//! and which findings it brings back.
//!
//! The impact analysis is a deploy dry run of the target revision's manifests (server-side
//! dry run of every object: what would be created, changed with a masked diff, or pruned)
//! plus the **policy delta**: the target revision and the current revision scanned with
//! today's rules, compared finding by finding. Re-introduced findings at or above the gate
//! refuse the rollback unless `--allow-findings`. A rollback is a new revision ("roll forward
//! to the content of N"), never a rewrite of history.

use std::collections::BTreeSet;

use crate::finding::Finding;
use crate::gate::Gate;

/// Which revision to return to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Revision(u64),
    /// The revision before the current one.
    Previous,
    /// The newest revision whose rollout succeeded, before the current one.
    LastHealthy,
}

/// A finding in the delta, identified across revisions by rule, object and field.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct DeltaFinding {
    pub rule_id: String,
    pub severity: crate::catalog::Severity,
    pub object: String,
    pub path: String,
    pub message: String,
}

/// What the rollback does to the findings.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct PolicyDelta {
    /// In the target revision, not in the current one.
    pub reintroduced: Vec<DeltaFinding>,
    /// In the current revision, gone in the target.
    pub removed: Vec<DeltaFinding>,
}

fn key(f: &Finding) -> (String, String, String, String) {
    (
        f.rule_id.clone(),
        f.resource.kind.clone(),
        f.resource.name.clone(),
        f.path.clone(),
    )
}

fn shown(f: &Finding) -> DeltaFinding {
    DeltaFinding {
        rule_id: f.rule_id.clone(),
        severity: f.severity,
        object: format!(
            "{}/{}/{}",
            f.resource.kind,
            f.resource.namespace.as_deref().unwrap_or("-"),
            f.resource.name
        ),
        path: f.path.clone(),
        message: f.message.clone(),
    }
}

/// The findings (that count: not suppressed, not in a baseline) the target has and the
/// current revision has not, and the reverse.
pub fn policy_delta(current: &[Finding], target: &[Finding]) -> PolicyDelta {
    let counted = |fs: &[Finding]| -> Vec<Finding> {
        fs.iter().filter(|f| Gate::counts(f)).cloned().collect()
    };
    let (current, target) = (counted(current), counted(target));
    let now: BTreeSet<_> = current.iter().map(key).collect();
    let then: BTreeSet<_> = target.iter().map(key).collect();
    let mut delta = PolicyDelta {
        reintroduced: target
            .iter()
            .filter(|f| !now.contains(&key(f)))
            .map(shown)
            .collect(),
        removed: current
            .iter()
            .filter(|f| !then.contains(&key(f)))
            .map(shown)
            .collect(),
    };
    delta.reintroduced.sort();
    delta.reintroduced.dedup();
    delta.removed.sort();
    delta.removed.dedup();
    delta
}

/// Re-introduced findings that the gate refuses.
pub fn refused<'a>(delta: &'a PolicyDelta, gate: &Gate) -> Vec<&'a DeltaFinding> {
    delta
        .reintroduced
        .iter()
        .filter(|f| f.severity >= gate.fail_on)
        .collect()
}

/// The revision a target names, from the set's history (numbers ascending) and the
/// current (newest complete) revision.
pub fn choose(history: &[crate::revision::RevisionSummary], target: Target) -> Result<u64, String> {
    let complete: Vec<&crate::revision::RevisionSummary> =
        history.iter().filter(|r| r.complete).collect();
    let Some(current) = complete.last() else {
        return Err("the set has no revisions".into());
    };
    match target {
        Target::Revision(n) => {
            if complete.iter().any(|r| r.number == n) {
                Ok(n)
            } else if history.iter().any(|r| r.number == n) {
                Err(format!(
                    "revision {n} is incomplete (its recording was interrupted)"
                ))
            } else {
                Err(format!(
                    "no revision {n} (the set has {})",
                    complete
                        .iter()
                        .map(|r| r.number.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
        Target::Previous => complete
            .iter()
            .rev()
            .find(|r| r.number < current.number)
            .map(|r| r.number)
            .ok_or_else(|| {
                format!(
                    "revision {} is the first: there is no previous one",
                    current.number
                )
            }),
        Target::LastHealthy => complete
            .iter()
            .rev()
            .find(|r| r.number < current.number && r.rollout.state() == "succeeded")
            .map(|r| r.number)
            .ok_or_else(|| {
                "no earlier revision was recorded healthy (rollout succeeded)".to_string()
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Severity;
    use crate::finding::ResourceRef;

    fn f(rule: &str, name: &str, sev: Severity) -> Finding {
        Finding {
            rule_id: rule.into(),
            rule_name: String::new(),
            severity: sev,
            message: "m".into(),
            file: "f".into(),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            document_index: 0,
            source: None,
            resource: ResourceRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: Some("a".into()),
                name: name.into(),
            },
            path: "spec".into(),
            frameworks: Default::default(),
            fingerprint: String::new(),
            suppressed: None,
            baseline_state: None,
            sensitive: false,
        }
    }

    #[test]
    fn the_delta_names_what_comes_back_and_what_goes() {
        let now = [
            f("CG1", "web", Severity::High),
            f("CG2", "web", Severity::Low),
        ];
        let then = [
            f("CG1", "web", Severity::High),
            f("CG3", "web", Severity::Critical),
        ];
        let d = policy_delta(&now, &then);
        assert_eq!(d.reintroduced.len(), 1);
        assert_eq!(d.reintroduced[0].rule_id, "CG3");
        assert_eq!(d.removed[0].rule_id, "CG2");
        assert_eq!(refused(&d, &Gate::new(Severity::High)).len(), 1);
        assert!(refused(&d, &Gate::new(Severity::Critical)).len() == 1);
        let mild = policy_delta(&now, &[f("CG4", "web", Severity::Low)]);
        assert!(refused(&mild, &Gate::new(Severity::High)).is_empty());
    }

    fn summary(n: u64, state: &str, complete: bool) -> crate::revision::RevisionSummary {
        let mut r = crate::revision::Revision::new("s", "a", "me", vec![]).summary();
        r.number = n;
        r.complete = complete;
        r.rollout = crate::revision::Rollout::from_parts(state, Some("x"))
            .unwrap_or(crate::revision::Rollout::Succeeded);
        r
    }

    #[test]
    fn targets_resolve_against_the_history() {
        let h = [
            summary(1, "succeeded", true),
            summary(2, "failed", true),
            summary(3, "pending", false),
            summary(4, "timed-out", true),
        ];
        assert_eq!(choose(&h, Target::Previous), Ok(2));
        assert_eq!(choose(&h, Target::LastHealthy), Ok(1));
        assert_eq!(choose(&h, Target::Revision(1)), Ok(1));
        assert!(
            choose(&h, Target::Revision(3))
                .unwrap_err()
                .contains("incomplete")
        );
        assert!(
            choose(&h, Target::Revision(9))
                .unwrap_err()
                .contains("no revision 9 (the set has 1, 2, 4)")
        );
        assert!(choose(&h[..1], Target::Previous).is_err());
        assert!(choose(&[], Target::Previous).is_err());
    }
}
