//! `confgate validate`'s settings: its flags over `[validate]` in `confgate.toml` over
//! defaults (see [`super::file::ValidateSection`] for the table), with the scan settings of
//! the same file for `--security-compliance`.
//!
//! ```toml
//! [validate]
//! config-dir = "generated/{environment}"   # default for --config-dir
//! strict = false                           # unknown fields and warnings are errors
//! security-compliance = false              # add the scan's findings
//! kube-version = "1.37"                    # default: the top-level kube-version, else newest
//! business-policy = ["policies/business"]  # your own business rules (package confgate.business)
//! builtin-business-rules = true            # the shipped rules (policies/business)
//!
//! [[validate.schemas]]                     # JSON Schemas for ConfigMap data
//! configmap = "shop-*"                     # glob on the ConfigMap name (default: any)
//! namespace = "shop-prod"                  # glob on its namespace (default: any)
//! key = "app.json"                         # glob on the data key (default: keys holding JSON/YAML)
//! schema = "schemas/app-config.schema.json"
//!
//! [validate.environments.prod]             # parameters of the business rules
//! min-replicas = 3
//! required-labels = ["team", "app.kubernetes.io/name"]
//! ```
//!
//! Paths are relative to the file's directory; `{environment}` is replaced in `config-dir`.
//! Unknown keys are errors naming their line (except inside `environments.*`, which are free
//! parameters for business rules, your own included).

use std::path::PathBuf;

use crate::catalog::Severity;
use crate::diag::{Code, Diagnostic};
use crate::engine::EngineMode;
use crate::validate::ValidateOptions;
use crate::validate::report::ValidateFormat;

use super::Settings;
use super::scan::ScanFlags;

/// `confgate validate`'s options as given on the command line (and in `CONFGATE_*`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ValidateFlags {
    /// More files or directories to validate.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Directory of configuration to validate (default: `config-dir` under [validate] in
    /// confgate.toml with {environment} replaced, else the current directory); repeatable.
    #[arg(
        long,
        env = "CONFGATE_CONFIG_DIR",
        value_delimiter = ',',
        value_name = "DIR"
    )]
    pub config_dir: Vec<String>,
    /// Environment whose business rules apply (prod, staging, dev, …).
    #[arg(long, short = 'e', env = "CONFGATE_ENVIRONMENT", value_name = "NAME")]
    pub environment: Option<String>,
    /// Unknown fields are errors, and so is every warning.
    #[arg(long, visible_alias = "strict-mode", env = "CONFGATE_STRICT")]
    pub strict: bool,
    /// Add the security scan's findings (errors at or above --fail-on, warnings below).
    #[arg(long, env = "CONFGATE_SECURITY_COMPLIANCE")]
    pub security_compliance: bool,
    /// Text: add a per-file table and what each check covered.
    #[arg(long, env = "CONFGATE_DETAILED_REPORT")]
    pub detailed_report: bool,
    /// Report format.
    #[arg(
        long,
        visible_alias = "format",
        short = 'f',
        value_enum,
        env = "CONFGATE_OUTPUT_FORMAT"
    )]
    pub output_format: Option<crate::validate::report::ValidateFormat>,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Kubernetes release of the schema (bundled: 1.25 to 1.37; default: the newest).
    #[arg(long, env = "CONFGATE_KUBE_VERSION", value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Directories or files of your own business rules (Rego, package confgate.business).
    #[arg(long, value_delimiter = ',', value_name = "DIR")]
    pub business_policy: Vec<PathBuf>,
    /// Do not run the built-in business rules.
    #[arg(long)]
    pub no_builtin_business_rules: bool,
    /// With --security-compliance: findings at or above this severity are errors (default high).
    #[arg(long, value_enum, env = "CONFGATE_FAIL_ON")]
    pub fail_on: Option<Severity>,
    /// Skip paths matching these globs.
    #[arg(
        long,
        env = "CONFGATE_EXCLUDE",
        value_delimiter = ',',
        value_name = "GLOB"
    )]
    pub exclude: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', env = "CONFGATE_JOBS")]
    pub jobs: Option<usize>,
    /// Policy back end for business rules and the security scan.
    #[arg(long, value_enum, env = "CONFGATE_ENGINE")]
    pub engine: Option<EngineMode>,
}

/// Everything `confgate validate` needs, resolved.
pub struct ValidateSettings {
    pub options: ValidateOptions,
    pub format: ValidateFormat,
    pub output: Option<PathBuf>,
    pub detailed: bool,
}

/// Merges the flags over `[validate]` and the file's scan settings.
pub(super) fn resolve(
    settings: &Settings,
    flags: &ValidateFlags,
) -> Result<ValidateSettings, Diagnostic> {
    let section = settings.file.validate.clone().unwrap_or_default();
    let env = flags.environment.as_deref();
    let mut paths: Vec<String> = flags.config_dir.clone();
    paths.extend(flags.paths.iter().cloned());
    if paths.is_empty() {
        match &section.config_dir {
            Some(d) if d.contains("{environment}") && env.is_none() => {
                return Err(Diagnostic::new(
                    Code::Settings,
                    format!("config-dir {d:?} needs --environment"),
                )
                .file(settings.shown()));
            }
            Some(d) => {
                let d = d.replace("{environment}", env.unwrap_or_default());
                paths.push(settings.dir_abs().join(d).to_string_lossy().into_owned());
            }
            None => paths.push(".".to_string()),
        }
    }
    let kube_version = flags
        .kube_version
        .clone()
        .or_else(|| section.kube_version.clone());
    // The schemas cover their own range (with a note outside it); the security scan checks
    // against the nearest release its rules know.
    let scan_version = kube_version
        .as_deref()
        .and_then(crate::k8s::KubeVersion::parse)
        .map(|v| {
            let minor = if v.major < 1 {
                crate::k8s::OLDEST_MINOR
            } else if v.major > 1 {
                crate::k8s::NEWEST_MINOR
            } else {
                v.minor
                    .clamp(crate::k8s::OLDEST_MINOR, crate::k8s::NEWEST_MINOR)
            };
            format!("1.{minor}")
        });
    let scan = settings.scan(&ScanFlags {
        fail_on: flags.fail_on,
        exclude: flags.exclude.clone(),
        jobs: flags.jobs,
        engine: flags.engine,
        kube_version: scan_version,
        ..ScanFlags::default()
    })?;
    let business_policies = if flags.business_policy.is_empty() {
        section
            .business_policy
            .iter()
            .flatten()
            .map(|p| settings.dir_abs().join(p))
            .collect()
    } else {
        flags.business_policy.clone()
    };
    let options = ValidateOptions {
        paths,
        environment: flags.environment.clone(),
        strict: flags.strict || section.strict.unwrap_or(false),
        security_compliance: flags.security_compliance
            || section.security_compliance.unwrap_or(false),
        kube_version: kube_version.unwrap_or_else(|| scan.scan.kube_version.to_string()),
        schemas: section.schemas.clone(),
        base_dir: settings.dir_abs(),
        business_params: crate::validate::params::business_params(env, &section.environments),
        business_policies,
        builtin_business: !flags.no_builtin_business_rules
            && section.builtin_business_rules.unwrap_or(true),
        gate: scan.gate,
        scan: scan.scan,
    };
    Ok(ValidateSettings {
        options,
        format: flags.output_format.unwrap_or_default(),
        output: flags.output.clone(),
        detailed: flags.detailed_report,
    })
}
