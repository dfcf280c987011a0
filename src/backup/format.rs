//! The backup format, version 1 (`confgate.dev/backup.v1`), documented in
//! `docs/backups.md`.
//!
//! A backup `ID` is a directory of the store holding packs and, written last, its manifest:
//!
//! ```text
//! <prefix>/<ID>/pack-0000.bin      sealed(data key, gzip(object JSON ‖ object JSON ‖ …))
//! <prefix>/<ID>/pack-0001.bin
//! <prefix>/<ID>/manifest.json      the manifest below (the last object written)
//! <prefix>/<ID>/drills/<time>.json restore drills of this backup
//! ```
//!
//! The manifest is JSON in clear, so `backup list` needs no key, but it holds no secret:
//! the per-backup data key is wrapped (sealed) by the master key, and an HMAC-SHA256 under
//! a key derived from the data key covers every other field, so a changed byte anywhere in
//! the manifest is detected by whoever holds the master key. Each object entry records the
//! SHA-256 of the object's canonical JSON, checked after decryption.

use std::collections::BTreeMap;

use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::diag::{Code, Diagnostic};
use crate::seal::Key;

/// The format tag every manifest carries.
pub const FORMAT: &str = "confgate.dev/backup.v1";
/// The manifest's file name inside a backup's directory.
pub const MANIFEST: &str = "manifest.json";
/// The compression of packs.
pub const GZIP: &str = "gzip";

/// The file name of pack `n` inside a backup's directory.
pub fn pack_name(n: u32) -> String {
    format!("pack-{n:04}.bin")
}

/// Full or incremental.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupKind {
    Full,
    Incremental,
}

/// The data key of a backup, sealed by the master key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    /// Fingerprint of the master key that wraps it (never the key).
    pub master_fingerprint: String,
    /// base64 of `seal(master, data key)`.
    pub wrapped: String,
}

/// One pack of a backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    pub name: String,
    /// SHA-256 (hex) of the stored bytes.
    pub sha256: String,
    /// Bytes stored (compressed and sealed).
    pub stored_bytes: u64,
    /// Bytes of object JSON inside.
    pub raw_bytes: u64,
    /// Bytes after compression, before sealing.
    pub compressed_bytes: u64,
    pub objects: u64,
}

/// One object of a backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    /// SHA-256 (hex) of the object's canonical JSON.
    pub sha256: String,
    /// Bytes of the object's JSON.
    pub size: u64,
    /// A Secret (its values exist only encrypted, in the pack).
    #[serde(default)]
    pub secret: bool,
    /// The backup whose pack holds the object: this one, or an ancestor of an incremental.
    pub stored_in: String,
    /// Index of the pack in `stored_in`'s manifest.
    pub pack: u32,
    /// Offset and length of the object's JSON inside the pack's decompressed stream.
    pub offset: u64,
    pub length: u64,
}

impl Entry {
    /// `Kind/namespace/name` (or `Kind/name` when cluster-scoped).
    pub fn shown(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{ns}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }

    /// The identity objects are matched on between a backup and its incremental.
    pub fn identity(&self) -> (String, String, Option<String>, String) {
        (
            group_of(&self.api_version).to_string(),
            self.kind.clone(),
            self.namespace.clone(),
            self.name.clone(),
        )
    }
}

/// The API group of an apiVersion (`""` for the core group).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
}

/// Sizes and counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub objects: u64,
    /// Object JSON of the whole state, stored here or in an ancestor.
    pub raw_bytes: u64,
    /// Object JSON stored in this backup's packs.
    pub stored_raw_bytes: u64,
    pub compressed_bytes: u64,
    pub stored_bytes: u64,
    /// Incrementals: objects new or changed since the parent, unchanged (referenced), and
    /// gone.
    pub changed: u64,
    pub unchanged: u64,
    pub removed: u64,
    pub secrets: u64,
}

