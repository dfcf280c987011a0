//! Merging a profile chain: declarations merged key by key and values deep-merged (maps
//! merge, lists replace) in chain order, then `--set key=value` on top, remembering which
//! file (and line) set each value last so errors can point at it.

use std::collections::BTreeMap;

use serde_yaml::Value as Yaml;

use super::vars::{VarDecl, VarType, check_decl, kind_of, to_json};
use super::{ProfileFile, RESERVED, valid_identifier};
use crate::diag::Diagnostic;

/// Where a value was set last.
#[derive(Clone, Debug)]
pub(super) enum Origin {
    File(usize),
    Set,
}

/// Declarations and values merged along the chain, with where each was set last.
#[derive(Default)]
pub(super) struct Merged {
    decls: BTreeMap<String, Yaml>,
    decl_origin: BTreeMap<String, usize>,
    pub(super) values: BTreeMap<String, Yaml>,
    value_origin: BTreeMap<String, Origin>,
    pub(super) namespace: Option<String>,
}

impl Merged {
    pub(super) fn add(&mut self, index: usize, f: &ProfileFile) -> Result<(), Diagnostic> {
        if let Some(ns) = &f.doc.namespace {
            self.namespace = Some(ns.clone());
        }
        for (name, decl) in &f.doc.variables {
            let line = f.line("variables", name);
            let err = |m: String| {
                crate::generate::error(Some(&f.display), line, format!("variable {name}: {m}"))
            };
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

    pub(super) fn decl_at(&self, files: &[ProfileFile], name: &str) -> (String, Option<u32>) {
        match self.decl_origin.get(name).and_then(|i| files.get(*i)) {
            Some(f) => (f.display.clone(), f.line("variables", name)),
            None => ("profiles".to_string(), None),
        }
    }

    pub(super) fn value_at(&self, files: &[ProfileFile], name: &str) -> (String, Option<u32>) {
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
    pub(super) fn decls(
        &self,
        files: &[ProfileFile],
    ) -> Result<BTreeMap<String, VarDecl>, Diagnostic> {
        let mut out = BTreeMap::new();
        for (name, raw) in &self.decls {
            let (file, line) = self.decl_at(files, name);
            let err = |m: String| {
                crate::generate::error(Some(&file), line, format!("variable {name}: {m}"))
            };
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
    pub(super) fn set(
        &mut self,
        raw: &str,
        decls: &BTreeMap<String, VarDecl>,
    ) -> Result<(), Diagnostic> {
        let err = |m: String| super::super::error(None, None, format!("--set: {m}"));
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
pub(super) fn merge_decl(base: &mut Yaml, over: Yaml) {
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

pub(super) fn deep_merged(mut base: Yaml, over: Yaml) -> Yaml {
    deep_merge(&mut base, over);
    base
}
