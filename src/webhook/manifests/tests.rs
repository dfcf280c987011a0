//! Unit tests of the webhook's objects and certificates.

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
