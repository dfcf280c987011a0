//! Normalizing one rendered document the way the API server would store it: the target
//! namespace filled in, Secret `stringData` folded into base64 `data`, ConfigMap and Secret
//! keys sorted and their values checked, so that outputs compare and hash stably.

use std::collections::BTreeMap;

use serde_yaml::{Mapping, Value as Yaml};

use super::HASH_ANNOTATION;
use super::finalize::{ObjKey, str_at};
use crate::generate::secrets::{base64_decode, base64_encode};

/// Checks one document and normalizes it in place; returns its identity and whether it
/// gets a content-hash name.
pub(super) fn normalize(
    doc: &mut Yaml,
    namespace: &str,
    hash_all: bool,
) -> Result<(ObjKey, bool), String> {
    if !doc.is_mapping() {
        return Err("not a mapping; every document must be a Kubernetes object".to_string());
    }
    let (Some(_), Some(kind)) = (str_at(doc, "apiVersion"), str_at(doc, "kind")) else {
        return Err("not a Kubernetes object (apiVersion and kind are required)".to_string());
    };
    let kind = kind.to_string();
    if kind.ends_with("List") && doc.get("items").is_some() {
        return Err(format!(
            "{kind} is not supported; render the items as separate documents"
        ));
    }
    let Some(Yaml::Mapping(meta)) = doc.get_mut("metadata") else {
        return Err(format!("{kind} has no metadata"));
    };
    let name = match meta.get("name").and_then(Yaml::as_str) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => return Err(format!("{kind} has no metadata.name")),
    };
    let cluster = crate::k8s::cluster_scoped(&kind);
    if !cluster && meta.get("namespace").is_none() {
        let mut rebuilt = Mapping::new();
        for (k, v) in std::mem::take(meta) {
            let after_name = k.as_str() == Some("name");
            rebuilt.insert(k, v);
            if after_name {
                rebuilt.insert(
                    Yaml::String("namespace".to_string()),
                    Yaml::String(namespace.to_string()),
                );
            }
        }
        *meta = rebuilt;
    }
    let ns = if cluster {
        None
    } else {
        meta.get("namespace")
            .and_then(Yaml::as_str)
            .map(str::to_string)
    };
    let mut hash = None;
    if let Some(Yaml::Mapping(ann)) = meta.get_mut("annotations")
        && let Some(v) = ann.remove(HASH_ANNOTATION)
    {
        hash = Some(match &v {
            Yaml::Bool(b) => *b,
            Yaml::String(s) if s == "true" => true,
            Yaml::String(s) if s == "false" => false,
            _ => {
                return Err(format!(
                    "{kind} {name}: annotation {HASH_ANNOTATION} must be \"true\" or \"false\""
                ));
            }
        });
        if ann.is_empty() {
            meta.remove("annotations");
        }
    }
    let data_kind = kind == "ConfigMap" || kind == "Secret";
    if hash == Some(true) && !data_kind {
        return Err(format!(
            "{kind} {name}: {HASH_ANNOTATION} applies to ConfigMaps and Secrets only"
        ));
    }
    let Yaml::Mapping(obj) = doc else {
        return Err("not a mapping".to_string());
    };
    match kind.as_str() {
        "Secret" => normalize_secret(obj, &name)?,
        "ConfigMap" => normalize_configmap(obj, &name)?,
        _ => {}
    }
    Ok((
        ObjKey {
            kind,
            namespace: ns,
            name,
        },
        data_kind && hash.unwrap_or(hash_all),
    ))
}

/// A string map of a ConfigMap or Secret, keys sorted; non-string values are refused.
pub(super) fn string_map(
    obj: &Mapping,
    field: &str,
    what: &str,
) -> Result<Option<BTreeMap<String, String>>, String> {
    let Some(v) = obj.get(field) else {
        return Ok(None);
    };
    if v.is_null() {
        return Ok(Some(BTreeMap::new()));
    }
    let Yaml::Mapping(m) = v else {
        return Err(format!("{what}: {field} must be a mapping"));
    };
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let Some(k) = k.as_str() else {
            return Err(format!("{what}: {field} keys must be strings"));
        };
        let v = match v {
            Yaml::String(s) => s.clone(),
            Yaml::Number(_) | Yaml::Bool(_) => {
                return Err(format!(
                    "{what}: {field}.{k} is not a string; quote it in the template (e.g. \"{{{{ x }}}}\")"
                ));
            }
            _ => return Err(format!("{what}: {field}.{k} must be a string")),
        };
        out.insert(k.to_string(), v);
    }
    Ok(Some(out))
}

pub(super) fn put_sorted(obj: &mut Mapping, field: &str, map: BTreeMap<String, String>) {
    let m: Mapping = map
        .into_iter()
        .map(|(k, v)| (Yaml::String(k), Yaml::String(v)))
        .collect();
    obj.insert(Yaml::String(field.to_string()), Yaml::Mapping(m));
}

pub(super) fn normalize_secret(obj: &mut Mapping, name: &str) -> Result<(), String> {
    let what = format!("Secret {name}");
    let mut data = string_map(obj, "data", &what)?;
    for (k, v) in data.iter().flatten() {
        if base64_decode(v).is_none() {
            return Err(format!(
                "{what}: data.{k} is not base64; use `| b64encode` in the template or put the value under stringData"
            ));
        }
    }
    if let Some(plain) = string_map(obj, "stringData", &what)? {
        let d = data.get_or_insert_with(BTreeMap::new);
        for (k, v) in plain {
            d.insert(k, base64_encode(v.as_bytes()));
        }
        obj.remove("stringData");
    }
    if let Some(d) = data {
        put_sorted(obj, "data", d);
    }
    Ok(())
}

pub(super) fn normalize_configmap(obj: &mut Mapping, name: &str) -> Result<(), String> {
    let what = format!("ConfigMap {name}");
    if let Some(d) = string_map(obj, "data", &what)? {
        put_sorted(obj, "data", d);
    }
    if let Some(b) = string_map(obj, "binaryData", &what)? {
        if let Some(k) = b
            .iter()
            .find(|(_, v)| base64_decode(v).is_none())
            .map(|(k, _)| k)
        {
            return Err(format!("{what}: binaryData.{k} is not base64"));
        }
        put_sorted(obj, "binaryData", b);
    }
    Ok(())
}
