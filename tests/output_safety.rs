//! What confgate writes and reads must not harm the machine or the reader: `--output` never
//! replaces a device, FIFO or symlink; special files in a scanned tree are never opened;
//! Secret values stay out of code frames; crafted names cannot inject lines or escape
//! sequences into any report; messages say what they mean (units, whole-file problems,
//! UTF-16). Each test runs the real binary.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, Scratch, confgate, privileged_pod};

/// Runs `confgate ARGS` in `cwd`, killing it and failing the test after `limit` (a hang is
/// the bug several of these tests pin).
fn run_with_deadline(cwd: &Path, args: &[&str], limit: Duration) -> Run {
    let mut child = confgate(cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn confgate");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output").into();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "confgate {args:?} still running after {limit:?} (a hang)\nstderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const DEADLINE: Duration = Duration::from_secs(60);

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(ok.success(), "mkfifo {}", path.display());
}

fn scratch_with_pod() -> Scratch {
    let s = Scratch::new();
    s.write("pod.yaml", privileged_pod("web"));
    s
}

// ---- 1. --output never replaces what it names ------------------------------------------

#[test]
fn output_dev_null_leaves_dev_null_a_character_device() {
    let s = scratch_with_pod();
    let r = run_with_deadline(
        s.path(),
        &["scan", "pod.yaml", "--output", "/dev/null"],
        DEADLINE,
    );
    r.expect_code(1);
    let t = std::fs::symlink_metadata("/dev/null")
        .expect("stat /dev/null")
        .file_type();
    assert!(
        t.is_char_device(),
        "/dev/null is no longer a character device"
    );
}

#[test]
fn a_fifo_named_by_output_receives_the_report_through_a_reader() {
    let s = scratch_with_pod();
    let fifo = s.path().join("report.pipe");
    mkfifo(&fifo);
    // The reader opens its end first (non-blocking, so the open does not wait for a
    // writer) and reads until the writer has come and gone.
    let reader_path = fifo.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(&reader_path)
            .expect("open FIFO for reading");
        ready_tx.send(()).expect("signal");
        let mut got = Vec::new();
        let started = Instant::now();
        let mut buf = [0u8; 4096];
        while started.elapsed() < DEADLINE {
            match f.read(&mut buf) {
                Ok(0) if !got.is_empty() => break,
                Ok(0) => std::thread::sleep(Duration::from_millis(10)),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(e) => panic!("read FIFO: {e}"),
            }
        }
        String::from_utf8(got).expect("UTF-8 report")
    });
    ready_rx.recv().expect("reader ready");
    let r = run_with_deadline(
        s.path(),
        &["scan", "pod.yaml", "-f", "json", "--output", "report.pipe"],
        DEADLINE,
    );
    r.expect_code(1);
    let report = reader.join().expect("reader thread");
    let v: serde_json::Value = serde_json::from_str(&report).expect("JSON through the FIFO");
    common::one_cg1001_in(&v, "pod.yaml");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .expect("stat")
            .file_type()
            .is_fifo(),
        "the FIFO was replaced"
    );
}

#[test]
fn a_fifo_without_a_reader_is_an_error_not_a_hang() {
    let s = scratch_with_pod();
    mkfifo(&s.path().join("report.pipe"));
    let r = run_with_deadline(
        s.path(),
        &["scan", "pod.yaml", "--output", "report.pipe"],
        DEADLINE,
    );
    r.expect_code(2);
    assert!(r.stderr.contains("no process reading"), "{}", r.stderr);
}

#[test]
fn a_symlink_named_by_output_stays_a_link_and_its_target_gets_the_report() {
    let s = scratch_with_pod();
    s.write("reports/real.json", "old");
    std::os::unix::fs::symlink("reports/real.json", s.path().join("latest.json")).unwrap();
    let r = s.run(&["scan", "pod.yaml", "-f", "json", "--output", "latest.json"]);
    r.expect_code(1);
    let link = std::fs::symlink_metadata(s.path().join("latest.json")).unwrap();
    assert!(link.file_type().is_symlink(), "the symlink was replaced");
    let text = std::fs::read_to_string(s.path().join("reports/real.json")).unwrap();
    assert!(text.contains("CG1001"), "{text}");
}

#[test]
fn an_existing_output_file_keeps_its_permissions() {
    let s = scratch_with_pod();
    let out = s.write("out.txt", "old");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    s.run(&["scan", "pod.yaml", "--output", "out.txt"])
        .expect_code(1);
    let meta = std::fs::metadata(&out).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert!(std::fs::read_to_string(&out).unwrap().contains("CG1001"));
}

