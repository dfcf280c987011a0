//! Control catalogs (`rules/frameworks/<framework>.yaml`, embedded) and the per-framework
//! checklist of an audit.
//!
//! A control is `pass` when rules that ran map to it and none of them has an active finding,
//! `fail` when one does, `not-checkable` when the catalog says manifests cannot show it, and
//! `not-covered` when it could be checked but no rule that ran maps to it. Controls that
//! rules map to but the catalog lacks are listed after the catalog's own.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::catalog::{Framework, RULES_DIR, Rule, all_files};
use crate::diag::{Code, Diagnostic};
use crate::finding::Finding;

/// One control as written in a catalog.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub section: Option<String>,
    #[serde(default = "yes")]
    pub checkable: bool,
    /// Why a control is not checkable.
    #[serde(default)]
    pub reason: Option<String>,
}

fn yes() -> bool {
    true
}

/// One framework's catalog file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ControlCatalog {
    pub framework: Framework,
    pub title: String,
    pub controls: Vec<Control>,
}

/// Parses one catalog and checks it: unique ids, a reason for every not-checkable control.
pub fn parse_catalog(file: &str, text: &str) -> Result<ControlCatalog, Diagnostic> {
    let fail = |message: String| Diagnostic::new(Code::Catalog, message).file(file.to_string());
    let cat: ControlCatalog =
        serde_yaml::from_str(text).map_err(|e| fail(e.to_string().replace('\n', " ")))?;
    let mut seen = BTreeSet::new();
    for c in &cat.controls {
        if !seen.insert(c.id.as_str()) {
            return Err(fail(format!("control {:?} is listed twice", c.id)));
        }
        if !c.checkable && c.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(fail(format!(
                "control {:?} is not checkable but gives no reason",
                c.id
            )));
        }
    }
    Ok(cat)
}

/// The built-in catalogs (`rules/frameworks/*.yaml`), in framework order.
pub fn builtin_catalogs() -> Result<Vec<ControlCatalog>, Diagnostic> {
    let mut out = Vec::new();
    for f in all_files(&RULES_DIR) {
        let path = f.path().to_string_lossy().replace('\\', "/");
        if !(path.starts_with("frameworks/") && path.ends_with(".yaml")) {
            continue;
        }
        let file = format!("rules/{path}");
        let text = f.contents_utf8().ok_or_else(|| {
            Diagnostic::new(Code::Catalog, "not UTF-8".to_string()).file(file.clone())
        })?;
        let cat = parse_catalog(&file, text)?;
        let stem = path
            .trim_start_matches("frameworks/")
            .trim_end_matches(".yaml");
        if stem != cat.framework.as_str() {
            return Err(Diagnostic::new(
                Code::Catalog,
                format!(
                    "holds framework {} but is named after {stem}",
                    cat.framework
                ),
            )
            .file(file));
        }
        out.push(cat);
    }
    out.sort_by_key(|c| c.framework);
    Ok(out)
}

/// The outcome of one control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlStatus {
    Fail,
    Pass,
    NotCheckable,
    NotCovered,
}

impl ControlStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Pass => "pass",
            ControlStatus::Fail => "fail",
            ControlStatus::NotCheckable => "not-checkable",
            ControlStatus::NotCovered => "not-covered",
        }
    }
}

impl std::fmt::Display for ControlStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of a checklist.
#[derive(Clone, Debug, Serialize)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub section: Option<String>,
    pub status: ControlStatus,
    /// Why the control is not checkable.
    pub reason: Option<String>,
    /// Rules that ran and map to the control.
    pub rules: Vec<String>,
    /// Those of them with active findings.
    pub failing_rules: Vec<String>,
    /// Active findings of those rules.
    pub findings: usize,
    /// False for controls rules map to that the catalog does not list.
    pub in_catalog: bool,
}

/// How many controls have each status.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct StatusCounts {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub not_checkable: usize,
    pub not_covered: usize,
}

/// The checklist of one framework.
#[derive(Clone, Debug, Serialize)]
pub struct Checklist {
    pub framework: Framework,
    pub title: String,
    /// False when no catalog exists: the controls are those rules map to.
    pub catalog: bool,
    pub counts: StatusCounts,
    /// Share of checked controls (pass + fail) that pass, 0–100.
    pub score: u32,
    pub controls: Vec<ControlResult>,
}

