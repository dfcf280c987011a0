//! The pre-commit hooks of `.pre-commit-hooks.yaml`, driven by the real pre-commit framework
//! (PyPI `pre-commit`) in a scratch git repository: a staged manifest with a privileged
//! container blocks `git commit` with a message naming the file, the line and CG1001; the
//! fixed manifest commits; a malformed one blocks the commit as an error (exit 2).
//!
//! The `confgate-system` hook is taken from `.pre-commit-hooks.yaml` as it is (id, name,
//! files, args, ...) and run as a `repo: local` hook whose entry is this build's binary: the
//! `language: rust` variant would compile the whole project inside pre-commit.
//!
//! pre-commit is found through `$PRE_COMMIT`, `python3 -m pre_commit` or `pre-commit` on
//! PATH. Without it these tests fail (they do not skip): run `bash .ci/install-python-tools`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

const INSTALL_HINT: &str = "run `bash .ci/install-python-tools` (installs pre-commit and PyYAML \
                            with pip), or point $PRE_COMMIT at a pre-commit executable";

const FAIL_FIXTURE: &str = "tests/fixtures/rules/CG1001/fail.yaml";
const PASS_FIXTURE: &str = "tests/fixtures/rules/CG1001/pass.yaml";

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read_repo(rel: &str) -> String {
    std::fs::read_to_string(repo_path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// What a command printed, both streams, and its exit code.
struct Ran {
    code: i32,
    output: String,
}

/// Runs `cmd`, panicking only when it cannot be started.
fn ran(cmd: &mut Command) -> Ran {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    Ran {
        code: out.status.code().unwrap_or(-1),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The command that runs pre-commit: `$PRE_COMMIT`, `python3 -m pre_commit` or `pre-commit`.
fn pre_commit_command() -> Vec<String> {
    let works = |argv: &[String]| {
        Command::new(&argv[0])
            .args(&argv[1..])
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if let Some(p) = std::env::var_os("PRE_COMMIT").filter(|p| !p.is_empty()) {
        let argv = vec![p.to_string_lossy().into_owned()];
        assert!(
            works(&argv),
            "$PRE_COMMIT={:?} does not run (`--version` failed); {INSTALL_HINT}",
            argv[0]
        );
        return argv;
    }
    let candidates = [
        vec![
            "python3".to_owned(),
            "-m".to_owned(),
            "pre_commit".to_owned(),
        ],
        vec!["pre-commit".to_owned()],
    ];
    candidates
        .into_iter()
        .find(|argv| works(argv))
        .unwrap_or_else(|| panic!("the pre-commit framework is not installed: {INSTALL_HINT}"))
}

/// A YAML file of the repository as JSON, read with python3 and PyYAML.
fn yaml_file(rel: &str) -> Value {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(repo_path(rel))
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed to read {rel} ({e}); {INSTALL_HINT}"));
    assert!(
        out.status.success(),
        "cannot read {rel} as YAML: {}\n{INSTALL_HINT}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python3 printed JSON")
}

/// The hooks of `.pre-commit-hooks.yaml`.
fn hooks() -> Vec<Value> {
    yaml_file(".pre-commit-hooks.yaml")
        .as_array()
        .expect(".pre-commit-hooks.yaml is a list of hooks")
        .clone()
}

fn hook(id: &str) -> Value {
    hooks()
        .into_iter()
        .find(|h| h["id"] == id)
        .unwrap_or_else(|| panic!("no hook `{id}` in .pre-commit-hooks.yaml"))
}

/// `s` quoted for the POSIX-shell-like splitting (Python's shlex) pre-commit applies to `entry`.
fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r#"'"'"'"#))
    }
}

/// 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in fixture"))
        + 1
}

/// A scratch git repository with pre-commit installed, isolated from the user's git and
/// pre-commit settings and from `CONFGATE_*` variables.
struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
    repo: PathBuf,
    pre_commit: Vec<String>,
}

impl Sandbox {
    fn new(pre_commit: Vec<String>) -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("confgate-precommit-")
            .tempdir()
            .expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        let repo = root.join("repo");
        std::fs::create_dir_all(&repo).expect("create repo dir");
        std::fs::write(root.join("gitconfig"), "").expect("write empty gitconfig");
        let s = Sandbox {
            _dir: dir,
            root,
            repo,
            pre_commit,
        };
        s.git(&["init", "-q", "-b", "main"]).expect_ok("git init");
        s.git(&["config", "user.email", "ci@example.com"])
            .expect_ok("git config");
        s.git(&["config", "user.name", "confgate CI"])
            .expect_ok("git config");
        s.git(&["config", "commit.gpgsign", "false"])
            .expect_ok("git config");
        s
    }

    /// `program` in the repository with a controlled environment.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.repo);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("GIT_")
                || k.starts_with("CONFGATE_")
                || k.starts_with("PRE_COMMIT")
                || ["SKIP", "NO_COLOR", "CLICOLOR_FORCE"].contains(&k.as_str())
            {
                cmd.env_remove(k);
            }
        }
        cmd.env("GIT_CONFIG_GLOBAL", self.root.join("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("PRE_COMMIT_HOME", self.root.join("pre-commit-home"))
            .env("PRE_COMMIT_COLOR", "never")
            // A confgate.toml above the temp dir must not change the results.
            .env(
                "CONFGATE_CONFIG",
                repo_path("tests/fixtures/cli/isolated-confgate.toml"),
            );
        cmd
    }

    fn git(&self, args: &[&str]) -> Ran {
        ran(self.command("git").args(args))
    }

    fn run_pre_commit(&self, args: &[&str]) -> Ran {
        ran(self
            .command(&self.pre_commit[0])
            .args(&self.pre_commit[1..])
            .args(args))
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.repo.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("create parent");
        std::fs::write(p, text).expect("write file");
    }

    /// `git add -A && git commit -m MESSAGE`, through the installed pre-commit hook.
    fn commit(&self, message: &str) -> Ran {
        self.git(&["add", "-A"]).expect_ok("git add");
        self.git(&["commit", "-m", message])
    }

    fn subjects(&self) -> Vec<String> {
        let log = self.git(&["log", "--format=%s"]);
        if log.code != 0 {
            return Vec::new(); // no commit yet
        }
        log.output.lines().map(str::to_owned).collect()
    }
}

