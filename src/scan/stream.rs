//! The streamed file scan: memory bounded by what must be kept.
//!
//! A scan of a large repository used to hold every document three times at once (its
//! marked tree with positions, its engine value, the whole source text) until the report
//! was written. With only built-in rules, a file scan now makes two passes over its inputs:
//!
//! 1. every file is read and parsed (in parallel); of its documents only the engine values of
//!    the kinds built-in rules look up across documents ([`crate::k8s::scan_inventory_kind`])
//!    are kept, without the pod specs of workloads (no cross-resource rule reads them), to
//!    form `data.inventory`;
//! 2. the files (of the shard) are read and parsed again, a bounded number at a time (one
//!    per worker), each document is evaluated against that inventory and its findings are
//!    resolved (positions, inline ignores) while its tree is at hand; then the documents are
//!    dropped, and the source text only kept when [`SourceRetention`] asks for it.
//!
//! What stays is the inventory (the objects of those kinds, shared with nothing else) and
//! the findings. Parsing twice costs a few percent of a scan (parsing is ~10% of it).
//! Standard input is read once and its text kept for the second pass.

use rayon::prelude::*;

use super::{
    Bindings, Evaluated, Progress, ScanOutcome, ScannedResource, Scanner, SourceRetention,
};
use crate::diag::Diagnostic;
use crate::document::{ResourceId, SourceFile};
use crate::engine::EngineValue;
use crate::source::{self, Input, Loaded};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex};

/// What the first pass keeps of one input.
#[derive(Default)]
struct Scouted {
    /// The inventory objects of the input, in order.
    inventory: Vec<(ResourceId, EngineValue)>,
    /// Its documents (for progress and the per-scan counts).
    documents: usize,
    errors: Vec<Diagnostic>,
    /// The text of an input that cannot be read again (standard input, a live object),
    /// kept for the second pass.
    text: Option<(String, String)>,
}

/// One item of a streamed scan: how its documents are read the second time.
type Reload<'a> = dyn Fn(usize, &Scouted) -> Result<Loaded, Diagnostic> + Sync + 'a;

impl Scanner {
    /// Scans `inputs` in two passes (module docs); evaluates and reports only the inputs
    /// `owns` picks, with all of them in the inventory. Returns the outcome (resolved) and
    /// the load errors of the first pass. Must run inside the scanner's pool.
    pub(super) fn scan_streamed(
        &self,
        inputs: &[Input],
        owns: &(dyn Fn(&str) -> bool + Sync),
        progress: &dyn Progress,
    ) -> Result<(ScanOutcome, Vec<Diagnostic>), Diagnostic> {
        let opts = &self.options;
        let t = std::time::Instant::now();
        let kept = Kept::default();
        let scouted: Vec<Scouted> = inputs
            .par_iter()
            .enumerate()
            .with_max_len(1)
            .map(|(i, input)| kept.take(i, scout(input, &opts.load)))
            .collect();
        let bindings = self.bindings();
        let data = kept.into_data(&bindings);
        tracing::debug!(
            elapsed = ?t.elapsed(),
            rss_mib = ?crate::diag::current_rss_mib(),
            "first pass: inventory built"
        );
        let owned: Vec<usize> = (0..inputs.len())
            .filter(|i| owns(&display_name(&inputs[*i], &opts.load)))
            .collect();
        let reload = |i: usize, s: &Scouted| reload(&inputs[i], s, &opts.load);
        let mut outcome = self.evaluate_scouted(&scouted, &owned, &reload, &data, progress)?;
        tracing::debug!(
            elapsed = ?t.elapsed(),
            rss_mib = ?crate::diag::current_rss_mib(),
            "second pass: documents evaluated"
        );
        super::resolve::per_scan(&mut outcome, opts, bindings.today);
        let errors = scouted.into_iter().flat_map(|s| s.errors).collect();
        Ok((outcome, errors))
    }

