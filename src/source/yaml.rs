//! YAML/JSON text → marked trees, one per YAML document.
//!
//! Built on saphyr-parser's event stream rather than a recursive loader so that hostile input
//! stays bounded: nesting depth, alias expansion (billion laughs) and duplicate keys are
//! checked while the tree is built, with an explicit stack instead of recursion.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan};
use serde_json::Value;

use crate::diag::{Code, Diagnostic};
use crate::document::{Entry, Node, NodeKind, Pos, Span};

/// Deepest nesting accepted; Kubernetes objects (CRD schemas included) stay far below it.
pub const MAX_DEPTH: usize = 512;
/// Nodes an alias may add to one file before it is treated as an alias bomb.
const MAX_ALIAS_NODES: usize = 1_000_000;

/// A parsed YAML document: its root and the line where it starts (`---` or first node).
#[derive(Debug)]
pub struct RawDoc {
    pub root: Node,
    pub start_line: u32,
}

fn pos(m: saphyr_parser::Marker) -> Pos {
    Pos {
        line: m.line() as u32,
        column: m.col() as u32 + 1,
    }
}

fn span(s: YSpan) -> Span {
    Span {
        start: pos(s.start),
        end: pos(s.end),
    }
}

enum Frame {
    Seq {
        start: Span,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Span,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Span)>,
    },
}

/// Parses every document in `text`. Documents completed before a syntax error are returned
/// along with it, so a bad document late in a file does not hide the good ones before it; a
/// duplicate key drops only the document it is in (the error is the first of `errors`).
pub fn parse(text: &str) -> (Vec<RawDoc>, Option<Diagnostic>) {
    let (docs, mut errors) = parse_all(text);
    let first = if errors.is_empty() {
        None
    } else {
        Some(errors.remove(0))
    };
    (docs, first)
}

/// Like [`parse`], returning every error (one per dropped document, plus a final syntax error).
pub fn parse_all(text: &str) -> (Vec<RawDoc>, Vec<Diagnostic>) {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let mut b = Builder::default();
    for ev in Parser::new_from_str(text) {
        let (event, sp) = match ev {
            Ok(e) => e,
            Err(e) => {
                let m = e.marker();
                errors.push(
                    Diagnostic::new(Code::Syntax, e.info().to_string())
                        .line(m.line() as u32)
                        .column(m.col() as u32 + 1),
                );
                return (docs, errors);
            }
        };
        match b.event(event, sp) {
            Ok(Some(Ok(doc))) => docs.push(doc),
            Ok(Some(Err(bad))) => errors.push(bad),
            Ok(None) => {}
            Err(e) => {
                errors.push(e);
                return (docs, errors);
            }
        }
    }
    (docs, errors)
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    doc_start: u32,
    root: Option<Node>,
    /// A problem that spoils the current document but not the rest of the stream.
    doc_error: Option<Diagnostic>,
}

fn err(at: Span, message: impl Into<String>) -> Diagnostic {
    err_code(at, Code::Syntax, message)
}

fn err_code(at: Span, code: Code, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(code, message)
        .line(at.start.line)
        .column(at.start.column)
}

fn count_nodes(n: &Node) -> usize {
    match &n.kind {
        NodeKind::Scalar(_) => 1,
        NodeKind::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeKind::Map(entries) => 1 + entries.iter().map(|e| count_nodes(&e.value)).sum::<usize>(),
    }
}

impl Builder {
    #[allow(clippy::type_complexity)]
    fn event(
        &mut self,
        event: Event<'_>,
        sp: YSpan,
    ) -> Result<Option<Result<RawDoc, Diagnostic>>, Diagnostic> {
        let sp = span(sp);
        match event {
            Event::DocumentStart(_) => {
                self.doc_start = sp.start.line;
                self.anchors.clear();
                self.root = None;
                self.doc_error = None;
            }
            Event::DocumentEnd => {
                if let Some(e) = self.doc_error.take() {
                    self.root = None;
                    return Ok(Some(Err(e)));
                }
                if let Some(root) = self.root.take() {
                    let start_line = self.doc_start.max(1);
                    return Ok(Some(Ok(RawDoc { root, start_line })));
                }
            }
            Event::Scalar(v, style, anchor, tag) => {
                let tag = tag.map(|t| t.suffix.clone());
                let value = resolve_scalar(&v, style, tag.as_deref());
                let node = Node {
                    span: sp,
                    kind: NodeKind::Scalar(value),
                };
                self.finish(node, anchor)?;
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    return Err(err(sp, "alias refers to an unknown anchor"));
                };
                self.alias_nodes += size;
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(err(
                        sp,
                        "YAML aliases expand to more than 1,000,000 nodes (alias bomb?)",
                    ));
                }
                let node = node.clone();
                self.finish(node, 0)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth(sp)?;
                self.stack.push(Frame::Seq {
                    start: sp,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(sp)?;
                self.stack.push(Frame::Map {
                    start: sp,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    start,
                    anchor,
                    items,
                }) = self.stack.pop()
                {
                    let end = items.last().map_or(sp.end, |n| n.span.end);
                    let node = Node {
                        span: Span {
                            start: start.start,
                            end,
                        },
                        kind: NodeKind::Seq(items),
                    };
                    self.finish(node, anchor)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    start,
                    anchor,
                    entries,
                    ..
                }) = self.stack.pop()
                {
                    let entries = apply_merge_keys(entries);
                    let end = entries.last().map_or(sp.end, |e| e.value.span.end);
                    let node = Node {
                        span: Span {
                            start: start.start,
                            end,
                        },
                        kind: NodeKind::Map(entries),
                    };
                    self.finish(node, anchor)?;
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(None)
    }

    fn check_depth(&self, sp: Span) -> Result<(), Diagnostic> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(err(
                sp,
                format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
            ));
        }
        Ok(())
    }

