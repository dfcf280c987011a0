//! Command-line types (clap only). Every scan option can also come from a `CONFGATE_*`
//! variable (shown in `--help`) and from `confgate.toml`; merging happens in `settings`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use confgate::catalog::{Framework, Severity};
use confgate::engine::EngineMode;
use confgate::report::OutputFormat;
use confgate::settings::ScanFlags;

#[derive(Parser, Debug)]
#[command(
    name = "confgate",
    version,
    about = "Guards Kubernetes configuration from the commit to the cluster"
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
    /// More log output on stderr (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
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
    Validate(ValidateArgs),
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
}

/// `confgate audit`: the options of `scan`; `--format` is text, json or html.
#[derive(Args, Debug)]
pub struct AuditArgs {
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
    /// Do not honour .gitignore files.
    #[arg(long, env = "CONFGATE_NO_GITIGNORE")]
    pub no_gitignore: bool,
    /// Seconds one policy package may run on one document.
    #[arg(long, env = "CONFGATE_POLICY_TIMEOUT", value_name = "SECONDS")]
    pub policy_timeout: Option<f64>,
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
    /// Evaluate every conftest namespace.
    #[arg(long, env = "CONFGATE_ALL_NAMESPACES")]
    pub all_namespaces: bool,
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

impl ScanArgs {
    pub fn flags(&self) -> ScanFlags {
        ScanFlags {
            format: self.format,
            output: self.output.clone(),
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            framework: self.framework.clone(),
            severity: self.severity,
            fail_on: self.fail_on,
            exclude: self.exclude.clone(),
            jobs: self.jobs,
            engine: self.engine,
            max_file_size: self.max_file_size.clone(),
            no_gitignore: self.no_gitignore,
            policy_timeout: self.policy_timeout,
            stdin_filename: self.stdin_filename.clone(),
            kube_version: self.kube_version.clone(),
            shard: self.shard.clone(),
            policy: self.policy.clone(),
            data: self.data.clone(),
            policy_namespace: self.policy_namespace.clone(),
            all_namespaces: self.all_namespaces,
            combine: self.combine,
            waivers: self.waivers.clone(),
            baseline: self.baseline.clone(),
            write_baseline: self.write_baseline.clone(),
            sarif_category: self.sarif_category.clone(),
        }
    }
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
}

#[derive(Args, Debug, Clone)]
pub struct GenerateArgs {
    /// Environment to render: profiles/NAME.yaml (extending base.yaml).
    #[arg(long, short = 'e', env = "CONFGATE_ENVIRONMENT", value_name = "NAME")]
    pub environment: String,
    /// Target namespace (default: `namespace` under [generate] in confgate.toml, with
    /// {environment} replaced; else the environment name).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Directory of the Tera templates (default templates/).
    #[arg(long, env = "CONFGATE_TEMPLATE_DIR", value_name = "DIR")]
    pub template_dir: Option<PathBuf>,
    /// Directory of the profiles (default profiles/).
    #[arg(long, env = "CONFGATE_PROFILE_DIR", value_name = "DIR")]
    pub profile_dir: Option<PathBuf>,
    /// Where the manifests go (default generated/{environment}).
    #[arg(long, short = 'o', env = "CONFGATE_OUTPUT_DIR", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Print a unified diff against the output directory and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Override a variable (dotted keys reach into maps); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Content-hash name suffixes for every generated ConfigMap and Secret.
    #[arg(long)]
    pub hash_suffix: bool,
    /// Remove generated files that are no longer generated.
    #[arg(long)]
    pub prune: bool,
    /// Refuse to write when a finding at or above this severity remains (default high).
    #[arg(long, value_enum, env = "CONFGATE_FAIL_ON")]
    pub fail_on: Option<Severity>,
}

#[derive(Args, Debug, Clone)]
pub struct ValidateArgs {
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
    pub output_format: Option<confgate::validate::report::ValidateFormat>,
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