    /// Scans live objects rendered as YAML (`(origin, text)`), each set its own inventory
    /// (one per cluster: cross-resource rules never mix clusters), and resolves the findings
    /// of all of them once (waivers, baseline) as one scan. Large sets without user policies
    /// are scanned in the two passes of a streamed file scan, the texts standing in for the
    /// files (a live object cannot be read again); the others parse once and stay in memory.
    /// The load errors are in the outcome's `errors`.
    pub fn scan_texts(
        &self,
        sets: Vec<Vec<(String, String)>>,
        bindings: &Bindings,
        progress: &dyn Progress,
    ) -> Result<ScanOutcome, Diagnostic> {
        let opts = &self.options;
        let size: usize = sets.iter().flatten().map(|(_, t)| t.len()).sum();
        let streamed = self.custom.is_none() && size as u64 > opts.stream_above;
        self.pool.install(|| {
            let mut all = ScanOutcome {
                rules: self.rules.clone(),
                ..ScanOutcome::default()
            };
            for texts in sets {
                let (o, errors) = if streamed {
                    let kept = Kept::default();
                    let scouted: Vec<Scouted> = texts
                        .into_par_iter()
                        .enumerate()
                        .map(|(i, (name, text))| {
                            kept.take(i, scout_text(name, text, &opts.load, true, true))
                        })
                        .collect();
                    let data = kept.into_data(bindings);
                    tracing::debug!(
                        texts = scouted.len(),
                        rss_mib = ?crate::diag::current_rss_mib(),
                        "first pass over the texts: inventory built"
                    );
                    let every: Vec<usize> = (0..scouted.len()).collect();
                    let reload = |_: usize, s: &Scouted| match &s.text {
                        Some((name, text)) => Ok(source::reload_text(
                            name.clone(),
                            text.clone(),
                            &opts.load,
                            true,
                        )),
                        None => Ok(Loaded::default()),
                    };
                    let o = self.evaluate_scouted(&scouted, &every, &reload, &data, progress)?;
                    (o, scouted.into_iter().flat_map(|s| s.errors).collect())
                } else {
                    let loaded: Vec<Loaded> = texts
                        .into_par_iter()
                        .map(|(name, text)| source::load_text(name, text, &opts.load, true))
                        .collect();
                    let mut docs = Vec::new();
                    let mut errors = Vec::new();
                    for l in loaded {
                        docs.extend(l.documents);
                        errors.extend(l.errors);
                    }
                    (
                        self.evaluate_unresolved(docs, bindings, &|_| true, progress)?,
                        errors,
                    )
                };
                tracing::debug!(
                    findings = o.findings.len(),
                    rss_mib = ?crate::diag::current_rss_mib(),
                    "texts evaluated"
                );
                all.documents += o.documents;
                all.findings.extend(o.findings);
                all.errors.extend(o.errors);
                all.errors.extend(errors);
                all.resources.extend(o.resources);
                all.sources.extend(o.sources);
                all.inline_ignores.extend(o.inline_ignores);
            }
            super::resolve::per_scan(&mut all, opts, bindings.today);
            retain_sources(&mut all, opts.sources);
            all.errors.sort();
            Ok(all)
        })
    }

