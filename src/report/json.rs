//! `--format json`: the findings contract of DESIGN §5.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{ReportContext, ReportError, TOOL_NAME, TOOL_VERSION};
use crate::catalog::Severity;
use crate::finding::{Finding, by_severity, security_score};
use crate::source::InputError;

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
}

#[derive(Serialize)]
struct Report<'a> {
    tool: Tool,
    summary: Summary,
    findings: &'a [Finding],
    errors: &'a [InputError],
}

pub fn render(ctx: &ReportContext<'_>) -> Result<Vec<u8>, ReportError> {
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
        },
        findings: &o.findings,
        errors: &o.errors,
    };
    let mut out = serde_json::to_vec_pretty(&report).map_err(|e| ReportError {
        format: "json",
        message: e.to_string(),
    })?;
    out.push(b'\n');
    Ok(out)
}
