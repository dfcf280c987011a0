//! How a revision is stored: its JSON, gzip-compressed, split into chunks of at most
//! [`CHUNK_SIZE`] bytes, each chunk one `v1` Secret of type [`SECRET_TYPE`] (so a revision
//! may exceed etcd's 1 MiB object limit, Helm's known failure):
//!
//! - names: `confgate-rev.<set>.v<N>` for chunk 0, `confgate-rev.<set>.v<N>.<i>` for the
//!   others (the set name must be a DNS-1123 label, so the names are DNS subdomains);
//! - labels: [`LABEL_SET`], [`LABEL_NUMBER`], [`LABEL_CHUNK`] and
//!   `app.kubernetes.io/managed-by: confgate`;
//! - `data.chunk`: the chunk's bytes;
//! - chunk 0's annotations ([`ANN_PREFIX`]`…`): the summary (number, created, author,
//!   commit, description, rollout and its reason, secret mode, scan counts), the chunk
//!   count, the payload's size and SHA-256, and `complete` (set once every chunk exists),
//!   so a listing reads chunk 0s only.
//!
//! Decoding checks the chunk count, every chunk's labels, the checksum and the payload's
//! own set and number; every failure names the revision. Pure.

use std::io::{Read, Write};

use base64::Engine as _;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::diag::{Code, Diagnostic};

use super::{Revision, RevisionSummary, Rollout, ScanCounts, SecretMode};

/// The largest chunk (bytes before base64): a chunk Secret stays well under 1 MiB.
pub const CHUNK_SIZE: usize = 512 * 1024;
/// The Secrets' `type`.
pub const SECRET_TYPE: &str = "confgate.dev/revision.v1";
/// Prefix of every chunk's name.
pub const NAME_PREFIX: &str = "confgate-rev";
/// Label: the set's name.
pub const LABEL_SET: &str = "confgate.dev/revision-set";
/// Label: the revision number.
pub const LABEL_NUMBER: &str = "confgate.dev/revision";
/// Label: the chunk's index (`0` for the one with the summary).
pub const LABEL_CHUNK: &str = "confgate.dev/revision-chunk";
/// Label naming the manager.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Prefix of chunk 0's annotations.
pub const ANN_PREFIX: &str = "confgate.dev/";
/// The key of `data` holding the chunk's bytes.
pub const DATA_KEY: &str = "chunk";
/// The most a payload may decompress to (a guard against a crafted chunk).
pub const MAX_PAYLOAD: u64 = 1 << 30;
/// Longest description kept in the annotation (the full text is in the payload).
const DESCRIPTION_MAX: usize = 1024;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn ann(name: &str) -> String {
    format!("{ANN_PREFIX}{name}")
}

/// The set name as names and labels need it: a DNS-1123 label of at most 63 characters.
pub fn validate_set(set: &str) -> Result<(), Diagnostic> {
    if crate::k8s::is_dns1123_label(set) {
        Ok(())
    } else {
        Err(Diagnostic::new(
            Code::Settings,
            format!(
                "invalid set name {set:?}: a set name must be at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit"
            ),
        ))
    }
}

/// The name of chunk `index` of revision `number` of `set`.
pub fn chunk_name(set: &str, number: u64, index: usize) -> String {
    if index == 0 {
        format!("{NAME_PREFIX}.{set}.v{number}")
    } else {
        format!("{NAME_PREFIX}.{set}.v{number}.{index}")
    }
}

/// The label selector of a set's chunk 0s.
pub fn chunk0_selector(set: &str) -> String {
    format!("{LABEL_SET}={set},{LABEL_CHUNK}=0,{LABEL_MANAGED_BY}=confgate")
}

/// The label selector of every chunk of a set.
pub fn set_selector(set: &str) -> String {
    format!("{LABEL_SET}={set},{LABEL_MANAGED_BY}=confgate")
}

fn what(set: &str, number: u64) -> String {
    format!("revision {number} of set {set}")
}

fn corrupt(set: &str, number: u64, why: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::new(Code::InvalidObject, format!("{}: {why}", what(set, number)))
}

/// The compressed payload of a revision.
pub fn payload(rev: &Revision) -> Result<Vec<u8>, Diagnostic> {
    let json = serde_json::to_vec(rev)
        .map_err(|e| corrupt(&rev.set, rev.number, format!("cannot be written: {e}")))?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&json)
        .and_then(|()| gz.finish())
        .map_err(|e| corrupt(&rev.set, rev.number, format!("cannot be compressed: {e}")))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// The chunk Secrets of a revision (its `set`, `namespace` and `number` set), chunk 0 first.
