//! `confgate deploy`'s options: flags, `CONFGATE_*` and `[deploy]` in `confgate.toml`.

use std::path::PathBuf;

use clap::Args;

use crate::deploy::DeployOptions;
use crate::diag::{Code, Diagnostic};

use super::{Settings, seconds};

/// The flags of `confgate deploy` (besides the scan flags of its gate and the connection).
#[derive(Args, Debug, Clone, Default)]
pub struct DeployFlags {
    /// Manifests to deploy (files or directories).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Directory of manifests (the original suite's option; same as a PATH).
    #[arg(long, env = "CONFGATE_CONFIG_DIR", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// Namespace for objects that name none, and where the set's records live (default:
    /// the context's).
    #[arg(long, short = 'n', env = "CONFGATE_NAMESPACE", value_name = "NS")]
    pub namespace: Option<String>,
    /// Create the namespace when it does not exist.
    #[arg(long, env = "CONFGATE_CREATE_NAMESPACE")]
    pub create_namespace: bool,
    /// Change the cluster. Without it nothing is written: every object goes through a
    /// server-side dry run and the diff is shown.
    #[arg(long, env = "CONFGATE_APPLY", conflicts_with = "dry_run")]
    pub apply: bool,
    /// Show what would change, change nothing (the default without --apply).
    #[arg(long, env = "CONFGATE_DRY_RUN")]
    pub dry_run: bool,
    /// Also validate the set (syntax, schema, ConfigMap data, business rules, as
    /// `confgate validate` with `[validate]`) before anything is applied.
    #[arg(long, env = "CONFGATE_VALIDATE")]
    pub validate: bool,
    /// Wait until workloads, Jobs, PVCs and CRDs are ready.
    #[arg(long, env = "CONFGATE_WAIT_FOR_ROLLOUT")]
    pub wait_for_rollout: bool,
    /// Seconds the rollout may take (default 600).
    #[arg(long, env = "CONFGATE_TIMEOUT", value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// After the rollout, scan the live objects and report drift from what was applied.
    #[arg(long, env = "CONFGATE_VERIFY")]
    pub verify: bool,
    /// Delete objects an earlier deploy of this set created that the set no longer has.
    #[arg(long, env = "CONFGATE_PRUNE")]
    pub prune: bool,
    /// Take over fields another field manager owns.
    #[arg(long, env = "CONFGATE_FORCE_CONFLICTS")]
    pub force_conflicts: bool,
    /// When the rollout fails, re-apply the previous revision.
    #[arg(long, env = "CONFGATE_ROLLBACK_ON_FAILURE")]
    pub rollback_on_failure: bool,
    /// With --wait-for-rollout: a rollout whose health score (0–100) is under this counts
    /// as failed (and --rollback-on-failure rolls it back).
    #[arg(long, env = "CONFGATE_HEALTH_THRESHOLD", value_name = "SCORE")]
    pub health_threshold: Option<u32>,
    /// Recorded with the revision.
    #[arg(long, env = "CONFGATE_DESCRIPTION", value_name = "TEXT")]
    pub description: Option<String>,
    /// The set's name (default: the name of the first PATH's directory).
    #[arg(long, env = "CONFGATE_SET", value_name = "NAME")]
    pub set: Option<String>,
    /// Revisions kept per set (default 10).
    #[arg(long, env = "CONFGATE_HISTORY_MAX", value_name = "N")]
    pub history_max: Option<usize>,
    /// Wait for LoadBalancer Services to get an address.
    #[arg(long, env = "CONFGATE_WAIT_FOR_LOAD_BALANCER")]
    pub wait_for_load_balancer: bool,
    /// File holding the 256-bit key (base64 or hex) that encrypts Secret values in
    /// revisions (the key itself may come from CONFGATE_REVISION_KEY). Without a key,
    /// revisions keep only SHA-256 references of Secret values.
    #[arg(long, env = "CONFGATE_REVISION_KEY_FILE", value_name = "FILE")]
    pub revision_key_file: Option<PathBuf>,
}

