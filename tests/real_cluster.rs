//! The live-cluster tests against a real cluster, opt-in: set `CONFGATE_TEST_KUBECONFIG` to
//! a kubeconfig (its current context is used). The tests create a namespace of their own
//! with `kubectl`, run `scan --cluster`, `cluster export`, `cluster diff` and `cluster
//! check` in it, and delete it afterwards. Without the variable they say so and pass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::*;

fn kubeconfig() -> Option<String> {
    match std::env::var("CONFGATE_TEST_KUBECONFIG") {
        Ok(k) if !k.is_empty() => Some(k),
        _ => {
            eprintln!("skipped: set CONFGATE_TEST_KUBECONFIG to run against a real cluster");
            None
        }
    }
}

/// A namespace created for one test and deleted when it ends.
struct Namespace {
    name: String,
    kubeconfig: String,
}

impl Namespace {
    fn create(kubeconfig: &str, tag: &str) -> Namespace {
        let name = format!("confgate-test-{tag}-{}", std::process::id());
        let ns = Namespace {
            name,
            kubeconfig: kubeconfig.to_string(),
        };
        ns.kubectl(&["create", "namespace", &ns.name]);
        ns
    }

    fn kubectl(&self, args: &[&str]) -> String {
        let out = Command::new("kubectl")
            .env("KUBECONFIG", &self.kubeconfig)
            .args(args)
            .output()
            .expect("run kubectl");
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn apply(&self, s: &Scratch, yaml: &str) {
        let file = s.write("apply.yaml", yaml);
        self.kubectl(&[
            "apply",
            "--server-side",
            "-n",
            &self.name,
            "-f",
            &file.display().to_string(),
        ]);
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("kubectl")
            .env("KUBECONFIG", &self.kubeconfig)
            .args(["delete", "namespace", &self.name, "--wait=false"])
            .output();
    }
}

const APP: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: debug
---
apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: not-a-real-password-0f9a
"#;

fn privileged_pod(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: c\n    image: registry.k8s.io/pause:3.10\n    securityContext:\n      privileged: true\n"
    )
}

#[test]
fn scan_export_and_check_on_a_real_cluster() {
    let Some(k) = kubeconfig() else { return };
    let s = Scratch::new();
    let ns = Namespace::create(&k, "scan");
    ns.apply(&s, &format!("{APP}---\n{}", privileged_pod("priv")));
    let live = s.run(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        &k,
        "-n",
        &ns.name,
        "--format",
        "json",
    ]);
    let report = live.json();
    assert!(
        findings(&report)
            .iter()
            .any(|f| f["rule_id"] == "CG1001" && f["resource"]["name"] == "priv"),
        "{}",
        live.stdout
    );
    assert!(!live.stdout.contains("not-a-real-password-0f9a"));
    s.run(&[
        "cluster",
        "export",
        "--kubeconfig",
        &k,
        "-n",
        &ns.name,
        "--output-dir",
        "export",
    ])
    .expect_code(0);
    let exported = s.run(&["scan", "export", "--format", "json", "--select", "CG1001"]);
    assert!(
        findings(&exported.json())
            .iter()
            .any(|f| f["resource"]["name"] == "priv")
    );
    let check = s.run(&["cluster", "check", "--kubeconfig", &k, "-n", &ns.name]);
    assert!(check.code == 0 || check.code == 1, "{}", check.stderr);
    assert!(check.stdout.contains("reachable"), "{}", check.stdout);
}

#[test]
fn diff_on_a_real_cluster() {
    let Some(k) = kubeconfig() else { return };
    let s = Scratch::new();
    let ns = Namespace::create(&k, "diff");
    ns.apply(&s, APP);
    s.write("same.yaml", APP);
    s.run(&[
        "cluster",
        "diff",
        "same.yaml",
        "--kubeconfig",
        &k,
        "-n",
        &ns.name,
    ])
    .expect_code(0);
    s.write("changed.yaml", APP.replace("mode: debug", "mode: quiet"));
    let r = s.run(&[
        "cluster",
        "diff",
        "changed.yaml",
        "--kubeconfig",
        &k,
        "-n",
        &ns.name,
    ]);
    r.expect_code(1);
    assert!(r.stdout.contains("+  mode: quiet"), "{}", r.stdout);
    assert!(!r.stdout.contains("not-a-real-password-0f9a"));
}

