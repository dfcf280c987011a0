//! The one flow: sources → documents → inventory → parallel evaluation → findings.
//!
//! Every command that looks at configuration calls [`scan`] (or [`scan_documents`] when it
//! already holds documents). Per-file and per-document problems land in `errors` and the
//! scan goes on; only problems that make the whole scan meaningless (a broken policy, a bad
//! selection) are returned as `Err`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;

use crate::catalog::{Catalog, Framework, POLICIES_DIR, Rule, Severity, all_files};
use crate::document::{Document, SourceFile};
use crate::engine::{
    EngineMode, Input, PackageSpec, PolicyError, PolicySet, PolicySource, inventory_data,
};
use crate::finding::Finding;
use crate::source::{self, InputError, LoadOptions};

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
        Ok(())
    }
}

/// Everything a scan needs besides its inputs.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    pub load: LoadOptions,
    pub selection: Selection,
    pub engine: EngineMode,
    /// Worker threads; 0 = one per core.
    pub jobs: usize,
    /// Time limit for one package on one document.
    pub policy_timeout: Duration,
    /// Kubernetes release checked against (deprecated and removed APIs), e.g. `1.37`.
    pub kube_version: String,
    /// Evaluate and report only this slice of the input files.
    pub shard: Option<Shard>,
    /// User policies (`--policy`), loaded once by the caller.
    pub custom: Option<Arc<crate::engine::custom::CustomPolicies>>,
    /// Waivers from `confgate-waivers.yaml` / `confgate.toml`.
    pub waivers: Vec<crate::waiver::CompiledWaiver>,
    /// Findings of an earlier scan: only new findings count for the gate.
    pub baseline: Option<crate::baseline::Baseline>,
    /// Today as days since 1970-01-01 (waiver expiry).
    pub today: i64,
}

/// The newest Kubernetes release whose API removals the built-in rules know.
pub const NEWEST_KUBE_VERSION: &str = "1.37";

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            load: LoadOptions::default(),
            selection: Selection::default(),
            engine: EngineMode::default(),
            jobs: 0,
            policy_timeout: Duration::from_secs(5),
            kube_version: NEWEST_KUBE_VERSION.to_string(),
            shard: None,
            custom: None,
            waivers: Vec::new(),
            baseline: None,
            today: crate::waiver::today(),
        }
    }
}

/// The result of a scan.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    pub files: usize,
    pub documents: usize,
    pub rules: Vec<Rule>,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    /// Texts of scanned files by display path, for code frames.
    pub sources: BTreeMap<String, Arc<SourceFile>>,
    /// Every scanned object, in input order (for per-resource reports such as JUnit).
    pub resources: Vec<ScannedResource>,
    /// Things worth knowing that are not errors (e.g. expiring waivers).
    pub warnings: Vec<String>,
    /// How each waiver fared.
    pub waivers: Vec<crate::waiver::WaiverUse>,
    /// Baseline entries no current finding matched (`None` without a baseline).
    pub absent: Option<Vec<crate::baseline::BaselineEntry>>,
}

/// One object that was scanned.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScannedResource {
    pub file: String,
    pub document_index: usize,
    pub resource: crate::finding::ResourceRef,
}

/// A failure that stops the whole scan.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("policy error: {0}")]
    Policy(#[from] PolicyError),
    #[error("rule catalog: {0}")]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error("{0}")]
    Selection(String),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// A deterministic slice of the inputs: shard `index` (1-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` with 1 ≤ I ≤ N.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("--shard {s:?}: expected I/N, e.g. 2/4"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("--shard {s:?}: I is not a number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("--shard {s:?}: N is not a number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("--shard {s:?}: need 1 ≤ I ≤ N"));
        }
        Ok(Shard { index, count })
    }

    /// Does the file shown as `path` belong to this shard? A stable hash of the path (FNV-1a),
    /// so the split does not depend on which files exist or their order.
    pub fn owns(&self, path: &str) -> bool {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in path.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        (h % self.count as u64) as usize == self.index - 1
    }
}

/// Receives progress while documents are evaluated (the CLI draws a bar; the library never
/// prints).
pub trait Progress: Sync {
    fn start(&self, _documents: u64) {}
    fn advance(&self, _documents: u64) {}
    fn finish(&self) {}
}

/// No progress reporting.
pub struct NoProgress;

impl Progress for NoProgress {}

