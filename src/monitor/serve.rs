//! `confgate serve --metrics`: a monitoring pass every interval in the background (reading
//! through a [`super::Feed`]: watch streams, not a re-list per pass), its last snapshot served as Prometheus text on `/metrics`; `/healthz` answers while the process
//! runs, `/readyz` once a pass could read the cluster.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::sync::RwLock;

use super::expose::{self, Counters};
use super::{MonitorOptions, Snapshot};
use crate::cluster::Cluster;
use crate::diag::{Code, Diagnostic};
use crate::scan::Scanner;

/// What the endpoints read.
#[derive(Default)]
pub struct Shared {
    pub snapshot: Option<Snapshot>,
    pub counters: Counters,
}

#[derive(Clone)]
struct App {
    shared: Arc<RwLock<Shared>>,
    prefix: Arc<str>,
    state_dir: Option<Arc<std::path::Path>>,
}

async fn metrics(State(app): State<App>) -> impl IntoResponse {
    let s = app.shared.read().await;
    let mut body = match &s.snapshot {
        Some(snap) => expose::prometheus(snap, &app.prefix, Some(&s.counters)),
        None => expose::prometheus(&Snapshot::default(), &app.prefix, Some(&s.counters)),
    };
    body.push_str(&expose::backup_series(
        app.state_dir.as_deref(),
        &app.prefix,
    ));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}

async fn healthz() -> impl IntoResponse {
    "ok\n"
}

async fn readyz(State(app): State<App>) -> impl IntoResponse {
    let s = app.shared.read().await;
    match &s.snapshot {
        Some(snap) if snap.reachable => (StatusCode::OK, "ready\n".to_string()),
        Some(snap) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: the cluster could not be read: {}\n",
                snap.errors.first().map(String::as_str).unwrap_or("unknown")
            ),
        ),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: no monitoring pass yet\n".to_string(),
        ),
    }
}

/// Binds `addr`; a port in use (or any bind failure) is a one-line error.
pub async fn bind(addr: &str) -> Result<tokio::net::TcpListener, Diagnostic> {
    let parsed: SocketAddr = addr.parse().map_err(|_| {
        Diagnostic::new(
            Code::Settings,
            format!("--listen {addr:?}: expected HOST:PORT such as 127.0.0.1:9464"),
        )
    })?;
    tokio::net::TcpListener::bind(parsed).await.map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::AddrInUse {
            "the address is already in use (another exporter or confgate runs there)".to_string()
        } else {
            e.to_string()
        };
        Diagnostic::new(Code::System, format!("cannot listen on {addr}: {why}"))
    })
}

/// Serves the endpoints on `listener` and runs a pass every `interval` until `stop`
/// resolves.
pub async fn run(
    listener: tokio::net::TcpListener,
    cluster: Cluster,
    scanner: Arc<Scanner>,
    opts: MonitorOptions,
    prefix: String,
    interval: Duration,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Diagnostic> {
    let shared = Arc::new(RwLock::new(Shared::default()));
    let app = App {
        shared: shared.clone(),
        prefix: Arc::from(prefix.as_str()),
        state_dir: opts.state_dir.as_deref().map(Arc::from),
    };
    let router = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(app);
    let pass = tokio::spawn(async move {
        let mut feed = None;
        let mut cache = super::ScanCache::default();
        loop {
            if feed.is_none() {
                feed = super::Feed::start(&cluster, &opts).await.ok();
            }
            let snap =
                super::collect_with(&cluster, &scanner, &opts, feed.as_ref(), &mut cache).await;
            {
                let mut s = shared.write().await;
                s.counters.checks += 1;
                if !snap.errors.is_empty() {
                    s.counters.check_errors += 1;
                    for e in &snap.errors {
                        tracing::warn!("{e}");
                    }
                }
                s.snapshot = Some(snap);
            }
            tokio::time::sleep(interval).await;
        }
    });
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(stop)
        .await
        .map_err(|e| Diagnostic::new(Code::System, format!("the metrics server stopped: {e}")));
    pass.abort();
    served
}
