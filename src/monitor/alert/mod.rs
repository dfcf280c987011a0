//! Alerts that reach people: the decisions (which namespace is alerting, at which
//! severity, when a critical alert escalates, when it resolves) are pure ([`Alerter`]);
//! delivery posts JSON to Slack and Microsoft Teams incoming webhooks, a generic webhook,
//! and Alertmanager's `/api/v2/alerts`, with a time limit and bounded retries. Webhook URLs
//! are secrets: a delivery failure names the channel and its host, never the URL.
//!
//! Severity: a health under `threshold` is a warning, under `critical-threshold` (or an
//! unreachable cluster) is critical. With `adaptive`, a namespace whose health falls more
//! than `deviations` standard deviations under its recent mean (from the history) alerts
//! too, even above the fixed threshold. A notification is sent when an alert starts, when
//! its severity changes, when it resolves, and (for routes marked `escalate`) once when a
//! critical alert stays unresolved for `escalate-after` seconds.
//!
//! The decisions are in `decide.rs`, delivery in `deliver.rs`; the settings types and the
//! [`Notice`] they pass between them are here.

use serde::Deserialize;

mod decide;
mod deliver;

pub use decide::{Alerter, baseline, routed};
pub use deliver::{Sender, Target, payload, targets};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Slack,
    Teams,
    Webhook,
    Alertmanager,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Slack => "slack",
            Kind::Teams => "teams",
            Kind::Webhook => "webhook",
            Kind::Alertmanager => "alertmanager",
        }
    }
}

/// One `[[monitor.alerts.routes]]` entry.
#[derive(Clone, Debug, Deserialize, PartialEq)]
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
    /// Seconds one delivery may take (default 5); it is tried 3 times.
    pub timeout: Option<f64>,
    #[serde(default)]
    pub routes: Vec<Route>,
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
