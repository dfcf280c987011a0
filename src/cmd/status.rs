//! `confgate status`: resolve the namespace, set, files and policies, take one look
//! (`orchestrate::status::collect`), write text or JSON; exit 1 when something needs
//! attention, so it can run from cron.

use std::sync::Arc;

use confgate::cluster;
use confgate::orchestrate::status::{self, StatusOptions, StatusReport};
use confgate::report::escape;
use confgate::scan::Scanner;
use confgate::settings::{BackupFlags, DeployFlags, MonitorFlags, ScanFlags};

use crate::Status;
use crate::cli::{Cli, ListFormat, StatusArgs};
use confgate::settings::legacy;

/// The namespace given: the flag, else `CONFGATE_NAMESPACE`, else the original suite's
/// `NAMESPACE`.
pub fn namespace_from_env(flag: Option<&str>) -> Option<String> {
    flag.map(str::to_string)
        .or_else(|| legacy::var("CONFGATE_NAMESPACE", "NAMESPACE"))
}

pub fn run(cli: &Cli, args: &StatusArgs) -> anyhow::Result<Status> {
    let report = collect(cli, args)?;
    let out = match args.format {
        ListFormat::Json => {
            let mut v = serde_json::to_value(&report)?;
            if let (Some(t), Some(m)) = (&args.incident_type, v.as_object_mut()) {
                m.insert("incident_type".into(), serde_json::Value::String(t.clone()));
            }
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        ListFormat::Text => match &args.incident_type {
            Some(t) => format!(
                "incident report ({})\n{}",
                escape::control(t),
                text(&report)
            ),
            None => text(&report),
        },
    };
    super::write_output(args.output.as_deref(), out.as_bytes())?;
    Ok(if report.attention.is_empty() {
        Status::Clean
    } else {
        Status::Findings
    })
}

/// The status report, gathered (`generate-incident-report` starts from it).
pub fn collect(cli: &Cli, args: &StatusArgs) -> anyhow::Result<StatusReport> {
    let settings = super::settings(cli.config.as_deref())?;
    let scan = settings.scan(&ScanFlags::default())?;
    let connect = settings.connect(&args.connect)?;
    let backup = settings.backup(&BackupFlags {
        state_dir: args.state_dir.clone(),
        ..Default::default()
    })?;
    let max_age = match &args.backup_max_age {
        Some(a) => Some(confgate::backup::retention::parse_age(a).ok_or_else(|| {
            anyhow::anyhow!("--backup-max-age {a:?}: expected a number and s, m, h, d or w (25h)")
        })?),
        None => None,
    };
    let scanner = Arc::new(Scanner::new(&scan.scan)?);
    let rt = cluster::runtime()?;
    let report = rt.block_on(async {
        let clusters = match cluster::connect_all(&connect).await {
            Ok(c) => c,
            // Not reached: a report that says so (exit 1), as cron wants it.
            Err(e) if e.code == confgate::diag::Code::Cluster => {
                return Ok(status::unreachable(
                    namespace_from_env(args.namespace.as_deref()).unwrap_or_default(),
                    e.to_string(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let [c] = clusters.as_slice() else {
            anyhow::bail!("status works on one context; {} were given", clusters.len());
        };
        let ns = namespace_from_env(args.namespace.as_deref())
            .unwrap_or_else(|| c.default_namespace().to_string());
        let mut ms = settings.monitor(
            &MonitorFlags {
                namespaces: vec![ns.clone()],
                ..Default::default()
            },
            None,
            None,
            args.health_threshold,
            None,
            &ns,
        )?;
        ms.options.state_dir = Some(backup.state_dir.clone());
        let dflags = DeployFlags {
            paths: args.paths.clone(),
            config_dir: args.config_dir.clone(),
            namespace: Some(ns.clone()),
            set: args.set.clone(),
            ..Default::default()
        };
        let explicit_files = !args.paths.is_empty() || args.config_dir.is_some();
        let (deploy, documents) = match settings.deploy(&dflags, &ns) {
            Ok((opts, paths)) => {
                let found = confgate::source::discover(&paths, &scan.scan.load, &settings.cwd);
                let loaded = confgate::source::load_all(&found.inputs, &scan.scan.load);
                if let Some(e) = found.errors.iter().chain(&loaded.errors).next() {
                    anyhow::bail!("cannot read the set's files: {e}");
                }
                (opts, Some(loaded.documents))
            }
            Err(e) if explicit_files => return Err(e.into()),
            Err(_) => (Default::default(), None),
        };
        let set = args
            .set
            .clone()
            .or_else(|| documents.as_ref().map(|_| deploy.set.clone()));
        let opts = StatusOptions {
            namespace: ns,
            set,
            documents,
            deploy,
            monitor: ms.options,
            threshold: ms.alert_threshold,
            backup_max_age: max_age,
            waivers: scan.scan.waivers.clone(),
        };
        Ok(status::collect(c, scanner, scan.gate, opts).await)
    })?;
    Ok(report)
}

/// The text report, one fact a line.
pub fn text(r: &StatusReport) -> String {
    let e = |s: &str| escape::control(s).into_owned();
    let mut t = format!(
        "context {} ({}), namespace {}\n",
        e(&r.context),
        e(&r.server),
        e(&r.namespace)
    );
    if !r.reachable {
        t.push_str("cluster: unreachable\n");
    } else {
        t.push_str(&format!(
            "cluster: reachable, {}\n",
            e(r.version.as_deref().unwrap_or("version unknown"))
        ));
        if r.sets.is_empty() {
            t.push_str("revision: none recorded\n");
        }
        for s in &r.sets {
            t.push_str(&format!(
                "revision: set {} revision {} deployed {}{}{}, rollout {}\n",
                e(&s.set),
                s.revision,
                e(&s.deployed_at),
                if s.deployed_by.is_empty() {
                    String::new()
                } else {
                    format!(" by {}", e(&s.deployed_by))
                },
                s.commit
                    .as_deref()
                    .map(|c| format!(" (commit {})", &c[..c.len().min(12)]))
                    .unwrap_or_default(),
                s.rollout
            ));
        }
        match &r.drift {
            None => t.push_str("drift: not checked (no files)\n"),
            Some(d) if d.is_empty() => t.push_str("drift: none, the cluster holds the files\n"),
            Some(d) => {
                t.push_str(&format!(
                    "drift: {} objects differ from the files\n",
                    d.len()
                ));
                for o in d {
                    t.push_str(&format!("  - {}\n", e(o)));
                }
            }
        }
        match r.health {
            Some(h) => t.push_str(&format!("health: {h} (threshold {})\n", r.threshold)),
            None => t.push_str("health: unknown\n"),
        }
        let by: Vec<String> = r
            .findings
            .iter()
            .rev()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        t.push_str(&format!(
            "live findings: {}\n",
            if by.is_empty() {
                "none".to_string()
            } else {
                by.join(", ")
            }
        ));
    }
    let b = &r.backup;
    match (&b.last_backup, b.age_seconds) {
        (Some(l), Some(age)) => t.push_str(&format!(
            "last backup: {} ({}, {} objects) {} ago{}\n",
            e(&l.id),
            l.kind,
            l.objects,
            status::human(age),
            b.max_age_seconds
                .map(|m| format!(" (policy: at most {})", status::human(m)))
                .unwrap_or_default()
        )),
        _ => t.push_str("last backup: none recorded\n"),
    }
    match &b.last_verified_restore {
        Some(v) => t.push_str(&format!(
            "last verified restore: {} at {}\n",
            e(&v.id),
            jiff::Timestamp::from_second(v.finished)
                .map(|x| x.to_string())
                .unwrap_or_default()
        )),
        None => t.push_str("last verified restore: none recorded\n"),
    }
    for w in &r.waivers_expiring {
        t.push_str(&format!(
            "waiver {} ({}, owner {}) {}\n",
            e(w.rule.as_deref().unwrap_or("*")),
            e(&w.origin),
            e(&w.owner),
            if w.days_left < 0 {
                format!("expired on {}", e(&w.expires))
            } else {
                format!("expires {} (in {} days)", e(&w.expires), w.days_left)
            }
        ));
    }
    for x in &r.errors {
        t.push_str(&format!("warning: {}\n", e(x)));
    }
    if r.attention.is_empty() {
        t.push_str("status: ok\n");
    } else {
        t.push_str(&format!(
            "status: attention needed ({})\n",
            r.attention.len()
        ));
        for a in &r.attention {
            t.push_str(&format!("  - {}\n", e(a)));
        }
    }
    t
}
