//! HTTPS serving, authentication, authorization and the REST API.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::faults::Action;
use crate::registry::ResourceDef;
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{
    ApiError, ListPage, Store, WatchEvent, WriteCtx, decode_continue, details, meta_str, now_str,
};
use crate::{Identity, Shared, admission, apply, openapi, table};

const MAX_BODY: usize = 64 * 1024 * 1024;

pub async fn serve(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    shared: Arc<Shared>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let (tcp, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(_) => continue,
            },
            _ = shutdown.changed() => return,
        };
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let Ok(Ok(tls)) =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
            else {
                return;
            };
            let peer = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .filter(|c| c.as_ref() == shared.cert_der.as_slice())
                .map(|_| shared.cert_identity.clone());
            let svc = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                let peer = peer.clone();
                async move {
                    use futures::FutureExt as _;
                    let resp = std::panic::AssertUnwindSafe(handle(shared, peer, req))
                        .catch_unwind()
                        .await
                        .unwrap_or_else(|_| {
                            error(ApiError::new(
                                500,
                                "InternalError",
                                "testcluster: the request handler panicked (a bug in the test server)",
                            ))
                        });
                    Ok::<_, Infallible>(resp)
                }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection(TokioIo::new(tls), svc);
            tokio::select! {
                _ = conn => {}
                _ = conn_shutdown.changed() => {}
            }
        });
    }
}

fn json_response(code: u16, v: &Value) -> Response<Body> {
    let body = serde_json::to_vec(v).unwrap_or_default();
    bytes_response(code, body, "application/json")
}

fn bytes_response(code: u16, body: Vec<u8>, ctype: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = header::HeaderValue::from_str(ctype) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut().insert(
        "audit-id",
        header::HeaderValue::from_static("00000000-0000-0000-0000-000000000000"),
    );
    r
}

fn error(e: ApiError) -> Response<Body> {
    json_response(e.code, &e.to_status())
}

fn reason_for(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Expired",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    }
}

fn not_found_path() -> ApiError {
    ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
    .with_details(json!({}))
}

fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in q.unwrap_or("").split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let dec = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .to_string()
        };
        out.insert(dec(k), dec(v));
    }
    out
}

fn truthy(q: &HashMap<String, String>, k: &str) -> bool {
    q.get(k)
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | ""))
}

struct Req {
    method: Method,
    path: String,
    query: HashMap<String, String>,
    accept: String,
    content_type: String,
    user_agent: String,
    ident: Arc<Identity>,
    body: Bytes,
}

