use super::*;
use crate::document::Node;

fn tree(text: &str) -> Node {
    let (docs, err) = crate::source::yaml::parse(text);
    assert!(err.is_none(), "{err:?}");
    docs.into_iter().next().expect("one document").root
}

fn schemas(version: &str) -> KubeSchemas {
    KubeSchemas::load(version).expect("bundled version").0
}

fn outcome(version: &str, text: &str, strict: bool) -> SchemaOutcome {
    schemas(version).validate(&tree(text), strict)
}

/// `path: message` lines, with a `W ` prefix for warnings.
fn issues_on(version: &str, text: &str, strict: bool) -> Vec<String> {
    let out = outcome(version, text, strict);
    assert_eq!(out.coverage, Coverage::Checked);
    out.issues
        .iter()
        .map(|i| {
            let w = if i.level == IssueLevel::Warning {
                "W "
            } else {
                ""
            };
            format!("{w}{}: {}", i.path, i.message)
        })
        .collect()
}

fn issues(text: &str) -> Vec<String> {
    issues_on("1.37", text, false)
}

fn assert_clean(text: &str) {
    let found = issues(text);
    assert!(found.is_empty(), "unexpected issues: {found:#?}");
}

fn assert_one(text: &str, expected: &str) {
    let found = issues(text);
    assert_eq!(found, vec![expected.to_string()], "for:\n{text}");
}

/// A Deployment whose pod spec is `spec` (indented to sit under `spec:` of the template).
fn deployment(pod_spec: &str) -> String {
    let mut s = String::from(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n  labels:\n    app.kubernetes.io/name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n",
    );
    for line in pod_spec.lines() {
        s.push_str("      ");
        s.push_str(line);
        s.push('\n');
    }
    s
}

/// A Deployment of `POD_SPEC` with textual edits applied to the pod spec.
fn dep(edits: &[(&str, &str)]) -> String {
    let mut spec = POD_SPEC.to_string();
    for (from, to) in edits {
        assert!(spec.contains(from), "{from:?} not in the pod spec");
        spec = spec.replace(from, to);
    }
    deployment(&spec)
}

const POD_SPEC: &str = "containers:
  - name: app
    image: nginx:1.27
    imagePullPolicy: IfNotPresent
    ports:
      - containerPort: 8080
        name: http
        protocol: TCP
    env:
      - name: MODE
        value: \"1\"
    resources:
      requests: {cpu: 100m, memory: 128Mi}
      limits: {cpu: \"1\", memory: 1Gi}
    readinessProbe:
      httpGet: {path: /healthz, port: http}
    livenessProbe:
      tcpSocket: {port: 8080}
";

#[test]
fn a_valid_deployment_passes_on_every_bundled_version() {
    let text = deployment(POD_SPEC);
    for minor in 25..=37 {
        let v = format!("1.{minor}");
        let found = issues_on(&v, &text, true);
        assert!(found.is_empty(), "{v}: {found:#?}");
    }
}

#[test]
fn types_are_checked() {
    let d = deployment(POD_SPEC);
    assert_one(
        &d.replace("replicas: 2", "replicas: \"2\""),
        "spec.replicas: expected integer, got string \"2\"",
    );
    assert_one(
        &d.replace("replicas: 2", "replicas: 2.5"),
        "spec.replicas: expected integer, got number 2.5",
    );
    // kubectl turns 2.0 into 2.
    assert_clean(&d.replace("replicas: 2", "replicas: 2.0"));
    assert_one(
        &d.replace("replicas: 2", "replicas: true"),
        "spec.replicas: expected integer, got boolean true",
    );
    assert_one(
        &dep(&[("value: \"1\"", "value: 1")]),
        "spec.template.spec.containers[0].env[0].value: expected string, got integer 1",
    );
    assert_one(
        &dep(&[(
            "    image: nginx:1.27\n",
            "    image: nginx:1.27\n    args: {a: b}\n",
        )]),
        "spec.template.spec.containers[0].args: expected array, got object",
    );
    // null is accepted where the schema allows it.
    assert_clean(&d.replace("  name: web\n", "  name: web\n  creationTimestamp: null\n"));
}

#[test]
fn integer_formats_have_ranges() {
    let d = deployment(POD_SPEC);
    assert_one(
        &d.replace("replicas: 2", "replicas: 3000000000"),
        "spec.replicas: integer 3000000000 is out of the int32 range",
    );
    assert_clean(&d.replace("replicas: 2", "replicas: 2147483647"));
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  activeDeadlineSeconds: 18446744073709551615\n  containers: [{name: a, image: b}]\n";
    // Beyond i64 the YAML loader yields a float.
    assert_eq!(
        issues(pod),
        vec!["spec.activeDeadlineSeconds: number 1.8446744073709552e+19 is out of the int64 range"]
    );
}

#[test]
fn secret_data_must_be_base64_and_is_never_echoed() {
    let ok = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\ndata:\n  password: aHVudGVyMg==\n  multi: |\n    aHVudGVy\n    Mg==\nstringData:\n  token: plain\n";
    assert_clean(ok);
    let bad = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: hunter2!!\n  api.key: 12345\nstringData:\n  token: 987654\n  other: true\n";
    let found = issues(bad);
    assert_eq!(
        found,
        vec![
            "data.password: value is not valid base64",
            "data[\"api.key\"]: expected string, got integer value",
            "stringData.token: expected string, got integer value",
            "stringData.other: expected string, got boolean value",
        ]
    );
    for secret in ["hunter2", "12345", "987654", "true"] {
        assert!(
            found.iter().all(|m| !m.contains(secret)),
            "{secret} leaked: {found:?}"
        );
    }
}

#[test]
fn secret_looking_values_are_never_echoed() {
    let d = dep(&[(
        "- name: MODE\n        value: \"1\"",
        "- name: DB_PASSWORD\n        value: 31337",
    )]);
    let found = issues(&d);
    assert_eq!(
        found,
        vec!["spec.template.spec.containers[0].env[0].value: expected string, got integer value"]
    );
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    secret-token: \"s3cr3t value!\"\ndata:\n  password: 4711\n";
    let found = issues(cm);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found
            .iter()
            .all(|m| !m.contains("s3cr3t") && !m.contains("4711")),
        "{found:?}"
    );
}

