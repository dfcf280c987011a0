//! Report formats beyond text/JSON/SARIF, and sharded scans merged back into one report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn confgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_confgate"))
        .args(args)
        .current_dir(root())
        .env(
            "CONFGATE_CONFIG",
            root().join("tests/fixtures/cli/isolated-confgate.toml"),
        )
        .env_remove("CONFGATE_FORMAT")
        .output()
        .unwrap()
}

const EXAMPLE: &str = "examples/spotify-ai-agent";

fn write_shards(dir: &Path, format: &str, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            let out = dir.join(format!("shard-{i}.{format}"));
            let o = confgate(&[
                "scan",
                EXAMPLE,
                "--format",
                format,
                "--shard",
                &format!("{i}/{n}"),
                "--output",
                out.to_str().unwrap(),
            ]);
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
            out.display().to_string()
        })
        .collect()
}

#[test]
fn merged_json_shards_equal_one_full_scan() {
    let dir = tempfile::tempdir().unwrap();
    let full = confgate(&["scan", EXAMPLE, "--format", "json"]);
    for n in [2, 3, 5] {
        let shards = write_shards(dir.path(), "json", n);
        // Every shard holds part of the work, and the parts do not overlap.
        let docs: usize = shards
            .iter()
            .map(|s| {
                let v: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(s).unwrap()).unwrap();
                v["summary"]["documents"].as_u64().unwrap() as usize
            })
            .sum();
        let full_json: serde_json::Value = serde_json::from_slice(&full.stdout).unwrap();
        assert_eq!(
            docs as u64,
            full_json["summary"]["documents"].as_u64().unwrap()
        );
        let mut args = vec!["report", "merge", "--format", "json"];
        args.extend(shards.iter().map(String::as_str));
        let merged = confgate(&args);
        assert_eq!(merged.status.code(), full.status.code());
        assert_eq!(
            String::from_utf8_lossy(&merged.stdout),
            String::from_utf8_lossy(&full.stdout),
            "{n} merged shards differ from one full scan"
        );
    }
}

#[test]
fn merged_sarif_shards_equal_one_full_scan() {
    let dir = tempfile::tempdir().unwrap();
    let full = confgate(&["scan", EXAMPLE, "--format", "sarif"]);
    let shards = write_shards(dir.path(), "sarif", 3);
    let mut args = vec!["report", "merge", "--format", "sarif"];
    args.extend(shards.iter().map(String::as_str));
    let merged = confgate(&args);
    assert_eq!(merged.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&merged.stdout),
        String::from_utf8_lossy(&full.stdout)
    );
}

#[test]
fn merging_twice_the_same_shard_does_not_duplicate_results() {
    let dir = tempfile::tempdir().unwrap();
    let shards = write_shards(dir.path(), "sarif", 1);
    let merged = confgate(&[
        "report", "merge", "--format", "sarif", &shards[0], &shards[0],
    ]);
    let a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&shards[0]).unwrap()).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert_eq!(
        a["runs"][0]["results"].as_array().unwrap().len(),
        b["runs"][0]["results"].as_array().unwrap().len()
    );
    assert_eq!(b["runs"].as_array().unwrap().len(), 1);
}

