//! Command-line types (clap only). The options of the commands that also read
//! `confgate.toml` are declared once, in `settings` (`ScanFlags`, `GenerateFlags`,
//! `ValidateFlags`), and flattened in here; every one can also come from a `CONFGATE_*`
//! variable (shown in `--help`). Resolution happens in `settings`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use confgate::catalog::{Framework, Severity};
use confgate::report::OutputFormat;
use confgate::settings::{GenerateFlags, ScanFlags, ValidateFlags};

#[derive(Parser, Debug)]
#[command(
    name = "confgate",
    version,
    about = "Guards Kubernetes configuration from the commit to the cluster",
    after_help = "Exit codes: 0 nothing at or above the gate, 1 findings at or above --fail-on \
                  (or invalid configuration), 2 error. Output contracts: docs/architecture.md."
)]
pub struct Cli {
    /// Settings file (default: confgate.toml in the current or a parent directory).
    #[arg(long, global = true, env = "CONFGATE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// When to colour text output.
    #[arg(long, global = true, value_enum, env = "CONFGATE_COLOR", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print nothing but the report.
    #[arg(short, long, global = true, env = "CONFGATE_QUIET")]
    pub quiet: bool,
    /// More log output on stderr (-v debug, -vv trace; without either, LOG_LEVEL /
    /// CONFGATE_LOG_LEVEL, else warn).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log lines on stderr as text, or as one JSON object per line (timestamp, level,
    /// message and fields) for log collectors.
    #[arg(long, global = true, value_enum, env = "CONFGATE_LOG_FORMAT", default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

// Parsed once per run; the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan files, directories or stdin (`-`) and report findings.
    Scan(ScanArgs),
    /// List and explain the built-in rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Work with Rego policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Work with reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Review waivers.
    #[command(subcommand)]
    Waivers(WaiversCommand),
    /// Measure scan speed and memory on a corpus and a generated set of documents.
    Bench(BenchArgs),
    /// Render an environment's manifests from profiles and Tera templates, gate them with the
    /// scan and write them atomically (or show a diff with --dry-run).
    Generate(GenerateArgs),
    /// Validate a directory of configuration: syntax, Kubernetes schema (offline, for
    /// --kube-version), ConfigMap data against JSON Schemas, business rules for the
    /// environment, and with --security-compliance the scan; scored report.
    Validate(ValidateFlags),
    /// The original suite's `security-scan`: `scan` with --full-scan (every rule, the
    /// default), --quick (high and critical only), --compliance-check FRAMEWORK (GDPR,
    /// SOC2, CIS, NIST, or a framework id) and --export-report FILE (format from its
    /// extension: .html, .json, .sarif, .csv, .md, .xml).
    SecurityScan(SecurityScanArgs),
    /// The original suite's `security-audit` / `complete-security-audit`: `audit` with
    /// --detailed-report, --compliance FRAMEWORK, --quick and --export-report [FILE].
    #[command(visible_alias = "complete-security-audit")]
    SecurityAudit(SecurityAuditArgs),
    /// Scan and audit: security score, compliance checklists, risk matrix, recommendations.
    #[command(mut_arg("format", |a| a
        .help("Output format: text, json or html")
        .value_parser(clap::builder::TypedValueParser::map(
            clap::builder::PossibleValuesParser::new(["text", "json", "html"]),
            |s| match s.as_str() {
                "json" => OutputFormat::Json,
                "html" => OutputFormat::Html,
                _ => OutputFormat::Text,
            }))))]
    Audit(AuditArgs),
    /// Deploy through the gate: scan, permission pre-flight, server-side dry run, then
    /// (with --apply) server-side apply in dependency order, rollout wait, verification
    /// and a revision.
    #[cfg(feature = "cluster")]
    Deploy(DeployArgs),
    /// Return a set to a recorded revision: impact analysis (object changes with masked
    /// diffs, the findings it re-introduces and removes), then with --confirm a standard
    /// rollback recorded as a new revision.
    #[cfg(feature = "cluster")]
    Rollback(RollbackArgs),
    /// Live clusters: export, diff against files, check access.
    #[cfg(feature = "cluster")]
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Encrypted backups of the live configuration and gated restores: ACTION is create,
    /// incremental BASE_ID, list, show ID, verify ID, restore ID, test-restore ID (a
    /// restore drill), sync --provider P, prune, rekey, keygen or metrics. The original
    /// suite's forms work too (--create-backup, --create-incremental ID, --restore
    /// --backup-id ID, --test-restore ID, --sync-to-cloud aws, --verify; BACKUP_ACTION,
    /// BACKUP_ID).
    #[cfg(feature = "cluster")]
    #[command(visible_alias = "backup-restore")]
    Backup(BackupArgs),
    /// Health and metrics of the deployed configuration per namespace (one check, or
    /// --watch), exported as Prometheus text, JSON or CSV; `monitor history` shows the
    /// recorded checks.
    #[cfg(feature = "cluster")]
    #[command(visible_alias = "advanced-monitor")]
    Monitor(MonitorArgs),
    /// Long-running endpoints: --webhook (the validating admission webhook over HTTPS),
    /// --metrics (/metrics, /healthz, /readyz).
    #[cfg(feature = "cluster")]
    Serve(ServeArgs),
    /// The admission webhook's deployment: `webhook manifests` prints what a cluster needs.
    #[cfg(feature = "cluster")]
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// One look at a namespace: cluster version, the current revision (when, by whom),
    /// drift from the files, health, live findings by severity, the last backup and
    /// verified restore, waivers expiring soon. Exit 1 when something needs attention.
    #[cfg(feature = "cluster")]
    Status(StatusArgs),
    /// The original suite's `generate-incident-report [--type T]`: the namespace as
    /// `status` sees it now, then the window before (--since, default 24h): failed deploys
    /// and rollbacks from the sets' revisions, the periods the monitor history shows the
    /// health under the alert thresholds, a backup failure.
    #[cfg(feature = "cluster")]
    GenerateIncidentReport(IncidentArgs),
    /// The original suite's `generate-maintenance-report`: per set its revisions, the
    /// backups and the retention, the last verified restore, waivers expiring soon, and what
    /// `cleanup` would remove (a dry run: nothing changes).
    #[cfg(feature = "cluster")]
    GenerateMaintenanceReport(MaintenanceArgs),
    /// The original suite's `analyze-impact`: the impact analysis of rolling the set back
    /// (to the previous revision, --target N or --to-last-healthy) — object changes, the
    /// findings it re-introduces and removes — without changing anything.
    #[cfg(feature = "cluster")]
    AnalyzeImpact(AnalyzeImpactArgs),
    /// generate → validate → backup → scan → deploy (rollout wait, rolled back when it
    /// fails) → monitor for --duration (rolled back when the health stays under
    /// --health-threshold) → audit, stopping at the first failed stage with its exit code;
    /// a step-by-step summary. --dry-run (DRY_RUN) changes nothing in the cluster.
    #[cfg(feature = "cluster")]
    FullCycle(FullCycleArgs),
    /// List what confgate left behind — revisions beyond the history limit, backups outside
    /// retention (never orphaning an incremental), stale generated files (--environment),
    /// finished restore-drill namespaces, objects still labelled as members of a set that
    /// its latest revision no longer contains — and remove it with --confirm.
    #[cfg(feature = "cluster")]
    Cleanup(CleanupArgs),
    /// Provoke a failure in a scratch namespace (the set deployed there first; never the
    /// live namespace) and measure detection and recovery times against the target:
    /// deployment-failure (an image that cannot be pulled → rollout wait → rollback),
    /// service-outage (workloads scaled to zero → drift → deploy again), data-loss (the
    /// namespace deleted → restore from a backup), config-corruption (ConfigMaps and
    /// Secrets overwritten → drift → restore from a backup → compared value by value),
    /// database-failure (the StatefulSets' pods crash → detected from the pods → the
    /// dependent workloads' health → deploy again, stuck pods restarted). The backup
    /// scenarios need a backup key. Exit 1 when a scenario was not detected, not recovered
    /// within the target, or not verified.
    #[cfg(feature = "cluster")]
    DisasterTest(DisasterTestArgs),
    /// Check what the commands need — kubeconfig and cluster, the permissions of scan,
    /// deploy, rollback and backup, the backup key, a remote backup store, the Prometheus,
    /// Alertmanager and webhook endpoints of the settings, the state directory, the
    /// policies — one line per check with a fix. Exit 1 when something is missing.
    #[cfg(feature = "cluster")]
    Doctor(DoctorArgs),
}

