//! The built-in policy library as the engine loads it: the Rego sources embedded from
//! `policies/`, and one package per rule category, pre-filtered by the kinds its rules apply
//! to.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{POLICIES_DIR, Rule, all_files};
use crate::engine::{PackageSpec, PolicySource};

/// The built-in policy sources (tests excluded).
pub fn builtin_policies() -> Vec<PolicySource> {
    builtin_sources(false)
}

/// The built-in policy sources, with or without their `*_test.rego` files.
pub fn builtin_sources(include_tests: bool) -> Vec<PolicySource> {
    all_files(&POLICIES_DIR)
        .into_iter()
        .filter_map(|f| {
            let path = f.path().to_string_lossy().replace('\\', "/");
            if !path.ends_with(".rego") || (!include_tests && path.ends_with("_test.rego")) {
                return None;
            }
            Some(PolicySource {
                path: format!("policies/{path}"),
                text: f.contents_utf8()?.to_string(),
            })
        })
        .collect()
}

/// One package per category of the selected rules, pre-filtered by the kinds they apply to.
pub fn packages_for(rules: &[&Rule]) -> Vec<PackageSpec> {
    let mut by_pkg: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    for r in rules {
        let entry = by_pkg
            .entry(r.package())
            .or_insert_with(|| Some(BTreeSet::new()));
        if r.kinds.iter().any(|k| k == "*") {
            *entry = None;
        }
        if let Some(kinds) = entry {
            for k in &r.kinds {
                if k == "workload" {
                    // Marked: such a kind name counts only for objects that carry a pod
                    // template in their API group ([`PackageSpec::applies_to_object`]).
                    kinds.extend(
                        crate::k8s::WORKLOAD_KINDS
                            .iter()
                            .map(|s| format!("{}{s}", crate::engine::WORKLOAD_PREFIX)),
                    );
                } else {
                    kinds.insert(k.clone());
                }
            }
        }
    }
    by_pkg
        .into_iter()
        .map(|(package, kinds)| PackageSpec { package, kinds })
        .collect()
}
