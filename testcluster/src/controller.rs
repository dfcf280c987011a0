//! The built-in controller: what kube-controller-manager and a kubelet with one
//! node (`testcluster-node`) would do, as a pure function of a snapshot of all
//! stored objects and the current time.
//!
//! [`reconcile`] returns the changes to make. It is idempotent: in a steady
//! state it returns nothing. Everything time-based derives from `now` and from
//! timestamps stored in the objects (creation timestamps, condition times).
//!
//! Fault injection, read from a pod's own spec and annotations (so inherited
//! from workload templates):
//! - an image containing `never-ready`: running, never ready;
//! - `crashloop`: `CrashLoopBackOff`, restart count +1 every 2 s;
//! - `imagepull` or `does-not-exist`: `ErrImagePull`, then `ImagePullBackOff`;
//! - annotation `testcluster.confgate.dev/ready-after: "5s"`: ready that long
//!   after the pod's creation;
//! - annotation `testcluster.confgate.dev/fail-after: "3s"`: the containers exit
//!   with code 1 that long after creation (then crash-loop, or the pod fails
//!   when its restart policy is `Never`).

use jiff::Timestamp;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// The one node pods run on.
pub const NODE_NAME: &str = "testcluster-node";
const HOST_IP: &str = "172.18.0.2";
pub const READY_AFTER: &str = "testcluster.confgate.dev/ready-after";
pub const FAIL_AFTER: &str = "testcluster.confgate.dev/fail-after";
const REVISION: &str = "deployment.kubernetes.io/revision";
/// Restart interval of a crash-looping container, in ms.
const CRASH_PERIOD_MS: i64 = 2000;
/// How long a Job's pod runs before it completes, in ms.
const JOB_RUN_MS: i64 = 1000;
/// At most this many pods are created per owner and call (like the slow start
/// of the real controllers), so a huge replica count cannot flood the store.
const MAX_CREATE: i64 = 500;
/// How long an image pull fails with `ErrImagePull` before `ImagePullBackOff`.
const PULL_BACKOFF_MS: i64 = 2000;

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Create or replace a whole object; the server keeps/assigns uid,
    /// resourceVersion, creationTimestamp when absent.
    Put(Value),
    /// An object whose `.status` replaces the stored object's status.
    Status(Value),
    Delete {
        api_version: String,
        kind: String,
        namespace: Option<String>,
        name: String,
    },
    /// A core/v1 Event to create.
    Event(Value),
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    Some(cur)
}

fn gs<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

fn gi(v: &Value, path: &[&str]) -> Option<i64> {
    get(v, path).and_then(Value::as_i64)
}

fn name(v: &Value) -> &str {
    gs(v, &["metadata", "name"]).unwrap_or("")
}

fn namespace(v: &Value) -> &str {
    gs(v, &["metadata", "namespace"])
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
}

fn uid(v: &Value) -> Option<&str> {
    gs(v, &["metadata", "uid"]).filter(|s| !s.is_empty())
}

fn kind(v: &Value) -> &str {
    gs(v, &["kind"]).unwrap_or("")
}

fn api_version(v: &Value) -> &str {
    gs(v, &["apiVersion"]).unwrap_or("")
}

fn group(v: &Value) -> &str {
    api_version(v).split_once('/').map_or("", |(g, _)| g)
}

fn deleting(v: &Value) -> bool {
    get(v, &["metadata", "deletionTimestamp"]).is_some_and(|t| !t.is_null())
}

fn generation(v: &Value) -> i64 {
    gi(v, &["metadata", "generation"]).unwrap_or(1)
}

fn replicas(v: &Value) -> i64 {
    gi(v, &["spec", "replicas"]).unwrap_or(1).max(0)
}

fn controller_uid(v: &Value) -> Option<&str> {
    get(v, &["metadata", "ownerReferences"])?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|r| r.get("uid"))
        .and_then(Value::as_str)
}

fn controller_kind(v: &Value) -> Option<&str> {
    get(v, &["metadata", "ownerReferences"])?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|r| r.get("kind"))
        .and_then(Value::as_str)
}

fn annotation<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, &["metadata", "annotations", key]).and_then(Value::as_str)
}

fn parse_ts(s: &str) -> Option<i64> {
    s.parse::<Timestamp>().ok().map(Timestamp::as_millisecond)
}

fn fmt_ts(ms: i64) -> String {
    Timestamp::from_second(ms.div_euclid(1000))
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// "5s", "500ms", "1m", "1.5s", "2" (seconds) → milliseconds.
fn parse_duration_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let (num, factor) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3_600_000.0)
    } else {
        (s, 1000.0)
    };
    let n: f64 = num.trim().parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    Some((n * factor).min(1e15) as i64)
}

fn sha(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().into()
}

fn hex16(parts: &[&str]) -> String {
    sha(parts)[..8].iter().map(|b| format!("{b:02x}")).collect()
}

const ALNUM: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn alnum(parts: &[&str], n: usize) -> String {
    sha(parts)
        .iter()
        .take(n)
        .map(|b| ALNUM[*b as usize % ALNUM.len()] as char)
        .collect()
}

/// JSON with object keys sorted, whatever the map implementation.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(c) = m.get(*k) {
                    canonical(c, out);
                }
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, c) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(c, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn template_hash(template: &Value) -> String {
    let mut s = String::new();
    canonical(template, &mut s);
    alnum(&[&s], 10)
}

fn pod_ready(p: &Value) -> bool {
    get(p, &["status", "conditions"])
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Ready")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

fn min_ready_ms(workload: &Value) -> i64 {
    gi(workload, &["spec", "minReadySeconds"])
        .unwrap_or(0)
        .clamp(0, i64::MAX / 1000)
        * 1000
}

/// Ready for at least `min_ready_ms` (the pod's Ready condition transition time).
fn pod_available(p: &Value, min_ready_ms: i64, now_ms: i64) -> bool {
    if !pod_ready(p) {
        return false;
    }
    if min_ready_ms == 0 {
        return true;
    }
    let since = get(p, &["status", "conditions"])
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        })
        .and_then(|c| gs(c, &["lastTransitionTime"]))
        .and_then(parse_ts);
    since.is_some_and(|t| now_ms.saturating_sub(t) >= min_ready_ms)
}

fn pod_phase(p: &Value) -> &str {
    gs(p, &["status", "phase"]).unwrap_or("Pending")
}

fn pod_active(p: &Value) -> bool {
    !deleting(p) && !matches!(pod_phase(p), "Succeeded" | "Failed")
}

fn labels_match(labels: Option<&Value>, selector: &Map<String, Value>) -> bool {
    let Some(l) = labels.and_then(Value::as_object) else {
        return selector.is_empty();
    };
    selector.iter().all(|(k, v)| l.get(k) == Some(v))
}

/// A condition with its times kept when nothing changed.
fn condition(
    existing: Option<&Value>,
    ctype: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: &str,
    update_time: bool,
) -> Value {
    let prev = existing.and_then(Value::as_array).and_then(|cs| {
        cs.iter()
            .find(|c| c.get("type").and_then(Value::as_str) == Some(ctype))
    });
    let prev_s = |k: &str| prev.and_then(|p| p.get(k)).and_then(Value::as_str);
    let same_status = prev_s("status") == Some(status);
    let transition = match prev_s("lastTransitionTime") {
        Some(t) if same_status => t.to_string(),
        _ => now.to_string(),
    };
    let mut c = Map::new();
    c.insert("type".into(), json!(ctype));
    c.insert("status".into(), json!(status));
    if update_time {
        let lut = match prev_s("lastUpdateTime") {
            Some(t)
                if same_status
                    && prev_s("reason") == Some(reason)
                    && prev_s("message") == Some(message) =>
            {
                t.to_string()
            }
            _ => now.to_string(),
        };
        c.insert("lastUpdateTime".into(), json!(lut));
    }
    c.insert("lastTransitionTime".into(), json!(transition));
    c.insert("reason".into(), json!(reason));
    c.insert("message".into(), json!(message));
    Value::Object(c)
}

fn owner_ref(owner: &Value) -> Value {
    json!({
        "apiVersion": api_version(owner),
        "kind": kind(owner),
        "name": name(owner),
        "uid": uid(owner).unwrap_or(""),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

fn with_status(obj: &Value, status: Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.insert("status".into(), status);
    }
    o
}

// ---------------------------------------------------------------------------
// The snapshot index and the output
// ---------------------------------------------------------------------------

struct Ctx<'a> {
    now_ms: i64,
    now: String,
    /// Pods by their controller's uid.
    pods_by_owner: HashMap<&'a str, Vec<&'a Value>>,
    rs_by_owner: HashMap<&'a str, Vec<&'a Value>>,
    cr_by_owner: HashMap<&'a str, Vec<&'a Value>>,
    jobs_by_owner: HashMap<&'a str, Vec<&'a Value>>,
    /// Pods by namespace.
    /// Pods by (namespace, label key, label value).
    pods_by_label: HashMap<(&'a str, &'a str, &'a str), Vec<&'a Value>>,
    /// Taken names per (kind, namespace).
    names: HashSet<(&'a str, &'a str, &'a str)>,
    /// Names given out during this call (kind, namespace, name).
    new_names: HashSet<(String, String, String)>,
    /// Where the search for a free pod name goes on, per owner.
    name_counters: HashMap<String, u64>,
    endpoints: HashMap<(&'a str, &'a str), &'a Value>,
    out: Vec<Change>,
}

impl<'a> Ctx<'a> {
    fn taken(&self, kind: &str, ns: &str, name: &str) -> bool {
        self.names.contains(&(kind, ns, name))
            || self
                .new_names
                .contains(&(kind.to_string(), ns.to_string(), name.to_string()))
    }

    fn take(&mut self, kind: &str, ns: &str, name: &str) {
        self.new_names
            .insert((kind.to_string(), ns.to_string(), name.to_string()));
    }

    fn owned_pods(&self, owner: &Value) -> Vec<&'a Value> {
        uid(owner)
            .and_then(|u| self.pods_by_owner.get(u))
            .cloned()
            .unwrap_or_default()
    }

    fn status(&mut self, obj: &Value, status: Value) {
        if obj.get("status") != Some(&status) {
            self.out.push(Change::Status(with_status(obj, status)));
        }
    }

    fn delete(&mut self, obj: &Value) {
        let ns = gs(obj, &["metadata", "namespace"]).map(str::to_string);
        self.out.push(Change::Delete {
            api_version: api_version(obj).to_string(),
            kind: kind(obj).to_string(),
            namespace: ns,
            name: name(obj).to_string(),
        });
    }

    /// Emits an event once per (object, reason, occurrence).
    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        obj: &Value,
        reason: &str,
        message: &str,
        etype: &str,
        component: &str,
        occurrence: &str,
        field_path: Option<&str>,
    ) {
        self.event_counted(
            obj, reason, message, etype, component, occurrence, field_path, None,
        );
    }

    /// `repeat`: (count, firstTimestamp) of a recurring event, written over the
    /// earlier occurrence of the same name.
    #[allow(clippy::too_many_arguments)]
    fn event_counted(
        &mut self,
        obj: &Value,
        reason: &str,
        message: &str,
        etype: &str,
        component: &str,
        occurrence: &str,
        field_path: Option<&str>,
        repeat: Option<(i64, String)>,
    ) {
        let ns = namespace(obj);
        let obj_uid = uid(obj).unwrap_or("");
        // Controller events go with an action taken once, at this time; pod
        // events with status transitions (see `implied_events`).
        let stamp = if component == "kubelet" || component == "default-scheduler" {
            String::new()
        } else {
            self.now_ms.to_string()
        };
        let ev_name = format!(
            "{}.{}",
            name(obj),
            hex16(&[
                obj_uid,
                kind(obj),
                ns,
                name(obj),
                reason,
                occurrence,
                &stamp
            ])
        );
        let dup = if repeat.is_some() {
            self.new_names
                .contains(&("Event".to_string(), ns.to_string(), ev_name.clone()))
        } else {
            self.taken("Event", ns, &ev_name)
        };
        if dup {
            return;
        }
        self.take("Event", ns, &ev_name);
        let (count, first) = repeat.unwrap_or_else(|| (1, self.now.clone()));
        let mut involved = json!({
            "kind": kind(obj),
            "namespace": ns,
            "name": name(obj),
            "uid": obj_uid,
            "apiVersion": api_version(obj),
        });
        if let (Some(fp), Some(m)) = (field_path, involved.as_object_mut()) {
            m.insert("fieldPath".into(), json!(fp));
        }
        let mut source = json!({ "component": component });
        if component == "kubelet"
            && let Some(m) = source.as_object_mut()
        {
            m.insert("host".into(), json!(NODE_NAME));
        }
        self.out.push(Change::Event(json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": { "name": ev_name, "namespace": ns },
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": etype,
            "source": source,
            "reportingComponent": component,
            "reportingInstance": if component == "kubelet" { NODE_NAME } else { component },
            "firstTimestamp": first,
            "lastTimestamp": self.now,
            "count": count,
        })));
    }

    /// A deterministic free pod name `<owner>-<5 chars>`.
    /// `seed` varies the names between generations (e.g. a template hash).
    fn pod_name(&mut self, owner: &Value, ns: &str, seed: &str) -> String {
        let base = name(owner);
        let u = uid(owner).unwrap_or("");
        let counter_key = format!("{u}/{seed}");
        let mut i: u64 = self.name_counters.get(&counter_key).copied().unwrap_or(0);
        let start = i;
        loop {
            let idx = i.to_string();
            let n = format!("{base}-{}", alnum(&[u, seed, &idx], 5));
            if !self.taken("Pod", ns, &n) || i > start + 100_000 {
                self.take("Pod", ns, &n);
                self.name_counters.insert(counter_key, i.saturating_add(1));
                return n;
            }
            i += 1;
        }
    }

    /// A pod from a template, with the owner reference and node set.
    fn new_pod(
        &mut self,
        owner: &Value,
        template: &Value,
        pod_name: &str,
        extra_labels: &[(&str, String)],
    ) -> Value {
        let ns = namespace(owner);
        let mut meta = Map::new();
        meta.insert("name".into(), json!(pod_name));
        meta.insert("namespace".into(), json!(ns));
        meta.insert("generateName".into(), json!(format!("{}-", name(owner))));
        let mut labels = get(template, &["metadata", "labels"])
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (k, v) in extra_labels {
            labels.insert((*k).to_string(), json!(v));
        }
        if !labels.is_empty() {
            meta.insert("labels".into(), Value::Object(labels));
        }
        if let Some(a) = get(template, &["metadata", "annotations"]).filter(|a| a.is_object()) {
            meta.insert("annotations".into(), a.clone());
        }
        meta.insert("ownerReferences".into(), json!([owner_ref(owner)]));
        let mut spec = get(template, &["spec"])
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        spec.insert("nodeName".into(), json!(NODE_NAME));
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": spec,
        })
    }
}

