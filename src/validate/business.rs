//! Business rules: Rego in package `confgate.business`, evaluated by the same engine as the
//! security rules, with the environment's parameters in `data.business`.
//!
//! Built-in rules live in `policies/business/` (see docs/business-rules.md); your own come
//! from `--business-policy DIR` (or `business-policy` under `[validate]`). Each reports
//! `{"id", "msg", "path"}` like a security rule.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;

use crate::diag::{Code, Diagnostic};
use crate::document::{Document, FieldPath};
use crate::engine::{EngineMode, EngineValue, PackageSpec, PolicySet, PolicySource};

/// The package every business rule belongs to.
pub const PACKAGE: &str = "confgate.business";

/// What to evaluate and with which parameters.
pub struct BusinessOptions<'a> {
    pub builtin: bool,
    pub policy_paths: &'a [PathBuf],
    pub cwd: &'a Path,
    /// `data.settings` (environment, kube version).
    pub settings: serde_json::Value,
    /// `data.business`: the environment's parameters.
    pub params: serde_json::Value,
    pub engine: EngineMode,
    pub timeout: Duration,
}

/// One business-rule violation in one document.
#[derive(Clone, Debug)]
pub struct BusinessFinding {
    /// Index into the evaluated documents.
    pub doc: usize,
    pub rule: String,
    pub message: String,
    pub path: Option<FieldPath>,
}

/// The sources to load: the built-in library (for its helpers), the built-in business
/// rules unless disabled, and the user's business policies.
fn sources(opts: &BusinessOptions<'_>) -> Result<Vec<PolicySource>, Diagnostic> {
    let mut out: Vec<PolicySource> = crate::scan::builtin_policies()
        .into_iter()
        .filter(|s| opts.builtin || !s.path.starts_with("policies/business/"))
        .collect();
    let package_line = format!("package {PACKAGE}");
    let mut user = Vec::new();
    for p in opts.policy_paths {
        let is_rego = |p: &Path| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            n.ends_with(".rego") && !n.ends_with("_test.rego")
        };
        for (abs, display) in crate::engine::custom::walk(p, opts.cwd, is_rego)? {
            let text = crate::engine::custom::read_text(&abs, &display)?;
            if !text.lines().any(|l| l.trim() == package_line) {
                return Err(Diagnostic::new(
                    Code::PolicyLoad,
                    format!("business rules must be in `{package_line}`"),
                )
                .file(display));
            }
            user.push(PolicySource {
                path: display,
                text,
            });
        }
    }
    crate::engine::check_user_policies(&user)?;
    out.extend(user);
    Ok(out)
}

/// Evaluates the business rules on every document; all documents form `data.inventory`.
pub fn evaluate(
    docs: &[Document],
    opts: &BusinessOptions<'_>,
) -> Result<(Vec<BusinessFinding>, Vec<Diagnostic>), Diagnostic> {
    if !opts.builtin && opts.policy_paths.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let inputs: Vec<EngineValue> = docs
        .par_iter()
        .map(|d| EngineValue::from_node(&d.tree))
        .collect();
    let data = crate::engine::inventory_data(
        docs.iter()
            .zip(&inputs)
            .map(|(d, i)| (crate::k8s::cluster_scoped(&d.resource.kind), &d.resource, i)),
        opts.settings.clone(),
    )
    .with_entry("business", opts.params.clone());
    let set = PolicySet::load(
        &sources(opts)?,
        vec![PackageSpec {
            package: format!("data.{PACKAGE}"),
            kinds: None,
        }],
        // Users' business rules run on the interpreter, where ranges too large to allocate
        // are evaluation errors; the bytecode VM would abort the process on one.
        if opts.policy_paths.is_empty() {
            opts.engine
        } else {
            EngineMode::Interpreter
        },
        opts.timeout,
    )?;
    let bound = set.bind(&data)?;
    let threads = rayon::current_num_threads().max(1);
    let chunk = docs.len().div_ceil(threads * 4).max(1);
    let indexed: Vec<usize> = (0..docs.len()).collect();
    type Chunk = Result<(Vec<BusinessFinding>, Vec<Diagnostic>), Diagnostic>;
    let results: Vec<Chunk> = indexed
        .par_chunks(chunk)
        .map(|chunk| {
            let mut worker = bound.worker()?;
            let mut found = Vec::new();
            let mut errors = Vec::new();
            for &i in chunk {
                let doc = &docs[i];
                let (raw, errs) = worker.evaluate(&doc.resource.kind, &inputs[i]);
                for r in raw {
                    found.push(BusinessFinding {
                        doc: i,
                        rule: r.id,
                        message: r.msg,
                        path: r.path,
                    });
                }
                for e in errs {
                    errors.push(
                        Diagnostic::new(
                            if e.timed_out {
                                Code::PolicyTimeout
                            } else {
                                Code::PolicyEval
                            },
                            format!("business rules failed on {}: {}", doc.resource, e.message),
                        )
                        .file(doc.file.path.clone())
                        .line(Some(doc.tree.span.start.line)),
                    );
                }
            }
            Ok((found, errors))
        })
        .collect();
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        let (f, e) = r?;
        found.extend(f);
        errors.extend(e);
    }
    found.sort_by(|a, b| (a.doc, &a.rule, &a.path).cmp(&(b.doc, &b.rule, &b.path)));
    found.dedup_by(|a, b| {
        a.doc == b.doc && a.rule == b.rule && a.path == b.path && a.message == b.message
    });
    Ok((found, errors))
}