impl Ran {
    fn expect_ok(&self, what: &str) -> &Self {
        assert_eq!(self.code, 0, "{what} failed:\n{}", self.output);
        self
    }
}

/// `.pre-commit-config.yaml` (JSON is YAML) with the `confgate-system` hook as published,
/// run from this build. `--select CG1001` keeps the outcome independent of the rest of the
/// growing rule library, as in tests/cli.rs.
fn local_config() -> String {
    local_config_for("confgate-system", "scan", &["--select", "CG1001"])
}

/// `.pre-commit-config.yaml` with the published hook `id` (a `system` hook whose entry is
/// `confgate SUBCOMMAND`) run from this build, with `extra` arguments appended.
fn local_config_for(id: &str, subcommand: &str, extra: &[&str]) -> String {
    let published = hook(id);
    assert_eq!(published["language"], "system", "{published:#}");
    assert_eq!(
        published["entry"],
        format!("confgate {subcommand}"),
        "{published:#}"
    );
    let mut local = published.clone();
    let obj = local.as_object_mut().expect("hook is a mapping");
    obj.insert(
        "entry".into(),
        json!(format!(
            "{} {subcommand}",
            shell_quote(env!("CARGO_BIN_EXE_confgate"))
        )),
    );
    let mut args = published["args"].as_array().cloned().unwrap_or_default();
    args.extend(extra.iter().map(|a| json!(a)));
    obj.insert("args".into(), Value::Array(args));
    let config = json!({"repos": [{"repo": "local", "hooks": [local]}]});
    serde_json::to_string_pretty(&config).expect("serialise config")
}

#[test]
fn hook_definitions_are_valid_and_agree() {
    let pre_commit = pre_commit_command();
    let s = Sandbox::new(pre_commit);
    let manifest = repo_path(".pre-commit-hooks.yaml");
    s.run_pre_commit(&["validate-manifest", manifest.to_str().expect("utf-8 path")])
        .expect_ok("pre-commit validate-manifest .pre-commit-hooks.yaml");

    for (rust, system) in [
        ("confgate", "confgate-system"),
        ("confgate-validate", "confgate-validate-system"),
    ] {
        let rust = hook(rust);
        let system = hook(system);
        assert_eq!(rust["language"], "rust", "{rust:#}");
        assert_eq!(system["language"], "system", "{system:#}");
        for key in ["entry", "files", "pass_filenames", "require_serial", "args"] {
            assert_eq!(rust[key], system[key], "hooks differ in `{key}`");
        }
    }
    let rust = hook("confgate");
    assert_eq!(rust["entry"], "confgate scan");
    assert_eq!(rust["pass_filenames"], true);
    let args: Vec<&str> = rust["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string arg"))
        .collect();
    assert!(
        args.windows(2).any(|w| w == ["--fail-on", "high"]),
        "default gate: {args:?}"
    );

    // The files pattern: Kubernetes YAML and JSON, not other files.
    let files = rust["files"].as_str().expect("files pattern");
    let re = regex::Regex::new(files).expect("files is a regular expression");
    for yes in [
        "deploy/web.yaml",
        "a.yml",
        "k8s/pod.json",
        ".pre-commit-config.yaml",
    ] {
        assert!(re.is_match(yes), "{files} should match {yes}");
    }
    for no in ["README.md", "main.rs", "values.yaml.tpl", "x.yamlx"] {
        assert!(!re.is_match(no), "{files} should not match {no}");
    }

    // The generated local config is valid for pre-commit too.
    s.write(".pre-commit-config.yaml", &local_config());
    s.run_pre_commit(&["validate-config", ".pre-commit-config.yaml"])
        .expect_ok("pre-commit validate-config");
}

