//! `confgate bench`: wall time and memory of real scans, measured in-process.
//!
//! Measures, on a real corpus and on a generated one: parse-only time, a full scan with every
//! built-in rule and the SARIF report written, both regorus back ends, 1 vs 2 threads, peak
//! RSS, and optionally each rule alone. Numbers are the best of `repeat` runs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::catalog::Catalog;
use crate::engine::EngineMode;
use crate::report::{OutputFormat, ReportContext};
use crate::scan::{ScanOptions, Selection, scan};
use crate::source::{self, LoadOptions};

/// One measured configuration.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub label: String,
    pub best: Duration,
    pub documents: usize,
    pub findings: usize,
    pub errors: usize,
}

fn best_of<F: FnMut() -> (usize, usize, usize)>(
    repeat: usize,
    label: &str,
    mut f: F,
) -> Measurement {
    let mut best = Duration::MAX;
    let mut last = (0, 0, 0);
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        last = f();
        best = best.min(t.elapsed());
    }
    Measurement {
        label: label.to_string(),
        best,
        documents: last.0,
        findings: last.1,
        errors: last.2,
    }
}

/// Peak resident set size of this process so far (Linux `VmHWM`), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub use crate::diag::current_rss_mib;

/// `validate` over `dir`: (documents, errors + warnings, tool errors).
pub fn validate_corpus(
    dir: &Path,
    environment: Option<&str>,
    security: bool,
    jobs: usize,
) -> Result<(usize, usize, usize), String> {
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let opts = crate::validate::ValidateOptions {
        paths: vec![dir.to_string_lossy().into_owned()],
        environment: environment.map(str::to_string),
        security_compliance: security,
        business_params: crate::validate::params::business_params(
            environment,
            &std::collections::BTreeMap::new(),
        ),
        scan: ScanOptions {
            jobs,
            ..ScanOptions::default()
        },
        ..crate::validate::ValidateOptions::default()
    };
    let v = crate::validate::validate(&opts, &cwd).map_err(|e| e.to_string())?;
    Ok((v.documents, v.problems.len(), v.tool_errors.len()))
}

/// Parses every file below `dir` without evaluating anything.
pub fn parse_only(dir: &Path, jobs: usize) -> Result<(usize, usize), String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| e.to_string())?;
    let opts = LoadOptions::default();
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    Ok(pool.install(|| {
        let found = source::discover(&[dir.display().to_string()], &opts, &cwd);
        let loaded = source::load_all(&found.inputs, &opts);
        (loaded.files, loaded.documents.len())
    }))
}

/// A full scan with SARIF rendered and written to `out`.
pub fn full_scan(
    dir: &Path,
    engine: EngineMode,
    jobs: usize,
    select: &[String],
    out: &Path,
) -> Result<(usize, usize, usize), String> {
    let opts = ScanOptions {
        engine,
        jobs,
        selection: Selection {
            select: select.to_vec(),
            ..Selection::default()
        },
        sources: crate::report::sources_needed(OutputFormat::Sarif),
        ..ScanOptions::default()
    };
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let outcome = scan(&[dir.display().to_string()], &opts, &cwd).map_err(|e| e.to_string())?;
    let ctx = ReportContext {
        outcome: &outcome,
        color: false,
        gate: crate::gate::Gate::default(),
        template: None,
        sarif_category: None,
    };
    crate::fsutil::write_atomic_with(out, |w| {
        crate::report::render_to(OutputFormat::Sarif, &ctx, w)
            .map_err(|e| std::io::Error::other(e.to_string()))
    })
    .map_err(|e| e.to_string())?;
    Ok((
        outcome.documents,
        outcome.findings.len(),
        outcome.errors.len(),
    ))
}

