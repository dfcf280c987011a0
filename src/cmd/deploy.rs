//! `confgate deploy`: resolve settings, connect, run the deploy, print what it did.

use std::io::IsTerminal;
use std::sync::Arc;

use confgate::cluster::{self, diff::Change};
use confgate::deploy::{self, Outcome, Stopped};
use confgate::report::{self, OutputFormat, ReportContext, escape};
use confgate::scan::Scanner;

use crate::Status;
use crate::cli::{Cli, DeployArgs, DeploySub, ListFormat};

/// `deploy --validate` found the set invalid: its report, and whether the tool failed.
#[derive(Debug, thiserror::Error)]
#[error("the set is not valid")]
struct Invalid {
    report: String,
    tool_error: bool,
}

/// A progress line on a terminal while the rollout is waited for.
struct Bar(indicatif::ProgressBar);

impl deploy::wait::WaitProgress for Bar {
    fn update(&self, ready: usize, total: usize, latest: &str) {
        self.0.set_length(total as u64);
        self.0.set_position(ready as u64);
        if !latest.is_empty() {
            self.0
                .set_message(format!("{} ready", escape::control(latest)));
        }
    }
}

pub fn run(cli: &Cli, args: &DeployArgs) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    if let Some(DeploySub::History {
        set,
        namespace,
        format,
        connect,
    }) = &args.sub
    {
        return history(&settings, connect, set, namespace.as_deref(), *format);
    }
    run_flags(cli, &args.deploy, &args.scan, &args.connect)
}

/// A deploy with these flags (also `generate --deploy`'s).
pub fn run_flags(
    cli: &Cli,
    deploy_flags: &confgate::settings::DeployFlags,
    scan_flags: &confgate::settings::ScanFlags,
    connect_flags: &confgate::settings::ConnectFlags,
) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    let scan = settings.scan(scan_flags)?;
    let connect = settings.connect(connect_flags)?;
    let scanner = Arc::new(Scanner::new(&scan.scan)?);
    let rt = cluster::runtime()?;
    let visible = !cli.quiet && std::io::stderr().is_terminal();
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        if visible {
            indicatif::ProgressDrawTarget::stderr()
        } else {
            indicatif::ProgressDrawTarget::hidden()
        },
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} rollout {pos}/{len} ready {msg} {elapsed}",
    ) {
        bar.set_style(style);
    }
    let progress = Bar(bar);
    let result = rt.block_on(async {
        let clusters = cluster::connect_all(&connect).await?;
        let [c] = clusters.as_slice() else {
            anyhow::bail!("deploy works on one context; {} were given", clusters.len());
        };
        let (opts, paths) = settings.deploy(deploy_flags, c.default_namespace())?;
        if settings.deploy_validates(deploy_flags) {
            let vflags = confgate::settings::ValidateFlags {
                paths: paths.clone(),
                ..Default::default()
            };
            let vs = settings.validate(&vflags)?;
            let v = confgate::validate::validate(&vs.options, &settings.cwd)?;
            if !v.valid() || !v.tool_errors.is_empty() {
                let text = confgate::validate::report::render(
                    &v,
                    confgate::validate::report::ValidateFormat::Text,
                    false,
                    false,
                )
                .map_err(|e| anyhow::anyhow!("cannot render the validation report: {e}"))?;
                return Err(anyhow::Error::new(Invalid {
                    report: String::from_utf8_lossy(&text).into_owned(),
                    tool_error: !v.tool_errors.is_empty(),
                }));
            }
        }
        let found = confgate::source::discover(&paths, &scan.scan.load, &settings.cwd);
        let loaded = confgate::source::load_all(&found.inputs, &scan.scan.load);
        let mut errors: Vec<_> = found.errors.into_iter().chain(loaded.errors).collect();
        if !errors.is_empty() {
            errors.sort();
            let mut o = Outcome {
                set: opts.set.clone(),
                namespace: opts.namespace.clone(),
                dry_run: !opts.apply,
                stopped: Some(Stopped::Plan),
                ..Outcome::default()
            };
            o.errors = errors;
            return Ok((o, opts));
        }
        let o = deploy::deploy(c, scanner, scan.gate, loaded.documents, &opts, &progress).await;
        Ok((o, opts))
    });
    let (outcome, opts) = match result {
        Ok(x) => x,
        Err(e) => match e.downcast::<Invalid>() {
            Ok(invalid) => {
                let text = format!(
                    "{}deploy stopped: the set is not valid (confgate validate); nothing was applied\n",
                    invalid.report
                );
                super::write_output(scan.output.as_deref(), text.as_bytes())?;
                return Ok(if invalid.tool_error {
                    Status::Error
                } else {
                    Status::Findings
                });
            }
            Err(e) => return Err(e),
        },
    };
    progress.0.finish_and_clear();
    let text = match scan.format {
        OutputFormat::Json => json(&outcome)?,
        _ => {
            let mut t = String::new();
            if outcome.stopped == Some(Stopped::Gate) {
                let ctx = ReportContext {
                    outcome: &outcome.scan,
                    color: false,
                    gate: scan.gate,
                    template: None,
                    sarif_category: None,
                };
                t.push_str(&String::from_utf8_lossy(&report::render(
                    OutputFormat::Text,
                    &ctx,
                )?));
            }
            t.push_str(&summary(&outcome, &opts));
            t
        }
    };
    super::write_output(scan.output.as_deref(), text.as_bytes())?;
    Ok(status(&outcome, scan.gate))
}

