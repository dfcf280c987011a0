//! `confgate deploy` against the test API server: the gate first, the dry run by default,
//! apply in order with a rollout wait, conflicts, missing namespaces and permissions, failing
//! rollouts explained from pods and Events, pruning by ApplySet, and a failure mid-way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use confgate_testcluster::{Options, Rule, TestCluster, User};
use serde_json::Value;

use common::*;

fn cluster() -> TestCluster {
    let tc = TestCluster::start(Options::default()).expect("start the test API server");
    tc.load_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
        .unwrap();
    tc
}

/// A small, clean set: a ConfigMap, a Service and a Deployment that passes the gate.
fn app(image: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  LOG_LEVEL: info
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {{app: web}}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {{app: web}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: {image}
        securityContext:
          allowPrivilegeEscalation: false
          runAsNonRoot: true
"#
    )
}

fn deploy(s: &Scratch, tc: &TestCluster, args: &[&str]) -> Run {
    let k = tc.kubeconfig_path().display().to_string();
    let mut all = vec![
        "deploy",
        "app",
        "--set",
        "web",
        "-n",
        "shop",
        "--fail-on",
        "critical",
    ];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--kubeconfig", &k]);
    s.run(&all)
}

fn image_of(tc: &TestCluster) -> Option<String> {
    tc.get("apps/v1", "Deployment", Some("shop"), "web")
        .and_then(|d| {
            d["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .map(str::to_string)
        })
}

#[test]
fn without_apply_nothing_changes_and_the_diff_is_shown() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    let r = deploy(&s, &tc, &[]);
    r.expect_code(0);
    assert!(r.stdout.contains("dry run"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("would apply: 3 created, 0 changed, 0 unchanged"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("+        image: registry.example.com/web:1.0")
            || r.stdout.contains("image: registry.example.com/web:1.0"),
        "{}",
        r.stdout
    );
    assert!(
        tc.get("apps/v1", "Deployment", Some("shop"), "web")
            .is_none()
    );
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "web-config")
            .is_none()
    );
}

#[test]
fn a_set_that_fails_the_gate_is_not_applied() {
    let tc = cluster();
    let s = Scratch::new();
    s.write(
        "app/app.yaml",
        app("nginx:1.27").replace("allowPrivilegeEscalation: false", "privileged: true"),
    );
    let r = deploy(&s, &tc, &["--apply"]);
    r.expect_code(1);
    assert!(r.stdout.contains("CG1001"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("stopped at the gate: nothing was applied"),
        "{}",
        r.stdout
    );
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "web-config")
            .is_none()
    );
}

