//! The GitHub Action (`action.yml` + `scripts/action-scan.sh`) and the workflow examples in
//! `examples/github/`: their structure, read as YAML (python3 + PyYAML, installed by
//! `.ci/install-python-tools`), and the action's script run the way GitHub runs it, with
//! `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` in temporary files and this build's confgate on
//! PATH.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const INSTALL_HINT: &str = "run `bash .ci/install-python-tools` (installs PyYAML and pre-commit)";
const EXAMPLE: &str = "examples/spotify-ai-agent";
const FAIL_FIXTURE: &str = "tests/fixtures/rules/CG1001/fail.yaml";
const PASS_FIXTURE: &str = "tests/fixtures/rules/CG1001/pass.yaml";
const ISOLATED_CONFIG: &str = "tests/fixtures/cli/isolated-confgate.toml";
const WORKFLOWS: [&str; 3] = [
    "examples/github/code-scanning.yml",
    "examples/github/pull-request-annotations.yml",
    "examples/github/sharded-scan.yml",
];

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read_repo(rel: &str) -> String {
    std::fs::read_to_string(repo_path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// A YAML file of the repository as JSON (python3 + PyYAML). PyYAML reads YAML 1.1, where a
/// bare `on` key is the boolean true: it is renamed back to "on".
fn yaml_file(rel: &str) -> Value {
    let script = "import json, sys, yaml\n\
                  d = yaml.safe_load(open(sys.argv[1]))\n\
                  if isinstance(d, dict) and True in d: d['on'] = d.pop(True)\n\
                  json.dump(d, sys.stdout)";
    let out = Command::new("python3")
        .args(["-c", script])
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

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v}"))
}

/// Every step of a workflow, with the id of its job.
fn workflow_steps(wf: &Value) -> Vec<(String, Value)> {
    let jobs = wf["jobs"].as_object().expect("jobs is a mapping");
    jobs.iter()
        .flat_map(|(id, job)| {
            job["steps"]
                .as_array()
                .unwrap_or_else(|| panic!("job {id} has steps"))
                .iter()
                .map(move |s| (id.clone(), s.clone()))
        })
        .collect()
}

/// Steps that use `action` (`owner/repo[/path]@ref`, compared without the ref).
fn steps_using<'a>(steps: &'a [(String, Value)], action: &str) -> Vec<&'a (String, Value)> {
    steps
        .iter()
        .filter(|(_, s)| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.split('@').next() == Some(action))
        })
        .collect()
}

/// Steps that use the confgate action (`…/confgate@ref` or a local `./`).
fn confgate_action_steps(steps: &[(String, Value)]) -> Vec<&(String, Value)> {
    steps
        .iter()
        .filter(|(_, s)| {
            s["uses"].as_str().is_some_and(|u| {
                u == "./"
                    || u.split('@')
                        .next()
                        .is_some_and(|r| r.ends_with("/confgate"))
            })
        })
        .collect()
}

/// The text of every `run:` step, in order.
fn run_texts(steps: &[(String, Value)]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|(_, s)| s["run"].as_str().map(str::to_owned))
        .collect()
}

/// A `run:` step must be bash with `set -euo pipefail`.
fn assert_strict_run_step(file: &str, step: &Value) {
    let Some(run) = step["run"].as_str() else {
        return;
    };
    let name = step["name"].as_str().unwrap_or("(unnamed)");
    assert_eq!(
        step["shell"], "bash",
        "{file}: step {name:?} must say `shell: bash`"
    );
    assert!(
        run.trim_start().starts_with("set -euo pipefail"),
        "{file}: step {name:?} must start with `set -euo pipefail`:\n{run}"
    );
}

fn permission(wf: &Value, job: &str, key: &str) -> Option<String> {
    let job_perm = &wf["jobs"][job]["permissions"][key];
    let wf_perm = &wf["permissions"][key];
    job_perm
        .as_str()
        .or_else(|| {
            if wf["jobs"][job]["permissions"].is_null() {
                wf_perm.as_str()
            } else {
                None
            }
        })
        .map(str::to_owned)
}

// ---------------------------------------------------------------------------------------
// action.yml

