//! Findings: what a rule found, where, and how it is identified across runs.
//!
//! The JSON shape here is a contract (docs/architecture.md). The fingerprint is built from the rule,
//! the resource identity, the path and the offending value, never from line numbers, so it
//! survives unrelated edits and reordering.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::{Framework, Rule, Severity};
use crate::document::{Document, FieldPath, ResourceId, Span};

/// What a policy reported for one document, before it is resolved against its rule and
/// document into a [`Finding`].
#[derive(Clone, Debug, PartialEq)]
pub struct RawFinding {
    pub id: String,
    pub msg: String,
    pub path: Option<FieldPath>,
}

/// Where a finding stands against a baseline (SARIF `baselineState`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum BaselineState {
    New,
    Unchanged,
    Absent,
}

/// Why a finding does not count (waivers and baselines fill this in).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Suppression {
    /// `inSource` (annotation) or `external` (waiver), as in SARIF.
    pub kind: String,
    pub justification: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ResourceRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl From<&ResourceId> for ResourceRef {
    fn from(r: &ResourceId) -> Self {
        ResourceRef {
            api_version: r.api_version.clone(),
            kind: r.kind.clone(),
            namespace: r.namespace.clone(),
            name: r.name.clone(),
        }
    }
}

/// One problem in one document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub document_index: usize,
    pub source: Option<String>,
    pub resource: ResourceRef,
    pub path: String,
    /// The rule's controls per framework, shared by all its findings (not copied into each).
    pub frameworks: std::sync::Arc<BTreeMap<Framework, Vec<String>>>,
    pub fingerprint: String,
    pub suppressed: Option<Suppression>,
    /// Against `--baseline`: new or unchanged (absent only in SARIF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<BaselineState>,
    /// The value at `path` is secret material: outputs must not show it.
    #[serde(skip)]
    pub sensitive: bool,
}

impl Finding {
    /// Resolves a policy's raw finding against its rule and document.
    pub fn new(raw: &RawFinding, rule: &Rule, doc: &Document) -> Finding {
        let path = raw.path.clone().unwrap_or_default();
        let located = doc.tree.locate(&path);
        let span: Span = if path.0.is_empty() {
            doc.tree.get("kind").map(|k| k.span).unwrap_or(located.span)
        } else {
            located.span
        };
        let value = if rule.sensitive {
            None
        } else {
            doc.tree.scalar_at(&path).map(|v| v.to_string())
        };
        let fingerprint = fingerprint(&rule.id, &doc.resource, &path, value.as_deref());
        Finding {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            severity: rule.severity,
            message: if raw.msg.is_empty() {
                rule.summary.clone()
            } else {
                raw.msg.clone()
            },
            file: doc.file.path.clone(),
            line: span.start.line,
            column: span.start.column,
            end_line: span.end.line,
            end_column: span.end.column,
            document_index: doc.index,
            source: doc.source.clone(),
            resource: (&doc.resource).into(),
            path: path.to_string(),
            frameworks: rule.frameworks.clone(),
            fingerprint,
            suppressed: None,
            baseline_state: None,
            sensitive: rule.sensitive,
        }
    }

    /// Sort key: file, position, rule, path — the same order on every run.
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str, &str) {
        (
            &self.file,
            self.line,
            self.column,
            &self.rule_id,
            &self.path,
            &self.message,
        )
    }
}

/// A stable id for a finding: rule, resource identity, path and offending value.
pub fn fingerprint(
    rule_id: &str,
    resource: &ResourceId,
    path: &FieldPath,
    value: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    for part in [
        rule_id,
        &resource.api_version,
        &resource.kind,
        resource.namespace.as_deref().unwrap_or(""),
        &resource.name,
        &path.to_string(),
        value.unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Counts per severity, most severe first.
pub fn by_severity(findings: &[Finding]) -> BTreeMap<Severity, usize> {
    let mut m: BTreeMap<Severity, usize> = Severity::ALL.iter().map(|s| (*s, 0)).collect();
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        *m.entry(f.severity).or_default() += 1;
    }
    m
}

/// Security score 0–100: every document has a budget of 10 severity points (one critical
/// finding uses it all); the score is the share of the budget left.
pub fn security_score(findings: &[Finding], documents: usize) -> u32 {
    let penalty: f64 = findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| f.severity.weight())
        .sum();
    let budget = 10.0 * documents.max(1) as f64;
    (100.0 * (1.0 - penalty / budget)).clamp(0.0, 100.0).round() as u32
}
