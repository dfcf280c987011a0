//! conftest-style policies: `deny`, `violation` and `warn` rules (also with a `_suffix`, such
//! as `deny_latest_tag`) in the namespaces chosen with `--policy-namespace` (default `main`) or
//! in every namespace (`--all-policy-namespaces`), `exception` rules, `--data` and `--combine`.
//!
//! Rules are found in the sources (rule heads at the start of a line, as `opa fmt` writes
//! them) and each one is checked by evaluating it once at load time. Each document is the
//! `input` of its own evaluation; with `--combine`, the input is one array of
//! `{"path": file, "contents": document-or-documents}` objects, as conftest gives it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use regorus::Value;

use crate::catalog::Rule;
use crate::diag::{Code, Diagnostic};
use crate::document::Document;
use crate::finding::Finding;

use super::{
    CustomOptions, Failures, Hits, Severities, SourceMap, add_rego, check_functions,
    check_recursion, doc_error, eval_failure, finding, hits, new_engine,
};
use crate::engine::failure::{no_such_rule, timed_out};
use crate::engine::{EngineValue, PolicySource};

mod heads;

use heads::{Kind, find_heads, rule_for};

/// One evaluated rule.
#[derive(Debug)]
struct Entry {
    namespace: String,
    /// `data.<namespace>.<name>`
    path: String,
    /// The name `exception` rules use for it (`foo` for `deny_foo`, `` for `deny`); `warn`
    /// rules cannot be excepted.
    exception_name: Option<String>,
    rule: Rule,
}

/// conftest policies, parsed and checked.
#[derive(Debug)]
pub(crate) struct Conftest {
    engine: regorus::Engine,
    entries: Vec<Entry>,
    /// Namespace → `data.<namespace>.exception`.
    exceptions: BTreeMap<String, String>,
    map: SourceMap,
    combine: bool,
    timeout: Duration,
}

impl Conftest {
    /// Parses `sources` (Rego v1, or v0 per file), adds `data`, finds the rules of the chosen
    /// namespaces and evaluates each once.
    pub(crate) fn load(
        sources: &[PolicySource],
        data: serde_json::Value,
        opts: &CustomOptions,
    ) -> Result<Conftest, Diagnostic> {
        let mut engine = new_engine(opts.timeout);
        let mut map = SourceMap::default();
        for s in sources {
            map.add(&s.path, &s.path, 0, 0);
        }
        let mut heads = Vec::new();
        for s in sources {
            let package = add_rego(&mut engine, &s.path, &s.text, None, &map)?;
            let package = package
                .strip_prefix("data.")
                .unwrap_or(&package)
                .to_string();
            heads.extend(find_heads(s, &package));
        }
        check_recursion(&engine, &map)?;
        let defined: BTreeSet<&str> = heads
            .iter()
            .filter(|h| Kind::of(&h.name).is_some())
            .map(|h| h.package.as_str())
            .collect();
        let chosen: BTreeSet<String> = if opts.all_namespaces {
            defined.iter().map(|s| s.to_string()).collect()
        } else {
            opts.namespaces
                .iter()
                .filter(|n| defined.contains(n.as_str()))
                .cloned()
                .collect()
        };
        if chosen.is_empty() {
            let files: Vec<&str> = sources.iter().map(|s| s.path.as_str()).collect();
            let message = if defined.is_empty() {
                "no deny, violation or warn rules found (conftest rules are named deny, violation or warn, optionally with a _suffix)".to_string()
            } else {
                format!(
                    "no deny, violation or warn rules in namespace {}; the policies define them in {} (choose with --policy-namespace, or use --all-policy-namespaces)",
                    opts.namespaces.join(", "),
                    defined.iter().copied().collect::<Vec<_>>().join(", ")
                )
            };
            return Err(Diagnostic::new(Code::PolicyLoad, message)
                .file(files.first().map_or("--policy", |f| f).to_string()));
        }
        if data.as_object().is_some_and(|o| !o.is_empty()) {
            engine.add_data(Value::from(data)).map_err(|e| {
                Diagnostic::new(Code::PolicyLoad, crate::engine::one_line(&format!("{e:#}")))
                    .file("--data".to_string())
            })?;
        }
        engine.set_input(Value::from(serde_json::json!({})));
        let sev = Severities::of(opts);
        let mut entries: Vec<Entry> = Vec::new();
        let mut exceptions = BTreeMap::new();
        for h in &heads {
            if !chosen.contains(&h.package) {
                continue;
            }
            let path = format!("data.{}.{}", h.package, h.name);
            if h.name == "exception" {
                if !exceptions.contains_key(&h.package) && probe(&mut engine, &path, &map)? {
                    exceptions.insert(h.package.clone(), path);
                }
                continue;
            }
            let Some(kind) = Kind::of(&h.name) else {
                continue;
            };
            if entries.iter().any(|e| e.path == path) || !probe(&mut engine, &path, &map)? {
                continue;
            }
            let exception_name = match kind {
                Kind::Warn => None,
                Kind::Deny | Kind::Violation => Some(
                    h.name
                        .trim_start_matches("deny")
                        .trim_start_matches("violation")
                        .trim_start_matches('_')
                        .to_string(),
                ),
            };
            entries.push(Entry {
                namespace: h.package.clone(),
                path,
                exception_name,
                rule: rule_for(h, kind, &sev),
            });
        }
        Ok(Conftest {
            engine,
            entries,
            exceptions,
            map,
            combine: opts.combine,
            timeout: opts.timeout,
        })
    }

