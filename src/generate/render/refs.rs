//! Content-hash names and the references that follow them: a ConfigMap or Secret marked for
//! it is renamed `<name>-<10 hex of the sha256 of its data>`, and every field of the other
//! generated objects that names it (volumes, env, envFrom, projected sources, image pull
//! secrets) is rewritten to the new name.

use std::collections::BTreeMap;

use serde_yaml::{Mapping, Value as Yaml};
use sha2::{Digest, Sha256};

use super::finalize::ObjKey;
use super::hex;

/// 10 hex characters of the sha256 of the object's `data` and `binaryData` (canonical JSON,
/// keys sorted).
pub(super) fn content_hash(doc: &Yaml) -> String {
    let mut canon: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
    for field in ["data", "binaryData"] {
        if let Some(Yaml::Mapping(m)) = doc.get(field) {
            let sorted = m
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect();
            canon.insert(field, sorted);
        }
    }
    let json = serde_json::to_string(&canon).unwrap_or_default();
    hex(&Sha256::digest(json.as_bytes()))[..10].to_string()
}

/// Rewrites references to renamed ConfigMaps and Secrets inside `doc` (an object of `kind`
/// in namespace `ns`): pod volumes (`configMap.name`, `secret.secretName`, projected
/// sources), `envFrom` (`configMapRef`, `secretRef`), `env[].valueFrom` (`configMapKeyRef`,
/// `secretKeyRef`), `imagePullSecrets`, Ingress `tls[].secretName` and ServiceAccount
/// `secrets`.
pub(super) fn rewrite_refs(
    doc: &mut Yaml,
    kind: &str,
    ns: Option<&str>,
    renames: &BTreeMap<ObjKey, String>,
) {
    let lookup = |target: &str, name: &str| -> Option<String> {
        renames
            .get(&ObjKey {
                kind: target.to_string(),
                namespace: ns.map(str::to_string),
                name: name.to_string(),
            })
            .cloned()
    };
    walk(doc, None, kind, &lookup);
}

pub(super) fn rename_field(
    m: &mut Mapping,
    field: &str,
    target: &str,
    lookup: &dyn Fn(&str, &str) -> Option<String>,
) {
    let new = m
        .get(field)
        .and_then(Yaml::as_str)
        .and_then(|n| lookup(target, n));
    if let Some(new) = new {
        m.insert(Yaml::String(field.to_string()), Yaml::String(new));
    }
}

pub(super) fn walk(
    v: &mut Yaml,
    parent: Option<&str>,
    kind: &str,
    lookup: &dyn Fn(&str, &str) -> Option<String>,
) {
    match v {
        Yaml::Mapping(m) => {
            match parent {
                Some("configMapRef" | "configMapKeyRef" | "configMap") => {
                    rename_field(m, "name", "ConfigMap", lookup);
                }
                Some("secretRef" | "secretKeyRef") => rename_field(m, "name", "Secret", lookup),
                Some("secret") => {
                    rename_field(m, "secretName", "Secret", lookup);
                    rename_field(m, "name", "Secret", lookup);
                }
                Some("imagePullSecrets") => rename_field(m, "name", "Secret", lookup),
                Some("tls") if kind == "Ingress" => rename_field(m, "secretName", "Secret", lookup),
                Some("secrets") if kind == "ServiceAccount" => {
                    rename_field(m, "name", "Secret", lookup);
                }
                _ => {}
            }
            for (k, child) in m.iter_mut() {
                let key = k.as_str().map(str::to_string);
                walk(child, key.as_deref(), kind, lookup);
            }
        }
        Yaml::Sequence(items) => {
            // List items inherit the key of their list (`imagePullSecrets: [{name: …}]`).
            for item in items {
                walk(item, parent, kind, lookup);
            }
        }
        _ => {}
    }
}
