//! `--format html` (and `audit --format html`): one self-contained page rendered from the tera
//! template `reports/report.html` (embedded; `--template FILE` replaces it).
//!
//! The page shows the security score, per-framework compliance (the audit's checklists when
//! given), a risk matrix (severity × exposure), prioritized recommendations and every
//! finding with its masked code frame and fix, filterable and searchable by inline script.
//! Everything from the scan is escaped by tera's autoescape (the template is registered under
//! a `.html` name, whatever file it came from); secret values are masked in frames exactly as
//! in the text report (see `frame`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::frame::{self, Masks};
use super::{ReportContext, ReportError, TOOL_NAME, TOOL_VERSION};
use crate::audit::exposure::{self, Exposure, ExposureMap};
use crate::audit::risk::{self, Recommendation, RiskMatrix};
use crate::audit::{Audit, Checklist};
use crate::catalog::{Rule, Severity};
use crate::compliance::framework_scores;
use crate::finding::{Finding, by_severity, security_score};
use crate::gate::Gate;
use crate::scan::ScanOutcome;

/// The embedded template.
pub const TEMPLATE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/reports/report.html"));

/// The name templates are registered under; its `.html` suffix turns autoescape on.
const TEMPLATE_NAME: &str = "report.html";

/// Namespace shown (and filtered on) for resources without one.
const NO_NAMESPACE: &str = "(none)";

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct SeverityCount {
    severity: Severity,
    count: usize,
    /// Bar length: share of the largest count, 0–100.
    pct: u32,
}

/// A piece of Markdown-ish text: `code` spans become `<code>` without trusting the text.
#[derive(Serialize)]
struct Segment {
    text: String,
    code: bool,
}

/// Splits text at backticks; an unpaired backtick stays literal.
fn segments(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let parts: Vec<&str> = text.split('`').collect();
    let paired = parts.len() % 2 == 1;
    for (i, p) in parts.iter().enumerate() {
        let code = paired && i % 2 == 1;
        if !paired && i > 0 {
            out.push(Segment {
                text: "`".to_string(),
                code: false,
            });
        }
        if !p.is_empty() {
            out.push(Segment {
                text: p.to_string(),
                code,
            });
        }
    }
    out
}

#[derive(Serialize)]
struct RecView<'a> {
    #[serde(flatten)]
    rec: &'a Recommendation,
    fix: Vec<Segment>,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    documents: usize,
    rules: usize,
    /// Active findings.
    findings: usize,
    /// All findings in the table (suppressed included).
    rows: usize,
    suppressed: usize,
    errors: usize,
    score: u32,
    /// good (≥ 90), fair (≥ 70) or poor.
    score_band: &'static str,
    fail_on: Severity,
    gate_passed: bool,
    blocking: usize,
    by_severity: Vec<SeverityCount>,
}

#[derive(Serialize)]
struct Compliance {
    framework: String,
    controls: usize,
    passed: usize,
    failed: usize,
    score: u32,
    failing: Vec<String>,
}

#[derive(Serialize)]
struct FrameView {
    lines: Vec<frame::FrameLine>,
    caret_line: usize,
    caret_pad: String,
    carets: String,
}

#[derive(Serialize)]
struct FindingView {
    index: usize,
    rule_id: String,
    rule_name: String,
    severity: Severity,
    message: String,
    file: String,
    line: u32,
    column: u32,
    kind: String,
    namespace: String,
    name: String,
    path: String,
    source: Option<String>,
    exposure: Exposure,
    exposure_reasons: String,
    suppressed: Option<String>,
    frameworks: Vec<String>,
    fix: Vec<Segment>,
    frame: Option<FrameView>,
}

#[derive(Serialize)]
struct RuleOption {
    id: String,
    name: String,
    count: usize,
}

#[derive(Serialize)]
struct Filters {
    severities: Vec<Severity>,
    rules: Vec<RuleOption>,
    namespaces: Vec<String>,
    exposures: Vec<Exposure>,
}

/// Everything the template sees.
#[derive(Serialize)]
struct Page<'a> {
    title: &'static str,
    /// `scan` or `audit`.
    kind: &'static str,
    tool: Tool,
    summary: Summary,
    compliance: Vec<Compliance>,
    checklists: Option<&'a [Checklist]>,
    matrix: &'a RiskMatrix,
    recommendations: Vec<RecView<'a>>,
    findings: Vec<FindingView>,
    filters: Filters,
    errors: Vec<String>,
}

fn fail(message: String) -> ReportError {
    ReportError {
        format: "html",
        message,
    }
}