#[test]
fn date_times_are_rfc3339() {
    let meta = |ts: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  creationTimestamp: \"{ts}\"\n"
        )
    };
    assert_clean(&meta("2024-01-31T12:00:00Z"));
    assert_clean(&meta("2024-02-29T23:59:59.123456+05:30"));
    assert_one(
        &meta("yesterday"),
        "metadata.creationTimestamp: expected an RFC 3339 date-time like 2024-01-31T12:00:00Z, got string \"yesterday\"",
    );
    assert_eq!(issues(&meta("2023-02-29T00:00:00Z")).len(), 1);
    assert_eq!(issues(&meta("2024-01-31 12:00:00Z")).len(), 1);
}

#[test]
fn required_fields_are_reported_at_the_missing_path() {
    let d = deployment(POD_SPEC);
    let no_selector = d.replace("  selector:\n    matchLabels:\n      app: web\n", "");
    assert_one(
        &no_selector,
        "spec.selector: missing required field \"selector\" in DeploymentSpec",
    );
    let no_name = dep(&[("  - name: app\n    image", "  - image")]);
    assert_one(
        &no_name,
        "spec.template.spec.containers[0].name: missing required field \"name\" in Container",
    );
}

#[test]
fn curated_enums_are_checked() {
    let d = deployment(POD_SPEC);
    assert_one(
        &d.replace("IfNotPresent", "always"),
        "spec.template.spec.containers[0].imagePullPolicy: expected one of Always, IfNotPresent, Never, got string \"always\" (did you mean \"Always\"?)",
    );
    assert_one(
        &d.replace("protocol: TCP", "protocol: HTTP"),
        "spec.template.spec.containers[0].ports[0].protocol: expected one of TCP, UDP, SCTP, got string \"HTTP\"",
    );
    let pod = |extra: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers: [{{name: a, image: b}}]\n{extra}"
        )
    };
    assert_clean(&pod(
        "  restartPolicy: OnFailure\n  dnsPolicy: ClusterFirstWithHostNet\n  tolerations:\n    - {key: k, operator: Exists, effect: NoSchedule}\n    - {key: k2, value: v}\n",
    ));
    assert_one(
        &pod("  restartPolicy: Sometimes\n"),
        "spec.restartPolicy: expected one of Always, OnFailure, Never, got string \"Sometimes\"",
    );
    assert_one(
        &pod("  tolerations:\n    - {key: k, operator: Equals}\n"),
        "spec.tolerations[0].operator: expected one of \"\", Equal, Exists, Lt, Gt, got string \"Equals\"",
    );
    assert_one(
        &pod("  securityContext:\n    seccompProfile: {type: runtime/default}\n"),
        "spec.securityContext.seccompProfile.type: expected one of RuntimeDefault, Unconfined, Localhost, got string \"runtime/default\"",
    );
    let svc = |extra: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  ports: [{{port: 80}}]\n{extra}"
        )
    };
    assert_clean(&svc(
        "  type: NodePort\n  externalTrafficPolicy: Local\n  ipFamilyPolicy: PreferDualStack\n  ipFamilies: [IPv4, IPv6]\n",
    ));
    assert_one(
        &svc("  type: Nodeport\n"),
        "spec.type: expected one of ClusterIP, NodePort, LoadBalancer, ExternalName, got string \"Nodeport\" (did you mean \"NodePort\"?)",
    );
    assert_one(
        &svc("  ipFamilies: [IPv4, ipv6]\n"),
        "spec.ipFamilies[1]: expected one of IPv4, IPv6, got string \"ipv6\" (did you mean \"IPv6\"?)",
    );
    let pvc = |modes: &str| {
        format!(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: data}}\nspec:\n  accessModes: [{modes}]\n  volumeMode: Filesystem\n  resources:\n    requests: {{storage: 1Gi}}\n"
        )
    };
    assert_clean(&pvc("ReadWriteOnce"));
    assert_one(
        &pvc("ReadWriteOnce, RWX"),
        "spec.accessModes[1]: expected one of ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod, got string \"RWX\"",
    );
    let ingress = |path_type: &str| {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: web}}\nspec:\n  rules:\n    - http:\n        paths:\n          - path: /\n            pathType: {path_type}\n            backend:\n              service: {{name: web, port: {{number: 80}}}}\n"
        )
    };
    assert_clean(&ingress("Prefix"));
    assert_eq!(issues(&ingress("prefix")).len(), 1);
    let cronjob = |policy: &str| {
        format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: nightly}}\nspec:\n  schedule: \"0 3 * * *\"\n  concurrencyPolicy: {policy}\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{{name: a, image: b}}]\n"
        )
    };
    assert_clean(&cronjob("Forbid"));
    assert_eq!(issues(&cronjob("Never")).len(), 1);
}

