//! The resource types the server knows: built-ins and those that CRDs register.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct ResourceDef {
    pub group: String,
    /// Served versions, preferred first.
    pub versions: Vec<String>,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub list_kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub status: bool,
    pub scale: bool,
    /// Only `create` (reviews); never stored.
    pub create_only: bool,
    /// Name of the CRD that registered it.
    pub crd: Option<String>,
    /// additionalPrinterColumns of the CRD (per version: we keep the preferred one's).
    pub printer_columns: Vec<Value>,
}

impl ResourceDef {
    /// `group/plural`: the storage key (all versions share one storage).
    pub fn key(&self) -> String {
        format!("{}/{}", self.group, self.plural)
    }
    /// `deployments.apps` or `pods`: how kube-apiserver names it in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{}", self.group, version)
        }
    }
    pub fn verbs(&self) -> Vec<&'static str> {
        if self.create_only {
            vec!["create"]
        } else {
            vec![
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ]
        }
    }
}

#[derive(Default, Clone)]
pub struct Registry {
    /// key: group/plural
    pub defs: BTreeMap<String, Arc<ResourceDef>>,
    /// Bumped on every change (the OpenAPI hash).
    pub generation: u64,
}

/// (group, versions, plural, singular, kind, namespaced, shortNames, categories, status, scale)
type Row = (
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    &'static [&'static str],
    bool,
    bool,
);

const ALL: &[&str] = &["all"];
const NONE: &[&str] = &[];

const BUILTINS: &[Row] = &[
    (
        "",
        &["v1"],
        "namespaces",
        "namespace",
        "Namespace",
        false,
        &["ns"],
        NONE,
        true,
        false,
    ),
    (
        "",
        &["v1"],
        "pods",
        "pod",
        "Pod",
        true,
        &["po"],
        ALL,
        true,
        false,
    ),
    (
        "",
        &["v1"],
        "services",
        "service",
        "Service",
        true,
        &["svc"],
        ALL,
        true,
        false,
    ),
    (
        "",
        &["v1"],
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        &["cm"],
        NONE,
        false,
        false,
    ),
    (
        "",
        &["v1"],
        "secrets",
        "secret",
        "Secret",
        true,
        NONE,
        NONE,
        false,
        false,
    ),
    (
        "",
        &["v1"],
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        true,
        &["sa"],
        NONE,
        false,
        false,
    ),
    (
        "",
        &["v1"],
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
        NONE,
        true,
        false,
    ),
    (
        "",
        &["v1"],
        "persistentvolumes",
        "persistentvolume",
        "PersistentVolume",
        false,
        &["pv"],
        NONE,
        true,
        false,
    ),
    (
        "",
        &["v1"],
        "nodes",
        "node",
        "Node",
        false,
        &["no"],
        NONE,
        true,
        false,
    ),
    (
        "",
        &["v1"],
        "events",
        "event",
        "Event",
        true,
        &["ev"],
        NONE,
        false,
        false,
    ),
    (
        "",
        &["v1"],
        "endpoints",
        "endpoints",
        "Endpoints",
        true,
        &["ep"],
        NONE,
        false,
        false,
    ),
    (
        "",
        &["v1"],
        "limitranges",
        "limitrange",
        "LimitRange",
        true,
        &["limits"],
        NONE,
        false,
        false,
    ),
    (
        "",
        &["v1"],
        "resourcequotas",
        "resourcequota",
        "ResourceQuota",
        true,
        &["quota"],
        NONE,
        true,
        false,
    ),
    (
        "",
        &["v1"],
        "replicationcontrollers",
        "replicationcontroller",
        "ReplicationController",
        true,
        &["rc"],
        ALL,
        true,
        true,
    ),
    (
        "",
        &["v1"],
        "podtemplates",
        "podtemplate",
        "PodTemplate",
        true,
        NONE,
        NONE,
        false,
        false,
    ),
    (
        "apps",
        &["v1"],
        "deployments",
        "deployment",
        "Deployment",
        true,
        &["deploy"],
        ALL,
        true,
        true,
    ),
    (
        "apps",
        &["v1"],
        "replicasets",
        "replicaset",
        "ReplicaSet",
        true,
        &["rs"],
        ALL,
        true,
        true,
    ),
    (
        "apps",
        &["v1"],
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
        &["sts"],
        ALL,
        true,
        true,
    ),
    (
        "apps",
        &["v1"],
        "daemonsets",
        "daemonset",
        "DaemonSet",
        true,
        &["ds"],
        ALL,
        true,
        false,
    ),
    (
        "apps",
        &["v1"],
        "controllerrevisions",
        "controllerrevision",
        "ControllerRevision",
        true,
        NONE,
        NONE,
        false,
        false,
    ),
    (
        "batch",
        &["v1"],
        "jobs",
        "job",
        "Job",
        true,
        NONE,
        ALL,
        true,
        false,
    ),
    (
        "batch",
        &["v1"],
        "cronjobs",
        "cronjob",
        "CronJob",
        true,
        &["cj"],
        ALL,
        true,
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        &["v1"],
        "roles",
        "role",
        "Role",
        true,
        NONE,
        NONE,
        false,
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        &["v1"],
        "rolebindings",
        "rolebinding",
        "RoleBinding",
        true,
        NONE,
        NONE,
        false,
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        &["v1"],
        "clusterroles",
        "clusterrole",
        "ClusterRole",
        false,
        NONE,
        NONE,
        false,
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        &["v1"],
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        false,
        NONE,
        NONE,
        false,
        false,
    ),
    (
        "networking.k8s.io",
        &["v1"],
        "networkpolicies",
        "networkpolicy",
        "NetworkPolicy",
        true,
        &["netpol"],
        NONE,
        false,
        false,
    ),
    (
        "networking.k8s.io",
        &["v1"],
        "ingresses",
        "ingress",
        "Ingress",
        true,
        &["ing"],
        NONE,
        true,
        false,
    ),
    (
        "networking.k8s.io",
        &["v1"],
        "ingressclasses",
        "ingressclass",
        "IngressClass",
        false,
        NONE,
        NONE,
        false,
        false,
    ),
    (
        "policy",
        &["v1"],
        "poddisruptionbudgets",
        "poddisruptionbudget",
        "PodDisruptionBudget",
        true,
        &["pdb"],
        NONE,
        true,
        false,
    ),
    (
        "autoscaling",
        &["v2", "v1"],
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
        ALL,
        true,
        false,
    ),
    (
        "apiextensions.k8s.io",
        &["v1"],
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
        NONE,
        true,
        false,
    ),
    (
        "storage.k8s.io",
        &["v1"],
        "storageclasses",
        "storageclass",
        "StorageClass",
        false,
        &["sc"],
        NONE,
        false,
        false,
    ),
    (
        "admissionregistration.k8s.io",
        &["v1"],
        "validatingwebhookconfigurations",
        "validatingwebhookconfiguration",
        "ValidatingWebhookConfiguration",
        false,
        NONE,
        NONE,
        false,
        false,
    ),
    (
        "admissionregistration.k8s.io",
        &["v1"],
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        "MutatingWebhookConfiguration",
        false,
        NONE,
        NONE,
        false,
        false,
    ),
    (
        "events.k8s.io",
        &["v1"],
        "events",
        "event",
        "Event",
        true,
        &["ev"],
        NONE,
        false,
        false,
    ),
    (
        "coordination.k8s.io",
        &["v1"],
        "leases",
        "lease",
        "Lease",
        true,
        NONE,
        NONE,
        false,
        false,
    ),
];

