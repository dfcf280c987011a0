//! The `[generate]` section of `confgate.toml` and the merge of flags over it.
//!
//! ```toml
//! [generate]
//! profile-dir = "profiles"                   # default: profiles
//! template-dir = "templates"                 # default: templates
//! output-dir = "generated/{environment}"     # default: generated/{environment}
//! namespace = "shop-{environment}"           # default: the environment name
//! hash-suffix = false                        # content-hash names for every ConfigMap/Secret
//! fail-on = "high"                           # the gate on the generated set
//! ```
//!
//! Paths in the file are relative to the file's directory; `{environment}` is replaced in
//! every value. Only this section is read here (other keys belong to `settings`); unknown
//! keys inside it are errors naming their line.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{GenerateError, GenerateOptions};
use crate::catalog::Severity;
use crate::scan::ScanOptions;

/// The `[generate]` table.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GenerateConfig {
    pub profile_dir: Option<String>,
    pub template_dir: Option<String>,
    pub output_dir: Option<String>,
    pub namespace: Option<String>,
    pub hash_suffix: Option<bool>,
    pub fail_on: Option<Severity>,
}

#[derive(Deserialize)]
struct Outer {
    #[serde(default)]
    generate: Option<GenerateConfig>,
}

impl GenerateConfig {
    /// From an already-parsed `[generate]` value (e.g. `FileConfig::generate`).
    pub fn from_value(v: toml::Value) -> Result<GenerateConfig, String> {
        v.try_into::<GenerateConfig>()
            .map_err(|e| e.message().trim().replace('\n', " "))
    }
}

/// Reads the `[generate]` section of a config file (`None` when it has none).
pub fn read(path: &Path) -> Result<Option<GenerateConfig>, GenerateError> {
    let outer: Outer = crate::settings::read_toml(path, "[generate]")
        .map_err(|e| GenerateError::new(&e.file, e.line, e.message))?;
    Ok(outer.generate)
}

/// Options as given on the command line (and via `CONFGATE_*`).
#[derive(Clone, Debug, Default)]
pub struct GenerateFlags {
    pub environment: String,
    pub namespace: Option<String>,
    pub profile_dir: Option<PathBuf>,
    pub template_dir: Option<PathBuf>,
    pub output_dir: Option<PathBuf>,
    pub sets: Vec<String>,
    pub hash_suffix: bool,
    pub prune: bool,
    pub fail_on: Option<Severity>,
}

/// Merges flags over the `[generate]` section over defaults. Flag paths are relative to
/// `cwd`; paths from the file to `config_dir`; defaults to `config_dir` when the file has a
/// `[generate]` section, else to `cwd`.
pub fn resolve(
    flags: &GenerateFlags,
    file: Option<&GenerateConfig>,
    config_dir: Option<&Path>,
    cwd: &Path,
) -> GenerateOptions {
    let env = flags.environment.as_str();
    let subst = |s: &str| s.replace("{environment}", env);
    let from_file_dir = match (file, config_dir) {
        (Some(_), Some(d)) => d.to_path_buf(),
        _ => cwd.to_path_buf(),
    };
    let pick = |flag: &Option<PathBuf>, conf: Option<&String>, default: &str| -> PathBuf {
        match (flag, conf) {
            (Some(f), _) => cwd.join(subst(&f.to_string_lossy())),
            (None, Some(c)) => from_file_dir.join(subst(c)),
            (None, None) => from_file_dir.join(subst(default)),
        }
    };
    let conf = file.cloned().unwrap_or_default();
    GenerateOptions {
        environment: env.to_string(),
        namespace: flags.namespace.clone(),
        namespace_pattern: conf.namespace.as_deref().map(subst),
        profile_dir: crate::source::normalize(&pick(
            &flags.profile_dir,
            conf.profile_dir.as_ref(),
            "profiles",
        )),
        template_dir: crate::source::normalize(&pick(
            &flags.template_dir,
            conf.template_dir.as_ref(),
            "templates",
        )),
        output_dir: crate::source::normalize(&pick(
            &flags.output_dir,
            conf.output_dir.as_ref(),
            "generated/{environment}",
        )),
        sets: flags.sets.clone(),
        hash_suffix: flags.hash_suffix || conf.hash_suffix.unwrap_or(false),
        prune: flags.prune,
        gate: crate::gate::Gate::new(flags.fail_on.or(conf.fail_on).unwrap_or(Severity::High)),
        scan: ScanOptions::default(),
        cwd: cwd.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_read_and_other_keys_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("confgate.toml");
        std::fs::write(
            &p,
            "format = \"json\"\n[generate]\noutput-dir = \"out/{environment}\"\nnamespace = \"shop-{environment}\"\n",
        )
        .unwrap();
        let c = read(&p).unwrap().unwrap();
        let flags = GenerateFlags {
            environment: "prod".into(),
            ..GenerateFlags::default()
        };
        let o = resolve(&flags, Some(&c), Some(dir.path()), Path::new("/elsewhere"));
        assert_eq!(o.output_dir, dir.path().join("out/prod"));
        assert_eq!(o.profile_dir, dir.path().join("profiles"));
        assert_eq!(o.namespace_pattern.as_deref(), Some("shop-prod"));
    }

    #[test]
    fn unknown_keys_in_the_section_name_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("confgate.toml");
        std::fs::write(&p, "[generate]\n\noutptu-dir = \"x\"\n").unwrap();
        let e = read(&p).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("outptu-dir"), "{e}");
    }
}
