//! Applying a plan: a server-side dry run of every object first (so an invalid object, a
//! field-manager conflict or an immutable field stops the deploy before anything changes),
//! then the real apply in order, CRDs waited for until established, and pruning of the
//! set's former members.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cluster::Cluster;
use crate::cluster::diff::{self, Change, ObjectDiff};
use crate::cluster::discovery::{self, ResourceType};
use crate::cluster::ops::{ApplyOptions, OpError, Refusal};
use crate::diag::{Code, Diagnostic};

use super::plan::{self, Item};

/// A field another manager owns.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Conflict {
    pub object: String,
    pub field: String,
    pub message: String,
}

/// What the dry-run pass found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Per object: the change it would make (with a masked diff); deferred objects are
    /// creations marked `deferred`.
    pub diffs: Vec<ObjectDiff>,
    pub conflicts: Vec<Conflict>,
    pub errors: Vec<Diagnostic>,
    /// Objects that could not be dry-run because their type or namespace is created by
    /// the same deploy (checked when applied).
    pub deferred: Vec<String>,
}

/// The resource types by (apiVersion, kind): every served version, and the preferred one
/// of each kind for reading.
pub struct Types(BTreeMap<(String, String), ResourceType>, Vec<ResourceType>);

impl Types {
    pub async fn discover(cluster: &Cluster) -> Result<Types, Diagnostic> {
        let all = discovery::discover_versions(cluster).await?;
        let mut map = BTreeMap::new();
        let mut preferred = Vec::new();
        for (t, is_preferred) in all {
            if is_preferred {
                preferred.push(t.clone());
            }
            map.insert((t.api_version.clone(), t.kind.clone()), t);
        }
        Ok(Types(map, preferred))
    }

    /// Types given as they are (all preferred), for tests and callers that discovered
    /// already.
    pub fn from_types(types: Vec<ResourceType>) -> Types {
        Types(
            types
                .iter()
                .map(|t| ((t.api_version.clone(), t.kind.clone()), t.clone()))
                .collect(),
            types,
        )
    }

    pub fn get(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        self.0.get(&(api_version.to_string(), kind.to_string()))
    }

    /// Every kind at its preferred version.
    pub fn all(&self) -> impl Iterator<Item = &ResourceType> {
        self.1.iter()
    }
}

/// A refusal explained: the message and, for the usual mistakes, the fix.
pub fn explain(item: &Item, r: &Refusal) -> String {
    let causes: Vec<String> = r
        .causes
        .iter()
        .map(|c| {
            if c.field.is_empty() {
                c.message.clone()
            } else {
                format!("{}: {}", c.field, c.message)
            }
        })
        .collect();
    let mut msg = if causes.is_empty() {
        r.message.clone()
    } else {
        causes.join("; ")
    };
    let text = format!("{} {}", r.message, msg).to_ascii_lowercase();
    if text.contains("immutable") {
        msg.push_str(&format!(
            " — this field cannot change on a live {kind}: keep its old value, or delete and re-create the object (kubectl delete {} {} -n {}), which restarts what it runs",
            item.kind.to_ascii_lowercase(),
            item.name,
            item.namespace.as_deref().unwrap_or("-"),
            kind = item.kind
        ));
    }
    msg.replace(['\n', '\r'], " ")
}

fn conflicts_of(item: &Item, r: &Refusal) -> Vec<Conflict> {
    let mut out: Vec<Conflict> = r
        .causes
        .iter()
        .filter(|c| c.reason == "FieldManagerConflict" || !c.field.is_empty())
        .map(|c| Conflict {
            object: item.shown(),
            field: c.field.clone(),
            message: c.message.clone(),
        })
        .collect();
    if out.is_empty() {
        out.push(Conflict {
            object: item.shown(),
            field: String::new(),
            message: r.message.clone(),
        });
    }
    out
}

/// Namespaces the plan itself creates.
fn created_namespaces(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .filter(|i| i.kind == "Namespace" && i.api_version == "v1")
        .map(|i| i.name.clone())
        .collect()
}

/// How many objects the dry-run pass checks at once (each is a GET and a dry-run apply).
const CHECK_CONCURRENCY: usize = 8;

/// What a deferred object would do: created (its type or namespace does not exist yet),
/// shown as written (cleaned, Secret values masked) under a note that the server checks it
/// only when it is applied.
pub fn deferred_diff(item: &Item, why: &str) -> Result<ObjectDiff, Diagnostic> {
    let shown = item.shown();
    let mut d = diff::compare(None, item.object.clone(), &shown, &item.file)?;
    d.deferred = true;
    d.diff = format!(
        "# {shown}: created, checked when applied ({why})\n{}",
        d.diff
    );
    Ok(d)
}

