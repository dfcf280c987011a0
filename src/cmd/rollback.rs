//! `confgate rollback`: list, restore points, the impact analysis and, with --confirm, the
//! rollback (standard, atomic or incremental); --auto-rollback watches the health first.
//! The flow is `confgate::rollback::flow`; this file resolves settings and renders.

use std::sync::Arc;

use confgate::cluster;
use confgate::diag::{Code, Diagnostic};
use confgate::health::Health;
use confgate::report::{OutputFormat, escape};
use confgate::revision::RevisionStore;
use confgate::rollback::flow::{self, Ended, Executed, Impact};
use confgate::rollback::{self, Target};
use confgate::scan::Scanner;

use crate::Status;
use crate::cli::{Cli, ListFormat, RollbackArgs};

pub fn run(cli: &Cli, args: &RollbackArgs) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    let format = args.scan.format.unwrap_or(OutputFormat::Text);
    if args.list {
        return super::deploy::history(
            &settings,
            &args.connect,
            &args.set,
            args.namespace.as_deref(),
            if format == OutputFormat::Json {
                ListFormat::Json
            } else {
                ListFormat::Text
            },
        );
    }
    if !matches!(
        format,
        OutputFormat::Text | OutputFormat::Json | OutputFormat::Html
    ) {
        return Err(Diagnostic::new(
            Code::Settings,
            format!(
                "rollback writes text, json or html, not {}",
                format!("{format:?}").to_ascii_lowercase()
            ),
        )
        .into());
    }
    let target = match (args.target_revision, args.to_previous, args.to_last_healthy) {
        (Some(n), _, _) => Some(Target::Revision(n)),
        (None, true, _) => Some(Target::Previous),
        (None, false, true) => Some(Target::LastHealthy),
        _ => None,
    };
    if target.is_none() && args.create_backup.is_none() && !args.auto_rollback {
        return Err(Diagnostic::new(
            Code::Settings,
            "choose what to do: --target-revision N, --to-previous, --to-last-healthy, --auto-rollback, --create-backup DESCRIPTION or --list",
        )
        .into());
    }
    let scan = settings.scan(&args.scan)?;
    let connect = settings.connect(&args.connect)?;
    let scanner = Arc::new(Scanner::new(&scan.scan)?);
    let gate = scan.gate;
    let rt = cluster::runtime()?;
    rt.block_on(async {
        let clusters = cluster::connect_all(&connect).await?;
        let [c] = clusters.as_slice() else {
            anyhow::bail!(
                "rollback works on one context; {} were given",
                clusters.len()
            );
        };
        let ns = args
            .namespace
            .clone()
            .unwrap_or_else(|| c.default_namespace().to_string());
        let resolved = settings.rollback(&args.rollback_flags, &args.set, &ns)?;
        let mut opts = resolved.options;
        opts.allow_findings = args.allow_findings;
        let store = RevisionStore::open(c, &ns, &args.set, 0, opts.revision_key.clone()).await?;
        if let Some(desc) = &args.create_backup {
            let desc = match (desc.as_str(), args.description.as_deref()) {
                ("", Some(d)) => d.to_string(),
                ("", None) => "restore point".to_string(),
                (d, _) => d.to_string(),
            };
            let n = flow::create_restore_point(c, &store, &opts, &desc).await?;
            let text = format!(
                "recorded the live state of set {} (namespace {ns}) as revision {n}: restore point: {}\n",
                escape::control(&args.set),
                escape::control(&desc)
            );
            if format == OutputFormat::Json {
                let v = serde_json::json!({"set": args.set, "namespace": ns, "revision": n, "description": desc});
                super::write_output(None, format!("{v}\n").as_bytes())?;
            } else {
                super::write_output(None, text.as_bytes())?;
            }
            return Ok(Status::Clean);
        }
        if args.auto_rollback {
            let json = format != OutputFormat::Text;
            let report = move |i: usize, h: &Health| {
                if !json {
                    eprintln!(
                        "check {i}: health {} (pods ready {}/{}, crash-looping pods {}, recent warnings {})",
                        h.score,
                        h.ready_replicas,
                        h.desired_replicas,
                        h.crash_looping_pods,
                        h.recent_warnings
                    );
                }
            };
            let w = flow::watch_and_roll_back(
                c,
                &store,
                scanner,
                gate,
                &opts,
                resolved.duration,
                args.confirm,
                &report,
                &confgate::deploy::wait::NoWaitProgress,
            )
            .await;
            return render_watch(args, &opts, &w, format, gate);
        }
        let history = store.list().await?;
        let number = rollback::choose(&history, target.unwrap_or(Target::Previous)).map_err(
            |m| {
                Diagnostic::new(
                    Code::Settings,
                    format!("set {} in namespace {ns}: {m}", args.set),
                )
            },
        )?;
        let impact = flow::analyse(c, &store, scanner.clone(), gate, &opts, number).await?;
        let mut text = impact_text(&impact, &opts);
        if let Some(why) = impact.blocked(opts.allow_findings) {
            text.push_str(&blocked_text(&impact, why));
            emit(args, format, &impact, &text, None, gate)?;
            return Ok(if why == "refused" {
                Status::Findings
            } else {
                Status::Error
            });
        }
        if !args.confirm {
            text.push_str("nothing was changed: run again with --confirm to roll back\n");
            emit(args, format, &impact, &text, None, gate)?;
            return Ok(Status::Clean);
        }
        let ex = flow::execute(
            c,
            &store,
            scanner,
            gate,
            &opts,
            &impact,
            &confgate::deploy::wait::NoWaitProgress,
        )
        .await;
        text.push_str(&executed_text(&ex, &opts));
        emit(args, format, &impact, &text, Some(&ex), gate)?;
        Ok(status_of(&ex))
    })
}