/// Writes `count` documents of realistic, varied kinds into `dir` (10 per file).
pub fn generate_corpus(dir: &Path, count: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut file = String::new();
    for i in 0..count {
        let ns = format!("team-{}", i % 37);
        let name = format!("svc-{i}");
        let doc = match i % 6 {
            0 => format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/name: {name}\nspec:\n  replicas: {r}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/{name}:{v}\n          ports:\n            - containerPort: 8080\n          securityContext:\n            privileged: {p}\n            allowPrivilegeEscalation: false\n          resources:\n            requests:\n              cpu: 100m\n              memory: 128Mi\n",
                r = 1 + i % 3,
                v = if i % 5 == 0 {
                    "latest".to_string()
                } else {
                    format!("1.{}.0", i % 9)
                },
                p = i % 11 == 0,
            ),
            1 => format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  type: {t}\n  selector:\n    app: {name}\n  ports:\n    - port: 80\n      targetPort: 8080\n",
                t = if i % 7 == 0 {
                    "LoadBalancer"
                } else {
                    "ClusterIP"
                }
            ),
            2 => format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\n  namespace: {ns}\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"a,b,c\"\n  settings.json: |\n    {{\"timeout\": {i}, \"retries\": 3}}\n"
            ),
            3 => format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {name}-reader\n  namespace: {ns}\nrules:\n  - apiGroups: [\"\"]\n    resources: [\"pods\", \"configmaps\"]\n    verbs: [{v}]\n",
                v = if i % 13 == 0 {
                    "\"*\""
                } else {
                    "\"get\", \"list\""
                }
            ),
            4 => format!(
                "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {name}-job\n  namespace: {ns}\nspec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          hostNetwork: {h}\n          containers:\n            - name: job\n              image: busybox:1.36\n              command: [\"sh\", \"-c\", \"echo {i}\"]\n",
                h = i % 17 == 0
            ),
            _ => format!(
                "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  rules:\n    - host: {name}.example.com\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: {name}\n                port:\n                  number: 80\n"
            ),
        };
        file.push_str("---\n");
        file.push_str(&doc);
        if i % 10 == 9 || i + 1 == count {
            std::fs::write(dir.join(format!("gen-{:05}.yaml", i / 10)), &file)?;
            file.clear();
        }
    }
    Ok(())
}

/// Options of a bench run.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub corpus: PathBuf,
    pub generated: usize,
    pub repeat: usize,
    pub per_rule: bool,
}

fn row(out: &mut String, m: &Measurement) {
    let _ = writeln!(
        out,
        "{:<48} {:>9.3} s  {:>6} docs  {:>6} findings  {:>4} errors",
        m.label,
        m.best.as_secs_f64(),
        m.documents,
        m.findings,
        m.errors
    );
}

