//! One file per subcommand: call the library, write the result, return a status.

pub mod audit;
pub mod bench;
pub mod generate;
pub mod policy;
pub mod report;
pub mod rules;
pub mod scan;
pub mod validate;
pub mod waivers;

use std::io::Write;
use std::path::{Path, PathBuf};

use confgate::settings::{self, FileConfig, ScanFlags, ScanSettings};

/// The settings file in effect and where relative paths in it are resolved.
pub struct ConfigFile {
    /// `--config`, else `confgate.toml` in the current or a parent directory.
    pub path: Option<PathBuf>,
    /// The file's directory, or the current directory without a file.
    pub dir: PathBuf,
    /// Its top-level (scan) settings; defaults without a file.
    pub file: FileConfig,
}

/// Finds and reads the settings file.
pub fn config_file(config: Option<&Path>, cwd: &Path) -> anyhow::Result<ConfigFile> {
    let path = config
        .map(Path::to_path_buf)
        .or_else(|| settings::find_config(cwd));
    let file = match &path {
        Some(p) => settings::read_config(p)?,
        None => FileConfig::default(),
    };
    let dir = path
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| cwd.to_path_buf());
    Ok(ConfigFile { path, dir, file })
}

/// Scan settings from `flags` over the settings file, with its waivers and baseline loaded.
pub fn scan_settings(
    flags: &ScanFlags,
    config: &ConfigFile,
    cwd: &Path,
) -> anyhow::Result<ScanSettings> {
    let mut s = settings::resolve(flags, &config.file, cwd)?;
    settings::load_governance(flags, &config.file, &config.dir, &mut s.scan)?;
    Ok(s)
}

/// Writes `bytes` to `path` atomically (temp file in the same directory, then rename), or
/// to stdout when `path` is `None`.
/// `-` as the path means stdout too (overrides an `output` from confgate.toml).
pub fn write_output(path: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match path {
        Some(p) if p.as_os_str() == "-" => write_output(None, bytes),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
            Ok(())
        }
        Some(p) => confgate::fsutil::write_atomic(p, bytes)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display())),
    }
}
