//! Fuzzing on stable Rust, inside `cargo test`: property tests (proptest) that feed the
//! parsers of untrusted input arbitrary text and mutations of a checked-in seed corpus
//! (`tests/fuzz-seeds/`), and require that they never panic or abort and that their errors
//! are well-formed.
//!
//! Targets: the YAML loader (`source::yaml::parse_all`), `confgate.toml` (`read_config` and
//! the resolution of scan, validate and generate settings), waiver files
//! (`waiver::read_waiver_file`) and conftest policy loading (`CustomPolicies::load`, which
//! hands the text to regorus) and, with the `cluster` feature, the admission webhook's
//! AdmissionReview decoder (`webhook::parse`). Runs are deterministic (a fixed seed) and bounded so that
//! the whole file stays well under 30 s in a debug build. To fuzz longer or elsewhere:
//! `CONFGATE_FUZZ_CASES=5000 CONFGATE_FUZZ_SEED=7 cargo test --test fuzz --release`.
//! A failure prints the input; pin it as a regression test (or a seed) before fixing it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// `cases` (scaled by `CONFGATE_FUZZ_CASES` when set), a fixed seed unless
/// `CONFGATE_FUZZ_SEED` says otherwise, no shrinking marathon.
fn config(cases: u32) -> Config {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    Config {
        cases: env("CONFGATE_FUZZ_CASES").map_or(cases, |c| c as u32),
        rng_seed: RngSeed::Fixed(env("CONFGATE_FUZZ_SEED").unwrap_or(0x00c0_ffee)),
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    }
}

