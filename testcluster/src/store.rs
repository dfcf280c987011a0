//! The object store: every object once, as `Arc<Value>`, keyed by resource, namespace and
//! name; a global resourceVersion; the watch history; the write semantics (uid,
//! resourceVersion, generation, defaulting, status subresource, finalizers, garbage
//! collection, namespaces and CRDs).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use crate::apply;
use crate::registry::{Registry, ResourceDef, def_from_crd};
use crate::selector::{FieldSelector, LabelSelector};

pub type Key = (String, String);

#[derive(Debug)]
pub struct WatchEvent {
    pub rv: u64,
    /// group/plural
    pub res: String,
    pub typ: &'static str,
    pub obj: Arc<Value>,
    pub old: Option<Arc<Value>>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }
    pub fn with_details(mut self, d: Value) -> ApiError {
        self.details = Some(d);
        self
    }
    pub fn not_found(def: &ResourceDef, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", def.qualified()),
        )
        .with_details(details(def, name))
    }
    pub fn already_exists(def: &ResourceDef, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", def.qualified()),
        )
        .with_details(details(def, name))
    }
    pub fn conflict(def: &ResourceDef, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                def.qualified()
            ),
        )
        .with_details(details(def, name))
    }
    pub fn invalid(def: &ResourceDef, name: &str, field: &str, msg: &str) -> ApiError {
        let gk = if def.group.is_empty() {
            def.kind.clone()
        } else {
            format!("{}.{}", def.kind, def.group)
        };
        let mut d = json!({"name": name, "kind": def.kind,
            "causes": [{"reason": "FieldValueInvalid", "message": msg, "field": field}]});
        if !def.group.is_empty() {
            d["group"] = json!(def.group);
        }
        ApiError::new(
            422,
            "Invalid",
            format!("{gk} \"{name}\" is invalid: {field}: {msg}"),
        )
        .with_details(d)
    }
    pub fn namespace_not_found(ns: &str) -> ApiError {
        ApiError::new(404, "NotFound", format!("namespaces \"{ns}\" not found"))
            .with_details(json!({"name": ns, "kind": "namespaces"}))
    }
    pub fn to_status(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            v["details"] = d.clone();
        }
        v
    }
}

pub fn details(def: &ResourceDef, name: &str) -> Value {
    let mut d = json!({"name": name, "kind": def.plural});
    if !def.group.is_empty() {
        d["group"] = json!(def.group);
    }
    d
}

/// How a write is made.
#[derive(Debug, Clone)]
pub struct WriteCtx {
    pub dry_run: bool,
    pub manager: String,
    pub now: String,
    /// Internal writes (load_yaml, controller): no managedFields, status kept as given.
    pub direct: bool,
    /// A create's uid and generated name, fixed in advance (admission: the object that the
    /// webhooks saw in the dry run is the one stored).
    pub pinned: Option<(String, String)>,
}

impl WriteCtx {
    pub fn direct() -> WriteCtx {
        WriteCtx {
            dry_run: false,
            manager: "testcluster".into(),
            now: now_str(),
            direct: true,
            pinned: None,
        }
    }
}

pub fn now_str() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

pub struct Store {
    pub registry: Registry,
    pub rv: u64,
    data: HashMap<String, BTreeMap<Key, Arc<Value>>>,
    history: VecDeque<Arc<WatchEvent>>,
    pub tx: broadcast::Sender<Arc<WatchEvent>>,
    uid_seed: String,
    uid_seq: u64,
    ip_seq: u32,
    ca_pem: String,
    pub total: usize,
}

const HISTORY: usize = 50_000;

pub fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")?.get(field)?.as_str()
}

fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    match obj.get_mut("metadata") {
        Some(Value::Object(m)) => m,
        _ => unreachable!("metadata was just made an object"),
    }
}

pub enum ListPage {
    Page {
        items: Vec<Arc<Value>>,
        cont: Option<String>,
        remaining: Option<usize>,
        rv: u64,
    },
}

pub struct Continue {
    pub rv: u64,
    pub ns: String,
    pub name: String,
}

pub fn encode_continue(c: &Continue) -> String {
    use base64::Engine as _;
    let j = json!({"v": "meta.k8s.io/v1", "rv": c.rv, "ns": c.ns, "name": c.name});
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(j.to_string())
}

pub fn decode_continue(s: &str) -> Option<Continue> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    Some(Continue {
        rv: v.get("rv")?.as_u64()?,
        ns: v.get("ns")?.as_str()?.to_string(),
        name: v.get("name")?.as_str()?.to_string(),
    })
}

/// Removes metadata and status: what "generation" watches.
fn spec_part(v: &Value) -> Value {
    let mut c = v.clone();
    if let Some(m) = c.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("apiVersion");
        m.remove("kind");
    }
    c
}

fn without_volatile(v: &Value) -> Value {
    let mut c = v.clone();
    if let Some(m) = c.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        m.remove("managedFields");
    }
    c
}

const NAME_CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn valid_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn valid_path_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains('/') && !s.contains('%') && s.len() <= 253
}

