//! `--format json`: the findings contract (docs/architecture.md, "Contracts").

use std::collections::BTreeMap;

use serde::Serialize;

use super::{ReportContext, TOOL_NAME, TOOL_VERSION};
use crate::catalog::{Framework, Severity};
use crate::compliance::{FrameworkScore, framework_scores};
use crate::diag::Diagnostic;
use crate::finding::{Finding, by_severity, security_score};

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    documents: usize,
    rules: usize,
    findings: usize,
    by_severity: BTreeMap<Severity, usize>,
    score: u32,
    frameworks: BTreeMap<Framework, FrameworkScore>,
}

#[derive(Serialize)]
struct Report<'a> {
    tool: Tool,
    summary: Summary,
    /// Ids of the rules that ran (lets `report merge` recompute compliance scores).
    rules: Vec<&'a str>,
    findings: &'a [Finding],
    errors: &'a [Diagnostic],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineSummary>,
}

#[derive(Serialize)]
struct BaselineSummary {
    new: usize,
    unchanged: usize,
    absent: usize,
}

pub fn render(ctx: &ReportContext<'_>) -> Result<Vec<u8>, Diagnostic> {
    let mut out = Vec::new();
    render_to(ctx, &mut out)?;
    Ok(out)
}

/// Writes the report as it is serialized: the findings are never copied into a tree or a
/// string of their own.
pub fn render_to(ctx: &ReportContext<'_>, w: &mut dyn std::io::Write) -> Result<(), Diagnostic> {
    let o = ctx.outcome;
    let report = Report {
        tool: Tool {
            name: TOOL_NAME,
            version: TOOL_VERSION,
        },
        summary: Summary {
            files: o.files,
            documents: o.documents,
            rules: o.rules.len(),
            findings: o.findings.iter().filter(|f| f.suppressed.is_none()).count(),
            by_severity: by_severity(&o.findings),
            score: security_score(&o.findings, o.documents),
            frameworks: framework_scores(&o.rules, &o.findings),
        },
        rules: o.rules.iter().map(|r| r.id.as_str()).collect(),
        findings: &o.findings,
        errors: &o.errors,
        warnings: &o.warnings,
        baseline: o.absent.as_ref().map(|absent| BaselineSummary {
            new: o
                .findings
                .iter()
                .filter(|f| f.baseline_state == Some(crate::finding::BaselineState::New))
                .count(),
            unchanged: o
                .findings
                .iter()
                .filter(|f| f.baseline_state == Some(crate::finding::BaselineState::Unchanged))
                .count(),
            absent: absent.len(),
        }),
    };
    let fail = |e: String| crate::report::report_error("json", e);
    serde_json::to_writer_pretty(&mut *w, &report).map_err(|e| fail(e.to_string()))?;
    w.write_all(b"\n").map_err(|e| fail(e.to_string()))
}
