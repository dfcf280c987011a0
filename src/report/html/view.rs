//! The HTML page's view model: what the template sees (summary, compliance, findings with
//! masked code frames, filters), built from a scan outcome, the gate and the audit data.
//! Tera's autoescape handles HTML metacharacters; text from the scanned files also has its
//! control characters made visible (`escape::control`), as in every other format.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::audit::Checklist;
use crate::audit::exposure::Exposure;
use crate::audit::risk::{Recommendation, RiskMatrix};
use crate::catalog::{Rule, Severity};
use crate::compliance::framework_scores;
use crate::finding::{Finding, by_severity, security_score};
use crate::gate::Gate;
use crate::report::frame::{self, Masks};
use crate::scan::ScanOutcome;
use crate::{TOOL_NAME, TOOL_VERSION};

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
pub(super) struct Page<'a> {
    pub(super) title: &'static str,
    /// `scan` or `audit`.
    pub(super) kind: &'static str,
    tool: Tool,
    summary: Summary,
    compliance: Vec<Compliance>,
    checklists: Option<&'a [Checklist]>,
    matrix: &'a RiskMatrix,
    recommendations: Vec<RecView<'a>>,
    findings: Vec<FindingView>,
    filters: Filters,
    errors: Vec<String>,
    /// `rollback --format html`: the impact analysis (objects, policy delta, risks).
    pub(super) rollback: Option<serde_json::Value>,
}

pub(super) fn page<'a>(
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
    let masks = Masks::new(&o.findings, &o.sources);
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
        rollback: None,
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
        errors: o.errors.iter().map(|e| safe(&e.to_string())).collect(),
    }
}

/// Text from the scanned files with control characters escaped.
fn safe(s: &str) -> String {
    crate::report::escape::control(s).into_owned()
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
        message: safe(&f.message),
        file: safe(&f.file),
        line: f.line,
        column: f.column,
        kind: f.resource.kind.clone(),
        namespace: f
            .resource
            .namespace
            .clone()
            .unwrap_or_else(|| NO_NAMESPACE.to_string()),
        name: safe(&f.resource.name),
        path: safe(&f.path),
        source: f.source.as_deref().map(safe),
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
}
