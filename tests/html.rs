//! The HTML reports (`scan --format html`, `audit --format html`) opened in a real browser:
//! headless Chromium runs the page's script, and the DOM it leaves behind is checked — one
//! row per finding, the score, the risk matrix, filters from the URL — along with what the
//! file must never contain (remote resources, secret values). A screenshot of each page is
//! kept under `target/artifacts/` for CI to upload.
//!
//! Needs `/usr/bin/chromium`: `bash .ci/install-chromium` installs it (CI does).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use regex::Regex;
use serde_json::Value;

const CHROMIUM: &str = "/usr/bin/chromium";
const EXAMPLE: &str = "examples/spotify-ai-agent";

/// Fake credentials in the example; none may ever reach a report.
const SECRETS: [&str; 6] = [
    "AKIAEXAMPLEFAKEKEY01",
    "s3cr3t-dev-password",
    "fake-spotify-client-secret-0000000000",
    "dev-api-token-FAKE-0123456789abcdef",
    "ZmFrZS1wb3N0Z3Jlcy1wYXNzd29yZC1kby1ub3QtdXNl",
    "ZmFrZS1yZWRpcy1wYXNzd29yZC1kby1ub3QtdXNl",
];

fn chromium() -> &'static str {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: these tests open the HTML report in headless Chromium. \
         Install it with `bash .ci/install-chromium` (CI runs it before `cargo test`)."
    );
    CHROMIUM
}

/// `target/artifacts/` (CI uploads it).
fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Scratch files of this test binary, kept for the whole run.
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("confgate-html-")
            .tempdir()
            .unwrap()
    })
    .path()
}

/// Runs confgate in the repository (isolated from its settings); returns exit code, stdout.
fn confgate(args: &[&str]) -> (i32, String, String) {
    let r = common::run_in_repo(args);
    (r.code, r.stdout, r.stderr)
}

/// Writes the report of `confgate ARGS --output FILE` and returns its text.
fn write_report(args: &[&str], name: &str) -> (PathBuf, String) {
    let out = scratch().join(name);
    let mut all = args.to_vec();
    let o = out.to_str().unwrap().to_string();
    all.extend(["--output", &o]);
    let (code, _, stderr) = confgate(&all);
    assert_eq!(code, 1, "the example has findings above the gate: {stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    (out, text)
}

fn scan_html() -> &'static (PathBuf, String) {
    static R: OnceLock<(PathBuf, String)> = OnceLock::new();
    R.get_or_init(|| write_report(&["scan", EXAMPLE, "--format", "html"], "report.html"))
}

fn audit_html() -> &'static (PathBuf, String) {
    static R: OnceLock<(PathBuf, String)> = OnceLock::new();
    R.get_or_init(|| write_report(&["audit", EXAMPLE, "--format", "html"], "audit.html"))
}

fn scan_json() -> &'static Value {
    static R: OnceLock<Value> = OnceLock::new();
    R.get_or_init(|| {
        let (code, stdout, stderr) = confgate(&["scan", EXAMPLE, "--format", "json"]);
        assert_eq!(code, 1, "{stderr}");
        serde_json::from_str(&stdout).unwrap()
    })
}

/// Runs headless Chromium with `extra` arguments on `page` (a file, plus an optional
/// `#fragment`), with a fresh profile and no network chatter; returns stdout.
fn browse(page: &Path, fragment: &str, extra: &[&str]) -> String {
    let profile = tempfile::Builder::new()
        .prefix("confgate-chromium-")
        .tempdir()
        .unwrap();
    let url = format!("file://{}{fragment}", page.display());
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read stdout on a thread so a large DOM cannot fill the pipe while we wait.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    let mut stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = reader.join().unwrap();
    let err = err_reader.join().unwrap();
    assert!(
        status.success(),
        "chromium failed on {url}: {status}\n{err}"
    );
    out
}

/// The DOM after the page's script ran.
fn dom(page: &Path, fragment: &str) -> String {
    let d = browse(page, fragment, &["--dump-dom"]);
    assert!(d.contains("</html>"), "no DOM dumped:\n{d}");
    d
}

