//! conftest rules as written in Rego sources: which heads are `deny`/`violation`/`warn`
//! (with a `_suffix`) or `exception` rules, where they are, the `# METADATA` title and
//! description above them, and the catalog entries they become.

use crate::catalog::Rule;
use crate::engine::PolicySource;

use super::super::{Severities, user_rule};

/// What a rule reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Deny,
    Violation,
    Warn,
}

impl Kind {
    pub(super) fn of(name: &str) -> Option<Kind> {
        let is = |prefix: &str| {
            name == prefix
                || name
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('_') && rest.len() > 1)
        };
        if is("deny") {
            Some(Kind::Deny)
        } else if is("violation") {
            Some(Kind::Violation)
        } else if is("warn") {
            Some(Kind::Warn)
        } else {
            None
        }
    }
}

/// A rule head found in a source file.
#[derive(Clone, Debug)]
pub(super) struct Head {
    pub(super) package: String,
    pub(super) name: String,
    pub(super) file: String,
    pub(super) line: u32,
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
}

/// Rule heads at the start of a line: `deny…`, `violation…`, `warn…` and `exception`, with
/// the `# METADATA` block (title, description) right above them when there is one.
pub(super) fn find_heads(src: &PolicySource, package: &str) -> Vec<Head> {
    let lines: Vec<&str> = src.text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() || (Kind::of(&name).is_none() && name != "exception") {
            continue;
        }
        let rest = line[name.len()..].trim_start();
        let is_rule = rest.starts_with('[')
            || rest.starts_with('{')
            || rest.starts_with(":=")
            || rest.starts_with('=')
            || rest.starts_with("contains ")
            || rest.starts_with("if ")
            || rest.starts_with("if{");
        if !is_rule {
            continue;
        }
        let (title, description) = metadata_above(&lines, i);
        out.push(Head {
            package: package.to_string(),
            name,
            file: src.path.clone(),
            line: i as u32 + 1,
            title,
            description,
        });
    }
    out
}

/// `title` and `description` of a `# METADATA` comment block ending right above line `i`.
fn metadata_above(lines: &[&str], i: usize) -> (Option<String>, Option<String>) {
    let mut start = i;
    while start > 0 && lines[start - 1].trim_start().starts_with('#') {
        start -= 1;
    }
    let block = &lines[start..i];
    if block.first().is_none_or(|l| l.trim() != "# METADATA") {
        return (None, None);
    }
    let yaml: String = block[1..]
        .iter()
        .map(|l| {
            let l = l.trim_start().trim_start_matches('#');
            l.strip_prefix(' ').unwrap_or(l).to_string() + "\n"
        })
        .collect();
    let (docs, _) = crate::source::yaml::parse_all(&yaml);
    let Some(doc) = docs.first() else {
        return (None, None);
    };
    let json = doc.root.to_json();
    let text = |k: &str| {
        json.get(k)
            .and_then(|v| v.as_str())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    (text("title"), text("description"))
}

pub(super) fn rule_for(h: &Head, kind: Kind, sev: &Severities) -> Rule {
    let severity = match kind {
        Kind::Deny | Kind::Violation => sev.deny,
        Kind::Warn => sev.warn,
    };
    let what = match kind {
        Kind::Deny => "deny",
        Kind::Violation => "violation",
        Kind::Warn => "warn",
    };
    let summary = h.title.clone().unwrap_or_else(|| {
        format!(
            "Reported by the conftest policy data.{}.{}",
            h.package, h.name
        )
    });
    let remediation = match kind {
        Kind::Warn => "Change the configuration as the message says".to_string(),
        Kind::Deny | Kind::Violation => format!(
            "Change the configuration as the message says, or add an exception for \"{}\" in package {}",
            h.name.trim_start_matches(what).trim_start_matches('_'),
            h.package
        ),
    };
    let mut help = format!(
        "User policy (conftest `{what}` rule) `data.{}.{}`, defined in `{}` at line {}.",
        h.package, h.name, h.file, h.line
    );
    if let Some(d) = &h.description {
        help.push_str("\n\n");
        help.push_str(d);
    }
    help.push_str("\n\nEach finding carries the message the policy returned.");
    user_rule(
        format!("conftest/{}/{}", h.package, h.name),
        format!("{}.{}", h.package, h.name),
        severity,
        summary,
        remediation,
        help,
    )
}
