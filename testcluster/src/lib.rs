//! confgate's Kubernetes test API server (used by tests and by hand; see docs/testing.md).
//!
//! [`TestCluster::start`] serves HTTPS on 127.0.0.1 with a throw-away CA, writes a real
//! kubeconfig (several contexts: admin token, client certificate, a limited user, a bad
//! token, and one per [`User`]), keeps objects in memory, and runs a small controller that
//! makes workloads become ready. Writes through the API are checked by the stored
//! ValidatingWebhookConfigurations' webhooks, as kube-apiserver does (see `admission.rs`).
mod admission;
pub mod apply;
pub mod controller;

mod control_loop;
mod faults;
mod openapi;
mod proto;
mod registry;
mod selector;
mod server;
mod store;
mod table;
mod tls;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

pub use faults::Faults;

/// What to start.
#[derive(Debug, Clone)]
pub struct Options {
    /// Cluster name: the kubeconfig's cluster, the admin context, and the prefix of the
    /// other contexts and users. Default "testcluster".
    pub name: String,
    /// Manifests (files or directories of YAML) stored at start.
    pub load: Vec<PathBuf>,
    /// Where to write the kubeconfig; None = a temporary file kept alive by the handle.
    pub kubeconfig: Option<PathBuf>,
    /// Extra token users, each with its own context `<name>-<user.name>`.
    pub users: Vec<User>,
    /// Port on 127.0.0.1; 0 = ephemeral.
    pub port: u16,
    /// Fault rules parsed like the CLI's `--fault` (`METHOD:PATH_PREFIX=500x3`).
    pub faults: Vec<String>,
    /// Where admission webhooks given as `clientConfig.service` are dialled, since the test
    /// server has no cluster network: `"namespace/name"` → `"host:port"` (e.g.
    /// `"confgate/confgate"` → `"127.0.0.1:8443"`). A service not listed is dialled at
    /// `127.0.0.1:<service port>`. Either way its certificate is verified for
    /// `<name>.<namespace>.svc`, as kube-apiserver does. See also
    /// [`TestCluster::set_service_endpoint`].
    pub service_endpoints: HashMap<String, String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            name: "testcluster".into(),
            load: vec![],
            kubeconfig: None,
            users: vec![],
            port: 0,
            faults: vec![],
            service_endpoints: HashMap::new(),
        }
    }
}

/// A token user with RBAC-like rules.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub token: String,
    pub rules: Vec<Rule>,
}

/// One permission: `"*"` wildcards; resources may be `deployments/status`, `pods/*` or
/// `*/scale`; empty namespaces = all namespaces and cluster-scoped resources.
#[derive(Debug, Clone, Default)]
pub struct Rule {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub namespaces: Vec<String>,
}

impl Rule {
    pub fn new(verbs: &[&str], api_groups: &[&str], resources: &[&str]) -> Rule {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        Rule {
            verbs: v(verbs),
            api_groups: v(api_groups),
            resources: v(resources),
            namespaces: vec![],
        }
    }
    pub fn in_namespaces(mut self, ns: &[&str]) -> Rule {
        self.namespaces = ns.iter().map(|s| s.to_string()).collect();
        self
    }
    fn matches(&self, verb: &str, group: &str, resource: &str, ns: Option<&str>) -> bool {
        let has = |list: &[String], x: &str| list.iter().any(|s| s == "*" || s == x);
        let res_ok = self.resources.iter().any(|r| {
            r == "*"
                || r == resource
                || match (r.split_once('/'), resource.split_once('/')) {
                    (Some((rb, "*")), Some((b, _))) => rb == b,
                    (Some(("*", rs)), Some((_, s))) => rs == s,
                    _ => false,
                }
        });
        let ns_ok = self.namespaces.is_empty()
            || ns.is_some_and(|n| self.namespaces.iter().any(|x| x == "*" || x == n));
        has(&self.verbs, verb) && has(&self.api_groups, group) && res_ok && ns_ok
    }
}

/// Who a request is.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub username: String,
    pub groups: Vec<String>,
    /// None: everything is allowed.
    pub rules: Option<Vec<Rule>>,
}

impl Identity {
    pub fn allows(&self, verb: &str, group: &str, resource: &str, ns: Option<&str>) -> bool {
        match &self.rules {
            None => true,
            Some(rules) => rules.iter().any(|r| r.matches(verb, group, resource, ns)),
        }
    }
}

