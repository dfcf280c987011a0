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
use regex::Regex;
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

/// Starts `confgate monitor -n NS --watch ARGS --kubeconfig …` in the background and
/// returns once its first check is in the history.
fn watch_in_background(
    s: &Scratch,
    tc: &TestCluster,
    args: &[&str],
) -> std::thread::JoinHandle<Run> {
    let k = tc.kubeconfig_path().display().to_string();
    let dir = s.path().to_path_buf();
    let mut all: Vec<String> = ["monitor", "-n", NS, "--watch"]
        .iter()
        .chain(args)
        .map(|a| a.to_string())
        .collect();
    all.extend(["--kubeconfig".to_string(), k]);
    let watch = std::thread::spawn(move || {
        let args: Vec<&str> = all.iter().map(String::as_str).collect();
        run_in(&dir, &args)
    });
    let history = s.path().join(".confgate/monitor-history.jsonl");
    let start = Instant::now();
    while !history.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "no first check");
        std::thread::sleep(Duration::from_millis(50));
    }
    watch
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
            .contains(&format!("alert firing (critical): namespace {NS}: health")),
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
    let watch = watch_in_background(
        &s,
        &tc,
        &[
            "--interval",
            "1",
            "--duration",
            "12",
            "--request-timeout",
            "2",
        ],
    );
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
            .contains("alert firing (critical): cluster testcluster: the cluster cannot be read"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(
            "alert resolved (critical): cluster testcluster: the cluster can be read again"
        ),
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

/// `--watch` reads through watch streams: the pods are listed once and then followed,
/// however many checks run, and a change made during the watch shows in a later check.
#[test]
fn watch_mode_follows_watch_streams_instead_of_listing_every_check() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("api", "registry.example.com/api:1.0", 1),
        "60",
    )
    .expect_code(0);
    let pods = format!("/api/v1/namespaces/{NS}/pods");
    let before = tc.request_count(&pods);
    let watch = watch_in_background(&s, &tc, &["--interval", "0.5", "--duration", "6"]);
    // A second workload appears while the monitor watches (its pods made by the controller).
    let mut extra = workload("extra", "registry.example.com/extra:1.0", 2);
    extra = extra.replacen("metadata:\n", &format!("metadata:\n  namespace: {NS}\n"), 1);
    tc.load_yaml(&extra).unwrap();
    let r = watch.join().unwrap();
    r.expect_code(0);
    let checks = r.stdout.matches("namespaces checked").count();
    assert!(checks >= 6, "{checks} checks:\n{}", r.stdout);
    // One list and the watch it starts (re-opened at most once in 6 s), not a list a check.
    let reads = tc.request_count(&pods) - before;
    assert!(
        (1..=3).contains(&reads),
        "{reads} pod reads for {checks} checks"
    );
    let last = r
        .stdout
        .lines()
        .rfind(|l| l.starts_with(NS))
        .unwrap_or_default()
        .to_string();
    assert!(
        last.contains("/3 ready"),
        "last check: {last}\n{}",
        r.stdout
    );
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

