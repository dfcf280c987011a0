//! E-mail alerts from `confgate monitor` reach a real local SMTP server: Python's `aiosmtpd`
//! with AUTH, in plain SMTP and with STARTTLS required (a certificate from a test CA that
//! the route trusts through `ca-file`). The password never shows in confgate's output; an
//! SMTP server that is down is reported and the monitor keeps checking.
//!
//! Needs `python3` with `aiosmtpd` (`.ci/install-python-tools` installs it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use confgate_testcluster::{Options, TestCluster};
use serde_json::Value;

use common::*;

const NS: &str = "spotify-ai-dev";
const USER: &str = "alerts@example.com";
const PASSWORD: &str = "smtp-pass-FAKE-7f3a9c";

/// An aiosmtpd server: AUTH LOGIN/PLAIN against one user; every message is appended to a
/// JSON-lines file with its envelope, whether the session was TLS and who logged in.
const SERVER: &str = r#"
import json, ssl, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, out, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
mode = sys.argv[5] if len(sys.argv) > 7 else None
cert, key = (sys.argv[6], sys.argv[7]) if mode else (None, None)

class Handler:
    async def handle_DATA(self, server, session, envelope):
        rec = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "login": session.auth_data if isinstance(session.auth_data, str) else None,
        }
        with open(out, "a") as f:
            f.write(json.dumps(rec) + "\n")
        return "250 OK"

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)

kw = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
if mode:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
if mode == "starttls":
    kw.update(tls_context=ctx, require_starttls=True, auth_require_tls=True)
elif mode == "implicit":
    kw.update(ssl_context=ctx)
c = Controller(Handler(), hostname="127.0.0.1", port=port, **kw)
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"#;

struct Smtp {
    child: Child,
    port: u16,
    mailbox: std::path::PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    /// `tls`: `("starttls" | "implicit", cert, key)`.
    fn start(dir: &Path, tls: Option<(&str, &Path, &Path)>) -> Smtp {
        let ok = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "python3 with aiosmtpd is missing: run `bash .ci/install-python-tools` (CI does)"
        );
        let script = dir.join("smtpd.py");
        std::fs::write(&script, SERVER).unwrap();
        let mailbox = dir.join(format!(
            "mailbox-{}.jsonl",
            tls.map(|t| t.0).unwrap_or("plain")
        ));
        let port = free_port();
        let mut cmd = Command::new("python3");
        cmd.arg(&script)
            .arg(port.to_string())
            .arg(&mailbox)
            .args([USER, PASSWORD]);
        if let Some((mode, cert, key)) = tls {
            cmd.arg(mode).arg(cert).arg(key);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Its tracebacks of refused handshakes are expected; kept out of the test output.
            .stderr(std::fs::File::create(dir.join("smtpd.log")).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "aiosmtpd did not start");
        Smtp {
            child,
            port,
            mailbox,
        }
    }

    fn messages(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.mailbox)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A crash-looping Deployment in NS, deployed through confgate: health far under 80.
fn unhealthy_cluster(s: &Scratch) -> TestCluster {
    let tc = TestCluster::start(Options::default()).expect("start the test API server");
    tc.load_yaml(&format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {NS}}}\n"
    ))
    .unwrap();
    s.write(
        "app/app.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  labels: {app: api}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n      - name: api\n        image: registry.example.com/api:crashloop\n        securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true}\n",
    );
    let k = tc.kubeconfig_path().display().to_string();
    s.run(&[
        "deploy",
        "app",
        "--set",
        "api",
        "-n",
        NS,
        "--apply",
        "--wait-for-rollout",
        "--timeout",
        "3",
        "--fail-on",
        "critical",
        "--kubeconfig",
        &k,
    ])
    .expect_code(1);
    tc
}

fn watch(s: &Scratch, tc: &TestCluster, seconds: &str) -> Run {
    let k = tc.kubeconfig_path().display().to_string();
    let mut cmd = confgate(s.path());
    cmd.args([
        "monitor",
        "-n",
        NS,
        "--watch",
        "--interval",
        "1",
        "--duration",
        seconds,
        "--kubeconfig",
        &k,
    ])
    .env("TEST_SMTP_PASSWORD", PASSWORD);
    run(&mut cmd)
}

/// A header's value, unfolded.
fn header(data: &str, name: &str) -> Option<String> {
    let unfolded = data.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(|v| v.trim().to_string())
}

