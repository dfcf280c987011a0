//! Sources: paths and stdin → files → documents.
//!
//! Every problem with one input (unreadable, binary, too large, not UTF-8, malformed YAML,
//! a symlink loop) becomes a `Diagnostic` naming the file and, when known, the line; the
//! other inputs are still loaded. Nothing here panics on user input.

pub mod emit;
mod lines;
mod repair;
mod resolve;
mod walk;
pub mod yaml;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diag::{Code, Diagnostic};
use crate::document::{Document, NodeKind, SourceFile};

pub use walk::{Discovered, EntryFilter, WalkError, WalkOptions, discover, walk_files};

/// A Rego source file: its display path and text.
#[derive(Clone, Debug)]
pub struct PolicySource {
    pub path: String,
    pub text: String,
}

/// Options for finding and reading inputs.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub exclude: Vec<String>,
    pub max_file_size: u64,
    pub gitignore: bool,
    /// Name shown for stdin.
    pub stdin_name: String,
    /// Time parsing one file may take, like `policy-timeout` for one evaluation: a file
    /// that takes longer is an error of that file and the rest are still read.
    pub load_timeout: std::time::Duration,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            exclude: Vec::new(),
            max_file_size: 16 * 1024 * 1024,
            gitignore: true,
            stdin_name: "stdin".to_string(),
            load_timeout: std::time::Duration::from_secs(30),
        }
    }
}

/// One input to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    File { path: PathBuf, display: String },
    Stdin,
}

/// What loading one input produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub files: usize,
    pub documents: Vec<Document>,
    pub errors: Vec<Diagnostic>,
    /// YAML documents that were not Kubernetes objects.
    pub skipped: usize,
    /// Skipped documents that look like Kubernetes objects with a missing or empty
    /// `apiVersion` or `kind` (for `validate`, which reports them as schema problems). Those
    /// with a `kind` but no usable `apiVersion` are also in `errors` (`InvalidObject`): the
    /// API server refuses them, so a scan must not pass them silently.
    pub incomplete: Vec<Incomplete>,
    /// Plain scalars Kubernetes (YAML 1.1) reads differently from YAML 1.2 (`yes`, `0777`,
    /// `1_000`): warnings, logged as they are found and kept here for library callers.
    pub ambiguous: Vec<AmbiguousScalar>,
}

/// One ambiguous scalar: where it is and the warning shown for it.
#[derive(Clone, Debug, PartialEq)]
pub struct AmbiguousScalar {
    pub file: String,
    pub scalar: yaml::Ambiguous,
    pub message: String,
}

/// Loads all inputs in parallel; output order follows input order.
pub fn load_all(inputs: &[Input], opts: &LoadOptions) -> Loaded {
    // One file per task so a few huge files do not leave a core idle.
    let per_file: Vec<Loaded> = inputs
        .par_iter()
        .with_max_len(1)
        .map(|i| load_one(i, opts))
        .collect();
    let mut out = Loaded::default();
    for l in per_file {
        out.files += l.files;
        out.documents.extend(l.documents);
        out.errors.extend(l.errors);
        out.skipped += l.skipped;
        out.incomplete.extend(l.incomplete);
        out.ambiguous.extend(l.ambiguous);
    }
    out
}

fn read_input(input: &Input, opts: &LoadOptions) -> Result<(String, Vec<u8>), Diagnostic> {
    match input {
        Input::Stdin => {
            let mut buf = Vec::new();
            let name = opts.stdin_name.clone();
            std::io::stdin()
                .take(opts.max_file_size + 1)
                .read_to_end(&mut buf)
                .map_err(|e| {
                    Diagnostic::new(
                        Code::Unreadable,
                        format!("cannot read stdin: {e} (whole file)"),
                    )
                    .file(name.clone())
                })?;
            if buf.len() as u64 > opts.max_file_size {
                return Err(too_large(&name, None, opts.max_file_size));
            }
            Ok((name, buf))
        }
        Input::File { path, display } => {
            let fail = |message: String| {
                Diagnostic::new(Code::Unreadable, format!("{message} (whole file)"))
                    .file(display.clone())
            };
            let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read: {e}")))?;
            if meta.is_dir() {
                return Err(fail("is a directory".to_string()));
            }
            if meta.len() > opts.max_file_size {
                return Err(too_large(display, Some(meta.len()), opts.max_file_size));
            }
            let mut buf = Vec::new();
            std::fs::File::open(path)
                .and_then(|f| f.take(opts.max_file_size + 1).read_to_end(&mut buf))
                .map_err(|e| fail(format!("cannot read: {e}")))?;
            if buf.len() as u64 > opts.max_file_size {
                return Err(too_large(display, None, opts.max_file_size));
            }
            Ok((display.clone(), buf))
        }
    }
}

