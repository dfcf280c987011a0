//! The machine's real kubectl against the test API server, through the kubeconfig it writes.
#![allow(clippy::unwrap_used)]

mod common;

use common::Kubectl;
use confgate_testcluster::{Options, TestCluster};

fn setup(name: &str) -> Option<(TestCluster, Kubectl)> {
    let Some(bin) = common::kubectl() else {
        eprintln!("skipped: kubectl not found on PATH or at /usr/bin/kubectl");
        return None;
    };
    let tc = TestCluster::start(Options {
        name: name.into(),
        ..Default::default()
    })
    .unwrap();
    let k = Kubectl::new(bin, tc.kubeconfig_path());
    Some((tc, k))
}

const DEPLOY: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
"#;

#[test]
fn server_side_apply_get_and_conflicts() {
    let Some((tc, k)) = setup("tc-apply") else {
        return;
    };
    let out = k.ok_stdin(&["apply", "--server-side", "-f", "-"], Some(DEPLOY));
    assert!(
        out.contains("deployment.apps/web serverside-applied"),
        "{out}"
    );
    // Same again: no change, same generation.
    k.ok_stdin(&["apply", "--server-side", "-f", "-"], Some(DEPLOY));
    let dep = tc
        .get("apps/v1", "Deployment", Some("default"), "web")
        .unwrap();
    assert_eq!(dep["metadata"]["generation"], 1);
    assert_eq!(dep["spec"]["replicas"], 2);
    assert!(dep["metadata"]["managedFields"][0]["manager"] == "kubectl");

    // Update by the same manager.
    let v3 = DEPLOY.replace("replicas: 2", "replicas: 3");
    k.ok_stdin(&["apply", "--server-side", "-f", "-"], Some(&v3));
    let dep = tc
        .get("apps/v1", "Deployment", Some("default"), "web")
        .unwrap();
    assert_eq!(dep["spec"]["replicas"], 3);
    assert_eq!(dep["metadata"]["generation"], 2);

    // Another manager conflicts on .spec.replicas …
    let v5 = DEPLOY.replace("replicas: 2", "replicas: 5");
    let out = k.run_stdin(
        &[
            "apply",
            "--server-side",
            "--field-manager",
            "other",
            "-f",
            "-",
        ],
        Some(&v5),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(r#"Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas"#),
        "{stderr}"
    );
    // … until it forces.
    k.ok_stdin(
        &[
            "apply",
            "--server-side",
            "--field-manager",
            "other",
            "--force-conflicts",
            "-f",
            "-",
        ],
        Some(&v5),
    );
    let dep = tc
        .get("apps/v1", "Deployment", Some("default"), "web")
        .unwrap();
    assert_eq!(dep["spec"]["replicas"], 5);

    // Server-side dry run changes nothing.
    let v9 = v5.replace("replicas: 5", "replicas: 9");
    let out = k.ok_stdin(
        &[
            "apply",
            "--server-side",
            "--field-manager",
            "other",
            "--dry-run=server",
            "-f",
            "-",
        ],
        Some(&v9),
    );
    assert!(out.contains("(server dry run)"), "{out}");
    let dep = tc
        .get("apps/v1", "Deployment", Some("default"), "web")
        .unwrap();
    assert_eq!(dep["spec"]["replicas"], 5);

    // get: table, JSON.
    let out = k.ok(&["get", "deployments"]);
    assert!(out.starts_with("NAME"), "{out}");
    assert!(
        out.contains("READY") && out.contains("UP-TO-DATE") && out.contains("web"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&k.ok(&["get", "deployment", "web", "-o", "json"])).unwrap();
    assert_eq!(json["kind"], "Deployment");
    assert_eq!(
        json["spec"]["strategy"]["type"], "RollingUpdate",
        "defaulted"
    );
}

#[test]
fn pagination_selectors_and_delete() {
    let Some((tc, k)) = setup("tc-list") else {
        return;
    };
    let mut yaml = String::new();
    for i in 0..7 {
        let tier = if i % 2 == 0 { "even" } else { "odd" };
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\n  namespace: pages\n  labels: {{tier: {tier}, n: \"{i}\"}}\ndata: {{k: v}}\n"
        ));
    }
    tc.load_yaml(&yaml).unwrap();
    let out = k.ok(&[
        "get",
        "configmaps",
        "-n",
        "pages",
        "--chunk-size=2",
        "-o",
        "name",
        "-v=6",
    ]);
    for i in 0..7 {
        assert!(out.contains(&format!("configmap/cm{i}")), "{out}");
    }
    assert!(
        tc.request_count("/api/v1/namespaces/pages/configmaps") >= 4,
        "paged in chunks of 2"
    );
    let out = k.ok(&["get", "configmaps", "-n", "pages", "--chunk-size=2"]);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("cm")).count(),
        7,
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("NAME")).count(),
        1,
        "one header: {out}"
    );

    let out = k.ok(&["get", "cm", "-n", "pages", "-l", "tier=odd", "-o", "name"]);
    assert_eq!(out.lines().count(), 3, "{out}");
    let out = k.ok(&[
        "get",
        "cm",
        "-n",
        "pages",
        "-l",
        "tier!=odd,n in (0,2,5)",
        "-o",
        "name",
    ]);
    assert_eq!(out.trim(), "configmap/cm0\nconfigmap/cm2", "{out}");
    let out = k.ok(&["get", "cm", "-A", "-l", "!tier", "-o", "name"]);
    assert!(
        out.contains("kube-root-ca.crt") && !out.contains("cm1"),
        "{out}"
    );
    let err = k.fails(&["get", "pods", "--field-selector", "spec.bogus=1"]);
    assert!(err.contains("field label not supported"), "{err}");

    let out = k.ok(&["delete", "configmap", "cm3", "-n", "pages"]);
    assert!(out.contains("\"cm3\" deleted"), "{out}");
    assert!(tc.get("v1", "ConfigMap", Some("pages"), "cm3").is_none());
    let err = k.fails(&["get", "configmap", "cm3", "-n", "pages"]);
    assert!(
        err.contains("NotFound") && err.contains("configmaps \"cm3\" not found"),
        "{err}"
    );
    k.ok(&["delete", "configmaps", "-n", "pages", "-l", "tier=even"]);
    let left = k.ok(&["get", "cm", "-n", "pages", "-o", "name"]);
    assert_eq!(
        left.trim(),
        "configmap/cm1\nconfigmap/cm5\nconfigmap/kube-root-ca.crt",
        "{left}"
    );
    k.ok(&["delete", "namespace", "pages"]);
    assert!(tc.get("v1", "ConfigMap", Some("pages"), "cm1").is_none());
}

