//! `confgate disaster-test`: a failure provoked on purpose in a scratch namespace, how long
//! confgate took to notice it (detection) and to put things back (recovery, the RTO),
//! compared with the target. The set is deployed into the scratch namespace first; the
//! live namespace is never touched. Scenarios:
//!
//! - `deployment-failure` (`workload.rs`): a deploy of the set with an image that cannot be
//!   pulled; detected by the rollout wait, recovered by a rollback to the last healthy
//!   revision.
//! - `service-outage` (`workload.rs`): the workloads scaled to zero behind confgate's back;
//!   detected as drift from the files (a deploy dry run, polled), recovered by deploying the
//!   set again.
//! - `data-loss` (`restore.rs`): a backup of the scratch namespace, then the namespace
//!   deleted; detected when the set's objects are gone, recovered by restoring the backup,
//!   compared object by object.
//! - `config-corruption` (`restore.rs`): a backup, then the set's ConfigMaps and Secrets
//!   overwritten; detected as drift, the health of the workloads reading them reported,
//!   recovered by restoring them from the backup, compared value by value.
//! - `database-failure` (`database.rs`): the pods of the set's StatefulSets (the database)
//!   made to crash; detected from their pods' state, the health of the workloads depending on
//!   it reported, recovered by deploying the set again and restarting the pods the
//!   StatefulSet controller leaves stuck, verified ready and drift-free.
//!
//! With `extended` validation every scenario also compares the recovered set object by
//! object (spec and data) with what it held before the failure, and scans the recovered
//! namespace through the gate (`observe.rs`, with what the scenarios read of the set). The
//! reports are `report.rs`. The timings are measured on the cluster; the verdicts are pure
//! ([`DrillResult::passed`]).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::cluster::Cluster;
use crate::deploy::{DeployOptions, Outcome};
use crate::document::Document;
use crate::gate::Gate;
use crate::scan::Scanner;

/// The image a `deployment-failure` deploys: no registry serves it.
pub const BROKEN_IMAGE: &str = "registry.invalid/confgate-disaster-test:does-not-exist";

mod database;
mod observe;
mod report;
mod restore;
mod workload;

pub use database::CRASHING_IMAGE;
pub use observe::{WorkloadHealth, readiness};

use observe::{
    compare, contents, drift_of, extended_validation, health_line, health_of, present, verify,
    watched_objects,
};
pub use report::{html, summary, text};

/// What is provoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    DeploymentFailure,
    ServiceOutage,
    DataLoss,
    ConfigCorruption,
    DatabaseFailure,
}

impl Scenario {
    /// Every scenario, in the order a run without `--scenario` takes them.
    pub const ALL: [Scenario; 5] = [
        Scenario::DeploymentFailure,
        Scenario::ServiceOutage,
        Scenario::DataLoss,
        Scenario::ConfigCorruption,
        Scenario::DatabaseFailure,
    ];

