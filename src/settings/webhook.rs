//! The webhook's settings: `WebhookFlags` (clap, with `CONFGATE_*`) over `[webhook]` of
//! `confgate.toml` over defaults, resolved into [`WebhookSettings`]. The scan side (rules,
//! custom policies, waivers, severity overrides, `--fail-on`) is the scan's own resolution,
//! so the webhook decides with what `confgate scan` would.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::diag::{Code, Diagnostic};
use crate::webhook::{FailurePolicy, Policy};

use super::file::{Size, parse_size};
use super::{ScanSettings, Settings, seconds};

/// The flags of `serve --webhook`.
#[derive(Args, Debug, Clone, Default)]
pub struct WebhookFlags {
    /// Serve the validating admission webhook (HTTPS, /validate).
    #[arg(long)]
    pub webhook: bool,
    /// TLS certificate chain (PEM); read again when the file changes.
    #[arg(long, env = "CONFGATE_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "CONFGATE_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// What a review that cannot be decided (policy timeout, internal error, deadline)
    /// gets: `closed` denies, `open` allows with a warning (default closed).
    #[arg(long, value_enum, env = "CONFGATE_FAILURE_POLICY")]
    pub failure_policy: Option<FailurePolicy>,
    /// Allow every request; record what would have been denied (warnings, audit
    /// annotations, metrics). The first step of a rollout.
    #[arg(long, env = "CONFGATE_AUDIT_ONLY")]
    pub audit_only: bool,
    /// Namespaces whose objects are never checked (repeatable; default kube-system).
    #[arg(
        long,
        env = "CONFGATE_EXEMPT_NAMESPACE",
        value_delimiter = ',',
        value_name = "NS"
    )]
    pub exempt_namespace: Vec<String>,
    /// Seconds a review may take before the failure policy answers it (default 8; keep it
    /// under the webhook configuration's timeoutSeconds).
    #[arg(long, env = "CONFGATE_DEADLINE", value_name = "SECONDS")]
    pub deadline: Option<f64>,
    /// Largest request body (default 8MiB; the API server sends at most ~3 MiB objects).
    #[arg(long, env = "CONFGATE_MAX_BODY", value_name = "SIZE")]
    pub max_body: Option<String>,
    /// Keep a watched copy of the cluster (RBAC, network policies, budgets, autoscalers,
    /// namespaces, service accounts, workloads) for cross-resource rules.
    #[arg(long, env = "CONFGATE_INVENTORY")]
    pub inventory: bool,
}

/// The resolved webhook options.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    pub listen: String,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    pub policy: Policy,
    pub deadline: Duration,
    pub max_body: usize,
    pub inventory: bool,
}

/// The default webhook address (all interfaces: the API server calls it through a Service).
pub const DEFAULT_LISTEN: &str = "0.0.0.0:8443";

impl Settings {
    /// The webhook's options; `scan` is the scan's resolution (its gate decides).
    pub fn webhook(
        &self,
        flags: &WebhookFlags,
        listen: Option<&str>,
        scan: &ScanSettings,
    ) -> Result<WebhookSettings, Diagnostic> {
        let file = self.file.webhook.clone().unwrap_or_default();
        let bad = |m: String| Diagnostic::new(Code::Settings, m);
        let path = |flag: &Option<PathBuf>, file: &Option<PathBuf>| {
            flag.clone()
                .or_else(|| file.as_ref().map(|p| self.dir.join(p)))
        };
        let tls_cert = path(&flags.tls_cert, &file.tls_cert)
            .ok_or_else(|| bad("serve --webhook needs --tls-cert FILE (PEM); `confgate webhook manifests --self-signed` makes one".into()))?;
        let tls_key = path(&flags.tls_key, &file.tls_key)
            .ok_or_else(|| bad("serve --webhook needs --tls-key FILE (PEM)".into()))?;
        let failure = match (flags.failure_policy, file.failure_policy.as_deref()) {
            (Some(p), _) => p,
            (None, Some("open")) => FailurePolicy::Open,
            (None, Some("closed")) | (None, None) => FailurePolicy::Closed,
            (None, Some(other)) => {
                return Err(bad(format!(
                    "[webhook] failure-policy = {other:?}: expected \"open\" or \"closed\""
                )));
            }
        };
        let exempt: BTreeSet<String> = if !flags.exempt_namespace.is_empty() {
            flags.exempt_namespace.iter().cloned().collect()
        } else {
            file.exempt_namespaces
                .clone()
                .unwrap_or_else(|| vec!["kube-system".to_string()])
                .into_iter()
                .collect()
        };
        let exempt: BTreeSet<String> = exempt.into_iter().filter(|n| !n.is_empty()).collect();
        for n in &exempt {
            if !crate::k8s::is_dns1123_label(n) {
                return Err(bad(format!(
                    "exempt namespace {n:?} is not a valid namespace name"
                )));
            }
        }
        let deadline = seconds("deadline", flags.deadline.or(file.deadline).unwrap_or(8.0))?;
        let max_body = match (&flags.max_body, &file.max_body) {
            (Some(s), _) => parse_size(s).map_err(bad)?,
            (None, Some(Size::Bytes(b))) => *b,
            (None, Some(Size::Text(s))) => parse_size(s).map_err(bad)?,
            (None, None) => 8 * 1024 * 1024,
        };
        let max_body = usize::try_from(max_body).unwrap_or(usize::MAX).max(1024);
        Ok(WebhookSettings {
            listen: listen
                .map(str::to_string)
                .or(file.listen.clone())
                .unwrap_or_else(|| DEFAULT_LISTEN.to_string()),
            tls_cert,
            tls_key,
            policy: Policy {
                gate: scan.gate,
                failure,
                audit_only: flags.audit_only || file.audit_only.unwrap_or(false),
                exempt_namespaces: exempt,
            },
            deadline,
            max_body,
            inventory: flags.inventory || file.inventory.unwrap_or(false),
        })
    }
}