/// What the scan found in the backed-up objects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSummary {
    /// Findings per severity.
    pub findings: BTreeMap<String, u64>,
    /// Findings at or above the gate.
    pub blocking: u64,
    pub fail_on: String,
    /// What was scanned: `all` objects (a full backup), the `changed` ones (an incremental:
    /// the others were scanned with the backup that stores them), or `none` (`--no-scan`).
    /// Secrets are not scanned here; every restore scans what it restores.
    #[serde(default)]
    pub scope: String,
}

/// A backup's manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub id: String,
    pub kind: BackupKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// RFC 3339, UTC.
    pub created: String,
    pub duration_seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub context: String,
    pub server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// The namespaces backed up (empty: all, with the cluster-scoped objects).
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub cross_env: bool,
    pub key: WrappedKey,
    pub compression: String,
    pub packs: Vec<Pack>,
    pub objects: Vec<Entry>,
    pub totals: Totals,
    pub scan: ScanSummary,
    /// HMAC-SHA256 (hex) of the manifest with this field empty.
    #[serde(default)]
    pub mac: String,
}

impl Manifest {
    /// The manifest's bytes with the MAC set.
    pub fn seal_bytes(&mut self, data_key: &Key) -> Result<Vec<u8>, Diagnostic> {
        self.mac = String::new();
        self.mac = mac_hex(data_key, &self.body()?)?;
        serde_json::to_vec_pretty(self)
            .map_err(|e| Diagnostic::new(Code::System, format!("cannot encode the manifest: {e}")))
    }

    fn body(&self) -> Result<Vec<u8>, Diagnostic> {
        let mut copy = self.clone();
        copy.mac = String::new();
        serde_json::to_vec(&copy)
            .map_err(|e| Diagnostic::new(Code::System, format!("cannot encode the manifest: {e}")))
    }

    /// Checks the MAC with the backup's data key.
    pub fn check_mac(&self, data_key: &Key) -> Result<(), Diagnostic> {
        let mut m = mac_for(data_key)?;
        m.update(&self.body()?);
        let want = decode_hex(&self.mac).unwrap_or_default();
        m.verify_slice(&want).map_err(|_| {
            Diagnostic::new(
                Code::Backup,
                format!(
                    "backup {}: the manifest was changed after it was written (its MAC does not match)",
                    self.id
                ),
            )
        })
    }

    /// Parses a manifest's bytes; `shown` names it in errors.
    pub fn parse(bytes: &[u8], shown: &str) -> Result<Manifest, Diagnostic> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| {
            Diagnostic::new(
                Code::Backup,
                format!("not a confgate backup manifest (corrupted?): {e}"),
            )
            .file(shown.to_string())
            .line(u32::try_from(e.line()).ok().filter(|l| *l > 0))
        })?;
        if m.format != FORMAT {
            return Err(Diagnostic::new(
                Code::Backup,
                format!(
                    "backup format {:?} is not supported by this confgate (it reads {FORMAT})",
                    m.format
                ),
            )
            .file(shown.to_string()));
        }
        Ok(m)
    }

    /// The entries stored in this backup's own packs.
    pub fn own_entries(&self) -> impl Iterator<Item = &Entry> {
        self.objects.iter().filter(move |e| e.stored_in == self.id)
    }
}

type HmacSha256 = hmac::Hmac<Sha256>;

fn mac_for(data_key: &Key) -> Result<HmacSha256, Diagnostic> {
    let derived = Sha256::digest(
        [
            b"confgate backup manifest mac v1".as_slice(),
            data_key.bytes(),
        ]
        .concat(),
    );
    <HmacSha256 as KeyInit>::new_from_slice(&derived)
        .map_err(|e| Diagnostic::new(Code::System, format!("HMAC key: {e}")))
}

