//! `confgate disaster-test`: resolve the set, the targets and the scratch namespaces, run
//! each scenario (`orchestrate::disaster`), write the report; exit 0 when every scenario
//! passed (detected, recovered within the target, verified), 1 otherwise.

use std::sync::Arc;

use confgate::cluster;
use confgate::orchestrate::disaster::{self, Drill, DrillResult, Scenario};
use confgate::scan::Scanner;
use confgate::settings::{DeployFlags, ScanFlags};

use crate::Status;
use crate::cli::{Cli, DisasterFormat, DisasterTestArgs};

pub fn run(cli: &Cli, args: &DisasterTestArgs) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    let scan = settings.scan(&ScanFlags {
        fail_on: args.fail_on,
        ..Default::default()
    })?;
    let connect = settings.connect(&args.connect)?;
    let known = Scenario::ALL.map(Scenario::as_str);
    let targets = settings.disaster(&known, args.recovery_target, args.timeout)?;
    let scanner = Arc::new(Scanner::new(&scan.scan)?);
    // The backup scenarios back up and restore: with a master key (else they are left out
    // of the default list, and fail when named).
    let bs = settings.backup(&args.backup)?;
    let backup = match bs.key.master() {
        Ok(key) => Some((
            confgate::backup::Store::open(&bs.store, &settings.cwd, &bs.store_options)?,
            key,
        )),
        Err(_) => None,
    };
    // The set, read once (each scenario moves it into its own namespace).
    let probe = DeployFlags {
        paths: args.paths.clone(),
        config_dir: args.config_dir.clone(),
        ..Default::default()
    };
    let (_, paths) = settings.deploy(&probe, "default")?;
    let load = &scan.scan.load;
    let found = confgate::source::discover(&paths, load, &settings.cwd);
    let loaded = confgate::source::load_all(&found.inputs, load);
    if let Some(e) = found.errors.iter().chain(&loaded.errors).next() {
        anyhow::bail!("cannot read the set: {e}");
    }
    let set: Vec<serde_json::Value> = loaded.documents.iter().map(|d| d.tree.to_json()).collect();
    let scenarios: Vec<Scenario> = if args.scenario.is_empty() {
        Scenario::ALL
            .into_iter()
            .filter(|s| backup.is_some() || !s.needs_backup())
            .filter(|s| s.unfit(&set).is_none())
            .collect()
    } else {
        args.scenario.clone()
    };
    if args.namespace.is_some() && scenarios.len() > 1 {
        anyhow::bail!("--namespace names one scratch namespace: give one --scenario with it");
    }
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
    let rt = cluster::runtime()?;
    let results: Vec<DrillResult> = rt.block_on(async {
        let clusters = cluster::connect_all(&connect).await?;
        let [c] = clusters.as_slice() else {
            anyhow::bail!("disaster-test works on one context; {} were given", clusters.len());
        };
        let ns_type = c.resource_type("v1", "Namespace").await?;
        let mut out = Vec::new();
        for sc in scenarios {
            let ns = args
                .namespace
                .clone()
                .unwrap_or_else(|| format!("confgate-dr-{}-{stamp}", sc.as_str()));
            // Never a namespace in use, unless explicitly allowed.
            if c.get_object(&ns_type, None, &ns).await?.is_some() && !args.allow_existing_namespace
            {
                anyhow::bail!(
                    "namespace {ns} exists: disaster-test breaks what runs in it; give a new one, or --allow-existing-namespace to target it"
                );
            }
            let ns_obj = serde_json::json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "labels": {confgate::backup::drill::DRILL_LABEL: "disaster-test"}},
            });
            if let Err(e) = c.create_object(&ns_type, None, &ns_obj).await
                && !e.is(409)
            {
                return Err(e.diagnostic("create the scratch namespace").into());
            }
            let flags = DeployFlags {
                paths: args.paths.clone(),
                config_dir: args.config_dir.clone(),
                namespace: Some(ns.clone()),
                set: Some("disaster-test".into()),
                apply: true,
                wait_for_rollout: true,
                timeout: Some(targets.timeout.as_secs_f64()),
                ..Default::default()
            };
            let (mut opts, _) = settings.deploy(&flags, &ns)?;
            opts.prune = true;
            opts.force_conflicts = true;
            let drill = Drill {
                cluster: c,
                scanner: scanner.clone(),
                gate: scan.gate,
                objects: disaster::into_namespace(set.clone(), &ns),
                deploy: opts,
                recovery_target: targets.target(sc.as_str(), sc.default_target()),
                detection_timeout: targets.timeout.max(std::time::Duration::from_secs(1)),
                keep: args.keep,
                backup: backup.clone(),
                extended: args.extended_validation,
            };
            out.push(disaster::run(&drill, sc).await);
        }
        Ok(out)
    })?;
    let passed = results.iter().all(DrillResult::passed);
    let format = args.format.unwrap_or(if args.automated {
        DisasterFormat::Json
    } else {
        DisasterFormat::Text
    });
    let text = match format {
        DisasterFormat::Text => disaster::text(&results),
        DisasterFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({
                "results": results,
                "passed": passed,
                "automated": args.automated,
            }))?
        ),
        DisasterFormat::Html => disaster::html(&results),
    };
    super::write_output(args.output.as_deref(), text.as_bytes())?;
    // A pipeline that wrote the report to a file still reads the verdict from stdout.
    if args.automated && args.output.is_some() {
        let line = serde_json::to_string(&disaster::summary(&results))?;
        super::write_output(None, format!("{line}\n").as_bytes())?;
    }
    Ok(if passed {
        Status::Clean
    } else {
        Status::Findings
    })
}