// ---------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------

/// Called every ~100 ms with a snapshot of all stored objects. Idempotent: for
/// a steady state it returns no changes.
pub fn reconcile(objects: &[Value], now: Timestamp) -> Vec<Change> {
    let now_ms = now.as_millisecond();
    let mut ctx = Ctx {
        now_ms,
        now: fmt_ts(now_ms),
        pods_by_owner: HashMap::new(),
        rs_by_owner: HashMap::new(),
        cr_by_owner: HashMap::new(),
        jobs_by_owner: HashMap::new(),
        pods_by_label: HashMap::new(),
        names: HashSet::new(),
        new_names: HashSet::new(),
        name_counters: HashMap::new(),
        endpoints: HashMap::new(),
        out: Vec::new(),
    };
    let mut deployments = Vec::new();
    let mut replicasets = Vec::new();
    let mut statefulsets = Vec::new();
    let mut daemonsets = Vec::new();
    let mut jobs = Vec::new();
    let mut cronjobs = Vec::new();
    let mut pods = Vec::new();
    let mut services = Vec::new();
    let mut other = Vec::new();
    for o in objects {
        let k = kind(o);
        let g = group(o);
        match (k, g) {
            ("Pod", "") => {
                pods.push(o);
                ctx.names.insert(("Pod", namespace(o), name(o)));
                if let Some(l) = get(o, &["metadata", "labels"]).and_then(Value::as_object) {
                    let ns = namespace(o);
                    for (k, v) in l {
                        if let Some(v) = v.as_str() {
                            ctx.pods_by_label.entry((ns, k, v)).or_default().push(o);
                        }
                    }
                }
                if let Some(u) = controller_uid(o) {
                    ctx.pods_by_owner.entry(u).or_default().push(o);
                }
            }
            ("Event", "") | ("Event", "events.k8s.io") => {
                ctx.names.insert(("Event", namespace(o), name(o)));
            }
            ("ConfigMap", "") | ("Secret", "") => {}
            ("Deployment", "apps") => deployments.push(o),
            ("ReplicaSet", "apps") => {
                if let Some(u) = controller_uid(o) {
                    ctx.rs_by_owner.entry(u).or_default().push(o);
                }
                replicasets.push(o);
            }
            ("ReplicationController", "") => replicasets.push(o),
            ("StatefulSet", "apps") => statefulsets.push(o),
            ("DaemonSet", "apps") => daemonsets.push(o),
            ("Job", "batch") => {
                ctx.names.insert(("Job", namespace(o), name(o)));
                if let Some(u) = controller_uid(o) {
                    ctx.jobs_by_owner.entry(u).or_default().push(o);
                }
                jobs.push(o);
            }
            ("CronJob", "batch") => cronjobs.push(o),
            ("ControllerRevision", "apps") => {
                if let Some(u) = controller_uid(o) {
                    ctx.cr_by_owner.entry(u).or_default().push(o);
                }
                ctx.names
                    .insert(("ControllerRevision", namespace(o), name(o)));
            }
            ("Service", "") => services.push(o),
            ("Endpoints", "") => {
                ctx.endpoints.insert((namespace(o), name(o)), o);
            }
            ("PersistentVolumeClaim", "") => {
                ctx.names
                    .insert(("PersistentVolumeClaim", namespace(o), name(o)));
                other.push(o);
            }
            ("Namespace", "") => other.push(o),
            _ => {}
        }
    }
    for d in deployments.into_iter().filter(|o| !deleting(o)) {
        reconcile_deployment(&mut ctx, d);
    }
    for r in replicasets.into_iter().filter(|o| !deleting(o)) {
        reconcile_replicaset(&mut ctx, r);
    }
    for s in statefulsets.into_iter().filter(|o| !deleting(o)) {
        reconcile_statefulset(&mut ctx, s);
    }
    for d in daemonsets.into_iter().filter(|o| !deleting(o)) {
        reconcile_daemonset(&mut ctx, d);
    }
    for c in cronjobs.into_iter().filter(|o| !deleting(o)) {
        reconcile_cronjob(&mut ctx, c);
    }
    for j in jobs.into_iter().filter(|o| !deleting(o)) {
        reconcile_job(&mut ctx, j);
    }
    for p in pods.into_iter().filter(|o| !deleting(o)) {
        reconcile_pod(&mut ctx, p);
    }
    for s in services.into_iter().filter(|o| !deleting(o)) {
        reconcile_service(&mut ctx, s);
    }
    for o in other.into_iter().filter(|o| !deleting(o)) {
        match kind(o) {
            "Namespace" => {
                let mut st = o.get("status").cloned().unwrap_or_else(|| json!({}));
                if let Some(m) = st.as_object_mut() {
                    m.insert("phase".into(), json!("Active"));
                }
                ctx.status(o, st);
            }
            "PersistentVolumeClaim" => {
                let mut st = json!({ "phase": "Bound" });
                if let Some(m) = st.as_object_mut() {
                    if let Some(a) = get(o, &["spec", "accessModes"]) {
                        m.insert("accessModes".into(), a.clone());
                    }
                    if let Some(s) = get(o, &["spec", "resources", "requests", "storage"]) {
                        m.insert("capacity".into(), json!({ "storage": s }));
                    }
                }
                ctx.status(o, st);
            }
            _ => {}
        }
    }
    ctx.out
}

// ---------------------------------------------------------------------------
// Deployments
// ---------------------------------------------------------------------------

fn revision_of(rs: &Value) -> i64 {
    annotation(rs, REVISION)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn int_or_percent(v: Option<&Value>, total: i64, default_pct: i64, round_up: bool) -> i64 {
    let pct = |p: i64| {
        let x = total.saturating_mul(p);
        if round_up {
            x.saturating_add(99) / 100
        } else {
            x / 100
        }
    };
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0).max(0),
        Some(Value::String(s)) => s
            .strip_suffix('%')
            .and_then(|p| p.trim().parse::<i64>().ok())
            .map_or(pct(default_pct), |p| pct(p.clamp(0, 100))),
        _ => pct(default_pct),
    }
}

fn set_replicas(rs: &Value, n: i64, extra_annotations: &[(&str, String)]) -> Value {
    let mut o = rs.clone();
    if let Some(spec) = o.get_mut("spec").and_then(Value::as_object_mut) {
        spec.insert("replicas".into(), json!(n));
    }
    set_annotations(&mut o, extra_annotations);
    o
}

fn set_annotations(o: &mut Value, kv: &[(&str, String)]) {
    if kv.is_empty() {
        return;
    }
    let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let ann = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if !ann.is_object() {
        *ann = Value::Object(Map::new());
    }
    if let Some(a) = ann.as_object_mut() {
        for (k, v) in kv {
            a.insert((*k).to_string(), json!(v));
        }
    }
}

fn reconcile_deployment(ctx: &mut Ctx<'_>, d: &Value) {
    let Some(d_uid) = uid(d) else { return };
    let Some(template) = get(d, &["spec", "template"]).filter(|t| t.is_object()) else {
        return;
    };
    let ns = namespace(d);
    let desired = replicas(d);
    let paused = get(d, &["spec", "paused"]).and_then(Value::as_bool) == Some(true);
    let recreate = gs(d, &["spec", "strategy", "type"]) == Some("Recreate");
    let max_surge = if recreate {
        0
    } else {
        int_or_percent(
            get(d, &["spec", "strategy", "rollingUpdate", "maxSurge"]),
            desired,
            25,
            true,
        )
    };
    let max_unavailable = if recreate || desired == 0 {
        0
    } else {
        int_or_percent(
            get(d, &["spec", "strategy", "rollingUpdate", "maxUnavailable"]),
            desired,
            25,
            false,
        )
    };
    let hash = template_hash(template);
    let owned: Vec<&Value> = ctx
        .rs_by_owner
        .get(d_uid)
        .map(|v| v.iter().copied().filter(|r| !deleting(r)).collect())
        .unwrap_or_default();
    let max_rev = owned.iter().map(|r| revision_of(r)).max().unwrap_or(0);
    let new_rs = owned
        .iter()
        .copied()
        .find(|r| gs(r, &["metadata", "labels", "pod-template-hash"]) == Some(hash.as_str()));
    let dname = name(d);
    let mut created_rs: Option<String> = None;
    let mut revision = annotation(d, REVISION).map(str::to_string);
    let rs_ann = |rev: i64| {
        vec![
            (REVISION, rev.to_string()),
            (
                "deployment.kubernetes.io/desired-replicas",
                desired.to_string(),
            ),
            (
                "deployment.kubernetes.io/max-replicas",
                desired.saturating_add(max_surge).to_string(),
            ),
        ]
    };
    // Ready pods of the new ReplicaSet (from the stored pods).
    let mut new_ready = 0;
    match new_rs {
        None if !paused => {
            let rs_name = format!("{dname}-{hash}");
            let rev = max_rev.saturating_add(1);
            let mut tpl = template.clone();
            if let Some(m) = tpl.as_object_mut() {
                let meta = m
                    .entry("metadata")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(meta) = meta.as_object_mut() {
                    let labels = meta
                        .entry("labels")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Some(l) = labels.as_object_mut() {
                        l.insert("pod-template-hash".into(), json!(hash));
                    }
                }
            }
            let mut selector = get(d, &["spec", "selector"])
                .cloned()
                .filter(Value::is_object)
                .unwrap_or_else(|| json!({}));
            if let Some(s) = selector.as_object_mut() {
                let ml = s
                    .entry("matchLabels")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(ml) = ml.as_object_mut() {
                    ml.insert("pod-template-hash".into(), json!(hash));
                }
            }
            let labels = get(&tpl, &["metadata", "labels"])
                .cloned()
                .unwrap_or_else(|| json!({}));
            let mut annotations = Map::new();
            for (k, v) in rs_ann(rev) {
                annotations.insert(k.to_string(), json!(v));
            }
            let mut spec = json!({
                "replicas": desired,
                "selector": selector,
                "template": tpl,
            });
            if let (Some(m), Some(mrs)) =
                (spec.as_object_mut(), get(d, &["spec", "minReadySeconds"]))
            {
                m.insert("minReadySeconds".into(), mrs.clone());
            }
            ctx.out.push(Change::Put(json!({
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": rs_name,
                    "namespace": ns,
                    "labels": labels,
                    "annotations": annotations,
                    "ownerReferences": [owner_ref(d)],
                },
                "spec": spec,
            })));
            ctx.event(
                d,
                "ScalingReplicaSet",
                &format!("Scaled up replica set {rs_name} from 0 to {desired}"),
                "Normal",
                "deployment-controller",
                &format!("create/{rs_name}/{rev}"),
                None,
            );
            revision = Some(rev.to_string());
            created_rs = Some(rs_name);
        }
        None => {}
        Some(rs) => {
            let mut rev = revision_of(rs);
            let mut ann = Vec::new();
            if rev < max_rev || rev == 0 {
                // Rolled back to an older template: it becomes the newest revision.
                rev = max_rev.max(rev).saturating_add(1);
                ann = rs_ann(rev);
            }
            let cur = replicas(rs);
            if cur != desired {
                ann = rs_ann(rev);
                ctx.out.push(Change::Put(set_replicas(rs, desired, &ann)));
                let verb = if desired > cur { "up" } else { "down" };
                ctx.event(
                    d,
                    "ScalingReplicaSet",
                    &format!(
                        "Scaled {verb} replica set {} from {cur} to {desired}",
                        name(rs)
                    ),
                    "Normal",
                    "deployment-controller",
                    &format!("scale/{}/{rev}/{cur}/{desired}/{}", name(rs), generation(d)),
                    None,
                );
            } else if !ann.is_empty() {
                let mut o = rs.clone();
                set_annotations(&mut o, &ann);
                ctx.out.push(Change::Put(o));
            }
            revision = Some(rev.to_string());
            new_ready = ctx
                .owned_pods(rs)
                .iter()
                .filter(|p| pod_active(p) && pod_ready(p))
                .count() as i64;
        }
    }
    // Old ReplicaSets go to zero once the new one is ready.
    let new_uid = new_rs.and_then(uid);
    let scale_down_old = !paused && (recreate || (new_rs.is_some() && new_ready >= desired));
    let mut old: Vec<&Value> = owned
        .iter()
        .copied()
        .filter(|r| new_uid.is_none() || uid(r) != new_uid)
        .collect();
    if scale_down_old {
        for rs in &old {
            let cur = replicas(rs);
            if cur > 0 {
                ctx.out.push(Change::Put(set_replicas(rs, 0, &[])));
                ctx.event(
                    d,
                    "ScalingReplicaSet",
                    &format!("Scaled down replica set {} from {cur} to 0", name(rs)),
                    "Normal",
                    "deployment-controller",
                    &format!(
                        "scale/{}/{}/{cur}/0/{}",
                        name(rs),
                        revision_of(rs),
                        generation(d)
                    ),
                    None,
                );
            }
        }
    }
    // History limit.
    let limit = gi(d, &["spec", "revisionHistoryLimit"])
        .unwrap_or(10)
        .max(0) as usize;
    old.sort_by_key(|r| std::cmp::Reverse(revision_of(r)));
    let idle: Vec<&Value> = old
        .iter()
        .copied()
        .filter(|r| {
            replicas(r) == 0
                && gi(r, &["status", "replicas"]).unwrap_or(0) == 0
                && ctx.owned_pods(r).iter().all(|p| !pod_active(p))
        })
        .collect();
    for r in idle.iter().skip(limit) {
        ctx.delete(r);
    }
    // The revision annotation on the Deployment.
    if let Some(rev) = &revision
        && annotation(d, REVISION) != Some(rev.as_str())
    {
        let mut o = d.clone();
        set_annotations(&mut o, &[(REVISION, rev.clone())]);
        ctx.out.push(Change::Put(o));
    }

    // Status.
    let mut total = 0i64;
    let mut ready = 0i64;
    let mut available = 0i64;
    let mut updated = 0i64;
    let min_ready = min_ready_ms(d);
    for rs in &owned {
        for p in ctx.owned_pods(rs) {
            if !pod_active(p) {
                continue;
            }
            total += 1;
            if pod_ready(p) {
                ready += 1;
            }
            if pod_available(p, min_ready, ctx.now_ms) {
                available += 1;
            }
            if Some(uid(rs)) == Some(new_uid) && new_uid.is_some() {
                updated += 1;
            }
        }
    }
    let existing = get(d, &["status", "conditions"]);
    let now = ctx.now.clone();
    let avail_ok = available >= desired - max_unavailable;
    let available_cond = if avail_ok {
        condition(
            existing,
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            &now,
            true,
        )
    } else {
        condition(
            existing,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            &now,
            true,
        )
    };
    let rs_label = created_rs
        .clone()
        .or_else(|| new_rs.map(|r| name(r).to_string()))
        .unwrap_or_else(|| format!("{dname}-{hash}"));
    let complete =
        new_rs.is_some() && updated == desired && total == desired && available >= desired;
    let prev = existing.and_then(Value::as_array).and_then(|cs| {
        cs.iter()
            .find(|c| c.get("type").and_then(Value::as_str) == Some("Progressing"))
    });
    let prev_reason = prev.and_then(|p| gs(p, &["reason"]));
    let deadline_ms = gi(d, &["spec", "progressDeadlineSeconds"])
        .unwrap_or(600)
        .max(0)
        .saturating_mul(1000);
    let progressing_cond = if paused {
        condition(
            existing,
            "Progressing",
            "Unknown",
            "DeploymentPaused",
            "Deployment is paused",
            &now,
            true,
        )
    } else if complete {
        condition(
            existing,
            "Progressing",
            "True",
            "NewReplicaSetAvailable",
            &format!("ReplicaSet \"{rs_label}\" has successfully progressed."),
            &now,
            true,
        )
    } else if created_rs.is_some() {
        condition(
            existing,
            "Progressing",
            "True",
            "NewReplicaSetCreated",
            &format!("Created new replica set \"{rs_label}\""),
            &now,
            true,
        )
    } else {
        let timed_out_msg = format!("ReplicaSet \"{rs_label}\" has timed out progressing.");
        let progressing_msg = format!("ReplicaSet \"{rs_label}\" is progressing.");
        let start = match prev_reason {
            Some("ReplicaSetUpdated" | "NewReplicaSetCreated" | "FoundNewReplicaSet") => prev
                .and_then(|p| gs(p, &["lastUpdateTime"]))
                .and_then(parse_ts)
                .unwrap_or(ctx.now_ms),
            _ => ctx.now_ms,
        };
        let timed_out = prev_reason == Some("ProgressDeadlineExceeded")
            && prev.and_then(|p| gs(p, &["message"])) == Some(timed_out_msg.as_str())
            || ctx.now_ms.saturating_sub(start) > deadline_ms;
        if timed_out {
            condition(
                existing,
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                &timed_out_msg,
                &now,
                true,
            )
        } else {
            // Keep the start of the rollout as the update time.
            let mut c = condition(
                existing,
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                &progressing_msg,
                &now,
                true,
            );
            if let Some(m) = c.as_object_mut() {
                m.insert("lastUpdateTime".into(), json!(fmt_ts(start)));
            }
            c
        }
    };
    let mut status = Map::new();
    status.insert("observedGeneration".into(), json!(generation(d)));
    status.insert("replicas".into(), json!(total));
    status.insert("updatedReplicas".into(), json!(updated));
    status.insert("readyReplicas".into(), json!(ready));
    status.insert("availableReplicas".into(), json!(available));
    let unavailable = (desired.max(total) - available).max(0);
    status.insert("unavailableReplicas".into(), json!(unavailable));
    status.insert(
        "conditions".into(),
        json!([available_cond, progressing_cond]),
    );
    if let Some(cc) = get(d, &["status", "collisionCount"]) {
        status.insert("collisionCount".into(), cc.clone());
    }
    ctx.status(d, Value::Object(status));
}