#[test]
fn commit_is_blocked_on_findings_and_errors_and_allowed_when_fixed() {
    let pre_commit = pre_commit_command();
    let s = Sandbox::new(pre_commit);
    s.write(".pre-commit-config.yaml", &local_config());
    s.run_pre_commit(&["install"])
        .expect_ok("pre-commit install");
    assert!(
        s.repo.join(".git/hooks/pre-commit").is_file(),
        "pre-commit install wrote no hook"
    );

    // A privileged container, plus YAML that is not Kubernetes (skipped, not an error).
    let bad = read_repo(FAIL_FIXTURE);
    let bad_line = line_of(&bad, "privileged: true");
    s.write("deploy/web.yaml", &bad);
    s.write(
        "config/app.yaml",
        "name: demo\nretries: 3\nfeatures: [a, b]\n",
    );
    s.write("README.md", "# demo\n");

    let blocked = s.commit("add web");
    let out = &blocked.output;
    assert_ne!(blocked.code, 0, "the commit should be blocked:\n{out}");
    assert!(
        out.contains("confgate") && out.contains("Failed"),
        "pre-commit names the failing hook:\n{out}"
    );
    assert!(
        out.contains("- exit code: 1"),
        "findings (not an error) block the commit:\n{out}"
    );
    assert!(
        out.contains(&format!("deploy/web.yaml:{bad_line}:")),
        "the message names the file and line {bad_line}:\n{out}"
    );
    assert!(
        out.contains("CG1001") && out.contains("privileged"),
        "the message names the rule:\n{out}"
    );
    assert!(
        !out.contains("config/app.yaml"),
        "non-Kubernetes YAML is skipped silently:\n{out}"
    );
    assert!(s.subjects().is_empty(), "nothing was committed");

    // The fix: the passing fixture.
    s.write("deploy/web.yaml", &read_repo(PASS_FIXTURE));
    let ok = s.commit("add web");
    assert_eq!(ok.code, 0, "the fixed manifest commits:\n{}", ok.output);
    assert!(ok.output.contains("Passed"), "hook passed:\n{}", ok.output);
    assert_eq!(s.subjects(), vec!["add web".to_owned()]);

    // A malformed manifest is an error (exit 2), named with file and line; also blocked.
    s.write(
        "deploy/broken.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec: [\n",
    );
    let broken = s.commit("add broken");
    assert_ne!(broken.code, 0, "a malformed manifest blocks the commit");
    assert!(
        broken.output.contains("- exit code: 2"),
        "an error exits 2:\n{}",
        broken.output
    );
    assert!(
        broken.output.contains("deploy/broken.yaml:"),
        "the error names the file:\n{}",
        broken.output
    );
    assert_eq!(s.subjects(), vec!["add web".to_owned()]);

    // Only staged files are passed: the broken manifest left untracked in the work tree
    // does not stop a commit of other files.
    s.git(&["rm", "-q", "--cached", "deploy/broken.yaml"])
        .expect_ok("unstage");
    s.write("README.md", "# demo\n\nmore\n");
    s.git(&["add", "README.md"]).expect_ok("git add");
    let docs = s.git(&["commit", "-m", "docs"]);
    assert_eq!(docs.code, 0, "{}", docs.output);
    assert!(s.repo.join("deploy/broken.yaml").is_file());
    assert_eq!(s.subjects(), vec!["docs".to_owned(), "add web".to_owned()]);
}

#[test]
fn the_validate_hook_blocks_schema_errors_with_their_position() {
    let pre_commit = pre_commit_command();
    let s = Sandbox::new(pre_commit);
    s.write(
        ".pre-commit-config.yaml",
        &local_config_for("confgate-validate-system", "validate", &[]),
    );
    s.run_pre_commit(&["install"])
        .expect_ok("pre-commit install");
    let bad = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: two\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n";
    s.write("deploy/web.yaml", bad);
    let blocked = s.commit("add web");
    let out = &blocked.output;
    assert_ne!(blocked.code, 0, "the commit should be blocked:\n{out}");
    assert!(out.contains("- exit code: 1"), "{out}");
    assert!(
        out.contains("deploy/web.yaml:6:13: error[schema] spec.replicas"),
        "the message names file, line, column and field:\n{out}"
    );
    assert!(s.subjects().is_empty());
    s.write(
        "deploy/web.yaml",
        &bad.replace("replicas: two", "replicas: 2"),
    );
    let ok = s.commit("add web");
    assert_eq!(ok.code, 0, "{}", ok.output);
    assert_eq!(s.subjects(), vec!["add web".to_owned()]);
}
