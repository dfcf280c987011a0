//! The API server's own cross-field and value rules that a schema cannot express, where they
//! are cheap and commonly broken: a workload's selector must match its pod template, volume
//! mounts must name a volume of the pod, restart policies per workload kind, rolling-update
//! parameters, CronJob schedules, IPs and CIDRs, Ingress paths, HPA and PDB bounds.
//!
//! Every issue is an error; paths point at the offending field.
//!
//! This file dispatches by kind and holds the tree helpers; [`workloads`] and [`network`]
//! hold the rules.

use serde_json::Value;

use super::{IssueKind, IssueLevel, SchemaIssue};
use crate::document::{FieldPath, Node, NodeKind, Seg};

mod network;
mod workloads;

/// Collects the issues of one (schema-checked) object.
pub(super) fn check(tree: &Node, issues: &mut Vec<SchemaIssue>) {
    let mut c = Checker { issues };
    let kind = str_at(tree, &["kind"]).unwrap_or_default();
    let api = str_at(tree, &["apiVersion"]).unwrap_or_default();
    match (api, kind) {
        ("apps/v1", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => {
            c.selector_matches_template(tree);
            c.restart_policy(tree, &["spec", "template", "spec"], &["Always"], kind);
            c.pod(tree, &["spec", "template", "spec"]);
            if kind == "Deployment" {
                c.deployment_strategy(tree);
            }
        }
        ("v1", "ReplicationController") => {
            c.rc_selector(tree);
            c.pod(tree, &["spec", "template", "spec"]);
        }
        ("v1", "Pod") => c.pod(tree, &["spec"]),
        ("v1", "PodTemplate") => c.pod(tree, &["template", "spec"]),
        ("batch/v1", "Job") => {
            let at = ["spec", "template", "spec"];
            c.restart_policy(tree, &at, &["OnFailure", "Never"], kind);
            c.pod(tree, &at);
        }
        ("batch/v1", "CronJob") => {
            c.cron_schedule(tree);
            let at = ["spec", "jobTemplate", "spec", "template", "spec"];
            c.restart_policy(tree, &at, &["OnFailure", "Never"], kind);
            c.pod(tree, &at);
        }
        ("v1", "Service") => c.service(tree),
        ("networking.k8s.io/v1", "NetworkPolicy") => c.network_policy(tree),
        ("networking.k8s.io/v1", "Ingress") => c.ingress(tree),
        (a, "HorizontalPodAutoscaler") if a.starts_with("autoscaling/") => c.hpa(tree),
        ("policy/v1", "PodDisruptionBudget") => c.pdb(tree),
        (api, kind) => {
            // The workload kinds of other APIs (see `k8s::WORKLOAD_TEMPLATES`).
            if let Some(template) = crate::k8s::pod_template_path(api, kind)
                .filter(|_| crate::k8s::is_extension_workload(api, kind))
            {
                if matches!(kind, "Rollout" | "CloneSet") && get(tree, template).is_some() {
                    c.selector_matches_template(tree);
                }
                let mut at = template.to_vec();
                at.push("spec");
                c.pod(tree, &at);
            }
        }
    }
}

/// An object of another API's workload kind with a pod template (a DeploymentConfig, an Argo
/// Rollout, a Knative Service, a KEDA ScaledJob, ...): its pod template is checked too.
pub(super) fn is_workload_crd(tree: &Node) -> bool {
    let kind = str_at(tree, &["kind"]).unwrap_or_default();
    let api = str_at(tree, &["apiVersion"]).unwrap_or_default();
    crate::k8s::is_extension_workload(api, kind)
}

fn get<'t>(n: &'t Node, path: &[&str]) -> Option<&'t Node> {
    path.iter().try_fold(n, |n, k| n.get(k))
}

fn str_at<'t>(n: &'t Node, path: &[&str]) -> Option<&'t str> {
    match &get(n, path)?.kind {
        NodeKind::Scalar(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn int_of(n: &Node) -> Option<i64> {
    match &n.kind {
        NodeKind::Scalar(Value::Number(x)) => x.as_i64(),
        _ => None,
    }
}

fn entries(n: Option<&Node>) -> &[crate::document::Entry] {
    match n.map(|n| &n.kind) {
        Some(NodeKind::Map(es)) => es,
        _ => &[],
    }
}

fn items(n: Option<&Node>) -> &[Node] {
    match n.map(|n| &n.kind) {
        Some(NodeKind::Seq(items)) => items,
        _ => &[],
    }
}

fn path_of(base: &[&str], rest: &[Seg]) -> FieldPath {
    let mut segs: Vec<Seg> = base.iter().map(|k| Seg::Key((*k).to_string())).collect();
    segs.extend(rest.iter().cloned());
    FieldPath(segs)
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

/// Labels as (key, value) pairs; non-string values are left to the schema check.
fn labels(n: Option<&Node>) -> Vec<(&str, &str)> {
    entries(n)
        .iter()
        .filter_map(|e| match &e.value.kind {
            NodeKind::Scalar(Value::String(v)) => Some((e.key.as_str(), v.as_str())),
            _ => None,
        })
        .collect()
}

struct Checker<'a> {
    issues: &'a mut Vec<SchemaIssue>,
}

impl Checker<'_> {
    fn error(&mut self, path: FieldPath, message: String) {
        self.issues.push(SchemaIssue {
            path,
            message,
            level: IssueLevel::Error,
            kind: IssueKind::Value,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::network::{parse_cidr, parse_ip, strictly_within};
    use super::workloads::check_cron;

    #[test]
    fn cron_schedules() {
        for ok in [
            "*/5 * * * *",
            "0 3 * * 1-5",
            "15,45 8-18/2 1 jan-jun MON",
            "@daily",
            "@every 1h30m",
            "0 0 * * 7",
        ] {
            assert_eq!(check_cron(ok), Ok(()), "{ok}");
        }
        for bad in [
            "* * * *",
            "60 * * * *",
            "0 24 * * *",
            "0 0 0 * *",
            "*/0 * * * *",
            "0 0 * 13 *",
            "5-1 * * * *",
            "CRON_TZ=UTC 0 0 * * *",
            "@fortnightly",
        ] {
            assert!(check_cron(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ips_and_cidrs() {
        assert!(parse_ip("10.0.0.1").is_some());
        assert!(parse_ip("010.000.000.001").is_some());
        assert!(parse_ip("2001:db8::1").is_some());
        assert!(parse_ip("10.0.0.256").is_none());
        assert!(parse_ip("example.com").is_none());
        assert!(parse_cidr("10.0.0.0/8").is_some());
        assert!(parse_cidr("2001:db8::/129").is_none());
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("10.0.0.0").is_none());
        let c = |s| parse_cidr(s).unwrap_or((IpAddr::from([0, 0, 0, 0]), 0));
        assert!(strictly_within(c("10.1.0.0/16"), c("10.0.0.0/8")));
        assert!(!strictly_within(c("10.0.0.0/8"), c("10.0.0.0/8")));
        assert!(!strictly_within(c("11.0.0.0/16"), c("10.0.0.0/8")));
        assert!(strictly_within(c("0.0.0.0/1"), c("0.0.0.0/0")));
    }
}
