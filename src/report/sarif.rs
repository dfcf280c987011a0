//! `--format sarif`: SARIF 2.1.0 built with serde_sarif, right for GitHub code scanning by
//! construction: one run, `results` always present, repo-relative URIs, full regions,
//! `partialFingerprints`, rules with descriptions, help, `security-severity` and tags,
//! `automationDetails.id`, and a notification when results are capped.

use std::collections::BTreeMap;

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor,
    Result as SResult, ResultLevel, Run, RunAutomationDetails, Sarif, Tool, ToolComponent,
};

use super::escape::uri_path;
use super::{ReportContext, TOOL_NAME, TOOL_VERSION};
use crate::catalog::{Rule, Severity};
use crate::diag::Diagnostic;
use crate::finding::Finding;

/// GitHub code scanning accepts at most this many results per run.
pub const GITHUB_RESULT_CAP: usize = 25_000;

fn level(s: Severity) -> ResultLevel {
    match s {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

fn level_str(s: Severity) -> &'static str {
    match level(s) {
        ResultLevel::Error => "error",
        ResultLevel::Warning => "warning",
        _ => "note",
    }
}

fn baseline_state(s: crate::finding::BaselineState) -> &'static str {
    match s {
        crate::finding::BaselineState::New => "new",
        crate::finding::BaselineState::Unchanged => "unchanged",
        crate::finding::BaselineState::Absent => "absent",
    }
}

/// A result for a baseline entry that no longer occurs.
fn absent_result(e: &crate::baseline::BaselineEntry, index: usize) -> SResult {
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(ArtifactLocation::builder().uri(uri_path(&e.file)).build())
                .region(
                    Region::builder()
                        .start_line(i64::from(e.line.max(1)))
                        .build(),
                )
                .build(),
        )
        .build();
    let mut fp = BTreeMap::new();
    fp.insert("confgate/v1".to_string(), e.fingerprint.clone());
    SResult::builder()
        .rule_id(e.rule_id.clone())
        .rule_index(index as i64)
        .level(ResultLevel::None)
        .message(text(e.message.clone()))
        .locations(vec![location])
        .partial_fingerprints(fp)
        .baseline_state(json!("absent"))
        .build()
}

fn text(s: impl Into<String>) -> Message {
    Message::builder().text(s.into()).build()
}

fn descriptor(r: &Rule) -> ReportingDescriptor {
    let mut tags = vec![
        "security".to_string(),
        "kubernetes".to_string(),
        r.category.clone(),
    ];
    for f in r.frameworks.keys() {
        // SARIF tags are a set (the `gdpr` category and framework share a name).
        if !tags.iter().any(|t| t == f.as_str()) {
            tags.push(f.as_str().to_string());
        }
    }
    let mut extra = BTreeMap::new();
    extra.insert(
        "security-severity".to_string(),
        json!(r.severity.security_severity()),
    );
    extra.insert("precision".to_string(), json!("high"));
    extra.insert("problem.severity".to_string(), json!(level_str(r.severity)));
    extra.insert("frameworks".to_string(), json!(r.frameworks));
    let help_md = format!(
        "{}\n\n**Fix:** {}\n\n{}",
        r.summary,
        r.remediation,
        r.help.trim()
    );
    ReportingDescriptor::builder()
        .id(r.id.clone())
        .name(r.name.clone())
        .short_description(
            MultiformatMessageString::builder()
                .text(r.summary.clone())
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(format!("{}. {}", r.summary, r.remediation))
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(format!("{}. Fix: {}", r.summary, r.remediation))
                .markdown(help_md)
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level_str(r.severity)))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(extra)
                .build(),
        )
        .build()
}

/// Where a finding is: a file region, or for a live object (`scan --cluster`) a logical
/// location naming the object in its cluster (there is no file to point into).
fn location(f: &Finding, live: bool) -> Location {
    if live {
        let name = f.file.strip_prefix("cluster/").unwrap_or(&f.file);
        return Location::builder()
            .logical_locations(vec![
                serde_sarif::sarif::LogicalLocation::builder()
                    .name(f.resource.name.clone())
                    .fully_qualified_name(name.to_string())
                    .kind("resource".to_string())
                    .build(),
            ])
            .build();
    }
    let region = Region::builder()
        .start_line(i64::from(f.line.max(1)))
        .start_column(i64::from(f.column.max(1)))
        .end_line(i64::from(f.end_line.max(f.line).max(1)))
        .end_column(i64::from(f.end_column.max(1)))
        .build();
    Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(ArtifactLocation::builder().uri(uri_path(&f.file)).build())
                .region(region)
                .build(),
        )
        .build()
}

