//! `confgate monitor` and `confgate serve --metrics` against the test API server, with
//! Debian's real `promtool` checking every exposition and the alert rules, and a real
//! Prometheus server scraping `serve --metrics`. Needs `/usr/bin/promtool` and
//! `/usr/bin/prometheus` (`.ci/run` installs Debian's `prometheus`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use confgate_testcluster::{Options, TestCluster};
use serde_json::Value;

use common::*;

const NS: &str = "spotify-ai-dev";

fn tool(name: &str) -> String {
    let path = format!("/usr/bin/{name}");
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: install Debian's prometheus package (.ci/run does)"
    );
    path
}

fn workload(name: &str, image: &str, replicas: u32) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels: {{app: {name}}}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: {name}\n        image: {image}\n        securityContext: {{allowPrivilegeEscalation: false, runAsNonRoot: true}}\n"
    )
}

fn cluster() -> TestCluster {
    let tc = TestCluster::start(Options::default()).expect("start the test API server");
    tc.load_yaml(&format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {NS}}}\n"
    ))
    .unwrap();
    tc
}

fn run_cg(s: &Scratch, tc: &TestCluster, args: &[&str]) -> Run {
    let k = tc.kubeconfig_path().display().to_string();
    let mut all = args.to_vec();
    all.extend_from_slice(&["--kubeconfig", &k]);
    s.run(&all)
}

fn deploy(s: &Scratch, tc: &TestCluster, text: &str, timeout: &str) -> Run {
    s.write("app/app.yaml", text);
    run_cg(
        s,
        tc,
        &[
            "deploy",
            "app",
            "--set",
            "api",
            "-n",
            NS,
            "--apply",
            "--wait-for-rollout",
            "--timeout",
            timeout,
            "--fail-on",
            "critical",
        ],
    )
}

fn promtool_check_metrics(text: &str) {
    let mut child = Command::new(tool("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A plain HTTP/1.1 GET on loopback: (status, body).
fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|x| x.1.to_string())?;
    // Chunked bodies: good enough to search in.
    Some((status, body))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn one_check_exports_the_original_suites_series_and_promtool_accepts_every_format() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("api", "registry.example.com/api:2.4.1", 2),
        "60",
    )
    .expect_code(0);
    s.write(
        "confgate.toml",
        "[monitor]\nnamespaces = [\"spotify-ai-dev\"]\nmetric-prefix = \"spotify_ai_agent\"\n",
    );
    let r = run_cg(
        &s,
        &tc,
        &[
            "monitor",
            "--one-shot",
            "--export-metrics",
            "--format",
            "prometheus",
            "-o",
            "m.prom",
        ],
    );
    r.expect_code(0);
    let text = std::fs::read_to_string(s.path().join("m.prom")).unwrap();
    promtool_check_metrics(&text);
    for series in [
        format!("spotify_ai_agent_pods_total{{namespace=\"{NS}\",phase=\"Running\"}} 2"),
        format!("spotify_ai_agent_pods_total{{namespace=\"{NS}\",phase=\"Pending\"}} 0"),
        format!("spotify_ai_agent_pods{{namespace=\"{NS}\",phase=\"Running\"}} 2"),
        format!(
            "spotify_ai_agent_deployment_replicas_desired{{namespace=\"{NS}\",deployment=\"api\"}} 2"
        ),
        format!(
            "spotify_ai_agent_deployment_replicas_ready{{namespace=\"{NS}\",deployment=\"api\"}} 2"
        ),
        format!("spotify_ai_agent_last_deploy_revision{{namespace=\"{NS}\",set=\"api\"}} 1"),
        format!("spotify_ai_agent_last_deploy_success{{namespace=\"{NS}\",set=\"api\"}} 1"),
        "spotify_ai_agent_cluster_reachable 1".to_string(),
    ] {
        assert!(text.contains(&series), "{series} missing:\n{text}");
    }
    assert!(text.contains(&format!(
        "spotify_ai_agent_health_score{{namespace=\"{NS}\"}} "
    )));
    assert!(
        text.contains("spotify_ai_agent_findings{namespace=\"spotify-ai-dev\",severity=\"high\"}")
    );
    // The suite's variables: METRICS_FORMAT, NAMESPACE.
    let k = tc.kubeconfig_path().display().to_string();
    let mut cmd = confgate(s.path());
    cmd.args(["monitor", "--export-metrics", "--kubeconfig", &k])
        .env("METRICS_FORMAT", "json")
        .env("NAMESPACE", NS);
    let j = run(&mut cmd);
    j.expect_code(0);
    let v: Value = j.json();
    assert_eq!(v["namespaces"][0]["namespace"], NS);
    assert_eq!(v["namespaces"][0]["pods_by_phase"]["Running"], 2);
    let c = run_cg(&s, &tc, &["monitor", "--export-metrics", "--format", "csv"]);
    c.expect_code(0);
    assert!(
        c.stdout
            .starts_with("timestamp,context,namespace,health_score"),
        "{}",
        c.stdout
    );
    assert!(
        c.stdout
            .lines()
            .nth(1)
            .unwrap()
            .contains(",spotify-ai-dev,")
    );
    // A bad prefix is a settings error.
    let bad = run_cg(&s, &tc, &["monitor", "--metric-prefix", "9-lives"]);
    bad.expect_code(2);
}

