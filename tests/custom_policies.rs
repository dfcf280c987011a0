//! Bring-your-own policies through the `confgate` binary: conftest-style Rego (v0 and v1,
//! `deny`/`violation`/`warn` with prefixes, exceptions, `--data`, namespaces, `--combine`) and
//! Gatekeeper ConstraintTemplates with Constraints (every `match` field, `parameters`,
//! `enforcementAction`, referential templates on the inventory), their findings' rule ids,
//! severities and positions, load and runtime errors, and SARIF with user rules.
//!
//! The fixtures live in `tests/fixtures/custom/` and are copied into a scratch directory, so
//! that reported paths are short (`manifests/shop.yaml`) and no settings file applies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use serde_json::Value;

use common::*;

/// A scratch directory holding a copy of `tests/fixtures/custom`.
fn fixtures() -> Scratch {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("create dir");
        for entry in std::fs::read_dir(from).expect("read dir") {
            let entry = entry.expect("dir entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("file type").is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("copy file");
            }
        }
    }
    let s = Scratch::new();
    copy(&repo_path("tests/fixtures/custom"), s.path());
    s
}

/// Runs `confgate ARGS` in `s` with the isolated (empty) settings file.
fn confgate_in(s: &Scratch, args: &[&str]) -> Run {
    let mut cmd = confgate(s.path());
    cmd.env(
        "CONFGATE_CONFIG",
        repo_path("tests/fixtures/cli/isolated-confgate.toml"),
    );
    run(cmd.args(args))
}

/// `scan PATHS --select CG1001 --format json EXTRA` (CG1001 never fires on these fixtures,
/// so only user rules report).
fn scan(s: &Scratch, paths: &[&str], extra: &[&str]) -> Run {
    let mut args = vec!["scan"];
    args.extend_from_slice(paths);
    args.extend_from_slice(&["--select", "CG1001", "--format", "json"]);
    args.extend_from_slice(extra);
    confgate_in(s, &args)
}

/// (rule id, severity, file, line, message) of every finding, sorted.
fn summary(report: &Value) -> Vec<(String, String, String, u64, String)> {
    let mut out: Vec<_> = findings(report)
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The line of the `n`-th `kind: <kind>` in `file` (where path-less findings point).
fn kind_line(s: &Scratch, file: &str, kind: &str, n: usize) -> u64 {
    let text = std::fs::read_to_string(s.path().join(file)).unwrap();
    position_of(&text, &format!("kind: {kind}"), n).0
}

fn finding<'a>(report: &'a Value, rule: &str, message_part: &str) -> &'a Value {
    let matching: Vec<&Value> = findings(report)
        .iter()
        .filter(|f| f["rule_id"] == rule && f["message"].as_str().unwrap().contains(message_part))
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "one {rule} finding with {message_part:?}: {:#}",
        report["findings"]
    );
    matching[0]
}

/// The run failed to start: exit 2, nothing on stdout, one `confgate: error:` line on
/// stderr naming `file:line`; returns that line.
fn load_error(r: &Run, file_line: &str) -> String {
    r.expect_code(2);
    assert!(r.stdout.trim().is_empty(), "no report: {}", r.stdout);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one error line:\n{}", r.stderr);
    assert!(
        lines[0].starts_with(&format!("confgate: error: {file_line}: ")),
        "names {file_line}: {}",
        lines[0]
    );
    lines[0].to_string()
}

// ---------------------------------------------------------------------------------------
// conftest
// ---------------------------------------------------------------------------------------

