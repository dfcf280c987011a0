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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::GenerateError;
use super::secrets::{Redactor, SecretSource};
use crate::document::{FieldPath, Node, Seg};

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

/// The declared type of a variable.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum VarType {
    String,
    Int,
    Bool,
    List,
    Map,
}

impl VarType {
    fn name(self) -> &'static str {
        match self {
            VarType::String => "string",
            VarType::Int => "int",
            VarType::Bool => "bool",
            VarType::List => "list",
            VarType::Map => "map",
        }
    }

    fn accepts(self, v: &Json) -> bool {
        match self {
            VarType::String => v.is_string(),
            VarType::Int => v.is_i64() || v.is_u64(),
            VarType::Bool => v.is_boolean(),
            VarType::List => v.is_array(),
            VarType::Map => v.is_object(),
        }
    }
}

/// A variable declaration; every field is optional so a later profile can change one
/// attribute (e.g. `min: 3` in prod) of a declaration made in base.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct VarDecl {
    #[serde(rename = "type", default)]
    ty: Option<VarType>,
    #[serde(default)]
    required: Option<bool>,
    #[serde(default)]
    default: Option<Yaml>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    min: Option<i64>,
    #[serde(default)]
    max: Option<i64>,
    #[serde(rename = "enum", default)]
    allowed: Option<Vec<Yaml>>,
    /// Element type of a list.
    #[serde(default)]
    items: Option<VarType>,
    #[serde(default)]
    secret: Option<SecretSource>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
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

