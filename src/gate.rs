//! The gate: the one place that decides whether findings stop a pipeline.
//!
//! A finding blocks when it still counts (not suppressed by a waiver or an inline ignore,
//! not already recorded in the baseline) and its severity is at or above `--fail-on`. Every
//! command (`scan`, `report merge`, `generate`, `validate --security-compliance`, `audit`,
//! and the cluster commands after them) and every report that shows a verdict asks this
//! module, so that they can never disagree about what passes.

use crate::catalog::Severity;
use crate::finding::{BaselineState, Finding};

/// The gate of one run: findings at or above `fail_on` that still count fail it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gate {
    pub fail_on: Severity,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            fail_on: Severity::High,
        }
    }
}

/// How a run ended, as the exit code says it (0, 1, 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing at or above the gate.
    Pass,
    /// Findings at or above the gate.
    Fail,
    /// The inputs could not all be checked: the result cannot be trusted either way.
    Error,
}

impl Gate {
    pub fn new(fail_on: Severity) -> Gate {
        Gate { fail_on }
    }

    /// Does this finding count at all? Not when suppressed, nor when a baseline already had
    /// it.
    pub fn counts(f: &Finding) -> bool {
        f.suppressed.is_none() && f.baseline_state != Some(BaselineState::Unchanged)
    }

    /// Is this severity at or above the gate (for a finding known to count)?
    pub fn fails_at(&self, severity: Severity) -> bool {
        severity >= self.fail_on
    }

    /// Does this finding fail the gate?
    pub fn blocks(&self, f: &Finding) -> bool {
        Gate::counts(f) && self.fails_at(f.severity)
    }

    /// The findings that fail the gate.
    pub fn blocking<'a>(&self, findings: &'a [Finding]) -> impl Iterator<Item = &'a Finding> {
        findings.iter().filter(|f| self.blocks(f))
    }

    /// Does the gate pass on these findings?
    pub fn passes(&self, findings: &[Finding]) -> bool {
        !findings.iter().any(|f| self.blocks(f))
    }

    /// Findings that count but are below the gate (shown as warnings).
    pub fn below<'a>(&self, findings: &'a [Finding]) -> impl Iterator<Item = &'a Finding> {
        findings
            .iter()
            .filter(|f| Gate::counts(f) && f.severity < self.fail_on)
    }

    /// The verdict of a run with these findings and `errors` input errors: an error wins,
    /// then blocking findings.
    pub fn verdict(&self, findings: &[Finding], errors: usize) -> Verdict {
        if errors > 0 {
            Verdict::Error
        } else if self.passes(findings) {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Suppression;

    fn finding(severity: Severity) -> Finding {
        let json = serde_json::json!({
            "rule_id": "CG1001", "rule_name": "privileged-container", "severity": severity,
            "message": "m", "file": "a.yaml", "line": 1, "column": 1, "end_line": 1,
            "end_column": 2, "document_index": 0, "source": null,
            "resource": {"api_version": "v1", "kind": "Pod", "namespace": null, "name": "p"},
            "path": "spec", "frameworks": {}, "fingerprint": "f", "suppressed": null
        });
        match serde_json::from_value(json) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn blocks_at_or_above_fail_on_only() {
        let gate = Gate::new(Severity::High);
        assert!(gate.blocks(&finding(Severity::High)));
        assert!(gate.blocks(&finding(Severity::Critical)));
        assert!(!gate.blocks(&finding(Severity::Medium)));
        assert!(gate.fails_at(Severity::High) && gate.fails_at(Severity::Critical));
        assert!(!gate.fails_at(Severity::Medium));
        assert_eq!(gate.below(&[finding(Severity::Medium)]).count(), 1);
    }

    #[test]
    fn suppressed_and_baselined_findings_do_not_block() {
        let gate = Gate::new(Severity::Low);
        let mut waived = finding(Severity::Critical);
        waived.suppressed = Some(Suppression {
            kind: "external".to_string(),
            justification: "j".to_string(),
            owner: None,
            expires: None,
            ticket: None,
        });
        let mut baselined = finding(Severity::Critical);
        baselined.baseline_state = Some(BaselineState::Unchanged);
        let mut new = finding(Severity::Critical);
        new.baseline_state = Some(BaselineState::New);
        assert!(gate.passes(&[waived.clone(), baselined.clone()]));
        assert_eq!(gate.below(&[waived, baselined]).count(), 0);
        assert!(!gate.passes(&[new]));
    }

    #[test]
    fn errors_win_over_findings() {
        let gate = Gate::default();
        assert_eq!(
            gate.verdict(&[finding(Severity::Critical)], 1),
            Verdict::Error
        );
        assert_eq!(
            gate.verdict(&[finding(Severity::Critical)], 0),
            Verdict::Fail
        );
        assert_eq!(gate.verdict(&[], 0), Verdict::Pass);
    }
}
