//! The library's module structure: no import cycles and a declared layering.
//!
//! Every `.rs` file under `src/` except the binary (`main.rs`, `cli.rs`, `cmd/`) is read,
//! mapped to its module path (`src/a/b.rs` and `src/a/b/mod.rs` are `a::b`, `src/lib.rs` is
//! the root) and scanned for references to other modules of the crate: `crate::…` paths,
//! `use` trees (nested groups, `self`, renames), `super::…` and `self::…` paths, paths through
//! a child module, and paths through a module imported by name (`use crate::report;` then
//! `report::html::…`). Comments, string and character literals and `#[cfg(test)]` items are
//! blanked first, so that neither documentation nor test code counts.
//!
//! Two graphs are built from the references:
//!
//! - top level: `scan -> engine`; a reference from `a::b` to `a::c` is internal to `a`;
//! - second level: `engine::custom -> engine::conftest`; a reference to a module that
//!   contains the referencing one (`engine::custom -> engine`) is ignored.
//!
//! Both must be free of cycles, and the top-level graph must follow [`LAYERS`]. Limitation:
//! `super::` inside an inline (non-test) `mod … { }` block is resolved as if written in the
//! file's own module; the crate has no such blocks today.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The intended layering, lowest first: a top-level module may reference modules of its own
/// layer or of a lower one, never a higher one. The direction is the binary's commands
/// (`src/cmd`, above everything) → the commands' library modules → `scan`/`report` → the
/// engine and findings → `source` → documents and the ground floor. A new top-level module
/// fails [`top_level_modules_respect_the_declared_layers`] until it is placed here.
const LAYERS: &[&[&str]] = &[
    &[
        "k8s", "diag", "fsutil", "document", "catalog", "seal", "health",
    ],
    &["source"],
    &["finding", "baseline", "waiver", "engine"],
    &["gate", "scan"],
    &[
        "report",
        "compliance",
        "audit",
        "ruledocs",
        "cluster",
        "revision",
    ],
    &["deploy"],
    &["rollback", "monitor", "webhook", "backup"],
    &["generate", "validate", "bench", "settings"],
    &["orchestrate"],
];

/// Files of `src/` that make up the binary rather than the library.
const BINARY_FILES: &[&str] = &["main.rs", "cli.rs"];
const BINARY_DIRS: &[&str] = &["cmd"];

/// A module path: `["engine", "custom"]` for `engine::custom`, empty for the crate root.
type ModPath = Vec<String>;

/// One reference from a file to a module of the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    /// The referenced module (the longest known module prefix of the path).
    target: ModPath,
    /// 1-based line of the reference.
    line: usize,
    /// The path as written, e.g. `crate::finding::Finding` or `super::{a, b}` → `super::a`.
    text: String,
}

/// A source file of the library with the references it makes.
#[derive(Debug)]
struct SourceFile {
    /// Path relative to the repository root, e.g. `src/engine/custom.rs`.
    rel: String,
    module: ModPath,
    references: Vec<Reference>,
}

/// Where one edge of a graph comes from: the first reference found for it.
#[derive(Debug, Clone)]
struct Witness {
    file: String,
    line: usize,
    text: String,
}

/// A directed graph over module names, each edge with one witness reference.
#[derive(Debug, Default)]
struct Graph {
    nodes: BTreeSet<String>,
    edges: BTreeMap<String, BTreeMap<String, Witness>>,
}

impl Graph {
    fn add_node(&mut self, n: &str) {
        self.nodes.insert(n.to_string());
    }

    fn add_edge(&mut self, from: &str, to: &str, witness: Witness) {
        self.add_node(from);
        self.add_node(to);
        self.edges
            .entry(from.to_string())
            .or_default()
            .entry(to.to_string())
            .or_insert(witness);
    }

    fn successors(&self, n: &str) -> impl Iterator<Item = &String> {
        self.edges.get(n).into_iter().flat_map(|m| m.keys())
    }

    fn witness(&self, from: &str, to: &str) -> Option<&Witness> {
        self.edges.get(from).and_then(|m| m.get(to))
    }
}