#[test]
fn conftest_v0_deny_warn_prefixed_rules_and_exceptions() {
    let s = fixtures();
    let r = scan(&s, &["manifests"], &["--policy", "conftest/v0"]);
    r.expect_code(1);
    let report = r.json();
    assert!(errors(&report).is_empty(), "{:#}", report["errors"]);
    let web = kind_line(&s, "manifests/shop.yaml", "Deployment", 0);
    let coredns = kind_line(&s, "manifests/system.yaml", "Deployment", 0);
    let shop = "manifests/shop.yaml".to_string();
    assert_eq!(
        summary(&report),
        vec![
            (
                "conftest/main/deny".into(),
                "high".into(),
                shop.clone(),
                web,
                "Deployment web has no owner label".into()
            ),
            (
                "conftest/main/deny".into(),
                "high".into(),
                "manifests/system.yaml".into(),
                coredns,
                "Deployment coredns has no owner label".into()
            ),
            (
                "conftest/main/deny_latest_tag".into(),
                "high".into(),
                shop.clone(),
                web,
                "container nginx of web uses the latest tag".into()
            ),
            (
                "conftest/main/warn".into(),
                "medium".into(),
                shop,
                web,
                "Deployment web runs a single replica".into()
            ),
        ],
        "legacy-batch's latest tag is excepted"
    );
    let f = finding(&report, "conftest/main/deny", "web");
    assert_eq!(f["rule_name"], "main.deny");
    assert_eq!(f["resource"]["name"], "web");
    assert_eq!(f["document_index"], 0);
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 32);
    // Two findings of one rule on one object keep distinct fingerprints.
    let mut prints: Vec<&str> = findings(&report)
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), findings(&report).len());
}

#[test]
fn conftest_v1_violation_objects_point_at_their_path_and_read_data() {
    let s = fixtures();
    let r = scan(
        &s,
        &["manifests"],
        &["--policy", "conftest/v1", "--data", "conftest/data"],
    );
    r.expect_code(1);
    let report = r.json();
    assert!(errors(&report).is_empty(), "{:#}", report["errors"]);
    let text = std::fs::read_to_string(s.path().join("manifests/shop.yaml")).unwrap();
    let f = finding(&report, "conftest/main/violation_registry", "nginx");
    let (line, col) = position_of(&text, "docker.io/library/nginx:latest", 0);
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(line), Some(col))
    );
    assert_eq!(f["path"], "spec.template.spec.containers[0].image");
    assert_eq!(f["severity"], "high");
    assert!(f["message"].as_str().unwrap().contains("not allowed"));
    // data.limits.max_replicas comes from conftest/data/limits/replicas.json.
    let f = finding(&report, "conftest/main/deny", "api");
    assert_eq!(
        f["message"],
        "Deployment api asks for 12 replicas, more than the limit of 10"
    );
    assert_eq!(
        f["line"],
        kind_line(&s, "manifests/shop.yaml", "Deployment", 1)
    );
    let f = finding(&report, "conftest/main/warn_no_probe", "worker");
    assert_eq!(f["severity"], "medium");
    assert_eq!(f["file"], "manifests/dev.yaml");
    // ghcr.io/acme and registry.example.com are allowed by the data.
    let flagged: Vec<&str> = findings(&report)
        .iter()
        .filter(|f| f["rule_id"] == "conftest/main/violation_registry")
        .map(|f| f["resource"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(flagged.len(), 3, "{flagged:?}");
    for name in ["web", "ledger", "coredns"] {
        assert!(flagged.contains(&name), "{flagged:?}");
    }
}

#[test]
fn v0_and_v1_files_load_together_and_their_rules_merge() {
    let s = fixtures();
    let r = scan(
        &s,
        &["manifests"],
        &[
            "--policy",
            "conftest/v0",
            "--policy",
            "conftest/v1",
            "--data",
            "conftest/data",
        ],
    );
    r.expect_code(1);
    let report = r.json();
    let ids: std::collections::BTreeSet<&str> = findings(&report)
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        vec![
            "conftest/main/deny",
            "conftest/main/deny_latest_tag",
            "conftest/main/violation_registry",
            "conftest/main/warn",
            "conftest/main/warn_no_probe",
        ]
    );
    // `deny` of the v0 file and `deny` of the v1 file are one rule with both results.
    finding(&report, "conftest/main/deny", "web has no owner label");
    finding(&report, "conftest/main/deny", "12 replicas");
}

