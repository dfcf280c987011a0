//! `confgate generate`'s settings: its flags over `[generate]` in `confgate.toml` over
//! defaults.
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
//! every value. The gate scans the generated set with the scan settings of the same file
//! (rule selection, severity overrides, waivers); its threshold is `--fail-on`, else
//! `[generate] fail-on`, else the top-level `fail-on`.

use std::path::{Path, PathBuf};

use crate::catalog::Severity;
use crate::gate::Gate;
use crate::generate::GenerateOptions;
use crate::scan::ScanOptions;

use super::file::GenerateSection;

/// `confgate generate`'s options as given on the command line (and in `CONFGATE_*`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct GenerateFlags {
    /// Environment to render: profiles/NAME.yaml (extending base.yaml).
    #[arg(long, short = 'e', env = "CONFGATE_ENVIRONMENT", value_name = "NAME")]
    pub environment: String,
    /// Target namespace (default: `namespace` under [generate] in confgate.toml, with
    /// {environment} replaced; else the environment name).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Directory of the Tera templates (default templates/).
    #[arg(long, env = "CONFGATE_TEMPLATE_DIR", value_name = "DIR")]
    pub template_dir: Option<PathBuf>,
    /// Directory of the profiles (default profiles/).
    #[arg(long, env = "CONFGATE_PROFILE_DIR", value_name = "DIR")]
    pub profile_dir: Option<PathBuf>,
    /// Where the manifests go (default generated/{environment}).
    #[arg(long, short = 'o', env = "CONFGATE_OUTPUT_DIR", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Print a unified diff against the output directory and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Override a variable (dotted keys reach into maps); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Content-hash name suffixes for every generated ConfigMap and Secret.
    #[arg(long)]
    pub hash_suffix: bool,
    /// Remove generated files that are no longer generated.
    #[arg(long)]
    pub prune: bool,
    /// Refuse to write when a finding at or above this severity remains (default high).
    #[arg(long, value_enum, env = "CONFGATE_FAIL_ON")]
    pub fail_on: Option<Severity>,
}

/// Merges flags over the `[generate]` section over defaults. Flag paths are relative to
/// `cwd`; paths from the file to `config_dir`; defaults to `config_dir` when the file has a
/// `[generate]` section, else to `cwd`.
pub(super) fn resolve(
    flags: &GenerateFlags,
    file: Option<&GenerateSection>,
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
        sets: flags.set.clone(),
        hash_suffix: flags.hash_suffix || conf.hash_suffix.unwrap_or(false),
        prune: flags.prune,
        gate: Gate::new(flags.fail_on.or(conf.fail_on).unwrap_or(Severity::High)),
        scan: ScanOptions::default(),
        cwd: cwd.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_read_and_merged_under_flags() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("confgate.toml");
        std::fs::write(
            &p,
            "format = \"json\"\n[generate]\noutput-dir = \"out/{environment}\"\nnamespace = \"shop-{environment}\"\n",
        )
        .unwrap();
        let c = super::super::read_config(&p).unwrap().generate.unwrap();
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
        let e = super::super::read_config(&p).unwrap_err();
        assert_eq!(e.line_number(), Some(3));
        assert!(e.message.contains("outptu-dir"), "{e}");
    }
}
