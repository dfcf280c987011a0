//! Built-in (and business) policies compiled once into a [`PolicySet`], evaluated by one
//! [`Worker`] per thread: regorus's bytecode VM (RVM, the default) or its interpreter.
//!
//! `data` is bound per worker, not compiled in, so one set serves any number of scans with
//! different inventories. The probe at load evaluates every package once on a minimal
//! object, so unknown functions, unsafe variables and conflicts fail the load rather than
//! the first document.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Rc, Value};

use crate::document::FieldPath;
use crate::finding::RawFinding;

use super::failure::{SourceMap, one_line, timed_out, vm_timed_out};
use super::{EngineMode, EngineValue, EvalError, PackageSpec, PolicySource};
use crate::diag::{Code, Diagnostic};

/// Checks policies a user wrote before they join a [`PolicySet`] (business rules):
/// nesting regorus cannot parse in reasonable time, and recursive functions, which would
/// overflow the stack at evaluation. Only the user's sources are analysed (the built-in
/// library calls no user function, so a cycle lies within them); errors name the user's
/// file and line.
pub fn check_user_policies(sources: &[PolicySource]) -> Result<(), Diagnostic> {
    if sources.is_empty() {
        return Ok(());
    }
    let map = SourceMap::of(sources);
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(false);
    for s in sources {
        super::guard::check_nesting(&s.path, &s.text).map_err(|e| map.policy_error(&e))?;
        engine
            .add_policy(s.path.clone(), s.text.clone())
            .map_err(|e| map.policy_error(&e))?;
    }
    super::guard::check_recursion(&engine).map_err(|e| map.policy_error(&e))
}

/// A load error of the built-in library, at its file and line when regorus names one.
pub(crate) fn builtin_error(err: &anyhow::Error, sources: &[PolicySource]) -> Diagnostic {
    SourceMap::of(sources)
        .located(err)
        .unwrap_or_else(|text| Diagnostic::new(Code::PolicyLoad, text))
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

impl PolicySet {
    /// Parses `sources`, checks every package by evaluating it once, and compiles them for
    /// the chosen back end.
    pub fn load(
        sources: &[PolicySource],
        packages: Vec<PackageSpec>,
        mode: EngineMode,
        timeout: Duration,
    ) -> Result<PolicySet, Diagnostic> {
        let started = std::time::Instant::now();
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(false);
        if mode == EngineMode::Interpreter {
            // Ranges too large to allocate become evaluation errors (see `guard`); the
            // built-in library never asks for one, users' business rules might.
            super::guard::add_guarded_builtins(&mut engine);
        }
        // Business policies are users' Rego: refuse nesting regorus cannot parse in time.
        // (The recursion check reads the whole AST, ~0.5 s for the built-in library in a
        // debug build, so it is kept to user policies and `policy test`.)
        for s in sources {
            super::guard::check_nesting(&s.path, &s.text)
                .map_err(|e| builtin_error(&e, sources))?;
            engine
                .add_policy(s.path.clone(), s.text.clone())
                .map_err(|e| builtin_error(&e, sources))?;
        }
        tracing::debug!(elapsed = ?started.elapsed(), "policies parsed");
        let known = engine
            .get_packages()
            .map_err(|e| builtin_error(&e, sources))?;
        for p in &packages {
            if !known.contains(&p.package) {
                return Err(Diagnostic::new(
                    Code::PolicyLoad,
                    format!("no policy defines package {}", p.package),
                ));
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
        // Each package probed and compiled on its own engine clone, the packages shared
        // out over the cores: this is most of confgate's start-up time.
        type Compiled = Result<Option<Arc<Program>>, Diagnostic>;
        let one = |engine: &mut regorus::Engine, p: &PackageSpec| -> Compiled {
            engine.set_input(probe.clone());
            if let Err(e) = engine.eval_rule(p.entry())
                && !timed_out(&e)
            {
                return Err(builtin_error(&e, sources));
            }
            if mode != EngineMode::Rvm {
                return Ok(None);
            }
            let entry: Rc<str> = p.entry().into();
            let compiled = engine
                .compile_with_entrypoint(&entry)
                .map_err(|e| builtin_error(&e, sources))?;
            Compiler::compile_from_policy(&compiled, &[entry.as_ref()])
                .map(Some)
                .map_err(|e| {
                    Diagnostic::new(
                        Code::PolicyLoad,
                        format!("cannot compile {}: {e}", p.package),
                    )
                })
        };
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(packages.len())
            .max(1);
        let mut done: Vec<(usize, Compiled)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    let mut clone = engine.clone();
                    let (packages, one) = (&packages, &one);
                    // Deeply nested policies need more than a spawned thread's 2 MiB.
                    std::thread::Builder::new()
                        .stack_size(16 * 1024 * 1024)
                        .spawn_scoped(scope, move || {
                            packages
                                .iter()
                                .enumerate()
                                .skip(w)
                                .step_by(workers)
                                .map(|(i, p)| (i, one(&mut clone, p)))
                                .collect::<Vec<_>>()
                        })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.ok().and_then(|h| h.join().ok()).unwrap_or_default())
                .collect()
        });
        if done.len() != packages.len() {
            return Err(Diagnostic::new(
                Code::PolicyLoad,
                "a policy compilation thread failed".to_string(),
            ));
        }
        done.sort_by_key(|(i, _)| *i);
        let mut programs = Vec::new();
        for (_, r) in done {
            programs.extend(r?);
        }
        tracing::debug!(elapsed = ?started.elapsed(), "policies probed and compiled");
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

    /// `data` (see [`inventory_data`]) bound as `data.*`, once per scan: workers are then
    /// made from the bound set. The interpreter is prepared here (rule analysis, loop
    /// hoisting), so its per-thread clones start ready instead of each preparing again.
    pub fn bind(&self, data: &EngineValue) -> Result<Bound<'_>, Diagnostic> {
        let prepared = match self.mode {
            EngineMode::Rvm => None,
            EngineMode::Interpreter => {
                let mut engine = self.engine.clone();
                engine
                    .add_data(data.0.clone())
                    .map_err(|e| bind_error(e.to_string()))?;
                engine
                    .eval_query("true".to_string(), false)
                    .map_err(|e| bind_error(one_line(&format!("{e:#}"))))?;
                Some(engine)
            }
        };
        Ok(Bound {
            set: self,
            data: data.0.clone(),
            prepared,
        })
    }

    /// A worker for one thread, with `data` bound (one-off callers; scans bind once and
    /// make one worker per thread from the [`Bound`] set).
    pub fn worker(&self, data: &EngineValue) -> Result<Worker<'_>, Diagnostic> {
        self.bind(data)?.worker()
    }
}

