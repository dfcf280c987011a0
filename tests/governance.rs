//! Governed exceptions: waivers (file, confgate.toml, inline annotations) with owners and
//! expiry, `waivers audit`, and baselines that make only new findings count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_confgate"))
        .args(args)
        .current_dir(dir)
        .env_remove("CONFGATE_CONFIG")
        .env_remove("CONFGATE_FORMAT")
        .output()
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

/// Days since 1970-01-01 → YYYY-MM-DD (test-side, independent of the library).
fn date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn today() -> i64 {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400) as i64
}

/// A repo-like temp dir with the privileged fixture and an empty confgate.toml.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("confgate.toml"), "select = [\"CG1001\"]\n").unwrap();
    std::fs::copy(
        root().join("tests/fixtures/rules/CG1001/fail.yaml"),
        dir.path().join("deploy.yaml"),
    )
    .unwrap();
    dir
}

fn waiver(expires: &str, extra: &str) -> String {
    format!(
        "waivers:\n  - rule: CG1001\n    resource: {{kind: Deployment, namespace: shop, name: \"w*\"}}\n    justification: GPU driver check needs host access\n    owner: platform-team@example.com\n    expires: \"{expires}\"\n    ticket: SEC-42\n{extra}"
    )
}

#[test]
fn a_waiver_suppresses_without_hiding() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("confgate-waivers.yaml"),
        waiver(&date(today() + 90), ""),
    )
    .unwrap();
    let o = run(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    assert_eq!(v["summary"]["findings"], 0);
    let f = &v["findings"][0];
    assert_eq!(f["rule_id"], "CG1001");
    assert_eq!(f["suppressed"]["kind"], "external");
    assert_eq!(f["suppressed"]["owner"], "platform-team@example.com");
    assert_eq!(f["suppressed"]["ticket"], "SEC-42");
    let sarif = run(dir.path(), &["scan", ".", "--format", "sarif"]);
    let s: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let sup = &s["runs"][0]["results"][0]["suppressions"][0];
    assert_eq!(sup["kind"], "external");
    assert_eq!(sup["status"], "accepted");
    assert_eq!(sup["justification"], "GPU driver check needs host access");
    let text = run(dir.path(), &["scan", "."]);
    let t = String::from_utf8_lossy(&text.stdout);
    assert!(
        t.contains("(suppressed)") && t.contains("1 suppressed"),
        "{t}"
    );
}

#[test]
fn an_expired_waiver_stops_suppressing_and_warns() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("confgate-waivers.yaml"),
        waiver(&date(today() - 1), ""),
    )
    .unwrap();
    let o = run(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert!(v["findings"][0]["suppressed"].is_null());
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        warnings[0].as_str().unwrap().contains("expired"),
        "{warnings:?}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("expired"));
}

#[test]
fn a_waiver_expiring_soon_still_suppresses_but_warns() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("confgate-waivers.yaml"),
        waiver(&date(today() + 7), ""),
    )
    .unwrap();
    let o = run(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert!(!v["findings"][0]["suppressed"].is_null());
    assert!(
        v["warnings"][0].as_str().unwrap().contains("7 day(s) left"),
        "{}",
        v["warnings"]
    );
}

#[test]
fn waivers_audit_lists_unused_expired_and_expiring() {
    let dir = workspace();
    let extra = format!(
        "  - rule: CG2*\n    justification: legacy RBAC\n    owner: sec@example.com\n    expires: \"{}\"\n  - fingerprint: deadbeef\n    justification: old\n    owner: sec@example.com\n    expires: \"{}\"\n",
        date(today() + 300),
        date(today() - 10)
    );
    std::fs::write(
        dir.path().join("confgate-waivers.yaml"),
        waiver(&date(today() + 3), &extra),
    )
    .unwrap();
    std::fs::write(dir.path().join("confgate.toml"), "").unwrap();
    let o = run(dir.path(), &["waivers", "audit", "."]);
    assert_eq!(o.status.code(), Some(1));
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(
        t.contains("EXPIRING") && t.contains("UNUSED") && t.contains("EXPIRED"),
        "{t}"
    );
    assert!(
        t.contains("3 waivers: 0 active, 1 expiring, 1 expired, 1 unused"),
        "{t}"
    );
    let j = run(dir.path(), &["waivers", "audit", ".", "--format", "json"]);
    let v = json(&j);
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[0]["matched"], 1);
}

