//! What user rules return, read into findings: shared by the conftest and Gatekeeper
//! back ends so that both turn results, errors and catalog entries out the same way.

use regorus::Value;

use crate::catalog::{Rule, Severity};
use crate::diag::{Code, Diagnostic};
use crate::document::{Document, FieldPath};
use crate::finding::{Finding, RawFinding, fingerprint};

use super::CustomOptions;

/// Severities of the three kinds of results.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Severities {
    pub deny: Severity,
    pub warn: Severity,
}

impl Severities {
    pub(crate) fn of(opts: &CustomOptions) -> Severities {
        Severities {
            deny: opts.deny_severity,
            warn: opts.warn_severity,
        }
    }
}

/// A result of a user rule: its message and, optionally, the offending field and (for
/// `--combine`) the file and document it is about.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Hit {
    pub msg: String,
    pub path: Option<FieldPath>,
    pub file: Option<String>,
    pub index: Option<usize>,
}

/// Results of rules on one input, by rule.
pub(crate) type Hits<K> = Vec<(K, Hit)>;
/// Failed evaluations (one-line messages), by rule.
pub(crate) type Failures<K> = Vec<(K, Failure)>;

/// Why a user rule produced nothing for a document. Displayed as its message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Failure {
    /// It ran out of time (`policy-timeout`) rather than failing.
    pub timed_out: bool,
    /// One line, naming the policy file and line when regorus does.
    pub message: String,
}

// Not thiserror's `#[from]`: a message is not a source error, and `timed_out` has to be set.
impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure {
            timed_out: false,
            message,
        }
    }
}

/// Reads the results of a `deny`/`violation`/`warn` rule: a set of strings or of objects
/// with a string `msg` (and optionally `path`, `file`, `document`), or a boolean.
pub(crate) fn hits(v: &Value) -> Result<Vec<Hit>, String> {
    match v {
        Value::Undefined | Value::Null | Value::Bool(false) => Ok(Vec::new()),
        Value::Bool(true) => Ok(vec![Hit::default()]),
        Value::String(s) => Ok(vec![Hit {
            msg: s.to_string(),
            ..Hit::default()
        }]),
        Value::Set(s) => s.iter().map(hit).collect(),
        Value::Array(a) => a.iter().map(hit).collect(),
        other => Err(format!(
            "results must be a set of strings or of objects with a msg, got {}",
            short_json(other)
        )),
    }
}

fn hit(v: &Value) -> Result<Hit, String> {
    match v {
        Value::String(s) => Ok(Hit {
            msg: s.to_string(),
            ..Hit::default()
        }),
        Value::Object(obj) => {
            let get = |k: &str| obj.get(&Value::from(k));
            let msg = match get("msg") {
                Some(Value::String(s)) => s.to_string(),
                _ => {
                    return Err(format!("result {} has no string msg", short_json(v)));
                }
            };
            let path = match get("path") {
                Some(Value::String(s)) => FieldPath::parse(s),
                Some(Value::Array(a)) => {
                    let json: Vec<serde_json::Value> = a
                        .iter()
                        .filter_map(|x| serde_json::to_value(x).ok())
                        .collect();
                    FieldPath::from_json_array(&json)
                }
                _ => None,
            };
            let file = match get("file") {
                Some(Value::String(s)) => Some(s.to_string()),
                _ => None,
            };
            let index = get("document")
                .or_else(|| get("document_index"))
                .and_then(|d| d.as_u64().ok())
                .map(|d| d as usize);
            Ok(Hit {
                msg,
                path,
                file,
                index,
            })
        }
        other => Err(format!(
            "result {} is neither a string nor an object with a msg",
            short_json(other)
        )),
    }
}

/// A value as JSON, cut short for messages.
fn short_json(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_else(|_| "?".to_string());
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

/// A finding of a user rule on `doc`. The fingerprint covers the rule, the resource, the
/// path, the value there and the message (user rules often report several problems on one
/// path or none).
pub(crate) fn finding(rule: &Rule, doc: &Document, hit: &Hit) -> Finding {
    let raw = RawFinding {
        id: rule.id.clone(),
        msg: hit.msg.clone(),
        path: hit.path.clone(),
    };
    let mut f = Finding::new(&raw, rule, doc);
    let path = hit.path.clone().unwrap_or_default();
    let value = doc
        .tree
        .scalar_at(&path)
        .map(|v| v.to_string())
        .unwrap_or_default();
    f.fingerprint = fingerprint(
        &rule.id,
        &doc.resource,
        &path,
        Some(&format!("{value}\u{0}{}", hit.msg)),
    );
    f
}

/// An error of one user rule on one document.
pub(crate) fn doc_error(doc: &Document, what: &str, failure: &Failure) -> Diagnostic {
    Diagnostic::new(
        if failure.timed_out {
            Code::PolicyTimeout
        } else {
            Code::PolicyEval
        },
        format!("{what} failed on {}: {}", doc.resource, failure.message),
    )
    .file(doc.file.path.clone())
    .line(Some(doc.tree.span.start.line))
}

/// A catalog entry for a user rule.
pub(crate) fn user_rule(
    id: String,
    name: String,
    severity: Severity,
    summary: String,
    remediation: String,
    help: String,
) -> Rule {
    Rule {
        id,
        name,
        severity,
        summary,
        remediation,
        help,
        kinds: vec!["*".to_string()],
        frameworks: Default::default(),
        sensitive: false,
        category: "custom".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_strings_or_objects_with_msg() {
        let v = Value::from(serde_json::json!(["a", {"msg": "b", "path": ["spec", 0]}]));
        let h = hits(&v).unwrap_or_default();
        assert_eq!(h.len(), 2);
        assert_eq!(
            h[1].path.as_ref().map(ToString::to_string),
            Some("spec[0]".to_string())
        );
        assert!(hits(&Value::from(serde_json::json!([{"message": "x"}]))).is_err());
        assert!(hits(&Value::from(serde_json::json!({"a": 1}))).is_err());
    }
}
