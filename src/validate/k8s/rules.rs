//! Curated knowledge the OpenAPI lacks: enum values, value rules (ports, names, labels, keys,
//! quantities) and the small syntax validators behind them.
//!
//! Rules are keyed by `group.Type` (for example `core.Container`, from
//! `io.k8s.api.core.v1.Container`), without the API version, so they apply wherever that type
//! is used and in every API version that has it.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A curated check attached to a property (or, for [`Rule::Resources`], to a type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rule {
    /// The string must be one of these.
    Enum(&'static [&'static str]),
    /// Every string item of the array must be one of these.
    EnumItems(&'static [&'static str]),
    /// An integer port 1–65535 (0 too when `zero_ok`, meaning "unset").
    Port { zero_ok: bool },
    /// An IntOrString port: 1–65535 or an IANA service name.
    PortOrName,
    /// An IANA service name (named container port).
    IanaName,
    /// A DNS-1123 label (container, volume and Service port names).
    DnsLabel,
    /// A label map: qualified-name keys and label values.
    Labels,
    /// An annotation map: qualified-name keys, total size at most 256 KiB.
    Annotations,
    /// ConfigMap / Secret keys; `secret` marks values that must never be echoed.
    DataKeys { secret: bool },
    /// An environment variable name.
    EnvName,
    /// An IntOrString that is a non-negative integer or a percentage such as `25%`.
    IntOrPercent,
    /// ResourceRequirements: quantities not negative, requests not above limits.
    Resources,
}

/// One well-known enum field: type key, property, accepted values, whether it is a list.
pub(super) struct EnumField {
    pub def: &'static str,
    pub field: &'static str,
    pub values: &'static [&'static str],
    pub items: bool,
}

const fn e(def: &'static str, field: &'static str, values: &'static [&'static str]) -> EnumField {
    EnumField {
        def,
        field,
        values,
        items: false,
    }
}

const fn each(
    def: &'static str,
    field: &'static str,
    values: &'static [&'static str],
) -> EnumField {
    EnumField {
        def,
        field,
        values,
        items: true,
    }
}

const PULL_POLICY: &[&str] = &["Always", "IfNotPresent", "Never"];
const PROTOCOL: &[&str] = &["TCP", "UDP", "SCTP"];
const RESTART_POLICY: &[&str] = &["Always", "OnFailure", "Never"];
const TERMINATION_MESSAGE: &[&str] = &["File", "FallbackToLogsOnError"];
const PREEMPTION: &[&str] = &["PreemptLowerPriority", "Never"];
const TRAFFIC_POLICY: &[&str] = &["Cluster", "Local"];
const UPDATE_STRATEGY: &[&str] = &["RollingUpdate", "OnDelete"];
const PROFILE_TYPE: &[&str] = &["RuntimeDefault", "Unconfined", "Localhost"];
const ACCESS_MODES: &[&str] = &[
    "ReadWriteOnce",
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOncePod",
];
const VOLUME_MODE: &[&str] = &["Filesystem", "Block"];
const SELECTOR_OP: &[&str] = &["In", "NotIn", "Exists", "DoesNotExist"];
const NODE_SELECTOR_OP: &[&str] = &["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"];
// Empty means "Equal" / "all effects"; Lt and Gt arrived with numeric tolerations (1.35).
const TOLERATION_OP: &[&str] = &["", "Equal", "Exists", "Lt", "Gt"];
const TOLERATION_EFFECT: &[&str] = &["", "NoSchedule", "PreferNoSchedule", "NoExecute"];
const TAINT_EFFECT: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];
const HONOR_IGNORE: &[&str] = &["Honor", "Ignore"];
const RETAIN_DELETE: &[&str] = &["Retain", "Delete"];
const FAILURE_POLICY: &[&str] = &["Ignore", "Fail"];
const SIDE_EFFECTS: &[&str] = &["None", "NoneOnDryRun"];
const MATCH_POLICY: &[&str] = &["Exact", "Equivalent"];

