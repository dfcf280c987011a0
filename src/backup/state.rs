//! The backup lifecycle as metrics: every backup, restore and drill updates
//! `<state-dir>/backup-state.json` (written atomically), and [`prometheus`] turns it into
//! the series `monitor` and `serve --metrics` expose (base units, `_timestamp_seconds`
//! gauges, `_total` counters, bounded labels).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diag::{Code, Diagnostic};

/// The state file's name.
pub const STATE_FILE: &str = "backup-state.json";

/// One backup as the metrics see it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BackupRun {
    pub id: String,
    /// `full` or `incremental`.
    pub kind: String,
    /// Seconds since the epoch.
    pub finished: i64,
    pub duration_seconds: f64,
    pub objects: u64,
    pub raw_bytes: u64,
    pub compressed_bytes: u64,
    pub stored_bytes: u64,
}

/// A restore or a drill.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RestoreRun {
    pub id: String,
    pub finished: i64,
    pub duration_seconds: f64,
    pub objects: u64,
    pub passed: bool,
}

/// What `backup-state.json` holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BackupState {
    pub last_backup: Option<BackupRun>,
    /// Seconds since the epoch of the last failed backup.
    pub last_failure: Option<i64>,
    pub last_restore: Option<RestoreRun>,
    pub last_drill: Option<RestoreRun>,
    /// The last drill that passed: when a backup was last proven restorable.
    pub last_verified_restore: Option<RestoreRun>,
    #[serde(default)]
    pub backups_total: u64,
    #[serde(default)]
    pub backup_failures_total: u64,
    #[serde(default)]
    pub restores_total: u64,
    #[serde(default)]
    pub drills_total: u64,
    #[serde(default)]
    pub drill_failures_total: u64,
}

/// The state file of `state_dir`.
pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(STATE_FILE)
}

/// Reads the state (empty when there is none; a corrupt file is an error naming it).
pub fn read(state_dir: &Path) -> Result<BackupState, Diagnostic> {
    let p = path(state_dir);
    match std::fs::read(&p) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            Diagnostic::new(
                Code::Backup,
                format!("the backup state is not readable: {e}"),
            )
            .file(p.display().to_string())
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BackupState::default()),
        Err(e) => Err(Diagnostic::new(
            Code::Unreadable,
            format!("cannot read the backup state: {e}"),
        )
        .file(p.display().to_string())),
    }
}

/// Changes the state with `f` and writes it back atomically. A corrupt state file is
/// started again (the metrics restart; nothing else depends on it).
pub fn update(state_dir: &Path, f: impl FnOnce(&mut BackupState)) -> Result<(), Diagnostic> {
    let mut s = read(state_dir).unwrap_or_default();
    f(&mut s);
    let p = path(state_dir);
    let bytes = serde_json::to_vec_pretty(&s)
        .map_err(|e| Diagnostic::new(Code::System, format!("backup state: {e}")))?;
    std::fs::create_dir_all(state_dir)
        .and_then(|_| crate::fsutil::write_atomic(&p, &bytes))
        .map_err(|e| {
            Diagnostic::new(Code::Storage, format!("cannot write the backup state: {e}"))
                .file(p.display().to_string())
        })
}

