//! The impact analysis ([`analyse`]): a server-side dry run of the target, both revisions
//! scanned into the policy delta, the risks per object, and the API versions the cluster
//! no longer serves. Changes nothing.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::{RollbackOptions, base_options, scan, workload_refs};
use crate::cluster::observe::WorkloadRef;
use crate::cluster::{Cluster, live};
use crate::deploy::{self, Outcome, apply::Types};
use crate::diag::Diagnostic;
use crate::document::Document;
use crate::gate::Gate;
use crate::revision::{RevisionStore, SecretMode};
use crate::rollback::{DeltaFinding, PolicyDelta};
use crate::scan::{ScanOutcome, Scanner};

/// An object of the target whose API version the cluster does not serve.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Unserved {
    pub object: String,
    pub api_version: String,
    pub kind: String,
    /// The API versions the cluster serves this kind under.
    pub served: Vec<String>,
    pub fix: String,
}

/// What a rollback would do, before it runs.
#[derive(Debug)]
pub struct Impact {
    pub set: String,
    pub namespace: String,
    pub current: Option<u64>,
    pub target: u64,
    /// The server-side dry run of the target (what is created, changed, pruned).
    pub dry_run: Outcome,
    pub delta: PolicyDelta,
    /// Re-introduced findings at or above the gate.
    pub refused: Vec<DeltaFinding>,
    pub risks: Vec<String>,
    pub restarts: u64,
    pub unserved: Vec<Unserved>,
    /// Secrets of the target recorded as references only: their live values stay.
    pub kept_secrets: usize,
    /// The target revision scanned with today's rules (the HTML report shows it).
    pub target_scan: ScanOutcome,
    pub seconds: f64,
    /// The target as documents, in the revision's order.
    pub(super) docs: Vec<Document>,
    pub(super) fail_on: crate::catalog::Severity,
}

impl Impact {
    /// Whether the rollback may run: nothing unserved, no dry-run error, and no refused
    /// finding unless `allow_findings`.
    pub fn blocked(&self, allow_findings: bool) -> Option<&'static str> {
        if !self.unserved.is_empty() {
            Some("unserved")
        } else if !self.dry_run.errors.is_empty() || !self.dry_run.conflicts.is_empty() {
            Some("error")
        } else if !self.refused.is_empty() && !allow_findings {
            Some("refused")
        } else {
            None
        }
    }

    /// The impact as JSON (`rollback --format json`, the HTML report's section).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "set": self.set,
            "namespace": self.namespace,
            "current": self.current,
            "target": self.target,
            "objects": self.dry_run.diffs,
            "pruned": self.dry_run.pruned,
            "policy_delta": self.delta,
            "refused": self.refused.len(),
            "fail_on": self.fail_on.as_str(),
            "risks": self.risks,
            "restarts": self.restarts,
            "unserved": self.unserved,
            "kept_secrets": self.kept_secrets,
            "errors": self.dry_run.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            "seconds": self.seconds,
        })
    }

    /// The objects the health of the set is measured on: the target's workloads.
    pub fn workloads(&self) -> Vec<WorkloadRef> {
        workload_refs(&self.docs, &self.namespace)
    }
}

