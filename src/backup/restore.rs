//! Restoring a backup: everything is read, decrypted and verified first ([`load_all`]);
//! the selection (kinds, namespace mapping) is prepared for re-creation; the result is
//! scanned and findings at or above the gate block the restore unless
//! `--allow-findings`; a server-side dry run shows the diff against the live state; only
//! then, with `--confirm`, objects are applied with server-side apply (field manager
//! `confgate`) in dependency order. What was applied and what was not are both reported.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::format::Entry;
use super::load::{self, Loaded};
use super::store::Store;
use crate::cluster::Cluster;
use crate::cluster::diff::Change;
use crate::cluster::diff::ObjectDiff;
use crate::deploy::apply::{self, Conflict, Types};
use crate::deploy::plan;
use crate::diag::{Code, Diagnostic};
use crate::document::Document;
use crate::gate::Gate;
use crate::scan::{ScanOutcome, Scanner};
use crate::seal::Key;

/// What to restore, and how.
#[derive(Clone, Debug, Default)]
pub struct RestoreOptions {
    /// `--namespace-map from=to`.
    pub namespace_map: Vec<(String, String)>,
    /// `--kinds` (empty: all).
    pub kinds: Vec<String>,
    /// Only these namespaces of the backup (empty: all).
    pub namespaces: Vec<String>,
    /// `--confirm`: change the cluster. Without it, the restore is a dry run.
    pub apply: bool,
    pub allow_findings: bool,
    pub force_conflicts: bool,
    pub timeout: Duration,
}

/// Parses `from=to`.
pub fn parse_mapping(s: &str) -> Result<(String, String), Diagnostic> {
    match s.split_once('=') {
        Some((a, b))
            if crate::k8s::is_dns1123_label(a.trim()) && crate::k8s::is_dns1123_label(b.trim()) =>
        {
            Ok((a.trim().to_string(), b.trim().to_string()))
        }
        _ => Err(Diagnostic::new(
            Code::Settings,
            format!("--namespace-map {s:?}: expected FROM=TO with two namespace names"),
        )),
    }
}

/// Does `--kinds` select this object? Kinds match case-insensitively by kind, plural-less
/// `kind.group`, or lower-case kind.
fn kind_selected(kinds: &[String], e: &Entry) -> bool {
    if kinds.is_empty() {
        return true;
    }
    let group = super::format::group_of(&e.api_version);
    kinds.iter().any(|k| {
        let k = k.trim();
        k.eq_ignore_ascii_case(&e.kind)
            || (!group.is_empty() && k.eq_ignore_ascii_case(&format!("{}.{group}", e.kind)))
    })
}

/// The objects to restore, prepared for re-creation: selected by kind and namespace,
/// namespaces mapped (the Namespace objects themselves renamed), and what the cluster
/// assigns on creation taken off (a Service's cluster IPs, owner references to objects
/// with other uids, a PVC's bound volume when it moves namespace). Pure.
pub fn prepare(objects: &[(Entry, Value)], opts: &RestoreOptions) -> Vec<Value> {
    let map = |ns: &str| -> String {
        opts.namespace_map
            .iter()
            .find(|(a, _)| a == ns)
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| ns.to_string())
    };
    let mut out = Vec::new();
    for (e, v) in objects {
        if !kind_selected(&opts.kinds, e) {
            continue;
        }
        let ns_of = if e.kind == "Namespace" && e.namespace.is_none() {
            Some(e.name.as_str())
        } else {
            e.namespace.as_deref()
        };
        if !opts.namespaces.is_empty() {
            match ns_of {
                Some(ns) if opts.namespaces.iter().any(|n| n == ns) => {}
                Some(_) => continue,
                // Cluster-scoped objects are restored only with every namespace.
                None => continue,
            }
        }
        let mut v = v.clone();
        let moved = ns_of.is_some_and(|ns| map(ns) != ns);
        if let Some(Value::Object(meta)) = v.get_mut("metadata") {
            if e.kind == "Namespace" && e.namespace.is_none() {
                meta.insert("name".into(), Value::String(map(&e.name)));
            } else if let Some(ns) = &e.namespace {
                meta.insert("namespace".into(), Value::String(map(ns)));
            }
            meta.remove("ownerReferences");
            meta.remove("generateName");
        }
        if e.kind == "Service"
            && let Some(Value::Object(spec)) = v.get_mut("spec")
        {
            let headless = spec.get("clusterIP").and_then(Value::as_str) == Some("None");
            if !headless {
                spec.remove("clusterIP");
                spec.remove("clusterIPs");
            }
        }
        if e.kind == "PersistentVolumeClaim"
            && moved
            && let Some(Value::Object(spec)) = v.get_mut("spec")
        {
            spec.remove("volumeName");
        }
        out.push(v);
    }
    out
}

