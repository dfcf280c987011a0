//! The PyPI `kubernetes` client against the test API server (tests/python/client_test.py).
#![allow(clippy::unwrap_used)]

use std::process::Command;

use confgate_testcluster::{Options, TestCluster};

fn python() -> Option<String> {
    let py = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import kubernetes"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    ok.then_some(py)
}

#[test]
fn python_kubernetes_client() {
    let Some(py) = python() else {
        eprintln!(
            "skipped: python3 with the `kubernetes` package not found (.ci/install-python-tools installs it)"
        );
        return;
    };
    let tc = TestCluster::start(Options {
        name: "tc-python".into(),
        ..Default::default()
    })
    .unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/client_test.py");
    let out = Command::new(py)
        .arg(script)
        .arg(tc.kubeconfig_path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "client_test.py failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.lines().any(|l| l == "OK"), "{stdout}\n{stderr}");
    assert!(
        tc.get("apps/v1", "Deployment", Some("py"), "d0").is_none(),
        "namespace py was deleted"
    );
}