    pub(crate) fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.entries.iter().map(|e| &e.rule)
    }

    pub(crate) fn combine(&self) -> bool {
        self.combine
    }

    /// An engine for one worker.
    pub(crate) fn engine(&self) -> regorus::Engine {
        self.engine.clone()
    }

    /// Evaluates every rule on one document.
    pub(crate) fn evaluate_document(
        &self,
        engine: &mut regorus::Engine,
        doc: &Document,
        input: &EngineValue,
    ) -> (Vec<Finding>, Vec<Diagnostic>) {
        engine.set_input(input.value().clone());
        let (found, failed) = self.run(engine);
        let findings = found
            .iter()
            .map(|(i, hit)| finding(&self.entries[*i].rule, doc, hit))
            .collect();
        let errors = failed
            .iter()
            .map(|(what, message)| doc_error(doc, what, message))
            .collect();
        (findings, errors)
    }

    /// `--combine`: evaluates every rule once on all documents. A result names the document
    /// it is about with `file` (the `path` of the input entry) and, when that entry's
    /// `contents` is an array, `document` (the index in it); otherwise it is reported on the
    /// first document of the scan. Only results about `selected` documents are reported.
    pub(crate) fn evaluate_combined(
        &self,
        selected: &[(&Document, &EngineValue)],
        all: &[&Document],
    ) -> (Vec<Finding>, Vec<Diagnostic>) {
        let Some(first) = all.first() else {
            return (Vec::new(), Vec::new());
        };
        let mut by_file: Vec<(&str, Vec<&Document>)> = Vec::new();
        for &d in all {
            match by_file.iter_mut().find(|(f, _)| *f == d.file.path) {
                Some((_, docs)) => docs.push(d),
                None => by_file.push((&d.file.path, vec![d])),
            }
        }
        let input: Vec<Value> = by_file
            .iter()
            .map(|(file, docs)| {
                let contents = match docs.as_slice() {
                    [one] => EngineValue::from_node(&one.tree).value().clone(),
                    many => Value::from(
                        many.iter()
                            .map(|d| EngineValue::from_node(&d.tree).value().clone())
                            .collect::<Vec<_>>(),
                    ),
                };
                let mut obj = BTreeMap::new();
                obj.insert(Value::from("path"), Value::from(*file));
                obj.insert(Value::from("contents"), contents);
                Value::from(obj)
            })
            .collect();
        let mut engine = self.engine.clone();
        engine.set_input(Value::from(input));
        let (found, failed) = self.run(&mut engine);
        let is_selected = |d: &Document| selected.iter().any(|(s, _)| std::ptr::eq(*s, d));
        let mut findings = Vec::new();
        for (i, hit) in &found {
            let target = hit
                .file
                .as_deref()
                .and_then(|f| by_file.iter().find(|(name, _)| *name == f))
                .and_then(|(_, docs)| docs.get(hit.index.unwrap_or(0)).copied())
                .unwrap_or(first);
            if is_selected(target) {
                findings.push(finding(&self.entries[*i].rule, target, hit));
            }
        }
        let errors = if is_selected(first) {
            failed
                .iter()
                .map(|(what, message)| {
                    Diagnostic::new(
                        Code::PolicyEval,
                        format!("{what} failed on the combined input: {message}"),
                    )
                    .file(first.file.path.clone())
                })
                .collect()
        } else {
            Vec::new()
        };
        (findings, errors)
    }

    /// Evaluates the exceptions, then every rule that is not excepted, on the engine's input.
    fn run(&self, engine: &mut regorus::Engine) -> (Hits<usize>, Failures<String>) {
        let mut found = Vec::new();
        let mut failed = Vec::new();
        let mut excepted: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for (ns, path) in &self.exceptions {
            match engine.eval_rule(path.clone()) {
                Ok(v) => {
                    excepted.insert(ns, exception_names(&v));
                }
                Err(e) => failed.push((
                    format!("exception {}", path.trim_start_matches("data.")),
                    eval_failure(&self.map, &e, self.timeout),
                )),
            }
        }
        for (i, entry) in self.entries.iter().enumerate() {
            if let (Some(name), Some(names)) = (
                &entry.exception_name,
                excepted.get(entry.namespace.as_str()),
            ) && names.contains(name)
            {
                continue;
            }
            match engine.eval_rule(entry.path.clone()) {
                Ok(v) => match hits(&v) {
                    Ok(hs) => found.extend(hs.into_iter().map(|h| (i, h))),
                    Err(m) => failed.push((format!("policy {}", entry.rule.id), m.into())),
                },
                Err(e) => failed.push((
                    format!("policy {}", entry.rule.id),
                    eval_failure(&self.map, &e, self.timeout),
                )),
            }
        }
        (found, failed)
    }
}

