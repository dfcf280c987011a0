//! `confgate doctor` against the test API server: what it finds missing, how it says so,
//! the exit codes a pipeline's first step reads, and the secrets it never prints.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

use confgate_testcluster::{Options, TestCluster};
use serde_json::Value;

use common::*;

struct Env {
    s: Scratch,
    key: PathBuf,
    kubeconfig: String,
}

impl Env {
    fn new(tc: &TestCluster) -> Env {
        Env::with_kubeconfig(tc.kubeconfig_path().display().to_string())
    }

    fn with_kubeconfig(kubeconfig: String) -> Env {
        let s = Scratch::new();
        let key = s.path().join("master.key");
        let e = Env { s, key, kubeconfig };
        run(confgate(e.s.path()).args([
            "backup",
            "keygen",
            "--key-output",
            e.key.to_str().unwrap(),
        ]))
        .expect_code(0);
        e
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = confgate(self.s.path());
        c.args(args)
            .env("CONFGATE_BACKUP_KEY_FILE", &self.key)
            .env("CONFGATE_STATE_DIR", self.s.path().join("state"))
            .env("CONFGATE_KUBECONFIG", &self.kubeconfig)
            .env("CONFGATE_REQUEST_TIMEOUT", "5")
            .env_remove("NAMESPACE")
            .env_remove("CONFGATE_BACKUP_KEY");
        c
    }

    fn doctor(&self, extra: &[&str]) -> Run {
        let mut all = vec!["doctor", "-n", "shop", "-f", "json"];
        all.extend_from_slice(extra);
        run(&mut self.cmd(&all))
    }
}

fn cluster() -> TestCluster {
    let tc = TestCluster::start(Options::default()).expect("start the test API server");
    tc.load_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
        .unwrap();
    tc
}

fn check<'a>(j: &'a Value, name: &str) -> &'a Value {
    j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {j:#}"))
}

/// An HTTP server on 127.0.0.1 answering every request with `status`, for `n` requests.
fn http_server(status: u16, n: usize) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().take(n) {
            let Ok(mut s) = s else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
            );
        }
    });
    port
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn a_healthy_setup_passes_every_check_and_exits_0() {
    let tc = cluster();
    let e = Env::new(&tc);
    let r = e.doctor(&[]);
    r.expect_code(0);
    let j = r.json();
    assert_eq!(j["ok"], true, "{j:#}");
    assert_eq!(check(&j, "kubeconfig")["state"], "ok");
    let c = check(&j, "cluster");
    assert_eq!(c["state"], "ok", "{j:#}");
    assert!(
        c["detail"].as_str().unwrap().contains("Kubernetes v"),
        "{c:#}"
    );
    for w in ["scan", "deploy", "rollback", "backup"] {
        assert_eq!(
            check(&j, &format!("permissions:{w}"))["state"],
            "ok",
            "{j:#}"
        );
    }
    let key = check(&j, "backup-key");
    assert_eq!(key["state"], "ok", "{key:#}");
    assert!(key["detail"].as_str().unwrap().contains("fingerprint"));
    assert_eq!(check(&j, "state-dir")["state"], "ok");
    assert_eq!(check(&j, "policies")["state"], "ok");
    // The text form: one line per check, then the verdict.
    let t = run(&mut e.cmd(&["doctor", "-n", "shop"]));
    t.expect_code(0);
    assert!(
        t.stdout
            .lines()
            .any(|l| l.starts_with("ok       cluster: ")),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout
            .contains("doctor: everything the commands need is there"),
        "{}",
        t.stdout
    );
    // The key's value is never printed.
    let value = std::fs::read_to_string(&e.key).unwrap();
    assert!(!t.stdout.contains(value.trim()) && !r.stdout.contains(value.trim()));
}

