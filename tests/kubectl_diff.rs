//! Differential test: confgate's YAML loader against the real kubectl on this machine.
//!
//! A gate that reads a manifest differently from the cluster checks a different object than
//! the one that will run. kubectl decodes YAML exactly as the API server does
//! (sigs.k8s.io/yaml → go-yaml v2), so for every file of `../shared/corpus` and for a set of
//! adversarial variants written here, the documents confgate parses must equal kubectl's
//! client-side reading, or both must reject the file.
//!
//! kubectl is run as `kubectl label --local -f FILE cgprobe- -o json` with an empty
//! kubeconfig: `--local` decodes and prints without discovery or a server (`create
//! --dry-run=client` and `apply --dry-run=client` need the API for the REST mapping even with
//! `--validate=false`), accepts unknown kinds, and removing a label that is not there
//! changes nothing except adding an empty `metadata.labels`, which the comparison ignores.
//! kubectl drops documents without a `kind` (it prints an error and goes on) and expands
//! `*List` documents into their items; the confgate side is filtered the same way.
//!
//! Known, deliberate difference: a duplicate key is an error in confgate (kubectl keeps the
//! last value); such files are counted and skipped, not compared.
//!
//! The test is skipped, with a message, when kubectl or the corpus is absent.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn kubectl_works() -> bool {
    Command::new("kubectl")
        .args(["version", "--client", "-o", "json"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What kubectl made of one file.
struct KubectlReading {
    docs: Vec<Value>,
    /// kubectl refused the YAML itself (as opposed to a document without `kind`).
    yaml_error: Option<String>,
}

fn kubectl_read(file: &Path, kubeconfig: &Path) -> KubectlReading {
    let out = Command::new("kubectl")
        .args(["label", "--local", "-o", "json", "cgprobe-", "-f"])
        .arg(file)
        .env("KUBECONFIG", kubeconfig)
        .output();
    let Ok(out) = out else {
        return KubectlReading {
            docs: Vec::new(),
            yaml_error: Some("kubectl did not run".into()),
        };
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let docs: Vec<Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter::<Value>()
        .map_while(Result::ok)
        .collect();
    // "unable to decode" is a document that is not an object (a scalar, a list, no kind):
    // kubectl reports it and goes on, confgate skips it; neither is a YAML problem.
    let yaml_error = stderr
        .lines()
        .filter(|l| !l.contains("unable to decode"))
        .any(|l| {
            ["error converting YAML to JSON", "yaml: ", "error parsing"]
                .iter()
                .any(|m| l.contains(m))
        })
        .then_some(stderr);
    KubectlReading { docs, yaml_error }
}

/// Drops what `label --local` adds (an empty `labels`, and `metadata` made to hold it).
fn normalise(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        let remove_meta = match o.get_mut("metadata") {
            Some(Value::Object(m)) => {
                if m.get("labels")
                    .is_some_and(|l| l.is_null() || l == &Value::Object(Default::default()))
                {
                    m.remove("labels");
                }
                m.is_empty()
            }
            Some(Value::Null) => true,
            _ => false,
        };
        if remove_meta {
            o.remove("metadata");
        }
    }
    numbers_as_floats(v)
}

/// kubectl prints integral floats as integers and large integers as floats: compare numbers
/// by value.
fn numbers_as_floats(v: Value) -> Value {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Number(n), Value::Number),
        Value::Array(a) => Value::Array(a.into_iter().map(numbers_as_floats).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, numbers_as_floats(v)))
                .collect(),
        ),
        other => other,
    }
}

/// The documents kubectl would print, from confgate's reading.
fn as_kubectl_prints(docs: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for d in docs {
        let kind = d.get("kind").and_then(Value::as_str).unwrap_or_default();
        if kind.is_empty() {
            continue;
        }
        match d.get("items") {
            Some(Value::Array(items)) if kind.ends_with("List") => {
                out.extend(
                    items
                        .iter()
                        .filter(|i| {
                            i.get("kind")
                                .and_then(Value::as_str)
                                .is_some_and(|k| !k.is_empty())
                        })
                        .cloned(),
                );
            }
            _ => out.push(d),
        }
    }
    out
}