/// What the dry run of one object found.
enum Checked1 {
    Deferred(ObjectDiff),
    Diff(ObjectDiff),
    Conflicts(Vec<Conflict>),
    Error(Diagnostic),
}

fn deferred(item: &Item, why: &str) -> Checked1 {
    match deferred_diff(item, why) {
        Ok(d) => Checked1::Deferred(d),
        Err(e) => Checked1::Error(e),
    }
}

async fn check_one(
    cluster: &Cluster,
    types: &Types,
    items: &[Item],
    item: &Item,
    new_namespaces: &[String],
    opts: &ApplyOptions,
) -> Checked1 {
    let Some(t) = types.get(&item.api_version, &item.kind) else {
        let defined_here = items.iter().any(|i| {
            i.kind == "CustomResourceDefinition"
                && i.object
                    .pointer("/spec/group")
                    .and_then(Value::as_str)
                    .is_some_and(|g| item.api_version.starts_with(&format!("{g}/")))
        });
        if defined_here {
            return deferred(
                item,
                "its CustomResourceDefinition is created by this deploy",
            );
        }
        return Checked1::Error(
            Diagnostic::new(
                Code::InvalidObject,
                format!(
                    "{} {} is not served by {} (context {}): is its CRD installed?",
                    item.api_version,
                    item.kind,
                    cluster.server(),
                    cluster.context()
                ),
            )
            .file(item.file.clone())
            .line(Some(item.line)),
        );
    };
    if let Some(ns) = &item.namespace
        && new_namespaces.contains(ns)
    {
        // The namespace does not exist yet: a dry run would say NotFound.
        let live_ns = cluster
            .get_object(types.get("v1", "Namespace").unwrap_or(t), None, ns)
            .await;
        if !matches!(live_ns, Ok(Some(_))) {
            return deferred(item, &format!("namespace {ns} is created by this deploy"));
        }
    }
    let live = match cluster
        .get_object(t, item.namespace.as_deref(), &item.name)
        .await
    {
        Ok(l) => l,
        Err(e) => return Checked1::Error(e.file(item.file.clone()).line(Some(item.line))),
    };
    match cluster
        .apply_object(t, item.namespace.as_deref(), &item.object, opts)
        .await
    {
        Ok(after) => match diff::compare(live, after, &item.shown(), &item.file) {
            Ok(d) => Checked1::Diff(d),
            Err(e) => Checked1::Error(e),
        },
        Err(OpError::Refused(r)) if r.code == 409 => Checked1::Conflicts(conflicts_of(item, &r)),
        Err(OpError::Refused(r)) if r.code == 404 && item.namespace.is_some() => Checked1::Error(
            Diagnostic::new(
                Code::InvalidObject,
                format!(
                    "namespace {} does not exist (--create-namespace creates it): {}",
                    item.namespace.as_deref().unwrap_or(""),
                    r.message
                ),
            )
            .file(item.file.clone())
            .line(Some(item.line)),
        ),
        Err(OpError::Refused(r)) => Checked1::Error(
            Diagnostic::new(
                Code::InvalidObject,
                format!(
                    "{} rejected by the server: {}",
                    item.shown(),
                    explain(item, &r)
                ),
            )
            .file(item.file.clone())
            .line(Some(item.line)),
        ),
        Err(OpError::Failed(d)) => Checked1::Error(d),
    }
}

/// The dry-run pass over every object: nothing changes in the cluster. Objects are checked
/// a few at a time; the results keep the plan's order.
pub async fn check(cluster: &Cluster, types: &Types, items: &[Item], force: bool) -> Checked {
    use futures::StreamExt;
    let mut out = Checked::default();
    let new_namespaces = created_namespaces(items);
    let opts = ApplyOptions {
        force,
        dry_run: true,
        ..ApplyOptions::default()
    };
    let mut results = futures::stream::iter(items.iter())
        .map(|item| check_one(cluster, types, items, item, &new_namespaces, &opts))
        .buffered(CHECK_CONCURRENCY);
    while let Some(r) = results.next().await {
        match r {
            Checked1::Deferred(d) => {
                out.deferred.push(d.object.clone());
                out.diffs.push(d);
            }
            Checked1::Diff(d) => out.diffs.push(d),
            Checked1::Conflicts(c) => out.conflicts.extend(c),
            Checked1::Error(e) => out.errors.push(e),
        }
    }
    out
}

/// What the real apply did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Objects applied, in order, with the change each made.
    pub applied: Vec<(String, Change)>,
    /// Objects not applied because an earlier one failed.
    pub not_applied: Vec<String>,
    pub errors: Vec<Diagnostic>,
}

