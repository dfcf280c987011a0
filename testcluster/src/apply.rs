//! Server-side apply, managed-fields bookkeeping and the three patch kinds.
//!
//! Field sets are kept in the real `FieldsV1` encoding: a tree whose keys are
//! `f:<field>`, `k:<json key of an associative-list element>`, `v:<json value of
//! a set element>`, and `.` meaning "the node itself is owned". A leaf is `{}`.
//!
//! The schema knowledge (which lists are associative, which are sets) is a small
//! built-in table for the common types (see [`list_type`]); everything else is
//! treated as an atomic list, as the real server does for lists without
//! `x-kubernetes-list-type`.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A field owned by another manager whose value the applier wants to change.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub manager: String,
    pub field: String,
}

#[derive(Debug)]
pub enum ApplyError {
    Conflicts(Vec<Conflict>),
    Invalid(String),
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApplyError::Invalid(m) => write!(f, "{m}"),
            ApplyError::Conflicts(cs) => {
                let n = cs.len();
                write!(
                    f,
                    "Apply failed with {n} conflict{}: ",
                    if n == 1 { "" } else { "s" }
                )?;
                for (i, c) in cs.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "conflict with \"{}\": {}", c.manager, c.field)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ApplyError {}

// ---------------------------------------------------------------------------
// Field sets
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq)]
struct FSet {
    own: bool,
    children: BTreeMap<String, FSet>,
}

impl FSet {
    fn leaf() -> FSet {
        FSet {
            own: true,
            children: BTreeMap::new(),
        }
    }

    fn is_empty(&self) -> bool {
        !self.own && self.children.values().all(FSet::is_empty)
    }

    fn from_v1(v: &Value) -> FSet {
        let mut s = FSet::default();
        match v.as_object() {
            Some(m) if m.is_empty() => s.own = true,
            Some(m) => {
                for (k, c) in m {
                    if k == "." {
                        s.own = true;
                    } else {
                        s.children.insert(k.clone(), FSet::from_v1(c));
                    }
                }
            }
            None => s.own = true,
        }
        s
    }

    fn to_v1(&self) -> Value {
        let mut m = Map::new();
        if self.own && !self.children.is_empty() {
            m.insert(".".into(), Value::Object(Map::new()));
        }
        for (k, c) in &self.children {
            if !c.is_empty() {
                m.insert(k.clone(), c.to_v1());
            }
        }
        Value::Object(m)
    }

    /// All owned paths (nodes with `own`), depth first.
    fn owned_paths(&self, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, bool)>) {
        if self.own {
            out.push((prefix.clone(), self.children.is_empty()));
        }
        for (k, c) in &self.children {
            prefix.push(k.clone());
            c.owned_paths(prefix, out);
            prefix.pop();
        }
    }

    fn node(&self, path: &[String]) -> Option<&FSet> {
        let mut cur = self;
        for p in path {
            cur = cur.children.get(p)?;
        }
        Some(cur)
    }

    /// Whether `path` itself or something below it is owned.
    fn owns_at_or_below(&self, path: &[String]) -> bool {
        self.node(path).is_some_and(|n| !n.is_empty())
    }

    fn owns_exact(&self, path: &[String]) -> bool {
        self.node(path).is_some_and(|n| n.own)
    }

    fn insert(&mut self, path: &[String]) {
        let mut cur = self;
        for p in path {
            cur = cur.children.entry(p.clone()).or_default();
        }
        cur.own = true;
    }

    /// Removes `path` and everything below it.
    fn remove_subtree(&mut self, path: &[String]) {
        let Some((last, parents)) = path.split_last() else {
            *self = FSet::default();
            return;
        };
        let mut cur = self;
        for p in parents {
            match cur.children.get_mut(p) {
                Some(c) => cur = c,
                None => return,
            }
        }
        cur.children.remove(last);
    }

    /// Removes just the ownership mark at `path` (children stay).
    fn remove_exact(&mut self, path: &[String]) {
        let mut cur = self;
        for p in path {
            match cur.children.get_mut(p) {
                Some(c) => cur = c,
                None => return,
            }
        }
        cur.own = false;
    }

    fn prune(&mut self) {
        for c in self.children.values_mut() {
            c.prune();
        }
        self.children.retain(|_, c| !c.is_empty());
    }
}

// ---------------------------------------------------------------------------
// Schema knowledge
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum ListType {
    Atomic,
    Set,
    Map(&'static [&'static str]),
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// `names` are the field names from the object root down to (and including)
/// the list field; list indices are not part of it.
fn list_type(names: &[String], kind: &str) -> ListType {
    let Some(last) = names.last() else {
        return ListType::Atomic;
    };
    let prev = if names.len() >= 2 {
        names[names.len() - 2].as_str()
    } else {
        ""
    };
    match last.as_str() {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => ListType::Map(&["name"]),
        "ports" if CONTAINER_LISTS.contains(&prev) => ListType::Map(&["containerPort", "protocol"]),
        "ports" if kind == "Service" && names.len() == 2 && prev == "spec" => {
            ListType::Map(&["port", "protocol"])
        }
        "volumeMounts" => ListType::Map(&["mountPath"]),
        "volumeDevices" => ListType::Map(&["devicePath"]),
        "conditions" => ListType::Map(&["type"]),
        "hostAliases" => ListType::Map(&["ip"]),
        "topologySpreadConstraints" => ListType::Map(&["topologyKey", "whenUnsatisfiable"]),
        "resourceClaims" | "schedulingGates" => ListType::Map(&["name"]),
        "ownerReferences" if names.len() == 2 && prev == "metadata" => ListType::Map(&["uid"]),
        "finalizers" if names.len() == 2 && prev == "metadata" => ListType::Set,
        _ => ListType::Atomic,
    }
}

