//! `audit --format text`: the audit for people, plain text (no colour), 100 columns.

use std::fmt::Write;

use crate::audit::{Audit, ControlStatus};
use crate::catalog::Severity;
use crate::report::escape::control;

/// Shortens `s` to `max` characters, marking the cut with `…`.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn render(a: &Audit) -> String {
    let mut out = String::new();
    let s = &a.summary;
    let _ = writeln!(
        out,
        "confgate audit — {} in {} from {}; {}",
        plural(s.findings, "finding", "findings"),
        plural(s.documents, "document", "documents"),
        plural(s.files, "file", "files"),
        plural(s.rules, "rule", "rules"),
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "Security score: {}/100", s.score);
    let parts: Vec<String> = Severity::ALL
        .iter()
        .map(|sev| format!("{} {sev}", s.by_severity.get(sev).copied().unwrap_or(0)))
        .collect();
    let _ = write!(out, "Findings:       {}", parts.join(", "));
    if s.suppressed > 0 {
        let _ = write!(out, "; {} suppressed", s.suppressed);
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Gate:           fail-on {}: {}",
        s.gate.fail_on,
        if s.gate.passed {
            "passed".to_string()
        } else {
            format!(
                "FAILED by {}",
                plural(s.gate.blocking, "finding", "findings")
            )
        }
    );

    let _ = writeln!(out, "\nCompliance checklists");
    for c in &a.frameworks {
        let n = &c.counts;
        let _ = writeln!(
            out,
            "\n{} [{}]\n  {}% of checked controls pass: {} pass, {} fail, {} not checkable, {} not covered{}",
            c.title,
            c.framework,
            c.score,
            n.pass,
            n.fail,
            n.not_checkable,
            n.not_covered,
            if c.catalog {
                String::new()
            } else {
                " (no control catalog: controls the rules map to)".to_string()
            }
        );
        let id_width = c.controls.iter().map(|x| x.id.len()).max().unwrap_or(0);
        for ctl in &c.controls {
            let status = match ctl.status {
                ControlStatus::Fail => "FAIL",
                s => s.as_str(),
            };
            let mut line = format!(
                "  {status:<13} {:<id_width$}  {}",
                ctl.id,
                clip(&ctl.title, 70)
            );
            match ctl.status {
                ControlStatus::Fail => {
                    let _ = write!(
                        line,
                        " — {} ({})",
                        ctl.failing_rules.join(", "),
                        plural(ctl.findings, "finding", "findings")
                    );
                }
                ControlStatus::Pass => {
                    let _ = write!(line, " — {}", ctl.rules.join(", "));
                }
                ControlStatus::NotCheckable => {
                    if let Some(r) = &ctl.reason {
                        let _ = write!(line, "\n  {:13} {:id_width$}  ({})", "", "", r);
                    }
                }
                ControlStatus::NotCovered => {}
            }
            let _ = writeln!(out, "{line}");
        }
    }

    let m = &a.risk_matrix;
    let _ = writeln!(
        out,
        "\nRisk matrix (active findings by severity × exposure)"
    );
    let mut head = format!("  {:<10}", "");
    for e in &m.exposures {
        let _ = write!(head, "{:>10}", e.as_str());
    }
    let _ = writeln!(out, "{head}{:>10}", "total");
    for row in &m.rows {
        let mut line = format!("  {:<10}", row.severity.as_str());
        for c in &row.cells {
            let _ = write!(line, "{:>10}", c.count);
        }
        let _ = writeln!(out, "{line}{:>10}", row.total);
    }
    let mut line = format!("  {:<10}", "total");
    for t in &m.totals {
        let _ = write!(line, "{t:>10}");
    }
    let _ = writeln!(out, "{line}{:>10}", m.totals.iter().sum::<usize>());

    let _ = writeln!(out, "\nRecommendations (most urgent first)");
    if a.recommendations.is_empty() {
        let _ = writeln!(out, "  Nothing to fix.");
    }
    for r in &a.recommendations {
        let _ = writeln!(
            out,
            "  {:>2}. [{}] {} {} — {} in {}, most exposed: {}",
            r.rank,
            r.severity,
            control(&r.rule_id),
            control(&r.rule_name),
            plural(r.count, "finding", "findings"),
            plural(r.resources, "resource", "resources"),
            r.exposure
        );
        let _ = writeln!(out, "      {}", control(&r.summary));
        if !r.remediation.is_empty() {
            let _ = writeln!(out, "      fix: {}", control(&r.remediation));
        }
    }
    if !a.errors.is_empty() {
        let _ = writeln!(out, "\nErrors");
        for e in &a.errors {
            let _ = writeln!(out, "  {}", control(&e.to_string()));
        }
    }
    let _ = writeln!(
        out,
        "\nEvery finding with its position: `confgate scan` (or `confgate audit --format html`)."
    );
    out
}