/// The opening tags of the finding rows, in order.
fn finding_rows(dom: &str) -> Vec<String> {
    let re = Regex::new(r#"<tr class="finding[^"]*"[^>]*>"#).unwrap();
    re.find_iter(dom).map(|m| m.as_str().to_string()).collect()
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let end = tag[at..].find('"')?;
    Some(&tag[at..at + end])
}

fn visible(rows: &[String]) -> Vec<&String> {
    rows.iter()
        .filter(|r| attr(r, "hidden").is_none())
        .collect()
}

/// Nothing in the file loads from elsewhere.
fn assert_self_contained(html: &str) {
    let remote_attr =
        Regex::new(r#"(?i)\b(src|href|action|poster|data|srcset)\s*=\s*["']?\s*(https?:)?//"#)
            .unwrap();
    if let Some(m) = remote_attr.find(html) {
        panic!("remote resource in the report: {}", m.as_str());
    }
    let lower = html.to_ascii_lowercase();
    for bad in [
        "@import", "url(http", "url(//", "<link ", "<iframe", "<object", "<embed",
    ] {
        assert!(!lower.contains(bad), "the report contains {bad:?}");
    }
    assert!(
        lower.contains("content-security-policy") && lower.contains("default-src 'none'"),
        "the report pins a restrictive Content-Security-Policy"
    );
    assert!(lower.contains("@media print"), "print styles are present");
}

fn assert_no_secrets(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} leaks the fake secret {s:?}");
    }
}