/// A revision's manifests as documents named `revision-N/Kind/name`. Secrets whose values
/// were recorded as references only are left out (their live values stay); their number
/// is returned.
pub fn documents(
    label: &str,
    manifests: Vec<Value>,
    mode: SecretMode,
    load: &crate::source::LoadOptions,
) -> (Vec<Document>, usize) {
    let mut docs = Vec::new();
    let mut skipped = 0;
    for m in manifests {
        if mode == SecretMode::Referenced && crate::revision::secrets::is_secret(&m) {
            skipped += 1;
            continue;
        }
        let s = |p: &str| {
            m.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let name = format!("{label}/{}/{}", s("/kind"), s("/metadata/name"));
        if let Ok(text) = live::to_yaml(&m) {
            docs.extend(crate::source::load_text(name, text, load, false).documents);
        }
    }
    (docs, skipped)
}

/// The objects of `manifests` whose API version the cluster does not serve (a CRD of the
/// set itself counts as serving its group).
pub fn unserved(manifests: &[Value], types: &Types) -> Vec<Unserved> {
    let s = |m: &Value, p: &str| {
        m.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let crd_groups: Vec<String> = manifests
        .iter()
        .filter(|m| s(m, "/kind") == "CustomResourceDefinition")
        .map(|m| s(m, "/spec/group"))
        .collect();
    let mut out = Vec::new();
    for m in manifests {
        let (api_version, kind) = (s(m, "/apiVersion"), s(m, "/kind"));
        if api_version.is_empty() || kind.is_empty() || types.get(&api_version, &kind).is_some() {
            continue;
        }
        let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        if crd_groups.iter().any(|g| g == group) {
            continue;
        }
        let mut served: Vec<String> = types
            .all()
            .filter(|t| t.kind == kind)
            .map(|t| t.api_version.clone())
            .collect();
        served.sort();
        served.dedup();
        let name = s(m, "/metadata/name");
        let object = format!("{kind}/{name}");
        let fix = match served.first() {
            Some(v) => format!(
                "migrate {kind} {name} to {v} (what the cluster serves), deploy that as a new revision of the set, and roll back to it instead; the recorded {api_version} cannot be applied"
            ),
            None => format!(
                "the cluster serves no {kind} at all: install the API (its CRD or operator) first, or roll back to a revision without it"
            ),
        };
        out.push(Unserved {
            object,
            api_version,
            kind,
            served,
            fix,
        });
    }
    out
}

/// The impact of rolling `store`'s set back to revision `number`. Changes nothing.
pub async fn analyse(
    cluster: &Cluster,
    store: &RevisionStore<'_>,
    scanner: Arc<Scanner>,
    gate: Gate,
    opts: &RollbackOptions,
    number: u64,
) -> Result<Impact, Diagnostic> {
    let started = Instant::now();
    let rev = store.get(number).await?;
    let current = store.latest().await?;
    let load = scanner.options().load.clone();
    let label = format!("revision-{}", rev.number);
    let (docs, kept_secrets) = documents(&label, store.restore(&rev)?, rev.secrets, &load);
    // The policy delta (both revisions scanned with today's rules) and the dry run run
    // side by side: the scans on the blocking pool, the dry run on the cluster.
    let target_docs = documents(&label, rev.manifests.clone(), SecretMode::Encrypted, &load).0;
    let current_docs = current.as_ref().map(|cur| {
        documents(
            &format!("revision-{}", cur.number),
            cur.manifests.clone(),
            SecretMode::Encrypted,
            &load,
        )
        .0
    });
    let scans = async {
        let target_scan = scan(&scanner, target_docs).await?;
        let current_scan = match current_docs {
            Some(docs) => scan(&scanner, docs).await?,
            None => ScanOutcome::default(),
        };
        Ok::<_, Diagnostic>((target_scan, current_scan))
    };
    let dry = async {
        let types = Types::discover(cluster).await?;
        let unserved = unserved(&rev.manifests, &types);
        let dry_run = if unserved.is_empty() {
            deploy::deploy(
                cluster,
                scanner.clone(),
                gate,
                docs.to_vec(),
                &base_options(opts),
                &deploy::wait::NoWaitProgress,
            )
            .await
        } else {
            Outcome::default()
        };
        Ok::<_, Diagnostic>((unserved, dry_run))
    };
    let (scans, dry) = tokio::join!(scans, dry);
    let (target_scan, current_scan) = scans?;
    let (unserved, dry_run) = dry?;
    let delta = crate::rollback::policy_delta(&current_scan.findings, &target_scan.findings);
    let refused: Vec<DeltaFinding> = crate::rollback::refused(&delta, &gate)
        .into_iter()
        .cloned()
        .collect();
    let mut risks = Vec::new();
    let mut restarts = 0;
    for d in &dry_run.diffs {
        let kind = d.object.split('/').next().unwrap_or("");
        let r = crate::rollback::risks_of(&d.object, kind, d.before.as_ref(), Some(&d.after));
        risks.extend(r.risks);
        restarts += r.restarts;
    }
    for p in &dry_run.pruned {
        let kind = p.split('/').next().unwrap_or("");
        // A pruned object: what it was matters only for its kind.
        risks.extend(crate::rollback::risks_of(p, kind, Some(&Value::Null), None).risks);
    }
    Ok(Impact {
        set: opts.set.clone(),
        namespace: opts.namespace.clone(),
        current: current.map(|c| c.number),
        target: rev.number,
        dry_run,
        delta,
        refused,
        risks,
        restarts,
        unserved,
        kept_secrets,
        target_scan,
        seconds: started.elapsed().as_secs_f64(),
        docs,
        fail_on: gate.fail_on,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ResourceType;

    fn types(list: &[(&str, &str)]) -> Types {
        Types::from_types(
            list.iter()
                .map(|(v, k)| ResourceType {
                    api_version: v.to_string(),
                    group: v
                        .rsplit_once('/')
                        .map(|(g, _)| g.to_string())
                        .unwrap_or_default(),
                    version: v.rsplit('/').next().unwrap_or("").to_string(),
                    kind: k.to_string(),
                    plural: format!("{}s", k.to_ascii_lowercase()),
                    namespaced: true,
                    verbs: vec!["get".into(), "list".into()],
                })
                .collect(),
        )
    }

    #[test]
    fn unserved_versions_are_found_with_what_the_cluster_serves_instead() {
        let t = types(&[("networking.k8s.io/v1", "Ingress"), ("v1", "ConfigMap")]);
        let m = |s: &str| serde_yaml::from_str::<Value>(s).unwrap_or(Value::Null);
        let manifests = [
            m("apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web}"),
            m("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}"),
            m("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: p}"),
            m("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}"),
            m(
                "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {group: example.com}",
            ),
        ];
        let u = unserved(&manifests[..4], &t);
        assert_eq!(u.len(), 3, "{u:?}");
        assert_eq!(u[0].object, "Ingress/web");
        assert_eq!(u[0].served, vec!["networking.k8s.io/v1".to_string()]);
        assert!(
            u[0].fix
                .contains("migrate Ingress web to networking.k8s.io/v1")
        );
        assert!(u[1].fix.contains("serves no PodSecurityPolicy"));
        // A CRD of the set serves its group (the CRD itself is unserved here only because
        // the test's discovery lacks apiextensions).
        let with_crd = unserved(&manifests, &t);
        assert!(!with_crd.iter().any(|x| x.kind == "Widget"));
    }
}