/// Smart-merge-patch merge keys (single key, as in the Go struct tags).
fn smp_merge_key(names: &[String], kind: &str) -> Option<&'static str> {
    let last = names.last()?;
    let prev = if names.len() >= 2 {
        names[names.len() - 2].as_str()
    } else {
        ""
    };
    match last.as_str() {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => Some("name"),
        "ports" if CONTAINER_LISTS.contains(&prev) => Some("containerPort"),
        "ports" if kind == "Service" && names.len() == 2 && prev == "spec" => Some("port"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "conditions" => Some("type"),
        "hostAliases" => Some("ip"),
        "topologySpreadConstraints" => Some("topologyKey"),
        "resourceClaims" | "schedulingGates" => Some("name"),
        "secrets" if kind == "ServiceAccount" && names.len() == 1 => Some("name"),
        "ownerReferences" if names.len() == 2 && prev == "metadata" => Some("uid"),
        _ => None,
    }
}

fn key_field_value(item: &Value, field: &str) -> Option<Value> {
    match item.get(field) {
        Some(Value::Null) | None if field == "protocol" => Some(Value::String("TCP".into())),
        Some(Value::Null) | None => None,
        Some(v) => Some(v.clone()),
    }
}

/// `k:{...}` for an element of an associative list (keys sorted).
fn item_key(item: &Value, keys: &[&str]) -> Option<String> {
    let mut sorted: Vec<&str> = keys.to_vec();
    sorted.sort_unstable();
    let mut s = String::from("k:{");
    for (i, k) in sorted.iter().enumerate() {
        let v = key_field_value(item, k)?;
        if i > 0 {
            s.push(',');
        }
        s.push_str(&Value::String((*k).to_string()).to_string());
        s.push(':');
        s.push_str(&v.to_string());
    }
    s.push('}');
    Some(s)
}

const META_SKIP: [&str; 10] = [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

fn skip_field(names: &[String], key: &str) -> bool {
    match names.len() {
        0 => key == "apiVersion" || key == "kind",
        1 => names[0] == "metadata" && META_SKIP.contains(&key),
        _ => false,
    }
}

/// The field set of `v`. `strict`: an associative-list element without its key
/// is an error (apply); otherwise the list is treated as atomic.
fn fieldset(v: &Value, names: &mut Vec<String>, kind: &str, strict: bool) -> Result<FSet, String> {
    match v {
        Value::Object(m) => {
            let mut s = FSet::default();
            for (k, c) in m {
                if skip_field(names, k) || c.is_null() {
                    continue;
                }
                names.push(k.clone());
                let child = fieldset(c, names, kind, strict);
                names.pop();
                s.children.insert(format!("f:{k}"), child?);
            }
            if m.is_empty() {
                s.own = true;
            }
            Ok(s)
        }
        Value::Array(items) if !items.is_empty() => match list_type(names, kind) {
            ListType::Atomic => Ok(FSet::leaf()),
            ListType::Set => {
                let mut s = FSet::default();
                for it in items {
                    s.children.insert(format!("v:{it}"), FSet::leaf());
                }
                Ok(s)
            }
            ListType::Map(keys) => {
                let mut s = FSet::default();
                for it in items {
                    let Some(k) = item_key(it, keys).filter(|_| it.is_object()) else {
                        if strict {
                            return Err(format!(
                                "element of associative list .{} has no key field(s) {}",
                                names.join("."),
                                keys.join(",")
                            ));
                        }
                        return Ok(FSet::leaf());
                    };
                    if strict && s.children.contains_key(&k) {
                        return Err(format!(
                            "duplicate entries for key {} in list .{}",
                            &k[2..],
                            names.join(".")
                        ));
                    }
                    let mut child = fieldset(it, names, kind, strict)?;
                    child.own = true;
                    s.children.insert(k, child);
                }
                Ok(s)
            }
        },
        _ => Ok(FSet::leaf()),
    }
}

// ---------------------------------------------------------------------------
// Navigating objects by FieldsV1 paths
// ---------------------------------------------------------------------------

fn matches_elem(item: &Value, elem: &str) -> bool {
    if let Some(k) = elem.strip_prefix("k:") {
        let Ok(Value::Object(key)) = serde_json::from_str::<Value>(k) else {
            return false;
        };
        item.is_object()
            && key
                .iter()
                .all(|(f, want)| key_field_value(item, f).as_ref() == Some(want))
    } else if let Some(v) = elem.strip_prefix("v:") {
        serde_json::from_str::<Value>(v).is_ok_and(|want| &want == item)
    } else {
        false
    }
}

fn child<'a>(v: &'a Value, elem: &str) -> Option<&'a Value> {
    if let Some(f) = elem.strip_prefix("f:") {
        return v.as_object()?.get(f);
    }
    if let Some(i) = elem.strip_prefix("i:") {
        return v.as_array()?.get(i.parse::<usize>().ok()?);
    }
    v.as_array()?.iter().find(|it| matches_elem(it, elem))
}

fn get_at<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = child(cur, p)?;
    }
    Some(cur)
}

fn child_mut<'a>(v: &'a mut Value, elem: &str) -> Option<&'a mut Value> {
    if let Some(f) = elem.strip_prefix("f:") {
        return v.as_object_mut()?.get_mut(f);
    }
    if let Some(i) = elem.strip_prefix("i:") {
        return v.as_array_mut()?.get_mut(i.parse::<usize>().ok()?);
    }
    v.as_array_mut()?
        .iter_mut()
        .find(|it| matches_elem(it, elem))
}

