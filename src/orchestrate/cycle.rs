//! `confgate full-cycle`: generate → validate → backup → scan → deploy → monitor → audit.
//! This file is the pure half: the stages, their verdicts, where the cycle stops and with
//! which exit code, and the step-by-step summary. The command runs each stage through the
//! library function the single command uses.

use serde::Serialize;

/// The stages, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Generate,
    Validate,
    Backup,
    Scan,
    Deploy,
    Monitor,
    Audit,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Generate,
        Stage::Validate,
        Stage::Backup,
        Stage::Scan,
        Stage::Deploy,
        Stage::Monitor,
        Stage::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Generate => "generate",
            Stage::Validate => "validate",
            Stage::Backup => "backup",
            Stage::Scan => "scan",
            Stage::Deploy => "deploy",
            Stage::Monitor => "monitor",
            Stage::Audit => "audit",
        }
    }
}

/// How one stage ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Passed,
    /// The stage's gate failed (its exit code 1): findings, an invalid set, an unhealthy
    /// rollout, a rollback.
    Failed,
    /// The stage could not do its job (exit code 2).
    Error,
    /// Not run (`--skip-backup`, nothing to watch in a dry run).
    Skipped,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Error => "error",
            Verdict::Skipped => "skipped",
        }
    }

    /// Whether the cycle goes on after it.
    pub fn continues(self) -> bool {
        matches!(self, Verdict::Passed | Verdict::Skipped)
    }
}

/// One stage that ran.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageResult {
    pub stage: Stage,
    pub verdict: Verdict,
    pub seconds: f64,
    /// One line: what it did or why it stopped.
    pub detail: String,
    /// Reports it wrote.
    pub reports: Vec<String>,
}

/// One environment's cycle.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Cycle {
    pub environment: String,
    pub namespace: String,
    pub dry_run: bool,
    pub stages: Vec<StageResult>,
    /// The revision the deploy recorded, and the one a rollback returned to.
    pub revision: Option<u64>,
    pub rolled_back_to: Option<u64>,
}

impl Cycle {
    /// The stage the cycle stopped at, if one failed.
    pub fn stopped_at(&self) -> Option<&StageResult> {
        self.stages.iter().find(|s| !s.verdict.continues())
    }

    /// The exit code: that of the first failed stage (1 failed, 2 error), else 0.
    pub fn exit_code(&self) -> u8 {
        match self.stopped_at().map(|s| s.verdict) {
            Some(Verdict::Error) => 2,
            Some(Verdict::Failed) => 1,
            _ => 0,
        }
    }

    pub fn passed(&self) -> bool {
        self.exit_code() == 0
    }
}

/// The exit code of several environments' cycles: the first failing one's.
pub fn exit_code(cycles: &[Cycle]) -> u8 {
    cycles
        .iter()
        .map(Cycle::exit_code)
        .find(|c| *c != 0)
        .unwrap_or(0)
}

/// The text summary: one line per stage (and `not run` for those after a stop).
pub fn summary(cycles: &[Cycle], skipped_environments: &[String]) -> String {
    let mut t = String::new();
    for c in cycles {
        t.push_str(&format!(
            "full cycle of {} (namespace {}){}\n",
            crate::report::escape::control(&c.environment),
            crate::report::escape::control(&c.namespace),
            if c.dry_run {
                " (dry run: nothing in the cluster is changed)"
            } else {
                ""
            }
        ));
        for s in &c.stages {
            t.push_str(&format!(
                "  {:<9} {:<8} {:>7.2} s  {}\n",
                s.stage.as_str(),
                s.verdict.as_str(),
                s.seconds,
                crate::report::escape::control(&s.detail)
            ));
            for r in &s.reports {
                t.push_str(&format!(
                    "  {:<9} report: {}\n",
                    "",
                    crate::report::escape::control(r)
                ));
            }
        }
        for st in Stage::ALL
            .iter()
            .filter(|st| !c.stages.iter().any(|s| s.stage == **st))
        {
            t.push_str(&format!("  {:<9} not run\n", st.as_str()));
        }
        match c.stopped_at() {
            Some(s) => t.push_str(&format!(
                "stopped at {} (exit {})\n",
                s.stage.as_str(),
                c.exit_code()
            )),
            None => t.push_str("all stages passed\n"),
        }
    }
    for e in skipped_environments {
        t.push_str(&format!(
            "full cycle of {}: not run (an earlier environment failed)\n",
            crate::report::escape::control(e)
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(stage: Stage, verdict: Verdict) -> StageResult {
        StageResult {
            stage,
            verdict,
            seconds: 0.5,
            detail: "d".into(),
            reports: vec![],
        }
    }

    #[test]
    fn the_first_failed_stage_gives_the_exit_code() {
        let mut c = Cycle::default();
        c.stages.push(stage(Stage::Generate, Verdict::Passed));
        c.stages.push(stage(Stage::Backup, Verdict::Skipped));
        assert_eq!(c.exit_code(), 0);
        c.stages.push(stage(Stage::Scan, Verdict::Failed));
        assert_eq!(c.exit_code(), 1);
        assert_eq!(c.stopped_at().unwrap().stage, Stage::Scan);
        let mut e = Cycle::default();
        e.stages.push(stage(Stage::Deploy, Verdict::Error));
        assert_eq!(e.exit_code(), 2);
        assert_eq!(exit_code(&[Cycle::default(), e.clone(), c.clone()]), 2);
        assert_eq!(exit_code(&[c, e]), 1);
    }

    #[test]
    fn the_summary_names_every_stage_and_the_stop() {
        let mut c = Cycle {
            environment: "dev".into(),
            namespace: "shop-dev".into(),
            ..Cycle::default()
        };
        c.stages.push(stage(Stage::Generate, Verdict::Passed));
        c.stages.push(stage(Stage::Validate, Verdict::Failed));
        let t = summary(&[c], &["prod".into()]);
        assert!(t.contains("generate  passed"), "{t}");
        assert!(t.contains("validate  failed"), "{t}");
        assert!(t.contains("audit     not run"), "{t}");
        assert!(t.contains("stopped at validate (exit 1)"), "{t}");
        assert!(t.contains("full cycle of prod: not run"), "{t}");
    }
}
