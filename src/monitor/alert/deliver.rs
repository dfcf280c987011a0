//! Delivery: the JSON payload of each channel kind (Slack, Teams, a generic webhook,
//! Alertmanager), the routes' targets (an e-mail route becomes a [`Mailer`]), and the
//! [`Sender`] that posts or mails with a time limit and bounded retries. A failure names the
//! channel and its host, never the URL or a password.

use std::time::Duration;

use serde_json::{Value, json};

use super::email::{self, Mailer};
use super::{AlertSection, Kind, Notice, Route};
use crate::diag::{Code, Diagnostic};

pub(super) fn title(n: &Notice) -> String {
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
        Kind::Email => json!({
            "subject": email::subject(n),
            "body": email::body(n),
        }),
    }
}

/// Where a target delivers.
enum Dest {
    /// The URL (a secret), read from the file or the environment.
    Http(String),
    Smtp(Box<Mailer>),
}

/// A route resolved for sending.
pub struct Target {
    pub route: Route,
    dest: Dest,
}

/// Names the target only: its URL and password are secrets.
impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("kind", &self.route.kind)
            .field("shown", &self.shown())
            .finish_non_exhaustive()
    }
}

impl Target {
    /// The URL an HTTP route posts to (a secret: never show it); `None` for e-mail.
    pub fn http_url(&self) -> Option<&str> {
        match &self.dest {
            Dest::Http(u) => Some(u),
            Dest::Smtp(_) => None,
        }
    }

    /// `kind (host)`: how failures name it (never the URL: it is a secret).
    pub fn shown(&self) -> String {
        match &self.dest {
            Dest::Smtp(m) => m.shown(),
            Dest::Http(url) => {
                let host = url
                    .parse::<hyper::Uri>()
                    .ok()
                    .and_then(|u| u.host().map(str::to_string))
                    .unwrap_or_else(|| "?".into());
                format!("{} ({host})", self.route.kind.as_str())
            }
        }
    }
}

/// The routes with their URLs; a route without one is an error naming the route.
pub fn targets(section: &AlertSection) -> Result<Vec<Target>, Diagnostic> {
    let mut out = Vec::new();
    for (i, r) in section.routes.iter().enumerate() {
        if r.kind == Kind::Email {
            let m = email::mailer(i, r, section.delivery_timeout())?;
            out.push(Target {
                route: r.clone(),
                dest: Dest::Smtp(Box::new(m)),
            });
            continue;
        }
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
            dest: Dest::Http(url),
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

    /// Sends `n` to `t`, trying 3 times; the error names the target, never its URL or
    /// password.
    pub async fn send(&self, t: &Target, n: &Notice) -> Result<(), String> {
        let mut last = String::new();
        match &t.dest {
            Dest::Http(url) => {
                let url = match t.route.kind {
                    Kind::Alertmanager => {
                        format!("{}/api/v2/alerts", url.trim_end_matches('/'))
                    }
                    _ => url.clone(),
                };
                let body = payload(t.route.kind, n);
                for attempt in 0..3u32 {
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(300 * u64::from(attempt))).await;
                    }
                    match self.post_once(&url, &body).await {
                        Ok(()) => return Ok(()),
                        Err(e) => last = e,
                    }
                }
            }
            Dest::Smtp(m) => {
                let message = m
                    .message(n)
                    .map_err(|e| format!("alert delivery to {} failed: {e}", t.shown()))?;
                for attempt in 0..3u32 {
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(300 * u64::from(attempt))).await;
                    }
                    // An SMTP delivery is several exchanges: the limit is per try, twice
                    // the per-exchange timeout.
                    match m.send_once(&message, self.timeout * 2).await {
                        Ok(()) => return Ok(()),
                        Err(e) => last = e,
                    }
                }
            }
        }
        Err(format!(
            "alert delivery to {} failed after 3 tries: {last}",
            t.shown()
        ))
    }
}