fn remove_at(v: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for p in parents {
        match child_mut(cur, p) {
            Some(c) => cur = c,
            None => return,
        }
    }
    if let Some(f) = last.strip_prefix("f:") {
        if let Some(m) = cur.as_object_mut() {
            m.remove(f);
        }
    } else if let Some(a) = cur.as_array_mut() {
        if let Some(i) = last.strip_prefix("i:") {
            if let Ok(i) = i.parse::<usize>()
                && i < a.len()
            {
                a.remove(i);
            }
        } else {
            a.retain(|it| !matches_elem(it, last));
        }
    }
}

/// Whether `path` ends at a key field of an associative-list element.
fn is_key_field(path: &[String]) -> bool {
    let n = path.len();
    if n < 2 {
        return false;
    }
    let (Some(f), Some(k)) = (
        path[n - 1].strip_prefix("f:"),
        path[n - 2].strip_prefix("k:"),
    ) else {
        return false;
    };
    matches!(serde_json::from_str::<Value>(k), Ok(Value::Object(m)) if m.contains_key(f))
}

/// `.spec.template.spec.containers[name="app"].image`
fn display_path(path: &[String]) -> String {
    let mut s = String::new();
    for p in path {
        if let Some(f) = p.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = p.strip_prefix("k:") {
            s.push('[');
            if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(k) {
                let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
                s.push_str(&parts.join(","));
            }
            s.push(']');
        } else if let Some(v) = p.strip_prefix("v:") {
            s.push('[');
            s.push_str(v);
            s.push(']');
        } else if let Some(i) = p.strip_prefix("i:") {
            s.push('[');
            s.push_str(i);
            s.push(']');
        }
    }
    s
}

// ---------------------------------------------------------------------------
// Managed-fields entries
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    time: String,
    subresource: Option<String>,
    set: FSet,
}

impl Entry {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("manager".into(), Value::String(self.manager.clone()));
        m.insert("operation".into(), Value::String(self.operation.clone()));
        m.insert("apiVersion".into(), Value::String(self.api_version.clone()));
        m.insert("time".into(), Value::String(self.time.clone()));
        m.insert("fieldsType".into(), Value::String("FieldsV1".into()));
        m.insert("fieldsV1".into(), self.set.to_v1());
        if let Some(s) = &self.subresource {
            m.insert("subresource".into(), Value::String(s.clone()));
        }
        Value::Object(m)
    }
}

fn parse_entries(obj: &Value) -> Vec<Entry> {
    let Some(list) = obj
        .get("metadata")
        .and_then(|m| m.get("managedFields"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    let s = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    list.iter()
        .filter(|e| e.is_object())
        .map(|e| Entry {
            manager: s(e, "manager"),
            operation: s(e, "operation"),
            api_version: s(e, "apiVersion"),
            time: s(e, "time"),
            subresource: e
                .get("subresource")
                .and_then(Value::as_str)
                .filter(|x| !x.is_empty())
                .map(str::to_string),
            set: e.get("fieldsV1").map(FSet::from_v1).unwrap_or_default(),
        })
        .filter(|e| !e.set.is_empty())
        .collect()
}

fn write_entries(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.set.is_empty())
        .map(Entry::to_json)
        .collect();
    if !obj.is_object() {
        return;
    }
    let Some(meta) = obj.as_object_mut().map(|m| {
        m.entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()))
    }) else {
        return;
    };
    if let Some(meta) = meta.as_object_mut() {
        if list.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(list));
        }
    }
}

fn kind_of(v: &Value) -> &str {
    v.get("kind").and_then(Value::as_str).unwrap_or("")
}

fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, c)| !c.is_null())
                .map(|(k, c)| (k.clone(), strip_nulls(c)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------
// Server-side apply
// ---------------------------------------------------------------------------

/// Merges `applied` into `live` following the schema: objects field by field,
/// associative lists by key, sets as a union, everything else replaced.
fn merge_applied(live: &mut Value, applied: &Value, names: &mut Vec<String>, kind: &str) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, av) in a {
                if names.is_empty() && (k == "apiVersion" || k == "kind") {
                    l.insert(k.clone(), av.clone());
                    continue;
                }
                if skip_field(names, k) {
                    continue;
                }
                if av.is_null() {
                    l.remove(k);
                    continue;
                }
                names.push(k.clone());
                match l.get_mut(k) {
                    Some(lv) => merge_applied(lv, av, names, kind),
                    None => {
                        l.insert(k.clone(), strip_nulls(av));
                    }
                }
                names.pop();
            }
        }
        (Value::Array(l), Value::Array(a)) => match list_type(names, kind) {
            ListType::Atomic => *l = a.iter().map(strip_nulls).collect(),
            ListType::Set => {
                for it in a {
                    if !l.contains(it) {
                        l.push(it.clone());
                    }
                }
            }
            ListType::Map(keys) => {
                for it in a {
                    let found = item_key(it, keys).and_then(|k| {
                        l.iter()
                            .position(|x| item_key(x, keys).as_deref() == Some(k.as_str()))
                    });
                    match found {
                        Some(i) => merge_applied(&mut l[i], it, names, kind),
                        None => l.push(strip_nulls(it)),
                    }
                }
            }
        },
        (live, applied) => *live = strip_nulls(applied),
    }
}

fn validate(applied: &Value) -> Result<(), ApplyError> {
    if !applied.is_object() {
        return Err(ApplyError::Invalid(
            "the applied configuration is not an object".into(),
        ));
    }
    let nonempty = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    if !nonempty(applied.get("apiVersion")) {
        return Err(ApplyError::Invalid(
            "apiVersion must be set in the applied configuration".into(),
        ));
    }
    if !nonempty(applied.get("kind")) {
        return Err(ApplyError::Invalid(
            "kind must be set in the applied configuration".into(),
        ));
    }
    if !nonempty(applied.get("metadata").and_then(|m| m.get("name"))) {
        return Err(ApplyError::Invalid(
            "metadata.name must be set in the applied configuration".into(),
        ));
    }
    Ok(())
}

