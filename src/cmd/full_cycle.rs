//! `confgate full-cycle`: per environment, generate → validate → backup (pre-deploy) → scan
//! → deploy with rollout wait (rolled back when it fails) → monitor for --duration (rolled
//! back when the health stays under the threshold) → audit. Each stage is the library call
//! its own command makes; the cycle stops at the first failed stage with that stage's exit
//! code. `--dry-run` (DRY_RUN) changes nothing in the cluster: the generated files go to a
//! scratch directory, the deploy is a server-side dry run, no rollback runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use confgate::audit::{self, AuditFormat, AuditOptions};
use confgate::backup::{Store, create};
use confgate::cluster::{self, Cluster};
use confgate::gate::Gate;
use confgate::orchestrate::cycle::{self, Cycle, Stage, StageResult, Verdict};
use confgate::report::{OutputFormat, ReportContext};
use confgate::revision::store::RevisionStore;
use confgate::rollback::flow;
use confgate::scan::{NoProgress, ScanOutcome, Scanner};
use confgate::settings::{
    BackupSettings, DeployFlags, GenerateFlags, ScanFlags, Settings, ValidateFlags, legacy,
};

use crate::Status;
use crate::cli::{Cli, FullCycleArgs, ListFormat};

/// What every environment's cycle shares.
struct Ctx<'a> {
    settings: &'a Settings,
    args: &'a FullCycleArgs,
    scanner: Arc<Scanner>,
    gate: Gate,
    frameworks: Vec<confgate::catalog::Framework>,
    backup: BackupSettings,
    dry_run: bool,
}

/// One stage's outcome before its duration is known.
struct Done {
    verdict: Verdict,
    detail: String,
    reports: Vec<String>,
}

fn done(verdict: Verdict, detail: impl Into<String>) -> Done {
    Done {
        verdict,
        detail: detail.into(),
        reports: Vec::new(),
    }
}

fn error(e: impl std::fmt::Display) -> Done {
    done(Verdict::Error, format!("{e:#}").replace('\n', " "))
}

fn verdict_of(s: Status) -> Verdict {
    match s {
        Status::Clean => Verdict::Passed,
        Status::Findings => Verdict::Failed,
        Status::Error => Verdict::Error,
    }
}

/// Writes a report into the report directory and returns its path as shown.
fn write_report(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let p = dir.join(name);
    confgate::fsutil::write_atomic(&p, bytes)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
    Ok(p.display().to_string())
}

pub fn run(cli: &Cli, args: &FullCycleArgs) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    let envs: Vec<String> = if !args.environments.is_empty() {
        args.environments.clone()
    } else {
        match args
            .environment
            .clone()
            .or_else(|| legacy::var("CONFGATE_ENVIRONMENT", "ENVIRONMENT"))
        {
            Some(e) => vec![e],
            None => anyhow::bail!(
                "full-cycle needs --environment ENV (or ENVIRONMENT), or --environments a,b,c"
            ),
        }
    };
    let dry_run = legacy::flag("CONFGATE_DRY_RUN", "DRY_RUN").unwrap_or(false) || args.dry_run;
    let scan = settings.scan(&ScanFlags {
        fail_on: args.fail_on,
        ..Default::default()
    })?;
    let connect = settings.connect(&args.connect)?;
    let ctx = Ctx {
        settings: &settings,
        args,
        scanner: Arc::new(Scanner::new(&scan.scan)?),
        gate: scan.gate,
        frameworks: scan.scan.selection.frameworks.clone(),
        backup: settings.backup(&args.backup)?,
        dry_run,
    };
    let rt = cluster::runtime()?;
    let (cycles, not_run) = rt.block_on(async {
        let clusters = cluster::connect_all(&connect).await?;
        let [c] = clusters.as_slice() else {
            anyhow::bail!(
                "full-cycle works on one context; {} were given",
                clusters.len()
            );
        };
        let mut cycles = Vec::new();
        let mut not_run = Vec::new();
        for env in &envs {
            if cycles.iter().any(|c: &Cycle| !c.passed()) {
                not_run.push(env.clone());
                continue;
            }
            cycles.push(one(&ctx, c, env).await);
        }
        Ok((cycles, not_run))
    })?;
    let code = cycle::exit_code(&cycles);
    let out = match args.format {
        ListFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({
                "cycles": cycles,
                "not_run": not_run,
                "exit_code": code,
            }))?
        ),
        ListFormat::Text => cycle::summary(&cycles, &not_run),
    };
    super::write_output(args.output.as_deref(), out.as_bytes())?;
    Ok(match code {
        0 => Status::Clean,
        1 => Status::Findings,
        _ => Status::Error,
    })
}

