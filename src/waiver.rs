//! Governed exceptions: waivers with an owner, a justification and an expiry date, and
//! inline `confgate.io/ignore` annotations.
//!
//! A suppressed finding is never dropped: it stays in every report with its `suppressed`
//! record and simply does not count for the gate. An expired waiver stops suppressing and
//! says so; one expiring within 14 days warns ahead of time.
//!
//! A waiver cannot silence everything by accident. One whose `rule` is a glob (`*`, `**`,
//! `CG1*`, …) does not suppress *critical* findings unless it says so itself with
//! `allow-wildcard-critical: true`: the permission sits on the exception it widens, where a
//! reviewer sees it, rather than in a global switch. A critical finding held back this way
//! still counts, and the scan warns. Any waiver that suppresses findings of more than one
//! rule warns too, naming the rules, so a broad waiver is always visible.
//!
//! Inline ignores follow the same policy: a glob in `confgate.io/ignore` (`"*"`, `CG1*`)
//! does not suppress critical findings unless the object also carries
//! `confgate.io/ignore-allow-wildcard-critical: "true"`, and the scan warns when one holds
//! critical findings back or suppresses findings of more than one rule.

use std::path::Path;

use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};

use crate::catalog::Severity;
use crate::diag::{Code, Diagnostic};
use crate::document::{Document, NodeKind};
use crate::finding::{Finding, Suppression};

/// Days before expiry from which a waiver warns.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

pub const IGNORE_ANNOTATION: &str = "confgate.io/ignore";
pub const IGNORE_REASON_ANNOTATION: &str = "confgate.io/ignore-reason";

/// A resource selector; every field is an optional glob.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ResourceSelector {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

/// One waiver as written in `confgate-waivers.yaml` or `[[waivers]]` in `confgate.toml`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// Rule id, name or glob (`CG1*`).
    pub rule: Option<String>,
    pub resource: Option<ResourceSelector>,
    /// Glob on the finding's file.
    pub file: Option<String>,
    pub fingerprint: Option<String>,
    pub justification: String,
    pub owner: String,
    /// `YYYY-MM-DD`; the waiver stops applying after this day.
    pub expires: String,
    pub ticket: Option<String>,
    /// Lets a waiver whose `rule` is a glob suppress critical findings too.
    #[serde(
        default,
        rename = "allow-wildcard-critical",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub allow_wildcard_critical: bool,
}

/// The waiver file's shape.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverFile {
    #[serde(default)]
    pub waivers: Vec<Waiver>,
}

/// Days from 1970-01-01 to `date` (negative before it).
fn epoch_days(date: jiff::civil::Date) -> i64 {
    jiff::civil::date(1970, 1, 1)
        .until(date)
        .map_or(0, |span| i64::from(span.get_days()))
}

/// The calendar date `y-m-d`, when it exists (and its year is within -9999..=9999).
fn civil(y: i64, m: i64, d: i64) -> Option<jiff::civil::Date> {
    let (y, m, d) = (
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    );
    jiff::civil::Date::new(y, m, d).ok()
}

/// A civil date as days since 1970-01-01. Days past the end of the month roll over into
/// the next (2025-02-31 counts as 2025-03-03), so only `parse_date` decides what is a real
/// date; months outside 1..=12 and years outside -9999..=9999 are clamped to the nearest.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let first = civil(y.clamp(-9999, 9999), m.clamp(1, 12), 1).unwrap_or(jiff::civil::Date::MIN);
    let date = jiff::Span::new()
        .try_days(d.saturating_sub(1))
        .ok()
        .and_then(|span| first.checked_add(span).ok())
        .unwrap_or(if d < 1 {
            jiff::civil::Date::MIN
        } else {
            jiff::civil::Date::MAX
        });
    epoch_days(date)
}

/// Parses `YYYY-MM-DD` into days since the epoch; `None` unless it is a real calendar date
/// (no 2025-02-31, no 2026-13-01).
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    civil(y, m, d).map(epoch_days)
}

/// Today (UTC) as days since the epoch.
pub fn today() -> i64 {
    epoch_days(
        jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date(),
    )
}

