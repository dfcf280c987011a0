//! `confgate audit`: the JSON structure (checklists with consistent counts, risk matrix,
//! recommendations), the text form, exit codes, and that no secret value of the example
//! reaches any audit output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use common::{PASS_FIXTURE, Run, Scratch, has_ansi, run_in_repo};
use serde_json::Value;

const EXAMPLE: &str = "examples/spotify-ai-agent";
const CONFIGMAP: &str = "examples/spotify-ai-agent/dev/configmap.yaml";

/// `confgate audit EXAMPLE --format F` (each computed once per test binary).
fn audit_run(format: &str) -> &'static Run {
    static TEXT: OnceLock<Run> = OnceLock::new();
    static JSON: OnceLock<Run> = OnceLock::new();
    static HTML: OnceLock<Run> = OnceLock::new();
    let cell = match format {
        "text" => &TEXT,
        "json" => &JSON,
        _ => &HTML,
    };
    cell.get_or_init(|| run_in_repo(&["audit", EXAMPLE, "--format", format]))
}

/// The JSON audit of the example.
fn audit_json() -> &'static Value {
    static R: OnceLock<Value> = OnceLock::new();
    R.get_or_init(|| {
        let r = audit_run("json");
        r.expect_code(1);
        r.json()
    })
}

fn scan_json() -> &'static Value {
    static R: OnceLock<Value> = OnceLock::new();
    R.get_or_init(|| {
        let r = run_in_repo(&["scan", EXAMPLE, "--format", "json"]);
        r.expect_code(1);
        r.json()
    })
}

fn framework<'a>(audit: &'a Value, id: &str) -> &'a Value {
    audit["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["framework"] == id)
        .unwrap_or_else(|| panic!("no checklist for {id}"))
}

