//! Kubernetes facts, in one place: the releases confgate knows, which kinds carry a pod
//! spec, which are cluster-scoped, and the name syntaxes the API server enforces.
//!
//! This is the ground floor: it depends on nothing else in the crate, so the engine, the
//! loaders, `validate` and the cluster code can all use it without import circles. Where a
//! fact is also written in Rego (`policies/lib/k8s.rego`), a test keeps the two in step.

use std::fmt;
use std::str::FromStr;

/// The newest Kubernetes minor release the built-in rules and bundled schemas follow.
pub const NEWEST_MINOR: u32 = 37;

/// The oldest minor release the built-in rules know the API removals of (1.16 removed the
/// `extensions/v1beta1` workloads); older releases cannot be checked.
pub const OLDEST_MINOR: u32 = 16;

/// [`NEWEST_MINOR`] as the text users write, `1.37`.
pub const NEWEST_VERSION: &str = "1.37";

/// A Kubernetes release as `major.minor` (patch levels and vendor suffixes are ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
}

impl KubeVersion {
    /// Is this a release the built-in rules can check against (1.16 to the newest)?
    pub fn is_supported(self) -> bool {
        self.major == 1 && (OLDEST_MINOR..=NEWEST_MINOR).contains(&self.minor)
    }

    /// The newest release confgate knows.
    pub const NEWEST: KubeVersion = KubeVersion {
        major: 1,
        minor: NEWEST_MINOR,
    };

    /// Reads `1.34`, `v1.34`, `1.34.2` or `v1.30.4-gke.100`: a leading `v`, a patch level
    /// and a `-`/`+` suffix are accepted; anything else is not a version.
    pub fn parse(text: &str) -> Option<KubeVersion> {
        let t = text.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let core = t.split(['-', '+']).next().unwrap_or_default();
        let parts: Vec<&str> = core.split('.').collect();
        if !(2..=3).contains(&parts.len())
            || parts
                .iter()
                .any(|p| p.is_empty() || p.len() > 6 || !p.bytes().all(|c| c.is_ascii_digit()))
        {
            return None;
        }
        Some(KubeVersion {
            major: parts[0].parse().ok()?,
            minor: parts[1].parse().ok()?,
        })
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for KubeVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KubeVersion::parse(s).ok_or_else(|| format!("{s:?} is not a version like 1.34"))
    }
}

/// A kind that carries a pod template: where the template (its `metadata` and `spec`) sits,
/// and the API groups that define the kind (none: the kind name is unique to one API, any
/// group is accepted). Knative's `Service` and `Configuration` share their names with other
/// kinds, so their group is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkloadKind {
    pub kind: &'static str,
    pub groups: &'static [&'static str],
    pub template: &'static [&'static str],
}

const SPEC_TEMPLATE: &[&str] = &["spec", "template"];

const fn workload(
    kind: &'static str,
    groups: &'static [&'static str],
    template: &'static [&'static str],
) -> WorkloadKind {
    WorkloadKind {
        kind,
        groups,
        template,
    }
}

/// Every kind with a pod template, besides `Pod` (which is its own template).
/// `policies/lib/k8s.rego` (`workload_templates`) holds the same table; a test keeps the two
/// in step. docs/workload-kinds.md lists them for users.
pub const WORKLOAD_TEMPLATES: [WorkloadKind; 14] = [
    workload("Deployment", &[], SPEC_TEMPLATE),
    workload("ReplicaSet", &[], SPEC_TEMPLATE),
    workload("StatefulSet", &[], SPEC_TEMPLATE),
    workload("DaemonSet", &[], SPEC_TEMPLATE),
    workload("Job", &[], SPEC_TEMPLATE),
    workload("ReplicationController", &[], SPEC_TEMPLATE),
    workload("CronJob", &[], &["spec", "jobTemplate", "spec", "template"]),
    workload("PodTemplate", &[], &["template"]),
    workload(
        "DeploymentConfig",
        &["apps.openshift.io", ""],
        SPEC_TEMPLATE,
    ),
    workload("Rollout", &["argoproj.io"], SPEC_TEMPLATE),
    workload(
        "ScaledJob",
        &["keda.sh"],
        &["spec", "jobTargetRef", "template"],
    ),
    workload("Service", &["serving.knative.dev"], SPEC_TEMPLATE),
    workload("Configuration", &["serving.knative.dev"], SPEC_TEMPLATE),
    workload("CloneSet", &["apps.kruise.io"], SPEC_TEMPLATE),
];

