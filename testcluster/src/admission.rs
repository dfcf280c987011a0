//! Validating admission webhooks, called the way kube-apiserver calls them.
//!
//! The server (server.rs) computes the object as it would be stored (a dry run of the
//! normal write path, under the store lock), asks [`select`] which webhooks of the stored
//! ValidatingWebhookConfigurations apply (still under the lock: it reads the
//! configurations and the Namespace's labels), lets go of the lock, and calls them with
//! [`dispatch`]. Only when every webhook allowed it (or failed with `failurePolicy:
//! Ignore`) is the write made for real.
//!
//! What is matched, as in kube-apiserver:
//! * `rules[]`: `operations` (CREATE, UPDATE, DELETE, `*`), `apiGroups`, `apiVersions`,
//!   `resources` (`pods`, `*`, `pods/status`, `*/scale`, `pods/*`, `*/*`) and `scope`
//!   (`*`, `Namespaced`, `Cluster`; Namespace objects are cluster-scoped);
//! * `matchPolicy`: `Equivalent` (the default) also matches a rule naming another served
//!   version of the same resource, and the webhook is then sent that version;
//! * `namespaceSelector` against the labels of the object's Namespace (for a Namespace
//!   itself: its own new labels on CREATE/UPDATE, the stored ones on DELETE); objects of
//!   other cluster-scoped resources are never filtered by it;
//! * `objectSelector` against the labels of the new object or of the old one.
//!
//! Not modelled:
//! * `matchConditions` (CEL expressions) are ignored: a webhook whose conditions would
//!   have excluded a request is called anyway (conditions can only exclude, so a test
//!   sees more calls, never fewer);
//! * writes to the admissionregistration.k8s.io resources themselves (webhook
//!   configurations and admission policies) never reach webhooks, as in kube-apiserver;
//!   neither do the testcluster's own writes (`TestCluster::load_yaml`, the controller);
//! * mutating webhooks are not called.
//!
//! Where a webhook is reached:
//! * `clientConfig.url` as given (https only);
//! * `clientConfig.service` {namespace, name, port (default 443), path}: the test server
//!   has no cluster network, so the service is dialled at the address mapped to
//!   `namespace/name` by `Options::service_endpoints` or
//!   `TestCluster::set_service_endpoint`, else at `127.0.0.1:<port>`. Its certificate is
//!   checked, as kube-apiserver does, for the name `<name>.<namespace>.svc`.
//!
//! The certificate is verified against `clientConfig.caBundle` (base64 of PEM); without
//! one, against the system roots (`SSL_CERT_FILE` or the usual bundle files).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};

use crate::registry::ResourceDef;
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{ListPage, Store};

const VWC_KEY: &str = "admissionregistration.k8s.io/validatingwebhookconfigurations";
const MAX_RESPONSE: usize = 16 * 1024 * 1024;

/// Where `clientConfig.service` references are dialled: `namespace/name` → `host:port`.
#[derive(Debug, Default)]
pub(crate) struct Endpoints(Mutex<HashMap<String, String>>);

impl Endpoints {
    pub fn new(map: HashMap<String, String>) -> Endpoints {
        Endpoints(Mutex::new(map))
    }
    pub fn set(&self, namespace: &str, name: &str, addr: &str) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.insert(format!("{namespace}/{name}"), addr.to_string());
    }
    fn get(&self, namespace: &str, name: &str) -> Option<String> {
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&format!("{namespace}/{name}")).cloned()
    }
}

/// One admission request: what is written, by whom.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// CREATE, UPDATE or DELETE.
    pub operation: &'static str,
    pub def: Arc<ResourceDef>,
    /// The version the client used.
    pub version: String,
    pub sub: Option<String>,
    pub name: String,
    /// The object's namespace (None: cluster-scoped).
    pub namespace: Option<String>,
    /// The new object (None for DELETE), as the client's version shows it.
    pub object: Option<Value>,
    /// The stored object (UPDATE, DELETE).
    pub old_object: Option<Value>,
    pub dry_run: bool,
    /// CreateOptions, UpdateOptions or DeleteOptions.
    pub options: Value,
    pub username: String,
    pub groups: Vec<String>,
}

