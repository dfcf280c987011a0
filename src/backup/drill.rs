//! Restore drills (`backup test-restore`): a backup is restored into a scratch namespace
//! (on the same or another context), every restored object is read back and compared
//! with the backup object by object, the result (pass/fail, the differences, the time)
//! is recorded next to the backup, and the scratch namespace is deleted. A drill is how
//! `status` and the metrics know when a backup was last proven restorable.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use super::load;
use super::restore::{self, RestoreOptions, Restored};
use super::store::Store;
use crate::cluster::Cluster;
use crate::deploy::apply::Types;
use crate::diag::Diagnostic;
use crate::gate::Gate;
use crate::scan::Scanner;
use crate::seal::Key;

/// The label the scratch namespace carries (with the backup id).
pub const DRILL_LABEL: &str = "confgate.dev/drill";

/// How to drill.
#[derive(Clone, Debug, Default)]
pub struct DrillOptions {
    /// The scratch namespace (default `confgate-drill-<time>`).
    pub namespace: Option<String>,
    /// Leave the scratch namespace for inspection.
    pub keep: bool,
    pub allow_findings: bool,
    pub timeout: std::time::Duration,
}

/// A drill's result, recorded as `<id>/drills/<time>.json`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DrillReport {
    pub backup: String,
    pub context: String,
    pub namespace: String,
    /// RFC 3339.
    pub started: String,
    pub seconds: f64,
    pub passed: bool,
    /// Objects restored and compared.
    pub compared: usize,
    /// Cluster-scoped objects a scratch namespace cannot hold (not restored).
    pub skipped: usize,
    /// Object by object, what differs (paths only for Secrets: never values).
    pub differences: Vec<String>,
    pub errors: Vec<String>,
    pub cleaned_up: bool,
    /// What the restore scan found at or above the gate.
    pub blocking_findings: usize,
}

/// Runs a drill of backup `id` (resolved).
pub async fn drill(
    cluster: &Cluster,
    store: &Store,
    master: &Key,
    scanner: &Arc<Scanner>,
    gate: Gate,
    id: &str,
    opts: &DrillOptions,
) -> DrillReport {
    let started = Instant::now();
    let now = jiff::Timestamp::now();
    let namespace = opts.namespace.clone().unwrap_or_else(|| {
        format!("confgate-drill-{}", now.strftime("%Y%m%d-%H%M%S")).to_ascii_lowercase()
    });
    let mut report = DrillReport {
        backup: id.to_string(),
        context: cluster.context().to_string(),
        namespace: namespace.clone(),
        started: now.to_string(),
        ..DrillReport::default()
    };
    let finish = |mut r: DrillReport| {
        r.seconds = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        r.passed = r.errors.is_empty() && r.differences.is_empty() && r.compared > 0;
        r
    };
    let loaded = match load::load_all(store, master, id).await {
        Ok(l) => l,
        Err(e) => {
            report.errors.push(e.to_string());
            return finish(report);
        }
    };
    // Every namespace of the backup goes into the scratch namespace; cluster-scoped
    // objects stay out.
    let mut map: Vec<(String, String)> = loaded
        .objects
        .iter()
        .filter_map(|(e, _)| e.namespace.clone())
        .map(|ns| (ns, namespace.clone()))
        .collect();
    map.sort();
    map.dedup();
    let ropts = RestoreOptions {
        namespace_map: map,
        apply: true,
        allow_findings: opts.allow_findings,
        timeout: opts.timeout,
        ..RestoreOptions::default()
    };
    let prepared = restore::prepare(&loaded.objects, &ropts);
    let (namespaced, scoped): (Vec<Value>, Vec<Value>) = prepared.into_iter().partition(|v| {
        !crate::k8s::cluster_scoped(v.get("kind").and_then(Value::as_str).unwrap_or(""))
    });
    report.skipped = scoped.len();
    let mut objects = vec![serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": namespace, "labels": {DRILL_LABEL: id}},
    })];
    objects.extend(namespaced.iter().cloned());
    let mut restored = Restored::default();
    if let Err(e) =
        restore::restore_objects(cluster, scanner, gate, id, objects, &ropts, &mut restored).await
    {
        report.errors.push(e.to_string());
    }
    report.blocking_findings = gate.blocking(&restored.scan.findings).count();
    if let Some(stopped) = restored.stopped {
        report.errors.push(format!(
            "the restore stopped ({}){}",
            serde_json::to_value(stopped)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            if stopped == restore::Stopped::Gate {
                format!(
                    ": {} findings at or above {} (pass --allow-findings to drill anyway)",
                    report.blocking_findings,
                    gate.fail_on.as_str()
                )
            } else {
                String::new()
            }
        ));
    }
    report
        .errors
        .extend(restored.errors.iter().map(|e| e.to_string()));
    if report.errors.is_empty() {
        match compare_live(cluster, &namespaced).await {
            Ok((n, diffs)) => {
                report.compared = n;
                report.differences = diffs;
            }
            Err(e) => report.errors.push(e.to_string()),
        }
    }
    if !opts.keep {
        report.cleaned_up = clean_up(cluster, &namespace).await.is_ok();
    }
    let report = finish(report);
    if let Ok(bytes) = serde_json::to_vec_pretty(&report) {
        let rel = format!("{id}/drills/{}.json", now.strftime("%Y%m%dT%H%M%SZ"));
        if let Err(e) = store.put(&rel, bytes).await {
            let mut r = report;
            r.errors
                .push(format!("the drill's result was not recorded: {e}"));
            r.passed = false;
            return r;
        }
    }
    report
}

