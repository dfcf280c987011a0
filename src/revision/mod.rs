//! The revision store: every successful `deploy --apply` of a *set* (a named group of
//! manifests deployed together into a namespace) is recorded as revision N of that set, in
//! the cluster, so every CI runner and operator sees the same history; rollback reads one
//! back and re-applies its manifests, `deploy history` lists them.
//!
//! - [`Revision`] is what is recorded: the applied manifests, the scan summary and finding
//!   fingerprints, who, when, the git commit, the description and the rollout result.
//! - [`secrets`] keeps Secret values out of every stored byte: sealed with a key
//!   ([`SecretMode::Encrypted`]) or replaced by `sha256:` references
//!   ([`SecretMode::Referenced`]). Pure.
//! - [`encode`] turns a revision into Secrets of type `confgate.dev/revision.v1`: JSON,
//!   gzip, chunks of at most [`encode::CHUNK_SIZE`] so a revision may exceed etcd's 1 MiB
//!   object limit; chunk 0 carries the summary as annotations so listing reads only chunk
//!   0s. Pure.
//! - [`store`] is [`RevisionStore`]: list, get, latest, record (optimistic locking by
//!   creating chunk 0: two concurrent deploys cannot both become revision N), set_rollout
//!   and pruning to `history_max`. It reaches the cluster only through [`crate::cluster`].

pub mod encode;
pub mod lock;
pub mod secrets;
pub mod store;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::Severity;
use crate::finding::Finding;
use crate::gate::Gate;

pub use secrets::{SecretCheck, check_live_secret, protect_secrets, restore_secrets};
pub use store::{DEFAULT_HISTORY_MAX, RevisionStore};

/// One recorded deploy of a set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// The set's name (a DNS-1123 label).
    pub set: String,
    /// The namespace the set is deployed into (and the store lives in).
    pub namespace: String,
    /// 1, 2, ...; allocated by [`RevisionStore::record`].
    pub number: u64,
    /// When the deploy was made (RFC 3339).
    #[serde(with = "rfc3339")]
    pub created: jiff::Timestamp,
    /// Who deployed (user, CI job).
    pub author: String,
    /// The git commit, when deployed from inside a repository.
    #[serde(default)]
    pub commit: Option<String>,
    /// The deploy's description (`--description`).
    #[serde(default)]
    pub description: Option<String>,
    /// The applied manifests; Secret values protected as [`Revision::secrets`] says.
    pub manifests: Vec<Value>,
    /// What the scan before the deploy found.
    pub scan: ScanSummary,
    /// How the rollout ended. The stored payload keeps the value at record time; the
    /// authoritative one is chunk 0's annotation ([`RevisionStore::set_rollout`]), which
    /// [`RevisionStore::get`] reads back into this field.
    pub rollout: Rollout,
    /// How Secret values of the manifests are kept.
    pub secrets: SecretMode,
    /// The sealed values of the Secret manifests ([`SecretMode::Encrypted`]): one entry per
    /// Secret, pointing at it by JSON pointer into `manifests`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sealed: Vec<SealedSecret>,
}

impl Revision {
    /// A revision made now, with nothing found by the scan, rollout pending, Secrets not
    /// yet protected (the store protects them when recording).
    pub fn new(set: &str, namespace: &str, author: &str, manifests: Vec<Value>) -> Revision {
        Revision {
            set: set.to_string(),
            namespace: namespace.to_string(),
            number: 0,
            created: jiff::Timestamp::now(),
            author: author.to_string(),
            commit: None,
            description: None,
            manifests,
            scan: ScanSummary::default(),
            rollout: Rollout::Pending,
            secrets: SecretMode::Referenced,
            sealed: Vec::new(),
        }
    }