// ---------------------------------------------------------------------------
// ReplicaSets and ReplicationControllers
// ---------------------------------------------------------------------------

fn reconcile_replicaset(ctx: &mut Ctx<'_>, rs: &Value) {
    if uid(rs).is_none() {
        return;
    }
    let Some(template) = get(rs, &["spec", "template"]).filter(|t| t.is_object()) else {
        return;
    };
    let ns = namespace(rs).to_string();
    let desired = replicas(rs);
    let pods: Vec<&Value> = ctx
        .owned_pods(rs)
        .into_iter()
        .filter(|p| pod_active(p))
        .collect();
    let component = if kind(rs) == "ReplicationController" {
        "replication-controller"
    } else {
        "replicaset-controller"
    };
    let have = pods.len() as i64;
    if have < desired {
        for _ in 0..(desired - have).min(MAX_CREATE) {
            let pn = ctx.pod_name(rs, &ns, annotation(rs, REVISION).unwrap_or(""));
            let pod = ctx.new_pod(rs, template, &pn, &[]);
            ctx.out.push(Change::Put(pod));
            ctx.event(
                rs,
                "SuccessfulCreate",
                &format!("Created pod: {pn}"),
                "Normal",
                component,
                &format!("create/{pn}"),
                None,
            );
        }
    } else if have > desired {
        let mut victims = pods.clone();
        // Not ready first, then the newest.
        victims.sort_by(|a, b| {
            pod_ready(a)
                .cmp(&pod_ready(b))
                .then_with(|| {
                    gs(b, &["metadata", "creationTimestamp"])
                        .cmp(&gs(a, &["metadata", "creationTimestamp"]))
                })
                .then_with(|| name(b).cmp(name(a)))
        });
        for p in victims.iter().take((have - desired) as usize) {
            ctx.delete(p);
            ctx.event(
                rs,
                "SuccessfulDelete",
                &format!("Deleted pod: {}", name(p)),
                "Normal",
                component,
                &format!("delete/{}/{}", name(p), uid(p).unwrap_or("")),
                None,
            );
        }
    }
    let tpl_labels = get(template, &["metadata", "labels"])
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let fully = pods
        .iter()
        .filter(|p| labels_match(get(p, &["metadata", "labels"]), &tpl_labels))
        .count();
    let ready = pods.iter().filter(|p| pod_ready(p)).count();
    let min_ready = min_ready_ms(rs);
    let available = pods
        .iter()
        .filter(|p| pod_available(p, min_ready, ctx.now_ms))
        .count();
    let status = json!({
        "replicas": pods.len(),
        "fullyLabeledReplicas": fully,
        "readyReplicas": ready,
        "availableReplicas": available,
        "observedGeneration": generation(rs),
    });
    ctx.status(rs, status);
}

// ---------------------------------------------------------------------------
// StatefulSets
// ---------------------------------------------------------------------------