/// The kind names that may carry a pod spec; `kinds = ["workload"]` in a rule expands to
/// these (for pre-filtering; `Service` is a workload only in Knative's group, which the
/// policies check with [`pod_template_path`]'s Rego twin).
pub const WORKLOAD_KINDS: [&str; 15] = [
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "ReplicationController",
    "CronJob",
    "PodTemplate",
    "DeploymentConfig",
    "Rollout",
    "ScaledJob",
    "Service",
    "Configuration",
    "CloneSet",
];

/// May an object of this kind carry a pod spec (in some API group)?
pub fn is_workload(kind: &str) -> bool {
    WORKLOAD_KINDS.contains(&kind)
}

/// The API group of an apiVersion (`""` for the core group's `v1`).
pub fn api_group(api_version: &str) -> &str {
    api_version
        .split_once('/')
        .map(|(group, _)| group)
        .unwrap_or("")
}

/// Where the pod template (`metadata` + `spec`) of an object sits: `[]` for a Pod (its own
/// template), `None` for objects without one.
pub fn pod_template_path(api_version: &str, kind: &str) -> Option<&'static [&'static str]> {
    if kind == "Pod" && api_version == "v1" {
        return Some(&[]);
    }
    workload_kind(api_version, kind).map(|w| w.template)
}

/// The entry of [`WORKLOAD_TEMPLATES`] an object's apiVersion and kind name.
pub fn workload_kind(api_version: &str, kind: &str) -> Option<&'static WorkloadKind> {
    let group = api_group(api_version);
    WORKLOAD_TEMPLATES
        .iter()
        .find(|w| w.kind == kind && (w.groups.is_empty() || w.groups.contains(&group)))
}

/// A workload kind of an API outside Kubernetes itself (OpenShift, Argo, KEDA, Knative,
/// OpenKruise): no bundled schema describes it.
pub fn is_extension_workload(api_version: &str, kind: &str) -> bool {
    workload_kind(api_version, kind).is_some_and(|w| !w.groups.is_empty())
}

/// Kinds that are never namespaced (for placing objects in the inventory).
pub const CLUSTER_KINDS: [&str; 16] = [
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "CSIDriver",
];

/// Is this kind cluster-scoped?
pub fn cluster_scoped(kind: &str) -> bool {
    CLUSTER_KINDS.contains(&kind)
}

/// The kinds cross-resource rules look up in `data.inventory` (RBAC, network policies,
/// disruption budgets, autoscalers, service accounts, namespaces, the workloads that
/// selectors and budgets refer to): what the admission webhook mirrors from a cluster.
pub const INVENTORY_KINDS: &[&str] = &[
    "Namespace",
    "ServiceAccount",
    "Service",
    "NetworkPolicy",
    "CiliumNetworkPolicy",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Ingress",
];

/// The kinds a file scan keeps in its inventory (`data.inventory`) for the built-in rules:
/// every kind a built-in policy looks up there (the webhook's [`INVENTORY_KINDS`], the
/// workloads that selectors, budgets and autoscalers refer to, and what the storage,
/// limit and isolation rules read). Other objects are evaluated and dropped, so a scan's
/// memory does not hold every ConfigMap of a monorepo; user policies may read anything, so
/// with them the whole scan stays the inventory. `tests/streaming.rs` checks that a scan
/// with this inventory finds exactly what a scan with every object in it finds.
pub fn scan_inventory_kind(kind: &str) -> bool {
    const MORE: &[&str] = &[
        "ScaledObject",
        "LimitRange",
        "PersistentVolumeClaim",
        "StorageClass",
        "CiliumClusterwideNetworkPolicy",
        "GlobalNetworkPolicy",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
    ];
    INVENTORY_KINDS.contains(&kind) || is_workload(kind) || MORE.contains(&kind)
}