pub fn encode(rev: &Revision) -> Result<Vec<Value>, Diagnostic> {
    validate_set(&rev.set)?;
    let bytes = payload(rev)?;
    let chunks: Vec<&[u8]> = if bytes.is_empty() {
        vec![&[][..]]
    } else {
        bytes.chunks(CHUNK_SIZE).collect()
    };
    let count = chunks.len();
    let mut out = Vec::with_capacity(count);
    for (i, c) in chunks.into_iter().enumerate() {
        let mut meta = json!({
            "name": chunk_name(&rev.set, rev.number, i),
            "namespace": rev.namespace,
            "labels": {
                LABEL_SET: rev.set,
                LABEL_NUMBER: rev.number.to_string(),
                LABEL_CHUNK: i.to_string(),
                LABEL_MANAGED_BY: "confgate",
            },
        });
        if i == 0 {
            meta["annotations"] = Value::Object(summary_annotations(rev, count, &bytes));
        }
        out.push(json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "type": SECRET_TYPE,
            "metadata": meta,
            "data": {DATA_KEY: b64().encode(c)},
        }));
    }
    Ok(out)
}

fn summary_annotations(rev: &Revision, chunks: usize, payload: &[u8]) -> Map<String, Value> {
    let mut a = Map::new();
    let mut put = |k: &str, v: String| {
        a.insert(ann(k), Value::String(v));
    };
    put("number", rev.number.to_string());
    put("created", rev.created.to_string());
    put("author", shorten(&rev.author, 256));
    if let Some(c) = &rev.commit {
        put("commit", shorten(c, 128));
    }
    if let Some(d) = &rev.description {
        put("description", shorten(d, DESCRIPTION_MAX));
    }
    put("secrets", rev.secrets.as_str().to_string());
    put(
        "scan",
        serde_json::to_string(&rev.scan.counts()).unwrap_or_default(),
    );
    put("chunks", chunks.to_string());
    put("size", payload.len().to_string());
    put("sha256", sha256_hex(payload));
    put("complete", (chunks == 1).to_string());
    set_rollout_map(&mut a, &rev.rollout);
    a
}

fn set_rollout_map(a: &mut Map<String, Value>, rollout: &Rollout) {
    a.insert(ann("rollout"), Value::String(rollout.state().to_string()));
    match rollout.reason() {
        Some(r) => {
            a.insert(ann("rollout-reason"), Value::String(shorten(r, 4096)));
        }
        None => {
            a.remove(&ann("rollout-reason"));
        }
    }
}

fn annotations_mut(chunk0: &mut Value) -> Option<&mut Map<String, Value>> {
    let meta = chunk0.get_mut("metadata")?.as_object_mut()?;
    let a = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if !a.is_object() {
        *a = Value::Object(Map::new());
    }
    a.as_object_mut()
}

/// Sets chunk 0's rollout annotations.
pub fn set_rollout(chunk0: &mut Value, rollout: &Rollout) {
    if let Some(a) = annotations_mut(chunk0) {
        set_rollout_map(a, rollout);
    }
}

/// Sets chunk 0's health annotation: the set's health score after the rollout.
pub fn set_health(chunk0: &mut Value, score: u32) {
    if let Some(a) = annotations_mut(chunk0) {
        a.insert(ann("health"), Value::String(score.min(100).to_string()));
    }
}

/// Marks chunk 0 as complete (every chunk written).
pub fn mark_complete(chunk0: &mut Value) {
    if let Some(a) = annotations_mut(chunk0) {
        a.insert(ann("complete"), Value::String("true".into()));
    }
}

fn label<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.pointer("/metadata/labels")
        .and_then(|l| l.get(k))
        .and_then(Value::as_str)
}

fn annotation<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.pointer("/metadata/annotations")
        .and_then(|l| l.get(ann(k)))
        .and_then(Value::as_str)
}

/// The revision number of a chunk (from its label).
pub fn number_of(chunk: &Value) -> Option<u64> {
    label(chunk, LABEL_NUMBER).and_then(|n| n.parse().ok())
}

/// The index of a chunk (from its label).
pub fn index_of(chunk: &Value) -> Option<usize> {
    label(chunk, LABEL_CHUNK).and_then(|n| n.parse().ok())
}

/// The number of chunks chunk 0 announces.
pub fn chunk_count(chunk0: &Value) -> Option<usize> {
    annotation(chunk0, "chunks").and_then(|n| n.parse().ok())
}

