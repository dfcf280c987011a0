//! Why pods are not ready, for a stalled or failed rollout: container states, pod
//! conditions and Warning Events as one deduplicated, ranked line each ([`pod_problems`]).

use std::collections::BTreeSet;

use serde_json::Value;

use super::matching::{event_object, is_warning, name, namespace};
use super::{at, condition, int, list, plural, reason_message, text};
use crate::report::escape;

/// Severity ranks, most severe first.
const BLOCKING: u8 = 0;
const WARNING: u8 = 1;
const PROBE: u8 = 2;

/// One problem before deduplication.
struct Problem {
    rank: u8,
    /// "pod web-abc-12345", "ReplicaSet web-abc".
    subject: String,
    /// What identifies the problem across pods (no pod name, no counts).
    key: String,
    detail: String,
}

/// Waiting reasons of a container that is stuck on its image.
const IMAGE_REASONS: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "ErrImageNeverPull",
    "InvalidImageName",
    "ImageInspectError",
    "RegistryUnavailable",
    "SignatureValidationFailed",
];

/// Waiting reasons of a container the kubelet could not create or start.
const CREATE_REASONS: &[&str] = &[
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "ContainerCannotRun",
    "PreCreateHookError",
    "PreStartHookError",
    "PostStartHookError",
];

/// Waiting reasons that are normal while a pod starts.
const NORMAL_WAITING: &[&str] = &["ContainerCreating", "PodInitializing"];

/// Pod event reasons that repeat what the pod's status already says.
const STATUS_EVENT_REASONS: &[&str] = &["BackOff", "Failed", "FailedScheduling", "InspectFailed"];

fn times(n: i64) -> String {
    plural(n, "time", "times")
}

/// The image of container `name` of a pod: from its status, else its spec.
fn image_of<'a>(pod: &'a Value, cs: &'a Value, name: &str) -> &'a str {
    text(cs, &["image"])
        .filter(|i| !i.is_empty())
        .or_else(|| {
            ["containers", "initContainers"]
                .iter()
                .flat_map(|f| list(pod, &["spec", f]))
                .find(|c| text(c, &["name"]) == Some(name))
                .and_then(|c| text(c, &["image"]))
        })
        .unwrap_or("?")
}

fn memory_limit<'a>(pod: &'a Value, name: &str) -> Option<&'a str> {
    ["containers", "initContainers"]
        .iter()
        .flat_map(|f| list(pod, &["spec", f]))
        .find(|c| text(c, &["name"]) == Some(name))
        .and_then(|c| text(c, &["resources", "limits", "memory"]))
}

