//! `confgate policy test`: runs Rego `test_*` rules the way `opa test` does.
//!
//! regorus ships no test runner, so tests are found in the sources (rules named `test_*` at
//! the start of a line, in the file's package) and each is evaluated on its own: `true` is a
//! pass; `false`, undefined or an error is a failure. With coverage on, the lines regorus
//! evaluated are mapped back to the rules of the non-test files.
//!
//! The files are users' Rego, so they get the guards of user policies (`guard`: nesting,
//! recursive functions, huge ranges), and each test a time limit (`--timeout`, default
//! [`DEFAULT_TIMEOUT`]): a test that runs too long is an ERROR, the others still run.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use regex::Regex;
use regorus::Value;
use serde::Serialize;

use super::{PolicySource, builtin_error};
use crate::diag::Diagnostic;

/// One `test_*` rule.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct RegoTest {
    pub file: String,
    pub line: u32,
    pub package: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", tag = "outcome", content = "reason")]
pub enum Outcome {
    Pass,
    /// Evaluated to false or undefined.
    Fail(String),
    /// Raised an error.
    Error(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct TestResult {
    #[serde(flatten)]
    pub test: RegoTest,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(serialize_with = "as_millis")]
    pub duration: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// Whether the body of one (non-test) rule was evaluated by the tests.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RuleCoverage {
    pub file: String,
    pub line: u32,
    pub rule: String,
    pub covered: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TestRun {
    pub results: Vec<TestResult>,
    pub coverage: Option<Vec<RuleCoverage>>,
}

impl TestRun {
    pub fn passed(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.outcome == Outcome::Pass)
            .count()
    }

    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
}

/// Finds `package` and the `test_*` rules of one file.
pub fn find_tests(src: &PolicySource) -> Vec<RegoTest> {
    let package = package_of(&src.text);
    let Ok(head) = Regex::new(r"^(test_[A-Za-z0-9_]*)\b") else {
        return Vec::new();
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, line) in src.text.lines().enumerate() {
        if let Some(c) = head.captures(line) {
            let name = c[1].to_string();
            if seen.insert(name.clone()) {
                out.push(RegoTest {
                    file: src.path.clone(),
                    line: i as u32 + 1,
                    package: package.clone(),
                    name,
                });
            }
        }
    }
    out
}

fn package_of(text: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("package "))
        .map(|p| p.trim().to_string())
        .unwrap_or_default()
}

/// Rule heads (name and line) of a file: identifiers at the start of a line.
fn rule_heads(text: &str) -> Vec<(String, u32)> {
    let Ok(head) = Regex::new(r"^(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)") else {
        return Vec::new();
    };
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let c = head.captures(l)?;
            let name = c[1].to_string();
            (!matches!(name.as_str(), "package" | "import")).then_some((name, i as u32 + 1))
        })
        .collect()
}

fn is_test_file(path: &str) -> bool {
    path.ends_with("_test.rego")
}

/// How long one test may run unless `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Loads `sources` and runs the tests found in `test_sources` (both may overlap), each
/// within [`DEFAULT_TIMEOUT`].
pub fn run_tests(
    sources: &[PolicySource],
    coverage: bool,
    filter: Option<&Regex>,
) -> Result<TestRun, Diagnostic> {
    run_tests_within(sources, coverage, filter, DEFAULT_TIMEOUT)
}

/// [`run_tests`] with a time limit per test.
pub fn run_tests_within(
    sources: &[PolicySource],
    coverage: bool,
    filter: Option<&Regex>,
    timeout: Duration,
) -> Result<TestRun, Diagnostic> {
    let mut engine = regorus::Engine::new();
    for s in sources {
        super::guard::check_nesting(&s.path, &s.text).map_err(|e| builtin_error(&e, sources))?;
        engine
            .add_policy(s.path.clone(), s.text.clone())
            .map_err(|e| builtin_error(&e, sources))?;
    }
    super::guard::check_recursion(&engine).map_err(|e| builtin_error(&e, sources))?;
    super::guard::add_guarded_builtins(&mut engine);
    engine.set_execution_timer_config(super::custom::timer(timeout));
    engine.set_enable_coverage(coverage);
    let mut tests: Vec<RegoTest> = sources
        .iter()
        .filter(|s| is_test_file(&s.path))
        .flat_map(find_tests)
        .filter(|t| filter.is_none_or(|f| f.is_match(&format!("{}.{}", t.package, t.name))))
        .collect();
    tests.sort();
    let mut run = TestRun::default();
    for t in tests {
        let started = Instant::now();
        let rule = format!("data.{}.{}", t.package, t.name);
        let outcome = match engine.eval_rule(rule) {
            Ok(Value::Bool(true)) => Outcome::Pass,
            Ok(Value::Undefined) => {
                Outcome::Fail("undefined (a condition did not hold)".to_string())
            }
            Ok(v) => Outcome::Fail(format!("evaluated to {v}")),
            Err(e) if super::failure::timed_out(&e) => {
                Outcome::Error(format!("stopped after {timeout:?} (--timeout)"))
            }
            Err(e) => Outcome::Error(super::one_line(&format!("{e:#}"))),
        };
        run.results.push(TestResult {
            test: t,
            outcome,
            duration: started.elapsed(),
        });
    }
    if coverage {
        let report = engine
            .get_coverage_report()
            .map_err(|e| builtin_error(&e, sources))?;
        let mut rules = Vec::new();
        for f in report.files.iter().filter(|f| !is_test_file(&f.path)) {
            let heads = rule_heads(&f.code);
            let last_line = f.code.lines().count() as u32;
            for (i, (name, line)) in heads.iter().enumerate() {
                let end = heads.get(i + 1).map_or(last_line, |(_, l)| l - 1);
                let covered = (*line..=end).any(|l| f.covered.contains(&l));
                rules.push(RuleCoverage {
                    file: f.path.clone(),
                    line: *line,
                    rule: name.clone(),
                    covered,
                });
            }
        }
        run.coverage = Some(rules);
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(path: &str, text: &str) -> PolicySource {
        PolicySource {
            path: path.to_string(),
            text: text.to_string(),
        }
    }

    #[test]
    fn passing_failing_and_erroring_tests_are_told_apart() {
        let sources = vec![
            src(
                "p/a.rego",
                "package a\n\nallow if input.x == 1\n\nunused if input.y == 2\n",
            ),
            src(
                "p/a_test.rego",
                "package a\n\ntest_allow if allow with input as {\"x\": 1}\n\ntest_wrong if allow with input as {\"x\": 2}\n\ntest_error if 1 / 0 == 1\n",
            ),
        ];
        let run = run_tests(&sources, true, None).unwrap_or_default();
        let by_name = |n: &str| {
            run.results
                .iter()
                .find(|r| r.test.name == n)
                .map(|r| r.outcome.clone())
        };
        assert_eq!(by_name("test_allow"), Some(Outcome::Pass));
        assert!(matches!(by_name("test_wrong"), Some(Outcome::Fail(_))));
        assert!(matches!(
            by_name("test_error"),
            Some(Outcome::Fail(_) | Outcome::Error(_))
        ));
        assert_eq!((run.passed(), run.failed()), (1, 2));
        let cov = run.coverage.unwrap_or_default();
        assert!(cov.iter().any(|c| c.rule == "allow" && c.covered));
        assert!(cov.iter().any(|c| c.rule == "unused" && !c.covered));
    }
}