/// The set name a path gives: its directory's name, as a DNS label.
fn set_from_path(p: &std::path::Path) -> Option<String> {
    let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let dir = if p.is_dir() { p.as_path() } else { p.parent()? };
    let name = dir.file_name()?.to_string_lossy().to_ascii_lowercase();
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let cleaned = cleaned
        .trim_matches('-')
        .chars()
        .take(40)
        .collect::<String>();
    (!cleaned.is_empty()).then_some(cleaned)
}

/// The commit checked out in the repository holding `path` (read from `.git`, without
/// running git): `HEAD`, a ref it points to, or that ref in `packed-refs`.
pub fn git_commit(path: &std::path::Path) -> Option<String> {
    let start = std::fs::canonicalize(path).ok()?;
    let root = start.ancestors().find(|d| d.join(".git").exists())?;
    let mut git = root.join(".git");
    if git.is_file() {
        // A worktree: `gitdir: <path>`.
        let text = std::fs::read_to_string(&git).ok()?;
        git = root.join(text.trim().strip_prefix("gitdir:")?.trim());
    }
    let head = std::fs::read_to_string(git.join("HEAD")).ok()?;
    let head = head.trim();
    let is_sha = |s: &str| s.len() >= 40 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if is_sha(head) {
        return Some(head.to_string());
    }
    let reference = head.strip_prefix("ref:")?.trim();
    // Worktrees keep refs in the common directory.
    let common = std::fs::read_to_string(git.join("commondir"))
        .ok()
        .map(|c| git.join(c.trim()))
        .unwrap_or_else(|| git.clone());
    for dir in [&git, &common] {
        if let Ok(v) = std::fs::read_to_string(dir.join(reference)) {
            let v = v.trim();
            if is_sha(v) {
                return Some(v.to_string());
            }
        }
        if let Ok(packed) = std::fs::read_to_string(dir.join("packed-refs")) {
            for line in packed.lines() {
                if let Some((sha, name)) = line.split_once(' ')
                    && name == reference
                    && is_sha(sha)
                {
                    return Some(sha.to_string());
                }
            }
        }
    }
    None
}

impl Settings {
    /// Whether `deploy` validates the set first: `--validate` (`CONFGATE_VALIDATE`), else
    /// `validate` of `[deploy]`.
    pub fn deploy_validates(&self, flags: &DeployFlags) -> bool {
        flags.validate
            || self
                .file
                .deploy
                .as_ref()
                .and_then(|d| d.validate)
                .unwrap_or(false)
    }