/// The prepared objects as documents (`backup/<id>/Kind/namespace/name`), for the scan
/// and the plan.
pub fn documents(id: &str, objects: &[Value], load: &crate::source::LoadOptions) -> Vec<Document> {
    let mut docs = Vec::new();
    for v in objects {
        let s = |p: &str| {
            v.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let ns = s("/metadata/namespace");
        let name = if ns.is_empty() {
            format!("backup/{id}/{}/{}", s("/kind"), s("/metadata/name"))
        } else {
            format!("backup/{id}/{}/{ns}/{}", s("/kind"), s("/metadata/name"))
        };
        if let Ok(text) = crate::cluster::live::to_yaml(v) {
            docs.extend(crate::source::load_text(name, text, load, false).documents);
        }
    }
    docs
}

/// Where a restore stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stopped {
    /// The backup does not read back whole.
    Verify,
    /// Findings at or above the gate.
    Gate,
    /// The dry run refused objects.
    Check,
    /// An object failed while applying; the rest was not applied.
    Apply,
}

/// What a restore did.
#[derive(Debug, Default)]
pub struct Restored {
    pub id: String,
    pub dry_run: bool,
    pub stopped: Option<Stopped>,
    /// Objects selected for restoring.
    pub selected: usize,
    pub scan: ScanOutcome,
    pub diffs: Vec<ObjectDiff>,
    /// Objects the dry run could not check because their namespace or type is created by
    /// the same restore: they will be created.
    pub deferred: Vec<String>,
    pub conflicts: Vec<Conflict>,
    pub applied: Vec<(String, Change)>,
    pub not_applied: Vec<String>,
    pub errors: Vec<Diagnostic>,
    pub seconds: f64,
}

/// Restores backup `id` (already resolved) from `store`.
pub async fn restore(
    cluster: &Cluster,
    store: &Store,
    master: &Key,
    scanner: &Arc<Scanner>,
    gate: Gate,
    id: &str,
    opts: &RestoreOptions,
) -> Restored {
    let started = std::time::Instant::now();
    let mut out = Restored {
        id: id.to_string(),
        dry_run: !opts.apply,
        ..Restored::default()
    };
    let loaded = match load::load_all(store, master, id).await {
        Ok(l) => l,
        Err(e) => {
            out.errors.push(e);
            out.stopped = Some(Stopped::Verify);
            return out;
        }
    };
    let r = restore_loaded(cluster, scanner, gate, &loaded, opts, &mut out).await;
    if let Err(e) = r {
        out.errors.push(e);
    }
    out.seconds = started.elapsed().as_secs_f64();
    out
}

/// The restore of a backup already read back: selected and prepared by `opts`.
pub async fn restore_loaded(
    cluster: &Cluster,
    scanner: &Arc<Scanner>,
    gate: Gate,
    loaded: &Loaded,
    opts: &RestoreOptions,
    out: &mut Restored,
) -> Result<(), Diagnostic> {
    let objects = prepare(&loaded.objects, opts);
    restore_objects(
        cluster,
        scanner,
        gate,
        &loaded.manifest.id,
        objects,
        opts,
        out,
    )
    .await
}

