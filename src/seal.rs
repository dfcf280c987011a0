//! Sealing: AES-256-GCM encryption of bytes with a versioned header, for what confgate keeps
//! outside the repository and must not keep in clear (the Secret values of a revision, later
//! encrypted backups).
//!
//! A sealed message is `CGSEAL1` (7 bytes: magic and format version) ‖ a 12-byte random
//! nonce (the operating system's generator, through `getrandom`) ‖ the ciphertext with its
//! 16-byte tag. The header is authenticated as associated data, so a changed byte anywhere
//! is detected. Opening with the wrong key, a corrupted or a truncated message is a
//! [`SealError`], never a panic, and no error ever shows key material or plaintext.
//!
//! Pure: nothing here reads the environment. Callers pass the key's text (from a flag, a
//! variable or a file) to [`Key::parse`] or [`Key::from_value_or_file`].

use std::fmt;
use std::path::Path;

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::diag::{Code, Diagnostic};

/// The magic and format version that start every sealed message.
pub const MAGIC: &[u8; 7] = b"CGSEAL1";
/// Length of the nonce after the magic.
pub const NONCE_LEN: usize = 12;
/// Length of the authentication tag at the end.
pub const TAG_LEN: usize = 16;
/// Bytes a sealed message adds to its plaintext.
pub const OVERHEAD: usize = MAGIC.len() + NONCE_LEN + TAG_LEN;

/// Why sealing or opening failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The key text is not 32 bytes in base64 or hex.
    #[error("invalid seal key: {0}")]
    BadKey(String),
    /// The key file cannot be read.
    #[error("cannot read the seal key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    /// The input does not start with the `CGSEAL` magic.
    #[error("not sealed data (no CGSEAL header)")]
    NotSealed,
    /// A `CGSEAL` header of a version this build does not know.
    #[error("sealed with an unsupported format version (header {0:?})")]
    UnsupportedVersion(String),
    /// Shorter than a header, a nonce and a tag.
    #[error("sealed data is truncated ({0} bytes, at least {OVERHEAD} expected)")]
    Truncated(usize),
    /// Authentication failed: another key, or the data was changed.
    #[error("sealed data cannot be opened: wrong key or corrupted data")]
    Rejected,
    /// The system's random generator failed.
    #[error("no random nonce: the system's random generator failed ({0})")]
    Random(String),
}

impl SealError {
    /// The problem as a diagnostic, prefixed with what was being sealed or opened.
    pub fn diagnostic(&self, what: &str) -> Diagnostic {
        let code = match self {
            SealError::BadKey(_) | SealError::KeyFile { .. } => Code::Settings,
            SealError::Random(_) => Code::System,
            _ => Code::InvalidObject,
        };
        Diagnostic::new(code, format!("{what}: {self}"))
    }
}

/// A 256-bit key. Its `Debug` shows only its [`Key::fingerprint`].
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.fingerprint())
    }
}

impl Key {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        Key(bytes)
    }

    /// A fresh random key.
    pub fn generate() -> Result<Key, SealError> {
        let k = aes_gcm::Key::<Aes256Gcm>::try_generate()
            .map_err(|e| SealError::Random(e.to_string()))?;
        let b: &[u8] = k.as_ref();
        let arr: [u8; 32] = b
            .try_into()
            .map_err(|_| SealError::BadKey("length".into()))?;
        Ok(Key(arr))
    }

    /// A key from its text: 64 hex digits, or base64 (standard or URL-safe, padded or
    /// not) of 32 bytes. Surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Key, SealError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(SealError::BadKey("empty".into()));
        }
        let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            decode_hex(t).ok_or_else(|| SealError::BadKey("bad hex".into()))?
        } else {
            decode_base64(t).ok_or_else(|| {
                SealError::BadKey("neither 64 hex digits nor base64 of 32 bytes".into())
            })?
        };
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            SealError::BadKey(format!("{} bytes, 32 expected (AES-256)", bytes.len()))
        })?;
        Ok(Key(arr))
    }

    /// The key from a value (a flag or a variable the caller read), else from a file
    /// holding the key's text; `None` when neither is given. The value wins over the file.
    pub fn from_value_or_file(
        value: Option<&str>,
        file: Option<&Path>,
    ) -> Result<Option<Key>, SealError> {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            return Key::parse(v).map(Some);
        }
        let Some(path) = file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|e| SealError::KeyFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Key::parse(&text).map(Some).map_err(|e| match e {
            SealError::BadKey(r) => SealError::BadKey(format!("{r} (in {})", path.display())),
            other => other,
        })
    }

    /// The key's bytes, for deriving other keys from it (a backup manifest's MAC key).
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key as base64 (standard, padded), for writing it to a file.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// A short public identifier of the key (the first 8 hex digits of its SHA-256), safe
    /// to show in messages.
    pub fn fingerprint(&self) -> String {
        let d = Sha256::digest(self.0);
        d.iter().take(4).map(|b| format!("{b:02x}")).collect()
    }

    fn cipher(&self) -> Result<Aes256Gcm, SealError> {
        Aes256Gcm::new_from_slice(&self.0).map_err(|_| SealError::BadKey("length".into()))
    }
}

fn decode_hex(t: &str) -> Option<Vec<u8>> {
    let b = t.as_bytes();
    b.chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

fn decode_base64(t: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(t).ok())
}