/// A waiver compiled for matching.
#[derive(Clone, Debug)]
pub struct CompiledWaiver {
    pub waiver: Waiver,
    /// Where it was defined (`confgate-waivers.yaml#3`).
    pub origin: String,
    expires: i64,
    rule: Option<GlobMatcher>,
    file: Option<GlobMatcher>,
    kind: Option<GlobMatcher>,
    namespace: Option<GlobMatcher>,
    name: Option<GlobMatcher>,
}

fn glob(
    origin: &str,
    field: &str,
    pattern: &Option<String>,
) -> Result<Option<GlobMatcher>, Diagnostic> {
    pattern
        .as_ref()
        .map(|p| {
            Glob::new(p).map(|g| g.compile_matcher()).map_err(|e| {
                Diagnostic::new(Code::Waiver, format!("{field}: invalid glob {p:?}: {e}"))
                    .file(origin.to_string())
            })
        })
        .transpose()
}

impl CompiledWaiver {
    pub fn new(waiver: Waiver, origin: String) -> Result<CompiledWaiver, Diagnostic> {
        let bad = |message: String| Diagnostic::new(Code::Waiver, message).file(origin.clone());
        if waiver.rule.is_none() && waiver.fingerprint.is_none() {
            return Err(bad("a waiver needs `rule` or `fingerprint`".to_string()));
        }
        if waiver.justification.trim().is_empty() {
            return Err(bad("`justification` must not be empty".to_string()));
        }
        if waiver.owner.trim().is_empty() {
            return Err(bad("`owner` must not be empty".to_string()));
        }
        let expires = parse_date(&waiver.expires).ok_or_else(|| {
            bad(format!(
                "`expires` {:?} is not a date like 2026-12-31",
                waiver.expires
            ))
        })?;
        let sel = waiver.resource.clone().unwrap_or_default();
        Ok(CompiledWaiver {
            rule: glob(&origin, "rule", &waiver.rule)?,
            file: glob(&origin, "file", &waiver.file)?,
            kind: glob(&origin, "resource.kind", &sel.kind)?,
            namespace: glob(&origin, "resource.namespace", &sel.namespace)?,
            name: glob(&origin, "resource.name", &sel.name)?,
            expires,
            origin,
            waiver,
        })
    }

    pub fn matches(&self, f: &Finding) -> bool {
        let m = |g: &Option<GlobMatcher>, v: &str| g.as_ref().is_none_or(|g| g.is_match(v));
        m(&self.rule, &f.rule_id) || self.rule.as_ref().is_some_and(|g| g.is_match(&f.rule_name))
    }

    fn matches_all(&self, f: &Finding) -> bool {
        let m = |g: &Option<GlobMatcher>, v: &str| g.as_ref().is_none_or(|g| g.is_match(v));
        self.matches(f)
            && m(&self.file, &f.file)
            && m(&self.kind, &f.resource.kind)
            && m(
                &self.namespace,
                f.resource.namespace.as_deref().unwrap_or(""),
            )
            && m(&self.name, &f.resource.name)
            && self
                .waiver
                .fingerprint
                .as_ref()
                .is_none_or(|fp| *fp == f.fingerprint)
    }

    /// Its `rule` is a glob that may match more than one rule (`*`, `CG1*`, `[a-z]*`, …).
    pub fn is_wildcard(&self) -> bool {
        self.waiver
            .rule
            .as_deref()
            .is_some_and(|r| r.contains(['*', '?', '[', '{']))
    }

    /// May it suppress `f`? Critical findings only by name, or with
    /// `allow-wildcard-critical`.
    fn may_suppress(&self, f: &Finding) -> bool {
        f.severity != Severity::Critical
            || !self.is_wildcard()
            || self.waiver.allow_wildcard_critical
    }

    pub fn expired(&self, today: i64) -> bool {
        today > self.expires
    }

    pub fn days_left(&self, today: i64) -> i64 {
        self.expires - today
    }
}

