//! The scan's settings: `ScanFlags` (clap, with `CONFGATE_*`) over the top level of
//! `confgate.toml` over defaults, resolved once into [`ScanSettings`] with the waivers and
//! baseline loaded. `scan`, `audit`, `waivers audit`, `generate`'s gate and `validate
//! --security-compliance` all start from here.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::catalog::{Framework, Severity};
use crate::diag::{Code, Diagnostic};
use crate::engine::EngineMode;
use crate::gate::Gate;
use crate::report::OutputFormat;
use crate::scan::{ScanOptions, Selection};
use crate::source::LoadOptions;

use super::file::{FileConfig, Size, parse_size};
use super::{CONFIG_FILE, WAIVER_FILE};

/// The scan's options as given on the command line and in `CONFGATE_*` variables (clap
/// reads both); `None` and empty mean "not given", so the settings file can fill them.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ScanFlags {
    /// Output format.
    #[arg(long, short = 'f', value_enum, env = "CONFGATE_FORMAT")]
    pub format: Option<OutputFormat>,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', env = "CONFGATE_OUTPUT", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Run only these rules (ids, id prefixes such as CG1, or names).
    #[arg(
        long,
        env = "CONFGATE_SELECT",
        value_delimiter = ',',
        value_name = "RULE"
    )]
    pub select: Vec<String>,
    /// Skip these rules (ids, id prefixes or names).
    #[arg(
        long,
        env = "CONFGATE_IGNORE",
        value_delimiter = ',',
        value_name = "RULE"
    )]
    pub ignore: Vec<String>,
    /// Run only the rules mapped to these frameworks.
    #[arg(long, value_enum, env = "CONFGATE_FRAMEWORK", value_delimiter = ',')]
    pub framework: Vec<Framework>,
    /// Report only findings at or above this severity.
    #[arg(long, value_enum, env = "CONFGATE_SEVERITY")]
    pub severity: Option<Severity>,
    /// Exit 1 when a finding at or above this severity remains (default high).
    #[arg(long, value_enum, env = "CONFGATE_FAIL_ON")]
    pub fail_on: Option<Severity>,
    /// Skip paths matching these globs (repo-relative).
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
    /// Policy back end.
    #[arg(long, value_enum, env = "CONFGATE_ENGINE")]
    pub engine: Option<EngineMode>,
    /// Largest file read (e.g. 16MiB).
    #[arg(long, env = "CONFGATE_MAX_FILE_SIZE", value_name = "SIZE")]
    pub max_file_size: Option<String>,
    /// Inputs larger than this in all (e.g. 8MiB, the default; 0 = always) are scanned in
    /// two passes that keep only the inventory and the findings in memory.
    #[arg(long, env = "CONFGATE_STREAM_ABOVE", value_name = "SIZE")]
    pub stream_above: Option<String>,
    /// Do not honour .gitignore files.
    #[arg(long, env = "CONFGATE_NO_GITIGNORE")]
    pub no_gitignore: bool,
    /// Seconds one policy package may run on one document.
    #[arg(long, env = "CONFGATE_POLICY_TIMEOUT", value_name = "SECONDS")]
    pub policy_timeout: Option<f64>,
    /// Seconds reading one file (YAML parsing included) may take.
    #[arg(long, env = "CONFGATE_LOAD_TIMEOUT", value_name = "SECONDS")]
    pub load_timeout: Option<f64>,
    /// Name shown for stdin input.
    #[arg(long, env = "CONFGATE_STDIN_FILENAME", value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// Kubernetes release to check API versions against (default: the newest known).
    #[arg(long, env = "CONFGATE_KUBE_VERSION", value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Evaluate only shard I of N (deterministic by file path); merge shard reports with
    /// `confgate report merge`.
    #[arg(long, env = "CONFGATE_SHARD", value_name = "I/N")]
    pub shard: Option<String>,
    /// User policies: conftest-style Rego or Gatekeeper ConstraintTemplates and Constraints
    /// (repeatable).
    #[arg(
        long,
        env = "CONFGATE_POLICY",
        value_delimiter = ',',
        value_name = "DIR"
    )]
    pub policy: Vec<PathBuf>,
    /// Extra data (YAML/JSON) for conftest policies (repeatable).
    #[arg(long, env = "CONFGATE_DATA", value_delimiter = ',', value_name = "DIR")]
    pub data: Vec<PathBuf>,
    /// conftest namespaces to evaluate (default main).
    #[arg(
        long,
        env = "CONFGATE_POLICY_NAMESPACE",
        value_delimiter = ',',
        value_name = "NS"
    )]
    pub policy_namespace: Vec<String>,
    /// Evaluate every conftest namespace (conftest's `--all-namespaces`; that name is
    /// taken by the cluster namespaces).
    #[arg(long, env = "CONFGATE_ALL_POLICY_NAMESPACES")]
    pub all_policy_namespaces: bool,
    /// Give conftest policies all documents as one input.
    #[arg(long, env = "CONFGATE_COMBINE")]
    pub combine: bool,
    /// Waiver file (default: confgate-waivers.yaml beside confgate.toml).
    #[arg(long, env = "CONFGATE_WAIVERS", value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Only findings not in this baseline count for the gate.
    #[arg(long, env = "CONFGATE_BASELINE", value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings as a baseline in FILE.
    #[arg(long, env = "CONFGATE_WRITE_BASELINE", value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// HTML only: render with this tera template instead of the embedded one.
    #[arg(long, env = "CONFGATE_TEMPLATE", value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// SARIF `automationDetails.id` category, one per upload to code scanning
    /// (default confgate/scan).
    #[arg(long, env = "CONFGATE_SARIF_CATEGORY", value_name = "CATEGORY")]
    pub sarif_category: Option<String>,
}