fn reconcile_statefulset(ctx: &mut Ctx<'_>, s: &Value) {
    let Some(s_uid) = uid(s) else { return };
    let Some(template) = get(s, &["spec", "template"]).filter(|t| t.is_object()) else {
        return;
    };
    let ns = namespace(s).to_string();
    let sname = name(s).to_string();
    let desired = replicas(s);
    let update_rev = format!("{sname}-{}", template_hash(template));
    let parallel = gs(s, &["spec", "podManagementPolicy"]) == Some("Parallel");
    let on_delete = gs(s, &["spec", "updateStrategy", "type"]) == Some("OnDelete");
    let partition = gi(s, &["spec", "updateStrategy", "rollingUpdate", "partition"])
        .unwrap_or(0)
        .max(0);

    // ControllerRevision for the current template.
    if !ctx.taken("ControllerRevision", &ns, &update_rev) {
        let max = ctx
            .cr_by_owner
            .get(s_uid)
            .map(|v| {
                v.iter()
                    .filter_map(|c| gi(c, &["revision"]))
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        let labels = get(template, &["metadata", "labels"])
            .cloned()
            .unwrap_or_else(|| json!({}));
        ctx.take("ControllerRevision", &ns, &update_rev);
        ctx.out.push(Change::Put(json!({
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {
                "name": update_rev,
                "namespace": ns,
                "labels": labels,
                "ownerReferences": [owner_ref(s)],
            },
            "data": { "spec": { "template": template } },
            "revision": max.saturating_add(1),
        })));
    }

    let mut by_ordinal: HashMap<i64, &Value> = HashMap::new();
    let prefix = format!("{sname}-");
    for p in ctx.owned_pods(s) {
        if let Some(i) = name(p)
            .strip_prefix(&prefix)
            .and_then(|x| x.parse::<i64>().ok())
        {
            by_ordinal.insert(i, p);
        }
    }
    let mut blocked = false;
    for i in 0..desired.min(100_000) {
        match by_ordinal.get(&i) {
            None => {
                if blocked {
                    break;
                }
                let pn = format!("{sname}-{i}");
                if ctx.taken("Pod", &ns, &pn) {
                    // A pod of that name not ours (yet): wait.
                    blocked = !parallel;
                    continue;
                }
                ctx.take("Pod", &ns, &pn);
                let mut pod = ctx.new_pod(
                    s,
                    template,
                    &pn,
                    &[
                        ("controller-revision-hash", update_rev.clone()),
                        ("statefulset.kubernetes.io/pod-name", pn.clone()),
                        ("apps.kubernetes.io/pod-index", i.to_string()),
                    ],
                );
                if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.insert("hostname".into(), json!(pn));
                    if let Some(svc) = gs(s, &["spec", "serviceName"]) {
                        spec.insert("subdomain".into(), json!(svc));
                    }
                    // Volume claim templates.
                    if let Some(vcts) =
                        get(s, &["spec", "volumeClaimTemplates"]).and_then(Value::as_array)
                    {
                        let vols = spec
                            .entry("volumes")
                            .or_insert_with(|| Value::Array(Vec::new()));
                        for vct in vcts {
                            let t = name(vct);
                            if t.is_empty() {
                                continue;
                            }
                            let claim = format!("{t}-{pn}");
                            if let Some(vs) = vols.as_array_mut() {
                                vs.push(json!({"name": t, "persistentVolumeClaim": {"claimName": claim}}));
                            }
                            if !ctx.taken("PersistentVolumeClaim", &ns, &claim) {
                                ctx.take("PersistentVolumeClaim", &ns, &claim);
                                let mut pvc = json!({
                                    "apiVersion": "v1",
                                    "kind": "PersistentVolumeClaim",
                                    "metadata": {"name": claim, "namespace": ns},
                                    "spec": vct.get("spec").cloned().unwrap_or_else(|| json!({})),
                                });
                                if let (Some(l), Some(m)) = (
                                    get(s, &["spec", "selector", "matchLabels"]),
                                    pvc.get_mut("metadata").and_then(Value::as_object_mut),
                                ) {
                                    m.insert("labels".into(), l.clone());
                                }
                                ctx.out.push(Change::Put(pvc));
                            }
                        }
                    }
                }
                ctx.out.push(Change::Put(pod));
                ctx.event(
                    s,
                    "SuccessfulCreate",
                    &format!("create Pod {pn} in StatefulSet {sname} successful"),
                    "Normal",
                    "statefulset-controller",
                    &format!("create/{pn}/{update_rev}"),
                    None,
                );
                if !parallel {
                    blocked = true;
                }
            }
            Some(p) => {
                if (deleting(p) || !pod_ready(p)) && !parallel {
                    blocked = true;
                }
            }
        }
    }
    // Scale down: the highest ordinal first, one at a time.
    let mut condemned: Vec<(i64, &Value)> = by_ordinal
        .iter()
        .filter(|(i, _)| **i >= desired)
        .map(|(i, p)| (*i, *p))
        .collect();
    condemned.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
    let any_deleting = by_ordinal.values().any(|p| deleting(p));
    if !any_deleting || parallel {
        for (_, p) in condemned
            .iter()
            .filter(|(_, p)| !deleting(p))
            .take(if parallel { usize::MAX } else { 1 })
        {
            ctx.delete(p);
            ctx.event(
                s,
                "SuccessfulDelete",
                &format!("delete Pod {} in StatefulSet {sname} successful", name(p)),
                "Normal",
                "statefulset-controller",
                &format!("delete/{}/{}", name(p), uid(p).unwrap_or("")),
                None,
            );
        }
    }
    // Rolling update: the highest ordinal with an old revision, when all are ready.
    let all_ready = (0..desired).all(|i| {
        by_ordinal
            .get(&i)
            .is_some_and(|p| !deleting(p) && pod_ready(p))
    });
    if !on_delete && all_ready && condemned.is_empty() {
        let stale = (partition..desired).rev().find_map(|i| {
            by_ordinal.get(&i).copied().filter(|p| {
                gs(p, &["metadata", "labels", "controller-revision-hash"])
                    != Some(update_rev.as_str())
            })
        });
        if let Some(p) = stale {
            ctx.delete(p);
            ctx.event(
                s,
                "SuccessfulDelete",
                &format!("delete Pod {} in StatefulSet {sname} successful", name(p)),
                "Normal",
                "statefulset-controller",
                &format!("delete/{}/{}", name(p), uid(p).unwrap_or("")),
                None,
            );
        }
    }
    // Status.
    let active: Vec<&Value> = by_ordinal
        .values()
        .copied()
        .filter(|p| pod_active(p))
        .collect();
    let rev_of =
        |p: &Value| gs(p, &["metadata", "labels", "controller-revision-hash"]).map(str::to_string);
    let ready = active.iter().filter(|p| pod_ready(p)).count() as i64;
    let updated = active
        .iter()
        .filter(|p| rev_of(p).as_deref() == Some(update_rev.as_str()))
        .count() as i64;
    let mut current_rev = gs(s, &["status", "currentRevision"])
        .map(str::to_string)
        .unwrap_or_else(|| update_rev.clone());
    if updated == desired && ready == desired && active.len() as i64 == desired {
        current_rev = update_rev.clone();
    }
    let current = active
        .iter()
        .filter(|p| rev_of(p).as_deref() == Some(current_rev.as_str()))
        .count() as i64;
    let status = json!({
        "observedGeneration": generation(s),
        "replicas": active.len(),
        "readyReplicas": ready,
        "currentReplicas": current,
        "updatedReplicas": updated,
        "availableReplicas": ready,
        "currentRevision": current_rev,
        "updateRevision": update_rev,
        "collisionCount": 0,
    });
    ctx.status(s, status);
}

// ---------------------------------------------------------------------------
// DaemonSets
// ---------------------------------------------------------------------------

fn reconcile_daemonset(ctx: &mut Ctx<'_>, ds: &Value) {
    if uid(ds).is_none() {
        return;
    }
    let Some(template) = get(ds, &["spec", "template"]).filter(|t| t.is_object()) else {
        return;
    };
    let ns = namespace(ds).to_string();
    let hash = template_hash(template);
    let on_delete = gs(ds, &["spec", "updateStrategy", "type"]) == Some("OnDelete");
    let all = ctx.owned_pods(ds);
    let live: Vec<&Value> = all.iter().copied().filter(|p| !deleting(p)).collect();
    let is_current = |p: &Value| {
        gs(p, &["metadata", "labels", "controller-revision-hash"]) == Some(hash.as_str())
    };
    if all.is_empty() {
        let pn = ctx.pod_name(ds, &ns, &hash);
        let pod = ctx.new_pod(
            ds,
            template,
            &pn,
            &[
                ("controller-revision-hash", hash.clone()),
                ("pod-template-generation", generation(ds).to_string()),
            ],
        );
        ctx.out.push(Change::Put(pod));
        ctx.event(
            ds,
            "SuccessfulCreate",
            &format!("Created pod: {pn}"),
            "Normal",
            "daemonset-controller",
            &format!("create/{pn}"),
            None,
        );
    } else {
        // One pod per node: extra pods and (rolling update) old pods go.
        let mut doomed: Vec<&Value> = Vec::new();
        let keep = live
            .iter()
            .copied()
            .find(|p| is_current(p))
            .or_else(|| live.first().copied());
        for p in &live {
            if Some(*p) != keep {
                doomed.push(p);
            }
        }
        if let Some(k) = keep
            && !is_current(k)
            && !on_delete
            && live.iter().all(|p| !is_current(p))
        {
            doomed.push(k);
        }
        for p in doomed {
            ctx.delete(p);
            ctx.event(
                ds,
                "SuccessfulDelete",
                &format!("Deleted pod: {}", name(p)),
                "Normal",
                "daemonset-controller",
                &format!("delete/{}/{}", name(p), uid(p).unwrap_or("")),
                None,
            );
        }
    }
    let scheduled = live.len().min(1) as i64;
    let ready = live
        .iter()
        .filter(|p| pod_active(p) && pod_ready(p))
        .count()
        .min(1) as i64;
    let updated = live.iter().filter(|p| is_current(p)).count().min(1) as i64;
    let mut status = json!({
        "observedGeneration": generation(ds),
        "desiredNumberScheduled": 1,
        "currentNumberScheduled": scheduled,
        "numberMisscheduled": 0,
        "numberReady": ready,
        "updatedNumberScheduled": updated,
        "numberAvailable": ready,
    });
    if ready < 1
        && let Some(m) = status.as_object_mut()
    {
        m.insert("numberUnavailable".into(), json!(1 - ready));
    }
    ctx.status(ds, status);
}

// ---------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------

fn has_true_condition(v: &Value, ctype: &str) -> bool {
    get(v, &["status", "conditions"])
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some(ctype)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

fn job_condition(ctype: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({
        "type": ctype,
        "status": "True",
        "lastProbeTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    })
}

fn reconcile_job(ctx: &mut Ctx<'_>, job: &Value) {
    if uid(job).is_none() {
        return;
    }
    if has_true_condition(job, "Complete") || has_true_condition(job, "Failed") {
        return;
    }
    let Some(template) = get(job, &["spec", "template"]).filter(|t| t.is_object()) else {
        return;
    };
    let ns = namespace(job).to_string();
    let jname = name(job).to_string();
    let j_uid = uid(job).unwrap_or("").to_string();
    let suspended = get(job, &["spec", "suspend"]).and_then(Value::as_bool) == Some(true);
    let pods = ctx.owned_pods(job);
    let on_failure = gs(template, &["spec", "restartPolicy"]) == Some("OnFailure");
    let active: Vec<&Value> = pods.iter().copied().filter(|p| pod_active(p)).collect();
    let succeeded = pods.iter().filter(|p| pod_phase(p) == "Succeeded").count() as i64;
    let mut failed = pods.iter().filter(|p| pod_phase(p) == "Failed").count() as i64;
    if on_failure {
        failed += pods
            .iter()
            .filter_map(|p| get(p, &["status", "containerStatuses"]).and_then(Value::as_array))
            .flatten()
            .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
            .sum::<i64>();
    }
    let ready = active.iter().filter(|p| pod_ready(p)).count() as i64;
    let backoff = gi(job, &["spec", "backoffLimit"]).unwrap_or(6).max(0);
    let completions = gi(job, &["spec", "completions"]).map(|c| c.max(0));
    let parallelism = gi(job, &["spec", "parallelism"]).unwrap_or(1).max(0);
    let now = ctx.now.clone();
    let start_time = gs(job, &["status", "startTime"]).map(str::to_string);
    let start_ms = start_time
        .as_deref()
        .and_then(parse_ts)
        .unwrap_or(ctx.now_ms);
    let mut status = Map::new();
    if suspended && start_time.is_none() {
        status.insert("active".into(), json!(0));
        status.insert("succeeded".into(), json!(succeeded));
        status.insert("failed".into(), json!(failed));
        status.insert("ready".into(), json!(0));
        ctx.status(job, Value::Object(status));
        return;
    }
    status.insert(
        "startTime".into(),
        json!(start_time.clone().unwrap_or_else(|| now.clone())),
    );
    let deadline = gi(job, &["spec", "activeDeadlineSeconds"]);
    let mut conditions: Vec<Value> = Vec::new();
    let mut active_n = active.len() as i64;
    let fail = if failed > backoff {
        Some((
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
        ))
    } else if deadline.is_some_and(|d| ctx.now_ms.saturating_sub(start_ms) > d.saturating_mul(1000))
    {
        Some((
            "DeadlineExceeded",
            "Job was active longer than specified deadline",
        ))
    } else {
        None
    };
    let done = match completions {
        Some(c) => succeeded >= c,
        None => succeeded >= 1 && active.is_empty(),
    };
    if let Some((reason, message)) = fail {
        for p in &active {
            ctx.delete(p);
            ctx.event(
                job,
                "SuccessfulDelete",
                &format!("Deleted pod: {}", name(p)),
                "Normal",
                "job-controller",
                &format!("delete/{}", name(p)),
                None,
            );
        }
        active_n = 0;
        conditions.push(job_condition("FailureTarget", reason, message, &now));
        conditions.push(job_condition("Failed", reason, message, &now));
        ctx.event(
            job,
            reason,
            message,
            "Warning",
            "job-controller",
            "failed",
            None,
        );
    } else if done && !suspended {
        let msg = "Reached expected number of succeeded pods";
        conditions.push(job_condition(
            "SuccessCriteriaMet",
            "CompletionsReached",
            msg,
            &now,
        ));
        conditions.push(job_condition("Complete", "CompletionsReached", msg, &now));
        status.insert("completionTime".into(), json!(now));
        ctx.event(
            job,
            "Completed",
            "Job completed",
            "Normal",
            "job-controller",
            "completed",
            None,
        );
    } else if !suspended {
        let want = match completions {
            Some(c) => parallelism.min((c - succeeded).max(0)),
            None if succeeded > 0 => 0,
            None => parallelism,
        };
        let missing = (want - active_n).clamp(0, MAX_CREATE);
        for _ in 0..missing {
            let pn = ctx.pod_name(job, &ns, "");
            let pod = ctx.new_pod(
                job,
                template,
                &pn,
                &[
                    ("batch.kubernetes.io/controller-uid", j_uid.clone()),
                    ("batch.kubernetes.io/job-name", jname.clone()),
                    ("controller-uid", j_uid.clone()),
                    ("job-name", jname.clone()),
                ],
            );
            ctx.out.push(Change::Put(pod));
            ctx.event(
                job,
                "SuccessfulCreate",
                &format!("Created pod: {pn}"),
                "Normal",
                "job-controller",
                &format!("create/{pn}"),
                None,
            );
        }
    }
    status.insert("active".into(), json!(active_n));
    status.insert("succeeded".into(), json!(succeeded));
    status.insert("failed".into(), json!(failed));
    status.insert("ready".into(), json!(if active_n == 0 { 0 } else { ready }));
    status.insert("terminating".into(), json!(0));
    status.insert("uncountedTerminatedPods".into(), json!({}));
    if !conditions.is_empty() {
        status.insert("conditions".into(), Value::Array(conditions));
    }
    ctx.status(job, Value::Object(status));
}

// ---------------------------------------------------------------------------
// CronJobs
// ---------------------------------------------------------------------------

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// One cron field: `*`, `*/n`, `a`, `a-b`, `a-b/n`, comma lists.
fn cron_field(spec: &str, min: i64, max: i64) -> Option<Vec<bool>> {
    let mut set = vec![false; (max + 1) as usize];
    for part in spec.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<i64>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (a.parse().ok()?, b.parse().ok()?)
        } else {
            let a: i64 = range.parse().ok()?;
            (a, if part.contains('/') { max } else { a })
        };
        if lo < min || hi > max || lo > hi {
            return None;
        }
        let mut v = lo;
        while v <= hi {
            set[v as usize] = true;
            v = v.saturating_add(step);
        }
    }
    Some(set)
}

struct Cron {
    minute: Vec<bool>,
    hour: Vec<bool>,
    dom: Vec<bool>,
    month: Vec<bool>,
    dow: Vec<bool>,
    dom_any: bool,
    dow_any: bool,
}

fn parse_cron(schedule: &str) -> Option<Cron> {
    let s = match schedule.trim() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        other => other,
    };
    let f: Vec<&str> = s.split_whitespace().collect();
    if f.len() != 5 {
        return None;
    }
    let mut dow = cron_field(f[4], 0, 7)?;
    if dow[7] {
        dow[0] = true;
    }
    Some(Cron {
        minute: cron_field(f[0], 0, 59)?,
        hour: cron_field(f[1], 0, 23)?,
        dom: cron_field(f[2], 1, 31)?,
        month: cron_field(f[3], 1, 12)?,
        dow,
        dom_any: f[2] == "*" || f[2] == "?",
        dow_any: f[4] == "*" || f[4] == "?",
    })
}

impl Cron {
    fn matches(&self, minute_of_epoch: i64) -> bool {
        let days = minute_of_epoch.div_euclid(1440);
        let m = minute_of_epoch.rem_euclid(1440);
        let (_, month, dom) = civil_from_days(days);
        let dow = (days + 4).rem_euclid(7);
        let day_ok = match (self.dom_any, self.dow_any) {
            (true, true) => true,
            (false, true) => self.dom[dom as usize],
            (true, false) => self.dow[dow as usize],
            (false, false) => self.dom[dom as usize] || self.dow[dow as usize],
        };
        self.minute[(m % 60) as usize]
            && self.hour[(m / 60) as usize]
            && self.month[month as usize]
            && day_ok
    }
}

fn job_finished(j: &Value) -> Option<bool> {
    if has_true_condition(j, "Complete") {
        Some(true)
    } else if has_true_condition(j, "Failed") {
        Some(false)
    } else {
        None
    }
}

fn reconcile_cronjob(ctx: &mut Ctx<'_>, cj: &Value) {
    let Some(cj_uid) = uid(cj) else { return };
    let Some(cron) = gs(cj, &["spec", "schedule"]).and_then(parse_cron) else {
        return;
    };
    let ns = namespace(cj).to_string();
    let cname = name(cj).to_string();
    let suspended = get(cj, &["spec", "suspend"]).and_then(Value::as_bool) == Some(true);
    let jobs: Vec<&Value> = ctx
        .jobs_by_owner
        .get(cj_uid)
        .map(|v| v.iter().copied().filter(|j| !deleting(j)).collect())
        .unwrap_or_default();
    let active: Vec<&Value> = jobs
        .iter()
        .copied()
        .filter(|j| job_finished(j).is_none())
        .collect();
    let now_min = ctx.now_ms.div_euclid(60_000);
    let created_min = gs(cj, &["metadata", "creationTimestamp"])
        .and_then(parse_ts)
        .map_or(now_min, |t| t.div_euclid(60_000) + 1);
    let last = gs(cj, &["status", "lastScheduleTime"])
        .and_then(parse_ts)
        .map(|t| t.div_euclid(60_000));
    let from = last.map_or(created_min, |l| l + 1).max(now_min - 2880);
    let mut t = now_min;
    let mut due = None;
    while t >= from {
        if cron.matches(t) {
            due = Some(t);
            break;
        }
        t -= 1;
    }
    let mut last_schedule = gs(cj, &["status", "lastScheduleTime"]).map(str::to_string);
    let mut new_active: Vec<Value> = Vec::new();
    let mut replaced = false;
    if let Some(t) = due.filter(|_| !suspended) {
        let late_ms = ctx.now_ms.saturating_sub(t.saturating_mul(60_000));
        let too_late = gi(cj, &["spec", "startingDeadlineSeconds"])
            .is_some_and(|d| late_ms > d.saturating_mul(1000));
        let policy = gs(cj, &["spec", "concurrencyPolicy"]).unwrap_or("Allow");
        let jname = format!("{cname}-{t}");
        if !too_late && (policy != "Forbid" || active.is_empty()) && !ctx.taken("Job", &ns, &jname)
        {
            if policy == "Replace" {
                for j in &active {
                    ctx.delete(j);
                }
                replaced = !active.is_empty();
            }
            ctx.take("Job", &ns, &jname);
            let tpl = get(cj, &["spec", "jobTemplate"])
                .cloned()
                .unwrap_or_else(|| json!({}));
            let mut meta = json!({
                "name": jname,
                "namespace": ns,
                "ownerReferences": [owner_ref(cj)],
                "annotations": {"batch.kubernetes.io/cronjob-scheduled-timestamp": fmt_ts(t.saturating_mul(60_000))},
            });
            if let Some(l) = get(&tpl, &["metadata", "labels"]) {
                meta["labels"] = l.clone();
            }
            if let Some(a) = get(&tpl, &["metadata", "annotations"]).and_then(Value::as_object) {
                for (k, v) in a {
                    meta["annotations"][k.as_str()] = v.clone();
                }
            }
            ctx.out.push(Change::Put(json!({
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": meta,
                "spec": tpl.get("spec").cloned().unwrap_or_else(|| json!({})),
            })));
            ctx.event(
                cj,
                "SuccessfulCreate",
                &format!("Created job {jname}"),
                "Normal",
                "cronjob-controller",
                &jname,
                None,
            );
            last_schedule = Some(fmt_ts(t.saturating_mul(60_000)));
        }
    }
    for j in active.iter().filter(|_| !replaced) {
        new_active.push(json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": name(j),
            "namespace": ns,
            "uid": uid(j).unwrap_or(""),
        }));
    }
    new_active.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    // History limits.
    let mut finished: Vec<(&Value, bool)> = jobs
        .iter()
        .filter_map(|j| job_finished(j).map(|ok| (*j, ok)))
        .collect();
    finished.sort_by(|a, b| {
        gs(b.0, &["metadata", "creationTimestamp"])
            .cmp(&gs(a.0, &["metadata", "creationTimestamp"]))
            .then_with(|| name(b.0).cmp(name(a.0)))
    });
    let keep_ok = gi(cj, &["spec", "successfulJobsHistoryLimit"])
        .unwrap_or(3)
        .max(0) as usize;
    let keep_failed = gi(cj, &["spec", "failedJobsHistoryLimit"])
        .unwrap_or(1)
        .max(0) as usize;
    for (j, _) in finished.iter().filter(|x| x.1).skip(keep_ok) {
        ctx.delete(j);
    }
    for (j, _) in finished.iter().filter(|x| !x.1).skip(keep_failed) {
        ctx.delete(j);
    }
    let last_success = finished
        .iter()
        .filter(|x| x.1)
        .filter_map(|(j, _)| gs(j, &["status", "completionTime"]))
        .max()
        .map(str::to_string);
    let mut status = Map::new();
    if !new_active.is_empty() {
        status.insert("active".into(), Value::Array(new_active));
    }
    if let Some(l) = last_schedule {
        status.insert("lastScheduleTime".into(), json!(l));
    }
    if let Some(l) =
        last_success.or_else(|| gs(cj, &["status", "lastSuccessfulTime"]).map(str::to_string))
    {
        status.insert("lastSuccessfulTime".into(), json!(l));
    }
    ctx.status(cj, Value::Object(status));
}

