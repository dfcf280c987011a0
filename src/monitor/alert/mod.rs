//! Alerts that reach people: the decisions (which namespace is alerting, at which
//! severity, when a critical alert escalates, when it resolves) are pure ([`Alerter`]);
//! delivery posts JSON to Slack and Microsoft Teams incoming webhooks, a generic webhook,
//! and Alertmanager's `/api/v2/alerts`, and sends e-mail over SMTP (`email.rs`), with a time
//! limit and bounded retries. Webhook URLs and SMTP passwords are secrets: a delivery failure
//! names the channel and its host, never the URL or the password.
//!
//! Severity: a health under `threshold` is a warning, under `critical-threshold` (or an
//! unreachable cluster) is critical. With `adaptive`, a namespace whose health falls more
//! than `deviations` standard deviations under its recent mean (from the history) alerts
//! too, even above the fixed threshold. A notification is sent when an alert starts, when
//! its severity changes, when it resolves, and (for routes marked `escalate`) once when a
//! critical alert stays unresolved for `escalate-after` seconds.
//!
//! The decisions are in `decide.rs`, delivery in `deliver.rs` (and `email.rs`); the settings
//! types and the
//! [`Notice`] they pass between them are here.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

mod decide;
mod deliver;
mod email;

pub use decide::{Alerter, baseline, routed};
pub use deliver::{Sender, Target, payload, targets};
pub use email::{Starttls, body as email_body, port_of as smtp_port, subject as email_subject};

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Warning,
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Critical => "critical",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Slack,
    Teams,
    #[default]
    Webhook,
    Alertmanager,
    /// E-mail over SMTP.
    Email,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Slack => "slack",
            Kind::Teams => "teams",
            Kind::Webhook => "webhook",
            Kind::Alertmanager => "alertmanager",
            Kind::Email => "email",
        }
    }
}

/// One `[[monitor.alerts.routes]]` entry. The HTTP kinds take `url`/`url-env`; `email`
/// takes the SMTP fields (`host` … `to`).
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Route {
    pub kind: Kind,
    /// The URL itself (better: `url-env`, so the secret stays out of the file).
    pub url: Option<String>,
    /// The environment variable holding the URL.
    pub url_env: Option<String>,
    /// The lowest level sent here (default warning).
    #[serde(default = "warning")]
    pub severity: Level,
    /// Critical alerts reach this route only once they stayed unresolved for
    /// `escalate-after` seconds (the on-call route).
    #[serde(default)]
    pub escalate: bool,
    /// E-mail: the SMTP server's host name.
    pub host: Option<String>,
    /// E-mail: the port (default 465 with `tls`, 25 without STARTTLS, else 587).
    pub port: Option<u16>,
    /// E-mail: STARTTLS `required` (default), `opportunistic` or `none`.
    #[serde(default)]
    pub starttls: Starttls,
    /// E-mail: implicit TLS from the first byte (SMTPS, port 465) instead of STARTTLS.
    #[serde(default)]
    pub tls: bool,
    /// E-mail: a PEM file of CA certificates trusted besides the system's.
    pub ca_file: Option<PathBuf>,
    /// E-mail: the AUTH user name.
    pub username: Option<String>,
    /// E-mail: the environment variable holding the password.
    pub password_env: Option<String>,
    /// E-mail: a file holding the password (trailing newline ignored).
    pub password_file: Option<PathBuf>,
    /// E-mail: the sender address.
    pub from: Option<String>,
    /// E-mail: the recipients.
    #[serde(default)]
    pub to: Vec<String>,
}

/// Without `url`, which may be a secret (a Slack webhook URL is one).
impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("kind", &self.kind)
            .field("url", &self.url.as_ref().map(|_| "<redacted>"))
            .field("url_env", &self.url_env)
            .field("severity", &self.severity)
            .field("escalate", &self.escalate)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("starttls", &self.starttls)
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .field("username", &self.username)
            .field("password_env", &self.password_env)
            .field("password_file", &self.password_file)
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

fn warning() -> Level {
    Level::Warning
}

/// Adaptive thresholds from the history.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Adaptive {
    /// Standard deviations under the recent mean that alert (default 3).
    #[serde(default = "three")]
    pub deviations: f64,
    /// How many recent checks the mean is taken over (default 50; at least 10 are needed).
    #[serde(default = "fifty")]
    pub window: usize,
}

fn three() -> f64 {
    3.0
}
fn fifty() -> usize {
    50
}

/// `[monitor.alerts]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AlertSection {
    /// Under this a namespace is critical (default 50, the original suite's rule).
    pub critical_threshold: Option<u32>,
    /// Seconds a critical alert stays unresolved before `escalate` routes get it
    /// (default 600).
    pub escalate_after: Option<f64>,
    pub adaptive: Option<Adaptive>,
    /// Seconds one delivery may take (default 5); it is tried 3 times. For e-mail it bounds
    /// each SMTP exchange, and one try (connect, TLS, AUTH, send) gets twice as long.
    pub timeout: Option<f64>,
    #[serde(default)]
    pub routes: Vec<Route>,
}

impl AlertSection {
    /// The time limit of one delivery try (`timeout`, 0.1 to 60 s, default 5).
    pub fn delivery_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout.unwrap_or(5.0).clamp(0.1, 60.0))
    }
}

/// A notification to send.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Notice {
    /// The namespace, or `(cluster)`.
    pub subject: String,
    pub context: String,
    pub level: Level,
    /// `firing` or `resolved`.
    pub state: &'static str,
    pub health: Option<u32>,
    pub summary: String,
    /// Started at (seconds since the epoch).
    pub since: i64,
    /// Only for `escalate` routes.
    pub escalation: bool,
}

#[cfg(test)]
mod tests;