/// Runs the benchmark and returns a human-readable report.
pub fn run(o: &BenchOptions) -> Result<String, String> {
    if !o.corpus.is_dir() {
        return Err(format!("corpus {} is not a directory", o.corpus.display()));
    }
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let sarif = tmp.path().join("out.sarif");
    let mut out = String::new();
    let rules = Catalog::builtin().map_err(|e| e.to_string())?.rules.len();
    let _ = writeln!(
        out,
        "confgate bench — corpus {} · {rules} rules · best of {}",
        o.corpus.display(),
        o.repeat
    );

    let parse = |jobs| {
        best_of(o.repeat, &format!("parse only, {jobs} thread(s)"), || {
            let (_, d) = parse_only(&o.corpus, jobs).unwrap_or((0, 0));
            (d, 0, 0)
        })
    };
    let p1 = parse(1);
    let p2 = parse(2);
    row(&mut out, &p1);
    row(&mut out, &p2);

    let mut scans = Vec::new();
    for engine in [EngineMode::Rvm, EngineMode::Interpreter] {
        for jobs in [1, 2] {
            let label = format!("scan + SARIF, {engine:?}, {jobs} thread(s)");
            let m = best_of(o.repeat, &label, || {
                full_scan(&o.corpus, engine, jobs, &[], &sarif).unwrap_or((0, 0, 1))
            });
            row(&mut out, &m);
            scans.push((engine, jobs, m));
        }
    }
    for (security, env) in [(false, None), (true, Some("prod"))] {
        for jobs in [1, 2] {
            let label = format!(
                "validate{}, {jobs} thread(s)",
                if security {
                    " --environment prod --security-compliance"
                } else {
                    " (syntax, schema, business)"
                }
            );
            let m = best_of(o.repeat, &label, || {
                validate_corpus(&o.corpus, env, security, jobs).unwrap_or((0, 0, 1))
            });
            row(&mut out, &m);
        }
    }
    let rss = peak_rss_mib().unwrap_or(0.0);
    let get = |e: EngineMode, j: usize| {
        scans
            .iter()
            .find(|(se, sj, _)| *se == e && *sj == j)
            .map(|(_, _, m)| m.best.as_secs_f64())
            .unwrap_or(f64::NAN)
    };
    let _ = writeln!(out, "peak RSS after the corpus scans: {rss:.0} MiB");
    let _ = writeln!(
        out,
        "1→2 threads speed-up: RVM {:.2}×, interpreter {:.2}×; RVM vs interpreter (2 threads): {:.2}× faster",
        get(EngineMode::Rvm, 1) / get(EngineMode::Rvm, 2),
        get(EngineMode::Interpreter, 1) / get(EngineMode::Interpreter, 2),
        get(EngineMode::Interpreter, 2) / get(EngineMode::Rvm, 2),
    );

    if o.generated > 0 {
        let gen_dir = tmp.path().join("generated");
        generate_corpus(&gen_dir, o.generated).map_err(|e| e.to_string())?;
        let m = best_of(
            o.repeat,
            &format!(
                "generated {} docs, scan + SARIF, RVM, 2 threads",
                o.generated
            ),
            || full_scan(&gen_dir, EngineMode::Rvm, 2, &[], &sarif).unwrap_or((0, 0, 1)),
        );
        row(&mut out, &m);
        let _ = writeln!(
            out,
            "generated / corpus time ratio: {:.1}×; peak RSS now {:.0} MiB",
            m.best.as_secs_f64() / get(EngineMode::Rvm, 2),
            peak_rss_mib().unwrap_or(0.0)
        );
    }

    if o.per_rule {
        let cat = Catalog::builtin().map_err(|e| e.to_string())?;
        let base = p2.best.as_secs_f64();
        let _ = writeln!(
            out,
            "per rule (scan with only that rule, 2 threads, minus parse time):"
        );
        for r in &cat.rules {
            let m = best_of(o.repeat, &r.id, || {
                full_scan(
                    &o.corpus,
                    EngineMode::Rvm,
                    2,
                    std::slice::from_ref(&r.id),
                    &sarif,
                )
                .unwrap_or((0, 0, 1))
            });
            let _ = writeln!(
                out,
                "  {:<7} {:<40} {:>7.1} ms",
                r.id,
                r.name,
                ((m.best.as_secs_f64() - base).max(0.0)) * 1000.0
            );
        }
    }
    Ok(out)
}

/// One scan run in a process of its own (`confgate scan DIR --format sarif --output F`):
/// wall time and the child's own peak RSS, so each size is measured from a fresh process
/// as a user's CI job would run it.
#[derive(Clone, Copy, Debug)]
pub struct ChildRun {
    pub seconds: f64,
    pub peak_rss_mib: f64,
}

/// The variable naming a file into which `confgate` writes its peak RSS (MiB) when it exits
/// (how the scale benchmark reads a child's peak without `unsafe` `wait4`).
pub const PEAK_RSS_FILE_VAR: &str = "CONFGATE_BENCH_PEAK_RSS_FILE";

