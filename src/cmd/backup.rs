//! `confgate backup`: resolves the action (and the original suite's forms), the settings
//! and the store, runs `confgate::backup`, renders text or JSON, and keeps the lifecycle
//! state the metrics read.

use std::sync::Arc;

use confgate::backup::drill::{self, DrillOptions, DrillReport};
use confgate::backup::format::{BackupKind, Manifest};
use confgate::backup::restore::{self, RestoreOptions, Restored};
use confgate::backup::retention::{self, Candidate};
use confgate::backup::state::{self, BackupRun, RestoreRun};
use confgate::backup::{Store, create, keys, load};
use confgate::cluster;
use confgate::diag::{Code, Diagnostic};
use confgate::report::{OutputFormat, escape};
use confgate::scan::Scanner;
use confgate::settings::BackupSettings;
use serde_json::json;

use crate::Status;
use crate::cli::{BackupArgs, Cli};

/// What `backup` was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Action {
    Create,
    Incremental(String),
    List,
    Show(String),
    Verify(Option<String>),
    Restore(String),
    TestRestore(String),
    Sync(String),
    Prune,
    Rekey,
    Keygen,
    Metrics,
}

fn need_id(id: Option<&String>, what: &str) -> Result<String, Diagnostic> {
    id.cloned().ok_or_else(|| {
        Diagnostic::new(
            Code::Settings,
            format!("backup {what} needs a backup id (an id, a unique prefix of one, or latest)"),
        )
    })
}

/// The action from ACTION, --action / BACKUP_ACTION and the suite's flags.
fn action(args: &BackupArgs) -> Result<Action, Diagnostic> {
    let id = args.id.as_ref().or(args.backup_id.as_ref());
    if args.create_backup {
        return Ok(Action::Create);
    }
    if let Some(base) = &args.create_incremental {
        return Ok(Action::Incremental(base.clone()));
    }
    if args.restore {
        return need_id(id, "restore").map(Action::Restore);
    }
    if let Some(t) = &args.test_restore {
        return Ok(Action::TestRestore(t.clone()));
    }
    if let Some(p) = &args.sync_to_cloud {
        return Ok(Action::Sync(p.clone()));
    }
    if args.verify && args.action.is_none() && args.action_flag.is_none() {
        return Ok(Action::Verify(id.cloned()));
    }
    let name = args
        .action_flag
        .as_deref()
        .or(args.action.as_deref())
        .unwrap_or("list");
    Ok(match name {
        "create" | "full" => Action::Create,
        "incremental" => Action::Incremental(need_id(id, "incremental")?),
        "list" => Action::List,
        "show" => Action::Show(need_id(id, "show")?),
        "verify" => Action::Verify(id.cloned()),
        "restore" => Action::Restore(need_id(id, "restore")?),
        "test-restore" | "test" | "drill" => Action::TestRestore(need_id(id, "test-restore")?),
        "sync" => Action::Sync(args.provider.clone().ok_or_else(|| {
            Diagnostic::new(
                Code::Settings,
                "backup sync needs --provider aws, azure or gcs",
            )
        })?),
        "prune" | "cleanup" => Action::Prune,
        "rekey" => Action::Rekey,
        "keygen" => Action::Keygen,
        "metrics" => Action::Metrics,
        other => {
            return Err(Diagnostic::new(
                Code::Settings,
                format!(
                    "unknown backup action {other:?}: create, incremental, list, show, verify, restore, test-restore, sync, prune, rekey, keygen or metrics"
                ),
            ));
        }
    })
}