/// Scans paths (`-` = stdin).
pub fn scan(paths: &[String], opts: &ScanOptions, cwd: &Path) -> Result<ScanOutcome, ScanError> {
    scan_with_progress(paths, opts, cwd, &NoProgress)
}

/// Scans paths, reporting progress. With a shard set, every file is still parsed (the
/// inventory of cross-resource rules must be complete) but only the shard's files are
/// evaluated and reported, so the merged shards equal one full scan.
pub fn scan_with_progress(
    paths: &[String],
    opts: &ScanOptions,
    cwd: &Path,
    progress: &dyn Progress,
) -> Result<ScanOutcome, ScanError> {
    let pool = thread_pool(opts.jobs)?;
    pool.install(|| {
        let t = std::time::Instant::now();
        let found = source::discover(paths, &opts.load, cwd);
        tracing::debug!(files = found.inputs.len(), elapsed = ?t.elapsed(), "discovered");
        let loaded = source::load_all(&found.inputs, &opts.load);
        tracing::debug!(documents = loaded.documents.len(), elapsed = ?t.elapsed(), "loaded");
        let owns = |file: &str| opts.shard.is_none_or(|s| s.owns(file));
        let mut outcome = evaluate(
            loaded.documents,
            opts,
            &|d: &Document| owns(&d.file.path),
            progress,
        )?;
        tracing::debug!(elapsed = ?t.elapsed(), "evaluated");
        outcome.files = found
            .inputs
            .iter()
            .filter(|i| match i {
                source::Input::File { display, .. } => owns(display),
                source::Input::Stdin => owns(&opts.load.stdin_name),
            })
            .count();
        outcome
            .errors
            .extend(found.errors.into_iter().filter(|e| owns(&e.file)));
        outcome
            .errors
            .extend(loaded.errors.into_iter().filter(|e| owns(&e.file)));
        outcome.errors.sort();
        Ok(outcome)
    })
}

pub(crate) fn thread_pool(jobs: usize) -> Result<rayon::ThreadPool, ScanError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(8 * 1024 * 1024)
        .build()
        .map_err(|e| ScanError::Threads(e.to_string()))
}

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
                    kinds.extend(crate::catalog::WORKLOAD_KINDS.iter().map(|s| s.to_string()));
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

/// Kinds that are never namespaced, for placing objects in the inventory.
const CLUSTER_KINDS: [&str; 16] = [
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "CSIDriver",
];

/// `data.settings`: scan settings policies may read.
fn settings_data(opts: &ScanOptions) -> serde_json::Value {
    let (major, minor) = parse_kube_version(&opts.kube_version).unwrap_or((1, 0));
    serde_json::json!({
        "kube_version": opts.kube_version,
        "kube_major": major,
        "kube_minor": minor,
    })
}

