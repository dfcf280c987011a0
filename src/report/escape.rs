//! Escaping of untrusted text (resource names, file names, policy messages) for every
//! human-readable output, in one place.
//!
//! A Kubernetes name, a file name or a user policy's message is chosen by whoever wrote the
//! scanned files. Printed raw, a newline in it starts a new line of a CI log (where a line
//! beginning `::error file=…::` is a GitHub workflow command), a carriage return overwrites
//! what a reader sees, and ESC drives the terminal. So every emitter passes such text
//! through [`control`] (or a format's helper built on it) and control characters become
//! visible escapes: C0 (tab and newline too), DEL, C1, and the Unicode line and paragraph
//! separators. The format helpers then add their own metacharacters: Markdown tables,
//! GitHub workflow-command data and properties, XML, and SARIF URIs.

use std::borrow::Cow;
use std::fmt::Write as _;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// A character that must not reach a log or terminal as it is.
pub fn is_control(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// `s` with every control character (C0, DEL, C1, U+2028, U+2029) replaced by a visible
/// escape: `\n`, `\r`, `\t`, `\x1b`, `\u{85}`. Backslashes are left alone, so the escape is
/// for readers, not meant to be reversed.
pub fn control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// [`control`] line by line: the line breaks of a multi-line text (a diff) stay, every
/// other control character is escaped.
pub fn control_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&control(line));
    }
    out
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 && is_control(c) => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if is_control(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// Text for a Markdown table cell outside code: controls escaped, `|` (which would end the
/// cell) escaped, and `<`/`>` as entities so no HTML tag can open. Inline Markdown such as a
/// policy message's `code` stays: it cannot leave its cell.
pub fn markdown_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in control(s).chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown code span for a table cell: controls escaped, `|` escaped (GitHub splits
/// table cells before it reads code spans), and a fence longer than any run of backticks
/// inside, so the text cannot close the span.
pub fn markdown_code(s: &str) -> String {
    let text = control(s).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 || text.starts_with(' ') || text.ends_with(' ') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// A GitHub workflow command's message: `%`, CR and LF as the runner expects them
/// (`%25`, `%0D`, `%0A`, which it turns back into the characters inside the one
/// annotation), every other control character as a visible escape.
pub fn github_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => push_visible(&mut out, c),
        }
    }
    out
}

/// A GitHub workflow command's property value: as [`github_data`], plus `:` and `,`, which
/// would end the value.
pub fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Text for XML 1.0 content and attribute values: the five metacharacters as entities,
/// control characters (which XML 1.0 forbids or a parser would fold) as visible escapes,
/// and the non-characters U+FFFE and U+FFFF dropped. With `keep_newlines`, LF stays a line
/// break (for bodies confgate lays out itself).
pub fn xml(s: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' if keep_newlines => out.push('\n'),
            '\u{fffe}' | '\u{ffff}' => {}
            c => push_visible(&mut out, c),
        }
    }
    out
}

/// What a SARIF `artifactLocation.uri` may hold unencoded: a relative URI reference's path
/// characters. Everything else (controls, space, `%`, `#`, `?`, quotes, brackets, non-ASCII)
/// is percent-encoded; `/` stays the separator.
const URI_PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A `/`-separated relative path as a relative URI reference (RFC 3986), percent-encoded
/// as UTF-8.
pub fn uri_path(path: &str) -> String {
    utf8_percent_encode(path, URI_PATH).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str = "evil\n::error file=x::pwned\x1b[2J";

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(control(EVIL), "evil\\n::error file=x::pwned\\x1b[2J");
        assert_eq!(control("a\tb\rc\x7fd"), "a\\tb\\rc\\x7fd");
        assert_eq!(
            control("x\u{85}y\u{2028}z\u{2029}"),
            "x\\u{85}y\\u{2028}z\\u{2029}"
        );
        assert!(matches!(control("plain ünïcode"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_cells_cannot_break_the_table_or_open_html() {
        assert_eq!(markdown_cell("a|b<script>\n"), "a\\|b&lt;script&gt;\\n");
        assert_eq!(markdown_code("a`b|c"), "`` a`b\\|c ``");
        assert_eq!(markdown_code("plain"), "`plain`");
    }

    #[test]
    fn github_escapes_percent_cr_lf_and_in_properties_colon_and_comma() {
        assert_eq!(
            github_data("50% done\r\nnext\x1b"),
            "50%25 done%0D%0Anext\\x1b"
        );
        assert_eq!(github_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn xml_has_no_raw_control_characters() {
        assert_eq!(
            xml("<a>&\"'\x1b\x01", false),
            "&lt;a&gt;&amp;&quot;&apos;\\x1b\\x01"
        );
        assert_eq!(xml("a\nb", false), "a\\nb");
        assert_eq!(xml("a\nb", true), "a\nb");
    }

    #[test]
    fn uris_are_percent_encoded_relative_references() {
        assert_eq!(uri_path("deploy/my app#1.yaml"), "deploy/my%20app%231.yaml");
        assert_eq!(uri_path("a/100%?.yaml"), "a/100%25%3F.yaml");
        assert_eq!(uri_path("ü.yaml"), "%C3%BC.yaml");
    }
}