/// A DNS-1123 label: at most 63 lowercase alphanumerics or '-', starting and ending with an
/// alphanumeric (namespaces, container, volume and port names).
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A DNS-1035 label: a DNS-1123 label that starts with a letter (Service names).
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// A DNS-1123 subdomain: at most 253 characters of dot-separated labels (most object names).
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// `data.settings` as policies read it: the Kubernetes release checked against.
pub fn settings_data(version: KubeVersion) -> serde_json::Value {
    serde_json::json!({
        "kube_version": version.to_string(),
        "kube_major": version.major,
        "kube_minor": version.minor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_like_kubectl_prints_them() {
        let v = |major, minor| Some(KubeVersion { major, minor });
        assert_eq!(KubeVersion::parse("1.34"), v(1, 34));
        assert_eq!(KubeVersion::parse("v1.34.2"), v(1, 34));
        assert_eq!(KubeVersion::parse("1.30.1-eks-1"), v(1, 30));
        assert_eq!(KubeVersion::parse("v1.30.4-gke.100"), v(1, 30));
        assert_eq!(KubeVersion::parse("1.2.3.4"), None);
        assert_eq!(KubeVersion::parse("1.34x"), None);
        assert_eq!(KubeVersion::parse("1"), None);
        assert_eq!(KubeVersion::parse("one.two"), None);
        assert_eq!(KubeVersion::NEWEST.to_string(), NEWEST_VERSION);
        assert!(KubeVersion::NEWEST.is_supported());
        assert!(!KubeVersion::parse("1.2").is_some_and(KubeVersion::is_supported));
        assert!(!KubeVersion::parse("2.30").is_some_and(KubeVersion::is_supported));
        assert!(!KubeVersion::parse("1.38").is_some_and(KubeVersion::is_supported));
    }

    #[test]
    fn names_follow_the_api_server_syntax() {
        assert!(is_dns1123_label("a-1"));
        assert!(!is_dns1123_label("-a"));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(is_dns1123_subdomain("a.b-c.d"));
        assert!(!is_dns1123_subdomain("a..b"));
        assert!(is_dns1035_label("web"));
        assert!(!is_dns1035_label("1web"));
    }

    #[test]
    fn the_inventory_kinds_never_include_secrets_or_configmaps() {
        assert!(!INVENTORY_KINDS.contains(&"Secret"));
        assert!(!INVENTORY_KINDS.contains(&"ConfigMap"));
        for kind in INVENTORY_KINDS {
            assert_eq!(
                cluster_scoped(kind),
                kind.starts_with("Cluster") || *kind == "Namespace",
                "{kind}"
            );
        }
    }

    #[test]
    fn settings_carry_the_release() {
        let s = settings_data(KubeVersion::NEWEST);
        assert_eq!(s["kube_version"], NEWEST_VERSION);
        assert_eq!(s["kube_minor"], NEWEST_MINOR);
    }

    #[test]
    fn rego_workload_helpers_cover_the_same_kinds() {
        let rego = include_str!("../policies/lib/k8s.rego");
        for kind in WORKLOAD_KINDS {
            assert!(
                rego.contains(&format!("\"{kind}\"")),
                "policies/lib/k8s.rego does not handle {kind}"
            );
        }
        for w in WORKLOAD_TEMPLATES {
            let path: Vec<String> = w.template.iter().map(|p| format!("\"{p}\"")).collect();
            let mut groups: Vec<String> = w.groups.iter().map(|g| format!("\"{g}\"")).collect();
            groups.sort();
            let groups = if groups.is_empty() {
                "set()".to_string()
            } else {
                format!("{{{}}}", groups.join(", "))
            };
            let line = format!(
                "\"{}\": {{\"groups\": {groups}, \"template\": [{}]}}",
                w.kind,
                path.join(", ")
            );
            assert!(rego.contains(&line), "policies/lib/k8s.rego lacks {line}");
        }
        for w in WORKLOAD_TEMPLATES {
            assert!(WORKLOAD_KINDS.contains(&w.kind), "{} missing", w.kind);
        }
    }

    #[test]
    fn pod_templates_are_found_by_kind_and_group() {
        assert_eq!(pod_template_path("v1", "Pod"), Some(&[][..]));
        assert_eq!(
            pod_template_path("apps/v1", "Deployment"),
            Some(&["spec", "template"][..])
        );
        assert_eq!(
            pod_template_path("keda.sh/v1alpha1", "ScaledJob"),
            Some(&["spec", "jobTargetRef", "template"][..])
        );
        assert!(pod_template_path("serving.knative.dev/v1", "Service").is_some());
        assert!(pod_template_path("v1", "Service").is_none());
        assert!(pod_template_path("apps.openshift.io/v1", "DeploymentConfig").is_some());
        assert!(pod_template_path("example.com/v1", "Rollout").is_none());
        assert_eq!(api_group("v1"), "");
        assert_eq!(api_group("argoproj.io/v1alpha1"), "argoproj.io");
    }
}