#[test]
fn email_alerts_reach_a_real_smtp_server_with_auth_escalate_and_a_dead_server_is_reported() {
    let s = Scratch::new();
    let tc = unhealthy_cluster(&s);
    let smtp = Smtp::start(&s.mkdir("smtp"), None);
    let dead = free_port();
    s.write(
        "confgate.toml",
        format!(
            "[monitor]\nalert-threshold = 80\n[monitor.alerts]\ncritical-threshold = 50\nescalate-after = 0\ntimeout = 1\n\
             [[monitor.alerts.routes]]\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {port}\nstarttls = \"none\"\n\
             username = \"{USER}\"\npassword-env = \"TEST_SMTP_PASSWORD\"\nfrom = \"confgate <{USER}>\"\n\
             to = [\"oncall@example.com\", \"Team Lead <lead@example.com>\"]\n\
             [[monitor.alerts.routes]]\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {port}\nstarttls = \"none\"\n\
             username = \"{USER}\"\npassword-env = \"TEST_SMTP_PASSWORD\"\nfrom = \"{USER}\"\n\
             to = [\"pager@example.com\"]\nseverity = \"critical\"\nescalate = true\n\
             [[monitor.alerts.routes]]\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {dead}\nstarttls = \"none\"\n\
             username = \"{USER}\"\npassword-env = \"TEST_SMTP_PASSWORD\"\nfrom = \"{USER}\"\nto = [\"nobody@example.com\"]\n",
            port = smtp.port
        ),
    );
    let r = watch(&s, &tc, "4");
    r.expect_code(1);
    // One message (deduplicated across the checks), authenticated, to both recipients.
    let mail = smtp.messages();
    assert_eq!(mail.len(), 2, "{mail:?}\n{}", r.stderr);
    let (team, pager): (Vec<&Value>, Vec<&Value>) = mail
        .iter()
        .partition(|m| m["rcpt_tos"] != serde_json::json!(["pager@example.com"]));
    // The on-call route gets the escalation only (escalate-after = 0: at the next check).
    assert_eq!(pager.len(), 1, "{mail:?}");
    let page = pager[0]["data"].as_str().unwrap();
    assert!(page.contains("escalated to you"), "{page}");
    let m = team[0];
    assert_eq!(m["mail_from"], USER);
    assert_eq!(m["login"], USER);
    assert_eq!(
        m["rcpt_tos"],
        serde_json::json!(["oncall@example.com", "lead@example.com"])
    );
    let data = m["data"].as_str().unwrap();
    let subject = header(data, "Subject").unwrap_or_default();
    assert!(
        subject.starts_with(&format!("[CRITICAL] FIRING namespace {NS}")),
        "{data}"
    );
    assert!(
        header(data, "To")
            .unwrap_or_default()
            .contains("lead@example.com")
    );
    assert!(data.contains(&format!("Namespace: {NS}")), "{data}");
    assert!(data.contains("Severity:  critical"), "{data}");
    assert!(data.contains("Health:    "), "{data}");
    assert!(data.contains("Summary:   health "), "{data}");
    // The server that is down: reported by host and port, the monitor checked on.
    assert!(
        r.stderr.contains(&format!(
            "alert delivery to email (127.0.0.1:{dead}) failed after 3 tries: cannot connect"
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.matches("namespaces checked").count() >= 2,
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD));
}

/// A test CA (`ca.pem` in `s`) and a server certificate for 127.0.0.1 it signed:
/// (cert file, key file).
fn test_pki(s: &Scratch) -> (std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    s.write("ca.pem", ca_cert.pem());
    (
        s.write("smtp/cert.pem", cert.pem()),
        s.write("smtp/key.pem", key.serialize_pem()),
    )
}

#[test]
fn email_alerts_over_required_starttls_trust_the_routes_ca_and_a_wrong_password_is_reported() {
    let s = Scratch::new();
    let tc = unhealthy_cluster(&s);
    let (cert_file, key_file) = test_pki(&s);
    let dir = s.mkdir("smtp");
    s.write("secrets/smtp-password", format!("{PASSWORD}\n"));
    s.write("secrets/wrong", "not-the-password-FAKE\n");
    let smtp = Smtp::start(&dir, Some(("starttls", &cert_file, &key_file)));
    let port = smtp.port;
    s.write(
        "confgate.toml",
        format!(
            "[monitor]\nalert-threshold = 80\n[monitor.alerts]\ntimeout = 2\n\
             [[monitor.alerts.routes]]\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {port}\nstarttls = \"required\"\n\
             ca-file = \"ca.pem\"\nusername = \"{USER}\"\npassword-file = \"secrets/smtp-password\"\n\
             from = \"{USER}\"\nto = [\"oncall@example.com\"]\n\
             [[monitor.alerts.routes]]\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {port}\n\
             ca-file = \"ca.pem\"\nusername = \"{USER}\"\npassword-file = \"secrets/wrong\"\n\
             from = \"{USER}\"\nto = [\"other@example.com\"]\n"
        ),
    );
    let r = watch(&s, &tc, "1");
    r.expect_code(1);
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1, "{mail:?}\n{}", r.stderr);
    assert_eq!(mail[0]["tls"], true, "delivered after STARTTLS");
    assert_eq!(
        mail[0]["rcpt_tos"],
        serde_json::json!(["oncall@example.com"])
    );
    assert!(
        r.stderr.contains(&format!(
            "alert delivery to email (127.0.0.1:{port}) failed after 3 tries: the server refused"
        )),
        "{}",
        r.stderr
    );
    for secret in [PASSWORD, "not-the-password-FAKE"] {
        assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret));
    }
    // Without the CA the certificate is not trusted: nothing is sent, the failure is named.
    let toml = std::fs::read_to_string(s.path().join("confgate.toml")).unwrap();
    s.write("confgate.toml", toml.replace("ca-file = \"ca.pem\"\n", ""));
    let r = watch(&s, &tc, "1");
    r.expect_code(1);
    assert_eq!(smtp.messages().len(), 1);
    assert!(r.stderr.contains("TLS failed"), "{}", r.stderr);
    assert!(!r.stderr.contains(PASSWORD));
}

