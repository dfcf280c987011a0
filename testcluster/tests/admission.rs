//! Validating admission webhooks: a small HTTPS webhook started here (its own CA from
//! rcgen) is registered with a ValidatingWebhookConfiguration through the API, and the
//! test server must call it the way kube-apiserver does.
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use base64::Engine as _;
use common::Kubectl;
use confgate_testcluster::{Options, TestCluster};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};

const DENY_MESSAGE: &str = "pods labelled deny=yes are not allowed here";

/// What the webhook calls back into (the `/list` path lists pods during a review).
#[derive(Clone)]
struct Api {
    port: u16,
    ca: String,
    token: String,
}

#[derive(Default)]
struct State {
    reviews: Mutex<Vec<(String, Value)>>,
    api: Mutex<Option<Api>>,
}

/// The test webhook. Paths:
/// * `/validate`: denies objects labelled `deny: "yes"` (the new object, or the old one
///   on DELETE), allows the others with the warning `test webhook saw OP NS/NAME`;
/// * `/slow`: answers "allowed" after 3 s;
/// * `/wrong-uid`: answers "allowed" with another uid;
/// * `/list`: lists the cluster's pods before it answers "allowed" (warning `listed N pods`).
struct Hook {
    port: u16,
    ca_pem: String,
    state: Arc<State>,
    _rt: tokio::runtime::Runtime,
}

impl Hook {
    fn start() -> Hook {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let ca_pem = ca_cert.pem();
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
            "hook.webhooks.svc".to_string(),
        ])
        .unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone(), ca_cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let st = state.clone();
        rt.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let st = st.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let svc = hyper::service::service_fn(move |req| {
                        let st = st.clone();
                        async move { Ok::<_, Infallible>(answer(st, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), svc)
                        .await;
                });
            }
        });
        Hook {
            port,
            ca_pem,
            state,
            _rt: rt,
        }
    }

    fn ca_bundle(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.ca_pem)
    }

    fn url(&self, path: &str) -> Value {
        json!({"url": format!("https://127.0.0.1:{}{path}", self.port), "caBundle": self.ca_bundle()})
    }

    /// The requests (`request` of each AdmissionReview) received on `path`.
    fn reviews(&self, path: &str) -> Vec<Value> {
        self.state
            .reviews
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, r)| r["request"].clone())
            .collect()
    }

    fn all_reviews(&self) -> usize {
        self.state.reviews.lock().unwrap().len()
    }
}

async fn answer(
    st: Arc<State>,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Body> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let bytes = axum::body::to_bytes(Body::new(req.into_body()), 1 << 24)
        .await
        .unwrap_or_default();
    let review: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let mut recorded = review.clone();
    recorded["request"]["testQuery"] = json!(query);
    st.reviews.lock().unwrap().push((path.clone(), recorded));
    let r = &review["request"];
    let uid = r["uid"].as_str().unwrap_or("").to_string();
    let mut response = json!({"uid": uid, "allowed": true});
    match path.as_str() {
        "/slow" => tokio::time::sleep(Duration::from_secs(3)).await,
        "/wrong-uid" => response["uid"] = json!("not-the-request-uid"),
        "/list" => {
            let api = st.api.lock().unwrap().clone();
            let n = match api {
                Some(a) => tokio::task::spawn_blocking(move || {
                    let (code, body) = common::https(
                        a.port,
                        &a.ca,
                        Some(&a.token),
                        "GET",
                        "/api/v1/namespaces/default/pods",
                        None,
                    );
                    assert_eq!(code, 200);
                    let v: Value = serde_json::from_slice(&body).unwrap();
                    v["items"].as_array().map(Vec::len).unwrap_or(0)
                })
                .await
                .unwrap_or(usize::MAX),
                None => usize::MAX,
            };
            response["warnings"] = json!([format!("listed {n} pods")]);
        }
        _ => {
            let obj = if r["operation"] == "DELETE" {
                &r["oldObject"]
            } else {
                &r["object"]
            };
            if obj["metadata"]["labels"]["deny"] == "yes" {
                response["allowed"] = json!(false);
                response["status"] = json!({"message": DENY_MESSAGE, "code": 403});
            } else {
                let ns = r["namespace"].as_str().unwrap_or("");
                let name = obj["metadata"]["name"].as_str().unwrap_or("");
                response["warnings"] = json!([format!(
                    "test webhook saw {} {ns}/{name}",
                    r["operation"].as_str().unwrap_or("")
                )]);
            }
        }
    }
    let out = json!({"apiVersion": review["apiVersion"], "kind": "AdmissionReview", "response": response});
    let mut resp = hyper::Response::new(Body::from(serde_json::to_vec(&out).unwrap()));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}