/// The summary chunk 0 carries.
pub fn summary_of(chunk0: &Value) -> Result<RevisionSummary, Diagnostic> {
    let set = label(chunk0, LABEL_SET).unwrap_or("").to_string();
    let number = number_of(chunk0).unwrap_or(0);
    let bad = |why: &str| corrupt(&set, number, format!("chunk 0 {why}"));
    let created = annotation(chunk0, "created")
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .ok_or_else(|| bad("has no valid created annotation"))?;
    let chunks = chunk_count(chunk0)
        .filter(|&c| c > 0)
        .ok_or_else(|| bad("has no valid chunks annotation"))?;
    let rollout = annotation(chunk0, "rollout")
        .and_then(|s| Rollout::from_parts(s, annotation(chunk0, "rollout-reason")))
        .ok_or_else(|| bad("has no valid rollout annotation"))?;
    let secrets = annotation(chunk0, "secrets")
        .and_then(SecretMode::parse)
        .ok_or_else(|| bad("has no valid secrets annotation"))?;
    let scan: ScanCounts = annotation(chunk0, "scan")
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    Ok(RevisionSummary {
        namespace: chunk0
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        number,
        created,
        author: annotation(chunk0, "author").unwrap_or("").to_string(),
        commit: annotation(chunk0, "commit").map(str::to_string),
        description: annotation(chunk0, "description").map(str::to_string),
        scan,
        rollout,
        health: annotation(chunk0, "health").and_then(|h| h.parse().ok()),
        secrets,
        complete: annotation(chunk0, "complete") == Some("true"),
        chunks,
        size: annotation(chunk0, "size")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        set,
    })
}

