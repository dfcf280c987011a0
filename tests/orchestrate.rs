//! `confgate status`, `full-cycle`, `cleanup` and the original suite's command names against
//! the test API server: real deploys, real drift, real backups, and the exit codes cron and
//! pipelines read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use confgate_testcluster::{Options, TestCluster};
use serde_json::Value;

use common::*;

fn cluster() -> TestCluster {
    let tc = TestCluster::start(Options::default()).expect("start the test API server");
    tc.load_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
        .unwrap();
    tc
}

/// A small set that passes the gate at `critical`.
fn app(image: &str, level: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  LOG_LEVEL: {level}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {{app: web}}
spec:
  replicas: 1
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

/// A scratch directory with a backup key and its own state directory.
struct Env {
    s: Scratch,
    key: PathBuf,
    kubeconfig: String,
}

impl Env {
    fn new(tc: &TestCluster) -> Env {
        let s = Scratch::new();
        let key = s.path().join("master.key");
        let e = Env {
            s,
            key,
            kubeconfig: tc.kubeconfig_path().display().to_string(),
        };
        e.run(&["backup", "keygen", "--key-output", e.key.to_str().unwrap()])
            .expect_code(0);
        e
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = confgate(self.s.path());
        c.args(args)
            .env("CONFGATE_BACKUP_KEY_FILE", &self.key)
            .env("CONFGATE_STATE_DIR", self.s.path().join("state"))
            .env("CONFGATE_KUBECONFIG", &self.kubeconfig)
            .env_remove("CONFGATE_BACKUP_KEY");
        for k in [
            "ENVIRONMENT",
            "NAMESPACE",
            "DRY_RUN",
            "OUTPUT_DIR",
            "ROLLBACK_TARGET",
            "LOG_LEVEL",
            "BACKUP_ACTION",
            "BACKUP_ID",
            "MONITOR_DURATION",
            "METRICS_FORMAT",
        ] {
            c.env_remove(k);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        run(&mut self.cmd(args))
    }

    fn deploy(&self, extra: &[&str]) -> Run {
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
        all.extend_from_slice(extra);
        self.run(&all)
    }

    fn status(&self, extra: &[&str]) -> Run {
        let mut all = vec!["status", "app", "--set", "web", "-n", "shop", "-f", "json"];
        all.extend_from_slice(extra);
        self.run(&all)
    }
}

fn attention(r: &Run) -> Vec<String> {
    r.json()["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn status_of_a_healthy_deployed_set_is_ok_and_names_the_revision() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "info"));
    e.deploy(&["--apply", "--wait-for-rollout", "--timeout", "60"])
        .expect_code(0);
    let r = e.status(&[]);
    r.expect_code(0);
    let j = r.json();
    assert_eq!(j["reachable"], true, "{j:#}");
    assert!(j["version"].as_str().unwrap().starts_with('v'), "{j:#}");
    assert_eq!(j["sets"][0]["set"], "web", "{j:#}");
    assert_eq!(j["sets"][0]["revision"], 1, "{j:#}");
    assert_eq!(j["sets"][0]["rollout"], "succeeded", "{j:#}");
    assert!(!j["sets"][0]["deployed_by"].as_str().unwrap().is_empty());
    assert_eq!(j["drift"], serde_json::json!([]), "{j:#}");
    assert!(j["health"].as_u64().unwrap() >= 80, "{j:#}");
    assert!(j["findings"].is_object(), "{j:#}");
    assert!(attention(&r).is_empty());
    // The text form says the same.
    let t = e.run(&["status", "app", "--set", "web", "-n", "shop"]);
    t.expect_code(0);
    assert!(
        t.stdout.contains("revision: set web revision 1"),
        "{}",
        t.stdout
    );
    assert!(t.stdout.contains("drift: none"), "{}", t.stdout);
    assert!(t.stdout.contains("status: ok"), "{}", t.stdout);
}

#[test]
fn status_reports_drift_from_the_files_and_exits_1() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "info"));
    e.deploy(&["--apply", "--wait-for-rollout", "--timeout", "60"])
        .expect_code(0);
    // Someone edits the ConfigMap by hand.
    let mut cm = tc
        .get("v1", "ConfigMap", Some("shop"), "web-config")
        .unwrap();
    cm["data"]["LOG_LEVEL"] = Value::String("debug".into());
    tc.load_yaml(&serde_json::to_string(&cm).unwrap()).unwrap();
    let r = e.status(&[]);
    r.expect_code(1);
    let j = r.json();
    assert_eq!(
        j["drift"],
        serde_json::json!(["ConfigMap/shop/web-config"]),
        "{j:#}"
    );
    assert_eq!(attention(&r), ["1 objects differ from the files"]);
}

#[test]
fn status_needs_attention_when_the_backup_is_missing_or_too_old_for_the_policy() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "info"));
    e.deploy(&["--apply", "--wait-for-rollout", "--timeout", "60"])
        .expect_code(0);
    let r = e.status(&["--backup-max-age", "1h"]);
    r.expect_code(1);
    assert_eq!(attention(&r), ["no backup has been recorded"]);
    e.run(&["backup", "create", "-n", "shop", "-f", "json"])
        .expect_code(0);
    let r = e.status(&["--backup-max-age", "1h"]);
    r.expect_code(0);
    let j = r.json();
    assert!(
        j["backup"]["last_backup"]["id"]
            .as_str()
            .unwrap()
            .starts_with("backup-"),
        "{j:#}"
    );
    assert!(j["backup"]["age_seconds"].as_i64().unwrap() < 3600);
    // A policy shorter than the backup's age: attention.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let r = e.status(&["--backup-max-age", "1s"]);
    r.expect_code(1);
    assert!(
        attention(&r)[0].starts_with("the last backup is"),
        "{:?}",
        attention(&r)
    );
}

#[test]
fn status_of_an_unhealthy_rollout_and_of_an_unreachable_cluster_exits_1() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write(
        "app/app.yaml",
        app("registry.example.com/web-crashloop:1.0", "info"),
    );
    e.deploy(&["--apply", "--wait-for-rollout", "--timeout", "3"])
        .expect_code(1);
    let r = e.status(&[]);
    r.expect_code(1);
    let a = attention(&r);
    assert!(
        a.iter().any(|x| x.contains("rollout")) && a.iter().any(|x| x.starts_with("health")),
        "{a:?}"
    );
    // The server goes away: still a report, reachable false, exit 1.
    let kubeconfig = e.s.path().join("kubeconfig");
    std::fs::copy(tc.kubeconfig_path(), &kubeconfig).unwrap();
    drop(tc);
    let mut c = e.cmd(&[
        "status",
        "-n",
        "shop",
        "-f",
        "json",
        "--request-timeout",
        "2",
    ]);
    c.env("CONFGATE_KUBECONFIG", &kubeconfig);
    let r = run(&mut c);
    r.expect_code(1);
    assert_eq!(r.json()["reachable"], false);
    assert_eq!(attention(&r), ["the cluster cannot be reached"]);
}

