//! Settings: `confgate.toml`, `CONFGATE_*` variables and flags, merged once.
//!
//! Precedence: flag > environment variable > config file > default. clap reads flags and
//! `CONFGATE_*` variables into `Option`s (so "not given" is visible); the file fills what
//! they left unset. The file is kebab-case and strict: an unknown key is an error naming
//! its line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::catalog::{Framework, Severity};
use crate::engine::EngineMode;
use crate::report::OutputFormat;
use crate::scan::{ScanOptions, Selection};
use crate::source::LoadOptions;

pub const CONFIG_FILE: &str = "confgate.toml";

/// `max-file-size` as bytes or as text with a unit (`16MiB`, `512KiB`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Size {
    Bytes(u64),
    Text(String),
}

/// Parses `16MiB`, `512k`, `100MB` or plain bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?}: expected e.g. 16MiB"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => {
            return Err(format!(
                "invalid size unit in {s:?}: use B, KiB, MiB or GiB"
            ));
        }
    };
    Ok(n.saturating_mul(mult))
}

/// The `[scan]`-level keys of `confgate.toml` (top level).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    pub format: Option<OutputFormat>,
    pub output: Option<PathBuf>,
    pub select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub framework: Option<Vec<Framework>>,
    pub severity: Option<Severity>,
    pub fail_on: Option<Severity>,
    pub exclude: Option<Vec<String>>,
    pub jobs: Option<usize>,
    pub engine: Option<EngineMode>,
    pub max_file_size: Option<Size>,
    pub gitignore: Option<bool>,
    /// Seconds one policy package may run on one document.
    pub policy_timeout: Option<f64>,
    pub stdin_filename: Option<String>,
    pub kube_version: Option<String>,
    /// User policy directories (conftest Rego, Gatekeeper templates and constraints).
    pub policy: Option<Vec<PathBuf>>,
    /// Data directories for conftest policies.
    pub data: Option<Vec<PathBuf>>,
    pub policy_namespace: Option<Vec<String>>,
    pub all_namespaces: Option<bool>,
    pub combine: Option<bool>,
    /// Waiver file (default: `confgate-waivers.yaml` beside this file).
    pub waivers_file: Option<PathBuf>,
    /// Waivers written inline as `[[waivers]]` tables.
    #[serde(default)]
    pub waivers: Vec<crate::waiver::Waiver>,
    pub baseline: Option<PathBuf>,
    /// SARIF `automationDetails.id` category.
    pub sarif_category: Option<String>,
    /// `[generate]`: read and validated by `confgate generate`.
    pub generate: Option<toml::Value>,
    /// `[validate]`: read and validated by `confgate validate`.
    pub validate: Option<toml::Value>,
    #[serde(default)]
    pub severity_overrides: BTreeMap<String, Severity>,
}

/// A problem with the settings, naming the file and line when there is one.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", .line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct SettingsError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

/// Finds `confgate.toml` in `start` or the nearest parent directory.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(CONFIG_FILE))
        .find(|p| p.is_file())
}

/// Reads and validates a config file.
pub fn read_config(path: &Path) -> Result<FileConfig, SettingsError> {
    read_toml(path, "")
}

/// Reads a TOML file into `T`; errors name the file, the line and (with a non-empty
/// `section`, e.g. `[validate]`) the section being read.
pub fn read_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    section: &str,
) -> Result<T, SettingsError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| SettingsError {
        file: name.clone(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() as u32 + 1);
        let message = e.message().trim().replace('\n', " ");
        SettingsError {
            file: name,
            line,
            message: if section.is_empty() {
                message
            } else {
                format!("{section}: {message}")
            },
        }
    })
}

/// Scan options as given on the command line (and via `CONFGATE_*`), before merging.
#[derive(Clone, Debug, Default)]
pub struct ScanFlags {
    pub format: Option<OutputFormat>,
    pub output: Option<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub framework: Vec<Framework>,
    pub severity: Option<Severity>,
    pub fail_on: Option<Severity>,
    pub exclude: Vec<String>,
    pub jobs: Option<usize>,
    pub engine: Option<EngineMode>,
    pub max_file_size: Option<String>,
    pub no_gitignore: bool,
    pub policy_timeout: Option<f64>,
    pub stdin_filename: Option<String>,
    pub kube_version: Option<String>,
    pub shard: Option<String>,
    pub policy: Vec<PathBuf>,
    pub data: Vec<PathBuf>,
    pub policy_namespace: Vec<String>,
    pub all_namespaces: bool,
    pub combine: bool,
    pub waivers: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    pub write_baseline: Option<PathBuf>,
    pub sarif_category: Option<String>,
}

/// Fully resolved settings for a scan.
#[derive(Clone, Debug)]
pub struct ScanSettings {
    pub scan: ScanOptions,
    pub format: OutputFormat,
    pub output: Option<PathBuf>,
    pub gate: crate::gate::Gate,
    /// Where to record the findings as a baseline.
    pub write_baseline: Option<PathBuf>,
    /// SARIF `automationDetails.id` category.
    pub sarif_category: Option<String>,
}

pub const WAIVER_FILE: &str = "confgate-waivers.yaml";

