//! Pod Security Standards, exactly: `--framework pss-baseline` / `pss-restricted` select the
//! rules of the controls and nothing else, and a table of small pod specs in
//! `tests/fixtures/pss/` behaves as the admission controller would:
//!
//! - `baseline-allowed-*`: no finding under pss-baseline;
//! - `baseline-forbidden-*`: at least one finding under pss-baseline (and pss-restricted);
//! - `restricted-allowed-*`: no finding under pss-restricted, nor under pss-baseline;
//! - `restricted-forbidden-*`: at least one finding under pss-restricted.
//!
//! A forbidden fixture may name the rules it must trip in `# expect: CG1xxx ...` lines; then
//! exactly those rules fire. Both back ends must agree on every fixture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use confgate::catalog::{Catalog, Framework};
use confgate::engine::EngineMode;
use confgate::scan::{ScanOptions, ScanOutcome, Selection, scan};

const ENGINES: [EngineMode; 2] = [EngineMode::Rvm, EngineMode::Interpreter];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/pss")
}

fn scan_file(file: &Path, selection: Selection, engine: EngineMode) -> ScanOutcome {
    let opts = ScanOptions {
        engine,
        selection,
        jobs: 1,
        ..ScanOptions::default()
    };
    scan(&[file.display().to_string()], &opts, &root()).expect("scan runs")
}

fn scan_framework(file: &Path, framework: Framework, engine: EngineMode) -> ScanOutcome {
    let selection = Selection {
        frameworks: vec![framework],
        ..Selection::default()
    };
    scan_file(file, selection, engine)
}

/// (rule id, path) of every finding, for comparing engines and reporting.
fn facts(out: &ScanOutcome) -> BTreeSet<(String, String)> {
    out.findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.path.clone()))
        .collect()
}

fn rule_ids(out: &ScanOutcome) -> BTreeSet<String> {
    out.findings.iter().map(|f| f.rule_id.clone()).collect()
}

/// Rule ids named in `# expect:` lines at the top of a fixture.
fn expected_ids(text: &str) -> BTreeSet<String> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("# expect:"))
        .flat_map(|l| l.split([' ', ',']).filter(|s| !s.is_empty()))
        .map(str::to_string)
        .collect()
}

fn fixture_files(prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixture directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".yaml"))
        })
        .collect();
    files.sort();
    files
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// The rules of the catalog mapped to a framework.
fn framework_rules(f: Framework) -> BTreeSet<String> {
    Catalog::builtin()
        .expect("catalog")
        .rules
        .iter()
        .filter(|r| r.in_framework(f))
        .map(|r| r.id.clone())
        .collect()
}

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

const BASELINE_RULES: [&str; 14] = [
    "CG1001", "CG1005", "CG1006", "CG1007", "CG1008", "CG1009", "CG1013", "CG1014", "CG1015",
    "CG1016", "CG1018", "CG1019", "CG1020", "CG1021",
];

const RESTRICTED_ONLY_RULES: [&str; 8] = [
    "CG1002", "CG1003", "CG1004", "CG1010", "CG1012", "CG1022", "CG1023", "CG1024",
];

#[test]
fn the_frameworks_select_exactly_the_pss_controls() {
    assert_eq!(
        framework_rules(Framework::PssBaseline),
        ids(&BASELINE_RULES)
    );
    let mut restricted = ids(&BASELINE_RULES);
    restricted.extend(ids(&RESTRICTED_ONLY_RULES));
    assert_eq!(framework_rules(Framework::PssRestricted), restricted);
}

#[test]
fn every_control_of_both_levels_has_a_rule() {
    let cat = Catalog::builtin().expect("catalog");
    let controls = |f: Framework| -> BTreeSet<String> {
        cat.rules
            .iter()
            .filter_map(|r| r.frameworks.get(&f))
            .flatten()
            .cloned()
            .collect()
    };
    let baseline = [
        "host-process",
        "host-namespaces",
        "privileged-containers",
        "capabilities",
        "hostpath-volumes",
        "host-ports",
        "apparmor",
        "selinux",
        "proc-mount",
        "seccomp",
        "sysctls",
        "host-probes-lifecycle-hooks",
    ];
    assert_eq!(controls(Framework::PssBaseline), ids(&baseline));
    let mut restricted = ids(&baseline);
    restricted.extend(ids(&[
        "volume-types",
        "privilege-escalation",
        "running-as-non-root",
        "running-as-non-root-user",
    ]));
    assert_eq!(controls(Framework::PssRestricted), restricted);
}

#[test]
fn the_table_is_large_enough_and_covers_every_pss_rule() {
    let all: Vec<PathBuf> = ["baseline-", "restricted-"]
        .iter()
        .flat_map(|p| fixture_files(p))
        .collect();
    assert!(all.len() >= 30, "only {} fixtures", all.len());
    let mut named = BTreeSet::new();
    for f in fixture_files("baseline-forbidden-")
        .iter()
        .chain(&fixture_files("restricted-forbidden-"))
    {
        named.extend(expected_ids(&std::fs::read_to_string(f).unwrap()));
    }
    let mut all_rules = ids(&BASELINE_RULES);
    all_rules.extend(ids(&RESTRICTED_ONLY_RULES));
    let missing: Vec<_> = all_rules.difference(&named).collect();
    assert!(missing.is_empty(), "no forbidden fixture trips {missing:?}");
}

