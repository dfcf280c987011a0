//! The alert decisions, pure: which namespaces are alerting and at which level (fixed and
//! adaptive thresholds), when an alert starts, changes, escalates and resolves
//! ([`Alerter`]), and which route gets a notice ([`routed`]).

use std::collections::BTreeMap;

use super::{Adaptive, AlertSection, Level, Notice, Route};
use crate::monitor::Snapshot;
use crate::monitor::history::Record;

#[derive(Clone, Debug)]
struct Open {
    level: Level,
    since: i64,
    escalated: bool,
}

/// The alert state across checks.
#[derive(Clone, Debug)]
pub struct Alerter {
    pub threshold: u32,
    pub critical: u32,
    pub escalate_after: i64,
    pub adaptive: Option<Adaptive>,
    open: BTreeMap<String, Open>,
}

/// Mean and standard deviation of the last `window` known healths of `namespace`.
pub fn baseline(history: &[Record], namespace: &str, window: usize) -> Option<(f64, f64)> {
    let values: Vec<f64> = history
        .iter()
        .rev()
        .filter(|r| r.namespace == namespace)
        .filter_map(|r| r.health.map(f64::from))
        .take(window.max(10))
        .collect();
    if values.len() < 10 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    Some((mean, var.sqrt()))
}

impl Alerter {
    pub fn new(threshold: u32, section: &AlertSection) -> Alerter {
        Alerter {
            threshold,
            critical: section.critical_threshold.unwrap_or(50).min(threshold),
            escalate_after: section.escalate_after.unwrap_or(600.0).max(0.0) as i64,
            adaptive: section.adaptive.clone(),
            open: BTreeMap::new(),
        }
    }

    fn level_of(&self, health: u32, history: &[Record], ns: &str) -> Option<(Level, String)> {
        if health < self.critical {
            return Some((
                Level::Critical,
                format!("health {health} is under {}", self.critical),
            ));
        }
        if health < self.threshold {
            return Some((
                Level::Warning,
                format!("health {health} is under {}", self.threshold),
            ));
        }
        let a = self.adaptive.as_ref()?;
        let (mean, sd) = baseline(history, ns, a.window)?;
        (sd > 0.0 && f64::from(health) < mean - a.deviations * sd).then(|| {
            (
                Level::Warning,
                format!(
                    "health {health} is {:.1} standard deviations under its recent mean {mean:.1}",
                    (mean - f64::from(health)) / sd
                ),
            )
        })
    }

    /// The notifications `snap` calls for (`history`: the checks before it, for adaptive
    /// thresholds).
    pub fn update(&mut self, snap: &Snapshot, history: &[Record]) -> Vec<Notice> {
        let mut current: BTreeMap<String, (Level, String, Option<u32>)> = BTreeMap::new();
        if snap.reachable {
            for s in &snap.namespaces {
                if let Some((l, why)) = self.level_of(s.health.score, history, &s.namespace) {
                    current.insert(s.namespace.clone(), (l, why, Some(s.health.score)));
                }
            }
        } else {
            current.insert(
                "(cluster)".into(),
                (
                    Level::Critical,
                    format!(
                        "the cluster cannot be read, health unknown: {}",
                        snap.errors.first().map(String::as_str).unwrap_or("")
                    ),
                    None,
                ),
            );
        }
        let now = snap.taken_at;
        let mut out = Vec::new();
        let notice =
            |subject: &str, level, state, health, summary: String, since, escalation| Notice {
                subject: subject.to_string(),
                context: snap.context.clone(),
                level,
                state,
                health,
                summary,
                since,
                escalation,
            };
        // Resolved: open and no longer alerting (an unreachable cluster keeps the
        // namespaces' alerts open: nothing is known about them).
        let keys: Vec<String> = self.open.keys().cloned().collect();
        for k in keys {
            let keep_unknown = !snap.reachable && k != "(cluster)";
            if !current.contains_key(&k)
                && !keep_unknown
                && let Some(o) = self.open.remove(&k)
            {
                let health = snap
                    .namespaces
                    .iter()
                    .find(|n| n.namespace == k)
                    .map(|n| n.health.score);
                out.push(notice(
                    &k,
                    o.level,
                    "resolved",
                    health,
                    match health {
                        Some(h) => format!("health {h} is back at or above {}", self.threshold),
                        None => "the cluster can be read again".into(),
                    },
                    o.since,
                    o.escalated,
                ));
            }
        }
        for (k, (level, why, health)) in current {
            match self.open.get_mut(&k) {
                None => {
                    self.open.insert(
                        k.clone(),
                        Open {
                            level,
                            since: now,
                            escalated: false,
                        },
                    );
                    out.push(notice(&k, level, "firing", health, why.clone(), now, false));
                    if level == Level::Critical && self.escalate_after == 0 {
                        if let Some(o) = self.open.get_mut(&k) {
                            o.escalated = true;
                        }
                        out.push(notice(&k, level, "firing", health, why, now, true));
                    }
                }
                Some(o) if o.level != level => {
                    o.level = level;
                    let since = o.since;
                    out.push(notice(&k, level, "firing", health, why, since, false));
                }
                Some(o) => {
                    if o.level == Level::Critical
                        && !o.escalated
                        && now - o.since >= self.escalate_after
                    {
                        o.escalated = true;
                        let since = o.since;
                        out.push(notice(
                            &k,
                            level,
                            "firing",
                            health,
                            format!("{why} (unresolved for {} s: escalated)", now - since),
                            since,
                            true,
                        ));
                    }
                }
            }
        }
        out
    }
}

/// Whether `route` gets `n`.
pub fn routed(route: &Route, n: &Notice) -> bool {
    if n.level < route.severity {
        return false;
    }
    if route.escalate {
        // The on-call route: escalations, and the resolution of what was escalated.
        n.escalation
    } else {
        !n.escalation
    }
}
