//! `confgate disaster-test`: a failure provoked on purpose in a scratch namespace, how long
//! confgate took to notice it (detection) and to put things back (recovery, the RTO),
//! compared with the target. The set is deployed into the scratch namespace first; the
//! live namespace is never touched. Scenarios:
//!
//! - `deployment-failure`: a deploy of the set with an image that cannot be pulled; detected
//!   by the rollout wait, recovered by a rollback to the last healthy revision.
//! - `service-outage`: the workloads scaled to zero behind confgate's back; detected as drift
//!   from the files (a deploy dry run, polled), recovered by deploying the set again.
//! - `data-loss`: a backup of the scratch namespace, then the namespace deleted; detected
//!   when the set's objects are gone, recovered by restoring the backup, compared object by
//!   object.
//!
//! The timings are measured on the cluster; the verdicts are pure ([`DrillResult::passed`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::cluster::Cluster;
use crate::cluster::diff::Change;
use crate::deploy::{DeployOptions, Outcome, Stopped};
use crate::document::Document;
use crate::gate::Gate;
use crate::scan::Scanner;

/// The image a `deployment-failure` deploys: no registry serves it.
pub const BROKEN_IMAGE: &str = "registry.invalid/confgate-disaster-test:does-not-exist";

/// What is provoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    DeploymentFailure,
    ServiceOutage,
    DataLoss,
}

impl Scenario {
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::DeploymentFailure => "deployment-failure",
            Scenario::ServiceOutage => "service-outage",
            Scenario::DataLoss => "data-loss",
        }
    }
}

/// One scenario's measurements.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DrillResult {
    pub scenario: String,
    pub namespace: String,
    /// Seconds from the failure to confgate noticing it.
    pub detection_seconds: Option<f64>,
    /// Seconds from the detection to the set being ready again (the RTO).
    pub recovery_seconds: Option<f64>,
    pub recovery_target_seconds: f64,
    /// The set runs what the files say again.
    pub verified: bool,
    /// What happened, in order, one line each.
    pub steps: Vec<String>,
    pub errors: Vec<String>,
    /// The scratch namespace was deleted at the end.
    pub cleaned_up: bool,
}

impl DrillResult {
    /// Detected, recovered within the target and verified.
    pub fn passed(&self) -> bool {
        self.errors.is_empty()
            && self.detection_seconds.is_some()
            && self.verified
            && self
                .recovery_seconds
                .is_some_and(|r| r <= self.recovery_target_seconds)
    }
}

/// `objs` with every namespaced object moved into `namespace` (Namespace objects dropped).
pub fn into_namespace(objs: Vec<Value>, namespace: &str) -> Vec<Value> {
    objs.into_iter()
        .filter(|o| o.get("kind").and_then(Value::as_str) != Some("Namespace"))
        .map(|mut o| {
            let kind = o
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if !crate::k8s::cluster_scoped(&kind)
                && let Some(Value::Object(m)) = o.get_mut("metadata")
            {
                m.insert("namespace".into(), Value::String(namespace.to_string()));
            }
            o
        })
        .collect()
}

/// `objs` with every container image of their Deployments, StatefulSets and DaemonSets set
/// to `image`; `None` when there is no such workload.
pub fn with_image(objs: &[Value], image: &str) -> Option<Vec<Value>> {
    let mut changed = false;
    let out = objs
        .iter()
        .cloned()
        .map(|mut o| {
            let kind = o.get("kind").and_then(Value::as_str).unwrap_or("");
            if matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet")
                && let Some(Value::Array(cs)) = o.pointer_mut("/spec/template/spec/containers")
            {
                for c in cs.iter_mut() {
                    if let Some(m) = c.as_object_mut() {
                        m.insert("image".into(), Value::String(image.to_string()));
                        changed = true;
                    }
                }
            }
            o
        })
        .collect();
    changed.then_some(out)
}