/// One webhook entry: pods, CREATE and UPDATE unless `extra` says otherwise.
fn webhook(name: &str, client: Value, extra: Value) -> Value {
    let mut w = json!({
        "name": name,
        "clientConfig": client,
        "rules": [{"operations": ["CREATE", "UPDATE"], "apiGroups": [""], "apiVersions": ["v1"],
            "resources": ["pods"], "scope": "Namespaced"}],
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "timeoutSeconds": 5,
    });
    if let (Some(w), Some(e)) = (w.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            w.insert(k.clone(), v.clone());
        }
    }
    w
}

struct Cluster {
    tc: TestCluster,
    token: String,
}

impl Cluster {
    fn start(name: &str) -> Cluster {
        Cluster::with(Options {
            name: name.into(),
            ..Default::default()
        })
    }

    fn with(opts: Options) -> Cluster {
        let name = opts.name.clone();
        let tc = TestCluster::start(opts).unwrap();
        let token = common::token_of(tc.kubeconfig_path(), &format!("{name}-admin"));
        Cluster { tc, token }
    }

    /// (status, headers, body as JSON)
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, &str)>,
    ) -> (u16, Vec<(String, String)>, Value) {
        let (code, headers, body) = common::https_full(
            self.tc.port(),
            &self.tc.ca_pem(),
            Some(&self.token),
            method,
            path,
            body,
            "application/json",
        );
        let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (code, headers, v)
    }

    fn post(&self, path: &str, obj: &Value) -> (u16, Vec<(String, String)>, Value) {
        let text = obj.to_string();
        self.call("POST", path, Some(("application/json", &text)))
    }

    fn register(&self, name: &str, hooks: Vec<Value>) {
        let cfg = json!({"apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration", "metadata": {"name": name}, "webhooks": hooks});
        let (code, _, body) = self.post(
            "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
            &cfg,
        );
        assert_eq!(code, 201, "{body}");
    }

    fn pod_exists(&self, ns: &str, name: &str) -> bool {
        self.tc.get("v1", "Pod", Some(ns), name).is_some()
    }

    fn api(&self) -> Api {
        Api {
            port: self.tc.port(),
            ca: self.tc.ca_pem(),
            token: self.token.clone(),
        }
    }
}

fn pod(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
}

fn warnings(headers: &[(String, String)]) -> Vec<String> {
    headers
        .iter()
        .filter(|(k, _)| k == "warning")
        .map(|(_, v)| v.clone())
        .collect()
}

const PODS: &str = "/api/v1/namespaces/default/pods";

