//! User policies brought to a scan with `--policy`: conftest-style Rego (`deny`/`violation`/
//! `warn` in a namespace, see [`super::conftest`]) and Gatekeeper ConstraintTemplates with
//! their Constraints (see [`super::gatekeeper`]).
//!
//! Policies are parsed and checked once ([`CustomPolicies::load`]): a syntax error, an unknown
//! function or a malformed template is a load error naming the file and line. Evaluation runs
//! with the interpreter (`regorus::Engine::eval_rule`), across documents with rayon, one engine
//! clone per chunk; a runtime error costs only that rule's findings for that document and is
//! reported as an input error naming the policy file and line.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use regorus::Value;

use crate::catalog::{Rule, Severity};
use crate::document::{Document, FieldPath};
use crate::finding::{Finding, fingerprint};
use crate::source::InputError;

use super::conftest::Conftest;
use super::gatekeeper::{self, Gatekeeper};
use super::{Input, PolicyError, RawFinding};

mod files;
mod rego;

pub(crate) use files::{load_data, policy_files, read_text, walk, yaml_documents};
pub(crate) use rego::{
    RegoVersion, SourceMap, add_rego, check_functions, eval_failure, new_engine,
};

/// Options for user policies.
#[derive(Clone, Debug)]
pub struct CustomOptions {
    /// Directories or files with Rego (conftest) or ConstraintTemplate/Constraint YAML.
    pub policy_paths: Vec<PathBuf>,
    /// Extra data (YAML/JSON) exposed to conftest policies under `data`.
    pub data_paths: Vec<PathBuf>,
    /// conftest namespaces to evaluate (default `main`).
    pub namespaces: Vec<String>,
    /// Evaluate every namespace that defines deny/violation/warn rules.
    pub all_namespaces: bool,
    /// Evaluate all documents as one input (conftest `--combine`).
    pub combine: bool,
    /// Severity of `deny`/`violation` results and of Gatekeeper `deny` constraints.
    pub deny_severity: Severity,
    /// Severity of `warn` results and of Gatekeeper `warn` constraints.
    pub warn_severity: Severity,
    /// Time one rule (or constraint) may run on one document.
    pub timeout: Duration,
}

impl Default for CustomOptions {
    fn default() -> Self {
        CustomOptions {
            policy_paths: Vec::new(),
            data_paths: Vec::new(),
            namespaces: vec!["main".to_string()],
            all_namespaces: false,
            combine: false,
            deny_severity: Severity::High,
            warn_severity: Severity::Medium,
            timeout: Duration::from_secs(5),
        }
    }
}

/// Loaded user policies.
#[derive(Debug)]
pub struct CustomPolicies {
    rules: Vec<Rule>,
    conftest: Option<Conftest>,
    gatekeeper: Option<Gatekeeper>,
}

impl CustomPolicies {
    /// Loads every policy below `opts.policy_paths`: `.rego` files are conftest policies,
    /// YAML/JSON files holding ConstraintTemplates or Constraints are Gatekeeper policies
    /// (other YAML, such as sample objects or test suites, is ignored).
    pub fn load(opts: &CustomOptions, cwd: &Path) -> Result<CustomPolicies, PolicyError> {
        let files = policy_files(&opts.policy_paths, cwd)?;
        let mut rego = Vec::new();
        let mut objects = Vec::new();
        for f in files {
            if f.display.ends_with(".rego") {
                rego.push(super::PolicySource {
                    path: f.display,
                    text: f.text,
                });
            } else {
                objects.extend(gatekeeper::objects_in(&f.display, &f.text)?);
            }
        }
        if rego.is_empty() && objects.is_empty() {
            let shown: Vec<String> = opts
                .policy_paths
                .iter()
                .map(|p| crate::source::display_path(p, cwd))
                .collect();
            return Err(PolicyError {
                file: shown.join(", "),
                line: None,
                message: "no conftest policies (.rego) and no Gatekeeper ConstraintTemplates or Constraints found".to_string(),
            });
        }
        let conftest = if rego.is_empty() {
            None
        } else {
            let data = load_data(&opts.data_paths, cwd)?;
            Some(Conftest::load(&rego, data, opts)?)
        };
        let gatekeeper = if objects.is_empty() {
            None
        } else {
            Some(Gatekeeper::build(
                objects,
                &Severities::of(opts),
                opts.timeout,
            )?)
        };
        let mut rules: Vec<Rule> = Vec::new();
        if let Some(c) = &conftest {
            rules.extend(c.rules().cloned());
        }
        if let Some(g) = &gatekeeper {
            rules.extend(g.rules().cloned());
        }
        let mut seen = HashSet::new();
        for r in &rules {
            if !seen.insert(r.id.as_str()) {
                return Err(PolicyError {
                    file: "--policy".to_string(),
                    line: None,
                    message: format!("two user policies define rule {}", r.id),
                });
            }
        }
        Ok(CustomPolicies {
            rules,
            conftest,
            gatekeeper,
        })
    }