/// Documents from objects, through the one loader.
pub fn documents(objs: &[Value], load: &crate::source::LoadOptions) -> Vec<Document> {
    let mut docs = Vec::new();
    for o in objs {
        let s = |p: &str| {
            o.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let name = format!("disaster-test/{}/{}", s("/kind"), s("/metadata/name"));
        if let Ok(text) = crate::cluster::live::to_yaml(o) {
            docs.extend(crate::source::load_text(name, text, load, false).documents);
        }
    }
    docs
}

/// What a drill needs.
pub struct Drill<'a> {
    pub cluster: &'a Cluster,
    pub scanner: Arc<Scanner>,
    pub gate: Gate,
    /// The set's objects (already in the scratch namespace).
    pub objects: Vec<Value>,
    pub deploy: DeployOptions,
    pub recovery_target: Duration,
    /// How long detection may take before the drill gives up.
    pub detection_timeout: Duration,
    pub keep: bool,
    /// The store and master key `data-loss` backs up to and restores from.
    pub backup: Option<(crate::backup::Store, crate::seal::Key)>,
}

async fn run_deploy(d: &Drill<'_>, objs: &[Value], opts: &DeployOptions) -> Outcome {
    let docs = documents(objs, &d.scanner.options().load);
    crate::deploy::deploy(
        d.cluster,
        d.scanner.clone(),
        d.gate,
        docs,
        opts,
        &crate::deploy::wait::NoWaitProgress,
    )
    .await
}

fn first_error(o: &Outcome) -> Option<String> {
    o.errors.first().map(|e| e.to_string().replace('\n', " "))
}

/// Runs `scenario` and deletes the scratch namespace (unless `keep`).
pub async fn run(d: &Drill<'_>, scenario: Scenario) -> DrillResult {
    let mut r = DrillResult {
        scenario: scenario.as_str().to_string(),
        namespace: d.deploy.namespace.clone(),
        recovery_target_seconds: d.recovery_target.as_secs_f64(),
        ..DrillResult::default()
    };
    // The baseline: the set deployed and ready in the scratch namespace.
    let base = run_deploy(d, &d.objects, &d.deploy).await;
    if base.stopped.is_some() || !base.errors.is_empty() {
        r.errors.push(format!(
            "the set did not deploy into {}: {}",
            r.namespace,
            first_error(&base).unwrap_or_else(|| format!("stopped at {:?}", base.stopped))
        ));
    } else {
        r.steps.push(format!(
            "deployed the set into {} (revision {})",
            r.namespace,
            base.revision.unwrap_or(0)
        ));
        match scenario {
            Scenario::DeploymentFailure => deployment_failure(d, &mut r).await,
            Scenario::ServiceOutage => service_outage(d, &mut r).await,
            Scenario::DataLoss => data_loss(d, &mut r).await,
        }
    }
    if !d.keep {
        match d.cluster.resource_type("v1", "Namespace").await {
            Ok(t) => match d.cluster.delete_object(&t, None, &r.namespace, false).await {
                Ok(()) => {
                    r.cleaned_up = true;
                    r.steps
                        .push(format!("deleted the scratch namespace {}", r.namespace));
                }
                Err(e) => r.errors.push(e.diagnostic("clean up").to_string()),
            },
            Err(e) => r.errors.push(e.to_string()),
        }
    }
    r
}

