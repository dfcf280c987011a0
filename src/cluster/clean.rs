//! Cleaning a live object into configuration: what the API server adds (managedFields, uid,
//! resourceVersion, creationTimestamp, generation, selfLink, status, kubectl's
//! last-applied annotation) is taken off and kept aside in [`LiveMeta`] for the reports and
//! commands that need it (health, revisions, backups).

use serde_json::{Map, Value};

/// kubectl's client-side apply record: the whole previous manifest, Secrets included.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What cleaning took off an object.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct LiveMeta {
    pub uid: Option<String>,
    pub resource_version: Option<String>,
    pub creation_timestamp: Option<String>,
    pub generation: Option<i64>,
    /// The controller that owns the object (`kind/name`), if any.
    pub controller: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
}

/// Cleans `obj` in place and returns what was taken off.
pub fn clean(obj: &mut Value) -> LiveMeta {
    let mut meta = LiveMeta::default();
    let Some(map) = obj.as_object_mut() else {
        return meta;
    };
    meta.status = map.remove("status");
    if let Some(Value::Object(m)) = map.get_mut("metadata") {
        meta.uid = take_string(m, "uid");
        meta.resource_version = take_string(m, "resourceVersion");
        meta.creation_timestamp = take_string(m, "creationTimestamp");
        meta.generation = m.remove("generation").and_then(|g| g.as_i64());
        for k in ["managedFields", "selfLink"] {
            m.remove(k);
        }
        meta.controller = controller_of(m);
        let empty = match m.get_mut("annotations") {
            Some(Value::Object(a)) => {
                a.remove(LAST_APPLIED);
                a.is_empty()
            }
            Some(Value::Null) => true,
            _ => false,
        };
        if empty {
            m.remove("annotations");
        }
    }
    meta
}

fn take_string(m: &mut Map<String, Value>, key: &str) -> Option<String> {
    match m.remove(key) {
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
        None => None,
    }
}

/// `kind/name` of the owner reference with `controller: true`.
fn controller_of(meta: &Map<String, Value>) -> Option<String> {
    meta.get("ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|r| {
            format!(
                "{}/{}",
                r.get("kind").and_then(Value::as_str).unwrap_or(""),
                r.get("name").and_then(Value::as_str).unwrap_or("")
            )
        })
}

/// Objects a controller made from a template that is scanned itself (a Deployment's
/// ReplicaSets and their Pods, a CronJob's Jobs, a StatefulSet's Pods): scanning them again
/// repeats the template's findings. Objects owned by anything else (a CR's operator) are
/// kept.
pub fn made_from_scanned_template(kind: &str, meta: &LiveMeta) -> bool {
    let Some(owner) = meta.controller.as_deref() else {
        return false;
    };
    let owner_kind = owner.split('/').next().unwrap_or("");
    matches!(
        (kind, owner_kind),
        ("ReplicaSet", "Deployment" | "Rollout")
            | ("ReplicationController", "DeploymentConfig")
            | (
                "Pod",
                "ReplicaSet"
                    | "StatefulSet"
                    | "DaemonSet"
                    | "Job"
                    | "ReplicationController"
                    | "CloneSet"
            )
            | ("Job", "CronJob" | "ScaledJob")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn server_fields_are_taken_off_and_kept_aside() {
        let mut obj = yaml(
            r#"
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d4f
  namespace: shop
  uid: 1234
  resourceVersion: "77"
  generation: 3
  creationTimestamp: "2026-01-02T03:04:05Z"
  selfLink: /apis/apps/v1/x
  managedFields: [{manager: kubectl}]
  labels: {app: web}
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"secret":"x"}'
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: u, controller: true}
spec: {replicas: 2}
status: {readyReplicas: 2}
"#,
        );
        let meta = clean(&mut obj);
        assert_eq!(
            obj,
            yaml(
                r#"
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d4f
  namespace: shop
  labels: {app: web}
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: u, controller: true}
spec: {replicas: 2}
"#
            )
        );
        assert_eq!(meta.uid.as_deref(), Some("1234"));
        assert_eq!(meta.resource_version.as_deref(), Some("77"));
        assert_eq!(meta.generation, Some(3));
        assert_eq!(meta.controller.as_deref(), Some("Deployment/web"));
        assert_eq!(meta.status, Some(yaml("{readyReplicas: 2}")));
        assert!(made_from_scanned_template("ReplicaSet", &meta));
    }

    #[test]
    fn objects_made_by_workload_kinds_of_other_apis_are_skipped() {
        let owned = |owner: &str| LiveMeta {
            controller: Some(owner.to_string()),
            ..LiveMeta::default()
        };
        assert!(made_from_scanned_template(
            "ReplicaSet",
            &owned("Rollout/web")
        ));
        assert!(made_from_scanned_template(
            "ReplicationController",
            &owned("DeploymentConfig/legacy")
        ));
        assert!(made_from_scanned_template(
            "Job",
            &owned("ScaledJob/worker")
        ));
        assert!(made_from_scanned_template("Pod", &owned("CloneSet/api")));
        assert!(!made_from_scanned_template(
            "ReplicaSet",
            &owned("Widget/w")
        ));
    }

    #[test]
    fn other_annotations_stay_and_operator_owned_objects_are_kept() {
        let mut obj = yaml(
            "kind: Pod\nmetadata:\n  name: p\n  annotations: {a: b}\n  ownerReferences: [{kind: Widget, name: w, controller: true}]\n",
        );
        let meta = clean(&mut obj);
        assert_eq!(obj["metadata"]["annotations"], yaml("{a: b}"));
        assert!(!made_from_scanned_template("Pod", &meta));
        assert!(!made_from_scanned_template("Pod", &LiveMeta::default()));
    }
}
