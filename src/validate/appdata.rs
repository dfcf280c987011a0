//! ConfigMap data checked against JSON Schemas.
//!
//! A schema applies to a ConfigMap key when
//! - the ConfigMap has the annotation `confgate.io/schema.<key>: PATH` (that key), or
//! - `confgate.toml` maps it (`[[validate.schemas]]` with globs on name, namespace and key), or
//! - the ConfigMap has the annotation `confgate.io/schema: PATH`, or a mapping without `key`
//!   matches it: then every key holding a JSON or YAML document (a `.json`/`.yaml`/`.yml`
//!   key, or a value starting with `{` or `[`) is checked.
//!
//! Besides the standard formats (checked: `date-time`, `duration`, `email`, `uri`, …), schemas
//! may use `go-duration` (`30s`, `1h30m`), `k8s-quantity` (`500m`, `1Gi`), `dns-1123-label`
//! and `dns-1123-subdomain`.
//!
//! Schema paths are relative to the directory of `confgate.toml` (else the current
//! directory). Positions inside block scalars (`|`) are mapped back to the file's lines and
//! columns; values in quoted scalars point at the value. Messages never contain the checked
//! values (the validator's masked messages are used).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use crate::diag::{Code, Diagnostic};
use crate::document::{Document, FieldPath, Node, NodeKind, Pos, Seg};

/// Which ConfigMap keys a JSON Schema applies to.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SchemaMapping {
    pub configmap: Option<String>,
    pub namespace: Option<String>,
    pub key: Option<String>,
    pub schema: String,
}

/// Annotation naming a schema for every structured key (or, with `.<key>`, for one key).
pub const SCHEMA_ANNOTATION: &str = "confgate.io/schema";

struct Mapping {
    configmap: Option<GlobMatcher>,
    namespace: Option<GlobMatcher>,
    key: Option<GlobMatcher>,
    schema: String,
}

/// A problem found in one ConfigMap's data.
#[derive(Clone, Debug)]
pub struct DataIssue {
    pub path: FieldPath,
    pub pos: Pos,
    pub message: String,
}

/// What checking one ConfigMap found.
#[derive(Debug, Default)]
pub struct DataOutcome {
    pub issues: Vec<DataIssue>,
    /// Keys checked against a schema.
    pub checked: usize,
    /// Schemas mapped in `confgate.toml` that cannot be used.
    pub schema_errors: Vec<Diagnostic>,
}

/// The JSON Schemas for ConfigMap data, compiled on first use and shared across threads.
pub struct AppSchemas {
    mappings: Vec<Mapping>,
    base_dir: PathBuf,
    cache: Mutex<HashMap<String, Arc<Result<jsonschema::Validator, Diagnostic>>>>,
}

fn glob(p: &Option<String>) -> Result<Option<GlobMatcher>, String> {
    p.as_deref()
        .map(|p| {
            Glob::new(p)
                .map(|g| g.compile_matcher())
                .map_err(|e| format!("[[validate.schemas]]: bad glob {p:?}: {e}"))
        })
        .transpose()
}

