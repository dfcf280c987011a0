//! The deploy plan, decided without a cluster: which objects, in which namespace, in which
//! order, and how the set is identified for pruning (kubectl's ApplySet: a parent object
//! whose id labels every member, and which lists the member kinds).

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::diag::{Code, Diagnostic};
use crate::document::Document;

/// Apply order: lower first. Namespaces; CRDs (then waited for); identities, RBAC and the
/// policies that must hold before pods start; configuration; storage; Services; workloads;
/// what points at workloads; everything else (custom resources included).
pub fn tier(api_version: &str, kind: &str) -> u8 {
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    match kind {
        "Namespace" if group.is_empty() => 0,
        "CustomResourceDefinition" => 1,
        "ServiceAccount" | "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
        | "NetworkPolicy" | "LimitRange" | "ResourceQuota" | "PriorityClass" => 2,
        "ConfigMap" | "Secret" => 3,
        "StorageClass" | "PersistentVolume" | "PersistentVolumeClaim" => 4,
        "Service" if group.is_empty() => 5,
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "CronJob"
        | "Pod"
        | "ReplicationController" => 6,
        "Ingress" | "HorizontalPodAutoscaler" | "PodDisruptionBudget" => 7,
        _ => 8,
    }
}

/// One object of the plan.
#[derive(Clone, Debug)]
pub struct Item {
    pub object: Value,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// Set for namespaced kinds (the deploy namespace when the file names none).
    pub namespace: Option<String>,
    pub file: String,
    pub line: u32,
}

impl Item {
    /// `Kind/namespace/name`.
    pub fn shown(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{ns}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }

    /// `Kind.group` as ApplySet writes group-kinds (`Deployment.apps`, `Service`).
    pub fn group_kind(&self) -> String {
        group_kind(&self.api_version, &self.kind)
    }
}

pub fn group_kind(api_version: &str, kind: &str) -> String {
    match api_version.rsplit_once('/') {
        Some((g, _)) => format!("{kind}.{g}"),
        None => kind.to_string(),
    }
}

/// The objects of `docs` in apply order, namespaced into `namespace` unless they name
/// their own. Two objects with the same identity are an error (one would silently win).
pub fn plan(docs: &[Document], namespace: &str) -> Result<Vec<Item>, Diagnostic> {
    let mut items: Vec<Item> = Vec::new();
    for d in docs {
        let r = &d.resource;
        if r.name.is_empty() {
            return Err(Diagnostic::new(
                Code::InvalidObject,
                format!("{} {} has no metadata.name: a deploy needs names (generateName cannot be applied)", r.api_version, r.kind),
            )
            .file(d.file.path.clone())
            .line(Some(d.tree.span.start.line)));
        }
        let mut object = d.tree.to_json();
        let scoped = crate::k8s::cluster_scoped(&r.kind);
        let ns = if scoped {
            None
        } else {
            let ns = r.namespace.clone().unwrap_or_else(|| namespace.to_string());
            if let Some(Value::Object(m)) = object.get_mut("metadata") {
                m.insert("namespace".into(), Value::String(ns.clone()));
            }
            Some(ns)
        };
        let item = Item {
            object,
            api_version: r.api_version.clone(),
            kind: r.kind.clone(),
            name: r.name.clone(),
            namespace: ns,
            file: d.file.path.clone(),
            line: d.tree.span.start.line,
        };
        if let Some(other) = items.iter().find(|i| {
            group_kind(&i.api_version, &i.kind) == item.group_kind()
                && i.namespace == item.namespace
                && i.name == item.name
        }) {
            return Err(Diagnostic::new(
                Code::InvalidObject,
                format!(
                    "{} is defined twice (also in {}:{})",
                    item.shown(),
                    other.file,
                    other.line
                ),
            )
            .file(item.file.clone())
            .line(Some(item.line)));
        }
        items.push(item);
    }
    items.sort_by_key(|i| tier(&i.api_version, &i.kind));
    Ok(items)
}

/// The label every member of an ApplySet carries, with the set's id as value.
pub const PART_OF: &str = "applyset.kubernetes.io/part-of";
/// The parent's labels and annotations.
pub const APPLYSET_ID: &str = "applyset.kubernetes.io/id";
pub const APPLYSET_TOOLING: &str = "applyset.kubernetes.io/tooling";
pub const APPLYSET_KINDS: &str = "applyset.kubernetes.io/contains-group-kinds";
pub const APPLYSET_NAMESPACES: &str = "applyset.kubernetes.io/additional-namespaces";

/// A set name usable in object names and labels: a DNS-1123 label.
pub fn check_set_name(set: &str) -> Result<(), Diagnostic> {
    if crate::k8s::is_dns1123_label(set) && set.len() <= 40 {
        Ok(())
    } else {
        Err(Diagnostic::new(
            Code::Settings,
            format!(
                "set name {set:?} must be a DNS-1123 label of at most 40 characters (lower-case letters, digits, '-'): choose one with --set"
            ),
        ))
    }
}

/// The name of the set's ApplySet parent (a Secret in the deploy namespace).
pub fn parent_name(set: &str) -> String {
    format!("confgate-applyset-{set}")
}

/// kubectl's ApplySet id: `applyset-<base64url(sha256(name.namespace.kind.group))>-v1`.
pub fn applyset_id(parent: &str, namespace: &str) -> String {
    let digest = Sha256::digest(format!("{parent}.{namespace}.Secret.").as_bytes());
    format!(
        "applyset-{}-v1",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    )
}

