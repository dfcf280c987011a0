//! Code frames: the lines around a finding, with the offending span marked, shared by the
//! text and HTML reports.
//!
//! Secret material never leaves through a frame: every span of a *sensitive* finding in the
//! same file is masked, not only the span of the finding being shown, so a neighbouring
//! finding's frame cannot reveal a value another rule flagged. Nor does a frame show the
//! values of a `kind: Secret` next to the line it is about: base64 in `data` is an
//! encoding, not protection, so every `data` and `stringData` value of a Secret (and its
//! `last-applied-configuration` annotation, which repeats them) is masked wherever a frame
//! shows it, whether or not a rule flagged it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

use crate::document::{Node, NodeKind, SourceFile, Span};
use crate::finding::Finding;

/// What a masked value is replaced with.
pub const MASK: &str = "********";

/// At most this many lines after the finding's first line are shown.
const MAX_EXTRA_LINES: usize = 3;

/// Masks several ranges of one line (1-based columns, `to` exclusive); overlapping or
/// touching ranges become one mask.
fn mask_all(line: &str, ranges: &[(usize, Option<usize>)]) -> String {
    let chars: Vec<char> = line.chars().collect();
    let len = chars.len();
    let mut iv: Vec<(usize, usize)> = ranges
        .iter()
        .map(|(from, to)| {
            let a = from.saturating_sub(1).min(len);
            let b = to.map_or(len, |t| t.saturating_sub(1).min(len)).max(a);
            (a, b)
        })
        .collect();
    iv.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in iv {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let mut out = String::with_capacity(line.len() + MASK.len());
    let mut at = 0;
    for (a, b) in merged {
        out.extend(&chars[at..a]);
        out.push_str(MASK);
        at = b;
    }
    out.extend(&chars[at..]);
    out
}

/// A 1-based, end-exclusive span of sensitive text.
#[derive(Clone, Copy, Debug)]
struct SecretSpan {
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

impl SecretSpan {
    /// A value's span; one ending at the start of a line (a block scalar) ends with the
    /// line before, so no mask is drawn on a line the value does not touch.
    fn of(span: Span) -> SecretSpan {
        let (end_line, end_column) = if span.end.line > span.start.line && span.end.column <= 1 {
            (span.end.line - 1, 0)
        } else {
            (span.end.line, span.end.column)
        };
        SecretSpan {
            line: span.start.line,
            column: span.start.column,
            end_line,
            end_column,
        }
    }

    /// The part of line `n` this span covers, as (from, to) columns.
    fn on_line(&self, n: u32) -> Option<(usize, Option<usize>)> {
        let end_line = self.end_line.max(self.line);
        if n < self.line || n > end_line {
            return None;
        }
        let from = if n == self.line {
            self.column.max(1) as usize
        } else {
            1
        };
        let to = (n == self.end_line && self.end_line >= self.line && self.end_column > 0)
            .then_some(self.end_column as usize);
        Some((from, to))
    }
}

/// The sensitive spans of one scan, by file.
#[derive(Debug, Default)]
pub struct Masks {
    by_file: HashMap<String, Vec<SecretSpan>>,
}

impl Masks {
    /// Collects the spans of every sensitive finding (suppressed ones too: a waiver does not
    /// make a secret printable) and the values of every Secret in a file a frame can show
    /// (one with a finding).
    pub fn new(findings: &[Finding], sources: &BTreeMap<String, Arc<SourceFile>>) -> Masks {
        let mut by_file: HashMap<String, Vec<SecretSpan>> = HashMap::new();
        for f in findings.iter().filter(|f| f.sensitive) {
            by_file.entry(f.file.clone()).or_default().push(SecretSpan {
                line: f.line,
                column: f.column,
                end_line: f.end_line,
                end_column: f.end_column,
            });
        }
        let shown: std::collections::BTreeSet<&str> =
            findings.iter().map(|f| f.file.as_str()).collect();
        for file in shown {
            let Some(src) = sources.get(file) else {
                continue;
            };
            if !src.text.contains("Secret") {
                continue;
            }
            let (docs, _) = crate::source::yaml::parse_all(&src.text);
            let spans = by_file.entry(file.to_string()).or_default();
            for doc in &docs {
                secret_values(&doc.root, spans);
            }
        }
        Masks { by_file }
    }

    /// Line `n` of `file` with every sensitive span on it masked.
    fn apply(&self, file: &str, n: u32, text: &str) -> String {
        let ranges: Vec<(usize, Option<usize>)> = self
            .by_file
            .get(file)
            .map(|spans| spans.iter().filter_map(|s| s.on_line(n)).collect())
            .unwrap_or_default();
        if ranges.is_empty() {
            text.to_string()
        } else {
            mask_all(text, &ranges)
        }
    }
}

/// The spans of the values a Secret holds: each `data` and `stringData` entry, and the
/// `last-applied-configuration` annotation; the items of a `…List` too.
fn secret_values(root: &Node, out: &mut Vec<SecretSpan>) {
    let kind = match root.get("kind").map(|k| &k.kind) {
        Some(NodeKind::Scalar(serde_json::Value::String(k))) => k.as_str(),
        _ => return,
    };
    if kind.ends_with("List") {
        if let Some(NodeKind::Seq(items)) = root.get("items").map(|i| &i.kind) {
            for item in items {
                secret_values(item, out);
            }
        }
        return;
    }
    if kind != "Secret" {
        return;
    }
    for field in ["data", "stringData"] {
        match root.get(field).map(|d| &d.kind) {
            Some(NodeKind::Map(entries)) => {
                out.extend(entries.iter().map(|e| SecretSpan::of(e.value.span)));
            }
            Some(NodeKind::Scalar(serde_json::Value::Null)) | None => {}
            Some(_) => out.extend(root.get(field).map(|d| SecretSpan::of(d.span))),
        }
    }
    if let Some(applied) = root
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get("kubectl.kubernetes.io/last-applied-configuration"))
    {
        out.push(SecretSpan::of(applied.span));
    }
}

/// One line of a frame.
#[derive(Clone, Debug, Serialize)]
pub struct FrameLine {
    /// 1-based line number.
    pub number: usize,
    /// The text, sensitive spans masked, control characters escaped.
    pub text: String,
    /// Part of the finding's span.
    pub marked: bool,
}

/// Where the caret line goes: under line `line`, from `column` (1-based), `len` carets.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Caret {
    pub line: usize,
    pub column: usize,
    pub len: usize,
}