#[test]
fn unknown_fields_warn_or_fail_when_strict() {
    let d = deployment(POD_SPEC).replace("replicas: 2", "replica: 2");
    assert_eq!(
        issues_on("1.37", &d, false),
        vec![
            "W spec.replica: unknown field \"replica\" in DeploymentSpec (did you mean \"replicas\"?)"
        ]
    );
    assert_eq!(
        issues_on("1.37", &d, true),
        vec![
            "spec.replica: unknown field \"replica\" in DeploymentSpec (did you mean \"replicas\"?)"
        ]
    );
    let d = deployment(POD_SPEC).replace("imagePullPolicy:", "ImagePullPolicy:");
    assert_eq!(
        issues(&d),
        vec![
            "W spec.template.spec.containers[0].ImagePullPolicy: unknown field \"ImagePullPolicy\" in Container (did you mean \"imagePullPolicy\"?)"
        ]
    );
    let d = deployment(POD_SPEC).replace("replicas: 2", "flavour: 2");
    assert_eq!(
        issues(&d),
        vec!["W spec.flavour: unknown field \"flavour\" in DeploymentSpec"]
    );
}

#[test]
fn map_values_follow_additional_properties() {
    let d = deployment(POD_SPEC);
    assert_one(
        &d.replace("app: web\n    spec:", "app: 7\n    spec:"),
        "spec.template.metadata.labels.app: expected string, got integer 7",
    );
    assert_one(
        &d.replace("limits: {cpu: \"1\"", "limits: {cpu: true"),
        "spec.template.spec.containers[0].resources.limits.cpu: expected quantity (string or number), got boolean true",
    );
}

#[test]
fn quantities_are_parsed() {
    for good in [
        "100m",
        "1Gi",
        "0.5",
        "1e3",
        "128974848",
        "1E3",
        "+2k",
        ".5",
        "5.",
        "1500u",
        "2Ti",
    ] {
        assert!(value_syntax::parse_quantity(good).is_some(), "{good}");
    }
    for bad in [
        "1GB", "abc", "1.5.2", "", "Gi", "1 Gi", "1e", "1gi", "--1", "1Ki2",
    ] {
        assert!(value_syntax::parse_quantity(bad).is_none(), "{bad}");
    }
    let d = deployment(POD_SPEC);
    assert_clean(&d.replace("memory: 1Gi", "memory: 1073741824"));
    assert_one(
        &d.replace("memory: 1Gi", "memory: 1GB"),
        "spec.template.spec.containers[0].resources.limits.memory: invalid quantity \"1GB\": expected e.g. 100m, 0.5, 1Gi, 512Mi or 1e3",
    );
}

#[test]
fn requests_must_not_exceed_limits() {
    let d = deployment(POD_SPEC);
    assert_clean(&d.replace("memory: 128Mi", "memory: 1024Mi"));
    assert_clean(
        &d.replace("cpu: 100m", "cpu: \"1\"")
            .replace("limits: {cpu: \"1\"", "limits: {cpu: 1000m"),
    );
    assert_one(
        &d.replace("cpu: 100m", "cpu: \"2\""),
        "spec.template.spec.containers[0].resources.requests.cpu: cpu request 2 exceeds its limit 1",
    );
    assert_one(
        &d.replace("memory: 128Mi", "memory: -1Mi"),
        "spec.template.spec.containers[0].resources.requests.memory: memory request must not be negative",
    );
}