/// Well-known enum fields that the OpenAPI does not enumerate.
pub(super) const ENUM_TABLE: &[EnumField] = &[
    // Containers (init containers share `Container`).
    e("core.Container", "imagePullPolicy", PULL_POLICY),
    e("core.EphemeralContainer", "imagePullPolicy", PULL_POLICY),
    e(
        "core.Container",
        "terminationMessagePolicy",
        TERMINATION_MESSAGE,
    ),
    e(
        "core.EphemeralContainer",
        "terminationMessagePolicy",
        TERMINATION_MESSAGE,
    ),
    e("core.Container", "restartPolicy", RESTART_POLICY),
    e(
        "core.ContainerResizePolicy",
        "restartPolicy",
        &["NotRequired", "RestartContainer"],
    ),
    e("core.ContainerPort", "protocol", PROTOCOL),
    e("core.HTTPGetAction", "scheme", &["HTTP", "HTTPS"]),
    e(
        "core.VolumeMount",
        "mountPropagation",
        &["None", "HostToContainer", "Bidirectional"],
    ),
    e(
        "core.VolumeMount",
        "recursiveReadOnly",
        &["Disabled", "IfPossible", "Enabled"],
    ),
    // Pods.
    e("core.PodSpec", "restartPolicy", RESTART_POLICY),
    e(
        "core.PodSpec",
        "dnsPolicy",
        &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"],
    ),
    e("core.PodSpec", "preemptionPolicy", PREEMPTION),
    e("core.PodOS", "name", &["linux", "windows"]),
    e("core.SeccompProfile", "type", PROFILE_TYPE),
    e("core.AppArmorProfile", "type", PROFILE_TYPE),
    e(
        "core.PodSecurityContext",
        "fsGroupChangePolicy",
        &["OnRootMismatch", "Always"],
    ),
    e(
        "core.PodSecurityContext",
        "supplementalGroupsPolicy",
        &["Merge", "Strict"],
    ),
    e(
        "core.PodSecurityContext",
        "seLinuxChangePolicy",
        &["MountOption", "Recursive"],
    ),
    e(
        "core.SecurityContext",
        "procMount",
        &["Default", "Unmasked"],
    ),
    e(
        "core.HostPathVolumeSource",
        "type",
        &[
            "",
            "DirectoryOrCreate",
            "Directory",
            "FileOrCreate",
            "File",
            "Socket",
            "CharDevice",
            "BlockDevice",
        ],
    ),
    // Scheduling.
    e("meta.LabelSelectorRequirement", "operator", SELECTOR_OP),
    e("core.NodeSelectorRequirement", "operator", NODE_SELECTOR_OP),
    e("core.Toleration", "operator", TOLERATION_OP),
    e("core.Toleration", "effect", TOLERATION_EFFECT),
    e("core.Taint", "effect", TAINT_EFFECT),
    e(
        "core.TopologySpreadConstraint",
        "whenUnsatisfiable",
        &["DoNotSchedule", "ScheduleAnyway"],
    ),
    e(
        "core.TopologySpreadConstraint",
        "nodeAffinityPolicy",
        HONOR_IGNORE,
    ),
    e(
        "core.TopologySpreadConstraint",
        "nodeTaintsPolicy",
        HONOR_IGNORE,
    ),
    e("scheduling.PriorityClass", "preemptionPolicy", PREEMPTION),
    // Services and networking.
    e(
        "core.ServiceSpec",
        "type",
        &["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"],
    ),
    e("core.ServiceSpec", "externalTrafficPolicy", TRAFFIC_POLICY),
    e("core.ServiceSpec", "internalTrafficPolicy", TRAFFIC_POLICY),
    e("core.ServiceSpec", "sessionAffinity", &["None", "ClientIP"]),
    e(
        "core.ServiceSpec",
        "ipFamilyPolicy",
        &["SingleStack", "PreferDualStack", "RequireDualStack"],
    ),
    each("core.ServiceSpec", "ipFamilies", &["IPv4", "IPv6"]),
    e("core.ServicePort", "protocol", PROTOCOL),
    e("core.EndpointPort", "protocol", PROTOCOL),
    e("discovery.EndpointPort", "protocol", PROTOCOL),
    e("networking.NetworkPolicyPort", "protocol", PROTOCOL),
    each(
        "networking.NetworkPolicySpec",
        "policyTypes",
        &["Ingress", "Egress"],
    ),
    e(
        "networking.HTTPIngressPath",
        "pathType",
        &["Exact", "Prefix", "ImplementationSpecific"],
    ),
    e(
        "networking.IngressClassParametersReference",
        "scope",
        &["Cluster", "Namespace"],
    ),
    // Workloads.
    e(
        "apps.DeploymentStrategy",
        "type",
        &["Recreate", "RollingUpdate"],
    ),
    e(
        "apps.StatefulSetSpec",
        "podManagementPolicy",
        &["OrderedReady", "Parallel"],
    ),
    e("apps.StatefulSetUpdateStrategy", "type", UPDATE_STRATEGY),
    e("apps.DaemonSetUpdateStrategy", "type", UPDATE_STRATEGY),
    e(
        "apps.StatefulSetPersistentVolumeClaimRetentionPolicy",
        "whenDeleted",
        RETAIN_DELETE,
    ),
    e(
        "apps.StatefulSetPersistentVolumeClaimRetentionPolicy",
        "whenScaled",
        RETAIN_DELETE,
    ),
    e(
        "batch.CronJobSpec",
        "concurrencyPolicy",
        &["Allow", "Forbid", "Replace"],
    ),
    e(
        "batch.JobSpec",
        "completionMode",
        &["NonIndexed", "Indexed"],
    ),
    e(
        "batch.JobSpec",
        "podReplacementPolicy",
        &["TerminatingOrFailed", "Failed"],
    ),
    e(
        "batch.PodFailurePolicyRule",
        "action",
        &["FailJob", "FailIndex", "Ignore", "Count"],
    ),
    e(
        "batch.PodFailurePolicyOnExitCodesRequirement",
        "operator",
        &["In", "NotIn"],
    ),
    e(
        "policy.PodDisruptionBudgetSpec",
        "unhealthyPodEvictionPolicy",
        &["IfHealthyBudget", "AlwaysAllow"],
    ),
    e(
        "autoscaling.MetricSpec",
        "type",
        &[
            "ContainerResource",
            "External",
            "Object",
            "Pods",
            "Resource",
        ],
    ),
    e(
        "autoscaling.MetricTarget",
        "type",
        &["Utilization", "Value", "AverageValue"],
    ),
    e("autoscaling.HPAScalingPolicy", "type", &["Pods", "Percent"]),
    e(
        "autoscaling.HPAScalingRules",
        "selectPolicy",
        &["Max", "Min", "Disabled"],
    ),
    // Storage.
    each(
        "core.PersistentVolumeClaimSpec",
        "accessModes",
        ACCESS_MODES,
    ),
    e("core.PersistentVolumeClaimSpec", "volumeMode", VOLUME_MODE),
    each("core.PersistentVolumeSpec", "accessModes", ACCESS_MODES),
    e("core.PersistentVolumeSpec", "volumeMode", VOLUME_MODE),
    e(
        "core.PersistentVolumeSpec",
        "persistentVolumeReclaimPolicy",
        &["Retain", "Delete", "Recycle"],
    ),
    e("storage.StorageClass", "reclaimPolicy", RETAIN_DELETE),
    e(
        "storage.StorageClass",
        "volumeBindingMode",
        &["Immediate", "WaitForFirstConsumer"],
    ),
    e(
        "storage.CSIDriverSpec",
        "fsGroupPolicy",
        &["None", "File", "ReadWriteOnceWithFSType"],
    ),
    each(
        "storage.CSIDriverSpec",
        "volumeLifecycleModes",
        &["Persistent", "Ephemeral"],
    ),
    // Policy objects.
    e(
        "core.LimitRangeItem",
        "type",
        &["Pod", "Container", "PersistentVolumeClaim"],
    ),
    e(
        "core.ScopedResourceSelectorRequirement",
        "operator",
        SELECTOR_OP,
    ),
    e("rbac.Subject", "kind", &["User", "Group", "ServiceAccount"]),
    e("rbac.RoleRef", "kind", &["Role", "ClusterRole"]),
    // Admission.
    e(
        "admissionregistration.ValidatingWebhook",
        "failurePolicy",
        FAILURE_POLICY,
    ),
    e(
        "admissionregistration.MutatingWebhook",
        "failurePolicy",
        FAILURE_POLICY,
    ),
    e(
        "admissionregistration.ValidatingWebhook",
        "sideEffects",
        SIDE_EFFECTS,
    ),
    e(
        "admissionregistration.MutatingWebhook",
        "sideEffects",
        SIDE_EFFECTS,
    ),
    e(
        "admissionregistration.ValidatingWebhook",
        "matchPolicy",
        MATCH_POLICY,
    ),
    e(
        "admissionregistration.MutatingWebhook",
        "matchPolicy",
        MATCH_POLICY,
    ),
    e(
        "admissionregistration.MutatingWebhook",
        "reinvocationPolicy",
        &["Never", "IfNeeded"],
    ),
    each(
        "admissionregistration.RuleWithOperations",
        "operations",
        &["*", "CREATE", "UPDATE", "DELETE", "CONNECT"],
    ),
    e(
        "admissionregistration.RuleWithOperations",
        "scope",
        &["*", "Cluster", "Namespaced"],
    ),
    e(
        "admissionregistration.ValidatingAdmissionPolicySpec",
        "failurePolicy",
        FAILURE_POLICY,
    ),
    each(
        "admissionregistration.ValidatingAdmissionPolicyBindingSpec",
        "validationActions",
        &["Deny", "Warn", "Audit"],
    ),
];

