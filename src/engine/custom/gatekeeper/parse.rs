//! ConstraintTemplates and Constraints as written: parsed and checked, with one-line errors
//! naming the file and line.

use crate::diag::Diagnostic;
use crate::document::{Node, NodeKind};
use crate::engine::custom::{RegoVersion, yaml_documents};

use super::matching::Match;
use super::nodes::{at, bad, key_line, line, text};

/// The Gatekeeper target templates must be written for.
const TARGET: &str = "admission.k8s.gatekeeper.sh";

/// A ConstraintTemplate or a Constraint read from a file.
#[derive(Debug)]
pub(crate) enum Object {
    Template(TemplateDef),
    Constraint(ConstraintDef),
}

/// A piece of Rego embedded in a template.
#[derive(Clone, Debug)]
pub(crate) struct Unit {
    pub label: String,
    pub text: String,
    pub line_offset: u32,
    pub column_offset: u32,
    pub version: Option<RegoVersion>,
}

/// A ConstraintTemplate as written.
#[derive(Clone, Debug)]
pub(crate) struct TemplateDef {
    pub file: String,
    pub line: u32,
    pub kind: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// The template's Rego first, then its libs.
    pub units: Vec<Unit>,
}

/// What a constraint does with a violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Deny,
    Warn,
    Dryrun,
}

impl Action {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::Deny => "deny",
            Action::Warn => "warn",
            Action::Dryrun => "dryrun",
        }
    }
}

/// A Constraint as written.
#[derive(Clone, Debug)]
pub(crate) struct ConstraintDef {
    pub file: String,
    pub line: u32,
    pub kind: String,
    pub name: String,
    pub action: Action,
    pub matcher: Match,
    pub parameters: serde_json::Value,
}

