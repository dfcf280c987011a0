//! The schema walk through the whole validator: types and integer formats, base64 and
//! date-time formats, secrets never echoed, required and unknown fields, additional
//! properties, duplicate list keys, document order and fields that depend on the version.

use super::*;

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
