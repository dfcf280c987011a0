//! Resolution: the one sink every finding passes through before anyone sees it.
//!
//! Per document: severity overrides (`[severity-overrides]`), the document's inline ignore
//! annotation, then `--severity`. Per scan, once: a stable order, duplicates removed,
//! waivers (with their expiry against the call's date) and the baseline. Built-in and user
//! rules go through the same steps, so a waiver or an annotation means the same for both.

use crate::document::Document;
use crate::finding::Finding;
use crate::waiver;

use super::{ScanOptions, ScanOutcome, Selection};

/// Severity overrides, the inline ignore of `doc` and `--severity`, on `doc`'s findings.
pub(super) fn per_document(
    selection: &Selection,
    doc: &Document,
    findings: Vec<Finding>,
) -> Vec<Finding> {
    let ignores = waiver::inline_ignores(doc);
    findings
        .into_iter()
        .filter_map(|mut f| {
            override_severity(selection, &mut f);
            if let Some(ig) = &ignores {
                waiver::apply_inline(&mut f, ig);
            }
            shown(selection, &f).then_some(f)
        })
        .collect()
}

/// The same for findings that name no scanned document (user rules over combined input).
pub(super) fn without_document(selection: &Selection, findings: Vec<Finding>) -> Vec<Finding> {
    findings
        .into_iter()
        .filter_map(|mut f| {
            override_severity(selection, &mut f);
            shown(selection, &f).then_some(f)
        })
        .collect()
}

fn override_severity(selection: &Selection, f: &mut Finding) {
    if let Some(s) = selection.severity_overrides.get(&f.rule_id) {
        f.severity = *s;
    }
}

fn shown(selection: &Selection, f: &Finding) -> bool {
    selection.min_severity.is_none_or(|m| f.severity >= m)
}

/// Order, deduplication, waivers and baseline, once for the whole scan.
pub(super) fn per_scan(outcome: &mut ScanOutcome, options: &ScanOptions, today: i64) {
    outcome
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    outcome.findings.dedup_by(|a, b| {
        a.file == b.file
            && a.document_index == b.document_index
            && a.fingerprint == b.fingerprint
            && a.line == b.line
            && a.message == b.message
    });
    let (uses, warnings) = waiver::apply_waivers(&mut outcome.findings, &options.waivers, today);
    outcome.waivers = uses;
    outcome.warnings.extend(warnings);
    if let Some(b) = &options.baseline {
        outcome.absent = Some(b.classify(&mut outcome.findings));
    }
}