pub async fn handle(
    shared: Arc<Shared>,
    peer: Option<Arc<Identity>>,
    req: Request<hyper::body::Incoming>,
) -> Response<Body> {
    let path = req.uri().path().to_string();
    if let Ok(mut c) = shared.counts.lock() {
        *c.entry(path.clone()).or_insert(0) += 1;
    }
    match shared.faults.take(req.method().as_str(), &path) {
        Some(Action::Fail(code)) => {
            let shown_method = req.method().clone();
            // The body is read first, as kube-apiserver does: answering before a large
            // request body is read leaves the client writing into a connection that is
            // torn down, and the client's next request on it fails (a flake, not a fault).
            let _ = axum::body::to_bytes(Body::new(req.into_body()), MAX_BODY).await;
            return error(ApiError::new(
                code,
                reason_for(code),
                format!("testcluster: injected fault ({code}) for {shown_method} {path}"),
            ));
        }
        Some(Action::Delay(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    let hdr = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let auth = hdr(header::AUTHORIZATION);
    let ident = if let Some(tok) = auth.strip_prefix("Bearer ").map(str::trim) {
        shared.tokens.get(tok).cloned()
    } else if !auth.is_empty() {
        None
    } else {
        peer
    };
    let Some(ident) = ident else {
        return error(ApiError::new(401, "Unauthorized", "Unauthorized"));
    };
    let accept = hdr(header::ACCEPT);
    let content_type = hdr(header::CONTENT_TYPE);
    let user_agent = hdr(header::USER_AGENT);
    let method = req.method().clone();
    let query = parse_query(req.uri().query());
    let body = match axum::body::to_bytes(Body::new(req.into_body()), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return error(ApiError::bad_request(
                "request body too large or unreadable",
            ));
        }
    };
    let r = Req {
        method,
        path,
        query,
        accept,
        content_type,
        user_agent,
        ident,
        body,
    };
    route(&shared, r).await
}

async fn route(shared: &Arc<Shared>, r: Req) -> Response<Body> {
    // A write that webhooks may see is made in steps, without holding the store lock
    // while they are called; route_locked only says so.
    let mut admit = None;
    let resp = route_locked(shared, &r, &mut admit);
    match admit {
        None => resp,
        Some((ctx, "deletecollection")) => admitted_delete_collection(shared, &r, &ctx).await,
        Some((ctx, verb)) => admitted(shared, &r, &ctx, verb).await,
    }
}

fn route_locked(
    shared: &Arc<Shared>,
    r: &Req,
    admit: &mut Option<(Ctx, &'static str)>,
) -> Response<Body> {
    let path = r.path.trim_end_matches('/').to_string();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let get = r.method == Method::GET;
    match segs.as_slice() {
        ["version"] if get => {
            return json_response(
                200,
                &json!({
                    "major": "1", "minor": "37", "emulationMajor": "1", "emulationMinor": "37",
                    "minCompatibilityMajor": "1", "minCompatibilityMinor": "36",
                    "gitVersion": "v1.37.0", "gitCommit": "0000000000000000000000000000000000000000",
                    "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
                    "goVersion": "go1.25.0", "compiler": "gc", "platform": "linux/amd64"
                }),
            );
        }
        ["healthz"] | ["livez"] | ["readyz"] if get => {
            return bytes_response(200, b"ok".to_vec(), "text/plain; charset=utf-8");
        }
        _ => {}
    }
    let st = shared.lock_store();
    let port = shared.port.load(std::sync::atomic::Ordering::Relaxed);
    match segs.as_slice() {
        ["api" | "apis"] if get && r.accept.contains("as=APIGroupDiscoveryList") => {
            let core = segs[0] == "api";
            let v2 = r.accept.contains("v=v2;")
                || r.accept.contains("v=v2,")
                || r.accept.ends_with("v=v2");
            let v2 = v2 || !r.accept.contains("v=v2beta1");
            let version = if v2 { "v2" } else { "v2beta1" };
            let body = st.registry.aggregated(core, version);
            return bytes_response(
                200,
                serde_json::to_vec(&body).unwrap_or_default(),
                &format!(
                    "application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"
                ),
            );
        }
        ["api"] if get => return json_response(200, &st.registry.api_versions(port)),
        ["apis"] if get => return json_response(200, &st.registry.api_group_list()),
        ["api", v] if get => {
            return match st.registry.resource_list("", v) {
                Some(l) => json_response(200, &l),
                None => error(not_found_path()),
            };
        }
        ["apis", g] if get => {
            return match st.registry.api_group(g) {
                Some(l) => json_response(200, &l),
                None => error(not_found_path()),
            };
        }
        ["apis", g, v] if get => {
            return match st.registry.resource_list(g, v) {
                Some(l) => json_response(200, &l),
                None => error(not_found_path()),
            };
        }
        ["openapi", "v2"] if get => {
            // An empty document: clients that validate against it find no schema and skip.
            return if r.accept.contains("protobuf") {
                bytes_response(
                    200,
                    vec![],
                    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
                )
            } else {
                json_response(
                    200,
                    &json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.37.0"}, "paths": {}, "definitions": {}}),
                )
            };
        }
        ["openapi", "v3"] if get => return json_response(200, &openapi::root(&st.registry)),
        ["openapi", "v3", "api", v] if get => {
            return match openapi::gv_doc(&st.registry, "", v) {
                Some(d) => json_response(200, &d),
                None => error(not_found_path()),
            };
        }
        ["openapi", "v3", "apis", g, v] if get => {
            return match openapi::gv_doc(&st.registry, g, v) {
                Some(d) => json_response(200, &d),
                None => error(not_found_path()),
            };
        }
        _ => {}
    }
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["api", v, rest @ ..] if !rest.is_empty() => ("", v, rest),
        ["apis", g, v, rest @ ..] if !rest.is_empty() => (g, v, rest),
        _ => return error(not_found_path()),
    };
    let (ns, rest): (Option<&str>, &[&str]) = match rest {
        ["namespaces", _, "status" | "finalize"] if group.is_empty() => (None, rest),
        ["namespaces", n, more @ ..] if !more.is_empty() => (Some(n), more),
        _ => (None, rest),
    };
    let (plural, name, sub) = match rest {
        [p] => (*p, None, None),
        [p, n] => (*p, Some(*n), None),
        [p, n, s] => (*p, Some(*n), Some(*s)),
        _ => return error(not_found_path()),
    };
    let Some(def) = st.registry.find(group, version, plural) else {
        return error(not_found_path());
    };
    if (!def.namespaced && ns.is_some()) || (def.namespaced && ns.is_none() && name.is_some()) {
        return error(not_found_path());
    }
    if let Some(s) = sub {
        let ok = (s == "status" && def.status)
            || (s == "scale" && def.scale)
            || (s == "finalize" && def.kind == "Namespace")
            || (s == "log" && def.kind == "Pod" && def.group.is_empty());
        if !ok {
            return error(not_found_path());
        }
    }
    let watch = truthy(&r.query, "watch") && r.query.contains_key("watch");
    let verb = match (&r.method, name) {
        (&Method::GET, Some(_)) => "get",
        (&Method::GET, None) if watch => "watch",
        (&Method::GET, None) => "list",
        (&Method::POST, None) => "create",
        (&Method::PUT, Some(_)) => "update",
        (&Method::PATCH, Some(_)) => "patch",
        (&Method::DELETE, Some(_)) => "delete",
        (&Method::DELETE, None) => "deletecollection",
        _ => {
            return error(ApiError::new(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            ));
        }
    };
    if def.create_only && verb != "create" {
        return error(ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        ));
    }
    let resource = match sub {
        Some(s) => format!("{}/{s}", def.plural),
        None => def.plural.clone(),
    };
    if !r.ident.allows(verb, &def.group, &resource, ns) {
        return error(forbidden(&r.ident, verb, &def, &resource, ns, name));
    }
    let ctx = Ctx {
        def: def.clone(),
        version: version.to_string(),
        ns: ns.map(str::to_string),
        name: name.map(str::to_string),
        sub: sub.map(str::to_string),
    };
    if def.create_only {
        drop(st);
        return review(r, &ctx);
    }
    if verb == "watch" {
        return watch_response(shared, st, r, &ctx);
    }
    if ctx.sub.as_deref() == Some("log") {
        return pod_log(&st, r, &ctx);
    }
    let mut st = st;
    match verb {
        "get" => do_get(&st, r, &ctx),
        "list" => do_list(st, r, &ctx),
        _ if admission::may_apply(&st, &ctx.def) => {
            // Finished by `route` (admitted*), after this lock is let go; the response
            // here is never sent.
            *admit = Some((ctx, verb));
            bytes_response(500, vec![], "text/plain")
        }
        "deletecollection" => do_delete_collection(&mut st, r, &ctx),
        _ => {
            let wctx = match request_ctx(r, verb) {
                Ok(w) => w,
                Err(e) => return error(e),
            };
            match write(&mut st, r, &ctx, verb, &wctx) {
                Ok(w) => render(r, &ctx, verb, &w),
                Err(e) => error(e),
            }
        }
    }
}

/// What a write did (or, dry, would do).
struct Written {
    code: u16,
    obj: Arc<Value>,
    /// The stored object it replaced or deleted (None: created).
    old: Option<Arc<Value>>,
    /// DELETE: whether the object is gone (false: it waits for finalizers).
    gone: bool,
}

impl Written {
    fn new(code: u16, obj: Arc<Value>, old: Option<Arc<Value>>) -> Written {
        Written {
            code,
            obj,
            old,
            gone: true,
        }
    }
}

/// The write context of a request (`dryRun` of a DELETE may come in its body).
fn request_ctx(r: &Req, verb: &str) -> Result<WriteCtx, ApiError> {
    let mut w = write_ctx(r)?;
    if verb == "delete" {
        w.dry_run |= body_dry_run(r);
    }
    Ok(w)
}

fn write(
    st: &mut Store,
    r: &Req,
    ctx: &Ctx,
    verb: &str,
    wctx: &WriteCtx,
) -> Result<Written, ApiError> {
    match verb {
        "create" => do_create(st, r, ctx, wctx),
        "update" => do_update(st, r, ctx, wctx),
        "patch" => do_patch(st, r, ctx, wctx),
        _ => do_delete(st, r, ctx, wctx),
    }
}

fn render(r: &Req, ctx: &Ctx, verb: &str, w: &Written) -> Response<Body> {
    if verb == "delete" {
        render_delete(ctx, w)
    } else {
        output(r, ctx, w.code, &w.obj)
    }
}

// ---------------------------------------------------------------- admission

/// `Warning: 299 - "..."` headers, one per webhook warning.
fn warned(mut resp: Response<Body>, warnings: &[String]) -> Response<Body> {
    for w in warnings {
        if let Ok(v) = header::HeaderValue::from_bytes(&admission::warning_header(w)) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
    resp
}

/// The AdmissionReview's `options`: CreateOptions, UpdateOptions or DeleteOptions.
fn review_options(r: &Req, operation: &str, wctx: &WriteCtx) -> Value {
    let kind = match operation {
        "CREATE" => "CreateOptions",
        "UPDATE" => "UpdateOptions",
        _ => "DeleteOptions",
    };
    let mut o = if operation == "DELETE" {
        serde_json::from_slice::<Value>(&r.body)
            .ok()
            .filter(Value::is_object)
            .unwrap_or(json!({}))
    } else {
        json!({})
    };
    o["kind"] = json!(kind);
    o["apiVersion"] = json!("meta.k8s.io/v1");
    if wctx.dry_run {
        o["dryRun"] = json!(["All"]);
    }
    if operation == "DELETE" {
        if o.get("propagationPolicy").is_none()
            && let Some(p) = r.query.get("propagationPolicy")
        {
            o["propagationPolicy"] = json!(p);
        }
        if o.get("gracePeriodSeconds").is_none()
            && let Some(g) = r
                .query
                .get("gracePeriodSeconds")
                .and_then(|g| g.parse::<i64>().ok())
        {
            o["gracePeriodSeconds"] = json!(g);
        }
    } else {
        if let Some(m) = r.query.get("fieldManager").filter(|m| !m.is_empty()) {
            o["fieldManager"] = json!(m);
        }
        if let Some(v) = r.query.get("fieldValidation").filter(|v| !v.is_empty()) {
            o["fieldValidation"] = json!(v);
        }
    }
    o
}

fn admission_request(
    r: &Req,
    ctx: &Ctx,
    wctx: &WriteCtx,
    operation: &'static str,
    new: Option<&Value>,
    old: Option<&Value>,
) -> admission::Request {
    let show = |o: &Value| {
        if ctx.sub.as_deref() == Some("scale") {
            scale_of(o)
        } else {
            present(o, ctx).into_owned()
        }
    };
    let any = new.or(old);
    let name = any
        .and_then(|o| meta_str(o, "name"))
        .or(ctx.name.as_deref())
        .unwrap_or("")
        .to_string();
    let namespace = if ctx.def.namespaced {
        any.and_then(|o| meta_str(o, "namespace"))
            .or(ctx.ns.as_deref())
            .map(str::to_string)
    } else {
        None
    };
    admission::Request {
        operation,
        def: ctx.def.clone(),
        version: ctx.version.clone(),
        sub: ctx.sub.clone(),
        name,
        namespace,
        object: new.map(show),
        old_object: old.map(show),
        dry_run: wctx.dry_run,
        options: review_options(r, operation, wctx),
        username: r.ident.username.clone(),
        groups: r.ident.groups.clone(),
    }
}

fn rv_of(o: &Value) -> String {
    meta_str(o, "resourceVersion").unwrap_or("").to_string()
}

/// A create, update, patch or delete that validating webhooks may see: the write is
/// computed as a dry run under the store lock, the webhooks are called without it, and
/// the write is then made for real, unless the object changed meanwhile (then it all
/// starts again, as kube-apiserver retries a conflicting update).
async fn admitted(shared: &Arc<Shared>, r: &Req, ctx: &Ctx, verb: &str) -> Response<Body> {
    let real = match request_ctx(r, verb) {
        Ok(w) => w,
        Err(e) => return error(e),
    };
    let name = ctx.name.as_deref().unwrap_or("");
    for _ in 0..5 {
        let (dry, areq, calls) = {
            let mut st = shared.lock_store();
            let mut w = real.clone();
            w.dry_run = true;
            let dry = match write(&mut st, r, ctx, verb, &w) {
                Ok(d) => d,
                Err(e) => return error(e),
            };
            let operation = match (verb, &dry.old) {
                ("delete", _) => "DELETE",
                (_, None) => "CREATE",
                _ => "UPDATE",
            };
            let new = (operation != "DELETE").then_some(&*dry.obj);
            let mut areq = admission_request(r, ctx, &real, operation, new, dry.old.as_deref());
            if verb == "create" {
                // kube-apiserver names the request as the client did: no name when the
                // server generates it (the object carries the generated one).
                let asked = parse_body(r).ok();
                areq.name = asked
                    .as_ref()
                    .and_then(|b| meta_str(b, "name"))
                    .unwrap_or("")
                    .to_string();
            }
            let calls = admission::select(&st, &areq);
            (dry, areq, calls)
        };
        let verdict = if calls.is_empty() {
            admission::Verdict::default()
        } else {
            admission::dispatch(&shared.endpoints, calls, &areq).await
        };
        if let Some((code, status)) = &verdict.refusal {
            return warned(json_response(*code, status), &verdict.warnings);
        }
        if real.dry_run {
            return warned(render(r, ctx, verb, &dry), &verdict.warnings);
        }
        let mut st = shared.lock_store();
        if verb != "create" {
            let now = st.get(&ctx.def, ctx.ns.as_deref(), name).map(|o| rv_of(&o));
            if now != dry.old.as_deref().map(rv_of) {
                continue;
            }
        }
        let mut w = real.clone();
        if dry.old.is_none() {
            // The object the webhooks saw: same uid, same generated name.
            let uid = meta_str(&dry.obj, "uid").unwrap_or("").to_string();
            w.pinned = Some((uid, meta_str(&dry.obj, "name").unwrap_or("").to_string()));
        }
        let resp = match write(&mut st, r, ctx, verb, &w) {
            Ok(done) => render(r, ctx, verb, &done),
            Err(e) => error(e),
        };
        return warned(resp, &verdict.warnings);
    }
    error(ApiError::conflict(&ctx.def, name))
}

/// DELETE of a collection: every object is reviewed as a DELETE first; one refusal and
/// nothing is deleted (kube-apiserver deletes in parallel and may have deleted some).
async fn admitted_delete_collection(shared: &Arc<Shared>, r: &Req, ctx: &Ctx) -> Response<Body> {
    let mut wctx = match write_ctx(r) {
        Ok(w) => w,
        Err(e) => return error(e),
    };
    wctx.dry_run |= body_dry_run(r);
    let (labels, fields) = match selectors(r, &ctx.def) {
        Ok(x) => x,
        Err(e) => return error(e),
    };
    let reviews: Vec<_> = {
        let st = shared.lock_store();
        let ListPage::Page { items, .. } =
            st.list(&ctx.def, ctx.ns.as_deref(), &labels, &fields, None, None);
        items
            .iter()
            .map(|o| {
                let areq = admission_request(r, ctx, &wctx, "DELETE", None, Some(o));
                let calls = admission::select(&st, &areq);
                (areq, calls)
            })
            .filter(|(_, calls)| !calls.is_empty())
            .collect()
    };
    let mut warnings: Vec<String> = vec![];
    for (areq, calls) in reviews {
        let v = admission::dispatch(&shared.endpoints, calls, &areq).await;
        for w in v.warnings {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        if let Some((code, status)) = &v.refusal {
            return warned(json_response(*code, status), &warnings);
        }
    }
    let mut st = shared.lock_store();
    warned(do_delete_collection(&mut st, r, ctx), &warnings)
}

struct Ctx {
    def: Arc<ResourceDef>,
    version: String,
    ns: Option<String>,
    name: Option<String>,
    sub: Option<String>,
}

fn forbidden(
    id: &Identity,
    verb: &str,
    def: &ResourceDef,
    resource: &str,
    ns: Option<&str>,
    name: Option<&str>,
) -> ApiError {
    let what = match name {
        Some(n) => format!("{} \"{n}\"", def.qualified()),
        None => def.qualified(),
    };
    let scope = match ns {
        Some(n) => format!("in the namespace \"{n}\""),
        None => "at the cluster scope".to_string(),
    };
    let mut d = json!({"kind": def.plural});
    if let Some(n) = name {
        d["name"] = json!(n);
    }
    if !def.group.is_empty() {
        d["group"] = json!(def.group);
    }
    ApiError::new(
        403,
        "Forbidden",
        format!(
            "{what} is forbidden: User \"{}\" cannot {verb} resource \"{resource}\" in API group \"{}\" {scope}",
            id.username, def.group
        ),
    )
    .with_details(d)
}

/// The stored object as the requested version shows it.
fn present<'a>(obj: &'a Value, ctx: &Ctx) -> std::borrow::Cow<'a, Value> {
    let av = ctx.def.api_version(&ctx.version);
    if obj.get("apiVersion").and_then(Value::as_str) == Some(av.as_str()) {
        std::borrow::Cow::Borrowed(obj)
    } else {
        let mut o = obj.clone();
        o["apiVersion"] = json!(av);
        std::borrow::Cow::Owned(o)
    }
}

fn wants_table(r: &Req) -> bool {
    r.accept.contains("as=Table")
}

fn wants_partial(r: &Req) -> bool {
    r.accept.contains("as=PartialObjectMetadata")
}

fn partial(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or(json!({}))})
}

