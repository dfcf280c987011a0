//! `confgate generate`: render, gate, then diff (`--dry-run`) or write.
//!
//! Exit codes: 0 written (or dry run with a passing gate), 1 the generated set has findings at
//! or above `--fail-on` (nothing written; the findings are printed), 2 an error (nothing
//! written). Secret values never reach stdout or stderr.

use std::io::Write;

use confgate::generate::{self, GenerateFlags};

use crate::Status;
use crate::cli::{Cli, GenerateArgs};

pub fn run(cli: &Cli, args: &GenerateArgs, color: bool) -> anyhow::Result<Status> {
    let cwd = std::env::current_dir()?;
    let config = super::config_file(cli.config.as_deref(), &cwd)?;
    let section = match &config.path {
        Some(p) => generate::config::read(p)?,
        None => None,
    };
    let config_dir = config.path.as_ref().map(|_| cwd.join(&config.dir));
    let flags = GenerateFlags {
        environment: args.environment.clone(),
        namespace: args.namespace.clone(),
        profile_dir: args.profile_dir.clone(),
        template_dir: args.template_dir.clone(),
        output_dir: args.output_dir.clone(),
        sets: args.set.clone(),
        hash_suffix: args.hash_suffix,
        prune: args.prune,
        fail_on: args.fail_on,
    };
    let mut opts = generate::config::resolve(&flags, section.as_ref(), config_dir.as_deref(), &cwd);
    // The gate scans with the settings of confgate.toml (rule selection, severity
    // overrides, waivers), as `confgate scan` would.
    if config.path.is_some() {
        let s = super::scan_settings(&confgate::settings::ScanFlags::default(), &config, &cwd)?;
        opts.scan = s.scan;
        if args.fail_on.is_none() && section.as_ref().and_then(|c| c.fail_on).is_none() {
            opts.gate = s.gate;
        }
    }
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
    let done = plan.apply().map_err(|e| e.scrubbed(&plan.redactor))?;
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