/// Labels a member with the set's id.
pub fn label_member(obj: &mut Value, id: &str) {
    if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
        let labels = meta
            .entry("labels")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Value::Object(l) = labels {
            l.insert(PART_OF.into(), Value::String(id.to_string()));
        }
    }
}

/// The parent object recording the member kinds and namespaces.
pub fn parent_object(set: &str, namespace: &str, items: &[Item]) -> Value {
    let name = parent_name(set);
    let id = applyset_id(&name, namespace);
    let mut kinds: Vec<String> = items.iter().map(Item::group_kind).collect();
    kinds.sort();
    kinds.dedup();
    let mut namespaces: Vec<String> = items
        .iter()
        .filter_map(|i| i.namespace.clone())
        .filter(|n| n != namespace)
        .collect();
    namespaces.sort();
    namespaces.dedup();
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "confgate.dev/applyset",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {
                APPLYSET_ID: id,
                "app.kubernetes.io/managed-by": "confgate",
                "confgate.dev/set": set,
            },
            "annotations": {
                APPLYSET_TOOLING: format!("confgate/v{}", crate::TOOL_VERSION),
                APPLYSET_KINDS: kinds.join(","),
                APPLYSET_NAMESPACES: namespaces.join(","),
            },
        },
    })
}

/// The group-kinds and namespaces a parent (as read from the cluster) lists.
pub fn parent_members(parent: &Value) -> (Vec<String>, Vec<String>) {
    let ann = |k: &str| {
        parent
            .pointer(&format!("/metadata/annotations/{}", k.replace('/', "~1")))
            .and_then(Value::as_str)
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    (ann(APPLYSET_KINDS), ann(APPLYSET_NAMESPACES))
}

/// A live object to prune: labelled as a member of the set, not in the plan.
pub fn is_pruned(live: &Value, id: &str, items: &[Item]) -> bool {
    let label = live
        .pointer(&format!("/metadata/labels/{}", PART_OF.replace('/', "~1")))
        .and_then(Value::as_str);
    if label != Some(id) {
        return false;
    }
    let s = |p: &str| live.pointer(p).and_then(Value::as_str).unwrap_or("");
    let gk = group_kind(s("/apiVersion"), s("/kind"));
    let ns = live.pointer("/metadata/namespace").and_then(Value::as_str);
    let name = s("/metadata/name");
    !items
        .iter()
        .any(|i| i.group_kind() == gk && i.namespace.as_deref() == ns && i.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(text: &str) -> Vec<Document> {
        let l = crate::source::load_text(
            "set.yaml".into(),
            text.into(),
            &crate::source::LoadOptions::default(),
            false,
        );
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        l.documents
    }

    const SET: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web}\n";

    #[test]
    fn objects_are_applied_in_dependency_order_into_the_namespace() {
        let items = plan(&docs(SET), "shop").unwrap();
        let order: Vec<&str> = items.iter().map(|i| i.kind.as_str()).collect();
        assert_eq!(
            order,
            [
                "Namespace",
                "CustomResourceDefinition",
                "ServiceAccount",
                "ConfigMap",
                "Service",
                "Deployment",
                "Ingress",
                "Widget"
            ]
        );
        let dep = items.iter().find(|i| i.kind == "Deployment").unwrap();
        assert_eq!(dep.namespace.as_deref(), Some("shop"));
        assert_eq!(dep.object["metadata"]["namespace"], "shop");
        let ns = items.iter().find(|i| i.kind == "Namespace").unwrap();
        assert_eq!(ns.namespace, None);
    }

    #[test]
    fn an_object_defined_twice_is_an_error_naming_both_places() {
        let e = plan(
            &docs("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\n"),
            "shop",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("defined twice (also in set.yaml:1)"),
            "{e}"
        );
    }

    #[test]
    fn applyset_ids_follow_kubectl() {
        // kubectl: base64url(sha256("<name>.<namespace>.<kind>.<group>")), no padding.
        let id = applyset_id("confgate-applyset-web", "shop");
        assert!(id.starts_with("applyset-") && id.ends_with("-v1"));
        assert_eq!(id.len(), "applyset-".len() + 43 + "-v1".len());
        assert_ne!(id, applyset_id("confgate-applyset-web", "other"));
    }

    #[test]
    fn members_outside_the_new_plan_are_pruned_and_nothing_else() {
        let items = plan(
            &docs("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}\n"),
            "shop",
        )
        .unwrap();
        let id = applyset_id("p", "shop");
        let live = |name: &str, label: Option<&str>| {
            let mut v = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop"}});
            if let Some(l) = label {
                label_member(&mut v, l);
            }
            v
        };
        assert!(!is_pruned(&live("keep", Some(&id)), &id, &items));
        assert!(is_pruned(&live("gone", Some(&id)), &id, &items));
        assert!(!is_pruned(&live("foreign", None), &id, &items));
        assert!(!is_pruned(
            &live("other-set", Some("applyset-x-v1")),
            &id,
            &items
        ));
        let parent = parent_object("web", "shop", &items);
        assert_eq!(parent_members(&parent).0, ["ConfigMap"]);
    }

    #[test]
    fn set_names_must_be_labels() {
        assert!(check_set_name("shop-web").is_ok());
        assert!(check_set_name("Shop_Web").is_err());
    }
}
