//! E-mail alerts over SMTP, through `lettre` (tokio, rustls with ring; no OpenSSL): the
//! message a notice becomes (subject and plain-text body), and the [`Mailer`] a route
//! resolves to (server, STARTTLS required/opportunistic/none or implicit TLS, an extra CA,
//! AUTH with a password read from an environment variable or a file).
//!
//! The password is a secret: it lives only inside the transport and a [`Mailer`] (whose
//! `Debug` leaves it out), and every error text is scrubbed of it before anyone sees it.

use std::path::Path;
use std::time::Duration;

use lettre::message::{Mailbox, Message, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;

use super::{Notice, Route};
use crate::diag::{Code, Diagnostic};

/// How the connection is secured when `tls` (implicit TLS) is off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Starttls {
    /// Upgrade with STARTTLS or fail (the default): nothing is sent in the clear.
    #[default]
    Required,
    /// Upgrade when the server offers STARTTLS, else go on in plain text.
    Opportunistic,
    /// Plain SMTP (a trusted local relay only).
    None,
}

/// The SMTP port of an e-mail route: `port`, else 465 with `tls`, 25 without STARTTLS, else
/// 587.
pub fn port_of(r: &super::Route) -> u16 {
    r.port.unwrap_or(match (r.tls, r.starttls) {
        (true, _) => 465,
        (false, Starttls::None) => 25,
        (false, _) => 587,
    })
}

/// An e-mail route ready to send.
pub struct Mailer {
    host: String,
    port: u16,
    from: Mailbox,
    to: Vec<Mailbox>,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// Kept only to scrub error texts.
    password: Option<String>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from.to_string())
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

fn bad(i: usize, what: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::new(
        Code::Settings,
        format!("[[monitor.alerts.routes]] #{} (email): {what}", i + 1),
    )
}

fn read_password(i: usize, r: &Route) -> Result<Option<String>, Diagnostic> {
    match (&r.password_env, &r.password_file) {
        (Some(_), Some(_)) => Err(bad(i, "give password-env or password-file, not both")),
        (Some(var), None) => std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .map(Some)
            .ok_or_else(|| bad(i, format!("environment variable {var} is not set"))),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| bad(i, format!("password-file {}: {}", file.display(), e.kind())))?;
            let p = text.trim_end_matches(['\r', '\n']).to_string();
            if p.is_empty() {
                return Err(bad(i, format!("password-file {} is empty", file.display())));
            }
            Ok(Some(p))
        }
        (None, None) => Ok(None),
    }
}

fn tls_parameters(i: usize, host: &str, ca: Option<&Path>) -> Result<TlsParameters, Diagnostic> {
    let mut b = TlsParameters::builder(host.to_string());
    if let Some(ca) = ca {
        let pem = std::fs::read(ca)
            .map_err(|e| bad(i, format!("ca-file {}: {}", ca.display(), e.kind())))?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|_| bad(i, format!("ca-file {}: not PEM certificates", ca.display())))?;
        b = b.add_root_certificate(cert);
    }
    b.build_rustls()
        .map_err(|e| bad(i, format!("TLS settings: {e}")))
}

fn mailbox(i: usize, field: &str, s: &str) -> Result<Mailbox, Diagnostic> {
    s.parse::<Mailbox>()
        .map_err(|e| bad(i, format!("{field} {s:?} is not an e-mail address: {e}")))
}

/// The mailer of route `i` (`r.kind` is email); `timeout` bounds each SMTP exchange.
pub fn mailer(i: usize, r: &Route, timeout: Duration) -> Result<Mailer, Diagnostic> {
    let host = r
        .host
        .clone()
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| bad(i, "give host (the SMTP server)"))?;
    let from = mailbox(
        i,
        "from",
        r.from
            .as_deref()
            .ok_or_else(|| bad(i, "give from (the sender address)"))?,
    )?;
    if r.to.is_empty() {
        return Err(bad(i, "give to (a list of recipient addresses)"));
    }
    let to =
        r.to.iter()
            .map(|t| mailbox(i, "to", t))
            .collect::<Result<Vec<_>, _>>()?;
    let password = read_password(i, r)?;
    let port = port_of(r);
    let tls = if r.tls {
        Tls::Wrapper(tls_parameters(i, &host, r.ca_file.as_deref())?)
    } else {
        match r.starttls {
            Starttls::Required => Tls::Required(tls_parameters(i, &host, r.ca_file.as_deref())?),
            Starttls::Opportunistic => {
                Tls::Opportunistic(tls_parameters(i, &host, r.ca_file.as_deref())?)
            }
            Starttls::None => Tls::None,
        }
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
        .port(port)
        .tls(tls)
        .timeout(Some(timeout));
    match (&r.username, &password) {
        (Some(u), Some(p)) => builder = builder.credentials(Credentials::new(u.clone(), p.clone())),
        (Some(_), None) => return Err(bad(i, "username needs password-env or password-file")),
        (None, Some(_)) => return Err(bad(i, "a password needs a username")),
        (None, None) => {}
    }
    Ok(Mailer {
        host,
        port,
        from,
        to,
        transport: builder.build(),
        password,
    })
}

