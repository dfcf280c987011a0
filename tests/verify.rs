//! `confgate policy verify`: Gatekeeper test suites run like `gator verify` — one line per
//! case, a closing count, exit 1 when a case fails and exit 2 for a malformed suite,
//! template or constraint (one line naming the file and line).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;

const FIXTURES: &str = "tests/fixtures/custom";

fn verify(args: &[&str]) -> Run {
    let mut all = vec!["policy", "verify"];
    all.extend_from_slice(args);
    run_in_repo(&all)
}

fn fixture(rel: &str) -> String {
    format!("{FIXTURES}/{rel}")
}

/// Exit 2 with one `confgate: error: FILE:LINE: …` line on stderr; returns it.
fn malformed(r: &Run, file_line: &str) -> String {
    r.expect_code(2);
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
fn a_passing_suite_reports_every_case_and_exits_0() {
    let r = verify(&[&fixture("suites/passing")]);
    r.expect_code(0);
    let suite = fixture("suites/passing/suite.yaml");
    let lines: Vec<&str> = r.stdout.lines().collect();
    let expected = [
        "PASS {s} › required-labels › owned",
        "PASS {s} › required-labels › unowned",
        "PASS {s} › required-labels › excluded-namespace",
        "PASS {s} › team-label-in-prod › prod-namespace",
        "PASS {s} › team-label-in-prod › namespace-not-in-inventory",
        "PASS {s} › allowed-repos › trusted",
        "PASS {s} › allowed-repos › public-registry",
        "PASS {s} › unique-ingress-host › host-taken",
        "PASS {s} › unique-ingress-host › host-free",
        "PASS {s} › container-limits › no-limit",
        "SKIP {s} › container-limits › not-matched-by-name",
        "SKIP {s} › not-ready-yet › someday",
        "10 passed, 0 failed, 2 skipped",
    ];
    let expected: Vec<String> = expected.iter().map(|l| l.replace("{s}", &suite)).collect();
    assert_eq!(lines, expected, "{}", r.stdout);
}

#[test]
fn failing_cases_say_why_and_exit_1() {
    let r = verify(&[&fixture("suites/failing/suite.yaml")]);
    r.expect_code(1);
    let suite = fixture("suites/failing/suite.yaml");
    let line = |case: &str| {
        r.stdout
            .lines()
            .find(|l| l.contains(&format!("› {case}")))
            .unwrap_or_else(|| panic!("a line for {case}:\n{}", r.stdout))
            .to_string()
    };
    assert!(
        line("expects-none-but-one").starts_with(&format!(
            "FAIL {suite} › required-labels › expects-none-but-one: got 1 violation, want none"
        )),
        "{}",
        r.stdout
    );
    assert!(
        line("expects-a-violation-on-a-clean-object")
            .ends_with("got 0 violations, want at least 1")
    );
    assert!(line("wrong-count").contains("got 1 violation, want exactly 2"));
    assert!(
        line("message-does-not-match")
            .contains("got 0 violations matching /missing required labels: team/, want at least 1")
    );
    assert!(line("holds").starts_with("PASS "));
    assert_eq!(r.stdout.lines().last(), Some("1 passed, 4 failed"));
}

#[test]
fn directories_are_searched_for_suites() {
    let r = verify(&[&fixture("suites")]);
    r.expect_code(1);
    assert_eq!(
        r.stdout.lines().last(),
        Some("16 passed, 4 failed, 2 skipped")
    );
}

#[test]
fn admission_reviews_give_update_and_delete_requests_with_their_user() {
    let r = verify(&[&fixture("suites/admission")]);
    let suite = fixture("suites/admission/suite.yaml");
    let expected: Vec<String> = [
        "PASS {s} › frozen-owner › relabel-by-a-developer",
        "PASS {s} › frozen-owner › matched-by-the-request-kind",
        "PASS {s} › frozen-owner › relabel-by-an-owner",
        "PASS {s} › frozen-owner › delete-by-a-developer",
        "PASS {s} › frozen-owner › a-plain-object-is-a-create",
        "5 passed, 0 failed",
    ]
    .iter()
    .map(|l| l.replace("{s}", &suite))
    .collect();
    assert_eq!(
        r.stdout.lines().collect::<Vec<_>>(),
        expected,
        "{}",
        r.stderr
    );
    r.expect_code(0);
}

#[test]
fn an_admission_review_without_an_object_is_malformed() {
    let s = Scratch::new();
    let template = repo_path(&fixture("suites/admission/template.yaml"));
    let constraint = repo_path(&fixture("suites/admission/constraint.yaml"));
    s.write(
        "review.yaml",
        "apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest:\n  operation: UPDATE\n",
    );
    s.write(
        "suite.yaml",
        format!(
            "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\ntests:\n  - name: t\n    template: {}\n    constraint: {}\n    cases:\n      - name: empty\n        object: review.yaml\n        assertions:\n          - violations: no\n",
            template.display(),
            constraint.display()
        ),
    );
    let r = s.run(&["policy", "verify", "suite.yaml"]);
    r.expect_code(2);
    assert!(
        r.stderr.contains("neither `object` nor `oldObject`"),
        "{}",
        r.stderr
    );
}

#[test]
fn json_output_lists_cases_with_outcomes() {
    let r = verify(&[&fixture("suites/failing"), "--format", "json"]);
    r.expect_code(1);
    let doc = r.json();
    assert_eq!(doc["passed"], 1);
    assert_eq!(doc["failed"], 4);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    assert_eq!(results[0]["test"], "required-labels");
    assert_eq!(results[0]["case"], "expects-none-but-one");
    assert_eq!(results[0]["outcome"], "fail");
    assert!(results[0]["reason"].as_str().unwrap().contains("want none"));
    assert_eq!(results[4]["outcome"], "pass");
}

#[test]
fn malformed_suites_and_templates_exit_2_with_one_line() {
    let line = malformed(
        &verify(&[&fixture("malformed/suite-bad-assertion")]),
        &fixture("malformed/suite-bad-assertion/suite.yaml:13"),
    );
    assert!(
        line.contains("violations must be yes, no or a count"),
        "{line}"
    );

    let line = malformed(
        &verify(&[&fixture("malformed/suite-missing-object/suite.yaml")]),
        &fixture("malformed/suite-missing-object/suite.yaml:10"),
    );
    assert!(line.contains("does-not-exist.yaml: no such file"), "{line}");

    let line = malformed(
        &verify(&[&fixture("malformed/suite-template-error")]),
        &fixture("malformed/template-syntax/k8sbrokenlabels.yaml:18"),
    );
    assert!(line.contains("expecting"), "{line}");

    let line = malformed(
        &verify(&[&fixture("manifests/shop.yaml")]),
        &fixture("manifests/shop.yaml"),
    );
    assert!(line.contains("not a Gatekeeper test suite"), "{line}");

    let line = malformed(&verify(&[&fixture("manifests")]), &fixture("manifests"));
    assert!(line.contains("no Gatekeeper test suites"), "{line}");

    let r = verify(&[&fixture("nowhere")]);
    malformed(&r, &fixture("nowhere"));
}

#[test]
fn a_suite_with_a_bad_regex_or_no_assertions_is_malformed() {
    let s = Scratch::new();
    let template = repo_path(&fixture("gatekeeper/templates/k8srequiredlabels.yaml"));
    let constraint = repo_path(&fixture("gatekeeper/constraints/must-have-owner.yaml"));
    let object = repo_path(&fixture("suites/passing/samples/owned-deployment.yaml"));
    let suite = |cases: &str| {
        format!(
            "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\ntests:\n  - name: t\n    template: {}\n    constraint: {}\n    cases:\n{cases}",
            template.display(),
            constraint.display()
        )
    };
    s.write(
        "regex.yaml",
        suite(&format!(
            "      - name: c\n        object: {}\n        assertions:\n          - violations: yes\n            message: \"(unclosed\"\n",
            object.display()
        )),
    );
    let line = malformed(&s.run(&["policy", "verify", "regex.yaml"]), "regex.yaml:12");
    assert!(line.contains("not a valid regex"), "{line}");
    s.write(
        "empty.yaml",
        suite(&format!(
            "      - name: c\n        object: {}\n",
            object.display()
        )),
    );
    let line = malformed(&s.run(&["policy", "verify", "empty.yaml"]), "empty.yaml:8");
    assert!(line.contains("no assertions"), "{line}");
}
