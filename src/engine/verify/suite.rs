//! Reading a Gatekeeper test suite: the `Suite` → tests → cases → assertions model and its
//! parsing from the marked YAML tree, so that running (`verify.rs`) sees only checked values
//! and every malformed field is one error naming the suite file and line.

use std::path::{Path, PathBuf};

use regex::Regex;

use crate::diag::{Code, Diagnostic};
use crate::document::{Node, NodeKind};

/// How many violations an assertion expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Expect {
    Some,
    None,
    Exactly(usize),
}

#[derive(Clone, Debug)]
pub(super) struct Assertion {
    pub(super) expect: Expect,
    pub(super) message: Option<Regex>,
}

#[derive(Clone, Debug)]
pub(super) struct Case {
    pub(super) name: String,
    pub(super) line: u32,
    pub(super) object: PathBuf,
    pub(super) inventory: Vec<PathBuf>,
    pub(super) assertions: Vec<Assertion>,
    pub(super) skip: bool,
}

#[derive(Clone, Debug)]
pub(super) struct Test {
    pub(super) name: String,
    pub(super) line: u32,
    pub(super) template: PathBuf,
    pub(super) constraint: PathBuf,
    pub(super) cases: Vec<Case>,
    pub(super) skip: bool,
}

#[derive(Clone, Debug)]
pub(super) struct Suite {
    pub(super) file: String,
    pub(super) tests: Vec<Test>,
}

pub(super) fn bad(file: &str, line: u32, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::PolicyLoad, message.into())
        .file(file.to_string())
        .line(Some(line.max(1)))
}