// ---------------------------------------------------------------------------
// Pods (the kubelet)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    NeverReady,
    CrashLoop,
    ImagePull,
}

fn fault_of(image: &str) -> Fault {
    if image.contains("imagepull") || image.contains("does-not-exist") {
        Fault::ImagePull
    } else if image.contains("crashloop") {
        Fault::CrashLoop
    } else if image.contains("never-ready") {
        Fault::NeverReady
    } else {
        Fault::None
    }
}

fn pod_ip(ns: &str, pod: &str) -> String {
    let h = sha(&[ns, pod]);
    format!("10.244.{}.{}", h[0] % 250, (h[1] % 250) + 2)
}

fn image_id(image: &str) -> String {
    let digest: String = sha(&[image]).iter().map(|b| format!("{b:02x}")).collect();
    let repo = image.split('@').next().unwrap_or(image);
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    format!("{repo}@sha256:{digest}")
}

fn qos_class(spec: &Value) -> &'static str {
    let containers: Vec<&Value> = ["containers", "initContainers"]
        .iter()
        .filter_map(|k| spec.get(k).and_then(Value::as_array))
        .flatten()
        .collect();
    let mut any = false;
    let mut guaranteed = !containers.is_empty();
    for c in &containers {
        let req = get(c, &["resources", "requests"]).and_then(Value::as_object);
        let lim = get(c, &["resources", "limits"]).and_then(Value::as_object);
        if req.is_some_and(|m| !m.is_empty()) || lim.is_some_and(|m| !m.is_empty()) {
            any = true;
        }
        for r in ["cpu", "memory"] {
            let l = lim.and_then(|m| m.get(r));
            let q = req.and_then(|m| m.get(r)).or(l);
            if l.is_none() || q != l {
                guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

struct PodEvent {
    reason: &'static str,
    message: String,
    etype: &'static str,
    occurrence: String,
    field_path: Option<String>,
}

fn reconcile_pod(ctx: &mut Ctx<'_>, pod: &Value) {
    let node = gs(pod, &["spec", "nodeName"]).filter(|n| !n.is_empty());
    if node.is_none() {
        // The scheduler: bind to the node.
        let mut p = pod.clone();
        if let Some(spec) = p.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("nodeName".into(), json!(NODE_NAME));
            ctx.out.push(Change::Put(p));
        }
        return;
    }
    if node != Some(NODE_NAME) {
        return;
    }
    let Some(created) = gs(pod, &["metadata", "creationTimestamp"]).and_then(parse_ts) else {
        return;
    };
    if pod_settled(pod, created, ctx.now_ms) {
        return;
    }
    let (status, events) = pod_status(pod, created, ctx.now_ms);
    // Events are emitted on the status transitions that imply them, so they come
    // once even when the snapshot carries no events.
    let before = implied_events(pod);
    // A crash loop's BackOff event counts up with the restarts.
    let restarts = |st: Option<&Value>, cname: &str| -> Option<i64> {
        st?.get("containerStatuses")?
            .as_array()?
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(cname))?
            .get("restartCount")?
            .as_i64()
    };
    let mut repeats = Vec::new();
    for cs in status
        .get("containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let cname = gs(cs, &["name"]).unwrap_or("");
        if gs(cs, &["state", "waiting", "reason"]) != Some("CrashLoopBackOff")
            || !before.contains(&format!("{cname}/crash-backoff"))
        {
            continue;
        }
        let new_count = restarts(Some(&status), cname);
        if let Some(n) = new_count
            && restarts(pod.get("status"), cname) != new_count
        {
            repeats.push((cname.to_string(), n));
        }
    }
    ctx.status(pod, status);
    for e in events
        .into_iter()
        .filter(|e| !before.contains(&e.occurrence))
    {
        let component = if e.reason == "Scheduled" {
            "default-scheduler"
        } else {
            "kubelet"
        };
        ctx.event(
            pod,
            e.reason,
            &e.message,
            e.etype,
            component,
            &e.occurrence,
            e.field_path.as_deref(),
        );
    }
    let (pname, ns, p_uid) = (name(pod), namespace(pod), uid(pod).unwrap_or(""));
    for (cname, n) in repeats {
        ctx.event_counted(
            pod,
            "BackOff",
            &format!("Back-off restarting failed container {cname} in pod {pname}_{ns}({p_uid})"),
            "Warning",
            "kubelet",
            &format!("{cname}/crash-backoff"),
            Some(&format!("spec.containers{{{cname}}}")),
            Some((n, fmt_ts(created))),
        );
    }
}

/// Whether the stored status is final for now and the future (so it need not
/// be computed again): the common case of a running pod without faults.
fn pod_settled(pod: &Value, created: i64, now_ms: i64) -> bool {
    let (Some(css), Some(cs)) = (
        get(pod, &["status", "containerStatuses"]).and_then(Value::as_array),
        get(pod, &["spec", "containers"]).and_then(Value::as_array),
    ) else {
        return false;
    };
    if css.len() != cs.len() || cs.is_empty() {
        return false;
    }
    for (c, st) in cs.iter().zip(css) {
        if c.get("name") != st.get("name") || c.get("image") != st.get("image") {
            return false;
        }
    }
    let phase = pod_phase(pod);
    if matches!(phase, "Succeeded" | "Failed") {
        return true;
    }
    if phase != "Running" && phase != "Pending" {
        return false;
    }
    if annotation(pod, FAIL_AFTER).is_some() {
        return false;
    }
    let age = now_ms.saturating_sub(created);
    if let Some(ra) = annotation(pod, READY_AFTER) {
        let ra = parse_duration_ms(ra).unwrap_or(0);
        if age < ra || !pod_ready(pod) {
            return false;
        }
    }
    let restart_policy = gs(pod, &["spec", "restartPolicy"]).unwrap_or("Always");
    if controller_kind(pod) == Some("Job") && restart_policy != "Always" {
        return false;
    }
    for (c, st) in cs.iter().zip(css) {
        match fault_of(c.get("image").and_then(Value::as_str).unwrap_or("")) {
            Fault::CrashLoop => return false,
            Fault::ImagePull => {
                if age < PULL_BACKOFF_MS
                    || gs(st, &["state", "waiting", "reason"]) != Some("ImagePullBackOff")
                {
                    return false;
                }
            }
            Fault::NeverReady => {
                if get(st, &["state", "running"]).is_none() {
                    return false;
                }
            }
            Fault::None => {
                if st.get("ready").and_then(Value::as_bool) != Some(true) {
                    return false;
                }
            }
        }
    }
    true
}

/// The occurrences of pod events that the stored status already implies.
fn implied_events(pod: &Value) -> HashSet<String> {
    let mut out = HashSet::new();
    let Some(css) = get(pod, &["status", "containerStatuses"]).and_then(Value::as_array) else {
        return out;
    };
    out.insert("scheduled".to_string());
    for cs in css {
        let cname = gs(cs, &["name"]).unwrap_or("");
        let mut add = |occ: &str| {
            out.insert(format!("{cname}/{occ}"));
        };
        let waiting = gs(cs, &["state", "waiting", "reason"]);
        match waiting {
            Some("ErrImagePull") => {
                add("pulling");
                add("pull-failed");
                add("err-image-pull");
            }
            Some("ImagePullBackOff") => {
                add("pulling");
                add("pull-failed");
                add("err-image-pull");
                add("pull-backoff");
                add("image-pull-backoff");
            }
            _ => {
                let running = get(cs, &["state", "running"]).is_some();
                let terminated = get(cs, &["state", "terminated"]).is_some();
                let crash = waiting == Some("CrashLoopBackOff");
                if running || terminated || crash {
                    add("pulling");
                    add("pulled");
                    add("created");
                    add("started");
                }
                if crash {
                    add("crash-backoff");
                }
                if running && cs.get("ready").and_then(Value::as_bool) == Some(false) {
                    add("unhealthy");
                }
            }
        }
    }
    out
}

/// The status a kubelet would report at `now_ms`, and the events so far.
fn pod_status(pod: &Value, created: i64, now_ms: i64) -> (Value, Vec<PodEvent>) {
    let ns = namespace(pod);
    let pname = name(pod);
    let p_uid = uid(pod).unwrap_or("");
    let age = now_ms.saturating_sub(created).max(0);
    let spec = pod.get("spec").cloned().unwrap_or_else(|| json!({}));
    let restart_policy = gs(&spec, &["restartPolicy"]).unwrap_or("Always");
    let job_pod = controller_kind(pod) == Some("Job");
    let ready_after = annotation(pod, READY_AFTER)
        .and_then(parse_duration_ms)
        .unwrap_or(0);
    let fail_after = annotation(pod, FAIL_AFTER).and_then(parse_duration_ms);
    let ts = |offset: i64| fmt_ts(created.saturating_add(offset));
    let mut events = vec![PodEvent {
        reason: "Scheduled",
        message: format!("Successfully assigned {ns}/{pname} to {NODE_NAME}"),
        etype: "Normal",
        occurrence: "scheduled".into(),
        field_path: None,
    }];
    let containers: Vec<Value> = spec
        .get("containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut statuses = Vec::new();
    let mut all_ready = !containers.is_empty();
    let mut pending = false;
    let mut all_terminated = !containers.is_empty();
    let mut any_failed = false;
    let mut not_ready_names = Vec::new();
    let mut ready_since = 0i64;
    let mut finished_at = 0i64;
    for c in &containers {
        let cname = c.get("name").and_then(Value::as_str).unwrap_or("");
        let image = c.get("image").and_then(Value::as_str).unwrap_or("");
        let fp = Some(format!("spec.containers{{{cname}}}"));
        let ev = |reason: &'static str, etype: &'static str, message: String, occ: &str| PodEvent {
            reason,
            message,
            etype,
            occurrence: format!("{cname}/{occ}"),
            field_path: fp.clone(),
        };
        let container_id = format!(
            "containerd://{}",
            sha(&[p_uid, ns, pname, cname])
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let mut fault = fault_of(image);
        // fail-after: the container exits with code 1 from then on.
        let mut fail_start = 0i64;
        if fault == Fault::None
            && let Some(fa) = fail_after
            && age >= fa
        {
            fault = Fault::CrashLoop;
            fail_start = fa;
        }
        let base = |ready: bool, started: bool, restarts: i64| {
            json!({
                "name": cname,
                "image": image,
                "imageID": "",
                "ready": ready,
                "started": started,
                "restartCount": restarts,
            })
        };
        let mut st;
        match fault {
            Fault::ImagePull => {
                pending = true;
                all_ready = false;
                all_terminated = false;
                not_ready_names.push(cname.to_string());
                let backoff = age >= PULL_BACKOFF_MS;
                let (reason, message) = if backoff {
                    (
                        "ImagePullBackOff",
                        format!("Back-off pulling image \"{image}\""),
                    )
                } else {
                    (
                        "ErrImagePull",
                        format!(
                            "rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found"
                        ),
                    )
                };
                st = base(false, false, 0);
                st["state"] = json!({"waiting": {"reason": reason, "message": message}});
                st["lastState"] = json!({});
                events.push(ev(
                    "Pulling",
                    "Normal",
                    format!("Pulling image \"{image}\""),
                    "pulling",
                ));
                events.push(ev(
                    "Failed",
                    "Warning",
                    format!("Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found"),
                    "pull-failed",
                ));
                events.push(ev(
                    "Failed",
                    "Warning",
                    "Error: ErrImagePull".into(),
                    "err-image-pull",
                ));
                if backoff {
                    events.push(ev(
                        "BackOff",
                        "Normal",
                        format!("Back-off pulling image \"{image}\""),
                        "pull-backoff",
                    ));
                    events.push(ev(
                        "Failed",
                        "Warning",
                        "Error: ImagePullBackOff".into(),
                        "image-pull-backoff",
                    ));
                }
            }
            Fault::CrashLoop if restart_policy == "Never" => {
                let run = if fail_start > 0 {
                    fail_start
                } else {
                    JOB_RUN_MS
                };
                pull_events(&mut events, &ev, image, cname);
                all_ready = false;
                not_ready_names.push(cname.to_string());
                if age >= run {
                    st = base(false, false, 0);
                    st["state"] = json!({"terminated": {
                        "exitCode": 1, "reason": "Error",
                        "startedAt": ts(0), "finishedAt": ts(run), "containerID": container_id,
                    }});
                    st["lastState"] = json!({});
                    any_failed = true;
                    finished_at = finished_at.max(run);
                } else {
                    all_terminated = false;
                    st = base(false, true, 0);
                    st["state"] = json!({"running": {"startedAt": ts(0)}});
                    st["lastState"] = json!({});
                }
            }
            Fault::CrashLoop => {
                all_ready = false;
                all_terminated = false;
                not_ready_names.push(cname.to_string());
                pull_events(&mut events, &ev, image, cname);
                let since = age - fail_start;
                let restarts = 1 + since / CRASH_PERIOD_MS;
                let last_start = fail_start + (restarts - 1) * CRASH_PERIOD_MS;
                st = base(false, false, restarts);
                st["state"] = json!({"waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": format!("back-off 10s restarting failed container={cname} pod={pname}_{ns}({p_uid})"),
                }});
                st["lastState"] = json!({"terminated": {
                    "exitCode": 1, "reason": "Error",
                    "startedAt": ts(last_start), "finishedAt": ts(last_start),
                    "containerID": container_id,
                }});
                events.push(ev(
                    "BackOff",
                    "Warning",
                    format!(
                        "Back-off restarting failed container {cname} in pod {pname}_{ns}({p_uid})"
                    ),
                    "crash-backoff",
                ));
            }
            Fault::None | Fault::NeverReady => {
                pull_events(&mut events, &ev, image, cname);
                let completes = job_pod && restart_policy != "Always";
                if completes && age >= JOB_RUN_MS {
                    st = base(false, false, 0);
                    st["state"] = json!({"terminated": {
                        "exitCode": 0, "reason": "Completed",
                        "startedAt": ts(0), "finishedAt": ts(JOB_RUN_MS), "containerID": container_id,
                    }});
                    st["lastState"] = json!({});
                    all_ready = false;
                    finished_at = finished_at.max(JOB_RUN_MS);
                } else {
                    all_terminated = false;
                    let ready = fault == Fault::None && age >= ready_after;
                    if ready {
                        ready_since = ready_since.max(ready_after);
                    } else {
                        all_ready = false;
                        not_ready_names.push(cname.to_string());
                        if fault == Fault::NeverReady && c.get("readinessProbe").is_some() {
                            events.push(ev(
                                "Unhealthy",
                                "Warning",
                                "Readiness probe failed: connection refused".into(),
                                "unhealthy",
                            ));
                        }
                    }
                    st = base(ready, true, 0);
                    st["state"] = json!({"running": {"startedAt": ts(0)}});
                    st["lastState"] = json!({});
                }
            }
        }
        if fault != Fault::ImagePull {
            st["imageID"] = json!(image_id(image));
            st["containerID"] = json!(container_id);
        }
        statuses.push(st);
    }
    let phase = if pending {
        "Pending"
    } else if all_terminated && restart_policy != "Always" {
        if any_failed { "Failed" } else { "Succeeded" }
    } else {
        "Running"
    };
    let terminal = matches!(phase, "Succeeded" | "Failed");
    let ready = all_ready && phase == "Running";
    let (ready_status, ready_reason, ready_msg, ready_time) = if ready {
        ("True", None, None, ts(ready_since))
    } else if terminal {
        ("False", Some("PodCompleted"), None, ts(finished_at))
    } else {
        (
            "False",
            Some("ContainersNotReady"),
            Some(format!(
                "containers with unready status: [{}]",
                not_ready_names.join(" ")
            )),
            ts(0),
        )
    };
    let cond = |t: &str, s: &str, time: &str, reason: Option<&str>, msg: Option<&str>| {
        let mut c =
            json!({"type": t, "status": s, "lastProbeTime": null, "lastTransitionTime": time});
        if let Some(m) = c.as_object_mut() {
            m.remove("lastProbeTime");
            if let Some(r) = reason {
                m.insert("reason".into(), json!(r));
            }
            if let Some(x) = msg {
                m.insert("message".into(), json!(x));
            }
        }
        c
    };
    let created_s = ts(0);
    let sandbox = if terminal { "False" } else { "True" };
    let conditions = json!([
        cond(
            "PodReadyToStartContainers",
            sandbox,
            &if terminal {
                ts(finished_at)
            } else {
                created_s.clone()
            },
            None,
            None
        ),
        cond(
            "Initialized",
            "True",
            &created_s,
            if terminal { Some("PodCompleted") } else { None },
            None
        ),
        cond(
            "Ready",
            ready_status,
            &ready_time,
            ready_reason,
            ready_msg.as_deref()
        ),
        cond(
            "ContainersReady",
            ready_status,
            &ready_time,
            ready_reason,
            ready_msg.as_deref()
        ),
        cond("PodScheduled", "True", &created_s, None, None),
    ]);
    let ip = pod_ip(ns, pname);
    let mut status = json!({
        "phase": phase,
        "conditions": conditions,
        "hostIP": HOST_IP,
        "hostIPs": [{"ip": HOST_IP}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": created_s,
        "containerStatuses": statuses,
        "qosClass": qos_class(&spec),
    });
    if let Some(inits) = spec.get("initContainers").and_then(Value::as_array)
        && !inits.is_empty()
    {
        let st: Vec<Value> = inits
            .iter()
            .map(|c| {
                let cname = c.get("name").and_then(Value::as_str).unwrap_or("");
                let image = c.get("image").and_then(Value::as_str).unwrap_or("");
                json!({
                    "name": cname, "image": image, "imageID": image_id(image),
                    "ready": true, "started": false, "restartCount": 0,
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": created_s, "finishedAt": created_s}},
                    "lastState": {},
                })
            })
            .collect();
        status["initContainerStatuses"] = Value::Array(st);
    }
    (status, events)
}

fn pull_events(
    events: &mut Vec<PodEvent>,
    ev: &dyn Fn(&'static str, &'static str, String, &str) -> PodEvent,
    image: &str,
    cname: &str,
) {
    events.push(ev(
        "Pulling",
        "Normal",
        format!("Pulling image \"{image}\""),
        "pulling",
    ));
    events.push(ev(
        "Pulled",
        "Normal",
        format!("Successfully pulled image \"{image}\" in 1s (1s including waiting)"),
        "pulled",
    ));
    events.push(ev(
        "Created",
        "Normal",
        format!("Created container: {cname}"),
        "created",
    ));
    events.push(ev(
        "Started",
        "Normal",
        format!("Started container {cname}"),
        "started",
    ));
}

// ---------------------------------------------------------------------------
// Services → Endpoints
// ---------------------------------------------------------------------------

fn reconcile_service(ctx: &mut Ctx<'_>, svc: &Value) {
    if gs(svc, &["spec", "type"]) == Some("LoadBalancer") {
        // A load balancer address, as a cloud controller (or MetalLB) would give.
        let h = sha(&[namespace(svc), name(svc)]);
        let ip = format!("172.18.255.{}", 1 + h[0] % 254);
        let mut st = svc.get("status").cloned().unwrap_or_else(|| json!({}));
        if !st.is_object() {
            st = json!({});
        }
        st["loadBalancer"] = json!({"ingress": [{"ip": ip, "ipMode": "VIP"}]});
        ctx.status(svc, st);
    }
    let Some(selector) = get(svc, &["spec", "selector"]).and_then(Value::as_object) else {
        return;
    };
    if selector.is_empty() || gs(svc, &["spec", "type"]) == Some("ExternalName") {
        return;
    }
    let ns = namespace(svc);
    let sname = name(svc);
    let mut ready = Vec::new();
    let mut not_ready = Vec::new();
    let mut first_pod: Option<&Value> = None;
    // The candidates: the pods with the rarest of the selector's labels.
    let mut candidates: Option<&Vec<&Value>> = None;
    let mut impossible = false;
    for (k, v) in selector {
        match v
            .as_str()
            .and_then(|v| ctx.pods_by_label.get(&(ns, k.as_str(), v)))
        {
            Some(list) => {
                if candidates.is_none_or(|c| list.len() < c.len()) {
                    candidates = Some(list);
                }
            }
            None => impossible = true,
        }
    }
    if let Some(pods) = candidates.filter(|_| !impossible) {
        for p in pods {
            if deleting(p)
                || !pod_active(p)
                || !labels_match(get(p, &["metadata", "labels"]), selector)
            {
                continue;
            }
            let Some(ip) = gs(p, &["status", "podIP"]) else {
                continue;
            };
            let addr = json!({
                "ip": ip,
                "nodeName": gs(p, &["spec", "nodeName"]).unwrap_or(NODE_NAME),
                "targetRef": {"kind": "Pod", "namespace": ns, "name": name(p), "uid": uid(p).unwrap_or("")},
            });
            if pod_ready(p) {
                first_pod.get_or_insert(p);
                ready.push((ip.to_string(), addr));
            } else {
                not_ready.push((ip.to_string(), addr));
            }
        }
    }
    ready.sort_by(|a, b| a.0.cmp(&b.0));
    not_ready.sort_by(|a, b| a.0.cmp(&b.0));
    let mut ports = Vec::new();
    for sp in get(svc, &["spec", "ports"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let port = sp.get("port").and_then(Value::as_i64).unwrap_or(0);
        let target = match sp.get("targetPort") {
            Some(Value::Number(n)) => n.as_i64().unwrap_or(port),
            Some(Value::String(s)) => s
                .parse::<i64>()
                .ok()
                .or_else(|| {
                    first_pod.and_then(|p| {
                        get(p, &["spec", "containers"])
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(|c| c.get("ports").and_then(Value::as_array))
                            .flatten()
                            .find(|cp| cp.get("name").and_then(Value::as_str) == Some(s.as_str()))
                            .and_then(|cp| cp.get("containerPort").and_then(Value::as_i64))
                    })
                })
                .unwrap_or(port),
            _ => port,
        };
        let mut ep = json!({
            "port": target,
            "protocol": sp.get("protocol").and_then(Value::as_str).unwrap_or("TCP"),
        });
        if let (Some(n), Some(m)) = (sp.get("name").and_then(Value::as_str), ep.as_object_mut()) {
            m.insert("name".into(), json!(n));
        }
        ports.push(ep);
    }
    let mut subset = Map::new();
    if !ready.is_empty() {
        subset.insert(
            "addresses".into(),
            Value::Array(ready.into_iter().map(|x| x.1).collect()),
        );
    }
    if !not_ready.is_empty() {
        subset.insert(
            "notReadyAddresses".into(),
            Value::Array(not_ready.into_iter().map(|x| x.1).collect()),
        );
    }
    let subsets = if subset.is_empty() {
        None
    } else {
        subset.insert("ports".into(), Value::Array(ports));
        Some(json!([subset]))
    };
    let labels = get(svc, &["metadata", "labels"]).cloned();
    let existing = ctx.endpoints.get(&(ns, sname)).copied();
    let same = existing.is_some_and(|e| {
        e.get("subsets").filter(|s| !s.is_null()) == subsets.as_ref()
            && get(e, &["metadata", "labels"]) == labels.as_ref()
    });
    if same {
        return;
    }
    let mut meta = json!({"name": sname, "namespace": ns});
    if let (Some(l), Some(m)) = (labels, meta.as_object_mut()) {
        m.insert("labels".into(), l);
    }
    let mut ep = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta});
    if let (Some(s), Some(m)) = (subsets, ep.as_object_mut()) {
        m.insert("subsets".into(), s);
    }
    ctx.out.push(Change::Put(ep));
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_780_000_000_000;

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).expect("yaml")
    }

    /// A minimal store: applies changes like the server would.
    struct Store {
        objs: Vec<Value>,
        next: u64,
        now_ms: i64,
    }

    fn key(v: &Value) -> (String, String, String, String) {
        (
            group(v).to_string(),
            kind(v).to_string(),
            gs(v, &["metadata", "namespace"]).unwrap_or("").to_string(),
            name(v).to_string(),
        )
    }

    impl Store {
        fn new(yaml_docs: &[&str]) -> Store {
            let mut s = Store {
                objs: Vec::new(),
                next: 0,
                now_ms: T0,
            };
            for d in yaml_docs {
                s.put(y(d));
            }
            s
        }

        /// What the server hands the controller: everything but events.
        fn snapshot(&self) -> Vec<Value> {
            self.objs
                .iter()
                .filter(|o| kind(o) != "Event")
                .cloned()
                .collect()
        }

        fn now(&self) -> Timestamp {
            Timestamp::from_millisecond(self.now_ms).expect("ts")
        }

        fn put(&mut self, mut v: Value) {
            let k = key(&v);
            if let Some(i) = self.objs.iter().position(|o| key(o) == k) {
                let old = self.objs[i].clone();
                for f in ["uid", "creationTimestamp", "generation"] {
                    if let Some(x) = old["metadata"].get(f) {
                        v["metadata"][f] = x.clone();
                    }
                }
                if old.get("spec") != v.get("spec") {
                    v["metadata"]["generation"] = json!(generation(&old) + 1);
                }
                if let Some(st) = old.get("status") {
                    v["status"] = st.clone();
                }
                self.objs[i] = v;
            } else {
                self.next += 1;
                v["metadata"]["uid"] = json!(format!("uid-{}", self.next));
                v["metadata"]["creationTimestamp"] = json!(fmt_ts(self.now_ms));
                v["metadata"]["generation"] = json!(1);
                if v["metadata"].get("namespace").is_none() && kind(&v) != "Namespace" {
                    v["metadata"]["namespace"] = json!("default");
                }
                self.objs.push(v);
            }
        }

        fn delete(&mut self, k: (String, String, String, String)) {
            let Some(i) = self.objs.iter().position(|o| key(o) == k) else {
                return;
            };
            let gone = self.objs.remove(i);
            // Garbage collection of dependents.
            if let Some(u) = uid(&gone).map(str::to_string) {
                let deps: Vec<_> = self
                    .objs
                    .iter()
                    .filter(|o| controller_uid(o) == Some(u.as_str()))
                    .map(key)
                    .collect();
                for d in deps {
                    self.delete(d);
                }
            }
        }

        fn apply(&mut self, changes: Vec<Change>) {
            for c in changes {
                match c {
                    Change::Put(v) => self.put(v),
                    Change::Event(v) => {
                        assert!(
                            !self
                                .objs
                                .iter()
                                .any(|o| key(o) == key(&v) && o["count"] == v["count"]),
                            "duplicate event {}",
                            name(&v)
                        );
                        self.put(v)
                    }
                    Change::Status(v) => {
                        let k = key(&v);
                        let o = self
                            .objs
                            .iter_mut()
                            .find(|o| key(o) == k)
                            .expect("status of a stored object");
                        o["status"] = v["status"].clone();
                    }
                    Change::Delete {
                        api_version,
                        kind,
                        namespace,
                        name,
                    } => {
                        let g = api_version.split_once('/').map_or("", |(g, _)| g);
                        self.delete((g.to_string(), kind, namespace.unwrap_or_default(), name));
                    }
                }
            }
        }

        /// Reconciles at the current time until nothing changes.
        fn settle(&mut self) {
            for _ in 0..100 {
                let ch = reconcile(&self.snapshot(), self.now());
                if ch.is_empty() {
                    return;
                }
                self.apply(ch);
            }
            let ch = reconcile(&self.snapshot(), self.now());
            panic!("no fixed point: {ch:#?}");
        }

        /// Advances time in 100 ms steps, applying the changes.
        fn run_for(&mut self, ms: i64) {
            let end = self.now_ms + ms;
            while self.now_ms < end {
                self.now_ms += 100;
                let ch = reconcile(&self.snapshot(), self.now());
                self.apply(ch);
            }
        }

        fn of_kind(&self, k: &str) -> Vec<&Value> {
            self.objs.iter().filter(|o| kind(o) == k).collect()
        }

        fn get(&self, k: &str, n: &str) -> &Value {
            self.objs
                .iter()
                .find(|o| kind(o) == k && name(o) == n)
                .unwrap_or_else(|| panic!("{k} {n} missing"))
        }

        fn events(&self, reason: &str) -> Vec<&Value> {
            self.of_kind("Event")
                .into_iter()
                .filter(|e| e["reason"] == reason)
                .collect()
        }

        fn edit(&mut self, k: &str, n: &str, f: impl FnOnce(&mut Value)) {
            let mut v = self.get(k, n).clone();
            f(&mut v);
            self.put(v);
        }
    }

    fn cond<'a>(v: &'a Value, t: &str) -> &'a Value {
        v["status"]["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == t))
            .unwrap_or(&Value::Null)
    }

    fn deploy(name: &str, replicas: i64, image: &str, annotations: &str) -> String {
        format!(
            r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: default}}