#[test]
fn denied_creates_are_refused_and_allowed_ones_stored_with_warnings() {
    let hook = Hook::start();
    let c = Cluster::start("adm-create");
    c.register(
        "pods",
        vec![webhook("pods.test.dev", hook.url("/validate"), json!({}))],
    );

    let (code, headers, body) = c.post(PODS, &pod("bad", json!({"deny": "yes"})));
    assert_eq!(code, 403, "{body}");
    assert_eq!(
        body,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": format!("admission webhook \"pods.test.dev\" denied the request: {DENY_MESSAGE}"),
            "reason": "Forbidden", "code": 403})
    );
    assert!(warnings(&headers).is_empty());
    assert!(!c.pod_exists("default", "bad"));

    let reviews = hook.reviews("/validate");
    assert_eq!(reviews.len(), 1);
    let r = &reviews[0];
    assert_eq!(r["uid"].as_str().unwrap().len(), 36, "{r}");
    assert_eq!(
        r["kind"],
        json!({"group": "", "version": "v1", "kind": "Pod"})
    );
    assert_eq!(
        r["resource"],
        json!({"group": "", "version": "v1", "resource": "pods"})
    );
    assert_eq!(r["requestKind"], r["kind"]);
    assert_eq!(r["requestResource"], r["resource"]);
    assert!(r.get("subResource").is_none());
    assert_eq!(r["name"], "bad");
    assert_eq!(r["namespace"], "default");
    assert_eq!(r["operation"], "CREATE");
    assert_eq!(r["userInfo"]["username"], "adm-create-admin");
    assert_eq!(r["object"]["metadata"]["labels"]["deny"], "yes");
    assert!(r["object"]["metadata"]["uid"].is_string());
    assert!(r["oldObject"].is_null());
    assert_eq!(r["dryRun"], false);
    assert_eq!(r["options"]["kind"], "CreateOptions");
    assert_eq!(r["testQuery"], "timeout=5s");

    let (code, headers, body) = c.post(PODS, &pod("good", json!({"app": "web"})));
    assert_eq!(code, 201, "{body}");
    assert_eq!(
        warnings(&headers),
        vec!["299 - \"test webhook saw CREATE default/good\"".to_string()]
    );
    let stored = c.tc.get("v1", "Pod", Some("default"), "good").unwrap();
    let seen = &hook.reviews("/validate")[1]["object"];
    assert_eq!(stored["metadata"]["uid"], seen["metadata"]["uid"]);

    // A generated name: the webhook sees the name that is stored.
    let mut generated = pod("", json!({}));
    generated["metadata"] = json!({"generateName": "gen-"});
    let (code, _, body) = c.post(PODS, &generated);
    assert_eq!(code, 201, "{body}");
    let seen = &hook.reviews("/validate")[2];
    assert!(seen.get("name").is_none(), "{seen}");
    let seen = &seen["object"];
    assert_eq!(body["metadata"]["name"], seen["metadata"]["name"]);
    assert_eq!(body["metadata"]["uid"], seen["metadata"]["uid"]);

    // Writes to other resources are not reviewed.
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "labels": {"deny": "yes"}}});
    let (code, _, _) = c.post("/api/v1/namespaces/default/configmaps", &cm);
    assert_eq!(code, 201);
    assert_eq!(hook.all_reviews(), 3);
}

