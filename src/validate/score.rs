//! Scores: each document (or a file without documents) starts at 100 and loses points per
//! problem; file scores and the overall score are averages.

use std::collections::{BTreeMap, BTreeSet};

use super::{FileReport, Level, Problem, ProblemKind};
use crate::catalog::Severity;
use crate::diag::Diagnostic;

/// Score penalties per problem (a document starts at 100 and never goes below 0).
pub(super) fn penalty(p: &Problem) -> u32 {
    if p.level == Level::Warning {
        return 2;
    }
    match (p.kind, p.severity) {
        (ProblemKind::Syntax, _) => 100,
        (ProblemKind::Security, Some(Severity::Critical)) => 40,
        (ProblemKind::Security, Some(Severity::High)) => 25,
        (ProblemKind::Security, Some(Severity::Medium)) => 10,
        (ProblemKind::Security, _) => 5,
        (ProblemKind::Schema | ProblemKind::JsonSchema, _) => 20,
        (ProblemKind::Business, _) => 15,
    }
}

/// Per-file reports and the overall score. A file with a tool error (unreadable, not
/// checkable) scores 0.
pub(super) fn files(
    problems: &[Problem],
    tool_errors: &[Diagnostic],
    file_names: &[String],
    doc_indexes: &BTreeMap<String, BTreeSet<usize>>,
) -> (Vec<FileReport>, u32) {
    let mut penalties: BTreeMap<(&str, Option<usize>), u32> = BTreeMap::new();
    for p in problems {
        let e = penalties
            .entry((p.file.as_str(), p.document_index))
            .or_insert(0);
        *e = e.saturating_add(penalty(p));
    }
    for e in tool_errors {
        penalties.insert((e.file_name().unwrap_or_default(), None), 100);
    }
    let mut files = Vec::new();
    let mut all_scores = Vec::new();
    for file in file_names {
        let indexes = doc_indexes.get(file).cloned().unwrap_or_default();
        let file_penalty = penalties.get(&(file.as_str(), None)).copied().unwrap_or(0);
        let mut scores: Vec<u32> = indexes
            .iter()
            .map(|i| {
                let pen = penalties
                    .get(&(file.as_str(), Some(*i)))
                    .copied()
                    .unwrap_or(0);
                100u32.saturating_sub(pen.saturating_add(file_penalty))
            })
            .collect();
        if scores.is_empty() {
            scores.push(100u32.saturating_sub(file_penalty));
        }
        let file_score = average(&scores);
        all_scores.extend(scores);
        let count = |level: Level| {
            problems
                .iter()
                .filter(|p| &p.file == file && p.level == level)
                .count()
        };
        let errors = count(Level::Error);
        files.push(FileReport {
            file: file.clone(),
            documents: indexes.len(),
            errors,
            warnings: count(Level::Warning),
            score: file_score,
            valid: errors == 0
                && !tool_errors
                    .iter()
                    .any(|e| e.file_name() == Some(file.as_str())),
        });
    }
    (files, average(&all_scores))
}

fn average(scores: &[u32]) -> u32 {
    if scores.is_empty() {
        return 100;
    }
    let sum: u64 = scores.iter().map(|s| u64::from(*s)).sum();
    (sum / scores.len() as u64) as u32
}
