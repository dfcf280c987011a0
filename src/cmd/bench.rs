//! `confgate bench`.

use confgate::bench::{BenchOptions, run as run_bench};

use crate::Status;
use crate::cli::BenchArgs;

pub fn run(a: &BenchArgs) -> anyhow::Result<Status> {
    if a.scale {
        let exe = std::env::current_exe()
            .map_err(|e| anyhow::anyhow!("cannot find the confgate executable: {e}"))?;
        let report = confgate::bench::run_scale(&confgate::bench::ScaleOptions {
            corpus: a.corpus.clone(),
            exe,
            runs: a.runs,
            quick: a.quick,
        })
        .map_err(anyhow::Error::msg)?;
        super::write_output(None, report.as_bytes())?;
        return Ok(Status::Clean);
    }
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
