//! `confgate serve --webhook` over real TLS: AdmissionReviews shaped as the API server sends
//! them (CREATE, UPDATE with oldObject, DELETE, dry run), bad requests, certificate
//! rotation, fail-open and fail-closed with a policy that times out, and /metrics checked
//! by promtool when it is installed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Scratch;
use serde_json::{Value, json};

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA and a server certificate for 127.0.0.1 signed by it, written as cert.pem/key.pem
/// in `dir`; returns the CA's PEM.
fn pki(dir: &Path, ca_name: &str) -> String {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, ca_name);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    // Written whole then renamed, as a rotation does.
    let tmp = dir.join("cert.pem.tmp");
    std::fs::write(&tmp, cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem.tmp"), key.serialize_pem()).unwrap();
    std::fs::rename(dir.join("key.pem.tmp"), dir.join("key.pem")).unwrap();
    std::fs::rename(tmp, dir.join("cert.pem")).unwrap();
    ca_cert.pem()
}

/// One HTTPS request trusting only `ca_pem`: (status, body), or the TLS/connect error.
fn https(
    addr: &str,
    ca_pem: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<(u16, String), String> {
    https_declared(addr, ca_pem, method, path, body, body.len())
}

/// [`https`] with a Content-Length of `declared` bytes (more than `body` for a client that
/// announces a huge body).
fn https_declared(
    addr: &str,
    ca_pem: &str,
    method: &str,
    path: &str,
    body: &[u8],
    declared: usize,
) -> Result<(u16, String), String> {
    https_to(addr, ca_pem, "127.0.0.1", method, path, body, declared)
}

/// [`https_declared`] verifying the certificate for `server_name`.
fn https_to(
    addr: &str,
    ca_pem: &str,
    server_name: &str,
    method: &str,
    path: &str,
    body: &[u8],
    declared: usize,
) -> Result<(u16, String), String> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(c.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(server_name.to_string())
        .map_err(|e| e.to_string())?;
    let conn = rustls::ClientConnection::new(Arc::new(cfg), name).map_err(|e| e.to_string())?;
    let tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        declared
    );
    tls.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    // A server may answer (413) before the whole body is sent.
    let _ = tls.write_all(body);
    let mut buf = Vec::new();
    match tls.read_to_end(&mut buf) {
        Ok(_) => {}
        Err(e) if !buf.is_empty() => {
            let _ = e;
        }
        Err(e) => return Err(e.to_string()),
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP status in {text:?}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

struct Server {
    _child: Killed,
    addr: String,
}

fn start(dir: &Path, ca: &str, extra: &[&str]) -> Server {
    start_as(dir, ca, "127.0.0.1", extra)
}

fn start_named(dir: &Path, ca: &str, server_name: &str) -> Server {
    start_as(dir, ca, server_name, &[])
}

fn start_as(dir: &Path, ca: &str, server_name: &str, extra: &[&str]) -> Server {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_confgate"));
    cmd.current_dir(dir)
        .args(["serve", "--webhook", "--metrics", "--listen", &addr])
        .args(["--tls-cert", "cert.pem", "--tls-key", "key.pem"])
        .args(extra)
        .env_remove("KUBECONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = Killed(cmd.spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok((200, _)) = https_to(&addr, ca, server_name, "GET", "/healthz", b"", 0) {
            return Server {
                _child: child,
                addr,
            };
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut child = child;
    let _ = child.0.kill();
    let mut err = String::new();
    if let Some(mut e) = child.0.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    panic!("the webhook did not start: {err}");
}

fn pod(name: &str, privileged: bool) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app.kubernetes.io/name": name}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "securityContext": {"privileged": privileged}}]}
    })
}

