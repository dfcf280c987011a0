//! An object's identity: names per kind, the API versions each Kubernetes version serves,
//! version spellings and fallbacks, custom resources, and the required identity fields.

use super::*;

#[test]
fn object_names_follow_the_kind() {
    let cm = |name: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
    assert_clean(&cm("app.config-1"));
    assert_one(
        &cm("My_App"),
        "metadata.name: invalid ConfigMap name \"My_App\": must be a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.', starting and ending with an alphanumeric, at most 253 characters)",
    );
    assert_eq!(issues(&cm(&"a".repeat(254))).len(), 1);
    let ns = |name: &str| format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
    assert_clean(&ns("team-a"));
    assert_eq!(issues(&ns("team.a")).len(), 1);
    let svc = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  ports: [{{port: 80}}]\n"
        )
    };
    assert_clean(&svc("web-1"));
    assert_one(
        &svc("\"1web\""),
        "metadata.name: invalid Service name \"1web\": must be a DNS-1035 label (lowercase alphanumerics and '-', starting with a letter, ending with an alphanumeric, at most 63 characters)",
    );
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:controller:thing\nrules: []\n";
    assert_clean(role);
    // generateName instead of name.
    assert_clean("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: cfg-\n");
    assert_one(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n",
        "metadata.name: missing required field \"name\" in ObjectMeta (or set generateName)",
    );
    assert_one(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: Prod\n",
        "metadata.namespace: invalid namespace \"Prod\": must be a DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters)",
    );
    let cronjob = format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {}\nspec:\n  schedule: \"* * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{{name: a, image: b}}]\n",
        "c".repeat(53)
    );
    assert_eq!(issues(&cronjob).len(), 1);
}

#[test]
fn versions_choose_the_served_api() {
    let hpa = "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 3\n  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target: {type: Utilization, averageUtilization: 80}\n";
    assert!(issues_on("1.25", hpa, true).is_empty());
    assert_eq!(
        issues_on("1.37", hpa, true),
        vec![
            "apiVersion: apiVersion \"autoscaling/v2beta2\" does not serve kind HorizontalPodAutoscaler in Kubernetes 1.37 (served in 1.25); use \"autoscaling/v2\" or \"autoscaling/v1\""
        ]
    );
    assert!(issues_on("1.37", &hpa.replace("v2beta2", "v2"), true).is_empty());

    let fs = "apiVersion: flowcontrol.apiserver.k8s.io/v1beta2\nkind: FlowSchema\nmetadata: {name: fs}\nspec:\n  priorityLevelConfiguration: {name: global-default}\n";
    assert!(issues_on("1.28", fs, true).is_empty());
    assert_eq!(
        issues_on("1.29", fs, true),
        vec![
            "apiVersion: apiVersion \"flowcontrol.apiserver.k8s.io/v1beta2\" does not serve kind FlowSchema in Kubernetes 1.29 (served in 1.25–1.28); use \"flowcontrol.apiserver.k8s.io/v1\" or \"flowcontrol.apiserver.k8s.io/v1beta3\""
        ]
    );

    let ingress =
        "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web}\nspec: {}\n";
    assert_eq!(
        issues_on("1.37", ingress, false),
        vec![
            "apiVersion: apiVersion \"extensions/v1beta1\" does not serve kind Ingress in Kubernetes 1.37; use \"networking.k8s.io/v1\""
        ]
    );
    let cronjob = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec: {}\n";
    assert_eq!(
        issues_on("1.37", cronjob, false),
        vec![
            "apiVersion: apiVersion \"batch/v1beta1\" does not serve kind CronJob in Kubernetes 1.37; use \"batch/v1\""
        ]
    );
    let psp =
        "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: p}\nspec: {}\n";
    assert_eq!(
        issues_on("1.37", psp, false),
        vec![
            "apiVersion: apiVersion \"policy/v1beta1\" does not serve kind PodSecurityPolicy in Kubernetes 1.37, and no other built-in apiVersion does"
        ]
    );
    let typo = "apiVersion: apps/v1\nkind: Deployement\nmetadata: {name: web}\n";
    assert_eq!(
        issues_on("1.37", typo, false),
        vec![
            "kind: kind \"Deployement\" is not served by apiVersion \"apps/v1\" in Kubernetes 1.37 (did you mean \"Deployment\"?)"
        ]
    );
}

#[test]
fn load_accepts_version_spellings_and_falls_back() {
    for v in ["1.30", "v1.30", "1.30.4", "v1.30.4-gke.1200", " 1.30 "] {
        let (s, note) = KubeSchemas::load(v).expect(v);
        assert_eq!(s.version(), "1.30", "{v}");
        assert!(note.is_none(), "{v}");
    }
    assert_eq!(schemas(OLDEST_VERSION).version(), "1.25");
    assert_eq!(schemas(NEWEST_VERSION).version(), "1.37");
    let (old, note) = KubeSchemas::load("1.20").expect("old");
    assert_eq!(old.version(), "1.25");
    assert_eq!(
        note.as_deref(),
        Some(
            "Kubernetes 1.20 is older than the bundled schemas (1.25–1.37); validating against 1.25"
        )
    );
    let (new, note) = KubeSchemas::load("1.99").expect("new");
    assert_eq!(new.version(), "1.37");
    assert!(note.is_some_and(|n| n.contains("newer") && !n.contains('\n')));
    for bad in [
        "abc", "", "1", "1.x", "2.0", "1.30.4.5", "v", "1..3", "latest",
    ] {
        let err = KubeSchemas::load(bad).expect_err(bad);
        assert!(
            !err.contains('\n') && err.contains("Kubernetes version"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn custom_resources_are_not_builtin() {
    let cert = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\nspec: {anything: [1, 2]}\n";
    let out = outcome("1.37", cert, true);
    assert_eq!(out.coverage, Coverage::NotBuiltin);
    assert!(out.issues.is_empty());
    let gateway = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\n";
    assert_eq!(
        outcome("1.37", gateway, true).coverage,
        Coverage::NotBuiltin
    );
}

#[test]
fn identity_fields_are_required() {
    assert_eq!(
        issues("kind: ConfigMap\nmetadata: {name: c}\n"),
        vec!["apiVersion: missing required field \"apiVersion\""]
    );
    assert_eq!(
        issues("apiVersion: v1\nkind: 3\n"),
        vec!["kind: expected kind string, got integer 3"]
    );
    assert_eq!(
        issues("- a\n- b\n"),
        vec![": expected a Kubernetes object (a mapping), got array"]
    );
}