#[test]
fn a_directory_named_by_output_is_refused_with_a_clear_error() {
    let s = scratch_with_pod();
    s.mkdir("out");
    let r = s.run(&["scan", "pod.yaml", "--output", "out"]);
    r.expect_code(2);
    assert!(r.stderr.contains("is a directory"), "{}", r.stderr);
    assert!(s.path().join("out").is_dir());
}

fn assert_dev_null_is_a_device() {
    let t = std::fs::symlink_metadata("/dev/null")
        .expect("stat /dev/null")
        .file_type();
    assert!(
        t.is_char_device(),
        "/dev/null is no longer a character device"
    );
}

#[test]
fn write_baseline_onto_dev_null_leaves_it_a_character_device() {
    let s = scratch_with_pod();
    let r = run_with_deadline(
        s.path(),
        &["scan", "pod.yaml", "--write-baseline", "/dev/null"],
        DEADLINE,
    );
    r.expect_code(1);
    assert_dev_null_is_a_device();
    // The same baseline to a regular file is a real baseline (the write did happen).
    s.run(&["scan", "pod.yaml", "--write-baseline", "baseline.json"])
        .expect_code(1);
    let b = std::fs::read_to_string(s.path().join("baseline.json")).unwrap();
    assert!(b.contains("CG1001"), "{b}");
}

#[test]
fn report_merge_onto_dev_null_leaves_it_a_character_device() {
    let s = scratch_with_pod();
    s.run(&["scan", "pod.yaml", "-f", "json", "--output", "shard.json"])
        .expect_code(1);
    let r = run_with_deadline(
        s.path(),
        &["report", "merge", "shard.json", "-o", "/dev/null"],
        DEADLINE,
    );
    r.expect_code(1);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert_dev_null_is_a_device();
    for format in ["json", "sarif"] {
        let shard = format!("shard.{format}");
        s.run(&["scan", "pod.yaml", "-f", format, "--output", &shard]);
        let r = run_with_deadline(
            s.path(),
            &["report", "merge", &shard, "-f", format, "-o", "/dev/null"],
            DEADLINE,
        );
        assert_ne!(r.code, 2, "{format}: {}", r.stderr);
        assert_dev_null_is_a_device();
    }
}

/// Copies a directory tree (files and directories only).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

#[test]
fn generate_onto_a_symlink_keeps_the_link_and_replaces_its_target_atomically() {
    use std::os::unix::fs::MetadataExt;
    let s = Scratch::new();
    copy_tree(
        &common::repo_path("tests/fixtures/generate/basic"),
        s.path(),
    );
    // out/configmap.yaml is a link into a directory the user keeps elsewhere.
    let target = s.write("kept/configmap.yaml", "old\n");
    s.mkdir("out");
    std::os::unix::fs::symlink(
        "../kept/configmap.yaml",
        s.path().join("out/configmap.yaml"),
    )
    .unwrap();
    let before = std::fs::metadata(&target).unwrap().ino();
    let r = common::run(
        confgate(s.path())
            .env("CG_TEST_DB_PASSWORD", "Zq8-fixture-db-password-91c")
            .args(["generate", "-e", "prod", "--output-dir", "out"]),
    );
    r.expect_code(0);
    let link = std::fs::symlink_metadata(s.path().join("out/configmap.yaml")).unwrap();
    assert!(link.file_type().is_symlink(), "the symlink was replaced");
    assert_eq!(
        std::fs::read_link(s.path().join("out/configmap.yaml")).unwrap(),
        Path::new("../kept/configmap.yaml")
    );
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(
        text.starts_with("# Generated by confgate generate"),
        "{text}"
    );
    // Replaced by a rename (a new inode), not rewritten in place, and nothing left beside it.
    let after = std::fs::metadata(&target).unwrap();
    assert!(after.is_file());
    assert_ne!(after.ino(), before, "the target was rewritten in place");
    let kept: Vec<_> = std::fs::read_dir(s.path().join("kept"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(kept, ["configmap.yaml"], "no temporary file left");
}

// ---- 2. special files in inputs are never opened -----------------------------------------

#[test]
fn a_fifo_inside_a_scanned_tree_is_skipped_with_a_note_and_the_scan_finishes() {
    let s = scratch_with_pod();
    mkfifo(&s.path().join("pipe.yaml"));
    let r = run_with_deadline(s.path(), &["scan", ".", "-f", "json"], DEADLINE);
    r.expect_code(1);
    let v = r.json();
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(0), "{v:#}");
    let warnings = v["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{v:#}");
    let note = warnings[0].as_str().unwrap();
    assert!(
        note.contains("pipe.yaml") && note.contains("FIFO"),
        "{note}"
    );
    assert!(!note.contains('\n'));
    // The text report shows it as a warning line.
    let r = run_with_deadline(s.path(), &["scan", "."], DEADLINE);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("warning: pipe.yaml")),
        "{}",
        r.stdout
    );
}