/// Server-side apply of `applied` (the applied configuration, JSON already
/// parsed from YAML) by `manager` onto `live` (None = create). Returns the merged
/// object with `metadata.managedFields` updated; the caller then sets
/// uid/resourceVersion/generation/creationTimestamp.
pub fn server_side_apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    now: &str,
) -> Result<Value, ApplyError> {
    validate(applied)?;
    let kind = kind_of(applied).to_string();
    let api_version = applied
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let new_set = fieldset(applied, &mut Vec::new(), &kind, true).map_err(ApplyError::Invalid)?;

    let Some(live) = live.filter(|l| l.is_object()) else {
        let mut obj = strip_nulls(applied);
        if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("managedFields");
        }
        let entry = Entry {
            manager: manager.to_string(),
            operation: "Apply".into(),
            api_version,
            time: now.to_string(),
            subresource: None,
            set: new_set,
        };
        write_entries(&mut obj, &[entry]);
        return Ok(obj);
    };

    let mut entries = parse_entries(live);
    if entries.is_empty() {
        // An object created without field tracking: the real server attributes
        // all its fields to "before-first-apply".
        let set = fieldset(live, &mut Vec::new(), &kind, false).unwrap_or_default();
        if !set.is_empty() {
            entries.push(Entry {
                manager: "before-first-apply".into(),
                operation: "Update".into(),
                api_version: live
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                time: now.to_string(),
                subresource: None,
                set,
            });
        }
    }
    let is_mine =
        |e: &Entry| e.manager == manager && e.operation == "Apply" && e.subresource.is_none();
    let old_set = entries
        .iter()
        .find(|e| is_mine(e))
        .map(|e| e.set.clone())
        .unwrap_or_default();

    // Conflicts: leaves of the applied set whose value differs from live and
    // that another manager owns.
    let mut new_paths = Vec::new();
    new_set.owned_paths(&mut Vec::new(), &mut new_paths);
    let mut conflicts: Vec<Conflict> = Vec::new();
    let mut transfers: Vec<(usize, Vec<String>)> = Vec::new();
    for (path, is_leaf) in &new_paths {
        if !is_leaf {
            continue;
        }
        let Some(live_v) = get_at(live, path) else {
            continue;
        };
        let applied_v = get_at(applied, path);
        if applied_v.map(strip_nulls).as_ref() == Some(&strip_nulls(live_v)) {
            continue;
        }
        for (i, e) in entries.iter().enumerate() {
            if is_mine(e) || e.manager == manager || e.subresource.is_some() {
                continue;
            }
            if e.set.owns_at_or_below(path) {
                conflicts.push(Conflict {
                    manager: e.manager.clone(),
                    field: display_path(path),
                });
                transfers.push((i, path.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(ApplyError::Conflicts(conflicts));
    }
    for (i, path) in transfers {
        if let Some(e) = entries.get_mut(i) {
            e.set.remove_subtree(&path);
        }
    }

    let mut result = live.clone();
    merge_applied(&mut result, applied, &mut Vec::new(), &kind);

    // Fields the applier owned before and no longer applies: removed when
    // nobody else owns them.
    let mut old_paths = Vec::new();
    old_set.owned_paths(&mut Vec::new(), &mut old_paths);
    // Shallowest first: a removed element takes its fields along.
    old_paths.sort_by_key(|(p, _)| p.len());
    for (path, _) in &old_paths {
        if new_set.owns_exact(path) || is_key_field(path) {
            continue;
        }
        if new_set.owns_at_or_below(path) {
            continue;
        }
        let owned_elsewhere = entries
            .iter()
            .any(|e| !is_mine(e) && e.set.owns_at_or_below(path));
        if !owned_elsewhere {
            remove_at(&mut result, path);
        }
    }

    let mut mine = Entry {
        manager: manager.to_string(),
        operation: "Apply".into(),
        api_version,
        time: now.to_string(),
        subresource: None,
        set: new_set,
    };
    mine.set.prune();
    match entries.iter_mut().find(|e| is_mine(e)) {
        Some(e) => *e = mine,
        None => entries.push(mine),
    }
    for e in &mut entries {
        e.set.prune();
    }
    write_entries(&mut result, &entries);
    Ok(result)
}

// ---------------------------------------------------------------------------
// Non-apply writes
// ---------------------------------------------------------------------------

/// Paths (owned nodes of `new_set`) whose value was set or changed from `old`.
fn changed_paths(
    set: &FSet,
    old: &Value,
    new: &Value,
    prefix: &mut Vec<String>,
    out: &mut Vec<Vec<String>>,
) {
    let old_here = get_at(old, prefix);
    match old_here {
        None => {
            // Everything below is new.
            let mut all = Vec::new();
            set.owned_paths(prefix, &mut all);
            out.extend(all.into_iter().map(|(p, _)| p));
        }
        Some(ov) => {
            if set.children.is_empty() {
                if set.own && get_at(new, prefix).is_some_and(|nv| nv != ov) {
                    out.push(prefix.clone());
                }
                return;
            }
            for (k, c) in &set.children {
                prefix.push(k.clone());
                changed_paths(c, old, new, prefix, out);
                prefix.pop();
            }
        }
    }
}

/// Managed-fields bookkeeping for a non-apply write (POST, PUT,
/// merge/strategic/json patch, status): fields whose value was set or changed
/// between `old` and `new` become owned by `manager` with operation Update
/// (removed from other managers' sets); `subresource` e.g. Some("status").
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    now: &str,
) {
    if !new.is_object() {
        return;
    }
    let kind = kind_of(new).to_string();
    let api_version = new
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let subresource = subresource.filter(|s| !s.is_empty());
    let new_mf = new.get("metadata").and_then(|m| m.get("managedFields"));
    let old_mf = old
        .and_then(|o| o.get("metadata"))
        .and_then(|m| m.get("managedFields"));
    let mut entries = match (old, new_mf) {
        // A client resetting managed fields with `[{}]`.
        (_, Some(Value::Array(a)))
            if a.len() == 1 && a[0].as_object().is_some_and(|m| m.is_empty()) =>
        {
            Vec::new()
        }
        (Some(_), Some(n)) if Some(n) != old_mf && n.is_array() => parse_entries(new),
        (Some(o), _) => parse_entries(o),
        (None, _) => Vec::new(),
    };
    let set = fieldset(new, &mut Vec::new(), &kind, false).unwrap_or_default();
    let empty = Value::Object(Map::new());
    let base = old.unwrap_or(&empty);
    let mut changed = Vec::new();
    if old.is_none() {
        let mut all = Vec::new();
        set.owned_paths(&mut Vec::new(), &mut all);
        changed = all.into_iter().map(|(p, _)| p).collect();
    } else {
        changed_paths(&set, base, new, &mut Vec::new(), &mut changed);
    }

    let is_mine = |e: &Entry| {
        e.manager == manager && e.operation == "Update" && e.subresource.as_deref() == subresource
    };
    // Fields that no longer exist are owned by nobody.
    for e in &mut entries {
        let mut paths = Vec::new();
        e.set.owned_paths(&mut Vec::new(), &mut paths);
        for (p, _) in paths {
            if get_at(new, &p).is_none() {
                e.set.remove_subtree(&p);
            }
        }
    }
    if !changed.is_empty() {
        for e in entries.iter_mut().filter(|e| !is_mine(e)) {
            for p in &changed {
                if set.node(p).is_some_and(|n| n.children.is_empty()) {
                    e.set.remove_subtree(p);
                } else {
                    e.set.remove_exact(p);
                }
            }
        }
        let idx = match entries.iter().position(is_mine) {
            Some(i) => i,
            None => {
                entries.push(Entry {
                    manager: manager.to_string(),
                    operation: "Update".into(),
                    api_version: api_version.clone(),
                    time: now.to_string(),
                    subresource: subresource.map(str::to_string),
                    set: FSet::default(),
                });
                entries.len() - 1
            }
        };
        if let Some(e) = entries.get_mut(idx) {
            for p in &changed {
                e.set.insert(p);
            }
            e.time = now.to_string();
            e.api_version = api_version;
        }
    }
    for e in &mut entries {
        e.set.prune();
    }
    write_entries(new, &entries);
}

// ---------------------------------------------------------------------------
// Patches
// ---------------------------------------------------------------------------

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let mut t = target.clone();
    json_patch::merge(&mut t, patch);
    t
}

/// RFC 6902 JSON patch.
pub fn json_patch(target: &Value, ops: &Value) -> Result<Value, String> {
    let p: json_patch::Patch =
        serde_json::from_value(ops.clone()).map_err(|e| format!("invalid JSON patch: {e}"))?;
    let mut t = target.clone();
    json_patch::patch(&mut t, &p).map_err(|e| e.to_string())?;
    Ok(t)
}

const PRIMITIVE_MERGE_LISTS: [&str; 1] = ["finalizers"];

/// Removes `$`-directives from a value that is inserted as is.
fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, c)| !k.starts_with('$') && !c.is_null())
                .map(|(k, c)| (k.clone(), strip_directives(c)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(
            a.iter()
                .filter(|it| {
                    it.get("$patch").and_then(Value::as_str) != Some("delete")
                        && !(it.is_object()
                            && it.as_object().is_some_and(|m| m.len() == 1)
                            && it.get("$patch").is_some())
                })
                .map(strip_directives)
                .collect(),
        ),
        other => other.clone(),
    }
}

