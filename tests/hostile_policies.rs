//! Hostile user policies through the real binary: Rego that used to abort confgate (stack
//! overflow on a recursive function, a 7 GB allocation in `numbers.range`), hang it
//! (exponential parsing of nested brackets, a test that never ends) or panic it (a
//! `policy-timeout` of 1e20 seconds) must end in a one-line error naming the file and line,
//! exit 2, or a per-document error in the report.
//!
//! Every run has a wall-clock deadline: a regression fails the test instead of hanging CI.
//! The fixtures live in `tests/fixtures/custom/hostile/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Far above what any of these runs needs (about a second each in a debug build), far
/// below "hung".
const DEADLINE: Duration = Duration::from_secs(60);

/// A scratch directory with the hostile fixtures under `hostile/` and sample manifests.
fn fixtures() -> Scratch {
    let s = Scratch::new();
    for dir in ["hostile", "manifests", "conftest/runtime"] {
        let from = repo_path(&format!("tests/fixtures/custom/{dir}"));
        for entry in walkdir::WalkDir::new(&from) {
            let entry = entry.expect("walk fixtures");
            if entry.file_type().is_file() {
                let rel = entry
                    .path()
                    .strip_prefix(&from)
                    .expect("below the fixtures");
                let bytes = std::fs::read(entry.path()).expect("read fixture");
                s.write(&format!("{dir}/{}", rel.display()), bytes);
            }
        }
    }
    s
}

