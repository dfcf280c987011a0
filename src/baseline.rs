//! Baselines: adopt confgate on a repository with existing problems and gate only on new
//! ones. A baseline records findings by fingerprint (rule, resource, path, value — never line
//! numbers), so moved lines and reordered files do not turn old findings into new ones.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diag::{Code, Diagnostic};
use crate::finding::{BaselineState, Finding, ResourceRef};

/// One recorded finding.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule_id: String,
    pub file: String,
    pub line: u32,
    pub resource: ResourceRef,
    pub path: String,
    pub message: String,
}

/// The baseline file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Baseline {
    pub version: u32,
    pub tool: String,
    pub findings: Vec<BaselineEntry>,
}

impl Baseline {
    /// Records the active (unsuppressed) findings.
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        Baseline {
            version: 1,
            tool: "confgate".to_string(),
            findings: findings
                .iter()
                .filter(|f| f.suppressed.is_none())
                .map(|f| BaselineEntry {
                    fingerprint: f.fingerprint.clone(),
                    rule_id: f.rule_id.clone(),
                    file: f.file.clone(),
                    line: f.line,
                    resource: f.resource.clone(),
                    path: f.path.clone(),
                    message: f.message.clone(),
                })
                .collect(),
        }
    }

    pub fn read(path: &Path) -> Result<Baseline, Diagnostic> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostic::new(Code::Baseline, format!("cannot read: {e}")).file(name.clone())
        })?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| {
            Diagnostic::new(Code::Baseline, format!("not a confgate baseline: {e}"))
                .file(name.clone())
                .line(u32::try_from(e.line()).ok().filter(|l| *l > 0))
        })?;
        if b.version != 1 {
            return Err(Diagnostic::new(
                Code::Baseline,
                format!("unsupported baseline version {}", b.version),
            )
            .file(name));
        }
        Ok(b)
    }

    pub fn to_json(&self) -> Result<Vec<u8>, Diagnostic> {
        let mut v = serde_json::to_vec_pretty(self)
            .map_err(|e| Diagnostic::new(Code::Baseline, e.to_string()))?;
        v.push(b'\n');
        Ok(v)
    }

    /// Marks each finding new or unchanged, matching fingerprints as a multiset (two
    /// identical findings need two baseline entries); returns the entries no finding matched.
    pub fn classify(&self, findings: &mut [Finding]) -> Vec<BaselineEntry> {
        let mut left: HashMap<&str, Vec<&BaselineEntry>> = HashMap::new();
        for e in &self.findings {
            left.entry(e.fingerprint.as_str()).or_default().push(e);
        }
        for f in findings.iter_mut() {
            let hit = left.get_mut(f.fingerprint.as_str()).and_then(Vec::pop);
            f.baseline_state = Some(if hit.is_some() {
                BaselineState::Unchanged
            } else {
                BaselineState::New
            });
        }
        let mut absent: Vec<BaselineEntry> = left.into_values().flatten().cloned().collect();
        absent.sort_by(|a, b| (&a.file, a.line, &a.rule_id).cmp(&(&b.file, b.line, &b.rule_id)));
        absent
    }
}