#[test]
fn action_is_composite_with_documented_inputs_and_outputs() {
    let action = yaml_file("action.yml");
    assert_eq!(action["runs"]["using"], "composite", "{action:#}");
    assert!(action["name"].is_string() && action["description"].is_string());

    let inputs = action["inputs"].as_object().expect("inputs");
    let defaults: BTreeMap<&str, &str> = [
        ("paths", "."),
        ("format", "sarif"),
        ("output", "confgate.sarif"),
        ("fail-on", "high"),
        ("args", ""),
        ("category", ""),
        ("summary", "true"),
        ("install", "build"),
        ("working-directory", "."),
    ]
    .into();
    let names: BTreeSet<&str> = inputs.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        defaults.keys().copied().collect::<BTreeSet<_>>(),
        "inputs"
    );
    for (name, default) in &defaults {
        let input = &inputs[*name];
        assert!(
            input["description"].as_str().is_some_and(|d| !d.is_empty()),
            "input {name} has a description"
        );
        assert_eq!(input["default"], *default, "default of input {name}");
    }

    let outputs = action["outputs"].as_object().expect("outputs");
    for name in ["exit-code", "findings", "report"] {
        let o = &outputs[name];
        assert!(o["description"].is_string(), "output {name} is described");
        assert_eq!(
            o["value"],
            format!("${{{{ steps.scan.outputs.{name} }}}}"),
            "output {name} comes from the scan step"
        );
    }
    assert_eq!(outputs.len(), 3, "outputs: {outputs:?}");

    // The documentation lists every input and output.
    let docs = read_repo("docs/integrations.md");
    for name in names
        .iter()
        .chain(["exit-code", "findings", "report"].iter())
    {
        assert!(
            docs.contains(&format!("`{name}`")),
            "docs/integrations.md documents `{name}`"
        );
    }
}

