//! `confgate generate-incident-report` (the original suite's command): what an on-call
//! engineer needs in one document — the namespace as `status` sees it now, and what
//! happened in the window before: failed deploys and rollbacks (from the sets' revisions),
//! the periods the monitor saw the health under the alert thresholds (from the monitor
//! history in the state directory), and the backup failures (from the backup state). The
//! decisions are pure and tested on literal values; the command gathers the inputs.

use serde::Serialize;

use super::status::StatusReport;
use crate::monitor::history::Record;
use crate::revision::{RevisionSummary, Rollout};

/// What happened to a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A revision whose rollout failed, timed out or was interrupted.
    FailedDeploy,
    /// A revision that rolled the set back (by `rollback`, automatically after a failed
    /// deploy, or an atomic rollback's return).
    Rollback,
}

/// One event of the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// Seconds since the epoch.
    pub t: i64,
    /// RFC 3339.
    pub at: String,
    pub set: String,
    pub revision: u64,
    pub kind: EventKind,
    pub summary: String,
}

/// What a revision says happened, if anything worth an incident report.
fn classify(r: &RevisionSummary) -> Option<(EventKind, String)> {
    let desc = r.description.as_deref().unwrap_or("");
    let rollback = desc.starts_with("roll forward to the content of") || desc.contains("rollback");
    let failed = matches!(
        r.rollout,
        Rollout::Failed { .. } | Rollout::TimedOut { .. } | Rollout::Interrupted
    );
    let mut summary = format!("revision {} by {}", r.number, r.author);
    if !desc.is_empty() {
        summary.push_str(&format!(": {desc}"));
    }
    if failed {
        summary.push_str(&format!(" (rollout {}", r.rollout.state()));
        if let Some(why) = r.rollout.reason() {
            summary.push_str(&format!(": {why}"));
        }
        summary.push(')');
    }
    match (rollback, failed) {
        (true, _) => Some((EventKind::Rollback, summary)),
        (false, true) => Some((EventKind::FailedDeploy, summary)),
        _ => None,
    }
}

/// The failed deploys and rollbacks among `revisions` made at or after `since` (seconds),
/// oldest first.
pub fn events(revisions: &[RevisionSummary], since: i64) -> Vec<Event> {
    let mut out: Vec<Event> = revisions
        .iter()
        .filter(|r| r.complete && r.created.as_second() >= since)
        .filter_map(|r| {
            let (kind, summary) = classify(r)?;
            Some(Event {
                t: r.created.as_second(),
                at: r.created.to_string(),
                set: r.set.clone(),
                revision: r.number,
                kind,
                summary,
            })
        })
        .collect();
    out.sort_by(|a, b| a.t.cmp(&b.t).then(a.revision.cmp(&b.revision)));
    out
}

/// A stretch of consecutive checks of a namespace under the alert threshold: what the
/// monitor alerted on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertPeriod {
    /// Seconds since the epoch of the first and the last check under the threshold.
    pub from: i64,
    pub to: i64,
    /// `critical` when a check was under the critical threshold or the cluster could not
    /// be read; else `warning`.
    pub level: &'static str,
    /// The lowest health seen (`None`: only unknown checks).
    pub lowest: Option<u32>,
    pub checks: usize,
    /// The period had not ended at the last check.
    pub ongoing: bool,
}

/// The alert periods of `namespace` in `records` (any order) at or after `since`.
pub fn alert_periods(
    records: &[Record],
    namespace: &str,
    since: i64,
    threshold: u32,
    critical: u32,
) -> Vec<AlertPeriod> {
    let mut mine: Vec<&Record> = records
        .iter()
        .filter(|r| r.namespace == namespace && r.t >= since)
        .collect();
    mine.sort_by_key(|r| r.t);
    let mut out: Vec<AlertPeriod> = Vec::new();
    let mut open: Option<AlertPeriod> = None;
    for r in &mine {
        let under = r.health.is_none_or(|h| h < threshold);
        if !under {
            out.extend(open.take());
            continue;
        }
        let crit = r.health.is_none_or(|h| h < critical);
        let p = open.get_or_insert(AlertPeriod {
            from: r.t,
            to: r.t,
            level: "warning",
            lowest: None,
            checks: 0,
            ongoing: false,
        });
        p.to = r.t;
        p.checks += 1;
        if crit {
            p.level = "critical";
        }
        if let Some(h) = r.health {
            p.lowest = Some(p.lowest.map_or(h, |l| l.min(h)));
        }
    }
    if let Some(mut p) = open {
        p.ongoing = true;
        out.push(p);
    }
    out
}

/// The namespace's health over the window.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HealthSummary {
    pub checks: usize,
    pub lowest: Option<u32>,
    pub latest: Option<u32>,
    /// Checks when the cluster could not be read.
    pub unknown: usize,
}

pub fn health_summary(records: &[Record], namespace: &str, since: i64) -> HealthSummary {
    let mut mine: Vec<&Record> = records
        .iter()
        .filter(|r| r.namespace == namespace && r.t >= since)
        .collect();
    mine.sort_by_key(|r| r.t);
    HealthSummary {
        checks: mine.len(),
        lowest: mine.iter().filter_map(|r| r.health).min(),
        latest: mine.last().and_then(|r| r.health),
        unknown: mine.iter().filter(|r| r.health.is_none()).count(),
    }
}

