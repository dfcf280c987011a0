//! The serving certificate: cert-manager objects (an Issuer or a given issuer, the
//! Certificate for the Service names), or a self-signed CA and serving pair made with rcgen
//! and the Secret that carries it (written to private files by the command, never
//! printed).

use serde_json::{Value, json};

use super::{ManifestOptions, meta};

pub(super) fn cert_manager(o: &ManifestOptions, issuer: &Option<(String, String)>) -> Vec<Value> {
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