/// `1.34`, `v1.34.2` → (1, 34).
pub fn parse_kube_version(v: &str) -> Option<(u64, u64)> {
    let v = v.trim().trim_start_matches('v');
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Is this kind cluster-scoped (for placing objects in the inventory)?
pub fn cluster_scoped(kind: &str) -> bool {
    CLUSTER_KINDS.contains(&kind)
}

/// Evaluates already-loaded documents.
pub fn scan_documents(docs: Vec<Document>, opts: &ScanOptions) -> Result<ScanOutcome, ScanError> {
    evaluate(docs, opts, &|_| true, &NoProgress)
}

/// Evaluates the documents `selected` picks; all documents form the inventory.
fn evaluate(
    docs: Vec<Document>,
    opts: &ScanOptions,
    selected: &(dyn Fn(&Document) -> bool + Sync),
    progress: &dyn Progress,
) -> Result<ScanOutcome, ScanError> {
    let catalog = Catalog::builtin()?;
    let custom_rules = opts.custom.as_ref().map(|c| c.rules()).unwrap_or_default();
    opts.selection
        .check(&catalog, &custom_rules)
        .map_err(ScanError::Selection)?;
    let rules = opts.selection.rules(&catalog);
    let by_id: HashMap<&str, &Rule> = rules.iter().map(|r| (r.id.as_str(), *r)).collect();
    let t = std::time::Instant::now();
    let inputs: Vec<Input> = docs.par_iter().map(|d| Input::from_node(&d.tree)).collect();
    let data = inventory_data(
        docs.iter()
            .zip(&inputs)
            .map(|(d, i)| (cluster_scoped(&d.resource.kind), &d.resource, i)),
        settings_data(opts),
    );
    tracing::debug!(elapsed = ?t.elapsed(), "inventory built");
    let set = PolicySet::load(
        &builtin_policies(),
        packages_for(&rules),
        data.clone(),
        opts.engine,
        opts.policy_timeout,
    )?;

    tracing::debug!(elapsed = ?t.elapsed(), "policies loaded");
    let threads = rayon::current_num_threads().max(1);
    let chunk = docs.len().div_ceil(threads * 8).max(1);
    let pairs: Vec<(&Document, &Input)> = docs
        .iter()
        .zip(&inputs)
        .filter(|(d, _)| selected(d))
        .collect();
    progress.start(pairs.len() as u64);
    type ChunkResult = Result<(Vec<Finding>, Vec<InputError>), PolicyError>;
    let results: Vec<ChunkResult> = pairs
        .par_chunks(chunk)
        .map(|chunk| {
            let mut worker = set.worker()?;
            let mut findings = Vec::new();
            let mut errors = Vec::new();
            for (doc, input) in chunk {
                let (raw, errs) = worker.evaluate(&doc.resource.kind, input);
                let ignores = crate::waiver::inline_ignores(doc);
                for r in &raw {
                    let Some(rule) = by_id.get(r.id.as_str()) else {
                        continue;
                    };
                    if !rule.applies_to(&doc.resource.kind) {
                        continue;
                    }
                    let mut f = Finding::new(r, rule, doc);
                    if let Some(s) = opts.selection.severity_overrides.get(&rule.id) {
                        f.severity = *s;
                    }
                    if let Some(ig) = &ignores {
                        crate::waiver::apply_inline(&mut f, ig);
                    }
                    if opts.selection.min_severity.is_none_or(|m| f.severity >= m) {
                        findings.push(f);
                    }
                }
                for e in errs {
                    errors.push(InputError {
                        column: None,
                        file: doc.file.path.clone(),
                        line: Some(doc.tree.span.start.line),
                        message: format!(
                            "policy {} failed on {}: {}",
                            e.package.trim_start_matches("data."),
                            doc.resource,
                            e.message
                        ),
                    });
                }
            }
            progress.advance(chunk.len() as u64);
            Ok((findings, errors))
        })
        .collect();
    progress.finish();

    let mut outcome = ScanOutcome {
        documents: pairs.len(),
        rules: rules.iter().map(|r| (*r).clone()).collect(),
        resources: pairs
            .iter()
            .map(|(d, _)| ScannedResource {
                file: d.file.path.clone(),
                document_index: d.index,
                resource: (&d.resource).into(),
            })
            .collect(),
        ..ScanOutcome::default()
    };
    for r in results {
        let (f, e) = r?;
        outcome.findings.extend(f);
        outcome.errors.extend(e);
    }
    if let Some(custom) = &opts.custom {
        let (f, e) = custom.evaluate(&pairs, &docs, &data);
        let kept: HashMap<&str, &Rule> = custom_rules
            .iter()
            .filter(|r| opts.selection.keeps_custom(r))
            .map(|r| (r.id.as_str(), r))
            .collect();
        outcome.findings.extend(f.into_iter().filter_map(|mut f| {
            kept.get(f.rule_id.as_str())?;
            if let Some(s) = opts.selection.severity_overrides.get(&f.rule_id) {
                f.severity = *s;
            }
            opts.selection
                .min_severity
                .is_none_or(|m| f.severity >= m)
                .then_some(f)
        }));
        outcome.errors.extend(e);
        let mut extra: Vec<Rule> = kept.values().map(|r| (*r).clone()).collect();
        extra.sort_by(|a, b| a.id.cmp(&b.id));
        outcome.rules.extend(extra);
    }
    outcome
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    outcome.findings.dedup_by(|a, b| {
        a.file == b.file
            && a.document_index == b.document_index
            && a.fingerprint == b.fingerprint
            && a.line == b.line
            && a.message == b.message
    });
    let (uses, warnings) =
        crate::waiver::apply_waivers(&mut outcome.findings, &opts.waivers, opts.today);
    outcome.waivers = uses;
    outcome.warnings.extend(warnings);
    if let Some(b) = &opts.baseline {
        outcome.absent = Some(b.classify(&mut outcome.findings));
    }
    for (d, _) in &pairs {
        outcome
            .sources
            .entry(d.file.path.clone())
            .or_insert_with(|| d.file.clone());
    }
    Ok(outcome)
}
