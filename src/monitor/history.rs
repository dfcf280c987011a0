//! The monitor's history: one JSON line per namespace per check, appended to
//! `<state-dir>/monitor-history.jsonl`, rotated when it passes a size (the previous file is
//! kept as `monitor-history.1.jsonl`, older ones are dropped), so it stays bounded. A
//! history that cannot be read (a line that is not a record) is reported, set aside as
//! `monitor-history.corrupt-<time>.jsonl` and a new one is started: nothing is lost, and
//! the monitor keeps running.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Snapshot;
use crate::diag::{Code, Diagnostic};

pub const FILE: &str = "monitor-history.jsonl";
const ROTATED: &str = "monitor-history.1.jsonl";
/// The size past which the history is rotated.
pub const MAX_BYTES: u64 = 8 * 1024 * 1024;

/// One namespace at one check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Seconds since the epoch.
    pub t: i64,
    pub context: String,
    pub namespace: String,
    /// `None` when the cluster could not be read ("unknown").
    pub health: Option<u32>,
    pub pods_running: u64,
    pub pods_not_running: u64,
    pub restarts: u64,
    pub findings: usize,
}

/// The records of a snapshot (an unreachable cluster gives one "unknown" record per
/// watched namespace).
pub fn records(snap: &Snapshot, watched: &[String]) -> Vec<Record> {
    if !snap.reachable {
        return watched
            .iter()
            .map(|ns| Record {
                t: snap.taken_at,
                context: snap.context.clone(),
                namespace: ns.clone(),
                health: None,
                pods_running: 0,
                pods_not_running: 0,
                restarts: 0,
                findings: 0,
            })
            .collect();
    }
    snap.namespaces
        .iter()
        .map(|s| {
            let running = s.pods_by_phase.get("Running").copied().unwrap_or(0);
            let all: u64 = s.pods_by_phase.values().sum();
            Record {
                t: snap.taken_at,
                context: snap.context.clone(),
                namespace: s.namespace.clone(),
                health: Some(s.health.score),
                pods_running: running,
                pods_not_running: all - running.min(all),
                restarts: s.container_restarts,
                findings: s.findings.values().sum(),
            }
        })
        .collect()
}

/// The history in `dir`.
#[derive(Clone, Debug)]
pub struct History {
    dir: PathBuf,
    max_bytes: u64,
}

fn io(path: &Path, what: &str, e: std::io::Error) -> Diagnostic {
    Diagnostic::new(
        Code::Unreadable,
        format!("cannot {what} {}: {e}", path.display()),
    )
    .file(path.display().to_string())
}

impl History {
    pub fn new(dir: &Path) -> History {
        History {
            dir: dir.to_path_buf(),
            max_bytes: MAX_BYTES,
        }
    }

    pub fn with_max_bytes(mut self, max: u64) -> History {
        self.max_bytes = max.max(1);
        self
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    /// Appends `records`, rotating first when the file is past its size. Refuses to write
    /// through a symlink or into anything but a regular file.
    pub fn append(&self, records: &[Record]) -> Result<(), Diagnostic> {
        if records.is_empty() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, "create", e))?;
        let path = self.path();
        match std::fs::symlink_metadata(&path) {
            Ok(m) if !m.file_type().is_file() => {
                return Err(Diagnostic::new(
                    Code::Unreadable,
                    format!(
                        "{} is not a regular file: the history is not written through it",
                        path.display()
                    ),
                )
                .file(path.display().to_string()));
            }
            Ok(m) if m.len() >= self.max_bytes => {
                std::fs::rename(&path, self.dir.join(ROTATED))
                    .map_err(|e| io(&path, "rotate", e))?;
            }
            _ => {}
        }
        let mut text = String::new();
        for r in records {
            if let Ok(line) = serde_json::to_string(r) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io(&path, "open", e))?;
        f.write_all(text.as_bytes())
            .map_err(|e| io(&path, "write", e))
    }

    /// Every record since `since` (seconds since the epoch), oldest first, from the rotated
    /// file and the current one. A corrupt current file is set aside (the returned warning
    /// names where) and reading goes on with what could be read.
    pub fn read(&self, since: i64) -> Result<(Vec<Record>, Vec<String>), Diagnostic> {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        for name in [ROTATED, FILE] {
            let path = self.dir.join(name);
            let text = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&path, "read", e)),
            };
            let text = String::from_utf8_lossy(&text);
            let mut bad = None;
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Record>(line) {
                    Ok(r) if r.t >= since => out.push(r),
                    Ok(_) => {}
                    Err(e) => {
                        bad = Some(format!(
                            "{}:{}: not a history record: {e}",
                            path.display(),
                            i + 1
                        ));
                        break;
                    }
                }
            }
            if let Some(why) = bad {
                let aside = self.dir.join(format!(
                    "monitor-history.corrupt-{}.jsonl",
                    jiff::Timestamp::now().as_second()
                ));
                std::fs::rename(&path, &aside).map_err(|e| io(&path, "set aside", e))?;
                warnings.push(format!(
                    "{why}; set aside as {} and a new history started",
                    aside.display()
                ));
            }
        }
        out.sort_by_key(|r| r.t);
        Ok((out, warnings))
    }
}

/// `24h`, `30m`, `90s`, `7d` as seconds.
pub fn parse_since(s: &str) -> Option<i64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(t: i64, h: u32) -> Record {
        Record {
            t,
            context: "c".into(),
            namespace: "a".into(),
            health: Some(h),
            pods_running: 1,
            pods_not_running: 0,
            restarts: 0,
            findings: 0,
        }
    }

    #[test]
    fn appends_rotates_and_reads_back_in_order() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let h = History::new(dir.path()).with_max_bytes(200);
        for t in 0..10 {
            h.append(&[rec(t, 90)]).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(dir.path().join(ROTATED).exists());
        let (all, warnings) = h.read(0).unwrap_or_else(|e| panic!("{e}"));
        assert!(warnings.is_empty());
        // Bounded: the oldest rotated-out lines are gone, the newest kept, in order.
        assert!(all.len() < 10 && all.len() >= 2, "{}", all.len());
        assert_eq!(all.last().map(|r| r.t), Some(9));
        assert!(all.windows(2).all(|w| w[0].t <= w[1].t));
        let (recent, _) = h.read(8).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(recent.len(), 2);
    }

    #[test]
    fn a_corrupt_history_is_set_aside_and_a_new_one_started() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let h = History::new(dir.path());
        h.append(&[rec(1, 90)]).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(h.path(), "{\"t\": 1, \"namespace\": \"a\"}\nnot json\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let (_, warnings) = h.read(0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("monitor-history.jsonl:1"),
            "{warnings:?}"
        );
        assert!(!h.path().exists());
        h.append(&[rec(2, 80)]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.read(0).unwrap_or_else(|e| panic!("{e}")).0.len(), 1);
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_since("24h"), Some(86_400));
        assert_eq!(parse_since("30m"), Some(1800));
        assert_eq!(parse_since("7d"), Some(604_800));
        assert_eq!(parse_since("h"), None);
        assert_eq!(parse_since("5y"), None);
    }
}
