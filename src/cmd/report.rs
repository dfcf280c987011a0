//! `confgate report merge`.

use confgate::report::merge::{merge_json, merge_sarif};

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
    let bytes = match format {
        MergeFormat::Json => merge_json(&inputs, *fail_on)?,
        MergeFormat::Sarif => merge_sarif(&inputs)?,
    };
    super::write_output(output.as_deref(), &bytes)?;
    if *format == MergeFormat::Json {
        let v: serde_json::Value = serde_json::from_slice(&bytes)?;
        let failing = v["findings"].as_array().is_some_and(|fs| {
            fs.iter().any(|f| {
                f["suppressed"].is_null()
                    && serde_json::from_value::<confgate::catalog::Severity>(f["severity"].clone())
                        .is_ok_and(|s| s >= *fail_on)
            })
        });
        let errors = v["errors"].as_array().is_some_and(|e| !e.is_empty());
        return Ok(if errors {
            Status::Error
        } else if failing {
            Status::Findings
        } else {
            Status::Clean
        });
    }
    Ok(Status::Clean)
}