/// `confgate doctor`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// The namespace whose permissions are checked (CONFGATE_NAMESPACE, else NAMESPACE,
    /// else the context's).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub backup: confgate::settings::BackupFlags,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
}

#[cfg(feature = "cluster")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DisasterFormat {
    Text,
    Json,
    Html,
}

/// `confgate disaster-test`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct DisasterTestArgs {
    /// The set's manifests (default: config-dir of [deploy]).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    #[arg(long, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// The scenario (repeatable; default every scenario).
    #[arg(long, value_enum, value_name = "NAME")]
    pub scenario: Vec<confgate::orchestrate::disaster::Scenario>,
    /// The scratch namespace (default confgate-dr-<scenario>-<time>).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Run in --namespace even though it exists (what runs there is broken on purpose).
    #[arg(long)]
    pub allow_existing_namespace: bool,
    /// Seconds a rollout (and a detection) may take (default [disaster] timeout, else 60).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Recovery (RTO) target in seconds for every scenario run (default per scenario from
    /// CONFGATE_RECOVERY_TARGET_<SCENARIO>, CONFGATE_RECOVERY_TARGET, [disaster]
    /// recovery-targets / recovery-target, else the suite's: 120 where recovery is a
    /// rollback, 600 where it is a deploy or a restore).
    #[arg(long, value_name = "SECONDS")]
    pub recovery_target: Option<f64>,
    /// Leave the scratch namespaces for inspection (`cleanup` removes them later).
    #[arg(long)]
    pub keep: bool,
    /// After a verified recovery, also compare every object of the set (spec and data)
    /// with what it held before the failure, and scan the recovered namespace through the
    /// gate; either failing fails the scenario.
    #[arg(long)]
    pub extended_validation: bool,
    /// For pipelines: never ask (a namespace that exists is refused unless
    /// --allow-existing-namespace), the report in JSON unless --format says otherwise, and
    /// with --output a one-line JSON summary on stdout.
    #[arg(long, env = "CONFGATE_AUTOMATED")]
    pub automated: bool,
    /// The gate the set must pass to be deployed (default high).
    #[arg(long, value_enum)]
    pub fail_on: Option<Severity>,
    /// text (default), json (default with --automated) or html.
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<DisasterFormat>,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The backup store and key of data-loss.
    #[command(flatten)]
    pub backup: confgate::settings::BackupFlags,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
}