/// Fully resolved settings for a scan.
#[derive(Clone, Debug)]
pub struct ScanSettings {
    pub scan: ScanOptions,
    pub format: OutputFormat,
    pub output: Option<PathBuf>,
    pub gate: Gate,
    /// Where to record the findings as a baseline.
    pub write_baseline: Option<PathBuf>,
    /// SARIF `automationDetails.id` category.
    pub sarif_category: Option<String>,
    /// A tera template replacing the embedded HTML one.
    pub template: Option<PathBuf>,
}

/// Loads the waivers and the baseline the settings name. `config_dir` is the directory of
/// `confgate.toml` (or the current directory), where `confgate-waivers.yaml` is looked for.
fn load_governance(
    flags: &ScanFlags,
    file: &FileConfig,
    config_dir: &Path,
    scan: &mut ScanOptions,
) -> Result<(), Diagnostic> {
    let mut waivers = crate::waiver::compile_all(file.waivers.clone(), CONFIG_FILE)?;
    let explicit = flags
        .waivers
        .clone()
        .or_else(|| file.waivers_file.clone().map(|p| config_dir.join(p)));
    let path = explicit
        .clone()
        .or_else(|| Some(config_dir.join(WAIVER_FILE)).filter(|p| p.is_file()));
    if let Some(p) = path {
        waivers.extend(crate::waiver::read_waiver_file(&p)?);
    }
    scan.waivers = waivers;
    let baseline = flags
        .baseline
        .clone()
        .or_else(|| file.baseline.clone().map(|p| config_dir.join(p)));
    if let Some(p) = baseline {
        scan.baseline = Some(crate::baseline::Baseline::read(&p)?);
    }
    Ok(())
}

/// The longest time limit accepted (`policy-timeout`, `policy test --timeout`): one hour.
/// A limit is a guard against runaway policies; longer ones are mistakes (and a huge number
/// of seconds does not fit a `Duration`).
pub const MAX_SECONDS: f64 = 3600.0;

/// A time limit given in seconds: positive, finite and at most [`MAX_SECONDS`].
pub fn seconds(what: &str, secs: f64) -> Result<Duration, Diagnostic> {
    if !(secs.is_finite() && secs > 0.0 && secs <= MAX_SECONDS) {
        return Err(Diagnostic::new(
            Code::Settings,
            format!(
                "{what} must be a positive number of seconds up to {MAX_SECONDS} (one hour), got {secs}"
            ),
        ));
    }
    // Below a nanosecond the Duration would be zero: no time at all is not a limit.
    Ok(Duration::from_secs_f64(secs).max(Duration::from_nanos(1)))
}

fn or_vec<T: Clone>(flag: &[T], file: &Option<Vec<T>>) -> Vec<T> {
    if flag.is_empty() {
        file.clone().unwrap_or_default()
    } else {
        flag.to_vec()
    }
}

