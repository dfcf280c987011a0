//! End to end: manifests are read as Kubernetes reads them (YAML 1.1 via go-yaml v2), so
//! findings and errors follow the cluster's reading, not YAML 1.2's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use confgate::diag::Code;
use confgate::scan::{ScanOptions, Selection, scan};

use common::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scan_fixture(rule: &str, name: &str) -> confgate::scan::ScanOutcome {
    let opts = ScanOptions {
        selection: Selection {
            select: vec![rule.to_string()],
            ..Selection::default()
        },
        jobs: 1,
        ..ScanOptions::default()
    };
    let file = format!("tests/fixtures/yaml/{name}");
    scan(&[file], &opts, &root()).expect("scan runs")
}

#[test]
fn privileged_yes_is_a_privileged_container() {
    let out = scan_fixture("CG1001", "privileged-yes.yaml");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let f: Vec<(&str, u32, u32)> = out
        .findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.line, f.column))
        .collect();
    assert_eq!(f, vec![("CG1001", 12, 21)]);
}

#[test]
fn allow_privilege_escalation_no_is_not_a_finding() {
    let out = scan_fixture("CG1002", "escalation-no.yaml");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(out.findings.is_empty(), "{:?}", out.findings);
}

#[test]
fn a_nel_in_a_comment_cannot_hide_a_privileged_container() {
    let out = scan_fixture("CG1001", "nel-comment.yaml");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    // Line 11 as an editor shows it; the value sits after the comment and the NEL.
    let f: Vec<(&str, u32)> = out
        .findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.line))
        .collect();
    assert_eq!(f, vec![("CG1001", 11)]);
}

#[test]
fn a_kind_without_a_usable_api_version_is_a_scan_error_with_its_line() {
    let out = scan_fixture("CG1001", "kind-without-apiversion.yaml");
    let errors: Vec<(Code, Option<u32>)> = out
        .errors
        .iter()
        .map(|e| (e.code, e.line_number()))
        .collect();
    assert_eq!(
        errors,
        vec![
            (Code::InvalidObject, Some(2)),
            (Code::InvalidObject, Some(10)),
            (Code::InvalidObject, Some(15)),
        ]
    );
    assert!(
        out.errors
            .iter()
            .all(|e| e.file_name() == Some("tests/fixtures/yaml/kind-without-apiversion.yaml"))
    );
}

#[test]
fn the_cli_exits_2_on_a_kind_without_api_version_and_names_the_file() {
    let run: Run = confgate_in_repo()
        .args([
            "scan",
            "tests/fixtures/yaml/kind-without-apiversion.yaml",
            "--format",
            "json",
            "--select",
            "CG1001",
        ])
        .output()
        .expect("runs")
        .into();
    run.expect_code(2);
    let report = run.json();
    let errors = report["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 3);
    assert_eq!(errors[0]["code"], "invalid-object");
    assert_eq!(errors[0]["line"], 2);
}

#[test]
fn ambiguous_scalars_are_warned_about_with_file_line_and_column() {
    let run: Run = confgate_in_repo()
        .args([
            "scan",
            "tests/fixtures/yaml/privileged-yes.yaml",
            "--format",
            "json",
            "--select",
            "CG1001",
        ])
        .output()
        .expect("runs")
        .into();
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("tests/fixtures/yaml/privileged-yes.yaml:12:21: ambiguous plain value `yes`"),
        "{}",
        run.stderr
    );
}