/// Runs `exe scan <dir> --format sarif --output <out> -q [extra]` and measures it.
pub fn child_scan(exe: &Path, dir: &Path, out: &Path, extra: &[&str]) -> Result<ChildRun, String> {
    use std::process::{Command, Stdio};
    let rss_file = out.with_extension("rss");
    let _ = std::fs::remove_file(&rss_file);
    let started = Instant::now();
    let status = Command::new(exe)
        .arg("scan")
        .arg(dir)
        .args(["--format", "sarif", "--output"])
        .arg(out)
        .arg("-q")
        .args(extra)
        .env(PEAK_RSS_FILE_VAR, &rss_file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    // Exit 0 (clean), 1 (findings) and 2 (some inputs broken: the real corpus has a few on
    // purpose) are scans that ran to the end; a signal is not.
    if status.code().is_none_or(|c| c > 2) {
        return Err(format!("the scan of {} failed: {status}", dir.display()));
    }
    let peak_rss_mib = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| format!("{} did not report its peak RSS", exe.display()))?;
    Ok(ChildRun {
        seconds,
        peak_rss_mib,
    })
}

/// At the end of a command: the peak RSS into the file [`PEAK_RSS_FILE_VAR`] names, if set.
pub fn report_peak_rss() {
    if let (Some(path), Some(mib)) = (std::env::var_os(PEAK_RSS_FILE_VAR), peak_rss_mib()) {
        let _ = crate::fsutil::write_atomic(Path::new(&path), format!("{mib:.1}\n").as_bytes());
    }
}

/// `copies` copies of `corpus` under `dir` (`c01/`, `c02/`, …), hard-linked where the file
/// system allows (no disk used), copied otherwise: a repository `copies` times the size,
/// with the real corpus's variety.
pub fn replicate_corpus(corpus: &Path, dir: &Path, copies: usize) -> Result<(), String> {
    let files: Vec<PathBuf> = walkdir::WalkDir::new(corpus)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    for c in 1..=copies {
        let root = dir.join(format!("c{c:02}"));
        for f in &files {
            let rel = f.strip_prefix(corpus).map_err(|e| e.to_string())?;
            let to = root.join(rel);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            if std::fs::hard_link(f, &to).is_err() {
                std::fs::copy(f, &to).map_err(|e| format!("{}: {e}", to.display()))?;
            }
        }
    }
    Ok(())
}