#[test]
fn apply_waits_for_the_rollout_and_a_second_apply_changes_nothing() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    let r = deploy(
        &s,
        &tc,
        &[
            "--apply",
            "--wait-for-rollout",
            "--timeout",
            "60",
            "--verify",
        ],
    );
    r.expect_code(0);
    assert!(r.stdout.contains("applied: 3 created"), "{}", r.stdout);
    assert!(r.stdout.contains("objects ready in"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("verify: the live objects hold what was applied"),
        "{}",
        r.stdout
    );
    assert_eq!(
        image_of(&tc).as_deref(),
        Some("registry.example.com/web:1.0")
    );
    let d = tc
        .get("apps/v1", "Deployment", Some("shop"), "web")
        .unwrap();
    let managers: Vec<&str> = d["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert!(managers.contains(&"confgate"), "{managers:?}");
    assert!(
        d["metadata"]["labels"]["applyset.kubernetes.io/part-of"]
            .as_str()
            .is_some_and(|v| v.starts_with("applyset-"))
    );
    let again = deploy(&s, &tc, &["--apply", "--format", "json"]);
    again.expect_code(0);
    let v: Value = again.json();
    assert!(
        v["applied"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["change"] == "unchanged"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_rollout_that_never_becomes_ready_is_explained_at_the_timeout() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/crashloop:1.0"));
    let r = deploy(
        &s,
        &tc,
        &["--apply", "--wait-for-rollout", "--timeout", "4"],
    );
    r.expect_code(1);
    assert!(r.stdout.contains("not ready"), "{}", r.stdout);
    assert!(r.stdout.contains("Deployment/shop/web"), "{}", r.stdout);
    assert!(r.stdout.contains("CrashLoopBackOff"), "{}", r.stdout);
    let s2 = Scratch::new();
    s2.write("app/app.yaml", app("registry.example.com/imagepull:1.0"));
    let r = deploy(
        &s2,
        &tc,
        &[
            "--apply",
            "--wait-for-rollout",
            "--timeout",
            "4",
            "--force-conflicts",
        ],
    );
    r.expect_code(1);
    assert!(
        r.stdout.contains("ImagePullBackOff") || r.stdout.contains("ErrImagePull"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_missing_namespace_stops_the_deploy_unless_it_may_be_created() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    let k = tc.kubeconfig_path().display().to_string();
    let r = s.run(&[
        "deploy",
        "app",
        "--set",
        "web",
        "-n",
        "new-ns",
        "--apply",
        "--kubeconfig",
        &k,
        "--fail-on",
        "critical",
    ]);
    r.expect_code(2);
    assert!(
        r.stdout.contains("namespace new-ns does not exist")
            && r.stdout.contains("--create-namespace"),
        "{}",
        r.stdout
    );
    let r = s.run(&[
        "deploy",
        "app",
        "--set",
        "web",
        "-n",
        "new-ns",
        "--apply",
        "--create-namespace",
        "--kubeconfig",
        &k,
        "--fail-on",
        "critical",
    ]);
    r.expect_code(0);
    assert!(tc.get("v1", "Namespace", None, "new-ns").is_some());
    assert!(
        tc.get("v1", "ConfigMap", Some("new-ns"), "web-config")
            .is_some()
    );
}

#[test]
fn missing_permissions_are_listed_all_at_once_before_anything_is_applied() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    let r = deploy(&s, &tc, &["--apply", "--context", "testcluster-limited"]);
    r.expect_code(2);
    assert!(r.stdout.contains("permissions missing"), "{}", r.stdout);
    for p in [
        "patch deployments.apps in namespace shop",
        "create services in namespace shop",
        "patch configmaps in namespace shop",
    ] {
        assert!(r.stdout.contains(p), "{p}: {}", r.stdout);
    }
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "web-config")
            .is_none()
    );
}

#[test]
fn a_user_who_may_not_even_read_namespaces_gets_every_missing_permission_at_once() {
    // May ask what it may do, nothing else: the namespace check must not come first.
    let tc = TestCluster::start(Options {
        users: vec![User {
            name: "reviewer".into(),
            token: "reviewer-token".into(),
            rules: vec![Rule::new(
                &["create"],
                &["authorization.k8s.io"],
                &["selfsubjectaccessreviews"],
            )],
        }],
        ..Default::default()
    })
    .unwrap();
    tc.load_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
        .unwrap();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    let r = deploy(&s, &tc, &["--apply", "--context", "testcluster-reviewer"]);
    r.expect_code(2);
    assert!(r.stdout.contains("permissions missing"), "{}", r.stdout);
    for p in [
        "get namespaces (cluster-wide)",
        "patch deployments.apps in namespace shop",
        "create services in namespace shop",
        "get configmaps in namespace shop",
        "create secrets in namespace shop",
    ] {
        assert!(r.stdout.contains(p), "{p}: {}", r.stdout);
    }
    assert!(tc.objects().iter().all(|o| o["metadata"]["name"] != "web"));
}

#[test]
fn fields_of_another_manager_are_conflicts_unless_forced() {
    let tc = cluster();
    let s = Scratch::new();
    // Another manager owns the Deployment's replicas and image.
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    deploy(&s, &tc, &["--apply"]).expect_code(0);
    let other = s.write(
        "other.yaml",
        app("registry.example.com/web:9.9")
            .split("---")
            .nth(2)
            .unwrap(),
    );
    let k = tc.kubeconfig_path().display().to_string();
    let kubectl = std::process::Command::new("kubectl")
        .env("KUBECONFIG", &k)
        .args([
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager",
            "hotfix",
            "-n",
            "shop",
            "-f",
        ])
        .arg(&other)
        .output();
    let Ok(out) = kubectl else {
        eprintln!("skipped: kubectl not found");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.write("app/app.yaml", app("registry.example.com/web:2.0"));
    let r = deploy(&s, &tc, &["--apply"]);
    r.expect_code(2);
    assert!(
        r.stdout.contains("owned by another field manager"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Deployment/shop/web") && r.stdout.contains("image"),
        "{}",
        r.stdout
    );
    assert_eq!(
        image_of(&tc).as_deref(),
        Some("registry.example.com/web:9.9")
    );
    deploy(&s, &tc, &["--apply", "--force-conflicts"]).expect_code(0);
    assert_eq!(
        image_of(&tc).as_deref(),
        Some("registry.example.com/web:2.0")
    );
}

#[test]
fn prune_deletes_former_members_and_nothing_else() {
    let tc = cluster();
    tc.load_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: not-ours, namespace: shop}\n")
        .unwrap();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    deploy(&s, &tc, &["--apply"]).expect_code(0);
    // The ConfigMap leaves the set.
    let without: String = app("registry.example.com/web:1.0")
        .split("---")
        .skip(1)
        .collect::<Vec<_>>()
        .join("---");
    s.write("app/app.yaml", without);
    let dry = deploy(&s, &tc, &["--prune"]);
    dry.expect_code(0);
    assert!(
        dry.stdout.contains("would prune ConfigMap/shop/web-config"),
        "{}",
        dry.stdout
    );
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "web-config")
            .is_some()
    );
    let r = deploy(&s, &tc, &["--apply", "--prune"]);
    r.expect_code(0);
    assert!(
        r.stdout.contains("pruned ConfigMap/shop/web-config"),
        "{}",
        r.stdout
    );
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "web-config")
            .is_none()
    );
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "not-ours")
            .is_some()
    );
    assert!(
        tc.get("apps/v1", "Deployment", Some("shop"), "web")
            .is_some()
    );
}

