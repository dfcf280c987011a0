//! The health score of a deployed set (0–100): one pure function over the live objects
//! (workloads, their pods, recent Events) and the live scan's security score, shared by
//! `rollback --auto-rollback`, `deploy --rollback-on-failure` and `monitor`.
//!
//! Each signal is a ratio in 0..=1 (1 = healthy), weighted; the score is the weighted mean
//! times 100, rounded down. Default weights (overridable in settings):
//!
//! | signal | weight | 1 when |
//! |---|---|---|
//! | `pods_ready` | 30 | every desired replica is ready |
//! | `workloads_available` | 25 | every Deployment/StatefulSet/DaemonSet is available |
//! | `restarts` | 10 | no container restarted within the window |
//! | `crash_loops` | 15 | no pod is in CrashLoopBackOff, ImagePullBackOff or ErrImagePull |
//! | `warning_events` | 10 | no Warning Event within the window |
//! | `security` | 10 | the live scan's security score is 100 |
//!
//! A signal with nothing to measure (no workloads, no scan) counts as healthy and its weight
//! still counts, so an empty namespace scores 100.

use serde_json::Value;

/// Weights of the signals (any non-negative numbers; they are normalised).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Weights {
    pub pods_ready: f64,
    pub workloads_available: f64,
    pub restarts: f64,
    pub crash_loops: f64,
    pub warning_events: f64,
    pub security: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            pods_ready: 30.0,
            workloads_available: 25.0,
            restarts: 10.0,
            crash_loops: 15.0,
            warning_events: 10.0,
            security: 10.0,
        }
    }
}

/// What the score is computed from.
#[derive(Clone, Debug, Default)]
pub struct Inputs<'a> {
    /// Deployments, StatefulSets, DaemonSets (with status).
    pub workloads: &'a [Value],
    /// The pods of the set.
    pub pods: &'a [Value],
    /// Events of the set's namespace.
    pub events: &'a [Value],
    /// The live scan's security score (0–100), if a scan ran.
    pub security_score: Option<f64>,
    /// Now, seconds since the epoch (Events and restarts are counted within the window).
    pub now: i64,
    /// The window in seconds (restarts and Warning Events older than this are ignored).
    pub window: i64,
}

/// The score with each signal, for reports and metrics.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Health {
    pub score: u32,
    pub pods_ready: f64,
    pub workloads_available: f64,
    pub restarts: f64,
    pub crash_loops: f64,
    pub warning_events: f64,
    pub security: f64,
    /// Counts behind the ratios.
    pub desired_replicas: u64,
    pub ready_replicas: u64,
    pub unavailable_workloads: u64,
    pub recent_restarts: u64,
    pub crash_looping_pods: u64,
    pub recent_warnings: u64,
}

fn int(v: &Value, path: &str) -> u64 {
    v.pointer(path)
        .and_then(|x| x.as_u64().or_else(|| x.as_f64().map(|f| f.max(0.0) as u64)))
        .unwrap_or(0)
}

fn str_at<'a>(v: &'a Value, path: &str) -> &'a str {
    v.pointer(path).and_then(Value::as_str).unwrap_or("")
}

/// Seconds since the epoch of an RFC 3339 time.
fn epoch(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// Desired and ready replicas of a workload (DaemonSets: scheduled and ready).
fn replicas(w: &Value) -> (u64, u64) {
    match str_at(w, "/kind") {
        "DaemonSet" => (
            int(w, "/status/desiredNumberScheduled"),
            int(w, "/status/numberReady"),
        ),
        _ => {
            let desired = w
                .pointer("/spec/replicas")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            (desired, int(w, "/status/readyReplicas").min(desired))
        }
    }
}

fn available(w: &Value) -> bool {
    match str_at(w, "/kind") {
        "Deployment" => {
            let conds = w.pointer("/status/conditions").and_then(Value::as_array);
            let cond = conds.and_then(|cs| {
                cs.iter()
                    .find(|c| c.get("type").and_then(Value::as_str) == Some("Available"))
            });
            match cond {
                Some(c) => c.get("status").and_then(Value::as_str) == Some("True"),
                None => {
                    let (d, r) = replicas(w);
                    r >= d
                }
            }
        }
        _ => {
            let (d, r) = replicas(w);
            r >= d
        }
    }
}

const STUCK: [&str; 5] = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "InvalidImageName",
];

