//! Exposure: how reachable the resource of a finding is, for the risk matrix.
//!
//! - `internet`: a Service of type LoadBalancer or NodePort selects the pod, an Ingress routes
//!   to a Service that selects it, the pod uses `hostNetwork` or a `hostPort`, or the resource
//!   itself is such a Service or an Ingress;
//! - `cluster`: a ClusterIP Service selects it (or it is a ClusterIP Service);
//! - `internal`: anything else.
//!
//! Computed from the scanned documents alone: a Service selects a workload when every
//! `spec.selector` label is on the workload's pod template, in the same namespace; an Ingress
//! reaches the Services its backends name, in its namespace.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::document::{Document, SourceFile};
use crate::finding::ResourceRef;

/// How far a resource is reachable, from least to most exposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Exposure {
    Internal,
    Cluster,
    Internet,
}

impl Exposure {
    /// Most exposed first (the risk matrix's columns).
    pub const ALL: [Exposure; 3] = [Exposure::Internet, Exposure::Cluster, Exposure::Internal];

    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Internet => "internet",
            Exposure::Cluster => "cluster",
            Exposure::Internal => "internal",
        }
    }

    /// Added to a severity's rank to get a risk level.
    pub fn rank(self) -> u8 {
        match self {
            Exposure::Internet => 2,
            Exposure::Cluster => 1,
            Exposure::Internal => 0,
        }
    }
}

impl std::fmt::Display for Exposure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identity used to match findings to documents (the API version does not matter here).
type Key = (String, Option<String>, String);

fn key(kind: &str, namespace: Option<&str>, name: &str) -> Key {
    (
        kind.to_string(),
        namespace.map(str::to_string),
        name.to_string(),
    )
}

/// Exposure of every scanned resource, with the reasons.
#[derive(Debug, Default)]
pub struct ExposureMap {
    map: HashMap<Key, (Exposure, Vec<String>)>,
}

impl ExposureMap {
    /// The exposure of a finding's resource (`internal` when unknown).
    pub fn of(&self, r: &ResourceRef) -> Exposure {
        self.map
            .get(&key(&r.kind, r.namespace.as_deref(), &r.name))
            .map_or(Exposure::Internal, |(e, _)| *e)
    }

    /// Why a resource has its exposure (empty for `internal`).
    pub fn reasons(&self, r: &ResourceRef) -> &[String] {
        self.map
            .get(&key(&r.kind, r.namespace.as_deref(), &r.name))
            .map_or(&[], |(_, why)| why.as_slice())
    }

    fn raise(&mut self, k: Key, level: Exposure, why: String) {
        let entry = self
            .map
            .entry(k)
            .or_insert_with(|| (Exposure::Internal, Vec::new()));
        if level > entry.0 {
            entry.0 = level;
            entry.1.clear();
        }
        if level == entry.0 && !entry.1.contains(&why) {
            entry.1.push(why);
        }
    }
}

