//! `--format markdown`: a summary for `$GITHUB_STEP_SUMMARY` and pull-request comments.
//! Names, files and messages go through `escape`, so none can end a table cell, start a
//! line or open HTML.

use std::fmt::Write as _;

use super::ReportContext;
use crate::catalog::Severity;
use crate::compliance::framework_scores;
use crate::diag::Diagnostic;
use crate::finding::{by_severity, security_score};

/// Findings listed in full; the rest are counted.
const MAX_ROWS: usize = 100;

use super::escape::{markdown_cell as cell, markdown_code as code};

pub fn render(ctx: &ReportContext<'_>) -> Result<Vec<u8>, Diagnostic> {
    let o = ctx.outcome;
    let active: Vec<_> = o
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .collect();
    let gate = active.iter().filter(|f| ctx.gate.blocks(f)).count();
    let mut s = String::new();
    let verdict = if !o.errors.is_empty() {
        "⚠️ errors".to_string()
    } else if gate > 0 {
        format!(
            "❌ gate failed: {gate} finding(s) at or above `{}`",
            ctx.gate.fail_on
        )
    } else {
        format!("✅ gate passed (fail-on `{}`)", ctx.gate.fail_on)
    };
    let _ = writeln!(s, "## confgate: {verdict}\n");
    let _ = writeln!(
        s,
        "Scanned {} documents in {} files with {} rules. Security score **{}/100**.\n",
        o.documents,
        o.files,
        o.rules.len(),
        security_score(&o.findings, o.documents)
    );
    let counts = by_severity(&o.findings);
    let _ = writeln!(s, "| Severity | Findings |\n|---|---:|");
    for sev in Severity::ALL {
        let _ = writeln!(s, "| {sev} | {} |", counts.get(&sev).copied().unwrap_or(0));
    }
    let scores = framework_scores(&o.rules, &o.findings);
    if !scores.is_empty() {
        let _ = writeln!(s, "\n| Framework | Controls passing |\n|---|---:|");
        for (f, sc) in &scores {
            let _ = writeln!(s, "| {f} | {}/{} ({}%) |", sc.passed, sc.controls, sc.score);
        }
    }
    if !active.is_empty() {
        let _ = writeln!(
            s,
            "\n| Severity | Rule | Location | Resource | Message |\n|---|---|---|---|---|"
        );
        for f in active.iter().take(MAX_ROWS) {
            let _ = writeln!(
                s,
                "| {} | {} {} | {} | {} {} | {} |",
                f.severity,
                code(&f.rule_id),
                cell(&f.rule_name),
                code(&format!("{}:{}", f.file, f.line)),
                cell(&f.resource.kind),
                cell(&f.resource.name),
                cell(&f.message)
            );
        }
        if active.len() > MAX_ROWS {
            let _ = writeln!(
                s,
                "\n…and {} more findings (see the SARIF or JSON report).",
                active.len() - MAX_ROWS
            );
        }
    }
    if !o.errors.is_empty() {
        let _ = writeln!(s, "\n### Input errors\n");
        for e in &o.errors {
            let _ = writeln!(s, "- {}", code(&e.to_string()));
        }
    }
    Ok(s.into_bytes())
}