    /// Everything but the manifests.
    pub fn summary(&self) -> RevisionSummary {
        RevisionSummary {
            set: self.set.clone(),
            namespace: self.namespace.clone(),
            number: self.number,
            created: self.created,
            author: self.author.clone(),
            commit: self.commit.clone(),
            description: self.description.clone(),
            scan: self.scan.counts(),
            rollout: self.rollout.clone(),
            health: None,
            secrets: self.secrets,
            complete: true,
            chunks: 0,
            size: 0,
        }
    }
}

/// The values of one Secret manifest, sealed (see [`secrets`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedSecret {
    /// JSON pointer of the Secret in `manifests` (`/3`, or `/3/items/0` inside a List).
    pub pointer: String,
    /// The Secret's name, checked when restoring.
    pub name: String,
    /// base64 of the sealed JSON `{"data": …, "stringData": …}`.
    pub sealed: String,
}

/// What the scan before a deploy found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSummary {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    /// Findings the gate counted as blocking (0 for a deploy that went through, unless
    /// forced).
    pub blocking: usize,
    /// Fingerprints of every finding, sorted.
    pub fingerprints: Vec<String>,
}

impl ScanSummary {
    /// The summary of a scan's findings: counts per severity as the JSON report's
    /// `by_severity` counts them (suppressed findings left out), how many the gate blocks on,
    /// and every finding's fingerprint (sorted, once each).
    pub fn from_findings(findings: &[Finding], gate: &Gate) -> ScanSummary {
        let counts = crate::finding::by_severity(findings);
        let n = |s: Severity| counts.get(&s).copied().unwrap_or(0);
        let mut fingerprints: Vec<String> =
            findings.iter().map(|f| f.fingerprint.clone()).collect();
        fingerprints.sort();
        fingerprints.dedup();
        ScanSummary {
            critical: n(Severity::Critical),
            high: n(Severity::High),
            medium: n(Severity::Medium),
            low: n(Severity::Low),
            info: n(Severity::Info),
            blocking: gate.blocking(findings).count(),
            fingerprints,
        }
    }

    /// The counts alone (what a listing shows).
    pub fn counts(&self) -> ScanCounts {
        ScanCounts {
            critical: self.critical,
            high: self.high,
            medium: self.medium,
            low: self.low,
            info: self.info,
            blocking: self.blocking,
            findings: self.fingerprints.len(),
        }
    }
}

/// The counts of a [`ScanSummary`], without the fingerprints (which may be too many for an
/// annotation): what a [`RevisionSummary`] carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    pub blocking: usize,
    /// The number of fingerprints.
    pub findings: usize,
}

/// How a revision's rollout ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Rollout {
    /// Recorded, rollout not finished (or not watched).
    Pending,
    Succeeded,
    Failed {
        reason: String,
    },
    TimedOut {
        reason: String,
    },
    /// The deploy was stopped (signal) before the rollout ended.
    Interrupted,
}

impl Rollout {
    /// The state's name as annotations and JSON write it.
    pub fn state(&self) -> &'static str {
        match self {
            Rollout::Pending => "pending",
            Rollout::Succeeded => "succeeded",
            Rollout::Failed { .. } => "failed",
            Rollout::TimedOut { .. } => "timed-out",
            Rollout::Interrupted => "interrupted",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Rollout::Failed { reason } | Rollout::TimedOut { reason } => Some(reason),
            _ => None,
        }
    }

    /// From [`Rollout::state`] and a reason; `None` for an unknown state.
    pub fn from_parts(state: &str, reason: Option<&str>) -> Option<Rollout> {
        let reason = || reason.unwrap_or("").to_string();
        Some(match state {
            "pending" => Rollout::Pending,
            "succeeded" => Rollout::Succeeded,
            "failed" => Rollout::Failed { reason: reason() },
            "timed-out" => Rollout::TimedOut { reason: reason() },
            "interrupted" => Rollout::Interrupted,
            _ => return None,
        })
    }
}

/// How the Secret values of a revision's manifests are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretMode {
    /// Sealed with the store's key ([`crate::seal`]); a rollback restores them.
    Encrypted,
    /// Replaced by `sha256:<hex>` of each value; a rollback can only tell whether the live
    /// Secret still holds them.
    Referenced,
}

