//! The one flow: sources → documents → inventory → parallel evaluation → resolution.
//!
//! A [`Scanner`] is built once from the resolved [`ScanOptions`]: it loads the catalog,
//! applies the rule selection and compiles the built-in and user policies. It then scans any
//! number of document sets, each with its own inventory and per-call [`Bindings`] (the
//! Kubernetes release, today's date for waiver expiry), so a long-running process (the
//! admission webhook, the monitor) keeps one alive and never recompiles. Every command that
//! looks at configuration goes through it: `scan`, `audit`, `waivers audit`, `generate`'s
//! gate, `validate --security-compliance`, `bench`.
//!
//! Per-file and per-document problems land in `errors` and the scan goes on; only problems
//! that make the whole scan meaningless (a broken policy, a bad selection) are `Err`. Whether
//! the findings pass is not decided here but by [`crate::gate`].

mod builtin;
mod inventory;
mod resolve;
mod selection;
mod shard;
mod stream;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;

use crate::catalog::{Catalog, Rule};
use crate::diag::{Code, Diagnostic};
use crate::document::{Document, SourceFile};
use crate::engine::custom::{CustomOptions, CustomPolicies};
use crate::engine::{EngineMode, EngineValue, PolicySet, inventory_data};
use crate::finding::Finding;
use crate::k8s::KubeVersion;
use crate::source::{self, LoadOptions};

pub use builtin::{builtin_policies, builtin_sources, packages_for};
pub use inventory::Inventory;
pub use selection::Selection;
pub use shard::Shard;

/// Everything a scan needs besides its inputs: what `settings` resolves from flags,
/// `CONFGATE_*` and `confgate.toml`.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    pub load: LoadOptions,
    pub selection: Selection,
    pub engine: EngineMode,
    /// Worker threads; 0 = one per core.
    pub jobs: usize,
    /// Time limit for one package on one document.
    pub policy_timeout: Duration,
    /// Kubernetes release checked against (deprecated and removed APIs) unless a call binds
    /// another one.
    pub kube_version: KubeVersion,
    /// Evaluate and report only this slice of the input files.
    pub shard: Option<Shard>,
    /// User policies (`--policy`), loaded and compiled by [`Scanner::new`].
    pub custom: Option<CustomOptions>,
    /// Waivers from `confgate-waivers.yaml` / `confgate.toml`.
    pub waivers: Vec<crate::waiver::CompiledWaiver>,
    /// Findings of an earlier scan: only new findings count for the gate.
    pub baseline: Option<crate::baseline::Baseline>,
    /// Which source texts a file scan keeps for its reports (`ScanOutcome::sources`).
    pub sources: SourceRetention,
    /// Whether the outcome lists every scanned object (`ScanOutcome::resources`, the test
    /// cases of a JUnit report). Other reports do without it, which saves a few hundred
    /// bytes per document in a large scan.
    pub resources: bool,
    /// A file scan whose inputs are larger than this (bytes, in all) is streamed in two
    /// passes (src/scan/stream.rs); a smaller one keeps its documents and parses once.
    pub stream_above: u64,
}

/// [`ScanOptions::stream_above`] by default: a repository of a few thousand documents is
/// parsed once and held (~100 MB); beyond that memory stays bounded.
pub const STREAM_ABOVE: u64 = 8 * 1024 * 1024;

/// Which source texts a file scan keeps in [`ScanOutcome::sources`]: a code frame needs the
/// text of the files with findings, the HTML report and the audit re-read every document,
/// SARIF, JSON, CSV and JUnit need none. Below `All`, only files with findings have an entry
/// (with an empty text under `None`: SARIF still asks whether such a file is a live object).
/// Keeping less is what lets a 100,000-document scan run in bounded memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SourceRetention {
    /// Every scanned file's text (library callers, HTML, audit).
    #[default]
    All,
    /// The files with at least one finding, with their text (text reports).
    WithFindings,
    /// The files with at least one finding, without their text.
    None,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            load: LoadOptions::default(),
            selection: Selection::default(),
            engine: EngineMode::default(),
            jobs: 0,
            policy_timeout: Duration::from_secs(5),
            kube_version: KubeVersion::NEWEST,
            shard: None,
            custom: None,
            waivers: Vec::new(),
            baseline: None,
            sources: SourceRetention::All,
            resources: true,
            stream_above: STREAM_ABOVE,
        }
    }
}

