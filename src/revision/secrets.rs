//! Secret values in recorded revisions: never stored in clear.
//!
//! Before a revision is stored, every manifest of `kind: Secret` (also inside a `kind: List`)
//! loses its clear `data`/`stringData` values:
//!
//! - with a seal key ([`SecretMode::Encrypted`]) the Secret's `{"data", "stringData"}` maps
//!   are sealed together ([`crate::seal`]), base64-ed into [`Revision::sealed`] (the record,
//!   not an annotation), and removed from the manifest; [`restore_secrets`] puts them back;
//! - without one ([`SecretMode::Referenced`]) each value becomes `sha256:<hex>` of its bytes
//!   (a `data` value is base64-decoded first, so the reference of `data: {k: aGk=}` and of
//!   `stringData: {k: hi}` are the same), so a rollback can tell with [`check_live_secret`]
//!   whether the live Secret still holds those values. Such a Secret must not be applied.
//!
//! Errors name the set, the revision and the Secret, never a value.

use base64::Engine as _;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::diag::{Code, Diagnostic};
use crate::seal::{self, Key};

use super::{Revision, SealedSecret, SecretMode};

const REF_PREFIX: &str = "sha256:";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Whether a manifest is a core Secret.
pub fn is_secret(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("Secret")
        && v.get("apiVersion")
            .and_then(Value::as_str)
            .is_none_or(|a| a == "v1")
}

fn is_list(v: &Value) -> bool {
    v.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && v.get("items").is_some_and(Value::is_array)
}

/// JSON pointers of every Secret in `manifests` (Lists searched).
fn secret_pointers(manifests: &[Value]) -> Vec<String> {
    fn walk(v: &Value, at: String, out: &mut Vec<String>) {
        if is_secret(v) {
            out.push(at);
        } else if is_list(v)
            && let Some(items) = v.get("items").and_then(Value::as_array)
        {
            for (j, item) in items.iter().enumerate() {
                walk(item, format!("{at}/items/{j}"), out);
            }
        }
    }
    let mut out = Vec::new();
    for (i, m) in manifests.iter().enumerate() {
        walk(m, format!("/{i}"), &mut out);
    }
    out
}

