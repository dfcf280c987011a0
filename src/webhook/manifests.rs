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

use serde_json::{Value, json};

use super::FailurePolicy;

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

fn deployment(o: &ManifestOptions) -> Value {
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

fn budget(o: &ManifestOptions) -> Value {
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

fn service(o: &ManifestOptions) -> Value {
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
fn network_policy(o: &ManifestOptions) -> Value {
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
fn default_deny(o: &ManifestOptions) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(o, "default-deny-ingress", true),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    })
}

fn rbac(o: &ManifestOptions) -> Vec<Value> {
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

fn cert_manager(o: &ManifestOptions, issuer: &Option<(String, String)>) -> Vec<Value> {
    let mut out = vec![];
    let (kind, name) = match issuer {
        Some((k, n)) => (k.clone(), n.clone()),
        None => {
            let root = format!("{}-selfsigned", o.name);
            let ca = format!("{}-ca", o.name);
            out.push(json!({
                "apiVersion": "cert-manager.io/v1",
                "kind": "Issuer",
                "metadata": meta(o, &root, true),
                "spec": {"selfSigned": {}},
            }));
            out.push(json!({
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": meta(o, &ca, true),
                "spec": {
                    "isCA": true,
                    "commonName": format!("{} CA", o.name),
                    "secretName": ca,
                    "duration": "87600h",
                    "privateKey": {"algorithm": "ECDSA", "size": 256},
                    "issuerRef": {"kind": "Issuer", "name": root, "group": "cert-manager.io"},
                },
            }));
            out.push(json!({
                "apiVersion": "cert-manager.io/v1",
                "kind": "Issuer",
                "metadata": meta(o, &ca, true),
                "spec": {"ca": {"secretName": ca}},
            }));
            ("Issuer".to_string(), ca)
        }
    };
    out.push(json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": meta(o, &o.name, true),
        "spec": {
            "secretName": format!("{}-tls", o.name),
            "dnsNames": service_names(&o.name, &o.namespace),
            "duration": "2160h",
            "renewBefore": "360h",
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "issuerRef": {"kind": kind, "name": name, "group": "cert-manager.io"},
        },
    }));
    out
}

/// The names the API server may use for the Service.
pub fn service_names(name: &str, namespace: &str) -> Vec<String> {
    vec![
        format!("{name}.{namespace}.svc"),
        format!("{name}.{namespace}.svc.cluster.local"),
        format!("{name}.{namespace}"),
        name.to_string(),
    ]
}