/// Everything the incident report holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IncidentReport {
    /// `--type` / `--incident-type`.
    pub incident_type: Option<String>,
    /// RFC 3339.
    pub generated: String,
    pub namespace: String,
    /// The window's start (seconds since the epoch).
    pub since: i64,
    /// The namespace now.
    pub status: StatusReport,
    pub events: Vec<Event>,
    pub alert_periods: Vec<AlertPeriod>,
    pub health: HealthSummary,
    /// A backup failed in the window (seconds since the epoch of the last failure).
    pub backup_failure: Option<i64>,
    /// Parts that could not be read (one line each).
    pub errors: Vec<String>,
}

fn when(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// The text report.
pub fn text(r: &IncidentReport, status_text: &str) -> String {
    let e = |s: &str| crate::report::escape::control(s).into_owned();
    let mut t = match &r.incident_type {
        Some(k) => format!("incident report ({})\n", e(k)),
        None => "incident report\n".to_string(),
    };
    t.push_str(&format!(
        "namespace {}, generated {}, window from {}\n\n== now\n{status_text}\n== events\n",
        e(&r.namespace),
        r.generated,
        when(r.since)
    ));
    if r.events.is_empty() {
        t.push_str("no failed deploy or rollback in the window\n");
    }
    for ev in &r.events {
        t.push_str(&format!(
            "{} {} set {}: {}\n",
            ev.at,
            match ev.kind {
                EventKind::FailedDeploy => "failed deploy",
                EventKind::Rollback => "rollback",
            },
            e(&ev.set),
            e(&ev.summary)
        ));
    }
    t.push_str("\n== alerts (monitor history)\n");
    if r.alert_periods.is_empty() {
        t.push_str(&format!(
            "no alert in the window ({} checks recorded)\n",
            r.health.checks
        ));
    }
    for p in &r.alert_periods {
        t.push_str(&format!(
            "{} from {} to {}{}: {} checks, lowest health {}\n",
            p.level,
            when(p.from),
            when(p.to),
            if p.ongoing { " (ongoing)" } else { "" },
            p.checks,
            p.lowest
                .map(|h| h.to_string())
                .unwrap_or_else(|| "unknown".into())
        ));
    }
    t.push_str(&format!(
        "health: {} checks, lowest {}, latest {}, {} unknown\n",
        r.health.checks,
        r.health
            .lowest
            .map(|h| h.to_string())
            .unwrap_or_else(|| "-".into()),
        r.health
            .latest
            .map(|h| h.to_string())
            .unwrap_or_else(|| "-".into()),
        r.health.unknown
    ));
    if let Some(f) = r.backup_failure {
        t.push_str(&format!("backup: a backup failed at {}\n", when(f)));
    }
    for x in &r.errors {
        t.push_str(&format!("error: {}\n", e(x)));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::{ScanCounts, SecretMode};

    fn rev(n: u64, t: i64, rollout: Rollout, desc: Option<&str>) -> RevisionSummary {
        RevisionSummary {
            set: "web".into(),
            namespace: "shop".into(),
            number: n,
            created: jiff::Timestamp::from_second(t).unwrap(),
            author: "ci".into(),
            commit: None,
            description: desc.map(str::to_string),
            scan: ScanCounts::default(),
            rollout,
            health: None,
            secrets: SecretMode::Referenced,
            complete: true,
            chunks: 1,
            size: 1,
        }
    }

    #[test]
    fn failed_deploys_and_rollbacks_of_the_window_are_events_oldest_first() {
        let revs = [
            rev(
                4,
                400,
                Rollout::Succeeded,
                Some("automatic rollback to revision 2 after revision 3 failed"),
            ),
            rev(
                3,
                300,
                Rollout::Failed {
                    reason: "ImagePullBackOff".into(),
                },
                None,
            ),
            rev(2, 200, Rollout::Succeeded, None),
            rev(
                1,
                50,
                Rollout::TimedOut {
                    reason: "slow".into(),
                },
                None,
            ),
            rev(
                5,
                500,
                Rollout::Succeeded,
                Some("roll forward to the content of revision 2"),
            ),
        ];
        let ev = events(&revs, 100);
        let got: Vec<(u64, EventKind)> = ev.iter().map(|e| (e.revision, e.kind)).collect();
        assert_eq!(
            got,
            [
                (3, EventKind::FailedDeploy),
                (4, EventKind::Rollback),
                (5, EventKind::Rollback)
            ]
        );
        assert!(
            ev[0].summary.contains("rollout failed: ImagePullBackOff"),
            "{:?}",
            ev[0]
        );
    }

    fn rec(t: i64, ns: &str, health: Option<u32>) -> Record {
        Record {
            t,
            context: "c".into(),
            namespace: ns.into(),
            health,
            pods_running: 1,
            pods_not_running: 0,
            restarts: 0,
            findings: 0,
        }
    }

    #[test]
    fn consecutive_checks_under_the_threshold_make_one_alert_period() {
        let records = [
            rec(10, "shop", Some(90)),
            rec(20, "shop", Some(70)),
            rec(30, "shop", Some(40)),
            rec(40, "shop", Some(95)),
            rec(50, "other", Some(10)),
            rec(60, "shop", None),
        ];
        let p = alert_periods(&records, "shop", 0, 80, 50);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!((p[0].from, p[0].to, p[0].checks), (20, 30, 2));
        assert_eq!(
            (p[0].level, p[0].lowest, p[0].ongoing),
            ("critical", Some(40), false)
        );
        assert_eq!(
            (p[1].level, p[1].lowest, p[1].ongoing),
            ("critical", None, true)
        );
        let h = health_summary(&records, "shop", 0);
        assert_eq!(
            (h.checks, h.lowest, h.latest, h.unknown),
            (5, Some(40), None, 1)
        );
        // The window leaves out what came before.
        assert_eq!(alert_periods(&records, "shop", 35, 80, 50).len(), 1);
    }
}
