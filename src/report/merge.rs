//! `confgate report merge`: shard reports (`scan --shard I/N`) back into one.
//!
//! JSON reports are merged into a scan outcome and rendered again, so the merged report is
//! exactly what one full scan writes. SARIF logs are merged into one run: rules deduplicated by
//! id, results deduplicated by rule, location and fingerprint, rule indexes renumbered.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_sarif::sarif::{Notification, ReportingDescriptor, Result as SResult, Sarif};

use super::{GITHUB_RESULT_CAP, OutputFormat, ReportContext, render};
use crate::catalog::Catalog;
use crate::diag::{Code, Diagnostic};
use crate::finding::Finding;
use crate::gate::Gate;
use crate::scan::ScanOutcome;

#[derive(Deserialize)]
struct JsonSummary {
    files: usize,
    documents: usize,
}

#[derive(Deserialize)]
struct JsonReport {
    summary: JsonSummary,
    #[serde(default)]
    rules: Vec<String>,
    findings: Vec<Finding>,
    errors: Vec<Diagnostic>,
}

/// Merges JSON reports into the outcome one full scan would have had; `inputs` are (file
/// name, contents). Render it with [`render`] and judge it with the gate like a scan.
pub fn merge_json(inputs: &[(String, String)]) -> Result<ScanOutcome, Diagnostic> {
    let catalog = Catalog::builtin()?;
    let mut outcome = ScanOutcome::default();
    let mut rule_ids = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (name, text) in inputs {
        let r: JsonReport = serde_json::from_str(text).map_err(|e| {
            Diagnostic::new(Code::Report, format!("not a confgate JSON report: {e}"))
                .file(name.clone())
        })?;
        outcome.files += r.summary.files;
        outcome.documents += r.summary.documents;
        rule_ids.extend(r.rules);
        for f in r.findings {
            let key = (
                f.file.clone(),
                f.document_index,
                f.fingerprint.clone(),
                f.line,
                f.message.clone(),
            );
            if seen.insert(key) {
                outcome.findings.push(f);
            }
        }
        outcome.errors.extend(r.errors);
    }
    outcome.rules = catalog
        .rules
        .into_iter()
        .filter(|r| rule_ids.contains(&r.id))
        .collect();
    outcome
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    outcome.errors.sort();
    outcome.errors.dedup();
    Ok(outcome)
}

/// The merged outcome as the JSON report, with `gate`'s verdict in it.
pub fn render_json(outcome: &ScanOutcome, gate: Gate) -> Result<Vec<u8>, Diagnostic> {
    let ctx = ReportContext {
        outcome,
        color: false,
        gate,
        template: None,
        sarif_category: None,
    };
    render(OutputFormat::Json, &ctx).map_err(|e| Diagnostic::new(Code::Report, e.to_string()))
}

/// A result's first location: URI, start line and start column.
fn location(r: &SResult) -> (String, Option<i64>, Option<i64>) {
    let loc = r
        .locations
        .as_ref()
        .and_then(|l| l.first())
        .and_then(|l| l.physical_location.as_ref());
    let uri = loc
        .and_then(|p| p.artifact_location.as_ref())
        .and_then(|a| a.uri.clone())
        .unwrap_or_default();
    let region = loc.and_then(|p| p.region.as_ref());
    (
        uri,
        region.and_then(|r| r.start_line),
        region.and_then(|r| r.start_column),
    )
}

fn result_key(r: &SResult) -> String {
    let (uri, line, column) = location(r);
    format!(
        "{}|{uri}|{line:?}|{column:?}|{:?}",
        r.rule_id.clone().unwrap_or_default(),
        r.partial_fingerprints
    )
}

fn order_key(r: &SResult) -> (String, i64, i64, String, String, String) {
    let (uri, line, column) = location(r);
    let path = r
        .properties
        .as_ref()
        .and_then(|p| p.additional_properties.get("path"))
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    (
        uri,
        line.unwrap_or(0),
        column.unwrap_or(0),
        r.rule_id.clone().unwrap_or_default(),
        path,
        r.message.text.clone().unwrap_or_default(),
    )
}

/// Merges SARIF logs into one log with one run.
pub fn merge_sarif(inputs: &[(String, String)]) -> Result<Vec<u8>, Diagnostic> {
    let mut logs = Vec::new();
    for (name, text) in inputs {
        let log: Sarif = serde_json::from_str(text).map_err(|e| {
            Diagnostic::new(Code::Report, format!("not a SARIF 2.1.0 log: {e}")).file(name.clone())
        })?;
        logs.push((name, log));
    }
    let Some((first_name, first)) = logs.first() else {
        return Err(Diagnostic::new(Code::Report, "no input files".to_string())
            .file("report merge".to_string()));
    };
    let Some(mut base) = first.runs.first().cloned() else {
        return Err(
            Diagnostic::new(Code::Report, "the log has no run".to_string())
                .file((*first_name).clone()),
        );
    };
    let mut rules: BTreeMap<String, ReportingDescriptor> = BTreeMap::new();
    let mut results: BTreeMap<String, SResult> = BTreeMap::new();
    let mut notes: Vec<Notification> = Vec::new();
    let mut successful = true;
    for (_, log) in &logs {
        for run in &log.runs {
            let run_rules = run.tool.driver.rules.clone().unwrap_or_default();
            for r in &run_rules {
                rules.entry(r.id.clone()).or_insert_with(|| r.clone());
            }
            for res in run.results.clone().unwrap_or_default() {
                results.entry(result_key(&res)).or_insert(res);
            }
            for inv in run.invocations.clone().unwrap_or_default() {
                successful &= inv.execution_successful;
                for n in inv.tool_execution_notifications.unwrap_or_default() {
                    let capped = n
                        .message
                        .text
                        .as_deref()
                        .is_some_and(|t| t.starts_with("results capped"));
                    if !capped {
                        notes.push(n);
                    }
                }
            }
        }
    }
    let index: BTreeMap<String, i64> = rules
        .keys()
        .enumerate()
        .map(|(i, id)| (id.clone(), i as i64))
        .collect();
    let mut merged: Vec<SResult> = results
        .into_values()
        .map(|mut r| {
            r.rule_index = r.rule_id.as_ref().and_then(|id| index.get(id).copied());
            r
        })
        .collect();
    // The order of a single scan: file, position, rule, path, message.
    merged.sort_by_cached_key(order_key);
    let total = merged.len();
    if total > GITHUB_RESULT_CAP {
        merged.truncate(GITHUB_RESULT_CAP);
        notes.push(
            Notification::builder()
                .level(serde_json::json!("warning"))
                .message(
                    serde_sarif::sarif::Message::builder()
                        .text(format!(
                            "results capped at {GITHUB_RESULT_CAP} of {total} (GitHub code scanning's limit per run)"
                        ))
                        .build(),
                )
                .build(),
        );
    }
    base.tool.driver.rules = Some(rules.into_values().collect());
    base.results = Some(merged);
    let mut invocation = serde_sarif::sarif::Invocation::builder()
        .execution_successful(successful)
        .build();
    if !notes.is_empty() {
        invocation.tool_execution_notifications = Some(notes);
    }
    base.invocations = Some(vec![invocation]);
    let mut out = first.clone();
    out.runs = vec![base];
    let mut bytes = serde_json::to_vec_pretty(&out)
        .map_err(|e| Diagnostic::new(Code::Report, e.to_string()))?;
    bytes.push(b'\n');
    Ok(bytes)
}