/// What the scale benchmark measures.
#[derive(Clone, Debug)]
pub struct ScaleOptions {
    pub corpus: PathBuf,
    /// The `confgate` executable whose scans are measured.
    pub exe: PathBuf,
    /// Runs of the corpus scan (the median and the best are reported).
    pub runs: usize,
    /// Only the corpus scan and parse-only (the CI step).
    pub quick: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Documents in the YAML/JSON files below `dir` (parsed, all threads).
fn count_documents(dir: &Path) -> usize {
    parse_only(dir, 0).map(|(_, d)| d).unwrap_or(0)
}

/// The scan at scale (issue floors: corpus median < 0.6 s; 20,000 documents < 8 s and
/// < 350 MB; 100,000 documents < 45 s and < 1 GB, RSS growing at most 40% from 20,000 to
/// 100,000): each size scanned by a fresh `confgate scan --format sarif` process, then
/// parse-only times and, unless quick, the cost of each Rego package on the corpus.
pub fn run_scale(o: &ScaleOptions) -> Result<String, String> {
    if !o.corpus.is_dir() {
        return Err(format!("corpus {} is not a directory", o.corpus.display()));
    }
    let tmp = tempfile::Builder::new()
        .prefix("confgate-bench-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let sarif = tmp.path().join("out.sarif");
    let mut out = String::new();
    let docs = count_documents(&o.corpus);
    let _ = writeln!(
        out,
        "confgate bench --scale — every built-in rule, SARIF written, one process per scan ({})",
        o.exe.display()
    );
    let _ = writeln!(
        out,
        "{:<44} {:>9} {:>9} {:>10} {:>9}",
        "input", "documents", "seconds", "peak RSS", "floor"
    );
    let mut times = Vec::new();
    let mut rss: f64 = 0.0;
    // One warm-up run: the first reads the corpus from disk.
    child_scan(&o.exe, &o.corpus, &sarif, &[])?;
    for _ in 0..o.runs.max(1) {
        let r = child_scan(&o.exe, &o.corpus, &sarif, &[])?;
        times.push(r.seconds);
        rss = rss.max(r.peak_rss_mib);
    }
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    let _ = writeln!(
        out,
        "{:<44} {:>9} {:>9.3} {:>6.0} MiB {:>9}",
        format!("corpus, median of {}", times.len()),
        docs,
        median(times.clone()),
        rss,
        "< 0.6 s"
    );
    let _ = writeln!(out, "{:<44} {:>9} {:>9.3}", "corpus, best", docs, best);

    let mut sizes = Vec::new();
    if !o.quick {
        for (copies, floor) in [(11, "< 8 s, < 350 MB"), (55, "< 45 s, < 1 GB")] {
            let dir = tmp.path().join(format!("x{copies}"));
            replicate_corpus(&o.corpus, &dir, copies)?;
            let n = count_documents(&dir);
            let r = child_scan(&o.exe, &dir, &sarif, &[])?;
            let _ = writeln!(
                out,
                "{:<44} {:>9} {:>9.3} {:>6.0} MiB {:>9}",
                format!("corpus × {copies}"),
                n,
                r.seconds,
                r.peak_rss_mib,
                floor
            );
            // The same scan keeping almost no findings (filtered where they are made):
            // the memory of everything but the findings.
            let bare = child_scan(&o.exe, &dir, &sarif, &["--severity", "critical"])?;
            let _ = writeln!(
                out,
                "{:<44} {:>9} {:>9.3} {:>6.0} MiB",
                format!("corpus × {copies}, --severity critical"),
                n,
                bare.seconds,
                bare.peak_rss_mib,
            );
            sizes.push((copies, n, r, bare, dir));
        }
        if let [(_, _, small, small_bare, _), (_, _, large, large_bare, _)] = sizes.as_slice() {
            let _ = writeln!(
                out,
                "peak RSS growth from × 11 to × 55: {:+.0}% with every finding, {:+.0}% apart from the findings (--severity critical; floor ≤ +40%)",
                100.0 * (large.peak_rss_mib / small.peak_rss_mib - 1.0),
                100.0 * (large_bare.peak_rss_mib / small_bare.peak_rss_mib - 1.0)
            );
        }
    }

    let _ = writeln!(out, "parse only (in this process, 2 threads, best of 3):");
    let mut parse_dirs = vec![("corpus".to_string(), o.corpus.clone())];
    for (copies, _, _, _, dir) in &sizes {
        parse_dirs.push((format!("corpus × {copies}"), dir.clone()));
    }
    let mut corpus_parse = f64::NAN;
    for (label, dir) in &parse_dirs {
        let m = best_of(3, label, || {
            let (_, d) = parse_only(dir, 2).unwrap_or((0, 0));
            (d, 0, 0)
        });
        if label == "corpus" {
            corpus_parse = m.best.as_secs_f64();
        }
        let _ = writeln!(
            out,
            "  {:<42} {:>9} {:>9.3}",
            label,
            m.documents,
            m.best.as_secs_f64()
        );
    }
    if !o.quick {
        let _ = writeln!(
            out,
            "per Rego package on the corpus (scan with only its rules, 2 threads, best of 3, minus parse):"
        );
        let cat = Catalog::builtin().map_err(|e| e.to_string())?;
        let mut by_pkg: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for r in &cat.rules {
            by_pkg.entry(r.package()).or_default().push(r.id.clone());
        }
        for (pkg, ids) in &by_pkg {
            let m = best_of(3, pkg, || {
                full_scan(&o.corpus, EngineMode::Rvm, 2, ids, &sarif).unwrap_or((0, 0, 1))
            });
            let _ = writeln!(
                out,
                "  {:<42} {:>3} rules {:>9.1} ms",
                pkg.trim_start_matches("data."),
                ids.len(),
                ((m.best.as_secs_f64() - corpus_parse).max(0.0)) * 1000.0
            );
        }
    }
    Ok(out)
}
