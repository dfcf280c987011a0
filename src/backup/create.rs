//! Making a backup: the live state is read page by page (as `scan --cluster` reads it),
//! each object cleaned into a re-appliable manifest, hashed, and streamed into gzip
//! packs that are sealed and uploaded while the reading goes on. An incremental stores
//! only what changed since its parent (by content hash) and references the rest. The
//! manifest is written last: until it exists, the backup is incomplete and never listed
//! as restorable.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;
use tokio::sync::mpsc;

use super::format::{
    self, BackupKind, Entry, FORMAT, GZIP, Manifest, Pack, ScanSummary, Totals, canonical,
    pack_name, sha256_hex,
};
use super::store::Store;
use super::{keys, load};
use crate::cluster::Cluster;
use crate::cluster::read::{LiveObject, ReadOptions};
use crate::diag::{Code, Diagnostic};
use crate::gate::Gate;
use crate::scan::Scanner;
use crate::seal::{self, Key};

/// What to back up.
#[derive(Clone, Debug)]
pub struct CreateOptions {
    /// Namespaces (empty: every namespace and the cluster-scoped objects).
    pub namespaces: Vec<String>,
    pub kinds: Vec<String>,
    pub exclude_kinds: Vec<String>,
    pub description: Option<String>,
    /// `--cross-env`: the backup is meant to be restored into other environments (recorded;
    /// a restore then maps namespaces).
    pub cross_env: bool,
    /// The backup an incremental is based on.
    pub parent: Option<String>,
    /// Object JSON per pack before a new pack is started.
    pub pack_bytes: usize,
    /// Scan what the backup stores (a full backup: every object; an incremental: the new
    /// and changed ones) and record the summary.
    pub scan: bool,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions {
            namespaces: Vec::new(),
            kinds: Vec::new(),
            exclude_kinds: Vec::new(),
            description: None,
            cross_env: false,
            parent: None,
            pack_bytes: 32 * 1024 * 1024,
            scan: true,
        }
    }
}

/// Objects a backup leaves out: made by the cluster itself in every namespace, or
/// confgate's own short-lived records.
pub fn skipped(obj: &Value) -> bool {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let secret_type = obj.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "ConfigMap" => name == "kube-root-ca.crt",
        "Secret" => {
            secret_type == "kubernetes.io/service-account-token"
                || secret_type == crate::revision::lock::LOCK_TYPE
        }
        "Endpoints" | "EndpointSlice" | "Event" | "Lease" => true,
        _ => false,
    }
}

/// A pack being filled.
struct PackWriter {
    key: Key,
    limit: usize,
    index: u32,
    gz: Option<GzEncoder<Vec<u8>>>,
    raw: u64,
    objects: u64,
    tx: Option<mpsc::UnboundedSender<(u32, Vec<u8>, Pack)>>,
    error: Option<Diagnostic>,
}

impl PackWriter {
    /// Appends one object's JSON; returns (pack, offset, length).
    fn add(&mut self, bytes: &[u8]) -> (u32, u64, u64) {
        let gz = self
            .gz
            .get_or_insert_with(|| GzEncoder::new(Vec::new(), Compression::default()));
        let offset = self.raw;
        if let Err(e) = gz.write_all(bytes) {
            self.error.get_or_insert(Diagnostic::new(
                Code::System,
                format!("cannot compress: {e}"),
            ));
        }
        self.raw += bytes.len() as u64;
        self.objects += 1;
        let at = (self.index, offset, bytes.len() as u64);
        if self.raw as usize >= self.limit {
            self.flush();
        }
        at
    }

    /// Seals the current pack and hands it to the uploader.
    fn flush(&mut self) {
        let Some(gz) = self.gz.take() else {
            return;
        };
        let compressed = match gz.finish() {
            Ok(c) => c,
            Err(e) => {
                self.error.get_or_insert(Diagnostic::new(
                    Code::System,
                    format!("cannot compress: {e}"),
                ));
                return;
            }
        };
        let sealed = match seal::seal(&self.key, &compressed) {
            Ok(s) => s,
            Err(e) => {
                self.error.get_or_insert(e.diagnostic("a pack"));
                return;
            }
        };
        let pack = Pack {
            name: pack_name(self.index),
            sha256: sha256_hex(&sealed),
            stored_bytes: sealed.len() as u64,
            raw_bytes: self.raw,
            compressed_bytes: compressed.len() as u64,
            objects: self.objects,
        };
        if let Some(tx) = &self.tx {
            let _ = tx.send((self.index, sealed, pack));
        }
        self.index += 1;
        self.raw = 0;
        self.objects = 0;
    }
}