fn result(f: &Finding, index: usize, live: bool) -> SResult {
    let location = location(f, live);
    let mut fp = BTreeMap::new();
    fp.insert("confgate/v1".to_string(), f.fingerprint.clone());
    let mut props = BTreeMap::new();
    props.insert("path".to_string(), json!(f.path));
    props.insert("resource".to_string(), json!(f.resource));
    props.insert("severity".to_string(), json!(f.severity));
    if let Some(s) = &f.source {
        props.insert("source".to_string(), json!(s));
    }
    let mut b = SResult::builder()
        .rule_id(f.rule_id.clone())
        .rule_index(index as i64)
        .level(level(f.severity))
        .message(text(f.message.clone()))
        .locations(vec![location])
        .partial_fingerprints(fp)
        .properties(PropertyBag::builder().additional_properties(props).build())
        .build();
    if let Some(state) = f.baseline_state {
        b.baseline_state = Some(json!(baseline_state(state)));
    }
    if let Some(s) = &f.suppressed {
        b.suppressions = Some(vec![
            serde_sarif::sarif::Suppression::builder()
                .kind(json!(if s.kind == "inSource" {
                    "inSource"
                } else {
                    "external"
                }))
                .justification(s.justification.clone())
                .status(json!("accepted"))
                .build(),
        ]);
    }
    b
}

/// One result of the run, made only when it is written: a finding (with its rule index and
/// whether it is a live object) or a baseline entry no finding matched.
enum Item<'a> {
    Found(&'a Finding, usize, bool),
    Absent(&'a crate::baseline::BaselineEntry, usize),
}

impl Item<'_> {
    fn result(&self) -> SResult {
        match self {
            Item::Found(f, i, live) => result(f, *i, *live),
            Item::Absent(e, i) => absent_result(e, *i),
        }
    }
}

pub fn render(ctx: &ReportContext<'_>) -> Result<Vec<u8>, Diagnostic> {
    let mut out = Vec::new();
    render_to(ctx, &mut out)?;
    Ok(out)
}

/// Writes the log with its results produced one at a time: the run is serialized with an
/// empty `results` array, and the results are written into it as they are made, each
/// indented as it would be inside the whole document, so the bytes are those of
/// serializing the whole log at once (a test checks it) without ever holding 25,000 results
/// and their text together.
pub fn render_to(ctx: &ReportContext<'_>, w: &mut dyn std::io::Write) -> Result<(), Diagnostic> {
    let (sarif, items) = log(ctx);
    write_streamed(&sarif, &items, w)
}

/// The log with an empty `results` array, and the results to write into it.
fn log<'a>(ctx: &ReportContext<'a>) -> (Sarif, Vec<Item<'a>>) {
    let o = ctx.outcome;
    // Rules: every rule that ran, once, in id order; results refer to them by index.
    let mut rules: Vec<&Rule> = o.rules.iter().collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    rules.dedup_by(|a, b| a.id == b.id);
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();

    let mut items = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in &o.findings {
        if !seen.insert((&f.fingerprint, &f.file, f.line, f.column)) {
            continue;
        }
        if let Some(i) = index.get(f.rule_id.as_str()) {
            let live = o.sources.get(&f.file).is_some_and(|s| s.live);
            items.push(Item::Found(f, *i, live));
        }
    }
    drop(seen);
    for e in o.absent.iter().flatten() {
        if let Some(i) = index.get(e.rule_id.as_str()) {
            items.push(Item::Absent(e, *i));
        }
    }
    let total = items.len();
    let mut notes = Vec::new();
    if total > GITHUB_RESULT_CAP {
        items.truncate(GITHUB_RESULT_CAP);
        notes.push(
            Notification::builder()
                .level(json!("warning"))
                .message(text(format!(
                    "results capped at {GITHUB_RESULT_CAP} of {total} (GitHub code scanning's limit per run); use --format json for all"
                )))
                .build(),
        );
    }
    for e in &o.errors {
        let mut region = Region::builder().build();
        if let Some(l) = e.line_number() {
            region.start_line = Some(i64::from(l.max(1)));
            region.start_column = e.column_number().map(|c| i64::from(c.max(1)));
        }
        notes.push(
            Notification::builder()
                .level(json!("error"))
                .message(text(e.message.clone()))
                .locations(vec![
                    Location::builder()
                        .physical_location(
                            PhysicalLocation::builder()
                                .artifact_location(
                                    ArtifactLocation::builder()
                                        .uri(uri_path(e.file_name().unwrap_or_default()))
                                        .build(),
                                )
                                .region(region)
                                .build(),
                        )
                        .build(),
                ])
                .build(),
        );
    }
    let mut invocation = Invocation::builder()
        .execution_successful(o.errors.is_empty())
        .build();
    if !o.warnings.is_empty() {
        invocation.tool_configuration_notifications = Some(
            o.warnings
                .iter()
                .map(|w| {
                    Notification::builder()
                        .level(json!("warning"))
                        .message(text(w.clone()))
                        .build()
                })
                .collect(),
        );
    }
    if !notes.is_empty() {
        invocation.tool_execution_notifications = Some(notes);
    }
    let driver = ToolComponent::builder()
        .name(TOOL_NAME)
        .version(TOOL_VERSION)
        .semantic_version(TOOL_VERSION)
        .information_uri("https://github.com/confgate/confgate")
        .rules(rules.iter().map(|r| descriptor(r)).collect::<Vec<_>>())
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(Vec::new())
        .invocations(vec![invocation])
        .automation_details(
            RunAutomationDetails::builder()
                .id(format!(
                    "{}/",
                    ctx.sarif_category
                        .as_deref()
                        .unwrap_or("confgate/scan")
                        .trim_end_matches('/')
                ))
                .build(),
        )
        .column_kind(json!("unicodeCodePoints"))
        .build();
    let sarif = Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json")
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    (sarif, items)
}