#[test]
fn an_object_rejected_mid_way_says_what_was_and_was_not_applied() {
    let tc = cluster();
    let s = Scratch::new();
    // A CRD and a custom resource the server rejects: the resource cannot be
    // dry-run before its CRD exists, so the failure comes while applying.
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets, singular: widget}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n";
    let bad = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: -1}\n";
    // The server rejects the custom resource (as a validating schema or webhook would).
    tc.faults().fail(
        Some("PATCH"),
        "/apis/example.com/v1/namespaces/shop/widgets/w",
        422,
        1,
    );
    s.write(
        "app/app.yaml",
        format!(
            "{}---\n{crd}---\n{bad}",
            app("registry.example.com/web:1.0")
        ),
    );
    let r = deploy(&s, &tc, &["--apply"]);
    r.expect_code(2);
    assert!(
        r.stdout.contains("Widget/shop/w rejected by the server"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("applied: 4 created"), "{}", r.stdout);
    assert!(
        r.stdout.contains("not applied (1): Widget/shop/w"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("revision"), "{}", r.stdout);
}

fn history(s: &Scratch, tc: &TestCluster) -> Value {
    let k = tc.kubeconfig_path().display().to_string();
    let r = s.run(&[
        "deploy",
        "history",
        "--set",
        "web",
        "-n",
        "shop",
        "--format",
        "json",
        "--kubeconfig",
        &k,
    ]);
    r.expect_code(0);
    r.json()
}

#[test]
fn every_apply_records_a_revision_and_history_lists_them() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    let r = deploy(
        &s,
        &tc,
        &[
            "--apply",
            "--wait-for-rollout",
            "--timeout",
            "60",
            "--description",
            "first",
        ],
    );
    r.expect_code(0);
    assert!(r.stdout.contains("revision 1 recorded"), "{}", r.stdout);
    s.write("app/app.yaml", app("registry.example.com/web:1.1"));
    deploy(
        &s,
        &tc,
        &["--apply", "--wait-for-rollout", "--timeout", "60"],
    )
    .expect_code(0);
    let h = history(&s, &tc);
    let revs = h.as_array().unwrap();
    assert_eq!(revs.len(), 2, "{h}");
    assert_eq!(revs[0]["number"], 1);
    assert_eq!(revs[0]["description"], "first");
    assert_eq!(revs[1]["rollout"]["state"], "succeeded", "{h}");
    // A dry run records nothing.
    deploy(&s, &tc, &[]).expect_code(0);
    assert_eq!(history(&s, &tc).as_array().unwrap().len(), 2);
}

