//! Snapshots of `confgate scan` in every report format (insta; files in `tests/snapshots/`),
//! so that moving code around cannot change what users see without a reviewed snapshot
//! update. After an intended change: `INSTA_UPDATE=always cargo test --test snapshots`, then
//! review the diff of `tests/snapshots/*.snap` before committing it.
//!
//! The scan is fixed: three rule fixtures (a Deployment, a ClusterRole, a Service) with seven
//! selected rules, so that every severity appears (critical, high, medium, low, info) while
//! the SARIF rule table stays small. Paths are relative to the repository root, the settings
//! file is the isolated one of the other tests, colour is off. The tool version is the only
//! volatile value; it is replaced by `[version]`, and the absolute repository path (should
//! one ever appear) by `[repo]`.

// Test code: the shared helpers of `common` (and these tests) fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::Value;

use common::{Run, confgate_in_repo, has_ansi, repo_root, run};

const FIXTURES: &[&str] = &[
    "tests/fixtures/rules/CG1001/fail.yaml",
    "tests/fixtures/rules/CG2001/fail.yaml",
    "tests/fixtures/rules/CG3009/fail.yaml",
];

/// critical CG1001, high CG2001 and CG3009, medium CG1012 and CG3001, low CG5003, info CG5010.
const RULES: &[&str] = &[
    "CG1001", "CG1012", "CG2001", "CG3001", "CG3009", "CG5003", "CG5010",
];

/// `confgate scan` of the fixed inputs in `format`; the gate fails (exit 1: high findings).
fn scan(format: &str) -> Run {
    let mut cmd = confgate_in_repo();
    cmd.arg("scan").args(FIXTURES);
    for rule in RULES {
        cmd.args(["--select", rule]);
    }
    cmd.args(["--format", format, "--color", "never"]);
    let out = run(&mut cmd);
    out.expect_code(1);
    assert!(
        out.stderr.trim().is_empty(),
        "nothing on stderr:\n{}",
        out.stderr
    );
    assert!(!has_ansi(&out.stdout), "no colour in {format} output");
    out
}

/// Text with the absolute repository path replaced by `[repo]`.
fn normalize_text(s: &str) -> String {
    let root = repo_root();
    s.replace(&root.to_string_lossy().into_owned(), "[repo]")
}

/// JSON with the version at each of `version_pointers` replaced by `[version]` (each must
/// hold this build's version, so that a moved field is noticed) and the repository path
/// replaced by `[repo]` in every string.
fn normalize_json(mut v: Value, version_pointers: &[&str]) -> Value {
    for pointer in version_pointers {
        let slot = v
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("no {pointer} in the report"));
        assert_eq!(
            slot.as_str(),
            Some(env!("CARGO_PKG_VERSION")),
            "{pointer} is the tool version"
        );
        *slot = Value::String("[version]".into());
    }
    redact_repo(&mut v);
    v
}

fn redact_repo(v: &mut Value) {
    match v {
        Value::String(s) => *s = normalize_text(s),
        Value::Array(items) => items.iter_mut().for_each(redact_repo),
        Value::Object(map) => map.values_mut().for_each(redact_repo),
        _ => {}
    }
}

#[test]
fn the_text_report_matches_its_snapshot() {
    insta::assert_snapshot!("text", normalize_text(&scan("text").stdout));
}

#[test]
fn the_json_report_matches_its_snapshot() {
    let report = normalize_json(scan("json").json(), &["/tool/version"]);
    insta::assert_json_snapshot!("json", report);
}

#[test]
fn the_sarif_report_matches_its_snapshot() {
    let report = normalize_json(
        scan("sarif").json(),
        &[
            "/runs/0/tool/driver/version",
            "/runs/0/tool/driver/semanticVersion",
        ],
    );
    insta::assert_json_snapshot!("sarif", report);
}

#[test]
fn the_csv_report_matches_its_snapshot() {
    insta::assert_snapshot!("csv", normalize_text(&scan("csv").stdout));
}

#[test]
fn the_junit_report_matches_its_snapshot() {
    insta::assert_snapshot!("junit", normalize_text(&scan("junit").stdout));
}

#[test]
fn the_markdown_report_matches_its_snapshot() {
    insta::assert_snapshot!("markdown", normalize_text(&scan("markdown").stdout));
}

#[test]
fn the_github_annotations_match_their_snapshot() {
    insta::assert_snapshot!("github", normalize_text(&scan("github").stdout));
}

#[test]
fn the_snapshot_scan_covers_every_severity() {
    // Keeps the fixture set honest: the snapshots above show every severity.
    let report = scan("json").json();
    for severity in ["critical", "high", "medium", "low", "info"] {
        assert!(
            report["summary"]["by_severity"][severity].as_u64() > Some(0),
            "no {severity} finding in the snapshot scan: {:#}",
            report["summary"]
        );
    }
}