async fn deployment_failure(d: &Drill<'_>, r: &mut DrillResult) {
    let Some(broken) = with_image(&d.objects, BROKEN_IMAGE) else {
        r.errors
            .push("the set has no Deployment, StatefulSet or DaemonSet to break".into());
        return;
    };
    let opts = DeployOptions {
        rollback_on_failure: false,
        description: Some("disaster-test: deployment-failure".into()),
        ..d.deploy.clone()
    };
    // Detection: from the start of the broken deploy to the rollout wait's verdict.
    let started = Instant::now();
    let o = run_deploy(d, &broken, &opts).await;
    let detection = started.elapsed().as_secs_f64();
    let Some(rollout) = &o.rollout else {
        r.errors
            .push(first_error(&o).unwrap_or_else(|| "the broken deploy did not wait".into()));
        return;
    };
    if o.stopped != Some(Stopped::Rollout) {
        r.errors.push(format!(
            "the broken image was not detected: {}",
            rollout.summary()
        ));
        return;
    }
    r.detection_seconds = Some(detection);
    r.steps.push(format!(
        "deployed {BROKEN_IMAGE}: detected after {detection:.1} s ({})",
        rollout
            .problems
            .first()
            .cloned()
            .unwrap_or_else(|| rollout.summary())
    ));
    // Recovery: the rollback to the last healthy revision, as `rollback --to-last-healthy
    // --confirm` runs it.
    let t = Instant::now();
    match roll_back(d).await {
        Ok((target, ended)) => {
            let recovery = t.elapsed().as_secs_f64();
            if ended == crate::rollback::flow::Ended::Healthy {
                r.recovery_seconds = Some(recovery);
                r.steps.push(format!(
                    "rolled back to revision {target}: healthy after {recovery:.1} s"
                ));
                r.verified = verify(d, r).await;
            } else {
                r.errors.push(format!(
                    "rolled back to revision {target}, but it ended {ended:?}"
                ));
            }
        }
        Err(e) => r.errors.push(e),
    }
}

/// Rolls the scratch set back to its newest revision recorded healthy.
async fn roll_back(d: &Drill<'_>) -> Result<(u64, crate::rollback::flow::Ended), String> {
    use crate::rollback::flow;
    let store = crate::revision::store::RevisionStore::open(
        d.cluster,
        &d.deploy.namespace,
        &d.deploy.set,
        0,
        None,
    )
    .await
    .map_err(|e| e.to_string())?;
    let history = store.list().await.map_err(|e| e.to_string())?;
    let target = crate::rollback::choose(&history, crate::rollback::Target::LastHealthy)?;
    let opts = flow::RollbackOptions {
        set: d.deploy.set.clone(),
        namespace: d.deploy.namespace.clone(),
        strategy: crate::rollback::Strategy::Standard,
        allow_findings: true,
        timeout: d.deploy.timeout,
        health: flow::HealthCheck {
            interval: Duration::from_secs(1),
            ..flow::HealthCheck::default()
        },
        revision_key: None,
        author: d.deploy.author.clone(),
    };
    let impact = flow::analyse(d.cluster, &store, d.scanner.clone(), d.gate, &opts, target)
        .await
        .map_err(|e| e.to_string())?;
    let ex = flow::execute(
        d.cluster,
        &store,
        d.scanner.clone(),
        d.gate,
        &opts,
        &impact,
        &crate::deploy::wait::NoWaitProgress,
    )
    .await;
    if let Some(e) = ex.errors.first() {
        return Err(e.to_string());
    }
    Ok((target, ex.ended))
}