fn review(uid: &str, op: &str, object: Value, old: Value, dry_run: bool) -> Vec<u8> {
    let name = object
        .pointer("/metadata/name")
        .or_else(|| old.pointer("/metadata/name"))
        .cloned()
        .unwrap_or(json!(""));
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "requestResource": {"group": "", "version": "v1", "resource": "pods"},
            "name": name, "namespace": "shop", "operation": op,
            "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
            "object": object, "oldObject": old, "dryRun": dry_run,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        }
    }))
    .unwrap()
}

fn answer(s: &Server, ca: &str, body: &[u8]) -> Value {
    let (status, text) = https(&s.addr, ca, "POST", "/validate", body).unwrap();
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(v["kind"], "AdmissionReview");
    v["response"].clone()
}

#[test]
fn reviews_over_tls_are_decided_as_the_cli_decides() {
    let dir = Scratch::new();
    let ca = pki(dir.path(), "ca-one");
    let s = start(dir.path(), &ca, &[]);

    let r = answer(
        &s,
        &ca,
        &review("u-1", "CREATE", pod("bad", true), Value::Null, false),
    );
    assert_eq!(r["uid"], "u-1");
    assert_eq!(r["allowed"], false);
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(msg.starts_with("confgate: "), "{msg}");
    assert!(
        msg.contains("CG1001 critical at spec.containers[0].securityContext.privileged"),
        "{msg}"
    );
    assert!(msg.contains("(fix: "), "{msg}");
    assert_eq!(r["status"]["code"], 403);

    // The CLI on the same object: the same blocking rules.
    dir.write(
        "bad.yaml",
        serde_yaml::to_string(&pod("bad", true)).unwrap(),
    );
    let cli = dir.run(&["scan", "bad.yaml", "--format", "json"]);
    let report = cli.json();
    let mut cli_blocking: Vec<String> = common::findings(&report)
        .iter()
        .filter(|f| ["high", "critical"].contains(&f["severity"].as_str().unwrap_or("")))
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    cli_blocking.sort();
    cli_blocking.dedup();
    let denied = r["auditAnnotations"]["confgate.dev/denied-by"]
        .as_str()
        .unwrap();
    assert_eq!(denied, cli_blocking.join(","));

    // Below the gate: allowed, findings as warnings.
    let r = answer(
        &s,
        &ca,
        &review("u-2", "CREATE", pod("good", false), Value::Null, false),
    );
    assert_eq!(r["allowed"], true, "{r}");
    assert!(
        r["warnings"].as_array().is_some_and(|w| !w.is_empty()),
        "{r}"
    );

    // UPDATE: the old object's findings are marked as already there.
    let r = answer(
        &s,
        &ca,
        &review("u-3", "UPDATE", pod("bad", true), pod("bad", true), false),
    );
    assert_eq!(r["allowed"], false);
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("[already in the current object]")
    );
    let r = answer(
        &s,
        &ca,
        &review("u-4", "UPDATE", pod("bad", true), pod("bad", false), false),
    );
    assert!(!r["status"]["message"].as_str().unwrap().contains("already"));

    // DELETE is allowed; a dry run is evaluated like any request.
    let r = answer(
        &s,
        &ca,
        &review("u-5", "DELETE", Value::Null, pod("bad", true), false),
    );
    assert_eq!(r["allowed"], true);
    let r = answer(
        &s,
        &ca,
        &review("u-6", "CREATE", pod("bad", true), Value::Null, true),
    );
    assert_eq!(r["allowed"], false);

    // Exempt namespace.
    let mut sys = pod("bad", true);
    sys["metadata"]["namespace"] = json!("kube-system");
    let mut body: Value =
        serde_json::from_slice(&review("u-7", "CREATE", sys, Value::Null, false)).unwrap();
    body["request"]["namespace"] = json!("kube-system");
    let r = answer(&s, &ca, &serde_json::to_vec(&body).unwrap());
    assert_eq!(r["allowed"], true);

    // Bad requests: 400 / 413, never a crash.
    let bad = |b: &[u8]| https(&s.addr, &ca, "POST", "/validate", b).unwrap();
    assert_eq!(bad(b"{not json").0, 400);
    assert_eq!(bad(br#"{"apiVersion":"v1","kind":"Pod"}"#).0, 400);
    let mut no_uid: Value =
        serde_json::from_slice(&review("", "CREATE", pod("x", true), Value::Null, false)).unwrap();
    no_uid["request"]["uid"] = json!("");
    assert_eq!(bad(&serde_json::to_vec(&no_uid).unwrap()).0, 400);
    let (status, _) = https_declared(
        &s.addr,
        &ca,
        "POST",
        "/validate",
        &vec![b' '; 64 * 1024],
        100 * 1024 * 1024,
    )
    .unwrap();
    assert_eq!(status, 413);
    let mut deep = String::new();
    for _ in 0..10_000 {
        deep.push_str("{\"a\":");
    }
    deep.push('1');
    for _ in 0..10_000 {
        deep.push('}');
    }
    let mut nested: Value = serde_json::from_slice(&review(
        "u-8",
        "CREATE",
        pod("deep", false),
        Value::Null,
        false,
    ))
    .unwrap();
    nested["request"]["object"]["metadata"]["annotations"] = json!({"x": deep});
    let r = answer(&s, &ca, &serde_json::to_vec(&nested).unwrap());
    assert_eq!(r["uid"], "u-8");
    let raw_deep = format!(
        "{{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{}}}",
        "[".repeat(5000) + &"]".repeat(5000)
    );
    assert_eq!(bad(raw_deep.as_bytes()).0, 400);
    // Still serving after all that.
    let r = answer(
        &s,
        &ca,
        &review("u-9", "CREATE", pod("bad", true), Value::Null, false),
    );
    assert_eq!(r["allowed"], false);

    // Metrics count the decisions; promtool accepts them when installed.
    let (status, metrics) = https(&s.addr, &ca, "GET", "/metrics", b"").unwrap();
    assert_eq!(status, 200);
    assert!(
        metrics
            .contains("confgate_webhook_reviews_total{operation=\"CREATE\",decision=\"deny\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("confgate_webhook_rejected_requests_total{code=\"413\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("confgate_webhook_skipped_total{reason=\"delete\"} 1"),
        "{metrics}"
    );
    if let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(metrics.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn regression_an_inline_wildcard_ignore_does_not_let_a_privileged_pod_in() {
    let dir = Scratch::new();
    let ca = pki(dir.path(), "ca");
    let s = start(dir.path(), &ca, &[]);
    let mut ignored = pod("sneaky", true);
    ignored["metadata"]["annotations"] = json!({"confgate.io/ignore": "*"});
    let r = answer(
        &s,
        &ca,
        &review("w-1", "CREATE", ignored.clone(), Value::Null, false),
    );
    assert_eq!(r["allowed"], false, "{r}");
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(msg.contains("CG1001"), "{msg}");
    // With the explicit permission on the object, the glob suppresses it too.
    ignored["metadata"]["annotations"]["confgate.io/ignore-allow-wildcard-critical"] =
        json!("true");
    let r = answer(
        &s,
        &ca,
        &review("w-2", "CREATE", ignored, Value::Null, false),
    );
    assert_eq!(r["allowed"], true, "{r}");
}

#[test]
fn a_rotated_certificate_is_served_without_a_restart() {
    let dir = Scratch::new();
    let old_ca = pki(dir.path(), "ca-old");
    let s = start(dir.path(), &old_ca, &[]);
    assert_eq!(
        https(&s.addr, &old_ca, "GET", "/healthz", b"").unwrap().0,
        200
    );
    // A half-written rotation (garbage) keeps the old certificate in use.
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        https(&s.addr, &old_ca, "GET", "/healthz", b"").unwrap().0,
        200
    );
    let new_ca = pki(dir.path(), "ca-new");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok((200, _)) = https(&s.addr, &new_ca, "GET", "/healthz", b"") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        https(&s.addr, &old_ca, "GET", "/healthz", b"").is_err(),
        "the old certificate is still served"
    );
}

#[test]
fn a_policy_that_times_out_is_answered_by_the_failure_policy() {
    let dir = Scratch::new();
    let ca = pki(dir.path(), "ca");
    // A conftest policy that runs far longer than --policy-timeout.
    dir.write(
        "policy/slow.rego",
        "package main\n\ndeny contains msg if {\n\tsome i in numbers.range(1, 999999)\n\tsome j in numbers.range(1, 999999)\n\ti + j < 0\n\tmsg := \"never\"\n}\n",
    );
    for (policy, allowed) in [("closed", false), ("open", true)] {
        let s = start(
            dir.path(),
            &ca,
            &[
                "--policy",
                "policy",
                "--policy-timeout",
                "0.2",
                "--failure-policy",
                policy,
            ],
        );
        let r = answer(
            &s,
            &ca,
            &review("t-1", "CREATE", pod("good", false), Value::Null, false),
        );
        assert_eq!(r["uid"], "t-1");
        assert_eq!(r["allowed"], allowed, "{policy}: {r}");
        let text = if allowed {
            r["warnings"][0].as_str().unwrap().to_string()
        } else {
            r["status"]["message"].as_str().unwrap().to_string()
        };
        assert!(text.contains("could not check this object"), "{text}");
        let (_, metrics) = https(&s.addr, &ca, "GET", "/metrics", b"").unwrap();
        assert!(
            metrics.contains(&format!(
                "confgate_webhook_failures_total{{reason=\"evaluation\",policy=\"{policy}\"}} 1"
            )),
            "{metrics}"
        );
    }
}

#[test]
fn serve_without_tls_files_or_with_a_bad_key_is_a_one_line_error() {
    let dir = Scratch::new();
    let run = dir.run(&["serve", "--webhook", "--listen", "127.0.0.1:0"]);
    run.expect_code(2);
    assert!(run.stderr.contains("--tls-cert"), "{}", run.stderr);
    pki(dir.path(), "ca");
    std::fs::write(dir.path().join("key.pem"), "garbage").unwrap();
    let run = dir.run(&[
        "serve",
        "--webhook",
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        "cert.pem",
        "--tls-key",
        "key.pem",
    ]);
    run.expect_code(2);
    assert!(run.stderr.contains("key.pem"), "{}", run.stderr);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
}

#[test]
fn generated_manifests_pass_the_default_gate_and_never_print_the_key() {
    let dir = Scratch::new();
    let run = dir.run(&[
        "webhook",
        "manifests",
        "--self-signed",
        "--cert-dir",
        "certs",
        "--inventory",
        "--output",
        "webhook.yaml",
    ]);
    run.expect_code(0);
    let text = std::fs::read_to_string(dir.path().join("webhook.yaml")).unwrap();
    assert!(!text.contains("PRIVATE KEY"));
    assert!(!run.stderr.contains("PRIVATE KEY"));
    for kind in [
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "PodDisruptionBudget",
        "Service",
        "NetworkPolicy",
        "ValidatingWebhookConfiguration",
    ] {
        assert!(
            text.contains(&format!("kind: {kind}\n")),
            "{kind} missing:\n{text}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["tls.key", "tls-secret.yaml"] {
            let mode = std::fs::metadata(dir.path().join("certs").join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
    // The CA in the configuration is the CA that signed the serving certificate: the server
    // starts on the written pair and a client trusting only that CA is answered.
    let ca = std::fs::read_to_string(dir.path().join("certs/ca.crt")).unwrap();
    {
        use base64::Engine as _;
        let bundle = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("caBundle: "))
            .unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(bundle)
            .unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), ca);
    }
    std::fs::copy(
        dir.path().join("certs/tls.crt"),
        dir.path().join("cert.pem"),
    )
    .unwrap();
    std::fs::copy(dir.path().join("certs/tls.key"), dir.path().join("key.pem")).unwrap();
    // The certificate names the Service, not 127.0.0.1: check the chain and the name with a
    // client that asks for the Service name.
    let s = start_named(dir.path(), &ca, "confgate-webhook.confgate-system.svc");
    drop(s);

    // The scan with the default gate passes, for every certificate choice.
    dir.run(&["scan", "webhook.yaml"]).expect_code(0);
    let cm = dir.run(&[
        "webhook",
        "manifests",
        "--cert-manager",
        "--audit-only",
        "--output",
        "cm.yaml",
    ]);
    cm.expect_code(0);
    let cm_text = std::fs::read_to_string(dir.path().join("cm.yaml")).unwrap();
    assert!(cm_text.contains("cert-manager.io/inject-ca-from: confgate-system/confgate-webhook"));
    assert!(cm_text.contains("- --audit-only"));
    dir.run(&["scan", "cm.yaml"]).expect_code(0);
    // No certificate choice, a bad issuer, a bad namespace: one-line errors, exit 2.
    for args in [
        vec!["webhook", "manifests"],
        vec!["webhook", "manifests", "--cert-manager", "--issuer", "nope"],
        vec![
            "webhook",
            "manifests",
            "--cert-manager",
            "--namespace",
            "Not_A_Name",
        ],
        vec!["webhook", "manifests", "--ca-bundle", "missing.pem"],
    ] {
        let r = dir.run(&args);
        r.expect_code(2);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{args:?}: {}", r.stderr);
    }
}

/// A Pod that the `restricted` Pod Security level rejects (no runAsNonRoot, no seccomp) but
/// that has no blocking finding of its own.
fn unrestricted_pod(ns: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": ns, "labels": {"app.kubernetes.io/name": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27",
            "resources": {"limits": {"cpu": "1", "memory": "64Mi"}}}]}
    })
}

