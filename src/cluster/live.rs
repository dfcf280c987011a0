//! Live objects as documents: each cleaned object is written as YAML with the emitter
//! `generate` uses (strings quoted wherever a YAML 1.1 or 1.2 reader could take them for
//! something else) and read back by the one loader, so a live object and its export are the
//! same bytes and give the same findings, positions included.

use rayon::prelude::*;

use crate::diag::{Code, Diagnostic};
use crate::document::Document;
use crate::source::{self, LoadOptions};

use super::read::LiveObject;

/// The directory of a kind: `Deployment` for Kubernetes' own groups, `Widget.example.com`
/// for others (two CRDs may share a kind).
pub fn kind_dir(api_version: &str, kind: &str) -> String {
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    if group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io") {
        escape(kind)
    } else {
        format!("{}.{}", escape(kind), escape(group))
    }
}

/// `cluster/<context>/<namespace>/<kind>/<name>` (`_cluster` for cluster-scoped objects):
/// the origin a live object's findings carry, and (without `cluster/`) its export path.
pub fn origin(obj: &LiveObject) -> String {
    format!("cluster/{}", relative_path(obj))
}

/// `<context>/<namespace>/<kind>/<name>`, each part safe as a file name.
pub fn relative_path(obj: &LiveObject) -> String {
    let api_version = obj
        .object
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    format!(
        "{}/{}/{}/{}",
        escape(&obj.context),
        obj.namespace()
            .map(escape)
            .unwrap_or_else(|| "_cluster".into()),
        kind_dir(api_version, obj.kind()),
        escape(obj.name())
    )
}

/// A path segment: `/`, `\`, `%`, control characters and leading dots percent-encoded, so
/// no context or name can climb out of an export directory or hide a line break.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        match c {
            '/' | '\\' | '%' | ':' => out.push_str(&format!("%{:02X}", c as u32)),
            '.' if i == 0 => out.push_str("%2E"),
            c if c.is_control() => out.push_str(&format!("%{:02X}", c as u32 & 0xff)),
            c => out.push(c),
        }
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// The object as YAML text (one document).
pub fn to_yaml(obj: &serde_json::Value) -> Result<String, String> {
    let v: serde_yaml::Value = serde_yaml::to_value(obj).map_err(|e| e.to_string())?;
    source::emit::document(&v)
}

/// Renders live objects as YAML (in parallel): `(origin, text)` for each, what
/// [`crate::scan::Scanner::scan_texts`] scans, and an error for each that cannot be
/// rendered.
pub fn to_texts(objects: Vec<LiveObject>) -> (Vec<(String, String)>, Vec<Diagnostic>) {
    let per: Vec<Result<(String, String), Diagnostic>> = objects
        .into_par_iter()
        .map(|o| {
            let name = origin(&o);
            match to_yaml(&o.object) {
                Ok(text) => Ok((name, text)),
                Err(e) => Err(Diagnostic::new(
                    Code::InvalidObject,
                    format!("cannot render the live object as YAML: {e}"),
                )
                .file(name)),
            }
        })
        .collect();
    let mut texts = Vec::with_capacity(per.len());
    let mut errors = Vec::new();
    for r in per {
        match r {
            Ok(t) => texts.push(t),
            Err(e) => errors.push(e),
        }
    }
    (texts, errors)
}

/// Turns live objects into documents (in parallel), each its own source file named by its
/// origin and marked live.
pub fn to_documents(
    objects: Vec<LiveObject>,
    load: &LoadOptions,
) -> (Vec<Document>, Vec<Diagnostic>) {
    let (texts, mut errors) = to_texts(objects);
    let per: Vec<(Vec<Document>, Vec<Diagnostic>)> = texts
        .into_par_iter()
        .map(|(name, text)| {
            let l = source::load_text(name, text, load, true);
            (l.documents, l.errors)
        })
        .collect();
    let mut docs = Vec::new();
    for (d, e) in per {
        docs.extend(d);
        errors.extend(e);
    }
    (docs, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(context: &str, v: &str) -> LiveObject {
        LiveObject {
            context: context.into(),
            object: serde_yaml::from_str(v).unwrap(),
            meta: Default::default(),
        }
    }

    #[test]
    fn origins_name_context_namespace_kind_and_name() {
        let d = obj(
            "prod",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n",
        );
        assert_eq!(origin(&d), "cluster/prod/shop/Deployment/web");
        let n = obj(
            "prod",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
        );
        assert_eq!(origin(&n), "cluster/prod/_cluster/Namespace/shop");
        let c = obj(
            "prod",
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: a}\n",
        );
        assert_eq!(origin(&c), "cluster/prod/a/Widget.example.com/w");
        let r = obj(
            "prod",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'system:x'}\n",
        );
        assert_eq!(origin(&r), "cluster/prod/_cluster/ClusterRole/system%3Ax");
    }

    #[test]
    fn no_context_or_name_climbs_out_of_the_tree() {
        let d = obj(
            "arn:aws:eks:eu/../../etc",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: '..', namespace: a}\n",
        );
        let p = relative_path(&d);
        assert_eq!(p.split('/').count(), 4, "{p}");
        assert!(!p.split('/').any(|s| s == ".." || s == "."), "{p}");
    }

    #[test]
    fn ambiguous_strings_survive_the_round_trip() {
        let d = obj(
            "c",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: a}\ndata: {a: 'yes', b: '0777', c: 'on', d: '1_000', e: 'line\\nbreak'}\n",
        );
        let (docs, errors) = to_documents(vec![d.clone()], &LoadOptions::default());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].tree.to_json(), d.object);
        assert!(docs[0].file.live);
    }
}
