//! confgate: guards Kubernetes configuration from the commit to the cluster.
//!
//! The library never prints or exits; `main.rs` maps results to exit codes. The flow
//! (sources → documents → evaluation → resolution → gate and reports), the job of each
//! module and the contracts (JSON findings, exit codes, rules) are in
//! `docs/architecture.md`.

pub mod audit;
#[cfg(feature = "cluster")]
pub mod backup;
pub mod baseline;
pub mod bench;
pub mod catalog;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod compliance;
#[cfg(feature = "cluster")]
pub mod deploy;
pub mod diag;
pub mod document;
pub mod engine;
pub mod finding;
pub mod fsutil;
pub mod gate;
pub mod generate;
pub mod health;
pub mod k8s;
#[cfg(feature = "cluster")]
pub mod monitor;
#[cfg(feature = "cluster")]
pub mod orchestrate;
pub mod report;
#[cfg(feature = "cluster")]
pub mod revision;
#[cfg(feature = "cluster")]
pub mod rollback;
pub mod ruledocs;
pub mod scan;
#[cfg(feature = "cluster")]
pub mod seal;
pub mod settings;
pub mod source;
pub mod validate;
pub mod waiver;
#[cfg(feature = "cluster")]
pub mod webhook;

/// The tool's name, as reports and SARIF write it.
pub const TOOL_NAME: &str = "confgate";
/// The tool's version, as reports and SARIF write it.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