async fn service_outage(d: &Drill<'_>, r: &mut DrillResult) {
    // Scale every Deployment and StatefulSet of the set to zero, behind confgate's back.
    let started = Instant::now();
    let mut scaled = 0;
    for o in &d.objects {
        let kind = o.get("kind").and_then(Value::as_str).unwrap_or("");
        let Some(api_version) = o.get("apiVersion").and_then(Value::as_str) else {
            continue;
        };
        if !matches!(kind, "Deployment" | "StatefulSet") {
            continue;
        }
        let name = o
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let t = match d.cluster.resource_type(api_version, kind).await {
            Ok(t) => t,
            Err(e) => {
                r.errors.push(e.to_string());
                return;
            }
        };
        let ns = Some(d.deploy.namespace.as_str());
        let live = match d.cluster.get_object(&t, ns, name).await {
            Ok(Some(l)) => l,
            Ok(None) => continue,
            Err(e) => {
                r.errors.push(e.to_string());
                return;
            }
        };
        let mut live = live;
        if let Some(spec) = live.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("replicas".into(), Value::from(0));
        }
        if let Err(e) = d.cluster.replace_object(&t, ns, &live).await {
            r.errors
                .push(e.diagnostic("scale the workload to zero").to_string());
            return;
        }
        scaled += 1;
    }
    if scaled == 0 {
        r.errors
            .push("the set has no Deployment or StatefulSet to scale to zero".into());
        return;
    }
    r.steps.push(format!("scaled {scaled} workloads to zero"));
    // Detection: drift from the files, polled.
    let detected = loop {
        let (_, drift) = drift_of(d).await;
        if !drift.is_empty() {
            break Some(drift);
        }
        if started.elapsed() > d.detection_timeout {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let Some(drift) = detected else {
        r.errors.push("the outage was not detected as drift".into());
        return;
    };
    let detection = started.elapsed().as_secs_f64();
    r.detection_seconds = Some(detection);
    r.steps.push(format!(
        "detected after {detection:.1} s: drift on {}",
        drift.join(", ")
    ));
    // Recovery: deploy the set again and wait for it.
    let t = Instant::now();
    let o = run_deploy(
        d,
        &d.objects,
        &DeployOptions {
            description: Some("disaster-test: service-outage recovery".into()),
            ..d.deploy.clone()
        },
    )
    .await;
    let recovery = t.elapsed().as_secs_f64();
    if o.stopped.is_some() || !o.errors.is_empty() {
        r.errors.push(format!(
            "the recovery deploy failed: {}",
            first_error(&o).unwrap_or_else(|| format!("stopped at {:?}", o.stopped))
        ));
        return;
    }
    r.recovery_seconds = Some(recovery);
    r.steps.push(format!(
        "deployed the set again: ready after {recovery:.1} s"
    ));
    r.verified = verify(d, r).await;
}

/// How many of `objects` (apiVersion, kind, name) exist in the scratch namespace.
async fn present(d: &Drill<'_>, objects: &[(String, String, String)]) -> usize {
    let ns = d.deploy.namespace.as_str();
    let mut n = 0;
    for (v, k, name) in objects {
        if let Ok(t) = d.cluster.resource_type(v, k).await
            && let Ok(Some(_)) = d.cluster.get_object(&t, Some(ns), name).await
        {
            n += 1;
        }
    }
    n
}

/// The `spec` and `data` of each of `objects` as live now (absent ones left out).
async fn contents(
    d: &Drill<'_>,
    objects: &[(String, String, String)],
) -> std::collections::BTreeMap<String, (Value, Value)> {
    let ns = d.deploy.namespace.as_str();
    let mut out = std::collections::BTreeMap::new();
    for (v, k, name) in objects {
        if let Ok(t) = d.cluster.resource_type(v, k).await
            && let Ok(Some(o)) = d.cluster.get_object(&t, Some(ns), name).await
        {
            let part = |p: &str| o.get(p).cloned().unwrap_or(Value::Null);
            out.insert(format!("{k}/{name}"), (part("spec"), part("data")));
        }
    }
    out
}

async fn data_loss(d: &Drill<'_>, r: &mut DrillResult) {
    let Some((store, key)) = &d.backup else {
        r.errors.push(
            "data-loss needs a backup key (CONFGATE_BACKUP_KEY, --key-file or [backup] key-command)"
                .into(),
        );
        return;
    };
    let ns = d.deploy.namespace.clone();
    let opts = crate::backup::create::CreateOptions {
        namespaces: vec![ns.clone()],
        description: Some("disaster-test: data-loss".into()),
        ..Default::default()
    };
    let created = match crate::backup::create::create(
        d.cluster,
        store,
        key,
        Some((&d.scanner, d.gate)),
        &opts,
    )
    .await
    {
        Ok(c) => c.manifest,
        Err(e) => {
            r.errors.push(e.to_string());
            return;
        }
    };
    r.steps.push(format!(
        "backed up namespace {ns}: {} objects as {}",
        created.totals.objects, created.id
    ));
    // What the set's objects hold before the loss, to compare object by object.
    let watched = watched_objects(&d.objects);
    let before = contents(d, &watched).await;
    // The loss: the whole namespace deleted.
    let started = Instant::now();
    let ns_type = match d.cluster.resource_type("v1", "Namespace").await {
        Ok(t) => t,
        Err(e) => {
            r.errors.push(e.to_string());
            return;
        }
    };
    if let Err(e) = d.cluster.delete_object(&ns_type, None, &ns, false).await {
        r.errors
            .push(e.diagnostic("delete the namespace").to_string());
        return;
    }
    r.steps.push(format!("deleted namespace {ns}"));
    // Detection: the set's objects are gone.
    loop {
        if present(d, &watched).await == 0 {
            break;
        }
        if started.elapsed() > d.detection_timeout {
            r.errors
                .push("the deleted objects were still there at the timeout".into());
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let detection = started.elapsed().as_secs_f64();
    r.detection_seconds = Some(detection);
    r.steps.push(format!(
        "detected after {detection:.1} s: none of the set's {} objects is left",
        watched.len()
    ));
    // Recovery: the backup restored (gated, applied through deploy).
    let t = Instant::now();
    let ropts = crate::backup::restore::RestoreOptions {
        namespace_map: Vec::new(),
        kinds: Vec::new(),
        namespaces: Vec::new(),
        apply: true,
        allow_findings: true,
        force_conflicts: true,
        timeout: d.deploy.timeout,
    };
    let restored = crate::backup::restore::restore(
        d.cluster,
        store,
        key,
        &d.scanner,
        d.gate,
        &created.id,
        &ropts,
    )
    .await;
    let recovery = t.elapsed().as_secs_f64();
    if restored.stopped.is_some() || !restored.errors.is_empty() {
        r.errors.push(format!(
            "the restore of {} failed: {}",
            created.id,
            restored
                .errors
                .first()
                .map(|e| e.to_string())
                .unwrap_or_else(|| format!("stopped at {:?}", restored.stopped))
        ));
        return;
    }
    r.recovery_seconds = Some(recovery);
    let back = present(d, &watched).await;
    r.steps.push(format!(
        "restored {} objects from {} in {recovery:.1} s; {back} of the set's {} objects are back",
        restored.applied.len(),
        created.id,
        watched.len()
    ));
    if back != watched.len() {
        r.errors.push(format!(
            "only {back} of {} objects came back",
            watched.len()
        ));
        return;
    }
    if before.is_empty() || before.len() != watched.len() {
        r.errors.push(format!(
            "only {} of the set's {} objects could be read before the loss",
            before.len(),
            watched.len()
        ));
        return;
    }
    let after = contents(d, &watched).await;
    let differ: Vec<&String> = before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(v))
        .map(|(k, _)| k)
        .collect();
    if differ.is_empty() {
        r.verified = true;
        r.steps.push(format!(
            "verified object by object: the {} restored objects hold what they held before",
            before.len()
        ));
    } else {
        r.errors.push(format!(
            "restored objects differ from before the loss: {}",
            differ
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

/// (apiVersion, kind, name) of each of `objects`.
fn watched_objects(objects: &[Value]) -> Vec<(String, String, String)> {
    objects
        .iter()
        .filter_map(|o| {
            Some((
                o.get("apiVersion")?.as_str()?.to_string(),
                o.get("kind")?.as_str()?.to_string(),
                o.pointer("/metadata/name")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// A deploy dry run of the set: whether it stopped, and the objects it would change.
async fn drift_of(d: &Drill<'_>) -> (bool, Vec<String>) {
    let check = DeployOptions {
        apply: false,
        wait: false,
        verify: false,
        gated_by_caller: true,
        record: false,
        lock: false,
        rollback_on_failure: false,
        ..d.deploy.clone()
    };
    let o = run_deploy(d, &d.objects, &check).await;
    let drift = o
        .diffs
        .iter()
        .filter(|x| x.change != Change::Unchanged)
        .map(|x| x.object.clone())
        .collect();
    (o.stopped.is_some(), drift)
}

/// The set in the scratch namespace holds what the files say again (a deploy dry run finds
/// nothing to change).
async fn verify(d: &Drill<'_>, r: &mut DrillResult) -> bool {
    let (stopped, drift) = drift_of(d).await;
    if !stopped && drift.is_empty() {
        r.steps
            .push("verified: the live objects hold what the files say".into());
        true
    } else {
        r.errors.push(format!(
            "after recovery the live objects differ from the files: {}",
            drift.join(", ")
        ));
        false
    }
}

/// The text report.
pub fn text(results: &[DrillResult]) -> String {
    let e = |s: &str| crate::report::escape::control(s).into_owned();
    let secs = |x: Option<f64>| x.map(|v| format!("{v:.1} s")).unwrap_or_else(|| "-".into());
    let mut t = String::new();
    for r in results {
        t.push_str(&format!(
            "disaster test {} in {}: {}\n",
            r.scenario,
            e(&r.namespace),
            if r.passed() { "passed" } else { "FAILED" }
        ));
        for s in &r.steps {
            t.push_str(&format!("  - {}\n", e(s)));
        }
        t.push_str(&format!(
            "  detection {}, recovery {} (target {:.0} s), verified {}\n",
            secs(r.detection_seconds),
            secs(r.recovery_seconds),
            r.recovery_target_seconds,
            if r.verified { "yes" } else { "no" }
        ));
        for x in &r.errors {
            t.push_str(&format!("  error: {}\n", e(x)));
        }
    }
    t
}

/// The HTML report (every value escaped).
pub fn html(results: &[DrillResult]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let secs = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
    let mut h = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>confgate disaster test</title></head><body>\n<h1>confgate disaster test</h1>\n<table border=\"1\"><tr><th>scenario</th><th>namespace</th><th>detection (s)</th><th>recovery (s)</th><th>target (s)</th><th>verified</th><th>result</th></tr>\n",
    );
    for r in results {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&r.scenario),
            esc(&r.namespace),
            secs(r.detection_seconds),
            secs(r.recovery_seconds),
            r.recovery_target_seconds,
            r.verified,
            if r.passed() { "passed" } else { "failed" }
        ));
    }
    h.push_str("</table>\n");
    for r in results {
        h.push_str(&format!("<h2>{}</h2>\n<ol>\n", esc(&r.scenario)));
        for s in r.steps.iter().chain(&r.errors) {
            h.push_str(&format!("<li>{}</li>\n", esc(s)));
        }
        h.push_str("</ol>\n");
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_move_into_the_scratch_namespace_and_namespaces_are_dropped() {
        let objs = vec![
            json!({"kind": "Namespace", "metadata": {"name": "shop"}}),
            json!({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}}),
            json!({"kind": "ClusterRole", "metadata": {"name": "r"}}),
        ];
        let out = into_namespace(objs, "dr");
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["metadata"]["namespace"], "dr");
        assert!(out[1]["metadata"].get("namespace").is_none());
    }

    #[test]
    fn the_broken_image_goes_into_every_workload_container() {
        let objs = vec![
            json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}}}}),
        ];
        let out = with_image(&objs, BROKEN_IMAGE).unwrap();
        assert_eq!(
            out[0]["spec"]["template"]["spec"]["containers"][1]["image"],
            BROKEN_IMAGE
        );
        assert!(with_image(&[json!({"kind": "ConfigMap"})], BROKEN_IMAGE).is_none());
    }

    #[test]
    fn a_drill_passes_only_detected_recovered_in_time_and_verified() {
        let mut r = DrillResult {
            detection_seconds: Some(3.0),
            recovery_seconds: Some(10.0),
            recovery_target_seconds: 120.0,
            verified: true,
            ..DrillResult::default()
        };
        assert!(r.passed());
        r.recovery_seconds = Some(200.0);
        assert!(!r.passed());
        r.recovery_seconds = Some(10.0);
        r.verified = false;
        assert!(!r.passed());
    }
}
