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