#[test]
fn a_failed_rollout_is_rolled_back_to_the_previous_revision_when_asked() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    deploy(
        &s,
        &tc,
        &["--apply", "--wait-for-rollout", "--timeout", "60"],
    )
    .expect_code(0);
    s.write("app/app.yaml", app("registry.example.com/never-ready:2.0"));
    let r = deploy(
        &s,
        &tc,
        &[
            "--apply",
            "--wait-for-rollout",
            "--timeout",
            "4",
            "--rollback-on-failure",
        ],
    );
    r.expect_code(1);
    assert!(r.stdout.contains("not ready"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("rolled back to revision 1: its rollout succeeded"),
        "{}",
        r.stdout
    );
    assert_eq!(
        image_of(&tc).as_deref(),
        Some("registry.example.com/web:1.0")
    );
    let h = history(&s, &tc);
    let revs = h.as_array().unwrap();
    assert_eq!(revs.len(), 3, "{h}");
    assert_eq!(revs[1]["rollout"]["state"], "timed-out", "{h}");
    assert!(
        revs[2]["description"]
            .as_str()
            .unwrap_or("")
            .contains("rollback to revision 1"),
        "{h}"
    );
    assert_eq!(revs[2]["rollout"]["state"], "succeeded", "{h}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_the_wait_leaves_the_revision_marked_interrupted() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/never-ready:1.0"));
    let k = tc.kubeconfig_path().display().to_string();
    let child = confgate(s.path())
        .args([
            "deploy",
            "app",
            "--set",
            "web",
            "-n",
            "shop",
            "--fail-on",
            "critical",
            "--apply",
            "--wait-for-rollout",
            "--timeout",
            "120",
            "--kubeconfig",
            &k,
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the revision exists (the objects are applied, the wait has begun).
    let start = std::time::Instant::now();
    while tc
        .get("v1", "Secret", Some("shop"), "confgate-rev.web.v1")
        .is_none()
    {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "no revision recorded"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let h = history(&s, &tc);
    assert_eq!(h[0]["rollout"]["state"], "interrupted", "{h}");
    assert_eq!(h[0]["complete"], true, "{h}");
}

#[test]
fn an_immutable_field_change_is_explained_with_the_fix_and_nothing_is_applied() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    deploy(&s, &tc, &["--apply"]).expect_code(0);
    // A new selector (and labels to match): the API server refuses to change it.
    s.write(
        "app/app.yaml",
        app("registry.example.com/web:1.1").replace("{app: web}", "{app: web2}"),
    );
    let r = deploy(&s, &tc, &["--apply"]);
    r.expect_code(2);
    assert!(
        r.stdout.contains("spec.selector") && r.stdout.contains("immutable"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("delete and re-create"), "{}", r.stdout);
    assert_eq!(
        image_of(&tc).as_deref(),
        Some("registry.example.com/web:1.0")
    );
}

#[test]
fn the_api_server_going_away_mid_deploy_is_an_error_naming_it() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    // Nothing answers once the deploy is past the dry run: the custom resource (not dry-run
    // before its CRD exists) is the first write that gets no answer.
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets, singular: widget}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n";
    s.write(
        "app/app.yaml",
        format!(
            "{}---\n{crd}---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w}}\n",
            app("registry.example.com/web:1.0")
        ),
    );
    tc.faults().delay(
        None,
        "/apis/example.com/v1/namespaces/shop/widgets",
        std::time::Duration::from_secs(30),
        100,
    );
    let t = std::time::Instant::now();
    let r = deploy(&s, &tc, &["--apply", "--request-timeout", "2"]);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(25),
        "{:?}",
        t.elapsed()
    );
    r.expect_code(2);
    assert!(
        r.stdout.contains("did not answer within 2 s"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("applied: 4 created"), "{}", r.stdout);
    assert!(
        r.stdout.contains("not applied (1): Widget/shop/w"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("revision"), "{}", r.stdout);
}

#[test]
fn generate_deploy_renders_then_deploys_the_environment() {
    let tc = cluster();
    tc.load_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n")
        .unwrap();
    let s = Scratch::new();
    let fixture = repo_path("tests/fixtures/generate/basic");
    for entry in walkdir::WalkDir::new(&fixture) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(&fixture).unwrap();
        let dest = s.path().join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
    let k = tc.kubeconfig_path().display().to_string();
    let r = run(confgate(s.path())
        .env("CG_TEST_DB_PASSWORD", "Zq8-fixture-db-password-91c")
        .args([
            "generate",
            "--environment",
            "prod",
            "--output-dir",
            "out",
            "--deploy",
            "--apply",
            "--kubeconfig",
            &k,
        ]));
    r.expect_code(0);
    assert!(
        r.stdout.contains("deploy of set prod into namespace prod"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("revision 1 recorded"), "{}", r.stdout);
    assert!(
        !r.stdout.contains("Zq8-fixture-db-password-91c")
            && !r.stderr.contains("Zq8-fixture-db-password-91c")
    );
    assert!(tc.objects().iter().any(|o| o["kind"] == "ConfigMap"
        && o["metadata"]["namespace"] == "prod"
        && o["metadata"]["labels"]["applyset.kubernetes.io/part-of"].is_string()));
}

#[test]
fn validate_stops_an_invalid_set_before_anything_is_applied() {
    let tc = cluster();
    let s = Scratch::new();
    s.write(
        "app/app.yaml",
        app("registry.example.com/web:1.0").replace("replicas: 2", "replicas: two"),
    );
    let r = deploy(&s, &tc, &["--apply", "--validate"]);
    r.expect_code(1);
    assert!(r.stdout.contains("the set is not valid"), "{}", r.stdout);
    assert!(r.stdout.contains("replicas"), "{}", r.stdout);
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "web-config")
            .is_none()
    );
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    deploy(&s, &tc, &["--apply", "--validate"]).expect_code(0);
}

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets, singular: widget}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n";