#[test]
fn status_takes_the_namespace_from_the_original_suites_variable() {
    let tc = cluster();
    let e = Env::new(&tc);
    let mut c = e.cmd(&["status", "-f", "json"]);
    c.env("NAMESPACE", "shop");
    let r = run(&mut c);
    r.expect_code(0);
    assert_eq!(r.json()["namespace"], "shop");
    // CONFGATE_NAMESPACE wins over NAMESPACE.
    let mut c = e.cmd(&["status", "-f", "json"]);
    c.env("NAMESPACE", "other")
        .env("CONFGATE_NAMESPACE", "shop");
    let r = run(&mut c);
    assert_eq!(r.json()["namespace"], "shop");
}

// ---------------------------------------------------------------------------------------
// full-cycle
// ---------------------------------------------------------------------------------------

const TEMPLATE: &str = r#"apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: web}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  LOG_LEVEL: {{ log_level | json_encode }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
{%- if fail_after != "" %}
      annotations:
        testcluster.confgate.dev/fail-after: {{ fail_after | json_encode }}
{%- endif %}
    spec:
      containers:
      - name: web
        image: {{ image }}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 500m, memory: 256Mi}
        readinessProbe:
          httpGet: {path: /readyz, port: 8080}
        livenessProbe:
          httpGet: {path: /healthz, port: 8080}
        securityContext:
          allowPrivilegeEscalation: false
          runAsNonRoot: true
          privileged: {{ privileged }}
"#;

/// A generate project: profiles for dev, staging and prod, one template, confgate.toml.
fn project(e: &Env) {
    e.s.write(
        "confgate.toml",
        "fail-on = \"critical\"\n[generate]\nnamespace = \"shop-{environment}\"\n",
    );
    e.s.write(
        "profiles/base.yaml",
        "variables:\n  image: {type: string, default: \"registry.example.com/web:1.0\"}\n  \
         log_level: {type: string, default: info}\n  privileged: {type: bool, default: false}\n  \
         fail_after: {type: string, default: \"\"}\n",
    );
    for env in ["dev", "staging", "prod"] {
        e.s.write(&format!("profiles/{env}.yaml"), "values: {}\n");
    }
    e.s.write("templates/app.yaml.tera", TEMPLATE);
}

fn full_cycle(e: &Env, args: &[&str]) -> Run {
    let mut all = vec![
        "full-cycle",
        "-f",
        "json",
        "--interval",
        "1",
        "--duration",
        "2",
    ];
    all.extend_from_slice(args);
    e.run(&all)
}