#[test]
fn rollout_status_waits_for_the_controller() {
    let Some((tc, k)) = setup("tc-rollout") else {
        return;
    };
    k.ok_stdin(&["apply", "--server-side", "-f", "-"], Some(DEPLOY));
    let out = k.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    assert!(out.contains("successfully rolled out"), "{out}");
    let dep = tc
        .get("apps/v1", "Deployment", Some("default"), "web")
        .unwrap();
    assert_eq!(dep["status"]["readyReplicas"], 2);
    let log = k.ok(&["logs", "deployment/web"]);
    assert!(log.contains("no real container runs here"), "{log}");
    // Deleting the deployment collects its ReplicaSets and pods.
    k.ok(&["delete", "deployment", "web"]);
    let out = k.ok(&["get", "replicasets,pods", "-o", "name"]);
    assert!(!out.contains("web"), "{out}");
}

#[test]
fn auth_contexts() {
    let Some((_tc, k)) = setup("tc-auth") else {
        return;
    };
    assert_eq!(
        k.ok(&["auth", "can-i", "create", "deployments"]).trim(),
        "yes"
    );
    assert_eq!(
        k.ok(&[
            "auth",
            "can-i",
            "list",
            "pods",
            "--context",
            "tc-auth-limited"
        ])
        .trim(),
        "yes"
    );
    let out = k.run(&[
        "auth",
        "can-i",
        "create",
        "deployments",
        "--context",
        "tc-auth-limited",
    ]);
    assert!(!out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "no");

    let who = k.ok(&["auth", "whoami"]);
    assert!(
        who.contains("tc-auth-admin") && who.contains("system:masters"),
        "{who}"
    );
    let who = k.ok(&["auth", "whoami", "--context", "tc-auth-cert"]);
    assert!(who.contains("cert-admin"), "{who}");
    let who = k.ok(&["auth", "whoami", "--context", "tc-auth-limited"]);
    assert!(who.contains("limited"), "{who}");

    let err = k.fails(&["get", "pods", "--context", "tc-auth-badtoken"]);
    assert!(err.contains("Unauthorized"), "{err}");
    let out = k.ok(&["get", "nodes", "--context", "tc-auth-cert"]);
    assert!(
        out.contains("testcluster-node") && out.contains("Ready"),
        "{out}"
    );
    let out = k.ok(&["get", "pods", "--context", "tc-auth-limited"]);
    assert!(out.is_empty() || out.contains("NAME"), "{out}");
    let err = k.fails(&["get", "deployments", "--context", "tc-auth-limited"]);
    assert!(
        err.contains(r#"deployments.apps is forbidden: User "limited" cannot list resource "deployments" in API group "apps" in the namespace "default""#),
        "{err}"
    );
    let err = k.fails(&["get", "nodes", "--context", "tc-auth-limited"]);
    assert!(err.contains("at the cluster scope"), "{err}");
}

#[test]
fn api_resources_and_custom_resources() {
    let Some((tc, k)) = setup("tc-crd") else {
        return;
    };
    let out = k.ok(&["api-resources"]);
    for needle in [
        "deployments",
        "deploy",
        "apps/v1",
        "cronjobs",
        "batch/v1",
        "horizontalpodautoscalers",
        "autoscaling/v2",
        "customresourcedefinitions",
        "networkpolicies",
        "leases",
        "selfsubjectaccessreviews",
        "poddisruptionbudgets",
        "storageclasses",
    ] {
        assert!(out.contains(needle), "api-resources lacks {needle}:\n{out}");
    }
    let crd = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wg]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    additionalPrinterColumns:
    - {name: Size, type: string, jsonPath: .spec.size}
"#;
    k.ok_stdin(&["apply", "--server-side", "-f", "-"], Some(crd));
    let c = tc
        .get(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "widgets.example.com",
        )
        .unwrap();
    let conds = c["status"]["conditions"].as_array().unwrap();
    assert!(
        conds
            .iter()
            .any(|c| c["type"] == "Established" && c["status"] == "True")
    );
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
        "--timeout=10s",
    ]);
    let cr = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: big}\n";
    k.ok_stdin(&["apply", "--server-side", "-f", "-"], Some(cr));
    let out = k.ok(&["get", "wg"]);
    assert!(
        out.contains("SIZE") && out.contains("w1") && out.contains("big"),
        "{out}"
    );
    let out = k.ok(&["api-resources", "--api-group=example.com"]);
    assert!(out.contains("widgets") && out.contains("Widget"), "{out}");
    k.ok(&["delete", "crd", "widgets.example.com"]);
    assert!(
        tc.get("example.com/v1", "Widget", Some("default"), "w1")
            .is_none()
    );
}