/// What one call binds: policies see the release as `data.settings`, waivers expire
/// against `today`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bindings {
    pub kube_version: KubeVersion,
    /// Today as days since 1970-01-01.
    pub today: i64,
}

/// The result of a scan.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    pub files: usize,
    pub documents: usize,
    pub rules: Vec<Rule>,
    pub findings: Vec<Finding>,
    pub errors: Vec<Diagnostic>,
    /// Texts of scanned files by display path, for code frames.
    pub sources: BTreeMap<String, Arc<SourceFile>>,
    /// Every scanned object, in input order (for per-resource reports such as JUnit).
    pub resources: Vec<ScannedResource>,
    /// Things worth knowing that are not errors (e.g. expiring waivers).
    pub warnings: Vec<String>,
    /// How each waiver fared.
    pub waivers: Vec<crate::waiver::WaiverUse>,
    /// What the globs of inline `confgate.io/ignore` annotations suppressed or held back
    /// (one record per document and resolution step; warned about once per scan).
    pub inline_ignores: Vec<crate::waiver::InlineUse>,
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

/// Policies compiled once, with the selection, governance and worker threads of one set of
/// settings.
pub struct Scanner {
    options: ScanOptions,
    /// Every rule the scanner reports: the selected built-in rules, then the kept user
    /// rules, by id.
    rules: Vec<Rule>,
    /// Index into `rules` of the built-in rules, by id.
    builtin: HashMap<String, usize>,
    policies: PolicySet,
    custom: Option<CustomPolicies>,
    pool: rayon::ThreadPool,
}

impl Scanner {
    /// Loads the catalog, checks the selection, and loads and compiles the built-in policies
    /// of the selected rules and the user policies.
    pub fn new(options: &ScanOptions) -> Result<Scanner, Diagnostic> {
        let t = std::time::Instant::now();
        let catalog = Catalog::builtin()?;
        tracing::debug!(elapsed = ?t.elapsed(), "catalog loaded");
        let custom = match &options.custom {
            Some(c) => Some(CustomPolicies::load(c, &c.base_dir)?),
            None => None,
        };
        let custom_rules = custom.as_ref().map(|c| c.rules()).unwrap_or_default();
        options
            .selection
            .check(&catalog, &custom_rules)
            .map_err(|m| Diagnostic::new(Code::Settings, m))?;
        let selected = options.selection.rules(&catalog);
        let policies = PolicySet::load(
            &builtin_policies(),
            packages_for(&selected),
            options.engine,
            options.policy_timeout,
        )?;
        tracing::debug!(elapsed = ?t.elapsed(), "policies compiled");
        let mut rules: Vec<Rule> = selected.into_iter().cloned().collect();
        let builtin = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        let mut kept: Vec<Rule> = custom_rules
            .into_iter()
            .filter(|r| options.selection.keeps_custom(r))
            .collect();
        kept.sort_by(|a, b| a.id.cmp(&b.id));
        rules.extend(kept);
        Ok(Scanner {
            options: options.clone(),
            rules,
            builtin,
            policies,
            custom,
            pool: thread_pool(options.jobs)?,
        })
    }

    /// The settings this scanner was built with.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// The rules it runs and reports: selected built-in rules, then kept user rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The bindings of a call made now: the configured release and today's date.
    pub fn bindings(&self) -> Bindings {
        Bindings {
            kube_version: self.options.kube_version,
            today: crate::waiver::today(),
        }
    }

