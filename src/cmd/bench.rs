//! `confgate bench`.

use confgate::bench::{BenchOptions, run as run_bench};

use crate::Status;
use crate::cli::BenchArgs;

pub fn run(a: &BenchArgs) -> anyhow::Result<Status> {
    let report = run_bench(&BenchOptions {
        corpus: a.corpus.clone(),
        generated: a.generated,
        repeat: a.repeat,
        per_rule: a.per_rule,
    })
    .map_err(anyhow::Error::msg)?;
    super::write_output(None, report.as_bytes())?;
    Ok(Status::Clean)
}
