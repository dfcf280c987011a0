//! REST semantics over real HTTPS (a minimal HTTP/1.1 client on rustls), where kubectl does
//! not reach: preconditions, subresources, watch, propagation, finalizers, scale.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Instant;

use confgate_testcluster::{Options, Rule, TestCluster, User};
use serde_json::{Value, json};

struct Client {
    port: u16,
    ca: String,
    token: String,
}

impl Client {
    fn new(tc: &TestCluster, name: &str) -> Client {
        Client {
            port: tc.port(),
            ca: tc.ca_pem(),
            token: common::token_of(tc.kubeconfig_path(), &format!("{name}-admin")),
        }
    }
    fn req(&self, method: &str, path: &str, body: Option<(&str, &Value)>) -> (u16, Value) {
        let text = body.map(|(ct, v)| (ct, v.to_string()));
        let (code, bytes) = common::https(
            self.port,
            &self.ca,
            Some(&self.token),
            method,
            path,
            text.as_ref().map(|(ct, t)| (*ct, t.as_str())),
        );
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (code, v)
    }
    fn get(&self, path: &str) -> (u16, Value) {
        self.req("GET", path, None)
    }
    fn post(&self, path: &str, v: &Value) -> (u16, Value) {
        self.req("POST", path, Some(("application/json", v)))
    }
    fn put(&self, path: &str, v: &Value) -> (u16, Value) {
        self.req("PUT", path, Some(("application/json", v)))
    }
    fn patch(&self, path: &str, ct: &str, v: &Value) -> (u16, Value) {
        self.req("PATCH", path, Some((ct, v)))
    }
}

fn start(name: &str) -> (TestCluster, Client) {
    let tc = TestCluster::start(Options {
        name: name.into(),
        users: vec![User {
            name: "viewer".into(),
            token: "viewer-token".into(),
            rules: vec![
                Rule::new(&["get", "list"], &["apps"], &["deployments"])
                    .in_namespaces(&["default"]),
            ],
        }],
        ..Default::default()
    })
    .unwrap();
    let c = Client::new(&tc, name);
    (tc, c)
}

fn deployment(name: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "busybox:1"}]}}}})
}

#[test]
fn discovery_and_version() {
    let (_tc, c) = start("disc");
    let (code, v) = c.get("/version");
    assert_eq!(code, 200);
    assert_eq!(v["gitVersion"], "v1.37.0");
    assert_eq!(v["minor"], "37");
    let (_, v) = c.get("/apis");
    let apps = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "apps")
        .unwrap();
    assert_eq!(apps["preferredVersion"]["groupVersion"], "apps/v1");
    let (_, v) = c.get("/apis/autoscaling");
    assert_eq!(v["preferredVersion"]["version"], "v2");
    let (_, v) = c.get("/apis/apps/v1");
    let names: Vec<&str> = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"deployments/status") && names.contains(&"deployments/scale"),
        "{names:?}"
    );
    let (_, v) = c.get("/api/v1");
    let pods = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "pods")
        .unwrap();
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert_eq!(pods["categories"], json!(["all"]));
    // Aggregated discovery, as kubectl and kube's run_aggregated ask for it.
    let accept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    let (code, body) =
        common::https_accept(c.port, &c.ca, Some(&c.token), "GET", "/apis", None, accept);
    assert_eq!(code, 200);
    let agg: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(agg["kind"], "APIGroupDiscoveryList");
    let apps = agg["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metadata"]["name"] == "apps")
        .unwrap();
    let dep = apps["versions"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "deployments")
        .unwrap();
    assert_eq!(dep["scope"], "Namespaced");
    assert_eq!(dep["subresources"].as_array().unwrap().len(), 2);
    let (_, body) =
        common::https_accept(c.port, &c.ca, Some(&c.token), "GET", "/api", None, accept);
    let core: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(core["items"][0]["versions"][0]["version"], "v1");
    let (code, v) = c.get("/api/v1/namespaces/default/nothings");
    assert_eq!(code, 404);
    assert_eq!(v["kind"], "Status");
}