pub fn run(cli: &Cli, args: &BackupArgs) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    let action = action(args)?;
    let bs = settings.backup(&args.flags)?;
    let json = args.scan.format == Some(OutputFormat::Json);
    if let Some(f) = args.scan.format
        && !matches!(f, OutputFormat::Json | OutputFormat::Text)
    {
        return Err(Diagnostic::new(Code::Settings, "backup writes text or json").into());
    }
    match &action {
        Action::Keygen => return keygen(args),
        Action::Metrics => {
            let prefix = args
                .metric_prefix
                .clone()
                .or_else(|| {
                    settings
                        .file
                        .monitor
                        .as_ref()
                        .and_then(|m| m.metric_prefix.clone())
                })
                .unwrap_or_else(|| "confgate".into());
            let s = state::read(&bs.state_dir)?;
            super::write_output(
                args.scan.output.as_deref(),
                state::prometheus(&s, &prefix).as_bytes(),
            )?;
            return Ok(Status::Clean);
        }
        _ => {}
    }
    let store = Store::open(&bs.store, &settings.cwd, &bs.store_options)?;
    let rt = cluster::runtime()?;
    rt.block_on(async {
        match action {
            Action::List => list(&store, json).await,
            Action::Show(id) => show(&store, &bs, &id, json).await,
            Action::Verify(id) => verify(&store, &bs, id, json).await,
            Action::Prune => prune(&store, &bs, args, json).await,
            Action::Sync(provider) => sync(&store, &bs, &settings.cwd, &provider, args, json).await,
            Action::Rekey => rekey(&store, &bs, args, json).await,
            Action::Create
            | Action::Incremental(_)
            | Action::Restore(_)
            | Action::TestRestore(_) => {
                with_cluster(&settings, args, &bs, &store, action, json).await
            }
            Action::Keygen | Action::Metrics => Ok(Status::Clean),
        }
    })
}

fn keygen(args: &BackupArgs) -> anyhow::Result<Status> {
    let Some(path) = &args.key_output else {
        return Err(Diagnostic::new(
            Code::Settings,
            "backup keygen writes the key to a file only: give --key-output FILE",
        )
        .into());
    };
    let key = confgate::seal::Key::generate().map_err(|e| e.diagnostic("the key"))?;
    confgate::fsutil::write_private(path, format!("{}\n", key.to_base64()).as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    println!(
        "wrote a new backup master key to {} (fingerprint {}, mode 0600): keep it safe, without it the backups cannot be read",
        escape::control(&path.display().to_string()),
        key.fingerprint()
    );
    Ok(Status::Clean)
}

fn emit(json: bool, value: serde_json::Value, text: String) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{text}");
    }
    Ok(())
}

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

fn summary_json(m: &Manifest) -> serde_json::Value {
    json!({
        "id": m.id, "kind": m.kind, "parent": m.parent, "created": m.created,
        "description": m.description, "context": m.context, "namespaces": m.namespaces,
        "objects": m.totals.objects, "secrets": m.totals.secrets,
        "raw_bytes": m.totals.raw_bytes, "stored_bytes": m.totals.stored_bytes,
        "compressed_bytes": m.totals.compressed_bytes,
        "changed": m.totals.changed, "unchanged": m.totals.unchanged, "removed": m.totals.removed,
        "duration_seconds": m.duration_seconds, "scan": m.scan,
        "key_fingerprint": m.key.master_fingerprint,
    })
}

async fn list(store: &Store, json: bool) -> anyhow::Result<Status> {
    let listed = store.list().await?;
    let mut rows = Vec::new();
    let mut text = String::new();
    for l in &listed {
        if !l.complete {
            rows.push(json!({"id": l.id, "complete": false}));
            text.push_str(&format!(
                "{}  incomplete (no manifest)\n",
                escape::control(&l.id)
            ));
            continue;
        }
        match store.manifest(&l.id).await {
            Ok(Some(m)) => {
                let mut row = summary_json(&m);
                row["complete"] = json!(true);
                rows.push(row);
                text.push_str(&format!(
                    "{}  {:<11} {}  {} objects  {} stored{}{}\n",
                    m.id,
                    match m.kind {
                        BackupKind::Full => "full".to_string(),
                        BackupKind::Incremental => "incremental".to_string(),
                    },
                    m.created,
                    m.totals.objects,
                    human(m.totals.stored_bytes),
                    m.parent
                        .as_deref()
                        .map(|p| format!("  on {p}"))
                        .unwrap_or_default(),
                    m.description
                        .as_deref()
                        .map(|d| format!("  \"{}\"", escape::control(d)))
                        .unwrap_or_default(),
                ));
            }
            Ok(None) => {}
            Err(e) => {
                rows.push(json!({"id": l.id, "complete": false, "error": e.to_string()}));
                text.push_str(&format!("{}  unreadable manifest: {}\n", l.id, e.message));
            }
        }
    }
    if listed.is_empty() {
        text.push_str(&format!(
            "no backups in {}\n",
            escape::control(&store.shown)
        ));
    }
    emit(json, json!({"store": store.shown, "backups": rows}), text)?;
    Ok(Status::Clean)
}