#[test]
fn ports_are_checked() {
    let d = deployment(POD_SPEC);
    assert_one(
        &d.replace("containerPort: 8080", "containerPort: 0"),
        "spec.template.spec.containers[0].ports[0].containerPort: port 0 is out of range 1-65535",
    );
    assert_one(
        &d.replace("containerPort: 8080", "containerPort: 65536"),
        "spec.template.spec.containers[0].ports[0].containerPort: port 65536 is out of range 1-65535",
    );
    assert_clean(&dep(&[(
        "containerPort: 8080",
        "containerPort: 8080\n        hostPort: 0",
    )]));
    assert_one(
        &d.replace("name: http\n", "name: HTTP\n")
            .replace("port: http}", "port: 8080}"),
        "spec.template.spec.containers[0].ports[0].name: invalid port name \"HTTP\": must be an IANA service name (at most 15 lowercase alphanumerics and '-', with a letter, no leading, trailing or double '-')",
    );
    assert_one(
        &d.replace("port: http}", "port: \"8080\"}"),
        "spec.template.spec.containers[0].readinessProbe.httpGet.port: invalid port name \"8080\": must be an IANA service name (at most 15 lowercase alphanumerics and '-', with a letter, no leading, trailing or double '-')",
    );
    assert_one(
        &d.replace("tcpSocket: {port: 8080}", "tcpSocket: {port: 2.5}"),
        "spec.template.spec.containers[0].livenessProbe.tcpSocket.port: expected integer or string, got number 2.5",
    );
    assert_one(
        &d.replace("tcpSocket: {port: 8080}", "grpc: {port: 99999}"),
        "spec.template.spec.containers[0].livenessProbe.grpc.port: port 99999 is out of range 1-65535",
    );
    let svc = |port: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  type: NodePort\n  ports:\n    - {port}\n"
        )
    };
    assert_clean(&svc(
        "{name: http, port: 80, targetPort: http, nodePort: 30080}",
    ));
    assert_clean(&svc("{port: 80, targetPort: 8080}"));
    assert_one(
        &svc("{port: 80, targetPort: 70000}"),
        "spec.ports[0].targetPort: port 70000 is out of range 1-65535",
    );
    assert_one(
        &svc("{port: 80, targetPort: web--ui}"),
        "spec.ports[0].targetPort: invalid port name \"web--ui\": must be an IANA service name (at most 15 lowercase alphanumerics and '-', with a letter, no leading, trailing or double '-')",
    );
    assert_eq!(
        issues(&svc("{port: 80, targetPort: a-very-long-port-name}")).len(),
        1
    );
    assert_eq!(issues(&svc("{port: 80, name: Web}")).len(), 1);
}

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
fn container_and_volume_names_are_dns_labels() {
    let d = deployment(POD_SPEC);
    assert_one(
        &d.replace("- name: app\n", "- name: App\n"),
        "spec.template.spec.containers[0].name: invalid name \"App\": must be a DNS-1123 label (lowercase alphanumerics and '-', starting and ending with an alphanumeric, at most 63 characters)",
    );
    let with_init = dep(&[(
        "containers:\n",
        "initContainers:\n  - {name: init_db, image: busybox}\nvolumes:\n  - {name: cache.vol, emptyDir: {}}\ncontainers:\n",
    )]);
    assert_eq!(
        issues(&with_init)
            .iter()
            .map(|m| m.split(':').next().unwrap_or_default().to_string())
            .collect::<Vec<_>>(),
        vec![
            "spec.template.spec.initContainers[0].name",
            "spec.template.spec.volumes[0].name"
        ]
    );
}

#[test]
fn label_and_annotation_keys_are_checked() {
    let cm = |meta: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n{meta}");
    assert_clean(&cm(
        "  labels:\n    app.kubernetes.io/name: web\n    tier: \"\"\n    Version_2: v1.2-rc.3\n  annotations:\n    example.com/note: \"any value: at all!\"\n",
    ));
    assert_one(
        &cm("  labels:\n    -bad: x\n"),
        "metadata.labels.-bad: invalid label key \"-bad\": the name part must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
    );
    assert_one(
        &cm("  labels:\n    Example.com/name: x\n"),
        "metadata.labels[\"Example.com/name\"]: invalid label key \"Example.com/name\": the prefix must be a DNS subdomain (lowercase, at most 253 characters)",
    );
    assert_eq!(issues(&cm("  labels:\n    a/b/c: x\n")).len(), 1);
    assert_one(
        &cm(&format!("  labels:\n    app: {}\n", "v".repeat(64))),
        &format!(
            "metadata.labels.app: invalid label value \"{}\"…: must be at most 63 characters",
            "v".repeat(40)
        ),
    );
    assert_eq!(
        issues(&cm("  labels:\n    app: \"hello world\"\n")).len(),
        1
    );
    assert_eq!(issues(&cm("  annotations:\n    bad key: x\n")).len(), 1);
    let big = format!("  annotations:\n    a: {}\n", "x".repeat(300 * 1024));
    assert_eq!(
        issues(&cm(&big)),
        vec!["metadata.annotations: annotations total 307201 bytes, over the 262144-byte limit"]
    );
    // Selectors follow label syntax too.
    let d = deployment(POD_SPEC).replace(
        "      app: web\n  template",
        "      App Name: web\n  template",
    );
    // The key's syntax, and (since the template has no such label) the selector mismatch.
    let found = issues(&d);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found.iter().all(|i| i.contains("App Name")), "{found:#?}");
}

#[test]
fn config_map_keys_are_checked() {
    let cm = |key: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  {key}: v\n")
    };
    assert_clean(&cm("good.key_1-x"));
    assert_one(
        &cm("bad/key"),
        "data[\"bad/key\"]: invalid key \"bad/key\": must consist of alphanumerics, '-', '_' or '.'",
    );
    assert_eq!(issues(&cm("..hidden")).len(), 1);
    let secret =
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  \"tls key\": x\n";
    assert_eq!(issues(secret).len(), 1);
}

