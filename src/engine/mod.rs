//! The policy engine: the only module that touches regorus.
//!
//! Policies are parsed once. Rules are grouped by Rego package (one package per rule
//! category); each package is one entry point, evaluated only for documents of the kinds its
//! selected rules apply to. A runtime error in one package costs only that package's findings
//! for that document. Two back ends are kept so that they can be measured against each other
//! (`confgate bench`): regorus's bytecode VM (RVM, the default, ~2× faster on our rules) and
//! its tree-walking interpreter.

use std::collections::BTreeSet;

pub use crate::source::PolicySource;

pub mod custom;
pub(crate) mod failure;
pub(crate) mod guard;
mod policies;
pub mod regotest;
mod value;
pub mod verify;

pub use failure::one_line;
pub(crate) use policies::builtin_error;
pub use policies::{Bound, PolicySet, Worker, check_user_policies};
pub use value::{EngineValue, inventory_data, with_inventory_objects};

/// Which regorus back end evaluates policies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineMode {
    /// Bytecode VM: policies compiled once per package, one VM per worker and package.
    #[default]
    Rvm,
    /// Tree-walking interpreter: one engine clone per worker.
    Interpreter,
}

/// How a package's kind set marks the kind names it takes only as workloads.
pub const WORKLOAD_PREFIX: &str = "workload:";

/// One package to evaluate: its `deny` entry point and the kinds it applies to.
#[derive(Clone, Debug)]
pub struct PackageSpec {
    /// e.g. `data.confgate.rules.workload`
    pub package: String,
    /// `None` means every kind.
    pub kinds: Option<BTreeSet<String>>,
}

impl PackageSpec {
    fn entry(&self) -> String {
        format!("{}.deny", self.package)
    }

    /// Whether the package runs on objects of `kind` (in any API group).
    pub fn applies_to(&self, kind: &str) -> bool {
        self.kinds
            .as_ref()
            .is_none_or(|k| k.contains(kind) || k.contains(&format!("{WORKLOAD_PREFIX}{kind}")))
    }

    /// Whether the package runs on one object: a kind it names, or a workload kind whose
    /// object carries a pod template in its API group (Knative's `Service`, not the core
    /// one).
    pub fn applies_to_object(&self, api_version: &str, kind: &str) -> bool {
        self.kinds.as_ref().is_none_or(|k| {
            k.contains(kind)
                || (k.contains(&format!("{WORKLOAD_PREFIX}{kind}"))
                    && crate::k8s::pod_template_path(api_version, kind).is_some())
        })
    }
}

/// A runtime error of one package on one document.
#[derive(Clone, Debug)]
pub struct EvalError {
    pub package: String,
    /// It ran out of time (`policy-timeout`) rather than failing.
    pub timed_out: bool,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn src(path: &str, text: &str) -> Vec<PolicySource> {
        vec![PolicySource {
            path: path.to_string(),
            text: text.to_string(),
        }]
    }

    fn pkg(name: &str) -> Vec<PackageSpec> {
        vec![PackageSpec {
            package: format!("data.{name}"),
            kinds: None,
        }]
    }

    fn empty_data() -> EngineValue {
        EngineValue::from_json(serde_json::json!({}))
    }

