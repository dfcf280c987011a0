//! Live-cluster commands against the test API server (`confgate-testcluster`: HTTPS, its own
//! CA, a real kubeconfig): `scan --cluster`, `cluster export`, `cluster diff`, `cluster
//! check`, several contexts at once, and the faults a cluster can throw at a client
//! (unreachable, wrong credentials, missing permissions, 500s, timeouts, TLS).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use confgate_testcluster::{Options, TestCluster};
use serde_json::Value;

use common::*;

/// A namespace with a privileged Deployment, a Service, a Secret and a ConfigMap, and a
/// ClusterRoleBinding granting cluster-admin to an application ServiceAccount.
const SHOP: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext:
          privileged: true
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - port: 80
---
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
type: Opaque
data:
  password: c3VwZXJzZWNyZXRwYXNzd29yZA==
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  mode: "on"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: shop-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
- kind: ServiceAccount
  name: web
  namespace: shop
"#;

fn cluster_named(name: &str) -> TestCluster {
    let tc = TestCluster::start(Options {
        name: name.to_string(),
        ..Options::default()
    })
    .expect("start the test API server");
    tc.load_yaml(SHOP).expect("load fixtures");
    tc
}

fn cluster() -> TestCluster {
    cluster_named("testcluster")
}

fn kubeconfig(tc: &TestCluster) -> String {
    tc.kubeconfig_path().display().to_string()
}

/// `confgate ARGS --kubeconfig K` in a scratch directory.
fn run_against(s: &Scratch, tc: &TestCluster, args: &[&str]) -> Run {
    let k = kubeconfig(tc);
    let mut all: Vec<&str> = args.to_vec();
    all.extend_from_slice(&["--kubeconfig", &k]);
    s.run(&all)
}

/// (rule, kind, namespace, name, path) of every finding, sorted: what must agree between a
/// live scan and a scan of its export.
fn finding_keys(report: &Value) -> Vec<String> {
    let mut keys: Vec<String> = findings(report)
        .iter()
        .map(|f| {
            format!(
                "{} {}/{}/{} {}",
                f["rule_id"].as_str().unwrap_or(""),
                f["resource"]["kind"].as_str().unwrap_or(""),
                f["resource"]["namespace"].as_str().unwrap_or("-"),
                f["resource"]["name"].as_str().unwrap_or(""),
                f["path"].as_str().unwrap_or("")
            )
        })
        .collect();
    keys.sort();
    keys
}

fn has_rule(report: &Value, rule: &str, name: &str) -> bool {
    findings(report)
        .iter()
        .any(|f| f["rule_id"] == rule && f["resource"]["name"] == name)
}

#[test]
fn a_live_scan_finds_what_a_file_scan_finds_cross_resource_rules_included() {
    let tc = cluster();
    let s = Scratch::new();
    let r = run_against(&s, &tc, &["scan", "--cluster", "--format", "json"]);
    r.expect_code(1);
    let report = r.json();
    assert!(errors(&report).is_empty(), "{:?}", errors(&report));
    // Per object: the privileged container of the Deployment.
    assert!(has_rule(&report, "CG1001", "web"), "{}", r.stdout);
    // Cross-resource: the namespace has no NetworkPolicy; RBAC grants cluster-admin.
    assert!(has_rule(&report, "CG3005", "shop"), "{}", r.stdout);
    assert!(has_rule(&report, "CG2002", "shop-admin"), "{}", r.stdout);
    let f = findings(&report)
        .iter()
        .find(|f| f["rule_id"] == "CG1001")
        .unwrap();
    assert_eq!(f["file"], "cluster/testcluster/shop/Deployment/web");
    // The Secret's value is never shown.
    assert!(!r.stdout.contains("c3VwZXJzZWNyZXRwYXNzd29yZA"));
    // ReplicaSets and Pods the controller made from the Deployment are not scanned twice.
    assert!(
        !findings(&report)
            .iter()
            .any(|f| f["rule_id"] == "CG1001" && f["resource"]["kind"] == "Pod"),
        "{}",
        r.stdout
    );
}

