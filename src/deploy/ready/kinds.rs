//! Readiness per kind, as kubectl rollout status and kstatus decide it: Deployment,
//! StatefulSet, DaemonSet, ReplicaSet and ReplicationController, Job, Pod,
//! PersistentVolumeClaim, CustomResourceDefinition and a LoadBalancer Service.

use serde_json::Value;

use super::{
    Readiness, ReadyOptions, UNOBSERVED, at, condition, count, int, list, plural, reason_message,
    text,
};

/// `Some(Progressing)` while the controller has not observed `metadata.generation`.
fn unobserved(obj: &Value) -> Option<Readiness> {
    let generation = int(obj, &["metadata", "generation"]).unwrap_or(0);
    let observed = int(obj, &["status", "observedGeneration"]).unwrap_or(0);
    (observed < generation).then(|| {
        Readiness::Progressing(format!(
            "waiting for the controller to observe generation {generation} (observed {observed})"
        ))
    })
}

/// The desired replicas: `spec.replicas`, 1 when absent.
fn desired(obj: &Value) -> i64 {
    int(obj, &["spec", "replicas"]).unwrap_or(1).max(0)
}

fn on_delete(obj: &Value) -> bool {
    text(obj, &["spec", "updateStrategy", "type"]) == Some("OnDelete")
}

/// `msg`, with the ReplicaFailure condition's reason when it is True (quota, admission).
fn with_replica_failure(obj: &Value, msg: String) -> Readiness {
    match condition(obj, "ReplicaFailure") {
        Some(c) if c.is_true() => {
            Readiness::Progressing(format!("{msg} ({})", c.describe("ReplicaFailure")))
        }
        _ => Readiness::Progressing(msg),
    }
}

pub(super) fn deployment(obj: &Value) -> Readiness {
    if let Some(r) = unobserved(obj) {
        return r;
    }
    if let Some(c) = condition(obj, "Progressing")
        && c.reason == "ProgressDeadlineExceeded"
    {
        return Readiness::Failed(reason_message(c.reason, c.message, ""));
    }
    if at(obj, &["spec", "paused"]).and_then(Value::as_bool) == Some(true) {
        return Readiness::Progressing("paused".to_string());
    }
    let want = desired(obj);
    let updated = count(obj, "updatedReplicas");
    let replicas = count(obj, "replicas");
    let available = count(obj, "availableReplicas");
    if updated < want {
        return with_replica_failure(obj, format!("{updated} of {want} replicas updated"));
    }
    if replicas > updated {
        return Readiness::Progressing(format!(
            "{} pending termination",
            plural(replicas - updated, "old replica", "old replicas")
        ));
    }
    if available < updated {
        return Readiness::Progressing(format!(
            "{available} of {updated} updated replicas are available"
        ));
    }
    Readiness::Ready
}

pub(super) fn stateful_set(obj: &Value) -> Readiness {
    if let Some(r) = unobserved(obj) {
        return r;
    }
    if on_delete(obj) {
        // kubectl cannot wait for an OnDelete rollout: pods change only when deleted.
        return Readiness::Ready;
    }
    let want = desired(obj);
    let replicas = count(obj, "replicas");
    let ready = count(obj, "readyReplicas");
    let updated = count(obj, "updatedReplicas");
    if replicas > want {
        return Readiness::Progressing(format!(
            "{} pending termination",
            plural(replicas - want, "pod", "pods")
        ));
    }
    if ready < want {
        return Readiness::Progressing(format!("{ready} of {want} pods are ready"));
    }
    let partition = int(
        obj,
        &["spec", "updateStrategy", "rollingUpdate", "partition"],
    )
    .unwrap_or(0)
    .max(0);
    if partition > 0 {
        let target = (want - partition).max(0);
        if updated < target {
            return Readiness::Progressing(format!(
                "partitioned rollout: {updated} of {target} new pods updated (partition {partition})"
            ));
        }
        return Readiness::Ready;
    }
    if updated < want {
        return Readiness::Progressing(format!("{updated} of {want} pods updated"));
    }
    let current = text(obj, &["status", "currentRevision"]);
    if let Some(update) = text(obj, &["status", "updateRevision"])
        && current != Some(update)
    {
        return Readiness::Progressing(format!(
            "waiting for the rolling update to complete: {} at revision {update}",
            plural(updated, "pod", "pods")
        ));
    }
    Readiness::Ready
}

pub(super) fn daemon_set(obj: &Value) -> Readiness {
    if let Some(r) = unobserved(obj) {
        return r;
    }
    if on_delete(obj) {
        return Readiness::Ready;
    }
    let want = count(obj, "desiredNumberScheduled");
    let updated = count(obj, "updatedNumberScheduled");
    let available = count(obj, "numberAvailable");
    if updated < want {
        return Readiness::Progressing(format!("{updated} of {want} pods updated"));
    }
    if available < want {
        return Readiness::Progressing(format!("{available} of {want} updated pods are available"));
    }
    Readiness::Ready
}