fn mac_hex(data_key: &Key, body: &[u8]) -> Result<String, Diagnostic> {
    let mut m = mac_for(data_key)?;
    m.update(body);
    Ok(hex(&m.finalize().into_bytes()))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// SHA-256 (hex) of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The canonical JSON of an object: keys sorted at every level, no whitespace. Two equal
/// objects always have the same bytes and hash, whatever order the server sent.
pub fn canonical(obj: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    write_canonical(obj, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<(&String, &Value)> = m.iter().collect();
            keys.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, v)) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = serde_json::to_writer(&mut *out, k);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(a) => {
            out.push(b'[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(v, out);
            }
            out.push(b']');
        }
        other => {
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

/// A backup id as the original suite writes them: `backup-YYYYMMDD-HHMMSS` (UTC), with
/// `-N` appended when that second is taken.
pub fn new_id(now: jiff::Timestamp, taken: &dyn Fn(&str) -> bool) -> String {
    let base = format!("backup-{}", now.strftime("%Y%m%d-%H%M%S"));
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken(id))
        .unwrap_or(base)
}

/// Whether `id` can name a backup (also what the store's directory is called).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Key {
        Key::from_bytes([b; 32])
    }

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            id: "backup-20260101-000000".into(),
            kind: BackupKind::Full,
            parent: None,
            created: "2026-01-01T00:00:00Z".into(),
            duration_seconds: 1.5,
            description: Some("before upgrade".into()),
            context: "prod".into(),
            server: "https://127.0.0.1:6443".into(),
            server_version: Some("v1.34.0".into()),
            namespaces: vec!["shop".into()],
            cross_env: false,
            key: WrappedKey {
                master_fingerprint: "abc".into(),
                wrapped: "AAAA".into(),
            },
            compression: GZIP.into(),
            packs: Vec::new(),
            objects: vec![Entry {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                namespace: Some("shop".into()),
                name: "web".into(),
                sha256: sha256_hex(b"{}"),
                size: 2,
                secret: false,
                stored_in: "backup-20260101-000000".into(),
                pack: 0,
                offset: 0,
                length: 2,
            }],
            totals: Totals::default(),
            scan: ScanSummary::default(),
            mac: String::new(),
        }
    }

    #[test]
    fn the_mac_detects_every_changed_field_and_a_wrong_key() {
        let mut m = manifest();
        let bytes = m.seal_bytes(&key(1)).unwrap();
        let back = Manifest::parse(&bytes, "m").unwrap();
        assert!(back.check_mac(&key(1)).is_ok());
        assert!(back.check_mac(&key(2)).is_err());
        let mut changed = back.clone();
        changed.objects[0].name = "other".into();
        assert!(changed.check_mac(&key(1)).is_err());
        let mut changed = back.clone();
        changed.description = None;
        assert!(changed.check_mac(&key(1)).is_err());
        let mut changed = back;
        changed.mac = "zz".into();
        assert!(changed.check_mac(&key(1)).is_err());
    }

    #[test]
    fn a_flipped_byte_is_a_parse_error_or_a_mac_error() {
        let mut m = manifest();
        let bytes = m.seal_bytes(&key(7)).unwrap();
        for i in (0..bytes.len()).step_by(7) {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            let ok = Manifest::parse(&b, "m")
                .and_then(|m| m.check_mac(&key(7)))
                .is_ok();
            // A flip inside insignificant whitespace leaves the same manifest.
            if ok {
                let reparsed = Manifest::parse(&b, "m").unwrap();
                assert_eq!(reparsed, Manifest::parse(&bytes, "m").unwrap(), "byte {i}");
            }
        }
    }

    #[test]
    fn ids_follow_the_original_suite_and_never_collide() {
        let t: jiff::Timestamp = "2025-07-17T12:00:00Z".parse().unwrap();
        assert_eq!(new_id(t, &|_| false), "backup-20250717-120000");
        assert_eq!(
            new_id(t, &|id| id == "backup-20250717-120000"),
            "backup-20250717-120000-2"
        );
        assert!(valid_id("backup-20250717-120000"));
        assert!(!valid_id("../etc"));
        assert!(!valid_id(""));
        assert!(!valid_id("a/b"));
    }

    #[test]
    fn canonical_json_does_not_depend_on_key_order() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":2,"x":3}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":3,"y":2},"b":1}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
    }

    #[test]
    fn an_unknown_format_is_refused() {
        let mut m = manifest();
        m.format = "confgate.dev/backup.v9".into();
        let bytes = serde_json::to_vec(&m).unwrap();
        let e = Manifest::parse(&bytes, "m").unwrap_err();
        assert!(e.message.contains("not supported"), "{}", e.message);
    }
}