/// Value rules other than enums: (type key, property, rule).
pub(super) const VALUE_RULES: &[(&str, &str, Rule)] = &[
    ("meta.ObjectMeta", "labels", Rule::Labels),
    ("meta.ObjectMeta", "annotations", Rule::Annotations),
    ("meta.LabelSelector", "matchLabels", Rule::Labels),
    ("core.PodSpec", "nodeSelector", Rule::Labels),
    ("core.ServiceSpec", "selector", Rule::Labels),
    ("core.ReplicationControllerSpec", "selector", Rule::Labels),
    ("core.ConfigMap", "data", Rule::DataKeys { secret: false }),
    (
        "core.ConfigMap",
        "binaryData",
        Rule::DataKeys { secret: false },
    ),
    ("core.Secret", "data", Rule::DataKeys { secret: true }),
    ("core.Secret", "stringData", Rule::DataKeys { secret: true }),
    ("core.Container", "name", Rule::DnsLabel),
    ("core.EphemeralContainer", "name", Rule::DnsLabel),
    ("core.Volume", "name", Rule::DnsLabel),
    (
        "core.ContainerPort",
        "containerPort",
        Rule::Port { zero_ok: false },
    ),
    (
        "core.ContainerPort",
        "hostPort",
        Rule::Port { zero_ok: true },
    ),
    ("core.ContainerPort", "name", Rule::IanaName),
    ("core.ServicePort", "port", Rule::Port { zero_ok: false }),
    ("core.ServicePort", "nodePort", Rule::Port { zero_ok: true }),
    ("core.ServicePort", "targetPort", Rule::PortOrName),
    ("core.ServicePort", "name", Rule::DnsLabel),
    ("core.HTTPGetAction", "port", Rule::PortOrName),
    ("core.TCPSocketAction", "port", Rule::PortOrName),
    ("core.GRPCAction", "port", Rule::Port { zero_ok: false }),
    ("networking.NetworkPolicyPort", "port", Rule::PortOrName),
    (
        "networking.ServiceBackendPort",
        "number",
        Rule::Port { zero_ok: false },
    ),
    ("core.EnvVar", "name", Rule::EnvName),
    (
        "apps.RollingUpdateDeployment",
        "maxSurge",
        Rule::IntOrPercent,
    ),
    (
        "apps.RollingUpdateDeployment",
        "maxUnavailable",
        Rule::IntOrPercent,
    ),
    (
        "apps.RollingUpdateDaemonSet",
        "maxSurge",
        Rule::IntOrPercent,
    ),
    (
        "apps.RollingUpdateDaemonSet",
        "maxUnavailable",
        Rule::IntOrPercent,
    ),
    (
        "apps.RollingUpdateStatefulSetStrategy",
        "maxUnavailable",
        Rule::IntOrPercent,
    ),
    (
        "policy.PodDisruptionBudgetSpec",
        "minAvailable",
        Rule::IntOrPercent,
    ),
    (
        "policy.PodDisruptionBudgetSpec",
        "maxUnavailable",
        Rule::IntOrPercent,
    ),
];

