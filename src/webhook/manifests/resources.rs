//! The webhook's objects, each a pure function of the options: the Deployment, its
//! PodDisruptionBudget and Service, the NetworkPolicies, the read-only RBAC for the
//! watched kinds and the ValidatingWebhookConfiguration.

use serde_json::{Value, json};

use super::{
    ManifestOptions, PORT, TLS_DIR, TlsSource, WATCHED, args, exempt, labels, meta, selector,
};
use crate::webhook::FailurePolicy;

pub(super) fn deployment(o: &ManifestOptions) -> Value {
    let probe = |path: &str, period: u32, failures: u32| {
        json!({
            "httpGet": {"path": path, "port": "https", "scheme": "HTTPS"},
            "periodSeconds": period,
            "timeoutSeconds": 2,
            "failureThreshold": failures,
        })
    };
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(o, &o.name, true),
        "spec": {
            "replicas": o.replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(o)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {
                    "labels": labels(o),
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/scheme": "https",
                        "prometheus.io/port": PORT.to_string(),
                    },
                },
                "spec": {
                    "serviceAccountName": o.name,
                    "automountServiceAccountToken": o.inventory,
                    "enableServiceLinks": false,
                    "securityContext": {
                        "runAsNonRoot": true,
                        "runAsUser": 65532,
                        "runAsGroup": 65532,
                        "fsGroup": 65532,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                        "weight": 100,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": selector(o)},
                        },
                    }]}},
                    "topologySpreadConstraints": [{
                        "maxSkew": 1,
                        "topologyKey": "topology.kubernetes.io/zone",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": {"matchLabels": selector(o)},
                    }],
                    "terminationGracePeriodSeconds": 30,
                    "containers": [{
                        "name": "webhook",
                        "image": o.image,
                        "imagePullPolicy": "IfNotPresent",
                        "args": args(o),
                        "ports": [{"name": "https", "containerPort": PORT, "protocol": "TCP"}],
                        "readinessProbe": probe("/readyz", 5, 3),
                        "livenessProbe": probe("/healthz", 10, 3),
                        "startupProbe": probe("/healthz", 2, 30),
                        "resources": {
                            "requests": {"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "16Mi"},
                            "limits": {"cpu": "1", "memory": "256Mi", "ephemeral-storage": "64Mi"},
                        },
                        "securityContext": {
                            "allowPrivilegeEscalation": false,
                            "privileged": false,
                            "readOnlyRootFilesystem": true,
                            "runAsNonRoot": true,
                            "runAsUser": 65532,
                            "runAsGroup": 65532,
                            "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "volumeMounts": [
                            {"name": "tls", "mountPath": TLS_DIR, "readOnly": true},
                            {"name": "tmp", "mountPath": "/tmp"},
                        ],
                    }],
                    "volumes": [
                        {"name": "tls", "secret": {"secretName": format!("{}-tls", o.name), "defaultMode": 0o440}},
                        {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}},
                    ],
                },
            },
        },
    })
}

pub(super) fn budget(o: &ManifestOptions) -> Value {
    let mut spec = json!({"selector": {"matchLabels": selector(o)}});
    if o.replicas > 1 {
        spec["minAvailable"] = json!(1);
    } else {
        // One replica: a budget of minAvailable 1 would block every node drain.
        spec["maxUnavailable"] = json!(1);
    }
    json!({
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(o, &o.name, true),
        "spec": spec,
    })
}

pub(super) fn service(o: &ManifestOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(o, &o.name, true),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(o),
            "ports": [{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}],
        },
    })
}

/// Ingress to the webhook port only (the API server's address is not known here); egress
/// to DNS and the API server only when the inventory watches it, none otherwise.
pub(super) fn network_policy(o: &ManifestOptions) -> Value {
    let egress = if o.inventory {
        json!([
            {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
            {"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}]},
        ])
    } else {
        json!([])
    };
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(o, &o.name, true),
        "spec": {
            "podSelector": {"matchLabels": selector(o)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"ports": [{"protocol": "TCP", "port": PORT}]}],
            "egress": egress,
        },
    })
}

/// Nothing else in the namespace accepts traffic.
pub(super) fn default_deny(o: &ManifestOptions) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(o, "default-deny-ingress", true),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    })
}

pub(super) fn rbac(o: &ManifestOptions) -> Vec<Value> {
    let rules: Vec<Value> = WATCHED
        .iter()
        .map(|(group, resources)| {
            json!({"apiGroups": [group], "resources": resources, "verbs": ["get", "list", "watch"]})
        })
        .collect();
    let name = format!("confgate:{}:{}", o.namespace, o.name);
    vec![
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": meta(o, &name, false),
            "rules": rules,
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": meta(o, &name, false),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": o.name, "namespace": o.namespace}],
        }),
    ]
}

pub(super) fn configuration(o: &ManifestOptions) -> Value {
    use base64::Engine as _;
    let mut client = json!({
        "service": {"namespace": o.namespace, "name": o.name, "path": "/validate", "port": 443},
    });
    let mut metadata = meta(o, &o.name, false);
    match &o.tls {
        TlsSource::SelfSigned { ca_pem } | TlsSource::CaBundle { ca_pem } => {
            client["caBundle"] =
                json!(base64::engine::general_purpose::STANDARD.encode(ca_pem.as_bytes()));
        }
        TlsSource::CertManager { .. } => {
            metadata["annotations"] = json!({
                "cert-manager.io/inject-ca-from": format!("{}/{}", o.namespace, o.name),
            });
        }
    }
    let failure = match o.failure {
        FailurePolicy::Closed => "Fail",
        FailurePolicy::Open => "Ignore",
    };
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": metadata,
        "webhooks": [{
            "name": "validate.confgate.dev",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": failure,
            "matchPolicy": "Equivalent",
            "timeoutSeconds": o.timeout_seconds,
            "clientConfig": client,
            "rules": [{
                "operations": ["CREATE", "UPDATE"],
                "apiGroups": ["*"],
                "apiVersions": ["*"],
                "resources": ["*"],
                "scope": "*",
            }],
            "namespaceSelector": {"matchExpressions": [{
                "key": "kubernetes.io/metadata.name",
                "operator": "NotIn",
                "values": exempt(o),
            }]},
            "matchConditions": [
                {
                    "name": "not-the-webhook-namespace",
                    "expression": format!("request.namespace != '{}'", o.namespace),
                },
                {
                    "name": "not-leases-events-or-reviews",
                    "expression": "!(request.resource.group == 'coordination.k8s.io' && request.resource.resource == 'leases') && request.resource.resource != 'events' && !(request.resource.group in ['authentication.k8s.io', 'authorization.k8s.io'])",
                },
            ],
        }],
    })
}