fn scale_of(obj: &Value) -> Value {
    let selector = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let meta = obj.get("metadata").cloned().unwrap_or(json!({}));
    let mut m = json!({});
    for k in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = meta.get(k) {
            m[k] = v.clone();
        }
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": m,
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(0))},
        "status": {"replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": selector},
    })
}

fn output(r: &Req, ctx: &Ctx, code: u16, obj: &Value) -> Response<Body> {
    if ctx.sub.as_deref() == Some("scale") {
        return json_response(code, &scale_of(obj));
    }
    if r.method == Method::GET && wants_table(r) {
        let now = jiff::Timestamp::now().as_second();
        let include = r
            .query
            .get("includeObject")
            .map(String::as_str)
            .unwrap_or("PartialObjectMetadata");
        let rv = meta_str(obj, "resourceVersion").unwrap_or("").to_string();
        let t = table::table(
            &ctx.def,
            vec![table::row(&ctx.def, &present(obj, ctx), include, now)],
            &rv,
            None,
            None,
        );
        return json_response(200, &t);
    }
    if r.method == Method::GET && wants_partial(r) {
        return json_response(code, &partial(obj));
    }
    json_response(code, &present(obj, ctx))
}

fn do_get(st: &Store, r: &Req, ctx: &Ctx) -> Response<Body> {
    let name = ctx.name.as_deref().unwrap_or("");
    match st.get(&ctx.def, ctx.ns.as_deref(), name) {
        Some(o) => output(r, ctx, 200, &o),
        None => error(ApiError::not_found(&ctx.def, name)),
    }
}

