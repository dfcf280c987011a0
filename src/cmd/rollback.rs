//! `confgate rollback`: list, impact analysis, and with --confirm a standard rollback.

use std::sync::Arc;

use confgate::cluster::{self, Cluster};
use confgate::deploy::{self, DeployOptions};
use confgate::diag::{Code, Diagnostic};
use confgate::document::Document;
use confgate::report::escape;
use confgate::revision::{Revision, RevisionStore};
use confgate::rollback::{self, Target};
use confgate::scan::Scanner;

use crate::Status;
use crate::cli::{Cli, ListFormat, RollbackArgs};

/// A revision's manifests as documents (Secrets whose values were only referenced are
/// left out: their live values stay).
fn documents(
    rev: &Revision,
    manifests: Vec<serde_json::Value>,
    load: &confgate::source::LoadOptions,
) -> (Vec<Document>, usize) {
    let mut docs = Vec::new();
    let mut skipped = 0;
    for m in manifests {
        if rev.secrets == confgate::revision::SecretMode::Referenced
            && confgate::revision::secrets::is_secret(&m)
        {
            skipped += 1;
            continue;
        }
        let name = format!(
            "revision-{}/{}/{}",
            rev.number,
            m.get("kind").and_then(|v| v.as_str()).unwrap_or(""),
            m.pointer("/metadata/name")
                .and_then(|v| v.as_str())
                .unwrap_or("")
        );
        if let Ok(text) = cluster::live::to_yaml(&m) {
            docs.extend(confgate::source::load_text(name, text, load, false).documents);
        }
    }
    (docs, skipped)
}

pub fn run(cli: &Cli, args: &RollbackArgs) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    if args.list {
        return super::deploy::history(
            &settings,
            &args.connect,
            &args.set,
            args.namespace.as_deref(),
            args.scan.format.map_or(ListFormat::Text, |f| {
                if f == confgate::report::OutputFormat::Json {
                    ListFormat::Json
                } else {
                    ListFormat::Text
                }
            }),
        );
    }
    let target = match (args.target_revision, args.to_previous, args.to_last_healthy) {
        (Some(n), _, _) => Target::Revision(n),
        (None, true, _) => Target::Previous,
        (None, false, true) => Target::LastHealthy,
        _ => {
            return Err(Diagnostic::new(
                Code::Settings,
                "choose the revision: --target-revision N, --to-previous or --to-last-healthy (or --list)",
            )
            .into());
        }
    };
    let scan = settings.scan(&args.scan)?;
    let connect = settings.connect(&args.connect)?;
    let key = confgate::seal::Key::from_value_or_file(
        std::env::var("CONFGATE_REVISION_KEY").ok().as_deref(),
        args.revision_key_file.as_deref(),
    )
    .map_err(|e| e.diagnostic("the revision key"))?;
    let scanner = Arc::new(Scanner::new(&scan.scan)?);
    let timeout = confgate::settings::seconds("timeout", args.timeout.unwrap_or(600.0))?;
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
        let store = RevisionStore::open(c, &ns, &args.set, 0, key.clone()).await?;
        let history = store.list().await?;
        let number = rollback::choose(&history, target).map_err(|m| {
            Diagnostic::new(
                Code::Settings,
                format!("set {} in namespace {ns}: {m}", args.set),
            )
        })?;
        let rev = store.get(number).await?;
        let current = store.latest().await?;
        let text = rollback_with(
            c,
            &store,
            &rev,
            current.as_ref(),
            scanner,
            scan.gate,
            args,
            &ns,
            timeout,
            key.clone(),
        )
        .await?;
        Ok(text)
    })
}