#[test]
fn env_var_names_are_lenient() {
    let d = deployment(POD_SPEC);
    assert_clean(&d.replace("name: MODE", "name: my.var-1 x"));
    assert_one(
        &d.replace("name: MODE", "name: \"\""),
        "spec.template.spec.containers[0].env[0].name: invalid environment variable name: must not be empty",
    );
    assert_one(
        &d.replace("name: MODE", "name: A=B"),
        "spec.template.spec.containers[0].env[0].name: invalid environment variable name \"A=B\": must not contain '='",
    );
}

#[test]
fn int_or_percent_fields() {
    let d = deployment(POD_SPEC).replace(
        "  replicas: 2\n",
        "  replicas: 2\n  strategy:\n    type: RollingUpdate\n    rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}\n",
    );
    assert_clean(&d);
    assert_one(
        &d.replace("maxSurge: 25%", "maxSurge: \"25\""),
        "spec.strategy.rollingUpdate.maxSurge: expected an integer or a percentage like \"25%\", got \"25\"",
    );
    assert_eq!(
        issues(&d.replace("type: RollingUpdate", "type: Rolling")).len(),
        1
    );
}

#[test]
fn duplicate_list_keys_are_errors() {
    let two = dep(&[(
        "    livenessProbe:\n",
        "  - name: app\n    image: busybox\n    livenessProbe:\n",
    )]);
    // The second container took over the probes; only the duplicate name is reported.
    assert_eq!(
        issues(&two),
        vec![
            "spec.template.spec.containers[1]: duplicate entry with name \"app\" (first at index 0); server-side apply rejects duplicate list keys"
        ]
    );
    let ports = dep(&[(
        "        protocol: TCP\n",
        "        protocol: TCP\n      - containerPort: 8080\n      - containerPort: 8080\n        protocol: UDP\n",
    )]);
    assert_eq!(
        issues(&ports),
        vec![
            "spec.template.spec.containers[0].ports[1]: duplicate entry with containerPort 8080, protocol \"TCP\" (first at index 0); server-side apply rejects duplicate list keys"
        ]
    );
    let env = dep(&[(
        "        value: \"1\"\n",
        "        value: \"1\"\n      - name: MODE\n        value: \"2\"\n",
    )]);
    assert_eq!(issues(&env).len(), 1);
    assert!(issues(&env)[0].contains("env[1]: duplicate entry with name \"MODE\""));
}

#[test]
fn issues_come_in_document_order() {
    let d = deployment(POD_SPEC)
        .replace("replicas: 2", "replicas: \"2\"")
        .replace("  name: web\n", "  name: Web\n")
        .replace("IfNotPresent", "Sometimes")
        .replace("  selector:\n    matchLabels:\n      app: web\n", "");
    let found = issues(&d);
    let paths: Vec<&str> = found
        .iter()
        .map(|m| m.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        paths,
        vec![
            "metadata.name",
            "spec.selector",
            "spec.replicas",
            "spec.template.spec.containers[0].imagePullPolicy",
        ]
    );
    // Deterministic.
    assert_eq!(found, issues(&d));
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

#[test]
fn curated_tables_name_existing_fields() {
    // Every curated rule must attach to a property that exists in some bundled version.
    let mut missing = Vec::new();
    let mut found = std::collections::HashSet::new();
    for minor in 25..=37 {
        let c = schema::compiled(minor).expect("compiles");
        for def in &c.defs {
            let (key, _) = schema::def_key(&def.name);
            for prop in &c.nodes[def.root as usize].props {
                found.insert((key.clone(), prop.name.clone()));
            }
        }
    }
    let fields = enum_fields::ENUM_TABLE
        .iter()
        .map(|f| (f.def, f.field))
        .chain(field_rules::VALUE_RULES.iter().map(|&(d, f, _)| (d, f)));
    for (def, field) in fields {
        if !found.contains(&(def.to_string(), field.to_string())) {
            missing.push(format!("{def}.{field}"));
        }
    }
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn syntax_validators() {
    assert!(value_syntax::is_dns1123_label("a-1"));
    assert!(!value_syntax::is_dns1123_label("-a"));
    assert!(!value_syntax::is_dns1123_label(&"a".repeat(64)));
    assert!(value_syntax::is_dns1123_subdomain("a.b-c.d"));
    assert!(!value_syntax::is_dns1123_subdomain("a..b"));
    assert!(value_syntax::is_iana_svc_name("http-alt"));
    assert!(!value_syntax::is_iana_svc_name("1234"));
    assert!(!value_syntax::is_iana_svc_name("sixteen-chars-xx"));
    assert!(value_syntax::is_base64(""));
    assert!(value_syntax::is_base64("YQ=="));
    assert!(!value_syntax::is_base64("YQ="));
    assert!(!value_syntax::is_base64("Y===") || value_syntax::is_base64("Y==="));
    assert!(value_syntax::is_rfc3339("2024-01-31T12:00:00.5-07:00"));
    assert!(!value_syntax::is_rfc3339("2024-13-01T00:00:00Z"));
    assert_eq!(
        hints::suggest("replica", ["replicas", "paused"]),
        Some("replicas")
    );
    assert_eq!(hints::suggest("zzz", ["replicas"]), None);
}

/// A realistic mix of manifests (as kubectl, Helm and operators write them) must pass cleanly,
/// strict mode included: the checks must not cry wolf.
const REALISTIC: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: monitoring
  labels: {kubernetes.io/metadata.name: monitoring, pod-security.kubernetes.io/enforce: baseline}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: node-exporter, namespace: monitoring}
automountServiceAccountToken: false
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:monitoring:reader
  annotations: {rbac.authorization.kubernetes.io/autoupdate: "true"}
rules:
  - apiGroups: [""]
    resources: [nodes, nodes/metrics, services, endpoints, pods]
    verbs: [get, list, watch]
  - nonResourceURLs: [/metrics]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:monitoring:reader"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:monitoring:reader"}