#[test]
fn waivers_in_confgate_toml_work_too() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("confgate.toml"),
        format!(
            "select = [\"CG1001\"]\n\n[[waivers]]\nrule = \"privileged-container\"\nfile = \"deploy.yaml\"\njustification = \"lab cluster\"\nowner = \"lab@example.com\"\nexpires = \"{}\"\n",
            date(today() + 60)
        ),
    )
    .unwrap();
    let o = run(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        json(&o)["findings"][0]["suppressed"]["justification"],
        "lab cluster"
    );
}

#[test]
fn an_inline_annotation_suppresses_in_source() {
    let dir = workspace();
    let text = std::fs::read_to_string(dir.path().join("deploy.yaml")).unwrap().replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    confgate.io/ignore: CG1001\n    confgate.io/ignore-reason: init container loads a kernel module\n",
    );
    std::fs::write(dir.path().join("deploy.yaml"), text).unwrap();
    let o = run(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let f = &json(&o)["findings"][0];
    assert_eq!(f["suppressed"]["kind"], "inSource");
    assert_eq!(
        f["suppressed"]["justification"],
        "init container loads a kernel module"
    );
}

#[test]
fn a_malformed_waiver_is_an_error_naming_the_file() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("confgate-waivers.yaml"),
        "waivers:\n  - rule: CG1001\n    justification: x\n    expires: 2030-01-01\n",
    )
    .unwrap();
    let o = run(dir.path(), &["scan", "."]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("confgate-waivers.yaml") && e.contains("owner"),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "{e}");
}