impl SecretMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretMode::Encrypted => "encrypted",
            SecretMode::Referenced => "referenced",
        }
    }

    pub fn parse(s: &str) -> Option<SecretMode> {
        match s {
            "encrypted" => Some(SecretMode::Encrypted),
            "referenced" => Some(SecretMode::Referenced),
            _ => None,
        }
    }
}

/// A revision without its manifests, as `list` gives it (from chunk 0 alone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevisionSummary {
    pub set: String,
    pub namespace: String,
    pub number: u64,
    #[serde(with = "rfc3339")]
    pub created: jiff::Timestamp,
    pub author: String,
    pub commit: Option<String>,
    /// Possibly shortened (annotations are bounded): the full text is in the revision.
    pub description: Option<String>,
    pub scan: ScanCounts,
    pub rollout: Rollout,
    /// The set's health score (0–100) measured after the rollout, when it was.
    pub health: Option<u32>,
    pub secrets: SecretMode,
    /// False while (or when) its chunks are not all written: not a usable revision.
    pub complete: bool,
    /// The number of chunk Secrets.
    pub chunks: usize,
    /// The compressed payload's size in bytes.
    pub size: usize,
}

/// RFC 3339 timestamps in serde.
pub(crate) mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &jiff::Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(t)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<jiff::Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: &str, fingerprint: &str, suppressed: bool) -> Finding {
        let mut j = serde_json::json!({
            "rule_id": "CG1001", "rule_name": "privileged-container", "severity": severity,
            "message": "m", "file": "a.yaml", "line": 1, "column": 1, "end_line": 1,
            "end_column": 2, "document_index": 0, "source": null,
            "resource": {"api_version": "v1", "kind": "Pod", "namespace": null, "name": "p"},
            "path": "spec", "frameworks": {}, "fingerprint": fingerprint, "suppressed": null});
        if suppressed {
            j["suppressed"] = serde_json::json!({"kind": "inSource", "justification": "ok"});
        }
        serde_json::from_value(j).unwrap()
    }

    #[test]
    fn scan_summaries_count_like_the_report_and_block_like_the_gate() {
        let findings = vec![
            finding("critical", "f3", false),
            finding("high", "f1", false),
            finding("high", "f1", false),
            finding("low", "f2", false),
            finding("critical", "f4", true),
        ];
        let s = ScanSummary::from_findings(&findings, &Gate::new(Severity::High));
        assert_eq!(
            (s.critical, s.high, s.medium, s.low, s.info),
            (1, 2, 0, 1, 0)
        );
        assert_eq!(s.blocking, 3);
        assert_eq!(s.fingerprints, vec!["f1", "f2", "f3", "f4"]);
        assert_eq!(s.counts().findings, 4);
    }

    #[test]
    fn rollout_states_round_trip() {
        for r in [
            Rollout::Pending,
            Rollout::Succeeded,
            Rollout::Failed {
                reason: "web: 0/3 ready".into(),
            },
            Rollout::TimedOut {
                reason: "5m".into(),
            },
            Rollout::Interrupted,
        ] {
            assert_eq!(Rollout::from_parts(r.state(), r.reason()), Some(r.clone()));
            let j = serde_json::to_value(&r).unwrap();
            assert_eq!(j["state"], r.state());
            assert_eq!(serde_json::from_value::<Rollout>(j).unwrap(), r);
        }
        assert_eq!(Rollout::from_parts("exploded", None), None);
    }

    #[test]
    fn revisions_serialize_with_rfc3339_times() {
        let mut r = Revision::new("web", "prod", "ci", vec![]);
        r.created = "2026-01-02T03:04:05Z".parse().unwrap();
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["created"], "2026-01-02T03:04:05Z");
        assert_eq!(j["secrets"], "referenced");
        assert_eq!(serde_json::from_value::<Revision>(j).unwrap(), r);
    }
}
