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

/// Like [`parse`], returning every error (one per dropped document, plus a final syntax error).
pub fn parse_all(text: &str) -> (Vec<RawDoc>, Vec<Diagnostic>) {
    if let Err(e) = lines::check_characters(text).and_then(|()| lines::check_separators(text)) {
        return (Vec::new(), vec![e]);
    }
    let (docs, errors, map) = match lines::normalise_breaks(text) {
        None => repaired_parse(text, LineMap::default()),
        Some((norm, map)) => repaired_parse(&norm, map),
    };
    if map.is_identity() {
        return (docs, errors);
    }
    (
        docs.into_iter().map(|d| remap_doc(d, &map)).collect(),
        errors.into_iter().map(|e| remap_diag(e, &map)).collect(),
    )
}

/// How many times one file is repaired and parsed again (see [`repaired_parse`]).
const REPAIRS: usize = 64;

/// Parses `text`, working around two places where saphyr is stricter than go-yaml (and so
/// than kubectl): a tab as the separator after a mapping colon (`key:\tvalue`), and a
/// continuation line of a quoted scalar indented no more than its mapping (`a: "x` then
/// `y"` at column 1). In both, the characters involved are only white space to go-yaml, so
/// the text is repaired at the error (tab → space; the line indented) and parsed again, a
/// bounded number of times; the columns of an indented line are shifted back in `map`.
fn repaired_parse(text: &str, mut map: LineMap) -> (Vec<RawDoc>, Vec<Diagnostic>, LineMap) {
    let mut out = parse_events(text);
    let mut owned: Option<String> = None;
    for _ in 0..REPAIRS {
        let current = owned.as_deref().unwrap_or(text);
        let Some(last) = out.1.last() else { break };
        let fixed = if let Some(at) = tab_after_colon(current, last) {
            let mut fixed = current.to_string();
            fixed.replace_range(at..at + 1, " ");
            fixed
        } else if let Some((line, at, width)) = under_indented_quote(current, last) {
            let mut fixed = current.to_string();
            fixed.insert_str(at, &" ".repeat(width));
            map.shift(line, width as u32);
            fixed
        } else {
            break;
        };
        out = parse_events(&fixed);
        owned = Some(fixed);
    }
    (out.0, out.1, map)
}

/// Byte offset where line `line` (1-based) of `text` starts.
fn line_start(text: &str, line: usize) -> Option<usize> {
    if line <= 1 {
        return Some(0);
    }
    Some(text.match_indices('\n').nth(line - 2)?.0 + 1)
}

/// Byte offset of the character at 1-based `line` and `column` (in characters).
fn offset_of(text: &str, line: u32, column: u32) -> Option<usize> {
    let start = line_start(text, line as usize)?;
    let within: usize = text[start..]
        .chars()
        .take(column.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    Some(start + within)
}

/// The byte offset of the tab after a colon that saphyr stopped at, if that is the error.
fn tab_after_colon(text: &str, e: &Diagnostic) -> Option<usize> {
    if e.message != "':' must be followed by a valid YAML whitespace" {
        return None;
    }
    let at = offset_of(text, e.line_number()?, e.column_number()?)?;
    let line_begin = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let near = text.get(line_begin..(at + 2).min(text.len()))?;
    Some(line_begin + near.rfind(":\t")? + 1)
}

/// For saphyr's "invalid indentation in quoted scalar" (reported at the opening quote): the
/// first continuation line inside the quotes that is indented no more than the quote's line,
/// where to insert spaces in it and how many.
fn under_indented_quote(text: &str, e: &Diagnostic) -> Option<(u32, usize, usize)> {
    if e.message != "invalid indentation in quoted scalar" {
        return None;
    }
    let first_line = e.line_number()?;
    let at = offset_of(text, first_line, e.column_number()?)?;
    let quote = text[at..].chars().next()?;
    let indent = |from: usize| text[from..].len() - text[from..].trim_start_matches(' ').len();
    let base = indent(text[..at].rfind('\n').map_or(0, |i| i + 1));
    let mut line = first_line;
    let mut chars = text[at + 1..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            '\'' if quote == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                chars.next();
            }
            c if c == quote => return None,
            '\n' => {
                line += 1;
                let start = at + 1 + i + 1;
                let rest = &text[start..];
                let blank = rest.lines().next().is_none_or(|l| l.trim().is_empty());
                if !blank && indent(start) <= base {
                    return Some((line, start, base + 1 - indent(start)));
                }
            }
            _ => {}
        }
    }
    None
}