/// `confgate cleanup`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct CleanupArgs {
    /// Backups older than this are outside retention (overrides [backup.retention]
    /// max-age), and drill namespaces older than this are finished (default 1h).
    #[arg(long, value_name = "AGE")]
    pub older_than: Option<String>,
    /// List only (the default without --confirm).
    #[arg(long)]
    pub dry_run: bool,
    /// Remove what is listed.
    #[arg(long, env = "CONFGATE_CONFIRM", conflicts_with = "dry_run")]
    pub confirm: bool,
    /// The namespace whose revisions are pruned (CONFGATE_NAMESPACE, else NAMESPACE, else
    /// the context's).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Only this set's revisions and orphaned objects (default: every set of the
    /// namespace).
    #[arg(long, env = "CONFGATE_SET", value_name = "NAME")]
    pub set: Option<String>,
    /// Revisions kept per set (default [deploy] history-max, else 10).
    #[arg(long, value_name = "N")]
    pub history_max: Option<usize>,
    /// Also remove the files of generate's output for ENV that it no longer produces
    /// (CONFGATE_ENVIRONMENT, else ENVIRONMENT).
    #[arg(long, short = 'e', value_name = "ENV")]
    pub environment: Option<String>,
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    #[command(flatten)]
    pub backup: confgate::settings::BackupFlags,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
}

/// `confgate full-cycle`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct FullCycleArgs {
    /// The environment (profiles/ENV.yaml; CONFGATE_ENVIRONMENT, else ENVIRONMENT).
    #[arg(long, short = 'e', value_name = "ENV", conflicts_with = "environments")]
    pub environment: Option<String>,
    /// Several environments in order (dev,staging,prod), stopping at the first failure.
    #[arg(long, value_delimiter = ',', value_name = "ENV,...")]
    pub environments: Vec<String>,
    /// Target namespace (default: generate's, `namespace` of [generate]).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// The deployed set's name (default: the environment).
    #[arg(long, value_name = "NAME")]
    pub set: Option<String>,
    /// Run every stage without changing the cluster (CONFGATE_DRY_RUN, else DRY_RUN): the
    /// generated files go to a scratch directory, the deploy is a server-side dry run, and
    /// a rollback is only reported.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not take the pre-deploy backup.
    #[arg(long)]
    pub skip_backup: bool,
    /// Where generate writes (CONFGATE_OUTPUT_DIR, else OUTPUT_DIR; default [generate]
    /// output-dir).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Where the stages' reports go, one directory per environment (default
    /// <state-dir>/reports).
    #[arg(long, env = "CONFGATE_REPORT_DIR", value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// The gate of generate, scan and audit (default high).
    #[arg(long, value_enum, env = "CONFGATE_FAIL_ON")]
    pub fail_on: Option<Severity>,
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Write the summary to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub rollback: confgate::settings::RollbackFlags,
    #[command(flatten)]
    pub backup: confgate::settings::BackupFlags,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
}

/// `confgate status`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The set's manifests, compared with the cluster (default: config-dir of [deploy];
    /// without any, drift is not checked).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Directory of the set's manifests (as deploy --config-dir).
    #[arg(long, env = "CONFGATE_CONFIG_DIR", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// The deployed set (default: [deploy] set, else the name of the manifests' directory;
    /// without any, every set of the namespace).
    #[arg(long, env = "CONFGATE_SET", value_name = "NAME")]
    pub set: Option<String>,
    /// The namespace (CONFGATE_NAMESPACE, else NAMESPACE, else the context's).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Health under this (0–100) needs attention (default [monitor] alert-threshold, 80).
    #[arg(long, env = "CONFGATE_HEALTH_THRESHOLD", value_name = "SCORE")]
    pub health_threshold: Option<u32>,
    /// A last backup older than this needs attention (90m, 25h, 7d; default: no policy).
    #[arg(long, env = "CONFGATE_BACKUP_MAX_AGE", value_name = "AGE")]
    pub backup_max_age: Option<String>,
    /// Directory of confgate's local state, where the backup state is (default .confgate).
    #[arg(long, env = "CONFGATE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// An incident type (the original suite's `--type T` / `--incident-type T`, as
    /// `generate-incident-report` takes it): recorded in the report's title.
    #[arg(long = "type", visible_alias = "incident-type", value_name = "TYPE")]
    pub incident_type: Option<String>,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
}

