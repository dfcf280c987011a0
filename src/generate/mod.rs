//! `confgate generate`: profiles + templates → manifests, gated by the scan before anything
//! is written.
//!
//! The flow: [`profile::load`] merges the profile chain and reads the secrets →
//! [`render`] renders the Tera templates, normalizes the documents (sorted data keys, base64
//! Secret data, content-hash names and the references to them) and emits deterministic YAML
//! → the generated set is scanned with [`crate::scan::scan_documents`] → the caller either
//! prints a diff ([`Plan::diff`]), prints the findings of a failed gate ([`Plan::report`]) or
//! writes the files atomically ([`Plan::apply`]).
//!
//! Secret values never leave through an error, the diff or the report: messages name the
//! variable and its source only, Secret data is masked structurally, and every text that
//! leaves goes through a [`secrets::Redactor`].

pub mod diff;
pub mod profile;
pub mod render;
pub mod secrets;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use crate::diag::{Code, Diagnostic};
use crate::document::{Document, NodeKind, SourceFile};
use crate::gate::Gate;
use crate::report::{OutputFormat, ReportContext};
use crate::scan::{ScanOptions, ScanOutcome};

pub use render::{GENERATED_MARKER, HASH_ANNOTATION, OutFile};
pub use secrets::Redactor;

/// A problem that stops generation (`Code::Generate`): one line naming the file (and line
/// when known); `None` for a problem of the options themselves.
pub fn error(file: Option<&str>, line: Option<u32>, message: impl Into<String>) -> Diagnostic {
    let message: String = message.into();
    let d = Diagnostic::new(
        Code::Generate,
        message.split_whitespace().collect::<Vec<_>>().join(" "),
    )
    .line(line);
    match file {
        Some(f) => d.file(f),
        None => d,
    }
}

/// The same diagnostic with every secret value scrubbed from its file and message.
pub fn scrubbed(d: Diagnostic, r: &Redactor) -> Diagnostic {
    let file = d.file_name().map(|f| r.scrub(f));
    let d = d.map_message(|m| r.scrub(m));
    match file {
        Some(f) => d.file(f),
        None => d,
    }
}

/// Everything a run needs, resolved (by [`crate::settings::Settings::generate`]).
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub environment: String,
    /// `--namespace`.
    pub namespace: Option<String>,
    /// `namespace` of `[generate]`, `{environment}` already replaced.
    pub namespace_pattern: Option<String>,
    pub profile_dir: PathBuf,
    pub template_dir: PathBuf,
    pub output_dir: PathBuf,
    /// `--set key=value` overrides, in order.
    pub sets: Vec<String>,
    /// Content-hash names for every generated ConfigMap and Secret.
    pub hash_suffix: bool,
    /// Remove generated files that are no longer generated.
    pub prune: bool,
    /// The gate on the generated set, scanned with `scan`.
    pub gate: Gate,
    pub scan: ScanOptions,
    /// Directory paths are shown relative to.
    pub cwd: PathBuf,
}

/// A file the generator would write.
#[derive(Clone, Debug)]
pub struct PlannedFile {
    pub out: OutFile,
    pub path: PathBuf,
    /// As shown in messages and the diff.
    pub display: String,
    /// Its current text, when it exists.
    pub existing: Option<String>,
}

impl PlannedFile {
    pub fn changed(&self) -> bool {
        self.existing.as_deref() != Some(self.out.text.as_str())
    }
}

/// A file generated earlier (it starts with [`GENERATED_MARKER`]) that this run no longer
/// produces.
#[derive(Clone, Debug)]
pub struct StaleFile {
    pub path: PathBuf,
    pub display: String,
    pub existing: String,
}

/// The result of rendering and gating, before anything is written.
pub struct Plan {
    pub environment: String,
    pub namespace: String,
    /// Profile files merged, base first.
    pub profiles: Vec<String>,
    pub files: Vec<PlannedFile>,
    pub stale: Vec<StaleFile>,
    pub prune: bool,
    pub outcome: ScanOutcome,
    pub gate: Gate,
    pub output_dir: PathBuf,
    pub output_display: String,
    pub redactor: Redactor,
}

/// What [`Plan::apply`] did.
#[derive(Debug, Default)]
pub struct Applied {
    pub written: Vec<String>,
    pub unchanged: usize,
    pub removed: Vec<String>,
    /// Stale files left in place (no `--prune`).
    pub kept: Vec<String>,
}

/// Is `ns` a valid namespace name (RFC 1123 label)?
fn valid_namespace(ns: &str) -> bool {
    crate::k8s::is_dns1123_label(ns)
}

