//! Rollout wait: every applied object that has a readiness (workloads, Jobs, PVCs, CRDs,
//! LoadBalancer Services when asked) is followed through a watch stream until it is ready,
//! fails, or the deadline passes; the decision is `ready::readiness`, a pure function. Objects
//! still not ready at the end are explained from their pods' status and Events.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;

use crate::cluster::Cluster;
use crate::cluster::discovery::ResourceType;
use crate::diag::Diagnostic;

use super::apply::Types;
use super::plan::Item;
use super::ready::{self, Readiness, ReadyOptions};

/// Receives progress (the CLI draws it on a terminal).
pub trait WaitProgress: Send + Sync {
    fn update(&self, _ready: usize, _total: usize, _latest: &str) {}
}

pub struct NoWaitProgress;
impl WaitProgress for NoWaitProgress {}

/// One object waited for and how it ended.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Waited {
    pub object: String,
    pub readiness: Readiness,
}

/// The rollout's result.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Rollout {
    /// Every object ready.
    pub ready: bool,
    /// The deadline passed with objects not ready.
    pub timed_out: bool,
    pub objects: Vec<Waited>,
    /// Why objects are not ready: from their pods and Events, one line each.
    pub problems: Vec<String>,
    pub seconds: f64,
}

impl Rollout {
    /// One line saying what is not ready and why.
    pub fn summary(&self) -> String {
        let pending: Vec<String> = self
            .objects
            .iter()
            .filter(|w| w.readiness != Readiness::Ready)
            .map(|w| match &w.readiness {
                Readiness::Progressing(why) => format!("{} ({why})", w.object),
                Readiness::Failed(why) => format!("{} failed ({why})", w.object),
                Readiness::Ready => w.object.clone(),
            })
            .collect();
        if pending.is_empty() {
            format!(
                "{} objects ready in {:.1} s",
                self.objects.len(),
                self.seconds
            )
        } else {
            format!(
                "{} of {} objects not ready{}: {}",
                pending.len(),
                self.objects.len(),
                if self.timed_out {
                    " at the timeout"
                } else {
                    ""
                },
                pending.join("; ")
            )
        }
    }
}

/// Follows one object until it is ready or failed, or `deadline`.
async fn follow(
    cluster: &Cluster,
    t: &ResourceType,
    item: &Item,
    opts: ReadyOptions,
    deadline: Instant,
) -> Result<(Readiness, Option<Value>), Diagnostic> {
    let ns = item.namespace.as_deref();
    let mut last = Readiness::Progressing("waiting for the controller to observe it".into());
    let mut last_obj = None;
    loop {
        if let Some(obj) = cluster.get_object(t, ns, &item.name).await? {
            last = ready::readiness(&obj, opts);
            last_obj = Some(obj);
            if !matches!(last, Readiness::Progressing(_)) {
                return Ok((last, last_obj));
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok((last, last_obj));
        }
        let secs = left.as_secs().clamp(1, 60) as u32;
        let stream = cluster.watch_object(t, ns, &item.name, secs).await?;
        futures::pin_mut!(stream);
        let until = tokio::time::Instant::from_std(deadline);
        loop {
            match tokio::time::timeout_at(until, stream.next()).await {
                Err(_) => return Ok((last, last_obj)),
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    tracing::debug!("watch {}: {e}", item.shown());
                    break;
                }
                Ok(Some(Ok(None))) => {
                    last = Readiness::Failed("deleted while waiting".into());
                    return Ok((last, None));
                }
                Ok(Some(Ok(Some(obj)))) => {
                    last = ready::readiness(&obj, opts);
                    last_obj = Some(obj);
                    if !matches!(last, Readiness::Progressing(_)) {
                        return Ok((last, last_obj));
                    }
                }
            }
        }
    }
}

/// Waits for every object of `items` that has a readiness, concurrently.
pub async fn wait(
    cluster: &Cluster,
    types: &Types,
    items: &[Item],
    timeout: Duration,
    opts: ReadyOptions,
    progress: &dyn WaitProgress,
) -> Result<Rollout, Diagnostic> {
    let start = Instant::now();
    let deadline = start + timeout;
    let waited: Vec<(&Item, ResourceType)> = items
        .iter()
        .filter(|i| ready::waits_for(&i.api_version, &i.kind))
        .filter_map(|i| types.get(&i.api_version, &i.kind).map(|t| (i, t.clone())))
        .collect();
    let total = waited.len();
    progress.update(0, total, "");
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results = futures::future::join_all(waited.iter().map(|(item, t)| {
        let done = &done;
        async move {
            let r = follow(cluster, t, item, opts, deadline).await;
            if matches!(r, Ok((Readiness::Ready, _))) {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress.update(n, total, &item.shown());
            }
            r
        }
    }))
    .await;
    let mut rollout = Rollout {
        seconds: start.elapsed().as_secs_f64(),
        ..Rollout::default()
    };
    let mut stuck: Vec<(&Item, Value)> = Vec::new();
    for ((item, _), r) in waited.iter().zip(results) {
        let (readiness, obj) = r?;
        if readiness != Readiness::Ready
            && let Some(o) = obj
        {
            stuck.push((item, o));
        }
        rollout.objects.push(Waited {
            object: item.shown(),
            readiness,
        });
    }
    rollout.ready = rollout
        .objects
        .iter()
        .all(|w| w.readiness == Readiness::Ready);
    rollout.timed_out = !rollout.ready
        && rollout
            .objects
            .iter()
            .any(|w| matches!(w.readiness, Readiness::Progressing(_)));
    if !stuck.is_empty() {
        rollout.problems = explain(cluster, types, &stuck).await;
    }
    Ok(rollout)
}

/// Why the stuck objects are not ready, from their pods and the namespace's Events.
async fn explain(cluster: &Cluster, types: &Types, stuck: &[(&Item, Value)]) -> Vec<String> {
    let (Some(pods_t), Some(events_t)) = (types.get("v1", "Pod"), types.get("v1", "Event")) else {
        return Vec::new();
    };
    let mut namespaces: Vec<&str> = stuck
        .iter()
        .filter_map(|(i, _)| i.namespace.as_deref())
        .collect();
    namespaces.sort();
    namespaces.dedup();
    let mut pods = Vec::new();
    let mut events = Vec::new();
    for ns in namespaces {
        pods.extend(
            cluster
                .list_objects(pods_t, Some(ns), None)
                .await
                .unwrap_or_default(),
        );
        events.extend(
            cluster
                .list_objects(events_t, Some(ns), None)
                .await
                .unwrap_or_default(),
        );
    }
    let mut out = Vec::new();
    for (item, obj) in stuck {
        let mine = ready::pods_of(obj, &pods);
        let theirs = ready::events_for(obj, &mine, &events);
        let mine: Vec<Value> = mine.into_iter().cloned().collect();
        let theirs: Vec<Value> = theirs.into_iter().cloned().collect();
        for p in ready::pod_problems(&mine, &theirs, 5) {
            out.push(format!("{}: {p}", item.shown()));
        }
    }
    out
}