fn stages(r: &Run, cycle: usize) -> Vec<(String, String)> {
    r.json()["cycles"][cycle]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["stage"].as_str().unwrap().to_string(),
                s["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn image_in(tc: &TestCluster, ns: &str) -> Option<String> {
    tc.get("apps/v1", "Deployment", Some(ns), "web")
        .and_then(|d| {
            d["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .map(str::to_string)
        })
}

fn all_passed() -> Vec<(String, String)> {
    [
        "generate", "validate", "backup", "scan", "deploy", "monitor", "audit",
    ]
    .iter()
    .map(|s| (s.to_string(), "passed".to_string()))
    .collect()
}

#[test]
fn full_cycle_runs_every_stage_writes_the_reports_and_leaves_a_healthy_status() {
    let tc = cluster();
    let e = Env::new(&tc);
    project(&e);
    let r = full_cycle(&e, &["--environment", "dev"]);
    r.expect_code(0);
    assert_eq!(stages(&r, 0), all_passed(), "{}", r.stdout);
    let j = r.json();
    assert_eq!(j["cycles"][0]["namespace"], "shop-dev");
    assert_eq!(j["cycles"][0]["revision"], 1);
    for s in j["cycles"][0]["stages"].as_array().unwrap() {
        for rep in s["reports"].as_array().unwrap() {
            assert!(
                std::path::Path::new(rep.as_str().unwrap()).is_file(),
                "{rep}"
            );
        }
    }
    let reports = e.s.path().join("state/reports/dev");
    for f in [
        "validate.json",
        "scan.json",
        "deploy.json",
        "monitor.json",
        "audit.json",
    ] {
        assert!(reports.join(f).is_file(), "{f}");
    }
    assert_eq!(
        image_in(&tc, "shop-dev").as_deref(),
        Some("registry.example.com/web:1.0")
    );
    assert!(e.s.path().join("generated/dev").is_dir());
    // The pre-deploy backup is recorded, and status sees a healthy, drift-free set.
    let st = e.run(&[
        "status",
        "generated/dev",
        "--set",
        "dev",
        "-n",
        "shop-dev",
        "-f",
        "json",
        "--backup-max-age",
        "1h",
    ]);
    st.expect_code(0);
    assert_eq!(st.json()["drift"], serde_json::json!([]));
    assert_eq!(st.json()["sets"][0]["revision"], 1);
    // The text summary lists every stage.
    let t = e.run(&[
        "full-cycle",
        "-e",
        "dev",
        "--interval",
        "1",
        "--duration",
        "1",
    ]);
    t.expect_code(0);
    for s in [
        "generate", "validate", "backup", "scan", "deploy", "monitor", "audit",
    ] {
        assert!(
            t.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(s) && l.contains("passed")),
            "{s}: {}",
            t.stdout
        );
    }
    assert!(t.stdout.contains("all stages passed"), "{}", t.stdout);
}

#[test]
fn a_change_that_fails_the_gate_stops_the_cycle_with_exit_1_and_changes_nothing() {
    let tc = cluster();
    let e = Env::new(&tc);
    project(&e);
    e.s.write("profiles/dev.yaml", "values: {privileged: true}\n");
    let r = full_cycle(&e, &["-e", "dev"]);
    r.expect_code(1);
    assert_eq!(
        stages(&r, 0),
        [("generate".to_string(), "failed".to_string())],
        "{}",
        r.stdout
    );
    assert!(tc.get("v1", "Namespace", None, "shop-dev").is_none());
    // With several environments, the later ones do not run.
    e.s.write("profiles/dev.yaml", "values: {}\n");
    e.s.write("profiles/staging.yaml", "values: {privileged: true}\n");
    let r = full_cycle(&e, &["--environments", "dev,staging,prod"]);
    r.expect_code(1);
    assert_eq!(stages(&r, 0), all_passed());
    assert_eq!(stages(&r, 1)[0].1, "failed");
    assert_eq!(r.json()["not_run"], serde_json::json!(["prod"]));
    assert!(image_in(&tc, "shop-dev").is_some());
    assert!(image_in(&tc, "shop-staging").is_none());
    assert!(tc.get("v1", "Namespace", None, "shop-prod").is_none());
}

#[test]
fn a_bad_image_is_rolled_back_automatically_by_the_deploy_stage() {
    let tc = cluster();
    let e = Env::new(&tc);
    project(&e);
    full_cycle(&e, &["-e", "staging"]).expect_code(0);
    e.s.write(
        "profiles/staging.yaml",
        "values: {image: \"registry.example.com/never-ready:2.0\"}\n",
    );
    let r = full_cycle(&e, &["-e", "staging", "--timeout", "4"]);
    r.expect_code(1);
    let st = stages(&r, 0);
    assert_eq!(
        st.last().unwrap(),
        &("deploy".to_string(), "failed".to_string()),
        "{}",
        r.stdout
    );
    assert_eq!(st.len(), 5);
    assert_eq!(r.json()["cycles"][0]["rolled_back_to"], 1, "{}", r.stdout);
    assert_eq!(
        image_in(&tc, "shop-staging").as_deref(),
        Some("registry.example.com/web:1.0")
    );
}

#[test]
fn health_that_stays_under_the_threshold_after_the_rollout_is_rolled_back_by_the_monitor() {
    let tc = cluster();
    let e = Env::new(&tc);
    project(&e);
    full_cycle(&e, &["-e", "prod"]).expect_code(0);
    // Ready at first, then the containers exit and crash-loop.
    e.s.write(
        "profiles/prod.yaml",
        "values: {image: \"registry.example.com/web:2.0\", fail_after: \"2s\"}\n",
    );
    let started = std::time::Instant::now();
    let r = e.run(&[
        "full-cycle",
        "-e",
        "prod",
        "-f",
        "json",
        "--interval",
        "1",
        "--duration",
        "30",
        "--consecutive",
        "2",
        "--health-threshold",
        "80",
    ]);
    r.expect_code(1);
    let st = stages(&r, 0);
    assert_eq!(
        st[4],
        ("deploy".to_string(), "passed".to_string()),
        "{}",
        r.stdout
    );
    assert_eq!(
        st[5],
        ("monitor".to_string(), "failed".to_string()),
        "{}",
        r.stdout
    );
    assert_eq!(r.json()["cycles"][0]["rolled_back_to"], 1, "{}", r.stdout);
    assert_eq!(
        image_in(&tc, "shop-prod").as_deref(),
        Some("registry.example.com/web:1.0")
    );
    eprintln!(
        "monitor-stage detection and rollback: {:.1} s in all",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn dry_run_from_the_suites_variable_changes_nothing() {
    let tc = cluster();
    let e = Env::new(&tc);
    project(&e);
    let mut c = e.cmd(&[
        "full-cycle",
        "-f",
        "json",
        "--duration",
        "1",
        "--interval",
        "1",
    ]);
    c.env("DRY_RUN", "true").env("ENVIRONMENT", "dev");
    let r = run(&mut c);
    r.expect_code(0);
    let j = r.json();
    assert_eq!(j["cycles"][0]["dry_run"], true);
    assert_eq!(j["cycles"][0]["environment"], "dev");
    let st = stages(&r, 0);
    assert_eq!(
        st[4],
        ("deploy".to_string(), "passed".to_string()),
        "{}",
        r.stdout
    );
    assert_eq!(
        st[5],
        ("monitor".to_string(), "skipped".to_string()),
        "{}",
        r.stdout
    );
    assert!(tc.get("v1", "Namespace", None, "shop-dev").is_none());
    assert!(image_in(&tc, "shop-dev").is_none());
    assert!(
        !e.s.path().join("generated").exists(),
        "nothing generated in place"
    );
    // CONFGATE_DRY_RUN=false wins over DRY_RUN=true.
    let mut c = e.cmd(&[
        "full-cycle",
        "-f",
        "json",
        "--duration",
        "1",
        "--interval",
        "1",
    ]);
    c.env("DRY_RUN", "true")
        .env("CONFGATE_DRY_RUN", "false")
        .env("ENVIRONMENT", "dev");
    let r = run(&mut c);
    r.expect_code(0);
    assert_eq!(r.json()["cycles"][0]["dry_run"], false);
    assert!(image_in(&tc, "shop-dev").is_some());
}

// ---------------------------------------------------------------------------------------
// cleanup
// ---------------------------------------------------------------------------------------

fn removals(r: &Run) -> Vec<(String, String, bool)> {
    r.json()["removals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["what"].as_str().unwrap().to_string(),
                x["name"].as_str().unwrap().to_string(),
                x["removed"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn cleanup_lists_without_confirm_and_removes_with_it() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("confgate.toml", "[backup.retention]\nkeep-last = 1\n");
    for level in ["info", "warn", "debug"] {
        e.s.write("app/app.yaml", app("registry.example.com/web:1.0", level));
        e.deploy(&["--apply"]).expect_code(0);
    }
    e.run(&["backup", "create", "-n", "shop", "-f", "json"])
        .expect_code(0);
    let second = e.run(&["backup", "create", "-n", "shop", "-f", "json"]);
    second.expect_code(0);
    let newest = second.json()["id"].as_str().unwrap().to_string();
    // A drill left behind two hours ago, and one that may still run.
    let old = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2);
    tc.load_yaml(&format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: confgate-drill-old\n  \
         labels: {{confgate.dev/drill: b1}}\n  creationTimestamp: \"{old}\"\n---\n\
         apiVersion: v1\nkind: Namespace\nmetadata:\n  name: confgate-drill-now\n  \
         labels: {{confgate.dev/drill: b2}}\n"
    ))
    .unwrap();
    let args = ["cleanup", "-n", "shop", "--history-max", "1", "-f", "json"];
    let r = e.run(&args);
    r.expect_code(0);
    let listed = removals(&r);
    assert!(listed.iter().all(|x| !x.2), "nothing removed: {listed:?}");
    let names: Vec<&str> = listed.iter().map(|x| x.1.as_str()).collect();
    assert!(names.contains(&"shop/web revision 1"), "{names:?}");
    assert!(names.contains(&"shop/web revision 2"), "{names:?}");
    assert!(!names.contains(&"shop/web revision 3"), "{names:?}");
    assert!(names.contains(&"confgate-drill-old"), "{names:?}");
    assert!(!names.contains(&"confgate-drill-now"), "{names:?}");
    assert_eq!(
        listed.iter().filter(|x| x.0 == "backup").count(),
        1,
        "{listed:?}"
    );
    assert!(
        !names.contains(&newest.as_str()),
        "the newest backup is kept"
    );
    assert!(
        tc.get("v1", "Namespace", None, "confgate-drill-old")
            .is_some()
    );
    let hist = e.run(&[
        "deploy", "history", "--set", "web", "-n", "shop", "-f", "json",
    ]);
    assert_eq!(hist.json().as_array().unwrap().len(), 3);
    // With --confirm.
    let mut all = args.to_vec();
    all.push("--confirm");
    let r = e.run(&all);
    r.expect_code(0);
    let done = removals(&r);
    assert_eq!(done.len(), listed.len());
    assert!(done.iter().all(|x| x.2), "{done:?}");
    let hist = e.run(&[
        "deploy", "history", "--set", "web", "-n", "shop", "-f", "json",
    ]);
    let revs = hist.json();
    assert_eq!(revs.as_array().unwrap().len(), 1, "{revs}");
    assert_eq!(revs[0]["number"], 3);
    assert!(
        tc.get("v1", "Namespace", None, "confgate-drill-old")
            .is_none()
            || tc
                .get("v1", "Namespace", None, "confgate-drill-old")
                .unwrap()["status"]["phase"]
                == "Terminating"
    );
    assert!(
        tc.get("v1", "Namespace", None, "confgate-drill-now")
            .is_some()
    );
    let list = e.run(&["backup", "list", "-f", "json"]);
    assert!(list.stdout.contains(&newest), "{}", list.stdout);
    // Nothing left: a second run lists nothing.
    let r = e.run(&["cleanup", "-n", "shop", "--history-max", "1"]);
    r.expect_code(0);
    assert!(r.stdout.contains("nothing to clean up"), "{}", r.stdout);
}

#[test]
fn cleanup_removes_set_members_the_set_no_longer_contains_only_with_confirm() {
    let tc = cluster();
    let e = Env::new(&tc);
    let extra =
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old-flags\ndata:\n  A: \"1\"\n";
    e.s.write(
        "app/app.yaml",
        format!("{}{extra}", app("registry.example.com/web:1.0", "info")),
    );
    e.deploy(&["--apply"]).expect_code(0);
    // Another set in the same namespace, whose members are none of web's business.
    e.s.write(
        "other/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other-config\ndata:\n  B: \"2\"\n",
    );
    e.run(&[
        "deploy",
        "other",
        "--set",
        "other",
        "-n",
        "shop",
        "--fail-on",
        "critical",
        "--apply",
    ])
    .expect_code(0);
    // old-flags leaves the files; a deploy without --prune leaves it in the cluster.
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "info"));
    e.deploy(&["--apply"]).expect_code(0);
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "old-flags")
            .is_some()
    );
    let orphans = |r: &Run| -> Vec<(String, bool)> {
        removals(r)
            .into_iter()
            .filter(|x| x.0 == "orphaned-object")
            .map(|x| (x.1, x.2))
            .collect()
    };
    // Listed, by default and with --dry-run, and left alone.
    for extra in [&[][..], &["--dry-run"][..]] {
        let mut args = vec!["cleanup", "-n", "shop", "-f", "json"];
        args.extend_from_slice(extra);
        let r = e.run(&args);
        r.expect_code(0);
        assert_eq!(
            orphans(&r),
            [("ConfigMap/shop/old-flags".to_string(), false)],
            "{}",
            r.stdout
        );
        assert!(
            tc.get("v1", "ConfigMap", Some("shop"), "old-flags")
                .is_some()
        );
    }
    let t = e.run(&["cleanup", "-n", "shop", "--set", "web"]);
    assert!(
        t.stdout.contains(
            "would remove orphaned object ConfigMap/shop/old-flags  (labelled as a member of set web, not in its revision 2)"
        ),
        "{}",
        t.stdout
    );
    // Removed with --confirm; the set's members and the other set's stay.
    let r = e.run(&["cleanup", "-n", "shop", "-f", "json", "--confirm"]);
    r.expect_code(0);
    assert_eq!(
        orphans(&r),
        [("ConfigMap/shop/old-flags".to_string(), true)]
    );
    let gone = tc.get("v1", "ConfigMap", Some("shop"), "old-flags");
    assert!(gone.is_none(), "{gone:?}");
    for name in ["web-config", "other-config"] {
        assert!(
            tc.get("v1", "ConfigMap", Some("shop"), name).is_some(),
            "{name}"
        );
    }
    assert!(
        tc.get("apps/v1", "Deployment", Some("shop"), "web")
            .is_some()
    );
    let r = e.run(&["cleanup", "-n", "shop", "-f", "json"]);
    assert!(orphans(&r).is_empty(), "{}", r.stdout);
}

