//! The one reader of regorus's failures.
//!
//! regorus reports a load or runtime error as text: a code frame (`--> file:line:col`, the
//! source line, a caret, `error: message`), sometimes after warnings. Reports want one line
//! naming the user's file and line; this module turns the text into that, mapping the labels
//! sources were added under back to files (Rego embedded in YAML sits at an offset).
//! Running out of time is recognised by its type (`LimitError`, `VmError`), never by text.

use regorus::LimitError;
use regorus::rvm::vm::VmError;

use super::PolicySource;
use crate::diag::{Code, Diagnostic};

/// regorus reports errors as a code frame (`--> file:line:col`, the source line, a caret,
/// `error: message`); reports want one line: `file:line:col: message`.
pub fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let location = lines
        .iter()
        .find_map(|l| l.strip_prefix("-->"))
        .map(str::trim);
    let message = lines
        .iter()
        .find_map(|l| l.strip_prefix("error:"))
        .map(str::trim);
    match (location, message) {
        (Some(l), Some(m)) => format!("{l}: {m}"),
        (None, Some(m)) => m.to_string(),
        _ => lines
            .iter()
            .find(|l| !l.starts_with('|') && !l.starts_with("-->"))
            .or(lines.first())
            .map_or_else(|| "unknown error".to_string(), |l| l.to_string()),
    }
}

/// Did this evaluation stop because it ran out of time?
pub(crate) fn timed_out(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        matches!(
            c.downcast_ref::<LimitError>(),
            Some(LimitError::TimeLimitExceeded { .. })
        ) || matches!(
            c.downcast_ref::<VmError>(),
            Some(VmError::TimeLimitExceeded { .. })
        )
    })
}

/// Did the evaluation fail because the rule path names no rule? regorus says so only in
/// text; this is the one place that reads it.
pub(crate) fn no_such_rule(err: &anyhow::Error) -> bool {
    format!("{err:#}").contains("not a valid rule path")
}

/// Did this VM run stop because it ran out of time?
pub(crate) fn vm_timed_out(err: &VmError) -> bool {
    matches!(err, VmError::TimeLimitExceeded { .. })
}

/// Where the Rego given to regorus under `label` sits in a user's file: for Rego embedded
/// in YAML (ConstraintTemplates), line `l` of the Rego is line `l + line_offset` of `file`.
#[derive(Clone, Debug)]
struct Mapped {
    label: String,
    file: String,
    line_offset: u32,
    column_offset: u32,
}

/// Maps regorus error locations back to users' files and lines.
#[derive(Clone, Debug, Default)]
pub(crate) struct SourceMap(Vec<Mapped>);

impl SourceMap {
    /// Sources handed to regorus under their own paths (the built-in library, tests).
    pub(crate) fn of(sources: &[PolicySource]) -> SourceMap {
        let mut map = SourceMap::default();
        for s in sources {
            map.add(&s.path, &s.path, 0, 0);
        }
        map
    }

    pub(crate) fn add(&mut self, label: &str, file: &str, line_offset: u32, column_offset: u32) {
        self.0.push(Mapped {
            label: label.to_string(),
            file: file.to_string(),
            line_offset,
            column_offset,
        });
        // Longest labels first, so that no label shadows a longer one it prefixes.
        self.0.sort_by_key(|m| std::cmp::Reverse(m.label.len()));
    }

    /// `label:L:C: message` → (file, line, column, message). A label met later in the text
    /// (a message that quotes a location) gives the file and line, the whole text the
    /// message.
    pub(crate) fn locate(&self, text: &str) -> Option<(String, u32, u32, String)> {
        for m in &self.0 {
            let prefix = format!("{}:", m.label);
            let Some(rest) = text.strip_prefix(&prefix) else {
                continue;
            };
            let mut parts = rest.splitn(3, ':');
            let line: u32 = parts.next()?.trim().parse().ok()?;
            let (col, message) = match (parts.next(), parts.next()) {
                (Some(c), Some(msg)) => match c.trim().parse::<u32>() {
                    Ok(c) => (c, msg.trim().to_string()),
                    Err(_) => (0, format!("{c}:{msg}").trim().to_string()),
                },
                (Some(msg), None) => (0, msg.trim().to_string()),
                _ => (0, String::new()),
            };
            let col = if col > 0 { col + m.column_offset } else { 0 };
            return Some((m.file.clone(), line + m.line_offset, col, message));
        }
        for m in &self.0 {
            let Some(at) = text.find(&format!("{}:", m.label)) else {
                continue;
            };
            let rest = &text[at + m.label.len() + 1..];
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let line: u32 = rest[..digits].parse().ok()?;
            return Some((m.file.clone(), line + m.line_offset, 0, text.to_string()));
        }
        None
    }

    /// A load error naming the user's file and line.
    pub(crate) fn policy_error(&self, err: &anyhow::Error) -> Diagnostic {
        self.located(err).unwrap_or_else(|text| {
            let d = Diagnostic::new(Code::PolicyLoad, text);
            match self.0.first() {
                Some(m) => d.file(m.file.clone()),
                None => d,
            }
        })
    }

    /// The error at its file and line, or its one-line text when it names no source.
    pub(crate) fn located(&self, err: &anyhow::Error) -> Result<Diagnostic, String> {
        let text = one_line(&format!("{err:#}"));
        match self.locate(&text) {
            Some((file, line, _, message)) => Ok(Diagnostic::new(Code::PolicyLoad, message)
                .file(file)
                .line(Some(line))),
            None => Err(text),
        }
    }

    /// A runtime error as one line: `file:line:col: message`.
    pub(crate) fn runtime(&self, text: &str) -> String {
        let text = one_line(text);
        match self.locate(&text) {
            Some((file, line, col, message)) if col > 0 => {
                format!("{file}:{line}:{col}: {message}")
            }
            Some((file, line, _, message)) => format!("{file}:{line}: {message}"),
            None => text,
        }
    }
}
