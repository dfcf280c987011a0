//! `--format github`: GitHub Actions workflow commands, one annotation per finding, shown on
//! the pull request's changed lines without code scanning. Every value is escaped (see
//! `escape`): a crafted name cannot end its annotation and start a workflow command of
//! its own.

use std::fmt::Write as _;

use super::ReportContext;
use crate::catalog::Severity;
use crate::diag::Diagnostic;

pub use super::escape::{github_data as escape_data, github_property as escape_property};

pub fn render(ctx: &ReportContext<'_>) -> Result<Vec<u8>, Diagnostic> {
    let mut out = String::new();
    for f in ctx
        .outcome
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
    {
        let level = match f.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "notice",
        };
        let title = format!("{} {} ({})", f.rule_id, f.rule_name, f.severity);
        let _ = writeln!(
            out,
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&f.file),
            f.line,
            f.column,
            f.end_line.max(f.line),
            f.end_column,
            escape_property(&title),
            escape_data(&format!("{} [{}]", f.message, f.path))
        );
    }
    for e in &ctx.outcome.errors {
        let line = e
            .line_number()
            .map(|l| format!(",line={l}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "::error file={}{line},title=confgate input error::{}",
            escape_property(e.file_name().unwrap_or_default()),
            escape_data(&e.message)
        );
    }
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_github_requires() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