#[test]
fn updates_and_patches_are_reviewed_with_the_old_object() {
    let hook = Hook::start();
    let c = Cluster::start("adm-update");
    c.register(
        "pods",
        vec![webhook("pods.test.dev", hook.url("/validate"), json!({}))],
    );
    let (code, _, _) = c.post(PODS, &pod("p", json!({"app": "web"})));
    assert_eq!(code, 201);

    let path = format!("{PODS}/p");
    // Server-side apply that would add the label.
    let applied = pod("p", json!({"app": "web", "deny": "yes"})).to_string();
    let (code, _, body) = c.call(
        "PATCH",
        &format!("{path}?fieldManager=tester&force=true"),
        Some(("application/apply-patch+yaml", &applied)),
    );
    assert_eq!(code, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("admission webhook \"pods.test.dev\" denied the request: ")
    );
    let r = hook.reviews("/validate").last().cloned().unwrap();
    assert_eq!(r["operation"], "UPDATE");
    assert_eq!(r["oldObject"]["metadata"]["labels"], json!({"app": "web"}));
    assert_eq!(r["options"]["kind"], "UpdateOptions");
    assert_eq!(r["options"]["fieldManager"], "tester");

    // Merge patch and PUT: refused too.
    let (code, _, _) = c.call(
        "PATCH",
        &path,
        Some((
            "application/merge-patch+json",
            r#"{"metadata":{"labels":{"deny":"yes"}}}"#,
        )),
    );
    assert_eq!(code, 403);
    let mut put = c.tc.get("v1", "Pod", Some("default"), "p").unwrap();
    put["metadata"]["labels"]["deny"] = json!("yes");
    // Unconditional: the controller may bump the pod's status meanwhile.
    put["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let (code, _, _) = c.call("PUT", &path, Some(("application/json", &put.to_string())));
    assert_eq!(code, 403);
    let stored = c.tc.get("v1", "Pod", Some("default"), "p").unwrap();
    assert_eq!(stored["metadata"]["labels"], json!({"app": "web"}));

    // An allowed patch goes through, with its warning.
    let (code, headers, body) = c.call(
        "PATCH",
        &path,
        Some((
            "application/merge-patch+json",
            r#"{"metadata":{"labels":{"tier":"front"}}}"#,
        )),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        warnings(&headers),
        vec!["299 - \"test webhook saw UPDATE default/p\"".to_string()]
    );
    // Server-side apply of a new object is a CREATE.
    let (code, _, body) = c.call(
        "PATCH",
        &format!("{PODS}/fresh?fieldManager=tester"),
        Some((
            "application/apply-patch+yaml",
            &pod("fresh", json!({"deny": "yes"})).to_string(),
        )),
    );
    assert_eq!(code, 403, "{body}");
    assert_eq!(
        hook.reviews("/validate").last().unwrap()["operation"],
        "CREATE"
    );
    assert!(!c.pod_exists("default", "fresh"));

    // The status subresource is not matched by a rule for "pods".
    let n = hook.all_reviews();
    let mut st = c.tc.get("v1", "Pod", Some("default"), "p").unwrap();
    st["metadata"]["labels"]["deny"] = json!("yes");
    st["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    st["status"] = json!({"phase": "Running"});
    let (code, _, body) = c.call(
        "PUT",
        &format!("{path}/status"),
        Some(("application/json", &st.to_string())),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(hook.all_reviews(), n);
}

#[test]
fn namespace_and_object_selectors_exclude() {
    let hook = Hook::start();
    let c = Cluster::start("adm-select");
    let pods = webhook(
        "pods.test.dev",
        hook.url("/validate"),
        json!({"namespaceSelector": {"matchLabels": {"webhook": "on"}},
            "objectSelector": {"matchExpressions": [{"key": "skip", "operator": "DoesNotExist"}]}}),
    );
    let cluster_scoped = webhook(
        "cluster.test.dev",
        hook.url("/validate"),
        json!({"namespaceSelector": {"matchLabels": {"webhook": "on"}},
            "rules": [{"operations": ["CREATE"], "apiGroups": ["", "rbac.authorization.k8s.io"],
                "apiVersions": ["v1"], "resources": ["namespaces", "clusterroles"], "scope": "Cluster"}]}),
    );
    c.register("selectors", vec![pods, cluster_scoped]);
    let ns = |name: &str, labels: Value| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}});
    // A Namespace is matched by its own labels.
    let (code, _, body) = c.post(
        "/api/v1/namespaces",
        &ns("checked", json!({"webhook": "on"})),
    );
    assert_eq!(code, 201, "{body}");
    let (code, _, _) = c.post("/api/v1/namespaces", &ns("free", json!({"deny": "yes"})));
    assert_eq!(code, 201);
    let (code, _, body) = c.post(
        "/api/v1/namespaces",
        &ns("refused", json!({"deny": "yes", "webhook": "on"})),
    );
    assert_eq!(code, 403, "{body}");
    assert_eq!(
        body["message"],
        format!("admission webhook \"cluster.test.dev\" denied the request: {DENY_MESSAGE}")
    );
    assert_eq!(hook.all_reviews(), 2);

    let bad = pod("bad", json!({"deny": "yes"}));
    let (code, _, _) = c.post("/api/v1/namespaces/free/pods", &bad);
    assert_eq!(code, 201, "a namespace without webhook=on is not checked");
    let (code, _, _) = c.post("/api/v1/namespaces/checked/pods", &bad);
    assert_eq!(code, 403);
    let skipped = pod("skipped", json!({"deny": "yes", "skip": "true"}));
    let (code, _, _) = c.post("/api/v1/namespaces/checked/pods", &skipped);
    assert_eq!(code, 201, "the objectSelector excludes it");
    assert_eq!(hook.all_reviews(), 3);

    // Other cluster-scoped objects are not filtered by the namespaceSelector.
    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "r", "labels": {"deny": "yes"}}, "rules": []});
    let (code, _, body) = c.post("/apis/rbac.authorization.k8s.io/v1/clusterroles", &role);
    assert_eq!(code, 403, "{body}");
    let r = hook.reviews("/validate").last().cloned().unwrap();
    assert_eq!(r["kind"]["group"], "rbac.authorization.k8s.io");
    assert!(r.get("namespace").is_none());
}