#[test]
fn a_dry_run_counts_what_can_only_be_checked_when_applied_as_created() {
    let tc = cluster();
    let s = Scratch::new();
    // A custom resource of a CRD in the set, and a ConfigMap in a namespace the set creates:
    // neither can be dry-run by the server yet.
    s.write(
        "app/app.yaml",
        format!(
            "{WIDGET_CRD}---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w}}\nspec: {{size: 3}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: fresh}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings, namespace: fresh}}\ndata: {{MODE: fast}}\n"
        ),
    );
    let r = deploy(&s, &tc, &[]);
    r.expect_code(0);
    assert!(
        r.stdout.contains(
            "would apply: 4 created (2 checked when applied), 0 changed, 0 unchanged, 0 pruned"
        ),
        "{}",
        r.stdout
    );
    for shown in ["Widget/shop/w", "ConfigMap/fresh/settings"] {
        assert!(
            r.stdout
                .contains(&format!("# {shown}: created, checked when applied")),
            "{shown}: {}",
            r.stdout
        );
    }
    assert!(r.stdout.contains("+  size: 3"), "{}", r.stdout);
    let json = deploy(&s, &tc, &["--format", "json"]);
    json.expect_code(0);
    let v = json.json();
    let deferred: Vec<&str> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["deferred"] == true)
        .filter_map(|o| o["object"].as_str())
        .collect();
    let mut deferred = deferred;
    deferred.sort();
    assert_eq!(
        deferred,
        ["ConfigMap/fresh/settings", "Widget/shop/w"],
        "{v}"
    );
    assert!(tc.get("v1", "Namespace", None, "fresh").is_none());
    assert!(
        tc.get(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "widgets.example.com"
        )
        .is_none()
    );
}

