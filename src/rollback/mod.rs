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

pub mod flow;

/// How a rollback is applied.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// The target set at once, then wait for the rollout.
    #[default]
    Standard,
    /// As standard, then wait for the health threshold; below it when the timeout ends,
    /// put back exactly the state from before the rollback.
    Atomic,
    /// Config first, then one workload at a time in dependency order, checking health
    /// between steps and stopping at the first failure.
    Incremental,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Standard => "standard",
            Strategy::Atomic => "atomic",
            Strategy::Incremental => "incremental",
        }
    }

    pub fn parse(s: &str) -> Option<Strategy> {
        match s {
            "standard" => Some(Strategy::Standard),
            "atomic" => Some(Strategy::Atomic),
            "incremental" => Some(Strategy::Incremental),
            _ => None,
        }
    }
}

/// The steps of an incremental rollback, as indexes into `kinds` (the set's objects in
/// apply order, by apiVersion and kind): first everything that is not a workload (config, RBAC, Services:
/// what workloads use), then each workload on its own, in order. Empty steps are left out.
pub fn incremental_steps(kinds: &[(&str, &str)]) -> Vec<Vec<usize>> {
    let (workloads, config): (Vec<usize>, Vec<usize>) = (0..kinds.len())
        .partition(|&i| crate::k8s::pod_template_path(kinds[i].0, kinds[i].1).is_some());
    let mut steps = Vec::new();
    if !config.is_empty() {
        steps.push(config);
    }
    steps.extend(workloads.into_iter().map(|i| vec![i]));
    steps
}

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
        .filter(|f| gate.fails_at(f.severity))
        .collect()
}

/// What makes a rollback risky, per object, and how many pods it restarts.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Risks {
    pub risks: Vec<String>,
    /// Pods restarted because their workload's pod template changes.
    pub restarts: u64,
}

fn at<'a>(v: Option<&'a serde_json::Value>, p: &str) -> Option<&'a serde_json::Value> {
    v.and_then(|v| v.pointer(p))
}

/// Risks of one object change (`before`: live, `after`: after the rollback; `None` after:
/// pruned), as decided from the cleaned objects.
pub fn risks_of(
    object: &str,
    kind: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Risks {
    let mut out = Risks::default();
    let differs = |p: &str| before.is_some() && at(before, p) != at(after, p);
    match kind {
        "PersistentVolumeClaim" if after.is_none() && before.is_some() => out
            .risks
            .push(format!("{object}: removed; its volume (and data) may be deleted with it")),
        "PersistentVolumeClaim" if differs("/spec") => out.risks.push(format!(
            "{object}: spec changes; data is not rolled back and most PVC fields are immutable"
        )),
        "StatefulSet" if differs("/spec/volumeClaimTemplates") => out.risks.push(format!(
            "{object}: volumeClaimTemplates change; they are immutable, existing PVCs keep the live template"
        )),
        "CustomResourceDefinition" if after.is_none() && before.is_some() => out.risks.push(
            format!("{object}: removed; every custom resource of it is deleted"),
        ),
        "CustomResourceDefinition" if differs("/spec/versions") => out.risks.push(format!(
            "{object}: served versions change; stored objects of a dropped version become unreadable"
        )),
        "Service" if differs("/spec/type") || differs("/spec/ports") => out.risks.push(format!(
            "{object}: type or ports change; clients and load balancers see it at once"
        )),
        _ => {}
    }
    if matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
    ) && before.is_some()
        && after.is_some()
        && differs("/spec/template")
    {
        let n = match kind {
            "DaemonSet" => at(before, "/status/desiredNumberScheduled")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(1),
            _ => at(after, "/spec/replicas")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(1),
        };
        out.restarts = n;
    }
    out
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
    fn risky_changes_are_flagged_and_restarts_counted() {
        let v = |s: &str| serde_yaml::from_str::<serde_json::Value>(s).unwrap();
        let a = v("spec: {replicas: 3, template: {spec: {containers: [{image: 'a:1'}]}}}");
        let b = v("spec: {replicas: 3, template: {spec: {containers: [{image: 'a:2'}]}}}");
        assert_eq!(risks_of("d", "Deployment", Some(&a), Some(&b)).restarts, 3);
        assert_eq!(risks_of("d", "Deployment", Some(&a), Some(&a)).restarts, 0);
        let crd = v("spec: {versions: [{name: v1}]}");
        assert!(
            risks_of("c", "CustomResourceDefinition", Some(&crd), None).risks[0]
                .contains("removed")
        );
        let crd2 = v("spec: {versions: [{name: v2}]}");
        assert!(
            risks_of("c", "CustomResourceDefinition", Some(&crd), Some(&crd2)).risks[0]
                .contains("versions")
        );
        let svc = v("spec: {type: ClusterIP}");
        let lb = v("spec: {type: LoadBalancer}");
        assert_eq!(
            risks_of("s", "Service", Some(&svc), Some(&lb)).risks.len(),
            1
        );
        let pvc = v("spec: {resources: {requests: {storage: 1Gi}}}");
        let pvc2 = v("spec: {resources: {requests: {storage: 2Gi}}}");
        assert!(
            risks_of("p", "PersistentVolumeClaim", Some(&pvc), Some(&pvc2)).risks[0]
                .contains("data is not rolled back")
        );
        let sts = v("spec: {volumeClaimTemplates: [{metadata: {name: a}}]}");
        let sts2 = v("spec: {volumeClaimTemplates: [{metadata: {name: b}}]}");
        assert!(
            risks_of("t", "StatefulSet", Some(&sts), Some(&sts2)).risks[0].contains("immutable")
        );
        assert!(risks_of("x", "ConfigMap", None, Some(&a)).risks.is_empty());
    }

    #[test]
    fn incremental_steps_put_config_first_then_one_workload_each() {
        let kinds = [
            ("v1", "ConfigMap"),
            ("apps/v1", "Deployment"),
            ("v1", "Service"),
            ("apps/v1", "StatefulSet"),
            ("v1", "Secret"),
            ("serving.knative.dev/v1", "Service"),
        ];
        assert_eq!(
            incremental_steps(&kinds),
            vec![vec![0, 2, 4], vec![1], vec![3], vec![5]]
        );
        assert_eq!(
            incremental_steps(&[("apps/v1", "Deployment")]),
            vec![vec![0]]
        );
        assert!(incremental_steps(&[]).is_empty());
        for s in ["standard", "atomic", "incremental"] {
            assert_eq!(Strategy::parse(s).map(Strategy::as_str), Some(s));
        }
        assert_eq!(Strategy::parse("fast"), None);
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
