//! Diagnostics: every problem confgate reports that is not a finding — an unreadable or
//! malformed input, a bad setting, a policy that does not load or fails on a document, a
//! broken waiver, baseline, template or schema — is one [`Diagnostic`]: a closed [`Code`]
//! saying what kind of problem it is, a [`Location`] saying where (file, line, column, and
//! the end of the span when known; nothing is invented when the problem has no file), and a
//! one-line message.
//!
//! Callers decide on the code, never on the message text. The JSON `errors` entries keep
//! their contract (`file`, `line`, `message`, and `column` when known) and add `code`.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of problem a diagnostic reports. Stable, kebab-case in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// A file or directory that cannot be read or walked.
    Unreadable,
    /// A file that is not text confgate can read (binary, too large, empty, bad encoding).
    UnsupportedInput,
    /// Malformed YAML or JSON.
    Syntax,
    /// A mapping with the same key twice.
    DuplicateKey,
    /// A document that is not a well-formed Kubernetes object.
    InvalidObject,
    /// A bad value in `confgate.toml`, a flag or a `CONFGATE_*` variable.
    Settings,
    /// The rule catalog (`rules/`) is inconsistent.
    Catalog,
    /// A policy (built-in, user, business) that does not load.
    PolicyLoad,
    /// A policy that failed on one document; its findings there are missing.
    PolicyEval,
    /// A policy that ran out of time on one document (`policy-timeout`).
    PolicyTimeout,
    /// A waiver that is malformed.
    Waiver,
    /// A baseline file that cannot be used.
    Baseline,
    /// A profile, variable, secret source or template of `generate`.
    Generate,
    /// A JSON Schema (for ConfigMap data) that cannot be used.
    Schema,
    /// A report that cannot be written or merged.
    Report,
    /// The system refused a resource confgate needs (worker threads).
    System,
    /// A kubeconfig that cannot be read or names no usable context.
    Kubeconfig,
    /// A cluster that cannot be reached, rejects the credentials, fails TLS or answers
    /// with an error.
    Cluster,
    /// The cluster denied a request (missing RBAC permission): what it covers is missing.
    Forbidden,
    /// A backup store that cannot be reached, read or written.
    Storage,
    /// A backup that is corrupted, incomplete, missing a parent or sealed with another key.
    Backup,
}

impl Code {
    /// What the code means, for documentation and SARIF notifications.
    pub fn describe(self) -> &'static str {
        match self {
            Code::Unreadable => "a file or directory cannot be read",
            Code::UnsupportedInput => "a file is not text confgate can read",
            Code::Syntax => "malformed YAML or JSON",
            Code::DuplicateKey => "a mapping repeats a key",
            Code::InvalidObject => "a document is not a well-formed Kubernetes object",
            Code::Settings => "a setting has a bad value",
            Code::Catalog => "the rule catalog is inconsistent",
            Code::PolicyLoad => "a policy does not load",
            Code::PolicyEval => "a policy failed on a document",
            Code::PolicyTimeout => "a policy ran out of time on a document",
            Code::Waiver => "a waiver is malformed",
            Code::Baseline => "a baseline cannot be used",
            Code::Generate => "a profile, variable, secret or template cannot be used",
            Code::Schema => "a JSON Schema cannot be used",
            Code::Report => "a report cannot be written or merged",
            Code::System => "the system refused a resource (worker threads)",
            Code::Kubeconfig => "a kubeconfig cannot be used",
            Code::Cluster => "a cluster cannot be reached or answered with an error",
            Code::Forbidden => "the cluster denied a request",
            Code::Storage => "a backup store cannot be reached, read or written",
            Code::Backup => "a backup is corrupted, incomplete or sealed with another key",
        }
    }
}

/// Where a problem is: as much as is known, nothing made up.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// Display path (repo-relative where possible, `/`-separated).
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column.
    pub column: Option<u32>,
    /// 1-based line where the span ends, when the problem covers a range.
    pub end_line: Option<u32>,
    /// 1-based column where the span ends (inclusive).
    pub end_column: Option<u32>,
}

/// One problem that is not a finding.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub struct Diagnostic {
    pub code: Code,
    pub location: Location,
    /// One line, without the location.
    pub message: String,
}

impl Diagnostic {
    /// A problem without a location (yet).
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        let message: String = message.into();
        Diagnostic {
            code,
            location: Location::default(),
            message: one_line(&message),
        }
    }

    /// A problem with a file as a whole (`line: null`).
    pub fn in_file(code: Code, file: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, message).file(file)
    }

    /// Sets the file.
    pub fn file(mut self, file: impl Into<String>) -> Diagnostic {
        self.location.file = Some(file.into());
        self
    }

    /// Sets the line.
    pub fn line(mut self, line: impl Into<Option<u32>>) -> Diagnostic {
        self.location.line = line.into();
        self
    }

    /// Sets the column.
    pub fn column(mut self, column: impl Into<Option<u32>>) -> Diagnostic {
        self.location.column = column.into();
        self
    }

    /// Sets the end of the span (line and column, 1-based).
    pub fn end(
        mut self,
        line: impl Into<Option<u32>>,
        column: impl Into<Option<u32>>,
    ) -> Diagnostic {
        self.location.end_line = line.into();
        self.location.end_column = column.into();
        self
    }

    pub fn file_name(&self) -> Option<&str> {
        self.location.file.as_deref()
    }

    pub fn line_number(&self) -> Option<u32> {
        self.location.line
    }

    pub fn column_number(&self) -> Option<u32> {
        self.location.column
    }

    /// The same problem with `f` applied to its message (e.g. to scrub secret values).
    pub fn map_message(mut self, f: impl FnOnce(&str) -> String) -> Diagnostic {
        self.message = f(&self.message);
        self
    }
}

