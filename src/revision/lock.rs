//! The set lock: one Secret `confgate-lock.<set>` in the set's namespace, held by the
//! deploy or rollback that is changing the set. Creating it is the acquisition (the API
//! server refuses a second create of the same name with 409 AlreadyExists), deleting it the
//! release. A lock whose expiry has passed lost its holder (killed, cluster lost) and is
//! taken over with a conditional replace, so two takers cannot both win it.
//!
//! A Secret rather than a Lease: it needs no permission the revision store does not already
//! need, and it lives next to the revisions it protects.

use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster::{Cluster, ResourceType};
use crate::diag::{Code, Diagnostic};

/// The Secret type of a set lock.
pub const LOCK_TYPE: &str = "confgate.dev/lock.v1";
const HOLDER: &str = "confgate.dev/holder";
const OPERATION: &str = "confgate.dev/operation";
const ACQUIRED: &str = "confgate.dev/acquired";
const EXPIRES: &str = "confgate.dev/expires";

/// The lock's name for `set`.
pub fn lock_name(set: &str) -> String {
    format!("confgate-lock.{set}")
}

/// Who holds a lock: user, host, process and a random part, so that two processes of the
/// same user on the same host differ.
fn holder_id(author: &str) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .unwrap_or_else(|| "unknown-host".into());
    let nonce = jiff::Timestamp::now().as_nanosecond() as u64 ^ u64::from(std::process::id());
    format!(
        "{author}@{host} pid {} ({:08x})",
        std::process::id(),
        nonce & 0xffff_ffff
    )
}

/// A held lock; [`SetLock::release`] gives it back (a process that dies without releasing
/// leaves it to expire).
#[derive(Debug)]
pub struct SetLock<'a> {
    cluster: &'a Cluster,
    secrets: ResourceType,
    namespace: String,
    name: String,
    holder: String,
}

fn annotation<'v>(obj: &'v Value, key: &str) -> Option<&'v str> {
    obj.pointer(&format!("/metadata/annotations/{}", key.replace('/', "~1")))
        .and_then(Value::as_str)
}

fn lock_object(set: &str, namespace: &str, holder: &str, operation: &str, ttl: Duration) -> Value {
    let now = jiff::Timestamp::now();
    let expires = now
        .checked_add(jiff::SignedDuration::from_secs(ttl.as_secs() as i64))
        .unwrap_or(now);
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": LOCK_TYPE,
        "metadata": {
            "name": lock_name(set),
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "confgate", "confgate.dev/lock": set},
            "annotations": {
                HOLDER: holder,
                OPERATION: operation,
                ACQUIRED: now.to_string(),
                EXPIRES: expires.to_string(),
            },
        },
    })
}

/// Why the lock could not be taken: who holds it, since when, and what to do.
fn held_by(set: &str, namespace: &str, live: &Value) -> Diagnostic {
    let op = annotation(live, OPERATION).unwrap_or("deploy");
    let holder = annotation(live, HOLDER).unwrap_or("an unknown process");
    let since = annotation(live, ACQUIRED).unwrap_or("an unknown time");
    let until = annotation(live, EXPIRES).unwrap_or("an unknown time");
    Diagnostic::new(
        Code::Cluster,
        format!(
            "set {set} (namespace {namespace}) is being changed by a concurrent {op} of {holder} since {since}: wait for it to finish, or, if that process is gone, wait until {until} or delete secret {} in namespace {namespace}",
            lock_name(set)
        ),
    )
}

/// Takes the lock of `set` in `namespace` for `operation` (`deploy`, `rollback`), for at
/// most `ttl` (after that it may be taken over).
pub async fn acquire<'a>(
    cluster: &'a Cluster,
    namespace: &str,
    set: &str,
    operation: &str,
    author: &str,
    ttl: Duration,
) -> Result<SetLock<'a>, Diagnostic> {
    let secrets = cluster.resource_type("v1", "Secret").await?;
    let holder = holder_id(author);
    let obj = lock_object(set, namespace, &holder, operation, ttl);
    let lock = SetLock {
        cluster,
        secrets: secrets.clone(),
        namespace: namespace.to_string(),
        name: lock_name(set),
        holder,
    };
    let what = format!("lock set {set} (namespace {namespace})");
    match cluster.create_object(&secrets, Some(namespace), &obj).await {
        Ok(_) => return Ok(lock),
        Err(e) if e.is(409) => {}
        Err(e) => return Err(e.diagnostic(&what)),
    }
    let Some(live) = cluster
        .get_object(&secrets, Some(namespace), &lock.name)
        .await?
    else {
        // Released between the create and the read: one more try.
        return match cluster.create_object(&secrets, Some(namespace), &obj).await {
            Ok(_) => Ok(lock),
            Err(e) if e.is(409) => Err(Diagnostic::new(
                Code::Cluster,
                format!("{what}: another deploy or rollback took it first"),
            )),
            Err(e) => Err(e.diagnostic(&what)),
        };
    };
    if live.get("type").and_then(Value::as_str) != Some(LOCK_TYPE) {
        return Err(Diagnostic::new(
            Code::Cluster,
            format!(
                "{what}: secret {} exists and is not a confgate lock; rename or remove it",
                lock.name
            ),
        ));
    }
    let expired = annotation(&live, EXPIRES)
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .is_none_or(|t| t < jiff::Timestamp::now());
    if !expired {
        return Err(held_by(set, namespace, &live));
    }
    tracing::warn!(
        "{what}: taking over the expired lock of {}",
        annotation(&live, HOLDER).unwrap_or("an unknown process")
    );
    let mut takeover = obj;
    takeover["metadata"]["resourceVersion"] = live
        .pointer("/metadata/resourceVersion")
        .cloned()
        .unwrap_or(Value::Null);
    match cluster
        .replace_object(&secrets, Some(namespace), &takeover)
        .await
    {
        Ok(_) => Ok(lock),
        Err(e) if e.is(409) => Err(Diagnostic::new(
            Code::Cluster,
            format!("{what}: another deploy or rollback took over the expired lock first"),
        )),
        Err(e) => Err(e.diagnostic(&what)),
    }
}

impl SetLock<'_> {
    /// Who holds it (this process).
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Gives the lock back, if it is still ours. A failure is returned for the report; the
    /// lock then expires on its own.
    pub async fn release(self) -> Result<(), Diagnostic> {
        let what = format!(
            "release the lock {} (namespace {})",
            self.name, self.namespace
        );
        let live = self
            .cluster
            .get_object(&self.secrets, Some(&self.namespace), &self.name)
            .await
            .map_err(|d| Diagnostic::new(d.code, format!("{what}: {}", d.message)))?;
        match live {
            Some(l) if annotation(&l, HOLDER) == Some(self.holder.as_str()) => self
                .cluster
                .delete_object(&self.secrets, Some(&self.namespace), &self.name, false)
                .await
                .map(|_| ())
                .map_err(|e| e.diagnostic(&what)),
            Some(_) => Err(Diagnostic::new(
                Code::Cluster,
                format!("{what}: it was taken over by another process after it expired"),
            )),
            None => Ok(()),
        }
    }
}