/// A webhook that matched a request.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub name: String,
    hook: Value,
    /// The version of the resource that the webhook's rules matched (the one it is sent).
    version: String,
    /// A configuration error found while matching (an unparsable selector): the call
    /// fails without being made, and `failurePolicy` decides.
    broken: Option<String>,
}

/// What the webhooks said.
#[derive(Debug, Default)]
pub(crate) struct Verdict {
    /// `warnings[]` of every webhook, in order, each once.
    pub warnings: Vec<String>,
    /// The refusal (status code and Status object), if any.
    pub refusal: Option<(u16, Value)>,
}

/// Whether writes to this resource could reach a webhook at all (cheap: no
/// configuration stored means none).
pub(crate) fn may_apply(st: &Store, def: &ResourceDef) -> bool {
    if exempt(def) {
        return false;
    }
    let Some(vdef) = st.registry.defs.get(VWC_KEY) else {
        return false;
    };
    !configurations(st, vdef).is_empty()
}

fn exempt(def: &ResourceDef) -> bool {
    def.group == "admissionregistration.k8s.io" || def.create_only
}

fn configurations(st: &Store, vdef: &ResourceDef) -> Vec<Arc<Value>> {
    let ListPage::Page { items, .. } = st.list(
        vdef,
        None,
        &LabelSelector::default(),
        &FieldSelector::default(),
        None,
        None,
    );
    items
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn rule_matches(rule: &Value, req: &Request, version: &str) -> bool {
    let has = |field: &str, x: &str| {
        strings(rule.get(field))
            .iter()
            .any(|s| *s == "*" || *s == x)
    };
    if !has("operations", req.operation)
        || !has("apiGroups", &req.def.group)
        || !has("apiVersions", version)
    {
        return false;
    }
    let sub = req.sub.as_deref().unwrap_or("");
    let res_ok = strings(rule.get("resources")).iter().any(|r| {
        let (rr, rs) = r.split_once('/').unwrap_or((r, ""));
        (rr == "*" || rr == req.def.plural) && (rs == "*" || rs == sub)
    });
    let scope_ok = match rule.get("scope").and_then(Value::as_str) {
        None | Some("*") => true,
        Some("Namespaced") => req.def.namespaced,
        Some("Cluster") => !req.def.namespaced,
        Some(_) => false,
    };
    res_ok && scope_ok
}

fn labels(obj: Option<&Value>) -> Option<&Map<String, Value>> {
    obj?.pointer("/metadata/labels")?.as_object()
}

fn is_namespace(def: &ResourceDef) -> bool {
    def.group.is_empty() && def.kind == "Namespace"
}

/// The webhooks of the stored configurations that `req` reaches (configurations by name,
/// webhooks in their order). Call under the store lock.
pub(crate) fn select(st: &Store, req: &Request) -> Vec<Call> {
    if exempt(&req.def) {
        return vec![];
    }
    let Some(vdef) = st.registry.defs.get(VWC_KEY) else {
        return vec![];
    };
    let ns_labels: Option<Map<String, Value>> = if is_namespace(&req.def) {
        let own = if req.operation == "DELETE" {
            req.old_object.as_ref()
        } else {
            req.object.as_ref()
        };
        Some(labels(own).cloned().unwrap_or_default())
    } else if let Some(ns) = &req.namespace {
        let nsdef = st.registry.defs.get("/namespaces");
        let nsobj = nsdef.and_then(|d| st.get(d, None, ns));
        Some(labels(nsobj.as_deref()).cloned().unwrap_or_default())
    } else {
        None
    };
    let mut out = vec![];
    for cfg in configurations(st, vdef) {
        let Some(hooks) = cfg.get("webhooks").and_then(Value::as_array) else {
            continue;
        };
        for hook in hooks {
            let name = hook
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let rules = hook
                .get("rules")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let matched = |v: &str| rules.iter().any(|r| rule_matches(r, req, v));
            let version = if matched(&req.version) {
                req.version.clone()
            } else if hook.get("matchPolicy").and_then(Value::as_str) == Some("Exact") {
                continue;
            } else {
                match req.def.versions.iter().find(|v| matched(v)) {
                    Some(v) => v.clone(),
                    None => continue,
                }
            };
            let mut broken = None;
            if let Some(nl) = &ns_labels {
                match LabelSelector::from_json(
                    hook.get("namespaceSelector").unwrap_or(&Value::Null),
                ) {
                    Ok(sel) if sel.matches(Some(nl)) => {}
                    Ok(_) => continue,
                    Err(e) => broken = Some(format!("namespaceSelector: {e}")),
                }
            }
            match LabelSelector::from_json(hook.get("objectSelector").unwrap_or(&Value::Null)) {
                Ok(sel) if sel.is_empty() => {}
                Ok(sel) => {
                    let hit = |o: Option<&Value>| o.is_some() && sel.matches(labels(o));
                    if !hit(req.object.as_ref()) && !hit(req.old_object.as_ref()) {
                        continue;
                    }
                }
                Err(e) => broken = broken.or(Some(format!("objectSelector: {e}"))),
            }
            out.push(Call {
                name,
                hook: hook.clone(),
                version,
                broken,
            });
        }
    }
    out
}

fn uuid() -> String {
    let h = crate::tls::random_hex(16);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The object as `version` of its resource shows it (all versions share one schema here).
fn as_version(obj: &Option<Value>, def: &ResourceDef, sub: Option<&str>, version: &str) -> Value {
    match obj {
        None => Value::Null,
        Some(o) => {
            let mut o = o.clone();
            if sub != Some("scale") && o.is_object() {
                o["apiVersion"] = json!(def.api_version(version));
            }
            o
        }
    }
}

fn review(req: &Request, call: &Call, uid: &str, api_version: &str) -> Value {
    let def = &req.def;
    let (kind_group, kind_version, kind) = if req.sub.as_deref() == Some("scale") {
        ("autoscaling".to_string(), "v1".to_string(), "Scale")
    } else {
        (def.group.clone(), call.version.clone(), def.kind.as_str())
    };
    let (rk_group, rk_version) = if req.sub.as_deref() == Some("scale") {
        ("autoscaling".to_string(), "v1".to_string())
    } else {
        (def.group.clone(), req.version.clone())
    };
    let mut r = json!({
        "uid": uid,
        "kind": {"group": kind_group, "version": kind_version, "kind": kind},
        "resource": {"group": def.group, "version": call.version, "resource": def.plural},
        "requestKind": {"group": rk_group, "version": rk_version, "kind": kind},
        "requestResource": {"group": def.group, "version": req.version, "resource": def.plural},
        "operation": req.operation,
        "userInfo": {"username": req.username, "groups": req.groups},
        "object": as_version(&req.object, def, req.sub.as_deref(), &call.version),
        "oldObject": as_version(&req.old_object, def, req.sub.as_deref(), &call.version),
        "dryRun": req.dry_run,
        "options": req.options,
    });
    if !req.name.is_empty() {
        r["name"] = json!(req.name);
    }
    // kube-apiserver: a Namespace's own namespace is its name, except on CREATE.
    let ns = if is_namespace(def) && req.operation != "CREATE" {
        Some(req.name.clone())
    } else {
        req.namespace.clone()
    };
    if let Some(ns) = ns.filter(|n| !n.is_empty()) {
        r["namespace"] = json!(ns);
    }
    if let Some(s) = &req.sub {
        r["subResource"] = json!(s);
        r["requestSubResource"] = json!(s);
    }
    json!({"apiVersion": api_version, "kind": "AdmissionReview", "request": r})
}

enum Outcome {
    Allowed(Vec<String>),
    Denied(Vec<String>, u16, Value),
    /// A failed call: the cause (`failurePolicy` decides).
    Failed(String),
    /// Refused outright (no dry-run support): code, Status.
    Refused(u16, Value),
}

fn status(code: u16, reason: &str, message: String) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code})
}

