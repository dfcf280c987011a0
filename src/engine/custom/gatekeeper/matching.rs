//! A Constraint's `spec.match`: Gatekeeper's matching rules (kinds, namespaces,
//! excludedNamespaces, labelSelector, namespaceSelector, scope, name).

use std::collections::{BTreeMap, HashMap};

use crate::diag::Diagnostic;
use crate::document::{Document, Node, NodeKind};

use super::nodes::{at, bad, key_line, line, scalar_string, strings, text};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Scope {
    #[default]
    Any,
    Cluster,
    Namespaced,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug)]
struct Requirement {
    key: String,
    op: Op,
    values: Vec<String>,
}

/// A Kubernetes label selector.
#[derive(Clone, Debug, Default)]
struct Selector {
    labels: BTreeMap<String, String>,
    requirements: Vec<Requirement>,
}

impl Selector {
    fn parse(file: &str, n: &Node, what: &str) -> Result<Selector, Diagnostic> {
        let NodeKind::Map(entries) = &n.kind else {
            return Err(bad(file, line(n), format!("{what} must be a mapping")));
        };
        let mut s = Selector::default();
        for e in entries {
            match e.key.as_str() {
                "matchLabels" => {
                    let NodeKind::Map(labels) = &e.value.kind else {
                        return Err(bad(
                            file,
                            e.key_span.start.line,
                            format!("{what}.matchLabels must be a mapping"),
                        ));
                    };
                    for l in labels {
                        let v = scalar_string(&l.value).ok_or_else(|| {
                            bad(
                                file,
                                l.key_span.start.line,
                                format!("{what}.matchLabels values must be strings"),
                            )
                        })?;
                        s.labels.insert(l.key.clone(), v);
                    }
                }
                "matchExpressions" => {
                    let NodeKind::Seq(items) = &e.value.kind else {
                        return Err(bad(
                            file,
                            e.key_span.start.line,
                            format!("{what}.matchExpressions must be a list"),
                        ));
                    };
                    for item in items {
                        let key = item.get("key").and_then(text).ok_or_else(|| {
                            bad(
                                file,
                                line(item),
                                format!("{what}.matchExpressions[] needs a key"),
                            )
                        })?;
                        let op = match item.get("operator").and_then(text) {
                            Some("In") => Op::In,
                            Some("NotIn") => Op::NotIn,
                            Some("Exists") => Op::Exists,
                            Some("DoesNotExist") => Op::DoesNotExist,
                            other => {
                                return Err(bad(
                                    file,
                                    key_line(item, "operator"),
                                    format!(
                                        "{what}.matchExpressions[].operator must be In, NotIn, Exists or DoesNotExist, got {}",
                                        other.map_or_else(
                                            || "nothing".to_string(),
                                            |o| format!("{o:?}")
                                        )
                                    ),
                                ));
                            }
                        };
                        let values = strings(file, item, "values")?;
                        if matches!(op, Op::In | Op::NotIn) && values.is_empty() {
                            return Err(bad(
                                file,
                                line(item),
                                format!("{what}.matchExpressions[]: {key} {op:?} needs values"),
                            ));
                        }
                        s.requirements.push(Requirement {
                            key: key.to_string(),
                            op,
                            values,
                        });
                    }
                }
                other => {
                    return Err(bad(
                        file,
                        e.key_span.start.line,
                        format!(
                            "unknown field {what}.{other} (expected matchLabels or matchExpressions)"
                        ),
                    ));
                }
            }
        }
        Ok(s)
    }

    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.requirements.iter().all(|r| {
                let v = labels.get(&r.key);
                match r.op {
                    Op::In => v.is_some_and(|v| r.values.contains(v)),
                    Op::NotIn => v.is_none_or(|v| !r.values.contains(v)),
                    Op::Exists => v.is_some(),
                    Op::DoesNotExist => v.is_none(),
                }
            })
    }
}

/// A constraint's `spec.match`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Match {
    /// (apiGroups, kinds) pairs; empty = any.
    kinds: Vec<(Vec<String>, Vec<String>)>,
    namespaces: Vec<String>,
    excluded_namespaces: Vec<String>,
    label_selector: Option<Selector>,
    namespace_selector: Option<Selector>,
    scope: Scope,
    name: Option<String>,
}

/// `kube-*` (prefix) and `*-system` (suffix) globs, as Gatekeeper's `Wildcard`.
fn wildcard(pattern: &str, s: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        s.starts_with(prefix)
    } else if let Some(suffix) = pattern.strip_prefix('*') {
        s.ends_with(suffix)
    } else {
        pattern == s
    }
}

