//! The original suite's incident commands: `generate-incident-report` (the status now, then
//! the window's events, alerts and health from the revisions, the monitor history and the
//! backup state: `orchestrate::incident`) and `analyze-impact` (rollback's impact analysis,
//! never its execution).

use confgate::backup::retention::parse_age;
use confgate::cluster;
use confgate::monitor::history::History;
use confgate::orchestrate::incident::{self, IncidentReport};
use confgate::orchestrate::maintenance::sets_in;
use confgate::revision::RevisionStore;
use confgate::settings::{BackupFlags, MonitorFlags};

use crate::Status;
use crate::cli::{AnalyzeImpactArgs, Cli, IncidentArgs, ListFormat, RollbackArgs};

pub fn run(cli: &Cli, args: &IncidentArgs) -> anyhow::Result<Status> {
    let window = parse_age(&args.since).ok_or_else(|| {
        anyhow::anyhow!(
            "--since {:?}: expected a number and s, m, h, d or w (24h)",
            args.since
        )
    })?;
    let now = jiff::Timestamp::now();
    let since = now.as_second() - window;
    let settings = super::settings(cli.config.as_deref())?;
    let status = super::status::collect(cli, &args.status)?;
    let namespace = if status.namespace.is_empty() {
        super::status::namespace_from_env(args.status.namespace.as_deref()).unwrap_or_default()
    } else {
        status.namespace.clone()
    };
    let mut errors = Vec::new();
    // The alerts and the health, from the monitor history in the state directory.
    let state_dir = settings
        .backup(&BackupFlags {
            state_dir: args.status.state_dir.clone(),
            ..Default::default()
        })?
        .state_dir;
    let ms = settings.monitor(
        &MonitorFlags::default(),
        None,
        None,
        args.status.health_threshold,
        None,
        "default",
    )?;
    let critical = ms
        .alerts
        .critical_threshold
        .unwrap_or(50)
        .min(ms.alert_threshold);
    let records = match History::new(&state_dir).read(since) {
        Ok((r, warnings)) => {
            errors.extend(warnings);
            r
        }
        Err(e) => {
            errors.push(e.to_string());
            Vec::new()
        }
    };
    // The events, from the revisions of the namespace's sets.
    let mut events = Vec::new();
    if status.reachable {
        let connect = settings.connect(&args.status.connect)?;
        let rt = cluster::runtime()?;
        let found: anyhow::Result<Vec<incident::Event>> = rt.block_on(async {
            let clusters = cluster::connect_all(&connect).await?;
            let [c] = clusters.as_slice() else {
                anyhow::bail!("the incident report works on one context");
            };
            let sets = match &args.status.set {
                Some(s) => vec![s.clone()],
                None => sets_in(c, &namespace).await?,
            };
            let mut out = Vec::new();
            for set in sets {
                let store = RevisionStore::open(c, &namespace, &set, 0, None).await?;
                out.extend(incident::events(&store.list().await?, since));
            }
            out.sort_by_key(|a| a.t);
            Ok(out)
        });
        match found {
            Ok(e) => events = e,
            Err(e) => errors.push(format!("revisions: {e:#}")),
        }
    } else {
        errors.push("revisions: not read, the cluster is not reachable".into());
    }
    let report = IncidentReport {
        incident_type: args.status.incident_type.clone(),
        generated: now.to_string(),
        alert_periods: incident::alert_periods(
            &records,
            &namespace,
            since,
            ms.alert_threshold,
            critical,
        ),
        health: incident::health_summary(&records, &namespace, since),
        backup_failure: status.backup.last_failure.filter(|t| *t >= since),
        namespace,
        since,
        events,
        errors,
        status,
    };
    let out = match args.status.format {
        ListFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        ListFormat::Text => incident::text(&report, &super::status::text(&report.status)),
    };
    super::write_output(args.status.output.as_deref(), out.as_bytes())?;
    // Written: the report did its job; parts that could not be read make it incomplete.
    Ok(if report.errors.is_empty() {
        Status::Clean
    } else {
        Status::Findings
    })
}

/// `analyze-impact`: `rollback` without `--confirm`, to the previous revision by default.
pub fn analyze_impact(cli: &Cli, args: &AnalyzeImpactArgs) -> anyhow::Result<Status> {
    if let Some(t) = &args.incident_type
        && !cli.quiet
    {
        eprintln!(
            "confgate: impact of rolling back set {} for incident {}",
            confgate::report::escape::control(&args.set),
            confgate::report::escape::control(t)
        );
    }
    let rollback = RollbackArgs {
        set: args.set.clone(),
        namespace: super::status::namespace_from_env(args.namespace.as_deref()),
        list: false,
        target_revision: args.target,
        to_previous: args.target.is_none() && !args.to_last_healthy,
        to_last_healthy: args.to_last_healthy,
        confirm: false,
        rollback: false,
        allow_findings: false,
        create_backup: None,
        description: None,
        auto_rollback: false,
        rollback_flags: args.rollback_flags.clone(),
        scan: args.scan.clone(),
        connect: args.connect.clone(),
    };
    super::rollback::run(cli, &rollback)
}
