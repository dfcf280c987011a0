//! Live-scan benchmark: `cargo bench --bench cluster` (sizes with
//! `CONFGATE_BENCH_SIZES=10000,50000`, default both).
//!
//! The test API server (in this process) holds N objects across N/100 namespaces:
//! Deployments (whose ReplicaSets and Pods its controller then creates), standalone Pods,
//! Services, ConfigMaps, Roles and RoleBindings. The `confgate` binary, a child process,
//! then runs `scan --cluster` with all built-in rules and SARIF written; its wall time and
//! peak RSS (VmHWM, polled from /proc) are reported, and `cluster export` alone gives the
//! time of listing and rendering without the scan.

use std::time::{Duration, Instant};

use confgate_testcluster::{Options, TestCluster};

mod common;
use common::{confgate, measure, objects};

fn main() {
    let sizes: Vec<usize> = std::env::var("CONFGATE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 50_000]);
    println!(
        "live scan benchmark ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut baseline: Option<f64> = None;
    for n in sizes {
        let tc = match TestCluster::start(Options::default()) {
            Ok(tc) => tc,
            Err(e) => {
                eprintln!("cannot start the test API server: {e:#}");
                std::process::exit(2);
            }
        };
        let t = Instant::now();
        if let Err(e) = tc.load_yaml(&objects(n)) {
            eprintln!("cannot load objects: {e:#}");
            std::process::exit(2);
        }
        // Let the controller create the Deployments' ReplicaSets and Pods (and make them
        // ready) first: the scan is measured alone, not beside the controller's work.
        if !tc.settle(Duration::from_secs(2), Duration::from_secs(600)) {
            eprintln!("the test API server's controller did not settle in 10 min");
        }
        let stored = tc.objects().len();
        println!(
            "{n} objects loaded ({stored} stored with controller-made ones) in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let k = tc.kubeconfig_path().to_path_buf();
        let out = std::env::temp_dir().join(format!("confgate-bench-{n}.sarif"));
        let out_s = out.display().to_string();
        let (list, list_rss, _) =
            measure(&mut confgate(&k, &["cluster", "export", "-o", "/dev/null"]));
        let (scan, rss, code) = measure(&mut confgate(
            &k,
            &["scan", "--cluster", "--format", "sarif", "--output", &out_s],
        ));
        let _ = std::fs::remove_file(&out);
        let ratio = baseline.map(|b| scan / b);
        println!(
            "  list + render (cluster export): {list:.2} s, {list_rss:.0} MiB peak\n  scan --cluster, all rules, SARIF: {scan:.2} s wall, {rss:.0} MiB peak RSS, exit {code}{}",
            ratio
                .map(|r| format!(", {r:.1}x the first size"))
                .unwrap_or_default()
        );
        if baseline.is_none() {
            baseline = Some(scan);
        }
    }
}