#[test]
fn merged_kubeconfigs_and_faults() {
    let Some(bin) = common::kubectl() else {
        eprintln!("skipped: kubectl not found on PATH or at /usr/bin/kubectl");
        return;
    };
    let a = TestCluster::start(Options {
        name: "alpha".into(),
        ..Default::default()
    })
    .unwrap();
    let b = TestCluster::start(Options {
        name: "beta".into(),
        ..Default::default()
    })
    .unwrap();
    let mut k = Kubectl::new(bin, a.kubeconfig_path());
    k.kubeconfig = format!(
        "{}:{}",
        a.kubeconfig_path().display(),
        b.kubeconfig_path().display()
    );
    let ctxs = k.ok(&["config", "get-contexts", "-o", "name"]);
    for c in [
        "alpha",
        "alpha-cert",
        "alpha-limited",
        "alpha-badtoken",
        "beta",
        "beta-cert",
        "beta-limited",
        "beta-badtoken",
    ] {
        assert!(ctxs.lines().any(|l| l == c), "{c} missing in {ctxs}");
    }
    k.ok(&[
        "--context",
        "beta",
        "create",
        "configmap",
        "only-in-beta",
        "--from-literal=a=b",
        "-o",
        "name",
        "--dry-run=client",
    ]);
    b.load_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: only-in-beta}\n")
        .unwrap();
    assert!(
        k.ok(&["--context", "beta", "get", "cm", "-o", "name"])
            .contains("only-in-beta")
    );
    assert!(
        !k.ok(&["--context", "alpha", "get", "cm", "-o", "name"])
            .contains("only-in-beta")
    );
    assert!(
        k.ok(&["--context", "beta-cert", "get", "cm", "-o", "name"])
            .contains("only-in-beta")
    );

    // Faults: the next GET of configmaps fails with 500, then it works again.
    a.faults()
        .fail(Some("GET"), "/api/v1/namespaces/default/configmaps", 500, 1);
    let before = a.request_count("/api/v1/namespaces/default/configmaps");
    let err = k.fails(&["--context", "alpha", "get", "cm"]);
    assert!(
        err.contains("InternalError") || err.contains("injected fault"),
        "{err}"
    );
    assert!(a.request_count("/api/v1/namespaces/default/configmaps") > before);
    k.ok(&["--context", "alpha", "get", "cm"]);
    a.faults()
        .fail(None, "/api/v1/namespaces/default/configmaps", 503, 5);
    a.faults().clear();
    k.ok(&["--context", "alpha", "get", "cm"]);
}

#[test]
fn imperative_create_commands() {
    // kubectl's typed clients post these as protobuf.
    let Some((tc, k)) = setup("tc-create") else {
        return;
    };
    k.ok(&["create", "namespace", "team"]);
    k.ok(&[
        "create",
        "configmap",
        "cfg",
        "-n",
        "team",
        "--from-literal=a=b",
    ]);
    k.ok(&[
        "create",
        "secret",
        "generic",
        "pw",
        "-n",
        "team",
        "--from-literal=p=hunter2",
    ]);
    k.ok(&["create", "serviceaccount", "bot", "-n", "team"]);
    k.ok(&["label", "configmap", "cfg", "-n", "team", "x=y"]);
    let cm = tc.get("v1", "ConfigMap", Some("team"), "cfg").unwrap();
    assert_eq!(cm["data"]["a"], "b");
    assert_eq!(cm["metadata"]["labels"]["x"], "y");
    let s = tc.get("v1", "Secret", Some("team"), "pw").unwrap();
    assert_eq!(s["data"]["p"], "aHVudGVyMg==");
    assert_eq!(s["type"], "Opaque");
    assert!(
        tc.get("v1", "ServiceAccount", Some("team"), "bot")
            .is_some()
    );
    assert!(
        tc.get("v1", "ServiceAccount", Some("team"), "default")
            .is_some()
    );
    let out = k.ok(&["get", "secret", "pw", "-n", "team"]);
    assert!(out.contains("Opaque"), "{out}");
}
