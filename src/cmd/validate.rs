//! `confgate validate`: exit 0 when the configuration is valid, 1 when it is not, 2 when
//! the tool could not do its job (unreadable input, a broken schema or policy, bad settings).

use confgate::settings::ValidateFlags;
use confgate::validate::{self, report};

use crate::Status;
use crate::cli::Cli;

pub fn run(cli: &Cli, args: &ValidateFlags, color: bool) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    let s = settings.validate(args)?;
    let v = validate::validate(&s.options, &settings.cwd)?;
    let format = s.format;
    let to_stdout = s.output.as_deref().is_none_or(|p| p.as_os_str() == "-");
    let bytes = report::render(&v, format, s.detailed, color && to_stdout)
        .map_err(|e| anyhow::anyhow!("cannot render the report: {e}"))?;
    super::write_output(s.output.as_deref(), &bytes)?;
    if !cli.quiet && format != report::ValidateFormat::Text {
        for n in &v.notes {
            eprintln!("confgate: note: {n}");
        }
        for e in &v.tool_errors {
            eprintln!("confgate: error: {e}");
        }
    }
    Ok(if !v.tool_errors.is_empty() {
        Status::Error
    } else if !v.valid() {
        Status::Findings
    } else {
        Status::Clean
    })
}