fn confgate_read(file: &Path) -> Result<Vec<Value>, confgate::diag::Diagnostic> {
    let bytes = std::fs::read(file).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    confgate::source::yaml::to_json_documents(text)
}

#[derive(Default)]
struct Tally {
    compared: usize,
    both_rejected: usize,
    duplicate_keys: usize,
    mismatches: Vec<String>,
}

fn check(file: &Path, kubeconfig: &Path, tally: &mut Tally) {
    let k = kubectl_read(file, kubeconfig);
    let c = confgate_read(file);
    match (c, &k.yaml_error) {
        (Err(e), _) if e.code == confgate::diag::Code::DuplicateKey => tally.duplicate_keys += 1,
        (Err(_), Some(_)) => tally.both_rejected += 1,
        (Err(e), None) => tally.mismatches.push(format!(
            "{}: confgate rejects ({}: {}), kubectl accepts",
            file.display(),
            e.line_number().unwrap_or(0),
            e.message
        )),
        (Ok(_), Some(err)) => tally.mismatches.push(format!(
            "{}: kubectl rejects ({}), confgate accepts",
            file.display(),
            err.trim()
        )),
        (Ok(docs), None) => {
            let ours: Vec<Value> = as_kubectl_prints(docs).into_iter().map(normalise).collect();
            let theirs: Vec<Value> = k.docs.into_iter().map(normalise).collect();
            if ours == theirs {
                tally.compared += 1;
            } else {
                tally.mismatches.push(format!(
                    "{}: documents differ\n  confgate: {}\n  kubectl:  {}",
                    file.display(),
                    Value::Array(ours),
                    Value::Array(theirs)
                ));
            }
        }
    }
}

