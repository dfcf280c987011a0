//! Validation reports: text (one line per problem, with `--detailed-report` a per-file table
//! and what each check covered), JSON and YAML (`{"files", "errors", "warnings", "score",
//! "summary", …}`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::{Checks, FileReport, Level, Problem, ProblemKind, Validation};
use crate::diag::Diagnostic;

/// Output formats of `validate`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValidateFormat {
    #[default]
    Text,
    Json,
    Yaml,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct KindCount {
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct Summary<'a> {
    files: usize,
    valid_files: usize,
    documents: usize,
    errors: usize,
    warnings: usize,
    by_kind: BTreeMap<&'static str, KindCount>,
    checks: &'a Checks,
}

#[derive(Serialize)]
struct Document<'a> {
    tool: Tool,
    environment: Option<&'a str>,
    kube_version: &'a str,
    strict: bool,
    valid: bool,
    score: u32,
    files: &'a [FileReport],
    errors: Vec<&'a Problem>,
    warnings: Vec<&'a Problem>,
    tool_errors: &'a [Diagnostic],
    notes: &'a [String],
    summary: Summary<'a>,
}

fn document(v: &Validation) -> Document<'_> {
    let by_kind = ProblemKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str(),
                KindCount {
                    errors: v.count(*k, Level::Error),
                    warnings: v.count(*k, Level::Warning),
                },
            )
        })
        .collect();
    Document {
        tool: Tool {
            name: "confgate",
            version: env!("CARGO_PKG_VERSION"),
        },
        environment: v.environment.as_deref(),
        kube_version: &v.kube_version,
        strict: v.strict,
        valid: v.valid() && v.tool_errors.is_empty(),
        score: v.score,
        files: &v.files,
        errors: v.errors().collect(),
        warnings: v.warnings().collect(),
        tool_errors: &v.tool_errors,
        notes: &v.notes,
        summary: Summary {
            files: v.files.len(),
            valid_files: v.files.iter().filter(|f| f.valid).count(),
            documents: v.documents,
            errors: v.errors().count(),
            warnings: v.warnings().count(),
            by_kind,
            checks: &v.checks,
        },
    }
}

/// Renders the report.
pub fn render(
    v: &Validation,
    format: ValidateFormat,
    detailed: bool,
    color: bool,
) -> Result<Vec<u8>, String> {
    match format {
        ValidateFormat::Json => {
            let mut out = serde_json::to_vec_pretty(&document(v)).map_err(|e| e.to_string())?;
            out.push(b'\n');
            Ok(out)
        }
        ValidateFormat::Yaml => serde_yaml::to_string(&document(v))
            .map(String::into_bytes)
            .map_err(|e| e.to_string()),
        ValidateFormat::Text => Ok(text(v, detailed, color).into_bytes()),
    }
}

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn problem_line(p: &Problem, color: bool) -> String {
    let level = match p.level {
        Level::Error => paint(color, "1;31", "error"),
        Level::Warning => paint(color, "1;33", "warning"),
    };
    let mut s = format!(
        "{}:{}:{}: {level}[{}]",
        p.file,
        p.line,
        p.column,
        p.kind.as_str()
    );
    if let Some(r) = &p.rule {
        let _ = write!(s, "[{r}]");
    }
    if !p.path.is_empty() {
        let _ = write!(s, " {}:", p.path);
    }
    let _ = write!(s, " {}", p.message);
    s
}

fn text(v: &Validation, detailed: bool, color: bool) -> String {
    let mut out = String::new();
    for p in &v.problems {
        let _ = writeln!(out, "{}", problem_line(p, color));
    }
    for e in &v.tool_errors {
        let _ = writeln!(out, "{}: {e}", paint(color, "1;31", "tool error"));
    }
    if detailed {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("Files:\n");
        let width = v.files.iter().map(|f| f.file.len()).max().unwrap_or(0);
        for f in &v.files {
            let mark = if f.valid {
                paint(color, "32", "ok ")
            } else {
                paint(color, "31", "bad")
            };
            let _ = writeln!(
                out,
                "  {mark} {:width$}  {} document(s)  {} error(s)  {} warning(s)  score {}",
                f.file, f.documents, f.errors, f.warnings, f.score
            );
        }
        out.push_str("Checks:\n");
        let c = &v.checks;
        let line = |out: &mut String, kind: ProblemKind, what: String| {
            let _ = writeln!(
                out,
                "  {:12} {:>3} error(s) {:>3} warning(s)  {what}",
                kind.as_str(),
                v.count(kind, Level::Error),
                v.count(kind, Level::Warning)
            );
        };
        line(
            &mut out,
            ProblemKind::Syntax,
            format!("{} file(s) parsed", v.files.len()),
        );
        line(
            &mut out,
            ProblemKind::Schema,
            format!(
                "{} object(s) against the Kubernetes {} schema{}{}",
                c.schema_checked,
                v.kube_version,
                if c.schema_not_builtin > 0 {
                    format!("; {} custom resource(s) not checked", c.schema_not_builtin)
                } else {
                    String::new()
                },
                if v.strict {
                    "; strict: unknown fields are errors"
                } else {
                    ""
                }
            ),
        );
        line(
            &mut out,
            ProblemKind::JsonSchema,
            format!(
                "{} ConfigMap key(s) against JSON Schemas",
                c.json_schema_keys
            ),
        );
        line(
            &mut out,
            ProblemKind::Business,
            match &v.environment {
                Some(e) => format!("{} object(s), environment {e}", c.business_checked),
                None => format!(
                    "{} object(s), no environment (use --environment)",
                    c.business_checked
                ),
            },
        );
        line(
            &mut out,
            ProblemKind::Security,
            if c.security_rules > 0 {
                format!("{} rule(s)", c.security_rules)
            } else {
                "not run (use --security-compliance)".to_string()
            },
        );
        out.push('\n');
    }
    for n in &v.notes {
        let _ = writeln!(out, "note: {n}");
    }
    let errors = v.errors().count();
    let warnings = v.warnings().count();
    let verdict = if !v.tool_errors.is_empty() {
        paint(color, "1;31", "NOT VALIDATED")
    } else if errors > 0 {
        paint(color, "1;31", "INVALID")
    } else {
        paint(color, "1;32", "VALID")
    };
    let _ = writeln!(
        out,
        "{verdict}: {} file(s), {} document(s), {errors} error(s), {warnings} warning(s), score {}/100 (Kubernetes {} schema{})",
        v.files.len(),
        v.documents,
        v.score,
        v.kube_version,
        v.environment
            .as_deref()
            .map(|e| format!(", environment {e}"))
            .unwrap_or_default()
    );
    out
}