// ---------------------------------------------------------------------------------------------
// Reading src/
// ---------------------------------------------------------------------------------------------

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every library `.rs` file under `src`, as paths relative to it, sorted.
fn library_files(src: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let Ok(rel) = path.strip_prefix(src) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if path.is_dir() {
                if !BINARY_DIRS.contains(&rel.as_str()) {
                    stack.push(path);
                }
            } else if rel.ends_with(".rs") && !BINARY_FILES.contains(&rel.as_str()) {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The module path of a file given relative to `src/`.
fn module_of(rel: &str) -> ModPath {
    let stem = rel.strip_suffix(".rs").unwrap_or(rel);
    if stem == "lib" {
        return Vec::new();
    }
    let mut parts: ModPath = stem.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The library's files with their references. Files declared as `#[cfg(test)] mod x;` (and
/// everything below them) are test code and left out.
fn read_library() -> std::io::Result<Vec<SourceFile>> {
    let src = repo_root().join("src");
    let mut texts: Vec<(String, ModPath, String)> = Vec::new();
    for rel in library_files(&src)? {
        let text = std::fs::read_to_string(src.join(&rel))?;
        let module = module_of(&rel);
        texts.push((rel, module, text));
    }
    let known: BTreeSet<ModPath> = texts.iter().map(|(_, m, _)| m.clone()).collect();
    let mut test_only: Vec<ModPath> = Vec::new();
    let mut cleaned = Vec::new();
    for (rel, module, text) in &texts {
        let clean = strip_test_items(&blank_comments_and_literals(text));
        for child in test_child_modules(&blank_comments_and_literals(text)) {
            let mut m = module.clone();
            m.push(child);
            test_only.push(m);
        }
        cleaned.push((rel, module, clean));
    }
    Ok(cleaned
        .into_iter()
        .filter(|(_, m, _)| !test_only.iter().any(|t| m.starts_with(t)))
        .map(|(rel, module, clean)| SourceFile {
            rel: format!("src/{rel}"),
            module: module.clone(),
            references: references_in(module, &clean, &known),
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Blanking comments, literals and test code
// ---------------------------------------------------------------------------------------------

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `text` with comments (line, block, nested block, doc) and string, raw string, byte string
/// and character literals replaced by spaces; newlines are kept, so lines do not move.
fn blank_comments_and_literals(text: &str) -> String {
    let s: Vec<char> = text.chars().collect();
    let mut out: Vec<char> = s.clone();
    let blank = |out: &mut Vec<char>, from: usize, to: usize| {
        for c in out.iter_mut().take(to.min(s.len())).skip(from) {
            if *c != '\n' {
                *c = ' ';
            }
        }
    };
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        let prev_ident = i > 0 && is_ident_char(s[i - 1]);
        if c == '/' && next == Some('/') {
            let end = s[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(s.len(), |p| i + p);
            blank(&mut out, i, end);
            i = end;
        } else if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            let mut j = i;
            while j < s.len() {
                if s[j] == '/' && s.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if s[j] == '*' && s.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if !prev_ident && (c == 'r' || (c == 'b' && next == Some('r'))) {
            // A raw string r"…", r#"…"#, br#"…"#; otherwise an identifier (r#type, rust).
            let start = if c == 'b' { i + 2 } else { i + 1 };
            let hashes = s[start..].iter().take_while(|&&c| c == '#').count();
            if s.get(start + hashes) == Some(&'"') {
                let body = start + hashes + 1;
                let mut j = body;
                let end = loop {
                    if j >= s.len() {
                        break s.len();
                    }
                    if s[j] == '"'
                        && s[j + 1..]
                            .iter()
                            .take(hashes)
                            .filter(|&&c| c == '#')
                            .count()
                            == hashes
                    {
                        break j + 1 + hashes;
                    }
                    j += 1;
                };
                blank(&mut out, i, end);
                i = end;
            } else {
                i += 1;
            }
        } else if c == '"' {
            let mut j = i + 1;
            while j < s.len() && s[j] != '"' {
                j += if s[j] == '\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(s.len());
            blank(&mut out, i, end);
            i = end;
        } else if c == '\'' {
            // A character literal ('a', '\n', '\u{1F600}', '"'), or else a lifetime ('a).
            if next == Some('\\') {
                // Skip the escaped character itself, so that '\'' ends at the right quote.
                let mut j = i + 3;
                while j < s.len() && s[j] != '\'' && s[j] != '\n' {
                    j += 1;
                }
                let end = (j + 1).min(s.len());
                blank(&mut out, i, end);
                i = end;
            } else if s.get(i + 2) == Some(&'\'') {
                blank(&mut out, i, i + 3);
                i += 3;
            } else {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out.into_iter().collect()
}

/// Byte offsets of every `#[cfg(test)]` attribute (whitespace inside allowed) in `clean`,
/// with the offset just after it.
fn cfg_test_attributes(clean: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(p) = clean[from..].find("#[") {
        let start = from + p;
        let Some(close) = clean[start..].find(']') else {
            break;
        };
        let end = start + close + 1;
        let squeezed: String = clean[start..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if squeezed == "#[cfg(test)]" {
            found.push((start, end));
        }
        from = start + 1;
    }
    found
}

/// Offset just after the item that starts at `from`: the `;` or the closing `}` at nesting
/// depth zero (an item with a body ends at its closing brace).
fn end_of_item(clean: &str, from: usize) -> usize {
    let mut depth = 0i64;
    for (k, c) in clean[from..].char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' => depth -= 1,
            '}' => {
                depth -= 1;
                if depth <= 0 {
                    return from + k + 1;
                }
            }
            ';' if depth == 0 => return from + k + 1,
            _ => {}
        }
    }
    clean.len()
}

/// `clean` with every `#[cfg(test)]` item (a `mod tests { … }`, a `mod tests;`, a test-only
/// `use` or function) blanked, lines kept.
fn strip_test_items(clean: &str) -> String {
    let ranges: Vec<(usize, usize)> = cfg_test_attributes(clean)
        .into_iter()
        .map(|(start, after)| (start, end_of_item(clean, after)))
        .collect();
    clean
        .char_indices()
        .map(|(k, c)| {
            let blanked = ranges.iter().any(|&(a, b)| k >= a && k < b);
            if blanked && c != '\n' { ' ' } else { c }
        })
        .collect()
}

/// Names of the child modules declared as `#[cfg(test)] mod name;` (their files are test code).
fn test_child_modules(clean: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (_, after) in cfg_test_attributes(clean) {
        let end = end_of_item(clean, after);
        let item = &clean[after..end];
        let tokens = tokenize(item);
        let words: Vec<&str> = tokens
            .iter()
            .filter_map(|t| match &t.kind {
                Tok::Ident(w) => Some(w.as_str()),
                _ => None,
            })
            .collect();
        if item.trim_end().ends_with(';')
            && let Some(pos) = words.iter().position(|w| *w == "mod")
            && let Some(name) = words.get(pos + 1)
        {
            names.push((*name).to_string());
        }
    }
    names
}

// ---------------------------------------------------------------------------------------------
// Tokens and references
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    kind: Tok,
    line: usize,
}

/// The identifiers, `::` and punctuation of already blanked source.
fn tokenize(clean: &str) -> Vec<Token> {
    let s: Vec<char> = clean.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == ':' && s.get(i + 1) == Some(&':') {
            tokens.push(Token {
                kind: Tok::PathSep,
                line,
            });
            i += 2;
        } else if is_ident_char(c) {
            let mut start = i;
            // A raw identifier r#type is the identifier `type`.
            if c == 'r'
                && s.get(i + 1) == Some(&'#')
                && s.get(i + 2).is_some_and(|&c| is_ident_char(c))
            {
                start = i + 2;
            }
            i = start;
            while i < s.len() && is_ident_char(s[i]) {
                i += 1;
            }
            tokens.push(Token {
                kind: Tok::Ident(s[start..i].iter().collect()),
                line,
            });
        } else {
            tokens.push(Token {
                kind: Tok::Punct(c),
                line,
            });
            i += 1;
        }
    }
    tokens
}

fn ident(tokens: &[Token], i: usize) -> Option<&str> {
    match tokens.get(i).map(|t| &t.kind) {
        Some(Tok::Ident(w)) => Some(w),
        _ => None,
    }
}

fn is_sep(tokens: &[Token], i: usize) -> bool {
    matches!(tokens.get(i).map(|t| &t.kind), Some(Tok::PathSep))
}

fn is_punct(tokens: &[Token], i: usize, c: char) -> bool {
    matches!(tokens.get(i).map(|t| &t.kind), Some(Tok::Punct(p)) if *p == c)
}

/// One leaf of a `use` tree: its full path, the name it binds (`None` for a glob) and line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct UseLeaf {
    path: Vec<String>,
    binds: Option<String>,
    line: usize,
}

/// Parses the use tree starting at `i` (after `use` or inside a group) with `prefix`, pushing
/// leaves; returns the index after the tree.
fn parse_use_tree(
    tokens: &[Token],
    mut i: usize,
    prefix: &[String],
    leaves: &mut Vec<UseLeaf>,
) -> usize {
    let mut path = prefix.to_vec();
    if is_sep(tokens, i) {
        // `use ::extern_crate` (or `{::x}`): an external path, kept so it resolves to nothing.
        path.push("::".to_string());
        i += 1;
    }
    loop {
        let line = tokens.get(i).map_or(0, |t| t.line);
        if is_punct(tokens, i, '{') {
            i += 1;
            while i < tokens.len() && !is_punct(tokens, i, '}') {
                i = parse_use_tree(tokens, i, &path, leaves);
                if is_punct(tokens, i, ',') {
                    i += 1;
                }
            }
            return i + 1;
        }
        if is_punct(tokens, i, '*') {
            leaves.push(UseLeaf {
                path,
                binds: None,
                line,
            });
            return i + 1;
        }
        let Some(word) = ident(tokens, i) else {
            return i;
        };
        i += 1;
        if word == "self" && path.len() == prefix.len() && !prefix.is_empty() && !is_sep(tokens, i)
        {
            // `{self}` / `{self as x}` in a group: the group's prefix itself.
            let binds = if ident(tokens, i) == Some("as") {
                i += 2;
                ident(tokens, i - 1).map(str::to_string)
            } else {
                prefix.last().cloned()
            };
            leaves.push(UseLeaf { path, binds, line });
            return i;
        }
        path.push(word.to_string());
        if is_sep(tokens, i) {
            i += 1;
            continue;
        }
        let binds = if ident(tokens, i) == Some("as") {
            i += 2;
            ident(tokens, i - 1).map(str::to_string)
        } else {
            Some(word.to_string())
        };
        leaves.push(UseLeaf { path, binds, line });
        return i;
    }
}

/// The `use` declarations of a file: their leaves and the token ranges they span.
fn use_declarations(tokens: &[Token]) -> (Vec<UseLeaf>, Vec<(usize, usize)>) {
    let mut leaves = Vec::new();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if ident(tokens, i) == Some("use") && !is_sep(tokens, i.wrapping_sub(1)) {
            let end = parse_use_tree(tokens, i + 1, &[], &mut leaves);
            spans.push((i, end));
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    (leaves, spans)
}

/// Resolves a path written in `module` to an absolute module-item path, or `None` when it is
/// external (another crate, std, a local name). `aliases` maps names bound by `use` to the
/// modules they import.
fn resolve(
    module: &[String],
    path: &[String],
    known: &BTreeSet<ModPath>,
    aliases: &BTreeMap<String, ModPath>,
) -> Option<ModPath> {
    let first = path.first()?;
    let mut base: ModPath;
    let mut rest = &path[1..];
    match first.as_str() {
        "crate" => base = Vec::new(),
        "self" => base = module.to_vec(),
        "super" => {
            base = module.to_vec();
            base.pop()?;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        "::" => return None,
        name => {
            let mut child = module.to_vec();
            child.push(name.to_string());
            if known.contains(&child) {
                base = child;
            } else if let Some(target) = aliases.get(name) {
                base = target.clone();
            } else {
                return None;
            }
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The longest prefix of `path` that is a module of the crate.
fn longest_module(path: &[String], known: &BTreeSet<ModPath>) -> ModPath {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| known.contains(p))
        .unwrap_or_default()
}

/// The references that blanked source `clean` of `module` makes to modules of the crate
/// (`known`). References to the crate root and to external crates are dropped.
fn references_in(module: &[String], clean: &str, known: &BTreeSet<ModPath>) -> Vec<Reference> {
    let tokens = tokenize(clean);
    let (leaves, spans) = use_declarations(&tokens);
    let empty = BTreeMap::new();
    // Names that `use` binds to modules of the crate (`use crate::report;`, `use super::x as y;`).
    let mut aliases: BTreeMap<String, ModPath> = BTreeMap::new();
    for leaf in &leaves {
        if let (Some(name), Some(abs)) = (&leaf.binds, resolve(module, &leaf.path, known, &empty))
            && known.contains(&abs)
        {
            aliases.insert(name.clone(), abs);
        }
    }
    let mut refs = Vec::new();
    let mut push = |path: &[String], line: usize| {
        if let Some(abs) = resolve(module, path, known, &aliases) {
            let target = longest_module(&abs, known);
            if !target.is_empty() {
                refs.push(Reference {
                    target,
                    line,
                    text: path.join("::"),
                });
            }
        }
    };
    for leaf in &leaves {
        push(&leaf.path, leaf.line);
    }
    let in_use = |i: usize| spans.iter().any(|&(a, b)| i >= a && i < b);
    let mut i = 0;
    while i < tokens.len() {
        let starts_path = ident(&tokens, i).is_some()
            && !is_sep(&tokens, i.wrapping_sub(1))
            && !is_punct(&tokens, i.wrapping_sub(1), '.')
            && is_sep(&tokens, i + 1)
            && ident(&tokens, i + 2).is_some();
        if !starts_path || in_use(i) {
            i += 1;
            continue;
        }
        let line = tokens[i].line;
        let mut path = Vec::new();
        let mut j = i;
        while let Some(w) = ident(&tokens, j) {
            path.push(w.to_string());
            if is_sep(&tokens, j + 1) && ident(&tokens, j + 2).is_some() {
                j += 2;
            } else {
                j += 1;
                break;
            }
        }
        push(&path, line);
        i = j;
    }
    refs
}

// ---------------------------------------------------------------------------------------------
// Graphs, cycles, layers
// ---------------------------------------------------------------------------------------------

fn name(path: &[String]) -> String {
    path.join("::")
}

/// The top-level graph: `a -> c` for every reference from a file of `a` to `c` (`a != c`).
fn top_level_graph(files: &[SourceFile]) -> Graph {
    let mut g = Graph::default();
    for f in files {
        let Some(from) = f.module.first() else {
            continue;
        };
        g.add_node(from);
        for r in &f.references {
            let to = &r.target[0];
            if to != from {
                g.add_edge(from, to, witness(f, r));
            }
        }
    }
    g
}

/// The second-level graph: modules cut to two segments; a reference to the same node or to
/// a module that contains the referencing one (`a::b -> a`) is ignored.
fn second_level_graph(files: &[SourceFile]) -> Graph {
    let mut g = Graph::default();
    for f in files {
        if f.module.is_empty() {
            continue;
        }
        let from: ModPath = f.module.iter().take(2).cloned().collect();
        g.add_node(&name(&from));
        for r in &f.references {
            let to: ModPath = r.target.iter().take(2).cloned().collect();
            if to == from || from.starts_with(&to) {
                continue;
            }
            g.add_edge(&name(&from), &name(&to), witness(f, r));
        }
    }
    g
}

fn witness(f: &SourceFile, r: &Reference) -> Witness {
    Witness {
        file: f.rel.clone(),
        line: r.line,
        text: r.text.clone(),
    }
}

/// The strongly connected components of `g` (Tarjan), each sorted, in a stable order.
fn strongly_connected(g: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        g: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        on_stack: BTreeSet<&'g str>,
        stack: Vec<&'g str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(st: &mut State<'g>, v: &'g str) {
        st.index.insert(v, st.next);
        st.low.insert(v, st.next);
        st.next += 1;
        st.stack.push(v);
        st.on_stack.insert(v);
        for w in st.g.successors(v) {
            let w = w.as_str();
            if !st.index.contains_key(w) {
                visit(st, w);
                let lw = st.low[w];
                st.low.entry(v).and_modify(|lv| *lv = (*lv).min(lw));
            } else if st.on_stack.contains(w) {
                let iw = st.index[w];
                st.low.entry(v).and_modify(|lv| *lv = (*lv).min(iw));
            }
        }
        if st.low[v] == st.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = st.stack.pop() {
                st.on_stack.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            comp.sort();
            st.out.push(comp);
        }
    }
    let mut st = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        on_stack: BTreeSet::new(),
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in &g.nodes {
        if !st.index.contains_key(v.as_str()) {
            visit(&mut st, v);
        }
    }
    st.out.sort();
    st.out
}

/// Shortest path from `from` to `to` inside `within` (breadth first), both ends included.
fn shortest_path(g: &Graph, from: &str, to: &str, within: &BTreeSet<&str>) -> Option<Vec<String>> {
    let mut prev: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = VecDeque::from([from.to_string()]);
    let mut seen = BTreeSet::from([from.to_string()]);
    while let Some(v) = queue.pop_front() {
        if v == to {
            let mut path = vec![v.clone()];
            let mut cur = v;
            while let Some(p) = prev.get(&cur) {
                path.push(p.clone());
                cur = p.clone();
            }
            path.reverse();
            return Some(path);
        }
        for w in g.successors(&v) {
            if within.contains(w.as_str()) && seen.insert(w.clone()) {
                prev.insert(w.clone(), v.clone());
                queue.push_back(w.clone());
            }
        }
    }
    None
}

/// The cycles of `g`: for every edge inside a strongly connected component, the shortest
/// cycle through it, as `[a, b, a]`; rotations of one cycle are reported once. Every edge
/// that takes part in a cycle is therefore shown.
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    let mut found: Vec<Vec<String>> = Vec::new();
    let mut canonical: BTreeSet<Vec<String>> = BTreeSet::new();
    for comp in strongly_connected(g).into_iter().filter(|c| c.len() > 1) {
        let within: BTreeSet<&str> = comp.iter().map(String::as_str).collect();
        for u in &comp {
            for v in g.successors(u).filter(|v| within.contains(v.as_str())) {
                let Some(back) = shortest_path(g, v, u, &within) else {
                    continue;
                };
                let mut cycle = vec![u.clone()];
                cycle.extend(back);
                // Canonical form: the rotation starting at the smallest node.
                let ring = &cycle[..cycle.len() - 1];
                let min = (0..ring.len()).min_by_key(|&k| &ring[k]).unwrap_or(0);
                let mut rotated: Vec<String> =
                    ring[min..].iter().chain(&ring[..min]).cloned().collect();
                rotated.push(rotated[0].clone());
                if canonical.insert(rotated.clone()) {
                    found.push(rotated);
                }
            }
        }
    }
    found.sort();
    found
}

/// A cycle as `a -> b -> a` with the reference behind each edge.
fn describe_cycle(g: &Graph, cycle: &[String]) -> String {
    let mut s = format!("cycle: {}\n", cycle.join(" -> "));
    for pair in cycle.windows(2) {
        if let Some(w) = g.witness(&pair[0], &pair[1]) {
            let _ = writeln!(
                s,
                "    {} -> {}: {}:{} `{}`",
                pair[0], pair[1], w.file, w.line, w.text
            );
        }
    }
    s
}

/// The layer of each top-level module in `layers`.
fn layer_of(layers: &[&[&str]]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (k, layer) in layers.iter().enumerate() {
        for module in *layer {
            m.insert((*module).to_string(), k);
        }
    }
    m
}

/// What breaks the layering: modules that are not in the table, and edges that go up.
fn layer_problems(g: &Graph, layers: &[&[&str]]) -> Vec<String> {
    let layer = layer_of(layers);
    let mut problems = Vec::new();
    for n in &g.nodes {
        if !layer.contains_key(n) {
            problems.push(format!(
                "top-level module `{n}` is not in LAYERS (tests/architecture.rs): place it in a layer"
            ));
        }
    }
    for (from, tos) in &g.edges {
        for (to, w) in tos {
            if let (Some(&lf), Some(&lt)) = (layer.get(from), layer.get(to))
                && lt > lf
            {
                problems.push(format!(
                    "`{from}` (layer {lf}) references `{to}` (layer {lt}, higher): {}:{} `{}`",
                    w.file, w.line, w.text
                ));
            }
        }
    }
    problems
}

/// The cycles of `g` described for a maintainer, one block per cycle; empty when acyclic.
fn cycle_report(what: &str, g: &Graph) -> String {
    let found = cycles(g);
    if found.is_empty() {
        return String::new();
    }
    let blocks: String = found.iter().map(|c| describe_cycle(g, c)).collect();
    format!(
        "{} import cycle(s) between {what} modules:\n{blocks}",
        found.len()
    )
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

#[test]
fn modules_import_each_other_without_cycles() {
    let files = read_library().expect("read src/");
    let report = cycle_report("top-level", &top_level_graph(&files))
        + &cycle_report("second-level", &second_level_graph(&files));
    assert!(report.is_empty(), "{report}");
}

#[test]
fn top_level_modules_respect_the_declared_layers() {
    let files = read_library().expect("read src/");
    let problems = layer_problems(&top_level_graph(&files), LAYERS);
    assert!(
        problems.is_empty(),
        "{} layering problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_library_is_found_and_has_references() {
    // Guards the two checks above against passing on nothing (a moved src/, a broken reader).
    let files = read_library().expect("read src/");
    assert!(
        files.iter().any(|f| f.module.is_empty()),
        "src/lib.rs is read"
    );
    assert!(
        files
            .iter()
            .all(|f| !f.rel.starts_with("src/cmd/") && f.rel != "src/main.rs"),
        "the binary is left out"
    );
    let g = top_level_graph(&files);
    assert!(g.nodes.len() >= 5, "top-level modules: {:?}", g.nodes);
    assert!(
        g.edges.values().map(BTreeMap::len).sum::<usize>() >= 5,
        "top-level references: {:?}",
        g.edges
    );
    assert!(
        files.iter().all(|f| f.rel != "src/validate/k8s/tests.rs"),
        "test-only module files (`#[cfg(test)] mod tests;`) are left out"
    );
}

// ---------------------------------------------------------------------------------------------
// The checker's own tests
// ---------------------------------------------------------------------------------------------

fn known(mods: &[&str]) -> BTreeSet<ModPath> {
    mods.iter()
        .map(|m| {
            if m.is_empty() {
                Vec::new()
            } else {
                m.split("::").map(str::to_string).collect()
            }
        })
        .collect()
}

fn modp(m: &str) -> ModPath {
    m.split("::").map(str::to_string).collect()
}

/// (target, line) of every reference `src` makes from `module`, over a fixed set of modules.
fn refs_of(module: &str, src: &str) -> Vec<(String, usize)> {
    let known = known(&[
        "",
        "scan",
        "engine",
        "engine::custom",
        "engine::custom::files",
        "engine::conftest",
        "finding",
        "report",
        "report::html",
        "audit",
    ]);
    let clean = strip_test_items(&blank_comments_and_literals(src));
    references_in(&modp(module), &clean, &known)
        .into_iter()
        .map(|r| (name(&r.target), r.line))
        .collect()
}

fn targets(module: &str, src: &str) -> BTreeSet<String> {
    refs_of(module, src).into_iter().map(|(t, _)| t).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

#[test]
fn crate_paths_in_code_and_types_are_references_with_their_line() {
    let src = "fn f() -> crate::finding::Finding {\n    let x = 1;\n    crate::scan::run(x)\n}\n";
    assert_eq!(
        refs_of("report", src),
        vec![("finding".to_string(), 1), ("scan".to_string(), 3)]
    );
}

#[test]
fn a_crate_path_resolves_to_its_deepest_module() {
    let src =
        "use crate::engine::custom::files::load;\nfn f() { crate::engine::PolicySource::new(); }";
    assert_eq!(
        targets("scan", src),
        set(&["engine::custom::files", "engine"])
    );
}

#[test]
fn nested_use_groups_yield_every_leaf() {
    let src = "use crate::{\n    scan,\n    engine::{custom::{self, files::Files}, PolicySource as P},\n    finding::*,\n};\nuse std::collections::{BTreeMap, HashMap};\n";
    let refs = refs_of("report", src);
    let got: BTreeSet<String> = refs.iter().map(|(t, _)| t.clone()).collect();
    assert_eq!(
        got,
        set(&[
            "scan",
            "engine::custom",
            "engine::custom::files",
            "engine",
            "finding"
        ])
    );
    assert!(refs.contains(&("scan".to_string(), 2)), "{refs:?}");
    assert!(refs.contains(&("finding".to_string(), 4)), "{refs:?}");
}

#[test]
fn super_and_self_paths_resolve_against_the_files_module() {
    let src = "use super::conftest::Rule;\nuse super::super::scan;\nfn f() { super::custom::files::read(); self::files::x(); }";
    assert_eq!(
        targets("engine::custom", src),
        set(&["engine::conftest", "scan", "engine::custom::files"])
    );
}

#[test]
fn paths_through_an_imported_module_or_a_child_module_are_references() {
    let src = "use crate::report;\nuse self::custom as c;\nfn f() { report::html::render(); c::files::x(); custom::y(); }";
    assert_eq!(
        targets("engine", src),
        set(&[
            "report",
            "report::html",
            "engine::custom",
            "engine::custom::files"
        ])
    );
    // A path through a local item or another crate is not a module of this crate.
    assert!(
        targets(
            "scan",
            "fn f() { Vec::new(); std::fs::read(p); serde_json::to_string(x); }"
        )
        .is_empty()
    );
}

#[test]
fn comments_strings_and_char_literals_are_not_references() {
    let src = r####"
// crate::audit::x
/// use crate::audit;
/* outer /* nested crate::audit */ still comment crate::audit */
fn f<'a>(s: &'a str) -> char {
    let _ = "crate::audit::y \" crate::audit";
    let _ = r#"crate::audit "quoted" "#;
    let _ = b"crate::audit";
    let _ = '"';
    let _ = '\'';
    crate::finding::Finding::x(s)
}
"####;
    assert_eq!(refs_of("report", src), vec![("finding".to_string(), 11)]);
}

#[test]
fn cfg_test_modules_and_items_are_stripped() {
    let src = "use crate::scan;\n\n#[cfg(test)]\nmod tests {\n    use crate::audit;\n    fn t() { let v = [0u8; 2]; crate::report::x(); }\n}\n";
    assert_eq!(targets("finding", src), set(&["scan"]));
    let middle = "#[cfg( test )]\nuse crate::audit;\n#[cfg(test)]\nfn helper() { crate::audit::x(); }\nfn real() { crate::report::html::y(); }\n";
    assert_eq!(
        refs_of("finding", middle),
        vec![("report::html".to_string(), 5)]
    );
    let decl = "#[cfg(test)]\nmod tests;\nmod real;\n";
    assert_eq!(
        test_child_modules(&blank_comments_and_literals(decl)),
        vec!["tests"]
    );
}

#[test]
fn files_map_to_module_paths() {
    assert_eq!(module_of("lib.rs"), ModPath::new());
    assert_eq!(module_of("scan.rs"), modp("scan"));
    assert_eq!(module_of("engine/mod.rs"), modp("engine"));
    assert_eq!(
        module_of("engine/custom/files.rs"),
        modp("engine::custom::files")
    );
}

fn graph(edges: &[(&str, &str)]) -> Graph {
    let mut g = Graph::default();
    for (k, (a, b)) in edges.iter().enumerate() {
        g.add_edge(
            a,
            b,
            Witness {
                file: format!("src/{a}.rs"),
                line: k + 1,
                text: format!("crate::{b}"),
            },
        );
    }
    g
}

#[test]
fn cycles_are_found_once_each_with_the_reference_behind_every_edge() {
    let g = graph(&[
        ("a", "b"),
        ("b", "a"),
        ("b", "c"),
        ("c", "d"),
        ("d", "b"),
        ("e", "a"),
    ]);
    let found = cycles(&g);
    assert_eq!(
        found,
        vec![
            modp_list(&["a", "b", "a"]),
            modp_list(&["b", "c", "d", "b"])
        ]
    );
    let text = describe_cycle(&g, &found[0]);
    assert!(text.starts_with("cycle: a -> b -> a\n"), "{text}");
    assert!(text.contains("a -> b: src/a.rs:1 `crate::b`"), "{text}");
    assert!(text.contains("b -> a: src/b.rs:2 `crate::a`"), "{text}");
    assert!(cycles(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])).is_empty());
}

fn modp_list(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

#[test]
fn the_second_level_graph_ignores_references_to_enclosing_modules() {
    let files = vec![
        SourceFile {
            rel: "src/engine/custom.rs".into(),
            module: modp("engine::custom"),
            references: vec![
                Reference {
                    target: modp("engine"),
                    line: 1,
                    text: "super::X".into(),
                },
                Reference {
                    target: modp("engine::conftest"),
                    line: 2,
                    text: "super::conftest".into(),
                },
                Reference {
                    target: modp("engine::custom::files"),
                    line: 3,
                    text: "files::F".into(),
                },
            ],
        },
        SourceFile {
            rel: "src/engine/conftest.rs".into(),
            module: modp("engine::conftest"),
            references: vec![Reference {
                target: modp("engine::custom::files"),
                line: 4,
                text: "super::custom::files".into(),
            }],
        },
    ];
    let g = second_level_graph(&files);
    assert!(g.witness("engine::custom", "engine").is_none());
    assert_eq!(
        cycles(&g),
        vec![modp_list(&[
            "engine::conftest",
            "engine::custom",
            "engine::conftest"
        ])]
    );
    // Top level: everything is inside `engine`.
    assert!(top_level_graph(&files).edges.is_empty());
}

#[test]
fn layering_rejects_upward_references_and_unplaced_modules() {
    let layers: &[&[&str]] = &[&["document"], &["engine"], &["scan"]];
    assert!(
        layer_problems(
            &graph(&[("scan", "engine"), ("engine", "document")]),
            layers
        )
        .is_empty()
    );
    let problems = layer_problems(
        &graph(&[("engine", "scan"), ("newmod", "document")]),
        layers,
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`newmod` is not in LAYERS")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with(
            "`engine` (layer 1) references `scan` (layer 2, higher): src/engine.rs:1"
        )),
        "{problems:?}"
    );
}

#[test]
fn the_layer_table_names_each_module_once() {
    let mut seen = BTreeSet::new();
    for module in LAYERS.iter().flat_map(|l| l.iter()) {
        assert!(seen.insert(*module), "`{module}` is in LAYERS twice");
    }
}

/// The built-in policies reference the library by full path (`data.confgate.lib.k8s.name`),
/// never through an import alias: regorus' RVM compiles an alias reference `k8s.name` into
/// a lookup of the whole package `data.confgate.lib.k8s` (every rule of it evaluated and
/// assembled into an object) before indexing it, which made every scan about twice as slow.
/// `scripts/rewrite-policy-imports.py` rewrites a policy written with imports.
#[test]
fn built_in_policies_do_not_import_confgate_packages() -> std::io::Result<()> {
    let mut offenders = Vec::new();
    let mut stack = vec![repo_root().join("policies")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)?.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !name.ends_with(".rego") || name.ends_with("_test.rego") {
                continue;
            }
            let text = std::fs::read_to_string(&p)?;
            for (i, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("import data.confgate.") {
                    offenders.push(format!("{}:{}: {line}", p.display(), i + 1));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "use full data.confgate.… references (scripts/rewrite-policy-imports.py):\n{}",
        offenders.join("\n")
    );
    Ok(())
}