#[test]
fn action_steps_are_strict_bash_and_safe() {
    let action = yaml_file("action.yml");
    let steps = action["runs"]["steps"].as_array().expect("steps");
    assert!(steps.len() >= 3, "install, scan, gate");
    for step in steps {
        assert_strict_run_step("action.yml", step);
        let run = step["run"].as_str().unwrap_or_default();
        // Inputs reach scripts through env:, never spliced into the script text.
        assert!(
            !run.contains("${{"),
            "action.yml: expression inside run: (script injection):\n{run}"
        );
    }
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let install = runs
        .iter()
        .find(|r| r.contains("cargo install"))
        .expect("a step builds confgate");
    assert!(
        install.contains(r#"cargo install --locked --quiet --path "$GITHUB_ACTION_PATH""#),
        "builds from the action's own source:\n{install}"
    );
    assert!(install.contains("GITHUB_PATH"), "puts confgate on PATH");
    assert!(install.contains("path)"), "install: path is supported");

    let scan = steps
        .iter()
        .find(|s| s["id"] == "scan")
        .expect("a step with id scan");
    assert!(str_of(&scan["run"], "scan run").contains("action-scan.sh\" scan"));
    for (var, input) in [
        ("INPUT_PATHS", "paths"),
        ("INPUT_FORMAT", "format"),
        ("INPUT_OUTPUT", "output"),
        ("INPUT_FAIL_ON", "fail-on"),
        ("INPUT_ARGS", "args"),
        ("INPUT_CATEGORY", "category"),
        ("INPUT_SUMMARY", "summary"),
    ] {
        assert_eq!(
            scan["env"][var],
            format!("${{{{ inputs.{input} }}}}"),
            "scan step env {var}"
        );
    }
    let last = steps.last().expect("a last step");
    assert!(
        str_of(&last["run"], "gate run").contains("action-scan.sh\" gate"),
        "the gate is the last step"
    );
    assert_eq!(
        last["env"]["SCAN_EXIT_CODE"],
        "${{ steps.scan.outputs.exit-code }}"
    );
    assert!(repo_path("scripts/action-scan.sh").is_file());
}

// ---------------------------------------------------------------------------------------
// examples/github

#[test]
fn workflow_examples_parse_and_every_run_step_is_strict() {
    for file in WORKFLOWS {
        let wf = yaml_file(file);
        assert!(wf["name"].is_string(), "{file}: name");
        assert!(!wf["on"].is_null(), "{file}: on");
        for (_, step) in workflow_steps(&wf) {
            assert_strict_run_step(file, &step);
            assert!(
                step["uses"].is_string() || step["run"].is_string(),
                "{file}: a step uses an action or runs a script: {step}"
            );
        }
    }
}

#[test]
fn code_scanning_uploads_each_scan_under_its_own_category() {
    let file = "examples/github/code-scanning.yml";
    let wf = yaml_file(file);
    let steps = workflow_steps(&wf);
    let uploads = steps_using(&steps, "github/codeql-action/upload-sarif");
    assert!(uploads.len() >= 2, "{file}: two scans uploaded");
    let mut categories = BTreeSet::new();
    for (job, upload) in &uploads {
        assert!(
            str_of(&upload["uses"], "uses").ends_with("@v3"),
            "upload-sarif@v3"
        );
        assert_eq!(
            permission(&wf, job, "security-events").as_deref(),
            Some("write"),
            "{file}: job {job} may upload"
        );
        assert_eq!(
            permission(&wf, job, "contents").as_deref(),
            Some("read"),
            "{file}: job {job} reads contents"
        );
        let category = str_of(&upload["with"]["category"], "category").to_owned();
        let sarif = str_of(&upload["with"]["sarif_file"], "sarif_file").to_owned();
        assert!(
            categories.insert(category.clone()),
            "{file}: category {category} is used twice"
        );
        // confgate's SARIF has automationDetails.id, which upload-sarif's category does not
        // override: the scan that writes this file must set the same category itself.
        let by_action = confgate_action_steps(&steps)
            .into_iter()
            .find(|(_, s)| s["with"]["output"] == sarif.as_str());
        let by_run = run_texts(&steps)
            .into_iter()
            .find(|r| r.contains(&format!("--output {sarif}")));
        match (by_action, by_run) {
            (Some((_, s)), _) => assert_eq!(
                s["with"]["category"], category,
                "{file}: the action writing {sarif} sets category {category}"
            ),
            (None, Some(run)) => assert!(
                run.contains(&format!("--sarif-category {category}")),
                "{file}: the scan writing {sarif} sets --sarif-category {category}:\n{run}"
            ),
            (None, None) => panic!("{file}: no step writes {sarif}"),
        }
    }
    assert!(categories.contains("confgate-manifests") && categories.contains("confgate-helm"));
    let runs = run_texts(&steps).join("\n");
    assert!(
        runs.contains("helm template") && runs.contains("| confgate scan - --stdin-filename"),
        "{file}: rendered Helm piped into confgate"
    );
}

#[test]
fn pull_request_annotations_use_github_and_markdown_formats() {
    let file = "examples/github/pull-request-annotations.yml";
    let wf = yaml_file(file);
    let steps = workflow_steps(&wf);
    let runs = run_texts(&steps).join("\n");
    assert!(runs.contains("--format github"), "{file}: annotations");
    assert!(
        runs.contains("--format markdown") && runs.contains(r#">> "$GITHUB_STEP_SUMMARY""#),
        "{file}: Markdown summary"
    );
    assert!(
        steps_using(&steps, "github/codeql-action/upload-sarif").is_empty(),
        "{file} is for repositories without code scanning"
    );
    let with_action = confgate_action_steps(&steps);
    assert!(
        with_action
            .iter()
            .any(|(_, s)| s["with"]["format"] == "github" && s["with"]["output"] == ""),
        "{file}: the action variant prints annotations to the log"
    );
}

#[test]
fn sharded_workflow_merges_shard_reports_and_uploads_once() {
    let file = "examples/github/sharded-scan.yml";
    let wf = yaml_file(file);
    let shards = wf["jobs"]["scan"]["strategy"]["matrix"]["shard"]
        .as_array()
        .expect("scan job has a shard matrix");
    assert_eq!(shards.len(), 4, "{file}: 4 shards");
    let steps = workflow_steps(&wf);
    let scan_steps: Vec<(String, Value)> =
        steps.iter().filter(|(j, _)| j == "scan").cloned().collect();
    let merge_steps: Vec<(String, Value)> = steps
        .iter()
        .filter(|(j, _)| j == "merge")
        .cloned()
        .collect();
    let scan_runs = run_texts(&scan_steps).join("\n");
    assert!(
        scan_runs.contains(r#"--shard "$SHARD/4""#),
        "{file}: scans --shard I/4"
    );
    assert_eq!(
        scan_steps
            .iter()
            .find(|(_, s)| s["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("Scan shard")))
            .map(|(_, s)| s["env"]["SHARD"].clone()),
        Some(Value::from("${{ matrix.shard }}"))
    );
    assert!(!steps_using(&scan_steps, "actions/upload-artifact").is_empty());
    assert_eq!(wf["jobs"]["merge"]["needs"], "scan");
    assert!(!steps_using(&merge_steps, "actions/download-artifact").is_empty());
    let merge_runs = run_texts(&merge_steps).join("\n");
    assert!(
        merge_runs.contains("confgate report merge") && merge_runs.contains("--format sarif"),
        "{file}: merges into SARIF"
    );
    assert_eq!(
        steps_using(&steps, "github/codeql-action/upload-sarif").len(),
        1,
        "{file}: one upload"
    );
    assert_eq!(
        steps_using(&merge_steps, "github/codeql-action/upload-sarif").len(),
        1,
        "{file}: the upload is in the merge job"
    );
    assert_eq!(
        permission(&wf, "merge", "security-events").as_deref(),
        Some("write")
    );
}

// ---------------------------------------------------------------------------------------
// scripts/action-scan.sh, run like GitHub runs it

/// Scratch files of one action run: the outputs and summary files GitHub would provide.
struct ActionRun {
    _dir: tempfile::TempDir,
    dir: PathBuf,
}

/// What one script run produced.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
    summary: String,
}

impl ActionRun {
    fn new() -> ActionRun {
        let d = tempfile::Builder::new()
            .prefix("confgate-action-")
            .tempdir()
            .expect("temp dir");
        let dir = d.path().canonicalize().expect("canonical temp dir");
        ActionRun { _dir: d, dir }
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    /// `bash scripts/action-scan.sh MODE` in `cwd` with `env` (INPUT_* and the like).
    fn run(&self, mode: &str, cwd: &Path, env: &[(&str, &str)]) -> Ran {
        let out_file = self.dir.join("github-output");
        let summary_file = self.dir.join("step-summary");
        std::fs::write(&out_file, "").expect("reset outputs");
        std::fs::write(&summary_file, "").expect("reset summary");
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_confgate"))
            .parent()
            .expect("binary dir");
        let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .expect("PATH");
        let mut cmd = Command::new("bash");
        cmd.arg(repo_path("scripts/action-scan.sh"))
            .arg(mode)
            .current_dir(cwd);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("CONFGATE_") || k.starts_with("INPUT_") || k.starts_with("GITHUB_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("PATH", path)
            .env("GITHUB_OUTPUT", &out_file)
            .env("GITHUB_STEP_SUMMARY", &summary_file)
            .env("CONFGATE_CONFIG", repo_path(ISOLATED_CONFIG))
            .env("NO_COLOR", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run bash");
        let outputs = std::fs::read_to_string(&out_file)
            .expect("read outputs")
            .lines()
            .map(|l| {
                let (k, v) = l
                    .split_once('=')
                    .unwrap_or_else(|| panic!("bad output line {l:?}"));
                (k.to_owned(), v.to_owned())
            })
            .collect();
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            outputs,
            summary: std::fs::read_to_string(&summary_file).expect("read summary"),
        }
    }
}

impl Ran {
    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "script exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("no output {name}: {:?}", self.outputs))
    }
}

/// `confgate scan ARGS --format json` in the repository: the report, for comparison.
fn json_scan(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_confgate"))
        .current_dir(repo_path(""))
        .env("CONFGATE_CONFIG", repo_path(ISOLATED_CONFIG))
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run confgate");
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

#[test]
fn action_script_scans_the_example_like_github_does() {
    let a = ActionRun::new();
    let sarif = a.dir.join("out/confgate.sarif");
    let sarif_s = sarif.to_str().expect("utf-8 path");
    let ran = a.run(
        "scan",
        &repo_path(""),
        &[
            ("INPUT_PATHS", EXAMPLE),
            ("INPUT_OUTPUT", sarif_s),
            ("INPUT_CATEGORY", "confgate-manifests"),
        ],
    );
    ran.expect_code(0);

    // The example has critical findings: exit code 1, and the count of a JSON scan.
    assert_eq!(ran.output("exit-code"), "1");
    let expected = json_scan(&[EXAMPLE])["summary"]["findings"]
        .as_u64()
        .expect("summary.findings");
    assert!(expected > 0);
    assert_eq!(ran.output("findings"), expected.to_string());
    assert_eq!(ran.output("report"), sarif_s);

    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).expect("SARIF written"))
        .expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["automationDetails"]["id"], "confgate-manifests/");
    assert!(runs[0]["results"].as_array().is_some_and(|r| !r.is_empty()));

    assert!(ran.summary.starts_with("## confgate"), "{}", ran.summary);
    assert!(ran.summary.contains("CG1001"), "{}", ran.summary);
    assert!(ran.stdout.contains("::group::confgate summary"));

    // Gate: exit 1 fails the step unless fail-on is none; exit 2 always fails.
    let code = |exit: &str, fail_on: &str| {
        a.run(
            "gate",
            &a.dir,
            &[("SCAN_EXIT_CODE", exit), ("INPUT_FAIL_ON", fail_on)],
        )
    };
    let failed = code("1", "high");
    failed.expect_code(1);
    assert!(failed.stderr.contains("::error"), "{}", failed.stderr);
    code("1", "none").expect_code(0);
    code("0", "high").expect_code(0);
    code("2", "none").expect_code(2);
    code("", "high").expect_code(2);
}

#[test]
fn action_script_defaults_json_reuse_fail_on_and_errors() {
    let a = ActionRun::new();
    a.write("deploy/bad.yaml", &read_repo(FAIL_FIXTURE));
    a.write("deploy/good.yaml", &read_repo(PASS_FIXTURE));
    let select = ("INPUT_ARGS", "--select CG1001");

    // Defaults: scan ".", SARIF to confgate.sarif relative to the working directory.
    let ran = a.run("scan", &a.dir, &[select]);
    ran.expect_code(0);
    assert_eq!(ran.output("exit-code"), "1");
    assert_eq!(ran.output("findings"), "1");
    let report = a.dir.join("confgate.sarif");
    assert_eq!(ran.output("report"), report.to_str().expect("utf-8"));
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("SARIF");
    assert_eq!(log["runs"][0]["automationDetails"]["id"], "confgate/scan/");
    assert!(ran.stdout.contains("--fail-on high"), "{}", ran.stdout);

    // JSON report: its own count is the output; paths separated by newlines; a higher gate.
    let ran = a.run(
        "scan",
        &a.dir,
        &[
            select,
            ("INPUT_PATHS", "deploy/bad.yaml\ndeploy/good.yaml"),
            ("INPUT_FORMAT", "json"),
            ("INPUT_OUTPUT", "reports/confgate.json"),
            ("INPUT_FAIL_ON", "critical"),
            ("INPUT_SUMMARY", "false"),
        ],
    );
    ran.expect_code(0);
    assert_eq!(ran.output("exit-code"), "1", "CG1001 is critical");
    assert_eq!(ran.output("findings"), "1");
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(a.dir.join("reports/confgate.json")).expect("JSON report"),
    )
    .expect("JSON");
    assert_eq!(json["summary"]["files"], 2);
    assert!(ran.summary.is_empty(), "summary: false");

    // fail-on none: no --fail-on flag (the default gate still sets the exit code).
    let ran = a.run(
        "scan",
        &a.dir,
        &[
            select,
            ("INPUT_PATHS", "deploy/good.yaml"),
            ("INPUT_FAIL_ON", "none"),
        ],
    );
    ran.expect_code(0);
    assert_eq!(ran.output("exit-code"), "0");
    assert_eq!(ran.output("findings"), "0");
    assert!(!ran.stdout.contains("--fail-on"), "{}", ran.stdout);

    // Annotations to the log: format github, empty output.
    let ran = a.run(
        "scan",
        &a.dir,
        &[
            select,
            ("INPUT_PATHS", "deploy"),
            ("INPUT_FORMAT", "github"),
            ("INPUT_OUTPUT", ""),
        ],
    );
    ran.expect_code(0);
    assert!(
        ran.stdout.contains("::error file=deploy/bad.yaml,line="),
        "{}",
        ran.stdout
    );
    assert_eq!(ran.output("report"), "");

    // An unreadable input: exit code 2, no count, an error summary; the gate fails.
    let ran = a.run("scan", &a.dir, &[select, ("INPUT_PATHS", "missing")]);
    ran.expect_code(0);
    assert_eq!(ran.output("exit-code"), "2");
    assert!(ran.summary.contains("confgate"), "{}", ran.summary);

    // A bad input value is an error of the step itself.
    let ran = a.run("scan", &a.dir, &[("INPUT_FAIL_ON", "sometimes")]);
    ran.expect_code(2);
    assert!(ran.stderr.contains("fail-on must be"), "{}", ran.stderr);
}
