//! `disaster-test`'s recovery (RTO) targets: `--recovery-target` (every scenario), else
//! `CONFGATE_RECOVERY_TARGET_<SCENARIO>` (`CONFGATE_RECOVERY_TARGET_DATA_LOSS`), else
//! `CONFGATE_RECOVERY_TARGET`, else `[disaster.recovery-targets]` for the scenario, else
//! `[disaster] recovery-target`, else the scenario's default from the original suite
//! (rollback < 2 min, deploy < 10 min: see `orchestrate::disaster::Scenario::default_target`).
//! Settings sit under the orchestration layer, so scenarios are named here by their
//! kebab-case names, and the caller passes the ones it knows.

use std::time::Duration;

use crate::diag::{Code, Diagnostic};

use super::Settings;

/// Where a target came from, as the report says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetSource {
    Flag,
    Environment,
    SettingsFile,
    Default,
}

/// What `disaster-test` runs with.
#[derive(Clone, Debug)]
pub struct DisasterSettings {
    /// Per scenario name: the target given and where it came from (absent: the scenario's
    /// default).
    pub targets: Vec<(String, Duration, TargetSource)>,
    /// How long a detection (and a rollout) may take.
    pub timeout: Duration,
}

impl DisasterSettings {
    /// The target of scenario `name`, else `default`.
    pub fn target(&self, name: &str, default: Duration) -> Duration {
        self.targets
            .iter()
            .find(|(x, _, _)| x == name)
            .map(|(_, d, _)| *d)
            .unwrap_or(default)
    }
}

fn positive(what: &str, v: f64) -> Result<Duration, Diagnostic> {
    if !v.is_finite() || v <= 0.0 || v > super::MAX_SECONDS {
        return Err(Diagnostic::new(
            Code::Settings,
            format!(
                "{what} = {v}: give a positive number of seconds (at most {})",
                super::MAX_SECONDS
            ),
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

fn env_seconds(name: &str) -> Result<Option<f64>, Diagnostic> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse::<f64>().map(Some).map_err(|_| {
            Diagnostic::new(Code::Settings, format!("{name}={v:?}: expected seconds"))
        }),
        _ => Ok(None),
    }
}

impl Settings {
    /// `disaster-test`'s settings for the scenarios named `known`; `flag_target` is
    /// `--recovery-target`, `flag_timeout` `--timeout`.
    pub fn disaster(
        &self,
        known: &[&str],
        flag_target: Option<f64>,
        flag_timeout: Option<f64>,
    ) -> Result<DisasterSettings, Diagnostic> {
        let file = self.file.disaster.clone().unwrap_or_default();
        let per_file = file.recovery_targets.clone().unwrap_or_default();
        for k in per_file.keys() {
            if !known.contains(&k.as_str()) {
                return Err(Diagnostic::new(
                    Code::Settings,
                    format!(
                        "[disaster.recovery-targets] {k}: not a scenario ({})",
                        known.join(", ")
                    ),
                )
                .file(self.shown()));
            }
        }
        let all_env = env_seconds("CONFGATE_RECOVERY_TARGET")?;
        let mut targets = Vec::new();
        for s in known {
            let env_name = format!(
                "CONFGATE_RECOVERY_TARGET_{}",
                s.replace('-', "_").to_ascii_uppercase()
            );
            let (what, v, source) = if let Some(v) = flag_target {
                ("--recovery-target".to_string(), v, TargetSource::Flag)
            } else if let Some(v) = env_seconds(&env_name)? {
                (env_name, v, TargetSource::Environment)
            } else if let Some(v) = all_env {
                (
                    "CONFGATE_RECOVERY_TARGET".to_string(),
                    v,
                    TargetSource::Environment,
                )
            } else if let Some(v) = per_file.get(*s) {
                (
                    format!("[disaster.recovery-targets] {s}"),
                    *v,
                    TargetSource::SettingsFile,
                )
            } else if let Some(v) = file.recovery_target {
                (
                    "[disaster] recovery-target".to_string(),
                    v,
                    TargetSource::SettingsFile,
                )
            } else {
                continue;
            };
            targets.push((s.to_string(), positive(&what, v)?, source));
        }
        let timeout = match (flag_timeout, file.timeout) {
            (Some(t), _) => positive("--timeout", t)?,
            (None, Some(t)) => positive("[disaster] timeout", t)?,
            (None, None) => Duration::from_secs(60),
        };
        Ok(DisasterSettings { targets, timeout })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{DisasterSection, FileConfig};
    use std::path::Path;

    const KNOWN: &[&str] = &["deployment-failure", "data-loss", "service-outage"];
    const DEFAULT: Duration = Duration::from_secs(7);

    fn with(section: DisasterSection) -> Settings {
        let file = FileConfig {
            disaster: Some(section),
            ..FileConfig::default()
        };
        Settings::from_file(file, Path::new("/x"), Path::new("/x"))
    }

    #[test]
    fn without_settings_every_scenario_keeps_its_default() {
        let s = Settings::from_file(FileConfig::default(), Path::new("/x"), Path::new("/x"));
        let d = s.disaster(KNOWN, None, None).unwrap();
        assert_eq!(d.target("data-loss", DEFAULT), DEFAULT);
        assert_eq!(d.timeout, Duration::from_secs(60));
    }

    #[test]
    fn a_scenarios_target_beats_the_files_default_and_the_flag_beats_both() {
        let s = with(DisasterSection {
            recovery_target: Some(300.0),
            recovery_targets: Some([("data-loss".to_string(), 900.0)].into()),
            timeout: Some(20.0),
        });
        let d = s.disaster(KNOWN, None, None).unwrap();
        assert_eq!(d.target("data-loss", DEFAULT), Duration::from_secs(900));
        assert_eq!(
            d.target("service-outage", DEFAULT),
            Duration::from_secs(300)
        );
        assert_eq!(d.timeout, Duration::from_secs(20));
        let d = s.disaster(KNOWN, Some(30.0), Some(5.0)).unwrap();
        assert_eq!(d.target("data-loss", DEFAULT), Duration::from_secs(30));
        assert_eq!(d.timeout, Duration::from_secs(5));
        assert!(
            d.targets
                .iter()
                .all(|(_, _, src)| *src == TargetSource::Flag)
        );
    }

    #[test]
    fn a_target_must_be_positive_and_name_a_scenario() {
        let s = with(DisasterSection {
            recovery_target: Some(-1.0),
            ..DisasterSection::default()
        });
        let e = s.disaster(KNOWN, None, None).unwrap_err();
        assert!(e.message.contains("[disaster] recovery-target"), "{e}");
        let s = with(DisasterSection {
            recovery_targets: Some([("meteor".to_string(), 1.0)].into()),
            ..DisasterSection::default()
        });
        let e = s.disaster(KNOWN, None, None).unwrap_err();
        assert!(
            e.message.contains("meteor") && e.message.contains("data-loss"),
            "{e}"
        );
    }
}