subjects:
  - {kind: ServiceAccount, name: node-exporter, namespace: monitoring}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: monitoring, labels: {app.kubernetes.io/name: node-exporter}}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: node-exporter}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 10%}}
  template:
    metadata:
      creationTimestamp: null
      labels: {app.kubernetes.io/name: node-exporter}
      annotations: {kubectl.kubernetes.io/default-container: node-exporter}
    spec:
      hostNetwork: true
      hostPID: true
      priorityClassName: system-node-critical
      serviceAccountName: node-exporter
      nodeSelector: {kubernetes.io/os: linux}
      tolerations: [{operator: Exists}]
      securityContext: {runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: node-exporter
          image: quay.io/prometheus/node-exporter:v1.8.2
          args: [--path.rootfs=/host/root, "--web.listen-address=:9100"]
          ports: [{containerPort: 9100, hostPort: 9100, name: metrics, protocol: TCP}]
          resources:
            requests: {cpu: 102m, memory: 180Mi}
            limits: {cpu: 250m, memory: 180Mi}
          securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [SYS_TIME]}}
          volumeMounts: [{name: root, mountPath: /host/root, mountPropagation: HostToContainer, readOnly: true}]
          livenessProbe: {httpGet: {path: /, port: metrics, scheme: HTTP}, initialDelaySeconds: 5, timeoutSeconds: 1}
          terminationMessagePolicy: FallbackToLogsOnError
      volumes: [{name: root, hostPath: {path: /, type: ""}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: postgres, namespace: db}
spec:
  serviceName: postgres
  replicas: 1
  podManagementPolicy: Parallel
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Delete}
  selector: {matchExpressions: [{key: app, operator: In, values: [postgres]}]}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      terminationGracePeriodSeconds: 30
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: node.kubernetes.io/instance-type, operator: NotIn, values: [t3.micro]}]}]
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: postgres}}}
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: postgres}}}
      containers:
        - name: postgres
          image: postgres:16
          env:
            - {name: POSTGRES_PASSWORD, valueFrom: {secretKeyRef: {name: pg, key: password}}}
            - {name: PGDATA, value: /var/lib/postgresql/data/pgdata}
            - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
            - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
          envFrom: [{configMapRef: {name: pg-config, optional: true}}]
          ports: [{containerPort: 5432, name: postgres}]
          readinessProbe: {exec: {command: [pg_isready, -U, postgres]}, periodSeconds: 10}
          startupProbe: {tcpSocket: {port: 5432}, failureThreshold: 30}
          resources: {requests: {cpu: "0.5", memory: 1Gi, ephemeral-storage: 2Gi}, limits: {memory: 1Gi, hugepages-2Mi: 100Mi}}
          volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}, {name: shm, mountPath: /dev/shm}]
      volumes: [{name: shm, emptyDir: {medium: Memory, sizeLimit: 256Mi}}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        storageClassName: gp3
        resources: {requests: {storage: 20Gi}}
---
apiVersion: v1
kind: Service
metadata: {name: postgres, namespace: db, annotations: {service.beta.kubernetes.io/aws-load-balancer-type: nlb}}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  loadBalancerSourceRanges: [10.0.0.0/8]
  selector: {app: postgres}
  ports: [{name: postgres, port: 5432, targetPort: postgres, protocol: TCP}, {name: metrics, port: 9187, targetPort: 9187}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /$2, cert-manager.io/cluster-issuer: letsencrypt}
spec:
  ingressClassName: nginx
  tls: [{hosts: [shop.example.com], secretName: shop-tls}]
  rules:
    - host: shop.example.com
      http:
        paths:
          - {path: /api(/|$)(.*), pathType: ImplementationSpecific, backend: {service: {name: api, port: {name: http}}}}
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}
    - {type: Pods, pods: {metric: {name: rps}, target: {type: AverageValue, averageValue: "100"}}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 300, selectPolicy: Max, policies: [{type: Percent, value: 50, periodSeconds: 60}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 50%, selector: {matchLabels: {app: web}}, unhealthyPodEvictionPolicy: AlwaysAllow}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: db}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{namespaceSelector: {matchLabels: {team: web}}, podSelector: {matchLabels: {app: api}}}, {ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
      ports: [{protocol: TCP, port: 5432}, {port: metrics}, {port: 30000, endPort: 32767}]
  egress: [{to: [{namespaceSelector: {}}], ports: [{protocol: UDP, port: 53}]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: db}
spec:
  schedule: "0 2 * * *"
  timeZone: Etc/UTC
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 3
  jobTemplate:
    spec:
      backoffLimit: 2
      ttlSecondsAfterFinished: 86400
      podFailurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [42]}}]}
      template:
        spec:
          restartPolicy: Never
          containers: [{name: backup, image: "postgres:16", command: [sh, -c, "pg_dump > /backup/db.sql"]}]