/// Evaluates `path` once (on `{}`) so that unknown functions, unsafe variables and
/// conflicts fail the load. `false` when the path is not a rule after all.
fn probe(engine: &mut regorus::Engine, path: &str, map: &SourceMap) -> Result<bool, Diagnostic> {
    match engine.eval_rule(path.to_string()) {
        Ok(_) => {
            check_functions(engine, path, map)?;
            Ok(true)
        }
        Err(e) => {
            if no_such_rule(&e) {
                Ok(false)
            } else if timed_out(&e) {
                check_functions(engine, path, map)?;
                Ok(true)
            } else {
                Err(map.policy_error(&e))
            }
        }
    }
}

/// The rule names an `exception` rule returns: strings, or arrays/sets of strings.
fn exception_names(v: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |x: &Value| {
        if let Value::String(s) = x {
            out.insert(s.to_string());
        }
    };
    let items: Vec<&Value> = match v {
        Value::Set(s) => s.iter().collect(),
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    for item in items {
        match item {
            Value::Array(a) => a.iter().for_each(&mut add),
            Value::Set(s) => s.iter().for_each(&mut add),
            other => add(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> PolicySource {
        PolicySource {
            path: "policy/p.rego".to_string(),
            text: text.to_string(),
        }
    }

    #[test]
    fn rule_names_follow_conftest() {
        assert_eq!(Kind::of("deny"), Some(Kind::Deny));
        assert_eq!(Kind::of("deny_latest_tag"), Some(Kind::Deny));
        assert_eq!(Kind::of("violation_x"), Some(Kind::Violation));
        assert_eq!(Kind::of("warn_x"), Some(Kind::Warn));
        assert_eq!(Kind::of("denylist"), None);
        assert_eq!(Kind::of("deny_"), None);
    }

    #[test]
    fn heads_are_found_at_line_starts_with_their_metadata() {
        let s = src(
            "package main\n\n# METADATA\n# title: No latest tag\n# description: Pin images.\ndeny_latest[msg] {\n  true\n}\n\nwarn contains msg if {\n  msg := \"x\"\n}\n\ndeny_helper(x) := x\n  deny[msg] { true }\nexception[rules] { rules := [\"latest\"] }\n",
        );
        let heads = find_heads(&s, "main");
        let names: Vec<(&str, u32)> = heads.iter().map(|h| (h.name.as_str(), h.line)).collect();
        assert_eq!(
            names,
            vec![("deny_latest", 6), ("warn", 10), ("exception", 16)]
        );
        assert_eq!(heads[0].title.as_deref(), Some("No latest tag"));
        assert_eq!(heads[0].description.as_deref(), Some("Pin images."));
    }

    #[test]
    fn exception_names_flatten_one_level() {
        let v = Value::from(serde_json::json!([["a", "b"], "c"]));
        let names = exception_names(&v);
        assert_eq!(names.into_iter().collect::<Vec<_>>(), vec!["a", "b", "c"]);
    }
}
