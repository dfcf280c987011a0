//! Monitor benchmark: `cargo bench --bench monitor` (size with `CONFGATE_BENCH_MONITOR_NS=100`
//! namespaces of 10 Deployments of 10 replicas: 10,000 pods).
//!
//! Against the test API server (in this process; its controller creates the ReplicaSets and
//! pods and makes them ready): the time of one monitoring pass (`confgate monitor
//! --all-namespaces --export-metrics`, the whole process), then `confgate serve --metrics`
//! checking every 0.5 s: the `/metrics` scrape time at that size, and its RSS over a
//! compressed hour of checks (the same number of passes an hour of `--interval 30` makes:
//! 120), sampled to show whether it grows.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use confgate_testcluster::{Options, TestCluster};

fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("{e}");
    std::process::exit(2);
}

fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    Some((text.split(' ').nth(1)?.parse().ok()?, text))
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let namespaces: usize = std::env::var("CONFGATE_BENCH_MONITOR_NS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let tc = TestCluster::start(Options::default()).unwrap_or_else(|e| fail(format!("{e:#}")));
    let mut yaml = String::new();
    for n in 0..namespaces {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: team-{n}}}\n"
        ));
        for d in 0..10 {
            yaml.push_str(&format!(
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{d}, namespace: team-{n}, labels: {{app: app-{d}}}}}\nspec:\n  replicas: 10\n  selector: {{matchLabels: {{app: app-{d}}}}}\n  template:\n    metadata: {{labels: {{app: app-{d}}}}}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/app-{d}:1.0\n        resources: {{limits: {{cpu: 200m, memory: 128Mi}}, requests: {{cpu: 100m, memory: 64Mi}}}}\n        securityContext: {{allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: {{drop: [ALL]}}}}\n"
            ));
        }
    }
    tc.load_yaml(&yaml)
        .unwrap_or_else(|e| fail(format!("{e:#}")));
    let want = namespaces * 100;
    let start = Instant::now();
    loop {
        let ready = tc
            .objects()
            .iter()
            .filter(|o| {
                o.get("kind").and_then(|k| k.as_str()) == Some("Pod")
                    && o.pointer("/status/phase").and_then(|p| p.as_str()) == Some("Running")
            })
            .count();
        if ready >= want {
            break;
        }
        if start.elapsed() > Duration::from_secs(600) {
            fail(format!("only {ready} of {want} pods running after 10 min"));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    // The controller still writes pod conditions and Events for a while after the last pod
    // runs; the passes are measured once it is quiet, not beside it.
    if !tc.settle(Duration::from_secs(2), Duration::from_secs(300)) {
        eprintln!("the test API server's controller did not settle in 5 min");
    }
    println!(
        "monitor benchmark: {namespaces} namespaces, {} Deployments, {want} pods (ready in {:.1} s)",
        namespaces * 10,
        start.elapsed().as_secs_f64()
    );
    let k = tc.kubeconfig_path().to_path_buf();
    let bin = env!("CARGO_BIN_EXE_confgate");
    let dir = std::env::temp_dir().join(format!("confgate-bench-monitor-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    for i in 0..3 {
        let t = Instant::now();
        let out = Command::new(bin)
            .current_dir(&dir)
            .args([
                "monitor",
                "--all-namespaces",
                "--export-metrics",
                "--format",
                "prometheus",
                "-o",
                "m.prom",
                "--kubeconfig",
            ])
            .arg(&k)
            .env_remove("CONFGATE_CONFIG")
            .env("CONFGATE_LOG", "confgate=debug")
            .output()
            .unwrap_or_else(|e| fail(e));
        let size = std::fs::metadata(dir.join("m.prom"))
            .map(|m| m.len())
            .unwrap_or(0);
        println!(
            "  one pass #{} (confgate monitor -A --export-metrics, whole process): {:.2} s, exit {}, {} KiB of metrics",
            i + 1,
            t.elapsed().as_secs_f64(),
            out.status.code().unwrap_or(-1),
            size / 1024
        );
        // Where the time went (the pass's own debug lines).
        for l in String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.contains("scanner ready") || l.contains("monitoring pass"))
        {
            println!("      {}", l.trim());
        }
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| fail(e));
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(bin)
        .current_dir(&dir)
        .args([
            "serve",
            "--metrics",
            "--all-namespaces",
            "--interval",
            "0.5",
            "--listen",
            &listen,
            "--kubeconfig",
        ])
        .arg(&k)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| fail(e));
    let pid = child.id();
    let start = Instant::now();
    while get(&listen, "/readyz").map(|r| r.0) != Some(200) {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            fail("serve --metrics never became ready");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..20 {
        let t = Instant::now();
        if let Some((_, body)) = get(&listen, "/metrics") {
            bytes = body.len();
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "  /metrics scrape: median {:.1} ms, max {:.1} ms ({} KiB)",
        times[times.len() / 2],
        times[times.len() - 1],
        bytes / 1024
    );
    // 120 passes: an hour at --interval 30, compressed.
    let mut samples = Vec::new();
    let t0 = Instant::now();
    let mut checks = 0;
    while checks < 120 && t0.elapsed() < Duration::from_secs(900) {
        std::thread::sleep(Duration::from_secs(5));
        samples.push(rss_kib(pid) / 1024);
        checks = get(&listen, "/metrics")
            .and_then(|(_, body)| {
                body.lines()
                    .find(|l| l.starts_with("confgate_checks_total "))
                    .and_then(|l| l.split(' ').nth(1))
                    .and_then(|v| v.trim().parse().ok())
            })
            .unwrap_or(checks);
    }
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "  serve --metrics RSS over {checks} passes in {:.0} s (MiB, sampled every 5 s): {:?}",
        t0.elapsed().as_secs_f64(),
        samples
    );
    let _ = std::fs::remove_dir_all(&dir);
}
