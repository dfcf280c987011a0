//! `--format csv`: one row per finding, for spreadsheets and dashboards. Quoting is the csv
//! crate's; control characters in names and messages become visible escapes (`escape`) so
//! a file shown with `cat` in a terminal or CI log cannot drive it.

use super::ReportContext;
use super::escape::control;
use crate::diag::Diagnostic;

const HEADER: [&str; 12] = [
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
    "frameworks",
];

pub fn render(ctx: &ReportContext<'_>) -> Result<Vec<u8>, Diagnostic> {
    let err = |e: csv::Error| crate::report::report_error("csv", e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER).map_err(err)?;
    for f in &ctx.outcome.findings {
        let frameworks = f
            .frameworks
            .iter()
            .map(|(k, v)| format!("{k}:{}", v.join("|")))
            .collect::<Vec<_>>()
            .join(";");
        let line = f.line.to_string();
        let column = f.column.to_string();
        let fields = [
            f.rule_id.as_str(),
            &f.rule_name,
            f.severity.as_str(),
            &f.file,
            &line,
            &column,
            f.resource.namespace.as_deref().unwrap_or(""),
            &f.resource.kind,
            &f.resource.name,
            &f.path,
            &f.message,
            &frameworks,
        ];
        w.write_record(fields.map(|s| control(s).into_owned()))
            .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| crate::report::report_error("csv", e.to_string()))
}
