//! `confgate cleanup`: lists what confgate left behind and, with `--confirm`, removes it.
//! The choices are `orchestrate::cleanup` (revisions, orphaned set members) and the backup
//! module's retention (`retention::decide`, which never orphans an incremental); nothing
//! changes without `--confirm`.

use confgate::backup::{Store, retention};
use confgate::cluster::{self, Cluster};
use confgate::orchestrate::cleanup::{self, CleanupReport, Removal, What};
use confgate::revision::store::RevisionStore;
use confgate::settings::{BackupSettings, GenerateFlags, Settings, legacy};

use crate::Status;
use crate::cli::{CleanupArgs, Cli, ListFormat};

pub fn run(cli: &Cli, args: &CleanupArgs) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    let confirm = args.confirm && !args.dry_run;
    let report = collect(&settings, args, confirm)?;
    let out = match args.format {
        ListFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        ListFormat::Text => cleanup::text(&report),
    };
    super::write_output(None, out.as_bytes())?;
    Ok(if report.errors.is_empty() {
        Status::Clean
    } else {
        Status::Error
    })
}

/// Finds (and with `confirm` removes) what cleanup covers; `generate-maintenance-report`
/// calls it as a dry run.
pub fn collect(
    settings: &Settings,
    args: &CleanupArgs,
    confirm: bool,
) -> anyhow::Result<CleanupReport> {
    let older_than = match &args.older_than {
        Some(a) => Some(retention::parse_age(a).ok_or_else(|| {
            anyhow::anyhow!("--older-than {a:?}: expected a number and s, m, h, d or w (30d)")
        })?),
        None => None,
    };
    let bs = settings.backup(&args.backup)?;
    let mut report = CleanupReport {
        dry_run: !confirm,
        ..CleanupReport::default()
    };
    // Stale generated output, when an environment is named.
    if let Some(env) = args
        .environment
        .clone()
        .or_else(|| legacy::var("CONFGATE_ENVIRONMENT", "ENVIRONMENT"))
    {
        generated(settings, &env, confirm, &mut report);
    }
    let connect = settings.connect(&args.connect)?;
    let rt = cluster::runtime()?;
    rt.block_on(async {
        backups(settings, &bs, args, confirm, &mut report).await;
        let clusters = cluster::connect_all(&connect).await?;
        let [c] = clusters.as_slice() else {
            anyhow::bail!(
                "cleanup works on one context; {} were given",
                clusters.len()
            );
        };
        let ns = args
            .namespace
            .clone()
            .or_else(|| legacy::var("CONFGATE_NAMESPACE", "NAMESPACE"))
            .unwrap_or_else(|| c.default_namespace().to_string());
        let sets = match &args.set {
            Some(s) => vec![s.clone()],
            None => match confgate::orchestrate::maintenance::sets_in(c, &ns).await {
                Ok(s) => s,
                Err(e) => {
                    report
                        .errors
                        .push(format!("the sets of namespace {ns}: {e}"));
                    Vec::new()
                }
            },
        };
        if let Err(e) = revisions(settings, c, &ns, &sets, args, confirm, &mut report).await {
            report.errors.push(e.to_string());
        }
        for set in &sets {
            if let Err(e) = orphans(c, &ns, set, confirm, &mut report).await {
                report
                    .errors
                    .push(format!("orphaned objects of set {set}: {e}"));
            }
        }
        if let Err(e) = drills(c, older_than.unwrap_or(3600), confirm, &mut report).await {
            report.errors.push(e.to_string());
        }
        Ok(())
    })?;
    Ok(report)
}

fn generated(settings: &Settings, env: &str, confirm: bool, report: &mut CleanupReport) {
    let flags = GenerateFlags {
        environment: env.to_string(),
        ..Default::default()
    };
    let plan = match settings
        .generate(&flags)
        .and_then(|o| confgate::generate::plan(&o))
    {
        Ok(p) => p,
        Err(e) => {
            report
                .errors
                .push(format!("stale generated files of {env}: {e}"));
            return;
        }
    };
    for s in &plan.stale {
        let removed = confirm && std::fs::remove_file(&s.path).is_ok();
        if confirm && !removed {
            report.errors.push(format!("cannot remove {}", s.display));
        }
        report.removals.push(Removal {
            what: What::GeneratedFile,
            name: s.display.clone(),
            reason: format!("no longer generated for {env}"),
            removed,
        });
    }
}