#[test]
fn deletes_reach_the_webhook_only_when_the_rule_lists_delete() {
    let hook = Hook::start();
    let c = Cluster::start("adm-delete");
    c.tc.load_yaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: default, labels: {deny: \"yes\"}}\nspec: {containers: [{name: c, image: busybox}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: default, labels: {deny: \"yes\"}}\nspec: {containers: [{name: c, image: busybox}]}\n",
    )
    .unwrap();
    c.register(
        "pods",
        vec![webhook("pods.test.dev", hook.url("/validate"), json!({}))],
    );
    let (code, _, body) = c.call("DELETE", &format!("{PODS}/a"), None);
    assert_eq!(code, 200, "{body}");
    assert!(!c.pod_exists("default", "a"));
    assert_eq!(hook.all_reviews(), 0);

    // The configuration is changed to list DELETE (writes to it are never reviewed).
    let patch = json!({"webhooks": [webhook("pods.test.dev", hook.url("/validate"),
        json!({"rules": [{"operations": ["CREATE", "UPDATE", "DELETE"], "apiGroups": [""],
            "apiVersions": ["v1"], "resources": ["pods"]}]}))]});
    let (code, _, body) = c.call(
        "PATCH",
        "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/pods",
        Some(("application/merge-patch+json", &patch.to_string())),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(hook.all_reviews(), 0);

    let (code, _, body) = c.call(
        "DELETE",
        &format!("{PODS}/b"),
        Some((
            "application/json",
            r#"{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}"#,
        )),
    );
    assert_eq!(code, 403, "{body}");
    assert!(c.pod_exists("default", "b"));
    let r = hook.reviews("/validate").last().cloned().unwrap();
    assert_eq!(r["operation"], "DELETE");
    assert!(r["object"].is_null());
    assert_eq!(r["oldObject"]["metadata"]["name"], "b");
    assert_eq!(r["options"]["kind"], "DeleteOptions");
    assert_eq!(r["options"]["propagationPolicy"], "Background");

    // A collection delete reviews each object.
    let (code, _, body) = c.call("DELETE", &format!("{PODS}?labelSelector=deny%3Dyes"), None);
    assert_eq!(code, 403, "{body}");
    assert!(c.pod_exists("default", "b"));

    // An allowed delete goes through with its warning.
    let (code, _, _) = c.post(PODS, &pod("c", json!({})));
    assert_eq!(code, 201);
    let (code, headers, _) = c.call("DELETE", &format!("{PODS}/c"), None);
    assert_eq!(code, 200);
    assert_eq!(
        warnings(&headers),
        vec!["299 - \"test webhook saw DELETE default/c\"".to_string()]
    );
    assert!(!c.pod_exists("default", "c"));
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn failure_policy_decides_when_the_webhook_cannot_be_reached() {
    let hook = Hook::start();
    let port = closed_port();
    let c = Cluster::start("adm-unreachable");
    let client =
        json!({"url": format!("https://127.0.0.1:{port}/validate"), "caBundle": hook.ca_bundle()});
    c.register(
        "fail",
        vec![webhook(
            "fail.test.dev",
            client.clone(),
            json!({"failurePolicy": "Fail"}),
        )],
    );
    let (code, _, body) = c.post(PODS, &pod("p", json!({})));
    assert_eq!(code, 500, "{body}");
    assert_eq!(body["reason"], "InternalError");
    assert_eq!(
        body["message"],
        format!(
            "Internal error occurred: failed calling webhook \"fail.test.dev\": failed to call webhook: Post \"https://127.0.0.1:{port}/validate?timeout=5s\": dial tcp 127.0.0.1:{port}: connect: connection refused"
        )
    );
    assert!(!c.pod_exists("default", "p"));

    // failurePolicy defaults to Fail.
    let c = Cluster::start("adm-unreachable-default");
    c.register(
        "fail",
        vec![webhook("fail.test.dev", client.clone(), json!({}))],
    );
    let (code, _, _) = c.post(PODS, &pod("p", json!({})));
    assert_eq!(code, 500);

    let c = Cluster::start("adm-unreachable-ignore");
    c.register(
        "ignore",
        vec![webhook(
            "ignore.test.dev",
            client,
            json!({"failurePolicy": "Ignore"}),
        )],
    );
    let (code, _, body) = c.post(PODS, &pod("p", json!({})));
    assert_eq!(code, 201, "{body}");
    assert!(c.pod_exists("default", "p"));
}

#[test]
fn a_webhook_past_its_timeout_fails_per_policy() {
    let hook = Hook::start();
    let c = Cluster::start("adm-timeout");
    c.register(
        "slow",
        vec![webhook(
            "slow.test.dev",
            hook.url("/slow"),
            json!({"timeoutSeconds": 1, "failurePolicy": "Fail"}),
        )],
    );
    let t = Instant::now();
    let (code, _, body) = c.post(PODS, &pod("p", json!({})));
    let took = t.elapsed();
    assert_eq!(code, 500, "{body}");
    assert!(took < Duration::from_millis(2800), "{took:?}");
    let msg = body["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Internal error occurred: failed calling webhook \"slow.test.dev\": failed to call webhook: Post \"https://127.0.0.1:")
            && msg.ends_with("/slow?timeout=1s\": context deadline exceeded"),
        "{msg}"
    );
    assert!(!c.pod_exists("default", "p"));
    assert_eq!(hook.reviews("/slow")[0]["testQuery"], "timeout=1s");

    let c = Cluster::start("adm-timeout-ignore");
    c.register(
        "slow",
        vec![webhook(
            "slow.test.dev",
            hook.url("/slow"),
            json!({"timeoutSeconds": 1, "failurePolicy": "Ignore"}),
        )],
    );
    let t = Instant::now();
    let (code, _, body) = c.post(PODS, &pod("p", json!({})));
    assert_eq!(code, 201, "{body}");
    assert!(t.elapsed() < Duration::from_millis(2800));
}

#[test]
fn other_requests_go_on_while_a_webhook_works_and_it_may_call_the_server() {
    let hook = Hook::start();
    let c = Arc::new(Cluster::start("adm-concurrent"));
    *hook.state.api.lock().unwrap() = Some(c.api());
    c.register(
        "hooks",
        vec![
            webhook(
                "slow.test.dev",
                hook.url("/slow"),
                json!({"timeoutSeconds": 10}),
            ),
            webhook("list.test.dev", hook.url("/list"), json!({})),
        ],
    );
    let c2 = c.clone();
    let writer = std::thread::spawn(move || c2.post(PODS, &pod("p", json!({}))));
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    let (code, _, _) = c.call("GET", PODS, None);
    assert_eq!(code, 200);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    let (code, headers, body) = writer.join().unwrap();
    assert_eq!(code, 201, "{body}");
    assert_eq!(
        warnings(&headers),
        vec!["299 - \"listed 0 pods\"".to_string()]
    );
}

#[test]
fn dry_runs_are_reviewed_as_dry_runs_and_store_nothing() {
    let hook = Hook::start();
    let c = Cluster::start("adm-dryrun");
    c.register(
        "pods",
        vec![webhook("pods.test.dev", hook.url("/validate"), json!({}))],
    );
    let (code, headers, body) = c.post(&format!("{PODS}?dryRun=All"), &pod("p", json!({})));
    assert_eq!(code, 201, "{body}");
    assert_eq!(warnings(&headers).len(), 1);
    assert!(!c.pod_exists("default", "p"));
    let r = hook.reviews("/validate").last().cloned().unwrap();
    assert_eq!(r["dryRun"], true);
    assert_eq!(r["options"]["dryRun"], json!(["All"]));
    let (code, _, _) = c.post(
        &format!("{PODS}?dryRun=All"),
        &pod("q", json!({"deny": "yes"})),
    );
    assert_eq!(code, 403);
    assert_eq!(hook.all_reviews(), 2);

    // A webhook with side effects is never called on a dry run.
    let c = Cluster::start("adm-dryrun-side-effects");
    c.register(
        "pods",
        vec![webhook(
            "side.test.dev",
            hook.url("/validate"),
            json!({"sideEffects": "Some"}),
        )],
    );
    let (code, _, body) = c.post(&format!("{PODS}?dryRun=All"), &pod("p", json!({})));
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        body["message"],
        "admission webhook \"side.test.dev\" does not support dry run"
    );
    assert_eq!(body["reason"], "BadRequest");
    assert_eq!(hook.all_reviews(), 2);
    // ... but on a real write.
    let (code, _, _) = c.post(PODS, &pod("p", json!({})));
    assert_eq!(code, 201);
    assert_eq!(hook.all_reviews(), 3);
}