const REVIEWS: &[(&str, &str, &str, &str)] = &[
    (
        "authorization.k8s.io",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        "SelfSubjectAccessReview",
    ),
    (
        "authorization.k8s.io",
        "selfsubjectrulesreviews",
        "selfsubjectrulesreview",
        "SelfSubjectRulesReview",
    ),
    (
        "authentication.k8s.io",
        "selfsubjectreviews",
        "selfsubjectreview",
        "SelfSubjectReview",
    ),
];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

impl Registry {
    pub fn builtin() -> Registry {
        let mut r = Registry::default();
        for &(group, versions, plural, singular, kind, namespaced, short, cats, status, scale) in
            BUILTINS
        {
            r.add(ResourceDef {
                group: group.into(),
                versions: strings(versions),
                plural: plural.into(),
                singular: singular.into(),
                kind: kind.into(),
                list_kind: format!("{kind}List"),
                namespaced,
                short_names: strings(short),
                categories: strings(cats),
                status,
                scale,
                create_only: false,
                crd: None,
                printer_columns: vec![],
            });
        }
        for &(group, plural, singular, kind) in REVIEWS {
            r.add(ResourceDef {
                group: group.into(),
                versions: vec!["v1".into()],
                plural: plural.into(),
                singular: singular.into(),
                kind: kind.into(),
                list_kind: format!("{kind}List"),
                namespaced: false,
                short_names: vec![],
                categories: vec![],
                status: false,
                scale: false,
                create_only: true,
                crd: None,
                printer_columns: vec![],
            });
        }
        r
    }