spec:
  replicas: {replicas}
  progressDeadlineSeconds: 30
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata:
      labels: {{app: {name}}}
      annotations: {{{annotations}}}
    spec:
      containers:
      - name: app
        image: "{image}"
        ports: [{{containerPort: 80, name: http}}]
"#
        )
    }

    #[test]
    fn deployment_becomes_available_and_steady() {
        let mut s = Store::new(&[&deploy("web", 3, "nginx:1", "")]);
        s.settle();
        let d = s.get("Deployment", "web");
        assert_eq!(d["status"]["availableReplicas"], 3);
        assert_eq!(d["status"]["readyReplicas"], 3);
        assert_eq!(d["status"]["updatedReplicas"], 3);
        assert_eq!(d["status"]["replicas"], 3);
        assert_eq!(d["status"]["unavailableReplicas"], 0);
        assert_eq!(d["status"]["observedGeneration"], 1);
        assert_eq!(cond(d, "Available")["status"], "True");
        assert_eq!(cond(d, "Progressing")["reason"], "NewReplicaSetAvailable");
        assert_eq!(d["metadata"]["annotations"][REVISION], "1");
        let rss = s.of_kind("ReplicaSet");
        assert_eq!(rss.len(), 1);
        let rs = rss[0];
        let hash = rs["metadata"]["labels"]["pod-template-hash"]
            .as_str()
            .expect("hash");
        assert_eq!(hash.len(), 10);
        assert_eq!(name(rs), format!("web-{hash}"));
        assert_eq!(rs["metadata"]["annotations"][REVISION], "1");
        assert_eq!(
            rs["metadata"]["ownerReferences"][0]["uid"],
            d["metadata"]["uid"]
        );
        assert_eq!(rs["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(rs["status"]["readyReplicas"], 3);
        let pods = s.of_kind("Pod");
        assert_eq!(pods.len(), 3);
        for p in &pods {
            assert_eq!(p["status"]["phase"], "Running");
            assert!(pod_ready(p));
            assert_eq!(p["spec"]["nodeName"], NODE_NAME);
            assert_eq!(p["metadata"]["labels"]["pod-template-hash"], hash);
            let suffix = name(p).rsplit('-').next().expect("suffix");
            assert_eq!(suffix.len(), 5);
            assert!(
                suffix
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            );
            assert_eq!(p["status"]["containerStatuses"][0]["started"], true);
            assert_eq!(p["status"]["qosClass"], "BestEffort");
        }
        assert_eq!(s.events("ScalingReplicaSet").len(), 1);
        assert_eq!(s.events("SuccessfulCreate").len(), 3);
        assert_eq!(s.events("Started").len(), 3);
        assert_eq!(s.events("Scheduled").len(), 3);
        // minReadySeconds: available only after pods were ready that long.
        s.now_ms += 10_000;
        s.edit("Deployment", "web", |d| {
            d["spec"]["minReadySeconds"] = json!(5);
            d["spec"]["replicas"] = json!(4);
        });
        s.settle();
        let d = s.get("Deployment", "web");
        assert_eq!(d["status"]["readyReplicas"], 4);
        assert_eq!(d["status"]["availableReplicas"], 3);
        s.run_for(5_100);
        assert_eq!(s.get("Deployment", "web")["status"]["availableReplicas"], 4);
        // Steady, also later.
        s.now_ms += 60_000;
        assert!(reconcile(&s.snapshot(), s.now()).is_empty());
    }

    #[test]
    fn template_change_rolls_out_revision_two_and_undo() {
        let mut s = Store::new(&[&deploy("web", 2, "nginx:1", "")]);
        s.settle();
        let rs1 = name(s.of_kind("ReplicaSet")[0]).to_string();
        s.edit("Deployment", "web", |d| {
            d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2")
        });
        s.now_ms += 1000;
        s.settle();
        let d = s.get("Deployment", "web");
        assert_eq!(d["metadata"]["annotations"][REVISION], "2");
        assert_eq!(d["status"]["observedGeneration"], 2);
        assert_eq!(d["status"]["replicas"], 2);
        assert_eq!(d["status"]["updatedReplicas"], 2);
        assert_eq!(cond(d, "Progressing")["reason"], "NewReplicaSetAvailable");
        let rss = s.of_kind("ReplicaSet");
        assert_eq!(rss.len(), 2);
        let old = s.get("ReplicaSet", &rs1);
        assert_eq!(old["spec"]["replicas"], 0);
        let new = rss.iter().find(|r| name(r) != rs1).expect("new rs");
        assert_eq!(new["metadata"]["annotations"][REVISION], "2");
        assert_eq!(new["spec"]["replicas"], 2);
        let pods = s.of_kind("Pod");
        assert_eq!(pods.len(), 2);
        assert!(
            pods.iter()
                .all(|p| p["spec"]["containers"][0]["image"] == "nginx:2")
        );
        // kubectl rollout undo: the old template comes back, as revision 3.
        let mut tpl = old["spec"]["template"].clone();
        if let Some(l) = tpl["metadata"]["labels"].as_object_mut() {
            l.remove("pod-template-hash");
        }
        s.edit("Deployment", "web", |d| d["spec"]["template"] = tpl);
        s.settle();
        assert_eq!(
            s.get("ReplicaSet", &rs1)["metadata"]["annotations"][REVISION],
            "3"
        );
        assert_eq!(s.get("ReplicaSet", &rs1)["spec"]["replicas"], 2);
        assert_eq!(
            s.get("Deployment", "web")["metadata"]["annotations"][REVISION],
            "3"
        );
        assert!(
            s.of_kind("Pod")
                .iter()
                .all(|p| p["spec"]["containers"][0]["image"] == "nginx:1")
        );
        // Scale and pause.
        s.edit("Deployment", "web", |d| d["spec"]["replicas"] = json!(4));
        s.settle();
        assert_eq!(s.get("Deployment", "web")["status"]["availableReplicas"], 4);
        s.edit("Deployment", "web", |d| {
            d["spec"]["paused"] = json!(true);
            d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:3");
        });
        s.settle();
        assert_eq!(s.of_kind("ReplicaSet").len(), 2);
        assert_eq!(
            cond(s.get("Deployment", "web"), "Progressing")["reason"],
            "DeploymentPaused"
        );
    }

    #[test]
    fn never_ready_deployment_exceeds_progress_deadline() {
        let mut s = Store::new(&[&deploy("stuck", 1, "example/never-ready:1", "")]);
        s.settle();
        let p = s.of_kind("Pod")[0];
        assert_eq!(p["status"]["phase"], "Running");
        assert_eq!(p["status"]["containerStatuses"][0]["ready"], false);
        assert!(!pod_ready(p));
        let d = s.get("Deployment", "stuck");
        assert_eq!(cond(d, "Available")["status"], "False");
        assert_eq!(cond(d, "Progressing")["status"], "True");
        assert_eq!(d["status"]["unavailableReplicas"], 1);
        s.run_for(31_000);
        let d = s.get("Deployment", "stuck");
        assert_eq!(cond(d, "Progressing")["status"], "False");
        assert_eq!(cond(d, "Progressing")["reason"], "ProgressDeadlineExceeded");
        s.settle();
        s.now_ms += 10_000;
        assert!(reconcile(&s.snapshot(), s.now()).is_empty());
    }

    #[test]
    fn crashloop_restarts_and_warns_once() {
        let mut s = Store::new(&[&deploy("crash", 1, "example/crashloop:1", "")]);
        s.settle();
        let p = s.of_kind("Pod")[0];
        let cs = &p["status"]["containerStatuses"][0];
        assert_eq!(cs["state"]["waiting"]["reason"], "CrashLoopBackOff");
        assert_eq!(cs["lastState"]["terminated"]["exitCode"], 1);
        let r0 = cs["restartCount"].as_i64().expect("count");
        s.run_for(6_000);
        let p = s.of_kind("Pod")[0];
        let r1 = p["status"]["containerStatuses"][0]["restartCount"]
            .as_i64()
            .expect("count");
        assert!(r1 >= r0 + 2, "{r0} -> {r1}");
        let backoff = s.events("BackOff");
        assert_eq!(backoff.len(), 1);
        assert_eq!(backoff[0]["count"], json!(r1));
        assert_eq!(backoff[0]["firstTimestamp"], fmt_ts(T0));
        assert_eq!(backoff[0]["lastTimestamp"], fmt_ts(s.now_ms));
        assert_eq!(backoff[0]["type"], "Warning");
        assert!(
            backoff[0]["message"]
                .as_str()
                .expect("m")
                .starts_with("Back-off restarting failed container app")
        );
        assert_eq!(backoff[0]["involvedObject"]["kind"], "Pod");
        assert_eq!(backoff[0]["involvedObject"]["uid"], p["metadata"]["uid"]);
        assert_eq!(
            cond(s.get("Deployment", "crash"), "Available")["status"],
            "False"
        );
    }

    #[test]
    fn image_pull_failure() {
        let pod = r#"
apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: default}
spec:
  containers: [{name: app, image: "nginx:does-not-exist"}]
"#;
        let mut s = Store::new(&[pod]);
        s.settle();
        let p = s.get("Pod", "bad");
        assert_eq!(p["spec"]["nodeName"], NODE_NAME);
        assert_eq!(p["status"]["phase"], "Pending");
        assert_eq!(
            p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
            "ErrImagePull"
        );
        s.run_for(3_000);
        s.settle();
        let p = s.get("Pod", "bad");
        assert_eq!(
            p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
            "ImagePullBackOff"
        );
        let failed = s.events("Failed");
        assert!(failed.iter().all(|e| e["type"] == "Warning"));
        assert_eq!(
            failed
                .iter()
                .filter(|e| e["message"] == "Error: ErrImagePull")
                .count(),
            1
        );
        assert_eq!(
            failed
                .iter()
                .filter(|e| e["message"] == "Error: ImagePullBackOff")
                .count(),
            1
        );
        assert_eq!(s.events("BackOff").len(), 1);
        assert_eq!(s.events("Pulling").len(), 1);
        assert!(s.events("Started").is_empty());
        s.run_for(5_000);
        assert!(reconcile(&s.snapshot(), s.now()).is_empty());
        // imagepull keyword too.
        assert_eq!(fault_of("registry/imagepull:1"), Fault::ImagePull);
    }

    #[test]
    fn ready_after_and_fail_after() {
        let mut s = Store::new(&[&deploy(
            "slow",
            2,
            "nginx:1",
            "testcluster.confgate.dev/ready-after: 5s",
        )]);
        s.settle();
        assert!(s.of_kind("Pod").iter().all(|p| !pod_ready(p)));
        assert_eq!(s.get("Deployment", "slow")["status"]["readyReplicas"], 0);
        s.run_for(3_000);
        assert!(s.of_kind("Pod").iter().all(|p| !pod_ready(p)));
        s.run_for(2_500);
        s.settle();
        assert!(s.of_kind("Pod").iter().all(|p| pod_ready(p)));
        assert_eq!(
            s.get("Deployment", "slow")["status"]["availableReplicas"],
            2
        );
        let ready = cond(s.of_kind("Pod")[0], "Ready");
        assert_eq!(ready["lastTransitionTime"], fmt_ts(T0 + 5000));
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("1.5s"), Some(1500));
        assert_eq!(parse_duration_ms("x"), None);

        let pod = r#"
apiVersion: v1
kind: Pod
metadata: {name: p, annotations: {"testcluster.confgate.dev/fail-after": "3s"}}
spec:
  nodeName: testcluster-node
  containers: [{name: app, image: busybox}]
"#;
        let mut s = Store::new(&[pod]);
        s.settle();
        assert!(pod_ready(s.get("Pod", "p")));
        s.run_for(3_500);
        let p = s.get("Pod", "p");
        assert!(!pod_ready(p));
        assert_eq!(
            p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
            "CrashLoopBackOff"
        );
    }

    #[test]
    fn statefulset_ordered_and_rolling_update() {
        let sts = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata:
      labels: {app: db}
      annotations: {"testcluster.confgate.dev/ready-after": "1s"}
    spec:
      containers: [{name: db, image: "postgres:16"}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
"#;
        let mut s = Store::new(&[sts]);
        s.settle();
        let names: Vec<String> = s
            .of_kind("Pod")
            .iter()
            .map(|p| name(p).to_string())
            .collect();
        assert_eq!(names, vec!["db-0"]);
        s.run_for(1_200);
        s.settle();
        let names: Vec<String> = s
            .of_kind("Pod")
            .iter()
            .map(|p| name(p).to_string())
            .collect();
        assert_eq!(names, vec!["db-0", "db-1"]);
        s.run_for(3_000);
        s.settle();
        assert_eq!(s.of_kind("Pod").len(), 3);
        let st = s.get("StatefulSet", "db");
        assert_eq!(st["status"]["readyReplicas"], 3);
        assert_eq!(
            st["status"]["currentRevision"],
            st["status"]["updateRevision"]
        );
        let rev1 = st["status"]["updateRevision"].clone();
        assert_eq!(
            s.get("Pod", "db-1")["metadata"]["labels"]["controller-revision-hash"],
            rev1
        );
        assert_eq!(
            s.get("PersistentVolumeClaim", "data-db-2")["status"]["phase"],
            "Bound"
        );
        assert_eq!(s.of_kind("ControllerRevision").len(), 1);
        // Template change: pods replaced from the highest ordinal.
        s.edit("StatefulSet", "db", |x| {
            x["spec"]["template"]["spec"]["containers"][0]["image"] = json!("postgres:17")
        });
        s.settle();
        let st = s.get("StatefulSet", "db");
        assert_ne!(st["status"]["updateRevision"], rev1);
        assert_eq!(st["status"]["currentRevision"], rev1);
        let rev2 = st["status"]["updateRevision"].clone();
        assert_eq!(
            s.get("Pod", "db-2")["metadata"]["labels"]["controller-revision-hash"],
            rev2
        );
        assert_eq!(
            s.get("Pod", "db-0")["metadata"]["labels"]["controller-revision-hash"],
            rev1
        );
        s.run_for(10_000);
        s.settle();
        let st = s.get("StatefulSet", "db");
        assert_eq!(st["status"]["currentRevision"], rev2);
        assert_eq!(st["status"]["updatedReplicas"], 3);
        assert_eq!(s.of_kind("ControllerRevision").len(), 2);
        // Scale down.
        s.edit("StatefulSet", "db", |x| x["spec"]["replicas"] = json!(1));
        s.settle();
        let names: Vec<String> = s
            .of_kind("Pod")
            .iter()
            .map(|p| name(p).to_string())
            .collect();
        assert_eq!(names, vec!["db-0"]);
    }

    #[test]
    fn jobs_complete_or_fail() {
        let job = r#"
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: default}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: busybox}]
"#;
        let mut s = Store::new(&[job]);
        s.settle();
        assert_eq!(s.of_kind("Pod").len(), 2);
        assert_eq!(s.get("Job", "migrate")["status"]["active"], 2);
        assert!(s.get("Job", "migrate")["status"]["startTime"].is_string());
        s.run_for(5_000);
        s.settle();
        let j = s.get("Job", "migrate");
        assert_eq!(j["status"]["succeeded"], 3);
        assert_eq!(j["status"]["active"], 0);
        assert_eq!(cond(j, "Complete")["status"], "True");
        assert_eq!(cond(j, "SuccessCriteriaMet")["status"], "True");
        assert!(j["status"]["completionTime"].is_string());
        assert_eq!(s.of_kind("Pod").len(), 3);
        assert!(
            s.of_kind("Pod")
                .iter()
                .all(|p| p["status"]["phase"] == "Succeeded")
        );
        assert_eq!(s.events("Completed").len(), 1);
        s.now_ms += 60_000;
        assert!(reconcile(&s.snapshot(), s.now()).is_empty());

        let bad = r#"