#[test]
fn a_fifo_named_on_the_command_line_is_one_error_and_never_opened() {
    let s = scratch_with_pod();
    mkfifo(&s.path().join("pipe.yaml"));
    let r = run_with_deadline(s.path(), &["scan", "pipe.yaml", "-f", "json"], DEADLINE);
    r.expect_code(2);
    let msg = common::one_error_for(&r.json(), "pipe.yaml", None);
    assert!(msg.contains("FIFO"), "{msg}");
}

// ---- 3. Secret values stay out of code frames --------------------------------------------

/// The first Secret has its base64 `data` on the line above a flagged `stringData` entry
/// (the frame's context line); the second has block values and an unflagged neighbour.
const SECRET: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: shop
type: Opaque
data: {apiKey: QUtJQUJBU0U2NFZBTFVF}
stringData: {password: hunter2-plain-value}
---
apiVersion: v1
kind: Secret
metadata:
  name: more
  namespace: shop
data:
  extra: c2Vjb25kLWJhc2U2NA==
stringData:
  username: plain-user-value
  password: other-plain-value
  note: |
    first-block-line-value
    second-block-line-value
";

const SECRET_VALUES: [&str; 7] = [
    "QUtJQUJBU0U2NFZBTFVF",
    "c2Vjb25kLWJhc2U2NA==",
    "plain-user-value",
    "hunter2-plain-value",
    "other-plain-value",
    "first-block-line-value",
    "second-block-line-value",
];

#[test]
fn no_secret_value_appears_in_text_or_html_code_frames() {
    let s = Scratch::new();
    s.write("secret.yaml", SECRET);
    let json = s.run(&["scan", "secret.yaml", "-f", "json"]).json();
    assert!(
        !json["findings"].as_array().unwrap().is_empty(),
        "a finding is needed for a frame: {json:#}"
    );
    let text = s.run(&["scan", "secret.yaml", "--color", "never"]).stdout;
    assert!(text.contains(" | "), "text has code frames: {text}");
    s.run(&["scan", "secret.yaml", "-f", "html", "-o", "r.html"]);
    let html = std::fs::read_to_string(s.path().join("r.html")).unwrap();
    for v in SECRET_VALUES {
        assert!(!text.contains(v), "text shows {v}:\n{text}");
        assert!(!html.contains(v), "HTML shows {v}");
    }
}

// ---- 4. no injection through names, file names or messages -------------------------------

/// A Pod whose name holds a newline, a workflow command and an ESC sequence (YAML `\e`).
const EVIL_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: \"evil\\n::error file=x::pwned\\e[2J<svg onload=alert(1)>\"
  namespace: shop
spec:
  containers:
    - name: app
      image: nginx:1.25
      securityContext:
        privileged: true
";

const EVIL_FILE: &str = "my app#1.yaml";

/// A file name that is itself a workflow command after a newline.
const EVIL_NAMED_FILE: &str = "x\n::warning file=y::named\x1b[2J.yaml";

fn evil_report(format: &str) -> String {
    let s = Scratch::new();
    s.write(EVIL_FILE, EVIL_POD);
    s.write(EVIL_NAMED_FILE, privileged_pod("named"));
    let r = s.run(&[
        "scan",
        EVIL_FILE,
        EVIL_NAMED_FILE,
        "-f",
        format,
        "--color",
        "never",
    ]);
    r.expect_code(1);
    assert!(!r.stderr.contains('\x1b'), "{format}: ESC on stderr");
    r.stdout
}

/// No ESC, no other control character but line breaks, and no line a CI runner would read
/// as the injected workflow command.
fn assert_no_injection(format: &str, out: &str) {
    assert!(!out.contains('\x1b'), "{format}: raw ESC in\n{out}");
    assert!(
        !out.chars().any(|c| c.is_control() && c != '\n'),
        "{format}: raw control character in\n{out:?}"
    );
    assert!(
        !out.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("::error file=x::") || l.starts_with("::warning file=y::")
        }),
        "{format}: injected workflow command in\n{out}"
    );
}