fn stuck(pod: &Value) -> bool {
    ["/status/containerStatuses", "/status/initContainerStatuses"]
        .iter()
        .filter_map(|p| pod.pointer(p).and_then(Value::as_array))
        .flatten()
        .any(|c| STUCK.contains(&str_at(c, "/state/waiting/reason")))
}

/// Restarts within the window: a container's restarts count when it last terminated
/// within the window (Kubernetes keeps only the count and the last termination).
fn recent_restarts(pod: &Value, now: i64, window: i64) -> u64 {
    pod.pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let n = int(c, "/restartCount");
            let last = epoch(str_at(c, "/lastState/terminated/finishedAt"));
            match last {
                Some(t) if now - t <= window => n,
                Some(_) => 0,
                // No time known: count them (a restarting container is not healthy).
                None => n,
            }
        })
        .sum()
}

fn recent_warning(e: &Value, now: i64, window: i64) -> bool {
    if str_at(e, "/type") != "Warning" {
        return false;
    }
    let t = [
        "/lastTimestamp",
        "/eventTime",
        "/series/lastObservedTime",
        "/firstTimestamp",
        "/metadata/creationTimestamp",
    ]
    .iter()
    .find_map(|p| epoch(str_at(e, p)));
    t.is_none_or(|t| now - t <= window)
}

/// The health of a set.
pub fn score(inputs: &Inputs<'_>, weights: &Weights) -> Health {
    let (desired, ready) = inputs
        .workloads
        .iter()
        .map(replicas)
        .fold((0, 0), |(d, r), (a, b)| (d + a, r + b));
    let pods_ready = if desired == 0 {
        1.0
    } else {
        ready as f64 / desired as f64
    };
    let unavailable = inputs.workloads.iter().filter(|w| !available(w)).count() as u64;
    let workloads_available = if inputs.workloads.is_empty() {
        1.0
    } else {
        1.0 - unavailable as f64 / inputs.workloads.len() as f64
    };
    let restarts_n: u64 = inputs
        .pods
        .iter()
        .map(|p| recent_restarts(p, inputs.now, inputs.window))
        .sum();
    // Each restart in the window costs a tenth, down to 0.
    let restarts = (1.0 - restarts_n as f64 / 10.0).max(0.0);
    let stuck_n = inputs.pods.iter().filter(|p| stuck(p)).count() as u64;
    let crash_loops = if inputs.pods.is_empty() {
        1.0
    } else {
        1.0 - stuck_n as f64 / inputs.pods.len() as f64
    };
    let warnings_n = inputs
        .events
        .iter()
        .filter(|e| recent_warning(e, inputs.now, inputs.window))
        .count() as u64;
    let warning_events = (1.0 - warnings_n as f64 / 20.0).max(0.0);
    let security = inputs
        .security_score
        .map(|s| (s / 100.0).clamp(0.0, 1.0))
        .unwrap_or(1.0);
    let parts = [
        (pods_ready, weights.pods_ready),
        (workloads_available, weights.workloads_available),
        (restarts, weights.restarts),
        (crash_loops, weights.crash_loops),
        (warning_events, weights.warning_events),
        (security, weights.security),
    ];
    let total: f64 = parts.iter().map(|(_, w)| w.max(0.0)).sum();
    let value = if total > 0.0 {
        parts.iter().map(|(v, w)| v * w.max(0.0)).sum::<f64>() / total
    } else {
        1.0
    };
    Health {
        score: (value * 100.0).floor().clamp(0.0, 100.0) as u32,
        pods_ready,
        workloads_available,
        restarts,
        crash_loops,
        warning_events,
        security,
        desired_replicas: desired,
        ready_replicas: ready,
        unavailable_workloads: unavailable,
        recent_restarts: restarts_n,
        crash_looping_pods: stuck_n,
        recent_warnings: warnings_n,
    }
}