/// The state as Prometheus text with metric names prefixed by `prefix`.
pub fn prometheus(s: &BackupState, prefix: &str) -> String {
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, samples: &[(&str, f64)]| {
        if samples.is_empty() {
            return;
        }
        out.push_str(&format!(
            "# HELP {prefix}_{name} {help}\n# TYPE {prefix}_{name} gauge\n"
        ));
        for (labels, v) in samples {
            out.push_str(&format!("{prefix}_{name}{labels} {v}\n"));
        }
    };
    if let Some(b) = &s.last_backup {
        gauge(
            "backup_last_success_timestamp_seconds",
            "When the last backup finished.",
            &[("", b.finished as f64)],
        );
        gauge(
            "backup_last_duration_seconds",
            "How long the last backup took.",
            &[("", b.duration_seconds)],
        );
        gauge(
            "backup_last_objects",
            "Objects in the last backup.",
            &[("", b.objects as f64)],
        );
        let raw = "{stage=\"raw\"}".to_string();
        let comp = "{stage=\"compressed\"}".to_string();
        let stored = "{stage=\"stored\"}".to_string();
        gauge(
            "backup_last_size_bytes",
            "Size of the last backup: object JSON (raw), after gzip (compressed), as stored (sealed).",
            &[
                (raw.as_str(), b.raw_bytes as f64),
                (comp.as_str(), b.compressed_bytes as f64),
                (stored.as_str(), b.stored_bytes as f64),
            ],
        );
    }
    if let Some(t) = s.last_failure {
        gauge(
            "backup_last_failure_timestamp_seconds",
            "When a backup last failed.",
            &[("", t as f64)],
        );
    }
    if let Some(r) = &s.last_restore {
        gauge(
            "restore_last_timestamp_seconds",
            "When the last restore finished.",
            &[("", r.finished as f64)],
        );
    }
    if let Some(r) = &s.last_drill {
        gauge(
            "restore_drill_last_timestamp_seconds",
            "When the last restore drill finished.",
            &[("", r.finished as f64)],
        );
        gauge(
            "restore_drill_last_success",
            "1 when the last restore drill passed.",
            &[("", if r.passed { 1.0 } else { 0.0 })],
        );
        gauge(
            "restore_drill_last_duration_seconds",
            "How long the last restore drill took.",
            &[("", r.duration_seconds)],
        );
    }
    if let Some(r) = &s.last_verified_restore {
        gauge(
            "restore_last_verified_timestamp_seconds",
            "When a backup was last proven restorable by a passing drill.",
            &[("", r.finished as f64)],
        );
    }
    let mut counter = |name: &str, help: &str, v: u64| {
        out.push_str(&format!(
            "# HELP {prefix}_{name} {help}\n# TYPE {prefix}_{name} counter\n{prefix}_{name} {v}\n"
        ));
    };
    counter("backups_total", "Backups made.", s.backups_total);
    counter(
        "backup_failures_total",
        "Backups that failed.",
        s.backup_failures_total,
    );
    counter("restores_total", "Restores applied.", s.restores_total);
    counter(
        "restore_drills_total",
        "Restore drills run.",
        s.drills_total,
    );
    counter(
        "restore_drill_failures_total",
        "Restore drills that failed.",
        s.drill_failures_total,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_becomes_metrics() {
        let dir = tempfile::tempdir().unwrap();
        update(dir.path(), |s| {
            s.backups_total += 1;
            s.last_backup = Some(BackupRun {
                id: "backup-1".into(),
                kind: "full".into(),
                finished: 1_700_000_000,
                duration_seconds: 1.5,
                objects: 10,
                raw_bytes: 1000,
                compressed_bytes: 200,
                stored_bytes: 228,
            });
        })
        .unwrap();
        let s = read(dir.path()).unwrap();
        assert_eq!(s.backups_total, 1);
        let text = prometheus(&s, "confgate");
        assert!(text.contains("confgate_backup_last_success_timestamp_seconds 1700000000\n"));
        assert!(text.contains("confgate_backup_last_size_bytes{stage=\"compressed\"} 200\n"));
        assert!(text.contains("# TYPE confgate_backups_total counter\nconfgate_backups_total 1\n"));
        assert!(!text.contains("restore_last_verified"), "no drill yet");
    }

    #[test]
    fn a_corrupt_state_is_an_error_naming_the_file_and_is_started_again() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(path(dir.path()), b"{not json").unwrap();
        let e = read(dir.path()).unwrap_err();
        assert!(e.file_name().is_some_and(|f| f.ends_with(STATE_FILE)));
        update(dir.path(), |s| s.drills_total = 1).unwrap();
        assert_eq!(read(dir.path()).unwrap().drills_total, 1);
    }
}
