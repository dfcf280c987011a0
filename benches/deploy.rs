//! Deploy benchmark: `cargo bench --bench deploy` (size with `CONFGATE_BENCH_DEPLOY=1000`).
//!
//! A set of N objects (Deployments, Services, ConfigMaps, ServiceAccounts, one namespace) is
//! deployed by the `confgate` binary to the test API server (in this process, its controller
//! making rollouts progress at once): first the dry run (gate, permission pre-flight,
//! server-side dry run and diff of every object), then `--apply --wait-for-rollout` (the same,
//! the apply, the revision record and the wait), then the same apply again (nothing changes).

use std::process::Command;
use std::time::Instant;

use confgate_testcluster::{Options, TestCluster};

fn set(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let name = format!("app-{}", i / 4);
        let doc = match i % 4 {
            0 => format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, labels: {{app: {name}}}}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      serviceAccountName: {name}\n      containers:\n      - name: app\n        image: registry.example.com/{name}:1.0\n        resources: {{limits: {{cpu: 200m, memory: 128Mi}}, requests: {{cpu: 100m, memory: 64Mi}}}}\n        securityContext: {{allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: {{drop: [ALL]}}}}\n"
            ),
            1 => format!(
                "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec:\n  selector: {{app: {name}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n"
            ),
            2 => format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{LOG_LEVEL: info, REGION: eu-west-1}}\n"
            ),
            _ => format!(
                "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: {name}}}\nautomountServiceAccountToken: false\n"
            ),
        };
        out.push_str("---\n");
        out.push_str(&doc);
    }
    out
}

fn run(dir: &std::path::Path, kubeconfig: &std::path::Path, extra: &[&str]) -> (f64, i32, String) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_confgate"))
        .current_dir(dir)
        .args([
            "deploy",
            "set",
            "--set",
            "bench",
            "-n",
            "bench",
            "--fail-on",
            "critical",
        ])
        .args(extra)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .env_remove("CONFGATE_CONFIG")
        .output();
    let wall = t.elapsed().as_secs_f64();
    match out {
        Ok(o) => (
            wall,
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| {
                    l.starts_with("applied")
                        || l.starts_with("would apply")
                        || l.starts_with("rollout")
                        || l.starts_with("error")
                })
                .collect::<Vec<_>>()
                .join(" | "),
        ),
        Err(e) => (wall, -1, e.to_string()),
    }
}

fn main() {
    let n: usize = std::env::var("CONFGATE_BENCH_DEPLOY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let tc = match TestCluster::start(Options::default()) {
        Ok(tc) => tc,
        Err(e) => {
            eprintln!("cannot start the test API server: {e:#}");
            std::process::exit(2);
        }
    };
    if let Err(e) = tc.load_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n") {
        eprintln!("{e:#}");
        std::process::exit(2);
    }
    let dir = std::env::temp_dir().join(format!("confgate-bench-deploy-{}", std::process::id()));
    let _ = std::fs::create_dir_all(dir.join("set"));
    if let Err(e) = std::fs::write(dir.join("set/set.yaml"), set(n)) {
        eprintln!("{e}");
        std::process::exit(2);
    }
    let k = tc.kubeconfig_path().to_path_buf();
    println!("deploy benchmark: {n} objects");
    let (t, code, what) = run(&dir, &k, &[]);
    println!(
        "  dry run (gate + pre-flight + server-side dry run + diff): {t:.2} s, exit {code}: {what}"
    );
    let (t, code, what) = run(
        &dir,
        &k,
        &["--apply", "--wait-for-rollout", "--timeout", "600"],
    );
    println!(
        "  --apply --wait-for-rollout (+ apply, revision, wait): {t:.2} s, exit {code}: {what}"
    );
    let (t, code, what) = run(&dir, &k, &["--apply"]);
    println!("  second --apply (nothing changes): {t:.2} s, exit {code}: {what}");
    let _ = std::fs::remove_dir_all(&dir);
}