apiVersion: batch/v1
kind: Job
metadata: {name: bad, namespace: default}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: example/crashloop}]
"#;
        let mut s = Store::new(&[bad]);
        s.run_for(10_000);
        s.settle();
        let j = s.get("Job", "bad");
        assert_eq!(cond(j, "Failed")["status"], "True");
        assert_eq!(cond(j, "Failed")["reason"], "BackoffLimitExceeded");
        assert_eq!(j["status"]["failed"], 3);
        assert_eq!(s.events("BackoffLimitExceeded").len(), 1);
        assert!(reconcile(&s.snapshot(), s.now()).is_empty());
    }

    #[test]
    fn daemonset_service_namespace() {
        let docs = [
            r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: "agent:1"}]}
"#,
            r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
"#,
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
        ];
        let mut s = Store::new(&docs);
        s.put(y(&deploy("web", 2, "nginx:1", "")));
        s.settle();
        let ds = s.get("DaemonSet", "agent");
        assert_eq!(ds["status"]["desiredNumberScheduled"], 1);
        assert_eq!(ds["status"]["numberReady"], 1);
        assert_eq!(ds["status"]["updatedNumberScheduled"], 1);
        assert_eq!(ds["status"]["numberAvailable"], 1);
        let ep = s.get("Endpoints", "web");
        let addrs = ep["subsets"][0]["addresses"].as_array().expect("addresses");
        assert_eq!(addrs.len(), 2);
        assert_eq!(ep["subsets"][0]["ports"][0]["port"], 80);
        assert_eq!(s.get("Namespace", "team")["status"]["phase"], "Active");
        s.edit("Service", "web", |x| {
            x["spec"]["type"] = json!("LoadBalancer")
        });
        s.settle();
        assert!(s.get("Service", "web")["status"]["loadBalancer"]["ingress"][0]["ip"].is_string());
        // Template change of the daemon set replaces its pod.
        let old = name(
            s.of_kind("Pod")
                .into_iter()
                .find(|p| namespace(p) == "kube-system")
                .expect("pod"),
        )
        .to_string();
        s.edit("DaemonSet", "agent", |d| {
            d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("agent:2")
        });
        s.settle();
        let pods: Vec<&Value> = s
            .of_kind("Pod")
            .into_iter()
            .filter(|p| namespace(p) == "kube-system")
            .collect();
        assert_eq!(pods.len(), 1);
        assert_ne!(name(pods[0]), old);
        assert_eq!(
            s.get("DaemonSet", "agent")["status"]["updatedNumberScheduled"],
            1
        );
        // Scale to zero: endpoints empty.
        s.edit("Deployment", "web", |d| d["spec"]["replicas"] = json!(0));
        s.settle();
        assert!(s.get("Endpoints", "web").get("subsets").is_none());
        assert_eq!(
            cond(s.get("Deployment", "web"), "Available")["status"],
            "True"
        );
    }

    #[test]
    fn garbage_in_no_panic() {
        let objs = vec![
            json!(null),
            json!({"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"uid": "u", "name": 5}, "spec": {"template": 3, "replicas": "x"}}),
            json!({"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"uid": "u2", "name": "d"}, "spec": {"template": {}, "replicas": -4, "strategy": {"rollingUpdate": {"maxSurge": "abc%", "maxUnavailable": []}}}}),
            json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p", "creationTimestamp": "garbage"}, "spec": {"nodeName": NODE_NAME, "containers": [1, {"image": 2}]}}),
            json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "q", "creationTimestamp": "2026-01-01T00:00:00Z", "annotations": {READY_AFTER: "1e400s"}}, "spec": {"nodeName": NODE_NAME, "containers": [{"name": "c", "image": "x"}]}}),
            json!({"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"uid": "u3", "name": "big", "annotations": {REVISION: i64::MAX.to_string()}}, "spec": {"template": {"metadata": {"labels": {"a": "b"}}}, "replicas": i64::MAX, "progressDeadlineSeconds": i64::MAX, "revisionHistoryLimit": i64::MIN}}),
            json!({"kind": "ReplicaSet", "apiVersion": "apps/v1", "metadata": {"uid": "r3", "name": "big-x", "labels": {"pod-template-hash": "zz"}, "annotations": {REVISION: i64::MAX.to_string()}, "ownerReferences": [{"uid": "u3", "controller": true}]}, "spec": {"template": {}, "replicas": 3}}),
            json!({"kind": "Service", "apiVersion": "v1", "metadata": {"name": "s"}, "spec": {"selector": {"a": 1}, "ports": "x"}}),
            json!({"kind": "Job", "apiVersion": "batch/v1", "metadata": {"uid": "j", "name": "j"}, "spec": {"template": {"spec": {}}, "completions": i64::MAX, "parallelism": i64::MAX, "backoffLimit": i64::MIN, "activeDeadlineSeconds": i64::MAX}}),
            json!({"kind": "StatefulSet", "apiVersion": "apps/v1", "metadata": {"uid": "s", "name": "s"}, "spec": {"template": {}, "replicas": 2, "volumeClaimTemplates": [{}, 3]}}),
        ];
        let _ = reconcile(&objs, Timestamp::from_millisecond(T0).expect("ts"));
        let _ = reconcile(&objs, Timestamp::MIN);
        let _ = reconcile(&objs, Timestamp::MAX);
    }

    #[test]
    fn large_snapshot_is_fast() {
        let mut objs: Vec<Value> = (0..10_000)
            .map(|i| {
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("c{i}"), "namespace": format!("ns{}", i % 50), "uid": format!("u{i}")}, "data": {"k": "v"}})
            })
            .collect();
        let mut s = Store::new(&[]);
        for i in 0..20 {
            s.put(y(&deploy(&format!("d{i}"), 5, "nginx:1", "")));
        }
        s.settle();
        objs.extend(s.objs.iter().cloned());
        let t = std::time::Instant::now();
        let ch = reconcile(&objs, s.now());
        let took = t.elapsed();
        assert!(ch.is_empty());
        assert!(took.as_millis() < 1000, "{took:?}");
    }
}

