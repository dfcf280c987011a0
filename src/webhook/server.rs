//! `confgate serve --webhook`: HTTPS with rustls, the certificate and key read again when
//! their files change (cert-manager rotates them in place), `/validate`, `/healthz`,
//! `/readyz` and `/metrics`. The accept loop only accepts: each connection is served on its
//! own task, each review is decided on the scanner's pool through `spawn_blocking`, and a
//! review that passes the deadline is answered by the failure policy. Bodies over the limit
//! get 413, malformed ones 400, slow clients are cut by a header timeout.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::{Webhook, decide};
use crate::diag::{Code, Diagnostic};

/// How the server runs.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Largest request body accepted.
    pub max_body: usize,
    /// Time a review may take before the failure policy answers.
    pub deadline: Duration,
    /// Metric name prefix; `None` = no `/metrics`.
    pub metrics_prefix: Option<String>,
    /// Seconds between checks of the certificate files.
    pub reload_check: Duration,
}

/// The certificate in use, read again when its files change.
pub struct CertReloader {
    cert: PathBuf,
    key: PathBuf,
    state: Mutex<CertState>,
    check_every: Duration,
}

struct CertState {
    key: Arc<CertifiedKey>,
    stamp: (Option<SystemTime>, Option<SystemTime>),
    checked: Instant,
}

impl std::fmt::Debug for CertReloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertReloader")
            .field("cert", &self.cert)
            .finish()
    }
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Reads a certificate chain and its key (PEM); a problem names the file.
pub fn load_certified_key(cert: &Path, key: &Path) -> Result<CertifiedKey, Diagnostic> {
    let bad =
        |p: &Path, m: String| Diagnostic::new(Code::Settings, m).file(p.display().to_string());
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, format!("cannot read the TLS certificate: {e}")))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(cert, format!("not a PEM certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(bad(
            cert,
            "no certificate in the file (expected PEM)".into(),
        ));
    }
    let der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| bad(key, format!("cannot read the TLS private key (PEM): {e}")))?;
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(der)
        .map_err(|e| bad(key, format!("unusable TLS private key: {e}")))?;
    let ck = CertifiedKey::new(chain, signing);
    ck.keys_match().map_err(|e| {
        bad(
            key,
            format!("the key does not belong to {}: {e}", cert.display()),
        )
    })?;
    Ok(ck)
}

impl CertReloader {
    pub fn new(cert: &Path, key: &Path, check_every: Duration) -> Result<CertReloader, Diagnostic> {
        let ck = load_certified_key(cert, key)?;
        Ok(CertReloader {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            state: Mutex::new(CertState {
                key: Arc::new(ck),
                stamp: (modified(cert), modified(key)),
                checked: Instant::now(),
            }),
            check_every,
        })
    }

    /// The key to present, after reading the files again when they changed (at most once
    /// per `check_every`). A new pair that cannot be used leaves the old one in use.
    fn current(&self) -> Option<Arc<CertifiedKey>> {
        let mut s = self.state.lock().ok()?;
        if s.checked.elapsed() >= self.check_every {
            s.checked = Instant::now();
            let stamp = (modified(&self.cert), modified(&self.key));
            if stamp != s.stamp {
                match load_certified_key(&self.cert, &self.key) {
                    Ok(ck) => {
                        tracing::info!(cert = %self.cert.display(), "TLS certificate reloaded");
                        s.key = Arc::new(ck);
                        s.stamp = stamp;
                    }
                    // Half-written during a rotation: try again at the next check.
                    Err(e) => tracing::warn!(error = %e.message, "TLS certificate not reloaded"),
                }
            }
        }
        Some(s.key.clone())
    }
}

impl ResolvesServerCert for CertReloader {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current()
    }
}

#[derive(Clone)]
struct App {
    webhook: Arc<Webhook>,
    deadline: Duration,
    max_body: usize,
    /// One permit per core: reviews beyond that wait their turn in order (FIFO) instead of
    /// all running at once, which keeps tail latency and memory flat under load.
    evaluators: Arc<tokio::sync::Semaphore>,
    prefix: Option<Arc<str>>,
    ready: Arc<dyn Fn() -> Result<(), String> + Send + Sync>,
}

fn json(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn too_large_body(app: &App) -> Response {
    app.webhook.metrics.rejected(413);
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONNECTION, "close")],
        format!(
            "the review is larger than {} bytes (--max-body)\n",
            app.max_body
        ),
    )
        .into_response()
}

