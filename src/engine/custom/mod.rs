//! User policies brought to a scan with `--policy`: conftest-style Rego (`deny`/`violation`/
//! `warn` in a namespace, see [`conftest`]) and Gatekeeper ConstraintTemplates with
//! their Constraints (see [`gatekeeper`]).
//!
//! Policies are parsed and checked once ([`CustomPolicies::load`]): a syntax error, an unknown
//! function or a malformed template is a load error naming the file and line. Evaluation runs
//! with the interpreter (`regorus::Engine::eval_rule`), across documents with rayon, one engine
//! clone per chunk; a runtime error costs only that rule's findings for that document and is
//! reported as an input error naming the policy file and line.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;

use crate::catalog::{Rule, Severity};
use crate::diag::{Code, Diagnostic};
use crate::document::Document;
use crate::finding::Finding;

use super::EngineValue;

mod conftest;
mod files;
pub(crate) mod gatekeeper;
mod rego;
mod results;

use conftest::Conftest;
use gatekeeper::Gatekeeper;

pub(crate) use super::failure::SourceMap;
pub(crate) use files::{load_data, policy_files, read_text, walk, yaml_documents};
pub(crate) use rego::{
    RegoVersion, add_rego, check_functions, check_recursion, eval_failure, new_engine, timer,
};
pub(crate) use results::{
    Failure, Failures, Hit, Hits, Severities, doc_error, finding, hits, user_rule,
};

/// Options for user policies.
#[derive(Clone, Debug)]
pub struct CustomOptions {
    /// Where relative policy and data paths are resolved and shown from.
    pub base_dir: PathBuf,
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
            base_dir: PathBuf::from("."),
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
    pub fn load(opts: &CustomOptions, cwd: &Path) -> Result<CustomPolicies, Diagnostic> {
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
            return Err(Diagnostic::new(Code::PolicyLoad, "no conftest policies (.rego) and no Gatekeeper ConstraintTemplates or Constraints found".to_string()).file(shown.join(", ")));
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
                return Err(Diagnostic::new(
                    Code::PolicyLoad,
                    format!("two user policies define rule {}", r.id),
                ));
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
        selected: &[(&Document, &EngineValue)],
        all: &[&Document],
        data: &EngineValue,
    ) -> (Vec<Finding>, Vec<Diagnostic>) {
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        let gk = match &self.gatekeeper {
            Some(g) => match g.prepare(Some(data.value())) {
                Ok(engines) => Some((g, engines, gatekeeper::NamespaceLabels::of(all))),
                Err(e) => {
                    errors.push(e);
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
        let one_chunk = |chunk: &[(&Document, &EngineValue)]| {
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
        };
        // One chunk (a webhook review) stays on the calling thread.
        let results: Vec<(Vec<Finding>, Vec<Diagnostic>)> = if selected.len() <= chunk {
            vec![one_chunk(selected)]
        } else {
            selected.par_chunks(chunk).map(one_chunk).collect()
        };
        for (f, e) in results {
            findings.extend(f);
            errors.extend(e);
        }
        (findings, errors)
    }
}
