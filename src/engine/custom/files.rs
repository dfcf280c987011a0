//! Files of user policies: walking `--policy` and `--data` paths, reading YAML, merging data.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::diag::{Code, Diagnostic};

/// A policy file: its display path and text.
pub(crate) struct PolicyFile {
    pub display: String,
    pub text: String,
}

fn is_policy_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    (name.ends_with(".rego") && !name.ends_with("_test.rego"))
        || name.ends_with(".yaml")
        || name.ends_with(".yml")
        || name.ends_with(".json")
}

/// Every `.rego` (tests excluded), `.yaml`, `.yml` and `.json` file below `paths` (files are
/// taken as given), in path order, each once. Hidden files and directories are skipped.
pub(crate) fn policy_files(paths: &[PathBuf], cwd: &Path) -> Result<Vec<PolicyFile>, Diagnostic> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for p in paths {
        for (abs, display) in walk(p, cwd, is_policy_file)? {
            if !seen.insert(abs.clone()) {
                continue;
            }
            let text = read_text(&abs, &display)?;
            out.push(PolicyFile { display, text });
        }
    }
    Ok(out)
}

/// Files below `p` accepted by `keep` (a file given directly must be accepted too), as
/// (absolute path, display path), sorted.
pub(crate) fn walk(
    p: &Path,
    cwd: &Path,
    keep: fn(&Path) -> bool,
) -> Result<Vec<(PathBuf, String)>, Diagnostic> {
    let abs = crate::source::normalize(&cwd.join(p));
    let display = crate::source::display_path(p, cwd);
    let fail =
        |file: String, message: String| Diagnostic::new(Code::PolicyLoad, message).file(file);
    let meta =
        std::fs::metadata(&abs).map_err(|e| fail(display.clone(), format!("cannot read: {e}")))?;
    if meta.is_file() {
        if !keep(&abs) {
            return Err(fail(
                display,
                "not a .rego, .yaml, .yml or .json file".to_string(),
            ));
        }
        return Ok(vec![(abs, display)]);
    }
    let walk = crate::source::WalkOptions {
        follow_links: true,
        skip_hidden: true,
        keep,
        ..Default::default()
    };
    let mut out = Vec::new();
    for entry in crate::source::walk_files(&abs, &walk) {
        let path = entry.map_err(|e| fail(display.clone(), e.to_string()))?;
        let shown = crate::source::display_path(&path, cwd);
        out.push((path, shown));
    }
    Ok(out)
}

pub(crate) fn read_text(abs: &Path, display: &str) -> Result<String, Diagnostic> {
    let text = std::fs::read_to_string(abs).map_err(|e| {
        Diagnostic::new(Code::PolicyLoad, format!("cannot read: {e}")).file(display.to_string())
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(&text).to_string())
}

/// Parses YAML (or JSON) text into plain values with the line each document starts on.
pub(crate) fn yaml_documents(
    display: &str,
    text: &str,
) -> Result<Vec<crate::source::yaml::RawDoc>, Diagnostic> {
    let (docs, errors) = crate::source::yaml::parse_all(text);
    if let Some(e) = errors.first() {
        return Err(
            Diagnostic::new(Code::PolicyLoad, format!("invalid YAML: {}", e.message))
                .file(display)
                .line(e.line_number())
                .column(e.column_number()),
        );
    }
    Ok(docs)
}

/// `--data`: YAML/JSON files merged under `data`. A file given directly is merged at the
/// root; files found in a directory are merged at the path of their directory relative to
/// it (as OPA and conftest do: `dir/limits/x.yaml` → `data.limits`).
pub(crate) fn load_data(paths: &[PathBuf], cwd: &Path) -> Result<serde_json::Value, Diagnostic> {
    fn keep(p: &Path) -> bool {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json")
    }
    let mut data = serde_json::Map::new();
    let mut seen = BTreeSet::new();
    for p in paths {
        let root = crate::source::normalize(&cwd.join(p));
        for (abs, display) in walk(p, cwd, keep)? {
            if !seen.insert(abs.clone()) {
                continue;
            }
            let text = read_text(&abs, &display)?;
            let prefix: Vec<String> = abs
                .parent()
                .and_then(|d| d.strip_prefix(&root).ok())
                .map(|rel| {
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            for doc in yaml_documents(&display, &text)? {
                let value = doc.root.to_json();
                if value.is_null() {
                    continue;
                }
                if !value.is_object() {
                    return Err(Diagnostic::new(
                        Code::PolicyLoad,
                        "a data file must hold a mapping at the top level".to_string(),
                    )
                    .file(display.clone())
                    .line(Some(doc.start_line.max(1))));
                }
                let mut wrapped = value;
                for key in prefix.iter().rev() {
                    let mut m = serde_json::Map::new();
                    m.insert(key.clone(), wrapped);
                    wrapped = serde_json::Value::Object(m);
                }
                merge(&mut data, wrapped, &mut Vec::new()).map_err(|key| {
                    Diagnostic::new(
                        Code::PolicyLoad,
                        format!("data.{key} is already defined by another data file"),
                    )
                    .file(display.clone())
                    .line(Some(doc.start_line.max(1)))
                })?;
            }
        }
    }
    Ok(serde_json::Value::Object(data))
}

/// Deep-merges `from` into `into`; a key holding two different non-object values is a
/// conflict (returned as its dotted path).
fn merge(
    into: &mut serde_json::Map<String, serde_json::Value>,
    from: serde_json::Value,
    at: &mut Vec<String>,
) -> Result<(), String> {
    let serde_json::Value::Object(from) = from else {
        return Err(at.join("."));
    };
    for (k, v) in from {
        at.push(k.clone());
        match into.get_mut(&k) {
            None => {
                into.insert(k, v);
            }
            Some(serde_json::Value::Object(existing)) if v.is_object() => {
                merge(existing, v, at)?;
            }
            Some(existing) if *existing == v => {}
            Some(_) => return Err(at.join(".")),
        }
        at.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_merges_and_refuses_conflicts() {
        let mut m = serde_json::Map::new();
        assert!(merge(&mut m, serde_json::json!({"a": {"x": 1}}), &mut Vec::new()).is_ok());
        assert!(merge(&mut m, serde_json::json!({"a": {"y": 2}}), &mut Vec::new()).is_ok());
        assert_eq!(
            merge(&mut m, serde_json::json!({"a": {"x": 3}}), &mut Vec::new()),
            Err("a.x".to_string())
        );
    }
}