/// Loads the waivers and the baseline the settings name. `config_dir` is the directory of
/// `confgate.toml` (or the current directory), where `confgate-waivers.yaml` is looked for.
pub fn load_governance(
    flags: &ScanFlags,
    file: &FileConfig,
    config_dir: &Path,
    scan: &mut ScanOptions,
) -> Result<(), SettingsError> {
    let err = |e: String| SettingsError {
        file: "waivers".to_string(),
        line: None,
        message: e,
    };
    let mut waivers = crate::waiver::compile_all(file.waivers.clone(), CONFIG_FILE)
        .map_err(|e| err(e.to_string()))?;
    let explicit = flags
        .waivers
        .clone()
        .or_else(|| file.waivers_file.clone().map(|p| config_dir.join(p)));
    let path = explicit
        .clone()
        .or_else(|| Some(config_dir.join(WAIVER_FILE)).filter(|p| p.is_file()));
    if let Some(p) = path {
        waivers.extend(crate::waiver::read_waiver_file(&p).map_err(|e| err(e.to_string()))?);
    }
    scan.waivers = waivers;
    let baseline = flags
        .baseline
        .clone()
        .or_else(|| file.baseline.clone().map(|p| config_dir.join(p)));
    if let Some(p) = baseline {
        scan.baseline = Some(
            crate::baseline::Baseline::read(&p).map_err(|e| SettingsError {
                file: e.file,
                line: None,
                message: e.message,
            })?,
        );
    }
    Ok(())
}

fn or_vec<T: Clone>(flag: &[T], file: &Option<Vec<T>>) -> Vec<T> {
    if flag.is_empty() {
        file.clone().unwrap_or_default()
    } else {
        flag.to_vec()
    }
}

/// Merges flags over the config file over defaults.
pub fn resolve(
    flags: &ScanFlags,
    file: &FileConfig,
    cwd: &Path,
) -> Result<ScanSettings, SettingsError> {
    let bad = |message: String| SettingsError {
        file: "settings".to_string(),
        line: None,
        message,
    };
    let max_file_size = match (&flags.max_file_size, &file.max_file_size) {
        (Some(s), _) => parse_size(s).map_err(bad)?,
        (None, Some(Size::Bytes(b))) => *b,
        (None, Some(Size::Text(s))) => parse_size(s).map_err(bad)?,
        (None, None) => LoadOptions::default().max_file_size,
    };
    let timeout = flags.policy_timeout.or(file.policy_timeout).unwrap_or(5.0);
    if !(timeout.is_finite() && timeout > 0.0) {
        return Err(bad(format!(
            "policy-timeout must be a positive number of seconds, got {timeout}"
        )));
    }
    let load = LoadOptions {
        exclude: or_vec(&flags.exclude, &file.exclude),
        max_file_size,
        gitignore: !flags.no_gitignore && file.gitignore.unwrap_or(true),
        stdin_name: flags
            .stdin_filename
            .clone()
            .or_else(|| file.stdin_filename.clone())
            .unwrap_or_else(|| "stdin".to_string()),
    };
    let selection = Selection {
        select: or_vec(&flags.select, &file.select),
        ignore: or_vec(&flags.ignore, &file.ignore),
        frameworks: or_vec(&flags.framework, &file.framework),
        min_severity: flags.severity.or(file.severity),
        severity_overrides: file.severity_overrides.clone(),
    };
    let kube_version = match flags.kube_version.as_ref().or(file.kube_version.as_ref()) {
        Some(v) => crate::k8s::KubeVersion::parse(v)
            .ok_or_else(|| bad(format!("kube-version {v:?} is not a version like 1.34")))?,
        None => crate::k8s::KubeVersion::NEWEST,
    };
    let shard = flags
        .shard
        .as_deref()
        .map(crate::scan::Shard::parse)
        .transpose()
        .map_err(bad)?;
    let policy_paths = or_vec(&flags.policy, &file.policy);
    let custom = (!policy_paths.is_empty()).then(|| {
        let defaults = crate::engine::custom::CustomOptions::default();
        let namespaces = or_vec(&flags.policy_namespace, &file.policy_namespace);
        crate::engine::custom::CustomOptions {
            base_dir: cwd.to_path_buf(),
            policy_paths,
            data_paths: or_vec(&flags.data, &file.data),
            namespaces: if namespaces.is_empty() {
                defaults.namespaces.clone()
            } else {
                namespaces
            },
            all_namespaces: flags.all_namespaces || file.all_namespaces.unwrap_or(false),
            timeout: Duration::from_secs_f64(timeout),
            combine: flags.combine || file.combine.unwrap_or(false),
            ..defaults
        }
    });
    Ok(ScanSettings {
        write_baseline: flags.write_baseline.clone(),
        sarif_category: flags
            .sarif_category
            .clone()
            .or_else(|| file.sarif_category.clone()),
        scan: ScanOptions {
            kube_version,
            shard,
            custom,
            waivers: Vec::new(),
            baseline: None,
            load,
            selection,
            engine: flags.engine.or(file.engine).unwrap_or_default(),
            jobs: flags.jobs.or(file.jobs).unwrap_or(0),
            policy_timeout: Duration::from_secs_f64(timeout),
        },
        format: flags.format.or(file.format).unwrap_or(OutputFormat::Text),
        output: flags.output.clone().or_else(|| file.output.clone()),
        gate: crate::gate::Gate::new(flags.fail_on.or(file.fail_on).unwrap_or(Severity::High)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
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
        let e = read_config(&p).err().map(|e| (e.line, e.message));
        assert_eq!(e.as_ref().map(|e| e.0), Some(Some(3)));
        assert!(e.is_some_and(|e| e.1.contains("fail-onn")));
    }
}