    /// The second pass over the items `picked` of `scouted`: each read again by `reload`,
    /// evaluated against `data`, its findings resolved against its documents, and dropped.
    /// The outcome is not resolved per scan yet. Must run inside the scanner's pool.
    fn evaluate_scouted(
        &self,
        scouted: &[Scouted],
        picked: &[usize],
        reload: &Reload<'_>,
        data: &EngineValue,
        progress: &dyn Progress,
    ) -> Result<ScanOutcome, Diagnostic> {
        let opts = &self.options;
        let total: usize = picked.iter().map(|i| scouted[*i].documents).sum();
        progress.start(total as u64);
        let bound = self.policies.bind(data)?;
        let threads = rayon::current_num_threads().max(1);
        let chunk = picked.len().div_ceil(threads * 8).max(1);
        type Chunk = Result<(Evaluated, Vec<ScannedResource>, Vec<Arc<SourceFile>>), Diagnostic>;
        let one_chunk = |chunk: &[usize]| -> Chunk {
            let mut worker = bound.worker()?;
            let mut found = Evaluated::default();
            let mut resources = Vec::new();
            let mut sources = Vec::new();
            for i in chunk {
                let loaded = match reload(*i, &scouted[*i]) {
                    Ok(l) => l,
                    Err(e) => {
                        found.errors.push(e);
                        continue;
                    }
                };
                let before = found.findings.len();
                let file = loaded.documents.first().map(|d| d.file.clone());
                for doc in &loaded.documents {
                    let value = EngineValue::from_node(&doc.tree);
                    self.evaluate_one(&mut worker, doc, &value, &mut found);
                    if opts.resources {
                        resources.push(ScannedResource {
                            file: doc.file.path.clone(),
                            document_index: doc.index,
                            resource: (&doc.resource).into(),
                        });
                    }
                }
                progress.advance(loaded.documents.len() as u64);
                drop(loaded);
                if let Some(file) = file {
                    let has = found.findings.len() > before;
                    match opts.sources {
                        SourceRetention::All => sources.push(file),
                        SourceRetention::WithFindings if has => sources.push(file),
                        SourceRetention::None if has => sources.push(stripped(&file)),
                        SourceRetention::WithFindings | SourceRetention::None => {}
                    }
                }
            }
            Ok((found, resources, sources))
        };
        let results: Vec<Chunk> = if picked.len() <= chunk {
            vec![one_chunk(picked)]
        } else {
            picked.par_chunks(chunk).map(one_chunk).collect()
        };
        progress.finish();
        drop(bound);

        let mut outcome = ScanOutcome {
            documents: total,
            rules: self.rules.clone(),
            ..ScanOutcome::default()
        };
        let results: Vec<(Evaluated, Vec<ScannedResource>, Vec<Arc<SourceFile>>)> =
            results.into_iter().collect::<Result<_, _>>()?;
        outcome
            .findings
            .reserve_exact(results.iter().map(|r| r.0.findings.len()).sum());
        outcome
            .resources
            .reserve_exact(results.iter().map(|r| r.1.len()).sum());
        for (found, resources, sources) in results {
            outcome.findings.extend(found.findings);
            outcome.errors.extend(found.errors);
            outcome.inline_ignores.extend(found.inline);
            outcome.resources.extend(resources);
            for s in sources {
                outcome.sources.entry(s.path.clone()).or_insert(s);
            }
        }
        Ok(outcome)
    }
}

/// The first pass's inventory objects, one per identity (as `data.inventory` keys them:
/// scope, namespace, apiVersion, kind, name). Of two objects with one identity the later in
/// input order wins, as in an in-memory scan; the other is freed as soon as both are seen, so
/// copies of a directory and overlays take the memory of one set of objects, whatever the
/// order in which the workers finish.
#[derive(Default)]
struct Kept(Mutex<HashMap<InventoryKey, KeptObject>>);

type InventoryKey = (bool, String, String, String, String);

/// An inventory object with its place in the input (input index, document position).
type KeptObject = ((usize, usize), ResourceId, EngineValue);

impl Kept {
    /// Moves the inventory objects of input `index` out of `scouted` into the set.
    fn take(&self, index: usize, mut scouted: Scouted) -> Scouted {
        let objects = std::mem::take(&mut scouted.inventory);
        if objects.is_empty() {
            return scouted;
        }
        let mut replaced = Vec::new();
        {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            for (pos, (id, value)) in objects.into_iter().enumerate() {
                let scoped = crate::k8s::cluster_scoped(&id.kind);
                let namespace = match (&id.namespace, scoped) {
                    (_, true) => String::new(),
                    (Some(ns), false) => ns.clone(),
                    (None, false) => "default".to_string(),
                };
                let key = (
                    scoped,
                    namespace,
                    id.api_version.clone(),
                    id.kind.clone(),
                    id.name.clone(),
                );
                let object = ((index, pos), id, value);
                match map.entry(key) {
                    Entry::Vacant(e) => {
                        e.insert(object);
                    }
                    Entry::Occupied(mut e) if e.get().0 < object.0 => {
                        replaced.push(std::mem::replace(e.get_mut(), object));
                    }
                    Entry::Occupied(_) => replaced.push(object),
                }
            }
        }
        // Freed outside the lock.
        drop(replaced);
        scouted
    }