/// Calls every webhook (at once, as kube-apiserver does) and folds their answers: the
/// first refusal in configuration order wins; warnings of all are kept.
pub(crate) async fn dispatch(endpoints: &Endpoints, calls: Vec<Call>, req: &Request) -> Verdict {
    let futs = calls.iter().map(|c| one(endpoints, c, req));
    let outcomes = futures::future::join_all(futs).await;
    let mut v = Verdict::default();
    let add = |ws: Vec<String>, v: &mut Verdict| {
        for w in ws {
            if !v.warnings.contains(&w) {
                v.warnings.push(w);
            }
        }
    };
    for (call, o) in calls.iter().zip(outcomes) {
        match o {
            Outcome::Allowed(ws) => add(ws, &mut v),
            Outcome::Denied(ws, code, st) => {
                add(ws, &mut v);
                if v.refusal.is_none() {
                    v.refusal = Some((code, st));
                }
            }
            Outcome::Refused(code, st) => {
                if v.refusal.is_none() {
                    v.refusal = Some((code, st));
                }
            }
            Outcome::Failed(cause) => {
                let ignore =
                    call.hook.get("failurePolicy").and_then(Value::as_str) == Some("Ignore");
                if ignore || v.refusal.is_some() {
                    continue;
                }
                let msg = format!("failed calling webhook \"{}\": {cause}", call.name);
                let mut st = status(
                    500,
                    "InternalError",
                    format!("Internal error occurred: {msg}"),
                );
                st["details"] = json!({"causes": [{"message": msg}]});
                v.refusal = Some((500, st));
            }
        }
    }
    v
}