/// The problems of one container status.
fn container_problems(pod: &Value, cs: &Value, init: bool, out: &mut Vec<(u8, String, String)>) {
    let label = if init { "init container" } else { "container" };
    let name = text(cs, &["name"]).unwrap_or("?");
    let restarts = int(cs, &["restartCount"]).unwrap_or(0);
    let last = at(cs, &["lastState", "terminated"]);
    let current = at(cs, &["state", "terminated"]);
    let oom = [last, current]
        .iter()
        .flatten()
        .any(|t| text(t, &["reason"]) == Some("OOMKilled"));
    let oom_note = || match memory_limit(pod, name) {
        Some(limit) => format!("OOMKilled, memory limit {limit}"),
        None => "OOMKilled".to_string(),
    };
    if let Some(w) = at(cs, &["state", "waiting"]) {
        let reason = text(w, &["reason"]).unwrap_or("");
        let message = text(w, &["message"]).unwrap_or("");
        let key = format!("{label}|{name}|{reason}");
        if reason == "CrashLoopBackOff" {
            let mut detail = format!(
                "{label} {name} CrashLoopBackOff (restarted {}",
                times(restarts)
            );
            if !message.is_empty() {
                detail.push_str(&format!(": {message}"));
            }
            if oom {
                detail.push_str(&format!("; last terminated {}", oom_note()));
            } else if let Some(t) = last {
                let code = int(t, &["exitCode"]).unwrap_or(0);
                let why = text(t, &["reason"]).unwrap_or("");
                detail.push_str(&format!("; last exit code {code}"));
                if !why.is_empty() {
                    detail.push_str(&format!(" ({why})"));
                }
            }
            detail.push(')');
            out.push((BLOCKING, key, detail));
            return;
        }
        if IMAGE_REASONS.contains(&reason) {
            let image = image_of(pod, cs, name);
            let mut detail = format!("{label} {name} {reason} for image {image}");
            if !message.is_empty() {
                detail.push_str(&format!(" ({message})"));
            }
            out.push((BLOCKING, format!("{key}|{image}"), detail));
            return;
        }
        if CREATE_REASONS.contains(&reason) {
            let detail = format!("{label} {name} {}", reason_message(reason, message, ""));
            out.push((BLOCKING, format!("{key}|{message}"), detail));
            return;
        }
        if !reason.is_empty() && !NORMAL_WAITING.contains(&reason) {
            let detail = format!("{label} {name} {}", reason_message(reason, message, ""));
            out.push((WARNING, key, detail));
        }
    }
    if oom {
        let detail = format!(
            "{label} {name} {} (restarted {})",
            oom_note(),
            times(restarts)
        );
        out.push((BLOCKING, format!("{label}|{name}|OOMKilled"), detail));
        return;
    }
    if let Some(t) = current {
        let code = int(t, &["exitCode"]).unwrap_or(0);
        if code != 0 {
            let why = reason_message(
                text(t, &["reason"]).unwrap_or(""),
                text(t, &["message"]).unwrap_or(""),
                "",
            );
            let mut detail = format!("{label} {name} exited with code {code}");
            if !why.is_empty() {
                detail.push_str(&format!(" ({why})"));
            }
            out.push((BLOCKING, format!("{label}|{name}|exit|{code}"), detail));
        }
    }
}

/// The problems pod status shows: (rank, key, detail).
fn status_problems(pod: &Value) -> Vec<(u8, String, String)> {
    let mut out = Vec::new();
    if let Some(c) = condition(pod, "PodScheduled")
        && c.status == "False"
    {
        let reason = if c.reason.is_empty() {
            "Unschedulable"
        } else {
            c.reason
        };
        out.push((
            BLOCKING,
            format!("unschedulable|{}", c.message),
            reason_message(reason, c.message, ""),
        ));
    }
    for cs in list(pod, &["status", "initContainerStatuses"]) {
        container_problems(pod, cs, true, &mut out);
    }
    for cs in list(pod, &["status", "containerStatuses"]) {
        container_problems(pod, cs, false, &mut out);
    }
    if text(pod, &["status", "phase"]) == Some("Failed") {
        // An evicted pod, a pod past its activeDeadlineSeconds; a pod whose containers
        // failed is explained by them.
        let reason = text(pod, &["status", "reason"]).unwrap_or("");
        let message = text(pod, &["status", "message"]).unwrap_or("");
        if !reason.is_empty() || out.is_empty() {
            out.push((
                BLOCKING,
                format!("failed|{reason}"),
                format!(
                    "failed: {}",
                    reason_message(reason, message, "phase Failed")
                ),
            ));
        }
    }
    out
}

/// How many times an event happened: `count` (core/v1) or `series.count`.
fn event_count(e: &Value) -> i64 {
    int(e, &["count"])
        .or_else(|| int(e, &["series", "count"]))
        .unwrap_or(1)
}

/// The container an event is about, from `fieldPath` ("spec.containers{app}").
fn event_container(e: &Value) -> Option<&str> {
    let path = e
        .get("involvedObject")
        .or_else(|| e.get("regarding"))
        .and_then(|o| text(o, &["fieldPath"]))?;
    let start = path.find('{')?;
    path.get(start + 1..)?.strip_suffix('}')
}

