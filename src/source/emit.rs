//! A small deterministic YAML emitter for Kubernetes manifests.
//!
//! Block style throughout (list items indented under their key), multi-line
//! strings as literal blocks, and strings quoted whenever a YAML 1.1 reader (Kubernetes,
//! through go-yaml) or a YAML 1.2 reader (the scanner) could take them for anything else:
//! `yes`, `on`, `0400`, `1e3`, `2.4.1`, `~` and friends all come out quoted, so what the gate
//! scanned is what the cluster reads.

use serde_yaml::Value as Yaml;

/// One document as YAML text (ending in a newline).
pub fn document(v: &Yaml) -> Result<String, String> {
    let mut out = String::new();
    match v {
        Yaml::Mapping(m) if !m.is_empty() => mapping(m, 0, &mut out)?,
        Yaml::Sequence(s) if !s.is_empty() => sequence(s, 0, &mut out)?,
        other => {
            out.push_str(&inline(other)?);
            out.push('\n');
        }
    }
    Ok(out)
}

fn pad(n: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A value that fits after `key: ` or `- ` on the same line (scalars and empty collections).
fn inline(v: &Yaml) -> Result<String, String> {
    Ok(match v {
        Yaml::Null => "null".to_string(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Number(n) => n.to_string(),
        Yaml::String(s) => scalar(s),
        Yaml::Sequence(s) if s.is_empty() => "[]".to_string(),
        Yaml::Mapping(m) if m.is_empty() => "{}".to_string(),
        Yaml::Tagged(t) => {
            return Err(format!(
                "YAML tag {} is not supported in generated manifests",
                t.tag
            ));
        }
        _ => return Err("internal: not an inline value".to_string()),
    })
}

fn is_block(v: &Yaml) -> bool {
    match v {
        Yaml::Mapping(m) => !m.is_empty(),
        Yaml::Sequence(s) => !s.is_empty(),
        Yaml::String(s) => literal_ok(s),
        _ => false,
    }
}

fn key_text(k: &Yaml) -> Result<String, String> {
    match k {
        Yaml::String(s) if !s.contains('\n') => Ok(scalar(s)),
        Yaml::String(s) => Ok(double_quoted(s)),
        Yaml::Null | Yaml::Bool(_) | Yaml::Number(_) => inline(k),
        _ => Err("mapping keys must be scalars".to_string()),
    }
}

fn mapping(m: &serde_yaml::Mapping, indent: usize, out: &mut String) -> Result<(), String> {
    for (i, (k, v)) in m.iter().enumerate() {
        // The first entry of a mapping inside a list item goes right after `- `.
        if i > 0 || !out.ends_with("- ") {
            pad(indent, out);
        }
        out.push_str(&key_text(k)?);
        out.push(':');
        value_after_key(v, indent, out)?;
    }
    Ok(())
}

fn value_after_key(v: &Yaml, indent: usize, out: &mut String) -> Result<(), String> {
    match v {
        Yaml::Mapping(m) if !m.is_empty() => {
            out.push('\n');
            mapping(m, indent + 2, out)
        }
        Yaml::Sequence(s) if !s.is_empty() => {
            out.push('\n');
            sequence(s, indent + 2, out)
        }
        Yaml::String(s) if literal_ok(s) => {
            literal(s, indent + 2, out);
            Ok(())
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other)?);
            out.push('\n');
            Ok(())
        }
    }
}

fn sequence(s: &[Yaml], indent: usize, out: &mut String) -> Result<(), String> {
    for item in s {
        pad(indent, out);
        out.push_str("- ");
        match item {
            Yaml::Mapping(m) if !m.is_empty() => mapping(m, indent + 2, out)?,
            Yaml::Sequence(inner) if !inner.is_empty() => {
                out.pop();
                out.push('\n');
                sequence(inner, indent + 2, out)?;
            }
            Yaml::String(text) if literal_ok(text) => {
                out.pop();
                literal(text, indent + 2, out);
            }
            other if !is_block(other) => {
                out.push_str(&inline(other)?);
                out.push('\n');
            }
            other => {
                out.push_str(&inline(other)?);
                out.push('\n');
            }
        }
    }
    Ok(())
}

/// Can `s` be written as a literal block (`|`)? Multi-line, printable, no carriage returns,
/// no line that is only spaces, and no leading space on the first line.
fn literal_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\t', '\n'])
        && !s.chars().any(|c| special(c) && c != '\n' && c != '\t')
        && !s
            .split('\n')
            .any(|l| !l.is_empty() && l.chars().all(|c| c == ' ' || c == '\t'))
}