---
apiVersion: v1
kind: Secret
metadata: {name: pg, namespace: db}
type: kubernetes.io/basic-auth
stringData: {username: postgres, password: "c0rrect horse battery staple"}
data: {ca.crt: LS0tLS1CRUdJTi==}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: pg-config, namespace: db}
data: {POSTGRES_DB: app, postgresql.conf: "max_connections = 100\n", .hidden-file: x}
binaryData: {logo.png: iVBORw0KGgo=}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000000
globalDefault: false
preemptionPolicy: PreemptLowerPriority
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: ebs.csi.aws.com
parameters: {type: gp3, fsType: ext4}
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: quota, namespace: db}
spec: {hard: {requests.cpu: "4", limits.memory: 8Gi, pods: "20", count/deployments.apps: "5"}}
---
apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: db}
spec: {limits: [{type: Container, default: {cpu: 500m}, defaultRequest: {cpu: 100m}, max: {memory: 2Gi}}]}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList, shortNames: [wd]}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      additionalPrinterColumns: [{name: Size, type: integer, jsonPath: .spec.size}]
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1, default: 3}
                mode: {type: string, enum: [fast, slow]}
                tags: {type: array, items: {type: string}}
                extra: {type: object, additionalProperties: {type: string}}
              x-kubernetes-validations: [{rule: "self.size < 100", message: too big}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: policy}
webhooks:
  - name: validate.example.com
    admissionReviewVersions: [v1]
    sideEffects: None
    failurePolicy: Fail
    matchPolicy: Equivalent
    timeoutSeconds: 5
    clientConfig: {service: {name: webhook, namespace: system, path: /validate, port: 443}, caBundle: Y2E=}
    rules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments], scope: Namespaced}]
    namespaceSelector: {matchExpressions: [{key: control-plane, operator: DoesNotExist}]}
---
apiVersion: v1
kind: Pod
metadata: {generateName: debug-, namespace: default}
spec:
  restartPolicy: Never
  dnsPolicy: None
  dnsConfig: {nameservers: [1.1.1.1], options: [{name: ndots, value: "2"}]}
  os: {name: linux}
  hostAliases: [{ip: 127.0.0.1, hostnames: [foo.local]}]
  initContainers:
    - {name: sidecar, image: envoy, restartPolicy: Always, ports: [{containerPort: 15000}]}
  containers:
    - name: debug
      image: busybox
      stdin: true
      tty: true
      lifecycle: {preStop: {exec: {command: [sleep, "5"]}}, postStart: {httpGet: {port: 8080, path: /started}}}
      livenessProbe: {grpc: {port: 9090, service: health}}
      securityContext: {privileged: false, runAsGroup: 1000, procMount: Default}
"#;

#[test]
fn realistic_manifests_pass_cleanly() {
    let (docs, err) = crate::source::yaml::parse(REALISTIC);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(docs.len(), 21);
    for minor in [31, 37] {
        let s = schemas(&format!("1.{minor}"));
        for d in &docs {
            let out = s.validate(&d.root, true);
            assert_eq!(out.coverage, Coverage::Checked);
            let found: Vec<String> = out
                .issues
                .iter()
                .map(|i| format!("line {}: {}: {}", d.start_line, i.path, i.message))
                .collect();
            assert!(found.is_empty(), "1.{minor}: {found:#?}");
        }
    }
}

#[test]
fn fields_follow_the_chosen_version() {
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n  trafficDistribution: PreferClose\n";
    assert!(issues_on("1.30", svc, true).is_empty());
    assert_eq!(
        issues_on("1.29", svc, true),
        vec!["spec.trafficDistribution: unknown field \"trafficDistribution\" in ServiceSpec"]
    );
    assert_eq!(
        issues_on("1.29", svc, false),
        vec!["W spec.trafficDistribution: unknown field \"trafficDistribution\" in ServiceSpec"]
    );
}

#[test]
fn numeric_quantities_and_int_or_string() {
    let d = deployment(POD_SPEC);
    assert_clean(&d.replace("requests: {cpu: 100m", "requests: {cpu: 0.5"));
    assert_clean(&d.replace("limits: {cpu: \"1\"", "limits: {cpu: 2"));
    assert_one(
        &d.replace("limits: {cpu: \"1\"", "limits: {cpu: [1]"),
        "spec.template.spec.containers[0].resources.limits.cpu: expected quantity (string or number), got array",
    );
}