/// Reads a waiver file (YAML).
pub fn read_waiver_file(path: &Path) -> Result<Vec<CompiledWaiver>, Diagnostic> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::new(Code::Waiver, format!("cannot read: {e}")).file(name.clone())
    })?;
    let parsed: WaiverFile = serde_yaml::from_str(&text).map_err(|e| {
        Diagnostic::new(
            Code::Waiver,
            e.to_string().lines().next().unwrap_or_default().to_string(),
        )
        .file(match e.location() {
            Some(l) => format!("{name}:{}", l.line()),
            None => name.clone(),
        })
    })?;
    compile_all(parsed.waivers, &name)
}

/// Compiles waivers defined in `origin` (entries are numbered from 1).
pub fn compile_all(waivers: Vec<Waiver>, origin: &str) -> Result<Vec<CompiledWaiver>, Diagnostic> {
    waivers
        .into_iter()
        .enumerate()
        .map(|(i, w)| CompiledWaiver::new(w, format!("{origin}#{}", i + 1)))
        .collect()
}

/// How one waiver fared in a scan.
#[derive(Clone, Debug, Serialize)]
pub struct WaiverUse {
    pub origin: String,
    pub rule: Option<String>,
    pub owner: String,
    pub expires: String,
    pub ticket: Option<String>,
    pub status: WaiverStatus,
    pub days_left: i64,
    /// Findings it suppressed (or would have, when expired).
    pub matched: usize,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum WaiverStatus {
    Active,
    Expiring,
    Expired,
    Unused,
}

/// Lets an inline ignore whose list holds a glob suppress critical findings too (`"true"`).
pub const IGNORE_ALLOW_WILDCARD_CRITICAL_ANNOTATION: &str =
    "confgate.io/ignore-allow-wildcard-critical";

/// One entry of a `confgate.io/ignore` list: a rule id or name, or a glob over them.
#[derive(Clone, Debug)]
enum InlinePattern {
    Exact(String),
    Glob(GlobMatcher),
}

/// A document's `confgate.io/ignore` annotation, read once for all its findings.
///
/// The same policy as waiver files: an entry naming a rule suppresses its findings; an
/// entry that is a glob (`*`, `CG1*`) does not suppress *critical* findings unless the
/// document also carries `confgate.io/ignore-allow-wildcard-critical: "true"`, and what
/// globs suppressed or held back is recorded for the scan's warnings ([`inline_warnings`]).
#[derive(Clone, Debug)]
pub struct InlineIgnore {
    /// The annotation's value as written.
    pub text: String,
    patterns: Vec<InlinePattern>,
    pub reason: Option<String>,
    pub allow_wildcard_critical: bool,
}

/// What the globs of one document's inline ignore did, turned into warnings once per scan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InlineUse {
    pub file: String,
    pub document_index: usize,
    pub line: u32,
    /// The object, as `Kind/namespace/name`.
    pub resource: String,
    /// The annotation's value.
    pub annotation: String,
    /// Rules whose findings a glob suppressed.
    pub suppressed: std::collections::BTreeSet<String>,
    /// Rules with critical findings a glob matched but was not allowed to suppress.
    pub held_back: std::collections::BTreeSet<String>,
}