#[test]
fn without_data_no_registry_is_allowed_and_no_limit_applies() {
    let s = fixtures();
    let r = scan(&s, &["manifests"], &["--policy", "conftest/v1"]);
    r.expect_code(1);
    let report = r.json();
    let count = |rule: &str| {
        findings(&report)
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .count()
    };
    assert_eq!(
        count("conftest/main/violation_registry"),
        7,
        "every Deployment"
    );
    assert_eq!(count("conftest/main/deny"), 0);
    assert_eq!(count("conftest/main/warn_no_probe"), 1);
}

#[test]
fn namespaces_are_chosen_with_policy_namespace_or_all_namespaces() {
    let s = fixtures();
    let r = scan(&s, &["manifests"], &["--policy", "conftest/namespaced"]);
    let line = load_error(&r, "conftest/namespaced/cost.rego");
    assert!(line.contains("namespace main"), "{line}");
    assert!(
        line.contains("kubernetes.cost, kubernetes.network"),
        "{line}"
    );

    let r = scan(
        &s,
        &["manifests"],
        &[
            "--policy",
            "conftest/namespaced",
            "--policy-namespace",
            "kubernetes.network",
        ],
    );
    r.expect_code(1);
    let report = r.json();
    let rows = summary(&report);
    assert_eq!(rows.len(), 2, "{rows:#?}");
    for (row, name) in rows.iter().zip(["checkout", "docs"]) {
        assert_eq!(
            row.0,
            "conftest/kubernetes.network/deny_ingress_without_tls"
        );
        assert_eq!(row.1, "high");
        assert!(row.4.contains(name), "{row:?}");
    }

    let r = scan(
        &s,
        &["manifests"],
        &["--policy", "conftest/namespaced", "--all-policy-namespaces"],
    );
    r.expect_code(1);
    let report = r.json();
    let f = finding(&report, "conftest/kubernetes.cost/warn_replicas", "api");
    assert_eq!(f["severity"], "medium");
    assert_eq!(summary(&report).len(), 3);
}

#[test]
fn combine_gives_all_documents_as_one_input() {
    let s = fixtures();
    let r = scan(
        &s,
        &["manifests"],
        &["--policy", "conftest/combine", "--combine"],
    );
    r.expect_code(1);
    let report = r.json();
    assert!(errors(&report).is_empty(), "{:#}", report["errors"]);
    let mut names: Vec<&str> = findings(&report)
        .iter()
        .map(|f| f["resource"]["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "coredns",
            "experimental",
            "ledger",
            "legacy-batch",
            "worker"
        ],
        "web and api are selected by Services"
    );
    // Results name their file and document; `path` points into that document.
    let f = finding(&report, "conftest/main/deny", "shop/experimental");
    let text = std::fs::read_to_string(s.path().join("manifests/shop.yaml")).unwrap();
    let (line, col) = position_of(&text, "name: experimental", 0);
    assert_eq!(f["file"], "manifests/shop.yaml");
    assert_eq!(f["document_index"], 2);
    assert_eq!(f["path"], "metadata.name");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(line), Some(col + "name: ".len() as u64))
    );
    let f = finding(&report, "conftest/main/deny", "dev/legacy-batch");
    assert_eq!(f["document_index"], 1);
}

