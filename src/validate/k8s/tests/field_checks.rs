//! The curated field checks (`field_rules`, `enum_fields`, `value_syntax`): enums,
//! quantities and resource bounds, ports, container and volume names, label, annotation and
//! ConfigMap keys, env names, int-or-percent values, and the tables and validators themselves.

use super::*;

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
