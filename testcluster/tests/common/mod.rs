//! Helpers shared by the integration tests: finding real clients and a tiny HTTPS client.
#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

/// kubectl on PATH (or /usr/bin/kubectl), if any.
pub fn kubectl() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("kubectl"))
                .collect()
        })
        .unwrap_or_default();
    candidates.push(PathBuf::from("/usr/bin/kubectl"));
    candidates.into_iter().find(|p| p.is_file())
}

/// Runs kubectl against `kubeconfig` with a private discovery cache.
pub struct Kubectl {
    pub bin: PathBuf,
    pub kubeconfig: String,
    pub cache: tempfile::TempDir,
}

impl Kubectl {
    pub fn new(bin: PathBuf, kubeconfig: &Path) -> Kubectl {
        Kubectl {
            bin,
            kubeconfig: kubeconfig.display().to_string(),
            cache: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_stdin(args, None)
    }

    pub fn run_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(&self.bin);
        cmd.env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.cache.path())
            .arg("--cache-dir")
            .arg(self.cache.path().join("cache"))
            .arg("--request-timeout=20s")
            .args(args)
            .stdin(if stdin.is_some() {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            })
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("spawn kubectl");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
        }
        child.wait_with_output().expect("kubectl output")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_stdin(args, None)
    }

    pub fn ok_stdin(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run_stdin(args, stdin);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            out.status.success(),
            "kubectl {args:?} failed ({}):\nstdout: {stdout}\nstderr: {stderr}",
            out.status
        );
        stdout
    }

    /// Runs and expects failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            !out.status.success(),
            "kubectl {args:?} unexpectedly succeeded:\nstdout: {stdout}\nstderr: {stderr}"
        );
        stderr
    }
}

/// One HTTPS request with a bearer token over HTTP/1.1 (Connection: close); returns
/// (status, body).
pub fn https(
    port: u16,
    ca_pem: &str,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<(&str, &str)>,
) -> (u16, Vec<u8>) {
    https_accept(port, ca_pem, token, method, path, body, "application/json")
}

/// [`https`] with an `Accept` header of the caller's choosing.
pub fn https_accept(
    port: u16,
    ca_pem: &str,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<(&str, &str)>,
    accept: &str,
) -> (u16, Vec<u8>) {
    let (status, _, body) = https_full(port, ca_pem, token, method, path, body, accept);
    (status, body)
}

/// [`https_accept`] that also returns the response headers (names lower-cased, in order).
pub fn https_full(
    port: u16,
    ca_pem: &str,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<(&str, &str)>,
    accept: &str,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject as _};
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.expect("CA pem")).expect("add CA");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1").expect("server name");
    let conn = rustls::ClientConnection::new(Arc::new(cfg), name).expect("tls client");
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nAccept: {accept}\r\n"
    );
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let payload = match body {
        Some((ctype, text)) => {
            req.push_str(&format!(
                "Content-Type: {ctype}\r\nContent-Length: {}\r\n",
                text.len()
            ));
            text.as_bytes().to_vec()
        }
        None => vec![],
    };
    req.push_str("\r\n");
    tls.write_all(req.as_bytes()).expect("write");
    tls.write_all(&payload).expect("write body");
    let mut raw = vec![];
    let _ = tls.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let mut rest = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        rest = dechunk(&rest);
    }
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, rest)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&b[start..start + size]);
        b = &b[start + size + 2..];
    }
    out
}

/// The admin token written into a kubeconfig (context = cluster name).
pub fn token_of(kubeconfig: &Path, user: &str) -> String {
    let text = std::fs::read_to_string(kubeconfig).expect("kubeconfig");
    let v: serde_json::Value = serde_yaml::from_str(&text).expect("kubeconfig yaml");
    v["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"] == user)
        .and_then(|u| u["user"]["token"].as_str())
        .expect("token")
        .to_string()
}