    /// Scans paths (`-` = stdin) with the configured load options and shard, reporting
    /// progress. With a shard set, every file is still parsed (the inventory of
    /// cross-resource rules must be complete) but only the shard's files are evaluated and
    /// reported, so the merged shards equal one full scan.
    pub fn scan_paths(
        &self,
        paths: &[String],
        cwd: &Path,
        progress: &dyn Progress,
    ) -> Result<ScanOutcome, Diagnostic> {
        let prepared = self
            .pool
            .install(|| Prepared::read(paths, &self.options, cwd));
        self.scan_prepared(prepared, progress)
    }

    /// Scans what [`prepare`] found and loaded (with the same options as this scanner's).
    pub fn scan_prepared(
        &self,
        prepared: Prepared,
        progress: &dyn Progress,
    ) -> Result<ScanOutcome, Diagnostic> {
        let opts = &self.options;
        let Prepared { found, loaded, t } = prepared;
        self.pool.install(|| {
            let owns = |file: &str| opts.shard.is_none_or(|s| s.owns(file));
            let (mut outcome, load_errors) = match loaded {
                // A small scan, or user policies (they may read any object of the
                // inventory and the combined input): every document stays in memory.
                Some(loaded) if self.custom.is_some() || !loaded.streamed => {
                    let mut outcome = self.evaluate(
                        loaded.loaded.documents,
                        &self.bindings(),
                        &|d: &Document| owns(&d.file.path),
                        progress,
                    )?;
                    stream::retain_sources(&mut outcome, opts.sources);
                    (outcome, loaded.loaded.errors)
                }
                // Built-in rules only: two passes, nothing but the inventory and the
                // findings kept (see stream.rs).
                _ if self.custom.is_none() => self.scan_streamed(&found.inputs, &owns, progress)?,
                // Prepared for streaming but this scanner has user policies: load now.
                _ => {
                    let loaded = source::load_all(&found.inputs, &opts.load);
                    let mut outcome = self.evaluate(
                        loaded.documents,
                        &self.bindings(),
                        &|d: &Document| owns(&d.file.path),
                        progress,
                    )?;
                    stream::retain_sources(&mut outcome, opts.sources);
                    (outcome, loaded.errors)
                }
            };
            tracing::debug!(elapsed = ?t.elapsed(), rss_mib = ?crate::diag::current_rss_mib(), "evaluated");
            outcome.files = found
                .inputs
                .iter()
                .filter(|i| match i {
                    source::Input::File { display, .. } => owns(display),
                    source::Input::Stdin => owns(&opts.load.stdin_name),
                })
                .count();
            outcome.errors.extend(
                found
                    .errors
                    .into_iter()
                    .filter(|e| e.file_name().is_none_or(owns)),
            );
            outcome.errors.extend(
                load_errors
                    .into_iter()
                    .filter(|e| e.file_name().is_none_or(owns)),
            );
            outcome.errors.sort();
            outcome.warnings.extend(found.notes);
            Ok(outcome)
        })
    }

    /// Evaluates already-loaded documents; they are also the whole inventory.
    pub fn scan_documents(&self, docs: Vec<Document>) -> Result<ScanOutcome, Diagnostic> {
        self.scan_documents_with(docs, &self.bindings())
    }

    /// Evaluates already-loaded documents with the given bindings.
    pub fn scan_documents_with(
        &self,
        docs: Vec<Document>,
        bindings: &Bindings,
    ) -> Result<ScanOutcome, Diagnostic> {
        self.pool
            .install(|| self.evaluate(docs, bindings, &|_| true, &NoProgress))
    }

    /// Evaluates the documents `selected` picks; all documents form the inventory. Must run
    /// inside the scanner's pool.
    fn evaluate(
        &self,
        docs: Vec<Document>,
        bindings: &Bindings,
        selected: &(dyn Fn(&Document) -> bool + Sync),
        progress: &dyn Progress,
    ) -> Result<ScanOutcome, Diagnostic> {
        let mut outcome = self.evaluate_unresolved(docs, bindings, selected, progress)?;
        resolve::per_scan(&mut outcome, &self.options, bindings.today);
        Ok(outcome)
    }