/// Renders the environment and runs the gate; writes nothing.
pub fn plan(opts: &GenerateOptions) -> Result<Plan, Diagnostic> {
    let profiles = profile::load(&opts.profile_dir, &opts.environment, &opts.sets, &opts.cwd)?;
    let redactor = profiles.redactor.clone();
    plan_with(opts, profiles).map_err(|e| scrubbed(e, &redactor))
}

fn plan_with(opts: &GenerateOptions, profiles: profile::Profiles) -> Result<Plan, Diagnostic> {
    let (namespace, from) = if let Some(ns) = &opts.namespace {
        (ns.clone(), "--namespace".to_string())
    } else if let Some(ns) = &profiles.namespace {
        (
            ns.clone(),
            profiles.chain.last().cloned().unwrap_or_default(),
        )
    } else if let Some(ns) = &opts.namespace_pattern {
        (ns.clone(), "confgate.toml [generate] namespace".to_string())
    } else {
        (opts.environment.clone(), "--environment".to_string())
    };
    if !valid_namespace(&namespace) {
        return Err(crate::generate::error(
            Some(&from),
            None,
            format!(
                "namespace {namespace:?} is not a valid name (lowercase letters, digits and `-`, at most 63)"
            ),
        ));
    }
    let mut context: serde_json::Map<String, Json> = profiles
        .values
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    context.insert(
        "environment".to_string(),
        Json::String(opts.environment.clone()),
    );
    context.insert("namespace".to_string(), Json::String(namespace.clone()));
    let templates = render::load_templates(&opts.template_dir, &opts.cwd)?;
    let rendered = templates.render_all(&Json::Object(context))?;
    let tdisplay = crate::source::display_path(&opts.template_dir, &opts.cwd);
    let outs = render::finalize(
        rendered,
        &namespace,
        &opts.environment,
        opts.hash_suffix,
        &tdisplay,
    )?;
    let output_display = crate::source::display_path(&opts.output_dir, &opts.cwd);
    let existing = existing_files(&opts.output_dir, &output_display)?;
    let mut files = Vec::new();
    for out in outs {
        let path = opts.output_dir.join(&out.rel);
        let display = crate::source::display_path(&path, &opts.cwd);
        let current = existing.get(&out.rel).cloned();
        if current.is_none() && path.exists() && !path.is_file() {
            return Err(crate::generate::error(
                Some(&display),
                None,
                "exists and is not a file",
            ));
        }
        files.push(PlannedFile {
            out,
            path,
            display,
            existing: current,
        });
    }
    let stale = existing
        .into_iter()
        .filter(|(rel, text)| {
            text.starts_with(GENERATED_MARKER) && !files.iter().any(|f| &f.out.rel == rel)
        })
        .map(|(rel, existing)| {
            let path = opts.output_dir.join(&rel);
            StaleFile {
                display: crate::source::display_path(&path, &opts.cwd),
                path,
                existing,
            }
        })
        .collect();
    let outcome = gate(&files, &opts.scan, &profiles.redactor)?;
    Ok(Plan {
        environment: opts.environment.clone(),
        namespace,
        profiles: profiles.chain,
        files,
        stale,
        prune: opts.prune,
        outcome,
        gate: opts.gate,
        output_dir: opts.output_dir.clone(),
        output_display,
        redactor: profiles.redactor,
    })
}

/// The YAML files below the output directory, by `/`-separated relative path.
fn existing_files(dir: &Path, shown: &str) -> Result<BTreeMap<String, String>, Diagnostic> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return Ok(out);
    }
    if !dir.is_dir() {
        return Err(crate::generate::error(
            Some(shown),
            None,
            "output path is not a directory",
        ));
    }
    let walk = crate::source::WalkOptions {
        keep: |p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"),
        ..Default::default()
    };
    for entry in crate::source::walk_files(dir, &walk) {
        let path = entry.map_err(|e| crate::generate::error(Some(shown), None, e.to_string()))?;
        let p = path.as_path();
        let Ok(rel) = p.strip_prefix(dir) else {
            continue;
        };
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if let Ok(text) = std::fs::read_to_string(p) {
            out.insert(rel, text);
        }
    }
    Ok(out)
}