#[test]
fn sarif_names_live_objects_by_logical_location() {
    let tc = cluster();
    let s = Scratch::new();
    let r = run_against(
        &s,
        &tc,
        &[
            "scan",
            "--cluster",
            "--format",
            "sarif",
            "--select",
            "CG1001",
        ],
    );
    r.expect_code(1);
    let sarif: Value = serde_json::from_str(&r.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for res in results {
        let loc = &res["locations"][0];
        assert!(loc["physicalLocation"].is_null(), "{loc}");
        assert_eq!(
            loc["logicalLocations"][0]["fullyQualifiedName"],
            "testcluster/shop/Deployment/web"
        );
    }
}

#[test]
fn scanning_the_export_gives_the_findings_of_the_live_scan() {
    let tc = cluster();
    let s = Scratch::new();
    let live = run_against(&s, &tc, &["scan", "--cluster", "--format", "json"]);
    run_against(
        &s,
        &tc,
        &[
            "cluster",
            "export",
            "--output-dir",
            "export",
            "--include-secrets",
        ],
    )
    .expect_code(0);
    assert!(
        s.path()
            .join("export/testcluster/shop/Deployment/web.yaml")
            .is_file()
    );
    assert!(
        s.path()
            .join("export/testcluster/_cluster/ClusterRoleBinding/shop-admin.yaml")
            .is_file()
    );
    let files = s.run(&["scan", "export", "--format", "json"]);
    assert_eq!(files.code, live.code);
    assert_eq!(finding_keys(&files.json()), finding_keys(&live.json()));
    // A large cluster is scanned in two passes (texts kept, documents parsed again); a
    // small one forced through them finds exactly the same, lines and messages included.
    let streamed = run_against(
        &s,
        &tc,
        &[
            "scan",
            "--cluster",
            "--format",
            "json",
            "--stream-above",
            "0",
        ],
    );
    assert_eq!(streamed.code, live.code, "{}", streamed.stderr);
    assert!(!findings(&live.json()).is_empty());
    assert_eq!(findings(&streamed.json()), findings(&live.json()));
    assert_eq!(
        streamed.json()["summary"],
        live.json()["summary"],
        "{}",
        streamed.stdout
    );
}

#[test]
fn an_export_holds_no_secret_value_unless_asked() {
    let tc = cluster();
    let s = Scratch::new();
    let r = run_against(&s, &tc, &["cluster", "export", "-o", "all.yaml"]);
    r.expect_code(0);
    let text = std::fs::read_to_string(s.path().join("all.yaml")).unwrap();
    assert!(
        text.contains("kind: Secret") && text.contains("password: ''"),
        "{text}"
    );
    assert!(!text.contains("c3VwZXJzZWNyZXRwYXNzd29yZA"));
    // Cleaned: nothing the server adds.
    for noise in [
        "managedFields",
        "resourceVersion",
        "uid:",
        "creationTimestamp",
    ] {
        assert!(!text.contains(noise), "{noise} in export");
    }
    // The stream is one multi-document file that scans like the live state.
    let files = s.run(&["scan", "all.yaml", "--format", "json", "--select", "CG1001"]);
    assert!(has_rule(&files.json(), "CG1001", "web"));
}

#[test]
fn diff_shows_drift_with_secret_values_masked() {
    let tc = cluster();
    let s = Scratch::new();
    // The same objects as live: no drift.
    s.write("same.yaml", SHOP);
    let r = run_against(&s, &tc, &["cluster", "diff", "same.yaml"]);
    r.expect_code(0);
    assert!(r.stdout.contains("0 differ"), "{}", r.stdout);
    // A changed image, a changed Secret value and a new ConfigMap.
    let changed = SHOP
        .replace("nginx:1.27", "nginx:1.28")
        .replace("c3VwZXJzZWNyZXRwYXNzd29yZA==", "bmV3LXBhc3N3b3Jk")
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: shop}\ndata: {a: b}\n";
    s.write("changed.yaml", changed);
    let r = run_against(&s, &tc, &["cluster", "diff", "changed.yaml"]);
    r.expect_code(1);
    assert!(
        r.stdout.contains("-        - image: nginx:1.27"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("+        - image: nginx:1.28"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("*** (changed)"), "{}", r.stdout);
    assert!(!r.stdout.contains("bmV3LXBhc3N3b3Jk") && !r.stdout.contains("c3VwZXJzZWNy"));
    assert!(r.stdout.contains("3 differ"), "{}", r.stdout);
    // A dry run: nothing changed in the cluster.
    let live = tc
        .get("apps/v1", "Deployment", Some("shop"), "web")
        .unwrap();
    assert_eq!(
        live["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.27"
    );
    assert!(tc.get("v1", "ConfigMap", Some("shop"), "extra").is_none());
}

#[test]
fn check_reports_version_identity_and_missing_permissions() {
    let tc = cluster();
    let s = Scratch::new();
    let r = run_against(&s, &tc, &["cluster", "check", "--format", "json"]);
    r.expect_code(0);
    let v = r.json();
    let c = &v["clusters"][0];
    assert_eq!(c["version"]["git_version"], "v1.37.0");
    assert!(c["identity"]["username"].is_string(), "{c}");
    let limited = run_against(
        &s,
        &tc,
        &[
            "cluster",
            "check",
            "--context",
            "testcluster-limited",
            "--namespace",
            "shop",
        ],
    );
    limited.expect_code(1);
    assert!(
        limited
            .stdout
            .contains("create deployments.apps in namespace shop"),
        "{}",
        limited.stdout
    );
    assert!(
        limited.stdout.contains("identity: limited"),
        "{}",
        limited.stdout
    );
}

#[test]
fn two_contexts_are_scanned_at_once_and_findings_say_which() {
    let a = cluster_named("east");
    let b = cluster_named("west");
    let s = Scratch::new();
    let joined = format!("{}:{}", kubeconfig(&a), kubeconfig(&b));
    let r = run(confgate(s.path()).env("KUBECONFIG", &joined).args([
        "scan",
        "--cluster",
        "--context",
        "east",
        "--context",
        "west",
        "--format",
        "json",
        "--select",
        "CG1001",
    ]));
    r.expect_code(1);
    let report = r.json();
    let files: Vec<&str> = findings(&report)
        .iter()
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert!(
        files.contains(&"cluster/east/shop/Deployment/web"),
        "{files:?}"
    );
    assert!(
        files.contains(&"cluster/west/shop/Deployment/web"),
        "{files:?}"
    );
    // Streamed in two passes, each cluster is still its own inventory.
    let streamed = run(confgate(s.path()).env("KUBECONFIG", &joined).args([
        "scan",
        "--cluster",
        "--context",
        "east",
        "--context",
        "west",
        "--format",
        "json",
        "--stream-above",
        "0",
    ]));
    let whole = run(confgate(s.path()).env("KUBECONFIG", &joined).args([
        "scan",
        "--cluster",
        "--context",
        "east",
        "--context",
        "west",
        "--format",
        "json",
    ]));
    assert_eq!(streamed.code, whole.code, "{}", streamed.stderr);
    assert_eq!(findings(&streamed.json()), findings(&whole.json()));
    let all = run(confgate(s.path()).env("KUBECONFIG", &joined).args([
        "scan",
        "--cluster",
        "--all-contexts",
        "--format",
        "json",
        "--select",
        "CG1001",
    ]));
    // Six contexts per server (admin, cert, limited, badtoken...): the bad token fails.
    assert_eq!(all.code, 2, "{}", all.stderr);
}

#[test]
fn an_unreachable_server_fails_fast_with_one_line_naming_it() {
    let s = Scratch::new();
    // A port nobody listens on, behind a real kubeconfig.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    s.write(
        "kc",
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: gone\nclusters:\n- name: gone\n  cluster: {{server: 'https://127.0.0.1:{port}'}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: gone\n  context: {{cluster: gone, user: u}}\n"
        ),
    );
    let t = Instant::now();
    let r = s.run(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        "kc",
        "--request-timeout",
        "3",
    ]);
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
    r.expect_code(2);
    let line = r.stderr.trim();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.contains(&format!("127.0.0.1:{port}")) && line.contains("context gone"),
        "{line}"
    );
}