/// The TLS error under `e`, if the failure was one (an untrusted certificate, a handshake).
fn tls_cause(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if let Some(r) = x.downcast_ref::<rustls::Error>() {
            return Some(r.to_string());
        }
        if let Some(r) = x
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return Some(r.to_string());
        }
        cur = x.source();
    }
    None
}

/// `[WARNING] FIRING namespace shop (prod)`, as the chat routes' titles.
pub fn subject(n: &Notice) -> String {
    super::deliver::title(n)
}

/// The plain-text body: what happened, where, the health and the summary.
pub fn body(n: &Notice) -> String {
    let when = jiff::Timestamp::from_second(n.since)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| n.since.to_string());
    let mut out = String::new();
    if n.state == "resolved" {
        out.push_str("The alert is resolved.\n\n");
    } else if n.escalation {
        out.push_str("The alert is still firing and is escalated to you.\n\n");
    } else {
        out.push_str("An alert is firing.\n\n");
    }
    if n.subject == "(cluster)" {
        out.push_str("Namespace: (the whole cluster)\n");
    } else {
        out.push_str(&format!("Namespace: {}\n", n.subject));
    }
    out.push_str(&format!("Context:   {}\n", n.context));
    out.push_str(&format!("Severity:  {}\n", n.level.as_str()));
    out.push_str(&format!("State:     {}\n", n.state));
    out.push_str(&format!(
        "Health:    {}\n",
        n.health
            .map(|h| format!("{h}/100"))
            .unwrap_or_else(|| "unknown".into())
    ));
    out.push_str(&format!("Since:     {when}\n"));
    out.push_str(&format!("Summary:   {}\n", n.summary));
    out.push_str("\n-- \nconfgate monitor\n");
    out
}

impl Mailer {
    /// `email (host:port)`: how failures name it.
    pub fn shown(&self) -> String {
        format!("email ({}:{})", self.host, self.port)
    }

    /// `text` without the password.
    fn scrub(&self, text: String) -> String {
        match &self.password {
            Some(p) if !p.is_empty() => text.replace(p.as_str(), "***"),
            _ => text,
        }
    }

    /// The message of `n`.
    pub fn message(&self, n: &Notice) -> Result<Message, String> {
        let mut b = Message::builder()
            .from(self.from.clone())
            .subject(subject(n))
            .header(ContentType::TEXT_PLAIN);
        for t in &self.to {
            b = b.to(t.clone());
        }
        b.body(body(n))
            .map_err(|e| format!("the message cannot be built: {e}"))
    }

    /// One try: connect, secure, authenticate, send; the error text never holds the password.
    pub async fn send_once(&self, m: &Message, limit: Duration) -> Result<(), String> {
        match tokio::time::timeout(limit, self.transport.send(m.clone())).await {
            Err(_) => Err(format!("no answer within {:.0} s", limit.as_secs_f64())),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                let text = e.to_string();
                let mut inner = text.as_str();
                while let Some(rest) = inner.strip_prefix("Connection error: ") {
                    inner = rest;
                }
                let what = if let Some(t) = tls_cause(&e) {
                    format!("TLS failed: {t}")
                } else if e.is_permanent() || e.is_transient() {
                    format!("the server refused: {text}")
                } else if e.is_tls() {
                    format!("TLS failed: {inner}")
                } else if e.is_timeout() {
                    "the server did not answer in time".to_string()
                } else if inner.len() < text.len() {
                    format!("cannot connect: {inner}")
                } else {
                    text.clone()
                };
                Err(self.scrub(crate::report::escape::control(&what).into_owned()))
            }
        }
    }
}
