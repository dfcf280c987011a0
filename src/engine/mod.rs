//! The policy engine: the only module that touches regorus.
//!
//! Policies are parsed once. Rules are grouped by Rego package (one package per rule
//! category); each package is one entry point, evaluated only for documents of the kinds its
//! selected rules apply to. A runtime error in one package costs only that package's findings
//! for that document. Two back ends are kept so that they can be measured against each other
//! (`confgate bench`): regorus's bytecode VM (RVM, the default, ~2× faster on our rules) and
//! its tree-walking interpreter.

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Rc, Value};

use std::collections::BTreeMap;

use crate::document::{FieldPath, Node, NodeKind, ResourceId};
use crate::finding::RawFinding;
pub use crate::source::PolicySource;

pub mod custom;
pub mod regotest;
pub mod verify;

/// A document (or other data) converted once into the engine's value type. Clones share
/// the underlying tree, so the same value serves as `input` and inside `data.inventory`.
#[derive(Clone, Debug)]
pub struct Input(Value);

impl Input {
    /// The engine value (for the engine's own submodules).
    #[allow(dead_code)]
    pub(crate) fn value(&self) -> &Value {
        &self.0
    }

    pub fn from_node(n: &Node) -> Input {
        Input(node_value(n))
    }

    pub fn from_json(v: serde_json::Value) -> Input {
        Input(Value::from(v))
    }

    /// Adds (or replaces) `key` when this is an object, e.g. `data.business` beside
    /// `data.inventory`; other values are returned unchanged.
    pub fn with_entry(mut self, key: &str, v: serde_json::Value) -> Input {
        if let Ok(map) = self.0.as_object_mut() {
            map.insert(Value::from(key), Value::from(v));
        }
        self
    }
}

