//! The API server's cross-field and value rules (`semantic`), through the whole validator.

use super::*;

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

#[test]
fn pod_templates_of_other_apis_are_checked_without_a_schema() {
    let rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: website}\n    spec:\n      containers:\n        - name: web\n          image: nginx\n          volumeMounts: [{name: cache, mountPath: /cache}]\n";
    let out = outcome("1.37", rollout, false);
    assert_eq!(out.coverage, Coverage::NotBuiltin);
    let lines: Vec<String> = out
        .issues
        .iter()
        .map(|i| format!("{}: {}", i.path, i.message))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("spec.template.spec.containers[0].volumeMounts[0].name:")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("selector does not match the template labels")),
        "{lines:?}"
    );
    let knative = "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: hello}\nspec:\n  template:\n    spec:\n      containers:\n        - image: hello\n          volumeMounts: [{name: cfg, mountPath: /cfg}]\n";
    assert_eq!(outcome("1.37", knative, false).issues.len(), 1);
    // A CRD that only shares a kind name is left alone.
    let other = "apiVersion: example.com/v1\nkind: Rollout\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n        - name: x\n          image: x\n          volumeMounts: [{name: cfg, mountPath: /cfg}]\n";
    assert!(outcome("1.37", other, false).issues.is_empty());
}