impl Match {
    pub(crate) fn parse(file: &str, n: &Node) -> Result<Match, Diagnostic> {
        let NodeKind::Map(entries) = &n.kind else {
            return Err(bad(file, line(n), "spec.match must be a mapping"));
        };
        let mut m = Match::default();
        for e in entries {
            let l = e.key_span.start.line;
            match e.key.as_str() {
                "kinds" => {
                    let NodeKind::Seq(items) = &e.value.kind else {
                        return Err(bad(
                            file,
                            l,
                            "match.kinds must be a list of {apiGroups, kinds}",
                        ));
                    };
                    for item in items {
                        if !matches!(item.kind, NodeKind::Map(_)) {
                            return Err(bad(
                                file,
                                line(item),
                                "match.kinds must be a list of {apiGroups, kinds}",
                            ));
                        }
                        m.kinds.push((
                            strings(file, item, "apiGroups")?,
                            strings(file, item, "kinds")?,
                        ));
                    }
                }
                "namespaces" => m.namespaces = strings(file, n, "namespaces")?,
                "excludedNamespaces" => {
                    m.excluded_namespaces = strings(file, n, "excludedNamespaces")?
                }
                "labelSelector" => {
                    m.label_selector = Some(Selector::parse(file, &e.value, "labelSelector")?)
                }
                "namespaceSelector" => {
                    m.namespace_selector =
                        Some(Selector::parse(file, &e.value, "namespaceSelector")?);
                }
                "scope" => {
                    m.scope = match text(&e.value) {
                        Some("*") => Scope::Any,
                        Some("Cluster") => Scope::Cluster,
                        Some("Namespaced") => Scope::Namespaced,
                        _ => {
                            return Err(bad(
                                file,
                                l,
                                "match.scope must be *, Cluster or Namespaced",
                            ));
                        }
                    };
                }
                "name" => {
                    m.name = Some(
                        text(&e.value)
                            .ok_or_else(|| bad(file, l, "match.name must be a string"))?
                            .to_string(),
                    );
                }
                // Gatekeeper's expansion source: every object of a scan is an original.
                "source" => {}
                other => {
                    return Err(bad(
                        file,
                        l,
                        format!(
                            "unknown field match.{other} (expected kinds, namespaces, excludedNamespaces, labelSelector, namespaceSelector, scope or name)"
                        ),
                    ));
                }
            }
        }
        Ok(m)
    }

    /// Gatekeeper's matching (its `pkg/mutation/match`), with one adaptation for files:
    /// an object of a namespaced kind without `metadata.namespace` counts as namespaced, but
    /// namespace criteria cannot exclude it (its namespace is decided at deploy time).
    pub(crate) fn matches(&self, t: &Target, ns: &NamespaceLabels) -> bool {
        let kinds = self.kinds.is_empty()
            || self.kinds.iter().any(|(groups, kinds)| {
                (kinds.is_empty() || kinds.iter().any(|k| k == "*" || *k == t.kind))
                    && (groups.is_empty() || groups.iter().any(|g| g == "*" || *g == t.group))
            });
        if !kinds {
            return false;
        }
        let has_namespace = t.namespace.is_some() || t.namespaced_kind;
        let scope = match self.scope {
            Scope::Any => true,
            Scope::Cluster => t.is_namespace || !has_namespace,
            Scope::Namespaced => !t.is_namespace && has_namespace,
        };
        if !scope {
            return false;
        }
        let namespace = if t.is_namespace {
            Some(t.name.as_str())
        } else {
            t.namespace.as_deref()
        };
        if let Some(ns_name) = namespace {
            if !self.namespaces.is_empty() && !self.namespaces.iter().any(|p| wildcard(p, ns_name))
            {
                return false;
            }
            if self
                .excluded_namespaces
                .iter()
                .any(|p| wildcard(p, ns_name))
            {
                return false;
            }
        }
        if let Some(sel) = &self.label_selector
            && !sel.matches(&t.labels)
        {
            return false;
        }
        if let Some(sel) = &self.namespace_selector {
            let ok = if t.is_namespace {
                sel.matches(&t.labels)
            } else {
                match &t.namespace {
                    // Cluster-scoped objects and objects whose namespace is not set.
                    None => true,
                    // The Namespace must be among the scanned objects.
                    Some(n) => ns.0.get(n).is_some_and(|labels| sel.matches(labels)),
                }
            };
            if !ok {
                return false;
            }
        }
        self.name.as_deref().is_none_or(|p| wildcard(p, &t.name))
    }
}

