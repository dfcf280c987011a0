//! `confgate audit`: scan like `scan` (same options, settings, waivers and baseline), then
//! write the audit — score, compliance checklists, risk matrix, recommendations.

use confgate::audit::{self, AuditFormat, AuditOptions};
use confgate::report::OutputFormat;

use crate::Status;
use crate::cli::{AuditArgs, Cli};

pub fn run(cli: &Cli, args: &AuditArgs) -> anyhow::Result<Status> {
    let a = &args.scan;
    // Only the flag (or CONFGATE_FORMAT) chooses the format: a settings file's `format` is
    // meant for `scan`.
    let format = match a.flags.format.unwrap_or(OutputFormat::Text) {
        OutputFormat::Text => AuditFormat::Text,
        OutputFormat::Json => AuditFormat::Json,
        OutputFormat::Html => AuditFormat::Html,
        other => anyhow::bail!("audit writes text, json or html, not {other:?}"),
    };
    let template = super::read_template(a.flags.template.as_deref())?;
    let (s, outcome) = super::scan::scan(cli, a)?;
    let opts = AuditOptions {
        gate: s.gate,
        frameworks: s.scan.selection.frameworks.clone(),
    };
    let report = audit::build(&outcome, &opts)?;
    let bytes = confgate::report::audit::render(&report, &outcome, format, template.as_deref())?;
    // Likewise only --output (or CONFGATE_OUTPUT), not the settings file's scan report path.
    super::write_output(a.flags.output.as_deref(), &bytes)?;
    if !cli.quiet {
        for w in &outcome.warnings {
            eprintln!("confgate: warning: {w}");
        }
        if format != AuditFormat::Text {
            for e in &outcome.errors {
                eprintln!("confgate: error: {e}");
            }
        }
    }
    Ok(if !outcome.errors.is_empty() {
        Status::Error
    } else if report.summary.gate.passed {
        Status::Clean
    } else {
        Status::Findings
    })
}
