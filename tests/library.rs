//! The built-in library as a whole: its Rego unit tests pass, the committed rule docs are
//! current, and the catalog exports are complete.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use confgate::catalog::Catalog;
use confgate::engine::regotest::{Outcome, run_tests};
use confgate::ruledocs::{ExportFormat, all_pages, export, mapping_rows};
use confgate::scan::builtin_sources;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn builtin_rego_unit_tests_pass() {
    let run = run_tests(&builtin_sources(true), false, None).expect("the library loads");
    let failures: Vec<String> = run
        .results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| {
            format!(
                "{}:{} {} {:?}",
                r.test.file, r.test.line, r.test.name, r.outcome
            )
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn committed_rule_docs_are_current() {
    let catalog = Catalog::builtin().unwrap();
    let dir = root().join("docs/rules");
    let mut stale = Vec::new();
    for (name, text) in all_pages(&catalog) {
        if std::fs::read_to_string(dir.join(&name)).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !all_pages(&catalog).iter().any(|(n, _)| *n == name) {
            stale.push(format!("{name} (no such rule)"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale rule docs (run `cargo run -- rules docs`): {stale:?}"
    );
}

#[test]
fn rules_docs_check_mode_agrees() {
    let out = Command::new(env!("CARGO_BIN_EXE_confgate"))
        .args(["rules", "docs", "--check", "--output"])
        .arg(root().join("docs/rules"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn export_lists_every_mapping_in_every_format() {
    let catalog = Catalog::builtin().unwrap();
    let expected: usize = catalog
        .rules
        .iter()
        .map(|r| r.frameworks.values().map(Vec::len).sum::<usize>())
        .sum();
    assert_eq!(mapping_rows(&catalog, None).len(), expected);
    let csv = export(&catalog, ExportFormat::Csv, None).unwrap();
    assert_eq!(csv.lines().count(), expected + 1);
    assert!(csv.starts_with("rule_id,rule_name,severity,category,framework,control"));
    let json: serde_json::Value =
        serde_json::from_str(&export(&catalog, ExportFormat::Json, None).unwrap()).unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(expected));
    let md = export(&catalog, ExportFormat::Markdown, None).unwrap();
    assert_eq!(md.lines().count(), expected + 2);
}

#[test]
fn framework_scores_appear_in_the_json_summary() {
    let out = Command::new(env!("CARGO_BIN_EXE_confgate"))
        .args(["scan", "--format", "json", "--select", "CG1001"])
        .arg(root().join("tests/fixtures/rules/CG1001/fail.yaml"))
        .env(
            "CONFGATE_CONFIG",
            root().join("tests/fixtures/cli/isolated-confgate.toml"),
        )
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cis = &v["summary"]["frameworks"]["cis-k8s"];
    assert_eq!(cis["controls"], 1);
    assert_eq!(cis["passed"], 0);
    assert_eq!(cis["score"], 0);
    assert_eq!(cis["failing"][0], "5.2.2");
}
