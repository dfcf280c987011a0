//! Documents: one Kubernetes object each, with the position of every node.
//!
//! Policies see plain JSON; findings need line and column. A `Document` therefore carries
//! both the value handed to the engine and a marked tree (`Node`) from which any path can be
//! located after evaluation, so positions cost nothing until a finding asks for one.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// A 1-based line and column in the original text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// A range in the original text; `end` is exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

/// A node of the marked tree.
#[derive(Clone, Debug)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

#[derive(Clone, Debug)]
pub enum NodeKind {
    Scalar(serde_json::Value),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

/// One step of a path: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A field path such as `spec.containers[0].securityContext.privileged`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    /// Parses the dotted form; keys that hold dots or brackets use `["key"]`.
    pub fn parse(s: &str) -> Option<FieldPath> {
        let mut segs = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'.' => i += 1,
                b'[' => {
                    if b.get(i + 1) == Some(&b'"') {
                        let rest = &s[i + 2..];
                        let end = rest.find("\"]")?;
                        segs.push(Seg::Key(rest[..end].replace("\\\"", "\"")));
                        i += 2 + end + 2;
                    } else {
                        let rest = &s[i + 1..];
                        let end = rest.find(']')?;
                        let idx = rest[..end].trim().parse().ok()?;
                        segs.push(Seg::Index(idx));
                        i += 1 + end + 1;
                    }
                }
                _ => {
                    let rest = &s[i..];
                    let end = rest.find(['.', '[']).unwrap_or(rest.len());
                    segs.push(Seg::Key(rest[..end].to_string()));
                    i += end;
                }
            }
        }
        Some(FieldPath(segs))
    }

    /// Builds a path from a Rego array such as `["spec", "containers", 0]`.
    pub fn from_json_array(items: &[serde_json::Value]) -> Option<FieldPath> {
        items
            .iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Some(Seg::Key(s.clone())),
                serde_json::Value::Number(n) => n.as_u64().map(|n| Seg::Index(n as usize)),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(FieldPath)
    }
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'$')
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if is_plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Key(k) => write!(f, "[\"{}\"]", k.replace('"', "\\\""))?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Where a path points: the span and whether the path exists exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Located {
    pub span: Span,
    pub exact: bool,
}

impl Node {
    /// Finds the node at `path`. A scalar is pointed at by its value, a collection reached
    /// through a key by that key; a missing field by the key of its deepest existing parent.
    pub fn locate(&self, path: &FieldPath) -> Located {
        let mut node = self;
        let mut via_key: Option<Span> = None;
        for seg in &path.0 {
            let next = match (&node.kind, seg) {
                (NodeKind::Map(entries), Seg::Key(k)) => entries
                    .iter()
                    .find(|e| &e.key == k)
                    .map(|e| (&e.value, Some(e.key_span))),
                (NodeKind::Seq(items), Seg::Index(i)) => items.get(*i).map(|n| (n, None)),
                _ => None,
            };
            match next {
                Some((n, key)) => {
                    node = n;
                    via_key = key;
                }
                None => {
                    let span = via_key.unwrap_or_else(|| first_line(node.span));
                    return Located { span, exact: false };
                }
            }
        }
        let span = match (&node.kind, via_key) {
            (NodeKind::Scalar(_), _) => node.span,
            (_, Some(k)) => k,
            (_, None) => first_line(node.span),
        };
        Located { span, exact: true }
    }

    /// Returns the value at `path` when it exists and is a scalar.
    pub fn scalar_at(&self, path: &FieldPath) -> Option<&serde_json::Value> {
        let mut node = self;
        for seg in &path.0 {
            node = match (&node.kind, seg) {
                (NodeKind::Map(entries), Seg::Key(k)) => {
                    &entries.iter().find(|e| &e.key == k)?.value
                }
                (NodeKind::Seq(items), Seg::Index(i)) => items.get(*i)?,
                _ => return None,
            };
        }
        match &node.kind {
            NodeKind::Scalar(v) => Some(v),
            _ => None,
        }
    }

    /// Converts the marked tree into the plain value policies see.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.kind {
            NodeKind::Scalar(v) => v.clone(),
            NodeKind::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            NodeKind::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }
}

/// A multi-line span shrunk to its first line, so a frame shows the start of a block.
fn first_line(span: Span) -> Span {
    if span.end.line > span.start.line {
        Span {
            start: span.start,
            end: Pos {
                line: span.start.line,
                column: span.start.column + 1,
            },
        }
    } else {
        span
    }
}

/// A file that documents came from.
#[derive(Debug)]
pub struct SourceFile {
    /// Repo-relative, `/`-separated display path (`-` for stdin).
    pub path: String,
    pub text: String,
    /// A live object (from a cluster): `path` is its origin
    /// `cluster/<context>/<namespace>/<kind>/<name>`, not a file, and SARIF shows it as a
    /// logical location.
    pub live: bool,
}

/// Identity of a Kubernetes object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ResourceId {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// One Kubernetes object with its origin and positions. Cloning copies the tree (the
/// source text is shared).
#[derive(Clone, Debug)]
pub struct Document {
    pub file: Arc<SourceFile>,
    /// Index of the YAML document in its file.
    pub index: usize,
    /// For `kind: List` items, the index in `items`.
    pub item: Option<usize>,
    pub tree: Node,
    /// The template this document was rendered from (Helm `# Source:` or kustomize origin).
    pub source: Option<String>,
    pub resource: ResourceId,
}

impl Document {
    /// Builds a document from a marked root when it is a Kubernetes object
    /// (a mapping with string `apiVersion` and `kind`); `None` otherwise.
    pub fn from_tree(
        file: Arc<SourceFile>,
        index: usize,
        item: Option<usize>,
        tree: Node,
        helm_source: Option<String>,
    ) -> Option<Document> {
        let text = |n: Option<&Node>| match n.map(|n| &n.kind) {
            Some(NodeKind::Scalar(serde_json::Value::String(s))) if !s.is_empty() => {
                Some(s.clone())
            }
            _ => None,
        };
        let api_version = text(tree.get("apiVersion"))?;
        let kind = text(tree.get("kind"))?;
        let meta = tree.get("metadata");
        let str_at = |k: &str| text(meta.and_then(|m| m.get(k)));
        let name = str_at("name")
            .or_else(|| str_at("generateName"))
            .unwrap_or_default();
        let namespace = str_at("namespace");
        let source = helm_source.or_else(|| kustomize_origin(&tree));
        Some(Document {
            file,
            index,
            item,
            resource: ResourceId {
                api_version,
                kind,
                namespace,
                name,
            },
            tree,
            source,
        })
    }
}

/// The `path:` of kustomize's `config.kubernetes.io/origin` annotation.
fn kustomize_origin(tree: &Node) -> Option<String> {
    let origin = tree
        .get("metadata")?
        .get("annotations")?
        .get("config.kubernetes.io/origin")?;
    let NodeKind::Scalar(serde_json::Value::String(origin)) = &origin.kind else {
        return None;
    };
    origin.lines().find_map(|l| {
        l.trim()
            .strip_prefix("path:")
            .map(|p| p.trim().trim_matches(['"', '\'']).to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_round_trips_through_display() {
        let p = FieldPath::parse(
            "metadata.annotations[\"config.kubernetes.io/origin\"].x[3].securityContext",
        );
        let p = p.unwrap_or_default();
        assert_eq!(p.0.len(), 6);
        assert_eq!(
            p.to_string(),
            "metadata.annotations[\"config.kubernetes.io/origin\"].x[3].securityContext"
        );
    }
}