/// A local HTTP receiver standing in for Slack, Teams, webhooks and Alertmanager's webhook
/// receiver: it records (path, JSON body) and answers 200.
struct Receiver {
    addr: String,
    got: std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let g = got.clone();
        std::thread::spawn(move || {
            for stream in l.incoming().flatten() {
                let g = g.clone();
                std::thread::spawn(move || {
                    let mut r = BufReader::new(stream);
                    let mut line = String::new();
                    if r.read_line(&mut line).is_err() {
                        return;
                    }
                    let path = line.split(' ').nth(1).unwrap_or("").to_string();
                    let mut len = 0usize;
                    loop {
                        let mut h = String::new();
                        if r.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                            break;
                        }
                        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; len];
                    let _ = r.read_exact(&mut body);
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    g.lock().unwrap().push((path, v));
                    let mut s = r.into_inner();
                    let _ = s.write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    );
                });
            }
        });
        Receiver { addr, got }
    }

    fn at(&self, path: &str) -> Vec<Value> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn wait_for(&self, path: &str, secs: u64) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let v = self.at(path);
            if !v.is_empty() || start.elapsed() > Duration::from_secs(secs) {
                return v;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A real Alertmanager in `dir`, routing every alert to `rx`'s `/am` (resolved ones too),
/// at once; with its port.
fn alertmanager(dir: &std::path::Path, rx: &Receiver) -> (Killed, u16) {
    let port = free_port();
    std::fs::write(
        dir.join("alertmanager.yml"),
        format!("route: {{receiver: local, group_by: [alertname, namespace], group_wait: 0s, group_interval: 1s, repeat_interval: 1h}}\nreceivers:\n  - name: local\n    webhook_configs: [{{url: 'http://{}/am', send_resolved: true}}]\n", rx.addr),
    )
    .unwrap();
    let child = Command::new(tool("prometheus-alertmanager"))
        .arg(format!(
            "--config.file={}",
            dir.join("alertmanager.yml").display()
        ))
        .arg(format!("--storage.path={}", dir.join("am-data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (Killed(child), port)
}

#[test]
fn alerts_reach_slack_teams_webhooks_and_a_real_alertmanager_with_escalation() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("api", "registry.example.com/api:crashloop", 1),
        "3",
    )
    .expect_code(1);
    let rx = Receiver::start();
    // A real Alertmanager, routing everything to the receiver's /am.
    let (_am, am_port) = alertmanager(&s.mkdir("alertmanager"), &rx);
    let am_addr = format!("127.0.0.1:{am_port}");
    let start = Instant::now();
    while get(&am_addr, "/-/ready").map(|r| r.0) != Some(200) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "Alertmanager never ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let dead = free_port();
    s.write(
        "confgate.toml",
        format!(
            "[monitor]\nalert-threshold = 80\n[monitor.alerts]\ncritical-threshold = 50\nescalate-after = 0\ntimeout = 1\n\
             [[monitor.alerts.routes]]\nkind = \"slack\"\nurl-env = \"TEST_SLACK_URL\"\n\
             [[monitor.alerts.routes]]\nkind = \"teams\"\nurl = \"http://{rx}/teams\"\n\
             [[monitor.alerts.routes]]\nkind = \"webhook\"\nurl = \"http://{rx}/oncall\"\nseverity = \"critical\"\nescalate = true\n\
             [[monitor.alerts.routes]]\nkind = \"alertmanager\"\nurl = \"http://{am_addr}\"\n\
             [[monitor.alerts.routes]]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{dead}/down\"\n",
            rx = rx.addr
        ),
    );
    let k = tc.kubeconfig_path().display().to_string();
    let mut cmd = confgate(s.path());
    cmd.args([
        "monitor",
        "-n",
        NS,
        "--watch",
        "--interval",
        "1",
        "--duration",
        "4",
        "--kubeconfig",
        &k,
    ])
    .env(
        "TEST_SLACK_URL",
        format!("http://{}/slack/T000/B000/secret-token-x", rx.addr),
    );
    let r = run(&mut cmd);
    r.expect_code(1);
    // Slack: text + blocks, as its incoming webhooks document.
    let slack = rx.at("/slack/T000/B000/secret-token-x");
    assert_eq!(slack.len(), 1, "deduplicated: one notification, {slack:?}");
    assert!(
        slack[0]["text"]
            .as_str()
            .unwrap()
            .starts_with(&format!("[CRITICAL] FIRING namespace {NS}"))
    );
    assert_eq!(slack[0]["blocks"][0]["type"], "header");
    // Teams: an Adaptive Card message.
    let teams = rx.at("/teams");
    assert_eq!(
        teams[0]["attachments"][0]["content"]["type"],
        "AdaptiveCard"
    );
    // The on-call route gets the escalation only.
    let oncall = rx.at("/oncall");
    assert_eq!(oncall.len(), 1, "{oncall:?}");
    assert_eq!(oncall[0]["notice"]["escalation"], true);
    // The route that is down is reported, without its URL; the monitor ran to the end.
    assert!(
        r.stderr
            .contains("alert delivery to webhook (127.0.0.1) failed after 3 tries"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("secret-token-x") && !r.stdout.contains("secret-token-x"));
    assert!(
        r.stdout.matches("namespaces checked").count() >= 2,
        "{}",
        r.stdout
    );
    // Alertmanager routed confgate's alert to its webhook receiver.
    let am = rx.wait_for("/am", 30);
    assert!(!am.is_empty(), "Alertmanager delivered nothing");
    let alert = &am[0]["alerts"][0];
    assert_eq!(alert["labels"]["alertname"], "ConfgateHealthLow", "{am:?}");
    assert_eq!(alert["labels"]["namespace"], NS);
    assert_eq!(alert["labels"]["severity"], "critical");
}

#[test]
fn prometheus_fires_the_shipped_rules_into_a_real_alertmanager() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("api", "registry.example.com/api:crashloop", 1),
        "3",
    )
    .expect_code(1);
    let rx = Receiver::start();
    let dir = s.mkdir("stack");
    let (_am, am_port) = alertmanager(&dir, &rx);
    // The shipped rules, with their `for:` shortened so that the test does not wait 5 min.
    let rules = std::fs::read_to_string(repo_root().join("monitoring/alerts.yaml")).unwrap();
    let rules = Regex::new(r"for: \d+m")
        .unwrap()
        .replace_all(&rules, "for: 0s")
        .into_owned();
    std::fs::write(dir.join("alerts.yaml"), rules).unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
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
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let _server = Killed(cmd.spawn().unwrap());
    std::fs::write(
        dir.join("prometheus.yml"),
        format!("global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: [alerts.yaml]\nalerting:\n  alertmanagers: [{{static_configs: [{{targets: ['127.0.0.1:{am_port}']}}]}}]\nscrape_configs:\n  - job_name: confgate\n    static_configs: [{{targets: ['{listen}']}}]\n"),
    )
    .unwrap();
    let _prom = Killed(
        Command::new(tool("prometheus"))
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{}", free_port()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    let fired = loop {
        let names: Vec<String> = rx
            .at("/am")
            .iter()
            .flat_map(|v| v["alerts"].as_array().cloned().unwrap_or_default())
            .filter_map(|a| a["labels"]["alertname"].as_str().map(str::to_string))
            .collect();
        if names.iter().any(|n| n == "ConfgateLowHealthScore") {
            break names;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no alert reached the receiver: {names:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(
        fired.iter().any(|n| n == "ConfgateLowHealthScore"),
        "{fired:?}"
    );
}

#[test]
fn a_slow_alert_endpoint_costs_its_timeout_and_the_monitor_finishes() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("api", "registry.example.com/api:crashloop", 1),
        "3",
    )
    .expect_code(1);
    // Answers every request only after 30 s.
    let slow = common::objstore::FaultyHttp::slow(Duration::from_secs(30));
    s.write(
        "confgate.toml",
        format!(
            "[monitor]\nalert-threshold = 80\n[monitor.alerts]\ntimeout = 1\n\
             [[monitor.alerts.routes]]\nkind = \"webhook\"\nurl = \"{}/hook\"\n",
            slow.endpoint()
        ),
    );
    let started = Instant::now();
    let r = run_cg(&s, &tc, &["monitor", "-n", NS, "--one-shot"]);
    r.expect_code(1);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "three tries of one second each, not 30 s: {:?}",
        started.elapsed()
    );
    assert!(slow.requests() >= 1, "the endpoint was tried");
    assert!(
        r.stderr
            .contains("alert delivery to webhook (127.0.0.1) failed after 3 tries"),
        "{}",
        r.stderr
    );
}

/// A history of `ns` with one check a minute ending now: healths in order, `None` unknown.
fn write_history(dir: &std::path::Path, ns: &str, healths: &[Option<u32>]) {
    std::fs::create_dir_all(dir).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut text = String::new();
    for (i, h) in healths.iter().enumerate() {
        let t = now - 60 * (healths.len() - i) as i64;
        text.push_str(
            &serde_json::json!({"t": t, "context": "test", "namespace": ns, "health": h,
                "pods_running": 1, "pods_not_running": 0, "restarts": 0, "findings": 0})
            .to_string(),
        );
        text.push('\n');
    }
    std::fs::write(dir.join("monitor-history.jsonl"), text).unwrap();
}

#[test]
fn history_as_html_is_a_self_contained_svg_chart_per_namespace_with_the_threshold() {
    let s = Scratch::new();
    s.write("confgate.toml", "[monitor]\nalert-threshold = 70\n");
    write_history(
        &s.path().join(".confgate"),
        "shop",
        &[Some(100), Some(90), None, Some(40), Some(95)],
    );
    let r = s.run(&[
        "monitor",
        "history",
        "--format",
        "html",
        "--output",
        "chart.html",
    ]);
    r.expect_code(0);
    assert!(
        r.stdout.is_empty(),
        "written to --output only: {}",
        r.stdout
    );
    let html = std::fs::read_to_string(s.path().join("chart.html")).unwrap();
    assert!(html.contains("<svg"), "{html}");
    assert!(html.contains(r#"data-namespace="shop""#), "{html}");
    // The unknown check breaks the line in two; it is marked on the axis.
    assert_eq!(
        html.matches(r#"<polyline class="health""#).count(),
        2,
        "{html}"
    );
    assert_eq!(
        html.matches(r#"<circle class="unknown""#).count(),
        1,
        "{html}"
    );
    // The threshold line at 70: y = 12 + 30 % of 180.
    assert!(
        html.contains(r#"<line class="threshold" x1="44" x2="708" y1="66" y2="66"/>"#),
        "{html}"
    );
    assert!(html.contains("lowest 40, highest 100"), "{html}");
    for remote in ["http://", "https://", "<script", "<link"] {
        assert!(!html.contains(remote), "{remote} in {html}");
    }
    // The other formats still go to stdout; a bad --format is a usage error.
    let r = s.run(&["monitor", "history", "--format", "json"]);
    r.expect_code(0);
    assert_eq!(r.json().as_array().unwrap().len(), 5);
    s.run(&["monitor", "history", "--format", "prometheus"])
        .expect_code(2);
}
