//! The validating admission webhook: AdmissionReviews decided by the same scanner, rules,
//! custom policies, waivers, severity overrides and gate as `confgate scan`.
//!
//! - [`decide`] (pure): which requests skip the scan, the answer to a scanned one, and the
//!   failure policy's answer when a request cannot be decided.
//! - [`Webhook`]: one long-lived [`Scanner`] and the current [`Inventory`] (the cluster as
//!   the mirror of [`crate::cluster::mirror`] sees it); [`Webhook::review`] is the whole
//!   decision for one request body, synchronous (it runs on the scanner's pool, called
//!   through `spawn_blocking` by the server, directly by tests and the benchmark).
//! - [`server`]: HTTPS (rustls, certificate reloaded when its files change), `/validate`,
//!   `/healthz`, `/readyz`, `/metrics`, body limit and per-request deadline.
//! - [`manifests`]: what `confgate webhook manifests` prints.

pub mod decide;
pub mod manifests;
pub mod metrics;
pub mod server;

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};

use crate::document::Document;
use crate::finding::Finding;
use crate::scan::{Inventory, Scanner};

pub use decide::{Decision, FailurePolicy, Policy};
pub use metrics::Metrics;

/// A request that is not an AdmissionReview the webhook can answer (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequest(pub String);

/// The decision of one review, with what the metrics and logs need.
#[derive(Debug)]
pub struct Reviewed {
    pub review: AdmissionReview<DynamicObject>,
    pub operation: &'static str,
    /// `None` when the request skipped evaluation.
    pub decision: Option<Decision>,
    pub skipped: Option<decide::Skip>,
}

/// The scanner, the decision policy and the current inventory.
pub struct Webhook {
    scanner: Arc<Scanner>,
    policy: Policy,
    inventory: RwLock<(Arc<Inventory>, Instant)>,
    /// An inventory built from a complete listing of every watched type is in use.
    inventory_complete: std::sync::atomic::AtomicBool,
    pub metrics: Metrics,
}

fn operation_label(op: &Operation) -> &'static str {
    match op {
        Operation::Create => "CREATE",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
        Operation::Connect => "CONNECT",
    }
}