fn bind_error(e: String) -> Diagnostic {
    Diagnostic::new(
        Code::PolicyLoad,
        format!("cannot bind data to the policies: {e}"),
    )
}

/// A policy set with one scan's `data` bound.
pub struct Bound<'a> {
    set: &'a PolicySet,
    data: Value,
    /// The interpreter, prepared with the data (`None` for the RVM).
    prepared: Option<regorus::Engine>,
}

impl<'a> Bound<'a> {
    /// A worker for one thread.
    pub fn worker(&self) -> Result<Worker<'a>, Diagnostic> {
        let set = self.set;
        let limit = ExecutionTimerConfig {
            limit: set.timeout,
            check_interval: NonZeroU32::MIN.saturating_add(63),
        };
        let backend = match &self.prepared {
            Some(engine) => Backend::Interpreter(Box::new(engine.clone())),
            None => {
                let mut vms = Vec::with_capacity(set.programs.len());
                for program in &set.programs {
                    let mut vm = RegoVM::new();
                    vm.load_program(program.clone());
                    vm.set_data(self.data.clone())
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
        Ok(Worker { set, backend })
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
    pub fn evaluate(
        &mut self,
        kind: &str,
        input: &EngineValue,
    ) -> (Vec<RawFinding>, Vec<EvalError>) {
        self.evaluate_object(None, kind, input)
    }

    /// Runs every package that applies to the object (`api_version` known: workload
    /// packages skip objects without a pod template in their API group).
    pub fn evaluate_object(
        &mut self,
        api_version: Option<&str>,
        kind: &str,
        input: &EngineValue,
    ) -> (Vec<RawFinding>, Vec<EvalError>) {
        let input = &input.0;
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        for (i, p) in self.set.packages.iter().enumerate() {
            let applies = match api_version {
                Some(v) => p.applies_to_object(v, kind),
                None => p.applies_to(kind),
            };
            if !applies {
                continue;
            }
            // Err(None): out of time; Err(Some(text)): any other failure.
            let result = match &mut self.backend {
                Backend::Rvm(vms) => {
                    let vm = &mut vms[i];
                    vm.set_input(input.clone());
                    vm.execute_entry_point_by_name(&p.entry())
                        .map_err(|e| (!vm_timed_out(&e)).then(|| e.to_string()))
                }
                Backend::Interpreter(engine) => {
                    engine.set_input(input.clone());
                    engine
                        .eval_rule(p.entry())
                        .map_err(|e| (!timed_out(&e)).then(|| format!("{e:#}")))
                }
            };
            match result {
                Ok(v) => collect(&v, &mut findings),
                Err(failure) => errors.push(EvalError {
                    package: p.package.clone(),
                    timed_out: failure.is_none(),
                    message: match failure {
                        None => format!(
                            "stopped after {:?} (policy-timeout); findings of this package are missing for this document",
                            self.set.timeout
                        ),
                        Some(text) => one_line(&text),
                    },
                }),
            }
        }
        (findings, errors)
    }
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
