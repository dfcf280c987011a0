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
use crate::report::{OutputFormat, ReportContext, render};
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

/// Resident set size of this process now (Linux `VmRSS`), in MiB.
pub fn current_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0).round())
}

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
    let bytes = render(OutputFormat::Sarif, &ctx).map_err(|e| e.to_string())?;
    crate::fsutil::write_atomic(out, &bytes).map_err(|e| e.to_string())?;
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
