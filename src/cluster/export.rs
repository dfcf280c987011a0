//! `cluster export`: the cleaned live state as one YAML file per object in a stable tree
//! (`<context>/<namespace>/<kind>/<name>.yaml`) or as one multi-document stream. Secret
//! values are written only when asked for (`--include-secrets`); otherwise a Secret keeps its
//! keys with empty values and says so in an annotation.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diag::{Code, Diagnostic};

use super::live;
use super::read::LiveObject;

/// The annotation a redacted Secret carries in an export.
pub const REDACTED: &str = "confgate.dev/redacted";

/// Empties the values of a Secret's `data` and `stringData` (keys kept); true when it was
/// a Secret with values.
pub fn redact_secret(obj: &mut Value) -> bool {
    if obj.get("kind").and_then(Value::as_str) != Some("Secret") {
        return false;
    }
    let mut redacted = false;
    for field in ["data", "stringData"] {
        if let Some(Value::Object(m)) = obj.get_mut(field) {
            for v in m.values_mut() {
                *v = Value::String(String::new());
                redacted = true;
            }
        }
    }
    if redacted && let Some(Value::Object(meta)) = obj.get_mut("metadata") {
        let ann = meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Value::Object(a) = ann {
            a.insert(
                REDACTED.into(),
                Value::String(
                    "values removed by confgate cluster export; use --include-secrets".into(),
                ),
            );
        }
    }
    redacted
}

/// Where an export goes.
#[derive(Clone, Debug)]
pub enum Layout {
    /// One file per object under this directory.
    Tree(PathBuf),
    /// One multi-document stream (to a file or stdout).
    Stream,
}

/// Collects or writes the objects of an export as they are read.
pub struct Exporter {
    layout: Layout,
    include_secrets: bool,
    /// For a stream: (origin, text), sorted at the end for a stable order.
    stream: Vec<(String, String)>,
    pub written: usize,
    pub redacted: usize,
    pub errors: Vec<Diagnostic>,
}

impl Exporter {
    pub fn new(layout: Layout, include_secrets: bool) -> Exporter {
        Exporter {
            layout,
            include_secrets,
            stream: Vec::new(),
            written: 0,
            redacted: 0,
            errors: Vec::new(),
        }
    }

    /// Takes one page of objects.
    pub fn add(&mut self, objects: Vec<LiveObject>) {
        for mut o in objects {
            if !self.include_secrets && redact_secret(&mut o.object) {
                self.redacted += 1;
            }
            let text = match live::to_yaml(&o.object) {
                Ok(t) => t,
                Err(e) => {
                    self.errors.push(
                        Diagnostic::new(Code::InvalidObject, format!("cannot render as YAML: {e}"))
                            .file(live::origin(&o)),
                    );
                    continue;
                }
            };
            match &self.layout {
                Layout::Tree(dir) => {
                    let path = dir.join(format!("{}.yaml", live::relative_path(&o)));
                    match write_file(&path, text.as_bytes()) {
                        Ok(()) => self.written += 1,
                        Err(e) => self.errors.push(e),
                    }
                }
                Layout::Stream => {
                    self.stream.push((live::origin(&o), text));
                    self.written += 1;
                }
            }
        }
    }

    /// The stream's text (empty for a tree): documents in origin order, each preceded by a
    /// comment naming its origin.
    pub fn finish(mut self) -> (String, usize, usize, Vec<Diagnostic>) {
        self.stream.sort();
        let mut out = String::new();
        for (origin, text) in &self.stream {
            out.push_str("---\n# ");
            out.push_str(origin);
            out.push('\n');
            out.push_str(text);
        }
        (out, self.written, self.redacted, self.errors)
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    let shown = path.display().to_string();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| {
            Diagnostic::new(Code::Report, format!("cannot create directory: {e}"))
                .file(parent.display().to_string())
        })?;
    }
    crate::fsutil::write_atomic(path, bytes)
        .map_err(|e| Diagnostic::new(Code::Report, format!("cannot write: {e}")).file(shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_lose_their_values_and_say_so() {
        let mut s: Value = serde_yaml::from_str(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: aHVudGVyMg==}\nstringData: {token: abc}\n",
        )
        .unwrap();
        assert!(redact_secret(&mut s));
        assert_eq!(s["data"]["password"], "");
        assert_eq!(s["stringData"]["token"], "");
        assert!(s["metadata"]["annotations"][REDACTED].is_string());
        let text = serde_json::to_string(&s).unwrap();
        assert!(!text.contains("aHVudGVyMg") && !text.contains("abc"));
        let mut cm: Value = serde_yaml::from_str(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
        )
        .unwrap();
        assert!(!redact_secret(&mut cm));
        assert_eq!(cm["data"]["a"], "b");
    }
}
