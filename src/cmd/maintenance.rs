//! `generate-maintenance-report`: the revisions, backups, retention, waivers and cleanup
//! candidates of a namespace (`orchestrate::maintenance`), gathered without changing
//! anything (cleanup runs as a dry run).

use confgate::backup::Store;
use confgate::cluster;
use confgate::orchestrate::maintenance::{self, BackupsOverview, MaintenanceReport, sets_in};
use confgate::orchestrate::status;
use confgate::revision::RevisionStore;
use confgate::settings::ScanFlags;

use crate::Status;
use crate::cli::{CleanupArgs, Cli, ListFormat, MaintenanceArgs};

pub fn run(cli: &Cli, args: &MaintenanceArgs) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    let now = jiff::Timestamp::now();
    let history_max = args
        .history_max
        .or_else(|| settings.file.deploy.as_ref().and_then(|d| d.history_max))
        .unwrap_or(10)
        .max(1);
    let namespace = super::status::namespace_from_env(args.namespace.as_deref());
    // What cleanup would remove: a dry run of the same collection.
    let cleanup_args = CleanupArgs {
        older_than: args.older_than.clone(),
        dry_run: true,
        confirm: false,
        namespace: namespace.clone(),
        set: args.set.clone(),
        history_max: Some(history_max),
        environment: None,
        format: ListFormat::Json,
        backup: args.backup.clone(),
        connect: args.connect.clone(),
    };
    let cleanup = super::cleanup::collect(&settings, &cleanup_args, false)?;
    let mut errors = Vec::new();
    let bs = settings.backup(&args.backup)?;
    let connect = settings.connect(&args.connect)?;
    let rt = cluster::runtime()?;
    let (ns, sets, mut backups) = rt.block_on(async {
        let clusters = cluster::connect_all(&connect).await?;
        let [c] = clusters.as_slice() else {
            anyhow::bail!("the maintenance report works on one context");
        };
        let ns = namespace
            .clone()
            .unwrap_or_else(|| c.default_namespace().to_string());
        let names = match &args.set {
            Some(s) => vec![s.clone()],
            None => sets_in(c, &ns).await?,
        };
        let mut sets = Vec::new();
        for set in names {
            let store = RevisionStore::open(c, &ns, &set, 0, None).await?;
            sets.push(maintenance::set_revisions(
                &set,
                &store.list().await?,
                history_max,
            ));
        }
        // The backups of the store.
        let mut b = BackupsOverview {
            store: bs.store.clone(),
            ..BackupsOverview::default()
        };
        match Store::open(&bs.store, &settings.cwd, &bs.store_options) {
            Ok(store) => {
                let cands = super::backup::retention_candidates(&store, &bs, now.as_second())
                    .await
                    .unwrap_or_default();
                b.store = store.shown.clone();
                b.complete = cands.iter().filter(|c| c.created.is_some()).count();
                b.incomplete = cands.len() - b.complete;
                if let Some(newest) = cands
                    .iter()
                    .filter(|c| c.created.is_some())
                    .max_by_key(|c| c.created)
                {
                    b.newest = Some(newest.id.clone());
                    b.newest_age_seconds = newest.created.map(|t| (now.as_second() - t).max(0));
                }
            }
            Err(e) => b.store = format!("{} ({e})", bs.store),
        }
        Ok((ns, sets, b))
    })?;
    backups.outside_retention = cleanup
        .removals
        .iter()
        .filter(|r| r.what == confgate::orchestrate::cleanup::What::Backup)
        .count();
    match confgate::backup::state::read(&bs.state_dir) {
        Ok(s) => backups.last_verified_restore = s.last_verified_restore,
        Err(e) => errors.push(e.to_string()),
    }
    let scan = settings.scan(&ScanFlags::default())?;
    let today = confgate::waiver::today();
    let report = MaintenanceReport {
        generated: now.to_string(),
        namespace: ns,
        history_max,
        sets,
        backups,
        waivers_expiring: status::expiring(&scan.scan.waivers, today, args.waiver_days),
        errors: errors
            .into_iter()
            .chain(cleanup.errors.iter().cloned())
            .collect(),
        cleanup,
    };
    let out = match args.format {
        ListFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        ListFormat::Text => maintenance::text(&report),
    };
    super::write_output(args.output.as_deref(), out.as_bytes())?;
    Ok(if report.errors.is_empty() {
        Status::Clean
    } else {
        Status::Findings
    })
}
