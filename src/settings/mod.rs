//! Settings: `confgate.toml`, `CONFGATE_*` variables and flags, resolved once per command.
//!
//! Two levels, as ripgrep has them: the raw level is what the user wrote — each command's
//! flags (`ScanFlags`, `GenerateFlags`, `ValidateFlags`: clap structs that also read
//! `CONFGATE_*`, with `None`/empty meaning "not given") and the settings file, read once
//! into [`Settings`]; the resolved level is what a command runs with (`ScanSettings`,
//! `GenerateOptions`, `ValidateSettings`), built by one method per command. Precedence:
//! flag > environment variable > settings file > default. The file is kebab-case and
//! strict: an unknown key anywhere is an error naming its line. `cmd/*` only calls these
//! methods; nothing else reads the file or the environment.

#[cfg(feature = "cluster")]
mod backup;
#[cfg(feature = "cluster")]
mod cluster;
#[cfg(feature = "cluster")]
mod deploy;
#[cfg(feature = "cluster")]
mod disaster;
mod file;
mod generate;
pub mod legacy;
#[cfg(feature = "cluster")]
mod monitor;
#[cfg(feature = "cluster")]
mod rollback;
mod scan;
mod validate;
#[cfg(feature = "cluster")]
mod webhook;

use crate::diag::{Code, Diagnostic};
use std::path::{Path, PathBuf};

#[cfg(feature = "cluster")]
pub use backup::{BackupFlags, BackupSettings};
#[cfg(feature = "cluster")]
pub use cluster::{ConnectFlags, ReadFlags};
#[cfg(feature = "cluster")]
pub use deploy::DeployFlags;
#[cfg(feature = "cluster")]
pub use disaster::{DisasterSettings, TargetSource};
pub use file::{
    BackupSection, ClusterSection, DeploySection, DisasterSection, FileConfig, GenerateSection,
    RollbackSection, Size, ValidateSection, WebhookSection, parse_size,
};
pub use generate::GenerateFlags;
#[cfg(feature = "cluster")]
pub use monitor::{HistoryFormat, MetricsFormat, MonitorFlags, MonitorSettings};
#[cfg(feature = "cluster")]
pub use rollback::{RollbackFlags, RollbackSettings};
pub use scan::{MAX_SECONDS, ScanFlags, ScanSettings, seconds};
pub use validate::{ValidateFlags, ValidateSettings};
#[cfg(feature = "cluster")]
pub use webhook::{WebhookFlags, WebhookSettings};

pub const CONFIG_FILE: &str = "confgate.toml";

/// Finds `confgate.toml` in `start` or the nearest parent directory.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(CONFIG_FILE))
        .find(|p| p.is_file())
}

/// Reads and validates a settings file.
pub fn read_config(path: &Path) -> Result<FileConfig, Diagnostic> {
    read_toml(path, "")
}

/// The settings file in effect (or none), read once, and where its relative paths start.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `--config`, else `confgate.toml` in the current or a parent directory.
    pub path: Option<PathBuf>,
    /// The file's directory (as found), or the current directory without a file.
    pub dir: PathBuf,
    pub file: FileConfig,
    /// The current directory: flag paths are relative to it.
    pub cwd: PathBuf,
}

impl Settings {
    /// Finds and reads the settings file: `explicit` (`--config`), else the nearest
    /// `confgate.toml` from `cwd` up; defaults without one.
    pub fn load(explicit: Option<&Path>, cwd: &Path) -> Result<Settings, Diagnostic> {
        let path = explicit.map(Path::to_path_buf).or_else(|| find_config(cwd));
        let file = match &path {
            Some(p) => read_config(p)?,
            None => FileConfig::default(),
        };
        let dir = path
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| cwd.to_path_buf());
        Ok(Settings {
            path,
            dir,
            file,
            cwd: cwd.to_path_buf(),
        })
    }

    /// Settings for `cwd` from a file already read (tests, embedding).
    pub fn from_file(file: FileConfig, dir: &Path, cwd: &Path) -> Settings {
        Settings {
            path: None,
            dir: dir.to_path_buf(),
            file,
            cwd: cwd.to_path_buf(),
        }
    }

    /// The file's directory as an absolute path.
    fn dir_abs(&self) -> PathBuf {
        self.cwd.join(&self.dir)
    }

    /// The file as shown in messages.
    fn shown(&self) -> String {
        self.path
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| CONFIG_FILE.to_string())
    }

    /// `scan`'s (and `audit`'s, `waivers audit`'s) settings.
    pub fn scan(&self, flags: &ScanFlags) -> Result<ScanSettings, Diagnostic> {
        scan::resolve(flags, &self.file, &self.dir, &self.cwd)
    }

    /// `generate`'s settings: its own, and the scan settings its gate uses.
    pub fn generate(
        &self,
        flags: &GenerateFlags,
    ) -> Result<crate::generate::GenerateOptions, Diagnostic> {
        let section = self.file.generate.as_ref();
        let dir = self.path.as_ref().map(|_| self.dir_abs());
        let mut opts = generate::resolve(flags, section, dir.as_deref(), &self.cwd);
        // The gate scans with the settings of confgate.toml (rule selection, severity
        // overrides, waivers), as `confgate scan` would.
        let scan = self.scan(&ScanFlags::default())?;
        opts.scan = scan.scan;
        if flags.fail_on.is_none() && section.and_then(|c| c.fail_on).is_none() {
            opts.gate = scan.gate;
        }
        Ok(opts)
    }

    /// `validate`'s settings.
    pub fn validate(&self, flags: &ValidateFlags) -> Result<ValidateSettings, Diagnostic> {
        validate::resolve(self, flags)
    }
}

/// Reads a TOML file into `T`; errors name the file, the line and (with a non-empty
/// `section`, e.g. `[validate]`) the section being read.
pub fn read_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    section: &str,
) -> Result<T, Diagnostic> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::new(Code::Settings, format!("cannot read: {e}")).file(name.clone())
    })?;
    toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() as u32 + 1);
        let message = e.message().trim().replace('\n', " ");
        Diagnostic::new(
            Code::Settings,
            if section.is_empty() {
                message
            } else {
                format!("{section}: {message}")
            },
        )
        .file(name)
        .line(line)
    })
}

pub const WAIVER_FILE: &str = "confgate-waivers.yaml";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        use super::parse_size;
        assert_eq!(parse_size("16MiB"), Ok(16 * 1024 * 1024));
        assert_eq!(parse_size("512k"), Ok(512 * 1024));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("ten").is_err());
    }

    #[test]
    fn unknown_key_names_its_line() {
        let dir = std::env::temp_dir().join(format!("cg-settings-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("confgate.toml");
        let _ = std::fs::write(&p, "format = \"json\"\n\nfail-onn = \"low\"\n");
        let e = read_config(&p).err().map(|e| (e.line_number(), e.message));
        assert_eq!(e.as_ref().map(|e| e.0), Some(Some(3)));
        assert!(e.is_some_and(|e| e.1.contains("fail-onn")));
    }
}
