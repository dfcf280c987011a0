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

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::Snapshot;
use super::history::Record;
use crate::diag::{Code, Diagnostic};

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

#[derive(Clone, Debug)]
struct Open {
    level: Level,
    since: i64,
    escalated: bool,
}

/// The alert state across checks.
#[derive(Clone, Debug)]
pub struct Alerter {
    pub threshold: u32,
    pub critical: u32,
    pub escalate_after: i64,
    pub adaptive: Option<Adaptive>,
    open: BTreeMap<String, Open>,
}

/// Mean and standard deviation of the last `window` known healths of `namespace`.
pub fn baseline(history: &[Record], namespace: &str, window: usize) -> Option<(f64, f64)> {
    let values: Vec<f64> = history
        .iter()
        .rev()
        .filter(|r| r.namespace == namespace)
        .filter_map(|r| r.health.map(f64::from))
        .take(window.max(10))
        .collect();
    if values.len() < 10 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    Some((mean, var.sqrt()))
}

impl Alerter {
    pub fn new(threshold: u32, section: &AlertSection) -> Alerter {
        Alerter {
            threshold,
            critical: section.critical_threshold.unwrap_or(50).min(threshold),
            escalate_after: section.escalate_after.unwrap_or(600.0).max(0.0) as i64,
            adaptive: section.adaptive.clone(),
            open: BTreeMap::new(),
        }
    }

    fn level_of(&self, health: u32, history: &[Record], ns: &str) -> Option<(Level, String)> {
        if health < self.critical {
            return Some((
                Level::Critical,
                format!("health {health} is under {}", self.critical),
            ));
        }
        if health < self.threshold {
            return Some((
                Level::Warning,
                format!("health {health} is under {}", self.threshold),
            ));
        }
        let a = self.adaptive.as_ref()?;
        let (mean, sd) = baseline(history, ns, a.window)?;
        (sd > 0.0 && f64::from(health) < mean - a.deviations * sd).then(|| {
            (
                Level::Warning,
                format!(
                    "health {health} is {:.1} standard deviations under its recent mean {mean:.1}",
                    (mean - f64::from(health)) / sd
                ),
            )
        })
    }

    /// The notifications `snap` calls for (`history`: the checks before it, for adaptive
    /// thresholds).
    pub fn update(&mut self, snap: &Snapshot, history: &[Record]) -> Vec<Notice> {
        let mut current: BTreeMap<String, (Level, String, Option<u32>)> = BTreeMap::new();
        if snap.reachable {
            for s in &snap.namespaces {
                if let Some((l, why)) = self.level_of(s.health.score, history, &s.namespace) {
                    current.insert(s.namespace.clone(), (l, why, Some(s.health.score)));
                }
            }
        } else {
            current.insert(
                "(cluster)".into(),
                (
                    Level::Critical,
                    format!(
                        "the cluster cannot be read, health unknown: {}",
                        snap.errors.first().map(String::as_str).unwrap_or("")
                    ),
                    None,
                ),
            );
        }
        let now = snap.taken_at;
        let mut out = Vec::new();
        let notice =
            |subject: &str, level, state, health, summary: String, since, escalation| Notice {
                subject: subject.to_string(),
                context: snap.context.clone(),
                level,
                state,
                health,
                summary,
                since,
                escalation,
            };
        // Resolved: open and no longer alerting (an unreachable cluster keeps the
        // namespaces' alerts open: nothing is known about them).
        let keys: Vec<String> = self.open.keys().cloned().collect();
        for k in keys {
            let keep_unknown = !snap.reachable && k != "(cluster)";
            if !current.contains_key(&k)
                && !keep_unknown
                && let Some(o) = self.open.remove(&k)
            {
                let health = snap
                    .namespaces
                    .iter()
                    .find(|n| n.namespace == k)
                    .map(|n| n.health.score);
                out.push(notice(
                    &k,
                    o.level,
                    "resolved",
                    health,
                    match health {
                        Some(h) => format!("health {h} is back at or above {}", self.threshold),
                        None => "the cluster can be read again".into(),
                    },
                    o.since,
                    o.escalated,
                ));
            }
        }
        for (k, (level, why, health)) in current {
            match self.open.get_mut(&k) {
                None => {
                    self.open.insert(
                        k.clone(),
                        Open {
                            level,
                            since: now,
                            escalated: false,
                        },
                    );
                    out.push(notice(&k, level, "firing", health, why.clone(), now, false));
                    if level == Level::Critical && self.escalate_after == 0 {
                        if let Some(o) = self.open.get_mut(&k) {
                            o.escalated = true;
                        }
                        out.push(notice(&k, level, "firing", health, why, now, true));
                    }
                }
                Some(o) if o.level != level => {
                    o.level = level;
                    let since = o.since;
                    out.push(notice(&k, level, "firing", health, why, since, false));
                }
                Some(o) => {
                    if o.level == Level::Critical
                        && !o.escalated
                        && now - o.since >= self.escalate_after
                    {
                        o.escalated = true;
                        let since = o.since;
                        out.push(notice(
                            &k,
                            level,
                            "firing",
                            health,
                            format!("{why} (unresolved for {} s: escalated)", now - since),
                            since,
                            true,
                        ));
                    }
                }
            }
        }
        out
    }
}