#[test]
fn a_runtime_error_costs_only_that_rule_on_that_document() {
    let s = fixtures();
    let r = scan(
        &s,
        &["conftest/runtime/pods.yaml"],
        &["--policy", "conftest/runtime"],
    );
    r.expect_code(2);
    let report = r.json();
    let msg = one_error_for(&report, "conftest/runtime/pods.yaml", Some(2));
    assert!(
        msg.starts_with(
            "policy conftest/main/deny failed on Pod/shop/numeric-cpu: conftest/runtime/cpu.rego:7:"
        ),
        "{msg}"
    );
    assert!(msg.contains("units.parse"), "{msg}");
    let rows = summary(&report);
    assert_eq!(rows.len(), 3, "{rows:#?}");
    finding(&report, "conftest/main/deny", "more than 4 CPUs");
    finding(&report, "conftest/main/warn", "numeric-cpu");
    finding(&report, "conftest/main/warn", "greedy");
    assert_stderr_reports_one_line_errors(&r, "conftest/runtime/pods.yaml");
}

#[test]
fn broken_conftest_policies_fail_the_load_naming_file_and_line() {
    let s = fixtures();
    let r = scan(&s, &["manifests"], &["--policy", "conftest/broken-syntax"]);
    load_error(&r, "conftest/broken-syntax/policy.rego:8");

    let r = scan(
        &s,
        &["manifests"],
        &["--policy", "conftest/broken-function"],
    );
    let line = load_error(&r, "conftest/broken-function/policy.rego:7");
    assert!(line.contains("unknown function no_such.function"), "{line}");

    let r = scan(&s, &["manifests"], &["--policy", "conftest/no-rules"]);
    let line = load_error(&r, "conftest/no-rules/helpers.rego");
    assert!(line.contains("no deny, violation or warn rules"), "{line}");

    // Regression: a broken Rego v1 policy was also parsed as v0, whose parser printed
    // multi-line keyword warnings on stderr before the error.
    let r = scan(&s, &["manifests"], &["--policy", "conftest/broken-v1"]);
    load_error(&r, "conftest/broken-v1/policy.rego:8");
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);

    let r = scan(&s, &["manifests"], &["--policy", "does-not-exist"]);
    load_error(&r, "does-not-exist");

    let r = scan(&s, &["manifests"], &["--policy", "manifests"]);
    let line = load_error(&r, "manifests");
    assert!(line.contains("no conftest policies"), "{line}");
}

#[test]
fn data_files_that_conflict_or_are_not_mappings_are_load_errors() {
    let s = fixtures();
    s.write("extra/a.yaml", "allowed_registries: [quay.io]\n");
    let r = scan(
        &s,
        &["manifests"],
        &[
            "--policy",
            "conftest/v1",
            "--data",
            "conftest/data",
            "--data",
            "extra/a.yaml",
        ],
    );
    let line = load_error(&r, "extra/a.yaml:1");
    assert!(line.contains("data.allowed_registries"), "{line}");

    s.write("list/a.yaml", "- one\n- two\n");
    let r = scan(
        &s,
        &["manifests"],
        &["--policy", "conftest/v1", "--data", "list"],
    );
    let line = load_error(&r, "list/a.yaml:1");
    assert!(line.contains("mapping"), "{line}");
}

// ---------------------------------------------------------------------------------------
// Gatekeeper
// ---------------------------------------------------------------------------------------