fn write_streamed(
    sarif: &Sarif,
    items: &[Item<'_>],
    w: &mut dyn std::io::Write,
) -> Result<(), Diagnostic> {
    let fail = |e: String| crate::report::report_error("sarif", e);
    let log = serde_json::to_string_pretty(sarif).map_err(|e| fail(e.to_string()))?;
    // The one empty `results` array of the run: a JSON string cannot hold this unescaped.
    let marker = "\"results\": []";
    let (head, tail) = match log.find(marker) {
        Some(at) => (&log[..at], &log[at + marker.len()..]),
        None => return Err(fail("the run has no results array".to_string())),
    };
    // The run's members are indented by 6 spaces, so its results by 8.
    let io = |e: std::io::Error| fail(e.to_string());
    w.write_all(head.as_bytes()).map_err(io)?;
    if items.is_empty() {
        w.write_all(marker.as_bytes()).map_err(io)?;
    } else {
        w.write_all(b"\"results\": [").map_err(io)?;
        let mut one = Vec::new();
        for (n, item) in items.iter().enumerate() {
            one.clear();
            serde_json::to_writer_pretty(&mut one, &item.result())
                .map_err(|e| fail(e.to_string()))?;
            w.write_all(if n == 0 {
                b"\n        "
            } else {
                b",\n        "
            })
            .map_err(io)?;
            for (k, line) in one.split(|b| *b == b'\n').enumerate() {
                if k > 0 {
                    w.write_all(b"\n        ").map_err(io)?;
                }
                w.write_all(line).map_err(io)?;
            }
        }
        w.write_all(b"\n      ]").map_err(io)?;
    }
    w.write_all(tail.as_bytes()).map_err(io)?;
    w.write_all(b"\n").map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streamed log is, byte for byte, the log serialized whole with its results.
    #[test]
    fn streamed_results_are_the_bytes_of_the_whole_log() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let opts = crate::scan::ScanOptions {
            jobs: 1,
            ..crate::scan::ScanOptions::default()
        };
        let outcome = match crate::scan::scan(&["tests/fixtures/rules".to_string()], &opts, dir) {
            Ok(o) => o,
            Err(e) => panic!("{e}"),
        };
        assert!(outcome.findings.len() > 100);
        for outcome in [outcome, crate::scan::ScanOutcome::default()] {
            let ctx = ReportContext {
                outcome: &outcome,
                color: false,
                gate: crate::gate::Gate::new(Severity::High),
                template: None,
                sarif_category: None,
            };
            let (mut whole, items) = log(&ctx);
            let mut streamed = Vec::new();
            if let Err(e) = write_streamed(&whole, &items, &mut streamed) {
                panic!("{e}");
            }
            whole.runs[0].results = Some(items.iter().map(Item::result).collect());
            let mut expected = match serde_json::to_vec_pretty(&whole) {
                Ok(v) => v,
                Err(e) => panic!("{e}"),
            };
            expected.push(b'\n');
            assert_eq!(
                String::from_utf8_lossy(&streamed),
                String::from_utf8_lossy(&expected)
            );
        }
    }
}
