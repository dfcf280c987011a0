//! `confgate scan`.

use std::io::IsTerminal;

use confgate::report::{self, ReportContext};
use confgate::scan::Progress;
use confgate::settings;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Status;
use crate::cli::{Cli, ScanArgs};

pub fn run(cli: &Cli, args: &ScanArgs, color: bool) -> anyhow::Result<Status> {
    let cwd = std::env::current_dir()?;
    let file_cfg = match cli.config.clone().or_else(|| settings::find_config(&cwd)) {
        Some(p) => settings::read_config(&p)?,
        None => settings::FileConfig::default(),
    };
    let mut s = settings::resolve(&args.flags(), &file_cfg)?;
    if let Some(custom) = &s.custom {
        let loaded = confgate::engine::custom::CustomPolicies::load(custom, &cwd)?;
        s.scan.custom = Some(std::sync::Arc::new(loaded));
    }
    let bar = Bar::new(!cli.quiet && std::io::stderr().is_terminal());
    let outcome = confgate::scan::scan_with_progress(&args.paths, &s.scan, &cwd, &bar)?;
    let ctx = ReportContext {
        outcome: &outcome,
        color: color && s.output.is_none(),
        fail_on: s.fail_on,
    };
    let bytes = report::render(s.format, &ctx)?;
    super::write_output(s.output.as_deref(), &bytes)?;
    if !cli.quiet && s.format != report::OutputFormat::Text {
        for e in &outcome.errors {
            eprintln!("confgate: error: {e}");
        }
    }
    Ok(if !outcome.errors.is_empty() {
        Status::Error
    } else if outcome
        .findings
        .iter()
        .any(|f| f.suppressed.is_none() && f.severity >= s.fail_on)
    {
        Status::Findings
    } else {
        Status::Clean
    })
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