impl Webhook {
    pub fn new(scanner: Arc<Scanner>, policy: Policy) -> Webhook {
        let empty = scanner.inventory(Vec::new(), &scanner.bindings());
        Webhook {
            scanner,
            policy,
            inventory: RwLock::new((Arc::new(empty), Instant::now())),
            inventory_complete: std::sync::atomic::AtomicBool::new(false),
            metrics: Metrics::default(),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn scanner(&self) -> &Arc<Scanner> {
        &self.scanner
    }

    /// Replaces the inventory cross-resource rules see.
    pub fn set_inventory(&self, inventory: Inventory) {
        if let Ok(mut i) = self.inventory.write() {
            *i = (Arc::new(inventory), Instant::now());
        }
    }

    /// Whether the inventory in use was built from a complete listing (readiness).
    pub fn inventory_complete(&self) -> bool {
        self.inventory_complete
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// The inventory in use and when it was built.
    pub fn inventory(&self) -> (Arc<Inventory>, Instant) {
        match self.inventory.read() {
            Ok(i) => (i.0.clone(), i.1),
            Err(p) => (p.get_ref().0.clone(), p.get_ref().1),
        }
    }

    /// Decides one request body (`admission.k8s.io/v1` `AdmissionReview` JSON).
    pub fn review(&self, body: &[u8]) -> Result<Reviewed, BadRequest> {
        Ok(self.review_request(&parse(body)?))
    }

    /// Decides one parsed request.
    pub fn review_request(&self, req: &AdmissionRequest<DynamicObject>) -> Reviewed {
        let operation = operation_label(&req.operation);
        if let Some(skip) = decide::skip(req, &self.policy) {
            return Reviewed {
                review: AdmissionResponse::from(req).into_review(),
                operation,
                decision: None,
                skipped: Some(skip),
            };
        }
        let (resp, decision) = match self.evaluate(req) {
            Ok((findings, already)) => decide::respond(
                req,
                &self.policy,
                self.scanner.rules(),
                &findings,
                already.as_ref(),
            ),
            Err(cause) => decide::failed(req, &self.policy, &cause),
        };
        Reviewed {
            review: resp.into_review(),
            operation,
            decision: Some(decision),
            skipped: None,
        }
    }

    /// The findings of the request's object (reported as `confgate scan` reports them) and,
    /// when it is denied on an UPDATE, the fingerprints the old object already had.
    fn evaluate(
        &self,
        req: &AdmissionRequest<DynamicObject>,
    ) -> Result<(Vec<Finding>, Option<BTreeSet<String>>), String> {
        let Some(object) = &req.object else {
            return Ok((Vec::new(), None));
        };
        let findings = self.scan_object(req, object)?;
        let blocked = self.policy.gate.blocking(&findings).next().is_some();
        let already = match (&req.old_object, blocked) {
            (Some(old), true) => Some(
                self.scan_object(req, old)?
                    .into_iter()
                    .map(|f| f.fingerprint)
                    .collect(),
            ),
            _ => None,
        };
        Ok((findings, already))
    }

    fn scan_object(
        &self,
        req: &AdmissionRequest<DynamicObject>,
        object: &DynamicObject,
    ) -> Result<Vec<Finding>, String> {
        let docs = documents(req, object, &self.scanner.options().load)?;
        let (inventory, _) = self.inventory();
        let outcome = self
            .scanner
            .scan_against(docs, &inventory, &self.scanner.bindings())
            .map_err(|d| d.message)?;
        if let Some(e) = outcome.errors.first() {
            return Err(e.message.clone());
        }
        Ok(outcome.findings)
    }
}

/// The request of an AdmissionReview body, or why it cannot be answered.
pub fn parse(body: &[u8]) -> Result<AdmissionRequest<DynamicObject>, BadRequest> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| BadRequest(format!("the body is not JSON: {e}")))?;
    let api_version = v.get("apiVersion").and_then(|a| a.as_str()).unwrap_or("");
    let kind = v.get("kind").and_then(|a| a.as_str()).unwrap_or("");
    if api_version != "admission.k8s.io/v1" || kind != "AdmissionReview" {
        return Err(BadRequest(format!(
            "expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got {api_version:?} {kind:?}"
        )));
    }
    let uid = v
        .pointer("/request/uid")
        .and_then(|u| u.as_str())
        .unwrap_or("");
    if uid.is_empty() {
        return Err(BadRequest("the AdmissionReview has no request.uid".into()));
    }
    let review: AdmissionReview<DynamicObject> = serde_json::from_value(v)
        .map_err(|e| BadRequest(format!("not a valid AdmissionReview: {e}")))?;
    review
        .try_into()
        .map_err(|_| BadRequest("the AdmissionReview has no request".into()))
}

/// The object as the scan's loader reads a live object: rendered as YAML and loaded, named
/// `admission/<namespace>/<kind>/<name>`.
fn documents(
    req: &AdmissionRequest<DynamicObject>,
    object: &DynamicObject,
    load: &crate::source::LoadOptions,
) -> Result<Vec<Document>, String> {
    let mut value = serde_json::to_value(object).map_err(|e| e.to_string())?;
    if let Some(m) = value.as_object_mut() {
        // The API server sends both; a missing one comes from the request.
        m.entry("apiVersion").or_insert_with(|| {
            let k = &req.kind;
            if k.group.is_empty() {
                k.version.clone().into()
            } else {
                format!("{}/{}", k.group, k.version).into()
            }
        });
        m.entry("kind")
            .or_insert_with(|| req.kind.kind.clone().into());
    }
    let name = format!(
        "admission/{}/{}/{}",
        req.namespace.as_deref().unwrap_or("_cluster"),
        req.kind.kind,
        if req.name.is_empty() {
            object.metadata.generate_name.as_deref().unwrap_or("_")
        } else {
            &req.name
        }
    );
    let text = crate::cluster::live::to_yaml(&value)?;
    let loaded = crate::source::load_text(name, text, load, true);
    if let Some(e) = loaded.errors.first() {
        return Err(e.message.clone());
    }
    Ok(loaded.documents)
}

/// Builds the inventory from mirrored objects (Secrets never reach here).
pub fn inventory_of(scanner: &Scanner, objects: Vec<serde_json::Value>) -> Inventory {
    let live = objects
        .into_iter()
        .map(|object| crate::cluster::read::LiveObject {
            context: "admission".to_string(),
            object,
            meta: Default::default(),
        })
        .collect();
    let (docs, _) = crate::cluster::live::to_documents(live, &scanner.options().load);
    scanner.inventory(docs, &scanner.bindings())
}

/// How long a review may take before the failure policy answers it.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(8);

/// Keeps the webhook's inventory current from a mirror of the cluster: the mirror follows
/// the inventory kinds by list + watch, and after changes (at most every `settle`) the
/// inventory is rebuilt on a blocking thread and swapped in. Returns when the cluster's
/// types cannot be discovered; otherwise runs until dropped.
pub async fn keep_inventory(
    webhook: Arc<Webhook>,
    cluster: crate::cluster::Cluster,
    mirror: Arc<crate::cluster::mirror::Mirror>,
    types: Vec<crate::cluster::ResourceType>,
    settle: Duration,
) {
    let mut changes = mirror.subscribe();
    let follow = tokio::spawn(crate::cluster::mirror::run(cluster, types, mirror.clone()));
    while changes.changed().await.is_ok() {
        tokio::time::sleep(settle).await;
        changes.borrow_and_update();
        let complete = mirror.synced();
        let objects = mirror.snapshot();
        let w = webhook.clone();
        let built = tokio::task::spawn_blocking(move || {
            let inv = inventory_of(w.scanner(), objects);
            w.set_inventory(inv);
            if complete {
                w.inventory_complete
                    .store(true, std::sync::atomic::Ordering::Release);
            }
        })
        .await;
        if built.is_err() {
            tracing::warn!("building the inventory failed; the previous one stays in use");
        }
    }
    follow.abort();
}