/// The decision `--auto-rollback` and `--rollback-on-failure` share: roll back when the
/// last `consecutive` scores are all below `threshold` (fewer scores than that: not yet).
pub fn should_roll_back(history: &[u32], threshold: u32, consecutive: usize) -> bool {
    let n = consecutive.max(1);
    history.len() >= n && history[history.len() - n..].iter().all(|s| *s < threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    const NOW: i64 = 1_780_000_000; // 2026-05-28

    fn inputs<'a>(w: &'a [Value], p: &'a [Value], e: &'a [Value]) -> Inputs<'a> {
        Inputs {
            workloads: w,
            pods: p,
            events: e,
            security_score: None,
            now: NOW,
            window: 300,
        }
    }

    #[test]
    fn a_healthy_set_scores_100_and_an_empty_one_too() {
        let w = [v(
            "kind: Deployment\nspec: {replicas: 3}\nstatus: {readyReplicas: 3, conditions: [{type: Available, status: 'True'}]}",
        )];
        let p = [v(
            "kind: Pod\nstatus: {containerStatuses: [{restartCount: 0, state: {running: {}}}]}",
        )];
        assert_eq!(score(&inputs(&w, &p, &[]), &Weights::default()).score, 100);
        assert_eq!(
            score(&inputs(&[], &[], &[]), &Weights::default()).score,
            100
        );
    }

    #[test]
    fn a_crash_looping_rollout_scores_low() {
        let w = [v(
            "kind: Deployment\nspec: {replicas: 2}\nstatus: {readyReplicas: 0, conditions: [{type: Available, status: 'False'}]}",
        )];
        let p = [
            v(
                "kind: Pod\nstatus: {containerStatuses: [{restartCount: 6, state: {waiting: {reason: CrashLoopBackOff}}}]}",
            ),
            v(
                "kind: Pod\nstatus: {containerStatuses: [{restartCount: 5, state: {waiting: {reason: CrashLoopBackOff}}}]}",
            ),
        ];
        let e = [v(
            "type: Warning\nreason: BackOff\nlastTimestamp: '2026-05-28T20:25:00Z'",
        )];
        let h = score(&inputs(&w, &p, &e), &Weights::default());
        assert!(h.score < 30, "{h:?}");
        assert_eq!(h.crash_looping_pods, 2);
        assert_eq!(h.ready_replicas, 0);
        assert_eq!(h.recent_restarts, 11);
    }

    #[test]
    fn old_restarts_and_events_do_not_count() {
        let p = [v(
            "kind: Pod\nstatus: {containerStatuses: [{restartCount: 4, lastState: {terminated: {finishedAt: '2026-01-01T00:00:00Z'}}, state: {running: {}}}]}",
        )];
        let e = [v("type: Warning\nlastTimestamp: '2026-01-01T00:00:00Z'")];
        let h = score(&inputs(&[], &p, &e), &Weights::default());
        assert_eq!((h.recent_restarts, h.recent_warnings, h.score), (0, 0, 100));
    }

    #[test]
    fn weights_and_the_security_score_count() {
        let mut i = inputs(&[], &[], &[]);
        i.security_score = Some(40.0);
        assert_eq!(score(&i, &Weights::default()).score, 94);
        let only_security = Weights {
            pods_ready: 0.0,
            workloads_available: 0.0,
            restarts: 0.0,
            crash_loops: 0.0,
            warning_events: 0.0,
            security: 1.0,
        };
        assert_eq!(score(&i, &only_security).score, 40);
    }

    #[test]
    fn a_roll_back_needs_consecutive_low_scores() {
        assert!(!should_roll_back(&[50, 50], 60, 3));
        assert!(should_roll_back(&[90, 50, 40, 55], 60, 3));
        assert!(!should_roll_back(&[50, 50, 70], 60, 3));
        assert!(should_roll_back(&[10], 60, 0));
    }

    #[test]
    fn malformed_values_do_not_panic() {
        let w = [v(
            "kind: Deployment\nspec: {replicas: many}\nstatus: {readyReplicas: [1]}",
        )];
        let p = [v("kind: Pod\nstatus: {containerStatuses: 7}")];
        let _ = score(
            &inputs(&w, &p, &[v("type: Warning\nlastTimestamp: 12")]),
            &Weights::default(),
        );
    }
}
