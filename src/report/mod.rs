//! Reports: one emitter per output format, all fed the same `ScanOutcome`.

pub mod audit;
mod csv;
pub mod escape;
pub(crate) mod frame;
mod github;
pub(crate) mod html;
pub use html::render_rollback;
mod json;
mod junit;
mod markdown;
pub mod merge;
mod sarif;
mod text;

use serde::Deserialize;

use crate::diag::{Code, Diagnostic};
use crate::gate::Gate;
use crate::scan::ScanOutcome;

pub use sarif::GITHUB_RESULT_CAP;

/// Output formats of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputFormat {
    /// For people: positions, code frames, remediation, summary.
    Text,
    /// The JSON contract (docs/architecture.md).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// One row per finding.
    Csv,
    /// JUnit XML (GitLab, Jenkins): a test case per rule × resource.
    Junit,
    /// GitHub Actions workflow-command annotations.
    Github,
    /// A Markdown summary for `$GITHUB_STEP_SUMMARY` and pull-request comments.
    Markdown,
    /// A self-contained HTML page: score, compliance, risk matrix, recommendations, findings.
    Html,
}

/// What every emitter gets.
pub struct ReportContext<'a> {
    pub outcome: &'a ScanOutcome,
    /// ANSI colours (text only).
    pub color: bool,
    /// The gate whose verdict reports show.
    pub gate: Gate,
    /// Text of a tera template replacing the embedded HTML one (`--template FILE`).
    pub template: Option<String>,
    /// SARIF `automationDetails.id` category (`--sarif-category`), so that several uploads
    /// to GitHub code scanning do not replace each other. Default `confgate/scan`.
    pub sarif_category: Option<String>,
}

/// A report that could not be produced (`Code::Report`).
pub fn report_error(format: &str, message: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::new(
        Code::Report,
        format!("cannot write the {format} report: {message}"),
    )
}

/// The source texts a report in `format` reads (code frames, the HTML page's re-read of
/// every document); a scan keeps only those.
pub fn sources_needed(format: OutputFormat) -> crate::scan::SourceRetention {
    use crate::scan::SourceRetention;
    match format {
        OutputFormat::Text => SourceRetention::WithFindings,
        OutputFormat::Html => SourceRetention::All,
        OutputFormat::Json
        | OutputFormat::Sarif
        | OutputFormat::Csv
        | OutputFormat::Junit
        | OutputFormat::Github
        | OutputFormat::Markdown => SourceRetention::None,
    }
}

/// Whether a report in `format` lists every scanned object ([`crate::scan::ScanOptions::resources`]).
pub fn resources_needed(format: OutputFormat) -> bool {
    format == OutputFormat::Junit
}

/// Renders the report in `format`.
pub fn render(format: OutputFormat, ctx: &ReportContext<'_>) -> Result<Vec<u8>, Diagnostic> {
    match format {
        OutputFormat::Text => Ok(text::render(ctx).into_bytes()),
        OutputFormat::Json => json::render(ctx),
        OutputFormat::Sarif => sarif::render(ctx),
        OutputFormat::Csv => csv::render(ctx),
        OutputFormat::Junit => junit::render(ctx),
        OutputFormat::Github => github::render(ctx),
        OutputFormat::Markdown => markdown::render(ctx),
        OutputFormat::Html => html::render(ctx),
    }
}

/// Writes the report in `format` to `w`; SARIF and JSON are streamed as they are
/// serialized (a scan of 100,000 documents never holds its whole report in memory), the
/// other formats are rendered and then written.
pub fn render_to(
    format: OutputFormat,
    ctx: &ReportContext<'_>,
    w: &mut dyn std::io::Write,
) -> Result<(), Diagnostic> {
    match format {
        OutputFormat::Json => json::render_to(ctx, w),
        OutputFormat::Sarif => sarif::render_to(ctx, w),
        other => {
            let bytes = render(other, ctx)?;
            w.write_all(&bytes)
                .map_err(|e| report_error(&format!("{other:?}").to_lowercase(), e))
        }
    }
}

pub use crate::{TOOL_NAME, TOOL_VERSION};
