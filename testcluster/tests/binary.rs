//! The `confgate-testcluster` binary: flags, `READY <port>`, SIGTERM.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn binary_serves_until_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    let manifests = dir.path().join("manifests");
    std::fs::create_dir_all(manifests.join("sub")).unwrap();
    std::fs::write(
        manifests.join("a.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: loaded}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, namespace: loaded}\n",
    )
    .unwrap();
    std::fs::write(
        manifests.join("sub/b.yml"),
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: two, namespace: loaded}\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_confgate-testcluster"))
        .arg("--kubeconfig")
        .arg(&kc)
        .arg("--load")
        .arg(&manifests)
        .args([
            "--name",
            "bin",
            "--fault",
            "GET:/api/v1/namespaces/loaded/secrets=503x1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            if self.0.try_wait().ok().flatten().is_none() {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
    }
    let stdout = child.stdout.take().unwrap();
    let mut child = KillOnDrop(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port: u16 = line.strip_prefix("READY ").unwrap().trim().parse().unwrap();

    let text = std::fs::read_to_string(&kc).unwrap();
    let v: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(v["current-context"], "bin");
    assert_eq!(
        v["clusters"][0]["cluster"]["server"],
        format!("https://127.0.0.1:{port}")
    );
    let ca = {
        use base64::Engine as _;
        let b64 = v["clusters"][0]["cluster"]["certificate-authority-data"]
            .as_str()
            .unwrap();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        )
        .unwrap()
    };
    let token = common::token_of(&kc, "bin-admin");
    let (code, body) = common::https(
        port,
        &ca,
        Some(&token),
        "GET",
        "/api/v1/namespaces/loaded/configmaps",
        None,
    );
    assert_eq!(code, 200);
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kube-root-ca.crt", "one", "two"]);
    let (code, _) = common::https(
        port,
        &ca,
        Some(&token),
        "GET",
        "/api/v1/namespaces/loaded/secrets",
        None,
    );
    assert_eq!(code, 503, "--fault");
    let (code, _) = common::https(
        port,
        &ca,
        Some(&token),
        "GET",
        "/api/v1/namespaces/loaded/secrets",
        None,
    );
    assert_eq!(code, 200, "only once");

    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let t = Instant::now();
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        if t.elapsed() > Duration::from_secs(10) {
            panic!("did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
