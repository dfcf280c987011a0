//! YAML/JSON text → marked trees, one per YAML document, read the way Kubernetes reads them.
//!
//! Built on saphyr-parser's event stream rather than a recursive loader so that hostile input
//! stays bounded: nesting depth, alias expansion (billion laughs) and duplicate keys are
//! checked while the tree is built, with an explicit stack instead of recursion. saphyr
//! speaks YAML 1.2, Kubernetes (sigs.k8s.io/yaml → go-yaml v2) YAML 1.1; a gate that reads a
//! manifest differently from the cluster passes what it should block, so the YAML 1.1 parts
//! are layered on top: scalar resolution and key stringification (`resolve.rs`), line breaks
//! and control characters (`lines.rs`), null keys and go-yaml v2's merge-key order here.
//! Duplicate keys stay an error although kubectl keeps the last one: a manifest whose meaning
//! depends on which of two values wins is refused rather than guessed.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan, Tag};
use serde_json::Value;

use super::lines::{self, LineMap};
use super::repair;
use super::resolve::{self, Scalar, Style};
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
    /// Plain scalars that YAML 1.1 (Kubernetes) and YAML 1.2 read differently.
    pub ambiguous: Vec<Ambiguous>,
}

/// A plain scalar such as `yes` or `0777` whose meaning depends on the YAML version.
#[derive(Clone, Debug, PartialEq)]
pub struct Ambiguous {
    pub at: Pos,
    pub text: String,
    /// What Kubernetes reads (YAML 1.1).
    pub kubernetes: Value,
    /// What a YAML 1.2 reader (editors, linters, most libraries) reads.
    pub yaml12: Value,
    /// Whether the scalar is a mapping key.
    pub key: bool,
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

/// One step of a mapping under construction, in document order (merges interleave).
enum Item {
    Entry(Entry),
    Merge(Node),
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
        items: Vec<Item>,
        /// First line of every ordinary key, for duplicate detection in constant time.
        seen: HashMap<String, u32>,
        merges: bool,
        key: Option<Key>,
    },
}