async fn one(endpoints: &Endpoints, call: &Call, req: &Request) -> Outcome {
    if req.dry_run {
        let se = call.hook.get("sideEffects").and_then(Value::as_str);
        if !matches!(se, Some("None" | "NoneOnDryRun")) {
            return Outcome::Refused(
                400,
                status(
                    400,
                    "BadRequest",
                    format!(
                        "admission webhook \"{}\" does not support dry run",
                        call.name
                    ),
                ),
            );
        }
    }
    if let Some(b) = &call.broken {
        return Outcome::Failed(b.clone());
    }
    let versions = strings(call.hook.get("admissionReviewVersions"));
    let api_version = if versions.is_empty() || versions.contains(&"v1") {
        "admission.k8s.io/v1"
    } else if versions.contains(&"v1beta1") {
        "admission.k8s.io/v1beta1"
    } else {
        return Outcome::Failed(format!(
            "webhook does not accept known AdmissionReview versions {versions:?}: supported versions are [\"v1\", \"v1beta1\"]"
        ));
    };
    let timeout = call
        .hook
        .get("timeoutSeconds")
        .and_then(Value::as_u64)
        .filter(|t| *t > 0)
        .unwrap_or(10);
    let target = match Target::of(endpoints, call.hook.get("clientConfig"), timeout) {
        Ok(t) => t,
        Err(e) => return Outcome::Failed(e),
    };
    let uid = uuid();
    let body = review(req, call, &uid, api_version);
    let sent = tokio::time::timeout(Duration::from_secs(timeout), post(&target, &body)).await;
    let answer = match sent {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => {
            return Outcome::Failed(format!(
                "failed to call webhook: Post \"{}\": {e}",
                target.url
            ));
        }
        Err(_) => {
            return Outcome::Failed(format!(
                "failed to call webhook: Post \"{}\": context deadline exceeded",
                target.url
            ));
        }
    };
    let invalid = |m: String| Outcome::Failed(format!("received invalid webhook response: {m}"));
    let got_av = answer
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let got_kind = answer.get("kind").and_then(Value::as_str).unwrap_or("");
    if got_av != api_version || got_kind != "AdmissionReview" {
        return invalid(format!(
            "expected webhook response of {api_version}, Kind=AdmissionReview, got {got_av}, Kind={got_kind}"
        ));
    }
    let Some(resp) = answer.get("response").filter(|r| r.is_object()) else {
        return invalid("webhook response was absent".into());
    };
    let got_uid = resp.get("uid").and_then(Value::as_str).unwrap_or("");
    if got_uid != uid {
        return invalid(format!("expected response.uid={uid:?}, got {got_uid:?}"));
    }
    let warnings: Vec<String> = strings(resp.get("warnings"))
        .into_iter()
        .map(str::to_string)
        .collect();
    if resp.get("allowed").and_then(Value::as_bool) == Some(true) {
        return Outcome::Allowed(warnings);
    }
    let (code, st) = denial(&call.name, resp.get("status"));
    Outcome::Denied(warnings, code, st)
}