#[test]
fn gatekeeper_constraints_match_and_map_enforcement_actions_to_severities() {
    let s = fixtures();
    let r = scan(&s, &["manifests"], &["--policy", "gatekeeper"]);
    r.expect_code(1);
    let report = r.json();
    assert!(errors(&report).is_empty(), "{:#}", report["errors"]);
    let web = kind_line(&s, "manifests/shop.yaml", "Deployment", 0);
    let api = kind_line(&s, "manifests/shop.yaml", "Deployment", 1);
    let ledger = kind_line(&s, "manifests/payments.yaml", "Deployment", 0);
    let storefront = kind_line(&s, "manifests/ingresses.yaml", "Ingress", 0);
    let checkout = kind_line(&s, "manifests/ingresses.yaml", "Ingress", 1);
    let kube_system = kind_line(&s, "manifests/namespaces.yaml", "Namespace", 2);
    let row = |id: &str, sev: &str, file: &str, line: u64, msg: &str| {
        (
            id.to_string(),
            sev.to_string(),
            format!("manifests/{file}"),
            line,
            msg.to_string(),
        )
    };
    let mut want = vec![
        row(
            "K8sUniqueIngressHost/unique-ingress-hosts",
            "high",
            "ingresses.yaml",
            storefront,
            "Ingress host shop.example.com is also served by Ingress payments/checkout",
        ),
        row(
            "K8sUniqueIngressHost/unique-ingress-hosts",
            "high",
            "ingresses.yaml",
            checkout,
            "Ingress host shop.example.com is also served by Ingress shop/storefront",
        ),
        // scope Cluster + labelSelector DoesNotExist: sandbox opts out.
        row(
            "K8sRequiredLabels/namespaces-need-env",
            "medium",
            "namespaces.yaml",
            kube_system,
            "Namespace kube-system is missing required labels: env",
        ),
        // namespaces ["shop", "pay*"]: dev and kube-system are not checked.
        row(
            "K8sAllowedRepos/trusted-registries",
            "high",
            "payments.yaml",
            ledger,
            "container <ledger> has an invalid image repo <docker.io/acme/ledger:5.0.1>, allowed repos are [\"registry.example.com/\", \"ghcr.io/acme/\"]",
        ),
        row(
            "K8sAllowedRepos/trusted-registries",
            "high",
            "shop.yaml",
            web,
            "container <nginx> has an invalid image repo <docker.io/library/nginx:latest>, allowed repos are [\"registry.example.com/\", \"ghcr.io/acme/\"]",
        ),
        // excludedNamespaces ["kube-*"]: coredns is not checked.
        row(
            "K8sRequiredLabels/must-have-owner",
            "high",
            "shop.yaml",
            web,
            "Deployment web is missing required labels: owner",
        ),
        // namespaceSelector env=prod (shop only; payments has no Namespace object) and
        // labelSelector tier In, experimental NotIn, app Exists; enforcementAction warn.
        row(
            "K8sRequiredLabels/prod-needs-team",
            "medium",
            "shop.yaml",
            web,
            "Deployment web is missing required labels: team",
        ),
        row(
            "K8sRequiredLabels/prod-needs-team",
            "medium",
            "shop.yaml",
            api,
            "label team=Payments of api does not match ^[a-z]+$",
        ),
        // scope Namespaced + name "api*", enforcementAction dryrun.
        row(
            "K8sContainerLimits/api-memory-limits",
            "info",
            "shop.yaml",
            api,
            "container api has a memory limit of 2Gi, above 1Gi",
        ),
    ];
    want.sort();
    assert_eq!(summary(&report), want);
    let f = finding(&report, "K8sRequiredLabels/must-have-owner", "web");
    assert_eq!(f["rule_name"], "must-have-owner");
    assert_eq!(f["resource"]["namespace"], "shop");
}

#[test]
fn referential_templates_see_the_whole_inventory() {
    let s = fixtures();
    // Scanning one Ingress alone: no conflict.
    s.write(
        "single/ingress.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: storefront\n  namespace: shop\nspec:\n  rules:\n    - host: shop.example.com\n",
    );
    let r = scan(&s, &["single"], &["--policy", "gatekeeper"]);
    r.expect_code(0);
    assert!(findings(&r.json()).is_empty());
    let r = scan(
        &s,
        &["single", "manifests/ingresses.yaml"],
        &["--policy", "gatekeeper"],
    );
    let report = r.json();
    let conflicts = findings(&report)
        .iter()
        .filter(|f| f["rule_id"] == "K8sUniqueIngressHost/unique-ingress-hosts")
        .count();
    // The two storefronts share namespace and name (the inventory holds one object per
    // name): each conflicts with checkout, and checkout with storefront.
    assert_eq!(conflicts, 3, "{:#}", report["findings"]);
}