/// Rules on every value of a type.
const TYPE_RULES: &[(&str, Rule)] = &[
    ("core.ResourceRequirements", Rule::Resources),
    ("core.VolumeResourceRequirements", Rule::Resources),
];

fn prop_rules() -> &'static HashMap<(&'static str, &'static str), Rule> {
    static MAP: OnceLock<HashMap<(&'static str, &'static str), Rule>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut m = HashMap::new();
        for f in ENUM_TABLE {
            let rule = if f.items {
                Rule::EnumItems(f.values)
            } else {
                Rule::Enum(f.values)
            };
            m.insert((f.def, f.field), rule);
        }
        for &(def, field, rule) in VALUE_RULES {
            m.insert((def, field), rule);
        }
        m
    })
}

/// The curated rule for property `field` of type `key` (`group.Type`).
pub(super) fn prop_rule(key: &str, field: &str) -> Option<Rule> {
    prop_rules().get(&(key, field)).copied()
}

/// The curated rule for every value of type `key`.
pub(super) fn def_rule(key: &str) -> Option<Rule> {
    TYPE_RULES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|&(_, rule)| rule)
}

// ---------------------------------------------------------------------------------------------
// Syntax validators.

fn is_lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// RFC 1123 label: at most 63 lowercase alphanumerics or '-', alphanumeric at both ends.
pub(super) fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        && is_lower_alnum(b[0])
        && is_lower_alnum(b[b.len() - 1])
}

