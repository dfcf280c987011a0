//! What the cluster benchmarks share: the generated live state and measuring a child
//! `confgate` (wall time, peak RSS from /proc).

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// N objects across N/100 namespaces: Deployments (whose ReplicaSets and Pods the test
/// server's controller creates), standalone Pods, Services, ConfigMaps, Roles and
/// RoleBindings.
pub fn objects(n: usize) -> String {
    let namespaces = n.div_ceil(100);
    let mut out = String::with_capacity(n * 400);
    let mut count = 0;
    for ns in 0..namespaces {
        out.push_str(&format!(
            "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: ns-{ns}}}\n"
        ));
        count += 1;
        let mut i = 0;
        while count < n && i < 99 {
            let kind = i % 10;
            let name = format!("obj-{i}");
            let doc = match kind {
                0..=2 => format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: ns-{ns}, labels: {{app: {name}}}}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/app:1.{i}\n        resources: {{limits: {{cpu: 500m, memory: 256Mi}}}}\n        securityContext: {{allowPrivilegeEscalation: false, runAsNonRoot: true}}\n"
                ),
                3..=5 => format!(
                    "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: ns-{ns}}}\nspec:\n  containers:\n  - name: app\n    image: nginx:latest\n    securityContext: {{privileged: {}}}\n",
                    i % 7 == 0
                ),
                6 | 7 => format!(
                    "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: ns-{ns}}}\nspec:\n  selector: {{app: {name}}}\n  ports: [{{port: 80}}]\n"
                ),
                8 => format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: ns-{ns}}}\ndata: {{LOG_LEVEL: info, FEATURE: 'on'}}\n"
                ),
                _ => format!(
                    "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: {name}, namespace: ns-{ns}}}\nrules:\n- apiGroups: ['']\n  resources: [pods, secrets]\n  verbs: [get, list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: {name}, namespace: ns-{ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: {name}}}\nsubjects: [{{kind: ServiceAccount, name: default, namespace: ns-{ns}}}]\n"
                ),
            };
            count += if kind == 9 { 2 } else { 1 };
            out.push_str("---\n");
            out.push_str(&doc);
            i += 1;
        }
    }
    out
}

/// Runs the command, polling its peak RSS; (wall seconds, peak MiB, exit code).
pub fn measure(cmd: &mut Command) -> (f64, f64, i32) {
    let t = Instant::now();
    let mut child = match cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot run confgate: {e}");
            return (0.0, 0.0, -1);
        }
    };
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let code = loop {
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(v) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(v);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status.code().unwrap_or(-1),
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break -1,
        }
    };
    let wall = t.elapsed().as_secs_f64();
    if code == 2 || code < 0 {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        eprintln!("confgate failed ({code}): {err}");
    }
    (wall, peak_kib as f64 / 1024.0, code)
}

/// `confgate ARGS --kubeconfig K --quiet`, outside any settings file.
pub fn confgate(kubeconfig: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_confgate"));
    c.args(args)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--quiet")
        .env_remove("CONFGATE_CONFIG")
        .current_dir(std::env::temp_dir());
    c
}
