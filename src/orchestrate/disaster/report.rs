//! The disaster test's reports: text (one block per scenario), HTML (a table of the
//! timings, then each scenario's steps), and the one-line summary `--automated` prints;
//! every value from the cluster escaped.

use super::DrillResult;

/// The text report.
pub fn text(results: &[DrillResult]) -> String {
    let e = |s: &str| crate::report::escape::control(s).into_owned();
    let secs = |x: Option<f64>| x.map(|v| format!("{v:.1} s")).unwrap_or_else(|| "-".into());
    let mut t = String::new();
    for r in results {
        t.push_str(&format!(
            "disaster test {} in {}: {}\n",
            r.scenario,
            e(&r.namespace),
            if r.passed() { "passed" } else { "FAILED" }
        ));
        for s in &r.steps {
            t.push_str(&format!("  - {}\n", e(s)));
        }
        t.push_str(&format!(
            "  detection {}, recovery {} (target {:.0} s), verified {}\n",
            secs(r.detection_seconds),
            secs(r.recovery_seconds),
            r.recovery_target_seconds,
            match (r.verified, r.extended_validation) {
                (true, true) => "yes (extended)",
                (true, false) => "yes",
                (false, _) => "no",
            }
        ));
        for x in &r.errors {
            t.push_str(&format!("  error: {}\n", e(x)));
        }
    }
    t
}

/// What a pipeline reads: the verdict, and per scenario its timings against the target.
pub fn summary(results: &[DrillResult]) -> serde_json::Value {
    serde_json::json!({
        "passed": results.iter().all(DrillResult::passed),
        "scenarios": results
            .iter()
            .map(|r| serde_json::json!({
                "scenario": r.scenario,
                "passed": r.passed(),
                "detection_seconds": r.detection_seconds,
                "recovery_seconds": r.recovery_seconds,
                "recovery_target_seconds": r.recovery_target_seconds,
                "verified": r.verified,
            }))
            .collect::<Vec<_>>(),
    })
}

/// The HTML report (every value escaped).
pub fn html(results: &[DrillResult]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let secs = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
    let mut h = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>confgate disaster test</title></head><body>\n<h1>confgate disaster test</h1>\n<table border=\"1\"><tr><th>scenario</th><th>namespace</th><th>detection (s)</th><th>recovery (s)</th><th>target (s)</th><th>verified</th><th>result</th></tr>\n",
    );
    for r in results {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&r.scenario),
            esc(&r.namespace),
            secs(r.detection_seconds),
            secs(r.recovery_seconds),
            r.recovery_target_seconds,
            r.verified,
            if r.passed() { "passed" } else { "failed" }
        ));
    }
    h.push_str("</table>\n");
    for r in results {
        h.push_str(&format!("<h2>{}</h2>\n<ol>\n", esc(&r.scenario)));
        for s in r.steps.iter().chain(&r.errors) {
            h.push_str(&format!("<li>{}</li>\n", esc(s)));
        }
        h.push_str("</ol>\n");
    }
    h.push_str("</body></html>\n");
    h
}
