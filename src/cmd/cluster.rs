//! `scan --cluster`, `cluster export`, `cluster diff`, `cluster check`: resolve settings,
//! connect, call the library, print.

use std::sync::Arc;

use confgate::cluster::{self, Cluster, access, diff, discovery, export};
use confgate::diag::{Code, Diagnostic};
use confgate::report::escape;
use confgate::scan::{ScanOutcome, Scanner};
use confgate::settings::{ConnectFlags, ReadFlags, ScanSettings, Settings};

use crate::Status;
use crate::cli::{Cli, ClusterCommand, ListFormat, ScanArgs};

/// `scan --cluster`: connect to every context asked for and scan what they hold.
pub fn live_scan(
    settings: &Settings,
    s: &ScanSettings,
    args: &ScanArgs,
) -> anyhow::Result<ScanOutcome> {
    if args.paths.iter().any(|p| p != ".") {
        return Err(Diagnostic::new(
            Code::Settings,
            "scan --cluster reads the cluster, not files: drop the paths (or scan them without --cluster)",
        )
        .into());
    }
    let connect = settings.connect(&args.live.connect)?;
    let read = settings.read(&args.live.read);
    let scanner = Arc::new(Scanner::new(&s.scan)?);
    let rt = cluster::runtime()?;
    let outcome = rt.block_on(async {
        let clusters = cluster::connect_all(&connect).await?;
        cluster::scan::scan(&clusters, &read, scanner).await
    })?;
    Ok(outcome)
}

pub fn run(cli: &Cli, c: &ClusterCommand, _color: bool) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    match c {
        ClusterCommand::Export {
            output_dir,
            output,
            include_secrets,
            connect,
            read,
        } => export_cmd(
            cli,
            &settings,
            connect,
            read,
            output_dir.as_deref(),
            output.as_deref(),
            *include_secrets,
        ),
        ClusterCommand::Diff {
            paths,
            namespace,
            format,
            connect,
        } => diff_cmd(&settings, connect, paths, namespace.as_deref(), *format),
        ClusterCommand::Check {
            namespace,
            format,
            connect,
        } => check_cmd(&settings, connect, namespace.as_deref(), *format),
    }
}

fn export_cmd(
    cli: &Cli,
    settings: &Settings,
    connect: &ConnectFlags,
    read: &ReadFlags,
    output_dir: Option<&std::path::Path>,
    output: Option<&std::path::Path>,
    include_secrets: bool,
) -> anyhow::Result<Status> {
    let connect = settings.connect(connect)?;
    let read = settings.read(read);
    let layout = match output_dir {
        Some(d) => export::Layout::Tree(settings.cwd.join(d)),
        None => export::Layout::Stream,
    };
    let rt = cluster::runtime()?;
    let (text, written, redacted, errors) = rt.block_on(async {
        let clusters = cluster::connect_all(&connect).await?;
        let mut exporter = export::Exporter::new(layout.clone(), include_secrets);
        let mut errors = Vec::new();
        for c in &clusters {
            let outcome = cluster::read::read(c, &read, &mut |page| exporter.add(page)).await?;
            errors.extend(outcome.errors);
        }
        let (text, written, redacted, mut e) = exporter.finish();
        errors.append(&mut e);
        Ok::<_, Diagnostic>((text, written, redacted, errors))
    })?;
    if matches!(layout, export::Layout::Stream) {
        super::write_output(output, text.as_bytes())?;
    }
    if !cli.quiet {
        let place = match (&layout, output) {
            (export::Layout::Tree(d), _) => d.display().to_string(),
            (_, Some(o)) => o.display().to_string(),
            _ => "stdout".to_string(),
        };
        eprintln!(
            "confgate: exported {written} objects to {}",
            escape::control(&place)
        );
        if redacted > 0 {
            eprintln!(
                "confgate: {redacted} Secrets written without their values (--include-secrets writes them)"
            );
        }
    }
    for e in &errors {
        eprintln!("confgate: error: {}", escape::control(&e.to_string()));
    }
    Ok(if errors.is_empty() {
        Status::Clean
    } else {
        Status::Error
    })
}

/// The one cluster a command that works on one context talks to.
fn one_cluster(clusters: Vec<Cluster>) -> anyhow::Result<Cluster> {
    let n = clusters.len();
    let mut it = clusters.into_iter();
    match (it.next(), n) {
        (Some(c), 1) => Ok(c),
        _ => Err(Diagnostic::new(
            Code::Settings,
            format!("this command works on one context; {n} were given"),
        )
        .into()),
    }
}