pub(crate) struct Shared {
    pub store: Mutex<store::Store>,
    pub faults: Faults,
    pub counts: Mutex<HashMap<String, usize>>,
    pub tokens: HashMap<String, Arc<Identity>>,
    pub cert_der: Vec<u8>,
    pub cert_identity: Arc<Identity>,
    pub port: std::sync::atomic::AtomicU16,
    pub endpoints: admission::Endpoints,
}

impl Shared {
    /// The store, even after a panic elsewhere poisoned the lock (every write leaves it
    /// consistent before anything can panic).
    pub fn lock_store(&self) -> std::sync::MutexGuard<'_, store::Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running test API server; dropping it stops the server.
pub struct TestCluster {
    shared: Arc<Shared>,
    port: u16,
    kubeconfig: PathBuf,
    _tempfile: Option<tempfile::TempPath>,
    ca_pem: String,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

fn limited_rules() -> Vec<Rule> {
    vec![
        Rule::new(
            &["get", "list", "watch"],
            &[""],
            &["namespaces", "pods", "configmaps"],
        ),
        Rule::new(
            &["create"],
            &["authorization.k8s.io"],
            &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        ),
        Rule::new(
            &["create"],
            &["authentication.k8s.io"],
            &["selfsubjectreviews"],
        ),
    ]
}

/// Parses YAML text (several documents, `kind: List` flattened) into objects.
pub fn parse_yaml_docs(text: &str) -> anyhow::Result<Vec<Value>> {
    use serde::Deserialize as _;
    let mut out = vec![];
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = Value::deserialize(doc).context("YAML document")?;
        flatten(v, &mut out);
    }
    Ok(out)
}

fn flatten(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Null => {}
        Value::Object(ref m)
            if m.get("items").is_some_and(Value::is_array)
                && m.get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k == "List" || k.ends_with("List")) =>
        {
            if let Some(Value::Array(items)) = m.get("items") {
                for i in items.clone() {
                    flatten(i, out);
                }
            }
        }
        Value::Array(items) => {
            for i in items {
                flatten(i, out);
            }
        }
        other => out.push(other),
    }
}