impl Store {
    pub fn new(ca_pem: String) -> Store {
        let (tx, _) = broadcast::channel(16384);
        Store {
            registry: Registry::builtin(),
            rv: 1000,
            data: HashMap::new(),
            history: VecDeque::new(),
            tx,
            uid_seed: crate::tls::random_hex(6),
            uid_seq: 0,
            ip_seq: 10,
            ca_pem,
            total: 0,
        }
    }

    fn new_uid(&mut self) -> String {
        self.uid_seq += 1;
        let r = crate::tls::random_hex(4);
        // 8-4-4-4-12
        format!(
            "{}-{}-4{}-a{}-{}{:010x}",
            &r[..8],
            &self.uid_seed[..4],
            &self.uid_seed[4..7],
            &self.uid_seed[7..10],
            &self.uid_seed[10..12],
            self.uid_seq
        )
    }

    fn random_suffix() -> String {
        crate::tls::random_bytes(5)
            .iter()
            .map(|b| NAME_CHARS[*b as usize % NAME_CHARS.len()] as char)
            .collect()
    }

    fn emit(&mut self, res: &str, typ: &'static str, obj: Arc<Value>, old: Option<Arc<Value>>) {
        let ev = Arc::new(WatchEvent {
            rv: self.rv,
            res: res.to_string(),
            typ,
            obj,
            old,
        });
        if self.history.len() >= HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(ev.clone());
        let _ = self.tx.send(ev);
    }

    fn set_rv(&mut self, obj: &mut Value) {
        self.rv += 1;
        meta_mut(obj).insert("resourceVersion".into(), json!(self.rv.to_string()));
    }

    fn put_raw(&mut self, def: &ResourceDef, mut obj: Value) -> Arc<Value> {
        self.set_rv(&mut obj);
        let ns = meta_str(&obj, "namespace").unwrap_or("").to_string();
        let name = meta_str(&obj, "name").unwrap_or("").to_string();
        let arc = Arc::new(obj);
        let res = def.key();
        let old = self
            .data
            .entry(res.clone())
            .or_default()
            .insert((ns, name), arc.clone());
        if old.is_none() {
            self.total += 1;
        }
        let typ = if old.is_some() { "MODIFIED" } else { "ADDED" };
        self.emit(&res, typ, arc.clone(), old);
        arc
    }

    fn remove_raw(&mut self, res: &str, ns: &str, name: &str) -> Option<Arc<Value>> {
        let old = self
            .data
            .get_mut(res)?
            .remove(&(ns.to_string(), name.to_string()))?;
        self.total -= 1;
        let mut gone = (*old).clone();
        self.set_rv(&mut gone);
        let arc = Arc::new(gone);
        self.emit(res, "DELETED", arc.clone(), Some(old));
        Some(arc)
    }

    pub fn get(&self, def: &ResourceDef, ns: Option<&str>, name: &str) -> Option<Arc<Value>> {
        self.data
            .get(&def.key())?
            .get(&(ns.unwrap_or("").to_string(), name.to_string()))
            .cloned()
    }

    pub fn namespace_exists(&self, ns: &str) -> bool {
        self.data
            .get("/namespaces")
            .is_some_and(|m| m.contains_key(&(String::new(), ns.to_string())))
    }

    pub fn all_objects(&self) -> Vec<Arc<Value>> {
        let mut out = Vec::with_capacity(self.total);
        for m in self.data.values() {
            out.extend(m.values().cloned());
        }
        out
    }

    /// Objects the controller looks at (the bulk kinds it never acts on are left out).
    pub fn controller_objects(&self) -> Vec<Value> {
        const SKIP: &[&str] = &[
            "/configmaps",
            "/secrets",
            "/events",
            "events.k8s.io/events",
            "coordination.k8s.io/leases",
            "rbac.authorization.k8s.io/roles",
            "rbac.authorization.k8s.io/rolebindings",
            "rbac.authorization.k8s.io/clusterroles",
            "rbac.authorization.k8s.io/clusterrolebindings",
            "/serviceaccounts",
        ];
        let mut out = vec![];
        for (k, m) in &self.data {
            if SKIP.contains(&k.as_str()) {
                continue;
            }
            out.extend(m.values().map(|v| (**v).clone()));
        }
        out
    }

    // ---------------------------------------------------------------- list & watch

    #[allow(clippy::too_many_arguments)]
    pub fn list(
        &self,
        def: &ResourceDef,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
        limit: Option<usize>,
        cont: Option<&Continue>,
    ) -> ListPage {
        let rv = cont.map(|c| c.rv).unwrap_or(self.rv);
        let empty = BTreeMap::new();
        let map = self.data.get(&def.key()).unwrap_or(&empty);
        let lower: Bound<Key> = match (cont, ns) {
            (Some(c), _) => Bound::Excluded((c.ns.clone(), c.name.clone())),
            (None, Some(n)) => Bound::Included((n.to_string(), String::new())),
            (None, None) => Bound::Unbounded,
        };
        let filtering = !labels.is_empty() || !fields.is_empty();
        let matches = |k: &Key, v: &Arc<Value>| -> bool {
            if let Some(n) = fields.name()
                && k.1 != n
            {
                return false;
            }
            labels.matches(v.pointer("/metadata/labels").and_then(Value::as_object))
                && fields.matches(v)
        };
        let mut items = vec![];
        let mut next = None;
        let mut remaining = 0usize;
        let mut last: Option<&Key> = None;
        let mut range = map.range((lower, Bound::Unbounded));
        let in_ns = |k: &Key| ns.is_none_or(|n| k.0 == n);
        while let Some((k, v)) = range.next() {
            if !in_ns(k) {
                break;
            }
            if filtering && !matches(k, v) {
                continue;
            }
            if let Some(l) = limit
                && items.len() >= l
            {
                next = last.cloned();
                remaining = if filtering {
                    // kube-apiserver gives no count with selectors.
                    1
                } else {
                    // This object and the rest of the scope, counted without looking
                    // into them (a page costs its own size, not the list's).
                    1 + range.take_while(|(k, _)| in_ns(k)).count()
                };
                break;
            }
            items.push(v.clone());
            last = Some(k);
        }
        let cont = next.map(|(ns, name)| encode_continue(&Continue { rv, ns, name }));
        let remaining = if cont.is_some() && !filtering {
            Some(remaining)
        } else {
            None
        };
        ListPage::Page {
            items,
            cont,
            remaining,
            rv,
        }
    }

