//! The monitoring endpoints of the settings, probed once each: Prometheus' and
//! Alertmanager's `/-/healthy` by an HTTP GET, the origin of each webhook route by a GET
//! that any answer satisfies (a webhook has no health endpoint, and its path is the secret:
//! reaching its server is what can be checked without posting), and each e-mail route's SMTP
//! server by a TCP connection. A route is shown by its number and kind, never its URL.

use std::time::Duration;

use super::{Check, State};
use crate::diag::Diagnostic;

/// How an endpoint is probed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// A GET that must answer 2xx.
    Healthy,
    /// A GET that any HTTP answer satisfies.
    Answers,
    /// A TCP connection to `host:port`.
    Connects,
}

/// An endpoint to probe: its check name, what to show (never a secret URL), the URL to GET
/// (or `host:port` to connect to) and how.
pub struct Endpoint {
    pub name: String,
    pub shown: String,
    pub url: String,
    pub probe: Probe,
}

/// The monitoring endpoints of the settings: Prometheus' and Alertmanager's `/-/healthy`,
/// and the origin of each webhook route (its path is the secret).
pub fn endpoints(
    prometheus: Option<&str>,
    alerts: &crate::monitor::alert::AlertSection,
) -> Result<Vec<Endpoint>, Diagnostic> {
    use crate::monitor::alert::Kind;
    let mut out = Vec::new();
    if let Some(p) = prometheus {
        out.push(Endpoint {
            name: "prometheus".into(),
            shown: format!("Prometheus {p}"),
            url: format!("{}/-/healthy", p.trim_end_matches('/')),
            probe: Probe::Healthy,
        });
    }
    for (i, t) in crate::monitor::alert::targets(alerts)?.iter().enumerate() {
        let route = format!("route #{} ({})", i + 1, t.route.kind.as_str());
        let Some(url) = t.http_url() else {
            let host = t.route.host.clone().unwrap_or_default();
            let port = crate::monitor::alert::smtp_port(&t.route);
            out.push(Endpoint {
                name: format!("alerts:route-{}", i + 1),
                shown: format!("{route} SMTP {host}:{port}"),
                url: format!("{host}:{port}"),
                probe: Probe::Connects,
            });
            continue;
        };
        let e = match t.route.kind {
            Kind::Alertmanager => Endpoint {
                name: format!("alerts:route-{}", i + 1),
                shown: route,
                url: format!("{}/-/healthy", url.trim_end_matches('/')),
                probe: Probe::Healthy,
            },
            _ => Endpoint {
                name: format!("alerts:route-{}", i + 1),
                shown: route,
                url: origin(url).unwrap_or_default(),
                probe: Probe::Answers,
            },
        };
        out.push(e);
    }
    Ok(out)
}

/// A TCP connection to the endpoint's `host:port` within `timeout`.
async fn connects(ep: &Endpoint, timeout: Duration) -> Check {
    let fix =
        "check host and port of the route in confgate.toml and the network path to the SMTP server";
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(ep.url.as_str())).await {
        Ok(Ok(_)) => Check::new(&ep.name, State::Ok, format!("{}: reachable", ep.shown)),
        Ok(Err(e)) => Check::new(
            &ep.name,
            State::Missing,
            format!("{}: cannot connect: {e}", ep.shown),
        )
        .fix(fix),
        Err(_) => Check::new(
            &ep.name,
            State::Missing,
            format!(
                "{}: no connection within {:.0} s",
                ep.shown,
                timeout.as_secs_f64()
            ),
        )
        .fix(fix),
    }
}

/// `scheme://host[:port]/` of `url`.
fn origin(url: &str) -> Option<String> {
    let u = url.parse::<hyper::Uri>().ok()?;
    Some(format!("{}://{}/", u.scheme_str()?, u.authority()?))
}

/// GETs each endpoint (bounded by `timeout`); errors never carry the URL.
pub async fn endpoint_checks(endpoints: &[Endpoint], timeout: Duration) -> Vec<Check> {
    let https = match hyper_rustls::HttpsConnectorBuilder::new().with_native_roots() {
        Ok(b) => b.https_or_http().enable_http1().build(),
        Err(e) => {
            return endpoints
                .iter()
                .map(|ep| {
                    Check::new(
                        &ep.name,
                        State::Missing,
                        format!("{}: TLS roots: {e}", ep.shown),
                    )
                })
                .collect();
        }
    };
    let client: hyper_util::client::legacy::Client<_, http_body_util::Empty<hyper::body::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https);
    let mut out = Vec::new();
    for ep in endpoints {
        if ep.probe == Probe::Connects {
            out.push(connects(ep, timeout).await);
            continue;
        }
        let req = hyper::Request::get(ep.url.as_str())
            .header(
                hyper::header::USER_AGENT,
                format!("confgate/{} doctor", crate::TOOL_VERSION),
            )
            .body(http_body_util::Empty::new());
        let fix =
            "check the URL in confgate.toml (or its url-env variable) and the network path to it";
        let check = match req {
            Err(_) => Check::new(
                &ep.name,
                State::Missing,
                format!("{}: not a usable URL", ep.shown),
            )
            .fix(fix),
            Ok(req) => match tokio::time::timeout(timeout, client.request(req)).await {
                Err(_) => Check::new(
                    &ep.name,
                    State::Missing,
                    format!(
                        "{}: no answer within {:.0} s",
                        ep.shown,
                        timeout.as_secs_f64()
                    ),
                )
                .fix(fix),
                Ok(Err(e)) => Check::new(
                    &ep.name,
                    State::Missing,
                    format!(
                        "{}: {}",
                        ep.shown,
                        if e.is_connect() {
                            "cannot connect"
                        } else {
                            "the request failed"
                        }
                    ),
                )
                .fix(fix),
                Ok(Ok(r)) if r.status().is_success() || ep.probe == Probe::Answers => Check::new(
                    &ep.name,
                    State::Ok,
                    format!("{}: reachable (HTTP {})", ep.shown, r.status().as_u16()),
                ),
                Ok(Ok(r)) => Check::new(
                    &ep.name,
                    State::Missing,
                    format!("{}: unhealthy (HTTP {})", ep.shown, r.status().as_u16()),
                )
                .fix("the server answers but reports itself unhealthy: see its logs"),
            },
        };
        out.push(check);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_is_probed_at_its_origin_never_its_secret_path() {
        assert_eq!(
            origin("https://hooks.slack.com/services/T000/B000/XXXX").as_deref(),
            Some("https://hooks.slack.com/")
        );
        assert_eq!(
            origin("http://127.0.0.1:9093/x").as_deref(),
            Some("http://127.0.0.1:9093/")
        );
    }
}