#[test]
fn an_unhealthy_namespace_alerts_and_an_unreachable_cluster_is_unknown_and_exit_2() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("api", "registry.example.com/api:crashloop", 1),
        "3",
    )
    .expect_code(1);
    let r = run_cg(&s, &tc, &["monitor", "-n", NS, "--alert-threshold", "90"]);
    r.expect_code(1);
    assert!(
        r.stderr
            .contains(&format!("alert firing: namespace {NS} health")),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("(!)"), "{}", r.stdout);
    // A cluster that does not answer at all: a one-line error, exit 2.
    let port = free_port();
    let kc = s.write(
        "dead.kubeconfig",
        format!("apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}', insecure-skip-tls-verify: true}}}}]\nusers: [{{name: u, user: {{token: t}}}}]\ncontexts: [{{name: dead, context: {{cluster: c, user: u}}}}]\ncurrent-context: dead\n"),
    );
    let kc = kc.display().to_string();
    let d = s.run(&[
        "monitor",
        "-n",
        NS,
        "--kubeconfig",
        &kc,
        "--request-timeout",
        "2",
    ]);
    d.expect_code(2);
    assert!(d.stderr.contains("cannot reach"), "{}", d.stderr);
}

#[test]
fn losing_the_cluster_during_watch_is_health_unknown_an_alert_and_a_reconnect() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("api", "registry.example.com/api:1.0", 1),
        "60",
    )
    .expect_code(0);
    let k = tc.kubeconfig_path().display().to_string();
    let dir = s.path().to_path_buf();
    let watch = std::thread::spawn(move || {
        run_in(
            &dir,
            &[
                "monitor",
                "-n",
                NS,
                "--watch",
                "--interval",
                "1",
                "--duration",
                "12",
                "--request-timeout",
                "2",
                "--kubeconfig",
                &k,
            ],
        )
    });
    let history = s.path().join(".confgate/monitor-history.jsonl");
    let start = Instant::now();
    while !history.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "no first check");
        std::thread::sleep(Duration::from_millis(50));
    }
    tc.faults().fail(None, "/", 503, 1_000_000);
    std::thread::sleep(Duration::from_secs(3));
    tc.faults().clear();
    let r = watch.join().unwrap();
    r.expect_code(0);
    assert!(
        r.stdout.contains("cluster unreachable, health unknown"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("alert firing: cluster testcluster unreachable"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("alert resolved: cluster testcluster reachable again"),
        "{}",
        r.stderr
    );
    let h = s.run(&["monitor", "history", "--format", "json"]);
    let records: Value = h.json();
    assert!(
        records
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["health"].is_null()),
        "{records}"
    );
}

