//! Bounded retries with backoff for reads: a 500, 502, 503, 504, 429 or a timeout is tried
//! again (three attempts in all, 250 ms then 750 ms apart), each attempt limited by the
//! request timeout; anything else (403, 404, a refused connection, TLS) fails at once.

use std::future::Future;
use std::time::Duration;

use crate::diag::Diagnostic;

use super::{Cluster, errors};

const ATTEMPTS: usize = 3;
const BACKOFF: [Duration; 2] = [Duration::from_millis(250), Duration::from_millis(750)];

/// Runs `call` until it succeeds, fails for good, or runs out of attempts.
pub async fn read<T, F, Fut>(cluster: &Cluster, what: &str, call: F) -> Result<T, Diagnostic>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let failure = match tokio::time::timeout(cluster.timeout, call()).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => {
                let kind = errors::classify(&e);
                if !kind.transient() || attempt >= ATTEMPTS {
                    let mut d = errors::diagnostic(cluster, what, &e);
                    if attempt > 1 {
                        d = d.map_message(|m| format!("{m} (after {attempt} attempts)"));
                    }
                    return Err(d);
                }
                errors::chain(&e)
            }
            Err(_) => {
                if attempt >= ATTEMPTS {
                    return Err(cluster
                        .timed_out(what)
                        .map_message(|m| format!("{m} (after {attempt} attempts)")));
                }
                "timed out".to_string()
            }
        };
        tracing::debug!(attempt, %failure, "{what}: retrying");
        tokio::time::sleep(BACKOFF[(attempt - 1).min(BACKOFF.len() - 1)]).await;
    }
}