/// kube-apiserver's Status for a webhook's refusal.
fn denial(webhook: &str, result: Option<&Value>) -> (u16, Value) {
    let result = result.filter(|r| r.is_object());
    let get = |k: &str| {
        result
            .and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let code = result
        .and_then(|r| r.get("code"))
        .and_then(Value::as_u64)
        .filter(|c| (400..600).contains(c))
        .unwrap_or(403) as u16;
    let denied_by = format!("admission webhook \"{webhook}\" denied the request");
    let message = match (get("message"), get("reason")) {
        (m, _) if !m.is_empty() => format!("{denied_by}: {m}"),
        (_, r) if !r.is_empty() => format!("{denied_by}: {r}"),
        _ => format!("{denied_by} without explanation"),
    };
    let reason = match get("reason") {
        "" => "Forbidden",
        r => r,
    };
    let mut st = status(code, reason, message);
    if let Some(d) = result
        .and_then(|r| r.get("details"))
        .filter(|d| d.is_object())
    {
        st["details"] = d.clone();
    }
    (code, st)
}

/// Where and how a webhook is called.
struct Target {
    /// `host:port` to dial.
    addr: String,
    /// The TLS server name to verify.
    server_name: String,
    /// The Host header.
    host: String,
    /// Path and query.
    path: String,
    /// What messages call it (kube-apiserver's form).
    url: String,
    roots: rustls::RootCertStore,
}

impl Target {
    fn of(endpoints: &Endpoints, cc: Option<&Value>, timeout: u64) -> Result<Target, String> {
        let cc = cc.unwrap_or(&Value::Null);
        let with_timeout = |p: &str| {
            let sep = if p.contains('?') { '&' } else { '?' };
            format!("{p}{sep}timeout={timeout}s")
        };
        let roots = roots(cc.get("caBundle").and_then(Value::as_str))?;
        if let Some(url) = cc.get("url").and_then(Value::as_str) {
            let uri: hyper::Uri = url
                .parse()
                .map_err(|e| format!("invalid clientConfig.url {url:?}: {e}"))?;
            if uri.scheme_str() != Some("https") {
                return Err(format!(
                    "invalid clientConfig.url {url:?}: the scheme must be https"
                ));
            }
            let host = uri
                .host()
                .ok_or_else(|| format!("invalid clientConfig.url {url:?}: no host"))?;
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let port = uri.port_u16().unwrap_or(443);
            let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let path = with_timeout(if pq.is_empty() { "/" } else { pq });
            let authority = uri.authority().map(|a| a.as_str()).unwrap_or(host);
            return Ok(Target {
                addr: format!("{host}:{port}"),
                server_name: bare.to_string(),
                host: authority.to_string(),
                url: format!("https://{authority}{path}"),
                path,
                roots,
            });
        }
        if let Some(svc) = cc.get("service").filter(|s| s.is_object()) {
            let g = |k: &str| svc.get(k).and_then(Value::as_str).unwrap_or("");
            let (ns, name) = (g("namespace"), g("name"));
            if ns.is_empty() || name.is_empty() {
                return Err("clientConfig.service needs a namespace and a name".into());
            }
            let port = svc.get("port").and_then(Value::as_u64).unwrap_or(443);
            let p = match g("path") {
                "" => "/",
                p => p,
            };
            let path = with_timeout(p);
            let host = format!("{name}.{ns}.svc");
            let addr = endpoints
                .get(ns, name)
                .unwrap_or_else(|| format!("127.0.0.1:{port}"));
            let shown_host = if port == 443 {
                host.clone()
            } else {
                format!("{host}:{port}")
            };
            return Ok(Target {
                addr,
                url: format!("https://{shown_host}{path}"),
                server_name: host,
                host: shown_host,
                path,
                roots,
            });
        }
        Err("clientConfig has neither url nor service".into())
    }
}

fn roots(ca_bundle: Option<&str>) -> Result<rustls::RootCertStore, String> {
    use base64::Engine as _;
    use rustls::pki_types::{CertificateDer, pem::PemObject as _};
    let mut roots = rustls::RootCertStore::empty();
    let pem: Vec<u8> = match ca_bundle.filter(|s| !s.trim().is_empty()) {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| format!("clientConfig.caBundle is not base64: {e}"))?,
        None => system_bundle(),
    };
    for c in CertificateDer::pem_slice_iter(&pem) {
        let c =
            c.map_err(|e| format!("clientConfig.caBundle: unable to load root certificates: {e}"))?;
        roots
            .add(c)
            .map_err(|e| format!("clientConfig.caBundle: unable to load root certificates: {e}"))?;
    }
    if ca_bundle.is_some_and(|s| !s.trim().is_empty()) && roots.is_empty() {
        return Err(
            "clientConfig.caBundle: unable to load root certificates: no certificates found".into(),
        );
    }
    Ok(roots)
}

