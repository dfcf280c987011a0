//! The live state of a set: every object labelled as a member of its ApplySet, in the
//! group-kinds and namespaces its parent records, cleaned into manifests that re-apply to
//! the same state. A rollback's restore point (`--create-backup`) and the `atomic`
//! strategy's "state from before" are this.

use serde_json::Value;

use super::apply::Types;
use super::plan;
use crate::cluster::Cluster;
use crate::diag::{Code, Diagnostic};

/// Annotations the API server or a controller writes on the objects of a set; a manifest
/// re-applying them would take them over.
const SERVER_ANNOTATIONS: [&str; 2] = [
    "deployment.kubernetes.io/revision",
    "deprecated.daemonset.template.generation",
];

/// A live member cleaned into a manifest (see [`crate::cluster::clean`]), without what the
/// server writes on it.
pub fn manifest_of(mut live: Value) -> Value {
    crate::cluster::clean::clean(&mut live);
    if let Some(Value::Object(meta)) = live.get_mut("metadata") {
        for k in ["deletionTimestamp", "deletionGracePeriodSeconds"] {
            meta.remove(k);
        }
        let empty = match meta.get_mut("annotations") {
            Some(Value::Object(a)) => {
                for k in SERVER_ANNOTATIONS {
                    a.remove(k);
                }
                a.is_empty()
            }
            _ => false,
        };
        if empty {
            meta.remove("annotations");
        }
    }
    live
}

/// The set's members as they are live, in apply order. A set that was never deployed to
/// `namespace` (no ApplySet parent) is an error naming it.
pub async fn live_state(
    cluster: &Cluster,
    set: &str,
    namespace: &str,
) -> Result<Vec<Value>, Diagnostic> {
    let types = Types::discover(cluster).await?;
    let parent_name = plan::parent_name(set);
    let secret_t = cluster.resource_type("v1", "Secret").await?;
    let Some(parent) = cluster
        .get_object(&secret_t, Some(namespace), &parent_name)
        .await?
    else {
        return Err(Diagnostic::new(
            Code::Settings,
            format!(
                "set {set} was never deployed to namespace {namespace} (context {}): no secret {parent_name}",
                cluster.context()
            ),
        ));
    };
    let (kinds, mut namespaces) = plan::parent_members(&parent);
    namespaces.push(namespace.to_string());
    namespaces.sort();
    namespaces.dedup();
    let id = plan::applyset_id(&parent_name, namespace);
    let selector = format!("{}={id}", plan::PART_OF);
    let mut out = Vec::new();
    for gk in &kinds {
        let Some(t) = types
            .all()
            .find(|t| plan::group_kind(&t.api_version, &t.kind) == *gk)
        else {
            continue;
        };
        let scopes: Vec<Option<&str>> = if t.namespaced {
            namespaces.iter().map(|n| Some(n.as_str())).collect()
        } else {
            vec![None]
        };
        for ns in scopes {
            for live in cluster.list_objects(t, ns, Some(&selector)).await? {
                out.push(manifest_of(live));
            }
        }
    }
    let s = |v: &Value, p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    out.sort_by_key(|v| {
        (
            plan::tier(&s(v, "/apiVersion"), &s(v, "/kind")),
            s(v, "/kind"),
            s(v, "/metadata/namespace"),
            s(v, "/metadata/name"),
        )
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_member_becomes_a_manifest_without_server_fields() {
        let live: Value = serde_yaml::from_str(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  uid: u-1\n  resourceVersion: '7'\n  generation: 3\n  creationTimestamp: '2026-01-01T00:00:00Z'\n  managedFields: [{manager: confgate}]\n  annotations: {deployment.kubernetes.io/revision: '3'}\n  labels: {app: web}\nspec: {replicas: 2}\nstatus: {readyReplicas: 2}\n",
        )
        .unwrap_or(Value::Null);
        let m = manifest_of(live);
        assert_eq!(
            m,
            serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
                "spec": {"replicas": 2}})
        );
    }
}
