//! Reading a backup back: its manifest checked with the master key, the chain of an
//! incremental resolved, and every object decrypted and verified (pack SHA-256, GCM tag,
//! object SHA-256) before anything is used. A corrupted, truncated or incomplete backup is
//! one error naming what is wrong; nothing partial is returned.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;

use futures::StreamExt;
use serde_json::Value;

use super::format::{Entry, Manifest, pack_name, sha256_hex};
use super::keys;
use super::store::Store;
use crate::diag::{Code, Diagnostic};
use crate::seal::{self, Key};

/// The id `given` names in `store`: itself, `latest` (the newest complete backup), or
/// the one complete backup it is a prefix of (`backup-20250717` for
/// `backup-20250717-120000`).
pub async fn resolve_id(store: &Store, given: &str) -> Result<String, Diagnostic> {
    let listed = store.list().await?;
    if listed.iter().any(|l| l.id == given) {
        return Ok(given.to_string());
    }
    let complete: Vec<&str> = listed
        .iter()
        .filter(|l| l.complete)
        .map(|l| l.id.as_str())
        .collect();
    if given == "latest" {
        return complete.last().map(|s| s.to_string()).ok_or_else(|| {
            Diagnostic::new(
                Code::Backup,
                format!("no complete backup in {}", store.shown),
            )
        });
    }
    let matching: Vec<&&str> = complete.iter().filter(|id| id.starts_with(given)).collect();
    match matching.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(Diagnostic::new(
            Code::Backup,
            format!(
                "no backup {given} in {} (`confgate backup list` shows them)",
                store.shown
            ),
        )),
        many => Err(Diagnostic::new(
            Code::Settings,
            format!(
                "{given} names {} backups ({}): give the whole id",
                many.len(),
                many.iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The manifest of `id`, its MAC checked, and its data key.
pub async fn checked_manifest(
    store: &Store,
    master: &Key,
    id: &str,
) -> Result<(Manifest, Key), Diagnostic> {
    let Some(m) = store.manifest(id).await? else {
        let files = store.files(id).await.unwrap_or_default();
        return Err(Diagnostic::new(
            Code::Backup,
            if files.is_empty() {
                format!("no backup {id} in {}", store.shown)
            } else {
                format!(
                    "backup {id} in {} is incomplete (it has no manifest: interrupted while it was written); `confgate backup prune` removes it",
                    store.shown
                )
            },
        ));
    };
    if m.id != id {
        return Err(Diagnostic::new(
            Code::Backup,
            format!(
                "backup {id}: its manifest names backup {} (moved or copied by hand?)",
                m.id
            ),
        ));
    }
    let key = keys::unwrap(master, &m.key, id)?;
    m.check_mac(&key)?;
    Ok((m, key))
}

/// The manifest an incremental is made on (the parent's own chain must be intact too).
pub async fn chain_head(
    store: &Store,
    master: &Key,
    id: &str,
) -> Result<(Manifest, Key), Diagnostic> {
    let id = resolve_id(store, id).await?;
    let (m, key) = checked_manifest(store, master, &id).await?;
    for stored_in in stored_in_others(&m) {
        checked_manifest(store, master, &stored_in)
            .await
            .map_err(|e| missing_parent(&m, &stored_in, e))?;
    }
    Ok((m, key))
}

fn stored_in_others(m: &Manifest) -> BTreeSet<String> {
    m.objects
        .iter()
        .filter(|e| e.stored_in != m.id)
        .map(|e| e.stored_in.clone())
        .collect()
}

fn missing_parent(m: &Manifest, other: &str, e: Diagnostic) -> Diagnostic {
    Diagnostic::new(
        Code::Backup,
        format!(
            "backup {} is an incremental that needs {other}: {}",
            m.id, e.message
        ),
    )
}

/// A pack: the backup holding it and its index.
type PackKey = (String, u32);

/// A backup read back in full.
#[derive(Debug)]
pub struct Loaded {
    pub manifest: Manifest,
    /// Backups whose packs were read (the backup itself and the ancestors it references).
    pub read_from: Vec<String>,
    /// Every object, in the manifest's (apply) order.
    pub objects: Vec<(Entry, Value)>,
    pub packs: usize,
    pub stored_bytes: u64,
}

/// Reads, decrypts and verifies every object of backup `id`.
pub async fn load_all(store: &Store, master: &Key, id: &str) -> Result<Loaded, Diagnostic> {
    let (head, head_key) = checked_manifest(store, master, id).await?;
    let mut manifests: BTreeMap<String, (Manifest, Key)> = BTreeMap::new();
    for other in stored_in_others(&head) {
        let got = checked_manifest(store, master, &other)
            .await
            .map_err(|e| missing_parent(&head, &other, e))?;
        manifests.insert(other, got);
    }
    manifests.insert(head.id.clone(), (head.clone(), head_key));
    // Which packs of which backup are needed.
    let mut needed: BTreeSet<(String, u32)> = BTreeSet::new();
    for e in &head.objects {
        needed.insert((e.stored_in.clone(), e.pack));
    }
    let jobs: Vec<(String, u32)> = needed.into_iter().collect();
    let results: Vec<Result<(PackKey, Vec<u8>), Diagnostic>> =
        futures::stream::iter(jobs.into_iter().map(|(b, n)| {
            let manifests = &manifests;
            async move {
                let (m, key) = manifests.get(&b).ok_or_else(|| {
                    Diagnostic::new(Code::Backup, format!("backup {b} is not loaded"))
                })?;
                let plain = read_pack(store, m, key, n).await?;
                Ok(((b, n), plain))
            }
        }))
        .buffer_unordered(4)
        .collect()
        .await;
    let mut packs: BTreeMap<(String, u32), Vec<u8>> = BTreeMap::new();
    let mut stored_bytes = 0;
    for r in results {
        let (k, v) = r?;
        if let Some((m, _)) = manifests.get(&k.0)
            && let Some(p) = m.packs.get(k.1 as usize)
        {
            stored_bytes += p.stored_bytes;
        }
        packs.insert(k, v);
    }
    let mut objects = Vec::with_capacity(head.objects.len());
    for e in &head.objects {
        let plain = packs
            .get(&(e.stored_in.clone(), e.pack))
            .ok_or_else(|| Diagnostic::new(Code::Backup, "a pack was not read"))?;
        let start = usize::try_from(e.offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(usize::try_from(e.length).unwrap_or(usize::MAX));
        let bytes = plain.get(start..end).ok_or_else(|| {
            Diagnostic::new(
                Code::Backup,
                format!(
                    "backup {}: {} lies outside {} of {} (truncated?)",
                    head.id,
                    e.shown(),
                    pack_name(e.pack),
                    e.stored_in
                ),
            )
        })?;
        if sha256_hex(bytes) != e.sha256 {
            return Err(Diagnostic::new(
                Code::Backup,
                format!(
                    "backup {}: {} does not match its SHA-256 (corrupted)",
                    head.id,
                    e.shown()
                ),
            ));
        }
        let value: Value = serde_json::from_slice(bytes).map_err(|err| {
            Diagnostic::new(
                Code::Backup,
                format!("backup {}: {} is not JSON: {err}", head.id, e.shown()),
            )
        })?;
        objects.push((e.clone(), value));
    }
    Ok(Loaded {
        read_from: manifests.keys().cloned().collect(),
        packs: packs.len(),
        stored_bytes,
        manifest: head,
        objects,
    })
}

/// Pack `n` of backup `m`: fetched, its SHA-256 checked, opened and decompressed.
async fn read_pack(store: &Store, m: &Manifest, key: &Key, n: u32) -> Result<Vec<u8>, Diagnostic> {
    let name = pack_name(n);
    let rel = format!("{}/{name}", m.id);
    let shown = format!("{}/{rel}", store.shown);
    let Some(info) = m.packs.get(n as usize) else {
        return Err(Diagnostic::new(
            Code::Backup,
            format!("backup {}: the manifest lists no {name}", m.id),
        ));
    };
    let Some(sealed) = store.get(&rel).await? else {
        return Err(Diagnostic::new(Code::Backup, "the pack is missing").file(shown));
    };
    if sealed.len() as u64 != info.stored_bytes || sha256_hex(&sealed) != info.sha256 {
        return Err(Diagnostic::new(
            Code::Backup,
            format!(
                "the pack is corrupted or truncated ({} bytes, {} recorded; SHA-256 differs)",
                sealed.len(),
                info.stored_bytes
            ),
        )
        .file(shown));
    }
    let compressed = seal::open(key, &sealed).map_err(|e| {
        Diagnostic::new(Code::Backup, format!("the pack cannot be opened: {e}")).file(shown.clone())
    })?;
    // Never inflate beyond what the manifest says the pack holds.
    let mut plain = Vec::with_capacity(usize::try_from(info.raw_bytes).unwrap_or(0));
    let limit = info.raw_bytes.saturating_add(1);
    flate2::read::GzDecoder::new(compressed.as_slice())
        .take(limit)
        .read_to_end(&mut plain)
        .map_err(|e| {
            Diagnostic::new(Code::Backup, format!("the pack does not decompress: {e}"))
                .file(shown.clone())
        })?;
    if plain.len() as u64 != info.raw_bytes {
        return Err(Diagnostic::new(
            Code::Backup,
            format!(
                "the pack holds {} bytes, {} recorded",
                plain.len(),
                info.raw_bytes
            ),
        )
        .file(shown));
    }
    Ok(plain)
}
