//! `--format text`: for people. Position, rule, message, a code frame of the offending
//! lines, the fix, and a summary. Colour only when asked (the binary decides: a terminal and
//! no `NO_COLOR`). Values of sensitive findings are masked in the frame.

use std::fmt::Write;

use super::ReportContext;
use crate::catalog::Severity;
use crate::document::SourceFile;
use crate::finding::{Finding, by_severity, security_score};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn sev(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.wrap(code, s.as_str())
    }
}

const MASK: &str = "********";

/// Replaces the characters of `line` from `from` to `to` (1-based columns, `to` exclusive).
fn mask(line: &str, from: usize, to: Option<usize>) -> String {
    let chars: Vec<char> = line.chars().collect();
    let from = from.saturating_sub(1).min(chars.len());
    let to = to
        .map_or(chars.len(), |t| t.saturating_sub(1).min(chars.len()))
        .max(from);
    let mut out: String = chars[..from].iter().collect();
    out.push_str(MASK);
    out.extend(&chars[to..]);
    out
}

/// The lines around a finding, with a caret line under the offending span.
fn code_frame(file: &SourceFile, f: &Finding, paint: &Paint) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = file.text.lines().collect();
    if f.line == 0 || f.line as usize > lines.len() {
        return out;
    }
    let first = f.line.saturating_sub(1).max(1) as usize;
    let last = (f.end_line.max(f.line) as usize)
        .min(lines.len())
        .min(f.line as usize + 3);
    let width = last.to_string().len();
    for n in first..=last {
        let mut text = lines[n - 1].to_string();
        if f.sensitive && n >= f.line as usize && n <= f.end_line.max(f.line) as usize {
            let from = if n == f.line as usize {
                f.column as usize
            } else {
                1
            };
            let to = (n == f.end_line as usize).then_some(f.end_column as usize);
            text = mask(&text, from, to);
        }
        let _ = writeln!(out, "  {} {text}", paint.dim(&format!("{n:>width$} |")));
        if n == f.line as usize {
            let start = f.column.max(1) as usize;
            let len = if f.end_line == f.line && f.end_column > f.column {
                (f.end_column - f.column) as usize
            } else {
                1
            };
            let len = if f.sensitive { MASK.len() } else { len };
            let _ = writeln!(
                out,
                "  {} {}{}",
                paint.dim(&format!("{:>width$} |", "")),
                " ".repeat(start - 1),
                paint.wrap("1;31", &"^".repeat(len.min(120)))
            );
        }
    }
    out
}

pub fn render(ctx: &ReportContext<'_>) -> String {
    let o = ctx.outcome;
    let paint = Paint { on: ctx.color };
    let mut out = String::new();
    let rules: std::collections::HashMap<&str, &crate::catalog::Rule> =
        o.rules.iter().map(|r| (r.id.as_str(), r)).collect();
    for f in &o.findings {
        let _ = writeln!(
            out,
            "{}: {} {} [{}]{}",
            paint.bold(&format!("{}:{}:{}", f.file, f.line, f.column)),
            paint.bold(&f.rule_id),
            f.rule_name,
            paint.sev(f.severity),
            if f.suppressed.is_some() {
                " (suppressed)"
            } else {
                ""
            }
        );
        let _ = writeln!(out, "  {}", f.message);
        if let Some(src) = o.sources.get(&f.file) {
            out.push_str(&code_frame(src, f, &paint));
        }
        let mut at = format!("{} · {}", resource_label(f), f.path);
        if let Some(s) = &f.source {
            let _ = write!(at, " · from {s}");
        }
        let _ = writeln!(out, "  {} {}", paint.dim("="), paint.dim(&at));
        if let Some(r) = rules.get(f.rule_id.as_str()) {
            let _ = writeln!(out, "  {} {}", paint.bold("fix:"), r.remediation);
        }
        out.push('\n');
    }
    for e in &o.errors {
        let _ = writeln!(out, "{} {e}", paint.wrap("1;31", "error:"));
    }
    if !o.errors.is_empty() {
        out.push('\n');
    }
    let counts = by_severity(&o.findings);
    let active: usize = counts.values().sum();
    let parts: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|s| {
            counts
                .get(s)
                .filter(|n| **n > 0)
                .map(|n| format!("{n} {s}"))
        })
        .collect();
    let suppressed = o.findings.iter().filter(|f| f.suppressed.is_some()).count();
    let _ = write!(
        out,
        "{} {active} finding{}",
        paint.bold("Summary:"),
        if active == 1 { "" } else { "s" }
    );
    if !parts.is_empty() {
        let _ = write!(out, " ({})", parts.join(", "));
    }
    let _ = write!(
        out,
        " in {} document{} from {} file{}; {} rules; score {}/100",
        o.documents,
        if o.documents == 1 { "" } else { "s" },
        o.files,
        if o.files == 1 { "" } else { "s" },
        o.rules.len(),
        security_score(&o.findings, o.documents)
    );
    if suppressed > 0 {
        let _ = write!(out, "; {suppressed} suppressed");
    }
    if !o.errors.is_empty() {
        let _ = write!(
            out,
            "; {} error{}",
            o.errors.len(),
            if o.errors.len() == 1 { "" } else { "s" }
        );
    }
    let gate = o
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none() && f.severity >= ctx.fail_on)
        .count();
    let _ = writeln!(
        out,
        "; gate (fail-on {}): {}",
        ctx.fail_on,
        if gate > 0 {
            paint.wrap("1;31", &format!("FAILED by {gate}"))
        } else {
            paint.wrap("32", "passed")
        }
    );
    let scores = crate::compliance::framework_scores(&o.rules, &o.findings);
    if !scores.is_empty() {
        let parts: Vec<String> = scores
            .iter()
            .map(|(f, s)| format!("{f} {}/{} ({}%)", s.passed, s.controls, s.score))
            .collect();
        let _ = writeln!(
            out,
            "{} {}",
            paint.bold("Compliance (controls passing):"),
            parts.join(", ")
        );
    }
    out
}

fn resource_label(f: &Finding) -> String {
    match &f.resource.namespace {
        Some(ns) => format!("{} {}/{}", f.resource.kind, ns, f.resource.name),
        None => format!("{} {}", f.resource.kind, f.resource.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