/// `confgate generate-incident-report`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct IncidentArgs {
    /// How far back the events and the alerts go (90m, 24h, 7d).
    #[arg(long, default_value = "24h", value_name = "AGE")]
    pub since: String,
    #[command(flatten)]
    pub status: StatusArgs,
}

/// `confgate generate-maintenance-report`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct MaintenanceArgs {
    /// The namespace (CONFGATE_NAMESPACE, else NAMESPACE, else the context's).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Only this set (default: every set of the namespace).
    #[arg(long, env = "CONFGATE_SET", value_name = "NAME")]
    pub set: Option<String>,
    /// Revisions kept per set (default [deploy] history-max, else 10).
    #[arg(long, value_name = "N")]
    pub history_max: Option<usize>,
    /// Backups older than this are outside retention (as cleanup --older-than).
    #[arg(long, value_name = "AGE")]
    pub older_than: Option<String>,
    /// Waivers expiring within this many days are listed (default 30).
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub waiver_days: i64,
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub backup: confgate::settings::BackupFlags,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
}

/// `confgate analyze-impact`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct AnalyzeImpactArgs {
    /// The set (as `deploy --set` names it).
    #[arg(long, env = "CONFGATE_SET", value_name = "NAME")]
    pub set: String,
    /// The set's namespace (CONFGATE_NAMESPACE, else NAMESPACE, else the context's).
    #[arg(long, short = 'n', env = "CONFGATE_NAMESPACE", value_name = "NS")]
    pub namespace: Option<String>,
    /// The revision to analyse going back to (default: the previous one).
    #[arg(
        long,
        visible_alias = "target-revision",
        env = "CONFGATE_ROLLBACK_TARGET",
        value_name = "N",
        conflicts_with = "to_last_healthy"
    )]
    pub target: Option<u64>,
    /// The newest earlier revision whose rollout succeeded.
    #[arg(long)]
    pub to_last_healthy: bool,
    /// The original suite's `--incident-type T`: written on stderr with the analysis.
    #[arg(long, visible_alias = "type", value_name = "TYPE")]
    pub incident_type: Option<String>,
    #[command(flatten)]
    pub rollback_flags: confgate::settings::RollbackFlags,
    #[command(flatten)]
    pub scan: ScanFlags,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
}

/// `confgate webhook ...`.
#[cfg(feature = "cluster")]
#[derive(Subcommand, Debug)]
pub enum WebhookCommand {
    /// Print the manifests that run the webhook: Namespace, ServiceAccount (and read-only
    /// RBAC with --inventory), Deployment, PodDisruptionBudget, Service, NetworkPolicy,
    /// ValidatingWebhookConfiguration, and the certificate (--self-signed writes it to
    /// --cert-dir; --cert-manager prints cert-manager objects; --ca-bundle uses yours).
    Manifests(WebhookManifestsArgs),
}