    /// Events after `from` for `res` (None when `from` is older than the history).
    pub fn history_since(&self, res: &str, from: u64) -> Option<Vec<Arc<WatchEvent>>> {
        if let Some(first) = self.history.front()
            && from + 1 < first.rv
            && from < self.rv
        {
            // Did we drop events in (from, first.rv)? Only when the history is full.
            if self.history.len() >= HISTORY {
                return None;
            }
        }
        Some(
            self.history
                .iter()
                .filter(|e| e.rv > from && e.res == res)
                .cloned()
                .collect(),
        )
    }

    // ---------------------------------------------------------------- writes

    fn check_namespace(
        &self,
        def: &ResourceDef,
        obj: &mut Value,
        ns: Option<&str>,
    ) -> Result<(), ApiError> {
        let body_ns = meta_str(obj, "namespace").map(str::to_string);
        if def.namespaced {
            let ns = match (ns, body_ns.as_deref()) {
                (Some(p), Some(b)) if !b.is_empty() && p != b => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                (Some(p), _) => p.to_string(),
                (None, Some(b)) if !b.is_empty() => b.to_string(),
                _ => "default".to_string(),
            };
            meta_mut(obj).insert("namespace".into(), json!(ns));
        } else if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("namespace");
        }
        Ok(())
    }

    fn check_type(def: &ResourceDef, obj: &mut Value, version: &str) -> Result<(), ApiError> {
        if !obj.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request is not a JSON object",
            ));
        }
        match obj.get("kind").and_then(Value::as_str) {
            Some(k) if k != def.kind => {
                return Err(ApiError::bad_request(format!(
                    "the kind of the object ({k}) does not match the kind of the resource ({})",
                    def.kind
                )));
            }
            _ => {}
        }
        obj["kind"] = json!(def.kind);
        let av = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let (g, v) = crate::registry::split_api_version(av);
        if av.is_empty() || g != def.group || !def.versions.iter().any(|x| x == v) {
            obj["apiVersion"] = json!(def.api_version(version));
        }
        Ok(())
    }

    pub fn create(
        &mut self,
        def: &Arc<ResourceDef>,
        version: &str,
        ns: Option<&str>,
        mut obj: Value,
        ctx: &WriteCtx,
        record: bool,
    ) -> Result<Arc<Value>, ApiError> {
        Self::check_type(def, &mut obj, version)?;
        self.check_namespace(def, &mut obj, ns)?;
        let mut name = meta_str(&obj, "name").unwrap_or("").to_string();
        if name.is_empty() {
            match meta_str(&obj, "generateName") {
                Some(g) if !g.is_empty() && ctx.pinned.is_some() => {
                    name = ctx
                        .pinned
                        .as_ref()
                        .map(|p| p.1.clone())
                        .unwrap_or_else(|| g.to_string());
                    meta_mut(&mut obj).insert("name".into(), json!(name));
                }
                Some(g) if !g.is_empty() => {
                    loop {
                        let candidate = format!("{g}{}", Self::random_suffix());
                        let nsv = meta_str(&obj, "namespace").map(str::to_string);
                        if self.get(def, nsv.as_deref(), &candidate).is_none() {
                            name = candidate;
                            break;
                        }
                    }
                    meta_mut(&mut obj).insert("name".into(), json!(name));
                }
                _ => {
                    return Err(ApiError::invalid(
                        def,
                        "",
                        "metadata.name",
                        "Required value: name or generateName is required",
                    ));
                }
            }
        }
        if !valid_path_name(&name) {
            return Err(ApiError::invalid(
                def,
                &name,
                "metadata.name",
                &format!("Invalid value: \"{name}\": may not contain '/' or '%'"),
            ));
        }
        if def.kind == "Namespace" && def.group.is_empty() && !valid_dns_label(&name) {
            return Err(ApiError::invalid(
                def,
                &name,
                "metadata.name",
                &format!(
                    "Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
                ),
            ));
        }
        let nsv = meta_str(&obj, "namespace").map(str::to_string);
        if let Some(n) = &nsv
            && !self.namespace_exists(n)
        {
            if ctx.direct {
                self.ensure_namespace(n);
            } else {
                return Err(ApiError::namespace_not_found(n));
            }
        }
        if self.get(def, nsv.as_deref(), &name).is_some() {
            return Err(ApiError::already_exists(def, &name));
        }
        if !ctx.direct && meta_str(&obj, "resourceVersion").is_some_and(|s| !s.is_empty()) {
            return Err(ApiError::bad_request(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        {
            let uid = match &ctx.pinned {
                Some((u, _)) => u.clone(),
                None => self.new_uid(),
            };
            let m = meta_mut(&mut obj);
            m.remove("resourceVersion");
            m.remove("deletionTimestamp");
            if !ctx.direct || !m.contains_key("uid") {
                m.insert("uid".into(), json!(uid));
            }
            if !ctx.direct || !m.contains_key("creationTimestamp") {
                m.insert("creationTimestamp".into(), json!(ctx.now));
            }
        }
        if obj.get("spec").is_some() || def.status {
            meta_mut(&mut obj).insert("generation".into(), json!(1));
        }
        if def.status
            && !ctx.direct
            && let Some(m) = obj.as_object_mut()
        {
            m.remove("status");
        }
        self.defaults(def, &mut obj);
        check_base64(def, &obj)?;
        if record && !ctx.direct {
            apply::record_update(None, &mut obj, &ctx.manager, None, &ctx.now);
        }
        if ctx.dry_run {
            return Ok(Arc::new(obj));
        }
        let arc = self.put_raw(def, obj);
        self.after_write(def, &arc);
        Ok(arc)
    }

    /// Writes `new` over the stored `old` (PUT, patches, apply, controller).
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        def: &Arc<ResourceDef>,
        version: &str,
        old: &Arc<Value>,
        mut new: Value,
        sub: Option<&str>,
        ctx: &WriteCtx,
        record: bool,
    ) -> Result<Arc<Value>, ApiError> {
        let name = meta_str(old, "name").unwrap_or("").to_string();
        Self::check_type(def, &mut new, version)?;
        match meta_str(&new, "name") {
            Some(n) if n != name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )));
            }
            _ => {}
        }
        if let (Some(a), Some(b)) = (meta_str(&new, "namespace"), meta_str(old, "namespace"))
            && !a.is_empty()
            && a != b
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        if let Some(rv) = meta_str(&new, "resourceVersion")
            && !rv.is_empty()
            && Some(rv) != meta_str(old, "resourceVersion")
        {
            return Err(ApiError::conflict(def, &name));
        }
        if sub == Some("status") {
            let mut merged = (**old).clone();
            match new.get("status") {
                Some(s) => merged["status"] = s.clone(),
                None => {
                    if let Some(m) = merged.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
            if let Some(mf) = new.pointer("/metadata/managedFields") {
                meta_mut(&mut merged).insert("managedFields".into(), mf.clone());
            }
            new = merged;
        } else if def.status && !ctx.direct {
            match old.get("status") {
                Some(s) => new["status"] = s.clone(),
                None => {
                    if let Some(m) = new.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
        }
        {
            let om = old
                .get("metadata")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let m = meta_mut(&mut new);
            m.insert("name".into(), json!(name));
            for k in [
                "uid",
                "creationTimestamp",
                "namespace",
                "deletionTimestamp",
                "generation",
            ] {
                match om.get(k) {
                    Some(v) => {
                        m.insert(k.into(), v.clone());
                    }
                    None => {
                        m.remove(k);
                    }
                }
            }
            if let Some(v) = om.get("resourceVersion") {
                m.insert("resourceVersion".into(), v.clone());
            }
        }
        self.defaults(def, &mut new);
        check_base64(def, &new)?;
        if !ctx.direct {
            check_immutable(def, old, &new, &name)?;
        }
        if spec_part(&new) != spec_part(old) {
            let g = old.pointer("/metadata/generation").and_then(Value::as_i64);
            let g = match g {
                Some(g) => Some(g + 1),
                None if new.get("spec").is_some() => Some(1),
                None => None,
            };
            if let Some(g) = g {
                meta_mut(&mut new).insert("generation".into(), json!(g));
            }
        }
        if def.kind == "CustomResourceDefinition" {
            Self::crd_status(&mut new);
        }
        if record && !ctx.direct {
            apply::record_update(Some(old), &mut new, &ctx.manager, sub, &ctx.now);
        }
        if without_volatile(&new) == without_volatile(old) {
            // No-op: kube-apiserver does not bump the resourceVersion.
            return Ok(old.clone());
        }
        if ctx.dry_run {
            return Ok(Arc::new(new));
        }
        let deleting = new.pointer("/metadata/deletionTimestamp").is_some();
        let no_finalizers = new
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_none_or(|a| a.is_empty());
        if deleting && no_finalizers {
            let ns = meta_str(old, "namespace").unwrap_or("").to_string();
            let arc = self.put_raw(def, new);
            let gone = self.remove_raw(&def.key(), &ns, &name).unwrap_or(arc);
            self.after_delete(def, &gone, false);
            return Ok(gone);
        }
        let arc = self.put_raw(def, new);
        self.after_write(def, &arc);
        Ok(arc)
    }

    /// DELETE of one object. Returns the object and whether it is gone (false: it waits
    /// for finalizers).
    pub fn delete(
        &mut self,
        def: &Arc<ResourceDef>,
        ns: Option<&str>,
        name: &str,
        propagation: Option<&str>,
        preconditions: Option<&Value>,
        ctx: &WriteCtx,
    ) -> Result<(Arc<Value>, bool), ApiError> {
        let old = self
            .get(def, ns, name)
            .ok_or_else(|| ApiError::not_found(def, name))?;
        if let Some(p) = preconditions {
            if let Some(uid) = p.get("uid").and_then(Value::as_str)
                && Some(uid) != meta_str(&old, "uid")
            {
                return Err(ApiError::new(
                    409,
                    "Conflict",
                    format!(
                        "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        def.qualified(),
                        meta_str(&old, "uid").unwrap_or("")
                    ),
                )
                .with_details(details(def, name)));
            }
            if let Some(rv) = p.get("resourceVersion").and_then(Value::as_str)
                && Some(rv) != meta_str(&old, "resourceVersion")
            {
                return Err(ApiError::conflict(def, name));
            }
        }
        if def.kind == "Namespace"
            && def.group.is_empty()
            && matches!(name, "default" | "kube-system" | "kube-public")
        {
            return Err(ApiError::new(
                403,
                "Forbidden",
                format!("namespaces \"{name}\" is forbidden: this namespace may not be deleted"),
            )
            .with_details(details(def, name)));
        }
        if ctx.dry_run {
            return Ok((old, true));
        }
        let has_finalizers = old
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        if has_finalizers {
            if old.pointer("/metadata/deletionTimestamp").is_some() {
                return Ok((old, false));
            }
            let mut v = (*old).clone();
            meta_mut(&mut v).insert("deletionTimestamp".into(), json!(ctx.now));
            meta_mut(&mut v).insert("deletionGracePeriodSeconds".into(), json!(0));
            let arc = self.put_raw(def, v);
            return Ok((arc, false));
        }
        let gone = self
            .remove_raw(&def.key(), ns.unwrap_or(""), name)
            .ok_or_else(|| ApiError::not_found(def, name))?;
        let orphan = propagation == Some("Orphan");
        self.after_delete(def, &gone, orphan);
        Ok((gone, true))
    }

    fn after_write(&mut self, def: &ResourceDef, obj: &Arc<Value>) {
        if def.group.is_empty() && def.kind == "Namespace" {
            if let Some(ns) = meta_str(obj, "name").map(str::to_string) {
                self.namespace_children(&ns);
            }
        } else if def.kind == "CustomResourceDefinition"
            && def.group == "apiextensions.k8s.io"
            && let Some(mut d) = def_from_crd(obj)
        {
            {
                // A changed CRD keeps its objects (same group/plural).
                if let Some(crd) = &d.crd {
                    let old: Vec<_> = self.registry.remove_crd(crd);
                    for o in old {
                        if o.key() != d.key() {
                            self.data.remove(&o.key());
                        }
                    }
                }
                if self
                    .registry
                    .defs
                    .get(&d.key())
                    .is_some_and(|x| x.crd.is_none())
                {
                    // Never shadow a built-in.
                    return;
                }
                d.printer_columns.retain(Value::is_object);
                self.registry.add(d);
            }
        }
    }

    fn crd_status(obj: &mut Value) {
        let names = obj
            .pointer("/spec/names")
            .filter(|n| n.is_object())
            .cloned()
            .unwrap_or(json!({}));
        let mut accepted = names.clone();
        if accepted.get("singular").is_none()
            && let Some(k) = names.get("kind").and_then(Value::as_str)
        {
            accepted["singular"] = json!(k.to_lowercase());
        }
        if accepted.get("listKind").is_none()
            && let Some(k) = names.get("kind").and_then(Value::as_str)
        {
            accepted["listKind"] = json!(format!("{k}List"));
        }
        let stored: Vec<Value> = obj
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .map(|vs| {
                vs.iter()
                    .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
                    .filter_map(|v| v.get("name").cloned())
                    .collect()
            })
            .unwrap_or_default();
        let t = obj
            .pointer("/metadata/creationTimestamp")
            .cloned()
            .unwrap_or(json!(now_str()));
        obj["status"] = json!({
            "acceptedNames": accepted,
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "lastTransitionTime": t, "reason": "NoConflicts", "message": "no conflicts found"},
                {"type": "Established", "status": "True", "lastTransitionTime": t, "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"}
            ],
            "storedVersions": stored,
        });
    }

    fn after_delete(&mut self, def: &ResourceDef, gone: &Arc<Value>, orphan: bool) {
        let mut roots = HashSet::new();
        if let Some(u) = meta_str(gone, "uid") {
            roots.insert(u.to_string());
        }
        if def.group.is_empty() && def.kind == "Namespace" {
            let ns = meta_str(gone, "name").unwrap_or("").to_string();
            let keys: Vec<String> = self.data.keys().cloned().collect();
            for res in keys {
                let names: Vec<Key> = self
                    .data
                    .get(&res)
                    .map(|m| m.keys().filter(|k| k.0 == ns).cloned().collect())
                    .unwrap_or_default();
                for (n, name) in names {
                    if let Some(g) = self.remove_raw(&res, &n, &name)
                        && let Some(u) = meta_str(&g, "uid")
                    {
                        roots.insert(u.to_string());
                    }
                }
            }
        }
        if def.kind == "CustomResourceDefinition"
            && def.group == "apiextensions.k8s.io"
            && let Some(crd) = meta_str(gone, "name")
        {
            {
                for d in self.registry.remove_crd(crd) {
                    let names: Vec<Key> = self
                        .data
                        .get(&d.key())
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    for (n, name) in names {
                        self.remove_raw(&d.key(), &n, &name);
                    }
                    self.data.remove(&d.key());
                }
            }
        }
        self.collect_garbage(roots, orphan);
    }

    /// Deletes (or, with `orphan`, releases) the dependents of the deleted `uids`.
    fn collect_garbage(&mut self, mut uids: HashSet<String>, orphan: bool) {
        let mut first = true;
        while !uids.is_empty() {
            let mut victims: Vec<(String, Key, Arc<Value>)> = vec![];
            for (res, m) in &self.data {
                for (k, v) in m {
                    let Some(refs) = v
                        .pointer("/metadata/ownerReferences")
                        .and_then(Value::as_array)
                    else {
                        continue;
                    };
                    if refs.iter().any(|r| {
                        r.get("uid")
                            .and_then(Value::as_str)
                            .is_some_and(|u| uids.contains(u))
                    }) {
                        victims.push((res.clone(), k.clone(), v.clone()));
                    }
                }
            }
            let mut next = HashSet::new();
            for (res, (ns, name), v) in victims {
                let Some(def) = self.registry.defs.get(&res).cloned() else {
                    continue;
                };
                if orphan && first {
                    let mut nv = (*v).clone();
                    if let Some(refs) = nv
                        .pointer_mut("/metadata/ownerReferences")
                        .and_then(Value::as_array_mut)
                    {
                        refs.retain(|r| {
                            !r.get("uid")
                                .and_then(Value::as_str)
                                .is_some_and(|u| uids.contains(u))
                        });
                        if refs.is_empty()
                            && let Some(m) = nv.get_mut("metadata").and_then(Value::as_object_mut)
                        {
                            m.remove("ownerReferences");
                        }
                    }
                    self.put_raw(&def, nv);
                    continue;
                }
                // Other owners still alive keep it.
                let alive = v
                    .pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .map(|refs| {
                        refs.iter().any(|r| {
                            r.get("uid")
                                .and_then(Value::as_str)
                                .is_some_and(|u| !uids.contains(u) && self.uid_exists(u))
                        })
                    })
                    .unwrap_or(false);
                if alive {
                    continue;
                }
                if let Some(g) = self.remove_raw(&res, &ns, &name)
                    && let Some(u) = meta_str(&g, "uid")
                {
                    next.insert(u.to_string());
                }
            }
            if orphan && first {
                break;
            }
            first = false;
            uids = next;
        }
    }

    fn uid_exists(&self, uid: &str) -> bool {
        self.data
            .values()
            .any(|m| m.values().any(|v| meta_str(v, "uid") == Some(uid)))
    }

    pub fn ensure_namespace(&mut self, ns: &str) {
        if self.namespace_exists(ns) {
            return;
        }
        let Some(def) = self.registry.defs.get("/namespaces").cloned() else {
            return;
        };
        let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        let _ = self.create(&def, "v1", None, obj, &WriteCtx::direct(), false);
    }

    fn namespace_children(&mut self, ns: &str) {
        let ctx = WriteCtx::direct();
        if let Some(sa) = self.registry.defs.get("/serviceaccounts").cloned()
            && self.get(&sa, Some(ns), "default").is_none()
        {
            let obj = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": ns}});
            let _ = self.create(&sa, "v1", Some(ns), obj, &ctx, false);
        }
        if let Some(cm) = self.registry.defs.get("/configmaps").cloned()
            && self.get(&cm, Some(ns), "kube-root-ca.crt").is_none()
        {
            let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "kube-root-ca.crt", "namespace": ns,
                    "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
                "data": {"ca.crt": self.ca_pem}});
            let _ = self.create(&cm, "v1", Some(ns), obj, &ctx, false);
        }
    }

    // ---------------------------------------------------------------- defaulting

    fn defaults(&mut self, def: &ResourceDef, obj: &mut Value) {
        if def.kind == "CustomResourceDefinition" && def.group == "apiextensions.k8s.io" {
            Self::crd_status(obj);
            return;
        }
        if def.crd.is_some() {
            return;
        }
        match (def.group.as_str(), def.kind.as_str()) {
            ("", "Namespace") => {
                if obj.pointer("/status/phase").is_none() {
                    obj["status"] = json!({"phase": "Active"});
                }
                if obj.pointer("/spec/finalizers").is_none() {
                    obj["spec"] = json!({"finalizers": ["kubernetes"]});
                }
                let name = meta_str(obj, "name").unwrap_or("").to_string();
                let m = meta_mut(obj);
                if !m.get("labels").is_some_and(Value::is_object) {
                    m.insert("labels".into(), json!({}));
                }
                if let Some(Value::Object(l)) = m.get_mut("labels") {
                    l.insert("kubernetes.io/metadata.name".into(), json!(name));
                }
            }
            ("", "Pod") => {
                if let Some(spec) = obj.get_mut("spec") {
                    pod_spec_defaults(spec);
                }
                if obj.pointer("/status/phase").is_none() {
                    obj["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
                }
            }
            ("", "Secret") => {
                if let Some(Value::Object(sd)) =
                    obj.as_object_mut().and_then(|m| m.remove("stringData"))
                {
                    use base64::Engine as _;
                    if !obj.get("data").is_some_and(Value::is_object) {
                        obj["data"] = json!({});
                    }
                    for (k, v) in sd {
                        let s = v
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string());
                        obj["data"][k] = json!(base64::engine::general_purpose::STANDARD.encode(s));
                    }
                }
                if obj
                    .get("type")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    obj["type"] = json!("Opaque");
                }
            }
            ("", "Service") => {
                let spec = match obj.get_mut("spec") {
                    Some(s) if s.is_object() => s,
                    _ => {
                        obj["spec"] = json!({});
                        &mut obj["spec"]
                    }
                };
                if spec.get("type").is_none() {
                    spec["type"] = json!("ClusterIP");
                }
                if spec.get("sessionAffinity").is_none() {
                    spec["sessionAffinity"] = json!("None");
                }
                let external = spec.get("type").and_then(Value::as_str) == Some("ExternalName");
                if !external {
                    if spec.get("clusterIP").is_none() {
                        self.ip_seq += 1;
                        let ip = format!("10.96.{}.{}", self.ip_seq / 250, self.ip_seq % 250 + 1);
                        spec["clusterIP"] = json!(ip);
                    }
                    if spec.get("clusterIPs").is_none() {
                        spec["clusterIPs"] = json!([spec["clusterIP"].clone()]);
                    }
                    if spec.get("ipFamilies").is_none() {
                        spec["ipFamilies"] = json!(["IPv4"]);
                    }
                    if spec.get("ipFamilyPolicy").is_none() {
                        spec["ipFamilyPolicy"] = json!("SingleStack");
                    }
                    if spec.get("internalTrafficPolicy").is_none() {
                        spec["internalTrafficPolicy"] = json!("Cluster");
                    }
                }
                if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                    for p in ports.iter_mut().filter(|p| p.is_object()) {
                        if p.get("protocol").is_none() {
                            p["protocol"] = json!("TCP");
                        }
                        if p.get("targetPort").is_none()
                            && let Some(port) = p.get("port").cloned()
                        {
                            p["targetPort"] = port;
                        }
                    }
                }
                if obj.get("status").is_none() {
                    obj["status"] = json!({"loadBalancer": {}});
                }
            }
            ("apps", "Deployment") => {
                let spec = ensure_obj(obj, "spec");
                default(spec, "replicas", json!(1));
                default(spec, "revisionHistoryLimit", json!(10));
                default(spec, "progressDeadlineSeconds", json!(600));
                default(
                    spec,
                    "strategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
                );
                template_defaults(spec);
            }
            ("apps", "StatefulSet") => {
                let spec = ensure_obj(obj, "spec");
                default(spec, "replicas", json!(1));
                default(spec, "revisionHistoryLimit", json!(10));
                default(spec, "podManagementPolicy", json!("OrderedReady"));
                default(
                    spec,
                    "updateStrategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
                );
                template_defaults(spec);
            }
            ("apps", "DaemonSet") => {
                let spec = ensure_obj(obj, "spec");
                default(spec, "revisionHistoryLimit", json!(10));
                default(
                    spec,
                    "updateStrategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
                );
                template_defaults(spec);
            }
            ("apps", "ReplicaSet") | ("", "ReplicationController") => {
                let spec = ensure_obj(obj, "spec");
                default(spec, "replicas", json!(1));
                template_defaults(spec);
            }
            ("batch", "Job") => {
                let spec = ensure_obj(obj, "spec");
                default(spec, "backoffLimit", json!(6));
                default(spec, "completions", json!(1));
                default(spec, "parallelism", json!(1));
                if let Some(t) = spec.get_mut("template")
                    && let Some(ps) = t.get_mut("spec")
                {
                    pod_spec_defaults(ps);
                }
            }
            _ => {}
        }
    }

    /// Stores the node and namespaces a fresh cluster has.
    pub fn bootstrap(&mut self) {
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            self.ensure_namespace(ns);
        }
        if let Some(node) = self.registry.defs.get("/nodes").cloned() {
            let now = now_str();
            let obj = json!({
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": "testcluster-node", "labels": {
                    "kubernetes.io/hostname": "testcluster-node", "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64", "node-role.kubernetes.io/control-plane": ""}},
                "spec": {"podCIDR": "10.244.0.0/24"},
                "status": {
                    "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"},
                    "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"},
                    "conditions": [
                        {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status", "lastHeartbeatTime": now, "lastTransitionTime": now},
                        {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "lastHeartbeatTime": now, "lastTransitionTime": now},
                        {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure", "lastHeartbeatTime": now, "lastTransitionTime": now},
                        {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID", "lastHeartbeatTime": now, "lastTransitionTime": now}
                    ],
                    "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": "testcluster-node"}],
                    "nodeInfo": {"kubeletVersion": "v1.37.0", "containerRuntimeVersion": "containerd://2.1.0", "operatingSystem": "linux", "architecture": "amd64", "osImage": "testcluster", "kernelVersion": "6.1.0", "kubeProxyVersion": "v1.37.0", "machineID": "", "systemUUID": "", "bootID": ""}
                }
            });
            let _ = self.create(&node, "v1", None, obj, &WriteCtx::direct(), false);
        }
        if let Some(svc) = self.registry.defs.get("/services").cloned() {
            let obj = json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}});
            let _ = self.create(&svc, "v1", Some("default"), obj, &WriteCtx::direct(), false);
        }
    }
}

