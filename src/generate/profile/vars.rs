//! Typed variables: what a declaration may say (`type`, `default`, `enum`, `min`/`max`,
//! `pattern`, `secret`) and whether a value fits it. Kept apart from file loading and merging
//! because these checks are the whole contract a profile value must meet, and every message
//! they produce must stay free of secret values.

use serde::Deserialize;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use crate::generate::secrets::SecretSource;

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
    pub(super) fn name(self) -> &'static str {
        match self {
            VarType::String => "string",
            VarType::Int => "int",
            VarType::Bool => "bool",
            VarType::List => "list",
            VarType::Map => "map",
        }
    }

    pub(super) fn accepts(self, v: &Json) -> bool {
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
pub(super) struct VarDecl {
    #[serde(rename = "type", default)]
    pub(super) ty: Option<VarType>,
    #[serde(default)]
    pub(super) required: Option<bool>,
    #[serde(default)]
    pub(super) default: Option<Yaml>,
    #[serde(default)]
    pub(super) pattern: Option<String>,
    #[serde(default)]
    pub(super) min: Option<i64>,
    #[serde(default)]
    pub(super) max: Option<i64>,
    #[serde(rename = "enum", default)]
    pub(super) allowed: Option<Vec<Yaml>>,
    /// Element type of a list.
    #[serde(default)]
    pub(super) items: Option<VarType>,
    #[serde(default)]
    pub(super) secret: Option<SecretSource>,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) description: Option<String>,
}

/// Checks a declaration's own consistency (after merging).
pub(super) fn check_decl(d: &mut VarDecl) -> Result<(), String> {
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
pub(super) fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s
    }
}

pub(super) fn kind_of(v: &Json) -> &'static str {
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
pub(super) fn check_value(d: &VarDecl, v: &Json, secret: bool) -> Result<(), String> {
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

pub(super) fn to_json(v: &Yaml) -> Result<Json, String> {
    serde_json::to_value(v).map_err(|e| format!("cannot use this value: {e}"))
}