/// Runs `f` as `stage` of `c`, timing it; returns whether the cycle goes on.
fn record(c: &mut Cycle, stage: Stage, started: Instant, d: Done) -> bool {
    let v = d.verdict;
    c.stages.push(StageResult {
        stage,
        verdict: v,
        seconds: started.elapsed().as_secs_f64(),
        detail: d.detail,
        reports: d.reports,
    });
    v.continues()
}

async fn one(ctx: &Ctx<'_>, cl: &Cluster, env: &str) -> Cycle {
    let mut c = Cycle {
        environment: env.to_string(),
        dry_run: ctx.dry_run,
        ..Cycle::default()
    };
    let reports = match &ctx.args.report_dir {
        Some(d) => ctx.settings.cwd.join(d).join(env),
        None => ctx.backup.state_dir.join("reports").join(env),
    };
    // A dry run writes its generated files to a scratch directory, removed at the end.
    let scratch = ctx.dry_run.then(|| {
        std::env::temp_dir().join(format!(
            "confgate-full-cycle-{}-{}",
            std::process::id(),
            env
        ))
    });

    // 1. generate
    let t = Instant::now();
    let (d, generated) = generate(ctx, env, scratch.as_deref(), &reports);
    let go_on = record(&mut c, Stage::Generate, t, d);
    let Some((out_dir, namespace, set)) = generated.filter(|_| go_on) else {
        cleanup(scratch.as_deref());
        return c;
    };
    c.namespace = namespace.clone();
    let out = out_dir.display().to_string();

    // 2. validate
    let t = Instant::now();
    let d = validate(ctx, env, &out, &reports).unwrap_or_else(error);
    if !record(&mut c, Stage::Validate, t, d) {
        cleanup(scratch.as_deref());
        return c;
    }

    // 3. backup (pre-deploy)
    let t = Instant::now();
    let d = if ctx.args.skip_backup {
        done(Verdict::Skipped, "--skip-backup")
    } else {
        backup(ctx, cl, env, &namespace).await.unwrap_or_else(error)
    };
    if !record(&mut c, Stage::Backup, t, d) {
        cleanup(scratch.as_deref());
        return c;
    }

    // 4. scan (full)
    let t = Instant::now();
    let (d, outcome) = match scan(ctx, &out, &reports) {
        Ok(x) => x,
        Err(e) => (error(e), ScanOutcome::default()),
    };
    if !record(&mut c, Stage::Scan, t, d) {
        cleanup(scratch.as_deref());
        return c;
    }

    // 5. deploy with the rollout wait
    let t = Instant::now();
    let d = deploy(ctx, cl, &mut c, &out, &namespace, &set, &reports)
        .await
        .unwrap_or_else(error);
    cleanup(scratch.as_deref());
    if !record(&mut c, Stage::Deploy, t, d) {
        return c;
    }

    // 6. monitor, rolling back when the health stays under the threshold
    let t = Instant::now();
    let d = monitor(ctx, cl, &mut c, &namespace, &set, &reports)
        .await
        .unwrap_or_else(error);
    if !record(&mut c, Stage::Monitor, t, d) {
        return c;
    }

    // 7. audit
    let t = Instant::now();
    let d = audit_stage(ctx, &outcome, &reports).unwrap_or_else(error);
    record(&mut c, Stage::Audit, t, d);
    c
}