#[cfg(test)]
mod bench {
    #[test]
    #[ignore]
    fn steady_state_many_pods() {
        use super::*;
        let mut objs = Vec::new();
        let now = T;
        for i in 0..40_000 {
            objs.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("c{i}"), "namespace": "a", "uid": format!("c{i}")}}));
        }
        for i in 0..5_000 {
            objs.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i}"), "namespace": "a", "uid": format!("p{i}"), "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"app": format!("a{}", i % 100)}},
                "spec": {"nodeName": NODE_NAME, "containers": [{"name": "c", "image": "nginx"}]}}));
        }
        for i in 0..100 {
            objs.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": format!("s{i}"), "namespace": "a", "uid": format!("s{i}")}, "spec": {"selector": {"app": format!("a{i}")}, "ports": [{"port": 80}]}}));
        }
        let t = Timestamp::from_second(now).expect("ts");
        for round in 0..3 {
            let index: HashMap<String, usize> = objs
                .iter()
                .enumerate()
                .map(|(i, o)| (format!("{}/{}", o["kind"], o["metadata"]["name"]), i))
                .collect();
            let start = std::time::Instant::now();
            let ch = reconcile(&objs, t);
            eprintln!(
                "round {round}: {} changes in {:?}",
                ch.len(),
                start.elapsed()
            );
            for c in ch {
                match c {
                    Change::Status(v) => {
                        let k = (v["kind"].clone(), v["metadata"]["name"].clone());
                        if let Some(&i) = index.get(&format!("{}/{}", k.0, k.1)) {
                            let o: &mut Value = &mut objs[i];
                            o["status"] = v["status"].clone();
                        }
                    }
                    Change::Put(v) => objs.push(v),
                    _ => {}
                }
            }
        }
    }
    const T: i64 = 1_780_000_000;
}

#[cfg(test)]
mod cron_tests {
    use super::*;

    #[test]
    fn cron_schedules() {
        // 2026-01-01T00:00:00Z is a Thursday.
        let t0 = parse_ts("2026-01-01T00:00:00Z").expect("ts") / 60_000;
        assert_eq!(civil_from_days(t0 / 1440), (2026, 1, 1));
        let every5 = parse_cron("*/5 * * * *").expect("cron");
        assert!(every5.matches(t0) && !every5.matches(t0 + 1) && every5.matches(t0 + 5));
        let thu = parse_cron("30 2 * * 4").expect("cron");
        assert!(thu.matches(t0 + 150) && !thu.matches(t0 + 1440 + 150));
        let monthly = parse_cron("@monthly").expect("cron");
        assert!(monthly.matches(t0) && !monthly.matches(t0 + 1440));
        assert!(parse_cron("61 * * * *").is_none());
        assert!(parse_cron("* * *").is_none());
        assert!(parse_cron("*/0 * * * *").is_none());
        assert!(parse_cron("1-59/9223372036854775807 * * * *").is_some());
    }

    #[test]
    fn cronjob_creates_jobs() {
        let cj = json!({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "tick", "namespace": "default", "uid": "cj1", "creationTimestamp": "2026-01-01T00:00:30Z"},
            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}},
        });
        let now =
            Timestamp::from_millisecond(parse_ts("2026-01-01T00:01:10Z").expect("ts")).expect("ts");
        let ch = reconcile(std::slice::from_ref(&cj), now);
        let job = ch.iter().find_map(|c| match c {
            Change::Put(v) if kind(v) == "Job" => Some(v.clone()),
            _ => None,
        });
        let job = job.expect("a job");
        assert!(name(&job).starts_with("tick-"));
        let st = ch.iter().find_map(|c| match c {
            Change::Status(v) => Some(v["status"].clone()),
            _ => None,
        });
        assert_eq!(
            st.expect("status")["lastScheduleTime"],
            "2026-01-01T00:01:00Z"
        );
        // With the status stored: nothing new until the next minute.
        let mut cj2 = cj.clone();
        cj2["status"] = json!({"lastScheduleTime": "2026-01-01T00:01:00Z"});
        assert!(reconcile(&[cj2], now).is_empty());
    }
}