/// `pods/NAME/log`: there are no containers, so a line saying so (text/plain like the real
/// endpoint); unknown containers are 400 as on a real cluster.
fn pod_log(st: &Store, r: &Req, ctx: &Ctx) -> Response<Body> {
    let name = ctx.name.as_deref().unwrap_or("");
    let Some(pod) = st.get(&ctx.def, ctx.ns.as_deref(), name) else {
        return error(ApiError::not_found(&ctx.def, name));
    };
    let containers: Vec<&str> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let container = match r.query.get("container").filter(|c| !c.is_empty()) {
        Some(c) => c.clone(),
        None if containers.len() == 1 => containers[0].to_string(),
        None => {
            return error(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            )));
        }
    };
    if !containers.contains(&container.as_str()) {
        return error(ApiError::bad_request(format!(
            "container {container} is not valid for pod {name}"
        )));
    }
    let text =
        format!("testcluster: no real container runs here (pod {name}, container {container})\n");
    bytes_response(200, text.into_bytes(), "text/plain")
}

fn selectors(r: &Req, def: &ResourceDef) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(
        r.query
            .get("labelSelector")
            .map(String::as_str)
            .unwrap_or(""),
    )
    .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(
        r.query
            .get("fieldSelector")
            .map(String::as_str)
            .unwrap_or(""),
        &def.kind,
    )
    .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