fn smp_list(
    target: Option<&Value>,
    patch: &[Value],
    names: &[String],
    kind: &str,
    depth: usize,
) -> Result<Value, String> {
    let field = names.last().map(String::as_str).unwrap_or("");
    let target: Vec<Value> = target
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // `{"$patch": "replace"}` element: the list is replaced by the others.
    if patch
        .iter()
        .any(|it| it.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        return Ok(strip_directives(&Value::Array(
            patch
                .iter()
                .filter(|it| it.get("$patch").is_none())
                .cloned()
                .collect(),
        )));
    }
    if let Some(key) = smp_merge_key(names, kind) {
        let mut out = target;
        for it in patch {
            let Some(obj) = it.as_object() else {
                out.push(it.clone());
                continue;
            };
            let k = obj.get(key);
            let pos = k.and_then(|k| out.iter().position(|x| x.get(key) == Some(k)));
            let directive = obj.get("$patch").and_then(Value::as_str);
            match (directive, pos) {
                (Some("delete"), Some(i)) => {
                    out.remove(i);
                }
                (Some("delete"), None) => {}
                (_, Some(i)) => {
                    let merged = smp(&out[i], it, &mut names.to_vec(), kind, depth + 1)?;
                    out[i] = merged;
                }
                (_, None) => out.push(strip_directives(it)),
            }
        }
        return Ok(Value::Array(out));
    }
    if PRIMITIVE_MERGE_LISTS.contains(&field) {
        let mut out = target;
        for it in patch {
            if !out.contains(it) {
                out.push(it.clone());
            }
        }
        return Ok(Value::Array(out));
    }
    Ok(strip_directives(&Value::Array(patch.to_vec())))
}