fn too_large(file: &str, size: Option<u64>, limit: u64) -> Diagnostic {
    let size = size.map_or_else(|| "more than the limit".to_string(), |s| human_size(s, 1));
    Diagnostic::new(
        Code::UnsupportedInput,
        format!(
            "file is {size}, above the {} limit; raise it with --max-file-size (whole file)",
            human_size(limit, 0)
        ),
    )
    .file(file.to_string())
}

/// Bytes in the largest unit that keeps them above one: MiB, KiB or bytes, so a limit
/// below 1 MiB does not read "0 MiB". Exact multiples print without decimals.
fn human_size(bytes: u64, decimals: usize) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    let (unit, name) = match bytes {
        b if b >= MIB => (MIB, "MiB"),
        b if b >= KIB => (KIB, "KiB"),
        b => return format!("{b} byte{}", if b == 1 { "" } else { "s" }),
    };
    if decimals == 0 && !bytes.is_multiple_of(unit) {
        format!("{:.1} {name}", bytes as f64 / unit as f64)
    } else {
        format!("{:.decimals$} {name}", bytes as f64 / unit as f64)
    }
}

/// Turns raw bytes into text, refusing binary and non-UTF-8 content. UTF-16 with a byte
/// order mark (what some Windows editors save) is decoded rather than called binary for
/// its NUL bytes; a malformed sequence in it is an error naming UTF-16.
fn decode(file: &str, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(&bytes)
        && encoding != encoding_rs::UTF_8
    {
        let (text, malformed) = encoding.decode_with_bom_removal(&bytes);
        if malformed {
            return Err(Diagnostic::new(
                Code::UnsupportedInput,
                format!(
                    "invalid {} (byte order mark present, malformed text after it) (whole file)",
                    encoding.name()
                ),
            )
            .file(file.to_string()));
        }
        return Ok(text.into_owned());
    }
    if bomless_utf16(&bytes) {
        return Err(Diagnostic::new(
            Code::UnsupportedInput,
            "UTF-16 without a byte order mark is not supported: save it as UTF-8 (whole file)"
                .to_string(),
        )
        .file(file.to_string()));
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(Diagnostic::new(
            Code::UnsupportedInput,
            "binary file (contains a NUL byte); not YAML or JSON".to_string(),
        )
        .file(file.to_string())
        .line(Some(line_of_byte(&bytes, at))));
    }
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..3);
            }
            Ok(s)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = line_of_byte(e.as_bytes(), at);
            Err(Diagnostic::new(
                Code::UnsupportedInput,
                format!("invalid UTF-8 at byte {at}; YAML and JSON must be UTF-8"),
            )
            .file(file.to_string())
            .line(Some(line)))
        }
    }
}

/// Looks like UTF-16 text saved without a byte order mark: in the first 512 bytes, at least
/// three code units in four are a printable ASCII character (or tab, CR, LF) paired with a
/// NUL byte, the NUL always on the same side (second for little-endian, first for
/// big-endian). Binary files rarely look like that; YAML in UTF-16 always does.
fn bomless_utf16(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    let units = head.len() / 2;
    if units < 2 {
        return false;
    }
    let text = |b: u8| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e);
    let (mut le, mut be) = (0, 0);
    for u in head.chunks_exact(2) {
        if u[1] == 0 && text(u[0]) {
            le += 1;
        }
        if u[0] == 0 && text(u[1]) {
            be += 1;
        }
    }
    le.max(be) * 4 >= units * 3
}

fn line_of_byte(bytes: &[u8], at: usize) -> u32 {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u32
        + 1
}

/// Reads and decodes one input: its display name and text.
pub fn read_text(input: &Input, opts: &LoadOptions) -> Result<(String, String), Diagnostic> {
    let (name, bytes) = read_input(input, opts)?;
    let text = decode(&name, bytes)?;
    Ok((name, text))
}

