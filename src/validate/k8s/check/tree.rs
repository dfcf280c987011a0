//! The schema walk proper: each node checked against its schema node (type, nullability,
//! formats, enums), maps against their properties (required, unknown with a suggestion,
//! additional properties), lists item by item with duplicate list-map keys and set values.

use std::collections::HashMap;

use serde_json::Value;

use super::{Step, Walker};
use super::{as_integer, describe, describe_node, one_of, quote, string_of, type_matches};
use crate::document::{Node, NodeKind, Seg};
use crate::validate::k8s::field_rules::FieldRule;
use crate::validate::k8s::schema::{Additional, Format, SNode, Special, Ty};
use crate::validate::k8s::{IssueKind, IssueLevel, hints, value_syntax};

impl<'a, 't> Walker<'a, 't> {
    /// Validates `n` against schema node `id`; `ctx` names the enclosing type for messages.
    pub(super) fn visit(&mut self, n: &'t Node, id: u32, ctx: &'a str, sensitive: bool) {
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
    pub(super) fn check_type(&mut self, n: &Node, s: &SNode, sensitive: bool) -> bool {
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

    pub(super) fn scalar(&mut self, v: &Value, s: &SNode, sensitive: bool) {
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

    pub(super) fn map(
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

    pub(super) fn unknown(&mut self, key: &str, s: &SNode, ctx: &str) {
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

    pub(super) fn seq(&mut self, items: &'t [Node], s: &SNode, ctx: &'a str, sensitive: bool) {
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
    pub(super) fn duplicate_keys(&mut self, items: &[Node], keys: &[String], sensitive: bool) {
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
    pub(super) fn duplicate_values(&mut self, items: &[Node], sensitive: bool) {
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
}