/// How a backup went.
#[derive(Debug)]
pub struct Created {
    pub manifest: Manifest,
}

/// Makes a backup of what `opts` selects into `store`, sealed for `master`.
pub async fn create(
    cluster: &Cluster,
    store: &Store,
    master: &Key,
    scanner: Option<(&Arc<Scanner>, Gate)>,
    opts: &CreateOptions,
) -> Result<Created, Diagnostic> {
    let started = Instant::now();
    let now = jiff::Timestamp::now();
    // The parent and what it holds, before anything is written.
    let parent = match &opts.parent {
        Some(p) => Some(load::chain_head(store, master, p).await?),
        None => None,
    };
    let existing: Vec<String> = store.list().await?.into_iter().map(|l| l.id).collect();
    let id = format::new_id(now, &|c| existing.iter().any(|e| e == c));
    let data_key = Key::generate().map_err(|e| e.diagnostic("the data key"))?;
    let version = cluster.version().await.ok();

    let base: HashMap<(String, String, Option<String>, String), Entry> = parent
        .as_ref()
        .map(|(m, _)| {
            m.objects
                .iter()
                .map(|e| (e.identity(), e.clone()))
                .collect()
        })
        .unwrap_or_default();

    let (tx, mut rx) = mpsc::unbounded_channel::<(u32, Vec<u8>, Pack)>();
    let mut writer = PackWriter {
        key: data_key.clone(),
        limit: opts.pack_bytes.max(1),
        index: 0,
        gz: None,
        raw: 0,
        objects: 0,
        tx: Some(tx),
        error: None,
    };
    let ropts = ReadOptions {
        namespaces: opts.namespaces.clone(),
        kinds: opts.kinds.clone(),
        exclude_kinds: opts.exclude_kinds.clone(),
        ..ReadOptions::default()
    };
    let keep_for_scan = scanner.is_some() && opts.scan;
    let id_for_read = id.clone();
    let read = async move {
        let mut entries: Vec<Entry> = Vec::new();
        let mut kept: Vec<LiveObject> = Vec::new();
        let mut totals = Totals::default();
        let mut sink = |objects: Vec<LiveObject>| {
            for mut o in objects {
                if skipped(&o.object) {
                    continue;
                }
                o.object = crate::deploy::state::manifest_of(o.object);
                let bytes = canonical(&o.object);
                let hash = sha256_hex(&bytes);
                let s = |p: &str| {
                    o.object
                        .pointer(p)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                let api_version = s("/apiVersion");
                let kind = s("/kind");
                let namespace = o.namespace().map(str::to_string);
                let name = s("/metadata/name");
                let secret = kind == "Secret" && format::group_of(&api_version).is_empty();
                totals.objects += 1;
                totals.raw_bytes += bytes.len() as u64;
                if secret {
                    totals.secrets += 1;
                }
                let identity = (
                    format::group_of(&api_version).to_string(),
                    kind.clone(),
                    namespace.clone(),
                    name.clone(),
                );
                let mut stored_here = false;
                let entry = match base.get(&identity).filter(|e| e.sha256 == hash) {
                    Some(e) => {
                        totals.unchanged += 1;
                        Entry {
                            api_version,
                            ..e.clone()
                        }
                    }
                    None => {
                        stored_here = true;
                        totals.changed += 1;
                        totals.stored_raw_bytes += bytes.len() as u64;
                        let (pack, offset, length) = writer.add(&bytes);
                        Entry {
                            api_version,
                            kind,
                            namespace,
                            name,
                            sha256: hash,
                            size: bytes.len() as u64,
                            secret,
                            stored_in: id_for_read.clone(),
                            pack,
                            offset,
                            length,
                        }
                    }
                };
                entries.push(entry);
                // An unchanged object was scanned with the backup that stores it.
                if keep_for_scan && !secret && stored_here {
                    kept.push(o);
                }
            }
        };
        let outcome = crate::cluster::read::read(cluster, &ropts, &mut sink).await;
        writer.flush();
        writer.tx = None;
        (outcome, entries, kept, totals, writer.error.take())
    };
    let upload = async {
        let mut packs: Vec<Pack> = Vec::new();
        let mut failed: Option<Diagnostic> = None;
        while let Some((n, bytes, pack)) = rx.recv().await {
            if failed.is_some() {
                continue;
            }
            match store.put(&format!("{id}/{}", pack_name(n)), bytes).await {
                Ok(()) => packs.push(pack),
                Err(e) => failed = Some(e),
            }
        }
        (packs, failed)
    };
    let ((outcome, mut entries, kept, mut totals, pack_error), (mut packs, upload_error)) =
        tokio::join!(read, upload);
    let outcome = outcome?;
    if let Some(e) = pack_error.or(upload_error) {
        return Err(e);
    }
    // A backup that misses types would restore less than was there: it is not written
    // as complete.
    if let Some(first) = outcome.errors.first() {
        return Err(Diagnostic::new(
            first.code,
            format!(
                "backup {id} is incomplete and was not finished: {} list(s) failed, first: {}",
                outcome.errors.len(),
                first.message
            ),
        ));
    }
    packs.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some((pm, _)) = &parent {
        let now_ids: std::collections::HashSet<_> = entries.iter().map(Entry::identity).collect();
        totals.removed = pm
            .objects
            .iter()
            .filter(|e| !now_ids.contains(&e.identity()))
            .count() as u64;
    }
    totals.compressed_bytes = packs.iter().map(|p| p.compressed_bytes).sum();
    totals.stored_bytes = packs.iter().map(|p| p.stored_bytes).sum();
    entries.sort_by(|a, b| {
        (
            crate::deploy::plan::tier(&a.api_version, &a.kind),
            a.identity(),
        )
            .cmp(&(
                crate::deploy::plan::tier(&b.api_version, &b.kind),
                b.identity(),
            ))
    });

    let scan = match scanner.filter(|_| opts.scan) {
        Some((scanner, gate)) => {
            let mut s = summarise(scanner, gate, kept).await?;
            s.scope = if parent.is_some() {
                "changed".into()
            } else {
                "all".into()
            };
            s
        }
        None => ScanSummary {
            scope: "none".into(),
            ..ScanSummary::default()
        },
    };
    let mut manifest = Manifest {
        format: FORMAT.into(),
        id: id.clone(),
        kind: if parent.is_some() {
            BackupKind::Incremental
        } else {
            BackupKind::Full
        },
        parent: parent.as_ref().map(|(m, _)| m.id.clone()),
        created: now.to_string(),
        duration_seconds: 0.0,
        description: opts.description.clone(),
        context: cluster.context().to_string(),
        server: cluster.server().to_string(),
        server_version: version.map(|v| v.git_version),
        namespaces: opts.namespaces.clone(),
        cross_env: opts.cross_env,
        key: keys::wrap(master, &data_key)?,
        compression: GZIP.into(),
        packs,
        objects: entries,
        totals,
        scan,
        mac: String::new(),
    };
    manifest.duration_seconds = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    let bytes = manifest.seal_bytes(&data_key)?;
    store
        .put(&format!("{id}/{}", format::MANIFEST), bytes)
        .await?;
    Ok(Created { manifest })
}

/// The scan summary of the backed-up objects (Secrets are not scanned here: their
/// values stay inside the packs).
async fn summarise(
    scanner: &Arc<Scanner>,
    gate: Gate,
    kept: Vec<LiveObject>,
) -> Result<ScanSummary, Diagnostic> {
    let s = scanner.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let (docs, _) = crate::cluster::live::to_documents(kept, &s.options().load);
        s.scan_documents(docs)
    })
    .await
    .map_err(|e| Diagnostic::new(Code::System, format!("the scan stopped: {e}")))??;
    let mut findings = std::collections::BTreeMap::new();
    for f in outcome.findings.iter().filter(|f| Gate::counts(f)) {
        *findings
            .entry(f.severity.as_str().to_string())
            .or_insert(0u64) += 1;
    }
    Ok(ScanSummary {
        findings,
        blocking: gate.blocking(&outcome.findings).count() as u64,
        fail_on: gate.fail_on.as_str().to_string(),
        scope: String::new(),
    })
}