/// Reads every restored object back and compares it with what was restored.
async fn compare_live(
    cluster: &Cluster,
    expected: &[Value],
) -> Result<(usize, Vec<String>), Diagnostic> {
    let types = Types::discover(cluster).await?;
    let mut diffs = Vec::new();
    let mut n = 0;
    for want in expected {
        let s = |p: &str| want.pointer(p).and_then(Value::as_str).unwrap_or("");
        let (api_version, kind, ns, name) = (
            s("/apiVersion"),
            s("/kind"),
            s("/metadata/namespace"),
            s("/metadata/name"),
        );
        let shown = format!("{kind}/{ns}/{name}");
        let Some(t) = types.get(api_version, kind) else {
            diffs.push(format!("{shown}: the cluster does not serve {api_version}"));
            continue;
        };
        n += 1;
        match cluster.get_object(t, Some(ns), name).await? {
            None => diffs.push(format!("{shown}: not found after the restore")),
            Some(live) => {
                let live = crate::deploy::state::manifest_of(live);
                let secret = kind == "Secret" && !api_version.contains('/');
                let mut out = Vec::new();
                contained(want, &live, "", secret, &mut out);
                diffs.extend(out.into_iter().map(|d| format!("{shown}: {d}")));
            }
        }
    }
    Ok((n, diffs))
}

/// Does `actual` hold everything `expected` has (extra fields are the server's
/// defaults)? Differences are listed by path; a Secret's values are never shown.
pub fn contained(
    expected: &Value,
    actual: &Value,
    path: &str,
    secret: bool,
    out: &mut Vec<String>,
) {
    let at = |p: &str| {
        if p.is_empty() {
            ".".to_string()
        } else {
            p.to_string()
        }
    };
    // Labels confgate adds when applying are the only acceptable additions at any level;
    // everything the backup had must be there unchanged.
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let p = format!("{path}.{k}");
                match a.get(k) {
                    Some(av) => contained(v, av, &p, secret, out),
                    None => out.push(format!("{} is missing", at(&p))),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!(
                    "{} has {} items, {} expected",
                    at(path),
                    a.len(),
                    e.len()
                ));
                return;
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                contained(ev, av, &format!("{path}[{i}]"), secret, out);
            }
        }
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => {}
        (e, a) if e == a => {}
        (e, a) => {
            let value_path = path.starts_with(".data") || path.starts_with(".stringData");
            if secret && value_path {
                out.push(format!("{} differs", at(path)));
            } else {
                out.push(format!("{} is {a}, {e} expected", at(path)));
            }
        }
    }
}

async fn clean_up(cluster: &Cluster, namespace: &str) -> Result<(), Diagnostic> {
    let types = Types::discover(cluster).await?;
    if let Some(t) = types.get("v1", "Namespace") {
        cluster
            .delete_object(t, None, namespace, false)
            .await
            .map_err(|e| e.diagnostic(&format!("delete namespace {namespace}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_defaults_are_not_differences_but_changes_are() {
        let want = json!({"spec": {"ports": [{"port": 80}], "replicas": 2}});
        let live =
            json!({"spec": {"ports": [{"port": 80, "protocol": "TCP"}], "replicas": 2, "x": 1}});
        let mut out = Vec::new();
        contained(&want, &live, "", false, &mut out);
        assert!(out.is_empty(), "{out:?}");
        let live = json!({"spec": {"ports": [], "replicas": 3}});
        contained(&want, &live, "", false, &mut out);
        assert_eq!(
            out,
            [
                ".spec.ports has 0 items, 1 expected",
                ".spec.replicas is 3, 2 expected"
            ]
        );
    }

    #[test]
    fn secret_values_are_never_shown() {
        let want = json!({"data": {"password": "c2VjcmV0"}});
        let live = json!({"data": {"password": "b3RoZXI="}});
        let mut out = Vec::new();
        contained(&want, &live, "", true, &mut out);
        assert_eq!(out, [".data.password differs"]);
        assert!(!out[0].contains("c2VjcmV0") && !out[0].contains("b3RoZXI="));
        let mut out = Vec::new();
        contained(&want, &json!({}), "", true, &mut out);
        assert_eq!(out, [".data is missing"]);
    }
}