fn node_value(n: &Node) -> Value {
    match &n.kind {
        NodeKind::Scalar(v) => Value::from(v.clone()),
        NodeKind::Seq(items) => Value::from(items.iter().map(node_value).collect::<Vec<_>>()),
        NodeKind::Map(entries) => Value::from(
            entries
                .iter()
                .map(|e| (Value::from(e.key.as_str()), node_value(&e.value)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

/// `data` for policies: `data.inventory` in Gatekeeper's shape (`cluster[apiVersion][kind][name]`
/// for cluster-scoped objects, `namespace[ns][apiVersion][kind][name]` for the others) and
/// `data.settings` (e.g. `kube_version`).
pub fn inventory_data<'a>(
    items: impl Iterator<Item = (bool, &'a ResourceId, &'a Input)>,
    settings: serde_json::Value,
) -> Input {
    type Tree = BTreeMap<String, BTreeMap<String, BTreeMap<String, Value>>>;
    let mut cluster: Tree = BTreeMap::new();
    let mut namespaced: BTreeMap<String, Tree> = BTreeMap::new();
    for (cluster_scoped, r, input) in items {
        let tree = if cluster_scoped {
            &mut cluster
        } else {
            namespaced
                .entry(r.namespace.clone().unwrap_or_else(|| "default".to_string()))
                .or_default()
        };
        tree.entry(r.api_version.clone())
            .or_default()
            .entry(r.kind.clone())
            .or_default()
            .insert(r.name.clone(), input.0.clone());
    }
    fn tree_value(t: Tree) -> Value {
        Value::from(
            t.into_iter()
                .map(|(av, kinds)| {
                    let kinds = kinds
                        .into_iter()
                        .map(|(k, names)| {
                            let names = names
                                .into_iter()
                                .map(|(n, v)| (Value::from(n), v))
                                .collect::<BTreeMap<_, _>>();
                            (Value::from(k), Value::from(names))
                        })
                        .collect::<BTreeMap<_, _>>();
                    (Value::from(av), Value::from(kinds))
                })
                .collect::<BTreeMap<_, _>>(),
        )
    }
    let ns = namespaced
        .into_iter()
        .map(|(ns, t)| (Value::from(ns), tree_value(t)))
        .collect::<BTreeMap<_, _>>();
    let mut inv = BTreeMap::new();
    inv.insert(Value::from("cluster"), tree_value(cluster));
    inv.insert(Value::from("namespace"), Value::from(ns));
    let mut data = BTreeMap::new();
    data.insert(Value::from("inventory"), Value::from(inv));
    data.insert(Value::from("settings"), Value::from(settings));
    Input(Value::from(data))
}

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

/// A policy that failed to load or to evaluate.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}{}: {message}", .line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PolicyError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

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

    pub fn applies_to(&self, kind: &str) -> bool {
        self.kinds.as_ref().is_none_or(|k| k.contains(kind))
    }
}

/// A runtime error of one package on one document.
#[derive(Clone, Debug)]
pub struct EvalError {
    pub package: String,
    pub message: String,
}

/// Policies loaded and compiled once, shared by all workers. `data` (the inventory and
/// settings of one scan) is not part of the compiled set: each worker binds its own, so one
/// set serves any number of scans.
pub struct PolicySet {
    mode: EngineMode,
    packages: Vec<PackageSpec>,
    engine: regorus::Engine,
    programs: Vec<Arc<Program>>,
    timeout: Duration,
}

/// Turns a regorus error (often multi-line, with a code frame) into one line naming the
/// policy file and line.
fn policy_error(err: &anyhow::Error, sources: &[PolicySource]) -> PolicyError {
    let text = format!("{err:#}");
    for s in sources {
        if let Some(at) = text.find(&format!("{}:", s.path)) {
            let rest = &text[at + s.path.len() + 1..];
            let line = rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok());
            let message = one_line(&text);
            // The file (and line) are reported separately.
            let message = match message.strip_prefix(&format!("{}:", s.path)) {
                Some(rest) => rest
                    .split_once(": ")
                    .map_or(rest, |(_, m)| m)
                    .trim()
                    .to_string(),
                None => message,
            };
            return PolicyError {
                file: s.path.clone(),
                line,
                message,
            };
        }
    }
    PolicyError {
        file: "policies".to_string(),
        line: None,
        message: one_line(&text),
    }
}

impl PolicySet {
    /// Parses `sources`, checks every package by evaluating it once, and compiles them for
    /// the chosen back end.
    pub fn load(
        sources: &[PolicySource],
        packages: Vec<PackageSpec>,
        mode: EngineMode,
        timeout: Duration,
    ) -> Result<PolicySet, PolicyError> {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(false);
        for s in sources {
            engine
                .add_policy(s.path.clone(), s.text.clone())
                .map_err(|e| policy_error(&e, sources))?;
        }
        let known = engine
            .get_packages()
            .map_err(|e| policy_error(&e, sources))?;
        for p in &packages {
            if !known.contains(&p.package) {
                return Err(PolicyError {
                    file: "policies".to_string(),
                    line: None,
                    message: format!("no policy defines package {}", p.package),
                });
            }
        }
        let limit = ExecutionTimerConfig {
            limit: timeout,
            check_interval: NonZeroU32::MIN.saturating_add(63),
        };
        engine.set_execution_timer_config(limit);
        // Unknown functions, unsafe variables and conflicts only surface when a package is
        // first evaluated: do it now, on a minimal object, so a bad policy fails the load.
        // Running out of time on the probe is not a defect of the policy.
        let probe = Value::from(
            serde_json::json!({"apiVersion": "v1", "kind": "Probe", "metadata": {"name": "probe"}}),
        );
        for p in &packages {
            engine.set_input(probe.clone());
            if let Err(e) = engine.eval_rule(p.entry())
                && !is_timeout(&format!("{e:#}"))
            {
                return Err(policy_error(&e, sources));
            }
        }
        let mut programs = Vec::new();
        if mode == EngineMode::Rvm {
            for p in &packages {
                let entry: Rc<str> = p.entry().into();
                let compiled = engine
                    .compile_with_entrypoint(&entry)
                    .map_err(|e| policy_error(&e, sources))?;
                let program =
                    Compiler::compile_from_policy(&compiled, &[entry.as_ref()]).map_err(|e| {
                        PolicyError {
                            file: "policies".to_string(),
                            line: None,
                            message: format!("cannot compile {}: {e}", p.package),
                        }
                    })?;
                programs.push(program);
            }
        }
        Ok(PolicySet {
            mode,
            packages,
            engine,
            programs,
            timeout,
        })
    }

    pub fn packages(&self) -> &[PackageSpec] {
        &self.packages
    }

    pub fn mode(&self) -> EngineMode {
        self.mode
    }

    /// A worker for one thread, with `data` (see [`inventory_data`]) bound as `data.*`.
    pub fn worker(&self, data: &Input) -> Result<Worker<'_>, PolicyError> {
        let bind_error = |e: String| PolicyError {
            file: "policies".to_string(),
            line: None,
            message: format!("cannot bind data to the policies: {e}"),
        };
        let limit = ExecutionTimerConfig {
            limit: self.timeout,
            check_interval: NonZeroU32::MIN.saturating_add(63),
        };
        let backend = match self.mode {
            EngineMode::Interpreter => {
                let mut engine = self.engine.clone();
                engine
                    .add_data(data.0.clone())
                    .map_err(|e| bind_error(e.to_string()))?;
                Backend::Interpreter(Box::new(engine))
            }
            EngineMode::Rvm => {
                let mut vms = Vec::with_capacity(self.programs.len());
                for program in &self.programs {
                    let mut vm = RegoVM::new();
                    vm.load_program(program.clone());
                    vm.set_data(data.0.clone())
                        .map_err(|e| bind_error(e.to_string()))?;
                    vm.set_execution_timer_config(Some(limit));
                    // The VM's default budget (25,000 instructions) cuts off ordinary
                    // workloads with many containers; the time limit is the guard instead.
                    vm.set_max_instructions(usize::MAX);
                    vms.push(vm);
                }
                Backend::Rvm(vms)
            }
        };
        Ok(Worker { set: self, backend })
    }
}

enum Backend {
    Rvm(Vec<RegoVM>),
    Interpreter(Box<regorus::Engine>),
}

/// Evaluates documents on one thread.
pub struct Worker<'a> {
    set: &'a PolicySet,
    backend: Backend,
}