/// The lines around a finding.
#[derive(Clone, Debug, Serialize)]
pub struct Frame {
    pub lines: Vec<FrameLine>,
    pub caret: Caret,
    /// Width of the widest line number.
    pub width: usize,
}

impl Frame {
    /// The caret line's text: spaces up to the column, then the carets.
    pub fn caret_text(&self) -> (String, String) {
        (
            " ".repeat(self.caret.column.saturating_sub(1)),
            "^".repeat(self.caret.len.min(120)),
        )
    }
}

/// The frame of `f` in `file`: the line before it, its lines (at most three more), masked.
/// `None` when the finding has no usable position.
pub fn code_frame(file: &SourceFile, f: &Finding, masks: &Masks) -> Option<Frame> {
    let lines: Vec<&str> = file.text.lines().collect();
    if f.line == 0 || f.line as usize > lines.len() {
        return None;
    }
    let line = f.line as usize;
    let end = f.end_line.max(f.line) as usize;
    let first = line.saturating_sub(1).max(1);
    let last = end.min(lines.len()).min(line + MAX_EXTRA_LINES);
    let frame_lines = (first..=last)
        .map(|n| FrameLine {
            number: n,
            // Masked on the raw columns first, then made safe to print.
            text: super::escape::control(&masks.apply(&file.path, n as u32, lines[n - 1]))
                .into_owned(),
            marked: n >= line && n <= end,
        })
        .collect();
    let len = if f.sensitive {
        MASK.chars().count()
    } else if f.end_line == f.line && f.end_column > f.column {
        (f.end_column - f.column) as usize
    } else {
        1
    };
    Some(Frame {
        lines: frame_lines,
        caret: Caret {
            line,
            column: f.column.max(1) as usize,
            len,
        },
        width: last.to_string().len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(line: &str, from: usize, to: Option<usize>) -> String {
        mask_all(line, &[(from, to)])
    }

    fn finding(line: u32, column: u32, end_column: u32, sensitive: bool) -> Finding {
        let mut f: Finding = serde_json::from_value(serde_json::json!({
            "rule_id": "CG0000", "rule_name": "x", "severity": "high", "message": "",
            "file": "f.yaml", "line": line, "column": column, "end_line": line,
            "end_column": end_column, "document_index": 0, "source": null,
            "resource": {"api_version": "v1", "kind": "ConfigMap", "namespace": null, "name": "c"},
            "path": "", "frameworks": {}, "fingerprint": "", "suppressed": null
        }))
        .unwrap();
        f.sensitive = sensitive;
        f
    }

    #[test]
    fn mask_hides_the_value_only() {
        assert_eq!(
            mask("  password: hunter2", 13, Some(20)),
            "  password: ********"
        );
        assert_eq!(
            mask("  password: hunter2 # x", 13, Some(20)),
            "  password: ******** # x"
        );
        assert_eq!(mask("  k: v", 6, None), "  k: ********");
    }

    #[test]
    fn overlapping_masks_merge() {
        assert_eq!(
            mask_all("abcdefgh", &[(2, Some(4)), (3, Some(6))]),
            "a********fgh"
        );
        assert_eq!(
            mask_all("ab cd", &[(4, None), (1, Some(2))]),
            "********b ********"
        );
    }

    #[test]
    fn a_neighbours_frame_does_not_reveal_a_flagged_secret() {
        let file = SourceFile {
            path: "f.yaml".into(),
            text: "data:\n  TOKEN: abc123\n  MODE: debug\n".into(),
            live: false,
        };
        let secret = finding(2, 10, 16, true);
        let other = finding(3, 9, 14, false);
        let masks = Masks::new(&[secret.clone(), other.clone()], &BTreeMap::new());
        let frame = code_frame(&file, &other, &masks).unwrap();
        let text: Vec<&str> = frame.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(text, ["  TOKEN: ********", "  MODE: debug"]);
        let frame = code_frame(&file, &secret, &masks).unwrap();
        assert!(frame.lines.iter().all(|l| !l.text.contains("abc123")));
        assert_eq!(frame.caret.len, MASK.len());
    }
}