    fn pod() -> EngineValue {
        EngineValue::from_json(
            serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}),
        )
    }

    #[test]
    fn errors_become_one_line_with_file_line_and_message() {
        let text = "\n--> policies/a.rego:4:25\n  |\n4 |   x\n  |   ^\nerror: `units.parse` expects string argument";
        assert_eq!(
            one_line(text),
            "policies/a.rego:4:25: `units.parse` expects string argument"
        );
    }

    #[test]
    fn syntax_errors_name_the_policy_file_and_line() {
        let e = PolicySet::load(
            &src(
                "policies/bad.rego",
                "package bad\n\ndeny contains f if {\n  f := \n}\n",
            ),
            pkg("bad"),
            EngineMode::Rvm,
            Duration::from_secs(1),
        )
        .err();
        let e = e.map(|e| {
            (
                e.file_name().unwrap_or_default().to_string(),
                e.line_number(),
                e.message,
            )
        });
        assert!(
            matches!(&e, Some((f, Some(l), _)) if f == "policies/bad.rego" && *l >= 4),
            "{e:?}"
        );
        assert!(e.is_some_and(|(_, _, m)| !m.contains('\n')));
    }

    #[test]
    fn unknown_functions_fail_at_load_time() {
        let e = PolicySet::load(
            &src(
                "policies/unknown.rego",
                "package unknown\n\ndeny contains f if {\n  f := no.such.function(input)\n}\n",
            ),
            pkg("unknown"),
            EngineMode::Interpreter,
            Duration::from_secs(1),
        )
        .err();
        assert!(e.is_some_and(|e| e.file_name() == Some("policies/unknown.rego")));
    }

    const SLOW: &str = "package slow\n\ndeny contains f if {\n  some i in numbers.range(1, 4000)\n  some j in numbers.range(1, 4000)\n  i * j == -1\n  f := {\"id\": \"X1\", \"msg\": \"slow\"}\n}\n";

    #[test]
    fn a_policy_that_runs_too_long_is_stopped_for_that_document() {
        for mode in [EngineMode::Rvm, EngineMode::Interpreter] {
            // The load-time probe uses the same limit, so give the slow rule a kind filter
            // that the probe does not match.
            let packages = vec![PackageSpec {
                package: "data.slow".to_string(),
                kinds: Some(BTreeSet::from(["Pod".to_string()])),
            }];
            let set = PolicySet::load(
                &src("policies/slow.rego", SLOW),
                packages,
                mode,
                Duration::from_millis(50),
            );
            let set = match set {
                Ok(s) => s,
                Err(e) => panic!("{mode:?}: {e}"),
            };
            let Ok(mut w) = set.worker(&empty_data()) else {
                panic!("worker")
            };
            let started = std::time::Instant::now();
            let (findings, errors) = w.evaluate("Pod", &pod());
            assert!(findings.is_empty());
            assert_eq!(errors.len(), 1, "{mode:?}");
            assert!(
                errors[0].message.contains("policy-timeout"),
                "{:?}",
                errors[0]
            );
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{mode:?} was not stopped"
            );
        }
    }

    #[test]
    fn runtime_errors_cost_only_their_package() {
        let sources = vec![
            PolicySource {
                path: "policies/a.rego".to_string(),
                text: "package a\n\ndeny contains f if {\n  units.parse(input.spec.cpu) > 0\n  f := {\"id\": \"A1\", \"msg\": \"cpu\"}\n}\n".to_string(),
            },
            PolicySource {
                path: "policies/b.rego".to_string(),
                text: "package b\n\ndeny contains f if {\n  input.kind == \"Pod\"\n  f := {\"id\": \"B1\", \"msg\": \"pod\", \"path\": [\"kind\"]}\n}\n".to_string(),
            },
        ];
        let mut packages = pkg("a");
        packages.extend(pkg("b"));
        for mode in [EngineMode::Rvm, EngineMode::Interpreter] {
            let Ok(set) = PolicySet::load(&sources, packages.clone(), mode, Duration::from_secs(1))
            else {
                panic!("load")
            };
            let Ok(mut w) = set.worker(&empty_data()) else {
                panic!("worker")
            };
            let doc =
                EngineValue::from_json(serde_json::json!({"kind": "Pod", "spec": {"cpu": 1}}));
            let (findings, _errors) = w.evaluate("Pod", &doc);
            assert_eq!(findings.len(), 1, "{mode:?}");
            assert_eq!(findings[0].id, "B1");
            // The interpreter raises the builtin's type error (the VM treats it as undefined);
            // either way the other package's finding survives, and an error names the file.
            if let Some(e) = _errors.first() {
                assert!(e.message.starts_with("policies/a.rego:4:"), "{}", e.message);
                assert!(e.message.contains("units.parse"), "{}", e.message);
            }
        }
    }
}