#[test]
fn authentication_and_authorization() {
    let (tc, _c) = start("authz");
    let (code, body) = common::https(tc.port(), &tc.ca_pem(), None, "GET", "/api/v1/pods", None);
    assert_eq!(code, 401, "{}", String::from_utf8_lossy(&body));
    let (code, _) = common::https(
        tc.port(),
        &tc.ca_pem(),
        Some("nope"),
        "GET",
        "/api/v1/pods",
        None,
    );
    assert_eq!(code, 401);
    let (code, _) = common::https(
        tc.port(),
        &tc.ca_pem(),
        Some("viewer-token"),
        "GET",
        "/apis/apps/v1/namespaces/default/deployments",
        None,
    );
    assert_eq!(code, 200);
    let (code, body) = common::https(
        tc.port(),
        &tc.ca_pem(),
        Some("viewer-token"),
        "GET",
        "/apis/apps/v1/namespaces/other/deployments",
        None,
    );
    assert_eq!(code, 403);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["reason"], "Forbidden");
    assert_eq!(
        v["message"],
        r#"deployments.apps is forbidden: User "viewer" cannot list resource "deployments" in API group "apps" in the namespace "other""#
    );
    let kc = std::fs::read_to_string(tc.kubeconfig_path()).unwrap();
    assert!(kc.contains("authz-viewer"), "{kc}");
    // SelfSubjectAccessReview answered from the caller's rules.
    let ssar = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "delete", "group": "apps", "resource": "deployments", "namespace": "default"}}});
    let (code, body) = common::https(
        tc.port(),
        &tc.ca_pem(),
        Some("viewer-token"),
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        Some(("application/json", &ssar.to_string())),
    );
    assert_eq!(
        code,
        403,
        "viewer may not create reviews: {}",
        String::from_utf8_lossy(&body)
    );
    let c = Client::new(&tc, "authz");
    let (code, v) = c.post(
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        &ssar,
    );
    assert_eq!(code, 201);
    assert_eq!(v["status"]["allowed"], true);
}