fn smp(
    target: &Value,
    patch: &Value,
    names: &mut Vec<String>,
    kind: &str,
    depth: usize,
) -> Result<Value, String> {
    if depth > 200 {
        return Err("strategic merge patch nested too deeply".into());
    }
    let Some(pm) = patch.as_object() else {
        return Ok(patch.clone());
    };
    match pm.get("$patch").and_then(Value::as_str) {
        Some("replace") => return Ok(strip_directives(patch)),
        Some("delete") => return Ok(Value::Null),
        Some("merge") | None => {}
        Some(other) => return Err(format!("unknown patch directive $patch: {other}")),
    }
    let mut out: Map<String, Value> = target.as_object().cloned().unwrap_or_default();
    let mut orders: Vec<(String, Vec<Value>)> = Vec::new();
    for (k, pv) in pm {
        if k == "$patch" || k == "$retainKeys" {
            continue;
        }
        if let Some(list) = k.strip_prefix("$setElementOrder/") {
            if let Some(a) = pv.as_array() {
                orders.push((list.to_string(), a.clone()));
            }
            continue;
        }
        if let Some(list) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(del), Some(Value::Array(cur))) = (pv.as_array(), out.get_mut(list)) {
                cur.retain(|x| !del.contains(x));
            }
            continue;
        }
        if k.starts_with('$') {
            continue;
        }
        if pv.is_null() {
            out.remove(k);
            continue;
        }
        names.push(k.clone());
        let merged = match pv {
            Value::Object(_) => {
                let t = out.get(k).cloned().unwrap_or(Value::Null);
                smp(&t, pv, names, kind, depth + 1)
            }
            Value::Array(a) => smp_list(out.get(k), a, names, kind, depth + 1),
            other => Ok(other.clone()),
        };
        names.pop();
        let merged = merged?;
        if merged.is_null() {
            out.remove(k);
        } else {
            out.insert(k.clone(), merged);
        }
    }
    if let Some(Value::Array(keep)) = pm.get("$retainKeys") {
        let keep: Vec<&str> = keep.iter().filter_map(Value::as_str).collect();
        out.retain(|k, _| keep.contains(&k.as_str()));
    }
    for (list, order) in orders {
        names.push(list.clone());
        let key = smp_merge_key(names, kind);
        names.pop();
        let Some(Value::Array(items)) = out.get_mut(&list) else {
            continue;
        };
        let rank = |it: &Value| -> usize {
            order
                .iter()
                .position(|o| match key {
                    Some(k) => o.get(k).is_some() && o.get(k) == it.get(k),
                    None => o == it,
                })
                .unwrap_or(usize::MAX)
        };
        items.sort_by_key(rank);
    }
    Ok(Value::Object(out))
}

