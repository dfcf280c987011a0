//! Reading live state: every selected resource type listed page by page (`limit` /
//! `continue`), several types at once (bounded), each page cleaned and handed to a sink as
//! soon as it arrives, so a huge cluster never sits in memory as raw JSON. A type the
//! identity may not list is one `forbidden` error; everything else is still read.

use futures::StreamExt;
use kube::Resource;
use kube::api::{DynamicObject, ListParams};
use serde_json::Value;

use crate::diag::{Code, Diagnostic};

use super::clean::{self, LiveMeta};
use super::discovery::{self, ResourceType};
use super::{Cluster, retry};

/// What to read.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// `--namespace` (repeatable); empty = every namespace and the cluster-scoped types.
    pub namespaces: Vec<String>,
    /// `--kinds`; empty = every listable type but runtime state (events, leases, ...).
    pub kinds: Vec<String>,
    /// `--exclude-kinds`.
    pub exclude_kinds: Vec<String>,
    /// `--selector` / `-l`.
    pub label_selector: Option<String>,
    /// `--field-selector`.
    pub field_selector: Option<String>,
    /// Also objects a controller made from a scanned template (ReplicaSets of Deployments,
    /// their Pods, Jobs of CronJobs).
    pub include_owned: bool,
    /// Objects per page.
    pub page_size: u32,
    /// Lists in flight at once.
    pub concurrency: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            namespaces: Vec::new(),
            kinds: Vec::new(),
            exclude_kinds: Vec::new(),
            label_selector: None,
            field_selector: None,
            include_owned: false,
            page_size: 500,
            concurrency: 8,
        }
    }
}

/// One cleaned live object.
#[derive(Clone, Debug)]
pub struct LiveObject {
    pub context: String,
    pub object: Value,
    pub meta: LiveMeta,
}

impl LiveObject {
    pub fn kind(&self) -> &str {
        self.object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
    }
}

/// What a read did.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    /// Resource types listed.
    pub types: usize,
    /// Objects handed to the sink.
    pub objects: usize,
    /// Objects left out because a scanned template made them.
    pub owned: usize,
    /// Requests that failed (forbidden types first of all); the rest was read.
    pub errors: Vec<Diagnostic>,
}

/// One list to run: a type, in one namespace or across all.
struct Job {
    rtype: ResourceType,
    namespace: Option<String>,
}

/// Reads the live state `opts` selects, handing each cleaned page to `sink`.
pub async fn read(
    cluster: &Cluster,
    opts: &ReadOptions,
    sink: &mut (dyn FnMut(Vec<LiveObject>) + Send),
) -> Result<ReadOutcome, Diagnostic> {
    let all = discovery::discover(cluster).await?;
    let (types, unmatched) = discovery::select(&all, &opts.kinds, &opts.exclude_kinds);
    if !unmatched.is_empty() {
        return Err(Diagnostic::new(
            Code::Settings,
            format!(
                "--kinds {} names no resource type of context {} (see `kubectl api-resources`)",
                unmatched.join(", "),
                cluster.context()
            ),
        ));
    }
    let jobs = jobs(&types, &opts.namespaces);
    let mut outcome = ReadOutcome {
        types: types.len(),
        ..ReadOutcome::default()
    };
    let mut pages = futures::stream::iter(jobs)
        .map(|job| Box::pin(pages(cluster, job, opts)))
        .flatten_unordered(opts.concurrency.max(1));
    while let Some(page) = pages.next().await {
        match page {
            Ok(objects) => {
                let before = objects.len();
                let kept: Vec<LiveObject> = objects
                    .into_iter()
                    .filter(|o| {
                        opts.include_owned || !clean::made_from_scanned_template(o.kind(), &o.meta)
                    })
                    .collect();
                outcome.owned += before - kept.len();
                outcome.objects += kept.len();
                if !kept.is_empty() {
                    sink(kept);
                }
            }
            Err(e) => outcome.errors.push(e),
        }
    }
    outcome.errors.sort();
    Ok(outcome)
}

