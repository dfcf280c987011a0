//! `database-failure`: the pods of the set's StatefulSets (the database) crash. The fault is
//! an image that crash-loops (on the confgate test API server; a registry refuses it on a
//! real cluster, which fails the pods as surely) set on the live StatefulSet behind
//! confgate's back, and the pods deleted so that every replica comes back broken.
//!
//! Detection reads the database's pods: a container waiting in CrashLoopBackOff (or an image
//! error, or exited non-zero). The workloads that depend on the database (those whose pod
//! template names its Service or its name; without any, every other workload of the set) are
//! reported as they are then. Recovery deploys the set again — the image is a field the set
//! owns, so the apply takes it back — and deletes the database pods still failing: a
//! StatefulSet does not replace a pod that never became ready (kubernetes/kubernetes#67250),
//! which is what an operator does by hand. Verified when the StatefulSets are ready on their
//! restored revision, the set is drift-free and the dependents are healthy.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{
    Drill, DrillResult, first_error, health_line, health_of, readiness, run_deploy, verify,
    watched_objects, with_image,
};
use crate::deploy::DeployOptions;

/// The image the database's containers are switched to.
pub const CRASHING_IMAGE: &str = "registry.invalid/confgate-disaster-test:crashloop";

/// Why a pod is failing (one line), or `None` when none of its containers is.
pub fn pod_failure(pod: &Value) -> Option<String> {
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let statuses = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)?;
    for cs in statuses {
        let waiting = cs
            .pointer("/state/waiting/reason")
            .and_then(Value::as_str)
            .unwrap_or("");
        let exit = cs
            .pointer("/state/terminated/exitCode")
            .or_else(|| cs.pointer("/lastState/terminated/exitCode"))
            .and_then(Value::as_i64)
            .filter(|c| *c != 0);
        let failing_wait = matches!(
            waiting,
            "CrashLoopBackOff"
                | "ErrImagePull"
                | "ImagePullBackOff"
                | "CreateContainerError"
                | "CreateContainerConfigError"
                | "RunContainerError"
        );
        if failing_wait || exit.is_some() {
            let mut why = format!("pod {name}");
            if !waiting.is_empty() {
                why.push_str(&format!(" {waiting}"));
            }
            if let Some(c) = exit {
                why.push_str(&format!(" (exit code {c})"));
            }
            return Some(why);
        }
    }
    None
}

/// Every string in `v`.
fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// The workloads of `objects` (other than the databases) that depend on one of `dbs`:
/// their pod template names a database's Service (`serviceName`) or the database's name
/// as a word of a value (`db`, `db.shop.svc`, `postgres://db:5432`). Without any, every
/// other workload: the drill cannot tell, so it reports them all.
pub fn dependents(objects: &[Value], dbs: &[&Value]) -> Vec<(String, String, String)> {
    let names: Vec<&str> = dbs
        .iter()
        .flat_map(|d| {
            [
                d.pointer("/metadata/name").and_then(Value::as_str),
                d.pointer("/spec/serviceName").and_then(Value::as_str),
            ]
        })
        .flatten()
        .filter(|n| !n.is_empty())
        .collect();
    let is_db = |o: &Value| dbs.iter().any(|d| std::ptr::eq(*d, o));
    let workloads: Vec<&Value> = objects
        .iter()
        .filter(|o| {
            matches!(
                o.get("kind").and_then(Value::as_str),
                Some("Deployment" | "StatefulSet" | "DaemonSet")
            ) && !is_db(o)
        })
        .collect();
    let mentions = |o: &Value| {
        let mut all = Vec::new();
        if let Some(t) = o.pointer("/spec/template/spec") {
            strings(t, &mut all);
        }
        all.iter().any(|s| {
            s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .any(|w| names.contains(&w))
        })
    };
    let named: Vec<&Value> = workloads.iter().copied().filter(|o| mentions(o)).collect();
    let chosen = if named.is_empty() { workloads } else { named };
    let owned: Vec<Value> = chosen.into_iter().cloned().collect();
    watched_objects(&owned)
}

/// `matchLabels` of a workload as a label selector (`app=db,tier=data`).
fn selector(live: &Value) -> Option<String> {
    let m = live.pointer("/spec/selector/matchLabels")?.as_object()?;
    let s: Vec<String> = m
        .iter()
        .filter_map(|(k, v)| Some(format!("{k}={}", v.as_str()?)))
        .collect();
    (!s.is_empty()).then(|| s.join(","))
}

