//! `validate`: syntax, Kubernetes schema, app-config JSON Schema, business rules and
//! (optionally) the security scan, over a directory of configuration, with a score.
//!
//! Every problem has a file, line, column, field path, kind and message. Syntax errors,
//! schema errors, JSON Schema errors and business-rule violations make the configuration
//! invalid (exit 1); unknown fields are warnings unless `strict` (which also turns every
//! warning into an error). With `security_compliance`, scan findings at or above the gate
//! are errors and the ones below are warnings. Problems of the tool itself (an unreadable
//! file, a broken schema or policy) are `tool_errors` (exit 2).

pub mod appdata;
pub mod business;
mod inputs;
pub mod k8s;
pub mod params;
pub mod report;

pub use appdata::SchemaMapping;
mod problem;
mod score;

use problem::problem_at;
pub use problem::{Level, Problem, ProblemKind};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::diag::{Code, Diagnostic};
use crate::document::SourceFile;
use crate::gate::Gate;
use crate::scan::ScanOptions;

/// Options of one validation.
pub struct ValidateOptions {
    /// Files or directories to validate.
    pub paths: Vec<String>,
    pub environment: Option<String>,
    pub strict: bool,
    pub security_compliance: bool,
    /// Kubernetes release of the schema, e.g. `1.37`.
    pub kube_version: String,
    /// JSON Schema mappings for ConfigMap data (from `confgate.toml`).
    pub schemas: Vec<SchemaMapping>,
    /// Where schema paths (annotation and mappings) are resolved.
    pub base_dir: PathBuf,
    pub business_params: serde_json::Map<String, serde_json::Value>,
    pub business_policies: Vec<PathBuf>,
    pub builtin_business: bool,
    /// The scan settings: inputs (`load`), the engine and its time limit for business
    /// rules, and the scan run by `security_compliance` (selection, waivers).
    pub scan: ScanOptions,
    /// With `security_compliance`: findings that block it are errors, the others warnings.
    pub gate: Gate,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            paths: vec![".".to_string()],
            environment: None,
            strict: false,
            security_compliance: false,
            kube_version: crate::k8s::NEWEST_VERSION.to_string(),
            schemas: Vec::new(),
            base_dir: PathBuf::from("."),
            business_params: serde_json::Map::new(),
            business_policies: Vec::new(),
            builtin_business: true,
            scan: ScanOptions::default(),
            gate: Gate::default(),
        }
    }
}

/// Per-file result.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    pub file: String,
    pub documents: usize,
    pub errors: usize,
    pub warnings: usize,
    pub score: u32,
    pub valid: bool,
}

/// How much each check covered.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Checks {
    /// Objects checked against the Kubernetes schema.
    pub schema_checked: usize,
    /// Objects of kinds the bundled schema does not know (custom resources): not checked.
    pub schema_not_builtin: usize,
    /// ConfigMap keys checked against a JSON Schema.
    pub json_schema_keys: usize,
    /// Objects the business rules were evaluated on.
    pub business_checked: usize,
    /// Security rules run (0 without `security_compliance`).
    pub security_rules: usize,
}

/// The outcome of a validation.
#[derive(Debug, Default)]
pub struct Validation {
    pub environment: Option<String>,
    /// The schema version used (after falling back to the nearest bundled one).
    pub kube_version: String,
    pub strict: bool,
    pub files: Vec<FileReport>,
    pub documents: usize,
    /// Errors first, then warnings; each group by file, line, column.
    pub problems: Vec<Problem>,
    pub checks: Checks,
    pub score: u32,
    /// Problems of the tool, not of the configuration (exit 2).
    pub tool_errors: Vec<Diagnostic>,
    /// Things worth knowing (schema version fallback, expiring waivers).
    pub notes: Vec<String>,
}

impl Validation {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.level == Level::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.level == Level::Warning)
    }

    pub fn valid(&self) -> bool {
        self.errors().next().is_none()
    }

    pub fn count(&self, kind: ProblemKind, level: Level) -> usize {
        self.problems
            .iter()
            .filter(|p| p.kind == kind && p.level == level)
            .count()
    }
}