#[allow(clippy::too_many_arguments)]
async fn rollback_with(
    c: &Cluster,
    store: &RevisionStore<'_>,
    rev: &Revision,
    current: Option<&Revision>,
    scanner: Arc<Scanner>,
    gate: confgate::gate::Gate,
    args: &RollbackArgs,
    ns: &str,
    timeout: std::time::Duration,
    revision_key: Option<confgate::seal::Key>,
) -> anyhow::Result<Status> {
    let load = scanner.options().load.clone();
    let (docs, skipped) = documents(rev, store.restore(rev)?, &load);
    // The policy delta: both revisions scanned with today's rules.
    // The scan core is synchronous: it runs outside the async workers.
    let target_scan = tokio::task::block_in_place(|| {
        scanner.scan_documents(documents(rev, rev.manifests.clone(), &load).0)
    })?;
    let current_scan = match current {
        Some(cur) => tokio::task::block_in_place(|| {
            scanner.scan_documents(documents(cur, cur.manifests.clone(), &load).0)
        })?,
        None => Default::default(),
    };
    let delta = rollback::policy_delta(&current_scan.findings, &target_scan.findings);
    let refused = rollback::refused(&delta, &gate);
    let base = DeployOptions {
        set: args.set.clone(),
        namespace: ns.to_string(),
        prune: true,
        force_conflicts: true,
        gated_by_caller: true,
        timeout,
        revision_key,
        author: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
        ..DeployOptions::default()
    };
    // The impact: a deploy dry run of the target.
    let impact = deploy::deploy(
        c,
        scanner.clone(),
        gate,
        docs.clone_docs(),
        &base,
        &deploy::wait::NoWaitProgress,
    )
    .await;
    let mut out = String::new();
    out.push_str(&format!(
        "rollback of set {} (namespace {ns}) from revision {} to revision {}\n",
        escape::control(&args.set),
        current
            .map(|c| c.number.to_string())
            .unwrap_or_else(|| "-".into()),
        rev.number
    ));
    out.push_str(&super::deploy::summary(&impact, &base).replace("deploy of set", "impact on set"));
    let mut risks = Vec::new();
    let mut restarts = 0;
    for d in &impact.diffs {
        let kind = d.object.split('/').next().unwrap_or("");
        let r = rollback::risks_of(&d.object, kind, d.before.as_ref(), Some(&d.after));
        risks.extend(r.risks);
        restarts += r.restarts;
    }
    for p in &impact.pruned {
        let kind = p.split('/').next().unwrap_or("");
        // A pruned object: what it was matters only for its kind.
        let r = rollback::risks_of(p, kind, Some(&serde_json::Value::Null), None);
        risks.extend(r.risks);
    }
    out.push_str(&format!("pods that will restart: about {restarts}\n"));
    for r in &risks {
        out.push_str(&format!("risk: {}\n", escape::control(r)));
    }
    out.push_str(&format!(
        "policy delta: {} findings re-introduced, {} removed\n",
        delta.reintroduced.len(),
        delta.removed.len()
    ));
    for f in &delta.reintroduced {
        out.push_str(&format!(
            "  + {} {} {} {}: {}\n",
            f.rule_id,
            f.severity,
            escape::control(&f.object),
            escape::control(&f.path),
            escape::control(&f.message)
        ));
    }
    for f in &delta.removed {
        out.push_str(&format!(
            "  - {} {} {} {}: {}\n",
            f.rule_id,
            f.severity,
            escape::control(&f.object),
            escape::control(&f.path),
            escape::control(&f.message)
        ));
    }
    if skipped > 0 {
        out.push_str(&format!(
            "note: {skipped} Secrets of revision {} were recorded without a key (SHA-256 only): their live values are kept\n",
            rev.number
        ));
    }
    let json = matches!(args.scan.format, Some(confgate::report::OutputFormat::Json));
    let emit = |text: &str, extra: serde_json::Value| -> anyhow::Result<()> {
        if json {
            let v = serde_json::json!({
                "set": args.set, "namespace": ns, "target": rev.number,
                "current": current.map(|c| c.number),
                "objects": impact.diffs, "pruned": impact.pruned,
                "policy_delta": delta, "risks": risks, "restarts": restarts, "result": extra,
            });
            super::write_output(
                None,
                format!("{}\n", serde_json::to_string_pretty(&v)?).as_bytes(),
            )
        } else {
            super::write_output(None, text.as_bytes())
        }
    };
    if !impact.errors.is_empty() {
        emit(&out, serde_json::json!({"state": "error"}))?;
        return Ok(Status::Error);
    }
    if !refused.is_empty() && !args.allow_findings {
        out.push_str(&format!(
            "rollback refused: revision {} re-introduces {} findings at or above {} (--allow-findings overrides, and is recorded)\n",
            rev.number,
            refused.len(),
            gate.fail_on.as_str()
        ));
        emit(&out, serde_json::json!({"state": "refused"}))?;
        return Ok(Status::Findings);
    }
    if !args.confirm {
        out.push_str("nothing was changed: run again with --confirm to roll back\n");
        emit(&out, serde_json::json!({"state": "analysed"}))?;
        return Ok(Status::Clean);
    }
    let mut opts = base.clone();
    opts.apply = true;
    opts.wait = true;
    opts.description = Some(if refused.is_empty() {
        format!("roll forward to the content of revision {}", rev.number)
    } else {
        format!(
            "roll forward to the content of revision {} (--allow-findings: {} re-introduced findings at or above {})",
            rev.number,
            refused.len(),
            gate.fail_on.as_str()
        )
    });
    let done = deploy::deploy(c, scanner, gate, docs, &opts, &deploy::wait::NoWaitProgress).await;
    out.push_str(&super::deploy::summary(&done, &opts));
    let status = super::deploy::status(&done, gate);
    emit(
        &out,
        serde_json::json!({"state": "applied", "revision": done.revision, "rollout": done.rollout}),
    )?;
    Ok(status)
}

/// Documents are not `Clone`; the impact run needs its own copy.
trait CloneDocs {
    fn clone_docs(&self) -> Vec<Document>;
}

impl CloneDocs for Vec<Document> {
    fn clone_docs(&self) -> Vec<Document> {
        self.iter()
            .map(|d| Document {
                file: d.file.clone(),
                index: d.index,
                item: d.item,
                tree: d.tree.clone(),
                source: d.source.clone(),
                resource: d.resource.clone(),
            })
            .collect()
    }
}
