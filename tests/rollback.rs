//! `confgate rollback` against the test API server: the impact analysis (object changes,
//! prunes, the policy delta) changes nothing; --confirm rolls forward to the target's
//! content as a new revision; re-introduced findings refuse it unless --allow-findings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use confgate_testcluster::{Options, TestCluster};
use serde_json::Value;

use common::*;

fn cluster() -> TestCluster {
    let tc = TestCluster::start(Options::default()).expect("start the test API server");
    tc.load_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
        .unwrap();
    tc
}

fn app(image: &str, extra: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {{app: web}}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n{extra}      containers:\n      - name: web\n        image: {image}\n        securityContext: {{allowPrivilegeEscalation: false, runAsNonRoot: true}}\n"
    )
}

fn run_cg(s: &Scratch, tc: &TestCluster, args: &[&str]) -> Run {
    let k = tc.kubeconfig_path().display().to_string();
    let mut all = args.to_vec();
    all.extend_from_slice(&["--kubeconfig", &k]);
    s.run(&all)
}

fn deploy(s: &Scratch, tc: &TestCluster, text: &str) {
    s.write("app/app.yaml", text);
    run_cg(
        s,
        tc,
        &[
            "deploy",
            "app",
            "--set",
            "web",
            "-n",
            "shop",
            "--apply",
            "--wait-for-rollout",
            "--timeout",
            "60",
            "--fail-on",
            "critical",
        ],
    )
    .expect_code(0);
}

fn image(tc: &TestCluster) -> String {
    tc.get("apps/v1", "Deployment", Some("shop"), "web")
        .unwrap()["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_impact_analysis_changes_nothing_and_confirm_rolls_forward() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(&s, &tc, &app("registry.example.com/web:1.0", ""));
    deploy(
        &s,
        &tc,
        &(app("registry.example.com/web:2.0", "")
            + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: b}\n"),
    );
    let r = run_cg(
        &s,
        &tc,
        &["rollback", "--set", "web", "-n", "shop", "--to-previous"],
    );
    r.expect_code(0);
    assert!(
        r.stdout.contains("from revision 2 to revision 1"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("-        - image: registry.example.com/web:2.0"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("+        - image: registry.example.com/web:1.0"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("pods that will restart: about 1"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("would prune ConfigMap/shop/extra"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("nothing was changed"), "{}", r.stdout);
    assert_eq!(image(&tc), "registry.example.com/web:2.0");
    let r = run_cg(
        &s,
        &tc,
        &[
            "rollback",
            "--set",
            "web",
            "-n",
            "shop",
            "--to-previous",
            "--confirm",
        ],
    );
    r.expect_code(0);
    assert_eq!(image(&tc), "registry.example.com/web:1.0");
    assert!(tc.get("v1", "ConfigMap", Some("shop"), "extra").is_none());
    let h = run_cg(
        &s,
        &tc,
        &[
            "rollback", "--set", "web", "-n", "shop", "--list", "--format", "json",
        ],
    );
    let v: Value = h.json();
    let revs = v.as_array().unwrap();
    assert_eq!(revs.len(), 3, "{v}");
    assert_eq!(
        revs[2]["description"],
        "roll forward to the content of revision 1"
    );
    assert_eq!(revs[2]["rollout"]["state"], "succeeded");
}

#[test]
fn a_target_that_brings_findings_back_is_refused_unless_allowed() {
    let tc = cluster();
    let s = Scratch::new();
    // Revision 1 runs on the host network (CG1007, high); revision 2 fixed it.
    deploy(
        &s,
        &tc,
        &app("registry.example.com/web:1.0", "      hostNetwork: true\n"),
    );
    deploy(&s, &tc, &app("registry.example.com/web:2.0", ""));
    let r = run_cg(
        &s,
        &tc,
        &[
            "rollback",
            "--set",
            "web",
            "-n",
            "shop",
            "--target-revision",
            "1",
            "--confirm",
        ],
    );
    r.expect_code(1);
    assert!(r.stdout.contains("+ CG1007"), "{}", r.stdout);
    assert!(r.stdout.contains("rollback refused"), "{}", r.stdout);
    assert_eq!(image(&tc), "registry.example.com/web:2.0");
    let r = run_cg(
        &s,
        &tc,
        &[
            "rollback",
            "--set",
            "web",
            "-n",
            "shop",
            "--target-revision",
            "1",
            "--confirm",
            "--allow-findings",
        ],
    );
    r.expect_code(0);
    assert_eq!(image(&tc), "registry.example.com/web:1.0");
    let v = run_cg(
        &s,
        &tc,
        &[
            "rollback", "--set", "web", "-n", "shop", "--list", "--format", "json",
        ],
    )
    .json();
    assert!(
        v[2]["description"]
            .as_str()
            .unwrap()
            .contains("--allow-findings"),
        "{v}"
    );
}

#[test]
fn a_missing_or_corrupt_target_is_an_error_and_nothing_is_applied() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(&s, &tc, &app("registry.example.com/web:1.0", ""));
    let r = run_cg(
        &s,
        &tc,
        &[
            "rollback",
            "--set",
            "web",
            "-n",
            "shop",
            "--target-revision",
            "7",
            "--confirm",
        ],
    );
    r.expect_code(2);
    assert!(
        r.stderr.contains("no revision 7 (the set has 1)"),
        "{}",
        r.stderr
    );
    deploy(&s, &tc, &app("registry.example.com/web:2.0", ""));
    // Corrupt revision 1: its payload no longer matches its checksum.
    let mut chunk = tc
        .get("v1", "Secret", Some("shop"), "confgate-rev.web.v1")
        .unwrap();
    chunk["metadata"]["annotations"]["confgate.dev/sha256"] = Value::String("0".repeat(64));
    for k in [
        "resourceVersion",
        "uid",
        "creationTimestamp",
        "managedFields",
    ] {
        chunk["metadata"].as_object_mut().unwrap().remove(k);
    }
    tc.load_yaml(&serde_json::to_string(&chunk).unwrap()).ok();
    let r = run_cg(
        &s,
        &tc,
        &[
            "rollback",
            "--set",
            "web",
            "-n",
            "shop",
            "--to-previous",
            "--confirm",
        ],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("revision 1 of set web: checksum mismatch"),
        "{}",
        r.stderr
    );
    assert_eq!(image(&tc), "registry.example.com/web:2.0");
}
