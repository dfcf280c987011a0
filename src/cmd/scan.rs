//! `confgate scan`.

use std::io::IsTerminal;

use confgate::diag::{Code, Diagnostic};
use confgate::report::{self, ReportContext};
use confgate::scan::Progress;
use confgate::settings;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Status;
use crate::cli::{Cli, ScanArgs};

/// Resolves settings (flags, `CONFGATE_*`, `confgate.toml`, waivers, baseline, user
/// policies) and runs the scan; shared by `scan` and `waivers audit`.
pub fn scan(
    cli: &Cli,
    args: &ScanArgs,
) -> anyhow::Result<(settings::ScanSettings, confgate::scan::ScanOutcome)> {
    scan_keeping(cli, args, false)
}

/// [`scan`], keeping only the source texts the report format reads when `for_report` (the
/// `scan` command; `audit` and `waivers audit` re-read every document).
fn scan_keeping(
    cli: &Cli,
    args: &ScanArgs,
    for_report: bool,
) -> anyhow::Result<(settings::ScanSettings, confgate::scan::ScanOutcome)> {
    let settings = super::settings(cli.config.as_deref())?;
    let mut s = settings.scan(&args.flags)?;
    if for_report {
        s.scan.sources = report::sources_needed(s.format);
        s.scan.resources = report::resources_needed(s.format);
    }
    #[cfg(feature = "cluster")]
    if args.live.cluster {
        let outcome = super::cluster::live_scan(&settings, &s, args)?;
        return Ok((s, outcome));
    }
    // The policies compile on a thread of their own while the inputs are found and parsed.
    let (scanner, prepared) = std::thread::scope(|scope| {
        let compiling = std::thread::Builder::new()
            .name("confgate-compile".to_string())
            .stack_size(16 * 1024 * 1024)
            .spawn_scoped(scope, || confgate::scan::Scanner::new(&s.scan));
        let prepared = confgate::scan::prepare(&args.paths, &s.scan, &settings.cwd);
        let scanner = match compiling {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(Diagnostic::new(
                    Code::PolicyLoad,
                    "the policy compilation thread stopped",
                ))
            }),
            // No thread to be had: compile here.
            Err(_) => confgate::scan::Scanner::new(&s.scan),
        };
        (scanner, prepared)
    });
    let scanner = scanner?;
    let bar = Bar::new(!cli.quiet && std::io::stderr().is_terminal());
    let outcome = scanner.scan_prepared(prepared?, &bar)?;
    Ok((s, outcome))
}

pub fn run(cli: &Cli, args: &ScanArgs, color: bool) -> anyhow::Result<Status> {
    let (s, outcome) = scan_keeping(cli, args, true)?;
    let template = super::read_template(s.template.as_deref())?;
    let ctx = ReportContext {
        outcome: &outcome,
        color: color && s.output.as_deref().is_none_or(|p| p.as_os_str() == "-"),
        gate: s.gate,
        template,
        sarif_category: s.sarif_category.clone(),
    };
    super::write_report(s.output.as_deref(), |w| {
        report::render_to(s.format, &ctx, w)
    })?;
    if let Some(path) = &s.write_baseline {
        let baseline = confgate::baseline::Baseline::from_findings(&outcome.findings);
        confgate::fsutil::write_atomic(path, &baseline.to_json()?)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    if !cli.quiet && s.format != report::OutputFormat::Text {
        for w in &outcome.warnings {
            eprintln!("confgate: warning: {}", report::escape::control(w));
        }
    }
    if !cli.quiet && s.format != report::OutputFormat::Text {
        for e in &outcome.errors {
            eprintln!(
                "confgate: error: {}",
                report::escape::control(&e.to_string())
            );
        }
    }
    Ok(s.gate
        .verdict(&outcome.findings, outcome.errors.len())
        .into())
}

/// An indicatif bar on stderr, drawn only on a terminal (and not with `--quiet`).
struct Bar(ProgressBar);

impl Bar {
    fn new(visible: bool) -> Bar {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} evaluating {pos}/{len} documents [{bar:30}] {elapsed}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, documents: u64) {
        self.0.set_length(documents);
    }
    fn advance(&self, documents: u64) {
        self.0.inc(documents);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
