//! `confgate scan`.

use confgate::report::{self, ReportContext};
use confgate::settings;

use crate::Status;
use crate::cli::{Cli, ScanArgs};

pub fn run(cli: &Cli, args: &ScanArgs, color: bool) -> anyhow::Result<Status> {
    let cwd = std::env::current_dir()?;
    let file_cfg = match cli.config.clone().or_else(|| settings::find_config(&cwd)) {
        Some(p) => settings::read_config(&p)?,
        None => settings::FileConfig::default(),
    };
    let s = settings::resolve(&args.flags(), &file_cfg)?;
    let outcome = confgate::scan::scan(&args.paths, &s.scan, &cwd)?;
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
