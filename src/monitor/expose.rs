//! A [`Snapshot`] as Prometheus text exposition (format 0.0.4), JSON or CSV.
//!
//! Names follow Prometheus' rules: a prefix (setting `metric-prefix`, default `confgate`),
//! base units (`_seconds`, timestamps as `_timestamp_seconds`), `_total` only on counters,
//! `_info` for constant labels, labels of bounded cardinality (namespace, workload, set,
//! phase, severity, framework, signal). `<prefix>_pods_total` is the original suite's name
//! for a gauge; it is kept, untyped, next to the properly named `<prefix>_pods`, so that
//! dashboards and alert rules written for the suite keep working and `promtool check
//! metrics` still passes.

use std::fmt::Write as _;

use super::{PHASES, Snapshot};

/// Process counters of a long-running monitor (`serve --metrics`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub checks: u64,
    pub check_errors: u64,
    /// Alerts sent, by state (`firing`, `resolved`).
    pub alerts_firing: u64,
    pub alerts_resolved: u64,
}

/// Whether `prefix` is a valid metric name start (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
pub fn valid_prefix(prefix: &str) -> bool {
    let mut chars = prefix.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// A label value escaped as the text format wants (`\\`, `\"`, `\n`).
fn esc(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn head(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", esc(v));
            }
            self.out.push('}');
        }
        if value.fract() == 0.0 && value.abs() < 1e15 {
            let _ = writeln!(self.out, " {}", value as i64);
        } else {
            let _ = writeln!(self.out, " {value}");
        }
    }
}

