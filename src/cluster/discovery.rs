//! API discovery: every resource type the server offers (core, groups, CRDs), at its
//! preferred version, and the pure choice of which of them a read covers.

use kube::discovery::{Discovery, Scope};

use crate::diag::Diagnostic;

use super::{Cluster, retry};

/// One resource type, at the version the server prefers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ResourceType {
    /// `""` for the core group.
    pub group: String,
    pub version: String,
    /// `v1`, `apps/v1`.
    pub api_version: String,
    pub kind: String,
    /// The resource name in URLs (`deployments`).
    pub plural: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl ResourceType {
    pub fn can(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    /// `deployments.apps`, `pods` (kubectl's resource.group form).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub(crate) fn api_resource(&self) -> kube::discovery::ApiResource {
        kube::discovery::ApiResource {
            group: self.group.clone(),
            version: self.version.clone(),
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            plural: self.plural.clone(),
        }
    }
}

/// Every resource type of the server (preferred versions, subresources left out).
pub async fn discover(cluster: &Cluster) -> Result<Vec<ResourceType>, Diagnostic> {
    let found = retry::read(cluster, "API discovery", || {
        Discovery::new(cluster.client().clone()).run()
    })
    .await?;
    let mut out = Vec::new();
    for group in found.groups() {
        for (ar, caps) in group.recommended_resources() {
            out.push(ResourceType {
                group: ar.group,
                version: ar.version,
                api_version: ar.api_version,
                kind: ar.kind,
                plural: ar.plural,
                namespaced: caps.scope == Scope::Namespaced,
                verbs: caps.operations,
            });
        }
    }
    out.sort_by(|a, b| (&a.group, &a.plural).cmp(&(&b.group, &b.plural)));
    Ok(out)
}

/// Every resource type of the server at every version it serves (a manifest may use any
/// of them: `autoscaling/v1` next to the preferred `autoscaling/v2`), with whether the
/// version is the preferred one.
pub async fn discover_versions(cluster: &Cluster) -> Result<Vec<(ResourceType, bool)>, Diagnostic> {
    let found = retry::read(cluster, "API discovery", || {
        Discovery::new(cluster.client().clone()).run()
    })
    .await?;
    let mut out = Vec::new();
    for group in found.groups() {
        // Each kind at its most stable version (a kind only in a beta version counts too).
        let preferred: std::collections::BTreeSet<(String, String)> = group
            .resources_by_stability()
            .into_iter()
            .map(|(ar, _)| (ar.api_version, ar.kind))
            .collect();
        let versions: Vec<String> = group.versions().map(str::to_string).collect();
        for v in versions {
            for (ar, caps) in group.versioned_resources(&v) {
                out.push((
                    ResourceType {
                        group: ar.group,
                        version: ar.version,
                        api_version: ar.api_version,
                        kind: ar.kind,
                        plural: ar.plural,
                        namespaced: caps.scope == Scope::Namespaced,
                        verbs: caps.operations,
                    },
                    false,
                ));
                let last = out.len() - 1;
                let key = (out[last].0.api_version.clone(), out[last].0.kind.clone());
                out[last].1 = preferred.contains(&key);
            }
        }
    }
    Ok(out)
}

/// Types that are state the cluster produces, not configuration anyone writes: left out of
/// reads unless named with `--kinds`.
pub const RUNTIME_KINDS: &[&str] = &[
    "Event",
    "Endpoints",
    "EndpointSlice",
    "Lease",
    "ControllerRevision",
    "ComponentStatus",
    "Binding",
    "CertificateSigningRequest",
];

/// Whether `pattern` (from `--kinds`) names `t`: its kind, plural or singular-ish name, or
/// `plural.group`, case-insensitively.
pub fn names(pattern: &str, t: &ResourceType) -> bool {
    let p = pattern.trim().to_ascii_lowercase();
    let kind = t.kind.to_ascii_lowercase();
    p == kind
        || p == t.plural
        || p == t.qualified()
        || p == format!("{kind}.{}", t.group)
        || (!t.group.is_empty() && p == format!("{}.{}", t.plural, t.group))
}

/// The types a read covers: listable ones, minus runtime state (unless asked for by
/// name), within `--kinds` when given and outside `--exclude-kinds`. Returns the chosen
/// types and the `--kinds` patterns that matched nothing (so a typo is not a silent empty
/// scan).
pub fn select(
    all: &[ResourceType],
    kinds: &[String],
    exclude: &[String],
) -> (Vec<ResourceType>, Vec<String>) {
    let chosen: Vec<ResourceType> = all
        .iter()
        .filter(|t| t.can("list"))
        .filter(|t| {
            if kinds.is_empty() {
                !RUNTIME_KINDS.contains(&t.kind.as_str())
            } else {
                kinds.iter().any(|k| names(k, t))
            }
        })
        .filter(|t| !exclude.iter().any(|k| names(k, t)))
        .cloned()
        .collect();
    let unmatched = kinds
        .iter()
        .filter(|k| !all.iter().any(|t| names(k, t)))
        .cloned()
        .collect();
    (chosen, unmatched)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(group: &str, kind: &str, plural: &str, verbs: &[&str]) -> ResourceType {
        ResourceType {
            group: group.into(),
            version: "v1".into(),
            api_version: if group.is_empty() {
                "v1".into()
            } else {
                format!("{group}/v1")
            },
            kind: kind.into(),
            plural: plural.into(),
            namespaced: true,
            verbs: verbs.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn all() -> Vec<ResourceType> {
        let rw = ["get", "list", "watch", "create"];
        vec![
            t("", "Pod", "pods", &rw),
            t("", "Event", "events", &rw),
            t("apps", "Deployment", "deployments", &rw),
            t(
                "authorization.k8s.io",
                "SelfSubjectAccessReview",
                "selfsubjectaccessreviews",
                &["create"],
            ),
            t("example.com", "Widget", "widgets", &rw),
        ]
    }

    fn kinds(v: &[ResourceType]) -> Vec<&str> {
        v.iter().map(|t| t.kind.as_str()).collect()
    }

    #[test]
    fn by_default_every_listable_type_but_runtime_state() {
        let (chosen, unmatched) = select(&all(), &[], &[]);
        assert_eq!(kinds(&chosen), ["Pod", "Deployment", "Widget"]);
        assert!(unmatched.is_empty());
    }

    #[test]
    fn kinds_match_by_kind_plural_or_group_and_report_typos() {
        let want = vec![
            "deployment".to_string(),
            "widgets.example.com".into(),
            "Event".into(),
            "Deploymnet".into(),
        ];
        let (chosen, unmatched) = select(&all(), &want, &[]);
        assert_eq!(kinds(&chosen), ["Event", "Deployment", "Widget"]);
        assert_eq!(unmatched, ["Deploymnet"]);
        let (chosen, _) = select(&all(), &[], &["pods".to_string()]);
        assert_eq!(kinds(&chosen), ["Deployment", "Widget"]);
    }
}