    /// `deploy`'s options and the paths it deploys; `default_namespace` is the context's.
    pub fn deploy(
        &self,
        flags: &DeployFlags,
        default_namespace: &str,
    ) -> Result<(DeployOptions, Vec<String>), Diagnostic> {
        let file = self.file.deploy.clone().unwrap_or_default();
        let mut paths = flags.paths.clone();
        // `config-dir` of `[deploy]` is the default set: only when neither PATHs nor
        // `--config-dir` name one (`generate --deploy` gives its output directory).
        let config_dir = match &flags.config_dir {
            Some(d) => Some(d.clone()),
            None if paths.is_empty() => file.config_dir.as_ref().map(|d| self.dir_abs().join(d)),
            None => None,
        };
        if let Some(d) = config_dir {
            paths.push(d.display().to_string());
        }
        if paths.is_empty() {
            return Err(Diagnostic::new(
                Code::Settings,
                "deploy needs manifests: give PATHs or --config-dir (or config-dir in [deploy])",
            ));
        }
        let set = match flags.set.clone().or(file.set) {
            Some(s) => s,
            None => set_from_path(&self.cwd.join(&paths[0])).ok_or_else(|| {
                Diagnostic::new(
                    Code::Settings,
                    "cannot name the set from the paths: give --set NAME",
                )
            })?,
        };
        let timeout = flags.timeout.or(file.timeout).unwrap_or(600.0);
        let key_value = std::env::var("CONFGATE_REVISION_KEY").ok();
        let key_file = flags
            .revision_key_file
            .clone()
            .map(|p| self.cwd.join(p))
            .or_else(|| {
                file.revision_key_file
                    .as_ref()
                    .map(|p| self.dir_abs().join(p))
            });
        let revision_key =
            crate::seal::Key::from_value_or_file(key_value.as_deref(), key_file.as_deref())
                .map_err(|e| e.diagnostic("the revision key"))?;
        let first = self.cwd.join(&paths[0]);
        let opts = DeployOptions {
            set,
            namespace: flags
                .namespace
                .clone()
                .or(file.namespace)
                .unwrap_or_else(|| default_namespace.to_string()),
            create_namespace: flags.create_namespace || file.create_namespace.unwrap_or(false),
            apply: flags.apply && !flags.dry_run,
            wait: flags.wait_for_rollout || file.wait_for_rollout.unwrap_or(false),
            timeout: seconds("timeout", timeout)?,
            verify: flags.verify || file.verify.unwrap_or(false),
            prune: flags.prune || file.prune.unwrap_or(false),
            force_conflicts: flags.force_conflicts || file.force_conflicts.unwrap_or(false),
            rollback_on_failure: flags.rollback_on_failure
                || file.rollback_on_failure.unwrap_or(false),
            description: flags.description.clone(),
            history_max: flags.history_max.or(file.history_max).unwrap_or(10).max(1),
            wait_load_balancer: flags.wait_for_load_balancer
                || file.wait_for_load_balancer.unwrap_or(false),
            author: std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .unwrap_or_else(|_| "unknown".into()),
            commit: git_commit(&first),
            revision_key,
            gated_by_caller: false,
            record: true,
            lock: true,
            health_threshold: match flags.health_threshold.or(file.health_threshold) {
                Some(t) if t > 100 => {
                    return Err(Diagnostic::new(
                        Code::Settings,
                        format!("health threshold {t}: a score is 0 to 100"),
                    ));
                }
                t => t,
            },
        };
        Ok((opts, paths))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DeploySection;
    use std::path::Path;

    fn settings(section: DeploySection) -> Settings {
        let file = crate::settings::FileConfig {
            deploy: Some(section),
            ..Default::default()
        };
        Settings::from_file(file, Path::new("/repo"), Path::new("/repo/sub"))
    }

    fn paths(s: &Settings, flags: &DeployFlags) -> Vec<String> {
        let flags = DeployFlags {
            set: Some("web".into()),
            ..flags.clone()
        };
        match s.deploy(&flags, "default") {
            Ok((_, p)) => p,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_files_config_dir_is_used_only_when_nothing_else_names_the_manifests() {
        let s = settings(DeploySection {
            config_dir: Some("deploy/prod".into()),
            ..Default::default()
        });
        assert_eq!(
            paths(&s, &DeployFlags::default()),
            ["/repo/deploy/prod".to_string()]
        );
        // `generate --deploy` and `deploy PATH`: the PATHs alone, never planned twice.
        let given = DeployFlags {
            paths: vec!["out/prod".into()],
            ..Default::default()
        };
        assert_eq!(paths(&s, &given), ["out/prod".to_string()]);
        let flag = DeployFlags {
            config_dir: Some("other".into()),
            ..Default::default()
        };
        assert_eq!(paths(&s, &flag), ["other".to_string()]);
    }

    #[test]
    fn validate_comes_from_the_flag_or_the_section() {
        let on = settings(DeploySection {
            validate: Some(true),
            ..Default::default()
        });
        let off = settings(DeploySection::default());
        assert!(on.deploy_validates(&DeployFlags::default()));
        assert!(!off.deploy_validates(&DeployFlags::default()));
        let flag = DeployFlags {
            validate: true,
            ..Default::default()
        };
        assert!(off.deploy_validates(&flag));
    }
}
