//! The validator: walks a marked tree alongside the compiled schema of its kind.
//!
//! This file holds the walker's state, how it reports issues and how values are described in
//! messages (secrets never quoted); [`identity`] checks apiVersion, kind and metadata,
//! [`tree`] walks the body against the schema and [`values`] runs the curated field checks.

use serde_json::Value;

use super::schema::{Compiled, Ty};
use super::{IssueKind, IssueLevel, SchemaIssue, SchemaOutcome};
use crate::document::{FieldPath, Node, NodeKind, Seg};

mod identity;
mod tree;
mod values;

/// Longest excerpt of a value quoted in a message.
const MAX_QUOTE: usize = 40;
/// Kubernetes' limit on the total size of an object's annotations.
const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

pub(super) fn validate(c: &Compiled, tree: &Node, strict: bool) -> SchemaOutcome {
    let mut w = Walker {
        c,
        strict,
        path: Vec::new(),
        issues: Vec::new(),
    };
    let coverage = w.root(tree);
    let mut issues = w.issues;
    // Document order; ties keep the walk's order (a parent's issues before its children's).
    issues.sort_by_cached_key(|i| tree.locate(&i.path).span.start);
    SchemaOutcome { coverage, issues }
}

struct Walker<'a, 't> {
    c: &'a Compiled,
    strict: bool,
    /// Where the walk is; turned into a `FieldPath` only when an issue is reported.
    path: Vec<Step<'t>>,
    issues: Vec<SchemaIssue>,
}

#[derive(Clone, Copy)]
enum Step<'t> {
    Key(&'t str),
    Index(usize),
}

/// A short, one-line description of a value: `string "abc"`, `integer 3`, `object`; secrets
/// become `string value`.
fn describe(v: &Value, sensitive: bool) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(_) if sensitive => "boolean value".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => {
            let what = if n.is_f64() { "number" } else { "integer" };
            if sensitive {
                format!("{what} value")
            } else {
                format!("{what} {n}")
            }
        }
        Value::String(_) if sensitive => "string value".to_string(),
        Value::String(s) => format!("string {}", quote(s)),
        Value::Array(_) => "array".to_string(),
        Value::Object(_) => "object".to_string(),
    }
}

fn describe_node(n: &Node, sensitive: bool) -> String {
    match &n.kind {
        NodeKind::Scalar(v) => describe(v, sensitive),
        NodeKind::Seq(_) => "array".to_string(),
        NodeKind::Map(_) => "object".to_string(),
    }
}

/// A quoted excerpt of `s`, cut at `MAX_QUOTE` characters, escaped to stay on one line.
fn quote(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTE) {
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
        None => format!("{s:?}"),
    }
}

/// The integer in `v`, when it is one (floats with no fractional part count, as kubectl's
/// YAML-to-JSON conversion turns `2.0` into `2`). `None` for non-integers; `Some(None)` for
/// integers beyond i64.
fn as_integer(v: &Value) -> Option<Option<i64>> {
    let Value::Number(n) = v else { return None };
    if let Some(i) = n.as_i64() {
        return Some(Some(i));
    }
    if n.is_u64() {
        return Some(None);
    }
    let f = n.as_f64()?;
    if f.fract() != 0.0 || !f.is_finite() {
        return None;
    }
    if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        Some(Some(f as i64))
    } else {
        Some(None)
    }
}

fn type_matches(ty: Ty, n: &Node) -> bool {
    match (&n.kind, ty) {
        (_, Ty::Any) => true,
        (NodeKind::Map(_), Ty::Object) => true,
        (NodeKind::Seq(_), Ty::Array) => true,
        (NodeKind::Scalar(Value::String(_)), Ty::String) => true,
        (NodeKind::Scalar(Value::Bool(_)), Ty::Boolean) => true,
        (NodeKind::Scalar(Value::Number(_)), Ty::Number) => true,
        (NodeKind::Scalar(v), Ty::Integer) => as_integer(v).is_some(),
        _ => false,
    }
}

fn string_of(n: &Node) -> Option<&str> {
    match &n.kind {
        NodeKind::Scalar(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn one_of(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| if v.is_empty() { "\"\"" } else { v })
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'a, 't> Walker<'a, 't> {
    fn push(&mut self, extra: Option<Seg>, level: IssueLevel, kind: IssueKind, message: String) {
        let mut path: Vec<Seg> = self
            .path
            .iter()
            .map(|s| match *s {
                Step::Key(k) => Seg::Key(k.to_string()),
                Step::Index(i) => Seg::Index(i),
            })
            .collect();
        path.extend(extra);
        self.issues.push(SchemaIssue {
            path: FieldPath(path),
            message,
            level,
            kind,
        });
    }

    fn error(&mut self, message: String) {
        self.push(None, IssueLevel::Error, IssueKind::Value, message);
    }

    fn error_at(&mut self, seg: Seg, message: String) {
        self.push(Some(seg), IssueLevel::Error, IssueKind::Value, message);
    }

    /// A required field `seg` is absent.
    fn missing(&mut self, seg: Seg, message: String) {
        self.push(
            Some(seg),
            IssueLevel::Error,
            IssueKind::MissingField,
            message,
        );
    }
}