fn event_problem(e: &Value, subject: String, is_pod: bool) -> Problem {
    let reason = text(e, &["reason"]).unwrap_or("");
    let message = text(e, &["message"])
        .or_else(|| text(e, &["note"]))
        .unwrap_or("");
    let n = event_count(e);
    let seen = if n > 1 {
        format!(" ({})", times(n))
    } else {
        String::new()
    };
    let container = event_container(e);
    let on = container.map_or(String::new(), |c| format!("container {c} "));
    if reason == "Unhealthy" {
        // "Readiness probe failed: ..." with a pod IP in it: the probe is the key.
        let probe = message.split(':').next().unwrap_or("");
        return Problem {
            rank: PROBE,
            subject,
            key: format!("event|Unhealthy|{}|{probe}", container.unwrap_or("")),
            detail: format!("{on}Unhealthy: {message}{seen}"),
        };
    }
    let rank = if reason == "FailedCreate" {
        BLOCKING
    } else {
        WARNING
    };
    let key = if is_pod {
        format!("event|{reason}|{message}")
    } else {
        format!("event|{subject}|{reason}|{message}")
    };
    Problem {
        rank,
        subject,
        key,
        detail: format!("{on}{}{seen}", reason_message(reason, message, "Warning")),
    }
}

/// Why pods are not ready, one line each, from pod status and Events:
/// "pod web-abc-12345: container app CrashLoopBackOff (restarted 4 times: back-off
/// restarting failed container)", image pull failures with the image, Unschedulable (the
/// PodScheduled condition's message), CreateContainerConfigError (a missing ConfigMap or
/// Secret key), OOMKilled (with the memory limit), init containers, failed pods, readiness
/// probes failing (Warning Unhealthy events), FailedMount and other Warning events about
/// the pods, and Warning events about the workload itself or its ReplicaSets (FailedCreate
/// when a quota or admission refuses pods; pass `events` from [`events_for`](super::events_for)). Events of
/// pods not in `pods` are left out.
///
/// Deduplicated: the same problem on several pods is one line, of the first pod, ending
/// "(and N more pods)". At most `limit` lines, most severe first (what blocks the pods,
/// then other warnings, then failing probes).
pub fn pod_problems(pods: &[Value], events: &[Value], limit: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let mut with_status: BTreeSet<(&str, &str)> = BTreeSet::new();
    for p in pods {
        let Some(pod_name) = name(p) else {
            continue;
        };
        let found = status_problems(p);
        if !found.is_empty() {
            with_status.insert((namespace(p), pod_name));
        }
        problems.extend(found.into_iter().map(|(rank, key, detail)| Problem {
            rank,
            subject: format!("pod {pod_name}"),
            key,
            detail,
        }));
    }
    let pod_names: BTreeSet<(&str, &str)> = pods
        .iter()
        .filter_map(|p| Some((namespace(p), name(p)?)))
        .collect();
    for e in events.iter().filter(|e| is_warning(e)) {
        let Some((kind, obj_name, ns, _)) = event_object(e) else {
            continue;
        };
        if kind == "Pod" {
            let id = (ns.unwrap_or("default"), obj_name);
            let known = pod_names.contains(&id)
                || (ns.is_none() && pod_names.iter().any(|(_, n)| *n == obj_name));
            if !known {
                continue;
            }
            let reason = text(e, &["reason"]).unwrap_or("");
            let covered = with_status.contains(&id)
                || (ns.is_none() && with_status.iter().any(|(_, n)| *n == obj_name));
            if covered && STATUS_EVENT_REASONS.contains(&reason) {
                continue;
            }
            problems.push(event_problem(e, format!("pod {obj_name}"), true));
        } else {
            problems.push(event_problem(e, format!("{kind} {obj_name}"), false));
        }
    }
    problems.sort_by_key(|p| p.rank);

    // Merge by key, keeping the first line and counting the other subjects.
    let mut merged: Vec<(String, String, BTreeSet<String>)> = Vec::new();
    for p in problems {
        let line = format!("{}: {}", p.subject, p.detail);
        match merged.iter_mut().find(|(key, _, _)| *key == p.key) {
            Some((_, _, subjects)) => {
                subjects.insert(p.subject);
            }
            None => merged.push((p.key, line, BTreeSet::from([p.subject]))),
        }
    }
    merged
        .into_iter()
        .take(limit)
        .map(|(_, line, subjects)| {
            let more = subjects.len().saturating_sub(1);
            let line = match more {
                0 => line,
                1 => format!("{line} (and 1 more pod)"),
                n => format!("{line} (and {n} more pods)"),
            };
            escape::control(&line).into_owned()
        })
        .collect()
}