async fn backups(
    settings: &Settings,
    bs: &BackupSettings,
    args: &CleanupArgs,
    confirm: bool,
    report: &mut CleanupReport,
) {
    let run = async {
        let store = Store::open(&bs.store, &settings.cwd, &bs.store_options)?;
        let now = jiff::Timestamp::now().as_second();
        let candidates = super::backup::retention_candidates(&store, bs, now).await?;
        let mut policy = bs.retention.clone();
        if let Some(a) = &args.older_than {
            policy.max_age = Some(a.clone());
        }
        for d in retention::decide(&candidates, &policy, now) {
            if d.keep {
                continue;
            }
            if confirm {
                store.delete_backup(&d.id).await?;
            }
            report.removals.push(Removal {
                what: What::Backup,
                name: d.id.clone(),
                reason: d.reasons.join("; "),
                removed: confirm,
            });
        }
        Ok::<_, anyhow::Error>(())
    };
    if let Err(e) = run.await {
        report.errors.push(format!("backups: {e:#}"));
    }
}

/// The live members of `set` its latest revision does not contain.
async fn orphans(
    c: &Cluster,
    ns: &str,
    set: &str,
    confirm: bool,
    report: &mut CleanupReport,
) -> anyhow::Result<()> {
    let store = RevisionStore::open(c, ns, set, 0, None).await?;
    // Without a revision the set's contents are unknown: nothing is an orphan.
    let Some(latest) = store.latest().await? else {
        return Ok(());
    };
    let members = confgate::deploy::state::live_state(c, set, ns).await?;
    for (shown, m) in cleanup::orphans(&members, &latest.manifests, ns) {
        let s = |p: &str| m.pointer(p).and_then(|v| v.as_str()).unwrap_or("");
        if confirm {
            let t = c.resource_type(s("/apiVersion"), s("/kind")).await?;
            let obj_ns = m.pointer("/metadata/namespace").and_then(|v| v.as_str());
            c.delete_object(
                &t,
                obj_ns.filter(|_| t.namespaced),
                s("/metadata/name"),
                false,
            )
            .await
            .map_err(|e| e.diagnostic(&format!("delete {shown}")))?;
        }
        report.removals.push(Removal {
            what: What::OrphanedObject,
            name: shown,
            reason: format!(
                "labelled as a member of set {set}, not in its revision {}",
                latest.number
            ),
            removed: confirm,
        });
    }
    Ok(())
}

async fn revisions(
    settings: &Settings,
    c: &Cluster,
    ns: &str,
    sets: &[String],
    args: &CleanupArgs,
    confirm: bool,
    report: &mut CleanupReport,
) -> anyhow::Result<()> {
    let history_max = args
        .history_max
        .or_else(|| settings.file.deploy.as_ref().and_then(|d| d.history_max))
        .unwrap_or(10)
        .max(1);
    for set in sets {
        let store = RevisionStore::open(c, ns, set, history_max, None).await?;
        let list = store.list().await?;
        let doomed = cleanup::revisions_beyond(&list, history_max);
        let Some(newest) = list.iter().filter(|r| r.complete).map(|r| r.number).max() else {
            continue;
        };
        let deleted = if confirm && !doomed.is_empty() {
            store.prune(newest).await?
        } else {
            Vec::new()
        };
        for n in doomed {
            report.removals.push(Removal {
                what: What::Revision,
                name: format!("{ns}/{set} revision {n}"),
                reason: format!("beyond the history limit of {history_max}"),
                removed: deleted.contains(&n),
            });
        }
    }
    Ok(())
}

async fn drills(
    c: &Cluster,
    grace: i64,
    confirm: bool,
    report: &mut CleanupReport,
) -> anyhow::Result<()> {
    let t = c.resource_type("v1", "Namespace").await?;
    let now = jiff::Timestamp::now().as_second();
    for n in c
        .list_objects(&t, None, Some(confgate::backup::drill::DRILL_LABEL))
        .await?
    {
        let name = n
            .pointer("/metadata/name")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        let created = n
            .pointer("/metadata/creationTimestamp")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_second());
        if name.is_empty() || !cleanup::drill_finished(created, now, grace) {
            continue;
        }
        if confirm {
            c.delete_object(&t, None, &name, false)
                .await
                .map_err(|e| e.diagnostic(&format!("delete namespace {name}")))?;
        }
        report.removals.push(Removal {
            what: What::DrillNamespace,
            name,
            reason: format!(
                "a restore drill's scratch namespace, older than {}",
                confgate::orchestrate::status::human(grace)
            ),
            removed: confirm,
        });
    }
    Ok(())
}