#[test]
fn cleanup_removes_generated_files_that_are_no_longer_generated() {
    let tc = cluster();
    let e = Env::new(&tc);
    project(&e);
    // A template that is later removed leaves its generated file behind.
    e.s.write(
        "templates/old.yaml.tera",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\ndata: {a: b}\n",
    );
    e.run(&["generate", "-e", "dev"]).expect_code(0);
    std::fs::remove_file(e.s.path().join("templates/old.yaml.tera")).unwrap();
    let stale = e.s.path().join("generated/dev/old.yaml");
    assert!(stale.exists());
    // A file confgate did not write is never touched.
    let mine = e.s.write(
        "generated/dev/mine.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n",
    );
    let r = e.run(&["cleanup", "-e", "dev", "-n", "shop", "-f", "json"]);
    r.expect_code(0);
    assert_eq!(
        removals(&r),
        [(
            "generated-file".to_string(),
            "generated/dev/old.yaml".to_string(),
            false
        )]
    );
    assert!(stale.exists());
    e.run(&["cleanup", "-e", "dev", "-n", "shop", "--confirm"])
        .expect_code(0);
    assert!(!stale.exists());
    assert!(mine.exists());
    assert!(e.s.path().join("generated/dev/app.yaml").exists());
}

// ---------------------------------------------------------------------------------------
// The original suite's commands and variables
// ---------------------------------------------------------------------------------------

#[test]
fn security_scan_takes_the_suites_options() {
    let s = Scratch::new();
    s.write("app/pod.yaml", privileged_pod("web"));
    // --full-scan: the scan's findings and exit code.
    let r = s.run(&["security-scan", "--full-scan", "app", "-f", "json"]);
    r.expect_code(1);
    assert!(findings(&r.json()).iter().any(|f| f["rule_id"] == "CG1001"));
    // --compliance-check GDPR: only rules mapped to GDPR.
    let g = s.run(&[
        "security-scan",
        "--compliance-check",
        "GDPR",
        "app",
        "-f",
        "json",
    ]);
    let all = findings(&r.json()).len();
    let gdpr = findings(&g.json()).len();
    assert!(gdpr < all, "GDPR {gdpr} of {all}");
    let r = s.run(&["security-scan", "--compliance-check", "HIPAA", "app"]);
    r.expect_code(2);
    // --quick: high and critical only.
    let q = s.run(&["security-scan", "--quick", "app", "-f", "json"]);
    for f in findings(&q.json()) {
        assert!(
            f["severity"] == "high" || f["severity"] == "critical",
            "{f}"
        );
    }
    // --export-report FILE: the format from the extension.
    let out = s.path().join("security-report.html");
    s.run(&[
        "security-scan",
        "app",
        "--export-report",
        out.to_str().unwrap(),
    ])
    .expect_code(1);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains("<html") || html.contains("<!DOCTYPE"),
        "{html:.200}"
    );
}

#[test]
fn complete_security_audit_is_the_audit() {
    let s = Scratch::new();
    s.write("app/pod.yaml", privileged_pod("web"));
    let r = s.run(&[
        "complete-security-audit",
        "--compliance",
        "SOC2",
        "--detailed-report",
        "app",
        "-f",
        "json",
    ]);
    r.expect_code(1);
    assert!(r.json()["summary"].is_object(), "{}", r.stdout);
    let out = s.path().join("audit.html");
    s.run(&[
        "security-audit",
        "app",
        "--export-report",
        out.to_str().unwrap(),
    ])
    .expect_code(1);
    assert!(std::fs::read_to_string(&out).unwrap().contains("<html"));
}