/// Builds one checklist per framework: those with a catalog, plus those rules that ran map
/// to. `only` limits the frameworks (empty = all).
pub fn checklists(
    catalogs: &[ControlCatalog],
    rules: &[Rule],
    findings: &[Finding],
    only: &[Framework],
) -> Vec<Checklist> {
    let mut firing: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        *firing.entry(f.rule_id.as_str()).or_default() += 1;
    }
    // framework → control → rules that ran and map to it.
    let mut mapped: BTreeMap<Framework, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for r in rules {
        for (fw, ids) in r.frameworks.iter() {
            for c in ids {
                mapped
                    .entry(*fw)
                    .or_default()
                    .entry(c.as_str())
                    .or_default()
                    .push(r.id.as_str());
            }
        }
    }
    let mut frameworks: BTreeSet<Framework> = catalogs.iter().map(|c| c.framework).collect();
    frameworks.extend(mapped.keys());
    let empty = BTreeMap::new();
    frameworks
        .into_iter()
        .filter(|f| only.is_empty() || only.contains(f))
        .map(|fw| {
            let by_control = mapped.get(&fw).unwrap_or(&empty);
            let catalog = catalogs.iter().find(|c| c.framework == fw);
            let result = |id: &str,
                          title: String,
                          section: Option<String>,
                          checkable: bool,
                          reason: Option<String>,
                          in_catalog: bool| {
                let rules: Vec<String> = by_control
                    .get(id)
                    .map(|v| v.iter().map(|s| s.to_string()).collect())
                    .unwrap_or_default();
                let failing: Vec<String> = rules
                    .iter()
                    .filter(|r| firing.contains_key(r.as_str()))
                    .cloned()
                    .collect();
                let status = if !checkable {
                    ControlStatus::NotCheckable
                } else if rules.is_empty() {
                    ControlStatus::NotCovered
                } else if failing.is_empty() {
                    ControlStatus::Pass
                } else {
                    ControlStatus::Fail
                };
                ControlResult {
                    id: id.to_string(),
                    title,
                    section,
                    status,
                    reason,
                    findings: failing.iter().map(|r| firing[r.as_str()]).sum(),
                    rules,
                    failing_rules: failing,
                    in_catalog,
                }
            };
            let mut controls: Vec<ControlResult> = catalog
                .map(|c| {
                    c.controls
                        .iter()
                        .map(|c| {
                            result(
                                &c.id,
                                c.title.clone(),
                                c.section.clone(),
                                c.checkable,
                                c.reason.clone(),
                                true,
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let listed: BTreeSet<String> = controls.iter().map(|c| c.id.clone()).collect();
            let mut extra: Vec<&str> = by_control
                .keys()
                .copied()
                .filter(|id| !listed.contains(*id))
                .collect();
            extra.sort_by(|a, b| natural_cmp(a, b));
            for id in extra {
                controls.push(result(id, id.to_string(), None, true, None, false));
            }
            let mut counts = StatusCounts {
                total: controls.len(),
                ..StatusCounts::default()
            };
            for c in &controls {
                match c.status {
                    ControlStatus::Pass => counts.pass += 1,
                    ControlStatus::Fail => counts.fail += 1,
                    ControlStatus::NotCheckable => counts.not_checkable += 1,
                    ControlStatus::NotCovered => counts.not_covered += 1,
                }
            }
            let checked = counts.pass + counts.fail;
            let score = if checked == 0 {
                100
            } else {
                (100.0 * counts.pass as f64 / checked as f64).round() as u32
            };
            Checklist {
                framework: fw,
                title: catalog.map_or_else(|| fw.as_str().to_string(), |c| c.title.clone()),
                catalog: catalog.is_some(),
                counts,
                score,
                controls,
            }
        })
        .collect()
}

/// Orders `5.1.10` after `5.1.9`: digit runs compare as numbers.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn parts(s: &str) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        let mut num = String::new();
        let mut text = String::new();
        for ch in s.chars() {
            if ch.is_ascii_digit() {
                if !text.is_empty() {
                    out.push((u64::MAX, std::mem::take(&mut text)));
                }
                num.push(ch);
            } else {
                if !num.is_empty() {
                    out.push((num.parse().unwrap_or(u64::MAX), String::new()));
                    num.clear();
                }
                text.push(ch);
            }
        }
        if !num.is_empty() {
            out.push((num.parse().unwrap_or(u64::MAX), String::new()));
        }
        if !text.is_empty() {
            out.push((u64::MAX, text));
        }
        out
    }
    parts(a).cmp(&parts(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn builtin_catalogs_parse() {
        let cats = builtin_catalogs().unwrap();
        let names: Vec<&str> = cats.iter().map(|c| c.framework.as_str()).collect();
        for f in ["pss-baseline", "pss-restricted", "cis-k8s", "nsa-cisa"] {
            assert!(names.contains(&f), "no catalog for {f}: {names:?}");
        }
        let cis = cats
            .iter()
            .find(|c| c.framework == Framework::CisK8s)
            .unwrap();
        let ids: Vec<&str> = cis.controls.iter().map(|c| c.id.as_str()).collect();
        let mut want: Vec<String> = Vec::new();
        for (sec, n) in [(1, 13), (2, 13), (3, 2), (4, 2), (5, 1), (7, 4)] {
            want.extend((1..=n).map(|i| format!("5.{sec}.{i}")));
        }
        assert_eq!(ids, want);
    }

    /// Every control a built-in rule maps to is in that framework's catalog (a typo in a
    /// rule's mapping would otherwise pass unnoticed), and no rule maps to a control the
    /// catalog calls not checkable.
    #[test]
    fn rule_mappings_name_catalog_controls() {
        let cats = builtin_catalogs().unwrap();
        let rules = Catalog::builtin().unwrap().rules;
        let mut problems = Vec::new();
        for r in &rules {
            for (fw, ids) in r.frameworks.iter() {
                let Some(cat) = cats.iter().find(|c| c.framework == *fw) else {
                    continue;
                };
                for id in ids {
                    match cat.controls.iter().find(|c| &c.id == id) {
                        None => problems.push(format!("{} maps to unknown {fw} {id}", r.id)),
                        Some(c) if !c.checkable => problems.push(format!(
                            "{} maps to {fw} {id}, which the catalog calls not checkable",
                            r.id
                        )),
                        Some(_) => {}
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["5.1.10", "5.1.9", "5.2.1", "5.1.1"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["5.1.1", "5.1.9", "5.1.10", "5.2.1"]);
    }

    #[test]
    fn catalog_errors_name_the_problem() {
        let e = parse_catalog(
            "x.yaml",
            "framework: cis-k8s\ntitle: t\ncontrols:\n  - {id: a, title: b, checkable: false}\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("no reason"), "{e}");
        let e = parse_catalog("x.yaml", "framework: nope\ntitle: t\ncontrols: []\n").unwrap_err();
        assert!(e.to_string().starts_with("x.yaml: "), "{e}");
    }
}