/// Loads one input into documents.
pub fn load_one(input: &Input, opts: &LoadOptions) -> Loaded {
    let mut out = Loaded {
        files: 1,
        ..Loaded::default()
    };
    match read_text(input, opts) {
        Ok((name, text)) => parse_text(&mut out, name, text, opts, false, true),
        Err(e) => out.errors.push(e),
    }
    out
}

/// Loads documents from text that did not come from a file: a live object rendered as YAML
/// (`live`: its `name` is an origin such as `cluster/<context>/<namespace>/<kind>/<name>`).
pub fn load_text(name: String, text: String, opts: &LoadOptions, live: bool) -> Loaded {
    let mut out = Loaded {
        files: 1,
        ..Loaded::default()
    };
    parse_text(&mut out, name, text, opts, live, true);
    out
}

/// [`load_text`] of a text already loaded once: the same documents, without logging its
/// warnings a second time (the evaluation pass of a streamed scan).
pub fn reload_text(name: String, text: String, opts: &LoadOptions, live: bool) -> Loaded {
    let mut out = Loaded {
        files: 1,
        ..Loaded::default()
    };
    parse_text(&mut out, name, text, opts, live, false);
    out
}

fn parse_text(
    out: &mut Loaded,
    name: String,
    text: String,
    opts: &LoadOptions,
    live: bool,
    warn: bool,
) {
    if text.trim().is_empty() {
        out.errors.push(
            Diagnostic::new(
                Code::UnsupportedInput,
                "file is empty; expected YAML or JSON documents (whole file)".to_string(),
            )
            .file(name),
        );
        return;
    }
    let (docs, errors) = yaml::parse_all_within(&text, opts.load_timeout);
    let helm_sources = helm_source_lines(&text);
    let file = Arc::new(SourceFile {
        path: name.clone(),
        text,
        live,
    });
    // A `# Source:` comment belongs to the document it precedes: the last one after the
    // previous document's end and not after this document's first node.
    let mut prev_end = 0;
    for (index, raw) in docs.into_iter().enumerate() {
        let helm = helm_sources
            .iter()
            .rev()
            .find(|(l, _)| *l > prev_end && *l <= raw.root.span.start.line)
            .map(|(_, s)| s.clone());
        prev_end = raw.root.span.end.line.max(raw.start_line);
        for a in &raw.ambiguous {
            let message = ambiguity_warning(a);
            if warn {
                tracing::warn!("{}:{}:{}: {}", name, a.at.line, a.at.column, message);
            }
            out.ambiguous.push(AmbiguousScalar {
                file: name.clone(),
                scalar: a.clone(),
                message,
            });
        }
        push_documents(out, &file, index, raw.root, helm);
    }
    for e in errors {
        out.errors.push(
            e.map_message(|m| format!("invalid YAML: {m}"))
                .file(name.clone()),
        );
    }
}

fn push_documents(
    out: &mut Loaded,
    file: &Arc<SourceFile>,
    index: usize,
    root: crate::document::Node,
    helm: Option<String>,
) {
    let is_list = root
        .get("kind")
        .is_some_and(|k| matches!(&k.kind, NodeKind::Scalar(serde_json::Value::String(s)) if s.ends_with("List")))
        && root
            .get("items")
            .is_some_and(|i| matches!(i.kind, NodeKind::Seq(_)));
    if is_list {
        if let Some(NodeKind::Seq(items)) = root.get("items").map(|i| &i.kind) {
            for (i, item) in items.iter().enumerate() {
                match Document::from_tree(file.clone(), index, Some(i), item.clone(), helm.clone())
                {
                    Some(d) => out.documents.push(d),
                    None => out.skipped += 1,
                }
            }
        }
        return;
    }
    if matches!(root.kind, NodeKind::Scalar(serde_json::Value::Null)) {
        return; // an empty document (`---` with nothing after it)
    }
    let incomplete = incomplete_object(&file.path, &root);
    match Document::from_tree(file.clone(), index, None, root, helm) {
        Some(d) => out.documents.push(d),
        None => {
            tracing::debug!(file = %file.path, index, "skipped: not a Kubernetes object");
            out.skipped += 1;
            if let Some(i) = &incomplete
                && i.field == "apiVersion"
                && i.has_kind
            {
                out.errors.push(i.diagnostic.clone());
            }
            out.incomplete.extend(incomplete);
        }
    }
}

