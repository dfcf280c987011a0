//! Profiles: typed variables with inheritance base → environment → local overrides → `--set`.
//!
//! A profile is a YAML file in the profile directory (not a Kubernetes object, so scans skip
//! it):
//!
//! ```yaml
//! extends: base            # optional; an environment profile extends base.yaml by default
//! namespace: shop-prod     # optional; overrides the `namespace` pattern of confgate.toml
//! variables:               # declarations, merged key by key along the chain
//!   replicas: {type: int, default: 1, min: 1, max: 20}
//!   log_level: {type: string, enum: [debug, info, warning, error], default: info}
//!   db_password: {type: string, secret: {from: env, name: DB_PASSWORD}}
//! values:                  # values, deep-merged along the chain (maps merge, lists replace)
//!   replicas: 3
//! ```
//!
//! The chain for `--environment prod` is `base.yaml` → (whatever `prod.yaml` extends) →
//! `prod.yaml` → `prod.local.yaml` (when present) → `--set key=value`. Every problem names the
//! profile file (with the line when known), the variable and what is wrong. Secret values are
//! never part of a message.
//!
//! This file finds and reads the chain; [`merge`] folds it into one set of declarations and
//! values, and [`vars`] holds the typed-variable rules every value is checked against.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::secrets::{Redactor, SecretSource};
use crate::diag::Diagnostic;
use crate::document::{FieldPath, Node, Seg};

mod merge;
mod vars;

pub use merge::deep_merge;
use merge::{Merged, deep_merged};
pub use vars::VarType;
use vars::{check_value, to_json};

/// The profile every environment extends unless it says otherwise.
pub const BASE_PROFILE: &str = "base";
/// Names the generator puts into every template context itself.
pub const RESERVED: [&str; 2] = ["environment", "namespace"];
/// Longest `extends` chain.
const MAX_CHAIN: usize = 16;

/// The top level of a profile file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileDoc {
    #[serde(default)]
    extends: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    variables: BTreeMap<String, Yaml>,
    #[serde(default)]
    values: BTreeMap<String, Yaml>,
}

/// One loaded profile file.
struct ProfileFile {
    display: String,
    tree: Option<Node>,
    doc: ProfileDoc,
}

impl ProfileFile {
    /// Line of `section.name` in this file.
    fn line(&self, section: &str, name: &str) -> Option<u32> {
        let tree = self.tree.as_ref()?;
        let path = FieldPath(vec![
            Seg::Key(section.to_string()),
            Seg::Key(name.to_string()),
        ]);
        let at = tree.locate(&path);
        Some(at.span.start.line).filter(|l| *l > 0)
    }
}

/// The merged result of a profile chain.
#[derive(Debug, Default)]
pub struct Profiles {
    /// Profile files in merge order, as displayed.
    pub chain: Vec<String>,
    /// The namespace a profile sets, if any.
    pub namespace: Option<String>,
    /// Every variable with a value, checked against its declaration.
    pub values: BTreeMap<String, Json>,
    /// Secret values to keep out of every output.
    pub redactor: Redactor,
    /// Names of the secret variables.
    pub secrets: Vec<String>,
}

/// Is `name` usable as a profile or environment name (and so as a file name)?
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && !name.contains("..")
        && !name.ends_with(".local")
}

