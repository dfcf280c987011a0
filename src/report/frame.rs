//! Code frames: the lines around a finding, with the offending span marked, shared by the
//! text and HTML reports.
//!
//! Secret material never leaves through a frame: every span of a *sensitive* finding in the
//! same file is masked, not only the span of the finding being shown, so a neighbouring
//! finding's frame cannot reveal a value another rule flagged.

use std::collections::HashMap;

use serde::Serialize;

use crate::document::SourceFile;
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
    /// make a secret printable).
    pub fn new(findings: &[Finding]) -> Masks {
        let mut by_file: HashMap<String, Vec<SecretSpan>> = HashMap::new();
        for f in findings.iter().filter(|f| f.sensitive) {
            by_file.entry(f.file.clone()).or_default().push(SecretSpan {
                line: f.line,
                column: f.column,
                end_line: f.end_line,
                end_column: f.end_column,
            });
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

/// One line of a frame.
#[derive(Clone, Debug, Serialize)]
pub struct FrameLine {
    /// 1-based line number.
    pub number: usize,
    /// The text, sensitive spans masked.
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
            text: masks.apply(&file.path, n as u32, lines[n - 1]),
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
        };
        let secret = finding(2, 10, 16, true);
        let other = finding(3, 9, 14, false);
        let masks = Masks::new(&[secret.clone(), other.clone()]);
        let frame = code_frame(&file, &other, &masks).unwrap();
        let text: Vec<&str> = frame.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(text, ["  TOKEN: ********", "  MODE: debug"]);
        let frame = code_frame(&file, &secret, &masks).unwrap();
        assert!(frame.lines.iter().all(|l| !l.text.contains("abc123")));
        assert_eq!(frame.caret.len, MASK.len());
    }
}