fn system_bundle() -> Vec<u8> {
    let mut paths: Vec<std::path::PathBuf> = vec![];
    if let Some(p) = std::env::var_os("SSL_CERT_FILE") {
        paths.push(p.into());
    }
    for p in [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
    ] {
        paths.push(p.into());
    }
    paths
        .iter()
        .find_map(|p| std::fs::read(p).ok())
        .unwrap_or_default()
}

/// POSTs the review over HTTPS (HTTP/1.1) and returns the decoded answer; errors are
/// worded like Go's so messages look like kube-apiserver's.
async fn post(t: &Target, review: &Value) -> Result<Value, String> {
    use rustls::pki_types::ServerName;
    let tcp = tokio::net::TcpStream::connect(&t.addr).await.map_err(|e| {
        let cause = match e.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            _ => e.to_string(),
        };
        format!("dial tcp {}: connect: {cause}", t.addr)
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls: {e}"))?
        .with_root_certificates(t.roots.clone())
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = ServerName::try_from(t.server_name.clone())
        .map_err(|e| format!("tls: invalid server name {:?}: {e}", t.server_name))?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("tls: failed to verify certificate: {e}"))?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let body = serde_json::to_vec(review).unwrap_or_default();
    let request = hyper::Request::post(t.path.as_str())
        .header(hyper::header::HOST, t.host.as_str())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::ACCEPT, "application/json, */*")
        .header(hyper::header::USER_AGENT, "kube-apiserver-admission")
        .body(Body::from(body))
        .map_err(|e| e.to_string())?;
    let result = async {
        let resp = send.send_request(request).await.map_err(|e| e.to_string())?;
        let code = resp.status().as_u16();
        let bytes = axum::body::to_bytes(Body::new(resp.into_body()), MAX_RESPONSE)
            .await
            .map_err(|e| format!("reading the response: {e}"))?;
        if !(200..300).contains(&code) {
            if let Ok(s) = serde_json::from_slice::<Value>(&bytes)
                && s.get("kind").and_then(Value::as_str) == Some("Status")
                && let Some(m) = s.get("message").and_then(Value::as_str)
            {
                return Err(m.to_string());
            }
            return Err(format!(
                "the server responded with the status code {code} but did not return more information"
            ));
        }
        serde_json::from_slice::<Value>(&bytes)
            .map_err(|e| format!("the response is not an AdmissionReview in JSON: {e}"))
    }
    .await;
    driver.abort();
    result
}