#[test]
fn a_runtime_error_in_a_template_names_the_template_file_and_line() {
    let s = fixtures();
    let r = scan(&s, &["runtime-manifests"], &["--policy", "gatekeeper"]);
    r.expect_code(2);
    let report = r.json();
    let msg = one_error_for(
        &report,
        "runtime-manifests/api-numeric-memory.yaml",
        Some(2),
    );
    let text = std::fs::read_to_string(
        s.path()
            .join("gatekeeper/templates/k8scontainerlimits.yaml"),
    )
    .unwrap();
    let (line, _) = position_of(&text, "units.parse_bytes(container", 0);
    assert!(
        msg.starts_with(&format!(
            "constraint K8sContainerLimits/api-memory-limits failed on Deployment/shop/api-canary: gatekeeper/templates/k8scontainerlimits.yaml:{line}:"
        )),
        "{msg}"
    );
}

#[test]
fn malformed_templates_and_constraints_fail_the_load_naming_file_and_line() {
    let s = fixtures();
    let cases: [(&[&str], &str, &str); 7] = [
        (
            &["malformed/template-syntax"],
            "malformed/template-syntax/k8sbrokenlabels.yaml:18",
            "expecting",
        ),
        (
            &["malformed/lib-unknown-function"],
            "malformed/lib-unknown-function/k8simagedigests.yaml:27",
            "unknown function oci.parse_reference",
        ),
        (
            &["malformed/name-mismatch"],
            "malformed/name-mismatch/template.yaml:4",
            "lower case",
        ),
        (
            &["malformed/no-template"],
            "malformed/no-template/constraint.yaml:1",
            "no ConstraintTemplate defines kind K8sPspPrivileged",
        ),
        (
            &["malformed/cel-only"],
            "malformed/cel-only/template.yaml:11",
            "only Rego is supported",
        ),
        (
            &["gatekeeper/templates", "malformed/match-typo"],
            "malformed/match-typo/constraint.yaml:10",
            "unknown field match.excludeNamespaces",
        ),
        (
            &["gatekeeper/templates", "malformed/bad-action"],
            "malformed/bad-action/constraint.yaml:6",
            "enforcementAction must be deny, warn, dryrun or scoped",
        ),
    ];
    for (policies, file_line, words) in cases {
        let mut extra = Vec::new();
        for p in policies {
            extra.extend_from_slice(&["--policy", p]);
        }
        let r = scan(&s, &["manifests"], &extra);
        let line = load_error(&r, file_line);
        assert!(line.contains(words), "{line}");
    }
}

#[test]
fn conftest_and_gatekeeper_policies_run_together_in_one_directory() {
    let s = fixtures();
    // One directory with both dialects (and YAML that is neither: ignored).
    for (from, to) in [
        ("conftest/v0/deployment.rego", "mixed/deployment.rego"),
        ("conftest/v0/lib.rego", "mixed/lib.rego"),
        (
            "gatekeeper/templates/k8srequiredlabels.yaml",
            "mixed/template.yaml",
        ),
        (
            "gatekeeper/constraints/must-have-owner.yaml",
            "mixed/constraint.yaml",
        ),
        ("manifests/services.yaml", "mixed/sample.yaml"),
    ] {
        s.write(to, std::fs::read(s.path().join(from)).unwrap());
    }
    let r = scan(&s, &["manifests"], &["--policy", "mixed"]);
    r.expect_code(1);
    let report = r.json();
    finding(&report, "conftest/main/deny", "web");
    finding(&report, "K8sRequiredLabels/must-have-owner", "web");
    // The same answer on one worker as on four.
    let one = scan(&s, &["manifests"], &["--policy", "mixed", "--jobs", "1"]);
    let four = scan(&s, &["manifests"], &["--policy", "mixed", "--jobs", "4"]);
    assert_eq!(one.stdout, four.stdout);
}

