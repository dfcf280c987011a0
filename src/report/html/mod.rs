//! `--format html` (and `audit --format html`): one self-contained page rendered from the tera
//! template `reports/report.html` (embedded; `--template FILE` replaces it).
//!
//! The page shows the security score, per-framework compliance (the audit's checklists when
//! given), a risk matrix (severity × exposure), prioritized recommendations and every
//! finding with its masked code frame and fix, filterable and searchable by inline script.
//! Everything from the scan is escaped by tera's autoescape (the template is registered under
//! a `.html` name, whatever file it came from); secret values are masked in frames exactly as
//! in the text report (see `frame`).

use super::ReportContext;
use crate::audit::Audit;
use crate::audit::exposure::{self, Exposure, ExposureMap};
use crate::audit::risk;
use crate::diag::Diagnostic;
use crate::gate::Gate;
use crate::scan::ScanOutcome;

mod view;

use view::{Page, page};

/// The embedded template.
pub const TEMPLATE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/reports/report.html"));

/// The name templates are registered under; its `.html` suffix turns autoescape on.
const TEMPLATE_NAME: &str = "report.html";

fn fail(message: String) -> Diagnostic {
    crate::report::report_error("html", message)
}

/// `scan --format html`.
pub fn render(ctx: &ReportContext<'_>) -> Result<Vec<u8>, Diagnostic> {
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
) -> Result<Vec<u8>, Diagnostic> {
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

/// `rollback --format html`: the target revision's scan with the rollback's impact
/// analysis (`impact`, the JSON `rollback` prints) as a section of its own.
pub fn render_rollback(
    target_scan: &ScanOutcome,
    gate: Gate,
    impact: serde_json::Value,
    template: Option<&str>,
) -> Result<Vec<u8>, Diagnostic> {
    let docs = exposure::documents_from_sources(&target_scan.sources);
    let map = exposure::classify(&docs);
    let ex: Vec<(Exposure, Vec<String>)> = target_scan
        .findings
        .iter()
        .map(|f| (map.of(&f.resource), map.reasons(&f.resource).to_vec()))
        .collect();
    let matrix = risk::risk_matrix(&target_scan.findings, &map);
    let recs = risk::recommendations(&target_scan.findings, &target_scan.rules, &map);
    let mut page = page(target_scan, gate, &ex, &matrix, &recs, None);
    page.title = "confgate rollback";
    page.kind = "rollback";
    page.rollback = Some(impact);
    render_page(&page, template)
}

/// Renders the page with the embedded template or `template`.
fn render_page(page: &Page<'_>, template: Option<&str>) -> Result<Vec<u8>, Diagnostic> {
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
            errors: vec![crate::diag::Diagnostic::in_file(
                crate::diag::Code::Unreadable,
                "<script>alert(1)</script>",
                "x",
            )],
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