fn yaml_files(p: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
            .with_context(|| format!("reading {}", p.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() {
                yaml_files(&e, out)?;
            } else if matches!(
                e.extension().and_then(|x| x.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                out.push(e);
            }
        }
    } else {
        out.push(p.to_path_buf());
    }
    Ok(())
}

impl TestCluster {
    /// Starts the server (on its own thread and tokio runtime) and returns once it listens.
    pub fn start(opts: Options) -> anyhow::Result<TestCluster> {
        let name = opts.name.clone();
        let pki = tls::generate(&name)?;
        let admin_token = format!("admin-{}", tls::random_hex(16));
        let limited_token = format!("limited-{}", tls::random_hex(16));
        let bad_token = format!("bad-{}", tls::random_hex(16));
        let masters = vec![
            "system:masters".to_string(),
            "system:authenticated".to_string(),
        ];
        let mut tokens = HashMap::new();
        tokens.insert(
            admin_token.clone(),
            Arc::new(Identity {
                username: format!("{name}-admin"),
                groups: masters.clone(),
                rules: None,
            }),
        );
        tokens.insert(
            limited_token.clone(),
            Arc::new(Identity {
                username: "limited".into(),
                groups: vec!["system:authenticated".into()],
                rules: Some(limited_rules()),
            }),
        );
        for u in &opts.users {
            tokens.insert(
                u.token.clone(),
                Arc::new(Identity {
                    username: u.name.clone(),
                    groups: vec!["system:authenticated".into()],
                    rules: Some(u.rules.clone()),
                }),
            );
        }
        let mut store = store::Store::new(pki.ca_pem.clone());
        store.bootstrap();
        let faults = Faults::default();
        for f in &opts.faults {
            faults.add_spec(f)?;
        }
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            faults,
            counts: Mutex::new(HashMap::new()),
            tokens,
            cert_der: pki.client_cert_der.clone(),
            cert_identity: Arc::new(Identity {
                username: "cert-admin".into(),
                groups: masters,
                rules: None,
            }),
            port: Default::default(),
            endpoints: admission::Endpoints::new(opts.service_endpoints.clone()),
        });

        let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port))
            .with_context(|| format!("binding 127.0.0.1:{}", opts.port))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        shared
            .port
            .store(port, std::sync::atomic::Ordering::Relaxed);

        let (kubeconfig, tempfile) = match &opts.kubeconfig {
            Some(p) => (p.clone(), None),
            None => {
                let t = tempfile::Builder::new()
                    .prefix(&format!("{name}-kubeconfig-"))
                    .suffix(".yaml")
                    .tempfile()?
                    .into_temp_path();
                (t.to_path_buf(), Some(t))
            }
        };
        let url = format!("https://127.0.0.1:{port}");
        let kc = kubeconfig_yaml(
            &name,
            &url,
            &pki,
            &admin_token,
            &limited_token,
            &bad_token,
            &opts.users,
        )?;
        if let Some(dir) = kubeconfig.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).ok();
        }
        std::fs::write(&kubeconfig, kc)
            .with_context(|| format!("writing {}", kubeconfig.display()))?;

        let mut files = vec![];
        for p in &opts.load {
            yaml_files(p, &mut files)?;
        }
        let tc_shared = shared.clone();
        let (tx, rx) = tokio::sync::watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<()>>();
        let server_config = pki.server_config.clone();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-server"))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .thread_name("testcluster-worker")
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.into()));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.into()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let ctl = tokio::spawn(control_loop::run(tc_shared.clone(), rx.clone()));
                    server::serve(listener, server_config, tc_shared, rx).await;
                    ctl.abort();
                });
                rt.shutdown_timeout(std::time::Duration::from_millis(200));
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => bail!("server thread ended before listening"),
        }
        let tc = TestCluster {
            shared,
            port,
            kubeconfig,
            _tempfile: tempfile,
            ca_pem: pki.ca_pem,
            shutdown: Some(tx),
            thread: Some(thread),
        };
        for f in files {
            let text =
                std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
            tc.load_yaml(&text)
                .with_context(|| format!("loading {}", f.display()))?;
        }
        Ok(tc)
    }

    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }
    pub fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }
    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }
    /// Dials admission webhooks given as `clientConfig.service` {namespace, name} at `addr`
    /// (`host:port`) from now on, instead of `127.0.0.1:<service port>` (like
    /// [`Options::service_endpoints`], for a webhook started after the cluster).
    pub fn set_service_endpoint(&self, namespace: &str, name: &str, addr: &str) {
        self.shared.endpoints.set(namespace, name, addr);
    }
    /// Requests whose path starts with `path_prefix` (query excluded) so far.
    pub fn request_count(&self, path_prefix: &str) -> usize {
        match self.shared.counts.lock() {
            Ok(c) => c
                .iter()
                .filter(|(p, _)| p.starts_with(path_prefix))
                .map(|(_, n)| n)
                .sum(),
            Err(_) => 0,
        }
    }

    /// Stores objects directly (multi-document YAML, `kind: List` ok): namespaces and CRDs
    /// first, missing namespaces created, status kept as given.
    pub fn load_yaml(&self, text: &str) -> anyhow::Result<()> {
        let mut docs = parse_yaml_docs(text)?;
        let rank = |v: &Value| match v.get("kind").and_then(Value::as_str) {
            Some("Namespace") => 0,
            Some("CustomResourceDefinition") => 1,
            _ => 2,
        };
        docs.sort_by_key(rank);
        let mut st = self.shared.lock_store();
        for d in docs {
            let av = d
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let kind = d
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let Some((def, version)) = st.registry.find_kind(&av, &kind) else {
                bail!("unknown kind {kind} in {av}");
            };
            let ns = if def.namespaced {
                Some(
                    store::meta_str(&d, "namespace")
                        .unwrap_or("default")
                        .to_string(),
                )
            } else {
                None
            };
            let name = store::meta_str(&d, "name").unwrap_or("").to_string();
            let ctx = store::WriteCtx::direct();
            match st.get(&def, ns.as_deref(), &name) {
                Some(old) => {
                    st.update(&def, &version, &old, d, None, &ctx, false)
                        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
                }
                None => {
                    st.create(&def, &version, ns.as_deref(), d, &ctx, false)
                        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
                }
            }
        }
        Ok(())
    }

    /// The store's current resourceVersion (it moves with every write).
    pub fn resource_version(&self) -> u64 {
        self.shared.lock_store().rv
    }

    /// Waits until the controller has stopped working: no write for `quiet` and, over that
    /// window, under a tenth of a core used by this process (a controller call on a large
    /// store can run for seconds before it writes); at most `limit`. True when it settled.
    /// Benchmarks measure after this, not while the controller still creates and updates
    /// ReplicaSets and Pods beside the command measured.
    pub fn settle(&self, quiet: std::time::Duration, limit: std::time::Duration) -> bool {
        let start = std::time::Instant::now();
        let mut last = self.resource_version();
        let mut since = std::time::Instant::now();
        let mut cpu_at_since = process_cpu_seconds();
        while start.elapsed() < limit {
            std::thread::sleep(std::time::Duration::from_millis(200));
            let rv = self.resource_version();
            let cpu = process_cpu_seconds();
            if rv != last {
                last = rv;
                since = std::time::Instant::now();
                cpu_at_since = cpu;
            } else if since.elapsed() >= quiet {
                let busy = cpu - cpu_at_since;
                if busy < since.elapsed().as_secs_f64() / 10.0 {
                    return true;
                }
                since = std::time::Instant::now();
                cpu_at_since = cpu;
            }
        }
        false
    }

    /// A snapshot of every stored object.
    pub fn objects(&self) -> Vec<Value> {
        let st = self.shared.lock_store();
        st.all_objects().into_iter().map(|a| (*a).clone()).collect()
    }

    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let st = self.shared.lock_store();
        let (def, _) = st.registry.find_kind(api_version, kind)?;
        let ns = if def.namespaced {
            Some(namespace.unwrap_or("default"))
        } else {
            None
        };
        st.get(&def, ns, name).map(|a| (*a).clone())
    }

    /// Deletes one object directly (as a test's "the object was lost"); `None` when it
    /// was not there.
    pub fn delete(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let mut st = self.shared.lock_store();
        let (def, _) = st.registry.find_kind(api_version, kind)?;
        let ns = if def.namespaced {
            Some(namespace.unwrap_or("default"))
        } else {
            None
        };
        let ctx = store::WriteCtx::direct();
        st.delete(&def, ns, name, Some("Background"), None, &ctx)
            .ok()
            .map(|(v, _)| (*v).clone())
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn kubeconfig_yaml(
    name: &str,
    url: &str,
    pki: &tls::Pki,
    admin_token: &str,
    limited_token: &str,
    bad_token: &str,
    users: &[User],
) -> anyhow::Result<String> {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let ctx = |cname: String, user: String| json!({"name": cname, "context": {"cluster": name, "user": user, "namespace": "default"}});
    let mut contexts = vec![
        ctx(name.to_string(), format!("{name}-admin")),
        ctx(format!("{name}-cert"), format!("{name}-cert")),
        ctx(format!("{name}-limited"), format!("{name}-limited")),
        ctx(format!("{name}-badtoken"), format!("{name}-badtoken")),
    ];
    let mut kusers = vec![
        json!({"name": format!("{name}-admin"), "user": {"token": admin_token}}),
        json!({"name": format!("{name}-cert"), "user": {
            "client-certificate-data": b64(&pki.client_cert_pem),
            "client-key-data": b64(&pki.client_key_pem)}}),
        json!({"name": format!("{name}-limited"), "user": {"token": limited_token}}),
        json!({"name": format!("{name}-badtoken"), "user": {"token": bad_token}}),
    ];
    for u in users {
        contexts.push(ctx(
            format!("{name}-{}", u.name),
            format!("{name}-{}", u.name),
        ));
        kusers.push(json!({"name": format!("{name}-{}", u.name), "user": {"token": u.token}}));
    }
    let kc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": name, "cluster": {
            "server": url,
            "certificate-authority-data": b64(&pki.ca_pem)}}],
        "contexts": contexts,
        "users": kusers,
        "current-context": name,
    });
    Ok(serde_yaml::to_string(&kc)?)
}

/// CPU seconds (user and system) this process has used, from /proc (0 where there is none).
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The fields after the command name (which may hold spaces, inside parentheses).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime: fields 14 and 15 of the line, 11 and 12 counted after the name.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}