/// A Service as the classification needs it.
struct Service {
    namespace: Option<String>,
    name: String,
    kind: ServiceKind,
    selector: BTreeMap<String, String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ServiceKind {
    /// LoadBalancer or NodePort.
    External(&'static str),
    ClusterIp,
    /// ExternalName and headless-without-selector Services select no pods.
    Other,
}

/// A pod-carrying resource: its pod template labels and pod spec.
struct Workload<'a> {
    key: Key,
    namespace: Option<String>,
    labels: BTreeMap<String, String>,
    spec: Option<&'a Value>,
}

fn str_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    Value::Number(n) => Some((k.clone(), n.to_string())),
                    Value::Bool(b) => Some((k.clone(), b.to_string())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The pod template (labels + spec) of a workload, for every kind `k8s` knows to carry one.
fn pod_template<'a>(
    api_version: &str,
    kind: &str,
    v: &'a Value,
) -> Option<(Option<&'a Value>, Option<&'a Value>)> {
    let path = crate::k8s::pod_template_path(api_version, kind)?;
    let tpl = path.iter().try_fold(v, |v, k| v.get(*k))?;
    Some((tpl.pointer("/metadata/labels"), tpl.get("spec")))
}

/// Service names an Ingress routes to (networking.k8s.io/v1 and the older extensions shape).
fn ingress_backends(v: &Value) -> Vec<String> {
    fn backend(b: &Value, out: &mut Vec<String>) {
        for p in ["/service/name", "/serviceName"] {
            if let Some(Value::String(s)) = b.pointer(p) {
                out.push(s.clone());
            }
        }
    }
    let mut out = Vec::new();
    let spec = v.get("spec");
    for p in ["defaultBackend", "backend"] {
        if let Some(b) = spec.and_then(|s| s.get(p)) {
            backend(b, &mut out);
        }
    }
    for rule in spec
        .and_then(|s| s.get("rules"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for path in rule
            .pointer("/http/paths")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(b) = path.get("backend") {
                backend(b, &mut out);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Does a pod spec use the host's network (hostNetwork or a hostPort)?
fn host_network_reason(spec: &Value) -> Option<String> {
    if spec.get("hostNetwork") == Some(&Value::Bool(true)) {
        return Some("uses hostNetwork".to_string());
    }
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for c in spec
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for p in c
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let port = p.get("hostPort").and_then(Value::as_u64).unwrap_or(0);
                if port > 0 {
                    return Some(format!("binds host port {port}"));
                }
            }
        }
    }
    None
}

/// Classifies every document.
pub fn classify(docs: &[Document]) -> ExposureMap {
    let values: Vec<(&Document, Value)> = docs.iter().map(|d| (d, d.tree.to_json())).collect();
    let mut out = ExposureMap::default();
    let mut services = Vec::new();
    let mut workloads = Vec::new();
    let mut ingresses = Vec::new();
    for (d, v) in &values {
        let r = &d.resource;
        let k = key(&r.kind, r.namespace.as_deref(), &r.name);
        match r.kind.as_str() {
            "Service" if crate::k8s::pod_template_path(&r.api_version, "Service").is_none() => {
                let ty = v
                    .pointer("/spec/type")
                    .and_then(Value::as_str)
                    .unwrap_or("ClusterIP");
                let kind = match ty {
                    "LoadBalancer" => ServiceKind::External("LoadBalancer"),
                    "NodePort" => ServiceKind::External("NodePort"),
                    "ClusterIP" => ServiceKind::ClusterIp,
                    _ => ServiceKind::Other,
                };
                match kind {
                    ServiceKind::External(t) => {
                        out.raise(k, Exposure::Internet, format!("is a {t} Service"));
                    }
                    ServiceKind::ClusterIp => {
                        out.raise(k, Exposure::Cluster, "is a ClusterIP Service".to_string());
                    }
                    ServiceKind::Other => {}
                }
                services.push(Service {
                    namespace: r.namespace.clone(),
                    name: r.name.clone(),
                    kind,
                    selector: str_map(v.pointer("/spec/selector")),
                });
            }
            "Ingress" => {
                out.raise(k, Exposure::Internet, "is an Ingress".to_string());
                ingresses.push((r.namespace.clone(), r.name.clone(), ingress_backends(v)));
            }
            kind => {
                if let Some((labels, spec)) = pod_template(&r.api_version, kind, v) {
                    workloads.push(Workload {
                        key: k,
                        namespace: r.namespace.clone(),
                        labels: str_map(labels),
                        spec,
                    });
                }
            }
        }
    }
    // Services reached through an Ingress count as external.
    let mut routed: HashMap<(Option<String>, String), Vec<String>> = HashMap::new();
    for (ns, ing, backends) in &ingresses {
        for b in backends {
            routed
                .entry((ns.clone(), b.clone()))
                .or_default()
                .push(ing.clone());
        }
    }
    for svc in &services {
        let via = routed.get(&(svc.namespace.clone(), svc.name.clone()));
        if let Some(ings) = via {
            out.raise(
                key("Service", svc.namespace.as_deref(), &svc.name),
                Exposure::Internet,
                format!("routed from Ingress {}", ings.join(", ")),
            );
        }
    }
    for w in &workloads {
        if let Some(why) = w.spec.and_then(host_network_reason) {
            out.raise(w.key.clone(), Exposure::Internet, why);
        }
        for svc in services.iter().filter(|s| {
            s.namespace == w.namespace
                && !s.selector.is_empty()
                && s.selector.iter().all(|(k, v)| w.labels.get(k) == Some(v))
        }) {
            let via = routed.get(&(svc.namespace.clone(), svc.name.clone()));
            match (svc.kind, via) {
                (_, Some(ings)) => out.raise(
                    w.key.clone(),
                    Exposure::Internet,
                    format!("Ingress {} → Service {}", ings.join(", "), svc.name),
                ),
                (ServiceKind::External(t), None) => out.raise(
                    w.key.clone(),
                    Exposure::Internet,
                    format!("selected by {t} Service {}", svc.name),
                ),
                (ServiceKind::ClusterIp, None) => out.raise(
                    w.key.clone(),
                    Exposure::Cluster,
                    format!("selected by ClusterIP Service {}", svc.name),
                ),
                (ServiceKind::Other, None) => {}
            }
        }
    }
    out
}

/// Re-reads the documents of a scan from the texts it kept (`ScanOutcome::sources`), so a
/// report can classify exposure without a second pass over the inputs (stdin included).
/// Unparsable parts are skipped: the scan reported them already.
pub fn documents_from_sources(sources: &BTreeMap<String, Arc<SourceFile>>) -> Vec<Document> {
    let mut out = Vec::new();
    for file in sources.values() {
        let (raws, _errors) = crate::source::yaml::parse_all(&file.text);
        for (index, raw) in raws.into_iter().enumerate() {
            let is_list = matches!(
                raw.root.get("kind").map(|k| &k.kind),
                Some(crate::document::NodeKind::Scalar(Value::String(s))) if s.ends_with("List")
            );
            let items = match raw.root.get("items").map(|i| &i.kind) {
                Some(crate::document::NodeKind::Seq(items)) if is_list => Some(items.clone()),
                _ => None,
            };
            match items {
                Some(items) => {
                    for (i, item) in items.into_iter().enumerate() {
                        out.extend(Document::from_tree(
                            file.clone(),
                            index,
                            Some(i),
                            item,
                            None,
                        ));
                    }
                }
                None => out.extend(Document::from_tree(
                    file.clone(),
                    index,
                    None,
                    raw.root,
                    None,
                )),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(yaml: &str) -> Vec<Document> {
        let mut sources = BTreeMap::new();
        sources.insert(
            "x.yaml".to_string(),
            Arc::new(SourceFile {
                path: "x.yaml".into(),
                text: yaml.into(),
                live: false,
            }),
        );
        documents_from_sources(&sources)
    }

    fn res(kind: &str, ns: &str, name: &str) -> ResourceRef {
        ResourceRef {
            api_version: String::new(),
            kind: kind.into(),
            namespace: Some(ns.into()),
            name: name.into(),
        }
    }

    const APPS: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a}
spec:
  template:
    metadata: {labels: {app: web, tier: front}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: a}
spec:
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch, namespace: a}
spec:
  template:
    metadata: {labels: {app: batch}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: a}
spec:
  containers: [{name: c, image: x, ports: [{containerPort: 80, hostPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: a}
spec: {selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: a}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: batch, namespace: other}
spec: {type: LoadBalancer, selector: {app: batch}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: front, namespace: a}
spec:
  rules:
    - http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
";

    #[test]
    fn classifies_by_services_ingresses_and_host_network() {
        let m = classify(&docs(APPS));
        assert_eq!(m.of(&res("Deployment", "a", "web")), Exposure::Internet);
        assert_eq!(m.of(&res("Deployment", "a", "db")), Exposure::Cluster);
        // The LoadBalancer is in another namespace.
        assert_eq!(m.of(&res("Deployment", "a", "batch")), Exposure::Internal);
        assert_eq!(m.of(&res("Pod", "a", "probe")), Exposure::Internet);
        assert_eq!(m.of(&res("Service", "a", "web")), Exposure::Internet);
        assert_eq!(m.of(&res("Service", "a", "db")), Exposure::Cluster);
        assert_eq!(m.of(&res("Service", "other", "batch")), Exposure::Internet);
        assert_eq!(m.of(&res("Ingress", "a", "front")), Exposure::Internet);
        assert_eq!(m.of(&res("ConfigMap", "a", "x")), Exposure::Internal);
        assert!(
            m.reasons(&res("Deployment", "a", "web"))[0].contains("Ingress front"),
            "{:?}",
            m.reasons(&res("Deployment", "a", "web"))
        );
    }

    #[test]
    fn list_items_are_documents() {
        let d = docs(
            "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Service, metadata: {name: s, namespace: 'n'}, spec: {type: NodePort, selector: {a: b}}}\n",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(
            classify(&d).of(&res("Service", "n", "s")),
            Exposure::Internet
        );
    }
}