/// The lists to run: with namespaces given, each namespaced type once per namespace and of
/// the cluster-scoped types only the Namespaces themselves (their labels carry the Pod
/// Security level); without, every type once across the cluster.
fn jobs(types: &[ResourceType], namespaces: &[String]) -> Vec<Job> {
    let mut out = Vec::new();
    for t in types {
        if namespaces.is_empty() {
            out.push(Job {
                rtype: t.clone(),
                namespace: None,
            });
        } else if t.namespaced {
            out.extend(namespaces.iter().map(|ns| Job {
                rtype: t.clone(),
                namespace: Some(ns.clone()),
            }));
        } else if t.kind == "Namespace" && t.group.is_empty() {
            out.push(Job {
                rtype: t.clone(),
                namespace: None,
            });
        }
    }
    out
}

/// The pages of one list, as a stream; a failure ends it with one error.
fn pages<'a>(
    cluster: &'a Cluster,
    job: Job,
    opts: &'a ReadOptions,
) -> impl futures::Stream<Item = Result<Vec<LiveObject>, Diagnostic>> + Send + 'a {
    // State: the continue token of the next page, or None when done.
    let job = std::sync::Arc::new(job);
    futures::stream::unfold(Some(String::new()), move |token| {
        let job = job.clone();
        async move {
            let token = token?;
            match page(cluster, &job, opts, &token).await {
                Ok((objects, next)) => Some((Ok(objects), next)),
                Err(e) => Some((Err(e), None)),
            }
        }
    })
}

/// One page: its objects (cleaned, typed) and the next continue token.
async fn page(
    cluster: &Cluster,
    job: &Job,
    opts: &ReadOptions,
    token: &str,
) -> Result<(Vec<LiveObject>, Option<String>), Diagnostic> {
    let t = &job.rtype;
    let ar = t.api_resource();
    let namespaced = job.namespace.as_deref().filter(|_| t.namespaced);
    let url = DynamicObject::url_path(&ar, namespaced);
    let mut lp = ListParams::default().limit(opts.page_size);
    if !token.is_empty() {
        lp = lp.continue_token(token);
    }
    if let Some(l) = &opts.label_selector {
        lp = lp.labels(l);
    }
    if let Some(f) = &opts.field_selector {
        lp = lp.fields(f);
    }
    let what = match namespaced {
        Some(ns) => format!("list {} in namespace {ns}", t.qualified()),
        None => format!("list {}", t.qualified()),
    };
    let list: Value = retry::read(cluster, &what, || {
        let req = kube::core::Request::new(url.clone()).list(&lp);
        async move {
            let req = req.map_err(kube::Error::BuildRequest)?;
            cluster.client().request::<Value>(req).await
        }
    })
    .await?;
    let next = list
        .pointer("/metadata/continue")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let Value::Object(mut list) = list else {
        return Ok((Vec::new(), None));
    };
    let items = match list.remove("items") {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let only_namespaces = !opts.namespaces.is_empty() && !t.namespaced;
    let objects = items
        .into_iter()
        .filter_map(|mut obj| {
            let map = obj.as_object_mut()?;
            // List items carry no apiVersion/kind of their own on a real API server.
            map.insert("apiVersion".into(), Value::String(t.api_version.clone()));
            map.insert("kind".into(), Value::String(t.kind.clone()));
            if only_namespaces {
                let name = obj.pointer("/metadata/name").and_then(Value::as_str)?;
                if !opts.namespaces.iter().any(|n| n == name) {
                    return None;
                }
            }
            let meta = clean::clean(&mut obj);
            Some(LiveObject {
                context: cluster.context().to_string(),
                object: obj,
                meta,
            })
        })
        .collect();
    Ok((objects, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(kind: &str, namespaced: bool) -> ResourceType {
        ResourceType {
            group: String::new(),
            version: "v1".into(),
            api_version: "v1".into(),
            kind: kind.into(),
            plural: format!("{}s", kind.to_ascii_lowercase()),
            namespaced,
            verbs: vec!["list".into()],
        }
    }

    #[test]
    fn namespaces_narrow_the_lists_and_keep_their_namespace_objects() {
        let types = [t("Pod", true), t("Namespace", false), t("Node", false)];
        let all = jobs(&types, &[]);
        assert_eq!(all.len(), 3);
        let some = jobs(&types, &["a".to_string(), "b".to_string()]);
        let shown: Vec<String> = some
            .iter()
            .map(|j| format!("{}@{}", j.rtype.kind, j.namespace.as_deref().unwrap_or("*")))
            .collect();
        assert_eq!(shown, ["Pod@a", "Pod@b", "Namespace@*"]);
    }
}