#[test]
fn a_server_that_never_answers_is_a_timeout_within_the_limit() {
    let s = Scratch::new();
    // Accepts connections and never speaks: the TLS handshake waits forever.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    s.write(
        "kc",
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: mute\nclusters:\n- name: mute\n  cluster: {{server: 'https://127.0.0.1:{port}'}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: mute\n  context: {{cluster: mute, user: u}}\n"
        ),
    );
    let t = Instant::now();
    let r = s.run(&[
        "cluster",
        "check",
        "--kubeconfig",
        "kc",
        "--request-timeout",
        "2",
    ]);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    r.expect_code(2);
    assert!(
        r.stderr.contains("did not answer within 2 s"),
        "{}",
        r.stderr
    );
    drop(listener);
}

#[test]
fn wrong_credentials_name_the_context() {
    let tc = cluster();
    let s = Scratch::new();
    let r = run_against(
        &s,
        &tc,
        &["scan", "--cluster", "--context", "testcluster-badtoken"],
    );
    r.expect_code(2);
    assert!(
        r.stderr.contains("context testcluster-badtoken") && r.stderr.contains("401"),
        "{}",
        r.stderr
    );
}

#[test]
fn types_the_identity_may_not_list_are_errors_and_the_rest_is_scanned() {
    let tc = cluster();
    let s = Scratch::new();
    let r = run_against(
        &s,
        &tc,
        &[
            "scan",
            "--cluster",
            "--context",
            "testcluster-limited",
            "--format",
            "json",
        ],
    );
    r.expect_code(2);
    let report = r.json();
    let errs = errors(&report);
    assert!(
        errs.iter().any(|e| e["code"] == "forbidden"
            && e["message"]
                .as_str()
                .unwrap_or("")
                .contains("deployments.apps")),
        "{errs:?}"
    );
    // Namespaces, pods and configmaps may be listed: they were scanned.
    assert!(
        report["summary"]["documents"].as_u64().unwrap_or(0) > 0,
        "{}",
        r.stdout
    );
}