/// `confgate webhook manifests`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct WebhookManifestsArgs {
    /// Namespace the webhook runs in (never sent to the webhook itself).
    #[arg(long, short = 'n', default_value = "confgate-system")]
    pub namespace: String,
    /// Base name of the objects.
    #[arg(long, default_value = "confgate-webhook")]
    pub name: String,
    /// Container image (default: this release).
    #[arg(long)]
    pub image: Option<String>,
    #[arg(long, default_value_t = 2)]
    pub replicas: u32,
    /// `closed` (Kubernetes `Fail`) or `open` (`Ignore`) when the webhook cannot answer.
    #[arg(long, value_enum, default_value = "closed")]
    pub failure_policy: confgate::webhook::FailurePolicy,
    /// How long the API server waits (1–30 s); the server answers 2 s earlier.
    #[arg(long, default_value_t = 10)]
    pub timeout_seconds: u32,
    /// Allow everything and only record (warnings, audit annotations, metrics): the first
    /// step of a rollout.
    #[arg(long)]
    pub audit_only: bool,
    /// Namespaces never sent to the webhook (repeatable; default kube-system).
    #[arg(long, value_delimiter = ',', value_name = "NS")]
    pub exempt_namespace: Vec<String>,
    /// Watch the cluster for cross-resource rules (adds read-only RBAC for the watched
    /// kinds and egress to the API server).
    #[arg(long)]
    pub inventory: bool,
    /// Make a CA and serving certificate; the key and the Secret are written to --cert-dir
    /// (mode 0600), never printed.
    #[arg(long, requires = "cert_dir", conflicts_with_all = ["cert_manager", "ca_bundle"])]
    pub self_signed: bool,
    /// Directory for --self-signed: ca.crt, tls.crt, tls.key, tls-secret.yaml.
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<std::path::PathBuf>,
    /// Let cert-manager issue the certificate and inject the CA.
    #[arg(long, conflicts_with = "ca_bundle")]
    pub cert_manager: bool,
    /// With --cert-manager: an existing issuer as KIND/NAME (Issuer/x or ClusterIssuer/y);
    /// default a self-signed CA chain of cert-manager objects.
    #[arg(long, requires = "cert_manager", value_name = "KIND/NAME")]
    pub issuer: Option<String>,
    /// Your CA certificate (PEM) for caBundle; you create the Secret <name>-tls.
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<std::path::PathBuf>,
    /// Write the manifests to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// `confgate monitor`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct MonitorArgs {
    #[command(subcommand)]
    pub sub: Option<MonitorSub>,
    /// One check, then stop (the default).
    #[arg(long, conflicts_with = "watch")]
    pub one_shot: bool,
    /// Check every --interval seconds until --duration (or Ctrl-C).
    #[arg(long)]
    pub watch: bool,
    /// Seconds to watch (default 300; MONITOR_DURATION).
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Write the metrics (to --output, or stdout) in --format.
    #[arg(long)]
    pub export_metrics: bool,
    /// text, prometheus, json or csv (METRICS_FORMAT).
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<confgate::settings::MetricsFormat>,
    /// Where --export-metrics writes (atomically); `-` is stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A namespace whose health is under this (0–100, default 80) raises an alert and the
    /// exit code 1.
    #[arg(long, env = "CONFGATE_ALERT_THRESHOLD", value_name = "SCORE")]
    pub alert_threshold: Option<u32>,
    #[command(flatten)]
    pub flags: confgate::settings::MonitorFlags,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
}

/// `confgate monitor history`.
#[cfg(feature = "cluster")]
#[derive(Subcommand, Debug)]
pub enum MonitorSub {
    /// The recorded checks, oldest first.
    History {
        /// How far back: 90s, 30m, 24h, 7d (default 24h).
        #[arg(long, default_value = "24h")]
        since: String,
        /// text, json, csv or html (a chart of health over time per namespace).
        #[arg(long, short = 'f', value_enum, default_value_t = confgate::settings::HistoryFormat::Text)]
        format: confgate::settings::HistoryFormat,
        /// Where to write (atomically; default stdout).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// The threshold line of the html chart (default: [monitor] alert-threshold, or 80).
        #[arg(long, env = "CONFGATE_ALERT_THRESHOLD", value_name = "SCORE")]
        alert_threshold: Option<u32>,
        /// Where the history is kept (default `.confgate` next to confgate.toml).
        #[arg(long, env = "CONFGATE_STATE_DIR", value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
}

/// `confgate serve`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Serve /metrics (Prometheus text), /healthz and /readyz, with a monitoring pass every
    /// --interval seconds.
    #[arg(long)]
    pub metrics: bool,
    /// Address to listen on (default 127.0.0.1:9464 for --metrics alone, 0.0.0.0:8443
    /// with --webhook).
    #[arg(long, env = "CONFGATE_LISTEN", value_name = "HOST:PORT")]
    pub listen: Option<String>,
    #[command(flatten)]
    pub flags: confgate::settings::MonitorFlags,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
    #[command(flatten)]
    pub webhook: confgate::settings::WebhookFlags,
    /// The scan options the webhook decides with (as `confgate scan` takes them;
    /// --format and --output do not apply).
    #[command(flatten)]
    pub scan: ScanFlags,
}

/// `confgate generate`, and with `--deploy` the generate → deploy path.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub flags: GenerateFlags,
    #[cfg(feature = "cluster")]
    #[command(flatten)]
    pub deploy: GenerateDeployArgs,
}

/// `generate --deploy`: deploy what was generated (the output directory, into the
/// environment's namespace, as set `<environment>`; the rest from `[deploy]`).
#[cfg(feature = "cluster")]
#[derive(Args, Debug, Default)]
pub struct GenerateDeployArgs {
    /// After writing, deploy the generated manifests (a dry run unless --apply).
    #[arg(long, env = "CONFGATE_DEPLOY")]
    pub deploy: bool,
    /// With --deploy: change the cluster.
    #[arg(long, requires = "deploy")]
    pub apply: bool,
    /// With --deploy: wait for the rollout.
    #[arg(long, requires = "deploy")]
    pub wait_for_rollout: bool,
    /// With --deploy: seconds the rollout may take (default 600).
    #[arg(long, requires = "deploy", value_name = "SECONDS")]
    pub timeout: Option<f64>,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
}

