//! Retention (`backup prune`): which backups a policy keeps. Keep-last N, keep the newest
//! backup of each of the last N days / ISO weeks / months (grandfather-father-son), and a
//! maximum age. A kept incremental keeps every backup it references, so pruning never
//! orphans one; an incomplete backup (no manifest) is removed (the caller leaves out those
//! still being written: files younger than an hour). Pure:
//! decided on the listed backups and the current time.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// `[backup.retention]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Policy {
    pub keep_last: Option<usize>,
    pub keep_daily: Option<usize>,
    pub keep_weekly: Option<usize>,
    pub keep_monthly: Option<usize>,
    /// `30d`, `12h`, `8w`: older backups are removed (unless a kept incremental needs
    /// them).
    pub max_age: Option<String>,
    /// An incomplete backup (no manifest) is removed once its newest file is this old
    /// (default `1h`: younger, it may still be being written).
    pub incomplete_after: Option<String>,
}

impl Policy {
    /// Whether the policy says anything (pruning without a policy removes nothing).
    pub fn is_empty(&self) -> bool {
        self.keep_last.is_none()
            && self.keep_daily.is_none()
            && self.keep_weekly.is_none()
            && self.keep_monthly.is_none()
            && self.max_age.is_none()
    }
}

/// Parses `30d`, `12h`, `90m`, `8w`, `3600s` into seconds.
pub fn parse_age(s: &str) -> Option<i64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    let mul = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(mul)
}

/// A backup as retention sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    /// Seconds since the epoch; `None` for an incomplete backup.
    pub created: Option<i64>,
    /// Backups whose packs this one references (an incremental's ancestors).
    pub needs: Vec<String>,
}

/// The decision on one backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub id: String,
    pub keep: bool,
    /// Why (`last 3`, `daily 2026-12-01`, `needed by backup-…`, `older than 30d`,
    /// `incomplete`).
    pub reasons: Vec<String>,
}