async fn show(
    store: &Store,
    bs: &BackupSettings,
    given: &str,
    json: bool,
) -> anyhow::Result<Status> {
    let id = load::resolve_id(store, given).await?;
    let master = bs.key.master()?;
    let (m, _) = load::checked_manifest(store, &master, &id).await?;
    let mut text = format!(
        "backup {}: {:?} of context {} ({}), {}\n  {} objects ({} Secrets), {} raw, {} stored, {:.2} s\n",
        m.id,
        m.kind,
        escape::control(&m.context),
        m.server_version.as_deref().unwrap_or("unknown version"),
        m.created,
        m.totals.objects,
        m.totals.secrets,
        human(m.totals.raw_bytes),
        human(m.totals.stored_bytes),
        m.duration_seconds
    );
    if let Some(p) = &m.parent {
        text.push_str(&format!(
            "  incremental on {p}: {} changed, {} unchanged, {} removed\n",
            m.totals.changed, m.totals.unchanged, m.totals.removed
        ));
    }
    for e in &m.objects {
        text.push_str(&format!("  {}\n", escape::control(&e.shown())));
    }
    let mut v = summary_json(&m);
    v["objects_list"] =
        json!(m
        .objects
        .iter()
        .map(|e| json!({"api_version": e.api_version, "kind": e.kind, "namespace": e.namespace,
            "name": e.name, "sha256": e.sha256, "size": e.size, "stored_in": e.stored_in}))
        .collect::<Vec<_>>());
    emit(json, v, text)?;
    Ok(Status::Clean)
}

async fn verify(
    store: &Store,
    bs: &BackupSettings,
    id: Option<String>,
    json: bool,
) -> anyhow::Result<Status> {
    let master = bs.key.master()?;
    let single = id.is_some();
    let ids = match id {
        Some(given) => vec![load::resolve_id(store, &given).await?],
        None => store
            .list()
            .await?
            .into_iter()
            .filter(|l| l.complete)
            .map(|l| l.id)
            .collect(),
    };
    let mut rows = Vec::new();
    let mut text = String::new();
    let mut failed = 0;
    for id in ids {
        let started = std::time::Instant::now();
        match load::load_all(store, &master, &id).await {
            Ok(l) => {
                text.push_str(&format!(
                    "{id}: verified: {} objects, {} packs ({}) read from {}, in {:.2} s\n",
                    l.objects.len(),
                    l.packs,
                    human(l.stored_bytes),
                    l.read_from.join(", "),
                    started.elapsed().as_secs_f64()
                ));
                rows.push(
                    json!({"id": id, "ok": true, "objects": l.objects.len(), "packs": l.packs,
                    "seconds": started.elapsed().as_secs_f64()}),
                );
            }
            Err(e) if single => return Err(e.into()),
            Err(e) => {
                failed += 1;
                text.push_str(&format!(
                    "{id}: FAILED: {}\n",
                    escape::control(&e.to_string())
                ));
                rows.push(json!({"id": id, "ok": false, "error": e.to_string()}));
            }
        }
    }
    emit(json, json!({"verified": rows}), text)?;
    Ok(if failed > 0 {
        Status::Error
    } else {
        Status::Clean
    })
}