#[test]
fn text_output_shows_user_findings() {
    let s = fixtures();
    let r = confgate_in(
        &s,
        &[
            "scan",
            "manifests",
            "--select",
            "CG1001",
            "--policy",
            "gatekeeper",
            "--color",
            "never",
        ],
    );
    r.expect_code(1);
    assert!(
        r.stdout.contains("K8sRequiredLabels/must-have-owner"),
        "{}",
        r.stdout
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------
// SARIF
// ---------------------------------------------------------------------------------------

/// The official SARIF 2.1.0 schema writes the `language` pattern with a stray `]`, which
/// ECMA-262 reads as a literal `]` but Rust regexes refuse; escape it (same meaning).
const SARIF_LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";

fn assert_valid_sarif(doc: &Value) {
    let text = read_repo("tests/schemas/sarif-2.1.0.json");
    let mut schema: Value = serde_json::from_str(&text).expect("schema JSON");
    fn escape(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, v) in m.iter_mut() {
                    if k == "pattern" && v == SARIF_LANGUAGE_PATTERN {
                        *v = Value::from(SARIF_LANGUAGE_PATTERN.replace("}]?", "}\\]?"));
                    } else {
                        escape(v);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(escape),
            _ => {}
        }
    }
    escape(&mut schema);
    let validator = jsonschema::draft7::new(&schema).expect("SARIF schema compiles");
    let problems: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "SARIF is invalid:\n{}",
        problems.join("\n")
    );
}

#[test]
fn sarif_with_user_rules_validates_and_describes_them() {
    let s = fixtures();
    let r = confgate_in(
        &s,
        &[
            "scan",
            "manifests",
            "--select",
            "CG1001",
            "--format",
            "sarif",
            "--policy",
            "gatekeeper",
            "--policy",
            "conftest/v0",
            "--policy",
            "conftest/v1",
            "--data",
            "conftest/data",
        ],
    );
    r.expect_code(1);
    let sarif = r.json();
    assert_valid_sarif(&sarif);
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in [
        "conftest/main/deny_latest_tag",
        "conftest/main/violation_registry",
        "K8sRequiredLabels/must-have-owner",
        "K8sContainerLimits/api-memory-limits",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let latest = rules
        .iter()
        .find(|r| r["id"] == "conftest/main/deny_latest_tag")
        .unwrap();
    // The METADATA title becomes the short description.
    assert_eq!(
        latest["shortDescription"]["text"],
        "Images must not use the latest tag"
    );
    assert!(
        latest["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("conftest/v0/deployment.rego")
    );
    let results = run["results"].as_array().expect("results");
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "K8sUniqueIngressHost/unique-ingress-hosts")
    );
    for res in results {
        let id = res["ruleId"].as_str().unwrap();
        assert!(ids.contains(&id), "result rule {id} has a descriptor");
    }
}

// ---------------------------------------------------------------------------------------
// Scale
// ---------------------------------------------------------------------------------------

#[test]
fn many_documents_are_evaluated_in_parallel() {
    let s = fixtures();
    let mut text = String::new();
    for i in 0..600 {
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: shop\n  labels:\n    app: app-{i}\n    tier: backend\n    team: core\n{}spec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:{i}\n          readinessProbe:\n            exec:\n              command: [\"true\"]\n",
            if i % 3 == 0 { "" } else { "    owner: core\n" }
        ));
    }
    s.write("many/apps.yaml", text);
    let started = std::time::Instant::now();
    let r = scan(
        &s,
        &["many", "manifests/namespaces.yaml"],
        &["--policy", "gatekeeper", "--policy", "conftest/v0"],
    );
    r.expect_code(1);
    let report = r.json();
    let owner = |rule: &str| {
        findings(&report)
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .count()
    };
    assert_eq!(owner("K8sRequiredLabels/must-have-owner"), 200);
    assert_eq!(owner("conftest/main/deny"), 200);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "took {:?}",
        started.elapsed()
    );
}