/// A list: the page is taken under the store's lock (its objects are shared, not copied),
/// then serialised after the lock is let go, so lists run side by side as on a real API
/// server and no write waits for a large page to be written out.
fn do_list(st: std::sync::MutexGuard<'_, Store>, r: &Req, ctx: &Ctx) -> Response<Body> {
    let (labels, fields) = match selectors(r, &ctx.def) {
        Ok(x) => x,
        Err(e) => return error(e),
    };
    let limit = match r.query.get("limit").filter(|s| !s.is_empty()) {
        Some(l) => match l.parse::<i64>() {
            Ok(n) if n > 0 => Some(n as usize),
            Ok(_) => None,
            Err(_) => return error(ApiError::bad_request(format!("invalid limit {l:?}"))),
        },
        None => None,
    };
    let cont = match r.query.get("continue").filter(|s| !s.is_empty()) {
        Some(c) => match decode_continue(c) {
            Some(c) => Some(c),
            None => {
                return error(ApiError::bad_request(
                    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
                ));
            }
        },
        None => None,
    };
    let ListPage::Page {
        items,
        cont,
        remaining,
        rv,
    } = st.list(
        &ctx.def,
        ctx.ns.as_deref(),
        &labels,
        &fields,
        limit,
        cont.as_ref(),
    );
    drop(st);
    let rv = rv.to_string();
    if wants_table(r) {
        let now = jiff::Timestamp::now().as_second();
        let include = r
            .query
            .get("includeObject")
            .map(String::as_str)
            .unwrap_or("PartialObjectMetadata");
        let rows = items
            .iter()
            .map(|o| table::row(&ctx.def, &present(o, ctx), include, now))
            .collect();
        return json_response(
            200,
            &table::table(&ctx.def, rows, &rv, cont.as_deref(), remaining),
        );
    }
    let mut meta = json!({"resourceVersion": rv});
    if let Some(c) = &cont {
        meta["continue"] = json!(c);
    }
    if let Some(n) = remaining {
        meta["remainingItemCount"] = json!(n);
    }
    let partial_list = wants_partial(r);
    let (kind, api_version) = if partial_list {
        (
            "PartialObjectMetadataList".to_string(),
            "meta.k8s.io/v1".to_string(),
        )
    } else {
        (ctx.def.list_kind.clone(), ctx.def.api_version(&ctx.version))
    };
    let mut out = Vec::with_capacity(items.len() * 512 + 256);
    out.extend_from_slice(b"{\"kind\":");
    let _ = serde_json::to_writer(&mut out, &kind);
    out.extend_from_slice(b",\"apiVersion\":");
    let _ = serde_json::to_writer(&mut out, &api_version);
    out.extend_from_slice(b",\"metadata\":");
    let _ = serde_json::to_writer(&mut out, &meta);
    out.extend_from_slice(b",\"items\":[");
    for (i, o) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if partial_list {
            let _ = serde_json::to_writer(&mut out, &partial(o));
        } else {
            let _ = serde_json::to_writer(&mut out, &*present(o, ctx));
        }
    }
    out.extend_from_slice(b"]}");
    bytes_response(200, out, "application/json")
}

fn parse_body(r: &Req) -> Result<Value, ApiError> {
    if r.content_type.contains("protobuf")
        && r.method == Method::POST
        && let Some(v) = crate::proto::decode_object(&r.body)
    {
        return Ok(v);
    }
    if r.content_type.contains("protobuf") || r.content_type.contains("cbor") {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {:?}; testcluster speaks JSON only)",
                r.content_type
            ),
        ));
    }
    if r.body.is_empty() {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    match serde_json::from_slice::<Value>(&r.body) {
        Ok(v) => Ok(v),
        Err(je) => {
            let text = std::str::from_utf8(&r.body)
                .map_err(|_| ApiError::bad_request("the request body is not UTF-8"))?;
            if r.content_type.contains("yaml") {
                serde_yaml::from_str::<Value>(text)
                    .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
            } else {
                Err(ApiError::bad_request(format!(
                    "couldn't get version/kind; json parse error: {je}"
                )))
            }
        }
    }
}

fn write_ctx(r: &Req) -> Result<WriteCtx, ApiError> {
    let dry_run = match r.query.get("dryRun").map(String::as_str) {
        None | Some("") => false,
        Some("All") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid dry run option: {other:?}: supported values are \"All\""
            )));
        }
    };
    let manager = match r.query.get("fieldManager").filter(|m| !m.is_empty()) {
        Some(m) => m.clone(),
        None => r
            .user_agent
            .split('/')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or("unknown")
            .to_string(),
    };
    Ok(WriteCtx {
        dry_run,
        manager,
        now: now_str(),
        direct: false,
        pinned: None,
    })
}

fn do_create(st: &mut Store, r: &Req, ctx: &Ctx, wctx: &WriteCtx) -> Result<Written, ApiError> {
    let body = parse_body(r)?;
    let o = st.create(&ctx.def, &ctx.version, ctx.ns.as_deref(), body, wctx, true)?;
    Ok(Written::new(201, o, None))
}

/// The full new object for a write to the scale subresource.
fn from_scale(def: &ResourceDef, old: &Value, scale: &Value) -> Result<Value, ApiError> {
    let name = meta_str(old, "name").unwrap_or("");
    let replicas = scale
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::invalid(def, name, "spec.replicas", "Required value"))?;
    if replicas < 0 {
        return Err(ApiError::invalid(
            def,
            name,
            "spec.replicas",
            &format!("Invalid value: {replicas}: must be greater than or equal to 0"),
        ));
    }
    if let Some(rv) = scale
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        && !rv.is_empty()
        && Some(rv) != meta_str(old, "resourceVersion")
    {
        return Err(ApiError::conflict(def, name));
    }
    let mut new = old.clone();
    if !new.get("spec").is_some_and(Value::is_object) {
        new["spec"] = json!({});
    }
    new["spec"]["replicas"] = json!(replicas);
    if let Some(m) = new.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
    }
    Ok(new)
}

fn do_update(st: &mut Store, r: &Req, ctx: &Ctx, wctx: &WriteCtx) -> Result<Written, ApiError> {
    let body = parse_body(r)?;
    let name = ctx.name.as_deref().unwrap_or("");
    let Some(old) = st.get(&ctx.def, ctx.ns.as_deref(), name) else {
        return Err(ApiError::not_found(&ctx.def, name));
    };
    let (new, sub) = match ctx.sub.as_deref() {
        Some("scale") => (from_scale(&ctx.def, &old, &body)?, None),
        Some("finalize") => {
            let mut n = (*old).clone();
            n["spec"] = body.get("spec").cloned().unwrap_or(json!({}));
            (n, None)
        }
        s => (body, s),
    };
    let o = st.update(&ctx.def, &ctx.version, &old, new, sub, wctx, true)?;
    Ok(Written::new(200, o, Some(old)))
}