impl AppSchemas {
    pub fn new(mappings: &[SchemaMapping], base_dir: &Path) -> Result<AppSchemas, String> {
        let mappings = mappings
            .iter()
            .map(|m| {
                Ok(Mapping {
                    configmap: glob(&m.configmap)?,
                    namespace: glob(&m.namespace)?,
                    key: glob(&m.key)?,
                    schema: m.schema.clone(),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(AppSchemas {
            mappings,
            base_dir: base_dir.to_path_buf(),
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn validator(&self, schema: &str) -> Arc<Result<jsonschema::Validator, Diagnostic>> {
        if let Ok(cache) = self.cache.lock()
            && let Some(v) = cache.get(schema)
        {
            return v.clone();
        }
        let compiled = Arc::new(compile(&self.base_dir, schema));
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(schema.to_string(), compiled.clone());
        }
        compiled
    }

    /// Checks the data of one ConfigMap. A schema named by an annotation that cannot be used
    /// is an issue of the ConfigMap; one mapped in `confgate.toml` is a schema error.
    pub fn check(&self, doc: &Document) -> DataOutcome {
        let mut out = DataOutcome::default();
        if doc.resource.kind != "ConfigMap" || doc.resource.api_version != "v1" {
            return out;
        }
        let Some(NodeKind::Map(entries)) = doc.tree.get("data").map(|d| &d.kind) else {
            return out;
        };
        let annotations = doc.tree.get("metadata").and_then(|m| m.get("annotations"));
        let annotation = |name: &str| -> Option<String> {
            match &annotations?.get(name)?.kind {
                NodeKind::Scalar(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                    Some(s.trim().to_string())
                }
                _ => None,
            }
        };
        let name = doc.resource.name.as_str();
        let ns = doc.resource.namespace.as_deref().unwrap_or("default");
        let matching: Vec<&Mapping> = self
            .mappings
            .iter()
            .filter(|m| m.configmap.as_ref().is_none_or(|g| g.is_match(name)))
            .filter(|m| m.namespace.as_ref().is_none_or(|g| g.is_match(ns)))
            .collect();
        // The schema for every key holding a document, and the annotation that named it.
        let for_all_keys = annotation(SCHEMA_ANNOTATION)
            .map(|s| (s, Some(SCHEMA_ANNOTATION.to_string())))
            .or_else(|| {
                matching
                    .iter()
                    .find(|m| m.key.is_none())
                    .map(|m| (m.schema.clone(), None))
            });
        // The file's lines, split once and only when a key is checked.
        let mut lines: Option<Vec<&str>> = None;
        for entry in entries {
            let key = entry.key.as_str();
            let NodeKind::Scalar(serde_json::Value::String(text)) = &entry.value.kind else {
                continue;
            };
            // The schema and, when an annotation named it, that annotation.
            let per_key = format!("{SCHEMA_ANNOTATION}.{key}");
            let explicit = annotation(&per_key)
                .map(|s| (s, Some(per_key.clone())))
                .or_else(|| {
                    matching
                        .iter()
                        .find(|m| m.key.as_ref().is_some_and(|g| g.is_match(key)))
                        .map(|m| (m.schema.clone(), None))
                });
            let (schema, origin) = match explicit {
                Some(x) => x,
                None if holds_document(key, text) => match &for_all_keys {
                    Some(x) => x.clone(),
                    None => continue,
                },
                None => continue,
            };
            let validator = self.validator(&schema);
            let validator = match (validator.as_ref(), origin) {
                (Ok(v), _) => v,
                // A schema the ConfigMap names is part of the configuration under test.
                (Err(e), Some(annotation)) => {
                    let path = FieldPath(vec![
                        Seg::Key("metadata".into()),
                        Seg::Key("annotations".into()),
                        Seg::Key(annotation),
                    ]);
                    out.issues.push(DataIssue {
                        pos: doc.tree.locate(&path).span.start,
                        path,
                        message: format!("schema {e}"),
                    });
                    continue;
                }
                // One from confgate.toml is a problem of the settings.
                (Err(e), None) => {
                    if !out
                        .schema_errors
                        .iter()
                        .any(|x| x.file_name() == e.file_name())
                    {
                        out.schema_errors.push(e.clone());
                    }
                    continue;
                }
            };
            out.checked += 1;
            let outer = FieldPath(vec![Seg::Key("data".into()), Seg::Key(key.to_string())]);
            let lines = lines.get_or_insert_with(|| doc.file.text.lines().collect());
            let map = PosMap::new(lines, entry);
            let (docs, err) = crate::source::yaml::parse(text);
            if let Some(e) = err {
                out.issues.push(DataIssue {
                    path: outer.clone(),
                    pos: map.map(Pos {
                        line: e.line_number().unwrap_or(1),
                        column: e.column_number().unwrap_or(1),
                    }),
                    message: format!(
                        "{key} is not valid {}: {}",
                        if key.ends_with(".json") {
                            "JSON"
                        } else {
                            "JSON or YAML"
                        },
                        e.message
                    ),
                });
                continue;
            }
            let Some(inner) = docs.into_iter().next().map(|d| d.root) else {
                continue;
            };
            let instance = inner.to_json();
            for error in validator.iter_errors(&instance) {
                let segs = pointer_segments(&inner, error.instance_path().as_str());
                let at = inner.locate(&FieldPath(segs.clone()));
                let mut path = outer.clone();
                path.0.extend(segs);
                out.issues.push(DataIssue {
                    path,
                    pos: map.map(at.span.start),
                    message: format!("{key} does not match {schema}: {}", error.masked()),
                });
            }
        }
        out
    }
}

/// Does this data entry hold a JSON or YAML document (rather than a plain value)?
fn holds_document(key: &str, text: &str) -> bool {
    let k = key.to_ascii_lowercase();
    if k.ends_with(".json") || k.ends_with(".yaml") || k.ends_with(".yml") {
        return true;
    }
    let t = text.trim_start();
    t.starts_with('{') || t.starts_with('[')
}

fn compile(base_dir: &Path, schema: &str) -> Result<jsonschema::Validator, Diagnostic> {
    let path = crate::source::normalize(&base_dir.join(schema));
    let fail = |message: String| Diagnostic::new(Code::Schema, message).file(schema.to_string());
    let meta = std::fs::metadata(&path).map_err(|e| fail(format!("cannot read schema: {e}")))?;
    if meta.len() > 16 * 1024 * 1024 {
        return Err(fail("schema is larger than 16 MiB".into()));
    }
    let text =
        std::fs::read_to_string(&path).map_err(|e| fail(format!("cannot read schema: {e}")))?;
    let (docs, err) = crate::source::yaml::parse(&text);
    if let Some(e) = err {
        return Err(fail(format!(
            "line {}: schema is not valid JSON or YAML: {}",
            e.line_number().unwrap_or(1),
            e.message
        )));
    }
    let value = docs
        .into_iter()
        .next()
        .map(|d| d.root.to_json())
        .ok_or_else(|| fail("schema file is empty".into()))?;
    jsonschema::options()
        .should_validate_formats(true)
        .with_format("go-duration", is_go_duration)
        .with_format("k8s-quantity", super::k8s::syntax::is_quantity)
        .with_format("dns-1123-label", super::k8s::syntax::is_dns1123_label)
        .with_format(
            "dns-1123-subdomain",
            super::k8s::syntax::is_dns1123_subdomain,
        )
        .build(&value)
        .map_err(|e| fail(format!("not a valid JSON Schema: {}", e.masked())))
}

/// A Go duration as Kubernetes tools and most Go services read it: `30s`, `1h30m`, `250ms`,
/// `-1.5h`, `0` (units ns, us, µs, ms, s, m, h).
fn is_go_duration(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[num_len..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .filter(|u| rest.starts_with(*u))
            .max_by_key(|u| u.len());
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

/// JSON pointer → path segments, reading numbers as indexes only inside lists.
fn pointer_segments(root: &Node, pointer: &str) -> Vec<Seg> {
    let mut node = Some(root);
    let mut segs = Vec::new();
    for raw in pointer.split('/').skip(1) {
        let part = raw.replace("~1", "/").replace("~0", "~");
        let seg = match (node.map(|n| &n.kind), part.parse::<usize>()) {
            (Some(NodeKind::Seq(_)), Ok(i)) => Seg::Index(i),
            _ => Seg::Key(part),
        };
        node = node.and_then(|n| match (&n.kind, &seg) {
            (NodeKind::Map(es), Seg::Key(k)) => es.iter().find(|e| &e.key == k).map(|e| &e.value),
            (NodeKind::Seq(items), Seg::Index(i)) => items.get(*i),
            _ => None,
        });
        segs.push(seg);
    }
    segs
}

/// Maps positions inside an embedded document back to the file.
struct PosMap {
    /// Where the value starts (used when nothing better is known).
    value: Pos,
    /// For a block scalar (`key: |` or `key: >`): the key's line and the content's indent.
    block: Option<(u32, u32)>,
    /// For a one-line scalar written as is (plain, or quoted without escapes): the column
    /// of its first character.
    inline: Option<u32>,
}

impl PosMap {
    /// A block scalar has `|` or `>` right after its key; its content starts on the next line
    /// and its lines are the file's lines. A one-line value maps columns when its text in the
    /// file is the value itself (optionally between quotes).
    fn new(lines: &[&str], entry: &crate::document::Entry) -> PosMap {
        let key_end = entry.key_span.end;
        let line_chars = |line: u32| -> Vec<char> {
            lines
                .get(line.saturating_sub(1) as usize)
                .map(|l| l.chars().collect())
                .unwrap_or_default()
        };
        let rest: String = line_chars(key_end.line)
            .into_iter()
            .skip(key_end.column.saturating_sub(1) as usize)
            .collect();
        let rest = rest.trim_start().trim_start_matches(':').trim_start();
        let block = (rest.starts_with('|') || rest.starts_with('>'))
            .then(|| {
                lines
                    .iter()
                    .skip(key_end.line as usize)
                    .find(|l| !l.trim().is_empty())
                    .map(|l| {
                        (
                            key_end.line,
                            (l.len() - l.trim_start_matches(' ').len()) as u32,
                        )
                    })
            })
            .flatten();
        let span = entry.value.span;
        let inline = match (&entry.value.kind, block) {
            (NodeKind::Scalar(serde_json::Value::String(v)), None)
                if span.start.line == span.end.line && !v.contains('\n') =>
            {
                let raw: String = line_chars(span.start.line)
                    .into_iter()
                    .skip(span.start.column.saturating_sub(1) as usize)
                    .take(span.end.column.saturating_sub(span.start.column) as usize)
                    .collect();
                let quoted = |q: char| {
                    raw.len() >= 2
                        && raw.starts_with(q)
                        && raw.ends_with(q)
                        && raw[1..raw.len() - 1] == **v
                };
                if raw == *v {
                    Some(span.start.column)
                } else if quoted('\'') || quoted('"') {
                    Some(span.start.column + 1)
                } else {
                    None
                }
            }
            _ => None,
        };
        PosMap {
            value: span.start,
            block,
            inline,
        }
    }

    fn map(&self, inner: Pos) -> Pos {
        match (self.block, self.inline) {
            (Some((key_line, indent)), _) => Pos {
                line: key_line + inner.line.max(1),
                column: indent + inner.column.max(1),
            },
            (None, Some(first)) if inner.line <= 1 => Pos {
                line: self.value.line,
                column: first + inner.column.max(1) - 1,
            },
            _ => self.value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_go_duration;

    #[test]
    fn go_durations() {
        for ok in [
            "0",
            "30s",
            "1h30m",
            "250ms",
            "-1.5h",
            "2h45m10.5s",
            "10us",
            "3µs",
        ] {
            assert!(is_go_duration(ok), "{ok}");
        }
        for bad in ["", "30", "1d", "s", "1.2.3s", "1h 30m", "PT30S", "-"] {
            assert!(!is_go_duration(bad), "{bad}");
        }
    }
}