#[test]
fn server_errors_are_retried_then_reported() {
    let tc = cluster();
    let s = Scratch::new();
    // Two 500s on the Deployment list: the third attempt succeeds.
    tc.faults()
        .fail(Some("GET"), "/apis/apps/v1/deployments", 500, 2);
    let r = run_against(
        &s,
        &tc,
        &[
            "scan",
            "--cluster",
            "--format",
            "json",
            "--select",
            "CG1001",
        ],
    );
    r.expect_code(1);
    assert!(has_rule(&r.json(), "CG1001", "web"));
    assert!(tc.request_count("/apis/apps/v1/deployments") >= 3);
    // Always failing: a clear error after three attempts.
    tc.faults()
        .fail(Some("GET"), "/apis/apps/v1/deployments", 500, 100);
    let r = run_against(
        &s,
        &tc,
        &[
            "scan",
            "--cluster",
            "--format",
            "json",
            "--select",
            "CG1001",
        ],
    );
    r.expect_code(2);
    let msg = errors(&r.json())
        .iter()
        .filter_map(|e| e["message"].as_str())
        .find(|m| m.contains("deployments"))
        .unwrap_or("")
        .to_string();
    assert!(
        msg.contains("500") && msg.contains("after 3 attempts"),
        "{msg}"
    );
}

#[test]
fn a_slow_list_is_a_timeout_after_retries() {
    let tc = cluster();
    let s = Scratch::new();
    tc.faults().delay(
        Some("GET"),
        "/api/v1/configmaps",
        Duration::from_secs(30),
        100,
    );
    let t = Instant::now();
    let r = run_against(
        &s,
        &tc,
        &[
            "scan",
            "--cluster",
            "--request-timeout",
            "1",
            "--format",
            "json",
        ],
    );
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    r.expect_code(2);
    let errs = errors(&r.json()).clone();
    assert!(
        errs.iter().any(
            |e| e["message"].as_str().unwrap_or("").contains("configmaps")
                && e["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("did not answer within 1 s")
        ),
        "{errs:?}"
    );
}

#[test]
fn a_tls_failure_says_which_certificate_check_failed() {
    let tc = cluster();
    let s = Scratch::new();
    // The kubeconfig with another cluster's CA: the server's certificate is not trusted.
    let other = cluster_named("other");
    let text = std::fs::read_to_string(tc.kubeconfig_path()).unwrap();
    let theirs = std::fs::read_to_string(other.kubeconfig_path()).unwrap();
    let ca = |t: &str| {
        t.lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("certificate-authority-data:")
                    .map(|v| v.trim().to_string())
            })
            .unwrap()
    };
    s.write("kc", text.replace(&ca(&text), &ca(&theirs)));
    let r = s.run(&["cluster", "check", "--kubeconfig", "kc"]);
    r.expect_code(2);
    assert!(r.stderr.contains("UnknownIssuer"), "{}", r.stderr);
}

#[test]
fn namespaces_and_kinds_narrow_a_live_scan() {
    let tc = cluster();
    tc.load_yaml(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: other}\nspec:\n  containers:\n  - {name: c, image: x:1, securityContext: {privileged: true}}\n",
    )
    .unwrap();
    let s = Scratch::new();
    let all = run_against(
        &s,
        &tc,
        &[
            "scan",
            "--cluster",
            "--format",
            "json",
            "--select",
            "CG1001",
        ],
    );
    assert!(has_rule(&all.json(), "CG1001", "p") && has_rule(&all.json(), "CG1001", "web"));
    let shop = run_against(
        &s,
        &tc,
        &[
            "scan",
            "--cluster",
            "-n",
            "shop",
            "--format",
            "json",
            "--select",
            "CG1001",
        ],
    );
    assert!(has_rule(&shop.json(), "CG1001", "web") && !has_rule(&shop.json(), "CG1001", "p"));
    let pods = run_against(
        &s,
        &tc,
        &[
            "scan",
            "--cluster",
            "--kinds",
            "pods",
            "--format",
            "json",
            "--select",
            "CG1001",
        ],
    );
    assert!(has_rule(&pods.json(), "CG1001", "p") && !has_rule(&pods.json(), "CG1001", "web"));
    let typo = run_against(&s, &tc, &["scan", "--cluster", "--kinds", "Deploymnet"]);
    typo.expect_code(2);
    assert!(typo.stderr.contains("Deploymnet"), "{}", typo.stderr);
}