async fn validate(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    // A declared length over the limit is refused before a byte of the body is read.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.max_body as u64) {
        return too_large_body(&app);
    }
    // A client that trickles its body is cut at the deadline (the API server sends the
    // whole review at once).
    let body: Bytes =
        match tokio::time::timeout(app.deadline, axum::body::to_bytes(body, app.max_body)).await {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => return too_large_body(&app),
            Err(_) => {
                app.webhook.metrics.rejected(408);
                return (
                    StatusCode::REQUEST_TIMEOUT,
                    [(header::CONNECTION, "close")],
                    format!(
                        "the review body did not arrive within {} s\n",
                        app.deadline.as_secs_f64()
                    ),
                )
                    .into_response();
            }
        };
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    if !ctype.starts_with("application/json") {
        app.webhook.metrics.rejected(415);
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("expected Content-Type application/json, got {ctype}\n"),
        )
            .into_response();
    }
    let request = match super::parse(&body) {
        Ok(r) => r,
        Err(e) => {
            app.webhook.metrics.rejected(400);
            return (StatusCode::BAD_REQUEST, format!("{}\n", e.0)).into_response();
        }
    };
    let request = Arc::new(request);
    let webhook = app.webhook.clone();
    let evaluators = app.evaluators.clone();
    let for_review = request.clone();
    let work = async move {
        let _permit = evaluators.acquire_owned().await;
        tokio::task::spawn_blocking(move || webhook.review_request(&for_review)).await
    };
    let reviewed = match tokio::time::timeout(app.deadline, work).await {
        Ok(Ok(r)) => r,
        outcome => {
            let reason = if outcome.is_err() {
                "deadline"
            } else {
                "internal"
            };
            let policy = app.webhook.policy();
            let cause = if outcome.is_err() {
                format!("no decision within {} s", app.deadline.as_secs_f64())
            } else {
                "internal error".to_string()
            };
            let (resp, decision) = decide::failed(&request, policy, &cause);
            app.webhook.metrics.failure(reason, policy.failure.as_str());
            let op = super::operation_label(&request.operation);
            app.webhook
                .metrics
                .review(op, decision.label(), started.elapsed());
            tracing::warn!(uid = %request.uid, reason, "review answered by the failure policy");
            return json(
                StatusCode::OK,
                serde_json::to_vec(&resp.into_review()).unwrap_or_default(),
            );
        }
    };
    let m = &app.webhook.metrics;
    match (&reviewed.decision, &reviewed.skipped) {
        (Some(d), _) => {
            if let decide::Decision::Failed(p) = d {
                m.failure("evaluation", p.as_str());
            }
            m.review(reviewed.operation, d.label(), started.elapsed());
            tracing::info!(
                uid = %request.uid,
                operation = reviewed.operation,
                kind = %request.kind.kind,
                namespace = request.namespace.as_deref().unwrap_or(""),
                name = %request.name,
                dry_run = request.dry_run,
                decision = d.label(),
                "reviewed"
            );
        }
        (None, Some(s)) => m.skipped(s.label()),
        (None, None) => {}
    }
    json(
        StatusCode::OK,
        serde_json::to_vec(&reviewed.review).unwrap_or_default(),
    )
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(app): State<App>) -> Response {
    match (app.ready)() {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}\n")).into_response(),
    }
}

async fn metrics(State(app): State<App>) -> Response {
    match &app.prefix {
        Some(p) => {
            let (inv, built) = app.webhook.inventory();
            let synced = (app.ready)().is_ok();
            app.webhook
                .metrics
                .inventory(inv.len(), synced, built.elapsed());
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                app.webhook.metrics.prometheus(p),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "metrics are off (--metrics)\n").into_response(),
    }
}

async fn too_large(State(app): State<App>, req: axum::extract::Request) -> Response {
    let _ = req;
    app.webhook.metrics.rejected(404);
    (
        StatusCode::NOT_FOUND,
        "unknown path; the webhook serves /validate\n",
    )
        .into_response()
}

/// The routes, for [`serve`] and for tests that drive them without TLS.
pub fn router(
    webhook: Arc<Webhook>,
    opts: &ServerOptions,
    ready: Arc<dyn Fn() -> Result<(), String> + Send + Sync>,
) -> Router {
    let app = App {
        webhook,
        deadline: opts.deadline,
        max_body: opts.max_body,
        evaluators: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        )),
        prefix: opts.metrics_prefix.as_deref().map(Arc::from),
        ready,
    };
    Router::new()
        .route("/validate", post(validate))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(too_large)
        .layer(DefaultBodyLimit::max(opts.max_body))
        .with_state(app)
}

/// The TLS configuration presenting the reloading certificate (HTTP/1.1).
pub fn tls_config(reloader: Arc<CertReloader>) -> Result<Arc<rustls::ServerConfig>, Diagnostic> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Diagnostic::new(Code::System, format!("TLS setup failed: {e}")))?
        .with_no_client_auth()
        .with_cert_resolver(reloader);
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Serves HTTPS on `listener` until `stop` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), Diagnostic> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let service = hyper_util::service::TowerToHyperService::new(app);
    tokio::pin!(stop);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut stop => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let service = service.clone();
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                };
            let io = hyper_util::rt::TokioIo::new(tls);
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .keep_alive(true)
                .serve_connection(io, service);
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
}