pub(super) fn text(n: &Node) -> Option<&str> {
    match &n.kind {
        NodeKind::Scalar(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}

pub(super) fn flag(n: &Node, key: &str) -> bool {
    matches!(
        n.get(key).map(|v| &v.kind),
        Some(NodeKind::Scalar(serde_json::Value::Bool(true)))
    )
}

pub(super) fn parse_suite(file: &str, dir: &Path, root: &Node) -> Result<Suite, Diagnostic> {
    let api = root.get("apiVersion").and_then(text).unwrap_or_default();
    if !api.starts_with("test.gatekeeper.sh/") {
        return Err(bad(
            file,
            root.span.start.line,
            format!("a Suite needs apiVersion test.gatekeeper.sh/v1alpha1, got {api:?}"),
        ));
    }
    let mut tests = Vec::new();
    let items = match root.get("tests").map(|t| &t.kind) {
        Some(NodeKind::Seq(items)) => items.as_slice(),
        None => &[],
        Some(_) => {
            return Err(bad(file, root.span.start.line, "tests must be a list"));
        }
    };
    for (i, t) in items.iter().enumerate() {
        let l = t.span.start.line;
        let name = t
            .get("name")
            .and_then(text)
            .map_or_else(|| format!("test {}", i + 1), str::to_string);
        let path_at = |key: &str| -> Result<PathBuf, Diagnostic> {
            t.get(key)
                .and_then(text)
                .filter(|s| !s.is_empty())
                .map(|s| dir.join(s))
                .ok_or_else(|| {
                    bad(
                        file,
                        l,
                        format!("test {name:?} has no {key} (a path relative to the suite)"),
                    )
                })
        };
        let template = path_at("template")?;
        let constraint = path_at("constraint")?;
        let mut cases = Vec::new();
        if let Some(cs) = t.get("cases") {
            let NodeKind::Seq(cs) = &cs.kind else {
                return Err(bad(
                    file,
                    cs.span.start.line,
                    format!("cases of test {name:?} must be a list"),
                ));
            };
            for (j, c) in cs.iter().enumerate() {
                cases.push(parse_case(file, dir, c, j)?);
            }
        }
        tests.push(Test {
            name,
            line: l,
            template,
            constraint,
            cases,
            skip: flag(t, "skip"),
        });
    }
    Ok(Suite {
        file: file.to_string(),
        tests,
    })
}

pub(super) fn parse_case(file: &str, dir: &Path, c: &Node, j: usize) -> Result<Case, Diagnostic> {
    let l = c.span.start.line;
    let name = c
        .get("name")
        .and_then(text)
        .map_or_else(|| format!("case {}", j + 1), str::to_string);
    let skip = flag(c, "skip");
    let object = match c.get("object").and_then(text) {
        Some(o) if !o.is_empty() => dir.join(o),
        _ if skip => PathBuf::new(),
        _ => {
            return Err(bad(
                file,
                l,
                format!("case {name:?} has no object (a path relative to the suite)"),
            ));
        }
    };
    let inventory = match c.get("inventory").map(|i| &i.kind) {
        None => Vec::new(),
        Some(NodeKind::Seq(items)) => items
            .iter()
            .map(|i| {
                text(i).map(|s| dir.join(s)).ok_or_else(|| {
                    bad(file, i.span.start.line, "inventory must be a list of paths")
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(bad(
                file,
                l,
                format!("inventory of case {name:?} must be a list of paths"),
            ));
        }
    };
    let mut assertions = Vec::new();
    match c.get("assertions").map(|a| (&a.kind, a.span.start.line)) {
        Some((NodeKind::Seq(items), _)) => {
            for a in items {
                assertions.push(parse_assertion(file, a)?);
            }
        }
        Some((_, al)) => {
            return Err(bad(
                file,
                al,
                format!("assertions of case {name:?} must be a list"),
            ));
        }
        None => {}
    }
    if assertions.is_empty() && !skip {
        return Err(bad(file, l, format!("case {name:?} has no assertions")));
    }
    Ok(Case {
        name,
        line: l,
        object,
        inventory,
        assertions,
        skip,
    })
}

pub(super) fn parse_assertion(file: &str, a: &Node) -> Result<Assertion, Diagnostic> {
    let l = a.span.start.line;
    if !matches!(a.kind, NodeKind::Map(_)) {
        return Err(bad(
            file,
            l,
            "an assertion must be a mapping with violations and, optionally, message",
        ));
    }
    let expect = match a.get("violations").map(|v| &v.kind) {
        None => Expect::Some,
        Some(NodeKind::Scalar(serde_json::Value::Bool(true))) => Expect::Some,
        Some(NodeKind::Scalar(serde_json::Value::Bool(false))) => Expect::None,
        Some(NodeKind::Scalar(serde_json::Value::Number(n))) => {
            Expect::Exactly(n.as_u64().ok_or_else(|| {
                bad(
                    file,
                    l,
                    format!("violations must be yes, no or a count ≥ 0, got {n}"),
                )
            })? as usize)
        }
        Some(NodeKind::Scalar(serde_json::Value::String(s))) => match s.as_str() {
            "yes" => Expect::Some,
            "no" => Expect::None,
            other => Expect::Exactly(other.parse().map_err(|_| {
                bad(
                    file,
                    l,
                    format!("violations must be yes, no or a count ≥ 0, got {other:?}"),
                )
            })?),
        },
        Some(_) => return Err(bad(file, l, "violations must be yes, no or a count ≥ 0")),
    };
    let message = match a.get("message") {
        None => None,
        Some(m) => {
            let pattern = text(m).ok_or_else(|| {
                bad(
                    file,
                    m.span.start.line,
                    "message must be a string (a regex)",
                )
            })?;
            Some(Regex::new(pattern).map_err(|e| {
                bad(
                    file,
                    m.span.start.line,
                    format!(
                        "message {pattern:?} is not a valid regex: {}",
                        e.to_string()
                            .lines()
                            .rev()
                            .find(|l| !l.trim().is_empty())
                            .map_or("", |l| l.trim().trim_start_matches("error: "))
                    ),
                )
            })?)
        }
    };
    Ok(Assertion { expect, message })
}