/// The backups of `store` as retention sees them: complete ones with their creation time
/// and what they need, incomplete ones only once older than `incomplete-after` (younger,
/// they may still be written).
pub async fn retention_candidates(
    store: &Store,
    bs: &BackupSettings,
    now: i64,
) -> anyhow::Result<Vec<Candidate>> {
    let mut candidates = Vec::new();
    for l in store.list().await? {
        if l.complete {
            let Some(m) = store.manifest(&l.id).await? else {
                continue;
            };
            let created = m
                .created
                .parse::<jiff::Timestamp>()
                .map(|t| t.as_second())
                .ok();
            let mut needs: Vec<String> = m
                .objects
                .iter()
                .filter(|e| e.stored_in != m.id)
                .map(|e| e.stored_in.clone())
                .collect();
            needs.extend(m.parent.clone());
            needs.sort();
            needs.dedup();
            candidates.push(Candidate {
                id: l.id,
                created,
                needs,
            });
        } else {
            // An incomplete backup written recently may still be running.
            let grace = bs
                .retention
                .incomplete_after
                .as_deref()
                .and_then(retention::parse_age)
                .unwrap_or(3600);
            let recent = store
                .last_modified(&l.id)
                .await?
                .is_some_and(|t| now - t < grace);
            if !recent {
                candidates.push(Candidate {
                    id: l.id,
                    created: None,
                    needs: Vec::new(),
                });
            }
        }
    }
    Ok(candidates)
}

async fn prune(
    store: &Store,
    bs: &BackupSettings,
    args: &BackupArgs,
    json: bool,
) -> anyhow::Result<Status> {
    let now = jiff::Timestamp::now().as_second();
    let candidates = retention_candidates(store, bs, now).await?;
    let decisions = retention::decide(&candidates, &bs.retention, now);
    let apply = args.confirm && !args.dry_run;
    let mut text = String::new();
    let mut removed = 0;
    for d in &decisions {
        if d.keep {
            text.push_str(&format!("keep    {}  ({})\n", d.id, d.reasons.join("; ")));
        } else {
            if apply {
                store.delete_backup(&d.id).await?;
                removed += 1;
            }
            text.push_str(&format!(
                "{} {}  ({})\n",
                if apply { "removed" } else { "remove " },
                d.id,
                d.reasons.join("; ")
            ));
        }
    }
    if !apply && decisions.iter().any(|d| !d.keep) {
        text.push_str("dry run: nothing was removed; pass --confirm to remove\n");
    }
    emit(
        json,
        json!({"dry_run": !apply, "removed": removed, "decisions": decisions}),
        text,
    )?;
    Ok(Status::Clean)
}

async fn sync(
    store: &Store,
    bs: &BackupSettings,
    cwd: &std::path::Path,
    provider: &str,
    args: &BackupArgs,
    json: bool,
) -> anyhow::Result<Status> {
    let provider = match provider {
        "s3" => "aws",
        "az" | "blob" => "azure",
        "gcp" | "google" => "gcs",
        p => p,
    };
    let Some(url) = bs.providers.get(provider) else {
        return Err(Diagnostic::new(
            Code::Settings,
            format!(
                "no store for provider {provider}: set [backup.providers] {provider} = \"s3://bucket/prefix\" (or az://, gs://)"
            ),
        )
        .into());
    };
    let target = Store::open(url, cwd, &bs.store_options)?;
    let there: std::collections::BTreeSet<String> = target
        .list()
        .await?
        .into_iter()
        .filter(|l| l.complete)
        .map(|l| l.id)
        .collect();
    let apply = args.confirm && !args.dry_run;
    let mut copied = Vec::new();
    let mut text = String::new();
    for l in store.list().await?.into_iter().filter(|l| l.complete) {
        if there.contains(&l.id) {
            continue;
        }
        if apply {
            let mut files = store.files(&l.id).await?;
            let manifest = format!("{}/{}", l.id, confgate::backup::format::MANIFEST);
            // The manifest last: an interrupted sync leaves an incomplete copy, never a
            // complete-looking one.
            files.sort_by_key(|f| *f == manifest);
            for f in &files {
                let Some(bytes) = store.get(f).await? else {
                    continue;
                };
                target.put(f, bytes).await?;
            }
        }
        text.push_str(&format!(
            "{} {} to {}\n",
            if apply { "copied" } else { "would copy" },
            l.id,
            target.shown
        ));
        copied.push(l.id);
    }
    if copied.is_empty() {
        text.push_str(&format!("{} is up to date\n", target.shown));
    } else if !apply {
        text.push_str("dry run: nothing was copied; pass --confirm to copy\n");
    }
    emit(
        json,
        json!({"provider": provider, "target": target.shown, "dry_run": !apply, "copied": copied}),
        text,
    )?;
    Ok(Status::Clean)
}

