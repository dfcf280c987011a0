//! The well-known enum fields of built-in types (pull policies, protocols, restart and
//! update strategies, access modes, operators, effects, admission policies …): the values the
//! API server accepts, which the OpenAPI types leave as plain strings. A table of its own
//! because it is long, pure data and grows with every Kubernetes release.

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