/// The message of a serde error (serde_json, serde_yaml) without the
/// " at line L column C" its `Display` appends: the position belongs in the [`Location`]
/// (from the error's own `line()`/`column()` or `location()`), not in the message. The one
/// place that knows this shape of serde's text.
pub fn serde_message(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(at) if msg[at..].contains(" column ") => &msg[..at],
        _ => msg,
    }
}

/// Messages are one line: newlines inside become spaces.
fn one_line(s: &str) -> String {
    if s.contains(['\n', '\r']) {
        s.split(['\n', '\r'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        s.to_string()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.location;
        match (&l.file, l.line, l.column) {
            (Some(file), Some(line), Some(col)) => write!(f, "{file}:{line}:{col}: ")?,
            (Some(file), Some(line), None) => write!(f, "{file}:{line}: ")?,
            (Some(file), None, _) => write!(f, "{file}: ")?,
            (None, _, _) => {}
        }
        f.write_str(&self.message)
    }
}

/// Ordered by where, then what: the order reports list problems in.
impl Ord for Diagnostic {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.location, &self.message, self.code).cmp(&(
            &other.location,
            &other.message,
            other.code,
        ))
    }
}

impl PartialOrd for Diagnostic {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The JSON shape of an `errors` entry (the contract: `file`, `line`, `message`; `column`,
/// `end_line` and `end_column` when known; `code` added).
#[derive(Serialize, Deserialize)]
struct Wire {
    file: Option<String>,
    line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
    message: String,
    #[serde(default = "unknown_code")]
    code: Code,
}

/// Reports written before codes existed carry none: they read as the most general input
/// code.
fn unknown_code() -> Code {
    Code::UnsupportedInput
}

impl Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            file: self.location.file.clone(),
            line: self.location.line,
            column: self.location.column,
            end_line: self.location.end_line,
            end_column: self.location.end_column,
            message: self.message.clone(),
            code: self.code,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Diagnostic {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = Wire::deserialize(d)?;
        Ok(Diagnostic {
            code: w.code,
            location: Location {
                file: w.file,
                line: w.line,
                column: w.column,
                end_line: w.end_line,
                end_column: w.end_column,
            },
            message: w.message,
        })
    }
}

/// Resident set size of this process now (Linux `VmRSS`), in MiB, for debug logs of where
/// a scan's memory goes (`None` where `/proc` is absent).
pub fn current_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0).round())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_what_is_known_of_the_location() {
        let d = Diagnostic::new(Code::Syntax, "bad")
            .file("a.yaml")
            .line(3)
            .column(7);
        assert_eq!(d.to_string(), "a.yaml:3:7: bad");
        let d = Diagnostic::in_file(Code::UnsupportedInput, "a.yaml", "empty");
        assert_eq!(d.to_string(), "a.yaml: empty");
        assert_eq!(
            Diagnostic::new(Code::Settings, "jobs must be a number").to_string(),
            "jobs must be a number"
        );
    }

    #[test]
    fn serde_positions_are_cut_from_messages() {
        let json = serde_json::from_str::<serde_json::Value>("{\"a\": }");
        let msg = json.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains(" at line 1 column "), "{msg}");
        assert_eq!(serde_message(&msg), "expected value");
        assert_eq!(serde_message("no position here"), "no position here");
        assert_eq!(serde_message("ends at line 3"), "ends at line 3");
    }

    #[test]
    fn messages_are_one_line() {
        let d = Diagnostic::new(Code::PolicyLoad, "first\n  second\r\nthird");
        assert_eq!(d.message, "first second third");
    }

    #[test]
    fn json_keeps_the_errors_contract_and_adds_the_code() {
        let d = Diagnostic::new(Code::DuplicateKey, "duplicate key name")
            .file("a.yaml")
            .line(4)
            .column(3);
        let v = serde_json::to_value(&d).unwrap_or_default();
        assert_eq!(
            v,
            serde_json::json!({"file": "a.yaml", "line": 4, "column": 3,
                "message": "duplicate key name", "code": "duplicate-key"})
        );
        let back: Diagnostic = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, d);
        let whole = serde_json::to_value(Diagnostic::in_file(Code::Unreadable, "b.yaml", "gone"))
            .unwrap_or_default();
        assert_eq!(whole["line"], serde_json::Value::Null);
        assert!(whole.get("column").is_none());
        assert!(whole.get("end_line").is_none());
        assert!(whole.get("end_column").is_none());
    }

    #[test]
    fn a_span_is_serialized_only_when_set() {
        let d = Diagnostic::new(Code::PolicyLoad, "bad rule")
            .file("p.rego")
            .line(2)
            .column(1)
            .end(4, 9);
        let v = serde_json::to_value(&d).unwrap_or_default();
        assert_eq!(v["end_line"], 4);
        assert_eq!(v["end_column"], 9);
        let back: Diagnostic = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, d);
        assert_eq!(d.to_string(), "p.rego:2:1: bad rule");
    }

    #[test]
    fn ordered_by_location_then_message() {
        let a = Diagnostic::new(Code::Syntax, "z").file("a.yaml").line(9);
        let b = Diagnostic::new(Code::Unreadable, "a")
            .file("b.yaml")
            .line(1);
        let c = Diagnostic::new(Code::Syntax, "a").file("a.yaml").line(9);
        let mut v = vec![b.clone(), a.clone(), c.clone()];
        v.sort();
        assert_eq!(v, vec![c, a, b]);
    }
}