fn valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Loads and merges the profiles of `environment` from `dir`, applies `sets`
/// (`key=value`, dotted keys reach into maps), checks every value against its declaration
/// and reads the secrets.
pub fn load(
    dir: &Path,
    environment: &str,
    sets: &[String],
    cwd: &Path,
) -> Result<Profiles, Diagnostic> {
    let dir_display = crate::source::display_path(dir, cwd);
    if !dir.is_dir() {
        return Err(crate::generate::error(
            Some(&dir_display),
            None,
            "profile directory not found (set --profile-dir or `profile-dir` under [generate] in confgate.toml)",
        ));
    }
    if !valid_name(environment) {
        return Err(crate::generate::error(
            Some("--environment"),
            None,
            format!(
                "{environment:?} is not a valid environment name (letters, digits, `-`, `_`, `.`)"
            ),
        ));
    }
    let files = read_chain(dir, environment, cwd, &dir_display)?;
    let mut merged = Merged::default();
    for (i, f) in files.iter().enumerate() {
        merged.add(i, f)?;
    }
    let mut p = Profiles {
        chain: files.iter().map(|f| f.display.clone()).collect(),
        namespace: merged.namespace.clone(),
        ..Profiles::default()
    };
    let decls = merged.decls(&files)?;
    for s in sets {
        merged.set(s, &decls)?;
    }
    for name in merged.values.keys() {
        if !decls.contains_key(name) {
            let (file, line) = merged.value_at(&files, name);
            return Err(crate::generate::error(
                Some(&file),
                line,
                format!(
                    "values.{name}: no profile declares a variable {name} (add it under variables:)"
                ),
            ));
        }
    }
    // Plain variables first, so a mistake there is reported before any command runs.
    for (name, decl) in decls.iter().filter(|(_, d)| d.secret.is_none()) {
        let value = match (&decl.default, merged.values.get(name)) {
            (Some(d), Some(v)) => Some(deep_merged(d.clone(), v.clone())),
            (None, Some(v)) => Some(v.clone()),
            (Some(d), None) => Some(d.clone()),
            (None, None) => None,
        };
        let (file, line) = if merged.values.contains_key(name) {
            merged.value_at(&files, name)
        } else {
            merged.decl_at(&files, name)
        };
        let Some(value) = value.filter(|v| !v.is_null()) else {
            if decl.required.unwrap_or(false) {
                let (file, line) = merged.decl_at(&files, name);
                return Err(crate::generate::error(
                    Some(&file),
                    line,
                    format!(
                        "variable {name} is required but no profile sets it (add it under values: or pass --set {name}=…)"
                    ),
                ));
            }
            continue;
        };
        let json = to_json(&value).map_err(|m| {
            crate::generate::error(Some(&file), line, format!("variable {name}: {m}"))
        })?;
        check_value(decl, &json, false).map_err(|m| {
            crate::generate::error(Some(&file), line, format!("variable {name}: {m}"))
        })?;
        p.values.insert(name.clone(), json);
    }
    for (name, decl) in decls.iter() {
        let Some(source) = &decl.secret else {
            continue;
        };
        let (file, line) = merged.decl_at(&files, name);
        let fail = |m: String| {
            crate::generate::error(Some(&file), line, format!("secret variable {name}: {m}"))
        };
        match source.resolve(dir).map_err(fail)? {
            Some(value) => {
                p.redactor.add(&value);
                let json = Json::String(value);
                check_value(decl, &json, true).map_err(fail)?;
                p.values.insert(name.clone(), json);
                p.secrets.push(name.clone());
            }
            None if decl.required.unwrap_or(true) => {
                let what = match source {
                    SecretSource::Env { .. } => "is not set or empty",
                    SecretSource::File { .. } => "is empty",
                    SecretSource::Command { .. } => "printed nothing",
                };
                return Err(fail(format!(
                    "{} {what} (from: {})",
                    source.describe(),
                    match source {
                        SecretSource::Env { .. } => "env",
                        SecretSource::File { .. } => "file",
                        SecretSource::Command { .. } => "command",
                    }
                )));
            }
            None => {}
        }
    }
    Ok(p)
}

/// Reads `environment`'s profile and everything it extends, base first, plus the
/// environment's `.local.yaml` overlay.
fn read_chain(
    dir: &Path,
    environment: &str,
    cwd: &Path,
    dir_display: &str,
) -> Result<Vec<ProfileFile>, Diagnostic> {
    let mut names: Vec<String> = Vec::new();
    let mut files: Vec<ProfileFile> = Vec::new();
    let mut current = environment.to_string();
    loop {
        let path = dir.join(format!("{current}.yaml"));
        let display = crate::source::display_path(&path, cwd);
        if !path.is_file() {
            let (file, why) = match files.last() {
                Some(child) => (
                    child.display.clone(),
                    format!("extends {current:?}, but {display} does not exist"),
                ),
                None => (
                    display,
                    format!(
                        "no profile for environment {current:?} (available: {})",
                        available(dir).join(", ")
                    ),
                ),
            };
            let line = files.last().and_then(|f| {
                f.tree
                    .as_ref()
                    .map(|t| t.locate(&FieldPath(vec![Seg::Key("extends".to_string())])))
                    .map(|l| l.span.start.line)
            });
            return Err(crate::generate::error(Some(&file), line, why));
        }
        let file = read_profile(&path, display)?;
        names.push(current.clone());
        let next = match &file.doc.extends {
            Some(parent) => {
                if !valid_name(parent) {
                    return Err(crate::generate::error(
                        Some(&file.display),
                        None,
                        format!("extends: {parent:?} is not a profile name"),
                    ));
                }
                Some(parent.clone())
            }
            None if current != BASE_PROFILE && dir.join("base.yaml").is_file() => {
                Some(BASE_PROFILE.to_string())
            }
            None => None,
        };
        files.push(file);
        match next {
            Some(n) if names.contains(&n) => {
                names.push(n);
                return Err(crate::generate::error(
                    Some(dir_display),
                    None,
                    format!(
                        "profiles extend each other in a cycle: {}",
                        names.join(" → ")
                    ),
                ));
            }
            Some(n) if names.len() >= MAX_CHAIN => {
                return Err(crate::generate::error(
                    Some(dir_display),
                    None,
                    format!("profile chain longer than {MAX_CHAIN} at {n:?}"),
                ));
            }
            Some(n) => current = n,
            None => break,
        }
    }
    files.reverse();
    let local = dir.join(format!("{environment}.local.yaml"));
    if local.is_file() {
        let display = crate::source::display_path(&local, cwd);
        let file = read_profile(&local, display)?;
        if file.doc.extends.is_some() {
            return Err(crate::generate::error(
                Some(&file.display),
                file.tree.as_ref().map(|t| {
                    t.locate(&FieldPath(vec![Seg::Key("extends".to_string())]))
                        .span
                        .start
                        .line
                }),
                "a .local.yaml overlay cannot use extends",
            ));
        }
        files.push(file);
    }
    Ok(files)
}

