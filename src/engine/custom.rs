//! User policies brought to a scan with `--policy`: conftest-style Rego (`deny`/`violation`/
//! `warn` in a namespace) and Gatekeeper ConstraintTemplates with their Constraints.
//!
//! Placeholder interface: the implementation lands with the bring-your-own-policies work.

use std::path::{Path, PathBuf};

use crate::catalog::{Rule, Severity};
use crate::document::Document;
use crate::finding::Finding;
use crate::source::InputError;

use super::{Input, PolicyError};

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
        }
    }
}

/// Loaded user policies.
#[derive(Debug)]
pub struct CustomPolicies {
    rules: Vec<Rule>,
}

impl CustomPolicies {
    /// Loads every policy below `opts.policy_paths`.
    pub fn load(opts: &CustomOptions, cwd: &Path) -> Result<CustomPolicies, PolicyError> {
        let _ = (opts, cwd);
        Err(PolicyError {
            file: "--policy".to_string(),
            line: None,
            message: "user policies are not supported yet".to_string(),
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
        let _ = (selected, all, data);
        (Vec::new(), Vec::new())
    }
}
