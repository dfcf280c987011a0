//! The object's identity before its body: `apiVersion` and `kind` present and served by the
//! chosen Kubernetes version (with the versions that do serve it, or the kind meant, when
//! not), then `metadata`: name and namespace syntax per kind, `generateName`, labels and
//! annotations. Kept apart from the schema walk because these checks run once per object and
//! decide whether there is a schema to walk at all.

use super::{Step, Walker};
use super::{describe_node, quote, string_of};
use crate::document::{Node, NodeKind, Seg};
use crate::validate::k8s::schema::group_of;
use crate::validate::k8s::{Coverage, hints, value_syntax};

impl<'a, 't> Walker<'a, 't> {
    /// Identifies the kind and validates the object; returns whether it is built in.
    pub(super) fn root(&mut self, tree: &'t Node) -> Coverage {
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
    pub(super) fn identity_field(&mut self, tree: &'t Node, field: &str) -> Option<&'t str> {
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
    pub(super) fn not_served(&mut self, api_version: &str, kind: &str) {
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
    pub(super) fn metadata(&mut self, tree: &Node, root: u32, kind: &str) {
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

    pub(super) fn object_name(&mut self, kind: &str, name: &str) {
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