impl InlineIgnore {
    /// The inline ignore of `doc`, if it has one.
    pub fn of(doc: &Document) -> Option<InlineIgnore> {
        let ann = doc.tree.get("metadata")?.get("annotations")?;
        let text = |k: &str| match ann.get(k).map(|n| &n.kind) {
            Some(NodeKind::Scalar(serde_json::Value::String(s))) => Some(s.clone()),
            _ => None,
        };
        let list = text(IGNORE_ANNOTATION)?;
        let patterns = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                let glob = s
                    .contains(['*', '?', '[', '{'])
                    .then(|| {
                        globset::GlobBuilder::new(s)
                            .case_insensitive(true)
                            .build()
                            .ok()
                    })
                    .flatten();
                match glob {
                    Some(g) => InlinePattern::Glob(g.compile_matcher()),
                    // Not a glob, or not a valid one: only the rule it spells.
                    None => InlinePattern::Exact(s.to_string()),
                }
            })
            .collect();
        Some(InlineIgnore {
            patterns,
            reason: text(IGNORE_REASON_ANNOTATION),
            allow_wildcard_critical: text(IGNORE_ALLOW_WILDCARD_CRITICAL_ANNOTATION)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            text: list,
        })
    }

    /// An empty record of what its globs do on `doc`.
    pub fn usage(&self, doc: &Document) -> InlineUse {
        InlineUse {
            file: doc.file.path.clone(),
            document_index: doc.index,
            line: doc.tree.span.start.line,
            resource: doc.resource.to_string(),
            annotation: self.text.clone(),
            ..InlineUse::default()
        }
    }

    /// Applies to one finding of its document, recording what a glob did in `usage`.
    pub fn apply(&self, f: &mut Finding, usage: &mut InlineUse) {
        let exact = self.patterns.iter().any(|p| match p {
            InlinePattern::Exact(r) => r.eq_ignore_ascii_case(&f.rule_id) || *r == f.rule_name,
            InlinePattern::Glob(_) => false,
        });
        if !exact {
            let glob = self.patterns.iter().any(|p| match p {
                InlinePattern::Glob(g) => g.is_match(&f.rule_id) || g.is_match(&f.rule_name),
                InlinePattern::Exact(_) => false,
            });
            if !glob {
                return;
            }
            if f.severity == Severity::Critical && !self.allow_wildcard_critical {
                usage.held_back.insert(f.rule_id.clone());
                return;
            }
            usage.suppressed.insert(f.rule_id.clone());
        }
        f.suppressed = Some(Suppression {
            kind: "inSource".to_string(),
            justification: self.reason.clone().unwrap_or_else(|| {
                format!("{IGNORE_ANNOTATION} annotation (no {IGNORE_REASON_ANNOTATION} given)")
            }),
            owner: None,
            expires: None,
            ticket: None,
        });
    }
}

/// The warnings about inline ignores whose globs held back critical findings or suppressed
/// findings of more than one rule; records of the same document (built-in and custom rules
/// are resolved apart) are merged first.
pub fn inline_warnings(uses: &[InlineUse]) -> Vec<String> {
    let mut merged: std::collections::BTreeMap<(&str, usize), InlineUse> =
        std::collections::BTreeMap::new();
    for u in uses {
        let m = merged
            .entry((u.file.as_str(), u.document_index))
            .or_insert_with(|| InlineUse {
                suppressed: Default::default(),
                held_back: Default::default(),
                ..u.clone()
            });
        m.suppressed.extend(u.suppressed.iter().cloned());
        m.held_back.extend(u.held_back.iter().cloned());
    }
    let mut warnings = Vec::new();
    for u in merged.values() {
        let label = format!(
            "inline {IGNORE_ANNOTATION} {:?} on {} ({}:{})",
            u.annotation, u.resource, u.file, u.line
        );
        if !u.held_back.is_empty() {
            warnings.push(format!(
                "{label} matches critical findings of {} but does not suppress them: a glob needs the annotation {IGNORE_ALLOW_WILDCARD_CRITICAL_ANNOTATION}: \"true\" for that; they count",
                list(&u.held_back)
            ));
        }
        if u.suppressed.len() > 1 {
            warnings.push(format!(
                "{label} suppresses findings of {} rules ({}); name the rules unless that is intended",
                u.suppressed.len(),
                list(&u.suppressed)
            ));
        }
    }
    warnings
}