fn conflict_status(def: &ResourceDef, name: &str, conflicts: &[apply::Conflict]) -> ApiError {
    let n = conflicts.len();
    let mut msg = format!(
        "Apply failed with {n} conflict{}: ",
        if n == 1 { "" } else { "s" }
    );
    let parts: Vec<String> = conflicts
        .iter()
        .map(|c| format!("conflict with \"{}\": {}", c.manager, c.field))
        .collect();
    msg.push_str(&parts.join("\n"));
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|c| {
            // kube-apiserver's JSON key is "reason" (Go's StatusCause.Type); "type" is
            // there too for readers that look for the Go name.
            json!({
                "reason": "FieldManagerConflict",
                "type": "FieldManagerConflict",
                "message": format!("conflict with \"{}\"", c.manager),
                "field": c.field,
            })
        })
        .collect();
    let mut d = details(def, name);
    d["causes"] = json!(causes);
    ApiError::new(409, "Conflict", msg).with_details(d)
}

fn do_patch(st: &mut Store, r: &Req, ctx: &Ctx, wctx: &WriteCtx) -> Result<Written, ApiError> {
    let body = parse_body(r)?;
    let name = ctx.name.as_deref().unwrap_or("").to_string();
    let ct = r
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let old = st.get(&ctx.def, ctx.ns.as_deref(), &name);
    let sub = ctx.sub.as_deref();
    if ct == "application/apply-patch+yaml" || ct == "application/apply-patch+cbor" {
        let Some(manager) = r.query.get("fieldManager").filter(|m| !m.is_empty()) else {
            return Err(ApiError::bad_request(
                "PATCH request with apply content type must specify a fieldManager (the fieldManager query parameter is required for apply requests)",
            ));
        };
        let force = truthy(&r.query, "force") && r.query.contains_key("force");
        let mut applied = body;
        if !applied.is_object() {
            return Err(ApiError::bad_request(
                "the applied configuration is not an object",
            ));
        }
        if let Some(n) = meta_str(&applied, "name")
            && n != name
        {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        if meta_str(&applied, "name").is_none() {
            if !applied.get("metadata").is_some_and(Value::is_object) {
                applied["metadata"] = json!({});
            }
            applied["metadata"]["name"] = json!(name);
        }
        if ctx.def.namespaced
            && let Some(ns) = &ctx.ns
        {
            match meta_str(&applied, "namespace") {
                Some(n) if n != ns => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                Some(_) => {}
                None => applied["metadata"]["namespace"] = json!(ns),
            }
        }
        if applied.get("apiVersion").is_none() || applied.get("kind").is_none() {
            return Err(ApiError::bad_request(
                "apiVersion and kind must be set in an applied configuration",
            ));
        }
        if sub == Some("scale") {
            return Err(ApiError::bad_request(
                "server-side apply of the scale subresource is not supported by testcluster",
            ));
        }
        let live = old.as_deref();
        let mut wctx = wctx.clone();
        wctx.manager = manager.clone();
        let merged = match apply::server_side_apply(live, &applied, manager, force, &wctx.now) {
            Ok(m) => m,
            Err(apply::ApplyError::Conflicts(cs)) => {
                return Err(conflict_status(&ctx.def, &name, &cs));
            }
            Err(apply::ApplyError::Invalid(m)) => {
                return Err(ApiError::invalid(&ctx.def, &name, "", &m));
            }
        };
        return match old {
            None => {
                if sub.is_some() {
                    return Err(ApiError::not_found(&ctx.def, &name));
                }
                let o = st.create(
                    &ctx.def,
                    &ctx.version,
                    ctx.ns.as_deref(),
                    merged,
                    &wctx,
                    false,
                )?;
                Ok(Written::new(201, o, None))
            }
            Some(old) => {
                let mut merged = merged;
                // The applier's object carries no resourceVersion precondition unless it set one.
                if meta_str(&applied, "resourceVersion").is_none()
                    && let Some(m) = merged.get_mut("metadata").and_then(Value::as_object_mut)
                {
                    m.remove("resourceVersion");
                }
                let o = st.update(&ctx.def, &ctx.version, &old, merged, sub, &wctx, false)?;
                Ok(Written::new(200, o, Some(old)))
            }
        };
    }
    let Some(old) = old else {
        return Err(ApiError::not_found(&ctx.def, &name));
    };
    let target = if sub == Some("scale") {
        scale_of(&old)
    } else {
        present(&old, ctx).into_owned()
    };
    let patched = match ct.as_str() {
        "application/merge-patch+json" => Ok(apply::merge_patch(&target, &body)),
        "application/strategic-merge-patch+json" => {
            if ctx.def.crd.is_some() {
                return Err(ApiError::new(
                    415,
                    "UnsupportedMediaType",
                    "strategic merge patch is not supported for custom resources; use merge-patch or json-patch",
                ));
            }
            apply::strategic_merge_patch(&target, &body)
        }
        "application/json-patch+json" => apply::json_patch(&target, &body),
        other => {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {other:?})"
                ),
            ));
        }
    };
    let mut patched = patched.map_err(|m| ApiError::new(422, "Invalid", m))?;
    let (new, sub) = if sub == Some("scale") {
        (from_scale(&ctx.def, &old, &patched)?, None)
    } else {
        // A patch that does not name a resourceVersion is unconditional.
        if body.pointer("/metadata/resourceVersion").is_none()
            && !(ct == "application/json-patch+json"
                && body.to_string().contains("/metadata/resourceVersion"))
            && let Some(m) = patched.get_mut("metadata").and_then(Value::as_object_mut)
        {
            m.remove("resourceVersion");
        }
        (patched, sub)
    };
    let o = st.update(&ctx.def, &ctx.version, &old, new, sub, wctx, true)?;
    Ok(Written::new(200, o, Some(old)))
}

fn delete_options(r: &Req) -> (Option<String>, Option<Value>) {
    let body: Option<Value> = if r.body.is_empty() {
        None
    } else {
        serde_json::from_slice(&r.body).ok()
    };
    let mut policy = r.query.get("propagationPolicy").cloned();
    if let Some(b) = &body {
        if let Some(p) = b.get("propagationPolicy").and_then(Value::as_str) {
            policy = Some(p.to_string());
        }
        if b.get("orphanDependents").and_then(Value::as_bool) == Some(true) {
            policy = Some("Orphan".into());
        }
    }
    if r.query.get("orphanDependents").map(String::as_str) == Some("true") {
        policy = Some("Orphan".into());
    }
    let pre = body.as_ref().and_then(|b| b.get("preconditions").cloned());
    (policy, pre)
}

/// `dryRun` may come in the DeleteOptions body (`"dryRun": ["All"]`, what client-go and
/// kube-rs send) as well as in the query.
fn body_dry_run(r: &Req) -> bool {
    serde_json::from_slice::<Value>(&r.body)
        .ok()
        .and_then(|b| b.get("dryRun").cloned())
        .and_then(|d| d.as_array().cloned())
        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("All")))
}