/// Merges flags over the settings file over defaults, and loads the waivers and baseline
/// the result names.
pub(super) fn resolve(
    flags: &ScanFlags,
    file: &FileConfig,
    config_dir: &Path,
    cwd: &Path,
) -> Result<ScanSettings, Diagnostic> {
    let bad = |message: String| Diagnostic::new(Code::Settings, message);
    let max_file_size = match (&flags.max_file_size, &file.max_file_size) {
        (Some(s), _) => parse_size(s).map_err(bad)?,
        (None, Some(Size::Bytes(b))) => *b,
        (None, Some(Size::Text(s))) => parse_size(s).map_err(bad)?,
        (None, None) => LoadOptions::default().max_file_size,
    };
    let stream_above = match &flags.stream_above {
        Some(s) => parse_size(s).map_err(bad)?,
        None => crate::scan::STREAM_ABOVE,
    };
    let timeout = flags.policy_timeout.or(file.policy_timeout).unwrap_or(5.0);
    let timeout = seconds("policy-timeout", timeout)?;
    let load_timeout = match flags.load_timeout.or(file.load_timeout) {
        Some(s) => seconds("load-timeout", s)?,
        None => LoadOptions::default().load_timeout,
    };
    let load = LoadOptions {
        load_timeout,
        exclude: or_vec(&flags.exclude, &file.exclude),
        max_file_size,
        gitignore: !flags.no_gitignore && file.gitignore.unwrap_or(true),
        stdin_name: flags
            .stdin_filename
            .clone()
            .or_else(|| file.stdin_filename.clone())
            .unwrap_or_else(|| "stdin".to_string()),
    };
    let selection = Selection {
        select: or_vec(&flags.select, &file.select),
        ignore: or_vec(&flags.ignore, &file.ignore),
        frameworks: or_vec(&flags.framework, &file.framework),
        min_severity: flags.severity.or(file.severity),
        severity_overrides: file.severity_overrides.clone(),
    };
    let kube_version = match flags.kube_version.as_ref().or(file.kube_version.as_ref()) {
        Some(v) => match crate::k8s::KubeVersion::parse(v) {
            Some(k) if k.is_supported() => k,
            Some(_) => {
                return Err(bad(format!(
                    "kube-version {v:?} is not supported: the rules know Kubernetes 1.{}–{}",
                    crate::k8s::OLDEST_MINOR,
                    crate::k8s::NEWEST_VERSION
                )));
            }
            None => {
                return Err(bad(format!(
                    "kube-version {v:?} is not a version like 1.34"
                )));
            }
        },
        None => crate::k8s::KubeVersion::NEWEST,
    };
    let shard = flags
        .shard
        .as_deref()
        .map(crate::scan::Shard::parse)
        .transpose()
        .map_err(bad)?;
    let policy_paths = or_vec(&flags.policy, &file.policy);
    let custom = (!policy_paths.is_empty()).then(|| {
        let defaults = crate::engine::custom::CustomOptions::default();
        let namespaces = or_vec(&flags.policy_namespace, &file.policy_namespace);
        crate::engine::custom::CustomOptions {
            base_dir: cwd.to_path_buf(),
            policy_paths,
            data_paths: or_vec(&flags.data, &file.data),
            namespaces: if namespaces.is_empty() {
                defaults.namespaces.clone()
            } else {
                namespaces
            },
            all_namespaces: flags.all_policy_namespaces
                || file.all_policy_namespaces.unwrap_or(false),
            timeout,
            combine: flags.combine || file.combine.unwrap_or(false),
            ..defaults
        }
    });
    let mut settings = ScanSettings {
        template: flags.template.clone(),
        write_baseline: flags.write_baseline.clone(),
        sarif_category: flags
            .sarif_category
            .clone()
            .or_else(|| file.sarif_category.clone()),
        scan: ScanOptions {
            kube_version,
            shard,
            custom,
            waivers: Vec::new(),
            baseline: None,
            load,
            selection,
            engine: flags.engine.or(file.engine).unwrap_or_default(),
            jobs: flags.jobs.or(file.jobs).unwrap_or(0),
            policy_timeout: timeout,
            sources: crate::scan::SourceRetention::All,
            resources: true,
            stream_above,
        },
        format: flags.format.or(file.format).unwrap_or(OutputFormat::Text),
        output: flags.output.clone().or_else(|| file.output.clone()),
        gate: Gate::new(flags.fail_on.or(file.fail_on).unwrap_or(Severity::High)),
    };
    load_governance(flags, file, config_dir, &mut settings.scan)?;
    Ok(settings)
}
