//! Which rules a scan runs (`--select`, `--ignore`, `--framework`) and which findings it
//! reports (`--severity`, `[severity-overrides]`).

use std::collections::BTreeMap;

use crate::catalog::{Catalog, Framework, Rule, Severity};

/// Which rules run and which findings are reported.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Rule ids, id prefixes (`CG1`) or names; empty = all.
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub frameworks: Vec<Framework>,
    /// Report only findings at or above this severity.
    pub min_severity: Option<Severity>,
    /// Severity overrides per rule id.
    pub severity_overrides: BTreeMap<String, Severity>,
}

fn matches(rule: &Rule, pattern: &str) -> bool {
    let p = pattern.trim();
    rule.name == p || rule.id.starts_with(&p.to_ascii_uppercase()) || rule.id.starts_with(p)
}

impl Selection {
    /// Does this selection keep a user rule (`--policy`)? User policies were asked for by
    /// name, so `--select` and `--framework` (which pick among built-in rules) leave them
    /// alone; `--ignore` drops them.
    pub fn keeps_custom(&self, rule: &Rule) -> bool {
        !self.ignore.iter().any(|p| matches(rule, p))
    }
}

impl Selection {
    /// The rules this selection runs.
    pub fn rules<'c>(&self, catalog: &'c Catalog) -> Vec<&'c Rule> {
        catalog
            .rules
            .iter()
            .filter(|r| self.select.is_empty() || self.select.iter().any(|p| matches(r, p)))
            .filter(|r| !self.ignore.iter().any(|p| matches(r, p)))
            .filter(|r| {
                self.frameworks.is_empty() || self.frameworks.iter().any(|f| r.in_framework(*f))
            })
            .collect()
    }

    /// Patterns that match no rule are almost always typos: refuse them.
    pub fn check(&self, catalog: &Catalog, extra: &[Rule]) -> Result<(), String> {
        for p in &self.select {
            if !catalog.rules.iter().any(|r| matches(r, p)) {
                return Err(format!("no rule matches {p:?} (see `confgate rules list`)"));
            }
        }
        for p in &self.ignore {
            if !catalog.rules.iter().chain(extra).any(|r| matches(r, p)) {
                return Err(format!("no rule matches {p:?} (see `confgate rules list`)"));
            }
        }
        for id in self.severity_overrides.keys() {
            if !catalog.rules.iter().chain(extra).any(|r| r.id == *id) {
                return Err(format!(
                    "[severity-overrides]: no rule has the id {id:?} (see `confgate rules list`)"
                ));
            }
        }
        Ok(())
    }
}