#[test]
fn the_suites_backup_restore_monitor_and_rollback_forms_work() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "info"));
    e.deploy(&["--apply", "--wait-for-rollout", "--timeout", "60"])
        .expect_code(0);
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "warn"));
    e.deploy(&["--apply", "--wait-for-rollout", "--timeout", "60"])
        .expect_code(0);
    // backup-restore --action create.
    let r = e.run(&[
        "backup-restore",
        "--action",
        "create",
        "-n",
        "shop",
        "-f",
        "json",
    ]);
    r.expect_code(0);
    assert_eq!(r.json()["kind"], "full");
    // advanced-monitor: the monitor.
    let r = e.run(&[
        "advanced-monitor",
        "--namespace",
        "shop",
        "--export-metrics",
        "--format",
        "json",
    ]);
    r.expect_code(0);
    assert!(r.stdout.contains("\"namespaces\""), "{}", r.stdout);
    // ROLLBACK_TARGET=1 rollback --set web: the impact of returning to revision 1.
    let mut c = e.cmd(&["rollback", "--set", "web", "-n", "shop"]);
    c.env("ROLLBACK_TARGET", "1");
    let r = run(&mut c);
    r.expect_code(0);
    assert!(r.stdout.contains("revision 1"), "{}", r.stdout);
    assert!(r.stdout.contains("--confirm"), "{}", r.stdout);
    // generate-incident-report --type: the status, titled.
    let r = e.run(&[
        "generate-incident-report",
        "--type",
        "outage",
        "-n",
        "shop",
        "--set",
        "web",
    ]);
    r.expect_code(0);
    assert!(
        r.stdout.starts_with("incident report (outage)"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_incident_report_lists_failed_deploys_rollbacks_and_alert_periods_of_the_window() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "info"));
    e.deploy(&["--apply", "--wait-for-rollout", "--timeout", "60"])
        .expect_code(0);
    // A bad image: revision 2 times out, revision 3 is the automatic rollback.
    e.s.write(
        "app/app.yaml",
        app("registry.example.com/never-ready:2.0", "info"),
    );
    e.deploy(&[
        "--apply",
        "--wait-for-rollout",
        "--timeout",
        "4",
        "--rollback-on-failure",
    ])
    .expect_code(1);
    // What the monitor recorded meanwhile: shop under the thresholds twice in a row.
    let now = jiff::Timestamp::now().as_second();
    let rec = |t: i64, h: u32| {
        format!(
            "{{\"t\":{t},\"context\":\"testcluster\",\"namespace\":\"shop\",\"health\":{h},\"pods_running\":1,\"pods_not_running\":0,\"restarts\":0,\"findings\":0}}\n"
        )
    };
    e.s.write(
        "state/monitor-history.jsonl",
        [
            rec(now - 200_000, 10), // outside the 24h window
            rec(now - 300, 95),
            rec(now - 240, 60),
            rec(now - 180, 30),
            rec(now - 120, 100),
        ]
        .concat(),
    );
    let r = e.run(&[
        "generate-incident-report",
        "--type",
        "outage",
        "-n",
        "shop",
        "--set",
        "web",
        "-f",
        "json",
    ]);
    r.expect_code(0);
    let j = r.json();
    assert_eq!(j["incident_type"], "outage");
    let kinds: Vec<(u64, &str)> = j["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["revision"].as_u64().unwrap(), e["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [(2, "failed-deploy"), (3, "rollback")], "{j:#}");
    assert!(
        j["events"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("rollout timed-out"),
        "{j:#}"
    );
    let periods = j["alert_periods"].as_array().unwrap();
    assert_eq!(periods.len(), 1, "{j:#}");
    assert_eq!(periods[0]["level"], "critical");
    assert_eq!(periods[0]["lowest"], 30);
    assert_eq!(periods[0]["checks"], 2);
    assert_eq!(j["health"]["checks"], 4, "{j:#}");
    assert_eq!(j["status"]["namespace"], "shop");
    assert_eq!(j["status"]["reachable"], true);
    // The text form.
    let t = e.run(&[
        "generate-incident-report",
        "--type",
        "outage",
        "-n",
        "shop",
        "--set",
        "web",
    ]);
    t.expect_code(0);
    assert!(
        t.stdout.starts_with("incident report (outage)\n"),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout.contains("failed deploy set web: revision 2"),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout.contains("rollback set web: revision 3"),
        "{}",
        t.stdout
    );
    assert!(t.stdout.contains("critical from "), "{}", t.stdout);
    // A window that is not a duration is an error.
    let r = e.run(&["generate-incident-report", "-n", "shop", "--since", "soon"]);
    r.expect_code(2);
    assert!(r.stderr.contains("--since \"soon\""), "{}", r.stderr);
}

#[test]
fn the_maintenance_report_covers_revisions_backups_waivers_and_cleanup_without_changing_anything() {
    let tc = cluster();
    let e = Env::new(&tc);
    let soon = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 10))
        .strftime("%Y-%m-%d")
        .to_string();
    e.s.write(
        "confgate.toml",
        format!(
            "[backup.retention]\nkeep-last = 1\n\n[[waivers]]\nrule = \"CG1001\"\nfile = \"**/debug.yaml\"\njustification = \"debug pod\"\nowner = \"platform\"\nexpires = \"{soon}\"\n"
        ),
    );
    for level in ["info", "warn", "debug"] {
        e.s.write("app/app.yaml", app("registry.example.com/web:1.0", level));
        e.deploy(&["--apply"]).expect_code(0);
    }
    // NAMESPACE (the suite's) picks the namespace the compat backup takes.
    let mut c = e.cmd(&["backup-restore", "--action", "create", "-f", "json"]);
    c.env("NAMESPACE", "shop");
    let first = run(&mut c);
    first.expect_code(0);
    assert_eq!(
        first.json()["namespaces"],
        serde_json::json!(["shop"]),
        "{}",
        first.stdout
    );
    let mut c = e.cmd(&["backup-restore", "--action", "create", "-f", "json"]);
    c.env("NAMESPACE", "shop");
    let second = run(&mut c);
    second.expect_code(0);
    let newest = second.json()["id"].as_str().unwrap().to_string();
    let r = e.run(&[
        "generate-maintenance-report",
        "-n",
        "shop",
        "--history-max",
        "1",
        "-f",
        "json",
    ]);
    r.expect_code(0);
    let j = r.json();
    assert_eq!(j["sets"][0]["set"], "web", "{j:#}");
    assert_eq!(j["sets"][0]["revisions"], 3);
    assert_eq!(j["sets"][0]["newest"], 3);
    assert_eq!(j["sets"][0]["beyond_limit"], 2);
    assert_eq!(j["backups"]["complete"], 2, "{j:#}");
    assert_eq!(j["backups"]["newest"], newest.as_str());
    assert_eq!(j["backups"]["outside_retention"], 1, "{j:#}");
    assert_eq!(j["waivers_expiring"][0]["owner"], "platform", "{j:#}");
    assert!(j["waivers_expiring"][0]["days_left"].as_i64().unwrap() <= 10);
    assert_eq!(j["cleanup"]["dry_run"], true);
    let names: Vec<&str> = j["cleanup"]["removals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"shop/web revision 1"), "{names:?}");
    // Nothing was removed.
    let hist = e.run(&[
        "deploy", "history", "--set", "web", "-n", "shop", "-f", "json",
    ]);
    assert_eq!(hist.json().as_array().unwrap().len(), 3);
    let list = e.run(&["backup", "list", "-f", "json"]);
    assert_eq!(
        list.json()["backups"].as_array().map(|a| a.len()),
        Some(2),
        "{}",
        list.stdout
    );
    // The text form, section by section.
    let t = e.run(&[
        "generate-maintenance-report",
        "-n",
        "shop",
        "--history-max",
        "1",
    ]);
    t.expect_code(0);
    for part in [
        "== revisions (history limit 1)",
        "set web: 3 revisions, newest 3",
        "== backups",
        "1 outside retention",
        "== waivers expiring soon",
        "CG1001",
        "== cleanup candidates (dry run)",
        "would remove revision shop/web revision 1",
    ] {
        assert!(t.stdout.contains(part), "{part:?} in:\n{}", t.stdout);
    }
}

