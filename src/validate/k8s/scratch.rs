use super::*;

#[test]
#[ignore]
fn scratch_corpus() {
    let (s, _) = KubeSchemas::load("1.37").unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(".").into_iter().filter_map(Result::ok) {
        let p = entry.path();
        let ps = p.to_string_lossy();
        if ps.contains("/target/") || ps.contains("/.git/") { continue; }
        if !(ps.ends_with(".yaml") || ps.ends_with(".yml")) { continue; }
        let Ok(text) = std::fs::read_to_string(p) else { continue };
        let (docs, _) = crate::source::yaml::parse(&text);
        for d in docs {
            let out = s.validate(&d.root, false);
            *counts.entry(format!("{:?}", out.coverage)).or_insert(0) += 1;
            for i in out.issues {
                println!("{ps}:{}: {:?} {}: {}", d.root.locate(&i.path).span.start.line, i.level, i.path, i.message);
            }
        }
    }
    println!("{counts:?}");
}

#[test]
#[ignore]
fn scratch_perf() {
    use std::time::Instant;
    let t = Instant::now();
    let raw: serde_json::Value = serde_json::from_str(include_str!("schemas.json")).unwrap();
    println!("serde_json::Value parse: {:?}", t.elapsed());
    drop(raw);
    let t = Instant::now();
    let (s, _) = KubeSchemas::load("1.37").unwrap();
    println!("first load (parse data + compile 1.37): {:?}", t.elapsed());
    let t = Instant::now();
    let _ = KubeSchemas::load("1.30").unwrap();
    println!("compile 1.30: {:?}", t.elapsed());
    let t = Instant::now();
    let _ = KubeSchemas::load("1.37").unwrap();
    println!("cached load: {:?}", t.elapsed());
    let mut y = String::from("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: big\n  labels: {app: big}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: big}}\n  template:\n    metadata: {labels: {app: big}}\n    spec:\n      containers:\n");
    for i in 0..100 {
        y.push_str(&format!("        - name: c{i}\n          image: nginx:1.27\n          imagePullPolicy: IfNotPresent\n          ports: [{{containerPort: {}, name: p{i}, protocol: TCP}}]\n          env:\n            - {{name: A, value: \"1\"}}\n            - {{name: B, valueFrom: {{secretKeyRef: {{name: s, key: k}}}}}}\n          resources: {{requests: {{cpu: 100m, memory: 128Mi}}, limits: {{cpu: \"1\", memory: 1Gi}}}}\n          readinessProbe: {{httpGet: {{path: /, port: p{i}}}}}\n          securityContext: {{runAsNonRoot: true, capabilities: {{drop: [ALL]}}}}\n          volumeMounts: [{{name: v, mountPath: /data}}]\n", 1000 + i));
    }
    y.push_str("      volumes: [{name: v, emptyDir: {}}]\n");
    let (docs, _) = crate::source::yaml::parse(&y);
    let root = &docs[0].root;
    let out = s.validate(root, true);
    assert!(out.issues.is_empty(), "{:?}", out.issues);
    let n = 200;
    let t = Instant::now();
    for _ in 0..n { std::hint::black_box(s.validate(root, true)); }
    println!("validate 100-container Deployment: {:?}/doc ({} lines)", t.elapsed() / n, y.lines().count());
    // with many issues
    let bad = y.replace("IfNotPresent", "always").replace("replicas: 3", "replica: 3");
    let (docs, _) = crate::source::yaml::parse(&bad);
    let t = Instant::now();
    let mut k = 0;
    for _ in 0..n { k = s.validate(&docs[0].root, true).issues.len(); }
    println!("validate with {k} issues: {:?}/doc", t.elapsed() / n);
}