/// RFC 1035 label: an RFC 1123 label that starts with a letter.
pub(super) fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.as_bytes()[0].is_ascii_lowercase()
}

/// RFC 1123 subdomain: at most 253 characters, dot-separated RFC 1123 labels.
pub(super) fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            let b = part.as_bytes();
            !b.is_empty()
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
                && is_lower_alnum(b[0])
                && is_lower_alnum(b[b.len() - 1])
        })
}

/// A path segment name (RBAC objects): not `.` or `..`, without `/` or `%`.
pub(super) fn is_path_segment_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '%'])
}

/// IANA_SVC_NAME: at most 15 lowercase alphanumerics or '-', with a letter, no '-' at either
/// end and no "--".
pub(super) fn is_iana_svc_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 15
        && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        && b.iter().any(u8::is_ascii_lowercase)
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !s.contains("--")
}

/// The name part of a qualified name (label key): at most 63 of `[-_.A-Za-z0-9]`, alphanumeric
/// at both ends. Also the syntax of a non-empty label value.
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// Checks a label or annotation key; `Err` says what is wrong.
pub(super) fn check_qualified_name(key: &str) -> Result<(), &'static str> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            return Err("the prefix before '/' must not be empty");
        }
        if !is_dns1123_subdomain(p) {
            return Err("the prefix must be a DNS subdomain (lowercase, at most 253 characters)");
        }
    }
    if name.is_empty() {
        return Err("the name part must not be empty");
    }
    if name.len() > 63 {
        return Err("the name part must be at most 63 characters");
    }
    if !is_qualified_name_part(name) {
        return Err(
            "the name part must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
        );
    }
    Ok(())
}