const DEPLOYMENT: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: real-config
data:
  mode: quiet
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: real
  labels: {app: real}
spec:
  replicas: 1
  selector:
    matchLabels: {app: real}
  template:
    metadata:
      labels: {app: real}
    spec:
      automountServiceAccountToken: false
      containers:
      - name: pause
        image: registry.k8s.io/pause:3.10
        resources:
          limits: {cpu: 50m, memory: 32Mi}
          requests: {cpu: 10m, memory: 16Mi}
        securityContext:
          allowPrivilegeEscalation: false
          runAsNonRoot: true
          runAsUser: 65535
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
          seccompProfile: {type: RuntimeDefault}
"#;

#[test]
fn deploy_wait_verify_and_history_on_a_real_cluster() {
    let Some(k) = kubeconfig() else { return };
    let s = Scratch::new();
    let ns = Namespace::create(&k, "deploy");
    s.write("set/app.yaml", DEPLOYMENT);
    let base = [
        "deploy",
        "set",
        "--set",
        "real",
        "--fail-on",
        "critical",
        "--kubeconfig",
        &k,
        "-n",
        &ns.name,
    ];
    let dry = s.run(&base);
    dry.expect_code(0);
    assert!(
        dry.stdout.contains("would apply: 2 created"),
        "{}",
        dry.stdout
    );
    let mut apply: Vec<&str> = base.to_vec();
    apply.extend_from_slice(&[
        "--apply",
        "--wait-for-rollout",
        "--timeout",
        "180",
        "--verify",
    ]);
    let r = s.run(&apply);
    r.expect_code(0);
    assert!(r.stdout.contains("objects ready in"), "{}", r.stdout);
    assert!(r.stdout.contains("revision 1 recorded"), "{}", r.stdout);
    assert!(
        ns.kubectl(&["get", "deployment", "real", "-n", &ns.name, "-o", "name"])
            .contains("real")
    );
    let h = s.run(&[
        "deploy",
        "history",
        "--set",
        "real",
        "-n",
        &ns.name,
        "--format",
        "json",
        "--kubeconfig",
        &k,
    ]);
    h.expect_code(0);
    assert_eq!(h.json()[0]["rollout"]["state"], "succeeded", "{}", h.stdout);
}

#[test]
fn rollback_list_impact_and_standard_rollback_on_a_real_cluster() {
    let Some(k) = kubeconfig() else { return };
    let s = Scratch::new();
    let ns = Namespace::create(&k, "rollback");
    let deploy = |text: &str| {
        s.write("set/app.yaml", text);
        s.run(&[
            "deploy",
            "set",
            "--set",
            "real",
            "--fail-on",
            "critical",
            "--kubeconfig",
            &k,
            "-n",
            &ns.name,
            "--apply",
            "--wait-for-rollout",
            "--timeout",
            "180",
        ])
        .expect_code(0);
    };
    deploy(DEPLOYMENT);
    deploy(&DEPLOYMENT.replace("mode: quiet", "mode: loud"));
    let rb = |extra: &[&str]| {
        let mut args = vec![
            "rollback",
            "--set",
            "real",
            "--kubeconfig",
            &k,
            "-n",
            &ns.name,
            "--fail-on",
            "critical",
        ];
        args.extend_from_slice(extra);
        s.run(&args)
    };
    let list = rb(&["--list"]);
    list.expect_code(0);
    assert!(list.stdout.contains("   2  "), "{}", list.stdout);
    let impact = rb(&["--to-previous"]);
    impact.expect_code(0);
    assert!(
        impact.stdout.contains("+  mode: quiet"),
        "{}",
        impact.stdout
    );
    assert!(
        impact.stdout.contains("nothing was changed"),
        "{}",
        impact.stdout
    );
    assert!(
        ns.kubectl(&[
            "get",
            "configmap",
            "real-config",
            "-n",
            &ns.name,
            "-o",
            "jsonpath={.data.mode}"
        ])
        .contains("loud")
    );
    let done = rb(&["--to-previous", "--confirm", "--timeout", "180"]);
    done.expect_code(0);
    assert!(
        done.stdout.contains("rollback done, healthy"),
        "{}",
        done.stdout
    );
    assert!(
        ns.kubectl(&[
            "get",
            "configmap",
            "real-config",
            "-n",
            &ns.name,
            "-o",
            "jsonpath={.data.mode}"
        ])
        .contains("quiet")
    );
}