/// Validates the configuration under `opts.paths` (on `opts.scan.jobs` threads).
pub fn validate(opts: &ValidateOptions, cwd: &Path) -> Result<Validation, Diagnostic> {
    let pool = crate::scan::thread_pool(opts.scan.jobs)?;
    pool.install(|| validate_in_pool(opts, cwd))
}

fn validate_in_pool(opts: &ValidateOptions, cwd: &Path) -> Result<Validation, Diagnostic> {
    let (schemas, note) = k8s::KubeSchemas::load(&opts.kube_version).map_err(|e| {
        Diagnostic::new(
            Code::Settings,
            format!("--kube-version {}: {e}", opts.kube_version),
        )
    })?;
    let app = appdata::AppSchemas::new(&opts.schemas, &opts.base_dir)
        .map_err(|m| Diagnostic::new(Code::Schema, m))?;
    let mut v = Validation {
        environment: opts.environment.clone(),
        kube_version: schemas.version().to_string(),
        strict: opts.strict,
        ..Validation::default()
    };
    v.notes.extend(note);

    let found = crate::source::discover(&opts.paths, &opts.scan.load, cwd);
    v.notes.extend(found.notes);
    let (inputs, discover_errors) = (found.inputs, found.errors);
    let loaded = crate::source::load_all(&inputs, &opts.scan.load);
    let mut file_names: Vec<String> = inputs
        .iter()
        .map(|i| match i {
            crate::source::Input::File { display, .. } => display.clone(),
            crate::source::Input::Stdin => opts.scan.load.stdin_name.clone(),
        })
        .collect();
    let mut problems = Vec::new();
    for e in discover_errors.into_iter().chain(loaded.errors) {
        match e.code {
            Code::Syntax | Code::DuplicateKey => problems.push(Problem::in_file(
                e.file_name().unwrap_or_default().to_string(),
                e.line_number().unwrap_or(1),
                e.column_number().unwrap_or(1),
                "",
                ProblemKind::Syntax,
                e.message,
            )),
            // A kind without apiVersion: reported below from `loaded.incomplete`.
            Code::InvalidObject => {}
            _ => v.tool_errors.push(e),
        }
    }
    for i in loaded.incomplete {
        let e = i.diagnostic;
        problems.push(Problem::in_file(
            e.file_name().unwrap_or_default().to_string(),
            e.line_number().unwrap_or(1),
            e.column_number().unwrap_or(1),
            i.field,
            ProblemKind::Schema,
            e.message.clone(),
        ));
    }
    let patch_files = inputs::kustomize_patches(&inputs);
    let docs = loaded.documents;
    v.documents = docs.len();
    // Per file: its text (once) and the indexes of its documents.
    let mut doc_indexes: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut texts: BTreeMap<&str, &SourceFile> = BTreeMap::new();
    for d in &docs {
        doc_indexes
            .entry(d.file.path.clone())
            .or_default()
            .insert(d.index);
        texts.insert(&d.file.path, &d.file);
    }
    problems.extend(texts.values().filter_map(|f| inputs::json_syntax(f)));

    // Kubernetes schema and ConfigMap data, per document in parallel.
    type PerDoc = (Vec<Problem>, bool, usize, Vec<crate::diag::Diagnostic>);
    let per_doc: Vec<PerDoc> = docs
        .par_iter()
        .map(|doc| {
            let mut out = Vec::new();
            let mut outcome = schemas.validate(&doc.tree, opts.strict);
            // Patches (kustomize, `$patch`) are partial objects: required fields may be
            // missing; everything they do say is still checked.
            if patch_files.contains(&doc.file.path) || doc.tree.get("$patch").is_some() {
                outcome
                    .issues
                    .retain(|i| i.kind != k8s::IssueKind::MissingField);
                outcome.issues.retain(|i| {
                    !matches!(i.path.0.last(), Some(crate::document::Seg::Key(k)) if k.starts_with('$'))
                });
            }
            let builtin = outcome.coverage == k8s::Coverage::Checked;
            for i in outcome.issues {
                let level = match i.level {
                    k8s::IssueLevel::Error => Level::Error,
                    k8s::IssueLevel::Warning => Level::Warning,
                };
                let unknown = i.kind == k8s::IssueKind::UnknownField;
                let mut p = problem_at(doc, Some(&i.path), ProblemKind::Schema, level, i.message);
                // An unknown field is pointed at by its key, not its value.
                if unknown && let Some(k) = inputs::key_span(&doc.tree, &i.path) {
                    p.line = k.start.line;
                    p.column = k.start.column;
                }
                out.push(p);
            }
            let data = app.check(doc);
            for i in data.issues {
                let mut p = problem_at(
                    doc,
                    Some(&i.path),
                    ProblemKind::JsonSchema,
                    Level::Error,
                    i.message,
                );
                p.line = i.pos.line;
                p.column = i.pos.column;
                out.push(p);
            }
            (out, builtin, data.checked, data.schema_errors)
        })
        .collect();
    let mut schema_errors: Vec<crate::diag::Diagnostic> = Vec::new();
    for (p, builtin, keys, errs) in per_doc {
        problems.extend(p);
        v.checks.schema_checked += usize::from(builtin);
        v.checks.schema_not_builtin += usize::from(!builtin);
        v.checks.json_schema_keys += keys;
        for e in errs {
            if !schema_errors.iter().any(|x| x.file_name() == e.file_name()) {
                schema_errors.push(e);
            }
        }
    }
    // A schema mapped in confgate.toml that cannot be used: the tool could not check.
    v.tool_errors.extend(schema_errors);

    // Business rules.
    let mut settings = crate::k8s::settings_data(
        crate::k8s::KubeVersion::parse(&v.kube_version).unwrap_or(crate::k8s::KubeVersion::NEWEST),
    );
    if let Some(map) = settings.as_object_mut() {
        map.insert(
            "environment".to_string(),
            serde_json::json!(opts.environment),
        );
    }
    let bopts = business::BusinessOptions {
        builtin: opts.builtin_business,
        policy_paths: &opts.business_policies,
        cwd,
        settings,
        params: serde_json::Value::Object(opts.business_params.clone()),
        engine: opts.scan.engine,
        timeout: opts.scan.policy_timeout,
    };
    let (found, errors) = business::evaluate(&docs, &bopts)?;
    v.checks.business_checked = docs.len();
    v.tool_errors.extend(errors);
    for f in found {
        let Some(doc) = docs.get(f.doc) else { continue };
        let mut p = problem_at(
            doc,
            f.path.as_ref(),
            ProblemKind::Business,
            Level::Error,
            f.message,
        );
        p.rule = Some(f.rule);
        problems.push(p);
    }

    // The security scan.
    if opts.security_compliance {
        let outcome = crate::scan::Scanner::new(&opts.scan)?.scan_documents(docs)?;
        v.checks.security_rules = outcome.rules.len();
        v.tool_errors.extend(outcome.errors);
        v.notes.extend(outcome.warnings);
        for f in outcome.findings {
            if f.suppressed.is_some() {
                continue;
            }
            let level = if opts.gate.blocks(&f) {
                Level::Error
            } else {
                Level::Warning
            };
            problems.push(Problem {
                file: f.file.clone(),
                line: f.line,
                column: f.column,
                path: f.path.clone(),
                kind: ProblemKind::Security,
                level,
                rule: Some(f.rule_id.clone()),
                severity: Some(f.severity),
                message: format!("{}: {}", f.rule_name, f.message),
                document_index: Some(f.document_index),
                resource: Some(f.resource.clone()),
            });
        }
    }

    if opts.strict {
        for p in &mut problems {
            p.level = Level::Error;
        }
    }
    problems.sort_by(|a, b| {
        (
            a.level, &a.file, a.line, a.column, a.kind, &a.path, &a.message,
        )
            .cmp(&(
                b.level, &b.file, b.line, b.column, b.kind, &b.path, &b.message,
            ))
    });
    problems.dedup_by(|a, b| {
        a.level == b.level
            && a.file == b.file
            && a.line == b.line
            && a.column == b.column
            && a.kind == b.kind
            && a.path == b.path
            && a.message == b.message
    });

    file_names.sort();
    file_names.dedup();
    let (files, score) = score::files(&problems, &v.tool_errors, &file_names, &doc_indexes);
    v.score = score;
    v.files = files;
    v.problems = problems;
    Ok(v)
}