/// Runs `cmd` to completion, killing it and failing the test after [`DEADLINE`].
fn run_within(mut cmd: Command) -> Run {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start confgate");
    let out = child.stdout.take().expect("stdout");
    let err = child.stderr.take().expect("stderr");
    // Read both pipes while waiting, so that a full pipe cannot block the child.
    fn reader(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    }
    let stdout = reader(out);
    let stderr = reader(err);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for confgate") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("confgate did not finish within {DEADLINE:?}: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// `confgate ARGS` in `s`, isolated from settings files, within the deadline.
fn confgate_in(s: &Scratch, args: &[&str]) -> Run {
    let mut cmd = confgate(s.path());
    cmd.env(
        "CONFGATE_CONFIG",
        repo_path("tests/fixtures/cli/isolated-confgate.toml"),
    );
    cmd.args(args);
    run_within(cmd)
}

/// `scan PATHS --select CG1001 --format json --policy POLICY`.
fn scan_with(s: &Scratch, paths: &str, policy: &str) -> Run {
    confgate_in(
        s,
        &[
            "scan", paths, "--select", "CG1001", "--format", "json", "--policy", policy,
        ],
    )
}

/// Exit 2, nothing on stdout, one `confgate: error: FILE:LINE: …` line; returns it.
fn load_error(r: &Run, file_line: &str) -> String {
    r.expect_code(2);
    assert!(r.stdout.trim().is_empty(), "no report: {}", r.stdout);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one error line:\n{}", r.stderr);
    assert!(
        lines[0].starts_with(&format!("confgate: error: {file_line}: ")),
        "names {file_line}: {}",
        lines[0]
    );
    lines[0].to_string()
}

#[test]
fn regression_self_recursive_function_aborted_with_a_stack_overflow() {
    let s = fixtures();
    let r = scan_with(&s, "manifests", "hostile/recursion");
    let line = load_error(&r, "hostile/recursion/recursive.rego:5");
    assert!(line.contains("recursive function data.main.f"), "{line}");
}

#[test]
fn mutually_recursive_functions_are_a_load_error() {
    let s = fixtures();
    let r = scan_with(&s, "manifests", "hostile/recursion-mutual");
    let line = load_error(&r, "hostile/recursion-mutual/mutual.rego:8");
    assert!(
        line.contains("data.main.even -> data.main.odd -> data.main.even"),
        "{line}"
    );
}

#[test]
fn recursive_function_in_a_constraint_template_names_the_yaml_line() {
    let s = fixtures();
    let r = scan_with(&s, "manifests", "hostile/gatekeeper-recursion");
    load_error(&r, "hostile/gatekeeper-recursion/template.yaml:16");
}

#[test]
fn regression_twenty_nested_brackets_took_minutes_to_parse() {
    let s = fixtures();
    let started = Instant::now();
    let r = scan_with(&s, "manifests", "hostile/nesting");
    let line = load_error(&r, "hostile/nesting/nested.rego:4");
    assert!(line.contains("nested more than 16 levels"), "{line}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "refused quickly"
    );
}

#[test]
fn deeply_nested_rego_in_a_constraint_template_is_refused_at_its_yaml_line() {
    let s = fixtures();
    let r = scan_with(&s, "manifests", "hostile/gatekeeper-nesting");
    load_error(&r, "hostile/gatekeeper-nesting/template.yaml:16");
}

#[test]
fn regression_huge_numbers_range_aborted_on_a_7_gb_allocation() {
    let s = fixtures();
    let r = scan_with(&s, "conftest/runtime/pods.yaml", "hostile/memory");
    r.expect_code(2);
    let report = r.json();
    let errs = errors(&report);
    assert!(!errs.is_empty(), "{report:#}");
    for e in errs {
        assert_eq!(e["code"], "policy-eval", "{e}");
        assert_eq!(e["file"], "conftest/runtime/pods.yaml", "{e}");
        let m = e["message"].as_str().unwrap();
        assert!(
            m.contains("hostile/memory/range.rego:5:") && m.contains("limit of 1000000"),
            "{m}"
        );
    }
}

#[test]
fn policy_test_stops_a_test_that_loops_forever_and_runs_the_others() {
    let s = fixtures();
    let r = confgate_in(
        &s,
        &["policy", "test", "hostile/loop-test", "--timeout", "1"],
    );
    r.expect_code(1);
    let line = |name: &str| {
        r.stdout
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("test_loops_forever").starts_with("ERROR ")
            && line("test_loops_forever").ends_with("stopped after 1s (--timeout)"),
        "{}",
        r.stdout
    );
    assert!(line("test_passes").starts_with("PASS "), "{}", r.stdout);
    assert!(
        line("test_also_passes").starts_with("PASS "),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("2 passed, 1 failed"), "{}", r.stdout);
}

#[test]
fn policy_test_refuses_recursive_functions_and_deep_nesting() {
    let s = fixtures();
    let r = confgate_in(&s, &["policy", "test", "hostile/recursion"]);
    load_error(&r, "hostile/recursion/recursive.rego:5");
    let r = confgate_in(&s, &["policy", "test", "hostile/nesting"]);
    load_error(&r, "hostile/nesting/nested.rego:4");
}

#[test]
fn regression_policy_timeout_1e20_panicked_converting_to_a_duration() {
    let s = fixtures();
    for value in ["1e20", "0", "-1", "NaN", "inf", "3600.5"] {
        let flag = format!("--policy-timeout={value}");
        let r = confgate_in(
            &s,
            &["scan", "manifests", "--policy", "hostile/memory", &flag],
        );
        r.expect_code(2);
        assert!(
            r.stderr
                .contains("policy-timeout must be a positive number of seconds up to 3600"),
            "{value}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    s.write("confgate.toml", "policy-timeout = 1e20\n");
    let mut cmd = confgate(s.path());
    cmd.args(["scan", "manifests", "--select", "CG1001"]);
    let r = run_within(cmd);
    r.expect_code(2);
    assert!(r.stderr.contains("policy-timeout must be"), "{}", r.stderr);
    let r = confgate_in(
        &s,
        &["policy", "test", "hostile/loop-test", "--timeout", "1e20"],
    );
    r.expect_code(2);
    assert!(r.stderr.contains("--timeout must be"), "{}", r.stderr);
}