#[test]
fn create_update_conflicts_and_generation() {
    let (tc, c) = start("crud");
    let base = "/apis/apps/v1/namespaces/default/deployments";
    let (code, d) = c.post(base, &deployment("a"));
    assert_eq!(code, 201, "{d}");
    assert_eq!(d["metadata"]["generation"], 1);
    assert!(d["metadata"]["uid"].as_str().unwrap().len() == 36);
    let (code, v) = c.post(base, &deployment("a"));
    assert_eq!((code, v["reason"].as_str()), (409, Some("AlreadyExists")));
    assert_eq!(v["message"], r#"deployments.apps "a" already exists"#);
    let (code, v) = c.post(
        "/apis/apps/v1/namespaces/missing/deployments",
        &deployment("a"),
    );
    assert_eq!(
        (code, v["message"].as_str()),
        (404, Some(r#"namespaces "missing" not found"#))
    );

    // PUT with the current resourceVersion works and bumps generation; a stale one conflicts.
    // (A NetworkPolicy: no controller writes it behind the test's back.)
    let np_base = "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies";
    let np = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}});
    let (code, n1) = c.post(np_base, &np);
    assert_eq!(
        (code, n1["metadata"]["generation"].as_i64()),
        (201, Some(1)),
        "{n1}"
    );
    let mut upd = n1.clone();
    upd["spec"]["policyTypes"] = json!(["Ingress", "Egress"]);
    let (code, n2) = c.put(&format!("{np_base}/np"), &upd);
    assert_eq!(code, 200, "{n2}");
    assert_eq!(n2["metadata"]["generation"], 2);
    assert_ne!(
        n2["metadata"]["resourceVersion"],
        n1["metadata"]["resourceVersion"]
    );
    let (code, v) = c.put(&format!("{np_base}/np"), &upd);
    assert_eq!((code, v["reason"].as_str()), (409, Some("Conflict")));
    let (code, d2) = c.patch(
        &format!("{base}/a"),
        "application/merge-patch+json",
        &json!({"spec": {"replicas": 4}}),
    );
    assert_eq!(
        (code, d2["metadata"]["generation"].as_i64()),
        (200, Some(2)),
        "{d2}"
    );
    // Label change: no generation bump.
    let (_, d3) = c.patch(
        &format!("{base}/a"),
        "application/merge-patch+json",
        &json!({"metadata": {"labels": {"x": "y"}}}),
    );
    assert_eq!(d3["metadata"]["generation"], 2);
    // Main resource writes ignore status; /status writes only status.
    let (_, d4) = c.patch(
        &format!("{base}/a"),
        "application/merge-patch+json",
        &json!({"status": {"replicas": 99}}),
    );
    assert!(d4["status"]["replicas"] != 99);
    tc.faults().clear();
    let (code, d5) = c.patch(
        &format!("{base}/a/status"),
        "application/merge-patch+json",
        &json!({"spec": {"replicas": 7}, "status": {"observedGeneration": 2, "replicas": 99}}),
    );
    assert_eq!(code, 200, "{d5}");
    assert_eq!(d5["status"]["replicas"], 99);
    assert_eq!(d5["spec"]["replicas"], 4);
    // Scale subresource.
    let (_, s) = c.get(&format!("{base}/a/scale"));
    assert_eq!(
        (s["kind"].as_str(), s["spec"]["replicas"].as_i64()),
        (Some("Scale"), Some(4))
    );
    let (code, s) = c.patch(
        &format!("{base}/a/scale"),
        "application/merge-patch+json",
        &json!({"spec": {"replicas": 2}}),
    );
    assert_eq!((code, s["spec"]["replicas"].as_i64()), (200, Some(2)));
    // Strategic merge patch merges containers by name; JSON patch tests.
    let (code, d6) = c.patch(&format!("{base}/a"), "application/strategic-merge-patch+json",
        &json!({"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "busybox:2"}]}}}}));
    assert_eq!(code, 200, "{d6}");
    assert_eq!(
        d6["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (code, v) = c.patch(
        &format!("{base}/a"),
        "application/json-patch+json",
        &json!([{"op": "test", "path": "/spec/replicas", "value": 100}]),
    );
    assert_eq!(code, 422, "{v}");
    // Apply conflicts: the real Status shape.
    let apply = |mgr: &str, replicas: i64, force: bool| {
        let body = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"}, "spec": {"replicas": replicas}});
        c.patch(
            &format!("{base}/a?fieldManager={mgr}&force={force}"),
            "application/apply-patch+yaml",
            &body,
        )
    };
    assert_eq!(apply("one", 3, true).0, 200);
    let (code, v) = apply("two", 6, false);
    assert_eq!((code, v["reason"].as_str()), (409, Some("Conflict")), "{v}");
    assert_eq!(
        v["message"],
        r#"Apply failed with 1 conflict: conflict with "one": .spec.replicas"#
    );
    let cause = &v["details"]["causes"][0];
    assert_eq!(cause["reason"], "FieldManagerConflict");
    assert_eq!(cause["type"], "FieldManagerConflict");
    assert_eq!(cause["field"], ".spec.replicas");
    assert_eq!(apply("two", 6, true).0, 200);
    // Apply needs a field manager.
    let (code, v) = c.patch(
        &format!("{base}/a"),
        "application/apply-patch+yaml",
        &deployment("a"),
    );
    assert_eq!((code, v["reason"].as_str()), (400, Some("BadRequest")));
    // generateName and dryRun.
    let mut g = deployment("");
    g["metadata"] = json!({"generateName": "gen-"});
    let (code, v) = c.post(&format!("{base}?dryRun=All"), &g);
    assert_eq!(code, 201);
    let gen_name = v["metadata"]["name"].as_str().unwrap().to_string();
    assert!(
        gen_name.starts_with("gen-") && gen_name.len() == 9,
        "{gen_name}"
    );
    let (code, _) = c.get(&format!("{base}/{gen_name}"));
    assert_eq!(code, 404, "dry run stored nothing");
    // Bad JSON is a 400 Status, not a crash.
    let (code, body) = common::https(
        c.port,
        &c.ca,
        Some(&c.token),
        "POST",
        base,
        Some(("application/json", "{not json")),
    );
    assert_eq!(code, 400, "{}", String::from_utf8_lossy(&body));
    let (code, v) = c.post(
        "/api/v1/namespaces/default/secrets",
        &json!({"metadata": {"name": "bad"}, "data": {"k": "not base64!"}}),
    );
    assert_eq!(
        (code, v["reason"].as_str()),
        (400, Some("BadRequest")),
        "{v}"
    );
    let (code, _) = c.get(&format!("{base}?limit=abc"));
    assert_eq!(code, 400);
    let (code, _) = c.get(&format!("{base}?continue=garbage"));
    assert_eq!(code, 400);
}

#[test]
fn delete_propagation_finalizers_and_namespaces() {
    let (tc, c) = start("gc");
    tc.load_yaml(
        r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: owner, namespace: default}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: keep, namespace: default, finalizers: [example.com/hold]}
"#,
    )
    .unwrap();
    let owner = tc.get("v1", "ConfigMap", Some("default"), "owner").unwrap();
    let uid = owner["metadata"]["uid"].as_str().unwrap();
    for n in ["child1", "child2"] {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n,
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid}]}});
        assert_eq!(c.post("/api/v1/namespaces/default/configmaps", &cm).0, 201);
    }
    // Orphan keeps the dependents and strips the ownerReference.
    let (code, _) = c.req(
        "DELETE",
        "/api/v1/namespaces/default/configmaps/owner",
        Some(("application/json", &json!({"propagationPolicy": "Orphan"}))),
    );
    assert_eq!(code, 200);
    let child = tc
        .get("v1", "ConfigMap", Some("default"), "child1")
        .unwrap();
    assert!(
        child["metadata"].get("ownerReferences").is_none(),
        "{child}"
    );
    // Background deletes them.
    tc.load_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owner2}\n")
        .unwrap();
    let uid2 = tc
        .get("v1", "ConfigMap", Some("default"), "owner2")
        .unwrap()["metadata"]["uid"]
        .clone();
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "child3",
        "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner2", "uid": uid2}]}});
    c.post("/api/v1/namespaces/default/configmaps", &cm);
    let (code, v) = c.req(
        "DELETE",
        "/api/v1/namespaces/default/configmaps/owner2?propagationPolicy=Background",
        None,
    );
    assert_eq!((code, v["status"].as_str()), (200, Some("Success")));
    assert!(
        tc.get("v1", "ConfigMap", Some("default"), "child3")
            .is_none()
    );
    // Finalizers hold deletion until removed.
    let (code, v) = c.req("DELETE", "/api/v1/namespaces/default/configmaps/keep", None);
    assert_eq!(code, 202);
    assert!(v["metadata"]["deletionTimestamp"].is_string());
    assert!(tc.get("v1", "ConfigMap", Some("default"), "keep").is_some());
    c.patch(
        "/api/v1/namespaces/default/configmaps/keep",
        "application/merge-patch+json",
        &json!({"metadata": {"finalizers": null}}),
    );
    assert!(tc.get("v1", "ConfigMap", Some("default"), "keep").is_none());
    // Namespaces: default ServiceAccount and root CA, deleted with their contents.
    c.post("/api/v1/namespaces", &json!({"metadata": {"name": "tmp"}}));
    assert!(
        tc.get("v1", "ServiceAccount", Some("tmp"), "default")
            .is_some()
    );
    assert!(
        tc.get("v1", "ConfigMap", Some("tmp"), "kube-root-ca.crt")
            .is_some()
    );
    c.req("DELETE", "/api/v1/namespaces/tmp", None);
    assert!(
        tc.get("v1", "ConfigMap", Some("tmp"), "kube-root-ca.crt")
            .is_none()
    );
    let (code, _) = c.req("DELETE", "/api/v1/namespaces/kube-system", None);
    assert_eq!(code, 403);
}

