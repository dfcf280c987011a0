//! Rendering of `confgate audit` (the audit itself is computed in [`crate::audit`]): text for
//! people, the audit as JSON, or the HTML report with the audit's checklists.

mod text;

use crate::audit::{Audit, AuditFormat};
use crate::diag::Diagnostic;
use crate::scan::ScanOutcome;

/// Renders an audit. `template` replaces the embedded HTML template (HTML only).
pub fn render(
    audit: &Audit,
    outcome: &ScanOutcome,
    format: AuditFormat,
    template: Option<&str>,
) -> Result<Vec<u8>, Diagnostic> {
    match format {
        AuditFormat::Text => Ok(text::render(audit).into_bytes()),
        AuditFormat::Json => {
            let mut out = serde_json::to_vec_pretty(audit)
                .map_err(|e| crate::report::report_error("json", e.to_string()))?;
            out.push(b'\n');
            Ok(out)
        }
        AuditFormat::Html => super::html::render_audit(outcome, audit, template),
    }
}