/// A Secret of the set; `value` is its password.
fn secret(value: &str, string_data: bool) -> String {
    use base64::Engine as _;
    if string_data {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: web-db}}\ntype: Opaque\nstringData:\n  password: {value}\n"
        )
    } else {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: web-db}}\ntype: Opaque\ndata:\n  password: {}\n",
            base64::engine::general_purpose::STANDARD.encode(value)
        )
    }
}

#[test]
fn a_dry_run_masks_secret_values_and_counts_changed_objects() {
    use base64::Engine as _;
    let tc = cluster();
    let s = Scratch::new();
    let (old, new) = ("Old-db-pass-4417", "New-db-pass-9352");
    s.write(
        "app/app.yaml",
        format!(
            "{}---\n{}",
            app("registry.example.com/web:1.0"),
            secret(old, false)
        ),
    );
    deploy(&s, &tc, &["--apply"]).expect_code(0);
    s.write(
        "app/app.yaml",
        format!(
            "{}---\n{}",
            app("registry.example.com/web:1.1"),
            secret(new, false)
        ),
    );
    let r = deploy(&s, &tc, &["--dry-run"]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("would apply: 0 created, 2 changed, 2 unchanged, 0 pruned"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("*** (changed)"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("+        - image: registry.example.com/web:1.1"),
        "{}",
        r.stdout
    );
    let b64 = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
    for leaked in [old.to_string(), new.to_string(), b64(old), b64(new)] {
        assert!(
            !r.stdout.contains(&leaked) && !r.stderr.contains(&leaked),
            "{leaked} leaked:\n{}\n{}",
            r.stdout,
            r.stderr
        );
    }
    // Nothing changed.
    assert_eq!(
        image_of(&tc).as_deref(),
        Some("registry.example.com/web:1.0")
    );
}

#[test]
fn verify_accepts_a_secret_written_with_string_data() {
    let tc = cluster();
    let s = Scratch::new();
    let value = "Plain-db-pass-7781";
    s.write(
        "app/app.yaml",
        format!(
            "{}---\n{}",
            app("registry.example.com/web:1.0"),
            secret(value, true)
        ),
    );
    let r = deploy(&s, &tc, &["--apply", "--verify"]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("verify: the live objects hold what was applied"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(value) && !r.stderr.contains(value));
    // The server kept the value in `data`, as kube-apiserver does.
    use base64::Engine as _;
    let live = tc.get("v1", "Secret", Some("shop"), "web-db").unwrap();
    assert_eq!(
        live["data"]["password"],
        base64::engine::general_purpose::STANDARD
            .encode(value)
            .as_str(),
        "{live}"
    );
    assert!(live.get("stringData").is_none(), "{live}");
}

#[test]
fn history_max_from_the_command_line_keeps_that_many_revisions() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    for _ in 0..3 {
        deploy(&s, &tc, &["--apply", "--history-max", "2"]).expect_code(0);
    }
    let h = history(&s, &tc);
    let numbers: Vec<u64> = h
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["number"].as_u64())
        .collect();
    assert_eq!(numbers, [2, 3], "{h}");
}

#[test]
fn the_git_commit_is_recorded_when_the_set_is_in_a_repository() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(s.path())
            .args([
                "-c",
                "user.name=CI",
                "-c",
                "user.email=ci@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
    };
    let Ok(init) = git(&["init", "-q"]) else {
        eprintln!("skipped: git not found");
        return;
    };
    assert!(init.status.success());
    assert!(git(&["add", "."]).unwrap().status.success());
    let commit = git(&["commit", "-q", "-m", "the set"]).unwrap();
    assert!(
        commit.status.success(),
        "{}",
        String::from_utf8_lossy(&commit.stderr)
    );
    let head = git(&["rev-parse", "HEAD"]).unwrap();
    let sha = String::from_utf8_lossy(&head.stdout).trim().to_string();
    assert_eq!(sha.len(), 40, "{sha}");
    deploy(&s, &tc, &["--apply"]).expect_code(0);
    let h = history(&s, &tc);
    assert_eq!(h[0]["commit"], sha.as_str(), "{h}");
}

#[test]
fn a_rollback_that_does_not_become_ready_either_is_reported_so() {
    let tc = cluster();
    let s = Scratch::new();
    s.write("app/app.yaml", app("registry.example.com/never-ready:1.0"));
    deploy(
        &s,
        &tc,
        &["--apply", "--wait-for-rollout", "--timeout", "2"],
    )
    .expect_code(1);
    s.write("app/app.yaml", app("registry.example.com/never-ready:2.0"));
    let r = deploy(
        &s,
        &tc,
        &[
            "--apply",
            "--wait-for-rollout",
            "--timeout",
            "2",
            "--rollback-on-failure",
        ],
    );
    r.expect_code(1);
    assert!(
        r.stdout
            .contains("rolled back to revision 1, but it did not become ready either"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("its rollout succeeded"), "{}", r.stdout);
    let h = history(&s, &tc);
    assert_eq!(h[2]["rollout"]["state"], "timed-out", "{h}");
}

/// A scratch directory whose `confgate.toml` names the set: `[deploy]` alone says what,
/// where and how.
fn configured(tc: &TestCluster, validate: bool) -> Scratch {
    let s = Scratch::new();
    s.write(
        "confgate.toml",
        format!(
            "fail-on = \"critical\"\n[deploy]\nconfig-dir = \"app\"\nnamespace = \"shop\"\nset = \"web\"\nvalidate = {validate}\n[cluster]\nkubeconfig = \"{}\"\n",
            tc.kubeconfig_path().display()
        ),
    );
    s
}

#[test]
fn deploy_settings_come_from_the_deploy_section_and_confgate_variables() {
    let tc = cluster();
    let s = configured(&tc, true);
    s.write(
        "app/app.yaml",
        app("registry.example.com/web:1.0").replace("replicas: 2", "replicas: two"),
    );
    // `validate = true` in [deploy]: the invalid set stops before anything is applied.
    let r = s.run(&["deploy", "--apply"]);
    r.expect_code(1);
    assert!(r.stdout.contains("the set is not valid"), "{}", r.stdout);
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "web-config")
            .is_none()
    );
    s.write("app/app.yaml", app("registry.example.com/web:1.0"));
    // No --apply: the dry run is the default, with the set and namespace of [deploy].
    let r = s.run(&["deploy"]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("deploy of set web into namespace shop (dry run"),
        "{}",
        r.stdout
    );
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "web-config")
            .is_none()
    );
    // CONFGATE_DRY_RUN=true: a dry run too.
    let r = run(confgate(s.path())
        .env("CONFGATE_DRY_RUN", "true")
        .args(["deploy"]));
    r.expect_code(0);
    assert!(r.stdout.contains("dry run"), "{}", r.stdout);
    // CONFGATE_APPLY=true is --apply (and CONFGATE_DESCRIPTION --description).
    let r = run(confgate(s.path())
        .env("CONFGATE_APPLY", "true")
        .env("CONFGATE_DESCRIPTION", "from the environment")
        .args(["deploy"]));
    r.expect_code(0);
    assert!(r.stdout.contains("revision 1 recorded"), "{}", r.stdout);
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "web-config")
            .is_some()
    );
    let h = history(&s, &tc);
    assert_eq!(h[0]["description"], "from the environment", "{h}");
}
