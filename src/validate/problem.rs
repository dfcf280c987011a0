//! A validation problem: what kind of check found it, whether it makes the configuration
//! invalid, and the field it points at.

use serde::Serialize;

use crate::catalog::Severity;
use crate::document::{Document, FieldPath};
use crate::finding::ResourceRef;

/// The class of a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    Syntax,
    Schema,
    JsonSchema,
    Business,
    Security,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 5] = [
        ProblemKind::Syntax,
        ProblemKind::Schema,
        ProblemKind::JsonSchema,
        ProblemKind::Business,
        ProblemKind::Security,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Syntax => "syntax",
            ProblemKind::Schema => "schema",
            ProblemKind::JsonSchema => "json-schema",
            ProblemKind::Business => "business",
            ProblemKind::Security => "security",
        }
    }
}

/// Whether a problem makes the configuration invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

/// One problem, pointing at the offending field.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// Dotted field path (`spec.template.spec.containers[0].image`); empty for syntax errors.
    pub path: String,
    pub kind: ProblemKind,
    pub level: Level,
    /// Business or security rule id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Security findings only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceRef>,
}

impl Problem {
    /// An error of a file (not of one object): syntax, or an object that is not complete
    /// enough to be one.
    pub fn in_file(
        file: String,
        line: u32,
        column: u32,
        path: &str,
        kind: ProblemKind,
        message: String,
    ) -> Problem {
        Problem {
            file,
            line,
            column,
            path: path.to_string(),
            kind,
            level: Level::Error,
            rule: None,
            severity: None,
            message,
            document_index: None,
            resource: None,
        }
    }
}

/// A problem of `doc` at `path` (the document itself when `None`).
pub(super) fn problem_at(
    doc: &Document,
    path: Option<&FieldPath>,
    kind: ProblemKind,
    level: Level,
    message: String,
) -> Problem {
    let (pos, path_text) = match path {
        Some(p) => (doc.tree.locate(p).span.start, p.to_string()),
        None => (doc.tree.span.start, String::new()),
    };
    Problem {
        file: doc.file.path.clone(),
        line: pos.line,
        column: pos.column,
        path: path_text,
        kind,
        level,
        rule: None,
        severity: None,
        message,
        document_index: Some(doc.index),
        resource: Some((&doc.resource).into()),
    }
}