    /// Catalog entries describing the user rules (for reports and SARIF descriptors).
    pub fn rules(&self) -> Vec<Rule> {
        self.rules.clone()
    }

    /// Evaluates `selected` documents; `all` is every document of the scan and `data` the
    /// inventory/settings data built for the built-in policies.
    pub fn evaluate(
        &self,
        selected: &[(&Document, &Input)],
        all: &[Document],
        data: &Input,
    ) -> (Vec<Finding>, Vec<InputError>) {
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        let gk = match &self.gatekeeper {
            Some(g) => match g.prepare(Some(data.value())) {
                Ok(engines) => Some((g, engines, gatekeeper::NamespaceLabels::of(all))),
                Err(e) => {
                    errors.push(InputError {
                        column: None,
                        file: e.file,
                        line: e.line,
                        message: e.message,
                    });
                    None
                }
            },
            None => None,
        };
        let combined = self.conftest.as_ref().filter(|c| c.combine());
        if let Some(c) = combined {
            let (f, e) = c.evaluate_combined(selected, all);
            findings.extend(f);
            errors.extend(e);
        }
        let per_doc = self.conftest.as_ref().filter(|c| !c.combine());
        if per_doc.is_none() && gk.is_none() {
            return (findings, errors);
        }
        let threads = rayon::current_num_threads().max(1);
        let chunk = selected.len().div_ceil(threads * 8).max(1);
        let results: Vec<(Vec<Finding>, Vec<InputError>)> = selected
            .par_chunks(chunk)
            .map(|chunk| {
                let mut findings = Vec::new();
                let mut errors = Vec::new();
                let mut conftest = per_doc.map(|c| (c, c.engine()));
                let mut gk = gk
                    .as_ref()
                    .map(|(g, engines, ns)| (*g, engines.clone(), ns));
                for (doc, input) in chunk {
                    if let Some((c, engine)) = &mut conftest {
                        let (f, e) = c.evaluate_document(engine, doc, input);
                        findings.extend(f);
                        errors.extend(e);
                    }
                    if let Some((g, engines, ns)) = &mut gk {
                        let (f, e) = g.evaluate_document(engines, doc, input, ns);
                        findings.extend(f);
                        errors.extend(e);
                    }
                }
                (findings, errors)
            })
            .collect();
        for (f, e) in results {
            findings.extend(f);
            errors.extend(e);
        }
        (findings, errors)
    }
}

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
pub(crate) type Failures<K> = Vec<(K, String)>;

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
pub(crate) fn doc_error(doc: &Document, what: &str, message: &str) -> InputError {
    InputError {
        column: None,
        file: doc.file.path.clone(),
        line: Some(doc.tree.span.start.line),
        message: format!("{what} failed on {}: {message}", doc.resource),
    }
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
        frameworks: BTreeMap::new(),
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