#[test]
fn analyze_impact_shows_the_rollbacks_impact_and_changes_nothing() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "info"));
    e.deploy(&["--apply"]).expect_code(0);
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "warn"));
    e.deploy(&["--apply"]).expect_code(0);
    let r = e.run(&[
        "analyze-impact",
        "--set",
        "web",
        "-n",
        "shop",
        "--incident-type",
        "outage",
    ]);
    r.expect_code(0);
    assert!(r.stdout.contains("revision 1"), "{}", r.stdout);
    assert!(r.stdout.contains("--confirm"), "{}", r.stdout);
    assert!(r.stderr.contains("for incident outage"), "{}", r.stderr);
    // Nothing changed: the ConfigMap still holds revision 2's value, no revision added.
    let cm = tc
        .get("v1", "ConfigMap", Some("shop"), "web-config")
        .unwrap();
    assert_eq!(cm["data"]["LOG_LEVEL"], "warn");
    let hist = e.run(&[
        "deploy", "history", "--set", "web", "-n", "shop", "-f", "json",
    ]);
    assert_eq!(hist.json().as_array().unwrap().len(), 2);
    // --confirm is not an option of it.
    let r = e.run(&["analyze-impact", "--set", "web", "-n", "shop", "--confirm"]);
    r.expect_code(2);
}

#[test]
fn the_suites_environment_and_output_variables_reach_generate_and_confgate_names_win() {
    let tc = cluster();
    let e = Env::new(&tc);
    project(&e);
    let mut c = e.cmd(&["generate"]);
    c.env("ENVIRONMENT", "dev")
        .env("OUTPUT_DIR", "custom-configs");
    run(&mut c).expect_code(0);
    assert!(e.s.path().join("custom-configs/app.yaml").is_file());
    let mut c = e.cmd(&["generate"]);
    c.env("ENVIRONMENT", "dev")
        .env("OUTPUT_DIR", "custom-configs")
        .env("CONFGATE_OUTPUT_DIR", "mine");
    run(&mut c).expect_code(0);
    assert!(e.s.path().join("mine/app.yaml").is_file());
    // LOG_LEVEL=DEBUG turns on debug logs.
    let mut c = e.cmd(&["generate", "-e", "dev", "--dry-run"]);
    c.env("LOG_LEVEL", "DEBUG");
    let r = run(&mut c);
    r.expect_code(0);
    assert!(r.stderr.contains("DEBUG"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------
// disaster-test
// ---------------------------------------------------------------------------------------

#[test]
fn disaster_tests_measure_detection_and_recovery_in_a_scratch_namespace() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "info"));
    let out = e.s.path().join("dr.json");
    let r = e.run(&[
        "disaster-test",
        "app",
        "--fail-on",
        "critical",
        "--timeout",
        "20",
        "-f",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    r.expect_code(0);
    let results = report["results"].as_array().unwrap();
    // Every scenario the set has something for (no StatefulSet: no database-failure).
    assert_eq!(results.len(), 4, "{report:#}");
    for (res, name) in results.iter().zip([
        "deployment-failure",
        "service-outage",
        "data-loss",
        "config-corruption",
    ]) {
        assert_eq!(res["scenario"], name, "{report:#}");
        let d = res["detection_seconds"].as_f64().unwrap();
        let rec = res["recovery_seconds"].as_f64().unwrap();
        assert!(d > 0.0 && rec > 0.0 && rec <= 120.0, "{res:#}");
        assert_eq!(res["verified"], true, "{res:#}");
        assert_eq!(res["cleaned_up"], true, "{res:#}");
        let ns = res["namespace"].as_str().unwrap();
        assert!(ns.starts_with("confgate-dr-"), "{ns}");
        eprintln!("{name}: detection {d:.1} s, recovery {rec:.1} s");
    }
    assert_eq!(report["passed"], true);
    // The live namespace was never touched.
    assert!(
        tc.get("apps/v1", "Deployment", Some("shop"), "web")
            .is_none()
    );
    // A namespace in use is refused without the explicit flag.
    e.deploy(&["--apply"]).expect_code(0);
    let r = e.run(&[
        "disaster-test",
        "app",
        "--scenario",
        "service-outage",
        "-n",
        "shop",
        "--fail-on",
        "critical",
    ]);
    r.expect_code(2);
    assert!(
        r.stderr.contains("--allow-existing-namespace"),
        "{}",
        r.stderr
    );
}

/// A set with a ConfigMap and a Secret the Deployment reads, and a database StatefulSet the
/// Deployment names in its environment.
fn app_with_database() -> String {
    r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: api-config
data:
  LOG_LEVEL: info
  FEATURES: "a,b"
---
apiVersion: v1
kind: Secret
metadata:
  name: api-credentials
type: Opaque
stringData:
  password: s3cr3t-value
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api}
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: registry.example.com/api:1.0
        envFrom:
        - configMapRef: {name: api-config}
        env:
        - name: DATABASE_URL
          value: postgres://db.shop.svc:5432/app
        - name: DATABASE_PASSWORD
          valueFrom:
            secretKeyRef: {name: api-credentials, key: password}
        securityContext:
          allowPrivilegeEscalation: false
          runAsNonRoot: true
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  labels: {app: db}
spec:
  replicas: 2
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: registry.example.com/postgres:16
        securityContext:
          allowPrivilegeEscalation: false
          runAsNonRoot: true
"#
    .to_string()
}

fn disaster(e: &Env, extra: &[&str]) -> Run {
    let mut all = vec![
        "disaster-test",
        "app",
        "--fail-on",
        "critical",
        "--timeout",
        "30",
    ];
    all.extend_from_slice(extra);
    e.run(&all)
}

#[test]
fn config_corruption_is_detected_as_drift_restored_from_the_backup_and_identical() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("app/app.yaml", app_with_database());
    let r = disaster(&e, &["--scenario", "config-corruption", "-f", "json"]);
    r.expect_code(0);
    let j = r.json();
    let res = &j["results"][0];
    assert_eq!(res["scenario"], "config-corruption", "{j:#}");
    assert_eq!(res["verified"], true, "{res:#}");
    let d = res["detection_seconds"].as_f64().unwrap();
    let rec = res["recovery_seconds"].as_f64().unwrap();
    assert!(d > 0.0 && rec > 0.0, "{res:#}");
    // The suite's rollback target: the configuration back within 2 minutes.
    assert_eq!(res["recovery_target_seconds"], 120.0, "{res:#}");
    let steps: Vec<&str> = res["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let ns = res["namespace"].as_str().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("overwrote every value of ")
                && s.contains(&format!("ConfigMap/{ns}/api-config"))
                && s.contains(&format!("Secret/{ns}/api-credentials"))),
        "{steps:#?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("detected after ") && s.contains("drift on")),
        "{steps:#?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| s.contains("the 2 restored objects are identical to the backup")),
        "{steps:#?}"
    );
    // The workload reading the configuration is reported.
    assert_eq!(
        res["dependents"][0]["workload"], "Deployment/api",
        "{res:#}"
    );
    // The Secret's value is never in the report.
    assert!(!r.stdout.contains("s3cr3t-value"));
    eprintln!("config-corruption: detection {d:.1} s, recovery {rec:.1} s");
}