fn diff_cmd(
    settings: &Settings,
    connect: &ConnectFlags,
    paths: &[String],
    namespace: Option<&str>,
    format: ListFormat,
) -> anyhow::Result<Status> {
    let connect = settings.connect(connect)?;
    let load = settings.scan(&Default::default())?.scan.load;
    let found = confgate::source::discover(paths, &load, &settings.cwd);
    let loaded = confgate::source::load_all(&found.inputs, &load);
    let mut errors: Vec<Diagnostic> = found.errors.into_iter().chain(loaded.errors).collect();
    let docs = loaded.documents;
    let rt = cluster::runtime()?;
    let results = rt.block_on(async {
        let c = one_cluster(cluster::connect_all(&connect).await?)?;
        let types = discovery::discover(&c).await?;
        let mut out = Vec::new();
        for d in &docs {
            let mut obj = d.tree.to_json();
            if let (Some(ns), Some(serde_json::Value::Object(m))) =
                (namespace, obj.get_mut("metadata"))
                && !m.contains_key("namespace")
            {
                m.insert(
                    "namespace".into(),
                    serde_json::Value::String(ns.to_string()),
                );
            }
            let r = &d.resource;
            let Some(t) = types
                .iter()
                .find(|t| t.api_version == r.api_version && t.kind == r.kind)
            else {
                out.push(Err(Diagnostic::new(
                    Code::InvalidObject,
                    format!(
                        "{} {} is not served by {} (context {})",
                        r.api_version,
                        r.kind,
                        c.server(),
                        c.context()
                    ),
                )
                .file(d.file.path.clone())
                .line(Some(d.tree.span.start.line))));
                continue;
            };
            out.push(diff::diff_object(&c, t, &obj, &d.file.path).await);
        }
        Ok::<_, anyhow::Error>(out)
    })?;
    let mut diffs = Vec::new();
    for r in results {
        match r {
            Ok(d) => diffs.push(d),
            Err(e) => errors.push(e),
        }
    }
    let drift = diffs.iter().any(|d| d.change != diff::Change::Unchanged);
    match format {
        ListFormat::Json => {
            let v = serde_json::json!({
                "drift": drift,
                "objects": diffs,
                "errors": errors,
            });
            super::write_output(
                None,
                format!("{}\n", serde_json::to_string_pretty(&v)?).as_bytes(),
            )?;
        }
        ListFormat::Text => {
            let mut out = String::new();
            for d in &diffs {
                if d.change != diff::Change::Unchanged {
                    out.push_str(&escape::control_lines(&d.diff));
                }
            }
            let changed = diffs
                .iter()
                .filter(|d| d.change != diff::Change::Unchanged)
                .count();
            out.push_str(&format!(
                "{} objects compared: {changed} differ, {} unchanged\n",
                diffs.len(),
                diffs.len() - changed
            ));
            super::write_output(None, out.as_bytes())?;
        }
    }
    for e in &errors {
        eprintln!("confgate: error: {}", escape::control(&e.to_string()));
    }
    Ok(if !errors.is_empty() {
        Status::Error
    } else if drift {
        Status::Findings
    } else {
        Status::Clean
    })
}

fn check_cmd(
    settings: &Settings,
    connect: &ConnectFlags,
    namespace: Option<&str>,
    format: ListFormat,
) -> anyhow::Result<Status> {
    let connect = settings.connect(connect)?;
    let rt = cluster::runtime()?;
    let reports = rt.block_on(async {
        let clusters = cluster::connect_all(&connect).await?;
        let mut out = Vec::new();
        for c in &clusters {
            out.push(check_one(c, namespace).await?);
        }
        Ok::<_, Diagnostic>(out)
    })?;
    let missing = reports.iter().any(|r| {
        r["missing"].as_object().is_some_and(|m| {
            m.values()
                .any(|v| v.as_array().is_some_and(|a| !a.is_empty()))
        })
    });
    match format {
        ListFormat::Json => {
            let v = serde_json::json!({ "clusters": reports });
            super::write_output(
                None,
                format!("{}\n", serde_json::to_string_pretty(&v)?).as_bytes(),
            )?;
        }
        ListFormat::Text => {
            let mut out = String::new();
            for r in &reports {
                out.push_str(&check_text(r));
            }
            super::write_output(None, out.as_bytes())?;
        }
    }
    Ok(if missing {
        Status::Findings
    } else {
        Status::Clean
    })
}

async fn check_one(c: &Cluster, namespace: Option<&str>) -> Result<serde_json::Value, Diagnostic> {
    let version = c.version().await?;
    let identity = access::identity(c).await?;
    let types = discovery::discover(c).await?;
    let ns = namespace.unwrap_or(c.default_namespace()).to_string();
    let (readable, _) = discovery::select(&types, &[], &[]);
    let mut missing = serde_json::Map::new();
    for (what, needed) in access::by_command(&readable, &ns) {
        let m = access::missing(c, &needed).await?;
        missing.insert(
            what.to_string(),
            serde_json::Value::Array(
                m.iter()
                    .map(|p| serde_json::Value::String(p.to_string()))
                    .collect(),
            ),
        );
    }
    Ok(serde_json::json!({
        "context": c.context(),
        "server": c.server(),
        "reachable": true,
        "version": version,
        "identity": identity,
        "namespace": ns,
        "resource_types": types.len(),
        "missing": missing,
    }))
}

fn check_text(r: &serde_json::Value) -> String {
    let s = |v: &serde_json::Value| escape::control(v.as_str().unwrap_or("")).into_owned();
    let mut out = format!(
        "context {}: {} reachable, Kubernetes {} ({} resource types)\n",
        s(&r["context"]),
        s(&r["server"]),
        s(&r["version"]["git_version"]),
        r["resource_types"]
    );
    match r["identity"].as_object() {
        Some(i) => out.push_str(&format!(
            "  identity: {} (groups: {})\n",
            escape::control(i.get("username").and_then(|v| v.as_str()).unwrap_or("")),
            i.get("groups")
                .and_then(|g| g.as_array())
                .map(|g| g
                    .iter()
                    .filter_map(|v| v.as_str())
                    .map(escape::control)
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default()
        )),
        None => out.push_str("  identity: unknown (the server has no SelfSubjectReview)\n"),
    }
    if let Some(m) = r["missing"].as_object() {
        for (what, list) in m {
            let list = list.as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                out.push_str(&format!("  {what}: all permissions granted\n"));
            } else {
                out.push_str(&format!(
                    "  {what}: {} missing permissions (namespace {}):\n",
                    list.len(),
                    s(&r["namespace"])
                ));
                for p in list {
                    out.push_str(&format!("    - {}\n", s(&p)));
                }
            }
        }
    }
    out
}
