//! `confgate report merge`.

use confgate::gate::Gate;
use confgate::report::merge::{merge_json, merge_sarif, render_json};

use crate::Status;
use crate::cli::{MergeFormat, ReportCommand};

pub fn run(c: &ReportCommand) -> anyhow::Result<Status> {
    let ReportCommand::Merge {
        files,
        format,
        output,
        fail_on,
    } = c;
    let mut inputs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f)
            .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", f.display()))?;
        inputs.push((f.display().to_string(), text));
    }
    let gate = Gate::new(*fail_on);
    let (bytes, status) = match format {
        MergeFormat::Json => {
            let outcome = merge_json(&inputs)?;
            let bytes = render_json(&outcome, gate)?;
            let verdict = gate.verdict(&outcome.findings, outcome.errors.len());
            (bytes, verdict.into())
        }
        MergeFormat::Sarif => (merge_sarif(&inputs)?, Status::Clean),
    };
    super::write_output(output.as_deref(), &bytes)?;
    Ok(status)
}