/// The database's pods, live.
async fn pods_of(d: &Drill<'_>, sts: &Value) -> Result<Vec<Value>, String> {
    let sel = selector(sts).ok_or("the StatefulSet has no matchLabels selector")?;
    let t = d
        .cluster
        .resource_type("v1", "Pod")
        .await
        .map_err(|e| e.to_string())?;
    d.cluster
        .list_objects(&t, Some(&d.deploy.namespace), Some(&sel))
        .await
        .map_err(|e| e.to_string())
}

/// The live StatefulSet named like `o`.
async fn live_sts(d: &Drill<'_>, name: &str) -> Result<Option<Value>, String> {
    let t = d
        .cluster
        .resource_type("apps/v1", "StatefulSet")
        .await
        .map_err(|e| e.to_string())?;
    d.cluster
        .get_object(&t, Some(&d.deploy.namespace), name)
        .await
        .map_err(|e| e.to_string())
}

/// Deletes `pod` (its StatefulSet re-creates it).
async fn delete_pod(d: &Drill<'_>, pod: &Value) -> Result<(), String> {
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let t = d
        .cluster
        .resource_type("v1", "Pod")
        .await
        .map_err(|e| e.to_string())?;
    d.cluster
        .delete_object(&t, Some(&d.deploy.namespace), name, false)
        .await
        .map_err(|e| e.diagnostic("delete a database pod").to_string())
}

/// The StatefulSet is ready on its current template: every replica ready and updated.
fn sts_recovered(live: &Value) -> bool {
    let n = |p: &str| live.pointer(p).and_then(Value::as_i64);
    let (ready, desired) = readiness(live);
    let observed =
        n("/status/observedGeneration").unwrap_or(0) >= n("/metadata/generation").unwrap_or(0);
    let revs = live.pointer("/status/currentRevision") == live.pointer("/status/updateRevision");
    observed && revs && ready >= desired && n("/status/updatedReplicas").unwrap_or(0) >= desired
}