fn do_delete(st: &mut Store, r: &Req, ctx: &Ctx, wctx: &WriteCtx) -> Result<Written, ApiError> {
    let name = ctx.name.as_deref().unwrap_or("");
    let (policy, pre) = delete_options(r);
    if let Some(p) = &policy
        && !matches!(p.as_str(), "Background" | "Foreground" | "Orphan")
    {
        return Err(ApiError::bad_request(format!(
            "propagationPolicy: Unsupported value: {p:?}: supported values: \"Foreground\", \"Background\", \"Orphan\""
        )));
    }
    let old = st.get(&ctx.def, ctx.ns.as_deref(), name);
    let (obj, gone) = st.delete(
        &ctx.def,
        ctx.ns.as_deref(),
        name,
        policy.as_deref(),
        pre.as_ref(),
        wctx,
    )?;
    let mut w = Written::new(200, obj, old);
    w.gone = gone;
    Ok(w)
}

fn render_delete(ctx: &Ctx, w: &Written) -> Response<Body> {
    let obj = &w.obj;
    let name = ctx.name.as_deref().unwrap_or("");
    let returns_object = matches!(
        (ctx.def.group.as_str(), ctx.def.kind.as_str()),
        ("", "Pod") | ("", "Namespace") | ("", "Service")
    ) || ctx.def.crd.is_some()
        || ctx.def.kind == "CustomResourceDefinition";
    if !w.gone {
        return json_response(202, &present(obj, ctx));
    }
    if returns_object {
        return json_response(200, &present(obj, ctx));
    }
    let mut d = details(&ctx.def, name);
    if let Some(u) = meta_str(obj, "uid") {
        d["uid"] = json!(u);
    }
    json_response(
        200,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": d}),
    )
}

fn do_delete_collection(st: &mut Store, r: &Req, ctx: &Ctx) -> Response<Body> {
    let mut wctx = match write_ctx(r) {
        Ok(w) => w,
        Err(e) => return error(e),
    };
    wctx.dry_run |= body_dry_run(r);
    let (labels, fields) = match selectors(r, &ctx.def) {
        Ok(x) => x,
        Err(e) => return error(e),
    };
    let (policy, _) = delete_options(r);
    let ListPage::Page { items, .. } =
        st.list(&ctx.def, ctx.ns.as_deref(), &labels, &fields, None, None);
    let mut deleted = vec![];
    for o in items {
        let name = meta_str(&o, "name").unwrap_or("").to_string();
        let ns = meta_str(&o, "namespace").map(str::to_string);
        if ctx.def.kind == "Namespace"
            && matches!(name.as_str(), "default" | "kube-system" | "kube-public")
        {
            continue;
        }
        if let Ok((g, _)) = st.delete(
            &ctx.def,
            ns.as_deref(),
            &name,
            policy.as_deref(),
            None,
            &wctx,
        ) {
            deleted.push(present(&g, ctx).into_owned());
        }
    }
    json_response(
        200,
        &json!({"kind": ctx.def.list_kind, "apiVersion": ctx.def.api_version(&ctx.version),
            "metadata": {"resourceVersion": st.rv.to_string()}, "items": deleted}),
    )
}

// ---------------------------------------------------------------- reviews

fn review(r: &Req, ctx: &Ctx) -> Response<Body> {
    let body = if r.body.is_empty() {
        json!({})
    } else if r.content_type.contains("protobuf") {
        match crate::proto::decode_review(&r.body) {
            Some(b) => b,
            None => {
                return error(ApiError::bad_request(
                    "could not decode the protobuf review",
                ));
            }
        }
    } else {
        match parse_body(r) {
            Ok(b) => b,
            Err(e) => return error(e),
        }
    };
    let id = &r.ident;
    let av = ctx.def.api_version(&ctx.version);
    let out = match ctx.def.kind.as_str() {
        "SelfSubjectAccessReview" => {
            let spec = body.get("spec").cloned().unwrap_or(json!({}));
            let allowed = if let Some(ra) = spec.get("resourceAttributes") {
                let g = |k: &str| ra.get(k).and_then(Value::as_str).unwrap_or("");
                let verb = g("verb");
                let mut res = g("resource").to_string();
                if !g("subresource").is_empty() {
                    res = format!("{res}/{}", g("subresource"));
                }
                let ns = Some(g("namespace")).filter(|s| !s.is_empty());
                id.allows(verb, g("group"), &res, ns)
            } else {
                // Non-resource URLs (/healthz, /api, ...) are open to every authenticated user.
                let verb = spec
                    .pointer("/nonResourceAttributes/verb")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                id.rules.is_none() || verb == "get"
            };
            let mut status = json!({"allowed": allowed});
            if allowed {
                status["reason"] = json!(match id.rules {
                    None => "RBAC: allowed by ClusterRoleBinding \"cluster-admin\" of ClusterRole \"cluster-admin\" to Group \"system:masters\"".to_string(),
                    Some(_) => format!("allowed by testcluster rules of user \"{}\"", id.username),
                });
            } else {
                status["reason"] = json!("");
            }
            json!({"kind": ctx.def.kind, "apiVersion": av,
                "metadata": {"creationTimestamp": Value::Null}, "spec": spec, "status": status})
        }
        "SelfSubjectRulesReview" => {
            let spec = body.get("spec").cloned().unwrap_or(json!({}));
            let ns = spec.get("namespace").and_then(Value::as_str).unwrap_or("");
            let rules: Vec<Value> = match &id.rules {
                None => vec![json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})],
                Some(rs) => rs
                    .iter()
                    .filter(|r| r.namespaces.is_empty() || r.namespaces.iter().any(|n| n == ns || n == "*"))
                    .map(|r| json!({"verbs": r.verbs, "apiGroups": r.api_groups, "resources": r.resources}))
                    .collect(),
            };
            json!({"kind": ctx.def.kind, "apiVersion": av,
                "metadata": {"creationTimestamp": Value::Null}, "spec": spec,
                "status": {"resourceRules": rules,
                    "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/readyz", "/openapi", "/openapi/*", "/version", "/version/"]}],
                    "incomplete": false}})
        }
        _ => json!({"kind": ctx.def.kind, "apiVersion": av,
            "metadata": {"creationTimestamp": Value::Null},
            "status": {"userInfo": {"username": id.username, "groups": id.groups}}}),
    };
    json_response(201, &out)
}