fn run(files: Vec<PathBuf>, kubeconfig: &Path) -> Tally {
    let threads = 2;
    let chunks: Vec<Vec<PathBuf>> = (0..threads)
        .map(|t| files.iter().skip(t).step_by(threads).cloned().collect())
        .collect();
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                s.spawn(move || {
                    let mut t = Tally::default();
                    for f in chunk {
                        check(f, kubeconfig, &mut t);
                    }
                    t
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut all = Tally::default();
    for t in tallies {
        all.compared += t.compared;
        all.both_rejected += t.both_rejected;
        all.duplicate_keys += t.duplicate_keys;
        all.mismatches.extend(t.mismatches);
    }
    all
}

fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

const HEAD: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";

/// Adversarial variants: each class of YAML 1.1/1.2 difference, as its own file.
fn variants() -> Vec<(&'static str, String)> {
    let with = |body: &str| format!("{HEAD}{body}");
    let mut v: Vec<(&'static str, String)> = vec![
        ("bools", with("spec:\n  a: yes\n  b: Yes\n  c: YES\n  d: on\n  e: On\n  f: ON\n  g: y\n  h: Y\n  i: no\n  j: No\n  k: NO\n  l: off\n  m: Off\n  n2: OFF\n  o: n\n  p: N\n  q: yEs\n  r: True\n  s: FALSE\n  t: 'yes'\n  u: \"no\"\n")),
        ("ints", with("spec:\n  a: 0b1010\n  b: -0b1010\n  c: 017\n  d: 0o17\n  e: 08\n  f: 0_17\n  g: 0x1F\n  h: -0x1F\n  i: 0x_1F\n  j: 1_000\n  k: 0_0\n  l: _1\n  m: 00\n  n2: +0x1F\n  o: 0B11\n  p: 1__0\n  q: 9223372036854775807\n  r: 9223372036854775808\n  s: -9223372036854775808\n  t: 18446744073709551616\n  u: 0x\n  v: 0777\n")),
        ("floats", with("spec:\n  a: 1e3\n  b: 1.0e+3\n  c: .5\n  d: 1.\n  e: +1\n  f: 6.8523015e+5\n  g: 1_000.5\n  h: 1e400\n  i: 1e-400\n  j: -.5e2\n  k: .5_0\n  l: 1e21\n  m: 1.5e20\n  n2: 1e\n  o: 1.2.3\n  p: -0\n  q: 0.\n")),
        ("sexagesimal", with("spec:\n  a: 190:20:30\n  b: 190:20:30.15\n  c: 1:20\n  d: 2001-12-14\n  e: 2001-12-14t21:59:43.10-05:00\n")),
        ("nulls", with("spec:\n  a: ~\n  b: null\n  c: Null\n  d: NULL\n  e:\n  f: nULL\n  g: ''\n")),
        ("inf", with("spec:\n  a: .inf\n")),
        ("neg-inf", with("spec:\n  a: -.Inf\n")),
        ("nan", with("spec:\n  a: .NaN\n")),
        ("nan-lookalike", with("spec:\n  a: .Nan\n  b: nan\n  c: Infinity\n")),
        ("keys", with("spec:\n  yes: 1\n  off: 2\n  1e3: 3\n  0x1F: 4\n  1.5: 5\n  1e21: 6\n  2.0: 7\n  1e-7: 8\n  0.1: 9\n  123456789.5: 10\n  017: 11\n  null2: 12\n")),
        ("null-key", with("spec:\n  ~: 1\n")),
        ("empty-key", with("spec:\n  : 1\n")),
        ("explicit-null-key", with("spec:\n  ? \n  : 1\n")),
        ("anchors", with("spec:\n  base: &b {p: 1, q: yes}\n  copy: *b\n  list: &l [1, on, '2']\n  again: *l\n  scalar: &s 0x10\n  s2: *s\n")),
        ("merge", with("spec:\n  base: &b {p: 1, q: 2}\n  m1:\n    <<: *b\n    q: 3\n  m2:\n    p: 9\n    <<: *b\n  m3:\n    <<: [{p: 1}, {p: 2, r: 2}]\n    s: 3\n  m4:\n    \"<<\": {p: 1}\n")),
        ("merge-scalar", with("spec:\n  m:\n    <<: 1\n")),
        ("tags", with("spec:\n  a: !!str 12\n  b: !!int \"12\"\n  c: !!float 1\n  d: !!binary aGk=\n  e: !foo bar\n  f: !!bool yes\n  g: ! 12\n  h: !!str yes\n  i: !!null ~\n")),
        ("tag-int-bad", with("spec:\n  a: !!int abc\n")),
        ("tag-int-float", with("spec:\n  a: !!int 1.5\n")),
        ("multi", format!("{HEAD}---\n---\n# only a comment\n---\n{HEAD}data:\n  a: on\n...\n---\n{HEAD}")),
        ("multi-comment-sep", format!("{HEAD}--- # next\n{HEAD}data: {{a: 'b'}}\n")),
        ("inline-after-separator", format!("{HEAD}--- {{apiVersion: v1, kind: ConfigMap, metadata: {{name: y}}}}\n")),
        ("block-after-separator", format!("{HEAD}--- |\n  text\n")),
        ("dashes-4", format!("{HEAD}----\n{HEAD}")),
        ("document-end-marker", format!("{HEAD}...\n---\n{HEAD}data: {{a: b}}\n")),
        ("separator-lookalike", format!("{HEAD}data:\n  a: |\n    ---\n    x\n")),
        ("merge-aliases", with("spec:\n  a: &a {p: 1}\n  b: &b {p: 2, q: 2}\n  c:\n    <<: [*a, *b]\n  d:\n    <<: *a\n    <<: *b\n")),
        ("collection-tags", with("spec: !!map\n  a: !!seq [1, 2]\n  b: !!str\n")),
        ("anchored-keys", with("spec:\n  &k name: v\n  other: *k\n")),
        ("top-level-sequence", "- apiVersion: v1\n  kind: ConfigMap\n".to_string()),
        ("scalar-document", format!("just text\n---\n{HEAD}")),
        ("list", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {x: yes}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n".to_string()),
        ("kindless", format!("foo: bar\n---\n{HEAD}")),
        ("bom", format!("\u{feff}{HEAD}data:\n  a: 'b'\n")),
        ("crlf", with("data:\n  a: b\n  c: |\n    x\n    y\n").replace('\n', "\r\n")),
        ("nel-comment", with("spec:\n  a: 1 # c\u{85}privileged: yes\n")),
        ("ls-comment", with("spec:\n  a: 1 # c\u{2028}  b: 2\n")),
        ("ps-comment", with("spec:\n  a: 1 # c\u{2029}  b: 2\n")),
        ("nel-quoted", with("spec:\n  a: \"x\u{85}    y\"\n")),
        ("nel-quoted-column-1", with("spec:\n  a: \"x\u{85}y\"\n")),
        ("quoted-column-1", with("data:\n  a: \"x\ny\\\"\nz\" # c\n  b: 'p\n q''\nr'\n")),
        ("control-char", with("spec:\n  a: \u{1}x\n")),
        ("control-char-comment", with("spec:\n  a: x # \u{7}\n")),
        ("c1-control", with("spec:\n  a: x\u{90}\n")),
        ("tab-indent", with("spec:\n\ta: 1\n")),
        ("tab-after-colon", with("spec:\n  a:\tb\n  c: \"d:\te\"\n")),
        ("duplicate-key", with("data:\n  a: 1\n  a: 2\n")),
        ("json", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"x\"}, \"data\": {\"a\": \"yes\", \"n\": 1.5}}\n".to_string()),
        ("flow", with("spec: {a: [yes, no, 0x1F, ~, '1'], b: {on: off}}\n")),
        ("block-scalars", with("data:\n  a: |\n    yes\n    0777\n  b: >-\n    folded\n    text\n  c: |+\n    keep\n\n")),
        ("quoted-escapes", with("data:\n  a: \"\\x41\\u00e9\\t\\n\"\n  b: 'it''s'\n  c: \"multi\n    line\"\n")),
        ("privileged-yes", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.25\n    securityContext:\n      privileged: yes\n      allowPrivilegeEscalation: no\n".to_string()),
    ];
    v.push(("long-key-list", {
        let mut s = format!("{HEAD}data:\n");
        for i in 0..2000 {
            s.push_str(&format!("  k{i}: v{i}\n"));
        }
        s
    }));
    v
}

#[test]
fn confgate_reads_yaml_exactly_as_kubectl_does() {
    if !kubectl_works() {
        println!("skipped: kubectl is not available");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = tmp.path().join("kubeconfig");
    std::fs::write(&kubeconfig, "").unwrap();

    let started = std::time::Instant::now();
    let dir = tmp.path().join("variants");
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (name, text) in variants() {
        let p = dir.join(format!("{name}.yaml"));
        std::fs::write(&p, text).unwrap();
        files.push(p);
    }
    let t = run(files, &kubeconfig);
    println!(
        "variants: {} compared equal, {} rejected by both, {} duplicate-key files skipped, in {:.1?}",
        t.compared,
        t.both_rejected,
        t.duplicate_keys,
        started.elapsed()
    );
    assert!(t.mismatches.is_empty(), "{}", t.mismatches.join("\n"));
    assert_eq!(t.duplicate_keys, 1);

    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !corpus.is_dir() {
        println!("skipped the corpus: {} is absent", corpus.display());
        return;
    }
    let started = std::time::Instant::now();
    let files = corpus_files(&corpus);
    let n = files.len();
    let t = run(files, &kubeconfig);
    println!(
        "corpus: {n} files, {} compared equal, {} rejected by both, {} duplicate-key files skipped, in {:.1?}",
        t.compared,
        t.both_rejected,
        t.duplicate_keys,
        started.elapsed()
    );
    assert!(
        t.mismatches.is_empty(),
        "{} mismatches:\n{}",
        t.mismatches.len(),
        t.mismatches.join("\n")
    );
}
