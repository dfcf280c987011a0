//! `cluster diff`: live state against files. Each file object is sent as a server-side
//! apply with `dryRun=All` (field manager `confgate`, conflicts forced, as `kubectl diff
//! --server-side --force-conflicts` does), so defaulting, admission and merging are the
//! server's own; the answer is compared with the live object, both cleaned, and shown as a
//! unified diff with every Secret value masked.

use kube::Resource;
use kube::api::{DynamicObject, GetParams, Patch, PatchParams};
use serde_json::Value;
use similar::TextDiff;

use crate::diag::{Code, Diagnostic};

use super::clean;
use super::discovery::ResourceType;
use super::{Cluster, errors, live};

/// The field manager of every confgate write.
pub const FIELD_MANAGER: &str = "confgate";

/// How one object compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Not in the cluster: applying would create it.
    Create,
    /// In the cluster and different.
    Update,
    Unchanged,
}

/// The comparison of one object.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ObjectDiff {
    /// `Kind/namespace/name`.
    pub object: String,
    /// The file it came from.
    pub file: String,
    pub change: Change,
    /// Unified diff (live → after apply), Secret values masked; empty when unchanged.
    pub diff: String,
    /// The cleaned live object (Secret values masked), for analyses of the change.
    #[serde(skip)]
    pub before: Option<Value>,
    /// The cleaned object after the apply (Secret values masked).
    #[serde(skip)]
    pub after: Value,
    /// Not dry-run by the server (its CRD or namespace is created by the same deploy): the
    /// object as written, checked when applied.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deferred: bool,
}

/// What a Secret value shows as in a diff.
const MASK: &str = "***";
const MASK_CHANGED: &str = "*** (changed)";

/// Masks the Secret values of both sides: equal values show as `***`, different ones as
/// `*** (changed)` on the new side, so a diff says that a value changed and never what it
/// is.
pub fn mask_secrets(live: Option<&mut Value>, new: &mut Value) {
    if new.get("kind").and_then(Value::as_str) != Some("Secret") {
        return;
    }
    let mut live = live;
    for field in ["data", "stringData"] {
        let old: Option<serde_json::Map<String, Value>> = live
            .as_deref()
            .and_then(|l| l.get(field))
            .and_then(Value::as_object)
            .cloned();
        if let Some(Value::Object(m)) = new.get_mut(field) {
            for (k, v) in m.iter_mut() {
                let same = old.as_ref().and_then(|o| o.get(k)) == Some(v);
                *v = Value::String(if same || old.is_none() && live.is_none() {
                    MASK.into()
                } else {
                    MASK_CHANGED.into()
                });
            }
        }
        if let Some(Value::Object(m)) = live.as_deref_mut().and_then(|l| l.get_mut(field)) {
            for v in m.values_mut() {
                *v = Value::String(MASK.into());
            }
        }
    }
}

/// A unified diff of two YAML texts.
pub fn unified(old: &str, new: &str, a: &str, b: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(a, b)
        .to_string()
}

