//! The validator: walks a marked tree alongside the compiled schema of its kind.

use std::collections::HashMap;

use serde_json::Value;

use super::field_rules::FieldRule;
use super::schema::{Additional, Compiled, Format, SNode, Special, Ty, group_of};
use super::{Coverage, IssueKind, IssueLevel, SchemaIssue, SchemaOutcome};
use super::{hints, value_syntax};
use crate::document::{FieldPath, Node, NodeKind, Seg};

/// Longest excerpt of a value quoted in a message.
const MAX_QUOTE: usize = 40;
/// Kubernetes' limit on the total size of an object's annotations.
const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

pub(super) fn validate(c: &Compiled, tree: &Node, strict: bool) -> SchemaOutcome {
    let mut w = Walker {
        c,
        strict,
        path: Vec::new(),
        issues: Vec::new(),
    };
    let coverage = w.root(tree);
    let mut issues = w.issues;
    // Document order; ties keep the walk's order (a parent's issues before its children's).
    issues.sort_by_cached_key(|i| tree.locate(&i.path).span.start);
    SchemaOutcome { coverage, issues }
}

struct Walker<'a, 't> {
    c: &'a Compiled,
    strict: bool,
    /// Where the walk is; turned into a `FieldPath` only when an issue is reported.
    path: Vec<Step<'t>>,
    issues: Vec<SchemaIssue>,
}

#[derive(Clone, Copy)]
enum Step<'t> {
    Key(&'t str),
    Index(usize),
}

/// A short, one-line description of a value: `string "abc"`, `integer 3`, `object`; secrets
/// become `string value`.
fn describe(v: &Value, sensitive: bool) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(_) if sensitive => "boolean value".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => {
            let what = if n.is_f64() { "number" } else { "integer" };
            if sensitive {
                format!("{what} value")
            } else {
                format!("{what} {n}")
            }
        }
        Value::String(_) if sensitive => "string value".to_string(),
        Value::String(s) => format!("string {}", quote(s)),
        Value::Array(_) => "array".to_string(),
        Value::Object(_) => "object".to_string(),
    }
}

fn describe_node(n: &Node, sensitive: bool) -> String {
    match &n.kind {
        NodeKind::Scalar(v) => describe(v, sensitive),
        NodeKind::Seq(_) => "array".to_string(),
        NodeKind::Map(_) => "object".to_string(),
    }
}

/// A quoted excerpt of `s`, cut at `MAX_QUOTE` characters, escaped to stay on one line.
fn quote(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTE) {
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
        None => format!("{s:?}"),
    }
}

/// The integer in `v`, when it is one (floats with no fractional part count, as kubectl's
/// YAML-to-JSON conversion turns `2.0` into `2`). `None` for non-integers; `Some(None)` for
/// integers beyond i64.
fn as_integer(v: &Value) -> Option<Option<i64>> {
    let Value::Number(n) = v else { return None };
    if let Some(i) = n.as_i64() {
        return Some(Some(i));
    }
    if n.is_u64() {
        return Some(None);
    }
    let f = n.as_f64()?;
    if f.fract() != 0.0 || !f.is_finite() {
        return None;
    }
    if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        Some(Some(f as i64))
    } else {
        Some(None)
    }
}

fn type_matches(ty: Ty, n: &Node) -> bool {
    match (&n.kind, ty) {
        (_, Ty::Any) => true,
        (NodeKind::Map(_), Ty::Object) => true,
        (NodeKind::Seq(_), Ty::Array) => true,
        (NodeKind::Scalar(Value::String(_)), Ty::String) => true,
        (NodeKind::Scalar(Value::Bool(_)), Ty::Boolean) => true,
        (NodeKind::Scalar(Value::Number(_)), Ty::Number) => true,
        (NodeKind::Scalar(v), Ty::Integer) => as_integer(v).is_some(),
        _ => false,
    }
}

