//! The rule contract (DESIGN §3): unique ids, one policy per catalog entry and back, and a
//! pass and a fail fixture for every rule that behave as their first-line comments promise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use confgate::catalog::{Catalog, Framework};
use confgate::engine::EngineMode;
use confgate::scan::{ScanOptions, Selection, scan};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn catalog() -> Catalog {
    Catalog::builtin().expect("the built-in catalog loads")
}

/// Every fixture runs on both back ends: they must agree.
const ENGINES: [EngineMode; 2] = [EngineMode::Rvm, EngineMode::Interpreter];

fn scan_with(rule: &str, file: &Path, engine: EngineMode) -> confgate::scan::ScanOutcome {
    let opts = ScanOptions {
        engine,
        selection: Selection {
            select: vec![rule.to_string()],
            ..Selection::default()
        },
        jobs: 1,
        ..ScanOptions::default()
    };
    scan(&[file.display().to_string()], &opts, &root()).expect("scan runs")
}

#[test]
fn rule_ids_are_unique_well_formed_and_named_like_their_files() {
    let cat = catalog();
    let id = regex::Regex::new(r"^CG\d{4}$").unwrap();
    let kebab = regex::Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").unwrap();
    let mut seen = BTreeSet::new();
    for r in &cat.rules {
        assert!(id.is_match(&r.id), "{}: id must be CG + 4 digits", r.id);
        assert!(
            kebab.is_match(&r.name),
            "{}: name {:?} must be kebab-case",
            r.id,
            r.name
        );
        assert!(seen.insert(r.id.clone()), "{} is used twice", r.id);
        let file = root()
            .join("rules")
            .join(&r.category)
            .join(format!("{}-{}.toml", r.id, r.name));
        assert!(file.is_file(), "{}: expected {}", r.id, file.display());
        assert!(
            r.remediation.trim_end().ends_with('.'),
            "{}: remediation ends with a period",
            r.id
        );
        assert!(
            !r.summary.trim_end().ends_with('.'),
            "{}: summary has no final period",
            r.id
        );
        assert!(!r.kinds.is_empty(), "{}: kinds must not be empty", r.id);
        assert!(
            !r.help.trim().is_empty(),
            "{}: help must not be empty",
            r.id
        );
    }
}

#[test]
fn there_are_enough_rules_across_the_areas() {
    let cat = catalog();
    assert!(cat.rules.len() >= 25, "only {} rules", cat.rules.len());
    let cats: BTreeSet<&str> = cat.rules.iter().map(|r| r.category.as_str()).collect();
    for c in ["workload", "rbac", "network", "secrets", "bestpractice"] {
        assert!(cats.contains(c), "no rule in category {c}");
    }
}

#[test]
fn every_rule_has_exactly_one_policy_and_every_policy_one_rule() {
    let cat = catalog();
    let id_re = regex::Regex::new(r#""(CG\d{4})""#).unwrap();
    for r in &cat.rules {
        let policy = root()
            .join("policies")
            .join(&r.category)
            .join(format!("{}.rego", r.name));
        let text = std::fs::read_to_string(&policy)
            .unwrap_or_else(|_| panic!("{}: expected policy {}", r.id, policy.display()));
        let ids: BTreeSet<&str> = id_re
            .captures_iter(&text)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        assert_eq!(
            ids,
            BTreeSet::from([r.id.as_str()]),
            "{} must report exactly its own id",
            policy.display()
        );
        assert!(
            text.contains(&format!("package confgate.rules.{}", r.category)),
            "{}: package must be confgate.rules.{}",
            policy.display(),
            r.category
        );
    }
    for entry in walkdir::WalkDir::new(root().join("policies")) {
        let entry = entry.unwrap();
        let p = entry.path();
        let rel = p.strip_prefix(root().join("policies")).unwrap();
        if p.extension().is_none_or(|e| e != "rego")
            || rel.starts_with("lib")
            // Business rules for `validate` are configuration checks, not catalogued rules.
            || rel.starts_with("business")
            || p.to_string_lossy().ends_with("_test.rego")
        {
            continue;
        }
        let category = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let stem = p.file_stem().unwrap().to_string_lossy();
        assert!(
            cat.rules
                .iter()
                .any(|r| r.category == category && r.name == stem),
            "{} has no catalog entry rules/{category}/CGxxxx-{stem}.toml",
            rel.display()
        );
    }
}

#[test]
fn pss_baseline_rules_are_also_restricted() {
    for r in &catalog().rules {
        if r.in_framework(Framework::PssBaseline) {
            assert!(
                r.in_framework(Framework::PssRestricted),
                "{} is baseline but not restricted",
                r.id
            );
        }
    }
}

/// The fixtures of a rule whose file name starts with `prefix` (`fail.yaml` and
/// `fail-<case>.yaml`, or the same for `pass`), sorted; `<prefix>.yaml` is always listed, so
/// a missing one is reported.
fn fixtures(id: &str, prefix: &str) -> Vec<PathBuf> {
    let dir = root().join("tests/fixtures/rules").join(id);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{prefix}-")) && n.ends_with(".yaml"))
        })
        .collect();
    files.push(dir.join(format!("{prefix}.yaml")));
    files.sort();
    files
}