#[test]
fn watch_mode_checks_until_the_duration_and_keeps_a_history_that_survives_corruption() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("api", "registry.example.com/api:1.0", 1),
        "60",
    )
    .expect_code(0);
    let r = run_cg(
        &s,
        &tc,
        &[
            "monitor",
            "-n",
            NS,
            "--watch",
            "--interval",
            "1",
            "--duration",
            "3",
        ],
    );
    r.expect_code(0);
    let checks = r.stdout.matches("namespaces checked").count();
    assert!((2..=4).contains(&checks), "{checks} checks:\n{}", r.stdout);
    let h = s.run(&["monitor", "history", "--since", "1h", "--format", "csv"]);
    h.expect_code(0);
    assert_eq!(h.stdout.lines().count(), checks + 1, "{}", h.stdout);
    // Corrupt the history: it is set aside with a warning, and a new one starts.
    let file = s.path().join(".confgate/monitor-history.jsonl");
    std::fs::write(&file, "{ not json\n").unwrap();
    let h = s.run(&["monitor", "history"]);
    h.expect_code(0);
    assert!(
        h.stderr
            .contains("monitor-history.jsonl:1: not a history record"),
        "{}",
        h.stderr
    );
    assert!(h.stderr.contains("set aside as"), "{}", h.stderr);
    assert!(!file.exists());
    run_cg(&s, &tc, &["monitor", "-n", NS]).expect_code(0);
    assert!(file.exists());
}

#[test]
fn serve_metrics_is_scraped_by_a_real_prometheus_and_a_taken_port_is_an_error() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("api", "registry.example.com/api:1.0", 1),
        "60",
    )
    .expect_code(0);
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let k = tc.kubeconfig_path().display().to_string();
    let mut cmd = confgate(s.path());
    cmd.args([
        "serve",
        "--metrics",
        "--listen",
        &listen,
        "-n",
        NS,
        "--interval",
        "1",
        "--kubeconfig",
        &k,
    ])
    .stderr(Stdio::piped())
    .stdout(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Killed(child);
    let mut first = String::new();
    BufReader::new(stderr).read_line(&mut first).unwrap();
    assert!(first.contains(&format!("http://{listen}")), "{first}");
    let start = Instant::now();
    loop {
        if let Some((200, _)) = get(&listen, "/readyz") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(get(&listen, "/healthz").unwrap().0, 200);
    let (code, body) = get(&listen, "/metrics").unwrap();
    assert_eq!(code, 200);
    assert!(body.contains("confgate_checks_total"), "{body}");
    // The port is taken now: a second server says so and exits 2.
    let again = run_cg(
        &s,
        &tc,
        &["serve", "--metrics", "--listen", &listen, "-n", NS],
    );
    again.expect_code(2);
    assert!(again.stderr.contains("already in use"), "{}", again.stderr);
    // A real Prometheus scrapes it.
    let prom_port = free_port();
    let dir = s.mkdir("prometheus");
    std::fs::write(
        dir.join("prometheus.yml"),
        format!("global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nscrape_configs:\n  - job_name: confgate\n    static_configs: [{{targets: ['{listen}']}}]\n"),
    )
    .unwrap();
    let prom = Killed(
        Command::new(tool("prometheus"))
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let prom_addr = format!("127.0.0.1:{prom_port}");
    let start = Instant::now();
    let result = loop {
        if let Some((200, body)) = get(&prom_addr, "/api/v1/query?query=confgate_health_score") {
            let json = body
                .find('{')
                .and_then(|i| body.rfind('}').map(|j| &body[i..=j]))
                .and_then(|t| serde_json::from_str::<Value>(t).ok());
            if let Some(v) = json
                && v["data"]["result"]
                    .as_array()
                    .is_some_and(|r| !r.is_empty())
            {
                break v;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "Prometheus never got the series"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let series = &result["data"]["result"][0];
    assert_eq!(series["metric"]["namespace"], NS, "{result}");
    assert_eq!(series["metric"]["job"], "confgate", "{result}");
    let health: f64 = series["value"][1].as_str().unwrap().parse().unwrap();
    assert!((0.0..=100.0).contains(&health));
    drop(prom);
    drop(server);
}

#[test]
fn the_alert_rules_pass_promtool_check_and_their_unit_tests() {
    let root = repo_root();
    let check = Command::new(tool("promtool"))
        .args([
            "check",
            "rules",
            "monitoring/alerts.yaml",
            "examples/spotify-ai-agent/monitoring/alerts.yaml",
        ])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let test = Command::new(tool("promtool"))
        .args(["test", "rules", "alerts.test.yaml"])
        .current_dir(root.join("monitoring"))
        .output()
        .unwrap();
    assert!(
        test.status.success(),
        "{}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );
}