fn string_of(n: &Node) -> Option<&str> {
    match &n.kind {
        NodeKind::Scalar(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn one_of(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| if v.is_empty() { "\"\"" } else { v })
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'a, 't> Walker<'a, 't> {
    fn push(&mut self, extra: Option<Seg>, level: IssueLevel, kind: IssueKind, message: String) {
        let mut path: Vec<Seg> = self
            .path
            .iter()
            .map(|s| match *s {
                Step::Key(k) => Seg::Key(k.to_string()),
                Step::Index(i) => Seg::Index(i),
            })
            .collect();
        path.extend(extra);
        self.issues.push(SchemaIssue {
            path: FieldPath(path),
            message,
            level,
            kind,
        });
    }

    fn error(&mut self, message: String) {
        self.push(None, IssueLevel::Error, IssueKind::Value, message);
    }

    fn error_at(&mut self, seg: Seg, message: String) {
        self.push(Some(seg), IssueLevel::Error, IssueKind::Value, message);
    }

    /// A required field `seg` is absent.
    fn missing(&mut self, seg: Seg, message: String) {
        self.push(
            Some(seg),
            IssueLevel::Error,
            IssueKind::MissingField,
            message,
        );
    }

    /// Identifies the kind and validates the object; returns whether it is built in.
    fn root(&mut self, tree: &'t Node) -> Coverage {
        if !matches!(tree.kind, NodeKind::Map(_)) {
            self.error(format!(
                "expected a Kubernetes object (a mapping), got {}",
                describe_node(tree, false)
            ));
            return Coverage::Checked;
        }
        let api_version = self.identity_field(tree, "apiVersion");
        let kind = self.identity_field(tree, "kind");
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            return Coverage::Checked;
        };
        let Some(def) = self.c.lookup(api_version, kind) else {
            let group = group_of(api_version);
            if !self.c.data.builtin_groups.contains(group)
                || (api_version == "v1" && kind == "List")
            {
                return Coverage::NotBuiltin;
            }
            self.not_served(api_version, kind);
            return Coverage::Checked;
        };
        let def = &self.c.defs[def as usize];
        let root = def.root;
        let short = def.short.as_str();
        self.visit(tree, root, short, false);
        self.metadata(tree, root, kind);
        Coverage::Checked
    }

    /// `apiVersion` or `kind`: a non-empty string, else an error.
    fn identity_field(&mut self, tree: &'t Node, field: &str) -> Option<&'t str> {
        match tree.get(field) {
            None => {
                self.missing(
                    Seg::Key(field.to_string()),
                    format!("missing required field \"{field}\""),
                );
                None
            }
            Some(n) => match string_of(n) {
                Some(s) if !s.is_empty() => Some(s),
                _ => {
                    self.error_at(
                        Seg::Key(field.to_string()),
                        format!("expected {field} string, got {}", describe_node(n, false)),
                    );
                    None
                }
            },
        }
    }

    /// A built-in group, but this apiVersion does not serve this kind at this version.
    fn not_served(&mut self, api_version: &str, kind: &str) {
        let version = &self.c.version;
        let key = format!("{api_version} {kind}");
        let history = self
            .c
            .data
            .served_minors
            .get(&key)
            .map(|minors| format!(" (served in {})", minor_ranges(minors)))
            .unwrap_or_default();
        let served: Vec<&str> = self
            .c
            .served
            .get(kind)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        if !served.is_empty() {
            let list = served
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(" or ");
            self.error_at(
                Seg::Key("apiVersion".to_string()),
                format!(
                    "apiVersion \"{api_version}\" does not serve kind {kind} in Kubernetes {version}{history}; use {list}"
                ),
            );
            return;
        }
        // Kinds of this apiVersion, leaving out the meta kinds (DeleteOptions, WatchEvent) that
        // the OpenAPI lists for every apiVersion the server merely knows.
        let kinds: Vec<&str> = self
            .c
            .by_gvk
            .get(api_version)
            .map(|m| {
                m.iter()
                    .filter(|&(_, &d)| {
                        !self.c.defs[d as usize]
                            .name
                            .starts_with("io.k8s.apimachinery.")
                    })
                    .map(|(k, _)| k.as_str())
                    .collect()
            })
            .unwrap_or_default();
        if history.is_empty() && !kinds.is_empty() {
            let hint = hints::suggest(kind, kinds)
                .map(|k| format!(" (did you mean \"{k}\"?)"))
                .unwrap_or_default();
            self.error_at(
                Seg::Key("kind".to_string()),
                format!(
                    "kind \"{kind}\" is not served by apiVersion \"{api_version}\" in Kubernetes {version}{hint}"
                ),
            );
            return;
        }
        self.error_at(
            Seg::Key("apiVersion".to_string()),
            format!(
                "apiVersion \"{api_version}\" does not serve kind {kind} in Kubernetes {version}{history}, and no other built-in apiVersion does"
            ),
        );
    }

    /// Top-level metadata: a name (or generateName) of the right syntax for the kind and a
    /// valid namespace.
    fn metadata(&mut self, tree: &Node, root: u32, kind: &str) {
        let Some(meta_ref) = self.c.nodes[root as usize]
            .prop("metadata")
            .and_then(|p| self.c.nodes[p.node as usize].reference)
        else {
            return;
        };
        if !self.c.defs[meta_ref as usize]
            .name
            .ends_with(".meta.v1.ObjectMeta")
        {
            return;
        }
        // Reviews are create-only requests without a name.
        let needs_name = !kind.ends_with("Review");
        let Some(meta) = tree.get("metadata") else {
            if needs_name {
                self.missing(
                    Seg::Key("metadata".to_string()),
                    format!("missing required field \"metadata\" in {kind}"),
                );
            }
            return;
        };
        if !matches!(meta.kind, NodeKind::Map(_)) {
            return; // the type error is reported already
        }
        self.path.push(Step::Key("metadata"));
        match meta.get("name") {
            None if needs_name && meta.get("generateName").is_none() => self.missing(
                Seg::Key("name".to_string()),
                "missing required field \"name\" in ObjectMeta (or set generateName)".to_string(),
            ),
            Some(n) => {
                if let Some(name) = string_of(n) {
                    self.path.push(Step::Key("name"));
                    self.object_name(kind, name);
                    self.path.pop();
                }
            }
            None => {}
        }
        if let Some(ns) = meta.get("namespace").and_then(string_of)
            && !value_syntax::is_dns1123_label(ns)
        {
            self.error_at(
                Seg::Key("namespace".to_string()),
                format!(
                    "invalid namespace {}: must be a DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters)",
                    quote(ns)
                ),
            );
        }
        self.path.pop();
    }

    fn object_name(&mut self, kind: &str, name: &str) {
        let group = match kind {
            "Role"
            | "ClusterRole"
            | "RoleBinding"
            | "ClusterRoleBinding"
            | "FlowSchema"
            | "PriorityLevelConfiguration" => "path",
            "Namespace" => "label",
            "Service" => "1035",
            _ => "subdomain",
        };
        let problem = match group {
            "path" if !value_syntax::is_path_segment_name(name) => {
                Some("must not be '.' or '..' nor contain '/' or '%'")
            }
            "label" if !value_syntax::is_dns1123_label(name) => Some(
                "must be a DNS-1123 label (lowercase alphanumerics and '-', starting and ending with an alphanumeric, at most 63 characters)",
            ),
            "1035" if !value_syntax::is_dns1035_label(name) => Some(
                "must be a DNS-1035 label (lowercase alphanumerics and '-', starting with a letter, ending with an alphanumeric, at most 63 characters)",
            ),
            "subdomain" if !value_syntax::is_dns1123_subdomain(name) => Some(
                "must be a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.', starting and ending with an alphanumeric, at most 253 characters)",
            ),
            _ => None,
        };
        if let Some(problem) = problem {
            self.error(format!("invalid {kind} name {}: {problem}", quote(name)));
        } else if kind == "CronJob" && name.len() > 52 {
            self.error(format!(
                "invalid CronJob name {}: must be at most 52 characters",
                quote(name)
            ));
        }
    }

    /// Validates `n` against schema node `id`; `ctx` names the enclosing type for messages.
    fn visit(&mut self, n: &'t Node, id: u32, ctx: &'a str, sensitive: bool) {
        let c = self.c;
        let prop_rule = c.nodes[id as usize].rule;
        let mut type_rule = None;
        let mut id = id;
        let mut ctx = ctx;
        for _ in 0..8 {
            let Some(d) = c.nodes[id as usize].reference else {
                break;
            };
            let def = &c.defs[d as usize];
            ctx = &def.short;
            id = def.root;
            type_rule = def.rule;
        }
        let s = &c.nodes[id as usize];
        let sensitive = sensitive || prop_rule == Some(FieldRule::DataKeys { secret: true });
        if !self.check_type(n, s, sensitive) {
            return;
        }
        match &n.kind {
            NodeKind::Scalar(v) => self.scalar(v, s, sensitive),
            NodeKind::Map(entries) => {
                // An entry named like a secret (an env var `DB_PASSWORD`) hides its value.
                let sensitive = sensitive
                    || entries.iter().any(|e| {
                        e.key == "name" && string_of(&e.value).is_some_and(hints::looks_secret)
                    });
                self.map(entries, s, ctx, sensitive);
            }
            NodeKind::Seq(items) => self.seq(items, s, ctx, sensitive),
        }
        for rule in [prop_rule, type_rule].into_iter().flatten() {
            self.rule(rule, n, sensitive);
        }
    }

    /// Type (and quantity / int-or-string) check; `false` when nothing more should be checked.
    fn check_type(&mut self, n: &Node, s: &SNode, sensitive: bool) -> bool {
        let value = match &n.kind {
            NodeKind::Scalar(v) => Some(v),
            _ => None,
        };
        if value == Some(&Value::Null) {
            if s.nullable || s.ty == Ty::Any {
                return false;
            }
            self.error(format!("expected {}, got null", s.ty.name()));
            return false;
        }
        match s.special {
            Special::Quantity => {
                match value {
                    Some(Value::String(q)) => {
                        if value_syntax::parse_quantity(q).is_none() {
                            self.error(format!(
                                "invalid quantity {}: expected e.g. 100m, 0.5, 1Gi, 512Mi or 1e3",
                                if sensitive {
                                    "value".to_string()
                                } else {
                                    quote(q)
                                }
                            ));
                        }
                    }
                    Some(Value::Number(_)) => {}
                    _ => self.error(format!(
                        "expected quantity (string or number), got {}",
                        describe_node(n, sensitive)
                    )),
                }
                return false;
            }
            Special::IntOrString => {
                let ok = matches!(value, Some(Value::String(_)))
                    || value.is_some_and(|v| as_integer(v).is_some());
                if !ok {
                    self.error(format!(
                        "expected integer or string, got {}",
                        describe_node(n, sensitive)
                    ));
                }
                return ok;
            }
            Special::None => {}
        }
        if type_matches(s.ty, n) {
            return true;
        }
        self.error(format!(
            "expected {}, got {}",
            s.ty.name(),
            describe_node(n, sensitive)
        ));
        false
    }

    fn scalar(&mut self, v: &Value, s: &SNode, sensitive: bool) {
        match (s.format, v) {
            (Format::Int32 | Format::Int64, _) => {
                let (lo, hi, name) = if s.format == Format::Int32 {
                    (i64::from(i32::MIN), i64::from(i32::MAX), "int32")
                } else {
                    (i64::MIN, i64::MAX, "int64")
                };
                match as_integer(v) {
                    Some(Some(i)) if i < lo || i > hi => self.error(format!(
                        "{} is out of the {name} range",
                        describe(v, sensitive)
                    )),
                    Some(None) => self.error(format!(
                        "{} is out of the {name} range",
                        describe(v, sensitive)
                    )),
                    _ => {}
                }
            }
            (Format::Byte, Value::String(text)) if !value_syntax::is_base64(text) => {
                self.error("value is not valid base64".to_string());
            }
            (Format::DateTime, Value::String(text)) if !value_syntax::is_rfc3339(text) => {
                self.error(format!(
                    "expected an RFC 3339 date-time like 2024-01-31T12:00:00Z, got {}",
                    describe(v, sensitive)
                ));
            }
            _ => {}
        }
        if !s.enumeration.is_empty()
            && let Value::String(text) = v
            && !s.enumeration.iter().any(|e| e == text)
        {
            let values: Vec<&str> = s.enumeration.iter().map(String::as_str).collect();
            self.error(format!(
                "expected one of {}, got {}",
                one_of(&values),
                describe(v, sensitive)
            ));
        }
    }

    fn map(
        &mut self,
        entries: &'t [crate::document::Entry],
        s: &SNode,
        ctx: &'a str,
        sensitive: bool,
    ) {
        for r in &s.required {
            if !entries.iter().any(|e| &e.key == r) {
                self.missing(
                    Seg::Key(r.clone()),
                    format!("missing required field \"{r}\" in {ctx}"),
                );
            }
        }
        for e in entries {
            let target = match s.prop(&e.key) {
                Some(p) => Some((p.node, p.secretish)),
                None => match s.additional {
                    Additional::Schema(a) => Some((a, hints::looks_secret(&e.key))),
                    Additional::Open => None,
                    Additional::Absent if s.props.is_empty() => None,
                    Additional::Absent | Additional::Closed => {
                        self.unknown(&e.key, s, ctx);
                        None
                    }
                },
            };
            if let Some((target, secretish)) = target {
                self.path.push(Step::Key(&e.key));
                self.visit(&e.value, target, ctx, sensitive || secretish);
                self.path.pop();
            }
        }
    }

    fn unknown(&mut self, key: &str, s: &SNode, ctx: &str) {
        let level = if self.strict {
            IssueLevel::Error
        } else {
            IssueLevel::Warning
        };
        let hint = hints::suggest(key, s.props.iter().map(|p| p.name.as_str()))
            .map(|p| format!(" (did you mean \"{p}\"?)"))
            .unwrap_or_default();
        self.push(
            Some(Seg::Key(key.to_string())),
            level,
            IssueKind::UnknownField,
            format!("unknown field {} in {ctx}{hint}", quote(key)),
        );
    }

    fn seq(&mut self, items: &'t [Node], s: &SNode, ctx: &'a str, sensitive: bool) {
        if let Some(item) = s.items {
            for (i, it) in items.iter().enumerate() {
                self.path.push(Step::Index(i));
                self.visit(it, item, ctx, sensitive);
                self.path.pop();
            }
        }
        if !s.map_keys.is_empty() {
            self.duplicate_keys(items, &s.map_keys, sensitive);
        } else if s.set {
            self.duplicate_values(items, sensitive);
        }
    }

    /// `x-kubernetes-list-type: map`: no two items with the same key fields.
    fn duplicate_keys(&mut self, items: &[Node], keys: &[String], sensitive: bool) {
        let mut seen: HashMap<Vec<&Value>, usize> = HashMap::new();
        let tcp = Value::String("TCP".to_string());
        for (i, it) in items.iter().enumerate() {
            if !matches!(it.kind, NodeKind::Map(_)) {
                continue;
            }
            let mut tuple = Vec::with_capacity(keys.len());
            let mut complete = true;
            for k in keys {
                match it.get(k).map(|n| &n.kind) {
                    Some(NodeKind::Scalar(v)) => tuple.push(v),
                    // Ports are keyed by (port, protocol); protocol defaults to TCP.
                    None if k == "protocol" => tuple.push(&tcp),
                    _ => complete = false,
                }
            }
            if !complete {
                continue;
            }
            if let Some(&first) = seen.get(&tuple) {
                let what = keys
                    .iter()
                    .zip(&tuple)
                    .map(|(k, v)| {
                        let v = match v {
                            Value::String(s) if !sensitive => quote(s),
                            Value::Number(n) if !sensitive => n.to_string(),
                            _ => "value".to_string(),
                        };
                        format!("{k} {v}")
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                self.error_at(
                    Seg::Index(i),
                    format!(
                        "duplicate entry with {what} (first at index {first}); server-side apply rejects duplicate list keys"
                    ),
                );
            } else {
                seen.insert(tuple, i);
            }
        }
    }

    /// `x-kubernetes-list-type: set`: no repeated scalar.
    fn duplicate_values(&mut self, items: &[Node], sensitive: bool) {
        let mut seen: HashMap<&Value, usize> = HashMap::new();
        for (i, it) in items.iter().enumerate() {
            let NodeKind::Scalar(v) = &it.kind else {
                continue;
            };
            if let Some(&first) = seen.get(v) {
                self.error_at(
                    Seg::Index(i),
                    format!(
                        "duplicate {} (first at index {first}); server-side apply rejects duplicates in a set",
                        describe(v, sensitive)
                    ),
                );
            } else {
                seen.insert(v, i);
            }
        }
    }

    fn rule(&mut self, rule: FieldRule, n: &Node, sensitive: bool) {
        match rule {
            FieldRule::Enum(values) => {
                if let Some(text) = string_of(n) {
                    self.enum_value(text, values, None, sensitive);
                }
            }
            FieldRule::EnumItems(values) => {
                if let NodeKind::Seq(items) = &n.kind {
                    for (i, it) in items.iter().enumerate() {
                        if let Some(text) = string_of(it) {
                            self.enum_value(text, values, Some(Seg::Index(i)), sensitive);
                        }
                    }
                }
            }
            FieldRule::Port { zero_ok } => {
                if let NodeKind::Scalar(v) = &n.kind
                    && let Some(port) = as_integer(v)
                {
                    self.port(port, zero_ok);
                }
            }
            FieldRule::PortOrName => match &n.kind {
                NodeKind::Scalar(Value::String(name)) => self.port_name(name),
                NodeKind::Scalar(v) => {
                    if let Some(port) = as_integer(v) {
                        self.port(port, false);
                    }
                }
                _ => {}
            },
            FieldRule::IanaName => {
                if let Some(name) = string_of(n) {
                    self.port_name(name);
                }
            }
            FieldRule::DnsLabel => {
                if let Some(name) = string_of(n)
                    && !value_syntax::is_dns1123_label(name)
                {
                    self.error(format!(
                        "invalid name {}: must be a DNS-1123 label (lowercase alphanumerics and '-', starting and ending with an alphanumeric, at most 63 characters)",
                        quote(name)
                    ));
                }
            }
            FieldRule::Labels => self.labels(n, sensitive),
            FieldRule::Annotations => self.annotations(n),
            FieldRule::DataKeys { .. } => {
                if let NodeKind::Map(entries) = &n.kind {
                    for e in entries {
                        if let Err(problem) = value_syntax::check_config_key(&e.key) {
                            self.error_at(
                                Seg::Key(e.key.clone()),
                                format!("invalid key {}: {problem}", quote(&e.key)),
                            );
                        }
                    }
                }
            }
            FieldRule::EnvName => {
                if let Some(name) = string_of(n) {
                    if name.is_empty() {
                        self.error(
                            "invalid environment variable name: must not be empty".to_string(),
                        );
                    } else if name.contains('=') {
                        self.error(format!(
                            "invalid environment variable name {}: must not contain '='",
                            quote(name)
                        ));
                    }
                }
            }
            FieldRule::IntOrPercent => match &n.kind {
                NodeKind::Scalar(Value::String(text)) => {
                    let ok = text
                        .strip_suffix('%')
                        .is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()));
                    if !ok {
                        self.error(format!(
                            "expected an integer or a percentage like \"25%\", got {}",
                            quote(text)
                        ));
                    }
                }
                NodeKind::Scalar(v) => {
                    if let Some(Some(i)) = as_integer(v)
                        && i < 0
                    {
                        self.error(format!("expected a non-negative integer, got {i}"));
                    }
                }
                _ => {}
            },
            FieldRule::Resources => self.resources(n),
        }
    }

    fn enum_value(&mut self, text: &str, values: &[&str], seg: Option<Seg>, sensitive: bool) {
        if values.contains(&text) {
            return;
        }
        let hint = values
            .iter()
            .find(|v| v.eq_ignore_ascii_case(text))
            .map(|v| format!(" (did you mean \"{v}\"?)"))
            .unwrap_or_default();
        let got = describe(&Value::String(text.to_string()), sensitive);
        self.push(
            seg,
            IssueLevel::Error,
            IssueKind::Value,
            format!("expected one of {}, got {got}{hint}", one_of(values)),
        );
    }

    fn port(&mut self, port: Option<i64>, zero_ok: bool) {
        let ok = match port {
            Some(0) => zero_ok,
            Some(p) => (1..=65535).contains(&p),
            None => false,
        };
        if !ok {
            let shown = port
                .map(|p| p.to_string())
                .unwrap_or_else(|| "value".to_string());
            self.error(format!("port {shown} is out of range 1-65535"));
        }
    }

    fn port_name(&mut self, name: &str) {
        if !value_syntax::is_iana_svc_name(name) {
            self.error(format!(
                "invalid port name {}: must be an IANA service name (at most 15 lowercase alphanumerics and '-', with a letter, no leading, trailing or double '-')",
                quote(name)
            ));
        }
    }

    fn labels(&mut self, n: &Node, sensitive: bool) {
        let NodeKind::Map(entries) = &n.kind else {
            return;
        };
        for e in entries {
            if let Err(problem) = value_syntax::check_qualified_name(&e.key) {
                self.error_at(
                    Seg::Key(e.key.clone()),
                    format!("invalid label key {}: {problem}", quote(&e.key)),
                );
            }
            if let Some(v) = string_of(&e.value)
                && let Err(problem) = value_syntax::check_label_value(v)
            {
                let shown = if sensitive || hints::looks_secret(&e.key) {
                    "value".to_string()
                } else {
                    quote(v)
                };
                self.error_at(
                    Seg::Key(e.key.clone()),
                    format!("invalid label value {shown}: {problem}"),
                );
            }
        }
    }

    fn annotations(&mut self, n: &Node) {
        let NodeKind::Map(entries) = &n.kind else {
            return;
        };
        let mut total = 0;
        for e in entries {
            if let Err(problem) = value_syntax::check_qualified_name(&e.key) {
                self.error_at(
                    Seg::Key(e.key.clone()),
                    format!("invalid annotation key {}: {problem}", quote(&e.key)),
                );
            }
            total += e.key.len() + string_of(&e.value).map_or(0, str::len);
        }
        if total > MAX_ANNOTATIONS_BYTES {
            self.error(format!(
                "annotations total {total} bytes, over the {MAX_ANNOTATIONS_BYTES}-byte limit"
            ));
        }
    }

    /// Requests and limits: quantities must not be negative, a request not above its limit.
    fn resources(&mut self, n: &Node) {
        let quantities = |field: &str| -> Vec<(&str, f64)> {
            match n.get(field).map(|m| &m.kind) {
                Some(NodeKind::Map(entries)) => entries
                    .iter()
                    .filter_map(|e| {
                        let q = match &e.value.kind {
                            NodeKind::Scalar(Value::String(s)) => value_syntax::parse_quantity(s)?,
                            NodeKind::Scalar(Value::Number(num)) => num.as_f64()?,
                            _ => return None,
                        };
                        Some((e.key.as_str(), q))
                    })
                    .collect(),
                _ => Vec::new(),
            }
        };
        let requests = quantities("requests");
        let limits = quantities("limits");
        for (field, list) in [("requests", &requests), ("limits", &limits)] {
            for &(name, q) in list {
                if q < 0.0 {
                    self.path.push(Step::Key(field));
                    self.error_at(
                        Seg::Key(name.to_string()),
                        format!("{name} {} must not be negative", &field[..field.len() - 1]),
                    );
                    self.path.pop();
                }
            }
        }
        for &(name, req) in &requests {
            if let Some(&(_, lim)) = limits.iter().find(|(l, _)| *l == name)
                && req - lim > 1e-9 * lim.abs().max(1e-9)
            {
                let shown = |field: &str| {
                    n.get(field)
                        .and_then(|m| m.get(name))
                        .map(|v| match &v.kind {
                            NodeKind::Scalar(Value::String(s)) => s.clone(),
                            NodeKind::Scalar(v) => v.to_string(),
                            _ => String::new(),
                        })
                        .unwrap_or_default()
                };
                self.path.push(Step::Key("requests"));
                self.error_at(
                    Seg::Key(name.to_string()),
                    format!(
                        "{name} request {} exceeds its limit {}",
                        shown("requests"),
                        shown("limits")
                    ),
                );
                self.path.pop();
            }
        }
    }
}

/// `[25, 26, 27, 30]` → `1.25–1.27, 1.30`.
fn minor_ranges(minors: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < minors.len() {
        let start = minors[i];
        let mut end = start;
        while i + 1 < minors.len() && minors[i + 1] == end + 1 {
            i += 1;
            end = minors[i];
        }
        parts.push(if start == end {
            format!("1.{start}")
        } else {
            format!("1.{start}–1.{end}")
        });
        i += 1;
    }
    parts.join(", ")
}
