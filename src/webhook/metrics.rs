//! The webhook's own metrics: reviews by operation and decision, skipped reviews by reason,
//! failures answered by the failure policy, rejected requests, the review latency as a
//! histogram, and the inventory's state. Prometheus text, checked by `promtool`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Inner {
    /// (operation, decision) → count
    reviews: BTreeMap<(String, String), u64>,
    /// reason → count
    skipped: BTreeMap<String, u64>,
    /// (reason, policy) → count
    failures: BTreeMap<(String, String), u64>,
    /// HTTP status → count of requests refused before a decision
    rejected: BTreeMap<u16, u64>,
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
    inventory_objects: u64,
    inventory_synced: bool,
    inventory_age: f64,
}

/// Counters shared by every request.
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            inner: Mutex::new(Inner {
                buckets: vec![0; BUCKETS.len()],
                ..Inner::default()
            }),
        }
    }
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Inner)) {
        if let Ok(mut i) = self.inner.lock() {
            f(&mut i);
        }
    }

    pub fn review(&self, operation: &str, decision: &str, took: Duration) {
        self.with(|i| {
            *i.reviews
                .entry((operation.to_string(), decision.to_string()))
                .or_insert(0) += 1;
            let s = took.as_secs_f64();
            for (b, le) in i.buckets.iter_mut().zip(BUCKETS) {
                if s <= *le {
                    *b += 1;
                }
            }
            i.sum += s;
            i.count += 1;
        });
    }

    pub fn skipped(&self, reason: &str) {
        self.with(|i| *i.skipped.entry(reason.to_string()).or_insert(0) += 1);
    }

    pub fn failure(&self, reason: &str, policy: &str) {
        self.with(|i| {
            *i.failures
                .entry((reason.to_string(), policy.to_string()))
                .or_insert(0) += 1
        });
    }

    pub fn rejected(&self, status: u16) {
        self.with(|i| *i.rejected.entry(status).or_insert(0) += 1);
    }

    pub fn inventory(&self, objects: usize, synced: bool, age: Duration) {
        self.with(|i| {
            i.inventory_objects = objects as u64;
            i.inventory_synced = synced;
            i.inventory_age = age.as_secs_f64();
        });
    }

    /// Prometheus text exposition with `prefix` (e.g. `confgate`).
    pub fn prometheus(&self, prefix: &str) -> String {
        let Ok(i) = self.inner.lock() else {
            return String::new();
        };
        let mut o = String::new();
        let p = prefix;
        let _ = writeln!(
            o,
            "# HELP {p}_webhook_reviews_total AdmissionReviews decided, by operation and decision."
        );
        let _ = writeln!(o, "# TYPE {p}_webhook_reviews_total counter");
        for ((op, d), n) in &i.reviews {
            let _ = writeln!(
                o,
                "{p}_webhook_reviews_total{{operation=\"{op}\",decision=\"{d}\"}} {n}"
            );
        }
        let _ = writeln!(
            o,
            "# HELP {p}_webhook_skipped_total AdmissionReviews allowed without evaluation, by reason."
        );
        let _ = writeln!(o, "# TYPE {p}_webhook_skipped_total counter");
        for (r, n) in &i.skipped {
            let _ = writeln!(o, "{p}_webhook_skipped_total{{reason=\"{r}\"}} {n}");
        }
        let _ = writeln!(
            o,
            "# HELP {p}_webhook_failures_total Reviews that could not be decided and were answered by the failure policy."
        );
        let _ = writeln!(o, "# TYPE {p}_webhook_failures_total counter");
        for ((r, pol), n) in &i.failures {
            let _ = writeln!(
                o,
                "{p}_webhook_failures_total{{reason=\"{r}\",policy=\"{pol}\"}} {n}"
            );
        }
        let _ = writeln!(
            o,
            "# HELP {p}_webhook_rejected_requests_total Requests refused before a decision (malformed, too large), by HTTP status."
        );
        let _ = writeln!(o, "# TYPE {p}_webhook_rejected_requests_total counter");
        for (s, n) in &i.rejected {
            let _ = writeln!(o, "{p}_webhook_rejected_requests_total{{code=\"{s}\"}} {n}");
        }
        let _ = writeln!(
            o,
            "# HELP {p}_webhook_review_duration_seconds Time to decide one AdmissionReview."
        );
        let _ = writeln!(o, "# TYPE {p}_webhook_review_duration_seconds histogram");
        for (b, le) in i.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                o,
                "{p}_webhook_review_duration_seconds_bucket{{le=\"{le}\"}} {b}"
            );
        }
        let _ = writeln!(
            o,
            "{p}_webhook_review_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            i.count
        );
        let _ = writeln!(o, "{p}_webhook_review_duration_seconds_sum {}", i.sum);
        let _ = writeln!(o, "{p}_webhook_review_duration_seconds_count {}", i.count);
        let _ = writeln!(
            o,
            "# HELP {p}_webhook_inventory_objects Objects in the cluster inventory cross-resource rules read."
        );
        let _ = writeln!(o, "# TYPE {p}_webhook_inventory_objects gauge");
        let _ = writeln!(o, "{p}_webhook_inventory_objects {}", i.inventory_objects);
        let _ = writeln!(
            o,
            "# HELP {p}_webhook_inventory_synced 1 when every inventory resource type was listed."
        );
        let _ = writeln!(o, "# TYPE {p}_webhook_inventory_synced gauge");
        let _ = writeln!(
            o,
            "{p}_webhook_inventory_synced {}",
            u8::from(i.inventory_synced)
        );
        let _ = writeln!(
            o,
            "# HELP {p}_webhook_inventory_age_seconds Seconds since the inventory in use was built."
        );
        let _ = writeln!(o, "# TYPE {p}_webhook_inventory_age_seconds gauge");
        let _ = writeln!(o, "{p}_webhook_inventory_age_seconds {}", i.inventory_age);
        o
    }
}
