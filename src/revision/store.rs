//! [`RevisionStore`]: the revisions of one set, kept as Secrets in the set's namespace
//! (format in [`super::encode`]).
//!
//! Recording allocates N = latest + 1 by *creating* chunk 0 of N: the API server refuses a
//! second create of the same name (409 AlreadyExists), so of two concurrent deploys of the
//! same set only one becomes revision N; the other re-reads the history and takes the next
//! number. The other chunks are created after chunk 0, and only then is chunk 0 marked
//! complete: a chunk 0 without the mark is listed as incomplete and never read as a revision.
//! Updates of chunk 0 (rollout result, completion) are replaces with its resourceVersion,
//! retried after re-reading it on 409 Conflict or a failure on the way.

use serde_json::Value;

use crate::cluster::ops::OpError;
use crate::cluster::{Cluster, ResourceType};
use crate::diag::{Code, Diagnostic};
use crate::seal::Key;

use super::encode::{self, SECRET_TYPE};
use super::{Revision, RevisionSummary, Rollout, protect_secrets, restore_secrets};

/// How many revisions of a set are kept when nothing else is said (Helm's `--history-max`).
pub const DEFAULT_HISTORY_MAX: usize = 10;
/// Attempts at allocating a number when concurrent deploys take them.
const RECORD_ATTEMPTS: u32 = 5;
/// Attempts at updating chunk 0 when concurrent writers change it.
const UPDATE_ATTEMPTS: u32 = 5;
/// An incomplete revision older than this (server time) lost its writer: pruned.
const STALE_INCOMPLETE_SECS: i64 = 15 * 60;

/// The revisions of one set in one namespace.
#[derive(Debug)]
pub struct RevisionStore<'a> {
    cluster: &'a Cluster,
    secrets: ResourceType,
    namespace: String,
    set: String,
    history_max: usize,
    key: Option<Key>,
}

fn is_revision_chunk(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some(SECRET_TYPE)
}

/// Whether a conditional update of chunk 0 may be tried again (after re-reading it): a 409
/// (someone changed it first) or a failure on the way (the resourceVersion precondition
/// makes a repeat safe).
fn retryable(e: &OpError) -> bool {
    e.is(409) || matches!(e, OpError::Failed(_))
}

