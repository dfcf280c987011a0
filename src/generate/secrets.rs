//! Secret values: where they come from (an environment variable, a file, a command) and how
//! they are kept out of every output.
//!
//! A secret value never appears in an error message, a log line or a diff. Messages name the
//! variable and its source only; [`Redactor`] scrubs any text that leaves the generator as a
//! second line of defence (raw value, its base64 form and its JSON-escaped form).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// What a masked secret value is shown as.
pub const REDACTED: &str = "<redacted>";
/// A masked secret value that differs from the one in the current output.
pub const REDACTED_CHANGED: &str = "<redacted:changed>";

/// Values shorter than this are not scrubbed from free text (a one-letter "secret" would
/// garble every message); they are still masked structurally in Secret manifests.
const MIN_SCRUB_LEN: usize = 4;

/// Default time limit of a `from: command` source.
const DEFAULT_COMMAND_TIMEOUT: u64 = 30;

/// Where a secret variable's value comes from.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "from", rename_all = "lowercase", deny_unknown_fields)]
pub enum SecretSource {
    /// An environment variable of the generator's process.
    Env { name: String },
    /// A file, relative to the profile directory; one trailing newline is dropped unless
    /// `trim: false`.
    File {
        path: PathBuf,
        #[serde(default)]
        trim: Option<bool>,
    },
    /// A program run without a shell (`run: [argv0, args…]`) whose standard output is the
    /// value; its standard error is discarded, never shown.
    Command {
        run: Vec<String>,
        /// Seconds before the command is stopped (default 30).
        #[serde(default)]
        timeout: Option<u64>,
        #[serde(default)]
        trim: Option<bool>,
    },
}

impl SecretSource {
    /// A description of the source that holds no secret: `environment variable DB_PASSWORD`.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Env { name } => format!("environment variable {name}"),
            SecretSource::File { path, .. } => format!("file {}", path.display()),
            SecretSource::Command { run, .. } => format!(
                "command `{}`",
                run.first().map(String::as_str).unwrap_or_default()
            ),
        }
    }

    /// Checks the declaration itself (before anything is read).
    pub fn check(&self) -> Result<(), String> {
        match self {
            SecretSource::Env { name } if name.trim().is_empty() => {
                Err("secret `from: env` needs a non-empty `name`".to_string())
            }
            SecretSource::File { path, .. } if path.as_os_str().is_empty() => {
                Err("secret `from: file` needs a non-empty `path`".to_string())
            }
            SecretSource::Command { run, .. } if run.first().is_none_or(|a| a.is_empty()) => {
                Err("secret `from: command` needs `run: [program, args…]`".to_string())
            }
            SecretSource::Command {
                timeout: Some(0), ..
            } => Err("secret `from: command` needs a timeout of at least 1 second".to_string()),
            _ => Ok(()),
        }
    }

    /// Reads the value. `Ok(None)` means the source has no value (unset or empty variable);
    /// `Err` a source that exists but could not be read. Neither carries the value.
    pub fn resolve(&self, base: &Path) -> Result<Option<String>, String> {
        match self {
            SecretSource::Env { name } => match std::env::var_os(name) {
                None => Ok(None),
                Some(v) if v.is_empty() => Ok(None),
                Some(v) => v
                    .into_string()
                    .map(Some)
                    .map_err(|_| format!("environment variable {name} is not valid UTF-8")),
            },
            SecretSource::File { path, trim } => {
                let full = base.join(path);
                let bytes = std::fs::read(&full).map_err(|e| {
                    format!("cannot read file {}: {}", path.display(), io_reason(&e))
                })?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| format!("file {} is not valid UTF-8", path.display()))?;
                let value = if trim.unwrap_or(true) {
                    trim_newline(text)
                } else {
                    text
                };
                Ok(Some(value).filter(|v| !v.is_empty()))
            }
            SecretSource::Command { run, timeout, trim } => {
                let out = run_command(
                    run,
                    base,
                    Duration::from_secs(timeout.unwrap_or(DEFAULT_COMMAND_TIMEOUT)),
                )?;
                let value = if trim.unwrap_or(true) {
                    trim_newline(out)
                } else {
                    out
                };
                Ok(Some(value).filter(|v| !v.is_empty()))
            }
        }
    }
}

/// The reason of an I/O error without the path (callers name the path themselves).
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Drops one trailing line break (`\n` or `\r\n`), as `echo secret > file` adds one.
fn trim_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    s
}