/// The objects of one policy file that are Gatekeeper templates or constraints; other
/// documents (sample objects, test suites, …) are ignored. A file that does not mention
/// `gatekeeper.sh` is not parsed at all.
pub(crate) fn objects_in(file: &str, source: &str) -> Result<Vec<Object>, Diagnostic> {
    if !source.contains("gatekeeper.sh") {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for doc in yaml_documents(file, source)? {
        let root = &doc.root;
        let api_version = root.get("apiVersion").and_then(text).unwrap_or_default();
        let kind = root.get("kind").and_then(text).unwrap_or_default();
        let group = api_version.split('/').next().unwrap_or_default();
        if group == "templates.gatekeeper.sh" && kind == "ConstraintTemplate" {
            out.push(Object::Template(template_def(file, source, root)?));
        } else if group == "constraints.gatekeeper.sh" && !kind.is_empty() {
            out.push(Object::Constraint(constraint_def(file, root, kind)?));
        }
    }
    Ok(out)
}

fn template_def(file: &str, source: &str, root: &Node) -> Result<TemplateDef, Diagnostic> {
    let start = line(root);
    let name = at(root, &["metadata", "name"])
        .and_then(text)
        .ok_or_else(|| bad(file, start, "ConstraintTemplate has no metadata.name"))?;
    let kind = at(root, &["spec", "crd", "spec", "names", "kind"])
        .and_then(text)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            bad(
                file,
                root.get("spec").map_or(start, line),
                format!("ConstraintTemplate {name} has no spec.crd.spec.names.kind"),
            )
        })?;
    if name != kind.to_lowercase() {
        let l = root.get("metadata").map_or(start, |m| key_line(m, "name"));
        return Err(bad(
            file,
            l,
            format!(
                "ConstraintTemplate name {name:?} must be its kind in lower case ({:?})",
                kind.to_lowercase()
            ),
        ));
    }
    let spec_line = root.get("spec").map_or(start, line);
    let targets = match root
        .get("spec")
        .and_then(|s| s.get("targets"))
        .map(|t| &t.kind)
    {
        Some(NodeKind::Seq(items)) if !items.is_empty() => items,
        _ => {
            return Err(bad(
                file,
                spec_line,
                format!("ConstraintTemplate {name} has no spec.targets"),
            ));
        }
    };
    if targets.len() > 1 {
        return Err(bad(
            file,
            line(&targets[1]),
            format!(
                "ConstraintTemplate {name} has {} targets; Gatekeeper allows one",
                targets.len()
            ),
        ));
    }
    let target = &targets[0];
    match target.get("target").and_then(text) {
        Some(TARGET) => {}
        other => {
            return Err(bad(
                file,
                key_line(target, "target"),
                format!(
                    "ConstraintTemplate {name}: target must be {TARGET}, got {}",
                    other.map_or_else(|| "nothing".to_string(), |t| format!("{t:?}"))
                ),
            ));
        }
    }
    // `code[]` with `engine: Rego` (Gatekeeper ≥ 3.13), else the legacy `rego` + `libs`.
    let code_rego = match target.get("code").map(|c| &c.kind) {
        Some(NodeKind::Seq(items)) => items
            .iter()
            .find(|c| c.get("engine").and_then(text) == Some("Rego")),
        _ => None,
    };
    let (holder, version) = match code_rego {
        Some(code) => {
            let source = code.get("source").ok_or_else(|| {
                bad(
                    file,
                    line(code),
                    format!("ConstraintTemplate {name}: the Rego code has no source"),
                )
            })?;
            let version = match source.get("version").and_then(text) {
                Some("v1") => Some(RegoVersion::V1),
                Some("v0") => Some(RegoVersion::V0),
                None => None,
                Some(v) => {
                    return Err(bad(
                        file,
                        key_line(source, "version"),
                        format!(
                            "ConstraintTemplate {name}: Rego version must be v0 or v1, got {v:?}"
                        ),
                    ));
                }
            };
            (source, version)
        }
        None => (target, None),
    };
    let rego_node = holder.get("rego").ok_or_else(|| {
        let engines: Vec<&str> = match target.get("code").map(|c| &c.kind) {
            Some(NodeKind::Seq(items)) => items
                .iter()
                .filter_map(|c| c.get("engine").and_then(text))
                .collect(),
            _ => Vec::new(),
        };
        let why = if engines.is_empty() {
            String::new()
        } else {
            format!(" (only Rego is supported; found {})", engines.join(", "))
        };
        bad(
            file,
            line(holder),
            format!("ConstraintTemplate {name} has no Rego{why}"),
        )
    })?;
    let rego = text(rego_node)
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| {
            bad(
                file,
                line(rego_node),
                format!("ConstraintTemplate {name}: rego must be a non-empty string"),
            )
        })?;
    let mut units = vec![embedded(
        source,
        format!("{file}#{kind}"),
        rego,
        rego_node,
        version,
    )];
    if let Some(libs) = holder.get("libs") {
        let NodeKind::Seq(items) = &libs.kind else {
            return Err(bad(file, line(libs), "libs must be a list of Rego sources"));
        };
        for (i, lib) in items.iter().enumerate() {
            let t = text(lib)
                .ok_or_else(|| bad(file, line(lib), "libs must be a list of Rego sources"))?;
            units.push(embedded(
                source,
                format!("{file}#{kind}.libs[{i}]"),
                t,
                lib,
                version,
            ));
        }
    }
    let annotations = at(root, &["metadata", "annotations"]);
    let annotation = |k: &str| {
        annotations
            .and_then(|a| a.get(k))
            .and_then(text)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    Ok(TemplateDef {
        file: file.to_string(),
        line: start,
        kind: kind.to_string(),
        title: annotation("metadata.gatekeeper.sh/title"),
        description: annotation("description"),
        units,
    })
}