    pub fn add(&mut self, def: ResourceDef) {
        self.defs.insert(def.key(), Arc::new(def));
        self.generation += 1;
    }

    pub fn remove_crd(&mut self, crd_name: &str) -> Vec<Arc<ResourceDef>> {
        let keys: Vec<String> = self
            .defs
            .iter()
            .filter(|(_, d)| d.crd.as_deref() == Some(crd_name))
            .map(|(k, _)| k.clone())
            .collect();
        self.generation += 1;
        keys.iter().filter_map(|k| self.defs.remove(k)).collect()
    }

    /// The definition serving `plural` in `group/version`.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceDef>> {
        self.defs
            .get(&format!("{group}/{plural}"))
            .filter(|d| d.versions.iter().any(|v| v == version))
            .cloned()
    }

    pub fn find_kind(&self, api_version: &str, kind: &str) -> Option<(Arc<ResourceDef>, String)> {
        let (group, version) = split_api_version(api_version);
        self.defs
            .values()
            .find(|d| d.group == group && d.kind == kind && d.versions.iter().any(|v| v == version))
            .map(|d| (d.clone(), version.to_string()))
    }

    /// group -> versions (preferred first), in a stable order: core first, then by name.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in self.defs.values() {
            let e = out.entry(d.group.clone()).or_default();
            for v in &d.versions {
                if !e.contains(v) {
                    e.push(v.clone());
                }
            }
        }
        for vs in out.values_mut() {
            vs.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
        }
        out.into_iter().collect()
    }

    pub fn api_versions(&self, port: u16) -> Value {
        json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": format!("127.0.0.1:{port}")}]
        })
    }

    fn group_json(name: &str, versions: &[String]) -> Value {
        let vs: Vec<Value> = versions
            .iter()
            .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
            .collect();
        json!({
            "name": name,
            "versions": vs,
            "preferredVersion": vs.first().cloned().unwrap_or(Value::Null),
        })
    }

    pub fn api_group_list(&self) -> Value {
        let groups: Vec<Value> = self
            .groups()
            .iter()
            .filter(|(g, _)| !g.is_empty())
            .map(|(g, vs)| Self::group_json(g, vs))
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    pub fn api_group(&self, group: &str) -> Option<Value> {
        let groups = self.groups();
        let (g, vs) = groups.iter().find(|(g, _)| g == group && !g.is_empty())?;
        let mut v = Self::group_json(g, vs);
        v["kind"] = json!("APIGroup");
        v["apiVersion"] = json!("v1");
        Some(v)
    }

    /// Aggregated discovery (`apidiscovery.k8s.io` APIGroupDiscoveryList): the core group
    /// for `/api`, the others for `/apis`.
    pub fn aggregated(&self, core: bool, version: &str) -> Value {
        let mut items = vec![];
        for (g, vs) in self.groups() {
            if g.is_empty() != core {
                continue;
            }
            let mut versions = vec![];
            for v in &vs {
                let mut resources = vec![];
                for d in self.defs.values() {
                    if d.group != g || !d.versions.iter().any(|x| x == v) {
                        continue;
                    }
                    let kind = json!({"group": d.group, "version": v, "kind": d.kind});
                    let sub = |name: &str, k: Value, verbs: Value| json!({"subresource": name, "responseKind": k, "verbs": verbs});
                    let mut subs = vec![];
                    if d.status {
                        subs.push(sub(
                            "status",
                            kind.clone(),
                            json!(["get", "patch", "update"]),
                        ));
                    }
                    if d.scale {
                        subs.push(sub(
                            "scale",
                            json!({"group": "autoscaling", "version": "v1", "kind": "Scale"}),
                            json!(["get", "patch", "update"]),
                        ));
                    }
                    if d.group.is_empty() && d.plural == "pods" {
                        subs.push(sub(
                            "log",
                            json!({"group": "", "version": "", "kind": "Pod"}),
                            json!(["get"]),
                        ));
                    }
                    let mut r = json!({
                        "resource": d.plural,
                        "responseKind": kind,
                        "scope": if d.namespaced { "Namespaced" } else { "Cluster" },
                        "singularResource": d.singular,
                        "verbs": d.verbs(),
                    });
                    if !d.short_names.is_empty() {
                        r["shortNames"] = json!(d.short_names);
                    }
                    if !d.categories.is_empty() {
                        r["categories"] = json!(d.categories);
                    }
                    if !subs.is_empty() {
                        r["subresources"] = json!(subs);
                    }
                    resources.push(r);
                }
                versions
                    .push(json!({"version": v, "resources": resources, "freshness": "Current"}));
            }
            let meta = if core {
                json!({"creationTimestamp": Value::Null})
            } else {
                json!({"name": g, "creationTimestamp": Value::Null})
            };
            items.push(json!({"metadata": meta, "versions": versions}));
        }
        json!({
            "kind": "APIGroupDiscoveryList",
            "apiVersion": format!("apidiscovery.k8s.io/{version}"),
            "metadata": {},
            "items": items,
        })
    }

    pub fn resource_list(&self, group: &str, version: &str) -> Option<Value> {
        let mut resources = vec![];
        for d in self.defs.values() {
            if d.group != group || !d.versions.iter().any(|v| v == version) {
                continue;
            }
            let mut r = json!({
                "name": d.plural,
                "singularName": d.singular,
                "namespaced": d.namespaced,
                "kind": d.kind,
                "verbs": d.verbs(),
            });
            if !d.short_names.is_empty() {
                r["shortNames"] = json!(d.short_names);
            }
            if !d.categories.is_empty() {
                r["categories"] = json!(d.categories);
            }
            resources.push(r);
            if d.status {
                resources.push(json!({
                    "name": format!("{}/status", d.plural),
                    "singularName": "",
                    "namespaced": d.namespaced,
                    "kind": d.kind,
                    "verbs": ["get", "patch", "update"],
                }));
            }
            if d.scale {
                resources.push(json!({
                    "name": format!("{}/scale", d.plural),
                    "singularName": "",
                    "namespaced": d.namespaced,
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                }));
            }
            if d.plural == "pods" && d.group.is_empty() {
                resources.push(json!({
                    "name": "pods/log",
                    "singularName": "",
                    "namespaced": true,
                    "kind": "Pod",
                    "verbs": ["get"],
                }));
            }
            if d.plural == "namespaces" && d.group.is_empty() {
                resources.push(json!({
                    "name": "namespaces/finalize",
                    "singularName": "",
                    "namespaced": false,
                    "kind": "Namespace",
                    "verbs": ["update"],
                }));
            }
        }
        if resources.is_empty() {
            return None;
        }
        let gv = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        Some(json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": gv,
            "resources": resources,
        }))
    }
}

pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// Kubernetes version priority: GA > beta > alpha, higher numbers first.
pub fn version_priority(v: &str) -> (u8, u64, u64) {
    let rest = match v.strip_prefix('v') {
        Some(r) => r,
        None => return (0, 0, 0),
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let major: u64 = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    if tail.is_empty() {
        return (3, major, 0);
    }
    let (level, num) = if let Some(n) = tail.strip_prefix("beta") {
        (2, n)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (1, n)
    } else {
        return (0, 0, 0);
    };
    (level, major, num.parse().unwrap_or(0))
}

/// A CRD object → the definition it registers (None when it is not usable yet).
pub fn def_from_crd(crd: &Value) -> Option<ResourceDef> {
    let spec = crd.get("spec")?;
    let group = spec.get("group")?.as_str()?.to_string();
    let names = spec.get("names")?;
    let plural = names.get("plural")?.as_str()?.to_string();
    let kind = names.get("kind")?.as_str()?.to_string();
    let singular = names
        .get("singular")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    let list_kind = names
        .get("listKind")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("{kind}List"));
    let str_list = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let namespaced = spec.get("scope").and_then(Value::as_str) != Some("Cluster");
    let mut versions = vec![];
    let mut status = false;
    let mut scale = false;
    let mut printer_columns = vec![];
    let mut storage_first: Option<String> = None;
    for v in spec.get("versions")?.as_array()? {
        if v.get("served").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let Some(name) = v.get("name").and_then(Value::as_str) else {
            continue;
        };
        versions.push(name.to_string());
        if let Some(sub) = v.get("subresources") {
            status |= sub.get("status").is_some();
            scale |= sub.get("scale").is_some();
        }
        if v.get("storage").and_then(Value::as_bool) == Some(true) {
            storage_first = Some(name.to_string());
        }
        if let Some(cols) = v.get("additionalPrinterColumns").and_then(Value::as_array)
            && printer_columns.is_empty()
        {
            printer_columns = cols.clone();
        }
    }
    if versions.is_empty() {
        return None;
    }
    versions.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
    let _ = storage_first;
    Some(ResourceDef {
        group,
        versions,
        plural,
        singular,
        kind,
        list_kind,
        namespaced,
        short_names: str_list(names.get("shortNames")),
        categories: str_list(names.get("categories")),
        status,
        scale,
        create_only: false,
        crd: crd
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_string),
        printer_columns,
    })
}
