//! A copy of some resource types of a cluster kept current by list + watch, for the
//! admission webhook's cross-resource rules. Each type is listed, then watched from the
//! list's resourceVersion; a watch the server ends is re-opened from the last version
//! seen, a 410 Gone lists again, and a failure waits (doubling up to a minute) and starts
//! over. Readers take a snapshot; a counter tells them something changed.
//!
//! What is kept is what the rules read: never Secrets or ConfigMaps (their values are no
//! business of an admission cache), and `metadata.managedFields` is dropped on arrival.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use tokio::sync::watch;

use super::Cluster;
use super::discovery::ResourceType;
use super::ops::{Change, Selectors};

pub use crate::k8s::INVENTORY_KINDS;

/// The served types to mirror: the preferred version of each [`INVENTORY_KINDS`] kind that
/// can be listed and watched.
pub fn inventory_types(served: &[ResourceType]) -> Vec<ResourceType> {
    let mut seen = BTreeSet::new();
    served
        .iter()
        .filter(|t| INVENTORY_KINDS.contains(&t.kind.as_str()))
        .filter(|t| t.can("list") && t.can("watch"))
        .filter(|t| seen.insert((t.group.clone(), t.kind.clone())))
        .cloned()
        .collect()
}

type Key = (String, Option<String>, String);

#[derive(Default)]
struct State {
    objects: BTreeMap<String, BTreeMap<(Option<String>, String), Value>>,
    /// Types listed at least once.
    synced: BTreeSet<String>,
    /// The last failure of each type that is failing now.
    failing: BTreeMap<String, String>,
}

/// The mirrored objects.
pub struct Mirror {
    state: Mutex<State>,
    types: usize,
    changed: watch::Sender<u64>,
}

impl Mirror {
    pub fn new(types: usize) -> Arc<Mirror> {
        Arc::new(Mirror {
            state: Mutex::new(State::default()),
            types,
            changed: watch::channel(0).0,
        })
    }

    /// Notified (with a growing number) after every change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Every type was listed once.
    pub fn synced(&self) -> bool {
        self.state
            .lock()
            .map(|s| s.synced.len() >= self.types)
            .unwrap_or(false)
    }

    /// Every type was listed once or is failing now (waiting longer tells nothing new).
    pub fn settled(&self) -> bool {
        self.state
            .lock()
            .map(|s| s.synced.union(&s.failing.keys().cloned().collect()).count() >= self.types)
            .unwrap_or(true)
    }

    /// The failures of the types failing now (type: message).
    pub fn failing(&self) -> Vec<String> {
        self.state
            .lock()
            .map(|s| s.failing.iter().map(|(t, m)| format!("{t}: {m}")).collect())
            .unwrap_or_default()
    }