#[test]
fn a_crafted_name_cannot_inject_lines_into_the_text_report() {
    let out = evil_report("text");
    assert_no_injection("text", &out);
    assert!(
        out.contains("evil\\n::error file=x::pwned\\x1b[2J"),
        "{out}"
    );
    assert!(out.contains("my app#1.yaml:"), "{out}");
    assert!(
        out.contains("x\\n::warning file=y::named\\x1b[2J.yaml:"),
        "{out}"
    );
}

#[test]
fn a_crafted_name_cannot_break_the_markdown_table() {
    let out = evil_report("markdown");
    assert_no_injection("markdown", &out);
    assert!(!out.contains("<svg"), "{out}");
    let row = out
        .lines()
        .find(|l| l.contains("CG1001"))
        .expect("a finding row");
    // Six cells: the row's unescaped pipes are the table's own.
    let pipes = row.matches('|').count() - row.matches("\\|").count();
    assert_eq!(pipes, 6, "{row}");
}

#[test]
fn a_crafted_name_cannot_start_a_github_workflow_command() {
    let out = evil_report("github");
    assert_no_injection("github", &out);
    for line in out.lines() {
        let level = ["::error ", "::warning ", "::notice "];
        assert!(level.iter().any(|l| line.starts_with(l)), "{line}");
        assert!(
            line.contains(" file=my app#1.yaml,line=")
                || line.contains(" file=x%0A%3A%3Awarning file=y%3A%3Anamed\\x1b[2J.yaml,line="),
            "{line}"
        );
    }
}

#[test]
fn a_crafted_name_leaves_junit_xml_without_control_characters() {
    let out = evil_report("junit");
    assert_no_injection("junit", &out);
    assert!(!out.contains("<svg"), "{out}");
    assert!(out.contains("file=\"my app#1.yaml\""), "{out}");
}

#[test]
fn a_crafted_name_leaves_csv_fields_without_control_characters() {
    let out = evil_report("csv");
    let mut rows = csv::Reader::from_reader(out.as_bytes());
    let mut n = 0;
    for row in rows.records() {
        let row = row.expect("valid CSV");
        for field in row.iter() {
            assert!(!field.chars().any(char::is_control), "{field:?}");
        }
        n += 1;
    }
    assert!(n > 0, "{out}");
    assert!(
        out.contains("evil\\n::error file=x::pwned\\x1b[2J"),
        "{out}"
    );
    assert!(!out.contains('\x1b'));
}

#[test]
fn sarif_uris_are_percent_encoded_relative_references() {
    let out = evil_report("sarif");
    let v: serde_json::Value = serde_json::from_str(&out).expect("SARIF JSON");
    let uri =
        &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "my%20app%231.yaml", "{v:#}");
}

#[test]
fn a_crafted_name_is_escaped_in_html() {
    let s = Scratch::new();
    s.write(EVIL_FILE, EVIL_POD);
    s.run(&["scan", EVIL_FILE, "-f", "html", "-o", "r.html"])
        .expect_code(1);
    let html = std::fs::read_to_string(s.path().join("r.html")).unwrap();
    assert!(!html.contains('\x1b'), "raw ESC in HTML");
    assert!(!html.contains("<svg onload"), "unescaped markup in HTML");
    assert!(html.contains("&lt;svg onload"), "the name is shown escaped");
}

// ---- 5. clear messages -----------------------------------------------------------------

#[test]
fn color_never_also_uncolours_log_lines() {
    let s = scratch_with_pod();
    let r = s.run(&["scan", "pod.yaml", "-v", "--color", "never"]);
    assert!(
        r.stderr.contains("DEBUG"),
        "debug logs expected: {}",
        r.stderr
    );
    assert!(!r.stderr.contains('\x1b'), "{:?}", r.stderr);
    let r = s.run(&["scan", "pod.yaml", "-v", "--color", "always"]);
    assert!(
        r.stderr.contains('\x1b'),
        "always colours logs: {:?}",
        r.stderr
    );
}