fn status_of(ex: &Executed) -> Status {
    match ex.ended {
        Ended::Healthy => Status::Clean,
        Ended::Unhealthy | Ended::Stopped | Ended::Restored => Status::Findings,
        Ended::RestoreFailed | Ended::Error => Status::Error,
    }
}

fn emit(
    args: &RollbackArgs,
    format: OutputFormat,
    impact: &Impact,
    text: &str,
    executed: Option<&Executed>,
    gate: confgate::gate::Gate,
) -> anyhow::Result<()> {
    let mut v = impact.to_json();
    v["strategy"] = serde_json::json!(args.rollback_flags.strategy.unwrap_or_default());
    v["result"] = match executed {
        Some(ex) => ex.to_json(),
        None => {
            serde_json::json!({"state": impact.blocked(args.allow_findings).unwrap_or("analysed")})
        }
    };
    let bytes = match format {
        OutputFormat::Json => format!("{}\n", serde_json::to_string_pretty(&v)?).into_bytes(),
        OutputFormat::Html => {
            let template = match &args.scan.template {
                Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
                    Diagnostic::new(
                        Code::Unreadable,
                        format!("cannot read {}: {e}", p.display()),
                    )
                    .file(p.display().to_string())
                })?),
                None => None,
            };
            confgate::report::render_rollback(&impact.target_scan, gate, v, template.as_deref())?
        }
        _ => text.as_bytes().to_vec(),
    };
    super::write_output(args.scan.output.as_deref(), &bytes)
}

fn delta_line(sign: char, f: &rollback::DeltaFinding) -> String {
    format!(
        "  {sign} {} {} {} {}: {}\n",
        f.rule_id,
        f.severity,
        escape::control(&f.object),
        escape::control(&f.path),
        escape::control(&f.message)
    )
}

fn impact_text(impact: &Impact, opts: &flow::RollbackOptions) -> String {
    let mut out = format!(
        "rollback of set {} (namespace {}) from revision {} to revision {} (strategy {})\n",
        escape::control(&impact.set),
        impact.namespace,
        impact
            .current
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into()),
        impact.target,
        opts.strategy.as_str()
    );
    if impact.unserved.is_empty() {
        let base = confgate::deploy::DeployOptions {
            set: impact.set.clone(),
            namespace: impact.namespace.clone(),
            ..Default::default()
        };
        let summary = super::deploy::summary(&impact.dry_run, &base);
        for line in summary.lines() {
            // The deploy's hint; a rollback changes the cluster with --confirm.
            if line.starts_with("run again with --apply") {
                continue;
            }
            out.push_str(&line.replace("deploy of set", "impact on set"));
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "pods that will restart: about {}\n",
        impact.restarts
    ));
    for u in &impact.unserved {
        out.push_str(&format!(
            "risk: {} uses {}, which the cluster does not serve; fix: {}\n",
            escape::control(&u.object),
            escape::control(&u.api_version),
            escape::control(&u.fix)
        ));
    }
    for r in &impact.risks {
        out.push_str(&format!("risk: {}\n", escape::control(r)));
    }
    out.push_str(&format!(
        "policy delta: {} findings re-introduced, {} removed\n",
        impact.delta.reintroduced.len(),
        impact.delta.removed.len()
    ));
    for f in &impact.delta.reintroduced {
        out.push_str(&delta_line('+', f));
    }
    for f in &impact.delta.removed {
        out.push_str(&delta_line('-', f));
    }
    if impact.kept_secrets > 0 {
        out.push_str(&format!(
            "note: {} Secrets of revision {} were recorded without a key (SHA-256 only): their live values are kept\n",
            impact.kept_secrets, impact.target
        ));
    }
    out.push_str(&format!("impact analysed in {:.2} s\n", impact.seconds));
    out
}

