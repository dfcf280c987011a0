//! Backup keys. Every backup has its own random data key; what is stored is that key
//! sealed by the master key (`CONFGATE_BACKUP_KEY`, a key file, or the output of a key
//! command such as a secret manager's CLI). Rotating the master key (`backup rekey`)
//! re-wraps data keys and re-signs manifests; the packs are never re-encrypted.

use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine as _;

use super::format::WrappedKey;
use crate::diag::{Code, Diagnostic};
use crate::seal::{self, Key};

/// Where the master key comes from, in this order: the value (`CONFGATE_BACKUP_KEY`), a
/// file, a command.
#[derive(Clone, Debug, Default)]
pub struct KeySource {
    pub value: Option<String>,
    pub file: Option<std::path::PathBuf>,
    pub command: Option<String>,
}

impl KeySource {
    /// The master key, or an error saying how to give one.
    pub fn master(&self) -> Result<Key, Diagnostic> {
        if let Some(v) = self.value.as_deref().filter(|v| !v.trim().is_empty()) {
            return Key::parse(v).map_err(|e| e.diagnostic("CONFGATE_BACKUP_KEY"));
        }
        if let Some(f) = &self.file {
            return read_key_file(f);
        }
        if let Some(c) = &self.command {
            return run_key_command(c);
        }
        Err(Diagnostic::new(
            Code::Settings,
            "backups are encrypted: give the master key with CONFGATE_BACKUP_KEY, --key-file / [backup] key-file, or [backup] key-command (`confgate backup keygen --output FILE` makes one)",
        ))
    }
}

fn read_key_file(path: &Path) -> Result<Key, Diagnostic> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::new(
            Code::Settings,
            format!("cannot read the backup key file: {e}"),
        )
        .file(shown.clone())
    })?;
    Key::parse(&text).map_err(|e| {
        Diagnostic::new(Code::Settings, format!("the backup key file: {e}")).file(shown)
    })
}

/// Runs the key command (through `sh -c`) and reads the key from its standard output.
/// Its output is never shown, only its exit status.
fn run_key_command(command: &str) -> Result<Key, Diagnostic> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| {
            Diagnostic::new(
                Code::Settings,
                format!("cannot run the backup key-command: {e}"),
            )
        })?;
    if !out.status.success() {
        return Err(Diagnostic::new(
            Code::Settings,
            format!("the backup key-command failed ({})", out.status),
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Key::parse(&text).map_err(|e| e.diagnostic("the backup key-command's output"))
}

/// Seals a backup's data key with the master key.
pub fn wrap(master: &Key, data: &Key) -> Result<WrappedKey, Diagnostic> {
    let sealed = seal::seal(master, data.bytes()).map_err(|e| e.diagnostic("the data key"))?;
    Ok(WrappedKey {
        master_fingerprint: master.fingerprint(),
        wrapped: base64::engine::general_purpose::STANDARD.encode(sealed),
    })
}

/// The data key of backup `id`. A master key other than the one it was made with is a
/// clear error naming both fingerprints, never garbage.
pub fn unwrap(master: &Key, w: &WrappedKey, id: &str) -> Result<Key, Diagnostic> {
    if w.master_fingerprint != master.fingerprint() {
        return Err(Diagnostic::new(
            Code::Settings,
            format!(
                "backup {id} was encrypted with master key {}, but the key given is {}: use that key (or `backup rekey` from it)",
                w.master_fingerprint,
                master.fingerprint()
            ),
        ));
    }
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(w.wrapped.as_bytes())
        .map_err(|_| corrupt_key(id))?;
    let bytes = seal::open(master, &sealed).map_err(|_| corrupt_key(id))?;
    let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| corrupt_key(id))?;
    Ok(Key::from_bytes(arr))
}

fn corrupt_key(id: &str) -> Diagnostic {
    Diagnostic::new(
        Code::Backup,
        format!("backup {id}: its wrapped data key is corrupted (the manifest was changed)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_key_opens_only_with_its_master_key() {
        let master = Key::from_bytes([3; 32]);
        let data = Key::from_bytes([9; 32]);
        let w = wrap(&master, &data).unwrap();
        assert_eq!(unwrap(&master, &w, "b").unwrap(), data);
        let e = unwrap(&Key::from_bytes([4; 32]), &w, "b").unwrap_err();
        assert!(
            e.message.contains("was encrypted with master key"),
            "{}",
            e.message
        );
        let mut bad = w.clone();
        bad.wrapped.replace_range(0..4, "AAAA");
        assert!(unwrap(&master, &bad, "b").is_err());
    }

    #[test]
    fn the_master_key_comes_from_a_value_a_file_or_a_command() {
        let k = Key::from_bytes([5; 32]);
        let src = KeySource {
            value: Some(k.to_base64()),
            ..KeySource::default()
        };
        assert_eq!(src.master().unwrap(), k);
        let cmd = KeySource {
            command: Some(format!("echo {}", k.to_base64())),
            ..KeySource::default()
        };
        assert_eq!(cmd.master().unwrap(), k);
        let failing = KeySource {
            command: Some("exit 3".into()),
            ..KeySource::default()
        };
        assert!(failing.master().is_err());
        let e = KeySource::default().master().unwrap_err();
        assert!(e.message.contains("CONFGATE_BACKUP_KEY"));
        let missing = KeySource {
            file: Some("/nonexistent/key".into()),
            ..KeySource::default()
        };
        let e = missing.master().unwrap_err();
        assert_eq!(e.file_name(), Some("/nonexistent/key"));
    }
}