#[test]
fn watch_streams_events() {
    let (tc, c) = start("watch");
    let (_, list) = c.get("/api/v1/namespaces/default/configmaps");
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    c.post(
        "/api/v1/namespaces/default/configmaps",
        &json!({"metadata": {"name": "w", "labels": {"a": "1"}}}),
    );
    c.patch(
        "/api/v1/namespaces/default/configmaps/w",
        "application/merge-patch+json",
        &json!({"data": {"k": "v"}}),
    );
    c.req("DELETE", "/api/v1/namespaces/default/configmaps/w", None);
    let t = Instant::now();
    let (code, body) = common::https(
        tc.port(),
        &tc.ca_pem(),
        Some(&c.token),
        "GET",
        &format!(
            "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=1&allowWatchBookmarks=true"
        ),
        None,
    );
    assert_eq!(code, 200);
    assert!(t.elapsed().as_secs_f64() < 5.0, "timeoutSeconds honoured");
    let types: Vec<String> = String::from_utf8_lossy(&body)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(types, ["ADDED", "MODIFIED", "DELETED"]);
    // Without resourceVersion: current objects as ADDED; with a label selector only matches.
    let (_, body) = common::https(
        tc.port(),
        &tc.ca_pem(),
        Some(&c.token),
        "GET",
        "/api/v1/configmaps?watch=true&timeoutSeconds=1&labelSelector=a%3D1",
        None,
    );
    assert!(
        String::from_utf8_lossy(&body).trim().is_empty(),
        "nothing matches"
    );
    let (_, body) = common::https(
        tc.port(),
        &tc.ca_pem(),
        Some(&c.token),
        "GET",
        "/api/v1/namespaces?watch=true&timeoutSeconds=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan",
        None,
    );
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains(r#""type":"ADDED""#) && text.contains("k8s.io/initial-events-end"),
        "{text}"
    );
}