#[test]
fn a_waiver_expiring_on_an_impossible_date_is_an_error_naming_the_file() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("confgate-waivers.yaml"),
        "waivers:\n  - rule: CG1001\n    justification: x\n    owner: team@example.com\n    expires: 2099-02-30\n",
    )
    .unwrap();
    let o = run(dir.path(), &["scan", "."]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("confgate-waivers.yaml") && e.contains("2099-02-30"),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "{e}");

    // A real leap day is a date like any other: this waiver is valid (and long expired).
    std::fs::write(
        dir.path().join("confgate-waivers.yaml"),
        waiver("2024-02-29", ""),
    )
    .unwrap();
    let o = run(dir.path(), &["scan", "."]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_baseline_makes_only_new_findings_count() {
    let dir = workspace();
    let b = dir.path().join("baseline.json");
    let o = run(
        dir.path(),
        &["scan", ".", "--write-baseline", b.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    // Same problems, moved down and into another file order: still only old findings.
    let old = std::fs::read_to_string(dir.path().join("deploy.yaml")).unwrap();
    std::fs::write(
        dir.path().join("deploy.yaml"),
        format!("# moved\n# down\n\n---\n{old}"),
    )
    .unwrap();
    let o = run(
        dir.path(),
        &[
            "scan",
            ".",
            "--baseline",
            b.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let v = json(&o);
    assert_eq!(v["findings"][0]["baseline_state"], "unchanged");
    assert_eq!(v["baseline"]["new"], 0);
    // A new privileged workload fails the gate; the old one does not.
    let new = old.replace(
        "name: web\n  namespace: shop",
        "name: api\n  namespace: shop",
    );
    std::fs::write(dir.path().join("another.yaml"), new).unwrap();
    let o = run(
        dir.path(),
        &[
            "scan",
            ".",
            "--baseline",
            b.to_str().unwrap(),
            "--format",
            "sarif",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let states: Vec<&str> = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["new", "unchanged"]);
    // Fixing the old problem leaves it "absent" in SARIF.
    std::fs::write(
        dir.path().join("deploy.yaml"),
        old.replace("privileged: true", "privileged: false"),
    )
    .unwrap();
    let o = run(
        dir.path(),
        &[
            "scan",
            ".",
            "--baseline",
            b.to_str().unwrap(),
            "--format",
            "sarif",
        ],
    );
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let states: Vec<&str> = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["new", "absent"]);
}

#[test]
fn a_corrupt_baseline_is_an_error() {
    let dir = workspace();
    std::fs::write(dir.path().join("b.json"), "{\"version\": 1,").unwrap();
    let o = run(dir.path(), &["scan", ".", "--baseline", "b.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("b.json"));
}

/// A workspace where CG1001 is critical and CG1002/CG1003 (medium) fire too.
fn critical_workspace(waivers: &str) -> tempfile::TempDir {
    let dir = workspace();
    std::fs::write(
        dir.path().join("confgate.toml"),
        "select = [\"CG1001\", \"CG1002\", \"CG1003\"]\n\n[severity-overrides]\nCG1001 = \"critical\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("confgate-waivers.yaml"), waivers).unwrap();
    dir
}

fn glob_waiver(rule: &str, extra: &str) -> String {
    format!(
        "waivers:\n  - rule: \"{rule}\"\n    justification: legacy namespace\n    owner: sec@example.com\n    expires: \"{}\"\n{extra}",
        date(today() + 90)
    )
}

fn suppressed_rules(v: &serde_json::Value) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                !f["suppressed"].is_null(),
            )
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn a_wildcard_waiver_does_not_suppress_critical_findings_and_warns() {
    for rule in ["*", "**", "CG100*"] {
        let dir = critical_workspace(&glob_waiver(rule, ""));
        let o = run(dir.path(), &["scan", ".", "--format", "json"]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{rule}: the critical finding still counts: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v = json(&o);
        assert_eq!(
            suppressed_rules(&v),
            vec![
                ("CG1001".to_string(), false),
                ("CG1002".to_string(), true),
                ("CG1003".to_string(), true),
            ],
            "{rule}"
        );
        let warnings: Vec<&str> = v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("critical findings of CG1001")
                    && w.contains("allow-wildcard-critical: true")),
            "{rule}: {warnings:?}"
        );
    }
}

#[test]
fn a_wildcard_waiver_with_allow_wildcard_critical_suppresses_critical_findings() {
    let dir = critical_workspace(&glob_waiver("*", "    allow-wildcard-critical: true\n"));
    let o = run(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    assert!(suppressed_rules(&v).iter().all(|(_, s)| *s), "{v:#}");
}

#[test]
fn allow_wildcard_critical_works_in_confgate_toml_waivers_too() {
    let dir = critical_workspace("waivers: []\n");
    std::fs::write(
        dir.path().join("confgate.toml"),
        format!(
            "select = [\"CG1001\"]\n\n[severity-overrides]\nCG1001 = \"critical\"\n\n[[waivers]]\nrule = \"*\"\njustification = \"legacy\"\nowner = \"sec@example.com\"\nexpires = \"{}\"\nallow-wildcard-critical = true\n",
            date(today() + 90)
        ),
    )
    .unwrap();
    let o = run(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_critical_finding_waived_by_its_exact_rule_id_is_suppressed_without_permission() {
    let dir = critical_workspace(&glob_waiver("CG1001", ""));
    let o = run(dir.path(), &["scan", ".", "--format", "json"]);
    let v = json(&o);
    assert!(
        suppressed_rules(&v).contains(&("CG1001".to_string(), true)),
        "{v:#}"
    );
    // No warnings at all leaves the key out.
    let warnings = v["warnings"].as_array().cloned().unwrap_or_default();
    assert!(
        warnings
            .iter()
            .all(|w| !w.as_str().unwrap().contains("rules (")),
        "one rule, no breadth warning: {warnings:?}"
    );
}

#[test]
fn a_waiver_suppressing_findings_of_several_rules_warns_naming_them() {
    let dir = critical_workspace(&glob_waiver("CG100[23]", ""));
    let o = run(dir.path(), &["scan", ".", "--format", "json"]);
    let v = json(&o);
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("suppresses findings of 2 rules (CG1002, CG1003)")),
        "{warnings:?}"
    );
    // Shown in the text report too.
    let o = run(dir.path(), &["scan", "."]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("suppresses findings of 2 rules"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn regression_a_waiver_expiring_2099_02_30_suppresses_nothing() {
    // In the waiver file, in confgate.toml and through --waivers: a load error (exit 2),
    // never a clean run with the finding waived.
    let impossible = "waivers:\n  - rule: CG1001\n    justification: x\n    owner: team@example.com\n    expires: \"2099-02-30\"\n";
    let dir = workspace();
    std::fs::write(dir.path().join("confgate-waivers.yaml"), impossible).unwrap();
    let o = run(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("\"external\""));
    std::fs::remove_file(dir.path().join("confgate-waivers.yaml")).unwrap();
    std::fs::write(dir.path().join("elsewhere.yaml"), impossible).unwrap();
    let o = run(
        dir.path(),
        &["scan", "deploy.yaml", "--waivers", "elsewhere.yaml"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("2099-02-30"));
    std::fs::write(
        dir.path().join("confgate.toml"),
        "select = [\"CG1001\"]\n\n[[waivers]]\nrule = \"CG1001\"\njustification = \"x\"\nowner = \"team@example.com\"\nexpires = \"2099-02-30\"\n",
    )
    .unwrap();
    let o = run(dir.path(), &["scan", "deploy.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("2099-02-30"));
    // Without the waiver the finding counts: exit 1, as the gate says.
    std::fs::write(dir.path().join("confgate.toml"), "select = [\"CG1001\"]\n").unwrap();
    let o = run(dir.path(), &["scan", "deploy.yaml"]);
    assert_eq!(o.status.code(), Some(1));
}

/// A privileged Pod (CG1001, critical, and findings of other rules) carrying `annotations`,
/// alone in a workspace with an empty confgate.toml (every built-in rule runs).
fn annotated_pod_workspace(annotations: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("confgate.toml"), "").unwrap();
    std::fs::write(
        dir.path().join("pod.yaml"),
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  annotations:\n{annotations}spec:\n  containers:\n    - name: app\n      image: nginx:1.25\n      securityContext:\n        privileged: true\n"
        ),
    )
    .unwrap();
    dir
}

#[test]
fn regression_an_inline_wildcard_ignore_does_not_suppress_critical_findings_and_warns() {
    for pattern in ["*", "**", "CG1*"] {
        let dir = annotated_pod_workspace(&format!(
            "    confgate.io/ignore: \"{pattern}\"\n    confgate.io/ignore-reason: quiet please\n"
        ));
        let o = run(dir.path(), &["scan", "pod.yaml", "--format", "json"]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{pattern}: the critical finding still fails the gate: {stderr}"
        );
        let v = json(&o);
        let rules = suppressed_rules(&v);
        assert!(
            rules.contains(&("CG1001".to_string(), false)),
            "{pattern}: {rules:?}"
        );
        assert!(
            rules.iter().filter(|(_, s)| *s).count() > 1,
            "{pattern}: the glob still suppresses the other rules' findings: {rules:?}"
        );
        let held = stderr
            .lines()
            .find(|l| l.contains("critical findings of CG1001"))
            .unwrap_or_else(|| panic!("{pattern}: no warning on stderr: {stderr}"));
        assert!(
            held.starts_with("confgate: warning: ")
                && held.contains("pod.yaml")
                && held.contains("confgate.io/ignore-allow-wildcard-critical"),
            "{held}"
        );
        assert!(
            stderr
                .lines()
                .any(|l| l.contains("pod.yaml") && l.contains(" rules (")),
            "{pattern}: a glob suppressing several rules warns: {stderr}"
        );
        let warnings = v["warnings"].as_array().unwrap();
        assert!(
            warnings
                .iter()
                .any(|w| w.as_str().unwrap().contains("critical findings of CG1001")),
            "{warnings:?}"
        );
    }
}

#[test]
fn an_inline_wildcard_ignore_with_its_permission_suppresses_critical_findings() {
    let dir = annotated_pod_workspace(
        "    confgate.io/ignore: \"*\"\n    confgate.io/ignore-allow-wildcard-critical: \"true\"\n",
    );
    let o = run(dir.path(), &["scan", "pod.yaml", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    assert!(suppressed_rules(&v).iter().all(|(_, s)| *s), "{v:#}");
    // Still visible: it suppresses findings of several rules.
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(" rules ("),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn an_inline_ignore_naming_rules_suppresses_critical_findings_without_a_warning() {
    let dir = annotated_pod_workspace("    confgate.io/ignore: cg1001, CG5001\n");
    let o = run(dir.path(), &["scan", "pod.yaml", "--format", "json"]);
    let v = json(&o);
    let rules = suppressed_rules(&v);
    assert!(rules.contains(&("CG1001".to_string(), true)), "{rules:?}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("confgate.io/ignore"), "{stderr}");
}