    /// [`Self::evaluate`] before the per-scan resolution (waivers, baseline, order).
    fn evaluate_unresolved(
        &self,
        docs: Vec<Document>,
        bindings: &Bindings,
        selected: &(dyn Fn(&Document) -> bool + Sync),
        progress: &dyn Progress,
    ) -> Result<ScanOutcome, Diagnostic> {
        let t = std::time::Instant::now();
        let (inputs, data) = engine_inputs(&docs, bindings);
        tracing::debug!(elapsed = ?t.elapsed(), "inventory built");
        let pairs: Vec<(&Document, &EngineValue)> = docs
            .iter()
            .zip(&inputs)
            .filter(|(d, _)| selected(d))
            .collect();
        let all: Vec<&Document> = docs.iter().collect();
        let outcome = self.evaluate_pairs(&pairs, &all, &data, progress);
        drop((pairs, all));
        if docs.len() >= 512 {
            dispose((docs, inputs, data));
        }
        outcome
    }

    /// Evaluates `pairs` (documents with their engine values) with `data` bound; `all` is
    /// every document of the scan (conftest's combined input, Gatekeeper's namespace
    /// labels). Must run inside the scanner's pool.
    fn evaluate_pairs(
        &self,
        pairs: &[(&Document, &EngineValue)],
        all: &[&Document],
        data: &EngineValue,
        progress: &dyn Progress,
    ) -> Result<ScanOutcome, Diagnostic> {
        let threads = rayon::current_num_threads().max(1);
        let chunk = pairs.len().div_ceil(threads * 8).max(1);
        progress.start(pairs.len() as u64);
        let bound = self.policies.bind(data)?;
        let selection = &self.options.selection;
        type ChunkResult =
            Result<(Vec<Finding>, Vec<Diagnostic>, Vec<crate::waiver::InlineUse>), Diagnostic>;
        let one_chunk = |chunk: &[(&Document, &EngineValue)]| -> ChunkResult {
            let mut worker = bound.worker()?;
            let mut found = Evaluated::default();
            for (doc, input) in chunk {
                self.evaluate_one(&mut worker, doc, input, &mut found);
            }
            progress.advance(chunk.len() as u64);
            Ok((found.findings, found.errors, found.inline))
        };
        // One chunk (a webhook review, a single file) runs on the calling thread: no hop
        // into the pool and back for one document.
        let results: Vec<ChunkResult> = if pairs.len() <= chunk {
            vec![one_chunk(pairs)]
        } else {
            pairs.par_chunks(chunk).map(one_chunk).collect()
        };
        progress.finish();

        let mut outcome = ScanOutcome {
            documents: pairs.len(),
            rules: self.rules.clone(),
            resources: if self.options.resources {
                pairs
                    .iter()
                    .map(|(d, _)| ScannedResource {
                        file: d.file.path.clone(),
                        document_index: d.index,
                        resource: (&d.resource).into(),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            ..ScanOutcome::default()
        };
        for r in results {
            let (f, e, i) = r?;
            outcome.findings.extend(f);
            outcome.errors.extend(e);
            outcome.inline_ignores.extend(i);
        }
        if let Some(custom) = &self.custom {
            let (found, errors) = custom.evaluate(pairs, all, data);
            let kept: HashMap<&str, ()> = self.rules[self.builtin.len()..]
                .iter()
                .map(|r| (r.id.as_str(), ()))
                .collect();
            let by_doc: HashMap<(&str, usize), &Document> = pairs
                .iter()
                .map(|(d, _)| ((d.file.path.as_str(), d.index), *d))
                .collect();
            let mut per_doc: BTreeMap<(String, usize), Vec<Finding>> = BTreeMap::new();
            for f in found
                .into_iter()
                .filter(|f| kept.contains_key(f.rule_id.as_str()))
            {
                per_doc
                    .entry((f.file.clone(), f.document_index))
                    .or_default()
                    .push(f);
            }
            for ((file, index), found) in per_doc {
                match by_doc.get(&(file.as_str(), index)) {
                    Some(doc) => outcome.findings.extend(resolve::per_document(
                        selection,
                        doc,
                        found,
                        &mut outcome.inline_ignores,
                    )),
                    None => outcome
                        .findings
                        .extend(resolve::without_document(selection, found)),
                }
            }
            outcome.errors.extend(errors);
        }
        for (d, _) in pairs {
            outcome
                .sources
                .entry(d.file.path.clone())
                .or_insert_with(|| d.file.clone());
        }
        Ok(outcome)
    }
}

impl Scanner {
    /// Evaluates one document with a worker: its findings resolved against their rules and
    /// the document (positions, inline ignores, overrides), and its policy errors.
    fn evaluate_one(
        &self,
        worker: &mut crate::engine::Worker<'_>,
        doc: &Document,
        input: &EngineValue,
        out: &mut Evaluated,
    ) {
        let (raw, errs) =
            worker.evaluate_object(Some(&doc.resource.api_version), &doc.resource.kind, input);
        let found = raw
            .iter()
            .filter_map(|r| {
                let rule = &self.rules[*self.builtin.get(r.id.as_str())?];
                rule.applies_to_object(&doc.resource.api_version, &doc.resource.kind)
                    .then(|| Finding::new(r, rule, doc))
            })
            .collect();
        out.findings.extend(resolve::per_document(
            &self.options.selection,
            doc,
            found,
            &mut out.inline,
        ));
        out.errors.extend(errs.into_iter().map(|e| {
            Diagnostic::new(
                if e.timed_out {
                    Code::PolicyTimeout
                } else {
                    Code::PolicyEval
                },
                format!(
                    "policy {} failed on {}: {}",
                    e.package.trim_start_matches("data."),
                    doc.resource,
                    e.message
                ),
            )
            .file(doc.file.path.clone())
            .line(Some(doc.tree.span.start.line))
        }));
    }
}

/// What evaluating some documents produced.
#[derive(Default)]
struct Evaluated {
    findings: Vec<Finding>,
    errors: Vec<Diagnostic>,
    inline: Vec<crate::waiver::InlineUse>,
}

/// The inputs of a file scan, found and (unless the scan will be streamed) loaded, before
/// any policy is needed: a command calls [`prepare`] while its [`Scanner`] compiles, then
/// [`Scanner::scan_prepared`].
pub struct Prepared {
    found: source::Discovered,
    /// The documents, unless the inputs are large enough to be streamed (see stream.rs).
    loaded: Option<PreparedLoad>,
    t: std::time::Instant,
}

struct PreparedLoad {
    loaded: source::Loaded,
    /// Above `stream_above`: loaded only because the options have user policies.
    streamed: bool,
}

impl Prepared {
    /// Discovers and, where the scan keeps its documents in memory, loads `paths`, in the
    /// current rayon pool.
    fn read(paths: &[String], opts: &ScanOptions, cwd: &Path) -> Prepared {
        let t = std::time::Instant::now();
        let found = source::discover(paths, &opts.load, cwd);
        tracing::debug!(files = found.inputs.len(), elapsed = ?t.elapsed(), rss_mib = ?crate::diag::current_rss_mib(), "discovered");
        let size: u64 = found
            .inputs
            .iter()
            .map(|i| match i {
                source::Input::File { path, .. } => std::fs::metadata(path).map_or(0, |m| m.len()),
                source::Input::Stdin => 0,
            })
            .sum();
        let streamed = size > opts.stream_above;
        // User policies (they may read any object of the inventory and the combined
        // input) keep every document in memory, whatever the size.
        let loaded = (!streamed || opts.custom.is_some()).then(|| {
            let loaded = source::load_all(&found.inputs, &opts.load);
            tracing::debug!(documents = loaded.documents.len(), elapsed = ?t.elapsed(), "loaded");
            PreparedLoad { loaded, streamed }
        });
        Prepared { found, loaded, t }
    }
}

/// [`Prepared`] inputs of a scan with `opts`, read on a pool of `opts.jobs` workers of its
/// own (so it can run while a [`Scanner`] with the same options compiles).
pub fn prepare(paths: &[String], opts: &ScanOptions, cwd: &Path) -> Result<Prepared, Diagnostic> {
    Ok(thread_pool(opts.jobs)?.install(|| Prepared::read(paths, opts, cwd)))
}

/// Scans paths once: a scanner built for one call (tests and one-shot callers).
pub fn scan(paths: &[String], opts: &ScanOptions, cwd: &Path) -> Result<ScanOutcome, Diagnostic> {
    Scanner::new(opts)?.scan_paths(paths, cwd, &NoProgress)
}

/// Drops `value` on a thread of its own: freeing the trees and engine values of thousands of
/// documents takes a few tens of milliseconds that the report need not wait for (callers
/// keep small values, such as a webhook review's, to drop where they are).
fn dispose<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("confgate-free".to_string())
        .spawn(move || drop(value));
}

/// A rayon pool of `jobs` threads (0 = one per core) with room for deep documents.
pub(crate) fn thread_pool(jobs: usize) -> Result<rayon::ThreadPool, Diagnostic> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(8 * 1024 * 1024)
        .build()
        .map_err(|e| Diagnostic::new(Code::System, format!("cannot start worker threads: {e}")))
}

/// The engine inputs of `docs` (in parallel) and the `data` they form as an inventory, with
/// the settings of `bindings`.
fn engine_inputs(docs: &[Document], bindings: &Bindings) -> (Vec<EngineValue>, EngineValue) {
    let inputs: Vec<EngineValue> = docs
        .par_iter()
        .map(|d| EngineValue::from_node(&d.tree))
        .collect();
    let data = inventory_data(
        docs.iter()
            .zip(&inputs)
            .map(|(d, i)| (crate::k8s::cluster_scoped(&d.resource.kind), &d.resource, i)),
        crate::k8s::settings_data(bindings.kube_version),
    );
    (inputs, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::KubeVersion;

    fn docs(text: &str) -> Vec<Document> {
        let file = Arc::new(SourceFile {
            path: "t.yaml".to_string(),
            text: text.to_string(),
            live: false,
        });
        let (raws, errors) = crate::source::yaml::parse_all(text);
        assert!(errors.is_empty(), "{errors:?}");
        raws.into_iter()
            .enumerate()
            .filter_map(|(i, r)| Document::from_tree(file.clone(), i, None, r.root, None))
            .collect()
    }

    fn scanner(rule: &str) -> Scanner {
        let opts = ScanOptions {
            selection: Selection {
                select: vec![rule.to_string()],
                ..Selection::default()
            },
            jobs: 1,
            ..ScanOptions::default()
        };
        match Scanner::new(&opts) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    fn ids(outcome: Result<ScanOutcome, Diagnostic>) -> Vec<String> {
        match outcome {
            Ok(o) => o.findings.into_iter().map(|f| f.rule_id).collect(),
            Err(e) => panic!("{e}"),
        }
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n";
    const HPA: &str = "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 4\n";

    #[test]
    fn one_scanner_binds_a_new_inventory_on_every_call() {
        let s = scanner("CG5011");
        assert_eq!(ids(s.scan_documents(docs(DEPLOYMENT))), ["CG5011"]);
        // The HPA in this call's inventory scales the Deployment: no finding.
        let with_hpa = format!("{DEPLOYMENT}{HPA}");
        assert!(ids(s.scan_documents(docs(&with_hpa))).is_empty());
        // Nothing of the previous call's inventory is left behind.
        assert_eq!(ids(s.scan_documents(docs(DEPLOYMENT))), ["CG5011"]);
    }

    #[test]
    fn bindings_choose_the_kubernetes_release_per_call() {
        let s = scanner("CG7001");
        let pdb = "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: web}\n";
        let at = |minor| Bindings {
            kube_version: KubeVersion { major: 1, minor },
            today: crate::waiver::today(),
        };
        assert_eq!(ids(s.scan_documents_with(docs(pdb), &at(37))), ["CG7001"]);
        assert!(ids(s.scan_documents_with(docs(pdb), &at(21))).is_empty());
    }
}
