//! `confgate backup`'s options: flags, `CONFGATE_*` and `[backup]` in `confgate.toml`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use crate::backup::retention::Policy;
use crate::backup::{KeySource, StoreOptions};
use crate::diag::{Code, Diagnostic};

use super::{Settings, seconds};

/// The flags of `confgate backup` that `[backup]` can also set.
#[derive(Args, Debug, Clone, Default)]
pub struct BackupFlags {
    /// Where backups live: a directory, s3://bucket/prefix, az://container/prefix or
    /// gs://bucket/prefix (default: <state-dir>/backups).
    #[arg(long, env = "CONFGATE_BACKUP_STORE", value_name = "URL")]
    pub store: Option<String>,
    /// File holding the master key (else CONFGATE_BACKUP_KEY, else [backup] key-command).
    #[arg(long, env = "CONFGATE_BACKUP_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Directory of confgate's local state (default .confgate beside confgate.toml).
    #[arg(long, env = "CONFGATE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// What `backup` runs with.
#[derive(Clone, Debug)]
pub struct BackupSettings {
    /// The store's URL or directory (absolute).
    pub store: String,
    pub store_options: StoreOptions,
    pub key: KeySource,
    pub namespaces: Vec<String>,
    pub all_namespaces: bool,
    pub kinds: Vec<String>,
    pub exclude_kinds: Vec<String>,
    pub pack_bytes: usize,
    /// Scan what is backed up.
    pub scan: bool,
    pub state_dir: PathBuf,
    pub retention: Policy,
    pub providers: BTreeMap<String, String>,
}

impl Settings {
    /// `backup`'s settings.
    pub fn backup(&self, flags: &BackupFlags) -> Result<BackupSettings, Diagnostic> {
        let file = self.file.backup.clone().unwrap_or_default();
        let state_dir = flags
            .state_dir
            .clone()
            .map(|p| self.cwd.join(p))
            .or_else(|| file.state_dir.as_ref().map(|p| self.dir_abs().join(p)))
            .or_else(|| {
                self.file
                    .monitor
                    .as_ref()
                    .and_then(|m| m.state_dir.as_ref())
                    .map(|p| self.dir_abs().join(p))
            })
            .unwrap_or_else(|| self.dir_abs().join(".confgate"));
        let local = |s: &str, base: &std::path::Path| -> String {
            if s.contains("://") {
                s.to_string()
            } else {
                base.join(s).display().to_string()
            }
        };
        let store = match (&flags.store, &file.store) {
            (Some(s), _) => local(s, &self.cwd),
            (None, Some(s)) => local(s, &self.dir_abs()),
            (None, None) => crate::backup::store::default_dir(&state_dir)
                .display()
                .to_string(),
        };
        let key_file = flags
            .key_file
            .clone()
            .map(|p| self.cwd.join(p))
            .or_else(|| file.key_file.as_ref().map(|p| self.dir_abs().join(p)));
        let timeout = seconds("[backup] timeout", file.timeout.unwrap_or(30.0))?;
        if timeout.is_zero() {
            return Err(Diagnostic::new(
                Code::Settings,
                "[backup] timeout: give a positive number of seconds",
            ));
        }
        let retention = file.retention.clone().unwrap_or_default();
        if let Some(age) = &retention.incomplete_after
            && crate::backup::retention::parse_age(age).is_none()
        {
            return Err(Diagnostic::new(
                Code::Settings,
                format!(
                    "[backup.retention] incomplete-after = {age:?}: expected a number and s, m, h, d or w (1h)"
                ),
            ));
        }
        if let Some(age) = &retention.max_age
            && crate::backup::retention::parse_age(age).is_none()
        {
            return Err(Diagnostic::new(
                Code::Settings,
                format!(
                    "[backup.retention] max-age = {age:?}: expected a number and s, m, h, d or w (30d)"
                ),
            ));
        }
        let pack_bytes = match &file.pack_size {
            Some(super::Size::Bytes(b)) => *b,
            Some(super::Size::Text(t)) => super::parse_size(t)
                .map_err(|e| Diagnostic::new(Code::Settings, format!("[backup] pack-size: {e}")))?,
            None => 32 * 1024 * 1024,
        }
        .clamp(64 * 1024, 1024 * 1024 * 1024);
        Ok(BackupSettings {
            store,
            store_options: StoreOptions {
                timeout,
                retries: file.retries.unwrap_or(3).min(10),
                endpoint: file.endpoint.clone(),
                allow_http: file.allow_http.unwrap_or(false)
                    || std::env::var("CONFGATE_BACKUP_ALLOW_HTTP")
                        .is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1"),
            },
            key: KeySource {
                value: std::env::var("CONFGATE_BACKUP_KEY").ok(),
                file: key_file,
                command: file.key_command.clone(),
            },
            namespaces: file.namespaces.clone().unwrap_or_default(),
            all_namespaces: file.all_namespaces.unwrap_or(false),
            kinds: file.kinds.clone().unwrap_or_default(),
            exclude_kinds: file.exclude_kinds.clone().unwrap_or_default(),
            pack_bytes: usize::try_from(pack_bytes).unwrap_or(32 * 1024 * 1024),
            scan: file.scan.unwrap_or(true),
            state_dir,
            retention,
            providers: file.providers.clone().unwrap_or_default(),
        })
    }
}