/// Checks a label value; `Err` says what is wrong.
pub(super) fn check_label_value(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        Ok(())
    } else if v.len() > 63 {
        Err("must be at most 63 characters")
    } else if !is_qualified_name_part(v) {
        Err("must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric")
    } else {
        Ok(())
    }
}

/// Checks a ConfigMap / Secret key; `Err` says what is wrong.
pub(super) fn check_config_key(k: &str) -> Result<(), &'static str> {
    if k.is_empty() {
        Err("must not be empty")
    } else if k.len() > 253 {
        Err("must be at most 253 characters")
    } else if !k
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        Err("must consist of alphanumerics, '-', '_' or '.'")
    } else if k == "." || k == ".." || k.starts_with("..") {
        Err("must not be '.' or start with '..'")
    } else {
        Ok(())
    }
}

/// Parses a Kubernetes quantity (`100m`, `1Gi`, `0.5`, `1e3`, `128974848`) to its value.
pub(super) fn parse_quantity(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let start = i;
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    let number: f64 = s[start..i].parse().ok()?;
    let number = if b.first() == Some(&b'-') {
        -number
    } else {
        number
    };
    let suffix = &s[i..];
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => {
            let exp = suffix.strip_prefix(['e', 'E'])?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let exp: i32 = exp.parse().ok()?;
            10f64.powi(exp)
        }
    };
    Some(number * multiplier)
}

/// Standard base64 with padding, as Go's `encoding/json` decodes `[]byte` (newlines ignored).
pub(super) fn is_base64(s: &str) -> bool {
    let body: Vec<u8> = s.bytes().filter(|&c| c != b'\n' && c != b'\r').collect();
    if !body.len().is_multiple_of(4) {
        return false;
    }
    let pad = body.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return false;
    }
    body[..body.len() - pad]
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

/// RFC 3339 date-time as Go's `time.RFC3339` parses it: `2006-01-02T15:04:05(.frac)(Z|±07:00)`.
pub(super) fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(year), Some(month), Some(day), Some(hour), Some(min), Some(sec)) = (
        num(0, 4),
        num(5, 2),
        num(8, 2),
        num(11, 2),
        num(14, 2),
        num(17, 2),
    ) else {
        return false;
    };
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return false;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days || hour > 23 || min > 59 || sec > 59 {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let from = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == from {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && at(i + 3, b':')
                && num(i + 1, 2).is_some_and(|h| h <= 23)
                && num(i + 4, 2).is_some_and(|m| m <= 59)
        }
        _ => false,
    }
}

/// Whether a field or entry name suggests its value is a secret, which must never be echoed.
pub(super) fn looks_secret(name: &str) -> bool {
    const MARKERS: &[&str] = &[
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "credential",
        "apikey",
        "api_key",
        "api-key",
        "private",
        "auth",
        "cert",
        "cookie",
        "signature",
    ];
    let b = name.as_bytes();
    MARKERS.iter().any(|m| {
        b.windows(m.len())
            .any(|w| w.eq_ignore_ascii_case(m.as_bytes()))
    })
}

/// Levenshtein distance over bytes (names here are ASCII).
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate to `word`: a case-insensitive match, or one within a small edit
/// distance (about a third of the word's length, at most 3).
pub(super) fn suggest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let limit = (word.len() / 3).clamp(1, 3);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = if c.eq_ignore_ascii_case(word) {
            0
        } else {
            edit_distance(&word.to_ascii_lowercase(), &c.to_ascii_lowercase()) + 1
        };
        if d <= limit + 1 && best.is_none_or(|(bd, bc)| (d, c) < (bd, bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}
