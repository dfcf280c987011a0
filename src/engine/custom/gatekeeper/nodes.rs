//! Reading Kubernetes-style YAML nodes with positions, for one-line errors naming the line.

use crate::diag::{Code, Diagnostic};
use crate::document::{Entry, Node, NodeKind};

pub(super) fn bad(file: &str, line: u32, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::PolicyLoad, message.into())
        .file(file.to_string())
        .line(Some(line.max(1)))
}

pub(super) fn entry<'a>(n: &'a Node, key: &str) -> Option<&'a Entry> {
    match &n.kind {
        NodeKind::Map(entries) => entries.iter().find(|e| e.key == key),
        _ => None,
    }
}

pub(super) fn at<'a>(n: &'a Node, path: &[&str]) -> Option<&'a Node> {
    path.iter().try_fold(n, |n, k| n.get(k))
}

pub(super) fn text(n: &Node) -> Option<&str> {
    match &n.kind {
        NodeKind::Scalar(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}

/// A scalar as a string (label values may be written as numbers or booleans).
pub(super) fn scalar_string(n: &Node) -> Option<String> {
    match &n.kind {
        NodeKind::Scalar(serde_json::Value::String(s)) => Some(s.clone()),
        NodeKind::Scalar(serde_json::Value::Null) | NodeKind::Seq(_) | NodeKind::Map(_) => None,
        NodeKind::Scalar(v) => Some(v.to_string()),
    }
}

pub(super) fn line(n: &Node) -> u32 {
    n.span.start.line
}

/// The line of `key` in `n` (or of `n`).
pub(super) fn key_line(n: &Node, key: &str) -> u32 {
    entry(n, key).map_or_else(|| line(n), |e| e.key_span.start.line)
}

/// A list of strings at `key` (absent = empty).
pub(super) fn strings(file: &str, n: &Node, key: &str) -> Result<Vec<String>, Diagnostic> {
    let Some(e) = entry(n, key) else {
        return Ok(Vec::new());
    };
    match &e.value.kind {
        NodeKind::Seq(items) => items
            .iter()
            .map(|i| {
                scalar_string(i)
                    .ok_or_else(|| bad(file, line(i), format!("{key} must be a list of strings")))
            })
            .collect(),
        NodeKind::Scalar(serde_json::Value::Null) => Ok(Vec::new()),
        _ => Err(bad(
            file,
            e.key_span.start.line,
            format!("{key} must be a list of strings"),
        )),
    }
}