impl Worker<'_> {
    /// Runs every package that applies to `kind` on `input`.
    pub fn evaluate(&mut self, kind: &str, input: &Input) -> (Vec<RawFinding>, Vec<EvalError>) {
        let input = &input.0;
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        for (i, p) in self.set.packages.iter().enumerate() {
            if !p.applies_to(kind) {
                continue;
            }
            let result = match &mut self.backend {
                Backend::Rvm(vms) => {
                    let vm = &mut vms[i];
                    vm.set_input(input.clone());
                    vm.execute_entry_point_by_name(&p.entry())
                        .map_err(|e| e.to_string())
                }
                Backend::Interpreter(engine) => {
                    engine.set_input(input.clone());
                    engine.eval_rule(p.entry()).map_err(|e| format!("{e:#}"))
                }
            };
            match result {
                Ok(v) => collect(&v, &mut findings),
                Err(message) => errors.push(EvalError {
                    package: p.package.clone(),
                    message: if is_timeout(&message) {
                        format!(
                            "stopped after {:?} (policy-timeout); findings of this package are missing for this document",
                            self.set.timeout
                        )
                    } else {
                        one_line(&message)
                    },
                }),
            }
        }
        (findings, errors)
    }
}

/// regorus reports errors as a code frame (`--> file:line:col`, the source line, a caret,
/// `error: message`); reports want one line: `file:line:col: message`.
pub fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let location = lines
        .iter()
        .find_map(|l| l.strip_prefix("-->"))
        .map(str::trim);
    let message = lines
        .iter()
        .find_map(|l| l.strip_prefix("error:"))
        .map(str::trim);
    match (location, message) {
        (Some(l), Some(m)) => format!("{l}: {m}"),
        (None, Some(m)) => m.to_string(),
        _ => lines
            .iter()
            .find(|l| !l.starts_with('|') && !l.starts_with("-->"))
            .or(lines.first())
            .map_or_else(|| "unknown error".to_string(), |l| l.to_string()),
    }
}

fn is_timeout(message: &str) -> bool {
    message.contains("exceeded time limit")
}

fn collect(v: &Value, out: &mut Vec<RawFinding>) {
    let items: Vec<&Value> = match v {
        Value::Set(s) => s.iter().collect(),
        Value::Array(a) => a.iter().collect(),
        _ => return,
    };
    for item in items {
        let Ok(obj) = item.as_object() else { continue };
        let get = |k: &str| obj.get(&Value::from(k));
        let Some(id) = get("id")
            .and_then(|v| v.as_string().ok())
            .map(|s| s.to_string())
        else {
            continue;
        };
        let msg = get("msg")
            .and_then(|v| v.as_string().ok())
            .map(|s| s.to_string())
            .unwrap_or_default();
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
        out.push(RawFinding { id, msg, path });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn empty_data() -> Input {
        Input::from_json(serde_json::json!({}))
    }

    fn pod() -> Input {
        Input::from_json(
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
        let e = e.map(|e| (e.file, e.line, e.message));
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
        assert!(e.is_some_and(|e| e.file == "policies/unknown.rego"));
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
            let doc = Input::from_json(serde_json::json!({"kind": "Pod", "spec": {"cpu": 1}}));
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
