//! `--format text`: for people. Position, rule, message, a code frame of the offending
//! lines, the fix, and a summary. Colour only when asked (the binary decides: a terminal and
//! no `NO_COLOR`). Values of sensitive findings are masked in the frame. Everything taken
//! from the scanned files (names, file names, messages, paths) goes through
//! `escape::control`: a crafted name cannot start a line of its own in a CI log or send
//! escape sequences to the terminal.

use std::fmt::Write;

use super::ReportContext;
use super::escape::control;
use super::frame::{self, Masks};
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

/// The lines around a finding, with a caret line under the offending span (sensitive spans
/// masked, see `frame`).
fn code_frame(file: &SourceFile, f: &Finding, masks: &Masks, paint: &Paint) -> String {
    let mut out = String::new();
    let Some(frame) = frame::code_frame(file, f, masks) else {
        return out;
    };
    let width = frame.width;
    for l in &frame.lines {
        let n = l.number;
        let _ = writeln!(out, "  {} {}", paint.dim(&format!("{n:>width$} |")), l.text);
        if n == frame.caret.line {
            let (pad, carets) = frame.caret_text();
            let _ = writeln!(
                out,
                "  {} {pad}{}",
                paint.dim(&format!("{:>width$} |", "")),
                paint.wrap("1;31", &carets)
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
    let masks = Masks::new(&o.findings, &o.sources);
    for f in &o.findings {
        let _ = writeln!(
            out,
            "{}: {} {} [{}]{}",
            paint.bold(&format!("{}:{}:{}", control(&f.file), f.line, f.column)),
            paint.bold(&control(&f.rule_id)),
            control(&f.rule_name),
            paint.sev(f.severity),
            if f.suppressed.is_some() {
                " (suppressed)"
            } else if f.baseline_state == Some(crate::finding::BaselineState::Unchanged) {
                " (in baseline)"
            } else {
                ""
            }
        );
        let _ = writeln!(out, "  {}", control(&f.message));
        if let Some(src) = o.sources.get(&f.file) {
            out.push_str(&code_frame(src, f, &masks, &paint));
        }
        let mut at = format!("{} · {}", resource_label(f), f.path);
        if let Some(s) = &f.source {
            let _ = write!(at, " · from {s}");
        }
        let at = control(&at);
        let _ = writeln!(out, "  {} {}", paint.dim("="), paint.dim(&at));
        if let Some(r) = rules.get(f.rule_id.as_str()) {
            let _ = writeln!(out, "  {} {}", paint.bold("fix:"), control(&r.remediation));
        }
        out.push('\n');
    }
    for e in &o.errors {
        let e = e.to_string();
        let _ = writeln!(out, "{} {}", paint.wrap("1;31", "error:"), control(&e));
    }
    for w in &o.warnings {
        let _ = writeln!(out, "{} {}", paint.wrap("1;33", "warning:"), control(w));
    }
    if !o.errors.is_empty() || !o.warnings.is_empty() {
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
    if let Some(absent) = &o.absent {
        let new = o
            .findings
            .iter()
            .filter(|f| f.baseline_state == Some(crate::finding::BaselineState::New))
            .count();
        let _ = write!(out, "; baseline: {new} new, {} gone", absent.len());
    }
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
    let gate = o.findings.iter().filter(|f| ctx.gate.blocks(f)).count();
    let _ = writeln!(
        out,
        "; gate (fail-on {}): {}",
        ctx.gate.fail_on,
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