/// `scan --format html`.
pub fn render(ctx: &ReportContext<'_>) -> Result<Vec<u8>, ReportError> {
    let o = ctx.outcome;
    let docs = exposure::documents_from_sources(&o.sources);
    let exposures = exposure::classify(&docs);
    let matrix = risk::risk_matrix(&o.findings, &exposures);
    let recs = risk::recommendations(&o.findings, &o.rules, &exposures);
    let ex: Vec<(Exposure, Vec<String>)> = o
        .findings
        .iter()
        .map(|f| {
            (
                exposures.of(&f.resource),
                exposures.reasons(&f.resource).to_vec(),
            )
        })
        .collect();
    let page = page(o, ctx.gate, &ex, &matrix, &recs, None);
    render_page(&page, ctx.template.as_deref())
}

/// `audit --format html`: the same page with the audit's checklists.
pub fn render_audit(
    outcome: &ScanOutcome,
    audit: &Audit,
    template: Option<&str>,
) -> Result<Vec<u8>, ReportError> {
    let ex: Vec<(Exposure, Vec<String>)> = if audit.findings.len() == outcome.findings.len() {
        audit
            .findings
            .iter()
            .map(|f| (f.exposure, f.exposure_reasons.clone()))
            .collect()
    } else {
        let map = ExposureMap::default();
        outcome
            .findings
            .iter()
            .map(|f| (map.of(&f.resource), Vec::new()))
            .collect()
    };
    let mut page = page(
        outcome,
        Gate::new(audit.summary.gate.fail_on),
        &ex,
        &audit.risk_matrix,
        &audit.recommendations,
        Some(&audit.frameworks),
    );
    page.title = "confgate audit";
    page.kind = "audit";
    render_page(&page, template)
}

fn page<'a>(
    o: &ScanOutcome,
    gate: Gate,
    exposures: &[(Exposure, Vec<String>)],
    matrix: &'a RiskMatrix,
    recommendations: &'a [Recommendation],
    checklists: Option<&'a [Checklist]>,
) -> Page<'a> {
    let counts = by_severity(&o.findings);
    let most = counts.values().copied().max().unwrap_or(0).max(1);
    let active = o.findings.iter().filter(|f| f.suppressed.is_none());
    let blocking = o.findings.iter().filter(|f| gate.blocks(f)).count();
    let score = security_score(&o.findings, o.documents);
    let rules: BTreeMap<&str, &Rule> = o.rules.iter().map(|r| (r.id.as_str(), r)).collect();
    let masks = Masks::new(&o.findings);
    let findings: Vec<FindingView> = o
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (exposure, reasons) = exposures
                .get(i)
                .cloned()
                .unwrap_or((Exposure::Internal, Vec::new()));
            finding_view(i, f, o, &rules, &masks, exposure, &reasons)
        })
        .collect();
    let mut by_rule: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    let mut namespaces = BTreeSet::new();
    for f in &o.findings {
        by_rule.entry(&f.rule_id).or_insert((&f.rule_name, 0)).1 += 1;
        namespaces.insert(f.resource.namespace.as_deref().unwrap_or(NO_NAMESPACE));
    }
    Page {
        title: "confgate security report",
        kind: "scan",
        tool: Tool {
            name: TOOL_NAME,
            version: TOOL_VERSION,
        },
        summary: Summary {
            files: o.files,
            documents: o.documents,
            rules: o.rules.len(),
            findings: active.count(),
            rows: o.findings.len(),
            suppressed: o.findings.iter().filter(|f| f.suppressed.is_some()).count(),
            errors: o.errors.len(),
            score,
            score_band: match score {
                90.. => "good",
                70..=89 => "fair",
                _ => "poor",
            },
            fail_on: gate.fail_on,
            gate_passed: blocking == 0,
            blocking,
            by_severity: Severity::ALL
                .iter()
                .map(|s| {
                    let count = counts.get(s).copied().unwrap_or(0);
                    SeverityCount {
                        severity: *s,
                        count,
                        pct: (100 * count / most) as u32,
                    }
                })
                .collect(),
        },
        compliance: framework_scores(&o.rules, &o.findings)
            .into_iter()
            .map(|(f, s)| Compliance {
                framework: f.to_string(),
                controls: s.controls,
                passed: s.passed,
                failed: s.failed,
                score: s.score,
                failing: s.failing,
            })
            .collect(),
        checklists,
        matrix,
        recommendations: recommendations
            .iter()
            .map(|r| RecView {
                rec: r,
                fix: segments(&r.remediation),
            })
            .collect(),
        findings,
        filters: Filters {
            severities: Severity::ALL.to_vec(),
            rules: by_rule
                .into_iter()
                .map(|(id, (name, count))| RuleOption {
                    id: id.to_string(),
                    name: name.to_string(),
                    count,
                })
                .collect(),
            namespaces: namespaces.into_iter().map(str::to_string).collect(),
            exposures: Exposure::ALL.to_vec(),
        },
        errors: o.errors.iter().map(|e| e.to_string()).collect(),
    }
}