/// Scans the generated set. The sources kept for code frames have Secret values masked.
fn gate(
    files: &[PlannedFile],
    scan: &ScanOptions,
    redactor: &Redactor,
) -> Result<ScanOutcome, Diagnostic> {
    let mut docs: Vec<Document> = Vec::new();
    let mut masked: BTreeMap<String, String> = BTreeMap::new();
    for f in files {
        let source = Arc::new(SourceFile {
            path: f.display.clone(),
            text: f.out.text.clone(),
            live: false,
        });
        let (raws, errors) = crate::source::yaml::parse_all(&f.out.text);
        if let Some(e) = errors.first() {
            return Err(crate::generate::error(
                Some(&f.display),
                e.line_number(),
                format!(
                    "generated YAML cannot be read back: {}",
                    redactor.scrub(&e.message)
                ),
            ));
        }
        for (index, raw) in raws.into_iter().enumerate() {
            if matches!(raw.root.kind, NodeKind::Scalar(Json::Null)) {
                continue;
            }
            if let Some(d) = Document::from_tree(source.clone(), index, None, raw.root, None) {
                docs.push(d);
            }
        }
        if f.out.has_secret {
            let m: Vec<serde_yaml::Value> = f
                .out
                .docs
                .iter()
                .map(|d| render::masked(d, None, false))
                .collect();
            let text = render::emit(&f.out.header, &m).unwrap_or_default();
            masked.insert(f.display.clone(), text);
        }
    }
    let mut outcome = crate::scan::Scanner::new(scan)
        .and_then(|scanner| scanner.scan_documents(docs))
        .map_err(|e| {
            error(
                None,
                None,
                format!("the gate cannot scan the generated set: {e}"),
            )
        })?;
    outcome.files = files.len();
    for (path, text) in masked {
        outcome.sources.insert(
            path.clone(),
            Arc::new(SourceFile {
                path,
                text,
                live: false,
            }),
        );
    }
    Ok(outcome)
}

impl Plan {
    /// Findings at or above the gate?
    pub fn gate_failed(&self) -> bool {
        !self.gate.passes(&self.outcome.findings)
    }

    /// Findings below the gate (for a summary line).
    pub fn findings_below_gate(&self) -> usize {
        self.gate.below(&self.outcome.findings).count()
    }

    /// The unified diff of what [`Plan::apply`] would change, Secret values masked.
    pub fn diff(&self) -> String {
        diff::render(self)
    }

    /// Files that would be written (new or changed).
    pub fn changed(&self) -> impl Iterator<Item = &PlannedFile> {
        self.files.iter().filter(|f| f.changed())
    }

    /// The text report of the gate scan, secret values scrubbed.
    pub fn report(&self, color: bool) -> Result<Vec<u8>, crate::diag::Diagnostic> {
        let ctx = ReportContext {
            outcome: &self.outcome,
            color,
            gate: self.gate,
            template: None,
            sarif_category: None,
        };
        let bytes = crate::report::render(OutputFormat::Text, &ctx)?;
        Ok(self.redactor.scrub_bytes(bytes))
    }

    /// Writes the changed files atomically (new files holding a Secret are created 0600)
    /// and, with `prune`, removes stale generated files. Refuses to write when the gate
    /// failed.
    pub fn apply(&self) -> Result<Applied, Diagnostic> {
        if self.gate_failed() || !self.outcome.errors.is_empty() {
            return Err(crate::generate::error(
                Some(&self.output_display),
                None,
                "the generated manifests did not pass the gate; nothing written",
            ));
        }
        let mut done = Applied::default();
        for f in &self.files {
            if !f.changed() {
                done.unchanged += 1;
                continue;
            }
            write_file(f)?;
            done.written.push(f.display.clone());
        }
        for s in &self.stale {
            if self.prune {
                std::fs::remove_file(&s.path).map_err(|e| {
                    crate::generate::error(Some(&s.display), None, format!("cannot remove: {e}"))
                })?;
                done.removed.push(s.display.clone());
            } else {
                done.kept.push(s.display.clone());
            }
        }
        Ok(done)
    }
}

fn write_file(f: &PlannedFile) -> Result<(), Diagnostic> {
    let fail = |e: std::io::Error| {
        crate::generate::error(Some(&f.display), None, format!("cannot write: {e}"))
    };
    if let Some(parent) = f.path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let created = f.out.has_secret && !f.path.exists() && create_private(&f.path).is_ok();
    let result = crate::fsutil::write_atomic(&f.path, f.out.text.as_bytes());
    if result.is_err() && created {
        let _ = std::fs::remove_file(&f.path);
    }
    result.map_err(fail)
}

/// Creates an empty file readable by its owner only, so the atomic write that follows keeps
/// those permissions for a file holding Secrets.
#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(|_| ())
}

#[cfg(not(unix))]
fn create_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_rfc1123_labels() {
        assert!(valid_namespace("spotify-ai-prod"));
        assert!(!valid_namespace("Prod"));
        assert!(!valid_namespace("-x"));
        assert!(!valid_namespace(&"a".repeat(64)));
    }

    #[test]
    fn errors_are_one_line() {
        let e = error(Some("profiles/a.yaml"), Some(3), "bad\nthing");
        assert_eq!(e.to_string(), "profiles/a.yaml:3: bad thing");
    }
}
