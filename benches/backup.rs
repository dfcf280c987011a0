//! Backup benchmark: `cargo bench --bench backup` (size with `CONFGATE_BENCH_BACKUP=10000`).
//!
//! The test API server (in this process) holds N objects across N/100 namespaces (the
//! live-scan benchmark's mix). The `confgate` binary, a child process, then runs:
//! a full backup of every namespace to the local store, `backup verify` (every pack
//! fetched, its SHA-256 and GCM tag checked, every object's hash checked), an incremental
//! after 1% of the objects changed, and — when moto's S3 server is installed
//! (`.ci/install-object-stores`) — the same full backup to S3. Wall time and peak RSS
//! (VmHWM) of each run are reported, with the compression ratio.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use confgate_testcluster::{Options, TestCluster};

mod common;
use common::{confgate, measure, objects};

fn fail(msg: String) -> ! {
    eprintln!("backup bench: {msg}");
    std::process::exit(2)
}

fn with_env(mut c: Command, dir: &Path, key: &Path) -> Command {
    c.env("CONFGATE_BACKUP_KEY_FILE", key)
        .env("CONFGATE_STATE_DIR", dir.join("state"))
        .env("AWS_METADATA_ENDPOINT", "http://127.0.0.1:9");
    c
}

fn json_of(mut c: Command) -> serde_json::Value {
    let out = c.output().unwrap_or_else(|e| fail(format!("{e}")));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        fail(format!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    })
}

fn moto() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let cached = Path::new(&home).join(".cache/confgate-tools/bin/moto_server");
    if cached.is_file() {
        return Some(cached);
    }
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join("moto_server"))
        .find(|p| p.is_file())
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts moto's S3 server and creates a bucket; (its guard, its port).
fn start_s3() -> Option<(Killed, u16)> {
    let bin = moto()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let guard = Killed(child);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(
                b"PUT /bench HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            let mut reply = String::new();
            let _ = s.read_to_string(&mut reply);
            if reply.starts_with("HTTP/1.1 200") {
                return Some((guard, port));
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

fn main() {
    let n: usize = std::env::var("CONFGATE_BENCH_BACKUP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    println!(
        "backup benchmark ({} cores, {n} objects)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let tc = TestCluster::start(Options::default()).unwrap_or_else(|e| fail(format!("{e:#}")));
    tc.load_yaml(&objects(n))
        .unwrap_or_else(|e| fail(format!("{e:#}")));
    std::thread::sleep(Duration::from_secs(3));
    let k = tc.kubeconfig_path().to_path_buf();
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail(format!("{e}")));
    let key = dir.path().join("key");
    let code = with_env(
        confgate(
            &k,
            &[
                "backup",
                "keygen",
                "--key-output",
                &key.display().to_string(),
            ],
        ),
        dir.path(),
        &key,
    )
    .status()
    .map(|s| s.code().unwrap_or(-1))
    .unwrap_or(-1);
    if code != 0 {
        fail("keygen failed".into());
    }
    let run = |args: &[&str], extra: &[(&str, String)]| {
        let mut c = with_env(confgate(&k, args), dir.path(), &key);
        for (a, b) in extra {
            c.env(a, b);
        }
        measure(&mut c)
    };
    let (full, full_rss, c1) = run(&["backup", "create", "-A"], &[]);
    let shown = json_of(with_env(
        confgate(&k, &["backup", "show", "latest", "-f", "json"]),
        dir.path(),
        &key,
    ));
    let full_id = shown["id"].as_str().unwrap_or("").to_string();
    let raw = shown["raw_bytes"].as_u64().unwrap_or(0);
    let compressed = shown["compressed_bytes"].as_u64().unwrap_or(0);
    let stored = shown["stored_bytes"].as_u64().unwrap_or(0);
    println!(
        "  full backup to the local store: {full:.2} s wall, {full_rss:.0} MiB peak RSS, exit {c1}: {} objects, {:.1} MiB JSON -> {:.2} MiB gzip ({:.1}x), {:.2} MiB stored",
        shown["objects"],
        raw as f64 / 1048576.0,
        compressed as f64 / 1048576.0,
        raw as f64 / compressed.max(1) as f64,
        stored as f64 / 1048576.0
    );
    let (verify, verify_rss, c2) = run(&["backup", "verify", &full_id], &[]);
    println!(
        "  verify (every pack and object checked): {verify:.2} s, {verify_rss:.0} MiB, exit {c2}"
    );
    // 1% of the objects change.
    let mut changes = String::new();
    for i in 0..n / 100 {
        let ns = i % n.div_ceil(100);
        changes.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: changed-{i}, namespace: ns-{ns}}}\ndata: {{round: '2'}}\n"
        ));
    }
    tc.load_yaml(&changes)
        .unwrap_or_else(|e| fail(format!("{e:#}")));
    std::thread::sleep(Duration::from_millis(1100));
    let (inc, inc_rss, c3) = run(&["backup", "incremental", &full_id, "-A"], &[]);
    let shown = json_of(with_env(
        confgate(&k, &["backup", "show", "latest", "-f", "json"]),
        dir.path(),
        &key,
    ));
    println!(
        "  incremental after 1% changed: {inc:.2} s ({:.0}% of the full), {inc_rss:.0} MiB, exit {c3}: {} new or changed, {} referenced",
        100.0 * inc / full.max(0.001),
        shown["changed"],
        shown["unchanged"]
    );
    match start_s3() {
        Some((_guard, port)) => {
            let env = [
                ("CONFGATE_BACKUP_STORE", "s3://bench/backups".to_string()),
                ("AWS_ACCESS_KEY_ID", "testing".to_string()),
                ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
                ("AWS_DEFAULT_REGION", "us-east-1".to_string()),
                ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
                ("AWS_ALLOW_HTTP", "true".to_string()),
            ];
            let (s3, s3_rss, c4) = run(&["backup", "create", "-A"], &env);
            println!("  full backup to S3 (moto): {s3:.2} s, {s3_rss:.0} MiB, exit {c4}");
            let (v, v_rss, c5) = run(&["backup", "verify", "latest"], &env);
            println!("  verify from S3: {v:.2} s, {v_rss:.0} MiB, exit {c5}");
        }
        None => println!("  S3: moto_server not installed (.ci/install-object-stores), skipped"),
    }
}
