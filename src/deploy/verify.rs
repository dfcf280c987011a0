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
///
/// The API server folds a Secret's `stringData` into `data` (base64): each `stringData`
/// value is compared, encoded, with the live `data` value of its key, which it overrides.
pub fn drift(item: &Item, applied: &Value, live: &Value) -> Vec<String> {
    let secret = item.kind == "Secret";
    let mut out = Vec::new();
    let mut applied = applied.clone();
    if secret {
        out.extend(string_data_drift(item, &mut applied, live));
    }
    walk(
        &applied,
        live,
        &mut String::new(),
        &mut |path, want, got| {
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
        },
    );
    out
}

/// Takes `stringData` out of a Secret's `applied` (with the `data` keys it overrides) and
/// compares each value, base64-encoded, with the live `data` value of its key. Names keys,
/// never values.
fn string_data_drift(item: &Item, applied: &mut Value, live: &Value) -> Vec<String> {
    use base64::Engine as _;
    let Some(m) = applied.as_object_mut() else {
        return Vec::new();
    };
    let Some(Value::Object(string_data)) = m.remove("stringData") else {
        return Vec::new();
    };
    if let Some(Value::Object(data)) = m.get_mut("data") {
        for k in string_data.keys() {
            data.remove(k);
        }
    }
    let live_data = live.get("data");
    string_data
        .iter()
        .filter(|(k, v)| {
            let want = base64::engine::general_purpose::STANDARD.encode(text(v));
            live_data
                .and_then(|d| d.get(k.as_str()))
                .and_then(Value::as_str)
                != Some(want.as_str())
        })
        .map(|(k, _)| {
            format!(
                "{}: stringData.{k} differs from what was applied",
                item.shown()
            )
        })
        .collect()
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
    out.live_only = live_only(file_findings, &outcome.findings);
    Ok(out)
}

/// The findings of the live objects that still count and that the scan of the files did
/// not have (matched by rule, kind, name and path: a file may omit the namespace and the
/// positions differ).
pub fn live_only(file_findings: &[Finding], live_findings: &[Finding]) -> Vec<LiveFinding> {
    let known: BTreeSet<_> = file_findings.iter().map(key).collect();
    live_findings
        .iter()
        .filter(|f| crate::gate::Gate::counts(f) && !known.contains(&key(f)))
        .map(|f| LiveFinding {
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
        })
        .collect()
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
    fn secret_string_data_is_compared_with_the_live_data_it_became() {
        // What the server stores for `stringData: {password: s3cret-value}`.
        let applied = v("data: {user: YWRtaW4=}\nstringData: {password: s3cret-value}");
        let live = v("data: {user: YWRtaW4=, password: czNjcmV0LXZhbHVl}\ntype: Opaque");
        assert!(drift(&item("Secret"), &applied, &live).is_empty());
        // stringData overrides a data value of the same key.
        let both = v("data: {password: b2xk}\nstringData: {password: s3cret-value}");
        assert!(drift(&item("Secret"), &both, &live).is_empty());
        let changed = v("data: {user: YWRtaW4=, password: b3RoZXI=}");
        let d = drift(&item("Secret"), &applied, &changed);
        assert_eq!(
            d,
            ["Secret/a/x: stringData.password differs from what was applied"]
        );
        let gone = drift(&item("Secret"), &applied, &v("data: {user: YWRtaW4=}"));
        assert_eq!(gone.len(), 1);
        for line in d.iter().chain(&gone) {
            assert!(
                !line.contains("s3cret") && !line.contains("czNjcmV0"),
                "{line}"
            );
        }
    }

    fn finding(rule: &str, name: &str, namespace: Option<&str>, path: &str) -> Finding {
        let json = serde_json::json!({
            "rule_id": rule, "rule_name": "r", "severity": "high",
            "message": "m", "file": "a.yaml", "line": 1, "column": 1, "end_line": 1,
            "end_column": 2, "document_index": 0, "source": null,
            "resource": {"api_version": "apps/v1", "kind": "Deployment", "namespace": namespace, "name": name},
            "path": path, "frameworks": {}, "fingerprint": "f", "suppressed": null
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn only_findings_the_files_did_not_have_are_live_only() {
        let files = [
            finding("CG1001", "web", None, "spec.template"),
            finding("CG1002", "web", None, "spec.x"),
        ];
        let mut waived = finding("CG1003", "web", Some("shop"), "spec.y");
        waived.suppressed = Some(crate::finding::Suppression {
            kind: "external".into(),
            justification: "j".into(),
            owner: None,
            expires: None,
            ticket: None,
        });
        let live = [
            // The same finding on the live object (which has its namespace): not new.
            finding("CG1001", "web", Some("shop"), "spec.template"),
            // Added live, e.g. by a mutating webhook.
            finding(
                "CG1001",
                "web",
                Some("shop"),
                "spec.template.spec.containers[1]",
            ),
            finding("CG1002", "api", Some("shop"), "spec.x"),
            waived,
        ];
        let got = live_only(&files, &live);
        let shown: Vec<(&str, &str, &str)> = got
            .iter()
            .map(|f| (f.rule_id.as_str(), f.object.as_str(), f.path.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "CG1001",
                    "Deployment/shop/web",
                    "spec.template.spec.containers[1]"
                ),
                ("CG1002", "Deployment/shop/api", "spec.x"),
            ]
        );
        assert!(live_only(&files, &files).is_empty());
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