/// `confgate audit`: the options of `scan`; `--format` is text, json or html.
#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// `confgate security-scan` (the original suite's options over `scan`'s).
#[derive(Args, Debug)]
pub struct SecurityScanArgs {
    /// Every rule (the default; accepted for the suite's pipelines).
    #[arg(long, conflicts_with = "quick")]
    pub full_scan: bool,
    /// Only findings of high and critical severity.
    #[arg(long)]
    pub quick: bool,
    /// Only the rules mapped to this framework (GDPR, SOC2, CIS, NIST, or a framework id).
    #[arg(long, value_name = "FRAMEWORK")]
    pub compliance_check: Option<String>,
    /// Write the report to FILE, in the format its extension names.
    #[arg(long, value_name = "FILE")]
    pub export_report: Option<PathBuf>,
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// `confgate security-audit` / `complete-security-audit`.
#[derive(Args, Debug)]
pub struct SecurityAuditArgs {
    /// Accepted for the suite's pipelines: the audit always details every check.
    #[arg(long)]
    pub detailed_report: bool,
    /// Only this framework's checklist (GDPR, SOC2, CIS, NIST, or a framework id).
    #[arg(long, value_name = "FRAMEWORK")]
    pub compliance: Option<String>,
    /// Only findings of high and critical severity.
    #[arg(long)]
    pub quick: bool,
    /// Write the HTML audit to FILE (default security-audit.html).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "security-audit.html")]
    pub export_report: Option<PathBuf>,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Subcommand, Debug)]