/// Seals `plaintext` (any length, empty included) with `key`.
pub fn seal(key: &Key, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let nonce = Nonce::try_generate().map_err(|e| SealError::Random(e.to_string()))?;
    let ct = key
        .cipher()?
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: MAGIC,
            },
        )
        .map_err(|_| SealError::Rejected)?;
    let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + ct.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(nonce.as_ref());
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens what [`seal`] produced.
pub fn open(key: &Key, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    if !is_sealed(sealed) {
        if sealed.len() >= MAGIC.len() && sealed.starts_with(b"CGSEAL") {
            let v = String::from_utf8_lossy(&sealed[..MAGIC.len()]).into_owned();
            return Err(SealError::UnsupportedVersion(v));
        }
        if sealed.len() < MAGIC.len() && MAGIC.starts_with(sealed) {
            return Err(SealError::Truncated(sealed.len()));
        }
        return Err(SealError::NotSealed);
    }
    if sealed.len() < OVERHEAD {
        return Err(SealError::Truncated(sealed.len()));
    }
    let (nonce, ct) = sealed[MAGIC.len()..].split_at(NONCE_LEN);
    let nonce = Nonce::try_from(nonce).map_err(|_| SealError::Truncated(sealed.len()))?;
    key.cipher()?
        .decrypt(
            &nonce,
            Payload {
                msg: ct,
                aad: MAGIC,
            },
        )
        .map_err(|_| SealError::Rejected)
}

/// Whether `bytes` start with this format's header.
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Key {
        Key::from_bytes([b; 32])
    }

    #[test]
    fn round_trip_including_empty_and_large() {
        let k = key(7);
        for msg in [
            &b""[..],
            b"x",
            b"hello sealed world",
            &vec![0xabu8; 100_000],
        ] {
            let s = seal(&k, msg).unwrap();
            assert!(s.starts_with(MAGIC));
            assert_eq!(s.len(), msg.len() + OVERHEAD);
            assert_eq!(open(&k, &s).unwrap(), msg);
        }
    }

    #[test]
    fn nonces_differ_between_seals() {
        let k = key(1);
        let a = seal(&k, b"same").unwrap();
        let b = seal(&k, b"same").unwrap();
        assert_ne!(a, b);
        assert!(!a.windows(4).any(|w| w == b"same"));
    }

    #[test]
    fn wrong_key_is_rejected() {
        let s = seal(&key(1), b"secret").unwrap();
        assert_eq!(open(&key(2), &s), Err(SealError::Rejected));
        let d = SealError::Rejected.diagnostic("revision 3 of set web");
        assert!(d.message.contains("wrong key"), "{}", d.message);
    }

    #[test]
    fn every_tampered_byte_is_rejected() {
        let k = key(3);
        let s = seal(&k, b"0123456789").unwrap();
        for i in 0..s.len() {
            let mut t = s.clone();
            t[i] ^= 0x01;
            let e = open(&k, &t).unwrap_err();
            assert!(
                matches!(
                    e,
                    SealError::Rejected | SealError::UnsupportedVersion(_) | SealError::NotSealed
                ),
                "byte {i}: {e:?}"
            );
        }
    }

    #[test]
    fn truncated_and_foreign_inputs_are_errors() {
        let k = key(4);
        let s = seal(&k, b"abc").unwrap();
        for n in 0..s.len() {
            let e = open(&k, &s[..n]).unwrap_err();
            assert!(
                matches!(
                    e,
                    SealError::Truncated(_) | SealError::Rejected | SealError::NotSealed
                ),
                "len {n}: {e:?}"
            );
        }
        assert_eq!(open(&k, b""), Err(SealError::Truncated(0)));
        assert_eq!(open(&k, &s[..10]), Err(SealError::Truncated(10)));
        assert_eq!(
            open(&k, b"hello world, not sealed at all"),
            Err(SealError::NotSealed)
        );
        assert!(matches!(
            open(&k, b"CGSEAL9xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
            Err(SealError::UnsupportedVersion(_))
        ));
    }

    #[test]
    fn keys_parse_from_base64_and_hex() {
        let k = Key::generate().unwrap();
        assert_eq!(Key::parse(&k.to_base64()).unwrap(), k);
        assert_eq!(Key::parse(&format!("  {}\n", k.to_base64())).unwrap(), k);
        let hex: String = k.0.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(Key::parse(&hex).unwrap(), k);
        assert_eq!(Key::parse(&hex.to_uppercase()).unwrap(), k);
        let nopad = k.to_base64().trim_end_matches('=').to_string();
        assert_eq!(Key::parse(&nopad).unwrap(), k);
        assert!(matches!(Key::parse(""), Err(SealError::BadKey(_))));
        assert!(matches!(Key::parse("c2hvcnQ="), Err(SealError::BadKey(_))));
        assert!(matches!(
            Key::parse("not a key!"),
            Err(SealError::BadKey(_))
        ));
        assert!(!format!("{k:?}").contains(&k.to_base64()));
        assert_eq!(k.fingerprint().len(), 8);
    }

    #[test]
    fn keys_come_from_a_value_or_a_file() {
        let k = key(9);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("seal.key");
        std::fs::write(&f, format!("{}\n", k.to_base64())).unwrap();
        assert_eq!(
            Key::from_value_or_file(None, Some(&f)).unwrap(),
            Some(k.clone())
        );
        let other = key(8);
        assert_eq!(
            Key::from_value_or_file(Some(&other.to_base64()), Some(&f)).unwrap(),
            Some(other)
        );
        assert_eq!(Key::from_value_or_file(None, None).unwrap(), None);
        assert_eq!(Key::from_value_or_file(Some("  "), None).unwrap(), None);
        let missing = dir.path().join("none");
        assert!(matches!(
            Key::from_value_or_file(None, Some(&missing)),
            Err(SealError::KeyFile { .. })
        ));
        std::fs::write(&f, "garbage").unwrap();
        let e = Key::from_value_or_file(None, Some(&f)).unwrap_err();
        assert!(e.to_string().contains("seal.key"), "{e}");
        assert!(!e.to_string().contains("garbage"), "{e}");
    }
}