fn finding_view(
    index: usize,
    f: &Finding,
    o: &ScanOutcome,
    rules: &BTreeMap<&str, &Rule>,
    masks: &Masks,
    exposure: Exposure,
    reasons: &[String],
) -> FindingView {
    let frame = o
        .sources
        .get(&f.file)
        .and_then(|src| frame::code_frame(src, f, masks))
        .map(|fr| {
            let (caret_pad, carets) = fr.caret_text();
            FrameView {
                caret_line: fr.caret.line,
                lines: fr.lines,
                caret_pad,
                carets,
            }
        });
    FindingView {
        index: index + 1,
        rule_id: f.rule_id.clone(),
        rule_name: f.rule_name.clone(),
        severity: f.severity,
        message: f.message.clone(),
        file: f.file.clone(),
        line: f.line,
        column: f.column,
        kind: f.resource.kind.clone(),
        namespace: f
            .resource
            .namespace
            .clone()
            .unwrap_or_else(|| NO_NAMESPACE.to_string()),
        name: f.resource.name.clone(),
        path: f.path.clone(),
        source: f.source.clone(),
        exposure,
        exposure_reasons: reasons.join("; "),
        suppressed: f
            .suppressed
            .as_ref()
            .map(|s| format!("{}: {}", s.kind, s.justification)),
        frameworks: f
            .frameworks
            .iter()
            .map(|(fw, ids)| format!("{fw} {}", ids.join(", ")))
            .collect(),
        fix: rules
            .get(f.rule_id.as_str())
            .map(|r| segments(&r.remediation))
            .unwrap_or_default(),
        frame,
    }
}

/// Renders the page with the embedded template or `template`.
fn render_page(page: &Page<'_>, template: Option<&str>) -> Result<Vec<u8>, ReportError> {
    let mut tera = tera::Tera::default();
    tera.add_raw_template(TEMPLATE_NAME, template.unwrap_or(TEMPLATE))
        .map_err(|e| fail(format!("bad template: {}", chain(&e))))?;
    let ctx = tera::Context::from_serialize(page).map_err(|e| fail(chain(&e)))?;
    tera.render(TEMPLATE_NAME, &ctx)
        .map(String::into_bytes)
        .map_err(|e| fail(format!("template failed: {}", chain(&e))))
}

/// A tera error with its causes, on one line.
fn chain(e: &tera::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(c) = cur {
        parts.push(c.to_string());
        cur = c.source();
    }
    parts.join(": ").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_become_code_segments() {
        let s = segments("Set `a: b` or `c`.");
        let got: Vec<(&str, bool)> = s.iter().map(|s| (s.text.as_str(), s.code)).collect();
        assert_eq!(
            got,
            [
                ("Set ", false),
                ("a: b", true),
                (" or ", false),
                ("c", true),
                (".", false)
            ]
        );
        let s = segments("a ` b");
        let got: Vec<(&str, bool)> = s.iter().map(|s| (s.text.as_str(), s.code)).collect();
        assert_eq!(got, [("a ", false), ("`", false), (" b", false)]);
    }

    #[test]
    fn the_embedded_template_renders_an_empty_scan() {
        let o = ScanOutcome::default();
        let ctx = ReportContext {
            outcome: &o,
            color: false,
            gate: Gate::default(),
            template: None,
            sarif_category: None,
        };
        let html = String::from_utf8(render(&ctx).unwrap()).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
        assert!(html.contains("100"));
    }

    #[test]
    fn user_templates_are_autoescaped() {
        let o = ScanOutcome {
            errors: vec![crate::source::InputError {
                column: None,
                file: "<script>alert(1)</script>".into(),
                line: None,
                message: "x".into(),
            }],
            ..ScanOutcome::default()
        };
        let ctx = ReportContext {
            outcome: &o,
            color: false,
            gate: Gate::default(),
            template: Some("{% for e in errors %}{{ e }}{% endfor %}".into()),
            sarif_category: None,
        };
        let html = String::from_utf8(render(&ctx).unwrap()).unwrap();
        assert!(html.starts_with("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn a_broken_template_is_an_error_not_a_panic() {
        let o = ScanOutcome::default();
        let ctx = ReportContext {
            outcome: &o,
            color: false,
            gate: Gate::default(),
            template: Some("{% if %}".into()),
            sarif_category: None,
        };
        let e = render(&ctx).unwrap_err();
        assert!(e.to_string().contains("bad template"), "{e}");
        assert!(!e.to_string().contains('\n'));
    }
}