/// Whether `route` gets `n`.
pub fn routed(route: &Route, n: &Notice) -> bool {
    if n.level < route.severity {
        return false;
    }
    if route.escalate {
        // The on-call route: escalations, and the resolution of what was escalated.
        n.escalation
    } else {
        !n.escalation
    }
}

fn title(n: &Notice) -> String {
    let what = if n.subject == "(cluster)" {
        format!("cluster {}", n.context)
    } else {
        format!("namespace {} ({})", n.subject, n.context)
    };
    format!(
        "[{}] {} {what}",
        n.level.as_str().to_ascii_uppercase(),
        if n.state == "resolved" {
            "RESOLVED"
        } else {
            "FIRING"
        }
    )
}

/// The JSON a route of `kind` gets for `n` (the payload shapes those services document).
pub fn payload(kind: Kind, n: &Notice) -> Value {
    let t = title(n);
    match kind {
        Kind::Slack => json!({
            "text": format!("{t}: {}", n.summary),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": t}},
                {"type": "section", "text": {"type": "mrkdwn", "text": n.summary}},
            ],
        }),
        Kind::Teams => json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "text": t, "wrap": true},
                        {"type": "TextBlock", "text": n.summary, "wrap": true},
                    ],
                },
            }],
        }),
        Kind::Webhook => json!({
            "source": "confgate",
            "title": t,
            "notice": n,
        }),
        Kind::Alertmanager => {
            let starts = jiff::Timestamp::from_second(n.since)
                .map(|t| t.to_string())
                .unwrap_or_default();
            let mut alert = json!({
                "labels": {
                    "alertname": if n.subject == "(cluster)" { "ConfgateClusterUnreachable" } else { "ConfgateHealthLow" },
                    "severity": n.level.as_str(),
                    "context": n.context,
                },
                "annotations": {"summary": t, "description": n.summary},
                "startsAt": starts,
                "generatorURL": "",
            });
            if n.subject != "(cluster)" {
                alert["labels"]["namespace"] = json!(n.subject);
            }
            if n.state == "resolved" {
                alert["endsAt"] = json!(jiff::Timestamp::now().to_string());
            }
            json!([alert])
        }
    }
}

/// A route resolved for sending: its URL read from the file or the environment.
#[derive(Clone, Debug)]
pub struct Target {
    pub route: Route,
    url: String,
}

impl Target {
    /// `kind (host)`: how failures name it (never the URL: it is a secret).
    pub fn shown(&self) -> String {
        let host = self
            .url
            .parse::<hyper::Uri>()
            .ok()
            .and_then(|u| u.host().map(str::to_string))
            .unwrap_or_else(|| "?".into());
        format!("{} ({host})", self.route.kind.as_str())
    }
}

/// The routes with their URLs; a route without one is an error naming the route.
pub fn targets(section: &AlertSection) -> Result<Vec<Target>, Diagnostic> {
    let mut out = Vec::new();
    for (i, r) in section.routes.iter().enumerate() {
        let url = match (&r.url, &r.url_env) {
            (Some(u), _) => u.clone(),
            (None, Some(var)) => std::env::var(var).map_err(|_| {
                Diagnostic::new(
                    Code::Settings,
                    format!(
                        "[[monitor.alerts.routes]] #{} ({}): environment variable {var} is not set",
                        i + 1,
                        r.kind.as_str()
                    ),
                )
            })?,
            (None, None) => {
                return Err(Diagnostic::new(
                    Code::Settings,
                    format!(
                        "[[monitor.alerts.routes]] #{} ({}): give url-env (or url)",
                        i + 1,
                        r.kind.as_str()
                    ),
                ));
            }
        };
        let ok = url.parse::<hyper::Uri>().ok().is_some_and(|u| {
            matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
        });
        if !ok {
            return Err(Diagnostic::new(
                Code::Settings,
                format!(
                    "[[monitor.alerts.routes]] #{} ({}): the URL is not an http(s) URL",
                    i + 1,
                    r.kind.as_str()
                ),
            ));
        }
        out.push(Target {
            route: r.clone(),
            url,
        });
    }
    Ok(out)
}