#[test]
fn json_audit_has_consistent_checklists() {
    let a = audit_json();
    for key in [
        "tool",
        "summary",
        "frameworks",
        "risk_matrix",
        "recommendations",
        "findings",
        "errors",
    ] {
        assert!(a.get(key).is_some(), "audit JSON has {key}");
    }
    for fw in a["frameworks"].as_array().unwrap() {
        let controls = fw["controls"].as_array().unwrap();
        let mut by_status: BTreeMap<&str, u64> = BTreeMap::new();
        for c in controls {
            *by_status.entry(c["status"].as_str().unwrap()).or_default() += 1;
            match c["status"].as_str().unwrap() {
                "fail" => {
                    assert!(!c["failing_rules"].as_array().unwrap().is_empty(), "{c}");
                    assert!(c["findings"].as_u64().unwrap() > 0, "{c}");
                }
                "pass" => {
                    assert!(!c["rules"].as_array().unwrap().is_empty(), "{c}");
                    assert_eq!(c["findings"], 0, "{c}");
                }
                "not-checkable" => {
                    assert!(c["reason"].as_str().is_some_and(|r| !r.is_empty()), "{c}")
                }
                "not-covered" => assert!(c["rules"].as_array().unwrap().is_empty(), "{c}"),
                s => panic!("unknown status {s}"),
            }
        }
        let n = &fw["counts"];
        assert_eq!(n["total"].as_u64().unwrap(), controls.len() as u64, "{fw}");
        for (key, status) in [
            ("pass", "pass"),
            ("fail", "fail"),
            ("not_checkable", "not-checkable"),
            ("not_covered", "not-covered"),
        ] {
            assert_eq!(
                n[key].as_u64().unwrap(),
                by_status.get(status).copied().unwrap_or(0),
                "{} {key}",
                fw["framework"]
            );
        }
        let checked = n["pass"].as_u64().unwrap() + n["fail"].as_u64().unwrap();
        if checked > 0 {
            let score = (100.0 * n["pass"].as_f64().unwrap() / checked as f64).round() as u64;
            assert_eq!(fw["score"].as_u64().unwrap(), score, "{}", fw["framework"]);
        }
    }

    // CIS: every section 5 control of the catalog, with passes, failures and controls that
    // need the cluster.
    let cis = framework(a, "cis-k8s");
    let ids: Vec<&str> = cis["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["in_catalog"] == true)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 35, "{ids:?}");
    assert_eq!(ids.first(), Some(&"5.1.1"));
    assert_eq!(ids.last(), Some(&"5.7.4"));
    for status in ["pass", "fail", "not-checkable"] {
        assert!(
            cis["controls"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["status"] == status),
            "cis-k8s has a {status} control"
        );
    }
    let c522 = cis["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "5.2.2")
        .unwrap();
    assert_eq!(
        c522["status"], "fail",
        "the example runs a privileged container"
    );
    assert!(
        c522["failing_rules"]
            .as_array()
            .unwrap()
            .contains(&Value::from("CG1001"))
    );

    // PSS: restricted lists every baseline control and more.
    let base = framework(a, "pss-baseline");
    let restricted = framework(a, "pss-restricted");
    let ids = |fw: &Value| -> Vec<String> {
        fw["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    let r = ids(restricted);
    for id in ids(base) {
        assert!(
            r.contains(&id),
            "pss-restricted lacks baseline control {id}"
        );
    }
    for id in [
        "volume-types",
        "privilege-escalation",
        "running-as-non-root",
        "running-as-non-root-user",
    ] {
        assert!(r.contains(&id.to_string()), "pss-restricted has {id}");
    }
    framework(a, "nsa-cisa");
}

#[test]
fn json_audit_agrees_with_the_scan() {
    let a = audit_json();
    let s = scan_json();
    let sum = &a["summary"];
    for key in [
        "files",
        "documents",
        "rules",
        "findings",
        "score",
        "by_severity",
    ] {
        assert_eq!(sum[key], s["summary"][key], "summary.{key}");
    }
    let findings = a["findings"].as_array().unwrap();
    assert_eq!(findings.len(), s["findings"].as_array().unwrap().len());
    for (f, g) in findings.iter().zip(s["findings"].as_array().unwrap()) {
        assert_eq!(f["fingerprint"], g["fingerprint"]);
        assert!(
            ["internet", "cluster", "internal"].contains(&f["exposure"].as_str().unwrap()),
            "{f}"
        );
    }
    let active = sum["findings"].as_u64().unwrap();
    assert_eq!(sum["gate"]["fail_on"], "high");
    assert_eq!(sum["gate"]["passed"], false);

    // Risk matrix: severities × exposures, adding up to the active findings.
    let m = &a["risk_matrix"];
    assert_eq!(
        m["exposures"],
        serde_json::json!(["internet", "cluster", "internal"])
    );
    let rows = m["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    let total: u64 = rows
        .iter()
        .flat_map(|r| r["cells"].as_array().unwrap())
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, active);
    for row in rows {
        let sev = row["severity"].as_str().unwrap();
        assert_eq!(row["total"], sum["by_severity"][sev], "row {sev}");
    }
    // The example's API Deployment sits behind an Ingress.
    assert!(findings.iter().any(|f| f["exposure"] == "internet"
        && f["resource"]["kind"] == "Deployment"
        && f["resource"]["name"] == "spotify-ai-agent-api"));

    // Recommendations: one per firing rule, ranked, highest priority first, with the fix.
    let recs = a["recommendations"].as_array().unwrap();
    let counted: u64 = recs.iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, active);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r["rank"].as_u64().unwrap(), i as u64 + 1);
        assert!(!r["remediation"].as_str().unwrap().is_empty(), "{r}");
    }
    for w in recs.windows(2) {
        assert!(
            w[0]["priority"].as_f64().unwrap() >= w[1]["priority"].as_f64().unwrap(),
            "ordered by priority: {} then {}",
            w[0]["rule_id"],
            w[1]["rule_id"]
        );
    }
}

#[test]
fn text_audit_is_readable() {
    let r = audit_run("text");
    r.expect_code(1);
    let t = &r.stdout;
    assert!(!has_ansi(t), "no colour in a pipe");
    let score = scan_json()["summary"]["score"].as_u64().unwrap();
    assert!(t.contains(&format!("Security score: {score}/100")), "{t}");
    assert!(t.contains("Gate:           fail-on high: FAILED"), "{t}");
    for needle in [
        "CIS Kubernetes Benchmark",
        "[cis-k8s]",
        "[pss-baseline]",
        "[pss-restricted]",
        "[nsa-cisa]",
        "FAIL          5.2.2",
        "not-checkable 5.3.1",
        "Risk matrix",
        "internet",
        "Recommendations",
        "fix: ",
    ] {
        assert!(t.contains(needle), "text audit shows {needle:?}:\n{t}");
    }
    // The first recommendation is numbered 1.
    assert!(t.lines().any(|l| l.trim_start().starts_with("1. [")), "{t}");
}

#[test]
fn exit_codes_follow_the_gate() {
    // Findings at or above the default gate (high).
    audit_run("json").expect_code(1);
    // Only info findings: below every gate but `info`.
    let clean = run_in_repo(&[
        "audit",
        EXAMPLE,
        "--select",
        "CG5007",
        "--format",
        "json",
        "--fail-on",
        "low",
    ]);
    clean.expect_code(0);
    assert_eq!(clean.json()["summary"]["gate"]["passed"], true);
    run_in_repo(&["audit", EXAMPLE, "--select", "CG5007", "--fail-on", "info"]).expect_code(1);
    // A clean input.
    run_in_repo(&["audit", PASS_FIXTURE, "--select", "CG1001"]).expect_code(0);
    // Errors: a missing input, a format audit does not write, a missing template.
    let missing = run_in_repo(&["audit", "no/such/dir"]);
    missing.expect_code(2);
    run_in_repo(&["audit", EXAMPLE, "--format", "sarif"]).expect_code(2);
    let tpl = run_in_repo(&[
        "audit",
        EXAMPLE,
        "--format",
        "html",
        "--template",
        "no/such/template.html",
    ]);
    tpl.expect_code(2);
    assert!(tpl.stderr.contains("template"), "{}", tpl.stderr);
}

#[test]
fn output_file_is_written() {
    let dir = Scratch::new();
    let out = dir.path().join("audit.json");
    let r = run_in_repo(&[
        "audit",
        CONFIGMAP,
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    r.expect_code(1);
    assert!(r.stdout.is_empty(), "report goes to the file: {}", r.stdout);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["summary"]["files"], 1);
    assert!(v["summary"]["findings"].as_u64().unwrap() >= 2);
}

#[test]
fn framework_option_limits_the_checklists() {
    let r = run_in_repo(&[
        "audit",
        EXAMPLE,
        "--format",
        "json",
        "--framework",
        "pss-baseline",
    ]);
    r.expect_code(1);
    let v = r.json();
    let fws: Vec<&str> = v["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["framework"].as_str().unwrap())
        .collect();
    assert_eq!(fws, ["pss-baseline"]);
}

/// The example's ConfigMap holds fake credentials; rules flag them, and no output of the
/// audit (nor the HTML scan report) may echo them.
#[test]
fn secret_values_never_appear() {
    let text = std::fs::read_to_string(common::repo_path(CONFIGMAP)).unwrap();
    let value = |key: &str| -> String {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{key}:")))
            .unwrap_or_else(|| panic!("{key} in {CONFIGMAP}"));
        line.split_once(':')
            .unwrap()
            .1
            .trim()
            .trim_matches('"')
            .to_string()
    };
    let secrets = [value("AWS_ACCESS_KEY_ID"), value("DATABASE_PASSWORD")];
    assert_eq!(secrets[0], "AKIAEXAMPLEFAKEKEY01");
    assert_eq!(secrets[1], "s3cr3t-dev-password");
    // The findings that flag them exist (otherwise this test would prove nothing).
    let flagged: Vec<&str> = audit_json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == CONFIGMAP)
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(
        flagged.contains(&"CG4001") && flagged.contains(&"CG4002"),
        "{flagged:?}"
    );

    let mut outputs: Vec<(String, &Run)> = ["text", "json", "html"]
        .into_iter()
        .map(|f| (format!("audit {EXAMPLE} --format {f}"), audit_run(f)))
        .collect();
    // The ConfigMap alone: every frame of the HTML shows its neighbourhood.
    let single: Vec<(String, Run)> = [
        vec!["audit", CONFIGMAP, "--format", "html"],
        vec!["scan", CONFIGMAP, "--format", "html"],
        vec!["scan", CONFIGMAP, "--format", "text"],
    ]
    .into_iter()
    .map(|args| (args.join(" "), run_in_repo(&args)))
    .collect();
    outputs.extend(single.iter().map(|(w, r)| (w.clone(), r)));
    for (what, r) in &outputs {
        assert!(
            r.code == 1,
            "{what}: exit {} (stderr: {})",
            r.code,
            r.stderr
        );
        assert!(r.stdout.len() > 100, "{what} wrote a report");
        for s in &secrets {
            assert!(!r.stdout.contains(s.as_str()), "{what} leaks {s:?}");
            assert!(
                !r.stderr.contains(s.as_str()),
                "{what} leaks {s:?} on stderr"
            );
        }
    }
}