fn cleanup(scratch: Option<&Path>) {
    if let Some(d) = scratch {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// The generated set's directory, namespace and set name.
type Generated = Option<(PathBuf, String, String)>;

fn generate(ctx: &Ctx<'_>, env: &str, scratch: Option<&Path>, reports: &Path) -> (Done, Generated) {
    let flags = GenerateFlags {
        environment: env.to_string(),
        namespace: ctx.args.namespace.clone(),
        output_dir: ctx
            .args
            .output_dir
            .clone()
            .or_else(|| legacy::var("CONFGATE_OUTPUT_DIR", "OUTPUT_DIR").map(PathBuf::from)),
        fail_on: ctx.args.fail_on,
        ..Default::default()
    };
    let mut opts = match ctx.settings.generate(&flags) {
        Ok(o) => o,
        Err(e) => return (error(e), None),
    };
    if let Some(s) = scratch {
        opts.output_dir = s.to_path_buf();
    }
    let plan = match confgate::generate::plan(&opts) {
        Ok(p) => p,
        Err(e) => return (error(e), None),
    };
    let mut d = done(Verdict::Passed, "");
    if let Ok(bytes) = plan.report(false)
        && let Ok(p) = write_report(reports, "generate.txt", &bytes)
    {
        d.reports.push(p);
    }
    if !plan.outcome.errors.is_empty() {
        d.verdict = Verdict::Error;
        d.detail = format!(
            "the generated manifests could not be checked ({} errors); nothing written",
            plan.outcome.errors.len()
        );
        return (d, None);
    }
    if plan.gate_failed() {
        d.verdict = Verdict::Failed;
        d.detail = format!(
            "the gate (fail-on {}) failed on the generated manifests; nothing written",
            plan.gate.fail_on.as_str()
        );
        return (d, None);
    }
    match plan.apply() {
        Ok(applied) => {
            d.detail = format!(
                "{} files into {}{} ({} written, {} unchanged)",
                plan.files.len(),
                plan.output_display,
                if scratch.is_some() {
                    " (a scratch directory: dry run)"
                } else {
                    ""
                },
                applied.written.len(),
                applied.unchanged
            );
            let namespace = ctx
                .args
                .namespace
                .clone()
                .unwrap_or_else(|| plan.namespace.clone());
            let set = ctx
                .args
                .set
                .clone()
                .unwrap_or_else(|| plan.environment.clone());
            (d, Some((plan.output_dir.clone(), namespace, set)))
        }
        Err(e) => (error(confgate::generate::scrubbed(e, &plan.redactor)), None),
    }
}

fn validate(ctx: &Ctx<'_>, env: &str, out: &str, reports: &Path) -> anyhow::Result<Done> {
    let vs = ctx.settings.validate(&ValidateFlags {
        paths: vec![out.to_string()],
        environment: Some(env.to_string()),
        ..Default::default()
    })?;
    let v = confgate::validate::validate(&vs.options, &ctx.settings.cwd)?;
    let bytes = confgate::validate::report::render(
        &v,
        confgate::validate::report::ValidateFormat::Json,
        false,
        false,
    )
    .map_err(|e| anyhow::anyhow!("cannot render the validation report: {e}"))?;
    let mut d = done(Verdict::Passed, "");
    d.reports
        .push(write_report(reports, "validate.json", &bytes)?);
    let errors = v.errors().count();
    (d.verdict, d.detail) = if !v.tool_errors.is_empty() {
        (
            Verdict::Error,
            format!(
                "validation could not run: {}",
                v.tool_errors[0].to_string().replace('\n', " ")
            ),
        )
    } else if !v.valid() {
        (
            Verdict::Failed,
            format!(
                "{errors} errors in {} documents (score {})",
                v.documents, v.score
            ),
        )
    } else {
        (
            Verdict::Passed,
            format!("{} documents valid (score {})", v.documents, v.score),
        )
    };
    Ok(d)
}

async fn backup(ctx: &Ctx<'_>, cl: &Cluster, env: &str, namespace: &str) -> anyhow::Result<Done> {
    let bs = &ctx.backup;
    let master = bs.key.master()?;
    let store = Store::open(&bs.store, &ctx.settings.cwd, &bs.store_options)?;
    let opts = create::CreateOptions {
        namespaces: vec![namespace.to_string()],
        kinds: bs.kinds.clone(),
        exclude_kinds: bs.exclude_kinds.clone(),
        description: Some(format!("before the full cycle of {env}")),
        pack_bytes: bs.pack_bytes,
        scan: bs.scan,
        ..Default::default()
    };
    let created =
        create::create(cl, &store, &master, Some((&ctx.scanner, ctx.gate)), &opts).await?;
    let m = created.manifest;
    super::backup::record_backup(&bs.state_dir, &m);
    Ok(done(
        Verdict::Passed,
        format!(
            "backup {} of namespace {namespace}: {} objects",
            m.id, m.totals.objects
        ),
    ))
}

fn scan(ctx: &Ctx<'_>, out: &str, reports: &Path) -> anyhow::Result<(Done, ScanOutcome)> {
    let outcome = ctx
        .scanner
        .scan_paths(&[out.to_string()], &ctx.settings.cwd, &NoProgress)?;
    let bytes = confgate::report::render(
        OutputFormat::Json,
        &ReportContext {
            outcome: &outcome,
            color: false,
            gate: ctx.gate,
            template: None,
            sarif_category: None,
        },
    )?;
    let mut d = done(Verdict::Passed, "");
    d.reports.push(write_report(reports, "scan.json", &bytes)?);
    let blocking = outcome
        .findings
        .iter()
        .filter(|f| ctx.gate.blocks(f))
        .count();
    (d.verdict, d.detail) = if !outcome.errors.is_empty() {
        (
            Verdict::Error,
            format!("{} files could not be scanned", outcome.errors.len()),
        )
    } else if !ctx.gate.passes(&outcome.findings) {
        (
            Verdict::Failed,
            format!(
                "{blocking} findings at or above {} in {} documents",
                ctx.gate.fail_on.as_str(),
                outcome.documents
            ),
        )
    } else {
        (
            Verdict::Passed,
            format!(
                "{} documents, {} findings, none at or above {}",
                outcome.documents,
                outcome.findings.len(),
                ctx.gate.fail_on.as_str()
            ),
        )
    };
    Ok((d, outcome))
}

async fn deploy(
    ctx: &Ctx<'_>,
    cl: &Cluster,
    c: &mut Cycle,
    out: &str,
    namespace: &str,
    set: &str,
    reports: &Path,
) -> anyhow::Result<Done> {
    let r = &ctx.args.rollback;
    let flags = DeployFlags {
        paths: vec![out.to_string()],
        namespace: Some(namespace.to_string()),
        set: Some(set.to_string()),
        create_namespace: true,
        apply: !ctx.dry_run,
        dry_run: ctx.dry_run,
        wait_for_rollout: true,
        timeout: r.timeout,
        rollback_on_failure: true,
        health_threshold: r.health_threshold,
        description: Some(format!("full cycle of {}", c.environment)),
        revision_key_file: r.revision_key_file.clone(),
        ..Default::default()
    };
    let (mut opts, paths) = ctx.settings.deploy(&flags, namespace)?;
    // The scan stage gated the set; the deploy records that scan again without blocking.
    opts.gated_by_caller = true;
    let load = &ctx.scanner.options().load;
    let found = confgate::source::discover(&paths, load, &ctx.settings.cwd);
    let loaded = confgate::source::load_all(&found.inputs, load);
    if let Some(e) = found.errors.iter().chain(&loaded.errors).next() {
        anyhow::bail!("cannot read the generated set: {e}");
    }
    let o = confgate::deploy::deploy(
        cl,
        ctx.scanner.clone(),
        ctx.gate,
        loaded.documents,
        &opts,
        &confgate::deploy::wait::NoWaitProgress,
    )
    .await;
    let mut d = done(verdict_of(super::deploy::status(&o, ctx.gate)), "");
    d.reports.push(write_report(
        reports,
        "deploy.json",
        super::deploy::json(&o)?.as_bytes(),
    )?);
    c.revision = o.revision;
    c.rolled_back_to = o.restored;
    let mut parts = Vec::new();
    if o.dry_run {
        let changed = o
            .diffs
            .iter()
            .filter(|x| x.change != confgate::cluster::diff::Change::Unchanged)
            .count();
        parts.push(format!(
            "dry run: {changed} of {} objects would change",
            o.diffs.len()
        ));
    } else {
        parts.push(format!("{} objects applied", o.applied.len()));
    }
    if let Some(s) = o.stopped {
        parts.push(format!(
            "stopped: {}",
            serde_json::to_string(&s)?.trim_matches('"')
        ));
    }
    if let Some(roll) = &o.rollout {
        parts.push(format!("rollout {}", roll.summary()));
    }
    if let Some(n) = o.revision {
        parts.push(format!("revision {n}"));
    }
    if let Some(n) = o.restored {
        parts.push(format!("rolled back to revision {n}"));
    }
    if let Some(e) = o.errors.first() {
        parts.push(e.to_string().replace('\n', " "));
    }
    d.detail = parts.join(", ");
    Ok(d)
}

async fn monitor(
    ctx: &Ctx<'_>,
    cl: &Cluster,
    c: &mut Cycle,
    namespace: &str,
    set: &str,
    reports: &Path,
) -> anyhow::Result<Done> {
    let mut flags = ctx.args.rollback.clone();
    if flags.duration.is_none()
        && let Some(v) = legacy::var("CONFGATE_DURATION", "MONITOR_DURATION")
    {
        flags.duration = Some(
            v.parse()
                .map_err(|_| anyhow::anyhow!("MONITOR_DURATION={v:?}: expected seconds"))?,
        );
    }
    let rs = ctx.settings.rollback(&flags, set, namespace)?;
    let store = RevisionStore::open(cl, namespace, set, 0, rs.options.revision_key.clone()).await?;
    if ctx.dry_run && store.list().await?.is_empty() {
        return Ok(done(
            Verdict::Skipped,
            "dry run: nothing of this set is deployed to watch",
        ));
    }
    let w = flow::watch_and_roll_back(
        cl,
        &store,
        ctx.scanner.clone(),
        ctx.gate,
        &rs.options,
        rs.duration,
        !ctx.dry_run,
        &|_, _| {},
        &confgate::deploy::wait::NoWaitProgress,
    )
    .await;
    let mut d = done(Verdict::Passed, "");
    let v = serde_json::json!({
        "watched": w.watched,
        "scores": w.scores,
        "threshold": rs.options.health.threshold,
        "rolled_back_to": w.target,
        "rollback": w.executed.as_ref().map(|x| x.to_json()),
        "errors": w.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
    });
    d.reports.push(write_report(
        reports,
        "monitor.json",
        format!("{}\n", serde_json::to_string_pretty(&v)?).as_bytes(),
    )?);
    let scores = w
        .scores
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    (d.verdict, d.detail) = if let Some(e) = w.errors.first() {
        (Verdict::Error, e.to_string().replace('\n', " "))
    } else if let Some(target) = w.target {
        if w.executed.is_some() {
            c.rolled_back_to = Some(target);
        }
        (
            Verdict::Failed,
            format!(
                "health {scores} stayed under {}: {} revision {target}",
                rs.options.health.threshold,
                if w.executed.is_some() {
                    "rolled back to"
                } else {
                    "would roll back to (dry run)"
                }
            ),
        )
    } else {
        (
            Verdict::Passed,
            format!(
                "health {scores} (threshold {}) over {:.0} s",
                rs.options.health.threshold,
                rs.duration.as_secs_f64()
            ),
        )
    };
    Ok(d)
}

fn audit_stage(ctx: &Ctx<'_>, outcome: &ScanOutcome, reports: &Path) -> anyhow::Result<Done> {
    let report = audit::build(
        outcome,
        &AuditOptions {
            gate: ctx.gate,
            frameworks: ctx.frameworks.clone(),
        },
    )?;
    let bytes = confgate::report::audit::render(&report, outcome, AuditFormat::Json, None)?;
    let html = confgate::report::audit::render(&report, outcome, AuditFormat::Html, None)?;
    let mut d = done(Verdict::Passed, "");
    d.reports.push(write_report(reports, "audit.json", &bytes)?);
    d.reports.push(write_report(reports, "audit.html", &html)?);
    let score = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.pointer("/summary/score").and_then(|s| s.as_u64()));
    (d.verdict, d.detail) = if report.summary.gate.passed {
        (
            Verdict::Passed,
            format!(
                "security score {}",
                score.map(|s| s.to_string()).unwrap_or_else(|| "-".into())
            ),
        )
    } else {
        (Verdict::Failed, "the audit's gate failed".to_string())
    };
    Ok(d)
}