fn parse_events(text: &str) -> (Vec<RawDoc>, Vec<Diagnostic>) {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let mut b = Builder::default();
    for ev in Parser::new_from_str(text) {
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
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let (mut docs, e) = parse(text);
        assert_eq!(e, None);
        docs.remove(0).root
    }

    #[test]
    fn scalars_resolve_as_kubernetes_yaml_1_1_does() {
        let n = one("a: 1\nb: '1'\nc: true\nd: 1.5\ne: ~\nf: 0x1F\ng: 1.2.3\nh: yes\ni: \"no\"\n");
        let v = n.to_json();
        assert_eq!(
            v,
            serde_json::json!({"a":1,"b":"1","c":true,"d":1.5,"e":null,"f":31,"g":"1.2.3","h":true,"i":"no"})
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
        let n = one("base: &b {p: 1, q: 2}\nother:\n  <<: *b\n  q: 3\n");
        assert_eq!(n.to_json()["other"], serde_json::json!({"q": 3, "p": 1}));
    }

    #[test]
    fn merge_keys_follow_go_yaml_v2_order() {
        // A merge overrides the keys before it; in a list of merges the first one wins.
        let n = one("a:\n  p: 1\n  <<: {p: 2, q: 2}\nb:\n  <<: [{p: 1}, {p: 2, q: 2}]\n  r: 3\n");
        assert_eq!(n.to_json()["a"], serde_json::json!({"p": 2, "q": 2}));
        assert_eq!(
            n.to_json()["b"],
            serde_json::json!({"p": 1, "q": 2, "r": 3})
        );
        let (_, e) = parse("a:\n  <<: 1\n");
        assert!(e.is_some_and(|e| e.message.contains("map merge requires")));
        // A quoted "<<" is an ordinary key.
        assert_eq!(
            one("\"<<\": {p: 1}\n").to_json(),
            serde_json::json!({"<<": {"p": 1}})
        );
    }

    #[test]
    fn non_string_keys_become_the_strings_kubectl_makes() {
        let n = one("y: 1\n0x1F: 2\n1e3: 3\n1.5: 4\nfalse: 5\n");
        assert_eq!(
            n.to_json(),
            serde_json::json!({"true": 1, "31": 2, "1000": 3, "1.5": 4, "false": 5})
        );
    }

    #[test]
    fn null_and_empty_keys_are_syntax_errors() {
        for text in ["a: 1\n~: 2\n", "a:\n  : 1\n", "? \n: 1\n", "null: 1\n"] {
            let (_, e) = parse(text);
            assert_eq!(e.map(|e| e.code), Some(Code::Syntax), "{text:?}");
        }
    }

    #[test]
    fn a_tab_in_indentation_is_a_syntax_error() {
        let (_, e) = parse("spec:\n\ta: 1\n");
        assert_eq!(
            e.map(|e| (e.code, e.line_number())),
            Some((Code::Syntax, Some(2)))
        );
        // A tab after the colon is only white space.
        assert_eq!(one("a:\tb\n").to_json(), serde_json::json!({"a": "b"}));
    }

    #[test]
    fn control_characters_are_syntax_errors_with_a_line() {
        let (docs, e) = parse("a: 1\nb: x\u{1}\n");
        assert!(docs.is_empty());
        assert_eq!(
            e.map(|e| (e.code, e.line_number())),
            Some((Code::Syntax, Some(2)))
        );
    }

    #[test]
    fn nel_and_line_separators_end_a_comment_like_in_kubectl() {
        let n = one("spec:\n  a: 1 # c\u{85}privileged: true\n");
        assert_eq!(
            n.to_json(),
            serde_json::json!({"spec": {"a": 1}, "privileged": true})
        );
        let n = one("spec:\n  a: 1 # c\u{2028}  b: 2\n");
        assert_eq!(n.to_json(), serde_json::json!({"spec": {"a": 1, "b": 2}}));
        // Positions are the editor's: `b`'s value is on line 2, after the comment and the
        // separator (10 columns, the separator, then `  b: `).
        let b = n.get("spec").and_then(|s| s.get("b")).map(|b| b.span.start);
        assert_eq!(
            b,
            Some(Pos {
                line: 2,
                column: 17
            })
        );
    }

    #[test]
    fn quoted_continuation_lines_at_column_one_are_read_like_kubectl() {
        let n = one("data:\n  a: \"x\ny\" # c\n  b: 'p\nq'\n");
        assert_eq!(
            n.to_json(),
            serde_json::json!({"data": {"a": "x y", "b": "p q"}})
        );
        let b = n.get("data").and_then(|d| d.get("b")).map(|b| b.span.start);
        assert_eq!(b, Some(Pos { line: 4, column: 6 }));
        // The repair does not hide a real error after it.
        let (_, e) = parse("data:\n  a: \"x\ny\"\n  b: [\n");
        assert_eq!(e.map(|e| e.code), Some(Code::Syntax));
    }

    #[test]
    fn infinity_is_a_syntax_error_because_json_cannot_hold_it() {
        let (_, e) = parse("a: .inf\n");
        assert_eq!(
            e.map(|e| (e.code, e.line_number())),
            Some((Code::Syntax, Some(1)))
        );
    }

    #[test]
    fn ambiguous_plain_scalars_are_recorded_with_their_position() {
        let (docs, _) = parse("a: yes\nb: \"yes\"\nc: 0777\nd: 1_000\ne: true\non: 1\n");
        let found: Vec<(u32, u32, &str)> = docs
            .iter()
            .flat_map(|d| &d.ambiguous)
            .map(|a| (a.at.line, a.at.column, a.text.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![(1, 4, "yes"), (3, 4, "0777"), (4, 4, "1_000"), (6, 1, "on")]
        );
    }

    #[test]
    fn two_hundred_thousand_keys_load_with_duplicates_still_found() {
        let mut text: String = (0..200_000).map(|i| format!("k{i}: {i}\n")).collect();
        let (docs, e) = parse(&text);
        assert_eq!(e, None);
        let n = docs.first().map(|d| d.root.to_json());
        assert_eq!(
            n.as_ref().map(|v| v["k199999"].clone()),
            Some(serde_json::json!(199999))
        );
        assert_eq!(
            n.and_then(|v| v.as_object().map(|o| o.len())),
            Some(200_000)
        );
        text.push_str("k7: 8\n");
        let (_, e) = parse(&text);
        assert_eq!(
            e.map(|e| (e.code, e.line_number())),
            Some((Code::DuplicateKey, Some(200_001)))
        );
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
