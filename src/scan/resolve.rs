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
/// When the inline ignore holds a glob, what the glob did is pushed to `inline` (the
/// per-scan step turns it into warnings, as waiver-file warnings are).
pub(super) fn per_document(
    selection: &Selection,
    doc: &Document,
    findings: Vec<Finding>,
    inline: &mut Vec<waiver::InlineUse>,
) -> Vec<Finding> {
    let ignore = waiver::InlineIgnore::of(doc);
    let mut usage = ignore.as_ref().map(|ig| ig.usage(doc));
    let kept = findings
        .into_iter()
        .filter_map(|mut f| {
            override_severity(selection, &mut f);
            if let (Some(ig), Some(u)) = (&ignore, usage.as_mut()) {
                ig.apply(&mut f, u);
            }
            shown(selection, &f).then_some(f)
        })
        .collect();
    if let Some(u) = usage
        && !(u.suppressed.is_empty() && u.held_back.is_empty())
    {
        inline.push(u);
    }
    kept
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
    // In place (a stable sort would allocate half the findings again): the tie-breakers
    // after the sort key make the order total, so it is the same on every run.
    outcome.findings.sort_unstable_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.document_index.cmp(&b.document_index))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
            .then_with(|| (a.end_line, a.end_column).cmp(&(b.end_line, b.end_column)))
            .then_with(|| a.severity.cmp(&b.severity))
    });
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
    outcome
        .warnings
        .extend(waiver::inline_warnings(&outcome.inline_ignores));
    if let Some(b) = &options.baseline {
        outcome.absent = Some(b.classify(&mut outcome.findings));
    }
}