fn name_of(o: &Value) -> String {
    o.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

pub(super) async fn database_failure(d: &Drill<'_>, r: &mut DrillResult) {
    let dbs: Vec<&Value> = d
        .objects
        .iter()
        .filter(|o| o.get("kind").and_then(Value::as_str) == Some("StatefulSet"))
        .collect();
    if dbs.is_empty() {
        r.errors
            .push("the set has no StatefulSet (the database) to fail".into());
        return;
    }
    let deps = dependents(&d.objects, &dbs);
    let names: Vec<String> = dbs.iter().map(|o| name_of(o)).collect();
    // The failure: every database container crashes, every database pod re-created so.
    let started = Instant::now();
    let Ok(t) = d.cluster.resource_type("apps/v1", "StatefulSet").await else {
        r.errors
            .push("the cluster does not serve apps/v1 StatefulSet".into());
        return;
    };
    for name in &names {
        let live = match live_sts(d, name).await {
            Ok(Some(l)) => l,
            Ok(None) => {
                r.errors.push(format!("StatefulSet {name} is not deployed"));
                return;
            }
            Err(e) => {
                r.errors.push(e);
                return;
            }
        };
        let Some(broken) = with_image(std::slice::from_ref(&live), CRASHING_IMAGE)
            .and_then(|v| v.into_iter().next())
        else {
            r.errors
                .push(format!("StatefulSet {name} has no containers"));
            return;
        };
        if let Err(e) = d
            .cluster
            .replace_object(&t, Some(&d.deploy.namespace), &broken)
            .await
        {
            r.errors
                .push(e.diagnostic("break the database StatefulSet").to_string());
            return;
        }
        match pods_of(d, &live).await {
            Ok(pods) => {
                for p in &pods {
                    if let Err(e) = delete_pod(d, p).await {
                        r.errors.push(e);
                        return;
                    }
                }
            }
            Err(e) => {
                r.errors.push(e);
                return;
            }
        }
    }
    r.steps.push(format!(
        "made the pods of StatefulSet {} crash ({CRASHING_IMAGE})",
        names.join(", ")
    ));
    // Detection: a database pod failing.
    let why = 'detect: loop {
        for name in &names {
            if let Ok(Some(live)) = live_sts(d, name).await
                && let Ok(pods) = pods_of(d, &live).await
                && let Some(why) = pods.iter().find_map(pod_failure)
            {
                break 'detect Some(why);
            }
        }
        if started.elapsed() > d.detection_timeout {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let Some(why) = why else {
        r.errors
            .push("the database failure was not detected: no pod of it failed".into());
        return;
    };
    let detection = started.elapsed().as_secs_f64();
    r.detection_seconds = Some(detection);
    r.steps
        .push(format!("detected after {detection:.1} s: {why}"));
    r.dependents = health_of(d, &deps).await;
    r.steps.push(format!(
        "dependent workloads at detection: {}",
        health_line(&r.dependents)
    ));
    // Recovery: the set deployed again (the image back), the stuck pods restarted.
    let t0 = Instant::now();
    let o = run_deploy(
        d,
        &d.objects,
        &DeployOptions {
            wait: false,
            description: Some("disaster-test: database-failure recovery".into()),
            ..d.deploy.clone()
        },
    )
    .await;
    if o.stopped.is_some() || !o.errors.is_empty() {
        r.errors.push(format!(
            "the recovery deploy failed: {}",
            first_error(&o).unwrap_or_else(|| format!("stopped at {:?}", o.stopped))
        ));
        return;
    }
    let mut restarted = 0;
    let recovered = loop {
        let mut all = true;
        for name in &names {
            let Ok(Some(live)) = live_sts(d, name).await else {
                all = false;
                continue;
            };
            if sts_recovered(&live) {
                continue;
            }
            all = false;
            if let Ok(pods) = pods_of(d, &live).await {
                for p in pods.iter().filter(|p| {
                    pod_failure(p).is_some() && p.pointer("/metadata/deletionTimestamp").is_none()
                }) {
                    if delete_pod(d, p).await.is_ok() {
                        restarted += 1;
                    }
                }
            }
        }
        if all {
            break true;
        }
        if t0.elapsed() > d.deploy.timeout {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let recovery = t0.elapsed().as_secs_f64();
    if !recovered {
        r.errors.push(format!(
            "the database was not ready again within {:.0} s",
            d.deploy.timeout.as_secs_f64()
        ));
        return;
    }
    r.recovery_seconds = Some(recovery);
    r.steps.push(format!(
        "deployed the set again and restarted {restarted} stuck pods: the database is ready after {recovery:.1} s"
    ));
    r.verified = verify(d, r).await;
    if !r.verified {
        return;
    }
    let after = health_of(d, &deps).await;
    if after.iter().all(|h| h.healthy()) {
        r.steps.push(format!(
            "verified: the dependent workloads are healthy ({})",
            health_line(&after)
        ));
    } else {
        r.verified = false;
        r.errors.push(format!(
            "after recovery the dependent workloads are not all ready: {}",
            health_line(&after)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_crash_looping_or_exited_container_fails_its_pod_and_a_ready_one_does_not() {
        let crash = json!({"metadata": {"name": "db-0"}, "status": {"containerStatuses": [
            {"name": "db", "state": {"waiting": {"reason": "CrashLoopBackOff"}},
             "lastState": {"terminated": {"exitCode": 1}}}]}});
        assert_eq!(
            pod_failure(&crash).as_deref(),
            Some("pod db-0 CrashLoopBackOff (exit code 1)")
        );
        let starting = json!({"metadata": {"name": "db-0"}, "status": {"containerStatuses": [
            {"name": "db", "state": {"waiting": {"reason": "ContainerCreating"}}}]}});
        assert_eq!(pod_failure(&starting), None);
        let ok = json!({"metadata": {"name": "db-0"}, "status": {"containerStatuses": [
            {"name": "db", "ready": true, "state": {"running": {}}}]}});
        assert_eq!(pod_failure(&ok), None);
    }

    #[test]
    fn dependents_are_the_workloads_naming_the_database_else_all_others() {
        let db = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"}, "spec": {"serviceName": "postgres"}});
        let api = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
            "spec": {"template": {"spec": {"containers": [{"env": [{"name": "DB", "value": "postgres://postgres.shop.svc:5432/app"}]}]}}}});
        let web = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": [{"image": "dbtools:1"}]}}}});
        let objs = vec![db.clone(), api, web.clone()];
        let dbs = [&objs[0]];
        let d = dependents(&objs, &dbs);
        assert_eq!(d, [("apps/v1".into(), "Deployment".into(), "api".into())]);
        // Nobody names it: every other workload.
        let objs = vec![db, web];
        let d = dependents(&objs, &[&objs[0]]);
        assert_eq!(d, [("apps/v1".into(), "Deployment".into(), "web".into())]);
    }

    #[test]
    fn a_statefulset_is_recovered_only_ready_and_updated_on_its_template() {
        let mut s = json!({"kind": "StatefulSet", "metadata": {"generation": 3}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 3, "readyReplicas": 2, "updatedReplicas": 2,
                       "currentRevision": "db-1", "updateRevision": "db-1"}});
        assert!(sts_recovered(&s));
        s["status"]["updateRevision"] = json!("db-2");
        assert!(!sts_recovered(&s));
        s["status"]["updateRevision"] = json!("db-1");
        s["status"]["observedGeneration"] = json!(2);
        assert!(!sts_recovered(&s));
    }
}