    /// Every object, by type, namespace and name.
    pub fn snapshot(&self) -> Vec<Value> {
        self.state
            .lock()
            .map(|s| {
                s.objects
                    .values()
                    .flat_map(|m| m.values().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The objects of one mirrored type (by its qualified name, e.g. `deployments.apps`).
    pub fn objects_of(&self, qualified: &str) -> Vec<Value> {
        self.state
            .lock()
            .map(|s| {
                s.objects
                    .get(qualified)
                    .map(|m| m.values().cloned().collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    }

    fn with(&self, f: impl FnOnce(&mut State)) {
        if let Ok(mut s) = self.state.lock() {
            f(&mut s);
        }
        self.changed.send_modify(|n| *n += 1);
    }

    fn replace(&self, t: &str, items: Vec<Value>) {
        self.with(|s| {
            let m = items
                .into_iter()
                .filter_map(|v| {
                    let (_, ns, name) = key(t, &v)?;
                    Some(((ns, name), strip(v)))
                })
                .collect();
            s.objects.insert(t.to_string(), m);
            s.synced.insert(t.to_string());
            s.failing.remove(t);
        });
    }

    fn put(&self, t: &str, v: Value) {
        if let Some((_, ns, name)) = key(t, &v) {
            self.with(|s| {
                s.objects
                    .entry(t.to_string())
                    .or_default()
                    .insert((ns, name), strip(v));
            });
        }
    }

    fn remove(&self, t: &str, v: &Value) {
        if let Some((_, ns, name)) = key(t, v) {
            self.with(|s| {
                if let Some(m) = s.objects.get_mut(t) {
                    m.remove(&(ns, name));
                }
            });
        }
    }

    fn fail(&self, t: &str, message: String) {
        if let Ok(mut s) = self.state.lock() {
            s.failing.insert(t.to_string(), message);
        }
    }
}

fn key(t: &str, v: &Value) -> Option<Key> {
    let name = v.pointer("/metadata/name")?.as_str()?.to_string();
    let ns = v
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map(str::to_string);
    Some((t.to_string(), ns, name))
}

/// Drops what no rule reads and what only costs memory.
fn strip(mut v: Value) -> Value {
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    v
}

/// The last resourceVersion a change carries.
fn version_of(v: &Value) -> Option<String> {
    v.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Keeps `mirror` current for `types` until the task is dropped.
pub async fn run(cluster: Cluster, types: Vec<ResourceType>, mirror: Arc<Mirror>) {
    let follows = types
        .into_iter()
        .map(|t| Follow {
            t,
            namespace: None,
            fields: None,
            keep: None,
        })
        .collect();
    run_selected(cluster, follows, mirror).await
}

/// One type to follow: in one namespace or all, only the objects matching a field
/// selector when given (e.g. Events of `type=Warning`). Its objects are kept under
/// [`Follow::name`].
#[derive(Clone, Debug)]
pub struct Follow {
    pub t: ResourceType,
    pub namespace: Option<String>,
    pub fields: Option<String>,
    /// What of each object is kept (e.g. a pod's status without its spec); all of it when
    /// `None`.
    pub keep: Option<fn(Value) -> Value>,
}

impl Follow {
    /// The type's qualified name, with `@namespace` when one namespace is followed.
    pub fn name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}@{ns}", self.t.qualified()),
            None => self.t.qualified(),
        }
    }
}

/// [`run`] for [`Follow`]s (each kept under its own name; a [`Mirror`] made for them
/// counts one type per follow).
pub async fn run_selected(cluster: Cluster, follows: Vec<Follow>, mirror: Arc<Mirror>) {
    let tasks = follows.into_iter().map(|f| {
        let cluster = cluster.clone();
        let mirror = mirror.clone();
        async move { follow(&cluster, &f, &mirror).await }
    });
    futures::future::join_all(tasks).await;
}

async fn follow(cluster: &Cluster, f: &Follow, mirror: &Mirror) {
    let sel = Selectors::fields(f.fields.as_deref());
    let keep = f.keep.unwrap_or(|v| v);
    let t = &f.t;
    let ns = f.namespace.as_deref();
    let name = f.name();
    // The server ends each watch before the client's read timeout would cut it.
    let watch_secs = (cluster.timeout().as_secs().saturating_sub(1)).clamp(1, 290) as u32;
    let mut backoff = Duration::from_millis(500);
    loop {
        // Cut to `keep` page by page: a list of many pods never sits whole in memory.
        let (items, mut rv) = match cluster.list_mapped(t, ns, &sel, keep).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(resource = %name, error = %e.message, "inventory list failed");
                mirror.fail(&name, e.message.clone());
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
                continue;
            }
        };
        mirror.replace(&name, items);
        backoff = Duration::from_millis(500);
        'watching: loop {
            let stream = match cluster.watch_selected(t, ns, &rv, watch_secs, &sel).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(resource = %name, error = %e.message, "inventory watch failed");
                    mirror.fail(&name, e.message.clone());
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                    break 'watching;
                }
            };
            futures::pin_mut!(stream);
            while let Some(change) = stream.next().await {
                match change {
                    Ok(Change::Put(v)) => {
                        rv = version_of(&v).unwrap_or(rv);
                        mirror.put(&name, keep(v));
                    }
                    Ok(Change::Gone(v)) => {
                        rv = version_of(&v).unwrap_or(rv);
                        mirror.remove(&name, &v);
                    }
                    Ok(Change::Bookmark(v)) if !v.is_empty() => rv = v,
                    Ok(Change::Bookmark(_)) => {}
                    Ok(Change::Expired) => break 'watching,
                    Err(e) => {
                        tracing::debug!(resource = %name, error = %e.message, "inventory watch ended");
                        continue 'watching;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(kind: &str, ns: Option<&str>, name: &str) -> Value {
        let mut v = serde_json::json!({
            "apiVersion": "v1", "kind": kind,
            "metadata": {"name": name, "managedFields": [{"manager": "kubectl"}]}
        });
        if let Some(ns) = ns {
            v["metadata"]["namespace"] = ns.into();
        }
        v
    }

    #[test]
    fn changes_replace_add_and_remove_objects_and_strip_managed_fields() {
        let m = Mirror::new(2);
        let mut rx = m.subscribe();
        m.replace(
            "serviceaccounts",
            vec![obj("ServiceAccount", Some("a"), "x")],
        );
        assert!(!m.synced());
        m.replace("namespaces", vec![obj("Namespace", None, "a")]);
        assert!(m.synced());
        m.put("serviceaccounts", obj("ServiceAccount", Some("b"), "x"));
        m.put("serviceaccounts", obj("ServiceAccount", Some("a"), "x"));
        assert_eq!(m.snapshot().len(), 3);
        m.remove("serviceaccounts", &obj("ServiceAccount", Some("a"), "x"));
        let snap = m.snapshot();
        assert_eq!(snap.len(), 2);
        assert!(
            snap.iter()
                .all(|v| v["metadata"].get("managedFields").is_none())
        );
        assert!(rx.has_changed().unwrap_or(false));
        assert_eq!(*rx.borrow_and_update(), 5);
    }

    #[test]
    fn only_listable_watchable_inventory_kinds_are_mirrored_once_each() {
        let t = |group: &str, version: &str, kind: &str, verbs: &[&str]| ResourceType {
            group: group.into(),
            version: version.into(),
            api_version: if group.is_empty() {
                version.into()
            } else {
                format!("{group}/{version}")
            },
            kind: kind.into(),
            plural: format!("{}s", kind.to_lowercase()),
            namespaced: true,
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
        };
        let served = vec![
            t("", "v1", "Secret", &["list", "watch"]),
            t("", "v1", "ServiceAccount", &["list", "watch"]),
            t("apps", "v1", "Deployment", &["list", "watch"]),
            t("apps", "v1beta1", "Deployment", &["list", "watch"]),
            t("policy", "v1", "PodDisruptionBudget", &["list"]),
        ];
        let kinds: Vec<String> = inventory_types(&served)
            .iter()
            .map(|t| t.api_version.clone() + " " + &t.kind)
            .collect();
        assert_eq!(kinds, ["v1 ServiceAccount", "apps/v1 Deployment"]);
    }
}