/// What matching looks at in an object.
#[derive(Debug)]
pub(crate) struct Target {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub is_namespace: bool,
    pub namespaced_kind: bool,
}

fn labels_of(tree: &Node) -> BTreeMap<String, String> {
    match at(tree, &["metadata", "labels"]).map(|l| &l.kind) {
        Some(NodeKind::Map(entries)) => entries
            .iter()
            .filter_map(|e| scalar_string(&e.value).map(|v| (e.key.clone(), v)))
            .collect(),
        _ => BTreeMap::new(),
    }
}

impl Target {
    pub(crate) fn of(doc: &Document) -> Target {
        let r = &doc.resource;
        let (group, version) = match r.api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), r.api_version.clone()),
        };
        Target {
            is_namespace: r.kind == "Namespace" && group.is_empty(),
            namespaced_kind: !crate::k8s::cluster_scoped(&r.kind),
            group,
            version,
            kind: r.kind.clone(),
            name: r.name.clone(),
            namespace: r.namespace.clone(),
            labels: labels_of(&doc.tree),
        }
    }
}

/// Labels of the Namespace objects among the scanned documents, for `namespaceSelector`.
#[derive(Debug, Default)]
pub(crate) struct NamespaceLabels(HashMap<String, BTreeMap<String, String>>);

impl NamespaceLabels {
    pub(crate) fn of(docs: &[&Document]) -> NamespaceLabels {
        NamespaceLabels(
            docs.iter()
                .filter(|d| d.resource.kind == "Namespace" && d.resource.api_version == "v1")
                .map(|d| (d.resource.name.clone(), labels_of(&d.tree)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn target(kind: &str, ns: Option<&str>, l: &[(&str, &str)]) -> Target {
        Target {
            group: if kind == "Deployment" {
                "apps".to_string()
            } else {
                String::new()
            },
            version: "v1".to_string(),
            kind: kind.to_string(),
            name: "web-1".to_string(),
            namespace: ns.map(str::to_string),
            labels: labels(l),
            is_namespace: kind == "Namespace",
            namespaced_kind: !crate::k8s::cluster_scoped(kind),
        }
    }

    #[test]
    fn wildcards_are_prefix_or_suffix_globs() {
        assert!(wildcard("kube-*", "kube-system"));
        assert!(wildcard("*-system", "gatekeeper-system"));
        assert!(!wildcard("kube-*", "default"));
        assert!(wildcard("prod", "prod"));
    }

    #[test]
    fn selectors_follow_kubernetes_semantics() {
        let s = Selector {
            labels: labels(&[("app", "web")]),
            requirements: vec![
                Requirement {
                    key: "tier".into(),
                    op: Op::In,
                    values: vec!["a".into(), "b".into()],
                },
                Requirement {
                    key: "legacy".into(),
                    op: Op::DoesNotExist,
                    values: vec![],
                },
                Requirement {
                    key: "env".into(),
                    op: Op::NotIn,
                    values: vec!["dev".into()],
                },
            ],
        };
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "a")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "c")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "a"), ("legacy", "1")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "a"), ("env", "dev")])));
    }

    #[test]
    fn match_fields_combine() {
        let ns = NamespaceLabels(HashMap::from([(
            "prod".to_string(),
            labels(&[("env", "prod")]),
        )]));
        let m = Match {
            kinds: vec![(vec!["apps".into()], vec!["Deployment".into()])],
            excluded_namespaces: vec!["kube-*".into()],
            namespace_selector: Some(Selector {
                labels: labels(&[("env", "prod")]),
                requirements: vec![],
            }),
            scope: Scope::Namespaced,
            name: Some("web-*".into()),
            ..Match::default()
        };
        assert!(m.matches(&target("Deployment", Some("prod"), &[]), &ns));
        assert!(!m.matches(&target("Deployment", Some("kube-system"), &[]), &ns));
        assert!(!m.matches(&target("Deployment", Some("staging"), &[]), &ns));
        assert!(!m.matches(&target("Pod", Some("prod"), &[]), &ns));
        assert!(m.matches(&target("Deployment", None, &[]), &ns));
        let cluster = Match {
            scope: Scope::Cluster,
            ..Match::default()
        };
        assert!(!cluster.matches(&target("Deployment", None, &[]), &ns));
        assert!(cluster.matches(&target("Namespace", None, &[]), &ns));
    }
}