pub enum WaiversCommand {
    /// Scan and list unused, expired and expiring waivers (exit 1 when any is expired or
    /// unused). Takes the same options as `scan`; `--format json` prints JSON.
    Audit(ScanArgs),
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Merge shard reports (`scan --shard I/N`) into one report.
    Merge {
        /// Shard reports, all JSON or all SARIF.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        #[arg(long, short = 'f', value_enum, default_value_t = MergeFormat::Json)]
        format: MergeFormat,
        /// Write to FILE (atomically) instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// JSON only: exit 1 when a merged finding is at or above this severity.
        #[arg(long, value_enum, default_value_t = Severity::High)]
        fail_on: Severity,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    Json,
    Sarif,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Run Rego `test_*` rules like `opa test` (default: the built-in library's tests).
    Test {
        /// Directories or files of policies and `*_test.rego` tests; the built-in library
        /// is loaded too, so user policies can import its helpers.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Report which rules' bodies the tests exercised.
        #[arg(long)]
        coverage: bool,
        /// Only tests whose `package.name` matches this regex.
        #[arg(long, value_name = "REGEX")]
        run: Option<String>,
        /// Seconds one test may run before it is stopped and reported as an ERROR.
        #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
        timeout: f64,
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Run Gatekeeper test suites (`kind: Suite`) like `gator verify`.
    Verify {
        /// Suite files, or directories searched recursively for suites.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads stdin.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub flags: ScanFlags,
    #[cfg(feature = "cluster")]
    #[command(flatten)]
    pub live: LiveArgs,
}

/// `scan --cluster`: the live state instead of files.
#[cfg(feature = "cluster")]
#[derive(Args, Debug, Clone, Default)]
pub struct LiveArgs {
    /// Scan the live state of the cluster (or clusters: --context a --context b,
    /// --all-contexts) instead of files.
    #[arg(long, env = "CONFGATE_CLUSTER")]
    pub cluster: bool,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
    #[command(flatten)]
    pub read: confgate::settings::ReadFlags,
}

/// `confgate deploy`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DeployArgs {
    #[command(subcommand)]
    pub sub: Option<DeploySub>,
    #[command(flatten)]
    pub deploy: confgate::settings::DeployFlags,
    #[command(flatten)]
    pub scan: ScanFlags,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
}

/// `confgate rollback`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct RollbackArgs {
    /// The set (as `deploy --set` names it).
    #[arg(long, env = "CONFGATE_SET", value_name = "NAME")]
    pub set: String,
    /// The set's namespace (default: the context's).
    #[arg(long, short = 'n', env = "CONFGATE_NAMESPACE", value_name = "NS")]
    pub namespace: Option<String>,
    /// List the revisions and stop (the original suite's --list-backups too).
    #[arg(long, visible_alias = "list-backups")]
    pub list: bool,
    /// Return to this revision.
    #[arg(long, visible_alias = "target", env = "CONFGATE_ROLLBACK_TARGET", value_name = "N", conflicts_with_all = ["to_previous", "to_last_healthy"])]
    pub target_revision: Option<u64>,
    /// Return to the revision before the current one.
    #[arg(long, conflicts_with = "to_last_healthy")]
    pub to_previous: bool,
    /// Return to the newest earlier revision whose rollout succeeded.
    #[arg(long)]
    pub to_last_healthy: bool,
    /// Change the cluster (without it, only the impact analysis is shown).
    #[arg(long, env = "CONFGATE_CONFIRM")]
    pub confirm: bool,
    /// Accepted for the original suite's `--rollback --target-revision N --confirm`; the
    /// rollback runs with --confirm.
    #[arg(long, hide = true)]
    pub rollback: bool,
    /// Roll back even when the target re-introduces findings at or above the gate (the
    /// override is recorded in the new revision).
    #[arg(long)]
    pub allow_findings: bool,
    /// Record the set's live state as a revision without deploying (a restore point),
    /// with this description (or --description).
    #[arg(long, value_name = "DESCRIPTION", num_args = 0..=1, default_missing_value = "")]
    pub create_backup: Option<String>,
    /// The restore point's description (the original suite's form).
    #[arg(long, value_name = "TEXT", requires = "create_backup")]
    pub description: Option<String>,
    /// Watch the set's health for --duration; when it stays under --health-threshold for
    /// --consecutive checks, roll back to the last revision recorded healthy (with
    /// --confirm; without it, show that rollback's impact).
    #[arg(long, visible_alias = "auto", conflicts_with_all = ["target_revision", "to_previous", "to_last_healthy", "list", "create_backup"])]
    pub auto_rollback: bool,
    #[command(flatten)]
    pub rollback_flags: confgate::settings::RollbackFlags,
    #[command(flatten)]
    pub scan: ScanFlags,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
}

/// `confgate backup`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub struct BackupArgs {
    /// create, incremental, list, show, verify, restore, test-restore, sync, prune, rekey,
    /// keygen or metrics (BACKUP_ACTION; the suite's test = test-restore).
    #[arg(value_name = "ACTION", env = "BACKUP_ACTION")]
    pub action: Option<String>,
    /// The backup (show, verify, restore, test-restore) or the base of an incremental: an
    /// id, a unique prefix of one, or `latest` (BACKUP_ID).
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    /// The original suite's --action (same as ACTION).
    #[arg(long = "action", value_name = "ACTION", hide = true)]
    pub action_flag: Option<String>,
    /// The original suite's full backup.
    #[arg(long, hide = true)]
    pub create_backup: bool,
    /// The original suite's incremental backup on BASE_ID.
    #[arg(long, value_name = "BASE_ID", hide = true)]
    pub create_incremental: Option<String>,
    /// The original suite's restore (with --backup-id).
    #[arg(long, hide = true)]
    pub restore: bool,
    /// The backup (the original suite's --backup-id; BACKUP_ID).
    #[arg(long, env = "BACKUP_ID", value_name = "ID")]
    pub backup_id: Option<String>,
    /// The original suite's restore drill of ID.
    #[arg(long, value_name = "ID", hide = true)]
    pub test_restore: Option<String>,
    /// The original suite's sync to a provider (aws, azure, gcs).
    #[arg(long, value_name = "PROVIDER", hide = true)]
    pub sync_to_cloud: Option<String>,
    /// The original suite's integrity check (of --backup-id, else of every backup).
    #[arg(long, hide = true)]
    pub verify: bool,
    /// `sync`: the provider whose store [backup.providers] names (aws, azure, gcs).
    #[arg(long, value_name = "PROVIDER")]
    pub provider: Option<String>,
    /// A description recorded in the backup.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Back up only this namespace (repeatable; CONFGATE_NAMESPACE, else the original
    /// suite's NAMESPACE, else [backup] namespaces, else the context's namespace). With
    /// restore: restore only these namespaces of the backup.
    #[arg(
        long,
        short = 'n',
        env = "CONFGATE_NAMESPACE",
        value_delimiter = ',',
        value_name = "NS"
    )]
    pub namespace: Vec<String>,
    /// Back up every namespace and the cluster-scoped objects.
    #[arg(long, short = 'A')]
    pub all_namespaces: bool,
    /// Recorded: the backup is meant to be restored into other environments.
    #[arg(long)]
    pub cross_env: bool,
    /// Only these kinds (backup and restore).
    #[arg(long, value_delimiter = ',', value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Leave out these kinds (backup).
    #[arg(long, value_delimiter = ',', value_name = "KIND")]
    pub exclude_kinds: Vec<String>,
    /// Restore namespace FROM into TO (repeatable).
    #[arg(long, value_name = "FROM=TO")]
    pub namespace_map: Vec<String>,
    /// Show what would happen, change nothing (the default of restore, test-restore,
    /// prune and sync without --confirm).
    #[arg(long, env = "CONFGATE_DRY_RUN")]
    pub dry_run: bool,
    /// Change the cluster or the store (restore, test-restore, prune, sync, rekey).
    #[arg(long, env = "CONFGATE_CONFIRM", conflicts_with = "dry_run")]
    pub confirm: bool,
    /// Restore even when the restored objects have findings at or above the gate.
    #[arg(long)]
    pub allow_findings: bool,
    /// Take over fields other managers own when restoring.
    #[arg(long)]
    pub force_conflicts: bool,
    /// test-restore: the scratch namespace (default confgate-drill-<time>).
    #[arg(long, value_name = "NS")]
    pub drill_namespace: Option<String>,
    /// test-restore: leave the scratch namespace for inspection.
    #[arg(long)]
    pub keep: bool,
    /// rekey: the file holding the new master key.
    #[arg(long, value_name = "FILE")]
    pub new_key_file: Option<PathBuf>,
    /// keygen: where to write the new key (created 0600).
    #[arg(long = "key-output", value_name = "FILE")]
    pub key_output: Option<PathBuf>,
    /// metrics: the metric name prefix (default [monitor] metric-prefix, else confgate).
    #[arg(long, value_name = "PREFIX")]
    pub metric_prefix: Option<String>,
    /// Do not scan what is backed up (the manifest then has no scan summary; a restore
    /// always scans what it restores).
    #[arg(long)]
    pub no_scan: bool,
    /// Seconds a restore's apply may take (default 600).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    #[command(flatten)]
    pub flags: confgate::settings::BackupFlags,
    #[command(flatten)]
    pub scan: ScanFlags,
    #[command(flatten)]
    pub connect: confgate::settings::ConnectFlags,
}

