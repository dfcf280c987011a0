//! The schema of `confgate.toml`: top-level keys are the scan's options; `[generate]` and
//! `[validate]` hold those commands' own. The whole file is read once, strictly (kebab-case,
//! an unknown key anywhere is an error naming its line).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::catalog::{Framework, Severity};
use crate::engine::EngineMode;
use crate::report::OutputFormat;

/// `max-file-size` as bytes or as text with a unit (`16MiB`, `512KiB`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Size {
    Bytes(u64),
    Text(String),
}

/// Parses `16MiB`, `512k`, `100MB` or plain bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?}: expected e.g. 16MiB"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => {
            return Err(format!(
                "invalid size unit in {s:?}: use B, KiB, MiB or GiB"
            ));
        }
    };
    Ok(n.saturating_mul(mult))
}

/// The `[scan]`-level keys of `confgate.toml` (top level).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    pub format: Option<OutputFormat>,
    pub output: Option<PathBuf>,
    pub select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub framework: Option<Vec<Framework>>,
    pub severity: Option<Severity>,
    pub fail_on: Option<Severity>,
    pub exclude: Option<Vec<String>>,
    pub jobs: Option<usize>,
    pub engine: Option<EngineMode>,
    pub max_file_size: Option<Size>,
    pub gitignore: Option<bool>,
    /// Seconds one policy package may run on one document.
    pub policy_timeout: Option<f64>,
    /// Seconds reading one file may take.
    pub load_timeout: Option<f64>,
    pub stdin_filename: Option<String>,
    pub kube_version: Option<String>,
    /// User policy directories (conftest Rego, Gatekeeper templates and constraints).
    pub policy: Option<Vec<PathBuf>>,
    /// Data directories for conftest policies.
    pub data: Option<Vec<PathBuf>>,
    pub policy_namespace: Option<Vec<String>>,
    /// Every conftest namespace (`all-namespaces` is still read, as conftest calls it).
    #[serde(alias = "all-namespaces")]
    pub all_policy_namespaces: Option<bool>,
    pub combine: Option<bool>,
    /// Waiver file (default: `confgate-waivers.yaml` beside this file).
    pub waivers_file: Option<PathBuf>,
    /// Waivers written inline as `[[waivers]]` tables.
    #[serde(default)]
    pub waivers: Vec<crate::waiver::Waiver>,
    pub baseline: Option<PathBuf>,
    /// SARIF `automationDetails.id` category.
    pub sarif_category: Option<String>,
    /// `[generate]`: the options of `confgate generate`.
    pub generate: Option<GenerateSection>,
    /// `[validate]`: the options of `confgate validate`.
    pub validate: Option<ValidateSection>,
    /// `[cluster]`: how cluster commands connect and what they read.
    pub cluster: Option<ClusterSection>,
    /// `[deploy]`: the options of `confgate deploy` (read without the cluster feature too,
    /// so one settings file serves both builds).
    pub deploy: Option<DeploySection>,
    /// `[rollback]`: the options of `confgate rollback`.
    pub rollback: Option<RollbackSection>,
    /// `[monitor]`: the options of `confgate monitor` and `confgate serve --metrics`.
    pub monitor: Option<MonitorSection>,
    /// `[webhook]`: the options of `confgate serve --webhook` and `webhook manifests`.
    pub webhook: Option<WebhookSection>,
    /// `[backup]`: the options of `confgate backup`.
    pub backup: Option<BackupSection>,
    /// `[disaster]`: the recovery (RTO) targets of `disaster-test`.
    pub disaster: Option<DisasterSection>,
    #[serde(default)]
    pub severity_overrides: BTreeMap<String, Severity>,
}

/// The `[generate]` table: see [`super::generate`].
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GenerateSection {
    pub profile_dir: Option<String>,
    pub template_dir: Option<String>,
    pub output_dir: Option<String>,
    pub namespace: Option<String>,
    pub hash_suffix: Option<bool>,
    pub fail_on: Option<Severity>,
}

/// The `[deploy]` table.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DeploySection {
    pub config_dir: Option<PathBuf>,
    pub namespace: Option<String>,
    pub create_namespace: Option<bool>,
    /// Validate the set before deploying (as `--validate`).
    pub validate: Option<bool>,
    pub wait_for_rollout: Option<bool>,
    pub timeout: Option<f64>,
    pub verify: Option<bool>,
    pub prune: Option<bool>,
    pub force_conflicts: Option<bool>,
    pub rollback_on_failure: Option<bool>,
    pub set: Option<String>,
    pub history_max: Option<usize>,
    pub wait_for_load_balancer: Option<bool>,
    pub revision_key_file: Option<PathBuf>,
    pub health_threshold: Option<u32>,
}

/// The `[disaster]` table: see `settings::disaster`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DisasterSection {
    /// Seconds every scenario's recovery may take (else each scenario's default: 120 where
    /// recovery is a rollback, 600 where it is a deploy or a restore).
    pub recovery_target: Option<f64>,
    /// `[disaster.recovery-targets]`: seconds per scenario (`data-loss = 900`).
    pub recovery_targets: Option<BTreeMap<String, f64>>,
    /// Seconds a detection (and a rollout) may take (default 60).
    pub timeout: Option<f64>,
}

