//! `confgate audit`: the full picture of one scan — security score, a checklist per
//! compliance framework (pass / fail / not-checkable / not-covered, from the control catalogs
//! in `rules/frameworks/`), a risk matrix (severity × exposure) and prioritized
//! recommendations — as text, JSON or HTML.
//!
//! The audit is computed from a [`ScanOutcome`]; exposure is classified from the documents
//! the scan kept the texts of (see [`exposure`]).

pub mod controls;
pub mod exposure;
pub mod risk;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{Framework, Severity};
use crate::diag::Diagnostic;
use crate::finding::{Finding, by_severity, security_score};
use crate::gate::Gate;
use crate::scan::ScanOutcome;
use crate::{TOOL_NAME, TOOL_VERSION};

pub use controls::{Checklist, ControlResult, ControlStatus, StatusCounts};
pub use exposure::{Exposure, ExposureMap};
pub use risk::{Recommendation, RiskMatrix};

/// Output formats of `audit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// For people: score, checklists, risk matrix, recommendations.
    Text,
    /// Everything, machine-readable.
    Json,
    /// A self-contained page (the HTML report with the checklists).
    Html,
}

/// What the audit needs besides the scan.
#[derive(Clone, Debug, Default)]
pub struct AuditOptions {
    /// The gate: findings that block it fail the audit.
    pub gate: Gate,
    /// Only these frameworks' checklists (empty = all).
    pub frameworks: Vec<Framework>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

/// The gate's verdict.
#[derive(Clone, Debug, Serialize)]
pub struct GateSummary {
    pub fail_on: Severity,
    pub passed: bool,
    /// Active findings at or above `fail_on`.
    pub blocking: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct AuditSummary {
    pub files: usize,
    pub documents: usize,
    pub rules: usize,
    /// Active (unsuppressed) findings.
    pub findings: usize,
    pub suppressed: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    pub score: u32,
    pub gate: GateSummary,
}

/// A finding with the exposure of its resource.
#[derive(Clone, Debug, Serialize)]
pub struct AuditFinding {
    #[serde(flatten)]
    pub finding: Finding,
    pub exposure: Exposure,
    /// Why (e.g. "selected by LoadBalancer Service web"); empty for `internal`.
    pub exposure_reasons: Vec<String>,
}

/// The whole audit.
#[derive(Clone, Debug, Serialize)]
pub struct Audit {
    pub tool: Tool,
    pub summary: AuditSummary,
    pub frameworks: Vec<Checklist>,
    pub risk_matrix: RiskMatrix,
    pub recommendations: Vec<Recommendation>,
    pub findings: Vec<AuditFinding>,
    pub errors: Vec<Diagnostic>,
}

/// Builds the audit of a scan.
pub fn build(outcome: &ScanOutcome, opts: &AuditOptions) -> Result<Audit, crate::diag::Diagnostic> {
    let catalogs = controls::builtin_catalogs()?;
    let docs = exposure::documents_from_sources(&outcome.sources);
    let exposures = exposure::classify(&docs);
    build_with(outcome, opts, &catalogs, &exposures)
}

/// Builds the audit from given catalogs and exposures.
pub fn build_with(
    outcome: &ScanOutcome,
    opts: &AuditOptions,
    catalogs: &[controls::ControlCatalog],
    exposures: &ExposureMap,
) -> Result<Audit, crate::diag::Diagnostic> {
    let findings = &outcome.findings;
    let active = findings.iter().filter(|f| f.suppressed.is_none());
    let blocking = findings.iter().filter(|f| opts.gate.blocks(f)).count();
    Ok(Audit {
        tool: Tool {
            name: TOOL_NAME,
            version: TOOL_VERSION,
        },
        summary: AuditSummary {
            files: outcome.files,
            documents: outcome.documents,
            rules: outcome.rules.len(),
            findings: active.count(),
            suppressed: findings.iter().filter(|f| f.suppressed.is_some()).count(),
            by_severity: by_severity(findings),
            score: security_score(findings, outcome.documents),
            gate: GateSummary {
                fail_on: opts.gate.fail_on,
                passed: blocking == 0,
                blocking,
            },
        },
        frameworks: controls::checklists(catalogs, &outcome.rules, findings, &opts.frameworks),
        risk_matrix: risk::risk_matrix(findings, exposures),
        recommendations: risk::recommendations(findings, &outcome.rules, exposures),
        findings: findings
            .iter()
            .map(|f| AuditFinding {
                finding: f.clone(),
                exposure: exposures.of(&f.resource),
                exposure_reasons: exposures.reasons(&f.resource).to_vec(),
            })
            .collect(),
        errors: outcome.errors.clone(),
    })
}