/// Scans `file` under `framework` on both engines; checks they agree and returns the outcome.
fn scan_both(file: &Path, framework: Framework, failures: &mut Vec<String>) -> ScanOutcome {
    let [rvm, interp] = ENGINES.map(|e| scan_framework(file, framework, e));
    for (engine, out) in [("rvm", &rvm), ("interpreter", &interp)] {
        if !out.errors.is_empty() {
            failures.push(format!(
                "{} ({engine}): errors {:?}",
                name(file),
                out.errors
            ));
        }
        if out.documents == 0 {
            failures.push(format!("{}: no document", name(file)));
        }
    }
    if facts(&rvm) != facts(&interp) {
        failures.push(format!(
            "{} under {framework}: engines disagree: rvm {:?} vs interpreter {:?}",
            name(file),
            facts(&rvm),
            facts(&interp)
        ));
    }
    rvm
}

fn check_allowed(prefix: &str, frameworks: &[Framework]) {
    let files = fixture_files(prefix);
    assert!(!files.is_empty(), "no {prefix} fixtures");
    let mut failures = Vec::new();
    for file in &files {
        for &fw in frameworks {
            let out = scan_both(file, fw, &mut failures);
            if !out.findings.is_empty() {
                failures.push(format!(
                    "{} must pass {fw} but got {:?}",
                    name(file),
                    facts(&out)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check_forbidden(prefix: &str, framework: Framework, also: &[Framework]) {
    let files = fixture_files(prefix);
    assert!(!files.is_empty(), "no {prefix} fixtures");
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let out = scan_both(file, framework, &mut failures);
        if out.findings.is_empty() {
            failures.push(format!("{} must fail {framework} but passed", name(file)));
        }
        let expected = expected_ids(&text);
        if !expected.is_empty() && rule_ids(&out) != expected {
            failures.push(format!(
                "{} under {framework}: expected exactly {expected:?}, got {:?}",
                name(file),
                facts(&out)
            ));
        }
        for f in out.findings.iter().filter(|f| f.line <= 1) {
            failures.push(format!(
                "{}: {} points at line {}",
                name(file),
                f.path,
                f.line
            ));
        }
        for &fw in also {
            if scan_both(file, fw, &mut failures).findings.is_empty() {
                failures.push(format!("{} must also fail {fw}", name(file)));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn baseline_allowed_pods_pass_baseline() {
    check_allowed("baseline-allowed-", &[Framework::PssBaseline]);
}

#[test]
fn baseline_forbidden_pods_fail_baseline_and_restricted() {
    check_forbidden(
        "baseline-forbidden-",
        Framework::PssBaseline,
        &[Framework::PssRestricted],
    );
}

#[test]
fn restricted_allowed_pods_pass_restricted_and_baseline() {
    check_allowed(
        "restricted-allowed-",
        &[Framework::PssRestricted, Framework::PssBaseline],
    );
}

#[test]
fn restricted_forbidden_pods_fail_restricted() {
    check_forbidden("restricted-forbidden-", Framework::PssRestricted, &[]);
}

#[test]
fn restricted_forbidden_pods_that_name_restricted_rules_pass_baseline() {
    // A fixture that trips only restricted-only rules is baseline-allowed: the two levels
    // differ exactly there.
    let restricted_only = ids(&RESTRICTED_ONLY_RULES);
    let mut failures = Vec::new();
    for file in fixture_files("restricted-forbidden-") {
        let expected = expected_ids(&std::fs::read_to_string(&file).unwrap());
        if expected.is_empty() || !expected.is_subset(&restricted_only) {
            continue;
        }
        let out = scan_both(&file, Framework::PssBaseline, &mut failures);
        if !out.findings.is_empty() {
            failures.push(format!(
                "{} must pass pss-baseline but got {:?}",
                name(&file),
                facts(&out)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_namespace_rule_applies_the_enforced_level() {
    let file = fixtures().join("namespace-levels.yaml");
    let mut failures = Vec::new();
    let mut outs = Vec::new();
    for engine in ENGINES {
        let selection = Selection {
            select: vec!["CG1025".to_string()],
            ..Selection::default()
        };
        let out = scan_file(&file, selection, engine);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        outs.push(out);
    }
    if facts(&outs[0]) != facts(&outs[1]) {
        failures.push(format!(
            "engines disagree: {:?} vs {:?}",
            facts(&outs[0]),
            facts(&outs[1])
        ));
    }
    let hits: BTreeSet<(String, String, String)> = outs[0]
        .findings
        .iter()
        .map(|f| {
            (
                f.resource.namespace.clone().unwrap_or_default(),
                f.resource.name.clone(),
                f.path.clone(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        ("base", "host", "spec.hostNetwork"),
        (
            "strict",
            "app",
            "spec.containers[0].securityContext.allowPrivilegeEscalation",
        ),
        (
            "strict",
            "app",
            "spec.containers[0].securityContext.capabilities.drop",
        ),
        (
            "strict",
            "app",
            "spec.containers[0].securityContext.runAsNonRoot",
        ),
        (
            "strict",
            "app",
            "spec.containers[0].securityContext.seccompProfile",
        ),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    if hits != want {
        failures.push(format!("expected {want:?}\ngot {hits:?}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn malformed_pod_specs_never_break_evaluation() {
    let file = fixtures().join("robustness-malformed.yaml");
    let mut failures = Vec::new();
    for fw in [Framework::PssBaseline, Framework::PssRestricted] {
        scan_both(&file, fw, &mut failures);
    }
    let selection = Selection {
        select: vec!["CG1".to_string()],
        ..Selection::default()
    };
    let outs = ENGINES.map(|e| scan_file(&file, selection.clone(), e));
    for out in &outs {
        if !out.errors.is_empty() {
            failures.push(format!("errors {:?}", out.errors));
        }
    }
    if facts(&outs[0]) != facts(&outs[1]) {
        failures.push(format!(
            "engines disagree: {:?} vs {:?}",
            facts(&outs[0]),
            facts(&outs[1])
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