/// The warning for one ambiguous scalar.
fn ambiguity_warning(a: &yaml::Ambiguous) -> String {
    let what = if a.key { "key" } else { "value" };
    format!(
        "ambiguous plain {what} `{}`: Kubernetes (YAML 1.1) reads {}, YAML 1.2 tools read {}; quote it or write the value you mean",
        a.text, a.kubernetes, a.yaml12
    )
}

/// A mapping with `kind` or `apiVersion` but not both as non-empty strings.
/// A document that looks like a Kubernetes object but lacks a usable `apiVersion` or
/// `kind`: which field, and the problem at its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incomplete {
    pub field: &'static str,
    /// Whether the document has a `kind` key (whatever its value).
    pub has_kind: bool,
    pub diagnostic: Diagnostic,
}

fn incomplete_object(file: &str, root: &crate::document::Node) -> Option<Incomplete> {
    let NodeKind::Map(entries) = &root.kind else {
        return None;
    };
    let field = |k: &str| entries.iter().find(|e| e.key == k);
    let good = |k: &str| {
        field(k).is_some_and(|e| {
            matches!(&e.value.kind, NodeKind::Scalar(serde_json::Value::String(s)) if !s.is_empty())
        })
    };
    if field("kind").is_none() && field("apiVersion").is_none() {
        return None;
    }
    let (bad, at) = if good("apiVersion") {
        ("kind", field("kind"))
    } else {
        ("apiVersion", field("apiVersion"))
    };
    let span = at.map_or(root.span, |e| e.value.span);
    let message = match at {
        Some(_) => format!("{bad} must be a non-empty string"),
        None => format!("{bad} is missing; a Kubernetes object needs apiVersion and kind"),
    };
    Some(Incomplete {
        field: bad,
        has_kind: field("kind").is_some(),
        diagnostic: Diagnostic::new(Code::InvalidObject, message)
            .file(file)
            .line(span.start.line)
            .column(span.start.column),
    })
}

/// Lines holding Helm's `# Source: chart/templates/x.yaml` comments.
fn helm_source_lines(text: &str) -> Vec<(u32, String)> {
    if !text.contains("# Source:") {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            l.trim_start()
                .strip_prefix("# Source:")
                .map(|s| (i as u32 + 1, s.trim().to_string()))
        })
        .collect()
}

/// Path of `p` as shown in reports: relative to the enclosing git repository, else to the
/// current directory, always with `/`.
pub fn display_path(p: &Path, cwd: &Path) -> String {
    let abs = normalize(&if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    });
    let base = git_root(&abs).unwrap_or_else(|| normalize(cwd));
    relative_to(&abs, &base)
}

/// `path` relative to `base` (both absolute and normalized), with `..` where needed.
pub fn relative_to(path: &Path, base: &Path) -> String {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); b.len() - common];
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Lexical normalization (no symlink resolution): drops `.` and folds `..`.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The nearest ancestor directory holding `.git`.
pub fn git_root(p: &Path) -> Option<PathBuf> {
    p.ancestors()
        .skip(1)
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Every `.rego` file below `paths` (files are taken as given), in path order.
pub fn rego_files(
    paths: &[std::path::PathBuf],
    cwd: &Path,
) -> Result<Vec<PolicySource>, Diagnostic> {
    let mut out = Vec::new();
    for p in paths {
        let abs = normalize(&cwd.join(p));
        let display = display_path(p, cwd);
        if !abs.exists() {
            return Err(
                Diagnostic::new(Code::Unreadable, "no such file or directory".to_string())
                    .file(display),
            );
        }
        let walk = WalkOptions {
            follow_links: true,
            keep: |p| p.extension().is_some_and(|x| x == "rego"),
            ..WalkOptions::default()
        };
        for entry in walk_files(&abs, &walk) {
            let path = entry.map_err(|e| {
                Diagnostic::new(Code::Unreadable, e.to_string()).file(display.clone())
            })?;
            let shown = display_path(&path, cwd);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Diagnostic::new(Code::Unreadable, format!("cannot read: {e}")).file(shown.clone())
            })?;
            out.push(PolicySource { path: shown, text });
        }
    }
    Ok(out)
}