#[test]
fn a_limited_token_names_the_missing_permissions_per_command_and_exits_1() {
    let tc = cluster();
    let e = Env::new(&tc);
    let r = e.doctor(&["--context", "testcluster-limited"]);
    r.expect_code(1);
    let j = r.json();
    assert_eq!(j["ok"], false);
    assert_eq!(check(&j, "cluster")["state"], "ok", "{j:#}");
    let deploy = check(&j, "permissions:deploy");
    assert_eq!(deploy["state"], "missing", "{deploy:#}");
    let perms: Vec<&str> = deploy["missing_permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        perms.contains(&"create deployments.apps in namespace shop"),
        "{perms:?}"
    );
    assert!(
        deploy["fix"]
            .as_str()
            .unwrap()
            .contains("RoleBinding in namespace shop"),
        "{deploy:#}"
    );
    assert_eq!(check(&j, "permissions:rollback")["state"], "missing");
    assert!(
        check(&j, "permissions:backup")["missing_permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "list secrets in namespace shop"),
        "{j:#}"
    );
    let t = run(&mut e.cmd(&["doctor", "-n", "shop", "--context", "testcluster-limited"]));
    t.expect_code(1);
    assert!(
        t.stdout.lines().any(
            |l| l.starts_with("missing  permissions:deploy: deploy needs ")
                && l.contains("fix: grant them")
        ),
        "{}",
        t.stdout
    );
}

#[test]
fn an_unreachable_cluster_is_reported_with_a_fix_and_the_permissions_are_skipped() {
    let s = Scratch::new();
    let port = dead_port();
    let kc = s.write(
        "kubeconfig",
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster: {{server: \"https://127.0.0.1:{port}\", insecure-skip-tls-verify: true}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: gone\n  context: {{cluster: gone, user: u}}\ncurrent-context: gone\n"
        ),
    );
    let e = Env::with_kubeconfig(kc.display().to_string());
    let r = e.doctor(&[]);
    r.expect_code(1);
    let j = r.json();
    let c = check(&j, "cluster");
    assert_eq!(c["state"], "missing", "{c:#}");
    assert!(
        c["detail"].as_str().unwrap().starts_with("not reachable: "),
        "{c:#}"
    );
    assert!(
        c["detail"].as_str().unwrap().contains(&port.to_string()),
        "{c:#}"
    );
    assert!(
        c["fix"].as_str().unwrap().contains("kubectl cluster-info"),
        "{c:#}"
    );
    assert_eq!(check(&j, "permissions:deploy")["state"], "skipped");
    // The local checks still ran.
    assert_eq!(check(&j, "backup-key")["state"], "ok");
}

#[test]
fn a_missing_key_file_is_reported_with_the_command_that_makes_one() {
    let tc = cluster();
    let e = Env::new(&tc);
    let gone = e.s.path().join("no-such.key");
    let r = run(e
        .cmd(&["doctor", "-n", "shop", "-f", "json"])
        .env("CONFGATE_BACKUP_KEY_FILE", &gone));
    r.expect_code(1);
    let j = r.json();
    let k = check(&j, "backup-key");
    assert_eq!(k["state"], "missing", "{k:#}");
    assert!(
        k["detail"].as_str().unwrap().contains("no-such.key"),
        "{k:#}"
    );
    assert!(
        k["fix"].as_str().unwrap().contains(&format!(
            "confgate backup keygen --key-output {}",
            gone.display()
        )),
        "{k:#}"
    );
    // Everything else is fine: only the key is missing.
    let missing: Vec<&Value> = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "missing")
        .collect();
    assert_eq!(missing.len(), 1, "{j:#}");
}

#[test]
fn a_key_of_the_wrong_length_is_missing() {
    let tc = cluster();
    let e = Env::new(&tc);
    let short = e.s.write("short.key", "00112233445566778899aabbccddeeff\n");
    let r = run(e
        .cmd(&["doctor", "-n", "shop", "-f", "json"])
        .env("CONFGATE_BACKUP_KEY_FILE", &short));
    r.expect_code(1);
    let k = check(&r.json(), "backup-key").clone();
    assert_eq!(k["state"], "missing", "{k:#}");
    assert!(
        !r.stdout.contains("00112233445566778899aabbccddeeff"),
        "{}",
        r.stdout
    );
}

#[test]
fn monitoring_endpoints_are_probed_and_a_webhook_url_is_never_printed() {
    let tc = cluster();
    let e = Env::new(&tc);
    let healthy = http_server(200, 4);
    let webhook = http_server(405, 4);
    let smtp = http_server(200, 1);
    let dead = dead_port();
    e.s.write(
        "confgate.toml",
        format!(
            "[monitor]\nprometheus-url = \"http://127.0.0.1:{healthy}\"\n\n\
             [[monitor.alerts.routes]]\nkind = \"alertmanager\"\nurl = \"http://127.0.0.1:{dead}\"\n\n\
             [[monitor.alerts.routes]]\nkind = \"slack\"\nurl-env = \"DOCTOR_TEST_HOOK\"\n\n\
             [[monitor.alerts.routes]]\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {smtp}\nstarttls = \"none\"\n\
             from = \"confgate@example.com\"\nto = [\"oncall@example.com\"]\n"
        ),
    );
    let r = run(e.cmd(&["doctor", "-n", "shop", "-f", "json"]).env(
        "DOCTOR_TEST_HOOK",
        format!("http://127.0.0.1:{webhook}/services/T0/B0/s3cr3t-token"),
    ));
    r.expect_code(1);
    let j = r.json();
    assert_eq!(check(&j, "prometheus")["state"], "ok", "{j:#}");
    let am = check(&j, "alerts:route-1");
    assert_eq!(am["state"], "missing", "{am:#}");
    assert!(
        am["detail"]
            .as_str()
            .unwrap()
            .contains("route #1 (alertmanager)")
    );
    let hook = check(&j, "alerts:route-2");
    assert_eq!(hook["state"], "ok", "{hook:#}");
    assert!(
        hook["detail"]
            .as_str()
            .unwrap()
            .starts_with("route #2 (slack): reachable")
    );
    let mail = check(&j, "alerts:route-3");
    assert_eq!(mail["state"], "ok", "{mail:#}");
    assert_eq!(
        mail["detail"],
        format!("route #3 (email) SMTP 127.0.0.1:{smtp}: reachable")
    );
    assert!(
        !r.stdout.contains("s3cr3t") && !r.stderr.contains("s3cr3t"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_remote_backup_store_that_refuses_the_credentials_is_missing_and_a_working_one_is_ok() {
    use common::objstore::{FaultyHttp, S3Server};
    let tc = cluster();
    let e = Env::new(&tc);
    e.s.write(
        "confgate.toml",
        "[backup]\nstore = \"s3://confgate-backups/doctor\"\ntimeout = 2\nretries = 0\n",
    );
    let refusing = FaultyHttp::failing(403);
    let mut c = e.cmd(&["doctor", "-n", "shop", "-f", "json"]);
    c.envs(refusing.s3_env());
    let r = run(&mut c);
    r.expect_code(1);
    let j = r.json();
    let s = check(&j, "backup-store");
    assert_eq!(s["state"], "missing", "{s:#}");
    assert!(
        s["detail"]
            .as_str()
            .unwrap()
            .contains("s3://confgate-backups/doctor"),
        "{s:#}"
    );
    assert!(
        s["fix"].as_str().unwrap().contains("AWS_ACCESS_KEY_ID"),
        "{s:#}"
    );
    assert!(refusing.requests() > 0, "the store was asked");
    let Some(s3) = S3Server::start() else {
        eprintln!("skipped: the working S3 half (moto_server is not installed)");
        return;
    };
    let mut c = e.cmd(&["doctor", "-n", "shop", "-f", "json"]);
    c.envs(s3.env());
    let r = run(&mut c);
    r.expect_code(0);
    assert_eq!(
        check(&r.json(), "backup-store")["state"],
        "ok",
        "{}",
        r.stdout
    );
}