/// Runs `argv` (no shell) in `dir` with no input, capturing standard output; standard error
/// is discarded because it may echo the secret.
fn run_command(argv: &[String], dir: &Path, limit: Duration) -> Result<String, String> {
    let program = argv.first().map(String::as_str).unwrap_or_default();
    let mut child = Command::new(program)
        .args(&argv[1.min(argv.len())..])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run command `{program}`: {}", io_reason(&e)))?;
    let reader = child.stdout.take().map(|mut out| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            out.read_to_end(&mut buf).map(|_| buf)
        })
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "command `{program}` did not finish within {} s",
                    limit.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("command `{program}`: {e}")),
        }
    };
    let bytes = match reader.map(std::thread::JoinHandle::join) {
        Some(Ok(Ok(b))) => b,
        _ => return Err(format!("cannot read the output of command `{program}`")),
    };
    if !status.success() {
        let how = status
            .code()
            .map_or_else(|| "was killed".to_string(), |c| format!("exited with {c}"));
        return Err(format!("command `{program}` {how}"));
    }
    String::from_utf8(bytes).map_err(|_| format!("command `{program}` printed invalid UTF-8"))
}

/// Scrubs secret values out of text that leaves the generator.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Needles, longest first, so a value containing another is replaced whole.
    needles: Vec<String>,
}

impl Redactor {
    /// Registers a secret value (with its base64, JSON-escaped and YAML-quoted forms).
    pub fn add(&mut self, value: &str) {
        if value.chars().count() < MIN_SCRUB_LEN {
            return;
        }
        let mut forms = vec![
            value.to_string(),
            base64_encode(value.as_bytes()),
            // As a single-quoted YAML scalar writes it.
            value.replace('\'', "''"),
        ];
        if let Ok(json) = serde_json::to_string(value) {
            let inner = json.trim_matches('"').to_string();
            forms.push(inner);
        }
        for f in forms {
            if !self.needles.contains(&f) {
                self.needles.push(f);
            }
        }
        self.needles
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `text` with every registered value replaced by `<redacted>`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for n in &self.needles {
            if out.contains(n.as_str()) {
                out = out.replace(n.as_str(), REDACTED);
            }
        }
        out
    }

    /// Like [`Redactor::scrub`] for bytes that are UTF-8 (anything else is returned as is).
    pub fn scrub_bytes(&self, bytes: Vec<u8>) -> Vec<u8> {
        if self.needles.is_empty() {
            return bytes;
        }
        match String::from_utf8(bytes) {
            Ok(s) => self.scrub(&s).into_bytes(),
            Err(e) => e.into_bytes(),
        }
    }
}

/// Standard base64 (RFC 4648 alphabet). Encoding pads; decoding requires canonical
/// padding and no whitespace, and, like Go's `StdEncoding` that the API server uses, lets
/// non-zero bits after the last byte through (`Zm9=` is `fo`).
const B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Standard base64 with padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    base64::Engine::encode(&B64, bytes)
}

/// Decodes standard base64 (padding required, no whitespace), as Kubernetes does for
/// Secret `data`.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    base64::Engine::decode(&B64, s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar", "ü€\n"] {
            let e = base64_encode(s.as_bytes());
            assert_eq!(base64_decode(&e).as_deref(), Some(s.as_bytes()), "{s:?}");
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert!(base64_decode("Zm9").is_none());
        assert!(base64_decode("Zm=v").is_none());
        assert!(base64_decode("not base64!").is_none());
    }

    #[test]
    fn base64_decoding_is_as_strict_as_the_api_server() {
        assert!(base64_decode("Zm8").is_none(), "padding is required");
        assert!(base64_decode("Zm8=\n").is_none(), "no whitespace");
        assert!(base64_decode("Zm 8=").is_none(), "no whitespace");
        assert!(base64_decode("Zm8==").is_none());
        assert!(
            base64_decode("Zg==Zg==").is_none(),
            "padding only at the end"
        );
        assert_eq!(base64_decode("Zm9=").as_deref(), Some(&b"fo"[..]));
    }

    #[test]
    fn redactor_scrubs_raw_and_encoded_forms() {
        let mut r = Redactor::default();
        r.add("hunter22");
        r.add("a\"b\nc");
        r.add("it's-secret");
        let text = format!(
            "x hunter22 {} a\\\"b\\nc 'it''s-secret'",
            base64_encode(b"hunter22")
        );
        assert_eq!(
            r.scrub(&text),
            "x <redacted> <redacted> <redacted> '<redacted>'".to_string()
        );
    }

    #[test]
    fn secret_sources_parse_strictly() {
        let s: SecretSource =
            serde_yaml::from_str("{from: env, name: DB}").unwrap_or(SecretSource::Env {
                name: String::new(),
            });
        assert_eq!(
            s,
            SecretSource::Env {
                name: "DB".to_string()
            }
        );
        assert!(serde_yaml::from_str::<SecretSource>("{from: env, nme: DB}").is_err());
        assert!(serde_yaml::from_str::<SecretSource>("{from: vault, name: DB}").is_err());
    }
}