fn name_of(v: &Value) -> String {
    v.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `sha256:<hex>` of a value's bytes.
pub fn reference(bytes: &[u8]) -> String {
    format!("{REF_PREFIX}{}", hex(&Sha256::digest(bytes)))
}

/// Whether a string is already a reference (recording a revision read back).
pub fn is_reference(s: &str) -> bool {
    s.strip_prefix(REF_PREFIX)
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// The bytes a `data` (`base64 == true`) or `stringData` value stands for.
fn value_bytes(v: &Value, base64: bool) -> Vec<u8> {
    match v {
        Value::String(s) if base64 => b64()
            .decode(s.as_bytes())
            .unwrap_or_else(|_| s.as_bytes().to_vec()),
        Value::String(s) => s.as_bytes().to_vec(),
        other => other.to_string().into_bytes(),
    }
}

fn reference_map(map: &mut Map<String, Value>, base64: bool) {
    for v in map.values_mut() {
        if v.as_str().is_some_and(is_reference) {
            continue;
        }
        *v = Value::String(reference(&value_bytes(v, base64)));
    }
}

fn what(rev: &Revision) -> String {
    format!("revision {} of set {}", rev.number, rev.set)
}

/// Protects the Secret values of `rev.manifests` in place: sealed with `key`, else replaced
/// by references; sets `rev.secrets`. Values already protected are left as they are.
pub fn protect_secrets(rev: &mut Revision, key: Option<&Key>) -> Result<(), Diagnostic> {
    rev.secrets = if key.is_some() {
        SecretMode::Encrypted
    } else {
        SecretMode::Referenced
    };
    let label = what(rev);
    let mut manifests = Value::Array(std::mem::take(&mut rev.manifests));
    let mut result = Ok(());
    for ptr in secret_pointers(manifests.as_array().map(Vec::as_slice).unwrap_or(&[])) {
        let Some(Value::Object(secret)) = manifests.pointer_mut(&ptr) else {
            continue;
        };
        match key {
            None => {
                for (field, base64) in [("data", true), ("stringData", false)] {
                    if let Some(Value::Object(m)) = secret.get_mut(field) {
                        reference_map(m, base64);
                    }
                }
            }
            Some(k) => {
                let data = secret.remove("data");
                let string_data = secret.remove("stringData");
                if data.is_none() && string_data.is_none() {
                    continue;
                }
                let name = name_of(&Value::Object(secret.clone()));
                let plain = json!({"name": name, "data": data, "stringData": string_data});
                let bytes = serde_json::to_vec(&plain).unwrap_or_default();
                match seal::seal(k, &bytes) {
                    Ok(s) => rev.sealed.push(SealedSecret {
                        pointer: ptr.clone(),
                        name,
                        sealed: b64().encode(s),
                    }),
                    Err(e) => {
                        result = Err(e.diagnostic(&format!("{label}: Secret {name}")));
                        break;
                    }
                }
            }
        }
    }
    if let Value::Array(m) = manifests {
        rev.manifests = m;
    }
    result
}

/// The manifests of `rev` with clear Secret values when they were sealed
/// ([`SecretMode::Encrypted`]; `key` must be the one they were sealed with). For
/// [`SecretMode::Referenced`] the manifests are given back as stored: their Secrets hold
/// references, to be checked with [`check_live_secret`], not applied.
pub fn restore_secrets(rev: &Revision, key: Option<&Key>) -> Result<Vec<Value>, Diagnostic> {
    let mut manifests = Value::Array(rev.manifests.clone());
    if rev.secrets == SecretMode::Referenced || rev.sealed.is_empty() {
        return Ok(rev.manifests.clone());
    }
    let Some(key) = key else {
        return Err(Diagnostic::new(
            Code::Settings,
            format!(
                "{}: its Secret values are sealed; the seal key is needed to restore them",
                what(rev)
            ),
        ));
    };
    for s in &rev.sealed {
        let label = format!("{}: Secret {}", what(rev), s.name);
        let corrupt = |why: &str| Diagnostic::new(Code::InvalidObject, format!("{label}: {why}"));
        let bytes = b64()
            .decode(s.sealed.as_bytes())
            .map_err(|_| corrupt("its sealed values are not base64"))?;
        let plain = seal::open(key, &bytes).map_err(|e| match e {
            seal::SealError::Rejected => Diagnostic::new(
                Code::Settings,
                format!(
                    "{label}: the sealed values cannot be opened with key {}: wrong key or corrupted data",
                    key.fingerprint()
                ),
            ),
            other => other.diagnostic(&label),
        })?;
        let plain: Value = serde_json::from_slice(&plain)
            .map_err(|_| corrupt("its sealed values are not JSON"))?;
        if plain.get("name").and_then(Value::as_str) != Some(s.name.as_str()) {
            return Err(corrupt("the sealed values belong to another Secret"));
        }
        let Some(Value::Object(secret)) = manifests.pointer_mut(&s.pointer) else {
            return Err(corrupt("no Secret at its place in the manifests"));
        };
        if name_of(&Value::Object(secret.clone())) != s.name {
            return Err(corrupt("the Secret at its place has another name"));
        }
        for field in ["data", "stringData"] {
            match plain.get(field) {
                Some(v) if !v.is_null() => {
                    secret.insert(field.to_string(), v.clone());
                }
                _ => {}
            }
        }
    }
    match manifests {
        Value::Array(m) => Ok(m),
        _ => Ok(Vec::new()),
    }
}

/// Whether a live Secret still holds the values a referenced Secret manifest recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretCheck {
    /// Every recorded key is there with the same value.
    Same,
    /// These keys are missing or hold other values (names only, never values).
    Differs { keys: Vec<String> },
    /// The manifest holds no references (encrypted, or not a Secret).
    NotReferenced,
}

/// Compares a stored, referenced Secret manifest with the live Secret (whose values are in
/// `data`, base64, as the API server returns them).
pub fn check_live_secret(stored: &Value, live: &Value) -> SecretCheck {
    let mut expected: Vec<(String, String)> = Vec::new();
    for field in ["data", "stringData"] {
        if let Some(m) = stored.get(field).and_then(Value::as_object) {
            for (k, v) in m {
                if let Some(r) = v.as_str().filter(|s| is_reference(s)) {
                    // stringData wins over data for the same key, as on the server.
                    expected.retain(|(ek, _)| ek != k);
                    expected.push((k.clone(), r.to_string()));
                }
            }
        }
    }
    if expected.is_empty() || !is_secret(stored) {
        return SecretCheck::NotReferenced;
    }
    let live_data = live.get("data").and_then(Value::as_object);
    let live_string = live.get("stringData").and_then(Value::as_object);
    let mut keys: Vec<String> = expected
        .into_iter()
        .filter(|(k, r)| {
            let got = live_string
                .and_then(|m| m.get(k))
                .map(|v| value_bytes(v, false))
                .or_else(|| {
                    live_data
                        .and_then(|m| m.get(k))
                        .map(|v| value_bytes(v, true))
                });
            got.is_none_or(|b| &reference(&b) != r)
        })
        .map(|(k, _)| k)
        .collect();
    keys.sort();
    if keys.is_empty() {
        SecretCheck::Same
    } else {
        SecretCheck::Differs { keys }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLEAR: &str = "hunter2-very-secret";

    fn manifests() -> Vec<Value> {
        let enc = b64().encode(CLEAR);
        vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "b"}}),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                   "type": "Opaque", "data": {"password": enc}, "stringData": {"user": CLEAR}}),
            json!({"apiVersion": "v1", "kind": "List", "items": [
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "inner"},
                       "stringData": {"token": CLEAR}})]}),
        ]
    }

    fn rev() -> Revision {
        let mut r = Revision::new("web", "prod", "ci", manifests());
        r.number = 4;
        r
    }

    fn assert_no_clear(r: &Revision) {
        let text = serde_json::to_string(r).unwrap();
        assert!(!text.contains(CLEAR), "{text}");
        assert!(!text.contains(&b64().encode(CLEAR)), "{text}");
    }

    #[test]
    fn referenced_secrets_hold_only_references() {
        let mut r = rev();
        protect_secrets(&mut r, None).unwrap();
        assert_eq!(r.secrets, SecretMode::Referenced);
        assert_no_clear(&r);
        let want = reference(CLEAR.as_bytes());
        assert_eq!(r.manifests[1]["data"]["password"], want);
        assert_eq!(r.manifests[1]["stringData"]["user"], want);
        assert_eq!(r.manifests[2]["items"][0]["stringData"]["token"], want);
        assert_eq!(r.manifests[0]["data"]["a"], "b");
        // Protecting again changes nothing; restoring gives back the references.
        let once = r.clone();
        protect_secrets(&mut r, None).unwrap();
        assert_eq!(r, once);
        assert_eq!(restore_secrets(&r, None).unwrap(), r.manifests);
    }

    #[test]
    fn encrypted_secrets_round_trip() {
        let key = Key::from_bytes([5; 32]);
        let mut r = rev();
        protect_secrets(&mut r, Some(&key)).unwrap();
        assert_eq!(r.secrets, SecretMode::Encrypted);
        assert_eq!(r.sealed.len(), 2);
        assert!(r.manifests[1].get("data").is_none());
        assert_no_clear(&r);
        assert_eq!(restore_secrets(&r, Some(&key)).unwrap(), manifests());
    }

    #[test]
    fn wrong_or_missing_key_errors_name_the_revision() {
        let mut r = rev();
        protect_secrets(&mut r, Some(&Key::from_bytes([5; 32]))).unwrap();
        let e = restore_secrets(&r, Some(&Key::from_bytes([6; 32]))).unwrap_err();
        assert!(e.message.contains("revision 4 of set web"), "{}", e.message);
        assert!(e.message.contains("wrong key"), "{}", e.message);
        let e = restore_secrets(&r, None).unwrap_err();
        assert!(e.message.contains("revision 4 of set web"), "{}", e.message);
        assert_eq!(e.code, Code::Settings);
        // A sealed blob moved to another Secret is refused.
        let mut moved = r.clone();
        let first = moved.sealed[0].sealed.clone();
        moved.sealed[0].sealed = moved.sealed[1].sealed.clone();
        moved.sealed[1].sealed = first;
        let e = restore_secrets(&moved, Some(&Key::from_bytes([5; 32]))).unwrap_err();
        assert!(!e.message.contains(CLEAR));
        assert_eq!(e.code, Code::InvalidObject);
    }

    #[test]
    fn live_secrets_are_checked_against_references() {
        let mut r = rev();
        protect_secrets(&mut r, None).unwrap();
        let enc = b64().encode(CLEAR);
        let live = json!({"kind": "Secret", "data": {"password": enc, "user": enc}});
        assert_eq!(check_live_secret(&r.manifests[1], &live), SecretCheck::Same);
        let changed = json!({"kind": "Secret", "data": {"password": b64().encode("new")}});
        assert_eq!(
            check_live_secret(&r.manifests[1], &changed),
            SecretCheck::Differs {
                keys: vec!["password".into(), "user".into()]
            }
        );
        assert_eq!(
            check_live_secret(&r.manifests[0], &live),
            SecretCheck::NotReferenced
        );
    }
}