/// The API server's cross-field and value rules (semantic.rs), through the whole validator.
#[test]
fn api_value_rules_beyond_the_schema() {
    let d = deployment(POD_SPEC);
    assert_one(
        &d.replace("      app: web\n  template", "      app: api\n  template"),
        "spec.selector.matchLabels.app: selector does not match the template labels: the template has no label app=api",
    );
    assert_one(
        &d.replace(
            "    matchLabels:\n      app: web\n",
            "    matchExpressions:\n      - {key: app, operator: In, values: [api]}\n",
        ),
        "spec.selector.matchExpressions[0]: selector does not match the template labels: app In fails on the template",
    );
    assert_one(
        &dep(&[(
            "    env:",
            "    volumeMounts:\n      - {name: cache, mountPath: /cache}\n    env:",
        )]),
        "spec.template.spec.containers[0].volumeMounts[0].name: container \"app\" mounts volume \"cache\", but the pod has no volume of that name",
    );
    assert_clean(
        &dep(&[(
            "    env:",
            "    volumeMounts:\n      - {name: cache, mountPath: /cache}\n    env:",
        )])
        .replace(
            "    spec:\n      containers:",
            "    spec:\n      volumes:\n        - {name: cache, emptyDir: {}}\n      containers:",
        ),
    );
    assert_one(
        &d.replace(
            "  replicas: 2\n",
            "  replicas: 2\n  strategy:\n    type: Recreate\n    rollingUpdate: {maxSurge: 1}\n",
        ),
        "spec.strategy.rollingUpdate: rollingUpdate may not be set when the strategy type is Recreate",
    );
    assert_one(
        &d.replace("  replicas: 2\n", "  replicas: 2\n  strategy:\n    rollingUpdate: {maxSurge: 0, maxUnavailable: \"0%\"}\n"),
        "spec.strategy.rollingUpdate.maxUnavailable: maxUnavailable and maxSurge may not both be 0: the rollout could never progress",
    );
    assert_one(
        &dep(&[("containers:", "restartPolicy: Never\ncontainers:")]),
        "spec.template.spec.restartPolicy: restartPolicy Never is not allowed for a Deployment's pods (allowed: Always)",
    );

    let cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report\nspec:\n  schedule: \"61 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Always\n          containers:\n            - {name: r, image: busybox:1.36}\n";
    assert_eq!(
        issues(cron),
        vec![
            "spec.schedule: invalid schedule \"61 * * * *\": \"61\" is not valid in the minute field (0-59)".to_string(),
            "spec.jobTemplate.spec.template.spec.restartPolicy: restartPolicy Always is not allowed for a CronJob's pods (allowed: OnFailure, Never)".to_string(),
        ]
    );
    assert_clean(
        &cron
            .replace("61 * * * *", "*/15 6-18 * * mon-fri")
            .replace("Always", "OnFailure"),
    );

    let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  clusterIP: 10.0.0.300\n  loadBalancerSourceRanges: [\"10.0.0.0/33\"]\n  ports:\n    - {port: 80, nodePort: 30080}\n";
    assert_eq!(
        issues(svc),
        vec![
            "spec.clusterIP: invalid IP address \"10.0.0.300\"".to_string(),
            "spec.loadBalancerSourceRanges[0]: invalid CIDR \"10.0.0.0/33\": expected an address and a prefix length, e.g. 10.0.0.0/16".to_string(),
            "spec.ports[0].nodePort: nodePort may only be set on a NodePort or LoadBalancer Service".to_string(),
        ]
    );
    assert_one(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: ext\nspec:\n  type: ExternalName\n",
        "spec.externalName: a Service of type ExternalName needs spec.externalName",
    );

    let np = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector: {}\n  egress:\n    - to:\n        - ipBlock:\n            cidr: 10.0.0.0/8\n            except: [\"10.1.0.0/16\", \"192.168.0.0/16\"]\n";
    assert_one(
        np,
        "spec.egress[0].to[0].ipBlock.except[1]: except must be a strict subset of the ipBlock's cidr",
    );
    assert_one(
        &np.replace("10.0.0.0/8", "10.0.0.0"),
        "spec.egress[0].to[0].ipBlock.cidr: invalid CIDR \"10.0.0.0\": expected an address and a prefix length, e.g. 10.0.0.0/16",
    );

    assert_one(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  rules:\n    - http:\n        paths:\n          - path: api\n            pathType: Prefix\n            backend:\n              service: {name: web, port: {number: 80}}\n",
        "spec.rules[0].http.paths[0].path: a Prefix path must be absolute (start with '/'), got \"api\"",
    );
    assert_one(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 5\n  maxReplicas: 3\n",
        "spec.minReplicas: minReplicas 5 is greater than maxReplicas 3",
    );
    assert_one(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 1\n  maxUnavailable: 1\n  selector:\n    matchLabels: {app: web}\n",
        "spec.maxUnavailable: minAvailable and maxUnavailable cannot both be set",
    );
}