/// The `Warning` header value kube-apiserver sends for one warning text.
pub(crate) fn warning_header(text: &str) -> Vec<u8> {
    let mut s = String::from("299 - \"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                s.push('\\');
                s.push(c);
            }
            c if c.is_control() => s.push(' '),
            c => s.push(c),
        }
    }
    s.push('"');
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(op: &'static str, plural: &str, namespaced: bool, sub: Option<&str>) -> Request {
        let def = ResourceDef {
            group: "apps".into(),
            versions: vec!["v1".into(), "v1beta1".into()],
            plural: plural.into(),
            singular: String::new(),
            kind: "Deployment".into(),
            list_kind: "DeploymentList".into(),
            namespaced,
            short_names: vec![],
            categories: vec![],
            status: true,
            scale: true,
            create_only: false,
            crd: None,
            printer_columns: vec![],
        };
        Request {
            operation: op,
            def: Arc::new(def),
            version: "v1".into(),
            sub: sub.map(str::to_string),
            name: "x".into(),
            namespace: namespaced.then(|| "default".to_string()),
            object: None,
            old_object: None,
            dry_run: false,
            options: json!({}),
            username: "u".into(),
            groups: vec![],
        }
    }

    #[test]
    fn rules_match_like_kube_apiserver() {
        let r = |ops: &[&str], res: &[&str], scope: &str| {
            json!({"operations": ops, "apiGroups": ["apps"], "apiVersions": ["v1"],
                "resources": res, "scope": scope})
        };
        let create = req("CREATE", "deployments", true, None);
        assert!(rule_matches(
            &r(&["CREATE"], &["deployments"], "*"),
            &create,
            "v1"
        ));
        assert!(rule_matches(
            &r(&["*"], &["*"], "Namespaced"),
            &create,
            "v1"
        ));
        assert!(!rule_matches(&r(&["*"], &["*"], "Cluster"), &create, "v1"));
        assert!(!rule_matches(&r(&["UPDATE"], &["*"], "*"), &create, "v1"));
        assert!(!rule_matches(&r(&["*"], &["*"], "*"), &create, "v1beta1"));
        assert!(rule_matches(
            &r(&["*"], &["deployments/*"], "*"),
            &create,
            "v1"
        ));
        let status = req("UPDATE", "deployments", true, Some("status"));
        assert!(!rule_matches(&r(&["*"], &["*"], "*"), &status, "v1"));
        assert!(!rule_matches(
            &r(&["*"], &["deployments"], "*"),
            &status,
            "v1"
        ));
        assert!(rule_matches(&r(&["*"], &["*/status"], "*"), &status, "v1"));
        assert!(rule_matches(
            &r(&["*"], &["deployments/status"], "*"),
            &status,
            "v1"
        ));
        assert!(rule_matches(&r(&["*"], &["*/*"], "*"), &status, "v1"));
        assert!(!rule_matches(&r(&["*"], &["*/scale"], "*"), &status, "v1"));
    }

    #[test]
    fn denials_read_like_kube_apiserver() {
        let (code, st) = denial("a.b", Some(&json!({"message": "no", "code": 422})));
        assert_eq!(code, 422);
        assert_eq!(
            st["message"],
            "admission webhook \"a.b\" denied the request: no"
        );
        assert_eq!(st["reason"], "Forbidden");
        let (code, st) = denial("a.b", None);
        assert_eq!(code, 403);
        assert_eq!(
            st["message"],
            "admission webhook \"a.b\" denied the request without explanation"
        );
        let (_, st) = denial("a.b", Some(&json!({"reason": "Nope", "code": 200})));
        assert_eq!(
            st["message"],
            "admission webhook \"a.b\" denied the request: Nope"
        );
        assert_eq!(st["reason"], "Nope");
        assert_eq!(st["code"], 403);
    }

    #[test]
    fn warning_headers_are_quoted() {
        assert_eq!(
            warning_header("say \"hi\"\\\n"),
            b"299 - \"say \\\"hi\\\"\\\\ \"".to_vec()
        );
    }

    #[test]
    fn service_targets_resolve_to_loopback_or_the_mapped_address() {
        let eps = Endpoints::default();
        let cc =
            json!({"service": {"namespace": "ns", "name": "hook", "path": "/v", "port": 8443}});
        let t = Target::of(&eps, Some(&cc), 5).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(t.addr, "127.0.0.1:8443");
        assert_eq!(t.server_name, "hook.ns.svc");
        assert_eq!(t.url, "https://hook.ns.svc:8443/v?timeout=5s");
        eps.set("ns", "hook", "127.0.0.1:9999");
        let t = Target::of(&eps, Some(&cc), 5).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(t.addr, "127.0.0.1:9999");
        let cc = json!({"url": "https://127.0.0.1:7000/check?a=b"});
        let t = Target::of(&eps, Some(&cc), 10).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(t.addr, "127.0.0.1:7000");
        assert_eq!(t.server_name, "127.0.0.1");
        assert_eq!(t.path, "/check?a=b&timeout=10s");
        let cc = json!({"url": "http://127.0.0.1:7000/"});
        assert!(Target::of(&eps, Some(&cc), 10).is_err());
    }
}