/// Environment names with a profile in `dir`, sorted.
fn available(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    let stem = n.strip_suffix(".yaml")?.to_string();
                    (!stem.ends_with(".local") && valid_name(&stem)).then_some(stem)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    if names.is_empty() {
        names.push("none".to_string());
    }
    names
}

fn read_profile(path: &PathBuf, display: String) -> Result<ProfileFile, Diagnostic> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| crate::generate::error(Some(&display), None, format!("cannot read: {e}")))?;
    let tree = crate::source::yaml::parse_all(&text)
        .0
        .into_iter()
        .next()
        .map(|d| d.root);
    let empty = matches!(serde_yaml::from_str::<Yaml>(&text), Ok(Yaml::Null));
    let doc = if text.trim().is_empty() || empty {
        ProfileDoc::default()
    } else {
        serde_yaml::from_str::<ProfileDoc>(&text).map_err(|e| yaml_error(&display, &e))?
    };
    Ok(ProfileFile { display, tree, doc })
}

/// A serde_yaml error as `file:line: message` (the message's own "at line …" dropped).
pub fn yaml_error(file: &str, e: &serde_yaml::Error) -> Diagnostic {
    let line = e.location().map(|l| l.line() as u32);
    let msg = e.to_string();
    let msg = match line {
        Some(_) => crate::diag::serde_message(&msg),
        None => &msg,
    };
    crate::generate::error(Some(file), line, msg)
}

#[cfg(test)]
mod tests {
    use super::vars::VarDecl;
    use super::*;

    fn y(s: &str) -> Yaml {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn deep_merge_merges_maps_and_replaces_lists() {
        let mut a = y("{a: {b: 1, c: [1, 2]}, d: x}");
        deep_merge(&mut a, y("{a: {c: [3], e: 2}, d: y}"));
        assert_eq!(a, y("{a: {b: 1, c: [3], e: 2}, d: y}"));
    }

    #[test]
    fn values_are_checked_against_declarations() {
        let d: VarDecl = serde_yaml::from_str("{type: int, min: 3, max: 5}").unwrap();
        assert!(check_value(&d, &serde_json::json!(4), false).is_ok());
        let e = check_value(&d, &serde_json::json!(2), false).unwrap_err();
        assert!(e.contains("below the minimum 3"), "{e}");
        let e = check_value(&d, &serde_json::json!("4"), false).unwrap_err();
        assert!(e.contains("expected an int, got a string"), "{e}");
        let s: VarDecl = serde_yaml::from_str("{type: string, pattern: '[a-z]+'}").unwrap();
        let e = check_value(&s, &serde_json::json!("Hunter2"), true).unwrap_err();
        assert!(!e.contains("Hunter2"), "{e}");
        let e = check_value(&s, &serde_json::json!(1.5), false).unwrap_err();
        assert!(e.contains("quote it"), "{e}");
    }

    #[test]
    fn names_are_checked() {
        assert!(valid_name("prod"));
        assert!(valid_name("eu-west_1.prod"));
        assert!(!valid_name("../prod"));
        assert!(!valid_name("prod.local"));
        assert!(!valid_name(""));
        assert!(valid_identifier("log_level"));
        assert!(!valid_identifier("log-level"));
    }
}
