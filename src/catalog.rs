//! The rule catalog: `rules/<category>/<ID>-<name>.toml`, embedded in the binary.
//!
//! Rule metadata lives here once; SARIF descriptors, `confgate rules` and rule docs are all
//! derived from it. The Rego that finds problems lives in `policies/<category>/<name>.rego`
//! in package `confgate.rules.<category>`.

use crate::diag::{Code, Diagnostic};
use std::collections::BTreeMap;
use std::fmt;

use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};

pub static RULES_DIR: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/rules");
pub static POLICIES_DIR: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/policies");

/// Finding severity, ordered from least to most severe.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// GitHub's `security-severity` score (its bands: critical ≥ 9, high ≥ 7, medium ≥ 4).
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "1.0",
        }
    }

    /// Weight in the security score.
    pub fn weight(self) -> f64 {
        match self {
            Severity::Critical => 10.0,
            Severity::High => 5.0,
            Severity::Medium => 2.0,
            Severity::Low => 0.5,
            Severity::Info => 0.0,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compliance frameworks rules map to.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Framework {
    PssBaseline,
    PssRestricted,
    CisK8s,
    NsaCisa,
    #[value(name = "nist-800-53")]
    #[serde(rename = "nist-800-53")]
    Nist80053,
    #[value(name = "nist-800-190")]
    #[serde(rename = "nist-800-190")]
    Nist800190,
    Soc2,
    Gdpr,
}

impl Framework {
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::PssBaseline => "pss-baseline",
            Framework::PssRestricted => "pss-restricted",
            Framework::CisK8s => "cis-k8s",
            Framework::NsaCisa => "nsa-cisa",
            Framework::Nist80053 => "nist-800-53",
            Framework::Nist800190 => "nist-800-190",
            Framework::Soc2 => "soc2",
            Framework::Gdpr => "gdpr",
        }
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule as written in `rules/`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub summary: String,
    pub remediation: String,
    pub help: String,
    /// Kinds the rule applies to; `*` for any, `workload` for every pod-spec kind.
    pub kinds: Vec<String>,
    /// Controls per framework (shared with every finding of the rule).
    #[serde(default)]
    pub frameworks: std::sync::Arc<BTreeMap<Framework, Vec<String>>>,
    /// The rule reports secret material: values at its paths are redacted in every output.
    #[serde(default)]
    pub sensitive: bool,
    /// Set from the directory the rule file sits in; equals the policy package's last part.
    #[serde(skip_deserializing)]
    pub category: String,
}

impl Rule {
    pub fn applies_to(&self, kind: &str) -> bool {
        self.kinds
            .iter()
            .any(|k| k == "*" || k == kind || (k == "workload" && crate::k8s::is_workload(kind)))
    }

    /// [`Rule::applies_to`] for one object: `workload` means a kind with a pod template in
    /// this object's API group (Knative's `Service` is a workload, the core one is not).
    pub fn applies_to_object(&self, api_version: &str, kind: &str) -> bool {
        self.kinds.iter().any(|k| {
            k == "*"
                || k == kind
                || (k == "workload" && crate::k8s::pod_template_path(api_version, kind).is_some())
        })
    }

    pub fn in_framework(&self, f: Framework) -> bool {
        self.frameworks.contains_key(&f)
    }

    /// The Rego package holding this rule.
    pub fn package(&self) -> String {
        format!("data.confgate.rules.{}", self.category)
    }
}

/// All rules, sorted by id.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub rules: Vec<Rule>,
}

impl Catalog {
    /// The built-in catalog embedded in the binary.
    pub fn builtin() -> Result<Catalog, Diagnostic> {
        let mut rules = Vec::new();
        for file in all_files(&RULES_DIR) {
            let path = file.path().to_string_lossy().replace('\\', "/");
            if !path.ends_with(".toml") {
                continue;
            }
            let text = file.contents_utf8().ok_or_else(|| {
                Diagnostic::new(Code::Catalog, "not UTF-8".to_string())
                    .file(format!("rules/{path}"))
            })?;
            let mut rule: Rule = toml::from_str(text).map_err(|e| {
                Diagnostic::new(Code::Catalog, e.to_string().replace('\n', " "))
                    .file(format!("rules/{path}"))
            })?;
            rule.category = path.split('/').next().unwrap_or_default().to_string();
            rules.push(rule);
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        for w in rules.windows(2) {
            if w[0].id == w[1].id {
                return Err(Diagnostic::new(
                    Code::Catalog,
                    format!("duplicate rule id {}", w[0].id),
                )
                .file("rules/".to_string()));
            }
        }
        Ok(Catalog { rules })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }

    /// Looks a rule up by id (any case) or by name.
    pub fn find(&self, id_or_name: &str) -> Option<&Rule> {
        let up = id_or_name.to_ascii_uppercase();
        self.get(&up)
            .or_else(|| self.rules.iter().find(|r| r.name == id_or_name))
    }
}

/// Every file below `dir`, in path order.
pub fn all_files<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut out: Vec<&include_dir::File<'_>> = dir.files().collect();
    for d in dir.dirs() {
        out.extend(all_files(d));
    }
    out.sort_by(|a, b| a.path().cmp(b.path()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_rules_apply_to_workload_kinds_of_their_api_group_only() {
        let catalog = Catalog::builtin().unwrap_or_else(|e| panic!("{e:?}"));
        let Some(rule) = catalog.rules.iter().find(|r| r.id == "CG1001") else {
            panic!("CG1001 is in the catalog");
        };
        assert!(rule.applies_to_object("serving.knative.dev/v1", "Service"));
        assert!(!rule.applies_to_object("v1", "Service"));
        assert!(rule.applies_to_object("argoproj.io/v1alpha1", "Rollout"));
        assert!(rule.applies_to_object("v1", "Pod"));
        assert!(
            rule.applies_to("Service"),
            "the package pre-filter goes by kind name"
        );
    }
}