    /// Attaches a completed node to its parent (or makes it the document root).
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), Diagnostic> {
        if anchor > 0 {
            let size = count_nodes(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    let k = match &node.kind {
                        NodeKind::Scalar(Value::String(s)) => s.clone(),
                        NodeKind::Scalar(Value::Null) => "null".to_string(),
                        NodeKind::Scalar(v) => v.to_string(),
                        _ => return Err(err(node.span, "complex mapping keys are not supported")),
                    };
                    if let Some(first) = entries.iter().find(|e| e.key == k)
                        && k != "<<"
                        && self.doc_error.is_none()
                    {
                        self.doc_error = Some(err_code(
                            node.span,
                            Code::DuplicateKey,
                            format!(
                                "duplicate key \"{k}\" (first defined at line {}); document skipped",
                                first.key_span.start.line
                            ),
                        ));
                    }
                    *key = Some((k, node.span));
                }
                Some((k, key_span)) => entries.push(Entry {
                    key: k,
                    key_span,
                    value: node,
                }),
            },
        }
        Ok(())
    }
}

/// YAML merge keys (`<<: *base`), as Kubernetes' YAML decoder supports them: keys of the
/// merged mapping(s) are added unless the mapping defines them itself.
fn apply_merge_keys(entries: Vec<Entry>) -> Vec<Entry> {
    if !entries.iter().any(|e| e.key == "<<") {
        return entries;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| e.key == "<<");
    for m in merges {
        let sources = match m.value.kind {
            NodeKind::Map(es) => vec![es],
            NodeKind::Seq(items) => items
                .into_iter()
                .filter_map(|n| match n.kind {
                    NodeKind::Map(es) => Some(es),
                    _ => None,
                })
                .collect(),
            NodeKind::Scalar(_) => Vec::new(),
        };
        for es in sources {
            for e in es {
                if !own.iter().any(|o| o.key == e.key) {
                    own.push(e);
                }
            }
        }
    }
    own
}

/// Resolves a scalar by the YAML 1.2 core schema (plain scalars only; quoted ones are strings).
fn resolve_scalar(v: &str, style: ScalarStyle, tag: Option<&str>) -> Value {
    match tag {
        Some("str") | Some("binary") => return Value::String(v.to_string()),
        Some("null") => return Value::Null,
        _ => {}
    }
    if style != ScalarStyle::Plain && tag.is_none() {
        return Value::String(v.to_string());
    }
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let first = v.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        if let Some(n) = parse_int(v) {
            return Value::from(n);
        }
        if let Some(n) = parse_float(v).and_then(serde_json::Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(v.to_string())
}

fn parse_int(v: &str) -> Option<i64> {
    let (neg, digits) = match v.as_bytes().first()? {
        b'-' => (true, &v[1..]),
        b'+' => (false, &v[1..]),
        _ => (false, v),
    };
    let n = if let Some(h) = digits.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = digits.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
        digits.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if neg { -n } else { n })
}

fn parse_float(v: &str) -> Option<f64> {
    let body = v.trim_start_matches(['-', '+']);
    let valid = !body.is_empty()
        && body
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+'))
        && body.bytes().any(|c| c.is_ascii_digit())
        && body.as_bytes()[0] != b'e';
    if valid { v.parse::<f64>().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let (mut docs, e) = parse(text);
        assert_eq!(e, None);
        docs.remove(0).root
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        let n = one("a: 1\nb: '1'\nc: true\nd: 1.5\ne: ~\nf: 0x1F\ng: 1.2.3\nh: yes\n");
        let v = n.to_json();
        assert_eq!(
            v,
            serde_json::json!({"a":1,"b":"1","c":true,"d":1.5,"e":null,"f":31,"g":"1.2.3","h":"yes"})
        );
    }

    #[test]
    fn value_spans_point_at_the_value() {
        let n = one("spec:\n  privileged: true\n");
        let spec = n.get("spec").map(|s| s.get("privileged").map(|p| p.span));
        let sp = spec.flatten().unwrap_or_default();
        assert_eq!((sp.start.line, sp.start.column), (2, 15));
        assert_eq!((sp.end.line, sp.end.column), (2, 19));
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_line() {
        let (_, e) = parse("a: 1\nb: 2\na: 3\n");
        let e = e.unwrap_or_else(|| Diagnostic::new(Code::Syntax, ""));
        assert_eq!(e.code, Code::DuplicateKey);
        assert_eq!(e.line_number(), Some(3));
        assert!(e.message.contains("duplicate key \"a\""));
    }

    #[test]
    fn merge_keys_are_applied() {
        let n = one("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n");
        assert_eq!(n.to_json()["other"], serde_json::json!({"y": 3, "x": 1}));
    }

    #[test]
    fn alias_bomb_is_stopped() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let (_, e) = parse(&s);
        assert!(e.is_some_and(|e| e.message.contains("alias bomb")));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        // Flow nesting is stopped by the scanner itself, block nesting by our depth limit.
        let s = "[".repeat(20_000) + &"]".repeat(20_000);
        let (_, e) = parse(&s);
        assert!(e.is_some_and(|e| e.message.contains("recursion limit")));
        let block: String = (0..2_000)
            .map(|i| format!("{}a:\n", "  ".repeat(i)))
            .collect();
        let (_, e) = parse(&block);
        assert!(e.is_some_and(|e| e.message.contains("nesting deeper than 512")));
    }
}
