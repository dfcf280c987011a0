//! The one door to Kubernetes: connecting (kubeconfig, contexts, time limits), discovery,
//! paginated reads, server-side dry-run diffs and permission checks. This is the only module
//! that uses the `kube` crate; every other module (deploy, rollback, backup, monitor) takes
//! a [`Cluster`] as an argument, the way kube-rs hands its `Client` around, so tests give it
//! the test API server's and nothing reaches a default cluster by accident.
//!
//! What is decided here is pure and tested on literal YAML: how a live object is cleaned
//! ([`clean`]), which resource types a read covers ([`discovery::select`]), where an object
//! lands in an export ([`live::origin`]). The async code around it is thin. The scan core
//! stays synchronous: callers hand the documents read here to a `Scanner` outside the
//! runtime (or through `spawn_blocking`).

pub mod access;
pub mod clean;
pub mod connect;
pub mod diff;
pub mod discovery;
pub mod errors;
pub mod export;
pub mod live;
pub mod mirror;
pub mod observe;
pub mod ops;
pub mod read;
mod retry;
pub mod scan;

use std::time::Duration;

use crate::diag::{Code, Diagnostic};

pub use connect::{ConnectOptions, KubeconfigSource};
pub use discovery::ResourceType;
pub use read::{ReadOptions, ReadOutcome};

/// A connected cluster: a client for one kubeconfig context with its time limit.
#[derive(Clone)]
pub struct Cluster {
    client: kube::Client,
    context: String,
    server: String,
    namespace: String,
    timeout: Duration,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("context", &self.context)
            .field("server", &self.server)
            .finish()
    }
}

/// The API server's version (`/version`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ServerVersion {
    pub git_version: String,
    pub major: String,
    pub minor: String,
    pub platform: String,
}

impl Cluster {
    /// The kubeconfig context (or `in-cluster`).
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The API server URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The context's namespace (`default` when it names none).
    pub fn default_namespace(&self) -> &str {
        &self.namespace
    }

    /// The limit on every request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn client(&self) -> &kube::Client {
        &self.client
    }

    /// `/version`, within the request timeout (no retry: an unreachable server fails fast).
    pub async fn version(&self) -> Result<ServerVersion, Diagnostic> {
        let v = tokio::time::timeout(self.timeout, self.client.apiserver_version())
            .await
            .map_err(|_| self.timed_out("GET /version"))?
            .map_err(|e| errors::diagnostic(self, "GET /version", &e))?;
        Ok(ServerVersion {
            git_version: v.git_version,
            major: v.major,
            minor: v.minor,
            platform: v.platform,
        })
    }

    fn timed_out(&self, what: &str) -> Diagnostic {
        Diagnostic::new(
            Code::Cluster,
            format!(
                "{what}: {} (context {}) did not answer within {} s (--request-timeout)",
                self.server,
                self.context,
                self.timeout.as_secs_f64()
            ),
        )
    }
}

/// A runtime for the cluster commands (the CLI is synchronous; the scan core runs outside
/// it on rayon).
pub fn runtime() -> Result<tokio::runtime::Runtime, Diagnostic> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Diagnostic::new(Code::System, format!("cannot start the async runtime: {e}")))
}

/// Connects to every context the options name (concurrently), each checked with
/// `/version`. The first failure is the error: a multi-cluster scan with one cluster
/// unreachable is not a clean scan.
pub async fn connect_all(opts: &ConnectOptions) -> Result<Vec<Cluster>, Diagnostic> {
    let loaded = connect::read_kubeconfig(&opts.source)?;
    let names = connect::contexts(&loaded, opts)?;
    let tries = names
        .iter()
        .map(|c| connect::connect(&loaded, c, opts.request_timeout));
    futures::future::join_all(tries).await.into_iter().collect()
}