#[test]
fn scan_report_lists_every_finding_with_score_and_risk_matrix() {
    let (page, html) = scan_html();
    assert_self_contained(html);
    assert_no_secrets("scan --format html", html);
    let json = scan_json();
    let n = json["findings"].as_array().unwrap().len();
    assert!(n > 10, "the example has findings");

    let d = dom(page, "");
    let rows = finding_rows(&d);
    assert_eq!(
        rows.len(),
        n,
        "one table row per finding of the JSON report"
    );
    assert_eq!(visible(&rows).len(), n, "no filter: every row is visible");
    let score = json["summary"]["score"].as_u64().unwrap();
    assert!(
        d.contains(&format!(r#"id="score-value">{score}<"#)),
        "the score {score} is shown"
    );
    assert!(
        d.contains(&format!(r#"id="shown">{n}<"#)),
        "counter shows {n}"
    );
    // Risk matrix: five severities × three exposures, counting every active finding.
    assert!(d.contains(r#"id="risk-matrix""#), "the risk matrix exists");
    let cell = Regex::new(r#"<td class="risk-[a-z]+[^"]*" data-exposure="(internet|cluster|internal)" data-count="(\d+)""#).unwrap();
    let cells: Vec<u64> = cell
        .captures_iter(&d)
        .map(|c| c[2].parse().unwrap())
        .collect();
    assert_eq!(cells.len(), 15, "5 × 3 cells");
    assert_eq!(
        cells.iter().sum::<u64>(),
        json["summary"]["findings"].as_u64().unwrap(),
        "the matrix counts every active finding"
    );
    // Per-framework compliance and the recommendations are there.
    for fw in ["pss-baseline", "cis-k8s", "nsa-cisa"] {
        assert!(
            d.contains(&format!(r#"data-framework="{fw}""#)),
            "compliance for {fw}"
        );
    }
    assert!(d.contains(r#"id="recommendation-list""#));
    // Every row's code frame: masked secrets, and a fix.
    assert!(
        d.contains("********"),
        "sensitive values are masked in frames"
    );
    assert!(d.matches(r#"<pre class="frame">"#).count() >= n / 2);
    assert!(d.contains("<strong>Fix:</strong>"));
}

#[test]
fn a_severity_in_the_url_fragment_filters_the_rows() {
    let (page, _) = scan_html();
    let json = scan_json();
    let critical = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "critical")
        .count();
    assert!(critical > 0, "the example has critical findings");
    let d = dom(page, "#severity=critical");
    let rows = finding_rows(&d);
    let shown = visible(&rows);
    assert_eq!(
        shown.len(),
        critical,
        "only the critical rows remain visible"
    );
    assert!(
        shown
            .iter()
            .all(|r| attr(r, "data-severity") == Some("critical"))
    );
    assert_eq!(
        rows.len() - shown.len(),
        rows.iter()
            .filter(|r| attr(r, "data-severity") != Some("critical"))
            .count(),
        "every other row carries `hidden`"
    );
    assert!(d.contains(&format!(r#"id="shown">{critical}<"#)));
}

#[test]
fn rule_namespace_and_text_filters_combine() {
    let (page, _) = scan_html();
    let json = scan_json();
    let want: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "CG4005" && f["resource"]["namespace"] == "spotify-ai-agent")
        .collect();
    assert!(want.len() > 1);
    let d = dom(page, "#rule=CG4005&namespace=spotify-ai-agent");
    let rows = finding_rows(&d);
    assert_eq!(visible(&rows).len(), want.len());
    // Free text narrows further: the findings whose text mentions REDIS_PASSWORD.
    let redis = want
        .iter()
        .filter(|f| f["message"].as_str().unwrap().contains("REDIS_PASSWORD"))
        .count();
    assert!(redis > 0);
    let d = dom(
        page,
        "#rule=secret-via-env&namespace=spotify-ai-agent&q=redis_password",
    );
    assert_eq!(visible(&finding_rows(&d)).len(), redis);
}

#[test]
fn audit_report_adds_the_checklists() {
    let (page, html) = audit_html();
    assert_self_contained(html);
    assert_no_secrets("audit --format html", html);
    let d = dom(page, "");
    let rows = finding_rows(&d);
    assert_eq!(
        rows.len(),
        scan_json()["findings"].as_array().unwrap().len(),
        "the audit lists the same findings"
    );
    assert!(d.contains(r#"id="checklists""#));
    assert!(d.contains(r#"id="fw-cis-k8s""#));
    for status in ["pass", "fail", "not-checkable"] {
        assert!(
            d.contains(&format!(r#"<tr class="control" data-status="{status}""#)),
            "a {status} control"
        );
    }
    assert!(d.contains(r#"id="risk-matrix""#));
    let shot = artifacts().join("audit.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        page,
        "",
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1400,2000",
        ],
    );
    assert_png(&shot);
}

#[test]
fn screenshot_of_the_scan_report_is_kept_for_ci() {
    let (page, _) = scan_html();
    let shot = artifacts().join("report.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        page,
        "",
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1400,2000",
        ],
    );
    assert_png(&shot);
}

fn assert_png(p: &Path) {
    let bytes =
        std::fs::read(p).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", p.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is a PNG",
        p.display()
    );
    assert!(
        bytes.len() > 20_000,
        "{} is not blank ({} bytes)",
        p.display(),
        bytes.len()
    );
}

#[test]
fn a_custom_template_replaces_the_embedded_one_and_is_still_escaped() {
    let tpl = scratch().join("custom.html");
    std::fs::write(
        &tpl,
        "<p id=score>{{ summary.score }}</p>{% for f in findings %}<i>{{ f.message }}</i>{% endfor %}",
    )
    .unwrap();
    let (code, stdout, stderr) = confgate(&[
        "scan",
        EXAMPLE,
        "--format",
        "html",
        "--template",
        tpl.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    let score = scan_json()["summary"]["score"].as_u64().unwrap();
    assert!(
        stdout.starts_with(&format!("<p id=score>{score}</p><i>")),
        "{stdout}"
    );
    // Messages quote names with `"`: autoescape turns them into entities.
    assert!(stdout.contains("&quot;"), "values are escaped: {stdout}");
    assert!(!stdout.contains("<!DOCTYPE"));
    assert_no_secrets("custom template", &stdout);

    let (code, _, stderr) = confgate(&[
        "scan",
        EXAMPLE,
        "--format",
        "html",
        "--template",
        "no/such/template.html",
    ]);
    assert_eq!(code, 2, "a missing template is an error");
    assert!(stderr.contains("template"), "{stderr}");
}

#[test]
fn the_rollback_impact_renders_as_a_section_of_the_report() {
    let impact = serde_json::json!({
        "set": "web", "namespace": "shop", "current": 2, "target": 1, "strategy": "atomic",
        "objects": [
            {"object": "Deployment/shop/web", "file": "revision-1/Deployment/web", "change": "update",
             "diff": "-        - image: web:2.0\n+        - image: web:1.0\n"},
            {"object": "ConfigMap/shop/new", "file": "revision-1/ConfigMap/new", "change": "create", "diff": ""}
        ],
        "pruned": ["ConfigMap/shop/extra"],
        "policy_delta": {
            "reintroduced": [{"rule_id": "CG1007", "severity": "high", "object": "Deployment/shop/web",
                "path": "spec.template.spec.hostNetwork", "message": "uses the host's network <b>namespace</b>"}],
            "removed": []
        },
        "refused": 1, "fail_on": "high", "risks": ["Service/shop/web: type or ports change"],
        "restarts": 2,
        "unserved": [{"object": "Ingress/web", "api_version": "extensions/v1beta1", "kind": "Ingress",
            "served": ["networking.k8s.io/v1"], "fix": "migrate Ingress web to networking.k8s.io/v1"}],
    });
    let bytes = confgate::report::render_rollback(
        &confgate::scan::ScanOutcome::default(),
        confgate::gate::Gate::default(),
        impact,
        None,
    )
    .unwrap();
    let html = String::from_utf8(bytes).unwrap();
    assert_self_contained(&html);
    // Scan data is escaped, never markup.
    assert!(!html.contains("<b>namespace</b>"));
    let page = artifacts().join("rollback.html");
    std::fs::write(&page, &html).unwrap();
    let d = dom(&page, "");
    assert!(d.contains("<h2>Rollback impact</h2>"), "{d}");
    assert!(d.contains("href=\"#rollback\""));
    let rows = Regex::new(r#"<tr class="object" data-change="([a-z]+)""#).unwrap();
    let changes: Vec<&str> = rows
        .captures_iter(&d)
        .map(|c| c.get(1).map_or("", |m| m.as_str()))
        .collect();
    assert_eq!(changes, vec!["update", "create", "delete"]);
    assert!(d.contains("<tr class=\"reintroduced\">"));
    assert!(d.contains("id=\"reintroduced-count\">1<"));
    assert!(d.contains("migrate Ingress web to networking.k8s.io/v1"));
    assert!(d.contains("About <strong>2</strong> pods will restart"));
}

// `monitor` is part of the cluster build.
#[cfg(feature = "cluster")]
#[test]
fn the_monitor_history_chart_renders_in_chromium_with_its_polylines() {
    // A history with a gap (health unknown) and a dip under the threshold.
    let state = scratch().join("monitor-state");
    std::fs::create_dir_all(&state).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut lines = String::new();
    for (i, (ns, h)) in [
        ("shop", Some(100)),
        ("shop", Some(60)),
        ("shop", None),
        ("shop", Some(85)),
        ("web<b>", Some(90)),
        ("web<b>", Some(92)),
        ("shop", Some(88)),
    ]
    .into_iter()
    .enumerate()
    {
        lines.push_str(
            &serde_json::json!({"t": now - 600 + 60 * i as i64, "context": "test", "namespace": ns,
                "health": h, "pods_running": 1, "pods_not_running": 0, "restarts": 0, "findings": 0})
            .to_string(),
        );
        lines.push('\n');
    }
    std::fs::write(state.join("monitor-history.jsonl"), lines).unwrap();
    let out = scratch().join("monitor-history.html");
    let (code, _, stderr) = confgate(&[
        "monitor",
        "history",
        "--format",
        "html",
        "--state-dir",
        state.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let html = std::fs::read_to_string(&out).unwrap();
    assert_self_contained(&html);
    assert!(!html.contains("web<b>"), "names are escaped");
    let d = dom(&out, "");
    // Chromium parsed the inline SVG: two runs for shop, one for the other namespace.
    let re = Regex::new(r#"<polyline class="health" points="([0-9., ]+)""#).unwrap();
    let runs: Vec<&str> = re
        .captures_iter(&d)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(runs.len(), 3, "{d}");
    assert!(d.contains(r#"<line class="threshold""#), "{d}");
    assert!(d.contains("<svg"), "{d}");
    assert!(d.contains("web&lt;b&gt;"), "{d}");
    let shot = artifacts().join("monitor-history.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        &out,
        "",
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=900,900",
        ],
    );
    assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
}
