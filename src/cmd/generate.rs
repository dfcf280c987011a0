//! `confgate generate`: render, gate, then diff (`--dry-run`) or write.
//!
//! Exit codes: 0 written (or dry run with a passing gate), 1 the generated set has findings at
//! or above `--fail-on` (nothing written; the findings are printed), 2 an error (nothing
//! written). Secret values never reach stdout or stderr.

use std::io::Write;

use crate::Status;
use crate::cli::{Cli, GenerateArgs};
use confgate::generate;

pub fn run(cli: &Cli, all: &GenerateArgs, color: bool) -> anyhow::Result<Status> {
    let args = &all.flags;
    let opts = super::settings(cli.config.as_deref())?.generate(args)?;
    let plan = generate::plan(&opts)?;
    let mut stdout = std::io::stdout().lock();
    if !plan.outcome.errors.is_empty() {
        stdout.write_all(&plan.report(color)?)?;
        stdout.flush()?;
        eprintln!("confgate: error: the generated manifests could not be checked; nothing written");
        return Ok(Status::Error);
    }
    let failed = plan.gate_failed();
    if args.dry_run {
        let diff = plan.diff();
        stdout.write_all(diff.as_bytes())?;
        if failed {
            stdout.write_all(&plan.report(color)?)?;
        }
        stdout.flush()?;
        if !cli.quiet {
            let changed = plan.changed().count();
            let removed = if plan.prune { plan.stale.len() } else { 0 };
            eprintln!(
                "confgate: dry run for {} (namespace {}): {} of {} files would change{}; nothing written",
                plan.environment,
                plan.namespace,
                changed,
                plan.files.len(),
                if removed > 0 {
                    format!(", {removed} removed")
                } else {
                    String::new()
                }
            );
            note_stale(&plan);
            note_gate(&plan, failed);
        }
        return Ok(if failed {
            Status::Findings
        } else {
            Status::Clean
        });
    }
    if failed {
        stdout.write_all(&plan.report(color)?)?;
        stdout.flush()?;
        if !cli.quiet {
            note_gate(&plan, true);
        }
        return Ok(Status::Findings);
    }
    let done = plan
        .apply()
        .map_err(|e| generate::scrubbed(e, &plan.redactor))?;
    if !cli.quiet {
        eprintln!(
            "confgate: generated {} (namespace {}) into {}: {} written, {} unchanged{}",
            plan.environment,
            plan.namespace,
            plan.output_display,
            done.written.len(),
            done.unchanged,
            if done.removed.is_empty() {
                String::new()
            } else {
                format!(", {} removed", done.removed.len())
            }
        );
        for f in &done.written {
            eprintln!("  wrote {f}");
        }
        for f in &done.removed {
            eprintln!("  removed {f}");
        }
        note_stale(&plan);
        note_gate(&plan, false);
    }
    #[cfg(feature = "cluster")]
    if all.deploy.deploy {
        let d = &all.deploy;
        let flags = confgate::settings::DeployFlags {
            paths: vec![plan.output_dir.display().to_string()],
            namespace: Some(plan.namespace.clone()),
            set: Some(plan.environment.clone()),
            apply: d.apply,
            wait_for_rollout: d.wait_for_rollout,
            timeout: d.timeout,
            ..Default::default()
        };
        return super::deploy::run_flags(cli, &flags, &Default::default(), &d.connect);
    }
    Ok(Status::Clean)
}

/// Names generated files that are no longer produced (kept without `--prune`).
fn note_stale(plan: &generate::Plan) {
    if plan.prune {
        return;
    }
    for s in &plan.stale {
        eprintln!(
            "confgate: note: {} is no longer generated (remove it with --prune)",
            s.display
        );
    }
}

fn note_gate(plan: &generate::Plan, failed: bool) {
    let fail_on = plan.gate.fail_on.as_str();
    if failed {
        eprintln!(
            "confgate: gate (fail-on {fail_on}) failed on the generated manifests; nothing written"
        );
    } else {
        let below = plan.findings_below_gate();
        if below > 0 {
            eprintln!("confgate: gate (fail-on {fail_on}) passed; {below} finding(s) below it");
        }
    }
}