/// `# fail: CG1001 at spec.containers[0]...` lines at the top of a fail fixture.
fn expected_paths(text: &str, id: &str) -> Vec<String> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("# fail:"))
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix(id)?;
            Some(rest.trim().strip_prefix("at")?.trim().to_string())
        })
        .collect()
}

#[test]
fn fail_fixtures_fire_at_the_promised_paths() {
    let cat = catalog();
    let mut failures = Vec::new();
    for (r, engine) in cat.rules.iter().flat_map(|r| ENGINES.map(|e| (r, e))) {
        for file in fixtures(&r.id, "fail") {
            let Ok(text) = std::fs::read_to_string(&file) else {
                failures.push(format!("{}: missing {}", r.id, file.display()));
                continue;
            };
            let out = scan_with(&r.id, &file, engine);
            if !out.errors.is_empty() {
                failures.push(format!("{}: errors {:?}", r.id, out.errors));
            }
            let hits: Vec<_> = out.findings.iter().filter(|f| f.rule_id == r.id).collect();
            if hits.is_empty() {
                failures.push(format!(
                    "{} ({engine:?}): fail fixture {} produced no finding",
                    r.id,
                    file.display()
                ));
            }
            let paths = expected_paths(&text, &r.id);
            if paths.is_empty() {
                failures.push(format!(
                    "{}: {} lacks a `# fail: {} at PATH` line",
                    r.id,
                    file.display(),
                    r.id
                ));
            }
            for p in paths {
                match hits.iter().find(|f| f.path == p) {
                    None => failures.push(format!(
                        "{}: {} no finding at {p}; got {:?}",
                        r.id,
                        file.display(),
                        hits.iter().map(|f| &f.path).collect::<Vec<_>>()
                    )),
                    Some(f) => {
                        if f.line <= 1 {
                            failures.push(format!(
                                "{}: finding at {p} points at line {}",
                                r.id, f.line
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pass_fixtures_stay_quiet() {
    let cat = catalog();
    let mut failures = Vec::new();
    for (r, engine) in cat.rules.iter().flat_map(|r| ENGINES.map(|e| (r, e))) {
        for file in fixtures(&r.id, "pass") {
            let Ok(text) = std::fs::read_to_string(&file) else {
                failures.push(format!("{}: missing {}", r.id, file.display()));
                continue;
            };
            if !text.starts_with("# pass:") {
                failures.push(format!("{}: pass.yaml must start with `# pass:`", r.id));
            }
            let out = scan_with(&r.id, &file, engine);
            if !out.errors.is_empty() {
                failures.push(format!("{}: errors {:?}", r.id, out.errors));
            }
            if out.documents == 0 {
                failures.push(format!("{}: pass fixture holds no document", r.id));
            }
            for f in out.findings.iter().filter(|f| f.rule_id == r.id) {
                failures.push(format!(
                    "{}: pass fixture {} fired at {}: {}",
                    r.id,
                    file.display(),
                    f.path,
                    f.message
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_example_trips_the_documented_problems() {
    let opts = ScanOptions::default();
    let out = scan(
        &[root()
            .join("examples/spotify-ai-agent")
            .display()
            .to_string()],
        &opts,
        &root(),
    )
    .expect("scan runs");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let ids: BTreeSet<&str> = out.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert!(ids.contains("CG1001"), "privileged container not found");
    assert!(out.documents >= 25);
    // The prod overlay is the clean part: no critical finding there.
    assert!(
        !out.findings
            .iter()
            .any(|f| f.file.contains("/prod/")
                && f.severity == confgate::catalog::Severity::Critical),
        "prod must have no critical finding"
    );
}