#[test]
fn wrong_uids_and_service_references() {
    let hook = Hook::start();
    let c = Cluster::start("adm-uid");
    c.register(
        "uid",
        vec![webhook("uid.test.dev", hook.url("/wrong-uid"), json!({}))],
    );
    let (code, _, body) = c.post(PODS, &pod("p", json!({})));
    assert_eq!(code, 500, "{body}");
    let msg = body["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Internal error occurred: failed calling webhook \"uid.test.dev\": received invalid webhook response: expected response.uid="),
        "{msg}"
    );

    // A service reference: dialled at the mapped address, verified for hook.webhooks.svc.
    let svc = |port: u16| {
        json!({"service": {"namespace": "webhooks", "name": "hook", "port": port, "path": "/validate"},
            "caBundle": hook.ca_bundle()})
    };
    let c = Cluster::with(Options {
        name: "adm-svc".into(),
        service_endpoints: [(
            "webhooks/hook".to_string(),
            format!("127.0.0.1:{}", hook.port),
        )]
        .into_iter()
        .collect(),
        ..Default::default()
    });
    c.register("svc", vec![webhook("svc.test.dev", svc(443), json!({}))]);
    let (code, _, body) = c.post(PODS, &pod("bad", json!({"deny": "yes"})));
    assert_eq!(code, 403, "{body}");
    let (code, headers, _) = c.post(PODS, &pod("good", json!({})));
    assert_eq!(code, 201);
    assert_eq!(warnings(&headers).len(), 1);

    // Unmapped: 127.0.0.1 at the service's port; a mapping may come later.
    let c = Cluster::start("adm-svc-port");
    c.register(
        "svc",
        vec![webhook("svc.test.dev", svc(hook.port), json!({}))],
    );
    let (code, _, body) = c.post(PODS, &pod("bad", json!({"deny": "yes"})));
    assert_eq!(code, 403, "{body}");
    let port = closed_port();
    c.tc.set_service_endpoint("webhooks", "hook", &format!("127.0.0.1:{port}"));
    let (code, _, body) = c.post(PODS, &pod("bad", json!({"deny": "yes"})));
    assert_eq!(code, 500, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains(&format!(
            "Post \"https://hook.webhooks.svc:{}/validate?timeout=5s\": dial tcp 127.0.0.1:{port}",
            hook.port
        )),
        "{body}"
    );
}