#[test]
fn database_failure_is_detected_from_the_pods_reports_the_dependents_and_recovers() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("app/app.yaml", app_with_database());
    let out = e.s.path().join("db.html");
    let r = disaster(&e, &["--scenario", "database-failure", "-f", "json"]);
    r.expect_code(0);
    let j = r.json();
    let res = &j["results"][0];
    assert_eq!(res["scenario"], "database-failure", "{j:#}");
    assert_eq!(res["verified"], true, "{res:#}");
    assert_eq!(res["cleaned_up"], true, "{res:#}");
    let d = res["detection_seconds"].as_f64().unwrap();
    let rec = res["recovery_seconds"].as_f64().unwrap();
    assert!(d > 0.0 && rec > 0.0, "{res:#}");
    // The suite's deploy target: 10 minutes.
    assert_eq!(res["recovery_target_seconds"], 600.0, "{res:#}");
    let steps: Vec<&str> = res["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("detected after ") && s.contains("CrashLoopBackOff")),
        "{steps:#?}"
    );
    // The API names the database in its environment: it is the dependent.
    assert_eq!(
        res["dependents"],
        serde_json::json!([{"workload": "Deployment/api", "ready": 1, "desired": 1}]),
        "{res:#}"
    );
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("verified: the dependent workloads are healthy")),
        "{steps:#?}"
    );
    eprintln!("database-failure: detection {d:.1} s, recovery {rec:.1} s");
    // A set without a StatefulSet has no database to fail: named, it fails and says why.
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "info"));
    let r = disaster(
        &e,
        &[
            "--scenario",
            "database-failure",
            "-f",
            "html",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    r.expect_code(1);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains("the set has no StatefulSet (the database) to fail"),
        "{html}"
    );
}

#[test]
fn recovery_targets_come_from_settings_and_the_environment_and_the_flag_overrides_them() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "info"));
    // A target no recovery can meet, from the settings file: the scenario fails on it.
    e.s.write(
        "confgate.toml",
        "[disaster]\nrecovery-target = 300\n\n[disaster.recovery-targets]\nservice-outage = 0.001\n",
    );
    let r = disaster(&e, &["--scenario", "service-outage", "-f", "json"]);
    r.expect_code(1);
    let res = r.json()["results"][0].clone();
    assert_eq!(res["recovery_target_seconds"], 0.001, "{res:#}");
    assert_eq!(res["verified"], true, "{res:#}");
    // The scenario's variable wins over the file; the flag wins over both.
    let mut c = e.cmd(&[
        "disaster-test",
        "app",
        "--fail-on",
        "critical",
        "--timeout",
        "30",
        "--scenario",
        "service-outage",
        "--automated",
    ]);
    c.env("CONFGATE_RECOVERY_TARGET_SERVICE_OUTAGE", "200");
    let r = run(&mut c);
    r.expect_code(0);
    // --automated: JSON without being asked.
    assert_eq!(r.json()["automated"], true);
    assert_eq!(r.json()["results"][0]["recovery_target_seconds"], 200.0);
    let mut c = e.cmd(&[
        "disaster-test",
        "app",
        "--fail-on",
        "critical",
        "--timeout",
        "30",
        "--scenario",
        "service-outage",
        "--recovery-target",
        "0.001",
        "-f",
        "json",
    ]);
    c.env("CONFGATE_RECOVERY_TARGET_SERVICE_OUTAGE", "200");
    let r = run(&mut c);
    r.expect_code(1);
    assert_eq!(r.json()["results"][0]["recovery_target_seconds"], 0.001);
    // A scenario the settings do not know is an error naming the file.
    e.s.write(
        "confgate.toml",
        "[disaster.recovery-targets]\nmeteor-strike = 5\n",
    );
    let r = disaster(&e, &["--scenario", "service-outage"]);
    r.expect_code(2);
    assert!(
        r.stderr.contains("meteor-strike") && r.stderr.contains("confgate.toml"),
        "{}",
        r.stderr
    );
}

#[test]
fn extended_validation_compares_every_object_and_scans_and_automated_prints_a_summary() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "info"));
    let out = e.s.path().join("dr.json");
    let r = disaster(
        &e,
        &[
            "--scenario",
            "service-outage",
            "--extended-validation",
            "--automated",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    r.expect_code(0);
    // stdout: one JSON line a pipeline reads; the file: the full report, in JSON.
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    let summary = r.json();
    assert_eq!(summary["passed"], true, "{summary:#}");
    assert_eq!(summary["scenarios"][0]["scenario"], "service-outage");
    assert!(
        summary["scenarios"][0]["recovery_seconds"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let res = &report["results"][0];
    assert_eq!(res["extended_validation"], true, "{res:#}");
    let steps: Vec<&str> = res["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        steps.iter().any(|s| s.starts_with(
            "extended validation: the 2 objects of the set hold what they held before the failure"
        )),
        "{steps:#?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("extended validation: scanned the ")
                && s.contains("the gate passes")),
        "{steps:#?}"
    );
    // Without the flag, neither runs.
    let r = disaster(&e, &["--scenario", "service-outage", "-f", "json"]);
    r.expect_code(0);
    let res = &r.json()["results"][0];
    assert_eq!(res["extended_validation"], false);
    assert!(
        !res["steps"].to_string().contains("extended validation"),
        "{res:#}"
    );
}

#[test]
fn extended_validation_fails_a_recovery_whose_namespace_fails_the_gate() {
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write("app/app.yaml", app("registry.example.com/web:1.0", "info"));
    // A namespace targeted on purpose, holding a privileged pod that is not the set's.
    tc.load_yaml(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: dr-shared}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: dr-shared}\n\
         spec:\n  containers:\n  - name: sh\n    image: busybox:1.36\n    securityContext: {privileged: true}\n",
    )
    .unwrap();
    let base = [
        "--scenario",
        "service-outage",
        "-n",
        "dr-shared",
        "--allow-existing-namespace",
        "--keep",
        "-f",
        "json",
    ];
    // The set recovers and matches its files: without the extended validation, it passes.
    disaster(&e, &base).expect_code(0);
    let mut args = base.to_vec();
    args.push("--extended-validation");
    let r = disaster(&e, &args);
    r.expect_code(1);
    let res = r.json()["results"][0].clone();
    assert_eq!(res["verified"], false, "{res:#}");
    assert!(
        res["errors"]
            .to_string()
            .contains("extended validation: the recovered namespace fails the gate"),
        "{res:#}"
    );
}

