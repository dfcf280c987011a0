//! Turning client errors into one-line diagnostics that say what failed and where: the
//! server, the context, and for TLS which certificate check failed.

use crate::diag::{Code, Diagnostic};

use super::Cluster;

/// The whole chain of an error on one line (`a: b: c`), without repeats.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// What kind of failure an error is, for retries and for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with this HTTP status.
    Status(u16),
    /// No answer within the request timeout.
    Timeout,
    /// The TCP connection could not be made (refused, no route, DNS).
    Unreachable,
    /// The TLS handshake failed (certificate checks).
    Tls,
    /// Anything else (a malformed answer, a broken connection).
    Other,
}

impl Failure {
    /// Worth another try: the server was there but failed or was slow.
    pub fn transient(self) -> bool {
        matches!(
            self,
            Failure::Status(429 | 500 | 502 | 503 | 504) | Failure::Timeout | Failure::Other
        )
    }
}

/// Classifies a kube error.
pub fn classify(e: &kube::Error) -> Failure {
    if let kube::Error::Api(s) = e {
        return Failure::Status(s.code);
    }
    if timed_out(e) {
        return Failure::Timeout;
    }
    // What the error types do not tell apart is read from the chain's text.
    let text = chain(e).to_ascii_lowercase();
    if text.contains("timed out") || text.contains("timeout") || text.contains("deadline") {
        Failure::Timeout
    } else if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
        Failure::Tls
    } else if text.contains("connection refused")
        || text.contains("no route")
        || text.contains("dns error")
        || text.contains("failed to lookup")
        || text.contains("network is unreachable")
    {
        Failure::Unreachable
    } else {
        Failure::Other
    }
}

/// Did a timeout end the request? Decided by the error types along the `source()` chain:
/// an I/O error of kind `TimedOut` (kube's connect, read and write timeouts), tokio's
/// `Elapsed` (a `tokio::time::timeout` around a request) or a hyper timeout.
fn timed_out(e: &kube::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            || err.is::<tokio::time::error::Elapsed>()
            || err
                .downcast_ref::<hyper::Error>()
                .is_some_and(hyper::Error::is_timeout)
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// A TLS failure in words: which check failed.
fn tls_words(text: &str) -> &'static str {
    let t = text.to_ascii_lowercase();
    if t.contains("unknownissuer") || t.contains("unknown issuer") {
        "the server certificate is not signed by the kubeconfig's certificate-authority (UnknownIssuer)"
    } else if t.contains("notvalidforname") || t.contains("not valid for name") {
        "the server certificate is not valid for the server's address (NotValidForName)"
    } else if t.contains("expired") {
        "the server certificate has expired (Expired)"
    } else if t.contains("notvalidyet") {
        "the server certificate is not valid yet (NotValidYet)"
    } else if t.contains("revoked") {
        "the server certificate is revoked"
    } else if t.contains("badsignature") || t.contains("bad signature") {
        "the server certificate's signature does not verify (BadSignature)"
    } else if t.contains("certificate required") || t.contains("certificaterequired") {
        "the server requires a client certificate and none was sent"
    } else {
        "the TLS handshake failed"
    }
}

/// One line for a failed request to `cluster`: `what` is the request (`list pods`).
pub fn diagnostic(cluster: &Cluster, what: &str, e: &kube::Error) -> Diagnostic {
    describe(&cluster.server, &cluster.context, what, e, cluster.timeout)
}

/// The same, from the parts (used while connecting).
pub fn describe(
    server: &str,
    context: &str,
    what: &str,
    e: &kube::Error,
    timeout: std::time::Duration,
) -> Diagnostic {
    let text = chain(e);
    let (code, message) = match (classify(e), e) {
        (Failure::Status(401), _) => (
            Code::Cluster,
            format!("{server} (context {context}) rejected the credentials: 401 Unauthorized"),
        ),
        (Failure::Status(403), kube::Error::Api(s)) => (
            Code::Forbidden,
            format!(
                "{what}: forbidden (context {context}): {}",
                one_line(&s.message)
            ),
        ),
        (Failure::Status(code), kube::Error::Api(s)) => (
            Code::Cluster,
            format!(
                "{what}: {server} (context {context}) answered {code} {}: {}",
                s.reason,
                one_line(&s.message)
            ),
        ),
        (Failure::Timeout, _) => (
            Code::Cluster,
            format!(
                "{what}: {server} (context {context}) did not answer within {} s (--request-timeout)",
                timeout.as_secs_f64()
            ),
        ),
        (Failure::Unreachable, _) => (
            Code::Cluster,
            format!("cannot reach {server} (context {context}): {text}"),
        ),
        (Failure::Tls, _) => (
            Code::Cluster,
            format!(
                "TLS with {server} (context {context}) failed: {} ({text})",
                tls_words(&text)
            ),
        ),
        _ => (
            Code::Cluster,
            format!("{what}: {server} (context {context}): {text}"),
        ),
    };
    Diagnostic::new(code, one_line(&message))
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_say_which_check_failed() {
        assert!(tls_words("invalid peer certificate: UnknownIssuer").contains("not signed"));
        assert!(tls_words("invalid peer certificate: NotValidForName").contains("address"));
        assert!(tls_words("invalid peer certificate: Expired").contains("expired"));
    }

    #[test]
    fn timeouts_are_told_by_their_type_not_their_text() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow peer");
        let e = kube::Error::Service(Box::new(io));
        assert!(!chain(&e).to_ascii_lowercase().contains("time"));
        assert_eq!(classify(&e), Failure::Timeout);

        let elapsed = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map(|rt| {
                rt.block_on(async {
                    tokio::time::timeout(
                        std::time::Duration::from_millis(1),
                        std::future::pending::<()>(),
                    )
                    .await
                })
            });
        match elapsed {
            Ok(Err(elapsed)) => {
                let e = kube::Error::Service(Box::new(elapsed));
                assert_eq!(classify(&e), Failure::Timeout);
            }
            other => panic!("no elapsed timeout: {other:?}"),
        }

        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = kube::Error::Service(Box::new(refused));
        assert_eq!(classify(&e), Failure::Other);
    }

    #[test]
    fn only_server_side_failures_are_retried() {
        assert!(Failure::Status(500).transient());
        assert!(Failure::Status(503).transient());
        assert!(Failure::Timeout.transient());
        assert!(!Failure::Status(403).transient());
        assert!(!Failure::Status(404).transient());
        assert!(!Failure::Unreachable.transient());
        assert!(!Failure::Tls.transient());
    }
}