#[test]
fn kubectl_prints_denials_and_warnings() {
    let Some(bin) = common::kubectl() else {
        eprintln!("skipped: kubectl not found on PATH or at /usr/bin/kubectl");
        return;
    };
    let hook = Hook::start();
    let c = Cluster::start("adm-kubectl");
    c.register(
        "pods",
        vec![webhook("pods.test.dev", hook.url("/validate"), json!({}))],
    );
    let k = Kubectl::new(bin, c.tc.kubeconfig_path());
    let denied = "apiVersion: v1\nkind: Pod\nmetadata: {name: bad, labels: {deny: \"yes\"}}\nspec: {containers: [{name: c, image: busybox}]}\n";
    for args in [
        &["apply", "-f", "-"][..],
        &["apply", "--server-side", "-f", "-"][..],
        &["create", "-f", "-"][..],
    ] {
        let out = k.run_stdin(args, Some(denied));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "admission webhook \"pods.test.dev\" denied the request: {DENY_MESSAGE}"
            )),
            "{args:?}: {stderr}"
        );
    }
    assert!(!c.pod_exists("default", "bad"));

    let allowed = denied
        .replace("bad", "good")
        .replace("deny: \"yes\"", "app: web");
    let out = k.run_stdin(&["apply", "-f", "-"], Some(&allowed));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Warning: test webhook saw CREATE default/good"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("pod/good created"));
    assert!(c.pod_exists("default", "good"));

    let out = k.run_stdin(
        &["apply", "--server-side", "--dry-run=server", "-f", "-"],
        Some(&allowed.replace("good", "dry")),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Warning: test webhook saw CREATE default/dry"),
        "{stderr}"
    );
    assert!(!c.pod_exists("default", "dry"));
    assert_eq!(hook.reviews("/validate").last().unwrap()["dryRun"], true);
}