    /// `data` of the kept objects.
    fn into_data(self, bindings: &Bindings) -> EngineValue {
        let map = self.0.into_inner().unwrap_or_else(|e| e.into_inner());
        tracing::debug!(inventory = map.len(), "inventory objects");
        crate::engine::inventory_data(
            map.values()
                .map(|(_, id, value)| (crate::k8s::cluster_scoped(&id.kind), id, value)),
            crate::k8s::settings_data(bindings.kube_version),
        )
    }
}

/// Drops the source texts `retention` does not keep (the in-memory scan keeps them all
/// while it runs).
pub(super) fn retain_sources(outcome: &mut ScanOutcome, retention: SourceRetention) {
    if retention == SourceRetention::All {
        return;
    }
    let with: std::collections::BTreeSet<&str> =
        outcome.findings.iter().map(|f| f.file.as_str()).collect();
    outcome
        .sources
        .retain(|path, _| with.contains(path.as_str()));
    if retention == SourceRetention::None {
        for file in outcome.sources.values_mut() {
            *file = stripped(file);
        }
    }
}

fn stripped(file: &SourceFile) -> Arc<SourceFile> {
    Arc::new(SourceFile {
        path: file.path.clone(),
        text: String::new(),
        live: file.live,
    })
}

/// The name an input's findings and errors carry.
fn display_name(input: &Input, opts: &source::LoadOptions) -> String {
    match input {
        Input::File { display, .. } => display.clone(),
        Input::Stdin => opts.stdin_name.clone(),
    }
}

/// The first pass over one input: its load errors, document count and inventory objects.
fn scout(input: &Input, opts: &source::LoadOptions) -> Scouted {
    let (name, text) = match source::read_text(input, opts) {
        Ok(x) => x,
        Err(e) => {
            return Scouted {
                errors: vec![e],
                ..Scouted::default()
            };
        }
    };
    let keep = matches!(input, Input::Stdin);
    scout_text(name, text, opts, false, keep)
}

/// The first pass over one text; `keep` keeps the text for the second pass.
fn scout_text(
    name: String,
    text: String,
    opts: &source::LoadOptions,
    live: bool,
    keep: bool,
) -> Scouted {
    let kept = keep.then(|| (name.clone(), text.clone()));
    let loaded = source::load_text(name, text, opts, live);
    Scouted {
        inventory: loaded
            .documents
            .iter()
            .filter(|d| crate::k8s::scan_inventory_kind(&d.resource.kind))
            .map(|d| (d.resource.clone(), inventory_value(d)))
            .collect(),
        documents: loaded.documents.len(),
        errors: loaded.errors,
        text: kept,
    }
}

/// The value of a document in the inventory: the document without its pod spec (the
/// containers, volumes and the rest of a workload's template, most of its size), which
/// cross-resource rules never read: they look at a workload's kind, metadata, replicas,
/// selector and pod-template metadata (labels and annotations).
fn inventory_value(d: &crate::document::Document) -> EngineValue {
    match crate::k8s::pod_template_path(&d.resource.api_version, &d.resource.kind) {
        Some(template) => {
            let mut skip: Vec<&str> = template.to_vec();
            skip.push("spec");
            EngineValue::from_node_without(&d.tree, &skip)
        }
        None => EngineValue::from_node(&d.tree),
    }
}

/// The second pass over one input: its documents again. A file that cannot be read any
/// more (removed between the passes) is an error of that file.
fn reload(
    input: &Input,
    scouted: &Scouted,
    opts: &source::LoadOptions,
) -> Result<Loaded, Diagnostic> {
    match (&scouted.text, input) {
        (Some((name, text)), _) => Ok(source::reload_text(name.clone(), text.clone(), opts, false)),
        (None, Input::Stdin) => Ok(Loaded::default()),
        (None, Input::File { .. }) if !scouted.errors.is_empty() && scouted.documents == 0 => {
            Ok(Loaded::default())
        }
        (None, Input::File { .. }) => {
            let (name, text) = source::read_text(input, opts)
                .map_err(|e| e.map_message(|m| format!("{m}; it changed while being scanned")))?;
            Ok(source::reload_text(name, text, opts, false))
        }
    }
}