/// Secret `data` and ConfigMap `binaryData` are bytes: base64 in JSON, rejected otherwise
/// like kube-apiserver's decoder does.
fn check_base64(def: &ResourceDef, obj: &Value) -> Result<(), ApiError> {
    use base64::Engine as _;
    let field = match (def.group.as_str(), def.kind.as_str()) {
        ("", "Secret") => "data",
        ("", "ConfigMap") => "binaryData",
        _ => return Ok(()),
    };
    let Some(m) = obj.get(field).and_then(Value::as_object) else {
        return Ok(());
    };
    for (k, v) in m {
        let ok = v
            .as_str()
            .is_some_and(|s| base64::engine::general_purpose::STANDARD.decode(s).is_ok())
            || v.is_null();
        if !ok {
            return Err(ApiError::bad_request(format!(
                "{} in version \"v1\" cannot be handled as a {}: illegal base64 data in {field}[{k:?}]",
                def.kind, def.kind
            )));
        }
    }
    Ok(())
}

fn ensure_obj<'a>(obj: &'a mut Value, key: &str) -> &'a mut Value {
    if !obj.get(key).is_some_and(Value::is_object) {
        obj[key] = json!({});
    }
    &mut obj[key]
}

fn default(obj: &mut Value, key: &str, v: Value) {
    if obj.is_object() && obj.get(key).is_none_or(Value::is_null) {
        obj[key] = v;
    }
}