enum Key {
    Name(String, Span),
    Merge,
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

/// The documents of `text` as the JSON values Kubernetes would see (empty documents are
/// `null`), or the first problem. For tools and tests that compare readings (see
/// `tests/kubectl_diff.rs`); a duplicate key is an error here too.
pub fn to_json_documents(text: &str) -> Result<Vec<Value>, Diagnostic> {
    let (docs, mut errors) = parse_all(text);
    if !errors.is_empty() {
        return Err(errors.remove(0));
    }
    Ok(docs.iter().map(|d| d.root.to_json()).collect())
}

/// [`parse_all`] within a time budget: a parse (repairs included) that takes longer than
/// `limit` stops with one error (`Code::UnsupportedInput`), as an evaluation stops at
/// `policy-timeout`.
pub fn parse_all_within(text: &str, limit: std::time::Duration) -> (Vec<RawDoc>, Vec<Diagnostic>) {
    let previous = DEADLINE.replace(std::time::Instant::now().checked_add(limit));
    let out = parse_all(text);
    DEADLINE.set(previous);
    out
}

thread_local! {
    /// When the parse on this thread must stop (`None`: no limit). A thread-local so the
    /// budget reaches the event loop through the repair passes without threading it through
    /// every signature.
    static DEADLINE: std::cell::Cell<Option<std::time::Instant>> =
        const { std::cell::Cell::new(None) };
}

/// Events between two looks at the clock.
const CLOCK_EVERY: usize = 4096;

/// Like [`parse`], returning every error (one per dropped document, plus a final syntax error).
pub fn parse_all(text: &str) -> (Vec<RawDoc>, Vec<Diagnostic>) {
    if let Err(e) = lines::check_characters(text).and_then(|()| lines::check_separators(text)) {
        return (Vec::new(), vec![e]);
    }
    let (docs, errors, map) = match lines::normalise_breaks(text) {
        None => repair::repaired_parse(text, LineMap::default(), parse_events),
        Some((norm, map)) => repair::repaired_parse(&norm, map, parse_events),
    };
    if map.is_identity() {
        return (docs, errors);
    }
    (
        docs.into_iter().map(|d| remap_doc(d, &map)).collect(),
        errors.into_iter().map(|e| remap_diag(e, &map)).collect(),
    )
}

fn parse_events(text: &str) -> (Vec<RawDoc>, Vec<Diagnostic>) {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let mut b = Builder::default();
    let deadline = DEADLINE.get();
    for (n, ev) in Parser::new_from_str(text).enumerate() {
        if n % CLOCK_EVERY == CLOCK_EVERY - 1
            && deadline.is_some_and(|d| std::time::Instant::now() > d)
        {
            errors.push(Diagnostic::new(
                Code::UnsupportedInput,
                "reading stopped at the load-timeout (raise it with --load-timeout); \
                 the file is not checked (whole file)",
            ));
            return (Vec::new(), errors);
        }
        let (event, sp) = match ev {
            Ok(e) => e,
            Err(e) => {
                let at = pos(*e.marker());
                errors.push(
                    Diagnostic::new(Code::Syntax, e.info().to_string())
                        .line(at.line)
                        .column(at.column),
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

fn remap_diag(d: Diagnostic, map: &LineMap) -> Diagnostic {
    match (d.line_number(), d.column_number()) {
        (Some(line), Some(column)) => {
            let at = map.map(Pos { line, column });
            d.line(at.line).column(at.column)
        }
        _ => d,
    }
}

fn remap_doc(mut doc: RawDoc, map: &LineMap) -> RawDoc {
    fn walk(n: &mut Node, map: &LineMap) {
        n.span = Span {
            start: map.map(n.span.start),
            end: map.map(n.span.end),
        };
        match &mut n.kind {
            NodeKind::Scalar(_) => {}
            NodeKind::Seq(items) => items.iter_mut().for_each(|i| walk(i, map)),
            NodeKind::Map(entries) => {
                for e in entries {
                    e.key_span = Span {
                        start: map.map(e.key_span.start),
                        end: map.map(e.key_span.end),
                    };
                    walk(&mut e.value, map);
                }
            }
        }
    }
    walk(&mut doc.root, map);
    doc.start_line = map
        .map(Pos {
            line: doc.start_line,
            column: 1,
        })
        .line;
    for a in &mut doc.ambiguous {
        a.at = map.map(a.at);
    }
    doc
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    doc_start: u32,
    root: Option<Node>,
    ambiguous: Vec<Ambiguous>,
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

/// The core-schema suffix of a tag (`Some(Some("int"))` for `!!int`), `Some(None)` for any
/// other tag, `None` without one.
fn core_tag(tag: Option<&Tag>) -> Option<Option<&str>> {
    tag.map(|t| t.is_yaml_core_schema().then_some(t.suffix.as_str()))
}

impl Builder {
    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

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
                self.ambiguous.clear();
            }
            Event::DocumentEnd => {
                let ambiguous = std::mem::take(&mut self.ambiguous);
                if let Some(e) = self.doc_error.take() {
                    self.root = None;
                    return Ok(Some(Err(e)));
                }
                if let Some(root) = self.root.take() {
                    let start_line = self.doc_start.max(1);
                    return Ok(Some(Ok(RawDoc {
                        root,
                        start_line,
                        ambiguous,
                    })));
                }
            }
            Event::Scalar(v, style, anchor, tag) => {
                let tag = core_tag(tag.as_deref());
                let style = if style == ScalarStyle::Plain {
                    Style::Plain
                } else {
                    Style::Quoted
                };
                let is_key = self.expecting_key();
                if is_key && anchor == 0 && style == Style::Plain && tag.is_none() && v == "<<" {
                    if let Some(Frame::Map { key, merges, .. }) = self.stack.last_mut() {
                        *key = Some(Key::Merge);
                        *merges = true;
                    }
                    return Ok(None);
                }
                let scalar = resolve::resolve(&v, style, tag).map_err(|m| err(sp, m))?;
                if style == Style::Plain && tag.is_none() {
                    self.note_ambiguity(&v, &scalar, sp.start, is_key);
                }
                let value = if is_key {
                    let k = scalar.to_key().ok_or_else(|| {
                        err(
                            sp,
                            "a mapping key is empty or null; Kubernetes cannot read it",
                        )
                    })?;
                    Value::String(k)
                } else {
                    scalar.to_json().map_err(|m| err(sp, m))?
                };
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
                    items: Vec::new(),
                    seen: HashMap::new(),
                    merges: false,
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
                    items,
                    merges,
                    ..
                }) = self.stack.pop()
                {
                    let entries = if merges {
                        apply_merge_keys(items)?
                    } else {
                        items
                            .into_iter()
                            .filter_map(|i| match i {
                                Item::Entry(e) => Some(e),
                                Item::Merge(_) => None,
                            })
                            .collect()
                    };
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

    fn note_ambiguity(&mut self, text: &str, scalar: &Scalar, at: Pos, key: bool) {
        let yaml12 = resolve::core_schema(text);
        let kubernetes = if key {
            scalar.to_key().map(Value::String)
        } else {
            scalar.to_json().ok()
        };
        let yaml12 = match (&yaml12, key) {
            (Value::String(_), _) | (_, false) => yaml12,
            (Value::Null, true) => Value::String("null".into()),
            (other, true) => Value::String(other.to_string()),
        };
        if let Some(kubernetes) = kubernetes
            && kubernetes != yaml12
        {
            self.ambiguous.push(Ambiguous {
                at,
                text: text.to_string(),
                kubernetes,
                yaml12,
                key,
            });
        }
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
            Some(Frame::Map {
                items, seen, key, ..
            }) => match key.take() {
                None => {
                    let k = match &node.kind {
                        NodeKind::Scalar(Value::String(s)) => s.clone(),
                        NodeKind::Scalar(Value::Null) => {
                            return Err(err(
                                node.span,
                                "a mapping key is empty or null; Kubernetes cannot read it",
                            ));
                        }
                        NodeKind::Scalar(v) => v.to_string(),
                        _ => return Err(err(node.span, "complex mapping keys are not supported")),
                    };
                    match seen.get(&k) {
                        Some(&first) if self.doc_error.is_none() => {
                            self.doc_error = Some(err_code(
                                node.span,
                                Code::DuplicateKey,
                                format!(
                                    "duplicate key \"{k}\" (first defined at line {first}); document skipped"
                                ),
                            ));
                        }
                        Some(_) => {}
                        None => {
                            seen.insert(k.clone(), node.span.start.line);
                        }
                    }
                    *key = Some(Key::Name(k, node.span));
                }
                Some(Key::Name(k, key_span)) => items.push(Item::Entry(Entry {
                    key: k,
                    key_span,
                    value: node,
                })),
                Some(Key::Merge) => items.push(Item::Merge(node)),
            },
        }
        Ok(())
    }
}

/// YAML merge keys (`<<: *base`) in go-yaml v2's order, which is kubectl's: entries are
/// applied in document order, each one overwriting an earlier key, so a merge overrides the
/// keys written before it and is overridden by those after it; in a list of merged mappings
/// the earlier ones win. A merge of anything but a mapping or a list of mappings is an error.
fn apply_merge_keys(items: Vec<Item>) -> Result<Vec<Entry>, Diagnostic> {
    let mut out: Vec<Entry> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut set = |e: Entry, out: &mut Vec<Entry>| match index.get(&e.key) {
        Some(&i) => out[i] = e,
        None => {
            index.insert(e.key.clone(), out.len());
            out.push(e);
        }
    };
    let bad = |n: &Node| {
        err(
            n.span,
            "map merge requires a mapping or a list of mappings as the value",
        )
    };
    for item in items {
        match item {
            Item::Entry(e) => set(e, &mut out),
            Item::Merge(n) => match n.kind {
                NodeKind::Map(es) => es.into_iter().for_each(|e| set(e, &mut out)),
                NodeKind::Seq(ref list) => {
                    if let Some(x) = list.iter().find(|x| !matches!(x.kind, NodeKind::Map(_))) {
                        return Err(bad(x));
                    }
                    let NodeKind::Seq(list) = n.kind else {
                        continue;
                    };
                    for m in list.into_iter().rev() {
                        if let NodeKind::Map(es) = m.kind {
                            es.into_iter().for_each(|e| set(e, &mut out));
                        }
                    }
                }
                NodeKind::Scalar(_) => return Err(bad(&n)),
            },
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
