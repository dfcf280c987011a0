//! Curated checks the OpenAPI lacks, attached to a property or a whole type: ports, names,
//! label and annotation maps, ConfigMap/Secret keys, env names, int-or-percent values and
//! resource requirements (the enum tables are in `enum_fields`).
//!
//! Checks are keyed by `group.Type` (for example `core.Container`, from
//! `io.k8s.api.core.v1.Container`), without the API version, so they apply wherever that type
//! is used and in every API version that has it. The type is `FieldRule`, not `Rule`: a
//! `Rule` in confgate is a catalog rule (`catalog::Rule`, with an id and a severity); these
//! are schema checks.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::enum_fields::ENUM_TABLE;

/// A curated check attached to a property (or, for [`FieldRule::Resources`], to a type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FieldRule {
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

/// Value rules other than enums: (type key, property, rule).
pub(super) const VALUE_RULES: &[(&str, &str, FieldRule)] = &[
    ("meta.ObjectMeta", "labels", FieldRule::Labels),
    ("meta.ObjectMeta", "annotations", FieldRule::Annotations),
    ("meta.LabelSelector", "matchLabels", FieldRule::Labels),
    ("core.PodSpec", "nodeSelector", FieldRule::Labels),
    ("core.ServiceSpec", "selector", FieldRule::Labels),
    (
        "core.ReplicationControllerSpec",
        "selector",
        FieldRule::Labels,
    ),
    (
        "core.ConfigMap",
        "data",
        FieldRule::DataKeys { secret: false },
    ),
    (
        "core.ConfigMap",
        "binaryData",
        FieldRule::DataKeys { secret: false },
    ),
    ("core.Secret", "data", FieldRule::DataKeys { secret: true }),
    (
        "core.Secret",
        "stringData",
        FieldRule::DataKeys { secret: true },
    ),
    ("core.Container", "name", FieldRule::DnsLabel),
    ("core.EphemeralContainer", "name", FieldRule::DnsLabel),
    ("core.Volume", "name", FieldRule::DnsLabel),
    (
        "core.ContainerPort",
        "containerPort",
        FieldRule::Port { zero_ok: false },
    ),
    (
        "core.ContainerPort",
        "hostPort",
        FieldRule::Port { zero_ok: true },
    ),
    ("core.ContainerPort", "name", FieldRule::IanaName),
    (
        "core.ServicePort",
        "port",
        FieldRule::Port { zero_ok: false },
    ),
    (
        "core.ServicePort",
        "nodePort",
        FieldRule::Port { zero_ok: true },
    ),
    ("core.ServicePort", "targetPort", FieldRule::PortOrName),
    ("core.ServicePort", "name", FieldRule::DnsLabel),
    ("core.HTTPGetAction", "port", FieldRule::PortOrName),
    ("core.TCPSocketAction", "port", FieldRule::PortOrName),
    (
        "core.GRPCAction",
        "port",
        FieldRule::Port { zero_ok: false },
    ),
    (
        "networking.NetworkPolicyPort",
        "port",
        FieldRule::PortOrName,
    ),
    (
        "networking.ServiceBackendPort",
        "number",
        FieldRule::Port { zero_ok: false },
    ),
    ("core.EnvVar", "name", FieldRule::EnvName),
    (
        "apps.RollingUpdateDeployment",
        "maxSurge",
        FieldRule::IntOrPercent,
    ),
    (
        "apps.RollingUpdateDeployment",
        "maxUnavailable",
        FieldRule::IntOrPercent,
    ),
    (
        "apps.RollingUpdateDaemonSet",
        "maxSurge",
        FieldRule::IntOrPercent,
    ),
    (
        "apps.RollingUpdateDaemonSet",
        "maxUnavailable",
        FieldRule::IntOrPercent,
    ),
    (
        "apps.RollingUpdateStatefulSetStrategy",
        "maxUnavailable",
        FieldRule::IntOrPercent,
    ),
    (
        "policy.PodDisruptionBudgetSpec",
        "minAvailable",
        FieldRule::IntOrPercent,
    ),
    (
        "policy.PodDisruptionBudgetSpec",
        "maxUnavailable",
        FieldRule::IntOrPercent,
    ),
];

/// Rules on every value of a type.
const TYPE_RULES: &[(&str, FieldRule)] = &[
    ("core.ResourceRequirements", FieldRule::Resources),
    ("core.VolumeResourceRequirements", FieldRule::Resources),
];

fn prop_rules() -> &'static HashMap<(&'static str, &'static str), FieldRule> {
    static MAP: OnceLock<HashMap<(&'static str, &'static str), FieldRule>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut m = HashMap::new();
        for f in ENUM_TABLE {
            let rule = if f.items {
                FieldRule::EnumItems(f.values)
            } else {
                FieldRule::Enum(f.values)
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
pub(super) fn prop_rule(key: &str, field: &str) -> Option<FieldRule> {
    prop_rules().get(&(key, field)).copied()
}

/// The curated rule for every value of type `key`.
pub(super) fn def_rule(key: &str) -> Option<FieldRule> {
    TYPE_RULES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|&(_, rule)| rule)
}