fn template_defaults(spec: &mut Value) {
    if let Some(t) = spec.get_mut("template")
        && let Some(ps) = t.get_mut("spec")
    {
        pod_spec_defaults(ps);
    }
}

fn pod_spec_defaults(ps: &mut Value) {
    if !ps.is_object() {
        return;
    }
    default(ps, "restartPolicy", json!("Always"));
    default(ps, "terminationGracePeriodSeconds", json!(30));
    default(ps, "dnsPolicy", json!("ClusterFirst"));
    default(ps, "schedulerName", json!("default-scheduler"));
    default(ps, "securityContext", json!({}));
    for key in ["containers", "initContainers"] {
        if let Some(cs) = ps.get_mut(key).and_then(Value::as_array_mut) {
            for c in cs {
                if !c.is_object() {
                    continue;
                }
                let image = c.get("image").and_then(Value::as_str).unwrap_or("");
                let last = image.rsplit('/').next().unwrap_or(image);
                let policy = if image.contains('@') {
                    "IfNotPresent"
                } else if !last.contains(':') || last.ends_with(":latest") {
                    "Always"
                } else {
                    "IfNotPresent"
                };
                default(c, "imagePullPolicy", json!(policy));
                default(c, "terminationMessagePath", json!("/dev/termination-log"));
                default(c, "terminationMessagePolicy", json!("File"));
                default(c, "resources", json!({}));
                if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
                    for p in ports {
                        default(p, "protocol", json!("TCP"));
                    }
                }
            }
        }
    }
}