async fn rekey(
    store: &Store,
    bs: &BackupSettings,
    args: &BackupArgs,
    json: bool,
) -> anyhow::Result<Status> {
    let Some(new_file) = &args.new_key_file else {
        return Err(
            Diagnostic::new(Code::Settings, "backup rekey needs --new-key-file FILE").into(),
        );
    };
    let old = bs.key.master()?;
    let new = keys::KeySource {
        file: Some(new_file.clone()),
        ..keys::KeySource::default()
    }
    .master()?;
    let apply = args.confirm && !args.dry_run;
    let mut done = Vec::new();
    for l in store.list().await?.into_iter().filter(|l| l.complete) {
        let (mut m, data_key) = load::checked_manifest(store, &old, &l.id).await?;
        if apply {
            m.key = keys::wrap(&new, &data_key)?;
            let bytes = m.seal_bytes(&data_key)?;
            store
                .put(
                    &format!("{}/{}", m.id, confgate::backup::format::MANIFEST),
                    bytes,
                )
                .await?;
        }
        done.push(m.id);
    }
    let text = format!(
        "{} {} backup(s) from key {} to key {}{}\n",
        if apply { "re-keyed" } else { "would re-key" },
        done.len(),
        old.fingerprint(),
        new.fingerprint(),
        if apply {
            ""
        } else {
            " (dry run: pass --confirm)"
        }
    );
    emit(
        json,
        json!({"dry_run": !apply, "backups": done, "from": old.fingerprint(), "to": new.fingerprint()}),
        text,
    )?;
    Ok(Status::Clean)
}

/// Records a finished backup in the lifecycle state the metrics and `status` read (a state
/// that cannot be written does not fail the backup).
pub fn record_backup(state_dir: &std::path::Path, m: &Manifest) {
    let _ = state::update(state_dir, |s| {
        s.backups_total += 1;
        s.last_backup = Some(BackupRun {
            id: m.id.clone(),
            kind: format!("{:?}", m.kind).to_ascii_lowercase(),
            finished: jiff::Timestamp::now().as_second(),
            duration_seconds: m.duration_seconds,
            objects: m.totals.objects,
            raw_bytes: m.totals.stored_raw_bytes,
            compressed_bytes: m.totals.compressed_bytes,
            stored_bytes: m.totals.stored_bytes,
        });
    });
}

