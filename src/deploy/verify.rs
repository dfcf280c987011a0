//! Verification after a rollout: the applied objects are read back and scanned with the same
//! scanner (a finding that exists only live, e.g. added by a mutating webhook, is reported),
//! and every field the deploy set is compared with its live value (drift).

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;

use crate::cluster::Cluster;
use crate::cluster::read::LiveObject;
use crate::diag::{Code, Diagnostic};
use crate::finding::Finding;
use crate::scan::Scanner;

use super::apply::Types;
use super::plan::Item;

/// What verification found.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Verified {
    /// Findings on the live objects that the scan of the files did not have.
    pub live_only: Vec<LiveFinding>,
    /// Fields whose live value is not what was applied.
    pub drift: Vec<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct LiveFinding {
    pub rule_id: String,
    pub severity: crate::catalog::Severity,
    pub object: String,
    pub path: String,
    pub message: String,
}

/// A finding's identity across a file and its live object (the namespace a file may omit
/// and the position are left out).
fn key(f: &Finding) -> (String, String, String, String) {
    (
        f.rule_id.clone(),
        f.resource.kind.clone(),
        f.resource.name.clone(),
        f.path.clone(),
    )
}

/// Leaf fields of `applied` whose value differs in `live` (Secret values named, never shown).
pub fn drift(item: &Item, applied: &Value, live: &Value) -> Vec<String> {
    let secret = item.kind == "Secret";
    let mut out = Vec::new();
    walk(applied, live, &mut String::new(), &mut |path, want, got| {
        if path.starts_with("status") {
            return;
        }
        let shown = if secret && (path.starts_with("data") || path.starts_with("stringData")) {
            format!("{}: {path} differs from what was applied", item.shown())
        } else {
            format!(
                "{}: {path} is {} live, {} was applied",
                item.shown(),
                got.map(|g| g.to_string())
                    .unwrap_or_else(|| "absent".into()),
                want
            )
        };
        out.push(shown);
    });
    out
}

fn walk(
    want: &Value,
    got: &Value,
    path: &mut String,
    report: &mut dyn FnMut(&str, &Value, Option<&Value>),
) {
    match want {
        Value::Object(m) => {
            for (k, v) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                match got.get(k) {
                    Some(g) => walk(v, g, path, report),
                    None if v.is_null() => {}
                    None => report(path, v, None),
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                match got.get(i) {
                    Some(g) => walk(v, g, path, report),
                    None => report(path, v, None),
                }
                path.truncate(len);
            }
        }
        leaf => {
            // Kubernetes normalises some scalars (an int-or-string port, a quantity): compare
            // their text.
            let same = leaf == got || text(leaf) == text(got);
            if !same {
                report(path, leaf, Some(got));
            }
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads the applied objects back, scans them, and compares.
pub async fn verify(
    cluster: &Cluster,
    types: &Types,
    items: &[Item],
    scanner: Arc<Scanner>,
    file_findings: &[Finding],
) -> Result<Verified, Diagnostic> {
    let mut out = Verified::default();
    let mut live_objects = Vec::new();
    for item in items {
        let Some(t) = types.get(&item.api_version, &item.kind) else {
            continue;
        };
        let Some(mut live) = cluster
            .get_object(t, item.namespace.as_deref(), &item.name)
            .await?
        else {
            out.drift.push(format!(
                "{}: missing from the cluster after the deploy",
                item.shown()
            ));
            continue;
        };
        out.drift.extend(drift(item, &item.object, &live));
        let meta = crate::cluster::clean::clean(&mut live);
        live_objects.push(LiveObject {
            context: cluster.context().to_string(),
            object: live,
            meta,
        });
    }
    let load = scanner.options().load.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let (docs, _errors) = crate::cluster::live::to_documents(live_objects, &load);
        scanner.scan_documents(docs)
    })
    .await
    .map_err(|e| Diagnostic::new(Code::System, format!("verification stopped: {e}")))??;
    let known: BTreeSet<_> = file_findings.iter().map(key).collect();
    for f in outcome
        .findings
        .iter()
        .filter(|f| crate::gate::Gate::counts(f))
    {
        if !known.contains(&key(f)) {
            out.live_only.push(LiveFinding {
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
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    fn item(kind: &str) -> Item {
        Item {
            object: Value::Null,
            api_version: "v1".into(),
            kind: kind.into(),
            name: "x".into(),
            namespace: Some("a".into()),
            file: "f".into(),
            line: 1,
        }
    }

    #[test]
    fn only_fields_the_deploy_set_are_compared() {
        let applied = v(
            "spec: {replicas: 2, template: {spec: {containers: [{name: a, image: 'x:1', ports: [{containerPort: 80}]}]}}}",
        );
        let live = v(
            "spec: {replicas: 3, strategy: {}, template: {spec: {containers: [{name: a, image: 'x:1', imagePullPolicy: IfNotPresent, ports: [{containerPort: 80, protocol: TCP}]}]}}}\nstatus: {}",
        );
        let d = drift(&item("Deployment"), &applied, &live);
        assert_eq!(
            d,
            ["Deployment/a/x: spec.replicas is 3 live, 2 was applied"]
        );
    }

    #[test]
    fn secret_drift_names_the_key_and_never_the_value() {
        let d = drift(
            &item("Secret"),
            &v("data: {password: c2VjcmV0}"),
            &v("data: {password: b3RoZXI=}"),
        );
        assert_eq!(d.len(), 1);
        assert!(
            !d[0].contains("c2VjcmV0") && !d[0].contains("b3RoZXI"),
            "{}",
            d[0]
        );
    }

    #[test]
    fn normalised_scalars_are_not_drift() {
        let d = drift(
            &item("Service"),
            &v("spec: {ports: [{port: '80'}]}"),
            &v("spec: {ports: [{port: 80}]}"),
        );
        assert!(d.is_empty(), "{d:?}");
    }
}