/// Gates, checks and (with `opts.apply`) applies prepared objects.
pub async fn restore_objects(
    cluster: &Cluster,
    scanner: &Arc<Scanner>,
    gate: Gate,
    id: &str,
    objects: Vec<Value>,
    opts: &RestoreOptions,
    out: &mut Restored,
) -> Result<(), Diagnostic> {
    out.selected = objects.len();
    let docs = documents(id, &objects, &scanner.options().load);
    let plan_docs = docs.to_vec();
    let s = scanner.clone();
    let scan = tokio::task::spawn_blocking(move || s.scan_documents(docs))
        .await
        .map_err(|e| Diagnostic::new(Code::System, format!("the scan stopped: {e}")))??;
    let blocked = !gate.passes(&scan.findings);
    out.scan = scan;
    if blocked && !opts.allow_findings {
        out.stopped = Some(Stopped::Gate);
        return Ok(());
    }
    let items = plan::plan(&plan_docs, cluster.default_namespace())?;
    let mut types = Types::discover(cluster).await?;
    let checked = apply::check(cluster, &types, &items, opts.force_conflicts).await;
    out.diffs = checked.diffs;
    out.deferred = checked.deferred;
    out.conflicts = checked.conflicts;
    if !checked.errors.is_empty() || !out.conflicts.is_empty() {
        out.errors.extend(checked.errors);
        out.stopped = Some(Stopped::Check);
        return Ok(());
    }
    if !opts.apply {
        return Ok(());
    }
    let applied = apply::apply(
        cluster,
        &mut types,
        &items,
        opts.force_conflicts,
        opts.timeout,
    )
    .await;
    out.applied = applied.applied;
    out.not_applied = applied.not_applied;
    if !applied.errors.is_empty() {
        out.errors.extend(applied.errors);
        out.stopped = Some(Stopped::Apply);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(kind: &str, ns: Option<&str>, name: &str) -> Entry {
        Entry {
            api_version: if kind == "Deployment" {
                "apps/v1"
            } else {
                "v1"
            }
            .into(),
            kind: kind.into(),
            namespace: ns.map(str::to_string),
            name: name.into(),
            sha256: String::new(),
            size: 0,
            secret: kind == "Secret",
            stored_in: "b".into(),
            pack: 0,
            offset: 0,
            length: 0,
        }
    }

    fn objects() -> Vec<(Entry, Value)> {
        vec![
            (
                entry("Namespace", None, "shop"),
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
            ),
            (
                entry("Service", Some("shop"), "web"),
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
                    "spec": {"clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"], "ports": [{"port": 80}]}}),
            ),
            (
                entry("Service", Some("shop"), "db"),
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "shop"},
                    "spec": {"clusterIP": "None"}}),
            ),
            (
                entry("PersistentVolumeClaim", Some("shop"), "data"),
                json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "shop"},
                    "spec": {"volumeName": "pv-1"}}),
            ),
            (
                entry("Deployment", Some("shop"), "web"),
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop",
                    "ownerReferences": [{"kind": "X", "name": "y", "uid": "u"}]}}),
            ),
            (
                entry("ConfigMap", Some("other"), "c"),
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "other"}}),
            ),
        ]
    }

    #[test]
    fn namespaces_are_mapped_and_assigned_fields_dropped() {
        let opts = RestoreOptions {
            namespace_map: vec![("shop".into(), "shop-drill".into())],
            ..RestoreOptions::default()
        };
        let out = prepare(&objects(), &opts);
        assert_eq!(out.len(), 6);
        assert_eq!(out[0]["metadata"]["name"], "shop-drill");
        assert_eq!(out[1]["metadata"]["namespace"], "shop-drill");
        assert!(out[1]["spec"].get("clusterIP").is_none());
        assert!(out[1]["spec"].get("clusterIPs").is_none());
        assert_eq!(
            out[2]["spec"]["clusterIP"], "None",
            "headless stays headless"
        );
        assert!(out[3]["spec"].get("volumeName").is_none());
        assert!(out[4]["metadata"].get("ownerReferences").is_none());
        assert_eq!(out[5]["metadata"]["namespace"], "other", "unmapped stays");
    }

    #[test]
    fn kinds_and_namespaces_select() {
        let opts = RestoreOptions {
            kinds: vec!["service".into(), "Deployment.apps".into()],
            ..RestoreOptions::default()
        };
        let out = prepare(&objects(), &opts);
        let kinds: Vec<&str> = out.iter().filter_map(|v| v["kind"].as_str()).collect();
        assert_eq!(kinds, ["Service", "Service", "Deployment"]);
        let opts = RestoreOptions {
            namespaces: vec!["other".into()],
            ..RestoreOptions::default()
        };
        assert_eq!(prepare(&objects(), &opts).len(), 1);
        // Without a mapping, a PVC keeps its bound volume (same cluster, same place).
        let out = prepare(&objects(), &RestoreOptions::default());
        assert_eq!(out[3]["spec"]["volumeName"], "pv-1");
    }

    #[test]
    fn mappings_parse() {
        assert_eq!(
            parse_mapping("prod=staging").unwrap(),
            ("prod".to_string(), "staging".to_string())
        );
        assert!(parse_mapping("prod").is_err());
        assert!(parse_mapping("Prod=x").is_err());
    }
}