fn blocked_text(impact: &Impact, why: &str) -> String {
    match why {
        "unserved" => format!(
            "rollback refused: revision {} uses API versions the cluster no longer serves ({}); nothing was changed\n",
            impact.target,
            impact
                .unserved
                .iter()
                .map(|u| format!("{} {}", u.api_version, u.kind))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "refused" => format!(
            "rollback refused: revision {} re-introduces {} findings at or above the gate (--allow-findings overrides, and is recorded)\n",
            impact.target,
            impact.refused.len()
        ),
        _ => {
            "rollback not possible: the dry run of the target failed (above); nothing was changed\n"
                .to_string()
        }
    }
}

fn health_line(what: &str, h: Option<&Health>) -> String {
    match h {
        Some(h) => format!(
            "health {what}: {} (pods ready {}/{}, unavailable workloads {}, crash-looping pods {}, restarts {}, warnings {}, security {:.0}%)\n",
            h.score,
            h.ready_replicas,
            h.desired_replicas,
            h.unavailable_workloads,
            h.crash_looping_pods,
            h.recent_restarts,
            h.recent_warnings,
            h.security * 100.0
        ),
        None => format!("health {what}: not measured\n"),
    }
}

fn executed_text(ex: &Executed, opts: &flow::RollbackOptions) -> String {
    let mut out = String::new();
    out.push_str(&health_line("before", ex.health_before.as_ref()));
    for s in &ex.steps {
        out.push_str(&format!(
            "{}: {}{}{} ({:.1} s)\n",
            escape::control(&s.what),
            s.state,
            s.health
                .map(|h| format!(", health {h}"))
                .unwrap_or_default(),
            s.detail
                .as_deref()
                .map(|d| format!(": {}", escape::control(d)))
                .unwrap_or_default(),
            s.seconds
        ));
    }
    out.push_str(&health_line("after", ex.health_after.as_ref()));
    if let Some(v) = &ex.verified {
        out.push_str(&format!(
            "post-rollback validation: {} live-only findings, {} drifted fields\n",
            v.live_only.len(),
            v.drift.len()
        ));
        for d in &v.drift {
            out.push_str(&format!("  drift: {}\n", escape::control(d)));
        }
    }
    if let Some(n) = ex.revision {
        out.push_str(&format!("recorded as revision {n}\n"));
    }
    if let Some(n) = ex.restored {
        out.push_str(&format!(
            "the state from before the rollback was put back and recorded as revision {n}\n"
        ));
    }
    for e in &ex.errors {
        out.push_str(&format!("error: {}\n", escape::control(&e.to_string())));
    }
    out.push_str(&format!(
        "rollback {} in {:.1} s (threshold {})\n",
        match ex.ended {
            Ended::Healthy => "done, healthy",
            Ended::Unhealthy => "applied, but the health stayed under the threshold",
            Ended::Stopped => "stopped at a failed step",
            Ended::Restored => "failed and the state from before it was put back",
            Ended::RestoreFailed => "failed and putting back the state from before it failed too",
            Ended::Error => "failed",
        },
        ex.seconds,
        opts.health.threshold
    ));
    out
}

fn render_watch(
    args: &RollbackArgs,
    opts: &flow::RollbackOptions,
    w: &flow::Watched,
    format: OutputFormat,
    gate: confgate::gate::Gate,
) -> anyhow::Result<Status> {
    let mut text = format!(
        "watched set {} (namespace {}) revision {}: {} checks, health {}\n",
        escape::control(&opts.set),
        opts.namespace,
        w.watched
            .map(|n| n.to_string())
            .unwrap_or_else(|| "-".into()),
        w.scores.len(),
        w.scores
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let status = match (&w.impact, &w.executed) {
        _ if !w.errors.is_empty() => {
            for e in &w.errors {
                text.push_str(&format!("error: {}\n", escape::control(&e.to_string())));
            }
            Status::Error
        }
        (None, _) => {
            text.push_str(&format!(
                "healthy: the health never stayed under {} for {} checks; nothing was changed\n",
                opts.health.threshold, opts.health.consecutive
            ));
            Status::Clean
        }
        (Some(impact), executed) => {
            text.push_str(&format!(
                "the health stayed under {} for {} checks: rolling back to revision {}, the last recorded healthy\n",
                opts.health.threshold, opts.health.consecutive, impact.target
            ));
            text.push_str(&impact_text(impact, opts));
            match (impact.blocked(opts.allow_findings), executed) {
                (Some(why), _) => {
                    text.push_str(&blocked_text(impact, why));
                    if why == "refused" {
                        Status::Findings
                    } else {
                        Status::Error
                    }
                }
                (None, None) => {
                    text.push_str(
                        "nothing was changed: run again with --confirm to roll back automatically\n",
                    );
                    Status::Findings
                }
                (None, Some(ex)) => {
                    text.push_str(&executed_text(ex, opts));
                    // A rollback was needed: the deploy it undid was unhealthy.
                    match status_of(ex) {
                        Status::Clean => Status::Findings,
                        s => s,
                    }
                }
            }
        }
    };
    match (&w.impact, format) {
        (Some(impact), OutputFormat::Json | OutputFormat::Html) => {
            emit(args, format, impact, &text, w.executed.as_ref(), gate)?
        }
        (_, OutputFormat::Json) => {
            let v = serde_json::json!({
                "set": opts.set, "namespace": opts.namespace, "watched": w.watched,
                "scores": w.scores, "threshold": opts.health.threshold,
                "errors": w.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            });
            super::write_output(args.scan.output.as_deref(), format!("{v}\n").as_bytes())?
        }
        _ => super::write_output(args.scan.output.as_deref(), text.as_bytes())?,
    }
    Ok(status)
}