/// The Prometheus text exposition of `snap`.
pub fn prometheus(snap: &Snapshot, prefix: &str, counters: Option<&Counters>) -> String {
    let mut out = String::new();
    let mut f = Family { out: &mut out };
    let p = prefix;
    let n = |s: &str| format!("{p}_{s}");

    f.head(
        &n("info"),
        "gauge",
        "confgate's version and the context it watches.",
    );
    f.sample(
        &n("info"),
        &[("version", crate::TOOL_VERSION), ("context", &snap.context)],
        1.0,
    );
    f.head(
        &n("cluster_reachable"),
        "gauge",
        "1 when the last pass could read the cluster.",
    );
    f.sample(
        &n("cluster_reachable"),
        &[],
        if snap.reachable { 1.0 } else { 0.0 },
    );
    f.head(
        &n("last_check_timestamp_seconds"),
        "gauge",
        "When the last monitoring pass ran.",
    );
    f.sample(
        &n("last_check_timestamp_seconds"),
        &[],
        snap.taken_at as f64,
    );
    f.head(
        &n("check_duration_seconds"),
        "gauge",
        "How long the last monitoring pass took.",
    );
    f.sample(&n("check_duration_seconds"), &[], snap.seconds);

    f.head(
        &n("health_score"),
        "gauge",
        "Health of the namespace's deployed configuration, 0 to 100.",
    );
    for s in &snap.namespaces {
        f.sample(
            &n("health_score"),
            &[("namespace", &s.namespace)],
            f64::from(s.health.score),
        );
    }
    f.head(
        &n("health_signal_ratio"),
        "gauge",
        "Each signal of the health score, 0 (worst) to 1.",
    );
    for s in &snap.namespaces {
        let h = &s.health;
        for (signal, v) in [
            ("pods_ready", h.pods_ready),
            ("workloads_available", h.workloads_available),
            ("restarts", h.restarts),
            ("crash_loops", h.crash_loops),
            ("warning_events", h.warning_events),
            ("security", h.security),
        ] {
            f.sample(
                &n("health_signal_ratio"),
                &[("namespace", &s.namespace), ("signal", signal)],
                v,
            );
        }
    }
    f.head(&n("pods"), "gauge", "Pods of the namespace by phase.");
    for s in &snap.namespaces {
        for ph in PHASES {
            let c = s.pods_by_phase.get(ph).copied().unwrap_or(0);
            f.sample(
                &n("pods"),
                &[("namespace", &s.namespace), ("phase", ph)],
                c as f64,
            );
        }
    }
    f.head(
        &n("pods_total"),
        "untyped",
        "Pods of the namespace by phase (the original suite's name; same value as _pods).",
    );
    for s in &snap.namespaces {
        for ph in PHASES {
            let c = s.pods_by_phase.get(ph).copied().unwrap_or(0);
            f.sample(
                &n("pods_total"),
                &[("namespace", &s.namespace), ("phase", ph)],
                c as f64,
            );
        }
    }
    for (kind, label, list) in [
        ("deployment", "deployment", 0),
        ("statefulset", "statefulset", 1),
        ("daemonset", "daemonset", 2),
    ] {
        for (what, help) in [("desired", "Replicas wanted"), ("ready", "Replicas ready")] {
            let name = n(&format!("{kind}_replicas_{what}"));
            f.head(&name, "gauge", &format!("{help} per {kind}."));
            for s in &snap.namespaces {
                let items = match list {
                    0 => &s.deployments,
                    1 => &s.statefulsets,
                    _ => &s.daemonsets,
                };
                for r in items {
                    let v = if what == "desired" {
                        r.desired
                    } else {
                        r.ready
                    };
                    f.sample(
                        &name,
                        &[("namespace", &s.namespace), (label, &r.name)],
                        v as f64,
                    );
                }
            }
        }
    }
    f.head(
        &n("container_restarts"),
        "gauge",
        "Restarts of the containers of the namespace's pods (summed restart counts).",
    );
    for s in &snap.namespaces {
        f.sample(
            &n("container_restarts"),
            &[("namespace", &s.namespace)],
            s.container_restarts as f64,
        );
    }
    f.head(
        &n("findings"),
        "gauge",
        "Live findings of the namespace's workloads by severity.",
    );
    for s in &snap.namespaces {
        for (sev, c) in &s.findings {
            f.sample(
                &n("findings"),
                &[("namespace", &s.namespace), ("severity", sev.as_str())],
                *c as f64,
            );
        }
    }
    f.head(
        &n("security_score"),
        "gauge",
        "Security score of the namespace's live workloads, 0 to 100.",
    );
    for s in &snap.namespaces {
        f.sample(
            &n("security_score"),
            &[("namespace", &s.namespace)],
            f64::from(s.security_score),
        );
    }
    f.head(
        &n("compliance_score"),
        "gauge",
        "Share of checked controls that pass per framework, 0 to 100.",
    );
    for s in &snap.namespaces {
        for (fw, score) in &s.compliance {
            f.sample(
                &n("compliance_score"),
                &[("namespace", &s.namespace), ("framework", fw)],
                f64::from(*score),
            );
        }
    }
    f.head(
        &n("last_deploy_timestamp_seconds"),
        "gauge",
        "When the set's current revision was recorded.",
    );
    for s in &snap.sets {
        f.sample(
            &n("last_deploy_timestamp_seconds"),
            &[("namespace", &s.namespace), ("set", &s.set)],
            s.deployed_at as f64,
        );
    }
    f.head(
        &n("last_deploy_revision"),
        "gauge",
        "The set's current revision number.",
    );
    for s in &snap.sets {
        f.sample(
            &n("last_deploy_revision"),
            &[("namespace", &s.namespace), ("set", &s.set)],
            s.revision as f64,
        );
    }
    f.head(
        &n("last_deploy_success"),
        "gauge",
        "1 when the set's current revision rolled out, else 0.",
    );
    for s in &snap.sets {
        f.sample(
            &n("last_deploy_success"),
            &[("namespace", &s.namespace), ("set", &s.set)],
            if s.rollout == "succeeded" { 1.0 } else { 0.0 },
        );
    }
    f.head(
        &n("last_deploy_blocking_findings"),
        "gauge",
        "Findings at or above the gate when the current revision was deployed.",
    );
    for s in &snap.sets {
        f.sample(
            &n("last_deploy_blocking_findings"),
            &[("namespace", &s.namespace), ("set", &s.set)],
            s.blocking_findings as f64,
        );
    }
    f.head(
        &n("last_deploy_health_score"),
        "gauge",
        "Health recorded after the current revision's rollout.",
    );
    for s in &snap.sets {
        if let Some(h) = s.health {
            f.sample(
                &n("last_deploy_health_score"),
                &[("namespace", &s.namespace), ("set", &s.set)],
                f64::from(h),
            );
        }
    }
    f.head(
        &n("last_rollback_timestamp_seconds"),
        "gauge",
        "When the set was last rolled back.",
    );
    for s in &snap.sets {
        if let Some((_, t)) = s.last_rollback {
            f.sample(
                &n("last_rollback_timestamp_seconds"),
                &[("namespace", &s.namespace), ("set", &s.set)],
                t as f64,
            );
        }
    }
    if let Some(c) = counters {
        f.head(
            &n("checks_total"),
            "counter",
            "Monitoring passes since the process started.",
        );
        f.sample(&n("checks_total"), &[], c.checks as f64);
        f.head(
            &n("check_errors_total"),
            "counter",
            "Monitoring passes that could not read everything.",
        );
        f.sample(&n("check_errors_total"), &[], c.check_errors as f64);
        f.head(
            &n("alerts_sent_total"),
            "counter",
            "Alert notifications sent, by state.",
        );
        f.sample(
            &n("alerts_sent_total"),
            &[("state", "firing")],
            c.alerts_firing as f64,
        );
        f.sample(
            &n("alerts_sent_total"),
            &[("state", "resolved")],
            c.alerts_resolved as f64,
        );
    }
    out
}