#[test]
fn a_size_limit_below_one_mib_is_shown_in_kib_not_as_zero_mib() {
    let s = scratch_with_pod();
    let big = std::fs::File::create(s.path().join("big.yaml")).unwrap();
    big.set_len(600 * 1024).unwrap();
    drop(big);
    let r = s.run(&["scan", ".", "-f", "json", "--max-file-size", "512KiB"]);
    let msg = common::one_error_for(&r.json(), "big.yaml", None);
    assert!(
        msg.contains("600.0 KiB") && msg.contains("512 KiB limit"),
        "{msg}"
    );
    assert!(!msg.contains("MiB"), "{msg}");
}

#[test]
fn whole_file_errors_keep_line_null_and_say_whole_file() {
    let s = scratch_with_pod();
    s.write("empty.yaml", "");
    let v = s.run(&["scan", ".", "-f", "json"]).json();
    let e = &v["errors"][0];
    assert_eq!(e["file"], "empty.yaml");
    assert!(e["line"].is_null(), "{e:#}");
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains("(whole file)") && !msg.contains('\n'), "{msg}");
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        out.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

#[test]
fn utf16_files_with_a_bom_are_decoded_not_called_binary() {
    let s = Scratch::new();
    s.write("le.yaml", utf16(&privileged_pod("le"), false));
    s.write("be.yaml", utf16(&privileged_pod("be"), true));
    let v = s.run(&["scan", ".", "-f", "json"]).json();
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(0), "{v:#}");
    common::one_cg1001_in(&v, "le.yaml");
    let f = common::one_cg1001_in(&v, "be.yaml");
    assert_eq!(f["line"], 11, "positions count in decoded text: {f:#}");
}

#[test]
fn malformed_utf16_is_named_as_utf16() {
    let s = Scratch::new();
    let mut bytes = utf16("kind: Pod\n", false);
    bytes.extend([0x00, 0xD8, 0x41, 0x00]); // an unpaired high surrogate
    s.write("bad.yaml", bytes);
    let v = s.run(&["scan", ".", "-f", "json"]).json();
    let msg = common::one_error_for(&v, "bad.yaml", None);
    assert!(msg.contains("UTF-16") && !msg.contains("binary"), "{msg}");
}

#[test]
fn utf16_without_a_byte_order_mark_is_named_as_utf16_not_binary() {
    let s = Scratch::new();
    s.write("le.yaml", &utf16(&privileged_pod("le"), false)[2..]);
    s.write("be.yaml", &utf16(&privileged_pod("be"), true)[2..]);
    // A binary file with NUL bytes is still called binary.
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend((0u8..=255).cycle().take(600));
    s.write("tool.yaml", elf);
    let scan = |file: &str| {
        let r = s.run(&["scan", file, "-f", "json"]);
        r.expect_code(2);
        r.json()
    };
    for file in ["le.yaml", "be.yaml"] {
        let msg = common::one_error_for(&scan(file), file, None);
        assert!(
            msg.contains("UTF-16 without a byte order mark is not supported")
                && msg.contains("save it as UTF-8")
                && msg.contains("(whole file)")
                && !msg.contains("binary"),
            "{file}: {msg}"
        );
    }
    let msg = common::one_error_for(&scan("tool.yaml"), "tool.yaml", Some(1));
    assert!(msg.contains("binary"), "{msg}");
}

#[test]
fn a_stdin_read_error_is_one_whole_file_error() {
    let s = Scratch::new();
    s.mkdir("dir");
    // A directory as stdin: it opens, but reading it fails (EISDIR).
    let stdin = std::fs::File::open(s.path().join("dir")).unwrap();
    let out = confgate(s.path())
        .args(["scan", "-", "-f", "json"])
        .stdin(Stdio::from(stdin))
        .output()
        .unwrap();
    let r: Run = out.into();
    r.expect_code(2);
    let msg = common::one_error_for(&r.json(), "stdin", None);
    assert!(
        msg.contains("cannot read stdin") && msg.ends_with("(whole file)"),
        "{msg}"
    );
}

#[test]
fn a_crafted_file_name_cannot_inject_lines_into_the_text_audit() {
    let s = Scratch::new();
    s.write(EVIL_FILE, EVIL_POD);
    // A broken file whose name carries a workflow command: it reaches the audit's errors.
    s.write(
        EVIL_NAMED_FILE,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web: api\n",
    );
    let r = s.run(&["audit", EVIL_FILE, EVIL_NAMED_FILE, "--color", "never"]);
    r.expect_code(2);
    assert_no_injection("audit", &r.stdout);
    assert!(
        r.stdout.contains("x\\n::warning file=y::named"),
        "{}",
        r.stdout
    );
}