pub fn status(o: &Outcome, gate: confgate::gate::Gate) -> Status {
    match o.stopped {
        _ if !o.errors.is_empty() => Status::Error,
        Some(
            Stopped::Permissions
            | Stopped::Check
            | Stopped::Apply
            | Stopped::Interrupted
            | Stopped::Plan,
        ) => Status::Error,
        Some(Stopped::Gate | Stopped::Rollout) => Status::Findings,
        None => {
            let live_blocking = o.verified.as_ref().is_some_and(|v| {
                v.live_only.iter().any(|f| gate.fails_at(f.severity)) || !v.drift.is_empty()
            });
            if live_blocking {
                Status::Findings
            } else {
                Status::Clean
            }
        }
    }
}

fn count(o: &Outcome, c: Change) -> usize {
    if o.dry_run {
        o.diffs.iter().filter(|d| d.change == c).count()
    } else {
        o.applied.iter().filter(|(_, ch)| *ch == c).count()
    }
}

/// The text report: what the deploy did, stage by stage.
pub fn summary(o: &Outcome, opts: &deploy::DeployOptions) -> String {
    let mut t = String::new();
    let e = |s: &str| escape::control(s).into_owned();
    t.push_str(&format!(
        "deploy of set {} into namespace {}{}\n",
        e(&o.set),
        e(&o.namespace),
        if o.dry_run {
            " (dry run: nothing is changed)"
        } else {
            ""
        }
    ));
    if o.stopped == Some(Stopped::Gate) {
        t.push_str("stopped at the gate: nothing was applied\n");
    } else if o.stopped != Some(Stopped::Plan) {
        t.push_str(&format!("gate: passed ({} documents)\n", o.scan.documents));
    }
    if !o.missing.is_empty() {
        t.push_str(&format!(
            "{} permissions missing (nothing was applied):\n",
            o.missing.len()
        ));
        for p in &o.missing {
            t.push_str(&format!("  - {p}\n"));
        }
    }
    if !o.conflicts.is_empty() {
        t.push_str(&format!(
            "{} fields owned by another field manager (nothing was applied; --force-conflicts takes them over):\n",
            o.conflicts.len()
        ));
        for c in &o.conflicts {
            t.push_str(&format!(
                "  - {}: {} {}\n",
                e(&c.object),
                e(&c.field),
                e(&c.message)
            ));
        }
    }
    if o.dry_run {
        for d in o.diffs.iter().filter(|d| d.change != Change::Unchanged) {
            t.push_str(&escape::control_lines(&d.diff));
        }
    }
    if !o.diffs.is_empty() || !o.applied.is_empty() {
        let deferred = o.diffs.iter().filter(|d| d.deferred).count();
        t.push_str(&format!(
            "{}: {} created{}, {} changed, {} unchanged, {} pruned\n",
            if o.dry_run { "would apply" } else { "applied" },
            count(o, Change::Create),
            if o.dry_run && deferred > 0 {
                format!(" ({deferred} checked when applied)")
            } else {
                String::new()
            },
            count(o, Change::Update),
            count(o, Change::Unchanged),
            o.pruned.len()
        ));
    }
    for p in &o.pruned {
        t.push_str(&format!(
            "  {} {}\n",
            if o.dry_run { "would prune" } else { "pruned" },
            e(p)
        ));
    }
    if !o.not_applied.is_empty() {
        t.push_str(&format!(
            "not applied ({}): {}\n",
            o.not_applied.len(),
            e(&o.not_applied.join(", "))
        ));
    }
    if let Some(r) = &o.rollout {
        t.push_str(&format!("rollout: {}\n", e(&r.summary())));
        for p in &r.problems {
            t.push_str(&format!("  - {}\n", e(p)));
        }
    }
    if let Some(v) = &o.verified {
        if v.live_only.is_empty() && v.drift.is_empty() {
            t.push_str("verify: the live objects hold what was applied and no new findings\n");
        }
        for f in &v.live_only {
            t.push_str(&format!(
                "verify: {} {} on {} at {} only live: {}\n",
                f.rule_id,
                f.severity,
                e(&f.object),
                e(&f.path),
                e(&f.message)
            ));
        }
        for d in &v.drift {
            t.push_str(&format!("verify: drift: {}\n", e(d)));
        }
    }
    if let Some(n) = o.revision {
        t.push_str(&format!("revision {n} recorded\n"));
    }
    if let Some(n) = o.restored {
        match &o.restored_rollout {
            Some(confgate::revision::Rollout::Succeeded) => t.push_str(&format!(
                "rolled back to revision {n}: its rollout succeeded\n"
            )),
            Some(r) => t.push_str(&format!(
                "rolled back to revision {n}, but it did not become ready either: rollout {}{}\n",
                r.state(),
                r.reason()
                    .map(|x| format!(" ({})", e(x)))
                    .unwrap_or_default()
            )),
            None => t.push_str(&format!("rolled back to revision {n}\n")),
        }
    }
    for err in &o.errors {
        t.push_str(&format!("error: {}\n", e(&err.to_string())));
    }
    if o.dry_run && o.stopped.is_none() && !opts.apply {
        t.push_str("run again with --apply to change the cluster\n");
    }
    t
}

