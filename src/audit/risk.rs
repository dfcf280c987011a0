//! The risk matrix (severity × exposure) and prioritized recommendations (findings grouped by
//! rule, ordered by severity × count). Suppressed findings count in neither.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::exposure::{Exposure, ExposureMap};
use crate::catalog::{Rule, Severity};
use crate::finding::Finding;

/// Rank of a severity, 0 (info) to 4 (critical).
fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// The risk of a severity at an exposure: critical (a critical or high problem reachable from
/// outside), high, medium, low or info.
pub fn risk_level(severity: Severity, exposure: Exposure) -> Severity {
    match severity_rank(severity) + exposure.rank() {
        5.. => Severity::Critical,
        4 => Severity::High,
        3 => Severity::Medium,
        1 | 2 => Severity::Low,
        _ => Severity::Info,
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RiskCell {
    pub exposure: Exposure,
    pub count: usize,
    /// The cell's risk level (its colour), whether or not it holds findings.
    pub risk: Severity,
}

#[derive(Clone, Debug, Serialize)]
pub struct RiskRow {
    pub severity: Severity,
    pub cells: Vec<RiskCell>,
    pub total: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct RiskMatrix {
    /// Column order: most exposed first.
    pub exposures: Vec<Exposure>,
    /// Row order: most severe first.
    pub rows: Vec<RiskRow>,
    /// Findings per exposure, in column order.
    pub totals: Vec<usize>,
}

/// Counts active findings per severity and exposure of their resource.
pub fn risk_matrix(findings: &[Finding], exposures: &ExposureMap) -> RiskMatrix {
    let mut counts: BTreeMap<(Severity, Exposure), usize> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        *counts
            .entry((f.severity, exposures.of(&f.resource)))
            .or_default() += 1;
    }
    let rows: Vec<RiskRow> = Severity::ALL
        .iter()
        .map(|s| {
            let cells: Vec<RiskCell> = Exposure::ALL
                .iter()
                .map(|e| RiskCell {
                    exposure: *e,
                    count: counts.get(&(*s, *e)).copied().unwrap_or(0),
                    risk: risk_level(*s, *e),
                })
                .collect();
            RiskRow {
                severity: *s,
                total: cells.iter().map(|c| c.count).sum(),
                cells,
            }
        })
        .collect();
    let totals = Exposure::ALL
        .iter()
        .map(|e| {
            counts
                .iter()
                .filter(|((_, x), _)| x == e)
                .map(|(_, n)| n)
                .sum()
        })
        .collect();
    RiskMatrix {
        exposures: Exposure::ALL.to_vec(),
        rows,
        totals,
    }
}

/// One thing to fix: every active finding of one rule.
#[derive(Clone, Debug, Serialize)]
pub struct Recommendation {
    /// 1 = fix first.
    pub rank: usize,
    pub rule_id: String,
    pub rule_name: String,
    /// The highest severity among the rule's findings (overrides apply).
    pub severity: Severity,
    pub count: usize,
    /// Distinct resources affected.
    pub resources: usize,
    /// The most exposed resource's exposure.
    pub exposure: Exposure,
    /// Severity weight × count; the sort key.
    pub priority: f64,
    pub summary: String,
    pub remediation: String,
}

/// Weight of a severity in the ordering; info keeps a small weight so it still sorts by count.
fn priority_weight(s: Severity) -> f64 {
    match s {
        Severity::Info => 0.1,
        s => s.weight(),
    }
}

/// Groups active findings by rule, most urgent first: severity weight × count, then severity,
/// then exposure, then rule id.
pub fn recommendations(
    findings: &[Finding],
    rules: &[Rule],
    exposures: &ExposureMap,
) -> Vec<Recommendation> {
    struct Group<'a> {
        first: &'a Finding,
        severity: Severity,
        count: usize,
        resources: BTreeSet<(&'a str, Option<&'a str>, &'a str)>,
        exposure: Exposure,
    }
    let mut groups: BTreeMap<&str, Group<'_>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        let exposure = exposures.of(&f.resource);
        let g = groups.entry(f.rule_id.as_str()).or_insert_with(|| Group {
            first: f,
            severity: f.severity,
            count: 0,
            resources: BTreeSet::new(),
            exposure,
        });
        g.count += 1;
        g.severity = g.severity.max(f.severity);
        g.exposure = g.exposure.max(exposure);
        g.resources.insert((
            f.resource.kind.as_str(),
            f.resource.namespace.as_deref(),
            f.resource.name.as_str(),
        ));
    }
    let mut out: Vec<Recommendation> = groups
        .into_iter()
        .map(|(id, g)| {
            let rule = rules.iter().find(|r| r.id == id);
            Recommendation {
                rank: 0,
                rule_id: id.to_string(),
                rule_name: g.first.rule_name.clone(),
                severity: g.severity,
                count: g.count,
                resources: g.resources.len(),
                exposure: g.exposure,
                priority: priority_weight(g.severity) * g.count as f64,
                summary: rule.map_or_else(|| g.first.message.clone(), |r| r.summary.clone()),
                remediation: rule.map(|r| r.remediation.clone()).unwrap_or_default(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.priority
            .total_cmp(&a.priority)
            .then(b.severity.cmp(&a.severity))
            .then(b.exposure.cmp(&a.exposure))
            .then(a.rule_id.cmp(&b.rule_id))
    });
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_grows_with_severity_and_exposure() {
        assert_eq!(
            risk_level(Severity::Critical, Exposure::Internet),
            Severity::Critical
        );
        assert_eq!(
            risk_level(Severity::High, Exposure::Internet),
            Severity::Critical
        );
        assert_eq!(
            risk_level(Severity::Critical, Exposure::Internal),
            Severity::High
        );
        assert_eq!(risk_level(Severity::Low, Exposure::Internal), Severity::Low);
        assert_eq!(
            risk_level(Severity::Info, Exposure::Internal),
            Severity::Info
        );
    }
}