/// Posts JSON (HTTP or HTTPS with the platform's roots).
pub struct Sender {
    client: hyper_util::client::legacy::Client<
        hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
        http_body_util::Full<hyper::body::Bytes>,
    >,
    timeout: Duration,
}

impl Sender {
    pub fn new(timeout: Duration) -> Result<Sender, Diagnostic> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| Diagnostic::new(Code::System, format!("TLS roots: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https);
        Ok(Sender { client, timeout })
    }

    async fn post_once(&self, url: &str, body: &Value) -> Result<(), String> {
        let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        let req = hyper::Request::post(url)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(
                hyper::header::USER_AGENT,
                format!("confgate/{}", crate::TOOL_VERSION),
            )
            .body(http_body_util::Full::new(hyper::body::Bytes::from(bytes)))
            .map_err(|_| "the request cannot be built".to_string())?;
        match tokio::time::timeout(self.timeout, self.client.request(req)).await {
            Err(_) => Err(format!(
                "no answer within {:.0} s",
                self.timeout.as_secs_f64()
            )),
            Ok(Err(e)) => Err(if e.is_connect() {
                "cannot connect".to_string()
            } else {
                "the request failed".to_string()
            }),
            Ok(Ok(r)) if r.status().is_success() => Ok(()),
            Ok(Ok(r)) => Err(format!("answered {}", r.status())),
        }
    }

    /// Sends `n` to `t`, trying 3 times; the error names the target, never its URL.
    pub async fn send(&self, t: &Target, n: &Notice) -> Result<(), String> {
        let url = match t.route.kind {
            Kind::Alertmanager => format!("{}/api/v2/alerts", t.url.trim_end_matches('/')),
            _ => t.url.clone(),
        };
        let body = payload(t.route.kind, n);
        let mut last = String::new();
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(300 * u64::from(attempt))).await;
            }
            match self.post_once(&url, &body).await {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(format!(
            "alert delivery to {} failed after 3 tries: {last}",
            t.shown()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::summarise;

    fn snap(t: i64, healths: &[(&str, u32)]) -> Snapshot {
        Snapshot {
            taken_at: t,
            context: "prod".into(),
            reachable: true,
            namespaces: healths
                .iter()
                .map(|(ns, h)| {
                    let mut s = summarise(
                        ns,
                        &[],
                        &[],
                        &[],
                        &[],
                        0,
                        Default::default(),
                        &Default::default(),
                        0,
                    );
                    s.health.score = *h;
                    s
                })
                .collect(),
            ..Snapshot::default()
        }
    }

    fn section() -> AlertSection {
        AlertSection {
            critical_threshold: Some(50),
            escalate_after: Some(600.0),
            ..AlertSection::default()
        }
    }

    #[test]
    fn alerts_fire_once_change_level_escalate_and_resolve() {
        let mut a = Alerter::new(80, &section());
        let n = a.update(&snap(0, &[("shop", 70), ("blog", 95)]), &[]);
        assert_eq!(n.len(), 1);
        assert_eq!(
            (n[0].subject.as_str(), n[0].level, n[0].state),
            ("shop", Level::Warning, "firing")
        );
        // Same state again: deduplicated.
        assert!(a.update(&snap(60, &[("shop", 72)]), &[]).is_empty());
        let n = a.update(&snap(120, &[("shop", 40)]), &[]);
        assert_eq!((n[0].level, n[0].escalation), (Level::Critical, false));
        assert!(a.update(&snap(500, &[("shop", 40)]), &[]).is_empty());
        let n = a.update(&snap(700, &[("shop", 40)]), &[]);
        assert_eq!(n.len(), 1);
        assert!(
            n[0].escalation && n[0].summary.contains("escalated"),
            "{n:?}"
        );
        assert!(a.update(&snap(760, &[("shop", 40)]), &[]).is_empty());
        let n = a.update(&snap(800, &[("shop", 90)]), &[]);
        assert_eq!((n[0].state, n[0].escalation), ("resolved", true));
    }

    #[test]
    fn an_unreachable_cluster_is_critical_and_keeps_namespace_alerts_open() {
        let mut a = Alerter::new(80, &section());
        a.update(&snap(0, &[("shop", 70)]), &[]);
        let lost = Snapshot {
            taken_at: 60,
            context: "prod".into(),
            reachable: false,
            errors: vec!["cannot reach".into()],
            ..Snapshot::default()
        };
        let n = a.update(&lost, &[]);
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(
            (n[0].subject.as_str(), n[0].level),
            ("(cluster)", Level::Critical)
        );
        let n = a.update(&snap(120, &[("shop", 70)]), &[]);
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(
            (n[0].subject.as_str(), n[0].state),
            ("(cluster)", "resolved")
        );
    }

    #[test]
    fn adaptive_thresholds_alert_on_a_drop_from_the_recent_mean() {
        let history: Vec<Record> = (0..20)
            .map(|i| Record {
                t: i,
                context: "prod".into(),
                namespace: "shop".into(),
                health: Some(if i % 2 == 0 { 97 } else { 99 }),
                pods_running: 1,
                pods_not_running: 0,
                restarts: 0,
                findings: 0,
            })
            .collect();
        let mut s = section();
        s.adaptive = Some(Adaptive {
            deviations: 3.0,
            window: 50,
        });
        let mut a = Alerter::new(80, &s);
        assert!(a.update(&snap(100, &[("shop", 96)]), &history).is_empty());
        let n = a.update(&snap(160, &[("shop", 90)]), &history);
        assert_eq!(n.len(), 1);
        assert!(n[0].summary.contains("standard deviations"), "{n:?}");
        assert_eq!(baseline(&history[..5], "shop", 50), None);
    }

    #[test]
    fn routes_by_level_and_escalation_and_payload_shapes() {
        let r = |severity, escalate| Route {
            kind: Kind::Slack,
            url: None,
            url_env: None,
            severity,
            escalate,
        };
        let mut n = Notice {
            subject: "shop".into(),
            context: "prod".into(),
            level: Level::Warning,
            state: "firing",
            health: Some(70),
            summary: "health 70 is under 80".into(),
            since: 0,
            escalation: false,
        };
        assert!(routed(&r(Level::Warning, false), &n));
        assert!(!routed(&r(Level::Critical, false), &n));
        assert!(!routed(&r(Level::Warning, true), &n));
        n.level = Level::Critical;
        n.escalation = true;
        assert!(routed(&r(Level::Critical, true), &n));
        assert!(!routed(&r(Level::Warning, false), &n));
        let slack = payload(Kind::Slack, &n);
        assert!(
            slack["text"]
                .as_str()
                .unwrap_or("")
                .starts_with("[CRITICAL] FIRING namespace shop")
        );
        let teams = payload(Kind::Teams, &n);
        assert_eq!(
            teams["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(teams["attachments"][0]["content"]["type"], "AdaptiveCard");
        let am = payload(Kind::Alertmanager, &n);
        assert_eq!(am[0]["labels"]["namespace"], "shop");
        assert_eq!(am[0]["labels"]["alertname"], "ConfgateHealthLow");
        assert!(am[0].get("endsAt").is_none());
    }

    #[test]
    fn a_route_needs_an_http_url_and_failures_never_show_it() {
        let bad = AlertSection {
            routes: vec![Route {
                kind: Kind::Webhook,
                url: Some("ftp://x".into()),
                url_env: None,
                severity: Level::Warning,
                escalate: false,
            }],
            ..AlertSection::default()
        };
        assert!(targets(&bad).is_err());
        let ok = AlertSection {
            routes: vec![Route {
                kind: Kind::Slack,
                url: Some("https://hooks.slack.com/services/T0/B0/secret-token".into()),
                url_env: None,
                severity: Level::Warning,
                escalate: false,
            }],
            ..AlertSection::default()
        };
        let t = targets(&ok).unwrap_or_default();
        assert_eq!(t[0].shown(), "slack (hooks.slack.com)");
        assert!(!t[0].shown().contains("secret-token"));
    }
}