async fn with_cluster(
    settings: &confgate::settings::Settings,
    args: &BackupArgs,
    bs: &BackupSettings,
    store: &Store,
    action: Action,
    json: bool,
) -> anyhow::Result<Status> {
    let master = bs.key.master()?;
    let scan = settings.scan(&args.scan)?;
    let connect = settings.connect(&args.connect)?;
    let scanner = Arc::new(Scanner::new(&scan.scan)?);
    let gate = scan.gate;
    let clusters = cluster::connect_all(&connect).await?;
    let [c] = clusters.as_slice() else {
        anyhow::bail!("backup works on one context; {} were given", clusters.len());
    };
    let timeout = confgate::settings::seconds("timeout", args.timeout.unwrap_or(600.0))?;
    match action {
        Action::Create | Action::Incremental(_) => {
            let namespaces = if args.all_namespaces || bs.all_namespaces {
                Vec::new()
            } else if !args.namespace.is_empty() {
                args.namespace.clone()
            } else if !bs.namespaces.is_empty() {
                bs.namespaces.clone()
            } else {
                vec![c.default_namespace().to_string()]
            };
            let opts = create::CreateOptions {
                namespaces,
                kinds: if args.kinds.is_empty() {
                    bs.kinds.clone()
                } else {
                    args.kinds.clone()
                },
                exclude_kinds: if args.exclude_kinds.is_empty() {
                    bs.exclude_kinds.clone()
                } else {
                    args.exclude_kinds.clone()
                },
                description: args.description.clone(),
                cross_env: args.cross_env,
                parent: match &action {
                    Action::Incremental(b) => Some(b.clone()),
                    _ => None,
                },
                pack_bytes: bs.pack_bytes,
                scan: !args.no_scan && bs.scan,
            };
            match create::create(c, store, &master, Some((&scanner, gate)), &opts).await {
                Ok(created) => {
                    let m = created.manifest;
                    record_backup(&bs.state_dir, &m);
                    let ratio = if m.totals.compressed_bytes > 0 {
                        m.totals.stored_raw_bytes as f64 / m.totals.compressed_bytes as f64
                    } else {
                        0.0
                    };
                    let mut text = format!(
                        "backup {} written to {}: {} objects ({} Secrets, encrypted), {} of JSON stored as {} (gzip {:.1}x), {:.2} s\n",
                        m.id,
                        escape::control(&store.shown),
                        m.totals.objects,
                        m.totals.secrets,
                        human(m.totals.stored_raw_bytes),
                        human(m.totals.stored_bytes),
                        ratio,
                        m.duration_seconds
                    );
                    if let Some(p) = &m.parent {
                        text.push_str(&format!(
                            "incremental on {p}: {} new or changed, {} unchanged (referenced), {} removed\n",
                            m.totals.changed, m.totals.unchanged, m.totals.removed
                        ));
                    }
                    if m.scan.blocking > 0 {
                        text.push_str(&format!(
                            "note: {} findings at or above {} in what was backed up (a restore will need --allow-findings)\n",
                            m.scan.blocking, m.scan.fail_on
                        ));
                    }
                    emit(json, summary_json(&m), text)?;
                    Ok(Status::Clean)
                }
                Err(e) => {
                    let _ = state::update(&bs.state_dir, |s| {
                        s.backup_failures_total += 1;
                        s.last_failure = Some(jiff::Timestamp::now().as_second());
                    });
                    Err(e.into())
                }
            }
        }
        Action::Restore(given) => {
            let id = load::resolve_id(store, &given).await?;
            let mut map = Vec::new();
            for m in &args.namespace_map {
                map.push(restore::parse_mapping(m)?);
            }
            let opts = RestoreOptions {
                namespace_map: map,
                kinds: args.kinds.clone(),
                namespaces: args.namespace.clone(),
                apply: args.confirm && !args.dry_run,
                allow_findings: args.allow_findings,
                force_conflicts: args.force_conflicts,
                timeout,
            };
            let r = restore::restore(c, store, &master, &scanner, gate, &id, &opts).await;
            if opts.apply && r.stopped.is_none() && r.errors.is_empty() {
                let _ = state::update(&bs.state_dir, |s| {
                    s.restores_total += 1;
                    s.last_restore = Some(RestoreRun {
                        id: id.clone(),
                        finished: jiff::Timestamp::now().as_second(),
                        duration_seconds: r.seconds,
                        objects: r.applied.len() as u64,
                        passed: true,
                    });
                });
            }
            render_restore(&r, gate, json)
        }
        Action::TestRestore(given) => {
            let id = load::resolve_id(store, &given).await?;
            let apply = args.confirm && !args.dry_run;
            if !apply {
                let l = load::load_all(store, &master, &id).await?;
                let namespaced = l
                    .objects
                    .iter()
                    .filter(|(e, _)| e.namespace.is_some())
                    .count();
                emit(
                    json,
                    json!({"backup": id, "dry_run": true, "objects": namespaced,
                        "skipped_cluster_scoped": l.objects.len() - namespaced}),
                    format!(
                        "backup {id} verified; a drill would restore its {namespaced} namespaced objects into a scratch namespace of context {}, compare them and delete the namespace\ndry run: pass --confirm to run the drill\n",
                        escape::control(c.context())
                    ),
                )?;
                return Ok(Status::Clean);
            }
            let report = drill::drill(
                c,
                store,
                &master,
                &scanner,
                gate,
                &id,
                &DrillOptions {
                    namespace: args.drill_namespace.clone(),
                    keep: args.keep,
                    allow_findings: args.allow_findings,
                    timeout,
                },
            )
            .await;
            let _ = state::update(&bs.state_dir, |s| {
                let run = RestoreRun {
                    id: id.clone(),
                    finished: jiff::Timestamp::now().as_second(),
                    duration_seconds: report.seconds,
                    objects: report.compared as u64,
                    passed: report.passed,
                };
                s.drills_total += 1;
                if !report.passed {
                    s.drill_failures_total += 1;
                }
                if report.passed {
                    s.last_verified_restore = Some(run.clone());
                }
                s.last_drill = Some(run);
            });
            render_drill(&report, json)
        }
        _ => Ok(Status::Clean),
    }
}

