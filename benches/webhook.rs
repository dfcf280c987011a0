//! Admission webhook benchmark: `cargo bench --bench webhook` (needs `wrk`:
//! `apt-get install wrk`).
//!
//! Starts the release `confgate serve --webhook --metrics` on loopback with a fresh
//! self-signed certificate, and drives `/validate` with `wrk` (a real HTTP load generator,
//! TLS with keep-alive) posting the AdmissionReview of a typical Deployment (all built-in
//! rules run on it; it has findings below the gate, so every answer carries warnings).
//! Connections (`CONFGATE_BENCH_WEBHOOK_CONNECTIONS`, default 32), duration
//! (`CONFGATE_BENCH_WEBHOOK_SECONDS`, default 20) and the server's RSS, sampled every
//! 100 ms, are reported with throughput, p50/p99 latency and errors against the floors
//! (≥ 1,000 reviews/s, p99 < 25 ms, RSS < 200 MB, no errors). wrk runs on the same two
//! cores as the server: the figures include the load generator's own cost.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("{e}");
    std::process::exit(2);
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

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn review() -> serde_json::Value {
    let deployment = serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "checkout",
            "namespace": "shop",
            "labels": {"app.kubernetes.io/name": "checkout", "app.kubernetes.io/part-of": "shop"},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "checkout"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "checkout"}},
                "spec": {
                    "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "app",
                        "image": "registry.example.com/shop/checkout:2.4.1",
                        "ports": [{"containerPort": 8080, "name": "http"}],
                        "env": [{"name": "LOG_LEVEL", "value": "info"},
                                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "checkout-db", "key": "password"}}}],
                        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
                        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
                        "livenessProbe": {"httpGet": {"path": "/live", "port": "http"}},
                        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                            "capabilities": {"drop": ["ALL"]}},
                    }],
                },
            },
        },
    });
    serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "0df28fbd-5f5f-11e8-bc74-36e6bb280816",
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "name": "checkout",
            "namespace": "shop",
            "operation": "CREATE",
            "userInfo": {"username": "ci-deployer", "groups": ["system:authenticated"]},
            "object": deployment,
            "oldObject": null,
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        },
    })
}

/// wrk's latency figures ("50%    1.23ms") in milliseconds.
fn millis(v: &str) -> Option<f64> {
    let (num, unit) = v
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|i| v.split_at(i))?;
    let n: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    })
}

fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        fail("the webhook benchmark needs wrk (apt-get install wrk)");
    }
    let connections = env_num("CONFGATE_BENCH_WEBHOOK_CONNECTIONS", 32);
    let seconds = env_num("CONFGATE_BENCH_WEBHOOK_SECONDS", 20);
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail(e));
    let pki =
        confgate::webhook::manifests::self_signed("bench", "bench").unwrap_or_else(|e| fail(e));
    let w = |name: &str, body: &[u8]| {
        std::fs::write(dir.path().join(name), body).unwrap_or_else(|e| fail(e))
    };
    w("tls.crt", pki.cert_pem.as_bytes());
    w("tls.key", pki.key_pem.as_bytes());
    let body = serde_json::to_vec(&review()).unwrap_or_else(|e| fail(e));
    w("review.json", &body);
    w(
        "post.lua",
        br#"wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open("review.json", "rb"))
wrk.body = f:read("*a")
f:close()
"#,
    );

    let mut server = Command::new(env!("CARGO_BIN_EXE_confgate"))
        .current_dir(dir.path())
        .args(["serve", "--webhook", "--metrics", "--listen", "127.0.0.1:0"])
        .args(["--tls-cert", "tls.crt", "--tls-key", "tls.key"])
        .env_remove("KUBECONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| fail(e));
    let pid = server.id();
    let mut lines = BufReader::new(server.stderr.take().unwrap_or_else(|| fail("no stderr")));
    let mut addr = None;
    let mut line = String::new();
    while lines.read_line(&mut line).unwrap_or(0) > 0 {
        if let Some(rest) = line.split("https://").nth(1) {
            addr = rest.split('/').next().map(str::to_string);
            break;
        }
        line.clear();
    }
    let Some(addr) = addr else {
        let _ = server.kill();
        fail(format!("the webhook did not start: {line}"));
    };
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.lines() {});
    let idle = rss_kib(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(idle));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    // A short warm-up (connections, allocator, policy caches), then the measured run.
    let run = |secs: u64| {
        Command::new("wrk")
            .current_dir(dir.path())
            .args([
                "-t",
                "2",
                "-c",
                &connections.to_string(),
                "-d",
                &format!("{secs}s"),
            ])
            .args(["--latency", "--timeout", "5s", "-s", "post.lua"])
            .arg(format!("https://{addr}/validate"))
            .output()
            .unwrap_or_else(|e| fail(e))
    };
    let _ = run(2);
    let out = run(seconds);
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let _ = server.kill();
    let _ = server.wait();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        fail(format!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().last().map(str::to_string))
    };
    let rps: f64 = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let p50 = field("50%").and_then(|v| millis(&v)).unwrap_or(f64::NAN);
    let p99 = field("99%").and_then(|v| millis(&v)).unwrap_or(f64::NAN);
    let non_2xx: u64 = text
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let socket_errors = text.lines().find(|l| l.contains("Socket errors"));
    let peak_mb = peak.load(Ordering::Relaxed) as f64 / 1024.0;
    let ok = |b: bool| if b { "ok" } else { "BELOW FLOOR" };
    println!("{}", text.trim_end());
    println!();
    println!(
        "webhook bench: {connections} TLS keep-alive connections for {seconds} s, review of a {} byte Deployment",
        body.len()
    );
    println!(
        "  throughput  {rps:>9.0} reviews/s   (floor >= 1000: {})",
        ok(rps >= 1000.0)
    );
    println!("  latency p50 {p50:>9.2} ms");
    println!(
        "  latency p99 {p99:>9.2} ms          (floor < 25 ms: {})",
        ok(p99 < 25.0)
    );
    println!(
        "  RSS         {peak_mb:>9.1} MB peak, {:.1} MB idle (floor < 200 MB: {})",
        idle as f64 / 1024.0,
        ok(peak_mb < 200.0)
    );
    println!(
        "  errors      {non_2xx} non-2xx, {} ({})",
        socket_errors.map(str::trim).unwrap_or("no socket errors"),
        ok(non_2xx == 0 && socket_errors.is_none())
    );
}