/// Compares one object of a file with the cluster. `object` is the file's object;
/// `rtype` its resource type as discovered.
pub async fn diff_object(
    cluster: &Cluster,
    rtype: &ResourceType,
    object: &Value,
    file: &str,
) -> Result<ObjectDiff, Diagnostic> {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut applied = object.clone();
    let namespace = if rtype.namespaced {
        let ns = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| cluster.default_namespace().to_string());
        if let Some(Value::Object(m)) = applied.get_mut("metadata") {
            m.insert("namespace".into(), Value::String(ns.clone()));
        }
        Some(ns)
    } else {
        None
    };
    let shown = match &namespace {
        Some(ns) => format!("{}/{ns}/{name}", rtype.kind),
        None => format!("{}/{name}", rtype.kind),
    };
    let ar = rtype.api_resource();
    let url = DynamicObject::url_path(&ar, namespace.as_deref());
    let req = kube::core::Request::new(url);
    let client = cluster.client();
    let timeout = cluster.timeout();
    let get = req.get(&name, &GetParams::default()).map_err(|e| {
        errors::diagnostic(
            cluster,
            &format!("get {shown}"),
            &kube::Error::BuildRequest(e),
        )
    })?;
    let live: Option<Value> =
        match tokio::time::timeout(timeout, client.request::<Value>(get)).await {
            Err(_) => return Err(cluster.timed_out(&format!("get {shown}"))),
            Ok(Ok(v)) => Some(v),
            Ok(Err(kube::Error::Api(s))) if s.code == 404 => None,
            Ok(Err(e)) => return Err(errors::diagnostic(cluster, &format!("get {shown}"), &e)),
        };
    let params = PatchParams::apply(FIELD_MANAGER).force().dry_run();
    let patch = req
        .patch(&name, &params, &Patch::Apply(&applied))
        .map_err(|e| {
            errors::diagnostic(
                cluster,
                &format!("dry-run apply {shown}"),
                &kube::Error::BuildRequest(e),
            )
        })?;
    let after: Value = match tokio::time::timeout(timeout, client.request::<Value>(patch)).await {
        Err(_) => return Err(cluster.timed_out(&format!("dry-run apply {shown}"))),
        Ok(r) => r.map_err(|e| {
            errors::diagnostic(cluster, &format!("dry-run apply {shown} (from {file})"), &e)
        })?,
    };
    compare(live, after, &shown, file)
}

/// Compares a live object (`None`: absent) with what applying would make of it (a
/// dry-run answer): both cleaned, Secret values masked, a unified diff when they differ.
pub fn compare(
    live: Option<Value>,
    after: Value,
    shown: &str,
    file: &str,
) -> Result<ObjectDiff, Diagnostic> {
    let mut before = live.map(|mut v| {
        clean::clean(&mut v);
        v
    });
    let mut after = after;
    clean::clean(&mut after);
    let change = match &before {
        None => Change::Create,
        Some(b) if *b == after => Change::Unchanged,
        Some(_) => Change::Update,
    };
    mask_secrets(before.as_mut(), &mut after);
    let text = |v: &Value| {
        live::to_yaml(v).map_err(|e| {
            Diagnostic::new(Code::InvalidObject, format!("cannot render {shown}: {e}"))
                .file(file.to_string())
        })
    };
    let old_text = match &before {
        Some(b) => text(b)?,
        None => String::new(),
    };
    let new_text = text(&after)?;
    let diff = if change == Change::Unchanged {
        String::new()
    } else {
        unified(
            &old_text,
            &new_text,
            &format!("live/{shown}"),
            &format!("{file} ({shown})"),
        )
    };
    Ok(ObjectDiff {
        object: shown.to_string(),
        file: file.to_string(),
        change,
        diff,
        before,
        after,
        deferred: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn secret_values_are_masked_and_changes_still_show() {
        let mut live = v("kind: Secret\ndata: {a: b2xk, same: eA==}\n");
        let mut new = v("kind: Secret\ndata: {a: bmV3, same: eA==}\n");
        mask_secrets(Some(&mut live), &mut new);
        assert_eq!(live, v("kind: Secret\ndata: {a: '***', same: '***'}\n"));
        assert_eq!(
            new,
            v("kind: Secret\ndata: {a: '*** (changed)', same: '***'}\n")
        );
        let d = unified(
            &live::to_yaml(&live).unwrap(),
            &live::to_yaml(&new).unwrap(),
            "a",
            "b",
        );
        assert!(
            d.contains("changed") && !d.contains("bmV3") && !d.contains("b2xk"),
            "{d}"
        );
    }

    #[test]
    fn a_new_secret_shows_only_masks() {
        let mut new = v("kind: Secret\nstringData: {token: hunter2}\n");
        mask_secrets(None, &mut new);
        assert_eq!(new, v("kind: Secret\nstringData: {token: '***'}\n"));
    }
}
