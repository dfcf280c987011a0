//! What `confgate webhook manifests` prints: everything a cluster needs to run the webhook
//! (Namespace, ServiceAccount and, for the inventory, read-only RBAC for the watched kinds,
//! Deployment, PodDisruptionBudget, Service, NetworkPolicy, the
//! ValidatingWebhookConfiguration, and cert-manager objects when asked) as plain objects.
//!
//! The objects are built by [`objects`], a pure function of [`ManifestOptions`], so tests
//! check them field by field and `confgate scan` checks them with the default gate. A
//! self-signed CA and serving certificate come from [`self_signed`]; the private key never
//! appears in the printed manifests: the command writes it, with the Secret that carries
//! it, to files of their own (mode 0600).
//!
//! The options, their checks and the assembly ([`objects`]) are here; each object's builder
//! is in `resources.rs`, the certificate side (cert-manager, the self-signed pair, the TLS
//! Secret) in `certs.rs`.

use serde_json::{Value, json};

use super::FailurePolicy;

mod certs;
mod resources;

use certs::cert_manager;
pub use certs::{SelfSigned, self_signed, service_names, tls_secret};
use resources::{budget, configuration, default_deny, deployment, network_policy, rbac, service};

/// Where the serving certificate comes from.
#[derive(Clone, Debug)]
pub enum TlsSource {
    /// A CA made here; its certificate goes into `caBundle`, the Secret is written apart.
    SelfSigned { ca_pem: String },
    /// cert-manager issues the certificate and injects the CA into the configuration.
    /// `issuer` = (kind, name) of an existing issuer; `None` makes a self-signed CA chain
    /// of cert-manager objects in the namespace.
    CertManager { issuer: Option<(String, String)> },
    /// The user's own CA; the Secret `<name>-tls` is theirs to create.
    CaBundle { ca_pem: String },
}

/// The choices behind the manifests.
#[derive(Clone, Debug)]
pub struct ManifestOptions {
    pub namespace: String,
    /// Base name of every object (default `confgate-webhook`).
    pub name: String,
    pub image: String,
    pub replicas: u32,
    pub failure: FailurePolicy,
    /// The API server's wait (1–30 s); the server's own deadline is set 2 s under it.
    pub timeout_seconds: u32,
    pub audit_only: bool,
    /// Namespaces never sent to the webhook (the webhook's own is always added).
    pub exempt_namespaces: Vec<String>,
    /// Watch the cluster for cross-resource rules (adds read-only RBAC and API egress).
    pub inventory: bool,
    pub tls: TlsSource,
}

/// The default image: the release of this binary.
pub fn default_image() -> String {
    format!("ghcr.io/confgate/confgate:{}", env!("CARGO_PKG_VERSION"))
}

/// What the mirror watches, as RBAC rules: (API group, resources).
const WATCHED: &[(&str, &[&str])] = &[
    ("", &["namespaces", "serviceaccounts", "services"]),
    ("apps", &["deployments", "statefulsets", "daemonsets"]),
    ("networking.k8s.io", &["networkpolicies", "ingresses"]),
    ("cilium.io", &["ciliumnetworkpolicies"]),
    ("policy", &["poddisruptionbudgets"]),
    ("autoscaling", &["horizontalpodautoscalers"]),
    (
        "rbac.authorization.k8s.io",
        &[
            "roles",
            "clusterroles",
            "rolebindings",
            "clusterrolebindings",
        ],
    ),
];

/// Where the serving certificate is mounted in the pod.
const TLS_DIR: &str = "/etc/confgate/tls";
const PORT: u16 = 8443;

/// A problem with the options (exit 2).
fn check(o: &ManifestOptions) -> Result<(), String> {
    let dns1123 = crate::k8s::is_dns1123_label;
    if !dns1123(&o.namespace) {
        return Err(format!(
            "--namespace {:?} is not a valid namespace name (lowercase letters, digits, '-', at most 63)",
            o.namespace
        ));
    }
    if !dns1123(&o.name) || o.name.len() > 52 {
        return Err(format!(
            "--name {:?} must be a DNS label of at most 52 characters (suffixes are added)",
            o.name
        ));
    }
    if !(1..=30).contains(&o.timeout_seconds) {
        return Err(format!(
            "--timeout-seconds {} is out of range: the API server accepts 1 to 30",
            o.timeout_seconds
        ));
    }
    if o.replicas == 0 {
        return Err("--replicas must be at least 1".into());
    }
    if o.image.trim().is_empty() || o.image.contains(char::is_whitespace) {
        return Err(format!("--image {:?} is not an image reference", o.image));
    }
    Ok(())
}

/// The namespaces the API server never sends: the user's list, kube-system by default, and
/// the webhook's own (so a broken webhook can always be repaired).
fn exempt(o: &ManifestOptions) -> Vec<String> {
    let mut v: Vec<String> = if o.exempt_namespaces.is_empty() {
        vec!["kube-system".to_string()]
    } else {
        o.exempt_namespaces.clone()
    };
    v.push(o.namespace.clone());
    v.sort();
    v.dedup();
    v
}

fn labels(o: &ManifestOptions) -> Value {
    json!({
        "app.kubernetes.io/name": o.name,
        "app.kubernetes.io/component": "admission-webhook",
        "app.kubernetes.io/part-of": "confgate",
        "app.kubernetes.io/version": env!("CARGO_PKG_VERSION"),
    })
}

fn selector(o: &ManifestOptions) -> Value {
    json!({
        "app.kubernetes.io/name": o.name,
        "app.kubernetes.io/component": "admission-webhook",
    })
}

fn meta(o: &ManifestOptions, name: &str, namespaced: bool) -> Value {
    let mut m = json!({"name": name, "labels": labels(o)});
    if namespaced {
        m["namespace"] = json!(o.namespace);
    }
    m
}

/// The server's arguments in the pod.
fn args(o: &ManifestOptions) -> Vec<String> {
    let deadline = o.timeout_seconds.saturating_sub(2).max(1);
    let mut a: Vec<String> = [
        "serve",
        "--webhook",
        "--metrics",
        "--listen",
        &format!("0.0.0.0:{PORT}"),
        "--tls-cert",
        &format!("{TLS_DIR}/tls.crt"),
        "--tls-key",
        &format!("{TLS_DIR}/tls.key"),
        "--failure-policy",
        o.failure.as_str(),
        "--deadline",
        &deadline.to_string(),
        "--exempt-namespace",
        &exempt(o).join(","),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if o.audit_only {
        a.push("--audit-only".into());
    }
    if o.inventory {
        a.push("--inventory".into());
    }
    a
}

/// Every object, in the order `kubectl apply -f` should create them.
pub fn objects(o: &ManifestOptions) -> Result<Vec<Value>, String> {
    check(o)?;
    let mut out = vec![
        json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": o.namespace,
                "labels": {
                    "app.kubernetes.io/part-of": "confgate",
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
        }),
        json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta(o, &o.name, true),
            "automountServiceAccountToken": o.inventory,
        }),
    ];
    if o.inventory {
        out.extend(rbac(o));
    }
    if let TlsSource::CertManager { issuer } = &o.tls {
        out.extend(cert_manager(o, issuer));
    }
    out.push(deployment(o));
    out.push(budget(o));
    out.push(service(o));
    out.push(default_deny(o));
    out.push(network_policy(o));
    out.push(configuration(o));
    Ok(out)
}

#[cfg(test)]
mod tests;