fn review_in(uid: &str, ns: &str, object: Value) -> Vec<u8> {
    let mut body: Value =
        serde_json::from_slice(&review(uid, "CREATE", object, Value::Null, false)).unwrap();
    body["request"]["namespace"] = json!(ns);
    serde_json::to_vec(&body).unwrap()
}

#[test]
fn cross_resource_rules_see_the_cluster_through_the_watched_inventory() {
    use confgate_testcluster::{Options, TestCluster};
    let tc = TestCluster::start(Options::default()).unwrap();
    tc.load_yaml(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: locked\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n",
    )
    .unwrap();
    let dir = Scratch::new();
    let ca = pki(dir.path(), "ca");
    let k = tc.kubeconfig_path().display().to_string();
    let s = start(dir.path(), &ca, &["--inventory", "--kubeconfig", &k]);
    // Ready only once every inventory type is listed.
    let deadline = Instant::now() + Duration::from_secs(30);
    while https(&s.addr, &ca, "GET", "/readyz", b"").unwrap().0 != 200 {
        assert!(Instant::now() < deadline, "never ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let has_cg1025 = |r: &Value| r.to_string().contains("CG1025");
    // The Namespace in the cluster enforces `restricted`: CG1025 (high) denies the Pod.
    let r = answer(
        &s,
        &ca,
        &review_in("i-1", "locked", unrestricted_pod("locked")),
    );
    assert_eq!(r["allowed"], false, "{r}");
    assert!(has_cg1025(&r), "{r}");
    // The same Pod elsewhere has no such finding.
    let r = answer(&s, &ca, &review_in("i-2", "open", unrestricted_pod("open")));
    assert!(!has_cg1025(&r), "{r}");
    // A Namespace created after the start reaches the inventory through the watch.
    tc.load_yaml(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: later\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n",
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = answer(
            &s,
            &ca,
            &review_in("i-3", "later", unrestricted_pod("later")),
        );
        if has_cg1025(&r) {
            assert_eq!(r["allowed"], false);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the watch never brought the new Namespace: {r}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (_, metrics) = https(&s.addr, &ca, "GET", "/metrics", b"").unwrap();
    assert!(
        metrics.contains("confgate_webhook_inventory_synced 1"),
        "{metrics}"
    );
}

#[test]
fn kubectl_apply_through_the_test_api_server_is_decided_by_the_generated_webhook() {
    use confgate_testcluster::{Options, TestCluster};
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        eprintln!("skipped: kubectl not found");
        return;
    }
    let tc = TestCluster::start(Options::default()).unwrap();
    let dir = Scratch::new();
    dir.run(&[
        "webhook",
        "manifests",
        "--self-signed",
        "--cert-dir",
        "certs",
        "--output",
        "webhook.yaml",
    ])
    .expect_code(0);
    std::fs::copy(
        dir.path().join("certs/tls.crt"),
        dir.path().join("cert.pem"),
    )
    .unwrap();
    std::fs::copy(dir.path().join("certs/tls.key"), dir.path().join("key.pem")).unwrap();
    let ca = std::fs::read_to_string(dir.path().join("certs/ca.crt")).unwrap();
    let s = start_named(dir.path(), &ca, "confgate-webhook.confgate-system.svc");
    // The API server reaches the Service at the webhook's loopback address.
    tc.set_service_endpoint("confgate-system", "confgate-webhook", &s.addr);
    let k = tc.kubeconfig_path().display().to_string();
    let kubectl = |args: &[&str]| {
        let out = Command::new("kubectl")
            .current_dir(dir.path())
            .env("KUBECONFIG", &k)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    // The generated manifests install as they are (Secret first, as the README says).
    let (ok, out) = kubectl(&["apply", "-f", "certs/tls-secret.yaml", "-f", "webhook.yaml"]);
    assert!(ok, "{out}");
    let (ok, out) = kubectl(&["create", "namespace", "shop"]);
    assert!(ok, "{out}");
    dir.write(
        "bad.yaml",
        serde_yaml::to_string(&pod("bad", true)).unwrap(),
    );
    let (ok, out) = kubectl(&["apply", "-f", "bad.yaml"]);
    assert!(!ok, "a privileged Pod was admitted: {out}");
    assert!(
        out.contains("admission webhook \"validate.confgate.dev\" denied the request: confgate:"),
        "{out}"
    );
    assert!(out.contains("CG1001"), "{out}");
    assert!(tc.get("v1", "Pod", Some("shop"), "bad").is_none());
    // Server-side apply and a server-side dry run are decided the same way.
    let (ok, out) = kubectl(&["apply", "--server-side", "-f", "bad.yaml"]);
    assert!(!ok && out.contains("CG1001"), "{out}");
    // Below the gate: admitted, with the findings as kubectl warnings.
    dir.write(
        "good.yaml",
        serde_yaml::to_string(&pod("good", false)).unwrap(),
    );
    let (ok, out) = kubectl(&["apply", "-f", "good.yaml"]);
    assert!(ok, "{out}");
    assert!(out.contains("Warning: confgate CG"), "{out}");
    // The webhook's own namespace is never sent to it.
    let mut own = pod("own", true);
    own["metadata"]["namespace"] = json!("confgate-system");
    dir.write("own.yaml", serde_yaml::to_string(&own).unwrap());
    let (ok, out) = kubectl(&["apply", "-f", "own.yaml"]);
    assert!(ok, "{out}");
}

#[test]
fn a_client_that_trickles_its_body_is_cut_at_the_deadline() {
    let dir = Scratch::new();
    let ca = pki(dir.path(), "ca");
    let s = start(dir.path(), &ca, &["--deadline", "1"]);
    let started = Instant::now();
    // 10 bytes of a declared 1,000, then silence.
    let (status, body) =
        https_declared(&s.addr, &ca, "POST", "/validate", b"{\"apiVers", 1000).unwrap();
    assert_eq!(status, 408, "{body}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // The server still answers.
    let r = answer(
        &s,
        &ca,
        &review("t-1", "CREATE", pod("bad", true), Value::Null, false),
    );
    assert_eq!(r["allowed"], false);
}