// ---------------------------------------------------------------------------------------
// The pipeline examples
// ---------------------------------------------------------------------------------------

/// Every `confgate …` command line of a pipeline file.
fn confgate_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let at = l.find("confgate ")?;
            let before = &l[..at];
            // A run: or script line, not a comment or a name.
            (before.trim_start().starts_with("- ")
                || before.contains("run:")
                || before.trim_start().starts_with("- ENVIRONMENT=")
                || before.trim().is_empty()
                || before.trim_end().ends_with('='))
            .then(|| l[at..].trim().to_string())
        })
        .filter(|l| !l.starts_with("confgate full cycle") && !l.starts_with("confgate on"))
        .collect()
}

#[test]
fn the_pipeline_examples_parse_and_every_confgate_command_line_is_accepted() {
    for file in [
        "examples/ci/gitlab-ci.yml",
        "examples/github/full-cycle.yml",
    ] {
        let text = read_repo(file);
        let _: serde_json::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{file} is not YAML: {e}"));
        let lines = confgate_lines(&text);
        assert!(lines.len() >= 2, "{file}: {lines:?}");
        for l in &lines {
            // The command line as the shell would split it, without what follows `||`.
            let cmd = l
                .split("||")
                .next()
                .unwrap()
                .replace("\"$ENVIRONMENT\"", "dev");
            let mut args: Vec<&str> = cmd.split_whitespace().skip(1).collect();
            args.push("--help");
            let r = run_in_repo(&args);
            assert_eq!(r.code, 0, "{file}: `{l}` is not accepted:\n{}", r.stderr);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The daily workflow, end to end
// ---------------------------------------------------------------------------------------

#[test]
fn the_daily_workflow_goes_dev_staging_prod_and_ends_healthy() {
    let tc = cluster();
    let e = Env::new(&tc);
    project(&e);
    // 1. Every environment in order.
    let r = full_cycle(&e, &["--environments", "dev,staging,prod"]);
    r.expect_code(0);
    for i in 0..3 {
        assert_eq!(stages(&r, i), all_passed(), "{}", r.stdout);
    }
    // 2. A broken change is stopped by the gate in dev; dev keeps running what it ran.
    e.s.write(
        "profiles/dev.yaml",
        "values: {privileged: true, image: \"registry.example.com/web:9\"}\n",
    );
    let r = full_cycle(&e, &["-e", "dev"]);
    r.expect_code(1);
    assert_eq!(stages(&r, 0)[0].1, "failed");
    assert_eq!(
        image_in(&tc, "shop-dev").as_deref(),
        Some("registry.example.com/web:1.0")
    );
    e.s.write("profiles/dev.yaml", "values: {}\n");
    // 3. A bad image is rolled back automatically in staging.
    e.s.write(
        "profiles/staging.yaml",
        "values: {image: \"registry.example.com/never-ready:2.0\"}\n",
    );
    let r = full_cycle(&e, &["-e", "staging", "--timeout", "4"]);
    r.expect_code(1);
    assert_eq!(r.json()["cycles"][0]["rolled_back_to"], 1, "{}", r.stdout);
    assert_eq!(
        image_in(&tc, "shop-staging").as_deref(),
        Some("registry.example.com/web:1.0")
    );
    e.s.write("profiles/staging.yaml", "values: {}\n");
    full_cycle(&e, &["-e", "staging"]).expect_code(0);
    // 4. A namespace deletion of prod's set, rehearsed in a scratch namespace, is restored
    //    from a backup and compared object by object.
    let r = e.run(&[
        "disaster-test",
        "generated/prod",
        "--scenario",
        "data-loss",
        "--timeout",
        "20",
        "-f",
        "json",
    ]);
    r.expect_code(0);
    assert_eq!(r.json()["passed"], true);
    assert_eq!(r.json()["results"][0]["scenario"], "data-loss");
    assert_eq!(r.json()["results"][0]["verified"], true);
    // 5. Every environment reports healthy, without drift.
    for env in ["dev", "staging", "prod"] {
        let ns = format!("shop-{env}");
        let files = format!("generated/{env}");
        let st = e.run(&[
            "status",
            &files,
            "--set",
            env,
            "-n",
            &ns,
            "-f",
            "json",
            "--backup-max-age",
            "1h",
        ]);
        st.expect_code(0);
        assert_eq!(st.json()["drift"], serde_json::json!([]), "{env}");
    }
}

/// The recovery scenarios keep their backups in the configured store: moto's S3 server and
/// Azurite, as the backup issue's tests use them (skipped where neither is installed).
#[test]
fn recovery_scenarios_back_up_to_and_restore_from_real_object_stores() {
    use common::objstore::{AzuriteServer, S3Server};
    let s3 = S3Server::start();
    let az = AzuriteServer::start();
    let mut stores: Vec<(String, Vec<(String, String)>)> = Vec::new();
    if let Some(s3) = &s3 {
        stores.push((s3.url("dr/backups"), s3.env()));
    }
    if let Some(az) = &az {
        stores.push((az.url("dr"), az.env()));
    }
    if stores.is_empty() {
        eprintln!(
            "skipped: neither moto_server nor azurite is installed (.ci/install-object-stores)"
        );
        return;
    }
    let tc = cluster();
    for (url, env) in &stores {
        let e = Env::new(&tc);
        e.s.write("app/app.yaml", app_with_database());
        let mut c = e.cmd(&[
            "disaster-test",
            "app",
            "--fail-on",
            "critical",
            "--timeout",
            "30",
            "--scenario",
            "data-loss",
            "--scenario",
            "config-corruption",
            "-f",
            "json",
        ]);
        c.env("CONFGATE_BACKUP_STORE", url);
        for (k, v) in env {
            c.env(k, v);
        }
        let r = run(&mut c);
        r.expect_code(0);
        let j = r.json();
        assert_eq!(j["passed"], true, "{url}: {j:#}");
        let results = j["results"].as_array().unwrap();
        assert_eq!(results.len(), 2, "{url}: {j:#}");
        for res in results {
            assert_eq!(res["verified"], true, "{url}: {res:#}");
            assert!(
                res["steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s.as_str().unwrap().contains("backup")),
                "{url}: {res:#}"
            );
        }
    }
    // The store is really the one used: a bucket that does not exist fails the scenario.
    if let Some(s3) = &s3 {
        let e = Env::new(&tc);
        e.s.write("app/app.yaml", app_with_database());
        let mut c = e.cmd(&[
            "disaster-test",
            "app",
            "--fail-on",
            "critical",
            "--timeout",
            "30",
            "--scenario",
            "data-loss",
            "-f",
            "json",
        ]);
        c.env("CONFGATE_BACKUP_STORE", "s3://no-such-bucket-confgate/dr");
        for (k, v) in s3.env() {
            c.env(k, v);
        }
        let r = run(&mut c);
        assert_ne!(r.code, 0, "{}", r.stdout);
    }
}