fn configuration(o: &ManifestOptions) -> Value {
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

/// A CA and a serving certificate for the Service names (ECDSA P-256; the CA for ten years,
/// the serving certificate for one).
pub struct SelfSigned {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn self_signed(name: &str, namespace: &str) -> Result<SelfSigned, String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose, date_time_ymd,
    };
    let fail = |e: rcgen::Error| format!("cannot make the certificate: {e}");
    // "YYYY-MM-DDT..." of the current UTC time.
    let now = jiff::Timestamp::now().to_string();
    let part = |r: std::ops::Range<usize>| now.get(r).and_then(|x| x.parse::<i32>().ok());
    let (y, m, d) = match (part(0..4), part(5..7), part(8..10)) {
        (Some(y), Some(m), Some(d)) => (y, m as u8, d as u8),
        _ => return Err(format!("cannot read the current date from {now:?}")),
    };
    let ca_key = KeyPair::generate().map_err(fail)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, format!("{name}.{namespace} webhook CA"));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = date_time_ymd(y, m, d.min(28));
    ca.not_after = date_time_ymd(y + 10, m, d.min(28));
    let ca_cert = ca.self_signed(&ca_key).map_err(fail)?;
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().map_err(fail)?;
    let mut params = CertificateParams::new(service_names(name, namespace)).map_err(fail)?;
    params
        .distinguished_name
        .push(DnType::CommonName, format!("{name}.{namespace}.svc"));
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = date_time_ymd(y, m, d.min(28));
    params.not_after = date_time_ymd(y + 1, m, d.min(28));
    let cert = params.signed_by(&key, &issuer).map_err(fail)?;
    Ok(SelfSigned {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// The `kubernetes.io/tls` Secret holding a self-signed pair (written to a private file,
/// never printed).
pub fn tls_secret(o: &ManifestOptions, pki: &SelfSigned) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": meta(o, &format!("{}-tls", o.name), true),
        "stringData": {"tls.crt": pki.cert_pem, "tls.key": pki.key_pem, "ca.crt": pki.ca_pem},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(tls: TlsSource) -> ManifestOptions {
        ManifestOptions {
            namespace: "confgate-system".into(),
            name: "confgate-webhook".into(),
            image: "registry.example/confgate:1.0".into(),
            replicas: 2,
            failure: FailurePolicy::Closed,
            timeout_seconds: 10,
            audit_only: false,
            exempt_namespaces: vec![],
            inventory: true,
            tls,
        }
    }

    fn find<'a>(objs: &'a [Value], kind: &str) -> &'a Value {
        objs.iter().find(|o| o["kind"] == kind).unwrap()
    }

    #[test]
    fn the_deployment_is_replicated_probed_limited_and_unprivileged() {
        let objs = objects(&opts(TlsSource::CaBundle {
            ca_pem: "CA".into(),
        }))
        .unwrap();
        let d = find(&objs, "Deployment");
        assert_eq!(d["spec"]["replicas"], 2);
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
        assert_eq!(c["securityContext"]["runAsNonRoot"], true);
        assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
        assert_eq!(c["livenessProbe"]["httpGet"]["scheme"], "HTTPS");
        assert!(c["resources"]["limits"]["memory"].is_string());
        let args: Vec<&str> = c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(
            args.windows(2).any(|w| w == ["--deadline", "8"]),
            "{args:?}"
        );
        assert!(
            args.windows(2)
                .any(|w| w == ["--exempt-namespace", "confgate-system,kube-system"])
        );
        assert!(args.contains(&"--inventory"));
        assert_eq!(
            find(&objs, "PodDisruptionBudget")["spec"]["minAvailable"],
            1
        );
        assert_eq!(
            find(&objs, "ClusterRole")["rules"]
                .as_array()
                .unwrap()
                .len(),
            WATCHED.len()
        );
        let verbs = find(&objs, "ClusterRole")["rules"][0]["verbs"].clone();
        assert_eq!(verbs, json!(["get", "list", "watch"]));
    }

    #[test]
    fn the_configuration_skips_its_own_namespace_and_maps_the_failure_policy() {
        let mut o = opts(TlsSource::CaBundle {
            ca_pem: "PEM".into(),
        });
        o.failure = FailurePolicy::Open;
        o.exempt_namespaces = vec!["kube-system".into(), "infra".into()];
        let objs = objects(&o).unwrap();
        let w = &find(&objs, "ValidatingWebhookConfiguration")["webhooks"][0];
        assert_eq!(w["failurePolicy"], "Ignore");
        assert_eq!(w["timeoutSeconds"], 10);
        assert_eq!(w["sideEffects"], "None");
        assert_eq!(w["clientConfig"]["caBundle"], "UEVN");
        assert_eq!(
            w["namespaceSelector"]["matchExpressions"][0]["values"],
            json!(["confgate-system", "infra", "kube-system"])
        );
        assert!(
            w["matchConditions"][0]["expression"]
                .as_str()
                .unwrap()
                .contains("'confgate-system'")
        );
    }

    #[test]
    fn without_inventory_there_is_no_rbac_no_token_and_no_egress() {
        let mut o = opts(TlsSource::CertManager { issuer: None });
        o.inventory = false;
        o.replicas = 1;
        let objs = objects(&o).unwrap();
        assert!(objs.iter().all(|x| x["kind"] != "ClusterRole"));
        assert_eq!(
            find(&objs, "ServiceAccount")["automountServiceAccountToken"],
            false
        );
        let np = objs
            .iter()
            .find(|x| x["kind"] == "NetworkPolicy" && x["metadata"]["name"] == "confgate-webhook")
            .unwrap();
        assert_eq!(np["spec"]["egress"], json!([]));
        assert_eq!(
            find(&objs, "PodDisruptionBudget")["spec"]["maxUnavailable"],
            1
        );
        let vwc = find(&objs, "ValidatingWebhookConfiguration");
        assert_eq!(
            vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
            "confgate-system/confgate-webhook"
        );
        assert_eq!(
            objs.iter()
                .filter(|x| x["apiVersion"] == "cert-manager.io/v1")
                .count(),
            4
        );
    }

    #[test]
    fn bad_options_are_refused() {
        for f in [
            |o: &mut ManifestOptions| o.namespace = "Bad_NS".into(),
            |o: &mut ManifestOptions| o.timeout_seconds = 31,
            |o: &mut ManifestOptions| o.replicas = 0,
            |o: &mut ManifestOptions| o.image = "a b".into(),
        ] {
            let mut o = opts(TlsSource::CertManager { issuer: None });
            f(&mut o);
            assert!(objects(&o).is_err());
        }
    }

    #[test]
    fn a_self_signed_pair_names_the_service() {
        let pki = self_signed("confgate-webhook", "confgate-system").unwrap();
        assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(pki.key_pem.contains("PRIVATE KEY"));
        let o = opts(TlsSource::SelfSigned {
            ca_pem: pki.ca_pem.clone(),
        });
        let objs = objects(&o).unwrap();
        let printed = serde_json::to_string(&objs).unwrap();
        assert!(!printed.contains("PRIVATE KEY"));
        assert_eq!(tls_secret(&o, &pki)["type"], "kubernetes.io/tls");
    }
}