#[test]
fn paginated_list_at_scale() {
    let n: usize = std::env::var("TESTCLUSTER_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let (tc, c) = start("scale");
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("cm-{i:06}"), "namespace": "bulk", "labels": {"i": (i % 10).to_string()}},
            "data": {"key": "value", "n": i.to_string()}}))
        .collect();
    let t = Instant::now();
    tc.load_yaml(&json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string())
        .unwrap();
    eprintln!("loaded {n} objects in {:?}", t.elapsed());
    let t = Instant::now();
    let (code, page) = c.get("/api/v1/namespaces/bulk/configmaps?limit=10000");
    let took = t.elapsed();
    eprintln!(
        "listed a page of {} in {took:?}",
        page["items"].as_array().map(|a| a.len()).unwrap_or(0)
    );
    assert_eq!(code, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), (n + 1).min(10_000));
    assert!(took.as_secs_f64() < 10.0, "{took:?}");
    // Walk all pages of 1000.
    let mut cont = String::new();
    let mut seen = 0;
    loop {
        let (_, p) = c.get(&format!(
            "/api/v1/namespaces/bulk/configmaps?limit=1000&continue={cont}"
        ));
        seen += p["items"].as_array().unwrap().len();
        match p["metadata"]["continue"].as_str() {
            Some(next) => {
                assert!(p["metadata"]["remainingItemCount"].as_u64().is_some());
                cont = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(seen, n + 1, "plus kube-root-ca.crt");
}

#[test]
fn odd_bodies_are_errors_not_crashes() {
    let (_tc, c) = start("odd");
    let odd = [
        (
            "/api/v1/namespaces/default/services",
            json!({"metadata": {"name": "s"}, "spec": {"ports": [1, "x", null]}}),
        ),
        (
            "/apis/apps/v1/namespaces/default/deployments",
            json!({"metadata": {"name": "d"}, "spec": "nope"}),
        ),
        (
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            json!({"metadata": {"name": "x.y"}, "spec": {"names": "x", "versions": 3}}),
        ),
        ("/api/v1/namespaces/default/configmaps", json!([1, 2, 3])),
        (
            "/api/v1/namespaces/default/configmaps",
            json!({"metadata": "x"}),
        ),
        (
            "/api/v1/namespaces/default/configmaps",
            json!({"metadata": {"name": "a/b"}}),
        ),
        (
            "/api/v1/namespaces/default/secrets",
            json!({"metadata": {"name": "s"}, "stringData": {"a": 1}}),
        ),
    ];
    for (path, body) in odd {
        let (code, v) = c.post(path, &body);
        assert!(code < 500, "{path} {body}: {code} {v}");
    }
    for (ct, body) in [
        ("application/merge-patch+json", json!("x")),
        ("application/json-patch+json", json!({"op": "nope"})),
        (
            "application/strategic-merge-patch+json",
            json!({"spec": {"template": {"spec": {"containers": "x"}}}}),
        ),
        (
            "application/apply-patch+yaml",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": 7}),
        ),
        ("text/plain", json!({})),
    ] {
        let (code, v) = c.patch(
            "/apis/apps/v1/namespaces/default/deployments/d?fieldManager=t",
            ct,
            &body,
        );
        assert!(code < 500, "{ct} {body}: {code} {v}");
    }
    let (code, _) = c.get("/apis/apps/v1/namespaces/default/deployments/d/scale");
    assert!(code < 500);
    let (code, _) = c.get("/api/v1/namespaces");
    assert_eq!(code, 200, "still serving");
}

#[tokio::test]
async fn starts_and_stops_inside_a_tokio_runtime() {
    let (tc, c) = start("intokio");
    let (code, v) = tokio::task::spawn_blocking(move || c.get("/api/v1/nodes"))
        .await
        .unwrap();
    assert_eq!(code, 200);
    assert_eq!(v["items"][0]["metadata"]["name"], "testcluster-node");
    let path = tc.kubeconfig_path().to_path_buf();
    assert!(path.exists());
    drop(tc);
    assert!(
        !path.exists(),
        "the temporary kubeconfig goes with the handle"
    );
}