/// Applies waivers to findings; returns how each waiver fared and the warnings to show.
pub fn apply_waivers(
    findings: &mut [Finding],
    waivers: &[CompiledWaiver],
    today: i64,
) -> (Vec<WaiverUse>, Vec<String>) {
    let mut uses = Vec::new();
    let mut warnings = Vec::new();
    for w in waivers {
        let expired = w.expired(today);
        let mut matched = 0;
        // Rules whose findings it suppressed, and critical ones it was not allowed to.
        let mut rules = std::collections::BTreeSet::new();
        let mut held_back = std::collections::BTreeSet::new();
        for f in findings.iter_mut() {
            if !w.matches_all(f) {
                continue;
            }
            if !w.may_suppress(f) {
                held_back.insert(f.rule_id.clone());
                continue;
            }
            matched += 1;
            if !expired && f.suppressed.is_none() {
                rules.insert(f.rule_id.clone());
            }
            if !expired && f.suppressed.is_none() {
                f.suppressed = Some(Suppression {
                    kind: "external".to_string(),
                    justification: w.waiver.justification.clone(),
                    owner: Some(w.waiver.owner.clone()),
                    expires: Some(w.waiver.expires.clone()),
                    ticket: w.waiver.ticket.clone(),
                });
            }
        }
        let days_left = w.days_left(today);
        let status = if expired {
            WaiverStatus::Expired
        } else if matched == 0 {
            WaiverStatus::Unused
        } else if days_left <= EXPIRY_WARNING_DAYS {
            WaiverStatus::Expiring
        } else {
            WaiverStatus::Active
        };
        let label = format!(
            "waiver {} ({}, owner {})",
            w.origin,
            w.waiver.rule.as_deref().unwrap_or("fingerprint"),
            w.waiver.owner
        );
        match status {
            WaiverStatus::Expired => warnings.push(format!(
                "{label} expired on {}; its {matched} finding(s) count again",
                w.waiver.expires
            )),
            WaiverStatus::Expiring => warnings.push(format!(
                "{label} expires on {} ({days_left} day(s) left)",
                w.waiver.expires
            )),
            _ => {}
        }
        if !expired && !held_back.is_empty() {
            warnings.push(format!(
                "{label} matches critical findings of {} but does not suppress them: a waiver whose rule is a glob needs `allow-wildcard-critical: true` for that; they count",
                list(&held_back)
            ));
        }
        if rules.len() > 1 {
            warnings.push(format!(
                "{label} suppresses findings of {} rules ({}); narrow its `rule` unless that is intended",
                rules.len(),
                list(&rules)
            ));
        }
        uses.push(WaiverUse {
            origin: w.origin.clone(),
            rule: w.waiver.rule.clone(),
            owner: w.waiver.owner.clone(),
            expires: w.waiver.expires.clone(),
            ticket: w.waiver.ticket.clone(),
            status,
            days_left,
            matched,
        });
    }
    (uses, warnings)
}

/// `a, b, c` (at most five, then `and N more`).
fn list(items: &std::collections::BTreeSet<String>) -> String {
    let shown: Vec<&str> = items.iter().take(5).map(String::as_str).collect();
    match items.len().saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert_eq!(
            parse_date("2026-11-24").map(|d| d - parse_date("2026-11-10").unwrap_or(0)),
            Some(14)
        );
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("soon"), None);
    }

    #[test]
    fn impossible_dates_are_rejected_and_leap_days_accepted() {
        assert_eq!(parse_date("2025-02-31"), None);
        assert_eq!(parse_date("2099-02-30"), None);
        assert_eq!(parse_date("2025-04-31"), None);
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2026-01-00"), None);
        assert_eq!(
            parse_date("2024-02-29"),
            parse_date("2024-03-01").map(|d| d - 1)
        );
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        // The old arithmetic's roll-over, kept for direct callers.
        assert_eq!(days_from_civil(2025, 2, 31), days_from_civil(2025, 3, 3));
        assert!(today() > parse_date("2024-01-01").unwrap_or(i64::MAX));
    }

    #[test]
    fn waivers_need_an_owner_a_reason_and_a_date() {
        let w = Waiver {
            rule: Some("CG1001".into()),
            resource: None,
            file: None,
            fingerprint: None,
            justification: "".into(),
            owner: "team".into(),
            expires: "2030-01-01".into(),
            ticket: None,
            allow_wildcard_critical: false,
        };
        assert!(CompiledWaiver::new(w.clone(), "x#1".into()).is_err());
        let ok = Waiver {
            justification: "vendor chart".into(),
            ..w.clone()
        };
        assert!(CompiledWaiver::new(ok.clone(), "x#1".into()).is_ok());
        let bad_date = Waiver {
            expires: "next year".into(),
            ..ok
        };
        assert!(CompiledWaiver::new(bad_date, "x#1".into()).is_err());
    }
}
