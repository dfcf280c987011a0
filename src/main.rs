//! The `confgate` binary: parses the command line, runs one command, maps the outcome to an
//! exit code (0 clean, 1 findings at or above the gate, 2 error; a closed stdout pipe is 0).

mod cli;
mod cmd;

use std::io::IsTerminal;
use std::process::ExitCode;

use cli::{Cli, ColorChoice, Command, LogFormat};

// The scan allocates and frees many small values on every worker thread; glibc's malloc
// serialises them on its arena locks (measured: a sixth of the webhook's time under load).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How a command ended.
pub enum Status {
    Clean,
    Findings,
    Error,
}

impl From<confgate::gate::Verdict> for Status {
    fn from(v: confgate::gate::Verdict) -> Status {
        match v {
            confgate::gate::Verdict::Pass => Status::Clean,
            confgate::gate::Verdict::Fail => Status::Findings,
            confgate::gate::Verdict::Error => Status::Error,
        }
    }
}

/// The original suite's variables that stand in for a `CONFGATE_*` one when only they are
/// set (the `CONFGATE_*` name wins when both are).
const LEGACY_ENV: &[(&str, &str)] = &[
    ("CONFGATE_ENVIRONMENT", "ENVIRONMENT"),
    ("CONFGATE_NAMESPACE", "NAMESPACE"),
    ("CONFGATE_DRY_RUN", "DRY_RUN"),
    ("CONFGATE_OUTPUT_DIR", "OUTPUT_DIR"),
    ("CONFGATE_ROLLBACK_TARGET", "ROLLBACK_TARGET"),
    ("CONFGATE_DURATION", "MONITOR_DURATION"),
];

/// Every option reading `CONFGATE_X` reads the suite's name instead when only that is set.
fn legacy_env(cmd: clap::Command) -> clap::Command {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    cmd.mut_args(|a| {
        let found = a
            .get_env()
            .and_then(|e| e.to_str())
            .and_then(|e| LEGACY_ENV.iter().find(|(c, _)| *c == e));
        match found {
            Some((c, l)) if !set(c) && set(l) => a.env(*l),
            _ => a,
        }
    })
    .mut_subcommands(legacy_env)
}

fn parse() -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let mut cmd = legacy_env(Cli::command());
    let matches = cmd.try_get_matches_from_mut(std::env::args_os())?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

fn main() -> ExitCode {
    // Transparent huge pages off: mimalloc asks for them, and the kernel then zeroes 2 MiB at
    // the first touch of each fresh region, most of which a short scan never uses (measured
    // with perf: a quarter of a corpus scan's samples were in clear_page_erms, a tenth
    // without). Nothing depends on it; a kernel that refuses is fine.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let cli = match parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    // Log lines go to stderr, so `auto` asks whether stderr is a terminal; JSON lines are
    // never coloured.
    let log_color = cli.log_format == LogFormat::Text
        && match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color_env && std::io::stderr().is_terminal(),
        };
    init_logging(cli.verbose, cli.quiet, log_color, cli.log_format);
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color_env && std::io::stdout().is_terminal(),
    };
    let result = match &cli.command {
        Command::Scan(args) => cmd::scan::run(&cli, args, color),
        Command::Rules(c) => cmd::rules::run(c),
        Command::Policy(c) => cmd::policy::run(c),
        Command::Report(c) => cmd::report::run(c),
        Command::Waivers(c) => cmd::waivers::run(&cli, c),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Generate(args) => cmd::generate::run(&cli, args, color),
        Command::Validate(args) => cmd::validate::run(&cli, args, color),
        Command::Audit(args) => cmd::audit::run(&cli, args),
        Command::SecurityScan(args) => cmd::compat::security_scan(&cli, args, color),
        Command::SecurityAudit(args) => cmd::compat::security_audit(&cli, args),
        #[cfg(feature = "cluster")]
        Command::Deploy(args) => cmd::deploy::run(&cli, args),
        #[cfg(feature = "cluster")]
        Command::Rollback(args) => cmd::rollback::run(&cli, args),
        #[cfg(feature = "cluster")]
        Command::Cluster(c) => cmd::cluster::run(&cli, c, color),
        #[cfg(feature = "cluster")]
        Command::Backup(args) => cmd::backup::run(&cli, args),
        #[cfg(feature = "cluster")]
        Command::Monitor(args) => cmd::monitor::run(&cli, args),
        #[cfg(feature = "cluster")]
        Command::Serve(args) => cmd::monitor::serve(&cli, args),
        #[cfg(feature = "cluster")]
        Command::Webhook(c) => cmd::webhook::run(c),
        #[cfg(feature = "cluster")]
        Command::Status(args) => cmd::status::run(&cli, args),
        #[cfg(feature = "cluster")]
        Command::FullCycle(args) => cmd::full_cycle::run(&cli, args),
        #[cfg(feature = "cluster")]
        Command::Cleanup(args) => cmd::cleanup::run(&cli, args),
        #[cfg(feature = "cluster")]
        Command::DisasterTest(args) => cmd::disaster_test::run(&cli, args),
        #[cfg(feature = "cluster")]
        Command::Doctor(args) => cmd::doctor::run(&cli, args),
        #[cfg(feature = "cluster")]
        Command::GenerateIncidentReport(args) => cmd::incident::run(&cli, args),
        #[cfg(feature = "cluster")]
        Command::GenerateMaintenanceReport(args) => cmd::maintenance::run(&cli, args),
        #[cfg(feature = "cluster")]
        Command::AnalyzeImpact(args) => cmd::incident::analyze_impact(&cli, args),
    };
    confgate::bench::report_peak_rss();
    match result {
        Ok(Status::Clean) => ExitCode::SUCCESS,
        Ok(Status::Findings) => ExitCode::from(1),
        Ok(Status::Error) => ExitCode::from(2),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            // One line, and nothing in it (a crafted file name) can drive the terminal.
            let message = format!("{e:#}").replace('\n', " ");
            if cli.log_format == LogFormat::Json {
                // A log collector reads stderr: the error is one of its JSON lines.
                tracing::error!("{message}");
            } else {
                eprintln!(
                    "confgate: error: {}",
                    confgate::report::escape::control(&message)
                );
            }
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Log lines on stderr; `ansi` is the `--color` choice for stderr (off with `never`),
/// `format` text (no time: a person reads it beside the command) or JSON (one object a
/// line with its timestamp, for collectors).
fn init_logging(verbose: u8, quiet: bool, ansi: bool, format: LogFormat) {
    // LOG_LEVEL (the original suite's; CONFGATE_LOG_LEVEL wins) when no -v/-q is given.
    let env_level = confgate::settings::legacy::var("CONFGATE_LOG_LEVEL", "LOG_LEVEL")
        .and_then(|v| confgate::settings::legacy::log_level(&v));
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => env_level.unwrap_or("warn"),
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CONFGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("confgate={level}")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(ansi)
            .without_time()
            .with_target(false)
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_ansi(false)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}
