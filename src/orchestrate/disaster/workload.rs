//! The scenarios that break workloads: `deployment-failure` (an image no registry serves,
//! detected by the rollout wait, recovered by the rollback to the last healthy revision)
//! and `service-outage` (the workloads scaled to zero behind confgate's back, detected as
//! drift, recovered by deploying the set again).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{
    BROKEN_IMAGE, Drill, DrillResult, drift_of, first_error, run_deploy, verify, with_image,
};
use crate::deploy::{DeployOptions, Stopped};

pub(super) async fn deployment_failure(d: &Drill<'_>, r: &mut DrillResult) {
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

pub(super) async fn service_outage(d: &Drill<'_>, r: &mut DrillResult) {
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