impl<'a> RevisionStore<'a> {
    /// The store of `set` in `namespace`, keeping `history_max` complete revisions (0: all),
    /// sealing Secret values with `key` when given (else storing references).
    pub async fn open(
        cluster: &'a Cluster,
        namespace: &str,
        set: &str,
        history_max: usize,
        key: Option<Key>,
    ) -> Result<RevisionStore<'a>, Diagnostic> {
        encode::validate_set(set)?;
        if !crate::k8s::is_dns1123_label(namespace) {
            return Err(Diagnostic::new(
                Code::Settings,
                format!("invalid namespace {namespace:?} for the revisions of set {set}"),
            ));
        }
        let secrets = cluster.resource_type("v1", "Secret").await?;
        Ok(RevisionStore {
            cluster,
            secrets,
            namespace: namespace.to_string(),
            set: set.to_string(),
            history_max,
            key,
        })
    }

    pub fn set(&self) -> &str {
        &self.set
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn history_max(&self) -> usize {
        self.history_max
    }

    fn what(&self, number: u64) -> String {
        format!(
            "revision {number} of set {} (namespace {})",
            self.set, self.namespace
        )
    }

    async fn chunk0s(&self) -> Result<Vec<Value>, Diagnostic> {
        let found = self
            .cluster
            .list_objects(
                &self.secrets,
                Some(&self.namespace),
                Some(&encode::chunk0_selector(&self.set)),
            )
            .await?;
        Ok(found.into_iter().filter(is_revision_chunk).collect())
    }

    async fn get_chunk(&self, number: u64, index: usize) -> Result<Option<Value>, Diagnostic> {
        let name = encode::chunk_name(&self.set, number, index);
        let got = self
            .cluster
            .get_object(&self.secrets, Some(&self.namespace), &name)
            .await?;
        Ok(got.filter(is_revision_chunk))
    }

    /// Every revision of the set, complete or not, by number (from chunk 0s alone). A chunk
    /// 0 whose annotations cannot be read is left out (with a warning).
    pub async fn list(&self) -> Result<Vec<RevisionSummary>, Diagnostic> {
        let mut out: Vec<RevisionSummary> = Vec::new();
        for c in self.chunk0s().await? {
            match encode::summary_of(&c) {
                Ok(s) => out.push(s),
                Err(d) => tracing::warn!("{d}"),
            }
        }
        out.sort_by_key(|s| s.number);
        Ok(out)
    }

    /// Revision `number`, read back whole and checked. Missing, incomplete or corrupt is an
    /// error naming the revision.
    pub async fn get(&self, number: u64) -> Result<Revision, Diagnostic> {
        let Some(chunk0) = self.get_chunk(number, 0).await? else {
            return Err(Diagnostic::new(
                Code::Settings,
                format!("{} does not exist", self.what(number)),
            ));
        };
        let summary = encode::summary_of(&chunk0)?;
        if !summary.complete {
            return Err(Diagnostic::new(
                Code::InvalidObject,
                format!(
                    "{} is incomplete: its chunks are still being written, or its deploy stopped before they were",
                    self.what(number)
                ),
            ));
        }
        let mut chunks = vec![chunk0];
        for i in 1..summary.chunks {
            if let Some(c) = self.get_chunk(number, i).await? {
                chunks.push(c);
            }
        }
        encode::decode(&self.set, number, &chunks)
    }

    /// The newest complete revision, if any.
    pub async fn latest(&self) -> Result<Option<Revision>, Diagnostic> {
        let newest = self
            .list()
            .await?
            .into_iter()
            .filter(|s| s.complete)
            .map(|s| s.number)
            .max();
        match newest {
            Some(n) => self.get(n).await.map(Some),
            None => Ok(None),
        }
    }

    /// The manifests of `rev` with clear Secret values, with this store's key (see
    /// [`restore_secrets`]).
    pub fn restore(&self, rev: &Revision) -> Result<Vec<Value>, Diagnostic> {
        restore_secrets(rev, self.key.as_ref())
    }

    async fn next_number(&self) -> Result<u64, Diagnostic> {
        let max = self
            .chunk0s()
            .await?
            .iter()
            .filter_map(encode::number_of)
            .max()
            .unwrap_or(0);
        Ok(max + 1)
    }

    /// Records `rev` as the next revision of the set (its `set`, `namespace` and `number`
    /// are the store's to set; its Secret values are protected) and prunes the history.
    /// Returns its number.
    pub async fn record(&self, mut rev: Revision) -> Result<u64, Diagnostic> {
        rev.set = self.set.clone();
        rev.namespace = self.namespace.clone();
        protect_secrets(&mut rev, self.key.as_ref())?;
        let mut number = self.next_number().await?;
        let mut attempt = 0;
        let (chunks, created0) = loop {
            attempt += 1;
            rev.number = number;
            let chunks = encode::encode(&rev)?;
            let Some(first) = chunks.first() else {
                return Err(Diagnostic::new(
                    Code::InvalidObject,
                    format!("{}: nothing to store", self.what(number)),
                ));
            };
            match self.create(first).await {
                Ok(created) => break (chunks, created),
                Err(e) if e.is(409) && attempt < RECORD_ATTEMPTS => {
                    tracing::debug!("{} was taken by a concurrent deploy", self.what(number));
                    number = self.next_number().await?.max(number + 1);
                }
                Err(e) if e.is(409) => {
                    return Err(Diagnostic::new(
                        Code::Cluster,
                        format!(
                            "cannot record a revision of set {} (namespace {}): {RECORD_ATTEMPTS} numbers up to {number} were taken by concurrent deploys",
                            self.set, self.namespace
                        ),
                    ));
                }
                Err(e) => return Err(e.diagnostic(&format!("record {}", self.what(number)))),
            }
        };
        if chunks.len() > 1
            && let Err(d) = self.write_rest(number, &chunks, created0).await
        {
            self.delete_revision(number, chunks.len()).await;
            return Err(d);
        }
        if let Err(d) = self.prune(number).await {
            tracing::warn!("revision history of set {} not pruned: {d}", self.set);
        }
        Ok(number)
    }

    async fn create(&self, obj: &Value) -> Result<Value, OpError> {
        self.cluster
            .create_object(&self.secrets, Some(&self.namespace), obj)
            .await
    }

    /// Creates chunks 1.. (replacing a leftover of the same name) and marks chunk 0 complete.
    async fn write_rest(
        &self,
        number: u64,
        chunks: &[Value],
        mut chunk0: Value,
    ) -> Result<(), Diagnostic> {
        let what = |i: usize| format!("record chunk {i} of {}", self.what(number));
        for (i, c) in chunks.iter().enumerate().skip(1) {
            match self.create(c).await {
                Ok(_) => {}
                Err(e) if e.is(409) => {
                    let live = self.get_chunk(number, i).await?;
                    let mut c = c.clone();
                    c["metadata"]["resourceVersion"] = live
                        .and_then(|l| l.pointer("/metadata/resourceVersion").cloned())
                        .unwrap_or(Value::Null);
                    self.cluster
                        .replace_object(&self.secrets, Some(&self.namespace), &c)
                        .await
                        .map_err(|e| e.diagnostic(&what(i)))?;
                }
                Err(e) => return Err(e.diagnostic(&what(i))),
            }
        }
        for attempt in 1..=UPDATE_ATTEMPTS {
            encode::mark_complete(&mut chunk0);
            match self
                .cluster
                .replace_object(&self.secrets, Some(&self.namespace), &chunk0)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if retryable(&e) && attempt < UPDATE_ATTEMPTS => {
                    chunk0 = self.get_chunk(number, 0).await?.ok_or_else(|| {
                        Diagnostic::new(
                            Code::Cluster,
                            format!("{}: chunk 0 was deleted while recording", self.what(number)),
                        )
                    })?;
                }
                Err(e) => return Err(e.diagnostic(&what(0))),
            }
        }
        Ok(())
    }

    /// Sets the rollout result of revision `number` (chunk 0's annotations).
    pub async fn set_rollout(&self, number: u64, rollout: Rollout) -> Result<(), Diagnostic> {
        for attempt in 1..=UPDATE_ATTEMPTS {
            let Some(mut chunk0) = self.get_chunk(number, 0).await? else {
                return Err(Diagnostic::new(
                    Code::Settings,
                    format!("{} does not exist", self.what(number)),
                ));
            };
            encode::set_rollout(&mut chunk0, &rollout);
            match self
                .cluster
                .replace_object(&self.secrets, Some(&self.namespace), &chunk0)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if retryable(&e) && attempt < UPDATE_ATTEMPTS => continue,
                Err(e) => {
                    return Err(e.diagnostic(&format!("set the rollout of {}", self.what(number))));
                }
            }
        }
        Ok(())
    }

    /// Records the set's health score after the rollout of revision `number`.
    pub async fn set_health(&self, number: u64, score: u32) -> Result<(), Diagnostic> {
        for attempt in 1..=UPDATE_ATTEMPTS {
            let Some(mut chunk0) = self.get_chunk(number, 0).await? else {
                return Err(Diagnostic::new(
                    Code::Settings,
                    format!("{} does not exist", self.what(number)),
                ));
            };
            encode::set_health(&mut chunk0, score);
            match self
                .cluster
                .replace_object(&self.secrets, Some(&self.namespace), &chunk0)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if retryable(&e) && attempt < UPDATE_ATTEMPTS => continue,
                Err(e) => {
                    return Err(e.diagnostic(&format!("set the health of {}", self.what(number))));
                }
            }
        }
        Ok(())
    }

    /// Deletes the oldest complete revisions beyond `history_max` (never `keep`, the one just
    /// written) and incomplete ones older than `keep` whose writer is long gone. Returns the
    /// numbers deleted.
    pub async fn prune(&self, keep: u64) -> Result<Vec<u64>, Diagnostic> {
        if self.history_max == 0 {
            return Ok(Vec::new());
        }
        let chunk0s = self.chunk0s().await?;
        let now = jiff::Timestamp::now();
        let mut complete: Vec<(u64, usize)> = Vec::new();
        let mut doomed: Vec<(u64, usize)> = Vec::new();
        for c in &chunk0s {
            let Some(n) = encode::number_of(c) else {
                continue;
            };
            let count = encode::chunk_count(c).unwrap_or(1).max(1);
            match encode::summary_of(c) {
                Ok(s) if s.complete => complete.push((n, count)),
                _ => {
                    let age = c
                        .pointer("/metadata/creationTimestamp")
                        .and_then(Value::as_str)
                        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                        .map(|t| now.as_second() - t.as_second());
                    if n < keep && age.is_some_and(|a| a > STALE_INCOMPLETE_SECS) {
                        doomed.push((n, count));
                    }
                }
            }
        }
        complete.sort();
        let excess = complete.len().saturating_sub(self.history_max);
        doomed.extend(
            complete
                .into_iter()
                .filter(|(n, _)| *n != keep)
                .take(excess),
        );
        let mut deleted = Vec::new();
        for (n, count) in doomed {
            if self.try_delete(n, count).await? {
                deleted.push(n);
            }
        }
        Ok(deleted)
    }

    /// Deletes every chunk of revision `number`, chunk 0 last.
    async fn try_delete(&self, number: u64, count: usize) -> Result<bool, Diagnostic> {
        for i in (0..count).rev() {
            let name = encode::chunk_name(&self.set, number, i);
            self.cluster
                .delete_object(&self.secrets, Some(&self.namespace), &name, false)
                .await
                .map_err(|e| e.diagnostic(&format!("prune {}", self.what(number))))?;
        }
        Ok(true)
    }

    /// Best-effort removal of a revision whose recording failed: a transient failure is
    /// tried again (deleting is idempotent), a lasting one is a warning and the leftover
    /// is pruned later as an incomplete revision.
    async fn delete_revision(&self, number: u64, count: usize) {
        let mut last = None;
        for attempt in 0..3u64 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
            }
            match self.try_delete(number, count).await {
                Ok(_) => return,
                Err(d) => last = Some(d),
            }
        }
        if let Some(d) = last {
            tracing::warn!("{d}");
        }
    }
}