/// A GFS rule: how many to keep, its name, and the bucket of a date.
type Bucket = (Option<usize>, &'static str, fn(jiff::civil::Date) -> String);

/// What `policy` keeps of `backups` at `now` (seconds).
pub fn decide(backups: &[Candidate], policy: &Policy, now: i64) -> Vec<Decision> {
    let mut reasons: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut complete: Vec<&Candidate> = backups.iter().filter(|b| b.created.is_some()).collect();
    complete.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
    if policy.is_empty() {
        for b in &complete {
            reasons
                .entry(&b.id)
                .or_default()
                .push("no retention policy".into());
        }
    }
    if let Some(n) = policy.keep_last {
        for b in complete.iter().take(n) {
            reasons.entry(&b.id).or_default().push(format!("last {n}"));
        }
    }
    let buckets: [Bucket; 3] = [
        (policy.keep_daily, "daily", |d| d.to_string()),
        (policy.keep_weekly, "weekly", |d| {
            let w = d.iso_week_date();
            format!("{}-W{:02}", w.year(), w.week())
        }),
        (policy.keep_monthly, "monthly", |d| {
            format!("{}-{:02}", d.year(), d.month())
        }),
    ];
    for (n, label, bucket) in buckets {
        let Some(n) = n else { continue };
        let mut seen = BTreeSet::new();
        for b in &complete {
            let Some(date) = b
                .created
                .and_then(|t| jiff::Timestamp::from_second(t).ok())
                .map(|t| jiff::tz::Offset::UTC.to_datetime(t).date())
            else {
                continue;
            };
            let key = bucket(date);
            if seen.len() < n && seen.insert(key.clone()) {
                reasons
                    .entry(&b.id)
                    .or_default()
                    .push(format!("{label} {key}"));
            }
        }
    }
    let max_age = policy.max_age.as_deref().and_then(parse_age);
    let mut expired: BTreeSet<&str> = BTreeSet::new();
    if let Some(age) = max_age {
        for b in &complete {
            if b.created.is_some_and(|c| now - c > age) {
                expired.insert(&b.id);
                // With only a max age, everything younger is kept.
            } else if policy.keep_last.is_none()
                && policy.keep_daily.is_none()
                && policy.keep_weekly.is_none()
                && policy.keep_monthly.is_none()
            {
                reasons
                    .entry(&b.id)
                    .or_default()
                    .push("within max-age".into());
            }
        }
        for id in &expired {
            reasons.remove(id);
        }
    }
    // Dependencies: a kept backup keeps what it references.
    let by_id: BTreeMap<&str, &Candidate> = backups.iter().map(|b| (b.id.as_str(), b)).collect();
    let mut stack: Vec<&str> = reasons.keys().copied().collect();
    while let Some(id) = stack.pop() {
        let Some(b) = by_id.get(id) else { continue };
        for need in &b.needs {
            let Some((k, _)) = by_id.get_key_value(need.as_str()) else {
                continue;
            };
            let entry = reasons.entry(k).or_default();
            let why = format!("needed by {id}");
            if !entry.contains(&why) {
                entry.push(why);
                stack.push(k);
            }
        }
    }
    let mut out: Vec<Decision> = backups
        .iter()
        .map(|b| {
            let kept = reasons.get(b.id.as_str());
            let keep = b.created.is_some() && kept.is_some();
            let why = match (b.created, kept) {
                (None, _) => vec!["incomplete (no manifest)".to_string()],
                (Some(_), Some(r)) => r.clone(),
                (Some(_), None) if expired.contains(b.id.as_str()) => {
                    vec![format!(
                        "older than {}",
                        policy.max_age.as_deref().unwrap_or("")
                    )]
                }
                (Some(_), None) => vec!["outside the retention policy".to_string()],
            };
            Decision {
                id: b.id.clone(),
                keep,
                reasons: why,
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn b(id: &str, day: i64, needs: &[&str]) -> Candidate {
        Candidate {
            id: id.into(),
            created: Some(1_767_225_600 + day * DAY),
            needs: needs.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn kept(d: &[Decision]) -> Vec<&str> {
        d.iter().filter(|d| d.keep).map(|d| d.id.as_str()).collect()
    }

    #[test]
    fn keep_last_and_gfs_buckets() {
        let list: Vec<Candidate> = (0..40).map(|d| b(&format!("b{d:02}"), d, &[])).collect();
        let now = 1_767_225_600 + 40 * DAY;
        let p = Policy {
            keep_last: Some(2),
            ..Policy::default()
        };
        assert_eq!(kept(&decide(&list, &p, now)), ["b38", "b39"]);
        let p = Policy {
            keep_daily: Some(3),
            keep_monthly: Some(2),
            ..Policy::default()
        };
        // The newest of the last 3 days, and the newest of each of the last 2 months
        // (2026-02 holds b31..b39, 2026-01 b00..b30).
        assert_eq!(kept(&decide(&list, &p, now)), ["b30", "b37", "b38", "b39"]);
        let p = Policy {
            keep_weekly: Some(1),
            ..Policy::default()
        };
        assert_eq!(kept(&decide(&list, &p, now)).len(), 1);
    }

    #[test]
    fn a_kept_incremental_keeps_its_full_backup() {
        let list = vec![
            b("full", 0, &[]),
            b("inc1", 1, &["full"]),
            b("inc2", 2, &["full", "inc1"]),
        ];
        let p = Policy {
            keep_last: Some(1),
            ..Policy::default()
        };
        let d = decide(&list, &p, 1_767_225_600 + 3 * DAY);
        assert_eq!(kept(&d), ["full", "inc1", "inc2"]);
        assert!(d[0].reasons.iter().any(|r| r.starts_with("needed by")));
    }

    #[test]
    fn max_age_removes_old_backups_unless_needed() {
        let list = vec![
            b("old-full", 0, &[]),
            b("older", 1, &[]),
            b("new-inc", 40, &["old-full"]),
        ];
        let p = Policy {
            max_age: Some("30d".into()),
            ..Policy::default()
        };
        let d = decide(&list, &p, 1_767_225_600 + 41 * DAY);
        assert_eq!(kept(&d), ["new-inc", "old-full"]);
        let older = d.iter().find(|d| d.id == "older").unwrap();
        assert_eq!(older.reasons, ["older than 30d"]);
    }

    #[test]
    fn no_policy_keeps_everything_and_incomplete_backups_go() {
        let mut list = vec![b("a", 0, &[]), b("b", 1, &[])];
        list.push(Candidate {
            id: "c".into(),
            created: None,
            needs: vec![],
        });
        let d = decide(&list, &Policy::default(), 1_767_225_600 + 2 * DAY);
        assert_eq!(kept(&d), ["a", "b"]);
        assert_eq!(d[2].reasons, ["incomplete (no manifest)"]);
    }

    #[test]
    fn ages_parse() {
        assert_eq!(parse_age("30d"), Some(30 * DAY));
        assert_eq!(parse_age("12h"), Some(12 * 3600));
        assert_eq!(parse_age("2w"), Some(14 * DAY));
        assert_eq!(parse_age("x"), None);
        assert_eq!(parse_age("10y"), None);
    }
}
