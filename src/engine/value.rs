//! The engine's value type at the boundary: a document converted once into regorus's
//! `Value` (clones share the tree, so the same value serves as `input` and inside
//! `data.inventory`), and the `data` document of one scan.

use std::collections::BTreeMap;

use regorus::Value;

use crate::document::{Node, NodeKind, ResourceId};

/// A document (or other data) converted once into the engine's value type. Clones share
/// the underlying tree, so the same value serves as `input` and inside `data.inventory`.
#[derive(Clone, Debug)]
pub struct EngineValue(pub(super) Value);

impl EngineValue {
    /// The engine value (for the engine's own submodules).
    #[allow(dead_code)]
    pub(crate) fn value(&self) -> &Value {
        &self.0
    }

    pub fn from_node(n: &Node) -> EngineValue {
        EngineValue(node_value(n))
    }

    /// The value of `n` without the subtree at `skip` (a path of mapping keys), e.g. the pod
    /// spec of a workload kept in a scan's inventory, which no cross-resource rule reads.
    pub fn from_node_without(n: &Node, skip: &[&str]) -> EngineValue {
        EngineValue(node_value_without(n, skip))
    }

    pub fn from_json(v: serde_json::Value) -> EngineValue {
        EngineValue(Value::from(v))
    }

    /// Adds (or replaces) `key` when this is an object, e.g. `data.business` beside
    /// `data.inventory`; other values are returned unchanged.
    pub fn with_entry(mut self, key: &str, v: serde_json::Value) -> EngineValue {
        if let Ok(map) = self.0.as_object_mut() {
            map.insert(Value::from(key), Value::from(v));
        }
        self
    }
}

fn node_value(n: &Node) -> Value {
    match &n.kind {
        NodeKind::Scalar(v) => Value::from(v.clone()),
        NodeKind::Seq(items) => Value::from(items.iter().map(node_value).collect::<Vec<_>>()),
        NodeKind::Map(entries) => Value::from(
            entries
                .iter()
                .map(|e| (Value::from(e.key.as_str()), node_value(&e.value)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

fn node_value_without(n: &Node, skip: &[&str]) -> Value {
    let (first, rest) = match (skip.split_first(), &n.kind) {
        (Some(split), NodeKind::Map(_)) => split,
        _ => return node_value(n),
    };
    let NodeKind::Map(entries) = &n.kind else {
        return node_value(n);
    };
    Value::from(
        entries
            .iter()
            .filter(|e| !(rest.is_empty() && e.key == *first))
            .map(|e| {
                let v = if e.key == *first {
                    node_value_without(&e.value, rest)
                } else {
                    node_value(&e.value)
                };
                (Value::from(e.key.as_str()), v)
            })
            .collect::<BTreeMap<_, _>>(),
    )
}

/// `data` with more objects in its inventory (added, or replacing the object of the same
/// apiVersion, kind, namespace and name): the admission webhook's view of the cluster with
/// the object under review in it. Only the maps on each object's path are copied; the rest
/// of the tree stays shared with `self`.
pub fn with_inventory_objects<'a>(
    mut data: EngineValue,
    items: impl Iterator<Item = (bool, &'a ResourceId, &'a EngineValue)>,
) -> EngineValue {
    fn child<'v>(
        map: &'v mut regorus::value::Object,
        key: &str,
    ) -> Option<&'v mut regorus::value::Object> {
        map.get_or_insert_with(Value::from(key), || {
            Value::from(BTreeMap::<Value, Value>::new())
        })
        .as_object_mut()
        .ok()
    }
    for (cluster_scoped, r, input) in items {
        let Ok(root) = data.0.as_object_mut() else {
            return data;
        };
        let Some(inv) = child(root, "inventory") else {
            return data;
        };
        let tree = if cluster_scoped {
            child(inv, "cluster")
        } else {
            child(inv, "namespace")
                .and_then(|n| child(n, r.namespace.as_deref().unwrap_or("default")))
        };
        if let Some(names) = tree
            .and_then(|t| child(t, &r.api_version))
            .and_then(|k| child(k, &r.kind))
        {
            names.insert(Value::from(r.name.as_str()), input.0.clone());
        }
    }
    data
}

/// `data` for policies: `data.inventory` in Gatekeeper's shape (`cluster[apiVersion][kind][name]`
/// for cluster-scoped objects, `namespace[ns][apiVersion][kind][name]` for the others) and
/// `data.settings` (e.g. `kube_version`).
pub fn inventory_data<'a>(
    items: impl Iterator<Item = (bool, &'a ResourceId, &'a EngineValue)>,
    settings: serde_json::Value,
) -> EngineValue {
    type Tree = BTreeMap<String, BTreeMap<String, BTreeMap<String, Value>>>;
    let mut cluster: Tree = BTreeMap::new();
    let mut namespaced: BTreeMap<String, Tree> = BTreeMap::new();
    for (cluster_scoped, r, input) in items {
        let tree = if cluster_scoped {
            &mut cluster
        } else {
            namespaced
                .entry(r.namespace.clone().unwrap_or_else(|| "default".to_string()))
                .or_default()
        };
        tree.entry(r.api_version.clone())
            .or_default()
            .entry(r.kind.clone())
            .or_default()
            .insert(r.name.clone(), input.0.clone());
    }
    fn tree_value(t: Tree) -> Value {
        Value::from(
            t.into_iter()
                .map(|(av, kinds)| {
                    let kinds = kinds
                        .into_iter()
                        .map(|(k, names)| {
                            let names = names
                                .into_iter()
                                .map(|(n, v)| (Value::from(n), v))
                                .collect::<BTreeMap<_, _>>();
                            (Value::from(k), Value::from(names))
                        })
                        .collect::<BTreeMap<_, _>>();
                    (Value::from(av), Value::from(kinds))
                })
                .collect::<BTreeMap<_, _>>(),
        )
    }
    let ns = namespaced
        .into_iter()
        .map(|(ns, t)| (Value::from(ns), tree_value(t)))
        .collect::<BTreeMap<_, _>>();
    let mut inv = BTreeMap::new();
    inv.insert(Value::from("cluster"), tree_value(cluster));
    inv.insert(Value::from("namespace"), Value::from(ns));
    let mut data = BTreeMap::new();
    data.insert(Value::from("inventory"), Value::from(inv));
    data.insert(Value::from("settings"), Value::from(settings));
    EngineValue(Value::from(data))
}
