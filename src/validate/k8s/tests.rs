//! Tests of the Kubernetes schema validation, by what they exercise; this file holds the
//! helpers they share (a tree from YAML, issues as `path: message` lines, a Deployment
//! around a pod spec).

use super::*;
use crate::document::Node;

mod cross_field;
mod field_checks;
mod identity;
mod realistic;
mod schema_walk;

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
