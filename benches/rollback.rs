//! Rollback benchmark: `cargo bench --bench rollback` (size with
//! `CONFGATE_BENCH_ROLLBACK=1000`).
//!
//! Against the test API server (in this process; its controller makes rollouts progress):
//! 1. the bundled example set (`examples/spotify-ai-agent/base`): revision 1 deployed,
//!    revision 2 with new image tags deployed, then the time from `rollback --to-previous
//!    --confirm` to healthy (the command returns once the rollout is done and the health
//!    reached the threshold);
//! 2. a set of N objects (Deployments, Services, ConfigMaps, ServiceAccounts): the impact
//!    analysis of a rollback to the previous revision (both revisions scanned, the policy
//!    delta, the server-side dry run and diff of every object, the risks).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use confgate_testcluster::{Options, TestCluster};

fn set(n: usize, tag: &str) -> String {
    let mut out = String::new();
    for i in 0..n {
        let name = format!("app-{}", i / 4);
        let doc = match i % 4 {
            0 => format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, labels: {{app: {name}}}}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      serviceAccountName: {name}\n      containers:\n      - name: app\n        image: registry.example.com/{name}:{tag}\n        resources: {{limits: {{cpu: 200m, memory: 128Mi}}, requests: {{cpu: 100m, memory: 64Mi}}}}\n        securityContext: {{allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: {{drop: [ALL]}}}}\n"
            ),
            1 => format!(
                "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec:\n  selector: {{app: {name}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n"
            ),
            2 => format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{LOG_LEVEL: info, VERSION: '{tag}'}}\n"
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

fn confgate(dir: &Path, kubeconfig: &Path, args: &[&str]) -> (f64, i32, String) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_confgate"))
        .current_dir(dir)
        .args(args)
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
                .chain(String::from_utf8_lossy(&o.stderr).lines())
                .map(str::to_string)
                .collect::<Vec<_>>()
                .iter()
                .filter(|l| {
                    l.starts_with("rollback ")
                        || l.starts_with("gate")
                        || l.starts_with("stopped")
                        || l.starts_with("confgate: error")
                        || l.starts_with("impact analysed")
                        || l.starts_with("health")
                        || l.starts_with("error")
                        || l.starts_with("policy delta")
                })
                .cloned()
                .collect::<Vec<_>>()
                .join(" | "),
        ),
        Err(e) => (wall, -1, e.to_string()),
    }
}

fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("{e}");
    std::process::exit(2);
}

fn deploy(dir: &Path, k: &Path, set: &str, ns: &str) {
    if let Err(e) = try_deploy(dir, k, set, ns) {
        fail(e);
    }
}

fn try_deploy(dir: &Path, k: &Path, set: &str, ns: &str) -> Result<(), String> {
    // The example carries deliberate findings: its baseline (written before) lets it through.
    let baseline: &[&str] = if dir.join("baseline.json").exists() {
        &["--baseline", "baseline.json"]
    } else {
        &[]
    };
    let (_, code, what) = confgate(
        dir,
        k,
        &[
            &[
                "deploy",
                "set",
                "--set",
                set,
                "-n",
                ns,
                "--fail-on",
                "critical",
                "--apply",
                "--wait-for-rollout",
                "--timeout",
                "600",
            ],
            baseline,
        ]
        .concat(),
    );
    if code != 0 {
        return Err(format!("deploy of {set} failed ({code}): {what}"));
    }
    Ok(())
}

fn example_set(
    ex_dir: &Path,
    k: &Path,
    texts: &[(std::ffi::OsString, String)],
) -> Result<String, String> {
    try_deploy(ex_dir, k, "example", "spotify-ai-agent")?;
    for (name, t) in texts {
        let bumped = t
            .replace(":2.4.1", ":2.4.2")
            .replace(":1.8.2", ":1.8.3")
            .replace(":16.3-alpine", ":16.4-alpine");
        let _ = std::fs::write(ex_dir.join("set").join(name), bumped);
    }
    try_deploy(ex_dir, k, "example", "spotify-ai-agent")?;
    let (t, code, what) = confgate(
        ex_dir,
        k,
        &[
            "rollback",
            "--set",
            "example",
            "-n",
            "spotify-ai-agent",
            "--to-previous",
            "--confirm",
            "--allow-findings",
            "--interval",
            "1",
            "--fail-on",
            "critical",
        ],
    );
    Ok(format!(
        "  example set (examples/spotify-ai-agent/base): rollback --confirm to healthy: {t:.2} s, exit {code}: {what}"
    ))
}

fn main() {
    let n: usize = std::env::var("CONFGATE_BENCH_ROLLBACK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let tc = TestCluster::start(Options::default()).unwrap_or_else(|e| fail(format!("{e:#}")));
    tc.load_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n")
        .unwrap_or_else(|e| fail(format!("{e:#}")));
    let k = tc.kubeconfig_path().to_path_buf();
    let root = std::env::temp_dir().join(format!("confgate-bench-rollback-{}", std::process::id()));

    // 1. The example set.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/spotify-ai-agent/base");
    let ex_dir = root.join("example");
    let _ = std::fs::create_dir_all(ex_dir.join("set"));
    let mut texts = Vec::new();
    for e in std::fs::read_dir(&example)
        .unwrap_or_else(|e| fail(e))
        .flatten()
    {
        if let Ok(t) = std::fs::read_to_string(e.path()) {
            texts.push((e.file_name(), t));
        }
    }
    for (name, t) in &texts {
        let _ = std::fs::write(ex_dir.join("set").join(name), t);
    }
    let (_, code, what) = confgate(
        &ex_dir,
        &k,
        &[
            "scan",
            "set",
            "--write-baseline",
            "baseline.json",
            "--format",
            "json",
            "-o",
            "scan.json",
        ],
    );
    if code > 1 {
        fail(format!("baseline of the example failed ({code}): {what}"));
    }
    println!("rollback benchmark");
    match example_set(&ex_dir, &k, &texts) {
        Ok(line) => println!("{line}"),
        Err(e) => println!("  example set: skipped: {e}"),
    }

    // 2. N objects.
    let dir = root.join("large");
    let _ = std::fs::create_dir_all(dir.join("set"));
    for tag in ["1.0", "2.0"] {
        if let Err(e) = std::fs::write(dir.join("set/set.yaml"), set(n, tag)) {
            fail(e);
        }
        deploy(&dir, &k, "bench", "bench");
    }
    let (t, code, what) = confgate(
        &dir,
        &k,
        &[
            "rollback",
            "--set",
            "bench",
            "-n",
            "bench",
            "--to-previous",
            "--fail-on",
            "critical",
        ],
    );
    println!(
        "  {n} objects: impact analysis (rollback --to-previous): {t:.2} s, exit {code}: {what}"
    );
    let _ = std::fs::remove_dir_all(&root);
}
