//! Repairs for the places where saphyr is stricter than go-yaml (and so than kubectl).
//!
//! Two inputs kubectl reads and saphyr refuses: a tab as the separator after a mapping
//! colon (`key:\tvalue`), and a continuation line of a quoted scalar indented no more than
//! its mapping (`a: "x` then `y"` at column 1). In both the characters involved are only
//! white space to go-yaml, so rather than fork the parser the text is repaired at the error
//! saphyr reports (tab → space; the line indented) and parsed again, a bounded number of
//! times. Only files that hit one of these errors pay for it; the columns of an indented line
//! are shifted back through the `LineMap`, so positions stay those of the file.

use super::lines::LineMap;
use crate::diag::Diagnostic;

/// How many times one file is repaired and parsed again (see [`repaired_parse`]).
const REPAIRS: usize = 64;

/// Parses `text` with `parse`, repairing and parsing again while the last error is one of
/// the two above; returns the result and `map` with the shifts of indented lines.
pub fn repaired_parse<D>(
    text: &str,
    mut map: LineMap,
    parse: fn(&str) -> (Vec<D>, Vec<Diagnostic>),
) -> (Vec<D>, Vec<Diagnostic>, LineMap) {
    let mut out = parse(text);
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
        out = parse(&fixed);
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
