//! Characters go-yaml v2 treats differently from saphyr: line breaks and control characters.
//!
//! go-yaml (and so kubectl) ends a line at U+0085 (NEL), U+2028 and U+2029 as well as at
//! LF/CR, so text after one of them inside a comment is live YAML; saphyr, following
//! YAML 1.2, does not. A gate that hides a `privileged: true` behind a NEL in a comment would
//! be blind where the cluster is not, so the loader parses a copy with those code points
//! replaced by `\n`. Positions are then mapped back to the lines and columns an editor shows
//! (editors break lines only at LF/CR), because findings and code frames refer to the file as
//! the user sees it and `SourceFile::text` stays the original text.
//!
//! go-yaml also refuses control characters anywhere in the stream (even in comments); so does
//! the loader, with the position of the first one.

use crate::diag::{Code, Diagnostic};
use crate::document::Pos;

/// Maps positions in the normalised text back to the original text.
#[derive(Debug, Default)]
pub struct LineMap {
    /// For each normalised line (index = line - 1) that starts after an inserted break:
    /// `(original line, columns before it on that original line)`. Empty = identity.
    starts: Vec<(u32, u32)>,
    /// Spaces inserted at the start of a (normalised) line by a repair, to subtract again.
    shifts: std::collections::HashMap<u32, u32>,
}

impl LineMap {
    pub fn map(&self, p: Pos) -> Pos {
        let column = match self.shifts.get(&p.line) {
            Some(&w) => p.column.saturating_sub(w).max(1),
            None => p.column,
        };
        match self.starts.get((p.line as usize).wrapping_sub(1)) {
            Some(&(line, offset)) => Pos {
                line,
                column: column + offset,
            },
            None => Pos { column, ..p },
        }
    }

    /// Records `width` spaces inserted at the start of normalised line `line`.
    pub fn shift(&mut self, line: u32, width: u32) {
        *self.shifts.entry(line).or_insert(0) += width;
    }

    pub fn is_identity(&self) -> bool {
        self.starts.is_empty() && self.shifts.is_empty()
    }
}

fn is_extra_break(c: char) -> bool {
    matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// The first character libyaml's reader refuses, with its (original) position.
pub fn check_characters(text: &str) -> Result<(), Diagnostic> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}')
            || matches!(c, '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            || c >= '\u{10000}'
    };
    let (mut line, mut column) = (1u32, 1u32);
    for c in text.chars() {
        if !allowed(c) {
            return Err(Diagnostic::new(
                Code::Syntax,
                format!(
                    "control character U+{:04X} is not allowed in YAML (kubectl rejects it)",
                    c as u32
                ),
            )
            .line(line)
            .column(column));
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    Ok(())
}

/// kubectl splits a stream into documents itself, at lines starting with `---`, before
/// go-yaml sees it, and refuses a separator followed by anything but spaces or a comment
/// (`--- {a: 1}`, `--- |`, `----`): "invalid Yaml document separator".
pub fn check_separators(text: &str) -> Result<(), Diagnostic> {
    for (i, line) in text.split('\n').enumerate() {
        let Some(rest) = line.strip_prefix("---") else {
            continue;
        };
        let rest = rest.trim();
        if !rest.is_empty() && !rest.starts_with('#') {
            return Err(Diagnostic::new(
                Code::Syntax,
                "content after a `---` document separator (kubectl accepts only a comment there)",
            )
            .line(i as u32 + 1)
            .column(4));
        }
    }
    Ok(())
}

/// Replaces NEL, LS and PS by `\n` when there are any, with the map back to the original.
pub fn normalise_breaks(text: &str) -> Option<(String, LineMap)> {
    if !text.chars().any(is_extra_break) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut starts = Vec::new();
    let (mut line, mut column) = (1u32, 0u32); // original line, columns consumed on it
    let mut current = (1u32, 0u32); // where the current normalised line starts
    for c in text.chars() {
        if is_extra_break(c) {
            out.push('\n');
            starts.push(current);
            column += 1;
            current = (line, column);
        } else {
            out.push(c);
            if c == '\n' {
                starts.push(current);
                line += 1;
                column = 0;
                current = (line, 0);
            } else {
                column += 1;
            }
        }
    }
    starts.push(current);
    Some((
        out,
        LineMap {
            starts,
            shifts: Default::default(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nel_ls_and_ps_become_line_breaks_with_editor_positions_kept() {
        let text = "a: 1 # c\u{85}b: 2\nc: 3\u{2028}\u{2029}d: 4\n";
        let Some((norm, map)) = normalise_breaks(text) else {
            panic!("expected normalisation");
        };
        assert_eq!(norm, "a: 1 # c\nb: 2\nc: 3\n\nd: 4\n");
        // `b` is on normalised line 2, column 1: original line 1, column 10.
        assert_eq!(
            map.map(Pos { line: 2, column: 1 }),
            Pos {
                line: 1,
                column: 10
            }
        );
        assert_eq!(
            map.map(Pos { line: 3, column: 1 }),
            Pos { line: 2, column: 1 }
        );
        assert_eq!(
            map.map(Pos { line: 5, column: 1 }),
            Pos { line: 2, column: 7 }
        );
    }

    #[test]
    fn text_without_extra_breaks_is_not_copied() {
        assert!(normalise_breaks("a: 1\r\nb: 2\n").is_none());
    }

    #[test]
    fn only_a_comment_may_follow_a_document_separator() {
        assert!(check_separators("a: 1\n---\nb: 2\n--- # next\n---  \r\nc: 3\n").is_ok());
        for bad in ["--- {a: 1}\n", "a: 1\n--- |\n  x\n", "----\n", "---x\n"] {
            assert!(check_separators(bad).is_err(), "{bad:?}");
        }
        let e = check_separators("a: 1\n--- !!map\n").err();
        assert_eq!(e.and_then(|e| e.line_number()), Some(2));
    }

    #[test]
    fn control_characters_are_refused_with_their_position() {
        let e = check_characters("a: 1\nb: x\u{1}\n").err();
        let e = e.map(|e| (e.code, e.line_number(), e.column_number()));
        assert_eq!(e, Some((Code::Syntax, Some(2), Some(5))));
        assert!(check_characters("a: \u{7f}").is_err());
        assert!(check_characters("a: \u{9f}").is_err());
        assert!(check_characters("a: \t\u{85}\u{a0}é😀\r\n").is_ok());
    }
}