#[test]
fn bad_shard_specs_and_bad_merge_inputs_exit_2() {
    for spec in ["0/3", "4/3", "x", "1/0"] {
        let o = confgate(&["scan", EXAMPLE, "--shard", spec]);
        assert_eq!(o.status.code(), Some(2), "--shard {spec}");
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    let o = confgate(&["report", "merge", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.json"), "{err}");
    assert_eq!(err.trim().lines().count(), 1);
}

#[test]
fn junit_is_well_formed_with_a_case_per_rule_and_resource() {
    let o = confgate(&["scan", EXAMPLE, "--format", "junit", "--select", "CG1001"]);
    let xml = String::from_utf8(o.stdout).unwrap();
    // A real XML parser (Python's) must accept it.
    let mut py = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; r=E.parse(sys.stdin).getroot(); \
             cases=r.findall('.//testcase'); fails=[c for c in cases if c.find('failure') is not None]; \
             print(r.tag, len(cases), len(fails), r.get('tests'), r.get('failures'))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    py.stdin.take().unwrap().write_all(xml.as_bytes()).unwrap();
    let out = py.wait_with_output().unwrap();
    let line = String::from_utf8_lossy(&out.stdout);
    let parts: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        parts.first(),
        Some(&"testsuites"),
        "{line} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(parts[1], parts[3], "tests attribute counts the cases");
    assert_eq!(
        parts[2], parts[4],
        "failures attribute counts the failing cases"
    );
    assert_eq!(parts[2], "1", "one privileged workload in the example");
    assert!(xml.contains("classname=\"confgate.CG1001.privileged-container\""));
}

#[test]
fn github_annotations_follow_the_workflow_command_syntax() {
    let o = confgate(&["scan", EXAMPLE, "--format", "github"]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(!text.is_empty());
    for line in text.lines() {
        assert!(
            line.starts_with("::error file=")
                || line.starts_with("::warning file=")
                || line.starts_with("::notice file="),
            "{line}"
        );
        let (props, _) = line[2..].split_once("::").unwrap();
        assert!(
            props.contains(",line=")
                && props.contains(",col=")
                && props.contains(",endLine=")
                && props.contains(",title=")
        );
        assert!(!line.contains('\r'));
    }
    assert!(
        text.contains("::error file=examples/spotify-ai-agent/base/ml-worker.yaml,line=48,col=25")
    );
}

#[test]
fn markdown_summary_has_verdict_counts_and_findings() {
    let o = confgate(&["scan", EXAMPLE, "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(1));
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(md.starts_with("## confgate: ❌ gate failed"));
    assert!(md.contains("| Severity | Findings |"));
    assert!(md.contains("| critical |"));
    assert!(md.contains("`CG1001` privileged-container"));
}

#[test]
fn csv_has_the_documented_columns_and_a_row_per_finding() {
    let json: serde_json::Value =
        serde_json::from_slice(&confgate(&["scan", EXAMPLE, "--format", "json"]).stdout).unwrap();
    let o = confgate(&["scan", EXAMPLE, "--format", "csv"]);
    let mut r = csv::Reader::from_reader(o.stdout.as_slice());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        headers,
        [
            "rule_id",
            "rule_name",
            "severity",
            "file",
            "line",
            "column",
            "namespace",
            "kind",
            "name",
            "path",
            "message",
            "frameworks"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), json["findings"].as_array().unwrap().len());
}

#[test]
fn quiet_scans_print_nothing_on_stderr() {
    let o = confgate(&["scan", EXAMPLE, "--quiet", "--format", "json"]);
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn sarif_category_sets_the_automation_id_and_dash_output_means_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("confgate.toml");
    std::fs::write(&cfg, "output = \"ignored.sarif\"\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_confgate"))
        .args([
            "scan",
            EXAMPLE,
            "--format",
            "sarif",
            "--sarif-category",
            "confgate-helm",
            "--output",
            "-",
        ])
        .current_dir(root())
        .env("CONFGATE_CONFIG", &cfg)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["runs"][0]["automationDetails"]["id"], "confgate-helm/");
    assert!(!root().join("-").exists() && !root().join("ignored.sarif").exists());
    let default = confgate(&["scan", EXAMPLE, "--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_slice(&default.stdout).unwrap();
    assert_eq!(v["runs"][0]["automationDetails"]["id"], "confgate/scan/");
}

/// Regression: `report merge` judged shards by its own copy of the gate, which ignored the
/// baseline, so baselined findings that a single scan passes failed the merge.
#[test]
fn merged_shards_with_a_baseline_pass_where_the_full_scan_passes() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let b = baseline.to_str().unwrap();
    let o = confgate(&["scan", EXAMPLE, "--write-baseline", b, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "the example has findings");
    let full = confgate(&["scan", EXAMPLE, "--baseline", b, "--format", "json"]);
    assert_eq!(full.status.code(), Some(0), "everything is in the baseline");
    let shards: Vec<String> = (1..=2)
        .map(|i| {
            let out = dir.path().join(format!("shard-{i}.json"));
            let o = confgate(&[
                "scan",
                EXAMPLE,
                "--baseline",
                b,
                "--format",
                "json",
                "--shard",
                &format!("{i}/2"),
                "--output",
                out.to_str().unwrap(),
            ]);
            assert_eq!(o.status.code(), Some(0));
            out.display().to_string()
        })
        .collect();
    let mut args = vec!["report", "merge", "--format", "json"];
    args.extend(shards.iter().map(String::as_str));
    let merged = confgate(&args);
    assert_eq!(
        merged.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&merged.stdout)
    );
    // The same findings, each still marked as already in the baseline.
    let findings = |out: &[u8]| -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_slice(out).unwrap();
        v["findings"].clone()
    };
    let merged_findings = findings(&merged.stdout);
    assert_eq!(merged_findings, findings(&full.stdout));
    assert!(
        merged_findings
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["baseline_state"] == "unchanged")
    );
}