/// The `[rollback]` table.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RollbackSection {
    /// `standard`, `atomic` or `incremental`.
    pub strategy: Option<String>,
    pub timeout: Option<f64>,
    pub health_threshold: Option<u32>,
    pub duration: Option<f64>,
    pub interval: Option<f64>,
    pub consecutive: Option<usize>,
    pub revision_key_file: Option<PathBuf>,
    /// The health score's weights (`pods-ready`, `workloads-available`, `restarts`,
    /// `crash-loops`, `warning-events`, `security`).
    pub health_weights: Option<crate::health::Weights>,
}

/// The `[monitor]` table.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MonitorSection {
    pub namespaces: Option<Vec<String>>,
    pub all_namespaces: Option<bool>,
    pub interval: Option<f64>,
    pub duration: Option<f64>,
    /// `prometheus`, `json`, `csv` or `text`.
    pub format: Option<String>,
    pub alert_threshold: Option<u32>,
    /// The metric name prefix (default `confgate`).
    pub metric_prefix: Option<String>,
    pub state_dir: Option<PathBuf>,
    /// `serve --metrics`' address.
    pub listen: Option<String>,
    pub health_weights: Option<crate::health::Weights>,
    /// The Prometheus server that scrapes confgate (`doctor` checks its `/-/healthy`).
    pub prometheus_url: Option<String>,
    /// `[monitor.alerts]`: thresholds, escalation and the routes alerts are sent to.
    #[cfg(feature = "cluster")]
    pub alerts: Option<crate::monitor::alert::AlertSection>,
    /// The scan-only build reads the table without using it (one file serves both builds).
    #[cfg(not(feature = "cluster"))]
    pub alerts: Option<toml::Table>,
}

/// The `[backup]` table: see `settings::backup`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BackupSection {
    /// Where backups live: a directory (default `<state-dir>/backups`), `s3://bucket/prefix`,
    /// `az://container/prefix` or `gs://bucket/prefix`.
    pub store: Option<String>,
    /// An S3-compatible endpoint (else `AWS_ENDPOINT_URL`).
    pub endpoint: Option<String>,
    /// Plain HTTP to the store (emulators; also `CONFGATE_BACKUP_ALLOW_HTTP`).
    pub allow_http: Option<bool>,
    /// Scan what is backed up and record the summary (default true).
    pub scan: Option<bool>,
    /// File holding the master key (else `CONFGATE_BACKUP_KEY`).
    pub key_file: Option<PathBuf>,
    /// Command printing the master key (a secret manager's CLI).
    pub key_command: Option<String>,
    pub namespaces: Option<Vec<String>>,
    pub all_namespaces: Option<bool>,
    pub kinds: Option<Vec<String>>,
    pub exclude_kinds: Option<Vec<String>>,
    /// Object JSON per pack (default 32MiB).
    pub pack_size: Option<Size>,
    /// Seconds each store request may take (default 30).
    pub timeout: Option<f64>,
    /// Retries of a failed store request (default 3).
    pub retries: Option<usize>,
    pub state_dir: Option<PathBuf>,
    /// `[backup.retention]`: keep-last, keep-daily, keep-weekly, keep-monthly, max-age.
    #[cfg(feature = "cluster")]
    pub retention: Option<crate::backup::retention::Policy>,
    #[cfg(not(feature = "cluster"))]
    pub retention: Option<toml::Table>,
    /// `[backup.providers]`: the store `backup sync --provider NAME` copies to
    /// (`aws = "s3://..."`, `azure = "az://..."`, `gcs = "gs://..."`).
    pub providers: Option<BTreeMap<String, String>>,
}

/// The `[webhook]` table: see `settings::webhook`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WebhookSection {
    pub listen: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// `open` or `closed`.
    pub failure_policy: Option<String>,
    pub audit_only: Option<bool>,
    /// Namespaces never checked (default `["kube-system"]`).
    pub exempt_namespaces: Option<Vec<String>>,
    /// Seconds a review may take before the failure policy answers.
    pub deadline: Option<f64>,
    pub max_body: Option<Size>,
    /// Keep a watched copy of the cluster for cross-resource rules.
    pub inventory: Option<bool>,
}

/// The `[cluster]` table: see `settings::cluster`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClusterSection {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<Vec<String>>,
    pub all_contexts: Option<bool>,
    /// Seconds connecting and each request may take.
    pub request_timeout: Option<f64>,
    pub namespace: Option<Vec<String>>,
    pub kinds: Option<Vec<String>>,
    pub exclude_kinds: Option<Vec<String>>,
    pub selector: Option<String>,
    pub field_selector: Option<String>,
    pub include_owned: Option<bool>,
}

/// The `[validate]` table: see [`super::validate`].
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ValidateSection {
    pub config_dir: Option<String>,
    pub strict: Option<bool>,
    pub security_compliance: Option<bool>,
    pub kube_version: Option<String>,
    pub business_policy: Option<Vec<String>>,
    pub builtin_business_rules: Option<bool>,
    #[serde(default)]
    pub schemas: Vec<crate::validate::SchemaMapping>,
    #[serde(default)]
    pub environments: BTreeMap<String, toml::Table>,
}