pub fn json(o: &Outcome) -> anyhow::Result<String> {
    let v = serde_json::json!({
        "set": o.set,
        "namespace": o.namespace,
        "dry_run": o.dry_run,
        "stopped": o.stopped,
        "gate": {
            "documents": o.scan.documents,
            "findings": o.scan.findings,
        },
        "missing_permissions": o.missing.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "conflicts": o.conflicts,
        "objects": o.diffs,
        "applied": o.applied.iter().map(|(n, c)| serde_json::json!({"object": n, "change": c})).collect::<Vec<_>>(),
        "not_applied": o.not_applied,
        "pruned": o.pruned,
        "rollout": o.rollout,
        "verify": o.verified,
        "revision": o.revision,
        "restored": o.restored,
        "restored_rollout": o.restored_rollout,
        "errors": o.errors,
    });
    Ok(format!("{}\n", serde_json::to_string_pretty(&v)?))
}

/// `deploy history`: the set's revisions, oldest first.
pub fn history(
    settings: &confgate::settings::Settings,
    connect: &confgate::settings::ConnectFlags,
    set: &str,
    namespace: Option<&str>,
    format: ListFormat,
) -> anyhow::Result<Status> {
    let connect = settings.connect(connect)?;
    let rt = cluster::runtime()?;
    let list = rt.block_on(async {
        let clusters = cluster::connect_all(&connect).await?;
        let [c] = clusters.as_slice() else {
            anyhow::bail!(
                "deploy history works on one context; {} were given",
                clusters.len()
            );
        };
        let ns = namespace.unwrap_or(c.default_namespace()).to_string();
        let store = confgate::revision::RevisionStore::open(c, &ns, set, 0, None).await?;
        Ok(store.list().await?)
    })?;
    let out =
        match format {
            ListFormat::Json => format!("{}\n", serde_json::to_string_pretty(&list)?),
            ListFormat::Text => {
                let mut t = String::new();
                if list.is_empty() {
                    t.push_str(&format!("set {}: no revisions\n", escape::control(set)));
                }
                for r in &list {
                    t.push_str(&format!(
                    "{:>4}  {}  {}  {}  rollout {}{}  health {}  findings {} (blocking {}){}{}\n",
                    r.number,
                    r.created,
                    escape::control(&r.author),
                    r.commit
                        .as_deref()
                        .map(|c| &c[..c.len().min(12)])
                        .unwrap_or("-"),
                    r.rollout.state(),
                    r.rollout
                        .reason()
                        .map(|x| format!(" ({})", escape::control(x)))
                        .unwrap_or_default(),
                    r.health.map(|h| h.to_string()).unwrap_or_else(|| "-".into()),
                    r.scan.findings,
                    r.scan.blocking,
                    r.description
                        .as_deref()
                        .map(|d| format!("  {}", escape::control(d)))
                        .unwrap_or_default(),
                    if r.complete { "" } else { "  [incomplete]" },
                ));
                }
                t
            }
        };
    super::write_output(None, out.as_bytes())?;
    Ok(Status::Clean)
}