/// `confgate deploy history`.
#[cfg(feature = "cluster")]
#[derive(Subcommand, Debug)]
pub enum DeploySub {
    /// List the recorded revisions of a set (newest last).
    History {
        /// The set (as `deploy --set` names it).
        #[arg(long, env = "CONFGATE_SET", value_name = "NAME")]
        set: String,
        /// The set's namespace (default: the context's).
        #[arg(long, short = 'n', env = "CONFGATE_NAMESPACE", value_name = "NS")]
        namespace: Option<String>,
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        #[command(flatten)]
        connect: confgate::settings::ConnectFlags,
    },
}

/// `confgate cluster ...`.
#[cfg(feature = "cluster")]
#[derive(Subcommand, Debug)]
pub enum ClusterCommand {
    /// Write the cleaned live state as YAML: one file per object under --output-dir
    /// (<context>/<namespace>/<kind>/<name>.yaml) or one multi-document stream. Secret
    /// values only with --include-secrets.
    Export {
        /// Write one file per object under this directory.
        #[arg(long, value_name = "DIR", conflicts_with = "output")]
        output_dir: Option<PathBuf>,
        /// Write the stream to FILE (atomically) instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Write Secret values (default: keys only, values emptied).
        #[arg(long)]
        include_secrets: bool,
        #[command(flatten)]
        connect: confgate::settings::ConnectFlags,
        #[command(flatten)]
        read: confgate::settings::ReadFlags,
    },
    /// Live state against files, by server-side dry-run apply (field manager confgate);
    /// unified diff with Secret values masked. Exit 1 when something differs.
    Diff {
        /// Files or directories of manifests.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<String>,
        /// Namespace for objects that name none (default: the context's).
        #[arg(long, short = 'n', value_name = "NS")]
        namespace: Option<String>,
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        #[command(flatten)]
        connect: confgate::settings::ConnectFlags,
    },
    /// Reachability, server version, identity, and the permissions missing for scan,
    /// deploy, rollback and backup. Exit 1 when a permission is missing.
    Check {
        /// Namespace the deploy/rollback/backup checks are about (default: the context's).
        #[arg(long, short = 'n', value_name = "NS")]
        namespace: Option<String>,
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        #[command(flatten)]
        connect: confgate::settings::ConnectFlags,
    },
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List rules.
    List {
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// Only rules mapped to this framework.
        #[arg(long, value_enum)]
        framework: Option<Framework>,
    },
    /// Show everything about one rule.
    Explain {
        /// Rule id (CG1001) or name (privileged-container).
        rule: String,
    },
    /// Export rule × framework × control mappings.
    Export {
        #[arg(long, short = 'f', value_enum, default_value_t = confgate::ruledocs::ExportFormat::Csv)]
        format: confgate::ruledocs::ExportFormat,
        /// Only this framework.
        #[arg(long, value_enum)]
        framework: Option<Framework>,
        /// Write to FILE instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Generate the rule docs (one Markdown page per rule and an index).
    Docs {
        /// Directory to write into.
        #[arg(long, short = 'o', default_value = "docs/rules")]
        output: PathBuf,
        /// Write nothing; exit 1 when the directory is not up to date.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Real-world corpus to scan.
    #[arg(long, default_value = "../shared/corpus")]
    pub corpus: PathBuf,
    /// Size of the generated corpus (documents).
    #[arg(long, default_value_t = 20_000)]
    pub generated: usize,
    /// Timed repetitions per measurement (the best is reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Also measure each rule alone (slower).
    #[arg(long)]
    pub per_rule: bool,
    /// The scan at scale instead: the corpus, 11 and 55 copies of it (~20,000 and ~100,000
    /// documents), each scanned with SARIF by a fresh `confgate scan` process (wall time and
    /// that process's peak RSS), parse-only times and the cost of each Rego package.
    #[arg(long)]
    pub scale: bool,
    /// With --scale: only the corpus runs and parse-only (the short bench CI prints).
    #[arg(long, requires = "scale")]
    pub quick: bool,
    /// With --scale: scans of the corpus (median and best reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
}