fn seeds(kind: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-seeds")
        .join(kind);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("seed directory")
        .map(|e| e.expect("seed entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).expect("seed file"))
        .collect()
}

/// One edit of a seed: where (taken modulo the length), what, and a token of the format.
#[derive(Clone, Debug)]
enum Edit {
    Insert(usize, Vec<u8>),
    InsertToken(usize, usize),
    Delete(usize, usize),
    Replace(usize, u8),
    Duplicate(usize, usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(p, b)| Edit::Insert(p, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(p, t)| Edit::InsertToken(p, t)),
        (any::<usize>(), 1usize..40).prop_map(|(p, n)| Edit::Delete(p, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Replace(p, b)),
        (any::<usize>(), 1usize..80, any::<usize>())
            .prop_map(|(p, n, at)| Edit::Duplicate(p, n, at)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// A seed (chosen by index) with a few edits applied, as text.
fn mutated(seeds: Vec<Vec<u8>>, tokens: &'static [&'static str]) -> impl Strategy<Value = String> {
    mutated_bytes(seeds, tokens).prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A seed (chosen by index) with a few edits applied, as bytes (invalid UTF-8 included).
fn mutated_bytes(
    seeds: Vec<Vec<u8>>,
    tokens: &'static [&'static str],
) -> impl Strategy<Value = Vec<u8>> {
    (any::<usize>(), prop::collection::vec(edit(), 0..8)).prop_map(move |(i, edits)| {
        let mut b = seeds[i % seeds.len()].clone();
        for e in edits {
            let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
            match e {
                Edit::Insert(p, bytes) => {
                    let p = at(p, b.len());
                    b.splice(p..p, bytes);
                }
                Edit::InsertToken(p, t) => {
                    let p = at(p, b.len());
                    b.splice(p..p, tokens[t % tokens.len()].bytes());
                }
                Edit::Delete(p, n) => {
                    let p = at(p, b.len());
                    let end = (p + n).min(b.len());
                    b.drain(p..end);
                }
                Edit::Replace(p, byte) => {
                    if !b.is_empty() {
                        let p = p % b.len();
                        b[p] = byte;
                    }
                }
                Edit::Duplicate(p, n, to) => {
                    let p = at(p, b.len());
                    let end = (p + n).min(b.len());
                    let piece = b[p..end].to_vec();
                    let to = at(to, b.len());
                    b.splice(to..to, piece);
                }
                Edit::Truncate(p) => {
                    let p = at(p, b.len());
                    b.truncate(p);
                }
            }
        }
        b
    })
}

const YAML_TOKENS: &[&str] = &[
    "\n",
    "\n  ",
    "\n- ",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "<<: *a\n",
    "---\n",
    "...\n",
    "\t",
    "!!binary ",
    "!tag ",
    "? ",
    "\"",
    "'",
    "|\n",
    ">-\n",
    "#",
    "%YAML 1.2\n",
    "\u{feff}",
    "\r\n",
    "kind: Pod\n",
    "apiVersion: v1\n",
    "metadata:\n  name: x\n",
    "~",
    "0x1F",
    "1e999",
    "-.inf",
    "\\u0000",
    "\u{0}",
];

const TOML_TOKENS: &[&str] = &[
    "\n",
    " = ",
    "[",
    "]",
    "{",
    "}",
    "[[waivers]]\n",
    "[generate]\n",
    "[validate]\n",
    "[severity-overrides]\n",
    "\"",
    "'''",
    "policy-timeout = 1e20\n",
    "policy-timeout = -0.0\n",
    "policy-timeout = nan\n",
    "policy-timeout = inf\n",
    "jobs = 18446744073709551615\n",
    "max-file-size = \"99999999999GiB\"\n",
    "max-file-size = 18446744073709551615\n",
    "kube-version = \"1.999999999999\"\n",
    "expires = \"2099-02-30\"\n",
    "1979-05-27T07:32:00Z",
    "#",
    "=",
    ",",
    "true",
    "-9223372036854775808",
];

const WAIVER_TOKENS: &[&str] = &[
    "\n",
    "\n  ",
    "\n  - ",
    ": ",
    "rule: \"*\"\n",
    "rule: \"[\"\n",
    "rule: \"{a,\"\n",
    "expires: \"2099-02-30\"\n",
    "expires: \"99999-01-01\"\n",
    "expires: \"-1--1--1\"\n",
    "expires: 2030-01-01\n",
    "allow-wildcard-critical: yes\n",
    "resource: {kind: \"**\"}\n",
    "[",
    "{",
    "&a ",
    "*a",
    "---\n",
    "\"",
    "'",
    "~",
];

const REGO_TOKENS: &[&str] = &[
    "\n",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    " := ",
    " = ",
    " if ",
    " contains ",
    "some x in ",
    "every x in input { x }",
    " with input as {} ",
    "default ",
    " else := 1 ",
    "import data.lib\n",
    "import rego.v1\n",
    "package x\n",
    "f(x) := f(x)\n",
    "g(x) := h(x)\nh(x) := g(x)\n",
    "numbers.range(1, 3e8)",
    "\"",
    "`",
    "#",
    "input.",
    "data.",
    "deny contains msg if { msg := \"x\" }\n",
    "[x | x := 1]",
    "{x: y | some x, y in input}",
    "not ",
    "walk(input, [p, v])",
    "1e400",
];

fn check_yaml(text: &str) {
    let (docs, errors) = confgate::source::yaml::parse_all(text);
    for e in &errors {
        assert!(
            e.line_number().is_some_and(|l| l >= 1),
            "an error without a line ≥ 1: {e:?}"
        );
        assert!(!e.message.is_empty(), "{e:?}");
    }
    for d in &docs {
        assert!(d.start_line >= 1 || text.trim().is_empty(), "doc line 0");
        let _ = d.root.to_json();
    }
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn yaml_loader_survives_arbitrary_text(text in "\\PC{0,200}") {
        check_yaml(&text);
    }

    #[test]
    fn yaml_loader_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check_yaml(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn yaml_loader_survives_mutated_manifests(text in mutated(seeds("yaml"), YAML_TOKENS)) {
        check_yaml(&text);
    }
}

/// Reads `text` as `confgate.toml` and resolves every command's settings from it.
fn check_settings(text: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("confgate.toml");
    std::fs::write(&path, text).expect("write settings");
    let Ok(file) = confgate::settings::read_config(&path) else {
        return;
    };
    let settings = confgate::settings::Settings::from_file(file, dir.path(), dir.path());
    let _ = settings.scan(&confgate::settings::ScanFlags::default());
    let _ = settings.validate(&confgate::settings::ValidateFlags::default());
    let _ = settings.generate(&confgate::settings::GenerateFlags::default());
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn settings_survive_arbitrary_text(text in "\\PC{0,120}") {
        check_settings(&text);
    }

    #[test]
    fn settings_survive_mutated_files(text in mutated(seeds("toml"), TOML_TOKENS)) {
        check_settings(&text);
    }

    #[test]
    fn settings_survive_any_policy_timeout(secs in any::<f64>()) {
        check_settings(&format!("policy-timeout = {secs:?}\n"));
    }
}

fn check_waivers(text: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("confgate-waivers.yaml");
    std::fs::write(&path, text).expect("write waivers");
    if let Ok(waivers) = confgate::waiver::read_waiver_file(&path) {
        for w in &waivers {
            let today = confgate::waiver::today();
            let _ = (w.expired(today), w.days_left(today), w.is_wildcard());
        }
    }
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn waiver_files_survive_arbitrary_text(text in "\\PC{0,160}") {
        check_waivers(&text);
    }

    #[test]
    fn waiver_files_survive_mutations(text in mutated(seeds("waivers"), WAIVER_TOKENS)) {
        check_waivers(&text);
    }
}

fn check_policy(text: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("policy.rego"), text).expect("write policy");
    let opts = confgate::engine::custom::CustomOptions {
        base_dir: dir.path().to_path_buf(),
        policy_paths: vec![PathBuf::from(".")],
        all_namespaces: true,
        timeout: std::time::Duration::from_millis(200),
        ..Default::default()
    };
    match confgate::engine::custom::CustomPolicies::load(&opts, dir.path()) {
        Err(e) => assert!(!e.message.contains('\n'), "a load error is one line: {e:?}"),
        // What loads is evaluated too: runtime failures must stay per-document errors.
        Ok(policies) => {
            let (doc, input) = pod();
            let (_, errors) = policies.evaluate(
                &[(&doc, &input)],
                &[&doc],
                &confgate::engine::EngineValue::from_json(serde_json::json!({})),
            );
            for e in errors {
                assert!(
                    !e.message.contains('\n'),
                    "an eval error is one line: {e:?}"
                );
            }
        }
    }
}

/// A small Pod as a scanned document and as policy input.
fn pod() -> (confgate::document::Document, confgate::engine::EngineValue) {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  replicas: 2\n  containers:\n    - name: app\n      image: nginx:1.25\n";
    let (docs, _) = confgate::source::yaml::parse_all(text);
    let root = docs.into_iter().next().expect("one document").root;
    let input = confgate::engine::EngineValue::from_json(root.to_json());
    let file = std::sync::Arc::new(confgate::document::SourceFile {
        path: "pod.yaml".to_string(),
        text: text.to_string(),
        live: false,
    });
    let doc = confgate::document::Document::from_tree(file, 0, None, root, None).expect("a Pod");
    (doc, input)
}

/// Whole rules, hostile ones among them, for policies composed from pieces.
const REGO_RULES: &[&str] = &[
    "deny contains msg if { input.kind == \"Pod\"; msg := \"pod\" }\n",
    "deny contains msg if { some c in input.spec.containers; msg := c.name }\n",
    "warn contains msg if { msg := sprintf(\"%v\", [input.spec.replicas]) }\n",
    "f(x) := y if { y := f(x) }\ndeny contains msg if { f(1) == 2; msg := \"f\" }\n",
    "a(x) := b(x)\nb(x) := a(x)\n",
    "r if { r }\ndeny contains msg if { r; msg := \"r\" }\n",
    "deny contains msg if { input.kind == \"Pod\"; count(numbers.range(1, 3e8)) > 0; msg := \"big\" }\n",
    "deny contains msg if { xs := numbers.range_step(0, 1e15, 1); msg := \"step\" }\n",
    "deny contains msg if { x := [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]; msg := \"deep\" }\n",
    "deny contains msg if { walk(input, [p, v]); msg := concat(\".\", [sprintf(\"%v\", [q]) | some q in p]) }\n",
    "deny contains msg if { input.spec.replicas / 0 > 1; msg := \"div\" }\n",
    "deny contains msg if { every c in input.spec.containers { c.image }; msg := \"every\" }\n",
    "default allow := false\nallow if input.x\n",
    "exception contains rules if { rules := [\"\"] }\n",
    "deny contains msg if { regex.match(\"(a+)+$\", \"aaaaaaaaaaaaaaaaaaaaaaaa!\"); msg := \"re\" }\n",
    "deny contains msg if { x := units.parse(input.spec.replicas); msg := \"u\" }\n",
    "deny contains msg if { s := strings.replace_n({\"a\": \"aa\"}, \"aaaaaaaa\"); msg := s }\n",
];

fn composed() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<usize>(), 1..5).prop_map(|picks| {
        let mut text = "package main\n\n".to_string();
        for p in picks {
            text.push_str(REGO_RULES[p % REGO_RULES.len()]);
        }
        text
    })
}

proptest! {
    #![proptest_config(config(60))]

    #[test]
    fn conftest_policies_composed_of_hostile_rules_end_in_errors(text in composed()) {
        check_policy(&text);
    }

    #[test]
    fn conftest_policy_loading_survives_mutated_policies(text in mutated(seeds("rego"), REGO_TOKENS)) {
        check_policy(&text);
    }
}

#[cfg(feature = "cluster")]
const ADMISSION_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "null",
    "true",
    "-0",
    "1e999",
    "18446744073709551616",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"uid\": \"\"",
    "\"uid\": 7",
    "\"operation\": \"CONNECT\"",
    "\"operation\": \"PATCH\"",
    "\"dryRun\": \"yes\"",
    "\"object\": []",
    "\"oldObject\": \"x\"",
    "\"metadata\": {\"name\": 1}",
    "\"apiVersion\": \"admission.k8s.io/v1beta1\"",
    "\"kind\": {\"group\": null}",
    "\"request\": null",
    "\u{feff}",
    "\n",
];

/// Decodes `body` as the webhook does; never panics, and every refusal is one line.
#[cfg(feature = "cluster")]
fn check_admission(body: &[u8]) {
    match confgate::webhook::parse(body) {
        Ok(req) => assert!(!req.uid.is_empty(), "a request without a uid was accepted"),
        Err(confgate::webhook::BadRequest(message)) => {
            assert!(!message.is_empty());
            assert!(
                !message.contains('\n') && !message.contains('\r'),
                "an error of more than one line: {message:?}"
            );
        }
    }
}

#[cfg(feature = "cluster")]
#[test]
fn admission_seeds_are_valid_reviews() {
    let seeds = seeds("admission");
    assert_eq!(seeds.len(), 4);
    for s in &seeds {
        assert!(
            confgate::webhook::parse(s).is_ok(),
            "{}",
            String::from_utf8_lossy(s)
        );
    }
}

#[cfg(feature = "cluster")]
proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn admission_review_decoder_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_admission(&bytes);
    }

    #[test]
    fn admission_review_decoder_survives_mutated_reviews(bytes in mutated_bytes(seeds("admission"), ADMISSION_TOKENS)) {
        check_admission(&bytes);
    }
}