/// Kubernetes strategic merge patch for the common built-in types.
pub fn strategic_merge_patch(target: &Value, patch: &Value) -> Result<Value, String> {
    if !patch.is_object() {
        return Err("a strategic merge patch must be a JSON object".into());
    }
    let kind = patch
        .get("kind")
        .and_then(Value::as_str)
        .or_else(|| target.get("kind").and_then(Value::as_str))
        .unwrap_or("")
        .to_string();
    let out = smp(target, patch, &mut Vec::new(), &kind, 0)?;
    if out.is_null() {
        return Err("a strategic merge patch cannot delete the whole object".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).expect("yaml")
    }

    const DEPLOY: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1
        ports: [{containerPort: 80}]
      - name: side
        image: busybox
"#;

    fn entry<'a>(obj: &'a Value, manager: &str) -> Option<&'a Value> {
        obj["metadata"]["managedFields"]
            .as_array()?
            .iter()
            .find(|e| e["manager"] == manager)
    }

    #[test]
    fn create_records_fieldsv1() {
        let out = server_side_apply(None, &y(DEPLOY), "confgate", false, "2026-01-01T00:00:00Z")
            .expect("apply");
        let e = entry(&out, "confgate").expect("entry");
        assert_eq!(e["operation"], "Apply");
        assert_eq!(e["fieldsType"], "FieldsV1");
        assert_eq!(e["apiVersion"], "apps/v1");
        let f = &e["fieldsV1"];
        assert_eq!(f["f:metadata"]["f:labels"]["f:app"], json!({}));
        assert!(f["f:metadata"].get("f:name").is_none());
        let c = &f["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"app\"}"];
        assert_eq!(c["."], json!({}));
        assert_eq!(c["f:image"], json!({}));
        assert!(c["f:ports"]["k:{\"containerPort\":80,\"protocol\":\"TCP\"}"]["."].is_object());
        assert_eq!(out["spec"]["replicas"], 2);
    }

    #[test]
    fn missing_identity_is_invalid() {
        let mut d = y(DEPLOY);
        d["metadata"].as_object_mut().expect("m").remove("name");
        assert!(matches!(
            server_side_apply(None, &d, "m", false, "t"),
            Err(ApplyError::Invalid(_))
        ));
        assert!(matches!(
            server_side_apply(
                None,
                &json!({"kind": "X", "metadata": {"name": "a"}}),
                "m",
                false,
                "t"
            ),
            Err(ApplyError::Invalid(_))
        ));
        assert!(matches!(
            server_side_apply(None, &json!([1]), "m", false, "t"),
            Err(ApplyError::Invalid(_))
        ));
        let bad =
            y("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{image: x}]}");
        assert!(matches!(
            server_side_apply(None, &bad, "m", false, "t"),
            Err(ApplyError::Invalid(_))
        ));
    }

    #[test]
    fn conflicts_and_force() {
        let live = server_side_apply(None, &y(DEPLOY), "a", false, "t1").expect("apply");
        let mut b = y(DEPLOY);
        b["spec"]["replicas"] = json!(5);
        b["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
        let err = server_side_apply(Some(&live), &b, "b", false, "t2").expect_err("conflict");
        let ApplyError::Conflicts(cs) = err else {
            panic!("expected conflicts")
        };
        assert_eq!(cs.len(), 2);
        assert!(cs.contains(&Conflict {
            manager: "a".into(),
            field: ".spec.replicas".into()
        }));
        assert!(cs.contains(&Conflict {
            manager: "a".into(),
            field: ".spec.template.spec.containers[name=\"app\"].image".into()
        }));
        // Same values: shared, no conflict.
        let shared = server_side_apply(Some(&live), &y(DEPLOY), "b", false, "t2").expect("shared");
        assert!(entry(&shared, "a").is_some() && entry(&shared, "b").is_some());
        // Force moves ownership.
        let forced = server_side_apply(Some(&live), &b, "b", true, "t3").expect("force");
        assert_eq!(forced["spec"]["replicas"], 5);
        let a = entry(&forced, "a").expect("a keeps the rest");
        assert!(a["fieldsV1"]["f:spec"].get("f:replicas").is_none());
        assert!(a["fieldsV1"]["f:spec"]["f:selector"].is_object());
        let be = entry(&forced, "b").expect("b");
        assert!(be["fieldsV1"]["f:spec"]["f:replicas"].is_object());
    }

    #[test]
    fn dropped_fields_removed_unless_shared() {
        let live = server_side_apply(None, &y(DEPLOY), "a", false, "t1").expect("apply");
        let mut less = y(DEPLOY);
        less["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .expect("list")
            .remove(1);
        less["metadata"]
            .as_object_mut()
            .expect("m")
            .remove("labels");
        let out = server_side_apply(Some(&live), &less, "a", false, "t2").expect("apply");
        let cs = out["spec"]["template"]["spec"]["containers"]
            .as_array()
            .expect("c");
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0]["name"], "app");
        assert!(
            out["metadata"]
                .get("labels")
                .is_none_or(|l| l.get("app").is_none())
        );
        // Shared with another manager: stays.
        let shared = server_side_apply(Some(&live), &y(DEPLOY), "b", false, "t2").expect("b");
        let out = server_side_apply(Some(&shared), &less, "a", false, "t3").expect("apply");
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"]
                .as_array()
                .expect("c")
                .len(),
            2
        );
        assert_eq!(out["metadata"]["labels"]["app"], "web");
    }

    #[test]
    fn merge_by_key_with_other_manager_item() {
        let live = server_side_apply(None, &y(DEPLOY), "a", false, "t1").expect("apply");
        let other = y(r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  template:
    spec:
      containers:
      - name: injected
        image: envoy
      - name: app
        env: [{name: X, value: "1"}]
"#);
        let out = server_side_apply(Some(&live), &other, "b", false, "t2").expect("apply");
        let cs = out["spec"]["template"]["spec"]["containers"]
            .as_array()
            .expect("c");
        assert_eq!(cs.len(), 3);
        assert_eq!(cs[0]["image"], "nginx:1");
        assert_eq!(cs[0]["env"][0]["value"], "1");
        assert_eq!(cs[2]["name"], "injected");
        // a re-applies: b's container and env stay.
        let again = server_side_apply(Some(&out), &y(DEPLOY), "a", false, "t3").expect("apply");
        assert_eq!(
            again["spec"]["template"]["spec"]["containers"]
                .as_array()
                .expect("c")
                .len(),
            3
        );
    }

    #[test]
    fn finalizers_are_a_set_and_atomic_rules() {
        let a = y(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, finalizers: [x]}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]",
        );
        let live = server_side_apply(None, &a, "a", false, "t").expect("apply");
        assert!(
            entry(&live, "a").expect("e")["fieldsV1"]["f:metadata"]["f:finalizers"]["v:\"x\""]
                .is_object()
        );
        assert_eq!(
            entry(&live, "a").expect("e")["fieldsV1"]["f:rules"],
            json!({})
        );
        let b = y(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, finalizers: [y]}\nrules: [{apiGroups: [''], resources: [pods], verbs: [list]}]",
        );
        let err = server_side_apply(Some(&live), &b, "b", false, "t").expect_err("conflict");
        let ApplyError::Conflicts(cs) = err else {
            panic!()
        };
        assert_eq!(
            cs,
            vec![Conflict {
                manager: "a".into(),
                field: ".rules".into()
            }]
        );
        let out = server_side_apply(Some(&live), &b, "b", true, "t").expect("force");
        assert_eq!(out["metadata"]["finalizers"], json!(["x", "y"]));
        assert_eq!(out["rules"][0]["verbs"], json!(["list"]));
    }

    #[test]
    fn apply_after_client_side_create() {
        let mut live = y(DEPLOY);
        record_update(None, &mut live, "kubectl-client-side-apply", None, "t0");
        let e = entry(&live, "kubectl-client-side-apply").expect("entry");
        assert_eq!(e["operation"], "Update");
        let mut b = y(DEPLOY);
        b["spec"]["replicas"] = json!(3);
        let ApplyError::Conflicts(cs) =
            server_side_apply(Some(&live), &b, "confgate", false, "t1").expect_err("c")
        else {
            panic!()
        };
        assert_eq!(
            cs,
            vec![Conflict {
                manager: "kubectl-client-side-apply".into(),
                field: ".spec.replicas".into()
            }]
        );
        // No managedFields at all: before-first-apply.
        let plain = y(DEPLOY);
        let ApplyError::Conflicts(cs) =
            server_side_apply(Some(&plain), &b, "confgate", false, "t1").expect_err("c")
        else {
            panic!()
        };
        assert_eq!(cs[0].manager, "before-first-apply");
        assert!(server_side_apply(Some(&plain), &y(DEPLOY), "confgate", false, "t1").is_ok());
    }

    #[test]
    fn record_update_moves_changed_fields() {
        let live = server_side_apply(None, &y(DEPLOY), "a", false, "t1").expect("apply");
        let mut new = live.clone();
        new["spec"]["replicas"] = json!(7);
        new["status"] = json!({"replicas": 7});
        record_update(Some(&live), &mut new, "kubectl-scale", None, "t2");
        let a = entry(&new, "a").expect("a");
        assert!(a["fieldsV1"]["f:spec"].get("f:replicas").is_none());
        let s = entry(&new, "kubectl-scale").expect("s");
        assert_eq!(s["operation"], "Update");
        assert!(s["fieldsV1"]["f:spec"]["f:replicas"].is_object());
        assert!(s["fieldsV1"]["f:status"]["f:replicas"].is_object());
        // Status subresource entry.
        let mut st = new.clone();
        st["status"]["readyReplicas"] = json!(1);
        record_update(
            Some(&new),
            &mut st,
            "kube-controller-manager",
            Some("status"),
            "t3",
        );
        let k = entry(&st, "kube-controller-manager").expect("k");
        assert_eq!(k["subresource"], "status");
        assert!(k["fieldsV1"]["f:status"]["f:readyReplicas"].is_object());
        // Unchanged write: nothing new.
        let mut same = st.clone();
        record_update(Some(&st), &mut same, "other", None, "t4");
        assert!(entry(&same, "other").is_none());
        // Reset with [{}].
        let mut reset = st.clone();
        reset["metadata"]["managedFields"] = json!([{}]);
        record_update(Some(&st), &mut reset, "x", None, "t5");
        assert!(reset["metadata"].get("managedFields").is_none());
    }

    #[test]
    fn patches() {
        let t = y(DEPLOY);
        let m = merge_patch(&t, &json!({"spec": {"replicas": null, "paused": true}}));
        assert!(m["spec"].get("replicas").is_none());
        assert_eq!(m["spec"]["paused"], true);
        let j = json_patch(
            &t,
            &json!([{"op": "replace", "path": "/spec/replicas", "value": 9}]),
        )
        .expect("jp");
        assert_eq!(j["spec"]["replicas"], 9);
        assert!(json_patch(&t, &json!([{"op": "remove", "path": "/nope"}])).is_err());
        assert!(json_patch(&t, &json!({"op": 1})).is_err());

        let p = json!({
            "metadata": {"finalizers": ["f2"], "$deleteFromPrimitiveList/finalizers": ["f1"]},
            "spec": {"template": {"spec": {
                "$setElementOrder/containers": [{"name": "side"}, {"name": "app"}],
                "containers": [
                    {"name": "app", "image": "nginx:2", "ports": [{"containerPort": 8080}]},
                    {"name": "side", "$patch": "delete"},
                    {"name": "new", "image": "x", "env": [{"name": "A", "value": "1", "$patch": "merge"}]}
                ]
            }}}
        });
        let mut t2 = t.clone();
        t2["metadata"]["finalizers"] = json!(["f1"]);
        let s = strategic_merge_patch(&t2, &p).expect("smp");
        assert_eq!(s["metadata"]["finalizers"], json!(["f2"]));
        let cs = s["spec"]["template"]["spec"]["containers"]
            .as_array()
            .expect("c");
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0]["name"], "app");
        assert_eq!(cs[0]["image"], "nginx:2");
        assert_eq!(cs[0]["ports"].as_array().expect("p").len(), 2);
        assert_eq!(cs[1]["env"][0], json!({"name": "A", "value": "1"}));
        assert!(!s.to_string().contains('$'));
        let r = strategic_merge_patch(&t, &json!({"spec": {"template": {"spec": {"containers": [{"name": "only"}, {"$patch": "replace"}]}}}})).expect("smp");
        assert_eq!(
            r["spec"]["template"]["spec"]["containers"],
            json!([{"name": "only"}])
        );
        let r = strategic_merge_patch(
            &t,
            &json!({"spec": {"$retainKeys": ["replicas"], "replicas": 1}}),
        )
        .expect("smp");
        assert_eq!(r["spec"], json!({"replicas": 1}));
        let r = strategic_merge_patch(
            &t,
            &json!({"spec": {"selector": {"$patch": "replace", "matchLabels": {"b": "c"}}}}),
        )
        .expect("smp");
        assert_eq!(r["spec"]["selector"], json!({"matchLabels": {"b": "c"}}));
        assert!(strategic_merge_patch(&t, &json!([1])).is_err());
        assert!(strategic_merge_patch(&t, &json!({"spec": {"$patch": "bogus"}})).is_err());
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "managedFields": [1, {"fieldsV1": "x"}, {"manager": "m", "fieldsV1": {"f:data": {"k:[": {}, "v:{": {}}}}]}, "data": [1]});
        let a = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}});
        let _ = server_side_apply(Some(&live), &a, "x", true, "t");
        let mut n = json!(5);
        record_update(Some(&live), &mut n, "m", None, "t");
        let mut n = live.clone();
        n["data"] = json!({"z": 1});
        record_update(Some(&live), &mut n, "m", None, "t");
        let _ = strategic_merge_patch(&json!(1), &json!({"a": {"b": [{"$patch": "delete"}]}}));
    }
}