/// Where a value was set last.
#[derive(Clone, Debug)]
enum Origin {
    File(usize),
    Set,
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
) -> Result<Profiles, GenerateError> {
    let dir_display = crate::source::display_path(dir, cwd);
    if !dir.is_dir() {
        return Err(GenerateError::new(
            &dir_display,
            None,
            "profile directory not found (set --profile-dir or `profile-dir` under [generate] in confgate.toml)",
        ));
    }
    if !valid_name(environment) {
        return Err(GenerateError::new(
            "--environment",
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
            return Err(GenerateError::new(
                &file,
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
                return Err(GenerateError::new(
                    &file,
                    line,
                    format!(
                        "variable {name} is required but no profile sets it (add it under values: or pass --set {name}=…)"
                    ),
                ));
            }
            continue;
        };
        let json = to_json(&value)
            .map_err(|m| GenerateError::new(&file, line, format!("variable {name}: {m}")))?;
        check_value(decl, &json, false)
            .map_err(|m| GenerateError::new(&file, line, format!("variable {name}: {m}")))?;
        p.values.insert(name.clone(), json);
    }
    for (name, decl) in decls.iter() {
        let Some(source) = &decl.secret else {
            continue;
        };
        let (file, line) = merged.decl_at(&files, name);
        let fail =
            |m: String| GenerateError::new(&file, line, format!("secret variable {name}: {m}"));
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
) -> Result<Vec<ProfileFile>, GenerateError> {
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
            return Err(GenerateError::new(&file, line, why));
        }
        let file = read_profile(&path, display)?;
        names.push(current.clone());
        let next = match &file.doc.extends {
            Some(parent) => {
                if !valid_name(parent) {
                    return Err(GenerateError::new(
                        &file.display,
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
                return Err(GenerateError::new(
                    dir_display,
                    None,
                    format!(
                        "profiles extend each other in a cycle: {}",
                        names.join(" → ")
                    ),
                ));
            }
            Some(n) if names.len() >= MAX_CHAIN => {
                return Err(GenerateError::new(
                    dir_display,
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
            return Err(GenerateError::new(
                &file.display,
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

fn read_profile(path: &PathBuf, display: String) -> Result<ProfileFile, GenerateError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| GenerateError::new(&display, None, format!("cannot read: {e}")))?;
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
pub fn yaml_error(file: &str, e: &serde_yaml::Error) -> GenerateError {
    let line = e.location().map(|l| l.line() as u32);
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(at) if line.is_some() && msg[at..].contains(" column ") => msg[..at].to_string(),
        _ => msg,
    };
    GenerateError::new(file, line, msg)
}

/// Declarations and values merged along the chain, with where each was set last.
#[derive(Default)]
struct Merged {
    decls: BTreeMap<String, Yaml>,
    decl_origin: BTreeMap<String, usize>,
    values: BTreeMap<String, Yaml>,
    value_origin: BTreeMap<String, Origin>,
    namespace: Option<String>,
}

impl Merged {
    fn add(&mut self, index: usize, f: &ProfileFile) -> Result<(), GenerateError> {
        if let Some(ns) = &f.doc.namespace {
            self.namespace = Some(ns.clone());
        }
        for (name, decl) in &f.doc.variables {
            let line = f.line("variables", name);
            let err =
                |m: String| GenerateError::new(&f.display, line, format!("variable {name}: {m}"));
            if !valid_identifier(name) {
                return Err(err(
                    "names are letters, digits and `_`, starting with a letter or `_`".to_string(),
                ));
            }
            if RESERVED.contains(&name.as_str()) {
                return Err(err(format!(
                    "`{name}` is reserved: every template already gets it"
                )));
            }
            if !decl.is_mapping() {
                return Err(err(
                    "a declaration is a mapping (type, required, default, pattern, min, max, enum, items, secret)"
                        .to_string(),
                ));
            }
            serde_yaml::from_value::<VarDecl>(decl.clone()).map_err(|e| err(e.to_string()))?;
            match self.decls.get_mut(name) {
                Some(existing) => merge_decl(existing, decl.clone()),
                None => {
                    self.decls.insert(name.clone(), decl.clone());
                }
            }
            self.decl_origin.insert(name.clone(), index);
        }
        for (name, value) in &f.doc.values {
            match self.values.get_mut(name) {
                Some(existing) => deep_merge(existing, value.clone()),
                None => {
                    self.values.insert(name.clone(), value.clone());
                }
            }
            self.value_origin.insert(name.clone(), Origin::File(index));
        }
        Ok(())
    }

    fn decl_at(&self, files: &[ProfileFile], name: &str) -> (String, Option<u32>) {
        match self.decl_origin.get(name).and_then(|i| files.get(*i)) {
            Some(f) => (f.display.clone(), f.line("variables", name)),
            None => ("profiles".to_string(), None),
        }
    }

    fn value_at(&self, files: &[ProfileFile], name: &str) -> (String, Option<u32>) {
        match self.value_origin.get(name) {
            Some(Origin::File(i)) => match files.get(*i) {
                Some(f) => (f.display.clone(), f.line("values", name)),
                None => ("profiles".to_string(), None),
            },
            Some(Origin::Set) => ("--set".to_string(), None),
            None => self.decl_at(files, name),
        }
    }

    /// The complete declarations, checked.
    fn decls(&self, files: &[ProfileFile]) -> Result<BTreeMap<String, VarDecl>, GenerateError> {
        let mut out = BTreeMap::new();
        for (name, raw) in &self.decls {
            let (file, line) = self.decl_at(files, name);
            let err = |m: String| GenerateError::new(&file, line, format!("variable {name}: {m}"));
            let mut d: VarDecl =
                serde_yaml::from_value(raw.clone()).map_err(|e| err(e.to_string()))?;
            check_decl(&mut d).map_err(err)?;
            if let Some(def) = &d.default {
                // Only the type here: a later profile may tighten the constraints and set
                // a value, and the value in use is checked in full below.
                let json = to_json(def).map_err(|m| err(format!("default: {m}")))?;
                let ty = d.ty.unwrap_or(VarType::String);
                if !json.is_null() && !ty.accepts(&json) {
                    return Err(err(format!(
                        "default: expected {} {}, got {}",
                        if ty == VarType::Int { "an" } else { "a" },
                        ty.name(),
                        kind_of(&json)
                    )));
                }
            }
            out.insert(name.clone(), d);
        }
        Ok(out)
    }

    /// Applies one `--set key=value`.
    fn set(&mut self, raw: &str, decls: &BTreeMap<String, VarDecl>) -> Result<(), GenerateError> {
        let err = |m: String| GenerateError::new("--set", None, m);
        let Some((key, value)) = raw.split_once('=') else {
            return Err(err(format!("{raw:?} is not KEY=VALUE")));
        };
        let path: Vec<&str> = key.trim().split('.').collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(err(format!("{key:?} is not a variable name")));
        }
        let name = path[0];
        let Some(decl) = decls.get(name) else {
            return Err(err(format!("{key}: no profile declares a variable {name}")));
        };
        if decl.secret.is_some() {
            return Err(err(format!(
                "{key}: {name} is a secret; its value comes from its source, not the command line"
            )));
        }
        let parsed: Yaml = if path.len() == 1 {
            match decl.ty {
                Some(VarType::String) | None => Yaml::String(value.to_string()),
                Some(VarType::Int) => value
                    .trim()
                    .parse::<i64>()
                    .map(|n| Yaml::Number(n.into()))
                    .map_err(|_| err(format!("{key}: {value:?} is not an int")))?,
                Some(VarType::Bool) => match value.trim() {
                    "true" => Yaml::Bool(true),
                    "false" => Yaml::Bool(false),
                    _ => return Err(err(format!("{key}: {value:?} is not true or false"))),
                },
                Some(VarType::List | VarType::Map) => serde_yaml::from_str(value)
                    .map_err(|e| err(format!("{key}: not valid YAML: {e}")))?,
            }
        } else {
            if decl.ty != Some(VarType::Map) {
                return Err(err(format!("{key}: {name} is not a map")));
            }
            serde_yaml::from_str(value).unwrap_or_else(|_| Yaml::String(value.to_string()))
        };
        let mut overlay = parsed;
        for seg in path[1..].iter().rev() {
            let mut m = serde_yaml::Mapping::new();
            m.insert(Yaml::String((*seg).to_string()), overlay);
            overlay = Yaml::Mapping(m);
        }
        match self.values.get_mut(name) {
            Some(existing) if path.len() > 1 => deep_merge(existing, overlay),
            Some(existing) => *existing = overlay,
            None => {
                let start = if path.len() > 1 {
                    decl.default
                        .clone()
                        .unwrap_or_else(|| Yaml::Mapping(serde_yaml::Mapping::new()))
                } else {
                    Yaml::Null
                };
                let mut v = start;
                deep_merge(&mut v, overlay);
                self.values.insert(name.to_string(), v);
            }
        }
        self.value_origin.insert(name.to_string(), Origin::Set);
        Ok(())
    }
}

/// Merges a later declaration into an earlier one: attributes replace, except `default`,
/// which deep-merges like values do.
fn merge_decl(base: &mut Yaml, over: Yaml) {
    match (base, over) {
        (Yaml::Mapping(b), Yaml::Mapping(o)) => {
            for (k, v) in o {
                let is_default = k.as_str() == Some("default");
                match b.get_mut(&k) {
                    Some(existing) if is_default => deep_merge(existing, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Deep merge: maps merge key by key, anything else (lists included) is replaced.
pub fn deep_merge(base: &mut Yaml, over: Yaml) {
    match (base, over) {
        (Yaml::Mapping(b), Yaml::Mapping(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => deep_merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn deep_merged(mut base: Yaml, over: Yaml) -> Yaml {
    deep_merge(&mut base, over);
    base
}

fn to_json(v: &Yaml) -> Result<Json, String> {
    serde_json::to_value(v).map_err(|e| format!("cannot use this value: {e}"))
}

/// Checks a declaration's own consistency (after merging).
fn check_decl(d: &mut VarDecl) -> Result<(), String> {
    if let Some(source) = &d.secret {
        source.check()?;
        if d.default.is_some() {
            return Err(
                "a secret cannot have a default (its value comes from its source)".to_string(),
            );
        }
        match d.ty {
            None => d.ty = Some(VarType::String),
            Some(VarType::String) => {}
            Some(t) => {
                return Err(format!("a secret is a string, not {}", t.name()));
            }
        }
    }
    let Some(ty) = d.ty else {
        return Err("declare its type (type: string, int, bool, list or map)".to_string());
    };
    if let Some(p) = &d.pattern {
        if ty != VarType::String {
            return Err(format!("pattern applies to strings, not {}", ty.name()));
        }
        regex::Regex::new(p).map_err(|e| format!("pattern {p:?} is not a valid regex: {e}"))?;
    }
    if (d.min.is_some() || d.max.is_some())
        && !matches!(ty, VarType::Int | VarType::String | VarType::List)
    {
        return Err(format!(
            "min/max apply to int (value), string (length) and list (items), not {}",
            ty.name()
        ));
    }
    if let (Some(min), Some(max)) = (d.min, d.max)
        && min > max
    {
        return Err(format!("min {min} is above max {max}"));
    }
    if d.items.is_some() && ty != VarType::List {
        return Err("items applies to lists only".to_string());
    }
    if let Some(allowed) = &d.allowed {
        if allowed.is_empty() {
            return Err("enum is empty".to_string());
        }
        for a in allowed {
            let j = to_json(a)?;
            if !ty.accepts(&j) {
                return Err(format!("enum value {} is not a {}", short(&j), ty.name()));
            }
        }
    }
    Ok(())
}

/// A value for a message: JSON, cut to 60 characters.
fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s
    }
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(n) if n.is_f64() => "a decimal number",
        Json::Number(_) => "an int",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a map",
    }
}

/// Checks a value against its declaration. With `secret`, messages never show the value.
fn check_value(d: &VarDecl, v: &Json, secret: bool) -> Result<(), String> {
    let ty = d.ty.unwrap_or(VarType::String);
    let shown = |v: &Json| {
        if secret {
            "the value".to_string()
        } else {
            short(v)
        }
    };
    if !ty.accepts(v) {
        let hint = if ty == VarType::String && (v.is_number() || v.is_boolean()) {
            " (quote it in YAML)"
        } else {
            ""
        };
        return Err(format!(
            "expected {} {}, got {}{hint}",
            if ty == VarType::Int { "an" } else { "a" },
            ty.name(),
            kind_of(v)
        ));
    }
    if let Some(p) = &d.pattern
        && let Some(s) = v.as_str()
    {
        let re = regex::Regex::new(&format!("^(?:{p})$"))
            .map_err(|e| format!("pattern {p:?} is not a valid regex: {e}"))?;
        if !re.is_match(s) {
            return Err(format!("{} does not match the pattern {p:?}", shown(v)));
        }
    }
    let measure = match v {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => Some(s.chars().count() as i64),
        Json::Array(a) => Some(a.len() as i64),
        _ => None,
    };
    let what = match ty {
        VarType::Int => "",
        VarType::List => " items",
        _ => " characters",
    };
    if let Some(m) = measure {
        let subject = if ty == VarType::Int {
            shown(v)
        } else {
            format!("{m}{what}")
        };
        if let Some(min) = d.min
            && m < min
        {
            return Err(format!("{subject} is below the minimum {min}"));
        }
        if let Some(max) = d.max
            && m > max
        {
            return Err(format!("{subject} is above the maximum {max}"));
        }
    }
    if let Some(allowed) = &d.allowed {
        let allowed: Vec<Json> = allowed.iter().filter_map(|a| to_json(a).ok()).collect();
        if !allowed.contains(v) {
            let list: Vec<String> = allowed.iter().map(short).collect();
            return Err(format!("{} is not one of [{}]", shown(v), list.join(", ")));
        }
    }
    if let (Some(items), Json::Array(list)) = (d.items, v) {
        for (i, item) in list.iter().enumerate() {
            if !items.accepts(item) {
                return Err(format!(
                    "item {i} is {}, expected {}",
                    kind_of(item),
                    items.name()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
