//! Compliance scores: per framework, the share of checked controls that pass.
//!
//! A control is *checked* when at least one rule that ran maps to it, and *passes* when no
//! active (unsuppressed) finding of any of those rules remains.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::{Framework, Rule};
use crate::finding::Finding;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FrameworkScore {
    /// Controls checked by the rules that ran.
    pub controls: usize,
    pub passed: usize,
    pub failed: usize,
    /// Share of checked controls that pass, 0–100.
    pub score: u32,
    /// The controls that fail, sorted.
    pub failing: Vec<String>,
}

/// Scores for every framework at least one rule that ran maps to.
pub fn framework_scores(
    rules: &[Rule],
    findings: &[Finding],
) -> BTreeMap<Framework, FrameworkScore> {
    let firing: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| f.rule_id.as_str())
        .collect();
    let mut controls: BTreeMap<Framework, BTreeMap<&str, bool>> = BTreeMap::new();
    for r in rules {
        let fails = firing.contains(r.id.as_str());
        for (f, ids) in r.frameworks.iter() {
            let m = controls.entry(*f).or_default();
            for c in ids {
                let failed = m.entry(c.as_str()).or_insert(false);
                *failed |= fails;
            }
        }
    }
    controls
        .into_iter()
        .map(|(f, m)| {
            let failing: Vec<String> = m
                .iter()
                .filter(|(_, v)| **v)
                .map(|(k, _)| k.to_string())
                .collect();
            let total = m.len();
            let passed = total - failing.len();
            let score = if total == 0 {
                100
            } else {
                (100.0 * passed as f64 / total as f64).round() as u32
            };
            (
                f,
                FrameworkScore {
                    controls: total,
                    passed,
                    failed: failing.len(),
                    score,
                    failing,
                },
            )
        })
        .collect()
}