/// Rego embedded in YAML, with the offsets that map its lines and columns back to the file.
fn embedded(
    source: &str,
    label: String,
    rego: &str,
    node: &Node,
    version: Option<RegoVersion>,
) -> Unit {
    let start = node.span.start;
    let lines: Vec<&str> = source.lines().collect();
    // Find the first non-blank Rego line in the file, at or after the scalar's start: that
    // gives the offsets of a block scalar (`rego: |`, `- |`) exactly.
    let first = rego.lines().enumerate().find(|(_, l)| !l.trim().is_empty());
    let from = (start.line as usize).saturating_sub(1);
    let found = first.and_then(|(k, content)| {
        lines
            .iter()
            .enumerate()
            .skip(from)
            .take(rego.lines().count() + 2)
            .find(|(_, l)| l.trim() == content.trim())
            .map(|(j, l)| {
                let indent = |s: &str| s.len() - s.trim_start().len();
                (
                    (j + 1).saturating_sub(k + 1) as u32,
                    indent(l).saturating_sub(indent(content)) as u32,
                )
            })
    });
    let (line_offset, column_offset) =
        found.unwrap_or((start.line.saturating_sub(1), start.column.saturating_sub(1)));
    Unit {
        label,
        text: rego.to_string(),
        line_offset,
        column_offset,
        version,
    }
}

fn constraint_def(file: &str, root: &Node, kind: &str) -> Result<ConstraintDef, Diagnostic> {
    let start = line(root);
    let name = at(root, &["metadata", "name"])
        .and_then(text)
        .ok_or_else(|| {
            bad(
                file,
                start,
                format!("{kind} constraint has no metadata.name"),
            )
        })?
        .to_string();
    let spec = root.get("spec");
    let action = match spec {
        Some(spec) => action(file, spec, &name)?,
        None => Action::Deny,
    };
    let matcher = match spec.and_then(|s| s.get("match")) {
        Some(m) => Match::parse(file, m)?,
        None => Match::default(),
    };
    let parameters = spec
        .and_then(|s| s.get("parameters"))
        .map(Node::to_json)
        .filter(|p| !p.is_null())
        .unwrap_or_else(|| serde_json::json!({}));
    Ok(ConstraintDef {
        file: file.to_string(),
        line: start,
        kind: kind.to_string(),
        name,
        action,
        matcher,
        parameters,
    })
}

fn action(file: &str, spec: &Node, name: &str) -> Result<Action, Diagnostic> {
    let parse = |s: &str| match s.to_ascii_lowercase().as_str() {
        "deny" => Some(Action::Deny),
        "warn" => Some(Action::Warn),
        "dryrun" => Some(Action::Dryrun),
        _ => None,
    };
    let Some(value) = spec.get("enforcementAction") else {
        return Ok(Action::Deny);
    };
    let l = key_line(spec, "enforcementAction");
    let v = text(value).unwrap_or_default();
    if v.eq_ignore_ascii_case("scoped") {
        // The strongest action of any enforcement point.
        let mut strongest = None;
        if let Some(NodeKind::Seq(items)) = spec.get("scopedEnforcementActions").map(|s| &s.kind) {
            for item in items {
                let a = item
                    .get("action")
                    .and_then(text)
                    .and_then(parse)
                    .ok_or_else(|| {
                        bad(
                            file,
                            line(item),
                            "scopedEnforcementActions[].action must be deny, warn or dryrun",
                        )
                    })?;
                strongest = Some(match (strongest, a) {
                    (Some(Action::Deny), _) | (_, Action::Deny) => Action::Deny,
                    (Some(Action::Warn), _) | (_, Action::Warn) => Action::Warn,
                    _ => Action::Dryrun,
                });
            }
        }
        return strongest.ok_or_else(|| {
            bad(
                file,
                l,
                format!(
                    "constraint {name}: enforcementAction scoped needs scopedEnforcementActions"
                ),
            )
        });
    }
    parse(v).ok_or_else(|| {
        bad(
            file,
            l,
            format!("constraint {name}: enforcementAction must be deny, warn, dryrun or scoped, got {v:?}"),
        )
    })
}