/// The revision of `chunks` (chunk 0 and the others, any order). Its rollout is chunk 0's.
pub fn decode(set: &str, number: u64, chunks: &[Value]) -> Result<Revision, Diagnostic> {
    let bad = |why: String| corrupt(set, number, why);
    let mine: Vec<&Value> = chunks
        .iter()
        .filter(|c| label(c, LABEL_SET) == Some(set) && number_of(c) == Some(number))
        .collect();
    let chunk0 = mine
        .iter()
        .find(|c| index_of(c) == Some(0))
        .ok_or_else(|| {
            bad(format!(
                "chunk 0 ({}) is missing",
                chunk_name(set, number, 0)
            ))
        })?;
    let summary = summary_of(chunk0)?;
    let mut bytes = Vec::with_capacity(summary.size);
    for i in 0..summary.chunks {
        let c = mine
            .iter()
            .find(|c| index_of(c) == Some(i))
            .ok_or_else(|| {
                bad(format!(
                    "chunk {i} of {} ({}) is missing",
                    summary.chunks,
                    chunk_name(set, number, i)
                ))
            })?;
        if c.get("type").and_then(Value::as_str) != Some(SECRET_TYPE) {
            return Err(bad(format!("chunk {i} is not of type {SECRET_TYPE}")));
        }
        let data = c
            .pointer(&format!("/data/{DATA_KEY}"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let part = b64()
            .decode(data.as_bytes())
            .map_err(|_| bad(format!("chunk {i} holds no valid data")))?;
        bytes.extend_from_slice(&part);
    }
    let want = annotation(chunk0, "sha256").unwrap_or("");
    if sha256_hex(&bytes) != want {
        return Err(bad(format!(
            "checksum mismatch over its {} chunk(s): a chunk is corrupt or from another write",
            summary.chunks
        )));
    }
    let mut json = Vec::new();
    GzDecoder::new(bytes.as_slice())
        .take(MAX_PAYLOAD)
        .read_to_end(&mut json)
        .map_err(|e| bad(format!("cannot be decompressed: {e}")))?;
    let mut rev: Revision =
        serde_json::from_slice(&json).map_err(|e| bad(format!("cannot be read: {e}")))?;
    if rev.set != set || rev.number != number {
        return Err(bad(format!(
            "its payload is revision {} of set {}",
            rev.number, rev.set
        )));
    }
    rev.rollout = summary.rollout;
    Ok(rev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::ScanSummary;

    fn pseudo_random_text(len: usize, seed: u64) -> String {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b'!' + (x % 90) as u8)
            })
            .collect()
    }

    fn rev(manifests: Vec<Value>) -> Revision {
        let mut r = Revision::new("web", "prod", "alice <a@x>", manifests);
        r.number = 7;
        r.created = "2026-03-04T05:06:07Z".parse().unwrap();
        r.description = Some("first\nsecond line".into());
        r.commit = Some("0123abc".into());
        r.scan = ScanSummary {
            high: 2,
            low: 1,
            fingerprints: vec!["f1".into(), "f2".into(), "f3".into()],
            ..ScanSummary::default()
        };
        r
    }

    #[test]
    fn a_small_revision_is_one_complete_chunk() {
        let r = rev(vec![
            json!({"kind": "ConfigMap", "metadata": {"name": "a"}}),
        ]);
        let chunks = encode(&r).unwrap();
        assert_eq!(chunks.len(), 1);
        let c = &chunks[0];
        assert_eq!(c["type"], SECRET_TYPE);
        assert_eq!(c["metadata"]["name"], "confgate-rev.web.v7");
        assert_eq!(c["metadata"]["namespace"], "prod");
        assert_eq!(c["metadata"]["labels"][LABEL_SET], "web");
        assert_eq!(c["metadata"]["labels"][LABEL_NUMBER], "7");
        assert_eq!(c["metadata"]["labels"][LABEL_MANAGED_BY], "confgate");
        let s = summary_of(c).unwrap();
        assert!(s.complete);
        assert_eq!(s.chunks, 1);
        assert_eq!(s.author, "alice <a@x>");
        assert_eq!(s.scan.high, 2);
        assert_eq!(s.scan.findings, 3);
        assert_eq!(s.created, r.created);
        assert_eq!(decode("web", 7, &chunks).unwrap(), r);
    }

    #[test]
    fn a_large_revision_is_chunked_and_read_back() {
        let big: Vec<Value> = (0..4)
            .map(|i| {
                json!({"kind": "ConfigMap", "metadata": {"name": format!("c{i}")},
                       "data": {"blob": pseudo_random_text(600_000, i + 1)}})
            })
            .collect();
        let r = rev(big);
        let chunks = encode(&r).unwrap();
        let size = summary_of(&chunks[0]).unwrap().size;
        assert!(size > 1536 * 1024, "compressed {size}");
        assert!(chunks.len() >= 3, "{}", chunks.len());
        for (i, c) in chunks.iter().enumerate() {
            assert!(serde_json::to_vec(c).unwrap().len() < 1024 * 1024);
            assert_eq!(c["metadata"]["name"], chunk_name("web", 7, i));
            assert_eq!(index_of(c), Some(i));
            assert_eq!(c["metadata"].get("annotations").is_some(), i == 0);
        }
        assert!(!summary_of(&chunks[0]).unwrap().complete);
        let mut shuffled = chunks.clone();
        shuffled.reverse();
        assert_eq!(decode("web", 7, &shuffled).unwrap(), r);

        let e = decode("web", 7, &chunks[..chunks.len() - 1]).unwrap_err();
        assert!(e.message.contains("revision 7 of set web"), "{}", e.message);
        assert!(e.message.contains("missing"), "{}", e.message);

        let mut bad = chunks.clone();
        bad[1]["data"][DATA_KEY] = json!(b64().encode(b"other bytes"));
        let e = decode("web", 7, &bad).unwrap_err();
        assert!(e.message.contains("checksum"), "{}", e.message);
        assert_eq!(e.code, Code::InvalidObject);
    }

    #[test]
    fn rollout_and_completion_are_annotations() {
        let mut chunks = encode(&rev(vec![])).unwrap();
        set_rollout(
            &mut chunks[0],
            &Rollout::Failed {
                reason: "web: 1/3 ready".into(),
            },
        );
        mark_complete(&mut chunks[0]);
        let s = summary_of(&chunks[0]).unwrap();
        assert_eq!(s.rollout.reason(), Some("web: 1/3 ready"));
        assert!(s.complete);
        assert_eq!(decode("web", 7, &chunks).unwrap().rollout, s.rollout);
        set_rollout(&mut chunks[0], &Rollout::Succeeded);
        assert_eq!(
            chunks[0]["metadata"]["annotations"].get(ann("rollout-reason")),
            None
        );
    }

    #[test]
    fn set_names_are_checked() {
        for ok in ["web", "a", "team-1-api"] {
            assert!(validate_set(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Web", "a.b", "-a", "a_b", "a b", &"x".repeat(64)] {
            let e = validate_set(bad).unwrap_err();
            assert_eq!(e.code, Code::Settings);
        }
        let mut r = rev(vec![]);
        r.set = "Bad.Set".into();
        assert!(encode(&r).is_err());
        assert!(crate::k8s::is_dns1123_subdomain(&chunk_name(
            &"x".repeat(63),
            u64::MAX,
            usize::MAX
        )));
    }

    #[test]
    fn a_payload_of_another_revision_is_refused() {
        let chunks = encode(&rev(vec![])).unwrap();
        let mut moved = chunks.clone();
        moved[0]["metadata"]["labels"][LABEL_NUMBER] = json!("8");
        let e = decode("web", 8, &moved).unwrap_err();
        assert!(e.message.contains("revision 8 of set web"), "{}", e.message);
    }
}