/// Fields kube-apiserver's validation refuses to change on update: workload selectors, a
/// Job's selector and template, a Service's clusterIP, a PVC's storage class and access
/// modes, an immutable ConfigMap's or Secret's data. 422 Invalid with the field, as there.
fn check_immutable(
    def: &ResourceDef,
    old: &Value,
    new: &Value,
    name: &str,
) -> Result<(), ApiError> {
    let fields: &[&str] = match (def.group.as_str(), def.kind.as_str()) {
        ("apps", "Deployment" | "ReplicaSet" | "DaemonSet") => &["/spec/selector"],
        ("apps", "StatefulSet") => &[
            "/spec/selector",
            "/spec/serviceName",
            "/spec/volumeClaimTemplates",
        ],
        ("batch", "Job") => &["/spec/selector", "/spec/template", "/spec/completionMode"],
        ("", "Service") => &["/spec/clusterIP"],
        ("", "PersistentVolumeClaim") => &[
            "/spec/storageClassName",
            "/spec/accessModes",
            "/spec/volumeName",
        ],
        ("", "ConfigMap" | "Secret") if old.get("immutable") == Some(&json!(true)) => {
            &["/data", "/binaryData", "/stringData", "/immutable"]
        }
        _ => &[],
    };
    for f in fields {
        let (a, b) = (old.pointer(f), new.pointer(f));
        // Unset on the new object means "keep" for defaulted fields such as clusterIP.
        if b.is_none() && *f == "/spec/clusterIP" {
            continue;
        }
        if a != b {
            let field = f.trim_start_matches('/').replace('/', ".");
            let msg = format!(
                "Invalid value: {}: field is immutable",
                b.map(|v| v.to_string()).unwrap_or_else(|| "null".into())
            );
            return Err(ApiError::invalid(def, name, &field, &msg));
        }
    }
    Ok(())
}