fn literal(s: &str, indent: usize, out: &mut String) {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    out.push_str(match trailing {
        0 => " |-\n",
        1 => " |\n",
        _ => " |+\n",
    });
    let lines: Vec<&str> = if trailing > 1 {
        s[..s.len() - 1].split('\n').collect()
    } else {
        body.split('\n').collect()
    };
    for l in lines {
        if !l.is_empty() {
            pad(indent, out);
            out.push_str(l);
        }
        out.push('\n');
    }
}

/// Strings that some YAML reader would resolve to something other than this string.
fn ambiguous(s: &str) -> bool {
    const WORDS: [&str; 13] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ".inf", ".nan", "<<",
    ];
    let lower = s.to_ascii_lowercase();
    if WORDS.contains(&lower.as_str()) || lower == "-.inf" || lower == "+.inf" {
        return true;
    }
    // Anything that starts like a number and uses only number-ish characters: ints, floats,
    // octal (0400, 0o400), hex, binary, sexagesimal (1:20), versions (2.4.1), `1_000`.
    let body = s.trim_start_matches(['-', '+']);
    let starts_numeric = body
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.');
    starts_numeric
        && body.chars().any(|c| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_hexdigit() || "xXoObB_.:eE+-".contains(c))
}

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.starts_with([' ', '\t']) || s.ends_with([' ', '\t']) {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-x`, `:x`, `?x` are plain in YAML, but only when not followed by a space.
        let second = s.chars().nth(1);
        let dash_like = matches!(first, '-' | '?' | ':')
            && second.is_some_and(|c| c != ' ' && c != '\t')
            && s != "---";
        if !dash_like {
            return false;
        }
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.starts_with("---") {
        return false;
    }
    if s.chars().any(special) {
        return false;
    }
    !ambiguous(s)
}

/// Characters only a double-quoted scalar carries safely.
fn special(c: char) -> bool {
    c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
}

/// A one-line string scalar: plain when unambiguous, else single-quoted, else double-quoted.
fn scalar(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else if !s.chars().any(special) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        double_quoted(s)
    }
}

/// JSON string escapes are a subset of YAML's double-quoted escapes.
fn double_quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("'{}'", s.replace('\'', "''")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn round_trip(text: &str) -> (String, Yaml) {
        let v: Yaml = serde_yaml::from_str(text).unwrap();
        let out = document(&v).unwrap();
        let back = Yaml::deserialize(serde_yaml::Deserializer::from_str(&out)).unwrap();
        assert_eq!(v, back, "round trip of\n{out}");
        (out, v)
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        let (out, _) = round_trip(
            "a: 'yes'\nb: 'on'\nc: '0400'\nd: '2.4.1'\ne: '1e3'\nf: '~'\ng: 'null'\nh: '1:20'\ni: 500m\nj: 1536Mi\nk: --host\nl: '- x'\nm: 'a: b'\nn: 'x #y'\no: ''\np: \"tab\\there\"\nq: '*x'\nr: 0o400\ns: 12\nt: 1.5\nu: true\nv: null\n",
        );
        assert_eq!(
            out,
            "a: 'yes'\nb: 'on'\nc: '0400'\nd: '2.4.1'\ne: '1e3'\nf: '~'\ng: 'null'\nh: '1:20'\ni: 500m\nj: 1536Mi\nk: --host\nl: '- x'\nm: 'a: b'\n'n': 'x #y'\no: ''\np: \"tab\\there\"\nq: '*x'\nr: 256\ns: 12\nt: 1.5\nu: true\nv: null\n"
        );
    }

    #[test]
    fn collections_are_block_style() {
        let (out, _) = round_trip(
            "spec:\n  containers:\n  - name: a\n    args: [x, y]\n    env: []\n  - name: b\n  matrix:\n  - - 1\n    - 2\n  empty: {}\n",
        );
        assert_eq!(
            out,
            "spec:\n  containers:\n    - name: a\n      args:\n        - x\n        - 'y'\n      env: []\n    - name: b\n  matrix:\n    -\n      - 1\n      - 2\n  empty: {}\n"
        );
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        let (out, _) = round_trip(
            "a: \"x\\n  y\\n\"\nb: \"x\\ny\"\nc: \"x\\n\\n\"\nd: \" lead\\nx\"\ne: \"x\\n   \\ny\"\n",
        );
        assert_eq!(
            out,
            "a: |\n  x\n    y\nb: |-\n  x\n  y\nc: |+\n  x\n\nd: \" lead\\nx\"\ne: \"x\\n   \\ny\"\n"
        );
        let (out, _) = round_trip("- \"a\\nb\\n\"\n- k: \"c\\nd\\n\"\n");
        assert_eq!(out, "- |\n  a\n  b\n- k: |\n    c\n    d\n");
    }
}