#[test]
fn email_alerts_over_implicit_tls_reach_an_smtps_server() {
    let s = Scratch::new();
    let tc = unhealthy_cluster(&s);
    let (cert_file, key_file) = test_pki(&s);
    let smtp = Smtp::start(&s.mkdir("smtp"), Some(("implicit", &cert_file, &key_file)));
    s.write(
        "confgate.toml",
        format!(
            "[monitor]\nalert-threshold = 80\n[monitor.alerts]\ntimeout = 2\n\
             [[monitor.alerts.routes]]\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = true\n\
             ca-file = \"ca.pem\"\nusername = \"{USER}\"\npassword-env = \"TEST_SMTP_PASSWORD\"\n\
             from = \"{USER}\"\nto = [\"oncall@example.com\"]\n",
            port = smtp.port
        ),
    );
    let r = watch(&s, &tc, "1");
    r.expect_code(1);
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1, "{mail:?}\n{}", r.stderr);
    assert_eq!(mail[0]["tls"], true, "{mail:?}");
    assert_eq!(mail[0]["login"], USER);
    assert!(!r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD));
}

#[test]
fn an_email_route_with_a_missing_password_or_a_bad_address_is_a_settings_error() {
    let s = Scratch::new();
    let tc = TestCluster::start(Options::default()).expect("start the test API server");
    let k = tc.kubeconfig_path().display().to_string();
    s.write(
        "confgate.toml",
        "[[monitor.alerts.routes]]\nkind = \"email\"\nhost = \"smtp.example.com\"\nusername = \"u\"\n\
         password-env = \"TEST_SMTP_UNSET_PASSWORD\"\nfrom = \"a@example.com\"\nto = [\"b@example.com\"]\n",
    );
    let r = s.run(&["monitor", "-n", "default", "--kubeconfig", &k]);
    r.expect_code(2);
    assert!(
        r.stderr
            .contains("#1 (email): environment variable TEST_SMTP_UNSET_PASSWORD is not set"),
        "{}",
        r.stderr
    );
    s.write(
        "confgate.toml",
        "[[monitor.alerts.routes]]\nkind = \"email\"\nhost = \"smtp.example.com\"\nfrom = \"not an address\"\nto = [\"b@example.com\"]\n",
    );
    let r = s.run(&["monitor", "-n", "default", "--kubeconfig", &k]);
    r.expect_code(2);
    assert!(
        r.stderr.contains("is not an e-mail address"),
        "{}",
        r.stderr
    );
}
