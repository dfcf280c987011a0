//! `confgate policy test` and `confgate policy verify`.

use std::fmt::Write as _;

use confgate::engine::regotest::{Outcome, run_tests_within};
use confgate::scan::builtin_sources;
use confgate::source::rego_files;

use crate::Status;
use crate::cli::{ListFormat, PolicyCommand};

pub fn run(c: &PolicyCommand) -> anyhow::Result<Status> {
    let (paths, coverage, run, timeout, format) = match c {
        PolicyCommand::Test {
            paths,
            coverage,
            run,
            timeout,
            format,
        } => (paths, coverage, run, timeout, format),
        PolicyCommand::Verify { paths, format } => return verify(paths, *format),
    };
    let cwd = std::env::current_dir()?;
    let sources = if paths.is_empty() {
        builtin_sources(true)
    } else {
        let mut s = builtin_sources(false);
        s.extend(rego_files(paths, &cwd)?);
        s
    };
    let filter = run
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--run: {e}"))?;
    let timeout = confgate::settings::seconds("--timeout", *timeout)?;
    let result = run_tests_within(&sources, *coverage, filter.as_ref(), timeout)?;
    let mut out = String::new();
    match format {
        ListFormat::Json => out = serde_json::to_string_pretty(&result)? + "\n",
        ListFormat::Text => {
            for r in &result.results {
                let (word, why) = match &r.outcome {
                    Outcome::Pass => ("PASS", String::new()),
                    Outcome::Fail(w) => ("FAIL", format!(": {w}")),
                    Outcome::Error(w) => ("ERROR", format!(": {w}")),
                };
                let _ = writeln!(
                    out,
                    "{word} {}:{} data.{}.{} ({:.1} ms){why}",
                    r.test.file,
                    r.test.line,
                    r.test.package,
                    r.test.name,
                    r.duration.as_secs_f64() * 1000.0
                );
            }
            if let Some(cov) = &result.coverage {
                let covered = cov.iter().filter(|c| c.covered).count();
                let _ = writeln!(
                    out,
                    "\ncoverage: {covered} of {} rules exercised",
                    cov.len()
                );
                for c in cov.iter().filter(|c| !c.covered) {
                    let _ = writeln!(out, "  not exercised: {}:{} {}", c.file, c.line, c.rule);
                }
            }
            let _ = writeln!(
                out,
                "{} passed, {} failed",
                result.passed(),
                result.failed()
            );
        }
    }
    super::write_output(None, out.as_bytes())?;
    Ok(if result.failed() > 0 {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// `confgate policy verify`: Gatekeeper suites, one line per case, like `gator verify`.
fn verify(paths: &[std::path::PathBuf], format: ListFormat) -> anyhow::Result<Status> {
    use confgate::engine::verify::CaseOutcome;
    let cwd = std::env::current_dir()?;
    let result = confgate::engine::verify::verify(paths, &cwd)?;
    let mut out = String::new();
    match format {
        ListFormat::Json => {
            let doc = serde_json::json!({
                "results": result.results,
                "passed": result.passed(),
                "failed": result.failed(),
                "skipped": result.skipped(),
            });
            out = serde_json::to_string_pretty(&doc)? + "\n";
        }
        ListFormat::Text => {
            for r in &result.results {
                let name = format!("{} \u{203a} {} \u{203a} {}", r.suite, r.test, r.case);
                let _ = match &r.outcome {
                    CaseOutcome::Pass => writeln!(out, "PASS {name}"),
                    CaseOutcome::Fail(why) => writeln!(out, "FAIL {name}: {why}"),
                    CaseOutcome::Skip => writeln!(out, "SKIP {name}"),
                };
            }
            let skipped = match result.skipped() {
                0 => String::new(),
                n => format!(", {n} skipped"),
            };
            let _ = writeln!(
                out,
                "{} passed, {} failed{skipped}",
                result.passed(),
                result.failed()
            );
        }
    }
    super::write_output(None, out.as_bytes())?;
    Ok(if result.failed() > 0 {
        Status::Findings
    } else {
        Status::Clean
    })
}
