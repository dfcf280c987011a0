//! A file scan with built-in rules only is streamed (src/scan/stream.rs): two passes, an
//! inventory of only the kinds cross-resource rules look up, documents dropped once
//! evaluated. These tests hold it to the in-memory scan, where every loaded document is
//! evaluated with every document in the inventory: the same findings, positions,
//! fingerprints, errors and resources, on every rule fixture, the bundled example and the
//! shared corpus.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use confgate::scan::{ScanOptions, ScanOutcome, Scanner, SourceRetention};
use confgate::source::{self, LoadOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scanner(sources: SourceRetention) -> Scanner {
    let opts = ScanOptions {
        jobs: 2,
        sources,
        // Every scan of these tests streamed, however small.
        stream_above: 0,
        ..ScanOptions::default()
    };
    match Scanner::new(&opts) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

type Row = (String, usize, u32, u32, String, String, String);

fn rows(o: &ScanOutcome) -> Vec<Row> {
    let mut v: Vec<Row> = o
        .findings
        .iter()
        .map(|f| {
            (
                f.file.clone(),
                f.document_index,
                f.line,
                f.column,
                f.rule_id.clone(),
                f.fingerprint.clone(),
                f.message.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The in-memory scan of `dir`: every document loaded, all of them the inventory.
fn in_memory(s: &Scanner, dir: &Path) -> ScanOutcome {
    let found = source::discover(
        &[dir.display().to_string()],
        &LoadOptions::default(),
        &root(),
    );
    let loaded = source::load_all(&found.inputs, &LoadOptions::default());
    match s.scan_documents(loaded.documents) {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    }
}

fn streamed(s: &Scanner, dir: &Path) -> ScanOutcome {
    match s.scan_paths(
        &[dir.display().to_string()],
        &root(),
        &confgate::scan::NoProgress,
    ) {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    }
}

fn same_findings(dir: &Path) -> usize {
    same_findings_with(&scanner(SourceRetention::All), dir)
}

fn same_findings_with(s: &Scanner, dir: &Path) -> usize {
    let a = in_memory(s, dir);
    let b = streamed(s, dir);
    let (ra, rb) = (rows(&a), rows(&b));
    if ra != rb {
        let only_a: Vec<_> = ra.iter().filter(|r| !rb.contains(r)).take(10).collect();
        let only_b: Vec<_> = rb.iter().filter(|r| !ra.contains(r)).take(10).collect();
        panic!(
            "{}: in-memory {} findings, streamed {}\nonly in memory: {only_a:#?}\nonly streamed: {only_b:#?}",
            dir.display(),
            ra.len(),
            rb.len()
        );
    }
    assert_eq!(a.documents, b.documents, "{}", dir.display());
    let res = |o: &ScanOutcome| {
        let mut v: Vec<_> = o
            .resources
            .iter()
            .map(|r| (r.file.clone(), r.document_index, r.resource.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(res(&a), res(&b), "{}", dir.display());
    let policy_errors = |o: &ScanOutcome| {
        let mut v: Vec<String> = o
            .errors
            .iter()
            .filter(|e| e.to_string().contains("policy "))
            .map(|e| e.to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(policy_errors(&a), policy_errors(&b), "{}", dir.display());
    assert_eq!(
        a.sources.keys().collect::<Vec<_>>(),
        b.sources.keys().collect::<Vec<_>>()
    );
    ra.len()
}

/// Each fixture file alone (a directory scan would let objects of the same name in
/// different fixtures replace each other in the inventory).
#[test]
fn streamed_scans_find_what_in_memory_scans_find_on_every_rule_fixture() {
    let s = scanner(SourceRetention::All);
    let mut findings = 0;
    let mut files = 0;
    for dir in ["tests/fixtures/rules", "tests/fixtures/pss"] {
        for entry in walkdir::WalkDir::new(root().join(dir)).sort_by_file_name() {
            let Ok(entry) = entry else { continue };
            if entry.file_type().is_file() && entry.path().extension().is_some_and(|x| x == "yaml")
            {
                findings += same_findings_with(&s, entry.path());
                files += 1;
            }
        }
    }
    assert!(
        files > 200 && findings > 200,
        "{files} files, {findings} findings"
    );
}

#[test]
fn streamed_scans_find_what_in_memory_scans_find_on_the_example() {
    assert!(same_findings(&root().join("examples")) > 0);
}

#[test]
fn streamed_scans_find_what_in_memory_scans_find_on_the_shared_corpus() {
    let corpus = root().join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    assert!(same_findings(&corpus) > 1000);
}

#[test]
fn only_the_texts_a_report_reads_are_kept() {
    let dir = root().join("tests/fixtures/rules");
    // Streamed (every scan of these tests) and in memory (a small scan by default).
    for stream_above in [0, confgate::scan::STREAM_ABOVE] {
        let scanner = |sources| {
            let opts = ScanOptions {
                jobs: 2,
                sources,
                stream_above,
                ..ScanOptions::default()
            };
            Scanner::new(&opts).unwrap()
        };
        let all = streamed(&scanner(SourceRetention::All), &dir);
        let with = streamed(&scanner(SourceRetention::WithFindings), &dir);
        let none = streamed(&scanner(SourceRetention::None), &dir);
        assert_eq!(rows(&all), rows(&none));
        assert!(all.sources.values().all(|s| !s.text.is_empty()));
        let with_findings: std::collections::BTreeSet<&String> =
            all.findings.iter().map(|f| &f.file).collect();
        // Every file is kept with all texts; only those with findings otherwise.
        assert!(all.sources.len() > with_findings.len());
        assert!(with_findings.iter().all(|p| all.sources.contains_key(*p)));
        let kept = |o: &ScanOutcome| o.sources.keys().cloned().collect::<Vec<String>>();
        let expected: Vec<String> = with_findings.iter().map(|p| p.to_string()).collect();
        assert_eq!(kept(&with), expected);
        assert_eq!(kept(&none), expected);
        assert!(with.sources.values().all(|s| !s.text.is_empty()));
        assert!(none.sources.values().all(|s| s.text.is_empty()));
    }
}

#[test]
fn the_scanned_objects_are_listed_only_when_asked() {
    let dir = root().join("tests/fixtures/rules");
    for stream_above in [0, confgate::scan::STREAM_ABOVE] {
        let scanner = |resources| {
            let opts = ScanOptions {
                jobs: 2,
                resources,
                stream_above,
                ..ScanOptions::default()
            };
            Scanner::new(&opts).unwrap()
        };
        let listed = streamed(&scanner(true), &dir);
        let bare = streamed(&scanner(false), &dir);
        assert_eq!(listed.resources.len(), listed.documents);
        assert!(listed.documents > 100);
        assert!(bare.resources.is_empty());
        assert_eq!(bare.documents, listed.documents);
        assert_eq!(rows(&bare), rows(&listed));
    }
}
