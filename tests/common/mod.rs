//! Helpers for the end-to-end tests of the `confgate` binary: running it in isolation,
//! building scratch directories, and reading its JSON report.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The repository root (where Cargo.toml lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path of a file relative to the repository root.
pub fn repo_path(rel: &str) -> PathBuf {
    repo_root().join(rel)
}

/// The CG1001 fixture that fires once, at line 18 (`privileged: true` of an init container).
pub const FAIL_FIXTURE: &str = "tests/fixtures/rules/CG1001/fail.yaml";
/// The CG1001 fixture that must not fire.
pub const PASS_FIXTURE: &str = "tests/fixtures/rules/CG1001/pass.yaml";
/// Static inputs of these tests.
pub const CLI_FIXTURES: &str = "tests/fixtures/cli";

/// Text of a file in the repository.
pub fn read_repo(rel: &str) -> String {
    std::fs::read_to_string(repo_path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// Text of the failing CG1001 fixture.
pub fn fail_fixture() -> String {
    read_repo(FAIL_FIXTURE)
}

/// Text of the passing CG1001 fixture.
pub fn pass_fixture() -> String {
    read_repo(PASS_FIXTURE)
}

/// A Pod named `name` with one privileged container (one CG1001 finding). Distinct names
/// keep findings in different files distinct.
pub fn privileged_pod(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n  \
         containers:\n    - name: app\n      image: nginx:1.25\n      securityContext:\n        \
         privileged: true\n"
    )
}

/// `confgate` with an environment free of `CONFGATE_*` and colour variables, running in `cwd`.
pub fn confgate(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_confgate"));
    cmd.current_dir(cwd);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("CONFGATE_") || k == "NO_COLOR" || k == "CLICOLOR_FORCE" {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// `confgate` running in the repository root, with an empty settings file so that a
/// `confgate.toml` in the repository cannot change the results.
pub fn confgate_in_repo() -> Command {
    let mut cmd = confgate(&repo_root());
    cmd.env(
        "CONFGATE_CONFIG",
        repo_path(&format!("{CLI_FIXTURES}/isolated-confgate.toml")),
    );
    cmd
}

/// What one run produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout as JSON (panics with the output when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
                self.code, self.stdout, self.stderr
            )
        })
    }

    /// Asserts the exit code, showing the output when it differs.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs a prepared command to completion.
pub fn run(cmd: &mut Command) -> Run {
    cmd.output().expect("run confgate").into()
}

/// Runs `confgate ARGS` in `cwd`.
pub fn run_in(cwd: &Path, args: &[&str]) -> Run {
    run(confgate(cwd).args(args))
}

/// Runs `confgate ARGS` in the repository root (isolated from its settings).
pub fn run_in_repo(args: &[&str]) -> Run {
    run(confgate_in_repo().args(args))
}

/// A scratch directory, deleted on drop. Its path is canonical, so that it matches the
/// current directory confgate sees even when the temp dir is reached through a symlink.
pub struct Scratch {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::Builder::new()
            .prefix("confgate-cli-")
            .tempdir()
            .expect("temp dir");
        let path = dir.path().canonicalize().expect("canonical temp dir");
        Scratch { _dir: dir, path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` to `rel`, creating parent directories.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(&p, bytes).expect("write file");
        p
    }

    pub fn mkdir(&self, rel: &str) -> PathBuf {
        let p = self.path.join(rel);
        std::fs::create_dir_all(&p).expect("create dir");
        p
    }

    /// Runs `confgate ARGS` with this directory as the current directory.
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.path(), args)
    }
}

/// The findings of a JSON report.
pub fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings is an array")
}

/// The errors of a JSON report.
pub fn errors(report: &Value) -> &Vec<Value> {
    report["errors"].as_array().expect("errors is an array")
}

/// The findings of one file.
pub fn findings_in<'a>(report: &'a Value, file: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["file"] == file)
        .collect()
}

/// Asserts that `file` has exactly one CG1001 finding and returns it.
pub fn one_cg1001_in<'a>(report: &'a Value, file: &str) -> &'a Value {
    let fs: Vec<&Value> = findings_in(report, file)
        .into_iter()
        .filter(|f| f["rule_id"] == "CG1001")
        .collect();
    assert_eq!(fs.len(), 1, "CG1001 findings in {file}: {report:#}");
    fs[0]
}

/// Asserts the report holds exactly one error, naming `file` at `line` (when given), with a
/// one-line message; returns the message.
pub fn one_error_for(report: &Value, file: &str, line: Option<u64>) -> String {
    let errs = errors(report);
    assert_eq!(
        errs.len(),
        1,
        "exactly one error expected: {:#}",
        report["errors"]
    );
    let e = &errs[0];
    assert_eq!(e["file"], file, "error names the file: {e:#}");
    if let Some(l) = line {
        assert_eq!(e["line"], l, "error line: {e:#}");
    }
    let msg = e["message"]
        .as_str()
        .expect("message is a string")
        .to_string();
    assert!(!msg.trim().is_empty(), "error message is empty: {e:#}");
    assert!(!msg.contains('\n'), "error message is one line: {msg:?}");
    msg
}

/// stderr names `file` on a `confgate: error:` line, every stderr line is either such an
/// error or a log line (so no message spilled over several lines), and nothing panicked.
pub fn assert_stderr_reports_one_line_errors(run: &Run, file: &str) {
    assert!(
        !run.stderr.contains("panicked"),
        "no panic on stderr:\n{}",
        run.stderr
    );
    for line in run.stderr.lines().filter(|l| !l.trim().is_empty()) {
        let log = ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"]
            .iter()
            .any(|lvl| line.trim_start().starts_with(lvl));
        assert!(
            line.starts_with("confgate: error: ") || log,
            "stray stderr line {line:?} (a multi-line message?):\n{}",
            run.stderr
        );
    }
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("confgate: error: ") && l.contains(file)),
        "stderr names {file}:\n{}",
        run.stderr
    );
}

/// 1-based (line, column) of the `n`-th (0-based) occurrence of `needle` in `text`.
pub fn position_of(text: &str, needle: &str, n: usize) -> (u64, u64) {
    let mut seen = 0;
    for (i, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(at) = line[from..].find(needle) {
            if seen == n {
                let col = line[..from + at].chars().count() + 1;
                return (i as u64 + 1, col as u64);
            }
            seen += 1;
            from += at + needle.len();
        }
    }
    panic!("{needle:?} occurs fewer than {} times", n + 1)
}

/// True when `s` holds an ANSI escape sequence.
pub fn has_ansi(s: &str) -> bool {
    s.contains('\u{1b}')
}
pub mod objstore;