/// The snapshot as JSON.
/// The backup lifecycle series of `state_dir` (nothing when no backup ran there).
pub fn backup_series(state_dir: Option<&std::path::Path>, prefix: &str) -> String {
    let Some(dir) = state_dir else {
        return String::new();
    };
    if !crate::backup::state::path(dir).is_file() {
        return String::new();
    }
    match crate::backup::state::read(dir) {
        Ok(s) => crate::backup::state::prometheus(&s, prefix),
        Err(e) => {
            tracing::warn!("{e}");
            String::new()
        }
    }
}

pub fn json(snap: &Snapshot) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(snap).unwrap_or_else(|_| "{}".into())
    )
}

/// One row per namespace: time, namespace, health and its counts (CSV, header first).
pub fn csv(snap: &Snapshot) -> Result<String, crate::diag::Diagnostic> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let err = |e: ::csv::Error| crate::report::report_error("csv", e);
    w.write_record([
        "timestamp",
        "context",
        "namespace",
        "health_score",
        "pods_running",
        "pods_pending",
        "pods_failed",
        "replicas_desired",
        "replicas_ready",
        "container_restarts",
        "findings",
        "security_score",
    ])
    .map_err(err)?;
    for s in &snap.namespaces {
        let ph = |p: &str| s.pods_by_phase.get(p).copied().unwrap_or(0).to_string();
        let findings: usize = s.findings.values().sum();
        w.write_record([
            snap.taken_at.to_string(),
            crate::report::escape::control(&snap.context).into_owned(),
            crate::report::escape::control(&s.namespace).into_owned(),
            s.health.score.to_string(),
            ph("Running"),
            ph("Pending"),
            ph("Failed"),
            s.health.desired_replicas.to_string(),
            s.health.ready_replicas.to_string(),
            s.container_restarts.to_string(),
            findings.to_string(),
            s.security_score.to_string(),
        ])
        .map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| crate::report::report_error("csv", e.to_string()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_and_prefixes_checked() {
        assert_eq!(esc("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert!(valid_prefix("spotify_ai_agent"));
        assert!(valid_prefix("confgate"));
        assert!(!valid_prefix("9lives"));
        assert!(!valid_prefix("a-b"));
        assert!(!valid_prefix(""));
    }

    #[test]
    fn every_namespace_gets_every_phase_and_counters_end_in_total() {
        let snap = Snapshot {
            namespaces: vec![super::super::summarise(
                "a",
                &[],
                &[],
                &[],
                &[],
                0,
                Default::default(),
                &Default::default(),
                0,
            )],
            ..Snapshot::default()
        };
        let text = prometheus(&snap, "x", Some(&Counters::default()));
        for ph in PHASES {
            assert!(text.contains(&format!("x_pods{{namespace=\"a\",phase=\"{ph}\"}} 0")));
            assert!(text.contains(&format!("x_pods_total{{namespace=\"a\",phase=\"{ph}\"}} 0")));
        }
        assert!(text.contains("x_health_score{namespace=\"a\"} 100"));
        assert!(text.contains("# TYPE x_checks_total counter"));
        for line in text.lines().filter(|l| l.starts_with("# TYPE")) {
            let parts: Vec<&str> = line.split(' ').collect();
            if parts[2].ends_with("_total") {
                assert!(matches!(parts[3], "counter" | "untyped"), "{line}");
            }
        }
    }
}
