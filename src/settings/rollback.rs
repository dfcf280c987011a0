//! `confgate rollback`'s options: flags, `CONFGATE_*` and `[rollback]` in `confgate.toml`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::diag::{Code, Diagnostic};
use crate::rollback::Strategy;
use crate::rollback::flow::{HealthCheck, RollbackOptions};

use super::{Settings, seconds};

/// The flags of `confgate rollback` that `[rollback]` can also set.
#[derive(Args, Debug, Clone, Default)]
pub struct RollbackFlags {
    /// How the rollback is applied: standard (at once, then wait), atomic (and put back
    /// the state from before when the health does not reach the threshold), incremental
    /// (config first, then one workload at a time, health checked between steps).
    #[arg(long, value_enum, env = "CONFGATE_STRATEGY")]
    pub strategy: Option<Strategy>,
    /// Seconds the rollout (and the health) may take (default 600; per step for
    /// incremental).
    #[arg(long, env = "CONFGATE_TIMEOUT", value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// The health score (0–100) the set must reach (default 60).
    #[arg(long, env = "CONFGATE_HEALTH_THRESHOLD", value_name = "SCORE")]
    pub health_threshold: Option<u32>,
    /// `--auto-rollback`: how long to watch, in seconds (default 300).
    #[arg(long, env = "CONFGATE_DURATION", value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Seconds between two health measurements (default 15).
    #[arg(long, env = "CONFGATE_INTERVAL", value_name = "SECONDS")]
    pub interval: Option<f64>,
    /// `--auto-rollback`: consecutive measurements under the threshold that trigger the
    /// rollback (default 3).
    #[arg(long, env = "CONFGATE_CONSECUTIVE", value_name = "N")]
    pub consecutive: Option<usize>,
    /// File holding the key that decrypts the revisions' Secret values (or
    /// CONFGATE_REVISION_KEY).
    #[arg(long, env = "CONFGATE_REVISION_KEY_FILE", value_name = "FILE")]
    pub revision_key_file: Option<PathBuf>,
}

/// What `rollback` runs with, besides the target and the scan settings.
#[derive(Clone, Debug)]
pub struct RollbackSettings {
    pub options: RollbackOptions,
    /// `--auto-rollback`'s watch.
    pub duration: Duration,
}

impl Settings {
    /// `rollback`'s options for `set` in `namespace`.
    pub fn rollback(
        &self,
        flags: &RollbackFlags,
        set: &str,
        namespace: &str,
    ) -> Result<RollbackSettings, Diagnostic> {
        let file = self.file.rollback.clone().unwrap_or_default();
        let strategy = match (flags.strategy, file.strategy.as_deref()) {
            (Some(s), _) => s,
            (None, Some(s)) => Strategy::parse(s).ok_or_else(|| {
                Diagnostic::new(
                    Code::Settings,
                    format!(
                        "[rollback] strategy = {s:?}: expected standard, atomic or incremental"
                    ),
                )
            })?,
            (None, None) => Strategy::Standard,
        };
        let threshold = flags
            .health_threshold
            .or(file.health_threshold)
            .unwrap_or(60);
        if threshold > 100 {
            return Err(Diagnostic::new(
                Code::Settings,
                format!("health threshold {threshold}: a score is 0 to 100"),
            ));
        }
        let interval = seconds("interval", flags.interval.or(file.interval).unwrap_or(15.0))?;
        if interval.is_zero() {
            return Err(Diagnostic::new(
                Code::Settings,
                "interval: give a positive number of seconds",
            ));
        }
        let key_file = flags
            .revision_key_file
            .clone()
            .map(|p| self.cwd.join(p))
            .or_else(|| {
                file.revision_key_file
                    .as_ref()
                    .map(|p| self.dir_abs().join(p))
            });
        let key_value = std::env::var("CONFGATE_REVISION_KEY").ok();
        let revision_key =
            crate::seal::Key::from_value_or_file(key_value.as_deref(), key_file.as_deref())
                .map_err(|e| e.diagnostic("the revision key"))?;
        Ok(RollbackSettings {
            options: RollbackOptions {
                set: set.to_string(),
                namespace: namespace.to_string(),
                strategy,
                allow_findings: false,
                timeout: seconds("timeout", flags.timeout.or(file.timeout).unwrap_or(600.0))?,
                health: HealthCheck {
                    threshold,
                    weights: file.health_weights.unwrap_or_default(),
                    interval,
                    consecutive: flags.consecutive.or(file.consecutive).unwrap_or(3).max(1),
                },
                revision_key,
                author: std::env::var("USER")
                    .or_else(|_| std::env::var("USERNAME"))
                    .unwrap_or_else(|_| "unknown".into()),
            },
            duration: seconds(
                "duration",
                flags.duration.or(file.duration).unwrap_or(300.0),
            )?,
        })
    }
}