    /// The original suite's targets: a recovery that is a rollback (to the last healthy
    /// revision, or of the configuration to its backed-up values) within 2 minutes, one that
    /// is a deploy (again, or of a whole namespace from a backup) within 10.
    pub fn default_target(self) -> Duration {
        match self {
            Scenario::DeploymentFailure | Scenario::ConfigCorruption => Duration::from_secs(120),
            Scenario::ServiceOutage | Scenario::DataLoss | Scenario::DatabaseFailure => {
                Duration::from_secs(600)
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::ConfigCorruption => "config-corruption",
            Scenario::DeploymentFailure => "deployment-failure",
            Scenario::DataLoss => "data-loss",
            Scenario::ServiceOutage => "service-outage",
            Scenario::DatabaseFailure => "database-failure",
        }
    }

    /// Recovered from a backup: needs the store and the master key.
    pub fn needs_backup(self) -> bool {
        matches!(self, Scenario::DataLoss | Scenario::ConfigCorruption)
    }

    /// What the set must hold for the scenario to have something to break; `None` when it
    /// does. Pure, so the default list can leave out what cannot run.
    pub fn unfit(self, objects: &[Value]) -> Option<&'static str> {
        let has = |kinds: &[&str]| {
            objects
                .iter()
                .any(|o| kinds.contains(&o.get("kind").and_then(Value::as_str).unwrap_or("")))
        };
        match self {
            Scenario::ConfigCorruption if !has(&["ConfigMap", "Secret"]) => {
                Some("the set has no ConfigMap or Secret to corrupt")
            }
            Scenario::DatabaseFailure if !has(&["StatefulSet"]) => {
                Some("the set has no StatefulSet (the database) to fail")
            }
            Scenario::DeploymentFailure if !has(&["Deployment", "StatefulSet", "DaemonSet"]) => {
                Some("the set has no Deployment, StatefulSet or DaemonSet to break")
            }
            Scenario::ServiceOutage if !has(&["Deployment", "StatefulSet"]) => {
                Some("the set has no Deployment or StatefulSet to scale to zero")
            }
            _ => None,
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
    /// The workloads depending on what was broken (reading the corrupted configuration,
    /// or talking to the failed database), as they were at detection.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependents: Vec<WorkloadHealth>,
    /// `--extended-validation` ran: the object-by-object comparison and the scan.
    pub extended_validation: bool,
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
    /// The store and master key `data-loss` and `config-corruption` back up to and restore
    /// from.
    pub backup: Option<(crate::backup::Store, crate::seal::Key)>,
    /// `--extended-validation`: after a verified recovery, also compare every object of the
    /// set (spec and data) with what it held before the failure, and scan the namespace.
    pub extended: bool,
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
        // What the set holds while healthy, for the extended comparison.
        let watched = watched_objects(&d.objects);
        let before = if d.extended {
            contents(d, &watched).await
        } else {
            Default::default()
        };
        match scenario {
            Scenario::ConfigCorruption => restore::config_corruption(d, &mut r).await,
            Scenario::DeploymentFailure => workload::deployment_failure(d, &mut r).await,
            Scenario::ServiceOutage => workload::service_outage(d, &mut r).await,
            Scenario::DataLoss => restore::data_loss(d, &mut r).await,
            Scenario::DatabaseFailure => database::database_failure(d, &mut r).await,
        }
        if d.extended && r.verified {
            extended_validation(d, &mut r, &watched, &before).await;
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
    fn the_extended_comparison_names_every_object_that_changed_or_went_missing() {
        let mut before = std::collections::BTreeMap::new();
        before.insert("ConfigMap/a".to_string(), (Value::Null, json!({"k": "1"})));
        before.insert(
            "Deployment/w".to_string(),
            (json!({"replicas": 2}), Value::Null),
        );
        before.insert("Secret/s".to_string(), (Value::Null, json!({"p": "eA=="})));
        let mut after = before.clone();
        assert!(compare(&before, &after).is_empty());
        after.insert(
            "Deployment/w".to_string(),
            (json!({"replicas": 0}), Value::Null),
        );
        after.remove("Secret/s");
        assert_eq!(compare(&before, &after), ["Deployment/w", "Secret/s"]);
    }

    #[test]
    fn a_scenario_is_unfit_when_the_set_has_nothing_for_it_to_break() {
        let cm = vec![json!({"kind": "ConfigMap"})];
        assert!(Scenario::DatabaseFailure.unfit(&cm).is_some());
        assert!(Scenario::DeploymentFailure.unfit(&cm).is_some());
        assert!(Scenario::ConfigCorruption.unfit(&cm).is_none());
        let sts = vec![json!({"kind": "StatefulSet"})];
        assert!(Scenario::DatabaseFailure.unfit(&sts).is_none());
        assert!(Scenario::ConfigCorruption.unfit(&sts).is_some());
        assert!(Scenario::DataLoss.needs_backup() && Scenario::ConfigCorruption.needs_backup());
        assert!(!Scenario::DatabaseFailure.needs_backup());
    }

    #[test]
    fn readiness_reads_replicas_or_a_daemonsets_numbers() {
        assert_eq!(
            readiness(
                &json!({"kind": "Deployment", "spec": {"replicas": 3}, "status": {"readyReplicas": 2}})
            ),
            (2, 3)
        );
        assert_eq!(readiness(&json!({"kind": "StatefulSet"})), (0, 1));
        assert_eq!(
            readiness(
                &json!({"kind": "DaemonSet", "status": {"numberReady": 4, "desiredNumberScheduled": 5}})
            ),
            (4, 5)
        );
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
