//! Curated value checks (`FieldRule`) applied where the schema walk finds them: enums, ports
//! and port names, DNS labels, label and annotation maps, ConfigMap/Secret keys, env names,
//! int-or-percent values and resource requirements (requests not above limits).

use serde_json::Value;

use super::{MAX_ANNOTATIONS_BYTES, as_integer, describe, one_of, quote, string_of};
use super::{Step, Walker};
use crate::document::{Node, NodeKind, Seg};
use crate::validate::k8s::field_rules::FieldRule;
use crate::validate::k8s::{IssueKind, IssueLevel, hints, value_syntax};

impl Walker<'_, '_> {
    pub(super) fn rule(&mut self, rule: FieldRule, n: &Node, sensitive: bool) {
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

    pub(super) fn enum_value(
        &mut self,
        text: &str,
        values: &[&str],
        seg: Option<Seg>,
        sensitive: bool,
    ) {
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

    pub(super) fn port(&mut self, port: Option<i64>, zero_ok: bool) {
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

    pub(super) fn port_name(&mut self, name: &str) {
        if !value_syntax::is_iana_svc_name(name) {
            self.error(format!(
                "invalid port name {}: must be an IANA service name (at most 15 lowercase alphanumerics and '-', with a letter, no leading, trailing or double '-')",
                quote(name)
            ));
        }
    }

    pub(super) fn labels(&mut self, n: &Node, sensitive: bool) {
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

    pub(super) fn annotations(&mut self, n: &Node) {
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
    pub(super) fn resources(&mut self, n: &Node) {
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