/// Applies every object in order; stops at the first failure (what was applied and what
/// was not are both reported).
pub async fn apply(
    cluster: &Cluster,
    types: &mut Types,
    items: &[Item],
    force: bool,
    timeout: Duration,
) -> Applied {
    let mut out = Applied::default();
    let opts = ApplyOptions {
        force,
        ..ApplyOptions::default()
    };
    for (n, item) in items.iter().enumerate() {
        let stop = |out: &mut Applied, e: Diagnostic| {
            out.errors.push(e);
            out.not_applied.extend(items[n..].iter().map(Item::shown));
        };
        if types.get(&item.api_version, &item.kind).is_none() {
            // A custom resource whose CRD this deploy just created: discover again.
            match Types::discover(cluster).await {
                Ok(t) => *types = t,
                Err(e) => {
                    stop(&mut out, e);
                    return out;
                }
            }
        }
        let Some(t) = types.get(&item.api_version, &item.kind).cloned() else {
            stop(
                &mut out,
                Diagnostic::new(
                    Code::InvalidObject,
                    format!(
                        "{} {} is not served by the cluster",
                        item.api_version, item.kind
                    ),
                )
                .file(item.file.clone())
                .line(Some(item.line)),
            );
            return out;
        };
        let existed = match cluster
            .get_object(&t, item.namespace.as_deref(), &item.name)
            .await
        {
            Ok(l) => l,
            Err(e) => {
                stop(&mut out, e);
                return out;
            }
        };
        match cluster
            .apply_object(&t, item.namespace.as_deref(), &item.object, &opts)
            .await
        {
            Ok(after) => {
                let change = match &existed {
                    None => Change::Create,
                    Some(b) => {
                        let (mut b, mut a) = (b.clone(), after.clone());
                        crate::cluster::clean::clean(&mut b);
                        crate::cluster::clean::clean(&mut a);
                        if a == b {
                            Change::Unchanged
                        } else {
                            Change::Update
                        }
                    }
                };
                out.applied.push((item.shown(), change));
            }
            Err(e) => {
                let d = match &e {
                    OpError::Refused(r) => Diagnostic::new(
                        Code::InvalidObject,
                        format!(
                            "{} rejected by the server: {}",
                            item.shown(),
                            explain(item, r)
                        ),
                    )
                    .file(item.file.clone())
                    .line(Some(item.line)),
                    OpError::Failed(d) => d.clone(),
                };
                stop(&mut out, d);
                return out;
            }
        }
        if item.kind == "CustomResourceDefinition"
            && let Err(e) = wait_established(cluster, &t, &item.name, timeout).await
        {
            out.errors.push(e);
            out.not_applied
                .extend(items[n + 1..].iter().map(Item::shown));
            return out;
        }
    }
    out
}

/// Waits for a CRD's `Established` condition.
async fn wait_established(
    cluster: &Cluster,
    t: &ResourceType,
    name: &str,
    timeout: Duration,
) -> Result<(), Diagnostic> {
    let start = Instant::now();
    loop {
        if let Some(crd) = cluster.get_object(t, None, name).await? {
            let established = crd
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|cs| {
                    cs.iter().any(|c| {
                        c.get("type").and_then(Value::as_str) == Some("Established")
                            && c.get("status").and_then(Value::as_str) == Some("True")
                    })
                });
            if established {
                return Ok(());
            }
        }
        if start.elapsed() >= timeout {
            return Err(Diagnostic::new(
                Code::Cluster,
                format!(
                    "CustomResourceDefinition {name} was not established within {} s",
                    timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Deletes the set's former members that the plan no longer has (dry-run aware). The
/// group-kinds and namespaces come from the parent as recorded before this deploy and from
/// the plan. Returns what was (or would be) pruned.
pub async fn prune(
    cluster: &Cluster,
    types: &Types,
    items: &[Item],
    previous_parent: Option<&Value>,
    set_namespace: &str,
    id: &str,
    dry_run: bool,
) -> Result<Vec<String>, Diagnostic> {
    let (mut kinds, mut namespaces) = previous_parent
        .map(plan::parent_members)
        .unwrap_or_default();
    kinds.extend(items.iter().map(Item::group_kind));
    kinds.sort();
    kinds.dedup();
    namespaces.push(set_namespace.to_string());
    namespaces.extend(items.iter().filter_map(|i| i.namespace.clone()));
    namespaces.sort();
    namespaces.dedup();
    let selector = format!("{}={id}", plan::PART_OF);
    let mut pruned = Vec::new();
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
                if plan::is_pruned(&live, id, items) {
                    let name = live
                        .pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    cluster
                        .delete_object(t, ns, &name, dry_run)
                        .await
                        .map_err(|e| e.diagnostic(&format!("prune {}/{name}", t.kind)))?;
                    pruned.push(match ns {
                        Some(n) => format!("{}/{n}/{name}", t.kind),
                        None => format!("{}/{name}", t.kind),
                    });
                }
            }
        }
    }
    Ok(pruned)
}