// ---------------------------------------------------------------- watch

fn watch_response(
    shared: &Arc<Shared>,
    st: std::sync::MutexGuard<'_, Store>,
    r: &Req,
    ctx: &Ctx,
) -> Response<Body> {
    let (labels, fields) = match selectors(r, &ctx.def) {
        Ok(x) => x,
        Err(e) => return error(e),
    };
    let rv: u64 = match r.query.get("resourceVersion").filter(|s| !s.is_empty()) {
        Some(s) => match s.parse() {
            Ok(n) => n,
            Err(_) => {
                return error(ApiError::bad_request(format!(
                    "invalid resourceVersion {s:?}"
                )));
            }
        },
        None => 0,
    };
    let send_initial =
        truthy(&r.query, "sendInitialEvents") && r.query.contains_key("sendInitialEvents");
    let bookmarks =
        truthy(&r.query, "allowWatchBookmarks") && r.query.contains_key("allowWatchBookmarks");
    let timeout = r
        .query
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs);
    let table_mode = wants_table(r);
    let include = r
        .query
        .get("includeObject")
        .cloned()
        .unwrap_or_else(|| "PartialObjectMetadata".into());
    let rx = st.tx.subscribe();
    let res = ctx.def.key();
    let mut initial: Vec<(&'static str, Arc<Value>)> = vec![];
    let mut gone = false;
    if rv == 0 || send_initial {
        let ListPage::Page { items, .. } =
            st.list(&ctx.def, ctx.ns.as_deref(), &labels, &fields, None, None);
        initial = items.into_iter().map(|o| ("ADDED", o)).collect();
    } else {
        match st.history_since(&res, rv) {
            Some(evs) => {
                for e in evs {
                    initial.extend(filter_event(&e, ctx.ns.as_deref(), &labels, &fields));
                }
            }
            None => gone = true,
        }
    }
    let start_rv = st.rv;
    drop(st);
    let _ = shared;
    let (tx, brx) = tokio::sync::mpsc::channel::<Result<Bytes, Infallible>>(64);
    let def = ctx.def.clone();
    let api_version = ctx.def.api_version(&ctx.version);
    let ns = ctx.ns.clone();
    let first_table = std::sync::atomic::AtomicBool::new(true);
    let render = move |typ: &str, obj: &Value| -> Bytes {
        let mut o = obj.clone();
        if o.get("apiVersion").and_then(Value::as_str) != Some(api_version.as_str())
            && typ != "BOOKMARK"
            && typ != "ERROR"
        {
            o["apiVersion"] = json!(api_version);
        }
        if table_mode && typ != "BOOKMARK" && typ != "ERROR" {
            let now = jiff::Timestamp::now().as_second();
            let rv = meta_str(&o, "resourceVersion").unwrap_or("").to_string();
            let mut t = table::table(
                &def,
                vec![table::row(&def, &o, &include, now)],
                &rv,
                None,
                None,
            );
            if !first_table.swap(false, std::sync::atomic::Ordering::Relaxed) {
                t["columnDefinitions"] = json!([]);
            }
            o = t;
        }
        let mut line = serde_json::to_vec(&json!({"type": typ, "object": o})).unwrap_or_default();
        line.push(b'\n');
        Bytes::from(line)
    };
    let kind = ctx.def.kind.clone();
    let bookmark_av = ctx.def.api_version(&ctx.version);
    let bookmark = move |rv: u64, end: bool| -> Value {
        let mut m = json!({"resourceVersion": rv.to_string()});
        if end {
            m["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        json!({"kind": kind, "apiVersion": bookmark_av, "metadata": m})
    };
    tokio::spawn(async move {
        let mut rx = rx;
        if gone {
            let st = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("too old resource version: {rv} ({start_rv})"), "reason": "Expired", "code": 410});
            let _ = tx.send(Ok(render("ERROR", &st))).await;
            return;
        }
        for (typ, o) in &initial {
            if tx.send(Ok(render(typ, o))).await.is_err() {
                return;
            }
        }
        if send_initial && bookmarks {
            let _ = tx
                .send(Ok(render("BOOKMARK", &bookmark(start_rv, true))))
                .await;
        }
        drop(initial);
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let mut last_rv = start_rv;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        let mut since_bookmark = 0u32;
        loop {
            let sleep_until =
                deadline.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                ev = rx.recv() => match ev {
                    Ok(e) => {
                        if e.res != res { continue; }
                        last_rv = e.rv;
                        for (typ, o) in filter_event(&e, ns.as_deref(), &labels, &fields) {
                            if tx.send(Ok(render(typ, &o))).await.is_err() { return; }
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        let st = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": "too old resource version: the watch fell behind", "reason": "Expired", "code": 410});
                        let _ = tx.send(Ok(render("ERROR", &st))).await;
                        return;
                    }
                    Err(_) => return,
                },
                _ = tokio::time::sleep_until(sleep_until) => {
                    if deadline.is_some() { return; }
                }
                _ = tick.tick() => {
                    if tx.is_closed() { return; }
                    since_bookmark += 1;
                    if bookmarks && since_bookmark >= 5 {
                        since_bookmark = 0;
                        if tx.send(Ok(render("BOOKMARK", &bookmark(last_rv, false)))).await.is_err() { return; }
                    }
                }
            }
        }
    });
    let stream = futures::stream::unfold(
        brx,
        |mut rx| async move { rx.recv().await.map(|x| (x, rx)) },
    );
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache, private"),
    );
    resp
}

fn filter_event(
    e: &WatchEvent,
    ns: Option<&str>,
    labels: &LabelSelector,
    fields: &FieldSelector,
) -> Vec<(&'static str, Arc<Value>)> {
    if let Some(n) = ns
        && meta_str(&e.obj, "namespace") != Some(n)
    {
        return vec![];
    }
    let m = |o: &Value| {
        labels.matches(o.pointer("/metadata/labels").and_then(Value::as_object))
            && fields.matches(o)
    };
    let new_match = m(&e.obj);
    match e.typ {
        "MODIFIED" => {
            let old_match = e.old.as_deref().is_some_and(m);
            match (old_match, new_match) {
                (true, true) => vec![("MODIFIED", e.obj.clone())],
                (false, true) => vec![("ADDED", e.obj.clone())],
                (true, false) => vec![("DELETED", e.obj.clone())],
                _ => vec![],
            }
        }
        t => {
            if new_match {
                vec![(t, e.obj.clone())]
            } else {
                vec![]
            }
        }
    }
}