fn render_restore(r: &Restored, gate: confgate::gate::Gate, json: bool) -> anyhow::Result<Status> {
    let blocking: Vec<&confgate::finding::Finding> = gate.blocking(&r.scan.findings).collect();
    let mut text = String::new();
    let created = r
        .diffs
        .iter()
        .filter(|d| d.change == confgate::cluster::diff::Change::Create)
        .count();
    let changed = r
        .diffs
        .iter()
        .filter(|d| d.change == confgate::cluster::diff::Change::Update)
        .count();
    // Objects the dry run defers (their namespace is created by the restore) are among
    // the creations.
    let unchanged = r.diffs.len().saturating_sub(created + changed);
    match r.stopped {
        Some(restore::Stopped::Gate) => {
            text.push_str(&format!(
                "restore of {} blocked: {} findings at or above {} in what would be restored (pass --allow-findings to restore anyway)\n",
                r.id,
                blocking.len(),
                gate.fail_on.as_str()
            ));
            for f in blocking.iter().take(20) {
                text.push_str(&format!(
                    "  {} {} {}: {}\n",
                    f.severity.as_str(),
                    f.rule_id,
                    escape::control(&f.file),
                    escape::control(&f.message)
                ));
            }
        }
        _ => {
            if r.dry_run {
                for d in &r.diffs {
                    if !d.diff.is_empty() {
                        text.push_str(&escape::control_lines(&d.diff));
                    }
                }
            }
            text.push_str(&format!(
                "{}backup {}: {} objects: {} created, {} changed, {} unchanged{}\n",
                if r.dry_run {
                    "dry run of restoring "
                } else {
                    "restored "
                },
                r.id,
                r.selected,
                created,
                changed,
                unchanged,
                if r.dry_run {
                    " (pass --confirm to restore)"
                } else {
                    ""
                }
            ));
        }
    }
    if !r.not_applied.is_empty() {
        text.push_str(&format!(
            "applied: {}\nnot applied: {}\n",
            r.applied
                .iter()
                .map(|(o, _)| o.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            r.not_applied.join(", ")
        ));
    }
    for e in &r.errors {
        text.push_str(&format!("error: {}\n", escape::control(&e.to_string())));
    }
    let value = json!({
        "backup": r.id, "dry_run": r.dry_run, "stopped": r.stopped, "selected": r.selected,
        "created": created, "changed": changed, "unchanged": unchanged,
        "blocking_findings": blocking.len(),
        "applied": r.applied.iter().map(|(o, _)| o).collect::<Vec<_>>(),
        "not_applied": r.not_applied,
        "errors": r.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        "seconds": r.seconds,
    });
    emit(json, value, text)?;
    Ok(if !r.errors.is_empty() {
        Status::Error
    } else if r.stopped == Some(restore::Stopped::Gate) {
        Status::Findings
    } else {
        Status::Clean
    })
}

fn render_drill(r: &DrillReport, json: bool) -> anyhow::Result<Status> {
    let mut text = format!(
        "restore drill of {} into namespace {} (context {}): {} in {:.2} s: {} objects compared, {} cluster-scoped skipped{}\n",
        r.backup,
        r.namespace,
        escape::control(&r.context),
        if r.passed { "PASSED" } else { "FAILED" },
        r.seconds,
        r.compared,
        r.skipped,
        if r.cleaned_up {
            ", scratch namespace deleted"
        } else {
            ""
        }
    );
    for d in &r.differences {
        text.push_str(&format!("  differs: {}\n", escape::control(d)));
    }
    for e in &r.errors {
        text.push_str(&format!("  error: {}\n", escape::control(e)));
    }
    emit(json, serde_json::to_value(r)?, text)?;
    Ok(if r.passed {
        Status::Clean
    } else if r.errors.is_empty() {
        Status::Findings
    } else {
        Status::Error
    })
}
