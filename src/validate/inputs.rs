//! Helpers over the inputs: kustomize patch files, strict JSON syntax, key positions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{Problem, ProblemKind};
use crate::document::{FieldPath, SourceFile};

/// Display paths of the files that kustomizations below the inputs use as patches
/// (`patchesStrategicMerge`, `patches[].path`, `patchesJson6902[].path`).
pub(super) fn kustomize_patches(inputs: &[crate::source::Input]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let displays: BTreeMap<PathBuf, &str> = inputs
        .iter()
        .filter_map(|i| match i {
            crate::source::Input::File { path, display } => {
                Some((crate::source::normalize(path), display.as_str()))
            }
            crate::source::Input::Stdin => None,
        })
        .collect();
    for path in displays.keys() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !matches!(
            name,
            "kustomization.yaml" | "kustomization.yml" | "Kustomization"
        ) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let (docs, _) = crate::source::yaml::parse(&text);
        let Some(root) = docs.into_iter().next().map(|d| d.root.to_json()) else {
            continue;
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut rels: Vec<&str> = Vec::new();
        if let Some(list) = root["patchesStrategicMerge"].as_array() {
            rels.extend(list.iter().filter_map(|v| v.as_str()));
        }
        for key in ["patches", "patchesJson6902"] {
            if let Some(list) = root[key].as_array() {
                rels.extend(list.iter().filter_map(|v| v["path"].as_str()));
            }
        }
        for rel in rels {
            if let Some(d) = displays.get(&crate::source::normalize(&dir.join(rel))) {
                out.insert((*d).to_string());
            }
        }
    }
    out
}

/// The span of the key of the last segment of `path`, when it exists.
pub(super) fn key_span(
    root: &crate::document::Node,
    path: &FieldPath,
) -> Option<crate::document::Span> {
    use crate::document::{NodeKind, Seg};
    let (last, parents) = path.0.split_last()?;
    let mut node = root;
    for seg in parents {
        node = match (&node.kind, seg) {
            (NodeKind::Map(es), Seg::Key(k)) => &es.iter().find(|e| &e.key == k)?.value,
            (NodeKind::Seq(items), Seg::Index(i)) => items.get(*i)?,
            _ => return None,
        };
    }
    match (&node.kind, last) {
        (NodeKind::Map(es), Seg::Key(k)) => es.iter().find(|e| &e.key == k).map(|e| e.key_span),
        _ => None,
    }
}

/// Strict JSON syntax for `.json` files (the YAML reader accepts e.g. trailing commas).
pub(super) fn json_syntax(file: &SourceFile) -> Option<Problem> {
    if !file.path.to_ascii_lowercase().ends_with(".json") {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(&file.text);
    let err = loop {
        match serde::de::Deserialize::deserialize(&mut de) {
            Ok(serde::de::IgnoredAny) => {}
            Err(e) => break e,
        }
        if de.end().is_ok() {
            return None;
        }
    };
    Some(Problem::in_file(
        file.path.clone(),
        err.line() as u32,
        err.column() as u32,
        "",
        ProblemKind::Syntax,
        format!(
            "invalid JSON: {}",
            crate::diag::serde_message(&err.to_string())
        ),
    ))
}