pub(super) fn replica_set(obj: &Value) -> Readiness {
    if let Some(r) = unobserved(obj) {
        return r;
    }
    let want = desired(obj);
    let replicas = count(obj, "replicas");
    let ready = count(obj, "readyReplicas");
    let available = count(obj, "availableReplicas");
    if replicas > want {
        return Readiness::Progressing(format!(
            "{} pending termination",
            plural(replicas - want, "pod", "pods")
        ));
    }
    if ready < want {
        return with_replica_failure(obj, format!("{ready} of {want} pods are ready"));
    }
    if available < want {
        return Readiness::Progressing(format!("{available} of {want} pods are available"));
    }
    Readiness::Ready
}

pub(super) fn job(obj: &Value) -> Readiness {
    if let Some(c) = condition(obj, "Complete")
        && c.is_true()
    {
        return Readiness::Ready;
    }
    for ty in ["Failed", "FailureTarget"] {
        if let Some(c) = condition(obj, ty)
            && c.is_true()
        {
            return Readiness::Failed(c.describe("the Job failed"));
        }
    }
    if let Some(c) = condition(obj, "Suspended")
        && c.is_true()
    {
        return Readiness::Progressing("suspended".to_string());
    }
    let succeeded = count(obj, "succeeded");
    let mut msg = match int(obj, &["spec", "completions"]) {
        Some(n) => format!("{succeeded} of {n} completions succeeded"),
        None => format!("{succeeded} succeeded"),
    };
    let active = count(obj, "active");
    if active > 0 {
        msg.push_str(&format!(", {active} active"));
    }
    let failed = count(obj, "failed");
    if failed > 0 {
        msg.push_str(&format!(", {failed} failed"));
    }
    Readiness::Progressing(msg)
}

pub(super) fn pod(obj: &Value) -> Readiness {
    let phase = text(obj, &["status", "phase"]).unwrap_or("");
    match phase {
        "Succeeded" => return Readiness::Ready,
        "Failed" => {
            let reason = text(obj, &["status", "reason"]).unwrap_or("");
            let message = text(obj, &["status", "message"]).unwrap_or("");
            return Readiness::Failed(reason_message(reason, message, "phase Failed"));
        }
        _ => {}
    }
    if condition(obj, "Ready").is_some_and(|c| c.is_true()) {
        return Readiness::Ready;
    }
    if let Some(c) = condition(obj, "PodScheduled")
        && c.status == "False"
    {
        return Readiness::Progressing(format!("not scheduled: {}", c.describe("Unschedulable")));
    }
    let mut waiting = Vec::new();
    for (field, label) in [
        ("initContainerStatuses", "init container"),
        ("containerStatuses", "container"),
    ] {
        for cs in list(obj, &["status", field]) {
            if let Some(reason) = text(cs, &["state", "waiting", "reason"]) {
                let name = text(cs, &["name"]).unwrap_or("?");
                waiting.push(format!("{label} {name} {reason}"));
            }
        }
    }
    if waiting.is_empty() {
        let phase = if phase.is_empty() { "unknown" } else { phase };
        Readiness::Progressing(format!("phase {phase}, not ready"))
    } else {
        Readiness::Progressing(waiting.join(", "))
    }
}

pub(super) fn pvc(obj: &Value) -> Readiness {
    match text(obj, &["status", "phase"]) {
        Some("Bound") => Readiness::Ready,
        Some("Lost") => {
            Readiness::Failed("Lost: the bound PersistentVolume no longer exists".to_string())
        }
        Some(phase) => Readiness::Progressing(format!("phase {phase}")),
        None => Readiness::Progressing(UNOBSERVED.to_string()),
    }
}

pub(super) fn crd(obj: &Value) -> Readiness {
    if let Some(c) = condition(obj, "NamesAccepted")
        && c.status == "False"
    {
        return Readiness::Failed(c.describe("NamesAccepted is False"));
    }
    match condition(obj, "Established") {
        Some(c) if c.is_true() => Readiness::Ready,
        Some(c) => Readiness::Progressing(format!("not established: {}", c.describe(c.status))),
        None => Readiness::Progressing("not established yet".to_string()),
    }
}

pub(super) fn service(obj: &Value, opts: ReadyOptions) -> Readiness {
    let load_balancer = text(obj, &["spec", "type"]) == Some("LoadBalancer");
    let waiting = load_balancer
        && opts.load_balancer
        && list(obj, &["status", "loadBalancer", "ingress"]).is_empty();
    if !waiting {
        return Readiness::Ready;
    }
    Readiness::Progressing("waiting for a load balancer address".to_string())
}
